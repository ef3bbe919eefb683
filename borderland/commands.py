"""What each ``borderland`` command does: one library function per command.

``cli.py`` parses options, calls one of these and prints the :class:`Report` it returns; the
rules live here, where they are tested without a terminal. Every command that writes follows
the same order: the output set is opened first (a refused overwrite or an unwritable folder is
reported before anything is read or computed), then the study's inputs are loaded and every
check of the stages it needs is run, then the stages are computed, and only then are the
files written into the staging folder and moved into place together
(:class:`borderland.outputs.OutputSet`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd

from borderland import io, pipeline
from borderland.compute import SERIAL, Executor, Laps
from borderland.errors import BorderlandError, OutputError, SchemaError
from borderland.outputs import WRITER_THREADS, OutputSet
from borderland.pipeline import StudyResult
from borderland.study import Study, files_study, init_study, load_study

__all__ = ["TREND_OUTPUTS", "VALIDATED_COMMANDS", "FileInputs", "MapOptions", "Report", "border", "datasets",
           "draw_map", "export", "flows", "gaps", "index", "init", "report", "run", "study_file", "trend",
           "validate", "write_trend_outputs"]

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Report:
    """What a command did, for the terminal.

    Attributes
    ----------
    lines
        The summary to print.
    written
        Output name -> the file written.
    notes
        Clean-ups and remarks (e.g. the partial outputs of a killed run were removed).
    timings
        Seconds per stage.
    """

    lines: tuple[str, ...] = ()
    written: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    notes: tuple[str, ...] = ()
    timings: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def files(self) -> list[str]:
        """One line per file written, with its size."""
        return [f"wrote {name}: {path} ({path.stat().st_size / 1e6:.2f} MB)" for name, path in self.written.items()
                if path.exists()]


@dataclasses.dataclass(frozen=True)
class FileInputs:
    """Files and columns given on the command line instead of (or over) a study file.

    Attributes
    ----------
    regions, indicators
        The region layer and indicator table.
    values
        Other study keys, ``"section.key"`` -> value (``"regions.id"``, ``"indicators.decimal"``...).
    components
        The index components by name (``--components``), each one indicator of the table unless
        the study file has a component of that name; without a study file, every indicator of
        the table when empty.
    """

    regions: Path | None = None
    indicators: Path | None = None
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    components: tuple[str, ...] = ()


def study_for(path: str | os.PathLike[str] | None, files: FileInputs | None = None,
              values: Mapping[str, Any] | None = None) -> Study:
    """The study a command works on: the file named, the bundled one, or files given as options.

    Parameters
    ----------
    path
        The study file; ``None`` for the bundled study.
    files
        Files and columns given as options.
    values
        Study keys given as options (``"robustness.draws"`` -> 500...).

    Returns
    -------
    Study
        The checked study.
    """
    base = load_study(path)
    files = files or FileInputs()
    merged = {**files.values, **(values or {})}
    if files.regions is None and files.indicators is None and not files.components:
        return base.with_values(merged)
    study = files_study(base, regions=files.regions, indicators=files.indicators, values=merged,
                        from_file=path is not None)
    if not files.components and (path is not None or files.indicators is None):
        return study
    # the components: those asked for, else (no study file) every indicator of the table given
    indicators = study.indicators
    table = pipeline.load_indicators(study)
    available = list(dict.fromkeys(table["indicator"].dropna().astype(str)))
    asked = files.components or tuple(available)
    have = {c.name for c in study.index.components} if path is not None else set()
    missing = [name for name in asked if name not in available and name not in have]
    if missing:
        shown_names = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
        raise SchemaError(f"--components {','.join(asked)}: the indicator table {indicators.path.name!r} has no "
                          f"indicator {', '.join(missing)}; its indicators are {shown_names or 'none'}: give "
                          "--components with some of them, comma-separated")
    return files_study(base, regions=files.regions, indicators=files.indicators, values=merged,
                       from_file=path is not None, components=asked)


@contextlib.contextmanager
def _writing(out: str | os.PathLike[str]) -> Iterator[None]:
    """Report a writer's file-system failure (a full disk, a file too large) as an output error.

    Writers fail in their own ways when the disk is full: an ``OSError``, GDAL's "Failed to
    commit transaction", SQLite's "database or disk is full". Raised inside an output set, the
    set is discarded, so the message can say that nothing was replaced.
    """
    import sqlite3

    import pyogrio.errors
    import rasterio.errors

    try:
        yield
    except (OSError, sqlite3.Error, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError, rasterio.errors.RasterioIOError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise OutputError(f"cannot write the outputs into {str(out)!r} ({type(exc).__name__}: {reason}); nothing "
                          "was replaced: check the free space and permissions there, or choose another --out") from None


# -- run, validate, init, datasets ---------------------------------------------------------------


def _run_outputs(study: Study) -> tuple[list[str], list[str]]:
    names = [study.outputs.geopackage, study.outputs.map]
    optional = [study.outputs.distance_raster] if study.raster.distance_raster else []
    return names, optional


def write_run_outputs(result: StudyResult, out: OutputSet, *, executor: Executor = SERIAL,
                      timings: dict[str, float] | None = None, threads: int = WRITER_THREADS) -> None:
    """Write a whole run's outputs into an open output set: GeoPackage, map and distance raster.

    From one map model, by :meth:`borderland.outputs.OutputSet.write`: one after another, or
    ``threads`` at once (the same files).

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.
    out
        Declares ``[outputs] geopackage``, ``map`` and, with ``[raster] distance_raster``, the raster.
    executor
        Where the distance raster's strips are computed (:mod:`borderland.compute`).
    timings
        Seconds per output are added here (``geopackage``, ``map``, ``distance raster``, each
        its writer's own time, which overlap when written at once; the map model they share
        counts with the GeoPackage).
    threads
        Outputs written at once (:data:`borderland.outputs.WRITER_THREADS` by default).
    """
    from borderland import export, maps

    study = result.study
    lap = Laps()
    # one model: the HTML map and the GeoPackage's QGIS styles show the same classes
    model = map_model(result)
    lap("model")

    def geopackage() -> None:
        layers, aliases = export.result_layers(result), export.result_aliases(result)
        export.write_geopackage(layers, out.path(study.outputs.geopackage), overwrite=True,
                                metadata=export.run_metadata(result), aliases=aliases,
                                styles=maps.layer_styles(layers, model, aliases={**export.FIELD_ALIASES, **aliases}))

    def html() -> None:
        maps.write_html(model, out.path(study.outputs.map), overwrite=True)

    writers: dict[str, Callable[[], None]] = {"geopackage": geopackage, "map": html}
    if study.raster.distance_raster and len(result.border_lines):
        from borderland import raster

        def distance() -> None:
            raster.distance_raster(result.border_lines, out.path(study.outputs.distance_raster),
                                   resolution_m=study.raster.resolution_m, mask=result.regions, overwrite=True,
                                   executor=executor)

        writers["distance raster"] = distance
    seconds = out.write(writers, threads=threads)
    seconds["geopackage"] += lap.times["model"]
    if timings is not None:
        timings.update(seconds)


def map_model(result: StudyResult, options: MapOptions | None = None) -> Any:
    """The one map model of a run, which the HTML map, the static map and the QGIS styles draw.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.
    options
        The ``borderland map`` options; by default every kind the study has.

    Returns
    -------
    borderland.maps.MapModel
        The layers, classes, colours and legends.
    """
    from borderland import maps

    study = result.study
    options = options or MapOptions()
    units = {c.name: c.unit for c in study.index.components if c.unit}
    columns = tuple(options.columns) if options.columns or options.kinds else tuple(units)
    # a column given alone draws that indicator alone
    kinds = list(options.kinds) or (["indicator"] if options.columns else None)
    spec = maps.MapSpec(kinds=kinds, columns=columns, units=units, classes=options.classes, scheme=options.scheme,
                        palette=options.palette, offline=options.offline, fragment=options.fragment,
                        title=options.title or f"{study.title} ({result.year})",
                        attribution=study.attribution.lines, stable_probability=study.robustness.stable_at,
                        typology_labels=study.typology.labels)
    return maps.map_model(result.regions, result.border_lines, result.pairs, spec=spec, countries=result.countries,
                          bands=result.bands, flows=result.flows)


def _computed(study: Study, stages: Sequence[str], on_stage: Progress | None,
              executor: Executor | None = None) -> StudyResult:
    """The pipeline's result, its heavy steps on ``executor``, or where ``[compute]`` says."""
    if executor is not None:
        return pipeline.run(study, stages=stages, on_stage=on_stage, executor=executor)
    with _where(study) as where:
        return pipeline.run(study, stages=stages, on_stage=on_stage, executor=where)


def _where(study: Study) -> contextlib.AbstractContextManager[Executor]:
    """The executor ``[compute]`` asks for, open for the ``with`` block."""
    from borderland import compute

    spec = study.compute
    return compute.executor(spec.scheduler, workers=spec.workers, memory_per_worker=spec.memory_per_worker,
                            chunk_regions=spec.chunk_regions)


def run(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
        overwrite: bool = False, on_stage: Progress | None = None, values: Mapping[str, Any] | None = None) -> Report:
    """``borderland run``: every stage of a study, and its map, GeoPackage and distance raster.

    Parameters
    ----------
    path
        The study file; the bundled study when omitted.
    out
        The output folder.
    overwrite
        Replace outputs that exist already.
    on_stage
        Called with each stage's name as it starts.

    values
        Study keys given as options (``"compute.scheduler"``...).

    Returns
    -------
    Report
        The run's summary and the files written.
    """
    path, here = _study_here(path)
    study = load_study(path).with_values(values or {})
    names, optional = _run_outputs(study)
    # the cluster stays open for the distance raster's strips
    with OutputSet(out, names, overwrite=overwrite, optional=optional) as output, _where(study) as where:
        result = _computed(study, pipeline.STAGES, on_stage, where)
        if on_stage:
            on_stage("outputs")
        timings = dict(result.timings)  # the stages', then each output's (borderland -v prints them)
        with _writing(out):
            write_run_outputs(result, output, executor=where, timings=timings)
    written = {kind: Path(out) / name for kind, name in (("geopackage", study.outputs.geopackage),
                                                          ("map", study.outputs.map),
                                                          ("distance raster", study.outputs.distance_raster))
               if (Path(out) / name).exists() and (name in names or name in optional)}
    return Report(lines=(result.summary(), result.join.summary(), result.repair.summary()), written=written,
                  notes=(*here, *output.notes), timings=timings)


#: The commands ``borderland validate --command`` predicts, with the pipeline stages whose input
#: checks each runs before computing (``trend`` runs the index stage's, then its own).
VALIDATED_COMMANDS: Final[Mapping[str, tuple[str, ...]]] = {
    "run": pipeline.STAGES, "index": ("load", "index"), "border": ("load", "index", "border"),
    "gaps": ("load", "index", "border", "gaps"), "flows": pipeline.STAGES, "map": pipeline.STAGES,
    "export": pipeline.STAGES, "report": pipeline.STAGES, "trend": ("load", "index"),
}


def _trade_needed(study: Study) -> None:
    if not study.trade.active:
        raise SchemaError("the study has no trade flows: set [trade] published (see the README's Study file)")


def validate(path: str | os.PathLike[str] | None = None, *, command: str = "run") -> Report:
    """``borderland validate``: the input checks of one command, computing nothing else.

    Without ``path``, a ``study.toml`` in the working folder is checked if there is one, else
    the bundled study. The checks are exactly those ``command`` runs before computing, so this
    fails (exit 1) where, and only where, that command would fail on input. A study file with
    ``[trend]`` validated for another command also gets ``borderland trend``'s checks, reported
    ("borderland trend would stop: ...") without failing.

    Parameters
    ----------
    path
        The study file.
    command
        One of :data:`VALIDATED_COMMANDS` (``"run"`` by default).

    Returns
    -------
    Report
        What was checked and found.
    """
    if command not in VALIDATED_COMMANDS:
        raise SchemaError(f"validate --command {command!r}: choose one of {', '.join(VALIDATED_COMMANDS)}")
    study = load_study(study_file(path))
    if command == "flows":
        _trade_needed(study)
    found = pipeline.validate(study, VALIDATED_COMMANDS[command])
    lines = [found.summary(command)]
    if command == "trend" or study.trend is not None:  # [trend] in the study file: what `trend` would check too
        from borderland import trend as trend_module

        try:
            prepared = trend_module.check(study, found.inputs, index_year=found.year)
        except BorderlandError as exc:
            if command == "trend":
                raise
            lines.append(f"borderland trend would stop: {exc}\n(`borderland {command}` does not use [trend]; "
                         "`borderland validate --command trend` fails on this)")
        else:
            left = len(prepared.panel.years) - len(prepared.years)
            lines.append(f"[trend]: {len(prepared.years)} year(s) kept ({', '.join(map(str, prepared.years))}), "
                         f"{left} left out: `borderland trend` will not fail on input")
    return Report(lines=tuple(lines))


def study_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The study file a command works on: the one named, else ``study.toml`` here, else none (bundled).

    Every command that takes a study (``run``, ``validate``, the step commands without layer or
    table options, ``export``, ``report``, ``trend``) picks the same one, so that ``validate``
    checks what ``run`` will run.

    Parameters
    ----------
    path
        The study file named on the command line, if any.

    Returns
    -------
    Path or None
        The file (absolute), or ``None`` for the bundled study.
    """
    if path is None:
        path = Path("study.toml") if Path("study.toml").is_file() else None
    return None if path is None else Path(path).absolute()



def _study_here(path: str | os.PathLike[str] | None,
                files: FileInputs | None = None) -> tuple[str | os.PathLike[str] | None, tuple[str, ...]]:
    """The study a command works on (:func:`study_file`), and a note saying so when it was found here.

    Layer or table options without a study file build a study on the bundled one's settings, as
    before: the folder's ``study.toml`` is not read then.
    """
    if path is not None or (files is not None and (files.regions is not None or files.indicators is not None
                                                   or files.components)):
        return path, ()
    found = study_file(None)
    if found is None:
        return None, ()
    return found, (f"study: {found} (the study.toml in this folder; name another study file to use it instead)",)


def init(folder: str | os.PathLike[str], *, overwrite: bool = False) -> Report:
    """``borderland init``: a commented study file and the bundled sample data to start from.

    Parameters
    ----------
    folder
        Where to write.
    overwrite
        Replace files that exist already.

    Returns
    -------
    Report
        The files written.
    """
    files = init_study(folder, overwrite=overwrite)
    return Report(lines=(f"next: edit {files[0]}, then `borderland run {files[0]}`",),
                  written={path.name: path for path in files})


def datasets() -> Report:
    """``borderland datasets``: what is bundled, and where (``geodata/`` of a checkout, or the installed copy)."""
    return Report(lines=(f"in {io.bundled('study.toml').parent}:",
                         *(f"{name:36s} {path.stat().st_size / 1e6:6.2f} MB  {what}"
                           for name, path, what in io.bundled_datasets())))


# -- step commands -------------------------------------------------------------------------------

#: Columns of the regions layer each step command writes (beside ``name``, ``country`` and the geometry).
_INDEX_COLUMNS: Final = ("component_share", "index", "typology", "rank", "rank_median", "rank_p05", "rank_p95",
                         "p_typology", "typology_unstable")


def index_layers(result: StudyResult) -> dict[str, pd.DataFrame]:
    """The layers ``borderland index`` writes: the index with its components and class probabilities."""
    components = set(result.study.index.indicator_names)
    keep = [c for c in result.regions.columns
            if c in components or c.endswith(("_year", "_imputed", "_beyond_goalposts"))
            or c in ("name", "country", *_INDEX_COLUMNS)
            or (c.startswith("p_") and c not in ("p_se",)) or c == "geometry"]
    layers: dict[str, pd.DataFrame] = {"index": result.regions[keep]}
    if result.coherence is not None:
        layers["coherence"] = result.coherence.table()
    return layers


def border_layers(result: StudyResult) -> dict[str, pd.DataFrame]:
    """The layers ``borderland border`` writes: lines, bands, the regions' border measures, the profile."""
    keep = [c for c in result.regions.columns
            if c in ("name", "country", "geometry", "border_order", "border_region")
            or "border_distance" in c or c.startswith("population")]
    layers: dict[str, pd.DataFrame] = {"border_lines": result.border_lines, "regions": result.regions[keep]}
    if result.bands is not None:
        layers["distance_bands"] = result.bands
    if result.profile is not None:
        layers["profile"] = result.profile.reset_index()
    return layers


def gaps_layers(result: StudyResult) -> dict[str, pd.DataFrame]:
    """The layers ``borderland gaps`` writes: pairs, segments and the regions."""
    return {"neighbour_pairs": result.pairs, "border_segments": result.segments, "regions": result.regions}


def select_flows(lines: gpd.GeoDataFrame, *, cross_border_only: bool = False, flow_type: str | None = None,
                 top: int | None = None) -> gpd.GeoDataFrame:
    """The flows ``borderland flows`` writes: across the border only, of one type, the largest N.

    Parameters
    ----------
    lines
        Flow lines (:func:`borderland.trade.flow_lines`).
    cross_border_only
        Keep flows between regions of different countries.
    flow_type
        Keep flows of this type.
    top
        Keep the ``top`` largest flows (of one type and unit).

    Returns
    -------
    geopandas.GeoDataFrame
        The flows kept.
    """
    if cross_border_only:
        lines = lines[lines["cross_border"].astype(bool)]
    if flow_type:
        lines = lines[lines["flow_type"] == flow_type]
    if top:
        from borderland import trade

        lines = trade.strongest_flows(lines, top, flow_type=flow_type)
    return lines


#: Layers each step command can write (for the output set, declared before computing).
_STEP_LAYERS: Final[Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # command: (layers always written, layers written when the study has them)
    "index": (("index",), ("coherence",)),
    "border": (("border_lines", "regions"), ("distance_bands", "profile")),
    "gaps": (("neighbour_pairs", "border_segments", "regions"), ()),
    "flows": (("trade_flows",), ()),
}


def _layer_files(layers: Sequence[str], formats: Sequence[str], stem: str) -> list[str]:
    from borderland import export

    files = []
    for fmt in dict.fromkeys(formats):
        spec = export.FORMATS[fmt]
        if spec is None:
            files.append(f"{stem}.gpkg")
        else:
            files += [f"{layer}{spec.suffix}" for layer in layers]
    return files


def _check_formats(formats: Sequence[str]) -> list[str]:
    from borderland import export

    unknown = [f for f in formats if f not in export.FORMATS]
    if unknown or not formats:
        raise SchemaError(f"unknown export format(s) {unknown or 'none given'}; choose from {list(export.FORMATS)}")
    return list(dict.fromkeys(formats))


def _step(command: str, study: Study, *, out: str | os.PathLike[str], formats: Sequence[str], overwrite: bool,
          stages: Sequence[str], extra: Sequence[str] = (), extra_optional: Sequence[str] = (),
          on_stage: Progress | None = None,
          write: Callable[[StudyResult, OutputSet, Executor], None] | None = None,
          layers: Callable[[StudyResult], dict[str, pd.DataFrame]]) -> tuple[StudyResult, Report]:
    from borderland import export

    formats = _check_formats(formats)
    always, sometimes = _STEP_LAYERS[command]
    names = _layer_files(always, formats, command) + list(extra)
    optional = [f for f in _layer_files(sometimes, formats, command) if f not in names] + list(extra_optional)
    if any(fmt != "gpkg" for fmt in formats):
        names.append(f"{command}_metadata.json")
    # the cluster of [compute] stays open for what a writer computes (the distance raster's strips)
    with OutputSet(out, names, overwrite=overwrite, optional=optional) as output, _where(study) as where:
        result = _computed(study, stages, on_stage, where)
        if on_stage:
            on_stage("outputs")
        with _writing(out):
            chosen = layers(result)
            metadata = export.run_metadata(result)
            aliases = export.result_aliases(result)
            styles: list[Any] = []
            if "gpkg" in formats:
                from borderland import maps

                styles = maps.layer_styles(chosen, aliases={**export.FIELD_ALIASES, **aliases},
                                           spec=maps.MapSpec(typology_labels=study.typology.labels))
            export.export_layers(chosen, output.staging, formats=formats, overwrite=True, name=command,
                                 metadata=metadata, aliases=aliases, styles=styles)
            if write is not None:
                write(result, output, where)
    written = {name: Path(out) / name for name in (*names, *optional) if (Path(out) / name).exists()}
    return result, Report(written=written, notes=tuple(output.notes), timings=result.timings)


def index(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
          formats: Sequence[str] = ("gpkg",), overwrite: bool = False, files: FileInputs | None = None,
          values: Mapping[str, Any] | None = None, on_stage: Progress | None = None) -> Report:
    """``borderland index``: the index, typology and class stability.

    Parameters
    ----------
    path, files, values
        The study (:func:`study_for`).
    out, formats, overwrite
        Where and how to write (``index.gpkg`` with layers ``index`` and ``coherence``).
    on_stage
        Progress callback.

    Returns
    -------
    Report
        The leaders and laggards, and the files written.
    """
    path, here = _study_here(path, files)
    study = study_for(path, files, values)
    result, report = _step("index", study, out=out, formats=formats, overwrite=overwrite,
                           stages=("load", "index"), layers=index_layers, on_stage=on_stage)
    return dataclasses.replace(report, notes=(*here, *report.notes), lines=(result.index_summary(),))


def border(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
           formats: Sequence[str] = ("gpkg",), overwrite: bool = False, files: FileInputs | None = None,
           values: Mapping[str, Any] | None = None, on_stage: Progress | None = None) -> Report:
    """``borderland border``: border lines, distances, rings, bands, population near the border.

    Writes ``border.gpkg`` (or the formats given), ``profile.png`` (the index by distance band
    and side) and, with ``[raster] distance_raster``, the distance raster.

    Returns
    -------
    Report
        The border summary, and the files written.
    """
    path, here = _study_here(path, files)
    study = study_for(path, files, values)
    raster_name = study.outputs.distance_raster

    def write(result: StudyResult, output: OutputSet, executor: Executor) -> None:
        if result.profile is not None:
            from borderland.maps.static import profile_chart

            profile_chart(result.profile, output.path("profile.png"), title=study.title,
                          attribution=study.attribution.lines, overwrite=True)
        if study.raster.distance_raster and len(result.border_lines):
            from borderland import raster

            raster.distance_raster(result.border_lines, output.path(raster_name),
                                   resolution_m=study.raster.resolution_m, mask=result.regions, overwrite=True,
                                   executor=executor)

    result, report = _step("border", study, out=out, formats=formats, overwrite=overwrite,
                           stages=("load", "index", "border"), layers=border_layers, on_stage=on_stage,
                           extra_optional=["profile.png", *([raster_name] if study.raster.distance_raster else [])],
                           write=write)
    return dataclasses.replace(report, notes=(*here, *report.notes), lines=(result.border_summary(),))


def gaps(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
         formats: Sequence[str] = ("gpkg",), overwrite: bool = False, files: FileInputs | None = None,
         values: Mapping[str, Any] | None = None, on_stage: Progress | None = None) -> Report:
    """``borderland gaps``: pairs and gaps, local deviation, LISA, segment summaries.

    Returns
    -------
    Report
        The segments, Moran's I and Theil, and the files written.
    """
    path, here = _study_here(path, files)
    study = study_for(path, files, values)
    result, report = _step("gaps", study, out=out, formats=formats, overwrite=overwrite,
                           stages=("load", "index", "border", "gaps"), layers=gaps_layers, on_stage=on_stage)
    return dataclasses.replace(report, notes=(*here, *report.notes), lines=(result.gaps_summary(),))


def flows(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
          formats: Sequence[str] = ("gpkg",), overwrite: bool = False, files: FileInputs | None = None,
          values: Mapping[str, Any] | None = None, cross_border_only: bool = False, flow_type: str | None = None,
          top: int | None = None, on_stage: Progress | None = None) -> Report:
    """``borderland flows``: trade flows matched to regions (or whole countries), as lines.

    Returns
    -------
    Report
        How the flows were matched, their labels, and the files written.
    """
    path, here = _study_here(path, files)
    study = study_for(path, files, values)
    _trade_needed(study)

    def chosen(result: StudyResult) -> dict[str, pd.DataFrame]:
        lines = result.flows
        if lines is None:
            raise SchemaError("the trade stage did not run: set [trade] published")
        return {"trade_flows": select_flows(lines, cross_border_only=cross_border_only, flow_type=flow_type,
                                            top=top)}

    result, report = _step("flows", study, out=out, formats=formats, overwrite=overwrite, stages=pipeline.STAGES,
                           layers=chosen, on_stage=on_stage)
    labels = [f"  {label}" for label in chosen(result)["trade_flows"].get("label", [])]
    return dataclasses.replace(report, notes=(*here, *report.notes), lines=(result.flow_report.summary(), *labels))


@dataclasses.dataclass(frozen=True)
class MapOptions:
    """The options of ``borderland map``.

    Attributes
    ----------
    kinds
        Map kinds (``maps.KINDS``); every kind the study has when empty.
    columns
        Indicator columns of the ``indicator`` kind.
    classes, scheme, palette
        Classes of the classed layers.
    title
        The map's title (the study's by default).
    offline
        Inline Leaflet and draw no tiles.
    fragment
        Write an embeddable ``<div>`` rather than a page.
    png
        Also write a static PNG.
    """

    kinds: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    classes: int = 5
    scheme: str = "quantiles"
    palette: str | None = None
    title: str | None = None
    offline: bool = True
    fragment: bool = False
    png: bool = False


def draw_map(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
             overwrite: bool = False, files: FileInputs | None = None, values: Mapping[str, Any] | None = None,
             options: MapOptions | None = None, on_stage: Progress | None = None) -> Report:
    """``borderland map``: an interactive map (offline by default) of the chosen kinds, and a PNG.

    Returns
    -------
    Report
        The files written.
    """
    path, here = _study_here(path, files)
    from borderland import maps

    options = options or MapOptions()
    study = study_for(path, files, values)
    name = "borderland_map_fragment.html" if options.fragment else study.outputs.map
    names = [name] + ([str(Path(name).with_suffix(".png"))] if options.png else [])
    with OutputSet(out, names, overwrite=overwrite) as output:
        result = _computed(study, pipeline.STAGES, on_stage)
        if on_stage:
            on_stage("outputs")
        with _writing(out):
            model = map_model(result, options)
            maps.write_html(model, output.path(name), overwrite=True)
            if options.png:
                maps.write_image(model, output.path(names[1]), overwrite=True)
    written = {("html" if n.endswith(".html") else "png"): Path(out) / n for n in names}
    return Report(written=written, notes=(*here, *output.notes), timings=result.timings)


def export(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
           formats: Sequence[str] = ("gpkg",), crs: str | None = None, overwrite: bool = False,
           on_stage: Progress | None = None) -> Report:
    """``borderland export``: every result layer and table in GIS formats, with styles and metadata.

    Returns
    -------
    Report
        The files written.
    """
    path, here = _study_here(path)
    from borderland import export as export_module

    formats = _check_formats(formats)
    if crs is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError as ProjError

        try:
            CRS.from_user_input(crs)
        except ProjError:
            raise SchemaError(f"--crs {crs!r} is not a CRS pyproj knows; give e.g. EPSG:4326") from None
    study = load_study(path)
    stem = Path(study.outputs.geopackage).stem
    layer_names = list(export_module.RESULT_LAYERS)
    names = _layer_files(["regions"], formats, stem)
    optional = [f for f in _layer_files(layer_names, formats, stem) if f not in names]
    if any(fmt != "gpkg" for fmt in formats):
        names.append(f"{stem}_metadata.json")
    with OutputSet(out, names, overwrite=overwrite, optional=optional) as output:
        result = _computed(study, pipeline.STAGES, on_stage)
        if on_stage:
            on_stage("outputs")
        with _writing(out):
            styles: list[Any] = []
            if "gpkg" in formats:
                from borderland import maps

                layers, aliases = export_module.result_layers(result), export_module.result_aliases(result)
                styles = maps.layer_styles(layers, map_model(result),
                                           aliases={**export_module.FIELD_ALIASES, **aliases})
            export_module.export_result(result, output.staging, formats=formats, crs=crs, overwrite=True,
                                        styles=styles)
    written = {name: Path(out) / name for name in (*names, *optional) if (Path(out) / name).exists()}
    return Report(written=written, notes=(*here, *output.notes), timings=result.timings)


def report(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps", lang: str = "en",
           pdf: bool = False, overwrite: bool = False, on_stage: Progress | None = None,
           values: Mapping[str, Any] | None = None) -> Report:
    """``borderland report``: the study's report as one self-contained HTML page, and with ``pdf`` a PDF of it.

    Writes ``borderland_report_<lang>.html`` (and ``.pdf``) into ``out``, together: the output
    set is opened, and with ``pdf`` Chromium found, before anything is read or computed.

    Parameters
    ----------
    path
        The study file; the bundled study when omitted.
    out
        The output folder.
    lang
        ``"en"`` or ``"ru"``.
    pdf
        Also print the PDF with headless Chromium (``$BORDERLAND_CHROMIUM`` or on ``PATH``).
    overwrite
        Replace files that exist already.
    on_stage
        Called with each stage's name as it starts.
    values
        Study keys given as options (``"compute.scheduler"``...).

    Returns
    -------
    Report
        The files written.

    Raises
    ------
    InputError
        ``pdf`` and no Chromium (the message says how to install it).
    """
    path, here = _study_here(path)
    from borderland import report as report_module

    if lang not in report_module.LANGUAGES:
        raise SchemaError(f"unknown report language {lang!r}; choose one of {sorted(report_module.LANGUAGES)}")
    study = load_study(path).with_values(values or {})
    names = report_module.report_names(lang, pdf=pdf)
    with OutputSet(out, names, overwrite=overwrite) as output:
        chromium = report_module.find_chromium() if pdf else None
        result = _computed(study, pipeline.STAGES, on_stage)
        if on_stage:
            on_stage("outputs")
        with _writing(out):
            staged = report_module.write_into(result, output, lang=lang, pdf=pdf, chromium=chromium)
    written = {kind: Path(out) / path.name for kind, path in staged.items()}
    return Report(written=written, notes=(*here, *output.notes), timings=result.timings)


# -- the study over the years --------------------------------------------------------------------

#: The files ``borderland trend`` writes into ``--out``: the GeoPackage of long tables, the map
#: with a year control, the small-multiple maps and the chart of each segment's gap over the years.
TREND_OUTPUTS: Final = ("trend.gpkg", "trend_map.html", "trend_maps.png", "trend_gaps.png")


def write_trend_outputs(result: Any, out: OutputSet) -> None:
    """Write ``borderland trend``'s outputs into an open output set.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.
    out
        Declares :data:`TREND_OUTPUTS`.
    """
    from borderland import export, maps
    from borderland.maps.static import gap_chart, small_multiples

    study = result.study
    label = "index on one scale" + (f" (base year {result.scale.base_year})" if result.scale.base_year else "")
    # one model: the page's year control and the GeoPackage's QGIS styles show the same classes
    spec = maps.MapSpec(title=f"{study.title}: {label}", attribution=study.attribution.lines)
    model = maps.trend_model(result.regions, result.index_by_year[["region", "year", "value", "flag"]],
                             lines=result.pairs[["region_a", "region_b", "geometry"]],
                             gaps_by_year=result.gaps_by_year[["pair", "year", "gap", "flag"]], spec=spec,
                             value_label=label, gap_label="gap, a - b")
    layers, aliases = export.trend_layers(result), export.trend_aliases(result)
    export.write_geopackage(layers, out.path(TREND_OUTPUTS[0]), overwrite=True, metadata=export.trend_metadata(result),
                            aliases=aliases, styles=maps.layer_styles(layers, model, aliases={**export.FIELD_ALIASES,
                                                                                              **aliases}))
    maps.write_html(model, out.path(TREND_OUTPUTS[1]), overwrite=True)
    gaps = result.gaps_by_year.pivot(index="pair", columns="year", values="gap")
    small_multiples(result.regions, result.matrix(), out.path(TREND_OUTPUTS[2]), years=list(result.map_years),
                    lines=result.pairs, gaps=gaps, title=f"{study.title}: {label}", value_label=label,
                    attribution=study.attribution.lines, overwrite=True)
    gap_chart(result.segments_by_year, out.path(TREND_OUTPUTS[3]),
              title=f"{study.title}: each border segment's gap over the years (mean weighted by shared length)",
              value_label="gap, a - b (index points)", attribution=study.attribution.lines, overwrite=True)


def trend(path: str | os.PathLike[str] | None = None, *, out: str | os.PathLike[str] = "maps",
          overwrite: bool = False, values: Mapping[str, Any] | None = None,
          on_stage: Progress | None = None) -> Report:
    """``borderland trend``: the study over the years, on one scale; the divide and convergence.

    Writes ``trend.gpkg`` (``index_by_year``, ``gaps_by_year``, ``convergence`` and the other long
    tables, each with an integer ``year`` and a DATE ``year_start``, styled for QGIS's temporal
    controller), ``trend_map.html`` (the map with a year control, offline), ``trend_maps.png``
    (a small map per year, in classes fixed across the years) and ``trend_gaps.png`` (each border
    segment's gap over the years), all or nothing.

    Parameters
    ----------
    path
        The study file; the bundled study when omitted.
    out, overwrite
        Where to write; replace outputs that exist already.
    values
        Study keys given as options (``"trend.years"`` -> ``"2006:2025"``...).
    on_stage
        Called with each step's name as it starts.

    Returns
    -------
    Report
        What changed over the years, and the files written.
    """
    path, here = _study_here(path)
    from borderland import trend as trend_module

    study = study_for(path, values=values)
    with OutputSet(out, TREND_OUTPUTS, overwrite=overwrite) as output:
        result = trend_module.run(study, on_stage=on_stage)
        if on_stage:
            on_stage("outputs")
        with _writing(out):
            write_trend_outputs(result, output)
    written = {name: Path(out) / name for name in TREND_OUTPUTS if (Path(out) / name).exists()}
    return Report(lines=(result.summary(),), written=written, notes=(*here, *output.notes), timings=result.timings)
