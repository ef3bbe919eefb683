"""Beyond one machine: shared edges and zonal statistics on the dask cluster a session is connected to.

A thin layer over :mod:`borderland.compute`: :func:`borderland.layers.shared_edges` and
:func:`borderland.raster.zonal_stats` take an ``executor`` and split their work into chunks of
regions; here that executor is a :class:`borderland.compute.DaskExecutor` on the active
``dask.distributed`` client (``Client("tcp://scheduler:8786")``, or a ``LocalCluster``'s), or this
process when no client is connected, with the layer cut into ``chunks`` tasks. The pipeline and
``borderland run --scheduler`` use the executor directly; this module adds the active client and
dask-geopandas input.

A layer given as a dask-geopandas GeoDataFrame (e.g. ``dask_geopandas.read_parquet`` of a very
large layer) is collected once for the shared edges (a task takes its chunk and the regions
around it from the whole layer); the zonal statistics keep it partitioned, one dask task per
partition.
"""

from __future__ import annotations

import math
import os
from typing import Any

import geopandas as gpd
import pandas as pd

from borderland import layers
from borderland.compute import DaskExecutor, Executor, Serial


def _collected(regions: Any) -> gpd.GeoDataFrame:
    """A GeoDataFrame from a GeoDataFrame or a dask-geopandas frame (computed)."""
    if hasattr(regions, "compute") and not isinstance(regions, gpd.GeoDataFrame):
        return regions.compute()
    return regions


def active(n: int, chunks: int) -> Executor:
    """The active dask client's executor (this process without one), for ``n`` regions in ``chunks`` tasks.

    Parameters
    ----------
    n
        Regions of the layer.
    chunks
        Number of tasks.

    Returns
    -------
    Executor
        A :class:`borderland.compute.DaskExecutor` on ``distributed.get_client()``, or
        :class:`borderland.compute.Serial` when no client is connected; either with
        ``chunk_regions = ceil(n / chunks)``.
    """
    size = max(1, math.ceil(n / max(1, chunks)))
    try:
        from distributed import get_client

        return DaskExecutor(get_client(), size)
    except (ImportError, ValueError):  # no dask, or no client connected
        return Serial(size)


def shared_edges(
    regions: Any,
    *,
    tolerance_m: float = 0.0,
    contiguity: str = "rook",
    chunks: int = 8,
) -> gpd.GeoDataFrame:
    """:func:`borderland.layers.shared_edges` in ``chunks`` tasks on the active cluster: the same rows, in order.

    Parameters
    ----------
    regions
        A GeoDataFrame or a dask-geopandas GeoDataFrame (projected, indexed by code).
    tolerance_m, contiguity
        As in :func:`borderland.layers.shared_edges`.
    chunks
        Number of tasks.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_a``, ``region_b``, ``shared_border_km`` and the shared line.
    """
    layer = _collected(regions)
    return layers.shared_edges(layer, tolerance_m=tolerance_m, contiguity=contiguity,  # type: ignore[arg-type]
                               executor=active(len(layer), chunks))


def zonal_stats(
    regions: Any,
    raster: str | os.PathLike[str],
    *,
    stats: tuple[str, ...] = ("sum", "mean", "min", "max", "count"),
    chunks: int = 8,
    **options: Any,
) -> pd.DataFrame:
    """:func:`borderland.raster.zonal_stats` in ``chunks`` tasks (or one per partition) on the active cluster.

    Parameters
    ----------
    regions
        A GeoDataFrame, or a dask-geopandas GeoDataFrame (one dask task per partition).
    raster
        A raster file path (each task opens it and reads only its regions' band of it).
    stats
        As in :func:`borderland.raster.zonal_stats`.
    chunks
        Number of tasks for a GeoDataFrame.
    **options
        ``band``, ``prefix``, ``densify_m``, ``chunk_cells`` of :func:`borderland.raster.zonal_stats`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``: for a GeoDataFrame, the values of
        ``raster.zonal_stats(..., executor=Serial(ceil(n / chunks)))`` exactly.
    """
    from borderland import raster as raster_module

    if isinstance(regions, gpd.GeoDataFrame) or not hasattr(regions, "to_delayed"):
        return raster_module.zonal_stats(regions, raster, stats=stats, executor=active(len(regions), chunks),
                                         **options)
    from dask.base import compute
    from dask.delayed import delayed

    tasks = [delayed(raster_module.zonal_stats)(piece, str(raster), stats=stats, **options)
             for piece in regions.to_delayed()]
    out: pd.DataFrame = pd.concat(compute(*tasks))
    return out
