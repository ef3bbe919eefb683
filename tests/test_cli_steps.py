"""Step commands: each option changes the result, and each works on files given as arguments."""

from __future__ import annotations

import contextlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import square, strip_world
from shapely.affinity import translate

from borderland import pipeline
from cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), obj={})


def index_layer(folder, name="index"):
    return gpd.read_file(folder / f"{name}.gpkg", layer=name).set_index("region_id")


@pytest.fixture(scope="module")
def default_index(tmp_path_factory):
    out = tmp_path_factory.mktemp("index")
    result = invoke("index", "--out", str(out), "--draws", "200")
    assert result.exit_code == 0, result.output
    return out, result


def test_index_writes_layers_and_prints_both_sides(default_index):
    out, result = default_index
    assert dict(pyogrio.list_layers(out / "index.gpkg")).keys() >= {"index", "coherence"}
    assert "RU: leaders and laggards" in result.output and "others: leaders and laggards" in result.output
    assert "Cronbach's alpha 0.965" in result.output
    frame = index_layer(out)
    assert frame["index"].notna().sum() == 35
    assert {"p_leader", "p_moderate", "p_lagging", "typology_unstable"} <= set(frame.columns)


def _styles(gpkg):
    import sqlite3

    with contextlib.closing(sqlite3.connect(gpkg)) as db:
        return db.execute("SELECT f_table_name, stylename, useasdefault, styleQML FROM layer_styles").fetchall()


def test_index_layer_opens_in_qgis_styled_as_the_runs_regions(default_index):
    from borderland.maps import TYPOLOGY_COLOURS

    styles = _styles(default_index[0] / "index.gpkg")
    assert [(layer, name, default) for layer, name, default, _ in styles] == [("index", "index", 1),
                                                                              ("index", "typology", 0)]
    typology = styles[1][3]
    for label, colour in TYPOLOGY_COLOURS.items():  # the map's categories, in the map's colours (QML: r,g,b,a)
        rgb = ",".join(str(int(colour[k:k + 2], 16)) for k in (1, 3, 5))
        assert f'value="{label}" label="{label}"' in typology and f'<prop k="color" v="{rgb},' in typology


def test_gaps_layers_open_in_qgis_styled(tmp_path):
    result = invoke("gaps", "--out", str(tmp_path), "--permutations", "19")
    assert result.exit_code == 0, result.output
    styles = {(layer, name): default for layer, name, default, _ in _styles(tmp_path / "gaps.gpkg")}
    assert styles[("neighbour_pairs", "cross-border gaps")] == 1
    assert styles[("regions", "index")] == 1 and ("regions", "typology") in styles


@pytest.mark.parametrize(
    "option",
    [["--normalisation", "rank"], ["--weighting", "pca"], ["--year", "2022"]],
    ids=["normalisation", "weighting", "year"],
)
def test_index_options_change_the_index(tmp_path, default_index, option):
    result = invoke("index", "--out", str(tmp_path), "--draws", "0", *option)
    assert result.exit_code == 0, result.output
    before, after = index_layer(default_index[0])["index"], index_layer(tmp_path)["index"]
    assert not before.fillna(-1).equals(after.fillna(-1))


def test_a_key_set_by_an_option_is_named_as_the_option_and_leaving_it_out_runs(tmp_path):
    result = invoke("index", "--out", str(tmp_path / "a"), "--draws", "0", "--year", "2030")
    assert result.exit_code == 1
    assert "[index] year = 2030: the table has no value for it" in result.output
    assert "note: [index] year came from the command line (--year 2030)" in result.output
    # --draws came from the command line too, but the message does not name [robustness] draws
    assert "--draws" not in result.output and result.output.count("note:") == 1
    fixed = invoke("index", "--out", str(tmp_path / "b"), "--draws", "0")
    assert fixed.exit_code == 0, fixed.output


@pytest.mark.parametrize("option", [["--typology", "quantiles"], ["-k", "1.0"]], ids=["typology", "k"])
def test_typology_options_change_the_classes(tmp_path, default_index, option):
    result = invoke("index", "--out", str(tmp_path), "--draws", "0", *option)
    assert result.exit_code == 0, result.output
    before, after = index_layer(default_index[0])["typology"], index_layer(tmp_path)["typology"]
    assert before.value_counts().to_dict() != after.value_counts().to_dict()


def test_draws_and_seed_change_the_probabilities(tmp_path, default_index):
    assert invoke("index", "--out", str(tmp_path / "a"), "--draws", "200", "--seed", "7").exit_code == 0
    assert invoke("index", "--out", str(tmp_path / "b"), "--draws", "0").exit_code == 0
    seeded = index_layer(tmp_path / "a")
    assert not seeded["p_typology"].equals(index_layer(default_index[0])["p_typology"])
    assert "p_typology" not in index_layer(tmp_path / "b").columns


def test_geometric_mean_of_minmax_scores_is_refused(tmp_path):
    result = invoke("index", "--out", str(tmp_path), "--aggregation", "geometric")
    assert result.exit_code == 1
    assert "geometric" in result.output and list(tmp_path.iterdir()) == []


def test_format_writes_csv(tmp_path):
    result = invoke("index", "--out", str(tmp_path), "--draws", "0", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "index.csv").exists() and not (tmp_path / "index.gpkg").exists()


def test_step_commands_run_on_files_without_a_study(tmp_path):
    layer = strip_world()
    layer.to_file(tmp_path / "strip.geojson", engine="pyogrio")
    (tmp_path / "table.csv").write_text(
        "region_id,indicator,year,value,unit\n" + "".join(
            f"{c},households_internet_access,2021,{v},%\n{c},households_broadband_access,2021,{v - 5},%\n"
            f"{c},individuals_internet_use,2021,{v - 1},%\n"
            for c, v in zip(layer.region_id, [50, 60, 70, 90, 100, 80], strict=True)), encoding="utf-8")
    result = invoke("gaps", "--regions", str(tmp_path / "strip.geojson"), "--indicators", str(tmp_path / "table.csv"),
                    "--focus-country", "BB", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pairs = gpd.read_file(tmp_path / "out" / "gaps.gpkg", layer="neighbour_pairs")
    cross = pairs[pairs["cross_border"]]
    # B3 (BB, focus side) first: index 0.8 against A2's 0.4 (min-max over 50..100 for each component)
    assert cross[["region_a", "region_b"]].values.tolist() == [["B3", "A2"]]
    assert cross["gap"].iloc[0] == pytest.approx(0.4)


def _one_indicator_files(folder):
    """The strip and a table of one indicator that the bundled study does not have, plus a population."""
    strip_world().to_file(folder / "strip.gpkg", layer="r", engine="pyogrio")
    (folder / "t.csv").write_text("region_id,indicator,year,value\n" + "".join(
        f"{c},access,2021,{v}\n{c},population,2021,{1000 * v}\n"
        for c, v in zip(strip_world().region_id, [50, 60, 70, 90, 100, 80], strict=True)), encoding="utf-8")
    return ["--regions", str(folder / "strip.gpkg"), "--layer", "r", "--indicators", str(folder / "t.csv"),
            "--focus-country", "AA", "--draws", "0"]


def test_files_without_a_study_take_the_components_of_their_table(tmp_path):
    # trial repro 8: the bundled study's components were required of the user's table
    common = _one_indicator_files(tmp_path)
    result = invoke("index", *common, "--out", str(tmp_path / "all"))
    assert result.exit_code == 0, result.output
    assert "households_broadband_access" not in result.output
    layer = index_layer(tmp_path / "all")
    assert {"access", "population"} <= set(layer.columns)
    # min-max over 50..100 for both: the mean of two equal scores
    assert layer["index"].tolist() == pytest.approx([0.0, 0.2, 0.4, 0.8, 1.0, 0.6])
    metadata = pyogrio.read_info(tmp_path / "all" / "index.gpkg", layer="index")
    assert '"title": "strip.gpkg and t.csv"' in str(metadata) and '"attribution": []' in str(metadata)
    assert "Russia" not in str(metadata) and "Rosstat" not in str(metadata) and "% of households" not in str(metadata)
    # --components chooses among them
    chosen = invoke("index", *common, "--components", "access", "--out", str(tmp_path / "one"))
    assert chosen.exit_code == 0, chosen.output
    assert "population" not in index_layer(tmp_path / "one").columns


def test_unknown_components_name_the_table_s_indicators_and_the_fix_applies(tmp_path):
    common = _one_indicator_files(tmp_path)
    result = invoke("index", *common, "--components", "acess", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1, result.output
    assert ("--components acess: the indicator table 't.csv' has no indicator acess; its indicators are access, "
            "population: give --components with some of them, comma-separated") in result.output
    fixed = invoke("index", *common, "--components", "access,population", "--out", str(tmp_path / "x"))
    assert fixed.exit_code == 0, fixed.output
    assert "Traceback" not in result.output and not (tmp_path / "x" / "t.csv").exists()


def test_components_with_a_study_file_pick_its_components(tmp_path):
    result = invoke("index", str(Path(__file__).parents[1] / "geodata" / "study.toml"), "--components",
                    "households_internet_access", "--draws", "0", "--format", "csv", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    header = (tmp_path / "index.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "households_internet_access" in header and "households_broadband_access" not in header


def test_contiguity_option_adds_point_contacts(tmp_path):
    layer = gpd.GeoDataFrame({"region_id": ["P", "Q", "R"], "name": ["P", "Q", "R"], "country": ["AA", "BB", "BB"]},
                             geometry=[square(0, 0), square(1, 1), square(1, 0)], crs=3035)
    layer.to_file(tmp_path / "corner.gpkg", engine="pyogrio")
    (tmp_path / "t.csv").write_text("region_id,indicator,year,value\n" + "".join(
        f"{c},{i},2021,{v}\n" for c, v in (("P", 1), ("Q", 2), ("R", 3)) for i in (
            "households_internet_access", "households_broadband_access", "individuals_internet_use")),
        encoding="utf-8")
    common = ["--regions", str(tmp_path / "corner.gpkg"), "--indicators", str(tmp_path / "t.csv"), "--format", "csv"]
    assert invoke("gaps", *common, "--out", str(tmp_path / "rook")).exit_code == 0
    assert invoke("gaps", *common, "--out", str(tmp_path / "queen"), "--contiguity", "queen").exit_code == 0
    rook = (tmp_path / "rook" / "neighbour_pairs.csv").read_text(encoding="utf-8").count("\n")
    queen = (tmp_path / "queen" / "neighbour_pairs.csv").read_text(encoding="utf-8").count("\n")
    assert queen == rook + 1  # P and Q touch at one corner only


@pytest.mark.parametrize(
    ("options", "rows"),
    [([], 13), (["--flow-type", "growth_rate"], 5),
     (["--cross-border-only", "--flow-type", "turnover", "--top", "2"], 2)],
    ids=["all", "flow-type", "top"],
)
def test_flows_options_filter_the_lines(tmp_path, options, rows, request):
    # the options filter what is written, not what is computed: the first case is the one end-to-end run of
    # `flows` on the bundled study, the others filter the session's result
    shortcut = request.getfixturevalue("computed_once") if options else None
    result = invoke("flows", "--out", str(tmp_path), *options)
    assert result.exit_code == 0, result.output
    assert pyogrio.read_info(tmp_path / "flows.gpkg", layer="trade_flows")["features"] == rows
    assert "RU-MOW (not a study region" in result.output
    assert shortcut is None or shortcut.taken == [pipeline.STAGES]


def test_export_formats(tmp_path):
    # the one end-to-end run of `export` on the bundled study
    result = invoke("export", "--out", str(tmp_path / "a"), "--format", "geojson,csv")
    assert result.exit_code == 0, result.output
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert {"regions.geojson", "regions.csv", "neighbour_pairs.csv", "borderland_metadata.json"} <= names
    assert "borderland.gpkg" not in names


def test_export_crs_and_an_unknown_format(tmp_path, computed_once):
    assert invoke("export", "--out", str(tmp_path / "b"), "--crs", "EPSG:4326").exit_code == 0
    assert pyogrio.read_info(tmp_path / "b" / "borderland.gpkg", layer="regions")["crs"] == "EPSG:4326"
    assert computed_once.taken == [pipeline.STAGES]  # --crs changes what is written, not the study
    bad = invoke("export", "--out", str(tmp_path / "c"), "--format", "shp")
    assert bad.exit_code == 2 and "gpkg" in bad.output and not (tmp_path / "c").exists()
    assert computed_once.taken == [pipeline.STAGES]


def test_border_command_options(tmp_path):
    result = invoke("border", "--out", str(tmp_path / "a"), "--raster", "--resolution", "20000")
    assert result.exit_code == 0, result.output
    assert "land border segments: BY-LT" in result.output and "RU-FI 1209 km" in result.output
    import rasterio

    with rasterio.open(tmp_path / "a" / "distance_to_border.tif") as src:
        assert src.res == (20000.0, 20000.0) and src.crs.to_epsg() == 3035
    layers = dict(pyogrio.list_layers(tmp_path / "a" / "border.gpkg"))
    assert {"border_lines", "distance_bands", "regions", "profile"} <= set(layers)
    near = gpd.read_file(tmp_path / "a" / "border.gpkg", layer="regions").set_index("region_id")
    far = invoke("border", "--out", str(tmp_path / "b"), "--within-km", "50", "--origin", "outline", "--no-raster")
    assert far.exit_code == 0, far.output
    assert not (tmp_path / "b" / "distance_to_border.tif").exists()
    wide = gpd.read_file(tmp_path / "b" / "border.gpkg", layer="regions").set_index("region_id")
    assert "population_within_50km" in wide.columns and "population_within_25km" in near.columns
    assert (wide.loc[wide["border_order"] == 1, "border_distance_km"] == 0).all()  # outline of ring 1 touches
    assert (near["border_distance_km"] > 0).all()  # inside points never lie on the border


def test_map_command_kinds_png(tmp_path):
    # the one end-to-end run of `map` on the bundled study
    result = invoke("map", "--out", str(tmp_path), "--kind", "typology", "--kind", "gaps", "--png",
                    "--scheme", "natural_breaks")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "borderland_map.html").read_text(encoding="utf-8")
    assert "Typology" in page and "Digitalisation index" not in page
    assert (tmp_path / "borderland_map.png").read_bytes()[:4] == b"\x89PNG"


def test_map_command_fragment_online(tmp_path, computed_once):
    fragment = invoke("map", "--out", str(tmp_path), "--fragment", "--kind", "index", "--online")
    assert fragment.exit_code == 0, fragment.output
    text = (tmp_path / "borderland_map_fragment.html").read_text(encoding="utf-8")
    assert "<html" not in text and "<div" in text and "https://" in text  # online: Leaflet from a CDN
    assert not (tmp_path / "borderland_map.html").exists()
    assert computed_once.taken == [pipeline.STAGES]


def test_input_column_and_layer_options(tmp_path):
    layer = strip_world().rename(columns={"region_id": "code", "name": "label", "country": "nation"})
    layer.to_file(tmp_path / "two.gpkg", layer="other", engine="pyogrio")
    layer.to_file(tmp_path / "two.gpkg", layer="strip", engine="pyogrio")
    (tmp_path / "t.csv").write_text("region_id,indicator,year,value\n" + "".join(
        f"{c},{i},2021,{v}\n" for c, v in zip(layer["code"], [50, 60, 70, 90, 100, 80], strict=True)
        for i in ("households_internet_access", "households_broadband_access", "individuals_internet_use")),
        encoding="utf-8")
    common = ["--regions", str(tmp_path / "two.gpkg"), "--indicators", str(tmp_path / "t.csv"), "--format", "csv"]
    missing = invoke("gaps", *common, "--layer", "strip", "--out", str(tmp_path / "a"))
    assert missing.exit_code == 1 and '[regions] id = "region_id": the layer has no such column' in missing.output
    assert "set [regions] id (--id-column) to the column of the regions' codes" in missing.output
    result = invoke("gaps", *common, "--layer", "strip", "--id-column", "code", "--name-column", "label",
                    "--country-column", "nation", "--out", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    pairs = (tmp_path / "b" / "neighbour_pairs.csv").read_text(encoding="utf-8")
    assert "Region A2" in pairs and "AA-BB" in pairs


def test_gaps_tolerance_and_permutations(tmp_path):
    # Q starts 30 m to the right of P: no shared edge exactly, one within a 50 m tolerance
    layer = gpd.GeoDataFrame({"region_id": ["P", "Q", "R"], "name": ["P", "Q", "R"], "country": ["AA", "BB", "BB"]},
                             geometry=[square(0), translate(square(1), 30, 0), translate(square(2), 30, 0)],
                             crs=3035)
    layer.to_file(tmp_path / "gap.gpkg", engine="pyogrio")
    (tmp_path / "t.csv").write_text("region_id,indicator,year,value\n" + "".join(
        f"{c},{i},2021,{v}\n" for c, v in (("P", 1), ("Q", 2), ("R", 3)) for i in (
            "households_internet_access", "households_broadband_access", "individuals_internet_use")),
        encoding="utf-8")
    common = ["--regions", str(tmp_path / "gap.gpkg"), "--indicators", str(tmp_path / "t.csv"), "--format", "csv"]
    exact = invoke("gaps", *common, "--out", str(tmp_path / "exact"))
    snapped = invoke("gaps", *common, "--out", str(tmp_path / "snap"), "--tolerance", "50", "--permutations", "19")
    assert exact.exit_code == 0 and snapped.exit_code == 0, exact.output + snapped.output
    assert "islands: P" in exact.output and "snap tolerance 50 m" in snapped.output
    assert "(19 permutations)" in snapped.output
    assert "note: Moran's I and LISA left out: a Moran test needs at least 3 regions" in exact.output
    exact_pairs = pd.read_csv(tmp_path / "exact" / "neighbour_pairs.csv")
    snapped_pairs = pd.read_csv(tmp_path / "snap" / "neighbour_pairs.csv")
    assert len(exact_pairs) == 1 and len(snapped_pairs) == 2
    assert {"P", "Q"} <= set(snapped_pairs["region_a"]) | set(snapped_pairs["region_b"])


@pytest.mark.parametrize(
    ("option", "expect"),
    [(["--kind", "index", "--title", "Fig. 1 <draft>"], "Fig. 1 &lt;draft&gt;"),
     (["--column", "households_internet_access"], "households_internet_access (% of households)"),
     (["--kind", "index", "--classes", "3"], "quantiles, 3 classes"),
     (["--kind", "index", "--palette", "RdPu"], "#c51b8a"),
     (["--kind", "index", "--scheme", "equal_interval"], "equal interval")],
    ids=["title", "column", "classes", "palette", "scheme"],
)
def test_map_options_change_the_page(tmp_path, option, expect, computed_once):
    result = invoke("map", "--out", str(tmp_path), *option)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "borderland_map.html").read_text(encoding="utf-8")
    assert expect in page
    assert computed_once.taken == [pipeline.STAGES]  # map options draw the study, they do not change it


def test_the_shortcut_is_taken_for_the_bundled_study_and_every_stage_only(computed_once):
    computed_once.real = lambda study, stages, on_stage, executor=None: ("computed", stages)
    bundled = computed_once.result.study
    stages_seen = []
    assert computed_once(bundled, pipeline.STAGES, stages_seen.append) is computed_once.result
    assert stages_seen == list(pipeline.STAGES)  # the progress bar still sees every stage
    changed = bundled.with_values({"robustness.draws": 10})
    assert computed_once(changed, pipeline.STAGES, None) == ("computed", pipeline.STAGES)
    assert computed_once(bundled, ("load", "index"), None) == ("computed", ("load", "index"))
    assert computed_once.taken == [pipeline.STAGES]
    assert computed_once.computed == [pipeline.STAGES, ("load", "index")]
