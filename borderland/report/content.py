"""What the report says, assembled from one run's result layers in one language.

:func:`build_report` reads the frames :func:`borderland.export.result_layers` writes into the
GeoPackage (``regions``, ``neighbour_pairs``, ``border_segments``, ``profile``, ``statistics``,
``theil``, ``coherence``, ``comparability``, ``trade_*``) and the run's parameters (its
``gpkg_metadata``), and turns them into a :class:`~borderland.report.document.Report`: sections of tables,
charts and the map, every text in the chosen language and every number written by its
:class:`~borderland.report.i18n.Locale`. A table keeps, beside each number shown, the value it
was written from and the layer and column it comes from, so each figure of the report can be
traced to a table of the GeoPackage (the HTML carries them as ``data-layer``, ``data-column``
and ``data-value``).

Nothing here writes HTML or escapes anything: texts from the data are marked
(:class:`~borderland.report.i18n.Data`) and the writer (:mod:`borderland.report.render`)
escapes every text. Each section is built by a module of its own
(:mod:`borderland.report.sections`); this module runs them in order (:data:`SECTIONS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from borderland import export
from borderland.pipeline import StudyResult
from borderland.report.document import Report, Section
from borderland.report.i18n import NO_VALUE, Data, Locale
from borderland.report.sections.comparability import comparability_section
from borderland.report.sections.context import FORMATS, _Context
from borderland.report.sections.coverage import LICENCES, coverage_section
from borderland.report.sections.distance import distance_section
from borderland.report.sections.gaps import TOP_GAPS, gaps_section
from borderland.report.sections.map import MAP_KINDS, MAP_PREFIX, map_section
from borderland.report.sections.methods import methods_section, notes_section
from borderland.report.sections.statistics import statistics_section
from borderland.report.sections.summary import summary_section
from borderland.report.sections.trade import trade_section
from borderland.report.sections.typology import MAX_CHART_ROWS, TOP, typology_section

#: The report's public names, and the tunables of its sections it named before they had modules
#: of their own (:mod:`borderland.report.sections`), which ``borderland.report.content.X`` keeps.
__all__ = ["FORMATS", "LICENCES", "MAP_KINDS", "MAP_PREFIX", "MAX_CHART_ROWS", "SECTIONS", "TOP", "TOP_GAPS",
           "build_report"]


#: The sections every report has, in order (the run's notes follow when there are any).
SECTIONS: Final[tuple[Callable[[_Context], Section], ...]] = (
    summary_section, coverage_section, map_section, typology_section, gaps_section, distance_section,
    comparability_section, statistics_section, trade_section, methods_section,
)


def build_report(result: StudyResult, *, lang: str = "en") -> Report:
    """Assemble the report of a run in one language.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run` with every stage (the trade stage when the study
        has one).
    lang
        ``"en"`` or ``"ru"`` (:data:`~borderland.report.i18n.LANGUAGES`).

    Returns
    -------
    Report
        Sections in order: key findings, data coverage, the map, leaders and laggards,
        cross-border gaps, distance to the border, comparability of definitions, global
        statistics, trade, methods, and the run's notes.

    Raises
    ------
    SchemaError
        ``lang`` is not a language of the report, or a stage the report needs did not run.
    """
    from borderland.errors import SchemaError
    from borderland.report.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise SchemaError(f"unknown report language {lang!r}; choose one of {sorted(LANGUAGES)}")
    missing = [name for name in ("index_stage", "border_stage", "gaps_stage") if getattr(result, name) is None]
    if missing:
        raise SchemaError(f"the report needs a whole run; the result lacks {', '.join(missing)}: run every stage "
                          "(borderland.pipeline.run(study))")
    layers = export.result_layers(result)
    ctx = _Context(result=result, layers=layers, lang=lang, locale=Locale.of(lang),
                   gpkg=result.study.outputs.geopackage)
    sections = [build(ctx) for build in SECTIONS]
    notes = notes_section(ctx)
    if notes is not None:
        sections.append(notes)
    study = result.study
    import borderland
    from borderland import io

    study_file = study.source_file.name if study.source_file else NO_VALUE
    bundled = study.source_file is not None and study.source_file.resolve() == io.bundled("study.toml").resolve()
    command = " ".join(["borderland report", *([] if bundled else [study_file]), f"--lang {lang}"])
    footer = ctx.p("generated", version=borderland.__version__, study=Data(study_file), gpkg=ctx.gpkg,
                   command=Data(command))
    return Report(lang=lang, title=study.title, subtitle=ctx.t("subtitle", year=ctx.locale.plain(result.year)),
                  sections=tuple(sections), footer=footer)
