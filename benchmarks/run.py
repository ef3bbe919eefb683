"""borderland against its peers, side by side in one run: a table of ratios (borderland / peer).

    python benchmarks/run.py --quick   # CI-sized: N = 1,000 only, small rasters (under 3 minutes)
    python benchmarks/run.py           # N = 1,000 / 10,000 / 100,000 and the large rasters

Tasks and peers:

- pair table with shared lengths, gaps and lines  vs libpysal ``Graph.build_contiguity(by_perimeter=True)``
  (``bench_pairs.py``: seeded Voronoi cells clipped by the real country polygons, EPSG:3035);
- distance of each region to the border  vs shapely ``STRtree.query_nearest`` on the border's segments
  (``bench_distance.py``, the same Voronoi layers);
- the writers (``bench_maps.py``): map of N regions and of the bundled study, HTML bytes and write
  time  vs geopandas ``explore()`` for the same layer; time to interactive of a 20,000-region map
  in headless Chromium  vs explore()'s page; GeoPackage of the bundled run's layers and of the
  synthetic ones (styles and metadata included)  vs bare ``pyogrio.write_dataframe``;
- ``borderland run`` on the bundled study  vs the bare import of geopandas, folium and rasterio;
- zonal sums, distance rasters and population within 25 km  (``bench_raster.py``: exactextract,
  rasterstats, gdal_proximity).

Every layer and raster is synthetic and seeded: these are timings, not data. Each measurement
is the median of three runs; growth exponents are least-squares slopes of log(time) on log(N).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

RUNS = 3


def median_time(task: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process_time(args: list[str], runs: int = RUNS) -> float:
    """Median wall time of a fresh Python process (imports included)."""
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the checkout, installed or not

    def once() -> None:
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                              cwd=tempfile.gettempdir(), check=False)
        if done.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return median_time(once, runs)


def growth(sizes: list[int], times: list[float]) -> float:
    """Slope of log(time) on log(N): 1 = linear, 2 = quadratic."""
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def synthetic_study(n: int):
    """A seeded Voronoi layer with a synthetic index, its pairs and border lines (for maps and files)."""
    from bench_pairs import voronoi_layer

    from borderland import border, layers, neighbours, typology

    rng = np.random.default_rng(n)
    regions = voronoi_layer(n)
    regions["index"] = rng.random(len(regions))
    regions["typology"] = typology.classify(regions["index"])
    edges = layers.shared_edges(regions)
    lines = border.border_lines_from_edges(regions, edges)
    regions["border_distance_km"] = border.distance_to_border(regions, lines)
    graph = neighbours.neighbour_graph(regions, edges=edges)
    regions["border_order"] = graph.border_order(border.touches_border(regions, lines))
    pairs = neighbours.pair_table(regions, graph, regions["index"])
    return regions, lines, pairs, edges


def bench_pairs_task(sizes: list[int]) -> list[dict]:
    import libpysal.graph  # noqa: F401  (imported before forking: its import is not the task)
    from bench_pairs import compare

    rows = []
    for n in sizes:
        c = compare(n)
        check = f"same {c['pairs']} pairs, lengths within {c['max length diff %']:.1g} %"
        rows.append({"task": "shared edges (repaired layer)", "N": n, "borderland s": c["shared edges s"],
                     "peer": "libpysal contiguity", "peer s": c["libpysal s"],
                     "borderland MB": c["shared edges peak MB"], "peer MB": c["libpysal peak MB"], "check": check})
        rows.append({"task": "pair table (lengths, gaps, lines)", "N": n, "borderland s": c["pair table s"],
                     "peer": "libpysal contiguity", "peer s": c["libpysal s"], "check": check})
    return rows


def bench_distance_task(sizes: list[int]) -> list[dict]:
    from bench_distance import compare

    rows = []
    for n in sizes:
        c = compare(n, RUNS)
        rows.append({"task": "distance to border", "N": c["N"], "borderland s": c["borderland s"], "peer": c["peer"],
                     "peer s": c["peer s"], "check": f"same distances (max diff {c['max diff m']:.0e} m); the search "
                     f"alone {c['step ratio']:.2f} of the peer's"})
    return rows


def bench_writers(sizes: list[int], folder: Path, *, interactive: bool) -> list[dict]:
    import bench_maps

    return bench_maps.rows(sizes, folder, interactive=interactive)


def bench_end_to_end(folder: Path) -> list[dict]:
    ours = process_time(["-m", "borderland", "-q", "run", "--out", str(folder / "run"), "--overwrite"])
    bare = process_time(["-c", "import geopandas, folium, rasterio"])
    return [{"task": "borderland run (bundled study)", "N": 92, "borderland s": ours,
             "peer": "bare import geopandas+folium+rasterio", "peer s": bare, "check": "target: ratio < 2"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run (N = 1,000; small rasters)")
    parser.add_argument("--skip-raster", action="store_true", help="leave out bench_raster.py")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [1000, 10_000, 100_000]
    map_sizes = [1000] if args.quick else [1000, 10_000]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = (bench_pairs_task(sizes) + bench_distance_task(sizes)
                + bench_writers(map_sizes, folder, interactive=not args.quick)
                + bench_end_to_end(folder))
    table = pd.DataFrame(rows)
    table["ratio"] = table["borderland s"] / table["peer s"]
    with pd.option_context("display.width", 250, "display.max_colwidth", 90, "display.float_format", "{:.3g}".format):
        print(f"\nborderland / peer, medians of {RUNS} runs ({'quick' if args.quick else 'full'}):")
        print(table[["task", "N", "borderland s", "peer", "peer s", "ratio", "check"]].to_string(index=False))
    for task, group in table.groupby("task"):
        if group["N"].nunique() > 1:
            print(f"growth exponent of {task}: {growth(list(group['N']), list(group['borderland s'])):.2f}")
    if not args.skip_raster:
        print("\nrasters (bench_raster.py):", flush=True)
        subprocess.run([sys.executable, str(HERE / "bench_raster.py"), *(["--quick"] if args.quick else [])],
                       check=True)
    print(f"\nbenchmarks took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
