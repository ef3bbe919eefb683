"""Population of each region from the indicator table: one rule for every weight.

Every figure that weighs or divides by people (the Theil decomposition's weights, per-capita
trade) takes its population from :func:`region_population`, under one explicit year rule, and
keeps the year and the source of each region's figure beside it. Tables that count in persons
(Eurostat) and in thousands (Rosstat) agree after :data:`POPULATION_UNITS`.

This is the population of the *indicator table* (``population_1_january`` of a stated year).
The population of a raster (:func:`borderland.raster.population_near_border`, e.g. the GPW grid
of 2000 behind the regions' ``population`` column) is another figure, of another year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

from borderland.errors import SchemaError, collect
from borderland.indicators import YEAR_RULES, YearRule

#: Population units: unit string (compared without case and surrounding spaces) -> persons per unit.
POPULATION_UNITS: Final[Mapping[str, float]] = {"persons": 1.0, "thousand persons": 1e3, "million persons": 1e6}

#: The population indicator of the bundled tables (Eurostat tgs00096, Rosstat table 2.1).
POPULATION_INDICATOR: Final = "population_1_january"

#: The default rule: each region's nearest year within three years of the reference year, the
#: earlier of two equally near ones. Three years reach Eurostat's 2018 NUTS 2 figures from 2021.
POPULATION_RULE: Final = YearRule("nearest", window=3)

#: Columns of :func:`region_population`, in order.
POPULATION_COLUMNS: Final[tuple[str, str, str]] = ("population_persons", "population_year", "population_source")


def region_population(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    *,
    year: int,
    rule: YearRule = POPULATION_RULE,
    indicator: str = POPULATION_INDICATOR,
) -> pd.DataFrame:
    """Each region's population in persons, with the year and the source it comes from.

    Parameters
    ----------
    table
        Tidy indicator table (:func:`borderland.indicators.tidy_table`): ``region_id``,
        ``indicator``, ``year``, ``value``, ``unit`` and, where present, ``source``.
    regions
        Region layer indexed by code.
    year
        The year of the figures the population weighs or divides (e.g. the index year); the
        rule's own ``year``, when it has one, takes precedence.
    rule
        Which year each region's figure comes from (:class:`borderland.indicators.YearRule`);
        by default :data:`POPULATION_RULE`, the nearest year within three years, ties to the
        earlier. ``YearRule("exact", 2022)`` takes 2022 and nothing else.
    indicator
        Name of the population indicator.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``: ``population_persons`` (float), ``population_year`` (Int64)
        and ``population_source`` (string; missing when the table has no ``source``). A region
        without a figure under the rule, or a table without the indicator, gives missing values
        (never zero). ``attrs`` hold the ``indicator`` and the ``rule`` in words.

    Raises
    ------
    SchemaError
        When a row of the indicator has a unit other than those of :data:`POPULATION_UNITS`
        (or none), or one region has two different figures for one year; every problem at once.

    Examples
    --------
    A: 2020 and 2022 are equally near 2021, so the earlier counts; B's 2018 is three years off;
    C has no figure.

    >>> regions = pd.DataFrame(index=pd.Index(["A", "B", "C"], name="region_id"))
    >>> table = pd.DataFrame({"region_id": ["A", "A", "B"], "indicator": "population_1_january",
    ...     "year": [2022, 2020, 2018], "value": [1.6, 1.5, 900.0],
    ...     "unit": ["million persons", "million persons", "thousand persons"], "source": ["s2", "s1", "s3"]})
    >>> region_population(table, regions, year=2021)  # doctest: +NORMALIZE_WHITESPACE
               population_persons  population_year population_source
    region_id
    A                   1500000.0             2020                s1
    B                    900000.0             2018                s3
    C                         NaN             <NA>              <NA>
    >>> region_population(table, regions, year=2021, rule=YearRule("exact", 2022))["population_persons"].tolist()
    [1600000.0, nan, nan]
    """
    codes = regions.index.astype(str)
    rows = table[(table["indicator"].astype(str) == indicator) & table["year"].notna()]
    rows = rows[rows["region_id"].astype(str).isin(codes)]
    persons = _persons(rows, indicator)
    rows = pd.DataFrame({
        "region_id": rows["region_id"].astype(str),
        "year": rows["year"].astype("Int64"),
        "persons": persons,
        "source": (rows["source"].astype("string") if "source" in rows.columns
                   else pd.Series(pd.NA, index=rows.index, dtype="string")),
    })
    _check_one_figure_per_year(rows, indicator)
    reference = rule.year if rule.year is not None else int(year)
    chosen = YEAR_RULES[rule.kind](rows, reference, rule.window).drop_duplicates("region_id").set_index("region_id")
    out = pd.DataFrame({
        "population_persons": chosen["persons"].reindex(codes).to_numpy(dtype=float),
        "population_year": chosen["year"].reindex(codes).to_numpy(),
        "population_source": chosen["source"].reindex(codes).to_numpy(),
    }, index=regions.index)
    out = out.astype({"population_year": "Int64", "population_source": "string"})
    out.attrs = {"indicator": indicator, "rule": rule.describe(int(year))}
    return out


def _persons(rows: pd.DataFrame, indicator: str) -> pd.Series:
    """Each row's value in persons; a unit outside :data:`POPULATION_UNITS` is an error."""
    units = (rows["unit"] if "unit" in rows.columns else pd.Series(pd.NA, index=rows.index)).astype("string")
    factor = units.str.strip().str.lower().map(POPULATION_UNITS)
    unknown = rows.loc[factor.isna()]
    problems = []
    for unit, group in unknown.groupby(units[factor.isna()].fillna(""), sort=True):
        examples = ", ".join(sorted(set(group["region_id"].astype(str)))[:3])
        found = f"unit {unit!r}" if unit else "no unit"
        problems.append(f"{found} in {len(group)} row(s) (e.g. {examples}); give one of {sorted(POPULATION_UNITS)}")
    collect(problems, SchemaError, f"population indicator {indicator!r}")
    values: pd.Series = pd.to_numeric(rows["value"], errors="coerce").astype(float) * factor.astype(float)
    return values


def _check_one_figure_per_year(rows: pd.DataFrame, indicator: str) -> None:
    """Two different figures for one region and year would make the weight depend on row order."""
    counts = rows.groupby(["region_id", "year"])["persons"].nunique()
    conflicting = [f"{code} {year}" for code, year in counts[counts > 1].index]
    if conflicting:
        raise SchemaError(f"population indicator {indicator!r} has different figures for one region and year: "
                          f"{', '.join(conflicting)}; keep one row per region and year")
