"""Flow lines: straight lines from origin to destination for maps and GeoPackages."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import JoinError, SchemaError
from borderland.layers import require_projected
from borderland.trade._common import require_columns
from borderland.trade.flows import FLOW_TYPES, strongest_flows


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
        Keep the ``top`` largest values (see :func:`borderland.trade.flows.strongest_flows`).

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
    require_columns(flows, ("matched", "origin_kind", "destination_kind", "cross_border"), "flow table",
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
