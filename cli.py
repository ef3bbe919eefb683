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
@click.option("-v", "--verbose", count=True, help="Say more; with -v errors show their traceback.")
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
    Writes OUT/borderland_map.html (interactive, works offline) and OUT/borderland.gpkg
    (layers regions, border_lines, neighbour_pairs).

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
    """List the bundled data (sources and licences: geodata/README.md)."""
    from borderland import io

    for name, path, what in io.bundled_datasets():
        click.echo(f"{name:36s} {path.stat().st_size / 1e6:6.2f} MB  {what}")


def main() -> None:
    """Entry point of the ``borderland`` command."""
    cli(obj={}, prog_name="borderland")


if __name__ == "__main__":
    sys.exit(main())
