"""One hostile study through every command: data text stays text wherever it lands.

The six-square strip with hostile text in every field a user's data or study file can fill:
region names and codes, indicator names, units, sources, notes and definitions, the component's
name, unit and definition, the study's title, the credits, country names, published trade rows,
and the output files' names. Each payload would do something if it were not escaped: HTML and
script (``<script>``, ``onerror``), JavaScript string breakers (quotes, backtick, ``${}``,
U+2028), Jinja (``{{ 7*7 }}``, ``{% raw %}``), spreadsheet formulas (``=``, ``+``, ``-``, ``@``),
terminal escapes (colours, OSC 8 links, carriage return, bell, bidi override) and XML breakers
(``]]>``, ``&``, ``<``). Every command runs on it, and each output is read back where the text
lands: the terminal, the HTML pages (parsed; one opened in headless Chromium), the data the pages
decode, the QML styles and metadata of the GeoPackages (parsed as XML), and the CSV files.

Focused tests of each writer live with it (test_maps_browser.py, test_maps_trend.py,
test_catalogue.py's terminal cases, test_specs.py's ``printable``); this is the whole path.
"""

from __future__ import annotations

import csv
import html
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from catalogue_support import invoke, write_toml
from conftest import KM, X0, Y0, strip_world
from mapworld import control, data_var, decode_years, parse
from test_maps_browser import chromium, console_errors, render  # noqa: F401  (chromium: a fixture)

#: Every payload at once; the study file cannot hold U+007F (TOML), the data files get it too.
ALL = ("<script>alert(1)</script>\"><img src=x onerror=alert(2)>'`${x}{{ 7*7 }}{% raw %}]]>&<"
       "\u2028\u2029\x1b[31m\x1b]8;;http://x\x1b\\\r\u202e\x07")
DATA = ALL + "\x7f"
NAMES = ['=HYPERLINK("http://x","y")' + DATA, "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1" + DATA, DATA,
         "L" * 3000 + DATA]
CODES = ["A0<b>", "A1{{7*7}}", "=A2", "B3\u202e", "+B4'\"", "@B5]]>&"]
INDICATOR = "acc<script>alert(3)</script>{{ 7*7 }}"
COMPONENT = "comp" + ALL
TITLE = "=T" + ALL
MAP_FILE = "map<b>'{{x}}.html"
GEOPACKAGE = "gp&<]]>.gpkg"
#: What must not reach a terminal: escape, carriage return, bell, delete, bidi override, line separators.
RAW = ("\x1b", "\r", "\x07", "\x7f", "\u202e", "\u2028", "\u2029")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def hostile_study(folder: Path) -> Path:
    folder.mkdir(parents=True)
    layer = strip_world().assign(region_id=CODES, name=NAMES)
    layer.to_file(folder / "regions.gpkg", engine="pyogrio")
    rows = [row for year in (2019, 2020) for i, code in enumerate(CODES) for row in (
        {"region_id": code, "indicator": INDICATOR, "year": year, "value": 40.0 + 10 * i + year - 2019,
         "unit": "%<img src=x onerror=alert(4)>", "source": '=HYPERLINK("x")' + DATA, "note": "@note" + DATA,
         "definition": "def" + DATA},
        {"region_id": code, "indicator": "population", "year": year, "value": 1000.0 * (i + 1), "unit": "persons",
         "source": "src" + DATA, "note": "", "definition": ""})]
    pd.DataFrame(rows).to_csv(folder / "table.csv", index=False)
    gpd.GeoDataFrame({"country": ["AA", "BB"], "name": ["Aland" + DATA, "=Bland" + DATA]},
                     geometry=[shapely.box(X0 - KM, Y0 - 2 * KM, X0 + 3 * KM, Y0 + 2 * KM),
                               shapely.box(X0 + 3 * KM, Y0 - 2 * KM, X0 + 7 * KM, Y0 + 2 * KM)],
                     crs="EPSG:3035").to_file(folder / "countries.gpkg", engine="pyogrio", layer="countries")
    pd.DataFrame([
        {"subject": CODES[0], "partner": CODES[3], "indicator": "exports", "year": 2020, "value": 5.0,
         "unit": "=USD" + DATA, "source": "=src" + DATA, "note": "+n" + DATA},
        {"subject": CODES[1], "partner": "BB", "indicator": "goods_exports", "year": 2020, "value": 3.0,
         "unit": "USD", "source": "s" + DATA, "note": "n" + DATA},
    ]).to_csv(folder / "published.csv", index=False)
    return write_toml(folder / "study.toml", {
        "study": {"title": TITLE, "focus_country": "AA", "countries": "countries.gpkg",
                  "countries_layer": "countries"},
        "regions": {"path": "regions.gpkg"},
        "indicators": {"path": "table.csv"},
        "index": {"year": 2020, "components": [{"name": COMPONENT, "indicators": [INDICATOR], "unit": "%" + ALL,
                                                "definitions": {INDICATOR: "what" + ALL}}]},
        "gaps": {"permutations": 9, "population_indicator": "population", "published": "published.csv"},
        "trade": {"published": "published.csv"},
        "attribution": {"lines": ["=cred" + ALL, "plain"]},
        "outputs": {"map": MAP_FILE, "geopackage": GEOPACKAGE},
        "trend": {"min_regions_per_side": 2},
    })


#: Each command with its options (``--out`` added), as run on the hostile study.
COMMANDS = {
    "validate": [], "run": [], "index": [], "border": [], "gaps": [], "flows": [], "map": [], "trend": [],
    "report": ["--lang", "ru"], "export": ["--format", "gpkg,geoparquet,geojson,csv"],
}


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The hostile study's folder, and each command's terminal output (every command ran on it)."""
    root = tmp_path_factory.mktemp("hostile")
    study = hostile_study(root / "study")
    outputs = {}
    for command, options in COMMANDS.items():
        out = [] if command == "validate" else ["--out", root / command]
        result = invoke(command, study, *out, *options)
        assert result.exit_code == 0, f"{command}: {result.output}"
        outputs[command] = result.output
    outputs["datasets"] = invoke("datasets").output
    return root, outputs


def test_no_raw_control_or_bidi_character_reaches_the_terminal(ran):
    _, outputs = ran
    for command, output in outputs.items():
        assert not [c for c in RAW if c in output], f"{command}: {output!r}"
    # the text is shown, escaped, not dropped
    assert "\\u001b[31m" in outputs["run"] and "\\u202e" in outputs["run"] and "{{ 7*7 }}" in outputs["run"]


def test_an_error_quoting_a_hostile_value_is_escaped(tmp_path):
    study = hostile_study(tmp_path / "study")
    table = pd.read_csv(tmp_path / "study" / "table.csv")
    table.loc[0, "value"] = 1000.0  # a percentage above 100: the message quotes the unit, the code and the indicator
    table.to_csv(tmp_path / "study" / "table.csv", index=False)
    result = invoke("run", study, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "outside 0-100" in result.output
    assert not [c for c in RAW if c in result.output], repr(result.output)


def pages(root: Path) -> dict[str, str]:
    found = {"run": root / "run" / MAP_FILE, "map": root / "map" / MAP_FILE, "trend": root / "trend" / "trend_map.html",
             "report": root / "report" / "borderland_report_ru.html"}
    return {name: path.read_text(encoding="utf-8") for name, path in found.items()}


def test_pages_hold_no_element_or_script_from_the_data(ran):
    root, _ = ran
    for name, page in pages(root).items():
        parsed = parse(page)
        injected = [(tag, attrs) for tag, attrs in parsed.tags
                    if tag == "img" or (tag == "script" and attrs.get("src")) or tag == "b"
                    or any(key.startswith("on") for key in attrs)]
        assert injected == [], name
        # Jinja syntax in the data is text: nothing rendered it (7*7 would be 49)
        assert "{{ 7*7 }}" in parsed.text and "{% raw %}" in parsed.text, name
        assert html.unescape(TITLE.replace("\r", "")) not in page  # the title is escaped, not pasted
        for script in re.findall(r"<script[^>]*>(.*?)</script>", page, re.S):
            assert not [c for c in ("\u2028", "\u2029") if c in script], name


def test_the_layer_control_names_the_component_as_it_is(ran):
    # folium's LayerControl compiled its output, the layers' names, as a Jinja template: a component named
    # "{% raw %}" stopped the run, one named "{{ 7*7 }}" was listed as 49
    root, _ = ran
    page = pages(root)["map"]
    bases, overlays = control(page)
    assert any(name.startswith(COMPONENT) for name in bases), bases
    assert any(name.startswith("Trade: exports (=USD" + DATA) for name in overlays), overlays  # a published flow's unit


def test_the_pages_data_decodes_to_the_names_and_codes(ran):
    root, _ = ran
    for name in ("run", "map"):
        features = data_var(pages(root)[name], "region_data")["features"]
        assert [f["properties"]["name"] for f in features] == NAMES
        assert [f["properties"]["region_id"] for f in features] == CODES
    drawn = decode_years(pages(root)["trend"])
    assert sorted(drawn) == [2019, 2020]


def xml_documents(path: Path) -> list[tuple[str, str]]:
    """The QML styles and XML metadata of a GeoPackage: (what, document)."""
    with sqlite3.connect(path) as conn:
        styles = [(f"{layer}/{name}", qml.split("\n", 1)[1])
                  for layer, name, qml in conn.execute("SELECT f_table_name, styleName, styleQML FROM layer_styles")]
        metadata = [(f"metadata {i}", text) for i, mime, text in conn.execute(
            "SELECT id, mime_type, metadata FROM gpkg_metadata") if "xml" in mime]
    return styles + metadata


def test_qml_styles_and_metadata_are_xml_that_keeps_the_text(ran):
    # ElementTree wrote a control character of a column's name as it was: not XML, and QGIS refused the style
    # (and `trend`, which reads its styles back, stopped)
    root, _ = ran
    packages = [root / "run" / GEOPACKAGE, root / "trend" / "trend.gpkg", root / "index" / "index.gpkg",
                root / "gaps" / "gaps.gpkg", root / "export" / GEOPACKAGE]
    aliases = []
    for path in packages:
        for what, document in xml_documents(path):
            try:
                parsed = ET.fromstring(document)
            except ET.ParseError as error:
                raise AssertionError(f"{path.name}, {what}: not XML ({error})") from None
            aliases += [a.get("field") for a in parsed.iter("alias")]
    # the component's name as a field name: markup and ]]> kept, only what XML cannot hold written as \uXXXX
    assert COMPONENT.replace("\x1b", "\\u001b").replace("\x07", "\\u0007") in aliases


def test_csv_cells_are_not_formulas_and_the_other_formats_keep_the_text(ran):
    root, _ = ran
    folder = root / "export"
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as file:
            for row in csv.reader(file):
                for cell in row:
                    if cell.startswith(FORMULA):
                        float(cell)  # only a number may start so (-0.2)
    regions = pd.read_csv(folder / "regions.csv", keep_default_na=False)
    assert list(regions["name"]) == [("'" + n if n.startswith(FORMULA) else n) for n in NAMES]
    assert list(regions["region_id"]) == ["A0<b>", "A1{{7*7}}", "'=A2", "B3\u202e", "'+B4'\"", "'@B5]]>&"]
    # GeoJSON and GeoParquet (and the GeoPackage) are for joining: every code and name as it is
    geojson = json.loads((folder / "regions.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["region_id"] for f in geojson["features"]] == CODES
    assert list(pd.read_parquet(folder / "regions.parquet")["name"]) == NAMES


@pytest.mark.browser
def test_the_map_opens_in_a_browser_with_the_names_as_text(ran, chromium):  # noqa: F811
    root, _ = ran
    dom, dumped, log = render(chromium, root / "map" / MAP_FILE)
    assert console_errors(log) == []
    assert [a for tag, a in dom.elements if tag in ("img", "b") or any(k.startswith("on") for k in a)] == []
    assert dom.title.startswith("=T<script>alert(1)</script>\"><img src=x onerror=alert(2)>")  # as text
    # the component's name in the layer control, and the credit, shown as text
    assert html.escape("comp<script>alert(1)</script>\"><img src=x onerror=alert(2)>", quote=False) in dumped
    assert html.escape("=cred<script>alert(1)</script>", quote=False) in dumped
