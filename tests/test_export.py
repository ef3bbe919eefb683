import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderland import maps
from borderland.errors import CRSError, OutputError, SchemaError
from borderland.export import (
    FIELD_ALIASES,
    export_layers,
    export_result,
    read_run_metadata,
    required_attributions,
    result_aliases,
    result_layers,
    run_metadata,
    update_layer,
    write_geopackage,
)
from borderland.styles import (
    STYLE_COLUMNS,
    LayerStyle,
    gap_width_expression,
    layer_styles,
    leading_side_expression,
    qgis_colour,
    read_styles,
    sqlite,
    write_styles,
)
from tests.conftest import KM, X0, Y0

REPO = Path(__file__).resolve().parents[1]
GDAL_BIN = "apt-get install -y gdal-bin"


@pytest.fixture
def frames(regions):
    layer = regions.assign(border_order=pd.array([3, 2, 1, 1, 2, None], dtype="Int64"),
                           typology=pd.array(["lagging", None, "leader", "moderate", "leader", None], dtype="string"))
    table = pd.DataFrame({"year": [2020, 2021], "focus": [3, 0]})
    return {"regions": layer, "years": table}


def test_round_trip_keeps_rows_columns_types_and_crs(tmp_path, frames):
    path = write_geopackage(frames, tmp_path / "out.gpkg")
    # the data layers in order, then the QGIS style table
    assert [name for name, _ in pyogrio.list_layers(path)] == ["regions", "years", "layer_styles"]
    back = gpd.read_file(path, layer="regions").set_index("region_id")
    assert back.crs.to_epsg() == 3035
    assert list(back.index) == list(frames["regions"].index)
    assert back["border_order"].tolist()[:5] == [3, 2, 1, 1, 2] and pd.isna(back["border_order"].iloc[5])
    info = pyogrio.read_info(path, layer="regions")
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    # small integers as Integer (not Integer64), reals as Real, text as String
    assert types == {"region_id": "OFTString", "name": "OFTString", "country": "OFTString", "level": "OFTString",
                     "source": "OFTString", "border_order": "OFTInteger", "typology": "OFTString"}
    assert back["typology"].isna().tolist() == [False, True, False, False, False, True]
    assert shapely.equals(back.geometry.to_numpy(), frames["regions"].geometry.to_numpy()).all()
    assert pyogrio.read_dataframe(path, layer="years")["focus"].tolist() == [3, 0]


def test_existing_file_is_refused_and_left_intact(tmp_path, frames):
    target = tmp_path / "out.gpkg"
    target.write_bytes(b"earlier results")
    with pytest.raises(OutputError, match="exists already; pass --overwrite"):
        write_geopackage(frames, target)
    assert target.read_bytes() == b"earlier results"


def test_failed_write_leaves_earlier_file_and_no_temporary(tmp_path, frames, monkeypatch):
    target = tmp_path / "out.gpkg"
    target.write_bytes(b"earlier results")
    real_write = pyogrio.write_dataframe

    def fail_on_second_layer(data, path, layer, **kwargs):
        if layer == "years":
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C half way through
        return real_write(data, path, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", fail_on_second_layer)
    with pytest.raises(KeyboardInterrupt):
        write_geopackage(frames, target, overwrite=True)
    assert target.read_bytes() == b"earlier results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


@pytest.mark.parametrize(("layers", "error", "message"), [
    ({"gpkg_contents": "regions"}, SchemaError, "reserved by the GeoPackage format"),
    ({"layer_styles": "regions"}, SchemaError, "reserved by the GeoPackage format"),
    ({"regions": "regions", "lines": "lines_3857"}, CRSError, "reproject, or pass crs= to write every layer in one"),
    ({"regions": "no_crs"}, CRSError, "has no CRS; set the study's CRS"),
], ids=["gpkg-table", "style-table", "two-crs", "no-crs"])
def test_bad_layers_are_refused_before_writing(tmp_path, regions, layers, error, message):
    line = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.LineString([(X0 + 3 * KM, Y0), (X0 + 3 * KM, Y0 + KM)])],
                            crs=3035)
    made = {"regions": regions, "lines_3857": line.to_crs(3857), "no_crs": regions.set_crs(None, allow_override=True)}
    with pytest.raises(error, match=message):
        write_geopackage({name: made[key] for name, key in layers.items()}, tmp_path / "out.gpkg")
    assert list(tmp_path.iterdir()) == []


# -- styles on the strip world, checked by hand ------------------------------------------------


@pytest.fixture
def strip_layers(regions):
    """The strip with an index, typology and rings; its border line; its five pairs with gaps.

    index: A0 0, A1 0.25, A2 0.5 | B3 1, B4 0.75, B5 none. Pairs (a - b): A0-A1 -0.25, A1-A2 -0.25,
    A2-B3 0.5 - 1 = -0.5 (the only cross-border pair: B leads), B3-B4 0.25, B4-B5 none.
    """
    index = pd.Series([0.0, 0.25, 0.5, 1.0, 0.75, np.nan], index=regions.index, name="index")
    strip = regions.assign(index=index, typology=pd.array(["lagging", "lagging", "moderate", "leader", "leader",
                                                           None], dtype="string"),
                           border_order=pd.array([3, 2, 1, 1, 2, 3], dtype="Int64"),
                           border_distance_km=[2.5, 1.5, 0.5, 0.5, 1.5, 2.5])
    border = gpd.GeoDataFrame({"segment": ["AA-BB"], "country_a": ["AA"], "country_b": ["BB"], "length_km": [1.0]},
                              geometry=[shapely.LineString([(X0 + 3 * KM, Y0), (X0 + 3 * KM, Y0 + KM)])], crs=3035)
    codes = list(regions.index)
    a, b = codes[:-1], codes[1:]
    gap = [-0.25, -0.25, -0.5, 0.25, np.nan]
    pairs = gpd.GeoDataFrame({
        "region_a": a, "region_b": b, "name_a": [f"Region {c}" for c in a], "name_b": [f"Region {c}" for c in b],
        "country_a": [c[0] * 2 for c in a], "country_b": [c[0] * 2 for c in b],
        "cross_border": [False, False, True, False, False], "shared_border_km": [1.0] * 5,
        "gap": gap, "abs_gap": np.abs(gap),
    }, geometry=[shapely.LineString([(X0 + i * KM, Y0), (X0 + i * KM, Y0 + KM)]) for i in range(1, 6)], crs=3035)
    return {"regions": strip, "border_lines": border, "neighbour_pairs": pairs}


def _qml(styles, layer, name):
    style = next(s for s in styles if s.layer == layer and s.name == name)
    assert style.qml.startswith("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>")
    return style, ET.fromstring(style.qml.split("\n", 1)[1])


def _fill(symbol: ET.Element) -> str:
    return symbol.find("layer/prop[@k='color']").get("v")


def test_index_style_has_the_map_classes_by_hand(strip_layers):
    style, root = _qml(layer_styles(strip_layers, aliases=FIELD_ALIASES), "regions", "index")
    assert style.default
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    # "no data" is classed through a sentinel: floor(lowest 0.0) - 1000 = -1000, below -999
    assert renderer.get("attr") == 'coalesce("index", -1000.0)'
    ranges = [(float(r.get("lower")), float(r.get("upper")), r.get("label")) for r in renderer.iter("range")]
    # quantiles of 0, 0.25, 0.5, 0.75, 1 (k = 5): bins 0.2, 0.4, 0.6, 0.8, 1.0, one value per class;
    # each range runs from the previous class's largest member to its own
    assert ranges == [(0.0, 0.0, "0.000 – 0.200"), (0.0, 0.25, "0.200 – 0.400"), (0.25, 0.5, "0.400 – 0.600"),
                      (0.5, 0.75, "0.600 – 0.800"), (0.75, 1.0, "0.800 – 1.000"), (-1000.0, -1000.0, "no data")]
    colours = [_fill(s) for s in renderer.find("symbols")]
    # YlGnBu, 5 classes, then the map's "no data" grey; alpha 0.85 x 255 = 216.75 -> 217
    assert colours == ["255,255,204,217", "161,218,180,217", "65,182,196,217", "44,127,184,217", "37,52,148,217",
                       "217,217,217,217"]
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["border_distance_km"] == "Distance to the land border (km)"


def test_typology_and_ring_styles_by_hand(strip_layers):
    _, typology = _qml(layer_styles(strip_layers), "regions", "typology")
    categories = [(c.get("value"), c.get("label")) for c in typology.iter("category")]
    assert categories == [("leader", "leader"), ("moderate", "moderate"), ("lagging", "lagging"), ("", "no data")]
    assert [_fill(s) for s in typology.find("renderer-v2/symbols")][:3] == [
        qgis_colour(maps.TYPOLOGY_COLOURS[label], 0.85) for label in ("leader", "moderate", "lagging")]
    _, rings = _qml(layer_styles(strip_layers), "regions", "border rings")
    assert [(c.get("value"), c.get("label")) for c in rings.iter("category")] == [
        ("1", "ring 1: touches the border"), ("2", "ring 2"), ("3", "ring 3"), ("", "no data")]
    # the map's YlOrBr_r: ring 1 darkest
    fill = maps.map_layers(strip_layers["regions"], strip_layers["border_lines"], kinds=["rings"]).region_layers[0]
    assert [_fill(s) for s in rings.find("renderer-v2/symbols")][:3] == [
        qgis_colour(fill.fill[code], 0.85) for code in ("A2", "A1", "A0")]


def test_gap_style_draws_only_the_cross_border_pair_by_hand(strip_layers):
    style, root = _qml(layer_styles(strip_layers), "neighbour_pairs", "cross-border gaps")
    renderer = root.find("renderer-v2")
    assert renderer.get("attr") == leading_side_expression()
    categories = [(c.get("value"), c.get("label"), c.get("render")) for c in renderer.iter("category")]
    # A2-B3: gap -0.5 < 0, so country b (BB) leads; the first leader colour; other pairs switched off
    assert categories == [("BB", "BB side leads", "true"), ("", "other pairs (within a country, or no gap)", "false")]
    assert renderer.find("symbols/symbol/layer/prop[@k='line_color']").get("v") == qgis_colour("#d95f02", 0.85)
    # the largest |gap| (0.5) is 12 px wide: width = max(1, 12 * |gap| / 0.5)
    width = renderer.find(".//Option[@name='outlineWidth']/Option[@name='expression']").get("value")
    assert width == gap_width_expression(0.5) == 'max(1.0, 12.0 * "abs_gap" / 0.5)'
    assert "12 px wide" in style.description


def test_border_style_and_plain_styles_for_other_layers(strip_layers):
    points = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(X0, Y0)], crs=3035)
    styles = layer_styles({**strip_layers, "towns": points, "table": pd.DataFrame({"a": [1]})})
    _, border = _qml(styles, "border_lines", "state border")
    assert border.find(".//prop[@k='line_color']").get("v") == qgis_colour(maps.BORDER_COLOUR)
    assert border.find(".//prop[@k='line_width']").get("v") == "3.5"
    assert border.find(".//prop[@k='line_width_unit']").get("v") == "Pixel"
    _, towns = _qml(styles, "towns", "plain")
    assert towns.find(".//layer").get("class") == "SimpleMarker"
    # one default per spatial layer; attribute tables get none
    defaults = [s.layer for s in styles if s.default]
    assert defaults == ["regions", "border_lines", "neighbour_pairs", "towns"]


@pytest.mark.parametrize(("colour", "opacity", "expected"), [
    ("#1b7837", 0.85, "27,120,55,217"),  # 0x1b = 27, 0x78 = 120, 0x37 = 55; 0.85 x 255 = 216.75
    ("#ffffff", 1.0, "255,255,255,255"),
    ("#000000", 0.0, "0,0,0,0"),
], ids=["typology-leader", "white", "transparent"])
def test_qgis_colour(colour, opacity, expected):
    assert qgis_colour(colour, opacity) == expected


def test_qgis_colour_refuses_other_notations():
    with pytest.raises(SchemaError, match="is not of the form #rrggbb"):
        qgis_colour("red")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.none(), st.floats(0, 1, allow_nan=False)), min_size=6, max_size=6))
def test_qgis_ranges_put_every_region_in_the_map_class(strip_layers, values):
    regions = strip_layers["regions"].assign(index=pd.Series(values, index=strip_layers["regions"].index,
                                                             dtype=float))
    layers = {**strip_layers, "regions": regions}
    _, root = _qml(layer_styles(layers), "regions", "index")
    renderer = root.find("renderer-v2")
    ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")]
    colours = ["#{:02x}{:02x}{:02x}".format(*map(int, _fill(s).split(",")[:3])) for s in renderer.find("symbols")]
    sentinel = ranges[-1][0]
    fill = maps.map_layers(regions, strip_layers["border_lines"], kinds=["index"]).region_layers[0].fill
    for value, expected in zip(regions["index"], fill, strict=True):
        x = sentinel if pd.isna(value) else value
        # QGIS draws a feature with the first range that holds its value
        first = next(i for i, (low, high) in enumerate(ranges) if low <= x <= high)
        assert colours[first] == expected


# -- the layer_styles table ----------------------------------------------------------------------


def test_write_styles_refuses_two_defaults_and_non_spatial_layers(tmp_path, frames):
    path = write_geopackage(frames, tmp_path / "out.gpkg", styles=False)
    assert read_styles(path).empty
    qml = "<qgis/>"
    with pytest.raises(SchemaError, match=r"more than one default style for layer\(s\) \['regions'\]"):
        write_styles(path, [LayerStyle("regions", "a", qml, "", True), LayerStyle("regions", "b", qml, "", True)])
    with pytest.raises(SchemaError, match=r"styles given for \['years'\], which are not spatial layers"):
        write_styles(path, [LayerStyle("years", "a", qml, "", True)])


# -- the bundled study -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(bundled_result):
    return bundled_result


@pytest.fixture(scope="module")
def bundled(study, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundled")
    return export_result(study, folder, formats=("gpkg",))["gpkg"][0]


def _ogr_type(series: pd.Series) -> str:
    """The OGR field type a column must come back as."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "OFTInteger/OFSTBoolean"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "OFTInteger"
    if pd.api.types.is_float_dtype(series.dtype):
        return "OFTReal"
    return "OFTString"


def test_round_trip_of_the_bundled_study(bundled, study):
    layers = result_layers(study)
    assert {"regions", "border_lines", "neighbour_pairs", "border_segments", "trade_flows"} <= set(layers)
    for name, frame in layers.items():
        info = pyogrio.read_info(bundled, layer=name)
        flat = frame.reset_index() if frame.index.name else frame
        columns = [c for c in flat.columns if c != "geometry"]
        assert list(info["fields"]) == columns, name
        assert info["features"] == len(frame), name
        found = {f: t + ("/OFSTBoolean" if s == "OFSTBoolean" else "")
                 for f, t, s in zip(info["fields"], info["ogr_types"], info["ogr_subtypes"], strict=True)}
        assert found == {c: _ogr_type(flat[c]) for c in columns}, name
        back = pyogrio.read_dataframe(bundled, layer=name)
        for column in columns:
            if found[column] == "OFTReal":
                np.testing.assert_allclose(back[column].to_numpy(float), flat[column].to_numpy(float),
                                           rtol=0, atol=0, equal_nan=True, err_msg=f"{name}.{column}")
            else:
                assert back[column].isna().tolist() == flat[column].isna().tolist(), f"{name}.{column}"
        if isinstance(frame, gpd.GeoDataFrame):
            assert info["crs"] == "EPSG:3035"
            assert shapely.equals(back.geometry.to_numpy(), frame.geometry.to_numpy()).all(), name
        else:
            assert info["geometry_type"] is None, name


def test_run_metadata_is_in_the_geopackage(bundled, study):
    meta = read_run_metadata(bundled)
    assert meta["title"] == "Digital divide across Russia's western border"
    assert (meta["crs"], meta["index_year"], meta["focus_country"]) == ("EPSG:3035", 2021, "RU")
    spec = meta["index_specification"]
    assert [c["name"] for c in spec["components"]] == [c.name for c in study.study.index.components]
    assert [c["unit"] for c in spec["components"]] == ["% of households", "% of households", "% of individuals"]
    assert (spec["normalisation"], spec["aggregation"], spec["min_share"]) == ("minmax", "arithmetic", 1.0)
    assert meta["typology_rule"]["method"] == "mean_sd"
    assert meta["tolerances"] == {"sliver_width_m": 8000.0, "edge_tolerance_m": 0.0, "touch_tolerance_m": 100.0,
                                  "distance_origin": "inside_point", "contiguity": "rook", "resolution_m": 5000.0}
    assert meta["software"]["GDAL"] == pyogrio.__gdal_version_string__
    assert meta["software"]["shapely"] == shapely.__version__ and meta["software"]["geopandas"] == gpd.__version__
    assert "Eurostat GISCO NUTS 2024 1:3M level 2 (© EuroGeographics for the administrative boundaries)" in \
        meta["sources"]
    credits = meta["attribution"]
    assert credits[:len(study.study.attribution)] == list(study.study.attribution)
    # the study credits EuroGeographics already; Natural Earth, GPW, Eurostat and Rosstat as their terms ask
    required = credits[len(study.study.attribution):]
    assert required[0] == "Made with Natural Earth (public domain)"
    assert required[1].startswith("CIESIN, Columbia University. 2018. Gridded Population of the World")
    assert required[2:] == ["Source: Eurostat", "Source: Rosstat"]
    # a file that is merely opened gets no sidecar (GDAL dataset metadata would make GDAL 3.12 write one)
    assert not bundled.with_name(bundled.name + ".aux.xml").exists()
    layer_meta = pyogrio.read_info(bundled, layer="regions")["layer_metadata"]
    assert layer_meta["DESCRIPTION"].startswith("One row per region")
    assert layer_meta["FIELD_border_distance_km"] == "Distance to the land border (km)"
    with sqlite(bundled, read_only=True) as conn:
        scopes = conn.execute("SELECT r.reference_scope, r.table_name FROM gpkg_metadata_reference r "
                              "JOIN gpkg_metadata m ON m.id = r.md_file_id").fetchall()
        aliases = dict(conn.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'regions'"))
        extension = conn.execute("SELECT scope FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' "
                                 "AND extension_name = 'gpkg_schema'").fetchall()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert ("geopackage", None) in scopes and ("table", "regions") in scopes
    assert aliases["border_distance_km"] == FIELD_ALIASES["border_distance_km"]
    assert aliases["households_internet_access"] == "Households internet access (% of households, 2021)"
    assert extension == [("read-write",)]
    assert version == 10300  # GeoPackage 1.3: read without a warning by GDAL 3.6 (QGIS on Debian 12)


def test_required_attributions():
    assert required_attributions(["Eurostat GISCO NUTS 2024 1:3M level 2"]) == [
        "© EuroGeographics for the administrative boundaries", "Source: Eurostat"]
    assert required_attributions(["population_gpw_v4_2000_15min.tif"])[0].startswith("CIESIN, Columbia University")
    assert required_attributions(["a table typed in by hand"]) == []


def test_layer_styles_table_follows_the_qgis_schema(bundled):
    with sqlite(bundled, read_only=True) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(layer_styles)")]
        registered = conn.execute("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchall()
    assert columns == ["id", *STYLE_COLUMNS]
    assert registered == [("attributes",)]  # as QGIS creates it, through GDAL
    styles = read_styles(bundled)
    assert set(styles["f_table_schema"]) == {""} and set(styles["f_geometry_column"]) == {"geom"}
    spatial = {name for name, geometry in pyogrio.list_layers(bundled) if geometry is not None}
    defaults = styles[styles["useAsDefault"]].groupby("f_table_name").size()
    assert set(defaults.index) == spatial and (defaults == 1).all()
    regions = styles[styles["f_table_name"] == "regions"].set_index("styleName")
    assert list(regions.index) == ["index", "typology", "border rings"]
    assert regions.loc["index", "useAsDefault"]
    ET.fromstring(regions.loc["index", "styleQML"].split("\n", 1)[1])  # well-formed XML


def _ogrinfo(*args: str) -> str:
    try:
        run = subprocess.run(["ogrinfo", *args], capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        pytest.fail(f"ogrinfo is missing; install GDAL's command-line tools with `{GDAL_BIN}`", pytrace=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_ogrinfo_lists_every_layer_and_the_metadata(bundled, study):
    listing = _ogrinfo(str(bundled))
    for name, frame in result_layers(study).items():
        kind = "None" if not isinstance(frame, gpd.GeoDataFrame) else None
        assert (f": {name} ({kind})" if kind else f": {name} (") in listing, name
    # the run's metadata document, at the top
    title = "Digital divide across Russia's western border"
    assert f'Metadata:\n  GPKG_METADATA_ITEM_1={{\n  "title": "{title}",' in listing
    assert '"index_year": 2021' in listing
    summary = _ogrinfo("-so", "-al", str(bundled))
    for name in result_layers(study):
        assert f"Layer name: {name}\n" in summary
    assert "© EuroGeographics for the administrative boundaries" in summary
    assert "  FIELD_border_distance_km=Distance to the land border (km)" in summary
    assert "cross_border: Integer(Boolean)" in summary and "border_order: Integer (0.0)" in summary


def test_the_same_layers_in_epsg_4326_on_request(study, tmp_path):
    layers = result_layers(study)
    path = write_geopackage(layers, tmp_path / "wgs84.gpkg", crs="EPSG:4326", aliases=result_aliases(study))
    for name, frame in layers.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == len(frame)
        if isinstance(frame, gpd.GeoDataFrame):
            assert info["crs"] == "EPSG:4326", name
            west, south, east, north = info["total_bounds"]
            assert 4 < west < east < 70 and 40 < south < north < 82, name  # Norway to Novaya Zemlya, in degrees
    # the classes come from the attributes: the same styles as in the study's own CRS
    projected = layer_styles(layers, aliases={**FIELD_ALIASES, **result_aliases(study)})
    assert read_styles(path)["styleQML"].tolist() == [s.qml for s in projected]


# -- updating one layer ------------------------------------------------------------------------


def test_update_replaces_one_layer_and_keeps_the_rest(bundled, study, tmp_path):
    path = tmp_path / "copy.gpkg"
    path.write_bytes(bundled.read_bytes())
    before = {name: pyogrio.read_info(path, layer=name) for name, _ in pyogrio.list_layers(path)}
    five = study.border_lines.iloc[:5]
    update_layer(path, "border_lines", five)
    after = {name: pyogrio.read_info(path, layer=name) for name, _ in pyogrio.list_layers(path)}
    assert after["border_lines"]["features"] == 5
    assert {n: i["features"] for n, i in after.items() if n not in ("border_lines", "layer_styles")} == \
        {n: i["features"] for n, i in before.items() if n not in ("border_lines", "layer_styles")}
    assert read_run_metadata(path) == read_run_metadata(bundled)
    assert after["border_lines"]["layer_metadata"]["DESCRIPTION"].startswith("Land border between states")
    styles = read_styles(path)
    assert styles.groupby("f_table_name")["useAsDefault"].sum().eq(1).all()
    assert styles[styles["f_table_name"] == "border_lines"]["styleName"].tolist() == ["state border"]
    assert [p.name for p in tmp_path.iterdir()] == ["copy.gpkg"]


def test_update_is_refused_without_a_file_or_in_another_crs(bundled, study, tmp_path):
    with pytest.raises(OutputError, match="does not exist; write it first with write_geopackage"):
        update_layer(tmp_path / "missing.gpkg", "border_lines", study.border_lines)
    path = tmp_path / "copy.gpkg"
    path.write_bytes(bundled.read_bytes())
    with pytest.raises(CRSError, match=r"is in EPSG:4326 but .* in EPSG:3035; reproject it"):
        update_layer(path, "border_lines", study.border_lines.to_crs(4326))
    assert path.read_bytes() == bundled.read_bytes()


def test_interrupted_update_leaves_the_file_as_it_was(bundled, study, tmp_path, monkeypatch):
    path = tmp_path / "copy.gpkg"
    path.write_bytes(bundled.read_bytes())

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pyogrio, "write_dataframe", interrupted)
    with pytest.raises(KeyboardInterrupt):
        update_layer(path, "border_lines", study.border_lines.iloc[:5])
    assert path.read_bytes() == bundled.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["copy.gpkg"]


# -- other formats -----------------------------------------------------------------------------


def test_export_writes_every_table_in_every_format(study, tmp_path):
    written = export_result(study, tmp_path, formats=("gpkg", "geoparquet", "geojson", "csv"))
    layers = result_layers(study)
    assert written["gpkg"] == [tmp_path / "borderland.gpkg"]
    assert written["metadata"] == [tmp_path / "borderland_metadata.json"]
    for fmt, suffix in (("geoparquet", ".parquet"), ("geojson", ".geojson"), ("csv", ".csv")):
        assert written[fmt] == [tmp_path / f"{name}{suffix}" for name in layers]
    for name, frame in layers.items():
        flat = frame.reset_index() if frame.index.name else frame
        columns = [c for c in flat.columns if c != "geometry"]
        csv = pd.read_csv(tmp_path / f"{name}.csv")
        assert list(csv.columns) == columns and len(csv) == len(frame), name
        geojson = pyogrio.read_info(tmp_path / f"{name}.geojson")
        assert geojson["features"] == len(frame), name
        if isinstance(frame, gpd.GeoDataFrame):
            parquet = gpd.read_parquet(tmp_path / f"{name}.parquet")
            assert parquet.crs.to_epsg() == 3035 and geojson["crs"] == "EPSG:4326", name
            assert [c for c in parquet.columns if c != "geometry"] == columns, name
            assert shapely.equals(parquet.geometry.to_numpy(), frame.geometry.to_numpy()).all(), name
        else:
            parquet = pd.read_parquet(tmp_path / f"{name}.parquet")
            # an attribute table: features without geometry, as RFC 7946 allows
            assert pyogrio.read_dataframe(tmp_path / f"{name}.geojson").geometry.isna().all(), name
        assert len(parquet) == len(frame), name
    regions = pd.read_csv(tmp_path / "regions.csv")
    np.testing.assert_allclose(regions["index"], study.regions["index"].to_numpy(float), equal_nan=True)
    meta = json.loads((tmp_path / "borderland_metadata.json").read_text(encoding="utf-8"))
    assert meta == {**run_metadata(study), "created": meta["created"]}
    assert read_run_metadata(tmp_path / "borderland.gpkg") == meta


def test_export_refuses_unknown_formats_and_existing_files(study, tmp_path):
    with pytest.raises(SchemaError, match=r"unknown export format\(s\) \['shp'\]; choose from \['gpkg', "
                                          r"'geoparquet', 'geojson', 'csv'\]"):
        export_layers(result_layers(study), tmp_path, formats=("shp",))
    (tmp_path / "regions.csv").write_text("earlier", encoding="utf-8")
    with pytest.raises(OutputError, match=r"regions.csv; pass --overwrite"):
        export_layers(result_layers(study), tmp_path, formats=("gpkg", "csv"))
    assert [p.name for p in tmp_path.iterdir()] == ["regions.csv"]
    assert (tmp_path / "regions.csv").read_text(encoding="utf-8") == "earlier"


def test_export_in_another_crs(study, tmp_path):
    written = export_layers({"regions": study.regions}, tmp_path, formats=("geoparquet",), crs="EPSG:4326")
    assert gpd.read_parquet(written["geoparquet"][0]).crs.to_epsg() == 4326


# -- killed in the middle of a write -----------------------------------------------------------

_WRITER = """
import sys
import numpy as np, geopandas as gpd, shapely
from borderland.export import write_geopackage

n = 200_000
i = np.arange(n)
x, y = 4e6 + (i % 1000) * 100.0, 3e6 + (i // 1000) * 100.0
big = gpd.GeoDataFrame({"value": i * 0.5, "code": i.astype(str)}, geometry=shapely.box(x, y, x + 90, y + 90), crs=3035)
write_geopackage({"big": big, "again": big}, sys.argv[1], overwrite=True)
"""


def test_killing_the_writer_leaves_the_earlier_geopackage_intact(tmp_path, frames):
    target = write_geopackage(frames, tmp_path / "results.gpkg")
    earlier = target.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], env=env, cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # wait until the writer is well into its temporary file (a few MB of the ~110 MB), then kill it
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            parts = list(tmp_path.glob(".results.gpkg.*.part.gpkg"))
            if parts and parts[0].stat().st_size > 4_000_000:
                break
            time.sleep(0.01)
        assert child.poll() is None, f"the writer ended before it could be killed: {child.stderr.read()[-2000:]!r}"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == earlier
    assert [name for name, _ in pyogrio.list_layers(target)] == ["regions", "years", "layer_styles"]
    # what the killed writer leaves is its hidden temporary file, never a file at the target's name
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p != target)
    assert leftovers and all(n.startswith(".results.gpkg.") and ".part.gpkg" in n for n in leftovers)
    # and the next write replaces the file all the same
    write_geopackage({"years": frames["years"]}, target, overwrite=True)
    assert [name for name, _ in pyogrio.list_layers(target)] == ["years"]
