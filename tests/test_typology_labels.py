"""A study's own typology labels, from ``validate`` through ``run`` and ``report`` to every output.

``[typology] labels`` names the classes, best first; ``validate`` said ``run`` would pass and
``run`` stopped at the map, which knew only leader / moderate / lagging. Here the six-square
strip (index 0, 0.2, 0.4 | 0.8, 1, 0.6) runs with three labels of its own (mean +- 0.5 sd: cuts
0.5 -+ 0.187, so A0 A1 low, A2 B5 mid, B3 B4 high) and with five quantile labels, the best of
them hostile text, and each output is read back: the map's decoded features and legend, the QML
category of the GeoPackage's typology style, and the report's table and rank chart.
"""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from catalogue_support import invoke, strip_study
from mapworld import Tags, data_var, legend_text, parse

from borderland import maps
from borderland.maps.qgis import qgis_colour
from borderland.typology import classify

THREE = ["high", "mid", "low"]
#: Markup, Jinja and XML breakers: the map, the styles and the report must show it as it is.
HOSTILE = "<b>top</b>{{ 7*7 }}{% raw %}]]>&"
FIVE = [HOSTILE, "q2", "q3", "q4", "q5"]
CODES = ["A0", "A1", "A2", "B3", "B4", "B5"]


def _ran(root: Path, typology: dict) -> Path:
    """The strip study with ``[typology]`` as given and class probabilities: validate, run and report exit 0."""
    study = strip_study(root / "study", change=lambda data: data.update(typology=typology,
                                                                        robustness={"draws": 20}))
    for command, out in (("validate", []), ("run", ["--out", root / "run"]), ("report", ["--out", root / "report"])):
        result = invoke(command, study, *out)
        assert result.exit_code == 0, f"{command}: {result.output}"
    return root


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> Path:
    return _ran(tmp_path_factory.mktemp("three"), {"labels": THREE})


@pytest.fixture(scope="module")
def five(tmp_path_factory) -> Path:
    return _ran(tmp_path_factory.mktemp("five"), {"method": "quantiles", "labels": FIVE})


def _features(root: Path) -> dict[str, dict]:
    page = (root / "run" / "borderland_map.html").read_text(encoding="utf-8")
    return {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}


def _typology_style(root: Path) -> ET.Element:
    with sqlite3.connect(root / "run" / "borderland.gpkg") as conn:
        (qml,) = conn.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'regions' "
                              "AND styleName = 'typology'").fetchone()
    return ET.fromstring(qml.split("\n", 1)[1])


def _categories(root: Path) -> list[tuple[str, str, str]]:
    """(value, label, fill) of each category of the typology style."""
    renderer = _typology_style(root).find("renderer-v2")
    symbols = {s.get("name"): s.find("layer/prop[@k='color']").get("v") for s in renderer.find("symbols")}
    return [(c.get("value"), c.get("label"), symbols[c.get("symbol")]) for c in renderer.iter("category")]


def _report(root: Path) -> tuple[str, Tags]:
    page = (root / "report" / "borderland_report_en.html").read_text(encoding="utf-8")
    return page, parse(page)


def test_three_labels_of_its_own_reach_the_map(three):
    colours = {"high": "#7fbf7b", "mid": "#f7f7f7", "low": "#af8dc3"}  # PRGn, three classes, best green
    assert dict(maps.typology_colours(THREE)) == colours
    features = _features(three)
    expected = dict(zip(CODES, ["low", "low", "mid", "high", "high", "mid"], strict=True))
    assert {code: features[code]["typology"] for code in CODES} == expected
    assert {code: features[code]["typology_fill"] for code in CODES} == {c: colours[t] for c, t in expected.items()}
    page = (three / "run" / "borderland_map.html").read_text(encoding="utf-8")
    assert "|Typology|high (2)|mid (2)|low (2)|no data (0)|" in legend_text(page)


def test_three_labels_of_its_own_name_the_qgis_categories(three):
    assert _categories(three) == [(label, label, qgis_colour(colour, 0.85)) for label, colour in
                                  (("high", "#7fbf7b"), ("mid", "#f7f7f7"), ("low", "#af8dc3"))] + [
        ("", "no data", qgis_colour(maps.NO_DATA_COLOUR, 0.85))]


def test_three_labels_of_its_own_in_the_report(three):
    page, _ = _report(three)
    regions = gpd.read_file(three / "run" / "borderland.gpkg", layer="regions").set_index("region_id")
    assert regions.loc[CODES, "typology"].tolist() == ["low", "low", "mid", "high", "high", "mid"]
    # the typology table: each region with its class, as given (the report translates only the default three)
    for label in THREE:
        assert re.search(rf"<td[^>]*>{label}</td>", page), label
    assert not {"leader", "moderate", "lagging"} & set(re.findall(r"<td[^>]*>(\w+)</td>", page))
    # the rank chart's legend, best first, in the map's colours
    chart = re.search(r'<svg[^>]*id="chart-ranks".*?</svg>', page, re.S)
    assert chart, "no rank chart"
    legend = [(re.sub(r"\s+", " ", label).strip(), colour) for colour, label in
              re.findall(r'<circle [^>]*fill="(#[0-9a-f]{6})"[^>]*></circle><text[^>]*>([^<]*)</text>',
                                         chart.group(0))]
    assert legend[:3] == list(maps.typology_colours(THREE).items())


def test_five_quantile_labels_reach_every_output(five):
    regions = gpd.read_file(five / "run" / "borderland.gpkg", layer="regions").set_index("region_id")
    # the map shows the run's classes: quantiles of the index into the five labels
    expected = classify(regions.loc[CODES, "index"], "quantiles", labels=FIVE)
    assert regions.loc[CODES, "typology"].tolist() == expected.tolist() == ["q5", "q5", "q3", HOSTILE, HOSTILE, "q2"]
    colours = dict(maps.typology_colours(FIVE))
    assert list(colours.values()) == ["#008837", "#a6dba0", "#f7f7f7", "#c2a5cf", "#7b3294"]  # PRGn 5, best green
    features = _features(five)
    assert [features[code]["typology"] for code in CODES] == expected.tolist()
    assert [features[code]["typology_fill"] for code in CODES] == [colours[t] for t in expected]
    assert _categories(five)[:-1] == [(label, label, qgis_colour(colours[label], 0.85)) for label in FIVE]


def test_a_hostile_label_is_shown_as_text(five):
    # the QML is XML that keeps the label (parsed above), the map's data carries it as it is
    assert HOSTILE in [value for value, _, _ in _categories(five)]
    page = (five / "run" / "borderland_map.html").read_text(encoding="utf-8")
    assert f"|{HOSTILE} (" in legend_text(page)
    assert "b" not in [tag for tag, _ in parse(page).tags]
    report, text = _report(five)
    assert "b" not in [tag for tag, _ in text.tags]  # no element from the label
    assert HOSTILE in text.text  # Jinja did not render it (7*7 would be 49) and markup is text
    assert "<b>top</b>" not in report


def test_validate_refuses_a_label_count_the_rule_cannot_make_and_the_fix_runs(tmp_path):
    # mean +- k sd makes three classes: five labels are refused before any computing, naming the fix
    study = strip_study(tmp_path / "study", change=lambda data: data.update(typology={"labels": FIVE}))
    for command, out in (("validate", []), ("run", ["--out", tmp_path / "run"])):
        result = invoke(command, study, *out)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "mean_sd makes 3 classes, so it needs 3 labels, found 5" in result.output, result.output
    assert not (tmp_path / "run" / "borderland_map.html").exists()
    # the fix: a rule that makes one class per label
    fixed = strip_study(tmp_path / "fixed", change=lambda data: data.update(
        typology={"method": "quantiles", "labels": FIVE}))
    assert invoke("validate", fixed).exit_code == 0
    assert invoke("run", fixed, "--out", tmp_path / "fixed_run").exit_code == 0
    assert pd.notna(gpd.read_file(tmp_path / "fixed_run" / "borderland.gpkg", layer="regions")["typology"]).all()
