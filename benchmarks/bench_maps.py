"""The writers against their peers: the HTML map (bytes, write time, time to interactive) and the GeoPackage.

    python benchmarks/bench_maps.py            # 1,000 / 10,000 regions, the bundled study, 20,000 in Chromium
    python benchmarks/bench_maps.py --quick    # 1,000 regions and the bundled study (about a minute)

``benchmarks/run.py`` calls :func:`rows` for its table. Every map is built from the same frames
for both sides: the seeded Voronoi layers of ``run.synthetic_study`` (EPSG:3035) and the
bundled study, run once.

- **map bytes and write time**: borderland's page (index, typology, rings, the state border and
  the gaps; Leaflet inlined, offline) against geopandas ``explore(column="index",
  scheme="quantiles", k=5, tiles=None)`` of the same regions in the same CRS (explore converts
  them to EPSG:4326 itself and links Leaflet and 10 other assets from CDNs, which its bytes leave
  out). For the bundled study, borderland's side is the map ``borderland run`` writes, with
  every layer (countries, distance bands, trade flows too).
- **time to interactive** of a 20,000-region map in headless Chromium (``/usr/bin/chromium``,
  network cut, 1200 x 800 window): a probe script is appended to a copy of each page. It runs
  after every script of the page (so after Leaflet has parsed, the features are decoded and
  every layer is added) and waits two animation frames: the second frame starts only once the
  first, which draws the map (SVG paths, or the canvas that Leaflet redraws in an animation
  frame), has been painted. It logs ``performance.now()`` then, which counts from the start of
  navigation (reading the file, parsing the HTML included); the figure is read from Chromium's
  console log. The peer is explore()'s page of the same regions with its CDN links replaced by
  the same inlined Leaflet (its legend off: it needs d3 from a CDN), as it would have to be to
  work offline.
- **GeoPackage write**: every layer of the bundled run (its layers and tables, with QGIS styles,
  aliases and the run's metadata, staged and moved into place) against bare
  ``pyogrio.write_dataframe`` of the same frames, one call per layer, into a fresh file; and the
  regions, border and pairs of the synthetic layers (as before).

Medians of three runs (the Chromium figures too).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import RUNS, median_time, synthetic_study  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
INTERACTIVE_N = 20_000

#: Appended to a copy of a page: logs when the map is drawn and the page can answer (see the module docstring).
PROBE = """<script>
(function () {
    var ready = performance.now();
    requestAnimationFrame(function () {
        requestAnimationFrame(function () {
            console.log("borderland-interactive " + ready.toFixed(1) + " " + performance.now().toFixed(1));
        });
    });
})();
</script>
"""


def _spec():
    from borderland import maps

    return maps.MapSpec(kinds=["index", "typology", "rings", "gaps"], title="synthetic", attribution=["cells"])


def write_ours(regions, lines, pairs, target: Path) -> None:
    from borderland import maps

    maps.write_html(maps.map_model(regions, lines, pairs, spec=_spec()), target, overwrite=True)


def write_explore(regions, target: Path, *, legend: bool = True) -> None:
    import geopandas as gpd

    plain = gpd.GeoDataFrame(regions[["name", "index", "geometry"]].reset_index(), crs=regions.crs)
    plain.explore(column="index", scheme="quantiles", k=5, tiles=None, legend=legend).save(target)


def map_row(task: str, n: int, write_ours_to, regions, folder: Path) -> dict:
    """Bytes and median write time of borderland's page and explore()'s."""
    ours, theirs = folder / f"ours_{n}.html", folder / f"explore_{n}.html"
    t_ours = median_time(lambda: write_ours_to(ours))
    t_theirs = median_time(lambda: write_explore(regions, theirs))
    size_ours, size_theirs = ours.stat().st_size, theirs.stat().st_size
    return {"task": task, "N": n, "borderland s": t_ours, "peer": "geopandas explore()",
            "peer s": t_theirs, "bytes ratio": size_ours / size_theirs,
            "check": f"{size_ours / 1e6:.2f} MB vs {size_theirs / 1e6:.2f} MB (bytes ratio "
                     f"{size_ours / size_theirs:.2f}; ours offline, explore links 11 CDN assets)"}


def offline_explore(page: str) -> str:
    """explore()'s page with Leaflet inlined (as borderland inlines it) and every other CDN link dropped."""
    from borderland.maps.leaflet import _leaflet_assets

    script, css = _leaflet_assets()
    page = re.sub(r'<script src="https?://[^"]*"></script>', "", page)
    page = re.sub(r'<link rel="stylesheet" href="https?://[^"]*"/>', "", page)
    return page.replace("<head>", f"<head>\n<style>{css}</style>\n<script>{script}</script>", 1)


def interactive_ms(page: Path, profile: Path) -> float:
    """Milliseconds from navigation to the first painted frame of the map (the probe's second frame)."""
    probed = page.with_name(page.stem + "_probe.html")
    probed.write_text(page.read_text(encoding="utf-8") + PROBE, encoding="utf-8")
    shutil.rmtree(profile, ignore_errors=True)
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=1200,800",
        f"--screenshot={profile / 'shot.png'}", probed.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    found = re.search(r"borderland-interactive ([\d.]+) ([\d.]+)", done.stderr)
    errors = [line for line in done.stderr.splitlines() if ":CONSOLE" in line and "Uncaught" in line]
    if not found or errors:
        raise SystemExit(f"{page.name}: no timing from Chromium\n{done.stderr[-3000:]}")
    return float(found.group(2))


def interactive_row(folder: Path, n: int = INTERACTIVE_N) -> dict:
    import statistics

    from borderland.maps.leaflet import CANVAS_MIN_FEATURES

    regions, lines, pairs, _ = synthetic_study(n)
    ours, theirs = folder / f"ours_{n}.html", folder / f"explore_{n}.html"
    write_ours(regions, lines, pairs, ours)
    write_explore(regions, theirs, legend=False)
    theirs.write_text(offline_explore(theirs.read_text(encoding="utf-8")), encoding="utf-8")
    t_ours = statistics.median(interactive_ms(ours, folder / "profile") for _ in range(RUNS)) / 1000
    t_theirs = statistics.median(interactive_ms(theirs, folder / "profile") for _ in range(RUNS)) / 1000
    return {"task": "map time to interactive (Chromium)", "N": len(regions), "borderland s": t_ours,
            "peer": "explore() page, Leaflet inlined", "peer s": t_theirs,
            "check": f"{ours.stat().st_size / 1e6:.1f} MB (canvas above {CANVAS_MIN_FEATURES:,} features) vs "
                     f"{theirs.stat().st_size / 1e6:.1f} MB (SVG)"}


def geopackage_row(task: str, n: int, layers: dict, folder: Path, **options) -> dict:
    """Median time of write_geopackage (styles, aliases, metadata, staging) and of bare pyogrio, same frames."""
    import pyogrio

    from borderland import export

    ours, plain = folder / f"ours_{n}.gpkg", folder / f"plain_{n}.gpkg"
    # the same columns for both: the index as a column, as write_geopackage writes it
    frames = {name: frame.reset_index() if frame.index.name else frame for name, frame in layers.items()}

    def write_plain() -> None:
        plain.unlink(missing_ok=True)
        for name, frame in frames.items():
            pyogrio.write_dataframe(frame, plain, layer=name, driver="GPKG")

    t_ours = median_time(lambda: export.write_geopackage(layers, ours, overwrite=True, **options))
    t_plain = median_time(write_plain)
    return {"task": f"{task} ({len(layers)} layers)", "N": n, "borderland s": t_ours,
            "peer": "pyogrio write_dataframe per layer", "peer s": t_plain,
            "check": "ours adds QML styles, aliases, metadata, a staged file moved into place"}


def synthetic_rows(sizes: list[int], folder: Path) -> list[dict]:
    from borderland import maps

    out = []
    for n in sizes:
        regions, lines, pairs, _ = synthetic_study(n)
        out.append(map_row("map HTML write", len(regions),
                           lambda target, r=regions, b=lines, p=pairs: write_ours(r, b, p, target), regions, folder))
        layers = {"regions": regions, "border_lines": lines, "neighbour_pairs": pairs}
        # the styles are built from a map model as a run without a map builds them
        out.append(geopackage_row("GeoPackage write", len(regions), layers, folder, styles=maps.layer_styles(layers)))
    return out


def bundled_rows(folder: Path) -> list[dict]:
    from borderland import commands, export, maps, pipeline

    result = pipeline.run()
    model = commands.map_model(result)
    out = [map_row("map HTML write (bundled study, every layer)", len(result.regions),
                   lambda target: maps.write_html(model, target, overwrite=True), result.regions, folder)]
    layers, aliases = export.result_layers(result), export.result_aliases(result)
    styles = maps.layer_styles(layers, model, aliases={**export.FIELD_ALIASES, **aliases})
    out.append(geopackage_row("GeoPackage write (bundled study)", len(result.regions), layers, folder,
                              metadata=export.run_metadata(result), aliases=aliases, styles=styles))
    return out


def rows(sizes: list[int], folder: Path, *, interactive: bool = True) -> list[dict]:
    """Every row: the synthetic sizes, the bundled study, and (when asked and Chromium is there) time to interactive."""
    out = synthetic_rows(sizes, folder) + bundled_rows(folder)
    if interactive:
        if CHROMIUM.exists():
            out.append(interactive_row(folder))
        else:
            print(f"time to interactive skipped: {CHROMIUM} is missing (apt-get install -y chromium)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 regions and the bundled study only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        table = pd.DataFrame(rows([1000] if args.quick else [1000, 10_000], Path(tmp), interactive=not args.quick))
    table["ratio"] = table["borderland s"] / table["peer s"]
    with pd.option_context("display.width", 250, "display.max_colwidth", 110, "display.float_format", "{:.3g}".format):
        print(table[["task", "N", "borderland s", "peer", "peer s", "ratio", "check"]].to_string(index=False))


if __name__ == "__main__":
    main()
