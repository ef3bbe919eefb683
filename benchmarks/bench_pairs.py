"""Pair-table construction against libpysal's contiguity graph, on layers cut by real borders.

    python benchmarks/bench_pairs.py            # N = 1,000 / 10,000 / 100,000 Voronoi cells (a few minutes)
    python benchmarks/bench_pairs.py --quick    # N = 1,000 only (well under a minute)

The layers: N seeded random points inside the nine countries of ``geodata/countries.gpkg``
(layer ``countries``, EPSG:3035), their Voronoi cells (``shapely.voronoi_polygons``), each cut by
every country it overlaps; each piece is a region tagged with its country, so the real borders
run through the layer. Per N and method, three runs, each in a fresh forked process (so the peak
memory of one run does not hide another's); the table shows medians.

- shared edges: ``layers.shared_edges`` on the repaired layer (an edge-matched coverage: its shared
  edges are found by matching segments), pairs, lengths and the shared lines;
- pair table: ``neighbour_graph`` and ``pair_table`` (names, countries, segment, shared km, both
  values, signed / absolute / relative gap, leader, percentile, line);
- libpysal: ``Graph.build_contiguity(rook=True, by_perimeter=True)`` (pairs and shared lengths only),
  on the same repaired layer.

Before timing, all must give the same pair set and shared lengths to 1e-9 (relative). Last, a
mixed-source layer (some countries cut from polygons generalised differently, which leaves
overlaps and slivers along their borders, as NUTS and Natural Earth do): libpysal refuses it,
ours builds the table with a snap tolerance, or exactly after ``repair_coverage``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from borderland import layers, neighbours  # noqa: E402
from borderland.layers.repair import _polygonal  # noqa: E402

COUNTRIES = ROOT / "geodata" / "countries.gpkg"
RUNS = 3


def voronoi_layer(n: int, *, seed: int = 0, generalise_m: dict[str, float] | None = None) -> gpd.GeoDataFrame:
    """N seeded Voronoi cells cut by the real country polygons; each piece a region of one country.

    ``generalise_m`` simplifies some countries' polygons first (country -> tolerance in metres),
    which makes a mixed-source layer: those countries' pieces overlap and leave slivers with
    their neighbours'.
    """
    countries = gpd.read_file(COUNTRIES, layer="countries")
    shapes = countries.geometry.to_numpy()
    union = shapely.coverage_union_all(shapes)
    shapely.prepare(union)
    if generalise_m:
        shapes = np.array([shapely.simplify(g, generalise_m.get(c, 0.0)) for g, c in
                           zip(shapes, countries["country"], strict=True)], dtype=object)
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = union.bounds
    points: list[np.ndarray] = []
    while sum(map(len, points)) < n:
        candidates = shapely.points(rng.uniform(xmin, xmax, 2 * n), rng.uniform(ymin, ymax, 2 * n))
        points.append(candidates[shapely.intersects(union, candidates)])
    seeds = shapely.multipoints(np.concatenate(points)[:n])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=shapely.box(xmin, ymin, xmax, ymax)))
    country_idx, cell_idx = shapely.STRtree(cells).query(shapes, predicate="intersects")
    shapely.prepare(shapes)
    # cells well inside a country are kept whole: cutting every cell by a 10,000-vertex country is slow
    inside = shapely.contains_properly(shapes[country_idx], cells[cell_idx])
    pieces = cells[cell_idx].copy()
    pieces[~inside] = shapely.intersection(cells[cell_idx[~inside]], shapes[country_idx[~inside]])
    pieces = _polygonal(pieces)
    keep = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
    code = countries["country"].to_numpy()[country_idx[keep]]
    ids = [f"{c}-{k}" for c, k in zip(code, cell_idx[keep], strict=True)]
    return gpd.GeoDataFrame(
        {"name": [f"cell {k}" for k in cell_idx[keep]], "country": code,
         "value": np.random.default_rng(seed + 1).uniform(0, 1, int(keep.sum()))},
        geometry=pieces[keep], crs=countries.crs, index=pd.Index(ids, name="region_id"),
    )


def edges(regions: gpd.GeoDataFrame) -> dict[frozenset[str], float]:
    """Shared edges with their lengths alone: what libpysal's contiguity computes."""
    found = layers.shared_edges(regions)
    return dict(zip(map(frozenset, zip(found["region_a"], found["region_b"], strict=True)),
                    found["shared_border_km"], strict=True))


def ours(regions: gpd.GeoDataFrame) -> dict[frozenset[str], float]:
    graph = neighbours.neighbour_graph(regions)
    table = neighbours.pair_table(regions, graph, regions["value"], focus_country="RU")
    return dict(zip(map(frozenset, zip(table["region_a"], table["region_b"], strict=True)),
                    table["shared_border_km"], strict=True))


def theirs(regions: gpd.GeoDataFrame) -> dict[frozenset[str], float]:
    from libpysal.graph import Graph

    graph = Graph.build_contiguity(regions, rook=True, by_perimeter=True)
    adj = graph.adjacency
    return {frozenset(k): w / 1000 for k, w in adj.items() if k[0] < k[1] and w > 0}


def _child(method: Callable[[gpd.GeoDataFrame], dict], regions: gpd.GeoDataFrame, keep: bool, conn) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        result = method(regions)
    except Exception as error:  # the refusal is the result we report
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    seconds = time.perf_counter() - start
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    conn.send(("ok", seconds, peak_mb, result if keep else len(result)))


def measure(method: Callable, regions: gpd.GeoDataFrame, *, keep: bool = False) -> tuple:
    """Run once in a forked process: (status, seconds, peak extra MB, result or its size)."""
    parent, child = mp.get_context("fork").Pipe()
    process = mp.get_context("fork").Process(target=_child, args=(method, regions, keep, child))
    process.start()
    answer = parent.recv()
    process.join()
    return answer


def compare(n: int) -> dict[str, object]:
    start = time.perf_counter()
    # the layer as the pipeline has it: repaired into an edge-matched coverage (what segment matching needs)
    regions, _ = layers.repair_coverage(voronoi_layer(n), max_repair_pct=100.0)
    built = time.perf_counter() - start
    methods = (("shared edges", edges), ("pair table", ours), ("libpysal", theirs))
    # same pairs and lengths first: a fast wrong answer is not a result
    first = {name: measure(method, regions, keep=True) for name, method in methods}
    reference = first["libpysal"][3]
    worst = 0.0
    for name in ("shared edges", "pair table"):
        found = first[name][3]
        if set(found) != set(reference):
            raise SystemExit(f"N={n}: {name} pair set differs from libpysal's: {len(set(found) - set(reference))} "
                             f"only ours, {len(set(reference) - set(found))} only libpysal")
        worst = max(worst, max(abs(found[k] - reference[k]) / reference[k] for k in found))
    if worst > 1e-9:
        raise SystemExit(f"N={n}: shared lengths differ by up to {100 * worst:.2e} %")
    runs = {name: [first[name][1:3]] + [measure(m, regions)[1:3] for _ in range(RUNS - 1)] for name, m in methods}
    med = {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
           for name, rs in runs.items()}
    return {
        "N cells": n, "regions": len(regions), "pairs": len(reference), "layer built s": round(built, 1),
        "shared edges s": med["shared edges"][0], "pair table s": med["pair table"][0],
        "libpysal s": med["libpysal"][0],
        "speed-up of shared edges (libpysal / ours)": med["libpysal"][0] / med["shared edges"][0],
        "speed-up of the pair table": med["libpysal"][0] / med["pair table"][0],
        "shared edges peak MB": med["shared edges"][1], "libpysal peak MB": med["libpysal"][1],
        "max length diff %": 100 * worst,
    }


def mixed_source_demo() -> None:
    # RU, BY and UA cut from polygons generalised by 2 km: the "Natural Earth" side against "NUTS"
    reference = len(ours(voronoi_layer(1000, seed=1)))
    regions = voronoi_layer(1000, seed=1, generalise_m={"RU": 2000.0, "BY": 2000.0, "UA": 2000.0})
    geoms = regions.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    overlap = shapely.area(shapely.intersection(geoms[left[left < right]], geoms[right[left < right]])).sum() / 1e6
    print(f"\nmixed-source layer: {len(regions)} regions, {overlap:,.0f} km² claimed twice, "
          f"valid coverage: {shapely.coverage_is_valid(geoms)}; the same cells cut by the consistent "
          f"borders have {reference} pairs")
    status = measure(theirs, regions)
    print(f"  libpysal build_contiguity(by_perimeter=True): {status[1] if status[0] == 'error' else 'ran'}")
    snapped = measure(lambda r: _tolerant(r, 2500.0), regions)
    print(f"  ours, snap tolerance 2500 m: {snapped[3]} pairs in {snapped[1]:.2f} s")
    repaired = measure(_repaired, regions)
    if repaired[0] == "error":
        raise SystemExit(f"repair_coverage failed on the mixed-source layer: {repaired[1]}")
    print(f"  ours after repair_coverage: {repaired[3]} pairs in {repaired[1]:.2f} s (repair included)")


def _tolerant(regions: gpd.GeoDataFrame, tolerance_m: float) -> dict:
    graph = neighbours.neighbour_graph(regions, tolerance_m=tolerance_m)
    return dict.fromkeys(range(len(neighbours.pair_table(regions, graph, regions["value"]))))


def _repaired(regions: gpd.GeoDataFrame) -> dict:
    # the overlaps are the generalisation's doing, so accept the repair's moves of any size
    clean, _ = layers.repair_coverage(regions, max_repair_pct=100.0)
    return dict.fromkeys(range(len(neighbours.pair_table(clean, neighbours.neighbour_graph(clean), clean["value"]))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only")
    args = parser.parse_args()
    # import libpysal before forking, so that its import time is not counted in its runs
    import libpysal.graph  # noqa: F401
    sizes = [1000] if args.quick else [1000, 10_000, 100_000]
    rows = []
    for n in sizes:
        rows.append(compare(n))
        print(f"N = {n:,}: done", flush=True)
    table = pd.DataFrame(rows).set_index("N cells")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
        print(f"\nmedians of {RUNS} runs (each in a fresh process); peak MB = extra resident memory of the run")
        print(table.to_string())
    mixed_source_demo()


if __name__ == "__main__":
    main()
