import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from conftest import KM, X0, Y0
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod

from borderland import nearest
from borderland.border import (
    band_label,
    band_pieces,
    border_lines_from_edges,
    border_lines_from_layer,
    border_zones,
    compare_geodesic,
    distance_bands,
    distance_to_border,
    equidistant_crs,
    planar_error_pct,
    segment_label,
    touches_border,
)
from borderland.errors import CRSError, SchemaError
from borderland.layers import shared_edges


@pytest.fixture
def edges(regions):
    return shared_edges(regions)


@pytest.fixture
def lines(regions, edges):
    return border_lines_from_edges(regions, edges, focus_country="AA")


def test_border_line_is_the_one_shared_cross_border_edge(lines):
    assert lines[["segment", "country_a", "country_b"]].values.tolist() == [["AA-BB", "AA", "BB"]]
    assert lines.length_km.iloc[0] == pytest.approx(1.0)
    assert lines.geometry.iloc[0].equals(shapely.LineString([(X0 + 3 * KM, Y0), (X0 + 3 * KM, Y0 + KM)]))


@pytest.mark.parametrize(
    ("origin", "expected"),
    [("inside_point", [2.5, 1.5, 0.5, 0.5, 1.5, 2.5]),
     ("centroid", [2.5, 1.5, 0.5, 0.5, 1.5, 2.5]),
     ("outline", [2.0, 1.0, 0.0, 0.0, 1.0, 2.0])],
    ids=["inside_point", "centroid", "outline"],
)
def test_distance_to_border_by_hand(regions, lines, origin, expected):
    distance = distance_to_border(regions, lines, origin=origin)
    assert distance.name == "border_distance_km"
    np.testing.assert_allclose(distance.to_numpy(), expected, atol=1e-9)


def test_crescent_centroid_lies_outside_but_inside_point_does_not(lines):
    # a U-shaped region around the border end: its centroid falls in the notch
    u = shapely.box(X0 + 3 * KM, Y0 - 2 * KM, X0 + 6 * KM, Y0 + 3 * KM).difference(
        shapely.box(X0 + 4 * KM, Y0 - 1 * KM, X0 + 6 * KM, Y0 + 2 * KM))
    region = gpd.GeoDataFrame({"country": ["BB"]}, geometry=[u], crs=3035, index=["U"])
    assert not u.contains(u.centroid)
    inside = distance_to_border(region, lines, origin="inside_point").iloc[0]
    assert u.contains(region.representative_point().iloc[0]) and inside >= 0


def test_unknown_origin_is_named(regions, lines):
    with pytest.raises(SchemaError, match="unknown distance origin 'middle'"):
        distance_to_border(regions, lines, origin="middle")


def test_population_origin_points_to_exposure(regions, lines):
    # the population-weighted distance needs a raster: it lives in borderland.exposure
    with pytest.raises(SchemaError, match=r"'population'.*exposure\.population_weighted_distance"):
        distance_to_border(regions, lines, origin="population")


@pytest.mark.parametrize(
    ("tolerance_m", "expected"),
    [(0.0, ["A2", "B3"]), (100.0, ["A2", "B3"]), (1000.0, ["A1", "A2", "B3", "B4"]),
     (2000.0, ["A0", "A1", "A2", "B3", "B4", "B5"])],
    ids=["exact", "default", "one-square", "two-squares"],
)
def test_touches_border_by_hand(regions, lines, tolerance_m, expected):
    # outlines lie 2, 1, 0, 0, 1, 2 km from the border
    touching = touches_border(regions, lines, touch_tolerance_m=tolerance_m)
    assert touching.name == "touches_border" and touching.index.equals(regions.index)
    assert sorted(touching.index[touching]) == expected


def test_touches_border_tolerates_a_gap_between_sources(regions, lines):
    moved = regions.copy()
    moved.geometry = [shapely.affinity.translate(g, 50, 0) if code == "B3" else g
                      for code, g in zip(regions.index, regions.geometry, strict=True)]
    assert touches_border(moved, lines)["B3"]  # 50 m off the line: within the default 100 m
    assert not touches_border(moved, lines, touch_tolerance_m=10)["B3"]
    # the outline distances measured already (as the load stage measures them) give the same answer
    outline_km = distance_to_border(moved, lines, origin="outline")
    pd.testing.assert_series_equal(touches_border(moved, lines, outline_km=outline_km.iloc[::-1]),
                                   touches_border(moved, lines))
    with pytest.raises(SchemaError, match="touch_tolerance_m must be >= 0"):
        touches_border(regions, lines, touch_tolerance_m=-1)


def test_authoritative_layer_needs_its_country_columns(lines):
    with pytest.raises(SchemaError, match="lacks column"):
        border_lines_from_layer(lines.drop(columns=["country_a"]))


def test_segment_labels_put_focus_first():
    assert segment_label("FI", "RU", "RU") == "RU-FI"
    assert segment_label("UA", "BY", "RU") == "BY-UA"
    assert segment_label("UA", "BY") == "BY-UA"


def test_planar_distance_is_within_two_percent_of_geodesic():
    # Pskov (28.3 E, 57.8 N) to a point on the Estonian border lake shore (27.5 E, 58.0 N) and
    # Murmansk (33.1 E, 68.97 N) to the Norwegian border (30.8 E, 69.5 N): LAEA against the ellipsoid
    geod = Geod(ellps="WGS84")
    for lon1, lat1, lon2, lat2 in [(28.3, 57.8, 27.5, 58.0), (33.1, 68.97, 30.8, 69.5), (39.7, 47.2, 38.3, 47.6)]:
        points = gpd.GeoSeries.from_xy([lon1, lon2], [lat1, lat2], crs=4326).to_crs(3035)
        planar = points.iloc[0].distance(points.iloc[1])
        geodesic = geod.line_length([lon1, lon2], [lat1, lat2])
        assert planar == pytest.approx(geodesic, rel=0.02)


# --- a two-country world at the scale of real borders -------------------------------------------
#
#   x (km):  0        40       70     90  100 110    130      160        200
#            |   A0   |   A1   |  A2  | A3 || B4 | B5 |   B6   |    B7    |    y from 0 to 100 km
#                                         border at x = 100 (AA | BB)
#
# Inside points are the centres: 80, 45, 20, 5 km from the border (and the same in BB); outlines
# are 60, 30, 10, 0 km away; rings 4, 3, 2, 1 moving inland on each side.

WORLD_REGIONS = {  # code: (country, x from, x to) in km
    "A0": ("AA", 0, 40), "A1": ("AA", 40, 70), "A2": ("AA", 70, 90), "A3": ("AA", 90, 100),
    "B4": ("BB", 100, 110), "B5": ("BB", 110, 130), "B6": ("BB", 130, 160), "B7": ("BB", 160, 200),
}


def two_countries() -> gpd.GeoDataFrame:
    codes = list(WORLD_REGIONS)
    return gpd.GeoDataFrame(
        {"name": codes, "country": [WORLD_REGIONS[c][0] for c in codes]},
        geometry=[shapely.box(X0 + a * KM, Y0, X0 + b * KM, Y0 + 100 * KM) for _, a, b in WORLD_REGIONS.values()],
        crs=3035, index=pd.Index(codes, name="region_id"),
    )


@pytest.fixture
def big():
    return two_countries()


@pytest.fixture
def big_lines(big):
    return border_lines_from_edges(big, shared_edges(big), focus_country="AA")


def test_two_country_border_is_one_100_km_line(big_lines):
    assert big_lines[["segment", "length_km"]].values.tolist() == [["AA-BB", pytest.approx(100.0)]]


@pytest.mark.parametrize(
    ("origin", "expected"),
    [("inside_point", [80, 45, 20, 5, 5, 20, 45, 80]), ("outline", [60, 30, 10, 0, 0, 10, 30, 60])],
    ids=["inside_point", "outline"],
)
def test_two_country_distances_by_hand(big, big_lines, origin, expected):
    np.testing.assert_allclose(distance_to_border(big, big_lines, origin=origin), expected, atol=1e-9)


def test_distance_bands_by_hand(big, big_lines):
    bands = distance_bands(big, big_lines)
    # each country is a 100 x 100 km square along a straight 100 km border, so the zones are
    # strips 100 km long: 25 x 100 = 2,500 km², 25 x 100 = 2,500 km², 50 x 100 = 5,000 km²
    # (the buffers' round caps lie beyond the ends of the border, outside both countries)
    assert bands[["band", "country"]].values.tolist() == [
        ["0-25", "AA"], ["25-50", "AA"], ["50-100", "AA"], ["0-25", "BB"], ["25-50", "BB"], ["50-100", "BB"]]
    np.testing.assert_allclose(bands["area_km2"], [2500, 2500, 5000] * 2, rtol=1e-9)
    assert bands.crs == big.crs
    strip = shapely.box(X0 + 75 * KM, Y0, X0 + 100 * KM, Y0 + 100 * KM)
    assert bands.loc[0].geometry.symmetric_difference(strip).area < 1e-3  # m²
    limits = bands[["distance_min_km", "distance_max_km"]].to_numpy()[:3]
    np.testing.assert_allclose(limits, [[0, 25], [25, 50], [50, 100]])


def test_open_last_band_takes_the_rest(big, big_lines):
    bands = distance_bands(big, big_lines, bands_km=(0, 60, float("inf")))
    # 60 km from the border, the remaining 40 km of each 100 km square: 4,000 km²
    assert bands["band"].tolist() == ["0-60", "60+", "0-60", "60+"]
    np.testing.assert_allclose(bands["area_km2"], [6000, 4000, 6000, 4000], rtol=1e-9)


def test_band_areas_add_up_to_the_land_within_the_last_edge(big, big_lines):
    # whatever the edges, consecutive bands tile the land: with bands to 100 km the whole world
    for edges in [(0, 10, 20, 100), (0, 33.3, 100), (5, 50, 100)]:
        bands = distance_bands(big, big_lines, bands_km=edges)
        expected = 2 * 100 * (100 - edges[0])
        assert bands["area_km2"].sum() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("edges", "message"),
    [((25,), "at least two edges"), ((0, 50, 25), "increase strictly"), ((-5, 25), "non-negative"),
     ((0, float("inf"), 100), "only the last edge")],
    ids=["one-edge", "decreasing", "negative", "inner-infinity"],
)
def test_bad_band_edges_are_reported(big, big_lines, edges, message):
    with pytest.raises(SchemaError, match=message):
        distance_bands(big, big_lines, bands_km=edges)


def test_band_labels():
    assert band_label(0, 25) == "0-25"
    assert band_label(12.5, 25) == "12.5-25"
    assert band_label(200, float("inf")) == "200+"


def test_compare_geodesic_on_a_short_meridian_line():
    # a border along the 30th meridian from 55 N to 56 N, and a point 0.5 degree east on 55.5 N:
    # the geodesic distance is the one to the nearest point on the line, which pyproj gives directly
    geod = Geod(ellps="WGS84")
    line = gpd.GeoSeries([shapely.LineString([(30, 55), (30, 55.5), (30, 56)])], crs=4326)
    line = gpd.GeoSeries(shapely.segmentize(line.to_numpy(), 0.001), crs=4326).to_crs(3035)
    region = gpd.GeoSeries([shapely.Point(30.5, 55.5).buffer(0.01)], crs=4326).to_crs(3035)
    regions = gpd.GeoDataFrame({"country": ["XX"]}, geometry=region.to_numpy(), crs=3035, index=["R"])
    table = compare_geodesic(regions, line)
    point = regions.representative_point().to_crs(4326).iloc[0]
    lats = np.linspace(55.4, 55.6, 20001)
    n = lats.size
    nearest = geod.inv(np.full(n, point.x), np.full(n, point.y), np.full(n, 30.0), lats)[2].min()
    assert table.loc["R", "geodesic_km"] == pytest.approx(nearest / 1000, abs=2e-3)
    assert list(table.columns) == ["planar_km", "geodesic_km", "difference_km", "difference_pct"]


def test_compare_geodesic_refuses_outline_and_degrees(big, big_lines):
    with pytest.raises(SchemaError, match="choose one of"):
        compare_geodesic(big, big_lines, origin="outline")
    with pytest.raises(CRSError, match="geographic"):
        compare_geodesic(big, big_lines, crs="EPSG:4326")


def test_border_zones_built_once_cut_as_the_buffers_do(big, big_lines):
    zones = border_zones(big_lines, (0, 25, 50, 100), (0, 25))
    assert sorted(zones.rings) == [(0.0, 25.0), (25.0, 50.0), (50.0, 100.0)]
    labels, pieces = band_pieces(big.geometry.to_numpy(), big_lines, (0, 25, 50, 100), zones=zones)
    again = band_pieces(big.geometry.to_numpy(), big_lines, (0, 25, 50, 100))[1]
    assert labels == ["0-25", "25-50", "50-100"]
    np.testing.assert_allclose(shapely.area(pieces), shapely.area(again))
    assert shapely.equals(pieces, again)[shapely.area(pieces) > 0].all()
    # A1 (x 40-70 km, 30-60 km from the border): x 50-70 in the 25-50 band, x 40-50 in 50-100
    assert shapely.area(pieces[1]).tolist() == pytest.approx([0, 2e9, 1e9])
    assert_same_bands(distance_bands(big, big_lines, zones=zones), distance_bands(big, big_lines))
    # the same polygons cut again with the same zones: the pieces kept, the same (not cut twice)
    geoms = big.geometry.to_numpy()
    first = band_pieces(geoms, big_lines, (0, 25), zones=zones)[1]
    assert all(a is b for a, b in zip(band_pieces(geoms, big_lines, (0, 25), zones=zones)[1][:, 0], first[:, 0],
                                      strict=True))
    other = big.geometry.buffer(-1000).to_numpy()  # other polygons: cut anew
    assert shapely.equals(band_pieces(other, big_lines, (0, 25), zones=zones)[1],
                          band_pieces(other, big_lines, (0, 25))[1])[shapely.area(other) > 0].all()
    # a band not built in advance is built when asked for
    assert band_pieces(big.geometry.to_numpy(), big_lines, (0, 10), zones=zones)[0] == ["0-10"]
    with pytest.raises(CRSError, match="build the zones from the same borders"):
        band_pieces(big.geometry.to_numpy(), big_lines.to_crs(3857), zones=zones)


def test_distance_bands_of_overlapping_regions(big, big_lines):
    # regions that overlap (not a coverage) are unioned the general way: the bands are the same
    overlapping = big.copy()
    overlapping.loc["A1", "geometry"] = shapely.box(X0 + 35 * KM, Y0, X0 + 70 * KM, Y0 + 100 * KM)
    assert_same_bands(distance_bands(overlapping, big_lines), distance_bands(big, big_lines))


def assert_same_bands(got, expected):
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), expected.drop(columns="geometry"))
    assert got.geometry.geom_equals(expected.geometry).all()


def brute_force_geodesic(points_xy, lines, spacing_m=20.0):
    """The shortest pyproj.Geod distance (m) from each point to the border densified every ``spacing_m``."""
    from pyproj import Transformer

    dense = shapely.get_coordinates(shapely.segmentize(lines.geometry.to_numpy(), spacing_m))
    to_lonlat = Transformer.from_crs(lines.crs, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(dense[:, 0], dense[:, 1])
    plon, plat = to_lonlat.transform(points_xy[:, 0], points_xy[:, 1])
    geod = Geod(ellps="WGS84")
    return np.array([np.min(geod.inv(np.full(len(lon), x), np.full(len(lon), y), lon, lat)[2])
                     for x, y in zip(plon, plat, strict=True)])


def test_geodesic_distance_within_a_tenth_of_a_percent_of_brute_force(big, big_lines):
    # a 100 km border near (4,000 km, 3,000 km) in EPSG:3035 (west of Lisbon at 50 N), bent so that
    # the planar and the geodesic nearest points differ; regions' inside points and far points
    bent = gpd.GeoSeries([shapely.LineString([(X0 + 100 * KM, Y0), (X0 + 140 * KM, Y0 + 50 * KM),
                                              (X0 + 100 * KM, Y0 + 100 * KM)])], crs=3035)
    km = distance_to_border(big, bent, method="geodesic")
    xy = shapely.get_coordinates(big.representative_point().to_numpy())
    np.testing.assert_allclose(km * 1000, brute_force_geodesic(xy, bent), rtol=1e-3)
    far = gpd.GeoDataFrame({"country": ["XX"] * 3}, index=["F1", "F2", "F3"], crs=3035, geometry=[
        shapely.box(X0 + x * KM, Y0 + y * KM, X0 + (x + 1) * KM, Y0 + (y + 1) * KM)
        for x, y in ((900, 50), (-600, 700), (120, 45))])
    xy = shapely.get_coordinates(far.representative_point().to_numpy())
    np.testing.assert_allclose(distance_to_border(far, bent, method="geodesic") * 1000,
                               brute_force_geodesic(xy, bent), rtol=1e-3)
    with pytest.raises(SchemaError, match="geodesic distances are measured from points"):
        distance_to_border(big, bent, origin="outline", method="geodesic")
    with pytest.raises(SchemaError, match="unknown distance method 'flat'"):
        distance_to_border(big, bent, method="flat")


def test_planar_error_is_the_difference_from_the_geodesic_distance(big, big_lines):
    error = planar_error_pct(big, big_lines)
    planar = distance_to_border(big, big_lines)
    geodesic = distance_to_border(big, big_lines, method="geodesic")
    np.testing.assert_allclose(error, 100 * (planar - geodesic) / geodesic)
    assert error.name == "border_distance_error_pct" and error.abs().max() < 2
    # the planar distances measured already (the border stage's own) give the same error
    pd.testing.assert_series_equal(planar_error_pct(big, big_lines, planar=planar), error)



@pytest.mark.parametrize("origin", ["inside_point", "centroid"])
def test_planar_distance_and_error_from_one_search_are_those_measured_apart(big, big_lines, origin):
    from borderland.border import _planar_distance_and_error, geodesic_distance
    from borderland.nearest import Segments, line_segments, point_distances

    planar, error = _planar_distance_and_error(big, big_lines, origin=origin)
    alone = distance_to_border(big, big_lines, origin=origin)
    geodesic = distance_to_border(big, big_lines, origin=origin, method="geodesic")
    pd.testing.assert_series_equal(planar, alone, check_exact=True)
    pd.testing.assert_series_equal(error, (100.0 * (alone - geodesic) / geodesic.where(geodesic > 0)).rename(
        "border_distance_error_pct"), check_exact=True)
    # the nearest segments handed over are those the geodesic search would find itself
    segments = Segments(line_segments(big_lines.geometry.to_numpy()))
    xy = shapely.get_coordinates(big.representative_point().to_numpy())
    nearest = point_distances(segments, xy[:, 0], xy[:, 1])[1]
    np.testing.assert_array_equal(geodesic_distance(segments, xy[:, 0], xy[:, 1], crs=CRS.from_epsg(3035),
                                                    nearest=nearest),
                                  geodesic_distance(segments, xy[:, 0], xy[:, 1], crs=CRS.from_epsg(3035)))

def test_geodesic_distance_is_a_study_key():
    from borderland.specs import SpecError
    from borderland.study import BorderSpec

    assert BorderSpec().distance_method == "planar"
    assert BorderSpec(distance_method="geodesic").distance_method == "geodesic"
    with pytest.raises(SpecError, match="planar"):
        BorderSpec(distance_method="spherical")
    with pytest.raises(SpecError, match="measured from points, not from outlines"):
        BorderSpec(distance_method="geodesic", distance_origin="outline")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), origin=st.sampled_from(["inside_point", "centroid", "outline"]))
def test_many_regions_measured_through_the_tiles_as_geos_does(seed, origin):
    # thousands of small regions (the tiles path) on a jagged border: GEOS's distance, region by region
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0, 2 * KM, 60))
    border = gpd.GeoSeries([shapely.LineString(np.column_stack([X0 + x, Y0 + rng.uniform(-KM, KM, 60)]))], crs=3035)
    left, bottom = X0 + rng.uniform(-200 * KM, 300 * KM, 3000), Y0 + rng.uniform(-200 * KM, 300 * KM, 3000)
    regions = gpd.GeoDataFrame({"country": "XX"}, index=[f"R{k}" for k in range(3000)], crs=3035,
                               geometry=shapely.box(left, bottom, left + 500, bottom + 700))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nearest, "_FEW_POINTS_IN_ALL", 100)
        km = distance_to_border(regions, border, origin=origin)
    places = {"inside_point": regions.representative_point(), "centroid": regions.centroid,
              "outline": regions.geometry}[origin]
    np.testing.assert_allclose(km * 1000, places.distance(border.iloc[0]).to_numpy(), rtol=1e-12, atol=1e-6)


# --- the bundled study -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(bundled_result):
    return bundled_result


@pytest.fixture(scope="module")
def laea_against_geodesic(study):
    """The bundled study's distances in its own CRS (EPSG:3035) against the geodesic ones, computed once."""
    return compare_geodesic(study.regions, study.border_lines)


@pytest.mark.slow
def test_every_ring_one_russian_subject_touches_the_border(study):
    regions, lines = study.regions, study.border_lines
    ring_one = regions[(regions["country"] == "RU") & (regions["border_order"] == 1)]
    # the 11 subjects on the western land border (geodata/README.md)
    assert sorted(ring_one.index) == ["RU-BEL", "RU-BRY", "RU-KGD", "RU-KR", "RU-KRS", "RU-LEN", "RU-MUR",
                                      "RU-PSK", "RU-ROS", "RU-SMO", "RU-VOR"]
    outline = distance_to_border(ring_one, lines, origin="outline")
    assert (outline == 0).all()
    inland = regions[(regions["country"] == "RU") & (regions["border_order"] > 1)]
    assert (distance_to_border(inland, lines, origin="outline") > 0).all()


@pytest.mark.slow
def test_planar_distances_against_geodesic_on_the_bundled_study(study, laea_against_geodesic):
    # measured: EPSG:3035 differs from the geodesic distance by up to 1.75 % (Kalmykia, far from
    # the projection's centre), the study-centred azimuthal equidistant CRS by up to 0.71 %
    laea = laea_against_geodesic
    assert laea["difference_pct"].abs().max() < 2.0
    aeqd = compare_geodesic(study.regions, study.border_lines, crs=equidistant_crs(study.regions))
    assert aeqd["difference_pct"].abs().max() < 1.0
    assert aeqd["difference_pct"].abs().max() < laea["difference_pct"].abs().max()


@pytest.mark.slow
def test_bundled_geodesic_distances_and_the_planar_error(study, laea_against_geodesic):
    # the geodesic distance of every region within 0.1 % of a brute-force search of the border
    # densified every 50 m; the planar error stated in the output is up to 1.75 % (Kalmykia)
    regions, lines = study.regions, study.border_lines
    sample = regions.loc[["RU-KGD", "RU-KL", "RU-MUR", "EE00", "UA-71", "BY-HR", "RU-PSK", "RU-ROS"]]
    km = distance_to_border(sample, lines, method="geodesic")
    xy = shapely.get_coordinates(sample.representative_point().to_numpy())
    np.testing.assert_allclose(km * 1000, brute_force_geodesic(xy, lines, spacing_m=50.0), rtol=1e-3)
    error = regions["border_distance_error_pct"]
    assert error.abs().max() == pytest.approx(1.75, abs=0.01) and error.abs().idxmax() == "RU-KL"
    reference = laea_against_geodesic["difference_pct"]
    np.testing.assert_allclose(error, reference, atol=0.01)


@pytest.mark.slow
def test_bundled_distance_bands_cover_every_country(study):
    bands = distance_bands(study.regions, study.border_lines)
    assert set(bands["country"]) == set(study.regions["country"])
    assert set(bands["band"]) == {"0-25", "25-50", "50-100"}
    # a band never reaches beyond its country's regions
    for country, group in bands.groupby("country"):
        land = study.regions[study.regions["country"] == country].union_all()
        assert group.geometry.difference(land).area.max() < 1.0


def test_countries_that_do_not_touch_have_an_empty_border(regions):
    apart = regions.copy()
    apart.geometry = [g if c == "AA" else shapely.affinity.translate(g, 5000, 0)
                      for g, c in zip(apart.geometry, apart["country"], strict=True)]
    lines = border_lines_from_edges(apart, shared_edges(apart))
    assert lines.empty and list(lines.columns) == ["segment", "country_a", "country_b", "length_km", "geometry"]
    assert distance_to_border(apart, lines).isna().all()
    assert not touches_border(apart, lines).any()


@settings(max_examples=40, deadline=None)
@given(xs=st.lists(st.floats(-20, 20), min_size=1, max_size=8), ys=st.lists(st.floats(-20, 20), min_size=1,
                                                                              max_size=8))
def test_distances_are_non_negative_and_outline_is_nearest(xs, ys):
    # any region of the strip moved anywhere: no origin is nearer the border than its outline
    from conftest import strip_world

    from borderland.layers import prepare_regions

    regions = prepare_regions(strip_world())
    lines = border_lines_from_edges(regions, shared_edges(regions))
    moved = regions.copy()
    moved.geometry = [shapely.affinity.translate(g, xs[k % len(xs)] * KM, ys[k % len(ys)] * KM)
                      for k, g in enumerate(regions.geometry)]
    outline = distance_to_border(moved, lines, origin="outline")
    for origin in ("inside_point", "centroid"):
        other = distance_to_border(moved, lines, origin=origin)
        assert (other >= 0).all() and (other >= outline - 1e-9).all()
    assert touches_border(moved, lines).equals((outline * 1000 <= 100).rename("touches_border"))
