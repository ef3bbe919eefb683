"""Tests of borderland.maps.trend (trend_model) and of the year control it gives the page.

The world over the years (mapworld.TREND_VALUES, TREND_GAPS): six squares, AA south of BB, with
values in 2019-2021. The classes are equal intervals of 0.2 cut over every year's values (0 to
1): a value goes to the fifth of 0..1 that holds it, closed above (0.2 in the lowest class, 0.4
in the second, 0.6 in the third), in YlGnBu. Every expected fill, text, width and tooltip below
is worked out by hand from those tables; the page's data is decoded by mapworld.decode_years,
written from the format's description in leaflet._year_data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mapworld import (
    CARRIED,
    CODES,
    HOSTILE,
    PAIR_IDS,
    TREND_VALUES,
    YEARS,
    data_raw,
    data_var,
    decode_years,
    legend,
    legend_text,
    parse,
    trend,
    trend_tables,
    years_raw,
)

from borderland import maps
from borderland.classify import classify
from borderland.errors import CRSError, SchemaError
from borderland.maps.leaflet import _leaflet_assets

REPO = Path(__file__).resolve().parents[1]

C = maps.palette_colours("YlGnBu", 5)
GREY = maps.NO_DATA_COLOUR
AA, BB = maps.LEADER_COLOURS[:2]  # leading countries in code order

#: Class of each region in each year (None: no data), by hand from TREND_VALUES.
CLASSES = {
    2019: {"A0": 0, "A1": 0, "A2": None, "B0": 3, "B1": 1, "B2": 0},  # 0.1 0.2 - | 0.7 0.4 0.0
    2020: {"A0": 1, "A1": 0, "A2": 2, "B0": 3, "B1": 2, "B2": None},  # 0.3 0.2 0.6 | 0.8 0.5 NaN
    2021: {"A0": 2, "A1": 1, "A2": 4, "B0": 4, "B1": 1, "B2": 0},  # 0.5 0.4 1.0 | 0.9 0.4 0.2
}
VALUES = {
    2019: {"A0": "0.10", "A1": "0.20", "A2": "no data", "B0": "0.70", "B1": "0.40", "B2": "0.00"},
    2020: {"A0": "0.30", "A1": "0.20", "A2": "0.60", "B0": "0.80", "B1": "0.50", "B2": "no data"},
    2021: {"A0": "0.50", "A1": "0.40", "A2": "1.00", "B0": "0.90", "B1": "0.40", "B2": "0.20"},
}
NOTES = {2019: {}, 2020: {"A1": CARRIED, "A2": "interpolated"}, 2021: {}}

#: Each pair's line: colour of the leading side, width 12 px x |gap| / 0.8 (the largest gap, P2 in 2021),
#: at least 1 px, dashed where flagged; None where the pair has no gap that year.
GAPS = {
    2019: {"P0": (BB, 9.0, None, "Alpha – Delta: gap -0.60 (BB side leads)"),
           "P1": (BB, 3.0, None, "Beta – Epsilon: gap -0.20 (BB side leads)"), "P2": None},
    2020: {"P0": (BB, 7.5, None, "Alpha – Delta: gap -0.50 (BB side leads)"),
           "P1": (BB, 4.5, maps.GAP_DASH, f"Beta – Epsilon: gap -0.30 (BB side leads); A1: {CARRIED}"),
           "P2": None},
    2021: {"P0": (BB, 6.0, None, "Alpha – Delta: gap -0.40 (BB side leads)"),
           "P1": (maps.EQUAL_COLOUR, 1.0, None, "Beta – Epsilon: gap +0.00 (equal)"),
           "P2": (AA, 12.0, None, "Gamma – Zeta: gap +0.80 (AA side leads)")},
}


def fills(year: int) -> dict[str, str]:
    return {code: GREY if c is None else C[c] for code, c in CLASSES[year].items()}


def by_code(series: pd.Series) -> dict[str, str]:
    return {str(k): v for k, v in series.items()}


@pytest.fixture(scope="module")
def model() -> maps.MapModel:
    return trend()


@pytest.fixture(scope="module")
def page(model) -> str:
    return maps.html_page(model)


# -- the model ---------------------------------------------------------------------------------


def test_years_and_the_year_shown_first(model):
    timeline = model.timeline
    assert timeline.years == tuple(YEARS) and timeline.shown == 2021  # the latest year with data
    assert model.kinds == ("index", "gaps")
    assert [layer.name for layer in model.base] == ["Index"] and [layer.name for layer in model.overlays] == [
        "Cross-border gaps"]
    # a later year without any value is offered, but not shown first
    regions, values, lines, gaps = trend_tables()
    values = pd.concat([values, pd.DataFrame({"region": ["A0"], "year": [2022], "value": [np.nan], "flag": [""]})])
    later = maps.trend_model(regions, values, lines=lines, gaps_by_year=gaps)
    assert later.timeline.years == (2019, 2020, 2021, 2022) and later.timeline.shown == 2021


@pytest.mark.parametrize("year", YEARS)
def test_every_regions_fill_text_and_note_by_hand(model, year):
    shown = model.at_year(year)
    layer = shown.region_layers[0]
    assert by_code(layer.fill) == fills(year)
    assert by_code(layer.text) == VALUES[year]
    assert by_code(shown.tooltips["note"]) == {code: NOTES[year].get(code, "") for code in CODES}
    assert set(shown.tooltips["year"]) == {str(year)}
    assert shown.timeline.shown == year and model.timeline.shown == 2021  # a new model; this one unchanged


def test_classes_are_cut_once_over_every_year(model):
    # one set of classes: the same bins and legend whichever year is shown
    shown = [model.at_year(year).region_layers[0] for year in YEARS]
    assert {layer.bins for layer in shown} == {model.timeline.bins}
    assert {layer.legend for layer in shown} == {model.timeline.legend}
    # the same value is the same colour in every year: 0.2 (A1 in 2019 and 2020), 0.4 (B1 2019, A1 and B1 2021)
    assert shown[0].fill["A1"] == shown[1].fill["A1"] == C[0]
    assert shown[0].fill["B1"] == shown[2].fill["A1"] == shown[2].fill["B1"] == C[1]
    # quantiles too are cut over every year's values, not year by year (2021 alone cuts elsewhere)
    quantiles = trend(scheme="quantiles")
    values = [v for _, _, v, _ in TREND_VALUES]
    assert quantiles.timeline.bins == tuple(classify(values, "quantiles", 5).bins.tolist())
    only_2021 = [v for _, y, v, _ in TREND_VALUES if y == 2021]
    assert quantiles.timeline.bins != tuple(classify(only_2021, "quantiles", 5).bins.tolist())


def test_no_data_is_grey_and_never_zero(model):
    # A2 has no row in 2019, B2 a row without a value in 2020; B2's 0.0 in 2019 is a value, in the lowest class
    assert model.at_year(2019).region_layers[0].fill["A2"] == GREY
    assert model.at_year(2020).region_layers[0].text["B2"] == "no data"
    assert model.at_year(2019).region_layers[0].fill["B2"] == C[0]
    assert model.timeline.classes.loc["B2", 2020] == -1 and model.timeline.classes.loc["B2", 2019] == 0


def test_legend_says_the_classes_hold_for_every_year(model):
    labels = [item.label for item in model.region_layers[0].legend]
    assert labels == ["0.00 – 0.20", "0.20 – 0.40", "0.40 – 0.60", "0.60 – 0.80", "0.80 – 1.00", "no data",
                      "equal interval, 5 classes of all 16 values of 2019–2021: the same classes in every year"]
    gaps = [(item.shape, item.label, item.width_px) for item in model.overlays[0].legend]
    assert gaps == [("note", "line width ∝ |gap|, one scale for every year", 0.0), ("line", "0.80", 12.0),
                    ("line", "0.40", 6.0), ("line", "0.20", 3.0), ("swatch", "AA side leads", 0.0),
                    ("swatch", "BB side leads", 0.0), ("swatch", "equal", 0.0),
                    ("line", "dashed: not comparable as it stands, the tooltip says why (1)",
                     maps.model.GAP_DASH_LEGEND_WIDTH_PX)]


@pytest.mark.parametrize("year", YEARS)
def test_gap_lines_of_every_year_by_hand(model, year):
    layer = model.at_year(year).overlays[0]
    drawn = {pair: (style["color"], style["weight"], style.get("dashArray"), props["tooltip"])
             for pair, style, props in zip(layer.geometry.index, layer.feature_styles, layer.properties, strict=True)}
    assert drawn == {pair: line for pair, line in GAPS[year].items() if line is not None}


def test_at_year_refuses_other_years_and_maps_of_one_moment(model):
    with pytest.raises(SchemaError, match=r"year 2018 is not one of the map's years \[2019, 2020, 2021\]"):
        model.at_year(2018)
    from mapworld import model as snapshot

    with pytest.raises(SchemaError, match=r"this map model has no years .*build a map with a year control with "
                                          r"borderland.maps.trend_model"):
        snapshot().at_year(2020)


def test_without_lines_only_the_regions():
    built = trend(with_gaps=False)
    assert built.kinds == ("index",) and built.overlays == () and built.timeline.lines is None
    assert trend(kinds=["index"]).overlays == ()  # the spec may leave the gaps out


def test_inputs_are_not_changed():
    regions, values, lines, gaps = trend_tables()
    copies = [frame.copy() for frame in (regions, values, lines, gaps)]
    maps.trend_model(regions, values, lines=lines, gaps_by_year=gaps)
    for before, after in zip(copies, (regions, values, lines, gaps), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_layers_in_any_crs_give_the_same_map(model):
    regions, values, lines, gaps = trend_tables()
    geographic = maps.trend_model(regions.to_crs(4326), values, lines=lines.to_crs(3857), gaps_by_year=gaps,
                                  spec=maps.MapSpec(scheme="equal_interval"))
    assert geographic.regions.crs.to_epsg() == 3857  # projected to simplify the outlines in metres
    for year in YEARS:
        assert by_code(geographic.at_year(year).region_layers[0].fill) == fills(year)
    assert geographic.overlays[0].properties == model.overlays[0].properties


def test_a_static_map_draws_the_year_shown(model, tmp_path):
    first = maps.write_image(model.at_year(2019), tmp_path / "2019.png").read_bytes()
    last = maps.write_image(model, tmp_path / "2021.png").read_bytes()
    assert first.startswith(b"\x89PNG") and first != last


# -- bad input: one message naming the problem, the value and the fix; the fix applied works -------


def _bad(change):
    regions, values, lines, gaps = trend_tables()
    frames = {"regions": regions, "index_by_year": values, "lines": lines, "gaps_by_year": gaps}
    change(frames)
    return frames


def _run(frames):
    return maps.trend_model(frames["regions"], frames["index_by_year"], lines=frames["lines"],
                            gaps_by_year=frames["gaps_by_year"])


def _append(frames, name, row):
    frames[name] = pd.concat([frames[name], pd.DataFrame([row])], ignore_index=True)


BAD_INPUTS = {
    "missing column": (
        lambda f: f.update(index_by_year=f["index_by_year"].drop(columns="value")),
        r"index_by_year lacks column\(s\) \['value'\]; expected \['region', 'year', 'value'\] \(and flag\)",
        lambda f: f.update(index_by_year=f["index_by_year"].assign(value=0.5))),
    "unknown region": (
        lambda f: _append(f, "index_by_year", {"region": "XX", "year": 2020, "value": 0.5, "flag": ""}),
        r"index_by_year.region holds 1 code\(s\) not in the index of regions \(e.g. 'XX'; the index holds e.g. "
        r"'A0', 'A1', 'A2'\); add them to regions or drop their rows",
        lambda f: f.update(index_by_year=f["index_by_year"][f["index_by_year"]["region"] != "XX"])),
    "duplicate region-year": (
        lambda f: _append(f, "index_by_year", {"region": "A0", "year": 2020, "value": 0.35, "flag": ""}),
        r"index_by_year has 2 rows for 1 region-year\(s\) given more than once \(e.g. 'A0' in 2020\); keep one row "
        r"per region and year, e.g. index_by_year.drop_duplicates\(\['region', 'year'\]\)",
        lambda f: f.update(index_by_year=f["index_by_year"].drop_duplicates(["region", "year"]))),
    "fractional year": (
        lambda f: _append(f, "index_by_year", {"region": "A0", "year": 2020.5, "value": 0.35, "flag": ""}),
        r"index_by_year.year holds non-integer years \(e.g. 2020.5\); expected whole years such as 2019",
        lambda f: f.update(index_by_year=f["index_by_year"][f["index_by_year"]["year"] % 1 == 0])),
    "years as text": (
        lambda f: f.update(index_by_year=f["index_by_year"].assign(year=f["index_by_year"]["year"].astype(str))),
        r"index_by_year.year holds (?:object|str) values \(e.g. '2019', '2020', '2021'\); expected whole years such as "
        r"2019 \(convert with pandas.to_numeric\(index_by_year\['year'\]\).astype\(int\)\)",
        lambda f: f["index_by_year"].__setitem__("year", pd.to_numeric(f["index_by_year"]["year"]).astype(int))),
    "values as text": (
        lambda f: f.update(index_by_year=f["index_by_year"].assign(value=f["index_by_year"]["value"].astype(str))),
        r"index_by_year.value holds non-numeric values \(dtype (?:object|str), e.g. '0.1', '0.3', '0.5'\); expected "
        r"numbers, NaN where there is none \(convert with pandas.to_numeric\)",
        lambda f: f["index_by_year"].__setitem__("value", pd.to_numeric(f["index_by_year"]["value"]))),
    "unknown pair": (
        lambda f: _append(f, "gaps_by_year", {"pair": "P9", "year": 2020, "gap": 0.1, "flag": ""}),
        r"gaps_by_year.pair holds 1 code\(s\) not in the index of lines \(e.g. 'P9'; the index holds e.g. 'P0', "
        r"'P1', 'P2'\); add them to lines or drop their rows",
        lambda f: f.update(gaps_by_year=f["gaps_by_year"][f["gaps_by_year"]["pair"] != "P9"])),
    "duplicate pair-year": (
        lambda f: _append(f, "gaps_by_year", {"pair": "P0", "year": 2019, "gap": -0.5, "flag": ""}),
        r"gaps_by_year has 2 rows for 1 pair-year\(s\) given more than once \(e.g. 'P0' in 2019\); keep one row per "
        r"pair and year, e.g. gaps_by_year.drop_duplicates\(\['pair', 'year'\]\)",
        lambda f: f.update(gaps_by_year=f["gaps_by_year"].drop_duplicates(["pair", "year"]))),
    "lines without gaps": (
        lambda f: f.update(gaps_by_year=None),
        r"lines is given without gaps_by_year; the gap lines need both",
        lambda f: f.update(lines=None)),
    "a pair within one country": (
        lambda f: f.update(lines=f["lines"].assign(region_b=["B0", "B1", "A0"])),
        r"gaps_by_year holds pair\(s\) of two regions of one country \(e.g. 'P2'\); the gap lines are cross-border "
        r"pairs: drop them",
        lambda f: f.update(gaps_by_year=f["gaps_by_year"][f["gaps_by_year"]["pair"] != "P2"])),
    "line of an unknown region": (
        lambda f: f.update(lines=f["lines"].assign(region_a=["A0", "A1", "ZZ"])),
        r"lines name region\(s\) not in the index of regions \(e.g. 'ZZ'\); every pair joins two regions of the map",
        lambda f: f.update(lines=f["lines"].assign(region_a=["A0", "A1", "A2"]))),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_named_with_its_fix(case):
    change, message, fix = BAD_INPUTS[case]
    frames = _bad(change)
    with pytest.raises(SchemaError, match=r"trend map inputs: 1 problem\(s\)\n  - " + message):
        _run(frames)
    fix(frames)
    assert _run(frames).timeline.years == tuple(YEARS)


def test_every_problem_at_once():
    def change(frames):
        _append(frames, "index_by_year", {"region": "XX", "year": 2020, "value": 0.5, "flag": ""})
        frames["gaps_by_year"] = frames["gaps_by_year"].drop(columns="gap")

    with pytest.raises(SchemaError, match=r"trend map inputs: 2 problem\(s\)\n  - index_by_year.region holds .*\n"
                                          r"  - gaps_by_year lacks column\(s\) \['gap'\]"):
        _run(_bad(change))


def test_layers_without_a_crs():
    regions, values, _, _ = trend_tables()
    with pytest.raises(CRSError, match=r"regions has no CRS; set the CRS its coordinates are in"):
        maps.trend_model(regions.set_crs(None, allow_override=True), values)


def test_labels_must_say_what_is_shown():
    regions, values, _, _ = trend_tables()
    with pytest.raises(SchemaError, match=r"value_label is ''; expected a text naming what is shown, e.g. 'index'"):
        maps.trend_model(regions, values, value_label="")


def test_kinds_a_trend_map_cannot_draw():
    regions, values, _, _ = trend_tables()
    with pytest.raises(SchemaError, match=r"spec.kinds is \['typology'\]; a trend map draws \['index', 'gaps'\]"):
        maps.trend_model(regions, values, spec=maps.MapSpec(kinds=["typology"]))


# -- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_the_page_draws_every_year_as_worked_out_by_hand(page, model, year):
    drawn = decode_years(page)[year]
    assert {code: r["fill"] for code, r in drawn["regions"].items()} == fills(year)
    assert {code: r["value"] for code, r in drawn["regions"].items()} == VALUES[year]
    assert {code: r["note"] for code, r in drawn["regions"].items()} == {c: NOTES[year].get(c, "") for c in CODES}
    lines = {PAIR_IDS[row]: None if line is None else (line["color"], line["weight"], line["dashArray"],
                                                       line["tooltip"]) for row, line in drawn["gaps"].items()}
    assert lines == GAPS[year]
    # and as the model does
    shown = model.at_year(year)
    assert {code: r["value"] for code, r in drawn["regions"].items()} == by_code(shown.region_layers[0].text)


def test_the_page_opens_at_the_year_shown(page, model):
    (name, raw), = years_raw(page)
    assert raw["years"] == YEARS and raw["years"][raw["shown"]] == 2021 and raw["link"] is True
    regions = {f["properties"]["region_id"]: f["properties"] for f in data_var(page, "region_data")["features"]}
    assert {code: p["value_fill"] for code, p in regions.items()} == fills(2021)
    assert {p["year"] for p in regions.values()} == {"2021"}
    assert f'<div class="borderland-year" id="{name}-year" aria-live="polite">2021</div>' in page
    assert re.search(rf'<input type="range" id="{name}-slider" min="0" max="2" step="1" value="2"', page)
    # opened at 2019, the pair without a gap then is in the page, hidden
    earlier = maps.html_page(model.at_year(2019))
    assert years_raw(earlier)[0][1]["shown"] == 0
    assert [f["properties"].get("hidden") for f in data_var(earlier, "gap_data")["features"]] == [None, None, True]


def test_every_pair_line_is_in_the_page_once(page):
    features = data_var(page, "gap_data")["features"]
    assert [f["properties"]["pair"] for f in features] == ["Alpha – Delta", "Beta – Epsilon", "Gamma – Zeta"]
    assert len(data_raw(page, "gap_data")["arcs"]) <= 3
    # the layer leaves out the lines the year control hides
    assert 'filter: function (feature) { return !feature.properties["hidden"]; }' in page


def test_the_page_legend_says_the_classes_hold_for_every_year(page):
    text = legend_text(page)
    assert "|equal interval, 5 classes of all 16 values of 2019–2021: the same classes in every year|" in text
    assert "|0.20 – 0.40|" in text and "|no data|" in text  # no counts: they differ from year to year
    assert "|line width ∝ |gap|, one scale for every year|" in text


def test_offline_and_plain_javascript(page):
    code = page.replace(_leaflet_assets()[0], "")
    assert not re.search(r'(src|href)="https?://', code)
    assert "textContent" in code and not re.search(r"\.innerHTML\s*=", code)


@pytest.fixture(scope="module")
def hostile_pages() -> tuple[str, str]:
    """The world over the years with benign and with hostile names, flags and labels."""
    flags = {("A1", 2020): HOSTILE["script"], ("A2", 2020): HOSTILE["img"], ("P1", 2020): HOSTILE["template"]}
    benign = maps.html_page(trend(flags={("A1", 2020): "a", ("A2", 2020): "b", ("P1", 2020): "c"},
                                  value_label="value"))
    names = [*HOSTILE.values(), "Epsilon", "Zeta"]
    hostile = maps.html_page(trend(names, flags, value_label=HOSTILE["quotes"] + HOSTILE["img"]))
    return benign, hostile


def test_hostile_names_and_flags_do_not_change_the_page(hostile_pages):
    benign, hostile = hostile_pages
    assert [tag for tag, _ in parse(hostile).tags] == [tag for tag, _ in parse(benign).tags]
    for raw in HOSTILE.values():
        for script in parse(hostile).scripts:
            if not script.startswith("/* @preserve"):  # Leaflet itself
                assert raw not in script
    assert "<img" not in hostile and "</script><script>alert" not in hostile


def test_hostile_names_and_flags_survive_as_text(hostile_pages):
    _, hostile = hostile_pages
    drawn = decode_years(hostile)[2020]
    assert drawn["regions"]["A1"]["note"] == HOSTILE["script"] and drawn["regions"]["A2"]["note"] == HOSTILE["img"]
    assert drawn["gaps"][1]["tooltip"] == (f"{HOSTILE['script']} – Epsilon: gap -0.30 (BB side leads); "
                                           f"{HOSTILE['template']}")
    names = [f["properties"]["name"] for f in data_var(hostile, "region_data")["features"]]
    assert names[:4] == list(HOSTILE.values())
    fields = re.findall(r"return helpers_\w+_tooltip\(layer\.feature\.properties, (\[\[.*?\]\])\);", hostile)
    assert json.loads(fields[0])[3] == [HOSTILE["quotes"] + HOSTILE["img"], "value"]
    assert f"<h4>{html.escape(HOSTILE['quotes'] + HOSTILE['img'])}</h4>" in legend(hostile)


def test_same_inputs_give_the_same_bytes(page, model):
    assert maps.html_page(trend()) == page == maps.html_page(model)
    code = (f"import sys; sys.path.insert(0, {str(REPO / 'tests')!r}); import hashlib, mapworld; "
            "from borderland import maps; print(hashlib.sha256(maps.html_page(mapworld.trend()).encode()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         env={**os.environ, "PYTHONHASHSEED": "7"})
    assert out.stdout.split()[-1] == hashlib.sha256(page.encode()).hexdigest()


def test_two_trend_fragments_have_their_own_ids_and_names(model):
    from test_maps_leaflet import ids_and_names

    first = maps.html_fragment(model)
    second = maps.html_fragment(dataclasses.replace(model, spec=dataclasses.replace(model.spec, title="Other")))
    (one, raw_one), = years_raw(first)
    (two, _), = years_raw(second)
    assert one != two and raw_one["link"] is False  # a fragment leaves the host page's address alone
    ids = [ids_and_names(fragment)[0] for fragment in (first, second)]
    assert not ids[0] & ids[1]
    assert {f"{one}-control", f"{one}-slider", f"{one}-play", f"{one}-year"} <= ids[0]
    # the year control's own names live inside its function: only its prefixed name is global
    names = [set(re.findall(r"^    var (\w+) =", fragment, re.M)) for fragment in (first, second)]
    assert one in names[0] and not names[0] & names[1]
    assert all("_" + first.split('id="', 1)[1].split('"', 1)[0] + "_" in n for n in names[0])


def test_year_data_is_a_few_characters_per_region_and_year():
    # 100 regions, 20 years, values moving a little each year: the per-year data stays small
    from test_maps_leaflet import voronoi_world

    rng = np.random.default_rng(1)
    regions = voronoi_world(100, 1)
    regions["name"] = [f"R{i}" for i in range(len(regions))]
    regions["country"] = ["AA" if i % 2 else "BB" for i in range(len(regions))]
    start = rng.random(len(regions))
    rows = [(code, 2006 + y, float(np.clip(s + 0.01 * y + rng.normal(0, 0.005), 0, 1)), "")
            for code, s in zip(regions.index, start, strict=True) for y in range(20)]
    values = pd.DataFrame(rows, columns=["region", "year", "value", "flag"])
    page = maps.html_page(maps.trend_model(regions[["name", "country", "geometry"]], values))
    (_, raw), = years_raw(page)
    data = json.dumps(raw["regions"], separators=(",", ":"))
    assert len(data) < 3.5 * len(regions) * 20  # classes, values and flags: about 2.5 bytes a region-year
    assert len(years_raw(page)) == 1 and sorted(decode_years(page)) == list(range(2006, 2026))


@settings(deadline=None, max_examples=12)
@given(st.lists(st.tuples(st.sampled_from(CODES), st.integers(2000, 2004),
                          st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)),
                          st.sampled_from(["", "interpolated", "carried", "<b>x</b>"])), min_size=1, max_size=30,
                unique_by=lambda row: row[:2]),
       st.lists(st.tuples(st.sampled_from(PAIR_IDS), st.integers(2000, 2004),
                          st.one_of(st.none(), st.floats(-5, 5, allow_nan=False)),
                          st.sampled_from(["", "definition differs"])), max_size=15, unique_by=lambda row: row[:2]))
def test_the_page_shows_what_the_model_says_in_every_year(value_rows, gap_rows):
    regions, _, lines, _ = trend_tables()
    values = pd.DataFrame([(r, y, np.nan if v is None else v, f) for r, y, v, f in value_rows],
                          columns=["region", "year", "value", "flag"])
    gaps = pd.DataFrame([(p, y, np.nan if g is None else g, f) for p, y, g, f in gap_rows],
                        columns=["pair", "year", "gap", "flag"]).astype({"year": int, "gap": float})
    with_lines = {"lines": lines, "gaps_by_year": gaps} if len(gaps) else {}
    built = maps.trend_model(regions, values, **with_lines)
    page = maps.html_page(built)
    drawn = decode_years(page)
    timeline = built.timeline
    assert sorted(drawn) == list(timeline.years)
    for year in timeline.years:
        shown = built.at_year(year)
        assert {c: r["fill"] for c, r in drawn[year]["regions"].items()} == by_code(shown.region_layers[0].fill)
        assert {c: r["value"] for c, r in drawn[year]["regions"].items()} == by_code(shown.region_layers[0].text)
        assert {c: r["note"] for c, r in drawn[year]["regions"].items()} == by_code(timeline.flags[year])
        styles, texts = timeline.gap_styles(year), timeline.gap_texts(year)
        for row, line in drawn[year]["gaps"].items():
            expected = None if styles[row] is None else (styles[row]["color"], styles[row]["weight"],
                                                         styles[row].get("dashArray"), texts[row])
            assert (None if line is None else (line["color"], line["weight"], line["dashArray"],
                                               line["tooltip"])) == expected
