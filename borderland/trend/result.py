"""The trend's result: :class:`TrendResult`, every table of the borderland over the years, and its summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from borderland.index import IndexSpec
from borderland.specs import printable
from borderland.study import Study, TrendSpec
from borderland.trend.checks import year_ranges
from borderland.trend.scoring import Scale

__all__ = ["TrendResult"]


@dataclass(frozen=True)
class TrendResult:
    """The borderland over the years.

    Attributes
    ----------
    study
        The study.
    spec, index_spec
        The ``[trend]`` and ``[index]`` specifications followed.
    scale
        The fixed scale (bounds and weights).
    regions
        The region layer (projected, indexed by code).
    years
        The kept years.
    coverage
        Per year (kept or not) and country: regions, regions indexed, of which with values of
        a nearby year or interpolated; ``kept`` and, if not, ``reason``.
    index_by_year
        One row per region and kept year: ``region``, ``year``, ``value`` (the index on the
        fixed scale; NaN: no data), ``flag`` (what to know about the value, "" if nothing),
        ``name``, ``country``, ``side``, each component's raw value and the year it comes from
        (``<component>_year``), ``interpolated``, ``border_effect``.
    pairs
        The cross-border pairs, indexed by pair id (``"a|b"``), with their shared lines.
    gaps_by_year
        One row per cross-border pair and kept year: ``pair``, ``year``, ``gap`` (a - b),
        ``flag``, ``region_a``, ``region_b``, ``segment``, ``country_a``, ``country_b``,
        ``value_a``, ``value_b``, ``abs_gap``,
        ``comparable`` (both sides measure every component alike that year).
    segments_by_year
        Per segment and kept year: length-weighted mean gap and absolute gap, pairs with a gap.
    gap_trends
        Per pair and segment: the trend of the gap (:func:`borderland.trend.divide.gap_trends`).
    convergence
        The long convergence table: per year, variable, measure, scope, group and panel.
    convergence_trends
        The slope of every convergence series, and beta convergence.
    changes
        Every change of definition, publisher, break flag and new codes found.
    map_years
        The years of the small-multiple maps.
    notes
        What to know that is not an error.
    timings
        Seconds per step.
    """

    study: Study
    spec: TrendSpec
    index_spec: IndexSpec
    scale: Scale
    regions: gpd.GeoDataFrame
    years: tuple[int, ...]
    coverage: pd.DataFrame
    index_by_year: pd.DataFrame
    pairs: gpd.GeoDataFrame
    gaps_by_year: pd.DataFrame
    segments_by_year: pd.DataFrame
    gap_trends: pd.DataFrame
    convergence: pd.DataFrame
    convergence_trends: pd.DataFrame
    changes: pd.DataFrame
    map_years: tuple[int, ...]
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def left_out(self) -> pd.DataFrame:
        """The years left out and why: ``year``, ``reason``."""
        rows = self.coverage[~self.coverage["kept"]].drop_duplicates("year")
        return rows[["year", "reason"]].reset_index(drop=True)

    def matrix(self, column: str = "value") -> pd.DataFrame:
        """A column of ``index_by_year`` as regions x kept years (the index by default)."""
        return self.index_by_year.pivot(index="region", columns="year", values=column).reindex(self.regions.index)

    def summary(self, top: int = 5) -> str:
        """What changed, in a few lines for the terminal."""
        return _summary(self, top)


# -- the summary --------------------------------------------------------------------------------


def _number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:+.{digits}f}"


def _summary(result: TrendResult, top: int) -> str:
    study, spec = result.study, result.spec
    kept = result.years
    lines = [f"{study.title}: the index over {len(kept)} year(s), {kept[0]}-{kept[-1]} "
             f"({', '.join(map(str, kept))})" if kept else f"{study.title}: no year kept",
             f"components: {', '.join(result.index_spec.indicator_names)}; scale: {result.scale.describe()}"]
    left = result.left_out
    if len(left):
        grouped = left.groupby("reason", sort=False)["year"].apply(lambda ys: year_ranges(ys.tolist()))
        lines += [f"left out: {years} ({reason})" for reason, years in grouped.items()]
    cov = result.coverage[result.coverage["kept"]]
    unlike = result.gaps_by_year[result.gaps_by_year["comparable"].eq(False).fillna(False).astype(bool)]
    if len(unlike):
        lines.append(f"{unlike['pair'].nunique()} of {result.gaps_by_year['pair'].nunique()} cross-border pairs "
                     f"compare values of unlike definitions in {year_ranges(sorted(unlike['year'].unique()))} (flag: "
                     "unlike definitions): part of their gap is definitional")
    if study.focus_country:
        per_side = cov.groupby(["year", "side"])["regions_indexed"].sum().unstack(fill_value=0)
        lines.append("regions indexed per year and side: " + "; ".join(
            f"{year} " + ", ".join(f"{side} {int(n)}" for side, n in row.items() if n)
            for year, row in per_side.iterrows()))
    elif len(cov):
        indexed = cov[cov["regions_indexed"] > 0].groupby("year").agg(regions=("regions_indexed", "sum"),
                                                                      countries=("country", "nunique"))
        lines.append("regions indexed per year: " + "; ".join(
            f"{year} {row.regions} in {row.countries} countries" for year, row in indexed.iterrows()))
    if len(result.changes):
        counts = result.changes["kind"].value_counts()
        lines.append("flagged, not read as change in the regions: " + ", ".join(
            f"{kind} {n}" for kind, n in counts.items()) + " (the trend.gpkg table series_changes lists them)")
    segments = result.gap_trends[result.gap_trends["scope"] == "segment"].dropna(subset=["abs_slope"])
    if len(segments):
        lines.append(f"border segments (absolute gap, index points per year, within-pair slope, "
                     f"{spec.confidence:.0%} interval):")
        order = segments.sort_values("abs_slope")
        for row in pd.concat([order.head(top), order.tail(top)]).drop_duplicates("id").to_dict("records"):
            interval = (f" [{row['abs_slope_ci_low']:+.4f}, {row['abs_slope_ci_high']:+.4f}]"
                        if pd.notna(row["abs_slope_ci_low"]) and row["trend"] != "two years" else "")
            lines.append(f"  {printable(str(row['segment']))}: {row['abs_slope']:+.4f}{interval} {row['trend']}; gap "
                         f"{_number(row['first_gap'])} ({_fmt_year(row['first_year'])}) -> {_number(row['last_gap'])} "
                         f"({_fmt_year(row['last_year'])}), {row['status']}, {row['pairs']} pair(s)")
    conv = result.convergence_trends
    for panel in ("balanced", "all"):
        rows = conv[(conv["measure"].isin(["sd", "between_sd"])) & (conv["variable"] == "index")
                    & (conv["scope"].isin(["borderland", "between_sides", "between_countries"]))
                    & (conv["panel"] == panel)]
        for row in rows.to_dict("records"):
            lines.append(f"sigma ({row['measure']} of the index, {row['scope']}, {panel} panel, {row['regions']} "
                         f"regions): {_number(row['first'])} ({_fmt_year(row['first_year'])}) -> "
                         f"{_number(row['last'])} ({_fmt_year(row['last_year'])}), slope "
                         f"{_number(row['estimate'], 4)} per year: {row['verdict']}")
    beta = conv[(conv["measure"] == "beta") & (conv["scope"] == "borderland")]
    for row in beta.to_dict("records"):
        lines.append(f"beta ({row['variable']}, {_fmt_year(row['first_year'])}-{_fmt_year(row['last_year'])}, "
                     f"{row['regions']} regions): {_number(row['estimate'], 4)} (se {row['estimate_se']:.4f}): "
                     f"{row['verdict']}")
    theil = conv[(conv["measure"] == "theil_between_share_pct") & (conv["scope"].isin(["side", "country"]))]
    for row in theil.to_dict("records"):
        head = (f"Theil of {row['variable']}, share between {row['scope']} groups ({row['panel']} panel, "
                f"{row['regions']} regions)")
        if row["years"] < 2:
            lines.append(f"{head}: {row['first']:.1f} % in {_fmt_year(row['first_year'])} only")
            continue
        lines.append(f"{head}: {row['first']:.1f} % ({_fmt_year(row['first_year'])}) -> {row['last']:.1f} % "
                     f"({_fmt_year(row['last_year'])}): {row['verdict']}")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def _fmt_year(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else str(int(value))

