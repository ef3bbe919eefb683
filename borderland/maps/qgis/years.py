"""The tables by year (``trend.gpkg``): their styles, and QGIS's temporal properties.

A layer with a ``year_start`` date field (:func:`has_year_start`: regions or pair lines repeated
per year) gets temporal properties in each of its styles (:func:`with_temporal`), so that QGIS's
temporal controller animates it year by year. ``index_by_year`` and ``gaps_by_year`` are drawn
as the trend map draws them (:data:`YEAR_STYLE_BUILDERS`): in its classes and colours when the
trend map's model is given, else in classes cut alike over every year's values.
"""

from __future__ import annotations

import dataclasses
import datetime
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Final

import geopandas as gpd
import pandas as pd

from borderland.maps.classes import year_classes
from borderland.maps.layers import GAP_DASH, GAP_MAX_WIDTH_PX, GAP_MIN_WIDTH_PX, NO_DATA
from borderland.maps.model import MapModel
from borderland.maps.palettes import EQUAL_COLOUR, LEADER_COLOURS, NO_DATA_COLOUR
from borderland.maps.qgis.qml import (
    OTHER_PAIR_COLOUR,
    REGION_FILL_OPACITY,
    LayerStyle,
    _categorised,
    _columns,
    _document,
    _end_renderer,
    _no_data_sentinel,
    _number,
    _qml,
    _quoted,
    _renderer,
    _text,
    fill_symbol,
    line_symbol,
)
from borderland.maps.spec import MapSpec

__all__ = ["YEAR_DURATION", "YEAR_START_FIELD", "YEAR_STYLE_BUILDERS", "YearStyleBuilder", "gaps_by_year_styles",
           "has_year_start", "index_by_year_styles", "temporal_element", "with_temporal"]

#: The date field of the tables by year (the first day of each row's year): QGIS's temporal
#: controller shows each row for one year from it.
YEAR_START_FIELD: Final = "year_start"


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
    >>> from borderland.maps.qgis import plain_styles
    >>> table = gpd.GeoDataFrame({"year": [2019], "year_start": pd.to_datetime(["2019-01-01"])},
    ...                          geometry=[shapely.Point(0, 0)], crs=3035)
    >>> style = with_temporal(plain_styles("towns_by_year", table, {})[0])
    >>> '<temporal enabled="1" mode="1"' in style.qml, style.description.endswith("controller (from year_start)")
    (True, True)
    """
    root = ET.fromstring(style.qml.split("\n", 1)[1])
    root.set("styleCategories", f"{root.get('styleCategories')}|Temporal")
    root.insert(0, temporal_element(field))
    return dataclasses.replace(
        style, qml=_document(root),
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

