"""The styles of a run's layers (one moment), in the classes and colours of the map model.

The regions (index, typology, border rings), the state border, the cross-border gaps, the
distance bands and the trade flows each get the style of the map's layer that draws them
(:data:`STYLE_BUILDERS`): the classes are those of the :class:`~borderland.maps.model.MapModel`
the HTML and static maps draw, read from it, never cut again. :func:`model_from_layers` builds
that model from a GeoPackage's layers when no map is drawn.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import BorderlandError, SchemaError
from borderland.maps.checks import BAND_COLUMNS, FLOW_COLUMNS, PAIR_COLUMNS
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
from borderland.maps.palettes import NO_DATA_COLOUR
from borderland.maps.qgis.qml import (
    OTHER_PAIR_COLOUR,
    REGION_FILL_OPACITY,
    REGION_OUTLINE_COLOUR,
    LayerStyle,
    _categorised,
    _columns,
    _end_renderer,
    _no_data_sentinel,
    _number,
    _options,
    _qml,
    _quoted,
    _renderer,
    _symbol,
    _text,
    fill_symbol,
    line_symbol,
    qgis_colour,
)
from borderland.maps.spec import MapSpec

__all__ = ["STYLE_BUILDERS", "StyleBuilder", "bands_styles", "border_lines_styles", "flow_group_expression",
           "flows_styles", "gap_dash_expression", "gap_width_expression", "leading_side_expression",
           "model_from_layers", "pairs_styles", "regions_styles"]

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
        ``None`` without a layer of the regions (``regions``, or ``index`` as ``borderland index``
        writes it).
    """
    # `borderland index` names its layer of the regions "index"; `index` and `gaps` write no border
    # lines, and their regions are styled all the same (the map model draws an empty border)
    regions = layers.get("regions", layers.get("index"))
    if not isinstance(regions, gpd.GeoDataFrame):
        return None
    border = layers.get("border_lines")
    if not isinstance(border, gpd.GeoDataFrame):
        border = gpd.GeoDataFrame({"country_a": pd.Series([], dtype=object), "country_b": pd.Series([], dtype=object),
                                   "length_km": pd.Series([], dtype=float)},
                                  geometry=gpd.GeoSeries([], crs=regions.crs), crs=regions.crs)
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


StyleBuilder = Callable[[gpd.GeoDataFrame, MapModel, Mapping[str, str]], list[LayerStyle]]

#: Style builders of the layers the HTML map draws; other spatial layers get a plain style.
STYLE_BUILDERS: Final[Mapping[str, StyleBuilder]] = {
    "regions": regions_styles,
    "index": regions_styles,  # `borderland index`'s layer of the regions
    "border_lines": border_lines_styles,
    "neighbour_pairs": pairs_styles,
    "distance_bands": bands_styles,
    "trade_flows": flows_styles,
}

