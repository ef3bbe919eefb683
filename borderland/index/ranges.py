"""Values outside their range: percentages beyond 0-100 (input errors), values beyond the goalposts (flagged).

:func:`percentage_problems` is an input check (the pipeline runs it before any stage
computes): no share of households can be -5 % or 130 %. :func:`beyond_goalposts` flags and
names the raw values outside their component's goalposts, which the index keeps (capped where
the goalposts normalise).
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from borderland.index.spec import IndexSpec
from borderland.specs import printable, shown

__all__ = ["beyond_goalposts", "is_share_unit", "percentage_problems"]

#: A unit declaring a share in per cent (0 to 100): "%", "% of households", "percent"; not a
#: change or a difference in per cent ("% change", "percentage points", "% per year").
_SHARE_UNIT: Final = re.compile(r"^\s*(?:%|per\s?cent(?:age)?\b|pct\b)(?!\s*(?:change|points?|growth|per\b|p\.a\.))",
                                re.IGNORECASE)


def is_share_unit(unit: object) -> bool:
    """Whether a unit declares a share in per cent, whose values lie from 0 to 100.

    Examples
    --------
    >>> [is_share_unit(u) for u in ("% of households", "%", "percent", "% change", "percentage points", "EUR")]
    [True, True, True, False, False, False]
    """
    return isinstance(unit, str) and bool(_SHARE_UNIT.match(unit))


def percentage_problems(table: pd.DataFrame, spec: IndexSpec, codes: pd.Index | None = None, *,
                        file: str = "the indicator table") -> list[str]:
    """Values of the index components that are percentages yet lie outside 0-100: input errors.

    A value is a percentage when its row's ``unit`` says so, or, without a unit in the row,
    when its component's ``unit`` does (``"% of households"``; :func:`is_share_unit`). No
    share of households can be -5 % or 130 %: such a value is a typo or a code for missing
    (-1, 999), and the index never uses it silently.

    Parameters
    ----------
    table
        The tidy indicator table (``region_id``, ``indicator``, ``year``, ``value``, optional ``unit``).
    spec
        The index specification.
    codes
        The regions' codes: only their rows are checked (every row when ``None``).
    file
        The table's file name, for the fix.

    Returns
    -------
    list of str
        One problem per component (empty when every percentage lies from 0 to 100).

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "y"], "indicator": "a", "year": 2020, "value": [50.0, -5.0]})
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), unit="% of households"),))
    >>> print(percentage_problems(table, spec, file="t.csv")[0])  # doctest: +NORMALIZE_WHITESPACE
    [[index.components]] (a): 1 value(s) are percentages (unit = "% of households") outside 0-100: y a 2020 = -5;
    correct them in t.csv, or leave those cells empty (no data); if the component is no share in per cent, change
    its unit
    """
    rows = table if codes is None else table[table["region_id"].astype(str).isin(codes.astype(str))]
    row_units = rows["unit"] if "unit" in rows.columns else pd.Series(pd.NA, index=rows.index, dtype="object")
    problems = []
    for component in spec.components:
        mine = rows["indicator"].isin(component.indicators)
        if not mine.any():
            continue
        units = row_units[mine]
        unit_given = units.notna() & (units.astype("string").str.strip() != "")
        share = np.where(unit_given, units.map(is_share_unit).astype(bool), is_share_unit(component.unit))
        values = pd.to_numeric(rows.loc[mine, "value"], errors="coerce")
        bad = rows.loc[mine][share & ((values < 0) | (values > 100)).to_numpy()]
        if bad.empty:
            continue
        where = (f"unit = {shown(component.unit)}" if not unit_given[bad.index].all()
                 else f"the table's unit {shown(str(bad['unit'].iloc[0]))}")
        listed = "; ".join(f"{printable(str(r.region_id))} {printable(str(r.indicator))} {r.year} = {r.value:g}"
                           for r in bad.head(5).itertuples(index=False))
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        problems.append(f"[[index.components]] ({component.name}): {len(bad)} value(s) are percentages ({where}) "
                        f"outside 0-100: {listed}{more}; correct them in {file}, or leave those cells empty (no data)"
                        + ("; if the component is no share in per cent, change its unit"
                           if where.startswith("unit") else ""))
    return problems


def beyond_goalposts(values: pd.DataFrame, spec: IndexSpec, *, years: pd.DataFrame | None = None
                     ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The raw values outside their component's goalposts: a flag per value and a note per component.

    The values are kept as they are (never clipped in the data). Where the goalposts normalise
    (``normalisation = "goalposts"``), such a value scores as the goalpost it passes: capped,
    deliberately, as the OECD/JRC Handbook does with goalposts; otherwise the goalposts are not
    used and the value enters the index as it is. Either way each one is flagged and named.

    Parameters
    ----------
    values
        Raw values, one column per component, indexed by region.
    spec
        The index specification (components' goalposts, the normalisation).
    years
        The year of each value (columns ``<component>_year``), named in the notes.

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        The flags (``<component>_beyond_goalposts``, only for components with goalposts) and
        one note per component with such values.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), goalposts=(0.0, 100.0)),), normalisation="goalposts")
    >>> flags, notes = beyond_goalposts(pd.DataFrame({"a": [50.0, -5.0]}, index=["x", "y"]), spec)
    >>> flags["a_beyond_goalposts"].tolist()
    [False, True]
    >>> print(notes[0])  # doctest: +NORMALIZE_WHITESPACE
    a: 1 value(s) outside its goalposts [0, 100], kept as they are: y -5 (below 0); each scores as the goalpost
    it passes (capped, as goalposts do in the OECD/JRC Handbook), and a_beyond_goalposts flags it; if they are
    percentages, correct them (unit = "%" makes such values input errors)
    """
    flags = pd.DataFrame(index=values.index)
    notes = []
    for component in spec.components:
        if component.goalposts is None or component.name not in values.columns:
            continue
        low, high = component.goalposts
        column = values[component.name].astype(float)
        beyond = (column < low) | (column > high)
        flag = f"{component.name}_beyond_goalposts"
        flags[flag] = beyond
        if not beyond.any():
            continue
        shown_values = column[beyond].head(8)
        year_column = f"{component.name}_year"
        taken = (years[year_column].reindex(shown_values.index).tolist() if years is not None
                 and year_column in years.columns else [None] * len(shown_values))
        listed = ", ".join(
            f"{printable(str(code))} {value:g}" + (f" in {int(year)}" if pd.notna(year) else "")
            + f" ({'below' if value < low else 'above'} {low if value < low else high:g})"
            for code, value, year in zip(shown_values.index, shown_values.to_numpy(), taken, strict=True))
        more = f" and {int(beyond.sum()) - 8} more" if beyond.sum() > 8 else ""
        treated = ("each scores as the goalpost it passes (capped, as goalposts do in the OECD/JRC Handbook)"
                   if spec.normalisation == "goalposts" else
                   f"[index] normalisation = {shown(spec.normalisation)} does not use the goalposts, so they enter "
                   "the index as they are")
        hint = ("" if is_share_unit(component.unit) or (low, high) != (0.0, 100.0) else
                "; if they are percentages, correct them (unit = \"%\" makes such values input errors)")
        notes.append(f"{component.name}: {int(beyond.sum())} value(s) outside its goalposts [{low:g}, {high:g}], "
                     f"kept as they are: {listed}{more}; {treated}, and {flag} flags it{hint}")
    return flags, tuple(notes)
