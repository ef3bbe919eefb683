import shlex
import shutil
import subprocess
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import KM, X0, Y0, square, strip_world
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.compute import Serial
from borderland.errors import BorderlandWarning, CRSError, SchemaError
from borderland.layers import (
    edges_of,
    prepare_regions,
    repair_coverage,
    reproject,
    shared_edges,
    to_projected,
    transformer,
)


def test_prepare_indexes_by_code_and_keeps_columns(world):
    regions = prepare_regions(world)
    assert list(regions.index) == ["A0", "A1", "A2", "B3", "B4", "B5"]
    assert regions.index.name == "region_id"
    assert list(regions.columns) == ["name", "country", "level", "source", "geometry"]
    assert regions.crs.to_epsg() == 3035


def test_absent_text_columns_are_missing_text_never_the_text_na(world, tmp_path):
    regions = prepare_regions(world.drop(columns="level"))
    for column in ("level", "source"):
        assert regions[column].dtype == "string" and regions[column].isna().all(), column
    # as GDAL writes them: NULL, where an object column of pd.NA became the text '<NA>'
    regions.to_file(tmp_path / "r.gpkg", engine="pyogrio")
    back = gpd.read_file(tmp_path / "r.gpkg", engine="pyogrio")
    assert back["level"].isna().all() and back["source"].isna().all()
    assert prepare_regions(world, source="NUTS")["source"].tolist() == ["NUTS"] * 6


def test_codes_and_column_names_in_messages_cannot_start_a_line(world):
    bad = world.rename(columns={"level": "lvl\nerror: fake"})
    bad.loc[0:1, "region_id"] = "D\nerror: fake\tline"
    bad.loc[3, "geometry"] = None
    with pytest.raises(SchemaError) as missing:
        prepare_regions(bad.drop(columns="name"))
    with pytest.raises(SchemaError) as duplicated:
        prepare_regions(bad)
    messages = f"{missing.value}\n{duplicated.value}"
    assert "(columns: region_id, country, lvl\\nerror: fake, geometry)" in messages
    assert "duplicate codes in 'region_id': D\\nerror: fake\\tline" in messages
    assert "null or empty geometry for: B3" in messages
    assert not [line for line in messages.splitlines() if line.startswith("error:")], messages
    assert "\t" not in messages


def test_prepare_reprojects_geographic_input(world):
    regions = prepare_regions(world.to_crs(4326))
    assert regions.crs.to_epsg() == 3035
    # a 1 km square survives the round trip through degrees to within a square metre
    np.testing.assert_allclose(regions.area.to_numpy(), 1e6, atol=1.0)


def test_prepare_reports_every_problem_at_once(world):
    bad = world.copy()
    bad.loc[1, "region_id"] = "A0"
    bad.loc[2, "region_id"] = " "
    bad.loc[3, "geometry"] = shapely.Point(X0, Y0)
    with pytest.raises(SchemaError, match=r"3 problem\(s\)") as info:
        prepare_regions(bad)
    message = str(info.value)
    assert "duplicate codes in 'region_id': A0" in message
    assert "blank 'region_id'" in message
    assert "regions must be polygons; found Point for B3" in message


def test_prepare_names_missing_columns_and_crs(world):
    no_crs = gpd.GeoDataFrame({"region_id": world.region_id, "name": world.name}, geometry=list(world.geometry))
    assert no_crs.crs is None
    with pytest.raises(SchemaError, match="column 'country' is missing") as info:
        prepare_regions(no_crs)
    assert "has no CRS" in str(info.value)
    assert "look like degrees" not in str(info.value)  # the strip is in metres (EPSG:3035)
    # in degrees, the message says so: the likely CRS to set
    degrees = gpd.GeoDataFrame(world.to_crs(4326).drop(columns="geometry"), geometry=list(world.to_crs(4326).geometry))
    with pytest.raises(SchemaError, match=r"look like degrees \(longitude, latitude\): EPSG:4326\?"):
        prepare_regions(degrees)


def test_geographic_target_crs_is_refused(world):
    with pytest.raises(CRSError, match="EPSG:4326 is geographic"):
        to_projected(world, "EPSG:4326")


def test_shared_edges_of_the_strip_are_exactly_one_km(regions):
    edges = shared_edges(regions)
    assert sorted(zip(edges.region_a, edges.region_b, strict=True)) == [
        ("A0", "A1"), ("A1", "A2"), ("A2", "B3"), ("B3", "B4"), ("B4", "B5")]
    np.testing.assert_allclose(edges.shared_border_km, 1.0)
    assert set(edges.geom_type) == {"LineString"}


def test_corner_contact_is_not_a_shared_edge():
    frame = gpd.GeoDataFrame({"region_id": ["P", "Q"], "name": ["P", "Q"], "country": ["AA", "BB"]},
                             geometry=[square(0, 0), square(1, 1)], crs=3035)
    assert shared_edges(prepare_regions(frame)).empty


def test_tolerance_bridges_a_small_gap():
    # Q starts 10 m to the right of P: no shared edge exactly, 1 km of it within 50 m
    q = shapely.box(X0 + KM + 10, Y0, X0 + 2 * KM + 10, Y0 + KM)
    frame = gpd.GeoDataFrame({"region_id": ["P", "Q"], "name": ["P", "Q"], "country": ["AA", "BB"]},
                             geometry=[square(0), q], crs=3035)
    regions = prepare_regions(frame)
    assert shared_edges(regions).empty
    edges = shared_edges(regions, tolerance_m=50)
    assert len(edges) == 1
    # P's outline within 50 m of Q's: its 1 km side plus two 40 m stubs of the top and bottom edges
    assert edges.shared_border_km.iloc[0] == pytest.approx(1.08, abs=1e-9)


def test_repair_resolves_overlap_and_reports_it():
    # Q overlaps P by 100 m x 1 km = 0.1 km²
    q = shapely.box(X0 + 0.9 * KM, Y0, X0 + 2 * KM, Y0 + KM)
    frame = gpd.GeoDataFrame({"region_id": ["P", "Q"], "name": ["P", "Q"], "country": ["AA", "BB"]},
                             geometry=[square(0), q], crs=3035)
    # the overlap is 9.1 % of Q: more than a repair may move by default (see the next test)
    repaired, report = repair_coverage(prepare_regions(frame), max_repair_pct=10)
    assert report.overlap_area_km2 == pytest.approx(0.1)
    assert shapely.coverage_is_valid(repaired.geometry.to_numpy())
    assert repaired.area.sum() / 1e6 == pytest.approx(2.0)
    assert report.area_change_km2.abs().sum() == pytest.approx(0.1)
    assert "0 invalid" in report.summary()


def test_a_repair_that_moves_much_of_a_valid_region_fails_naming_both():
    q = shapely.box(X0 + 0.9 * KM, Y0, X0 + 2 * KM, Y0 + KM)
    frame = gpd.GeoDataFrame({"region_id": ["P", "Q"], "name": ["Pe", "Qu"], "country": ["AA", "BB"]},
                             geometry=[square(0), q], crs=3035)
    with pytest.raises(SchemaError, match=r"0\.1 km² \(9\.1 %\) of Qu \(Q\) lies under P too, and the repair would "
                       r"give it to P; where two sources overlap along a border \(NUTS beside Natural Earth\), raise "
                       r"\[regions\] max_repair_pct above 9\.1 to accept the change; otherwise fix the polygons"):
        repair_coverage(prepare_regions(frame))
    # the fix the message names, applied
    repaired, _ = repair_coverage(prepare_regions(frame), max_repair_pct=9.2)
    assert shapely.coverage_is_valid(repaired.geometry.to_numpy())


def test_a_self_intersecting_polygon_cannot_take_its_valid_neighbour():
    # P surrounds Q and has a bow tie in its outline; made valid, it claims all of Q
    outline = [(0, -1), (3, -1), (3, 2), (1.6, 2), (1.4, 2.3), (1.6, 2.3), (1.4, 2), (0, 2)]
    p = shapely.Polygon([(X0 + x * KM, Y0 + y * KM) for x, y in outline])
    frame = gpd.GeoDataFrame({"region_id": ["P", "Q"], "name": ["P", "Q"], "country": ["AA", "BB"]},
                             geometry=[p, square(1)], crs=3035)
    with pytest.raises(SchemaError, match=r"give 1 km² \(100\.0 %\) of Q \(Q\), a valid polygon, to P \(its polygon "
                       r"was invalid and was made valid\); fix the polygon of P in the layer \(Q would vanish\)"):
        repair_coverage(prepare_regions(frame))


def test_repair_fills_cross_border_sliver_but_keeps_enclave():
    # P and Q (different countries) leave a 200 m wide hole between them, closed by R above and S below;
    # T is a ring with a 200 m hole in the middle (an enclave of nothing: a lake or a city not in the study)
    p = shapely.box(X0, Y0, X0 + KM, Y0 + KM)
    q = shapely.box(X0 + 1.2 * KM, Y0, X0 + 2.2 * KM, Y0 + KM)
    r = shapely.box(X0, Y0 + KM, X0 + 2.2 * KM, Y0 + 2 * KM)
    s = shapely.box(X0, Y0 - KM, X0 + 2.2 * KM, Y0)
    t = shapely.box(X0 + 5 * KM, Y0, X0 + 6 * KM, Y0 + KM).difference(
        shapely.box(X0 + 5.4 * KM, Y0 + 0.4 * KM, X0 + 5.6 * KM, Y0 + 0.6 * KM))
    frame = gpd.GeoDataFrame({"region_id": list("PQRST"), "name": list("PQRST"),
                              "country": ["AA", "BB", "AA", "AA", "AA"]},
                             geometry=[p, q, r, s, t], crs=3035)
    repaired, report = repair_coverage(prepare_regions(frame), sliver_width_m=500)
    assert report.slivers_filled == 1
    assert report.sliver_area_km2 == pytest.approx(0.2)
    assert repaired.area.sum() / 1e6 == pytest.approx(frame.area.sum() / 1e6 + 0.2)
    assert repaired.loc["T"].geometry.area == pytest.approx(t.area)
    edges = shared_edges(repaired)
    assert {("P", "Q")} <= set(zip(edges.region_a, edges.region_b, strict=True))


def test_repair_makes_invalid_polygons_valid():
    bowtie = shapely.Polygon([(X0, Y0), (X0 + KM, Y0 + KM), (X0 + KM, Y0), (X0, Y0 + KM)])
    frame = strip_world()
    frame.loc[0, "geometry"] = bowtie
    repaired, report = repair_coverage(prepare_regions(frame))
    assert report.made_valid == ("A0",)
    assert repaired.is_valid.all()
    assert repaired.loc["A0"].geometry.area == pytest.approx(0.5e6)


# -- shared edges by matching segments ---------------------------------------------------------


def _frame(geoms, codes=None):
    codes = codes or [f"R{k}" for k in range(len(geoms))]
    return gpd.GeoDataFrame({"name": codes, "country": "AA"}, geometry=list(geoms), crs=3035,
                            index=pd.Index(codes, name="region_id"))


def _outline_path(regions, contiguity="rook"):
    geoms = regions.geometry.to_numpy()
    return edges_of(regions, np.arange(len(geoms)), shapely.STRtree(geoms), contiguity=contiguity)


def test_an_enclave_shares_a_closed_line_with_the_region_around_it():
    # the outer square's hole is the inner square: one shared line, 4 km, closed
    outer = shapely.box(X0, Y0, X0 + 3 * KM, Y0 + 3 * KM).difference(square(1, 1))
    edges = shared_edges(_frame([outer, square(1, 1)], ["OUT", "IN"]))
    assert edges[["region_a", "region_b", "shared_border_km"]].values.tolist() == [["OUT", "IN", 4.0]]
    assert edges.geometry.iloc[0].is_ring


def test_an_edge_made_of_several_runs_is_merged_as_the_outline_path_merges_it():
    # Q's outline crosses its start point inside the edge shared with P: two runs of P's ring, one line
    p = shapely.Polygon([(X0 + KM, Y0 + 0.5 * KM), (X0 + KM, Y0 + KM), (X0, Y0 + KM), (X0, Y0), (X0 + KM, Y0)])
    q = shapely.Polygon([(X0 + KM, Y0 + 0.5 * KM), (X0 + KM, Y0), (X0 + 2 * KM, Y0), (X0 + 2 * KM, Y0 + KM),
                         (X0 + KM, Y0 + KM)])
    regions = _frame([p, q], ["P", "Q"])
    edges = shared_edges(regions)
    assert edges["shared_border_km"].tolist() == [1.0]
    assert shapely.equals(edges.geometry.iloc[0], _outline_path(regions).geometry.iloc[0])
    assert edges.geometry.iloc[0].geom_type == "LineString"


def test_a_t_junction_is_not_a_coverage_warns_and_takes_the_outline_path():
    # P's right edge has no vertex where Q and R meet on the other side
    p = shapely.box(X0, Y0, X0 + KM, Y0 + 2 * KM)
    regions = _frame([p, square(1), square(1, 1)], ["P", "Q", "R"])
    with pytest.warns(BorderlandWarning, match="not a valid polygonal coverage"):
        edges = shared_edges(regions)
    assert edges[["region_a", "region_b", "shared_border_km"]].values.tolist() == [
        ["P", "Q", 1.0], ["P", "R", 1.0], ["Q", "R", 1.0]]
    # the fix the warning names: repaired, the layer is a coverage and the pairs are the same
    repaired, _ = repair_coverage(prepare_regions(regions.reset_index()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert shared_edges(repaired)[["region_a", "region_b"]].values.tolist() == [["P", "Q"], ["P", "R"],
                                                                                      ["Q", "R"]]


def test_overlapping_polygons_warn():
    regions = _frame([square(0), shapely.box(X0 + 0.5 * KM, Y0, X0 + 1.5 * KM, Y0 + KM)])
    with pytest.warns(BorderlandWarning, match="not a valid polygonal coverage"):
        shared_edges(regions)


@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 60), contiguity=st.sampled_from(["rook", "queen"]))
def test_matching_segments_equals_intersecting_outlines_on_a_clean_coverage(seed, n, contiguity):
    rng = np.random.default_rng(seed)
    frame = shapely.box(X0, Y0, X0 + 50 * KM, Y0 + 50 * KM)
    points = shapely.multipoints(np.column_stack([rng.uniform(X0, X0 + 50 * KM, n), rng.uniform(Y0, Y0 + 50 * KM, n)]))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame)), frame)
    regions = _frame(cells)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = shared_edges(regions, contiguity=contiguity)
    slow = _outline_path(regions, contiguity)
    assert fast[["region_a", "region_b"]].values.tolist() == slow[["region_a", "region_b"]].values.tolist()
    np.testing.assert_allclose(fast["shared_border_km"], slow["shared_border_km"], atol=1e-9)
    assert all(shapely.equals(a, b) or (a.is_empty and b.is_empty) for a, b in zip(fast.geometry, slow.geometry,
                                                                                     strict=True))


def test_reproject_is_to_crs_with_one_transformer_per_pair():
    geoms = np.array([shapely.Point(10, 52), shapely.box(20, 50, 21, 51), None, shapely.Polygon()], dtype=object)
    moved = reproject(geoms, 4326, 3035)
    expected = gpd.GeoSeries(geoms, crs=4326).to_crs(3035).to_numpy()
    assert shapely.equals_exact(moved[[0, 1]], expected[[0, 1]], tolerance=0).all()
    assert moved[2] is None and moved[3].is_empty
    assert transformer(4326, 3035) is transformer("EPSG:4326", "EPSG:3035")
    assert reproject(geoms, 3035, "EPSG:3035") is geoms  # the same CRS: nothing moved



#: EPSG:4326 as a GeoTIFF states it (WKT 1, "WGS 84", with its EPSG id): equal to "EPSG:4326", not the same WKT
GEOTIFF_WGS84 = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
                 'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",'
                 '0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
                 'AUTHORITY["EPSG","4326"]]')


def test_transformers_are_kept_per_pair_of_different_crss():
    # each direction, and each different CRS, has its own transformer
    assert transformer(3035, 4326) is not transformer(4326, 3035)
    assert transformer(3035, 4326) is not transformer(3035, 4258)
    assert transformer(3035, 4326) is not transformer(3857, 4326)
    wkt = pyproj.CRS.from_wkt(GEOTIFF_WGS84)
    assert wkt.to_wkt() != pyproj.CRS.from_epsg(4326).to_wkt()  # a different hash: a cache of CRS objects missed it
    assert transformer(3035, wkt) is transformer(3035, "EPSG:4326")
    # and the one shared gives the raster CRS's own transformer's coordinates, to the bit
    rng = np.random.default_rng(5)
    x, y = rng.uniform(2.5e6, 7.5e6, 5000), rng.uniform(1.5e6, 5.5e6, 5000)
    own = pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(3035), wkt, always_xy=True)
    np.testing.assert_array_equal(np.column_stack(transformer(3035, wkt).transform(x, y)),
                                  np.column_stack(own.transform(x, y)))


def test_a_crs_without_an_epsg_code_has_a_transformer_of_its_own():
    # the same projection but another false easting: not EPSG:3035, and not 3035's transformer
    shifted = pyproj.CRS.from_proj4("+proj=laea +lat_0=52 +lon_0=10 +x_0=4321001 +y_0=3210000 +ellps=GRS80 "
                                    "+units=m +no_defs")
    assert shifted.to_epsg(min_confidence=100) is None
    moved = transformer(4326, shifted).transform(10.0, 52.0)
    assert moved == pytest.approx((4321001.0, 3210000.0))
    assert transformer(4326, shifted) is not transformer(4326, 3035)
    assert transformer(4326, shifted) is transformer(4326, shifted.to_wkt())


def test_transformers_kept_are_bounded_and_the_least_recently_used_goes_first():
    from borderland.layers import projection

    first = transformer(4326, 3035)
    for zone in range(1, projection._KEPT + 5):  # more pairs than are kept, 3035's used all along
        transformer(4326, 32600 + zone)
        assert transformer(4326, 3035) is first
    assert projection._transformer.cache_info().currsize == projection._KEPT
    made = projection._transformer.cache_info().misses
    transformer(4326, 32601)  # the least recently used went first: made again
    assert projection._transformer.cache_info().misses == made + 1

# -- shared edges in chunks of regions (borderland.compute) -------------------------------------


def _identical(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")),
                                  check_exact=True)
    assert a.geometry.to_wkb().tolist() == b.geometry.to_wkb().tolist()


@pytest.mark.parametrize("size", [1, 2, 4])
def test_shared_edges_of_the_strip_in_chunks(regions, size):
    # chunks of 1, 2 or 4 squares: each task keeps the pairs whose first square is its own
    edges = shared_edges(regions, executor=Serial(size))
    assert edges[["region_a", "region_b", "shared_border_km"]].values.tolist() == [
        ["A0", "A1", 1.0], ["A1", "A2", 1.0], ["A2", "B3", 1.0], ["B3", "B4", 1.0], ["B4", "B5", 1.0]]
    _identical(edges, shared_edges(regions))


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 80), size=st.integers(1, 30),
       contiguity=st.sampled_from(["rook", "queen"]), tolerance_m=st.sampled_from([0.0, 40.0]))
def test_any_split_into_chunks_gives_the_whole_layers_rows(seed, n, size, contiguity, tolerance_m):
    rng = np.random.default_rng(seed)
    frame = shapely.box(X0, Y0, X0 + 50 * KM, Y0 + 50 * KM)
    points = shapely.multipoints(np.column_stack([rng.uniform(X0, X0 + 50 * KM, n), rng.uniform(Y0, Y0 + 50 * KM, n)]))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame)), frame)
    regions = _frame(cells[rng.permutation(len(cells))])  # in no spatial order
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        whole = shared_edges(regions, contiguity=contiguity, tolerance_m=tolerance_m)
        _identical(shared_edges(regions, contiguity=contiguity, tolerance_m=tolerance_m, executor=Serial(size)),
                   whole)


@pytest.mark.parametrize("size", [1, 2])
def test_a_layer_that_is_not_a_coverage_warns_once_whatever_the_split(size):
    p = shapely.box(X0, Y0, X0 + KM, Y0 + 2 * KM)
    regions = _frame([p, square(1), square(1, 1)], ["P", "Q", "R"])
    with pytest.warns(BorderlandWarning, match="not a valid polygonal coverage") as caught:
        edges = shared_edges(regions, executor=Serial(size))
    assert len(caught) == 1
    assert edges[["region_a", "region_b", "shared_border_km"]].values.tolist() == [
        ["P", "Q", 1.0], ["P", "R", 1.0], ["Q", "R", 1.0]]


# -- the antimeridian --------------------------------------------------------------------------
# Boxes on both sides of ±180° between 58° and 66° N (Chukotka's latitudes): RFC 7946 splits
# each region crossing the antimeridian into parts on either side of it.

NATURAL_EARTH = "/work/shared/data/countries.gpkg"
GEOD = pyproj.Geod(ellps="WGS84")


def _degrees(geoms, codes, countries):
    return gpd.GeoDataFrame({"region_id": codes, "name": codes, "country": countries}, geometry=geoms, crs=4326)


def _split_boxes():
    """A1 | A2 across 180° (A1 west of it, A2 east), B1 | B2 below; A3 above, split in two parts."""
    return _degrees([shapely.box(170, 62, 180, 66), shapely.box(-180, 62, -170, 66),
                     shapely.MultiPolygon([shapely.box(175, 66, 180, 68), shapely.box(-180, 66, -175, 68)]),
                     shapely.box(170, 58, 180, 62), shapely.box(-180, 58, -170, 62)],
                    ["A1", "A2", "A3", "B1", "B2"], ["AA", "AA", "AA", "BB", "BB"])


def _geodesic_km2(geometry) -> float:
    # an edge in degrees is straight in longitude and latitude: densified, the geodesic area is its area
    return abs(GEOD.geometry_area_perimeter(shapely.segmentize(geometry, 0.01))[0]) / 1e6


@pytest.mark.parametrize("crs", ["EPSG:3571", "EPSG:3035"])
def test_a_layer_split_at_the_antimeridian_is_accepted_and_measured_right(crs):
    layer = _split_boxes()
    regions = prepare_regions(layer, crs=crs)
    # each split region is one valid polygon again in the projected CRS (its parts meet on 180°)
    assert regions.is_valid.all() and set(regions.geom_type) == {"Polygon"}
    expected = np.array([_geodesic_km2(g) for g in layer.geometry])
    np.testing.assert_allclose(regions.area.to_numpy() / 1e6, expected, rtol=1e-3)
    _, report = repair_coverage(regions)
    assert report.made_valid == () and report.overlap_area_km2 < 1.0
    # A1 and A2 are neighbours across the antimeridian: 4° of a meridian (445.9 km on the ellipsoid),
    # times the CRS's scale along it (PROJ's meridional scale factor, averaged along the edge)
    edges = shared_edges(regions).set_index(["region_a", "region_b"])
    assert {("A1", "A2"), ("A1", "A3"), ("A2", "A3"), ("A1", "B1"), ("A2", "B2"), ("B1", "B2")} == set(edges.index)
    meridian_km = GEOD.inv(180, 62, 180, 66)[2] / 1000
    assert meridian_km == pytest.approx(445.9, abs=0.1)
    scale = np.mean(pyproj.Proj(crs).get_factors(np.full(41, 180.0), np.linspace(62, 66, 41)).meridional_scale)
    assert edges.loc[("A1", "A2"), "shared_border_km"] == pytest.approx(meridian_km * scale, rel=1e-3)


def test_longitudes_past_180_are_degrees_and_measured_as_the_split_layer():
    # 170..190 is 170°E..170°W: the same regions as the split layer (no longer "looks projected")
    past = _degrees([shapely.box(170, 62, 190, 66), shapely.box(170, 58, 190, 62)], ["N", "S"], ["AA", "BB"])
    split = _degrees([shapely.MultiPolygon([shapely.box(170, y, 180, y + 4), shapely.box(-180, y, -170, y + 4)])
                      for y in (62, 58)], ["N", "S"], ["AA", "BB"])
    a, b = prepare_regions(past, crs="EPSG:3571"), prepare_regions(split, crs="EPSG:3571")
    np.testing.assert_allclose(a.area.to_numpy(), b.area.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(a.area.to_numpy() / 1e6, [_geodesic_km2(g) for g in split.geometry], rtol=1e-3)
    assert shared_edges(a)["shared_border_km"].tolist() == pytest.approx(shared_edges(b)["shared_border_km"].tolist())


def test_chukotka_of_natural_earth_has_its_geodesic_area():
    # Russia east of 160°E in Natural Earth 1:10m: Chukotka, cut at ±180° as Natural Earth writes it
    # (its western edge at -179.99999999999991), with Wrangel Island and the other islands
    countries = gpd.read_file(NATURAL_EARTH, layer="countries_ne10m_5_1_1_deu", engine="pyogrio")
    russia = countries.loc[countries["ISO_A2"] == "RU", "geometry"].iloc[0]
    chukotka = shapely.intersection(russia, shapely.MultiPolygon([shapely.box(160, 55, 180, 80),
                                                                   shapely.box(-180, 55, -160, 80)]))
    reference = abs(GEOD.geometry_area_perimeter(chukotka)[0]) / 1e6
    # km²: the clip is larger than the okrug (721,481 km²), as it takes Kamchatka's north
    assert 1.0e6 < reference < 1.1e6
    layer = _degrees([chukotka, shapely.box(150, 55, 155, 60)], ["RU-CHU", "X"], ["RU", "XX"])
    for crs in ("EPSG:3571", "EPSG:3035"):
        regions = prepare_regions(layer, crs=crs)
        assert regions.loc["RU-CHU"].geometry.area / 1e6 == pytest.approx(reference, rel=0.005)
        assert regions.is_valid.all()


def _wrong_way():
    # A1 written from 170° straight to -170°: in degrees, that edge goes 340° the other way round
    return _degrees([shapely.Polygon([(170, 62), (-170, 62), (-170, 66), (170, 66)]), shapely.box(170, 58, 190, 62)],
                    ["A1", "B1"], ["AA", "BB"])


def test_a_polygon_the_wrong_way_round_is_refused_with_the_fix_that_works(tmp_path):
    with pytest.raises(SchemaError) as info:
        prepare_regions(_wrong_way(), file="wrong.gpkg")
    message = str(info.value)
    assert "A1 has an edge from 170° to -170° of longitude (340° long)" in message
    assert "crosses the antimeridian but is written the wrong way round the globe" in message
    # GDAL's default offset (10°) would leave this edge as it is: the message gives the one that cuts it
    command = "ogr2ogr -wrapdateline -datelineoffset 21 -nlt PROMOTE_TO_MULTI wrong_split.gpkg wrong.gpkg"
    assert command in message and "read wrong_split.gpkg instead ([regions] path)" in message
    _wrong_way().to_file(tmp_path / "wrong.gpkg", engine="pyogrio")
    ogr2ogr(command, tmp_path)
    fixed = prepare_regions(gpd.read_file(tmp_path / "wrong_split.gpkg", engine="pyogrio"), crs="EPSG:3571")
    np.testing.assert_allclose(fixed.area.to_numpy() / 1e6, [_geodesic_km2(shapely.box(170, y, 190, y + 4))
                                                              for y in (62, 58)], rtol=1e-3)


def ogr2ogr(command: str, folder) -> None:
    """Run an ogr2ogr command line a message names, in ``folder``."""
    # gdal-bin is a test requirement (.ci/run installs it): the fix a message names is applied, never skipped
    assert shutil.which("ogr2ogr"), "ogr2ogr not found: apt-get install gdal-bin"
    subprocess.run(shlex.split(command), cwd=folder, check=True, capture_output=True)


def test_ogr2ogr_wrapdateline_output_is_accepted(tmp_path):
    # the fix the old message named, applied to a layer past 180°: its output used to be refused
    past = _degrees([shapely.box(170, 62, 190, 66), shapely.box(170, 58, 190, 62)], ["N", "S"], ["AA", "BB"])
    past.to_file(tmp_path / "past.geojson", engine="pyogrio")
    ogr2ogr("ogr2ogr -wrapdateline -nlt PROMOTE_TO_MULTI split.geojson past.geojson", tmp_path)
    split = gpd.read_file(tmp_path / "split.geojson", engine="pyogrio")
    assert (split.total_bounds[[0, 2]] == [-180, 180]).all()
    regions = prepare_regions(split, crs="EPSG:3035")
    assert regions.is_valid.all() and set(regions.geom_type) == {"Polygon"}
    np.testing.assert_allclose(regions.area.to_numpy(), prepare_regions(past, crs="EPSG:3035").area.to_numpy(),
                               rtol=1e-9)


def test_metres_labelled_as_degrees_still_look_projected(world):
    with pytest.raises(SchemaError, match=r"coordinates reach 4000000\.\.4006000, 3000000\.\.3001000, impossible "
                                          r"in degrees.*set its real CRS \(e\.g\. EPSG:3035\)"):
        prepare_regions(world.set_crs(4326, allow_override=True))
