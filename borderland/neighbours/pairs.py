"""The pair table: one row per unordered pair of neighbours, with both sides' values and the gap.

:func:`adjacent_pairs` orients each pair (the focus country's region first across a border, so
a positive gap means "the focus side leads") and labels its border segment; :func:`pair_gaps`
adds both values, the signed, absolute and relative gap (:func:`relative_gap`), which side leads
and how the gap ranks; :func:`pair_table` is both.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.border import segment_label
from borderland.layers import require_projected
from borderland.neighbours.graph import NeighbourGraph, _require_graph

__all__ = ["adjacent_pairs", "pair_gaps", "pair_table", "relative_gap"]


def adjacent_pairs(
    regions: gpd.GeoDataFrame,
    graph: NeighbourGraph,
    *,
    focus_country: str | None = None,
) -> gpd.GeoDataFrame:
    """One row per unordered pair of adjacent regions, oriented and labelled.

    In a cross-border pair involving the focus country, ``region_a`` is the focus country's
    region, so a positive gap always means "the focus side leads". Other pairs are ordered by
    country, then code.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``name`` and ``country``).
    graph
        From :func:`neighbour_graph`: its pairs, in either orientation.
    focus_country
        ISO alpha-2 code of the study's central country.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_a``, ``region_b``, ``name_a``, ``name_b``, ``country_a``, ``country_b``,
        ``cross_border``, ``segment`` (e.g. ``RU-FI``; empty within a country),
        ``shared_border_km``, ``link`` (``rook``, ``queen`` or the kind of an extra link) and
        the shared line.
    """
    edges = _require_graph(graph).edges
    require_projected(regions, edges)
    a, b = edges["region_a"].to_numpy(), edges["region_b"].to_numpy()
    ca = regions["country"].reindex(a).to_numpy()
    cb = regions["country"].reindex(b).to_numpy()
    key_a = [(c != focus_country, c, r) for c, r in zip(ca, a, strict=True)]
    key_b = [(c != focus_country, c, r) for c, r in zip(cb, b, strict=True)]
    swap = np.array([x > y for x, y in zip(key_a, key_b, strict=True)], dtype=bool)
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    ca, cb = np.where(swap, cb, ca), np.where(swap, ca, cb)
    cross = ca != cb
    km = edges["shared_border_km"].to_numpy(dtype=float)
    link = edges["link"].to_numpy()
    pairs = gpd.GeoDataFrame(
        {
            "region_a": a,
            "region_b": b,
            "name_a": regions["name"].reindex(a).to_numpy(),
            "name_b": regions["name"].reindex(b).to_numpy(),
            "country_a": ca,
            "country_b": cb,
            "cross_border": cross,
            "segment": [segment_label(x, y, focus_country) if c else "" for x, y, c in zip(ca, cb, cross, strict=True)],
            "shared_border_km": km,
            "link": link,
        },
        geometry=edges.geometry.to_numpy(),
        crs=edges.crs,
    )
    return pairs.sort_values(["cross_border", "segment", "region_a", "region_b"], ascending=[False, True, True, True],
                             ignore_index=True)


def relative_gap(value_a: np.ndarray, value_b: np.ndarray) -> np.ndarray:
    """Gap relative to the mean of the two sides: ``(a - b) / ((a + b) / 2)``.

    Symmetric (swapping the sides flips the sign only) and bounded in [-2, 2] for values that
    cannot be negative (shares, a min-max index); NaN when either value is negative or both are 0,
    where a ratio has no meaning.

    Examples
    --------
    >>> relative_gap(np.array([0.75, 0.0, -1.0]), np.array([0.25, 0.0, 1.0])).tolist()
    [1.0, nan, nan]
    """
    a, b = np.asarray(value_a, dtype=float), np.asarray(value_b, dtype=float)
    # 2 (a - b) / (a + b) rather than dividing by the mean: halving a tiny sum underflows to zero
    total = a + b
    valid = (a >= 0) & (b >= 0) & (total > 0)
    out = np.full(a.shape, np.nan)
    np.divide(2 * (a - b), total, out=out, where=valid)
    return np.clip(out, -2.0, 2.0, out=out)


def pair_gaps(pairs: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Values on both sides of each pair and the gap between them.

    Parameters
    ----------
    pairs
        From :func:`adjacent_pairs`.
    values
        One value per region (e.g. the index), indexed by region code.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``pairs``: ``value_a``, ``value_b`` (named after ``values.name`` when it
        has one: ``index_a``, ``index_b``...), ``gap`` (a − b: positive when region_a leads),
        ``abs_gap``, ``relative_gap`` (see :func:`relative_gap`), ``leader`` (the code of the
        leading region; empty for ties and missing values), ``leader_country`` (its country,
        when ``pairs`` has ``country_a`` and ``country_b``) and ``gap_percentile`` (percentage
        of the pairs with a gap whose absolute gap is at most this one's: 100 for the largest).
    """
    stem = values.name or "value"
    va = values.reindex(pairs["region_a"]).to_numpy(dtype=float)
    vb = values.reindex(pairs["region_b"]).to_numpy(dtype=float)
    gap = va - vb
    leader = np.where(gap > 0, pairs["region_a"], np.where(gap < 0, pairs["region_b"], ""))
    out = pd.DataFrame(
        {f"{stem}_a": va, f"{stem}_b": vb, "gap": gap, "abs_gap": np.abs(gap), "relative_gap": relative_gap(va, vb),
         "leader": leader},
        index=pairs.index,
    )
    if {"country_a", "country_b"} <= set(pairs.columns):
        out["leader_country"] = np.where(gap > 0, pairs["country_a"], np.where(gap < 0, pairs["country_b"], ""))
    out["gap_percentile"] = out["abs_gap"].rank(method="max", pct=True) * 100
    return out


def pair_table(
    regions: gpd.GeoDataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    focus_country: str | None = None,
) -> gpd.GeoDataFrame:
    """The full pair table for one indicator or the index: pairs, both values and the gap.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``name`` and ``country``).
    graph
        From :func:`neighbour_graph`.
    values
        One value per region, indexed by region code; regions without a value give NaN gaps.
    focus_country
        Country whose regions come first in cross-border pairs (a negative gap: the focus side lags).

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`adjacent_pairs` and of :func:`pair_gaps`, the shared line last.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from borderland.neighbours import neighbour_graph
    >>> squares = gpd.GeoDataFrame({"name": ["P", "Q"], "country": ["AA", "BB"]}, index=["P", "Q"], crs=3035,
    ...                            geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)])
    >>> table = pair_table(squares, neighbour_graph(squares), pd.Series({"P": 0.25, "Q": 0.75}, name="index"),
    ...                    focus_country="BB")
    >>> table[["region_a", "segment", "gap", "leader", "shared_border_km"]].values.tolist()
    [['Q', 'BB-AA', 0.5, 'Q', 1.0]]
    """
    pairs = adjacent_pairs(regions, graph, focus_country=focus_country)
    gaps = pair_gaps(pairs, values)
    return gpd.GeoDataFrame(
        pd.concat([pairs.drop(columns="geometry"), gaps, pairs[["geometry"]]], axis=1),
        geometry="geometry", crs=pairs.crs,
    )

