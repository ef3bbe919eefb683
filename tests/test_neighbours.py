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
    return adjacent_pairs(regions, shared_edges(regions), focus_country="BB")


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
    pairs = adjacent_pairs(regions, shared_edges(regions))
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
