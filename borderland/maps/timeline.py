"""The years of a trend map: a :class:`Timeline`, and the layers of the year it shows.

:func:`borderland.maps.trend.trend_model` builds the timeline (every year's values in classes
cut once over all of them, gaps scaled once to the largest of any year); :meth:`MapModel.at_year
<borderland.maps.model.MapModel.at_year>` draws one year of it with :func:`_year_region_layer`
and :func:`_year_gap_layer`. Values and gaps are whole numbers of ``10 ** -decimals`` steps, as
the interactive map stores them, so that the page and the model show the same digits and widths.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.maps.layers import (
    GAP_DASH,
    GAP_LAYER,
    GAP_MAX_WIDTH_PX,
    GAP_MIN_WIDTH_PX,
    NO_DATA,
    FeatureLayer,
    LegendItem,
    RegionLayer,
    _text,
    fixed_text,
)
from borderland.maps.palettes import EQUAL_COLOUR, NO_DATA_COLOUR

__all__ = ["Timeline"]


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
