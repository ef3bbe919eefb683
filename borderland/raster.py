"""Generic raster code: zonal statistics with exact coverage fractions and distance rasters.

Nothing here knows about borders or countries (the border measures that need a raster live in
:mod:`borderland.exposure`); every operation is windowed, so memory stays bounded whatever the
raster's size:

- **Zonal statistics with exact coverage.** A cell that a region covers partly counts with the
  fraction of its area inside the region (as exactextract does). The fractions come from Green's
  theorem, not from rasterising: the region's outline is cut at every grid line, each piece adds
  to its own cell and, by a running sum along the row, to the cells left of it (see
  :func:`_coverage`); the result equals shapely's cell-by-cell intersection areas to 1e-9.
  Regions are reprojected to the raster's CRS (densified first, so that edges follow the
  projection), never the raster to the regions': resampling a count raster does not preserve
  its counts. Fractions are taken in the raster's own grid, so for a grid in longitude and
  latitude (like GPW) a cell's fraction is that of its extent in degrees, which differs from its
  share of the cell's ground area by less than the change of the cosine of latitude across one
  cell (0.6 % at 55° N for a 15' cell). :func:`zonal_stats` gives sums, means, extremes and
  counts; :func:`zonal_weighted_mean` the mean of any function of position weighted by the
  raster's values (people placed at the centroid of each cell's covered part).
- **Distance to lines on a grid** in the lines' projected CRS, exact to the line
  (``target="line"``) or to the centre of the nearest cell a line crosses, as ``gdal_proximity``
  measures (``target="cells"``). See :func:`distance_raster`; :func:`line_distance` measures the
  same exact distance at any points.

rasterio is imported inside the functions that use it, so that ``import borderland`` stays fast.
Transforms are applied with ``@`` (affine 3 deprecates ``*``), and rasterio helpers that still
use ``*`` internally (``from_origin``, ``windows.transform``) are not called.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from borderland.compute import SERIAL, Executor, Geometries, region_chunks
from borderland.errors import CRSError, InputError, SchemaError
from borderland.layers import reproject, require_projected, transformer
from borderland.nearest import Segments, grid_distances, line_segments, point_distances

if TYPE_CHECKING:
    from affine import Affine
    from rasterio.io import DatasetReader

#: A raster: a path, or a dataset opened with rasterio (left open).
RasterLike: TypeAlias = "str | os.PathLike[str] | DatasetReader"

#: Statistics :func:`zonal_stats` computes, as exactextract defines them (``f`` is the covered
#: fraction of a cell, ``v`` its value; cells without data are left out).
ZONAL_STATS: Final[Mapping[str, str]] = {
    "sum": "sum of f * v",
    "mean": "sum of f * v divided by the sum of f",
    "min": "smallest v of a cell with f > 0",
    "max": "largest v of a cell with f > 0",
    "count": "sum of f (cells with data, partly covered ones counted by their fraction)",
}

#: Targets of :func:`distance_raster`.
DISTANCE_TARGETS: Final[Mapping[str, str]] = {
    "line": "exact distance from each cell centre to the border line",
    "cells": "distance from each cell centre to the centre of the nearest cell the border crosses "
             "(what gdal_proximity computes, exactly; within half a cell diagonal of 'line')",
}

#: Value written where a distance raster has no data (outside the mask).
DISTANCE_NODATA: Final[float] = -9999.0

#: Cells read or computed at once; about 32 MB of float64 per buffer.
CHUNK_CELLS: Final[int] = 1 << 22

#: GDAL's block cache (MB) while borderland reads a raster (:func:`open_raster`).
READ_CACHE_MB: Final[int] = 64


# --------------------------------------------------------------------------------------------
# opening rasters and moving geometries into their pixel space


@contextlib.contextmanager
def open_raster(raster: RasterLike) -> Iterator[DatasetReader]:
    """Open a raster for reading, with errors that say what to fix.

    Parameters
    ----------
    raster
        A path, or a dataset already opened with rasterio (yielded as is and left open).

    Yields
    ------
    rasterio.io.DatasetReader
        The open dataset; a file opened here is closed on leaving the ``with`` block. Inside
        the block GDAL's block cache is held to ``READ_CACHE_MB``: every read here is a strip
        read once, and a cache the size of the raster would only hold memory.
    """
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=READ_CACHE_MB * 1024 * 1024):
        if hasattr(raster, "read") and hasattr(raster, "transform"):
            yield raster
            return
        with _opened(raster) as dataset:
            yield dataset


@contextlib.contextmanager
def _opened(raster: str | os.PathLike[str]) -> Iterator[DatasetReader]:
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(raster)
    if not path.is_file():
        raise InputError(f"raster {str(path)!r} does not exist; check the path (relative paths start at {Path.cwd()})")
    try:
        dataset = rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(f"cannot read {str(path)!r} as a raster ({exc}); give a GeoTIFF or another "
                         "format GDAL reads") from exc
    with dataset:
        if dataset.crs is None:
            raise CRSError(f"raster {str(path)!r} has no CRS; assign one (gdal_edit.py -a_srs EPSG:4326 FILE)")
        yield dataset


def _check_band(src: DatasetReader, band: int) -> None:
    if not 1 <= band <= src.count:
        raise SchemaError(f"band {band} does not exist; the raster has {src.count} band(s), numbered from 1")


def footprint(src: DatasetReader, crs: str | CRS) -> shapely.Geometry:
    """The raster's extent as a polygon in ``crs`` (edges densified, so they bend with the projection).

    Parameters
    ----------
    src
        An open dataset (:func:`open_raster`).
    crs
        The CRS of the polygon returned.

    Returns
    -------
    shapely.Geometry
        The extent; compare it with regions to know which part of them the raster covers.
    """
    corners = [(0, 0), (src.width, 0), (src.width, src.height), (0, src.height)]
    ring = shapely.segmentize(shapely.Polygon([src.transform @ c for c in corners]),
                              max(abs(src.transform.a), abs(src.transform.e)) * 8)
    return reproject(np.array([ring], dtype=object), src.crs, crs)[0]


class _MovedGeometries:
    """Geometries moved to a raster's pixel space (:func:`_to_pixels`), kept for one grid at a time.

    A run measures the same regions against the same raster more than once (the people near the
    border, their distance to it, the profile by band); each geometry's result is its own (every
    step is vertex by vertex), so a geometry moved once to a grid is not moved again. Shapely's
    geometries are immutable: the same object is the same geometry, and each is held with its
    result so that its ``id`` stays its own. Only small layers are kept (``budget`` vertices).
    """

    def __init__(self, budget: int = 500_000) -> None:
        self.budget = budget
        self.context: tuple[object, ...] | None = None
        self.kept: dict[int, tuple[shapely.Geometry, shapely.Geometry]] = {}
        self.vertices = 0

    def move(self, geoms: np.ndarray, context: tuple[object, ...],
             mover: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        if context != self.context:
            self.context, self.kept, self.vertices = context, {}, 0
        moved = np.empty(len(geoms), dtype=object)
        todo = []
        for k, geom in enumerate(geoms):
            hit = self.kept.get(id(geom))
            if hit is not None and hit[0] is geom:
                moved[k] = hit[1]
            else:
                todo.append(k)
        if todo:
            at = np.array(todo, dtype=np.int64)
            moved[at] = mover(geoms[at])
            size = int(shapely.get_num_coordinates(moved[at]).sum())
            if self.vertices + size <= self.budget:
                self.kept.update((id(geoms[k]), (geoms[k], moved[k])) for k in todo)
                self.vertices += size
        return moved


_MOVED: Final = _MovedGeometries()


def _to_pixels(geoms: np.ndarray, crs: CRS, src: DatasetReader, densify_m: float) -> np.ndarray:
    """Reproject polygons to the raster's CRS, then to its pixel space (x = column, y = row).

    Geometries moved to the same grid before are not moved again (:class:`_MovedGeometries`).
    """
    context = (CRS.from_user_input(crs).to_wkt(), str(src.crs), tuple(src.transform), densify_m)
    return _MOVED.move(np.asarray(geoms, dtype=object), context,
                       lambda todo: _moved_to_pixels(todo, crs, src, densify_m))


def _moved_to_pixels(geoms: np.ndarray, crs: CRS, src: DatasetReader, densify_m: float) -> np.ndarray:
    raster_crs = CRS.from_user_input(src.crs)
    inverse = ~src.transform
    if CRS.from_user_input(crs) != raster_crs:
        # densify first, so that long straight edges bend with the projection
        geoms = shapely.segmentize(geoms, densify_m)
        to_raster = transformer(crs, raster_crs)
    else:
        to_raster = None

    def to_pixel(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        if to_raster is not None:
            x, y = to_raster.transform(x, y)
        return np.column_stack([inverse.a * x + inverse.b * y + inverse.c, inverse.d * x + inverse.e * y + inverse.f])

    moved = shapely.transform(geoms, to_pixel)
    if to_raster is None:  # an affine map keeps valid polygons valid
        return moved
    broken = ~shapely.is_valid(moved) & ~shapely.is_empty(moved)
    if broken.any():  # reprojection can fold a tiny spike; repair rather than fail
        moved[broken] = shapely.make_valid(moved[broken])
    return moved


# --------------------------------------------------------------------------------------------
# exact coverage fractions


@dataclass
class _Block:
    """One geometry's part of one raster window: covered fractions, values, and where the people are."""

    item: int
    row_off: int
    col_off: int
    fraction: np.ndarray
    values: np.ndarray
    valid: np.ndarray
    centroid_x: np.ndarray | None = None  # centroid of each cell's covered part, in cell units
    centroid_y: np.ndarray | None = None


def _cell_pieces(geom: shapely.Geometry, top: int, bottom: int) -> tuple[np.ndarray, np.ndarray]:
    """The rings of ``geom`` (pixel space) cut at every grid line: pieces that each lie in one cell.

    Only edges reaching rows ``top`` to ``bottom`` are kept; horizontal edges add nothing below.
    """
    rings = shapely.get_rings(shapely.get_parts(geom))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    keep = (np.maximum(a[:, 1], b[:, 1]) >= top) & (np.minimum(a[:, 1], b[:, 1]) <= bottom) & (a[:, 1] != b[:, 1])
    a, b = a[keep], b[keep]
    d = b - a
    edge = np.arange(len(a))
    ts, owners = [np.zeros(len(a)), np.ones(len(a))], [edge, edge]
    for axis in (0, 1):  # the edge parameter t where it crosses each vertical, then horizontal, grid line
        first = np.floor(np.minimum(a[:, axis], b[:, axis])) + 1
        last = np.ceil(np.maximum(a[:, axis], b[:, axis])) - 1
        count = np.maximum(last - first + 1, 0).astype(np.int64)
        owner = np.repeat(edge, count)
        line = first[owner] + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
        ts.append((line - a[owner, axis]) / d[owner, axis])
        owners.append(owner)
    t, owner = np.concatenate(ts), np.concatenate(owners)
    order = np.lexsort((t, owner))
    t, owner = t[order], owner[order]
    points = a[owner] + t[:, None] * d[owner]
    follow = np.flatnonzero(owner[1:] == owner[:-1])
    return points[follow], points[follow + 1]


def _coverage(geom: shapely.Geometry, row_off: int, col_off: int, height: int, width: int,
              centroids: bool) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Exact fraction of each cell of a window covered by a polygon given in pixel space.

    By Green's theorem the area of the polygon inside the cell ``[0, 1]²`` (in the cell's own
    coordinates) is the integral of ``clamp(x, 0, 1) dy`` round the polygon's oriented boundary:
    a boundary piece inside the cell adds ``dy`` times its mean ``x``, a piece to the right of the
    cell in the same row adds ``dy``, pieces to its left nothing. So one pass over the boundary
    pieces (:func:`_cell_pieces`) and a running sum along each row give every cell's fraction,
    inside cells 1, outside cells 0, without rasterising. The moments ``x dA`` and ``y dA``
    follow the same way, for the centroid of each cell's covered part.
    """
    geom = shapely.orient_polygons(geom)  # exteriors anticlockwise, holes clockwise (in x, y)
    start, end = _cell_pieces(geom, row_off, row_off + height)
    middle = (start + end) / 2
    col, row = np.floor(middle[:, 0]).astype(np.int64), np.floor(middle[:, 1]).astype(np.int64)
    here = (row >= row_off) & (row < row_off + height) & (col >= col_off)  # pieces further left add nothing
    start, end, col, row = start[here], end[here], col[here], row[here]
    xa, xb, ya, yb = start[:, 0] - col, end[:, 0] - col, start[:, 1] - row, end[:, 1] - row
    dy = yb - ya
    beyond = col >= col_off + width  # right of the window: adds to every cell of its row
    index = (row - row_off) * (width + 1) + np.minimum(col - col_off, width)
    size = height * (width + 1)

    def integrate(inside: np.ndarray, right_of: np.ndarray) -> np.ndarray:
        own = np.bincount(index, np.where(beyond, 0.0, inside), minlength=size).reshape(height, width + 1)
        right = np.bincount(index, right_of, minlength=size).reshape(height, width + 1)
        return own[:, :width] + np.cumsum(right[:, ::-1], axis=1)[:, ::-1][:, 1:]

    area = integrate(dy * (xa + xb) / 2, dy)
    if not centroids:
        return np.clip(area, 0.0, 1.0), None, None
    dx = xb - xa
    moment_x = integrate(dy * (xa * xa + xa * xb + xb * xb) / 6, dy / 2)
    moment_y = integrate(dy * (xa * ya + (xa * dy + ya * dx) / 2 + dx * dy / 3), (yb * yb - ya * ya) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre_x = np.where(area > 0, moment_x / area, 0.5)
        centre_y = np.where(area > 0, moment_y / area, 0.5)
    return np.clip(area, 0.0, 1.0), centre_x, centre_y


def _blocks(geoms_px: np.ndarray, src: DatasetReader, band: int, *, chunk_cells: int,
            centroids: bool = False) -> Iterator[_Block]:
    """Walk the raster in strips of rows, yielding each geometry's covered part of each strip."""
    from rasterio.windows import Window

    height, width = src.height, src.width
    ok = ~shapely.is_empty(geoms_px) & ~shapely.is_missing(geoms_px)
    bounds = np.full((len(geoms_px), 4), np.nan)
    bounds[ok] = shapely.bounds(geoms_px[ok])
    c0 = np.clip(np.floor(bounds[:, 0]), 0, width)
    r0 = np.clip(np.floor(bounds[:, 1]), 0, height)
    c1 = np.clip(np.ceil(bounds[:, 2]), 0, width)
    r1 = np.clip(np.ceil(bounds[:, 3]), 0, height)
    hit = ok & (c1 > c0) & (r1 > r0)
    if not hit.any():
        return
    c0, r0, c1, r1 = (np.where(hit, a, 0).astype(np.int64) for a in (c0, r0, c1, r1))
    read_c0, read_c1 = int(c0[hit].min()), int(c1[hit].max())
    strip = max(1, chunk_cells // max(1, read_c1 - read_c0))
    nodata = src.nodatavals[band - 1]
    for top in range(int(r0[hit].min()), int(r1[hit].max()), strip):
        bottom = min(top + strip, height)
        items = np.flatnonzero(hit & (r0 < bottom) & (r1 > top))
        if not len(items):
            continue
        left, right = int(c0[items].min()), int(c1[items].max())
        data = src.read(band, window=Window(left, top, right - left, bottom - top), masked=True)
        values = np.asarray(data.filled(0), dtype=np.float64)
        valid = ~np.ma.getmaskarray(data) & np.isfinite(values)
        if nodata is not None and not np.isnan(nodata):
            valid &= values != nodata
        for i in items:
            rr0, rr1 = max(int(r0[i]), top), min(int(r1[i]), bottom)
            cc0, cc1 = int(c0[i]), int(c1[i])
            geom = geoms_px[i]
            if rr1 - rr0 < r1[i] - r0[i]:
                # only this strip's part (a cell wider, so the cut edges fall outside the window)
                geom = shapely.intersection(geom, shapely.box(cc0 - 1, rr0 - 1, cc1 + 1, rr1 + 1))
                if geom.is_empty:
                    continue
            fraction, centre_x, centre_y = _coverage(geom, rr0, cc0, rr1 - rr0, cc1 - cc0, centroids)
            sub = (slice(rr0 - top, rr1 - top), slice(cc0 - left, cc1 - left))
            yield _Block(int(i), rr0, cc0, fraction, values[sub], valid[sub], centre_x, centre_y)


def _prepare(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[np.ndarray, CRS]:
    if frame.crs is None:
        raise CRSError("layer has no CRS; set one before computing zonal statistics")
    return frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.to_numpy(), frame.crs


@dataclass
class _Totals:
    """Running zonal totals per geometry."""

    sum: np.ndarray
    count: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _Totals:
        return cls(np.zeros(n), np.zeros(n), np.full(n, np.inf), np.full(n, -np.inf))

    def put(self, positions: np.ndarray, part: _Totals) -> None:
        """The totals of the geometries at ``positions``, computed by a task."""
        for name in ("sum", "count", "min", "max"):
            getattr(self, name)[positions] = getattr(part, name)

    def add(self, block: _Block) -> None:
        use = block.valid & (block.fraction > 0)
        if not use.any():
            return
        f, v = block.fraction[use], block.values[use]
        i = block.item
        self.sum[i] += float(np.dot(f, v))
        self.count[i] += float(f.sum())
        self.min[i] = min(self.min[i], float(v.min()))
        self.max[i] = max(self.max[i], float(v.max()))


def _mean(t: _Totals) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t.count > 0, t.sum / t.count, np.nan)


_REDUCERS: Final[Mapping[str, Callable[[_Totals], np.ndarray]]] = {
    "sum": lambda t: t.sum,
    "mean": _mean,
    "min": lambda t: np.where(np.isfinite(t.min), t.min, np.nan),
    "max": lambda t: np.where(np.isfinite(t.max), t.max, np.nan),
    "count": lambda t: t.count,
}


def _zonal_totals(geoms: np.ndarray, crs: CRS, src: DatasetReader, band: int, stats: Sequence[str], *,
                  densify_m: float, chunk_cells: int) -> _Totals:
    geoms_px = _to_pixels(geoms, crs, src, densify_m)
    if {"min", "max"} & set(stats):  # extremes need each cell's fraction: region by region
        totals = _Totals.empty(len(geoms))
        for block in _blocks(geoms_px, src, band, chunk_cells=chunk_cells):
            totals.add(block)
        return totals
    total, count = _coverage_sums(geoms_px, src, band, chunk_cells=chunk_cells,
                                  count={"count", "mean"} & set(stats) != set())
    return _Totals(total, count, np.full(len(geoms), np.inf), np.full(len(geoms), -np.inf))


def _edges(geoms_px: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every non-horizontal edge of the polygons' rings, oriented (exteriors anticlockwise in x, y).

    Returns the start and end of each edge, shape (n, 2), and the position of its polygon.
    """
    oriented = shapely.orient_polygons(geoms_px)
    parts, item = shapely.get_parts(oriented, return_index=True)
    rings, part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = np.flatnonzero(ring[1:] == ring[:-1])
    a, b = coords[same], coords[same + 1]
    owner = item[part[ring[same]]]
    moving = a[:, 1] != b[:, 1]  # a horizontal edge adds nothing (its dy is 0)
    return a[moving], b[moving], owner[moving]


def _coverage_sums(geoms_px: np.ndarray, src: DatasetReader, band: int, *, chunk_cells: int,
                   count: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sum of f * v and of f (over cells with data) for every polygon at once, f exactly covered fractions.

    The fraction of cell (r, c) a polygon covers is, by Green's theorem (see :func:`_coverage`),
    the sum over the boundary pieces in its row of ``dy`` times the pieces' mean x within the
    cell for those inside it, plus ``dy`` for those right of it. Summed against the values of
    the row, the second term of a piece in column ``c`` is ``dy`` times the sum of the values
    left of ``c`` (a running sum along the row, computed once per strip of the raster): so every
    polygon's total is a sum over its boundary pieces alone, two look-ups each, with no
    per-polygon window. Pieces left of the raster add nothing, those right of it the whole row;
    the terms of a row's pieces that reach beyond a polygon cancel (its ``dy`` add up to 0).
    """
    from rasterio.windows import Window

    n = len(geoms_px)
    total, covered = np.zeros(n), np.zeros(n)
    ok = ~shapely.is_empty(geoms_px) & ~shapely.is_missing(geoms_px)
    bounds = shapely.bounds(geoms_px[ok])
    # a polygon that covers no cell adds exactly nothing (not the rounding of terms that cancel)
    ok[ok] = (bounds[:, 0] < src.width) & (bounds[:, 2] > 0) & (bounds[:, 1] < src.height) & (bounds[:, 3] > 0)
    if not ok.any():
        return total, covered
    a, b, owner = _edges(geoms_px[ok])
    owner = np.flatnonzero(ok)[owner]
    height, width = src.height, src.width
    ylo, yhi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    hit = (yhi > 0) & (ylo < height)
    a, b, owner, ylo, yhi = a[hit], b[hit], owner[hit], ylo[hit], yhi[hit]
    if not len(a):
        return total, covered
    # the columns read: from the leftmost polygon's left (no covered cell lies left of it) to the right
    left = int(np.clip(np.floor(np.minimum(a[:, 0], b[:, 0]).min()), 0, width - 1))
    right = int(np.clip(np.ceil(np.maximum(a[:, 0], b[:, 0]).max()), left + 1, width))
    # a strip of chunk_cells / 4 cells: each cell holds its value, validity and running sums (~30 bytes)
    strip = max(1, chunk_cells // 4 // (right - left))
    nodata = src.nodatavals[band - 1]
    first_row = int(max(0, np.floor(ylo.min())))
    last_row = int(min(height, np.ceil(yhi.max())))
    for top in range(first_row, last_row, strip):
        bottom = min(top + strip, last_row)
        mine = (yhi > top) & (ylo < bottom)
        if not mine.any():
            continue
        data = src.read(band, window=Window(left, top, right - left, bottom - top), masked=True)
        values = np.asarray(data.filled(0), dtype=np.float64)
        valid = ~np.ma.getmaskarray(data) & np.isfinite(values)
        if nodata is not None and not np.isnan(nodata):
            valid &= values != nodata
        values[~valid] = 0.0
        row, col, dy, mean_x = _pieces(a[mine], b[mine], top, bottom)
        who = owner[mine][row[1]]
        at = (row[0] - top, col - left)
        total += _against(values, at, dy, mean_x - col, who, n)
        if count:
            covered += _against(valid.astype(np.float64), at, dy, mean_x - col, who, n)
    if count:
        # less than a billionth of a cell is the rounding of terms that cancel: nothing covered
        nothing = covered < 1e-9
        total[nothing], covered[nothing] = 0.0, 0.0
    return total, covered


def _against(grid: np.ndarray, at: tuple[np.ndarray, np.ndarray], dy: np.ndarray, x_in_cell: np.ndarray,
             who: np.ndarray, n: int) -> np.ndarray:
    """Each polygon's sum of f * grid, from its boundary pieces (row and column ``at`` in the grid)."""
    r, c = at
    width = grid.shape[1]
    running = np.zeros((grid.shape[0], width + 1))
    np.cumsum(grid, axis=1, out=running[:, 1:])
    inside = (c >= 0) & (c < width)
    own = np.zeros(len(c))
    own[inside] = dy[inside] * x_in_cell[inside] * grid[r[inside], c[inside]]
    return np.bincount(who, own + dy * running[r, np.clip(c, 0, width)], minlength=n)


def _pieces(a: np.ndarray, b: np.ndarray, top: int, bottom: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                           np.ndarray]:
    """Cut edges (pixel space) at every grid line within rows ``top`` to ``bottom``: one piece per cell crossed.

    Returns ``(row, edge)`` of each piece (a 2-row array), its column, its signed ``dy`` and its
    mean x (a piece is straight, so that is the mean of its ends).
    """
    d = b - a
    # rows each edge crosses within the strip, and the part of the edge (parameter t) in each
    lo = np.maximum(np.floor(np.minimum(a[:, 1], b[:, 1])), top)
    hi = np.minimum(np.ceil(np.maximum(a[:, 1], b[:, 1])), bottom)
    rows = np.maximum(hi - lo, 0).astype(np.int64)
    edge = np.repeat(np.arange(len(a)), rows)
    row = np.repeat(lo.astype(np.int64), rows) + (np.arange(len(edge)) - np.repeat(np.cumsum(rows) - rows, rows))
    ta = (row - a[edge, 1]) / d[edge, 1]
    tb = (row + 1 - a[edge, 1]) / d[edge, 1]
    t0 = np.clip(np.minimum(ta, tb), 0.0, 1.0)
    t1 = np.clip(np.maximum(ta, tb), 0.0, 1.0)
    keep = t1 > t0
    edge, row, t0, t1 = edge[keep], row[keep], t0[keep], t1[keep]
    # columns each row piece crosses, and the part of it in each
    x0 = a[edge, 0] + t0 * d[edge, 0]
    x1 = a[edge, 0] + t1 * d[edge, 0]
    first = np.floor(np.minimum(x0, x1))
    cols = np.maximum(np.ceil(np.maximum(x0, x1)) - first, 1).astype(np.int64)
    piece = np.repeat(np.arange(len(edge)), cols)
    col = np.repeat(first.astype(np.int64), cols) + (np.arange(len(piece)) - np.repeat(np.cumsum(cols) - cols, cols))
    dx = d[edge[piece], 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ca = np.where(dx != 0, (col - a[edge[piece], 0]) / dx, -np.inf)
        cb = np.where(dx != 0, (col + 1 - a[edge[piece], 0]) / dx, np.inf)
    s0 = np.maximum(t0[piece], np.minimum(ca, cb))
    s1 = np.minimum(t1[piece], np.maximum(ca, cb))
    keep = s1 > s0
    piece, col, s0, s1 = piece[keep], col[keep], s0[keep], s1[keep]
    e = edge[piece]
    dy = (s1 - s0) * d[e, 1]
    mean_x = a[e, 0] + (s0 + s1) / 2 * d[e, 0]
    return np.stack([row[piece], e]), col, dy, mean_x


def _task_raster(src: DatasetReader) -> RasterLike:
    """The raster as a task names it: its file, which a task opens wherever it runs (else the dataset, here)."""
    return Path(src.name) if Path(src.name).is_file() else src


@dataclass(frozen=True)
class _ZonalTask:
    """Zonal statistics of some geometries: one task of :func:`zonal_stats`."""

    raster: RasterLike
    geoms: Geometries
    crs: CRS
    band: int
    stats: tuple[str, ...]
    densify_m: float
    chunk_cells: int


def _zonal_task(task: _ZonalTask) -> _Totals:
    with open_raster(task.raster) as src:
        return _zonal_totals(task.geoms.array, task.crs, src, task.band, task.stats, densify_m=task.densify_m,
                             chunk_cells=task.chunk_cells)


def zonal_stats(
    regions: gpd.GeoDataFrame | gpd.GeoSeries,
    raster: RasterLike,
    *,
    stats: Sequence[str] = tuple(ZONAL_STATS),
    band: int = 1,
    prefix: str | None = None,
    densify_m: float = 1000.0,
    chunk_cells: int = CHUNK_CELLS,
    executor: Executor = SERIAL,
) -> pd.DataFrame:
    """Statistics of a raster over each region, counting partly covered cells by their fraction.

    Parameters
    ----------
    regions
        Polygons with a CRS (any; they are reprojected to the raster's CRS).
    raster
        Path of a raster, or an open rasterio dataset.
    stats
        Any of ``ZONAL_STATS``: ``sum``, ``mean``, ``min``, ``max``, ``count``.
    band
        Band to read (from 1).
    prefix
        Put before each column name (``population`` gives ``population_sum``...).
    densify_m
        Longest edge (in the regions' CRS units) before reprojecting to a different CRS.
    chunk_cells
        Cells read at once; bounds the memory used.
    executor
        Where the work runs (:mod:`borderland.compute`): one task per chunk of
        ``executor.chunk_regions`` regions (:func:`borderland.compute.region_chunks`), each
        reading its band of the raster; the same sums here and on a cluster.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``, one column per statistic. Where a region covers no cell with
        data, ``sum`` and ``count`` are 0 and the others ``NaN`` (as in exactextract).

    Examples
    --------
    >>> from borderland import io, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> people = zonal_stats(regions, io.bundled("population_gpw_v4_2000_15min.tif"), stats=["sum"])
    >>> round(float(people.loc["EE00", "sum"]) / 1e6, 2)   # Estonia, GPW 2000
    1.21
    """
    unknown = [s for s in stats if s not in _REDUCERS]
    if unknown:
        raise SchemaError(f"unknown statistic(s) {unknown}; choose from {list(ZONAL_STATS)}")
    geoms, crs = _prepare(regions)
    with open_raster(raster) as src:
        _check_band(src, band)
        source = _task_raster(src)
    chunks = region_chunks(shapely.bounds(geoms), executor.chunk_regions)
    tasks = [_ZonalTask(source, Geometries(geoms[chunk]), crs, band, tuple(stats), densify_m, chunk_cells)
             for chunk in chunks]
    totals = _Totals.empty(len(geoms))
    for chunk, part in zip(chunks, executor.map(_zonal_task, tasks), strict=True):
        totals.put(chunk, part)
    names = [f"{prefix}_{s}" if prefix else s for s in stats]
    return pd.DataFrame({name: _REDUCERS[s](totals) for name, s in zip(names, stats, strict=True)},
                        index=regions.index)


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
    from rasterio.features import geometry_mask

    outside = None
    if task.shapes is not None:
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

    from borderland.io import atomic_path

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


# --------------------------------------------------------------------------------------------
# values of position weighted by a raster


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


@dataclass(frozen=True)
class _WeightedTask:
    """Weighted sums of a function of position over some geometries: one task of :func:`zonal_weighted_mean`."""

    raster: RasterLike
    geoms: Geometries
    crs: CRS
    values: Callable[[np.ndarray, np.ndarray], np.ndarray]
    target_crs: CRS
    band: int
    densify_m: float
    chunk_cells: int


def _weighted_task(task: _WeightedTask) -> tuple[np.ndarray, np.ndarray]:
    """Each geometry's sum of weight times value, and of weight."""
    geoms, values, chunk_cells = task.geoms.array, task.values, task.chunk_cells
    weighted, total = np.zeros(len(geoms)), np.zeros(len(geoms))
    with open_raster(task.raster) as src:
        to_target = transformer(src.crs, task.target_crs)
        geoms_px = _to_pixels(geoms, task.crs, src, task.densify_m)
        # the places of many blocks are measured together (one call of `values` per batch)
        batch: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        held = 0

        def flush() -> None:
            nonlocal held
            if not batch:
                return
            px, py = np.concatenate([b[1] for b in batch]), np.concatenate([b[2] for b in batch])
            x, y = to_target.transform(*(src.transform @ (px, py)))
            w = np.concatenate([b[3] for b in batch])
            who = np.repeat([b[0] for b in batch], [len(b[3]) for b in batch])
            weighted[:] += np.bincount(who, w * values(x, y), minlength=len(geoms))
            total[:] += np.bincount(who, w, minlength=len(geoms))
            batch.clear()
            held = 0

        for block in _blocks(geoms_px, src, task.band, chunk_cells=chunk_cells, centroids=True):
            weight = np.where(block.valid, block.fraction * block.values, 0.0)
            rows, cols = np.nonzero(weight)
            if not len(rows):
                continue
            # the weight of a partly covered cell lies in its covered part: at that part's centroid
            px = cols + block.col_off + block.centroid_x[rows, cols]  # type: ignore[index]
            py = rows + block.row_off + block.centroid_y[rows, cols]  # type: ignore[index]
            batch.append((block.item, px, py, weight[rows, cols]))
            held += len(rows)
            if held >= chunk_cells // 8:
                flush()
        flush()
    return weighted, total


def zonal_weighted_mean(
    regions: gpd.GeoDataFrame | gpd.GeoSeries,
    raster: RasterLike,
    values: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    crs: str | CRS | None = None,
    band: int = 1,
    densify_m: float = 1000.0,
    chunk_cells: int = CHUNK_CELLS,
    executor: Executor = SERIAL,
) -> pd.Series:
    """Mean of a function of position over each region, weighted by the raster's values.

    The raster holds weights (people, say); each covered cell's weight, times the fraction of the
    cell the region covers, sits at the centroid of the covered part (the cell centre for a
    whole cell), where ``values`` is evaluated. So for a population raster and ``values`` the
    distance to some lines, the result is the population-weighted mean distance.

    Parameters
    ----------
    regions
        Polygons with a CRS (any; they are reprojected to the raster's CRS).
    raster
        Path of a raster of non-negative weights, or an open rasterio dataset.
    values
        ``values(x, y)`` for coordinate arrays in ``crs``, one value per point.
    crs
        CRS in which ``values`` takes coordinates; the regions' CRS when omitted.
    band
        Band to read (from 1).
    densify_m
        Longest edge (in the regions' CRS units) before reprojecting to a different CRS.
    chunk_cells
        Cells read at once; bounds the memory used.
    executor
        Where the work runs (:mod:`borderland.compute`): one task per chunk of
        ``executor.chunk_regions`` regions, as in :func:`zonal_stats` (``values`` goes with each
        task, so on a cluster it must pickle: :func:`line_distance` does).

    Returns
    -------
    pandas.Series
        Indexed like ``regions``; ``NaN`` for a region with no weight in the raster.
    """
    geoms, regions_crs = _prepare(regions)
    with open_raster(raster) as src:
        _check_band(src, band)
        source = _task_raster(src)
    chunks = region_chunks(shapely.bounds(geoms), executor.chunk_regions)
    target = CRS.from_user_input(crs or regions_crs)
    tasks = [_WeightedTask(source, Geometries(geoms[chunk]), regions_crs, values, target, band, densify_m, chunk_cells)
             for chunk in chunks]
    weighted, total = np.zeros(len(geoms)), np.zeros(len(geoms))
    for chunk, (chunk_weighted, chunk_total) in zip(chunks, executor.map(_weighted_task, tasks), strict=True):
        weighted[chunk], total[chunk] = chunk_weighted, chunk_total
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(total > 0, weighted / total, np.nan)
    return pd.Series(mean, index=regions.index)
