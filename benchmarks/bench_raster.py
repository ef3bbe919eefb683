"""Benchmark: zonal sums and distance-to-border rasters against their peers.

    python benchmarks/bench_raster.py            # 2,000² and 10,000² cells, 3 runs each
    python benchmarks/bench_raster.py --quick    # 2,000² only
    python benchmarks/bench_raster.py --runs 5 --sizes 2000 4000

Zones are the bundled study's 92 regions and the border its 17 land-border segments, in
EPSG:3035. The rasters cover the study's bounding box (3,100 x 4,200 km) with square cells: 2,092 m
at 2,000² and 418 m at 10,000². Population is synthetic and seeded: a smooth field of a few hundred
towns of lognormal size, times lognormal cell-to-cell noise, with no data outside the regions (like
GPW's sea).

Peers:
- zonal sums: exactextract (exact coverage fractions, the same definition as ours: the answers
  must agree to 1e-6) and rasterstats (whole cells whose centre is inside: only close);
- distance rasters: GDAL's ``gdal_proximity.py`` (Debian ``gdal-bin``) on the border burnt into the
  same grid with rasterio (``all_touched``). It measures to the centre of the nearest burnt cell,
  which is our ``target="cells"``: those answers must agree to float32 precision. Our default,
  ``target="line"``, is exact to the line and lies within half a cell diagonal of GDAL's. Without
  ``gdal_proximity.py`` the distance peer is reported missing; no stand-in is used.

Every run is a fresh subprocess; its peak resident memory during the work (Linux ``VmHWM`` after
resetting it; interpreter and libraries included) is its own. Medians of ``--runs`` runs, with the ratio
borderland / peer (below 1: borderland is faster or smaller).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = 20240601


# --------------------------------------------------------------------------------------------
# inputs


def prepare_layers(folder: Path) -> tuple[Path, tuple[float, float, float, float]]:
    """Regions and border lines of the bundled study, written once for the workers."""
    from borderland import pipeline

    result = pipeline.run()
    layers = folder / "study.gpkg"
    result.regions[["name", "country", "geometry"]].reset_index().to_file(layers, layer="regions")
    result.border_lines.to_file(layers, layer="border_lines")
    return layers, tuple(float(v) for v in result.regions.total_bounds)  # type: ignore[return-value]


def grid(bounds: tuple[float, float, float, float], n: int) -> tuple[float, float, float]:
    """n x n square cells covering the bounds, on multiples of the cell size: (left, top, cell size).

    Aligned as :func:`borderland.raster.distance_raster` aligns its grid, so all tools share it.
    """
    xmin, ymin, xmax, ymax = bounds
    cell = float(np.ceil(max(xmax - xmin, ymax - ymin) / (n - 1)))
    left, bottom = np.floor(xmin / cell) * cell, np.floor(ymin / cell) * cell
    return float(left), float(bottom + n * cell), cell


def write_population(path: Path, layers: Path, bounds: tuple[float, float, float, float], n: int) -> None:
    """A seeded, population-like float32 raster, written strip by strip."""
    import geopandas as gpd
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform
    from scipy.ndimage import gaussian_filter, map_coordinates

    regions = gpd.read_file(layers, layer="regions")
    left, top, cell = grid(bounds, n)
    transform = from_origin(left, top, cell, cell)
    rng = np.random.default_rng(SEED)
    coarse_n = 250  # towns on a coarse grid, smoothed, then interpolated to the fine grid
    coarse = np.zeros((coarse_n, coarse_n))
    towns = rng.integers(0, coarse_n, size=(400, 2))
    coarse[towns[:, 0], towns[:, 1]] += rng.lognormal(mean=10, sigma=1.2, size=len(towns))
    coarse = gaussian_filter(coarse, sigma=2.0) + 50.0
    profile = {"driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "float32", "crs": "EPSG:3035",
               "transform": transform, "nodata": -1.0, "tiled": True, "blockxsize": 256, "blockysize": 256}
    strip = 512
    union = [regions.union_all()]
    with rasterio.open(path, "w", **profile) as dst:
        for k, row in enumerate(range(0, n, strip)):
            rows = min(strip, n - row)
            # the coarse field, interpolated bilinearly at the strip's cell centres
            u = (np.arange(row, row + rows) + 0.5) * coarse_n / n - 0.5
            v = (np.arange(n) + 0.5) * coarse_n / n - 0.5
            fine = map_coordinates(coarse, np.meshgrid(u, v, indexing="ij"), order=1, mode="nearest")
            noise = np.random.default_rng([SEED, k]).lognormal(0.0, 0.5, size=(rows, n))
            values = (fine * noise * (cell / 1000.0) ** 2 / 4.0).astype("float32")
            window = Window(0, row, n, rows)
            outside = geometry_mask(union, out_shape=(rows, n), transform=window_transform(window, transform))
            values[outside] = -1.0
            dst.write(values, 1, window=window)


def write_burnt_border(path: Path, layers: Path, bounds: tuple[float, float, float, float], n: int) -> None:
    """The border burnt into the grid (all touched cells = 1), the input gdal_proximity needs."""
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    lines = gpd.read_file(layers, layer="border_lines")
    left, top, cell = grid(bounds, n)
    transform = from_origin(left, top, cell, cell)
    profile = {"driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "uint8", "crs": "EPSG:3035",
               "transform": transform, "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, n, 1024):
            rows = min(1024, n - row)
            window = Window(0, row, n, rows)
            burnt = rasterize(((g, 1) for g in lines.geometry), out_shape=(rows, n), all_touched=True,
                              transform=window_transform(window, transform), dtype="uint8")
            dst.write(burnt, 1, window=window)


# --------------------------------------------------------------------------------------------
# one timed run, in its own process


def worker(task: str, tool: str, spec: dict) -> dict:
    import geopandas as gpd

    regions = gpd.read_file(spec["layers"], layer="regions").set_index("region_id")
    lines = gpd.read_file(spec["layers"], layer="border_lines")
    out = Path(spec["out"])
    baseline = reset_peak()
    start = time.perf_counter()
    if task == "zonal":
        if tool == "borderland":
            from borderland.raster import zonal_stats

            sums = zonal_stats(regions, spec["raster"], stats=["sum"])["sum"].to_numpy()
        elif tool == "exactextract":
            from exactextract import exact_extract

            sums = exact_extract(spec["raster"], regions.reset_index(), ["sum"], output="pandas")["sum"].to_numpy()
        elif tool == "rasterstats":
            from rasterstats import zonal_stats as rs_zonal

            sums = np.array([row["sum"] or 0.0 for row in rs_zonal(regions.geometry, spec["raster"], stats=["sum"])])
        else:
            raise SystemExit(f"unknown tool {tool}")
        seconds = time.perf_counter() - start
        np.save(out, sums)
    elif task == "distance":
        if tool.startswith("borderland"):
            from borderland.raster import distance_raster

            left, top, cell = spec["left"], spec["top"], spec["cell"]
            n = spec["n"]
            distance_raster(lines, out, resolution_m=cell, bounds=(left, top - n * cell, left + n * cell, top),
                            target="cells" if tool.endswith("cells") else "line", overwrite=True)
        elif tool == "gdal_proximity":
            subprocess.run(
                [spec["gdal_proximity"], spec["burnt"], str(out), "-values", "1", "-distunits", "GEO",
                 "-ot", "Float32", "-co", "TILED=YES", "-co", "BLOCKXSIZE=256", "-co", "BLOCKYSIZE=256",
                 "-co", "COMPRESS=DEFLATE", "-q"],
                check=True,
            )
        else:
            raise SystemExit(f"unknown tool {tool}")
        seconds = time.perf_counter() - start
    else:
        raise SystemExit(f"unknown task {task}")
    if tool == "gdal_proximity":  # the peer's own process
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"seconds": seconds, "peak_mb": peak, "extra_mb": float("nan")}
    peak = peak_since_reset()
    return {"seconds": seconds, "peak_mb": peak, "extra_mb": peak - baseline}


def reset_peak() -> float:
    """Reset the process's peak resident memory (Linux clear_refs) and return the current one (MB)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux, or not allowed: the peak then includes what came before
    return _status("VmRSS")


def peak_since_reset() -> float:
    peak = _status("VmHWM")
    return peak if peak == peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_worker(task: str, tool: str, spec: dict) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", task, tool, json.dumps(spec)],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{task}/{tool} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# answer checks


def compare_zonal(folder: Path, tag: str) -> dict[str, str]:
    ours = np.load(folder / f"zonal-{tag}-borderland.npy")
    notes = {}
    for peer in ("exactextract", "rasterstats"):
        file = folder / f"zonal-{tag}-{peer}.npy"
        if not file.exists():
            continue
        theirs = np.load(file)
        rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-9)
        total = abs(ours.sum() - theirs.sum()) / theirs.sum()
        notes[peer] = f"max region diff {rel.max():.2e}, total diff {total:.2e}"
        if peer == "exactextract" and rel.max() > 1e-6:
            raise SystemExit(f"zonal sums disagree with exactextract: {notes[peer]}")
    return notes


def compare_rasters(ours: Path, peer: Path, scale: float) -> tuple[float, float]:
    """Largest and mean absolute difference (km), strip by strip."""
    import rasterio
    from rasterio.windows import Window

    largest, total, count = 0.0, 0.0, 0
    with rasterio.open(ours) as a, rasterio.open(peer) as b:
        for row in range(0, a.height, 1024):
            window = Window(0, row, a.width, min(1024, a.height - row))
            diff = np.abs(a.read(1, window=window).astype(np.float64) - b.read(1, window=window) * scale)
            largest = max(largest, float(diff.max()))
            total += float(diff.sum())
            count += diff.size
    return largest, total / count


def check_cells(ours: Path, peer: Path, burnt: Path, cell: float) -> str:
    """Compare distances to burnt cells with gdal_proximity, and both with an exact reference.

    Where the two differ by more than a metre, and in a random sample of other cells, the exact
    distance to the nearest burnt cell centre comes from a k-d tree of those centres.
    """
    import rasterio
    from rasterio.windows import Window
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(SEED)
    differing, sample, centres = [], [], []
    n_differ, largest = 0, 0.0
    with rasterio.open(ours) as a, rasterio.open(peer) as b, rasterio.open(burnt) as c:
        for row in range(0, a.height, 1024):
            window = Window(0, row, a.width, min(1024, a.height - row))
            mine, theirs = a.read(1, window=window).astype(np.float64), b.read(1, window=window) / 1000.0
            diff = np.abs(mine - theirs)
            rows, cols = np.nonzero(diff > 1e-3)
            n_differ += len(rows)
            largest = max(largest, float(diff.max()))
            differing.append(np.column_stack([rows + row, cols, mine[rows, cols], theirs[rows, cols]]))
            pick = rng.integers(0, diff.size, 2000)
            r, q = np.divmod(pick, a.width)
            sample.append(np.column_stack([r + row, q, mine[r, q], theirs[r, q]]))
            br, bc = np.nonzero(c.read(1, window=window))
            centres.append(np.column_stack([br + row, bc]))
    tree = cKDTree(np.vstack(centres))
    found = np.vstack(differing)
    if len(found) > 20000:
        found = found[rng.choice(len(found), 20000, replace=False)]
    checked = np.vstack([found, np.vstack(sample)])
    exact = tree.query(checked[:, :2])[0] * cell / 1000.0
    ours_error = float(np.abs(checked[:, 2] - exact).max())
    peer_error = float(np.abs(checked[:, 3] - exact).max())
    if ours_error > 1e-3:
        raise SystemExit(f"borderland (target='cells') is {ours_error} km from the exact distance to burnt cells")
    return (f"agree to 1 m in all but {n_differ} of {a.width * a.height} cells; there gdal_proximity is off by up "
            f"to {largest:.3f} km ({peer_error:.3f} km from an exact k-d tree reference: its propagation is not an "
            f"exact transform), borderland within {ours_error * 1000:.2f} m of it ({len(checked)} cells checked)")


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000² cells only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*")
    parser.add_argument("--keep", action="store_true", help="keep the temporary rasters")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        task, tool, spec = args.worker
        print(json.dumps(worker(task, tool, json.loads(spec))))
        return

    sizes = args.sizes or ([2000] if args.quick else [2000, 10000])
    gdal_proximity = shutil.which("gdal_proximity.py") or shutil.which("gdal_proximity")
    peers_zonal = [tool for tool, module in (("exactextract", "exactextract"), ("rasterstats", "rasterstats"))
                   if _importable(module)]
    folder = Path(tempfile.mkdtemp(prefix="bench_raster_"))
    rows: list[tuple] = []
    notes: list[str] = []
    if not gdal_proximity:
        notes.append("gdal_proximity.py not found (apt-get install -y gdal-bin): the distance peer is MISSING; "
                     "no stand-in was used")
    for missing in {"exactextract", "rasterstats"} - set(peers_zonal):
        notes.append(f"{missing} is not installed (pip install {missing}): that zonal peer is MISSING")
    try:
        layers, bounds = prepare_layers(folder)
        for n in sizes:
            tag = f"{n}"
            left, top, cell = grid(bounds, n)
            population = folder / f"population-{tag}.tif"
            t0 = time.perf_counter()
            write_population(population, layers, bounds, n)
            print(f"[{n}²] synthetic population written in {time.perf_counter() - t0:.1f} s "
                  f"({population.stat().st_size / 1e6:.0f} MB, cell {cell:.0f} m)", flush=True)
            spec = {"layers": str(layers), "raster": str(population), "n": n, "left": left, "top": top, "cell": cell}

            for tool in ["borderland", *peers_zonal]:
                out = folder / f"zonal-{tag}-{tool}.npy"
                results = [run_worker("zonal", tool, {**spec, "out": str(out)}) for _ in range(args.runs)]
                rows.append((n, "zonal sum", tool, results))
                print(f"[{n}²] zonal {tool}: {[round(r['seconds'], 2) for r in results]} s", flush=True)
            for peer, note in compare_zonal(folder, tag).items():
                notes.append(f"[{n}²] zonal sums vs {peer}: {note}")

            tools = ["borderland", "borderland-cells"]
            if gdal_proximity:
                burnt = folder / f"burnt-{tag}.tif"
                write_burnt_border(burnt, layers, bounds, n)
                spec |= {"burnt": str(burnt), "gdal_proximity": gdal_proximity}
                tools.append("gdal_proximity")
            for tool in tools:
                out = folder / f"distance-{tag}-{tool}.tif"
                results = [run_worker("distance", tool, {**spec, "out": str(out)}) for _ in range(args.runs)]
                rows.append((n, "distance raster", tool, results))
                print(f"[{n}²] distance {tool}: {[round(r['seconds'], 2) for r in results]} s", flush=True)
            if gdal_proximity:
                gdal_out = folder / f"distance-{tag}-gdal_proximity.tif"
                note = check_cells(folder / f"distance-{tag}-borderland-cells.tif", gdal_out, burnt, cell)
                notes.append(f"[{n}²] distance to burnt cells, borderland vs gdal_proximity: {note}")
                worst, mean = compare_rasters(folder / f"distance-{tag}-borderland.tif", gdal_out, 1 / 1000)
                notes.append(f"[{n}²] exact distance to the line vs gdal_proximity: max diff {worst:.3f} km "
                             f"(bound: half a cell diagonal, {cell * 2 ** 0.5 / 2000:.3f} km), mean {mean:.3f} km")
            if not args.keep:
                for file in folder.glob(f"*-{tag}*.tif"):
                    file.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    report(rows, notes, args.runs)


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def report(rows: list[tuple], notes: list[str], runs: int) -> None:
    print()
    print(f"medians of {runs} runs; peak = largest resident memory (MB) of the process during the work "
          "(interpreter and libraries included; gdal_proximity: its own process); extra = peak minus the "
          "memory in use when the work started")
    header = (f"{'cells':>8}  {'task':<16}{'tool':<18}{'median s':>10}{'min s':>9}{'peak MB':>9}{'extra MB':>10}"
              f"  {'time ratio':>10}  {'mem ratio':>9}")
    print(header)
    print("-" * len(header))
    medians = {(n, task, tool): (statistics.median(r["seconds"] for r in res),
                                 statistics.median(r["peak_mb"] for r in res)) for n, task, tool, res in rows}
    for n, task, tool, res in rows:
        seconds, peak = medians[(n, task, tool)]
        ours = medians.get((n, task, "borderland-cells" if tool == "gdal_proximity" else "borderland"))
        ratio = mem = ""
        if not tool.startswith("borderland") and ours:
            ratio, mem = f"{ours[0] / seconds:.2f}", f"{ours[1] / peak:.2f}"
        extra = statistics.median(r["extra_mb"] for r in res)
        extra_text = "" if extra != extra else f"{extra:.0f}"
        print(f"{n:>7}²  {task:<16}{tool:<18}{seconds:>10.2f}{min(r['seconds'] for r in res):>9.2f}{peak:>9.0f}"
              f"{extra_text:>10}  {ratio:>10}  {mem:>9}")
    for n in sorted({row[0] for row in rows}):
        line = medians.get((n, "distance raster", "borderland"))
        peer = medians.get((n, "distance raster", "gdal_proximity"))
        if line and peer:
            print(f"{n:>7}²  borderland target='line' / gdal_proximity: time {line[0] / peer[0]:.2f}, "
                  f"memory {line[1] / peer[1]:.2f}")
    print("ratios: borderland / peer (for gdal_proximity, borderland target='cells', the same definition)")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
