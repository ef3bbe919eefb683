"""The region layers: values in classes with their units, the typology, border rings and class stability.

A classed layer (index, indicator, population) cuts its values with the registry of
:mod:`borderland.classify` (the spec's scheme and number of classes, never more classes than
distinct values) and colours them with a ColorBrewer palette; its tooltip texts carry the
column's unit (from the spec, else from the end of the column's name: ``_km``, ``_pct``,
``_share`` shown as a percentage) and its legend the bounds and counts of each class. A trend
map's classes are cut once over every year's values (:func:`year_classes`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.classify import Classification, classify
from borderland.maps.layers import (
    NO_DATA,
    RINGS_LAYER,
    TYPOLOGY_LAYER,
    UNCERTAINTY_LAYER,
    LegendItem,
    RegionLayer,
    _missing,
    _number,
    _text,
)
from borderland.maps.palettes import (
    DEFAULT_PALETTES,
    NO_DATA_COLOUR,
    _ordinal_colours,
    palette_colours,
    typology_colours,
)
from borderland.maps.spec import MAX_CLASSES, MapSpec

__all__ = ["DISPLAY_UNITS", "UNIT_SUFFIXES", "year_classes"]

#: Unit of a column, by the end of its name, when ``units`` does not say.
UNIT_SUFFIXES: Final[Mapping[str, str]] = {
    "_km2": "km²", "_km": "km", "_pct": "%", "_share": "share", "_usd": "USD", "_eur": "EUR",
    "_million_usd": "million USD", "_million_eur": "million EUR", "_persons": "persons",
}
#: Units shown in another unit: a share (0..1) as a percentage.
DISPLAY_UNITS: Final[Mapping[str, tuple[str, float]]] = {"share": ("%", 100.0)}


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


def _cut(numbers: np.ndarray, spec: MapSpec, kind: str) -> tuple[Classification, tuple[str, ...]]:
    """The spec's classes of ``numbers`` and their colours: the spec's palette, else the kind's."""
    finite = np.isfinite(numbers)
    # never more classes than distinct values, as the old mapclassify path did
    classes = min(spec.classes, len(np.unique(numbers[finite]))) if finite.any() else spec.classes
    result = classify(numbers, spec.scheme, classes)
    return result, palette_colours(spec.palette or DEFAULT_PALETTES[kind], result.k) if result.k else ()


def _classed_layer(kind: str, name: str, key: str, label: str, values: pd.Series, spec: MapSpec, unit: _Unit,
                   decimals: int | None = None) -> RegionLayer:
    """A choropleth in classes: colours, tooltip texts with the unit, and a legend with counts."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    result, colours = _cut(numbers, spec, kind)
    shown = numbers * unit.factor
    places = _decimals(shown) if decimals is None else decimals
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
    result, colours = _cut(numbers, spec, "index")
    return result, colours, _decimals(numbers)


def _typology_fill(typology: pd.Series, labels: Sequence[str]) -> tuple[pd.Series, pd.Series, list[LegendItem]]:
    colours = typology_colours(labels)
    text = typology.map(_text)
    counts = text.value_counts()
    legend = [LegendItem("swatch", f"{name} ({int(counts.get(name, 0))})", colour)
              for name, colour in colours.items()]
    legend.append(LegendItem("swatch", f"{NO_DATA} ({int(counts.get('', 0))})", NO_DATA_COLOUR))
    fill = text.map(lambda t: colours.get(t, NO_DATA_COLOUR))
    return fill, text.replace("", NO_DATA), legend


def _typology_layer(regions: gpd.GeoDataFrame, labels: Sequence[str]) -> RegionLayer:
    fill, text, legend = _typology_fill(regions["typology"], labels)
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


def _uncertainty_layer(regions: gpd.GeoDataFrame, column: str, threshold: float,
                       labels: Sequence[str]) -> RegionLayer:
    fill, _, legend = _typology_fill(regions["typology"], labels)
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
