"""Where the heavy steps run: the same results here and on a dask cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from borderland.compute import SERIAL, DaskExecutor, executor
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
