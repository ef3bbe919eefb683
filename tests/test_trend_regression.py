"""Least-squares slopes of borderland.trend.regression: by hand, and against scipy and numpy's lstsq."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.trend.divide import slope_verdict
from borderland.trend.regression import row_slopes, simple_ols, t_quantile, within_slopes


def test_a_row_slope_worked_out_by_hand():
    # y = 1, 3, 2 in years 0, 1, 2: t_mean 1, y_mean 2; Sxy = (-1)(-1) + 0 + (1)(0) = 1, Sxx = 2, slope 0.5;
    # fitted 1.5, 2, 2.5, residuals -0.5, 1, -0.5, SSR 1.5 on 1 degree of freedom:
    # se = sqrt(1.5 / 1 / 2) = 0.8660; t(0.975, 1) = 12.7062, so the interval is 0.5 -+ 11.0039
    fit = row_slopes([[1.0, 3.0, 2.0]], [0, 1, 2]).iloc[0]
    assert fit["slope"] == pytest.approx(0.5)
    assert fit["slope_se"] == pytest.approx(np.sqrt(0.75))
    assert fit["slope_ci_low"] == pytest.approx(0.5 - 12.7062047 * np.sqrt(0.75))
    assert fit["slope_ci_high"] == pytest.approx(0.5 + 12.7062047 * np.sqrt(0.75))
    assert (fit["years"], fit["first"], fit["last"], fit["change"]) == (3, 1.0, 2.0, 1.0)


def test_rows_with_missing_years_use_their_own_years():
    fit = row_slopes([[np.nan, 2.0, np.nan, 4.0], [np.nan] * 4, [7.0, np.nan, np.nan, np.nan]],
                     [2020, 2021, 2022, 2023])
    assert fit["years"].tolist() == [2, 0, 1]
    assert fit.loc[0, "slope"] == pytest.approx(1.0)
    assert (fit.loc[0, "first_year"], fit.loc[0, "last_year"]) == (2021, 2023)
    assert np.isnan(fit.loc[0, "slope_se"])  # two points: no error to estimate
    assert fit.loc[1, ["slope", "first"]].isna().all() and np.isnan(fit.loc[2, "slope"])


def test_a_row_equal_to_within_rounding_is_flat():
    # the standard deviation of nine regions shifted by 0, 0.125 and 0.5 (tests/test_trend_convergence.py):
    # the same each year, computed one unit in the last place apart each time; a line through them falls by
    # 5.6e-17 a year with a standard error of 0, which a verdict would read as converging
    same = [0.4396654412127055, 0.43966544121270545, 0.4396654412127054]
    fit = row_slopes([same, [0.44, 0.43, 0.42]], [2010, 2011, 2012])
    assert fit.loc[0, ["slope", "slope_se", "slope_ci_low", "slope_ci_high"]].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert fit.loc[0, "change"] == same[2] - same[0]  # what the row holds is reported as it is
    assert fit.loc[1, "slope"] == pytest.approx(-0.01)  # a change of 1e-2 is a change


@settings(deadline=None, max_examples=60)
@given(st.lists(st.lists(st.one_of(st.none(), st.floats(-1, 1, allow_nan=False)), min_size=6, max_size=6),
                min_size=1, max_size=8))
def test_row_slopes_equal_linregress_row_by_row(rows):
    from scipy import stats

    values = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    years = np.arange(2015, 2021, dtype=float)
    fit = row_slopes(values, years)
    for k, row in enumerate(values):
        keep = ~np.isnan(row)
        if keep.sum() < 3 or np.ptp(row[keep]) == 0:
            continue
        peer = stats.linregress(years[keep], row[keep])
        half = stats.t.ppf(0.975, keep.sum() - 2) * peer.stderr
        assert fit.loc[k, "slope"] == pytest.approx(peer.slope, abs=1e-9)
        assert fit.loc[k, "slope_se"] == pytest.approx(peer.stderr, abs=1e-9)
        assert fit.loc[k, "slope_ci_high"] == pytest.approx(peer.slope + half, abs=1e-8)


def test_t_quantile_equals_scipy_stats():
    from scipy import stats

    df = np.array([1, 2, 5, 30])
    assert t_quantile(0.9, df) == pytest.approx(stats.t.ppf(0.95, df))
    assert np.isnan(t_quantile(0.95, [0])).all()


def _fixed_effects_lstsq(values, years, weights):
    """The within slope by brute force: weighted least squares with one dummy per row."""
    rows, columns = np.nonzero(~np.isnan(values))
    y = values[rows, columns]
    design = np.column_stack([np.asarray(years, dtype=float)[columns],
                              *(rows == r for r in range(values.shape[0]))]).astype(float)
    root = np.sqrt(np.asarray(weights, dtype=float)[rows])
    beta, *_ = np.linalg.lstsq(design * root[:, None], y * root, rcond=None)
    residual = (y - design @ beta) * root
    df = len(y) - design.shape[1]
    covariance = residual @ residual / df * np.linalg.inv((design * root[:, None]).T @ (design * root[:, None]))
    return beta[0], np.sqrt(covariance[0, 0])


def test_within_slopes_equal_a_fixed_effects_regression():
    rng = np.random.default_rng(7)
    values = rng.normal(0.2, 0.1, (4, 6)) + 0.01 * np.arange(6)
    values[1, :3] = np.nan  # a pair whose data start later
    values[3, [1, 4]] = np.nan
    weights = [120.0, 35.0, 80.0, 10.0]
    fit = within_slopes(values, np.arange(2010, 2016), ["S"] * 4, weights=weights)
    slope, se = _fixed_effects_lstsq(values, np.arange(2010, 2016), weights)
    assert fit.loc["S", "slope"] == pytest.approx(slope, rel=1e-9)
    assert fit.loc["S", "slope_se"] == pytest.approx(se, rel=1e-9)
    assert (fit.loc["S", "rows"], fit.loc["S", "observations"]) == (4, 19)


def test_within_slopes_are_one_per_group_and_ignore_single_values():
    values = [[0.3, 0.2, 0.1], [0.9, np.nan, np.nan], [0.1, 0.3, 0.5]]
    fit = within_slopes(values, [2020, 2021, 2022], ["A-B", "A-B", "C-D"])
    assert fit.index.tolist() == ["A-B", "C-D"]
    assert fit.loc["A-B", "slope"] == pytest.approx(-0.1) and fit.loc["A-B", "rows"] == 1
    assert fit.loc["C-D", "slope"] == pytest.approx(0.2)


def test_a_group_equal_to_within_rounding_is_flat():
    # the row of test_a_row_equal_to_within_rounding_is_flat, twice, in one segment beside a constant pair: its
    # within slope came out -5.6e-17 a year with a standard error of 0, an interval below 0 that slope_verdict
    # read as "narrowing"; the other segment's pair falls by 1e-2 a year, which is a change
    same = [0.4396654412127055, 0.43966544121270545, 0.4396654412127054]
    fit = within_slopes([same, same, [0.2, 0.2, 0.2], [0.44, 0.43, 0.42]], [2010, 2011, 2012],
                        ["A-B", "A-B", "A-B", "C-D"], weights=[3.0, 1.0, 2.0, 1.0])
    assert fit.loc["A-B", ["slope", "slope_se", "slope_ci_low", "slope_ci_high"]].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert (fit.loc["A-B", "rows"], fit.loc["A-B", "observations"]) == (3, 9)  # flat rows are still rows
    assert fit.loc["C-D", "slope"] == pytest.approx(-0.01)
    assert slope_verdict(fit["slope_ci_low"], fit["slope_ci_high"], [3, 3]).tolist() == ["no clear trend", "narrowing"]


def _nudged(value, units):
    """``value`` moved ``units`` units in the last place (up when positive)."""
    for _ in range(abs(units)):
        value = np.nextafter(value, np.inf if units > 0 else -np.inf)
    return value


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(st.floats(1e-3, 1e3), st.sampled_from([-1.0, 1.0]),
                          st.lists(st.integers(-3, 3), min_size=4, max_size=4)), min_size=1, max_size=5),
       st.lists(st.floats(0.1, 100), min_size=5, max_size=5))
def test_rows_a_few_units_in_the_last_place_apart_have_no_within_slope(rows, weights):
    # each row holds one level, each year's value a few units in the last place from it: the rounding of the
    # same figure computed four times; within a group as in a row alone, that is no trend
    values = np.array([[_nudged(sign * level, k) for k in units] for level, sign, units in rows])
    fit = within_slopes(values, [2020, 2021, 2022, 2023], ["S"] * len(rows), weights=weights[:len(rows)])
    assert fit.loc["S", ["slope", "slope_ci_low", "slope_ci_high"]].tolist() == [0.0, 0.0, 0.0]
    assert (row_slopes(values, [2020, 2021, 2022, 2023])["slope"] == 0.0).all()


def test_simple_ols_equals_linregress():
    from scipy import stats

    x, y = np.array([0.2, 0.4, 0.5, 0.9, 0.1]), np.array([0.04, 0.03, 0.02, 0.0, 0.05])
    fit, peer = simple_ols(x, y), stats.linregress(x, y)
    assert (fit.slope, fit.intercept, fit.slope_se, fit.r_squared) == pytest.approx(
        (peer.slope, peer.intercept, peer.stderr, peer.rvalue ** 2))
    assert fit.ci_low == pytest.approx(peer.slope - stats.t.ppf(0.975, 3) * peer.stderr)


def test_simple_ols_without_spread_is_nan():
    fit = simple_ols([1.0, 1.0, 1.0], [0.0, 1.0, 2.0])
    assert fit.n == 3 and np.isnan(fit.slope)


def test_row_slopes_keep_the_index():
    fit = row_slopes([[1.0, 2.0]], [1, 2], index=pd.Index(["P|Q"], name="pair"))
    assert fit.index.tolist() == ["P|Q"]
