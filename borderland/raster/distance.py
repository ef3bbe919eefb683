"""Distance to lines on a grid: the distance raster, written a strip of rows at a time, and exact distances at points.

:func:`distance_raster` writes a GeoTIFF of the distance (km) from each cell centre to the
nearest line, in the lines' projected CRS: exact to the line (``target="line"``) or to the
centre of the nearest cell a line crosses, as ``gdal_proximity`` measures (``target="cells"``).
Each strip of 256 rows is a task (with the mask's polygons that reach it), written in order, so
the file is the same byte for byte wherever the strips run. :func:`line_distance` measures the
same exact distance at any points.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import geopandas as gpd
import numpy as np
import shapely

from borderland.compute import SERIAL, Executor
from borderland.errors import SchemaError
from borderland.io import atomic_path
from borderland.layers import require_projected
from borderland.nearest import Segments, grid_distances, line_segments, point_distances
from borderland.raster.pixels import CHUNK_CELLS, READ_CACHE_MB

if TYPE_CHECKING:
    from affine import Affine

__all__ = ["DISTANCE_NODATA", "DISTANCE_TARGETS", "distance_raster", "line_distance"]

#: Targets of :func:`distance_raster`.
DISTANCE_TARGETS: Final[Mapping[str, str]] = {
    "line": "exact distance from each cell centre to the border line",
    "cells": "distance from each cell centre to the centre of the nearest cell the border crosses "
             "(what gdal_proximity computes, exactly; within half a cell diagonal of 'line')",
}

#: Value written where a distance raster has no data (outside the mask).
DISTANCE_NODATA: Final[float] = -9999.0


# --------------------------------------------------------------------------------------------
# exact distance from many points of a grid to many segments


def _border_cells(borders: gpd.GeoDataFrame | gpd.GeoSeries, transform: Affine, height: int, width: int,
                  strip: int) -> np.ndarray:
    """Centres of the grid cells the lines cross, as zero-length segments."""
    from affine import Affine
    from rasterio.features import rasterize

    line = borders.geometry.to_numpy()
    centres = []
    for top in range(0, height, strip):
        rows = min(strip, height - top)
        burnt = rasterize(((g, 1) for g in line), out_shape=(rows, width), all_touched=True, dtype="uint8",
                          transform=transform @ Affine.translation(0, top))
        r, c = np.nonzero(burnt)
        # affine's own formula (``transform @ (x, y)``), spelt out: its stubs take no arrays
        x = transform.a * (c + 0.5) + transform.b * (r + top + 0.5) + transform.c
        y = transform.d * (c + 0.5) + transform.e * (r + top + 0.5) + transform.f
        centres.append(np.column_stack([x, y, x, y]))
    return np.vstack(centres) if centres else np.empty((0, 4))


@dataclass(frozen=True)
class _MaskShapes:
    """Polygons as GeoJSON-like mappings for rasterio, made once, with their vertical extents."""

    geojson: list[dict[str, object]]
    ymin: np.ndarray
    ymax: np.ndarray


def _mask_shapes(geoms: np.ndarray) -> _MaskShapes:
    """The polygons as the mappings ``rasterio.features`` reads, with the same coordinates.

    rasterio reads a shapely geometry through its ``__geo_interface__`` (a Python tuple per
    vertex) twice on every call; a distance raster masks every strip with the same polygons, so
    they are converted once here, from shapely's coordinate arrays.
    """
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = geoms[present]
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]]) if len(ring) else np.empty(0, dtype=np.int64)
    ends = np.r_[starts[1:], len(ring)]
    xy = coords.tolist()
    polygons: list[list[list[list[float]]]] = [[] for _ in range(len(parts))]
    for owner_part, start, end in zip(part[ring[starts]].tolist(), starts.tolist(), ends.tolist(), strict=True):
        polygons[owner_part].append(xy[start:end])
    members: list[list[list[list[list[float]]]]] = [[] for _ in range(len(geoms))]
    for k, item in enumerate(owner):
        members[item].append(polygons[k])
    multi = shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON
    geojson: list[dict[str, object]] = [
        {"type": "MultiPolygon", "coordinates": found} if is_multi else {"type": "Polygon", "coordinates": found[0]}
        for found, is_multi in zip(members, multi, strict=True) if found]
    bounds = shapely.bounds(geoms[[bool(found) for found in members]]) if len(geoms) else np.empty((0, 4))
    return _MaskShapes(geojson, bounds[:, 1], bounds[:, 3])


@dataclass(frozen=True)
class _DistanceStrip:
    """Rows of a distance raster: one task of :func:`distance_raster`."""

    segments: Segments
    xc: np.ndarray
    yc: np.ndarray
    transform: Affine
    shapes: list[dict[str, object]] | None  # the mask's polygons as rasterio reads them (:func:`_mask_shapes`)
    batch_cells: int


def _distance_strips(segments: Segments, tops: range, strip: int, height: int, xc: np.ndarray, transform: Affine,
                     shapes: np.ndarray | None, batch_cells: int) -> list[_DistanceStrip]:
    """The strips' tasks, each with the mask's polygons that can hold one of its cell centres."""
    from affine import Affine

    mask = _mask_shapes(shapes) if shapes is not None else None
    tasks = []
    for top in tops:
        rows = min(strip, height - top)
        yc = transform.f - (top + np.arange(rows) + 0.5) * -transform.e  # (as the grid was laid out)
        near = None
        if mask is not None:
            # a polygon whose bounds miss the strip's rows covers none of its centres
            near = [mask.geojson[k] for k in np.flatnonzero((mask.ymin <= yc[0]) & (mask.ymax >= yc[-1]))]
        tasks.append(_DistanceStrip(segments, xc, yc, transform @ Affine.translation(0, top), near, batch_cells))
    return tasks


def _distance_strip(task: _DistanceStrip) -> np.ndarray:
    """A strip's distances in km (float32), no data outside the mask."""
    outside = None
    if task.shapes is not None:
        from rasterio.features import geometry_mask

        shape = (len(task.yc), len(task.xc))
        outside = (geometry_mask(task.shapes, out_shape=shape, transform=task.transform) if task.shapes
                   else np.ones(shape, dtype=bool))
    # cells outside the mask are not measured at all (a tile with none inside is skipped)
    km = grid_distances(task.segments, task.xc, task.yc, batch_cells=task.batch_cells,
                        wanted=None if outside is None else ~outside)
    km *= np.float32(0.001)
    if outside is not None:
        km[outside] = DISTANCE_NODATA
    return km


def distance_raster(
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    path: str | os.PathLike[str],
    *,
    resolution_m: float = 1000.0,
    bounds: tuple[float, float, float, float] | None = None,
    mask: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    target: Literal["line", "cells"] = "line",
    overwrite: bool = False,
    compress: str | None = "deflate",
    chunk_cells: int = CHUNK_CELLS,
    executor: Executor = SERIAL,
) -> Path:
    """Write a GeoTIFF of the distance (km) from each cell centre to the nearest land border.

    The grid is in the border's projected CRS, aligned to multiples of ``resolution_m``. It is
    computed (:func:`borderland.nearest.grid_distances`) and written a strip of 256 rows at a
    time, so memory stays bounded whatever the grid's size (``benchmarks/bench_raster.py``
    measures it against ``gdal_proximity``).

    Parameters
    ----------
    borders
        Border lines in a projected CRS.
    path
        The GeoTIFF to write (atomically).
    resolution_m
        Cell size in metres.
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the grid; the mask's bounds when omitted, else the
        borders' bounds.
    mask
        Polygons (e.g. the regions) outside which cells get no data.
    target
        ``"line"`` (exact distance to the border line) or ``"cells"`` (to the centre of the
        nearest cell the border crosses, what ``gdal_proximity`` computes; GDAL's propagation
        is off by up to a quarter of a cell in about 0.01 % of cells, this is exact).
    overwrite
        Replace an existing file.
    compress
        GeoTIFF compression (``None`` for none); DEFLATE, LZW and ZSTD get the floating-point
        predictor, DEFLATE its fastest level (a smooth distance field then takes about 40 % of
        the bytes of plain DEFLATE, written in about half the time).
    chunk_cells
        Cells measured at once (bounds the memory of the distance step).
    executor
        Where the strips are computed (:mod:`borderland.compute`): each strip of 256 rows is a
        task (with the border's segments and the mask's polygons that reach the strip); this
        process writes them in order, so the file is the same byte for byte wherever they run.

    Returns
    -------
    pathlib.Path
        The file written: one float32 band ``border_distance_km``, no data ``-9999``.
    """
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    if target not in DISTANCE_TARGETS:
        raise SchemaError(f"unknown distance target {target!r}; choose one of {list(DISTANCE_TARGETS)}")
    if not resolution_m > 0:
        raise SchemaError(f"resolution_m must be positive, got {resolution_m}")
    require_projected(borders, *([mask] if mask is not None else []))
    if shapely.union_all(borders.geometry.to_numpy()).is_empty:
        raise SchemaError("no border lines to measure distances to; the study has no land border")
    if bounds is None:
        bounds = tuple(mask.total_bounds if mask is not None else borders.total_bounds)
    xmin, ymin, xmax, ymax = bounds
    if not (xmax > xmin and ymax > ymin):
        raise SchemaError(f"grid bounds {tuple(float(b) for b in bounds)} enclose no area; pass "
                          "bounds=(xmin, ymin, xmax, ymax) with xmin < xmax and ymin < ymax, or mask=regions")
    xmin, ymin = math.floor(xmin / resolution_m) * resolution_m, math.floor(ymin / resolution_m) * resolution_m
    # (a hair below whole cells, so that bounds already on the grid do not gain a column of rounding)
    width = max(1, math.ceil((xmax - xmin) / resolution_m - 1e-9))
    height = max(1, math.ceil((ymax - ymin) / resolution_m - 1e-9))
    transform = Affine(resolution_m, 0.0, xmin, 0.0, -resolution_m, ymin + height * resolution_m)
    block = strip = 256
    seg = (line_segments(borders.geometry.to_numpy()) if target == "line"
           else _border_cells(borders, transform, height, width, strip))
    segments = Segments(seg)
    xc = xmin + (np.arange(width) + 0.5) * resolution_m
    shapes = mask.geometry.to_numpy() if mask is not None else None
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
        "crs": borders.crs, "transform": transform, "nodata": DISTANCE_NODATA,
        "tiled": True, "blockxsize": block, "blockysize": block, "BIGTIFF": "IF_SAFER",
    }
    if compress:
        profile["compress"] = compress
        if compress.lower() in ("deflate", "lzw", "zstd"):
            profile["predictor"] = 3  # differences of neighbouring floats: a smooth field compresses well
        if compress.lower() == "deflate":
            profile["zlevel"] = 1
    tops = range(0, height, strip)
    # a million candidate-cells measured at once: fewer numpy passes of a few tiles each (at 2,000²
    # about 15 % of the time) for arrays of 4 MB; the peak stays that of the strips and the writer
    tasks = _distance_strips(segments, tops, strip, height, xc, transform, shapes, min(chunk_cells, 1 << 20))
    # GDAL's block cache held small: each strip is written once, and compressed as it goes
    with (rasterio.Env(GDAL_CACHEMAX=READ_CACHE_MB * 1024 * 1024), atomic_path(path, overwrite=overwrite) as tmp,
          rasterio.open(tmp, "w", **profile) as dst):
        dst.set_band_description(1, "border_distance_km")
        dst.update_tags(1, units="km", target=target, definition=DISTANCE_TARGETS[target])
        for top, km in zip(tops, executor.map(_distance_strip, tasks), strict=True):
            dst.write(km, 1, window=Window(0, top, width, km.shape[0]))
    return Path(path)


def line_distance(lines: gpd.GeoDataFrame | gpd.GeoSeries) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A function giving the exact distance from points to the nearest of some lines.

    The lines are cut into segments once; each call measures every point against its nearest
    segment (:func:`borderland.nearest.point_distances`), in the lines' CRS units (what
    :func:`distance_raster` computes on a grid).

    Parameters
    ----------
    lines
        Lines (or points) in a projected CRS.

    Returns
    -------
    callable
        ``distance(x, y)`` for coordinate arrays in the lines' CRS; ``NaN`` everywhere when
        there are no lines.

    Examples
    --------
    >>> import shapely
    >>> distance = line_distance(gpd.GeoSeries([shapely.LineString([(0, 0), (0, 10)])], crs=3035))
    >>> distance(np.array([3.0, 0.0]), np.array([5.0, 14.0])).tolist()
    [3.0, 4.0]
    """
    require_projected(lines)
    segments = Segments(line_segments(lines.geometry.to_numpy()))

    def distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return point_distances(segments, np.ravel(x), np.ravel(y))[0].reshape(np.shape(x))

    return distance
