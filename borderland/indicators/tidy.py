"""Indicator tables brought into the tidy layout, their values checked (:func:`tidy_table`).

The tidy layout is one row per region, indicator and year (:data:`TIDY_COLUMNS`, and an
optional ``definition`` column, read by :func:`table_definitions`). Wide tables are melted into
it; text cells become numbers (:func:`parse_numbers`, with the decimal separator found by
:func:`detect_decimal` when not declared), and what a user did not mean -- a non-finite number,
two different values for one region, indicator and year, a table without data rows -- is an
error naming the cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError, collect
from borderland.specs import printable

__all__ = ["DEFINITION_COLUMN", "TIDY_COLUMNS", "detect_decimal", "normalised_definition", "parse_numbers",
           "table_definitions", "tidy_table"]

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
    read_as: Mapping[str, str] | None = None,
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
    read_as
        Tidy column -> the file's name for it, where the study renamed columns
        (``[indicators] year_column`` ...): messages list the columns as the file names them.

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
        as_read = dict(read_as or {})
        columns = ", ".join(printable(str(as_read.get(str(c), c))) for c in frame.columns)
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
