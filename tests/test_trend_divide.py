"""The divide over the years (borderland.trend.divide) on the six-square strip and hand-made pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from borderland.neighbours import local_deviation, neighbour_graph
from borderland.trend.divide import (
    border_effect,
    cross_border_pairs,
    gap_status,
    gap_trends,
    pair_gaps,
    segment_series,
    since_last_break,
)

YEARS = [2020, 2021, 2022]


def strip_index():
    # A lags B by 0.4 in 2020, 0.3 in 2021, 0.2 in 2022 at the border (A2 | B3)
    return pd.DataFrame({2020: [0.1, 0.2, 0.3, 0.7, 0.8, 0.6], 2021: [0.2, 0.3, 0.4, 0.7, 0.8, 0.6],
                         2022: [0.3, 0.4, 0.5, 0.7, 0.8, 0.6]}, index=["A0", "A1", "A2", "B3", "B4", "B5"])


def test_the_strips_one_cross_border_pair_and_its_gaps(regions):
    pairs = cross_border_pairs(regions, neighbour_graph(regions), focus_country="AA")
    assert pairs.index.tolist() == ["A2|B3"] and pairs["segment"].tolist() == ["AA-BB"]
    assert pairs["shared_border_km"].tolist() == pytest.approx([1.0])
    _, _, gap = pair_gaps(pairs, strip_index())
    assert gap.round(12).tolist() == [[-0.4, -0.3, -0.2]]


def test_a_pairs_trend_by_hand(regions):
    pairs = cross_border_pairs(regions, neighbour_graph(regions), focus_country="AA")
    trends = gap_trends(pairs, [[-0.4, -0.3, -0.2]], YEARS, closed_below=0.05)
    pair = trends[trends["scope"] == "pair"].iloc[0]
    # a straight line: slope +0.1 per year (the focus side catches up), absolute gap -0.1, no residual
    assert (pair["slope"], pair["abs_slope"], pair["abs_slope_se"]) == pytest.approx((0.1, -0.1, 0.0))
    assert (pair["abs_slope_ci_low"], pair["abs_slope_ci_high"]) == pytest.approx((-0.1, -0.1))
    assert (pair["first_gap"], pair["last_gap"], pair["change"]) == pytest.approx((-0.4, -0.2, 0.2))
    assert (pair["status"], pair["trend"], pair["years"]) == ("narrowed", "narrowing", 3)
    segment = trends[trends["scope"] == "segment"].iloc[0]
    assert segment["id"] == "AA-BB" and segment["abs_slope"] == pytest.approx(-0.1)


def test_a_trend_starts_after_the_last_break():
    pairs = pd.DataFrame({"segment": ["AA-BB"], "shared_border_km": [1.0]}, index=pd.Index(["P|Q"], name="pair"))
    gaps = [[-0.5, -0.1, -0.3, -0.2]]
    breaks = [[False, False, True, False]]  # 2022's value is not one series with 2021's
    trends = gap_trends(pairs, gaps, [2020, 2021, 2022, 2023], breaks=breaks)
    pair = trends.iloc[0]
    assert (pair["years"], pair["first_year"], pair["first_gap"], pair["broken"]) == (2, 2022, -0.3, True)
    assert pair["abs_slope"] == pytest.approx(-0.1) and pair["trend"] == "two years"
    # a break before the first gap cuts nothing
    early = gap_trends(pairs, [[np.nan, -0.3, -0.2, -0.1]], [2020, 2021, 2022, 2023],
                       breaks=[[False, True, False, False]])
    assert early.iloc[0]["years"] == 3 and not early.iloc[0]["broken"]


def test_since_last_break():
    assert since_last_break([[1.0, 2.0, 3.0]], [[True, False, False]]).tolist() == [[1.0, 2.0, 3.0]]
    assert np.isnan(since_last_break([[1.0, 2.0, 3.0]], [[False, False, True]])[0, :2]).all()


@pytest.mark.parametrize(("first", "last", "status"), [
    (-0.3, -0.04, "closed"), (-0.3, 0.2, "changed sign"), (0.3, 0.1, "narrowed"), (0.1, -0.3, "changed sign"),
    (0.1, 0.3, "widened"), (0.02, -0.03, "stayed closed"), (0.2, 0.2, "unchanged")],
    ids=["closed", "sign", "narrowed", "sign-widened", "widened", "stayed-closed", "unchanged"])
def test_what_happened_to_a_gap(first, last, status):
    assert gap_status([first], [last], [4], closed_below=0.05).tolist() == [status]


def test_a_segments_slope_is_within_its_pairs():
    # two pairs narrowing by 0.05 a year; the second's data start two years later at a larger gap:
    # the mean over the pairs present each year would jump up in 2022, the within slope does not
    pairs = pd.DataFrame({"segment": ["AA-BB", "AA-BB"], "shared_border_km": [3.0, 1.0]},
                         index=pd.Index(["P|Q", "R|S"], name="pair"))
    gaps = [[0.40, 0.35, 0.30, 0.25], [np.nan, np.nan, 0.80, 0.75]]
    trends = gap_trends(pairs, gaps, [2020, 2021, 2022, 2023])
    segment = trends[trends["scope"] == "segment"].iloc[0]
    assert segment["abs_slope"] == pytest.approx(-0.05)
    assert segment["pairs"] == 2 and segment["pairs_spanning"] == 1
    # first and last over the pairs spanning them (P|Q only)
    assert (segment["first_gap"], segment["last_gap"]) == pytest.approx((0.40, 0.25))
    assert segment["status"] == "narrowed"
    series = segment_series(pairs, gaps, [2020, 2021, 2022, 2023])
    # 2022: (0.30 x 3 + 0.80 x 1) / 4 = 0.425
    assert series["mean_gap_length_weighted"].round(12).tolist() == [0.4, 0.35, 0.425, 0.375]
    assert series["pairs_with_gap"].tolist() == [1, 1, 2, 2]


def test_border_effect_equals_local_deviation_each_year(regions):
    graph = neighbour_graph(regions)
    index = strip_index()
    effect = border_effect(graph, index)
    for year in index.columns:
        expected = local_deviation(regions, graph, index[year].rename("index"))["index_border_effect"]
        assert np.array_equal(effect[year].to_numpy(), expected.to_numpy(), equal_nan=True)
    # A2: same-country neighbour A1 (0.2), cross-border neighbour B3 (0.7) in 2020: 0.2 - 0.7
    assert effect.loc["A2", 2020] == pytest.approx(-0.5)


def test_border_effect_on_the_bundled_graph(bundled_result):
    index = bundled_result.regions[["index"]].rename(columns={"index": 2021})
    effect = border_effect(bundled_result.graph, index)
    expected = bundled_result.regions["index_border_effect"]
    assert np.allclose(effect[2021].to_numpy(), expected.to_numpy(), equal_nan=True, atol=1e-12)


def test_a_segments_status_reads_its_mean_absolute_gap_not_the_absolute_mean_gap():
    # one pair narrows from +0.10 to +0.02, the other stays near -0.06: the signed means (+0.02, -0.025)
    # would say "widened"; the mean absolute gaps (0.08, 0.045) say it closed below 0.05
    pairs = pd.DataFrame({"segment": ["AA-BB", "AA-BB"], "shared_border_km": [1.0, 1.0]},
                         index=pd.Index(["P|Q", "R|S"], name="pair"))
    trends = gap_trends(pairs, [[0.10, 0.06, 0.02], [-0.06, -0.065, -0.07]], YEARS, closed_below=0.05)
    segment = trends[trends["scope"] == "segment"].iloc[0]
    assert (segment["first_abs_gap"], segment["last_abs_gap"]) == pytest.approx((0.08, 0.045))
    assert segment["abs_change"] == pytest.approx(-0.035) and segment["status"] == "closed"


def test_a_segment_without_any_gap_says_so():
    pairs = pd.DataFrame({"segment": ["AA-BB"], "shared_border_km": [2.0]}, index=pd.Index(["P|Q"], name="pair"))
    segment = gap_trends(pairs, [[np.nan, np.nan, np.nan]], YEARS).query("scope == 'segment'").iloc[0]
    assert (segment["status"], segment["trend"], segment["years"]) == ("no gap", "", 0)
