"""The catalogue of broken inputs (issue #14): layers, tables, study values, output folders, kills.

Every case breaks one thing in a working study (the six-square strip of conftest.py, or a copy of
the bundled study that ``borderland init`` writes) and checks what a user is promised:

- the exit code: 1 for a problem with the data or files, 2 for a usage error;
- no traceback, and no exception escaping the command;
- the message names the problem, the value and the fix (the words are pinned);
- the previous output set is byte-identical (checksums of every file of the output folder);
- ``borderland validate`` fails with the same message where ``run`` fails on input;
- where the message names a fix, applying it gets the study past that problem.

The output folders' cases also check that the problem is reported before anything is loaded
or computed, and the kills SIGKILL a real ``python -m borderland run`` on the bundled study at
many moments: after the next command's clean-up the folder holds the old set or the new one,
byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapworld
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from catalogue_support import (
    STRIP_TABLE,
    Locks,
    checksums,
    copy_outputs,
    edit_study,
    error_text,
    invoke,
    read_study,
    strip_study,
    write_toml,
)
from conftest import KM, X0, Y0, square, strip_world
from pyproj import CRS

from borderland import pipeline
from borderland.outputs import STAGING_PREFIX, OutputSet
from borderland.study import load_study

ROOT = Path(__file__).resolve().parent.parent
NATURAL_EARTH = Path("/work/shared/data/countries.gpkg")


# -- the cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One broken input.

    Attributes
    ----------
    family
        ``layer``, ``table`` or ``study`` (values of the study file, the files it names).
    name
        The test id.
    build
        Writes the broken study into a folder and returns the study file.
    words
        What the message must say: the problem, the value found and the fix.
    fix
        Applies the fix the message names (to the study file, or the files beside it).
    then
        Words of the next problem once the fix is applied (empty: the study passes).
    bundled
        The study is a copy of the bundled one: after the fix, the study file is checked
        (``load_study``) rather than validated against its data (a slow load).
    run_fixed
        After the fix, ``run`` must succeed too (validate must not pass what run rejects): for
        the inputs that only the later stages use (rasters, outlines, border lines, links...).
    """

    family: str
    name: str
    build: Callable[[Path], Path]
    words: tuple[str, ...]
    fix: Callable[[Path], None] | None = None
    then: tuple[str, ...] = ()
    bundled: bool = False
    run_fixed: bool = False


def keyed(*changes: tuple[str, str, Any]) -> Callable[[dict[str, Any]], None]:
    """A change of the parsed study: ``(section, key, value)``, value ``None`` removes the key."""
    def change(data: dict[str, Any]) -> None:
        for section, key, value in changes:
            if value is None:
                data.get(section, {}).pop(key, None)
            else:
                data.setdefault(section, {})[key] = value
    return change


def set_keys(*changes: tuple[str, str, Any]) -> Callable[[Path], None]:
    """A fix that sets study keys."""
    return lambda study: edit_study(study, keyed(*changes))


def strip(change: Callable[[dict[str, Any]], None] | None = None, *,
          layer: Callable[[], gpd.GeoDataFrame] | None = None, table: Callable[[], pd.DataFrame] | None = None,
          files: Callable[[Path], None] | None = None) -> Callable[[Path], Path]:
    """A strip study with its layer, table or keys changed, and extra files written by ``files``."""
    def build(folder: Path) -> Path:
        study = strip_study(folder, layer=layer() if layer else None, table=table() if table else None,
                            change=change)
        if files is not None:
            files(folder)
        return study
    return build


def table_text(text: str, change: Callable[[dict[str, Any]], None] | None = None, *, name: str = "table.csv",
               encoding: str = "utf-8", raw: bytes | None = None) -> Callable[[Path], Path]:
    """A strip study whose indicator table is the given text (or bytes)."""
    def files(folder: Path) -> None:
        data = raw if raw is not None else textwrap.dedent(text).encode(encoding)
        (folder / name).write_bytes(data)

    def study_change(data: dict[str, Any]) -> None:
        data["indicators"]["path"] = name
        if change is not None:
            change(data)

    return strip(study_change, files=files)


def rewrite_table(text: str, *, name: str = "table.csv") -> Callable[[Path], None]:
    return lambda study: (study.parent / name).write_text(textwrap.dedent(text), encoding="utf-8")


def rewrite_layer(layer: Callable[[], gpd.GeoDataFrame], name: str = "regions.gpkg") -> Callable[[Path], None]:
    def fix(study: Path) -> None:
        path = study.parent / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        layer().to_file(path, engine="pyogrio")
    return fix


GOOD_CSV = """\
    region_id,indicator,year,value
    A0,access,2020,50
    A1,access,2020,60
    A2,access,2020,70
    B3,access,2020,90
    B4,access,2020,100
    B5,access,2020,80
    """


#: The strip's table with one column per year (one indicator).
YEARS_AS_COLUMNS = """\
    region_id,2019,2020,2021,2022
    A0,48,50,52,54
    A1,58,60,62,64
    A2,68,70,72,74
    B3,88,90,92,94
    B4,98,100,99,97
    B5,78,80,82,84
    """


def with_cell(line: int, text: str) -> str:
    """GOOD_CSV with the value of data line ``line`` (1 = A0) replaced by ``text``."""
    rows = textwrap.dedent(GOOD_CSV).splitlines()
    cells = rows[line].split(",")
    cells[3] = text
    rows[line] = ",".join(cells)
    return "\n".join(rows) + "\n"


# layers

def _layer(**columns: Any) -> Callable[[], gpd.GeoDataFrame]:
    def make() -> gpd.GeoDataFrame:
        layer = strip_world()
        for column, values in columns.items():
            layer[column] = values
        return layer
    return make


def _geometries(**replaced: shapely.Geometry | None) -> Callable[[], gpd.GeoDataFrame]:
    def make() -> gpd.GeoDataFrame:
        layer = strip_world()
        for code, geometry in replaced.items():
            layer.loc[layer["region_id"] == code, "geometry"] = geometry
        return layer
    return make


def _bowtie_around_q(*, valid: bool = False) -> gpd.GeoDataFrame:
    # P surrounds Q and has a bow tie in its outline: made valid, it claims all of Q (as in test_layers);
    # the fixed P has no bow tie and a hole where Q is
    outline = [(0, -1), (3, -1), (3, 2), (1.6, 2), (1.4, 2.3), (1.6, 2.3), (1.4, 2), (0, 2)]
    p = shapely.Polygon([(X0 + x * KM, Y0 + y * KM) for x, y in outline])
    if valid:
        p = shapely.box(X0, Y0 - KM, X0 + 3 * KM, Y0 + 2 * KM).difference(square(1))
    return gpd.GeoDataFrame({"region_id": ["P", "Q"], "name": ["P", "Q"], "country": ["AA", "BB"]},
                            geometry=[p, square(1)], crs=3035)


def _a1_overlapping_a2() -> gpd.GeoDataFrame:
    # two valid polygons from different sources overlapping by 30 % of A2
    layer = strip_world()
    layer.loc[1, "geometry"] = shapely.box(X0 + KM, Y0, X0 + 2.3 * KM, Y0 + KM)
    return layer


def _wrapped_across_the_antimeridian() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"region_id": ["W1", "E1"], "name": ["wrapped", "east"], "country": ["AA", "BB"]},
                            geometry=[shapely.box(-179.5, 65, 179.5, 66), shapely.box(170, 60, 175, 61)], crs=4326)


def _edge_of_340_degrees() -> gpd.GeoDataFrame:
    # A1 written from 170° straight to -170° (340° the other way round); B1 below it, past 180°
    return gpd.GeoDataFrame({"region_id": ["A1", "B1"], "name": ["north", "south"], "country": ["AA", "BB"]},
                            geometry=[shapely.Polygon([(170, 62), (-170, 62), (-170, 66), (170, 66)]),
                                      shapely.box(170, 58, 190, 62)], crs=4326)


def _table_of(*codes: str) -> Callable[[], pd.DataFrame]:
    return lambda: pd.DataFrame({"region_id": list(codes), "indicator": "access", "year": 2020,
                                 "value": [50.0 + 10 * k for k in range(len(codes))]})


def apply_ogr2ogr(command: str, *, path: str) -> Callable[[Path], None]:
    """A fix: the ogr2ogr command line a message names, run beside the study, then [regions] path set."""
    def fix(study: Path) -> None:
        if shutil.which("ogr2ogr") is None:
            pytest.skip("ogr2ogr (gdal-bin) is not installed: the fix the message names cannot be applied here")
        subprocess.run(shlex.split(command), cwd=study.parent, check=True, capture_output=True)
        edit_study(study, keyed(("regions", "path", path)))
    return fix


def _metres_labelled_as_degrees(folder: Path) -> None:
    strip_world().set_crs(4326, allow_override=True).to_file(folder / "regions.gpkg", engine="pyogrio")


def _shapefile_without_crs(folder: Path) -> None:
    strip_world().to_file(folder / "regions.shp", engine="pyogrio")
    (folder / "regions.prj").unlink()


def _two_layers_lines_first(folder: Path) -> None:
    (folder / "regions.gpkg").unlink()
    lines = strip_world().assign(geometry=strip_world().boundary)
    lines.to_file(folder / "regions.gpkg", layer="outlines", engine="pyogrio")
    strip_world().to_file(folder / "regions.gpkg", layer="regions", engine="pyogrio")


def _folder_instead_of_file(folder: Path) -> None:
    (folder / "regions.gpkg").unlink()
    (folder / "regions.gpkg").mkdir()


HOSTILE = "Evil\x1b[2J\u202eName"


def _hostile_code_without_geometry() -> gpd.GeoDataFrame:
    layer = strip_world()
    layer.loc[1, "region_id"] = f"X{HOSTILE}"
    layer.loc[1, "geometry"] = None
    return layer

LAYER_CASES = [
    Case("layer", "file-missing", strip(keyed(("regions", "path", "region.gpkg"))),
         ("layer file", "region.gpkg", "does not exist", "check the path"),
         fix=set_keys(("regions", "path", "regions.gpkg"))),
    Case("layer", "folder-instead-of-file", strip(files=_folder_instead_of_file),
         ("regions.gpkg", "is a folder", "give the file itself"),
         fix=rewrite_layer(strip_world)),
    Case("layer", "unreadable-file", strip(files=lambda f: (f / "regions.gpkg").write_bytes(b"not a layer" * 50)),
         ("cannot read", "regions.gpkg", "as a vector layer", "give a GeoPackage, GeoJSON"),
         fix=rewrite_layer(strip_world)),
    Case("layer", "empty-file", strip(files=lambda f: (f / "regions.gpkg").write_bytes(b"")),
         ("regions.gpkg", "is empty (0 bytes)", "give"),
         fix=rewrite_layer(strip_world)),
    Case("layer", "unknown-format", strip(keyed(("regions", "path", "regions.xyz")),
                                          files=lambda f: (f / "regions.xyz").write_text("x", encoding="utf-8")),
         ("cannot read", "regions.xyz", "GeoPackage, GeoJSON, Shapefile"),
         fix=set_keys(("regions", "path", "regions.gpkg"))),
    Case("layer", "layer-name-wrong", strip(keyed(("regions", "layer", "region"))),
         ("has no layer 'region'", "its layers are regions"),
         fix=set_keys(("regions", "layer", "regions"))),
    Case("layer", "several-layers-first-not-polygons", strip(files=_two_layers_lines_first),
         ("regions must be polygons; found LineString", "layers outlines, regions", "[regions] layer"),
         fix=set_keys(("regions", "layer", "regions"))),
    Case("layer", "no-crs", strip(keyed(("regions", "path", "regions.shp")), files=_shapefile_without_crs),
         ("region layer 'regions.shp'", "the layer has no CRS", "set one", "ogr2ogr -a_srs EPSG:<code> fixed.gpkg "
          "regions.shp"),
         fix=lambda s: (s.parent / "regions.prj").write_text(CRS(3035).to_wkt("WKT1_ESRI"), encoding="utf-8")),
    Case("layer", "metres-labelled-as-degrees", strip(files=_metres_labelled_as_degrees),
         ("coordinates reach", "impossible in degrees", "EPSG:4326", "set its real CRS"),
         fix=rewrite_layer(strip_world)),
    Case("layer", "points", strip(layer=lambda: strip_world().assign(geometry=strip_world().centroid)),
         ("regions must be polygons; found Point", "A0"), fix=rewrite_layer(strip_world)),
    Case("layer", "lines", strip(layer=lambda: strip_world().assign(geometry=strip_world().boundary)),
         ("regions must be polygons; found", "LineString"), fix=rewrite_layer(strip_world)),
    Case("layer", "null-and-empty-geometries", strip(layer=_geometries(A1=shapely.Polygon(), A2=None)),
         ("null or empty geometry for: A1, A2", "drop those features or give them their polygons"),
         fix=rewrite_layer(strip_world)),
    Case("layer", "duplicate-codes", strip(layer=_layer(region_id=["A0", "A0", "A2", "B3", "B4", "B5"])),
         ("duplicate codes in 'region_id': A0", "codes must be unique"), fix=rewrite_layer(strip_world)),
    Case("layer", "blank-codes", strip(layer=_layer(region_id=["A0", "A1", "A2", " ", "B4", None])),
         ("2 region(s) have a blank 'region_id'", "every region needs a code"), fix=rewrite_layer(strip_world)),
    Case("layer", "id-column-missing",
         strip(layer=lambda: strip_world().rename(columns={"region_id": "code"})),
         ('[regions] id = "region_id"', "no such column", "code, name, country", "set [regions] id (--id-column)"),
         fix=set_keys(("regions", "id", "code"))),
    Case("layer", "country-column-missing",
         strip(layer=lambda: strip_world().rename(columns={"country": "iso"})),
         ('[regions] country = "country"', "no such column", "set [regions] country"),
         fix=set_keys(("regions", "country", "iso"))),
    Case("layer", "name-column-missing",
         strip(layer=lambda: strip_world().rename(columns={"name": "label"})),
         ('[regions] name = "name"', "no such column", "set [regions] name"),
         fix=set_keys(("regions", "name", "label"))),
    Case("layer", "region-without-country", strip(layer=_layer(country=["AA", "AA", None, "BB", " ", "BB"])),
         ("no country in 'country' for: A2, B4", "every region needs its country's ISO alpha-2 code"),
         fix=rewrite_layer(strip_world)),
    Case("layer", "one-country", strip(keyed(("regions", "country", "level"))),
         ("holds one country (TEST)", "both sides of a border", "[regions] country = 'level'"),
         fix=set_keys(("regions", "country", "country"))),
    Case("layer", "no-features", strip(layer=lambda: strip_world().iloc[:0]),
         ("region layer", "has no regions", "[regions] path"), fix=rewrite_layer(strip_world)),
    Case("layer", "exclude-leaves-one-country",
         strip(keyed(("regions", "exclude", ["B3", "B4", "B5"]), ("study", "focus_country", None))),
         ("holds one country (AA)",), fix=set_keys(("regions", "exclude", []))),
    Case("layer", "focus-country-absent", strip(keyed(("study", "focus_country", "ZZ"))),
         ("[study] focus_country = 'ZZ' is not in the region layer", "its countries are AA, BB"),
         fix=set_keys(("study", "focus_country", "AA"))),
    Case("layer", "antimeridian", strip(keyed(("study", "focus_country", None)),
                                        layer=_wrapped_across_the_antimeridian, table=_table_of("W1", "E1")),
         ("W1 has an edge from 179.5° to -179.5° of longitude (359° long)", "crosses the antimeridian",
          "the wrong way round the globe",
          "ogr2ogr -wrapdateline -nlt PROMOTE_TO_MULTI regions_split.gpkg regions.gpkg, and read regions_split.gpkg "
          "instead ([regions] path)"),
         fix=apply_ogr2ogr("ogr2ogr -wrapdateline -nlt PROMOTE_TO_MULTI regions_split.gpkg regions.gpkg",
                           path="regions_split.gpkg")),
    Case("layer", "antimeridian-edge-beyond-gdal-default-offset",
         strip(keyed(("study", "crs", "EPSG:3571")), layer=_edge_of_340_degrees, table=_table_of("A1", "B1")),
         ("A1 has an edge from 170° to -170° of longitude (340° long)",
          "ogr2ogr -wrapdateline -datelineoffset 21 -nlt PROMOTE_TO_MULTI regions_split.gpkg regions.gpkg"),
         fix=apply_ogr2ogr("ogr2ogr -wrapdateline -datelineoffset 21 -nlt PROMOTE_TO_MULTI regions_split.gpkg "
                           "regions.gpkg", path="regions_split.gpkg"), run_fixed=True),
    Case("layer", "self-intersecting-takes-neighbour", strip(layer=_bowtie_around_q, table=lambda: STRIP_TABLE.assign(
        region_id=["P", "Q", "P", "Q", "P", "Q"], year=[2018, 2018, 2019, 2019, 2020, 2020])),
         ("would give 1 km² (100.0 %) of Q (Q), a valid polygon, to P (its polygon was invalid and was made valid)",
          "fix the polygon of P in the layer", "Q would vanish"),
         fix=rewrite_layer(lambda: _bowtie_around_q(valid=True)), run_fixed=True),
    Case("layer", "overlap-beyond-max-repair-pct", strip(layer=_a1_overlapping_a2),
         ("0.3 km² (30.0 %) of Region A2 (A2) lies under A1 too", "would give it to A1",
          "raise [regions] max_repair_pct above 30.0"),
         fix=set_keys(("regions", "max_repair_pct", 31))),
    Case("layer", "hostile-code-is-escaped", strip(layer=_hostile_code_without_geometry),
         ("null or empty geometry for: XEvil\\u001b[2J\\u202eName",), fix=rewrite_layer(strip_world)),
]


# tables

def _excel_with_title(path: Path, *, sheet: str = "data") -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = sheet
    book.active.append(["Households with internet access, % (merged title)"])
    book.active.merge_cells("A1:D1")
    book.active.append(["region_id", "indicator", "year", "value"])
    for row in STRIP_TABLE.itertuples(index=False):
        book.active.append(list(row))
    book.save(path)


TABLE_CASES = [
    Case("table", "cell-1e400", table_text(with_cell(2, "1e400")),
         ("not finite numbers", "line 3: '1e400'", "correct those cells or leave them empty"),
         fix=rewrite_table(with_cell(2, ""))),
    Case("table", "cell-inf-text", table_text(with_cell(4, "-inf")),
         ("not finite numbers", "line 5: '-inf'", "correct those cells"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "parquet-inf", strip(keyed(("indicators", "path", "table.parquet")),
                                       files=lambda f: STRIP_TABLE.assign(
                                           value=[50.0, np.inf, 70.0, 90.0, 100.0, 80.0]).to_parquet(
                                           f / "table.parquet")),
         ("not finite numbers", "line 3: 'inf'"), fix=lambda s: STRIP_TABLE.to_parquet(s.parent / "table.parquet")),
    Case("table", "conflicting-duplicates", table_text(GOOD_CSV + "A2,access,2020,71\n"),
         ("several different values", "A2 access 2020: 70 (line 4), 71 (line 8)", "keep one row for each"),
         fix=rewrite_table(GOOD_CSV + "A2,access,2020,70\n")),
    Case("table", "ambiguous-decimal-comma", table_text(with_cell(1, '"1,500"')),
         ("cannot tell the decimal separator", "'1,500'", 'set decimal = ","'),
         fix=set_keys(("indicators", "decimal", ","))),
    Case("table", "decimal-comma-against-decimal-point", table_text(
        GOOD_CSV.replace(",50", ',"50,5"').replace(",60", ',"60,5"'), keyed(("indicators", "decimal", "."))),
         ("have decimal commas", "'50,5'", 'set decimal = ","'), fix=set_keys(("indicators", "decimal", ","))),
    Case("table", "empty-file", table_text("", raw=b""),
         ("table", "is empty (0 bytes)", "give a table with a header"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "blank-lines-only", table_text("\n\n\n"),
         ("holds no columns", "give a table with a header"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "header-only", table_text("region_id,indicator,year,value\n"),
         ("has a header but no data rows", "give a table with one row per region"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "undetected-delimiter", table_text(GOOD_CSV.replace(",", "|"),
                                                     keyed(("indicators", "delimiter", ","))),
         ("was read as one column but holds '|'", 'set delimiter = "|"'),
         fix=set_keys(("indicators", "delimiter", "|"))),
    Case("table", "ragged-rows", table_text(GOOD_CSV.replace("A1,access,2020,60", "A1,access,2020,60,5")),
         ("cannot split the rows", "Expected 4 fields in line 3, saw 5", "quote cells that hold it"),
         fix=rewrite_table(GOOD_CSV.replace("A1,access,2020,60", 'A1,access,2020,"60,5"'))),
    Case("table", "percentage-below-zero", table_text(with_cell(2, "-5"), lambda d: d["index"]["components"][0].update(
        unit="% of households")),
         ('[[index.components]] (access): 1 value(s) are percentages (unit = "% of households") outside 0-100',
          "A1 access 2020 = -5", "correct them in table.csv, or leave those cells empty (no data)"),
         fix=rewrite_table(with_cell(2, ""))),
    Case("table", "percentage-in-the-rows-unit-above-100", table_text(
        "region_id,indicator,year,value,unit\n" + "".join(f"{c},access,2020,{v},% of households\n" for c, v in
                                                           zip("A0 A1 A2 B3 B4 B5".split(), [50, 60, 70, 90, 130, 80],
                                                               strict=True))),
         ("(access): 1 value(s) are percentages (the table's unit \"% of households\") outside 0-100",
          "B4 access 2020 = 130", "correct them in table.csv"),
         fix=rewrite_table(GOOD_CSV)),
    Case("table", "codes-in-lower-case", table_text(GOOD_CSV.replace("A", "a").replace("B", "b")),
         ("no indicator code matches a region code exactly, but 6 of the table's 6 codes differ from the layer's "
          "only in case or spaces: 'a0' is 'A0'; 'a1' is 'A1'",
          "write the codes in table.csv as the layer does (upper case"),
         fix=rewrite_table(GOOD_CSV)),
    Case("table", "codes-match-nothing", table_text(GOOD_CSV.replace("A", "Z").replace("B", "Y")),
         ("no indicator code matches a region code", "table has Y3", "regions have A0", "Check the id columns"),
         fix=rewrite_table(GOOD_CSV)),
    Case("table", "wide-without-year", table_text("region_id,access\nA0,50\nA1,60\nA2,70\nB3,90\nB4,100\nB5,80\n",
                                                  keyed(("indicators", "layout", "wide"))),
         ("a wide table needs a 'year' column",
          "set year = <the year of every value> in [indicators], e.g. year = 2021"),
         fix=set_keys(("indicators", "year", 2020))),
    Case("table", "wide-years-as-columns", table_text(YEARS_AS_COLUMNS, keyed(("indicators", "layout", "wide"))),
         ("the columns 2019 ... 2022 are years, so the table holds one indicator",
          'name it with indicator = "<its name in [[index.components]] indicators>" in [indicators]'),
         fix=set_keys(("indicators", "indicator", "access")), run_fixed=True),
    Case("table", "wide-years-as-columns-with-a-year", table_text(YEARS_AS_COLUMNS, keyed(
        ("indicators", "layout", "wide"), ("indicators", "year", 2020))),
         ("the columns 2019 ... 2022 are years", "and leave year = 2020 out"),
         fix=set_keys(("indicators", "indicator", "access"), ("indicators", "year", None))),
    Case("table", "long-layout-of-years-as-columns", table_text(YEARS_AS_COLUMNS),
         ("the columns 2019 ... 2022 are years (one column per year)",
          'set layout = "wide" and indicator = "<its name in [[index.components]] indicators>" in [indicators]'),
         fix=set_keys(("indicators", "layout", "wide"), ("indicators", "indicator", "access"))),
    Case("table", "title-rows-above-header", table_text("Internet access by region\n" + textwrap.dedent(GOOD_CSV)),
         ("the column names of table.csv are on row 2", "1 title row(s)", "set skip_rows = 1 in [indicators]"),
         fix=set_keys(("indicators", "skip_rows", 1))),
    Case("table", "excel-title-rows", strip(keyed(("indicators", "path", "table.xlsx")),
                                            files=lambda f: _excel_with_title(f / "table.xlsx")),
         ("on row 2", "set skip_rows = 1"), fix=set_keys(("indicators", "skip_rows", 1))),
    # every problem listed is counted, and the columns named are the table's, not the unit the study adds
    Case("table", "excel-title-rows-counted", strip(keyed(("indicators", "path", "table.xlsx"),
                                                          ("indicators", "unit", "%")),
                                                    files=lambda f: _excel_with_title(f / "table.xlsx")),
         ("indicator table 'table.xlsx': 3 problem(s)\n  - no code column 'region_id' (columns: Households with "
          "internet access, % (merged title), Unnamed: 1, Unnamed: 2, Unnamed: 3); set id",
          "\n  - long table lacks column(s) indicator, year, value;",
          "\n  - the column names are on row 2 of table.xlsx"),
         fix=set_keys(("indicators", "skip_rows", 1))),
    Case("table", "excel-sheet-missing", strip(keyed(("indicators", "path", "table.xlsx"),
                                                     ("indicators", "sheet", "Data"), ("indicators", "skip_rows", 1)),
                                               files=lambda f: _excel_with_title(f / "table.xlsx")),
         ("has no sheet 'Data'", "its sheets are data", "[indicators] sheet"),
         fix=set_keys(("indicators", "sheet", "data"))),
    Case("table", "utf16-without-byte-order-mark", table_text(GOOD_CSV, encoding="utf-16-le"),
         ("cannot decode", "utf-8-sig or cp1251", 'set encoding = "..."', '"utf-16-le"'),
         fix=set_keys(("indicators", "encoding", "utf-16-le"))),
    Case("table", "neither-utf8-nor-cp1251", table_text("", raw=textwrap.dedent(GOOD_CSV).encode() + b"\x98\n"),
         ("cannot decode", "as utf-8-sig or cp1251", "set encoding"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "wrong-encoding-declared", table_text(GOOD_CSV.replace("access", "доступ"),
                                                        keyed(("indicators", "encoding", "ascii"))),
         ("cannot decode", "as ascii", 'set encoding = "..."'), fix=set_keys(("indicators", "encoding", "utf-8")),
         then=("indicators = ['access']: none is in the indicator table",)),
    Case("table", "parquet-corrupt", strip(keyed(("indicators", "path", "table.parquet")),
                                           files=lambda f: (f / "table.parquet").write_bytes(b"PAR1 broken")),
         ("cannot read table", "table.parquet"), fix=lambda s: STRIP_TABLE.to_parquet(s.parent / "table.parquet")),
    Case("table", "unknown-format", strip(keyed(("indicators", "path", "table.sav")),
                                          files=lambda f: (f / "table.sav").write_text("x", encoding="utf-8")),
         ("unknown table format '.sav'", ".csv, .txt"), fix=set_keys(("indicators", "path", "table.csv"))),
    Case("table", "file-missing", strip(keyed(("indicators", "path", "tables.csv"))),
         ("table file", "tables.csv", "does not exist"), fix=set_keys(("indicators", "path", "table.csv"))),
    Case("table", "value-column-named-otherwise", table_text(GOOD_CSV.replace(",value", ",val")),
         ("lacks column(s) value", "value_column"), fix=set_keys(("indicators", "value_column", "val"))),
    Case("table", "value-column-key-misspelled",
         table_text(GOOD_CSV.replace(",value", ",OBS_VALUE"), keyed(("indicators", "value_column", "OBS_VAL"))),
         ("[indicators] value_column = 'OBS_VAL': the table has no such column", "columns: region_id, indicator, "
          "year, OBS_VALUE", "did you mean 'OBS_VALUE'?"), fix=set_keys(("indicators", "value_column", "OBS_VALUE"))),
    Case("table", "code-column-named-otherwise-beside-renamed-columns",
         table_text(GOOD_CSV.replace("region_id", "geo").replace(",year,value", ",TIME_PERIOD,OBS_VALUE"),
                    keyed(("indicators", "year_column", "TIME_PERIOD"), ("indicators", "value_column", "OBS_VALUE"))),
         ("no code column 'region_id' (columns: geo, indicator, TIME_PERIOD, OBS_VALUE)",),
         fix=set_keys(("indicators", "id", "geo"))),
    Case("table", "code-column-named-otherwise", table_text(GOOD_CSV.replace("region_id", "geo")),
         ("no code column 'region_id'", "geo", "set id = <column> in [indicators]"),
         fix=set_keys(("indicators", "id", "geo"))),
    Case("table", "year-not-a-number", table_text(GOOD_CSV.replace("A0,access,2020", "A0,access,2020a")),
         ("year is not a whole number from 1000 to 2999 in 1 row(s) (line 2: '2020a')", "correct those cells"),
         fix=rewrite_table(GOOD_CSV)),
    Case("table", "year-with-a-fraction", table_text(GOOD_CSV.replace("A0,access,2020", "A0,access,2020.5")),
         ("year is not a whole number", "(line 2: '2020.5')", "correct those cells"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "year-1e400", table_text(GOOD_CSV.replace("B3,access,2020", "B3,access,1e400")),
         ("year is not a whole number", "(line 5: '1e400')"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "year-99999", table_text(GOOD_CSV.replace("2020", "99999")),
         ("year is not a whole number from 1000 to 2999 in 6 row(s)", "(line 2: '99999'",),
         fix=rewrite_table(GOOD_CSV)),
    Case("table", "every-value-text", table_text(GOOD_CSV.replace(",50", ",n/a").replace(",60", ",n/a").replace(
        ",70", ",n/a").replace(",90", ",n/a").replace(",100", ",n/a").replace(",80", ",n/a")),
         ("has no numeric value", "'n/a'", "check the value column"), fix=rewrite_table(GOOD_CSV)),
    Case("table", "component-not-in-table", strip(lambda d: d["index"]["components"][0].update(name="acess")),
         ("indicators = ['acess']: none is in the indicator table", "did you mean access?"),
         fix=lambda s: edit_study(s, lambda d: d["index"]["components"][0].update(name="access"))),
    Case("table", "index-year-not-in-table", strip(keyed(("index", "year", 2019))),
         ("[index] year = 2019: the table has no value for it", "2020-2020", 'or year = "auto"'),
         fix=set_keys(("index", "year", "auto"))),
    Case("table", "one-side-without-data", table_text(textwrap.dedent(GOOD_CSV).rsplit("B3", 1)[0]),
         ("no year has every index component for regions on both sides", "Drop a component from [index]",
          "or set [index] year"),
         fix=rewrite_table(GOOD_CSV)),
    Case("table", "one-region-with-data", table_text(GOOD_CSV + "A0,access,2021,1\n", keyed(("index", "year", 2021))),
         ("only 1 region(s) have the index components of 2021", "need at least 2", "lower [index] min_share"),
         fix=set_keys(("index", "year", 2020)), run_fixed=True),
]


# study values

def bundled(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], Path]:
    """The bundled study's file (from ``borderland init``), changed, beside its data."""
    def build(folder: Path) -> Path:
        data = read_study(INIT_FOLDER / "study.toml")
        change(data)
        study = INIT_FOLDER / f"case-{folder.parent.name}.toml"
        return write_toml(study, data)
    return build


def _one_raster(folder: Path, *, bounds: tuple[float, float, float, float] | None = None, crs: Any = 3035,
                name: str = "population.tif") -> None:
    """A 24 x 4 raster of 10 people per cell over ``bounds`` (the strip by default)."""
    import rasterio
    from affine import Affine

    west, south, east, north = bounds or (X0, Y0, X0 + 6 * KM, Y0 + KM)
    cells = np.full((4, 24), 10.0, dtype="float32")
    profile = {"driver": "GTiff", "height": 4, "width": 24, "count": 1, "dtype": "float32",
               "transform": Affine((east - west) / 24, 0, west, 0, -(north - south) / 4, north)}
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(folder / name, "w", **profile) as dst:
        dst.write(cells, 1)


def _border_lines(folder: Path, *, x_km: float = 3) -> None:
    line = shapely.LineString([(X0 + x_km * KM, Y0), (X0 + x_km * KM, Y0 + KM)])
    gpd.GeoDataFrame({"a": ["AA"], "b": ["BB"]}, geometry=[line], crs=3035).to_file(folder / "border.gpkg",
                                                                                  engine="pyogrio")


def _links(text: str, name: str = "links.csv") -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def _countries_as_projected_points_without_crs(folder: Path, *, polygons: bool = False) -> None:
    """A GeoJSON without a crs member (GDAL then assumes EPSG:4326) of the strip's countries, in metres."""
    world = strip_world().dissolve("country").reset_index()[["country", "geometry"]]
    world = world.assign(geometry=world.centroid) if not polygons else world.to_crs(4326)
    document = json.loads(world.to_json(drop_id=True))
    document.pop("crs", None)
    (folder / "countries.geojson").write_text(json.dumps(document), encoding="utf-8")


def _bad_toml(folder: Path) -> Path:
    study = strip_study(folder)
    study.write_text(study.read_text(encoding="utf-8").replace('[regions]\n"path" = "regions.gpkg"',
                                                               '[regions]\npath = regions.gpkg'), encoding="utf-8")
    return study


def _empty_study(folder: Path) -> Path:
    study = strip_study(folder)
    study.write_bytes(b"")
    return study


def _latin1_study(folder: Path) -> Path:
    study = strip_study(folder, change=keyed(("study", "title", "Études")))
    study.write_bytes(study.read_text(encoding="utf-8").encode("latin-1"))
    return study


def _countries_from_natural_earth(folder: Path) -> None:
    shutil.copyfile(NATURAL_EARTH, folder / "countries.gpkg")


STUDY_CASES = [
    Case("study", "draws-many", bundled(keyed(("robustness", "draws", "many"))),
         ('[robustness] draws = "many"', "expected a number of draws from 2 to 100,000, or 0"),
         fix=set_keys(("robustness", "draws", 1000)), bundled=True),
    Case("study", "draws-negative", bundled(keyed(("robustness", "draws", -5))),
         ("[robustness] draws = -5", "expected a number of draws from 2 to 100,000, or 0"),
         fix=set_keys(("robustness", "draws", 0)), bundled=True),
    Case("study", "seed-abc", bundled(keyed(("robustness", "seed", "abc"))),
         ('[robustness] seed = "abc"', "expected a whole-number seed >= 0"),
         fix=set_keys(("robustness", "seed", 7)), bundled=True),
    Case("study", "permutations-lots", bundled(keyed(("gaps", "permutations", "lots"))),
         ('[gaps] permutations = "lots"', "expected a number of permutations from 1 to 99,999"),
         fix=set_keys(("gaps", "permutations", 99)), bundled=True),
    Case("study", "sliver-width-8km", bundled(keyed(("regions", "sliver_width_m", "8km"))),
         ('[regions] sliver_width_m = "8km"', "expected a distance in metres"),
         fix=set_keys(("regions", "sliver_width_m", 8000)), bundled=True),
    Case("study", "within-km-x", bundled(keyed(("raster", "within_km", "x"))),
         ('[raster] within_km = "x"', "expected a distance in km above 0"),
         fix=set_keys(("raster", "within_km", 25)), bundled=True),
    Case("study", "bands-km-25", bundled(keyed(("border", "bands_km", 25))),
         ("[border] bands_km = 25", "expected a list of distances in km, e.g. [0, 25, 50]"),
         fix=set_keys(("border", "bands_km", [0, 25])), bundled=True),
    Case("study", "bands-km-decreasing", bundled(keyed(("border", "bands_km", [0, 50, 25]))),
         ("[border] bands_km = [0, 50, 25]", "in increasing order"),
         fix=set_keys(("border", "bands_km", [0, 25, 50])), bundled=True),
    Case("study", "distance-origin-insidepoint", bundled(keyed(("border", "distance_origin", "insidepoint"))),
         ('[border] distance_origin = "insidepoint"', 'did you mean "inside_point"?'),
         fix=set_keys(("border", "distance_origin", "inside_point")), bundled=True),
    Case("study", "crs-geographic", bundled(keyed(("study", "crs", "EPSG:4326"))),
         ('[study] crs = "EPSG:4326"', "expected a projected CRS", "not degrees"),
         fix=set_keys(("study", "crs", "EPSG:3035")), bundled=True),
    Case("study", "focus-country-three-letters", bundled(keyed(("study", "focus_country", "RUS"))),
         ('[study] focus_country = "RUS"', "expected a two-letter country code"),
         fix=set_keys(("study", "focus_country", "RU")), bundled=True),
    Case("study", "max-repair-pct-120", bundled(keyed(("regions", "max_repair_pct", 120))),
         ("[regions] max_repair_pct = 120", "expected a percentage from 0 to 100"),
         fix=set_keys(("regions", "max_repair_pct", 1)), bundled=True),
    Case("study", "decimal-semicolon", bundled(keyed(("indicators", "decimal", ";"))),
         ('[indicators] decimal = ";"', 'expected one of ",", "."'),
         fix=set_keys(("indicators", "decimal", None)), bundled=True),
    Case("study", "unknown-key", bundled(keyed(("raster", "within", 25))),
         ("[raster] within = 25: unknown key", "did you mean 'within_km'?", "keys are distance_raster"),
         fix=lambda s: edit_study(s, lambda d: d["raster"].pop("within")), bundled=True),
    Case("study", "unknown-section", bundled(lambda d: d.update(regoins={"path": "x"})),
         ("[regoins]: unknown section", "did you mean 'regions'?"),
         fix=lambda s: edit_study(s, lambda d: d.pop("regoins")), bundled=True),
    Case("study", "required-key-missing", bundled(lambda d: d["regions"].pop("path")),
         ("[regions] path: a required key is missing", "add path = ... to [regions]"),
         fix=set_keys(("regions", "path", "regions.gpkg")), bundled=True),
    Case("study", "geometric-advice-leads-on", bundled(keyed(("index", "aggregation", "geometric"))),
         ('[index] aggregation = "geometric"', "min-max gives 0 to the lowest region", "set [index] scale = [1, 100]"),
         fix=set_keys(("index", "scale", [1, 100])),
         then=('[robustness] normalisations = ["minmax", "zscore", "rank"]', 'drop "zscore" from [robustness]'),
         bundled=True),
    Case("study", "geometric-advice-second-step", bundled(keyed(("index", "aggregation", "geometric"),
                                                                ("index", "scale", [1, 100]))),
         ("the scenario zscore x geometric cannot be computed", 'drop "zscore" from [robustness] normalisations'),
         fix=set_keys(("robustness", "normalisations", ["minmax", "rank"])), bundled=True),
    Case("study", "weights-ignored-by-equal-weighting", bundled(lambda d: (
        d["index"].update(weighting="equal"), d["index"]["components"][0].update(weight=2))),
         ('[index] weighting = "equal"', "ignores the weights given to", 'set weighting = "user"'),
         fix=set_keys(("index", "weighting", "user")), bundled=True),
    Case("study", "goalposts-missing", bundled(keyed(("index", "normalisation", "goalposts"))),
         ("have no goalposts", "add goalposts = [low, high]"),
         fix=lambda s: edit_study(s, lambda d: [c.update(goalposts=[0, 100]) for c in d["index"]["components"]]),
         bundled=True),
    Case("study", "typology-unknown-method", bundled(keyed(("typology", "method", "kmeans"))),
         ("[typology]", "unknown 'kmeans'", "choose one of"),
         fix=set_keys(("typology", "method", "mean_sd")), bundled=True),
    Case("study", "typology-option-of-another-method", bundled(keyed(("typology", "method", "quantiles"))),
         ("key 'k' is not an option of method 'quantiles'",),
         fix=lambda s: edit_study(s, lambda d: d["typology"].pop("k")), bundled=True),
    Case("study", "population-distance-without-raster", bundled(lambda d: (
        d["border"].update(distance_origin="population"), d["raster"].pop("population"))),
         ('[border] distance_origin = "population"', "needs a population raster", 'set [raster] population'),
         fix=set_keys(("raster", "population", "population_gpw_v4_2000_15min.tif")), bundled=True),
    Case("study", "output-name-with-folder", bundled(keyed(("outputs", "map", "../map.html"))),
         ('[outputs] map = "../map.html"', "expected a file name ending in .html"),
         fix=set_keys(("outputs", "map", "map.html")), bundled=True),
    Case("study", "toml-syntax", _bad_toml, ("not valid TOML", "line", "fix the syntax")),
    Case("study", "study-file-not-utf8", _latin1_study, ("not UTF-8 text", "save the study file as UTF-8"),
         fix=lambda s: s.write_text(s.read_bytes().decode("latin-1"), encoding="utf-8")),
    Case("study", "study-file-empty", _empty_study,
         ("[regions] path: a required key is missing", "[index]: the section is missing",
          "add [[index.components]] tables"),
         fix=lambda s: strip_study(s.parent)),
    Case("study", "trade-year-without-trade-indicators",
         strip(keyed(("trade", "published", "published.csv"), ("trade", "year", 2021)),
               files=lambda f: shutil.copyfile(INIT_FOLDER / "published_figures.csv", f / "published.csv")),
         ("[trade] year = 2021: the indicator table has none of the trade totals", "foreign_trade_exports_total",
          "leave [trade] year out"),
         fix=set_keys(("trade", "year", None))),
    Case("study", "study-file-missing", lambda folder: folder / "nope" / "study.toml",
         ("study file", "does not exist", "borderland init")),
    Case("study", "raster-missing", strip(keyed(("raster", "population", "people.tif"))),
         ("population raster", "people.tif", "does not exist"),
         fix=lambda s: _one_raster(s.parent, name="people.tif")),
    Case("study", "raster-without-crs", strip(keyed(("raster", "population", "population.tif")),
                                              files=lambda f: _one_raster(f, crs=None)),
         ("population raster 'population.tif'", "has no CRS", "gdal_edit.py -a_srs"),
         fix=lambda s: _one_raster(s.parent)),
    Case("study", "raster-covering-nothing", strip(keyed(("raster", "population", "population.tif")),
                                                   files=lambda f: _one_raster(f, bounds=(0, 0, 6 * KM, KM))),
         ("covers none of the regions", "check its CRS or give another raster"),
         fix=lambda s: _one_raster(s.parent), run_fixed=True),
    Case("study", "population-distance-with-regions-outside-raster",
         strip(keyed(("raster", "population", "population.tif"), ("border", "distance_origin", "population")),
               files=lambda f: _one_raster(f, bounds=(X0, Y0, X0 + 3 * KM, Y0 + KM))),
         ('distance_origin = "population" needs the population raster over every region', "B3",
          'choose distance_origin = "inside_point"'),
         fix=set_keys(("border", "distance_origin", "inside_point")), run_fixed=True),
    Case("study", "countries-file-missing", strip(keyed(("study", "countries", "world.gpkg"))),
         ("layer file", "world.gpkg", "does not exist"), fix=set_keys(("study", "countries", None))),
    Case("study", "countries-without-country-column",
         strip(keyed(("study", "countries", "countries.gpkg")), files=_countries_from_natural_earth),
         ("countries layer 'countries.gpkg' ([study] countries)",
          '[study] countries_column = "country": the layer has no such column', "ADM0_A3_DE, featurecla",
          'set [study] countries_column to the column of its ISO alpha-2 codes (e.g. countries_column = "ISO_A2")'),
         fix=set_keys(("study", "countries_column", "ISO_A2"))),
    Case("study", "countries-points-without-crs", strip(keyed(("study", "countries", "countries.geojson")),
                                                        files=_countries_as_projected_points_without_crs),
         ("countries layer 'countries.geojson'", "country outlines must be polygons; found Point",
          "impossible in degrees", "set its real CRS"),
         fix=lambda s: _countries_as_projected_points_without_crs(s.parent, polygons=True), run_fixed=True),
    Case("study", "raster-unreadable", strip(keyed(("raster", "population", "population.tif")),
                                             files=lambda f: (f / "population.tif").write_text("x", encoding="utf-8")),
         ("cannot read the population raster", "population.tif", "give a GeoTIFF"),
         fix=lambda s: _one_raster(s.parent)),
    Case("study", "border-layer-without-its-columns",
         strip(keyed(("border", "source", "border.gpkg")), files=_border_lines),
         ("border layer 'border.gpkg' lacks column(s) ['country_a', 'country_b']", "a, b",
          "set [border] country_a and country_b"),
         fix=set_keys(("border", "country_a", "a"), ("border", "country_b", "b")), run_fixed=True),
    Case("study", "border-layer-of-other-countries",
         strip(keyed(("border", "source", "border.gpkg"), ("border", "country_a", "b"), ("border", "country_b", "a")),
               files=lambda f: (_border_lines(f), gpd.read_file(f / "border.gpkg").assign(b="CC").to_file(
                   f / "border.gpkg", engine="pyogrio"))),
         ("has no line between two of the study's countries (AA, BB)", "check [border] country_a / country_b"),
         fix=set_keys(("border", "country_a", "a"), ("border", "country_b", "b")),
         then=("has no line between two of the study's countries",)),
    Case("study", "extra-links-without-columns", strip(keyed(("gaps", "extra_links", "links.csv")),
                                                       files=_links("from,to\nA0,B5\n")),
         ("[gaps] extra_links table lacks column(s) ['region_a', 'region_b']",),
         fix=lambda s: (s.parent / "links.csv").write_text("region_a,region_b\nA0,B5\n", encoding="utf-8")),
    Case("study", "extra-links-unknown-regions", strip(keyed(("gaps", "extra_links", "links.csv")),
                                                       files=_links("region_a,region_b\nA0,C9\n")),
         ("[gaps] extra_links names region(s) not in the layer: C9",),
         fix=lambda s: (s.parent / "links.csv").write_text("region_a,region_b\nA0,B5\n", encoding="utf-8")),
    Case("study", "extra-links-region-to-itself", strip(keyed(("gaps", "extra_links", "links.csv")),
                                                        files=_links("region_a,region_b\nA0,A0\n")),
         ("[gaps] extra_links links a region to itself: A0", "delete those rows"),
         fix=lambda s: (s.parent / "links.csv").write_text("region_a,region_b\nA0,B5\n", encoding="utf-8"),
         run_fixed=True),
    Case("study", "extra-links-reserved-kind", strip(keyed(("gaps", "extra_links", "links.csv")),
                                                     files=_links("region_a,region_b,kind\nA0,B5,rook\n")),
         ("[gaps] extra_links kind 'rook' is reserved for contiguity", "ferry, bridge"),
         fix=lambda s: (s.parent / "links.csv").write_text("region_a,region_b,kind\nA0,B5,ferry\n",
                                                            encoding="utf-8")),
    Case("study", "published-figures-without-their-columns", strip(keyed(("gaps", "published", "published.csv")),
                                                                   files=_links("x,y\n1,2\n", "published.csv")),
         ('[gaps] published = "published.csv"', "column(s) subject, partner, indicator, year, value missing"),
         fix=lambda s: shutil.copyfile(INIT_FOLDER / "published_figures.csv", s.parent / "published.csv"),
         run_fixed=True),
    Case("study", "normalise-over-absent-country", strip(keyed(("index", "normalise_over", "country:DK"))),
         ('[index] normalise_over = "country:DK": no region of the study is in DK; its countries are AA, BB',
          'set normalise_over = "country:AA"'),
         fix=set_keys(("index", "normalise_over", "country:AA")), run_fixed=True),
    Case("study", "hostile-title-in-error", strip(keyed(("study", "title", HOSTILE), ("index", "year", 2019))),
         ("study 'Evil\\x1b[2J\\u202eName'",), fix=set_keys(("index", "year", 2020))),
]


# the study over the years ([trend], borderland trend): run by `trend` and `validate`

def _trend_table(*, thin_2018: bool = False) -> pd.DataFrame:
    """The strip over 2018-2022, every region every year (A gains 5 points a year); 2018 thin on B if asked."""
    rows = [(code, "access", year, float(base + (5 if code.startswith("A") else 2) * (year - 2018)))
            for code, base in zip(STRIP_TABLE["region_id"], STRIP_TABLE["value"], strict=True)
            for year in range(2018, 2023) if not (thin_2018 and year == 2018 and code == "B5")]
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])


def trend_strip(change: Callable[[dict[str, Any]], None] | None = None, *, thin_2018: bool = False
                ) -> Callable[[Path], Path]:
    """A strip study over five years with a [trend] section, changed by ``change``."""
    def full(data: dict[str, Any]) -> None:
        data["trend"] = {"theil_weights": "equal"}
        if change is not None:
            change(data)
    return strip(full, table=lambda: _trend_table(thin_2018=thin_2018))


def _component(**keys: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["index"]["components"][0].update(**keys)


def _trend_table_with(code: str, year: int, value: float | None) -> Callable[[], pd.DataFrame]:
    """The five-year strip as percentages (B4's 102-108 taken down to 100), one value changed."""
    def make() -> pd.DataFrame:
        table = _trend_table().assign(value=lambda t: t["value"].clip(upper=100.0))
        table.loc[(table["region_id"] == code) & (table["year"] == year), "value"] = value
        return table
    return make


def rewrite_trend_table(table: Callable[[], pd.DataFrame]) -> Callable[[Path], None]:
    return lambda study: table().to_csv(study.parent / "table.csv", index=False)


TREND_CASES = [
    Case("table", "trend-percentage-below-zero",
         strip(lambda d: (d.update(trend={"theil_weights": "equal", "scale": "goalposts"}),
                          d["index"]["components"][0].update(unit="% of households", goalposts=[0, 100])),
               table=_trend_table_with("B5", 2022, -5.0)),
         ('(access): 1 value(s) are percentages (unit = "% of households") outside 0-100', "B5 access 2022 = -5",
          "leave those cells empty (no data)"),
         fix=rewrite_trend_table(_trend_table_with("B5", 2022, None)), run_fixed=True),
    Case("study", "trend-years-with-a-dash", trend_strip(keyed(("trend", "years", "2018-2022"))),
         ('[trend] years = "2018-2022"', 'expected the first and last year as "FIRST:LAST", e.g. "2006:2025"'),
         fix=set_keys(("trend", "years", "2018:2022"))),
    Case("study", "trend-years-reversed", trend_strip(keyed(("trend", "years", "2022:2018"))),
         ('[trend] years = "2022:2018"', "the first year comes before the last"),
         fix=set_keys(("trend", "years", "2018:2022"))),
    Case("study", "trend-unknown-key", trend_strip(keyed(("trend", "year", "2018:2022"))),
         ('[trend] year = "2018:2022": unknown key', "did you mean 'years'?"),
         fix=lambda s: edit_study(s, lambda d: d["trend"].update(years=d["trend"].pop("year")))),
    Case("study", "trend-scale-typo", trend_strip(keyed(("trend", "scale", "goalpost"))),
         ('[trend] scale = "goalpost"', 'did you mean "goalposts"?'),
         fix=set_keys(("trend", "scale", "goalposts")),
         then=('[trend] scale = "goalposts": component(s) ["access"] have no goalposts',)),
    Case("study", "trend-goalposts-missing", trend_strip(keyed(("trend", "scale", "goalposts"))),
         ('[trend] scale = "goalposts": component(s) ["access"] have no goalposts',
          "add goalposts = [low, high] to each in [[index.components]]"),
         fix=lambda s: edit_study(s, _component(goalposts=[0, 100])), run_fixed=True),
    Case("study", "trend-unknown-component", trend_strip(keyed(("trend", "components", ["acess"]))),
         ('[trend] components = ["acess"]: ["acess"] are not [index] components; they are ["access"]',),
         fix=set_keys(("trend", "components", ["access"]))),
    Case("study", "trend-component-of-one-year", trend_strip(_component(year=2020)),
         ("access (year = 2020) take(s) one fixed year", "leave the component out of [trend] components, or drop its "
                                                         "year"),
         fix=lambda s: edit_study(s, lambda d: d["index"]["components"][0].pop("year"))),
    Case("study", "trend-interpolate-yes", trend_strip(keyed(("trend", "interpolate", "yes"))),
         ('[trend] interpolate = "yes"', 'expected one of "linear", "none"'),
         fix=set_keys(("trend", "interpolate", "linear"))),
    Case("study", "trend-min-regions-0", trend_strip(keyed(("trend", "min_regions_per_side", 0))),
         ("[trend] min_regions_per_side = 0", "expected a number of regions from 1 to 100,000"),
         fix=set_keys(("trend", "min_regions_per_side", 3))),
    Case("table", "trend-too-few-regions-each-year", trend_strip(keyed(("trend", "min_regions_per_side", 4))),
         ("only 0 year(s) (none) of 2018-2022 have at least [trend] min_regions_per_side = 4",
          "lower min_regions_per_side"),
         fix=set_keys(("trend", "min_regions_per_side", 3)), run_fixed=True),
    Case("table", "trend-years-without-values", trend_strip(keyed(("trend", "years", "2000:2005"))),
         ("only 0 year(s) (none) of 2000-2005",
          "(regions indexed per year: none; the table has values of the components in 2018-2022)",
          "widen [trend] years"),
         fix=set_keys(("trend", "years", "2018:2022"))),
    Case("table", "trend-base-year-left-out", trend_strip(keyed(("trend", "base_year", 2018)), thin_2018=True),
         ("[trend] base_year = 2018 is not a kept year (2 on the others' side, fewer than",
          "set [trend] base_year to one of 2019, 2020, 2021, 2022"),
         fix=set_keys(("trend", "base_year", 2019)), run_fixed=True),
    Case("table", "trend-map-year-left-out", trend_strip(keyed(("trend", "map_years", [2018, 2022])), thin_2018=True),
         ("[trend] map_years = [2018, 2022]: [2018] are not kept years", "choose among 2019, 2020, 2021, 2022"),
         fix=set_keys(("trend", "map_years", [2019, 2022]))),
    Case("table", "trend-flag-column-missing", trend_strip(keyed(("trend", "flag_column", "OBS_FLAG"))),
         ("[trend] flag_column = 'OBS_FLAG': the indicator table has no such column (columns: region_id",
          "or leave it out"),
         fix=set_keys(("trend", "flag_column", None))),
    Case("table", "trend-population-missing", trend_strip(keyed(("trend", "theil_weights", "population"))),
         ('[trend] theil_weights = "population": the indicator table has no \'population_1_january\'',
          'set theil_weights = "equal"'),
         fix=set_keys(("trend", "theil_weights", "equal"))),
]


# -- shared outputs --------------------------------------------------------------------------------


INIT_FOLDER: Path = Path()


@pytest.fixture(scope="module", autouse=True)
def init_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled study as ``borderland init`` writes it (its data beside it)."""
    global INIT_FOLDER
    folder = tmp_path_factory.mktemp("init") / "study"
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    INIT_FOLDER = folder
    return folder


@pytest.fixture(scope="module")
def strip_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean run of the strip study: the output set every failing case must leave as it is."""
    folder = tmp_path_factory.mktemp("strip")
    study = strip_study(folder / "study")
    result = invoke("run", study, "--out", folder / "out")
    assert result.exit_code == 0, result.output
    return folder / "out"


@pytest.fixture
def previous(strip_outputs: Path, tmp_path: Path) -> Path:
    return copy_outputs(strip_outputs, tmp_path / "out")


def assert_clean_failure(result: Any, code: int, words: tuple[str, ...]) -> None:
    """The exit code, no traceback nor escaped exception, and every pinned word in the message."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"an exception escaped the command: {result.exception!r}\n{result.output}") \
            from result.exception
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    for word in words:
        assert word in result.output, f"{word!r} not in:\n{result.output}"


def assert_past(study: Path, case: Case, command: str = "run") -> None:
    """The fix applied: the study passes ``command``'s checks (or stops at the next problem the case names)."""
    if case.bundled:
        if case.then:
            with pytest.raises(Exception) as info:
                load_study(study)
            for word in case.then:
                assert word in str(info.value), str(info.value)
            assert case.words[0] not in str(info.value)
        else:
            load_study(study)
        return
    result = invoke("validate", study, "--command", command)
    if case.then:
        assert_clean_failure(result, 1, case.then)
        return
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "every input check passed" in result.output


INPUT_CASES = LAYER_CASES + TABLE_CASES + STUDY_CASES


@pytest.mark.parametrize("case", INPUT_CASES, ids=[f"{c.family}-{c.name}" for c in INPUT_CASES])
def test_broken_input(case: Case, tmp_path: Path, previous: Path) -> None:
    study = case.build(tmp_path / "study")
    before = checksums(previous)
    ran = invoke("run", study, "--out", previous, "--overwrite")
    assert_clean_failure(ran, 1, case.words)
    assert checksums(previous) == before
    checked = invoke("validate", study)
    assert_clean_failure(checked, 1, case.words)
    assert error_text(checked) == error_text(ran), "validate and run give different messages"
    if case.fix is not None:
        case.fix(study)
        assert_past(study, case)
        if case.run_fixed:
            fixed = invoke("run", study, "--out", previous, "--overwrite")
            assert fixed.exit_code == 0 and fixed.exception is None, fixed.output
            assert checksums(previous) != before


@pytest.fixture(scope="module")
def trend_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean `borderland trend` of the five-year strip: the set every failing [trend] case leaves as it is."""
    folder = tmp_path_factory.mktemp("trend")
    study = trend_strip()(folder / "study")
    result = invoke("trend", study, "--out", folder / "out")
    assert result.exit_code == 0, result.output
    return folder / "out"


@pytest.mark.parametrize("case", TREND_CASES, ids=[c.name for c in TREND_CASES])
def test_broken_trend_input(case: Case, tmp_path: Path, trend_outputs: Path) -> None:
    previous = copy_outputs(trend_outputs, tmp_path / "out")
    study = case.build(tmp_path / "study")
    before = checksums(previous)
    ran = invoke("trend", study, "--out", previous, "--overwrite")
    assert_clean_failure(ran, 1, case.words)
    assert checksums(previous) == before
    checked = invoke("validate", study, "--command", "trend")
    assert_clean_failure(checked, 1, case.words)
    assert error_text(checked) == error_text(ran), "validate --command trend and trend give different messages"
    # plain validate predicts `run`, which does not use [trend]: it fails only on what stops every command (the
    # study file itself), and otherwise lists what trend would stop on
    plain = invoke("validate", study)
    if plain.exit_code == 1:
        assert error_text(plain) == error_text(ran) and not error_text(plain).startswith("Error: [trend] of study")
    else:
        assert plain.exit_code == 0 and "borderland trend would stop: [trend] of study" in plain.output, plain.output
        assert all(word in plain.output for word in case.words), plain.output
    assert case.fix is not None
    case.fix(study)
    assert_past(study, case, "trend")
    if case.run_fixed:
        fixed = invoke("trend", study, "--out", previous, "--overwrite")
        assert fixed.exit_code == 0 and fixed.exception is None, fixed.output
        assert checksums(previous) != before


def test_the_catalogue_is_large_enough() -> None:
    families = pd.Series([c.family for c in INPUT_CASES + TREND_CASES] + ["study"] * len(USAGE_CASES)
                         + ["output"] * (len(OUTPUT_CASES) + len(COMMAND_TARGETS) + 5)
                         + ["kill"] * (len(KILL_MOMENTS) + len(COMMIT_KILLS) + 4)).value_counts()
    assert families.sum() >= 70 and set(families.index) == {"layer", "table", "study", "output", "kill"}, families
    # the README states the catalogue's size: it says what is here, not what was here once
    stated = (f"{families.sum()} of them, {families['layer']} region layers, {families['table']} tables, "
              f"{families['study']} study values and options, {families['output']} output folders and "
              f"{families['kill']} kills")
    assert stated in " ".join((ROOT / "README.md").read_text(encoding="utf-8").split()), stated


# -- inputs that are not errors: no corrupted result ------------------------------------------------


def run_and_validate(study: Path, out: Path) -> Any:
    """A study that is not broken: run passes, and so does validate (it fails only where run would)."""
    result = invoke("run", study, "--out", out)
    assert result.exit_code == 0 and result.exception is None, result.output
    checked = invoke("validate", study)
    assert checked.exit_code == 0 and "every input check passed" in checked.output, checked.output
    return result


def _gpkg_regions(out: Path) -> pd.DataFrame:
    return gpd.read_file(out / "borderland.gpkg", layer="regions", engine="pyogrio").set_index("region_id")


def test_undeclared_decimal_comma_is_detected_and_read_right(tmp_path: Path) -> None:
    study = table_text(GOOD_CSV.replace(",50", ',"50,5"').replace(",60", ',"60,25"'))(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert "decimal commas detected in table.csv (e.g. '50,5', '60,25')" in result.output
    back = _gpkg_regions(tmp_path / "out")
    assert back.loc["A0", "access"] == 50.5 and back.loc["A1", "access"] == 60.25 and back.loc["B4", "access"] == 100


def test_a_thousands_separator_is_shown_as_written_not_as_python_writes_it(tmp_path: Path) -> None:
    # trial: the note read "(e.g. '96\\xa0550,0')": Python's repr of a no-break space
    study = table_text(GOOD_CSV.replace(",50", ',"1\u00a0050,5"').replace(",60", ',"1\u00a0060,25"'))(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert "decimal commas detected in table.csv (e.g. '1\u00a0050,5', '1\u00a0060,25')" in result.output
    assert "\\xa0" not in result.output
    assert _gpkg_regions(tmp_path / "out").loc["A0", "access"] == 1050.5


def test_semicolons_beside_commas_in_the_header_are_the_delimiter(tmp_path: Path) -> None:
    """A header with commas in its names once made the delimiter guess pick the comma and garble every column."""
    text = ("region_id;year;internet access, % of households;broadband, % of households\n"
            + "".join(f"{code};2020;{50 + k},5;{40 + k},1\n" for k, code in enumerate(STRIP_TABLE["region_id"])))
    study = table_text(text, lambda d: (d["indicators"].update(layout="wide"), d["index"]["components"][0].update(
        name="access", indicators=["internet access, % of households"])))(tmp_path / "s")
    run_and_validate(study, tmp_path / "out")
    assert _gpkg_regions(tmp_path / "out").loc["A1", "access"] == 51.5


def test_spaces_after_the_delimiters_are_not_part_of_the_cells(tmp_path: Path) -> None:
    study = table_text(textwrap.dedent(GOOD_CSV).replace(",", ", "))(tmp_path / "s")
    run_and_validate(study, tmp_path / "out")
    assert _gpkg_regions(tmp_path / "out").loc["A2", "access"] == 70


def test_excluded_codes_are_noted_only_when_the_layer_lacks_them(tmp_path: Path) -> None:
    study = strip(keyed(("regions", "exclude", ["B5", "Z9"])))(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert "[regions] exclude names code(s) the layer does not have: Z9\n" in result.output
    assert "B5" not in set(_gpkg_regions(tmp_path / "out").index)


def test_a_study_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    study = strip_study(tmp_path / "s")
    study.write_bytes(b"\xef\xbb\xbf" + study.read_bytes())  # as Windows editors save UTF-8
    checked = invoke("validate", study)
    assert checked.exit_code == 0 and "every input check passed" in checked.output, checked.output


def test_utf16_with_its_byte_order_mark_is_read(tmp_path: Path) -> None:
    study = table_text(GOOD_CSV.replace("access", "доступ"), lambda d: d["index"]["components"][0].update(
        indicators=["доступ"]), encoding="utf-16")(tmp_path / "s")
    run_and_validate(study, tmp_path / "out")
    assert _gpkg_regions(tmp_path / "out").loc["B4", "access"] == 100


def test_identical_duplicates_collapse_with_a_note(tmp_path: Path) -> None:
    study = table_text(GOOD_CSV + "A2,access,2020,70\n")(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert "1 repeated row(s) with identical values collapsed in table.csv" in result.output
    assert _gpkg_regions(tmp_path / "out").loc["A2", "access"] == 70


def test_nan_text_is_no_data_and_counted(tmp_path: Path) -> None:
    study = table_text(with_cell(2, "nan"))(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert "cells that were not numbers (left empty): 1" in result.output
    back = _gpkg_regions(tmp_path / "out")
    assert pd.isna(back.loc["A1", "index"]) and back["index"].notna().sum() == 5


def test_regions_outside_the_population_raster_are_listed_and_counted(tmp_path: Path) -> None:
    study = strip(keyed(("raster", "population", "population.tif")),
                  files=lambda f: _one_raster(f, bounds=(X0, Y0, X0 + 3 * KM, Y0 + KM)))(tmp_path / "s")
    checked = invoke("validate", study)
    assert checked.exit_code == 0, checked.output
    note = ("the population raster does not reach 3 region(s): Region B3 (B3), Region B4 (B4), Region B5 (B5); "
            "they get no population figures")
    assert note in checked.output
    result = invoke("run", study, "--out", tmp_path / "out")
    assert result.exit_code == 0 and note in result.output, result.output


@pytest.mark.parametrize(("shift_km", "gap", "fix"), [
    (0.03, "30 m apart", ("border", "edge_tolerance_m", 50)),
    (20, "20.0 km apart", None),
], ids=["30-m-between-sources", "20-km-apart"])
def test_countries_that_do_not_touch_are_noted_and_the_fix_gives_a_border(shift_km, gap, fix, tmp_path: Path) -> None:
    """No land border is no error (every border measure is left empty), but it is said, with the fix."""
    def apart() -> gpd.GeoDataFrame:
        layer = strip_world()
        layer.loc[3:, "geometry"] = layer.loc[3:, "geometry"].translate(shift_km * KM)
        return layer

    study = strip(layer=apart)(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert f"no region touches a region of another country (the nearest are A2 (AA) and B3 (BB), {gap})" \
        in result.output
    assert "so the study has no land border" in result.output
    assert _gpkg_regions(tmp_path / "out")["border_distance_km"].isna().all()
    if fix is None:  # the other fix the note names: the border as a line layer
        _border_lines(study.parent, x_km=3 + shift_km / 2)
        edit_study(study, keyed(("border", "source", "border.gpkg"), ("border", "country_a", "a"),
                                ("border", "country_b", "b")))
    else:
        assert f"set [border] edge_tolerance_m (--tolerance) above {round(shift_km * KM)}" in result.output
        edit_study(study, keyed(fix))
    fixed = run_and_validate(study, tmp_path / "fixed")
    assert "no region touches" not in fixed.output
    assert _gpkg_regions(tmp_path / "fixed")["border_distance_km"].notna().all()


def test_robustness_over_one_component_says_it_tests_nothing(tmp_path: Path) -> None:
    study = strip(keyed(("robustness", "draws", 20)))(tmp_path / "s")
    result = invoke("run", study, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "the Monte Carlo varies nothing and tests nothing" in result.output
    edit_study(study, keyed(("robustness", "draws", 0)))
    assert "tests nothing" not in invoke("validate", study).output


def test_hostile_names_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    layer = strip_world()
    layer.loc[2, "name"] = HOSTILE
    study = strip_study(tmp_path / "s", layer=layer)
    result = invoke("run", study, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "Evil\\u001b[2J\\u202eName (A2)" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


#: Data text that would start a line of its own: a fake error line, a tab, a carriage return.
FAKE_LINE = "\nerror: fake\r\tline"  # inside the text: stripping the cells keeps it


def _no_line_from_data(output: str) -> None:
    assert not [line for line in output.splitlines() if line.lower().startswith("error: fake")], output
    assert "\t" not in output and "\r" not in output, output


def test_line_breaks_in_names_and_codes_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    layer = strip_world()
    layer.loc[2, "name"] = f"Kola{FAKE_LINE}"              # a name in the summaries
    layer.loc[4, "region_id"] = f"B4{FAKE_LINE}"           # a code, in the layer and the table
    layer.loc[3:5, "country"] = f"B{FAKE_LINE}"            # a country, in the segments' labels
    table = STRIP_TABLE.assign(region_id=STRIP_TABLE["region_id"].replace("B4", f"B4{FAKE_LINE}"))
    table = pd.concat([table, pd.DataFrame({"region_id": [f"ZZ{FAKE_LINE}"], "indicator": ["access"], "year": [2020],
                                            "value": [1.0]})])   # a code without a region, in the join report
    study = strip_study(tmp_path / "s", layer=layer, table=table)
    for command in ("run", "index", "border", "gaps"):
        result = invoke(command, study, "--out", tmp_path / command)
        assert result.exit_code == 0, result.output
        _no_line_from_data(result.output)
    ran = invoke("run", study, "--out", tmp_path / "again")
    assert "Kola\\nerror: fake\\r\\tline (A2)" in ran.output   # escaped where it was printed raw
    checked = invoke("validate", study)
    _no_line_from_data(checked.output)
    assert "ZZ\\nerror: fake\\r\\tline: no similar region code" in checked.output


@pytest.mark.parametrize("where", ["duplicate-code", "column-name", "indicator-name", "codes-match-nothing"])
def test_line_breaks_in_data_are_escaped_in_messages(where: str, tmp_path: Path) -> None:
    layer, table, change = strip_world(), STRIP_TABLE.copy(), None
    if where == "duplicate-code":
        layer.loc[0:1, "region_id"] = f"D{FAKE_LINE}"
    elif where == "column-name":
        layer = layer.rename(columns={"level": f"level{FAKE_LINE}"})
        change = keyed(("regions", "id", "code"))
    elif where == "indicator-name":
        table["indicator"] = f"acc{FAKE_LINE}"
    else:
        table["region_id"] = table["region_id"] + FAKE_LINE
    study = strip_study(tmp_path / "s", layer=layer, table=table, change=change)
    result = invoke("validate", study)
    assert_clean_failure(result, 1, ("\\nerror: fake\\r\\tline",))
    _no_line_from_data(result.output)


def test_validate_predicts_run_and_lists_what_trend_would_stop_on(tmp_path: Path) -> None:
    # [trend] years outside the table's: `run` does not use [trend] and runs, so validate passes, saying what
    # `trend` would stop on; --command trend predicts trend, which stops
    study = trend_strip(keyed(("trend", "years", "1990:1995")))(tmp_path / "s")
    checked = invoke("validate", study)
    assert checked.exit_code == 0 and checked.exception is None, checked.output
    assert "every input check passed: `borderland run` will not fail on input" in checked.output
    assert "borderland trend would stop: [trend] of study 'strip': 1 problem(s)" in checked.output
    assert "the table has values of the components in 2018-2022" in checked.output
    ran = invoke("run", study, "--out", tmp_path / "out")
    assert ran.exit_code == 0, ran.output
    for command, args in (("trend", ["trend", study, "--out", tmp_path / "trend"]),):
        predicted = invoke("validate", study, "--command", command)
        refused = invoke(*args)
        assert predicted.exit_code == refused.exit_code == 1, (predicted.output, refused.output)
        assert error_text(predicted) == error_text(refused)
    # the fix the message names (widen [trend] years), applied
    edit_study(study, keyed(("trend", "years", "2018:2022")))
    fixed = invoke("validate", study, "--command", "trend")
    assert fixed.exit_code == 0 and "`borderland trend` will not fail on input" in fixed.output, fixed.output


@pytest.mark.parametrize(("command", "stages"), [("index", ("load", "index")), ("gaps", pipeline.STAGES[:4]),
                                                  ("report", pipeline.STAGES)])
def test_validate_runs_the_checks_of_the_command_named(command: str, stages: tuple[str, ...], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, ...]] = []
    real = pipeline.validate
    monkeypatch.setattr(pipeline, "validate", lambda study, stages: seen.append(tuple(stages)) or real(study, stages))
    result = invoke("validate", strip_study(tmp_path / "s"), "--command", command)
    assert result.exit_code == 0, result.output
    assert seen == [tuple(stages)]
    assert f"`borderland {command}` will not fail on input" in result.output


def test_validate_without_study_checks_the_study_file_of_the_folder(tmp_path: Path, monkeypatch) -> None:
    study = strip_study(tmp_path / "s")
    monkeypatch.chdir(study.parent)
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"checking {study.resolve()}"
    assert f"study: strip ({study.resolve()})" in result.output
    edit_study(study, keyed(("index", "year", 2019)))
    failed = invoke("validate")
    assert_clean_failure(failed, 1, ("[index] year = 2019",))
    assert failed.output.splitlines()[0] == f"checking {study.resolve()}"


def test_countries_across_the_antimeridian_draw_no_line_across_the_map(tmp_path: Path) -> None:
    study = strip(keyed(("study", "countries", "countries.gpkg"), ("study", "countries_column", "ISO_A2")),
                  files=_countries_from_natural_earth)(tmp_path / "s")
    result = invoke("run", study, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "borderland_map.html").read_text(encoding="utf-8")
    jumps = []
    for raw in re.findall(r"helpers_\w+_decode\((\{.*?\})\);\n", html):
        for feature in mapworld.decode(json.loads(raw))["features"]:
            for line in lines_of(feature["geometry"]):
                steps = np.abs(np.diff(line[:, 0]))
                if len(steps) and steps.max() > 180:
                    jumps.append((feature["properties"].get("country"), float(line[:, 0].min()),
                                  float(line[:, 0].max())))
    assert not jumps, f"lines across the whole map (a jump of more than 180° of longitude): {jumps}"


def test_a_value_beyond_its_goalposts_is_kept_flagged_and_named_by_run_and_trend(tmp_path: Path) -> None:
    """No unit says the component is a percentage: -5 on goalposts [0, 100] is kept, never clipped silently."""
    study = strip(lambda d: (d.update(trend={"theil_weights": "equal", "scale": "goalposts"}),
                             d["index"]["components"][0].update(goalposts=[0, 100])),
                  table=_trend_table_with("B5", 2022, -5.0))(tmp_path / "s")
    note = "access: 1 value(s) outside its goalposts [0, 100], kept as they are: B5 -5 in 2022"
    result = run_and_validate(study, tmp_path / "out")
    assert f"{note} (below 0); [index] normalisation = \"minmax\" does not use the goalposts, so they enter the " \
           "index as they are, and access_beyond_goalposts flags it" in result.output
    back = _gpkg_regions(tmp_path / "out")
    assert back.loc["B5", "access"] == -5 and back.loc["B5", "index"] == 0  # min-max: the lowest value, as it is
    assert back["access_beyond_goalposts"].tolist() == [False] * 5 + [True]
    page = next((tmp_path / "out").glob("*.html")).read_text(encoding="utf-8")
    assert '["Outside goalposts","beyond_goalposts"]' in page  # and the map's region tooltip
    trend = invoke("trend", study, "--out", tmp_path / "trend")
    assert trend.exit_code == 0, trend.output
    assert f"{note}; each scores as the goalpost it passes (capped, as goalposts do in the OECD/JRC Handbook)" \
        in trend.output
    by_year = gpd.read_file(tmp_path / "trend" / "trend.gpkg", layer="index_by_year", engine="pyogrio")
    row = by_year.set_index(["region", "year"]).loc[("B5", 2022)]
    assert (row["access"], row["value"]) == (-5, 0.0)
    assert row["flag"] == "access -5 outside the goalposts [0, 100], capped"
    assert (by_year["flag"] != "").sum() == 1


def _split_at_the_antimeridian() -> gpd.GeoDataFrame:
    # RFC 7946: A1 | A2 meet on 180°, as B1 | B2 below them; A3 above is one region in two parts
    return gpd.GeoDataFrame(
        {"region_id": ["A1", "A2", "A3", "B1", "B2"], "name": ["NW", "NE", "N", "SW", "SE"],
         "country": ["AA", "AA", "AA", "BB", "BB"]},
        geometry=[shapely.box(170, 62, 180, 66), shapely.box(-180, 62, -170, 66),
                  shapely.MultiPolygon([shapely.box(175, 66, 180, 68), shapely.box(-180, 66, -175, 68)]),
                  shapely.box(170, 58, 180, 62), shapely.box(-180, 58, -170, 62)], crs=4326)


def _past_180() -> gpd.GeoDataFrame:
    # the same regions with longitudes 170..190 (190° is -170°): A and B, each across 180°
    return gpd.GeoDataFrame({"region_id": ["A", "B"], "name": ["N", "S"], "country": ["AA", "BB"]},
                            geometry=[shapely.box(170, 62, 190, 66), shapely.box(170, 58, 190, 62)], crs=4326)


@pytest.mark.parametrize(("layer", "codes"), [(_split_at_the_antimeridian, ("A1", "A2", "A3", "B1", "B2")),
                                              (_past_180, ("A", "B"))], ids=["split", "past-180"])
def test_a_study_across_the_antimeridian_runs_measures_and_maps(layer, codes, tmp_path: Path) -> None:
    study = strip(keyed(("study", "crs", "EPSG:3571")), layer=layer, table=_table_of(*codes))(tmp_path / "s")
    result = run_and_validate(study, tmp_path / "out")
    assert "0 invalid polygon(s) made valid; 0 km² of overlaps resolved" in result.output
    geod = pyproj.Geod(ellps="WGS84")
    back = _gpkg_regions(tmp_path / "out")
    # each region's area as the ellipsoid's (its edges are straight in degrees: densified for the reference)
    for code, geometry in zip(codes, layer().geometry, strict=True):
        reference = abs(geod.geometry_area_perimeter(shapely.segmentize(geometry, 0.01))[0])
        assert back.loc[code].geometry.area == pytest.approx(reference, rel=1e-3), code
    # the land border is the 62nd parallel from 170°E to 170°W, in EPSG:3571 (LAEA at the pole: a parallel
    # 28° from the pole is drawn 1/cos(14°) = 3.06 % longer, and the scale along it is that of PROJ)
    parallel_km = 2 * np.pi * 6394.846 * np.cos(np.radians(62)) * 20 / 360
    scale = pyproj.Proj("EPSG:3571").get_factors(180, 62).parallel_scale
    assert scale == pytest.approx(1 / np.cos(np.radians(14)), rel=2e-3)
    lines = gpd.read_file(tmp_path / "out" / "borderland.gpkg", layer="border_lines", engine="pyogrio")
    assert lines["length_km"].sum() == pytest.approx(parallel_km * scale, rel=1e-3)
    html = (tmp_path / "out" / "borderland_map.html").read_text(encoding="utf-8")
    drawn = [feature for raw in re.findall(r"helpers_\w+_decode\((\{.*?\})\);\n", html)
             for feature in mapworld.decode(json.loads(raw))["features"]]
    assert {f["properties"].get("region_id") for f in drawn} >= set(codes)
    for feature in drawn:  # no line across the whole map
        for line in lines_of(feature["geometry"]):
            assert np.abs(np.diff(line[:, 0])).max(initial=0) <= 180, feature["properties"]


def lines_of(geometry: dict[str, Any]) -> list[np.ndarray]:
    """The lines (rings) of a decoded GeoJSON geometry, as longitude/latitude arrays."""
    depth = {"LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}[geometry["type"]]

    def walk(parts: Any, level: int) -> list[np.ndarray]:
        if level == 1:
            return [np.asarray(parts, dtype=float).reshape(-1, 2)]
        return [line for part in parts for line in walk(part, level - 1)]

    return walk(geometry["coordinates"], depth)


# -- usage errors (exit 2) -------------------------------------------------------------------------

USAGE_CASES = [
    ("gaps-permutations-0", ["gaps", "--permutations", "0"],
     ("'0'", "expected a number of permutations from 1 to 99,999", "[gaps] permutations")),
    ("index-draws-many", ["index", "--draws", "many"], ("'many' is not a valid integer",)),
    ("index-draws-negative", ["index", "--draws", "-5"], ("'-5'", "expected a number of draws from 2 to 100,000")),
    ("index-seed-abc", ["index", "--seed", "abc"], ("'abc' is not a valid integer",)),
    ("border-within-km-x", ["border", "--within-km", "x"], ("'x' is not a valid float",)),
    ("border-within-km-0", ["border", "--within-km", "0"], ("expected a distance in km above 0",)),
    ("border-origin-insidepoint", ["border", "--origin", "insidepoint"], ("'insidepoint' is not one of",
                                                                          "inside_point")),
    ("run-unknown-option", ["run", "--colour", "red"], ("No such option '--colour'",)),
    ("regions-without-indicators", ["gaps", "--regions", "r.gpkg"], ("needs --indicators too",)),
    ("export-unknown-crs", ["export", "--crs", "EPSG:99999"], ("is not a CRS pyproj knows", "EPSG:4326")),
    ("export-unknown-format", ["export", "--format", "shp"], ("'shp': choose one or more of",)),
    ("focus-country-option", ["index", "--focus-country", "Russia"], ("expected a two-letter country code",)),
    ("study-is-a-folder", ["run", "."], ("is a directory",)),
    ("out-is-a-file", ["run", "--out", "table.csv"], ("Invalid value for '--out'", "is a file")),
    ("trend-years-dash", ["trend", "--years", "2006-2025"],
     ("'2006-2025'", 'expected the first and last year as "FIRST:LAST"', "[trend] years in a study file")),
    ("trend-min-regions-0", ["trend", "--min-regions-per-side", "0"],
     ("'0'", "expected a number of regions from 1 to 100,000")),
    ("trend-scale-typo", ["trend", "--scale", "goalpost"], ('did you mean "goalposts"?',)),
    ("trend-base-year-abc", ["trend", "--base-year", "abc"], ("'abc' is not a valid integer",)),
    ("map-palette-unknown", ["map", "--palette", "Nope"], ("'Nope' is not a ColorBrewer palette",
                                                           "choose one of Blues, BrBG", "(add _r to reverse one)")),
    ("map-palette-case", ["map", "--palette", "ylgnbu"], ("did you mean YlGnBu",)),
]


@pytest.mark.parametrize(("args", "words"), [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES])
def test_usage_error(args: list[str], words: tuple[str, ...], tmp_path: Path, previous: Path,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "table.csv").write_text("a file", encoding="utf-8")
    monkeypatch.setattr(pipeline, "load", _must_not_be_called)
    before = checksums(previous)
    result = invoke(*args, *([] if "--out" in args else ["--out", previous]), "--overwrite")
    assert_clean_failure(result, 2, words)
    assert checksums(previous) == before


# -- output folders --------------------------------------------------------------------------------


def _must_not_be_called(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the study was loaded or computed before the output folder was checked")


@pytest.fixture
def locks() -> Any:
    found = Locks()
    yield found
    found.release()


@pytest.fixture
def strip_case(tmp_path: Path) -> Path:
    return strip_study(tmp_path / "study")


def _unwritable(out: Path, locks: Locks) -> list[str]:
    locks.lock(out)
    return ["--overwrite"]


def _under_a_file(out: Path, locks: Locks) -> list[str]:
    (out / "notes.txt").write_text("x", encoding="utf-8")
    return ["--out", str(out / "notes.txt" / "deeper")]


def _target_is_a_folder(out: Path, locks: Locks) -> list[str]:
    (out / "borderland_map.html").unlink()
    (out / "borderland_map.html").mkdir()
    (out / "borderland_map.html" / "keep.txt").write_text("x", encoding="utf-8")
    return ["--overwrite"]


def _no_overwrite(out: Path, locks: Locks) -> list[str]:
    return []


OUTPUT_CASES = [
    ("unwritable-folder", _unwritable, ("cannot write into", "choose another output folder with --out")),
    ("folder-under-a-file", _under_a_file, ("the folder cannot be created", "choose another output folder")),
    ("target-is-a-folder", _target_is_a_folder, ("borderland_map.html are folders", "move them away")),
    ("existing-outputs-without-overwrite", _no_overwrite, ("exist already", "pass --overwrite")),
]


@pytest.mark.parametrize(("arrange", "words"), [c[1:] for c in OUTPUT_CASES], ids=[c[0] for c in OUTPUT_CASES])
def test_output_folder_refused_before_any_computing(arrange, words, previous: Path, strip_case: Path,
                                                     locks: Locks, monkeypatch: pytest.MonkeyPatch) -> None:
    args = arrange(previous, locks)
    out_args = [] if "--out" in args else ["--out", str(previous)]
    before = checksums(previous)
    monkeypatch.setattr(pipeline, "run", _must_not_be_called)
    monkeypatch.setattr(pipeline, "load", _must_not_be_called)
    result = invoke("run", strip_case, *out_args, *args)
    assert_clean_failure(result, 1, words)
    assert checksums(previous) == before
    monkeypatch.undo()
    # the inputs are fine: validate does not fail on an output problem
    assert invoke("validate", strip_case).exit_code == 0


#: Each writing command, and the file it writes (for the strip study, with the default formats).
COMMAND_TARGETS = [("run", "borderland.gpkg"), ("index", "index.gpkg"), ("border", "border.gpkg"),
                   ("gaps", "gaps.gpkg"), ("map", "borderland_map.html"), ("export", "borderland.gpkg"),
                   ("trend", "trend.gpkg"),
                   ("init", "study.toml")]


@pytest.mark.parametrize(("command", "target"), COMMAND_TARGETS, ids=[c for c, _ in COMMAND_TARGETS])
def test_every_command_refuses_existing_outputs_before_computing(command: str, target: str, tmp_path: Path,
                                                                strip_case: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / target).write_bytes(b"an earlier output")
    before = checksums(out)
    monkeypatch.setattr(pipeline, "run", _must_not_be_called)
    monkeypatch.setattr(pipeline, "load", _must_not_be_called)
    args = [out] if command == "init" else [strip_case, "--out", out]
    result = invoke(command, *args)
    assert_clean_failure(result, 1, ("exist already", str(out / target), "pass --overwrite"))
    assert checksums(out) == before


def test_a_target_that_cannot_be_replaced(previous: Path, strip_case: Path, locks: Locks) -> None:
    locks.lock(previous / "borderland_map.html")
    before = checksums(previous)
    result = invoke("run", strip_case, "--out", previous, "--overwrite")
    if os.geteuid() == 0:
        # immutable (chattr +i): everything is computed and staged, and the rename onto it fails
        words: tuple[str, ...] = ("cannot replace", "borderland_map.html", "nothing was replaced", "lsattr")
    else:
        # a normal user cannot stop a rename onto a file but by locking its folder: refused at once
        words = ("cannot write into",)
    assert_clean_failure(result, 1, words)
    assert checksums(previous) == before


def _map_writer_refusing(real: Callable[..., Any]) -> Callable[..., Any]:
    from borderland import errors

    def write_map(*args: Any, **kwargs: Any) -> None:
        raise errors.SchemaError("cannot draw a GeometryCollection; expected lines or polygons")
    return write_map


def _map_writer_on_a_full_disk(real: Callable[..., Any]) -> Callable[..., Any]:
    import resource

    def write_map(*args: Any, **kwargs: Any) -> Any:
        # the GeoPackage is written; no file may now grow beyond 10 kB, as on a disk that just filled up
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, hard))
        try:
            return real(*args, **kwargs)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    return write_map


@pytest.mark.parametrize(("writer", "words"), [
    (_map_writer_refusing, ("cannot draw a GeometryCollection",)),
    (_map_writer_on_a_full_disk, ("cannot write the outputs into", "File too large", "nothing was replaced")),
], ids=["map-writer-refuses", "disk-fills-while-writing-the-map"])
def test_a_run_failing_at_the_map_stage_replaces_nothing(writer, words, previous: Path, strip_case: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from borderland import maps

    monkeypatch.setattr(maps, "write_html", writer(maps.write_html))
    before = checksums(previous)
    result = invoke("run", strip_case, "--out", previous, "--overwrite")
    assert_clean_failure(result, 1, words)
    assert checksums(previous) == before


def test_a_full_disk_while_writing_the_geopackage_is_reported_and_replaces_nothing(previous: Path,
                                                                                   strip_case: Path) -> None:
    """No file may grow beyond 20 kB (what a full disk does to a writer, as EFBIG rather than ENOSPC)."""
    import resource

    before = checksums(previous)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))
    try:
        result = invoke("run", strip_case, "--out", previous, "--overwrite")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert_clean_failure(result, 1, ("cannot write the outputs into", "nothing was replaced",
                                     "check the free space"))
    assert checksums(previous) == before


def test_stale_staging_of_a_dead_run_is_cleaned_by_the_next(previous: Path, strip_case: Path) -> None:
    stale = previous / f"{STAGING_PREFIX}999999999-abc"
    stale.mkdir()
    (stale / "borderland.gpkg").write_bytes(b"half a GeoPackage")
    result = invoke("run", strip_case, "--out", previous, "--overwrite")
    assert result.exit_code == 0, result.output
    assert "removed the partial outputs of an interrupted run" in result.output
    assert sorted(p.name for p in previous.iterdir()) == ["borderland.gpkg", "borderland_map.html"]


# -- kills -----------------------------------------------------------------------------------------

#: Installed with PYTHONPATH in the killed process: before its output set is committed, it records
#: the checksums of the new set (so that "the new set" is known byte for byte), and it can kill
#: itself at the n-th file operation of the commit (a moment no outside timer can hit).
HOOK = '''
import hashlib, json, os, signal, shutil
from pathlib import Path

from borderland import outputs

_commit = outputs.OutputSet.commit


def commit(self):
    record = Path(os.environ["CATALOGUE_NEW_SET"])
    staged = {name: hashlib.sha256((self.staging / name).read_bytes()).hexdigest()
              for name in self.names if (self.staging / name).exists()}
    record.with_suffix(".tmp").write_text(json.dumps(staged))
    os.replace(record.with_suffix(".tmp"), record)
    kill_at = os.environ.get("CATALOGUE_KILL_AT")
    if kill_at:
        what, _, count = kill_at.partition(":")
        calls = {"n": 0}
        real = getattr(os, what)

        def counted(*args, **kwargs):
            if calls["n"] == int(count):
                os.kill(os.getpid(), signal.SIGKILL)
            calls["n"] += 1
            return real(*args, **kwargs)

        setattr(os, what, counted)
    return _commit(self)


outputs.OutputSet.commit = commit
'''

#: (id, what triggers the kill): a path that appears (relative to the output folder, ``*`` for the
#: staging folder) and seconds after it, or a file operation of the commit (``replace:2``: the third
#: ``os.replace``, i.e. after the GeoPackage was moved into place and before the map is).
KILL_MOMENTS = [
    ("while-importing", ("after", None, 0.3)),
    ("staging-opened", ("appears", "*", 0.0)),
    ("while-loading", ("appears", "*", 1.5)),
    ("between-renames", ("commit", "replace:2", 0.0)),
]


@pytest.fixture(scope="module")
def kill_folder(tmp_path_factory: pytest.TempPathFactory, strip_outputs: Path) -> dict[str, Path]:
    """An output folder holding a set (the strip's), and the hook of the killed processes.

    The killed runs write the bundled study's set (three files, the strip's has two), so a mixed
    folder after a kill would show at once.
    """
    root = tmp_path_factory.mktemp("kills")
    copy_outputs(strip_outputs, root / "out")
    (root / "hook").mkdir()
    (root / "hook" / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    return {"out": root / "out", "hook": root / "hook", "study": INIT_FOLDER / "study.toml", "root": root}


def _wait_for(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """Whether ``ready()`` came true while the process ran (no time limit: a busy machine only makes it later)."""
    while process.poll() is None:
        if ready():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("moment", [m[1] for m in KILL_MOMENTS], ids=[m[0] for m in KILL_MOMENTS])
def test_a_killed_run_leaves_one_consistent_set(moment: tuple[str, Any, float], kill_folder: dict[str, Path],
                                                tmp_path: Path) -> None:
    out = kill_folder["out"]
    old = checksums(out)
    record = tmp_path / "new-set.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(kill_folder["hook"]), str(ROOT)]),
           "CATALOGUE_NEW_SET": str(record)}
    kind, what, delay = moment
    if kind == "commit":
        env["CATALOGUE_KILL_AT"] = what
    errors = (tmp_path / "stderr.txt").open("w")
    process = subprocess.Popen([sys.executable, "-m", "borderland", "-q", "run", str(kill_folder["study"]), "--out",
                                str(out), "--overwrite"], env=env, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        if kind == "appears":
            pattern = what.replace("*", f"{STAGING_PREFIX}*")
            assert _wait_for(process, lambda: any(out.glob(pattern))), "the moment never came"
        if kind != "commit":
            time.sleep(delay)
            assert process.poll() is None, "the run ended before the kill"
            process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        errors.close()
    assert process.returncode == -signal.SIGKILL, (tmp_path / "stderr.txt").read_text()
    # the next command's clean-up, as every command that opens an output set on the folder does
    OutputSet(out, ["borderland.gpkg"], overwrite=True).discard()
    found = checksums(out)
    new = json.loads(record.read_text()) if record.exists() else None
    assert found == old or found == new, (
        f"neither the old set nor the new one after a kill ({moment}):\n found {found}\n old {old}\n new {new}")


#: One commit, killed at each of its file operations in turn: the old set holds a, b and a stale
#: optional d; the new one writes a, b and c (new), and removes d. Printed: how many operations
#: the commit made (when not killed).
COMMIT = """
import os, signal, sys
from borderland.outputs import OutputSet, recover

folder, kill_at, phase, listing = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
calls = [0]
if listing == "reversed":
    # a file system may list a folder in any order: here the backups before the journal
    real_scandir = os.scandir

    class Listing(list):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def close(self):
            pass

    def scandir(*args, **kwargs):
        with real_scandir(*args, **kwargs) as entries:
            return Listing(sorted(entries, key=lambda entry: entry.name, reverse=True))

    os.scandir = scandir


def counted(real):
    def wrapped(*args, **kwargs):
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        calls[0] += 1
        return real(*args, **kwargs)
    return wrapped


if phase == "commit":
    out = OutputSet(folder, ["a.txt", "b.txt"], optional=["c.txt", "d.txt"], overwrite=True)
    for name in ("a.txt", "b.txt", "c.txt"):
        out.path(name).write_text("new " + name, encoding="utf-8")
for name in ("link", "replace", "unlink", "rmdir", "mkdir"):
    setattr(os, name, counted(getattr(os, name)))
out.commit() if phase == "commit" else recover(folder)
print(calls[0])
"""

COMMIT_OPERATIONS = 14


def _commit_in_a_process(folder: Path, kill_at: int, phase: str = "commit",
                         listing: str = "as-listed") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", COMMIT, str(folder), str(kill_at), phase, listing],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


def _old_set(folder: Path) -> dict[str, str]:
    folder.mkdir()
    for name in ("a.txt", "b.txt", "d.txt"):
        (folder / name).write_text(f"old {name}", encoding="utf-8")
    return checksums(folder)


def _new_set(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "expected-new"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text(f"new {name}", encoding="utf-8")
    return checksums(folder)


#: Every operation of the commit; those of the staging folder's removal again with the folder listed in reverse.
COMMIT_KILLS = [(k, "as-listed") for k in range(COMMIT_OPERATIONS)] + [(k, "reversed") for k in range(8, 14)]


@pytest.mark.parametrize(("kill_at", "listing"), COMMIT_KILLS, ids=[f"operation-{k}-{o}" for k, o in COMMIT_KILLS])
def test_a_commit_killed_at_any_file_operation_leaves_one_set(kill_at: int, listing: str, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    old, new = _old_set(folder), _new_set(tmp_path)
    done = _commit_in_a_process(folder, kill_at, listing=listing)
    assert done.returncode == -signal.SIGKILL, done.stderr
    OutputSet(folder, ["a.txt"], overwrite=True).discard()  # the next command's clean-up
    assert checksums(folder) in (old, new)


def test_the_commit_makes_no_more_file_operations_than_the_catalogue_kills_at(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    _, new = _old_set(folder), _new_set(tmp_path)
    done = _commit_in_a_process(folder, -1)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == COMMIT_OPERATIONS, "the commit changed: kill at each of its operations"
    assert checksums(folder) == new


@pytest.mark.parametrize("kill_at", range(3), ids=lambda k: f"restore-operation-{k}")
def test_a_clean_up_killed_midway_is_finished_by_the_next(kill_at: int, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    old = _old_set(folder)
    assert _commit_in_a_process(folder, 6).returncode == -signal.SIGKILL  # between the renames
    done = _commit_in_a_process(folder, kill_at, phase="recover")
    assert done.returncode == -signal.SIGKILL, done.stderr
    OutputSet(folder, ["a.txt"], overwrite=True).discard()
    assert checksums(folder) == old


def test_a_commit_cut_short_is_undone_even_when_its_process_id_is_reused(tmp_path: Path) -> None:
    """After a kill mid-commit (and, say, a reboot), another live process may have the dead one's pid."""
    folder = tmp_path / "out"
    old = _old_set(folder)
    assert _commit_in_a_process(folder, 6).returncode == -signal.SIGKILL  # between the renames
    staging = next(folder.glob(f"{STAGING_PREFIX}*"))
    staging.rename(folder / f"{STAGING_PREFIX}{os.getppid()}-reused")  # a live process: pytest's parent
    OutputSet(folder, ["a.txt"], overwrite=True).discard()
    assert checksums(folder) == old
