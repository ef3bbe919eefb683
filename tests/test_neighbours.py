import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import KM, X0, Y0, square
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import JoinError, SchemaError
from borderland.layers import prepare_regions, shared_edges
from borderland.neighbours import (
    adjacent_pairs,
    local_deviation,
    neighbour_graph,
    pair_gaps,
    pair_table,
    published_pair_figures,
    relative_gap,
    segment_summary,
)

# the strip world's index (exact binary fractions so that every gap below is exact)
INDEX = pd.Series({"A0": 0.0, "A1": 0.25, "A2": 0.5, "B3": 1.0, "B4": 0.75, "B5": np.nan}, name="index")


def layer(codes, countries, geometries):
    frame = gpd.GeoDataFrame({"region_id": codes, "name": [f"Region {c}" for c in codes], "country": countries},
                             geometry=geometries, crs=3035)
    return prepare_regions(frame)


@pytest.fixture
def pairs(regions):
    return adjacent_pairs(regions, neighbour_graph(regions), focus_country="BB")


def test_pairs_are_unique_unordered_and_oriented_to_focus(pairs):
    keys = {frozenset(p) for p in zip(pairs.region_a, pairs.region_b, strict=True)}
    assert len(keys) == len(pairs) == 5
    cross = pairs[pairs.cross_border]
    # the focus country's region comes first in a cross-border pair
    assert cross[["region_a", "region_b", "segment"]].values.tolist() == [["B3", "A2", "BB-AA"]]
    assert pairs.cross_border.tolist() == [True, False, False, False, False]
    np.testing.assert_allclose(pairs.shared_border_km, 1.0)


def test_gap_sign_says_which_side_leads(pairs):
    index = pd.Series({"A0": 0.0, "A1": 0.2, "A2": 0.4, "B3": 0.8, "B4": 1.0, "B5": np.nan}, name="index")
    gaps = pair_gaps(pairs, index)
    cross = gaps[pairs.cross_border].iloc[0]
    assert cross.index_a == 0.8 and cross.index_b == 0.4
    assert cross.gap == pytest.approx(0.4) and cross.abs_gap == pytest.approx(0.4)
    assert cross.leader == "B3"
    missing = gaps[(pairs.region_a == "B4") & (pairs.region_b == "B5")].iloc[0]
    assert np.isnan(missing.gap) and missing.leader == ""


def test_without_focus_pairs_are_alphabetical(regions):
    pairs = adjacent_pairs(regions, neighbour_graph(regions))
    assert pairs[pairs.cross_border][["region_a", "region_b", "segment"]].values.tolist() == [["A2", "B3", "AA-BB"]]


# --- the neighbour graph ---------------------------------------------------------------------


@pytest.fixture
def corner_world():
    # P and Q share a 1 km side; R touches Q only at Q's top-right corner (x = 2 km, y = 1 km)
    return layer(["P", "Q", "R"], ["AA", "AA", "BB"], [square(0), square(1), square(2, 1)])


def test_rook_reports_the_corner_region_as_an_island(corner_world):
    graph = neighbour_graph(corner_world)
    assert graph.edges[["region_a", "region_b", "link"]].values.tolist() == [["P", "Q", "rook"]]
    assert graph.islands == ("R",) and graph.unlinked == ("R",)
    assert list(graph.ids) == ["P", "Q", "R"]  # islands stay in the graph
    assert "islands: R" in graph.summary() and "snap tolerance 0 m" in graph.summary()


def test_queen_keeps_the_corner_contact_with_no_length(corner_world):
    graph = neighbour_graph(corner_world, contiguity="queen")
    rows = graph.edges[["region_a", "region_b", "shared_border_km", "link"]].values.tolist()
    assert rows == [["P", "Q", 1.0, "rook"], ["Q", "R", 0.0, "queen"]]
    assert graph.edges.geometry.iloc[1].is_empty
    assert graph.islands == ()
    assert graph.neighbours_of("Q") == ("P", "R")


def test_a_corner_within_the_tolerance_is_a_point_contact_not_an_edge():
    # R moved 10 m right of Q's corner: with 50 m tolerance the contact is two stubs < 2 x 50 m
    r = shapely.box(X0 + 2 * KM + 10, Y0 + KM, X0 + 3 * KM + 10, Y0 + 2 * KM)
    regions = layer(["P", "Q", "R"], ["AA", "AA", "BB"], [square(0), square(1), r])
    assert neighbour_graph(regions, tolerance_m=50).islands == ("R",)
    queen = neighbour_graph(regions, tolerance_m=50, contiguity="queen")
    assert queen.edges["link"].tolist() == ["rook", "queen"]
    assert "snap tolerance 50 m" in queen.summary()


def test_extra_links_join_an_island_and_are_flagged(regions):
    ferry = pd.DataFrame({"region_a": ["B5", "A2"], "region_b": ["A0", "B3"], "kind": ["ferry", "bridge"]})
    graph = neighbour_graph(regions, extra_links=ferry)
    extra = graph.edges[graph.edges.extra_link]
    # B5-A0 stored in region order (A0 first); A2-B3 already share a border, so not added twice
    assert extra[["region_a", "region_b", "link", "shared_border_km"]].values.tolist() == [["A0", "B5", "ferry", 0.0]]
    assert graph.notes == ("extra link A2-B3 (bridge) not added: the regions already share a border",)
    # drawn between the inside points: square centres 0.5 km and 5.5 km from X0
    assert extra.geometry.iloc[0].length == pytest.approx(5 * KM)
    table = pair_table(regions, graph, INDEX, focus_country="BB")
    ferry_row = table[table.link == "ferry"].iloc[0]
    assert (ferry_row.region_a, ferry_row.region_b, bool(ferry_row.cross_border)) == ("B5", "A0", True)


def test_extra_link_errors_name_the_problem(regions):
    with pytest.raises(JoinError, match=r"not regions of the layer: XX, YY"):
        neighbour_graph(regions, extra_links=pd.DataFrame({"region_a": ["XX", "A0"], "region_b": ["A1", "YY"]}))
    with pytest.raises(SchemaError, match=r"links from a region to itself: A0") as info:
        neighbour_graph(regions, extra_links=pd.DataFrame({"region_a": ["A0"], "region_b": ["A0"], "kind": ["rook"]}))
    assert "reserved for contiguity" in str(info.value)  # both problems reported at once
    with pytest.raises(SchemaError, match=r"column 'region_b' is missing"):
        neighbour_graph(regions, extra_links=pd.DataFrame({"region_a": ["A0"], "to": ["A1"]}))


def test_graph_matches_libpysal_on_the_strip(regions):
    ours = neighbour_graph(regions).to_libpysal()
    from libpysal.graph import Graph

    theirs = Graph.build_contiguity(regions, rook=True)
    assert ours.adjacency.sort_index().equals(theirs.adjacency.sort_index().astype(float))


def test_graph_holds_its_links_as_compressed_rows(regions):
    graph = neighbour_graph(regions)
    # the strip A0-A1-A2 | B3-B4-B5: each pair twice, sorted by focal region, then neighbour
    assert graph.offsets.tolist() == [0, 1, 3, 5, 7, 9, 10]
    assert graph.focal.tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]
    assert graph.neighbour.tolist() == [1, 0, 2, 1, 3, 2, 4, 3, 5, 4]
    assert graph.cross_border.tolist() == [False] * 4 + [True, True] + [False] * 4  # A2-B3 both ways
    adjacency = graph.adjacency()
    assert len(adjacency) == 10 and set(zip(adjacency.focal, adjacency.neighbour, strict=True)) == {
        (b, a) for a, b in zip(adjacency.focal, adjacency.neighbour, strict=True)}


def test_graph_cannot_be_changed(regions):
    from dataclasses import FrozenInstanceError

    graph = neighbour_graph(regions)
    with pytest.raises(FrozenInstanceError):
        graph.contiguity = "queen"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        graph.neighbour[0] = 5


@pytest.mark.parametrize(
    ("scope", "lag", "count"),
    [("all", [0.25, 0.25, 0.625, 0.625, 1.0, 0.75], [1, 2, 2, 2, 1, 1]),
     ("same_country", [0.25, 0.25, 0.25, 0.75, 1.0, 0.75], [1, 2, 1, 1, 1, 1]),
     ("cross_border", [np.nan, np.nan, 1.0, 0.5, np.nan, np.nan], [0, 0, 1, 1, 0, 0])],
    ids=["all", "same_country", "cross_border"],
)
def test_lags_of_the_strip_by_hand(regions, scope, lag, count):
    # INDEX: A0 0, A1 0.25, A2 0.5 | B3 1, B4 0.75, B5 missing. A2's neighbours are A1 (0.25, at home)
    # and B3 (1, across): 0.625, 0.25, 1. B4's neighbour B5 has no value: its lag is B3's alone
    graph = neighbour_graph(regions)
    got = graph.lag(INDEX, scope=scope)
    assert got.name == f"index_lag_{scope}" and got.index.equals(regions.index)
    np.testing.assert_array_equal(got.to_numpy(), lag)
    assert graph.neighbour_count(INDEX, scope=scope).tolist() == count
    assert graph.neighbour_count(scope="all").tolist() == [1, 2, 2, 2, 2, 1]  # with or without a value


def test_weighted_lag_and_the_region_itself(regions):
    graph = neighbour_graph(regions)
    weights = pd.Series({"A0": 1.0, "A1": 1.0, "A2": 1.0, "B3": 3.0, "B4": 1.0, "B5": 1.0})
    # A2's neighbourhood pooled: (0.25 x 1 + 1.0 x 3) / (1 + 3)
    assert graph.lag(INDEX, weights=weights)["A2"] == 0.8125
    assert graph.lag(INDEX, include_self=True)["A2"] == pytest.approx((0.25 + 0.5 + 1.0) / 3)
    # B5 has no value of its own: with itself included, its lag is still B4's value
    assert graph.lag(INDEX, include_self=True)["B5"] == 0.75
    # values for other codes are ignored; codes missing from the values count as missing
    assert graph.lag(pd.Series({"A1": 2.0, "ZZ": 9.0}))[["A0", "A2"]].tolist() == [2.0, 2.0]


def test_lag_errors_name_the_fix(regions):
    graph = neighbour_graph(regions)
    with pytest.raises(SchemaError, match=r"unknown neighbourhood 'foreign'; choose one of \['all', 'same_country'"):
        graph.lag(INDEX, scope="foreign")  # type: ignore[arg-type]
    bare = neighbour_graph(regions.drop(columns="country"))
    assert bare.lag(INDEX)["A2"] == 0.625
    with pytest.raises(SchemaError, match="needs each region's country"):
        bare.lag(INDEX, scope="cross_border")
    with pytest.raises(SchemaError, match="must be a pandas Series"):
        graph.lag([0.0] * 6)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(constant=st.floats(-1e6, 1e6), shift=st.integers(1, 5), missing=st.sets(st.sampled_from(
    ["A0", "A1", "A2", "B3", "B4", "B5"]), max_size=3))
def test_lag_of_a_constant_is_the_constant_whatever_the_row_order(constant, shift, missing):
    from conftest import strip_world

    regions = prepare_regions(strip_world())
    values = pd.Series(constant, index=regions.index).drop(sorted(missing))
    graph = neighbour_graph(regions)
    shuffled = neighbour_graph(regions.iloc[np.roll(np.arange(6), shift)])
    for scope in ("all", "same_country", "cross_border"):
        lag = graph.lag(values, scope=scope)
        assert ((lag == constant) | lag.isna()).all()
        assert lag.notna().equals(graph.neighbour_count(values, scope=scope) > 0)
        pd.testing.assert_series_equal(shuffled.lag(values, scope=scope).reindex(regions.index), lag)


def test_subgraph_keeps_the_links_between_the_regions_kept(regions):
    sub = neighbour_graph(regions).subgraph(["B3", "A1", "A2"])
    assert list(sub.ids) == ["B3", "A1", "A2"]
    assert sub.edges[["region_a", "region_b"]].values.tolist() == [["A1", "A2"], ["A2", "B3"]]
    assert sub.neighbours_of("A2") == ("A1", "B3") and sub.islands == ()
    assert sub.cross_border.sum() == 2
    with pytest.raises(JoinError, match="not in the graph: ZZ"):
        neighbour_graph(regions).subgraph(["A1", "ZZ"])


def test_graph_checks_its_edges(regions):
    graph = neighbour_graph(regions)
    from borderland.neighbours import NeighbourGraph

    with pytest.raises(JoinError, match="not among its ids: ZZ"):
        NeighbourGraph(graph.edges.assign(region_b=["A1", "A2", "B3", "B4", "ZZ"]), graph.ids, "rook", 0.0)
    twice = pd.concat([graph.edges, graph.edges.iloc[[0]]], ignore_index=True)
    with pytest.raises(SchemaError, match="linked more than once"):
        NeighbourGraph(twice, graph.ids, "rook", 0.0)
    with pytest.raises(SchemaError, match="expected a NeighbourGraph, got GeoDataFrame"):
        pair_table(regions, shared_edges(regions), INDEX)


def test_sparse_weights_match_libpysal(regions):
    from libpysal.graph import Graph

    graph = neighbour_graph(regions)
    theirs = Graph.build_contiguity(regions, rook=True)
    for transform in ("b", "r"):
        np.testing.assert_allclose(graph.to_sparse(transform=transform).toarray(),
                                   theirs.transform(transform).sparse.toarray(), rtol=0, atol=1e-15)
    with pytest.raises(SchemaError, match="unknown transform 'x'"):
        graph.to_sparse(transform="x")  # type: ignore[arg-type]


# --- border rings: steps inland on the graph -------------------------------------------------


def touching_strip():
    return pd.Series({"A2": True, "B3": True})


def test_border_order_counts_rings_inland(regions):
    order = neighbour_graph(regions).border_order(touching_strip())
    assert order.name == "border_order" and str(order.dtype) == "Int64"
    assert order.to_dict() == {"A0": 3, "A1": 2, "A2": 1, "B3": 1, "B4": 2, "B5": 3}


def test_rings_never_cross_the_border(regions):
    # only B3 touches: AA's regions are not reached through BB, whatever the steps
    order = neighbour_graph(regions).border_order(pd.Series({"B3": True, "A2": False}))
    assert order.isna().tolist() == [True, True, True, False, False, False]
    assert order.dropna().tolist() == [1, 2, 3]


def test_border_order_leaves_unconnected_regions_without_a_ring(regions):
    island = layer(["I"], ["AA"], [square(0, 5)])
    with_island = gpd.GeoDataFrame(pd.concat([regions, island]), crs=3035)
    order = neighbour_graph(with_island).border_order(touching_strip())
    assert pd.isna(order["I"]) and order["A0"] == 3
    # a ferry from A0 makes the island one step further inland than A0
    ferry = pd.DataFrame({"region_a": ["A0"], "region_b": ["I"], "kind": ["ferry"]})
    assert neighbour_graph(with_island, extra_links=ferry).border_order(touching_strip())["I"] == 4


def test_two_country_rings():
    from test_border import two_countries

    big = two_countries()
    touching = pd.Series({"A3": True, "B4": True})
    assert neighbour_graph(big).border_order(touching).tolist() == [4, 3, 2, 1, 1, 2, 3, 4]


def _rings_by_breadth_first_search(codes, same_country_pairs, touching):
    """The rings as a plain queue search would count them: an oracle independent of the graph's arrays."""
    from collections import deque

    around = {code: [] for code in codes}
    for a, b in same_country_pairs:
        around[a].append(b)
        around[b].append(a)
    order = {code: 1 for code in codes if touching.get(code, False)}
    queue = deque(order)
    while queue:
        code = queue.popleft()
        for other in around[code]:
            if other not in order:
                order[other] = order[code] + 1
                queue.append(other)
    return pd.Series(order, dtype="Int64").reindex(codes)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 4), columns=st.integers(2, 5), data=st.data())
def test_border_order_equals_a_breadth_first_search(rows, columns, data):
    # a grid of squares with countries drawn at random; neighbours share a side (computed by hand)
    cells = [(r, c) for r in range(rows) for c in range(columns)]
    countries = data.draw(st.lists(st.sampled_from(["AA", "BB", "CC"]), min_size=len(cells), max_size=len(cells)))
    touching = data.draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    codes = [f"R{r}{c}" for r, c in cells]
    grid = layer(codes, countries, [square(c, r) for r, c in cells])
    same = [(codes[i], codes[j]) for i, (r, c) in enumerate(cells) for j, (r2, c2) in enumerate(cells)
            if i < j and abs(r - r2) + abs(c - c2) == 1 and countries[i] == countries[j]]
    flags = pd.Series(touching, index=codes)
    expected = _rings_by_breadth_first_search(codes, same, flags.to_dict())
    got = neighbour_graph(grid).border_order(flags)
    pd.testing.assert_series_equal(got, expected.rename("border_order"), check_index_type=False,
                                   check_names=False)


# --- the pair table --------------------------------------------------------------------------


def test_pair_table_for_the_strip(regions):
    table = pair_table(regions, neighbour_graph(regions), INDEX, focus_country="BB").set_index(["region_a", "region_b"])
    # A0-A1: 0 - 0.25; A1-A2: 0.25 - 0.5; B3-A2: 1 - 0.5; B3-B4: 1 - 0.75; B4-B5: B5 has no value
    assert table["gap"].to_dict() == pytest.approx(
        {("B3", "A2"): 0.5, ("A0", "A1"): -0.25, ("A1", "A2"): -0.25, ("B3", "B4"): 0.25, ("B4", "B5"): np.nan},
        nan_ok=True)
    cross = table.loc[("B3", "A2")]
    assert (cross.index_a, cross.index_b, cross.abs_gap) == (1.0, 0.5, 0.5)
    assert cross.relative_gap == pytest.approx(0.5 / 0.75)  # gap over the pair's mean, (1 + 0.5) / 2
    assert (cross.leader, cross.leader_country, cross.name_b, cross.segment) == ("B3", "BB", "Region A2", "BB-AA")
    assert table.loc[("A0", "A1"), "leader"] == "A1"
    # abs gaps 0.25, 0.25, 0.5, 0.25 (one missing): three pairs at or below 0.25 of four -> 75 %
    assert table["gap_percentile"].to_dict() == pytest.approx(
        {("B3", "A2"): 100.0, ("A0", "A1"): 75.0, ("A1", "A2"): 75.0, ("B3", "B4"): 75.0, ("B4", "B5"): np.nan},
        nan_ok=True)
    assert table.geometry.length.tolist() == pytest.approx([KM] * 5)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(0, 1, allow_nan=False), min_size=6, max_size=6), shift=st.integers(1, 5))
def test_pair_table_does_not_depend_on_row_order(values, shift):
    from conftest import strip_world

    regions = prepare_regions(strip_world())
    index = pd.Series(values, index=regions.index, name="index")
    shuffled = regions.iloc[np.roll(np.arange(6), shift)]

    def table(layer_):
        t = pair_table(layer_, neighbour_graph(layer_), index, focus_country="AA")
        return t.drop(columns="geometry").set_index(["region_a", "region_b"]).sort_index()

    first, second = table(regions), table(shuffled)
    pd.testing.assert_frame_equal(first, second)
    # no pair appears in both orientations
    assert not set(first.index) & {(b, a) for a, b in first.index}


@given(a=st.floats(0, 1e6), b=st.floats(0, 1e6))
def test_relative_gap_is_antisymmetric_and_bounded(a, b):
    forward, backward = relative_gap(np.array([a]), np.array([b]))[0], relative_gap(np.array([b]), np.array([a]))[0]
    if a == b == 0:
        assert np.isnan(forward) and np.isnan(backward)
    else:
        assert forward == -backward and -2 <= forward <= 2


# --- local deviation -------------------------------------------------------------------------


def test_local_deviation_of_the_strip(regions):
    dev = local_deviation(regions, neighbour_graph(regions), INDEX)
    a2, b3 = dev.loc["A2"], dev.loc["B3"]
    # A2 = 0.5; neighbours A1 = 0.25 (same country) and B3 = 1 (across): all 0.625, same 0.25, cross 1
    assert (a2.neighbours_all, a2.neighbours_same_country, a2.neighbours_cross_border) == (2, 1, 1)
    assert (a2.index_context_all, a2.index_deviation_all, a2.index_deviation_all_pct) == (0.625, -0.125, 80.0)
    assert (a2.index_deviation_same_country, a2.index_deviation_same_country_pct) == (0.25, 200.0)
    assert (a2.index_deviation_cross_border, a2.index_deviation_cross_border_pct) == (-0.5, 50.0)
    assert a2.index_border_effect == -0.75  # -0.5 - 0.25: B3 across the border leads A2's compatriot A1
    # B3 = 1; A2 = 0.5 across, B4 = 0.75 at home: deviations 0.5 and 0.25, border effect +0.25
    assert (b3.index_deviation_cross_border, b3.index_deviation_same_country, b3.index_border_effect) == (
        0.5, 0.25, 0.25)
    # A0 has no neighbour across the border; B4's neighbour B5 has no value; B5 has no value itself
    assert np.isnan(dev.loc["A0", "index_context_cross_border"]) and np.isnan(dev.loc["A0", "index_border_effect"])
    assert dev.loc["B4", "neighbours_same_country"] == 1 and dev.loc["B4", "index_deviation_all"] == -0.25
    assert dev.loc["B5", "index_context_all"] == 0.75 and np.isnan(dev.loc["B5", "index_deviation_all"])


def test_ratio_of_sums_weights_the_neighbours(regions):
    weights = pd.Series({"A0": 1.0, "A1": 1.0, "A2": 1.0, "B3": 3.0, "B4": 1.0, "B5": 1.0})
    dev = local_deviation(regions, neighbour_graph(regions), INDEX, aggregation="ratio_of_sums", weights=weights)
    # A2's neighbourhood pooled: (0.25 * 1 + 1.0 * 3) / (1 + 3) = 0.8125
    assert dev.loc["A2", "index_context_all"] == 0.8125
    with_self = local_deviation(regions, neighbour_graph(regions), INDEX, include_self=True)
    # A2 with itself: (0.25 + 0.5 + 1.0) / 3; the neighbour count stays 2
    assert with_self.loc["A2", "index_context_all"] == pytest.approx(1.75 / 3)
    assert with_self.loc["A2", "neighbours_all"] == 2


def test_local_deviation_errors(regions):
    graph = neighbour_graph(regions)
    with pytest.raises(SchemaError, match="'ratio_of_sums' needs weights"):
        local_deviation(regions, graph, INDEX, aggregation="ratio_of_sums")
    with pytest.raises(ValueError, match=r"choose one of \['mean_of_ratios', 'ratio_of_sums'\]"):
        local_deviation(regions, graph, INDEX, aggregation="median")


# --- border segments -------------------------------------------------------------------------


@pytest.fixture
def segment_world():
    """Three countries side by side, the middle one split in two.

    x (km):   0    1    2    3
              | P  | R  | S  |   y 1..3: R is 2 km tall
              |    |----|    |
              |    | Q  |    |   y 0..1
    P (AA) = 0.5, Q (BB) = 0.25, R (BB) = 1, S (CC) = 0.75.
    Borders: P-Q 1 km and P-R 2 km (AA-BB); Q-S 1 km and R-S 2 km (BB-CC); Q-R 1 km inside BB.
    """
    def box(x0, y0, x1, y1):
        return shapely.box(X0 + x0 * KM, Y0 + y0 * KM, X0 + x1 * KM, Y0 + y1 * KM)

    # a clean coverage: P and S have a vertex where Q and R meet on their side (coverages share vertices)
    geoms = list(shapely.segmentize([box(0, 0, 1, 3), box(1, 0, 2, 1), box(1, 1, 2, 3), box(2, 0, 3, 3)], KM))
    regions = layer(["P", "Q", "R", "S"], ["AA", "BB", "BB", "CC"], geoms)
    values = pd.Series({"P": 0.5, "Q": 0.25, "R": 1.0, "S": 0.75}, name="index")
    return pair_table(regions, neighbour_graph(regions), values, focus_country="AA")


PUBLISHED = pd.DataFrame({
    "subject": ["BB", "BB-1", "AA"], "partner": ["AA", "CC", "ZZ"],
    "indicator": ["expert_rating_of_crossborder_interaction"] * 3, "year": [2019, 2019, 2019], "value": [8.5, 1.0, 3.0],
})


def test_segment_summary_weights_gaps_by_border_length(segment_world):
    summary = segment_summary(segment_world, published=PUBLISHED, top=1).set_index("segment")
    assert list(summary.index) == ["AA-BB", "BB-CC"]
    ab, bc = summary.loc["AA-BB"], summary.loc["BB-CC"]
    assert (ab.pairs, ab.pairs_with_gap, ab.shared_border_km, ab.gap_km) == (2, 2, 3.0, 3.0)
    # AA-BB: P-Q +0.25 over 1 km, P-R -0.5 over 2 km -> (0.25 - 1.0) / 3 = -0.25; |gap|: 1.25 / 3
    assert ab.mean_gap_length_weighted == pytest.approx(-0.25)
    assert ab.mean_abs_gap_length_weighted == pytest.approx(1.25 / 3)
    assert ab.max_abs_gap == 0.5
    assert ab.largest_gaps == "Region P (P) – Region R (R) -0.50"
    # BB-CC: Q-S -0.5 over 1 km, R-S +0.25 over 2 km -> 0 signed, 1.0 / 3 absolute
    assert bc.mean_gap_length_weighted == pytest.approx(0.0) and bc.mean_abs_gap_length_weighted == pytest.approx(1 / 3)
    # shares of sum(|gap| x km) = 1.25 + 1.0
    assert ab.gap_share_pct == pytest.approx(100 * 1.25 / 2.25) and bc.gap_share_pct == pytest.approx(100 / 2.25)
    # the published BB-AA figure joins AA-BB (either order); no country-pair figure for BB-CC: NaN, not filled
    assert ab.expert_rating_of_crossborder_interaction == 8.5
    assert np.isnan(bc.expert_rating_of_crossborder_interaction)
    assert summary.geometry.length.tolist() == pytest.approx([3 * KM, 3 * KM])


def test_segment_without_values_has_no_mean(segment_world):
    table = segment_world.copy()
    table.loc[table.segment == "BB-CC", ["gap", "abs_gap"]] = np.nan
    summary = segment_summary(table).set_index("segment")
    assert summary.loc["BB-CC", "pairs_with_gap"] == 0 and summary.loc["BB-CC", "gap_km"] == 0
    assert np.isnan(summary.loc["BB-CC", "mean_gap_length_weighted"])
    assert np.isnan(summary.loc["BB-CC", "gap_share_pct"])
    assert summary.loc["AA-BB", "gap_share_pct"] == pytest.approx(100.0)
    assert "expert_rating_of_crossborder_interaction" not in summary.columns
    assert summary.loc["BB-CC", "largest_gaps"] == ""  # no gap to list


def test_largest_gaps_keep_ties_in_the_pairs_order(segment_world):
    # equal gaps: listed in the pairs' order, as DataFrame.nlargest keeps them; missing gaps never listed
    table = segment_world.copy()
    table["gap"], table["abs_gap"] = -0.5, 0.5
    table.loc[table.index[0], ["gap", "abs_gap"]] = np.nan
    summary = segment_summary(table, top=1).set_index("segment")
    assert list(summary.index) == ["AA-BB", "BB-CC"]
    for segment, rows in table[table["cross_border"]].groupby("segment"):
        first = rows.dropna(subset=["gap"]).nlargest(1, "abs_gap").iloc[0]
        assert summary.loc[segment, "largest_gaps"] == (f"{first.name_a} ({first.region_a}) – {first.name_b} "
                                                        f"({first.region_b}) -0.50")


def test_published_figures_must_be_unambiguous():
    twice = pd.concat([PUBLISHED, PUBLISHED.iloc[[0]].assign(subject="AA", partner="BB", year=2020)])
    with pytest.raises(SchemaError, match=r"more than one row for AA-BB \(years 2019, 2020\); choose one with year="):
        published_pair_figures(twice)
    chosen = published_pair_figures(twice, year=2020)
    assert chosen[["country_1", "country_2", "value"]].values.tolist() == [["AA", "BB", 8.5]]  # 2020 only
    with pytest.raises(SchemaError, match=r"column\(s\) value missing"):
        published_pair_figures(PUBLISHED.drop(columns="value"))


def test_bundled_published_rating_joins_russia_belarus():
    from borderland import io

    figures = published_pair_figures(pd.read_csv(io.bundled("published_figures.csv")))
    by_pair = {(a, b): v for a, b, v in figures[["country_1", "country_2", "value"]].values}
    # "RU,BY,expert_rating_of_crossborder_interaction,2019,8.5" in geodata/published_figures.csv
    assert by_pair[("BY", "RU")] == 8.5
    assert ("FI", "RU") not in by_pair


# --- the bundled study: one graph for rings, pairs and deviations -----------------------------


@pytest.fixture(scope="module")
def study(bundled_result):
    return bundled_result


def _deviation_by_groupby(regions, graph, values):
    """Local deviations as the pandas group-by of every directed link computed them (before the graph lag)."""
    adj = graph.adjacency()
    adj["value"] = values.reindex(adj["neighbour"]).to_numpy()
    adj = adj.dropna(subset=["value"])
    scopes = {"all": adj, "same_country": adj[~adj["cross_border"]], "cross_border": adj[adj["cross_border"]]}
    return {scope: members.groupby("focal")["value"].mean().reindex(regions.index) for scope, members in scopes.items()}


@pytest.mark.slow
def test_bundled_rings_pairs_and_deviations_come_from_one_graph(study):
    from borderland.border import touches_border

    regions, graph = study.regions, study.graph
    assert list(graph.ids) == list(regions.index) and graph.contiguity == "rook"
    # rings: the graph's frontier equals a queue search over the same-country shared edges
    edges = graph.edges
    country = regions["country"]
    same = edges[country.reindex(edges["region_a"]).to_numpy() == country.reindex(edges["region_b"]).to_numpy()]
    touching = touches_border(regions, study.border_lines)
    expected = _rings_by_breadth_first_search(list(regions.index), same[["region_a", "region_b"]].values.tolist(),
                                              touching.to_dict())
    pd.testing.assert_series_equal(regions["border_order"], expected, check_names=False)
    assert regions["border_order"].value_counts().sort_index().to_dict() == {1: 39, 2: 34, 3: 14, 4: 3, 5: 1}
    # pairs: one per graph edge, with its length
    pairs = {frozenset(p): km for *p, km in study.pairs[["region_a", "region_b", "shared_border_km"]].values}
    graph_pairs = {frozenset(p): km for *p, km in edges[["region_a", "region_b", "shared_border_km"]].values}
    assert pairs == graph_pairs
    # deviations: the graph lag gives the group-by means
    index = regions["index"]
    for scope, context in _deviation_by_groupby(regions, graph, index).items():
        np.testing.assert_allclose(regions[f"index_context_{scope}"], context, rtol=1e-14, atol=0)
        assert regions[f"neighbours_{scope}"].tolist() == graph.neighbour_count(index, scope=scope).tolist()
    effect = regions["index_deviation_cross_border"] - regions["index_deviation_same_country"]
    np.testing.assert_allclose(regions["index_border_effect"], effect)
    # README: the largest negative border effects are Murmansk, Pskov, Karelia and Leningrad
    assert regions["index_border_effect"].nsmallest(4).round(2).to_dict() == {
        "RU-MUR": -0.55, "RU-PSK": -0.45, "RU-KR": -0.41, "RU-LEN": -0.41}
