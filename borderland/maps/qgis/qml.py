"""The pieces of a QML document: colours, symbols, renderers, field aliases, the document itself.

Every style of :mod:`borderland.maps.qgis` is put together from these: a symbol (fill, line or
marker, with data-defined properties as QGIS expressions), a renderer (single, categorised or
graduated), and the ``<qgis>`` document around it (:class:`LayerStyle` holds one, as a row of
the GeoPackage's ``layer_styles`` table). Widths are in screen pixels, as on the web map. The
QML is written in the format of QGIS 3.22 (:data:`QGIS_VERSION`), which later versions read.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.maps.palettes import EQUAL_COLOUR

__all__ = ["OTHER_PAIR_COLOUR", "PLAIN_FILL", "PLAIN_LINE", "QGIS_VERSION", "REGION_FILL_OPACITY",
           "REGION_OUTLINE_COLOUR", "REGION_OUTLINE_WIDTH_PX", "LayerStyle", "fill_symbol", "line_symbol",
           "marker_symbol", "qgis_colour"]

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

#: Characters XML 1.0 cannot hold at all, not even as character references (ElementTree writes them raw, and
#: the document is then not XML): C0 controls but tab and line breaks, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
    return _document(root)


def _xml_text(text: str) -> str:
    r"""Text XML can hold: each character it cannot written as ``\uXXXX``, as on the terminal.

    ElementTree escapes markup (``&``, ``<``, quotes) but writes a control character from the data
    (an escape sequence in a column's name) as it is, which no XML parser reads; QGIS would refuse
    the whole style. Such a name then matches no field, which QGIS ignores.

    Examples
    --------
    >>> _xml_text("comp\x1b[31m"), _xml_text("a & <b>")
    ('comp\\u001b[31m', 'a & <b>')
    """
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _document(root: ET.Element) -> str:
    """The QML document of ``root``: indented, every text and attribute one XML can hold (:func:`_xml_text`)."""
    for element in root.iter():
        element.attrib.update({key: _xml_text(value) for key, value in element.attrib.items()})
        if element.text:
            element.text = _xml_text(element.text)
    ET.indent(root, space=" ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def _columns(frame: pd.DataFrame) -> list[str]:
    """Field names of a layer as written: the index first when named, no geometry column."""
    names = [str(frame.index.name)] if frame.index.name else []
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return names + [str(c) for c in frame.columns if c != geometry]


def _no_data_sentinel(lowest: float) -> float:
    """A value below every index, standing for "no data" in the graduated renderer."""
    return min(-999.0, float(np.floor(lowest)) - 1000.0)


def _end_renderer(renderer: ET.Element) -> ET.Element:
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return renderer


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
