"""Tests of borderland.maps.static by structure: files written, sizes, legend labels, colours, credits.

The world is the tiny one of mapworld (six 10 km squares, AA south of BB).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from mapworld import (
    HOSTILE,
    INTERNET,
    POPULATION,
    PROBABILITY,
    make_bands,
    make_flows,
    make_world,
    model,
    with_columns,
)

from borderland import maps
from borderland.errors import OutputError, SchemaError
from borderland.maps.static import profile_chart

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


def every_kind(**spec) -> maps.MapModel:
    """The world with every input, for the kinds the spec names."""
    world = with_columns(internet_pct=INTERNET, population_within_25km_pct=POPULATION, p_typology=PROBABILITY)
    spec.setdefault("kinds", ["index"])
    return model(world, bands=make_bands(), flows=make_flows(), **spec)


def draw(tmp_path: Path, name: str = "map.svg", overwrite: bool = False, **spec) -> Path:
    return maps.write_image(every_kind(**spec), tmp_path / name, overwrite=overwrite)


def svg_texts(path: Path) -> list[str]:
    """Every text of an SVG, as drawn (matplotlib writes each line of text as one <text>)."""
    root = ET.parse(path).getroot()
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])  # IHDR: width, height


def test_png_has_the_size_asked(tmp_path):
    # 4 x 3 inches at 100 dpi
    path = draw(tmp_path, "map.png", size_in=(4, 3), dpi=100)
    assert path == tmp_path / "map.png"
    assert png_size(path) == (400, 300)


def test_svg_has_title_legend_and_credits_as_text(tmp_path):
    texts = svg_texts(draw(tmp_path, kinds=["index", "gaps"]))
    # the legend of the interactive map: quantiles of 0.1, 0.2, 0.5, 0.6, 0.9 and the gap widths
    for label in ["Digital divide AA–BB", "Digitalisation index", "0.100 – 0.180 (1)", "0.660 – 0.900 (1)",
                  "no data (1)", "quantiles, 5 classes", "State border", "land border between states",
                  "Cross-border gaps", "0.700", "AA side leads", "BB side leads",
                  "© EuroGeographics for the administrative boundaries"]:
        assert label in texts, label


def test_svg_uses_the_colours_of_the_interactive_map(tmp_path):
    svg = draw(tmp_path).read_text(encoding="utf-8")
    for colour in (*maps.palette_colours("YlGnBu", 5), maps.NO_DATA_COLOUR, maps.BORDER_COLOUR):
        assert f"fill: {colour}" in svg or f"stroke: {colour}" in svg, colour


@pytest.mark.parametrize(
    ("kind", "column", "heading", "label"),
    [
        ("index", None, "Digitalisation index", "0.100 – 0.180 (1)"),
        ("typology", None, "Typology", "moderate (2)"),
        ("indicator", "internet_pct", "internet_pct (%)", "40.0 – 48.0 (1)"),
        ("rings", None, "Border rings", "ring 1: touches the border (5)"),
        ("bands", None, "Distance bands (km)", "5-10"),
        ("population", None, "Population within 25 km of the border (%)", "no data (1)"),
        ("uncertainty", None, "Typology: class stability", "probability of the class below 0.80 (2)"),
        ("gaps", None, "Cross-border gaps", "AA side leads"),
        ("trade", None, "Trade: exports (million USD)", "arrowhead at the destination"),
    ],
    ids=["index", "typology", "indicator", "rings", "bands", "population", "uncertainty", "gaps", "trade"],
)
def test_every_kind(tmp_path, kind, column, heading, label):
    texts = svg_texts(draw(tmp_path, kinds=[kind], columns=[column] if column else ()))
    assert heading in texts and label in texts
    assert "State border" in texts


def test_the_first_alternative_is_drawn_with_every_line_over_it(tmp_path):
    texts = svg_texts(draw(tmp_path, kinds=["typology", "index", "gaps", "trade"]))
    assert "Typology" in texts and "Digitalisation index" not in texts
    assert {"State border", "Cross-border gaps", "Trade: exports (million USD)"} <= set(texts)


def test_a_long_legend_stays_on_the_page(tmp_path):
    path = draw(tmp_path, kinds=["index", "gaps", "trade"], size_in=(6, 3))
    root = ET.parse(path).getroot()
    height_pt = float(root.get("height").removesuffix("pt"))
    legend = next(node for node in root.iter(f"{SVG}g") if node.get("id") == "legend_1")
    ys = [float(node.get("y")) for node in legend.iter(f"{SVG}text")]
    assert len(ys) == 29  # headings and rows of the index, border, gaps and two trade layers
    assert 0 <= min(ys) and max(ys) <= height_pt


def test_unstable_regions_are_hatched(tmp_path):
    svg = draw(tmp_path, kinds=["uncertainty"]).read_text(encoding="utf-8")
    assert "<pattern" in svg  # matplotlib draws hatching as an SVG pattern
    assert "<pattern" not in draw(tmp_path, "typology.svg", kinds=["typology"]).read_text(encoding="utf-8")


def test_same_model_gives_identical_files(tmp_path):
    built = every_kind(kinds=["uncertainty", "trade"])
    for suffix in (".svg", ".png", ".pdf"):
        first = maps.write_image(built, tmp_path / f"a{suffix}").read_bytes()
        second = maps.write_image(built, tmp_path / f"b{suffix}").read_bytes()
        assert first == second, suffix


def test_pdf(tmp_path):
    assert draw(tmp_path, "map.pdf").read_bytes().startswith(b"%PDF-")


def test_hostile_strings_are_text(tmp_path):
    names = [*HOSTILE.values(), "Epsilon", "Zeta"]
    world = make_world(names, ("<b>AA</b>", "B'B"))
    built = model(world, kinds=["index", "gaps"], title=HOSTILE["script"] + HOSTILE["template"],
                  attribution=[HOSTILE["img"]])
    path = maps.write_image(built, tmp_path / "h.svg")
    root = ET.parse(path).getroot()  # still well-formed XML
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}foreignObject"))
    texts = svg_texts(path)
    # "$" is not read as mathtext: the title is drawn as written
    assert HOSTILE["script"] + HOSTILE["template"] in texts
    assert HOSTILE["img"] in texts and "<b>AA</b> side leads" in texts


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(SchemaError, match=r"path is '.*map.gif', which has no known image suffix; end it in one of "
                                          r"\['.pdf', '.png', '.svg'\]"):
        draw(tmp_path, "map.gif")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite(tmp_path):
    (tmp_path / "map.svg").write_text("old")
    with pytest.raises(OutputError, match=r"exists already; pass --overwrite"):
        draw(tmp_path)
    assert (tmp_path / "map.svg").read_text() == "old"
    draw(tmp_path, overwrite=True)
    assert (tmp_path / "map.svg").read_text(encoding="utf-8").startswith("<?xml")


def test_pyplot_is_not_used_and_import_is_light():
    code = "import sys, borderland.maps.static; print(sorted({'matplotlib', 'folium'} & sys.modules.keys()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
    source = (REPO / "borderland" / "maps" / "static.py").read_text(encoding="utf-8")
    assert "pyplot" not in source.replace("never ``pyplot``", "")


def test_profile_chart_draws_each_side_by_band(tmp_path):
    # a hand-made profile: two sides, three bands
    index = pd.MultiIndex.from_product([["0-25", "25-50", "100+"], ["RU", "other"]], names=["band", "side"])
    profile = pd.DataFrame({"index": [0.4, 0.6, 0.41, 0.62, 0.5, 0.8]}, index=index)
    path = profile_chart(profile, tmp_path / "p.svg", title="Index by band", attribution="synthetic")
    svg = path.read_text(encoding="utf-8")
    for text in ("0-25 km", "25-50 km", "100+ km", "RU", "other", "Index by band", "synthetic"):
        assert text in svg
    # bands in distance order, not text order ("100+" would sort before "25-50")
    assert svg.index("0-25 km") < svg.index("25-50 km") < svg.index("100+ km")
    png = profile_chart(profile, tmp_path / "p.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SchemaError, match="the profile has no column 'gap'"):
        profile_chart(profile, tmp_path / "q.png", value="gap")
    assert maps.profile_chart is profile_chart



def test_gaps_resting_on_unlike_definitions_are_dashed(tmp_path):
    from mapworld import with_comparability

    world = with_comparability(with_columns(internet_pct=INTERNET))
    path = maps.write_image(model(world, kinds=["gaps"]), tmp_path / "map.svg")
    svg = path.read_text(encoding="utf-8")
    # the web map's 6 4 px dashes in points (0.75 pt a pixel), not scaled by the line width; one gap of two
    assert svg.count("stroke-dasharray: 4.5,3") == 2  # the dashed gap, and its legend line
    # a long legend row wraps (matplotlib writes each line as a text of its own)
    assert ["dashed: definition of users differs across", "the border (1)"] == [
        t for t in svg_texts(path) if t.startswith("dashed:") or t == "the border (1)"]
