"""Local deviation: each region against its neighbourhood, as ESPON HyperAtlas and the R package MTA.

:func:`local_deviation` compares a region's value with a graph lag (:meth:`NeighbourGraph.lag`)
over all, same-country and cross-border neighbours, formed as :data:`AGGREGATIONS` says (a mean
of the neighbours' ratios, or their pooled ratio), and gives the difference between the last
two, the *border effect*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import geopandas as gpd
import pandas as pd

from borderland.errors import SchemaError
from borderland.neighbours.graph import SCOPES, NeighbourGraph, Scope, _require_graph

__all__ = ["AGGREGATIONS", "local_deviation"]


def _mean_of_ratios(
    graph: NeighbourGraph, value: pd.Series, weights: pd.Series | None, scope: Scope, include_self: bool
) -> pd.Series:
    # every neighbour counts once, whatever its size
    return graph.lag(value, scope=scope, include_self=include_self)


def _ratio_of_sums(
    graph: NeighbourGraph, value: pd.Series, weights: pd.Series | None, scope: Scope, include_self: bool
) -> pd.Series:
    # the neighbourhood pooled into one region: sum(value * weight) / sum(weight)
    return graph.lag(value, scope=scope, weights=weights, include_self=include_self)


#: How a neighbourhood's value is formed from its members' values (both are graph lags).
AGGREGATIONS: Final[Mapping[str, Callable[[NeighbourGraph, pd.Series, pd.Series | None, Scope, bool], pd.Series]]] = {
    "mean_of_ratios": _mean_of_ratios,
    "ratio_of_sums": _ratio_of_sums,
}


def local_deviation(
    regions: gpd.GeoDataFrame | pd.DataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    aggregation: str = "mean_of_ratios",
    weights: pd.Series | None = None,
    include_self: bool = False,
) -> pd.DataFrame:
    """Deviation of each region from its neighbourhood, as ESPON HyperAtlas and MTA's ``localDev``.

    For each region and each neighbourhood (all neighbours, those in the same country, those
    across a border) the neighbourhood's value ("context") is formed from the neighbours that
    have a value:

    - ``mean_of_ratios``: the plain mean of the neighbours' values; every neighbour counts
      once, a small region as much as a large one;
    - ``ratio_of_sums``: ``sum(value * weight) / sum(weight)`` with ``weights`` the denominator of
      the indicator (households, population): the value the neighbourhood would have if it
      were one region. This is HyperAtlas's and MTA's definition for ratio indicators (they take
      a numerator and a denominator); neighbours without a weight are left out.

    The absolute deviation is ``value - context`` (in the indicator's unit), the relative
    deviation ``100 * value / context`` (100: like the neighbourhood; NaN when a value is
    negative or the context is not positive). The *border effect* is the deviation from the
    cross-border neighbours minus that from the same-country neighbours (equal to the
    same-country context minus the cross-border context): positive where the neighbours across
    the border lag behind the region's compatriots.

    Parameters
    ----------
    regions
        Region layer indexed by code, with ``country``.
    graph
        From :func:`neighbour_graph`; extra links count as neighbours.
    values
        One value per region, indexed by code (regions without one get NaN throughout).
    aggregation
        One of :data:`AGGREGATIONS`.
    weights
        Denominator per region for ``ratio_of_sums`` (non-negative).
    include_self
        Count the region itself in each of its neighbourhoods (a "neighbourhood including the
        unit"); by default a region is compared with its neighbours only.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``; with ``v`` the name of ``values`` (``value`` when unnamed) and
        ``s`` each of ``all``, ``same_country``, ``cross_border``: ``neighbours_s`` (neighbours
        with a value), ``v_context_s``, ``v_deviation_s``, ``v_deviation_s_pct``, and
        ``v_border_effect``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from borderland.neighbours import neighbour_graph
    >>> row = gpd.GeoDataFrame({"country": ["AA", "AA", "BB"]}, index=["P", "Q", "R"], crs=3035,
    ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(3)])
    >>> dev = local_deviation(row, neighbour_graph(row), pd.Series({"P": 0.2, "Q": 0.5, "R": 0.9}, name="index"))
    >>> dev.loc["Q", ["index_context_all", "index_deviation_same_country", "index_border_effect"]].round(2).tolist()
    [0.55, 0.3, -0.7]
    """
    try:
        aggregate = AGGREGATIONS[aggregation]
    except KeyError:
        raise ValueError(f"unknown aggregation {aggregation!r}; choose one of {sorted(AGGREGATIONS)}") from None
    if aggregation == "ratio_of_sums" and weights is None:
        raise SchemaError("aggregation 'ratio_of_sums' needs weights (the indicator's denominator per region, "
                          "e.g. households or population); pass weights= or use 'mean_of_ratios'")
    if weights is not None and (weights.dropna() < 0).any():
        negative = weights.index[weights < 0]
        raise SchemaError(f"weights must be >= 0; negative for {', '.join(map(str, negative[:10]))}")
    _require_graph(graph)
    stem = values.name or "value"
    # regions outside `regions` count as having no value, so they are no one's neighbour here
    value = values.reindex(regions.index).astype(float)
    if weights is not None:
        weights = weights.reindex(regions.index).astype(float)
        value = value.where(weights.notna())  # a neighbour without a weight is left out, as one without a value
    out = pd.DataFrame(index=regions.index)
    for scope in SCOPES:
        context = aggregate(graph, value, weights, scope, include_self).reindex(regions.index)
        # the count is of neighbours proper, whether or not the region itself is in the context
        count = graph.neighbour_count(value, scope=scope)
        out[f"neighbours_{scope}"] = count.reindex(regions.index, fill_value=0)
        out[f"{stem}_context_{scope}"] = context.rename(None)
        out[f"{stem}_deviation_{scope}"] = value - context
        ok = (value >= 0) & (context > 0)
        out[f"{stem}_deviation_{scope}_pct"] = (100 * value / context).where(ok)
    out[f"{stem}_border_effect"] = out[f"{stem}_deviation_cross_border"] - out[f"{stem}_deviation_same_country"]
    return out

