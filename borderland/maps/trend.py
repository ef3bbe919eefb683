"""Maps over the years: a value per region and year, a gap per cross-border pair and year, one scale.

:func:`trend_model` checks two long tables (``region, year, value, flag`` and ``pair, year, gap,
flag``) against the regions and the pair lines, and builds a
:class:`~borderland.maps.model.MapModel` with a :class:`~borderland.maps.timeline.Timeline`: the
classes cut once over every year's values and the line widths scaled once to the largest gap of
any year, so that a colour or a width means the same in 2006 and in 2025. The model's layers are
those of the year shown (the latest with data); :meth:`~borderland.maps.model.MapModel.at_year`
gives any other. Every writer takes it: the interactive map (:mod:`~borderland.maps.leaflet`)
adds a year control that restyles the regions and lines in the page, the static map draws the
year shown, and the QGIS styles are those of the year shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import CRSError, SchemaError, collect
from borderland.maps.checks import REGION_COLUMNS
from borderland.maps.classes import year_classes
from borderland.maps.layers import GAP_DASH, GAP_DASH_LEGEND_WIDTH_PX, NO_DATA, LegendItem, _missing, _text
from borderland.maps.model import MapModel
from borderland.maps.palettes import EQUAL_COLOUR, LEADER_COLOURS, NO_DATA_COLOUR
from borderland.maps.spec import MapSpec
from borderland.maps.timeline import Timeline, _width_px

__all__ = ["GAP_TABLE_COLUMNS", "LINE_COLUMNS", "VALUE_TABLE_COLUMNS", "trend_model"]

#: Columns of the long tables (each may also have ``flag``: a text, ``""`` where there is nothing to say).
VALUE_TABLE_COLUMNS: Final = ("region", "year", "value")
GAP_TABLE_COLUMNS: Final = ("pair", "year", "gap")
#: Columns of the pair lines besides their geometry: the two regions of each pair (a, then b).
LINE_COLUMNS: Final = ("region_a", "region_b")

#: A layer in a geographic CRS is simplified for display in this projected one (metres; the
#: tolerance grows away from the equator, as the map's scale does).
DISPLAY_CRS: Final = "EPSG:3857"

#: The kinds a trend map draws.
TREND_KINDS: Final = ("index", "gaps")


# -- checks ------------------------------------------------------------------------------------


def _examples(values: Iterable[Any], n: int = 3) -> str:
    """The first ``n`` values, as Python writes them: what a message shows of what it found."""
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:n])


def _check_years(label: str, table: pd.DataFrame, problems: list[str]) -> None:
    years = table["year"]
    if pd.api.types.is_bool_dtype(years) or not pd.api.types.is_numeric_dtype(years):
        found = _examples([v for v in years.dropna().unique()][:3])
        problems.append(f"{label}.year holds {years.dtype} values (e.g. {found}); expected whole years such as 2019 "
                        f"(convert with pandas.to_numeric({label}['year']).astype(int))")
        return
    numbers = pd.to_numeric(years).astype(float)
    missing = numbers.isna()
    if missing.any():
        problems.append(f"{label}.year is missing in {int(missing.sum())} row(s) (e.g. row "
                        f"{years.index[missing][0]!r}); every row needs its year: fill it or drop those rows")
    known = numbers[~missing]
    fractional = known[~np.isfinite(known) | (known != np.round(known))]
    if len(fractional):
        problems.append(f"{label}.year holds non-integer years (e.g. {_examples(fractional.unique())}); expected "
                        f"whole years such as 2019: round them, or drop the rows that are not one year's")


def _check_numbers(label: str, column: str, table: pd.DataFrame, problems: list[str]) -> None:
    values = table[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        problems.append(f"{label}.{column} holds non-numeric values (dtype {values.dtype}, e.g. "
                        f"{_examples(values.dropna().unique())}); expected numbers, NaN where there is none "
                        f"(convert with pandas.to_numeric)")
        return
    numbers = pd.to_numeric(values).astype(float)
    infinite = numbers[np.isinf(numbers)]
    if len(infinite):
        problems.append(f"{label}.{column} holds infinite values (e.g. row {infinite.index[0]!r}); expected finite "
                        "numbers, NaN where there is none")


def _check_flags(label: str, table: pd.DataFrame, problems: list[str]) -> None:
    if "flag" not in table.columns:
        return
    other = [v for v in table["flag"].tolist() if not _missing(v) and not isinstance(v, str)]
    if other:
        problems.append(f"{label}.flag holds {type(other[0]).__name__} values (e.g. {_examples(other)}); expected "
                        "texts, '' where there is nothing to say")


def _check_table(label: str, table: Any, key: str, required: Sequence[str], known: pd.Index, owner: str,
                 problems: list[str]) -> bool:
    """Check a long table (``key``, year, value, flag); true when its rows can be read."""
    if not isinstance(table, pd.DataFrame):
        problems.append(f"{label} is a {type(table).__name__}; expected a DataFrame with columns {list(required)} "
                        "(and flag)")
        return False
    missing = [c for c in required if c not in table.columns]
    if missing:
        problems.append(f"{label} lacks column(s) {missing}; expected {list(required)} (and flag), one row per "
                        f"{key} and year")
        return False
    if table.columns.duplicated().any():
        names = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
        problems.append(f"{label} has several columns named {names}; keep one of each")
        return False
    if table.empty:
        problems.append(f"{label} is empty; expected one row per {key} and year")
        return False
    good = True
    unknown = table.loc[~table[key].isin(known), key]
    if len(unknown):
        problems.append(f"{label}.{key} holds {unknown.nunique()} code(s) not in the index of {owner} (e.g. "
                        f"{_examples(unknown.unique())}; the index holds e.g. {_examples(known)}); add them to "
                        f"{owner} or drop their rows")
        good = False
    before = len(problems)
    _check_years(label, table, problems)
    _check_numbers(label, required[2], table, problems)
    _check_flags(label, table, problems)
    good = good and len(problems) == before
    if good:
        repeated = table[table.duplicated([key, "year"], keep=False)]
        if len(repeated):
            first = repeated.iloc[0]
            problems.append(f"{label} has {len(repeated)} rows for {repeated.drop_duplicates([key, 'year']).shape[0]}"
                            f" {key}-year(s) given more than once (e.g. {first[key]!r} in {int(first['year'])}); keep "
                            f"one row per {key} and year, e.g. {label}.drop_duplicates([{key!r}, 'year'])")
            good = False
    return good


def _check_frame(label: str, frame: Any, required: Sequence[str], problems: list[str], crs: list[str]) -> bool:
    if not isinstance(frame, gpd.GeoDataFrame):
        problems.append(f"{label} is a {type(frame).__name__}; expected a GeoDataFrame with {list(required)} and a "
                        "geometry")
        return False
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems.append(f"{label} lacks column(s) {missing}; expected {list(required)} and a geometry")
    repeated = frame.index[frame.index.duplicated()]
    if len(repeated):
        problems.append(f"{label} has repeated index values (e.g. {_examples(repeated.unique())}); each row needs a "
                        "code of its own")
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        problems.append(f"{label} rows {_examples(frame.index[empty])} have no geometry; repair or drop them")
    if frame.crs is None:
        crs.append(f"{label} has no CRS; set the CRS its coordinates are in (e.g. EPSG:3035, or EPSG:4326)")
    return not missing and not len(repeated)


def _check(regions: Any, values: Any, lines: Any, gaps: Any, spec: MapSpec, labels: Sequence[Any]) -> None:
    """Report every problem with the inputs of :func:`trend_model` at once."""
    problems: list[str] = []
    crs: list[str] = []
    for name, label in zip(("value_label", "gap_label"), labels, strict=True):
        if not isinstance(label, str) or not label.strip():
            problems.append(f"{name} is {label!r}; expected a text naming what is shown, e.g. 'index'")
    if spec.kinds is not None:
        other = [kind for kind in spec.kinds if kind not in TREND_KINDS]
        if other or "index" not in spec.kinds:
            problems.append(f"spec.kinds is {list(spec.kinds)}; a trend map draws {list(TREND_KINDS)} ('index' always):"
                            " pass kinds=None, or draw other kinds of one year with map_model")
        elif "gaps" in spec.kinds and lines is None:
            problems.append("spec.kinds has 'gaps' but no lines are given; pass lines= and gaps_by_year=")
    regions_ok = _check_frame("regions", regions, REGION_COLUMNS, problems, crs)
    if isinstance(regions, gpd.GeoDataFrame) and regions.empty:
        problems.append("regions is empty; the map needs at least one region")
    known = regions.index if isinstance(regions, gpd.GeoDataFrame) else pd.Index([])
    _check_table("index_by_year", values, "region", VALUE_TABLE_COLUMNS, known, "regions", problems)
    if (lines is None) != (gaps is None):
        given, lacking = ("lines", "gaps_by_year") if gaps is None else ("gaps_by_year", "lines")
        problems.append(f"{given} is given without {lacking}; the gap lines need both (the lines indexed by pair id, "
                        "the gaps by pair and year), or neither")
    elif lines is not None:
        if _check_frame("lines", lines, LINE_COLUMNS, problems, crs) and regions_ok:
            ends = pd.concat([lines["region_a"], lines["region_b"]])
            strangers = ends[~ends.isin(known)]
            if len(strangers):
                problems.append(f"lines name region(s) not in the index of regions (e.g. "
                                f"{_examples(strangers.unique())}); every pair joins two regions of the map")
            kinds = set(lines.geom_type.dropna()) - {"LineString", "MultiLineString"}
            if kinds:
                problems.append(f"lines holds {sorted(kinds)} geometries; expected the shared boundary of each pair "
                                "(LineString or MultiLineString)")
        if isinstance(lines, gpd.GeoDataFrame) and _check_table("gaps_by_year", gaps, "pair", GAP_TABLE_COLUMNS,
                                                                lines.index, "lines", problems):
            if regions_ok and {"region_a", "region_b"} <= set(lines.columns) and "country" in regions.columns:
                country = regions["country"].map(_text)
                pairs = lines.loc[lines.index.isin(gaps["pair"])]
                inside = pairs[pairs["region_a"].map(country).to_numpy() == pairs["region_b"].map(country).to_numpy()]
                if len(inside):
                    problems.append(f"gaps_by_year holds pair(s) of two regions of one country (e.g. "
                                    f"{_examples(inside.index)}); the gap lines are cross-border pairs: drop them")
    collect(crs, CRSError, "trend map layers")
    collect(problems, SchemaError, "trend map inputs")


# -- building ----------------------------------------------------------------------------------


def _wide(table: pd.DataFrame, key: str, column: str, rows: pd.Index, years: Sequence[int],
          fill: Any) -> pd.DataFrame:
    """A long table as rows × years (one cell per row and year), ``fill`` where it has none."""
    long = table.assign(year=pd.to_numeric(table["year"]).astype(np.int64))
    wide = long.pivot(index=key, columns="year", values=column)
    wide = wide.reindex(index=rows, columns=list(years))
    wide.columns = pd.Index(list(years))
    return wide.fillna(fill) if fill is not None else wide


def _flags(table: pd.DataFrame, key: str, rows: pd.Index, years: Sequence[int]) -> pd.DataFrame:
    texts = table["flag"].map(_text) if "flag" in table.columns else pd.Series("", index=table.index)
    flags = _wide(table.assign(flag=texts), key, "flag", rows, years, None)
    return flags.astype(object).where(flags.notna(), "")


def _region_legend(spec: MapSpec, labels: Sequence[str], colours: Sequence[str], count: int,
                   years: Sequence[int]) -> tuple[LegendItem, ...]:
    items = [LegendItem("swatch", label, colour) for label, colour in zip(labels, colours, strict=True)]
    items.append(LegendItem("swatch", NO_DATA, NO_DATA_COLOUR))
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    items.append(LegendItem("note", f"{spec.scheme.replace('_', ' ')}, {len(colours)} classes of all {count:,} values "
                                    f"of {span}: the same classes in every year"))
    return tuple(items)


def _gap_legend(timeline: Timeline) -> tuple[LegendItem, ...]:
    largest = timeline.largest_gap()
    if largest <= 0:
        return (LegendItem("note", "no cross-border pair has a gap in any year"),)
    step = 10.0 ** -timeline.decimals
    items = [LegendItem("note", f"line width ∝ |{timeline.gap_label}|, one scale for every year")]
    items += [LegendItem("line", f"{largest * share * step:.{timeline.decimals}f}", EQUAL_COLOUR,
                         _width_px(round(largest * share), largest)) for share in (1.0, 0.5, 0.25)]
    items += [LegendItem("swatch", f"{country} side leads", colour) for country, colour in timeline.leaders.items()]
    gaps = timeline.gaps if timeline.gaps is not None else pd.DataFrame()
    flags = timeline.gap_flags if timeline.gap_flags is not None else pd.DataFrame()
    if (gaps == 0).to_numpy().any():
        items.append(LegendItem("swatch", "equal", EQUAL_COLOUR))
    flagged = int(((flags != "") & gaps.notna()).to_numpy().sum())
    if flagged:
        items.append(LegendItem("line", f"dashed: not comparable as it stands, the tooltip says why ({flagged})",
                                EQUAL_COLOUR, GAP_DASH_LEGEND_WIDTH_PX, dash=GAP_DASH))
    return tuple(items)


def trend_model(
    regions: gpd.GeoDataFrame,
    index_by_year: pd.DataFrame,
    *,
    lines: gpd.GeoDataFrame | None = None,
    gaps_by_year: pd.DataFrame | None = None,
    spec: MapSpec | None = None,
    value_label: str = "index",
    gap_label: str = "gap",
) -> MapModel:
    """Build a map with a year control: each region's value and each cross-border gap, year by year.

    The classes are cut once, over every year's values (the spec's ``scheme`` and ``classes``,
    by :func:`borderland.classify.classify`), and the line widths scaled once to the largest gap
    of any year, so a colour or a width means the same in every year; the legend says so. A
    region-year without a value is grey and reads "no data", never a low class. The model shows
    the latest year with a value; the interactive map
    (:func:`~borderland.maps.leaflet.write_html`) offers every year of the tables on a slider,
    and ``#year=2015`` at the end of its address opens it at 2015. The inputs are not changed.

    Parameters
    ----------
    regions
        Regions indexed by region code, with ``name``, ``country`` and a geometry, in any CRS
        (a geographic one is projected to :data:`DISPLAY_CRS` to simplify the outlines).
    index_by_year
        One row per region and year: ``region`` (a code of ``regions``), ``year`` (a whole
        number), ``value`` (NaN where there is none) and, optionally, ``flag``: what is to be
        known about the value, shown with it (``"2019 value carried to 2020"``,
        ``"interpolated"``; ``""`` for nothing). A region without a row in a year has no value
        that year.
    lines
        The cross-border pairs as lines (their shared boundary), indexed by pair id, with
        ``region_a`` and ``region_b`` (codes of ``regions``), in any CRS; with ``gaps_by_year``.
    gaps_by_year
        One row per pair and year: ``pair`` (an id of ``lines``), ``year``, ``gap`` (value of a
        minus value of b: the sign says which side leads) and, optionally, ``flag``: why the gap
        is not comparable as it stands (a definition that differs across the border, a carried
        value), ``""`` when it is. A flagged gap is dashed and its flag is in its tooltip. A pair
        without a gap in a year is not drawn that year.
    spec
        Map options (:class:`~borderland.maps.spec.MapSpec`): ``title``, ``scheme``,
        ``classes``, ``palette``, the writers' options; ``kinds`` is ``None`` or a choice of
        ``("index", "gaps")``.
    value_label, gap_label
        What the values and the gaps are, for the legend and the tooltips.

    Returns
    -------
    MapModel
        With its :class:`~borderland.maps.timeline.Timeline` (``model.timeline``), showing the
        latest year with a value.

    Raises
    ------
    SchemaError
        A table or frame lacks a column; a region or pair of a table is not in the frame; a
        region or pair is given twice for one year; a year is not a whole number; a value is not
        a number. Every problem is listed in one message, with its fix.
    CRSError
        A frame has no CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame({"name": ["West", "East"], "country": ["AA", "BB"]},
    ...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
    ...                            crs=3035, index=pd.Index(["W", "E"], name="region_id"))
    >>> table = pd.DataFrame({"region": ["W", "E", "W", "E"], "year": [2020, 2020, 2021, 2021],
    ...                       "value": [0.2, 0.8, 0.4, float("nan")], "flag": ["", "", "interpolated", ""]})
    >>> model = trend_model(squares, table, spec=MapSpec(classes=2))
    >>> model.timeline.years, model.timeline.shown
    ((2020, 2021), 2021)
    >>> model.region_layers[0].text.tolist(), model.at_year(2020).region_layers[0].text.tolist()
    (['0.400', 'no data'], ['0.200', '0.800'])
    >>> [item.label for item in model.region_layers[0].legend][-1]
    'quantiles, 2 classes of all 3 values of 2020–2021: the same classes in every year'
    """
    spec = MapSpec() if spec is None else spec
    _check(regions, index_by_year, lines, gaps_by_year, spec, (value_label, gap_label))
    work = regions.to_crs(DISPLAY_CRS) if regions.crs.is_geographic else regions
    years = sorted({int(y) for y in pd.to_numeric(index_by_year["year"])}
                   | ({int(y) for y in pd.to_numeric(gaps_by_year["year"])} if gaps_by_year is not None else set()))
    values = _wide(index_by_year.assign(value=pd.to_numeric(index_by_year["value"]).astype(float)), "region", "value",
                   work.index, years, None).astype(float)
    flags = _flags(index_by_year, "region", work.index, years)

    result, colours, decimals = year_classes(values.to_numpy(), spec)
    finite = result.classes >= 0
    with_values = [year for year in years if values[year].notna().any()]

    line_frame = gaps = gap_flags = None
    leaders: dict[str, str] = {}
    if lines is not None and gaps_by_year is not None:
        country, name = regions["country"].map(_text), regions["name"].map(_text)
        line_frame = gpd.GeoDataFrame({
            "region_a": lines["region_a"], "region_b": lines["region_b"],
            "name_a": lines["region_a"].map(name), "name_b": lines["region_b"].map(name),
            "country_a": lines["region_a"].map(country), "country_b": lines["region_b"].map(country),
        }, geometry=lines.geometry.to_crs(work.crs), index=lines.index)
        # + 0.0 makes -0.0 (a tie) 0.0: no side leads, and its text has no minus sign
        gaps = _wide(gaps_by_year.assign(gap=pd.to_numeric(gaps_by_year["gap"]).astype(float) + 0.0), "pair", "gap",
                     line_frame.index, years, None).astype(float)
        gap_flags = _flags(gaps_by_year, "pair", line_frame.index, years)
        sides = np.where(gaps > 0, line_frame[["country_a"]].to_numpy(), np.where(gaps < 0, line_frame[[
            "country_b"]].to_numpy(), None))
        leading = sorted({str(side) for side in sides.ravel() if side is not None})
        leaders = {c: LEADER_COLOURS[i % len(LEADER_COLOURS)] for i, c in enumerate(leading)}
    timeline = Timeline(
        years=tuple(years), shown=with_values[-1] if with_values else years[-1], value_label=value_label,
        gap_label=gap_label, decimals=decimals, values=values, flags=flags,
        classes=pd.DataFrame(result.classes.reshape(values.shape), index=values.index, columns=values.columns),
        colours=colours, bins=tuple(result.bins.tolist()),
        legend=_region_legend(spec, result.labels(decimals), colours, int(finite.sum()), years),
        lines=line_frame, gaps=gaps, gap_flags=gap_flags, leaders=leaders,
    )
    if line_frame is not None:
        timeline = dataclasses.replace(timeline, gap_legend=_gap_legend(timeline))
    tooltips = pd.DataFrame({"region_id": [_text(code) for code in work.index],
                             "name": work["name"].map(_text).tolist(), "country": work["country"].map(_text).tolist()},
                            index=work.index)
    fields = (("Region", "name"), ("Code", "region_id"), ("Country", "country"), (value_label, "value"),
              ("Year", "year"), ("Note", "note"))
    kinds = ("index", "gaps") if line_frame is not None and (spec.kinds is None or "gaps" in spec.kinds) else ("index",)
    if "gaps" not in kinds:  # the spec leaves the gaps out
        timeline = dataclasses.replace(timeline, lines=None, gaps=None, gap_flags=None, leaders={}, gap_legend=())
    model = MapModel(spec=spec, kinds=kinds, regions=work, region_layers=(), base=(), overlays=(), countries=None,
                     fields=fields, tooltips=tooltips, timeline=timeline)
    return model.at_year(timeline.shown)
