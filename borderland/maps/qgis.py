"""QGIS styles (QML) for the layers of a study's GeoPackage, drawn from the map model.

QGIS opens a GeoPackage layer already styled only when a QML document for it sits in the
file's ``layer_styles`` table (the schema QGIS itself creates) with ``useAsDefault`` set; an SLD
alone is not loaded. This module builds those documents (:func:`layer_styles`);
:func:`borderland.export.write_geopackage` writes them into that table.

The classes and colours are not chosen here: they come from the
:class:`~borderland.maps.model.MapModel` the HTML and static maps draw -- the same object, built
once per run -- so each feature is drawn in QGIS in the colour the map gives it, and the index
classes are the HTML legend's. Nothing here imports folium or branca:

=================  =======================================  =====================================
layer              style (QGIS renderer)                    from the map's layer
=================  =======================================  =====================================
``regions``        index, ``graduatedSymbol`` (default)     index classes (the spec's scheme and
                                                            classes), "no data" grey, white outline
``regions``        typology, ``categorizedSymbol``          leader / moderate / lagging
``regions``        border rings, ``categorizedSymbol``      ring 1 darkest
``border_lines``   state border, ``singleSymbol``           colour and width of the border
``neighbour_...``  cross-border gaps, ``categorizedSymbol``  colour by the leading country, width
                                                            by the absolute gap, dashed where a
                                                            component's definition differs
                                                            across the pair; other pairs off
``distance_bands`` distance bands, ``categorizedSymbol``    one colour per band
``trade_flows``    trade flows, ``categorizedSymbol``        colour by flow type and unit, width by
                                                            value, arrowheads at the destination
``index_by_year``  value by year, ``graduatedSymbol``       the trend map's classes, cut over every
                                                            year's values; "no data" grey
``gaps_by_year``   gaps by year, ``categorizedSymbol``      colour by the leading side, width by
                                                            ``|gap|`` on one scale for every year,
                                                            dashed where flagged
=================  =======================================  =====================================

Other spatial layers get a plain single-symbol style, so every layer of the file opens the same
way. A layer with a ``year_start`` date field (the tables by year: regions or pair lines repeated
per year) gets temporal properties in each of its styles, so that QGIS's temporal controller
animates it year by year (:func:`temporal_element`). Widths are in screen pixels, as on the web
map. Field aliases (with units) travel in each QML, so QGIS shows them whichever GDAL it runs on.

The QML is written in the format of QGIS 3.22 (Debian bookworm's, the oldest one tested), which
later versions read.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import BorderlandError, SchemaError
from borderland.maps.checks import BAND_COLUMNS, FLOW_COLUMNS, PAIR_COLUMNS
from borderland.maps.classes import year_classes
from borderland.maps.features import flow_directed, flow_groups
from borderland.maps.layers import (
    FLOW_MAX_WIDTH_PX,
    FLOW_MIN_WIDTH_PX,
    GAP_DASH,
    GAP_MAX_WIDTH_PX,
    GAP_MIN_WIDTH_PX,
    NO_DATA,
    FeatureLayer,
    LegendItem,
    RegionLayer,
)
from borderland.maps.model import MapModel, map_model
from borderland.maps.palettes import EQUAL_COLOUR, LEADER_COLOURS, NO_DATA_COLOUR
from borderland.maps.spec import MapSpec

__all__ = [
    "STYLE_BUILDERS", "YEAR_START_FIELD", "YEAR_STYLE_BUILDERS", "LayerStyle", "bands_styles", "border_lines_styles",
    "fill_symbol", "flow_group_expression", "flows_styles", "gap_dash_expression", "gap_width_expression",
    "gaps_by_year_styles", "has_year_start", "index_by_year_styles", "layer_styles", "leading_side_expression",
    "line_symbol", "marker_symbol", "model_from_layers", "pairs_styles", "plain_styles", "qgis_colour",
    "regions_styles", "temporal_element", "with_temporal",
]

#: Version written into each QML document.
QGIS_VERSION: Final = "3.22.16-Białowieża"

#: The HTML map's region fill opacity and outline (the style the HTML writer gives regions).
REGION_FILL_OPACITY: Final = 0.85
REGION_OUTLINE_COLOUR: Final = "#ffffff"
REGION_OUTLINE_WIDTH_PX: Final = 1.0

#: Pairs that are not drawn by default (within a country, or without a gap): thin grey.
OTHER_PAIR_COLOUR: Final = "#bdbdbd"

#: Plain styles of layers without a dedicated one (the map's country outline and line greys).
PLAIN_FILL: Final = ("#f2f2f2", "#8c8c8c")
PLAIN_LINE: Final = EQUAL_COLOUR

_DOCTYPE: Final = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"

#: The date field of the tables by year (the first day of each row's year): QGIS's temporal
#: controller shows each row for one year from it.
YEAR_START_FIELD: Final = "year_start"


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
                width_expression: str | None = None, dash_expression: str | None = None) -> ET.Element:
    """A solid line ``width_px`` screen pixels wide, or as wide as ``width_expression`` says.

    ``dash_expression`` gives a feature a dash pattern (``"6;4"``: dash and gap in screen
    pixels), or NULL for a solid line.
    """
    expressions = {"outlineWidth": width_expression, "customDash": dash_expression}
    return _symbol(name, "line", "SimpleLine", {
        "line_color": qgis_colour(colour, opacity), "line_style": "solid",
        "line_width": _number(width_px), "line_width_unit": "Pixel",
        "capstyle": cap, "joinstyle": "round", "offset": "0", "offset_unit": "MM", "use_custom_dash": "0",
        "customdash_unit": "Pixel",
    }, {key: value for key, value in expressions.items() if value})


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
    names = [str(frame.index.name)] if frame.index.name else []
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return names + [str(c) for c in frame.columns if c != geometry]


# -- styles of each layer ----------------------------------------------------------------------


#: Map kinds drawn from the regions layer, and the column each needs.
_REGION_KINDS: Final = (("index", "index"), ("typology", "typology"), ("rings", "border_order"))

_COUNT: Final = re.compile(r"\s\(\d[\d,]*\)$")


def _label(item: LegendItem) -> str:
    """A legend row's text without the count the HTML legend adds ("0.004 – 0.295 (7)")."""
    return _COUNT.sub("", item.label)


def _projected(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in a projected CRS, as the map model requires; classes do not depend on it."""
    if frame.crs is not None and frame.crs.is_geographic:
        return frame.to_crs(3857)
    return frame


def model_from_layers(layers: Mapping[str, pd.DataFrame], spec: MapSpec | None = None) -> MapModel | None:
    """One map model of every kind a GeoPackage's layers allow, for styles when no map is drawn.

    When a run draws the HTML map, give :func:`layer_styles` that map's model instead: it is the
    same classes, built once. Here the layers are named as in the GeoPackage (``regions``,
    ``border_lines``, ``neighbour_pairs``, ``distance_bands``, ``trade_flows``) and may be in a
    geographic CRS (classes do not depend on it). A kind whose input the map refuses (e.g. a
    typology label it has no colour for) is left out, and its layer gets a plain style, rather
    than failing the whole GeoPackage.

    Parameters
    ----------
    layers
        Layer name -> frame.
    spec
        Classes and palette of the index (``scheme``, ``classes``, ``palette``); its kinds and
        columns are replaced by those the layers allow.

    Returns
    -------
    MapModel or None
        ``None`` without a ``regions`` and a ``border_lines`` layer.
    """
    regions, border = layers.get("regions"), layers.get("border_lines")
    if not isinstance(regions, gpd.GeoDataFrame) or not isinstance(border, gpd.GeoDataFrame):
        return None
    pairs, bands, flows = layers.get("neighbour_pairs"), layers.get("distance_bands"), layers.get("trade_flows")
    kinds = [kind for kind, column in _REGION_KINDS if column in regions.columns]
    if isinstance(pairs, gpd.GeoDataFrame) and set(PAIR_COLUMNS) <= set(pairs.columns):
        kinds.append("gaps")
    if isinstance(bands, gpd.GeoDataFrame) and set(BAND_COLUMNS) <= set(bands.columns):
        kinds.append("bands")
    if isinstance(flows, gpd.GeoDataFrame) and set(FLOW_COLUMNS) <= set(flows.columns) and len(flows):
        kinds.append("trade")
    frames = {"regions": _projected(regions), "border_lines": _projected(border),
              "pairs": _projected(pairs) if "gaps" in kinds else None,
              "bands": _projected(bands) if "bands" in kinds else None,
              "flows": _projected(flows) if "trade" in kinds else None}
    base = MapSpec() if spec is None else spec

    def build(chosen: list[str]) -> MapModel:
        return map_model(frames["regions"], frames["border_lines"], frames["pairs"], bands=frames["bands"],
                         flows=frames["flows"], spec=dataclasses.replace(base, kinds=chosen, columns=()))

    if not kinds:
        return None
    try:
        return build(kinds)
    except BorderlandError:
        usable = []
        for kind in kinds:  # find the kinds the map can draw
            try:
                build([kind])
            except BorderlandError:
                continue
            usable.append(kind)
        return build(usable) if usable else None


def _first(model: MapModel, kind: str) -> Any:
    """The model's (first) layer of a kind, or None."""
    found = model.layers(kind)
    return found[0] if found else None


def _same_rows(label: str, frame: pd.DataFrame, index: pd.Index) -> None:
    """The styles read a layer's rows through the model's: they must be the rows it was built from."""
    lacking = index[~index.isin(frame.index)]
    if len(lacking):
        raise SchemaError(f"layer {label!r} lacks rows the map model drew (e.g. {list(lacking[:3])}); "
                          "build the model from the frames written (map_model, or model_from_layers)")


def _no_data_sentinel(lowest: float) -> float:
    """A value below every index, standing for "no data" in the graduated renderer."""
    return min(-999.0, float(np.floor(lowest)) - 1000.0)


def _end_renderer(renderer: ET.Element) -> ET.Element:
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return renderer


def _index_style(regions: gpd.GeoDataFrame, layer: RegionLayer, aliases: Mapping[str, str]) -> LayerStyle:
    """Graduated colours, the ranges taken from the regions the map puts in each class."""
    values = pd.to_numeric(regions["index"], errors="coerce").astype(float)
    swatches = [item for item in layer.legend if item.shape == "swatch"]
    classes = [item for item in swatches if item.colour != NO_DATA_COLOUR]
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
    rows.append((sentinel, sentinel, NO_DATA_COLOUR, NO_DATA))
    renderer = _renderer("graduatedSymbol", attr=f"coalesce({_quoted('index')}, {_number(sentinel)})",
                         graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (low, high, colour, label) in enumerate(rows):
        ET.SubElement(ranges, "range", render="true", symbol=str(i), lower=_number(low), upper=_number(high),
                      label=label)
        symbols.append(fill_symbol(str(i), colour, opacity=REGION_FILL_OPACITY))
    ET.SubElement(renderer, "source-symbol").append(
        fill_symbol("0", NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY))
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 – %2", labelprecision="3", trimtrailingzeroes="0")
    note = next((item.label for item in layer.legend if item.shape == "note"), "")
    return LayerStyle(
        "regions", "index", _qml(_end_renderer(renderer), _columns(regions), aliases, _quoted("name")),
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


def _region_categories(regions: gpd.GeoDataFrame, layer: RegionLayer, column: str) -> ET.Element:
    """Categories of ``column`` coloured as the map fills the regions that hold each value."""
    labels = {item.colour: _label(item) for item in layer.legend if item.shape == "swatch"}
    values = regions[column]
    entries = []
    for value in sorted({v for v in values.dropna()}, key=lambda v: (str(type(v)), v)):
        colour = str(layer.fill[(values == value).fillna(False).to_numpy(dtype=bool)].iloc[0])
        text = str(int(value)) if isinstance(value, float | np.floating) and float(value).is_integer() else str(value)
        entries.append((text, labels.get(colour, text), fill_symbol("", colour, opacity=REGION_FILL_OPACITY), True))
    entries.append(("", NO_DATA, fill_symbol("", NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY), True))
    return _categorised(column, entries)


def _typology_style(regions: gpd.GeoDataFrame, layer: RegionLayer, aliases: Mapping[str, str]) -> LayerStyle:
    # every label of the legend, present or not, best first, as the HTML legend lists them
    entries = [(_label(item), _label(item), fill_symbol("", item.colour, opacity=REGION_FILL_OPACITY), True)
               for item in layer.legend if item.shape == "swatch" and item.colour != NO_DATA_COLOUR]
    entries.append(("", NO_DATA, fill_symbol("", NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY), True))
    return LayerStyle(
        "regions", "typology",
        _qml(_categorised("typology", entries), _columns(regions), aliases, _quoted("name")),
        "Typology (" + ", ".join(e[0] for e in entries[:-1]) + ") as on the HTML map; grey: no data",
    )


def _rings_style(regions: gpd.GeoDataFrame, layer: RegionLayer, aliases: Mapping[str, str]) -> LayerStyle:
    return LayerStyle(
        "regions", "border rings",
        _qml(_region_categories(regions, layer, "border_order"), _columns(regions), aliases, _quoted("name")),
        "Border rings as on the HTML map: 1 touches a land border, k lies k - 1 regions inland",
    )


def regions_styles(regions: gpd.GeoDataFrame, model: MapModel, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """Styles of the region layer: the index (default), the typology and the border rings."""
    builders = (("index", _index_style), ("typology", _typology_style), ("rings", _rings_style))
    chosen = [(build, _first(model, kind)) for kind, build in builders if _first(model, kind) is not None]
    if chosen and not regions.index.equals(model.regions.index):
        raise SchemaError("layer 'regions' holds other rows (or another order) than the regions of the map model; "
                          "build the model from the frames written (map_model, or model_from_layers)")
    styles = [build(regions, layer, aliases) for build, layer in chosen]
    if styles and not any(s.default for s in styles):
        styles[0] = dataclasses.replace(styles[0], default=True)
    return styles


def gap_width_expression(scale: float) -> str:
    """Line width in pixels of a pair, as the HTML map draws it: the largest gap widest."""
    if not scale > 0:
        return _number(GAP_MIN_WIDTH_PX)
    return (f"max({_number(GAP_MIN_WIDTH_PX)}, "
            f"{_number(GAP_MAX_WIDTH_PX)} * {_quoted('abs_gap')} / {_number(scale)})")


def leading_side_expression() -> str:
    """The country of the leading side of a cross-border pair with a gap, ``'equal'`` for a tie."""
    cross, gap = _quoted("cross_border"), _quoted("gap")
    return (f"CASE WHEN {cross} AND {gap} > 0 THEN {_quoted('country_a')} "
            f"WHEN {cross} AND {gap} < 0 THEN {_quoted('country_b')} "
            f"WHEN {cross} AND {gap} = 0 THEN 'equal' END")


def gap_dash_expression(dash: str = GAP_DASH) -> str:
    """The dash pattern of a pair whose gap rests on a component defined differently on each side, else NULL.

    ``dash`` is the map's ``dashArray`` (CSS pixels); QGIS writes it with semicolons.

    Examples
    --------
    >>> print(gap_dash_expression("6 4"))
    CASE WHEN "comparable" IS NOT NULL AND NOT "comparable" THEN '6;4' END
    """
    pattern = ";".join(dash.replace(",", " ").split())
    comparable = _quoted("comparable")
    return f"CASE WHEN {comparable} IS NOT NULL AND NOT {comparable} THEN '{pattern}' END"


def _cap(style: Mapping[str, Any]) -> str:
    return {"butt": "flat", "square": "square"}.get(str(style.get("lineCap", "round")), "round")


def pairs_styles(pairs: gpd.GeoDataFrame, model: MapModel, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """The map's cross-border gaps: colour by the leading side, width by ``abs_gap``, dashed as on the map.

    Pairs within one country or without a gap are a category that is switched off, as the map
    does not draw them either. Where the map dashes a gap (a component defined differently on
    the two sides, ``comparable`` false), a data-defined dash pattern does the same.
    """
    layer = _first(model, "gaps")
    if layer is None:
        return []
    _same_rows("neighbour_pairs", pairs, layer.geometry.index)
    drawn = pairs.loc[layer.geometry.index]
    gap = pd.to_numeric(drawn["gap"], errors="coerce")
    leading = np.where(gap > 0, drawn["country_a"].astype(str), np.where(gap < 0, drawn["country_b"].astype(str),
                                                                         "equal"))
    colours = dict(zip(leading, (s["color"] for s in layer.feature_styles), strict=True))
    scale = float(pd.to_numeric(drawn["abs_gap"]).max()) if len(drawn) else 0.0
    width, opacity, cap = gap_width_expression(scale), float(layer.style.get("opacity", 1.0)), _cap(layer.style)
    dashes = {str(s["dashArray"]) for s in layer.feature_styles if s.get("dashArray")}
    if len(dashes) > 1 or (dashes and "comparable" not in pairs.columns):
        raise SchemaError("the map model dashes gaps the layer 'neighbour_pairs' cannot tell apart (it needs the "
                          "'comparable' column, and one dash pattern); build the model from the frames written")
    dash = gap_dash_expression(dashes.pop()) if dashes else None
    entries = [(side, "equal" if side == "equal" else f"{side} side leads",
                line_symbol("", colours[side], GAP_MIN_WIDTH_PX, opacity=opacity, cap=cap,
                            width_expression=width, dash_expression=dash), True)
               for side in sorted(colours, key=lambda side: (side == "equal", side))]
    entries.append(("", "other pairs (within a country, or no gap)", line_symbol("", OTHER_PAIR_COLOUR, 1.0), False))
    largest = f"; the largest |gap| ({scale:.3f}) is {GAP_MAX_WIDTH_PX:g} px wide" if scale > 0 else ""
    return [LayerStyle(
        "neighbour_pairs", "cross-border gaps",
        _qml(_categorised(leading_side_expression(), entries), _columns(pairs), aliases),
        "Cross-border gaps as on the HTML map: colour by the leading side, width by the absolute index gap"
        + largest + ("; dashed where a component's definition differs across the pair" if dash else ""),
        default=True,
    )]


def border_lines_styles(lines: gpd.GeoDataFrame, model: MapModel, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """The state border as on the HTML map."""
    layer = _first(model, "border")
    if layer is None:
        return []
    renderer = _renderer("singleSymbol")
    ET.SubElement(renderer, "symbols").append(
        line_symbol("0", layer.style["color"], float(layer.style["weight"]),
                    opacity=float(layer.style.get("opacity", 1.0))))
    return [LayerStyle("border_lines", "state border", _qml(_end_renderer(renderer), _columns(lines), aliases),
                       "Land border between states, as on the HTML map", default=True)]


def bands_styles(bands: gpd.GeoDataFrame, model: MapModel, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """Distance bands as on the HTML map: one colour per band, darkest next to the border."""
    layer = _first(model, "bands")
    if layer is None:
        return []
    _same_rows("distance_bands", bands, layer.geometry.index)
    colours = dict(zip(bands.loc[layer.geometry.index, "band"].astype(str),
                       (s["fillColor"] for s in layer.feature_styles), strict=True))
    order = [item.label for item in layer.legend if item.shape == "swatch"]
    opacity = float(layer.style.get("fillOpacity", 1.0))
    outline = (str(layer.style.get("color", REGION_OUTLINE_COLOUR)), float(layer.style.get("weight", 1.0)))
    entries = [(band, band, fill_symbol("", colours[band], opacity=opacity, outline=outline[0],
                                        outline_px=outline[1]), True)
               for band in order if band in colours]
    entries.append(("", NO_DATA, fill_symbol("", NO_DATA_COLOUR, opacity=opacity), True))
    return [LayerStyle("distance_bands", "distance bands",
                       _qml(_categorised("band", entries), _columns(bands), aliases),
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


def flows_styles(flows: gpd.GeoDataFrame, model: MapModel, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """Trade flows as on the HTML map: a colour per flow type and unit, width by value, arrowheads."""
    layers = [layer for layer in model.layers("trade") if isinstance(layer, FeatureLayer)]
    if not layers:
        return []
    values = pd.to_numeric(flows["value"], errors="coerce")
    groups = [(_text(t), _text(u)) for t, u in zip(flows["flow_type"], flows["unit"], strict=True)]
    directed = flow_directed(flows)
    if len(flow_groups(flows)) != len(layers):
        raise SchemaError(f"layer 'trade_flows' has {len(flow_groups(flows))} flow type(s) and unit(s) but the map "
                          f"model {len(layers)} trade layer(s); build the model from the frames written")
    entries = []
    # the map's flow layers come one per group, in sorted order (borderland.maps.features.flow_groups)
    for (flow_type, unit), layer in zip(flow_groups(flows), layers, strict=True):
        member = np.array([g == (flow_type, unit) for g in groups]) & values.notna().to_numpy()
        if not member.any():
            continue
        colour = str(layer.feature_styles[0]["color"])
        scale = float(values[member].abs().max())
        width = (f"max({_number(FLOW_MIN_WIDTH_PX)}, {_number(FLOW_MAX_WIDTH_PX)} * "
                 f"abs({_quoted('value')}) / {_number(scale)})" if scale > 0 else _number(FLOW_MIN_WIDTH_PX))
        symbol = line_symbol("", colour, FLOW_MIN_WIDTH_PX, opacity=float(layer.style.get("opacity", 1.0)),
                             cap=_cap(layer.style), width_expression=width)
        if directed[member].all():
            symbol.append(_arrowhead_layer(colour, 12.0))
        entries.append((f"{flow_type} | {unit}", layer.name, symbol, True))
    entries.append(("", "no value", line_symbol("", OTHER_PAIR_COLOUR, 1.0), False))
    return [LayerStyle("trade_flows", "trade flows",
                       _qml(_categorised(flow_group_expression(), entries), _columns(flows), aliases),
                       "Trade flows as on the HTML map: colour by flow type and unit, width by value", default=True)]


def plain_styles(layer: str, frame: gpd.GeoDataFrame, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """A single-symbol style for a layer without a dedicated one (grey fill, line or point)."""
    renderer = _renderer("singleSymbol")
    ET.SubElement(renderer, "symbols").append(_plain_symbol("0", _geometry_kind(frame)))
    return [LayerStyle(layer, "plain", _qml(_end_renderer(renderer), _columns(frame), aliases),
                       f"{layer}: one symbol for every feature", default=True)]


# -- the tables by year ------------------------------------------------------------------------


def has_year_start(frame: pd.DataFrame) -> bool:
    """Whether a layer has a ``year_start`` field of dates (written as a GeoPackage date or date-time).

    Examples
    --------
    >>> has_year_start(pd.DataFrame({"year_start": pd.to_datetime(["2019-01-01"])}))
    True
    >>> has_year_start(pd.DataFrame({"year_start": ["2019-01-01"]}))
    False
    """
    if YEAR_START_FIELD not in frame.columns:
        return False
    column = frame[YEAR_START_FIELD]
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    if isinstance(column.dtype, pd.ArrowDtype):
        import pyarrow as pa

        return bool(pa.types.is_date(column.dtype.pyarrow_dtype) or pa.types.is_timestamp(column.dtype.pyarrow_dtype))
    known = column.dropna()
    return column.dtype == object and len(known) > 0 and all(isinstance(v, datetime.date) for v in known)


#: How long QGIS shows a row of a table by year: 365 days, not "1 year", which QGIS counts as 365.25 days,
#: so that a row would also show in the first six hours of the next year's frame (both years' polygons at
#: once); 365 days end every row within its own year, leap years too (whose 31 December no yearly step shows).
YEAR_DURATION: Final = ("365", "d")


def temporal_element(field: str = YEAR_START_FIELD) -> ET.Element:
    """QGIS's temporal properties of a layer: each feature shown for its year, from the date in ``field``.

    The mode QGIS calls "Single Field with Date/Time" (``ModeFeatureDateTimeInstantFromField``,
    1) with an event duration of one year (:data:`YEAR_DURATION`), as QGIS 3.22 writes it: with
    the temporal controller stepping a year at a time, the frame of 2019 shows the rows of 2019
    (``year_start`` 2019-01-01) and no other.

    Examples
    --------
    >>> element = temporal_element()
    >>> element.get("mode"), element.get("startField"), element.get("fixedDuration"), element.get("durationUnit")
    ('1', 'year_start', '365', 'd')
    """
    duration, unit = YEAR_DURATION
    element = ET.Element("temporal", {
        "enabled": "1", "mode": "1", "limitMode": "0", "startField": field, "endField": "", "durationField": "",
        "durationUnit": unit, "fixedDuration": duration, "accumulate": "0", "startExpression": "",
        "endExpression": "",
    })
    fixed = ET.SubElement(element, "fixedRange")
    ET.SubElement(fixed, "start")
    ET.SubElement(fixed, "end")
    return element


def with_temporal(style: LayerStyle, field: str = YEAR_START_FIELD) -> LayerStyle:
    """The style with temporal properties (:func:`temporal_element`): QGIS animates the layer by year.

    Examples
    --------
    >>> import shapely
    >>> table = gpd.GeoDataFrame({"year": [2019], "year_start": pd.to_datetime(["2019-01-01"])},
    ...                          geometry=[shapely.Point(0, 0)], crs=3035)
    >>> style = with_temporal(plain_styles("towns_by_year", table, {})[0])
    >>> '<temporal enabled="1" mode="1"' in style.qml, style.description.endswith("controller (from year_start)")
    (True, True)
    """
    root = ET.fromstring(style.qml.split("\n", 1)[1])
    root.set("styleCategories", f"{root.get('styleCategories')}|Temporal")
    root.insert(0, temporal_element(field))
    ET.indent(root, space=" ")
    return dataclasses.replace(
        style, qml=_DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n",
        description=f"{style.description}; one year at a time in QGIS's temporal controller (from {field})")


def _trend_classes(frame: pd.DataFrame, model: MapModel | None) -> tuple[list[float], list[str], list[str]]:
    """Upper bounds, colours and labels of the classes of values by year: the trend map's, or cut alike."""
    timeline = model.timeline if model is not None else None
    if timeline is not None:
        labels = [item.label for item in timeline.legend if item.shape == "swatch" and item.colour != NO_DATA_COLOUR]
        return list(timeline.bins), list(timeline.colours), labels
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    result, colours, decimals = year_classes(values, model.spec if model is not None else MapSpec())
    return result.bins.tolist(), list(colours), list(result.labels(decimals))


def index_by_year_styles(frame: gpd.GeoDataFrame, model: MapModel | None,
                         aliases: Mapping[str, str]) -> list[LayerStyle]:
    """Values by year (``value``) in the classes of every year: the trend map's when ``model`` is one.

    Without a trend model the classes are cut as :func:`borderland.maps.trend.trend_model` cuts
    them, over every row's value (the model's spec, or the defaults).
    """
    if "value" not in frame.columns:
        return []
    bins, colours, labels = _trend_classes(frame, model)
    values = pd.to_numeric(frame["value"], errors="coerce")
    lowest = min([float(values.min())] if values.notna().any() else [], default=bins[0] if bins else 0.0)
    sentinel = _no_data_sentinel(min(lowest, bins[0]) if bins else lowest)
    renderer = _renderer("graduatedSymbol", attr=f"coalesce({_quoted('value')}, {_number(sentinel)})",
                         graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    # QGIS draws a value with the first range that holds it (bounds included): a value on a bin
    # goes to the class below, as the map's classes (closed at the upper bound) put it
    lows = [min(lowest, bins[0]) if bins else lowest, *bins[:-1]]
    rows = [*zip(lows, bins, colours, labels, strict=True), (sentinel, sentinel, NO_DATA_COLOUR, NO_DATA)]
    for i, (low, high, colour, label) in enumerate(rows):
        ET.SubElement(ranges, "range", render="true", symbol=str(i), lower=_number(low), upper=_number(high),
                      label=label)
        symbols.append(fill_symbol(str(i), colour, opacity=REGION_FILL_OPACITY))
    ET.SubElement(renderer, "source-symbol").append(fill_symbol("0", NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY))
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    preview = _quoted("name") if "name" in frame.columns else None
    return [LayerStyle(
        "index_by_year", "value by year", _qml(_end_renderer(renderer), _columns(frame), aliases, preview),
        "Values by year in classes cut over every year's values, as on the trend map; grey: no data", default=True,
    )]


def gaps_by_year_styles(frame: gpd.GeoDataFrame, model: MapModel | None,
                        aliases: Mapping[str, str]) -> list[LayerStyle]:
    """Gaps by year: colour by the leading side, width by ``|gap|`` on one scale for every year, dashed if flagged.

    The leading side is ``country_a`` or ``country_b`` when the table has them (in the trend
    map's colours when ``model`` is one), else side a or b.
    """
    if "gap" not in frame.columns:
        return []
    gap = pd.to_numeric(frame["gap"], errors="coerce")
    timeline = model.timeline if model is not None else None
    largest = float(gap.abs().max()) if gap.notna().any() else 0.0
    width = (f"max({_number(GAP_MIN_WIDTH_PX)}, {_number(GAP_MAX_WIDTH_PX)} * abs({_quoted('gap')}) / "
             f"{_number(largest)})" if largest > 0 else _number(GAP_MIN_WIDTH_PX))
    dash = None
    if "flag" in frame.columns:
        pattern = ";".join(GAP_DASH.split())
        dash = f"CASE WHEN coalesce({_quoted('flag')}, '') <> '' THEN '{pattern}' END"
    named = {"country_a", "country_b"} <= set(frame.columns)
    if named:
        sides = sorted({_text(c) for c in frame.loc[gap > 0, "country_a"]} | {_text(c) for c in frame.loc[gap < 0,
                                                                                                        "country_b"]})
        known = dict(timeline.leaders) if timeline is not None else {}
        colours = {side: known.get(side, LEADER_COLOURS[i % len(LEADER_COLOURS)]) for i, side in enumerate(sides)}
        leading = (f"CASE WHEN {_quoted('gap')} > 0 THEN {_quoted('country_a')} WHEN {_quoted('gap')} < 0 THEN "
                   f"{_quoted('country_b')} WHEN {_quoted('gap')} = 0 THEN 'equal' END")
    else:
        colours = {"a": LEADER_COLOURS[0], "b": LEADER_COLOURS[1]}
        leading = (f"CASE WHEN {_quoted('gap')} > 0 THEN 'a' WHEN {_quoted('gap')} < 0 THEN 'b' "
                   f"WHEN {_quoted('gap')} = 0 THEN 'equal' END")
    entries = [(side, f"{side if named else 'side ' + side} leads",
                line_symbol("", colour, GAP_MIN_WIDTH_PX, opacity=0.85, cap="flat", width_expression=width,
                            dash_expression=dash), True) for side, colour in colours.items()]
    entries.append(("equal", "equal", line_symbol("", EQUAL_COLOUR, GAP_MIN_WIDTH_PX, opacity=0.85, cap="flat",
                                                  width_expression=width, dash_expression=dash), True))
    entries.append(("", "no gap", line_symbol("", OTHER_PAIR_COLOUR, 1.0), False))
    return [LayerStyle(
        "gaps_by_year", "gaps by year", _qml(_categorised(leading, entries), _columns(frame), aliases),
        f"Gaps by year as on the trend map: colour by the leading side, width by |gap| (the largest, {largest:g}, "
        f"{GAP_MAX_WIDTH_PX:g} px wide in every year)" + ("; dashed where flagged" if dash else ""), default=True,
    )]


YearStyleBuilder = Callable[[gpd.GeoDataFrame, MapModel | None, Mapping[str, str]], list[LayerStyle]]

#: Style builders of the tables by year, which need no map model of one moment.
YEAR_STYLE_BUILDERS: Final[Mapping[str, YearStyleBuilder]] = {
    "index_by_year": index_by_year_styles,
    "gaps_by_year": gaps_by_year_styles,
}


StyleBuilder = Callable[[gpd.GeoDataFrame, MapModel, Mapping[str, str]], list[LayerStyle]]

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
    model: MapModel | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
) -> list[LayerStyle]:
    """QML styles of every spatial layer, in the map model's classes and colours; one default each.

    Parameters
    ----------
    layers
        Layer name -> frame, as written to the GeoPackage (``regions``, ``border_lines``,
        ``neighbour_pairs``, ``distance_bands``, ``trade_flows`` get the map's styles,
        ``index_by_year`` and ``gaps_by_year`` the trend map's; other spatial layers a plain
        one; attribute tables and layers without geometry none). Every style of a layer with a
        ``year_start`` date field gets temporal properties (:func:`with_temporal`).
    model
        The map model the run's HTML map was drawn from
        (:func:`~borderland.maps.model.map_model`), built from these frames: the styles reuse its
        classes and colours, not a copy of them. ``None`` builds one from the layers
        (:func:`model_from_layers`), for runs that draw no map. A trend map's model
        (:func:`~borderland.maps.trend.trend_model`) gives the tables by year its classes and
        colours; the other layers are then styled as without a model.
    aliases
        Field name -> display name with unit (e.g. ``"border_distance_km": "Distance to the
        land border (km)"``), written into every style of a layer that has the field.

    Returns
    -------
    list of LayerStyle
        In layer order, the default style of each layer first.

    Raises
    ------
    SchemaError
        A layer holds other rows than the model drew from.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> towns = gpd.GeoDataFrame({"name": ["Narva"]}, geometry=[shapely.Point(5.3e6, 4.1e6)], crs=3035)
    >>> [(style.layer, style.name, style.default) for style in layer_styles({"towns": towns})]
    [('towns', 'plain', True)]
    """
    names = dict(aliases or {})
    trend = model if model is not None and model.timeline is not None else None
    # a trend map's layers are those of one year: the layers of one moment get a model of their own
    snapshot = model_from_layers(layers) if model is None or trend is not None else model
    styles: list[LayerStyle] = []
    for layer, frame in layers.items():
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        build = STYLE_BUILDERS.get(layer)
        by_year = YEAR_STYLE_BUILDERS.get(layer)
        built = (build(frame, snapshot, names) if build and snapshot is not None else
                 by_year(frame, trend or snapshot, names) if by_year else []) or plain_styles(layer, frame, names)
        built = [dataclasses.replace(style, layer=layer) for style in built]
        if has_year_start(frame):
            built = [with_temporal(style) for style in built]
        styles += sorted(built, key=lambda style: not style.default)
    return styles
