"""What a map model is made of: legend rows, region layers and feature layers, and their fixed words.

A :class:`RegionLayer` colours the region polygons (its fill and tooltip text per region); a
:class:`FeatureLayer` has geometries of its own (countries, distance bands, the state border,
gaps, trade flows). Both carry their legend as :class:`LegendItem` rows, in plain text. The
layer names, the "no data" word and the line widths and dash patterns every writer repeats are
here, with the rules that write a data value as text (:func:`fixed_text` is also the page's
rule, repeated in its JavaScript). Nothing here draws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final, Literal

import geopandas as gpd
import pandas as pd

__all__ = [
    "BANDS_LAYER", "BORDER_LAYER", "BORDER_WIDTH_PX", "COUNTRY_LAYER", "FLOW_MAX_WIDTH_PX", "FLOW_MIN_WIDTH_PX",
    "GAP_DASH", "GAP_DASH_LEGEND_WIDTH_PX", "GAP_LAYER", "GAP_MAX_WIDTH_PX", "GAP_MIN_WIDTH_PX", "INDEX_LAYER",
    "NO_DATA", "REGIONS_LAYER", "RINGS_LAYER", "TRADE_PREFIX", "TYPOLOGY_LAYER", "UNCERTAINTY_LAYER", "UNSTABLE_DASH",
    "UNSTABLE_WIDTH_PX", "FeatureLayer", "Layer", "LegendItem", "RegionLayer", "fixed_text",
]

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

#: Width in pixels of the line of the largest cross-border gap; other gaps are proportional.
GAP_MAX_WIDTH_PX: Final = 12.0
GAP_MIN_WIDTH_PX: Final = 1.0
#: Dash pattern (Leaflet ``dashArray``: dash and gap in CSS pixels) of a gap that rests on a
#: component defined differently on the two sides of the border.
GAP_DASH: Final = "6 4"
GAP_DASH_LEGEND_WIDTH_PX: Final = 3.0
BORDER_WIDTH_PX: Final = 3.5

#: Outline of a region whose class is unstable (probability of its class below the threshold).
UNSTABLE_WIDTH_PX: Final = 2.5
UNSTABLE_DASH: Final = "5 4"

#: Trade layers are named with this prefix; they start hidden when every kind is drawn at once.
TRADE_PREFIX: Final = "Trade: "
#: Trade flows: widths like the gaps, the largest flow of a layer the widest.
FLOW_MAX_WIDTH_PX: Final = 8.0
FLOW_MIN_WIDTH_PX: Final = 1.5


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
