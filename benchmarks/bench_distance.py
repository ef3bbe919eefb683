"""Benchmark: the distance of every region to the border against shapely's STRtree nearest search.

    python benchmarks/bench_distance.py            # N = 1,000 / 10,000 / 100,000 Voronoi cells
    python benchmarks/bench_distance.py --quick    # N = 1,000 only

The layers are those of ``bench_pairs.py`` (seeded Voronoi cells cut by the real country borders,
EPSG:3035) and their land border (the shared edges of cells in different countries: 17 lines,
about 4,400 segments and 8,400 km at every N).

- ours: ``border.distance_to_border(regions, lines)`` (each region's inside point;
  :mod:`borderland.nearest` for many points, GEOS's own search for a few);
- peer: ``shapely.STRtree`` of the border's segments (two-point lines: its best form; a tree of
  the 17 long lines is several times slower) and ``query_nearest(points, return_distance=True)``.

Both are timed from the regions and the lines to the distances, so both include the inside
points (``representative_point``, GEOS, the same call) and building their structure; the same
step alone, from ready points, is reported beside. Answers must agree to a micrometre. Runs of
both alternate in one process; medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from borderland import border, layers, nearest  # noqa: E402


def study(n: int) -> tuple:
    from bench_pairs import voronoi_layer

    regions = voronoi_layer(n)
    lines = border.border_lines_from_edges(regions, layers.shared_edges(regions))
    return regions, lines


def ours(regions, lines) -> np.ndarray:
    return border.distance_to_border(regions, lines).to_numpy() * 1000.0


def peer(regions, lines) -> np.ndarray:
    segments = nearest.line_segments(lines.geometry.to_numpy())
    tree = shapely.STRtree(shapely.linestrings(segments.reshape(-1, 2, 2)))
    points = regions.representative_point().to_numpy()
    found, metres = tree.query_nearest(points, return_distance=True, all_matches=False)
    out = np.full(len(points), np.nan)
    out[found[0]] = metres
    return out


def step_ours(x: np.ndarray, y: np.ndarray, segments: np.ndarray) -> np.ndarray:
    return nearest.point_distances(nearest.Segments(segments), x, y)[0]


def step_peer(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(shapely.linestrings(segments.reshape(-1, 2, 2)))
    return tree.query_nearest(points, return_distance=True, all_matches=False)[1]


def timed(task) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    result = task()
    return time.perf_counter() - start, result


def compare(n: int, runs: int = 3) -> dict[str, object]:
    regions, lines = study(n)
    segments = nearest.line_segments(lines.geometry.to_numpy())
    points = regions.representative_point().to_numpy()
    xy = shapely.get_coordinates(points)
    whole: dict[str, list[float]] = {"ours": [], "peer": []}
    alone: dict[str, list[float]] = {"ours": [], "peer": []}
    answers = {}
    for _ in range(runs):  # alternate, so that both meet the same load
        seconds, answers["ours"] = timed(lambda: ours(regions, lines))
        whole["ours"].append(seconds)
        seconds, answers["peer"] = timed(lambda: peer(regions, lines))
        whole["peer"].append(seconds)
        alone["ours"].append(timed(lambda: step_ours(xy[:, 0], xy[:, 1], segments))[0])
        alone["peer"].append(timed(lambda: step_peer(points, segments))[0])
    worst = float(np.nanmax(np.abs(answers["ours"] - answers["peer"])))
    if worst > 1e-6:
        raise SystemExit(f"N={n}: distances differ from the STRtree's by up to {worst} m")
    med = {k: statistics.median(v) for k, v in whole.items()}
    step = {k: statistics.median(v) for k, v in alone.items()}
    return {"task": "distance to border", "N": len(regions), "segments": len(segments),
            "borderland s": med["ours"], "peer": "shapely STRtree.query_nearest", "peer s": med["peer"],
            "ratio": med["ours"] / med["peer"], "step s": step["ours"], "peer step s": step["peer"],
            "step ratio": step["ours"] / step["peer"], "max diff m": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*")
    args = parser.parse_args()
    sizes = args.sizes or ([1000] if args.quick else [1000, 10_000, 100_000])
    rows = []
    for n in sizes:
        rows.append(compare(n, args.runs))
        print(f"N = {n:,}: done", flush=True)
    report(rows, args.runs)


def report(rows: list[dict], runs: int) -> None:
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
        print(f"\nmedians of {runs} alternating runs; ratio = borderland / peer (the whole task, inside points "
              "included); step = the search alone from ready points")
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
