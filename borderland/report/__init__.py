"""The study's report: one self-contained HTML page (and a PDF of it), generated from a run's results.

The flow is one way::

    StudyResult ──> content.build_report(result, lang) ──> Report ──> render.render_html ──> HTML
    (the run)       (reads export.result_layers: the        (sections,    (escapes every text;     │
                     GeoPackage's layers; maps: the map)     tables,       fonts and CSS inline)    │
                                                             charts)                  pdf.print_pdf ┘──> PDF

* :mod:`~borderland.report.document` -- the report as a document (sections, tables, figures);
  :mod:`~borderland.report.content` -- what the report says: key findings, data coverage
  (regions with and without data per country, the year, sources and licences), the map, the
  typology with class probabilities and rank intervals, the largest gaps and the segments,
  the index by distance band, the comparability of definitions, every global statistic,
  trade, and every choice the run made, each section built by a module of
  :mod:`~borderland.report.sections`. Each table names the GeoPackage layer it comes from.
* :mod:`~borderland.report.i18n` -- every word in English and Russian, and numbers as each
  language writes them (a decimal comma in Russian).
* :mod:`~borderland.report.charts` -- the charts as inline SVG (text stays text);
  :mod:`~borderland.report.maplabels` -- the map model's words in the report's language.
* :mod:`~borderland.report.render` -- the HTML, every string escaped, nothing fetched;
  :mod:`~borderland.report.fonts` -- the embedded typeface.
* :mod:`~borderland.report.pdf` -- the PDF, printed by headless Chromium (a system program:
  ``apt-get install chromium``), opt-in.

Examples
--------
>>> from borderland import pipeline, report
>>> result = pipeline.run()
>>> page = report.report_html(result, lang="ru")
>>> page.startswith("<!DOCTYPE html>") and "Основные результаты" in page
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from borderland.outputs import OutputSet
from borderland.pipeline import StudyResult
from borderland.report.content import build_report
from borderland.report.document import Report
from borderland.report.i18n import LANGUAGES
from borderland.report.pdf import CHROMIUM_ENV, find_chromium, print_pdf
from borderland.report.render import render_html

__all__ = ["CHROMIUM_ENV", "LANGUAGES", "REPORT_STEM", "Report", "build_report", "find_chromium", "print_pdf",
           "render_html", "report_html", "report_names", "write_into", "write_report"]

#: Stem of the report's files: ``borderland_report_<lang>.html`` and ``.pdf``.
REPORT_STEM: Final = "borderland_report"


def report_html(result: StudyResult, *, lang: str = "en", fragment: bool = False) -> str:
    """The report of a run as HTML: a whole page, or (``fragment``) the ``<div>`` that is its body.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run` with every stage.
    lang
        ``"en"`` or ``"ru"``.
    fragment
        The embeddable ``<div>`` (what a notebook shows) instead of the page.

    Returns
    -------
    str
        The HTML; the same result gives the same text.
    """
    return render_html(build_report(result, lang=lang), gpkg=result.study.outputs.geopackage, fragment=fragment)


def report_names(lang: str = "en", *, pdf: bool = False) -> list[str]:
    """The files of a report in ``lang``: the HTML page, and the PDF when asked.

    Examples
    --------
    >>> report_names("ru", pdf=True)
    ['borderland_report_ru.html', 'borderland_report_ru.pdf']
    """
    return [f"{REPORT_STEM}_{lang}.html"] + ([f"{REPORT_STEM}_{lang}.pdf"] if pdf else [])


def write_into(result: StudyResult, output: OutputSet, *, lang: str = "en", pdf: bool = False,
               chromium: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Write the report's files into an open output set (they move into place with the set).

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.
    output
        Declares :func:`report_names` of ``lang`` and ``pdf``.
    lang
        ``"en"`` or ``"ru"``.
    pdf
        Also print the PDF (needs Chromium).
    chromium
        The Chromium executable (:func:`find_chromium` by default).

    Returns
    -------
    dict of str to Path
        ``"html"`` (and ``"pdf"``) -> the staged file.
    """
    names = report_names(lang, pdf=pdf)
    html = output.path(names[0])
    html.write_bytes(report_html(result, lang=lang).encode("utf-8"))
    written = {"html": html}
    if pdf:
        written["pdf"] = print_pdf(html, output.path(names[1]), chromium=chromium)
    return written


def write_report(result: StudyResult, folder: str | os.PathLike[str], *, lang: str = "en", pdf: bool = False,
                 overwrite: bool = False, chromium: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Write ``borderland_report_<lang>.html`` (and ``.pdf``) into ``folder``, together or not at all.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run` with every stage.
    folder
        The output folder.
    lang
        ``"en"`` or ``"ru"``.
    pdf
        Also print the PDF with headless Chromium.
    overwrite
        Replace files that exist already.
    chromium
        The Chromium executable (:func:`find_chromium` by default).

    Returns
    -------
    dict of str to Path
        ``"html"`` (and ``"pdf"``) -> the file written.

    Raises
    ------
    OutputError
        A file exists and ``overwrite`` is false, or the folder cannot be written.
    InputError
        ``pdf`` and no Chromium.
    """
    names = report_names(lang, pdf=pdf)
    with OutputSet(folder, names, overwrite=overwrite) as output:
        if pdf:
            chromium = find_chromium(chromium)
        staged = write_into(result, output, lang=lang, pdf=pdf, chromium=chromium)
    return {kind: Path(folder) / path.name for kind, path in staged.items()}
