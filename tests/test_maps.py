"""Tests of borderland.maps on a tiny world checked by structure.

The world: six 10 km squares in EPSG:3035, three in country AA (south row) and three in BB
(north row), so that the state border is the straight line between the rows and each
column is one cross-border pair.

    BB:  B0 (0.2)   B1 (0.6)   B2 (0.1)
    ------------------------------------  state border, 30 km
    AA:  A0 (0.9)   A1 (0.5)   A2 (no data)
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon, box

from borderland import maps
from borderland.errors import CRSError, OutputError, SchemaError

REPO = Path(__file__).resolve().parents[1]
X0, Y0, SIDE = 4_300_000.0, 3_200_000.0, 10_000.0
CODES = ["A0", "A1", "A2", "B0", "B1", "B2"]
INDEX = [0.9, 0.5, np.nan, 0.2, 0.6, 0.1]
TYPOLOGY = ["leader", "moderate", None, "lagging", "moderate", "lagging"]
ATTRIBUTION = ["© EuroGeographics for the administrative boundaries"]

HOSTILE = {
    "img": "<img src=x onerror=alert(1)>",
    "script": "</script><script>alert(1)</script>",
    "template": "`${alert(1)}`",
    "quotes": "\"q' O'Brien\"",
}


def make_world(names: list[str] | None = None, countries_named: tuple[str, str] = ("AA", "BB")):
    names = names or ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
    aa, bb = countries_named
    geoms = [box(X0 + c * SIDE, Y0 + r * SIDE, X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)
             for r in range(2) for c in range(3)]
    regions = gpd.GeoDataFrame(
        {
            "name": names,
            "country": [aa] * 3 + [bb] * 3,
            "index": INDEX,
            "typology": TYPOLOGY,
            "border_distance_km": [5.0] * 6,
            "border_order": pd.array([1, 1, 1, 1, 1, pd.NA], dtype="Int64"),
        },
        geometry=geoms, crs="EPSG:3035", index=pd.Index(CODES, name="region_id"),
    )
    border = gpd.GeoDataFrame(
        {"country_a": [aa], "country_b": [bb], "length_km": [30.0]},
        geometry=[LineString([(X0, Y0 + SIDE), (X0 + 3 * SIDE, Y0 + SIDE)])], crs="EPSG:3035",
    )
    rows = []
    for c in range(3):  # the three cross-border pairs, a in AA and b in BB
        gap = INDEX[c] - INDEX[3 + c]
        rows.append({
            "region_a": CODES[c], "region_b": CODES[3 + c], "name_a": names[c], "name_b": names[3 + c],
            "country_a": aa, "country_b": bb, "cross_border": True, "shared_border_km": 10.0,
            "gap": gap, "abs_gap": abs(gap),
            "geometry": LineString([(X0 + c * SIDE, Y0 + SIDE), (X0 + (c + 1) * SIDE, Y0 + SIDE)]),
        })
    for r, first in ((0, 0), (1, 3)):  # pairs within a country: never drawn as gaps
        for c in range(2):
            a, b = first + c, first + c + 1
            gap = INDEX[a] - INDEX[b]
            rows.append({
                "region_a": CODES[a], "region_b": CODES[b], "name_a": names[a], "name_b": names[b],
                "country_a": regions["country"].iloc[a], "country_b": regions["country"].iloc[b],
                "cross_border": False, "shared_border_km": 10.0, "gap": gap, "abs_gap": abs(gap),
                "geometry": LineString([(X0 + (c + 1) * SIDE, Y0 + r * SIDE),
                                        (X0 + (c + 1) * SIDE, Y0 + (r + 1) * SIDE)]),
            })
    pairs = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3035")
    countries = gpd.GeoDataFrame(
        {"country": [aa, bb]},
        geometry=[box(X0 - SIDE, Y0 - SIDE, X0 + 4 * SIDE, Y0 + SIDE),
                  box(X0 - SIDE, Y0 + SIDE, X0 + 4 * SIDE, Y0 + 3 * SIDE)],
        crs="EPSG:3035",
    )
    return regions, border, pairs, countries


def build(world=None, **options) -> str:
    regions, border, pairs, countries = world or make_world()
    options.setdefault("title", "Digital divide AA–BB")
    options.setdefault("attribution", ATTRIBUTION)
    return maps.map_html(maps.divide_map(regions, border, pairs, countries=countries, **options))


@pytest.fixture(scope="module")
def page() -> str:
    return build()


DEPTHS = {"LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}


def decode(geometry: dict, scale: int) -> dict:
    """A geometry of the page back to GeoJSON: each line is x0, y0, dx1, dy1, ... in 1/scale degree."""

    def line(steps):
        xs, ys = np.cumsum(steps[0::2]), np.cumsum(steps[1::2])
        return [[x / scale, y / scale] for x, y in zip(xs.tolist(), ys.tolist(), strict=True)]

    def walk(coordinates, depth):
        return line(coordinates) if depth == 1 else [walk(part, depth - 1) for part in coordinates]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"], DEPTHS[geometry["type"]])}


def data_raw(page: str, name: str) -> dict:
    """The encoded features assigned to the JavaScript variable ``<name>_<n>``."""
    match = re.search(rf"var {name}_\w+ = helpers_\w+_decode\((\{{.*?\}})\);\n", page)
    assert match, f"no variable {name} in the page"
    return json.loads(match.group(1))


def data_var(page: str, name: str) -> dict:
    """The GeoJSON the page draws from the variable ``<name>_<n>`` (geometries decoded)."""
    raw = data_raw(page, name)
    return {"features": [{**f, "geometry": decode(f["geometry"], raw["scale"])} for f in raw["features"]]}


def data_vars(page: str, name: str) -> list[dict]:
    """Every variable ``<name>_<n>`` (e.g. one per trade layer), in page order."""
    found = re.findall(rf"var {name}_\w+ = helpers_\w+_decode\((\{{.*?\}})\);\n", page)
    return [json.loads(f) for f in found]


def legend(page: str) -> str:
    match = re.search(r'<div class="borderland-legend[^>]*>(.*)</div>\s*</body>', page, re.S)
    assert match
    return match.group(1)


def legend_text(page: str) -> str:
    """The legend as text, each row between bars: ``|leader (1)|``."""
    return html.unescape(re.sub(r"(<[^>]+>)+", "|", legend(page)))


def control(page: str) -> tuple[list[str], list[str]]:
    """Base layers and overlays of the layer control, by name."""
    match = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", page, re.S)
    assert match
    return tuple([html.unescape(json.loads(name)) for name in re.findall(r'("(?:[^"\\]|\\.)*") :', part)]
            for part in match.groups())


class Tags(HTMLParser):
    """Start tags with their attributes, and the text of each script and style element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


# -- content -----------------------------------------------------------------------------------


def test_layers_in_layer_control(page):
    base, overlays = control(page)
    assert base == ["Digitalisation index", "Typology", "Border rings"]
    assert overlays == ["Countries", "State border", "Cross-border gaps"]


def test_countries_layer_only_when_given():
    regions, border, pairs, _ = make_world()
    page = build((regions, border, pairs, None))
    assert "Countries" not in control(page)[1]
    assert "CountryData" not in page and "country_data_" not in page


def test_index_layer_has_one_feature_per_region(page):
    regions = data_var(page, "region_data")
    assert [f["properties"]["region_id"] for f in regions["features"]] == CODES
    assert {f["geometry"]["type"] for f in regions["features"]} == {"Polygon"}


def test_region_data_is_written_once_for_every_region_layer(page):
    # three region layers (index, typology, rings) draw the same variable
    assert len(data_vars(page, "region_data")) == 1
    assert len(re.findall(r"L\.geoJson\(region_data_\w+,", page)) == 3


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A0", {"name": "Alpha", "country": "AA", "index": "0.900", "typology": "leader",
                "border_distance_km": "5.0 km", "border_order": "1"}),
        ("A2", {"name": "Gamma", "index": "no data", "typology": "no data"}),
        ("B2", {"index": "0.100", "typology": "lagging", "border_order": "no data"}),
    ],
    ids=["with-data", "no-data", "no-border-order"],
)
def test_region_tooltip_values(page, code, expected):
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    assert {key: props[code][key] for key in expected} == expected


def test_tooltip_fields(page):
    fields = re.findall(r"return helpers_\w+_tooltip\(feature\.properties, (\[\[.*?\]\])\);", page)
    region_fields = json.loads(fields[0])
    assert [label for label, _ in region_fields] == [
        "Region", "Code", "Country", "Index", "Typology", "Distance to border", "Border order"]
    assert fields[0] == fields[1] == fields[2]  # typology and rings show the same tooltip
    props = data_var(page, "region_data")["features"][0]["properties"]
    assert all(key in props for _, key in region_fields)


def test_index_classes_and_legend(page):
    # quantiles of 0.1, 0.2, 0.5, 0.6, 0.9 (linear interpolation): 0.18, 0.38, 0.54, 0.66, 0.9
    text = legend_text(page)
    for label in ["0.100 – 0.180 (1)", "0.180 – 0.380 (1)", "0.380 – 0.540 (1)", "0.540 – 0.660 (1)",
                  "0.660 – 0.900 (1)", "no data (1)", "quantiles, 5 classes",
                  # typology: A0 leads; A1, B1 moderate; B0, B2 lagging; A2 none
                  "leader (1)", "moderate (2)", "lagging (2)", "land border between states",
                  "line width ∝ |index difference|", "0.700", "0.350", "0.175",
                  "AA side leads", "BB side leads"]:
        assert f"|{label}|" in text, label
    fills = {f["properties"]["region_id"]: f["properties"]["index_fill"]
             for f in data_var(page, "region_data")["features"]}
    palette = maps.palette_colours("YlGnBu", 5)
    assert palette == ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu 5
    assert fills == {"B2": palette[0], "B0": palette[1], "A1": palette[2], "B1": palette[3], "A0": palette[4],
                     "A2": maps.NO_DATA_COLOUR}


def test_no_data_is_not_drawn_as_the_lowest_class(page):
    regions = data_var(page, "region_data")["features"]
    features = {f["properties"]["region_id"]: f["properties"] for f in regions}
    lowest = features["B2"]  # index 0.1, the minimum
    missing = features["A2"]
    assert missing["index_fill"] == maps.NO_DATA_COLOUR != lowest["index_fill"]
    assert missing["typology_fill"] == maps.NO_DATA_COLOUR not in maps.TYPOLOGY_COLOURS.values()
    assert missing["index"] == "no data" and "0.000" not in json.dumps(missing)


def test_natural_breaks_scheme_and_fewer_distinct_values():
    regions, border, pairs, countries = make_world()
    regions["index"] = [0.3, 0.3, np.nan, 0.7, 0.7, 0.3]
    page = build((regions, border, pairs, countries), scheme="natural_breaks")
    text = html.unescape(legend(page))
    assert "natural breaks, 2 classes" in text
    assert "0.300 – 0.300 (3)" in text and "0.300 – 0.700 (2)" in text


def test_unknown_scheme_lists_the_choices():
    with pytest.raises(SchemaError, match=r"unknown classification scheme 'jenks'; choose one of "
                                          r"\['equal_interval', 'natural_breaks', 'quantiles'\]"):
        build(scheme="jenks")


def test_palette_applies_to_the_classed_layers():
    page = build(palette="Greens", k=3)
    fills = {f["properties"]["index_fill"] for f in data_var(page, "region_data")["features"]}
    assert fills == {*maps.palette_colours("Greens", 3), maps.NO_DATA_COLOUR}


def test_unknown_palette_lists_the_choices():
    with pytest.raises(SchemaError, match=r"unknown palette 'Rainbow'; choose one of \[.*'YlGnBu'.*\] "
                                          r"\(add _r to reverse one\)"):
        build(palette="Rainbow")


def test_qualitative_palettes_are_refused():
    with pytest.raises(SchemaError, match=r"unknown palette 'Set2'"):
        maps.palette_colours("Set2", 3)


@pytest.mark.parametrize(("n", "expected"), [(1, ("#7fcdbb",)), (2, ("#edf8b1", "#2c7fb8"))], ids=["one", "two"])
def test_palettes_below_three_classes_come_from_the_three_class_one(n, expected):
    assert maps.palette_colours("YlGnBu", 3) == ("#edf8b1", "#7fcdbb", "#2c7fb8")
    assert maps.palette_colours("YlGnBu", n) == expected


def test_all_regions_without_data():
    regions, border, pairs, countries = make_world()
    regions["index"] = np.nan
    pairs["gap"] = pairs["abs_gap"] = np.nan
    page = build((regions, border, pairs, countries))
    fills = {f["properties"]["index_fill"] for f in data_var(page, "region_data")["features"]}
    assert fills == {maps.NO_DATA_COLOUR}
    assert "no data (6)" in legend(page)
    assert data_var(page, "gap_data")["features"] == []
    assert "no cross-border pair with data on both sides" in legend(page)


def test_empty_border_and_pairs():
    regions, _, pairs, _ = make_world()
    no_border = gpd.GeoDataFrame({c: [] for c in ["country_a", "country_b", "length_km"]}, geometry=[])
    page = build((regions, no_border, pairs.iloc[:0], None))
    assert data_var(page, "border_data")["features"] == data_var(page, "gap_data")["features"] == []
    assert len(data_var(page, "region_data")["features"]) == 6


def test_gap_lines_only_cross_border_with_data(page):
    gaps = data_var(page, "gap_data")["features"]
    # column 2 has no data on the AA side; the four pairs within a country are never drawn
    assert len(gaps) == 2
    first, second = (f["properties"] for f in gaps)
    assert first["tooltip"] == "Alpha – Delta: gap +0.700 (AA side leads), 10.0 km shared border"
    assert second["tooltip"] == "Beta – Epsilon: gap -0.100 (BB side leads), 10.0 km shared border"
    assert first["weight"] == maps.GAP_MAX_WIDTH_PX
    assert second["weight"] == pytest.approx(maps.GAP_MAX_WIDTH_PX * 0.1 / 0.7, abs=0.01)
    assert first["color"] != second["color"]


def test_state_border_layer(page):
    border = data_var(page, "border_data")["features"]
    assert len(border) == 1
    assert border[0]["properties"]["tooltip"] == "AA – BB state border: 30.0 km"
    assert border[0]["geometry"]["type"] == "LineString"


def test_fits_bounds_to_regions(page):
    regions = make_world()[0].to_crs(4326)
    west, south, east, north = regions.total_bounds
    match = re.search(r"map_\d+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert match
    (s, w), (n, e) = json.loads(match.group(1))
    assert (s, w, n, e) == pytest.approx((south, west, north, east), abs=1e-4)


def test_title_scale_bar_and_attribution(page):
    assert "<title>Digital divide AA–BB</title>" in page
    assert '<div class="borderland-title"' in page
    assert "L.control.scale()" in page
    assert 'addAttribution("© EuroGeographics for the administrative boundaries")' in page


def test_coordinates_rounded_to_precision():
    page = build(precision=2)
    raw = data_raw(page, "region_data")
    assert raw["scale"] == 100  # integer steps of 0.01 degree
    steps = [v for f in raw["features"] for ring in f["geometry"]["coordinates"] for v in ring]
    assert steps and all(isinstance(v, int) for v in steps)


@pytest.mark.parametrize(("max_zoom", "scale"), [(12, 10_000), (8, 1_000)], ids=["zoom-12", "zoom-8"])
def test_precision_follows_the_deepest_zoom(max_zoom, scale):
    # a pixel at zoom z spans 360 / (256 * 2**z) degrees: 8.8e-5 at 12 (4 decimals), 1.4e-3 at 8 (3)
    page = build(max_zoom=max_zoom)
    assert data_raw(page, "region_data")["scale"] == scale
    assert f'"maxZoom": {max_zoom}' in page


def test_encoding_is_shorter_than_decimal_degrees():
    # round regions (a 4 km disc in each square, 65 vertices about 400 m apart), as real outlines are
    regions, border, pairs, _ = make_world()
    regions.geometry = regions.geometry.centroid.buffer(4_000, quad_segs=16)
    page = build((regions, border, pairs, None), simplify_tolerance_m=0)
    raw = data_raw(page, "region_data")
    plain = json.dumps([f["geometry"] for f in data_var(page, "region_data")["features"]], separators=(",", ":"))
    assert len(json.dumps([f["geometry"] for f in raw["features"]], separators=(",", ":"))) < len(plain) / 2


@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=2, max_size=30),
       st.integers(0, 7))
def test_encoding_round_trips_to_the_rounded_coordinates(points, precision):
    scale = 10**precision
    encoded = maps._encode({"type": "LineString", "coordinates": points}, scale)
    decoded = decode(encoded, scale)["coordinates"]
    expected = np.rint(np.asarray(points) * scale) / scale
    np.testing.assert_allclose(decoded, expected, rtol=0, atol=1e-9)


def test_shared_edges_simplified_together():
    """A wiggly edge shared by two regions loses vertices, and identically on both sides."""
    xs = np.linspace(X0, X0 + 3 * SIDE, 301)
    wiggle = [(x, Y0 + SIDE + 30.0 * np.sin(i)) for i, x in enumerate(xs)]  # 30 m wiggles every 100 m
    south = Polygon([(X0, Y0), (X0 + 3 * SIDE, Y0), *wiggle[::-1]])
    north = Polygon([*wiggle, (X0 + 3 * SIDE, Y0 + 2 * SIDE), (X0, Y0 + 2 * SIDE)])
    regions, border, pairs, _ = make_world()
    two = regions.iloc[[0, 3]].copy()
    two.geometry = [south, north]
    page = build((two, border, pairs.iloc[:0], None))
    rings = [f["geometry"]["coordinates"][0] for f in data_var(page, "region_data")["features"]]
    assert all(len(ring) < 30 for ring in rings)
    shared = [{tuple(p) for p in ring} for ring in rings]
    assert len(shared[0] & shared[1]) >= 2
    unsimplified = build((two, border, pairs.iloc[:0], None), simplify_tolerance_m=0)
    assert len(unsimplified) > len(page)


def test_legend_has_one_section_per_layer_switched_with_it(page):
    sections = re.findall(r'<div class="borderland-legend-section" id="(decoration_\d+-legend-\d+)">\s*<h4>(.*?)</h4>',
                          page)
    assert [name for _, name in sections] == ["Digitalisation index", "Typology", "Border rings", "State border",
                                              "Cross-border gaps"]
    script = re.search(r"decoration_\d+\.sections = \[(.*?)\];", page, re.S)
    assert script
    pairs = re.findall(r'\[(geo_json_layer_\d+), "(decoration_\d+-legend-\d+)"\]', script.group(1))
    assert [section for _, section in pairs] == [section for section, _ in sections]
    assert len({layer for layer, _ in pairs}) == 5  # each section follows its own layer
    assert re.search(r'map_\d+\.on\("baselayerchange overlayadd overlayremove", decoration_\d+\.update\)', page)


# -- the other kinds ---------------------------------------------------------------------------


def test_kinds_choose_the_layers_and_their_order():
    page = build(kinds=["typology", "index"])
    base, overlays = control(page)
    assert base == ["Typology", "Digitalisation index"]
    assert overlays == ["Countries", "State border"]
    # the first base layer is the one shown
    shown = re.findall(r"(geo_json_layer_\d+)\.addTo\(map_\d+\);", page)
    typology_layer = re.search(r'"Typology" : (geo_json_layer_\d+)', page)
    assert typology_layer and typology_layer.group(1) in shown


def test_unknown_kind_lists_the_choices():
    with pytest.raises(SchemaError, match=r"unknown map kind\(s\) \['heat'\]; choose from \['index', 'typology', "
                                          r"'indicator', 'rings', 'bands', 'population', 'uncertainty', 'gaps', "
                                          r"'trade'\]"):
        build(kinds=["index", "heat"])


def test_kinds_without_their_input_are_reported_together():
    expected = (r"map kinds: 4 problem\(s\)\n.*kind 'indicator' needs columns=.*\n.*kind 'bands' needs bands=.*\n"
                r".*kind 'trade' needs flows=.*\n.*kind 'gaps' needs pairs")
    regions, border, _, countries = make_world()
    with pytest.raises(SchemaError, match=expected):
        build((regions, border, None, countries), kinds=["indicator", "bands", "trade", "gaps"])


def test_columns_without_the_indicator_kind_are_an_error():
    with pytest.raises(SchemaError, match=r"columns \['internet_pct'\] given, but the kinds \['index'\] have no "
                                          r"'indicator' to draw them"):
        build(kinds=["index"], columns=["internet_pct"])


def with_columns(**columns):
    regions, border, pairs, countries = make_world()
    for name, values in columns.items():
        regions[name] = values
    return regions, border, pairs, countries


INTERNET = [40.0, 50.0, np.nan, 60.0, 70.0, 80.0]


def test_indicator_layer_with_unit_from_the_column_name():
    page = build(with_columns(internet_pct=INTERNET), kinds=["indicator"], columns=["internet_pct"])
    assert control(page)[0] == ["internet_pct (%)"]
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    # one decimal: the values spread over 40 (2 - floor(log10 40) = 1)
    assert {code: props[code]["indicator_0"] for code in CODES} == {
        "A0": "40.0 %", "A1": "50.0 %", "A2": "no data", "B0": "60.0 %", "B1": "70.0 %", "B2": "80.0 %"}
    # quantiles of 40, 50, 60, 70, 80: 48, 56, 64, 72, 80
    text = legend_text(page)
    for label in ["internet_pct (%)", "40.0 – 48.0 (1)", "48.0 – 56.0 (1)", "56.0 – 64.0 (1)", "64.0 – 72.0 (1)",
                  "72.0 – 80.0 (1)", "no data (1)"]:
        assert f"|{label}|" in text, label
    blues = maps.palette_colours("Blues", 5)
    assert [props[code]["indicator_0_fill"] for code in CODES] == [
        blues[0], blues[1], maps.NO_DATA_COLOUR, blues[2], blues[3], blues[4]]
    fields = json.loads(re.findall(r"return helpers_\w+_tooltip\(feature\.properties, (\[\[.*?\]\])\);", page)[0])
    assert fields[-1] == ["internet_pct", "indicator_0"]
    # index, typology and rings are not drawn, so their columns are not needed
    assert "index_fill" not in props["A0"] and "typology_fill" not in props["A0"]


def test_indicator_units_given_and_several_columns():
    page = build(with_columns(internet=INTERNET, speed=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), kinds=["indicator"],
                 columns=["internet", "speed"], units={"internet": "% of households"})
    assert control(page)[0] == ["internet (% of households)", "speed"]
    props = data_var(page, "region_data")["features"][0]["properties"]
    # speed spreads over 5: two decimals; no unit
    assert (props["indicator_0"], props["indicator_1"]) == ("40.0 % of households", "1.00")


def test_indicator_column_must_be_numeric():
    with pytest.raises(SchemaError, match=r"regions.internet holds non-numeric values \(dtype \w+\); expected numbers"):
        build(with_columns(internet=["a"] * 6), kinds=["indicator"], columns=["internet"])


def test_repeated_column_names_are_reported():
    regions, border, pairs, countries = make_world()
    regions = pd.concat([regions, regions[["index"]]], axis=1)
    with pytest.raises(SchemaError, match=r"regions has several columns named \['index'\]; keep one of each"):
        build((regions, border, pairs, countries))


def test_rings_layer():
    page = build(kinds=["rings"])
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    ring_1 = maps.palette_colours("YlOrBr_r", 2)[0]  # one ring: the darkest of a two-colour palette
    assert {code: props[code]["border_order_fill"] for code in CODES} == {
        **dict.fromkeys(CODES[:5], ring_1), "B2": maps.NO_DATA_COLOUR}
    text = legend_text(page)
    assert "|ring 1: touches the border (5)|" in text and "|no data (1)|" in text


POPULATION = [50.0, 25.0, 0.0, 75.0, np.nan, 100.0]


def test_population_layer_from_the_default_column():
    page = build(with_columns(population_within_25km_pct=POPULATION), kinds=["population"])
    assert control(page)[0] == ["Population within 25 km of the border (%)"]
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    # the values spread over 100: no decimals
    assert [props[code]["population"] for code in CODES] == ["50 %", "25 %", "0 %", "75 %", "no data", "100 %"]
    assert set(maps.palette_colours("OrRd", 5)) <= {props[code]["population_fill"] for code in CODES}


def test_population_share_is_shown_as_percent():
    share = [v / 100 for v in POPULATION]
    page = build(with_columns(near_share=share), kinds=["population"], population_column="near_share")
    assert control(page)[0] == ["Population near the border (near_share) (%)"]
    props = data_var(page, "region_data")["features"][0]["properties"]
    assert props["population"] == "50 %"


def test_population_is_drawn_whenever_its_column_is_there():
    page = build(with_columns(population_within_25km_pct=POPULATION))
    assert "Population within 25 km of the border (%)" in control(page)[0]


PROBABILITY = [0.95, 0.6, np.nan, 0.8, 0.79, 1.0]


def test_uncertainty_layer_outlines_unstable_regions():
    page = build(with_columns(p_typology=PROBABILITY), kinds=["uncertainty"])
    assert control(page)[0] == ["Typology: class stability"]
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    # below 0.8: A1 (0.6) and B1 (0.79); B0 at exactly 0.8 is stable
    assert [props[code]["probability"] for code in CODES] == [
        "0.95", "0.60 (unstable)", "no data", "0.80", "0.79 (unstable)", "1.00"]
    assert [code for code in CODES if "uncertainty_dash" in props[code]] == ["A1", "B1"]
    assert props["A1"]["uncertainty_line"] == maps.UNSTABLE_COLOUR
    assert [props[code]["probability_fill"] for code in CODES] == [
        maps.TYPOLOGY_COLOURS[t] if t else maps.NO_DATA_COLOUR for t in TYPOLOGY]
    text = legend_text(page)
    assert "|probability of the class below 0.80 (2)|" in text and "|no probability for 1 region(s)|" in text
    assert re.search(r'"dashArray":"uncertainty_dash"', page)
    assert 'if (layer.feature.properties["uncertainty_dash"])' in page  # brought to the front


def test_uncertainty_threshold_is_an_option():
    page = build(with_columns(p_typology=PROBABILITY), kinds=["uncertainty"], stable_probability=0.9)
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    assert [code for code in CODES if "uncertainty_dash" in props[code]] == ["A1", "B0", "B1"]


def test_probability_outside_zero_one_is_refused():
    with pytest.raises(SchemaError, match=r"regions.p_typology has values outside 0..1 \(e.g. A0: 95.0\)"):
        build(with_columns(p_typology=[95.0, 60.0, np.nan, 80.0, 79.0, 100.0]), kinds=["uncertainty"])


def make_bands(labels=("0-5", "5-10")):
    """Two 5 km strips per country along the border, listed out of order; each is 30 x 5 = 150 km2."""
    near, far = labels
    rows = [
        (far, "AA", box(X0, Y0, X0 + 3 * SIDE, Y0 + SIDE / 2)),
        (near, "AA", box(X0, Y0 + SIDE / 2, X0 + 3 * SIDE, Y0 + SIDE)),
        (near, "BB", box(X0, Y0 + SIDE, X0 + 3 * SIDE, Y0 + 1.5 * SIDE)),
        (far, "BB", box(X0, Y0 + 1.5 * SIDE, X0 + 3 * SIDE, Y0 + 2 * SIDE)),
    ]
    return gpd.GeoDataFrame(rows, columns=["band", "country", "geometry"], geometry="geometry", crs="EPSG:3035")


def test_bands_layer():
    page = build(kinds=["bands", "index"], bands=make_bands())
    assert control(page)[0] == ["Distance bands (km)", "Digitalisation index"]
    features = [f["properties"] for f in data_var(page, "band_data")["features"]]
    near, far = maps.palette_colours("PuBu_r", 3)[:2]  # darkest next to the border
    assert [(f["band"], f["country"], f["area"], f["fillColor"]) for f in features] == [
        ("5-10", "AA", "150 km²", far), ("0-5", "AA", "150 km²", near),
        ("0-5", "BB", "150 km²", near), ("5-10", "BB", "150 km²", far)]
    text = legend_text(page)
    assert "|Distance bands (km)|0-5|5-10|distance from the state border|" in text


def test_bands_ordered_by_distance_not_alphabet():
    page = build(kinds=["bands"], bands=make_bands(("5-10 km", "10-20 km")))
    assert control(page)[0] == ["Distance bands"]  # the labels carry their unit
    assert "|Distance bands|5-10 km|10-20 km|" in legend_text(page)


def test_bands_area_from_the_band_table():
    bands = make_bands()
    bands["area_km2"] = [1.0, 2.0, 3.0, 4.0]
    page = build(kinds=["bands"], bands=bands)
    assert [f["properties"]["area"] for f in data_var(page, "band_data")["features"]] == [
        "1 km²", "2 km²", "3 km²", "4 km²"]


def centre(code: str) -> tuple[float, float]:
    i = CODES.index(code)
    return X0 + (i % 3 + 0.5) * SIDE, Y0 + (i // 3 + 0.5) * SIDE


def make_flows(names=("Alpha", "Delta", "Beta", "Epsilon", "Gamma", "Zeta"), unit="million USD", source="s"):
    """Two exports AA -> BB (100 and 50 million USD) and one turnover, each between column neighbours (10 km)."""
    rows = [("A0", "B0", 100.0, "exports", "origin_to_destination", 2018, names[0], names[1]),
            ("A1", "B1", 50.0, "exports", "origin_to_destination", 2019, names[2], names[3]),
            ("B2", "A2", 30.0, "turnover", "both_ways", 2020, names[5], names[4])]
    return gpd.GeoDataFrame(
        [{"origin": o, "destination": d, "value": v, "unit": unit, "flow_type": t, "direction": direction,
          "year": year, "source": source, "origin_name": on, "destination_name": dn,
          "geometry": LineString([centre(o), centre(d)])}
         for o, d, v, t, direction, year, on, dn in rows],
        geometry="geometry", crs="EPSG:3035")


def test_trade_layers_one_per_flow_type_and_unit():
    page = build(kinds=["trade"], flows=make_flows())
    # with lines alone the regions are drawn plain underneath
    assert control(page) == ([], ["Countries", "Regions", "State border", "Trade: exports (million USD)",
                                  "Trade: turnover (million USD)"])
    assert {f["properties"]["name"] for f in data_var(page, "region_data")["features"]} == {
        "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"}
    exports, turnover = (raw["features"] for raw in data_vars(page, "flow_data"))
    # two lines, then their two arrowheads (drawn on top); widths by value: 100 -> 8 px (the maximum), 50 -> 4 px
    assert [f["geometry"]["type"] for f in exports] == ["LineString", "LineString", "Polygon", "Polygon"]
    assert [f["properties"]["weight"] for f in exports] == [8.0, 4.0, 1, 1]
    assert [f["properties"].get("fill") for f in exports] == [None, None, True, True]
    first = exports[0]["properties"]
    assert {k: first[k] for k in ("flow", "value", "year", "source")} == {
        "flow": "Alpha → Delta", "value": "100 million USD", "year": "2018", "source": "s"}
    assert exports[2]["properties"]["flow"] == "Alpha → Delta"  # the arrowhead has the line's tooltip
    # turnover has no direction: no arrowhead
    assert [f["geometry"]["type"] for f in turnover] == ["LineString"]
    assert turnover[0]["properties"]["flow"] == "Zeta ↔ Gamma"
    text = legend_text(page)
    for label in ["Trade: exports (million USD)", "line width ∝ value", "100 million USD", "50 million USD",
                  "25 million USD", "arrowhead at the destination", "no direction (both ways)"]:
        assert f"|{label}|" in text, label


def test_flows_without_a_value_are_counted_not_drawn():
    flows = make_flows()
    flows.loc[1, "value"] = np.nan
    page = build(kinds=["trade"], flows=flows)
    exports = data_vars(page, "flow_data")[0]["features"]
    assert [f["properties"]["flow"] for f in exports] == ["Alpha → Delta", "Alpha → Delta"]  # line and head
    assert "|1 flow(s) without a value not drawn|" in legend_text(page)


def test_arrowhead_geometry():
    # a 100 km line: the head is 15 % of it (15 km), half as wide on each side (7.5 km);
    # the line stops in the middle of the head, 7.5 km before the tip
    line, head = maps._arrowhead(LineString([(0, 0), (0, 100_000)]))
    assert head is not None
    assert sorted(map(tuple, np.asarray(head.exterior.coords)[:-1])) == sorted(
        [(0.0, 100_000.0), (-7_500.0, 85_000.0), (7_500.0, 85_000.0)])
    assert line.coords[-1] == pytest.approx((0.0, 92_500.0))
    # short lines: at least 8 km, at most half the line
    assert maps._arrowhead(LineString([(0, 0), (0, 10_000)]))[1].area == pytest.approx(5_000 * 2_500)


def test_flows_of_points_or_polygons_are_refused():
    flows = make_flows()
    flows.geometry = [box(0, 0, 1, 1)] * 3
    with pytest.raises(SchemaError, match=r"flows holds \['Polygon'\] geometries; expected lines"):
        build(kinds=["trade"], flows=flows)


def test_default_kinds_include_every_input_given():
    world = with_columns(internet_pct=INTERNET, population_within_25km_pct=POPULATION, p_typology=PROBABILITY)
    page = build(world, columns=["internet_pct"], bands=make_bands(), flows=make_flows())
    assert control(page) == (
        ["Digitalisation index", "Typology", "internet_pct (%)", "Border rings", "Distance bands (km)",
         "Population within 25 km of the border (%)", "Typology: class stability"],
        ["Countries", "State border", "Cross-border gaps", "Trade: exports (million USD)",
         "Trade: turnover (million USD)"])
    fields = json.loads(re.findall(r"return helpers_\w+_tooltip\(feature\.properties, (\[\[.*?\]\])\);", page)[0])
    assert [label for label, _ in fields] == [
        "Region", "Code", "Country", "Index", "Typology", "Distance to border", "internet_pct", "Border order",
        "Population near the border", "Class probability"]


def test_frames_of_kinds_not_drawn_are_not_read():
    # bands with the wrong columns do not matter when the bands are not drawn
    page = build(kinds=["index"], bands=make_bands().drop(columns="country"))
    assert control(page)[0] == ["Digitalisation index"]


def test_repeated_layer_names_are_numbered():
    page = build(with_columns(Typology=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), kinds=["typology", "indicator"],
                 columns=["Typology"])
    assert control(page)[0] == ["Typology", "Typology (2)"]


# -- offline -----------------------------------------------------------------------------------


def test_offline_page_references_no_external_resource(page):
    tags = parse(page)
    assert not [attrs for tag, attrs in tags.tags if tag == "script" and attrs.get("src")]
    assert not [attrs for tag, attrs in tags.tags if tag == "link"]
    assert not [attrs for tag, attrs in tags.tags if attrs.get("href") or attrs.get("src")]
    leaflet_js, leaflet_css = maps._leaflet_assets()
    assert leaflet_js in page and leaflet_css in page  # inlined from django-js-lib-leaflet
    assert set(re.findall(r"url\((data:image/png;base64,|[^)]*)", leaflet_css)) == {
        "data:image/png;base64,", "#default#VML"}
    # outside Leaflet's own code and CSS (an SVG namespace, comments) there is no URL at all
    rest = page.replace(leaflet_js, "").replace(leaflet_css, "")
    assert not re.search(r"https?://|//cdn|\.tile\.|tileLayer", rest)
    assert "url(images/" not in page and "url(data:image/png;base64," in page
    assert "$(" not in rest and "jquery" not in rest.lower() and "bootstrap" not in rest.lower()
    assert "sourceMappingURL" not in page


def test_online_page_links_leaflet_and_tiles():
    page = build(offline=False)
    tags = parse(page)
    sources = [attrs["src"] for tag, attrs in tags.tags if tag == "script" and attrs.get("src")]
    assert sources == [maps._LEAFLET_CDN + "leaflet.js"]
    assert "tile.openstreetmap.org" in page
    assert maps._leaflet_assets()[0] not in page


# -- safety ------------------------------------------------------------------------------------


def build_all(names=None, countries_named=("AA", "BB"), column="internet_pct", band_labels=("0-5", "5-10"),
              unit="million USD", source="s", **options) -> str:
    """A map of every kind: indicator, population and uncertainty columns, bands and flows."""
    world = make_world(names, countries_named)
    regions = world[0]
    regions[column] = INTERNET
    regions["population_within_25km_pct"] = POPULATION
    regions["p_typology"] = PROBABILITY
    bands = make_bands(band_labels)
    bands["country"] = [countries_named[0]] * 2 + [countries_named[1]] * 2
    flow_names = tuple(names) if names else ("Alpha", "Delta", "Beta", "Epsilon", "Gamma", "Zeta")
    flows = make_flows(flow_names, unit=unit, source=source)
    return build(world, columns=[column], bands=bands, flows=flows, **options)


@pytest.fixture(scope="module")
def hostile_pages() -> tuple[str, str]:
    """The same world of every kind with benign and with hostile strings in every text field."""
    names = [*HOSTILE.values(), "Epsilon", "Zeta"]
    benign = build_all(title="Title", attribution=["Credit"])
    hostile = build_all(
        names, countries_named=("<b>AA</b>", "B'B"), column=HOSTILE["img"],
        band_labels=(HOSTILE["script"], HOSTILE["template"]), unit=HOSTILE["quotes"], source=HOSTILE["script"],
        title=HOSTILE["script"] + HOSTILE["img"] + HOSTILE["template"],
        attribution=[HOSTILE["img"], HOSTILE["script"]],
    )
    return benign, hostile


def test_hostile_strings_do_not_change_the_page_structure(hostile_pages):
    benign, hostile = hostile_pages
    assert [tag for tag, _ in parse(hostile).tags] == [tag for tag, _ in parse(benign).tags]
    assert not [tag for tag, _ in parse(hostile).tags if tag in ("img", "b")]


@pytest.mark.parametrize("key", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_strings_never_appear_unescaped(hostile_pages, key):
    _, hostile = hostile_pages
    raw = HOSTILE[key]
    if key != "template":  # backticks and ${} are inert as HTML text; see the script check below
        assert raw not in hostile
    for script in parse(hostile).scripts:
        if script.startswith("/* @preserve"):
            continue  # Leaflet itself
        assert raw not in script
    assert "</script><script>alert" not in hostile
    assert "<img" not in hostile


def test_hostile_strings_survive_as_text(hostile_pages):
    _, hostile = hostile_pages
    regions = data_var(hostile, "region_data")["features"]
    assert [f["properties"]["name"] for f in regions[:4]] == list(HOSTILE.values())
    assert regions[0]["properties"]["country"] == "<b>AA</b>"
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile  # title and credits, escaped for HTML
    credits = re.findall(r"addAttribution\((\".*?\")\);", hostile)
    assert [json.loads(c) for c in credits] == [html.escape(HOSTILE["img"]), html.escape(HOSTILE["script"])]
    gaps = data_var(hostile, "gap_data")["features"]
    assert gaps[0]["properties"]["tooltip"].startswith(HOSTILE["img"] + " – " + HOSTILE["quotes"])
    assert "&lt;b&gt;AA&lt;/b&gt; side leads" in legend(hostile)


def test_hostile_strings_of_the_other_kinds_survive_as_text(hostile_pages):
    _, hostile = hostile_pages
    base, overlays = control(hostile)
    assert HOSTILE["img"] in base  # the indicator column's name, HTML-escaped for Leaflet's layer control
    assert f"Trade: exports ({HOSTILE['quotes']})" in overlays
    assert re.search(r'"\\u0026lt;img src=x onerror=alert\(1\)\\u0026gt;" : geo_json_layer_\d+', hostile)
    bands = [f["properties"] for f in data_var(hostile, "band_data")["features"]]
    assert {b["band"] for b in bands} == {HOSTILE["script"], HOSTILE["template"]}
    assert {b["country"] for b in bands} == {"<b>AA</b>", "B'B"}
    flows = [f["properties"] for raw in data_vars(hostile, "flow_data") for f in raw["features"]]
    assert {f["source"] for f in flows} == {HOSTILE["script"]}
    assert flows[0]["flow"] == f"{HOSTILE['img']} → {HOSTILE['script']}"
    assert flows[0]["value"] == f"100 {HOSTILE['quotes']}"
    text = legend_text(hostile)
    for label in (HOSTILE["img"], HOSTILE["script"], HOSTILE["template"], f"100 {HOSTILE['quotes']}"):
        assert f"|{label}|" in text, label


def test_tooltips_use_text_not_html(page):
    code = page.replace(maps._leaflet_assets()[0], "")
    assert "textContent" in code
    assert not re.search(r"\.innerHTML\s*=", code)


@given(st.text())
def test_script_json_cannot_break_out(text):
    encoded = maps._js({"name": text})
    assert not set(encoded) & set("<>&'`$\u2028\u2029")
    assert json.loads(encoded) == {"name": text}


# -- determinism -------------------------------------------------------------------------------


def test_same_inputs_give_identical_bytes(page):
    assert build() == page
    assert build_all() == build_all()
    m = maps.divide_map(*make_world()[:3], title="Digital divide AA–BB", attribution=ATTRIBUTION,
                        countries=make_world()[3])
    assert maps.map_html(m) == maps.map_html(m)


def test_rendering_is_idempotent():
    """Rendering the figure directly (as a notebook does) twice adds nothing the second time."""
    m = maps.divide_map(*make_world()[:3], title="t", attribution=ATTRIBUTION)
    first = m.get_root().render()
    assert m.get_root().render() == first == maps.map_html(m)


@pytest.mark.parametrize("seed", ["1", "2"])
def test_same_bytes_in_another_process(page, seed):
    code = (f"import sys; sys.path.insert(0, {str(REPO / 'tests')!r}); import hashlib, test_maps; "
            "print(hashlib.sha256(test_maps.build().encode()).hexdigest()); "
            "print(hashlib.sha256(test_maps.build_all().encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=REPO)
    assert out.stdout.split()[-2:] == [hashlib.sha256(page.encode()).hexdigest(),
                                       hashlib.sha256(build_all().encode()).hexdigest()]


def test_no_random_ids_left(page):
    leaflet_js, leaflet_css = maps._leaflet_assets()
    assert not re.search(r"[0-9a-f]{32}", page.replace(leaflet_js, "").replace(leaflet_css, ""))
    assert re.search(r'<div class="folium-map" id="map_\d+"', page)


def test_row_order_does_not_change_features_drawn():
    regions, border, pairs, countries = make_world()
    shuffled = build((regions.iloc[::-1], border, pairs.iloc[::-1], countries))
    original = build()
    key = "region_id"
    assert sorted(f["properties"][key] for f in data_var(shuffled, "region_data")["features"]) == sorted(
        f["properties"][key] for f in data_var(original, "region_data")["features"])
    assert legend(shuffled) == legend(original)


# -- validation --------------------------------------------------------------------------------


def test_reports_every_input_problem_at_once():
    regions, border, pairs, _ = make_world()
    regions = regions.drop(columns=["typology"])
    pairs = pairs.drop(columns=["gap", "abs_gap"])
    expected = (r"map inputs: 2 problem\(s\)\n.*regions lacks column\(s\) \['typology'\].*\n"
                r".*pairs lacks column\(s\) \['gap', 'abs_gap'\]")
    with pytest.raises(SchemaError, match=expected):
        maps.divide_map(regions, border, pairs, title="t", attribution=[])


def test_rejects_geographic_crs():
    regions, border, pairs, _ = make_world()
    with pytest.raises(CRSError, match=r"regions is in EPSG:4326, a geographic CRS; the map takes projected"):
        maps.divide_map(regions.to_crs(4326), border, pairs, title="t", attribution=[])


def test_rejects_mixed_crs():
    regions, border, pairs, _ = make_world()
    with pytest.raises(CRSError, match=r"border_lines is in EPSG:3857 but regions in EPSG:3035"):
        maps.divide_map(regions, border.to_crs(3857), pairs, title="t", attribution=[])


def test_rejects_unknown_typology():
    regions, border, pairs, _ = make_world()
    regions.loc["A0", "typology"] = "champion"
    with pytest.raises(SchemaError, match=r"regions.typology holds \['champion'\]; expected one of "
                                          r"\['leader', 'moderate', 'lagging'\]"):
        maps.divide_map(regions, border, pairs, title="t", attribution=[])


def test_does_not_mutate_inputs():
    world = make_world()
    before = [frame.copy() for frame in world]
    build(world)
    for frame, copy in zip(world, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


# -- writing -----------------------------------------------------------------------------------


def test_write_map(tmp_path):
    m = maps.divide_map(*make_world()[:3], title="t", attribution=ATTRIBUTION)
    target = tmp_path / "out" / "map.html"
    assert maps.write_map(m, target) == target
    assert target.read_bytes() == maps.map_html(m).encode("utf-8")
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_write_map_refuses_to_overwrite(tmp_path):
    m = maps.divide_map(*make_world()[:3], title="t", attribution=ATTRIBUTION)
    target = tmp_path / "map.html"
    target.write_text("old map")
    with pytest.raises(OutputError, match=r"exists already; pass --overwrite \(overwrite=True\)"):
        maps.write_map(m, target)
    assert target.read_text() == "old map"
    maps.write_map(m, target, overwrite=True)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_import_does_not_load_folium():
    heavy = "{'folium', 'branca', 'mapclassify'}"
    code = f"import sys, borderland.maps; print(sorted({heavy} & sys.modules.keys()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# -- fragments ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fragment_map():
    return maps.divide_map(*make_world()[:3], title="Fragment", attribution=ATTRIBUTION, countries=make_world()[3])


def ids_and_names(text: str) -> tuple[set[str], set[str]]:
    """Element ids, and JavaScript names declared outside Leaflet's own code."""
    code = text.replace(maps._leaflet_assets()[0], "")
    ids = {attrs["id"] for _, attrs in parse(text).tags if attrs.get("id")}
    names = set(re.findall(r"\b(?:var|let|function)\s+([A-Za-z_]\w*)", code)) - {
        "table", "row", "header", "depths", "x", "points", "i", "line", "walk", "geometry", "style",
        "fromProperties", "option", "value", "legend", "shown"}
    return ids, names


def test_fragment_is_one_div_of_fixed_size(fragment_map):
    fragment = maps.map_fragment(fragment_map, size_px=(800, 500))
    tags = parse(fragment).tags
    assert tags[0][0] == "div" and tags[0][1]["class"] == "borderland-map"
    assert tags[0][1]["style"] == "width:800px;height:500px"
    assert fragment.rstrip().endswith("</div>")
    assert not {tag for tag, _ in tags} & {"html", "head", "body", "meta", "title", "link"}
    # nothing styles the host page: no html/body rule, no bare #map rule
    assert not re.search(r"html,\s*body|#map\s*\{", fragment)
    assert f"#{tags[0][1]['id']} .borderland-legend {{ max-height: 380px; }}" in fragment  # 500 - 120


def test_fragment_ids_carry_a_prefix_derived_from_the_content(fragment_map):
    fragment = maps.map_fragment(fragment_map)
    prefix = "m" + hashlib.sha256(maps.map_html(fragment_map).encode()).hexdigest()[:10]
    ids, names = ids_and_names(fragment)
    assert prefix in ids
    assert ids and all(i == prefix or f"_{prefix}_" in i for i in ids), ids
    assert names and all(f"_{prefix}_" in n for n in names), names
    assert maps.map_fragment(fragment_map) == fragment  # deterministic


def test_two_maps_have_disjoint_ids_and_names(fragment_map):
    other = maps.divide_map(*make_world()[:3], title="Another map", attribution=ATTRIBUTION, kinds=["typology"])
    first, second = (ids_and_names(maps.map_fragment(m)) for m in (fragment_map, other))
    assert not first[0] & second[0]
    assert not first[1] & second[1]


def test_fragment_prefix_given_by_the_caller(fragment_map):
    fragment = maps.map_fragment(fragment_map, id_prefix="report2")
    assert 'id="report2"' in fragment and 'id="map_report2_7"' in fragment


@pytest.mark.parametrize("prefix", ["a-b", "", "x" * 33, 'a"b'], ids=["hyphen", "empty", "long", "quote"])
def test_fragment_prefix_must_be_letters_and_digits(fragment_map, prefix):
    with pytest.raises(SchemaError, match=r"id_prefix is .*; expected 1 to 32 letters and digits"):
        maps.map_fragment(fragment_map, id_prefix=prefix)


def test_fragment_leaves_the_map_as_it_was(fragment_map):
    page = maps.map_html(fragment_map)
    maps.map_fragment(fragment_map, id_prefix="x1")
    assert maps.map_html(fragment_map) == page


def test_fragment_runs_leaflet_only_when_the_page_has_none(fragment_map):
    leaflet_js, leaflet_css = maps._leaflet_assets()
    fragment = maps.map_fragment(fragment_map)
    assert f'<script>if (typeof L === "undefined") {{\n{leaflet_js}\n}}</script>' in fragment
    assert leaflet_css in fragment
    bare = maps.map_fragment(fragment_map, include_leaflet=False)
    assert leaflet_js not in bare and leaflet_css not in bare


def test_online_fragment_links_leaflet():
    m = maps.divide_map(*make_world()[:3], title="t", attribution=ATTRIBUTION, offline=False)
    sources = [a["src"] for tag, a in parse(maps.map_fragment(m)).tags if tag == "script" and a.get("src")]
    assert sources == [maps._LEAFLET_CDN + "leaflet.js"]


def test_write_map_fragment(tmp_path, fragment_map):
    target = maps.write_map(fragment_map, tmp_path / "fragment.html", fragment=True, id_prefix="f1")
    assert target.read_text(encoding="utf-8") == maps.map_fragment(fragment_map, id_prefix="f1")


# -- what the CLI writes -----------------------------------------------------------------------


def test_write_map_outputs_html_and_png(tmp_path):
    regions, border, pairs, countries = with_columns(internet_pct=INTERNET)
    written = maps.write_map_outputs(regions, border, pairs, tmp_path / "map.html", title="t",
                                     attribution=ATTRIBUTION, column="internet_pct", classes=3, palette="Greens",
                                     png=True, countries=countries)
    assert written == {"html": tmp_path / "map.html", "png": tmp_path / "map.png"}
    page = written["html"].read_text(encoding="utf-8")
    assert control(page)[0] == ["internet_pct (%)"]  # a column alone draws that indicator
    assert "natural" not in page and "quantiles, 3 classes" in legend_text(page)
    assert written["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_write_map_outputs_writes_nothing_when_a_file_exists(tmp_path):
    (tmp_path / "map.png").write_bytes(b"old")
    with pytest.raises(OutputError, match=r"file\(s\) exist already: .*map.png; pass --overwrite"):
        maps.write_map_outputs(*make_world()[:3], tmp_path / "map.html", title="t", attribution=ATTRIBUTION,
                               png=True)
    assert not (tmp_path / "map.html").exists()


def test_write_map_outputs_fragment(tmp_path):
    written = maps.write_map_outputs(*make_world()[:3], tmp_path / "map.html", title="t", attribution=ATTRIBUTION,
                                     kind="typology", fragment=True, size_px=(640, 480))
    text = written["html"].read_text(encoding="utf-8")
    assert text.startswith('<div class="borderland-map"') and "width:640px;height:480px" in text


# -- the bundled study -------------------------------------------------------------------------


@pytest.mark.slow
def test_bundled_study_map_with_every_layer_is_under_two_megabytes(tmp_path, bundled_result):
    from borderland import border, io, trade

    result = bundled_result
    regions = result.regions
    countries = gpd.read_file(io.bundled("countries.gpkg"), layer="countries").to_crs(regions.crs)
    bands = border.distance_bands(regions, result.border_lines)
    flows, skipped = trade.read_trade_flows()
    matched, _ = trade.match_flows(flows, regions, countries=countries, focus_country=result.study.focus_country,
                                   skipped=skipped)
    lines = trade.flow_lines(matched, regions, countries=countries)
    columns = [c.name for c in result.study.index.components]
    m = maps.divide_map(regions, result.border_lines, result.pairs, title=result.study.title,
                        attribution=result.study.attribution.lines, countries=countries, columns=columns, bands=bands,
                        flows=lines)
    target = maps.write_map(m, tmp_path / "all.html")
    base, overlays = control(target.read_text(encoding="utf-8"))
    assert {"Digitalisation index", "Typology", "Border rings", "Distance bands (km)"} <= set(base)
    assert {"Countries", "State border", "Cross-border gaps"} <= set(overlays)
    assert any(name.startswith("Trade: ") for name in overlays)
    assert target.stat().st_size < 2_000_000


def test_view_frames_the_border_not_far_islands():
    from borderland import maps

    regions, border_lines, pairs = make_world()[:3]
    island = regions.iloc[[0]].copy()
    island.index = ["FAR"]
    island["name"] = "far island"
    island.geometry = island.geometry.translate(0, 2_000_000)  # 2,000 km north of everything else
    with_island = gpd.GeoDataFrame(pd.concat([regions, island]), crs=regions.crs)
    page = maps.map_html(maps.divide_map(with_island, border_lines, pairs, title="t", attribution="a"))
    (_, _), (n, _) = json.loads(re.search(r"map_\d+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1))
    north_without = regions.to_crs(4326).total_bounds[3]
    assert n == pytest.approx(north_without, abs=1e-3)  # the island is drawn but not framed
    assert "far island" in page


def test_imputed_values_are_named_in_the_tooltip():
    from borderland import maps

    regions, border_lines, pairs = make_world()[:3]
    regions = regions.assign(access_imputed=[True, False, False, False, False, False],
                             broadband_imputed=[True, False, True, False, False, False])
    page = maps.map_html(maps.divide_map(regions, border_lines, pairs, title="t", attribution="a"))
    features = data_var(page, "region_data")["features"]
    flags = {f["properties"]["name"]: f["properties"]["imputed"] for f in features}
    assert flags["Alpha"] == "access, broadband" and flags["Gamma"] == "broadband" and flags["Beta"] == "none"
    assert '["Imputed","imputed"]' in page.replace(" ", "")
    plain = maps.map_html(maps.divide_map(make_world()[0], border_lines, pairs, title="t", attribution="a"))
    assert "Imputed" not in plain
