"""How an indicator table's codes meet the region layer's, both ways (:func:`match_codes` -> :class:`JoinReport`).

Codes that do not match, and regions without any value, are reported rather than dropped in
silence, each unmatched code with a hint where one can be given (a case or spacing difference,
a coarser unit, another NUTS version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from borderland.errors import JoinError
from borderland.indicators.tidy import _cell, _table_name
from borderland.specs import printable

__all__ = ["JoinReport", "match_codes"]

_NUTS = re.compile(r"^[A-Z]{2}[0-9A-Z]{1,3}$")


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

