"""The writers against their peers: the HTML map (bytes, write time, time to interactive) and the GeoPackage.

    python benchmarks/bench_maps.py            # 1,000 / 10,000 regions, the bundled study, 20,000 in Chromium
    python benchmarks/bench_maps.py --quick    # 1,000 regions and the bundled study (about a minute)
    python benchmarks/bench_maps.py --trend    # the trend map alone: 350 regions x 20 years against a naive page

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
- **trend map** (issue #19): 350 regions x 20 years (2006-2025; values a seeded random walk, a
  tenth of region-years without a value, a value carried a year where one is missing, flagged)
  and the gaps of the cross-border pairs: borderland's page with its year control (geometry
  once, as arcs; per year a few characters per region: class, value, flag) against a naive
  page of the same simplified outlines at the same precision, one GeoJSON of regions and one of
  gap lines per year (each feature with its colour, value and flag), and a slider that swaps
  the layers; bytes, time to interactive in Chromium (as above) and the time of one year change
  (the page's own year function, every year in turn, JavaScript time without painting).
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


#: Appended to a copy of a trend page: as PROBE, then every year shown in turn by the page's ``%s``.
TREND_PROBE = """<script>
(function () {
    var ready = performance.now();
    requestAnimationFrame(function () {
        requestAnimationFrame(function () {
            var painted = performance.now(), years = %d, start = performance.now();
            for (var i = 0; i < years; i++) {
                %s(i);
            }
            var each = (performance.now() - start) / years;
            console.log("borderland-trend " + ready.toFixed(1) + " " + painted.toFixed(1) + " " + each.toFixed(2));
        });
    });
})();
</script>
"""

TREND_N = 280  # Voronoi cells: 350 regions
TREND_YEARS = list(range(2006, 2026))

#: The naive page: Leaflet inlined, one GeoJSON of regions and one of gap lines per year, a slider swapping them.
NAIVE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>naive</title><style>%(css)s
html, body, #map { height: 100%%; margin: 0; } #year { position: absolute; bottom: 20px; left: 40%%; z-index: 1000; }
</style><script>%(leaflet)s</script></head>
<body><div id="map"></div><input type="range" id="year" min="0" max="%(last)d" value="%(last)d">
<script>
var years = %(years)s, regions = %(regions)s, lines = %(lines)s;
var map = L.map("map"), shown = [];
function show(i) {
    shown.forEach(function (layer) { map.removeLayer(layer); });
    shown = [
        L.geoJSON(regions[i], {style: function (f) {
            return {fillColor: f.properties.fill, color: "#ffffff", weight: 1, fillOpacity: 0.85};
        }}).bindTooltip(function (l) {
            var p = l.feature.properties, t = document.createElement("div");
            t.textContent = p.name + ": " + p.value + (p.flag ? " (" + p.flag + ")" : "");
            return t;
        }).addTo(map),
        L.geoJSON(lines[i], {style: function (f) {
            return {color: f.properties.color, weight: f.properties.weight, dashArray: f.properties.dash};
        }}).addTo(map)
    ];
}
show(%(last)d);
map.fitBounds(shown[0].getBounds());
document.getElementById("year").addEventListener("input", function (e) { show(Number(e.target.value)); });
</script></body></html>
"""


def trend_tables(seed: int = 19):
    """About 350 regions, their cross-border pair lines, and a value per region and a gap per pair for 20 years."""
    import numpy as np
    import pandas as pd

    regions, _, pairs, _ = synthetic_study(TREND_N)
    rng = np.random.default_rng(seed)
    years = len(TREND_YEARS)
    walk = np.clip(rng.random(len(regions))[:, None] * 0.5 + np.cumsum(rng.normal(0.02, 0.02, (len(regions), years)),
                                                                        axis=1), 0, 1)
    missing = rng.random(walk.shape) < 0.1
    carried = np.zeros(walk.shape, dtype=bool)
    carried[:, 1:] = missing[:, 1:] & ~missing[:, :-1]  # the year before has a value: carried a year
    values = np.where(missing & ~carried, np.nan, np.where(carried, np.roll(walk, 1, axis=1), walk))
    flags = np.where(carried, [[f"{y - 1} value carried to {y}" for y in TREND_YEARS]] * len(regions), "")
    table = pd.DataFrame({"region": np.repeat(regions.index.to_numpy(), years), "year": TREND_YEARS * len(regions),
                          "value": values.ravel(), "flag": flags.ravel()})
    cross = pairs[pairs["cross_border"].astype(bool)]
    lines = cross[["region_a", "region_b", "geometry"]].set_axis(pd.RangeIndex(len(cross), name="pair"))
    by_code = pd.DataFrame(values, index=regions.index, columns=TREND_YEARS)
    gap = by_code.loc[lines["region_a"]].to_numpy() - by_code.loc[lines["region_b"]].to_numpy()
    gap_flags = np.where(carried[regions.index.get_indexer(lines["region_a"])], "a value carried", "")
    gaps = pd.DataFrame({"pair": np.repeat(lines.index.to_numpy(), years), "year": TREND_YEARS * len(lines),
                         "gap": gap.ravel(), "flag": gap_flags.ravel()})
    return regions[["name", "country", "geometry"]], table, lines, gaps


def write_naive(model, target: Path) -> None:
    """The naive page of a trend model: the same outlines, precision and colours, one GeoJSON per year."""
    import json

    import numpy as np
    import shapely

    from borderland.maps.leaflet import _display_geometry, _leaflet_assets

    timeline, spec = model.timeline, model.spec
    digits = spec.digits

    def geojson(geoms, properties) -> dict:
        # rounded as the page's arcs are, and written in their shortest form (24.1234, not 24.123400000000002)
        rounded = shapely.transform(geoms, lambda xy: np.round(xy, digits))
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
            for geom, props in zip(rounded, properties, strict=True) if props is not None]}

    outlines = _display_geometry(model.regions.geometry, spec.simplify_tolerance_m, coverage=True)
    pair_lines = _display_geometry(timeline.lines.geometry, spec.simplify_tolerance_m, coverage=False)
    regions, lines = [], []
    for year in timeline.years:
        fill, text = timeline.fill(year), timeline.text(year)
        regions.append(geojson(outlines, [
            {"code": str(code), "name": name, "fill": f, "value": t, "flag": flag}
            for code, name, f, t, flag in zip(model.regions.index, model.regions["name"], fill, text,
                                              timeline.flags[year], strict=True)]))
        styles, texts = timeline.gap_styles(year), timeline.gap_texts(year)
        lines.append(geojson(pair_lines, [None if style is None else {**style, "dash": style.get("dashArray"),
                                                                         "tooltip": t}
                                          for style, t in zip(styles, texts, strict=True)]))
    script, css = _leaflet_assets()
    target.write_text(NAIVE_PAGE % {"css": css, "leaflet": script, "last": len(timeline.years) - 1,
                                    "years": json.dumps(list(timeline.years)),
                                    "regions": json.dumps(regions, separators=(",", ":")),
                                    "lines": json.dumps(lines, separators=(",", ":"))}, encoding="utf-8")


def trend_ms(page: Path, profile: Path, show: str, years: int) -> tuple[float, float]:
    """Seconds from navigation to the first painted frame, and milliseconds of one year change."""
    probed = page.with_name(page.stem + "_probe.html")
    probed.write_text(page.read_text(encoding="utf-8") + TREND_PROBE % (years, show), encoding="utf-8")
    shutil.rmtree(profile, ignore_errors=True)
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=1200,800",
        f"--screenshot={profile / 'shot.png'}", probed.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    found = re.search(r"borderland-trend ([\d.]+) ([\d.]+) ([\d.]+)", done.stderr)
    errors = [line for line in done.stderr.splitlines() if ":CONSOLE" in line and "Uncaught" in line]
    if not found or errors:
        raise SystemExit(f"{page.name}: no timing from Chromium\n{done.stderr[-3000:]}")
    return float(found.group(2)) / 1000, float(found.group(3))


def trend_rows(folder: Path, *, interactive: bool = True) -> list[dict]:
    """The trend page (350 regions x 20 years) against the naive one-GeoJSON-per-year page."""
    import statistics

    from borderland import maps

    regions, table, lines, gaps = trend_tables()
    model = maps.trend_model(regions, table, lines=lines, gaps_by_year=gaps,
                             spec=maps.MapSpec(title="synthetic trend", attribution=["cells"]))
    ours, naive = folder / "trend.html", folder / "trend_naive.html"
    t_ours = median_time(lambda: maps.write_html(model, ours, overwrite=True))
    t_naive = median_time(lambda: write_naive(model, naive))
    size_ours, size_naive = ours.stat().st_size, naive.stat().st_size
    years = len(model.timeline.years)
    n = f"{len(regions)} x {years}"
    out = [{"task": "trend map HTML write (year control)", "N": n, "borderland s": t_ours,
            "peer": "naive page, one GeoJSON per year", "peer s": t_naive, "bytes ratio": size_ours / size_naive,
            "check": f"{size_ours / 1e6:.2f} MB vs {size_naive / 1e6:.2f} MB (bytes ratio "
                     f"{size_ours / size_naive:.3f}; {len(lines)} gap lines; both inline Leaflet)"}]
    if interactive and CHROMIUM.exists():
        control = re.search(r"var (year_control_\w+) = \(function", ours.read_text(encoding="utf-8")).group(1)
        timed_ours = [trend_ms(ours, folder / "profile", f"{control}.show", years) for _ in range(RUNS)]
        timed_naive = [trend_ms(naive, folder / "profile", "show", years) for _ in range(RUNS)]
        out.append({"task": "trend map time to interactive (Chromium)", "N": n,
                    "borderland s": statistics.median(t for t, _ in timed_ours), "peer": "naive page",
                    "peer s": statistics.median(t for t, _ in timed_naive),
                    "check": f"one year change {statistics.median(c for _, c in timed_ours):.1f} ms vs "
                             f"{statistics.median(c for _, c in timed_naive):.1f} ms (JavaScript, before painting)"})
    return out


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
    out = synthetic_rows(sizes, folder) + bundled_rows(folder) + trend_rows(folder, interactive=interactive)
    if interactive:
        if CHROMIUM.exists():
            out.append(interactive_row(folder))
        else:
            print(f"time to interactive skipped: {CHROMIUM} is missing (apt-get install -y chromium)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 regions and the bundled study only")
    parser.add_argument("--trend", action="store_true", help="the trend map only (bytes and Chromium timings)")
    args = parser.parse_args()
    if args.trend:
        with tempfile.TemporaryDirectory() as tmp:
            table = pd.DataFrame(trend_rows(Path(tmp)))
        table["ratio"] = table["borderland s"] / table["peer s"]
        with pd.option_context("display.width", 250, "display.max_colwidth", 110):
            print(table[["task", "N", "borderland s", "peer", "peer s", "ratio", "check"]].to_string(index=False))
        return
    with tempfile.TemporaryDirectory() as tmp:
        table = pd.DataFrame(rows([1000] if args.quick else [1000, 10_000], Path(tmp), interactive=not args.quick))
    table["ratio"] = table["borderland s"] / table["peer s"]
    with pd.option_context("display.width", 250, "display.max_colwidth", 110, "display.float_format", "{:.3g}".format):
        print(table[["task", "N", "borderland s", "peer", "peer s", "ratio", "check"]].to_string(index=False))


if __name__ == "__main__":
    main()
