import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.neighbours import neighbour_graph
from borderland.spatial import local_moran, morans_i, theil_decomposition, theil_groups

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


def test_morans_i_agrees_with_esda(regions, graph):
    from esda.moran import Moran

    theirs = Moran(GRADIENT.to_numpy(), graph.to_libpysal().transform("r"), permutations=0)
    ours = morans_i(regions, graph, GRADIENT, permutations=9, rng=1)
    assert ours.i == pytest.approx(theirs.I) and ours.p_norm == pytest.approx(theirs.p_norm)


def test_permutations_follow_the_seed(regions, graph):
    values = pd.Series([3.0, 1.0, 4.0, 1.0, 5.0, 9.0], index=GRADIENT.index, name="index")
    first = morans_i(regions, graph, values, permutations=199, rng=7)
    again = morans_i(regions, graph, values, permutations=199, rng=np.random.default_rng(7))
    assert (first.p_sim, first.z_sim) == (again.p_sim, again.z_sim)


def test_regions_without_a_value_or_a_valued_neighbour_are_left_out(regions, graph):
    values = GRADIENT.copy()
    values["B4"] = np.nan  # B5's only neighbour is B4: without B4's value, B5 has no lag
    result = morans_i(regions, graph, values, permutations=9, rng=0)
    assert result.left_out == ("B4", "B5") and result.n == 4
    with pytest.raises(SchemaError, match="at least 3 regions with a value and a neighbour with one; found 2 of 6"):
        morans_i(regions, graph, GRADIENT.where(GRADIENT < 3), rng=0)


def test_lisa_quadrants_of_a_gradient(regions, graph):
    global_state = np.random.get_state()  # noqa: NPY002 - checking that esda's seeding is undone
    lisa = local_moran(regions, graph, GRADIENT.where(GRADIENT != 6), permutations=99, rng=3)
    assert np.array_equal(np.random.get_state()[1], global_state[1])  # noqa: NPY002
    # low values next to low neighbours at the A end, high at the B end; B5 has no value
    assert lisa["index_lisa_quadrant"].tolist()[:5] == ["low-low", "low-low", "low-low", "high-high", "high-high"]
    assert lisa.loc["B5"].isna().all()
    assert set(lisa["index_lisa_cluster"].dropna()) <= {"low-low", "high-high", "not significant"}
    again = local_moran(regions, graph, GRADIENT.where(GRADIENT != 6), permutations=99, rng=3)
    pd.testing.assert_frame_equal(lisa, again)
    # A0: z = 1 - 3 = -2 with mean 3 of 1..5; its lag is A1's z = -1; esda's local I = (n - 1) z lag / sum z²
    assert lisa.loc["A0", "index_lisa_i"] == pytest.approx(4 * (-2) * (-1) / 10)


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
