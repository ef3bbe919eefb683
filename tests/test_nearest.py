"""Exact distances to segments: every answer against GEOS (shapely), the tiles' pruning never wrong."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland import nearest


def geos_distance(seg: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # a segment shorter than a nanometre is a point to both (GEOS divides by its squared length)
    geoms = [shapely.Point(s[:2]) if ((s[2:] - s[:2]) ** 2).sum() <= nearest.TINY_M2 else shapely.LineString(
        [s[:2], s[2:]]) for s in seg]
    return shapely.distance(shapely.points(x, y), shapely.GeometryCollection(geoms))


@pytest.fixture
def tiles_always(monkeypatch):
    """Points go through the tiles however few they are (not GEOS's own search)."""
    monkeypatch.setattr(nearest, "_FEW_POINTS_IN_ALL", 0)


def test_line_segments_of_lines_and_points():
    geoms = np.array([shapely.MultiLineString([[(0, 0), (1, 0)], [(5, 5), (5, 6), (6, 6)]]), shapely.Point(9, 9),
                      shapely.LineString()])
    assert nearest.line_segments(geoms).tolist() == [[0, 0, 1, 0], [5, 5, 5, 6], [5, 6, 6, 6], [9, 9, 9, 9]]


def test_segments_drop_duplicates_either_way_round():
    segs = nearest.Segments(np.array([[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]))
    assert len(segs) == 1 and segs.seg.tolist() == [[0, 0, 1, 0]]


def test_point_distances_by_hand(tiles_always):
    # a vertical segment x = 0, y 0-10, and a point at (20, 0)
    segs = nearest.Segments(np.array([[0.0, 0.0, 0.0, 10.0], [20.0, 0.0, 20.0, 0.0]]))
    x, y = np.array([3.0, 0.0, 17.0, np.nan, 10.0]), np.array([5.0, 14.0, 4.0, 1.0, 0.0])
    distance, which = nearest.point_distances(segs, x, y)
    np.testing.assert_allclose(distance, [3, 4, 5, np.nan, 10])
    assert which[:3].tolist() == [0, 0, 1] and which[3] == -1
    assert which[4] in (0, 1)  # equally far from both
    nothing = nearest.Segments(np.zeros((0, 4)))
    assert np.isnan(nearest.point_distances(nothing, x, y)[0]).all()


segments_strategy = st.lists(st.tuples(*[st.floats(-50_000, 150_000, allow_nan=False)] * 4), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(segments=segments_strategy, polyline=st.booleans(), points=st.booleans(), seed=st.integers(0, 2**16),
       few=st.sampled_from([0, 4, 10**9]))
def test_point_distances_match_geos(segments, polyline, points, seed, few):
    # the tiles (any number of points) and GEOS's search (few points) must give GEOS's answer
    seg = np.array(segments, dtype=float)
    if polyline:  # consecutive segments share their ends, as a border line's do
        vertices = seg[:, :2]
        seg = np.hstack([vertices[:-1], vertices[1:]]) if len(vertices) > 1 else seg
    if points:
        seg[:, 2:] = seg[:, :2]
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-100_000, 200_000, 500), rng.uniform(-100_000, 200_000, 500)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nearest, "_FEW_POINTS_IN_ALL", few)
        distance, which = nearest.point_distances(nearest.Segments(seg), x, y)
    np.testing.assert_allclose(distance, geos_distance(seg, x, y), rtol=1e-12, atol=1e-6)
    segs = nearest.Segments(seg)
    np.testing.assert_allclose(segs.distance(which, x[None, :], y[None, :])[0], distance, rtol=1e-12, atol=1e-6)


def test_many_points_on_a_long_line_against_geos(tiles_always):
    # a wiggly line of 2,000 vertices and 20,000 points around it and far from it
    rng = np.random.default_rng(5)
    t = np.linspace(0, 40, 2000)
    line = np.column_stack([t * 10_000, np.sin(t) * 30_000 + rng.normal(0, 300, len(t))])
    seg = np.hstack([line[:-1], line[1:]])
    x, y = rng.uniform(-200_000, 600_000, 20_000), rng.uniform(-500_000, 500_000, 20_000)
    distance, _ = nearest.point_distances(nearest.Segments(seg), x, y)
    np.testing.assert_allclose(distance, geos_distance(seg, x, y), rtol=1e-12, atol=1e-6)


def test_grid_distances_by_hand():
    segs = nearest.Segments(np.array([[0.0, 0.0, 0.0, 10.0]]))
    # rows and columns evenly spaced, as a grid's are
    got = nearest.grid_distances(segs, np.array([-3.0, 0.0, 3.0]), np.array([5.0, 14.0, 23.0]), top=2, smallest=1)
    np.testing.assert_allclose(got, [[3, 0, 3], [5, 4, 5], [math.hypot(3, 13), 13, math.hypot(3, 13)]], rtol=1e-6)
    assert got.dtype == np.float32


@settings(max_examples=60, deadline=None)
@given(segments=segments_strategy, cell=st.floats(500, 9_000), points=st.booleans(), polyline=st.booleans(),
       top=st.sampled_from([1, 2, 8, 32, 128]), smallest=st.sampled_from([1, 2, 16]),
       flip_x=st.booleans(), flip_y=st.booleans())
def test_grid_distances_match_geos(segments, cell, points, polyline, top, smallest, flip_x, flip_y):
    # the tile pruning must never drop the nearest segment: compare every cell with GEOS
    seg = np.array(segments, dtype=float)
    if polyline:
        vertices = seg[:, :2]
        seg = np.hstack([vertices[:-1], vertices[1:]]) if len(vertices) > 1 else seg
    if points:  # zero-length segments, as target="cells" uses
        seg[:, 2:] = seg[:, :2]
    xc = 1_000 + (np.arange(37) + 0.5) * cell
    yc = 90_000 - (np.arange(23) + 0.5) * cell
    xc, yc = (xc[::-1] if flip_x else xc), (yc[::-1] if flip_y else yc)
    got = nearest.grid_distances(nearest.Segments(seg), xc, yc, top=top, smallest=min(smallest, top))
    xx, yy = np.meshgrid(xc, yc)
    np.testing.assert_allclose(got, geos_distance(seg, xx, yy), rtol=1e-6, atol=0.1)  # metres; float32


@settings(max_examples=40, deadline=None)
@given(segments=segments_strategy, cell=st.floats(500, 9_000), top=st.sampled_from([2, 8, 32]),
       flip_x=st.booleans(), flip_y=st.booleans(), seed=st.integers(0, 2**32 - 1), share=st.floats(0, 1))
def test_grid_distances_of_wanted_cells_are_the_whole_grids(segments, cell, top, flip_x, flip_y, seed, share):
    # a tile's distances never depend on the other tiles: the cells asked for get exactly the values
    # of the whole grid; a tile without any is left out (NaN)
    seg = np.array(segments, dtype=float)
    xc = 1_000 + (np.arange(37) + 0.5) * cell
    yc = 90_000 - (np.arange(23) + 0.5) * cell
    xc, yc = (xc[::-1] if flip_x else xc), (yc[::-1] if flip_y else yc)
    wanted = np.random.default_rng(seed).random((23, 37)) < share
    wanted[:, : int(37 * share)] = False  # whole tiles left out too
    segs = nearest.Segments(seg)
    whole = nearest.grid_distances(segs, xc, yc, top=top, smallest=1)
    part = nearest.grid_distances(segs, xc, yc, top=top, smallest=1, wanted=wanted)
    np.testing.assert_array_equal(part[wanted], whole[wanted])
    measured = ~np.isnan(part)
    np.testing.assert_array_equal(part[measured], whole[measured])
    if not wanted.any():
        assert not measured.any()


@settings(max_examples=30, deadline=None)
@given(segments=segments_strategy, cell=st.floats(500, 9_000), top=st.sampled_from([2, 8, 32]),
       points=st.booleans(), batch=st.sampled_from([1, 64, 1_000]))
def test_grid_distances_do_not_depend_on_the_tiles_measured_together(segments, cell, top, points, batch):
    # tiles are measured in batches, grouped by their count of candidates (padded with their first
    # candidate again): each tile alone, or all at once, gives the same bits
    seg = np.array(segments, dtype=float)
    if points:
        seg[:, 2:] = seg[:, :2]
    xc = 1_000 + (np.arange(37) + 0.5) * cell
    yc = 90_000 - (np.arange(23) + 0.5) * cell
    segs = nearest.Segments(seg)
    whole = nearest.grid_distances(segs, xc, yc, top=top, smallest=1, batch_cells=1 << 30)
    np.testing.assert_array_equal(nearest.grid_distances(segs, xc, yc, top=top, smallest=1, batch_cells=batch), whole)


def test_grid_distances_keep_a_nearly_empty_segment():
    # a segment shorter than a nanometre is measured as its start, without overflowing float32
    seg = np.array([[0.0, 0.0, 5e-300, 0.0], [10_000.0, 0.0, 10_000.0, 5_000.0]])
    got = nearest.grid_distances(nearest.Segments(seg), np.array([500.0, 2_500.0]), np.array([100.0]))
    np.testing.assert_allclose(got, [[math.hypot(500, 100), math.hypot(2_500, 100)]])


def test_a_vertex_shared_by_many_segments_is_one_candidate():
    # a star of 12 segments meeting at the origin, measured far away: every cell is nearest to the
    # shared vertex or to one arm, and the answer is GEOS's
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    seg = np.column_stack([np.zeros(12), np.zeros(12), 1000 * np.cos(angles), 1000 * np.sin(angles)])
    xc = 50_000 + np.arange(64) * 100.0
    yc = 40_000 - np.arange(64) * 100.0
    got = nearest.grid_distances(nearest.Segments(seg), xc, yc, top=64, smallest=8)
    xx, yy = np.meshgrid(xc, yc)
    np.testing.assert_allclose(got, geos_distance(seg, xx, yy), rtol=1e-6)


# --------------------------------------------------------------------------------------------
# the point test: a point-like candidate drops those it beats at a tile's four corners


def corner_distances(segs: nearest.Segments, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Every segment's distances and parameters at the corners of one tile, in the search's order."""
    xmin, xmax, ymin, ymax = box
    cx, cy = np.array([xmin, xmax, xmin, xmax]), np.array([ymin, ymin, ymax, ymax])
    which = np.arange(len(segs))
    return segs.measure(which, np.repeat(cx[:, None], len(segs), 1), np.repeat(cy[:, None], len(segs), 1))


def undominated(segs: nearest.Segments, box: tuple[float, float, float, float]) -> np.ndarray:
    ds, param = corner_distances(segs, box)
    point = nearest._fixed_end(segs, np.arange(len(segs)), param) >= 0
    return nearest._undominated(ds, point, np.array([0]), np.zeros(len(segs), np.int64))


def test_a_point_drops_what_it_beats_at_every_corner():
    # the tile [0, 10]²; segment 0 ends at (5, -1) and points away from the tile, so (5, -1) is
    # its nearest point everywhere in it: 5.1, 5.1, 12.1 and 12.1 from the corners
    segs = nearest.Segments(np.array([
        [5.0, -20.0, 5.0, -1.0],      # the point-like one
        [-100.0, -50.0, 100.0, -50.0],  # 50, 50, 60, 60 from the corners: farther everywhere, goes
        [12.0, 0.0, 12.0, 10.0],      # 2 from the right-hand corners: nearer there, stays
        [-30.0, 5.0, -7.0, 5.0],      # 7 from (0, 5), but 7.07 from the left-hand corners: stays
    ]))
    order = {tuple(row): k for k, row in enumerate(segs.seg.tolist())}  # Segments sorts them
    kept = undominated(segs, (0.0, 10.0, 0.0, 10.0))
    assert {k for k, row in enumerate(segs.seg.tolist()) if kept[order[tuple(row)]]} == {
        order[(5.0, -20.0, 5.0, -1.0)], order[(12.0, 0.0, 12.0, 10.0)], order[(-30.0, 5.0, -7.0, 5.0)]}


def test_two_segments_ending_at_the_same_vertex_keep_one():
    # both are nearest at their shared end (0, -1) everywhere in the tile: equally far, one stays
    segs = nearest.Segments(np.array([[0.0, -1.0, -3.0, -9.0], [0.0, -1.0, 3.0, -9.0]]))
    assert undominated(segs, (-2.0, 2.0, 0.0, 4.0)).tolist() == [True, False]


def test_a_long_segment_is_not_dropped_by_a_point_beyond_its_end():
    # the tile straddles the perpendicular at the segment's end: the segment is nearer than the
    # point (4, -3) over the tile's left half, farther on its right; both stay
    segs = nearest.Segments(np.array([[-50.0, -1.0, 0.0, -1.0], [4.0, -3.0, 4.0, -30.0]]))
    assert undominated(segs, (-2.0, 6.0, 0.0, 8.0)).all()


@settings(max_examples=200, deadline=None)
@given(seg=st.tuples(*[st.floats(-100, 100)] * 4), w=st.tuples(st.floats(-100, 100), st.floats(-100, 100)),
       box=st.tuples(st.floats(-100, 100), st.floats(0.01, 80), st.floats(-100, 100), st.floats(0.01, 80)))
def test_a_segment_less_a_point_squared_is_smallest_at_a_corner(seg, w, box):
    # d_s² - d_w² is concave in the plane for a segment s and a point w: over a box, it is
    # nowhere below its smallest value at the four corners
    segs = nearest.Segments(np.array([seg]))
    x0, width, y0, height = box
    xs, ys = np.meshgrid(np.linspace(x0, x0 + width, 41), np.linspace(y0, y0 + height, 41))
    inside = segs.distance(np.array([0]), xs.reshape(-1, 1), ys.reshape(-1, 1))[:, 0] ** 2 - (
        (xs.ravel() - w[0]) ** 2 + (ys.ravel() - w[1]) ** 2)
    cx, cy = np.array([x0, x0 + width, x0, x0 + width]), np.array([y0, y0, y0 + height, y0 + height])
    corners = segs.distance(np.array([0]), cx[:, None], cy[:, None])[:, 0] ** 2 - ((cx - w[0]) ** 2 + (cy - w[1]) ** 2)
    assert inside.min() >= corners.min() - 1e-9 * (1 + np.abs(corners).max())


@settings(max_examples=100, deadline=None)
@given(segments=segments_strategy, polyline=st.booleans(), box=st.tuples(
    st.floats(-50_000, 150_000), st.floats(100, 60_000), st.floats(-50_000, 150_000), st.floats(100, 60_000)))
def test_the_point_test_keeps_the_nearest_everywhere_in_the_tile(segments, polyline, box):
    # whatever it drops, the candidates kept are as near as all of them, everywhere in the tile
    seg = np.array(segments, dtype=float)
    if polyline:
        seg = np.hstack([seg[:-1, :2], seg[1:, :2]]) if len(seg) > 1 else seg
    segs = nearest.Segments(seg)
    x0, width, y0, height = box
    kept = undominated(segs, (x0, x0 + width, y0, y0 + height))
    assert kept.any()
    xs, ys = np.meshgrid(np.linspace(x0, x0 + width, 31), np.linspace(y0, y0 + height, 31))
    every = np.arange(len(segs))
    d = segs.distance(every[None, :], xs.reshape(-1, 1), ys.reshape(-1, 1))
    np.testing.assert_allclose(d[:, kept].min(axis=1), d.min(axis=1), rtol=1e-12, atol=1e-6)


# grids whose cells are as large as the line's segments or larger (the raster at 2,000² cells):
# most candidates are vertices there, and the point test does most of the pruning


@pytest.mark.parametrize(("seg", "xc", "yc", "expected"), [
    # one segment, the grid across the perpendicular at its end (3-4-5 triangles)
    ([[0.0, 0.0, 10.0, 0.0]], [7.0, 13.0, 14.0], [4.0, -4.0], [[4, 5, math.hypot(4, 4)], [4, 5, math.hypot(4, 4)]]),
    # an L: a cell beyond the corner is nearest to the vertex (0, 10), the others to an arm
    ([[0.0, 0.0, 0.0, 10.0], [0.0, 10.0, 10.0, 10.0]], [-3.0, 2.0, 7.0], [14.0, 5.0],
     [[5, 4, 4], [3, 2, 5]]),
    # a vertex exactly between four cell centres: the one beyond both arms is nearest to it
    ([[1.0, 1.0, 1.0, -9.0], [1.0, 1.0, -9.0, 1.0]], [0.5, 1.5], [1.5, 0.5], [[0.5, math.sqrt(0.5)], [0.5, 0.5]]),
    # a line along the edge between two columns of cells: both half a cell away
    ([[1.0, -5.0, 1.0, 5.0]], [0.5, 1.5], [0.5, -0.5], [[0.5, 0.5], [0.5, 0.5]]),
], ids=["one segment", "L-shaped line", "vertex between cells", "line along a cell edge"])
@pytest.mark.parametrize(("top", "smallest"), [(1, 1), (2, 1), (4, 2)])
def test_grid_distances_by_hand_for_every_tiling(seg, xc, yc, expected, top, smallest):
    got = nearest.grid_distances(nearest.Segments(np.array(seg)), np.array(xc), np.array(yc), top=top,
                                 smallest=smallest)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=1, max_size=60),
       cell=st.floats(500, 5_000), spread=st.floats(0.05, 3), top=st.sampled_from([2, 8, 32]),
       smallest=st.sampled_from([1, 2, 4]), flip_x=st.booleans(), flip_y=st.booleans())
def test_grid_distances_of_a_wiggly_line_of_short_segments_match_geos(steps, cell, spread, top, smallest,
                                                                      flip_x, flip_y):
    # a random walk of segments about a cell long or shorter, as the border is against cells of 2 km:
    # the tiles keep few candidates (most of them vertices), and every cell is GEOS's distance
    vertices = 20_000 + np.cumsum(np.vstack([[0.0, 0.0], steps]), axis=0) * cell * spread
    seg = np.hstack([vertices[:-1], vertices[1:]])
    xc = (np.arange(37) + 0.5) * cell
    yc = 40_000 - (np.arange(23) + 0.5) * cell
    xc, yc = (xc[::-1] if flip_x else xc), (yc[::-1] if flip_y else yc)
    got = nearest.grid_distances(nearest.Segments(seg), xc, yc, top=top, smallest=min(smallest, top))
    xx, yy = np.meshgrid(xc, yc)
    np.testing.assert_allclose(got, geos_distance(seg, xx, yy), rtol=1e-6, atol=0.1)
