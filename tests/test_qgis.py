"""The bundled study's GeoPackage opened in QGIS itself: layers load, default styles apply, a map renders.

QGIS's Python bindings are Debian's (``python3-qgis``, ``qgis-providers``) and belong to the
system Python, not to the interpreter running pytest, so a small script runs under
``/usr/bin/python3`` in a subprocess (headless: ``QT_QPA_PLATFORM=offscreen``) and prints a
JSON report that the tests check. Without QGIS the tests fail with the command that installs
it; ``BORDERLAND_NO_QGIS=1`` switches them off explicitly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from borderland import border, maps
from borderland.export import FIELD_ALIASES, result_aliases, result_layers, run_metadata, write_geopackage
from borderland.styles import REGION_FILL_OPACITY

QGIS_PYTHON = "/usr/bin/python3"
INSTALL = "apt-get update && apt-get install -y --no-install-recommends python3-qgis qgis-providers"

_SCRIPT = textwrap.dedent('''
    import json, sys
    from qgis.core import (Qgis, QgsApplication, QgsExpressionContextUtils, QgsMapRendererParallelJob,
                           QgsMapSettings, QgsProviderRegistry, QgsRenderContext, QgsSymbolLayer, QgsVectorLayer)
    from qgis.PyQt.QtCore import QSize
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
        colours, widths = [], []
        for feature in layer.getFeatures():
            context.expressionContext().setFeature(feature)  # as QGIS's feature renderer does
            symbol = renderer.symbolForFeature(feature, context)
            colours.append(symbol.color().name() if symbol else None)
            widths.append(width_of(symbol, context) if symbol is not None and symbol.type() == 1 else None)
        renderer.stopRender(context)
        info["colours"], info["widths"] = colours, widths
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
            count, ids, names, descriptions, error = layer.listStylesInDatabase()
            info["styles"] = {}
            for style_id, style_name in zip(ids[:count], names[:count]):
                document = QDomDocument()
                document.setContent(layer.getStyleFromDatabase(style_id)[0])
                layer.importNamedStyle(document)
                info["styles"][style_name] = renderer_report(layer)
            layer.loadDefaultStyle()
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


def _layers(study) -> dict:
    """The study's layers, with the distance bands (drawn by the map) until the pipeline adds them."""
    layers = result_layers(study)
    if "distance_bands" not in layers:
        layers["distance_bands"] = border.distance_bands(study.regions, study.border_lines)
    return layers


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
def qgis(qgis_python, study, tmp_path_factory):
    folder = tmp_path_factory.mktemp("qgis")
    gpkg = write_geopackage(_layers(study), folder / "borderland.gpkg", metadata=run_metadata(study),
                            aliases=result_aliases(study))
    script, png = folder / "qgis_check.py", folder / "regions.png"
    script.write_text(_SCRIPT, encoding="utf-8")
    env = {**_env(), "XDG_RUNTIME_DIR": str(folder)}
    run = subprocess.run([qgis_python, str(script), str(gpkg), str(png)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode == 0, f"QGIS script failed ({run.returncode}):\n{run.stderr[-4000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1]), gpkg, png


@pytest.fixture(scope="module")
def html_map(study):
    """The HTML map's layers of the same study, by kind: what QGIS must reproduce."""
    model = maps.map_layers(study.regions, study.border_lines, study.pairs, flows=study.flows,
                            bands=_layers(study)["distance_bands"],
                            kinds=["index", "typology", "rings", "gaps", "trade", "bands"])
    layers = {}
    for layer in (*model.region_layers, *model.base, *model.overlays):
        layers.setdefault(layer.kind, []).append(layer)
    return layers


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
