r"""Interactive, offline HTML maps of a cross-border digital divide.

:func:`map_layers` turns the frames the pipeline assembles (regions, the state border, the pair
table and, when given, distance bands and trade flows) into map layers with their classes,
colours, legends and tooltip texts. :func:`divide_map` draws those layers with folium, one named
layer per map kind, combined under a layer control; :func:`map_html` renders the map to one
self-contained page, :func:`map_fragment` to a fixed-size ``<div>`` to paste into a report, and
:func:`write_map` writes either atomically. :mod:`borderland.staticmaps` draws the same layers
with matplotlib, for PNG, SVG and PDF reports.

Four properties are designed in rather than hoped for:

* **offline** -- Leaflet's JavaScript and CSS (with its images as ``data:`` URIs) are inlined from
  the ``django-js-lib-leaflet`` package; folium's CDN links (jQuery, Bootstrap, awesome-markers)
  are dropped because nothing here uses them, and no tile layer is added;
* **safe** -- every string that comes from data reaches the page either as HTML-escaped text in
  the static markup (title, legend, credits, layer names) or as a JSON string in a ``<script>``
  with ``<``, ``>``, ``&``, quotes, backticks and ``$`` written as ``\uXXXX`` escapes; tooltips
  are built in the browser with ``textContent``, never ``innerHTML``;
* **deterministic** -- folium names every element with a random hex id; the ids are replaced by
  a counter in tree order (with a prefix in fragments), so the same inputs give the same bytes;
* **small** -- polygons are simplified as coverages (shared edges stay shared), rounded to the
  precision the zoom range needs, and written as integer steps rather than decimal degrees.

The JavaScript and CSS live in ``maps/templates/`` (``borderland/templates`` in a wheel). folium,
branca and mapclassify are imported inside the functions: importing folium takes about a second
and the rest of borderland must import fast.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import functools
import hashlib
import html
import importlib.resources
import itertools
import json
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from borderland.errors import CRSError, InputError, OutputError, SchemaError, collect
from borderland.io import atomic_path, package_data

if TYPE_CHECKING:
    import folium
    from branca.element import Element, Figure

__all__ = [
    "KINDS", "FeatureLayer", "LegendItem", "MapLayers", "RegionLayer", "divide_map", "map_fragment",
    "map_html", "map_layers", "palette_colours", "precision_for_zoom", "write_map", "write_map_outputs",
]

#: The map kinds: each is one or more named layers, combinable in one map.
KINDS: Final[Mapping[str, str]] = {
    "index": "digitalisation index in classes (regions.index)",
    "typology": "leader / moderate / lagging (regions.typology)",
    "indicator": "any numeric column of the regions in classes, with its unit (columns=...)",
    "rings": "border rings: 1 touches the state border, k is k - 1 steps inland (regions.border_order)",
    "bands": "distance bands from the state border (bands=..., e.g. borderland.border.distance_bands)",
    "population": "share of the population near the border (regions[population_column])",
    "uncertainty": "typology, outlined where the class is unstable (regions[probability_column])",
    "gaps": "cross-border index gaps, one line per cross-border pair (pairs)",
    "trade": "trade flows, one layer per flow type and unit (flows=...)",
}

#: Kinds that colour the region polygons; they are alternatives (one shown at a time).
REGION_KINDS: Final = ("index", "typology", "indicator", "rings", "population", "uncertainty")

#: Columns each input frame must have (besides its geometry).
REGION_COLUMNS: Final = ("name", "country")
BORDER_COLUMNS: Final = ("country_a", "country_b", "length_km")
PAIR_COLUMNS: Final = (
    "region_a", "region_b", "name_a", "name_b", "country_a", "country_b",
    "cross_border", "shared_border_km", "gap", "abs_gap",
)
COUNTRY_COLUMNS: Final = ("country",)
BAND_COLUMNS: Final = ("band", "country")
FLOW_COLUMNS: Final = ("origin", "destination", "value", "unit", "flow_type", "year", "source")

#: Default columns of the population and uncertainty kinds.
#: (:func:`borderland.exposure.population_near_border` and :func:`borderland.robustness.uncertainty` name them so.)
POPULATION_COLUMN: Final = "population_within_25km_pct"
PROBABILITY_COLUMN: Final = "p_typology"
STABLE_PROBABILITY: Final = 0.8

#: Names of the fixed layers, as listed in the layer control.
INDEX_LAYER: Final = "Digitalisation index"
TYPOLOGY_LAYER: Final = "Typology"
RINGS_LAYER: Final = "Border rings"
BANDS_LAYER: Final = "Distance bands"
UNCERTAINTY_LAYER: Final = "Typology: class stability"
BORDER_LAYER: Final = "State border"
GAP_LAYER: Final = "Cross-border gaps"
COUNTRY_LAYER: Final = "Countries"
REGIONS_LAYER: Final = "Regions"

NO_DATA: Final = "no data"
NO_DATA_COLOUR: Final = "#d9d9d9"

#: Typology classes, best first, and their colours.
TYPOLOGY_COLOURS: Final[Mapping[str, str]] = {
    "leader": "#1b7837",
    "moderate": "#a6dba0",
    "lagging": "#762a83",
}

#: ColorBrewer palette of each classed kind unless ``palette`` is given; rings and bands are
#: ordinal, darkest next to the border.
DEFAULT_PALETTES: Final[Mapping[str, str]] = {
    "index": "YlGnBu", "indicator": "Blues", "population": "OrRd", "rings": "YlOrBr_r", "bands": "PuBu_r",
}
MAX_CLASSES: Final = 9  # ColorBrewer's sequential palettes stop at nine

#: Colours of the leading side of a cross-border gap (ColorBrewer Dark2 without its green,
#: which would read as part of the index palette), assigned to countries in code order.
LEADER_COLOURS: Final = ("#d95f02", "#7570b3", "#e7298a", "#e6ab02", "#a6761d", "#666666")
EQUAL_COLOUR: Final = "#444444"

#: Width in pixels of the line of the largest cross-border gap; other gaps are proportional.
GAP_MAX_WIDTH_PX: Final = 12.0
GAP_MIN_WIDTH_PX: Final = 1.0
BORDER_COLOUR: Final = "#1a1a1a"
BORDER_WIDTH_PX: Final = 3.5

#: Outline of a region whose class is unstable (probability of its class below the threshold).
UNSTABLE_COLOUR: Final = "#000000"
UNSTABLE_WIDTH_PX: Final = 2.5
UNSTABLE_DASH: Final = "5 4"

#: Trade flows: one colour per layer (flow type and unit), widths like the gaps.
#: (ColorBrewer Set1 with its blue last: blue lines vanish on the blue index classes)
FLOW_COLOURS: Final = ("#e41a1c", "#ff7f00", "#984ea3", "#a65628", "#f781bf", "#377eb8")
#: Trade layers are named with this prefix; they start hidden so that the divide stays readable.
TRADE_PREFIX: Final = "Trade: "
#: The initial view frames the land border with this margin (km), not every far-off island.
VIEW_MARGIN_KM: Final = 250.0
FLOW_MAX_WIDTH_PX: Final = 8.0
FLOW_MIN_WIDTH_PX: Final = 1.5
#: An arrowhead is this share of its flow line long, within the bounds (metres).
ARROW_SHARE: Final = 0.15
ARROW_MIN_M: Final = 8_000.0
ARROW_MAX_M: Final = 60_000.0

#: Unit of a column, by the end of its name, when ``units`` does not say.
UNIT_SUFFIXES: Final[Mapping[str, str]] = {
    "_km2": "km²", "_km": "km", "_pct": "%", "_share": "share", "_usd": "USD", "_eur": "EUR",
    "_million_usd": "million USD", "_million_eur": "million EUR", "_persons": "persons",
}
#: Units shown in another unit: a share (0..1) as a percentage.
DISPLAY_UNITS: Final[Mapping[str, tuple[str, float]]] = {"share": ("%", 100.0)}

#: Leaflet 1.9.4 as shipped by the django-js-lib-leaflet wheel, and the same release on a CDN.
_LEAFLET_PACKAGE: Final = "js_lib_leaflet"
_LEAFLET_CDN: Final = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/"
_COUNTRY_PANE: Final = "borderland-countries"
_LINE_PANE: Final = "borderland-lines"
_REGION_PANE: Final = "overlayPane"

#: Zoom levels of the map; the coordinate precision follows from the deepest.
MIN_ZOOM: Final = 2
MAX_ZOOM: Final = 12

#: Size of a fragment in CSS pixels (width, height) unless given.
FRAGMENT_SIZE_PX: Final = (960, 640)
_PREFIX: Final = re.compile(r"[A-Za-z0-9]{1,32}")

_REGION_STYLE: Final[Mapping[str, Any]] = {"color": "#ffffff", "weight": 1, "fillOpacity": 0.85}
_REGION_HIGHLIGHT: Final[Mapping[str, Any]] = {"color": "#000000", "weight": 3}
#: Regions under lines alone: lighter than the "no data" grey, which they are not.
PLAIN_REGION_COLOUR: Final = "#f7f7f7"
_PLAIN_REGION_STYLE: Final[Mapping[str, Any]] = {"color": "#bdbdbd", "weight": 1, "fillColor": PLAIN_REGION_COLOUR,
                                                 "fillOpacity": 1}

_JS_STRING_ESCAPES: Final = str.maketrans({
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
    "`": "\\u0060", "$": "\\u0024", "\u2028": "\\u2028", "\u2029": "\\u2029",
})


def _js(value: Any) -> str:
    r"""JSON for a ``<script>`` element: no character of it can end the element or open markup.

    The escaped characters can only occur inside JSON strings, where ``\uXXXX`` means the same.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(
        _JS_STRING_ESCAPES
    )


def _text(value: Any) -> str:
    """Return a data value as display text, a missing value as the empty string."""
    return "" if _missing(value) else str(value)


def _number(value: Any, template: str) -> str:
    """Format a number for display, or say "no data"."""
    return NO_DATA if _missing(value) else template.format(float(value))


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


# -- the layers, independent of how they are drawn ---------------------------------------------


@dataclasses.dataclass(frozen=True)
class LegendItem:
    """One row of a legend.

    Attributes
    ----------
    shape
        ``"swatch"`` (a filled box), ``"outline"`` (a box with a dashed outline), ``"line"`` (a
        line ``width_px`` wide) or ``"note"`` (text only).
    label
        The text, as plain text (escaped by whoever draws it).
    colour
        Fill or line colour, ``#rrggbb``.
    width_px
        Line width in CSS pixels.
    """

    shape: Literal["swatch", "outline", "line", "note"]
    label: str
    colour: str = ""
    width_px: float = 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class RegionLayer:
    """A map kind that colours the region polygons.

    Attributes
    ----------
    kind
        Key of :data:`KINDS`.
    name
        Layer name in the layer control and legend heading.
    key
        Property holding the tooltip text; the fill colour is in ``<key>_fill``.
    label
        Row label in the region tooltip.
    fill
        Fill colour of each region, indexed like the regions.
    text
        Tooltip text of each region (value with unit, or "no data").
    legend
        Legend rows.
    unstable
        Regions drawn with a dashed outline (uncertainty kind only).
    """

    kind: str
    name: str
    key: str
    label: str
    fill: pd.Series
    text: pd.Series
    legend: tuple[LegendItem, ...]
    unstable: pd.Series | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class FeatureLayer:
    """A layer with geometries of its own: countries, bands, the border, gaps or trade flows.

    Attributes
    ----------
    kind
        Key of :data:`KINDS`, or ``"border"`` / ``"countries"``.
    name
        Layer name in the layer control and legend heading.
    geometry
        The features, in the projected CRS of the regions.
    style
        Leaflet path options shared by every feature (``color``, ``weight``, ``fillColor``, ...).
    feature_styles
        Per-feature path options overriding ``style`` (e.g. a width by value).
    properties
        Per-feature tooltip texts.
    fields
        Tooltip rows: (label, property); empty for no tooltip.
    legend
        Legend rows.
    base
        Drawn instead of the region layers (bands) rather than over them.
    coverage
        The polygons tile the plane without overlaps, so shared edges are simplified together.
    """

    kind: str
    name: str
    geometry: gpd.GeoSeries
    style: Mapping[str, Any]
    feature_styles: tuple[Mapping[str, Any], ...]
    properties: tuple[Mapping[str, str], ...]
    fields: tuple[tuple[str, str], ...]
    legend: tuple[LegendItem, ...]
    base: bool = False
    coverage: bool = False


@dataclasses.dataclass(frozen=True, eq=False)
class MapLayers:
    """Everything a map shows, in drawing order, for :func:`divide_map` and the static maps.

    Attributes
    ----------
    kinds
        The kinds drawn, in the order given.
    regions
        The regions (projected), whose polygons the region layers colour.
    region_layers
        One per region kind, in ``kinds`` order.
    base
        Alternatives shown one at a time (region layers and bands), first shown first.
    overlays
        Lines drawn over them: the state border, gaps and trade flows.
    countries
        The grey country outline underneath, when countries were given.
    fields
        Rows of the region tooltip: (label, property).
    properties
        Tooltip texts and fill colours of each region, in ``regions`` order.
    """

    kinds: tuple[str, ...]
    regions: gpd.GeoDataFrame
    region_layers: tuple[RegionLayer, ...]
    base: tuple[RegionLayer | FeatureLayer, ...]
    overlays: tuple[FeatureLayer, ...]
    countries: FeatureLayer | None
    fields: tuple[tuple[str, str], ...]
    properties: tuple[dict[str, Any], ...]


# -- palettes and classes ----------------------------------------------------------------------


@functools.cache
def _palette_names() -> tuple[str, ...]:
    import branca

    info = json.loads((Path(branca.__file__).parent / "scheme_info.json").read_text(encoding="utf-8"))
    # qualitative palettes have no order, so they cannot show classes of a quantity
    return tuple(sorted(name for name, kind in info.items() if kind != "Qualitative"))


@functools.cache
def palette_colours(name: str, n: int) -> tuple[str, ...]:
    """The ``n`` colours of a ColorBrewer palette, lightest first (darkest first with ``_r``).

    Parameters
    ----------
    name
        A sequential or diverging ColorBrewer palette (``"YlGnBu"``, ``"Blues"``, ...); append
        ``_r`` to reverse it.
    n
        Number of colours, at least 1; below 3 they are taken from the three-class palette.

    Returns
    -------
    tuple of str
        ``#rrggbb`` colours.

    Raises
    ------
    SchemaError
        The palette is unknown or ``n`` is below 1.

    Examples
    --------
    >>> palette_colours("YlGnBu", 3)
    ('#edf8b1', '#7fcdbb', '#2c7fb8')
    """
    from branca.utilities import color_brewer

    base = name.removesuffix("_r")
    if base not in _palette_names():
        raise SchemaError(f"unknown palette {name!r}; choose one of {list(_palette_names())} "
                          "(add _r to reverse one)")
    if not isinstance(n, int) or n < 1:
        raise SchemaError(f"a palette needs at least one colour, not {n!r}")
    if n >= 3:
        colours = color_brewer(name, n)
    else:
        three = color_brewer(name, 3)
        colours = [three[1]] if n == 1 else [three[0], three[2]]
    return tuple(str(c).lower() for c in colours)


def _quantiles(values: np.ndarray, k: int) -> Any:
    import mapclassify

    return mapclassify.Quantiles(values, k=k)


def _natural_breaks(values: np.ndarray, k: int) -> Any:
    import mapclassify

    # Fisher-Jenks is the exact, deterministic optimum; mapclassify.NaturalBreaks samples at random
    return mapclassify.FisherJenks(values, k=k)


def _equal_interval(values: np.ndarray, k: int) -> Any:
    import mapclassify

    return mapclassify.EqualInterval(values, k=k)


#: Classification schemes for the classed layers (index, indicators, population).
SCHEMES: Final[Mapping[str, Callable[[np.ndarray, int], Any]]] = {
    "quantiles": _quantiles,
    "natural_breaks": _natural_breaks,
    "equal_interval": _equal_interval,
}


@dataclasses.dataclass(frozen=True)
class _Unit:
    """How to show the values of a column: the unit written and the factor to it."""

    label: str = ""
    factor: float = 1.0

    def heading(self, name: str) -> str:
        return f"{name} ({self.label})" if self.label else name


def _unit(column: str, units: Mapping[str, str] | None) -> _Unit:
    """The unit of a column: from ``units``, else from the end of its name (``_km``, ``_share``)."""
    unit = (units or {}).get(column)
    if unit is None:
        # the longest suffix wins: "_million_usd" before "_usd"
        suffix = max((s for s in UNIT_SUFFIXES if column.endswith(s)), key=len, default=None)
        unit = UNIT_SUFFIXES[suffix] if suffix else ""
    label, factor = DISPLAY_UNITS.get(unit, (unit, 1.0))
    return _Unit(label, factor)


def _decimals(values: np.ndarray) -> int:
    """Decimals that show about three significant digits of the spread of ``values``."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0
    spread = float(finite.max() - finite.min()) or float(np.abs(finite).max())
    if spread == 0:
        return 0
    return int(min(6, max(0, 2 - math.floor(math.log10(spread)))))


def _check_classes(scheme: str, k: int) -> None:
    if scheme not in SCHEMES:
        raise SchemaError(f"unknown classification scheme {scheme!r}; choose one of {sorted(SCHEMES)}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_CLASSES:
        raise SchemaError(f"k is {k!r}; expected a whole number of classes from 1 to {MAX_CLASSES}")


def _ordinal_colours(palette: str, n: int) -> tuple[str, ...]:
    """``n`` colours of a reversed palette, darkest first, without the lightest: it would vanish on white."""
    return palette_colours(palette, n + 1)[:n] if n else ()


def _classify(values: pd.Series, scheme: str, k: int) -> tuple[pd.Series, list[tuple[float, float, int]]]:
    """Class number of each region (NA without data), and each class's (low, high, count)."""
    _check_classes(scheme, k)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    valid = numbers.notna() & np.isfinite(numbers)
    classes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if not valid.any():
        return classes, []
    data = numbers[valid].to_numpy()
    k = min(k, len(np.unique(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not enough unique values": k is capped above
        result = SCHEMES[scheme](data, k)
    bins = np.asarray(result.bins, dtype=float)
    classes[valid] = np.asarray(result.yb, dtype=int)
    lows = [float(data.min()), *bins[:-1]]
    counts = classes.value_counts()
    return classes, [(float(low), float(high), int(counts.get(i, 0)))
                     for i, (low, high) in enumerate(zip(lows, bins, strict=True))]


def _classed_layer(
    kind: str, name: str, key: str, label: str, values: pd.Series, *, scheme: str, k: int, palette: str,
    unit: _Unit, decimals: int | None = None,
) -> RegionLayer:
    """A choropleth in classes: colours, tooltip texts with the unit, and a legend with counts."""
    classes, rows = _classify(values, scheme, k)
    numbers = pd.to_numeric(values, errors="coerce").astype(float) * unit.factor
    places = _decimals(numbers.to_numpy()) if decimals is None else decimals
    colours = palette_colours(palette, len(rows)) if rows else ()
    fill = pd.Series([NO_DATA_COLOUR if _missing(c) else colours[int(c)] for c in classes], index=values.index)
    suffix = f" {unit.label}" if unit.label else ""
    text = pd.Series([NO_DATA if _missing(c) else f"{v:,.{places}f}{suffix}" for c, v in zip(classes, numbers,
                                                                                                  strict=True)],
                     index=values.index)
    legend = [LegendItem("swatch", f"{low * unit.factor:,.{places}f} – {high * unit.factor:,.{places}f} ({count})",
                         colour)
              for colour, (low, high, count) in zip(colours, rows, strict=True)]
    legend.append(LegendItem("swatch", f"{NO_DATA} ({int(classes.isna().sum())})", NO_DATA_COLOUR))
    legend.append(LegendItem("note", f"{scheme.replace('_', ' ')}, {len(rows)} classes"))
    return RegionLayer(kind, unit.heading(name), key, label, fill, text, tuple(legend))


def _typology_fill(typology: pd.Series) -> tuple[pd.Series, pd.Series, list[LegendItem]]:
    text = typology.map(_text)
    counts = text.value_counts()
    legend = [LegendItem("swatch", f"{name} ({int(counts.get(name, 0))})", colour)
              for name, colour in TYPOLOGY_COLOURS.items()]
    legend.append(LegendItem("swatch", f"{NO_DATA} ({int(counts.get('', 0))})", NO_DATA_COLOUR))
    fill = text.map(lambda t: TYPOLOGY_COLOURS.get(t, NO_DATA_COLOUR))
    return fill, text.replace("", NO_DATA), legend


def _typology_layer(regions: gpd.GeoDataFrame) -> RegionLayer:
    fill, text, legend = _typology_fill(regions["typology"])
    return RegionLayer("typology", TYPOLOGY_LAYER, "typology", "Typology", fill, text, tuple(legend))


def _rings_layer(regions: gpd.GeoDataFrame, palette: str) -> RegionLayer:
    order = pd.to_numeric(regions["border_order"], errors="coerce")
    # rings beyond the palette's nine classes share the last one
    ring = order.clip(upper=MAX_CLASSES)
    n = int(ring.max()) if ring.notna().any() else 0
    colours = _ordinal_colours(palette, n)
    fill = pd.Series([NO_DATA_COLOUR if _missing(r) else colours[int(r) - 1] for r in ring], index=regions.index)
    text = pd.Series([_number(v, "{:.0f}") for v in order], index=regions.index)
    counts = ring.value_counts()
    legend = []
    for r in range(1, n + 1):
        label = ("ring 1: touches the border" if r == 1
                 else f"ring {r} or more" if r == MAX_CLASSES and order.max() > MAX_CLASSES else f"ring {r}")
        legend.append(LegendItem("swatch", f"{label} ({int(counts.get(r, 0))})", colours[r - 1]))
    legend.append(LegendItem("swatch", f"{NO_DATA} ({int(ring.isna().sum())})", NO_DATA_COLOUR))
    legend.append(LegendItem("note", "steps inland over regions of the same country"))
    return RegionLayer("rings", RINGS_LAYER, "border_order", "Border order", fill, text, tuple(legend))


def _population_name(column: str) -> str:
    match = re.search(r"within_(\d+(?:\.\d+)?)_?km", column)
    if match:
        return f"Population within {match.group(1)} km of the border"
    return f"Population near the border ({column})"


def _uncertainty_layer(regions: gpd.GeoDataFrame, column: str, threshold: float) -> RegionLayer:
    fill, _, legend = _typology_fill(regions["typology"])
    probability = pd.to_numeric(regions[column], errors="coerce").astype(float)
    unstable = (probability < threshold).fillna(False).astype(bool)
    text = pd.Series([NO_DATA if _missing(p) else f"{p:.2f}" + (" (unstable)" if u else "")
                      for p, u in zip(probability, unstable, strict=True)], index=regions.index)
    legend.append(LegendItem("outline", f"probability of the class below {threshold:.2f} "
                                        f"({int(unstable.sum())})", "#ffffff"))
    if probability.isna().any():
        legend.append(LegendItem("note", f"no probability for {int(probability.isna().sum())} region(s)"))
    return RegionLayer("uncertainty", UNCERTAINTY_LAYER, "probability", "Class probability", fill, text,
                       tuple(legend), unstable)


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


def _gaps_layer(pairs: gpd.GeoDataFrame) -> FeatureLayer:
    """Cross-border pairs with data on both sides; width by |gap|, colour by the leading side."""
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
    properties = tuple(
        {"tooltip": f"{_text(row.name_a)} – {_text(row.name_b)}: gap {float(row.gap):+.3f} "
                    f"({'equal' if leader is None else f'{leader} side leads'}), "
                    f"{_number(row.shared_border_km, '{:.1f} km')} shared border"}
        for row, leader in zip(gaps.itertuples(index=False), leading, strict=True)
    )
    styles = tuple(
        {"color": EQUAL_COLOUR if leader is None else leaders[leader],
         "weight": round(_gap_width(float(row.abs_gap), scale), 2)}
        for row, leader in zip(gaps.itertuples(index=False), leading, strict=True)
    )
    legend: list[LegendItem] = []
    if scale > 0:
        legend.append(LegendItem("note", "line width ∝ |index difference|"))
        legend += [LegendItem("line", f"{scale * share:.3f}", EQUAL_COLOUR, _gap_width(scale * share, scale))
                   for share in (1.0, 0.5, 0.25)]
        legend += [LegendItem("swatch", f"{country} side leads", colour) for country, colour in leaders.items()]
        if None in leading:
            legend.append(LegendItem("swatch", "equal", EQUAL_COLOUR))
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
    return shortened, triangle


def _year(value: Any) -> str:
    """A year as written: ``2018``, not ``2018.0``."""
    if _missing(value):
        return ""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return str(value) if pd.isna(number) or number != int(number) else str(int(number))


def _flow_name(flow_type: str, unit: str) -> str:
    return f"{TRADE_PREFIX}{flow_type.replace('_', ' ')}" + (f" ({unit})" if unit else "")


def _flow_layers(flows: gpd.GeoDataFrame) -> list[FeatureLayer]:
    """One layer per flow type and unit (values of different units are not comparable)."""
    values = pd.to_numeric(flows["value"], errors="coerce")
    keys = list(zip(flows["flow_type"].map(_text), flows["unit"].map(_text), strict=True))
    groups = sorted(set(keys))
    directed = (flows["direction"].map(_text) != "both_ways" if "direction" in flows.columns
                else flows["flow_type"].map(_text) != "turnover")
    layers = []
    for number, (flow_type, unit) in enumerate(groups):
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


@dataclasses.dataclass(frozen=True, eq=False)
class _Inputs:
    """What the layer builders read: the frames and the options of :func:`map_layers`."""

    regions: gpd.GeoDataFrame
    pairs: gpd.GeoDataFrame | None
    bands: gpd.GeoDataFrame | None
    flows: gpd.GeoDataFrame | None
    columns: tuple[str, ...]
    units: Mapping[str, str]
    scheme: str
    k: int
    palette: str | None
    population_column: str
    probability_column: str
    stable_probability: float

    def classed(self, kind: str, name: str, key: str, label: str, column: str, unit: _Unit | None = None,
                decimals: int | None = None) -> RegionLayer:
        return _classed_layer(kind, name, key, label, self.regions[column], scheme=self.scheme, k=self.k,
                              palette=self.palette or DEFAULT_PALETTES[kind],
                              unit=_unit(column, self.units) if unit is None else unit, decimals=decimals)


#: How each map kind is built: kind -> its layers (region layers, bands, or lines over them).
_BUILDERS: Final[Mapping[str, Callable[[_Inputs], list[RegionLayer] | list[FeatureLayer]]]] = {
    "index": lambda i: [i.classed("index", INDEX_LAYER, "index", "Index", "index", unit=_Unit(), decimals=3)],
    "typology": lambda i: [_typology_layer(i.regions)],
    "indicator": lambda i: [i.classed("indicator", column, f"indicator_{n}", column, column)
                            for n, column in enumerate(i.columns)],
    "rings": lambda i: [_rings_layer(i.regions, DEFAULT_PALETTES["rings"])],
    "bands": lambda i: [_bands_layer(cast(gpd.GeoDataFrame, i.bands), DEFAULT_PALETTES["bands"])],
    "population": lambda i: [i.classed("population", _population_name(i.population_column), "population",
                                       "Population near the border", i.population_column)],
    "uncertainty": lambda i: [_uncertainty_layer(i.regions, i.probability_column, i.stable_probability)],
    "gaps": lambda i: [_gaps_layer(cast(gpd.GeoDataFrame, i.pairs))],
    "trade": lambda i: _flow_layers(cast(gpd.GeoDataFrame, i.flows)),
}


# -- input checks ------------------------------------------------------------------------------


def _resolve_kinds(
    kinds: str | Sequence[str] | None, regions: gpd.GeoDataFrame, *, columns: Sequence[str],
    pairs: gpd.GeoDataFrame | None, bands: gpd.GeoDataFrame | None, flows: gpd.GeoDataFrame | None,
    population_column: str, probability_column: str,
) -> tuple[str, ...]:
    """The kinds to draw, in order: as given, or every kind whose input is present."""
    if kinds is None:
        has = set(regions.columns) if isinstance(regions, pd.DataFrame) else set()
        optional = {"indicator": bool(columns), "population": population_column in has,
                    "uncertainty": probability_column in has, "bands": bands is not None,
                    "gaps": pairs is not None, "trade": flows is not None}
        return tuple(kind for kind in KINDS if optional.get(kind, True))
    chosen = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown:
        raise SchemaError(f"unknown map kind(s) {unknown}; choose from {list(KINDS)}")
    if not chosen:
        raise SchemaError(f"no map kind chosen; choose one or more of {list(KINDS)}")
    needs = {"indicator": (not columns, "columns=[...] naming numeric columns of the regions"),
             "bands": (bands is None, "bands=, the distance bands (band, country, polygons)"),
             "trade": (flows is None, "flows=, the trade flow lines"),
             "gaps": (pairs is None, "pairs, the adjacent region pairs with their gaps")}
    problems = [f"kind {kind!r} needs {what}" for kind, (lacking, what) in needs.items()
                if kind in chosen and lacking]
    if columns and "indicator" not in chosen:
        problems.append(f"columns {list(columns)} given, but the kinds {chosen} have no 'indicator' to draw them")
    collect(problems, SchemaError, "map kinds")
    return tuple(dict.fromkeys(chosen))


def _required_region_columns(kinds: Sequence[str], columns: Sequence[str], population_column: str,
                             probability_column: str) -> list[str]:
    by_kind = {"index": ["index"], "typology": ["typology"], "rings": ["border_order"],
               "indicator": list(columns), "population": [population_column],
               "uncertainty": ["typology", probability_column]}
    required = list(REGION_COLUMNS)
    for kind in kinds:
        required += [c for c in by_kind.get(kind, []) if c not in required]
    return required


def _check_frame(label: str, frame: Any, required: Sequence[str], reference: Any, schema: list[str],
                 crs: list[str]) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        schema.append(f"{label} is a {type(frame).__name__}; expected a GeoDataFrame")
        return
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:
        schema.append(f"{label} has several columns named {repeated}; keep one of each")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        schema.append(f"{label} lacks column(s) {missing}; expected {list(required)}")
    if frame.empty and label != "regions":
        return  # nothing to draw, nothing to convert
    if frame.crs is None:
        crs.append(f"{label} has no CRS; set the projected CRS of the study (e.g. EPSG:3035)")
    elif not frame.crs.is_projected:
        crs.append(
            f"{label} is in {frame.crs.to_string()}, a geographic CRS; the map takes projected layers "
            "(metres, e.g. EPSG:3035) and converts them to EPSG:4326 itself"
        )
    elif reference is not None and frame.crs != reference:
        crs.append(f"{label} is in {frame.crs.to_string()} but regions in {reference.to_string()}; "
                   "reproject every layer once, at the start")


def _check_inputs(
    frames: Mapping[str, gpd.GeoDataFrame | None], kinds: Sequence[str], *, columns: Sequence[str],
    population_column: str, probability_column: str, stable_probability: float,
) -> None:
    """Report every problem with the map inputs at once."""
    required = {
        "regions": _required_region_columns(kinds, columns, population_column, probability_column),
        "border_lines": BORDER_COLUMNS, "pairs": PAIR_COLUMNS, "countries": COUNTRY_COLUMNS,
        "bands": BAND_COLUMNS, "flows": FLOW_COLUMNS,
    }
    # a frame no chosen kind draws is not read, so it is not checked either
    used = {"regions", "border_lines", "countries"}
    used.update(label for label, kind in (("pairs", "gaps"), ("bands", "bands"), ("flows", "trade"))
                if kind in kinds)
    schema: list[str] = []
    crs: list[str] = []
    regions = frames["regions"]
    reference = regions.crs if isinstance(regions, gpd.GeoDataFrame) else None
    for label, frame in frames.items():
        if frame is not None and label in used:
            _check_frame(label, frame, required[label], reference, schema, crs)
    # a repeated column name is reported above; its values cannot be read as one column
    if isinstance(regions, gpd.GeoDataFrame) and not regions.columns.duplicated().any():
        if regions.empty:
            schema.append("regions is empty; the map needs at least one region")
        if "typology" in regions.columns and {"typology", "uncertainty"} & set(kinds):
            unknown = sorted({str(v) for v in regions["typology"] if not _missing(v)} - set(TYPOLOGY_COLOURS))
            if unknown:
                schema.append(f"regions.typology holds {unknown}; expected one of {list(TYPOLOGY_COLOURS)} "
                              "or a missing value")
        numeric = list(columns) if "indicator" in kinds else []
        numeric += [population_column] if "population" in kinds else []
        numeric += [probability_column] if "uncertainty" in kinds else []
        for column in numeric:
            if column in regions.columns and not pd.api.types.is_numeric_dtype(regions[column]):
                schema.append(f"regions.{column} holds non-numeric values (dtype {regions[column].dtype}); "
                              "expected numbers (convert it with pandas.to_numeric)")
        if "uncertainty" in kinds and probability_column in regions.columns and \
                pd.api.types.is_numeric_dtype(regions[probability_column]):
            outside = regions[probability_column].dropna()
            outside = outside[(outside < 0) | (outside > 1)]
            if len(outside):
                schema.append(f"regions.{probability_column} has values outside 0..1 (e.g. "
                              f"{outside.index[0]}: {outside.iloc[0]}); expected a probability")
        empty = regions.geometry.isna() | regions.geometry.is_empty
        if empty.any():
            schema.append(f"regions {list(regions.index[empty][:5])} have no geometry")
    flows = frames.get("flows")
    if "trade" in kinds and isinstance(flows, gpd.GeoDataFrame) and not flows.empty:
        kinds_found = set(flows.geom_type.dropna()) - {"LineString", "MultiLineString"}
        if kinds_found:
            schema.append(f"flows holds {sorted(kinds_found)} geometries; expected lines from origin to destination "
                          "(borderland.trade.flow_lines)")
        if "value" in flows.columns and not pd.api.types.is_numeric_dtype(flows["value"]):
            schema.append(f"flows.value holds non-numeric values (dtype {flows['value'].dtype}); expected numbers")
    if not 0 < stable_probability <= 1:
        schema.append(f"stable_probability is {stable_probability!r}; expected a probability in (0, 1]")
    collect(crs, CRSError, "map layers")
    collect(schema, SchemaError, "map inputs")


# -- the model ---------------------------------------------------------------------------------


def _unique_names(layers: Sequence[RegionLayer | FeatureLayer]) -> None:
    """Number repeated layer names: the layer control lists layers by name."""
    seen: collections.Counter[str] = collections.Counter()
    for layer in layers:
        seen[layer.name] += 1
        if seen[layer.name] > 1:
            object.__setattr__(layer, "name", f"{layer.name} ({seen[layer.name]})")


def map_layers(
    regions: gpd.GeoDataFrame,
    border_lines: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | None = None,
    *,
    kinds: str | Sequence[str] | None = None,
    columns: Sequence[str] = (),
    units: Mapping[str, str] | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    palette: str | None = None,
    countries: gpd.GeoDataFrame | None = None,
    bands: gpd.GeoDataFrame | None = None,
    flows: gpd.GeoDataFrame | None = None,
    population_column: str = POPULATION_COLUMN,
    probability_column: str = PROBABILITY_COLUMN,
    stable_probability: float = STABLE_PROBABILITY,
) -> MapLayers:
    """Classes, colours, legends and tooltip texts of every layer of a map, ready to draw.

    The interactive map (:func:`divide_map`) and the static maps
    (:func:`borderland.staticmaps.static_map`) both draw from this, so they show the same
    classes in the same colours. Parameters are those of :func:`divide_map`.

    Returns
    -------
    MapLayers
        The layers in drawing order.
    """
    if isinstance(columns, str):
        columns = [columns]
    _check_classes(scheme, k)
    if palette is not None:
        palette_colours(palette, 3)  # fail early on an unknown name
    chosen = _resolve_kinds(kinds, regions, columns=columns, pairs=pairs, bands=bands, flows=flows,
                            population_column=population_column, probability_column=probability_column)
    _check_inputs({"regions": regions, "border_lines": border_lines, "pairs": pairs, "countries": countries,
                   "bands": bands, "flows": flows}, chosen, columns=columns, population_column=population_column,
                  probability_column=probability_column, stable_probability=stable_probability)

    inputs = _Inputs(regions=regions, pairs=pairs, bands=bands, flows=flows, columns=tuple(columns),
                     units=dict(units or {}), scheme=scheme, k=k, palette=palette,
                     population_column=population_column, probability_column=probability_column,
                     stable_probability=stable_probability)
    region_layers: list[RegionLayer] = []
    base: list[RegionLayer | FeatureLayer] = []
    overlays: list[FeatureLayer] = [_border_layer(border_lines)]
    for kind in chosen:
        for layer in _BUILDERS[kind](inputs):
            if isinstance(layer, RegionLayer):
                region_layers.append(layer)
                base.append(layer)
            elif layer.base:
                base.append(layer)
            else:
                overlays.append(layer)

    _unique_names([*base, *overlays])
    fields: list[tuple[str, str]] = [("Region", "name"), ("Code", "region_id"), ("Country", "country")]
    by_kind = {layer.kind: layer for layer in region_layers}
    for kind in ("index", "typology"):
        if kind in by_kind:
            fields.append((by_kind[kind].label, by_kind[kind].key))
    if "border_distance_km" in regions.columns:
        fields.append(("Distance to border", "border_distance_km"))
    fields += [(layer.label, layer.key) for layer in region_layers if layer.kind not in ("index", "typology")]
    # values filled in by imputation are named in the tooltip, never passed off as observed
    imputed = regions[[c for c in regions.columns if str(c).endswith("_imputed")]].fillna(False).astype(bool)
    imputed_text = None
    if imputed.to_numpy().any():
        imputed_text = imputed.apply(
            lambda row: ", ".join(c.removesuffix("_imputed") for c, flag in row.items() if flag) or "none", axis=1)
        fields.append(("Imputed", "imputed"))

    properties = []
    records = regions[list(REGION_COLUMNS)].to_dict("records")
    distance = regions["border_distance_km"] if "border_distance_km" in regions.columns else None
    for position, (code, row) in enumerate(zip(regions.index, records, strict=True)):
        props: dict[str, Any] = {"region_id": _text(code), "name": _text(row["name"]),
                                 "country": _text(row["country"])}
        if distance is not None:
            props["border_distance_km"] = _number(distance.iloc[position], "{:.1f} km")
        if imputed_text is not None:
            props["imputed"] = imputed_text.iloc[position]
        for layer in region_layers:
            props[layer.key] = layer.text.iloc[position]
            props[f"{layer.key}_fill"] = layer.fill.iloc[position]
            if layer.unstable is not None and layer.unstable.iloc[position]:
                props.update({"uncertainty_line": UNSTABLE_COLOUR, "uncertainty_weight": UNSTABLE_WIDTH_PX,
                              "uncertainty_dash": UNSTABLE_DASH})
        properties.append(props)
    return MapLayers(
        kinds=chosen, regions=regions, region_layers=tuple(region_layers), base=tuple(base),
        overlays=tuple(overlays), countries=None if countries is None or countries.empty else _countries_layer(
            countries), fields=tuple(fields), properties=tuple(properties),
    )


# -- geometry ----------------------------------------------------------------------------------


def precision_for_zoom(max_zoom: int) -> int:
    """Decimals of a degree that keep every vertex within a pixel at zoom ``max_zoom``.

    A pixel at zoom z spans 360 / (256 · 2^z) degrees of longitude at the equator, less
    elsewhere; the decimals are the fewest whose step is no larger.

    Examples
    --------
    >>> precision_for_zoom(12), precision_for_zoom(8)
    (4, 3)
    """
    return max(0, math.ceil(math.log10(256 * 2**max_zoom / 360)))


def _display_geometry(
    geometry: gpd.GeoSeries, tolerance_m: float, precision: int, *, coverage: bool
) -> np.ndarray:
    """Simplify in the projected CRS, convert to EPSG:4326 and round to ``precision`` decimals."""
    geoms = geometry.to_numpy()
    if len(geoms) == 0:
        return geoms
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if tolerance_m > 0 and present.any():
        simplified = geoms.copy()
        if coverage:
            # coverage simplification moves a shared edge the same way on both sides: no slivers
            simplified[present] = shapely.coverage_simplify(geoms[present], tolerance_m)
        else:
            simplified[present] = shapely.simplify(geoms[present], tolerance_m, preserve_topology=True)
        geoms = simplified
    lonlat = gpd.GeoSeries(geoms, crs=geometry.crs).to_crs(4326).to_numpy()
    return shapely.transform(lonlat, lambda xy: np.round(xy, precision))


_DEPTHS: Final = {"LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}


def _encode(geometry: Mapping[str, Any], scale: int) -> dict[str, Any]:
    """A GeoJSON geometry with every line as integer steps of ``1 / scale`` degree.

    ``[x0, y0, dx1, dy1, ...]`` is about half as long as ``[[x0, y0], [x1, y1], ...]`` in decimal
    degrees; the page decodes it before Leaflet draws it.
    """
    def line(points: Any) -> list[int]:
        grid = np.rint(np.asarray(points, dtype=float).reshape(-1, 2) * scale).astype(np.int64)
        steps = np.diff(grid, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        return [int(v) for v in steps.ravel()]

    def walk(coordinates: Any, depth: int) -> Any:
        return line(coordinates) if depth == 1 else [walk(part, depth - 1) for part in coordinates]

    kind = geometry["type"]
    if kind not in _DEPTHS:
        raise SchemaError(f"cannot draw a {kind}; expected lines or polygons")
    return {"type": kind, "coordinates": walk(geometry["coordinates"], _DEPTHS[kind])}


def _features(geoms: np.ndarray, properties: Sequence[Mapping[str, Any]], precision: int) -> dict[str, Any]:
    scale = 10**precision
    features = [
        {"type": "Feature", "id": i, "properties": dict(props),
         "geometry": _encode(shapely.geometry.mapping(geom), scale)}
        for i, (geom, props) in enumerate(zip(geoms, properties, strict=True))
        if geom is not None and not geom.is_empty
    ]
    return {"scale": scale, "features": features}


# -- legend ------------------------------------------------------------------------------------


def _legend_item_html(item: LegendItem) -> str:
    label = html.escape(item.label)
    if item.shape == "note":
        return f'<div class="note">{label}</div>'
    if item.shape == "line":
        return (f'<div><span class="line" style="height:{item.width_px:.1f}px;background:{item.colour}"></span>'
                f"{label}</div>")
    outline = " outline" if item.shape == "outline" else ""
    return f'<div><span class="swatch{outline}" style="background:{item.colour}"></span>{label}</div>'


def _legend_html(name: str, items: Sequence[LegendItem]) -> str:
    return f"<h4>{html.escape(name)}</h4>" + "".join(_legend_item_html(item) for item in items)


# -- folium plumbing ---------------------------------------------------------------------------


@functools.cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, the CSS with its images inlined as ``data:`` URIs."""
    try:
        folder = importlib.resources.files(_LEAFLET_PACKAGE) / "static" / _LEAFLET_PACKAGE
        script = (folder / "leaflet.js").read_text(encoding="utf-8")
        css = (folder / "leaflet.css").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise InputError(
            "the offline map inlines Leaflet from the package django-js-lib-leaflet, which is missing "
            f"({exc}); run pip install 'django-js-lib-leaflet==1.9.4.1' or pass offline=False"
        ) from exc

    def inline(match: re.Match[str]) -> str:
        data = (folder / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"""url\(['"]?images/([\w.-]+\.png)['"]?\)""", inline, css)
    # the source map is not shipped inside the page; a dangling reference only makes devtools ask for it
    script = re.sub(r"//# sourceMappingURL=\S+\s*$", "", script)
    if re.search(r"</script|<!--", script, re.IGNORECASE) or re.search(r"</style", css, re.IGNORECASE):
        raise InputError("Leaflet from django-js-lib-leaflet cannot be inlined safely; install 1.9.4.1")
    return script, css


@functools.cache
def _template(name: str) -> str:
    """A file of ``maps/templates`` (``borderland/templates`` in a wheel)."""
    path = package_data("templates") / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"map template {str(path)!r} is missing; reinstall borderland") from None


def _macro(name: str, template: str, parent: Element, **attributes: Any) -> Any:
    """Add to ``parent`` a folium element rendered from the template file ``template``."""
    from folium.elements import MacroElement
    from folium.template import Template

    element = MacroElement()
    element._name = name
    element._template = Template(_template(template))
    for key, value in attributes.items():
        setattr(element, key, value)
    parent.add_child(element)
    return element


def _data(m: folium.Map, name: str, helpers: Element, geoms: np.ndarray, properties: Sequence[Mapping[str, Any]],
          precision: int) -> Any:
    """Add the features as a JavaScript variable, which layers then draw."""
    return _macro(name, "data.js.j2", m, helpers=helpers, data_json=_js(_features(geoms, properties, precision)))


def _geojson_layer(
    parent: folium.Map, data: Element, helpers: Element, *, name: str, base: bool, show: bool,
    pane: str, style: Mapping[str, Any], style_keys: Mapping[str, str],
    fields: Sequence[tuple[str, str]] = (), highlight: Mapping[str, Any] | None = None,
    interactive: bool = True, front_key: str | None = None,
) -> Any:
    """Add a Leaflet GeoJSON layer drawn from ``data``, listed in the layer control as ``name``."""
    from folium.map import Layer
    from folium.template import Template

    # Leaflet's layer control writes names with innerHTML: escape them (folium's tojson adds the JS escaping)
    layer = Layer(name=html.escape(name), overlay=not base, control=True, show=show)
    layer._name = "GeoJsonLayer"
    layer._template = Template(_template("geojson_layer.js.j2"))
    attributes = {
        "data": data,
        "helpers": helpers,
        "pane_json": _js(pane),
        "interactive_json": _js(interactive),
        "style_json": _js(dict(style)),
        "style_keys_json": _js(dict(style_keys)),
        "fields_json": _js([list(f) for f in fields]) if fields else "",
        "highlight_json": _js(dict(highlight)) if highlight else "",
        "front_key_json": _js(front_key) if front_key else "",
    }
    for key, value in attributes.items():  # read by geojson_layer.js.j2
        setattr(layer, key, value)
    parent.add_child(layer)
    return layer


def _add_shown_layers(m: folium.Map) -> None:
    """Add the shown layers to the map by elements of their own, rendered in tree order.

    folium's ``Layer.render`` would create a new, randomly named element for that on every
    render, so a second render (e.g. after a notebook displayed the map) would differ.
    """
    from folium.map import Layer

    for layer in [child for child in m._children.values() if isinstance(child, Layer) and child.show]:
        layer.show = False
        _macro("AddLayer", "add_layer.js.j2", m, layer=layer)


def _number_elements(root: Element, prefix: str = "") -> None:
    """Replace folium's random element ids by a counter in tree order, so output is reproducible.

    ``prefix`` goes before each number, so that two maps on one page have different names.
    """
    counter = itertools.count()

    def visit(element: Element) -> None:
        element._id = f"{prefix}{next(counter)}"
        parts = [getattr(element, part) for part in ("header", "html", "script") if hasattr(element, part)]
        for part in parts:
            if hasattr(part, "_children"):
                visit(part)
        renamed: collections.OrderedDict[str, Element] = collections.OrderedDict()
        for key, child in element._children.items():
            keyed_by_name = key == child.get_name()
            visit(child)
            renamed[child.get_name() if keyed_by_name else key] = child
        element._children = renamed

    visit(root)


def _base_map(title: str, offline: bool, centre: tuple[float, float], max_zoom: int) -> folium.Map:
    """Start a map without tiles: Leaflet inlined (offline) or from a CDN with OpenStreetMap tiles."""
    import folium
    from branca.element import Element as BrancaElement
    from folium.map import CustomPane

    # a quarter-step zoom lets fitBounds fill the window; offline there are no tiles to keep aligned
    m = folium.Map(location=list(centre), zoom_start=7, tiles=None, control_scale=True, zoom_snap=0.25)
    # folium's min_zoom / max_zoom only reach a tile layer; these are the map's own
    m.options.update(minZoom=MIN_ZOOM, maxZoom=max_zoom)
    figure = cast("Figure", m.get_root())
    figure.title = html.escape(title)
    if offline:
        # instance attributes: folium's class-level lists (jQuery, Bootstrap, ...) stay untouched
        m.default_js, m.default_css = [], []
        script, css = _leaflet_assets()
        figure.header.add_child(BrancaElement(f"<style>{css}</style>"), name="leaflet_css")
        figure.header.add_child(BrancaElement(f"<script>{script}</script>"), name="leaflet")
    else:
        m.default_js = [("leaflet", _LEAFLET_CDN + "leaflet.js")]
        m.default_css = [("leaflet_css", _LEAFLET_CDN + "leaflet.css")]
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=True, control=True,
                         max_zoom=max_zoom).add_to(m)
    # panes keep the outline under and the lines over whichever region layer is switched on
    CustomPane(_COUNTRY_PANE, z_index=350, pointer_events=False).add_to(m)
    CustomPane(_LINE_PANE, z_index=450, pointer_events=True).add_to(m)
    return m


#: Names of the JavaScript variables holding each kind's features (``gap_data_12``).
_DATA_NAMES: Final = {"countries": "CountryData", "bands": "BandData", "border": "BorderData", "gaps": "GapData",
                      "trade": "FlowData"}


def _style_keys(styles: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {key: key for key in sorted({key for style in styles for key in style})}


def _feature_layer(m: folium.Map, helpers: Element, layer: FeatureLayer, *, show: bool, tolerance_m: float,
                   precision: int, pane: str) -> Any:
    geoms = _display_geometry(layer.geometry, tolerance_m, precision, coverage=layer.coverage)
    properties = [{**props, **style} for props, style in zip(layer.properties, layer.feature_styles, strict=True)]
    data = _data(m, _DATA_NAMES[layer.kind], helpers, geoms, properties, precision)
    lines = layer.kind in ("gaps", "trade")
    return _geojson_layer(m, data, helpers, name=layer.name, base=layer.base, show=show, pane=pane,
                          style=layer.style, style_keys=_style_keys(layer.feature_styles), fields=layer.fields,
                          highlight={"opacity": 1} if lines else _REGION_HIGHLIGHT if layer.base else None,
                          interactive=bool(layer.fields))


# -- public API --------------------------------------------------------------------------------


def divide_map(
    regions: gpd.GeoDataFrame,
    border_lines: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | None,
    *,
    title: str,
    attribution: str | Sequence[str],
    countries: gpd.GeoDataFrame | None = None,
    offline: bool = True,
    precision: int | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    simplify_tolerance_m: float = 250.0,
    kinds: str | Sequence[str] | None = None,
    columns: Sequence[str] = (),
    units: Mapping[str, str] | None = None,
    palette: str | None = None,
    bands: gpd.GeoDataFrame | None = None,
    flows: gpd.GeoDataFrame | None = None,
    population_column: str = POPULATION_COLUMN,
    probability_column: str = PROBABILITY_COLUMN,
    stable_probability: float = STABLE_PROBABILITY,
    max_zoom: int = MAX_ZOOM,
) -> folium.Map:
    """Build an interactive map of the digital divide across a state border.

    Each map kind of :data:`KINDS` is one named layer (trade flows one per flow type and
    unit). The kinds that colour the regions (index, typology, indicators, rings, population,
    uncertainty) and the distance bands are alternatives under the layer control, the first
    shown; the state border, cross-border gaps and trade flows are drawn over them, and the
    countries, when given, as a grey outline underneath. Regions without data are light grey and
    labelled "no data", never drawn as the lowest class. A legend (one section per layer, shown
    while the layer is), the title, the credits and a scale bar are included; the view fits the
    regions.

    Parameters
    ----------
    regions
        Regions indexed by region code, in a projected CRS, with ``name`` and ``country`` and the
        columns of the kinds drawn: ``index`` (0..1, NaN without data), ``typology``
        (``"leader"``, ``"moderate"``, ``"lagging"`` or missing), ``border_order``, the
        indicator ``columns``, ``population_column``, ``probability_column``; when present,
        ``border_distance_km`` is shown in the tooltip.
    border_lines
        The state border, in the CRS of ``regions``, with ``country_a``, ``country_b`` and
        ``length_km``.
    pairs
        Adjacent region pairs with ``region_a``, ``region_b``, ``name_a``, ``name_b``,
        ``country_a``, ``country_b``, ``cross_border``, ``shared_border_km``, ``gap``
        (index of a minus index of b) and ``abs_gap``; the geometry is the shared boundary.
        ``None`` when the gaps are not drawn.
    title
        Title shown on the map and as the page title.
    attribution
        Credit lines shown in the attribution control, e.g. ``"© EuroGeographics for the
        administrative boundaries"``; a single string is one line.
    countries
        Country polygons with a ``country`` column, drawn underneath as a grey outline.
    offline
        Inline Leaflet and add no tile layer, so that the file works without a network; when
        false, Leaflet is linked from a CDN and an OpenStreetMap tile layer is offered.
    precision
        Decimals of the longitude and latitude written; by default the fewest that keep a vertex
        within a pixel at ``max_zoom`` (4, about 10 m, for zoom 12).
    scheme
        Classification of the classed layers (index, indicators, population): one of
        :data:`SCHEMES` (``"quantiles"``, ``"natural_breaks"`` (Fisher-Jenks), ``"equal_interval"``).
    k
        Number of classes, at most 9; fewer when there are fewer distinct values.
    simplify_tolerance_m
        Tolerance of the display simplification in metres of the projected CRS; 0 keeps every
        vertex. Region, country and band polygons are simplified as coverages, so shared edges
        stay shared.
    kinds
        The map kinds to draw, in order (see :data:`KINDS`); by default every kind whose input is
        present: index, typology, indicators (when ``columns``), rings, population and
        uncertainty (when their columns exist), bands (when ``bands``), gaps and trade (when
        ``flows``).
    columns
        Numeric columns of ``regions`` drawn as indicator layers, one each.
    units
        Unit of a column, e.g. ``{"households_internet_access": "% of households"}``; by default
        read from the end of its name (``_km``, ``_pct``, ``_share`` shown as %).
    palette
        A ColorBrewer palette for every classed layer (see :func:`palette_colours`); by default
        each kind's own (:data:`DEFAULT_PALETTES`).
    bands
        Distance bands from the border, in the CRS of ``regions``: polygons with ``band`` (a label
        such as ``"0-25"``, in km, ordered by the number it starts with or by its categorical
        order) and ``country``, optionally ``area_km2``, as from
        :func:`borderland.border.distance_bands`.
    flows
        Trade flow lines from origin to destination, in the CRS of ``regions``, with ``origin``,
        ``destination``, ``value``, ``unit``, ``flow_type``, ``year`` and ``source`` (optionally
        ``direction``, ``origin_name``, ``destination_name``, ``period``), e.g. from
        :func:`borderland.trade.flow_lines`. Lines are as wide as their value; directed flows end
        in an arrowhead, turnover (``direction == "both_ways"``) does not.
    population_column
        Column of the population kind: the share of the region's population near the border, in %
        (``_pct``, as :func:`borderland.exposure.population_near_border` names it) or 0..1 (``_share``).
    probability_column
        Column of the uncertainty kind: probability (0..1) that the region belongs to its typology
        class, e.g. ``p_typology`` of :func:`borderland.robustness.uncertainty` (the share of Monte
        Carlo draws that gave it the class it has).
    stable_probability
        Regions below this probability get a dashed outline in the uncertainty layer.
    max_zoom
        Deepest zoom level offered; it sets the default ``precision``.

    Returns
    -------
    folium.Map
        The map; render it with :func:`map_html` or :func:`map_fragment`, or write it with
        :func:`write_map`.

    Raises
    ------
    SchemaError
        A frame lacks a column, a kind lacks its input, a typology is unknown, or an option is
        out of range.
    CRSError
        A frame has no CRS, a geographic one, or another CRS than ``regions``.
    """
    from folium.map import FitBounds, LayerControl

    problems = []
    if isinstance(max_zoom, bool) or not isinstance(max_zoom, int) or not MIN_ZOOM <= max_zoom <= 20:
        problems.append(f"max_zoom is {max_zoom!r}; expected a zoom level from {MIN_ZOOM} to 20")
    else:
        precision = precision_for_zoom(max_zoom) if precision is None else precision
    if precision is not None and (isinstance(precision, bool) or not isinstance(precision, int)
                                  or not 0 <= precision <= 15):
        problems.append(f"precision is {precision!r}; expected an integer number of decimals from 0 to 15")
    if not simplify_tolerance_m >= 0:
        problems.append(f"simplify_tolerance_m is {simplify_tolerance_m!r}; expected a distance in metres >= 0")
    collect(problems, SchemaError, "map options")
    digits = cast(int, precision)

    model = map_layers(regions, border_lines, pairs, kinds=kinds, columns=columns, units=units, scheme=scheme, k=k,
                       palette=palette, countries=countries, bands=bands, flows=flows,
                       population_column=population_column, probability_column=probability_column,
                       stable_probability=stable_probability)
    credits = [attribution] if isinstance(attribution, str) else list(attribution)
    region_geoms = _display_geometry(regions.geometry, simplify_tolerance_m, digits, coverage=True)
    west, south, east, north = (float(v) for v in shapely.total_bounds(region_geoms))
    m = _base_map(title, offline, centre=((south + north) / 2, (west + east) / 2), max_zoom=max_zoom)
    helpers = _macro("Helpers", "helpers.js.j2", m)
    sections: list[tuple[Any, str]] = []

    if model.countries is not None:
        _feature_layer(m, helpers, model.countries, show=True, tolerance_m=simplify_tolerance_m,
                       precision=digits, pane=_COUNTRY_PANE)

    region_data = None
    for position, layer in enumerate(model.base):
        if isinstance(layer, RegionLayer):
            if region_data is None:
                region_data = _data(m, "RegionData", helpers, region_geoms, model.properties, digits)
            style_keys = {"fillColor": f"{layer.key}_fill"}
            if layer.unstable is not None:
                style_keys.update(color="uncertainty_line", weight="uncertainty_weight", dashArray="uncertainty_dash")
            # base layers: the layer control offers them as alternatives (radio buttons)
            drawn = _geojson_layer(m, region_data, helpers, name=layer.name, base=True, show=position == 0,
                                   pane=_REGION_PANE, style=_REGION_STYLE, style_keys=style_keys,
                                   fields=model.fields, highlight=_REGION_HIGHLIGHT,
                                   front_key="uncertainty_dash" if layer.unstable is not None else None)
        else:
            drawn = _feature_layer(m, helpers, layer, show=position == 0, tolerance_m=simplify_tolerance_m,
                                   precision=digits, pane=_REGION_PANE)
        sections.append((drawn, _legend_html(layer.name, layer.legend)))
    if not model.base:  # lines alone (gaps, trade): the regions, plain, say where they run
        region_data = _data(m, "RegionData", helpers, region_geoms, model.properties, digits)
        _geojson_layer(m, region_data, helpers, name=REGIONS_LAYER, base=False, show=True, pane=_REGION_PANE,
                       style=_PLAIN_REGION_STYLE, style_keys={}, fields=model.fields, highlight=_REGION_HIGHLIGHT)

    # drawn in order: the gaps over the state border, which runs along every cross-border gap line
    for layer in model.overlays:
        # trade layers start hidden when every kind is drawn at once; asked for by name, they show
        hidden = kinds is None and layer.name.startswith(TRADE_PREFIX)
        drawn = _feature_layer(m, helpers, layer, show=not hidden,
                               tolerance_m=simplify_tolerance_m, precision=digits, pane=_LINE_PANE)
        sections.append((drawn, _legend_html(layer.name, layer.legend)))

    _add_shown_layers(m)
    _macro("Decoration", "decoration.html.j2", m, css=_template("borderland.css"), title_html=html.escape(title),
           sections=sections, credits_json=[_js(html.escape(credit)) for credit in credits])
    # a long list of layers would cover the map: it folds into the control's icon, opening on hover
    LayerControl(collapsed=len(model.base) + len(model.overlays) > 6).add_to(m)
    if len(border_lines) and not border_lines.geometry.is_empty.all():
        # frame the border (with a margin) rather than every region: Arctic islands would shrink the divide
        margin = VIEW_MARGIN_KM * 1000
        bx0, by0, bx1, by1 = border_lines.total_bounds
        frame = shapely.box(bx0 - margin, by0 - margin, bx1 + margin, by1 + margin)
        if not frame.contains(shapely.box(*regions.total_bounds)):
            view = regions.geometry.clip(frame).to_crs(4326)
            west, south, east, north = (float(v) for v in view.total_bounds)
    m.add_child(FitBounds([[south, west], [north, east]], padding=(10, 10)))
    _number_elements(m.get_root())
    return m


def _render(m: folium.Map, prefix: str = "") -> tuple[str, dict[str, Element], str, str]:
    """Render a map: the whole page, the header elements by name, the body and the script.

    Rendering leaves the map as it was: folium renders by appending to the figure's header, body
    and script, and restoring them keeps a second render from repeating the first one's
    statements.
    """
    figure = cast("Figure", m.get_root())
    parts = [getattr(figure, part) for part in ("header", "html", "script")]
    saved = [collections.OrderedDict(part._children) for part in parts]
    if prefix:
        _number_elements(figure, prefix)
    try:
        page = figure.render()
        header = dict(figure.header._children)
        return page, header, figure.html.render(), figure.script.render()
    finally:
        for part, children in zip(parts, saved, strict=True):
            part._children = children
        if prefix:
            _number_elements(figure)


def map_html(m: folium.Map) -> str:
    """Render a map to one standalone HTML document.

    Rendering leaves the map as it was, so the same map renders to the same string every time,
    and a map built twice from the same inputs by :func:`divide_map` renders identically. The
    page fills its window, so it also serves as the ``src`` of a fixed-size ``<iframe>``.

    Parameters
    ----------
    m
        A map from :func:`divide_map`.

    Returns
    -------
    str
        The HTML document.
    """
    return _render(m)[0]


def map_fragment(
    m: folium.Map,
    *,
    size_px: tuple[int, int] = FRAGMENT_SIZE_PX,
    id_prefix: str | None = None,
    include_leaflet: bool = True,
) -> str:
    """Render a map to one ``<div>`` of fixed size, with its styles and scripts inside, to paste into a page.

    There is no ``<html>``, ``<head>`` or ``<body>`` and no style that reaches outside the
    ``<div>``. Every element id and JavaScript name carries ``id_prefix``, so several maps can sit
    on one page. Leaflet is inlined (offline maps) but only runs when the page has no ``L`` yet,
    so a page of several fragments runs it once.

    Parameters
    ----------
    m
        A map from :func:`divide_map`.
    size_px
        Width and height in CSS pixels.
    id_prefix
        Letters and digits put before every id; by default ``"m"`` and the start of the SHA-256
        of the full page, so the same map gets the same prefix and different maps different ones.
    include_leaflet
        Include Leaflet's script and CSS; pass false when the page loads Leaflet 1.9 itself.

    Returns
    -------
    str
        The fragment.

    Raises
    ------
    SchemaError
        ``id_prefix`` has other characters than letters and digits, or the size is not positive.
    """
    problems = []
    if id_prefix is not None and not (isinstance(id_prefix, str) and _PREFIX.fullmatch(id_prefix)):
        problems.append(f"id_prefix is {id_prefix!r}; expected 1 to 32 letters and digits (it becomes part of "
                        "element ids and JavaScript names)")
    if not (len(size_px) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size_px)):
        problems.append(f"size_px is {size_px!r}; expected (width, height) in whole pixels > 0")
    collect(problems, SchemaError, "map fragment")
    prefix = id_prefix or "m" + hashlib.sha256(map_html(m).encode("utf-8")).hexdigest()[:10]
    _, header, body, script = _render(m, prefix + "_")
    width, height = size_px
    parts = [f'<div class="borderland-map" id="{prefix}" style="width:{width}px;height:{height}px">',
             # the page's viewport says nothing about the fragment's height: keep the legend inside it
             f"<style>#{prefix} .borderland-legend {{ max-height: {max(height - 120, 80)}px; }}</style>"]
    if include_leaflet:
        leaflet_js, leaflet_css = _leaflet_assets()
        if "leaflet" in header and leaflet_js in header["leaflet"].render():
            parts.append(f"<style>{leaflet_css}</style>")
            # a second fragment on the page finds L and skips this
            parts.append(f'<script>if (typeof L === "undefined") {{\n{leaflet_js}\n}}</script>')
        else:  # online: the CDN links
            parts += [header[name].render() for name in ("leaflet_css", "leaflet") if name in header]
    # every other header element (the viewport meta, page-wide html/body styles) is the page's business
    parts += [element.render() for name, element in header.items() if name.startswith("decoration_")]
    parts += [body, f"<script>{script}</script>", "</div>"]
    return "\n".join(parts) + "\n"


def write_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    fragment: bool = False,
    size_px: tuple[int, int] = FRAGMENT_SIZE_PX,
    id_prefix: str | None = None,
) -> Path:
    """Write a map as a standalone HTML file, or as a fragment to paste into a page, atomically.

    Parameters
    ----------
    m
        A map from :func:`divide_map`.
    path
        The HTML file to write.
    overwrite
        Replace an existing file; when false an existing file is an error and is left intact.
    fragment
        Write :func:`map_fragment` instead of a full page.
    size_px, id_prefix
        Of the fragment (see :func:`map_fragment`).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        The file exists and ``overwrite`` is false, or the folder is not writable.
    """
    text = map_fragment(m, size_px=size_px, id_prefix=id_prefix) if fragment else map_html(m)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return Path(path)


def write_map_outputs(
    regions: gpd.GeoDataFrame,
    border_lines: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | None,
    path: str | os.PathLike[str],
    *,
    title: str,
    attribution: str | Sequence[str],
    kind: str | Sequence[str] | None = None,
    column: str | Sequence[str] | None = None,
    classes: int = 5,
    scheme: str = "quantiles",
    palette: str | None = None,
    offline: bool = True,
    fragment: bool = False,
    png: bool = False,
    countries: gpd.GeoDataFrame | None = None,
    bands: gpd.GeoDataFrame | None = None,
    flows: gpd.GeoDataFrame | None = None,
    units: Mapping[str, str] | None = None,
    size_px: tuple[int, int] = FRAGMENT_SIZE_PX,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the map a ``borderland map`` command asks for: HTML page or fragment, and a PNG.

    The options are those of the command; everything is checked before anything is written, and
    with ``png`` nothing is written when either file exists and ``overwrite`` is false.

    Parameters
    ----------
    regions, border_lines, pairs
        As for :func:`divide_map`.
    path
        The HTML file; the PNG gets the same name with ``.png``.
    title, attribution
        Shown on the map.
    kind
        One map kind of :data:`KINDS` or several; by default every kind whose input is present.
        The PNG shows the first kind that is not ``"gaps"`` or ``"trade"`` with those two over
        it when they were chosen.
    column
        The column(s) of the ``"indicator"`` kind; giving one without ``kind`` draws that
        indicator alone.
    classes, scheme, palette
        Number of classes, classification scheme and ColorBrewer palette of the classed layers.
    offline
        Inline Leaflet (``--offline``, the default) or link it and offer tiles (``--online``).
    fragment
        Write a fixed-size fragment (``--fragment``) of ``size_px`` rather than a full page.
    png
        Also write a static PNG of the same classes and colours (``--png``).
    countries, bands, flows, units
        As for :func:`divide_map`.
    size_px
        Size of the fragment, in CSS pixels.
    overwrite
        Replace existing files.

    Returns
    -------
    dict of str to Path
        ``{"html": ...}`` and, with ``png``, ``{"png": ...}``; the file sizes tell the reader
        what they are about to embed.
    """
    columns = [] if column is None else [column] if isinstance(column, str) else list(column)
    kinds = kind if kind is not None else ["indicator"] if columns else None
    targets = {"html": Path(path)}
    if png:
        targets["png"] = targets["html"].with_suffix(".png")
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise OutputError(f"file(s) exist already: {', '.join(existing)}; pass --overwrite to replace them")
    m = divide_map(regions, border_lines, pairs, title=title, attribution=attribution, countries=countries,
                   offline=offline, scheme=scheme, k=classes, kinds=kinds, columns=columns, units=units,
                   palette=palette, bands=bands, flows=flows)
    static = None
    if png:
        from borderland.staticmaps import static_map

        # the PNG shows the first kind chosen, with the chosen line kinds over it
        chosen = _resolve_kinds(kinds, regions, columns=columns, pairs=pairs, bands=bands, flows=flows,
                                population_column=POPULATION_COLUMN, probability_column=PROBABILITY_COLUMN)
        static = functools.partial(
            static_map, regions, border_lines, pairs, kind=chosen[0],
            overlays=[k for k in chosen[1:] if k in ("gaps", "trade")], path=targets["png"], title=title,
            attribution=attribution, column=columns[0] if columns else None, scheme=scheme, k=classes,
            palette=palette, countries=countries, bands=bands, flows=flows, units=units, overwrite=overwrite,
        )
    written = {"html": write_map(m, targets["html"], overwrite=overwrite, fragment=fragment, size_px=size_px)}
    if static is not None:
        written["png"] = static()
    return written
