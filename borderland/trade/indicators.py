"""Trade indicators of regions: totals, per capita, shares, growth and partner concentration.

Each is computed from the tidy indicator table (``region_id, indicator, year, value, unit,
source, note``) or, for the concentration on partners, from matched flows, and returns a Series
(or frame) indexed like ``regions`` and named with its unit. :func:`as_indicator_rows` turns them
back into tidy rows so that they can enter the index. Per-capita figures divide by the
population of :func:`borderland.population.region_population`, the one population of a run.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.trade._common import require_columns
from borderland.trade.flows import FULL_YEAR

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

#: Growth expressed as an index (100 = no change, "% of base year") or as a change in %.
GROWTH_KINDS: Final[Mapping[str, str]] = {"index": "pct_of", "change": "change_pct_since"}


_SLUG = re.compile(r"[^a-z0-9]+")


def _unit_slug(unit: str) -> str:
    """``"million USD"`` -> ``"million_usd"``; ``"%"`` -> ``"pct"``."""
    return _SLUG.sub("_", unit.replace("%", " pct ").lower()).strip("_")



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


#: While :func:`trade_indicators` runs: each indicator's values of a year, looked up once. Its
#: measures share indicators (turnover is exports plus imports), and each measure is asked for its
#: values and its unit: 24 look-ups of 6 indicators in the bundled study.
_LOOKED_UP: Final[contextvars.ContextVar[dict[tuple[int, str, int], tuple[pd.Series, str | None]] | None]] = (
    contextvars.ContextVar("_LOOKED_UP", default=None))


def _indicator_values(table: pd.DataFrame, indicator: str, year: int) -> tuple[pd.Series, str | None]:
    """Values of one indicator in one year by region, and their single unit."""
    kept = _LOOKED_UP.get()
    if kept is None:
        return _looked_up(table, indicator, year)
    key = (id(table), indicator, year)  # the table is held by the caller while the memo lives
    if key not in kept:
        kept[key] = _looked_up(table, indicator, year)
    return kept[key]


def _looked_up(table: pd.DataFrame, indicator: str, year: int) -> tuple[pd.Series, str | None]:
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


def trade_per_capita(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    population: pd.DataFrame,
    measure: str = "turnover",
    measures: Mapping[str, tuple[tuple[str, int], ...]] = TRADE_MEASURES,
) -> pd.Series:
    """A trade total per inhabitant, in whole currency units per person.

    Parameters
    ----------
    table
        Tidy indicator table with the trade indicators.
    regions
        Region layer indexed by code.
    year
        The year of the trade values.
    population
        :func:`borderland.population.region_population` output (``population_persons``, and the
        ``population_year`` and ``population_source`` of each region's figure): the same
        population every other weight of the run uses. Built for the trade year it takes each
        region's nearest population year (1 January 2022 for the trade of 2021 in Rosstat's
        tables); pass ``rule=YearRule("exact", 2022)`` there to insist on one year.
    measure
        As for :func:`trade_total`.
    measures
        Measure definitions.

    Returns
    -------
    pandas.Series
        Named ``trade_<measure>_<currency>_per_capita`` (``trade_turnover_usd_per_capita``),
        indexed like ``regions``; NaN where the trade or the population is missing.

    Examples
    --------
    >>> from borderland.population import region_population
    >>> regions = pd.DataFrame(index=pd.Index(["X", "Y"], name="region_id"))
    >>> table = pd.DataFrame({"region_id": ["X", "X", "X", "Y"], "year": [2021, 2021, 2022, 2022],
    ...     "indicator": ["foreign_trade_exports_total", "foreign_trade_imports_total", "population_1_january",
    ...                   "population_1_january"],
    ...     "value": [3.0, 1.0, 20.0, 5.0],
    ...     "unit": ["million USD", "million USD", "thousand persons", "thousand persons"]})
    >>> people = region_population(table, regions, year=2021)
    >>> trade_per_capita(table, regions, year=2021, population=people).tolist()
    [200.0, nan]
    """
    require_columns(population, ("population_persons",), "population",
                    "build it with borderland.population.region_population")
    values, unit = _measure(table, regions, measure, year, measures)
    if unit not in MONEY_UNITS:
        raise SchemaError(
            f"measure {measure!r} is in {unit!r}, not a money unit; per capita needs one of {sorted(MONEY_UNITS)}"
        )
    currency, factor = MONEY_UNITS[unit]
    people = population["population_persons"].reindex(regions.index).astype(float)
    per_capita = values * factor / people.where(people > 0)
    return per_capita.rename(f"trade_{measure}_{currency.lower()}_per_capita")


def _population_years(population: pd.DataFrame, used: pd.Series) -> str:
    """The population years behind the values of ``used``, in words (``"2022"``, ``"2018 and 2022"``)."""
    if "population_year" not in population.columns:
        return ""
    years = population["population_year"].reindex(used.index)[used.notna()].dropna()
    names = [str(int(y)) for y in sorted(set(years))]
    return " and ".join(names) if len(names) <= 2 else f"{', '.join(names[:-1])} and {names[-1]}"


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
    require_columns(flows, ("reporter", "origin", "destination", "origin_kind", "destination_kind"), "flow table",
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
    population: pd.DataFrame | None = None,
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
    population
        :func:`borderland.population.region_population` output, for turnover per capita; no
        per-capita column without it.
    measures
        Measure definitions.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``; columns such as ``trade_turnover_million_usd``,
        ``trade_cis_turnover_share_of_turnover_pct``, ``trade_turnover_usd_per_capita``.
        ``attrs["units"]`` maps each column to its unit (per capita: the population years used,
        e.g. ``"USD per person (population of 2022)"``).
    """
    token = _LOOKED_UP.set({})
    try:
        return _trade_indicators(table, regions, year=year, population=population, measures=measures)
    finally:
        _LOOKED_UP.reset(token)


def _trade_indicators(table: pd.DataFrame, regions: pd.DataFrame, *, year: int, population: pd.DataFrame | None,
                      measures: Mapping[str, tuple[tuple[str, int], ...]]) -> pd.DataFrame:
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
    if population is not None and available("turnover"):
        series = trade_per_capita(table, regions, year=year, population=population, measures=measures)
        currency = MONEY_UNITS[_measure(table, regions, "turnover", year, measures)[1]][0]
        years = _population_years(population, series)
        units[str(series.name)] = f"{currency} per person" + (f" (population of {years})" if years else "")
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


