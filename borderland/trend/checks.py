"""Every input check of ``borderland trend``: the years kept, the scale, the index on it (:func:`check`).

:func:`check` reads the study's ``[trend]`` (or its defaults, :func:`trend_spec`) and the
components it follows (:func:`index_spec`), builds the panel of every year, keeps the years
with at least ``min_regions_per_side`` indexed regions on each side, puts the index of every
kept year on one fixed scale, and collects every problem (too few years, a base or map year
left out, a flag column the table lacks, Theil weights without a population) into one error.
What it found, :class:`Prepared`, is what :func:`borderland.trend.compute` computes from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland import io, pipeline
from borderland.comparability import definition_table
from borderland.errors import SchemaError, collect
from borderland.index import IndexSpec, is_share_unit
from borderland.population import region_population
from borderland.specs import printable
from borderland.study import Study, TrendSpec, trend_problems
from borderland.trend import convergence
from borderland.trend.panel import Panel, component_panel, flagged_rows, series_changes
from borderland.trend.scoring import Scale, eligible, fixed_scale, trend_index

__all__ = ["DEFAULT_MAPS", "OTHERS", "Prepared", "check", "index_spec", "trend_spec", "year_ranges"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Label of the side beyond the focus country.
OTHERS: Final = convergence.OTHERS
#: Small-multiple maps drawn when ``[trend] map_years`` is empty.
DEFAULT_MAPS: Final = 4


def trend_spec(study: Study) -> TrendSpec:
    """The study's ``[trend]``, or its defaults when the study file has none.

    Examples
    --------
    >>> from borderland.study import load_study
    >>> trend_spec(load_study()).scale
    'base_year'
    """
    return study.trend if study.trend is not None else TrendSpec()


def index_spec(study: Study) -> IndexSpec:
    """The ``[index]`` specification over the components ``[trend] components`` follows (all by default).

    Examples
    --------
    >>> from borderland.study import load_study
    >>> study = load_study().with_values({"trend.components": ["households_internet_access"]})
    >>> [c.name for c in index_spec(study).components]
    ['households_internet_access']
    """
    chosen = trend_spec(study).components
    if not chosen:
        return study.index
    return dataclasses.replace(study.index, components=tuple(c for c in study.index.components if c.name in chosen))

# -- the checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What :func:`check` read and found, for :func:`run` to compute from.

    Attributes
    ----------
    spec, index
        The ``[trend]`` and ``[index]`` specifications followed.
    panel
        The component values of every year (:func:`borderland.trend.panel.component_panel`).
    eligible
        Regions x panel years with enough components for an index.
    kept
        Per panel year, whether it is kept.
    coverage
        Per panel year and country: regions indexed, of which with nearby years or interpolated
        values; whether the year is kept and why not.
    base_year
        The base year of the scale (``None`` for goalposts and pooled).
    scale
        The fixed scale.
    values
        Regions x panel years, the index on the fixed scale (NaN in years left out).
    changes, breaks
        :func:`borderland.trend.panel.series_changes`.
    population
        Regions x kept years: the Theil weights (``None``: each region once).
    map_years
        The years of the small-multiple maps.
    notes
        What to know that is not an error.
    """

    spec: TrendSpec
    index: IndexSpec
    panel: Panel
    eligible: BoolArray
    kept: BoolArray
    coverage: pd.DataFrame
    base_year: int | None
    scale: Scale
    values: FloatArray
    changes: pd.DataFrame
    breaks: BoolArray
    population: pd.DataFrame | None
    map_years: tuple[int, ...]
    notes: tuple[str, ...] = ()

    @property
    def years(self) -> tuple[int, ...]:
        """The kept years."""
        return tuple(int(y) for y in self.panel.years[self.kept])


def _table_years(spec: IndexSpec, table: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """The years in which some region of the study has a value of some component."""
    names = {n for c in spec.components for n in c.indicators}
    return table.loc[table["indicator"].isin(names) & table["region_id"].isin(codes.astype(str)), "year"].dropna()


def _span(study: Study, spec: IndexSpec, table: pd.DataFrame, codes: pd.Index) -> tuple[int, int] | None:
    """The years of ``[trend] years``, or the first and last year any region has a value of a component."""
    years = trend_spec(study).years
    if years is not None:
        return years
    found = _table_years(spec, table, codes)
    if found.empty:
        return None
    return int(found.min()), int(found.max())


def _coverage(panel: Panel, ok: BoolArray, countries: pd.Series, focus_country: str | None,
              minimum: int) -> tuple[pd.DataFrame, BoolArray]:
    """Regions indexed per year and country, and which years have enough on each side."""
    country = countries.reindex(panel.codes).astype(object).to_numpy()
    nearby: BoolArray = np.asarray((panel.nearby & panel.observed).any(axis=0), dtype=bool)
    interpolated: BoolArray = np.asarray(panel.interpolated.any(axis=0), dtype=bool)
    rows = []
    kept = np.zeros(len(panel.years), dtype=bool)
    for y, year in enumerate(panel.years):
        indexed = ok[:, y]
        per_country = pd.Series(country[indexed]).value_counts()
        if focus_country is not None:
            focus = int((indexed & (country == focus_country)).sum())
            others = int((indexed & (country != focus_country)).sum())
            enough = focus >= minimum and others >= minimum
            short = [f"{n} on the {side} side" for n, side in ((focus, focus_country), (others, "others'"))
                     if n < minimum]
            reason = "" if enough else (
                f"{' and '.join(short)}, fewer than [trend] min_regions_per_side = {minimum} indexed regions"
                if indexed.any() else "no region has the components")
        else:
            full = per_country[per_country >= minimum]
            enough = len(full) >= 2
            reason = "" if enough else (
                f"{len(full)} countr{'y has' if len(full) == 1 else 'ies have'} at least [trend] "
                f"min_regions_per_side = {minimum} indexed regions; a border needs two" if indexed.any()
                else "no region has the components")
        kept[y] = enough
        for name in sorted(set(country)):
            mine = indexed & (country == name)
            rows.append({"year": int(year), "country": str(name),
                         "side": (str(name) if name == focus_country else OTHERS) if focus_country else str(name),
                         "regions": int((country == name).sum()), "regions_indexed": int(mine.sum()),
                         "nearby_year": int((mine & nearby[:, y]).sum()),
                         "interpolated": int((mine & interpolated[:, y]).sum()), "kept": bool(enough),
                         "reason": reason})
    return pd.DataFrame(rows), kept


def _raw_flags(study: Study, spec: TrendSpec) -> tuple[pd.DataFrame | None, list[str]]:
    """The rows flagged as breaks, read from the indicator table's flag column."""
    if spec.flag_column is None:
        return None, []
    indicators = study.indicators
    raw = io.read_table(indicators.path, sheet=indicators.sheet, encoding=indicators.encoding,
                        delimiter=indicators.delimiter, skip_rows=indicators.skip_rows)
    raw = raw.rename(columns=indicators.renames)
    if spec.flag_column not in raw.columns:
        shown_columns = ", ".join(map(str, raw.columns[:20]))
        return None, [f"[trend] flag_column = {spec.flag_column!r}: the indicator table has no such column (columns: "
                      f"{shown_columns}); set flag_column to the column of observation flags, or leave it out"]
    return flagged_rows(raw, id_column=indicators.id, flag_column=spec.flag_column, flags=spec.break_flags,
                        indicator=indicators.indicator), []


def check(study: Study, inputs: pipeline.Inputs, *, index_year: int) -> Prepared:
    """Every input check of ``borderland trend``, computing only what a check needs.

    Parameters
    ----------
    study
        The study (its ``[trend]``, or the defaults).
    inputs
        From :func:`borderland.pipeline.load`.
    index_year
        The run's index year (:func:`borderland.pipeline.check`): the default base year.

    Returns
    -------
    Prepared
        The panel, the kept years, the scale and the index on it.

    Raises
    ------
    SchemaError
        Every problem at once: no value in the years, too few years with enough regions on each
        side, a base year or map year that is left out, a flag column the table lacks, Theil
        weights without a population, scores a geometric mean cannot take.
    """
    spec = trend_spec(study)
    index = index_spec(study)
    regions, table = inputs.regions, inputs.table
    heading = f"[trend] of study {study.title!r}"
    if study.trend is None:  # the defaults: the checks a study file's [trend] gets when it is read
        collect([str(p) for p in trend_problems(study.index, spec)], SchemaError, heading)
    span = _span(study, index, table, regions.index)
    if span is None:
        names = sorted({n for c in index.components for n in c.indicators})
        raise SchemaError(f"{heading}: no region has a value of {', '.join(names)} in any year; check [trend] "
                          "components and the indicator table")
    flagged, problems = _raw_flags(study, spec)
    panel = component_panel(table, regions.index, index, span, definitions=definition_table(index, table),
                            flagged=flagged, interpolate=spec.interpolate)
    ok = eligible(panel, index)
    coverage, kept = _coverage(panel, ok, regions["country"], study.focus_country, spec.min_regions_per_side)
    kept_years = [int(y) for y in panel.years[kept]]
    listed = ", ".join(map(str, kept_years)) or "none"
    if len(kept_years) < 2:
        by_year = coverage.groupby("year")["regions_indexed"].sum()
        years_with = ", ".join(f"{y} ({n})" for y, n in by_year[by_year > 0].items()) or "none"
        in_table = year_ranges(_table_years(index, table, regions.index).unique().tolist()) or "no year"
        problems.append(f"only {len(kept_years)} year(s) ({listed}) of {span[0]}-{span[1]} have at least [trend] "
                        f"min_regions_per_side = {spec.min_regions_per_side} indexed regions on each side; a trend "
                        f"needs two (regions indexed per year: {years_with}; the table has values of the components "
                        f"in {in_table}): lower min_regions_per_side, widen [trend] years, follow fewer components "
                        "([trend] components), or allow nearby years (year_rule = \"window\")")
    base_year = None
    if spec.scale == "base_year":
        base_year = spec.base_year if spec.base_year is not None else index_year
        where = "[trend] base_year" if spec.base_year is not None else "the base year (the run's index year)"
        if base_year not in kept_years and len(kept_years) >= 2:
            reason = coverage.loc[coverage["year"] == base_year, "reason"]
            why = f" ({reason.iloc[0]})" if len(reason) else f" (outside {span[0]}-{span[1]})"
            problems.append(f"{where} = {base_year} is not a kept year{why}; set [trend] base_year to one of "
                            f"{listed}")
    missing_maps = [y for y in spec.map_years if y not in kept_years]
    if missing_maps:
        problems.append(f"[trend] map_years = {list(spec.map_years)}: {missing_maps} are not kept years; choose "
                        f"among {listed}")
    population = None
    if spec.theil_weights == "population":
        indicator = study.gaps.population_indicator
        if not (table["indicator"].astype(str) == indicator).any():
            problems.append(f"[trend] theil_weights = \"population\": the indicator table has no "
                            f"{indicator!r} ([gaps] population_indicator); set theil_weights = \"equal\" (each region "
                            "once) or add the population to the table")
        else:
            try:
                population = pd.DataFrame({year: region_population(table, regions, year=year, indicator=indicator)
                                           ["population_persons"] for year in kept_years}, index=regions.index)
            except SchemaError as exc:
                problems.append(f"[trend] theil_weights = \"population\": {exc}")
    collect(problems, SchemaError, heading)
    values, scale = _scored(panel, index, spec, kept, base_year, regions, study.focus_country, heading)
    changes, breaks = series_changes(panel, regions["country"], table, kept=kept, spec=index)
    values[:, ~kept] = np.nan
    return Prepared(spec=spec, index=index, panel=panel, eligible=ok, kept=kept, coverage=coverage,
                    base_year=base_year, scale=scale, values=values, changes=changes, breaks=breaks,
                    population=population, map_years=spec.map_years or _spread(kept_years, DEFAULT_MAPS),
                    notes=(*_notes(study, index), *_beyond_notes(panel, index, scale, kept)))


def _scored(panel: Panel, index: IndexSpec, spec: TrendSpec, kept: BoolArray, base_year: int | None,
            regions: pd.DataFrame, focus_country: str | None, heading: str) -> tuple[FloatArray, Scale]:
    try:
        scale = fixed_scale(panel, index, method=spec.scale, kept=kept, base_year=base_year,
                            countries=regions["country"], focus_country=focus_country)
        return trend_index(panel, index, scale), scale
    except SchemaError as exc:
        raise SchemaError(f"{heading}: {exc}") from None


def _spread(years: Sequence[int], count: int) -> tuple[int, ...]:
    """Up to ``count`` years spread from the first to the last (both included)."""
    if len(years) <= count:
        return tuple(years)
    picks = np.unique(np.round(np.linspace(0, len(years) - 1, count)).astype(int))
    return tuple(int(years[i]) for i in picks)


def _beyond(panel: Panel, index: IndexSpec) -> list[tuple[int, str, float, float, BoolArray]]:
    """Per component with goalposts: its position, name, goalposts and where its raw values lie beyond them."""
    found = []
    for k, component in enumerate(index.components):
        if component.goalposts is not None:
            low, high = component.goalposts
            with np.errstate(invalid="ignore"):
                found.append((k, component.name, low, high, (panel.values[k] < low) | (panel.values[k] > high)))
    return found


def _beyond_notes(panel: Panel, index: IndexSpec, scale: Scale, kept: BoolArray) -> list[str]:
    """One note per component whose values of the kept years lie outside its goalposts (kept, flagged, named)."""
    notes = []
    treated = ("each scores as the goalpost it passes (capped, as goalposts do in the OECD/JRC Handbook)"
               if scale.capped else f"the scale ({scale.method}) does not use the goalposts, so they enter the index "
                                    "as they are")
    for k, name, low, high, beyond in _beyond(panel, index):
        rows, columns = np.nonzero(beyond & kept[None, :])
        if not len(rows):
            continue
        listed = ", ".join(
            f"{printable(str(panel.codes[int(r)]))} {panel.values[k][r, c]:g} in {int(panel.value_year[k][r, c])}"
            for r, c in list(zip(rows, columns, strict=True))[:8])
        more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
        hint = ("" if is_share_unit(index.components[k].unit) or (low, high) != (0.0, 100.0) else
                "; if they are percentages, correct them (unit = \"%\" makes such values input errors)")
        notes.append(f"{name}: {len(rows)} value(s) outside its goalposts [{low:g}, {high:g}], kept as they are: "
                     f"{listed}{more}; {treated}; index_by_year's flag names each{hint}")
    return notes


def _notes(study: Study, index: IndexSpec) -> list[str]:
    notes = []
    if index.imputation != "none":
        notes.append(f"[index] imputation = {index.imputation!r} is not applied over the years: a missing value stays "
                     "missing (or is interpolated where [trend] interpolate asks)")
    if index.normalisation not in ("minmax", "goalposts"):
        notes.append(f"[index] normalisation = {index.normalisation!r} applies to single years; over the years each "
                     "component is rescaled between fixed bounds ([trend] scale)")
    return notes


def year_ranges(years: Sequence[int]) -> str:
    """Years as runs: ``2006-2009, 2012``.

    Examples
    --------
    >>> year_ranges([2006, 2007, 2008, 2010, 2012, 2013])
    '2006-2008, 2010, 2012-2013'
    """
    runs: list[list[int]] = []
    for year in sorted(int(y) for y in years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)

