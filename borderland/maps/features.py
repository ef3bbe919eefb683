"""The feature layers: distance bands, the state border, the countries, cross-border gaps and trade flows.

Each has geometries of its own, drawn over the region layers (the border, gaps and flows) or
instead of them (the bands), or underneath as a grey outline (the countries). A gap's line is as
wide as the index difference and coloured by the side that leads; a flow's line is as wide as
its value, one layer per flow type and unit, and a directed flow ends in an arrowhead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from borderland.maps.layers import (
    BANDS_LAYER,
    BORDER_LAYER,
    BORDER_WIDTH_PX,
    COUNTRY_LAYER,
    FLOW_MAX_WIDTH_PX,
    FLOW_MIN_WIDTH_PX,
    GAP_DASH,
    GAP_DASH_LEGEND_WIDTH_PX,
    GAP_LAYER,
    GAP_MAX_WIDTH_PX,
    GAP_MIN_WIDTH_PX,
    NO_DATA,
    TRADE_PREFIX,
    FeatureLayer,
    LegendItem,
    _missing,
    _number,
    _text,
)
from borderland.maps.palettes import (
    BORDER_COLOUR,
    EQUAL_COLOUR,
    FLOW_COLOURS,
    LEADER_COLOURS,
    NO_DATA_COLOUR,
    _ordinal_colours,
)

__all__ = ["ARROW_MAX_M", "ARROW_MIN_M", "ARROW_SHARE", "flow_directed", "flow_groups"]

#: An arrowhead is this share of its flow line long, within the bounds (metres).
ARROW_SHARE: Final = 0.15
ARROW_MIN_M: Final = 8_000.0
ARROW_MAX_M: Final = 60_000.0


def _band_order(bands: pd.Series) -> list[str]:
    """Band labels in distance order: a categorical's order, else by the number they start with."""
    if isinstance(bands.dtype, pd.CategoricalDtype):
        return [str(c) for c in bands.cat.categories if (bands == c).any()]
    labels = sorted({_text(b) for b in bands if not _missing(b)})

    def start(label: str) -> tuple[float, str]:
        match = re.match(r"\s*(\d+(?:\.\d+)?)", label)
        return (float(match.group(1)) if match else math.inf, label)

    return sorted(labels, key=start)


_BARE_BAND: Final = re.compile(r"\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?|\+)")


def _bands_layer(bands: gpd.GeoDataFrame, palette: str) -> FeatureLayer:
    order = _band_order(bands["band"])
    colours = dict(zip(order, _ordinal_colours(palette, len(order)), strict=True))
    # area_km2 as borderland.border.distance_bands computes it, else from the polygons (projected CRS)
    areas = pd.to_numeric(bands["area_km2"], errors="coerce") if "area_km2" in bands.columns else \
        bands.geometry.area / 1e6
    # labels such as "0-25" (borderland.border.band_label) carry no unit: the heading does
    name = f"{BANDS_LAYER} (km)" if order and all(_BARE_BAND.fullmatch(label) for label in order) else BANDS_LAYER
    labels = [_text(b) for b in bands["band"]]
    properties = tuple({"band": label or NO_DATA, "country": _text(c), "area": _number(a, "{:,.0f} km²")}
                       for label, c, a in zip(labels, bands["country"], areas, strict=True))
    styles = tuple({"fillColor": colours.get(label, NO_DATA_COLOUR)} for label in labels)
    legend = [LegendItem("swatch", label, colours[label]) for label in order]
    legend.append(LegendItem("note", "distance from the state border"))
    geoms = bands.geometry.to_numpy()
    present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    return FeatureLayer(
        "bands", name, bands.geometry, {"color": "#ffffff", "weight": 0.5, "fillOpacity": 0.85},
        styles, properties, (("Band", "band"), ("Country", "country"), ("Area", "area")), tuple(legend),
        base=True, coverage=bool(len(present)) and bool(shapely.coverage_is_valid(present)),
    )


def _gap_width(abs_gap: float, scale: float) -> float:
    return max(GAP_MIN_WIDTH_PX, GAP_MAX_WIDTH_PX * abs_gap / scale) if scale > 0 else GAP_MIN_WIDTH_PX


def _noncomparable(pairs: pd.DataFrame) -> list[str]:
    """Per pair, the components whose definition differs across it; empty when none (or not known).

    Read from the optional :data:`PAIR_COMPARABILITY_COLUMNS`: a pair is marked when
    ``comparable`` is false (or, without that column, when ``noncomparable_components`` names any).
    """
    texts = (pairs["noncomparable_components"].map(_text) if "noncomparable_components" in pairs.columns
             else pd.Series("", index=pairs.index))
    if "comparable" not in pairs.columns:
        return texts.tolist()
    flags = pairs["comparable"].astype("boolean")
    return [(text or "a component") if flag is False else ""
            for flag, text in zip(flags.tolist(), texts.tolist(), strict=True)]


def _gaps_layer(pairs: gpd.GeoDataFrame) -> FeatureLayer:
    """Cross-border pairs with data on both sides; width by |gap|, colour by the leading side.

    A gap that rests on a component defined differently on the two sides (the optional
    :data:`PAIR_COMPARABILITY_COLUMNS`) is dashed (:data:`GAP_DASH`), and its tooltip and the
    legend name the component.
    """
    cross_border = pairs["cross_border"].astype("boolean").fillna(False).astype(bool)
    gap = pd.to_numeric(pairs["gap"], errors="coerce")
    gaps = pairs[cross_border & gap.notna()]
    scale = float(pd.to_numeric(gaps["abs_gap"]).max()) if len(gaps) else 0.0
    leading = [
        _text(row.country_a) if row.gap > 0 else _text(row.country_b) if row.gap < 0 else None
        for row in gaps.itertuples(index=False)
    ]
    leaders = {c: LEADER_COLOURS[i % len(LEADER_COLOURS)]
               for i, c in enumerate(sorted({c for c in leading if c is not None}))}
    differ = _noncomparable(gaps)
    properties = tuple(
        {"tooltip": f"{_text(row.name_a)} – {_text(row.name_b)}: gap {float(row.gap):+.3f} "
                    f"({'equal' if leader is None else f'{leader} side leads'}), "
                    f"{_number(row.shared_border_km, '{:.1f} km')} shared border"
                    + (f"; the definition of {components} differs across the border" if components else "")}
        for row, leader, components in zip(gaps.itertuples(index=False), leading, differ, strict=True)
    )
    styles = tuple(
        {"color": EQUAL_COLOUR if leader is None else leaders[leader],
         "weight": round(_gap_width(float(row.abs_gap), scale), 2),
         **({"dashArray": GAP_DASH} if components else {})}
        for row, leader, components in zip(gaps.itertuples(index=False), leading, differ, strict=True)
    )
    legend: list[LegendItem] = []
    if scale > 0:
        legend.append(LegendItem("note", "line width ∝ |index difference|"))
        legend += [LegendItem("line", f"{scale * share:.3f}", EQUAL_COLOUR, _gap_width(scale * share, scale))
                   for share in (1.0, 0.5, 0.25)]
        legend += [LegendItem("swatch", f"{country} side leads", colour) for country, colour in leaders.items()]
        if None in leading:
            legend.append(LegendItem("swatch", "equal", EQUAL_COLOUR))
        named = sorted({c for components in differ for c in components.split(", ") if c})
        if named:
            legend.append(LegendItem("line", f"dashed: definition of {', '.join(named)} differs across the "
                                             f"border ({sum(1 for d in differ if d)})",
                                     EQUAL_COLOUR, GAP_DASH_LEGEND_WIDTH_PX, dash=GAP_DASH))
    else:
        legend.append(LegendItem("note", "no cross-border pair with data on both sides"))
    return FeatureLayer("gaps", GAP_LAYER, gaps.geometry, {"opacity": 0.85, "lineCap": "butt"}, styles,
                        properties, (("", "tooltip"),), tuple(legend))


def _border_layer(border_lines: gpd.GeoDataFrame) -> FeatureLayer:
    properties = tuple(
        {"tooltip": f"{_text(a)} – {_text(b)} state border: {_number(length, '{:.1f} km')}"}
        for a, b, length in zip(
            border_lines["country_a"], border_lines["country_b"], border_lines["length_km"], strict=True
        )
    )
    return FeatureLayer(
        "border", BORDER_LAYER, border_lines.geometry,
        {"color": BORDER_COLOUR, "weight": BORDER_WIDTH_PX, "opacity": 1}, tuple({} for _ in properties),
        properties, (("", "tooltip"),), (LegendItem("line", "land border between states", BORDER_COLOUR,
                                                   BORDER_WIDTH_PX),),
    )


def _countries_layer(countries: gpd.GeoDataFrame) -> FeatureLayer:
    return FeatureLayer(
        "countries", COUNTRY_LAYER, countries.geometry,
        {"color": "#8c8c8c", "weight": 1, "fillColor": "#f2f2f2", "fillOpacity": 1},
        tuple({} for _ in range(len(countries))), tuple({"country": _text(c)} for c in countries["country"]),
        (), (), coverage=True,
    )


def _arrowhead(line: shapely.LineString) -> tuple[shapely.LineString, shapely.Polygon | None]:
    """Shorten a flow line and return it with a triangle at its destination end."""
    coords = np.asarray(line.coords)
    length = float(line.length)
    if length == 0 or len(coords) < 2:
        return line, None
    head = min(max(ARROW_SHARE * length, ARROW_MIN_M), ARROW_MAX_M, length / 2)
    tip = coords[-1]
    base = np.asarray(line.interpolate(length - head).coords[0])
    direction = (tip - base) / np.hypot(*(tip - base))
    normal = np.array([-direction[1], direction[0]]) * head * 0.5
    triangle = shapely.Polygon([tip, base + normal, base - normal, tip])
    shortened = shapely.ops.substring(line, 0, length - head * 0.5)
    return (shortened if isinstance(shortened, shapely.LineString) else line), triangle


def _year(value: Any) -> str:
    """A year as written: ``2018``, not ``2018.0``."""
    if _missing(value):
        return ""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return str(value) if pd.isna(number) or number != int(number) else str(int(number))


def _flow_name(flow_type: str, unit: str) -> str:
    return f"{TRADE_PREFIX}{flow_type.replace('_', ' ')}" + (f" ({unit})" if unit else "")


def flow_groups(flows: pd.DataFrame) -> list[tuple[str, str]]:
    """The (flow type, unit) groups of trade flows, sorted: one map layer each, in this order.

    Values in different units do not compare, so each group gets a layer (and a width scale) of
    its own.

    Examples
    --------
    >>> flow_groups(pd.DataFrame({"flow_type": ["imports", "exports", "imports"], "unit": ["USD"] * 3}))
    [('exports', 'USD'), ('imports', 'USD')]
    """
    return sorted(set(zip(flows["flow_type"].map(_text), flows["unit"].map(_text), strict=True)))


def flow_directed(flows: pd.DataFrame) -> pd.Series:
    """Whether each flow has a direction (drawn with an arrowhead): all but turnover (``both_ways``)."""
    if "direction" in flows.columns:
        return flows["direction"].map(_text) != "both_ways"
    return flows["flow_type"].map(_text) != "turnover"


def _flow_layers(flows: gpd.GeoDataFrame) -> list[FeatureLayer]:
    """One layer per flow type and unit (values of different units are not comparable)."""
    values = pd.to_numeric(flows["value"], errors="coerce")
    keys = list(zip(flows["flow_type"].map(_text), flows["unit"].map(_text), strict=True))
    directed = flow_directed(flows)
    layers = []
    for number, (flow_type, unit) in enumerate(flow_groups(flows)):
        colour = FLOW_COLOURS[number % len(FLOW_COLOURS)]
        rows = [i for i, key in enumerate(keys) if key == (flow_type, unit) and not _missing(values.iloc[i])]
        scale = float(values.iloc[rows].abs().max()) if rows else 0.0
        geoms: list[Any] = []
        styles: list[Mapping[str, Any]] = []
        props: list[Mapping[str, str]] = []
        heads: list[tuple[Any, Mapping[str, Any], Mapping[str, str]]] = []
        for i in rows:
            row = flows.iloc[i]
            value = float(values.iloc[i])
            width = round(max(FLOW_MIN_WIDTH_PX, FLOW_MAX_WIDTH_PX * abs(value) / scale) if scale else
                          FLOW_MIN_WIDTH_PX, 2)
            ends = [_text(row.get(f"{end}_name")) or _text(row[end]) for end in ("origin", "destination")]
            arrow = "→" if directed.iloc[i] else "↔"
            period = _text(row.get("period"))
            year = _year(row["year"]) + (f" ({period})" if period not in ("", "year") else "")
            text = {"flow": f"{ends[0]} {arrow} {ends[1]}", "value": f"{value:,.6g} {_text(row['unit'])}".strip(),
                    "year": year or NO_DATA, "source": _text(row["source"]) or NO_DATA}
            line = row.geometry
            head = None
            if directed.iloc[i] and isinstance(line, shapely.LineString):
                line, head = _arrowhead(line)
            geoms.append(line)
            styles.append({"color": colour, "weight": width})
            props.append(text)
            if head is not None:
                heads.append((head, {"color": colour, "weight": 1, "fill": True, "fillColor": colour,
                                     "fillOpacity": 1}, text))
        # arrowheads after the lines, so that they are drawn on top
        geoms += [h[0] for h in heads]
        styles += [h[1] for h in heads]
        props += [h[2] for h in heads]
        legend = [LegendItem("note", "line width ∝ value")]
        legend += [LegendItem("line", f"{scale * share:,.4g} {unit}".strip(), colour,
                              max(FLOW_MIN_WIDTH_PX, FLOW_MAX_WIDTH_PX * share))
                   for share in (1.0, 0.5, 0.25)] if scale else []
        legend.append(LegendItem("note", "arrowhead at the destination" if heads else "no direction (both ways)"))
        without = sum(1 for key, value in zip(keys, values, strict=True)
                      if key == (flow_type, unit) and _missing(value))
        if without:
            legend.append(LegendItem("note", f"{without} flow(s) without a value not drawn"))
        layers.append(FeatureLayer(
            "trade", _flow_name(flow_type, unit), gpd.GeoSeries(geoms, crs=flows.crs),
            {"opacity": 0.8, "lineCap": "butt"}, tuple(styles), tuple(props),
            (("Flow", "flow"), ("Value", "value"), ("Year", "year"), ("Source", "source")), tuple(legend),
        ))
    return layers
