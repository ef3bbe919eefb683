"""A study from its inputs to one result, as a short sequence of typed stages.

======  ===================================================================  =========================
stage   computes                                                             needs
======  ===================================================================  =========================
load    reads and checks every input: regions (validated, projected,         the study
        repaired), the indicator table, countries, border lines, tables,
        the population raster's coverage
index   the year, the composite index, typology, coherence, robustness       load
border  shared edges, the neighbour graph, border lines, distance, rings,    load, index (profile)
        bands, population near the border, the profile by band
gaps    pairs and their gaps, segments, local deviation, LISA and Moran's    load, index, border
        I, Theil, gap-sign stability
trade   flows, flow lines, trade beside the divide, trade indicators         load, gaps
======  ===================================================================  =========================

Each stage has its *checks* apart from its computation: :func:`check` runs every stage's checks
on the loaded inputs without computing any result, and :func:`validate` (``borderland
validate``) is exactly the load stage plus those checks, so that it fails where :func:`run`
would fail on input. :func:`run` runs the checks of the stages asked for first, then computes
them. Writing outputs is not a stage of this package: :mod:`borderland.commands` opens the
output set before anything is loaded or computed.

The package, in the order its modules import one another:

* :mod:`~borderland.pipeline.inputs` -- the load stage: :func:`load` -> :class:`Inputs`;
* :mod:`~borderland.pipeline.checks` -- every stage's checks: :func:`check`;
* :mod:`~borderland.pipeline.stages` -- the index, border, gaps and trade stages and their results;
* :mod:`~borderland.pipeline.statistics` -- every global statistic as one table;
* :mod:`~borderland.pipeline.result` -- :class:`StudyResult`, the regions frame assembled;
* this module -- :func:`run`, the stages in order, and :func:`validate`, the load and the checks.

:func:`run` returns plain data; :func:`borderland.run` returns the same result with its report
(``result.report()``, a notebook's display), which needs the writers below the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from borderland.compute import SERIAL, Executor, Laps
from borderland.errors import SchemaError
from borderland.pipeline.checks import STAGES, Validation, _index_year, check
from borderland.pipeline.inputs import Inputs, RasterCoverage, load, load_indicators, load_regions, raster_coverage
from borderland.pipeline.result import StudyResult, _assemble
from borderland.pipeline.stages import BorderStage, GapsStage, IndexStage, TradeStage, _border, _gaps, _index, _trade
from borderland.pipeline.statistics import statistics_table
from borderland.study import Study, load_study

__all__ = ["STAGES", "BorderStage", "GapsStage", "IndexStage", "Inputs", "RasterCoverage", "StudyResult",
           "TradeStage", "Validation", "check", "load", "load_indicators", "load_regions", "load_study",
           "raster_coverage", "run", "statistics_table", "validate"]


def run(
    study: Study | None = None,
    *,
    stages: Sequence[str] = STAGES,
    on_stage: Callable[[str], None] | None = None,
    inputs: Inputs | None = None,
    executor: Executor = SERIAL,
) -> StudyResult:
    """Run a study: load, check every stage asked for, then compute them.

    Parameters
    ----------
    study
        From :func:`borderland.study.load_study`; the bundled default study when omitted.
    stages
        The stages to run (a prefix of :data:`STAGES` is enough: a stage's prerequisites run
        with it). The trade stage runs only when the study has ``[trade] published``.
    on_stage
        Called with each stage's name as it starts (progress bars).
    inputs
        Inputs loaded already (by :func:`validate`), to skip reading them again.
    executor
        Where the heavy steps run (:mod:`borderland.compute`): this process by default; the
        commands open the one ``[compute]`` asks for.

    Returns
    -------
    StudyResult
        The results of every stage run.

    Examples
    --------
    >>> result = run(stages=("load", "index"))
    >>> result.year, result.regions["index"].notna().sum()
    (2021, np.int64(35))
    """
    study = study or load_study()
    wanted = _with_prerequisites(stages)
    if not study.trade.active:
        wanted = [s for s in wanted if s != "trade"]
    step = on_stage or (lambda name: None)
    lap = Laps()

    step("load")
    inputs = inputs or load(study, executor=executor)
    found = check(study, inputs, wanted)
    lap("load")
    index_stage = border_stage = gaps_stage = trade_stage = None
    if "index" in wanted:
        step("index")
        index_stage = _index(study, inputs, found, executor)
        lap("index")
    if "border" in wanted and index_stage is not None:
        step("border")
        border_stage = _border(study, inputs, index_stage, executor)
        lap("border")
    if "gaps" in wanted and index_stage is not None and border_stage is not None:
        step("gaps")
        gaps_stage = _gaps(study, inputs, index_stage, border_stage, executor, found)
        lap("gaps")
    if "trade" in wanted and gaps_stage is not None:
        step("trade")
        trade_stage = _trade(study, inputs, gaps_stage)
        lap("trade")
    notes = list(inputs.notes) + (list(index_stage.built.notes) if index_stage else []) \
        + (list(gaps_stage.notes) if gaps_stage else [])
    return StudyResult(study=study, inputs=inputs, regions=_assemble(inputs, index_stage, border_stage, gaps_stage,
                                                                      trade_stage),
                       index_stage=index_stage, border_stage=border_stage, gaps_stage=gaps_stage,
                       trade_stage=trade_stage, notes=tuple(notes), timings=lap.times)


def _with_prerequisites(stages: Sequence[str]) -> list[str]:
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise SchemaError(f"unknown stage(s) {unknown}; stages are {list(STAGES)}")
    last = max((STAGES.index(s) for s in stages), default=0)
    return list(STAGES[: last + 1])


def validate(study: Study | None = None, stages: Sequence[str] = STAGES) -> Validation:
    """The load stage and every stage's input checks: where :func:`run` would fail on input, this fails.

    Parameters
    ----------
    study
        The study; the bundled one when omitted.
    stages
        The stages whose checks to run.

    Returns
    -------
    Validation
        The loaded inputs and the index year.
    """
    study = study or load_study()
    inputs = load(study)
    found = check(study, inputs, stages)
    year, counts = (found["year"], found["year_counts"]) if "year" in found else _index_year(study, inputs)
    return Validation(study=study, inputs=inputs, year=year, year_counts=counts)
