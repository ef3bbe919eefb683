"""The divide over the years: every cross-border gap each year, its trend, and the border effect.

Everything here works on matrices of pairs (or regions) x years, so that a study of a few
hundred pairs over twenty years is a few array operations:

- :func:`pair_gaps`: the gap (a - b) of every cross-border pair each year, from the index
  matrix, with the orientation of :func:`borderland.neighbours.adjacent_pairs` (the focus
  country's region first);
- :func:`gap_trends`: per pair, the least-squares slope of the gap and of its absolute value
  with their confidence intervals, the change from the first to the last year and what
  happened to the gap (:data:`STATUSES`); per border segment the same, its slope the within-pair
  slope of :func:`borderland.trend.regression.within_slopes` (weighted by shared length), so
  that a pair whose data start later does not make a step in the segment's line. A trend
  never runs across a break in a series (a change of definition or publisher, a break flag):
  each pair's trend starts in the year after its last break;
- :func:`segment_series`: each segment's length-weighted mean gap each year (the chart);
- :func:`border_effect`: each region's border effect each year, the mean of its same-country
  neighbours minus the mean of its cross-border ones (as
  :func:`borderland.neighbours.local_deviation`, tested so), as two sparse matrix products.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland.neighbours import NeighbourGraph, adjacent_pairs
from borderland.trend.regression import row_slopes, within_slopes

__all__ = [
    "STATUSES",
    "VERDICTS",
    "border_effect",
    "cross_border_pairs",
    "gap_status",
    "gap_trends",
    "pair_gaps",
    "segment_series",
    "since_last_break",
    "slope_verdict",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: What happened to a gap between its first and last year (``closed_below`` decides "closed").
STATUSES: Final[Mapping[str, str]] = {
    "changed sign": "the other side leads in the last year, both gaps beyond closed_below",
    "closed": "the absolute gap fell to closed_below or less",
    "narrowed": "the absolute gap is smaller in the last year",
    "widened": "the absolute gap is larger in the last year",
    "stayed closed": "the absolute gap was at most closed_below in both years",
    "unchanged": "the same gap in both years",
    "one year": "a gap in one year only",
    "no gap": "no year with a value on both sides",
    "no common pair": "no pair of the segment has a gap in both its first and last years",
}

#: What the confidence interval of a slope says.
VERDICTS: Final[Mapping[str, str]] = {
    "narrowing": "the absolute gap's slope and its whole interval are below 0",
    "widening": "the absolute gap's slope and its whole interval are above 0",
    "no clear trend": "the interval of the absolute gap's slope holds 0 (stalled)",
    "two years": "two years give a change but no interval",
    "": "fewer than two years",
}


def cross_border_pairs(regions: gpd.GeoDataFrame, graph: NeighbourGraph, *,
                       focus_country: str | None = None) -> gpd.GeoDataFrame:
    """The cross-border pairs of the neighbour graph, indexed by a pair id ``"a|b"``.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``name`` and ``country``).
    graph
        From :func:`borderland.neighbours.neighbour_graph`.
    focus_country
        Its regions come first in a pair (a negative gap: the focus side lags).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`borderland.neighbours.adjacent_pairs` for the cross-border pairs;
        the index ``pair``.
    """
    pairs = adjacent_pairs(regions, graph, focus_country=focus_country)
    cross = pairs[pairs["cross_border"].astype(bool)].copy()
    cross.index = pd.Index(cross["region_a"].astype(str) + "|" + cross["region_b"].astype(str), name="pair")
    return cross


def pair_gaps(pairs: pd.DataFrame, index: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Both sides' values and the gap (a - b) of every pair in every year.

    Parameters
    ----------
    pairs
        With ``region_a`` and ``region_b``.
    index
        Regions x years (the index on one scale).

    Returns
    -------
    tuple of numpy.ndarray
        ``value_a``, ``value_b`` and ``gap``, pairs x years (NaN where a side has no value).

    Examples
    --------
    >>> index = pd.DataFrame({2020: [0.2, 0.8], 2021: [0.4, 0.7]}, index=["P", "Q"])
    >>> pair_gaps(pd.DataFrame({"region_a": ["P"], "region_b": ["Q"]}), index)[2].round(2).tolist()
    [[-0.6, -0.3]]
    """
    a = index.reindex(pairs["region_a"]).to_numpy(dtype=float)
    b = index.reindex(pairs["region_b"]).to_numpy(dtype=float)
    return a, b, a - b


def since_last_break(values: npt.ArrayLike, breaks: npt.ArrayLike) -> FloatArray:
    """Values from each row's last break on (earlier ones NaN): a trend never runs across a break.

    A break in year ``t`` means the value of ``t`` is not one series with the values before it
    (a change of definition or publisher, a flagged break), so the row's comparable stretch
    starts at its last break.

    Examples
    --------
    >>> since_last_break([[1.0, 2.0, 3.0, 4.0]], [[False, False, True, False]]).tolist()
    [[nan, nan, 3.0, 4.0]]
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    b = np.atleast_2d(np.asarray(breaks, dtype=bool))
    columns = np.arange(y.shape[1])
    start = np.max(np.where(b, columns, 0), axis=1)
    result: FloatArray = np.where(columns[None, :] >= start[:, None], y, np.nan)
    return result


def gap_status(first: npt.ArrayLike, last: npt.ArrayLike, years: npt.ArrayLike, *, closed_below: float,
               first_abs: npt.ArrayLike | None = None, last_abs: npt.ArrayLike | None = None
               ) -> npt.NDArray[np.object_]:
    """What happened to each gap between its first and last year (:data:`STATUSES`).

    Parameters
    ----------
    first, last
        The signed gaps (a sign change is read from them).
    years
        Years with a gap (0: "no gap", 1: "one year").
    closed_below
        A gap at most this large (absolute) is closed.
    first_abs, last_abs
        The absolute gaps to compare, when they are not those of ``first`` and ``last`` (a
        segment's mean absolute gap is not the absolute value of its mean signed gap).

    Examples
    --------
    >>> gap_status([0.3, -0.3, 0.3, 0.3, 0.02], [0.01, 0.2, 0.1, 0.4, 0.03], [5, 5, 5, 5, 5],
    ...            closed_below=0.05).tolist()
    ['closed', 'changed sign', 'narrowed', 'widened', 'stayed closed']
    """
    f, lst, n = (np.asarray(v, dtype=float) for v in (first, last, years))
    af = np.abs(f) if first_abs is None else np.asarray(first_abs, dtype=float)
    al = np.abs(lst) if last_abs is None else np.asarray(last_abs, dtype=float)
    conditions = [n < 1, n < 2, (f * lst < 0) & (np.abs(f) > closed_below) & (np.abs(lst) > closed_below),
                  (al <= closed_below) & (af <= closed_below), (al <= closed_below) & (af > closed_below),
                  al < af, al > af]
    result: npt.NDArray[np.object_] = np.select(
        conditions, ["no gap", "one year", "changed sign", "stayed closed", "closed", "narrowed", "widened"],
        "unchanged").astype(object)
    return result


def slope_verdict(low: npt.ArrayLike, high: npt.ArrayLike, years: npt.ArrayLike, *,
                  falling: str = "narrowing", rising: str = "widening") -> npt.NDArray[np.object_]:
    """What a slope's confidence interval says (:data:`VERDICTS`), for slopes of absolute gaps by default.

    Examples
    --------
    >>> slope_verdict([-0.3, 0.1, -0.1, np.nan], [-0.1, 0.2, 0.1, np.nan], [5, 5, 5, 2]).tolist()
    ['narrowing', 'widening', 'no clear trend', 'two years']
    """
    lo, hi, n = (np.asarray(v, dtype=float) for v in (low, high, years))
    result: npt.NDArray[np.object_] = np.select(
        [n < 2, n == 2, hi < 0, lo > 0], ["", "two years", falling, rising], "no clear trend").astype(object)
    return result


def gap_trends(pairs: pd.DataFrame, gaps: npt.ArrayLike, years: npt.ArrayLike, *,
               breaks: npt.ArrayLike | None = None, closed_below: float = 0.05,
               confidence: float = 0.95) -> pd.DataFrame:
    """The trend of every cross-border pair's gap, and of every border segment's.

    Parameters
    ----------
    pairs
        Cross-border pairs, indexed by pair id, with ``segment`` and ``shared_border_km`` (the
        segment's weights; pairs without a shared line, such as extra links, count for their
        own trend but not for the segment's, as in :func:`borderland.neighbours.segment_summary`).
    gaps
        Pairs x years, the signed gap (a - b); NaN where a side has no value or the year is
        left out.
    years
        The year of each column.
    breaks
        Pairs x years: a break in either region's series that year.
    closed_below
        A gap at most this large (absolute) counts as closed (:func:`gap_status`).
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per pair (``scope`` = ``"pair"``, ``id`` the pair id) and per segment (``scope``
        = ``"segment"``): ``segment``, ``pairs`` (the segment's pairs with two gaps or more),
        ``years``, ``first_year``, ``last_year``, ``first_gap``, ``last_gap``, ``change``
        (of the signed gap), ``abs_change`` (of the absolute gap; a segment's from its
        ``first_abs_gap`` to its ``last_abs_gap``, the length-weighted mean absolute gaps), ``slope`` and
        ``abs_slope`` (per year) with ``_se``, ``_ci_low``, ``_ci_high``, ``status``
        (:data:`STATUSES`), ``trend`` (:data:`VERDICTS`, from the absolute gap's interval),
        ``broken`` (the pair's series break in the years: its trend starts after the last break).
        A segment's first and last gaps are its pairs' length-weighted means in its first and last
        years over the pairs with a gap in both.

    Examples
    --------
    >>> pairs = pd.DataFrame({"segment": ["AA-BB"], "shared_border_km": [5.0]}, index=pd.Index(["P|Q"], name="pair"))
    >>> trends = gap_trends(pairs, [[-0.4, -0.3, -0.25, -0.1]], [2019, 2020, 2021, 2022])
    >>> trends[["scope", "id", "status", "trend"]].values.tolist()
    [['pair', 'P|Q', 'narrowed', 'narrowing'], ['segment', 'AA-BB', 'narrowed', 'narrowing']]
    >>> round(float(trends.loc[0, "abs_slope"]), 3)
    -0.095
    """
    raw = np.atleast_2d(np.asarray(gaps, dtype=float))
    t = np.asarray(years, dtype=float)
    broke = np.zeros(raw.shape, dtype=bool) if breaks is None else np.atleast_2d(np.asarray(breaks, dtype=bool))
    # a break before a pair's first gap starts nothing: only breaks after it cut the series
    seen = np.maximum.accumulate(~np.isnan(raw), axis=1)
    cut = broke & np.concatenate([np.zeros((len(raw), 1), dtype=bool), seen[:, :-1]], axis=1)
    y = since_last_break(raw, cut)
    signed = row_slopes(y, t, confidence=confidence, index=pairs.index)
    absolute = row_slopes(np.abs(y), t, confidence=confidence, index=pairs.index)
    pair_rows = pd.DataFrame({
        "scope": "pair", "id": pairs.index.astype(str), "segment": pairs["segment"].to_numpy(),
        "pairs": 1, "years": signed["years"], "first_year": signed["first_year"], "last_year": signed["last_year"],
        "first_gap": signed["first"], "last_gap": signed["last"], "change": signed["change"],
        "abs_change": absolute["change"],
        **{f"{stem}{part}": frame[f"slope{part}"] for stem, frame in (("slope", signed), ("abs_slope", absolute))
           for part in ("", "_se", "_ci_low", "_ci_high")},
        "broken": cut.any(axis=1),
    }, index=pairs.index)
    pair_rows["status"] = gap_status(pair_rows["first_gap"], pair_rows["last_gap"], pair_rows["years"],
                                     closed_below=closed_below)
    pair_rows["trend"] = slope_verdict(pair_rows["abs_slope_ci_low"], pair_rows["abs_slope_ci_high"],
                                       pair_rows["years"])
    segment_rows = _segment_trends(pairs, y, t, closed_below=closed_below, confidence=confidence)
    return pd.concat([pair_rows.reset_index(drop=True), segment_rows], ignore_index=True)


def _segment_trends(pairs: pd.DataFrame, gaps: FloatArray, years: FloatArray, *, closed_below: float,
                    confidence: float) -> pd.DataFrame:
    """Per segment: the within-pair slopes and the length-weighted first and last gaps of the pairs spanning them."""
    length = pairs["shared_border_km"].to_numpy(dtype=float)
    lined = length > 0
    if not lined.any():
        return pd.DataFrame(columns=["scope", "id", "segment"])
    segment = pairs["segment"].to_numpy(dtype=object)[lined]
    y, w = gaps[lined], length[lined]
    signed = within_slopes(y, years, segment, weights=w, confidence=confidence)
    absolute = within_slopes(np.abs(y), years, segment, weights=w, confidence=confidence)
    present = ~np.isnan(y)
    frame = pd.DataFrame(present, columns=years).groupby(segment).any()
    first = frame.idxmax(axis=1).where(frame.any(axis=1))
    last = frame.iloc[:, ::-1].idxmax(axis=1).where(frame.any(axis=1))
    rows = []
    for name in signed.index:
        mine = segment == name
        f, lst = first.get(name, np.nan), last.get(name, np.nan)
        years_with = int(frame.loc[name].sum()) if name in frame.index else 0
        first_gap = last_gap = first_abs = last_abs = np.nan
        spanning = 0
        if pd.notna(f) and pd.notna(lst):
            cf, cl = int(np.flatnonzero(years == f)[0]), int(np.flatnonzero(years == lst)[0])
            both = mine & present[:, cf] & present[:, cl]
            spanning = int(both.sum())
            if spanning:
                first_gap = float(np.average(y[both, cf], weights=w[both]))
                last_gap = float(np.average(y[both, cl], weights=w[both]))
                first_abs = float(np.average(np.abs(y[both, cf]), weights=w[both]))
                last_abs = float(np.average(np.abs(y[both, cl]), weights=w[both]))
        rows.append({
            "scope": "segment", "id": str(name), "segment": str(name), "pairs": int(signed.loc[name, "rows"]),
            "pairs_spanning": spanning, "years": years_with, "first_year": f, "last_year": lst,
            "first_gap": first_gap, "last_gap": last_gap, "change": last_gap - first_gap,
            "first_abs_gap": first_abs, "last_abs_gap": last_abs, "abs_change": last_abs - first_abs,
            **{f"{stem}{part}": float(fit.loc[name, f"slope{part}"]) for stem, fit in (("slope", signed),
                                                                                     ("abs_slope", absolute))
               for part in ("", "_se", "_ci_low", "_ci_high")},
            "broken": False,
        })
    out = pd.DataFrame(rows)
    out["status"] = gap_status(out["first_gap"], out["last_gap"], out["years"], closed_below=closed_below,
                               first_abs=out["first_abs_gap"], last_abs=out["last_abs_gap"])
    out.loc[(out["years"] > 0) & (out["pairs_spanning"] == 0), "status"] = "no common pair"
    out["trend"] = slope_verdict(out["abs_slope_ci_low"], out["abs_slope_ci_high"], out["years"])
    return out


def segment_series(pairs: pd.DataFrame, gaps: npt.ArrayLike, years: npt.ArrayLike) -> pd.DataFrame:
    """Each border segment's gap each year: length-weighted means over the pairs with a gap that year.

    Parameters
    ----------
    pairs
        Cross-border pairs with ``segment`` and ``shared_border_km`` (pairs without a shared
        line are left out, as in :func:`borderland.neighbours.segment_summary`).
    gaps
        Pairs x years.
    years
        The year of each column.

    Returns
    -------
    pandas.DataFrame
        One row per segment and year: ``segment``, ``year``, ``pairs_with_gap``, ``gap_km``,
        ``mean_gap_length_weighted``, ``mean_abs_gap_length_weighted``, ``max_abs_gap``.

    Examples
    --------
    >>> pairs = pd.DataFrame({"segment": ["AA-BB", "AA-BB"], "shared_border_km": [1.0, 3.0]})
    >>> series = segment_series(pairs, [[0.4, np.nan], [0.0, 0.2]], [2020, 2021])
    >>> series[["year", "pairs_with_gap", "mean_gap_length_weighted"]].round(12).values.tolist()
    [[2020.0, 2.0, 0.1], [2021.0, 1.0, 0.2]]
    """
    y = np.atleast_2d(np.asarray(gaps, dtype=float))
    length = pairs["shared_border_km"].to_numpy(dtype=float)
    lined = length > 0
    y, w = y[lined], length[lined]
    segment = pairs["segment"].to_numpy(dtype=object)[lined]
    present = ~np.isnan(y)
    weight = np.where(present, w[:, None], 0.0)
    grouped = {name: np.flatnonzero(segment == name) for name in sorted(set(segment))}
    frames = []
    for name, rows in grouped.items():
        km = weight[rows].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (np.nan_to_num(y[rows]) * weight[rows]).sum(axis=0) / km
            mean_abs = (np.abs(np.nan_to_num(y[rows])) * weight[rows]).sum(axis=0) / km
        largest = np.where(present[rows].any(axis=0), np.nanmax(np.where(present[rows], np.abs(y[rows]), -np.inf),
                                                                axis=0), np.nan)
        frames.append(pd.DataFrame({"segment": name, "year": np.asarray(years), "pairs_with_gap":
                                    present[rows].sum(axis=0), "gap_km": km, "mean_gap_length_weighted": mean,
                                    "mean_abs_gap_length_weighted": mean_abs, "max_abs_gap": largest}))
    columns = ["segment", "year", "pairs_with_gap", "gap_km", "mean_gap_length_weighted",
               "mean_abs_gap_length_weighted", "max_abs_gap"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def border_effect(graph: NeighbourGraph, index: pd.DataFrame) -> pd.DataFrame:
    """Each region's border effect each year: same-country neighbours' mean minus cross-border neighbours' mean.

    The deviation of a region from its cross-border neighbours minus its deviation from its
    same-country neighbours (:func:`borderland.neighbours.local_deviation`, ``mean_of_ratios``),
    for every year at once: each neighbourhood's mean is a sparse matrix product over the
    regions x years matrix. Positive where the neighbours across the border lag behind the
    region's compatriots; NaN where the region, or either neighbourhood, has no value.

    Parameters
    ----------
    graph
        The neighbour graph (with countries).
    index
        Regions x years.

    Returns
    -------
    pandas.DataFrame
        Regions x years, indexed like ``index``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from borderland.neighbours import neighbour_graph
    >>> row = gpd.GeoDataFrame({"country": ["AA", "AA", "BB"]}, index=["P", "Q", "R"], crs=3035,
    ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(3)])
    >>> index = pd.DataFrame({2020: [0.2, 0.5, 0.9], 2021: [0.3, 0.6, 0.8]}, index=["P", "Q", "R"])
    >>> border_effect(neighbour_graph(row), index).loc["Q"].round(2).tolist()
    [-0.7, -0.5]
    """
    from scipy import sparse

    ids = graph.ids
    values = index.reindex(ids).to_numpy(dtype=float)
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    n = len(ids)
    context = {}
    for name, links in (("same", ~graph.cross_border), ("cross", graph.cross_border)):
        matrix = sparse.csr_array((np.ones(int(links.sum())), (graph.focal[links], graph.neighbour[links])),
                                  shape=(n, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            context[name] = (matrix @ filled) / (matrix @ present.astype(float))
    effect = np.where(present, context["same"] - context["cross"], np.nan)
    return pd.DataFrame(effect, index=ids, columns=index.columns).reindex(index.index)
