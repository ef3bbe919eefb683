"""Where the heavy steps run: the same results here and on a dask cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from borderland.compute import SERIAL, DaskExecutor, Serial, executor, region_chunks
from borderland.errors import InputError
from borderland.index import IndexSpec, IndicatorSpec
from borderland.robustness import uncertainty


def test_the_serial_executor_yields_in_order_each_result_when_asked():
    calls = []

    def record(x):
        calls.append(x)
        return x * 10

    results = SERIAL.map(record, [1, 2, 3])
    assert calls == []  # lazily: a caller puts each result in place before the next is computed
    assert list(results) == [10, 20, 30] and calls == [1, 2, 3]


def test_the_monte_carlo_on_a_cluster_equals_the_one_here(dask_client):
    rng = np.random.default_rng(5)
    matrix = pd.DataFrame(rng.uniform(0, 100, (400, 3)), columns=list("abc"), index=[f"r{i}" for i in range(400)])
    spec = IndexSpec(tuple(IndicatorSpec(c, (c,)) for c in "abc"))
    pairs = pd.DataFrame({"region_a": ["r1", "r2"], "region_b": ["r3", "r4"]})
    here = uncertainty(matrix, spec, draws=300, normalisations=("minmax", "rank"), pairs=pairs, rng=11)
    there = uncertainty(matrix, spec, draws=300, normalisations=("minmax", "rank"), pairs=pairs, rng=11,
                        executor=DaskExecutor(dask_client))
    pd.testing.assert_frame_equal(here.regions, there.regions)
    pd.testing.assert_frame_equal(here.pairs, there.pairs)
    assert np.array_equal(here.draw_index, there.draw_index)


def test_an_unreachable_scheduler_is_a_clean_error():
    with pytest.raises(InputError, match=r"cannot reach the dask scheduler 'tcp://127\.0\.0\.1:1'"), \
            executor("tcp://127.0.0.1:1", timeout_s=1):
        pass


def test_a_command_on_a_cluster_writes_what_it_writes_here(tmp_path, dask_client):
    from click.testing import CliRunner

    from cli import cli

    # the session's cluster, which `--scheduler local` started (tests/conftest.py), reached by its address
    outputs = {}
    for where, extra in (("here", []), ("there", ["--scheduler", dask_client.scheduler.address])):
        result = CliRunner().invoke(cli, ["-q", "index", "--out", str(tmp_path / where), "--draws", "200",
                                          "--format", "csv", *extra], obj={})
        assert result.exit_code == 0, result.output
        outputs[where] = (tmp_path / where / "index.csv").read_bytes()
    assert outputs["here"] == outputs["there"]


def test_moran_and_lisa_on_a_cluster_equal_the_ones_here(dask_client, bundled_result):
    from borderland import spatial

    regions, graph, values = bundled_result.regions, bundled_result.graph, bundled_result.regions["index"]
    there = DaskExecutor(dask_client)
    here_i = spatial.morans_i(regions, graph, values, permutations=999, rng=4)
    there_i = spatial.morans_i(regions, graph, values, permutations=999, rng=4, executor=there)
    assert here_i == there_i
    pd.testing.assert_frame_equal(spatial.local_moran(regions, graph, values, permutations=999, rng=4),
                                  spatial.local_moran(regions, graph, values, permutations=999, rng=4,
                                                      executor=there))


# -- the steps over regions: chunks, and the same answers on the cluster -------------------------


def test_region_chunks_are_bands_from_south_to_north():
    # five boxes at heights 4, 0, 3, 1, and one empty geometry (no bounds): chunks of two
    bounds = np.array([[0, 4, 1, 5], [0, 0, 1, 1], [0, 3, 1, 4], [0, 1, 1, 2], [np.nan] * 4])
    chunks = region_chunks(bounds, 2)
    assert [c.tolist() for c in chunks] == [[1, 3], [0, 2], [4]]
    assert [c.tolist() for c in region_chunks(bounds, 5)] == [[0, 1, 2, 3, 4]]
    # as equal as can be: 5 in chunks of at most 3 is 3 + 2, not 3 + 3
    assert [len(c) for c in region_chunks(bounds, 3)] == [3, 2]


def test_chunk_regions_is_a_whole_number_of_regions():
    with pytest.raises(ValueError, match=r"chunk_regions is 0; expected a whole number of regions >= 1"):
        Serial(0)
    with pytest.raises(ValueError, match=r"chunk_regions is 2\.5"):
        Serial(2.5)  # type: ignore[arg-type]


def test_the_dask_executor_yields_in_order_with_few_tasks_on_the_cluster(dask_client):
    there = DaskExecutor(dask_client, in_flight=2)
    # tasks that are tuples reach the function whole (scatter would split a bare tuple)
    assert list(there.map(sum, [(k, 1) for k in range(7)])) == [k + 1 for k in range(7)]
    assert list(there.map(sum, [])) == []


def _same_tables(here, there):
    """Every table of two results, equal to the last bit (geometries by their WKB)."""
    names = ["regions", "pairs", "segments", "border_lines", "bands", "profile", "statistics", "theil"]
    for name in names:
        a, b = getattr(here, name), getattr(there, name)
        assert (a is None) == (b is None), name
        if a is None:
            continue
        if "geometry" in a.columns:
            assert a.geometry.to_wkb().tolist() == b.geometry.to_wkb().tolist(), name
            a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
    assert here.moran == there.moran
    assert here.graph.edges.drop(columns="geometry").equals(there.graph.edges.drop(columns="geometry"))


def test_the_bundled_run_on_a_cluster_equals_the_run_here(dask_client, bundled_result, tmp_path):
    from borderland import pipeline, raster

    study = bundled_result.study
    # 92 regions in chunks of 40: three tasks for the shared edges, more for the zonal sums of pieces
    here = pipeline.run(study, executor=Serial(40))
    there = pipeline.run(study, executor=DaskExecutor(dask_client, 40))
    _same_tables(here, there)
    assert len(here.regions) == 92 and here.regions["population_raster"].notna().sum() > 80
    # shared edges do not depend on the split at all; a zonal sum is added up chunk by chunk
    assert here._border.edges.drop(columns="geometry").equals(bundled_result._border.edges.drop(columns="geometry"))
    pd.testing.assert_frame_equal(here.regions.drop(columns="geometry"),
                                  bundled_result.regions.drop(columns="geometry"), rtol=1e-12)
    # the distance raster: strips computed there, written here, the same bytes
    files = {}
    for name, where in (("here", Serial(40)), ("there", DaskExecutor(dask_client, 40))):
        files[name] = raster.distance_raster(here.border_lines, tmp_path / f"{name}.tif", resolution_m=10_000,
                                             mask=here.regions, executor=where).read_bytes()
    assert files["here"] == files["there"]


@pytest.fixture
def strip_with_people(tmp_path):
    """The six-square strip with a population raster: 100 m cells of one person each, 100 per square."""
    import rasterio
    from affine import Affine
    from catalogue_support import strip_study
    from conftest import KM, X0, Y0

    def change(data):
        data["raster"] = {"population": "people.tif", "within_km": 1.0, "distance_raster": True,
                          "resolution_m": 250.0}
        data["compute"] = {"chunk_regions": 2}

    path = strip_study(tmp_path / "strip", change=change)
    with rasterio.open(tmp_path / "strip" / "people.tif", "w", driver="GTiff", width=60, height=10, count=1,
                       dtype="float32", crs="EPSG:3035", transform=Affine(100.0, 0, X0, 0, -100.0, Y0 + KM)) as dst:
        dst.write(np.ones((10, 60), dtype="float32"), 1)
    return path


def test_the_strip_on_a_cluster_equals_the_strip_here_by_hand(dask_client, strip_with_people):
    from borderland import pipeline
    from borderland.study import load_study

    study = load_study(strip_with_people)
    assert study.compute.chunk_regions == 2
    here = pipeline.run(study, executor=Serial(2))
    there = pipeline.run(study, executor=DaskExecutor(dask_client, 2))
    _same_tables(here, there)
    regions = there.regions
    # 100 cells of one person in each 1 km square; within 1 km of the border (x = 3 km): all of A2 and B3
    np.testing.assert_allclose(regions["population_raster"], [100.0] * 6, rtol=1e-12)
    np.testing.assert_allclose(regions["population_within_1km"], [0, 0, 100, 100, 0, 0], rtol=1e-12, atol=1e-9)
    # people live at their cells' centres, 50 m, 150 m ... 950 m from the edge of the square: on average
    # 0.5 km into it, so 2.5, 1.5, 0.5 km from the border on each side
    np.testing.assert_allclose(regions["population_border_distance_km"], [2.5, 1.5, 0.5, 0.5, 1.5, 2.5], rtol=1e-12)
    # the shared edges of three chunks of two squares: every 1 km edge once, in the order of the regions
    edges = there._border.edges
    assert edges[["region_a", "region_b"]].values.tolist() == [["A0", "A1"], ["A1", "A2"], ["A2", "B3"],
                                                               ["B3", "B4"], ["B4", "B5"]]
    assert edges["shared_border_km"].tolist() == [1.0] * 5


def test_borderland_run_on_a_scheduler_writes_what_it_writes_here(dask_client, strip_with_people, tmp_path):
    import pyogrio
    import rasterio
    from click.testing import CliRunner

    from cli import cli

    folders = {}
    for where, extra in (("here", []), ("there", ["--scheduler", dask_client.scheduler.address])):
        folders[where] = tmp_path / where
        result = CliRunner().invoke(cli, ["-q", "run", str(strip_with_people), "--out", str(folders[where]), *extra],
                                    obj={})
        assert result.exit_code == 0, result.output
    raster_bytes = {where: (folder / "distance_to_border.tif").read_bytes() for where, folder in folders.items()}
    assert raster_bytes["here"] == raster_bytes["there"]
    with rasterio.open(folders["there"] / "distance_to_border.tif") as src:
        km = src.read(1)
    # 250 m cells over the strip (24 x 4): each cell centre's distance is |x - 3 km|
    assert km.shape == (4, 24)
    np.testing.assert_allclose(km, np.tile(np.abs((np.arange(24) + 0.5) * 0.25 - 3.0), (4, 1)), rtol=1e-6)
    gpkg = {where: folder / "borderland.gpkg" for where, folder in folders.items()}
    for name, *_ in pyogrio.list_layers(gpkg["here"]):
        # (the QGIS styles' table says when each style was written)
        here, there = (pyogrio.read_dataframe(gpkg[w], layer=name).drop(columns="update_time", errors="ignore")
                       for w in ("here", "there"))
        pd.testing.assert_frame_equal(here, there, check_exact=True, obj=name)


def test_the_border_command_sends_the_distance_raster_where_compute_says(strip_with_people, tmp_path, monkeypatch):
    import contextlib

    from click.testing import CliRunner

    from borderland import compute
    from cli import cli

    mapped = []

    class Recording(Serial):
        def map(self, function, tasks):
            mapped.append(function.__name__)
            return super().map(function, tasks)

    asked = []

    @contextlib.contextmanager
    def recording(scheduler, **options):
        asked.append(options["chunk_regions"])
        yield Recording(options["chunk_regions"])

    monkeypatch.setattr(compute, "executor", recording)
    result = CliRunner().invoke(cli, ["-q", "border", str(strip_with_people), "--out", str(tmp_path / "out")], obj={})
    assert result.exit_code == 0, result.output
    # one executor, the study's ([compute] chunk_regions = 2), for the stages and the raster's strips alike
    assert asked == [2]
    assert "_distance_strip" in mapped and "_zonal_task" in mapped
    assert (tmp_path / "out" / "distance_to_border.tif").exists()
