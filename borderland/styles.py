"""QGIS styles (QML) for the layers of a study's GeoPackage, drawn as the HTML map draws them.

QGIS opens a GeoPackage layer already styled only when a QML document for it sits in the
file's ``layer_styles`` table (the schema QGIS itself creates) with ``useAsDefault`` set; an SLD
alone is not loaded. This module builds those documents and writes that table:

=================  ================================  ============================================
layer              default style (QGIS renderer)     as in the HTML map (:mod:`borderland.maps`)
=================  ================================  ============================================
``regions``        index, ``graduatedSymbol``        the same classes (quantiles, k = 5) and
                                                     YlGnBu colours, "no data" grey; white outline
``regions``        typology, ``categorizedSymbol``   leader / moderate / lagging colours
                   (alternative)
``regions``        border rings, ``categorized...``  ring 1 darkest (the map has no ring layer yet)
                   (alternative)
``border_lines``   ``singleSymbol``                  the state border's colour and width
``neighbour_...``  leading side, ``categorized...``  cross-border pairs with a gap: colour by the
                                                     leading country, width by the absolute gap
=================  ================================  ============================================

Other spatial layers get a plain single-symbol style, so every layer of the file opens the same
way. Widths are in screen pixels, as on the web map. Field aliases (with units) travel in each
QML, so QGIS shows them whichever GDAL it runs on.

The QML is written in the format of QGIS 3.22 (Debian bookworm's, the oldest one tested), which
later versions read.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland import maps
from borderland.errors import SchemaError

__all__ = [
    "STYLE_BUILDERS",
    "IndexClass",
    "LayerStyle",
    "index_classes",
    "layer_styles",
    "read_styles",
    "write_styles",
]

#: Version written into each QML document.
QGIS_VERSION: Final = "3.22.16-Białowieża"

#: Name of the QGIS style table and its columns, in QGIS's order.
STYLE_TABLE: Final = "layer_styles"
STYLE_COLUMNS: Final = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML",
    "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
)

#: The HTML map's region fill opacity and outline (``maps.divide_map``).
REGION_FILL_OPACITY: Final = 0.85
REGION_OUTLINE_COLOUR: Final = "#ffffff"
REGION_OUTLINE_WIDTH_PX: Final = 1.0
GAP_OPACITY: Final = 0.85

#: Border rings, ring 1 (touching a land border) darkest: ColorBrewer Oranges, 5 classes.
#: Rings beyond the fifth share the lightest colour.
RING_COLOURS: Final = ("#a63603", "#e6550d", "#fd8d3c", "#fdbe85", "#feedde")

#: Pairs that are not drawn by default (within a country, or without a gap): thin grey.
OTHER_PAIR_COLOUR: Final = "#bdbdbd"

#: Plain styles of layers without a dedicated one (the map's country outline and line greys).
PLAIN_FILL: Final = ("#f2f2f2", "#8c8c8c")
PLAIN_LINE: Final = maps.EQUAL_COLOUR

#: Label of the range that holds regions without a value (the map's legend says the same).
NO_DATA: Final = maps.NO_DATA

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


@dataclasses.dataclass(frozen=True)
class IndexClass:
    """One class of the index: ``lower <= index <= upper`` (the first matching class wins)."""

    lower: float
    upper: float
    colour: str
    label: str
    count: int


# -- classes -----------------------------------------------------------------------------------


def index_classes(values: pd.Series, *, scheme: str = "quantiles", k: int = 5) -> list[IndexClass]:
    """The index classes of the HTML map: same scheme, breaks, colours and labels.

    As :func:`borderland.maps.divide_map` classes the index: the scheme from
    :data:`borderland.maps.SCHEMES`, ``k`` capped at the number of distinct values, the lowest
    class starting at the minimum, colours from :data:`borderland.maps.INDEX_PALETTES`. Missing
    values are left out (they are "no data", never the lowest class).

    Parameters
    ----------
    values
        The index of each region.
    scheme
        ``"quantiles"`` or ``"natural_breaks"``.
    k
        Number of classes, 1 to 5.

    Returns
    -------
    list of IndexClass
        Lowest class first; empty when no region has a value.

    Examples
    --------
    >>> [(c.label, c.colour, c.count) for c in index_classes(pd.Series([0.0, 0.5, 1.0, None]), k=2)]
    [('0.000 – 0.500', '#edf8b1', 2), ('0.500 – 1.000', '#2c7fb8', 1)]
    """
    import warnings

    try:
        classifier = maps.SCHEMES[scheme]
    except KeyError:
        raise SchemaError(f"unknown classification scheme {scheme!r}; choose one of {sorted(maps.SCHEMES)}") from None
    if not isinstance(k, int) or not 1 <= k <= max(maps.INDEX_PALETTES):
        raise SchemaError(f"k is {k!r}; expected a whole number of classes from 1 to {max(maps.INDEX_PALETTES)}")
    data = pd.to_numeric(values, errors="coerce").astype(float).dropna().to_numpy()
    if len(data) == 0:
        return []
    k = min(k, len(np.unique(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not enough unique values": k is capped above
        result = classifier(data, k)
    bins = np.asarray(result.bins, dtype=float)
    counts = np.bincount(np.asarray(result.yb, dtype=int), minlength=len(bins))
    palette = maps.INDEX_PALETTES[len(bins)]
    lows = [float(data.min()), *bins[:-1]]
    return [
        IndexClass(float(low), float(high), palette[i], f"{low:.3f} – {high:.3f}", int(counts[i]))
        for i, (low, high) in enumerate(zip(lows, bins, strict=True))
    ]


# -- QML pieces --------------------------------------------------------------------------------


def qgis_colour(colour: str, opacity: float = 1.0) -> str:
    """A ``#rrggbb`` colour as QGIS writes it: ``"r,g,b,a"`` with alpha 0-255.

    Examples
    --------
    >>> qgis_colour("#1b7837", 0.85)
    '27,120,55,217'
    """
    value = colour.lstrip("#")
    if len(value) != 6:
        raise SchemaError(f"colour {colour!r} is not of the form #rrggbb")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{round(opacity * 255)}"


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
    """``fill``, ``line`` or ``marker``: the symbol type QGIS draws the layer's geometries with."""
    types = {t for t in frame.geometry.geom_type.dropna().unique()}
    if types <= {"Polygon", "MultiPolygon"} and types:
        return "fill"
    if types <= {"LineString", "MultiLineString", "LinearRing"} and types:
        return "line"
    if types <= {"Point", "MultiPoint"} and types:
        return "marker"
    # empty or mixed: QGIS gives a GeoPackage layer one geometry type; ours are written as one
    raise SchemaError(f"cannot style geometries of types {sorted(types) or ['none']}; "
                      "a layer needs polygons, lines or points only")


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


def _categories(renderer: ET.Element, entries: Sequence[tuple[str, str, ET.Element, bool]]) -> None:
    """Add ``(value, label, symbol, shown)`` categories; the value ``""`` catches NULL and the rest."""
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, symbol, shown) in enumerate(entries):
        symbol.set("name", str(i))
        ET.SubElement(categories, "category", render="true" if shown else "false", symbol=str(i),
                      value=value, label=label)
        symbols.append(symbol)


def _no_data_sentinel(lowest: float) -> float:
    """A value below every index, standing for "no data" in the graduated renderer."""
    return min(-999.0, float(np.floor(lowest)) - 1000.0)


def _index_style(regions: gpd.GeoDataFrame, options: StyleOptions) -> LayerStyle:
    classes = index_classes(regions["index"], scheme=options.scheme, k=options.k)
    # a graduated renderer draws NULL values with no symbol at all; the map shows them grey, so
    # they are classed through a sentinel below every index value, in a range of their own
    sentinel = _no_data_sentinel(min((c.lower for c in classes), default=0.0))
    expression = f"coalesce({_quoted('index')}, {_number(sentinel)})"
    renderer = _renderer("graduatedSymbol", attr=expression, graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    rows = [(c.lower, c.upper, c.colour, c.label) for c in classes]
    rows.append((sentinel, sentinel, maps.NO_DATA_COLOUR, NO_DATA))
    for i, (lower, upper, colour, label) in enumerate(rows):
        ET.SubElement(ranges, "range", render="true", symbol=str(i), lower=_number(lower), upper=_number(upper),
                      label=label)
        symbols.append(fill_symbol(str(i), colour, opacity=REGION_FILL_OPACITY))
    source = ET.SubElement(renderer, "source-symbol")
    source.append(fill_symbol("0", maps.NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY))
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 – %2", labelprecision="3", trimtrailingzeroes="0")
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    scheme = options.scheme.replace("_", " ")
    return LayerStyle(
        "regions", "index", _qml(renderer, _columns(regions), options.aliases, _quoted("name")),
        f"Digitalisation index in {len(classes)} classes ({scheme}, as the HTML map), grey: no data",
        default=True,
    )


def _typology_style(regions: gpd.GeoDataFrame, options: StyleOptions) -> LayerStyle:
    present = {str(v) for v in regions["typology"].dropna()}
    # labels are configurable; unknown ones get the gap colours so that each stays distinct
    extra = sorted(present - set(maps.TYPOLOGY_COLOURS))
    colours = {**maps.TYPOLOGY_COLOURS,
               **{label: maps.LEADER_COLOURS[i % len(maps.LEADER_COLOURS)] for i, label in enumerate(extra)}}
    entries = [(label, label, fill_symbol("", colour, opacity=REGION_FILL_OPACITY), True)
               for label, colour in colours.items()]
    entries.append(("", NO_DATA, fill_symbol("", maps.NO_DATA_COLOUR, opacity=REGION_FILL_OPACITY), True))
    renderer = _renderer("categorizedSymbol", attr="typology")
    _categories(renderer, entries)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return LayerStyle(
        "regions", "typology", _qml(renderer, _columns(regions), options.aliases, _quoted("name")),
        "Typology (" + ", ".join(colours) + "), grey: no data; colours as the HTML map",
    )


def _rings_style(regions: gpd.GeoDataFrame, options: StyleOptions) -> LayerStyle:
    rings = sorted({int(v) for v in pd.to_numeric(regions["border_order"], errors="coerce").dropna()})
    entries = [(str(ring), f"ring {ring}",
                fill_symbol("", RING_COLOURS[min(max(ring, 1), len(RING_COLOURS)) - 1], opacity=REGION_FILL_OPACITY),
                True)
               for ring in rings]
    entries.append(("", "not connected to a land border", fill_symbol("", maps.NO_DATA_COLOUR,
                                                                       opacity=REGION_FILL_OPACITY), True))
    renderer = _renderer("categorizedSymbol", attr="border_order")
    _categories(renderer, entries)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return LayerStyle(
        "regions", "border rings", _qml(renderer, _columns(regions), options.aliases, _quoted("name")),
        "Border rings: 1 touches a land border, k lies k - 1 regions inland",
    )


def regions_styles(regions: gpd.GeoDataFrame, options: StyleOptions) -> list[LayerStyle]:
    """Styles of the region layer: the index (default), the typology and the border rings.

    Each style needs its column (``index``, ``typology``, ``border_order``); a layer without it
    simply does not get that style.
    """
    builders = (("index", _index_style), ("typology", _typology_style), ("border_order", _rings_style))
    styles = [build(regions, options) for column, build in builders if column in regions.columns]
    if styles and not any(s.default for s in styles):
        styles[0] = dataclasses.replace(styles[0], default=True)
    return styles or plain_styles("regions", regions, options)


def gap_width_expression(scale: float) -> str:
    """Line width in pixels of a pair, as :mod:`borderland.maps` draws it: the largest gap widest."""
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


def pairs_styles(pairs: gpd.GeoDataFrame, options: StyleOptions) -> list[LayerStyle]:
    """The cross-border gaps of the HTML map: colour by the leading country, width by ``abs_gap``.

    Pairs within one country or without a gap are listed as a category that is switched off,
    as the map does not draw them either.
    """
    needed = {"cross_border", "gap", "abs_gap", "country_a", "country_b"}
    if not needed <= set(pairs.columns):
        return plain_styles("neighbour_pairs", pairs, options)
    cross = pairs["cross_border"].astype("boolean").fillna(False).astype(bool)
    gap = pd.to_numeric(pairs["gap"], errors="coerce")
    drawn = pairs[cross & gap.notna()]
    scale = float(pd.to_numeric(drawn["abs_gap"]).max()) if len(drawn) else 0.0
    leading = {str(a) if g > 0 else str(b) if g < 0 else None
               for a, b, g in zip(drawn["country_a"], drawn["country_b"], gap[drawn.index], strict=True)}
    width = gap_width_expression(scale)
    entries = [
        (country, f"{country} side leads",
         line_symbol("", maps.LEADER_COLOURS[i % len(maps.LEADER_COLOURS)], maps.GAP_MIN_WIDTH_PX,
                     opacity=GAP_OPACITY, cap="flat", width_expression=width), True)
        for i, country in enumerate(sorted(c for c in leading if c is not None))
    ]
    if None in leading:
        entries.append(("equal", "equal", line_symbol("", maps.EQUAL_COLOUR, maps.GAP_MIN_WIDTH_PX,
                                                      opacity=GAP_OPACITY, cap="flat", width_expression=width),
                        True))
    entries.append(("", "other pairs (within a country, or no gap)", line_symbol("", OTHER_PAIR_COLOUR, 1.0), False))
    renderer = _renderer("categorizedSymbol", attr=leading_side_expression())
    _categories(renderer, entries)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    largest = f"; the largest |gap| ({scale:.3f}) is {maps.GAP_MAX_WIDTH_PX:g} px wide" if scale > 0 else ""
    return [LayerStyle(
        "neighbour_pairs", "cross-border gaps", _qml(renderer, _columns(pairs), options.aliases),
        "Cross-border gaps as on the HTML map: colour by the leading side, width by the absolute index gap"
        + largest, default=True,
    )]


def border_lines_styles(lines: gpd.GeoDataFrame, options: StyleOptions) -> list[LayerStyle]:
    """The state border as on the HTML map."""
    renderer = _renderer("singleSymbol")
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(line_symbol("0", maps.BORDER_COLOUR, maps.BORDER_WIDTH_PX))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return [LayerStyle("border_lines", "state border", _qml(renderer, _columns(lines), options.aliases),
                       "Land border between states, as on the HTML map", default=True)]


def plain_styles(layer: str, frame: gpd.GeoDataFrame, options: StyleOptions) -> list[LayerStyle]:
    """A single-symbol style for a layer without a dedicated one (grey fill, line or point)."""
    renderer = _renderer("singleSymbol")
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(_plain_symbol("0", _geometry_kind(frame)))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return [LayerStyle(layer, "plain", _qml(renderer, _columns(frame), options.aliases),
                       f"{layer}: one symbol for every feature", default=True)]


#: Style builders of the layers that have dedicated styles; other spatial layers get a plain one.
STYLE_BUILDERS: Final[Mapping[str, Callable[[gpd.GeoDataFrame, StyleOptions], list[LayerStyle]]]] = {
    "regions": regions_styles,
    "border_lines": border_lines_styles,
    "neighbour_pairs": pairs_styles,
}


def layer_styles(
    layers: Mapping[str, pd.DataFrame],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    aliases: Mapping[str, str] | None = None,
) -> list[LayerStyle]:
    """QML styles of every spatial layer, exactly one default per layer.

    Parameters
    ----------
    layers
        Layer name -> frame, as written to the GeoPackage; attribute-only tables and spatial
        layers without features get no style.
    scheme, k
        Classification of the index, as passed to :func:`borderland.maps.divide_map`.
    aliases
        Field name -> display name with unit (e.g. ``"border_distance_km": "Distance to the
        land border (km)"``), written into every style of a layer that has the field.

    Returns
    -------
    list of LayerStyle
        In layer order; the default style of each layer first.
    """
    options = StyleOptions(scheme=scheme, k=k, aliases=dict(aliases or {}))
    styles: list[LayerStyle] = []
    for layer, frame in layers.items():
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        build = STYLE_BUILDERS.get(layer)
        built = build(frame, options) if build else plain_styles(layer, frame, options)
        built = [dataclasses.replace(style, layer=layer) for style in built]
        styles += sorted(built, key=lambda style: not style.default)
    return styles


# -- the layer_styles table --------------------------------------------------------------------


def _geometry_columns(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
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
        with sqlite3.connect(path) as conn:
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
