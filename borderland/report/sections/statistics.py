"""The report's global statistics: every statistic of the run, Theil and coherence."""

from __future__ import annotations

from typing import Final

from borderland.report.document import Block, Cell, Column, Paragraph, Section, Source
from borderland.report.i18n import Data, _float, statistic_name, word
from borderland.report.sections.context import _Context, _str, _table

__all__ = ["statistics_section"]


_WHOLE_UNITS: Final = ("year", "seed")
_COUNT_UNITS: Final = ("regions", "draws", "permutations")


def statistics_section(ctx: _Context) -> Section:
    """Global statistics: the statistics table, Theil's decomposition, coherence."""
    table = ctx.layers["statistics"]
    columns = [Column(ctx.t("col_statistic"), "statistic"), Column(ctx.t("col_variable"), "variable"),
               Column(ctx.t("col_value"), "value", True), Column(ctx.t("col_unit"), "unit"),
               Column(ctx.t("col_key"), "statistic")]
    rows = []
    for row in table.itertuples():
        unit = _str(row.unit)
        value = row.value
        shown = (ctx.locale.plain(value) if unit in _WHOLE_UNITS else ctx.locale.count(value)
                 if unit in _COUNT_UNITS else ctx.locale.sig(value, 3))
        variable = _str(row.variable)
        rows.append([Cell(statistic_name(str(row.statistic), ctx.lang)),
                     Cell(Data(word(variable, ctx.lang) if variable in ("index", "others", "all") else variable)),
                     Cell(shown, _float(value)), Cell(word(unit, ctx.lang)), Cell(Data(str(row.statistic)))])
    blocks: list[Block] = [_table(ctx, "statistics", ctx.t("tab_statistics"),
                                  Source("statistics", ("statistic", "variable", "value", "unit")), columns, rows)]
    theil = ctx.layers.get("theil")
    if theil is not None and len(theil):
        partitions = [p for p in ("country", "side", "border_order") if p in set(theil["partition"])]
        columns = [Column(ctx.t("col_measure"), "measure"), Column(ctx.t("col_unit"), "measure_unit"),
                   Column(ctx.t("col_theil"), "theil_total", True)]
        columns += [Column(ctx.t("col_between", partition=ctx.t(f"partition_{p}")), "share_pct", True)
                    for p in partitions]
        rows = []
        for measure in dict.fromkeys(theil["measure"].astype(str)):
            part = theil[theil["measure"].astype(str) == measure]
            cells = [Cell(Data(measure)), Cell(Data(_str(part["measure_unit"].iloc[0]))),
                     ctx.number("theil", part["theil_total"].iloc[0])]
            for p in partitions:
                hit = part[(part["partition"] == p) & (part["part"] == "between")]["share_pct"]
                cells.append(ctx.number("share_pct", hit.iloc[0] if len(hit) else None))
            rows.append(cells)
        blocks.append(_table(ctx, "theil", ctx.t("tab_theil"),
                             Source("theil", ("measure", "measure_unit", "theil_total", "partition", "part",
                                              "share_pct")), columns, rows))
        blocks.append(Paragraph(ctx.p("theil_note")))
    coherence = ctx.layers.get("coherence")
    if coherence is not None and len(coherence):
        names = {"r": ctx.t("coh_r"), "cronbach_alpha": ctx.t("coh_alpha"),
                 "alpha_if_dropped": ctx.t("coh_alpha_dropped"), "index_r": ctx.t("coh_index_r")}
        flags = {"redundant": ctx.t("flag_redundant"), "negative": ctx.t("flag_negative")}
        columns = [Column(ctx.t("col_statistic"), "statistic"), Column(ctx.t("col_component_a"), "component_a"),
                   Column(ctx.t("col_component_b"), "component_b"), Column(ctx.t("col_value"), "value", True),
                   Column(ctx.t("col_regions"), "n_regions", True), Column(ctx.t("col_flag"), "flag")]
        rows = []
        for row in coherence.itertuples():
            a = _str(row.component_a)
            flag = ", ".join(flags.get(f.strip(), f.strip()) for f in _str(row.flag).split(",") if f.strip())
            rows.append([Cell(names.get(str(row.statistic), str(row.statistic))),
                         Cell(Data(word(a, ctx.lang) if a == "all" else a)),
                         Cell(Data(word(_str(row.component_b), ctx.lang) if _str(row.component_b) == "index"
                                   else _str(row.component_b))),
                         ctx.number("r", row.value), ctx.number("count", row.n_regions), Cell(flag)])
        blocks.append(_table(ctx, "coherence", ctx.t("tab_coherence"),
                             Source("coherence", tuple(c.source for c in columns)), columns, rows))
    return Section("statistics", ctx.t("sec_statistics"), tuple(blocks))
