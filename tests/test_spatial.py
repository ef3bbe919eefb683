import math
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.index import IndexSpec, IndicatorSpec, build_index
from borderland.neighbours import NeighbourGraph, neighbour_graph
from borderland.spatial import (
    LISA_CORRECTIONS,
    benjamini_hochberg,
    index_theil_table,
    local_moran,
    morans_i,
    ratio_scale_problem,
    theil_decomposition,
    theil_groups,
    theil_table,
)

# the strip world A0..B5 with values 1..6: a perfect gradient along a line
GRADIENT = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=["A0", "A1", "A2", "B3", "B4", "B5"], name="index")


@pytest.fixture
def graph(regions):
    return neighbour_graph(regions)


def test_morans_i_of_a_gradient(regions, graph):
    result = morans_i(regions, graph, GRADIENT, permutations=99, rng=0)
    # z = -2.5 .. 2.5, sum z² = 17.5; row-standardised line: ends weigh their one neighbour 1, the
    # others each of two 0.5; sum z_i * lag_i = 3.75 + 2.25 + 0.25 + 0.25 + 2.25 + 3.75 = 12.5;
    # I = (n / S0) * 12.5 / 17.5 with S0 = n -> 5 / 7
    assert result.i == pytest.approx(5 / 7)
    assert result.expected_i == pytest.approx(-1 / 5)
    assert result.n == 6 and result.left_out == ()
    assert result.permutations == 99 and 1 / 100 <= result.p_sim <= 0.05
    assert "Moran's I = 0.714" in result.summary()


def test_moments_of_a_gradient_by_hand(regions, graph):
    result = morans_i(regions, graph, GRADIENT, permutations=9, rng=0)
    # row-standardised line of six: S0 = 6; S1 = sum over pairs of (w_ij + w_ji)^2 = 2 x 1.5^2 (the end
    # pairs) + 3 x 1^2 = 7.5; S2 = sum of (1 + column sum)^2 = 1.5^2 + 2.5^2 + 2^2 + 2^2 + 2.5^2 + 1.5^2 = 25
    # VI_norm = (n^2 S1 - n S2 + 3 S0^2) / ((n^2 - 1) S0^2) - E[I]^2 = 228 / 1260 - 1 / 25 = 74 / 525
    assert result.variance_norm == pytest.approx(74 / 525, rel=1e-12)
    assert result.z_norm == pytest.approx((5 / 7 + 1 / 5) / math.sqrt(74 / 525), rel=1e-12)
    assert result.p_norm == pytest.approx(math.erfc(result.z_norm / math.sqrt(2)), rel=1e-12)
    # randomisation: kurtosis b2 = n sum z^4 / (sum z^2)^2 = 6 x 88.375 / 17.5^2 = 2121 / 1225;
    # A = n ((n^2 - 3n + 3) S1 - n S2 + 3 S0^2) = 693; B = b2 ((n^2 - n) S1 - 2n S2 + 6 S0^2) = 141 b2
    variance_rand = (693 - 141 * 2121 / 1225) / (5 * 4 * 3 * 36) - 1 / 25
    assert result.variance_rand == pytest.approx(variance_rand, rel=1e-12)
    assert result.z_rand == pytest.approx((5 / 7 + 1 / 5) / math.sqrt(variance_rand), rel=1e-12)


def grid_world():
    """Three rows of four 1 km squares: AA in columns 0-1, BB in 2-3; values rise to the north-east."""
    from conftest import square

    from borderland.layers import prepare_regions

    cells = [(r, c) for r in range(3) for c in range(4)]
    frame = gpd.GeoDataFrame({"region_id": [f"G{r}{c}" for r, c in cells], "name": [f"G{r}{c}" for r, c in cells],
                              "country": ["AA" if c < 2 else "BB" for _, c in cells]},
                             geometry=[square(c, r) for r, c in cells], crs=3035)
    return prepare_regions(frame)


GRID_VALUES = pd.Series([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0, np.nan],
                        index=[f"G{r}{c}" for r in range(3) for c in range(4)], name="index")


def _esda_global(graph: NeighbourGraph, y: pd.Series):
    from esda.moran import Moran

    return Moran(y.to_numpy(), graph.to_libpysal(y.index).transform("r"), permutations=0)


def _assert_equal_to_esda(regions, graph, values):
    from esda.moran import Moran_Local

    ours = morans_i(regions, graph, values, permutations=9, rng=0)
    y = values.reindex(regions.index).dropna().drop(list(ours.left_out), errors="ignore")
    theirs = _esda_global(graph, y)
    assert ours.n == theirs.n == len(y)
    for mine, esda_name in [("i", "I"), ("expected_i", "EI"), ("variance_norm", "VI_norm"), ("z_norm", "z_norm"),
                            ("p_norm", "p_norm"), ("variance_rand", "VI_rand"), ("z_rand", "z_rand"),
                            ("p_rand", "p_rand")]:
        assert getattr(ours, mine) == pytest.approx(float(getattr(theirs, esda_name)), rel=1e-12, abs=1e-12), mine
    lisa = local_moran(regions, graph, values, permutations=9, rng=0)
    local = Moran_Local(y.to_numpy(), graph.to_libpysal(y.index).transform("r"), permutations=0)
    stem = values.name
    np.testing.assert_allclose(lisa.loc[y.index, f"{stem}_lisa_i"], local.Is, rtol=1e-12, atol=1e-12)
    quadrants = [{1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}[int(q)] for q in local.q]
    assert lisa.loc[y.index, f"{stem}_lisa_quadrant"].tolist() == quadrants


@pytest.mark.parametrize("contiguity", ["rook", "queen"])
def test_statistics_equal_esda_on_hand_worlds(regions, graph, contiguity):
    _assert_equal_to_esda(regions, graph, GRADIENT)
    grid = grid_world()
    _assert_equal_to_esda(grid, neighbour_graph(grid, contiguity=contiguity), GRID_VALUES)


@pytest.mark.slow
def test_statistics_equal_esda_on_the_bundled_study(bundled_result):
    r = bundled_result
    _assert_equal_to_esda(r.regions, r.graph, r.regions["index"])
    # README: Moran's I of the index 0.437, pseudo p = 0.002 with 999 permutations
    assert round(r.moran.i, 3) == 0.437 and r.moran.p_sim == 0.002 and r.moran.n == 35


def _consistent(ours: np.ndarray, theirs: np.ndarray, permutations: int) -> np.ndarray:
    """Two independent pseudo p-values of one test agree within five standard errors of their difference."""
    p = (ours + theirs) / 2
    return np.abs(ours - theirs) <= 5 * np.sqrt(2 * p * (1 - p) / permutations) + 2 / permutations


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The alternative hypothesis for conditional randomization:DeprecationWarning")
def test_pseudo_p_values_agree_with_esda_statistically(bundled_result):
    from esda.moran import Moran, Moran_Local

    r = bundled_result
    values = r.regions["index"]
    permutations = 9999
    lisa = local_moran(r.regions, r.graph, values, permutations=permutations, rng=11)
    y = values.dropna().drop(list(r.moran.left_out), errors="ignore")
    w = r.graph.to_libpysal(y.index).transform("r")
    state = np.random.get_state()  # noqa: NPY002 - esda seeds and draws from the global generator
    try:
        theirs = Moran_Local(y.to_numpy(), w, permutations=permutations, seed=12, keep_simulations=False)
        # a shuffled index has no spatial pattern: a global p-value in the middle, where streams differ most
        shuffled = pd.Series(np.random.default_rng(5).permutation(y.to_numpy()), index=y.index, name="index")
        np.random.seed(13)  # noqa: NPY002
        global_theirs = Moran(shuffled.to_numpy(), w, permutations=permutations)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    ours_p = lisa.loc[y.index, "index_lisa_p"].to_numpy()
    assert _consistent(ours_p, np.asarray(theirs.p_sim, dtype=float), permutations).all()
    global_ours = morans_i(r.regions.loc[y.index], r.graph, shuffled, permutations=permutations, rng=14)
    assert 0.05 < global_ours.p_sim < 1
    assert _consistent(np.array([global_ours.p_sim]), np.array([global_theirs.p_sim]), permutations).all()
    assert global_ours.z_sim == pytest.approx(global_theirs.z_sim, abs=0.1)


def test_permutations_follow_the_seed(regions, graph):
    values = pd.Series([3.0, 1.0, 4.0, 1.0, 5.0, 9.0], index=GRADIENT.index, name="index")
    global_state = np.random.get_state()  # noqa: NPY002 - checking that it is never used
    first = morans_i(regions, graph, values, permutations=199, rng=7)
    again = morans_i(regions, graph, values, permutations=199, rng=np.random.default_rng(7))
    assert first == again
    lisa = local_moran(regions, graph, values, permutations=199, rng=7)
    pd.testing.assert_frame_equal(lisa, local_moran(regions, graph, values, permutations=199,
                                                    rng=np.random.default_rng(7)))
    other = local_moran(regions, graph, values, permutations=199, rng=8)
    assert not other["index_lisa_p"].equals(lisa["index_lisa_p"])  # another seed, other draws
    assert np.array_equal(np.random.get_state()[1], global_state[1])  # noqa: NPY002


def test_regions_without_a_value_or_a_valued_neighbour_are_left_out(regions, graph):
    values = GRADIENT.copy()
    values["B4"] = np.nan  # B5's only neighbour is B4: without B4's value, B5 has no lag
    result = morans_i(regions, graph, values, permutations=9, rng=0)
    assert result.left_out == ("B4", "B5") and result.n == 4
    with pytest.raises(SchemaError, match="at least 3 regions with a value and a neighbour with one; found 2 of 6"):
        morans_i(regions, graph, GRADIENT.where(GRADIENT < 3), rng=0)


def test_lisa_quadrants_of_a_gradient(regions, graph):
    lisa = local_moran(regions, graph, GRADIENT.where(GRADIENT != 6), permutations=99, rng=3)
    # low values next to low neighbours at the A end, high at the B end; B5 has no value
    assert lisa["index_lisa_quadrant"].tolist()[:5] == ["low-low", "low-low", "low-low", "high-high", "high-high"]
    assert lisa.loc["B5"].isna().all()
    assert set(lisa["index_lisa_cluster"].dropna()) <= {"low-low", "high-high", "not significant"}
    again = local_moran(regions, graph, GRADIENT.where(GRADIENT != 6), permutations=99, rng=3)
    pd.testing.assert_frame_equal(lisa, again)
    # A0: z = 1 - 3 = -2 with mean 3 of 1..5; its lag is A1's z = -1; esda's local I = (n - 1) z lag / sum z²
    assert lisa.loc["A0", "index_lisa_i"] == pytest.approx(4 * (-2) * (-1) / 10)


def test_lisa_by_hand(regions, graph):
    lisa = local_moran(regions, graph, GRADIENT, permutations=99, rng=0)
    # z = (1..6 - 3.5) / sd, sum z^2 = n = 6; B3 (z = 0.5 / sd) has neighbours A2 and B4: lag = 0.5 / sd,
    # so I = (n - 1) z lag / n = 5 x 0.25 / sd^2 / 6 with sd^2 = 17.5 / 6
    assert lisa.loc["B3", "index_lisa_i"] == pytest.approx(5 * 0.25 / (17.5 / 6) / 6, rel=1e-12)
    # the ends: A0's only neighbour is A1 (z -2.5 and -1.5): the strongest low-low pair
    assert lisa["index_lisa_i"].idxmax() in {"A0", "B5"}
    p = lisa["index_lisa_p"]
    assert ((p >= 1 / 100) & (p <= 1)).all()
    assert (p * 100).round(9).eq((p * 100).round()).all()  # (k + 1) / (permutations + 1)


def test_a_variable_that_does_not_vary_is_refused(regions, graph):
    flat = pd.Series(2.0, index=GRADIENT.index, name="index")
    with pytest.raises(SchemaError, match=r"all 6 regions in the Moran test have the same value \(2\)"):
        morans_i(regions, graph, flat)
    with pytest.raises(ValueError, match="permutations is 0; expected at least 1"):
        local_moran(regions, graph, GRADIENT, permutations=0)


def test_the_run_path_imports_neither_esda_nor_libpysal():
    # esda, libpysal and scipy.stats cost about 1.5 s each to import: the statistics are ours
    code = """
import sys
import geopandas as gpd, pandas as pd, shapely
from borderland import border, exposure, neighbours, pipeline, spatial
squares = gpd.GeoDataFrame({"name": list("PQRS"), "country": ["AA", "AA", "BB", "BB"]}, index=list("PQRS"),
    geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(4)], crs=3035)
graph = neighbours.neighbour_graph(squares)
values = pd.Series([1.0, 3.0, 2.0, 5.0], index=squares.index, name="index")
lines = border.border_lines_from_edges(squares, graph.edges)
graph.border_order(border.touches_border(squares, lines))
neighbours.pair_table(squares, graph, values)
neighbours.local_deviation(squares, graph, values)
spatial.morans_i(squares, graph, values, rng=0)
spatial.local_moran(squares, graph, values, rng=0)
heavy = sorted(m for m in ("esda", "libpysal", "scipy.stats", "scipy.sparse", "mapclassify") if m in sys.modules)
print(",".join(heavy))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


# --- Theil -----------------------------------------------------------------------------------


def test_theil_of_one_rich_region_is_all_between_groups():
    values = pd.Series({"a": 1.0, "b": 1.0, "c": 4.0})
    population = pd.Series(1.0, index=values.index)
    table = theil_decomposition(values, population=population, partitions={"side": pd.Series(
        {"a": "X", "b": "X", "c": "Y"})})
    # mean 2; T = (1/3)[0.5 ln 0.5 + 0.5 ln 0.5 + 2 ln 2] = ln 2 / 3; groups X (mean 1) and Y (mean 4)
    # hold 2/6 and 4/6 of the total: between = (1/3) ln(1/2) + (2/3) ln 2 = ln 2 / 3, within = 0
    row = table.loc["side"]
    assert row.theil_total == pytest.approx(math.log(2) / 3)
    assert row.theil_between == pytest.approx(math.log(2) / 3) and row.theil_within == pytest.approx(0.0)
    assert row.between_share_pct == pytest.approx(100.0) and (row.regions, row.groups) == (3, 2)


def test_theil_is_weighted_by_population():
    values = pd.Series({"a": 1.0, "b": 4.0})
    population = pd.Series({"a": 3.0, "b": 1.0})
    table = theil_decomposition(values, population=population, partitions={"all": pd.Series("one", index=values.index)})
    # mean (3 * 1 + 1 * 4) / 4 = 7/4; T = (3/4)(4/7) ln(4/7) + (1/4)(16/7) ln(16/7)
    expected = 3 / 7 * math.log(4 / 7) + 4 / 7 * math.log(16 / 7)
    assert table.loc["all", "theil_total"] == pytest.approx(expected)
    assert table.loc["all", "theil_within"] == pytest.approx(expected) and table.loc["all", "theil_between"] == 0


def test_equal_group_means_leave_nothing_between():
    values = pd.Series({"a": 1.0, "b": 3.0, "c": 2.0})
    population = pd.Series({"a": 1.0, "b": 1.0, "c": 2.0})
    groups = pd.Series({"a": "X", "b": "X", "c": "Y"}, name="country")
    parts = theil_groups(values, population=population, groups=groups)
    # mean 2 overall and in both groups; X: T_X = (1/2)(1/2) ln(1/2) + (1/2)(3/2) ln(3/2), share 4/8
    t_x = -math.log(2) / 4 + 3 / 4 * math.log(1.5)
    assert parts.index.name == "country" and list(parts.index) == ["X", "Y"]
    assert parts["mean"].tolist() == [2.0, 2.0] and parts["share_pct"].tolist() == [50.0, 50.0]
    assert parts.loc["X", "theil_within"] == pytest.approx(t_x)
    assert parts["between_contribution"].tolist() == [0.0, 0.0]
    assert parts["within_contribution"].sum() == pytest.approx(t_x / 2)


def test_zero_counts_as_zero_and_negatives_are_refused():
    values = pd.Series({"a": 0.0, "b": 2.0})
    one = {"all": pd.Series("g", index=values.index)}
    # mean 1; the zero region contributes 0 ln 0 = 0; b: (1/2)(2) ln 2 = ln 2
    table = theil_decomposition(values, population=pd.Series(1.0, index=values.index), partitions=one)
    assert table.loc["all", "theil_total"] == pytest.approx(math.log(2))
    with pytest.raises(SchemaError, match="negative values for a: the Theil index needs a ratio scale"):
        theil_decomposition(values - 1, population=pd.Series(1.0, index=values.index), partitions=one)
    with pytest.raises(ValueError, match="partitions is empty"):
        theil_decomposition(values, population=pd.Series(1.0, index=values.index), partitions={})


def test_regions_missing_a_label_leave_every_partition():
    values = pd.Series({"a": 1.0, "b": 2.0, "c": 4.0})
    population = pd.Series(1.0, index=values.index)
    partitions = {"country": pd.Series({"a": "X", "b": "Y", "c": "Y"}), "ring": pd.Series({"a": 1, "b": 1})}
    table = theil_decomposition(values, population=population, partitions=partitions)
    # c has no ring: both partitions split the same total, of a and b only
    assert table["regions"].tolist() == [2, 2]
    assert table.loc["country", "theil_total"] == table.loc["ring", "theil_total"]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 1e7), st.sampled_from("XYZ")),
                     min_size=1, max_size=12))
def test_theil_parts_add_up_and_do_not_depend_on_order(rows):
    index = [f"r{k}" for k in range(len(rows))]
    values = pd.Series([r[0] for r in rows], index=index)
    population = pd.Series([r[1] for r in rows], index=index)
    groups = pd.Series([r[2] for r in rows], index=index)
    if (values * population).sum() == 0:
        return
    table = theil_decomposition(values, population=population, partitions={"g": groups}).loc["g"]
    assert table.theil_between + table.theil_within == pytest.approx(table.theil_total, abs=1e-9)
    assert table.theil_total >= -1e-12 and table.theil_within >= -1e-12 and table.theil_between >= -1e-12
    reversed_ = theil_decomposition(values[::-1], population=population, partitions={"g": groups}).loc["g"]
    assert reversed_.theil_total == pytest.approx(table.theil_total, abs=1e-12)


# --- Theil on a ratio scale -------------------------------------------------------------------

# two groups of two regions, equal populations; Y is X doubled
RATIO = pd.Series({"a": 1.0, "b": 3.0, "c": 2.0, "d": 6.0})
RATIO_GROUPS = pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"})
ONES = pd.Series(1.0, index=RATIO.index)


def test_theil_of_a_ratio_scale_example_by_hand():
    # mean 3; T = (1/4) sum (y/3) ln(y/3) = (1/4) [(1/3) ln(1/3) + 1 ln 1 + (2/3) ln(2/3) + 2 ln 2]
    total = (math.log(1 / 3) / 3 + 0 + 2 / 3 * math.log(2 / 3) + 2 * math.log(2)) / 4
    # X: mean 2, share of the total 4/12; Y: mean 4, share 8/12
    between = 1 / 3 * math.log(2 / 3) + 2 / 3 * math.log(4 / 3)
    # within X: (1/2)(1/2) ln(1/2) + (1/2)(3/2) ln(3/2); Y = 2X has the same T (scale invariance)
    t_x = -math.log(2) / 4 + 3 / 4 * math.log(1.5)
    within = 1 / 3 * t_x + 2 / 3 * t_x
    assert total == pytest.approx(between + within, rel=1e-12)  # the hand figures add up
    table = theil_table(RATIO.to_frame("access_pct"), population=ONES, partitions={"group": RATIO_GROUPS},
                        units={"access_pct": "% of households"})
    assert table.columns.tolist() == ["measure", "measure_unit", "partition", "part", "theil", "share_pct",
                                      "theil_total", "regions", "groups"]
    assert table[["measure", "measure_unit", "partition", "part"]].values.tolist() == [
        ["access_pct", "% of households", "group", "between"], ["access_pct", "% of households", "group", "within"]]
    assert table["theil"].tolist() == pytest.approx([between, within], rel=1e-12)
    assert table["theil_total"].tolist() == pytest.approx([total, total], rel=1e-12)
    assert table["share_pct"].tolist() == pytest.approx([100 * between / total, 100 * within / total], rel=1e-12)
    assert table["regions"].tolist() == [4, 4] and table["groups"].tolist() == [2, 2]
    parts = theil_groups(RATIO, population=ONES, groups=RATIO_GROUPS)
    assert parts["theil_within"].tolist() == pytest.approx([t_x, t_x], rel=1e-12)


def _between_share(values: pd.Series) -> float:
    return float(theil_decomposition(values, population=ONES, partitions={"group": RATIO_GROUPS})
                 .loc["group", "between_share_pct"])


def test_adding_a_constant_changes_the_shares_which_is_why_an_interval_index_is_refused():
    # a min-max index of RATIO: (y - 1) / 5 = 0, 0.4 (X) and 0.2, 1 (Y); mean 0.4, X's mean 0.2 and share of the
    # sum 0.4 / 1.6 = 1/4, Y's mean 0.6 and share 3/4: between = (1/4) ln(0.2 / 0.4) + (3/4) ln(0.6 / 0.4)
    minmax = (RATIO - 1) / 5
    between = 1 / 4 * math.log(0.5) + 3 / 4 * math.log(1.5)
    # within X = {0, 0.4}: (1/2) [0 ln 0 + 2 ln 2] = ln 2; within Y = {0.2, 1}: (1/2) [(1/3) ln(1/3) + (5/3) ln(5/3)]
    t_x = math.log(2)
    t_y = (math.log(1 / 3) / 3 + 5 / 3 * math.log(5 / 3)) / 2
    total = between + 1 / 4 * t_x + 3 / 4 * t_y
    assert _between_share(minmax) == pytest.approx(100 * between / total, rel=1e-12)
    # the same index moved up by one: nothing about the regions changed, the share did. By hand: 1, 1.4 (X) and
    # 1.2, 2 (Y); mean 1.4, X's mean 1.2 and share 2.4 / 5.6 = 3/7, Y's mean 1.6 and share 4/7
    between = 3 / 7 * math.log(1.2 / 1.4) + 4 / 7 * math.log(1.6 / 1.4)
    t_x = (1 / 1.2 * math.log(1 / 1.2) + 1.4 / 1.2 * math.log(1.4 / 1.2)) / 2
    t_y = (1.2 / 1.6 * math.log(1.2 / 1.6) + 2 / 1.6 * math.log(2 / 1.6)) / 2
    shifted = 100 * between / (between + 3 / 7 * t_x + 4 / 7 * t_y)
    assert _between_share(minmax + 1) == pytest.approx(shifted, rel=1e-12)
    assert shifted - _between_share(minmax) > 2.5  # 29.9 % against 26.9 %: percentage points, not rounding
    assert _between_share(minmax + 10) != pytest.approx(_between_share(minmax + 1), abs=0.1)
    # the raw values (ratio scale) and any unit of them give one share
    assert _between_share(RATIO) == pytest.approx(_between_share(RATIO * 100), rel=1e-12)


def _components(**options):
    return IndicatorSpec("access", ("access",), **options), IndicatorSpec("use", ("use",), **options)


@pytest.mark.parametrize(("spec", "found"), [
    (IndexSpec(_components()), "min-max normalisation puts the index's zero at the weakest region"),
    (IndexSpec(_components(), normalisation="zscore"), "z-scores put the index's zero at the mean"),
    (IndexSpec(_components(), normalisation="rank"), "percentile ranks carry only the order"),
    (IndexSpec(_components(goalposts=(10.0, 100.0)), normalisation="goalposts"),
     "the low goalpost is not 0 for access [10.0, 100.0], use [10.0, 100.0]"),
    (IndexSpec(_components(goalposts=(0.0, 100.0)), normalisation="goalposts", scale=(1.0, 100.0)),
     "[index] scale starts at 1, not 0"),
    (IndexSpec(_components(goalposts=(0.0, 100.0), direction="lower"), normalisation="goalposts"),
     "component(s) access, use have direction = \"lower\""),
    (IndexSpec(_components(direction="lower"), normalisation="reference"), "have direction = \"lower\""),
    (IndexSpec(_components(goalposts=(1.0, 100.0), transform="log"), normalisation="goalposts"),
     "are transformed (log)"),
], ids=["minmax", "zscore", "rank", "goalposts-low-10", "scale-from-1", "goalposts-lower", "reference-lower",
        "log"])
def test_indices_without_a_natural_zero_are_named(spec, found):
    assert found in ratio_scale_problem(spec)


@pytest.mark.parametrize("spec", [
    IndexSpec(_components(goalposts=(0.0, 100.0)), normalisation="goalposts"),
    IndexSpec(_components(goalposts=(0.0, 100.0)), normalisation="goalposts", scale=(0.0, 100.0)),
    IndexSpec(_components(goalposts=(0.0, 100.0)), normalisation="goalposts", aggregation="geometric"),
    IndexSpec(_components(), normalisation="reference"),
    IndexSpec(_components(reference=80.0), normalisation="reference", aggregation="geometric", weighting="pca"),
], ids=["goalposts", "goalposts-0-100", "goalposts-geometric", "reference", "reference-geometric-pca"])
def test_ratio_scale_indices_pass(spec):
    assert ratio_scale_problem(spec) is None


def test_the_index_decomposition_refuses_an_interval_index_and_says_what_to_use():
    matrix = pd.DataFrame({"access": RATIO * 10, "use": RATIO * 15})
    minmax = IndexSpec(_components())
    index = build_index(matrix, minmax).index
    with pytest.raises(SchemaError, match=r"the Theil index of the index is not meaningful: min-max normalisation "
                                          r"puts the index's zero at the weakest region.*Decompose the raw "
                                          r"components instead.*normalisation = \"goalposts\" with goalposts = "
                                          r"\[0, high\]"):
        index_theil_table(index, minmax, population=ONES, partitions={"group": RATIO_GROUPS})
    # the fix the message names: goalposts from 0; the index is then the mean of value / 100, a ratio scale
    goalposts = IndexSpec(_components(goalposts=(0.0, 100.0)), normalisation="goalposts")
    index = build_index(matrix, goalposts).index
    assert index.tolist() == pytest.approx((RATIO * 0.125).tolist())  # (10 y + 15 y) / 2 / 100
    table = index_theil_table(index, goalposts, population=ONES, partitions={"group": RATIO_GROUPS})
    assert table["measure"].unique().tolist() == ["index"]
    assert table["measure_unit"].iloc[0] == "index (goalposts, arithmetic mean; 0 = none)"
    raw = theil_table(RATIO.to_frame("access"), population=ONES, partitions={"group": RATIO_GROUPS})
    assert table["share_pct"].tolist() == pytest.approx(raw["share_pct"].tolist(), rel=1e-12)


def test_unusable_measures_are_all_reported_at_once():
    values = pd.DataFrame({"balance": [-1.0, 2.0, 3.0, 4.0], "none": 0.0, "fine": [1.0, 2.0, 3.0, 4.0]},
                          index=RATIO.index)
    with pytest.raises(SchemaError, match=r"Theil index: balance: negative values for a: the Theil index needs a "
                                          r"ratio scale.*; none: no region has a positive value"):
        theil_table(values, population=ONES, partitions={"group": RATIO_GROUPS})
    with pytest.raises(ValueError, match="partitions is empty"):
        theil_table(values[["fine"]], population=ONES, partitions={})


# values zero or at least 1e-6: scaled by 1e-3, a value near the smallest double (5e-324) underflows
# to 0 or loses digits, which is the float format's limit, not the measure's (found by Hypothesis)
_VALUES = st.one_of(st.just(0.0), st.floats(1e-6, 100))
_ROWS = st.lists(st.tuples(_VALUES, st.floats(0.01, 1e7), st.sampled_from("XYZ")), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(rows=_ROWS, factor=st.floats(1e-3, 1e3))
def test_theil_is_non_negative_adds_up_and_ignores_the_unit(rows, factor):
    index = [f"r{k}" for k in range(len(rows))]
    values = pd.Series([r[0] for r in rows], index=index)
    population = pd.Series([r[1] for r in rows], index=index)
    groups = pd.Series([r[2] for r in rows], index=index)
    if (values * population).sum() == 0:
        return
    table = theil_table(values.to_frame("v"), population=population, partitions={"g": groups})
    between, within = table["theil"].tolist()
    total = float(table["theil_total"].iloc[0])
    assert total >= -1e-12 and between >= -1e-12 and within >= -1e-12
    assert between + within == pytest.approx(total, abs=1e-9)
    if total > 1e-9:
        assert table["share_pct"].sum() == pytest.approx(100.0)
    scaled = theil_table((values * factor).to_frame("v"), population=population, partitions={"g": groups})
    assert scaled["theil"].tolist() == pytest.approx(table["theil"].tolist(), rel=1e-9, abs=1e-12)
    # population weights, too, count only as shares
    reweighted = theil_table(values.to_frame("v"), population=population * factor, partitions={"g": groups})
    assert reweighted["theil"].tolist() == pytest.approx(table["theil"].tolist(), rel=1e-9, abs=1e-12)


# --- LISA and the false discovery rate ---------------------------------------------------------

# Benjamini and Hochberg (1995), section 4: fifteen p-values of a clinical trial; at q = 0.05 the
# step-up procedure rejects the four smallest (Bonferroni only the three smallest)
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
           0.6528, 0.7590, 1.0000]


def test_benjamini_hochberg_on_their_own_example():
    q = benjamini_hochberg(BH_1995)
    # k alpha / m = k / 300: p_(4) = 0.0095 <= 4 / 300 = 0.0133 is the last p-value under the line
    # (p_(5) = 0.0201 > 5 / 300, ..., p_(9) = 0.0459 > 9 / 300)
    assert (q <= 0.05).tolist() == [True] * 4 + [False] * 11
    # q_(k) = min over j >= k of 15 p_(j) / j: q_(1) = min(0.0015, 0.003, 0.0095, 0.035625, ...) = 0.0015
    assert q[0] == pytest.approx(15 * 0.0001)
    assert q[3] == pytest.approx(15 * 0.0095 / 4)  # 0.035625
    # q_(5) = min(15 x 0.0201 / 5 = 0.0603, 0.0695, 0.0639, 0.0645, 0.0765, ...) = 0.0603: not rejected
    assert q[4] == pytest.approx(15 * 0.0201 / 5)
    assert q[-1] == 1.0 and (np.diff(q) >= 0).all()


def test_benjamini_hochberg_keeps_the_order_and_skips_tests_not_made():
    q = benjamini_hochberg([0.04, np.nan, 0.01, 0.03, 0.20])
    # m = 4 tests: sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533, 0.20 -> minimum from the right
    assert np.isnan(q[1])
    assert q[[0, 2, 3, 4]].tolist() == pytest.approx([0.16 / 3, 0.04, 0.16 / 3, 0.2])
    assert benjamini_hochberg([]).tolist() == []
    with pytest.raises(ValueError, match=r"p-values must lie in \[0, 1\]; found -0.1 to 0.5"):
        benjamini_hochberg([-0.1, 0.5])


@settings(max_examples=60, deadline=None)
@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_q_values_are_at_least_the_p_values_and_follow_their_order(p):
    q = benjamini_hochberg(p)
    values = np.asarray(p)
    assert (q >= values - 1e-15).all() and (q <= 1).all()
    order = np.argsort(values, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all()


def test_lisa_correction_by_hand(regions, graph):
    values = GRADIENT.rename("v")
    # a loose level, so that the uncorrected test calls four regions clusters
    raw = local_moran(regions, graph, values, permutations=99, rng=0, correction="none", significance=0.25)
    fdr = local_moran(regions, graph, values, permutations=99, rng=0, correction="fdr", significance=0.25)
    # the same draws: the same p-values, and q-values computed from them whatever the correction
    pd.testing.assert_series_equal(raw["v_lisa_p"], fdr["v_lisa_p"])
    assert raw["v_lisa_p"].tolist() == [0.17, 0.11, 0.42, 0.45, 0.07, 0.21]
    # sorted 0.07, 0.11, 0.17, 0.21, 0.42, 0.45; 6 p / rank: 0.42, 0.33, 0.34, 0.315, 0.504, 0.45; minimum from
    # the right: 0.315, 0.315, 0.315, 0.315, 0.45, 0.45
    q = [0.315, 0.315, 0.45, 0.45, 0.315, 0.315]
    assert fdr["v_lisa_q"].tolist() == pytest.approx(q) and raw["v_lisa_q"].tolist() == pytest.approx(q)
    significant_raw = [True, True, False, False, True, True]  # p <= 0.25
    # no sorted p lies under the step-up line k 0.25 / 6 = 0.042, 0.083, 0.125, 0.167, 0.208, 0.25
    significant_fdr = [False] * 6
    assert raw["v_lisa_cluster"].ne("not significant").tolist() == significant_raw
    assert fdr["v_lisa_cluster"].ne("not significant").tolist() == significant_fdr
    assert raw.attrs == {"correction": "none", "significance": 0.25, "tests": 6, "permutations": 99,
                         "threshold_p": 0.25}
    assert fdr.attrs["threshold_p"] == pytest.approx(0.25 / 6)  # nothing kept: below the line's first step
    assert (fdr["v_lisa_p"] > fdr.attrs["threshold_p"]).all()
    with pytest.raises(ValueError, match=r"unknown correction 'bonferroni'; choose one of \['fdr', 'none'\]"):
        local_moran(regions, graph, values, correction="bonferroni")


def test_a_known_p_vector_gives_the_clusters_of_the_step_up_rule(regions, graph, monkeypatch):
    # fix the pseudo p-values of the six regions (m = 6) and check the clusters against the step-up line k alpha / m;
    # alpha 0.05, line k / 120 = 0.0083, 0.0167, 0.025, 0.0333, 0.0417, 0.05: p = 0.001, 0.008, 0.02, 0.03, 0.04 lie
    # under it, 0.5 does not; the step-up rule keeps five
    from borderland.spatial import autocorrelation

    fixed = np.array([0.001, 0.008, 0.02, 0.03, 0.04, 0.5])
    monkeypatch.setattr(autocorrelation, "_pseudo_p", lambda larger, permutations: fixed)
    fdr = local_moran(regions, graph, GRADIENT, permutations=9, rng=0)
    assert fdr["index_lisa_cluster"].ne("not significant").tolist() == [True] * 5 + [False]
    assert fdr.attrs["threshold_p"] == pytest.approx(5 * 0.05 / 6)
    strict = local_moran(regions, graph, GRADIENT, permutations=9, rng=0, significance=0.01)
    # alpha 0.01, line k / 600 = 0.0017, 0.0033, 0.005, 0.0067, 0.0083, 0.01: only 0.001 lies under it
    assert strict["index_lisa_cluster"].ne("not significant").tolist() == [True] + [False] * 5
    raw = local_moran(regions, graph, GRADIENT, permutations=9, rng=0, significance=0.01, correction="none")
    assert raw["index_lisa_cluster"].ne("not significant").tolist() == [True, True] + [False] * 4


def test_the_corrections_are_the_study_keys_choices():
    from borderland.study import LISA_CORRECTIONS as STUDY_CHOICES

    assert sorted(STUDY_CHOICES) == sorted(LISA_CORRECTIONS)


@pytest.mark.slow
def test_the_bundled_clusters_with_and_without_the_correction(bundled_result):
    r = bundled_result
    lisa = r.gaps_stage.lisa
    # the study's default: Benjamini-Hochberg at q <= 0.05 over the 35 regions tested
    assert lisa.attrs["correction"] == "fdr" and lisa.attrs["tests"] == 35
    assert lisa.attrs["threshold_p"] == pytest.approx(0.05 / 35)
    # no region's q-value reaches 0.05: the smallest p-value is 0.003 (Vologda), above 0.05 / 35 = 0.00143
    assert lisa["index_lisa_cluster"].dropna().eq("not significant").all()
    assert lisa["index_lisa_p"].min() == 0.003 and lisa["index_lisa_p"].idxmin() == "RU-VLG"
    assert lisa["index_lisa_q"].min() == pytest.approx(0.07)  # the second smallest, 0.004: 35 x 0.004 / 2
    # without the correction, eleven regions at p <= 0.05 would be called clusters
    raw = local_moran(r.regions, r.graph, r.regions["index"], permutations=999, rng=r.study.gaps.seed,
                      correction="none")
    pd.testing.assert_series_equal(raw["index_lisa_p"], lisa["index_lisa_p"])
    found = raw["index_lisa_cluster"].value_counts()
    assert found.drop("not significant").sum() == 11
    assert found.to_dict() == {"not significant": 24, "low-low": 6, "high-high": 4, "high-low": 1}
