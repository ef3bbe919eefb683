"""Rasters opened with errors that say what to fix, and geometries moved into a raster's pixel space.

What every raster operation of :mod:`borderland.raster` shares: :func:`open_raster` (GDAL's
block cache held small), the raster's :func:`footprint`, and regions reprojected to the raster's
CRS (densified first, so that edges follow the projection), then to its pixel space (x =
column, y = row), each geometry moved to a grid once (:class:`_MovedGeometries`). rasterio is
imported inside the functions that use it, so that ``import borderland`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeAlias

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from borderland.errors import CRSError, InputError, SchemaError
from borderland.layers import reproject, transformer

if TYPE_CHECKING:
    from rasterio.io import DatasetReader

__all__ = ["CHUNK_CELLS", "READ_CACHE_MB", "RasterLike", "footprint", "open_raster"]

#: A raster: a path, or a dataset opened with rasterio (left open).
RasterLike: TypeAlias = "str | os.PathLike[str] | DatasetReader"

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
    moved: shapely.Geometry = reproject(np.array([ring], dtype=object), src.crs, crs)[0]
    return moved


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


def _prepare(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[np.ndarray, CRS]:
    if frame.crs is None:
        raise CRSError("layer has no CRS; set one before computing zonal statistics")
    return frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.to_numpy(), frame.crs


def _task_raster(src: DatasetReader) -> RasterLike:
    """The raster as a task names it: its file, which a task opens wherever it runs (else the dataset, here)."""
    return Path(src.name) if Path(src.name).is_file() else src
