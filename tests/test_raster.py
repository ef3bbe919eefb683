"""Generic raster code: zonal statistics, weighted means and distance rasters, checked by hand.

The world is the two-country one of ``test_border.py`` (AA west of x = 100 km, BB east of it,
regions A0-A3 and B4-B7, all 100 km tall). Its population raster has 5 km cells aligned with
the regions, 10 people in each cell and a town of 1,000 in the cell x 125-130 km, y 45-50 km
(region B5, just beyond 25 km from the border).
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from conftest import KM, X0, Y0
from hypothesis import given, settings
from hypothesis import strategies as st
from test_border import two_countries

from borderland import raster
from borderland.border import border_lines_from_edges
from borderland.compute import Serial
from borderland.errors import CRSError, InputError, OutputError, SchemaError
from borderland.layers import shared_edges
from borderland.raster import pixels
from borderland.raster.distance import _mask_shapes

CELL = 5 * KM


def write_raster(path: Path, values: np.ndarray, *, left: float, top: float, cell: float, crs="EPSG:3035",
                 nodata: float | None = None) -> Path:
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": "float32", "crs": crs, "transform": Affine(cell, 0.0, left, 0.0, -cell, top), "nodata": nodata}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype("float32"), 1)
    return path


def town_values() -> np.ndarray:
    values = np.full((20, 40), 10.0)
    values[10, 25] = 1000.0  # row 10: y 45-50 km; column 25: x 125-130 km
    return values


@pytest.fixture
def world():
    return two_countries()


@pytest.fixture
def lines(world):
    return border_lines_from_edges(world, shared_edges(world), focus_country="AA")


@pytest.fixture
def people(tmp_path):
    return write_raster(tmp_path / "people.tif", town_values(), left=X0, top=Y0 + 100 * KM, cell=CELL)


@pytest.fixture
def shifted(tmp_path):
    """Cells shifted by half a cell, so every region boundary halves a column or row of cells.

    41 x 21 cells from (-2.5 km, 102.5 km); each cell holds its column number (0 to 40).
    """
    values = np.tile(np.arange(41.0), (21, 1))
    return write_raster(tmp_path / "shifted.tif", values, left=X0 - CELL / 2, top=Y0 + 102.5 * KM, cell=CELL)


# --- zonal statistics ------------------------------------------------------------------------


def test_zonal_stats_on_aligned_cells_by_hand(world, people):
    stats = raster.zonal_stats(world, people)
    # 20 rows of 10 people in each 5 km column: A0 (8 columns) 1,600; A1 (6) 1,200; A2 (4) 800;
    # A3 (2) 400; B4 (2) 400; B5 (4) 79 x 10 + 1,000 = 1,790; B6 (6) 1,200; B7 (8) 1,600
    assert stats["sum"].tolist() == [1600, 1200, 800, 400, 400, 1790, 1200, 1600]
    assert stats["count"].tolist() == [160, 120, 80, 40, 40, 80, 120, 160]
    assert stats["min"].tolist() == [10] * 8
    assert stats["max"].tolist() == [10, 10, 10, 10, 10, 1000, 10, 10]
    assert stats.loc["B5", "mean"] == pytest.approx(1790 / 80)
    assert list(stats.columns) == ["sum", "mean", "min", "max", "count"]
    assert stats.index.equals(world.index)


def test_partly_covered_cells_count_by_their_fraction(world, shifted):
    stats = raster.zonal_stats(world, shifted)
    # A3 (x 90-100 km): columns 18 (x 87.5-92.5, half inside), 19 (whole), 20 (97.5-102.5, half);
    # rows: 19 whole and two halves (y -2.5-2.5 and 97.5-102.5), 20 rows' worth.
    # sum = 20 x (0.5 x 18 + 19 + 0.5 x 20) = 760; count = 20 x 2 = 40; mean 19; min 18, max 20
    a3 = stats.loc["A3"]
    assert a3["sum"] == pytest.approx(760)
    assert a3["count"] == pytest.approx(40)
    assert a3["mean"] == pytest.approx(19)
    assert (a3["min"], a3["max"]) == (18, 20)
    # A0 (x 0-40): columns 0 and 8 halved, 1-7 whole: 20 x (0 + 28 + 0.5 x 8) = 640 over 160 cells
    assert stats.loc["A0", ["sum", "count"]].tolist() == pytest.approx([640, 160])
    # every region's count is its area in cells: regions tile the raster's covered part
    np.testing.assert_allclose(stats["count"], world.area / CELL**2)


def test_cells_without_data_are_left_out(world, tmp_path):
    values = np.full((20, 40), 10.0)
    values[0, 19] = -1.0  # nodata, in A3
    path = write_raster(tmp_path / "gap.tif", values, left=X0, top=Y0 + 100 * KM, cell=CELL, nodata=-1.0)
    stats = raster.zonal_stats(world, path)
    assert stats.loc["A3", ["sum", "count", "min"]].tolist() == [390, 39, 10]


def test_geographic_raster_gets_the_regions_reprojected(tmp_path):
    # 0.5 degree cells from 19 E, 58 N; cell (row r, column c) holds c + 10 r. The region is the
    # box 20.25-21.25 E, 55.25-56.25 N (given in EPSG:3035): columns 2 and 4 and rows 3 and 5 are
    # half inside, column 3 and row 4 wholly. Weights 0.5, 1, 0.5 per axis:
    # sum = (0.5 x 2 + 3 + 0.5 x 4) x 2 + 10 x (0.5 x 3 + 4 + 0.5 x 5) x 2 = 12 + 160 = 172
    rows, cols = np.mgrid[0:8, 0:8]
    path = write_raster(tmp_path / "geo.tif", cols + 10.0 * rows, left=19, top=58, cell=0.5, crs="EPSG:4326")
    box = shapely.segmentize(shapely.box(20.25, 55.25, 21.25, 56.25), 0.01)
    region = gpd.GeoDataFrame({"country": ["XX"]}, geometry=[box], crs=4326, index=["R"]).to_crs(3035)
    stats = raster.zonal_stats(region, path).loc["R"]
    assert stats["sum"] == pytest.approx(172, rel=1e-4)
    assert stats["count"] == pytest.approx(4, rel=1e-4)
    assert stats["mean"] == pytest.approx(43, rel=1e-4)
    assert (stats["min"], stats["max"]) == (32, 54)


def test_region_outside_the_raster_has_no_data(people):
    far = gpd.GeoDataFrame({"country": ["XX"]}, geometry=[shapely.box(0, 0, 1000, 1000)], crs=3035, index=["F"])
    stats = raster.zonal_stats(far, people)
    assert stats.loc["F", ["sum", "count"]].tolist() == [0, 0]
    assert stats.loc["F", ["mean", "min", "max"]].isna().all()


def test_prefix_and_chosen_statistics(world, people):
    stats = raster.zonal_stats(world, people, stats=["sum", "count"], prefix="population")
    assert list(stats.columns) == ["population_sum", "population_count"]


def test_small_chunks_give_the_same_answer(world, shifted):
    whole = raster.zonal_stats(world, shifted)
    strips = raster.zonal_stats(world, shifted, chunk_cells=7)  # one row at a time
    pd.testing.assert_frame_equal(whole, strips, rtol=1e-12)


class _Recording(Serial):
    """This process, keeping the tasks it was given."""

    def map(self, function, tasks):
        self.tasks = list(tasks)
        return super().map(function, self.tasks)


@pytest.mark.parametrize("size", [1, 3])
def test_zonal_stats_in_chunks_of_regions_by_hand(world, people, shifted, size):
    where = _Recording(size)
    stats = raster.zonal_stats(world, people, executor=where)
    assert [len(task.geoms) for task in where.tasks] == ([1] * 8 if size == 1 else [3, 3, 2])
    assert stats["sum"].tolist() == [1600, 1200, 800, 400, 400, 1790, 1200, 1600]
    assert stats["max"].tolist() == [10, 10, 10, 10, 10, 1000, 10, 10]
    # partly covered cells: a chunk's sums are added up over its own strips, so they equal the
    # whole layer's to the last digits, and the same chunks give the same sums every time
    whole = raster.zonal_stats(world, shifted)
    chunked = raster.zonal_stats(world, shifted, executor=Serial(size))
    pd.testing.assert_frame_equal(chunked, whole, rtol=1e-13)
    pd.testing.assert_frame_equal(chunked, raster.zonal_stats(world, shifted, executor=Serial(size)),
                                  check_exact=True)
    # an open dataset: each task opens its file again
    with rasterio.open(people) as src:
        pd.testing.assert_frame_equal(raster.zonal_stats(world, src, executor=Serial(size)), stats, check_exact=True)


def test_zonal_weighted_mean_in_chunks_of_regions(world, people):
    def east_km(x, y):
        return (x - X0) / KM

    mean = raster.zonal_weighted_mean(world, people, east_km, executor=Serial(3))
    assert mean["A3"] == pytest.approx(95.0)
    assert mean["B5"] == pytest.approx((200 * (112.5 + 117.5 + 122.5 + 127.5) + 990 * 127.5) / 1790)
    pd.testing.assert_series_equal(mean, raster.zonal_weighted_mean(world, people, east_km), rtol=1e-13)


def test_zonal_stats_accepts_an_open_dataset(world, people):
    with rasterio.open(people) as src:
        stats = raster.zonal_stats(world, src, stats=["sum"])
        assert not src.closed
    assert stats["sum"].sum() == pytest.approx(10 * 799 + 1000, rel=1e-12)


def test_zonal_stats_errors_are_named(world, people, tmp_path):
    with pytest.raises(SchemaError, match=r"unknown statistic\(s\) \['median'\]; choose from \['sum'"):
        raster.zonal_stats(world, people, stats=["sum", "median"])
    with pytest.raises(SchemaError, match=r"band 2 does not exist; the raster has 1 band\(s\)"):
        raster.zonal_stats(world, people, band=2)
    with pytest.raises(InputError, match="does not exist"):
        raster.zonal_stats(world, tmp_path / "missing.tif")
    (tmp_path / "text.tif").write_text("not a raster")
    with pytest.raises(InputError, match="cannot read"):
        raster.zonal_stats(world, tmp_path / "text.tif")
    bare = write_raster(tmp_path / "bare.tif", town_values(), left=X0, top=Y0, cell=CELL, crs=None)
    with pytest.raises(CRSError, match="has no CRS"):
        raster.zonal_stats(world, bare)


@settings(max_examples=40, deadline=None)
@given(cut=st.floats(0.01, 0.99), vertical=st.booleans(), origin=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_zonal_sums_are_additive_over_any_cut(cut, vertical, origin, seed):
    # a region cut in two anywhere: the parts' sums and counts add up to the whole's
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        path = write_raster(Path(folder) / "r.tif", rng.uniform(0, 100, (12, 15)),
                            left=X0 - origin * CELL, top=Y0 + 60 * KM, cell=CELL)
        whole = shapely.Polygon([(X0 + 3 * KM, Y0 + 4 * KM), (X0 + 61 * KM, Y0 + 9 * KM),
                                 (X0 + 50 * KM, Y0 + 52 * KM), (X0 + 11 * KM, Y0 + 40 * KM)])
        x0, y0, x1, y1 = whole.bounds
        if vertical:
            at = x0 + cut * (x1 - x0)
            left, right = shapely.box(x0, y0, at, y1), shapely.box(at, y0, x1, y1)
        else:
            at = y0 + cut * (y1 - y0)
            left, right = shapely.box(x0, y0, x1, at), shapely.box(x0, at, x1, y1)
        parts = gpd.GeoSeries([whole, whole.intersection(left), whole.intersection(right)], crs=3035)
        stats = raster.zonal_stats(parts, path, stats=["sum", "count"])
    assert stats["sum"][1] + stats["sum"][2] == pytest.approx(stats["sum"][0], rel=1e-9)
    assert stats["count"][1] + stats["count"][2] == pytest.approx(stats["count"][0], rel=1e-9)
    assert stats["count"][0] == pytest.approx(whole.area / CELL**2, rel=1e-9)


polygon_strategy = st.lists(st.tuples(st.floats(-15, 55), st.floats(-15, 45)), min_size=3, max_size=9)


@settings(max_examples=60, deadline=None)
@given(rings=st.lists(polygon_strategy, min_size=1, max_size=4), origin=st.floats(0, 1),
       holes=st.booleans(), gaps=st.booleans(), seed=st.integers(0, 2**16))
def test_sums_of_all_regions_at_once_equal_the_region_by_region_fractions(rings, origin, holes, gaps, seed):
    # sums and counts come from every region's boundary at once (zonal_stats with sum, count or
    # mean); with min or max, from each region's own cell fractions: both exact, so equal. Regions
    # of any shape (convex hulls of random points, some with a hole, some reaching beyond the
    # raster), rasters shifted by any part of a cell, with and without no-data cells
    rng = np.random.default_rng(seed)
    shapes = []
    for points in rings:
        hull = shapely.convex_hull(shapely.multipoints([(X0 + x * KM, Y0 + y * KM) for x, y in points]))
        if hull.area <= 0:
            continue
        if holes:
            hull = hull.difference(hull.centroid.buffer(math.sqrt(hull.area) / 5))
        shapes.append(hull)
    if not shapes:
        return
    values = rng.uniform(0, 100, (10, 10))
    if gaps:
        values[rng.random(values.shape) < 0.2] = -1.0
    with tempfile.TemporaryDirectory() as folder:
        path = write_raster(Path(folder) / "r.tif", values, left=X0 - origin * CELL, top=Y0 + 40 * KM, cell=CELL,
                            nodata=-1.0)
        regions = gpd.GeoSeries(shapes, crs=3035)
        together = raster.zonal_stats(regions, path, stats=["sum", "count"])
        one_by_one = raster.zonal_stats(regions, path, stats=["sum", "count", "min"])
    # both are exact to 1e-9 of a cell (coverage.py), so a sum to 1e-9 of a cell's largest value:
    # a region covering 2e-11 of a cell is nothing at once (below the rounding) and 1.3e-9 alone
    np.testing.assert_allclose(together["sum"], one_by_one["sum"], rtol=1e-10, atol=1e-9 * values.max())
    np.testing.assert_allclose(together["count"], one_by_one["count"], rtol=1e-10, atol=1e-9)


def test_many_small_regions_agree_with_exactextract(tmp_path):
    # 400 Voronoi cells on a raster of 60 x 60 cells (partly covered cells everywhere):
    # exactextract keeps coverage fractions in single precision, so the sums agree to ~1e-7
    exactextract = pytest.importorskip("exactextract", reason="the peer, in the test extras")
    rng = np.random.default_rng(11)
    frame = shapely.box(X0, Y0, X0 + 100 * KM, Y0 + 100 * KM)
    seeds = shapely.multipoints(shapely.points(X0 + rng.uniform(0, 100 * KM, 400), Y0 + rng.uniform(0, 100 * KM, 400)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    regions = gpd.GeoDataFrame({"k": range(len(cells))}, geometry=cells, crs=3035)
    values = rng.lognormal(3, 1, (60, 60))
    values[rng.random(values.shape) < 0.05] = -1.0  # no data
    path = write_raster(tmp_path / "r.tif", values, left=X0 - 7 * KM, top=Y0 + 105 * KM, cell=2 * KM, nodata=-1.0)
    ours = raster.zonal_stats(regions, path, stats=["sum", "count", "mean"])
    peer = exactextract.exact_extract(str(path), regions, ["sum", "count", "mean"], output="pandas")
    for column in ("sum", "count", "mean"):
        np.testing.assert_allclose(ours[column], peer[column], rtol=1e-6, err_msg=column)
    assert ours["sum"].sum() == pytest.approx(peer["sum"].sum(), rel=1e-9)


# --- distance rasters ------------------------------------------------------------------------


def test_distance_raster_by_hand(world, lines, tmp_path):
    path = raster.distance_raster(lines, tmp_path / "distance.tif", resolution_m=CELL, bounds=tuple(world.total_bounds),
                                  mask=world.loc[["A0", "A1"]])
    with rasterio.open(path) as src:
        assert (src.width, src.height, src.crs.to_epsg(), src.res) == (40, 20, 3035, (CELL, CELL))
        assert src.transform.c == X0 and src.transform.f == Y0 + 100 * KM
        assert src.descriptions == ("border_distance_km",) and src.tags(1)["units"] == "km"
        km = src.read(1, masked=True)
    # cell centres at x = 2.5, 7.5 ... km; the border is x = 100 km along the whole grid's height,
    # so a cell's distance is |x - 100|; only A0 and A1 (x < 70 km, 14 columns) are unmasked
    expected = np.abs((np.arange(40) + 0.5) * 5 - 100)
    np.testing.assert_allclose(km.data[:, :14], np.tile(expected[:14], (20, 1)), rtol=1e-6)
    assert km.mask[:, 14:].all() and not km.mask[:, :14].any()


def test_mask_shapes_are_the_polygons_geo_interface():
    # rasterio reads these mappings as it reads the shapely polygons (their __geo_interface__)
    polygons = np.array([shapely.box(0, 0, 2, 2).difference(shapely.box(0.5, 0.5, 1, 1)), None,
                         shapely.MultiPolygon([shapely.box(5, 5, 6, 6), shapely.box(7, 7, 9, 8)]), shapely.Polygon()],
                        dtype=object)
    shapes = _mask_shapes(polygons)

    def plain(mapping):  # tuples and lists alike
        return {"type": mapping["type"], "coordinates": json.loads(json.dumps(mapping["coordinates"]))}

    assert [plain(m) for m in shapes.geojson] == [plain(polygons[0].__geo_interface__),
                                                  plain(polygons[2].__geo_interface__)]
    assert shapes.ymin.tolist() == [0.0, 5.0] and shapes.ymax.tolist() == [2.0, 8.0]


def test_regions_moved_to_a_raster_once_are_not_moved_again(world, shifted, monkeypatch):
    first = raster.zonal_stats(world, shifted)
    moved = []
    original = pixels._moved_to_pixels
    monkeypatch.setattr(pixels, "_moved_to_pixels", lambda geoms, *rest: moved.append(len(geoms)) or original(
        geoms, *rest))
    again = raster.zonal_stats(world, shifted)
    pieces = world.assign(geometry=world.geometry.buffer(-KM))
    raster.zonal_stats(pd.concat([world, pieces]), shifted)
    assert moved == [len(world)]  # the same regions: kept; their pieces (new geometries): moved
    pd.testing.assert_frame_equal(first, again)
    monkeypatch.setattr(pixels, "_MOVED", pixels._MovedGeometries(budget=0))  # nothing kept: the same answer
    pd.testing.assert_frame_equal(raster.zonal_stats(world, shifted), first)


def test_distance_raster_strips_carry_only_the_mask_polygons_that_reach_them(world, lines, tmp_path):
    # 250 m cells over 200 x 100 km: 400 rows, two strips (256 and 144 rows); the mask is A3's top 10 km
    top = gpd.GeoDataFrame(geometry=[shapely.box(X0 + 90 * KM, Y0 + 90 * KM, X0 + 100 * KM, Y0 + 100 * KM)], crs=3035)
    where = _Recording()
    path = raster.distance_raster(lines, tmp_path / "top.tif", resolution_m=250, bounds=tuple(world.total_bounds),
                                  mask=top, executor=where)
    assert [len(task.yc) for task in where.tasks] == [256, 144]
    assert [len(task.shapes) for task in where.tasks] == [1, 0]
    with rasterio.open(path) as src:
        km = src.read(1, masked=True)
    # rows 0-39 (y 90-100 km) and columns 360-399 (x 90-100 km) only: |x - 100 km|
    assert km.shape == (400, 800) and (~km.mask).sum() == 40 * 40 and not km.mask[:40, 360:400].any()
    np.testing.assert_allclose(km[:40, 360:400], np.tile(np.abs((np.arange(360, 400) + 0.5) * 0.25 - 100), (40, 1)),
                               rtol=1e-6)


def test_distance_raster_to_cells_is_within_half_a_cell_diagonal(world, lines, tmp_path):
    line = raster.distance_raster(lines, tmp_path / "line.tif", resolution_m=CELL, mask=world)
    cells = raster.distance_raster(lines, tmp_path / "cells.tif", resolution_m=CELL, mask=world, target="cells")
    with rasterio.open(line) as a, rasterio.open(cells) as b:
        exact, gridded = a.read(1), b.read(1)
        assert b.tags(1)["target"] == "cells"
    assert np.abs(exact - gridded).max() <= math.hypot(2.5, 2.5) + 1e-6
    assert gridded.min() == 0  # the cells the border crosses


def test_distance_raster_refuses_to_overwrite_and_bad_options(world, lines, tmp_path):
    path = raster.distance_raster(lines, tmp_path / "d.tif", resolution_m=20 * KM, mask=world)
    with pytest.raises(OutputError, match="exists already"):
        raster.distance_raster(lines, path, resolution_m=20 * KM, mask=world)
    raster.distance_raster(lines, path, resolution_m=20 * KM, mask=world, overwrite=True)
    with pytest.raises(SchemaError, match="enclose no area; pass bounds"):
        raster.distance_raster(lines, path, overwrite=True)  # a straight north-south border has no width
    with pytest.raises(SchemaError, match="unknown distance target 'edge'; choose one of"):
        raster.distance_raster(lines, path, target="edge", overwrite=True)
    with pytest.raises(SchemaError, match="resolution_m must be positive"):
        raster.distance_raster(lines, path, resolution_m=0, overwrite=True)
    with pytest.raises(CRSError, match="projected"):
        raster.distance_raster(lines.to_crs(4326), path, overwrite=True)


def test_distance_raster_compresses_with_the_float_predictor(world, lines, tmp_path):
    path = raster.distance_raster(lines, tmp_path / "d.tif", resolution_m=CELL, mask=world)
    with rasterio.open(path) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3" and src.profile["compress"] == "deflate"
    plain = raster.distance_raster(lines, tmp_path / "plain.tif", resolution_m=CELL, mask=world, compress=None)
    with rasterio.open(path) as a, rasterio.open(plain) as b:
        assert "compress" not in b.profile
        np.testing.assert_array_equal(a.read(1), b.read(1))


# --- distances to lines and means weighted by the raster ---------------------------------------


def test_line_distance_by_hand(lines):
    distance = raster.line_distance(lines)
    # the border is x = 100 km, from y = 0 to 100 km: 30 km west of it, and 40 km beyond its top end
    x = np.array([X0 + 70 * KM, X0 + 130 * KM, X0 + 100 * KM])
    y = np.array([Y0 + 50 * KM, Y0 + 140 * KM, Y0 + 30 * KM])
    np.testing.assert_allclose(distance(x, y), [30 * KM, math.hypot(30, 40) * KM, 0.0])
    nowhere = raster.line_distance(lines.iloc[:0])
    assert np.isnan(nowhere(x, y)).all()


def test_zonal_weighted_mean_by_hand(world, people, shifted):
    def east_km(x, y):
        return (x - X0) / KM

    # aligned cells, all people at the centres: A3's two columns at x 92.5 and 97.5 km, 10 people each
    mean = raster.zonal_weighted_mean(world, people, east_km)
    assert mean.index.equals(world.index)
    assert mean["A3"] == pytest.approx(95.0)
    # B5: 79 cells of 10 at 112.5 ... 127.5 km, and the town of 1,000 in the column at 127.5 km
    assert mean["B5"] == pytest.approx((200 * (112.5 + 117.5 + 122.5 + 127.5) + 990 * 127.5) / 1790)
    # shifted cells: A3 covers half of column 18 (x 90-92.5, centroid 91.25, weight 0.5 x 18), all of
    # column 19 (centroid 95, 19) and half of column 20 (97.5-100, centroid 98.75, 0.5 x 20)
    mean = raster.zonal_weighted_mean(world, shifted, east_km)
    assert mean["A3"] == pytest.approx((9 * 91.25 + 19 * 95 + 10 * 98.75) / 38)


def test_zonal_weighted_mean_in_another_crs_and_without_weight(world, people):
    def longitude(x, y):
        return x

    degrees = raster.zonal_weighted_mean(world, people, longitude, crs="EPSG:4326")
    centre = world.loc[["A3"]].centroid.to_crs(4326).x.iloc[0]
    assert degrees["A3"] == pytest.approx(centre, abs=0.01)
    far = gpd.GeoDataFrame({"country": ["XX"]}, geometry=[shapely.box(0, 0, 1000, 1000)], crs=3035, index=["F"])
    assert np.isnan(raster.zonal_weighted_mean(far, people, longitude)["F"])


def test_footprint_is_the_raster_extent(people):
    with raster.open_raster(people) as src:
        extent = raster.footprint(src, "EPSG:3035")
        with raster.open_raster(src) as same:  # an open dataset is used as it is, and left open
            assert same is src
        assert not src.closed
    assert src.closed
    assert extent.symmetric_difference(shapely.box(X0, Y0, X0 + 200 * KM, Y0 + 100 * KM)).area < 1e-3  # m²


def test_generic_raster_code_raises_no_warning(world, lines, people, shifted, tmp_path):
    # affine 3 deprecates `transform * xy`; the raster code applies transforms with `@` and does not
    # call rasterio helpers that still use `*` (from_origin, windows.transform)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raster.zonal_stats(world, shifted, chunk_cells=7)
        raster.zonal_weighted_mean(world, people, raster.line_distance(lines))
        for target in ("line", "cells"):
            raster.distance_raster(lines, tmp_path / f"{target}.tif", resolution_m=CELL, mask=world, target=target)
        raster.zonal_stats(world, shifted, stats=["sum", "count"], chunk_cells=7)


# --- the bundled study -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(bundled_result):
    return bundled_result


@pytest.fixture(scope="module")
def gpw():
    from borderland.io import bundled

    return bundled("population_gpw_v4_2000_15min.tif")


@pytest.mark.slow
def test_bundled_zonal_totals_match_the_raster_total_inside_the_study(study, gpw):
    from rasterio.features import geometry_mask

    totals = raster.zonal_stats(study.regions, gpw, stats=["sum"])["sum"]
    union = gpd.GeoSeries([study.regions.union_all()], crs=study.regions.crs)
    # fractions are exact, so the regions' sums add up to the sum over their union
    assert totals.sum() == pytest.approx(raster.zonal_stats(union, gpw, stats=["sum"])["sum"].iloc[0], rel=1e-9)
    # and an independent count, every cell whose centre lies inside the union, is within 1 %
    # (measured: 141.16 million against 140.18 million, +0.70 %)
    with rasterio.open(gpw) as src:
        people = src.read(1, masked=True)
        outline = gpd.GeoSeries(shapely.segmentize(union.to_numpy(), 1000.0), crs=union.crs).to_crs(src.crs)
        inside = ~geometry_mask(outline, out_shape=people.shape, transform=src.transform)
    assert totals.sum() == pytest.approx(float(people[inside].sum(dtype="float64")), rel=0.01)


@pytest.mark.slow
def test_bundled_zonal_stats_match_exactextract(study, gpw):
    exactextract = pytest.importorskip("exactextract", reason="the peer, in the test extras")
    ours = raster.zonal_stats(study.regions, gpw)
    # give exactextract the same densified outlines our reprojection uses
    same = gpd.GeoDataFrame(geometry=shapely.segmentize(study.regions.geometry.to_numpy(), 1000.0),
                            crs=study.regions.crs).to_crs(4326)
    peer = exactextract.exact_extract(str(gpw), same, ["sum", "mean", "min", "max", "count"], output="pandas")
    peer.index = study.regions.index
    for column in ["sum", "mean", "min", "max", "count"]:
        np.testing.assert_allclose(ours[column], peer[column], rtol=1e-6, err_msg=column)


@pytest.mark.slow
def test_bundled_distance_raster_opens_with_rasterio(study, tmp_path):
    path = raster.distance_raster(study.border_lines, tmp_path / "distance.tif", resolution_m=10 * KM,
                                  mask=study.regions)
    with rasterio.open(path) as src:
        km = src.read(1, masked=True)
        assert src.crs == study.regions.crs and src.res == (10 * KM, 10 * KM)
        rows, cols = np.nonzero(~km.mask)
        x, y = src.transform @ (cols + 0.5, rows + 0.5)
    exact = shapely.distance(shapely.points(x, y), study.border_lines.union_all()) / 1000
    np.testing.assert_allclose(km.compressed(), exact, atol=1e-3)  # float32 km: metre precision
    assert 0 <= km.min() < 5 and km.max() > 1000  # Vestlandet, Norway, lies 1,000 km from any study border
