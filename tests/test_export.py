import contextlib
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

from borderland import maps
from borderland.errors import CRSError, OutputError, SchemaError
from borderland.export import (
    FIELD_ALIASES,
    STYLE_COLUMNS,
    export_layers,
    export_result,
    read_run_metadata,
    read_styles,
    required_attributions,
    result_aliases,
    result_layers,
    run_metadata,
    sqlite,
    update_layer,
    write_geopackage,
    write_styles,
)
from borderland.maps import LayerStyle, layer_styles
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
    path = write_geopackage(frames, tmp_path / "out.gpkg", styles=layer_styles(frames))
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


def test_styles_come_ready_made_or_not_at_all(tmp_path, frames):
    path = write_geopackage(frames, tmp_path / "out.gpkg")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["regions", "years"]
    assert read_styles(path).empty
    styles = layer_styles(frames)
    path = write_geopackage(frames, tmp_path / "styled.gpkg", styles=styles)
    assert read_styles(path)["styleQML"].tolist() == [s.qml for s in styles]


def test_styles_of_layers_not_written_are_refused_before_writing(tmp_path, frames):
    stray = LayerStyle("towns", "plain", "<qgis/>", "", True)
    with pytest.raises(SchemaError, match=r"GeoPackage styles: 2 problem\(s\)\n.*styles given for \['towns'\], "
                                          r"which are not spatial layers written \(\['regions'\]\)\n.*more than one "
                                          r"default style for layer\(s\) \['regions'\]"):
        write_geopackage(frames, tmp_path / "out.gpkg", styles=[stray, *layer_styles(frames), *layer_styles(frames)])
    assert list(tmp_path.iterdir()) == []


def test_importing_export_does_not_import_the_map_writers():
    code = ("import sys, borderland.export; "
            "print(sorted({'folium', 'branca', 'matplotlib', 'mapclassify'} & sys.modules.keys()), "
            "'borderland.maps' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[] False"


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


def test_staged_file_is_written_without_syncs_then_flushed_once(tmp_path, frames, monkeypatch):
    """GDAL skips the syncs while the staged file is written; the file is flushed once, before the move."""
    import borderland.export.geopackage as geopackage

    pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "NORMAL", "OGR_SQLITE_JOURNAL": None})
    seen, synced = [], []
    real_write, real_fsync = pyogrio.write_dataframe, os.fsync

    def write(data, path, layer, **kwargs):
        seen.append((layer, pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS"),
                     pyogrio.get_gdal_config_option("OGR_SQLITE_JOURNAL")))
        return real_write(data, path, layer=layer, **kwargs)

    def fsync(fd):
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        return real_fsync(fd)

    monkeypatch.setattr(pyogrio, "write_dataframe", write)
    monkeypatch.setattr(geopackage.os, "fsync", fsync)
    try:
        target = write_geopackage(frames, tmp_path / "out.gpkg", styles=layer_styles(frames))
        # every layer and the style table written with syncs off, the journal in memory
        assert seen == [(layer, False, "MEMORY") for layer in ("regions", "years", "layer_styles")]
        assert len(synced) == 1 and synced[0].startswith(".out.gpkg.") and synced[0].endswith(".part.gpkg")
        # and the process's settings are as they were
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == "NORMAL"
        assert pyogrio.get_gdal_config_option("OGR_SQLITE_JOURNAL") is None
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": None})
    with sqlite(target, read_only=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # nothing of the staging settings is kept in the file: QGIS opens it as any GeoPackage
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_settings_are_restored_when_a_write_fails(tmp_path, frames, monkeypatch):
    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pyogrio, "write_dataframe", fail)
    with pytest.raises(KeyboardInterrupt):
        write_geopackage(frames, tmp_path / "out.gpkg")
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_JOURNAL") is None
    assert not list(tmp_path.iterdir())


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


# -- the layer_styles table ----------------------------------------------------------------------


def test_write_styles_refuses_two_defaults_and_non_spatial_layers(tmp_path, frames):
    path = write_geopackage(frames, tmp_path / "out.gpkg")
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
    styles = layer_styles(result_layers(study), aliases={**FIELD_ALIASES, **result_aliases(study)})
    return export_result(study, folder, formats=("gpkg",), styles=styles)["gpkg"][0]


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
    assert meta["tolerances"] == {"regions.sliver_width_m": 8000.0, "border.edge_tolerance_m": 0.0,
                                  "border.touch_tolerance_m": 100.0, "border.distance_origin": "inside_point",
                                  "gaps.contiguity": "rook", "raster.resolution_m": 5000.0}
    assert meta["software"]["GDAL"] == pyogrio.__gdal_version_string__
    assert meta["software"]["shapely"] == shapely.__version__ and meta["software"]["geopandas"] == gpd.__version__
    assert "Eurostat GISCO NUTS 2024 1:3M level 2 (© EuroGeographics for the administrative boundaries)" in \
        meta["sources"]
    credits = meta["attribution"]
    lines = study.study.attribution.lines
    assert credits[:len(lines)] == list(lines)
    # the study credits EuroGeographics already; Natural Earth, GPW, Eurostat and Rosstat as their terms ask
    required = credits[len(lines):]
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



def test_the_population_behind_the_weights_is_in_the_metadata_and_the_aliases(bundled, study):
    population = read_run_metadata(bundled)["population"]
    assert population["indicator"] == "population_1_january"
    assert population["rule"] == "nearest year per region in 2018-2024 (of two equally near, the earlier)"
    assert sorted(population["years"]) == ["2018", "2022"]
    assert "RU-BRY" in population["years"]["2022"]["regions"] and "EE00" in population["years"]["2018"]["regions"]
    assert [s[:8] for s in population["years"]["2018"]["sources"]] == ["Eurostat"]
    assert all(s.startswith("Rosstat") for s in population["years"]["2022"]["sources"])
    assert "BY-MA" in population["regions_without"]
    with sqlite(bundled, read_only=True) as conn:
        aliases = dict(conn.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'regions'"))
    # two populations, each alias says which: the indicator table's (with its years) and the raster's
    assert aliases["population_persons"] == ("Population from the indicator table (population_1_january, 2018 or "
                                             "2022 by region: population_year), persons")
    assert aliases["population_year"] == "Year of population_persons (indicator table)"
    assert aliases["population_raster"].startswith("Population of the population raster ([raster] population")


def test_one_name_means_one_thing(study):
    # border segments weight by shared length and say so; trade segments' mean_gap counts each pair once
    assert {"mean_gap_length_weighted", "mean_abs_gap_length_weighted"} <= set(study.segments.columns)
    assert not {"mean_gap", "mean_abs_gap"} & set(study.segments.columns)
    assert {"mean_gap", "mean_abs_gap"} <= set(study.trade_segments.columns)
    assert "unweighted" in FIELD_ALIASES["mean_gap"] and "unweighted" in FIELD_ALIASES["mean_abs_gap"]
    assert "weighted by shared length" in FIELD_ALIASES["mean_gap_length_weighted"]
    assert "weighted by shared length" in FIELD_ALIASES["mean_abs_gap_length_weighted"]

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
    aliases = {**FIELD_ALIASES, **result_aliases(study)}
    path = write_geopackage(layers, tmp_path / "wgs84.gpkg", crs="EPSG:4326", aliases=result_aliases(study),
                            styles=layer_styles(layers, aliases=aliases))
    for name, frame in layers.items():
        info = pyogrio.read_info(path, layer=name)
        assert info["features"] == len(frame)
        if isinstance(frame, gpd.GeoDataFrame):
            assert info["crs"] == "EPSG:4326", name
            west, south, east, north = info["total_bounds"]
            assert 4 < west < east < 70 and 40 < south < north < 82, name  # Norway to Novaya Zemlya, in degrees
    # the classes come from the attributes: styles of the layers in degrees are those in the study's own CRS
    degrees = {name: frame.to_crs(4326) if isinstance(frame, gpd.GeoDataFrame) else frame
               for name, frame in layers.items()}
    assert read_styles(path)["styleQML"].tolist() == [s.qml for s in layer_styles(degrees, aliases=aliases)]


# -- updating one layer ------------------------------------------------------------------------


def test_update_replaces_one_layer_and_keeps_the_rest(bundled, study, tmp_path):
    path = tmp_path / "copy.gpkg"
    path.write_bytes(bundled.read_bytes())
    before = {name: pyogrio.read_info(path, layer=name) for name, _ in pyogrio.list_layers(path)}
    five = study.border_lines.iloc[:5]
    model = maps.model_from_layers({**result_layers(study), "border_lines": five})
    update_layer(path, "border_lines", five, styles=layer_styles({"border_lines": five}, model))
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


def test_update_without_styles_leaves_none_of_the_old_ones(bundled, study, tmp_path):
    path = tmp_path / "copy.gpkg"
    path.write_bytes(bundled.read_bytes())
    update_layer(path, "regions", study.regions.iloc[:10])
    styles = read_styles(path)
    assert "regions" not in set(styles["f_table_name"])  # the old classes described other data
    assert styles[styles["f_table_name"] == "border_lines"]["styleName"].tolist() == ["state border"]
    with pytest.raises(SchemaError, match=r"styles given for \['border_lines'\], which are not spatial layers written"):
        update_layer(path, "regions", study.regions, styles=layer_styles({"border_lines": study.border_lines}))


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


def test_csv_text_that_a_spreadsheet_would_run_is_written_as_text(tmp_path):
    # OWASP CSV injection: a cell starting =, +, -, @, tab or CR is a formula in Excel and LibreOffice
    names = ['=HYPERLINK("http://x","y")', "+cmd", "-1+1", "@SUM(1)", "\tx", "Pskov", None]
    frame = gpd.GeoDataFrame({"name": names, "=col": list(range(7)), "gap": [-0.2, 0.1, 0, 1, 2, 3, 4]},
                             geometry=[shapely.Point(i, 0) for i in range(7)], crs=3035,
                             index=pd.Index(["=A", "B", "C", "D", "E", "F", "G"], name="region_id"))
    export_layers({"regions": frame}, tmp_path, formats=("csv", "geojson"))
    written = pd.read_csv(tmp_path / "regions.csv", keep_default_na=False)
    assert list(written.columns) == ["region_id", "name", "'=col", "gap"]
    assert list(written["name"]) == ["'" + n for n in names[:5]] + ["Pskov", ""]
    assert written["region_id"][0] == "'=A" and list(written["gap"]) == [-0.2, 0.1, 0, 1, 2, 3, 4]
    # the other formats keep the text as it is (to join on)
    assert pyogrio.read_dataframe(tmp_path / "regions.geojson")["name"].tolist()[:5] == names[:5]


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
    target = write_geopackage(frames, tmp_path / "results.gpkg", styles=layer_styles(frames))
    earlier = target.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], env=env, cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # wait until the writer is well into its temporary file (a few MB of the ~110 MB), then kill it (no time
        # limit: a busy machine only makes it later)
        while child.poll() is None:
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


# -- a run's outputs ---------------------------------------------------------------------------


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of a GeoPackage, its timestamps (GDAL's and SQLite's, the run's creation time) masked."""
    import re
    import sqlite3

    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: [tuple(stamp.sub("T", v) if isinstance(v, str) else v for v in row)
                       for row in conn.execute(f'SELECT * FROM "{name}"')] for name in names}


def test_a_runs_outputs_written_at_once_are_those_written_one_after_another(study, tmp_path):
    from borderland.commands import write_run_outputs
    from borderland.outputs import OutputSet

    outputs = study.study.outputs
    names = [outputs.geopackage, outputs.map, outputs.distance_raster]
    timings = {}
    for threads in (1, 2):
        with OutputSet(tmp_path / str(threads), names) as out:
            write_run_outputs(study, out, threads=threads, timings=timings)
        assert list(timings) == ["geopackage", "map", "distance raster"]
    one, two = tmp_path / "1", tmp_path / "2"
    assert (one / outputs.map).read_bytes() == (two / outputs.map).read_bytes()
    assert (one / outputs.distance_raster).read_bytes() == (two / outputs.distance_raster).read_bytes()
    tables = _tables(one / outputs.geopackage)
    assert "layer_styles" in tables and "gpkg_metadata" in tables
    assert tables == _tables(two / outputs.geopackage)


def test_one_map_model_per_run_draws_the_map_and_the_styles(study, tmp_path, monkeypatch):
    import re

    from borderland.commands import write_run_outputs
    from borderland.outputs import OutputSet

    built = []
    real = maps.map_model

    def counted(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    # every way of building a model: the package's name, the model module's, and the styles' own
    for target in ("borderland.maps.map_model", "borderland.maps.model.map_model",
                   "borderland.maps.qgis.snapshot.map_model"):
        monkeypatch.setattr(target, counted)
    names = [study.study.outputs.geopackage, study.study.outputs.map, study.study.outputs.distance_raster]
    with OutputSet(tmp_path, names) as out:
        write_run_outputs(study, out)
    written = {"map": tmp_path / names[1], "geopackage": tmp_path / names[0]}
    assert len(built) == 1
    # the HTML legend's index classes are the QGIS style's, as the one model has them
    page = written["map"].read_text(encoding="utf-8")
    section = re.search(r"<h4>Digitalisation index</h4>(.*?)</div>\s*<div class=\"borderland-legend-section\"", page)
    assert section
    html_labels = [re.sub(r" \(\d+\)$", "", label) for label in re.findall(r"</span>([^<]+)</div>", section.group(1))]
    styles = read_styles(written["geopackage"]).set_index(["f_table_name", "styleName"])
    qml = ET.fromstring(styles.loc[("regions", "index"), "styleQML"].split("\n", 1)[1])
    assert [r.get("label") for r in qml.iter("range")] == html_labels
    swatches = [item for item in built[0].layers("index")[0].legend if item.shape == "swatch"]
    assert html_labels == [re.sub(r" \(\d+\)$", "", item.label) for item in swatches]


# -- what the files say: missing values, layer names, no warnings --------------------------------------


def test_missing_text_is_null_in_every_format_never_the_text_na(tmp_path, frames):
    # object columns holding pandas' NA (as a layer without [regions] level had), None and NaN
    note = pd.Series([pd.NA, "x", None, np.nan, "y", pd.NA], index=frames["regions"].index, dtype=object)
    layers = {"regions": frames["regions"].assign(note=note)}
    written = export_layers(layers, tmp_path, formats=("gpkg", "geojson", "csv"), name="out")
    with sqlite(written["gpkg"][0], read_only=True) as conn:
        assert conn.execute("SELECT note FROM regions ORDER BY fid").fetchall() == [
            (None,), ("x",), (None,), (None,), ("y",), (None,)]
    features = json.loads((tmp_path / "regions.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["note"] for f in features] == [None, "x", None, None, "y", None]
    assert "<NA>" not in (tmp_path / "regions.csv").read_text(encoding="utf-8")


def test_geojson_layers_bear_their_own_names_and_tables_are_written_without_warnings(tmp_path, frames):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_layers(frames, tmp_path, formats=("geojson",))
    assert [str(w.message) for w in caught] == []  # GDAL's "No SRS set on layer" for the table, before
    for name, frame in frames.items():
        collection = json.loads((tmp_path / f"{name}.geojson").read_text(encoding="utf-8"))
        assert collection["name"] == name  # not the temporary file's ".years.geojson.xxxx.part"
        assert len(collection["features"]) == len(frame)
    assert "crs" not in json.loads((tmp_path / "years.geojson").read_text(encoding="utf-8"))
