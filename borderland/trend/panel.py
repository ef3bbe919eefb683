"""The panel: every component's value per region and year, and where each value comes from.

A snapshot takes each component's value under its year rule for one year
(:func:`borderland.indicators.traced_component_values`); the panel does the same for every
year at once, on grids of region x year per indicator name (a few array operations instead of
one table filter per year), and keeps for each value:

- the year it comes from (a window or nearest-year rule may take a nearby one: flagged);
- what it is compared by: its definition (the study file's, else the row's own, else the one
  the table gives the name) or, without one, the indicator name itself -- the rule of
  :mod:`borderland.comparability`;
- its publisher (the ``source`` column's first word, or a web page's host);
- whether its row carries a break flag (e.g. Eurostat's ``b``, "break in time series");
- whether it was interpolated (only when the study asks).

:func:`series_changes` then finds where a region's series changes definition, publisher or
carries a break flag (a trend never runs across such a change), and where a region's values
start under its code while earlier years of its country are published under codes the layer
lacks (another NUTS version, or a coarser level): the regions entering the panel then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland.errors import SchemaError
from borderland.index import IndexSpec
from borderland.indicators import DEFINITION_COLUMN, YearRule, normalised_definition

__all__ = ["CHANGE_COLUMNS", "INTERPOLATORS", "Panel", "component_panel", "flagged_rows", "publisher",
           "series_changes"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Prefix of the key of a value without a definition: comparable with its own indicator name only
#: (as in :mod:`borderland.comparability`).
BARE: Final = "indicator: "
_NUTS: Final = re.compile(r"^[A-Z]{2}[0-9A-Z]{1,3}$")

#: Columns of :func:`series_changes`.
CHANGE_COLUMNS: Final = ("region", "country", "component", "year", "kind", "detail")


def publisher(source: object) -> str | None:
    """Who published a value: a web page's host, else the first word of the source text.

    Two values of one series from different publishers (an official yearbook, a press page
    quoting a regional office) are not taken to measure the same thing; two rows of one
    publisher's table are.

    Examples
    --------
    >>> publisher("Rosstat, Russian Statistical Yearbook 2022, table 21.17")
    'Rosstat'
    >>> publisher("https://www.severpost.ru/read/115974"), publisher(None)
    ('severpost.ru', None)
    """
    if not isinstance(source, str) or not source.strip():
        return None
    text = source.strip()
    if re.match(r"^[a-z]+://", text):
        host = urlparse(text).hostname or text
        return re.sub(r"^(www|m)\.", "", host)
    return re.split(r"[\s,;(]", text, maxsplit=1)[0]


@dataclass(frozen=True)
class Panel:
    """Component values per region and year, with the origin of each.

    Arrays are indexed (component, region, year); a missing value is NaN, a missing code -1.

    Attributes
    ----------
    codes
        Region codes, in the layer's order.
    years
        Consecutive years, first to last.
    components
        Component names.
    values
        Raw values (before any transform).
    value_year
        The year each value comes from (-1 where there is none, or where it is interpolated).
    key
        What each value is compared by (position in ``keys``): its definition or indicator name.
    source
        Its publisher (position in ``publishers``; -1 unknown).
    flagged
        Its row carries a break flag.
    interpolated
        It was interpolated between two observed years.
    keys, publishers
        The texts the codes stand for.
    """

    codes: pd.Index
    years: IntArray
    components: tuple[str, ...]
    values: FloatArray
    value_year: IntArray
    key: IntArray
    source: IntArray
    flagged: BoolArray
    interpolated: BoolArray
    keys: tuple[str, ...]
    publishers: tuple[str, ...]

    def frame(self, component: str) -> pd.DataFrame:
        """One component's values: regions x years.

        Examples
        --------
        >>> panel = component_panel(pd.DataFrame({"region_id": ["x"], "indicator": "a", "year": [2020],
        ...                                       "value": [1.0]}), pd.Index(["x"]), IndexSpec(
        ...     (__import__("borderland.index").index.IndicatorSpec("a", ("a",)),)), [2020, 2021])
        >>> panel.frame("a").to_numpy().tolist()
        [[1.0, nan]]
        """
        k = self.components.index(component)
        return pd.DataFrame(self.values[k], index=self.codes, columns=pd.Index(self.years, name="year"))

    @property
    def nearby(self) -> BoolArray:
        """Values taken from another year than their own (a window or nearest-year rule)."""
        found: BoolArray = np.asarray((self.value_year >= 0) & (self.value_year != self.years[None, None, :]),
                                      dtype=bool)
        return found

    @property
    def observed(self) -> BoolArray:
        """Where a value is present."""
        return ~np.isnan(self.values)


def flagged_rows(raw: pd.DataFrame, *, id_column: str, flag_column: str, flags: Sequence[str],
                 indicator: str | None = None) -> pd.DataFrame:
    """The (region, indicator, year) of the rows of a raw table whose flag marks a break.

    Parameters
    ----------
    raw
        The indicator table as read, its columns already renamed to the tidy names (``year``,
        ``indicator``, ``value``) where the study maps them.
    id_column
        Column of region codes.
    flag_column
        Column of flags (Eurostat's ``OBS_FLAG``: ``b`` break in series, ``u`` low reliability...).
    flags
        The flags that mark a break; a cell holding several flags (``"bu"``) counts when one of
        its letters is one of them.
    indicator
        The one indicator name of every row, when the table has no ``indicator`` column.

    Returns
    -------
    pandas.DataFrame
        ``region_id``, ``indicator``, ``year`` (int) of the flagged rows.

    Examples
    --------
    >>> raw = pd.DataFrame({"geo": ["IE04", "IE05"], "year": [2021, 2021], "OBS_FLAG": ["b", None]})
    >>> flagged_rows(raw, id_column="geo", flag_column="OBS_FLAG", flags=["b"], indicator="access").values.tolist()
    [['IE04', 'access', 2021]]
    """
    cells = raw[flag_column].astype("string").str.strip().fillna("")
    wanted = set(flags)
    hit = cells.map(lambda cell: cell in wanted or (len(cell) > 1 and any(ch in wanted for ch in cell)))
    rows = raw[hit.to_numpy(dtype=bool)]
    names = rows["indicator"].astype(str) if "indicator" in rows.columns else pd.Series(indicator, index=rows.index)
    years = pd.to_numeric(rows["year"], errors="coerce")
    out = pd.DataFrame({"region_id": rows[id_column].astype(str).str.strip(), "indicator": names, "year": years})
    return out.dropna().astype({"year": "int64"}).drop_duplicates().reset_index(drop=True)


def _value_keys(rows: pd.DataFrame, name: str, declared: str | None, table_single: str | None) -> pd.Series:
    """What each row of one indicator is compared by (the rule of borderland.comparability)."""
    if declared is not None:
        return pd.Series(declared, index=rows.index)
    fallback = table_single if table_single is not None else f"{BARE}{name}"
    if DEFINITION_COLUMN not in rows.columns:
        return pd.Series(fallback, index=rows.index)
    own = [normalised_definition(text) if isinstance(text, str) and text.strip() else fallback
           for text in rows[DEFINITION_COLUMN].astype(object).tolist()]
    return pd.Series(own, index=rows.index, dtype=object)


def _last_valid(valid: BoolArray) -> IntArray:
    """Per cell, the column of the last valid cell at or before it (-1 where none)."""
    width = valid.shape[1]
    return np.maximum.accumulate(np.where(valid, np.arange(width), -1), axis=1)


def _next_valid(valid: BoolArray) -> IntArray:
    """Per cell, the column of the next valid cell at or after it (the width where none)."""
    width = valid.shape[1]
    ahead = np.where(valid, np.arange(width), width)[:, ::-1]
    return np.minimum.accumulate(ahead, axis=1)[:, ::-1]


def _chosen(valid: BoolArray, refs: IntArray, rule: YearRule) -> IntArray:
    """Column each reference year takes under the rule, per region (-1 where none)."""
    rows = valid.shape[0]
    if rule.kind == "exact":
        return np.where(valid[:, refs], refs[None, :], -1)
    if rule.kind == "latest":
        # one year for every region: the latest up to the reference in which any region has a value
        anywhere: BoolArray = np.asarray(valid.any(axis=0), dtype=bool)[None, :]
        latest = _last_valid(anywhere)[0][refs]
        taken = np.where(latest >= 0, valid[:, np.maximum(latest, 0)], False)
        return np.where(taken, np.broadcast_to(latest, (rows, len(refs))), -1)
    before = _last_valid(valid)[:, refs]
    ok_before = (before >= 0) & (before >= refs[None, :] - rule.window)
    if rule.kind == "window":
        return np.where(ok_before, before, -1)
    after = _next_valid(valid)[:, refs]
    ok_after = (after < valid.shape[1]) & (after <= refs[None, :] + rule.window)
    # of two equally near years the earlier wins, as borderland.indicators' nearest rule
    earlier = ok_before & (~ok_after | (refs[None, :] - before <= after - refs[None, :]))
    return np.where(earlier, before, np.where(ok_after, after, -1))


#: Interpolations of the panel: name -> whether values between two observed years are filled.
INTERPOLATORS: Final[Mapping[str, bool]] = {"none": False, "linear": True}


def component_panel(
    table: pd.DataFrame,
    codes: pd.Index,
    spec: IndexSpec,
    years: Sequence[int],
    *,
    definitions: pd.DataFrame | None = None,
    flagged: pd.DataFrame | None = None,
    interpolate: str = "none",
) -> Panel:
    """Every component's value per region and year under its year rule, with each value's origin.

    For each year the values are those :func:`borderland.indicators.traced_component_values`
    takes for that year (the first of a component's indicator names that a region has a value
    for, under the component's year rule); tested so. With ``interpolate="linear"`` a value still
    missing is interpolated on a straight line between the region's nearest observed years
    before and after (of the same indicator, definition and publisher, without a break flag at
    the later one); never extrapolated, always marked.

    Parameters
    ----------
    table
        Tidy indicator table.
    codes
        Region codes.
    spec
        The index specification: its components, their indicator names and year rules. A rule
        with a fixed year of its own is refused (the value could not change over the years).
    years
        First and last years are taken; every year between them is in the panel.
    definitions
        :func:`borderland.comparability.definition_table` of the spec and table (the study
        file's definitions alone when ``None``).
    flagged
        Rows whose flag marks a break (:func:`flagged_rows`).
    interpolate
        A key of :data:`INTERPOLATORS`.

    Returns
    -------
    Panel
        The values and their origins.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> table = pd.DataFrame({"region_id": ["x", "x", "y"], "indicator": "a", "year": [2019, 2021, 2020],
    ...                       "value": [10.0, 30.0, 5.0]})
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), year_rule=YearRule("window", window=1)),))
    >>> panel = component_panel(table, pd.Index(["x", "y"]), spec, [2019, 2021])
    >>> panel.values[0].tolist(), panel.value_year[0].tolist()
    ([[10.0, 10.0, 30.0], [nan, 5.0, 5.0]], [[2019, 2019, 2021], [-1, 2020, 2020]])
    >>> component_panel(table, pd.Index(["x", "y"]), spec.__class__((IndicatorSpec("a", ("a",)),)),
    ...                 [2019, 2021], interpolate="linear").values[0].tolist()
    [[10.0, 20.0, 30.0], [nan, 5.0, nan]]
    """
    if interpolate not in INTERPOLATORS:
        raise SchemaError(f"unknown interpolation {interpolate!r}; choose one of {sorted(INTERPOLATORS)}")
    fixed = [c.name for c in spec.components if c.year_rule.year is not None]
    if fixed:
        raise SchemaError(f"component(s) {fixed} take one fixed year under their year rule, so their values cannot "
                          "change over the years; leave them out of [trend] components")
    first, last = int(min(years)), int(max(years))
    axis = np.arange(first, last + 1, dtype=np.int64)
    widest = max((c.year_rule.window for c in spec.components), default=0)
    span0 = first - widest
    width = (last + widest) - span0 + 1
    refs = axis - span0
    position = pd.Series(np.arange(len(codes)), index=codes.astype(str))
    shape = (len(spec.components), len(codes), len(axis))
    values = np.full(shape, np.nan)
    value_year = np.full(shape, -1, dtype=np.int64)
    key = np.full(shape, -1, dtype=np.int64)
    source = np.full(shape, -1, dtype=np.int64)
    flags = np.zeros(shape, dtype=bool)
    interpolated = np.zeros(shape, dtype=bool)
    keys: dict[str, int] = {}
    publishers: dict[str, int] = {}
    declared, single = _definitions(spec, definitions)
    names = {n for c in spec.components for n in c.indicators}
    rows = table[table["indicator"].isin(names) & table["region_id"].isin(position.index) & table["year"].notna()]
    rows = rows[(rows["year"] >= span0) & (rows["year"] < span0 + width)]
    marked = (pd.MultiIndex.from_frame(flagged[["region_id", "indicator", "year"]].astype({"year": "int64"}))
              if flagged is not None and len(flagged) else None)
    by_name = dict(tuple(rows.groupby("indicator", sort=False)))
    for k, component in enumerate(spec.components):
        grids = [_Grids.of(group, name, position, span0, width, keys, publishers, marked,
                           declared.get((component.name, name)), single.get((component.name, name)))
                 for name in component.indicators if (group := by_name.get(name)) is not None]
        for grid in grids:
            chosen = _chosen(grid.valid, refs, component.year_rule)
            fill = np.isnan(values[k]) & (chosen >= 0)
            rr, yy = np.nonzero(fill)
            cc = chosen[rr, yy]
            values[k][rr, yy] = grid.values[rr, cc]
            value_year[k][rr, yy] = cc + span0
            key[k][rr, yy] = grid.key[rr, cc]
            source[k][rr, yy] = grid.source[rr, cc]
            flags[k][rr, yy] = grid.flagged[rr, cc]
        if INTERPOLATORS[interpolate]:
            for grid in grids:
                line, fill, ends = grid.interpolated(refs)
                fill &= np.isnan(values[k])
                values[k][fill] = line[fill]
                key[k][fill] = ends[0][fill]
                source[k][fill] = ends[1][fill]
                interpolated[k] |= fill
    return Panel(codes=pd.Index(codes), years=axis, components=tuple(c.name for c in spec.components), values=values,
                 value_year=value_year, key=key, source=source, flagged=flags, interpolated=interpolated,
                 keys=tuple(keys), publishers=tuple(publishers))


def _definitions(spec: IndexSpec, definitions: pd.DataFrame | None
                 ) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """(component, indicator) -> the study file's definition; and -> the one definition the table gives."""
    declared: dict[tuple[str, str], str] = {}
    single: dict[tuple[str, str], str] = {}
    if definitions is not None:
        for c, n, d, where in zip(definitions["component"], definitions["indicator"], definitions["definition"],
                                  definitions["definition_source"], strict=True):
            if pd.notna(d) and where in ("study file", "indicator table"):
                (declared if where == "study file" else single)[(str(c), str(n))] = str(d)
    declared.update({(c.name, n): normalised_definition(d) for c in spec.components for n, d in c.definitions})
    return declared, single


@dataclass(frozen=True)
class _Grids:
    """One indicator's observations on a region x year grid (the panel's years widened by the rules' windows)."""

    values: FloatArray
    key: IntArray
    source: IntArray
    flagged: BoolArray

    @property
    def valid(self) -> BoolArray:
        return ~np.isnan(self.values)

    @classmethod
    def of(cls, group: pd.DataFrame, name: str, position: pd.Series, span0: int, width: int, keys: dict[str, int],
           publishers: dict[str, int], marked: pd.MultiIndex | None, declared: str | None,
           single: str | None) -> _Grids:
        shape = (len(position), width)
        r = position[group["region_id"].astype(str)].to_numpy()
        s = group["year"].astype(int).to_numpy() - span0
        values = np.full(shape, np.nan)
        values[r, s] = group["value"].to_numpy(dtype=float)
        key = np.full(shape, -1, dtype=np.int64)
        key[r, s] = [keys.setdefault(t, len(keys)) for t in _value_keys(group, name, declared, single)]
        source = np.full(shape, -1, dtype=np.int64)
        if "source" in group.columns:
            found = [publisher(v) for v in group["source"].astype(object)]
            source[r, s] = [-1 if p is None else publishers.setdefault(p, len(publishers)) for p in found]
        flagged = np.zeros(shape, dtype=bool)
        if marked is not None:
            here = pd.MultiIndex.from_arrays([group["region_id"].astype(str), group["indicator"].astype(str),
                                              group["year"].astype("int64")])
            flagged[r, s] = here.isin(marked)
        return cls(values, key, source, flagged)

    def interpolated(self, refs: IntArray) -> tuple[FloatArray, BoolArray, tuple[IntArray, IntArray]]:
        """Straight-line values at the reference columns, where they may be filled, and their key and source."""
        valid, width = self.valid, self.values.shape[1]
        before, after = _last_valid(valid)[:, refs], _next_valid(valid)[:, refs]
        rows = np.arange(self.values.shape[0])[:, None]
        b, a = np.maximum(before, 0), np.minimum(after, width - 1)
        # strictly between two observations of one series: same definition and publisher, and no
        # break flag on the later one (it says the two ends are not one series)
        fill = ((before >= 0) & (after < width) & (before < refs[None, :]) & (after > refs[None, :])
                & (self.key[rows, b] == self.key[rows, a]) & (self.source[rows, b] == self.source[rows, a])
                & ~self.flagged[rows, a])
        fraction = (refs[None, :] - b) / np.where(a > b, a - b, 1)
        line = self.values[rows, b] + (self.values[rows, a] - self.values[rows, b]) * fraction
        return line, fill, (self.key[rows, b], self.source[rows, b])


def series_changes(panel: Panel, countries: pd.Series, table: pd.DataFrame, *,
                   kept: npt.ArrayLike | None = None, spec: IndexSpec | None = None) -> tuple[pd.DataFrame, BoolArray]:
    """Where a series changes its definition, publisher or carries a break flag; where regions enter under new codes.

    Parameters
    ----------
    panel
        From :func:`component_panel`.
    countries
        Each region's country, indexed by code.
    table
        The tidy indicator table (for the codes the layer lacks).
    kept
        The years of the panel that count (a boolean per panel year; all by default): changes are
        looked for between consecutive kept years with a value.
    spec
        The index specification (the components' indicator names), for the codes the layer lacks.

    Returns
    -------
    tuple of pandas.DataFrame and numpy.ndarray
        The changes (:data:`CHANGE_COLUMNS`: ``kind`` is ``definition``, ``source``, ``break flag``
        or ``new codes``), and the breaks as booleans (component, region, year): true where a
        value is not one series with the region's previous value.
    """
    keep = np.ones(len(panel.years), dtype=bool) if kept is None else np.asarray(kept, dtype=bool)
    present = panel.observed & keep[None, None, :]
    c_count, r_count, _ = present.shape
    rows: list[tuple[str, str, str, int, str, str]] = []
    breaks = np.zeros(present.shape, dtype=bool)
    code_list = panel.codes.astype(str)
    country = countries.reindex(panel.codes).astype(object).to_numpy()
    for k in range(c_count):
        previous = _last_valid(present[k])
        # the previous present year, strictly before each year
        prior = np.concatenate([np.full((r_count, 1), -1), previous[:, :-1]], axis=1)
        has_prior = present[k] & (prior >= 0)
        p = np.maximum(prior, 0)
        idx = np.arange(r_count)[:, None]
        key_changed = has_prior & (panel.key[k] != panel.key[k][idx, p])
        known = (panel.source[k] >= 0) & (panel.source[k][idx, p] >= 0)
        source_changed = has_prior & known & (panel.source[k] != panel.source[k][idx, p])
        # a flagged row counts once, in the first year that uses it
        new_value = panel.value_year[k] != panel.value_year[k][idx, p]
        flag_break = has_prior & panel.flagged[k] & new_value
        breaks[k] = key_changed | source_changed | flag_break
        name = panel.components[k]
        kinds = (("definition", key_changed), ("source", source_changed & ~key_changed),
                 ("break flag", flag_break & ~key_changed & ~source_changed))
        for kind, found in kinds:
            for r, y in zip(*np.nonzero(found), strict=True):
                q = int(p[r, y])
                if kind == "definition":
                    detail = (f"{_short(panel.keys[panel.key[k][r, q]])} -> {_short(panel.keys[panel.key[k][r, y]])}")
                elif kind == "source":
                    detail = f"{panel.publishers[panel.source[k][r, q]]} -> {panel.publishers[panel.source[k][r, y]]}"
                else:
                    detail = f"the row of {panel.value_year[k][r, y]} is flagged as a break in the series"
                rows.append((str(code_list[r]), str(country[r]), name, int(panel.years[y]), kind, detail))
    rows += _new_codes(panel, countries, table, keep, spec)
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS)).astype({"year": "int64"})
    return frame.sort_values(["year", "kind", "region", "component"], kind="stable").reset_index(drop=True), breaks


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _new_codes(panel: Panel, countries: pd.Series, table: pd.DataFrame, keep: BoolArray,
               spec: IndexSpec | None) -> list[tuple[str, str, str, int, str, str]]:
    """Regions whose values start later than their country's values under codes the layer lacks."""
    names = ({n for c in spec.components for n in c.indicators} if spec is not None
             else set(table["indicator"].dropna().astype(str)))
    rows = table[table["indicator"].isin(names) & table["year"].notna()]
    layer = set(panel.codes.astype(str))
    others = rows[~rows["region_id"].astype(str).isin(layer)]
    others = others[others["region_id"].astype(str).str.match(_NUTS.pattern)]
    if others.empty:
        return []
    others = others.assign(country=others["region_id"].astype(str).str[:2], year=others["year"].astype(int))
    layer_codes = pd.Series(panel.codes.astype(str), index=panel.codes)
    length = layer_codes.str.len().groupby(countries.reindex(panel.codes).to_numpy()).max()
    found: list[tuple[str, str, str, int, str, str]] = []
    present: BoolArray = np.asarray((panel.observed & keep[None, None, :]).any(axis=0), dtype=bool)  # region x year
    starts = np.where(present.any(axis=1), np.argmax(present, axis=1), -1)
    first_kept = int(np.argmax(keep)) if keep.any() else -1
    country = countries.reindex(panel.codes).astype(object).to_numpy()
    for r in np.flatnonzero(starts > first_kept):
        start = int(panel.years[starts[r]])
        mine = others[(others["country"] == country[r]) & (others["year"] < start)
                      & (others["year"] >= int(panel.years[first_kept]))]
        if mine.empty:
            continue
        level = int(length.get(country[r], 4))
        same = sorted(set(mine.loc[mine["region_id"].str.len() == level, "region_id"]))
        coarser = sorted(set(mine.loc[mine["region_id"].str.len() < level, "region_id"]))
        parts = []
        if same:
            parts.append(f"{', '.join(same[:6])}{' ...' if len(same) > 6 else ''} (another NUTS version)")
        if coarser:
            parts.append(f"{', '.join(coarser[:6])}{' ...' if len(coarser) > 6 else ''} (a coarser level)")
        if not parts:
            continue
        code = str(panel.codes[int(r)])
        detail = (f"values under {code} start in {start}; earlier years of {country[r]} are published "
                  f"under codes the layer lacks: {'; '.join(parts)}")
        found.append((code, str(country[r]), "", start, "new codes", detail))
    return found
