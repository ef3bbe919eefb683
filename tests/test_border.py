import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import KM, X0, Y0
from pyproj import Geod

from borderland.border import (
    border_lines_from_edges,
    border_lines_from_layer,
    border_order,
    distance_to_border,
    segment_label,
)
from borderland.errors import SchemaError
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


def test_border_order_counts_rings_inland(regions, edges, lines):
    order = border_order(regions, edges, lines)
    assert order.to_dict() == {"A0": 3, "A1": 2, "A2": 1, "B3": 1, "B4": 2, "B5": 3}


def test_border_order_leaves_unconnected_regions_without_a_ring(regions, edges, lines):
    island = gpd.GeoDataFrame({"name": ["I"], "country": ["AA"]},
                              geometry=[shapely.box(X0, Y0 + 5 * KM, X0 + KM, Y0 + 6 * KM)], crs=3035, index=["I"])
    with_island = gpd.GeoDataFrame(
        gpd.pd.concat([regions, island]), crs=3035)
    order = border_order(with_island, shared_edges(with_island), lines)
    assert order.isna().to_dict()["I"] and order["A0"] == 3


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
