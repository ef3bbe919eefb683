"""The catalogue of bad inputs: each gets a clear message, a documented exit code, and no output.

Every case runs through the command line (``borderland run STUDY --out OUT``) and checks that
OUT was not created or changed; the message is pinned with the words a user needs.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import KM, X0, Y0, square, strip_world

from cli import cli

TABLE = pd.DataFrame({
    "region_id": ["A0", "A1", "A2", "B3", "B4", "B5"],
    "indicator": "access", "year": 2020, "value": [50, 60, 70, 90, 100, 80],
})


def write_study(folder: Path, layer: gpd.GeoDataFrame | None = None, table: pd.DataFrame | None = None,
                extra: str = "", regions_name: str = "regions.gpkg", table_name: str = "table.csv") -> Path:
    """A study of the strip world (or the given layer and table) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if layer is not None:
        layer.to_file(folder / regions_name, engine="pyogrio")
    if table is not None:
        table.to_csv(folder / table_name, index=False)
    study = folder / "study.toml"
    study.write_text(textwrap.dedent(f"""\
        [study]
        title = "test"
        focus_country = "AA"
        [regions]
        path = "{regions_name}"
        [indicators]
        path = "{table_name}"
        [[index.components]]
        name = "access"
        {extra}
        """), encoding="utf-8")
    return study


def run(study: Path, out: Path, *args: str):
    return CliRunner().invoke(cli, ["run", str(study), "--out", str(out), *args], obj={})


def assert_fails_cleanly(result, out: Path, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_missing_layer_file(tmp_path):
    study = write_study(tmp_path, None, TABLE)
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out", "does not exist", "regions.gpkg")


def test_unknown_layer_format(tmp_path):
    (tmp_path / "regions.xyz").write_text("not a layer", encoding="utf-8")
    study = write_study(tmp_path, None, TABLE, regions_name="regions.xyz")
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out", "cannot read", "GeoPackage, GeoJSON")


def test_unknown_table_format(tmp_path):
    (tmp_path / "table.sav").write_text("x", encoding="utf-8")
    study = write_study(tmp_path, strip_world(), None, table_name="table.sav")
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out", "unknown table format '.sav'", ".csv")


def test_layer_without_crs(tmp_path):
    layer = strip_world()
    layer.to_file(tmp_path / "r.geojson", engine="pyogrio")
    # strip the CRS: a GeoJSON written from planar metres without a crs member
    text = (tmp_path / "r.geojson").read_text(encoding="utf-8").replace(
        '"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::3035" } },', "")
    (tmp_path / "r.geojson").write_text(text, encoding="utf-8")
    study = write_study(tmp_path, None, TABLE, regions_name="r.geojson")
    # GDAL assumes EPSG:4326 for a GeoJSON without a crs member: metres must not pass as degrees
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out", "impossible in degrees", "set its real CRS")


def test_geographic_crs_is_reprojected_not_refused(tmp_path):
    study = write_study(tmp_path, strip_world().to_crs(4326), TABLE)
    result = run(study, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "borderland.gpkg").exists()


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    layer = strip_world()
    layer.loc[0, "geometry"] = shapely.Polygon([(X0, Y0), (X0 + KM, Y0 + KM), (X0 + KM, Y0), (X0, Y0 + KM)])
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "1 invalid polygon(s) made valid (A0)" in result.output


def test_empty_and_null_geometries(tmp_path):
    layer = strip_world()
    layer.loc[1, "geometry"] = shapely.Polygon()
    layer.loc[2, "geometry"] = None
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "null or empty geometry for: A1, A2")


def test_3d_geometries_are_flattened(tmp_path):
    layer = strip_world()
    layer.geometry = shapely.force_3d(layer.geometry.to_numpy(), 100.0)
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", ["point", "line"])
def test_points_or_lines_instead_of_polygons(tmp_path, kind):
    layer = strip_world()
    layer.geometry = layer.centroid if kind == "point" else layer.boundary
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "regions must be polygons")


def test_duplicate_and_blank_codes(tmp_path):
    layer = strip_world()
    layer.loc[1, "region_id"] = "A0"
    layer.loc[4, "region_id"] = ""
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "duplicate codes in 'region_id': A0", "blank 'region_id'")


def test_differently_cased_codes_are_reported_with_a_hint(tmp_path):
    table = TABLE.assign(region_id=["a0", "A1", "A2", "B3", "B4", "b5"])
    result = run(write_study(tmp_path, strip_world(), table), tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "a0: differs only in case or spaces from A0" in result.output


def test_text_values_with_decimal_comma_and_spaces(tmp_path):
    table = TABLE.astype({"value": str}).assign(value=["50", "6 0", "n/a", "90,5", "100", "80"])
    study = write_study(tmp_path, strip_world(), table)
    study.write_text(study.read_text(encoding="utf-8").replace(
        '[indicators]\npath = "table.csv"', '[indicators]\npath = "table.csv"\ndecimal = ","'), encoding="utf-8")
    result = run(study, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "cells that were not numbers (left empty): 1" in result.output
    back = gpd.read_file(tmp_path / "out" / "borderland.gpkg", layer="regions").set_index("region_id")
    assert back.loc["A1", "access"] == 60 and back.loc["B3", "access"] == 90.5
    assert pd.isna(back.loc["A2", "index"])


def test_all_missing_indicator(tmp_path):
    table = TABLE.assign(value="n/a")
    result = run(write_study(tmp_path, strip_world(), table), tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "has no numeric value", "decimal separator")


def test_zero_variance_indicator_gives_moderate_everywhere(tmp_path):
    result = run(write_study(tmp_path, strip_world(), TABLE.assign(value=75)), tmp_path / "out")
    assert result.exit_code == 0, result.output
    back = gpd.read_file(tmp_path / "out" / "borderland.gpkg", layer="regions")
    assert set(back["typology"]) == {"moderate"}


def test_layer_with_one_country_has_no_border(tmp_path):
    layer = strip_world().assign(country="AA")
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "holds one country (AA)", "both sides of a border")


def test_island_is_reported_and_kept(tmp_path):
    layer = pd.concat([strip_world(), gpd.GeoDataFrame(
        {"region_id": ["I9"], "name": ["Island"], "country": ["AA"]}, geometry=[square(0, 5)], crs=3035)])
    result = run(write_study(tmp_path, gpd.GeoDataFrame(layer, crs=3035), TABLE), tmp_path / "out")
    assert result.exit_code == 0, result.output
    back = gpd.read_file(tmp_path / "out" / "borderland.gpkg", layer="regions").set_index("region_id")
    assert pd.isna(back.loc["I9", "border_order"])


def test_polygon_wrapped_across_the_antimeridian(tmp_path):
    layer = gpd.GeoDataFrame({"region_id": ["W1", "E1"], "name": ["wrapped", "east"], "country": ["AA", "BB"]},
                             geometry=[shapely.box(-179.5, 65, 179.5, 66), shapely.box(170, 60, 175, 61)], crs=4326)
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "antimeridian", "W1")


def test_cp1251_table_with_cyrillic_names(tmp_path):
    table = TABLE.assign(region_name=["Мурманская", "Карелия", "Псков", "Брянск", "Курск", "Ростов"])
    write_study(tmp_path, strip_world(), None)
    table.to_csv(tmp_path / "table.csv", index=False, encoding="cp1251")
    result = run(tmp_path / "study.toml", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_excel_with_merged_header_rows(tmp_path):
    # a title row merged across the columns above the real header, as statistical offices publish
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Households with internet access, % (merged title)"])
    sheet.merge_cells("A1:D1")
    sheet.append(["region_id", "indicator", "year", "value"])
    for row in TABLE.itertuples(index=False):
        sheet.append(list(row))
    book.save(tmp_path / "table.xlsx")
    study = write_study(tmp_path, strip_world(), None, table_name="table.xlsx")
    result = run(study, tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "header", "skip_rows = 1")
    fixed = study.read_text(encoding="utf-8").replace('path = "table.xlsx"', 'path = "table.xlsx"\nskip_rows = 1')
    study.write_text(fixed, encoding="utf-8")
    assert run(study, tmp_path / "out").exit_code == 0


def test_hostile_names_are_escaped_in_the_map(tmp_path):
    layer = strip_world()
    layer.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    layer.loc[3, "name"] = "</script><script>alert(1)</script>`${alert(1)}`"
    result = run(write_study(tmp_path, layer, TABLE), tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "borderland_map.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "</script><script>alert" not in html


def test_output_folder_not_writable(tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder should be", encoding="utf-8")
    result = run(write_study(tmp_path / "s", strip_world(), TABLE), tmp_path / "blocker" / "out")
    assert_fails_cleanly(result, tmp_path / "blocker" / "out", "cannot write into")


def test_existing_output_without_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "borderland.gpkg").write_bytes(b"earlier")
    result = run(write_study(tmp_path / "s", strip_world(), TABLE), out)
    assert result.exit_code == 1 and "--overwrite" in result.output
    assert (out / "borderland.gpkg").read_bytes() == b"earlier"
    assert sorted(p.name for p in out.iterdir()) == ["borderland.gpkg"]


def test_verbose_shows_the_traceback(tmp_path):
    study = write_study(tmp_path, None, TABLE)
    result = CliRunner().invoke(cli, ["-vv", "run", str(study), "--out", str(tmp_path / "o")], obj={})
    assert result.exit_code == 1
    assert result.exc_info is not None and result.exc_info[0].__name__ == "InputError"


def test_misspelt_indicator_name_gets_a_suggestion(tmp_path):
    study = write_study(tmp_path, strip_world(), TABLE)
    study.write_text(study.read_text(encoding="utf-8").replace('name = "access"', 'name = "acess"'), encoding="utf-8")
    result = run(study, tmp_path / "out")
    assert_fails_cleanly(result, tmp_path / "out", "[[index.components]] (acess) indicators = ['acess']: none is in "
                         "the indicator table", "did you mean access?")


def test_focus_country_not_in_the_layer(tmp_path):
    study = write_study(tmp_path, strip_world(), TABLE)
    study.write_text(study.read_text(encoding="utf-8").replace('focus_country = "AA"', 'focus_country = "ZZ"'),
                     encoding="utf-8")
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out",
                         "[study] focus_country = 'ZZ' is not in the region layer; its countries are AA, BB")
    study.write_text(study.read_text(encoding="utf-8").replace('focus_country = "ZZ"', 'focus_country = "RUS"'),
                     encoding="utf-8")
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out",
                         '[study] focus_country = "RUS": expected a two-letter country code')


def test_wrong_layer_name_lists_the_layers(tmp_path):
    study = write_study(tmp_path, strip_world(), TABLE)
    study.write_text(study.read_text(encoding="utf-8").replace('path = "regions.gpkg"',
                                                               'path = "regions.gpkg"\nlayer = "region"'),
                     encoding="utf-8")
    assert_fails_cleanly(run(study, tmp_path / "out"), tmp_path / "out",
                         "has no layer 'region'; its layers are regions")


def test_export_refuses_an_unknown_crs_before_computing(tmp_path):
    result = CliRunner().invoke(cli, ["export", "--crs", "EPSG:99999", "--out", str(tmp_path / "o")], obj={})
    assert result.exit_code == 2 and "is not a CRS pyproj knows" in result.output and "Traceback" not in result.output


def test_regions_without_indicators_is_a_usage_error(tmp_path):
    strip_world().to_file(tmp_path / "r.gpkg", engine="pyogrio")
    result = CliRunner().invoke(cli, ["gaps", "--regions", str(tmp_path / "r.gpkg"), "--out", str(tmp_path / "o")],
                                obj={})
    assert result.exit_code == 2 and "needs --indicators too" in result.output
