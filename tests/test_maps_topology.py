"""Tests of borderland.maps._topology: the antimeridian, shared arcs, numbers as text, properties by column.

Decoding is done by tests/mapworld.py's own decoder (written from the format's description,
not from the encoder), so that the two check each other.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from mapworld import decode_arcs, decode_column, decode_geometries, numbers

from borderland.errors import SchemaError
from borderland.maps._topology import DIGITS, _point_ids, column, columns, digits, split_antimeridian, topology

NATURAL_EARTH = "/work/shared/data/countries.gpkg"


def longest_step(geom: shapely.Geometry) -> float:
    """The largest jump in longitude between consecutive vertices of any ring or line."""
    parts = shapely.get_parts(geom)
    paths = [r for p in parts for r in ([p.exterior, *p.interiors] if p.geom_type == "Polygon" else [p])]
    return max(float(np.abs(np.diff(np.asarray(path.coords)[:, 0])).max()) for path in paths)


def decoded(geoms, scale=1):
    """The geometries after encoding and decoding, as shapely geometries on the integer grid."""
    raw = dataclasses.asdict(topology(np.array(geoms, dtype=object), scale))
    return [None if g is None else shapely.geometry.shape(g) for g in decode_geometries(raw)], raw


# -- the antimeridian --------------------------------------------------------------------------


def test_a_polygon_across_the_antimeridian_is_cut_there():
    across = shapely.Polygon([(170, 60), (-170, 60), (-170, 70), (170, 70)])
    [cut] = split_antimeridian(np.array([across]))
    assert cut.geom_type == "MultiPolygon" and cut.is_valid
    assert sorted(p.bounds for p in cut.geoms) == [(-180, 60, -170, 70), (170, 60, 180, 70)]
    assert cut.area == pytest.approx(20 * 10)  # the 20 degrees it spans, not the 340 it jumped
    assert longest_step(cut) <= 180


def test_a_hole_across_the_antimeridian_stays_a_hole():
    outer = [(160, 50), (-160, 50), (-160, 80), (160, 80)]
    hole = [(175, 60), (175, 70), (-175, 70), (-175, 60)]
    [cut] = split_antimeridian(np.array([shapely.Polygon(outer, [hole])]))
    assert cut.is_valid and cut.area == pytest.approx(40 * 30 - 10 * 10)
    assert longest_step(cut) <= 180


def test_a_line_across_the_antimeridian_is_cut_there():
    [cut] = split_antimeridian(np.array([shapely.LineString([(175, 65), (-175, 67), (-170, 66)])]))
    assert cut.geom_type == "MultiLineString"
    assert [list(line.coords)[-1][0] for line in cut.geoms] == [180, -170]
    assert cut.length == pytest.approx(shapely.LineString([(175, 65), (185, 67), (190, 66)]).length)


def test_a_ring_around_a_pole_is_closed_over_the_pole():
    # a cap north of 70 degrees, as a polar outline converted to longitude and latitude comes out
    ring = [(lon, 70) for lon in (-150, -90, -30, 30, 90, 150)]  # and back to -150: across the antimeridian
    [cut] = split_antimeridian(np.array([shapely.Polygon(ring)]))
    assert cut.is_valid and longest_step(cut) <= 180
    assert cut.bounds == (-180, 70, 180, 90)
    assert cut.area == pytest.approx(360 * 20)


def test_outlines_that_do_not_cross_are_returned_as_they_are():
    # Natural Earth's Russia: parts that end at 180 and start again at -180, with no segment across
    east, west = shapely.box(170, 60, 180, 70), shapely.box(-180, 60, -170, 70)
    russia = shapely.MultiPolygon([east, west])
    small = shapely.box(20, 50, 30, 60)
    geoms = np.array([russia, small, None, shapely.Polygon()], dtype=object)
    out = split_antimeridian(geoms)
    assert out[0] is russia and out[1] is small and out[2] is None and out[3].is_empty


def test_natural_earth_russia_through_a_projected_crs_comes_back_without_a_jump():
    """As the map converts it: Natural Earth as published -> the study's EPSG:3035 -> EPSG:4326."""
    gpd = pytest.importorskip("geopandas")
    countries = gpd.read_file(NATURAL_EARTH, layer="countries_ne10m_5_1_1_deu")
    russia = countries[countries["ADM0_A3_DE"] == "RUS"].geometry
    back = russia.to_crs(3035).to_crs(4326).to_numpy()
    assert longest_step(back[0]) > 350  # vertices on the antimeridian come back on the other side
    [cut] = split_antimeridian(back)
    assert longest_step(cut) <= 180
    assert cut.area == pytest.approx(russia.iloc[0].area, rel=1e-6)


# -- shared arcs -------------------------------------------------------------------------------


def test_neighbours_share_their_common_edge():
    squares = [shapely.box(c, r, c + 1, r + 1) for r in range(2) for c in range(3)]
    back, raw = decoded(squares)
    assert all(shapely.equals(a, b) for a, b in zip(back, squares, strict=True))
    stored = [tuple(sorted(p)) for arc in decode_arcs(raw) for p in itertools.pairwise(arc)]
    assert len(stored) == len(set(stored)) == 17  # each of the grid's 17 unit edges once


def test_an_enclave_and_its_hole_are_one_arc():
    inner = shapely.box(1, 1, 2, 2)
    outer = shapely.Polygon(shapely.box(0, 0, 3, 3).exterior, [inner.exterior])
    back, raw = decoded([outer, inner])
    # the outer ring, and the ring both share (a ring without junctions starts at its smallest point)
    assert [len(arc) for arc in decode_arcs(raw)] == [5, 5]
    assert shapely.equals(back[0], outer) and shapely.equals(back[1], inner)


def test_points_repeated_by_rounding_are_kept_once_and_collapsed_rings_dropped():
    wide = shapely.Polygon([(0, 0), (10.2, 0), (10.4, 0.1), (10, 10), (0, 10)])
    tiny = shapely.box(20.1, 20.1, 20.3, 20.3)  # less than a step: nothing left to draw
    lake = shapely.Polygon(shapely.box(30, 30, 40, 40).exterior, [shapely.box(33.1, 33.1, 33.2, 33.2).exterior])
    back, _ = decoded([wide, tiny, shapely.MultiPolygon([tiny, shapely.box(0, 20, 5, 25)]), lake])
    assert back[0].equals(shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]))
    assert back[1] is None
    assert back[2].geom_type == "MultiPolygon" and back[2].equals(shapely.box(0, 20, 5, 25))
    assert back[3].equals(shapely.box(30, 30, 40, 40)) and not back[3].interiors


def test_lines_keep_their_ends_and_missing_geometries_are_not_drawn():
    lines = [shapely.LineString([(0, 0), (5, 0), (5, 5)]), None, shapely.LineString(),
             shapely.MultiLineString([[(5, 5), (5, 0)], [(9, 9), (8, 8)]])]
    back, raw = decoded(lines)
    assert back[0].equals(lines[0]) and back[3].equals(lines[3])
    assert back[1] is None and back[2] is None
    assert decode_column(raw["types"], 4) == ["LineString", None, None, "MultiLineString"]


def test_points_cannot_be_drawn():
    with pytest.raises(SchemaError, match=r"cannot draw \['Point'\] geometries; expected lines or polygons"):
        topology(np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)]), 10)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=1, max_size=60), st.booleans())
def test_points_are_numbered_by_x_then_y_however_far_apart(points, far):
    # far apart, x and y no longer fit one 64-bit key together: the two-key sort numbers them
    grid = np.array(points, dtype=np.int64) * (2**40 if far else 1)
    assert _point_ids(grid).tolist() == np.unique(grid, axis=0, return_inverse=True)[1].reshape(-1).tolist()


@settings(deadline=None, max_examples=40)
@given(st.integers(3, 60), st.integers(0, 2**16), st.sampled_from([1, 10, 1000]))
def test_random_coverages_round_trip_and_store_each_edge_once(n, seed, scale):
    rng = np.random.default_rng(seed)
    frame = shapely.box(0, 0, 10, 10)
    seeds = shapely.multipoints(rng.uniform(0, 10, (n, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    back, raw = decoded(cells, scale)
    grid = shapely.transform(cells, lambda xy: np.rint(xy * scale))
    for got, cell in zip(back, grid, strict=True):
        try:
            want = shapely.remove_repeated_points(cell)
        except shapely.errors.GEOSException:  # fewer than three points left
            continue
        if want.area == 0:
            continue  # a cell thinner than a step
        assert got is not None and shapely.equals_exact(shapely.normalize(got), shapely.normalize(want), 0)
    drawn = {tuple(sorted(p)) for g in back if g is not None for ring in [g.exterior, *g.interiors]
             for p in itertools.pairwise([(int(x), int(y)) for x, y in ring.coords])}
    arcs = [{tuple(sorted(p)) for p in itertools.pairwise(arc)} for arc in decode_arcs(raw)]
    assert set().union(*arcs) == drawn
    # no boundary in two arcs: each shared edge is stored once
    assert sum(len(segments) for segments in arcs) == len(drawn)


# -- numbers as text ---------------------------------------------------------------------------


@settings(deadline=None)
@given(st.lists(st.lists(st.integers(-(2**53), 2**53), max_size=20), max_size=10))
def test_numbers_round_trip_through_text(groups):
    values = np.array([v for group in groups for v in group], dtype=np.int64)
    texts = digits(values, np.array([len(group) for group in groups], dtype=np.int64))
    assert [numbers(text) for text in texts] == groups
    assert set("".join(texts)) <= set(DIGITS)


def test_small_steps_take_one_or_two_digits():
    assert [len(t) for t in digits(np.array([0, 15, -16, 16, 511, -512, 512]), np.ones(7, dtype=int))] == [
        1, 1, 1, 2, 2, 2, 3]


# -- properties --------------------------------------------------------------------------------


def test_a_column_takes_its_shortest_form():
    fills = ["#41b6c4"] * 50 + ["#ffffcc"] * 50
    assert column(fills) == {"values": ["#41b6c4", "#ffffcc"], "codes": [0] * 50 + [1] * 50}
    assert column(["5.0 km"] * 3) == {"value": "5.0 km"}
    assert column(["a", "b", "c"]) == ["a", "b", "c"]
    assert column([1, True, 1.0, None, 1]) == [1, True, 1.0, None, 1]  # told apart by type


@settings(deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                                st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3)),
                                max_size=3), max_size=30))
def test_columns_give_back_every_record(records):
    encoded = columns(records)
    back = [{} for _ in records]
    for key, values in encoded:
        for record, value in zip(back, decode_column(values, len(records)), strict=True):
            record[key] = value
    expected = [{key: record.get(key) for key, _ in encoded} for record in records]
    assert all(type(b[k]) is type(e[k]) for b, e in zip(back, expected, strict=True) for k in e)
    assert back == expected
