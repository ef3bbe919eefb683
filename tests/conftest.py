"""A tiny world whose every distance, adjacency, shared length and gap is known by hand.

Six 1 km squares in a row, in EPSG:3035 near (4 000 km, 3 000 km)::

    x (km from X0):  0    1    2 |  3    4    5    6
                     | A0 | A1 | A2 || B3 | B4 | B5 |
                               state border at x = 3

A0-A2 are in country "AA", B3-B5 in "BB". Every adjacent pair shares exactly 1 km; the only
cross-border pair is A2-B3. Inside points are the square centres, so the distance to the border
is 0.5, 1.5 and 2.5 km on each side; border order is 1, 2, 3 moving away from it.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import settings

# no wall-clock deadlines on a shared 2-core machine (house rule): a loaded machine made property
# tests without @settings(deadline=None) fail as "flaky"
settings.register_profile("borderland", deadline=None)
settings.load_profile("borderland")

X0, Y0 = 4_000_000.0, 3_000_000.0
KM = 1000.0


def square(col: float, row: float = 0.0, size: float = 1.0) -> shapely.Polygon:
    return shapely.box(X0 + col * KM, Y0 + row * KM, X0 + (col + size) * KM, Y0 + (row + size) * KM)


def strip_world() -> gpd.GeoDataFrame:
    codes = ["A0", "A1", "A2", "B3", "B4", "B5"]
    return gpd.GeoDataFrame(
        {
            "region_id": codes,
            "name": [f"Region {c}" for c in codes],
            "country": ["AA"] * 3 + ["BB"] * 3,
            "level": "test",
        },
        geometry=[square(i) for i in range(6)],
        crs="EPSG:3035",
    )


@pytest.fixture
def world() -> gpd.GeoDataFrame:
    """The six-square strip as read from a file (region_id a column)."""
    return strip_world()


@pytest.fixture
def regions(world: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The strip prepared: indexed by region_id, projected."""
    from borderland.layers import prepare_regions

    return prepare_regions(world)


@pytest.fixture
def strip_table() -> pd.DataFrame:
    """Hand-made tidy indicators for the strip (two years, two indicators, one missing value)."""
    rows = []
    values_2020 = {"A0": (50, 40), "A1": (60, 50), "A2": (70, 60), "B3": (90, 80), "B4": (100, 90), "B5": (80, 70)}
    for code, (access, broadband) in values_2020.items():
        rows.append((code, "access", 2020, access))
        rows.append((code, "broadband", 2020, broadband))
    rows.append(("A0", "access", 2021, 55))
    rows.append(("B3", "access", 2021, 95))
    rows.append(("B3", "broadband", 2021, 85))
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])


@pytest.fixture(scope="session")
def bundled_result():
    """The bundled study, run once per test session (read-only: tests must not mutate it)."""
    from borderland import pipeline

    return pipeline.run()


@pytest.fixture(scope="session")
def dask_client():
    """A two-worker dask cluster on this machine, started once per test session."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(cluster) as client:
        yield client
    cluster.close()
