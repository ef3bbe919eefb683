"""Beyond one machine: shared edges and zonal sums of up to 1,000,000 regions on a dask ``LocalCluster``.

    python benchmarks/bench_cluster.py                       # 100,000 and 1,000,000 regions (about 40 min)
    python benchmarks/bench_cluster.py --sizes 100000        # one size
    python benchmarks/bench_cluster.py --quick               # 10,000 regions, a 2,000² raster (a few minutes)

The layer: ``bench_pairs.voronoi_layer(N)`` (N seeded Voronoi cells cut by the nine countries of
``geodata/countries.gpkg``, EPSG:3035) repaired into an edge-matched coverage, as the pipeline
has it. The raster: ``bench_raster.write_population`` (a seeded population-like float32 field, no
data outside the countries) on a 10,000² grid over the layer's bounds (418 m cells; a region of the
1,000,000 covers about 36 cells). Both are built once, each in its own process, and kept in
``--cache`` (``$TMPDIR/borderland-bench-cluster``) with the time and memory their building took.

Each size runs three ways, each in a fresh process that reads the cached layer first:

- ``one task``: ``layers.shared_edges`` and ``raster.zonal_stats(stats=("sum", "count"))`` over the
  whole layer at once (``Serial(chunk_regions=N)``: the computation of a run without a cluster);
- ``chunks here``: the same in chunks of ``--chunk-regions`` (``Serial(50_000)``), one after another;
- ``cluster``: the same chunks on a ``LocalCluster`` of ``--workers`` processes (one thread each)
  with ``--memory-per-worker`` each (``DaskExecutor``; started before the timing, its start
  reported apart; the workers import borderland before the timing, as the process has).

Reported: wall time of each step; CPU seconds of the process (with a cluster: of the client and
scheduler, and of each worker) over both steps; the peak resident memory of the process (the client, and with
a ``LocalCluster`` its scheduler, which runs in the client's process), measured from after the
layer was read (Linux ``VmHWM`` after resetting it), and of each worker during the steps (the
same, inside the worker). Checks: the cluster's edges (pairs, lengths and the lines' WKB) and sums
equal the chunks-here ones exactly, over every region; the edges equal the one-task ones exactly;
the sums differ from the one-task ones in the last digits only (a chunk's sums are added up
over its own strips of the raster): the largest relative difference is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_raster import peak_since_reset, reset_peak  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "borderland-bench-cluster"
MODES = ("one task", "chunks here", "cluster")


# --------------------------------------------------------------------------------------------
# inputs, built once in their own processes


def make_layer(n: int, path: Path) -> dict:
    """The repaired Voronoi layer of ``n`` cells, as GeoParquet; how long each part took."""
    from bench_pairs import voronoi_layer

    from borderland import layers

    start = time.perf_counter()
    raw = voronoi_layer(n)
    built = time.perf_counter() - start
    start = time.perf_counter()
    regions, _ = layers.repair_coverage(raw, max_repair_pct=100.0)
    repaired = time.perf_counter() - start
    regions[["name", "country", "geometry"]].to_parquet(path)
    return {"regions": len(regions), "voronoi_s": built, "repair_s": repaired,
            "peak_mb": peak_since_reset(), "bounds": [float(b) for b in regions.total_bounds]}


def make_raster(cells: int, path: Path, bounds: list[float]) -> dict:
    """The population raster of ``cells``² over the bounds, masked by the countries' union."""
    import geopandas as gpd
    from bench_raster import write_population

    start = time.perf_counter()
    countries = gpd.read_file(ROOT / "geodata" / "countries.gpkg", layer="countries")
    land = path.with_suffix(".gpkg")
    countries[["geometry"]].to_file(land, layer="regions")  # write_population masks by the union of "regions"
    write_population(path, land, tuple(bounds), cells)  # type: ignore[arg-type]
    land.unlink()
    return {"cells": cells, "seconds": time.perf_counter() - start, "mb": path.stat().st_size / 1e6}


def built(kind: str, key: int, args: list[str], cache: Path) -> dict:
    """The cached input's record, building it first (in a fresh process) when missing."""
    record = cache / f"{kind}-{key}.json"
    if not record.exists():
        print(f"building {kind} {key:,} ...", flush=True)
        subprocess.run([sys.executable, __file__, f"--make-{kind}", str(key), *args, "--cache", str(cache)],
                       check=True)
    return json.loads(record.read_text())


# --------------------------------------------------------------------------------------------
# one measurement, in its own process


def _worker_reset() -> None:
    """Reset a worker's peak resident memory (sent by value: no import of this file there)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _worker_peak() -> float:
    """A worker's peak resident memory since the reset, in MB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))


def _cpu_s() -> float:
    """CPU seconds of this process so far (user and system)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _worker_imports() -> None:
    import borderland.layers
    import borderland.raster  # noqa: F401


def measure(mode: str, layer: Path, raster: Path, out: Path, *, chunk_regions: int, workers: int,
            memory_per_worker: str) -> dict:
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from borderland import layers
    from borderland import raster as raster_module
    from borderland.compute import DaskExecutor, Serial

    regions = gpd.read_parquet(layer)
    record: dict = {"mode": mode, "regions": len(regions)}
    cluster = client = None
    if mode == "cluster":
        import logging

        from dask.distributed import Client, LocalCluster

        logging.getLogger("distributed").setLevel(logging.ERROR)
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory_per_worker,
                               processes=True, dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        client.run(_worker_imports)
        record["cluster_start_s"] = time.perf_counter() - start
        where = DaskExecutor(client, chunk_regions)
        pids = client.run(os.getpid)
        client.run(_worker_reset)
        workers_cpu = client.run(_cpu_s)
    else:
        where = Serial(len(regions) if mode == "one task" else chunk_regions)
    record["client_before_mb"] = reset_peak()
    cpu = _cpu_s()

    start = time.perf_counter()
    edges = layers.shared_edges(regions, executor=where)
    record["edges_s"] = time.perf_counter() - start
    start = time.perf_counter()
    sums = raster_module.zonal_stats(regions, raster, stats=("sum", "count"), executor=where)
    record["zonal_s"] = time.perf_counter() - start
    record["client_peak_mb"] = peak_since_reset()
    record["client_cpu_s"] = _cpu_s() - cpu
    if client is not None:
        record["worker_cpu_s"] = sorted(after - workers_cpu[w] for w, after in client.run(_cpu_s).items())
        peaks = client.run(_worker_peak)
        record["worker_peak_mb"] = sorted(peaks.values())
        record["workers_restarted"] = client.run(os.getpid) != pids
        client.close()
        cluster.close()  # type: ignore[union-attr]
    record["pairs"] = len(edges)
    table = pa.table({"region_a": edges["region_a"].to_numpy(), "region_b": edges["region_b"].to_numpy(),
                      "shared_border_km": edges["shared_border_km"].to_numpy(),
                      "wkb": edges.geometry.to_wkb().to_numpy()})
    pq.write_table(table, out.with_suffix(".edges.parquet"))
    np.save(out.with_suffix(".sums.npy"), sums.to_numpy())
    return record


def run_measure(mode: str, n: int, cache: Path, raster: Path, options: argparse.Namespace) -> dict:
    out = cache / f"result-{n}-{mode.replace(' ', '_')}"
    # the workers import this checkout's borderland, as the client does
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", mode, str(cache / f"layer-{n}.parquet"), str(raster), str(out),
         "--chunk-regions", str(options.chunk_regions), "--workers", str(options.workers),
         "--memory-per-worker", options.memory_per_worker],
        capture_output=True, text=True, check=False, env=env)
    if completed.returncode != 0:
        raise SystemExit(f"{mode} at N = {n:,} failed:\n{completed.stderr[-4000:]}")
    record = json.loads(completed.stdout.strip().splitlines()[-1])
    record["out"] = str(out)
    return record


# --------------------------------------------------------------------------------------------
# checks


def compare(records: dict[str, dict]) -> dict:
    """The cluster's answers against the chunks here (exactly) and the one task (edges exactly; sums)."""
    import pyarrow.parquet as pq

    edges = {mode: pq.read_table(Path(r["out"]).with_suffix(".edges.parquet")) for mode, r in records.items()}
    sums = {mode: np.load(Path(r["out"]).with_suffix(".sums.npy")) for mode, r in records.items()}
    out = {}
    for mode in ("chunks here", "one task"):
        if mode in records and "cluster" in records:
            out[f"edges equal {mode}"] = edges["cluster"].equals(edges[mode])
            a, b = sums["cluster"], sums[mode]
            out[f"sums equal {mode}"] = bool(np.array_equal(a, b))
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.abs(a - b) / np.abs(b)
            out[f"sums max rel diff {mode}"] = float(np.nanmax(np.where(b != 0, rel, np.abs(a - b))))
    return out


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="10,000 regions and a 2,000² raster")
    parser.add_argument("--raster-cells", type=int, default=10_000)
    parser.add_argument("--chunk-regions", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-per-worker", default="2.5GB")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--make-layer", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--make-raster", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bounds", type=float, nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args()
    options.cache.mkdir(parents=True, exist_ok=True)
    if options.make_layer:
        reset_peak()
        record = make_layer(options.make_layer, options.cache / f"layer-{options.make_layer}.parquet")
        (options.cache / f"layer-{options.make_layer}.json").write_text(json.dumps(record))
        return
    if options.make_raster:
        path = options.cache / f"raster-{options.make_raster}.tif"
        record = make_raster(options.make_raster, path, options.bounds)
        (options.cache / f"raster-{options.make_raster}.json").write_text(json.dumps(record))
        return
    if options.measure:
        mode, layer, raster, out = options.measure
        print(json.dumps(measure(mode, Path(layer), Path(raster), Path(out), chunk_regions=options.chunk_regions,
                                 workers=options.workers, memory_per_worker=options.memory_per_worker)))
        return

    sizes, cells = ([10_000], 2_000) if options.quick else (options.sizes, options.raster_cells)
    if options.quick:
        options.chunk_regions = min(options.chunk_regions, 5_000)
    # one raster for every size, over the largest layer's bounds (the layers cover the same countries)
    layers_built = {n: built("layer", n, [], options.cache) for n in sizes}
    bounds = layers_built[max(sizes)]["bounds"]
    raster_built = built("raster", cells, ["--bounds", *map(str, bounds)], options.cache)
    raster = options.cache / f"raster-{cells}.tif"
    print(f"raster: {cells:,}² cells ({raster_built['mb']:,.0f} MB), built in {raster_built['seconds']:.0f} s")
    for n in sizes:
        made = layers_built[n]
        print(f"\nN = {n:,} cells: {made['regions']:,} regions; layer built in {made['voronoi_s']:.0f} s (Voronoi "
              f"and cut) + {made['repair_s']:.0f} s (repair_coverage), peak {made['peak_mb']:,.0f} MB", flush=True)
        records = {}
        for mode in options.modes:
            records[mode] = record = run_measure(mode, n, options.cache, raster, options)
            line = (f"  {mode:12s} shared edges {record['edges_s']:7.1f} s, zonal sums {record['zonal_s']:7.1f} s; "
                    f"{record['pairs']:,} pairs; client peak {record['client_peak_mb']:,.0f} MB "
                    f"(from {record['client_before_mb']:,.0f} MB after reading the layer); CPU "
                    f"{record['client_cpu_s']:.1f} s")
            if mode == "cluster":
                line += (f" + workers' {', '.join(f'{c:.1f}' for c in record['worker_cpu_s'])} s; "
                         f"workers' peaks {', '.join(f'{m:,.0f}' for m in record['worker_peak_mb'])} MB "
                         f"(limit {options.memory_per_worker} each), restarted: {record['workers_restarted']}; "
                         f"cluster start {record['cluster_start_s']:.1f} s")
            print(line, flush=True)
        for key, value in compare(records).items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
