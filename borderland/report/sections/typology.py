"""The report's leaders and laggards: the typology, ranks and class probabilities.

The typology rule, the headline table of each side, the rank chart with its 5-95 % intervals,
the unstable classes, and the whole typology table.
"""

from __future__ import annotations

import math
from typing import Final

import pandas as pd

from borderland.report import charts
from borderland.report.document import Block, Cell, Column, Figure, Html, Paragraph, Section, Source
from borderland.report.i18n import Data, _float
from borderland.report.sections.context import _class_counts, _Context, _join, _rule_options, _str, _table

__all__ = ["MAX_CHART_ROWS", "TOP", "typology_section"]


#: Leaders and laggards shown per side in the headline table.
TOP: Final = 3
#: Rows of the rank chart at most (it fits one page): of a larger study, the highest and lowest ranks.
MAX_CHART_ROWS: Final = 60


def typology_section(ctx: _Context) -> Section:
    """Leaders and laggards: the rule, the headline table, the ranks, the typology table."""
    from borderland.maps import typology_colours

    study = ctx.result.study
    indexed = ctx.indexed
    labels = list(study.typology.labels)
    # the map's colours of the study's own labels (the default three keep theirs)
    colours = typology_colours(labels)
    has_mc = {"rank_median", "rank_p05", "rank_p95"} <= set(indexed.columns) and indexed["rank_median"].notna().any()
    options = _rule_options(ctx)
    counts = _class_counts(ctx, indexed["typology"])
    robust = study.robustness
    blocks: list[Block] = []
    if has_mc:
        blocks.append(Paragraph(ctx.p("typology_rule", method=Data(study.typology.method), options=options,
                                      counts=counts, draws=ctx.locale.count(robust.draws),
                                      seed=ctx.locale.plain(robust.seed),
                                      normalisations=", ".join(robust.normalisations or (study.index.normalisation,)),
                                      stable=ctx.locale.pct(100 * robust.stable_at, 0))))
    else:
        blocks.append(Paragraph(ctx.p("typology_rule_plain", method=Data(study.typology.method), options=options,
                                      counts=counts)))
    p_columns = [f"p_{label}" for label in labels if f"p_{label}" in indexed.columns] if has_mc else []

    def interval(row: pd.Series) -> Cell:
        return Cell(f"{ctx.locale.plain(row['rank_median'])} ({ctx.locale.range(row['rank_p05'], row['rank_p95'])})",
                    _float(row["rank_median"]))

    columns = [Column(ctx.t("col_side")), Column(ctx.t("col_region"), "name"),
               Column(ctx.t("col_code"), "region_id", code=True), Column(ctx.t("col_class"), "typology", code=True),
               Column(ctx.t("col_index"), "index", True)]
    if has_mc:
        columns.append(Column(ctx.t("col_rank_interval"), "rank_median", True))
        columns += [Column(ctx.t("col_p_class", label=ctx.label(c.removeprefix("p_"))), c, True) for c in p_columns]
    rows = []
    for side, part in ctx.sides(indexed):
        ordered = part.sort_values("index", ascending=False)
        chosen = pd.concat([ordered.head(TOP), ordered.tail(TOP)])
        chosen = chosen[~chosen.index.duplicated()]
        for code, row in chosen.iterrows():
            cells = [Cell(ctx.side_name(side)), Cell(Data(_str(row["name"]))),
                     Cell(Data(str(code))), Cell(ctx.label(_str(row["typology"]))), ctx.number("index", row["index"])]
            if has_mc:
                cells.append(interval(row))
                cells += [ctx.number("p", row[c]) for c in p_columns]
            rows.append(cells)
    source_cols = ("name", "typology", "index", *(("rank_median", "rank_p05", "rank_p95") if has_mc else ()),
                   *p_columns)
    blocks.append(_table(ctx, "leaders", ctx.t("tab_leaders"), Source("regions", source_cols), columns, rows))

    if has_mc:
        ranked = indexed.sort_values(["rank_median", "index"], ascending=[True, False])
        caption = ctx.t("fig_ranks")
        if len(ranked) > MAX_CHART_ROWS:  # a chart taller than a page cannot be printed whole: both ends of it
            half = MAX_CHART_ROWS // 2
            ranked = pd.concat([ranked.head(half), ranked.tail(half)])
            caption += ctx.t("fig_ranks_part", shown=ctx.locale.count(half), total=ctx.locale.count(len(indexed)))
        chart_rows = [charts.RankRow(label=f"{_str(row['name'])} ({code})", median=float(row["rank_median"]),
                                     low=float(row["rank_p05"]), high=float(row["rank_p95"]),
                                     colour=colours.get(_str(row["typology"]), "#888888"),
                                     tip=f"{_str(row['name'])} ({code}): {ctx.label(_str(row['typology']))}, "
                                         f"{ctx.locale.fixed(row['index'], 3)}; {ctx.t('col_rank')} "
                                         f"{ctx.locale.plain(row['rank_median'])} "
                                         f"({ctx.locale.range(row['rank_p05'], row['rank_p95'])})")
                      for code, row in ranked.iterrows()]
        legend = [(ctx.label(label), colours[label]) for label in labels]
        legend.append((ctx.t("legend_interval"), "#888888"))
        svg = charts.rank_chart("chart-ranks", caption, chart_rows, ranks=len(indexed),
                                x_label=ctx.t("axis_rank"), legend=legend, locale=ctx.locale)
        blocks.append(Figure("ranks", caption, Source("regions", ("rank_median", "rank_p05", "rank_p95",
                                                                             "typology")), Html(svg)))
        unstable = indexed[indexed["typology_unstable"].astype("boolean").fillna(False).astype(bool)] \
            if "typology_unstable" in indexed.columns else indexed.iloc[:0]
        if len(unstable):
            named = _join([(Data(_str(row["name"])), f" ({ctx.label(_str(row['typology']))}, "
                                                      f"{ctx.locale.fixed(row['p_typology'], 2)})")
                           for _, row in unstable.sort_values("p_typology", ascending=False).iterrows()], ", ")
            blocks.append(Paragraph(ctx.p("unstable", stable=ctx.locale.pct(100 * robust.stable_at, 0),
                                          regions=named)))
        pairs = ctx.layers.get("neighbour_pairs")
        if pairs is not None and "p_gap_sign_kept" in pairs.columns:
            kept = pairs["p_gap_sign_kept"].dropna()
            if len(kept):
                # "at least": the smallest probability rounded down, never up
                blocks.append(Paragraph(ctx.p("sign_kept", share=ctx.locale.pct(math.floor(1000 * kept.min()) / 10, 1),
                                              pairs=ctx.locale.count(len(kept)))))
    columns = [Column(ctx.t("col_region"), "name"), Column(ctx.t("col_code"), "region_id", code=True),
               Column(ctx.t("col_country"), "country", code=True), Column(ctx.t("col_index"), "index", True),
               Column(ctx.t("col_class"), "typology", code=True)]
    if has_mc:
        columns += [Column(ctx.t("col_rank"), "rank", True), Column(ctx.t("col_rank_interval"), "rank_median", True)]
        columns += [Column(ctx.t("col_p_class", label=ctx.label(c.removeprefix("p_"))), c, True) for c in p_columns]
        columns.append(Column(ctx.t("col_stable"), "typology_unstable"))
    rows = []
    for _, part in ctx.sides(indexed):
        for code, row in part.sort_values("index", ascending=False).iterrows():
            cells = [Cell(Data(_str(row["name"]))), Cell(Data(str(code))), Cell(Data(_str(row["country"]))),
                     ctx.number("index", row["index"]), Cell(ctx.label(_str(row["typology"])))]
            if has_mc:
                cells += [ctx.number("rank", row["rank"]), interval(row)]
                cells += [ctx.number("p", row[c]) for c in p_columns]
                unstable_flag = row.get("typology_unstable")
                cells.append(Cell(ctx.t("no") if unstable_flag is True or unstable_flag == 1 else ctx.t("yes")))
            rows.append(cells)
    blocks.append(_table(ctx, "typology", ctx.t("tab_typology" if has_mc else "tab_typology_plain"),
                         Source("regions", ("name", "country", "index", "typology", *(
                             ("rank", "rank_median", "rank_p05", "rank_p95", *p_columns, "typology_unstable")
                             if has_mc else ()))), columns, rows))
    return Section("typology", ctx.t("sec_typology"), tuple(blocks))
