"""Border segments: per pair of countries (``RU-FI``...), how large the gap is and where it is steepest.

:func:`segment_summary` sums the cross-border pairs of the pair table
(:func:`borderland.neighbours.pair_table`) per segment: the length-weighted gap, the largest gaps,
the segment's share of the whole cross-border gap and, where one was published, a country-pair
figure (:func:`published_pair_figures`) joined to it, never filled.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import SchemaError

__all__ = ["PUBLISHED_PAIR_INDICATOR", "published_pair_figures", "segment_summary"]

#: Published country-pair figure joined to border segments by default.
PUBLISHED_PAIR_INDICATOR: Final = "expert_rating_of_crossborder_interaction"


def published_pair_figures(
    table: pd.DataFrame, *, indicator: str = PUBLISHED_PAIR_INDICATOR, year: int | str | None = None
) -> pd.DataFrame:
    """Published figures that belong to a pair of countries, one row per unordered pair.

    Parameters
    ----------
    table
        Rows ``subject``, ``partner``, ``indicator``, ``year``, ``value`` (as
        ``geodata/published_figures.csv``); only rows of ``indicator`` whose subject and
        partner are both country codes (two letters) are used.
    indicator
        Which figure.
    year
        Keep only this year; needed when a pair has figures for several years.

    Returns
    -------
    pandas.DataFrame
        ``country_1``, ``country_2`` (alphabetical), ``value``, ``year``.
    """
    needed = ["subject", "partner", "indicator", "year", "value"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise SchemaError(f"published figures: column(s) {', '.join(missing)} missing "
                          f"(columns: {', '.join(map(str, table.columns))})")
    rows = table[table["indicator"] == indicator]
    if year is not None:
        rows = rows[rows["year"].astype(str) == str(year)]
    subject = rows["subject"].astype("string").str.strip().str.upper()
    partner = rows["partner"].astype("string").str.strip().str.upper()
    country = subject.str.fullmatch(r"[A-Z]{2}").fillna(False) & partner.str.fullmatch(r"[A-Z]{2}").fillna(False)
    rows, subject, partner = rows[country], subject[country], partner[country]
    ordered = [sorted(pair) for pair in zip(subject, partner, strict=True)]
    out = pd.DataFrame({
        "country_1": [pair[0] for pair in ordered],
        "country_2": [pair[1] for pair in ordered],
        "value": pd.to_numeric(rows["value"], errors="coerce").to_numpy(),
        "year": rows["year"].astype(str).to_numpy(),
    })
    twice = out[out.duplicated(["country_1", "country_2"], keep=False)]
    if len(twice):
        listed = sorted({f"{a}-{b}" for a, b in zip(twice["country_1"], twice["country_2"], strict=True)})
        raise SchemaError(f"published figures: {indicator!r} has more than one row for {', '.join(listed)} "
                          f"(years {', '.join(sorted(set(twice['year'])))}); choose one with year=")
    return out.reset_index(drop=True)


def segment_summary(
    pairs: gpd.GeoDataFrame,
    *,
    published: pd.DataFrame | None = None,
    indicator: str = PUBLISHED_PAIR_INDICATOR,
    top: int = 3,
) -> gpd.GeoDataFrame:
    """Per border segment (``RU-FI``, ``RU-BY``...): how large the gap is and where it is steepest.

    Only cross-border pairs that share a line count (point contacts and extra links have no
    border length to weight by).

    Parameters
    ----------
    pairs
        From :func:`pair_table` (needs ``segment``, ``cross_border``, ``shared_border_km``,
        ``gap``, ``abs_gap``, names and codes of both sides).
    published
        Optional published figures (see :func:`published_pair_figures`); the figure of the
        segment's two countries, in either order, is joined where it exists and is NaN
        otherwise: never filled.
    indicator
        The published figure to join; also the name of its column.
    top
        How many of the largest gaps to list per segment.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per segment, sorted by segment: ``segment``, ``country_a``, ``country_b``,
        ``pairs``, ``pairs_with_gap``, ``shared_border_km``, ``gap_km`` (border length of the
        pairs with a gap), ``mean_gap_length_weighted`` (signed mean gap, weighted by shared
        length: negative when side a lags), ``mean_abs_gap_length_weighted``, ``max_abs_gap``,
        ``largest_gaps`` (text), ``gap_share_pct`` (the segment's share of the total
        cross-border gap, sum of ``abs_gap * shared_border_km``), the published figure when
        ``published`` is given, and the segment's lines as geometry.
    """
    needed = ["segment", "cross_border", "shared_border_km", "gap", "abs_gap", "region_a", "region_b",
              "name_a", "name_b", "country_a", "country_b"]
    missing = [c for c in needed if c not in pairs.columns]
    if missing:
        raise SchemaError(f"pair table lacks {', '.join(missing)}; build it with borderland.neighbours.pair_table")
    cross = pairs[pairs["cross_border"].astype(bool) & (pairs["shared_border_km"] > 0)].copy()
    cross["weighted_gap"] = cross["gap"] * cross["shared_border_km"]
    cross["weighted_abs_gap"] = cross["abs_gap"] * cross["shared_border_km"]
    cross["gap_km"] = cross["shared_border_km"].where(cross["gap"].notna(), 0.0)
    grouped = cross.groupby("segment", sort=True)
    out = pd.DataFrame({
        "country_a": grouped["country_a"].first(),
        "country_b": grouped["country_b"].first(),
        "pairs": grouped.size(),
        "pairs_with_gap": grouped["gap"].count(),
        "shared_border_km": grouped["shared_border_km"].sum(),
        "gap_km": grouped["gap_km"].sum(),
    })
    with_km = out["gap_km"].where(out["gap_km"] > 0)
    # "length_weighted" in the name: trade segments' unweighted mean_gap must never be mistaken for it
    out["mean_gap_length_weighted"] = grouped["weighted_gap"].sum(min_count=1) / with_km
    out["mean_abs_gap_length_weighted"] = grouped["weighted_abs_gap"].sum(min_count=1) / with_km
    out["max_abs_gap"] = grouped["abs_gap"].max()
    out["largest_gaps"] = _largest_gaps(cross, top).reindex(out.index, fill_value="").astype(object)
    total = cross["weighted_abs_gap"].sum(min_count=1)
    out["gap_share_pct"] = 100 * grouped["weighted_abs_gap"].sum(min_count=1) / total if total > 0 else np.nan
    if published is not None:
        figures = published_pair_figures(published, indicator=indicator)
        lookup = {(a, b): v for a, b, v in zip(figures["country_1"], figures["country_2"], figures["value"],
                                               strict=True)}
        out[indicator] = [lookup.get(tuple(sorted((a, b))), np.nan)
                          for a, b in zip(out["country_a"], out["country_b"], strict=True)]
    lines, rows = cross.geometry.to_numpy(), grouped.indices
    geometry = [shapely.line_merge(shapely.union_all(lines[rows[segment]])) for segment in out.index]
    return gpd.GeoDataFrame(out.reset_index(), geometry=geometry, crs=pairs.crs)


def _largest_gaps(cross: pd.DataFrame, top: int) -> pd.Series:
    """The ``top`` largest gaps of each segment as text (ties in the pairs' order, as ``nlargest`` keeps them)."""
    rows = cross[cross["gap"].notna()].sort_values("abs_gap", ascending=False, kind="stable")
    rows = rows.groupby("segment", sort=False).head(top)
    text = [f"{a} ({ra}) – {b} ({rb}) {gap:+.2f}" for a, ra, b, rb, gap in zip(
        rows["name_a"], rows["region_a"], rows["name_b"], rows["region_b"], rows["gap"], strict=True)]
    listed = pd.Series(text, index=rows["segment"].to_numpy(), dtype=object)
    return listed.groupby(level=0, sort=False).agg("; ".join).astype(object)
