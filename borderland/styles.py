"""QGIS styles (QML) for the layers of a study's GeoPackage, drawn as the HTML map draws them.

QGIS opens a GeoPackage layer already styled only when a QML document for it sits in the
file's ``layer_styles`` table (the schema QGIS itself creates) with ``useAsDefault`` set; an SLD
alone is not loaded. This module builds those documents and writes that table.

The classes and colours are not chosen here: they come from :func:`borderland.maps.map_layers`,
the model the HTML and static maps draw from, so each feature is drawn in QGIS in the colour the
map gives it:

=================  =======================================  =====================================
layer              style (QGIS renderer)                    from the map's layer
=================  =======================================  =====================================
``regions``        index, ``graduatedSymbol`` (default)     index classes (quantiles, k = 5),
                                                            "no data" grey, white outline
``regions``        typology, ``categorizedSymbol``          leader / moderate / lagging
``regions``        border rings, ``categorizedSymbol``      ring 1 darkest
``border_lines``   state border, ``singleSymbol``           colour and width of the border
``neighbour_...``  cross-border gaps, ``categorizedSymbol``  colour by the leading country, width
                                                            by the absolute gap; other pairs off
``distance_bands`` distance bands, ``categorizedSymbol``    one colour per band
=================  =======================================  =====================================

Other spatial layers get a plain single-symbol style, so every layer of the file opens the same
way. Widths are in screen pixels, as on the web map. Field aliases (with units) travel in each
QML, so QGIS shows them whichever GDAL it runs on.

The QML is written in the format of QGIS 3.22 (Debian bookworm's, the oldest one tested), which
later versions read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland import maps
from borderland.errors import BorderlandError, SchemaError

__all__ = [
    "STYLE_BUILDERS", "LayerStyle", "StyleOptions", "bands_styles", "border_lines_styles", "fill_symbol",
    "flow_group_expression", "flows_styles", "gap_width_expression", "layer_styles", "leading_side_expression",
    "line_symbol", "marker_symbol", "pairs_styles", "plain_styles", "qgis_colour", "read_styles", "regions_styles",
    "sqlite", "write_styles",
]

#: Version written into each QML document.
QGIS_VERSION: Final = "3.22.16-Białowieża"

#: Name of the QGIS style table and its columns, in QGIS's order.
STYLE_TABLE: Final = "layer_styles"
STYLE_COLUMNS: Final = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML",
    "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
)

#: The HTML map's region fill opacity and outline (the style ``maps.divide_map`` gives regions).
REGION_FILL_OPACITY: Final = 0.85
REGION_OUTLINE_COLOUR: Final = "#ffffff"
REGION_OUTLINE_WIDTH_PX: Final = 1.0

#: Pairs that are not drawn by default (within a country, or without a gap): thin grey.
OTHER_PAIR_COLOUR: Final = "#bdbdbd"

#: Plain styles of layers without a dedicated one (the map's country outline and line greys).
PLAIN_FILL: Final = ("#f2f2f2", "#8c8c8c")
PLAIN_LINE: Final = maps.EQUAL_COLOUR

_DOCTYPE: Final = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"


@dataclasses.dataclass(frozen=True)
class LayerStyle:
    """One row of the ``layer_styles`` table: a QML style of one layer.

    Attributes
    ----------
    layer
        The layer (table) it styles.
    name
        Style name, as QGIS lists it (Layer Properties > Style > Load style from database).
    qml
        The QML document.
    description
        One sentence saying what the style shows.
    default
        Whether QGIS applies it when the layer is opened (``useAsDefault``).
    """

    layer: str
    name: str
    qml: str
    description: str
    default: bool = False


# -- QML pieces --------------------------------------------------------------------------------


def qgis_colour(colour: str, opacity: float = 1.0) -> str:
    """A ``#rrggbb`` colour as QGIS writes it: ``"r,g,b,a"`` with alpha 0-255.

    Examples
    --------
    >>> qgis_colour("#1b7837", 0.85)
    '27,120,55,217'
    """
    value = colour.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise SchemaError(f"colour {colour!r} is not of the form #rrggbb")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{round(opacity * 255)}"


def _text(value: Any) -> str:
    """A value as the map writes it: missing values as the empty string."""
    return "" if value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))) else str(value)


def _quoted(field: str) -> str:
    """A field name as a QGIS expression refers to it."""
    return '"' + field.replace('"', '""') + '"'


def _number(value: float) -> str:
    """A float written exactly (repr round-trips), as QGIS reads it back."""
    return repr(float(value))


def _options(parent: ET.Element, props: Mapping[str, str], expressions: Mapping[str, str]) -> None:
    """Symbol layer properties, in both forms QGIS 3.22 writes (Option map, then legacy props)."""
    option_map = ET.SubElement(parent, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(option_map, "Option", name=key, type="QString", value=value)
    for key, value in props.items():
        ET.SubElement(parent, "prop", k=key, v=value)
    defined = ET.SubElement(parent, "data_defined_properties")
    collection = ET.SubElement(defined, "Option", type="Map")
    ET.SubElement(collection, "Option", name="name", type="QString", value="")
    properties = ET.SubElement(collection, "Option", name="properties")
    if expressions:
        properties.set("type", "Map")
        for key, expression in expressions.items():
            prop = ET.SubElement(properties, "Option", name=key, type="Map")
            ET.SubElement(prop, "Option", name="active", type="bool", value="true")
            ET.SubElement(prop, "Option", name="expression", type="QString", value=expression)
            ET.SubElement(prop, "Option", name="type", type="int", value="3")  # an expression-based property
    ET.SubElement(collection, "Option", name="type", type="QString", value="collection")


def _symbol(name: str, kind: str, layer_class: str, props: Mapping[str, str],
            expressions: Mapping[str, str] | None = None) -> ET.Element:
    symbol = ET.Element("symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"})
    _options(layer, props, expressions or {})
    return symbol


def fill_symbol(name: str, colour: str, *, opacity: float = 1.0, outline: str = REGION_OUTLINE_COLOUR,
                outline_px: float = REGION_OUTLINE_WIDTH_PX) -> ET.Element:
    """A solid fill with an outline ``outline_px`` screen pixels wide."""
    return _symbol(name, "fill", "SimpleFill", {
        "color": qgis_colour(colour, opacity), "style": "solid", "joinstyle": "bevel",
        "outline_color": qgis_colour(outline), "outline_style": "solid",
        "outline_width": _number(outline_px), "outline_width_unit": "Pixel",
        "offset": "0,0", "offset_unit": "MM",
    })


def line_symbol(name: str, colour: str, width_px: float, *, opacity: float = 1.0, cap: str = "round",
                width_expression: str | None = None) -> ET.Element:
    """A solid line ``width_px`` screen pixels wide, or as wide as ``width_expression`` says."""
    return _symbol(name, "line", "SimpleLine", {
        "line_color": qgis_colour(colour, opacity), "line_style": "solid",
        "line_width": _number(width_px), "line_width_unit": "Pixel",
        "capstyle": cap, "joinstyle": "round", "offset": "0", "offset_unit": "MM", "use_custom_dash": "0",
    }, {"outlineWidth": width_expression} if width_expression else None)


def marker_symbol(name: str, colour: str, size_px: float = 6.0) -> ET.Element:
    """A filled circle ``size_px`` screen pixels across."""
    return _symbol(name, "marker", "SimpleMarker", {
        "name": "circle", "color": qgis_colour(colour), "outline_color": qgis_colour(REGION_OUTLINE_COLOUR),
        "outline_width": "1", "outline_width_unit": "Pixel", "size": _number(size_px), "size_unit": "Pixel",
    })


def _geometry_kind(frame: gpd.GeoDataFrame) -> str:
    """``fill``, ``line`` or ``marker``: the symbol type QGIS draws the layer's geometries with.

    A layer of mixed types (lines with a few point contacts) is drawn by its highest dimension.
    """
    types = set(frame.geometry.geom_type.dropna())
    if types & {"Polygon", "MultiPolygon"}:
        return "fill"
    if types & {"LineString", "MultiLineString", "LinearRing"}:
        return "line"
    return "marker"


def _plain_symbol(name: str, kind: str) -> ET.Element:
    if kind == "fill":
        return fill_symbol(name, PLAIN_FILL[0], outline=PLAIN_FILL[1])
    if kind == "line":
        return line_symbol(name, PLAIN_LINE, 1.0)
    return marker_symbol(name, PLAIN_LINE)


def _renderer(kind: str, **attributes: str) -> ET.Element:
    return ET.Element("renderer-v2", {"type": kind, "symbollevels": "0", "enableorderby": "0",
                                      "forceraster": "0", **attributes})


def _qml(renderer: ET.Element, columns: Sequence[str], aliases: Mapping[str, str],
         preview: str | None = None) -> str:
    """A QML document: the renderer, field aliases of the layer's columns and blending."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Fields|Rendering")
    root.append(renderer)
    known = [(column, aliases[column]) for column in columns if column in aliases]
    if known:
        element = ET.SubElement(root, "aliases")
        for column, alias in known:
            ET.SubElement(element, "alias", field=column, name=alias)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    if preview:
        ET.SubElement(root, "previewExpression").text = preview
    ET.indent(root, space=" ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def _columns(frame: pd.DataFrame) -> list[str]:
    """Field names of a layer as written: the index first when named, no geometry column."""
    names = [frame.index.name] if frame.index.name else []
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return names + [str(c) for c in frame.columns if c != geometry]


# -- styles of each layer ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StyleOptions:
    """Choices shared by every layer's styles: the index classes and the field aliases."""

    scheme: str = "quantiles"
    k: int = 5
    aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)


#: Map kinds drawn from each layer, and the columns each needs (beyond maps' own checks).
_REGION_KINDS: Final = (("index", "index"), ("typology", "typology"), ("rings", "border_order"))

_COUNT: Final = re.compile(r"\s\(\d[\d,]*\)$")


def _label(item: maps.LegendItem) -> str:
    """A legend row's text without the count the HTML legend adds ("0.004 – 0.295 (7)")."""
    return _COUNT.sub("", item.label)


def _projected(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in a projected CRS, as the map model requires; classes do not depend on it."""
    if frame.crs is not None and frame.crs.is_geographic:
        return frame.to_crs(3857)
    return frame


def _map_model(layers: Mapping[str, pd.DataFrame], options: StyleOptions) -> dict[str, Any]:
    """The HTML map's layers (:func:`borderland.maps.map_layers`) of every kind the layers allow.

    Returns map kind -> :class:`borderland.maps.RegionLayer` or :class:`~borderland.maps.FeatureLayer`.
    A kind whose input the map refuses (e.g. a typology label it has no colour for) is left out,
    and its layer gets a plain style, rather than failing the whole GeoPackage.
    """
    regions, border = layers.get("regions"), layers.get("border_lines")
    if not isinstance(regions, gpd.GeoDataFrame) or not isinstance(border, gpd.GeoDataFrame):
        return {}
    pairs, bands, flows = layers.get("neighbour_pairs"), layers.get("distance_bands"), layers.get("trade_flows")
    kinds = [kind for kind, column in _REGION_KINDS if column in regions.columns]
    if isinstance(pairs, gpd.GeoDataFrame) and set(maps.PAIR_COLUMNS) <= set(pairs.columns):
        kinds.append("gaps")
    if isinstance(bands, gpd.GeoDataFrame) and set(maps.BAND_COLUMNS) <= set(bands.columns):
        kinds.append("bands")
    if isinstance(flows, gpd.GeoDataFrame) and set(maps.FLOW_COLUMNS) <= set(flows.columns) and len(flows):
        kinds.append("trade")
    frames = {"regions": _projected(regions), "border_lines": _projected(border),
              "pairs": _projected(pairs) if "gaps" in kinds else None,
              "bands": _projected(bands) if "bands" in kinds else None,
              "flows": _projected(flows) if "trade" in kinds else None}

    def model(chosen: list[str]) -> dict[str, Any]:
        built = maps.map_layers(frames["regions"], frames["border_lines"], frames["pairs"], kinds=chosen,
                                bands=frames["bands"], flows=frames["flows"], scheme=options.scheme, k=options.k)
        found: dict[str, Any] = {"trade": []}
        for layer in (*built.region_layers, *built.base, *built.overlays):
            if layer.kind == "trade":  # one map layer per flow type and unit
                found["trade"].append(layer)
            else:
                found[layer.kind] = layer
        return found

    try:
        return model(kinds)
    except BorderlandError:
        found: dict[str, Any] = {}
        for kind in kinds:  # find the kinds the map can draw
            try:
                found.update(model([kind]))
            except BorderlandError:
                continue
        return found


def _no_data_sentinel(lowest: float) -> float:
    """A value below every index, standing for "no data" in the graduated renderer."""
    return min(-999.0, float(np.floor(lowest)) - 1000.0)


def _end_renderer(renderer: ET.Element) -> ET.Element:
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return renderer


def _index_style(regions: gpd.GeoDataFrame, layer: maps.RegionLayer, options: StyleOptions) -> LayerStyle:
    """Graduated colours, the ranges taken from the regions the map puts in each class."""
    values = pd.to_numeric(regions["index"], errors="coerce").astype(float)
    swatches = [item for item in layer.legend if item.shape == "swatch"]
    classes = [item for item in swatches if item.colour != maps.NO_DATA_COLOUR]
    rows: list[tuple[float, float, str, str]] = []
    lower = float(values.min()) if values.notna().any() else 0.0
    for item in classes:
        members = values[(layer.fill == item.colour).to_numpy()].dropna()
        # contiguous ranges, each up to its largest member: QGIS takes the first range that
        # holds a value, so every region falls in the class the map gives it
        upper = float(members.max()) if len(members) else lower
        rows.append((lower, upper, item.colour, _label(item)))
        lower = upper
    # a graduated renderer draws a NULL value with no symbol at all; the map shows it grey, so
    # "no data" is classed through a sentinel below every index value, in a range of its own
    sentinel = _no_data_sentinel(min((r[0] for r in rows), default=0.0))
    rows.append((sentinel, sentinel, maps.NO_DATA_COLOUR, maps.NO_DATA))
    renderer = _renderer("graduatedSymbol", attr=f"coalesce({_quoted('index')}, {_number(sentinel)})",
                         graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (low, high, colour, label) in enumerate(rows):
        ET.SubElement(ranges, "range", render="true", symbol=str(i), lower=_number(low), upper=_number(high),
                      label=label)
        symbols.append(fill_symbol(str(i), colour, opacity=REGION_FILL_OPACITY))
    ET.SubElement(renderer, "source-symbol").append(
        fill_symbol("0", maps.NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY))
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 – %2", labelprecision="3", trimtrailingzeroes="0")
    note = next((item.label for item in layer.legend if item.shape == "note"), "")
    return LayerStyle(
        "regions", "index", _qml(_end_renderer(renderer), _columns(regions), options.aliases, _quoted("name")),
        f"Digitalisation index as on the HTML map ({note}); grey: no data", default=True,
    )


def _categorised(column_or_expression: str, entries: Sequence[tuple[str, str, ET.Element, bool]]) -> ET.Element:
    """A categorised renderer; the value ``""`` catches NULL (and values of no category)."""
    renderer = _renderer("categorizedSymbol", attr=column_or_expression)
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, symbol, shown) in enumerate(entries):
        symbol.set("name", str(i))
        ET.SubElement(categories, "category", render="true" if shown else "false", symbol=str(i),
                      value=value, label=label)
        symbols.append(symbol)
    return _end_renderer(renderer)


def _region_categories(regions: gpd.GeoDataFrame, layer: maps.RegionLayer, column: str) -> ET.Element:
    """Categories of ``column`` coloured as the map fills the regions that hold each value."""
    labels = {item.colour: _label(item) for item in layer.legend if item.shape == "swatch"}
    values = regions[column]
    entries = []
    for value in sorted({v for v in values.dropna()}, key=lambda v: (str(type(v)), v)):
        colour = str(layer.fill[(values == value).fillna(False).to_numpy(dtype=bool)].iloc[0])
        text = str(int(value)) if isinstance(value, float | np.floating) and float(value).is_integer() else str(value)
        entries.append((text, labels.get(colour, text), fill_symbol("", colour, opacity=REGION_FILL_OPACITY), True))
    entries.append(("", maps.NO_DATA, fill_symbol("", maps.NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY), True))
    return _categorised(column, entries)


def _typology_style(regions: gpd.GeoDataFrame, layer: maps.RegionLayer, options: StyleOptions) -> LayerStyle:
    # every label of the legend, present or not, best first, as the HTML legend lists them
    entries = [(_label(item), _label(item), fill_symbol("", item.colour, opacity=REGION_FILL_OPACITY), True)
               for item in layer.legend if item.shape == "swatch" and item.colour != maps.NO_DATA_COLOUR]
    entries.append(("", maps.NO_DATA, fill_symbol("", maps.NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY), True))
    return LayerStyle(
        "regions", "typology",
        _qml(_categorised("typology", entries), _columns(regions), options.aliases, _quoted("name")),
        "Typology (" + ", ".join(e[0] for e in entries[:-1]) + ") as on the HTML map; grey: no data",
    )


def _rings_style(regions: gpd.GeoDataFrame, layer: maps.RegionLayer, options: StyleOptions) -> LayerStyle:
    return LayerStyle(
        "regions", "border rings",
        _qml(_region_categories(regions, layer, "border_order"), _columns(regions), options.aliases, _quoted("name")),
        "Border rings as on the HTML map: 1 touches a land border, k lies k - 1 regions inland",
    )


def regions_styles(regions: gpd.GeoDataFrame, model: Mapping[str, Any], options: StyleOptions) -> list[LayerStyle]:
    """Styles of the region layer: the index (default), the typology and the border rings."""
    builders = (("index", _index_style), ("typology", _typology_style), ("rings", _rings_style))
    styles = [build(regions, model[kind], options) for kind, build in builders if kind in model]
    if styles and not any(s.default for s in styles):
        styles[0] = dataclasses.replace(styles[0], default=True)
    return styles


def gap_width_expression(scale: float) -> str:
    """Line width in pixels of a pair, as the HTML map draws it: the largest gap widest."""
    if not scale > 0:
        return _number(maps.GAP_MIN_WIDTH_PX)
    return (f"max({_number(maps.GAP_MIN_WIDTH_PX)}, "
            f"{_number(maps.GAP_MAX_WIDTH_PX)} * {_quoted('abs_gap')} / {_number(scale)})")


def leading_side_expression() -> str:
    """The country of the leading side of a cross-border pair with a gap, ``'equal'`` for a tie."""
    cross, gap = _quoted("cross_border"), _quoted("gap")
    return (f"CASE WHEN {cross} AND {gap} > 0 THEN {_quoted('country_a')} "
            f"WHEN {cross} AND {gap} < 0 THEN {_quoted('country_b')} "
            f"WHEN {cross} AND {gap} = 0 THEN 'equal' END")


def _cap(style: Mapping[str, Any]) -> str:
    return {"butt": "flat", "square": "square"}.get(str(style.get("lineCap", "round")), "round")


def pairs_styles(pairs: gpd.GeoDataFrame, model: Mapping[str, Any], options: StyleOptions) -> list[LayerStyle]:
    """The map's cross-border gaps: colour by the leading side, width by ``abs_gap``.

    Pairs within one country or without a gap are a category that is switched off, as the map
    does not draw them either.
    """
    layer = model.get("gaps")
    if layer is None:
        return []
    drawn = pairs.loc[layer.geometry.index]
    gap = pd.to_numeric(drawn["gap"], errors="coerce")
    leading = np.where(gap > 0, drawn["country_a"].astype(str), np.where(gap < 0, drawn["country_b"].astype(str),
                                                                         "equal"))
    colours = dict(zip(leading, (s["color"] for s in layer.feature_styles), strict=True))
    scale = float(pd.to_numeric(drawn["abs_gap"]).max()) if len(drawn) else 0.0
    width, opacity, cap = gap_width_expression(scale), float(layer.style.get("opacity", 1.0)), _cap(layer.style)
    entries = [(side, "equal" if side == "equal" else f"{side} side leads",
                line_symbol("", colours[side], maps.GAP_MIN_WIDTH_PX, opacity=opacity, cap=cap,
                            width_expression=width), True)
               for side in sorted(colours, key=lambda side: (side == "equal", side))]
    entries.append(("", "other pairs (within a country, or no gap)", line_symbol("", OTHER_PAIR_COLOUR, 1.0), False))
    largest = f"; the largest |gap| ({scale:.3f}) is {maps.GAP_MAX_WIDTH_PX:g} px wide" if scale > 0 else ""
    return [LayerStyle(
        "neighbour_pairs", "cross-border gaps",
        _qml(_categorised(leading_side_expression(), entries), _columns(pairs), options.aliases),
        "Cross-border gaps as on the HTML map: colour by the leading side, width by the absolute index gap"
        + largest, default=True,
    )]


def border_lines_styles(lines: gpd.GeoDataFrame, model: Mapping[str, Any], options: StyleOptions) -> list[LayerStyle]:
    """The state border as on the HTML map."""
    layer = model.get("border")
    if layer is None:
        return []
    renderer = _renderer("singleSymbol")
    ET.SubElement(renderer, "symbols").append(
        line_symbol("0", layer.style["color"], float(layer.style["weight"]),
                    opacity=float(layer.style.get("opacity", 1.0))))
    return [LayerStyle("border_lines", "state border", _qml(_end_renderer(renderer), _columns(lines), options.aliases),
                       "Land border between states, as on the HTML map", default=True)]


def bands_styles(bands: gpd.GeoDataFrame, model: Mapping[str, Any], options: StyleOptions) -> list[LayerStyle]:
    """Distance bands as on the HTML map: one colour per band, darkest next to the border."""
    layer = model.get("bands")
    if layer is None:
        return []
    colours = dict(zip(bands.loc[layer.geometry.index, "band"].astype(str),
                       (s["fillColor"] for s in layer.feature_styles), strict=True))
    order = [item.label for item in layer.legend if item.shape == "swatch"]
    opacity = float(layer.style.get("fillOpacity", 1.0))
    outline = (str(layer.style.get("color", REGION_OUTLINE_COLOUR)), float(layer.style.get("weight", 1.0)))
    entries = [(band, band, fill_symbol("", colours[band], opacity=opacity, outline=outline[0],
                                        outline_px=outline[1]), True)
               for band in order if band in colours]
    entries.append(("", maps.NO_DATA, fill_symbol("", maps.NO_DATA_COLOUR, opacity=opacity), True))
    return [LayerStyle("distance_bands", "distance bands",
                       _qml(_categorised("band", entries), _columns(bands), options.aliases),
                       "Distance bands along the land border, as on the HTML map", default=True)]


def _arrowhead_layer(colour: str, size_px: float) -> ET.Element:
    """A symbol layer that draws a filled arrowhead at a line's last vertex, along the line."""
    layer = ET.Element("layer", {"class": "MarkerLine", "enabled": "1", "locked": "0", "pass": "0"})
    _options(layer, {"placement": "lastvertex", "placements": "LastVertex", "rotate": "1", "interval": "3",
                     "interval_unit": "MM", "offset": "0", "offset_unit": "MM", "offset_along_line": "0",
                     "offset_along_line_unit": "MM"}, {})
    marker = _symbol("@0@1", "marker", "SimpleMarker", {
        "name": "filled_arrowhead", "color": qgis_colour(colour), "outline_color": qgis_colour(colour),
        "outline_width": "0", "outline_width_unit": "Pixel", "size": _number(size_px), "size_unit": "Pixel",
        "angle": "0", "horizontal_anchor_point": "1", "vertical_anchor_point": "1",
    })
    layer.append(marker)
    return layer


def flow_group_expression() -> str:
    """The flow type and unit of a trade flow with a value: ``"exports | million USD"``.

    The map draws one layer per such group, since values in different units do not compare.
    """
    return (f"CASE WHEN {_quoted('value')} IS NOT NULL THEN "
            f"concat({_quoted('flow_type')}, ' | ', {_quoted('unit')}) END")


def flows_styles(flows: gpd.GeoDataFrame, model: Mapping[str, Any], options: StyleOptions) -> list[LayerStyle]:
    """Trade flows as on the HTML map: a colour per flow type and unit, width by value, arrowheads."""
    layers = model.get("trade")
    if not layers:
        return []
    values = pd.to_numeric(flows["value"], errors="coerce")
    groups = [(_text(t), _text(u)) for t, u in zip(flows["flow_type"], flows["unit"], strict=True)]
    directed = (flows["direction"].map(_text) != "both_ways" if "direction" in flows.columns
                else flows["flow_type"].map(_text) != "turnover")
    entries = []
    # the map's flow layers come one per group, in sorted order (maps._flow_layers)
    for (flow_type, unit), layer in zip(sorted(set(groups)), layers, strict=True):
        member = np.array([g == (flow_type, unit) for g in groups]) & values.notna().to_numpy()
        if not member.any():
            continue
        colour = str(layer.feature_styles[0]["color"])
        scale = float(values[member].abs().max())
        width = (f"max({_number(maps.FLOW_MIN_WIDTH_PX)}, {_number(maps.FLOW_MAX_WIDTH_PX)} * "
                 f"abs({_quoted('value')}) / {_number(scale)})" if scale > 0 else _number(maps.FLOW_MIN_WIDTH_PX))
        symbol = line_symbol("", colour, maps.FLOW_MIN_WIDTH_PX, opacity=float(layer.style.get("opacity", 1.0)),
                             cap=_cap(layer.style), width_expression=width)
        if directed[member].all():
            symbol.append(_arrowhead_layer(colour, 12.0))
        entries.append((f"{flow_type} | {unit}", layer.name, symbol, True))
    entries.append(("", "no value", line_symbol("", OTHER_PAIR_COLOUR, 1.0), False))
    return [LayerStyle("trade_flows", "trade flows",
                       _qml(_categorised(flow_group_expression(), entries), _columns(flows), options.aliases),
                       "Trade flows as on the HTML map: colour by flow type and unit, width by value", default=True)]


def plain_styles(layer: str, frame: gpd.GeoDataFrame, options: StyleOptions) -> list[LayerStyle]:
    """A single-symbol style for a layer without a dedicated one (grey fill, line or point)."""
    renderer = _renderer("singleSymbol")
    ET.SubElement(renderer, "symbols").append(_plain_symbol("0", _geometry_kind(frame)))
    return [LayerStyle(layer, "plain", _qml(_end_renderer(renderer), _columns(frame), options.aliases),
                       f"{layer}: one symbol for every feature", default=True)]


StyleBuilder = Callable[[gpd.GeoDataFrame, Mapping[str, Any], StyleOptions], list[LayerStyle]]

#: Style builders of the layers the HTML map draws; other spatial layers get a plain style.
STYLE_BUILDERS: Final[Mapping[str, StyleBuilder]] = {
    "regions": regions_styles,
    "border_lines": border_lines_styles,
    "neighbour_pairs": pairs_styles,
    "distance_bands": bands_styles,
    "trade_flows": flows_styles,
}


def layer_styles(
    layers: Mapping[str, pd.DataFrame],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    aliases: Mapping[str, str] | None = None,
) -> list[LayerStyle]:
    """QML styles of every spatial layer, with the HTML map's classes and colours; one default each.

    The classes and colours come from :func:`borderland.maps.map_layers`, which the HTML and
    static maps draw from, so QGIS shows each feature in the colour the map gives it.

    Parameters
    ----------
    layers
        Layer name -> frame, as written to the GeoPackage (``regions``, ``border_lines``,
        ``neighbour_pairs``, ``distance_bands`` get the map's styles; other spatial layers a plain
        one; attribute tables and layers without geometry none).
    scheme, k
        Classification of the index, as passed to :func:`borderland.maps.divide_map`.
    aliases
        Field name -> display name with unit (e.g. ``"border_distance_km": "Distance to the
        land border (km)"``), written into every style of a layer that has the field.

    Returns
    -------
    list of LayerStyle
        In layer order, the default style of each layer first.
    """
    options = StyleOptions(scheme=scheme, k=k, aliases=dict(aliases or {}))
    model = _map_model(layers, options)
    styles: list[LayerStyle] = []
    for layer, frame in layers.items():
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        build = STYLE_BUILDERS.get(layer)
        built = (build(frame, model, options) if build else []) or plain_styles(layer, frame, options)
        built = [dataclasses.replace(style, layer=layer) for style in built]
        styles += sorted(built, key=lambda style: not style.default)
    return styles


# -- the layer_styles table --------------------------------------------------------------------


@contextlib.contextmanager
def sqlite(path: str | os.PathLike[str], *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to a GeoPackage's SQLite database, committed (unless read-only) and closed."""
    target = f"file:{Path(path)}?mode=ro" if read_only else str(path)
    conn = sqlite3.connect(target, uri=read_only)
    try:
        with conn:  # commits, or rolls back on an error
            yield conn
    finally:
        conn.close()


def _geometry_columns(path: Path) -> dict[str, str]:
    with sqlite(path) as conn:
        return dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())


def write_styles(path: str | os.PathLike[str], styles: Sequence[LayerStyle]) -> None:
    """Store styles in a GeoPackage's ``layer_styles`` table, replacing those of the same layers.

    The table is created as QGIS creates it (an attribute table registered in the GeoPackage,
    ``id`` its key) when missing. Write into a file nobody else has open: the GeoPackage writer
    calls this on its temporary file before moving it into place.

    Parameters
    ----------
    path
        An existing GeoPackage holding the styled layers.
    styles
        From :func:`layer_styles`; at most one default per layer.
    """
    import pyogrio

    path = Path(path)
    defaults = pd.Series([s.layer for s in styles if s.default]).value_counts()
    if (defaults > 1).any():
        raise SchemaError(f"more than one default style for layer(s) {sorted(defaults[defaults > 1].index)}")
    geometry = _geometry_columns(path)
    missing = sorted({s.layer for s in styles} - set(geometry))
    if missing:
        raise SchemaError(f"styles given for {missing}, which are not spatial layers of {str(path)!r}")
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    table = pd.DataFrame({
        "f_table_catalog": "",
        "f_table_schema": "",  # QGIS looks styles up with f_table_schema = ''
        "f_table_name": [s.layer for s in styles],
        "f_geometry_column": [geometry[s.layer] for s in styles],
        "styleName": [s.name for s in styles],
        "styleQML": [s.qml for s in styles],
        "styleSLD": "",
        "useAsDefault": [bool(s.default) for s in styles],
        "description": [s.description for s in styles],
        "owner": "",
        "ui": "",
        "update_time": pd.Series([now] * len(styles), dtype="datetime64[ms, UTC]"),
    }, columns=list(STYLE_COLUMNS))
    exists = STYLE_TABLE in {name for name, _ in pyogrio.list_layers(path)}
    if exists:
        with sqlite(path) as conn:
            conn.executemany(f"DELETE FROM {STYLE_TABLE} WHERE f_table_name = ?",
                             [(layer,) for layer in sorted({s.layer for s in styles})])
    if len(table):
        pyogrio.write_dataframe(table, path, layer=STYLE_TABLE, driver="GPKG", append=exists,
                                layer_options=None if exists else {"FID": "id"})


def read_styles(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The ``layer_styles`` table of a GeoPackage (empty when it has none).

    Parameters
    ----------
    path
        The GeoPackage.

    Returns
    -------
    pandas.DataFrame
        One row per style: ``f_table_name``, ``styleName``, ``useAsDefault``, ``styleQML``, ...
    """
    import pyogrio

    if STYLE_TABLE not in {name for name, _ in pyogrio.list_layers(path)}:
        return pd.DataFrame(columns=list(STYLE_COLUMNS))
    return pyogrio.read_dataframe(path, layer=STYLE_TABLE)
