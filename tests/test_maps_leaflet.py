"""Tests of borderland.maps.leaflet by structure: the page, its data, offline, safety, determinism, fragments.

The world is the tiny one of mapworld (six 10 km squares, AA south of BB).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from mapworld import (
    CODES,
    HOSTILE,
    INTERNET,
    PROBABILITY,
    SIDE,
    X0,
    Y0,
    build,
    build_all,
    control,
    data_raw,
    data_var,
    data_vars,
    decode_arcs,
    decode_geometries,
    legend,
    legend_text,
    make_bands,
    make_flows,
    make_world,
    model,
    parse,
    with_columns,
)
from shapely.geometry import Polygon

from borderland import maps
from borderland.errors import OutputError
from borderland.maps import leaflet
from borderland.maps._topology import topology
from borderland.maps.leaflet import _LEAFLET_CDN, _js, _leaflet_assets

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def page() -> str:
    return build()


def with_spec(built: maps.MapModel, **changes) -> maps.MapModel:
    """The same model with other writer options (no layer is rebuilt)."""
    return dataclasses.replace(built, spec=dataclasses.replace(built.spec, **changes))


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
    assert len(re.findall(r"\.addData\(region_data_\w+\);", page)) == 3


def test_region_properties_are_the_models_texts_and_fills(page):
    built = model()
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    for layer in built.region_layers:
        assert {code: props[code][layer.key] for code in CODES} == layer.text.to_dict()
        assert {code: props[code][f"{layer.key}_fill"] for code in CODES} == layer.fill.to_dict()
    assert props["A0"]["border_distance_km"] == "5.0 km" and props["A0"]["name"] == "Alpha"
    assert props["A2"]["index"] == "no data" and props["A2"]["index_fill"] == maps.NO_DATA_COLOUR


def test_tooltip_fields(page):
    fields = re.findall(r"return helpers_\w+_tooltip\(layer\.feature\.properties, (\[\[.*?\]\])\);", page)
    region_fields = json.loads(fields[0])
    assert [label for label, _ in region_fields] == [
        "Region", "Code", "Country", "Index", "Typology", "Distance to border", "Border order"]
    assert fields[0] == fields[1] == fields[2]  # typology and rings show the same tooltip
    props = data_var(page, "region_data")["features"][0]["properties"]
    assert all(key in props for _, key in region_fields)


def test_legend_shows_the_models_legend(page):
    text = legend_text(page)
    for label in ["0.100 – 0.180 (1)", "0.660 – 0.900 (1)", "no data (1)", "quantiles, 5 classes", "leader (1)",
                  "moderate (2)", "lagging (2)", "land border between states", "line width ∝ |index difference|",
                  "0.700", "0.350", "0.175", "AA side leads", "BB side leads"]:
        assert f"|{label}|" in text, label


def test_gap_and_border_lines(page):
    gaps = data_var(page, "gap_data")["features"]
    assert [f["properties"]["tooltip"] for f in gaps] == [
        "Alpha – Delta: gap +0.700 (AA side leads), 10.0 km shared border",
        "Beta – Epsilon: gap -0.100 (BB side leads), 10.0 km shared border"]
    assert gaps[0]["properties"]["weight"] == maps.GAP_MAX_WIDTH_PX
    border = data_var(page, "border_data")["features"]
    assert len(border) == 1 and border[0]["geometry"]["type"] == "LineString"
    assert border[0]["properties"]["tooltip"] == "AA – BB state border: 30.0 km"


def test_empty_border_and_pairs():
    regions, _, pairs, _ = make_world()
    no_border = gpd.GeoDataFrame({c: [] for c in ["country_a", "country_b", "length_km"]}, geometry=[])
    page = build((regions, no_border, pairs.iloc[:0], None))
    assert data_var(page, "border_data")["features"] == data_var(page, "gap_data")["features"] == []
    assert len(data_var(page, "region_data")["features"]) == 6


def test_fits_bounds_to_regions(page):
    regions = make_world()[0].to_crs(4326)
    west, south, east, north = regions.total_bounds
    match = re.search(r"map_\d+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert match
    (s, w), (n, e) = json.loads(match.group(1))
    assert (s, w, n, e) == pytest.approx((south, west, north, east), abs=1e-4)


def test_view_frames_the_border_not_far_islands():
    regions, border_lines, pairs, _ = make_world()
    island = regions.iloc[[0]].copy()
    island.index = ["FAR"]
    island["name"] = "far island"
    island.geometry = island.geometry.translate(0, 2_000_000)  # 2,000 km north of everything else
    with_island = gpd.GeoDataFrame(pd.concat([regions, island]), crs=regions.crs)
    page = build((with_island, border_lines, pairs, None))
    (_, _), (n, _) = json.loads(re.search(r"map_\d+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1))
    north_without = regions.to_crs(4326).total_bounds[3]
    assert n == pytest.approx(north_without, abs=1e-3)  # the island is drawn but not framed
    assert "far island" in page


def test_title_scale_bar_and_attribution(page):
    assert "<title>Digital divide AA–BB</title>" in page
    assert '<div class="borderland-title"' in page
    assert 'L.control.scale({"imperial":false})' in page
    assert 'addAttribution("© EuroGeographics for the administrative boundaries")' in page


def test_the_scale_bar_is_metric_only():
    # L.control.scale() alone draws an imperial line (mi, ft) too; every map gets the metric one only
    for page in (build(), build_all(), maps.html_fragment(model(fragment=True))):
        assert re.findall(r"L\.control\.scale\((.*?)\)\.addTo", page) == ['{"imperial":false}']


def test_coordinates_rounded_to_precision():
    raw = data_raw(build(precision=2), "region_data")
    assert raw["scale"] == 100  # integer steps of 0.01 degree
    corners = {point for arc in decode_arcs(raw) for point in arc}
    expected = {(round(lon * 100), round(lat * 100))
                for lon, lat in shapely.get_coordinates(make_world()[0].to_crs(4326).geometry).tolist()}
    assert corners == expected


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
    encoded = json.dumps([raw["arcs"], raw["geometries"], raw["types"]], separators=(",", ":"))
    assert len(encoded) < len(plain) / 2


def distinct_points(points: np.ndarray) -> list[list[int]]:
    """Points without one repeated right after itself."""
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = (points[1:] != points[:-1]).any(axis=1)
    return points[keep].tolist()


@settings(deadline=None)
@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=2, max_size=30),
       st.integers(0, 7))
def test_encoding_round_trips_to_the_rounded_coordinates(points, precision):
    scale = 10**precision
    line = shapely.LineString(points)
    [decoded] = decode_geometries(dataclasses.asdict(topology(np.array([line]), scale)))
    expected = distinct_points(np.rint(np.asarray(points) * scale).astype(np.int64))
    if len(expected) < 2:  # nothing left to draw at this precision
        assert decoded is None
    else:
        assert decoded == {"type": "LineString", "coordinates": expected}


def segments(geometry: dict) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Every segment of a decoded geometry, without its direction."""
    depth = {"LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}[geometry["type"]]

    def paths(coordinates, level):
        return [coordinates] if level == 1 else [p for part in coordinates for p in paths(part, level - 1)]

    return [tuple(sorted((tuple(a), tuple(b)))) for path in paths(geometry["coordinates"], depth)
            for a, b in itertools.pairwise(path)]


def test_each_shared_edge_is_stored_once(page):
    raw = data_raw(page, "region_data")
    drawn = [s for g in decode_geometries(raw) for s in segments(g)]
    stored = [tuple(sorted(pair)) for arc in decode_arcs(raw) for pair in itertools.pairwise(arc)]
    # the six squares have 17 edges: 7 inside (shared by two squares), 10 on the outline
    assert len(set(drawn)) == len(stored) == 17
    assert len(drawn) == 24 and sorted(set(drawn)) == sorted(stored)
    # the state border is one arc, used by the three squares on each side
    assert len(raw["arcs"]) < 24


def expected_display(geometry: gpd.GeoSeries, tolerance_m: float, scale: int, *, coverage: bool) -> list:
    """What the page should draw, worked out independently: simplified, converted, quantised, normalised."""
    geoms = geometry.to_numpy()
    if tolerance_m:
        geoms = (shapely.coverage_simplify(geoms, tolerance_m) if coverage
                 else shapely.simplify(geoms, tolerance_m, preserve_topology=True))
    lonlat = gpd.GeoSeries(geoms, crs=geometry.crs).to_crs(4326).to_numpy()
    grid = shapely.transform(lonlat, lambda xy: np.rint(xy * scale))
    return [shapely.normalize(shapely.remove_repeated_points(g)) for g in grid]


def assert_round_trip(raw: dict, expected: list) -> None:
    """The page's geometries equal the expected ones exactly, on the integer grid."""
    decoded = decode_geometries(raw)
    assert len(decoded) == len(expected)
    for got, want in zip(decoded, expected, strict=True):
        shape = shapely.normalize(shapely.geometry.shape(got))
        assert shapely.equals_exact(shape, want, tolerance=0), (shape.wkt[:200], want.wkt[:200])


def voronoi_world(n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` seeded Voronoi cells on a 200 km square (a clean coverage), two countries split at x = 100 km."""
    rng = np.random.default_rng(seed)
    frame = shapely.box(X0, Y0, X0 + 200_000, Y0 + 200_000)
    seeds = shapely.multipoints(rng.uniform([X0, Y0], [X0 + 200_000, Y0 + 200_000], (n, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    cells = shapely.segmentize(cells, 3_000)  # vertices every 3 km at most, for simplification to remove
    codes = [f"R{i}" for i in range(len(cells))]
    west = shapely.centroid(cells).tolist()
    return gpd.GeoDataFrame(
        {"name": codes, "country": ["AA" if p.x < X0 + 100_000 else "BB" for p in west],
         "index": rng.random(len(cells)), "typology": "moderate", "border_distance_km": 1.0, "border_order": 1},
        geometry=cells, crs="EPSG:3035", index=pd.Index(codes, name="region_id"))


@settings(deadline=None, max_examples=8)
@given(st.integers(5, 120), st.integers(0, 2**16), st.sampled_from([0.0, 250.0, 2_000.0]))
def test_region_outlines_round_trip_exactly(n, seed, tolerance_m):
    regions = voronoi_world(n, seed)
    _, border, pairs, _ = make_world()
    built = model((regions, border, pairs.iloc[:0], None), kinds=["index"], simplify_tolerance_m=tolerance_m)
    raw = data_raw(maps.html_page(built), "region_data")
    assert_round_trip(raw, expected_display(regions.geometry, tolerance_m, raw["scale"], coverage=True))
    # every interior edge is stored once: fewer stored segments than drawn ones
    drawn = [s for g in decode_geometries(raw) for s in segments(g)]
    stored = [pair for arc in decode_arcs(raw) for pair in itertools.pairwise(arc)]
    assert len(stored) == len(set(drawn)) < len(drawn)


def test_repeated_properties_are_stored_once():
    raw = data_raw(build(), "region_data")
    columns = dict(raw["columns"])
    assert columns["name"] == ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"]
    assert columns["border_distance_km"] == {"value": "5.0 km"}  # the same text for all six
    regions = voronoi_world(200, 1)
    _, border, pairs, _ = make_world()
    big = data_raw(maps.html_page(model((regions, border, pairs.iloc[:0], None), kinds=["index", "typology"])),
                   "region_data")
    columns = dict(big["columns"])
    assert set(columns["index_fill"]["values"]) <= {*maps.palette_colours("YlGnBu", 5), maps.NO_DATA_COLOUR}
    assert len(columns["index_fill"]["codes"]) == len(regions)
    assert columns["typology"] == {"value": "moderate"} and columns["region_id"][:2] == ["R0", "R1"]


def test_canvas_renderer_above_the_threshold(monkeypatch):
    assert '"preferCanvas": false' in build()
    monkeypatch.setattr(leaflet, "CANVAS_MIN_FEATURES", 5)
    assert '"preferCanvas": true' in build()


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


NATURAL_EARTH = "/work/shared/data/countries.gpkg"


def natural_earth() -> gpd.GeoDataFrame:
    """Natural Earth's countries as published (Russia crosses the antimeridian), in the study's CRS."""
    countries = gpd.read_file(NATURAL_EARTH, layer="countries_ne10m_5_1_1_deu")
    return gpd.GeoDataFrame({"country": countries["ADM0_A3_DE"]}, geometry=countries.geometry,
                            crs=countries.crs).to_crs(3035)


def test_outlines_across_the_antimeridian_are_cut_there():
    """Issue #14: Russia's outline, converted back to longitude and latitude, must not jump across the map."""
    countries = natural_earth()
    regions, border, pairs, _ = make_world()
    features = data_var(build((regions, border, pairs, countries), kinds=["index"]), "country_data")["features"]

    def steps(geometry):
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        return [abs(b[0] - a[0]) for polygon in polygons for ring in polygon for a, b in itertools.pairwise(ring)]

    assert max(max(steps(f["geometry"])) for f in features) <= 180
    # nothing lost: every country covers what Natural Earth's does (in square degrees, as drawn)
    published = shapely.area(gpd.read_file(NATURAL_EARTH, layer="countries_ne10m_5_1_1_deu").geometry.to_numpy())
    drawn = [shapely.geometry.shape(f["geometry"]).area for f in features]
    assert drawn == pytest.approx(published.tolist(), rel=1e-3)
    russia = shapely.geometry.shape(features[7]["geometry"])
    assert features[7]["properties"]["country"] == "RUS" and russia.bounds[0] == -180 and russia.bounds[2] == 180


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


# -- the kinds on the page ---------------------------------------------------------------------


def test_the_first_kind_is_shown():
    page = build(kinds=["typology", "index"])
    assert control(page) == (["Typology", "Digitalisation index"], ["Countries", "State border"])
    shown = re.findall(r"(geo_json_layer_\d+)\.addTo\(map_\d+\);", page)
    typology_layer = re.search(r'"Typology" : (geo_json_layer_\d+)', page)
    assert typology_layer and typology_layer.group(1) in shown


@pytest.mark.parametrize("column", ["x{{ 7*7 }}", "x{% raw %}", "x{# c"], ids=["expression", "raw", "comment"])
def test_a_layer_named_like_a_template_is_listed_as_it_is(column):
    # folium's LayerControl compiled its output (the layers' names) as Jinja: "{{ 7*7 }}" was listed as 49,
    # and "{% raw %}" stopped the page
    page = build(with_columns(**{column: INTERNET}), kinds=["indicator"], columns=[column])
    assert control(page)[0] == [column]


def test_indicator_page():
    page = build(with_columns(internet_pct=INTERNET), kinds=["indicator"], columns=["internet_pct"])
    assert control(page)[0] == ["internet_pct (%)"]
    props = data_var(page, "region_data")["features"][0]["properties"]
    assert props["indicator_0"] == "40.0 %" and "index_fill" not in props and "typology_fill" not in props
    fields = json.loads(re.findall(r"_tooltip\(layer\.feature\.properties, (\[\[.*?\]\])\);", page)[0])
    assert fields[-1] == ["internet_pct", "indicator_0"]


def test_unstable_regions_are_outlined_with_dashes():
    page = build(with_columns(p_typology=PROBABILITY), kinds=["uncertainty"])
    props = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    assert [code for code in CODES if "uncertainty_dash" in props[code]] == ["A1", "B1"]
    assert props["A1"]["uncertainty_line"] == maps.UNSTABLE_COLOUR and props["A1"]["uncertainty_dash"] == "5 4"
    assert list(props["A1"])[-3:] == ["uncertainty_line", "uncertainty_weight", "uncertainty_dash"]
    assert re.search(r'"dashArray":"uncertainty_dash"', page)
    assert 'if (layer.feature.properties["uncertainty_dash"])' in page  # brought to the front
    assert "|probability of the class below 0.80 (2)|" in legend_text(page)


def test_bands_page():
    page = build(kinds=["bands", "index"], bands=make_bands())
    assert control(page)[0] == ["Distance bands (km)", "Digitalisation index"]
    features = [f["properties"] for f in data_var(page, "band_data")["features"]]
    near, far = maps.palette_colours("PuBu_r", 3)[:2]
    assert [(f["band"], f["fillColor"]) for f in features] == [("5-10", far), ("0-5", near), ("0-5", near),
                                                              ("5-10", far)]
    assert "|Distance bands (km)|0-5|5-10|distance from the state border|" in legend_text(page)


def test_trade_alone_draws_the_regions_plain_underneath():
    page = build(kinds=["trade"], flows=make_flows())
    assert control(page) == ([], ["Countries", "Regions", "State border", "Trade: exports (million USD)",
                                  "Trade: turnover (million USD)"])
    assert {f["properties"]["name"] for f in data_var(page, "region_data")["features"]} == {
        "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"}
    exports, turnover = (raw["features"] for raw in data_vars(page, "flow_data"))
    assert [f["properties"]["weight"] for f in exports] == [8.0, 4.0, 1, 1]
    assert [f["geometry"]["type"] for f in turnover] == ["LineString"]


def test_trade_starts_hidden_when_every_kind_is_drawn():
    every = build(flows=make_flows())
    asked = build(kinds=["index", "trade"], flows=make_flows())

    def shown(page: str) -> set[str]:
        names = dict(re.findall(r'"([^"]+)" : (geo_json_layer_\d+)', page))
        added = set(re.findall(r"(geo_json_layer_\d+)\.addTo\(map_\d+\);", page))
        return {name for name, layer in names.items() if layer in added}

    assert not {name for name in shown(every) if name.startswith("Trade")}
    assert {"Trade: exports (million USD)", "Trade: turnover (million USD)"} <= shown(asked)


def test_imputed_components_are_a_tooltip_row():
    regions, border_lines, pairs, _ = make_world()
    regions = regions.assign(access_imputed=[True, False, False, False, False, False])
    page = build((regions, border_lines, pairs, None))
    flags = {f["properties"]["name"]: f["properties"]["imputed"] for f in data_var(page, "region_data")["features"]}
    assert flags["Alpha"] == "access" and flags["Beta"] == "none"
    assert '["Imputed","imputed"]' in page.replace(" ", "")
    assert "Imputed" not in build()


def test_values_beyond_their_goalposts_are_a_tooltip_row():
    regions, border_lines, pairs, _ = make_world()
    regions = regions.assign(access_beyond_goalposts=[False, True, False, False, False, False])
    page = build((regions, border_lines, pairs, None))
    flags = {f["properties"]["name"]: f["properties"]["beyond_goalposts"]
             for f in data_var(page, "region_data")["features"]}
    assert flags["Beta"] == "access" and flags["Alpha"] == "none"
    assert '["Outside goalposts","beyond_goalposts"]' in page
    assert "Outside goalposts" not in build()


# -- offline -----------------------------------------------------------------------------------


def test_offline_page_references_no_external_resource(page):
    tags = parse(page)
    assert not [attrs for tag, attrs in tags.tags if tag == "script" and attrs.get("src")]
    assert not [attrs for tag, attrs in tags.tags if tag == "link"]
    assert not [attrs for tag, attrs in tags.tags if attrs.get("href") or attrs.get("src")]
    leaflet_js, leaflet_css = _leaflet_assets()
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
    sources = [attrs["src"] for tag, attrs in parse(page).tags if tag == "script" and attrs.get("src")]
    assert sources == [_LEAFLET_CDN + "leaflet.js"]
    assert "tile.openstreetmap.org" in page
    assert _leaflet_assets()[0] not in page
    # the tile layer is shown by an element of borderland's, so the page stays reproducible
    assert build(offline=False) == page


# -- safety ------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "fragment"])
def test_texts_that_look_like_jinja_reach_the_page_as_they_are(fragment):
    # folium compiles what an element renders as a template again: names were run as Jinja ({{ 7 * 7 }} -> 49)
    jinja = ["{{ 7 * 7 }}", "{% if true %}yes{% endif %}", "{# gone #}", "{{ this }}", "Epsilon", "Zeta"]
    drawn = model(make_world(jinja), kinds=["index", "gaps"], title="{{ 6 * 7 }}")
    page = maps.html_fragment(drawn) if fragment else maps.html_page(drawn)
    assert [f["properties"]["name"] for f in data_var(page, "region_data")["features"]] == jinja
    assert "{{ 6 * 7 }}" in page and ">42<" not in page
    tooltip = data_var(page, "gap_data")["features"][0]["properties"]["tooltip"]
    assert tooltip.startswith("{{ 7 * 7 }} – {{ this }}: gap")


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
    code = page.replace(_leaflet_assets()[0], "")
    assert "textContent" in code
    assert not re.search(r"\.innerHTML\s*=", code)


@settings(deadline=None)
@given(st.text())
def test_script_json_cannot_break_out(text):
    encoded = _js({"name": text})
    assert not set(encoded) & set("<>&'`$\u2028\u2029")
    assert json.loads(encoded) == {"name": text}


# -- determinism -------------------------------------------------------------------------------


def test_same_inputs_give_identical_bytes(page):
    assert build() == page
    assert build_all() == build_all()
    built = model()
    assert maps.html_page(built) == maps.html_page(built) == page


def test_rendering_the_folium_map_is_idempotent(page):
    """Rendering the figure directly (as a notebook does) twice adds nothing the second time."""
    m = maps.folium_map(model())
    first = m.get_root().render()
    assert m.get_root().render() == first == page


@pytest.mark.parametrize("seed", ["1", "2"])
def test_same_bytes_in_another_process(page, seed):
    code = (f"import sys; sys.path.insert(0, {str(REPO / 'tests')!r}); import hashlib, mapworld; "
            "print(hashlib.sha256(mapworld.build().encode()).hexdigest()); "
            "print(hashlib.sha256(mapworld.build_all().encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=REPO)
    assert out.stdout.split()[-2:] == [hashlib.sha256(page.encode()).hexdigest(),
                                       hashlib.sha256(build_all().encode()).hexdigest()]


def test_no_random_ids_left(page):
    leaflet_js, leaflet_css = _leaflet_assets()
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


# -- writing -----------------------------------------------------------------------------------


def test_write_html(tmp_path):
    built = model()
    target = tmp_path / "out" / "map.html"
    assert maps.write_html(built, target) == target
    assert target.read_bytes() == maps.html_page(built).encode("utf-8")
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_write_html_refuses_to_overwrite(tmp_path):
    built = model()
    target = tmp_path / "map.html"
    target.write_text("old map")
    with pytest.raises(OutputError, match=r"exists already; pass --overwrite \(overwrite=True\)"):
        maps.write_html(built, target)
    assert target.read_text() == "old map"
    maps.write_html(built, target, overwrite=True)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- fragments ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fragment_model() -> maps.MapModel:
    return model(title="Fragment")


def ids_and_names(text: str) -> tuple[set[str], set[str]]:
    """Element ids, and JavaScript names declared outside Leaflet's own code."""
    code = text.replace(_leaflet_assets()[0], "")
    ids = {attrs["id"] for _, attrs in parse(text).tags if attrs.get("id")}
    names = set(re.findall(r"\b(?:var|let|function)\s+([A-Za-z_]\w*)", code)) - {
        "table", "row", "header", "depths", "x", "points", "i", "line", "walk", "values", "arcs", "arc", "types",
        "properties", "features", "feature", "numbers", "digit", "steps", "style", "fromProperties", "option",
        "value", "legend", "shown"}
    return ids, names


def test_fragment_is_one_div_of_fixed_size(fragment_model):
    fragment = maps.html_fragment(with_spec(fragment_model, size_px=(800, 500)))
    tags = parse(fragment).tags
    assert tags[0][0] == "div" and tags[0][1]["class"] == "borderland-map"
    assert tags[0][1]["style"] == "width:800px;height:500px"
    assert fragment.rstrip().endswith("</div>")
    assert not {tag for tag, _ in tags} & {"html", "head", "body", "meta", "title", "link"}
    # nothing styles the host page: no html/body rule, no bare #map rule
    assert not re.search(r"html,\s*body|#map\s*\{", fragment)
    assert f"#{tags[0][1]['id']} .borderland-legend {{ max-height: 380px; }}" in fragment  # 500 - 120


def test_fragment_ids_carry_a_prefix_derived_from_the_content(fragment_model):
    fragment = maps.html_fragment(fragment_model)
    prefix = "m" + hashlib.sha256(maps.html_page(fragment_model).encode()).hexdigest()[:10]
    ids, names = ids_and_names(fragment)
    assert prefix in ids
    assert ids and all(i == prefix or f"_{prefix}_" in i for i in ids), ids
    assert names and all(f"_{prefix}_" in n for n in names), names
    assert maps.html_fragment(fragment_model) == fragment  # deterministic


def test_two_maps_have_disjoint_ids_and_names(fragment_model):
    other = model(title="Another map", kinds=["typology"])
    first, second = (ids_and_names(maps.html_fragment(m)) for m in (fragment_model, other))
    assert not first[0] & second[0]
    assert not first[1] & second[1]


def test_fragment_prefix_given_by_the_caller(fragment_model):
    fragment = maps.html_fragment(with_spec(fragment_model, id_prefix="report2"))
    assert 'id="report2"' in fragment and 'id="map_report2_7"' in fragment


def test_fragment_runs_leaflet_only_when_the_page_has_none(fragment_model):
    leaflet_js, leaflet_css = _leaflet_assets()
    fragment = maps.html_fragment(fragment_model)
    assert f'<script>if (typeof L === "undefined") {{\n{leaflet_js}\n}}</script>' in fragment
    assert leaflet_css in fragment
    bare = maps.html_fragment(with_spec(fragment_model, include_leaflet=False))
    assert leaflet_js not in bare and leaflet_css not in bare


def test_online_fragment_links_leaflet():
    fragment = maps.html_fragment(model(offline=False))
    sources = [a["src"] for tag, a in parse(fragment).tags if tag == "script" and a.get("src")]
    assert sources == [_LEAFLET_CDN + "leaflet.js"]


def test_write_html_writes_a_fragment_when_the_spec_says(tmp_path, fragment_model):
    built = with_spec(fragment_model, fragment=True, id_prefix="f1")
    target = maps.write_html(built, tmp_path / "fragment.html")
    assert target.read_text(encoding="utf-8") == maps.html_fragment(built)


# -- what the CLI writes -----------------------------------------------------------------------


def test_write_map_outputs_html_and_png(tmp_path):
    built = model(with_columns(internet_pct=INTERNET), kinds=["indicator"], columns=["internet_pct"], classes=3,
                  palette="Greens")
    written = maps.write_map_outputs(built, tmp_path / "map.html", png=True)
    assert written == {"html": tmp_path / "map.html", "png": tmp_path / "map.png"}
    page = written["html"].read_text(encoding="utf-8")
    assert control(page)[0] == ["internet_pct (%)"]
    assert "natural" not in page and "quantiles, 3 classes" in legend_text(page)
    assert written["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_write_map_outputs_writes_nothing_when_a_file_exists(tmp_path):
    (tmp_path / "map.png").write_bytes(b"old")
    with pytest.raises(OutputError, match=r"file\(s\) exist already: .*map.png; pass --overwrite"):
        maps.write_map_outputs(model(), tmp_path / "map.html", png=True)
    assert not (tmp_path / "map.html").exists()


def test_write_map_outputs_fragment(tmp_path):
    built = model(kinds="typology", fragment=True, size_px=(640, 480))
    text = maps.write_map_outputs(built, tmp_path / "map.html")["html"].read_text(encoding="utf-8")
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
    spec = maps.MapSpec(title=result.study.title, attribution=result.study.attribution.lines, columns=columns)
    built = maps.map_model(regions, result.border_lines, result.pairs, spec=spec, countries=countries, bands=bands,
                           flows=lines)
    target = maps.write_html(built, tmp_path / "all.html")
    base, overlays = control(target.read_text(encoding="utf-8"))
    assert {"Digitalisation index", "Typology", "Border rings", "Distance bands (km)"} <= set(base)
    assert {"Countries", "State border", "Cross-border gaps"} <= set(overlays)
    assert any(name.startswith("Trade: ") for name in overlays)
    assert target.stat().st_size < 2_000_000


# -- (comparability) gaps that rest on components defined differently on the two sides ---------


def test_gaps_resting_on_unlike_definitions_are_dashed_on_the_page():
    from mapworld import with_comparability

    page = build(with_comparability(), kinds=["gaps"])
    gaps = data_var(page, "gap_data")["features"]
    assert [f["properties"].get("dashArray") for f in gaps] == [maps.GAP_DASH, None]
    assert gaps[0]["properties"]["tooltip"].endswith("; the definition of users differs across the border")
    # the layer's style function reads dashArray from each feature
    keys = re.findall(r"var fromProperties = (\{.*?\});", page)
    assert any(json.loads(k).get("dashArray") == "dashArray" for k in keys)
    assert "|dashed: definition of users differs across the border (1)|" in legend_text(page)
    assert "repeating-linear-gradient(90deg,#444444 0 6px,transparent 6px 10px)" in legend(page)
