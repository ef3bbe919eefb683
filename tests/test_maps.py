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


def data_var(page: str, name: str) -> dict:
    """The GeoJSON assigned to the JavaScript variable ``<name>_<n>``."""
    match = re.search(rf"var {name}_\d+ = (\{{.*?\}});\n", page)
    assert match, f"no variable {name} in the page"
    return json.loads(match.group(1))


def legend(page: str) -> str:
    match = re.search(r'<div class="borderland-legend[^>]*>(.*)</div>\s*</body>', page, re.S)
    assert match
    return match.group(1)


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
    control = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", page, re.S)
    assert control
    base = re.findall(r'"([^"]+)" :', control.group(1))
    overlays = re.findall(r'"([^"]+)" :', control.group(2))
    assert base == ["Digitalisation index", "Typology"]
    assert overlays == ["Countries", "State border", "Cross-border gaps"]


def test_countries_layer_only_when_given():
    regions, border, pairs, _ = make_world()
    page = build((regions, border, pairs, None))
    assert '"Countries" :' not in page
    assert "CountryData" not in page and "country_data_" not in page


def test_index_layer_has_one_feature_per_region(page):
    regions = data_var(page, "region_data")
    assert [f["properties"]["region_id"] for f in regions["features"]] == CODES
    assert {f["geometry"]["type"] for f in regions["features"]} == {"Polygon"}


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
    fields = re.findall(r'return tooltip_\d+\(feature\.properties, (\[\[.*?\]\])\);', page)
    region_fields = json.loads(fields[0])
    assert [label for label, _ in region_fields] == [
        "Region", "Code", "Country", "Index", "Typology", "Distance to border", "Border order"]
    assert fields[0] == fields[1]  # the typology layer shows the same tooltip
    props = data_var(page, "region_data")["features"][0]["properties"]
    assert all(key in props for _, key in region_fields)


def test_index_classes_and_legend(page):
    # quantiles of 0.1, 0.2, 0.5, 0.6, 0.9 (linear interpolation): 0.18, 0.38, 0.54, 0.66, 0.9
    text = html.unescape(re.sub(r"<[^>]+>", "|", legend(page)))
    for label in ["0.100 – 0.180 (1)", "0.180 – 0.380 (1)", "0.380 – 0.540 (1)", "0.540 – 0.660 (1)",
                  "0.660 – 0.900 (1)", "no data (1)", "quantiles, 5 classes",
                  "leader", "moderate", "lagging", "land border between states",
                  "line width ∝ |index difference|", "0.700", "0.350", "0.175",
                  "AA side leads", "BB side leads"]:
        assert f"|{label}|" in text, label
    fills = {f["properties"]["region_id"]: f["properties"]["index_fill"]
             for f in data_var(page, "region_data")["features"]}
    palette = maps.INDEX_PALETTES[5]
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
                                          r"\['natural_breaks', 'quantiles'\]"):
        build(scheme="jenks")


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
    coords = re.findall(r"-?\d+\.\d+", json.dumps(data_var(page, "region_data")["features"][0]["geometry"]))
    assert coords and all(len(c.split(".")[1]) <= 2 for c in coords)


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


@pytest.fixture(scope="module")
def hostile_pages() -> tuple[str, str]:
    """The same world with benign and with hostile strings in every text field."""
    names = [*HOSTILE.values(), "Epsilon", "Zeta"]
    benign = build(make_world(), title="Title", attribution=["Credit"])
    hostile = build(
        make_world(names=names, countries_named=("<b>AA</b>", "B'B")),
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
            "print(hashlib.sha256(test_maps.build().encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=REPO)
    assert out.stdout.split()[-1] == hashlib.sha256(page.encode()).hexdigest()


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
