"""Outlines simplified for drawing: vertices closer than half a pixel dropped, the same way for every writer.

The interactive map (:mod:`borderland.maps.leaflet`) and the static map
(:mod:`borderland.maps.static`) both draw the model's geometries at a scale that cannot show
detail finer than a pixel; dropping it makes the page or the file smaller and the picture no
different. Both simplify with :func:`simplified`, in the projected CRS of the regions.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["simplified"]


def simplified(geometry: gpd.GeoSeries, tolerance_m: float, *, coverage: bool) -> np.ndarray:
    """Drop vertices closer than ``tolerance_m``; missing and empty geometries are kept as they are.

    Parameters
    ----------
    geometry
        In a projected CRS (metres).
    tolerance_m
        The largest distance a vertex may move; 0 keeps every vertex.
    coverage
        The polygons tile the plane without overlaps (regions, countries): they are simplified
        together, so that a shared edge moves the same way on both sides.

    Returns
    -------
    numpy.ndarray
        The geometries, in the order of ``geometry``.

    Examples
    --------
    >>> import shapely
    >>> line = gpd.GeoSeries([shapely.LineString([(0, 0), (50, 1), (100, 0)]), None], crs=3035)
    >>> [g.wkt if g is not None else None for g in simplified(line, 10.0, coverage=False)]
    ['LINESTRING (0 0, 100 0)', None]
    """
    geoms = geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any() or tolerance_m <= 0:
        return geoms
    out = geoms.copy()
    if coverage:
        # coverage simplification moves a shared edge the same way on both sides: no slivers, and
        # the two sides keep the same vertices (so the web map writes the edge as one arc)
        out[present] = shapely.coverage_simplify(geoms[present], tolerance_m)
    else:
        out[present] = shapely.simplify(geoms[present], tolerance_m, preserve_topology=True)
    return out
