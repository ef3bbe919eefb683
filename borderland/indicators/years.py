"""Which year's value each index component takes for each region (:class:`YearRule`), and the values.

A component takes its values under a year rule (:data:`YEAR_RULES`): the exact year, the latest
year up to it, each region's latest value within a window, or each region's nearest year within
a window. :func:`traced_component_values` applies the rules and says, for every value, its year
and the indicator (and definition) it comes from; :func:`complete_by_year` and
:func:`choose_year` find the years in which regions on both sides of the border have every
component.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from borderland.errors import JoinError, SchemaError
from borderland.indicators.tidy import DEFINITION_COLUMN, normalised_definition

__all__ = ["YEAR_RULES", "ComponentValues", "YearKind", "YearRule", "choose_year", "complete_by_year",
           "component_values", "indicator_matrix", "traced_component_values"]

#: The kinds of year rule (:data:`YEAR_RULES`).
YearKind = Literal["exact", "latest", "window", "nearest"]


@dataclass(frozen=True)
class YearRule:
    """Which year's value an index component takes for each region.

    Attributes
    ----------
    kind
        ``"exact"``: the value of the year, nothing else. ``"latest"``: for each indicator name,
        the latest year up to the year in which any study region has a value (one year for all
        regions, so they stay comparable). ``"window"``: each region's own latest value from the
        year back to ``window`` years before it (more regions covered, years may differ).
        ``"nearest"``: each region's value of the year nearest to the reference year, at most
        ``window`` years before or after it; of two equally near years the earlier wins.
    year
        The reference year; ``None`` takes the study's year (chosen or set in ``[index]``).
    window
        For ``"window"``: how many years before the reference year are accepted
        (``window=2`` with 2021 accepts 2019, 2020 and 2021); for ``"nearest"``: how many years
        before or after it (``window=1`` with 2021 accepts 2020, 2021 and 2022).

    Examples
    --------
    >>> YearRule("window", window=2).describe(2021)
    'latest value per region in 2019-2021'
    >>> YearRule("nearest", window=3).describe(2021)
    'nearest year per region in 2018-2024 (of two equally near, the earlier)'
    """

    kind: YearKind = "exact"
    year: int | None = None
    window: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in YEAR_RULES:
            problems.append(f"unknown year rule {self.kind!r}; choose one of {sorted(YEAR_RULES)}")
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 0:
            problems.append(f"window must be a whole number of years >= 0, not {self.window!r}")
        elif self.window and self.kind not in _WINDOW_RULES:
            problems.append(f"window={self.window} only applies to the {' and '.join(map(repr, _WINDOW_RULES))} "
                            f"rules, not {self.kind!r}")
        if self.year is not None and (isinstance(self.year, bool) or not isinstance(self.year, int)):
            problems.append(f"year must be a whole number, not {self.year!r}")
        if problems:
            raise SchemaError("year rule: " + "; ".join(problems))

    def describe(self, year: int) -> str:
        """The rule in words, for reports and tooltips.

        Parameters
        ----------
        year
            The study's year, used when the rule has none of its own.

        Returns
        -------
        str
            E.g. ``"latest year up to 2021"``.
        """
        ref = self.year if self.year is not None else year
        if self.kind == "exact":
            return f"values of {ref}"
        if self.kind == "latest":
            return f"latest year up to {ref}"
        if self.kind == "nearest":
            return (f"nearest year per region in {ref - self.window}-{ref + self.window} "
                    "(of two equally near, the earlier)")
        return f"latest value per region in {ref - self.window}-{ref}"


def _exact_year(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    return rows[rows["year"] == year]


def _latest_year(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    candidates = rows[rows["year"] <= year]
    latest: pd.DataFrame = candidates[candidates["year"] == candidates["year"].max()]
    return latest


def _window_years(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    candidates = rows[(rows["year"] <= year) & (rows["year"] >= year - window)]
    # stable sort, so that among duplicates of the latest year the first row wins, as in "exact"
    return candidates.sort_values("year", kind="stable").drop_duplicates("region_id", keep="last")


def _nearest_years(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    distance = (rows["year"] - year).abs()
    candidates = rows.assign(_distance=distance)[distance.le(window).fillna(False).astype(bool)]
    # of 2020 and 2022 for 2021 the earlier wins: a value already known in the reference year;
    # stable sort, so that among duplicates of one year the first row wins, as in "exact"
    ordered = candidates.sort_values(["_distance", "year"], kind="stable")
    return ordered.drop_duplicates("region_id", keep="first").drop(columns="_distance")


#: Year rules: kind -> function(rows of one indicator, year, window) -> the rows to use.
YEAR_RULES: Final[Mapping[str, Callable[[pd.DataFrame, int, int], pd.DataFrame]]] = {
    "exact": _exact_year,
    "latest": _latest_year,
    "window": _window_years,
    "nearest": _nearest_years,
}

#: The rules that read ``window``.
_WINDOW_RULES: Final[tuple[str, ...]] = ("window", "nearest")


@dataclass(frozen=True)
class ComponentValues:
    """Each index component's value per region, the year it comes from and the indicator that gave it.

    Attributes
    ----------
    values
        One column per component (NaN where a region has none), indexed like the regions.
    years
        The year of each value: columns ``<component>_year``, nullable integers.
    indicators
        The indicator name each value comes from (the first of the component's names the region
        has a value for): columns ``<component>_indicator``, text, missing where there is no value;
        and, when the table has a ``definition`` column, the definition of each value:
        columns ``<component>_definition`` (white space normalised; missing where the row gives
        none). One indicator name may carry values of several definitions (Rosstat's and
        Eurostat's households with internet access, say).
    """

    values: pd.DataFrame
    years: pd.DataFrame
    indicators: pd.DataFrame


def traced_component_values(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    year: int,
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> ComponentValues:
    """Values of each index component per region, with the year and the indicator name of each.

    A component may be measured by different indicators on either side of a border (Eurostat's
    weekly internet users, Rosstat's users aged 15-74): the first of its indicator names that a
    region has a value for (under the component's year rule) is used, and named in
    ``indicators``, so that values of different definitions can be told apart
    (:mod:`borderland.comparability`).

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names, in order of preference.
    year
        The study's year.
    rules
        Component name -> :class:`YearRule`; components not named take the exact ``year``.

    Returns
    -------
    ComponentValues
        Values, their years and their indicator names, each indexed like ``regions``.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "y", "y"], "indicator": ["weekly", "used", "weekly"],
    ...                       "year": 2021, "value": [90.0, 85.0, 80.0]})
    >>> traced = traced_component_values(table, pd.DataFrame(index=["x", "y", "z"]),
    ...                                  {"users": ["used", "weekly"]}, 2021)
    >>> traced.values["users"].tolist(), traced.indicators["users_indicator"].tolist()
    ([90.0, 85.0, nan], ['weekly', 'used', <NA>])
    """
    rules = dict(rules or {})
    unknown = sorted(set(rules) - set(components))
    if unknown:
        raise SchemaError(f"year rules name unknown component(s) {unknown}; components are {sorted(components)}")
    codes = regions.index.astype(str)
    names = {n for ns in components.values() for n in ns}
    rows = table[table["indicator"].isin(names) & table["region_id"].isin(codes) & table["year"].notna()]
    defined = DEFINITION_COLUMN in rows.columns
    kept = ["region_id", "indicator", "year", "value", *([DEFINITION_COLUMN] if defined else [])]
    rows = rows[kept].astype({"year": "int64"})
    by_name = dict(tuple(rows.groupby("indicator", sort=False)))
    values = pd.DataFrame(index=regions.index)
    years = pd.DataFrame(index=regions.index)
    sources = pd.DataFrame(index=regions.index)
    n = len(regions)
    for component, indicator_names in components.items():
        rule = rules.get(component, YearRule())
        ref = rule.year if rule.year is not None else int(year)
        # filled as arrays (a masked pandas assignment per indicator cost more than the rest)
        value = np.full(n, np.nan)
        taken, dated = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        source = np.full(n, None, dtype=object)
        meaning = np.full(n, None, dtype=object)
        for name in indicator_names:
            if name not in by_name:
                continue
            chosen = YEAR_RULES[rule.kind](by_name[name], ref, rule.window).drop_duplicates("region_id")
            chosen = chosen.set_index("region_id").reindex(codes)
            found = chosen["value"].to_numpy(dtype=float, na_value=np.nan)
            fill = np.isnan(value) & ~np.isnan(found)
            value[fill] = found[fill]
            taken[fill] = chosen["year"].to_numpy(dtype=float, na_value=np.nan)[fill].astype(np.int64)
            dated |= fill
            source[fill] = name
            if defined:
                meaning[fill] = [normalised_definition(t) if isinstance(t, str) else None
                                 for t in chosen[DEFINITION_COLUMN].astype("string").to_numpy(dtype=object)[fill]]
        values[component] = value
        years[f"{component}_year"] = pd.arrays.IntegerArray(taken, ~dated)
        sources[f"{component}_indicator"] = pd.array(source, dtype="string")
        if defined:
            sources[f"{component}_definition"] = pd.array(meaning, dtype="string")
    return ComponentValues(values=values, years=years, indicators=sources)


def component_values(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    year: int,
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values of each index component per region, and the year each value comes from.

    A component may be measured by different indicators on either side of a border (Eurostat's
    weekly internet users, Rosstat's users aged 15-74): the first of its indicator names that a
    region has a value for (under the component's year rule) is used;
    :func:`traced_component_values` also says which.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names, in order of preference.
    year
        The study's year.
    rules
        Component name -> :class:`YearRule`; components not named take the exact ``year``.

    Returns
    -------
    tuple of pandas.DataFrame
        Values (one column per component, NaN where a region has none) and the years they come
        from (columns ``<component>_year``, nullable integers), both indexed like ``regions``.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "x", "y"], "indicator": "users", "year": [2019, 2020, 2019],
    ...                       "value": [1.0, 2.0, 3.0]})
    >>> values, years = component_values(table, pd.DataFrame(index=["x", "y"]), {"users": ["users"]}, 2021,
    ...                                  rules={"users": YearRule("window", window=2)})
    >>> values["users"].tolist(), years["users_year"].tolist()
    ([2.0, 3.0], [2020, 2019])
    """
    traced = traced_component_values(table, regions, components, year, rules=rules)
    return traced.values, traced.years


def indicator_matrix(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    year: int,
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> pd.DataFrame:
    """One column per index component, one row per region, values of ``year``.

    The values of :func:`component_values`, without the years.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names, in order of preference.
    year
        The year to take.
    rules
        Component name -> :class:`YearRule`; by default every component takes the exact year.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``; NaN where a region has no value.
    """
    return component_values(table, regions, components, year, rules=rules)[0]


def complete_by_year(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    years: Sequence[int],
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> pd.DataFrame:
    """Whether each region has every component in each candidate year, under the year rules.

    The same answer as ``indicator_matrix(table, regions, components, year, rules=rules)
    .notna().all(axis=1)`` for each year, computed for all years at once on a presence grid of
    region x year per indicator (a loop over the years costs about 50 ms a year on the bundled
    study; this, a few milliseconds in all).

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names.
    years
        The candidate years.
    rules
        Component name -> :class:`YearRule` (exact year by default).

    Returns
    -------
    pandas.DataFrame
        Booleans, indexed like ``regions``, one column per year.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "x", "y"], "indicator": "u", "year": [2019, 2021, 2020],
    ...                       "value": 1.0})
    >>> complete_by_year(table, pd.DataFrame(index=["x", "y"]), {"u": ["u"]}, [2020, 2021],
    ...                  rules={"u": YearRule("window", window=1)}).to_numpy().tolist()
    [[True, True], [True, True]]
    """
    rules = dict(rules or {})
    codes = regions.index.astype(str)
    position = pd.Series(np.arange(len(codes)), index=codes)
    names = {n for ns in components.values() for n in ns}
    rows = table[table["indicator"].isin(names) & table["region_id"].isin(codes) & table["year"].notna()]
    span_years = [int(y) for y in rows["year"]] + [int(y) for y in years]
    span_years += [r.year for r in rules.values() if r.year is not None]
    first = min(span_years, default=0)
    last = max(span_years, default=0)
    widest = max((r.window for r in rules.values()), default=0)
    first, last = first - widest, last + widest
    width = last - first + 1
    presence: dict[str, np.ndarray] = {}
    for name, group in rows.groupby("indicator", sort=False):
        grid = np.zeros((len(codes), width), dtype=bool)
        grid[position[group["region_id"].astype(str)].to_numpy(), group["year"].astype(int).to_numpy() - first] = True
        presence[str(name)] = grid
    complete = np.ones((len(codes), len(years)), dtype=bool)
    for component, indicator_names in components.items():
        rule = rules.get(component, YearRule())
        refs = np.array([rule.year if rule.year is not None else int(y) for y in years], dtype=int) - first
        covered = np.zeros((len(codes), len(years)), dtype=bool)
        for name in indicator_names:
            if name not in presence:
                continue
            grid = presence[name]
            if rule.kind == "exact":
                covered |= grid[:, refs]
            elif rule.kind == "latest":
                # one year for all regions: the latest up to the reference in which any region has a value
                any_region = grid.any(axis=0)
                latest = np.maximum.accumulate(np.where(any_region, np.arange(width), -1))
                chosen = latest[refs]
                covered |= np.where(chosen >= 0, grid[:, np.maximum(chosen, 0)], False)
            else:
                before, after = (rule.window, 0) if rule.kind == "window" else (rule.window, rule.window)
                counts = np.concatenate([np.zeros((len(codes), 1), dtype=int), np.cumsum(grid, axis=1)], axis=1)
                low = np.clip(refs - before, 0, width)
                high = np.clip(refs + after + 1, 0, width)
                covered |= (counts[:, high] - counts[:, low]) > 0
        complete &= covered
    return pd.DataFrame(complete, index=regions.index, columns=list(years))


def choose_year(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    *,
    focus_country: str | None = None,
    rules: Mapping[str, YearRule] | None = None,
) -> tuple[int, pd.DataFrame]:
    """The latest year in which the most regions on both sides of the border have every component.

    "Both sides" are the focus country and all others (or, without a focus country, all regions).
    Years in which either side has no complete region are not eligible.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code, with ``country``.
    components
        As for :func:`indicator_matrix`.
    focus_country
        ISO alpha-2 code of the country at the centre of the study (``"RU"``).
    rules
        Component name -> :class:`YearRule`: a region counts as complete in a year when every
        component has a value under its rule (e.g. a window reaching back from that year).

    Returns
    -------
    tuple of int and pandas.DataFrame
        The year, and the per-year counts (``focus``, ``others``, ``total``) it was chosen from.
    """
    names = {n for ns in components.values() for n in ns}
    years = [int(y) for y in sorted(table.loc[table["indicator"].isin(names), "year"].dropna().unique())]
    complete = complete_by_year(table, regions, components, years, rules=rules).to_numpy()
    focus = (regions["country"].eq(focus_country) if focus_country else pd.Series(True, index=regions.index))
    focus_mask = focus.fillna(False).to_numpy(dtype=bool)[:, None]
    counts = pd.DataFrame({"focus": (complete & focus_mask).sum(axis=0).astype(int),
                           "others": (complete & ~focus_mask).sum(axis=0).astype(int) if focus_country
                           else np.zeros(len(years), dtype=int)},
                          index=pd.Index(years, name="year", dtype="int64"))
    counts["total"] = counts["focus"] + counts["others"]
    eligible = counts[(counts["focus"] > 0) & ((counts["others"] > 0) | (focus_country is None))]
    if eligible.empty:
        raise JoinError(
            "no year has every index component for regions on both sides of the border; per year "
            f"(focus, others): {counts[['focus', 'others']].to_dict('index')}. Drop a component from [index], "
            "allow nearby years (year_rule = \"window\" or \"nearest\"), or set [index] year"
        )
    best = eligible[eligible["total"] == eligible["total"].max()].index.max()
    return int(best), counts
