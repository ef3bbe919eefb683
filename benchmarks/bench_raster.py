"""Benchmark: zonal sums and distance-to-border rasters against their peers.

    python benchmarks/bench_raster.py            # 2,000² and 10,000² cells, 3 runs each
    python benchmarks/bench_raster.py --quick    # 2,000² only
    python benchmarks/bench_raster.py --runs 5 --sizes 2000 4000
    python benchmarks/bench_raster.py --only distance --before ../main   # and another checkout's distance raster

Zones are the bundled study's 92 regions and the border its 17 land-border segments, in
EPSG:3035. The rasters cover the study's bounding box (3,100 x 4,200 km) with square cells: 2,092 m
at 2,000² and 418 m at 10,000². Population is synthetic and seeded: a smooth field of a few hundred
towns of lognormal size, times lognormal cell-to-cell noise, with no data outside the regions (like
GPW's sea). Many small zones: the Voronoi cells of ``bench_pairs.py`` (100,000 at 10,000² cells,
10,000 at 2,000²; about 30 x 30 cells each), over a raster held in memory.

Peers:
- zonal sums: exactextract (exact coverage fractions, the same definition as ours: the answers
  agree to 1e-6, exactextract keeping its fractions in single precision) and rasterstats (whole
  cells whose centre is inside: only close). In memory, exactextract reads either the same
  rasterio dataset (a ``MemoryFile``) or a NumPy array (``NumPyRasterSource``); the faster is the peer;
- distance rasters: GDAL's proximity (Debian ``gdal-bin``: ``gdal.ComputeProximity``, the call
  ``gdal_proximity.py`` makes, timed inside its own process after ``from osgeo import gdal``, as
  ours is timed after its imports) on the border burnt into the same grid with rasterio
  (``all_touched``), written with the same creation options (tiled, DEFLATE with the
  floating-point predictor at level 1). It measures to the centre of the nearest burnt cell, which
  is our ``target="cells"``: those answers must agree to float32 precision. Our default,
  ``target="line"``, is exact to the line and lies within half a cell diagonal of GDAL's. Without
  GDAL the distance peer is reported missing; no stand-in is used.

Every run is a fresh subprocess; its peak resident memory during the work (Linux ``VmHWM`` after
resetting it; interpreter, libraries and inputs included) is its own, and "extra" is that peak less
the memory in use when the work started. Medians of ``--runs`` runs, with the ratio borderland /
peer (below 1: borderland is faster or smaller); memory ratios of the distance rasters compare the
extra memory (GDAL's interpreter is smaller than one with geopandas loaded).
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
from functools import partial
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


def prepare_many(folder: Path, n: int) -> tuple[Path, tuple[float, float, float, float]]:
    """N seeded Voronoi cells cut by the real borders (``bench_pairs.voronoi_layer``), written once."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_pairs import voronoi_layer

    regions = voronoi_layer(n)
    layers = folder / f"cells-{n}.gpkg"
    regions[["name", "country", "geometry"]].reset_index().to_file(layers, layer="regions")
    return layers, tuple(float(v) for v in regions.total_bounds)  # type: ignore[return-value]


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
    out = Path(spec["out"])
    if task == "zonal":
        baseline = reset_peak()
        start = time.perf_counter()
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
    elif task == "zonal-memory":
        import rasterio
        from rasterio.io import MemoryFile

        # the raster held in memory before timing: an uncompressed GeoTIFF in a MemoryFile (a
        # rasterio dataset, for borderland and exactextract alike) or a masked NumPy array
        with rasterio.open(spec["raster"]) as src:
            data = src.read(1, masked=True)
            profile = {**src.profile, "compress": None}
            bounds, wkt = src.bounds, src.crs.to_wkt()
        memory = MemoryFile()
        if tool == "exactextract (numpy)":
            from exactextract.raster import NumPyRasterSource

            source = NumPyRasterSource(data, bounds.left, bounds.bottom, bounds.right, bounds.top, srs_wkt=wkt)
        else:
            with memory.open(**profile) as dst:
                dst.write(data.filled(profile["nodata"]), 1)
            del data
            source = memory.open()
        if tool == "borderland":
            from borderland.raster import zonal_stats
        else:
            from exactextract import exact_extract
        baseline = reset_peak()
        start = time.perf_counter()
        if tool == "borderland":
            sums = zonal_stats(regions, source, stats=["sum"])["sum"].to_numpy()
        elif tool.startswith("exactextract"):
            sums = exact_extract(source, regions.reset_index(), ["sum"], output="pandas")["sum"].to_numpy()
        else:
            raise SystemExit(f"unknown tool {tool}")
        seconds = time.perf_counter() - start
        np.save(out, sums)
    elif task == "distance":
        # rasterio imported before timing, as GDAL's peer imports osgeo first
        from borderland.raster import distance_raster, open_raster

        with open_raster(spec["raster"]):
            pass

        lines = gpd.read_file(spec["layers"], layer="border_lines")
        left, top, cell, n = spec["left"], spec["top"], spec["cell"], spec["n"]
        baseline = reset_peak()
        start, cpu_start = time.perf_counter(), time.process_time()
        distance_raster(lines, out, resolution_m=cell, bounds=(left, top - n * cell, left + n * cell, top),
                        target="cells" if tool.endswith("cells") else "line", overwrite=True)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    else:
        raise SystemExit(f"unknown task {task}")
    peak = peak_since_reset()
    # CPU seconds too (distance rasters): on a shared machine they move less with the load than the wall clock
    return {"seconds": seconds, "peak_mb": peak, "extra_mb": peak - baseline,
            **({"cpu_seconds": cpu} if task == "distance" else {})}


#: The proximity peer, run by the Python that has GDAL's bindings: ComputeProximity as
#: ``gdal_proximity.py -values 1 -distunits GEO -ot Float32`` calls it, timed after the import.
GDAL_PEER = """
import json, sys, time
from pathlib import Path
from osgeo import gdal

gdal.UseExceptions()
burnt, out = sys.argv[1], sys.argv[2]
options = json.loads(sys.argv[3])


def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
baseline = status("VmRSS")
start, cpu_start = time.perf_counter(), time.process_time()
src = gdal.Open(burnt)
dst = gdal.GetDriverByName("GTiff").Create(out, src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32,
                                           options=options)
dst.SetGeoTransform(src.GetGeoTransform())
dst.SetProjection(src.GetProjection())
gdal.ComputeProximity(src.GetRasterBand(1), dst.GetRasterBand(1), ["VALUES=1", "DISTUNITS=GEO"])
dst = None
src = None
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu_start
peak = status("VmHWM")
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak, "extra_mb": peak - baseline}))
"""

#: Creation options of the distance rasters, ours (:func:`borderland.raster.distance_raster`) and GDAL's.
CREATION = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3", "ZLEVEL=1"]


def gdal_python(gdal_proximity: str) -> str | None:
    """The interpreter of ``gdal_proximity.py`` (its shebang), if it imports osgeo."""
    first = Path(gdal_proximity).read_text(errors="replace").splitlines()[0]
    python = first.removeprefix("#!").strip().split()[0] if first.startswith("#!") else "python3"
    if python.endswith("env"):
        python = first.split()[-1]
    done = subprocess.run([python, "-c", "from osgeo import gdal"], capture_output=True, check=False)
    return python if done.returncode == 0 else None


def run_gdal(python: str, burnt: Path, out: Path) -> dict:
    out.unlink(missing_ok=True)
    done = subprocess.run([python, "-c", GDAL_PEER, str(burnt), str(out), json.dumps(CREATION)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"GDAL's proximity failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli_seconds(gdal_proximity: str, burnt: Path, out: Path) -> float:
    """Wall time of the command line itself (interpreter start and imports included), once."""
    out.unlink(missing_ok=True)
    creation = [arg for option in CREATION for arg in ("-co", option)]
    start = time.perf_counter()
    subprocess.run([gdal_proximity, str(burnt), str(out), "-values", "1", "-distunits", "GEO", "-ot", "Float32",
                    *creation, "-q"], check=True)
    return time.perf_counter() - start


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


def run_worker(task: str, tool: str, spec: dict, script: Path = Path(__file__)) -> dict:
    """One task in a fresh process: this script's worker, or ``script``'s (another checkout's code)."""
    completed = subprocess.run(
        [sys.executable, str(script), "--worker", task, tool, json.dumps(spec)],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{task}/{tool} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# answer checks


def compare_zonal(folder: Path, tag: str, peers: tuple[str, ...] = ("exactextract", "rasterstats"),
                  task: str = "zonal") -> dict[str, str]:
    ours = np.load(folder / f"{task}-{tag}-borderland.npy")
    notes = {}
    for peer in peers:
        file = folder / f"{task}-{tag}-{peer}.npy"
        if not file.exists():
            continue
        theirs = np.load(file)
        # (a region of no people has 0 in both: its difference is 0, not 0 / 0)
        rel = np.abs(ours - theirs) / np.where(theirs != 0, np.abs(theirs), 1.0)
        total = abs(ours.sum() - theirs.sum()) / theirs.sum()
        notes[peer] = f"max region diff {rel.max():.2e}, total diff {total:.2e}"
        if peer == "exactextract (numpy)":
            # exactextract's NumPy source differs from its own rasterio source on a few regions
            # at the raster's edge: reported, the check is against the rasterio source
            off = int((rel > 1e-6).sum())
            notes[peer] += f"; {off} region(s) beyond 1e-6 (where its rasterio source agrees with ours)" if off else ""
        elif peer.startswith("exactextract") and rel.max() > 1e-6:
            raise SystemExit(f"zonal sums disagree with {peer}: {notes[peer]}")
    return notes


def check_exact(folder: Path, tag: str, layers: Path, raster: Path, sample: int = 500) -> str:
    """Our sums of all regions at once against our region-by-region exact fractions, on a sample."""
    import geopandas as gpd

    from borderland.raster import zonal_stats

    ours = np.load(folder / f"zonal-memory-{tag}-borderland.npy")
    regions = gpd.read_file(layers, layer="regions").set_index("region_id")
    pick = np.random.default_rng(SEED).choice(len(regions), min(sample, len(regions)), replace=False)
    # asking for "min" too takes the region-by-region path (each cell's fraction, in double precision)
    exact = zonal_stats(regions.iloc[pick], raster, stats=["sum", "min"])["sum"].to_numpy()
    rel = np.abs(ours[pick] - exact) / np.where(exact != 0, np.abs(exact), 1.0)
    return f"max region diff {rel.max():.2e} on {len(pick)} sampled regions"


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
    parser.add_argument("--only", choices=("zonal", "distance"), help="the zonal sums or the distance rasters alone")
    parser.add_argument("--before", type=Path, help="another checkout: its distance raster too, side by side")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        task, tool, spec = args.worker
        print(json.dumps(worker(task, tool, json.loads(spec))))
        return

    sizes = args.sizes or ([2000] if args.quick else [2000, 10000])
    gdal_proximity = shutil.which("gdal_proximity.py") or shutil.which("gdal_proximity")
    python_gdal = gdal_python(gdal_proximity) if gdal_proximity else None
    peers_zonal = [tool for tool, module in (("exactextract", "exactextract"), ("rasterstats", "rasterstats"))
                   if _importable(module)]
    folder = Path(tempfile.mkdtemp(prefix="bench_raster_"))
    rows: list[tuple] = []
    notes: list[str] = []
    if not python_gdal:
        notes.append("GDAL's proximity (gdal_proximity.py and its Python bindings; apt-get install -y gdal-bin) not "
                     "found: the distance peer is MISSING; no stand-in was used")
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

            if args.only != "distance":
                alternate(n, "zonal sum", {tool: partial(run_worker, "zonal", tool, {
                    **spec, "out": str(folder / f"zonal-{tag}-{tool}.npy")}) for tool in ["borderland", *peers_zonal]},
                    args.runs, rows)
                for peer, note in compare_zonal(folder, tag).items():
                    notes.append(f"[{n}²] zonal sums vs {peer}: {note}")
                many = 100_000 if n >= 10_000 else 10_000
                zonal_many(folder, n, many, runs=args.runs, rows=rows, notes=notes, exact=_importable("exactextract"))
            if args.only == "zonal":
                continue

            tools = ["borderland", "borderland-cells"]
            if python_gdal:
                burnt = folder / f"burnt-{tag}.tif"
                write_burnt_border(burnt, layers, bounds, n)
            runners = {tool: partial(run_worker, "distance", tool, {
                **spec, "out": str(folder / f"distance-{tag}-{tool}.tif")}) for tool in tools}
            if args.before is not None:
                runners[BEFORE] = partial(run_worker, "distance", "borderland", {
                    **spec, "out": str(folder / f"distance-{tag}-before.tif")},
                    args.before.resolve() / "benchmarks" / "bench_raster.py")
            if python_gdal:
                gdal_out = folder / f"distance-{tag}-gdal_proximity.tif"
                runners["gdal_proximity"] = partial(run_gdal, python_gdal, burnt, gdal_out)
            alternate(n, "distance raster", runners, args.runs, rows)
            if python_gdal:
                wall = cli_seconds(gdal_proximity, burnt, folder / f"cli-{tag}.tif")
                notes.append(f"[{n}²] gdal_proximity.py as a command (interpreter start and imports included): "
                             f"{wall:.2f} s, once")
                note = check_cells(folder / f"distance-{tag}-borderland-cells.tif", gdal_out, burnt, cell)
                notes.append(f"[{n}²] distance to burnt cells, borderland vs gdal_proximity: {note}")
                worst, mean = compare_rasters(folder / f"distance-{tag}-borderland.tif", gdal_out, 1 / 1000)
                notes.append(f"[{n}²] exact distance to the line vs gdal_proximity: max diff {worst:.3f} km "
                             f"(bound: half a cell diagonal, {cell * 2 ** 0.5 / 2000:.3f} km), mean {mean:.3f} km")
                size = (folder / f"distance-{tag}-borderland.tif").stat().st_size / 1e6
                if args.before is not None:
                    notes.append(f"[{n}²] the distance raster of {args.before} is "
                                 + ("byte for byte the same" if _same_band(folder / f"distance-{tag}-before.tif",
                                                                          folder / f"distance-{tag}-borderland.tif")
                                    else "NOT the same"))
                notes.append(f"[{n}²] distance raster file: {size:.1f} MB (DEFLATE, floating-point predictor, level 1)")
            if not args.keep:
                for file in folder.glob(f"*-{tag}*.tif"):
                    file.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    report(rows, notes, args.runs)


#: The tool name of the other checkout's distance raster (``--before``).
BEFORE = "borderland, before"


def _same_band(a: Path, b: Path) -> bool:
    """Whether two rasters hold the same values, bit for bit."""
    import rasterio

    with rasterio.open(a) as first, rasterio.open(b) as second:
        return first.read(1).tobytes() == second.read(1).tobytes()


def alternate(n: int, task: str, runners: dict, runs: int, rows: list[tuple]) -> None:
    """Run every tool once per round, round after round: a shared machine's load falls on all alike."""
    results: dict[str, list[dict]] = {tool: [] for tool in runners}
    for _ in range(runs):
        for tool, run in runners.items():
            results[tool].append(run())
    for tool, found in results.items():
        rows.append((n, task, tool, found))
        print(f"[{n}²] {task}, {tool}: {[round(r['seconds'], 2) for r in found]} s", flush=True)


def zonal_many(folder: Path, n: int, many: int, *, runs: int, rows: list[tuple], notes: list[str],
               exact: bool) -> None:
    """Zonal sums of ``many`` small regions over an n x n raster held in memory, against exactextract's."""
    t0 = time.perf_counter()
    layers, bounds = prepare_many(folder, many)
    population = folder / f"many-population-{n}.tif"
    write_population(population, layers, bounds, n)
    print(f"[{n}²] {many:,} cells and their raster prepared in {time.perf_counter() - t0:.1f} s", flush=True)
    tag = f"{n}-{many}"
    spec = {"layers": str(layers), "raster": str(population)}
    tools = ["borderland", *(["exactextract (rasterio)", "exactextract (numpy)"] if exact else [])]
    alternate(n, f"zonal sum, {many:,} regions in memory", {tool: partial(run_worker, "zonal-memory", tool, {
        **spec, "out": str(folder / f"zonal-memory-{tag}-{tool}.npy")}) for tool in tools}, runs, rows)
    for peer, note in compare_zonal(folder, tag, tuple(tools[1:]), task="zonal-memory").items():
        notes.append(f"[{n}², {many:,} regions] zonal sums vs {peer}: {note} (exactextract keeps coverage fractions "
                     "in single precision)")
    notes.append(f"[{n}², {many:,} regions] zonal sums vs our region-by-region exact fractions: "
                 f"{check_exact(folder, tag, layers, population)}")
    population.unlink(missing_ok=True)


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def cpu_medians(rows: list[tuple], n: int) -> dict[str, float]:
    """Median CPU seconds of each distance raster's tool at n² cells (tools that report them)."""
    return {tool: statistics.median(r["cpu_seconds"] for r in res) for m, task, tool, res in rows
            if m == n and task == "distance raster" and all("cpu_seconds" in r for r in res)}


def report(rows: list[tuple], notes: list[str], runs: int) -> None:
    print()
    print(f"medians of {runs} runs; peak = largest resident memory (MB) of the process during the work "
          "(interpreter, libraries and inputs included); extra = peak minus the memory in use when the work "
          "started (GDAL: in its own process)")
    header = (f"{'cells':>8}  {'task':<38}{'tool':<25}{'median s':>10}{'min s':>9}{'peak MB':>9}{'extra MB':>10}"
              f"  {'time ratio':>10}  {'mem ratio':>9}")
    print(header)
    print("-" * len(header))
    medians = {(n, task, tool): (statistics.median(r["seconds"] for r in res),
                                 statistics.median(r["peak_mb"] for r in res),
                                 statistics.median(r["extra_mb"] for r in res)) for n, task, tool, res in rows}
    for n, task, tool, res in rows:
        seconds, peak, extra = medians[(n, task, tool)]
        ours = medians.get((n, task, "borderland-cells" if tool == "gdal_proximity" else "borderland"))
        ratio = mem = ""
        if not tool.startswith("borderland") and ours:
            ratio = f"{ours[0] / seconds:.2f}"
            # distance rasters: the work's own memory (GDAL's interpreter is smaller than ours)
            mem = f"{ours[2] / extra:.2f}" if task == "distance raster" else f"{ours[1] / peak:.2f}"
        print(f"{n:>7}²  {task:<38}{tool:<25}{seconds:>10.2f}{min(r['seconds'] for r in res):>9.2f}{peak:>9.0f}"
              f"{extra:>10.0f}  {ratio:>10}  {mem:>9}")
    for n in sorted({row[0] for row in rows}):
        line = medians.get((n, "distance raster", "borderland"))
        peer = medians.get((n, "distance raster", "gdal_proximity"))
        if line and peer:
            print(f"{n:>7}²  borderland target='line' / gdal_proximity: time {line[0] / peer[0]:.2f}, "
                  f"extra memory {line[2] / peer[2]:.2f}, peak memory {line[1] / peer[1]:.2f}")
            before = medians.get((n, "distance raster", BEFORE))
            if before:
                print(f"{n:>7}²  before ({BEFORE}) / gdal_proximity: time {before[0] / peer[0]:.2f}, "
                      f"extra memory {before[2] / peer[2]:.2f}, peak memory {before[1] / peer[1]:.2f}")
            cpu = cpu_medians(rows, n)
            if "borderland" in cpu and "gdal_proximity" in cpu:
                print(f"{n:>7}²  CPU seconds (medians; one thread each): "
                      + ", ".join(f"{tool} {seconds:.2f}" for tool, seconds in cpu.items())
                      + f"; borderland target='line' / gdal_proximity {cpu['borderland'] / cpu['gdal_proximity']:.2f}")
        many = [(task, tool) for m, task, tool in medians if m == n and task.endswith("in memory")]
        for task in {t for t, _ in many}:
            ours = medians[(n, task, "borderland")]
            peers = {tool: medians[(n, task, tool)] for t, tool in many if t == task and tool != "borderland"}
            if peers:
                best = min(peers, key=lambda tool: peers[tool][0])
                print(f"{n:>7}²  {task}: borderland / {best} (the faster peer) time {ours[0] / peers[best][0]:.2f}, "
                      f"peak memory {ours[1]:.0f} MB against {peers[best][1]:.0f} MB")
    print("ratios: borderland / peer (for gdal_proximity, borderland target='cells', the same definition)")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
