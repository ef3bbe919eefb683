"""The Python API's front door: ``borderland.run`` returns the pipeline's result, with its report."""

import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import borderland
from borderland import api, pipeline

REPO = Path(__file__).resolve().parents[1]


def test_the_package_names_the_front_door():
    assert borderland.run is api.run
    assert borderland.StudyResult is api.StudyResult
    assert issubclass(borderland.StudyResult, pipeline.StudyResult)
    with pytest.raises(AttributeError, match="module 'borderland' has no attribute 'runs'"):
        borderland.runs  # noqa: B018


def test_importing_borderland_imports_none_of_its_modules():
    code = "import sys, borderland; print(sorted(m for m in sys.modules if m.startswith('borderland')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "['borderland']"


def test_the_result_is_the_pipelines_with_nothing_copied(bundled_result):
    assert type(bundled_result) is borderland.StudyResult
    plain = pipeline.StudyResult(**{f.name: getattr(bundled_result, f.name)
                                    for f in dataclasses.fields(pipeline.StudyResult)})
    shown = borderland.StudyResult.of(plain)
    assert type(shown) is borderland.StudyResult
    for field in dataclasses.fields(pipeline.StudyResult):
        assert getattr(shown, field.name) is getattr(plain, field.name), field.name
    assert borderland.StudyResult.of(bundled_result) is bundled_result
    # the plain result has no writer's view; the report renders either (tests/test_report.py)
    assert not hasattr(plain, "report") and not hasattr(plain, "_repr_html_")


def test_a_result_survives_pickling_with_its_report(bundled_result):
    partial = dataclasses.replace(bundled_result, border_stage=None, gaps_stage=None, trade_stage=None)
    again = pickle.loads(pickle.dumps(partial))
    assert type(again) is borderland.StudyResult
    assert again.study == partial.study and again.year == partial.year
    assert again.regions.equals(partial.regions)
    assert again._repr_html_() is None  # a result of some stages shows its plain representation


def test_run_passes_its_options_to_the_pipeline(tmp_path):
    from catalogue_support import strip_study

    from borderland.study import load_study

    seen: list[str] = []
    study = load_study(strip_study(tmp_path))
    result = borderland.run(study, stages=("load", "index"), on_stage=seen.append)
    assert type(result) is borderland.StudyResult and result.study == study
    assert seen == ["load", "index"] and list(result.timings) == ["load", "index"]
    assert result.gaps_stage is None and result._repr_html_() is None
    assert type(pipeline.run(study, stages=("load",))) is pipeline.StudyResult  # the pipeline's is plain data
