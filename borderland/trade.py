"""Trade ties across the border: trade indicators, flows between regions, and their link to the divide.

Three families of measures live here.

* **Trade indicators** of each region, computed from the tidy indicator table
  (``region_id, indicator, year, value, unit, source, note``): totals, per capita (with the
  population of a year the caller states), shares such as trade with CIS countries over the
  total, growth rates, and the concentration of a region's trade on its partners (top-partner
  share, Herfindahl index). Each returns a Series indexed like ``regions`` and named with its
  unit; :func:`as_indicator_rows` turns them back into tidy rows so that they can enter the index.
* **Flows**: one row per figure that ties two places (``origin``, ``destination``, ``value``,
  ``unit``, ``year``, ``flow_type``, ``period``, ``source``, ``note``). They are parsed from the
  bilateral indicator names of the tidy table (``goods_trade_turnover_with:BY-MA (Mogilev
  oblast)``) and from tables of published figures (``subject, partner, indicator, ...``), matched
  to the regions like indicators (codes that are neither a study region nor a study country are
  reported, never reassigned), and drawn as lines. Every flow keeps the ``source``, ``note``,
  ``source_table`` and ``source_row`` of the row it came from.
* **The link to the divide**: per cross-border pair and per border segment, the trade figure
  beside the digital gap, and Spearman's rank correlation with a caveat about the number of pairs.

Direction convention: ``origin`` and ``destination`` follow the goods. An export reported by A to B
runs A → B; an import reported by A from B runs B → A (``reporter`` stays A). Turnover has no
direction: it runs from the reporter to the partner and its ``direction`` is ``both_ways``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.border import segment_label
from borderland.errors import JoinError, SchemaError, collect
from borderland.indicators import parse_numbers
from borderland.layers import require_projected

# --------------------------------------------------------------------------------------------
# Registries
# --------------------------------------------------------------------------------------------

#: Trade measures as signed sums of tidy-table indicators. The defaults are the names of Rosstat's
#: yearbook table 25.4 (foreign trade of each constituent entity) in the bundled study.
TRADE_MEASURES: Final[Mapping[str, tuple[tuple[str, int], ...]]] = {
    "exports": (("foreign_trade_exports_total", 1),),
    "imports": (("foreign_trade_imports_total", 1),),
    "turnover": (("foreign_trade_exports_total", 1), ("foreign_trade_imports_total", 1)),
    "balance": (("foreign_trade_exports_total", 1), ("foreign_trade_imports_total", -1)),
    "cis_exports": (("foreign_trade_exports_to_cis_countries", 1),),
    "cis_imports": (("foreign_trade_imports_from_cis_countries", 1),),
    "cis_turnover": (("foreign_trade_exports_to_cis_countries", 1), ("foreign_trade_imports_from_cis_countries", 1)),
    "non_cis_exports": (("foreign_trade_exports_to_non_cis_countries", 1),),
    "non_cis_imports": (("foreign_trade_imports_from_non_cis_countries", 1),),
    "non_cis_turnover": (("foreign_trade_exports_to_non_cis_countries", 1),
                         ("foreign_trade_imports_from_non_cis_countries", 1)),
}

#: Money units: unit string -> (currency, factor to one unit of that currency).
MONEY_UNITS: Final[Mapping[str, tuple[str, float]]] = {
    f"{prefix}{currency}": (currency, factor)
    for currency in ("USD", "EUR", "RUB", "BYN")
    for prefix, factor in (("", 1.0), ("thousand ", 1e3), ("million ", 1e6), ("billion ", 1e9))
}

#: Population units: unit string -> persons per unit.
POPULATION_UNITS: Final[Mapping[str, float]] = {"persons": 1.0, "thousand persons": 1e3, "million persons": 1e6}

#: What each flow type measures; ``growth_rate`` rows say in ``basis`` what they are a rate of.
FLOW_TYPES: Final[Mapping[str, str]] = {
    "exports": "goods sent from origin to destination",
    "imports": "goods received by destination from origin (reported by the importer)",
    "turnover": "exports plus imports between the two places (no direction)",
    "growth_rate": "growth of the flow named in `basis`, e.g. % of the previous year",
}

#: Prefixes of bilateral indicator names in a tidy table (``prefix:CODE (label) [period: ...]``).
FLOW_PREFIXES: Final[Mapping[str, str]] = {
    "goods_trade_turnover_with": "turnover",
    "trade_turnover_with": "turnover",
    "exports_to": "exports",
    "imports_from": "imports",
}

#: Indicators of a published-figures table (``subject, partner, indicator, ...``) that are flows:
#: indicator -> (flow_type, basis). Rows with a partner but another indicator (a concentration, a
#: count of partners, an expert rating) are not flows and are reported as skipped.
PUBLISHED_FLOW_MEASURES: Final[Mapping[str, tuple[str, str]]] = {
    "export_growth_rate": ("growth_rate", "exports"),
    "export_growth_rate_second_moscow_figure": ("growth_rate", "exports"),
    "import_growth_rate": ("growth_rate", "imports"),
    "turnover_growth_rate": ("growth_rate", "turnover"),
    "exports": ("exports", "exports"),
    "imports": ("imports", "imports"),
    "turnover": ("turnover", "turnover"),
}

#: Growth expressed as an index (100 = no change, "% of base year") or as a change in %.
GROWTH_KINDS: Final[Mapping[str, str]] = {"index": "pct_of", "change": "change_pct_since"}

#: Columns of a normalised flow table, in order.
FLOW_COLUMNS: Final[tuple[str, ...]] = (
    "origin", "destination", "value", "unit", "year", "flow_type", "basis", "period", "reporter",
    "partner_label", "indicator", "source", "note", "source_table", "source_row",
)

#: The period of a figure for a whole calendar year (part-year figures name their months).
FULL_YEAR: Final[str] = "year"

#: Below this many pairs an association is descriptive only.
MIN_PAIRS_FOR_INFERENCE: Final[int] = 10

_BILATERAL = re.compile(
    r"^(?P<prefix>[A-Za-z_]+):\s*(?P<code>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)\s*"
    r"(?:\((?P<label>[^)]*)\))?\s*(?:\[period:\s*(?P<period>[^\]]+)\])?\s*$"
)
_SLUG = re.compile(r"[^a-z0-9]+")


def _unit_slug(unit: str) -> str:
    """``"million USD"`` -> ``"million_usd"``; ``"%"`` -> ``"pct"``."""
    return _SLUG.sub("_", unit.replace("%", " pct ").lower()).strip("_")


# --------------------------------------------------------------------------------------------
# Trade indicators of regions
# --------------------------------------------------------------------------------------------


def _resolve_measure(
    name: str, table: pd.DataFrame, measures: Mapping[str, tuple[tuple[str, int], ...]]
) -> tuple[tuple[str, int], ...]:
    if name in measures:
        return measures[name]
    if name in set(table["indicator"].astype(str)):
        return ((name, 1),)
    raise SchemaError(
        f"unknown trade measure {name!r}; choose one of {sorted(measures)} or an indicator of the table"
    )


def _indicator_values(table: pd.DataFrame, indicator: str, year: int) -> tuple[pd.Series, str | None]:
    """Values of one indicator in one year by region, and their single unit."""
    rows = table[(table["indicator"].astype(str) == indicator) & (table["year"] == year)]
    values = pd.to_numeric(rows["value"], errors="coerce")
    units = sorted(set(rows["unit"].dropna().astype(str))) if "unit" in rows.columns else []
    if len(units) > 1:
        raise SchemaError(
            f"indicator {indicator!r} in {year} comes in {len(units)} units ({', '.join(units)}); "
            "bring it to one unit before computing trade measures"
        )
    by_region = values.groupby(rows["region_id"].astype(str))
    conflicting = by_region.nunique()
    conflicting = conflicting[conflicting > 1]
    if len(conflicting):
        raise SchemaError(
            f"indicator {indicator!r} has different values for one region in {year}: "
            f"{', '.join(conflicting.index)}; keep one row per region, indicator and year"
        )
    return by_region.first(), (units[0] if units else None)


def _measure(
    table: pd.DataFrame, regions: pd.DataFrame, measure: str, year: int,
    measures: Mapping[str, tuple[tuple[str, int], ...]],
) -> tuple[pd.Series, str]:
    """Signed sum of a measure's indicators per region (NaN where any is missing) and its unit."""
    terms = _resolve_measure(measure, table, measures)
    total = pd.Series(0.0, index=regions.index)
    units: dict[str, str | None] = {}
    for indicator, sign in terms:
        values, unit = _indicator_values(table, indicator, year)
        units[indicator] = unit
        # reindex gives NaN to regions without the indicator, so the sum is NaN: never a partial total
        total = total + sign * values.reindex(regions.index.astype(str)).to_numpy(dtype=float)
    distinct = {u for u in units.values() if u is not None}
    if len(distinct) > 1:
        raise SchemaError(
            f"measure {measure!r} adds indicators in different units ({units}); "
            "they must share one unit"
        )
    return total, (distinct.pop() if distinct else "")


def trade_total(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    measure: str = "turnover",
    measures: Mapping[str, tuple[tuple[str, int], ...]] = TRADE_MEASURES,
) -> pd.Series:
    """A trade total of each region in one year: exports, imports, turnover, balance, ...

    Parameters
    ----------
    table
        Tidy indicator table (:func:`borderland.indicators.tidy_table`).
    regions
        Region layer indexed by code.
    year
        The year of the values.
    measure
        A key of ``measures`` (a signed sum of indicators), or one indicator name of the table.
    measures
        Measure definitions; :data:`TRADE_MEASURES` names Rosstat's foreign-trade indicators.

    Returns
    -------
    pandas.Series
        Indexed like ``regions``, named ``trade_<measure>_<unit>`` (``trade_turnover_million_usd``);
        NaN where a region lacks any of the measure's indicators in ``year``.

    Examples
    --------
    >>> regions = pd.DataFrame(index=pd.Index(["X", "Y"], name="region_id"))
    >>> table = pd.DataFrame({"region_id": ["X", "X", "Y"], "year": 2021, "unit": "million USD",
    ...     "indicator": ["foreign_trade_exports_total", "foreign_trade_imports_total", "foreign_trade_exports_total"],
    ...     "value": [3.0, 1.0, 2.0]})
    >>> trade_total(table, regions, year=2021).tolist()
    [4.0, nan]
    """
    values, unit = _measure(table, regions, measure, year, measures)
    return values.rename(f"trade_{measure}_{_unit_slug(unit)}" if unit else f"trade_{measure}")


def population(
    table: pd.DataFrame, regions: pd.DataFrame, *, year: int, indicator: str = "population_1_january"
) -> pd.Series:
    """Population of each region in persons, from the rows of one stated year.

    Each row's unit (``persons``, ``thousand persons``, ...) is converted with
    :data:`POPULATION_UNITS`, so tables that mix them (Eurostat persons, Rosstat thousands) agree.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    year
        The population year; it is never chosen silently, because trade and population years differ.
    indicator
        Name of the population indicator.

    Returns
    -------
    pandas.Series
        ``population_<year>_persons``, indexed like ``regions``; NaN without a value of that year.
    """
    rows = table[table["indicator"].astype(str) == indicator]
    if rows.empty:
        raise SchemaError(f"the table has no {indicator!r} rows; per-capita values need a population")
    years = sorted(int(y) for y in rows["year"].dropna().unique())
    rows = rows[rows["year"] == year]
    if rows.empty:
        raise SchemaError(f"no {indicator!r} for {year}; the table has it for {years}. State one of those years")
    units = rows["unit"].astype(str)
    unknown = sorted(set(units) - set(POPULATION_UNITS))
    if unknown:
        raise SchemaError(f"unknown population unit(s) {unknown}; known units are {sorted(POPULATION_UNITS)}")
    persons = pd.to_numeric(rows["value"], errors="coerce") * units.map(POPULATION_UNITS).astype(float)
    by_region = persons.groupby(rows["region_id"].astype(str)).first()
    return by_region.reindex(regions.index.astype(str)).set_axis(regions.index).rename(f"population_{year}_persons")


def trade_per_capita(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    population_year: int,
    measure: str = "turnover",
    population_indicator: str = "population_1_january",
    measures: Mapping[str, tuple[tuple[str, int], ...]] = TRADE_MEASURES,
) -> pd.Series:
    """A trade total per inhabitant, in whole currency units per person.

    Parameters
    ----------
    table
        Tidy indicator table with the trade indicators and a population indicator.
    regions
        Region layer indexed by code.
    year
        The year of the trade values.
    population_year
        The year of the population used (the bundled Rosstat population is "on 1 January", so
        1 January 2022 is the end of the trade year 2021); named in the result.
    measure
        As for :func:`trade_total`.
    population_indicator
        Name of the population indicator.
    measures
        Measure definitions.

    Returns
    -------
    pandas.Series
        Named ``trade_<measure>_<currency>_per_capita_pop<population_year>``
        (``trade_turnover_usd_per_capita_pop2022``); NaN where either side is missing.
    """
    values, unit = _measure(table, regions, measure, year, measures)
    if unit not in MONEY_UNITS:
        raise SchemaError(
            f"measure {measure!r} is in {unit!r}, not a money unit; per capita needs one of {sorted(MONEY_UNITS)}"
        )
    currency, factor = MONEY_UNITS[unit]
    people = population(table, regions, year=population_year, indicator=population_indicator)
    per_capita = values * factor / people.where(people > 0)
    return per_capita.rename(f"trade_{measure}_{currency.lower()}_per_capita_pop{population_year}")


def trade_share(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    part: str = "cis_turnover",
    whole: str = "turnover",
    measures: Mapping[str, tuple[tuple[str, int], ...]] = TRADE_MEASURES,
) -> pd.Series:
    """One trade measure as a share of another, in % (e.g. trade with CIS countries / all trade).

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    year
        The year of the values.
    part, whole
        Measures (keys of ``measures`` or indicator names) in the same unit.
    measures
        Measure definitions.

    Returns
    -------
    pandas.Series
        ``trade_<part>_share_of_<whole>_pct``, indexed like ``regions``; NaN where the whole is
        missing or zero.
    """
    numerator, unit_part = _measure(table, regions, part, year, measures)
    denominator, unit_whole = _measure(table, regions, whole, year, measures)
    if unit_part and unit_whole and unit_part != unit_whole:
        raise SchemaError(f"{part!r} is in {unit_part!r} but {whole!r} in {unit_whole!r}; a share needs one unit")
    return (100.0 * numerator / denominator.where(denominator != 0)).rename(f"trade_{part}_share_of_{whole}_pct")


def trade_growth(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    base_year: int,
    measure: str = "turnover",
    kind: str = "index",
    measures: Mapping[str, tuple[tuple[str, int], ...]] = TRADE_MEASURES,
) -> pd.Series:
    """Growth of a trade measure between two years.

    Part-year figures carry their period in the indicator name, so they are never compared with
    full-year figures here.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    year, base_year
        The year compared and the year it is compared with.
    measure
        As for :func:`trade_total`.
    kind
        ``"index"``: value / base × 100 (% of the base year, 100 = no change, the form the
        published figures use); ``"change"``: (value / base − 1) × 100.
    measures
        Measure definitions.

    Returns
    -------
    pandas.Series
        ``trade_<measure>_pct_of_<base_year>`` or ``trade_<measure>_change_pct_since_<base_year>``;
        NaN where either year is missing or the base is not positive.
    """
    if kind not in GROWTH_KINDS:
        raise SchemaError(f"unknown growth kind {kind!r}; choose one of {sorted(GROWTH_KINDS)}")
    current, unit_now = _measure(table, regions, measure, year, measures)
    base, unit_base = _measure(table, regions, measure, base_year, measures)
    if unit_now and unit_base and unit_now != unit_base:
        raise SchemaError(f"{measure!r} is in {unit_base!r} in {base_year} but {unit_now!r} in {year}")
    ratio = current / base.where(base > 0)
    values = 100.0 * ratio if kind == "index" else 100.0 * (ratio - 1.0)
    return values.rename(f"trade_{measure}_{GROWTH_KINDS[kind]}_{base_year}")


def _amounts(values: Iterable[float]) -> np.ndarray:
    amounts = np.asarray(list(values), dtype=float)
    amounts = amounts[~np.isnan(amounts)]
    if (amounts < 0).any():
        raise SchemaError(f"concentration needs non-negative amounts, got {amounts[amounts < 0].tolist()}")
    return amounts


def herfindahl(values: Iterable[float]) -> float:
    """Herfindahl index of concentration: the sum of squared shares, in (0, 1].

    1 means one partner takes everything; with n equal partners it is 1/n.

    Parameters
    ----------
    values
        Non-negative amounts per partner (NaN are ignored).

    Returns
    -------
    float
        The index; NaN when there is nothing (no amounts, or all zero).

    Examples
    --------
    >>> round(herfindahl([50, 30, 20]), 4)
    0.38
    """
    amounts = _amounts(values)
    total = amounts.sum()
    if not total > 0:
        return float("nan")
    return float(((amounts / total) ** 2).sum())


def top_share(values: Iterable[float], k: int = 1) -> float:
    """Share of the ``k`` largest partners in the total, in %.

    Parameters
    ----------
    values
        Non-negative amounts per partner (NaN are ignored).
    k
        How many of the largest partners to count.

    Returns
    -------
    float
        The share in %; NaN when the total is zero.

    Examples
    --------
    >>> top_share([50, 30, 20], k=2)
    80.0
    """
    if k < 1:
        raise SchemaError(f"k must be at least 1, not {k}")
    amounts = _amounts(values)
    total = amounts.sum()
    if not total > 0:
        return float("nan")
    return float(100.0 * np.sort(amounts)[::-1][:k].sum() / total)


def partner_concentration(
    flows: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    flow_type: str = "exports",
    year: int | None = None,
    period: str = FULL_YEAR,
    top: int = 1,
    partner_level: str = "region",
    min_partners: int = 2,
) -> pd.DataFrame:
    """How concentrated each reporting region's trade is on its partners, from a flow table.

    Only the partners listed in ``flows`` count: a region with three quoted partners out of
    seventy is described by those three. Partners of one level only are used (oblasts, or whole
    countries), because an oblast's flow is part of its country's.

    Parameters
    ----------
    flows
        Matched flows (:func:`match_flows`).
    regions
        Region layer indexed by code.
    flow_type
        ``"exports"``, ``"imports"`` or ``"turnover"`` (growth rates are not amounts).
    year
        The year; by default each reporter's latest year.
    period
        Only figures of this period (a whole year by default).
    top
        How many of the largest partners the top share counts.
    partner_level
        ``"region"`` or ``"country"``.
    min_partners
        Fewer partners than this give NaN (one partner is trivially 100 %).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``: ``partners_n``, ``top<top>_partner_share_pct``,
        ``partner_herfindahl`` (0-1).
    """
    if flow_type not in ("exports", "imports", "turnover"):
        raise SchemaError(
            f"concentration needs amounts; flow_type must be exports, imports or turnover, not {flow_type!r}"
        )
    if partner_level not in ("region", "country"):
        raise SchemaError(f"partner_level must be 'region' or 'country', not {partner_level!r}")
    _require_columns(flows, ("reporter", "origin", "destination", "origin_kind", "destination_kind"), "flow table",
                     "match it with borderland.trade.match_flows first")
    rows = flows[(flows["flow_type"] == flow_type) & (flows["period"] == period) & flows["matched"]]
    if year is not None:
        rows = rows[rows["year"] == year]
    partner = np.where(rows["origin"] == rows["reporter"], rows["destination"], rows["origin"])
    partner_kind = np.where(rows["origin"] == rows["reporter"], rows["destination_kind"], rows["origin_kind"])
    rows = rows.assign(partner=partner)[partner_kind == partner_level]
    if year is None and len(rows):
        rows = rows[rows["year"] == rows.groupby("reporter")["year"].transform("max")]
    units = rows.groupby("reporter")["unit"].nunique()
    if (units > 1).any():
        raise SchemaError(f"reporters {sorted(units[units > 1].index)} have {flow_type} in several units; use one unit")
    amounts = rows.groupby(["reporter", "partner"])["value"].sum()
    out = pd.DataFrame(index=regions.index)
    count = amounts.groupby(level="reporter").size()
    out["partners_n"] = count.reindex(regions.index).fillna(0).astype(int)
    enough = out["partners_n"] >= min_partners
    share = amounts.groupby(level="reporter").apply(lambda s: top_share(s.to_numpy(), top))
    hhi = amounts.groupby(level="reporter").apply(lambda s: herfindahl(s.to_numpy()))
    out[f"top{top}_partner_share_pct"] = share.reindex(regions.index).where(enough)
    out["partner_herfindahl"] = hhi.reindex(regions.index).where(enough)
    return out


def trade_indicators(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    population_year: int | None = None,
    measures: Mapping[str, tuple[tuple[str, int], ...]] = TRADE_MEASURES,
) -> pd.DataFrame:
    """The standard trade columns of each region: totals, balance, CIS share, per capita.

    Measures whose indicators the table does not have are left out (listed in
    ``attrs["left_out"]``), so a study without Rosstat's trade table gets only what it has.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    year
        The trade year.
    population_year
        The population year for per-capita turnover; none without it.
    measures
        Measure definitions.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``; columns such as ``trade_turnover_million_usd``,
        ``trade_cis_turnover_share_of_turnover_pct``, ``trade_turnover_usd_per_capita_pop2022``.
        ``attrs["units"]`` maps each column to its unit.
    """
    have = set(table["indicator"].astype(str))

    def available(name: str) -> bool:
        return name in measures and all(ind in have for ind, _ in measures[name])

    columns: list[pd.Series] = []
    units: dict[str, str] = {}
    left_out: list[str] = []
    for name in ("exports", "imports", "turnover", "balance"):
        if available(name):
            series = trade_total(table, regions, year=year, measure=name, measures=measures)
            units[str(series.name)] = _measure(table, regions, name, year, measures)[1]
            columns.append(series)
        else:
            left_out.append(name)
    for part in ("cis_turnover", "non_cis_turnover"):
        if available(part) and available("turnover"):
            series = trade_share(table, regions, year=year, part=part, whole="turnover", measures=measures)
            units[str(series.name)] = "%"
            columns.append(series)
        else:
            left_out.append(f"{part} share")
    if population_year is not None and available("turnover"):
        series = trade_per_capita(table, regions, year=year, population_year=population_year, measures=measures)
        currency = MONEY_UNITS[_measure(table, regions, "turnover", year, measures)[1]][0]
        units[str(series.name)] = f"{currency} per person (population {population_year})"
        columns.append(series)
    if not columns:
        raise SchemaError(
            f"the table has none of the trade indicators of {sorted(measures)}; "
            "pass measures= naming the table's trade indicators"
        )
    out = pd.concat(columns, axis=1)
    out.attrs["units"] = units
    out.attrs["left_out"] = left_out
    out.attrs["year"] = year
    return out


def as_indicator_rows(
    frame: pd.DataFrame | pd.Series, *, year: int, source: str, note: str = "", units: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Computed region values as tidy indicator rows, so that they can enter the index.

    Parameters
    ----------
    frame
        Columns (or one Series) indexed by region code, e.g. from :func:`trade_indicators`.
    year
        The year to file them under.
    source
        What they were computed from (kept in every row).
    note
        Caveats, e.g. the population year.
    units
        Column -> unit; ``frame.attrs["units"]`` by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``region_id, indicator, year, value, unit, source, note``; rows without a value
        are dropped.
    """
    data = frame.to_frame() if isinstance(frame, pd.Series) else frame
    units = units if units is not None else data.attrs.get("units", {})
    long = data.rename_axis("region_id").reset_index().melt(
        id_vars="region_id", var_name="indicator", value_name="value")
    long = long[long["value"].notna()]
    return pd.DataFrame({
        "region_id": long["region_id"].astype(str),
        "indicator": long["indicator"].astype(str),
        "year": pd.array([year] * len(long), dtype="Int64"),
        "value": long["value"].astype(float),
        "unit": long["indicator"].map(lambda c: units.get(c, "")),
        "source": source,
        "note": note,
    }).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Flows: parse, normalise, match
# --------------------------------------------------------------------------------------------


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, fix: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise SchemaError(f"{what} lacks column(s) {', '.join(missing)} (has {have}); {fix}")


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else str(value)


def _year(value: object) -> int | None:
    text = _text(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return int(float(text))
    return None


def _flow_row(
    *, reporter: str, partner: str, flow_type: str, basis: str, value: float, unit: str, year: int | None,
    period: str, partner_label: str, indicator: str, source: str, note: str, source_table: str, source_row: object,
) -> dict[str, object]:
    # goods direction: an import reported by A from B runs B -> A
    origin, destination = (partner, reporter) if basis == "imports" else (reporter, partner)
    return {
        "origin": origin, "destination": destination, "value": value, "unit": unit, "year": year,
        "flow_type": flow_type, "basis": basis, "period": period, "reporter": reporter,
        "partner_label": partner_label, "indicator": indicator, "source": source, "note": note,
        "source_table": source_table, "source_row": source_row,
    }


def _flow_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    frame["value"] = frame["value"].astype(float)
    frame["year"] = frame["year"].astype("Int64")
    labels = frame["source_row"].tolist()
    # integer row labels stay integers (a GeoPackage column QGIS can sort); other labels stay as given
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels)
    frame["source_row"] = pd.array(labels, dtype="Int64") if integral else pd.array(labels, dtype=object)
    for column in ("origin", "destination", "unit", "flow_type", "basis", "period", "reporter", "partner_label",
                   "indicator", "source", "note", "source_table"):
        frame[column] = frame[column].astype(object)
    return frame


def flows_from_indicators(
    table: pd.DataFrame, *, source_table: str = "indicators", prefixes: Mapping[str, str] = FLOW_PREFIXES
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Flows hidden in the bilateral indicator names of a tidy (or raw long) indicator table.

    ``goods_trade_turnover_with:BY-MA (Mogilev oblast) [period: January-May]`` filed under
    ``RU-BRY`` becomes a turnover flow RU-BRY → BY-MA with period ``January-May``; the text in
    brackets is kept as ``partner_label``. Names without a colon are ordinary indicators and are
    ignored.

    Parameters
    ----------
    table
        Columns ``region_id`` (or ``region_code``), ``indicator``, ``year``, ``value`` and
        optionally ``unit``, ``source``, ``note``. Pass the table as read
        (:func:`borderland.io.read_table`) to keep ``source_row`` equal to the file's data row.
    source_table
        Label of the table, kept in every flow (e.g. the file name).
    prefixes
        Name prefix -> flow type.

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        The flows (:data:`FLOW_COLUMNS`; ``source_row`` is the row label in ``table``) and one
        sentence per bilateral-looking row that could not be read.
    """
    frame = table.rename(columns={"region_code": "region_id"}) if "region_id" not in table.columns else table
    _require_columns(frame, ("region_id", "indicator", "year", "value"), "indicator table",
                     "give a tidy long table (borderland.indicators.TIDY_COLUMNS)")
    values = parse_numbers(frame["value"])
    rows: list[dict[str, object]] = []
    skipped: list[str] = []
    for label, record in frame.iterrows():
        name = _text(record["indicator"])
        if ":" not in name:
            continue
        where = f"{source_table} row {label} ({_text(record['region_id'])}, {name!r})"
        match = _BILATERAL.match(name)
        if match is None or match["prefix"] not in prefixes:
            skipped.append(f"{where}: not a bilateral name of the form <prefix>:<CODE> (label) [period: ...] "
                           f"with a prefix of {sorted(prefixes)}")
            continue
        value, year = values.loc[label], _year(record["year"])
        if math.isnan(value) or year is None:
            skipped.append(f"{where}: value {record['value']!r} or year {record['year']!r} is not a number")
            continue
        flow_type = prefixes[match["prefix"]]
        rows.append(_flow_row(
            reporter=_text(record["region_id"]).strip(), partner=match["code"].upper(), flow_type=flow_type,
            basis=flow_type, value=float(value), unit=_text(record.get("unit")), year=year,
            period=(match["period"] or FULL_YEAR).strip(), partner_label=_text(match["label"]).strip(),
            indicator=name, source=_text(record.get("source")), note=_text(record.get("note")),
            source_table=source_table, source_row=label,
        ))
    return _flow_frame(rows), tuple(skipped)


def flows_from_published(
    table: pd.DataFrame,
    *,
    source_table: str = "published_figures",
    measures: Mapping[str, tuple[str, str]] = PUBLISHED_FLOW_MEASURES,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Flows from a table of published figures with one subject and one partner per row.

    A row is a flow when it has a partner and its indicator is a key of ``measures``
    (``export_growth_rate`` of BY-MA to RU-SMO is an export growth rate BY-MA → RU-SMO). Rows
    with a partner and another indicator (a concentration, a count, an expert rating) are
    reported as skipped. A ``same study`` / ``same survey`` source is kept verbatim; the
    ``source_row`` leads back to the row.

    Parameters
    ----------
    table
        Columns ``subject``, ``partner``, ``indicator``, ``year``, ``value``, ``unit``, ``source``,
        ``note`` (``geodata/published_figures.csv``).
    source_table
        Label of the table, kept in every flow.
    measures
        Indicator -> (flow_type, basis).

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        The flows and one sentence per partner row that is not a flow.
    """
    _require_columns(table, ("subject", "partner", "indicator", "year", "value"), "published-figures table",
                     "give columns subject, partner, indicator, year, value, unit, source, note")
    values = parse_numbers(table["value"])
    rows: list[dict[str, object]] = []
    skipped: list[str] = []
    # "same study" points at the nearest row above that names the study in full
    full_source = ""
    for label, record in table.iterrows():
        source = _text(record.get("source"))
        if source and not source.lower().startswith("same "):
            full_source = source
        partner = _text(record["partner"]).strip()
        if not partner:
            continue
        indicator = _text(record["indicator"])
        where = f"{source_table} row {label} ({_text(record['subject'])} -> {partner}, {indicator!r})"
        if indicator not in measures:
            skipped.append(f"{where}: not a flow measure (not a key of the flow measures)")
            continue
        value, year = values.loc[label], _year(record["year"])
        if math.isnan(value) or year is None:
            skipped.append(f"{where}: value {record['value']!r} or year {record['year']!r} is not a number")
            continue
        flow_type, basis = measures[indicator]
        if source.lower().startswith("same ") and full_source:
            source = f"{source}: {full_source}"
        rows.append(_flow_row(
            reporter=_text(record["subject"]).strip(), partner=partner, flow_type=flow_type, basis=basis,
            value=float(value), unit=_text(record.get("unit")), year=year, period=FULL_YEAR, partner_label="",
            indicator=indicator, source=source, note=_text(record.get("note")), source_table=source_table,
            source_row=label,
        ))
    return _flow_frame(rows), tuple(skipped)


def normalise_flows(table: pd.DataFrame, *, source_table: str = "flows") -> pd.DataFrame:
    """Check and complete a ready-made flow table (one flow per row).

    Parameters
    ----------
    table
        Columns ``origin``, ``destination``, ``value``, ``flow_type`` and optionally ``unit``,
        ``year``, ``period``, ``basis``, ``reporter``, ``partner_label``, ``indicator``,
        ``source``, ``note``. ``origin`` → ``destination`` is the direction of the goods.
    source_table
        Label of the table, kept in every flow.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`; every problem is reported at once.
    """
    _require_columns(table, ("origin", "destination", "value", "flow_type"), "flow table",
                     f"a flow table needs origin, destination, value and flow_type ({sorted(FLOW_TYPES)})")
    values = parse_numbers(table["value"])
    problems: list[str] = []
    bad_type = ~table["flow_type"].isin(list(FLOW_TYPES))
    if bad_type.any():
        problems.append(f"unknown flow_type {sorted(set(table.loc[bad_type, 'flow_type'].astype(str)))} in "
                        f"{int(bad_type.sum())} row(s); choose one of {sorted(FLOW_TYPES)}")
    if values.isna().any():
        problems.append(f"value is not a number in row(s) {list(table.index[values.isna()])[:10]}")
    empty = table["origin"].isna() | table["destination"].isna()
    if empty.any():
        problems.append(f"origin or destination is empty in row(s) {list(table.index[empty])[:10]}")
    collect(problems, SchemaError, "flow table")
    rows = []
    for label, record in table.iterrows():
        flow_type = str(record["flow_type"])
        basis = _text(record.get("basis")) or (flow_type if flow_type != "growth_rate" else "")
        origin, destination = _text(record["origin"]).strip(), _text(record["destination"]).strip()
        rows.append({
            "origin": origin, "destination": destination, "value": float(values.loc[label]),
            "unit": _text(record.get("unit")), "year": _year(record.get("year")), "flow_type": flow_type,
            "basis": basis, "period": _text(record.get("period")) or FULL_YEAR,
            "reporter": _text(record.get("reporter")) or (destination if basis == "imports" else origin),
            "partner_label": _text(record.get("partner_label")), "indicator": _text(record.get("indicator")),
            "source": _text(record.get("source")), "note": _text(record.get("note")),
            "source_table": source_table, "source_row": label,
        })
    return _flow_frame(rows)


def read_trade_flows(
    indicators: str | os.PathLike[str] | None = None,
    published: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read the flows of an indicator table and a published-figures table (the bundled ones by default).

    Parameters
    ----------
    indicators
        A tidy long indicator table; ``geodata/indicators.csv`` when omitted.
    published
        A published-figures table; ``geodata/published_figures.csv`` when omitted.

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        All flows (``source_table`` is the file name, ``source_row`` the 0-based data row, i.e.
        the line of a CSV without multi-line cells minus 2) and the rows that were skipped.

    Examples
    --------
    >>> flows, skipped = read_trade_flows()
    >>> flows.query("origin == 'BY-MA' and destination == 'RU-SMO'")["value"].tolist()
    [121.8]
    """
    from pathlib import Path

    from borderland import io

    paths = {"indicators": Path(indicators) if indicators else io.bundled("indicators.csv"),
             "published": Path(published) if published else io.bundled("published_figures.csv")}
    first, skipped_a = flows_from_indicators(io.read_table(paths["indicators"]), source_table=paths["indicators"].name)
    second, skipped_b = flows_from_published(io.read_table(paths["published"]), source_table=paths["published"].name)
    return pd.concat([first, second], ignore_index=True), skipped_a + skipped_b


@dataclass(frozen=True)
class FlowReport:
    """How the two ends of each flow met the study's regions and countries.

    Attributes
    ----------
    flows
        Number of flows.
    matched
        Flows whose two ends are both a study region or a study country (they can be drawn).
    regions
        Study regions at either end of a flow.
    countries
        Whole countries at either end of a flow (drawn to a point of that country).
    unmatched
        Codes that are neither a study region nor a study country, with a hint; their flows are
        kept in the table (``matched`` false) and not drawn. They are never reassigned.
    skipped
        Rows of the input tables that were not read as flows, and why.
    """

    flows: int
    matched: int
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    unmatched: dict[str, str]
    skipped: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"trade flows: {self.flows}, of which {self.matched} between study regions or countries",
                 f"regions with flows: {len(self.regions)}: {', '.join(self.regions)}"]
        if self.countries:
            lines.append(f"whole-country partners (drawn to the country): {', '.join(self.countries)}")
        if self.unmatched:
            lines.append(f"codes not in the study (flows kept, not drawn): {len(self.unmatched)}: "
                         + "; ".join(f"{c} ({h})" if h else c for c, h in self.unmatched.items()))
        if self.skipped:
            lines.append(f"partner rows that are not flows: {len(self.skipped)}")
        return "\n".join(lines)


def _hint(code: str, region_codes: set[str], countries: set[str]) -> str:
    by_upper = {c.upper(): c for c in region_codes}
    if code.upper() in by_upper:
        return f"differs only in case or spaces from {by_upper[code.upper()]}"
    country = code.split("-", 1)[0]
    if "-" in code and country in countries:
        return (f"not a study region; country {country} is in the study, "
                "but the flow is not reassigned to another region")
    return "neither a study region nor a study country"


def match_flows(
    flows: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    countries: pd.DataFrame | None = None,
    focus_country: str | None = None,
    skipped: Sequence[str] = (),
) -> tuple[pd.DataFrame, FlowReport]:
    """Match both ends of every flow to a study region, a whole study country, or nothing.

    A code is a region when it is in ``regions.index``, a country when it is a ``country`` of the
    regions (or of ``countries``), and unmatched otherwise: RU-MOW (Moscow city) in the bundled
    study is reported, its flow kept with ``matched`` false, and never moved to Moscow Oblast.

    Parameters
    ----------
    flows
        Flow table (:data:`FLOW_COLUMNS`).
    regions
        Region layer indexed by code, with ``name`` and ``country``.
    countries
        Optional country layer with ``country`` (and ``name``), e.g. ``geodata/countries.gpkg``.
    focus_country
        Country named first in segment labels.
    skipped
        Rows the readers skipped, carried into the report.

    Returns
    -------
    tuple of pandas.DataFrame and FlowReport
        The flows plus ``origin_kind`` / ``destination_kind`` (``region``, ``country``,
        ``unmatched``), ``origin_country``, ``destination_country``, ``origin_name``,
        ``destination_name``, ``partner_is_country``, ``matched``, ``cross_border``, ``segment``
        and ``label`` (one readable line with value, unit, year and period); and the report.
    """
    _require_columns(flows, ("origin", "destination", "value", "flow_type"), "flow table",
                     "build it with flows_from_indicators, flows_from_published or normalise_flows")
    region_codes = set(regions.index.astype(str))
    country_names: dict[str, str] = {}
    if countries is not None and "country" in countries.columns:
        names = countries["name"] if "name" in countries.columns else countries["country"]
        country_names.update(dict(zip(countries["country"].astype(str), names.astype(str), strict=True)))
    for code in regions["country"].dropna().astype(str).unique():
        country_names.setdefault(code, code)
    region_names = regions["name"].astype(str) if "name" in regions.columns else pd.Series(dtype=str)
    region_country = regions["country"].astype(str)

    out = flows.copy()
    for end in ("origin", "destination"):
        codes = out[end].astype(str)
        kind = np.where(codes.isin(region_codes), "region", np.where(codes.isin(list(country_names)), "country",
                                                                     "unmatched"))
        out[f"{end}_kind"] = kind
        out[f"{end}_country"] = np.where(kind == "region", codes.map(region_country),
                                         np.where(kind == "country", codes, ""))
        out[f"{end}_name"] = np.where(kind == "region", codes.map(region_names),
                                      np.where(kind == "country", codes.map(country_names),
                                               out.get("partner_label", pd.Series("", index=out.index)).fillna("")))
    out["partner_is_country"] = (out["origin_kind"] == "country") | (out["destination_kind"] == "country")
    out["matched"] = (out["origin_kind"] != "unmatched") & (out["destination_kind"] != "unmatched")
    out["cross_border"] = out["matched"] & (out["origin_country"] != out["destination_country"])
    out["segment"] = [segment_label(a, b, focus_country) if c else ""
                      for a, b, c in zip(out["origin_country"], out["destination_country"], out["cross_border"],
                                         strict=True)]
    out["label"] = [_label(r) for r in out.to_dict("records")]

    ends = pd.concat([out[["origin", "origin_kind"]].set_axis(["code", "kind"], axis=1),
                      out[["destination", "destination_kind"]].set_axis(["code", "kind"], axis=1)])
    unmatched = sorted(set(ends.loc[ends["kind"] == "unmatched", "code"].astype(str)))
    report = FlowReport(
        flows=len(out),
        matched=int(out["matched"].sum()),
        regions=tuple(sorted(set(ends.loc[ends["kind"] == "region", "code"].astype(str)))),
        countries=tuple(sorted(set(ends.loc[ends["kind"] == "country", "code"].astype(str)))),
        unmatched={code: _hint(code, region_codes, set(country_names)) for code in unmatched},
        skipped=tuple(skipped),
    )
    return out, report


def _label(row: Mapping[str, object]) -> str:
    """``Mogilev (BY-MA) → Smolensk (RU-SMO): exports growth rate 121.8 % of previous year, 2018``."""
    what = f"{row['basis']} growth rate" if row["flow_type"] == "growth_rate" else str(row["flow_type"])
    arrow = "↔" if row["flow_type"] == "turnover" else "→"
    period = "" if row["period"] in ("", FULL_YEAR) else f" ({row['period']})"
    year = "" if pd.isna(row["year"]) else f", {row['year']}{period}"  # type: ignore[arg-type]
    return (f"{row['origin_name'] or row['origin']} ({row['origin']}) {arrow} "
            f"{row['destination_name'] or row['destination']} ({row['destination']}): "
            f"{what} {row['value']:,.6g} {row['unit']}{year}").strip()


# --------------------------------------------------------------------------------------------
# Flow lines
# --------------------------------------------------------------------------------------------


def country_point(
    country: str, *, regions: gpd.GeoDataFrame | None = None, countries: gpd.GeoDataFrame | None = None
) -> shapely.Point:
    """A point inside a country, where flows with the whole country are drawn to.

    It is the representative point (always inside) of the country's polygon in ``countries``
    (``geodata/countries.gpkg`` layer ``countries``, clipped to the study area), or else of the
    union of the country's study regions. It stands for the country's part of the study area,
    not for its capital or its economic centre.

    Parameters
    ----------
    country
        ISO alpha-2 code.
    regions
        Region layer with ``country`` (projected).
    countries
        Country layer with ``country`` (projected, same CRS as ``regions``); preferred when given.

    Returns
    -------
    shapely.Point
        In the CRS of the layer used.
    """
    for layer in (countries, regions):
        if layer is None or "country" not in layer.columns:
            continue
        require_projected(layer)
        parts = layer.geometry[layer["country"].astype(str) == country]
        if len(parts):
            return shapely.union_all(parts.to_numpy()).representative_point()
    known = sorted({str(c) for layer in (countries, regions) if layer is not None and "country" in layer.columns
                    for c in layer["country"].dropna().unique()})
    raise JoinError(f"country {country!r} has no polygon in the layers given (countries: {', '.join(known)}); "
                    "pass a country layer that includes it")


def flow_lines(
    flows: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    *,
    countries: gpd.GeoDataFrame | None = None,
    cross_border_only: bool = False,
    flow_type: str | None = None,
    top: int | None = None,
) -> gpd.GeoDataFrame:
    """Straight lines from origin to destination, one per matched flow, for maps and GeoPackages.

    A region end is its representative point; a whole-country end is :func:`country_point`.
    Unmatched flows (e.g. to RU-MOW, not a study region) are not drawn.

    Parameters
    ----------
    flows
        Matched flows (:func:`match_flows`).
    regions
        Region layer in a projected CRS.
    countries
        Optional country layer in the same CRS, for whole-country ends.
    cross_border_only
        Keep only flows between different countries.
    flow_type
        Keep only this flow type.
    top
        Keep the ``top`` largest values (see :func:`strongest_flows`).

    Returns
    -------
    geopandas.GeoDataFrame
        The flow columns plus ``direction`` (``origin_to_destination``, or ``both_ways`` for
        turnover), ``length_km`` and a LineString from origin to destination, in the CRS of
        ``regions``.
    """
    require_projected(regions)
    if countries is not None:
        require_projected(regions, countries)
    _require_columns(flows, ("matched", "origin_kind", "destination_kind", "cross_border"), "flow table",
                     "match it with borderland.trade.match_flows first")
    if flow_type is not None and flow_type not in FLOW_TYPES:
        raise SchemaError(f"unknown flow_type {flow_type!r}; choose one of {sorted(FLOW_TYPES)}")
    rows = flows[flows["matched"]]
    if cross_border_only:
        rows = rows[rows["cross_border"]]
    if flow_type is not None:
        rows = rows[rows["flow_type"] == flow_type]
    if top is not None:
        rows = strongest_flows(rows, top)
    inside = regions.representative_point()
    points: dict[tuple[str, str], shapely.Point] = {}

    def point(code: str, kind: str) -> shapely.Point:
        if (code, kind) not in points:
            points[(code, kind)] = inside[code] if kind == "region" else country_point(
                code, regions=regions, countries=countries)
        return points[(code, kind)]

    geometry = [shapely.LineString([point(o, ok), point(d, dk)]) for o, ok, d, dk in zip(
        rows["origin"], rows["origin_kind"], rows["destination"], rows["destination_kind"], strict=True)]
    lines = gpd.GeoDataFrame(rows.copy(), geometry=geometry, crs=regions.crs)
    lines["direction"] = np.where(lines["flow_type"] == "turnover", "both_ways", "origin_to_destination")
    lines["length_km"] = lines.length / 1000.0
    return lines


def strongest_flows(flows: pd.DataFrame, n: int, *, flow_type: str | None = None) -> pd.DataFrame:
    """The ``n`` flows with the largest values, among flows of one type and one unit.

    Values of different types or units (a turnover in million USD, a growth rate in %) are not
    comparable, so a mixed table must be narrowed with ``flow_type`` first.

    Parameters
    ----------
    flows
        Flow table.
    n
        How many to keep.
    flow_type
        Keep only this flow type before ranking.

    Returns
    -------
    pandas.DataFrame
        At most ``n`` rows, largest value first.
    """
    if n < 1:
        raise SchemaError(f"top must be at least 1, not {n}")
    rows = flows if flow_type is None else flows[flows["flow_type"] == flow_type]
    kinds = sorted({f"{t} in {u!r}" for t, u in zip(rows["flow_type"], rows["unit"], strict=True)})
    if len(kinds) > 1:
        raise SchemaError(f"cannot rank flows of different types or units together ({'; '.join(kinds)}); "
                          "choose a flow_type")
    return rows.sort_values("value", ascending=False, kind="stable").head(n)


# --------------------------------------------------------------------------------------------
# Link to the divide
# --------------------------------------------------------------------------------------------


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
    _require_columns(pairs, ("region_a", "region_b"), "pair table", "give neighbours.adjacent_pairs output")
    selected = pairs
    if cross_border_only:
        _require_columns(pairs, ("cross_border",), "pair table", "or pass cross_border_only=False")
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
        Spearman's rho (NaN with fewer than 3 pairs or a constant variable).
    n
        Pairs with both values.
    p_value
        Two-sided permutation p-value (exact for small n); NaN when rho is.
    caveat
        What the figure can and cannot say; always shown with it.
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


def _ranks(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(method="average").to_numpy(dtype=float)


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's correlation of the average ranks (ties share a rank).

    Examples
    --------
    >>> spearman([1, 2, 3, 4], [1, 3, 2, 4])
    0.8
    """
    rx, ry = _ranks(np.asarray(x, dtype=float)), _ranks(np.asarray(y, dtype=float))
    dx, dy = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float((dx * dx).sum() * (dy * dy).sum()))
    return float("nan") if denominator == 0 else round(float((dx * dy).sum()) / denominator, 12)


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
        Random permutations for the p-value; when n! is not larger, all permutations are
        enumerated and the p-value is exact.
    rng
        Seed or generator for the random permutations.
    context
        Added to the caveat (e.g. "trade figures from 2018 and 2024, gap from 2021").

    Returns
    -------
    TradeAssociation
        rho, n, p-value and the caveat. Below :data:`MIN_PAIRS_FOR_INFERENCE` pairs the caveat
        says the figure is descriptive only.
    """
    both = pd.concat([trade.rename("trade"), gap.rename("gap")], axis=1).dropna()
    n = len(both)
    extra = f" {context}" if context else ""
    if n < 3:
        return TradeAssociation(float("nan"), n, float("nan"),
                                f"only {n} pair(s) have both a trade figure and a gap: too few to measure an "
                                f"association.{extra}")
    x, y = both["trade"].to_numpy(float), both["gap"].to_numpy(float)
    rho = spearman(x, y)
    p_value = float("nan") if math.isnan(rho) else _permutation_p(x, y, rho, permutations, rng)
    if n < MIN_PAIRS_FOR_INFERENCE:
        caveat = (f"descriptive only: n = {n} pairs (fewer than {MIN_PAIRS_FOR_INFERENCE}); a rank correlation "
                  "over so few pairs is unstable and supports no inference.")
    else:
        caveat = (f"n = {n} pairs; a rank association, not an effect: pairs along one border share a country "
                  "and are not independent.")
    return TradeAssociation(rho, n, p_value, caveat + extra)


def _permutation_p(
    x: np.ndarray, y: np.ndarray, rho: float, permutations: int, rng: np.random.Generator | int | None
) -> float:
    """Share of orderings of ``y`` whose |rho| is at least the observed one (exact when n! is small)."""
    import itertools

    n = len(x)
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    norm = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    exact = math.factorial(n) <= permutations
    if exact:
        orders = np.array(list(itertools.permutations(range(n))), dtype=np.intp)
    else:
        generator = np.random.default_rng(rng)
        orders = np.array([generator.permutation(n) for _ in range(permutations)], dtype=np.intp)
    # permuting y permutes its (centred) ranks, so every draw's rho is one dot product
    rhos = (ry[orders] @ rx) / norm
    hits = int((np.abs(rhos) >= abs(rho) - 1e-9).sum())
    return hits / len(orders) if exact else (hits + 1) / (permutations + 1)


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
        ``mean_gap`` and ``mean_abs_gap`` (from ``gap`` / ``abs_gap`` when present), ``rho``,
        ``association_n``, ``caveat`` (and ``flows_n``).
    """
    _require_columns(pair_table, ("segment", value, gap), "pair table", "build it with borderland.trade.pair_trade")
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
        association = trade_gap_association(group[value], group[gap])
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
        _require_columns(flows, ("segment", "cross_border"), "flow table", "match it with match_flows first")
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
    _require_columns(table, (gap, "segment"), "pair table", "give pairs with gaps (StudyResult.pairs)")
    used = table[table["trade_value"].notna() & table[gap].notna()]
    years = sorted({int(y) for y in used["trade_year"].dropna()})
    context = f"Trade figures from {', '.join(map(str, years))}." if len(years) > 1 else ""
    association = trade_gap_association(table["trade_value"], table[gap], permutations=permutations, rng=rng,
                                        context=context)
    segments = segment_trade(table, gap=gap, flows=flows if "segment" in flows.columns else None)
    return TradeDivide(pairs=table, segments=segments, association=association)
