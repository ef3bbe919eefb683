"""Tests of borderland.maps.model on the tiny world (see mapworld): layers, classes, legends, tooltips, checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from mapworld import (
    CODES,
    INTERNET,
    POPULATION,
    PROBABILITY,
    TYPOLOGY,
    make_bands,
    make_flows,
    make_world,
    model,
    with_columns,
    with_comparability,
)
from shapely.geometry import LineString, box

from borderland import maps
from borderland.errors import CRSError, SchemaError
from borderland.maps.features import _arrowhead

REPO = Path(__file__).resolve().parents[1]


def legend_labels(layer) -> list[str]:
    return [item.label for item in layer.legend]


def by_code(series: pd.Series) -> dict[str, str]:
    return {str(k): v for k, v in series.items()}


@pytest.fixture(scope="module")
def world_model() -> maps.MapModel:
    return model()


# -- what is drawn -----------------------------------------------------------------------------


def test_layers_and_their_roles(world_model):
    assert world_model.kinds == ("index", "typology", "rings", "gaps")
    assert [layer.name for layer in world_model.base] == ["Digitalisation index", "Typology", "Border rings"]
    assert [layer.name for layer in world_model.overlays] == ["State border", "Cross-border gaps"]
    assert world_model.region_layers == world_model.base
    assert world_model.countries is not None and world_model.countries.name == "Countries"
    assert [layer.kind for layer in world_model.layers("gaps")] == ["gaps"]


def test_countries_layer_only_when_given():
    regions, border, pairs, _ = make_world()
    assert model((regions, border, pairs, None)).countries is None


def test_index_classes_and_legend(world_model):
    # quantiles of 0.1, 0.2, 0.5, 0.6, 0.9 (linear interpolation): 0.18, 0.38, 0.54, 0.66, 0.9
    index = world_model.layers("index")[0]
    assert legend_labels(index) == ["0.100 – 0.180 (1)", "0.180 – 0.380 (1)", "0.380 – 0.540 (1)",
                                    "0.540 – 0.660 (1)", "0.660 – 0.900 (1)", "no data (1)", "quantiles, 5 classes"]
    assert index.bins == pytest.approx((0.18, 0.38, 0.54, 0.66, 0.9))
    palette = maps.palette_colours("YlGnBu", 5)
    assert palette == ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu 5
    assert by_code(index.fill) == {"B2": palette[0], "B0": palette[1], "A1": palette[2], "B1": palette[3],
                                   "A0": palette[4], "A2": maps.NO_DATA_COLOUR}
    # typology: A0 leads; A1, B1 moderate; B0, B2 lagging; A2 none
    assert legend_labels(world_model.layers("typology")[0]) == [
        "leader (1)", "moderate (2)", "lagging (2)", "no data (1)"]
    gaps = world_model.layers("gaps")[0]
    assert legend_labels(gaps) == ["line width ∝ |index difference|", "0.700", "0.350", "0.175", "AA side leads",
                                   "BB side leads"]


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
def test_region_tooltip_texts(world_model, code, expected):
    texts = {**world_model.tooltips.loc[code].to_dict(),
             **{layer.key: layer.text[code] for layer in world_model.region_layers}}
    assert {key: texts[key] for key in expected} == expected


def test_tooltip_fields(world_model):
    assert [label for label, _ in world_model.fields] == [
        "Region", "Code", "Country", "Index", "Typology", "Distance to border", "Border order"]
    keys = {*world_model.tooltips.columns, *(layer.key for layer in world_model.region_layers)}
    assert {key for _, key in world_model.fields} <= keys


def test_no_data_is_not_drawn_as_the_lowest_class(world_model):
    index, typology = world_model.layers("index")[0], world_model.layers("typology")[0]
    assert index.fill["A2"] == maps.NO_DATA_COLOUR != index.fill["B2"]  # B2 has the lowest index
    assert typology.fill["A2"] == maps.NO_DATA_COLOUR not in maps.TYPOLOGY_COLOURS.values()
    assert index.text["A2"] == "no data"


def test_natural_breaks_scheme_and_fewer_distinct_values():
    regions, border, pairs, countries = make_world()
    regions["index"] = [0.3, 0.3, np.nan, 0.7, 0.7, 0.3]
    index = model((regions, border, pairs, countries), scheme="natural_breaks").layers("index")[0]
    assert legend_labels(index)[:2] == ["0.300 – 0.300 (3)", "0.300 – 0.700 (2)"]
    assert "natural breaks, 2 classes" in legend_labels(index)


def test_classes_are_those_of_the_registry():
    # equal intervals of 0.1 .. 0.9 in four: 0.3, 0.5, 0.7, 0.9
    index = model(scheme="equal_interval", classes=4).layers("index")[0]
    assert index.bins == pytest.approx((0.3, 0.5, 0.7, 0.9))
    assert legend_labels(index)[:4] == ["0.100 – 0.300 (2)", "0.300 – 0.500 (1)", "0.500 – 0.700 (1)",
                                        "0.700 – 0.900 (1)"]


def test_palette_applies_to_the_classed_layers():
    index = model(palette="Greens", classes=3).layers("index")[0]
    assert set(index.fill) == {*maps.palette_colours("Greens", 3), maps.NO_DATA_COLOUR}


def test_all_regions_without_data():
    regions, border, pairs, countries = make_world()
    regions["index"] = np.nan
    pairs["gap"] = pairs["abs_gap"] = np.nan
    built = model((regions, border, pairs, countries))
    index, gaps = built.layers("index")[0], built.layers("gaps")[0]
    assert set(index.fill) == {maps.NO_DATA_COLOUR}
    assert "no data (6)" in legend_labels(index) and "quantiles, 0 classes" in legend_labels(index)
    assert len(gaps.geometry) == 0 and legend_labels(gaps) == ["no cross-border pair with data on both sides"]


def test_empty_border_and_pairs():
    regions, _, pairs, _ = make_world()
    no_border = gpd.GeoDataFrame({c: [] for c in ["country_a", "country_b", "length_km"]}, geometry=[])
    built = model((regions, no_border, pairs.iloc[:0], None))
    assert len(built.layers("border")[0].geometry) == len(built.layers("gaps")[0].geometry) == 0


def test_gap_lines_only_cross_border_with_data(world_model):
    gaps = world_model.layers("gaps")[0]
    # column 2 has no data on the AA side; the four pairs within a country are never drawn
    assert len(gaps.geometry) == 2
    first, second = (props["tooltip"] for props in gaps.properties)
    assert first == "Alpha – Delta: gap +0.700 (AA side leads), 10.0 km shared border"
    assert second == "Beta – Epsilon: gap -0.100 (BB side leads), 10.0 km shared border"
    widths = [style["weight"] for style in gaps.feature_styles]
    assert widths[0] == maps.GAP_MAX_WIDTH_PX
    assert widths[1] == pytest.approx(maps.GAP_MAX_WIDTH_PX * 0.1 / 0.7, abs=0.01)
    assert gaps.feature_styles[0]["color"] != gaps.feature_styles[1]["color"]


def test_state_border_layer(world_model):
    border = world_model.layers("border")[0]
    assert [props["tooltip"] for props in border.properties] == ["AA – BB state border: 30.0 km"]
    assert legend_labels(border) == ["land border between states"]


# -- the other kinds ---------------------------------------------------------------------------


def test_kinds_choose_the_layers_and_their_order():
    built = model(kinds=["typology", "index"])
    assert [layer.name for layer in built.base] == ["Typology", "Digitalisation index"]
    assert [layer.name for layer in built.overlays] == ["State border"]


def test_kinds_without_their_input_are_reported_together():
    expected = (r"map kinds: 3 problem\(s\)\n.*kind 'bands' needs bands=.*\n.*kind 'trade' needs flows=.*\n"
                r".*kind 'gaps' needs pairs")
    regions, border, _, countries = make_world()
    with pytest.raises(SchemaError, match=expected):
        model((regions, border, None, countries), kinds=["bands", "trade", "gaps"])


def test_indicator_layer_with_unit_from_the_column_name():
    built = model(with_columns(internet_pct=INTERNET), kinds=["indicator"], columns=["internet_pct"])
    assert [layer.name for layer in built.base] == ["internet_pct (%)"]
    layer = built.region_layers[0]
    # one decimal: the values spread over 40 (2 - floor(log10 40) = 1)
    assert by_code(layer.text) == {"A0": "40.0 %", "A1": "50.0 %", "A2": "no data", "B0": "60.0 %", "B1": "70.0 %",
                                   "B2": "80.0 %"}
    # quantiles of 40, 50, 60, 70, 80: 48, 56, 64, 72, 80
    assert legend_labels(layer)[:6] == ["40.0 – 48.0 (1)", "48.0 – 56.0 (1)", "56.0 – 64.0 (1)", "64.0 – 72.0 (1)",
                                        "72.0 – 80.0 (1)", "no data (1)"]
    blues = maps.palette_colours("Blues", 5)
    assert layer.fill.tolist() == [blues[0], blues[1], maps.NO_DATA_COLOUR, blues[2], blues[3], blues[4]]
    assert built.fields[-1] == ("internet_pct", "indicator_0")
    # index, typology and rings are not drawn, so their columns are not needed
    assert {layer.kind for layer in built.base} == {"indicator"}


def test_indicator_units_given_and_several_columns():
    built = model(with_columns(internet=INTERNET, speed=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), kinds=["indicator"],
                  columns=["internet", "speed"], units={"internet": "% of households"})
    assert [layer.name for layer in built.base] == ["internet (% of households)", "speed"]
    # speed spreads over 5: two decimals; no unit
    assert [layer.text["A0"] for layer in built.region_layers] == ["40.0 % of households", "1.00"]


def test_indicator_column_must_be_numeric():
    with pytest.raises(SchemaError, match=r"regions.internet holds non-numeric values \(dtype \w+\); expected numbers"):
        model(with_columns(internet=["a"] * 6), kinds=["indicator"], columns=["internet"])


def test_an_indicator_column_the_regions_lack_is_named_with_the_ones_they_have():
    world = with_columns(internet_pct=INTERNET, speed=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    with pytest.raises(SchemaError) as info:
        model(world, kinds=["indicator"], columns=["internet_pc"])
    message = str(info.value)
    assert "map inputs: 1 problem(s)" in message  # said once, not also as a missing input column
    assert "columns ['internet_pc']: the regions have no such column; did you mean internet_pct?" in message
    assert "the numeric columns a map can draw are " in message and "internet_pct, speed" in message
    assert "name, " not in message.split("draw are ")[1]  # text columns cannot be drawn in classes
    # the fix it names, applied
    assert [layer.name for layer in model(world, kinds=["indicator"], columns=["internet_pct"]).base] == [
        "internet_pct (%)"]


def test_repeated_column_names_are_reported():
    regions, border, pairs, countries = make_world()
    regions = pd.concat([regions, regions[["index"]]], axis=1)
    with pytest.raises(SchemaError, match=r"regions has several columns named \['index'\]; keep one of each"):
        model((regions, border, pairs, countries))


def test_rings_layer():
    rings = model(kinds=["rings"]).region_layers[0]
    ring_1 = maps.palette_colours("YlOrBr_r", 2)[0]  # one ring: the darkest of a two-colour palette
    assert by_code(rings.fill) == {**dict.fromkeys(CODES[:5], ring_1), "B2": maps.NO_DATA_COLOUR}
    assert legend_labels(rings)[:2] == ["ring 1: touches the border (5)", "no data (1)"]


def test_population_layer_from_the_default_column():
    built = model(with_columns(population_within_25km_pct=POPULATION), kinds=["population"])
    layer = built.region_layers[0]
    assert layer.name == "Population within 25 km of the border (%)"
    # the values spread over 100: no decimals
    assert layer.text.tolist() == ["50 %", "25 %", "0 %", "75 %", "no data", "100 %"]
    assert set(maps.palette_colours("OrRd", 5)) <= set(layer.fill)


def test_population_share_is_shown_as_percent():
    share = [v / 100 for v in POPULATION]
    layer = model(with_columns(near_share=share), kinds=["population"], population_column="near_share").base[0]
    assert layer.name == "Population near the border (near_share) (%)"
    assert layer.text["A0"] == "50 %"


def test_population_is_drawn_whenever_its_column_is_there():
    built = model(with_columns(population_within_25km_pct=POPULATION))
    assert "Population within 25 km of the border (%)" in [layer.name for layer in built.base]


def test_uncertainty_layer_marks_unstable_regions():
    layer = model(with_columns(p_typology=PROBABILITY), kinds=["uncertainty"]).region_layers[0]
    assert layer.name == "Typology: class stability"
    # below 0.8: A1 (0.6) and B1 (0.79); B0 at exactly 0.8 is stable
    assert layer.text.tolist() == ["0.95", "0.60 (unstable)", "no data", "0.80", "0.79 (unstable)", "1.00"]
    assert layer.unstable is not None and list(layer.unstable[layer.unstable].index) == ["A1", "B1"]
    assert layer.fill.tolist() == [maps.TYPOLOGY_COLOURS[t] if t else maps.NO_DATA_COLOUR for t in TYPOLOGY]
    assert legend_labels(layer)[-2:] == ["probability of the class below 0.80 (2)", "no probability for 1 region(s)"]


def test_uncertainty_threshold_is_an_option():
    layer = model(with_columns(p_typology=PROBABILITY), kinds=["uncertainty"], stable_probability=0.9).base[0]
    assert list(layer.unstable[layer.unstable].index) == ["A1", "B0", "B1"]


def test_probability_outside_zero_one_is_refused():
    with pytest.raises(SchemaError, match=r"regions.p_typology has values outside 0..1 \(e.g. A0: 95.0\)"):
        model(with_columns(p_typology=[95.0, 60.0, np.nan, 80.0, 79.0, 100.0]), kinds=["uncertainty"])


def test_bands_layer():
    built = model(kinds=["bands", "index"], bands=make_bands())
    assert [layer.name for layer in built.base] == ["Distance bands (km)", "Digitalisation index"]
    bands = built.layers("bands")[0]
    near, far = maps.palette_colours("PuBu_r", 3)[:2]  # darkest next to the border
    assert [(p["band"], p["country"], p["area"], s["fillColor"])
            for p, s in zip(bands.properties, bands.feature_styles, strict=True)] == [
        ("5-10", "AA", "150 km²", far), ("0-5", "AA", "150 km²", near),
        ("0-5", "BB", "150 km²", near), ("5-10", "BB", "150 km²", far)]
    assert legend_labels(bands) == ["0-5", "5-10", "distance from the state border"]
    assert bands.base and bands.coverage


def test_bands_ordered_by_distance_not_alphabet():
    bands = model(kinds=["bands"], bands=make_bands(("5-10 km", "10-20 km"))).base[0]
    assert bands.name == "Distance bands"  # the labels carry their unit
    assert legend_labels(bands)[:2] == ["5-10 km", "10-20 km"]


def test_bands_area_from_the_band_table():
    bands = make_bands()
    bands["area_km2"] = [1.0, 2.0, 3.0, 4.0]
    layer = model(kinds=["bands"], bands=bands).base[0]
    assert [p["area"] for p in layer.properties] == ["1 km²", "2 km²", "3 km²", "4 km²"]


def test_trade_layers_one_per_flow_type_and_unit():
    built = model(kinds=["trade"], flows=make_flows())
    assert built.base == ()  # lines alone: the HTML and static maps draw the regions plain underneath
    exports, turnover = built.layers("trade")
    assert [exports.name, turnover.name] == ["Trade: exports (million USD)", "Trade: turnover (million USD)"]
    # two lines, then their two arrowheads (drawn on top); widths by value: 100 -> 8 px (the maximum), 50 -> 4 px
    assert list(exports.geometry.geom_type) == ["LineString", "LineString", "Polygon", "Polygon"]
    assert [s["weight"] for s in exports.feature_styles] == [8.0, 4.0, 1, 1]
    assert [s.get("fill") for s in exports.feature_styles] == [None, None, True, True]
    assert exports.properties[0] == {"flow": "Alpha → Delta", "value": "100 million USD", "year": "2018",
                                     "source": "s"}
    assert exports.properties[2]["flow"] == "Alpha → Delta"  # the arrowhead has the line's tooltip
    # turnover has no direction: no arrowhead
    assert list(turnover.geometry.geom_type) == ["LineString"]
    assert turnover.properties[0]["flow"] == "Zeta ↔ Gamma"
    assert legend_labels(exports) == ["line width ∝ value", "100 million USD", "50 million USD", "25 million USD",
                                      "arrowhead at the destination"]
    assert legend_labels(turnover)[-1] == "no direction (both ways)"


def test_flows_without_a_value_are_counted_not_drawn():
    flows = make_flows()
    flows.loc[1, "value"] = np.nan
    exports = model(kinds=["trade"], flows=flows).layers("trade")[0]
    assert [p["flow"] for p in exports.properties] == ["Alpha → Delta", "Alpha → Delta"]  # line and head
    assert legend_labels(exports)[-1] == "1 flow(s) without a value not drawn"


def test_arrowhead_geometry():
    # a 100 km line: the head is 15 % of it (15 km), half as wide on each side (7.5 km);
    # the line stops in the middle of the head, 7.5 km before the tip
    line, head = _arrowhead(LineString([(0, 0), (0, 100_000)]))
    assert head is not None
    assert sorted(map(tuple, np.asarray(head.exterior.coords)[:-1])) == sorted(
        [(0.0, 100_000.0), (-7_500.0, 85_000.0), (7_500.0, 85_000.0)])
    assert line.coords[-1] == pytest.approx((0.0, 92_500.0))
    # short lines: at least 8 km, at most half the line
    assert _arrowhead(LineString([(0, 0), (0, 10_000)]))[1].area == pytest.approx(5_000 * 2_500)


def test_flows_of_points_or_polygons_are_refused():
    flows = make_flows()
    flows.geometry = [box(0, 0, 1, 1)] * 3
    with pytest.raises(SchemaError, match=r"flows holds \['Polygon'\] geometries; expected lines"):
        model(kinds=["trade"], flows=flows)


def test_default_kinds_include_every_input_given():
    world = with_columns(internet_pct=INTERNET, population_within_25km_pct=POPULATION, p_typology=PROBABILITY)
    built = model(world, columns=["internet_pct"], bands=make_bands(), flows=make_flows())
    assert [layer.name for layer in built.base] == [
        "Digitalisation index", "Typology", "internet_pct (%)", "Border rings", "Distance bands (km)",
        "Population within 25 km of the border (%)", "Typology: class stability"]
    assert [layer.name for layer in built.overlays] == [
        "State border", "Cross-border gaps", "Trade: exports (million USD)", "Trade: turnover (million USD)"]
    assert [label for label, _ in built.fields] == [
        "Region", "Code", "Country", "Index", "Typology", "Distance to border", "internet_pct", "Border order",
        "Population near the border", "Class probability"]


def test_frames_of_kinds_not_drawn_are_not_read():
    # bands with the wrong columns do not matter when the bands are not drawn
    built = model(kinds=["index"], bands=make_bands().drop(columns="country"))
    assert [layer.name for layer in built.base] == ["Digitalisation index"]


def test_repeated_layer_names_are_numbered():
    built = model(with_columns(Typology=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), kinds=["typology", "indicator"],
                  columns=["Typology"])
    assert [layer.name for layer in built.base] == ["Typology", "Typology (2)"]
    assert built.region_layers == built.base  # the renamed layer is the one the region layers hold


def test_imputed_values_are_named_in_the_tooltip():
    regions, border_lines, pairs, countries = make_world()
    regions = regions.assign(access_imputed=[True, False, False, False, False, False],
                             broadband_imputed=[True, False, True, False, False, False])
    built = model((regions, border_lines, pairs, countries))
    assert by_code(built.tooltips["imputed"]) == {"A0": "access, broadband", "A1": "none", "A2": "broadband",
                                                  "B0": "none", "B1": "none", "B2": "none"}
    assert built.fields[-1] == ("Imputed", "imputed")
    assert "imputed" not in model().tooltips.columns


def test_values_beyond_their_goalposts_are_named_in_the_tooltip():
    # index.beyond_goalposts flags a raw value outside its component's goalposts (kept, capped where they
    # normalise): the map says so as it says imputed values, after them
    regions, border_lines, pairs, countries = make_world()
    regions = regions.assign(access_imputed=[False, True, False, False, False, False],
                             access_beyond_goalposts=[True, False, False, False, False, False],
                             broadband_beyond_goalposts=pd.array([True, False, pd.NA, False, False, True],
                                                                 dtype="boolean"))
    built = model((regions, border_lines, pairs, countries))
    assert by_code(built.tooltips["beyond_goalposts"]) == {"A0": "access, broadband", "A1": "none", "A2": "none",
                                                           "B0": "none", "B1": "none", "B2": "broadband"}
    assert built.fields[-2:] == (("Imputed", "imputed"), ("Outside goalposts", "beyond_goalposts"))
    # no value beyond them: no row
    quiet = model((regions.assign(access_beyond_goalposts=False, broadband_beyond_goalposts=False), border_lines,
                   pairs, countries))
    assert "beyond_goalposts" not in quiet.tooltips.columns
    assert "Outside goalposts" not in [label for label, _ in quiet.fields]


# -- input checks ------------------------------------------------------------------------------


def test_reports_every_input_problem_at_once():
    regions, border, pairs, _ = make_world()
    regions = regions.drop(columns=["typology"])
    pairs = pairs.drop(columns=["gap", "abs_gap"])
    expected = (r"map inputs: 2 problem\(s\)\n.*regions lacks column\(s\) \['typology'\].*\n"
                r".*pairs lacks column\(s\) \['gap', 'abs_gap'\]")
    with pytest.raises(SchemaError, match=expected):
        maps.map_model(regions, border, pairs)


def test_rejects_geographic_crs():
    regions, border, pairs, _ = make_world()
    with pytest.raises(CRSError, match=r"regions is in EPSG:4326, a geographic CRS; the map takes projected"):
        maps.map_model(regions.to_crs(4326), border, pairs)


def test_rejects_mixed_crs():
    regions, border, pairs, _ = make_world()
    with pytest.raises(CRSError, match=r"border_lines is in EPSG:3857 but regions in EPSG:3035"):
        maps.map_model(regions, border.to_crs(3857), pairs)


def test_rejects_unknown_typology():
    regions, border, pairs, _ = make_world()
    regions.loc["A0", "typology"] = "champion"
    with pytest.raises(SchemaError, match=r"regions.typology holds \['champion'\]; expected one of "
                                          r"\['leader', 'moderate', 'lagging'\]"):
        maps.map_model(regions, border, pairs)


def test_unknown_typology_is_drawn_once_the_spec_names_its_labels():
    # the fix the message names, applied: the study's own labels, best first
    regions, border, pairs, _ = make_world()
    labelled = ["top", "middle", None, "bottom", "middle", "bottom"]
    regions["typology"] = pd.array(labelled, dtype="string")
    with pytest.raises(SchemaError, match=r"regions.typology holds \['bottom', 'middle', 'top'\]; expected one of "
                                          r"\['leader', 'moderate', 'lagging'\] or a missing value \(MapSpec "
                                          r"typology_labels names the classes\)"):
        maps.map_model(regions, border, pairs, spec=maps.MapSpec(kinds=["typology"]))
    spec = maps.MapSpec(kinds=["typology", "uncertainty"], typology_labels=["top", "middle", "bottom"])
    built = maps.map_model(regions.assign(p_typology=PROBABILITY), border, pairs, spec=spec)
    # PRGn, three classes, reversed: the best class green, the worst purple
    colours = {"top": "#7fbf7b", "middle": "#f7f7f7", "bottom": "#af8dc3"}
    for layer in built.region_layers:
        assert layer.fill.tolist() == [colours[t] if t else maps.NO_DATA_COLOUR for t in labelled]
        assert legend_labels(layer)[:4] == ["top (1)", "middle (2)", "bottom (2)", "no data (1)"]
    assert built.layers("typology")[0].text.tolist() == ["top", "middle", "no data", "bottom", "middle", "bottom"]
    # a label the spec does not name is still refused
    with pytest.raises(SchemaError, match=r"regions.typology holds \['bottom'\]; expected one of \['top', 'middle'\]"):
        maps.map_model(regions, border, pairs, spec=maps.MapSpec(kinds=["typology"],
                                                                 typology_labels=["top", "middle"]))


def test_typology_colours_keep_the_default_three_and_rank_others():
    assert maps.typology_colours(["leader", "moderate", "lagging"]) is maps.TYPOLOGY_COLOURS
    # other labels, also the default names in another order or number, by rank from PRGn (best green)
    assert list(maps.typology_colours(["lagging", "moderate", "leader"]).values()) == ["#7fbf7b", "#f7f7f7", "#af8dc3"]
    assert dict(maps.typology_colours(["a", "b"])) == {"a": "#7fbf7b", "b": "#af8dc3"}
    five = maps.typology_colours(["q1", "q2", "q3", "q4", "q5"])
    assert list(five.values()) == list(maps.palette_colours("PRGn", 5))[::-1] == [
        "#008837", "#a6dba0", "#f7f7f7", "#c2a5cf", "#7b3294"]
    # beyond ColorBrewer's eleven: interpolated along PRGn, still one colour per label, green first
    many = list(maps.typology_colours([f"c{i}" for i in range(14)]).values())
    assert len(set(many)) == 14 and many[0] == "#00441b" and many[-1] == "#40004b"


def test_does_not_mutate_inputs():
    world = make_world()
    before = [frame.copy() for frame in world]
    model(world, bands=make_bands(), flows=make_flows())
    for frame, copy in zip(world, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_row_order_does_not_change_the_classes():
    regions, border, pairs, countries = make_world()
    shuffled = model((regions.iloc[::-1], border, pairs.iloc[::-1], countries))
    original = model()
    for a, b in zip(shuffled.base + shuffled.overlays, original.base + original.overlays, strict=True):
        assert a.legend == b.legend


# -- palettes ----------------------------------------------------------------------------------


def test_qualitative_palettes_are_refused():
    with pytest.raises(SchemaError, match=r"unknown palette 'Set2'"):
        maps.palette_colours("Set2", 3)


@pytest.mark.parametrize(("n", "expected"), [(1, ("#7fcdbb",)), (2, ("#edf8b1", "#2c7fb8"))], ids=["one", "two"])
def test_palettes_below_three_classes_come_from_the_three_class_one(n, expected):
    assert maps.palette_colours("YlGnBu", 3) == ("#edf8b1", "#7fcdbb", "#2c7fb8")
    assert maps.palette_colours("YlGnBu", n) == expected


def test_palettes_equal_brancas_colour_brewer():
    # read from branca's data files without importing branca: the same colours, interpolation included
    from branca.utilities import color_brewer

    for name in maps.palette_names():
        for reverse in ("", "_r"):
            for n in range(3, 13):
                expected = tuple(c.lower() for c in color_brewer(name + reverse, n))
                assert maps.palette_colours(name + reverse, n) == expected, (name + reverse, n)


# -- what the model imports --------------------------------------------------------------------


def test_model_imports_no_drawing_library():
    code = ("import sys, borderland.maps.model; "
            "print(sorted({'folium', 'branca', 'matplotlib', 'mapclassify', 'jinja2'} & sys.modules.keys()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_building_a_model_imports_no_drawing_library():
    code = ("import sys; sys.path.insert(0, 'tests'); import mapworld; mapworld.model(); "
            "print(sorted({'folium', 'branca', 'matplotlib', 'mapclassify'} & sys.modules.keys()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# -- gaps that rest on components defined differently on the two sides -------------------------


def test_gaps_resting_on_unlike_definitions_are_dashed_and_named():
    gaps = model(with_comparability(), kinds=["gaps"]).layers("gaps")[0]
    # A0-B0 (not comparable) and A1-B1 (comparable) are drawn; A2-B2 has no gap
    assert [style.get("dashArray") for style in gaps.feature_styles] == [maps.GAP_DASH, None]
    assert [props["tooltip"] for props in gaps.properties] == [
        "Alpha – Delta: gap +0.700 (AA side leads), 10.0 km shared border; "
        "the definition of users differs across the border",
        "Beta – Epsilon: gap -0.100 (BB side leads), 10.0 km shared border"]
    dashed = [item for item in gaps.legend if item.dash]
    assert dashed == [maps.LegendItem("line", "dashed: definition of users differs across the border (1)",
                                      maps.EQUAL_COLOUR, 3.0, dash=maps.GAP_DASH)]
    assert legend_labels(gaps)[:-1] == legend_labels(model(kinds=["gaps"]).layers("gaps")[0])


def test_gaps_without_comparability_columns_stay_solid(world_model):
    gaps = world_model.layers("gaps")[0]
    assert not any("dashArray" in style for style in gaps.feature_styles)
    assert not any(item.dash for item in gaps.legend)


def test_comparability_flags_must_be_booleans():
    regions, border, pairs, countries = with_comparability()
    pairs["comparable"] = ["no", "yes", None, "yes", "yes", "yes", "yes"]
    with pytest.raises(SchemaError, match=r"pairs.comparable holds \['no', 'yes'\]; expected true, false or a "
                                          r"missing value"):
        model((regions, border, pairs, countries), kinds=["gaps"])
