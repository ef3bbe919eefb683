"""The study model: every key checked when the study is built, every problem at once, fixes that work."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderland import io
from borderland.errors import BorderlandError, UsageError
from borderland.specs import SpecError
from borderland.study import SECTIONS, Study, files_study, load_study, study_from_dict
from cli import cli

BUNDLED = tomllib.loads(io.bundled("study.toml").read_text(encoding="utf-8"))
FOLDER = io.bundled("study.toml").parent


def with_value(section: str, key: str, value):
    data = copy.deepcopy(BUNDLED)
    data.setdefault(section, {})[key] = value
    return data


def problems_of(data) -> list[str]:
    with pytest.raises(SpecError) as info:
        study_from_dict(data, folder=FOLDER)
    return [str(p) for p in info.value.problems]


# (section, key, value, the problem's text): one row per kind of check
BAD_VALUES = [
    ("robustness", "draws", "many", '[robustness] draws = "many": expected a number of draws from 2 to 100,000, or 0'),
    ("robustness", "draws", -5, "[robustness] draws = -5: expected a number of draws from 2 to 100,000, or 0"),
    ("robustness", "draws", 1, "[robustness] draws = 1: expected"),
    ("robustness", "draws", 2.5, "[robustness] draws = 2.5: expected"),
    ("robustness", "draws", True, "[robustness] draws = true: expected"),
    ("robustness", "seed", "abc", '[robustness] seed = "abc": expected a whole-number seed >= 0'),
    ("robustness", "stable_at", 0, "[robustness] stable_at = 0: expected a probability above 0 and at most 1"),
    ("robustness", "normalisations", ["minmax", "zscor"], "did you mean \"zscore\"?"),
    ("gaps", "permutations", "lots", '[gaps] permutations = "lots": expected a number of permutations from 1'),
    ("gaps", "permutations", 0, "[gaps] permutations = 0: expected a number of permutations from 1"),
    ("gaps", "contiguity", "bishop", '[gaps] contiguity = "bishop": expected one of "queen", "rook"'),
    ("regions", "sliver_width_m", "8km", '[regions] sliver_width_m = "8km": expected a distance in metres'),
    ("regions", "max_repair_pct", 120, "[regions] max_repair_pct = 120: expected a percentage from 0 to 100"),
    ("regions", "exclude", "RU-MOS", '[regions] exclude = "RU-MOS": expected a list of region codes'),
    ("raster", "within_km", "x", '[raster] within_km = "x": expected a distance in km above 0'),
    ("raster", "within_km", 0, "[raster] within_km = 0: expected a distance in km above 0"),
    ("raster", "threshold_pct", 0, "[raster] threshold_pct = 0: expected a percentage above 0 and at most 100"),
    ("raster", "distance_raster", "yes", '[raster] distance_raster = "yes": expected true or false'),
    ("raster", "resolution_m", 0.5, "[raster] resolution_m = 0.5: expected a cell size in metres from 1"),
    ("border", "bands_km", 25, "[border] bands_km = 25: expected a list of distances in km, e.g. [0, 25, 50]"),
    ("border", "bands_km", [0, 50, 25], "in increasing order"),
    ("border", "distance_origin", "insidepoint", 'did you mean "inside_point"?'),
    ("border", "touch_tolerance_m", -1, "[border] touch_tolerance_m = -1: expected a distance in metres"),
    ("study", "crs", "EPSG:4326", '[study] crs = "EPSG:4326": expected a projected CRS'),
    ("study", "crs", "not a crs", '[study] crs = "not a crs": expected a projected CRS'),
    ("study", "focus_country", "Russia", '[study] focus_country = "Russia": expected a two-letter country code'),
    ("indicators", "decimal", ";", '[indicators] decimal = ";": expected one of ",", "."'),
    ("indicators", "encoding", "klingon", '[indicators] encoding = "klingon": expected a text encoding'),
    ("indicators", "delimiter", ";;", '[indicators] delimiter = ";;": expected one character'),
    ("indicators", "layout", "tall", '[indicators] layout = "tall": expected one of "long", "wide"'),
    ("outputs", "map", "maps/out.html", '[outputs] map = "maps/out.html": expected a file name ending in .html'),
    ("outputs", "geopackage", "out.sqlite", "expected a file name ending in .gpkg"),
    ("trade", "flow_type", "barter", '[trade] flow_type = "barter": expected one of'),
    ("trade", "year", "2021", '[trade] year = "2021": expected a year'),
    ("attribution", "lines", "one line", '[attribution] lines = "one line": expected a list of credit lines'),
    ("index", "min_share", 2, "[index] min_share = 2: expected a share of components in (0, 1]"),
    ("index", "normalisation", "minmx", '[index] normalisation = "minmx": expected one of'),
    ("index", "year", "latest", '[index] year = "latest": expected "auto" or a year'),
    ("typology", "method", "kmeans", "unknown 'kmeans'"),
]


@pytest.mark.parametrize(("section", "key", "value", "expected"), BAD_VALUES,
                         ids=[f"{s}.{k}={v!r}" for s, k, v, _ in BAD_VALUES])
def test_each_bad_value_is_named_with_its_key_value_and_expectation(section, key, value, expected):
    found = problems_of(with_value(section, key, value))
    assert any(expected in problem for problem in found), found


def test_every_problem_of_a_file_is_reported_at_once():
    data = copy.deepcopy(BUNDLED)
    data["robustness"].update(draws="many", seed="abc")
    data["gaps"]["permutations"] = "lots"
    data["regions"]["sliver_width_m"] = "8km"
    data["raster"]["within_km"] = "x"
    data["border"]["bands_km"] = 25
    data["regoins"] = {}
    found = problems_of(data)
    assert len(found) == 7, found
    assert any("[regoins]: unknown section; did you mean 'regions'?" in p for p in found)


def test_unknown_keys_suggest_the_closest_and_list_the_valid_ones():
    found = problems_of(with_value("raster", "within", 25))
    assert found == ["[raster] within = 25: unknown key; did you mean 'within_km'? keys are distance_raster, "
                     "population, resolution_m, threshold_pct, within_km"]


def test_required_keys_are_named():
    data = copy.deepcopy(BUNDLED)
    del data["regions"]["path"]
    assert any(p.startswith("[regions] path: a required key is missing") for p in problems_of(data))


def test_a_population_distance_needs_a_raster():
    data = copy.deepcopy(BUNDLED)
    data["border"]["distance_origin"] = "population"
    del data["raster"]["population"]
    assert problems_of(data) == ['[border] distance_origin = "population": the population-weighted distance needs '
                                 'a population raster; set [raster] population = "<GeoTIFF>" or choose '
                                 'distance_origin = "inside_point"']


def test_the_geometric_mean_advice_works_when_applied_and_names_the_next_key():
    """The fix each message names, applied, gets the study past that problem (no circular advice)."""
    data = copy.deepcopy(BUNDLED)
    data["index"]["aggregation"] = "geometric"
    first = problems_of(data)
    assert len(first) == 1 and "set [index] scale = [1, 100]" in first[0]
    data["index"]["scale"] = [1, 100]
    second = problems_of(data)
    assert len(second) == 1
    assert second[0].startswith('[robustness] normalisations = ["minmax", "zscore", "rank"]: the scenario zscore x '
                                "geometric cannot be computed")
    assert second[0].endswith('drop "zscore" from [robustness] normalisations')
    data["robustness"]["normalisations"] = ["minmax", "rank"]
    study = study_from_dict(data, folder=FOLDER)
    assert study.index.aggregation == "geometric" and study.robustness.normalisations == ("minmax", "rank")


def test_robustness_over_one_component_says_it_tests_nothing():
    data = copy.deepcopy(BUNDLED)
    data["index"]["components"] = data["index"]["components"][:1]
    data["robustness"]["normalisations"] = []
    study = study_from_dict(data, folder=FOLDER)
    assert any("varies nothing and tests nothing" in note for note in study.notes)


def test_the_study_is_built_and_checked_from_python_too():
    study = load_study()
    with pytest.raises(SpecError, match=r'\[raster\] within_km = "x": expected a distance in km'):
        dataclasses.replace(study.raster, within_km="x")
    changed = study.with_values({"robustness.draws": 10, "index.normalisation": "rank", "typology.k": 1.0})
    assert (changed.robustness.draws, changed.index.normalisation, changed.typology.kwargs["k"]) == (10, "rank", 1.0)
    with pytest.raises(SpecError, match=r"\[robustness\] draw = 5: unknown key; did you mean 'draws'"):
        study.with_values({"robustness.draw": 5})


def test_relative_paths_resolve_against_the_study_folder(tmp_path):
    study = study_from_dict(BUNDLED, folder=tmp_path)
    assert study.regions.path == (tmp_path / "regions.gpkg").resolve()
    assert study.raster.population == (tmp_path / "population_gpw_v4_2000_15min.tif").resolve()


def test_files_without_a_study_need_an_indicator_table_too(tmp_path):
    with pytest.raises(UsageError, match="--regions without a study file needs --indicators too"):
        files_study(load_study(), regions=tmp_path / "r.gpkg", from_file=False)
    study = files_study(load_study(), regions=tmp_path / "r.gpkg", indicators=tmp_path / "i.csv", from_file=False)
    assert study.focus_country is None and study.gaps.published is None and study.raster.population is None


def test_every_key_is_documented_in_the_readme():
    readme = Path(__file__).resolve().parents[1].joinpath("README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Study file"):]
    for name, spec in SECTIONS.items():
        for key in spec.keys():
            assert re.search(rf"`\[{name}\]`[^\n]*(\n  [^\n]*)*`{key}`", section), f"[{name}] {key} not in README"


def test_click_options_share_the_study_ranges():
    runner = CliRunner()
    for args in (["index", "--draws", "-5"], ["index", "--draws", "1"], ["gaps", "--permutations", "0"],
                 ["border", "--within-km", "0"], ["border", "--resolution", "0"]):
        result = runner.invoke(cli, args, obj={})
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and "as [" in result.output


# -- property: any value of any TOML type in any key: a study or one clean error ---------------------------

TOML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
              st.text(max_size=12), st.dates(), st.datetimes(), st.just(datetime.time(12, 0))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
ALL_KEYS = [(name, key) for name, spec in SECTIONS.items() for key in spec.keys()] + [
    ("index", key) for key in ("year", "normalisation", "aggregation", "weighting", "min_share", "imputation",
                               "reference", "scale", "components")] + [("typology", key) for key in (
                                   "method", "k", "labels", "upper", "lower", "cuts")]
COMPONENT_KEYS = ("name", "indicators", "direction", "weight", "unit", "transform", "year_rule", "year", "window",
                  "goalposts", "reference")


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_KEYS), TOML_VALUES)
def test_any_value_of_any_key_gives_a_study_or_a_clean_message(where, value):
    section, key = where
    data = copy.deepcopy(BUNDLED)
    if value is None:
        data.get(section, {}).pop(key, None)
    else:
        data.setdefault(section, {})[key] = value
    try:
        study = study_from_dict(data, folder=FOLDER)
    except BorderlandError as exc:
        assert str(exc).strip()
    else:
        assert isinstance(study, Study)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(COMPONENT_KEYS), TOML_VALUES)
def test_any_value_of_any_component_key_gives_a_study_or_a_clean_message(key, value):
    data = copy.deepcopy(BUNDLED)
    data["index"]["components"][0][key] = value
    try:
        study_from_dict(data, folder=FOLDER)
    except BorderlandError as exc:
        assert str(exc).strip()


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([*list(SECTIONS), "index", "typology"]), TOML_VALUES)
def test_any_value_in_place_of_a_section_gives_a_clean_message(section, value):
    data = copy.deepcopy(BUNDLED)
    data[section] = value
    try:
        study_from_dict(data, folder=FOLDER)
    except BorderlandError as exc:
        assert str(exc).strip()
