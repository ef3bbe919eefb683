"""The command line through click's CliRunner, and once as a real process."""

import subprocess
import sys

import pyogrio
import pytest
from click.testing import CliRunner
from conftest import computing_once

from borderland import pipeline
from cli import cli


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory, bundled_result):
    """``borderland run`` writing the session's bundled result (the bundled study is run end to end in a
    process of its own by tests/test_faults.py, and the study ``borderland init`` writes, here, below)."""
    out = tmp_path_factory.mktemp("run")
    with computing_once(bundled_result) as shortcut:
        result = CliRunner().invoke(cli, ["run", "--out", str(out)], obj={})
    assert shortcut.taken == [pipeline.STAGES]
    return out, result


def test_run_writes_map_and_geopackage(bundled_run):
    out, result = bundled_run
    assert result.exit_code == 0, result.output
    assert "indicator year 2021" in result.output
    assert f"wrote geopackage: {out / 'borderland.gpkg'}" in result.output
    assert f"wrote map: {out / 'borderland_map.html'}" in result.output
    layers = dict(pyogrio.list_layers(out / "borderland.gpkg"))
    assert set(layers) >= {"regions", "border_lines", "neighbour_pairs", "border_segments", "trade_flows",
                           "coherence", "layer_styles"}
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


def test_overwrite_replaces_outputs(tmp_path, computed_once):
    (tmp_path / "borderland_map.html").write_text("old", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "run", "--out", str(tmp_path), "--overwrite"], obj={})
    assert result.exit_code == 0, result.output
    assert computed_once.taken == [pipeline.STAGES]
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


#: Imports the run never needs (each costs about a second; the statistics and classes are our own).
NEVER_ON_THE_RUN_PATH = ("esda", "libpysal", "mapclassify", "matplotlib", "scipy.stats", "sklearn")

AUDITED_RUN = """
import atexit, sys
from borderland import commands

HEAVY = {heavy!r}
seen = {{}}
write = commands.write_run_outputs

def audited(result, out, **options):
    # what the stages imported: nothing heavy, and no folium (only the map writer, below, imports it)
    seen["stages"] = sorted(m for m in (*HEAVY, "folium", "branca") if m in sys.modules)
    write(result, out, **options)
    seen["writers"] = "folium" in sys.modules

commands.write_run_outputs = audited
atexit.register(lambda: print("AUDIT", seen.get("stages"), seen.get("writers"),
                              sorted(m for m in HEAVY if m in sys.modules)))
sys.argv = ["borderland", "-v", "run", "--overwrite", "--out", {out!r}]
from borderland.__main__ import main
main()
"""


def test_the_run_imports_nothing_heavy_and_times_every_stage(tmp_path):
    # a real process: what `borderland run` imports, and what -v prints (each stage and each output)
    code = AUDITED_RUN.format(heavy=NEVER_ON_THE_RUN_PATH, out=str(tmp_path / "out"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    audit = next(line for line in done.stdout.splitlines() if line.startswith("AUDIT"))
    assert audit == "AUDIT [] True []"
    timing = next(line for line in done.stdout.splitlines() if line.startswith("time per stage: "))
    names = [part.rsplit(" ", 2)[0] for part in timing.removeprefix("time per stage: ").split(", ")]
    assert names == ["load", "index", "border", "gaps", "trade", "geopackage", "map", "distance raster"]


def test_validate_prints_coverage_and_year_without_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"], obj={})
    assert result.exit_code == 0, result.output
    assert "regions: 92 in 9 countries" in result.output
    assert "regions without any indicator: 32" in result.output
    # 2021 is the only year with complete regions on both sides (26 Russian, 9 neighbouring)
    assert "2021     26       9     35" in result.output
    assert "index year: 2021 (auto)" in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_then_run_works(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(tmp_path / "mine")], obj={})
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == [
        "countries.gpkg", "indicators.csv", "population_gpw_v4_2000_15min.tif", "published_figures.csv",
        "regions.gpkg", "study.toml"]
    again = runner.invoke(cli, ["init", str(tmp_path / "mine")], obj={})
    assert again.exit_code == 1 and "exist already" in again.output
    study = str(tmp_path / "mine" / "study.toml")
    run = runner.invoke(cli, ["-q", "run", study, "--out", str(tmp_path / "out")], obj={})
    assert run.exit_code == 0, run.output
    assert (tmp_path / "out" / "borderland.gpkg").exists()



def test_without_a_study_file_every_command_takes_the_one_here_as_validate_does(tmp_path, monkeypatch):
    # found by a new user: `validate` checked ./study.toml while `run` ran the bundled study
    runner = CliRunner()
    assert runner.invoke(cli, ["-q", "init", str(tmp_path)], obj={"quiet": True}).exit_code == 0
    study = tmp_path / "study.toml"
    study.write_text(study.read_text(encoding="utf-8").replace(
        'title = "Digital divide across Russia\'s western border"', 'title = "Mine"', 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    checked = runner.invoke(cli, ["validate"], obj={})
    assert checked.exit_code == 0 and checked.output.startswith(f"checking {study}")
    done = runner.invoke(cli, ["index", "--out", "out"], obj={})
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"study: {study} (the study.toml in this folder")
    from borderland import export

    assert export.read_run_metadata(tmp_path / "out" / "index.gpkg")["title"] == "Mine"
    # a broken study here stops both, with the same message
    study.write_text(study.read_text(encoding="utf-8").replace("within_km = 25", 'within_km = "x"', 1),
                     encoding="utf-8")
    stopped = [runner.invoke(cli, [command], obj={}) for command in ("validate", "run")]
    assert [r.exit_code for r in stopped] == [1, 1]
    assert stopped[0].output.splitlines()[-1] == stopped[1].output.splitlines()[-1]
    assert "within_km" in stopped[1].output and not (tmp_path / "maps").exists()


def test_a_checkouts_path_to_a_bundled_study_names_the_installed_copy(tmp_path, monkeypatch):
    # the README writes `borderland trend geodata/europe/study.toml`: outside a checkout there is
    # no geodata/ folder, and the message names the bundled copy, which then validates
    from borderland import io

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(cli, ["validate", "geodata/europe/study.toml"], obj={})
    assert missing.exit_code == 1
    bundled = io.bundled("europe/study.toml")
    assert f"the bundled one is '{bundled}'" in missing.output
    assert runner.invoke(cli, ["-q", "validate", str(bundled)], obj={}).exit_code == 0
    listed = runner.invoke(cli, ["datasets"], obj={})
    assert listed.output.splitlines()[0] == f"in {bundled.parent.parent}:"

def test_datasets_lists_bundled_files():
    result = CliRunner().invoke(cli, ["datasets"], obj={})
    assert result.exit_code == 0
    assert "regions.gpkg" in result.output and "CC BY 4.0" in result.output


def test_second_study_runs_on_europe(tmp_path):
    from borderland import io

    study = io.bundled("europe/study.toml")
    result = CliRunner().invoke(cli, ["run", str(study), "--out", str(tmp_path)], obj={})
    assert result.exit_code == 0, result.output
    assert "290 regions in 38 countries" in result.output
    assert pyogrio.read_info(tmp_path / "borderland.gpkg", layer="regions")["features"] == 290


@pytest.mark.parametrize(
    "command",
    ["run", "validate", "init", "datasets", "index", "border", "gaps", "map", "flows", "export", "report", "trend"])
def test_help_has_an_example_and_no_stray_escapes(command):
    result = CliRunner().invoke(cli, [command, "--help"], obj={})
    assert result.exit_code == 0
    assert "\\b" not in result.output
    assert "Example:" in result.output


# -- Ctrl-C: one line saying what is on disk, exit 130 --------------------------------------------------

_CTRL_C = """
import os, pathlib, signal, sys
from borderland import outputs, pipeline

moment, out = sys.argv.pop(1), pathlib.Path(sys.argv[-1]).resolve()
if moment == "computing":
    real_run = pipeline.run

    def run(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real_run(*args, **kwargs)

    pipeline.run = run
else:  # between two renames of the commit
    real_replace = os.replace

    def replace(src, dst):
        if pathlib.Path(dst).resolve() == out / "borderland_map.html":
            os.kill(os.getpid(), signal.SIGINT)
        return real_replace(src, dst)

    outputs.os.replace = replace
from borderland.__main__ import main
sys.argv[0] = "borderland"
main()
"""


@pytest.fixture
def strip_outputs(tmp_path):
    from catalogue_support import strip_study

    study = strip_study(tmp_path / "study")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["-q", "run", str(study), "--out", str(out)], obj={}).exit_code == 0
    return study, out


def _ctrl_c(moment, study, out):
    return subprocess.run([sys.executable, "-c", _CTRL_C, moment, "-q", "run", str(study), "--overwrite", "--out",
                           str(out)], capture_output=True, text=True, check=False, timeout=300)


def _files(out):
    return {p.name: (p.stat().st_ino, p.read_bytes()) for p in out.iterdir()}


def test_ctrl_c_while_computing_says_nothing_was_changed(strip_outputs):
    study, out = strip_outputs
    before = _files(out)
    done = _ctrl_c("computing", study, out)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "interrupted: nothing was changed; the previous outputs are kept"
    assert _files(out) == before


def test_ctrl_c_during_the_commit_says_the_new_outputs_are_in_place(strip_outputs):
    study, out = strip_outputs
    before = _files(out)
    done = _ctrl_c("commit", study, out)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == (f"interrupted after the outputs were written: {out / 'borderland.gpkg'}, "
                                   f"{out / 'borderland_map.html'}; the new outputs are in place")
    after = _files(out)
    assert after.keys() == before.keys()
    assert all(after[name][0] != before[name][0] for name in after)  # every file is the new one (renamed in)


def test_an_interrupted_command_exits_130_with_one_line(monkeypatch):
    from borderland import commands

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "validate", interrupted)
    result = CliRunner().invoke(cli, ["validate"], obj={})
    assert result.exit_code == 130
    assert result.output.splitlines()[-1] == "interrupted: nothing was changed; the previous outputs are kept"
    assert "Aborted!" not in result.output


def test_validate_command_names_the_commands_it_predicts():
    result = CliRunner().invoke(cli, ["validate", "--command", "draw"], obj={})
    assert result.exit_code == 2
    assert "'draw' is not one of 'run', 'index', 'border', 'gaps', 'flows', 'map', 'export', 'report', 'trend'" \
        in result.output
