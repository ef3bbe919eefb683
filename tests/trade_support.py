"""Shared by the tests of borderland.trade: a flow-table helper and the bundled layers, read once."""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd

from borderland import io, layers, trade

USD = "million USD"


def flow_table(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """A normalised flow table from (origin, destination, value, unit, year, flow_type) rows."""
    return trade.normalise_flows(pd.DataFrame(rows, columns=["origin", "destination", "value", "unit", "year",
                                                             "flow_type"]))


@functools.cache
def bundled_regions() -> gpd.GeoDataFrame:
    """The bundled region layer, prepared (read-only: tests must not mutate it)."""
    return layers.prepare_regions(io.read_layer(io.bundled("regions.gpkg"), "regions"))


@functools.cache
def bundled_countries() -> gpd.GeoDataFrame:
    """The bundled country layer, projected (read-only)."""
    return layers.to_projected(io.read_layer(io.bundled("countries.gpkg"), "countries"))


@functools.cache
def bundled_flows() -> tuple[pd.DataFrame, trade.FlowReport]:
    """The bundled flows matched to the bundled regions and countries (read-only)."""
    flows, skipped = trade.read_trade_flows()
    return trade.match_flows(flows, bundled_regions(), countries=bundled_countries(), focus_country="RU",
                             skipped=skipped)
