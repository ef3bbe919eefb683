"""The report's trade: the flows, their association with the gap, trade by border segment."""

from __future__ import annotations

import pandas as pd

from borderland.report.document import Block, Cell, Column, Paragraph, Section, Source
from borderland.report.i18n import Data, _float, word
from borderland.report.sections.context import _association, _Context, _str, _table

__all__ = ["trade_section"]


def trade_section(ctx: _Context) -> Section:
    """Trade: the flows, their association with the gap, trade by segment."""
    flows = ctx.layers.get("trade_flows")
    if flows is None:
        return Section("trade", ctx.t("sec_trade"), (Paragraph(ctx.p("trade_none")),))
    blocks: list[Block] = []
    types = flows["flow_type"].astype(str).value_counts()
    listed = ", ".join(f"{word(str(kind), ctx.lang)} {ctx.locale.count(n)}" for kind, n in sorted(types.items()))
    blocks.append(Paragraph(ctx.p("trade_flows", flows=ctx.locale.count(len(flows)), types=listed)))
    said = _association(ctx)
    if said is not None:
        blocks.append(Paragraph(ctx.p("trade_association", result=said)))
    segments = ctx.layers.get("trade_segments")
    if segments is not None and len(segments):
        frame = segments.reset_index() if "segment" not in segments.columns else segments
        frame = frame[pd.to_numeric(frame["flows_n"], errors="coerce").fillna(0) > 0]
        if len(frame):
            columns = [Column(ctx.t("col_segment"), "segment", code=True), Column(ctx.t("col_flows"), "flows_n", True),
                       Column(ctx.t("col_pairs_trade"), "pairs_with_trade_n", True),
                       Column(ctx.t("col_trade_sum"), "trade_value_sum", True), Column(ctx.t("col_unit"), "trade_unit"),
                       Column(ctx.t("col_mean_gap_unweighted"), "mean_gap", True)]
            rows = [[Cell(Data(_str(row["segment"]))), ctx.number("count", row["flows_n"]),
                     ctx.number("count", row["pairs_with_trade_n"]), ctx.number("trade", row["trade_value_sum"]),
                     Cell(Data(_str(row["trade_unit"]))), ctx.number("mean_gap", row["mean_gap"])]
                    for _, row in frame.iterrows()]
            blocks.append(_table(ctx, "trade-segments", ctx.t("tab_trade_segments"),
                                 Source("trade_segments", tuple(c.source for c in columns)), columns, rows))
    columns = [Column(ctx.t("col_flow"), "origin_name"), Column(ctx.t("col_flow_type"), "flow_type"),
               Column(ctx.t("col_value"), "value", True), Column(ctx.t("col_unit"), "unit"),
               Column(ctx.t("col_year"), "year", True)]
    rows = []
    for _, row in flows.iterrows():
        ends = [_str(row.get(f"{end}_name")) or _str(row[end]) for end in ("origin", "destination")]
        arrow = "↔" if _str(row.get("direction")) == "both_ways" else "→"
        rows.append([Cell(Data(f"{ends[0]} {arrow} {ends[1]}")), Cell(word(_str(row["flow_type"]), ctx.lang)),
                     Cell(ctx.locale.sig(row["value"], 4), _float(row["value"])), Cell(Data(_str(row["unit"]))),
                     Cell(ctx.locale.plain(row["year"]), _float(row["year"]))])
    blocks.append(_table(ctx, "flows", ctx.t("tab_trade_flows"),
                         Source("trade_flows", ("origin_name", "destination_name", "flow_type", "value", "unit",
                                                "year")), columns, rows))
    return Section("trade", ctx.t("sec_trade"), tuple(blocks))
