"""Convergence (borderland.trend.convergence): sigma, beta and the Theil between-side share, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from borderland.trend.convergence import (
    balanced_regions,
    beta_table,
    convergence_trends,
    group_means,
    sigma_table,
    theil_by_year,
)

REGIONS = list("wxyz")
COUNTRIES = pd.Series(["PP", "PP", "QQ", "QQ"], index=REGIONS)
SIDES = pd.Series(["PP", "PP", "others", "others"], index=REGIONS)


def pick(table, **where):
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


def test_sigma_worked_out_by_hand():
    # w, x in PP (0, 1); y, z in QQ (2, 3); mean 1.5
    values = {"index": pd.DataFrame({2020: [0.0, 1.0, 2.0, 3.0]}, index=REGIONS)}
    table = sigma_table(values, countries=COUNTRIES, sides=SIDES, ratio={"index": True})
    at = {"variable": "index", "year": 2020, "panel": "all"}
    # sd = sqrt((1.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 3) = sqrt(5 / 3)
    assert pick(table, **at, measure="sd", scope="borderland") == pytest.approx(np.sqrt(5 / 3))
    assert pick(table, **at, measure="cv", scope="borderland") == pytest.approx(np.sqrt(5 / 3) / 1.5)
    assert pick(table, **at, measure="sd", scope="country", group="PP") == pytest.approx(np.sqrt(0.5))
    # between: sqrt((2 (0.5 - 1.5)^2 + 2 (2.5 - 1.5)^2) / 4) = 1
    assert pick(table, **at, measure="between_sd", scope="between_countries") == pytest.approx(1.0)
    assert pick(table, **at, measure="between_sd", scope="between_sides") == pytest.approx(1.0)
    assert pick(table, **at, measure="side_mean_gap", scope="between_sides") == pytest.approx(-2.0)


def test_no_coefficient_of_variation_without_a_natural_zero():
    values = {"index": pd.DataFrame({2020: [0.0, 1.0, 2.0, 3.0]}, index=REGIONS)}
    table = sigma_table(values, countries=COUNTRIES, ratio={"index": False})
    assert np.isnan(pick(table, variable="index", year=2020, panel="all", measure="cv", scope="borderland"))


def test_the_balanced_panel_keeps_regions_present_every_year_without_a_break():
    values = pd.DataFrame({2020: [1.0, 2.0, 3.0, 4.0], 2021: [1.0, np.nan, 3.0, 4.0]}, index=REGIONS)
    breaks = pd.DataFrame({2020: [True, False, False, False], 2021: [False, False, False, True]}, index=REGIONS)
    # w broke in its first year (nothing before it to break with), z in 2021: out
    assert balanced_regions(values, breaks).tolist() == ["w", "y"]
    table = sigma_table({"index": values}, countries=COUNTRIES, breaks={"index": breaks})
    assert pick(table, variable="index", year=2020, panel="balanced", measure="sd", scope="borderland") == \
        pytest.approx(np.std([1.0, 3.0], ddof=1))


@settings(deadline=None, max_examples=50)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=4, max_size=12, unique=True),
       st.lists(st.floats(-0.5, 0.5, allow_nan=False), min_size=2, max_size=6))
# found by hypothesis: the three years' standard deviations come out one unit in the last place apart
@example(start=[0.9971407009160071, 0.48605003527577784, 0.9500155343626162, 0.9565284435490822, 0.125, 0.00390625,
                0.001953125, 0.0, 0.25], shifts=[0.0, 0.125, 0.5])
def test_a_panel_shifted_by_a_constant_each_year_has_no_sigma_change(start, shifts):
    base = np.array(start)
    frame = pd.DataFrame({2010 + k: base + shift for k, shift in enumerate(shifts)},
                         index=[f"r{k}" for k in range(len(base))])
    countries = pd.Series(["PP", "QQ"] * len(base), index=[f"r{k}" for k in range(2 * len(base))]).reindex(frame.index)
    table = sigma_table({"index": frame}, countries=countries)
    sd = table[(table["measure"] == "sd") & (table["scope"] == "borderland") & (table["panel"] == "all")]
    assert np.ptp(sd["value"].to_numpy()) < 1e-9
    if len(shifts) >= 3:
        trend = convergence_trends(table)
        row = trend[(trend["measure"] == "sd") & (trend["scope"] == "borderland") & (trend["panel"] == "all")].iloc[0]
        assert abs(row["estimate"]) < 1e-9 and row["verdict"] == "no clear trend"


@settings(deadline=None, max_examples=50)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=3, max_size=15, unique=True),
       st.integers(1, 25), st.floats(0, 2, allow_nan=False))
def test_beta_of_exact_convergence_is_minus_one_over_the_years(start, years, target):
    # y_T = c for every region: (c - y_0) / T = c / T - y_0 / T, a line in y_0 of slope -1 / T
    y0 = np.array(start)
    if np.ptp(y0) < 1e-6:
        return
    frame = pd.DataFrame({2000: y0, 2000 + years: np.full(len(y0), target)}, index=[f"r{k}" for k in range(len(y0))])
    table = beta_table({"index": frame}, countries=pd.Series("PP", index=frame.index))
    row = table[table["scope"] == "borderland"].iloc[0]
    assert row["estimate"] == pytest.approx(-1.0 / years, abs=1e-9)
    assert row["regions"] == len(y0) and row["verdict"] in ("converging", "no clear trend")


def test_beta_of_a_common_shift_is_zero_and_by_hand():
    frame = pd.DataFrame({2020: [0.2, 0.4, 0.6], 2024: [0.3, 0.5, 0.7]}, index=list("xyz"))
    row = beta_table({"index": frame}, countries=pd.Series("PP", index=frame.index)).iloc[0]
    assert row["estimate"] == pytest.approx(0.0, abs=1e-12) and row["estimate_se"] == pytest.approx(0.0, abs=1e-12)
    # changes per year 0.1, 0.05, 0.05 against levels 0.2, 0.4, 0.8: slope = Sxy / Sxx by hand
    frame = pd.DataFrame({2020: [0.2, 0.4, 0.8], 2022: [0.4, 0.5, 0.9]}, index=list("xyz"))
    row = beta_table({"index": frame}, countries=pd.Series("PP", index=frame.index)).iloc[0]
    x, y = np.array([0.2, 0.4, 0.8]), np.array([0.1, 0.05, 0.05])
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    assert row["estimate"] == pytest.approx(slope) and row["first_year"] == 2020 and row["last_year"] == 2022


def test_beta_leaves_out_a_region_whose_series_breaks():
    frame = pd.DataFrame({2020: [0.2, 0.4, 0.6, 0.9], 2024: [0.6, 0.7, 0.8, 0.1]}, index=list("wxyz"))
    breaks = pd.DataFrame({2020: [False] * 4, 2024: [False, False, False, True]}, index=list("wxyz"))
    row = beta_table({"index": frame}, countries=pd.Series("PP", index=frame.index), breaks={"index": breaks}).iloc[0]
    assert row["regions"] == 3


def test_theil_between_share_by_hand():
    # X = {1, 3}, Y = {2, 6}, each region once; mean 3
    # T = 1/4 [(1/3) ln(1/3) + 1 ln 1 + (2/3) ln(2/3) + 2 ln 2] = 1/4 (-0.366204 + 0 - 0.270310 + 1.386294) = 0.187445
    # between = S_X ln(2/3) + S_Y ln(4/3) with S_X = 4/12, S_Y = 8/12: -0.135155 + 0.191788 = 0.056633 (30.213 %)
    values = {"access": pd.DataFrame({2020: [1.0, 3.0, 2.0, 6.0]}, index=REGIONS)}
    sides = pd.Series(["X", "X", "Y", "Y"], index=REGIONS)
    table, notes = theil_by_year(values, partitions={"side": sides})
    at = {"variable": "access", "year": 2020, "scope": "side", "panel": "all"}
    assert pick(table, **at, measure="theil_total") == pytest.approx(0.187445, abs=1e-6)
    assert pick(table, **at, measure="theil_between") == pytest.approx(0.056633, abs=1e-6)
    assert pick(table, **at, measure="theil_between_share_pct") == pytest.approx(30.213, abs=1e-3)
    assert not notes


def test_theil_with_one_side_weighted_has_no_between_share_and_says_so():
    values = {"access": pd.DataFrame({2020: [1.0, 3.0, 2.0, 6.0], 2021: [1.0, 3.0, 2.0, 6.0]}, index=REGIONS)}
    population = pd.DataFrame({2020: [1.0, 1.0, 1.0, 1.0], 2021: [1.0, 1.0, np.nan, np.nan]}, index=REGIONS)
    sides = pd.Series(["X", "X", "Y", "Y"], index=REGIONS)
    table, notes = theil_by_year(values, partitions={"side": sides}, population=population)
    assert np.isnan(pick(table, variable="access", year=2021, scope="side", panel="all",
                         measure="theil_between_share_pct"))
    assert notes == ["Theil of access: in 2021 (all panel), 2020 (balanced panel), 2021 (balanced panel) every region "
                     "with a value and a weight is in one side group, so no share lies between side groups"]


def test_group_means_and_their_trend():
    effect = pd.DataFrame({2020: [-0.3, -0.1, 0.2, np.nan], 2021: [-0.2, 0.0, 0.2, 0.0], 2022: [-0.1, 0.1, 0.2, 0.0]},
                          index=REGIONS)
    table = group_means(effect, countries=COUNTRIES, variable="index", measure="border_effect_mean")
    assert pick(table, year=2020, scope="country", group="PP") == pytest.approx(-0.2)
    trend = convergence_trends(table)
    row = trend[(trend["scope"] == "country") & (trend["group"] == "PP")].iloc[0]
    assert row["estimate"] == pytest.approx(0.1) and row["verdict"] == "rising"
