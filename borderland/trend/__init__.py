"""The study over the years: the index on one scale, the divide each year, convergence (``borderland trend``).

Every run of :mod:`borderland.pipeline` is a snapshot of one year. :func:`run` follows the same
borderland over the years of ``[trend]`` (every year with data by default), in four steps, each
a module of this package:

========================  =========================================================================
module                    computes
========================  =========================================================================
:mod:`.panel`             every component's value per region and year under its year rule, with
                          the year, definition, publisher and flags of each; where a series
                          changes definition or publisher, carries a break flag, or starts under
                          new codes (another NUTS version, a coarser level before)
:mod:`.scoring`           the index of every year on one fixed scale (a base year's min and max,
                          the goalposts, or all years pooled) with fixed weights
:mod:`.divide`            each cross-border pair's gap each year, its trend (slope with a
                          confidence interval, first-to-last change, closed / narrowed / widened /
                          changed sign), each segment's (a within-pair slope), the border effect
:mod:`.convergence`       sigma convergence (SD, CV), beta convergence, the Theil between-side share
:mod:`.regression`        the least-squares slopes behind them, vectorised over pairs and series
========================  =========================================================================

It stays honest: a year with fewer than ``min_regions_per_side`` indexed regions on a side is
left out and listed; a change of definition, publisher, a flagged break or new codes is
flagged, and no trend runs across such a change; nothing is interpolated unless ``[trend]
interpolate`` asks, and an interpolated value is marked. :func:`check` runs every input check
(it is what ``borderland validate`` adds for a study with ``[trend]``) before anything is
computed.

Examples
--------
>>> result = run()
>>> result.years, result.left_out["year"].tolist()[:3]
((2021, 2022), [2006, 2007, 2008])
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland import io, neighbours, pipeline
from borderland.comparability import definition_table
from borderland.errors import SchemaError, collect
from borderland.index import IndexSpec
from borderland.population import region_population
from borderland.spatial import ratio_scale_problem
from borderland.study import Study, TrendSpec, load_study, trend_problems
from borderland.trend import convergence, divide
from borderland.trend.panel import Panel, component_panel, flagged_rows, series_changes
from borderland.trend.scoring import Scale, eligible, fixed_scale, trend_index

__all__ = ["OTHERS", "Prepared", "TrendResult", "check", "compute", "index_spec", "run", "trend_spec", "year_ranges",
           "year_start"]

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
    >>> trend_spec(load_study()).scale
    'base_year'
    """
    return study.trend if study.trend is not None else TrendSpec()


def index_spec(study: Study) -> IndexSpec:
    """The ``[index]`` specification over the components ``[trend] components`` follows (all by default).

    Examples
    --------
    >>> study = load_study().with_values({"trend.components": ["households_internet_access"]})
    >>> [c.name for c in index_spec(study).components]
    ['households_internet_access']
    """
    chosen = trend_spec(study).components
    if not chosen:
        return study.index
    return dataclasses.replace(study.index, components=tuple(c for c in study.index.components if c.name in chosen))


def year_start(years: Sequence[int] | pd.Series) -> pd.Series:
    """The first day of each year, as dates (a DATE field in a GeoPackage: QGIS's temporal controller reads it).

    Examples
    --------
    >>> year_start([2006, 2025]).astype(str).tolist()
    ['2006-01-01', '2025-01-01']
    """
    import pyarrow as pa

    dates = [datetime.date(int(y), 1, 1) for y in years]
    index = years.index if isinstance(years, pd.Series) else None
    return pd.Series(dates, index=index, dtype=pd.ArrowDtype(pa.date32()), name="year_start")


def _sides(regions: pd.DataFrame, focus_country: str | None) -> pd.Series | None:
    if focus_country is None:
        return None
    country = regions["country"].astype(object)
    return pd.Series(np.where(country == focus_country, focus_country, OTHERS), index=regions.index, name="side")


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


def _span(study: Study, spec: IndexSpec, table: pd.DataFrame, codes: pd.Index) -> tuple[int, int] | None:
    """The years of ``[trend] years``, or the first and last year any region has a value of a component."""
    years = trend_spec(study).years
    if years is not None:
        return years
    names = {n for c in spec.components for n in c.indicators}
    found = table.loc[table["indicator"].isin(names) & table["region_id"].isin(codes.astype(str)), "year"].dropna()
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
        problems.append(f"only {len(kept_years)} year(s) ({listed}) of {span[0]}-{span[1]} have at least [trend] "
                        f"min_regions_per_side = {spec.min_regions_per_side} indexed regions on each side; a trend "
                        f"needs two (regions indexed per year: {years_with}): lower min_regions_per_side, widen "
                        "[trend] years, follow fewer components ([trend] components), or allow nearby years "
                        "(year_rule = \"window\")")
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
                    notes=tuple(_notes(study, index)))


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


def _notes(study: Study, index: IndexSpec) -> list[str]:
    notes = []
    if index.imputation != "none":
        notes.append(f"[index] imputation = {index.imputation!r} is not applied over the years: a missing value stays "
                     "missing (or is interpolated where [trend] interpolate asks)")
    if index.normalisation not in ("minmax", "goalposts"):
        notes.append(f"[index] normalisation = {index.normalisation!r} applies to single years; over the years each "
                     "component is rescaled between fixed bounds ([trend] scale)")
    return notes


# -- the result ---------------------------------------------------------------------------------


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


def _flags(prepared: Prepared, columns: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """What to know about each region's value in each kept year, as text ("" when nothing)."""
    panel = prepared.panel
    notes: dict[tuple[int, int], list[str]] = {}
    position = {int(y): j for j, y in enumerate(panel.years[columns])}
    for k, name in enumerate(panel.components):
        nearby = panel.nearby[k][:, columns] & panel.observed[k][:, columns]
        for r, j in zip(*np.nonzero(nearby), strict=True):
            notes.setdefault((r, j), []).append(f"{name} from {panel.value_year[k][r, columns[j]]}")
        for r, j in zip(*np.nonzero(panel.interpolated[k][:, columns]), strict=True):
            notes.setdefault((r, j), []).append(f"{name} interpolated")
    codes = {str(c): r for r, c in enumerate(panel.codes.astype(str))}
    for change in prepared.changes.to_dict("records"):
        j = position.get(int(change["year"]))
        if j is None:
            continue
        kind, component = str(change["kind"]), str(change["component"])
        text = ("enters under new codes" if kind == "new codes" else f"{component}: break in series"
                if kind == "break flag" else f"{component}: {kind} changed")
        notes.setdefault((codes[str(change["region"])], j), []).append(text)
    out = np.full((len(panel.codes), len(columns)), "", dtype=object)
    for (r, j), texts in notes.items():
        out[r, j] = "; ".join(texts)
    return out


def _index_by_year(prepared: Prepared, regions: gpd.GeoDataFrame, effect: pd.DataFrame,
                   sides: pd.Series | None) -> pd.DataFrame:
    panel = prepared.panel
    columns = np.flatnonzero(prepared.kept)
    years = panel.years[columns]
    n_regions, n_years = len(panel.codes), len(columns)
    flags = _flags(prepared, columns)
    frame = pd.DataFrame({
        "region": np.repeat(panel.codes.astype(str).to_numpy(), n_years),
        "year": np.tile(years, n_regions).astype(np.int64),
        "value": prepared.values[:, columns].ravel(),
        "flag": flags.ravel(),
    })
    frame["name"] = np.repeat(regions["name"].reindex(panel.codes).astype(str).to_numpy(), n_years)
    frame["country"] = np.repeat(regions["country"].reindex(panel.codes).astype(str).to_numpy(), n_years)
    if sides is not None:
        frame["side"] = np.repeat(sides.reindex(panel.codes).to_numpy(dtype=object), n_years)
    for k, name in enumerate(panel.components):
        frame[name] = panel.values[k][:, columns].ravel()
        taken = panel.value_year[k][:, columns].ravel()
        frame[f"{name}_year"] = pd.array(np.where(taken >= 0, taken, 0), dtype="Int64")
        frame.loc[taken < 0, f"{name}_year"] = pd.NA
    frame["interpolated"] = panel.interpolated[:, :, columns].any(axis=0).ravel()
    frame["border_effect"] = effect.reindex(index=panel.codes, columns=years).to_numpy(dtype=float).ravel()
    return frame


def _unlike(panel: Panel, a: npt.NDArray[np.intp], b: npt.NDArray[np.intp],
            columns: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """Per pair and year, the components whose two values are compared by different definitions."""
    out = np.full((len(a), len(columns)), "", dtype=object)
    for k, name in enumerate(panel.components):
        ka, kb = panel.key[k][a][:, columns], panel.key[k][b][:, columns]
        differ = (ka >= 0) & (kb >= 0) & (ka != kb)
        for p, j in zip(*np.nonzero(differ), strict=True):
            out[p, j] = f"{out[p, j]}, {name}" if out[p, j] else name
    return out


def _gaps_by_year(prepared: Prepared, pairs: gpd.GeoDataFrame, region_flags: npt.NDArray[np.object_]
                  ) -> tuple[pd.DataFrame, FloatArray, BoolArray]:
    panel = prepared.panel
    columns = np.flatnonzero(prepared.kept)
    years = panel.years[columns]
    position = pd.Series(np.arange(len(panel.codes)), index=panel.codes.astype(str))
    a = position.reindex(pairs["region_a"].astype(str)).to_numpy(dtype=np.intp)
    b = position.reindex(pairs["region_b"].astype(str)).to_numpy(dtype=np.intp)
    value_a, value_b = prepared.values[a][:, columns], prepared.values[b][:, columns]
    gap = value_a - value_b
    unlike = _unlike(panel, a, b, columns)
    breaks: BoolArray = np.asarray(prepared.breaks.any(axis=0), dtype=bool)[:, columns]
    pair_breaks = breaks[a] | breaks[b]
    flags = np.full(gap.shape, "", dtype=object)
    for p, j in zip(*np.nonzero((region_flags[a] != "") | (region_flags[b] != "") | (unlike != "")), strict=True):
        parts = [f"{pairs['region_a'].iloc[p]}: {region_flags[a[p], j]}" if region_flags[a[p], j] else "",
                 f"{pairs['region_b'].iloc[p]}: {region_flags[b[p], j]}" if region_flags[b[p], j] else "",
                 f"unlike definitions: {unlike[p, j]}" if unlike[p, j] else ""]
        flags[p, j] = "; ".join(part for part in parts if part)
    n_pairs, n_years = gap.shape
    both = ~np.isnan(gap)
    frame = pd.DataFrame({
        "pair": np.repeat(pairs.index.astype(str).to_numpy(), n_years),
        "year": np.tile(years, n_pairs).astype(np.int64),
        "gap": gap.ravel(),
        "flag": flags.ravel(),
        "region_a": np.repeat(pairs["region_a"].astype(str).to_numpy(), n_years),
        "region_b": np.repeat(pairs["region_b"].astype(str).to_numpy(), n_years),
        "segment": np.repeat(pairs["segment"].astype(str).to_numpy(), n_years),
        "country_a": np.repeat(pairs["country_a"].astype(str).to_numpy(), n_years),
        "country_b": np.repeat(pairs["country_b"].astype(str).to_numpy(), n_years),
        "value_a": value_a.ravel(),
        "value_b": value_b.ravel(),
        "abs_gap": np.abs(gap).ravel(),
    })
    # nullable: missing where either side has no value that year
    frame["comparable"] = pd.Series((unlike == "").ravel(), dtype="boolean").where(pd.Series(both.ravel()))
    return frame, gap, pair_breaks


def _series(prepared: Prepared, regions: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame],
                                                                 dict[str, bool]]:
    """The convergence variables (the index and each raw component) as regions x kept years, their breaks."""
    panel = prepared.panel
    columns = np.flatnonzero(prepared.kept)
    years = pd.Index(panel.years[columns], name="year")
    values = {"index": pd.DataFrame(prepared.values[:, columns], index=panel.codes, columns=years)}
    region_breaks: BoolArray = np.asarray(prepared.breaks.any(axis=0), dtype=bool)[:, columns]
    breaks = {"index": pd.DataFrame(region_breaks, index=panel.codes, columns=years)}
    index_ratio = prepared.scale.method == "goalposts" and ratio_scale_problem(
        dataclasses.replace(prepared.index, normalisation="goalposts")) is None
    ratio = {"index": index_ratio}
    for k, name in enumerate(panel.components):
        values[name] = pd.DataFrame(panel.values[k][:, columns], index=panel.codes, columns=years)
        breaks[name] = pd.DataFrame(prepared.breaks[k][:, columns], index=panel.codes, columns=years)
        ratio[name] = True
    return values, breaks, ratio


def _graph(study: Study, inputs: pipeline.Inputs) -> neighbours.NeighbourGraph:
    """The neighbour graph as the run builds it (the gaps stage's contiguity, tolerance and extra links)."""
    contiguity = study.gaps.contiguity
    return neighbours.neighbour_graph(inputs.regions, edges=inputs.edges if contiguity == "rook" else None,
                                      contiguity=contiguity,  # type: ignore[arg-type]
                                      tolerance_m=study.border.edge_tolerance_m, extra_links=inputs.extra_links)


def run(study: Study | None = None, *, inputs: pipeline.Inputs | None = None,
        on_stage: Callable[[str], None] | None = None) -> TrendResult:
    """Follow a study over the years: the index on one scale, the divide, convergence.

    Parameters
    ----------
    study
        The study (its ``[trend]``, or the defaults); the bundled study when omitted.
    inputs
        Inputs loaded already (:func:`borderland.pipeline.load`).
    on_stage
        Called with each step's name as it starts (``load``, ``trend``).

    Returns
    -------
    TrendResult
        Every table of the trend.

    Raises
    ------
    SchemaError
        Any input check of :func:`borderland.pipeline.check` (the index stage's) or of
        :func:`check` fails; nothing is computed then.
    """
    study = study or load_study()
    step = on_stage or (lambda name: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    step("load")
    inputs = inputs or pipeline.load(study)
    found = pipeline.check(study, inputs, ("index",))
    prepared = check(study, inputs, index_year=int(found["year"]))
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    step("trend")
    result = compute(study, inputs, prepared)
    timings["trend"] = time.perf_counter() - started
    return dataclasses.replace(result, timings=timings)


def compute(study: Study, inputs: pipeline.Inputs, prepared: Prepared) -> TrendResult:
    """The trend's tables from checked inputs (:func:`check`); :func:`run` does both.

    Parameters
    ----------
    study
        The study.
    inputs
        From :func:`borderland.pipeline.load`.
    prepared
        From :func:`check`.

    Returns
    -------
    TrendResult
        Every table of the trend.
    """
    regions = inputs.regions
    spec = prepared.spec
    panel = prepared.panel
    focus = study.focus_country
    sides = _sides(regions, focus)
    columns = np.flatnonzero(prepared.kept)
    years = panel.years[columns]
    index_frame = pd.DataFrame(prepared.values[:, columns], index=panel.codes, columns=pd.Index(years, name="year"))
    graph = _graph(study, inputs)
    effect = divide.border_effect(graph, index_frame)
    by_year = _index_by_year(prepared, regions, effect, sides)
    pairs = divide.cross_border_pairs(regions, graph, focus_country=focus)
    region_flags = by_year["flag"].to_numpy(dtype=object).reshape(len(panel.codes), len(years))
    gaps_frame, gaps, pair_breaks = _gaps_by_year(prepared, pairs, region_flags)
    trends = divide.gap_trends(pairs, gaps, years, breaks=pair_breaks, closed_below=spec.closed_below,
                               confidence=spec.confidence)
    series = divide.segment_series(pairs, gaps, years)
    values, breaks, ratio = _series(prepared, regions)
    table = [convergence.sigma_table(values, countries=regions["country"], sides=sides, breaks=breaks, ratio=ratio),
             convergence.group_means(effect, countries=regions["country"], sides=sides, variable="index",
                                     measure="border_effect_mean")]
    partitions = {"country": regions["country"]} | ({"side": sides} if sides is not None else {})
    raw = {name: values[name] for name in panel.components}
    theil, theil_notes = convergence.theil_by_year(raw, partitions=partitions, population=prepared.population)
    table.append(theil)
    long = pd.concat([t for t in table if len(t)], ignore_index=True)
    trends_table = pd.concat([convergence.convergence_trends(long, confidence=spec.confidence),
                              convergence.beta_table(values, countries=regions["country"], sides=sides, breaks=breaks,
                                                     confidence=spec.confidence)], ignore_index=True)
    notes = list(prepared.notes) + theil_notes
    weights = "population ([gaps] population_indicator)" if prepared.population is not None else "each region once"
    notes.append(f"Theil weights: {weights}")
    return TrendResult(
        study=study, spec=spec, index_spec=prepared.index, scale=prepared.scale, regions=regions,
        years=tuple(int(y) for y in years), coverage=prepared.coverage, index_by_year=by_year, pairs=pairs,
        gaps_by_year=gaps_frame, segments_by_year=series, gap_trends=trends, convergence=long,
        convergence_trends=trends_table, changes=prepared.changes, map_years=prepared.map_years, notes=tuple(notes))


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
            lines.append(f"  {row['segment']}: {row['abs_slope']:+.4f}{interval} {row['trend']}; gap "
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


def _fmt_year(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else str(int(value))

