"""Indicator tables: tidy them, match their codes to the regions, choose a year.

The tidy layout is one row per region, indicator and year::

    region_id, indicator, year, value, unit, source, note[, definition]

Wide tables (one column per indicator) are melted into it. A long table may say what each
indicator measures in an optional ``definition`` column (source, age band, recall period, unit),
read by :func:`table_definitions`; :mod:`borderland.comparability` compares the definitions on
the two sides of a border. Codes that do not match, and regions
without any value, are reported both ways rather than dropped in silence. Each index component
takes its values under a :class:`YearRule`: the exact year, the latest year up to it, each
region's latest value within a window, or each region's nearest year within a window (the rule
population weights use, :mod:`borderland.population`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from borderland.errors import JoinError, SchemaError, collect
from borderland.specs import printable

_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{1,3}$")
TIDY_COLUMNS = ("region_id", "indicator", "year", "value", "unit", "source", "note")
#: Optional column of a long table: what the row's indicator measures; kept after ``note`` when present.
DEFINITION_COLUMN: Final = "definition"
_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> pd.Series:
    """Convert text cells to floats, tolerating thousands spaces and a decimal comma.

    ``"12 345"`` becomes 12345.0 and, with ``decimal=","``, ``"1,5"`` becomes 1.5. Cells that are
    still not numbers become NaN; :func:`tidy_table` reports them. Non-finite numbers (``inf``,
    or ``1e400``, which overflows) are kept as such for :func:`tidy_table` to refuse.

    Parameters
    ----------
    values
        Cells as read.
    decimal
        Decimal separator used in the table.

    Returns
    -------
    pandas.Series
        Floats, NaN where a cell is empty or not a number.

    Examples
    --------
    >>> parse_numbers(pd.Series(["12 345", "1,5", "n/a"]), decimal=",").tolist()
    [12345.0, 1.5, nan]
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("string").str.strip().str.replace(_NUMBER_SPACES, "", regex=True)
    if decimal != ".":
        text = text.str.replace(".", "", regex=False).str.replace(decimal, ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


_COMMA_DECIMAL: Final = re.compile(r"[+-]?\d+,\d+")
_POINT_DECIMAL: Final = re.compile(r"[+-]?\d*\.\d+")
_EXAMPLES: Final = 4


def _cell(value: object) -> str:
    r"""A cell as the user sees it in the file, quoted, escaped only where a terminal would act on it.

    Not Python's repr, which writes a no-break space (a thousands separator) as ``\xa0``; only
    control characters and bidirectional overrides are escaped (:func:`borderland.specs.printable`).

    Examples
    --------
    >>> _cell("96\u00a0550,0") == "'96\u00a0550,0'", _cell("1e400"), _cell("x\x1b[2J")
    (True, "'1e400'", "'x\\u001b[2J'")
    """
    return f"'{printable(str(value))}'"


def _table_name(table: pd.DataFrame) -> str:
    name = str(table.attrs.get("name", "indicator table"))
    return "the indicator table" if name == "indicator table" else name


def _quoted(cells: pd.Series) -> str:
    return ", ".join(_cell(c) for c in cells.head(_EXAMPLES))


def detect_decimal(values: pd.Series) -> str | None:
    """The decimal separator of text cells: ``","`` when they use decimal commas, ``"."`` otherwise.

    Returns ``None`` when the cells are ambiguous: every comma is followed by exactly three
    digits (``"1,234"`` may be a thousand or one and a quarter), or commas and points are
    mixed.

    Examples
    --------
    >>> detect_decimal(pd.Series(["88,1", "12,0", "7"])), detect_decimal(pd.Series(["88.1", "7"]))
    (',', '.')
    >>> detect_decimal(pd.Series(["1,234"])) is None
    True
    """
    if pd.api.types.is_numeric_dtype(values):
        return "."
    text = values.dropna().astype(str).str.strip().str.replace(_NUMBER_SPACES, "", regex=True)
    comma = text[text.str.fullmatch(_COMMA_DECIMAL.pattern)]
    point = text[text.str.fullmatch(_POINT_DECIMAL.pattern)]
    if comma.empty:
        return "."
    if not point.empty:
        return None
    if comma.str.fullmatch(r"[+-]?\d{1,3},\d{3}").all():
        return None
    return ","


_YEAR_NAME: Final = re.compile(r"\s*[12]\d{3}\s*")


def _year_columns(frame: pd.DataFrame, id_column: str) -> list[str]:
    """The columns beside the codes, when every one of them is named as a year (a table of one indicator by year)."""
    others = [str(c) for c in frame.columns if c not in (id_column, "region_name", "name", "country")]
    return others if others and all(_YEAR_NAME.fullmatch(c) for c in others) else []


def _shown_columns(columns: Sequence[str]) -> str:
    return f"{columns[0]} ... {columns[-1]}" if len(columns) > 3 else ", ".join(columns)


def tidy_table(
    table: pd.DataFrame,
    *,
    layout: str = "long",
    id_column: str = "region_id",
    year: int | None = None,
    decimal: str | None = ".",
    name: str = "indicator table",
    first_row: int = 2,
    constants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Bring an indicator table into the tidy long layout, with numeric values.

    The values are checked, so that nothing a user did not mean reaches the index: a non-finite
    number (``inf``, ``1e400``) is an error naming its cell; two rows for the same region,
    indicator and year with different values are an error listing them (identical repeats are
    collapsed, with a note); a table without data rows says so; an undeclared decimal comma is
    detected (or, where ambiguous, the error quotes the cells and names the key to set).

    Parameters
    ----------
    table
        As read by :func:`borderland.io.read_table`.
    layout
        ``"long"`` (columns ``indicator``, ``year``, ``value``) or ``"wide"`` (one column per
        indicator, with a ``year`` column or the ``year`` argument; or one column per year, named
        as the year, of the one indicator ``constants`` names).
    id_column
        Column holding the region code (``region_code`` is accepted as well in long tables).
    year
        Year of every value in a wide table that has no ``year`` column.
    decimal
        Decimal separator of text values; ``None`` detects it.
    name
        The table's name in messages (e.g. its file name).
    first_row
        Line of the file holding the first data row (2 below a one-line header), so that
        messages name cells as a spreadsheet shows them.
    constants
        Tidy column -> one value for every row (``[indicators] indicator`` and ``unit``): added
        by the study, so never listed as the table's columns nor read as a wide table's indicator.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TIDY_COLUMNS`, and ``definition`` (text, blank cells missing) when a long
        table has that column; rows whose value is missing are dropped. ``attrs`` holds
        ``non_numeric_cells`` (count), ``decimal`` (as used) and ``notes`` (what was corrected).

    Examples
    --------
    >>> raw = pd.DataFrame({"region_id": ["A", "B"], "indicator": "access", "year": "2021",
    ...                     "value": ["88,1", "12,0"]})
    >>> tidy = tidy_table(raw, decimal=None)
    >>> tidy["value"].tolist(), tidy.attrs["decimal"]
    ([88.1, 12.0], ',')
    >>> by_year = pd.DataFrame({"region_id": ["A"], "2020": [50.0], "2021": [60.0]})
    >>> tidy = tidy_table(by_year, layout="wide", constants={"indicator": "access"})
    >>> tidy[["indicator", "year", "value"]].values.tolist()
    [['access', 2020, 50.0], ['access', 2021, 60.0]]
    """
    frame = table.copy()
    constants = dict(constants or {})
    if id_column not in frame.columns and "region_code" in frame.columns:
        frame = frame.rename(columns={"region_code": id_column})
    heading = f"indicator table {name!r}" if name != "indicator table" else name
    problems: list[str] = []
    if len(frame.columns) == 0 or (len(frame) == 0 and len(frame.columns) > 0):
        what = "is empty" if len(frame.columns) == 0 else "has a header but no data rows"
        raise SchemaError(f"{heading} {what}; give a table with one row per region, indicator and year")
    if id_column not in frame.columns:
        columns = ", ".join(printable(str(c)) for c in frame.columns)
        hint = ""
        if len(frame.columns) == 1:
            header = str(frame.columns[0])
            found = [d for d in (";", "\t", ",", "|") if d in header]
            if found:
                shown_delimiter = "\\t" if found[0] == "\t" else found[0]
                hint = (f"; the header {header[:60]!r} was read as one column but holds {found[0]!r}: "
                        f"set delimiter = \"{shown_delimiter}\" in [indicators]")
        hint = hint or "; set id = <column> in [indicators]"
        problems.append(f"no code column {id_column!r} (columns: {columns}){hint}")
    by_year = _year_columns(frame, id_column)
    frame["__line"] = np.arange(len(frame)) + first_row
    if layout == "wide":
        if not problems:
            keep = [c for c in frame.columns
                    if c not in (id_column, "year", "region_name", "name", "country", "__line")]
            indicator = constants.pop("indicator", None)
            if by_year and indicator is None:
                problems.append(f"the columns {_shown_columns(by_year)} are years, so the table holds one indicator: "
                                "name it with indicator = \"<its name in [[index.components]] indicators>\" in "
                                "[indicators] (beside layout = \"wide\")"
                                + (f", and leave year = {year} out" if year is not None else ""))
            elif by_year:
                if year is not None:
                    problems.append(f"year = {year} in [indicators], but the columns {_shown_columns(by_year)} are "
                                    "the years: leave year out")
                frame = frame.melt(id_vars=[id_column, "__line"], value_vars=keep, var_name="year", value_name="value")
                frame["year"] = frame["year"].astype(str).str.strip()
                frame["indicator"] = indicator
            else:
                if "year" not in frame.columns and year is None:
                    problems.append("a wide table needs a 'year' column or an explicit year: set year = <the year "
                                    "of every value> in [indicators], e.g. year = 2021 (a table with one column per "
                                    "year names the columns as the years, e.g. 2021, 2022, and sets indicator = "
                                    "\"<its name>\" instead)")
                if indicator is not None and len(keep) > 1:
                    problems.append(f"indicator = {indicator!r} in [indicators] names the one indicator of a table, "
                                    f"but the wide table has {len(keep)} indicator columns "
                                    f"({_shown_columns(list(map(str, keep)))}): leave indicator out")
                frame = frame.melt(id_vars=[c for c in (id_column, "year", "__line") if c in frame.columns],
                                   value_vars=keep, var_name="indicator", value_name="value")
                if indicator is not None:
                    frame["indicator"] = indicator
                if "year" not in frame.columns:
                    frame["year"] = year
        for column, value in constants.items():
            frame[column] = value
    elif layout == "long":
        for column, value in constants.items():
            frame[column] = value
        missing = [c for c in ("indicator", "year", "value") if c not in frame.columns]
        if missing and by_year:
            problems.append(f"the columns {_shown_columns(by_year)} are years (one column per year): set layout = "
                            "\"wide\" and indicator = \"<its name in [[index.components]] indicators>\" in "
                            "[indicators]")
        elif missing:
            problems.append(f"long table lacks column(s) {', '.join(missing)}; map its columns with "
                            "indicator_column / year_column / value_column, or set layout = \"wide\"")
    else:
        problems.append(f"unknown layout {layout!r}; choose 'long' or 'wide'")
    collect(problems, SchemaError, heading)

    raw = frame["value"]
    notes: list[str] = []
    if decimal is None:
        found_decimal = detect_decimal(raw)
        if found_decimal is None:
            text = raw.dropna().astype(str).str.strip()
            commas = text[text.str.contains(",", regex=False)]
            points = text[text.str.contains(".", regex=False)]
            raise SchemaError(
                f"{heading}: cannot tell the decimal separator from cells such as {_quoted(commas)}"
                + (f" beside {_quoted(points)}" if len(points) else "")
                + "; set decimal = \",\" (decimal commas) or decimal = \".\" in [indicators]"
            )
        decimal = found_decimal
        if decimal == ",":
            with_commas = raw[raw.astype(str).str.contains(",", regex=False)]
            notes.append(f"decimal commas detected in {name} (e.g. {_quoted(with_commas)}); "
                         "set decimal in [indicators] to say so explicitly")
    values = parse_numbers(raw, decimal=decimal)
    text_cells = raw.notna() & raw.astype("string").str.strip().ne("") & values.isna()
    infinite = np.isinf(values.to_numpy(dtype=float))
    if infinite.any():
        cells = [f"line {int(line)}" + (f" ({ind})" if layout == "wide" else "") + f": {_cell(v)}"
                 for line, ind, v in zip(frame["__line"][infinite], frame["indicator"][infinite], raw[infinite],
                                         strict=True)][:10]
        problems.append(f"{int(infinite.sum())} value(s) are not finite numbers ({'; '.join(cells)}); "
                        "correct those cells or leave them empty (no data)")
    years = pd.to_numeric(frame["year"], errors="coerce")
    # a year is a whole number in the range a study file accepts ([index] year): 2020.5, 1e400 or 99999 are typos
    whole = np.isfinite(years) & (years == np.round(years)) & years.between(1000, 2999)
    bad_years = frame["year"].notna() & ~whole.fillna(False).astype(bool)
    years = years.where(whole)
    if bad_years.any():
        cells = [f"line {int(line)}: {_cell(v)}" for line, v in zip(frame["__line"][bad_years],
                                                                    frame["year"][bad_years], strict=True)][:5]
        problems.append(f"year is not a whole number from 1000 to 2999 in {int(bad_years.sum())} row(s) "
                        f"({'; '.join(cells)}); correct those cells (a year such as 2021)")
    if decimal == "." and text_cells.any():
        commas = raw[text_cells & raw.astype("string").str.fullmatch(_COMMA_DECIMAL.pattern).fillna(False)]
        if len(commas) and len(commas) >= 0.5 * int(text_cells.sum()):
            problems.append(f"{len(commas)} value(s) such as {_quoted(commas)} have decimal commas; "
                            "set decimal = \",\" in [indicators]")
    collect(problems, SchemaError, heading)

    tidy = pd.DataFrame({
        "region_id": frame[id_column].astype("string").str.strip(),
        "indicator": frame["indicator"].astype("string"),
        "year": years.astype("Int64"),
        "value": values,
        "unit": frame["unit"].astype("string") if "unit" in frame.columns else pd.NA,
        "source": frame["source"].astype("string") if "source" in frame.columns else pd.NA,
        "note": frame["note"].astype("string") if "note" in frame.columns else pd.NA,
        "__line": frame["__line"],
    })
    if layout == "long" and DEFINITION_COLUMN in frame.columns:
        text = frame[DEFINITION_COLUMN].astype("string").str.strip()
        tidy.insert(len(TIDY_COLUMNS), DEFINITION_COLUMN, text.where(text.ne(""), pd.NA))
    tidy = tidy[tidy["value"].notna()]
    if tidy.empty:
        examples = raw[text_cells]
        raise SchemaError(
            f"{heading} has no numeric value"
            + (f": all {int(text_cells.sum())} filled cells are text, e.g. {_quoted(examples)}" if len(examples)
               else ": every value cell is empty")
            + "; check the value column (value_column in [indicators]) and the decimal separator "
              "(decimal = \",\" in [indicators])"
        )
    keys = ["region_id", "indicator", "year"]
    repeated = tidy[tidy.duplicated(keys, keep=False)]
    if len(repeated):
        spread = repeated.groupby(keys, dropna=False)["value"].nunique(dropna=False)
        conflicts = spread[spread > 1]
        if len(conflicts):
            lines: list[str] = []
            for key_values in conflicts.index[:10]:
                rows = repeated[(repeated[keys] == pd.Series(key_values, index=keys)).all(axis=1)]
                listed = ", ".join(f"{v:g} (line {int(line)})" for v, line in zip(rows["value"], rows["__line"],
                                                                                strict=True))
                lines.append(f"{key_values[0]} {key_values[1]} {key_values[2]}: {listed}")
            more = f" (+{len(conflicts) - 10} more)" if len(conflicts) > 10 else ""
            raise SchemaError(
                f"{heading}: {len(conflicts)} region/indicator/year(s) have several different values{more}: "
                + "; ".join(lines) + "; keep one row for each (delete or correct the others)"
            )
        collapsed = int(tidy.duplicated(keys).sum())
        notes.append(f"{collapsed} repeated row(s) with identical values collapsed in {name}")
        tidy = tidy.drop_duplicates(keys)
    tidy = tidy.drop(columns="__line").reset_index(drop=True)
    tidy.attrs["non_numeric_cells"] = int(text_cells.sum())
    tidy.attrs["non_numeric_examples"] = [str(v) for v in raw[text_cells].head(_EXAMPLES)]
    tidy.attrs["decimal"] = decimal
    tidy.attrs["notes"] = notes
    tidy.attrs["name"] = name
    return tidy


@dataclass(frozen=True)
class JoinReport:
    """How an indicator table's codes met the region layer's codes.

    Attributes
    ----------
    matched
        Codes present in both.
    unmatched_codes
        Codes of the table with no region, each with a hint where one can be given.
    regions_without_data
        Region codes with no row in the table.
    non_numeric_cells
        Cells that held text instead of a number.
    """

    matched: tuple[str, ...]
    unmatched_codes: dict[str, str]
    regions_without_data: tuple[str, ...]
    non_numeric_cells: int = 0
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [f"indicator codes matched to regions: {len(self.matched)}"]
        if self.unmatched_codes:
            lines.append(f"codes without a region: {len(self.unmatched_codes)}")
            groups: dict[str, list[str]] = {}
            for code, hint in self.unmatched_codes.items():
                groups.setdefault(hint or "no similar region code", []).append(code)
            for hint, codes in groups.items():
                more = f", +{len(codes) - 10} more" if len(codes) > 10 else ""
                lines.append(f"  {', '.join(map(printable, codes[:10]))}{more}: {printable(hint)}")
        if self.regions_without_data:
            lines.append(f"regions without any indicator: {len(self.regions_without_data)}: "
                         + ", ".join(map(printable, self.regions_without_data)))
        if self.non_numeric_cells:
            lines.append(f"cells that were not numbers (left empty): {self.non_numeric_cells}")
        lines += self.notes
        return "\n".join(lines)


def match_codes(regions: pd.DataFrame, table: pd.DataFrame) -> JoinReport:
    """Report which table codes match region codes, and which do not (both ways).

    Parameters
    ----------
    regions
        Region layer indexed by code.
    table
        Tidy indicator table.

    Returns
    -------
    JoinReport
        Matched codes, unmatched table codes with hints, regions without data.
    """
    region_codes = set(regions.index.astype(str))
    by_upper = {c.upper(): c for c in region_codes}
    table_codes = set(table["region_id"].dropna().astype(str))
    # (length, country) of the layer's NUTS-looking codes: an unknown code of the same shape is
    # most likely one that a NUTS revision renamed (NO01 of NUTS 2016, NO08 of NUTS 2021...)
    nuts_levels = {(len(c), c[:2]) for c in region_codes if _NUTS.match(c)}
    unmatched = {}
    for code in sorted(table_codes - region_codes):
        if code.strip().upper() in by_upper:
            unmatched[code] = f"differs only in case or spaces from {by_upper[code.strip().upper()]}"
        elif any(r.startswith(code) and r != code for r in region_codes):
            unmatched[code] = "a coarser unit (e.g. NUTS 1 or a national total) of study regions"
        elif _NUTS.match(code) and (len(code), code[:2]) in nuts_levels:
            unmatched[code] = ("a NUTS code of the layer's country and level that the layer lacks: "
                               "probably another NUTS version (recode it to the layer's version)")
        else:
            unmatched[code] = ""
    report = JoinReport(
        matched=tuple(sorted(table_codes & region_codes)),
        unmatched_codes=unmatched,
        regions_without_data=tuple(c for c in regions.index.astype(str) if c not in table_codes),
        non_numeric_cells=int(table.attrs.get("non_numeric_cells", 0)),
        notes=tuple(table.attrs.get("notes", ())),
    )
    if not report.matched:
        case_only = {code: by_upper[code.strip().upper()] for code in sorted(table_codes)
                     if code.strip().upper() in by_upper}
        if case_only:
            # the codes are the right kind, written otherwise: name each one the layer would match
            pairs = "; ".join(f"{_cell(code)} is {_cell(region)}" for code, region in list(case_only.items())[:6])
            more = f" (and {len(case_only) - 6} more)" if len(case_only) > 6 else ""
            upper = all(region == region.upper() for region in case_only.values())
            raise JoinError(
                f"no indicator code matches a region code exactly, but {len(case_only)} of the table's "
                f"{len(table_codes)} codes differ from the layer's only in case or spaces: {pairs}{more} in the "
                f"layer; write the codes in {_table_name(table)} as the layer does"
                + (" (upper case, e.g. with =UPPER() in a spreadsheet)" if upper else "")
            )
        raise JoinError(
            "no indicator code matches a region code; e.g. table has "
            f"{', '.join(map(printable, sorted(table_codes)[:3]))} and regions have "
            f"{', '.join(map(printable, sorted(region_codes)[:3]))}. "
            "Check the id columns of both (region codes must be the same kind, e.g. NUTS_ID)"
        )
    return report


#: The kinds of year rule (:data:`YEAR_RULES`).
YearKind = Literal["exact", "latest", "window", "nearest"]


@dataclass(frozen=True)
class YearRule:
    """Which year's value an index component takes for each region.

    Attributes
    ----------
    kind
        ``"exact"``: the value of the year, nothing else. ``"latest"``: for each indicator name,
        the latest year up to the year in which any study region has a value (one year for all
        regions, so they stay comparable). ``"window"``: each region's own latest value from the
        year back to ``window`` years before it (more regions covered, years may differ).
        ``"nearest"``: each region's value of the year nearest to the reference year, at most
        ``window`` years before or after it; of two equally near years the earlier wins.
    year
        The reference year; ``None`` takes the study's year (chosen or set in ``[index]``).
    window
        For ``"window"``: how many years before the reference year are accepted
        (``window=2`` with 2021 accepts 2019, 2020 and 2021); for ``"nearest"``: how many years
        before or after it (``window=1`` with 2021 accepts 2020, 2021 and 2022).

    Examples
    --------
    >>> YearRule("window", window=2).describe(2021)
    'latest value per region in 2019-2021'
    >>> YearRule("nearest", window=3).describe(2021)
    'nearest year per region in 2018-2024 (of two equally near, the earlier)'
    """

    kind: YearKind = "exact"
    year: int | None = None
    window: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in YEAR_RULES:
            problems.append(f"unknown year rule {self.kind!r}; choose one of {sorted(YEAR_RULES)}")
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 0:
            problems.append(f"window must be a whole number of years >= 0, not {self.window!r}")
        elif self.window and self.kind not in _WINDOW_RULES:
            problems.append(f"window={self.window} only applies to the {' and '.join(map(repr, _WINDOW_RULES))} "
                            f"rules, not {self.kind!r}")
        if self.year is not None and (isinstance(self.year, bool) or not isinstance(self.year, int)):
            problems.append(f"year must be a whole number, not {self.year!r}")
        if problems:
            raise SchemaError("year rule: " + "; ".join(problems))

    def describe(self, year: int) -> str:
        """The rule in words, for reports and tooltips.

        Parameters
        ----------
        year
            The study's year, used when the rule has none of its own.

        Returns
        -------
        str
            E.g. ``"latest year up to 2021"``.
        """
        ref = self.year if self.year is not None else year
        if self.kind == "exact":
            return f"values of {ref}"
        if self.kind == "latest":
            return f"latest year up to {ref}"
        if self.kind == "nearest":
            return (f"nearest year per region in {ref - self.window}-{ref + self.window} "
                    "(of two equally near, the earlier)")
        return f"latest value per region in {ref - self.window}-{ref}"


def _exact_year(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    return rows[rows["year"] == year]


def _latest_year(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    candidates = rows[rows["year"] <= year]
    latest: pd.DataFrame = candidates[candidates["year"] == candidates["year"].max()]
    return latest


def _window_years(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    candidates = rows[(rows["year"] <= year) & (rows["year"] >= year - window)]
    # stable sort, so that among duplicates of the latest year the first row wins, as in "exact"
    return candidates.sort_values("year", kind="stable").drop_duplicates("region_id", keep="last")


def _nearest_years(rows: pd.DataFrame, year: int, window: int) -> pd.DataFrame:
    distance = (rows["year"] - year).abs()
    candidates = rows.assign(_distance=distance)[distance.le(window).fillna(False).astype(bool)]
    # of 2020 and 2022 for 2021 the earlier wins: a value already known in the reference year;
    # stable sort, so that among duplicates of one year the first row wins, as in "exact"
    ordered = candidates.sort_values(["_distance", "year"], kind="stable")
    return ordered.drop_duplicates("region_id", keep="first").drop(columns="_distance")


#: Year rules: kind -> function(rows of one indicator, year, window) -> the rows to use.
YEAR_RULES: Final[Mapping[str, Callable[[pd.DataFrame, int, int], pd.DataFrame]]] = {
    "exact": _exact_year,
    "latest": _latest_year,
    "window": _window_years,
    "nearest": _nearest_years,
}

#: The rules that read ``window``.
_WINDOW_RULES: Final[tuple[str, ...]] = ("window", "nearest")


def normalised_definition(text: str) -> str:
    """A definition as compared: surrounding and repeated white space do not make two texts differ.

    Examples
    --------
    >>> normalised_definition("  Eurostat:  individuals 16-74   weekly ")
    'Eurostat: individuals 16-74 weekly'
    """
    return " ".join(str(text).split())


def table_definitions(table: pd.DataFrame, names: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """The definitions an indicator table gives each indicator name (its ``definition`` column).

    Parameters
    ----------
    table
        Tidy indicator table (:func:`tidy_table`); without a ``definition`` column nothing is found.
    names
        Only these indicator names; every name when ``None``.

    Returns
    -------
    dict of str to tuple of str
        Indicator name -> its distinct definitions (white space normalised, sorted); names
        without any definition are left out. More than one definition for a name means the
        table uses one name for values measured differently.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "y", "z"], "indicator": ["users", "users", "weekly"],
    ...                       "definition": ["15-74, used the internet", "15-74,  used the internet", None]})
    >>> table_definitions(table)
    {'users': ('15-74, used the internet',)}
    """
    if DEFINITION_COLUMN not in table.columns:
        return {}
    rows = table[["indicator", DEFINITION_COLUMN]].dropna()
    if names is not None:
        rows = rows[rows["indicator"].isin(list(names))]
    found: dict[str, set[str]] = {}
    for name, text in zip(rows["indicator"].astype(str), rows[DEFINITION_COLUMN].astype(str), strict=True):
        normalised = normalised_definition(text)
        if normalised:
            found.setdefault(name, set()).add(normalised)
    return {name: tuple(sorted(texts)) for name, texts in sorted(found.items())}


@dataclass(frozen=True)
class ComponentValues:
    """Each index component's value per region, the year it comes from and the indicator that gave it.

    Attributes
    ----------
    values
        One column per component (NaN where a region has none), indexed like the regions.
    years
        The year of each value: columns ``<component>_year``, nullable integers.
    indicators
        The indicator name each value comes from (the first of the component's names the region
        has a value for): columns ``<component>_indicator``, text, missing where there is no value;
        and, when the table has a ``definition`` column, the definition of each value:
        columns ``<component>_definition`` (white space normalised; missing where the row gives
        none). One indicator name may carry values of several definitions (Rosstat's and
        Eurostat's households with internet access, say).
    """

    values: pd.DataFrame
    years: pd.DataFrame
    indicators: pd.DataFrame


def traced_component_values(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    year: int,
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> ComponentValues:
    """Values of each index component per region, with the year and the indicator name of each.

    A component may be measured by different indicators on either side of a border (Eurostat's
    weekly internet users, Rosstat's users aged 15-74): the first of its indicator names that a
    region has a value for (under the component's year rule) is used, and named in
    ``indicators``, so that values of different definitions can be told apart
    (:mod:`borderland.comparability`).

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names, in order of preference.
    year
        The study's year.
    rules
        Component name -> :class:`YearRule`; components not named take the exact ``year``.

    Returns
    -------
    ComponentValues
        Values, their years and their indicator names, each indexed like ``regions``.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "y", "y"], "indicator": ["weekly", "used", "weekly"],
    ...                       "year": 2021, "value": [90.0, 85.0, 80.0]})
    >>> traced = traced_component_values(table, pd.DataFrame(index=["x", "y", "z"]),
    ...                                  {"users": ["used", "weekly"]}, 2021)
    >>> traced.values["users"].tolist(), traced.indicators["users_indicator"].tolist()
    ([90.0, 85.0, nan], ['weekly', 'used', <NA>])
    """
    rules = dict(rules or {})
    unknown = sorted(set(rules) - set(components))
    if unknown:
        raise SchemaError(f"year rules name unknown component(s) {unknown}; components are {sorted(components)}")
    codes = regions.index.astype(str)
    names = {n for ns in components.values() for n in ns}
    rows = table[table["indicator"].isin(names) & table["region_id"].isin(codes) & table["year"].notna()]
    defined = DEFINITION_COLUMN in rows.columns
    kept = ["region_id", "indicator", "year", "value", *([DEFINITION_COLUMN] if defined else [])]
    rows = rows[kept].astype({"year": "int64"})
    by_name = dict(tuple(rows.groupby("indicator", sort=False)))
    values = pd.DataFrame(index=regions.index)
    years = pd.DataFrame(index=regions.index)
    sources = pd.DataFrame(index=regions.index)
    for component, indicator_names in components.items():
        rule = rules.get(component, YearRule())
        ref = rule.year if rule.year is not None else int(year)
        value = pd.Series(np.nan, index=regions.index, dtype=float)
        taken = pd.Series(pd.NA, index=regions.index, dtype="Int64")
        source = pd.Series(pd.NA, index=regions.index, dtype="string")
        meaning = pd.Series(pd.NA, index=regions.index, dtype="string")
        for name in indicator_names:
            if name not in by_name:
                continue
            chosen = YEAR_RULES[rule.kind](by_name[name], ref, rule.window).drop_duplicates("region_id")
            chosen = chosen.set_index("region_id").reindex(codes)
            chosen.index = regions.index
            fill = value.isna() & chosen["value"].notna()
            value[fill] = chosen.loc[fill, "value"]
            taken[fill] = chosen.loc[fill, "year"].astype("Int64")
            source[fill] = name
            if defined:
                text = chosen.loc[fill, DEFINITION_COLUMN].astype("string")
                meaning[fill] = text.map(lambda t: normalised_definition(t) if isinstance(t, str) else pd.NA)
        values[component] = value
        years[f"{component}_year"] = taken
        sources[f"{component}_indicator"] = source
        if defined:
            sources[f"{component}_definition"] = meaning
    return ComponentValues(values=values, years=years, indicators=sources)


def component_values(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    year: int,
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values of each index component per region, and the year each value comes from.

    A component may be measured by different indicators on either side of a border (Eurostat's
    weekly internet users, Rosstat's users aged 15-74): the first of its indicator names that a
    region has a value for (under the component's year rule) is used;
    :func:`traced_component_values` also says which.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names, in order of preference.
    year
        The study's year.
    rules
        Component name -> :class:`YearRule`; components not named take the exact ``year``.

    Returns
    -------
    tuple of pandas.DataFrame
        Values (one column per component, NaN where a region has none) and the years they come
        from (columns ``<component>_year``, nullable integers), both indexed like ``regions``.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "x", "y"], "indicator": "users", "year": [2019, 2020, 2019],
    ...                       "value": [1.0, 2.0, 3.0]})
    >>> values, years = component_values(table, pd.DataFrame(index=["x", "y"]), {"users": ["users"]}, 2021,
    ...                                  rules={"users": YearRule("window", window=2)})
    >>> values["users"].tolist(), years["users_year"].tolist()
    ([2.0, 3.0], [2020, 2019])
    """
    traced = traced_component_values(table, regions, components, year, rules=rules)
    return traced.values, traced.years


def indicator_matrix(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    year: int,
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> pd.DataFrame:
    """One column per index component, one row per region, values of ``year``.

    The values of :func:`component_values`, without the years.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names, in order of preference.
    year
        The year to take.
    rules
        Component name -> :class:`YearRule`; by default every component takes the exact year.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``; NaN where a region has no value.
    """
    return component_values(table, regions, components, year, rules=rules)[0]


def complete_by_year(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    years: Sequence[int],
    *,
    rules: Mapping[str, YearRule] | None = None,
) -> pd.DataFrame:
    """Whether each region has every component in each candidate year, under the year rules.

    The same answer as ``indicator_matrix(table, regions, components, year, rules=rules)
    .notna().all(axis=1)`` for each year, computed for all years at once on a presence grid of
    region x year per indicator (a loop over the years costs about 50 ms a year on the bundled
    study; this, a few milliseconds in all).

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code.
    components
        Component name -> indicator names.
    years
        The candidate years.
    rules
        Component name -> :class:`YearRule` (exact year by default).

    Returns
    -------
    pandas.DataFrame
        Booleans, indexed like ``regions``, one column per year.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "x", "y"], "indicator": "u", "year": [2019, 2021, 2020],
    ...                       "value": 1.0})
    >>> complete_by_year(table, pd.DataFrame(index=["x", "y"]), {"u": ["u"]}, [2020, 2021],
    ...                  rules={"u": YearRule("window", window=1)}).to_numpy().tolist()
    [[True, True], [True, True]]
    """
    rules = dict(rules or {})
    codes = regions.index.astype(str)
    position = pd.Series(np.arange(len(codes)), index=codes)
    names = {n for ns in components.values() for n in ns}
    rows = table[table["indicator"].isin(names) & table["region_id"].isin(codes) & table["year"].notna()]
    span_years = [int(y) for y in rows["year"]] + [int(y) for y in years]
    span_years += [r.year for r in rules.values() if r.year is not None]
    first = min(span_years, default=0)
    last = max(span_years, default=0)
    widest = max((r.window for r in rules.values()), default=0)
    first, last = first - widest, last + widest
    width = last - first + 1
    presence: dict[str, np.ndarray] = {}
    for name, group in rows.groupby("indicator", sort=False):
        grid = np.zeros((len(codes), width), dtype=bool)
        grid[position[group["region_id"].astype(str)].to_numpy(), group["year"].astype(int).to_numpy() - first] = True
        presence[str(name)] = grid
    complete = np.ones((len(codes), len(years)), dtype=bool)
    for component, indicator_names in components.items():
        rule = rules.get(component, YearRule())
        refs = np.array([rule.year if rule.year is not None else int(y) for y in years], dtype=int) - first
        covered = np.zeros((len(codes), len(years)), dtype=bool)
        for name in indicator_names:
            if name not in presence:
                continue
            grid = presence[name]
            if rule.kind == "exact":
                covered |= grid[:, refs]
            elif rule.kind == "latest":
                # one year for all regions: the latest up to the reference in which any region has a value
                any_region = grid.any(axis=0)
                latest = np.maximum.accumulate(np.where(any_region, np.arange(width), -1))
                chosen = latest[refs]
                covered |= np.where(chosen >= 0, grid[:, np.maximum(chosen, 0)], False)
            else:
                before, after = (rule.window, 0) if rule.kind == "window" else (rule.window, rule.window)
                counts = np.concatenate([np.zeros((len(codes), 1), dtype=int), np.cumsum(grid, axis=1)], axis=1)
                low = np.clip(refs - before, 0, width)
                high = np.clip(refs + after + 1, 0, width)
                covered |= (counts[:, high] - counts[:, low]) > 0
        complete &= covered
    return pd.DataFrame(complete, index=regions.index, columns=list(years))


def choose_year(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    components: Mapping[str, Sequence[str]],
    *,
    focus_country: str | None = None,
    rules: Mapping[str, YearRule] | None = None,
) -> tuple[int, pd.DataFrame]:
    """The latest year in which the most regions on both sides of the border have every component.

    "Both sides" are the focus country and all others (or, without a focus country, all regions).
    Years in which either side has no complete region are not eligible.

    Parameters
    ----------
    table
        Tidy indicator table.
    regions
        Region layer indexed by code, with ``country``.
    components
        As for :func:`indicator_matrix`.
    focus_country
        ISO alpha-2 code of the country at the centre of the study (``"RU"``).
    rules
        Component name -> :class:`YearRule`: a region counts as complete in a year when every
        component has a value under its rule (e.g. a window reaching back from that year).

    Returns
    -------
    tuple of int and pandas.DataFrame
        The year, and the per-year counts (``focus``, ``others``, ``total``) it was chosen from.
    """
    names = {n for ns in components.values() for n in ns}
    years = [int(y) for y in sorted(table.loc[table["indicator"].isin(names), "year"].dropna().unique())]
    complete = complete_by_year(table, regions, components, years, rules=rules).to_numpy()
    focus = (regions["country"].eq(focus_country) if focus_country else pd.Series(True, index=regions.index))
    focus_mask = focus.fillna(False).to_numpy(dtype=bool)[:, None]
    counts = pd.DataFrame({"focus": (complete & focus_mask).sum(axis=0).astype(int),
                           "others": (complete & ~focus_mask).sum(axis=0).astype(int) if focus_country
                           else np.zeros(len(years), dtype=int)},
                          index=pd.Index(years, name="year", dtype="int64"))
    counts["total"] = counts["focus"] + counts["others"]
    eligible = counts[(counts["focus"] > 0) & ((counts["others"] > 0) | (focus_country is None))]
    if eligible.empty:
        raise JoinError(
            "no year has every index component for regions on both sides of the border; per year "
            f"(focus, others): {counts[['focus', 'others']].to_dict('index')}. Drop a component from [index], "
            "allow nearby years (year_rule = \"window\" or \"nearest\"), or set [index] year"
        )
    best = eligible[eligible["total"] == eligible["total"].max()].index.max()
    return int(best), counts
