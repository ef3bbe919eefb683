"""Zonal statistics with exact coverage: sums, means, extremes and counts, and means weighted by a raster.

A cell that a region covers partly counts with the fraction of its area inside the region (as
exactextract does; :mod:`borderland.raster.coverage`). :func:`zonal_stats` gives sums, means,
extremes and counts; :func:`zonal_weighted_mean` the mean of any function of position weighted
by the raster's values (people placed at the centroid of each cell's covered part). Both take an
``executor`` (:mod:`borderland.compute`) and run one task per chunk of regions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from borderland.compute import SERIAL, Executor, Geometries, region_chunks
from borderland.errors import SchemaError
from borderland.layers import transformer
from borderland.raster.coverage import _Block, _blocks, _coverage_sums
from borderland.raster.pixels import (
    CHUNK_CELLS,
    RasterLike,
    _check_band,
    _prepare,
    _task_raster,
    _to_pixels,
    open_raster,
)

if TYPE_CHECKING:
    from rasterio.io import DatasetReader

__all__ = ["ZONAL_STATS", "zonal_stats", "zonal_weighted_mean"]

#: Statistics :func:`zonal_stats` computes, as exactextract defines them (``f`` is the covered
#: fraction of a cell, ``v`` its value; cells without data are left out).
ZONAL_STATS: Final[Mapping[str, str]] = {
    "sum": "sum of f * v",
    "mean": "sum of f * v divided by the sum of f",
    "min": "smallest v of a cell with f > 0",
    "max": "largest v of a cell with f > 0",
    "count": "sum of f (cells with data, partly covered ones counted by their fraction)",
}


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
# values of position weighted by a raster


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
        task, so on a cluster it must pickle: :func:`borderland.raster.line_distance` does).

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
