"""Beyond one machine: the same pair table and zonal statistics as dask task graphs.

The work is split into independent tasks whose results are concatenated, so the answer is
exactly the in-memory one (tested): pair finding runs on chunks of "first" regions against the
whole layer's STRtree (each pair is found once, by its first region); zonal statistics run on
chunks of regions, each task reading only the raster windows its regions cover. Tasks go to
whatever dask scheduler is active: the local threads by default, a ``distributed.Client`` when one
is connected (a ``LocalCluster`` or a real cluster: ``Client("tcp://scheduler:8786")``). No
scheduling of our own.

A layer given as a dask-geopandas GeoDataFrame (e.g. ``dask_geopandas.read_parquet`` of a very
large layer) is collected once for the STRtree of pair finding, which needs every geometry; the
zonal statistics keep it partitioned.
"""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.layers import edges_of, require_projected


def _collected(regions: Any) -> gpd.GeoDataFrame:
    """A GeoDataFrame from a GeoDataFrame or a dask-geopandas frame (computed)."""
    if hasattr(regions, "compute") and not isinstance(regions, gpd.GeoDataFrame):
        return regions.compute()
    return regions


def _chunk_edges(regions: gpd.GeoDataFrame, positions: np.ndarray, tolerance_m: float,
                 contiguity: str) -> gpd.GeoDataFrame:
    import shapely

    # each task builds the tree itself: an STRtree does not travel between processes
    return edges_of(regions, positions, shapely.STRtree(regions.geometry.to_numpy()), tolerance_m=tolerance_m,
                    contiguity=contiguity)


def shared_edges(
    regions: Any,
    *,
    tolerance_m: float = 0.0,
    contiguity: str = "rook",
    chunks: int = 8,
) -> gpd.GeoDataFrame:
    """:func:`borderland.layers.shared_edges` as ``chunks`` dask tasks; the same rows, in the same order.

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
    from dask.base import compute
    from dask.delayed import delayed

    layer = _collected(regions)
    require_projected(layer)
    # the layer enters the graph once, as one key, however many tasks read it
    shared = delayed(layer, pure=True, traverse=False)
    parts = [delayed(_chunk_edges)(shared, positions, tolerance_m, contiguity)
             for positions in np.array_split(np.arange(len(layer)), max(1, min(chunks, len(layer))))]
    frames = [frame for frame in compute(*parts) if len(frame)]
    if not frames:
        return _chunk_edges(layer, np.arange(0), tolerance_m, contiguity)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=layer.crs)


def zonal_stats(
    regions: Any,
    raster: str | os.PathLike[str],
    *,
    stats: tuple[str, ...] = ("sum", "mean", "min", "max", "count"),
    chunks: int = 8,
    **options: Any,
) -> pd.DataFrame:
    """:func:`borderland.raster.zonal_stats` over chunks of regions as dask tasks.

    Parameters
    ----------
    regions
        A GeoDataFrame or a dask-geopandas GeoDataFrame (one task per partition).
    raster
        A raster file path (each task opens it and reads only its regions' windows).
    stats
        As in :func:`borderland.raster.zonal_stats`.
    chunks
        Number of tasks for a GeoDataFrame.
    **options
        ``band``, ``prefix``, ``densify_m``, ``chunk_cells`` of :func:`borderland.raster.zonal_stats`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``, the same values as the in-memory function.
    """
    from dask.base import compute
    from dask.delayed import delayed

    from borderland import raster as raster_module

    if hasattr(regions, "to_delayed") and not isinstance(regions, gpd.GeoDataFrame):
        pieces = regions.to_delayed()
    else:
        bounds = np.array_split(np.arange(len(regions)), max(1, min(chunks, len(regions))))
        pieces = [regions.iloc[positions] for positions in bounds if len(positions)]
    # each task runs raster.zonal_stats on its regions: sums, counts and means of all its regions
    # at once (min and max region by region), exactly as in memory
    tasks = [delayed(raster_module.zonal_stats)(piece, str(raster), stats=stats, **options) for piece in pieces]
    out: pd.DataFrame = pd.concat(compute(*tasks))
    if isinstance(regions, gpd.GeoDataFrame):  # the chunks come back in order: keep the caller's index as it is
        out.index = regions.index
    return out
