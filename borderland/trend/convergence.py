"""Convergence over the years: sigma (dispersion), beta (catching up) and the Theil between-side share.

- **Sigma convergence** (:func:`sigma_table`): the standard deviation of the regions' values each
  year, and the coefficient of variation where the values have a natural zero (raw
  percentages; the index only on goalposts from 0), across the whole borderland, within each
  country and each side, and *between* the sides (or countries): the between-group standard
  deviation ``sqrt(sum_g n_g (mean_g - mean)^2 / N)``, the part of the dispersion that lies
  between the groups' means (with two sides, the gap of the side means times
  ``sqrt(p (1 - p))``). Each is given for every region with a value that year (``panel =
  "all"``: the composition may change) and for the *balanced* panel, the regions with a value
  in every kept year and no break in their series (``panel = "balanced"``), whose dispersion
  cannot move because regions enter or leave.
- **Beta convergence** (:func:`beta_table`): the average yearly change of each region between
  the first and last kept years regressed on its first-year level, ``(y_T - y_0) / T = a + b
  y_0``; ``b < 0``: the laggards caught up. If every region reaches the same value by ``T``,
  ``b = -1 / T`` exactly; ``b = 0`` when every region moves by the same amount. Levels, not
  logarithms: the index of a fixed min-max scale has no natural zero.
- **Theil between-side share** (:func:`theil_by_year`): each raw component's Theil T each year
  (:func:`borderland.spatial.theil_decomposition`, which needs a ratio scale, so never the
  min-max index), population-weighted or each region once, and the share of it between the
  sides (or countries).
- :func:`convergence_trends`: the least-squares slope over the years of each of these series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.spatial import theil_decomposition
from borderland.trend.divide import slope_verdict
from borderland.trend.regression import row_slopes, simple_ols

__all__ = ["CONVERGENCE_COLUMNS", "DISPERSION", "TREND_COLUMNS", "balanced_regions", "beta_table",
           "convergence_trends", "sigma_table", "theil_by_year"]

#: Columns of the long convergence table (:func:`sigma_table`, :func:`theil_by_year`).
CONVERGENCE_COLUMNS: Final = ("variable", "year", "measure", "scope", "group", "panel", "value", "regions")

#: Columns of :func:`convergence_trends` and :func:`beta_table`.
TREND_COLUMNS: Final = ("measure", "variable", "scope", "group", "panel", "years", "regions", "first_year",
                        "last_year", "first", "last", "change", "estimate", "estimate_se", "ci_low", "ci_high",
                        "r_squared", "verdict")

#: The label of the side beyond the focus country (as :data:`borderland.trend.OTHERS`).
OTHERS: Final = "others"

#: Measures whose fall is convergence (a dispersion or an inequality).
DISPERSION: Final = ("sd", "cv", "between_sd", "theil_total", "theil_between_share_pct")


def balanced_regions(values: pd.DataFrame, breaks: pd.DataFrame | None = None) -> pd.Index:
    """The regions with a value in every year (column) and no break in their series after the first.

    Examples
    --------
    >>> values = pd.DataFrame({2020: [1.0, 2.0, 3.0], 2021: [1.0, np.nan, 3.0]}, index=list("xyz"))
    >>> breaks = pd.DataFrame({2020: [False] * 3, 2021: [False, False, True]}, index=list("xyz"))
    >>> balanced_regions(values, breaks).tolist()
    ['x']
    """
    complete = values.notna().all(axis=1)
    if breaks is not None and values.shape[1] > 1:
        complete &= ~breaks.reindex(index=values.index, columns=values.columns[1:], fill_value=False).any(axis=1)
    return values.index[complete.to_numpy(dtype=bool)]


def _long(values: pd.DataFrame, labels: Mapping[str, pd.Series]) -> pd.DataFrame:
    stacked = values.rename_axis(index="region", columns="year").stack()
    data = pd.Series(stacked, name="value").reset_index()
    for name, series in labels.items():
        data[name] = series.reindex(data["region"]).to_numpy()
    return data


def sigma_table(values: Mapping[str, pd.DataFrame], *, countries: pd.Series, sides: pd.Series | None = None,
                breaks: Mapping[str, pd.DataFrame] | None = None,
                ratio: Mapping[str, bool] | None = None) -> pd.DataFrame:
    """Dispersion each year: across the borderland, within each country and side, and between them.

    Parameters
    ----------
    values
        Variable (``index``, a raw component) -> regions x years (the kept years).
    countries
        Each region's country.
    sides
        Each region's side of the border (the focus country or ``others``); ``None`` without a
        focus country.
    breaks
        Variable -> regions x years: a break in the region's series that year (leaves it out of
        the balanced panel).
    ratio
        Variable -> whether its values have a natural zero (the coefficient of variation is NaN
        otherwise).

    Returns
    -------
    pandas.DataFrame
        :data:`CONVERGENCE_COLUMNS`: ``measure`` ``mean``, ``sd`` (ddof 1), ``cv`` for ``scope``
        ``borderland``, ``country`` and ``side`` (``group`` the country or side); ``between_sd``
        for ``between_countries`` and ``between_sides``; ``side_mean_gap`` (the focus side's
        mean minus the others') with a focus country; each for ``panel`` ``all`` and
        ``balanced``.

    Examples
    --------
    >>> values = {"index": pd.DataFrame({2020: [0.0, 1.0, 2.0, 3.0]}, index=list("wxyz"))}
    >>> table = sigma_table(values, countries=pd.Series(list("PPQQ"), index=list("wxyz")))
    >>> row = table.query("scope == 'between_countries' and panel == 'all'")
    >>> float(row["value"].iloc[0])
    1.0
    """
    ratio = dict(ratio or {})
    frames = []
    for variable, frame in values.items():
        broken = (breaks or {}).get(variable)
        for panel, chosen in (("all", frame), ("balanced", frame.loc[balanced_regions(frame, broken)])):
            labels = {"borderland": pd.Series("", index=frame.index), "country": countries}
            if sides is not None:
                labels["side"] = sides
            data = _long(chosen, labels)
            natural = ratio.get(variable, False) and not (data["value"] < 0).any()
            for scope in labels:
                grouped = data.groupby(["year", scope], sort=True)["value"]
                stats = grouped.agg(["count", "mean", "std"]).reset_index()
                stats["cv"] = (stats["std"] / stats["mean"]).where((stats["mean"] > 0) & natural)
                for measure, column in (("mean", "mean"), ("sd", "std"), ("cv", "cv")):
                    frames.append(pd.DataFrame({"variable": variable, "year": stats["year"], "measure": measure,
                                                "scope": scope, "group": stats[scope].astype(str), "panel": panel,
                                                "value": stats[column], "regions": stats["count"]}))
                if scope == "borderland":
                    continue
                # the dispersion between the groups' means, weighted by their regions
                total = data.groupby("year")["value"].agg(["count", "mean"])
                means = stats.merge(total, left_on="year", right_index=True, suffixes=("", "_all"))
                means["between"] = means["count"] * (means["mean"] - means["mean_all"]) ** 2
                between = (means.groupby("year")["between"].sum() / total["count"]).pow(0.5)
                frames.append(pd.DataFrame({"variable": variable, "year": between.index, "measure": "between_sd",
                                            "scope": f"between_{'countries' if scope == 'country' else 'sides'}",
                                            "group": "", "panel": panel, "value": between.to_numpy(),
                                            "regions": total["count"].reindex(between.index).to_numpy()}))
                if scope == "side":
                    wide = stats.pivot(index="year", columns="side", values="mean")
                    focus = next((s for s in wide.columns if s != OTHERS), None)
                    if focus is not None and OTHERS in wide.columns:
                        gap = wide[focus] - wide[OTHERS]
                        frames.append(pd.DataFrame({"variable": variable, "year": gap.index, "measure":
                                                    "side_mean_gap", "scope": "between_sides",
                                                    "group": f"{focus}-{OTHERS}",
                                                    "panel": panel, "value": gap.to_numpy(),
                                                    "regions": total["count"].reindex(gap.index).to_numpy()}))
    return _tidy(frames)


def _tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=list(CONVERGENCE_COLUMNS))
    table = pd.concat(frames, ignore_index=True)[list(CONVERGENCE_COLUMNS)]
    return table.astype({"year": "int64", "regions": "int64", "value": float})


def group_means(values: pd.DataFrame, *, countries: pd.Series, sides: pd.Series | None = None,
                variable: str = "border_effect", measure: str = "mean") -> pd.DataFrame:
    """The mean of a regions x years matrix each year, over the borderland, each country and each side.

    Examples
    --------
    >>> effect = pd.DataFrame({2020: [0.2, np.nan, -0.4]}, index=list("xyz"))
    >>> group_means(effect, countries=pd.Series(list("PPQ"), index=list("xyz")))["value"].round(2).tolist()
    [-0.1, 0.2, -0.4]
    """
    labels = {"borderland": pd.Series("", index=values.index), "country": countries}
    if sides is not None:
        labels["side"] = sides
    data = _long(values, labels)
    frames = []
    for scope in labels:
        stats = data.groupby(["year", scope], sort=True)["value"].agg(["count", "mean"]).reset_index()
        frames.append(pd.DataFrame({"variable": variable, "year": stats["year"], "measure": measure, "scope": scope,
                                    "group": stats[scope].astype(str), "panel": "all", "value": stats["mean"],
                                    "regions": stats["count"]}))
    return _tidy(frames)


def theil_by_year(values: Mapping[str, pd.DataFrame], *, partitions: Mapping[str, pd.Series],
                  population: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Each ratio-scale variable's Theil T each year and the share of it between the groups.

    Each year over the regions with a value and a weight that year (``panel = "all"``), and over
    the regions with both in every year (``"balanced"``): a between-group share that moves
    because one side's weights are missing in a year would not be a change in the regions. A
    partition with one group in a year has no between-group share (NaN, with a note).

    Parameters
    ----------
    values
        Variable (a raw component, on a ratio scale) -> regions x years.
    partitions
        Partition name (``side``, ``country``) -> each region's group.
    population
        Regions x years, the weights; each region once (weight 1) when ``None``.

    Returns
    -------
    tuple of pandas.DataFrame and list of str
        :data:`CONVERGENCE_COLUMNS` rows: ``measure`` ``theil_total``, ``theil_between`` and
        ``theil_between_share_pct`` (``scope`` the partition); and notes on what was left out.

    Examples
    --------
    >>> values = {"access": pd.DataFrame({2020: [1.0, 1.0, 4.0]}, index=list("abc"))}
    >>> table, notes = theil_by_year(values, partitions={"side": pd.Series(list("XXY"), index=list("abc"))})
    >>> table.query("measure == 'theil_between_share_pct'")["value"].tolist()
    [100.0, 100.0]
    """
    rows: list[tuple[str, int, str, str, str, str, float, int]] = []
    notes: list[str] = []
    alone: dict[tuple[str, str], list[str]] = {}
    for variable, frame in values.items():
        weights = (pd.DataFrame(1.0, index=frame.index, columns=frame.columns) if population is None
                   else population.reindex(index=frame.index, columns=frame.columns))
        usable = frame.notna() & weights.notna() & (weights > 0)
        balanced = usable.all(axis=1)
        for panel in ("all", "balanced"):
            for year in frame.columns:
                members = usable[year] & (balanced if panel == "balanced" else True)
                try:
                    table = theil_decomposition(frame.loc[members, year], population=weights.loc[members, year],
                                                partitions=partitions)
                except SchemaError as exc:
                    notes.append(f"Theil of {variable} in {year} ({panel} panel) left out: "
                                 f"{str(exc).removeprefix('Theil index: ')}")
                    continue
                one_group = table["groups"] < 2
                table.loc[one_group, ["theil_between", "between_share_pct"]] = np.nan
                for partition in table.index[one_group]:
                    alone.setdefault((variable, str(partition)), []).append(f"{year} ({panel} panel)")
                for partition, row in zip(table.index, table.to_dict("records"), strict=True):
                    for measure, column in (("theil_total", "theil_total"), ("theil_between", "theil_between"),
                                            ("theil_between_share_pct", "between_share_pct")):
                        rows.append((variable, int(year), measure, str(partition), "", panel, float(row[column]),
                                     int(row["regions"])))
    notes += [f"Theil of {variable}: in {', '.join(years)} every region with a value and a weight is in one "
              f"{partition} group, so no share lies between {partition} groups"
              for (variable, partition), years in alone.items()]
    return _tidy([pd.DataFrame(rows, columns=list(CONVERGENCE_COLUMNS))] if rows else []), notes


def beta_table(values: Mapping[str, pd.DataFrame], *, countries: pd.Series, sides: pd.Series | None = None,
               breaks: Mapping[str, pd.DataFrame] | None = None, confidence: float = 0.95,
               min_regions: int = 3) -> pd.DataFrame:
    """Beta convergence between the first and last years: yearly change against the first year's level.

    Parameters
    ----------
    values
        Variable -> regions x years (the kept years; the first and last columns are used).
    countries, sides
        Groups: the borderland, each side (with a focus country) and each country with at least
        ``min_regions`` regions in both years.
    breaks
        Variable -> regions x years: a region whose series breaks after the first year is left out.
    confidence
        Level of the interval.
    min_regions
        Fewest regions a group needs (a line through two points has no error to estimate).

    Returns
    -------
    pandas.DataFrame
        :data:`TREND_COLUMNS` with ``measure`` = ``"beta"``: ``estimate`` the slope ``b`` (per
        index point of the first year's level), ``estimate_se``, ``ci_low``, ``ci_high``,
        ``r_squared``, ``regions``; ``verdict`` ``converging`` (the interval below 0),
        ``diverging`` or ``no clear trend``.

    Examples
    --------
    Every region reaches 1.0 after four years: ``b = -1/4``.

    >>> values = {"index": pd.DataFrame({2020: [0.2, 0.5, 0.9], 2024: [1.0, 1.0, 1.0]}, index=list("xyz"))}
    >>> round(float(beta_table(values, countries=pd.Series("P", index=list("xyz")))["estimate"].iloc[0]), 12)
    -0.25
    """
    rows = []
    for variable, frame in values.items():
        if frame.shape[1] < 2:
            continue
        first, last = frame.columns[0], frame.columns[-1]
        span = float(int(last) - int(first))
        usable = frame[[first, last]].dropna()
        broken = (breaks or {}).get(variable)
        if broken is not None:
            after = broken.reindex(index=usable.index, columns=frame.columns[1:], fill_value=False).any(axis=1)
            usable = usable[~after.to_numpy(dtype=bool)]
        level = usable[first]
        change = (usable[last] - usable[first]) / span
        groups: list[tuple[str, str, pd.Index]] = [("borderland", "", usable.index)]
        for scope, labels in (("side", sides), ("country", countries)):
            if labels is None:
                continue
            mine = labels.reindex(usable.index)
            groups += [(scope, str(group), pd.Index(members.index)) for group, members in mine.groupby(mine, sort=True)]
        for scope, group, members in groups:
            if len(members) < min_regions:
                continue
            fit = simple_ols(level.loc[members], change.loc[members], confidence=confidence)
            rows.append({"measure": "beta", "variable": variable, "scope": scope, "group": group, "panel": "balanced",
                         "years": 2, "regions": fit.n, "first_year": int(first), "last_year": int(last),
                         "first": float(level.loc[members].mean()), "last": float(usable.loc[members, last].mean()),
                         "change": float(change.loc[members].mean() * span), "estimate": fit.slope,
                         "estimate_se": fit.slope_se, "ci_low": fit.ci_low, "ci_high": fit.ci_high,
                         "r_squared": fit.r_squared})
    table = pd.DataFrame(rows, columns=[c for c in TREND_COLUMNS if c != "verdict"])
    table["verdict"] = slope_verdict(table["ci_low"], table["ci_high"], table["regions"], falling="converging",
                                     rising="diverging")
    return table[list(TREND_COLUMNS)]


def convergence_trends(table: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """The least-squares slope over the years of every series of the long convergence table.

    Parameters
    ----------
    table
        :data:`CONVERGENCE_COLUMNS` rows (:func:`sigma_table`, :func:`theil_by_year`,
        :func:`group_means`).
    confidence
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        :data:`TREND_COLUMNS`, one row per variable, measure, scope, group and panel: the
        slope per year (``estimate``) with its interval, the first and last years and values,
        their change; ``verdict`` ``converging`` / ``diverging`` for a dispersion
        (:data:`DISPERSION`: a fall is convergence), ``falling`` / ``rising`` otherwise, ``no
        clear trend`` when the interval holds 0, ``two years`` below three years. ``regions``
        is the fewest regions of a year.

    Examples
    --------
    >>> table = pd.DataFrame({"variable": "index", "year": [2020, 2021, 2022], "measure": "sd",
    ...                       "scope": "borderland", "group": "", "panel": "all", "value": [0.3, 0.2, 0.1],
    ...                       "regions": 5})
    >>> trend = convergence_trends(table)
    >>> round(float(trend["estimate"].iloc[0]), 12), trend["verdict"].iloc[0]
    (-0.1, 'converging')
    """
    keys = ["variable", "measure", "scope", "group", "panel"]
    if table.empty:
        return pd.DataFrame(columns=list(TREND_COLUMNS))
    wide = table.pivot_table(index=keys, columns="year", values="value", aggfunc="first", dropna=False)
    wide = wide.dropna(how="all")
    fewest = table.groupby(keys)["regions"].min().reindex(wide.index)
    fit = row_slopes(wide.to_numpy(dtype=float), wide.columns.to_numpy(dtype=float), confidence=confidence,
                     index=wide.index)
    out = fit.reset_index()
    dispersion = out["measure"].isin(DISPERSION).to_numpy()
    falling = slope_verdict(out["slope_ci_low"], out["slope_ci_high"], out["years"], falling="falling",
                            rising="rising")
    converging = slope_verdict(out["slope_ci_low"], out["slope_ci_high"], out["years"], falling="converging",
                               rising="diverging")
    verdict = np.where(dispersion, converging, falling)
    result = pd.DataFrame({
        "measure": out["measure"], "variable": out["variable"], "scope": out["scope"], "group": out["group"],
        "panel": out["panel"], "years": out["years"], "regions": fewest.to_numpy(), "first_year": out["first_year"],
        "last_year": out["last_year"], "first": out["first"], "last": out["last"], "change": out["change"],
        "estimate": out["slope"], "estimate_se": out["slope_se"], "ci_low": out["slope_ci_low"],
        "ci_high": out["slope_ci_high"], "r_squared": np.nan, "verdict": verdict,
    })
    return result[list(TREND_COLUMNS)]
