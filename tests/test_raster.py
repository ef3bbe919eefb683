"""Zonal statistics, distance rasters and population near the border, checked by hand.

The world is the two-country one of ``test_border.py`` (AA west of x = 100 km, BB east of it,
regions A0-A3 and B4-B7, all 100 km tall). Its population raster has 5 km cells aligned with
the regions, 10 people in each cell and a town of 1,000 in the cell x 125-130 km, y 45-50 km
(region B5, just beyond 25 km from the border).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from conftest import KM, X0, Y0
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin
from test_border import two_countries

from borderland import raster
from borderland.border import border_lines_from_edges, distance_to_border
from borderland.errors import CRSError, InputError, OutputError, SchemaError
from borderland.layers import shared_edges

CELL = 5 * KM


def write_raster(path: Path, values: np.ndarray, *, left: float, top: float, cell: float, crs="EPSG:3035",
                 nodata: float | None = None) -> Path:
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": "float32", "crs": crs, "transform": from_origin(left, top, cell, cell), "nodata": nodata}
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


def test_zonal_stats_accepts_an_open_dataset(world, people):
    with rasterio.open(people) as src:
        stats = raster.zonal_stats(world, src, stats=["sum"])
        assert not src.closed
    assert stats["sum"].sum() == 10 * 799 + 1000


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


segments_strategy = st.lists(
    st.tuples(*[st.floats(-50_000, 150_000, allow_nan=False)] * 4), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(segments=segments_strategy, cell=st.floats(500, 9_000), points=st.booleans(),
       tile=st.sampled_from([1, 2, 4, 16]), levels=st.integers(1, 3))
def test_grid_distances_match_shapely(segments, cell, points, tile, levels):
    # the tile pruning must never drop the nearest segment: compare every cell with GEOS
    seg = np.array(segments, dtype=float)
    if points:  # zero-length segments, as target="cells" uses
        seg[:, 2:] = seg[:, :2]
    xc = 1_000 + (np.arange(37) + 0.5) * cell
    yc = 90_000 - (np.arange(23) + 0.5) * cell
    got = raster._grid_distances(seg, raster._segment_tree(seg), xc, yc, tile=tile, levels=levels)
    geoms = [shapely.Point(s[:2]) if (s[:2] == s[2:]).all() else shapely.LineString([s[:2], s[2:]]) for s in seg]
    xx, yy = np.meshgrid(xc, yc)
    expected = shapely.distance(shapely.points(xx, yy), shapely.GeometryCollection(geoms))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0.1)  # metres; float32 in the last step


# --- population near the border --------------------------------------------------------------


def test_population_near_border_by_hand(world, lines, people):
    near = raster.population_near_border(world, lines, people)
    assert list(near.columns) == ["population", "population_within_25km", "population_within_25km_pct",
                                  "raster_coverage_pct"]
    # within 25 km: x 75-125 km. A2 (70-90) has 3 of its 4 columns there: 600 of 800 people;
    # B5 (110-130) 3 of 4 columns but not the town: 600 of 1,790
    assert near["population_within_25km"].tolist() == pytest.approx([0, 0, 600, 400, 400, 600, 0, 0])
    np.testing.assert_allclose(near["population_within_25km_pct"],
                               [0, 0, 75, 100, 100, 100 * 600 / 1790, 0, 0])
    assert near["raster_coverage_pct"].tolist() == pytest.approx([100] * 8)


def test_population_within_another_distance(world, lines, people):
    near = raster.population_near_border(world, lines, people, within_km=12.5)
    # 12.5 km reaches x 87.5 and 112.5 km: all of A3 and B4 (400 each), and half of the column
    # next to them in A2 (x 85-90) and B5 (110-115): 0.5 x 20 rows x 10 = 100 people each
    assert near["population_within_12.5km"].tolist() == pytest.approx([0, 0, 100, 400, 400, 100, 0, 0])


def test_border_region_flag(world, lines, people):
    flag = raster.border_region(world, lines, people)
    # A3, B4 touch the border; A2 has 75 % of its people within 25 km; B5 only 33.5 %
    assert flag.name == "border_region"
    assert flag.to_dict() == {"A0": False, "A1": False, "A2": True, "A3": True,
                              "B4": True, "B5": False, "B6": False, "B7": False}


def test_population_weighted_distance_by_hand(world, lines, people):
    km = distance_to_border(world, lines, origin="population", population=people)
    assert km.name == "border_distance_km"
    # A3: two columns at 7.5 and 2.5 km, equally peopled: 5 km. A2: 27.5, 22.5, 17.5, 12.5: 20 km.
    # B5: 200 people in each column at 12.5, 17.5, 22.5, 27.5 km, plus 990 more at 27.5 km:
    # (200 x 80 + 990 x 27.5) / 1,790 = 43,225 / 1,790
    assert km["A3"] == pytest.approx(5.0)
    assert km["A2"] == pytest.approx(20.0)
    assert km["B5"] == pytest.approx(43_225 / 1_790)


def test_population_weighted_distance_places_people_in_the_covered_part(world, lines, shifted):
    km = raster.population_weighted_distance(world, lines, shifted)
    # A3 (x 90-100) on shifted cells valued by column: column 18 covers x 90-92.5 (people at its
    # centroid, 8.75 km from the border, weight 0.5 x 18), column 19 x 92.5-97.5 (5 km, 19),
    # column 20 x 97.5-100 (1.25 km, 0.5 x 20): (9 x 8.75 + 19 x 5 + 10 x 1.25) / 38
    assert km["A3"] == pytest.approx((9 * 8.75 + 19 * 5 + 10 * 1.25) / 38)


def test_profile_by_band_and_side_by_hand(world, lines, people):
    values = pd.Series([4.0, 3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0], index=world.index, name="score")
    table = raster.profile(world, values, lines, people, bands_km=(0, 25, 50, 100), focus_country="AA")
    assert table.index.names == ["band", "side"]
    assert table.index.tolist() == [("0-25", "AA"), ("0-25", "other"), ("25-50", "AA"), ("25-50", "other"),
                                    ("50-100", "AA"), ("50-100", "other")]
    # 0-25 km (x 75-125): A3 400 people at 1, A2 600 at 2; B4 400 at 5, B5 600 at 6
    # 25-50 km (x 50-75, 125-150): A2 200 at 2, A1 800 at 3; B5 190 + 1,000 at 6, B6 800 at 7
    # 50-100 km (x 0-50, 150-200): A1 400 at 3, A0 1,600 at 4; B6 400 at 7, B7 1,600 at 8
    expected = [(400 * 1 + 600 * 2) / 1000, (400 * 5 + 600 * 6) / 1000,
                (200 * 2 + 800 * 3) / 1000, (1190 * 6 + 800 * 7) / 1990,
                (400 * 3 + 1600 * 4) / 2000, (400 * 7 + 1600 * 8) / 2000]
    np.testing.assert_allclose(table["score"], expected)
    assert table["population"].tolist() == pytest.approx([1000, 1000, 1000, 1990, 2000, 2000])
    assert table["regions"].tolist() == [2, 2, 2, 2, 2, 2]
    assert (table["with_data_pct"] == 100).all()


def test_profile_by_area_and_country_with_missing_values(world, lines):
    values = pd.Series([4.0, 3.0, None, 1.0, 5.0, 6.0, 7.0, 8.0], index=world.index, name="score")
    table = raster.profile(world, values, lines, bands_km=(0, 25), by="country")
    # AA within 25 km: A3 1,000 km² at 1, A2 1,500 km² without a value
    assert table.loc[("0-25", "AA")].to_dict() == pytest.approx(
        {"score": 1.0, "area_km2": 2500.0, "with_data_pct": 40.0, "regions": 1})


def test_profile_options_are_checked(world, lines):
    with pytest.raises(SchemaError, match="needs focus_country"):
        raster.profile(world, pd.Series(1.0, index=world.index), lines, by="side")
    # without a focus country the default grouping is by country
    assert raster.profile(world, pd.Series(1.0, index=world.index), lines).index.get_level_values("side").unique(
    ).tolist() == ["AA", "BB"]
    with pytest.raises(SchemaError, match="unknown grouping 'segment'"):
        raster.profile(world, pd.Series(1.0, index=world.index), lines, by="segment")


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
        x, y = src.transform * (cols + 0.5, rows + 0.5)
    exact = shapely.distance(shapely.points(x, y), study.border_lines.union_all()) / 1000
    np.testing.assert_allclose(km.compressed(), exact, atol=1e-3)  # float32 km: metre precision
    assert 0 <= km.min() < 5 and km.max() > 1000  # Vestlandet, Norway, lies 1,000 km from any study border


@pytest.mark.slow
def test_bundled_border_regions_include_every_ring_one_region(study, gpw):
    flag = raster.border_region(study.regions, study.border_lines, gpw)
    ring_one = study.regions["border_order"].eq(1).fillna(False).astype(bool)
    assert flag[ring_one].all()
    near = raster.population_near_border(study.regions, study.border_lines, gpw)
    # no ring-two region has most of its people within 25 km of the border, so the flags are the rings
    assert (near.loc[~ring_one, "population_within_25km_pct"].fillna(0) <= 50).all()
    assert flag.equals(ring_one.rename("border_region"))
    # Kaliningrad and Grodno have the largest shares: just over half their people within 25 km
    assert near["population_within_25km_pct"].nlargest(2).index.sort_values().tolist() == ["BY-HR", "RU-KGD"]
    assert near.loc["RU-KGD", "population_within_25km_pct"] == pytest.approx(51.2, abs=0.1)
