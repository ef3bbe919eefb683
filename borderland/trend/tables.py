"""The trend's tables from checked inputs (:func:`compute`), and the whole trend (:func:`run`).

:func:`compute` turns what :func:`borderland.trend.check` found (:class:`~borderland.trend.checks.Prepared`)
into the tables of a :class:`~borderland.trend.result.TrendResult`: the index by region and
year with what to know about each value, each cross-border pair's gap by year, the trends of
the gaps, and convergence. :func:`run` loads the study, runs the index stage's checks and the
trend's, then computes.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland import neighbours, pipeline
from borderland.compute import Laps
from borderland.spatial import ratio_scale_problem
from borderland.study import Study, load_study
from borderland.trend import convergence, divide
from borderland.trend.checks import OTHERS, BoolArray, FloatArray, Prepared, _beyond, check
from borderland.trend.panel import Panel
from borderland.trend.result import TrendResult

__all__ = ["compute", "run", "year_start"]


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
    capped = ", capped" if prepared.scale.capped else ""
    for k, name, low, high, beyond in _beyond(prepared.panel, prepared.index):
        for r, j in zip(*np.nonzero(beyond[:, columns]), strict=True):
            notes.setdefault((r, j), []).append(f"{name} {panel.values[k][r, columns[j]]:g} outside the goalposts "
                                                f"[{low:g}, {high:g}]{capped}")
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
    lap = Laps()
    step("load")
    inputs = inputs or pipeline.load(study)
    found = pipeline.check(study, inputs, ("index",))
    prepared = check(study, inputs, index_year=int(found["year"]))
    lap("load")
    step("trend")
    result = compute(study, inputs, prepared)
    lap("trend")
    return dataclasses.replace(result, timings=lap.times)


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
