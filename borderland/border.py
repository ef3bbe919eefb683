"""The state border: its lines, each region's distance to it, and border rings.

Only land borders between countries present in the study are known here: a region of Poland
that touches Germany is not a border region of a study without German regions, unless an
authoritative border layer that includes that border is given.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import SchemaError
from borderland.layers import require_projected


def segment_label(country_a: str, country_b: str, focus_country: str | None = None) -> str:
    """Name of a border segment: the focus country first, else alphabetical (``RU-FI``, ``BY-UA``).

    Examples
    --------
    >>> segment_label("FI", "RU", "RU"), segment_label("UA", "BY")
    ('RU-FI', 'BY-UA')
    """
    if focus_country and country_b == focus_country:
        country_a, country_b = country_b, country_a
    elif not (focus_country and country_a == focus_country) and country_b < country_a:
        country_a, country_b = country_b, country_a
    return f"{country_a}-{country_b}"


def border_lines_from_edges(
    regions: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, focus_country: str | None = None
) -> gpd.GeoDataFrame:
    """Land border lines derived from the region polygons: shared edges of regions in different countries.

    Coastlines are never included, because only edges shared by two regions are.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``country``).
    edges
        Shared edges from :func:`borderland.layers.shared_edges`.
    focus_country
        Country named first in segment labels.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per border segment: ``segment``, ``country_a``, ``country_b``, ``length_km``, line.
    """
    require_projected(regions, edges)
    country = regions["country"]
    a = country.reindex(edges["region_a"]).to_numpy()
    b = country.reindex(edges["region_b"]).to_numpy()
    cross = a != b
    frame = gpd.GeoDataFrame(
        {"segment": [segment_label(x, y, focus_country) for x, y in zip(a[cross], b[cross], strict=True)]},
        geometry=edges.geometry.to_numpy()[cross],
        crs=regions.crs,
    )
    return _by_segment(frame)


def border_lines_from_layer(
    lines: gpd.GeoDataFrame,
    *,
    country_a: str = "country_a",
    country_b: str = "country_b",
    focus_country: str | None = None,
) -> gpd.GeoDataFrame:
    """Land border lines from an authoritative line layer (e.g. Natural Earth boundary lines).

    Parameters
    ----------
    lines
        Line layer in the study's projected CRS, with the two countries of each line.
    country_a, country_b
        Columns holding the ISO alpha-2 codes of the two sides.
    focus_country
        Country named first in segment labels.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`border_lines_from_edges`.
    """
    require_projected(lines)
    missing = [c for c in (country_a, country_b) if c not in lines.columns]
    if missing:
        raise SchemaError(f"border line layer lacks column(s) {missing}; name the columns of the two countries")
    frame = gpd.GeoDataFrame(
        {"segment": [segment_label(x, y, focus_country)
                     for x, y in zip(lines[country_a], lines[country_b], strict=True)]},
        geometry=lines.geometry.to_numpy(),
        crs=lines.crs,
    )
    return _by_segment(frame)


def _by_segment(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    dissolved = frame.dissolve(by="segment", as_index=False)
    dissolved.geometry = shapely.line_merge(dissolved.geometry.to_numpy())
    parts = dissolved["segment"].str.split("-", n=1, expand=True)
    dissolved.insert(1, "country_a", parts[0])
    dissolved.insert(2, "country_b", parts[1])
    dissolved["length_km"] = dissolved.length / 1000.0
    return dissolved.sort_values("segment").reset_index(drop=True)


def distance_to_border(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    origin: Literal["inside_point", "centroid", "outline"] = "inside_point",
) -> pd.Series:
    """Distance in km from each region to the nearest land border (0 on the border).

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    origin
        ``"inside_point"`` (a point guaranteed inside the region), ``"centroid"`` (may fall
        outside a crescent-shaped region) or ``"outline"`` (0 when the region touches the border).

    Returns
    -------
    pandas.Series
        ``border_distance_km``, indexed like ``regions``.
    """
    require_projected(regions, borders)
    origins = {
        "inside_point": lambda: regions.representative_point(),
        "centroid": lambda: regions.centroid,
        "outline": lambda: regions.geometry,
    }
    if origin not in origins:
        raise SchemaError(f"unknown distance origin {origin!r}; choose one of {sorted(origins)}")
    line = shapely.union_all(borders.geometry.to_numpy())
    if line.is_empty:
        return pd.Series(np.nan, index=regions.index, name="border_distance_km")
    return (origins[origin]().distance(line) / 1000.0).rename("border_distance_km")


def border_order(
    regions: gpd.GeoDataFrame,
    edges: pd.DataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    touch_tolerance_m: float = 100.0,
) -> pd.Series:
    """Border ring of each region: 1 touches a land border, k is k − 1 steps inland.

    Steps are taken over shared edges between regions of the same country, so a ring never
    crosses the border; regions not connected to a ring-1 region of their country get ``<NA>``.

    Parameters
    ----------
    regions
        Region layer in a projected CRS, with ``country``.
    edges
        Shared edges (``region_a``, ``region_b``) from :func:`borderland.layers.shared_edges`.
    borders
        Border lines.
    touch_tolerance_m
        A region whose outline lies within this distance of a border line touches it (layers
        from different sources do not meet exactly).

    Returns
    -------
    pandas.Series
        ``border_order`` (nullable integer), indexed like ``regions``.
    """
    touching = distance_to_border(regions, borders, origin="outline") * 1000.0 <= touch_tolerance_m
    country = regions["country"]
    same = country.reindex(edges["region_a"]).to_numpy() == country.reindex(edges["region_b"]).to_numpy()
    neighbours: dict[str, list[str]] = {code: [] for code in regions.index}
    for a, b in zip(edges["region_a"].to_numpy()[same], edges["region_b"].to_numpy()[same], strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    # breadth-first search from all ring-1 regions at once: each region's ring is its hop count + 1
    order: dict[str, int] = {code: 1 for code in regions.index[touching.to_numpy()]}
    queue = deque(order)
    while queue:
        code = queue.popleft()
        for other in neighbours[code]:
            if other not in order:
                order[other] = order[code] + 1
                queue.append(other)
    return pd.Series(order, dtype="Int64").reindex(regions.index).rename("border_order")
