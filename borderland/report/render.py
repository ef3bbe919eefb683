"""The report as HTML: one self-contained page, or the same content as a fragment to embed.

:func:`render_html` writes a :class:`~borderland.report.content.Report`. Every text is escaped
here, in one place: the catalogue's words and the data's alike go through :func:`html.escape`,
and every text from the data is wrapped in ``<bdi>``, so that markup in a region's name shows as
text and a bidirectional override inside it cannot reorder the words around it. The only markup
taken as it is comes from borderland's own writers (the map fragment, the charts, the static
map), which escape their texts themselves.

The page needs nothing from the network: the stylesheet (``maps/templates/report.css``) and the
embedded typeface (:mod:`borderland.report.fonts`) are inline, the map carries Leaflet inline.
Every rule of the stylesheet is scoped to ``.borderland-report``, so the fragment can sit in a
notebook or another page without restyling it; the print rules (A4, page numbers, tables and
figures kept whole, the static map in place of the interactive one) are what the PDF is printed
with. The same report gives the same text.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterator
from typing import Final

from borderland.errors import InputError
from borderland.io import package_data
from borderland.report.document import (
    Bullets,
    Cell,
    Column,
    Figure,
    MapFigure,
    Paragraph,
    Report,
    Section,
    Source,
    Table,
)
from borderland.report.fonts import font_face_css
from borderland.report.i18n import Data, Parts, text

__all__ = ["render_html"]

#: Prefix of every id the report gives an element (the map's own ids start with its prefix).
ID: Final = "blr-"


@functools.cache
def _stylesheet() -> str:
    path = package_data("templates") / "report.css"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"the report's stylesheet {str(path)!r} is missing; reinstall borderland") from None


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def _parts(parts: str | Data | Parts) -> str:
    """Text to HTML: plain strings escaped, data escaped and isolated in ``<bdi>``."""
    if isinstance(parts, str):
        return _e(parts)
    if isinstance(parts, Data):
        return f"<bdi>{_e(parts.text)}</bdi>"
    return "".join(_parts(part) for part in parts)


def _source(source: Source, lang: str, gpkg: str) -> str:
    """The source line of a caption: the GeoPackage's layer and columns, or what the source says."""
    if not source.columns:
        what = source.note or text("source_layer", lang, layer=source.table, gpkg=gpkg)
        return _e(text("source", lang, what=what))
    before, after = text("source_layer", lang, layer="\0", gpkg=gpkg).split("\0")
    start, end = text("source_columns", lang, columns="\0").split("\0")
    columns = ", ".join(f"<code>{_e(column)}</code>" for column in source.columns)
    extra = f"; {_e(source.note)}" if source.note else ""
    return (_e(text("source", lang, what="")) + _e(before) + f"<code>{_e(source.table)}</code>" + _e(after)
            + "; " + _e(start) + columns + _e(end) + extra)


def _cell(cell: Cell, column: Column) -> str:
    kind = "num" if column.numeric else "wrap" if column.wrap else "code" if column.code else ""
    attributes = f' class="{kind}"' if kind else ""
    if cell.value is not None:
        attributes += f' data-value="{cell.value!r}"'
    return f"<td{attributes}>{_parts(cell.text)}</td>"


def _attributes(column: Column) -> str:
    numeric = ' class="num"' if column.numeric else ""
    source = f' data-column="{_e(column.source)}"' if column.source else ""
    return numeric + source


def _table(table: Table, number: int, lang: str, gpkg: str) -> Iterator[str]:
    yield f'<figure class="report-table" id="{ID}tab-{_e(table.key)}">'
    yield (f'<figcaption><span class="label">{_e(text("table", lang, number=number))}.</span> '
           f'{_e(table.caption)}<span class="source">{_source(table.source, lang, gpkg)}</span></figcaption>')
    yield f'<div class="table-scroll"><table data-layer="{_e(table.source.table)}">'
    # a heading may break after an underscore (component names are long words)
    heads = "".join(f"<th{_attributes(c)}>{_e(c.heading).replace('_', '_<wbr>')}</th>" for c in table.columns)
    yield f"<thead><tr>{heads}</tr></thead><tbody>"
    for row in table.rows:
        yield "<tr>" + "".join(_cell(cell, column) for cell, column in zip(row, table.columns, strict=True)) + "</tr>"
    yield "</tbody></table></div></figure>"


def _figure(figure: Figure | MapFigure, number: int, lang: str, gpkg: str) -> Iterator[str]:
    kind = " report-map-figure" if isinstance(figure, MapFigure) else ""
    yield f'<figure class="report-figure{kind}" id="{ID}fig-{_e(figure.key)}">'
    if isinstance(figure, MapFigure):
        yield f'<div class="screen-only">{figure.interactive.markup}</div>'
        yield f'<div class="print-only">{figure.static.markup}</div>'
    else:
        yield f'<div class="chart-frame">{figure.svg.markup}</div>'
    yield (f'<figcaption><span class="label">{_e(text("figure", lang, number=number))}.</span> '
           f'{_e(figure.caption)}<span class="source">{_source(figure.source, lang, gpkg)}</span></figcaption>')
    yield "</figure>"


def _body(report: Report, gpkg: str) -> Iterator[str]:
    lang = report.lang
    yield '<header class="report-head">'
    yield f'<p class="kicker">{_e(text("report", lang))}</p><h1>{_e(report.title)}</h1>'
    yield f'<p class="subtitle">{_e(report.subtitle)}</p></header>'
    yield f'<nav class="report-contents"><h2>{_e(text("contents", lang))}</h2><ol>'
    for section in report.sections:
        yield f'<li><a href="#{ID}{_e(section.key)}">{_e(section.heading)}</a></li>'
    yield "</ol></nav>"
    tables = figures = 0
    for number, section in enumerate(report.sections, start=1):
        yield from _section(section, number)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                yield f"<p>{_parts(block.parts)}</p>"
            elif isinstance(block, Bullets):
                yield "<ul>" + "".join(f"<li>{_parts(item)}</li>" for item in block.items) + "</ul>"
            elif isinstance(block, Table):
                tables += 1
                yield from _table(block, tables, lang, gpkg)
            else:
                figures += 1
                yield from _figure(block, figures, lang, gpkg)
        yield "</section>"
    yield f'<footer class="report-foot"><p>{_parts(report.footer)}</p></footer>'


def _section(section: Section, number: int) -> Iterator[str]:
    yield f'<section class="report-section section-{_e(section.key)}" id="{ID}{_e(section.key)}">'
    yield f'<h2><span class="number">{number}</span> {_e(section.heading)}</h2>'


def render_html(report: Report, *, gpkg: str = "borderland.gpkg", fragment: bool = False) -> str:
    """The report as one HTML document, or (``fragment``) as the ``<div>`` that is its body.

    Parameters
    ----------
    report
        From :func:`borderland.report.content.build_report`.
    gpkg
        The GeoPackage the captions name as the source of every table.
    fragment
        Return the ``<div class="borderland-report">`` alone (its styles inside it), to embed in
        a page or a notebook; the document's ``<body>`` holds exactly this.

    Returns
    -------
    str
        The HTML, ending in a newline. The same report gives the same text.
    """
    body = "\n".join(_body(report, gpkg))
    fonts = font_face_css(report.title + report.subtitle + body)
    div = (f'<div class="borderland-report" lang="{_e(report.lang)}">\n<style>\n{fonts}\n{_stylesheet()}</style>\n'
           f"{body}\n</div>\n")
    if fragment:
        return div
    import borderland

    title = f"{report.title} \u2014 {text('report', report.lang)}"
    return (f'<!DOCTYPE html>\n<html lang="{_e(report.lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="borderland {_e(borderland.__version__)}">\n'
            f"<title>{_e(title)}</title>\n</head>\n<body>\n{div}</body>\n</html>\n")
