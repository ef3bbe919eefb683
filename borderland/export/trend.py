"""The layers of ``trend.gpkg`` (``borderland trend``): long tables by year, their aliases and metadata.

Every layer with a ``year`` gets a DATE ``year_start`` beside it, for QGIS's temporal
controller; the GeoPackage itself is written by :mod:`borderland.export.geopackage`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import pandas as pd

from borderland.export.result import _label, _plain, required_attributions, software_versions

if TYPE_CHECKING:
    from borderland.trend import TrendResult

__all__ = ["TREND_FIELD_ALIASES", "trend_aliases", "trend_layers", "trend_metadata"]

#: Display names of the trend's fields (``trend.gpkg``), over :data:`FIELD_ALIASES`.
TREND_FIELD_ALIASES: Final[Mapping[str, str]] = {
    "region": "Region code",
    "year": "Year",
    "year_start": "First day of the year (a date, for QGIS's temporal controller)",
    "value": "Value: the index on the trend's fixed scale (index_by_year), the measure's value (convergence)",
    "flag": "What to know about the value (a nearby year's value, interpolated, a change of definition, publisher "
            "or codes; unlike definitions across a pair)",
    "side": "Side of the border (the focus country, or others)",
    "interpolated": "A component's value is interpolated between two observed years (true / false)",
    "border_effect": "Border effect: mean of the same-country neighbours minus mean of the cross-border neighbours "
                     "(index points)",
    "pair": "Cross-border pair (region a|region b)",
    "value_a": "Index of region a on the trend's scale",
    "value_b": "Index of region b on the trend's scale",
    "comparable": "Both sides measure every component by the same definition that year (true / false)",
    "scope": "Scope of the row (pair or segment; borderland, country, side, between sides or countries)",
    "id": "Pair id or segment",
    "pairs_spanning": "Pairs with a gap in the segment's first and last years (count)",
    "first_year": "First year with a value",
    "last_year": "Last year with a value",
    "first_gap": "Gap in the first year (index points)",
    "last_gap": "Gap in the last year (index points)",
    "first_abs_gap": "Segment: mean absolute gap in the first year, over the pairs spanning both years (index points)",
    "last_abs_gap": "Segment: mean absolute gap in the last year, over the pairs spanning both years (index points)",
    "change": "Change from the first to the last year",
    "abs_change": "Change of the absolute gap from the first to the last year (index points)",
    "slope": "Least-squares slope of the gap per year (index points per year)",
    "slope_se": "Standard error of the slope",
    "slope_ci_low": "Slope: lower end of the confidence interval",
    "slope_ci_high": "Slope: upper end of the confidence interval",
    "abs_slope": "Least-squares slope of the absolute gap per year (index points per year)",
    "abs_slope_se": "Standard error of the absolute gap's slope",
    "abs_slope_ci_low": "Absolute gap's slope: lower end of the confidence interval",
    "abs_slope_ci_high": "Absolute gap's slope: upper end of the confidence interval",
    "status": "What happened to the gap from the first to the last year (closed, narrowed, widened, changed sign)",
    "trend": "What the absolute gap's interval says (narrowing, widening, no clear trend: stalled)",
    "broken": "The pair's series break in the years: its trend starts after the last break (true / false)",
    "years": "Years with a value (count)",
    "measure": "Measure (mean, sd, cv, between_sd, side_mean_gap, border_effect_mean, theil_*, beta)",
    "group": "Group (a country or side; empty for the whole borderland)",
    "panel": "Panel: all regions with a value that year, or the balanced panel (a value every year, no break)",
    "first": "Value in the first year",
    "last": "Value in the last year",
    "estimate": "Slope per year (sigma, Theil), or beta (yearly change per unit of the first year's level)",
    "estimate_se": "Standard error of the estimate",
    "ci_low": "Lower end of the confidence interval",
    "ci_high": "Upper end of the confidence interval",
    "r_squared": "Share of the variance explained (beta)",
    "verdict": "What the interval says: converging, diverging, falling, rising, no clear trend",
    "regions_indexed": "Regions with an index (count)",
    "nearby_year": "Regions indexed with a value of a nearby year (count)",
    "kept": "The year is kept (true / false)",
    "reason": "Why the year was left out",
    "kind": "Kind of change (definition, source, break flag, new codes)",
    "detail": "What changed",
    "max_abs_gap": "Largest absolute gap (index points)",
}


def _with_year_start(frame: pd.DataFrame) -> pd.DataFrame:
    from borderland.trend import year_start

    out = frame.copy()
    out.insert(list(out.columns).index("year") + 1, "year_start", year_start(out["year"]))
    return out


def trend_layers(result: TrendResult) -> dict[str, pd.DataFrame]:
    """The layers of ``trend.gpkg``: long tables with an integer ``year`` and a DATE ``year_start``.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``index_by_year`` (the regions' polygons, repeated per year), ``gaps_by_year`` (the pairs'
        shared lines, per year), ``gap_trends`` (pair and segment lines), and the tables
        ``segments_by_year``, ``convergence``, ``convergence_trends``, ``coverage_by_year`` and
        ``series_changes``; every layer with a ``year`` has a ``year_start`` date beside it.
    """
    regions, pairs = result.regions, result.pairs
    by_year = _with_year_start(result.index_by_year)
    index_layer = gpd.GeoDataFrame(by_year, geometry=regions.geometry.reindex(by_year["region"]).to_numpy(),
                                   crs=regions.crs)
    gaps = _with_year_start(result.gaps_by_year)
    gap_layer = gpd.GeoDataFrame(gaps, geometry=pairs.geometry.reindex(gaps["pair"]).to_numpy(), crs=pairs.crs)
    trends = result.gap_trends
    lines = pairs.geometry.reindex(trends["id"].where(trends["scope"] == "pair")).to_numpy()
    import shapely

    by_segment = {name: shapely.line_merge(shapely.union_all(group.geometry.to_numpy()))
                  for name, group in pairs[pairs["shared_border_km"] > 0].groupby("segment")}
    lines = [by_segment.get(seg) if scope == "segment" else line
             for scope, seg, line in zip(trends["scope"], trends["segment"], lines, strict=True)]
    trend_layer = gpd.GeoDataFrame(trends, geometry=lines, crs=pairs.crs)
    return {
        "index_by_year": index_layer,
        "gaps_by_year": gap_layer,
        "gap_trends": trend_layer,
        "segments_by_year": _with_year_start(result.segments_by_year.astype({"year": "int64"})),
        "convergence": _with_year_start(result.convergence),
        "convergence_trends": result.convergence_trends,
        "coverage_by_year": _with_year_start(result.coverage),
        "series_changes": _with_year_start(result.changes),
    }


def trend_aliases(result: TrendResult) -> dict[str, str]:
    """Field aliases of ``trend.gpkg``: :data:`TREND_FIELD_ALIASES` and each component with its unit.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.

    Returns
    -------
    dict of str to str
        Field name -> display name.
    """
    aliases = dict(TREND_FIELD_ALIASES)
    aliases["value"] = f"{aliases['value']}; scale: {result.scale.describe()}"
    for component in result.index_spec.components:
        label = _label(component.name)
        unit = f" ({component.unit})" if component.unit else ""
        aliases[component.name] = f"{label}{unit}, raw value"
        aliases[f"{component.name}_year"] = f"{label}: the year its value comes from"
    return aliases


def trend_metadata(result: TrendResult) -> dict[str, Any]:
    """What ``trend.gpkg`` is: the study, its ``[trend]``, the scale, the years kept and left out, sources, software.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.

    Returns
    -------
    dict
        JSON types only: ``title``, ``attribution``, ``sources``, ``crs``, ``trend`` (every key of
        ``[trend]``), ``index_specification``, ``scale`` (method, base year, bounds, weights),
        ``years``, ``left_out`` (year -> reason), ``changes`` (count per kind), ``notes``,
        ``software``, ``study_file``, ``created``.
    """
    study = result.study
    sources = [f"regions.path: {study.regions.path.name}", f"indicators.path: {study.indicators.path.name}"]
    credits = list(study.attribution.lines)
    given = "\n".join(credits).lower()
    credits += [c for c in required_attributions([*sources, *credits]) if c.lower() not in given]
    scale = result.scale
    return {
        "title": study.title,
        "attribution": credits,
        "sources": sources,
        "crs": result.regions.crs.to_string() if result.regions.crs is not None else None,
        "trend": _plain(result.spec),
        "index_specification": _plain(result.index_spec),
        "scale": {"method": scale.method, "base_year": scale.base_year, "capped": scale.capped,
                  "low": _plain(scale.low.to_dict()), "high": _plain(scale.high.to_dict()),
                  "weights": _plain(scale.weights.to_dict()), "description": scale.describe()},
        "years": list(result.years),
        "left_out": {str(row.year): row.reason for row in result.left_out.itertuples()},
        "changes": _plain(result.changes["kind"].value_counts().to_dict()),
        "notes": list(result.notes),
        "software": software_versions(),
        "study_file": str(study.source_file) if study.source_file else None,
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }
