"""Faults and invariants: interrupted runs, determinism, and random well-formed inputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from borderland import errors, export, pipeline
from borderland.study import study_from_dict

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def run_cli(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "borderland", "-q", "run", "--out", str(out), *args],
                          capture_output=True, text=True, env=ENV, check=False)


def contents(folder: Path) -> dict[str, object]:
    """What a run wrote, minus the time stamps (metadata creation, style update)."""
    found: dict[str, object] = {"html": (folder / "borderland_map.html").read_bytes()}
    gpkg = folder / "borderland.gpkg"
    for name, _ in pyogrio.list_layers(gpkg):
        frame = pyogrio.read_dataframe(gpkg, layer=name)
        found[name] = (frame.to_wkb() if isinstance(frame, gpd.GeoDataFrame) else frame).drop(
            columns=["update_time"], errors="ignore")  # the styles' time stamp, like the metadata's
    meta = dict(export.read_run_metadata(gpkg))
    meta.pop("created", None)
    found["metadata"] = meta
    found["raster"] = (folder / "distance_to_border.tif").read_bytes()
    return found


def assert_same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], pd.DataFrame):
            pd.testing.assert_frame_equal(a[key], b[key], obj=key)
        else:
            assert a[key] == b[key], key


def run_here(out: Path, *args: str):
    """``borderland run`` in this process (with ``computed_once``: writing the session's bundled result)."""
    from click.testing import CliRunner

    from cli import cli

    return CliRunner().invoke(cli, ["-q", "run", "--out", str(out), *args], obj={})


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """The bundled study run end to end by ``python -m borderland`` in a process of its own."""
    out = tmp_path_factory.mktemp("clean")
    done = run_cli(out)
    assert done.returncode == 0, done.stderr
    return out


def test_two_runs_write_identical_outputs(clean_run, tmp_path, computed_once):
    # the other run: this process's, computed apart from the one above (by the session's bundled_result,
    # with its own hash seed and generators) and written here
    done = run_here(tmp_path)
    assert done.exit_code == 0, done.output
    assert computed_once.taken == [pipeline.STAGES]
    assert_same(contents(clean_run), contents(tmp_path))


def test_interrupted_run_leaves_no_half_file_and_a_rerun_gives_the_same_outputs(clean_run, tmp_path,
                                                                               computed_once):
    process = subprocess.Popen([sys.executable, "-m", "borderland", "-q", "run", "--out", str(tmp_path)],
                               env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill it as soon as it opens its output set (no time limit: a busy machine only makes it later)
    while process.poll() is None:
        if tmp_path.exists() and any(p.name.startswith(".") for p in tmp_path.iterdir()):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    # whatever was written is whole: no visible file is a fragment
    for path in tmp_path.iterdir():
        if not path.name.startswith("."):
            if path.suffix == ".gpkg":
                assert pyogrio.list_layers(path).size > 0
    # the rerun cleans up what the killed one left; what it computes is the session's bundled result
    done = run_here(tmp_path, "--overwrite")
    assert done.exit_code == 0, done.output
    assert computed_once.taken == [pipeline.STAGES]
    assert_same(contents(clean_run), contents(tmp_path))


def grid_layer(countries: list[str], columns: int) -> gpd.GeoDataFrame:
    cells = [shapely.box(k % columns * 10_000.0, k // columns * 10_000.0,
                         (k % columns + 1) * 10_000.0, (k // columns + 1) * 10_000.0) for k in range(len(countries))]
    return gpd.GeoDataFrame({"region_id": [f"R{k:02d}" for k in range(len(countries))],
                             "name": [f"<b>region {k}</b>" for k in range(len(countries))], "country": countries},
                            geometry=cells, crs=3035).set_geometry(
        gpd.GeoSeries(cells, crs=3035).translate(4_000_000, 3_000_000))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    countries=st.lists(st.sampled_from(["AA", "BB", "CC"]), min_size=4, max_size=16),
    columns=st.integers(2, 4),
    values=st.lists(st.floats(0, 100, allow_nan=False), min_size=16, max_size=16),
    missing=st.sets(st.integers(0, 15), max_size=4),
)
@example(countries=["AA", "AA", "AA", "BB"], columns=2, values=[0.0] * 16, missing={0, 1, 2})  # one region with data
def test_random_layers_keep_the_invariants(tmp_path, countries, columns, values, missing):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis reruns examples: one folder per call
    layer = grid_layer(countries, columns)
    layer.to_file(folder / "regions.gpkg", engine="pyogrio")
    rows = [(code, "x", 2020, values[k]) for k, code in enumerate(layer["region_id"]) if k not in missing]
    pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"]).to_csv(folder / "t.csv", index=False)
    study = study_from_dict(
        {"regions": {"path": "regions.gpkg"}, "indicators": {"path": "t.csv"},
         "index": {"components": [{"name": "x"}]}, "gaps": {"permutations": 9}},
        folder=folder)
    try:
        result = pipeline.run(study)
    except errors.BorderlandError as exc:
        # the only refusals well-formed input may get: one country, no region with data, or only one (an index
        # scales its components over the regions: one region has nothing to be scaled against)
        assert "one country" in str(exc) or "no year has every index component" in str(exc) \
            or "no indicator code matches" in str(exc) or "the index, its typology and robustness need at least 2" \
            in str(exc)
        return
    r = result.regions
    assert len(r) == len(countries)
    assert r["index"].dropna().between(0, 1).all()
    assert r.loc[[f"R{k:02d}" for k in missing if k < len(countries)], "index"].isna().all()
    assert (r["border_distance_km"].dropna() >= 0).all()
    pairs = result.pairs
    keys = [frozenset(p) for p in zip(pairs["region_a"], pairs["region_b"], strict=True)]
    assert len(keys) == len(set(keys))  # one row per unordered pair
    assert (pairs["cross_border"] == (pairs["country_a"] != pairs["country_b"])).all()
    gaps = pairs.dropna(subset=["gap"])
    assert np.allclose(gaps["gap"], gaps["index_a"] - gaps["index_b"])
    # every region sharing an edge with another country is in ring 1 (a corner contact may be too)
    on_border = set(pairs.loc[pairs["cross_border"], "region_a"]) | set(pairs.loc[pairs["cross_border"], "region_b"])
    assert (r.loc[sorted(on_border), "border_order"] == 1).all()
