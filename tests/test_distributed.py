"""The dask path gives the in-memory answers, on the session's local cluster."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from borderland import distributed, layers, raster
from borderland.compute import DaskExecutor, Serial

# found, not imported: importing distributed costs each `pytest -n` worker 0.6 s at collection, and only the
# worker of the cluster's tests needs it (tests/conftest.py, WORKER_GROUPS)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="pip install '.[dask]' (dask, distributed)")


@pytest.fixture
def client(dask_client):
    """The session's two-worker cluster (tests/conftest.py)."""
    return dask_client


@pytest.fixture(scope="module")
def cells():
    """A seeded Voronoi layer of 300 cells in two countries (a straight border at x = 0)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(7)
    points = shapely.multipoints(rng.uniform(-50_000, 50_000, size=(300, 2)))
    frame = shapely.box(-50_000, -50_000, 50_000, 50_000)
    polygons = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame))
    polygons = shapely.intersection(polygons, frame)
    west = shapely.box(-50_000, -50_000, 0, 50_000)
    pieces, countries = [], []
    for polygon in polygons:
        for part, country in ((shapely.intersection(polygon, west), "AA"),
                              (shapely.difference(polygon, west), "BB")):
            if part.area > 1:
                pieces.append(part)
                countries.append(country)
    regions = gpd.GeoDataFrame({"name": [f"c{k}" for k in range(len(pieces))], "country": countries},
                               geometry=gpd.GeoSeries(pieces).translate(4_300_000, 3_200_000).to_numpy(),
                               crs=3035, index=pd.Index([f"R{k:04d}" for k in range(len(pieces))], name="region_id"))
    return regions


def test_pair_table_on_the_cluster_equals_the_in_memory_one(client, cells):
    expected = layers.shared_edges(cells)
    assert isinstance(distributed.active(len(cells), 5), DaskExecutor)
    got = distributed.shared_edges(cells, chunks=5)
    assert len(got) == len(expected) > 600
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), expected.drop(columns="geometry"), check_exact=True)
    assert got.geometry.to_wkb().tolist() == expected.geometry.to_wkb().tolist()


def test_dask_geopandas_input(client, cells):
    import dask_geopandas

    partitioned = dask_geopandas.from_geopandas(cells, npartitions=4)
    expected = layers.shared_edges(cells, contiguity="queen")
    got = distributed.shared_edges(partitioned, contiguity="queen", chunks=3)
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), expected.drop(columns="geometry"))


def test_zonal_stats_on_the_cluster_equal_the_in_memory_ones(client, cells, tmp_path):
    import dask_geopandas

    rng = np.random.default_rng(3)
    values = rng.integers(0, 100, size=(120, 120)).astype("float32")
    west, north = cells.total_bounds[0] - 1000, cells.total_bounds[3] + 1000
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=120, height=120, count=1, dtype="float32", crs="EPSG:3035",
                       transform=Affine(1000.0, 0.0, west, 0.0, -1000.0, north), nodata=-1) as dst:
        dst.write(values, 1)
    expected = raster.zonal_stats(cells, path)
    # six tasks: the sums of raster.zonal_stats in chunks of a sixth of the regions, exactly
    pd.testing.assert_frame_equal(distributed.zonal_stats(cells, path, chunks=6),
                                  raster.zonal_stats(cells, path, executor=Serial(-(-len(cells) // 6))),
                                  check_exact=True)
    pd.testing.assert_frame_equal(distributed.zonal_stats(cells, path, chunks=6), expected, rtol=1e-12)
    partitioned = dask_geopandas.from_geopandas(cells, npartitions=3)
    # dask-geopandas returns its own string index type: the values and codes are what matter
    pd.testing.assert_frame_equal(distributed.zonal_stats(partitioned, path), expected, check_index_type=False)
    # every person of the raster inside the cells is counted once
    # the cells tile a 100 x 100 km square that starts one cell in from the raster corner
    assert expected["sum"].sum() == pytest.approx(values[1:101, 1:101].sum(), rel=1e-9)


def test_sums_of_all_regions_at_once_on_the_cluster(client, cells, tmp_path):
    # sums and counts (all the regions of a task at once) equal the in-memory ones, whatever the split
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 50, size=(110, 110)).astype("float32")
    west, north = cells.total_bounds[0] + 500, cells.total_bounds[3] - 700  # the raster misses an edge
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=110, height=110, count=1, dtype="float32", crs="EPSG:3035",
                       transform=Affine(900.0, 0.0, west, 0.0, -900.0, north), nodata=-1) as dst:
        dst.write(values, 1)
    expected = raster.zonal_stats(cells, path, stats=("sum", "count"))
    got = distributed.zonal_stats(cells, path, stats=("sum", "count"), chunks=7)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-10)
    one_by_one = raster.zonal_stats(cells, path, stats=("sum", "count", "min"))[["sum", "count"]]
    pd.testing.assert_frame_equal(got, one_by_one, rtol=1e-10, atol=1e-9)
