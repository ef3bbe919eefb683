"""The report's cross-border gaps: the largest gaps, the border segments and their chart."""

from __future__ import annotations

from typing import Final

import pandas as pd

from borderland.report import charts
from borderland.report.document import Block, Cell, Column, Figure, Html, Paragraph, Section, Source
from borderland.report.i18n import NO_VALUE, Data, _float
from borderland.report.sections.context import _Context, _flag, _not_run, _str, _table

__all__ = ["TOP_GAPS", "gaps_section"]


#: Cross-border gaps listed in the table of the largest.
TOP_GAPS: Final = 10


def gaps_section(ctx: _Context) -> Section:
    """Cross-border gaps: the largest gaps, the segments table and chart."""
    pairs = ctx.layers.get("neighbour_pairs")
    segments = ctx.layers.get("border_segments")
    if pairs is None or segments is None:
        return Section("gaps", ctx.t("sec_gaps"), (_not_run(ctx, "[gaps]"),))
    blocks: list[Block] = [Paragraph(ctx.p("gaps_intro", focus=ctx.focus or "a"))]
    cross = pairs[pairs["cross_border"].astype(bool)]
    with_gap = cross[cross["gap"].notna()].sort_values("abs_gap", ascending=False)
    has_sign = "p_gap_sign_kept" in with_gap.columns and with_gap["p_gap_sign_kept"].notna().any()
    has_comparable = "comparable" in with_gap.columns
    if len(with_gap):
        columns = [Column(ctx.t("col_segment"), "segment", code=True), Column(ctx.t("col_region_a"), "name_a"),
                   Column(ctx.t("col_region_b"), "name_b"), Column(ctx.t("col_gap"), "gap", True),
                   Column(ctx.t("col_shared_km"), "shared_border_km", True)]
        columns += [Column(ctx.t("col_p_sign"), "p_gap_sign_kept", True)] if has_sign else []
        columns += [Column(ctx.t("col_comparable"), "comparable")] if has_comparable else []
        rows = []
        for row in with_gap.head(TOP_GAPS).itertuples():
            cells = [Cell(Data(_str(row.segment))), Cell(Data(f"{_str(row.name_a)} ({row.region_a})")),
                     Cell(Data(f"{_str(row.name_b)} ({row.region_b})")), ctx.number("gap", row.gap),
                     ctx.number("shared_border_km", row.shared_border_km)]
            if has_sign:
                cells.append(ctx.number("p", row.p_gap_sign_kept))
            if has_comparable:
                flag = _flag(row.comparable)
                cells.append(Cell(NO_VALUE if flag is None else ctx.t("yes") if flag else ctx.t("no")))
            rows.append(cells)
        blocks.append(_table(ctx, "gaps", ctx.t("tab_gaps"),
                             Source("neighbour_pairs", tuple(c.source for c in columns)), columns, rows))
    else:
        blocks.append(_not_run(ctx, ctx.t("no_pairs")))

    standard = {"segment", "country_a", "country_b", "pairs", "pairs_with_gap", "shared_border_km", "gap_km",
                "mean_gap_length_weighted", "mean_abs_gap_length_weighted", "max_abs_gap", "largest_gaps",
                "gap_share_pct", "geometry"}
    published = [c for c in segments.columns if c not in standard and pd.api.types.is_numeric_dtype(segments[c])]
    columns = [Column(ctx.t("col_segment"), "segment", code=True), Column(ctx.t("col_pairs"), "pairs", True),
               Column(ctx.t("col_pairs_gap"), "pairs_with_gap", True),
               Column(ctx.t("col_border_km"), "shared_border_km", True),
               Column(ctx.t("col_mean_gap"), "mean_gap_length_weighted", True),
               Column(ctx.t("col_max_gap"), "max_abs_gap", True), Column(ctx.t("col_share"), "gap_share_pct", True)]
    columns += [Column(c, c, True) for c in published]
    ordered = segments.assign(_share=segments["gap_share_pct"].fillna(-1)).sort_values(
        ["_share", "shared_border_km"], ascending=[False, False])
    rows = []
    for _, segment in ordered.iterrows():
        cells = [Cell(Data(_str(segment["segment"]))), ctx.number("count", segment["pairs"]),
                 ctx.number("count", segment["pairs_with_gap"]),
                 ctx.number("shared_border_km", segment["shared_border_km"]),
                 ctx.number("mean_gap_length_weighted", segment["mean_gap_length_weighted"]),
                 ctx.number("max_abs_gap", segment["max_abs_gap"]),
                 ctx.number("gap_share_pct", segment["gap_share_pct"])]
        cells += [ctx.number(c, segment[c]) for c in published]
        rows.append(cells)
    blocks.append(_table(ctx, "segments", ctx.t("tab_segments"),
                         Source("border_segments", tuple(c.source for c in columns)), columns, rows))
    gapped = ordered[ordered["mean_gap_length_weighted"].notna()]
    if len(gapped):
        chart_rows = []
        for _, segment in gapped.iterrows():
            members = with_gap[with_gap["segment"] == segment["segment"]]
            chart_rows.append(charts.GapRow(
                label=f"{_str(segment['segment'])} ({ctx.locale.pct(segment['gap_share_pct'], 1)})",
                mean=_float(segment["mean_gap_length_weighted"]) or 0.0,
                tip=f"{_str(segment['segment'])}: {ctx.locale.signed(segment['mean_gap_length_weighted'], 3)}",
                pairs=tuple((float(p.gap), f"{_str(p.name_a)} – {_str(p.name_b)}: {ctx.locale.signed(p.gap, 3)}")
                            for p in members.itertuples())))
        legend = [("bar", charts.BAR_COLOUR, ctx.t("legend_mean_gap")), ("dot", charts.DOT_COLOUR,
                                                                          ctx.t("legend_pair_gap"))]
        svg = charts.segment_chart("chart-segments", ctx.t("fig_segments"), chart_rows, x_label=ctx.t("axis_gap"),
                                   legend=legend, locale=ctx.locale)
        blocks.append(Figure("segments", ctx.t("fig_segments"),
                             Source("border_segments", ("mean_gap_length_weighted", "gap_share_pct"),
                                    "neighbour_pairs (gap)"), Html(svg)))
    without = ordered[ordered["mean_gap_length_weighted"].isna()]
    if len(without):
        listed = ", ".join(f"{_str(r.segment)} ({ctx.t('km', value=ctx.locale.count(r.shared_border_km))})"
                           for r in without.itertuples())
        blocks.append(Paragraph(ctx.p("no_gap_segments", segments=Data(listed))))
    return Section("gaps", ctx.t("sec_gaps"), tuple(blocks))
