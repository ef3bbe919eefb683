"""borderland.trade.divide: trade beside the gap per pair and segment, and its rank association."""

import math

import numpy as np
import pandas as pd
import pytest

from borderland import trade
from borderland.errors import SchemaError
from borderland.neighbours import adjacent_pairs, neighbour_graph, pair_gaps
from tests.trade_support import USD, flow_table


@pytest.fixture
def strip_pairs(regions):
    pairs = adjacent_pairs(regions, neighbour_graph(regions), focus_country="AA")
    index = pd.Series({"A0": 0.1, "A1": 0.2, "A2": 0.3, "B3": 0.8, "B4": 0.9, "B5": 1.0}, name="index")
    return pd.concat([pairs, pair_gaps(pairs, index)], axis=1)


def test_pair_trade_adds_opposite_exports_and_refuses_ambiguity(regions, strip_pairs):
    flows = flow_table([("A2", "B3", 5, USD, 2021, "exports"), ("B3", "A2", 3, USD, 2021, "exports"),
                    ("A2", "B3", 7, USD, 2021, "turnover"), ("B3", "A2", 8, USD, 2021, "turnover"),
                    ("A2", "B3", 1, USD, 2019, "exports")])
    matched, _ = trade.match_flows(flows, regions)
    exports = trade.pair_trade(strip_pairs, matched, flow_type="exports")
    assert len(exports) == 1  # the only cross-border pair, A2 - B3
    row = exports.iloc[0]
    assert (row.region_a, row.region_b, row.segment) == ("A2", "B3", "AA-BB")
    assert row.gap == pytest.approx(-0.5)  # 0.3 - 0.8
    # latest year 2021: 5 one way + 3 the other = 8; the 2019 figure is older
    assert (row.trade_value, row.trade_year, row.trade_flows_n) == (8.0, 2021, 2)
    assert row.trade_note == "sum of both directions"
    turnover = trade.pair_trade(strip_pairs, matched, flow_type="turnover").iloc[0]
    # two reports of one turnover cannot be added
    assert math.isnan(turnover.trade_value) and turnover.trade_flows_n == 2
    assert turnover.trade_note.startswith("2 figures that cannot be combined")
    older = trade.pair_trade(strip_pairs, matched, flow_type="exports", year=2019).iloc[0]
    assert older.trade_value == 1.0
    everything = trade.pair_trade(strip_pairs, matched, flow_type="exports", cross_border_only=False)
    assert len(everything) == 5 and everything["trade_value"].notna().sum() == 1


@pytest.mark.parametrize(
    ("trade_values", "gap_values", "rho"),
    [([1, 2, 3, 4], [1, 3, 2, 4], 0.8),  # ranks equal the values; d = 0, 1, 1, 0: 1 - 6 * 2 / (4 * 15)
     ([1, 1, 2], [5, 5, 9], 1.0),  # ties share the average rank: 1.5, 1.5, 3 against 1.5, 1.5, 3
     ([10, 20, 40, 30], [0.4, 0.3, 0.2, 0.1], -0.8),  # d = -3, -1, 2, 2: 1 - 6 * 18 / 60
     ([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8], None)],  # many ties: no hand value, pandas decides
    ids=["swap", "ties", "falling", "many-ties"],
)
def test_association_is_pandas_spearman(trade_values, gap_values, rho):
    trade_series, gap_series = pd.Series(trade_values, dtype=float), pd.Series(gap_values, dtype=float)
    expected = trade_series.corr(gap_series, method="spearman")
    result = trade.trade_gap_association(trade_series, gap_series, permutations=0)
    assert result.rho == expected and result.n == len(trade_values) and math.isnan(result.p_value)
    if rho is not None:
        assert result.rho == pytest.approx(rho)


def test_exact_permutation_p_by_hand():
    # n = 4, rho = 0.8 = 1 - sum d^2 / 10: rho >= 0.8 needs sum d^2 <= 2, the identity and the 3 swaps of
    # neighbours: 4 of the 24 orderings. Two-sided (scipy): 2 * min(4/24, 23/24) = 8/24
    result = trade.trade_gap_association(pd.Series([1.0, 2, 3, 4]), pd.Series([1.0, 3, 2, 4]))
    assert (result.rho, result.n) == (pytest.approx(0.8), 4)
    assert result.p_value == pytest.approx(8 / 24)
    assert result.caveat.startswith("descriptive only: n = 4 pairs (fewer than 10)")
    # exact, so the seed does not matter
    assert trade.trade_gap_association(pd.Series([1.0, 2, 3, 4]), pd.Series([1.0, 3, 2, 4]), rng=99).p_value == \
        result.p_value
    # ties: x ranks 1.5, 1.5, 3 against the same; 2 of the 6 orderings keep rho = 1, the other 4 give -0.5:
    # 2 * min(2/6, 1) = 4/6
    tied = trade.trade_gap_association(pd.Series([1.0, 1, 2]), pd.Series([5.0, 5, 9]))
    assert tied.rho == pytest.approx(1.0) and tied.p_value == pytest.approx(4 / 6)


def test_association_of_a_constant_side_is_undefined():
    result = trade.trade_gap_association(pd.Series([1.0, 1, 1]), pd.Series([1.0, 2, 3]))
    assert result.n == 3 and math.isnan(result.rho) and math.isnan(result.p_value)
    assert "Spearman rho n/a over 3 pair(s)." in result.summary()


def test_association_caveats_follow_the_number_of_pairs():
    two = trade.trade_gap_association(pd.Series([1.0, 2.0, np.nan]), pd.Series([0.1, 0.2, 0.3]))
    assert two.n == 2 and math.isnan(two.rho) and math.isnan(two.p_value)
    assert two.caveat == "only 2 pair(s) have both a trade figure and a gap: too few to measure an association."
    x = pd.Series(np.arange(12, dtype=float))
    many = trade.trade_gap_association(x, -x, permutations=199, rng=7, context="Trade from 2018 and 2024.")
    assert many.rho == pytest.approx(-1.0) and many.n == 12
    assert many.caveat == ("n = 12 pairs; a rank association, not an effect: pairs along one border share a country "
                           "and are not independent. Trade from 2018 and 2024.")
    # a perfect ranking is never matched by chance in 199 draws: one-sided (0 + 1) / (199 + 1), two-sided twice that
    assert many.p_value == pytest.approx(2 / 200)
    # the same seed gives the same Monte Carlo p-value
    y = pd.Series([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8])
    runs = [trade.trade_gap_association(x, y, permutations=99, rng=seed).p_value for seed in (3, 3, 4)]
    assert runs[0] == runs[1] and 0 < runs[0] <= 1
    assert "Spearman rho -1.00 over 12 pair(s), permutation p = 0.010." in many.summary()


def test_trade_divide_per_pair_and_segment():
    pairs = pd.DataFrame({
        "region_a": ["A1", "A2", "A3", "A4", "C1"], "region_b": ["B1", "B2", "B3", "B4", "A1"],
        "cross_border": True, "segment": ["AA-BB"] * 4 + ["AA-CC"],
        "gap": [-0.4, -0.3, -0.2, 0.1, 0.5], "abs_gap": [0.4, 0.3, 0.2, 0.1, 0.5],
    })
    flows = flow_table([("A1", "B1", 10, USD, 2021, "turnover"), ("A2", "B2", 20, USD, 2021, "turnover"),
                    ("B3", "A3", 40, USD, 2020, "turnover"), ("A4", "B4", 30, USD, 2021, "turnover"),
                    ("A1", "BB", 1000, USD, 2021, "turnover")])
    flows["origin_kind"], flows["destination_kind"], flows["matched"] = "region", "region", True
    flows["cross_border"], flows["segment"] = True, "AA-BB"
    result = trade.trade_divide(pairs, flows, rng=0)
    assert result.pairs["trade_value"].tolist()[:4] == [10.0, 20.0, 40.0, 30.0]
    # trade 10, 20, 40, 30 -> ranks 1, 2, 4, 3; abs gap 0.4, 0.3, 0.2, 0.1 -> ranks 4, 3, 2, 1
    # d = -3, -1, 2, 2: sum d^2 = 18, rho = 1 - 6 * 18 / 60 = -0.8
    assert result.association.rho == pytest.approx(-0.8) and result.association.n == 4
    assert "Trade figures from 2020, 2021." in result.association.caveat
    assert result.association.p_value == pytest.approx(8 / 24)  # 4 pairs: all 24 orderings, as by hand above
    segment = result.segments.loc["AA-BB"]
    assert (segment.pairs_n, segment.pairs_with_trade_n, segment.trade_value_sum) == (4, 4, 100.0)
    # unweighted: (-0.4 - 0.3 - 0.2 + 0.1) / 4 = -0.2 and (0.4 + 0.3 + 0.2 + 0.1) / 4 = 0.25, each pair once
    assert segment.mean_gap == pytest.approx(-0.2) and segment.mean_abs_gap == pytest.approx(0.25)
    assert "mean_gap_length_weighted" not in result.segments.columns
    assert segment.rho == pytest.approx(-0.8) and segment.flows_n == 5
    assert result.segments.loc["AA-CC", "pairs_with_trade_n"] == 0
    assert "cross-border pairs with a trade figure: 4 of 5" in result.summary()
    part_year = flows.copy()
    part_year.loc[0, "period"] = "January-May"
    mixed = r"mix units or periods \(million USD \(January-May\), million USD \(year\)\)"
    with pytest.raises(SchemaError, match=mixed):
        trade.trade_divide(pairs, part_year, period=None)
    # with the default period (whole years only) the part-year figure is simply not used
    assert trade.trade_divide(pairs, part_year, rng=0).association.n == 3


def test_growth_rates_are_never_added_per_segment():
    pairs = pd.DataFrame({"region_a": ["A1", "A2"], "region_b": ["B1", "B2"], "cross_border": True,
                          "segment": "AA-BB", "gap": [0.1, 0.2], "abs_gap": [0.1, 0.2]})
    flows = flow_table([("B1", "A1", 121.8, "% of previous year", 2018, "growth_rate"),
                    ("B2", "A2", 114.9, "% of previous year", 2018, "growth_rate")])
    table = trade.pair_trade(pairs, flows, flow_type="growth_rate")
    segment = trade.segment_trade(table).loc["AA-BB"]
    assert segment.pairs_with_trade_n == 2 and math.isnan(segment.trade_value_sum)
    assert segment.trade_unit == "% of previous year"


