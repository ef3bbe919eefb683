"""The report as a document: sections of paragraphs, tables and figures, before it is written as HTML.

:mod:`borderland.report.content` builds a :class:`Report` from a run; :mod:`borderland.report.render`
writes it. Texts are plain strings of the report's language or :class:`~borderland.report.i18n.Data`
from the run (names, sources), never markup; only :class:`Html` holds markup, made by borderland's
own writers (a chart, the map). A table keeps, beside each number it shows, the value the number
was written from and the layer and column of the GeoPackage it comes from.
"""

from __future__ import annotations

import dataclasses

from borderland.report.i18n import Data, Parts

__all__ = ["Block", "Bullets", "Cell", "Column", "Figure", "Html", "MapFigure", "Paragraph", "Report", "Section",
           "Source", "Table"]


@dataclasses.dataclass(frozen=True)
class Html:
    """Markup made by borderland's own writers (a chart, the map), inserted into the page as it is."""

    markup: str


@dataclasses.dataclass(frozen=True)
class Cell:
    """One cell: its text (plain, :class:`Data` from the data, or a run of both) and the number it shows."""

    text: str | Data | Parts
    value: float | None = None


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of a report table.

    Attributes
    ----------
    heading
        Its heading, in the report's language.
    source
        The column of the table's layer whose values its cells show (the HTML's ``data-column``);
        empty when the cells are derived from the layer (counts of regions).
    numeric
        The cells hold numbers (each keeps the value it was written from: ``data-value``).
    wrap
        The cells hold long texts (sources, definitions) that may break anywhere, even in a path.
    code
        The cells hold short codes (a region's, a country's, a segment's) that never break.
    """

    heading: str
    source: str = ""
    numeric: bool = False
    wrap: bool = False
    code: bool = False


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a table or figure comes from: a table of the GeoPackage and its columns."""

    table: str
    columns: tuple[str, ...] = ()
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Table:
    """A table with its caption and source."""

    key: str
    caption: str
    source: Source
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclasses.dataclass(frozen=True)
class Figure:
    """A chart (inline SVG) with its caption and source."""

    key: str
    caption: str
    source: Source
    svg: Html


@dataclasses.dataclass(frozen=True)
class MapFigure:
    """The map: the interactive fragment for the screen, the static map of the same model for print."""

    key: str
    caption: str
    source: Source
    interactive: Html
    static: Html


@dataclasses.dataclass(frozen=True)
class Paragraph:
    """A paragraph of text."""

    parts: Parts


@dataclasses.dataclass(frozen=True)
class Bullets:
    """A list of short paragraphs."""

    items: tuple[Parts, ...]


Block = Paragraph | Bullets | Table | Figure | MapFigure


@dataclasses.dataclass(frozen=True)
class Section:
    """A numbered section of the report."""

    key: str
    heading: str
    blocks: tuple[Block, ...]


@dataclasses.dataclass(frozen=True)
class Report:
    """Everything the report shows, in one language, ready to be written as HTML.

    Attributes
    ----------
    lang
        ``"en"`` or ``"ru"``.
    title
        The study's title.
    subtitle
        What the report is, with the index year.
    sections
        In order.
    footer
        How the report was made and how to make it again.
    """

    lang: str
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: Parts

    def tables(self) -> list[Table]:
        """Every table, in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure | MapFigure]:
        """Every figure (the map and the charts), in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure | MapFigure)]
