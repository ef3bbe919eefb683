"""What every section of the report reads, and the helpers they share.

:class:`_Context` holds the run's result, the layers of its GeoPackage, the language and its
:class:`~borderland.report.i18n.Locale`, and writes numbers as the report writes them
(:data:`FORMATS`). The names with an underscore are this package's own: shared by its
section modules, not part of the report's API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import pandas as pd

from borderland.pipeline import StudyResult
from borderland.report.document import Cell, Column, Paragraph, Source, Table
from borderland.report.i18n import Data, Locale, Parts, _float, class_name, phrase, text

__all__ = ["FORMATS"]


def _significant(locale: Locale, value: Any) -> str:
    return locale.sig(value, 3)


#: How each kind of number is written: rounded for reading (the HTML's ``data-value`` keeps the
#: value); a column's name is its kind, ``count``, ``p`` (a probability) and ``rank`` are kinds too.
FORMATS: Final[Mapping[str, Callable[[Locale, Any], str]]] = {
    "index": lambda loc, v: loc.fixed(v, 3),
    "gap": lambda loc, v: loc.signed(v, 3),
    "abs_gap": lambda loc, v: loc.fixed(v, 3),
    "mean_gap_length_weighted": lambda loc, v: loc.signed(v, 3),
    "mean_gap": lambda loc, v: loc.signed(v, 3),
    "max_abs_gap": lambda loc, v: loc.fixed(v, 3),
    "shared_border_km": lambda loc, v: loc.count(v),
    "gap_share_pct": lambda loc, v: loc.pct(v, 1),
    "with_data_pct": lambda loc, v: loc.pct(v, 1),
    "share_pct": lambda loc, v: loc.pct(v, 1),
    "p": lambda loc, v: loc.fixed(v, 2),
    "rank": lambda loc, v: loc.plain(v),
    "count": lambda loc, v: loc.count(v),
    "r": lambda loc, v: loc.fixed(v, 3),
}


# -- small helpers -----------------------------------------------------------------------------


def _str(value: Any) -> str:
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value)


def _flag(value: Any) -> bool | None:
    """A yes/no of the data, ``None`` when missing: a flag is no number (``i18n._float`` reads none from it).

    Whichever way the column comes: numpy's booleans (the run's nullable column), Python's and
    ``None`` (a GeoPackage read back through Arrow), 1.0, 0.0 and NaN (read back without it).
    """
    return None if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else bool(value)


def _join(parts: Sequence[Parts], separator: str = "; ") -> Parts:
    out: list[str | Data] = []
    for k, part in enumerate(parts):
        if k:
            out.append(separator)
        out += list(part)
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class _Context:
    """What every section reads: the result, its layers, the language."""

    result: StudyResult
    layers: Mapping[str, pd.DataFrame]
    lang: str
    locale: Locale
    gpkg: str

    def t(self, key: str, **values: Any) -> str:
        return text(key, self.lang, **values)

    def p(self, key: str, **values: Any) -> Parts:
        return phrase(key, self.lang, **values)

    @property
    def focus(self) -> str | None:
        return self.result.study.focus_country

    @property
    def regions(self) -> pd.DataFrame:
        return self.layers["regions"]

    @property
    def indexed(self) -> pd.DataFrame:
        regions = self.regions
        return regions[regions["index"].notna()]

    def side_name(self, side: str) -> str:
        """A side of the border as written: "RU side", "other side", or "all regions" without a focus country."""
        if side in ("other", "others"):
            return self.t("other_side")
        if side == "all":
            return self.t("all_regions")
        return self.t("side_of", country=side)

    def sides(self, frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
        """The frame's rows on the focus side and on the other side (all rows when no focus country)."""
        if not self.focus:
            return [("all", frame)]
        on = frame["country"].eq(self.focus)
        return [(self.focus, frame[on]), ("other", frame[~on])]

    def statistic(self, key: str, variable: str | None = None) -> float | None:
        table = self.layers.get("statistics")
        if table is None:
            return None
        rows = table[table["statistic"] == key]
        if variable is not None:
            rows = rows[rows["variable"] == variable]
        return _float(rows["value"].iloc[0]) if len(rows) else None

    def label(self, label: str) -> str:
        return class_name(label, self.lang)

    def number(self, kind: str, value: Any) -> Cell:
        """A cell of a number, written as numbers of its kind are, keeping the value."""
        return Cell(self.format(kind, value), _float(value))

    def format(self, kind: str, value: Any) -> str:
        """A number as the report writes numbers of its kind (:data:`FORMATS`; else 3 significant digits)."""
        return FORMATS.get(kind, _significant)(self.locale, value)


def _table(ctx: _Context, key: str, caption: str, source: Source, columns: Sequence[Column],
           rows: Sequence[Sequence[Cell]]) -> Table:
    return Table(key=key, caption=caption, source=source, columns=tuple(columns),
                 rows=tuple(tuple(row) for row in rows))


def _not_run(ctx: _Context, reason: str) -> Paragraph:
    return Paragraph(ctx.p("not_run", reason=reason))


# -- what several sections say -----------------------------------------------------------------


def _class_counts(ctx: _Context, typology: pd.Series) -> str:
    counts = typology.value_counts()
    return ", ".join(ctx.t("class_count", label=ctx.label(label), count=ctx.locale.count(int(counts.get(label, 0))))
                     for label in ctx.result.study.typology.labels)


def _side_counts(ctx: _Context, frame: pd.DataFrame) -> str:
    return ", ".join(f"{ctx.side_name(side)}: {ctx.locale.count(len(part))}" for side, part in ctx.sides(frame))


def _association(ctx: _Context) -> str | None:
    """The association of trade with the gap in words: rho, n and p, or why it was not measured."""
    association = ctx.result.trade_association
    if association is None:
        return None
    n = int(getattr(association, "n", 0) or 0)
    rho = _float(getattr(association, "rho", None))
    if rho is None:
        return ctx.t("trade_too_few", n=ctx.locale.count(n))
    return ctx.t("trade_rho", rho=ctx.locale.fixed(rho, 2), n=ctx.locale.count(n),
                 p=ctx.locale.sig(getattr(association, "p_value", None)))


def _rule_options(ctx: _Context) -> str:
    """The typology rule's options as written (``k = 0.5``; cuts as a list of numbers)."""
    def shown(value: Any) -> str:
        if isinstance(value, tuple | list):
            return "[" + "; ".join(ctx.locale.sig(v) for v in value) + "]"
        return ctx.locale.sig(value) if isinstance(value, int | float) else str(value)

    return ", ".join(f"{key} = {shown(value)}" for key, value in ctx.result.study.typology.kwargs.items())
