"""Tests of borderland.maps.qgis: QML styles from the map model, by hand and opened in QGIS itself.

The styles are built from the same model object the HTML map draws (``shared_model``), so QGIS
must show every feature in the colour, and the index in the classes, of the HTML map. On the
six-square strip (tests/conftest.py) the QML is checked by hand; the bundled study's GeoPackage
is opened in QGIS: layers load, default styles apply, a map renders.

QGIS's Python bindings are Debian's (``python3-qgis``, ``qgis-providers``) and belong to the
system Python, not to the interpreter running pytest, so a small script runs under
``/usr/bin/python3`` in a subprocess (headless: ``QT_QPA_PLATFORM=offscreen``) and prints a
JSON report that the tests check. Without QGIS the tests fail with the command that installs
it; ``BORDERLAND_NO_QGIS=1`` switches them off explicitly.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
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

from borderland import border, maps
from borderland.errors import SchemaError
from borderland.export import FIELD_ALIASES, result_aliases, result_layers, run_metadata, write_geopackage
from borderland.maps.model import year_classes
from borderland.maps.qgis import (
    REGION_FILL_OPACITY,
    gap_width_expression,
    leading_side_expression,
    plain_styles,
    qgis_colour,
    with_temporal,
)
from tests.conftest import KM, X0, Y0

REPO = Path(__file__).resolve().parents[1]

QGIS_PYTHON = "/usr/bin/python3"
INSTALL = "apt-get update && apt-get install -y --no-install-recommends python3-qgis qgis-providers"

_SCRIPT = textwrap.dedent('''
    import json, sys
    from qgis.core import (Qgis, QgsApplication, QgsDateTimeRange, QgsExpressionContextUtils, QgsFeatureRequest,
                           QgsMapRendererParallelJob, QgsMapSettings, QgsProviderRegistry, QgsRenderContext,
                           QgsSymbolLayer, QgsUnitTypes, QgsVectorLayer, QgsVectorLayerTemporalContext)
    from qgis.PyQt.QtCore import QDate, QDateTime, QSize, QTime
    from qgis.PyQt.QtGui import QColor, QImage
    from qgis.PyQt.QtXml import QDomDocument

    path, png = sys.argv[1], sys.argv[2]
    app = QgsApplication([], False)
    app.initQgis()


    def colour(symbol):
        return [symbol.color().name(), symbol.color().alpha()]


    def width_of(symbol, context):
        # a line's width in pixels as drawn: the data-defined width when the style has one
        layer = symbol.symbolLayer(0)
        prop = layer.dataDefinedProperties().property(QgsSymbolLayer.PropertyStrokeWidth)
        if prop.isActive():
            return prop.valueAsDouble(context.expressionContext(), layer.width())[0]
        return layer.width()


    def dash_of(symbol, context):
        # (comparability) a line's data-defined dash pattern for the feature, "" when solid
        prop = symbol.symbolLayer(0).dataDefinedProperties().property(QgsSymbolLayer.PropertyCustomDash)
        return prop.valueAsString(context.expressionContext(), "")[0] if prop.isActive() else ""


    def renderer_report(layer):
        renderer = layer.renderer()
        info = {"renderer": renderer.type()}
        if renderer.type() == "graduatedSymbol":
            ranges = renderer.ranges()  # copies: keep them alive while their symbols are read
            info["attribute"] = renderer.classAttribute()
            info["classes"] = [[r.lowerValue(), r.upperValue(), r.label(), *colour(r.symbol())] for r in ranges]
        elif renderer.type() == "categorizedSymbol":
            categories = renderer.categories()
            info["attribute"] = renderer.classAttribute()
            info["classes"] = [[str(c.value()), c.label(), *colour(c.symbol()), c.renderState()]
                               for c in categories]
        else:
            symbol = renderer.symbol()
            info["classes"] = [colour(symbol)]
            if symbol.type() == 1:  # a line
                info["width"] = [symbol.symbolLayer(0).width(), int(symbol.symbolLayer(0).widthUnit())]
        # the symbol the style gives each feature, in feature order: what QGIS actually draws
        context = QgsRenderContext()
        context.expressionContext().appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        renderer.startRender(context, layer.fields())
        colours, widths, dashes = [], [], []
        for feature in layer.getFeatures():
            context.expressionContext().setFeature(feature)  # as QGIS's feature renderer does
            symbol = renderer.symbolForFeature(feature, context)
            colours.append(symbol.color().name() if symbol else None)
            widths.append(width_of(symbol, context) if symbol is not None and symbol.type() == 1 else None)
            dashes.append(dash_of(symbol, context) if symbol is not None and symbol.type() == 1 else None)
        renderer.stopRender(context)
        info["colours"], info["widths"], info["dashes"] = colours, widths, dashes
        return info


    def temporal_report(layer):
        # the temporal properties the default style gave the layer, and the features each year's frame of the
        # temporal controller (a step of one year) shows
        props = layer.temporalProperties()
        info = {"active": props.isActive(), "mode": int(props.mode()), "start": props.startField(),
                "duration": props.fixedDuration(), "unit": QgsUnitTypes.encodeUnit(props.durationUnits())}
        if props.isActive():
            context = QgsVectorLayerTemporalContext()
            context.setLayer(layer)
            shown = {}
            for year in (2019, 2020, 2021, 2022, 2023):
                frame = QgsDateTimeRange(QDateTime(QDate(year, 1, 1), QTime(0, 0)),
                                         QDateTime(QDate(year + 1, 1, 1), QTime(0, 0)), True, False)
                request = QgsFeatureRequest().setFilterExpression(props.createFilterString(context, frame))
                shown[str(year)] = sorted({feature["year"] for feature in layer.getFeatures(request)})
            info["shown"] = shown
        return info


    report = {"qgis": Qgis.QGIS_VERSION, "layers": {}}
    layers = {}
    for name in [d.name() for d in QgsProviderRegistry.instance().querySublayers(path)]:
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        info = {"valid": layer.isValid(), "features": layer.featureCount(), "crs": layer.crs().authid(),
                "fields": {f.name(): f.typeName() for f in layer.fields()},
                "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())
                            if layer.attributeAlias(i)}}
        if layer.isSpatial():
            info["opened"] = renderer_report(layer)  # the default style, applied when the layer opens
            info["temporal_opened"] = temporal_report(layer)
            count, ids, names, descriptions, error = layer.listStylesInDatabase()
            info["styles"] = {}
            for style_id, style_name in zip(ids[:count], names[:count]):
                document = QDomDocument()
                document.setContent(layer.getStyleFromDatabase(style_id)[0])
                layer.importNamedStyle(document)
                info["styles"][style_name] = renderer_report(layer)
            layer.loadDefaultStyle()
            # as Layer Properties > Style > Load Default Style: QGIS 3.22 reads a default style's temporal
            # properties on opening a layer, then switches them off from the OGR provider's (lack of) temporal
            # capabilities (QGIS issue #42223 reports it for rasters); loaded again, they hold
            info["temporal"] = temporal_report(layer)
            layers[name] = layer
        report["layers"][name] = info

    settings = QgsMapSettings()
    # top first, as the HTML map stacks them: gaps over the state border over the regions
    settings.setLayers([layers[n] for n in ("neighbour_pairs", "border_lines", "regions") if n in layers])
    settings.setDestinationCrs(layers["regions"].crs())
    settings.setExtent(layers["regions"].extent())
    settings.setOutputSize(QSize(600, 800))
    settings.setBackgroundColor(QColor("#ffffff"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage().convertToFormat(QImage.Format_RGB32)
    saved = image.save(png)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    raw = bytes(bits)
    counts = {}
    for i in range(0, len(raw), 4):  # B, G, R, unused
        counts[raw[i:i + 3]] = counts.get(raw[i:i + 3], 0) + 1
    report["png"] = {"saved": saved, "width": image.width(), "height": image.height(),
                     "colours": {f"#{p[2]:02x}{p[1]:02x}{p[0]:02x}": n for p, n in counts.items() if n >= 20}}
    print(json.dumps(report), flush=True)
    # drop every QGIS object before QGIS goes, or the interpreter's teardown crashes
    del job, settings, layer, layers
    app.exitQgis()
''')


def _qgis_problem() -> str | None:
    """Why QGIS cannot be used here, or None."""
    if not os.path.exists(QGIS_PYTHON):
        return f"{QGIS_PYTHON} does not exist"
    probe = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True,
                           env=_env(), timeout=120)
    return probe.stderr.strip().splitlines()[-1] if probe.returncode else None


def _env() -> dict[str, str]:
    # the system Python must not pick up the test interpreter's packages
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "QT_QPA_PLATFORM": "offscreen"}


@pytest.fixture(scope="module")
def study(bundled_result):
    return bundled_result


#: The years of the tables by year: the regions and the cross-border pairs repeated once a year (2020 a leap year).
TABLE_YEARS = (2020, 2021, 2022)


def _tables_by_year(study) -> dict[str, gpd.GeoDataFrame]:
    """``index_by_year`` and ``gaps_by_year`` as the trend tables are written: a row per region (pair) and year,
    with an integer ``year`` and the date ``year_start``; the index moves 0.05 a year, the last year lacks a
    value in every third region, and gaps are flagged in 2021."""
    regions, pairs = study.regions, study.pairs[study.pairs["cross_border"].astype(bool)]
    values, gaps = [], []
    for step, year in enumerate(TABLE_YEARS):
        value = (regions["index"] + 0.05 * step).clip(upper=1.0)
        if year == TABLE_YEARS[-1]:
            value = value.where(np.arange(len(regions)) % 3 != 0)
        values.append(gpd.GeoDataFrame({
            "region": regions.index, "name": regions["name"], "country": regions["country"], "year": year,
            "year_start": pd.Timestamp(year=year, month=1, day=1), "value": value.to_numpy(), "flag": "",
        }, geometry=regions.geometry.to_numpy(), crs=regions.crs))
        gaps.append(gpd.GeoDataFrame({
            "pair": pairs.index, "country_a": pairs["country_a"].to_numpy(), "country_b": pairs["country_b"].to_numpy(),
            "year": year, "year_start": pd.Timestamp(year=year, month=1, day=1),
            "gap": (pairs["gap"] * (1 - 0.2 * step)).to_numpy(),
            "flag": "definition differs" if year == 2021 else "",
        }, geometry=pairs.geometry.to_numpy(), crs=pairs.crs))
    return {"index_by_year": pd.concat(values, ignore_index=True), "gaps_by_year": pd.concat(gaps, ignore_index=True)}


def _layers(study) -> dict:
    """The study's layers, with the distance bands (drawn by the map) until the pipeline adds them, and the
    tables by year (written by ``borderland trend``) that QGIS animates."""
    layers = result_layers(study)
    if "distance_bands" not in layers:
        layers["distance_bands"] = border.distance_bands(study.regions, study.border_lines)
    return {**layers, **_tables_by_year(study)}


@pytest.fixture(scope="module")
def qgis_python() -> str:
    """The system Python with QGIS's bindings; checked before the study is run."""
    if os.environ.get("BORDERLAND_NO_QGIS") == "1":
        pytest.skip("BORDERLAND_NO_QGIS=1: the QGIS tests are switched off")
    problem = _qgis_problem()
    if problem:
        pytest.fail(f"QGIS's Python bindings are not usable with {QGIS_PYTHON}: {problem}. Install them with "
                    f"`{INSTALL}` (or set BORDERLAND_NO_QGIS=1 to skip these tests)", pytrace=False)
    return QGIS_PYTHON


@pytest.fixture(scope="module")
def shared_model(study):
    """One map model of the study: the HTML map's and, through layer_styles, the GeoPackage's."""
    layers = _layers(study)
    return maps.map_model(study.regions, study.border_lines, study.pairs, flows=study.flows,
                          bands=layers["distance_bands"],
                          spec=maps.MapSpec(kinds=["index", "typology", "rings", "gaps", "trade", "bands"]))


@pytest.fixture(scope="module")
def qgis(qgis_python, study, shared_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qgis")
    layers, aliases = _layers(study), result_aliases(study)
    styles = maps.layer_styles(layers, shared_model, aliases=aliases)
    gpkg = write_geopackage(layers, folder / "borderland.gpkg", metadata=run_metadata(study), aliases=aliases,
                            styles=styles)
    script, png = folder / "qgis_check.py", folder / "regions.png"
    script.write_text(_SCRIPT, encoding="utf-8")
    env = {**_env(), "XDG_RUNTIME_DIR": str(folder)}
    run = subprocess.run([qgis_python, str(script), str(gpkg), str(png)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode == 0, f"QGIS script failed ({run.returncode}):\n{run.stderr[-4000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1]), gpkg, png


@pytest.fixture(scope="module")
def html_map(shared_model):
    """The HTML map's layers of the same model, by kind: what QGIS must reproduce."""
    return {kind: list(shared_model.layers(kind)) for kind in ("index", "typology", "rings", "gaps", "trade", "bands")}


def _swatches(layer) -> list[tuple[str, str]]:
    """(colour, label without its count) of a map legend's swatches."""
    return [(item.colour, re.sub(r" \(\d+\)$", "", item.label)) for item in layer.legend if item.shape == "swatch"]


def test_every_layer_loads_with_its_features_and_crs(qgis, study):
    report, gpkg, _ = qgis
    expected = _layers(study)
    # QGIS lists the data layers and hides its own style table
    assert sorted(report["layers"]) == sorted(expected)
    assert {name for name, _ in pyogrio.list_layers(gpkg)} == {*expected, "layer_styles"}
    for name, frame in expected.items():
        info = report["layers"][name]
        assert info["valid"], name
        assert info["features"] == len(frame), name
        if isinstance(frame, gpd.GeoDataFrame):
            assert info["crs"] == "EPSG:3035", name
            assert info["opened"]["renderer"] in ("graduatedSymbol", "categorizedSymbol", "singleSymbol"), name


def test_field_types_and_aliases_as_qgis_reads_them(qgis):
    report, _, _ = qgis
    regions, pairs = report["layers"]["regions"], report["layers"]["neighbour_pairs"]
    assert regions["fields"]["border_order"] == "Integer"
    assert regions["fields"]["border_distance_km"] == "Real"
    assert regions["fields"]["index"] == "Real"
    assert regions["fields"]["typology"] == "String"
    assert pairs["fields"]["cross_border"] == "Boolean"
    assert regions["aliases"]["border_distance_km"] == FIELD_ALIASES["border_distance_km"] == \
        "Distance to the land border (km)"
    assert regions["aliases"]["households_internet_access"] == "Households internet access (% of households, 2021)"
    assert pairs["aliases"]["shared_border_km"] == "Shared boundary (km)"


def test_regions_open_with_the_index_classes_and_colours_of_the_html_map(qgis, study, html_map):
    report, _, _ = qgis
    info = report["layers"]["regions"]
    index = html_map["index"][0]
    assert list(info["styles"]) == ["index", "typology", "border rings"]
    assert info["opened"]["renderer"] == "graduatedSymbol"
    assert info["styles"]["index"] == info["opened"]
    classes = info["opened"]["classes"]
    # five quantile classes and "no data", in the colours and with the labels of the map's legend
    assert [(c[3], c[2]) for c in classes] == _swatches(index)
    assert len(classes) == 6 and classes[-1][2:4] == ["no data", maps.NO_DATA_COLOUR]
    assert {c[4] for c in classes} == {round(REGION_FILL_OPACITY * 255)}
    # every region in the colour the HTML map fills it with (57 of 92 without data: grey)
    assert info["opened"]["colours"] == index.fill.tolist()
    assert info["opened"]["colours"].count(maps.NO_DATA_COLOUR) == int(study.regions["index"].isna().sum()) == 57


@pytest.mark.parametrize(("style", "kind", "renderer"), [("typology", "typology", "categorizedSymbol"),
                                                         ("border rings", "rings", "categorizedSymbol")],
                         ids=["typology", "rings"])
def test_the_other_region_styles_colour_each_region_as_the_map(qgis, html_map, style, kind, renderer):
    report, _, _ = qgis
    info = report["layers"]["regions"]["styles"][style]
    assert info["renderer"] == renderer
    assert info["colours"] == html_map[kind][0].fill.tolist()


def test_pairs_open_as_the_map_draws_the_cross_border_gaps(qgis, study, html_map):
    report, _, _ = qgis
    info = report["layers"]["neighbour_pairs"]["opened"]
    gaps = html_map["gaps"][0]
    assert info["renderer"] == "categorizedSymbol"
    shown = [(c[2], c[1]) for c in info["classes"] if c[4]]
    leaders = [(colour, label) for colour, label in _swatches(gaps)]
    assert shown == leaders  # EE, FI, LV, NO, RU side leads, in the map's colours
    assert [c[0] for c in info["classes"] if not c[4]] == [""]
    # the 12 pairs the map draws, in its colour and width; the other 195 not drawn
    drawn = [i for i, c in enumerate(info["colours"]) if c is not None]
    assert drawn == gaps.geometry.index.tolist() and len(drawn) == 12
    assert [info["colours"][i] for i in drawn] == [s["color"] for s in gaps.feature_styles]
    assert [round(info["widths"][i], 2) for i in drawn] == [s["weight"] for s in gaps.feature_styles]


def test_border_lines_open_as_the_map_draws_the_state_border(qgis):
    report, _, _ = qgis
    info = report["layers"]["border_lines"]["opened"]
    assert info["renderer"] == "singleSymbol"
    assert info["classes"] == [[maps.BORDER_COLOUR, 255]]
    assert info["width"] == [maps.BORDER_WIDTH_PX, 2]  # 2: QgsUnitTypes.RenderPixels


def test_trade_flows_open_in_the_colours_and_widths_of_the_map(qgis, study, html_map):
    report, _, _ = qgis
    info = report["layers"]["trade_flows"]["opened"]
    assert info["renderer"] == "categorizedSymbol"
    flows = html_map["trade"]
    assert [c[1] for c in info["classes"] if c[4]] == [layer.name for layer in flows]
    # each flow line in its layer's colour; the map's first features are the lines, arrowheads after
    expected_colour, expected_width = {}, {}
    groups = sorted({(t, u) for t, u in zip(study.flows["flow_type"], study.flows["unit"], strict=True)})
    for group, layer in zip(groups, flows, strict=True):
        rows = [i for i, (t, u) in enumerate(zip(study.flows["flow_type"], study.flows["unit"], strict=True))
                if (t, u) == group and pd.notna(study.flows["value"].iloc[i])]
        for i, style in zip(rows, layer.feature_styles, strict=False):
            expected_colour[i], expected_width[i] = style["color"], style["weight"]
    assert {i: c for i, c in enumerate(info["colours"]) if c} == expected_colour
    assert {i: round(w, 2) for i, w in enumerate(info["widths"]) if w and info["colours"][i]} == expected_width


def test_distance_bands_open_in_the_colours_of_the_map(qgis, study, html_map):
    report, _, _ = qgis
    info = report["layers"]["distance_bands"]["opened"]
    bands = html_map["bands"][0]
    assert info["renderer"] == "categorizedSymbol"
    assert [(c[2], c[1]) for c in info["classes"][:-1]] == _swatches(bands)  # 0-25, 25-50, 50-100 km
    assert [c[0] for c in info["classes"]] == ["0-25", "25-50", "50-100", ""]
    assert info["colours"] == [s["fillColor"] for s in bands.feature_styles]


def _blend(colour: str, opacity: float) -> np.ndarray:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    return opacity * rgb + (1 - opacity) * 255.0


def test_the_regions_render_to_a_png_in_their_class_colours(qgis, html_map):
    report, _, png = qgis
    assert report["png"]["saved"] and png.stat().st_size > 10_000
    assert (report["png"]["width"], report["png"]["height"]) == (600, 800)
    colours = report["png"]["colours"]
    rendered = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=float)
    counts = np.array(list(colours.values()))
    for colour, _ in _swatches(html_map["index"][0]):
        # the fill over the white background; QPainter's integer blending is off by a unit or two
        near = np.abs(rendered - _blend(colour, REGION_FILL_OPACITY)).max(axis=1) <= 3
        assert counts[near].sum() > 1000, f"{colour} hardly appears in the rendered map"
    assert counts[np.abs(rendered - _blend(maps.BORDER_COLOUR, 1.0)).max(axis=1) <= 3].sum() > 500


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
    style, root = _qml(maps.layer_styles(strip_layers, aliases=FIELD_ALIASES), "regions", "index")
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


def test_a_study_s_own_typology_labels_are_styled_when_the_spec_names_them(strip_layers):
    own = {"leader": "top", "moderate": "middle", "lagging": "bottom"}
    regions = strip_layers["regions"].assign(typology=strip_layers["regions"]["typology"].map(own).astype("string"))
    layers = {**strip_layers, "regions": regions}
    # without the labels the map refuses the typology kind: the layer keeps its other styles
    assert "typology" not in [s.name for s in maps.layer_styles(layers) if s.layer == "regions"]
    spec = maps.MapSpec(typology_labels=["top", "middle", "bottom"])
    _, typology = _qml(maps.layer_styles(layers, spec=spec), "regions", "typology")
    assert [(c.get("value"), c.get("label")) for c in typology.iter("category")] == [
        ("top", "top"), ("middle", "middle"), ("bottom", "bottom"), ("", "no data")]
    assert [_fill(s) for s in typology.find("renderer-v2/symbols")][:3] == [
        qgis_colour(colour, 0.85) for colour in maps.typology_colours(["top", "middle", "bottom"]).values()]


def test_typology_and_ring_styles_by_hand(strip_layers):
    _, typology = _qml(maps.layer_styles(strip_layers), "regions", "typology")
    categories = [(c.get("value"), c.get("label")) for c in typology.iter("category")]
    assert categories == [("leader", "leader"), ("moderate", "moderate"), ("lagging", "lagging"), ("", "no data")]
    assert [_fill(s) for s in typology.find("renderer-v2/symbols")][:3] == [
        qgis_colour(maps.TYPOLOGY_COLOURS[label], 0.85) for label in ("leader", "moderate", "lagging")]
    _, rings = _qml(maps.layer_styles(strip_layers), "regions", "border rings")
    assert [(c.get("value"), c.get("label")) for c in rings.iter("category")] == [
        ("1", "ring 1: touches the border"), ("2", "ring 2"), ("3", "ring 3"), ("", "no data")]
    # the map's YlOrBr_r: ring 1 darkest
    fill = maps.map_model(strip_layers["regions"], strip_layers["border_lines"],
                          spec=maps.MapSpec(kinds=["rings"])).region_layers[0]
    assert [_fill(s) for s in rings.find("renderer-v2/symbols")][:3] == [
        qgis_colour(fill.fill[code], 0.85) for code in ("A2", "A1", "A0")]


def test_gap_style_draws_only_the_cross_border_pair_by_hand(strip_layers):
    style, root = _qml(maps.layer_styles(strip_layers), "neighbour_pairs", "cross-border gaps")
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


def test_a_name_with_control_characters_gives_a_style_that_is_xml():
    # ElementTree writes a control character as it is, which no XML parser (nor QGIS) reads
    name = "x\x1b[31m\x07 <&]]>\u2028"
    table = gpd.GeoDataFrame({name: [1.0]}, geometry=[shapely.Point(0, 0)], crs=3035)
    styles = plain_styles("t", table, {name: name + " (%)"})
    for style in [*styles, with_temporal(styles[0])]:
        aliases = {a.get("field"): a.get("name") for a in ET.fromstring(style.qml.split("\n", 1)[1]).iter("alias")}
        assert aliases == {"x\\u001b[31m\\u0007 <&]]>\u2028": "x\\u001b[31m\\u0007 <&]]>\u2028 (%)"}


def test_border_style_and_plain_styles_for_other_layers(strip_layers):
    points = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(X0, Y0)], crs=3035)
    styles = maps.layer_styles({**strip_layers, "towns": points, "table": pd.DataFrame({"a": [1]})})
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
    _, root = _qml(maps.layer_styles(layers), "regions", "index")
    renderer = root.find("renderer-v2")
    ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")]
    colours = ["#{:02x}{:02x}{:02x}".format(*map(int, _fill(s).split(",")[:3])) for s in renderer.find("symbols")]
    sentinel = ranges[-1][0]
    model = maps.map_model(regions, strip_layers["border_lines"], spec=maps.MapSpec(kinds=["index"]))
    fill = model.region_layers[0].fill
    for value, expected in zip(regions["index"], fill, strict=True):
        x = sentinel if pd.isna(value) else value
        # QGIS draws a feature with the first range that holds its value
        first = next(i for i, (low, high) in enumerate(ranges) if low <= x <= high)
        assert colours[first] == expected


# -- one model, shared -------------------------------------------------------------------------


def _index_ranges(styles) -> list[tuple[str, str]]:
    """(colour, label) of each range of the regions' index style."""
    _, root = _qml(styles, "regions", "index")
    symbols = root.find("renderer-v2/symbols")
    colours = ["#{:02x}{:02x}{:02x}".format(*map(int, _fill(s).split(",")[:3])) for s in symbols]
    return list(zip(colours, [r.get("label") for r in root.iter("range")], strict=True))


@pytest.mark.parametrize(("scheme", "classes"), [("quantiles", 5), ("natural_breaks", 3), ("equal_interval", 4)],
                         ids=["quantiles", "natural-breaks", "equal-interval"])
def test_index_classes_are_the_html_legends_from_one_model(strip_layers, monkeypatch, scheme, classes):
    model = maps.map_model(strip_layers["regions"], strip_layers["border_lines"], strip_layers["neighbour_pairs"],
                           spec=maps.MapSpec(scheme=scheme, classes=classes, kinds=["index", "typology", "gaps"]))

    def rebuilt(*args, **kwargs):
        raise AssertionError("the styles rebuilt the map model")

    monkeypatch.setattr("borderland.maps.qgis.snapshot.map_model", rebuilt)
    monkeypatch.setattr("borderland.maps.model.map_model", rebuilt)
    styles = maps.layer_styles(strip_layers, model)
    legend = [(item.colour, re.sub(r" \(\d+\)$", "", item.label))
              for item in model.layers("index")[0].legend if item.shape == "swatch"]
    assert _index_ranges(styles) == legend  # the classes (and "no data") of the HTML legend, in its colours
    assert f"{scheme.replace('_', ' ')}, " in next(s.description for s in styles if s.name == "index")
    # the HTML page of the same model shows those very labels
    page = maps.html_page(model)
    assert all(html.escape(label) in page for _, label in legend)


def test_styles_refuse_a_model_of_other_regions(strip_layers):
    model = maps.map_model(strip_layers["regions"].iloc[:4], strip_layers["border_lines"])
    with pytest.raises(SchemaError, match=r"layer 'regions' holds other rows \(or another order\) than the regions "
                                          r"of the map model"):
        maps.layer_styles(strip_layers, model)


def test_a_model_is_built_from_the_layers_when_no_map_is_drawn(strip_layers):
    model = maps.model_from_layers(strip_layers)
    assert model is not None and model.kinds == ("index", "typology", "rings", "gaps")
    assert [s.qml for s in maps.layer_styles(strip_layers)] == [s.qml for s in maps.layer_styles(strip_layers, model)]
    # `borderland gaps` writes no border lines and `borderland index` calls its regions "index": the
    # regions are styled all the same, as the run's
    regions = strip_layers["regions"]
    alone = maps.model_from_layers({"regions": regions})
    assert alone is not None and alone.kinds == ("index", "typology", "rings")

    def region_styles(layers, layer="regions"):
        return [(s.name, s.qml) for s in maps.layer_styles(layers) if s.layer == layer]

    assert region_styles({"regions": regions}) == region_styles(strip_layers)
    assert region_styles({"index": regions}, "index") == region_styles(strip_layers)
    assert maps.model_from_layers({"towns": regions}) is None  # no layer of the regions: plain styles only


def test_kinds_the_map_refuses_are_left_out(strip_layers):
    regions = strip_layers["regions"].assign(typology=["champion"] * 6)
    layers = {**strip_layers, "regions": regions}
    model = maps.model_from_layers(layers)
    assert model is not None and "typology" not in model.kinds and "index" in model.kinds
    names = [s.name for s in maps.layer_styles(layers) if s.layer == "regions"]
    assert names == ["index", "border rings"]


def test_layers_in_a_geographic_crs_get_the_same_styles(strip_layers):
    wgs84 = {name: frame.to_crs(4326) for name, frame in strip_layers.items()}
    assert [s.qml for s in maps.layer_styles(wgs84)] == [s.qml for s in maps.layer_styles(strip_layers)]


def test_the_qgis_writer_imports_no_drawing_library():
    code = ("import sys, borderland.maps.qgis; "
            "print(sorted({'folium', 'branca', 'matplotlib', 'mapclassify'} & sys.modules.keys()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_gaps_resting_on_unlike_definitions_are_dashed_as_on_the_map(qgis, html_map):
    report, _, _ = qgis
    info = report["layers"]["neighbour_pairs"]["opened"]
    gaps = html_map["gaps"][0]
    drawn = gaps.geometry.index.tolist()
    # the map dashes the 9 gaps whose individual-use values are Rosstat's on one side, Eurostat's on the other
    expected = ["6;4" if style.get("dashArray") == maps.GAP_DASH else "" for style in gaps.feature_styles]
    assert expected.count("6;4") == 9
    assert [info["dashes"][i] for i in drawn] == expected


def test_tables_by_year_open_in_the_temporal_controller_one_year_a_frame(qgis):
    report, _, _ = qgis
    for name in ("index_by_year", "gaps_by_year"):
        info = report["layers"][name]
        assert info["fields"]["year_start"] in ("Date", "DateTime") and info["fields"]["year"].startswith("Integer")
        # the style's temporal properties are read when the layer opens: 365 days from year_start (QGIS alone
        # guesses the field from its name, but an event of 0 minutes); 1 is ModeFeatureDateTimeInstantFromField,
        # "single field with date/time"
        opened = info["temporal_opened"]
        assert {k: opened[k] for k in ("mode", "start", "duration", "unit")} == {
            "mode": 1, "start": "year_start", "duration": 365.0, "unit": "d"}, name
        temporal = info["temporal"]
        assert {k: temporal[k] for k in ("active", "mode", "start", "duration", "unit")} == {
            "active": True, "mode": 1, "start": "year_start", "duration": 365.0, "unit": "d"}, name
        # each year's frame shows that year's rows and no other; years without rows show none
        assert temporal["shown"] == {"2019": [], "2020": [2020], "2021": [2021], "2022": [2022], "2023": []}, name
    # layers without a date field are not temporal
    assert not report["layers"]["regions"]["temporal"]["active"]
    assert not report["layers"]["neighbour_pairs"]["temporal"]["active"]


def test_values_by_year_open_in_classes_of_every_year(qgis, study):
    report, _, _ = qgis
    info = report["layers"]["index_by_year"]["opened"]
    values = _tables_by_year(study)["index_by_year"]["value"].to_numpy()
    result, colours, _ = year_classes(values, maps.MapSpec())
    assert info["renderer"] == "graduatedSymbol"
    assert [c[3] for c in info["classes"]] == [*colours, maps.NO_DATA_COLOUR]
    assert [c[1] for c in info["classes"][:-1]] == pytest.approx(result.bins.tolist())
    # every row in the colour of its class, cut over the three years at once; no value: grey
    expected = [colours[c] if c >= 0 else maps.NO_DATA_COLOUR for c in result.classes.tolist()]
    assert info["colours"] == expected
    assert info["colours"].count(maps.NO_DATA_COLOUR) == int(np.isnan(values).sum())


def test_gaps_by_year_open_dashed_where_flagged(qgis, study):
    report, _, _ = qgis
    info = report["layers"]["gaps_by_year"]["opened"]
    gaps = _tables_by_year(study)["gaps_by_year"]
    drawn = gaps["gap"].notna().to_numpy()
    assert info["renderer"] == "categorizedSymbol"
    assert [d for d, shown in zip(info["dashes"], drawn, strict=True) if shown] == [
        "6;4" if flag else "" for flag in gaps.loc[drawn, "flag"]]
    largest = gaps["gap"].abs().max()
    widths = [w for w, shown in zip(info["widths"], drawn, strict=True) if shown]
    assert widths == pytest.approx([max(maps.GAP_MIN_WIDTH_PX, maps.GAP_MAX_WIDTH_PX * abs(g) / largest)
                                    for g in gaps.loc[drawn, "gap"]])


def test_temporal_properties_by_hand():
    frame = gpd.GeoDataFrame({"year": [2019, 2020], "value": [0.2, 0.4],
                              "year_start": pd.to_datetime(["2019-01-01", "2020-01-01"])},
                             geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=3035)
    styles = maps.layer_styles({"index_by_year": frame, "plain_by_year": frame,
                                "no_dates": frame.assign(year_start=["2019-01-01", "2020-01-01"])})
    temporal = {s.layer: ET.fromstring(s.qml.split("\n", 1)[1]).find("temporal") for s in styles}
    for layer in ("index_by_year", "plain_by_year"):
        element = temporal[layer]
        assert element is not None and {k: element.get(k) for k in ("enabled", "mode", "startField", "fixedDuration",
                                                                     "durationUnit")} == {
            "enabled": "1", "mode": "1", "startField": "year_start", "fixedDuration": "365", "durationUnit": "d"}
    assert temporal["no_dates"] is None  # year_start as text is not a date field
    assert [s.name for s in styles] == ["value by year", "plain", "plain"]


def test_a_trend_model_styles_the_values_by_year_in_its_classes(strip_layers):
    import mapworld

    trend = mapworld.trend()
    regions, values, _, _ = mapworld.trend_tables()
    rows = values.merge(regions, left_on="region", right_index=True)
    by_year = gpd.GeoDataFrame(rows.assign(year_start=pd.to_datetime(rows["year"].astype(str) + "-01-01")),
                               geometry="geometry", crs=regions.crs)
    styles = maps.layer_styles({**strip_layers, "index_by_year": by_year}, trend)
    # the layers of one moment as without a model: the trend map's year is not theirs
    assert [s.qml for s in styles if s.layer != "index_by_year"] == [s.qml for s in maps.layer_styles(strip_layers)]
    _, root = _qml(styles, "index_by_year", "value by year")
    ranges = [(float(r.get("lower")), float(r.get("upper")), r.get("label")) for r in root.iter("range")]
    # the trend map's equal intervals of 0.2 over 2019-2021, its colours, and "no data" below every value
    assert ranges[:5] == [(0.0, 0.2, "0.00 – 0.20"), (0.2, 0.4, "0.20 – 0.40"), (0.4, trend.timeline.bins[2],
                                                                                "0.40 – 0.60"),
                          (trend.timeline.bins[2], 0.8, "0.60 – 0.80"), (0.8, 1.0, "0.80 – 1.00")]
    assert ranges[5][2] == "no data" and ranges[5][0] < 0
    symbols = root.find("renderer-v2/symbols")
    colours = ["#{:02x}{:02x}{:02x}".format(*map(int, _fill(s).split(",")[:3])) for s in symbols]
    assert colours == [*trend.timeline.colours, maps.NO_DATA_COLOUR]
    assert root.find("temporal") is not None and "Temporal" in root.get("styleCategories")
