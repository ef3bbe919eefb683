"""Trade beside the divide: per cross-border pair and border segment, with a rank association.

The trade figure of each cross-border pair sits beside its digital gap, and the two are ranked
against each other (Spearman's rho, :meth:`pandas.Series.corr`) with a caveat about the number
of pairs, which on a single border is small and whose pairs are not independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.trade._common import require_columns
from borderland.trade.flows import FLOW_TYPES, FULL_YEAR

#: Below this many pairs an association is descriptive only.
MIN_PAIRS_FOR_INFERENCE: Final[int] = 10



def pair_trade(
    pairs: pd.DataFrame,
    flows: pd.DataFrame,
    *,
    flow_type: str = "turnover",
    year: int | None = None,
    period: str | None = None,
    cross_border_only: bool = True,
) -> pd.DataFrame:
    """The trade figure between the two regions of each (cross-border) pair, beside its gap.

    Flows between the pair's regions in either direction count. With ``year`` omitted each pair
    takes its latest year. Several figures left for one pair are added only when they are
    exports (or imports) in opposite directions of the same unit, year and period; otherwise
    the pair gets no value and ``trade_note`` says why.

    Parameters
    ----------
    pairs
        Pair table with ``region_a``, ``region_b`` (and ``segment``, ``cross_border``, ``gap``,
        ``abs_gap`` when present, e.g. ``StudyResult.pairs``).
    flows
        Matched flows (:func:`match_flows`).
    flow_type
        Which flows to use.
    year
        Only flows of this year.
    period
        Only flows of this period (``"year"`` for whole years).
    cross_border_only
        Keep only cross-border pairs (needs ``cross_border``).

    Returns
    -------
    pandas.DataFrame
        Indexed like the (cross-border) pairs: ``region_a``, ``region_b``, ``segment``, ``gap``,
        ``abs_gap`` (when present), then ``trade_value``, ``trade_flow_type``, ``trade_unit``,
        ``trade_year``, ``trade_period``, ``trade_flows_n``, ``trade_source``, ``trade_note``.
    """
    if flow_type not in FLOW_TYPES:
        raise SchemaError(f"unknown flow_type {flow_type!r}; choose one of {sorted(FLOW_TYPES)}")
    require_columns(pairs, ("region_a", "region_b"), "pair table", "give neighbours.adjacent_pairs output")
    selected = pairs
    if cross_border_only:
        require_columns(pairs, ("cross_border",), "pair table", "or pass cross_border_only=False")
        selected = pairs[pairs["cross_border"].astype(bool)]
    rows = flows[flows["flow_type"] == flow_type]
    if "matched" in rows.columns:
        rows = rows[rows["matched"]]
    if year is not None:
        rows = rows[rows["year"] == year]
    if period is not None:
        rows = rows[rows["period"] == period]
    keys = [frozenset((o, d)) for o, d in zip(rows["origin"], rows["destination"], strict=True)]
    by_pair = {key: rows[[k == key for k in keys]] for key in dict.fromkeys(keys)}
    keep = [c for c in ("region_a", "region_b", "segment", "gap", "abs_gap") if c in selected.columns]
    out = selected[keep].copy()
    records = [_pair_figure(by_pair.get(frozenset((a, b)))) for a, b in
               zip(selected["region_a"], selected["region_b"], strict=True)]
    trade = pd.DataFrame(records, index=selected.index,
                         columns=["trade_value", "trade_unit", "trade_year", "trade_period", "trade_flows_n",
                                  "trade_source", "trade_note"])
    trade["trade_value"] = trade["trade_value"].astype(float)
    trade["trade_year"] = trade["trade_year"].astype("Int64")
    trade["trade_flows_n"] = trade["trade_flows_n"].astype(int)
    trade.insert(1, "trade_flow_type", flow_type)
    return pd.concat([out, trade], axis=1)


def _pair_figure(group: pd.DataFrame | None) -> tuple[object, ...]:
    if group is None or group.empty:
        return (np.nan, "", pd.NA, "", 0, "", "")
    latest = group[group["year"] == group["year"].max()] if group["year"].notna().any() else group
    sources = " | ".join(dict.fromkeys(latest["source"].astype(str)))
    notes = " | ".join(n for n in dict.fromkeys(latest["note"].astype(str)) if n)
    n = len(latest)
    first = latest.iloc[0]
    if n == 1:
        return (float(first["value"]), first["unit"], first["year"], first["period"], 1, sources, notes)
    same = latest[["unit", "year", "period"]].astype(str).nunique().max() == 1
    directions = set(zip(latest["origin"], latest["destination"], strict=True))
    if same and first["flow_type"] in ("exports", "imports") and len(directions) == n:
        return (float(latest["value"].sum()), first["unit"], first["year"], first["period"], n, sources,
                "sum of both directions" + (f" | {notes}" if notes else ""))
    what = "; ".join(f"{v:g} {u} {y} {p}" for v, u, y, p in
                     zip(latest["value"], latest["unit"], latest["year"], latest["period"], strict=True))
    return (np.nan, "", pd.NA, "", n, sources, f"{n} figures that cannot be combined ({what}); choose year and period")


@dataclass(frozen=True)
class TradeAssociation:
    """Spearman's rank correlation between trade and the digital gap over pairs, with its caveat.

    Attributes
    ----------
    rho
        Spearman's rho, :meth:`pandas.Series.corr` with ``method="spearman"`` (Pearson's
        correlation of the average ranks); NaN with fewer than 3 pairs or a constant variable.
    n
        Pairs with both values.
    p_value
        Two-sided permutation p-value of rho (see :func:`trade_gap_association`); NaN when rho
        is, or when no permutations were asked for.
    caveat
        What the figure can and cannot say; always shown with it.
    method
        The correlation measured.
    """

    rho: float
    n: int
    p_value: float
    caveat: str
    method: str = "spearman"

    def summary(self) -> str:
        """One line for the terminal."""
        rho = "n/a" if math.isnan(self.rho) else f"{self.rho:+.2f}"
        p = "" if math.isnan(self.p_value) else f", permutation p = {self.p_value:.3f}"
        return f"Spearman rho {rho} over {self.n} pair(s){p}. {self.caveat}"


def trade_gap_association(
    trade: pd.Series,
    gap: pd.Series,
    *,
    permutations: int = 9999,
    rng: np.random.Generator | int | None = None,
    context: str = "",
) -> TradeAssociation:
    """How trade between the two sides of the border ranks against the digital gap.

    Parameters
    ----------
    trade
        A trade figure per pair (``pair_trade(...)["trade_value"]``, or a region measure of one side).
    gap
        The gap per pair (same index), e.g. ``abs_gap``.
    permutations
        Permutations for the p-value; 0 gives no p-value.
    rng
        Seed or generator for the random permutations.
    context
        Added to the caveat (e.g. "trade figures from 2018 and 2024, gap from 2021").

    Returns
    -------
    TradeAssociation
        rho, n, p-value and the caveat. Below :data:`MIN_PAIRS_FOR_INFERENCE` pairs the caveat
        says the figure is descriptive only.

    Notes
    -----
    rho is ``trade.corr(gap, method="spearman")``. The p-value is a permutation test of it:
    ``scipy.stats.pearsonr`` of the average ranks with a ``PermutationMethod``, which pairs the
    ranks of one side with every ordering of the other's. When n! is at most ``permutations``
    every ordering is enumerated and the p-value is exact; otherwise ``permutations`` random
    orderings are drawn and the observed one counts among them ((hits + 1) / (draws + 1)).
    Two-sided is scipy's convention: twice the smaller one-sided p-value, at most 1.

    Examples
    --------
    >>> result = trade_gap_association(pd.Series([10.0, 20, 40, 30]), pd.Series([0.4, 0.3, 0.2, 0.1]))
    >>> round(result.rho, 6), result.n, round(result.p_value, 6)  # 2 x 4/24: 4 orderings reach rho <= -0.8
    (-0.8, 4, 0.333333)
    """
    both = pd.concat([trade.rename("trade"), gap.rename("gap")], axis=1).dropna().astype(float)
    n = len(both)
    extra = f" {context}" if context else ""
    if n < 3:
        return TradeAssociation(float("nan"), n, float("nan"),
                                f"only {n} pair(s) have both a trade figure and a gap: too few to measure an "
                                f"association.{extra}")
    # a constant side has no ranking (and scipy would warn); rho is undefined
    constant = both.nunique().min() < 2
    rho = float("nan") if constant else float(both["trade"].corr(both["gap"], method="spearman"))
    p_value = float("nan") if constant or permutations < 1 else _permutation_p(both, permutations, rng)
    if n < MIN_PAIRS_FOR_INFERENCE:
        caveat = (f"descriptive only: n = {n} pairs (fewer than {MIN_PAIRS_FOR_INFERENCE}); a rank correlation "
                  "over so few pairs is unstable and supports no inference.")
    else:
        caveat = (f"n = {n} pairs; a rank association, not an effect: pairs along one border share a country "
                  "and are not independent.")
    return TradeAssociation(rho, n, p_value, caveat + extra)


def _permutation_p(both: pd.DataFrame, permutations: int, rng: np.random.Generator | int | None) -> float:
    """Two-sided permutation p-value of Spearman's rho (see :func:`trade_gap_association`)."""
    # scipy.stats costs about a second to import: only here, where a p-value is asked for
    from scipy import stats

    ranks = both.rank(method="average")  # the ranks Series.corr(method="spearman") correlates
    method = stats.PermutationMethod(n_resamples=permutations, random_state=np.random.default_rng(rng))
    result = stats.pearsonr(ranks["trade"].to_numpy(), ranks["gap"].to_numpy(), method=method)
    return float(result.pvalue)


def segment_trade(
    pair_table: pd.DataFrame,
    *,
    value: str = "trade_value",
    gap: str = "abs_gap",
    flows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per border segment: pairs, pairs with a trade figure, their total, the mean gap, and the association.

    Parameters
    ----------
    pair_table
        From :func:`pair_trade` (needs ``segment`` and the ``value`` and ``gap`` columns).
    value
        Column with the trade figure.
    gap
        Column the trade figure is ranked against.
    flows
        Matched flows; when given, ``flows_n`` counts every cross-border flow of the segment
        (any type, including whole-country flows, which belong to no pair).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``segment``: ``pairs_n``, ``pairs_with_trade_n``, ``trade_value_sum`` (amounts
        only; NaN for growth rates and when the figures mix units or periods), ``trade_unit``,
        ``mean_gap`` and ``mean_abs_gap`` (from ``gap`` / ``abs_gap`` when present: unweighted
        means over the segment's pairs with a gap, each pair counting once, unlike the
        ``mean_gap_length_weighted`` of :func:`borderland.neighbours.segment_summary`), ``rho``
        (no p-value: a segment has few pairs), ``association_n``, ``caveat`` (and ``flows_n``).
    """
    require_columns(pair_table, ("segment", value, gap), "pair table", "build it with borderland.trade.pair_trade")
    signed = "gap" if "gap" in pair_table.columns else gap
    absolute = "abs_gap" if "abs_gap" in pair_table.columns else gap
    rows = []
    for segment, group in pair_table.groupby("segment", sort=True):
        has = group[value].notna()
        kinds = {(str(t), str(u), str(p)) for t, u, p in zip(
            group.get("trade_flow_type", pd.Series("", index=group.index))[has],
            group.get("trade_unit", pd.Series("", index=group.index))[has],
            group.get("trade_period", pd.Series("", index=group.index))[has], strict=True)}
        # growth rates do not add up; amounts of one unit and period do
        addable = len(kinds) == 1 and next(iter(kinds))[0] != "growth_rate"
        association = trade_gap_association(group[value], group[gap], permutations=0)
        rows.append({
            "segment": segment, "pairs_n": len(group), "pairs_with_trade_n": int(has.sum()),
            "trade_value_sum": float(group.loc[has, value].sum()) if addable else float("nan"),
            "trade_unit": next(iter(kinds))[1] if len(kinds) == 1 else "",
            "mean_gap": float(group[signed].mean()), "mean_abs_gap": float(group[absolute].abs().mean()),
            "rho": association.rho, "association_n": association.n, "caveat": association.caveat,
        })
    out = pd.DataFrame(rows, columns=["segment", "pairs_n", "pairs_with_trade_n", "trade_value_sum", "trade_unit",
                                      "mean_gap", "mean_abs_gap", "rho", "association_n", "caveat"])
    out = out.set_index("segment")
    if flows is not None:
        require_columns(flows, ("segment", "cross_border"), "flow table", "match it with match_flows first")
        counts = flows[flows["cross_border"]].groupby("segment").size()
        out["flows_n"] = counts.reindex(out.index).fillna(0).astype(int)
    return out


def check_pair_trade_comparable(pair_table: pd.DataFrame) -> None:
    """Raise unless the trade figures of a pair table share one unit and one period.

    An association between a January-May turnover and a full-year turnover would rank unlike
    things; years may differ, but the caller should say so in the caveat's context.

    Parameters
    ----------
    pair_table
        From :func:`pair_trade`.
    """
    has = pair_table["trade_value"].notna()
    kinds = sorted({f"{u} ({p})" for u, p in zip(pair_table.loc[has, "trade_unit"],
                                                  pair_table.loc[has, "trade_period"], strict=True)})
    if len(kinds) > 1:
        raise SchemaError(f"pair trade figures mix units or periods ({', '.join(kinds)}); "
                          "pass year= and period= to pair_trade so that like is ranked with like")


@dataclass(frozen=True)
class TradeDivide:
    """Trade beside the digital gap: per pair, per segment, and overall.

    Attributes
    ----------
    pairs
        :func:`pair_trade` output (cross-border pairs).
    segments
        :func:`segment_trade` output.
    association
        Over all cross-border pairs with a trade figure and a gap.
    """

    pairs: pd.DataFrame
    segments: pd.DataFrame
    association: TradeAssociation

    def summary(self) -> str:
        """A few lines for the terminal."""
        with_trade = self.pairs[self.pairs["trade_value"].notna()]
        lines = [f"cross-border pairs with a trade figure: {len(with_trade)} of {len(self.pairs)}"]
        for r in with_trade.to_dict("records"):
            gap = "n/a" if pd.isna(r.get("gap")) else f"{r['gap']:+.3f}"
            lines.append(f"  {r['region_a']} - {r['region_b']}: {r['trade_value']:g} {r['trade_unit']} "
                         f"({r['trade_year']}, {r['trade_period']}); gap {gap}")
        lines.append(self.association.summary())
        return "\n".join(lines)


def trade_divide(
    pairs: pd.DataFrame,
    flows: pd.DataFrame,
    *,
    flow_type: str = "turnover",
    year: int | None = None,
    period: str | None = FULL_YEAR,
    gap: str = "abs_gap",
    permutations: int = 9999,
    rng: np.random.Generator | int | None = None,
) -> TradeDivide:
    """Trade between the two sides of each cross-border pair beside its gap, per pair and segment.

    Parameters
    ----------
    pairs
        Pair table with ``region_a``, ``region_b``, ``cross_border``, ``segment`` and the gap
        columns (``StudyResult.pairs``).
    flows
        Matched flows (:func:`match_flows`).
    flow_type, year, period
        Which figures to use (:func:`pair_trade`); figures of different units or periods are
        refused, because ranking a five-month turnover with a full-year one is meaningless.
    gap
        The gap column to rank against (``abs_gap``: the steepness, whichever side leads).
    permutations, rng
        For the permutation p-value (:func:`trade_gap_association`).

    Returns
    -------
    TradeDivide
        Pairs, segments and the association with its caveat.
    """
    table = pair_trade(pairs, flows, flow_type=flow_type, year=year, period=period)
    check_pair_trade_comparable(table)
    require_columns(table, (gap, "segment"), "pair table", "give pairs with gaps (StudyResult.pairs)")
    used = table[table["trade_value"].notna() & table[gap].notna()]
    years = sorted({int(y) for y in used["trade_year"].dropna()})
    context = f"Trade figures from {', '.join(map(str, years))}." if len(years) > 1 else ""
    association = trade_gap_association(table["trade_value"], table[gap], permutations=permutations, rng=rng,
                                        context=context)
    segments = segment_trade(table, gap=gap, flows=flows if "segment" in flows.columns else None)
    return TradeDivide(pairs=table, segments=segments, association=association)
