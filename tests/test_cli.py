"""The command line through click's CliRunner, and once as a real process."""

import subprocess
import sys

import pyogrio
import pytest
from click.testing import CliRunner

from cli import cli


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(cli, ["run", "--out", str(out)], obj={})
    return out, result


def test_run_writes_map_and_geopackage(bundled_run):
    out, result = bundled_run
    assert result.exit_code == 0, result.output
    assert "indicator year 2021" in result.output
    assert f"wrote geopackage: {out / 'borderland.gpkg'}" in result.output
    assert f"wrote map: {out / 'borderland_map.html'}" in result.output
    layers = dict(pyogrio.list_layers(out / "borderland.gpkg"))
    assert set(layers) == {"regions", "border_lines", "neighbour_pairs"}
    assert pyogrio.read_info(out / "borderland.gpkg", layer="regions")["features"] == 92
    assert pyogrio.read_info(out / "borderland.gpkg", layer="regions")["crs"] == "EPSG:3035"
    html = (out / "borderland_map.html").read_text(encoding="utf-8")
    assert "Digital divide across Russia" in html


def test_existing_outputs_are_not_overwritten(bundled_run):
    out, _ = bundled_run
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = CliRunner().invoke(cli, ["run", "--out", str(out)], obj={})
    assert result.exit_code == 1
    assert "exist already" in result.output and "--overwrite" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_overwrite_replaces_outputs(tmp_path):
    (tmp_path / "borderland_map.html").write_text("old", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "run", "--out", str(tmp_path), "--overwrite"], obj={})
    assert result.exit_code == 0, result.output
    assert result.output == ""  # -q: nothing but errors
    assert (tmp_path / "borderland_map.html").read_text(encoding="utf-8") != "old"


def test_missing_study_file_is_a_data_error(tmp_path):
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path)], obj={})
    assert result.exit_code == 1
    assert "does not exist" in result.output and "borderland init" in result.output
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--out", str(blocker / "sub")], obj={})
    assert result.exit_code == 1
    assert "cannot write into" in result.output


def test_unknown_option_is_a_usage_error():
    result = CliRunner().invoke(cli, ["run", "--colour", "red"], obj={})
    assert result.exit_code == 2


def test_python_dash_m_and_version():
    done = subprocess.run([sys.executable, "-m", "borderland", "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == "borderland, version 0.1.0"
