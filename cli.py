"""The ``borderland`` command line: parses options, calls the library, reports.

Exit codes: 0 success, 1 a data or input problem (the message says what and how to fix it),
2 a usage error (unknown option, missing argument).
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from borderland import __version__
from borderland.errors import BorderlandError


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a BorderlandError into one clean line and exit code 1 (a traceback only with -v)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return command(*args, **kwargs)
        except BorderlandError as exc:
            if ctx.obj.get("verbose", 0) > 0:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="borderland")
@click.option("-v", "--verbose", count=True,
              help="Errors show their traceback (give it before the command: borderland -v run).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Digital divides across state borders: index, typology, border distances, gaps, maps.

    \b
    Example:
        borderland run                 # the bundled study of Russia's western borderland
        borderland run my_study.toml --out results --overwrite
    """
    ctx.ensure_object(dict)
    ctx.obj.update(verbose=verbose, quiet=quiet)


@cli.command()
@click.argument("study", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="maps", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the map and the GeoPackage.")
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist already.")
@click.pass_context
@_reports_errors
def run(ctx: click.Context, study: Path | None, out_dir: Path, overwrite: bool) -> None:
    """Run a whole study (the bundled default when STUDY is omitted) and write its outputs.

    \b
    Writes OUT/borderland_map.html (interactive, works offline), OUT/borderland.gpkg (regions,
    border lines, neighbour pairs, distance bands, border segments, trade flows and the result
    tables, styled for QGIS) and, when the study asks, OUT/distance_to_border.tif.

    \b
    Example:
        borderland run --out results
    """
    from borderland import export, pipeline

    started = time.perf_counter()
    loaded = pipeline.load_study(study)
    show_progress = not ctx.obj["quiet"] and sys.stderr.isatty()
    with click.progressbar(length=len(pipeline.STEPS), label="borderland", file=sys.stderr,
                           hidden=not show_progress, item_show_func=lambda name: name) as bar:
        result = pipeline.run(loaded, on_step=lambda name: bar.update(1, name))
    written = export.write_outputs(result, out_dir, overwrite=overwrite)
    if ctx.obj["quiet"]:
        return
    click.echo(result.summary())
    click.echo(result.join.summary())
    click.echo(result.repair.summary())
    for kind, path in written.items():
        click.echo(f"wrote {kind}: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    click.echo(f"done in {time.perf_counter() - started:.1f} s")


@cli.command()
@click.argument("study", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_reports_errors
def validate(ctx: click.Context, study: Path | None) -> None:
    """Check a study's inputs and print how the indicator codes meet the regions, computing nothing else.

    \b
    Example:
        borderland validate my_study.toml
    """
    from borderland import indicators, pipeline

    loaded = pipeline.load_study(study)
    regions, repair = pipeline.load_regions(loaded)
    table = pipeline.load_indicators(loaded)
    join = indicators.match_codes(regions, table)
    if loaded.index.year is None:
        year, counts = indicators.choose_year(table, regions, loaded.index.indicator_names,
                                              focus_country=loaded.focus_country)
    else:
        year, counts = loaded.index.year, None
    if ctx.obj["quiet"]:
        return
    click.echo(f"study: {loaded.source_file}")
    click.echo(f"regions: {len(regions)} in {regions['country'].nunique()} countries ({loaded.regions_path})")
    click.echo(f"indicator rows: {len(table)} ({loaded.indicators_path})")
    click.echo(join.summary())
    click.echo(repair.summary())
    if counts is not None:
        click.echo("regions with every index component, by year:")
        click.echo(counts[counts["total"] > 0].to_string())
    click.echo(f"index year: {year}{' (auto)' if counts is not None else ''}")


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace a study file that exists already.")
@click.pass_context
@_reports_errors
def init(ctx: click.Context, folder: Path, overwrite: bool) -> None:
    """Write a commented study file and sample tables (the bundled study) into FOLDER to start from.

    \b
    Example:
        borderland init my_study && borderland run my_study/study.toml --out my_study/out
    """
    from borderland import pipeline

    written = pipeline.init_study(folder, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        for path in written:
            click.echo(f"wrote {path}")
        click.echo(f"next: edit {written[0]}, then `borderland run {written[0]}`")


@cli.command()
@click.pass_context
def datasets(ctx: click.Context) -> None:
    """List the bundled data (sources and licences: geodata/README.md).

    \b
    Example:
        borderland datasets
    """
    from borderland import io

    for name, path, what in io.bundled_datasets():
        click.echo(f"{name:36s} {path.stat().st_size / 1e6:6.2f} MB  {what}")


def _study_inputs(command: Callable[..., Any]) -> Callable[..., Any]:
    """STUDY and the options that let a step command run on files given as arguments instead."""
    options = [
        click.argument("study", required=False, type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--regions", "regions_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Region layer (any vector format); replaces the study's."),
        click.option("--layer", "regions_layer", help="Layer name in the region file."),
        click.option("--id-column", "id_column", help="Column of region codes."),
        click.option("--name-column", "name_column", help="Column of region names."),
        click.option("--country-column", "country_column", help="Column of ISO alpha-2 country codes."),
        click.option("--indicators", "indicators_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Indicator table (CSV, Excel, Parquet; tidy long layout)."),
        click.option("--indicators-id-column", "indicators_id", help="Column of region codes in the indicator table."),
        click.option("--decimal", "indicators_decimal", help="Decimal separator of the indicator table (e.g. ',')."),
        click.option("--focus-country", help="Country named first in border segments (e.g. RU)."),
        click.option("--out", "out_dir", default="maps", show_default=True,
                     type=click.Path(file_okay=False, path_type=Path), help="Output folder."),
        click.option("--format", "formats", default="gpkg", show_default=True,
                     help="Comma-separated: gpkg, geoparquet, geojson, csv."),
        click.option("--overwrite", is_flag=True, help="Replace outputs that exist already."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


_INPUT_KEYS = ("regions_path", "regions_layer", "id_column", "name_column", "country_column", "indicators_path",
               "indicators_id", "indicators_decimal", "focus_country")


def _run_step(ctx: click.Context, study: Path | None, inputs: dict[str, Any], **overrides: Any) -> Any:
    """Load the study (bundled by default), apply the command-line overrides and run it."""
    from borderland import pipeline

    given = {k: inputs.pop(k) for k in _INPUT_KEYS}
    base = pipeline.load_study(study)
    if study is None and given["regions_path"] is not None and given["indicators_path"] is None:
        raise click.UsageError("--regions without a study file needs --indicators too: the bundled study's "
                               "indicators belong to its own regions")
    if study is None and given["regions_path"] is not None:
        # files given without a study: the bundled study's settings, none of its other inputs
        base = pipeline.with_overrides(base, regions_layer="", focus_country="", published="", trade_published="",
                                       trade_countries="",
                                       trade_year="")
    loaded = pipeline.with_overrides(base, **given, **overrides)
    show_progress = not ctx.obj["quiet"] and sys.stderr.isatty()
    with click.progressbar(length=len(pipeline.STEPS), label="borderland", file=sys.stderr,
                           hidden=not show_progress, item_show_func=lambda name: name) as bar:
        return pipeline.run(loaded, on_step=lambda name: bar.update(1, name))


def _write(ctx: click.Context, layers: dict[str, Any], out_dir: Path, formats: str, overwrite: bool,
           name: str) -> None:
    from borderland import export, maps

    written = export.export_layers(layers, out_dir, formats=[f.strip() for f in formats.split(",") if f.strip()],
                                   overwrite=overwrite, name=name,
                                   styles=maps.layer_styles(layers, aliases=export.FIELD_ALIASES))
    if not ctx.obj["quiet"]:
        for paths in written.values():
            for path in paths:
                click.echo(f"wrote {path}")


@cli.command()
@_study_inputs
@click.option("--normalisation", type=click.Choice(["minmax", "goalposts", "zscore", "rank", "reference"]),
              help="How each component is rescaled.")
@click.option("--aggregation", type=click.Choice(["arithmetic", "geometric"]), help="How components combine.")
@click.option("--weighting", type=click.Choice(["user", "equal", "pca"]), help="Weights of the components.")
@click.option("--year", type=int, help="Indicator year (default: the study's rule).")
@click.option("--typology", "typology_method",
              type=click.Choice(["mean_sd", "reference_bands", "quantiles", "natural_breaks", "thresholds"]),
              help="Rule for leaders / moderate / lagging.")
@click.option("-k", "typology_k", type=float, help="k of the mean ± k sd rule.")
@click.option("--draws", "robustness_draws", type=int, help="Monte Carlo draws for class stability (0 = off).")
@click.option("--seed", "robustness_seed", type=int, help="Seed of the Monte Carlo draws.")
@click.pass_context
@_reports_errors
def index(ctx: click.Context, study: Path | None, out_dir: Path, formats: str, overwrite: bool,
          **options: Any) -> None:
    """Compute the composite index and typology, with class stability, and write them.

    \b
    Writes OUT/index.gpkg (layers index, with the class probabilities, and coherence) or the
    --format given.

    \b
    Example:
        borderland index --normalisation rank --typology quantiles --draws 500 --out results
    """
    inputs = {k: options.pop(k) for k in _INPUT_KEYS}
    result = _run_step(ctx, study, inputs, **options)
    keep = [c for c in result.regions.columns if c in result.study.index.indicator_names or c.endswith(
        ("_year", "_imputed")) or c in ("name", "country", "component_share", "index", "typology", "rank",
                                         "rank_median", "rank_p05", "rank_p95", "p_typology", "typology_unstable",
                                         "geometry") or c.startswith("p_")]
    layers = {"index": result.regions[keep]}
    if result.coherence is not None:
        layers["coherence"] = result.coherence.table()
    _write(ctx, layers, out_dir, formats, overwrite, name="index")
    if not ctx.obj["quiet"]:
        click.echo(result.index_summary())


@cli.command()
@_study_inputs
@click.option("--contiguity", type=click.Choice(["rook", "queen"]), help="Shared edges only, or point contacts too.")
@click.option("--tolerance", "edge_tolerance_m", type=float, help="Snap tolerance in metres for shared edges.")
@click.option("--permutations", type=int, help="Permutations of Moran's I and LISA.")
@click.pass_context
@_reports_errors
def gaps(ctx: click.Context, study: Path | None, out_dir: Path, formats: str, overwrite: bool,
         **options: Any) -> None:
    """Neighbour pairs and gaps, local deviation, LISA, and summaries per border segment.

    \b
    Writes OUT/gaps.gpkg (layers neighbour_pairs, border_segments, regions) or the --format given.

    \b
    Example:
        borderland gaps --contiguity queen --out results --format gpkg,csv
    """
    inputs = {k: options.pop(k) for k in _INPUT_KEYS}
    result = _run_step(ctx, study, inputs, **options)
    layers = {"neighbour_pairs": result.pairs, "regions": result.regions}
    if result.segments is not None:
        layers["border_segments"] = result.segments
    _write(ctx, layers, out_dir, formats, overwrite, name="gaps")
    if not ctx.obj["quiet"]:
        click.echo(result.gaps_summary())


@cli.command()
@_study_inputs
@click.option("--cross-border-only", is_flag=True, help="Only flows between regions of different countries.")
@click.option("--flow-type", type=click.Choice(["exports", "imports", "turnover", "growth_rate"]),
              help="Only flows of this type.")
@click.option("--top", type=int, help="Only the N largest flows (of one type and unit).")
@click.pass_context
@_reports_errors
def flows(ctx: click.Context, study: Path | None, out_dir: Path, formats: str, overwrite: bool,
          cross_border_only: bool, flow_type: str | None, top: int | None, **options: Any) -> None:
    """Trade flows between regions (and to whole countries), matched and drawn as lines.

    \b
    Writes OUT/flows.gpkg (layer trade_flows) or the --format given.

    \b
    Example:
        borderland flows --cross-border-only --flow-type growth_rate --out results
    """
    inputs = {k: options.pop(k) for k in _INPUT_KEYS}
    result = _run_step(ctx, study, inputs, **options)
    if result.flows is None:
        raise click.UsageError("the study has no [trade] section; add one (see README, Study file)")
    lines = result.flows
    if cross_border_only:
        lines = lines[lines["cross_border"].astype(bool)]
    if flow_type:
        lines = lines[lines["flow_type"] == flow_type]
    if top:
        from borderland import trade

        lines = trade.strongest_flows(lines, top, flow_type=flow_type)
    _write(ctx, {"trade_flows": lines}, out_dir, formats, overwrite, name="flows")
    if not ctx.obj["quiet"]:
        click.echo(result.flow_report.summary())
        for label in lines.get("label", []):
            click.echo(f"  {label}")


@cli.command(name="border")
@_study_inputs
@click.option("--origin", "distance_origin", type=click.Choice(["inside_point", "centroid", "outline", "population"]),
              help="Where each region's distance to the border is measured from.")
@click.option("--within-km", type=float, help="Population within this distance of the border (default 25).")
@click.option("--raster/--no-raster", "distance_raster", default=None,
              help="Also write a GeoTIFF of the distance to the border.")
@click.option("--resolution", "resolution_m", type=float, help="Cell size of the distance raster in metres.")
@click.pass_context
@_reports_errors
def border_command(ctx: click.Context, study: Path | None, out_dir: Path, formats: str, overwrite: bool,
                   **options: Any) -> None:
    """Border lines, distance to the border, border rings, distance bands and population near the border.

    \b
    Writes OUT/border.gpkg (layers border_lines, distance_bands, regions, profile), OUT/profile.png
    (the index by distance band and side) and, with --raster, OUT/distance_to_border.tif.

    \b
    Example:
        borderland border --origin population --within-km 50 --raster --out results
    """
    inputs = {k: options.pop(k) for k in _INPUT_KEYS}
    result = _run_step(ctx, study, inputs, **options)
    keep = [c for c in result.regions.columns if c in ("name", "country", "geometry", "border_order", "border_region")
            or "border_distance" in c or c.startswith("population")]
    layers: dict[str, Any] = {"border_lines": result.border_lines, "regions": result.regions[keep]}
    if result.bands is not None:
        layers["distance_bands"] = result.bands
    if result.profile is not None:
        layers["profile"] = result.profile.reset_index()
    raster_path = Path(out_dir) / "distance_to_border.tif"
    if result.study.distance_raster and raster_path.exists() and not overwrite:
        raise click.ClickException(f"{raster_path} exists already; pass --overwrite to replace it")
    _write(ctx, layers, out_dir, formats, overwrite, name="border")
    if result.study.distance_raster:
        from borderland import raster

        raster.distance_raster(result.border_lines, raster_path, resolution_m=result.study.resolution_m,
                               mask=result.regions, overwrite=overwrite)
        if not ctx.obj["quiet"]:
            click.echo(f"wrote {raster_path}")
    if result.profile is not None:
        from borderland.maps.static import profile_chart

        chart = profile_chart(result.profile, Path(out_dir) / "profile.png", title=result.study.title,
                              attribution=result.study.attribution, overwrite=overwrite)
        if not ctx.obj["quiet"]:
            click.echo(f"wrote {chart}")
    if not ctx.obj["quiet"]:
        click.echo(result.border_summary())


@cli.command(name="map")
@_study_inputs
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["index", "typology", "indicator", "rings", "bands", "population", "uncertainty",
                                 "gaps", "trade"]),
              help="Map kind (repeat for several layers); default: every kind the study has.")
@click.option("--column", "columns", multiple=True, help="Indicator column to map (repeatable).")
@click.option("--classes", type=click.IntRange(2, 9), default=5, show_default=True, help="Number of classes.")
@click.option("--scheme", type=click.Choice(["quantiles", "natural_breaks", "equal_interval"]), default="quantiles",
              show_default=True, help="How classes are cut.")
@click.option("--palette", help="ColorBrewer palette name (e.g. YlGnBu, RdPu).")
@click.option("--title", help="Map title (default: the study's).")
@click.option("--offline/--online", default=True, show_default=True,
              help="Inline Leaflet and draw no tiles, or load Leaflet and OpenStreetMap tiles from the web.")
@click.option("--fragment", is_flag=True, help="Write an embeddable <div> with its scripts instead of a page.")
@click.option("--png", is_flag=True, help="Also write a static PNG (matplotlib) beside the HTML.")
@click.pass_context
@_reports_errors
def map_command(ctx: click.Context, study: Path | None, out_dir: Path, formats: str, overwrite: bool,
                kinds: tuple[str, ...], columns: tuple[str, ...], classes: int, scheme: str, palette: str | None,
                title: str | None, offline: bool, fragment: bool, png: bool, **options: Any) -> None:
    """Write an interactive map (offline by default) of the chosen kinds, and optionally a PNG.

    \b
    Writes OUT/borderland_map.html (or OUT/borderland_map_fragment.html with --fragment).

    \b
    Example:
        borderland map --kind typology --kind gaps --scheme natural_breaks --png --out results
    """
    from borderland import maps

    inputs = {k: options.pop(k) for k in _INPUT_KEYS}
    result = _run_step(ctx, study, inputs, **options)
    units = {c.name: c.unit for c in result.study.index.components if c.unit}
    name = "borderland_map_fragment.html" if fragment else result.study.map_name
    # a column alone draws that indicator alone
    spec = maps.MapSpec(kinds=list(kinds) or (["indicator"] if columns else None), columns=columns, units=units,
                        classes=classes, scheme=scheme, palette=palette, offline=offline, fragment=fragment,
                        title=title or f"{result.study.title} ({result.year})", attribution=result.study.attribution)
    model = maps.map_model(result.regions, result.border_lines, result.pairs, spec=spec, countries=result.countries,
                           bands=result.bands, flows=result.flows)
    written = maps.write_map_outputs(model, Path(out_dir) / name, png=png, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        for kind, path in written.items():
            click.echo(f"wrote {kind}: {path} ({path.stat().st_size / 1e6:.2f} MB)")


@cli.command(name="export")
@click.argument("study", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="maps", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@click.option("--format", "formats", default="gpkg", show_default=True,
              help="Comma-separated: gpkg, geoparquet, geojson (always EPSG:4326), csv.")
@click.option("--crs", help="CRS of the GeoPackage and GeoParquet layers (default: the study's, e.g. EPSG:3035).")
@click.option("--overwrite", is_flag=True, help="Replace outputs that exist already.")
@click.pass_context
@_reports_errors
def export_command(ctx: click.Context, study: Path | None, out_dir: Path, formats: str, crs: str | None,
                   overwrite: bool) -> None:
    """Write every result layer and table in GIS formats, with styles (GeoPackage) and metadata.

    \b
    Example:
        borderland export --format gpkg,geojson,csv --crs EPSG:4326 --out results
    """
    from borderland import export, maps, pipeline

    if crs is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError as ProjError

        try:
            CRS.from_user_input(crs)
        except ProjError:
            raise click.BadParameter(f"{crs!r} is not a CRS pyproj knows; give e.g. EPSG:4326",
                                     param_hint="--crs") from None
    result = pipeline.run(pipeline.load_study(study))
    layers, aliases = export.result_layers(result), export.result_aliases(result)
    written = export.export_result(result, out_dir, formats=[f.strip() for f in formats.split(",") if f.strip()],
                                   crs=crs, overwrite=overwrite,
                                   styles=maps.layer_styles(layers, aliases={**export.FIELD_ALIASES, **aliases}))
    if not ctx.obj["quiet"]:
        for paths in written.values():
            for path in paths:
                click.echo(f"wrote {path}")


def main() -> None:
    """Entry point of the ``borderland`` command."""
    cli(obj={}, prog_name="borderland")


if __name__ == "__main__":
    sys.exit(main())
