"""The map model: what the interactive map, the static map and the QGIS styles all draw.

:func:`map_model` checks the frames (regions, state border, pairs, countries, bands, flows)
against a :class:`~borderland.maps.spec.MapSpec` and turns them into layers with their
classes, colours, legends and tooltip texts, in drawing order. It is built once per run and
handed to every writer (:mod:`~borderland.maps.leaflet`, :mod:`~borderland.maps.static`,
:mod:`~borderland.maps.qgis`), so the three show the same classes in the same colours. A map
over the years (:func:`borderland.maps.trend.trend_model`) is the same model with a
:class:`Timeline`: every year's values in classes cut once over all of them, and layers of the
year shown (:meth:`MapModel.at_year`).

Nothing here draws: folium, branca and matplotlib are not imported (the ColorBrewer colours
come from :mod:`borderland.maps.palettes`), and the classes come from the registry of
:mod:`borderland.classify`, which mapclassify's import time kept out of the run. Styles are
written as Leaflet path options (``color``, ``weight``, ``fillColor``, ``fillOpacity``,
``opacity``, ``lineCap``), which the static and QGIS writers translate.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from borderland.classify import Classification, classify
from borderland.errors import CRSError, SchemaError, collect
from borderland.maps.palettes import palette_colours
from borderland.maps.spec import KINDS, MAX_CLASSES, MapSpec

__all__ = [
    "BAND_COLUMNS", "BORDER_COLUMNS", "COUNTRY_COLUMNS", "FLOW_COLUMNS", "GAP_DASH", "PAIR_COLUMNS",
    "PAIR_COMPARABILITY_COLUMNS", "REGION_COLUMNS", "FeatureLayer", "LegendItem", "MapModel", "RegionLayer",
    "Timeline", "fixed_text", "map_model", "year_classes",
]

#: Columns each input frame must have (besides its geometry).
REGION_COLUMNS: Final = ("name", "country")
BORDER_COLUMNS: Final = ("country_a", "country_b", "length_km")
PAIR_COLUMNS: Final = (
    "region_a", "region_b", "name_a", "name_b", "country_a", "country_b",
    "cross_border", "shared_border_km", "gap", "abs_gap",
)
#: Optional columns of the pairs: gaps that rest on a component defined differently on the two
#: sides (``comparable`` false) are dashed (:mod:`borderland.comparability`).
PAIR_COMPARABILITY_COLUMNS: Final = ("comparable", "noncomparable_components")
COUNTRY_COLUMNS: Final = ("country",)
BAND_COLUMNS: Final = ("band", "country")
FLOW_COLUMNS: Final = ("origin", "destination", "value", "unit", "flow_type", "year", "source")

#: Names of the fixed layers, as listed in the layer control and legend.
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

#: Colours of the leading side of a cross-border gap (ColorBrewer Dark2 without its green,
#: which would read as part of the index palette), assigned to countries in code order.
LEADER_COLOURS: Final = ("#d95f02", "#7570b3", "#e7298a", "#e6ab02", "#a6761d", "#666666")
EQUAL_COLOUR: Final = "#444444"

#: Width in pixels of the line of the largest cross-border gap; other gaps are proportional.
GAP_MAX_WIDTH_PX: Final = 12.0
GAP_MIN_WIDTH_PX: Final = 1.0
#: Dash pattern (Leaflet ``dashArray``: dash and gap in CSS pixels) of a gap that rests on a
#: component defined differently on the two sides of the border.
GAP_DASH: Final = "6 4"
GAP_DASH_LEGEND_WIDTH_PX: Final = 3.0
BORDER_COLOUR: Final = "#1a1a1a"
BORDER_WIDTH_PX: Final = 3.5

#: Outline of a region whose class is unstable (probability of its class below the threshold).
UNSTABLE_COLOUR: Final = "#000000"
UNSTABLE_WIDTH_PX: Final = 2.5
UNSTABLE_DASH: Final = "5 4"

#: Trade flows: one colour per layer (flow type and unit), widths like the gaps.
#: (ColorBrewer Set1 with its blue last: blue lines vanish on the blue index classes)
FLOW_COLOURS: Final = ("#e41a1c", "#ff7f00", "#984ea3", "#a65628", "#f781bf", "#377eb8")
#: Trade layers are named with this prefix; they start hidden when every kind is drawn at once.
TRADE_PREFIX: Final = "Trade: "
FLOW_MAX_WIDTH_PX: Final = 8.0
FLOW_MIN_WIDTH_PX: Final = 1.5
#: An arrowhead is this share of its flow line long, within the bounds (metres).
ARROW_SHARE: Final = 0.15
ARROW_MIN_M: Final = 8_000.0
ARROW_MAX_M: Final = 60_000.0

#: Regions under lines alone: lighter than the "no data" grey, which they are not.
PLAIN_REGION_COLOUR: Final = "#f7f7f7"

#: Unit of a column, by the end of its name, when ``units`` does not say.
UNIT_SUFFIXES: Final[Mapping[str, str]] = {
    "_km2": "km²", "_km": "km", "_pct": "%", "_share": "share", "_usd": "USD", "_eur": "EUR",
    "_million_usd": "million USD", "_million_eur": "million EUR", "_persons": "persons",
}
#: Units shown in another unit: a share (0..1) as a percentage.
DISPLAY_UNITS: Final[Mapping[str, tuple[str, float]]] = {"share": ("%", 100.0)}


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
    dash
        Dash pattern of a line, as Leaflet's ``dashArray`` (dash and gap lengths in CSS pixels,
        e.g. ``"6 4"``); empty for a solid line.
    """

    shape: Literal["swatch", "outline", "line", "note"]
    label: str
    colour: str = ""
    width_px: float = 0.0
    dash: str = ""


@dataclasses.dataclass(frozen=True, eq=False)
class RegionLayer:
    """A map kind that colours the region polygons.

    Attributes
    ----------
    kind
        Key of :data:`~borderland.maps.spec.KINDS`.
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
    bins
        Upper bounds of the classes of a classed layer (index, indicator, population), in the
        column's own unit; empty for other layers.
    """

    kind: str
    name: str
    key: str
    label: str
    fill: pd.Series
    text: pd.Series
    legend: tuple[LegendItem, ...]
    unstable: pd.Series | None = None
    bins: tuple[float, ...] = ()


@dataclasses.dataclass(frozen=True, eq=False)
class FeatureLayer:
    """A layer with geometries of its own: countries, bands, the border, gaps or trade flows.

    Attributes
    ----------
    kind
        Key of :data:`~borderland.maps.spec.KINDS`, or ``"border"`` / ``"countries"``.
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


Layer = RegionLayer | FeatureLayer


def fixed_text(quantum: int, decimals: int) -> str:
    """A whole number of ``10 ** -decimals`` steps as text, thousands separated: ``1234567, 3`` is ``1,234.567``.

    The page writes values as such integers and rebuilds their text with the same rule, in
    whole numbers, so that the page and the model show the same digits.

    Examples
    --------
    >>> fixed_text(523, 3), fixed_text(-5, 3), fixed_text(1234567, 2), fixed_text(7, 0)
    ('0.523', '-0.005', '12,345.67', '7')
    """
    digits = str(abs(quantum)).rjust(decimals + 1, "0")
    whole = f"{int(digits[:len(digits) - decimals]):,}"
    return ("-" if quantum < 0 else "") + whole + (f".{digits[len(digits) - decimals:]}" if decimals else "")


def _width_px(quantum: int, largest: int) -> float:
    """Line width of a gap of ``quantum`` steps when the largest is ``largest``: in hundredths of a pixel.

    Written with the operations the page repeats (``Math.round`` is ``floor(x + 0.5)``), so that
    both give the same width to the last bit.
    """
    if largest <= 0:
        return GAP_MIN_WIDTH_PX
    return math.floor(max(GAP_MIN_WIDTH_PX, GAP_MAX_WIDTH_PX * abs(quantum) / largest) * 100 + 0.5) / 100


@dataclasses.dataclass(frozen=True, eq=False)
class Timeline:
    """The years of a trend map: each region's value and each cross-border pair's gap, year by year.

    Built by :func:`borderland.maps.trend.trend_model`. The classes are cut once over every
    year's values, and the line widths scaled once to the largest gap of any year, so a colour
    or a width means the same in every year. Values and gaps are shown with ``decimals``
    decimals: as whole numbers of ``10 ** -decimals`` steps (:meth:`quantised`), which is also
    how the interactive map stores them.

    Attributes
    ----------
    years
        Every year of the tables, ascending.
    shown
        The year shown: first, by the interactive map; the only one, by a static map.
    value_label, gap_label
        What the values and the gaps are (``"index"``, ``"gap"``).
    decimals
        Decimals shown of values and gaps.
    values
        Value of each region (rows, indexed like the model's regions) in each year (columns);
        NaN where there is none.
    flags
        What is to be known about each value (``"2019 value carried to 2020"``,
        ``"interpolated"``), ``""`` where nothing is.
    classes
        Class of each value, 0 the lowest, -1 where there is no value.
    colours
        Colour of each class, lowest first.
    bins
        Upper bound of each class.
    legend
        The legend of the regions, the same for every year.
    lines
        The cross-border pairs (indexed by pair id) as lines, in the regions' CRS, with
        ``region_a``, ``region_b``, ``name_a``, ``name_b``, ``country_a`` and ``country_b``;
        ``None`` without gaps.
    gaps
        Gap of each pair (rows, like ``lines``) in each year (value of a minus value of b); NaN
        where there is none (the line is not drawn that year).
    gap_flags
        Why a gap is not comparable as it stands (``""`` where it is): such lines are dashed.
    leaders
        Colour of each country when its side leads, the same in every year.
    gap_legend
        The legend of the gap lines, the same for every year.
    """

    years: tuple[int, ...]
    shown: int
    value_label: str
    gap_label: str
    decimals: int
    values: pd.DataFrame
    flags: pd.DataFrame
    classes: pd.DataFrame
    colours: tuple[str, ...]
    bins: tuple[float, ...]
    legend: tuple[LegendItem, ...]
    lines: gpd.GeoDataFrame | None = None
    gaps: pd.DataFrame | None = None
    gap_flags: pd.DataFrame | None = None
    leaders: Mapping[str, str] = dataclasses.field(default_factory=dict)
    gap_legend: tuple[LegendItem, ...] = ()

    def quantised(self, frame: pd.DataFrame) -> np.ndarray:
        """Values (or gaps) as whole numbers of ``10 ** -decimals`` steps; 0 where missing."""
        numbers = frame.to_numpy(dtype=float) * 10.0**self.decimals
        return np.where(np.isfinite(numbers), np.rint(numbers), 0).astype(np.int64)

    def fill(self, year: int) -> pd.Series:
        """Fill colour of each region in ``year``: its class colour, or the "no data" grey."""
        return pd.Series([self.colours[c] if c >= 0 else NO_DATA_COLOUR for c in self.classes[year].tolist()],
                         index=self.classes.index, dtype=object)

    def text(self, year: int) -> pd.Series:
        """Each region's value in ``year`` as shown (``"0.523"``), or ``"no data"``."""
        quanta = self.quantised(self.values[[year]])[:, 0]
        return pd.Series([fixed_text(q, self.decimals) if c >= 0 else NO_DATA
                          for q, c in zip(quanta.tolist(), self.classes[year].tolist(), strict=True)],
                         index=self.values.index, dtype=object)

    def largest_gap(self) -> int:
        """The largest absolute gap of any year, in steps: the widest line."""
        if self.gaps is None or not len(self.gaps):
            return 0
        return int(np.abs(self.quantised(self.gaps)).max())

    def leading(self, year: int) -> list[str | None]:
        """Country of the leading side of each pair in ``year``; ``""`` when equal, None without a gap."""
        if self.lines is None or self.gaps is None:
            return []
        gaps = self.gaps[year].tolist()
        return [None if not math.isfinite(g) else _text(a) if g > 0 else _text(b) if g < 0 else ""
                for g, a, b in zip(gaps, self.lines["country_a"], self.lines["country_b"], strict=True)]

    def gap_styles(self, year: int) -> list[dict[str, Any] | None]:
        """Leaflet path options of each pair's line in ``year``; None where it is not drawn."""
        if self.lines is None or self.gaps is None or self.gap_flags is None:
            return []
        largest = self.largest_gap()
        quanta = self.quantised(self.gaps[[year]])[:, 0].tolist()
        styles: list[dict[str, Any] | None] = []
        for leader, quantum, flag in zip(self.leading(year), quanta, self.gap_flags[year].tolist(), strict=True):
            if leader is None:
                styles.append(None)
                continue
            styles.append({"color": self.leaders[leader] if leader else EQUAL_COLOUR,
                           "weight": _width_px(quantum, largest), **({"dashArray": GAP_DASH} if flag else {})})
        return styles

    def gap_texts(self, year: int) -> list[str | None]:
        """Tooltip of each pair's line in ``year`` (``"Alpha – Delta: gap +0.700 (AA side leads)"``); None if not drawn.

        The sign is the gap's own, so a gap smaller than a step keeps its side (``-0.000``).
        """
        if self.lines is None or self.gaps is None or self.gap_flags is None:
            return []
        quanta = self.quantised(self.gaps[[year]])[:, 0].tolist()
        texts: list[str | None] = []
        for row, gap, leader, quantum, flag in zip(self.lines.itertuples(index=False), self.gaps[year].tolist(),
                                                   self.leading(year), quanta, self.gap_flags[year].tolist(),
                                                   strict=True):
            if leader is None:
                texts.append(None)
                continue
            said = f"{leader} side leads" if leader else "equal"
            texts.append(f"{_text(row.name_a)} – {_text(row.name_b)}: {self.gap_label} {'-' if gap < 0 else '+'}"
                         f"{fixed_text(abs(quantum), self.decimals)} ({said})" + (f"; {flag}" if flag else ""))
        return texts


@dataclasses.dataclass(frozen=True, eq=False)
class MapModel:
    """Everything a map shows, in drawing order, built once and drawn by every writer.

    Attributes
    ----------
    spec
        The options it was built with (the writers read theirs from it).
    kinds
        The kinds drawn, in order.
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
    tooltips
        The region tooltip texts that are not a layer's (code, name, country, distance to the
        border, imputed components), one column per property, indexed like ``regions``.
    timeline
        The years of a trend map (:func:`borderland.maps.trend.trend_model`), whose layers are
        then those of the year shown (:meth:`at_year`); ``None`` for a map of one moment.
    """

    spec: MapSpec
    kinds: tuple[str, ...]
    regions: gpd.GeoDataFrame
    region_layers: tuple[RegionLayer, ...]
    base: tuple[Layer, ...]
    overlays: tuple[FeatureLayer, ...]
    countries: FeatureLayer | None
    fields: tuple[tuple[str, str], ...]
    tooltips: pd.DataFrame
    timeline: Timeline | None = None

    def at_year(self, year: int) -> MapModel:
        """The same trend map showing ``year``: its layers are that year's, in the classes of every year.

        The interactive map opens at that year (its year control still offers every year); a
        static map (:func:`~borderland.maps.static.write_image`) draws it, e.g. as one of
        small multiples.

        Parameters
        ----------
        year
            One of ``timeline.years``.

        Returns
        -------
        MapModel
            A new model; this one is unchanged.

        Raises
        ------
        SchemaError
            The model has no years (it is not a trend map), or ``year`` is not one of them.

        Examples
        --------
        >>> import shapely
        >>> from borderland.maps import trend_model
        >>> squares = gpd.GeoDataFrame({"name": ["West", "East"], "country": ["AA", "BB"]}, crs=3035,
        ...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
        ...                            index=["W", "E"])
        >>> table = pd.DataFrame({"region": ["W", "E", "W"], "year": [2020, 2020, 2021], "value": [0.2, 0.8, 0.5]})
        >>> model = trend_model(squares, table, spec=MapSpec(classes=2))  # 0.2 and 0.5 low, 0.8 high in every year
        >>> model.region_layers[0].fill.tolist(), model.at_year(2020).region_layers[0].fill.tolist()
        (['#edf8b1', '#d9d9d9'], ['#edf8b1', '#2c7fb8'])
        """
        timeline = self.timeline
        if timeline is None:
            raise SchemaError("this map model has no years (map_model draws one moment); build a map with a year "
                              "control with borderland.maps.trend_model")
        if isinstance(year, bool) or not isinstance(year, int | np.integer) or int(year) not in timeline.years:
            raise SchemaError(f"year {year!r} is not one of the map's years {list(timeline.years)}; choose one of them")
        shown = dataclasses.replace(timeline, shown=int(year))
        region = _year_region_layer(shown)
        gaps = _year_gap_layer(shown)
        tooltips = self.tooltips.assign(year=str(int(year)), note=timeline.flags[int(year)].tolist())
        return dataclasses.replace(self, region_layers=(region,), base=(region,),
                                   overlays=(gaps,) if gaps is not None else (), tooltips=tooltips, timeline=shown)

    def layers(self, kind: str) -> tuple[Layer, ...]:
        """Every layer of one kind (``"trade"`` has one per flow type and unit), in drawing order.

        ``kind`` is a key of :data:`~borderland.maps.spec.KINDS`, ``"border"`` or ``"countries"``.
        """
        everything = [*self.base, *self.overlays, *([self.countries] if self.countries else [])]
        return tuple(layer for layer in everything if layer.kind == kind)


# -- units, classes and colours ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Unit:
    """How to show the values of a column: the unit written and the factor to it."""

    label: str = ""
    factor: float = 1.0

    def heading(self, name: str) -> str:
        return f"{name} ({self.label})" if self.label else name


def _unit(column: str, units: Mapping[str, str]) -> _Unit:
    """The unit of a column: from ``units``, else from the end of its name (``_km``, ``_share``)."""
    unit = units.get(column)
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


def _ordinal_colours(palette: str, n: int) -> tuple[str, ...]:
    """``n`` colours of a reversed palette, darkest first, without the lightest: it would vanish on white."""
    return palette_colours(palette, n + 1)[:n] if n else ()


def _classed_layer(kind: str, name: str, key: str, label: str, values: pd.Series, spec: MapSpec, unit: _Unit,
                   decimals: int | None = None) -> RegionLayer:
    """A choropleth in classes: colours, tooltip texts with the unit, and a legend with counts."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    finite = np.isfinite(numbers)
    # never more classes than distinct values, as the old mapclassify path did
    classes = min(spec.classes, len(np.unique(numbers[finite]))) if finite.any() else spec.classes
    result = classify(numbers, spec.scheme, classes)
    shown = numbers * unit.factor
    places = _decimals(shown) if decimals is None else decimals
    colours = palette_colours(spec.palette or DEFAULT_PALETTES[kind], result.k) if result.k else ()
    fill = pd.Series([colours[c] if c >= 0 else NO_DATA_COLOUR for c in result.classes.tolist()], index=values.index)
    suffix = f" {unit.label}" if unit.label else ""
    text = pd.Series([f"{v:,.{places}f}{suffix}" if c >= 0 else NO_DATA
                      for c, v in zip(result.classes.tolist(), shown.tolist(), strict=True)], index=values.index)
    legend = [LegendItem("swatch", f"{bounds} ({count})", colour) for colour, bounds, count in
              zip(colours, result.labels(places, factor=unit.factor), result.counts.tolist(), strict=True)]
    legend.append(LegendItem("swatch", f"{NO_DATA} ({int((result.classes < 0).sum())})", NO_DATA_COLOUR))
    legend.append(LegendItem("note", f"{spec.scheme.replace('_', ' ')}, {result.k} classes"))
    return RegionLayer(kind, unit.heading(name), key, label, fill, text, tuple(legend),
                       bins=tuple(result.bins.tolist()))


def year_classes(values: np.ndarray, spec: MapSpec) -> tuple[Classification, tuple[str, ...], int]:
    """Classes of the values of every year at once, their colours and the decimals shown.

    The rule of a trend map (:func:`borderland.maps.trend.trend_model`) and of its QGIS style:
    the spec's scheme and classes (never more classes than distinct values) cut over all the
    values together, so that a class is the same in every year; the index palette unless the
    spec names one.

    Examples
    --------
    >>> result, colours, decimals = year_classes(np.array([0.1, 0.5, np.nan, 0.9]), MapSpec(classes=2))
    >>> result.bins.tolist(), colours, decimals
    ([0.5, 0.9], ('#edf8b1', '#2c7fb8'), 3)
    """
    numbers = np.asarray(values, dtype=float).ravel()
    finite = np.isfinite(numbers)
    classes = min(spec.classes, len(np.unique(numbers[finite]))) if finite.any() else spec.classes
    result = classify(numbers, spec.scheme, classes)
    colours = palette_colours(spec.palette or DEFAULT_PALETTES["index"], result.k) if result.k else ()
    return result, tuple(colours), _decimals(numbers)


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


def _trend_layer_name(label: str) -> str:
    """Name of the region layer of a trend map: the value's label, capitalised."""
    return label[:1].upper() + label[1:]


def _year_region_layer(timeline: Timeline) -> RegionLayer:
    """The regions of a trend map in the year shown, in the classes of every year."""
    year = timeline.shown
    return RegionLayer("index", _trend_layer_name(timeline.value_label), "value", timeline.value_label,
                       timeline.fill(year), timeline.text(year), timeline.legend, bins=timeline.bins)


def _year_gap_layer(timeline: Timeline) -> FeatureLayer | None:
    """The gap lines of a trend map in the year shown: the pairs with a gap that year."""
    if timeline.lines is None:
        return None
    year = timeline.shown
    styles, texts = timeline.gap_styles(year), timeline.gap_texts(year)
    drawn = [i for i, style in enumerate(styles) if style is not None]
    return FeatureLayer(
        "gaps", GAP_LAYER, timeline.lines.geometry.iloc[drawn], {"opacity": 0.85, "lineCap": "butt"},
        tuple(cast(dict[str, Any], styles[i]) for i in drawn), tuple({"tooltip": str(texts[i])} for i in drawn),
        (("", "tooltip"),), timeline.gap_legend,
    )


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


@dataclasses.dataclass(frozen=True, eq=False)
class _Inputs:
    """What the layer builders read: the frames and the spec."""

    regions: gpd.GeoDataFrame
    pairs: gpd.GeoDataFrame | None
    bands: gpd.GeoDataFrame | None
    flows: gpd.GeoDataFrame | None
    spec: MapSpec

    def classed(self, kind: str, name: str, key: str, label: str, column: str, unit: _Unit | None = None,
                decimals: int | None = None) -> RegionLayer:
        return _classed_layer(kind, name, key, label, self.regions[column], self.spec,
                              _unit(column, self.spec.units) if unit is None else unit, decimals)


#: How each map kind is built: kind -> its layers (region layers, bands, or lines over them).
_BUILDERS: Final[Mapping[str, Callable[[_Inputs], Sequence[Layer]]]] = {
    "index": lambda i: [i.classed("index", INDEX_LAYER, "index", "Index", "index", unit=_Unit(), decimals=3)],
    "typology": lambda i: [_typology_layer(i.regions)],
    "indicator": lambda i: [i.classed("indicator", column, f"indicator_{n}", column, column)
                            for n, column in enumerate(i.spec.columns)],
    "rings": lambda i: [_rings_layer(i.regions, DEFAULT_PALETTES["rings"])],
    "bands": lambda i: [_bands_layer(cast(gpd.GeoDataFrame, i.bands), DEFAULT_PALETTES["bands"])],
    "population": lambda i: [i.classed("population", _population_name(i.spec.population_column), "population",
                                       "Population near the border", i.spec.population_column)],
    "uncertainty": lambda i: [_uncertainty_layer(i.regions, i.spec.probability_column, i.spec.stable_probability)],
    "gaps": lambda i: [_gaps_layer(cast(gpd.GeoDataFrame, i.pairs))],
    "trade": lambda i: _flow_layers(cast(gpd.GeoDataFrame, i.flows)),
}


# -- input checks ------------------------------------------------------------------------------


def _resolve_kinds(spec: MapSpec, regions: gpd.GeoDataFrame, *, pairs: gpd.GeoDataFrame | None,
                   bands: gpd.GeoDataFrame | None, flows: gpd.GeoDataFrame | None) -> tuple[str, ...]:
    """The kinds to draw, in order: as the spec says, or every kind whose input is present."""
    if spec.kinds is None:
        has = set(regions.columns) if isinstance(regions, pd.DataFrame) else set()
        optional = {"indicator": bool(spec.columns), "population": spec.population_column in has,
                    "uncertainty": spec.probability_column in has, "bands": bands is not None,
                    "gaps": pairs is not None, "trade": flows is not None}
        return tuple(kind for kind in KINDS if optional.get(kind, True))
    chosen = tuple(dict.fromkeys(spec.kinds))
    needs = {"bands": (bands is None, "bands=, the distance bands (band, country, polygons)"),
             "trade": (flows is None, "flows=, the trade flow lines"),
             "gaps": (pairs is None, "pairs, the adjacent region pairs with their gaps")}
    problems = [f"kind {kind!r} needs {what}" for kind, (lacking, what) in needs.items()
                if kind in chosen and lacking]
    collect(problems, SchemaError, "map kinds")
    return chosen


def _required_region_columns(kinds: Sequence[str], spec: MapSpec) -> list[str]:
    by_kind = {"index": ["index"], "typology": ["typology"], "rings": ["border_order"],
               "indicator": list(spec.columns), "population": [spec.population_column],
               "uncertainty": ["typology", spec.probability_column]}
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


def _check_inputs(frames: Mapping[str, gpd.GeoDataFrame | None], kinds: Sequence[str], spec: MapSpec) -> None:
    """Report every problem with the map inputs at once."""
    required = {
        "regions": _required_region_columns(kinds, spec),
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
        numeric = list(spec.columns) if "indicator" in kinds else []
        numeric += [spec.population_column] if "population" in kinds else []
        numeric += [spec.probability_column] if "uncertainty" in kinds else []
        for column in numeric:
            if column in regions.columns and not pd.api.types.is_numeric_dtype(regions[column]):
                schema.append(f"regions.{column} holds non-numeric values (dtype {regions[column].dtype}); "
                              "expected numbers (convert it with pandas.to_numeric)")
        column = spec.probability_column
        if "uncertainty" in kinds and column in regions.columns and pd.api.types.is_numeric_dtype(regions[column]):
            outside = regions[column].dropna()
            outside = outside[(outside < 0) | (outside > 1)]
            if len(outside):
                schema.append(f"regions.{column} has values outside 0..1 (e.g. "
                              f"{outside.index[0]}: {outside.iloc[0]}); expected a probability")
        empty = regions.geometry.isna() | regions.geometry.is_empty
        if empty.any():
            schema.append(f"regions {list(regions.index[empty][:5])} have no geometry")
    pairs = frames.get("pairs")
    if "gaps" in kinds and isinstance(pairs, gpd.GeoDataFrame) and "comparable" in pairs.columns:
        try:
            pairs["comparable"].astype("boolean")
        except (TypeError, ValueError):
            found = sorted({str(v) for v in pairs["comparable"].dropna().unique()})[:5]
            schema.append(f"pairs.comparable holds {found}; expected true, false or a missing value "
                          "(borderland.comparability.pair_comparability)")
    flows = frames.get("flows")
    if "trade" in kinds and isinstance(flows, gpd.GeoDataFrame) and not flows.empty:
        kinds_found = set(flows.geom_type.dropna()) - {"LineString", "MultiLineString"}
        if kinds_found:
            schema.append(f"flows holds {sorted(kinds_found)} geometries; expected lines from origin to destination "
                          "(borderland.trade.flow_lines)")
        if "value" in flows.columns and not pd.api.types.is_numeric_dtype(flows["value"]):
            schema.append(f"flows.value holds non-numeric values (dtype {flows['value'].dtype}); expected numbers")
    collect(crs, CRSError, "map layers")
    collect(schema, SchemaError, "map inputs")


# -- the model ---------------------------------------------------------------------------------


def _unique_names(layers: Sequence[Layer]) -> list[Layer]:
    """Number repeated layer names: the layer control lists layers by name."""
    seen: collections.Counter[str] = collections.Counter()
    named: list[Layer] = []
    for layer in layers:
        seen[layer.name] += 1
        count = seen[layer.name]
        named.append(dataclasses.replace(layer, name=f"{layer.name} ({count})") if count > 1 else layer)
    return named


def _tooltips(regions: gpd.GeoDataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The region tooltip texts that are not a layer's, and their rows (before the layers' own)."""
    texts = pd.DataFrame({
        "region_id": [_text(code) for code in regions.index],
        "name": regions["name"].map(_text).tolist(),
        "country": regions["country"].map(_text).tolist(),
    }, index=regions.index)
    fields: list[tuple[str, str]] = []
    if "border_distance_km" in regions.columns:
        texts["border_distance_km"] = [_number(v, "{:.1f} km") for v in regions["border_distance_km"]]
    # values filled in by imputation are named in the tooltip, never passed off as observed
    flags = regions[[c for c in regions.columns if str(c).endswith("_imputed")]].fillna(False).astype(bool)
    if flags.to_numpy().any():
        names = [str(c).removesuffix("_imputed") for c in flags.columns]
        texts["imputed"] = [", ".join(n for n, flag in zip(names, row, strict=True) if flag) or "none"
                            for row in flags.to_numpy().tolist()]
        fields.append(("Imputed", "imputed"))
    return texts, fields


def map_model(
    regions: gpd.GeoDataFrame,
    border_lines: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | None = None,
    *,
    spec: MapSpec | None = None,
    countries: gpd.GeoDataFrame | None = None,
    bands: gpd.GeoDataFrame | None = None,
    flows: gpd.GeoDataFrame | None = None,
) -> MapModel:
    """Check the frames and build the layers of a map: classes, colours, legends, tooltip texts.

    Build it once and give it to every writer: :func:`~borderland.maps.leaflet.write_html`,
    :func:`~borderland.maps.static.write_image` and :func:`~borderland.maps.qgis.layer_styles`.
    Each map kind of the spec is one named layer (trade flows one per flow type and unit). The
    kinds that colour the regions and the distance bands are alternatives (``base``), the first
    shown; the state border, gaps and trade flows are drawn over them (``overlays``), and the
    countries, when given, as a grey outline underneath. Regions without data are light grey and
    labelled "no data", never drawn as the lowest class. The inputs are not changed.

    Parameters
    ----------
    regions
        Regions indexed by region code, in a projected CRS, with ``name`` and ``country`` and the
        columns of the kinds drawn: ``index`` (0..1, NaN without data), ``typology``
        (``"leader"``, ``"moderate"``, ``"lagging"`` or missing), ``border_order``, the
        indicator ``columns``, the population and probability columns of the spec; when present,
        ``border_distance_km`` and ``<component>_imputed`` flags are shown in the tooltip.
    border_lines
        The state border, in the CRS of ``regions``, with ``country_a``, ``country_b`` and
        ``length_km``.
    pairs
        Adjacent region pairs with ``region_a``, ``region_b``, ``name_a``, ``name_b``,
        ``country_a``, ``country_b``, ``cross_border``, ``shared_border_km``, ``gap`` (index of
        a minus index of b) and ``abs_gap``; the geometry is the shared boundary. ``None`` when
        the gaps are not drawn.
    spec
        The map options (:class:`~borderland.maps.spec.MapSpec`); the defaults when ``None``.
    countries
        Country polygons with a ``country`` column, drawn underneath as a grey outline.
    bands
        Distance bands from the border, in the CRS of ``regions``: polygons with ``band`` (a
        label such as ``"0-25"``, in km, ordered by the number it starts with or by its
        categorical order) and ``country``, optionally ``area_km2``, as from
        :func:`borderland.border.distance_bands`.
    flows
        Trade flow lines from origin to destination, in the CRS of ``regions``, with ``origin``,
        ``destination``, ``value``, ``unit``, ``flow_type``, ``year`` and ``source`` (optionally
        ``direction``, ``origin_name``, ``destination_name``, ``period``), e.g. from
        :func:`borderland.trade.flow_lines`. Lines are as wide as their value; directed flows end
        in an arrowhead, turnover (``direction == "both_ways"``) does not.

    Returns
    -------
    MapModel
        The layers in drawing order, with the spec.

    Raises
    ------
    SchemaError
        A frame lacks a column, a kind lacks its input, a typology is unknown, a probability is
        outside 0..1.
    CRSError
        A frame has no CRS, a geographic one, or another CRS than ``regions``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame({"name": ["West", "East"], "country": ["AA", "BB"], "index": [0.2, 0.8]},
    ...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
    ...                            crs=3035, index=pd.Index(["W", "E"], name="region_id"))
    >>> border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [10.0]},
    ...                           geometry=[shapely.LineString([(1e4, 0), (1e4, 1e4)])], crs=3035)
    >>> model = map_model(squares, border, spec=MapSpec(kinds=["index"], classes=2))
    >>> [item.label for item in model.region_layers[0].legend]
    ['0.200 – 0.500 (1)', '0.500 – 0.800 (1)', 'no data (0)', 'quantiles, 2 classes']
    >>> [layer.name for layer in model.overlays]
    ['State border']
    """
    spec = MapSpec() if spec is None else spec
    chosen = _resolve_kinds(spec, regions, pairs=pairs, bands=bands, flows=flows)
    _check_inputs({"regions": regions, "border_lines": border_lines, "pairs": pairs, "countries": countries,
                   "bands": bands, "flows": flows}, chosen, spec)

    inputs = _Inputs(regions=regions, pairs=pairs, bands=bands, flows=flows, spec=spec)
    base: list[Layer] = []
    overlays: list[Layer] = [_border_layer(border_lines)]
    for kind in chosen:
        for layer in _BUILDERS[kind](inputs):
            if isinstance(layer, RegionLayer) or layer.base:
                base.append(layer)
            else:
                overlays.append(layer)
    named = _unique_names([*base, *overlays])
    base, overlays = named[:len(base)], named[len(base):]
    region_layers = [layer for layer in base if isinstance(layer, RegionLayer)]

    tooltips, imputed = _tooltips(regions)
    fields: list[tuple[str, str]] = [("Region", "name"), ("Code", "region_id"), ("Country", "country")]
    by_kind = {layer.kind: layer for layer in region_layers}
    for kind in ("index", "typology"):
        if kind in by_kind:
            fields.append((by_kind[kind].label, by_kind[kind].key))
    if "border_distance_km" in tooltips.columns:
        fields.append(("Distance to border", "border_distance_km"))
    fields += [(layer.label, layer.key) for layer in region_layers if layer.kind not in ("index", "typology")]
    fields += imputed
    return MapModel(
        spec=spec, kinds=chosen, regions=regions, region_layers=tuple(region_layers), base=tuple(base),
        overlays=tuple(cast(list[FeatureLayer], overlays)),
        countries=None if countries is None or countries.empty else _countries_layer(countries),
        fields=tuple(fields), tooltips=tooltips,
    )
