"""Least-squares slopes, many at once: one per row of a matrix, one per group, one across regions.

Every trend of :mod:`borderland.trend` is an ordinary least-squares slope with a t-based
confidence interval (Student's t with ``n - 2`` degrees of freedom, ``scipy.special.stdtrit``: the
quantile ``scipy.stats.t.ppf`` gives, without importing ``scipy.stats``, which costs a second here):

- :func:`row_slopes`: the slope of each row of a (rows x years) matrix on the years, missing
  values left out row by row, as a few array operations over the whole matrix (a loop of
  ``scipy.stats.linregress`` takes 75 times as long over the Europe study's 193 pairs, 300 times
  over 4,000; ``benchmarks/bench_trend.py``);
- :func:`within_slopes`: one slope per group of rows with a fixed effect per row (each row's
  own level, one common slope), each row weighted: a border segment's trend over its pairs,
  unmoved when a pair's data start later than the others';
- :func:`simple_ols`: one regression of ``y`` on ``x`` across regions (beta convergence).

The standard errors are the classical ones (homoscedastic, independent errors); with yearly
data a reader should read the intervals as indicative rather than exact (serial correlation
makes them too narrow), and the docs say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["SLOPE_COLUMNS", "OlsFit", "row_slopes", "simple_ols", "t_quantile", "within_slopes"]

FloatArray = npt.NDArray[np.float64]

#: Columns of :func:`row_slopes` and :func:`within_slopes`.
SLOPE_COLUMNS: Final = ("years", "first_year", "last_year", "first", "last", "change", "slope", "slope_se",
                        "slope_ci_low", "slope_ci_high")

#: A row whose values differ from their mean by at most this share of its largest value is flat (slope 0):
#: far above the rounding of a dispersion or mean (a few units in the last place, ~1e-16), far below a change.
FLAT_RELATIVE: Final = 1e-12


def t_quantile(confidence: float, df: npt.ArrayLike) -> FloatArray:
    """The two-sided Student's t quantile for ``confidence`` (NaN where ``df`` < 1).

    Examples
    --------
    >>> round(float(t_quantile(0.95, 1)[()]), 3), bool(np.isnan(t_quantile(0.95, 0)[()]))
    (12.706, True)
    """
    from scipy import special  # imported where used (house rule): not needed on the run path

    freedom = np.asarray(df, dtype=float)
    usable = freedom >= 1
    out = np.full(freedom.shape, np.nan)
    out[usable] = special.stdtrit(freedom[usable], 0.5 + confidence / 2)
    return out


def _flattened(values: FloatArray, mask: npt.NDArray[np.bool_], deviations: FloatArray) -> FloatArray:
    """Each row's deviations from its mean, zero for a row whose values agree to within rounding.

    Such a row (a dispersion of values shifted by a constant each year, one unit in the last place
    apart) is flat: slope 0, not a "trend" of the rounding's sign with a standard error of 0.
    """
    largest = np.where(mask, np.abs(values), 0.0).max(axis=1, initial=0.0)
    flat = np.abs(deviations).max(axis=1, initial=0.0) <= FLAT_RELATIVE * largest
    return np.where(flat[:, None], 0.0, deviations)


def _ends(values: FloatArray, mask: npt.NDArray[np.bool_], years: FloatArray) -> tuple[FloatArray, ...]:
    """First and last year with a value in each row, and the values there (NaN for an empty row)."""
    has = mask.any(axis=1)
    rows = np.arange(len(values))
    first = np.argmax(mask, axis=1)
    last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    nan = np.full(len(values), np.nan)
    return (np.where(has, years[first], nan), np.where(has, years[last], nan),
            np.where(has, values[rows, first], nan), np.where(has, values[rows, last], nan))


def row_slopes(values: npt.ArrayLike, years: npt.ArrayLike, *, confidence: float = 0.95,
               index: pd.Index | None = None) -> pd.DataFrame:
    """The least-squares slope on the years of every row of a matrix, missing values left out.

    Parameters
    ----------
    values
        Rows x years; NaN where a row has no value.
    years
        The year of each column.
    confidence
        Level of the interval.
    index
        Index of the result (row numbers by default).

    Returns
    -------
    pandas.DataFrame
        One row per row of ``values``: ``years`` (with a value), ``first_year``, ``last_year``,
        ``first``, ``last``, ``change`` (last - first), ``slope`` (per year; NaN below two years;
        0 for a row whose values agree to within rounding, :data:`FLAT_RELATIVE`), ``slope_se`` and
        ``slope_ci_low``, ``slope_ci_high`` (NaN below three years: a line through two points has no
        error to estimate).

    Examples
    --------
    >>> fit = row_slopes([[1.0, 2.0, 3.0], [0.0, np.nan, 1.0], [5.0, 5.0, np.nan]], [2019, 2020, 2021])
    >>> fit[["years", "slope", "change"]].values.tolist()
    [[3.0, 1.0, 2.0], [2.0, 0.5, 1.0], [2.0, 0.0, 0.0]]
    >>> float(fit.loc[0, "slope_se"]), bool(np.isnan(fit.loc[1, "slope_ci_low"]))
    (0.0, True)
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    t = np.asarray(years, dtype=float)
    mask = ~np.isnan(y)
    n = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.where(mask, t, 0.0).sum(axis=1) / n
        y_mean = np.where(mask, y, 0.0).sum(axis=1) / n
        dt = np.where(mask, t - t_mean[:, None], 0.0)
        dy = _flattened(y, mask, np.where(mask, y - y_mean[:, None], 0.0))
        sxx = (dt * dt).sum(axis=1)
        slope = np.where(sxx > 0, (dt * dy).sum(axis=1) / np.where(sxx > 0, sxx, 1.0), np.nan)
        residual = np.where(mask, dy - np.nan_to_num(slope)[:, None] * dt, 0.0)
        df = n - 2
        se = np.where(df > 0, np.sqrt((residual * residual).sum(axis=1) / np.maximum(df, 1) / sxx), np.nan)
    half = t_quantile(confidence, df) * se
    first_year, last_year, first, last = _ends(y, mask, t)
    return pd.DataFrame({
        "years": n.astype(np.int64), "first_year": first_year, "last_year": last_year, "first": first, "last": last,
        "change": last - first, "slope": slope, "slope_se": se, "slope_ci_low": slope - half,
        "slope_ci_high": slope + half,
    }, index=index)


def within_slopes(values: npt.ArrayLike, years: npt.ArrayLike, groups: npt.ArrayLike, *,
                  weights: npt.ArrayLike | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """One slope per group of rows, each row with its own level (a fixed effect) and weight.

    Within each group, ``y[r, t] = a[r] + b t + e``, fitted by weighted least squares with the
    weight of row ``r`` on each of its observations: ``b`` is the weighted mean of the rows'
    within-row co-variation of value and year, so a row that starts later does not make a
    step in the group's line, as a mean over the rows present each year would. Rows with fewer
    than two values add nothing to the slope. The standard error is the classical one of this
    regression (degrees of freedom: observations - rows used - 1).

    Parameters
    ----------
    values
        Rows x years; NaN where a row has no value.
    years
        The year of each column.
    groups
        The group of each row.
    weights
        A positive weight per row (e.g. the shared border length of a pair); 1 each by default.
    confidence
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted): ``rows`` (with two values or more), ``observations``,
        ``slope`` (0 for a group whose rows each agree to within rounding, :data:`FLAT_RELATIVE`;
        such a row adds its years but no change), ``slope_se``, ``slope_ci_low``, ``slope_ci_high``.

    Examples
    --------
    Two pairs narrowing by 0.1 a year from different levels, one of them from a later year:
    the common slope is -0.1 exactly (a mean over the pairs present each year would jump).

    >>> values = [[0.5, 0.4, 0.3, 0.2], [np.nan, np.nan, 0.9, 0.8]]
    >>> fit = within_slopes(values, [2020, 2021, 2022, 2023], ["AA-BB", "AA-BB"])
    >>> round(float(fit.loc["AA-BB", "slope"]), 12), int(fit.loc["AA-BB", "rows"])
    (-0.1, 2)
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    t = np.asarray(years, dtype=float)
    labels = pd.Index(np.asarray(groups))
    codes, names = pd.factorize(labels, sort=True)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    mask = ~np.isnan(y)
    n = mask.sum(axis=1)
    used = n >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        t_mean = np.where(mask, t, 0.0).sum(axis=1) / n
        y_mean = np.where(mask, y, 0.0).sum(axis=1) / n
        dt = np.where(mask, t - t_mean[:, None], 0.0)
        # a flat row still spans its years (sxx) but adds no co-variation: as in row_slopes
        dy = _flattened(y, mask, np.where(mask, y - y_mean[:, None], 0.0))
    sxx, sxy, syy = ((dt * dt).sum(axis=1), (dt * dy).sum(axis=1), (dy * dy).sum(axis=1))
    k = len(names)

    def total(per_row: FloatArray) -> FloatArray:
        return np.bincount(codes[used], weights=(w * per_row)[used], minlength=k).astype(np.float64)

    s_xx, s_xy, s_yy = total(sxx), total(sxy), total(syy)
    rows = np.bincount(codes[used], minlength=k)
    observations = np.bincount(codes[used], weights=n[used], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(s_xx > 0, s_xy / s_xx, np.nan)
        # weighted residual sum of squares of the within regression: sum w (dy - b dt)^2
        rss = np.maximum(s_yy - 2 * slope * s_xy + slope * slope * s_xx, 0.0)
        df = observations - rows - 1
        se = np.where(df > 0, np.sqrt(rss / np.maximum(df, 1) / s_xx), np.nan)
    half = t_quantile(confidence, df) * se
    return pd.DataFrame({"rows": rows.astype(np.int64), "observations": observations.astype(np.int64),
                         "slope": slope, "slope_se": se, "slope_ci_low": slope - half, "slope_ci_high": slope + half},
                        index=pd.Index(names, name="group"))


@dataclass(frozen=True)
class OlsFit:
    """A least-squares line of ``y`` on ``x`` across regions.

    Attributes
    ----------
    n
        Observations used (both values present).
    slope, intercept
        The line.
    slope_se
        Classical standard error of the slope (NaN below three observations).
    ci_low, ci_high
        The slope's confidence interval.
    r_squared
        Share of the variance of ``y`` the line explains.
    """

    n: int
    slope: float
    intercept: float
    slope_se: float
    ci_low: float
    ci_high: float
    r_squared: float


def simple_ols(x: npt.ArrayLike, y: npt.ArrayLike, *, confidence: float = 0.95) -> OlsFit:
    """Least-squares line of ``y`` on ``x``, pairs with a missing value left out.

    Examples
    --------
    >>> fit = simple_ols([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0])
    >>> fit.n, fit.slope, fit.intercept, fit.slope_se, fit.r_squared
    (4, 2.0, 1.0, 0.0, 1.0)
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(xs) | np.isnan(ys))
    xs, ys = xs[keep], ys[keep]
    n = len(xs)
    nan = float("nan")
    if n < 2 or np.ptp(xs) == 0:
        return OlsFit(n, nan, nan, nan, nan, nan, nan)
    dx, dy = xs - xs.mean(), ys - ys.mean()
    sxx = float(dx @ dx)
    slope = float(dx @ dy) / sxx
    intercept = float(ys.mean() - slope * xs.mean())
    rss = float(((dy - slope * dx) ** 2).sum())
    tss = float(dy @ dy)
    se = float(np.sqrt(rss / (n - 2) / sxx)) if n > 2 else nan
    half = float(t_quantile(confidence, n - 2)[()]) * se
    return OlsFit(n, slope, intercept, se, slope - half, slope + half, 1.0 - rss / tss if tss > 0 else nan)
