"""Exact coverage fractions: the part of each raster cell a polygon covers, without rasterising.

By Green's theorem the fractions come from the polygons' outlines alone, cut at every grid line
(:func:`_coverage`, one polygon's window at a time with the centroid of each cell's covered
part; :func:`_coverage_sums`, every polygon's sums of covered fractions times values at once, a
strip of the raster at a time). They equal shapely's cell-by-cell intersection areas to 1e-9.
Polygons come in the raster's pixel space (:func:`borderland.raster.pixels._to_pixels`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    from rasterio.io import DatasetReader


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

