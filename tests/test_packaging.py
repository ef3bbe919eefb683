"""The wheel carries the CLI inside the package and the bundled study, and no top-level `cli`."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True)
    (path,) = out.glob("borderland-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_cli_inside_the_package(wheel):
    names = set(wheel.namelist())
    assert "borderland/_cli.py" in names
    assert "cli.py" not in names
    assert not any(n.split("/")[0] not in ("borderland",) and not n.startswith("borderland-") for n in names)


def test_wheel_ships_the_bundled_study(wheel):
    names = set(wheel.namelist())
    for name in ("regions.gpkg", "countries.gpkg", "indicators.csv", "study.toml", "README.md",
                 "population_gpw_v4_2000_15min.tif"):
        assert f"borderland/geodata/{name}" in names
    assert "borderland/geodata/build.py" in names  # the recipe travels with the data
    assert any(n.startswith("borderland/templates/") for n in names)  # the map's JS and CSS


def test_console_script_points_at_the_package(wheel):
    (entry,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    assert "borderland = borderland.__main__:main" in wheel.read(entry).decode()
