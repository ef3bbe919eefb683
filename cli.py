"""The ``borderland`` command line: parses options, calls one library function, prints what it reports.

Every command is one function of :mod:`borderland.commands`; the options that override study
keys take their ranges and choices from the study model (:mod:`borderland.study`) and the
registries, so an option and the key it overrides accept the same values.

Exit codes: 0 success, 1 a data or input problem (the message says what and how to fix it, and
no output is written or changed), 2 a usage error (unknown option, a value out of range), 130
interrupted (Ctrl-C; one line says whether the new outputs were already in place or nothing
was changed).
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from borderland import __version__, outputs
from borderland.errors import BorderlandError, UsageError
from borderland.specs import Invalid, printable


def _say(ctx: click.Context, *lines: str, err: bool = False) -> None:
    """Print lines that may hold text from the user's data, with control characters escaped."""
    if ctx.obj.get("quiet") and not err:
        return
    for line in lines:
        click.echo(printable(line, lines=True), err=err)


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a BorderlandError into one clean message and exit code 1 (a traceback only with -vv)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(printable(str(exc), lines=True), ctx) from None
        except BorderlandError as exc:
            if ctx.obj.get("verbose", 0) > 1:
                raise
            _say(ctx, f"Error: {exc}", *_given_on_the_command_line(ctx, str(exc)), err=True)
            ctx.exit(1)

    return wrapper


def _given_on_the_command_line(ctx: click.Context, message: str) -> list[str]:
    """A note for each study key the message names that an option of this command line set.

    The library's messages name the study key (``[index] year``), which is what a study file
    user edits; a user who typed ``--year 2030`` must be told that the fix is the option.
    """
    notes = []
    for param in ctx.command.params:
        if not isinstance(param.type, StudyValue) or param.name is None:
            continue
        if ctx.get_parameter_source(param.name) is not click.core.ParameterSource.COMMANDLINE:
            continue
        section, key = param.type.key.split(".", 1)
        if f"[{section}] {key}" in message:
            option = max(param.opts, key=len)
            notes.append(f"  note: [{section}] {key} came from the command line ({option} "
                         f"{ctx.params.get(param.name)!s}): change the option or leave it out to use the study's")
    return notes


#: The exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


class _Commands(click.Group):
    """The command group: an interrupt says in one line what it left on disk, and exits with 130."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a Ctrl-C ends it with what it left on disk rather than click's "Aborted!"."""
        since = len(outputs.commits())
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # the output sets commit whole or not at all: either this command's are in place, or nothing changed
            click.echo(outputs.interrupted(since), err=True)
            ctx.exit(INTERRUPTED)


class StudyValue(click.ParamType):
    """An option that overrides a study key: read as ``base``, then checked as the study file checks it."""

    def __init__(self, key: str, base: click.ParamType) -> None:
        self.key = key
        self.base = base
        self.name = base.name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Read the value as the base type, then check it as the study key is checked."""
        from borderland.study import option_check

        typed = self.base.convert(value, param, ctx)
        try:
            return option_check(self.key)(typed)
        except Invalid as bad:
            self.fail(f"{value!r}: {bad} (as [{self.key.replace('.', '] ', 1)} in a study file)", param, ctx)


def _choice(names: Iterable[str]) -> click.Choice:
    return click.Choice(sorted(names))


def _registries() -> dict[str, click.Choice]:
    """Click choices from the library's registries (imported when the command line is built)."""
    from borderland import commands, export, index, maps, study, typology

    return {
        "command": click.Choice(list(commands.VALIDATED_COMMANDS)),
        "normalisation": _choice(index.NORMALISERS), "aggregation": _choice(index.AGGREGATORS),
        "weighting": _choice(index.WEIGHTINGS), "typology": _choice(typology.RULES),
        "origin": _choice(study.DISTANCE_ORIGINS), "contiguity": _choice(study.CONTIGUITY),
        "flow_type": _choice(study.FLOW_TYPES), "kind": _choice(maps.KINDS), "scheme": _choice(maps.SCHEMES),
        "format": _choice(export.FORMATS),
    }


CHOICES = _registries()


class _Palette(click.ParamType):
    """A ColorBrewer palette of the maps' registry (``_r`` reverses it): a usage error otherwise."""

    name = "palette"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Check the name against the palettes the maps draw with."""
        import difflib

        from borderland.maps.palettes import palette_names

        names = palette_names()
        text = str(value)
        if text.removesuffix("_r") in names:
            return text
        lower = {n.lower(): n for n in names}
        close = [lower[c] for c in difflib.get_close_matches(text.lower().removesuffix("_r"), lower, n=3)]
        hint = f"did you mean {', '.join(close)}? " if close else ""
        self.fail(f"{text!r} is not a ColorBrewer palette; {hint}choose one of {', '.join(names)} (add _r to reverse "
                  "one)", param, ctx)


class _Progress:
    """A progress bar over the stages, on a terminal only; the stage times with -v."""

    def __init__(self, ctx: click.Context, stages: int) -> None:
        self.bar = click.progressbar(length=stages, label="borderland", file=sys.stderr,
                                     hidden=ctx.obj["quiet"] or not sys.stderr.isatty(),
                                     item_show_func=lambda name: name)

    def __enter__(self) -> Callable[[str], None]:
        self.bar.__enter__()
        return lambda name: self.bar.update(1, name)

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


def _report(ctx: click.Context, report: Any, started: float | None = None) -> None:
    _say(ctx, *report.notes)
    _say(ctx, *report.lines)
    _say(ctx, *report.files())
    if ctx.obj.get("verbose") and report.timings:
        _say(ctx, "time per stage: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items()))
    if started is not None:
        _say(ctx, f"done in {time.perf_counter() - started:.1f} s")


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="borderland")
@click.option("-v", "--verbose", count=True,
              help="-v prints the time of each stage; -vv shows an error's traceback (give it before the "
                   "command: borderland -v run).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Digital divides across state borders: index, typology, border distances, gaps, maps.

    \b
    Example:
        borderland run                 # ./study.toml, else the bundled study of Russia's western borderland
        borderland run my_study.toml --out results --overwrite
    """
    ctx.ensure_object(dict)
    ctx.obj.update(verbose=verbose, quiet=quiet)


_STUDY = click.argument("study", required=False, type=click.Path(dir_okay=False, path_type=Path))
_OUT = click.option("--out", "out", default="maps", show_default=True,
                    type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
_OVERWRITE = click.option("--overwrite", is_flag=True, help="Replace outputs that exist already.")
_SCHEDULER = click.option("--scheduler", "compute__scheduler", type=StudyValue("compute.scheduler", click.STRING),
                          help="Run the heavy steps on a dask cluster: its scheduler's address (tcp://host:8786), "
                               "or 'local' for a cluster on this machine ([compute] in the study file).")




@cli.command()
@_STUDY
@_OUT
@_OVERWRITE
@_SCHEDULER
@click.pass_context
@_reports_errors
def run(ctx: click.Context, study: Path | None, out: Path, overwrite: bool, **options: Any) -> None:
    """Run a whole study and write its outputs (without STUDY: ./study.toml, else the bundled study).

    \b
    Writes OUT/borderland_map.html (interactive, works offline), OUT/borderland.gpkg (regions,
    border lines, neighbour pairs, distance bands, border segments, trade flows and the result
    tables, styled for QGIS) and, when the study asks, OUT/distance_to_border.tif. The files are
    written together: a failure, or an interruption, leaves the earlier ones as they were.

    \b
    Example:
        borderland run --out results
        borderland run my_study.toml --scheduler tcp://scheduler:8786
    """
    from borderland import commands, pipeline

    started = time.perf_counter()
    with _Progress(ctx, len(pipeline.STAGES) + 1) as progress:
        report = commands.run(study, out=out, overwrite=overwrite, on_stage=progress, values=_keys(options))
    _report(ctx, report, started)


@cli.command()
@_STUDY
@click.option("--command", "command", type=CHOICES["command"], default="run", show_default=True,
              help="The command whose input checks to run: validate fails exactly where it would fail on input.")
@click.pass_context
@_reports_errors
def validate(ctx: click.Context, study: Path | None, command: str) -> None:
    """Check a study's inputs as `run` (or --command) would, without computing or writing anything.

    Without STUDY, a study.toml in the current folder is checked, else the bundled study; the
    first line says which. The exit code is the command's on input: 0 where it would run, 1 where
    it would stop. A study file with [trend] also gets the checks of `borderland trend`, listed
    ("borderland trend would stop: ...") without failing unless --command trend.

    \b
    Example:
        borderland validate my_study.toml
        borderland validate my_study.toml --command trend
    """
    from borderland import commands

    checked = commands.study_file(study)
    # said first, so that a failure names the study too
    _say(ctx, f"checking {checked}" if checked is not None else "checking the bundled study")
    _report(ctx, commands.validate(checked, command=command))


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_OVERWRITE
@click.pass_context
@_reports_errors
def init(ctx: click.Context, folder: Path, overwrite: bool) -> None:
    """Write a commented study file and sample tables (the bundled study) into FOLDER to start from.

    \b
    Example:
        borderland init my_study && borderland run my_study/study.toml --out my_study/out
    """
    from borderland import commands

    report = commands.init(folder, overwrite=overwrite)
    _say(ctx, *(f"wrote {path}" for path in report.written.values()), *report.lines)


@cli.command()
@click.pass_context
def datasets(ctx: click.Context) -> None:
    """List the bundled data (sources and licences: geodata/README.md).

    \b
    Example:
        borderland datasets
    """
    from borderland import commands

    _say(ctx, *commands.datasets().lines)


#: Options of the step commands that give files instead of a study file: option -> study key.
_FILE_OPTIONS: dict[str, str] = {
    "regions_layer": "regions.layer", "id_column": "regions.id", "name_column": "regions.name",
    "country_column": "regions.country", "indicators_id": "indicators.id", "indicators_decimal": "indicators.decimal",
    "focus_country": "study.focus_country",
}


def _step_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """STUDY, the options that let a step command run on files given as arguments, --out, --format."""
    options = [
        _STUDY,
        click.option("--regions", "regions_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Region layer (any vector format); replaces the study's."),
        click.option("--layer", "regions_layer", type=StudyValue("regions.layer", click.STRING),
                     help="Layer name in the region file."),
        click.option("--id-column", type=StudyValue("regions.id", click.STRING), help="Column of region codes."),
        click.option("--name-column", type=StudyValue("regions.name", click.STRING), help="Column of region names."),
        click.option("--country-column", type=StudyValue("regions.country", click.STRING),
                     help="Column of ISO alpha-2 country codes."),
        click.option("--indicators", "indicators_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Indicator table (CSV, Excel, Parquet; tidy long layout)."),
        click.option("--indicators-id-column", "indicators_id", type=StudyValue("indicators.id", click.STRING),
                     help="Column of region codes in the indicator table."),
        click.option("--decimal", "indicators_decimal", type=click.Choice([".", ","]),
                     help="Decimal separator of the indicator table (detected when omitted)."),
        click.option("--focus-country", type=StudyValue("study.focus_country", click.STRING),
                     help="Country named first in border segments (e.g. RU)."),
        click.option("--components", "components", type=_Names(),
                     help="Index components, comma-separated: indicators of the table (or components of the study "
                          "file). Default without a study file: every indicator of the --indicators table."),
        _OUT,
        click.option("--format", "formats", default="gpkg", show_default=True, type=_Formats(),
                     help="Comma-separated: gpkg, geoparquet, geojson (always EPSG:4326), csv."),
        _OVERWRITE,
        _SCHEDULER,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _inputs(options: dict[str, Any]) -> Any:
    """Pop the file options into a FileInputs."""
    from borderland.commands import FileInputs

    values = {key: options.pop(name) for name, key in _FILE_OPTIONS.items()}
    regions, indicators = options.pop("regions_path"), options.pop("indicators_path")
    return FileInputs(regions=regions, indicators=indicators, values={k: v for k, v in values.items() if v is not None},
                      components=options.pop("components", None) or ())


def _keys(options: dict[str, Any]) -> dict[str, Any]:
    """Options named after study keys (``index__normalisation``) as ``"index.normalisation"`` -> value."""
    return {name.replace("__", ".", 1): value for name, value in options.items() if "__" in name}


class _Crs(click.ParamType):
    """A CRS pyproj knows."""

    name = "crs"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Check the CRS with pyproj."""
        from pyproj import CRS
        from pyproj.exceptions import CRSError as ProjError

        try:
            CRS.from_user_input(value)
        except ProjError:
            self.fail(f"{value!r} is not a CRS pyproj knows; give e.g. EPSG:4326", param, ctx)
        return str(value)


class _Names(click.ParamType):
    """Names, comma-separated (``access,broadband``)."""

    name = "names"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        """Split at commas."""
        if isinstance(value, tuple):
            return value
        names = tuple(dict.fromkeys(part.strip() for part in str(value).split(",") if part.strip()))
        if not names:
            self.fail(f"{value!r}: give one or more names, comma-separated", param, ctx)
        return names


class _Formats(click.ParamType):
    """Output formats, comma-separated (``gpkg,csv``), each one of the export registry's."""

    name = "formats"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        """Split at commas and check each format."""
        if isinstance(value, tuple):
            return value
        chosen = tuple(part.strip() for part in str(value).split(",") if part.strip())
        valid = CHOICES["format"].choices
        unknown = [f for f in chosen if f not in valid]
        if unknown or not chosen:
            self.fail(f"{value!r}: choose one or more of {', '.join(map(str, valid))}, comma-separated", param, ctx)
        return chosen


@cli.command()
@_step_options
@click.option("--normalisation", "index__normalisation", type=CHOICES["normalisation"],
              help="How each component is rescaled.")
@click.option("--aggregation", "index__aggregation", type=CHOICES["aggregation"], help="How components combine.")
@click.option("--weighting", "index__weighting", type=CHOICES["weighting"], help="Weights of the components.")
@click.option("--year", "index__year", type=StudyValue("index.year", click.INT),
              help="Indicator year (default: the study's rule).")
@click.option("--typology", "typology_method", type=CHOICES["typology"], help="Rule for leaders / moderate / lagging.")
@click.option("-k", "typology_k", type=click.FloatRange(0, min_open=True), help="k of the mean ± k sd rule.")
@click.option("--draws", "robustness__draws", type=StudyValue("robustness.draws", click.INT),
              help="Monte Carlo draws for class stability (0 = off).")
@click.option("--seed", "robustness__seed", type=StudyValue("robustness.seed", click.INT),
              help="Seed of the Monte Carlo draws.")
@click.pass_context
@_reports_errors
def index(ctx: click.Context, study: Path | None, out: Path, formats: tuple[str, ...], overwrite: bool,
          typology_method: str | None, typology_k: float | None, **options: Any) -> None:
    """Compute the composite index and typology, with class stability, and write them.

    \b
    Writes OUT/index.gpkg (layers index, with the class probabilities, and coherence) or the
    --format given.

    \b
    Example:
        borderland index --normalisation rank --typology quantiles --draws 500 --out results
    """
    from borderland import commands

    files = _inputs(options)
    values = {**_keys(options), **_typology(typology_method, typology_k)}
    with _Progress(ctx, 3) as progress:
        report = commands.index(study, out=out, formats=formats, overwrite=overwrite, files=files, values=values,
                                on_stage=progress)
    _report(ctx, report)


def _typology(method: str | None, k: float | None) -> dict[str, Any]:
    if method is None and k is None:
        return {}
    return {"typology.method": method, "typology.k": k}


@cli.command(name="border")
@_step_options
@click.option("--origin", "border__distance_origin", type=CHOICES["origin"],
              help="Where each region's distance to the border is measured from.")
@click.option("--within-km", "raster__within_km", type=StudyValue("raster.within_km", click.FLOAT),
              help="Population within this distance of the border (default 25).")
@click.option("--raster/--no-raster", "raster__distance_raster", default=None,
              help="Also write a GeoTIFF of the distance to the border.")
@click.option("--resolution", "raster__resolution_m", type=StudyValue("raster.resolution_m", click.FLOAT),
              help="Cell size of the distance raster in metres.")
@click.pass_context
@_reports_errors
def border_command(ctx: click.Context, study: Path | None, out: Path, formats: tuple[str, ...], overwrite: bool,
                   **options: Any) -> None:
    """Border lines, distance to the border, border rings, distance bands and population near the border.

    \b
    Writes OUT/border.gpkg (layers border_lines, distance_bands, regions, profile), OUT/profile.png
    (the index by distance band and side) and, with --raster, OUT/distance_to_border.tif.

    \b
    Example:
        borderland border --origin population --within-km 50 --raster --out results
    """
    from borderland import commands

    files = _inputs(options)
    with _Progress(ctx, 4) as progress:
        report = commands.border(study, out=out, formats=formats, overwrite=overwrite, files=files,
                                 values=_keys(options), on_stage=progress)
    _report(ctx, report)


@cli.command()
@_step_options
@click.option("--contiguity", "gaps__contiguity", type=CHOICES["contiguity"],
              help="Shared edges only, or point contacts too.")
@click.option("--tolerance", "border__edge_tolerance_m", type=StudyValue("border.edge_tolerance_m", click.FLOAT),
              help="Snap tolerance in metres for shared edges.")
@click.option("--permutations", "gaps__permutations", type=StudyValue("gaps.permutations", click.INT),
              help="Permutations of Moran's I and LISA.")
@click.pass_context
@_reports_errors
def gaps(ctx: click.Context, study: Path | None, out: Path, formats: tuple[str, ...], overwrite: bool,
         **options: Any) -> None:
    """Neighbour pairs and gaps, local deviation, LISA, and summaries per border segment.

    \b
    Writes OUT/gaps.gpkg (layers neighbour_pairs, border_segments, regions) or the --format given.

    \b
    Example:
        borderland gaps --contiguity queen --out results --format gpkg,csv
    """
    from borderland import commands

    files = _inputs(options)
    with _Progress(ctx, 5) as progress:
        report = commands.gaps(study, out=out, formats=formats, overwrite=overwrite, files=files, values=_keys(options),
                               on_stage=progress)
    _report(ctx, report)


@cli.command()
@_step_options
@click.option("--cross-border-only", is_flag=True, help="Only flows between regions of different countries.")
@click.option("--flow-type", type=CHOICES["flow_type"], help="Only flows of this type.")
@click.option("--top", type=click.IntRange(1), help="Only the N largest flows (of one type and unit).")
@click.pass_context
@_reports_errors
def flows(ctx: click.Context, study: Path | None, out: Path, formats: tuple[str, ...], overwrite: bool,
          cross_border_only: bool, flow_type: str | None, top: int | None, **options: Any) -> None:
    """Trade flows between regions (and to whole countries), matched and drawn as lines.

    \b
    Writes OUT/flows.gpkg (layer trade_flows) or the --format given.

    \b
    Example:
        borderland flows --cross-border-only --flow-type growth_rate --out results
    """
    from borderland import commands

    files = _inputs(options)
    with _Progress(ctx, 6) as progress:
        report = commands.flows(study, out=out, formats=formats, overwrite=overwrite, files=files,
                                values=_keys(options), cross_border_only=cross_border_only, flow_type=flow_type,
                                top=top, on_stage=progress)
    _report(ctx, report)


@cli.command(name="map")
@_STUDY
@click.option("--regions", "regions_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Region layer (any vector format); replaces the study's.")
@click.option("--indicators", "indicators_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Indicator table; needed with --regions when no study file is given.")
@click.option("--kind", "kinds", multiple=True, type=CHOICES["kind"],
              help="Map kind (repeat for several layers); default: every kind the study has.")
@click.option("--column", "columns", multiple=True, help="Indicator column to map (repeatable).")
@click.option("--classes", type=click.IntRange(2, 9), default=5, show_default=True, help="Number of classes.")
@click.option("--scheme", type=CHOICES["scheme"], default="quantiles", show_default=True, help="How classes are cut.")
@click.option("--palette", type=_Palette(), help="ColorBrewer palette name (e.g. YlGnBu, RdPu; _r reverses it).")
@click.option("--title", help="Map title (default: the study's).")
@click.option("--offline/--online", default=True, show_default=True,
              help="Inline Leaflet and draw no tiles, or load Leaflet and OpenStreetMap tiles from the web.")
@click.option("--fragment", is_flag=True, help="Write an embeddable <div> with its scripts instead of a page.")
@click.option("--png", is_flag=True, help="Also write a static PNG (matplotlib) beside the HTML.")
@_OUT
@_OVERWRITE
@click.pass_context
@_reports_errors
def map_command(ctx: click.Context, study: Path | None, regions_path: Path | None, indicators_path: Path | None,
                out: Path, overwrite: bool, **options: Any) -> None:
    """Write an interactive map (offline by default) of the chosen kinds, and optionally a PNG.

    \b
    Writes OUT/borderland_map.html (or OUT/borderland_map_fragment.html with --fragment).

    \b
    Example:
        borderland map --kind typology --kind gaps --scheme natural_breaks --png --out results
    """
    from borderland import commands

    files = commands.FileInputs(regions=regions_path, indicators=indicators_path)
    with _Progress(ctx, 6) as progress:
        report = commands.draw_map(study, out=out, overwrite=overwrite, files=files,
                              options=commands.MapOptions(**options), on_stage=progress)
    _report(ctx, report)


@cli.command(name="export")
@_STUDY
@_OUT
@click.option("--format", "formats", default="gpkg", show_default=True, type=_Formats(),
              help="Comma-separated: gpkg, geoparquet, geojson (always EPSG:4326), csv.")
@click.option("--crs", type=_Crs(),
              help="CRS of the GeoPackage and GeoParquet layers (default: the study's, e.g. EPSG:3035).")
@_OVERWRITE
@click.pass_context
@_reports_errors
def export_command(ctx: click.Context, study: Path | None, out: Path, formats: tuple[str, ...], crs: str | None,
                   overwrite: bool) -> None:
    """Write every result layer and table in GIS formats, with styles (GeoPackage) and metadata.

    \b
    Example:
        borderland export --format gpkg,geojson,csv --crs EPSG:4326 --out results
    """
    from borderland import commands

    with _Progress(ctx, 6) as progress:
        report = commands.export(study, out=out, formats=formats, crs=crs, overwrite=overwrite, on_stage=progress)
    _report(ctx, report)


@cli.command(name="report")
@_STUDY
@_OUT
@click.option("--lang", type=click.Choice(["en", "ru"]), default="en", show_default=True,
              help="Language of the report's text and numbers (ru: Russian, decimal comma).")
@click.option("--pdf", is_flag=True,
              help="Also print a PDF of the report with headless Chromium (apt-get install chromium, or set "
                   "BORDERLAND_CHROMIUM to Chrome's path).")
@_OVERWRITE
@_SCHEDULER
@click.pass_context
@_reports_errors
def report_command(ctx: click.Context, study: Path | None, out: Path, lang: str, pdf: bool, overwrite: bool,
                   **options: Any) -> None:
    """Write the study's report: one self-contained HTML page (and, with --pdf, a PDF of it).

    \b
    Writes OUT/borderland_report_LANG.html: the findings, data coverage, sources and licences,
    the interactive map, tables and charts, every global statistic and every choice the run
    made, each number taken from the run's GeoPackage layers (each table names its layer).
    It works offline. With --pdf also OUT/borderland_report_LANG.pdf (A4, fonts embedded).

    \b
    Example:
        borderland report --out results
        borderland report my_study.toml --lang ru --pdf --out results --overwrite
    """
    from borderland import commands, pipeline

    started = time.perf_counter()
    with _Progress(ctx, len(pipeline.STAGES) + 1) as progress:
        report = commands.report(study, out=out, lang=lang, pdf=pdf, overwrite=overwrite, on_stage=progress,
                                 values=_keys(options))
    _report(ctx, report, started)


@cli.command(name="trend")
@_STUDY
@click.option("--years", "trend__years", type=StudyValue("trend.years", click.STRING),
              help="First and last year, FIRST:LAST (e.g. 2006:2025); every year with data by default.")
@click.option("--scale", "trend__scale", type=StudyValue("trend.scale", click.STRING),
              help="One scale for every year: base_year (a base year's min and max; default), goalposts, pooled.")
@click.option("--base-year", "trend__base_year", type=StudyValue("trend.base_year", click.INT),
              help="The year whose min and max fix the scale (default: the run's index year).")
@click.option("--min-regions-per-side", "trend__min_regions_per_side",
              type=StudyValue("trend.min_regions_per_side", click.INT),
              help="A year with fewer indexed regions on a side is left out, and listed (default 3).")
@click.option("--interpolate", "trend__interpolate", type=StudyValue("trend.interpolate", click.STRING),
              help="linear: fill a year between two observed ones, marked; none (default): nothing is filled.")
@_OUT
@_OVERWRITE
@click.pass_context
@_reports_errors
def trend_command(ctx: click.Context, study: Path | None, out: Path, overwrite: bool, **options: Any) -> None:
    """Follow a study over the years: the index on one scale, each gap's trend, convergence.

    \b
    Writes OUT/trend.gpkg (index_by_year, gaps_by_year, convergence and more long tables, each with
    a year and a year_start date for QGIS's temporal controller), OUT/trend_map.html (a map with a
    year control, offline), OUT/trend_maps.png (one small map per year, the same classes every year)
    and OUT/trend_gaps.png (each border segment's gap over the years). Years with too few regions
    on a side are left out and listed; changes of definition, source or codes are flagged; nothing
    is interpolated unless asked.

    \b
    Example:
        borderland trend geodata/europe/study.toml --years 2006:2025 --out results
    """
    from borderland import commands

    with _Progress(ctx, 3) as progress:
        report = commands.trend(study, out=out, overwrite=overwrite, values=_keys(options), on_stage=progress)
    _report(ctx, report)


def main() -> None:
    """Entry point of the ``borderland`` command."""
    cli(obj={}, prog_name="borderland")


if __name__ == "__main__":
    main()
