"""The report's comparability of definitions across the border.

Pairs whose gap rests on a component defined differently on the two sides, the definitions
behind it, and the segments' gaps and the classes without (or adjusting) that component.
"""

from __future__ import annotations

import re

import pandas as pd

from borderland.report.document import Block, Cell, Column, Paragraph, Section, Source
from borderland.report.i18n import NO_VALUE, Data
from borderland.report.sections.context import _Context, _not_run, _str, _table

__all__ = ["comparability_section"]


def _scenario(ctx: _Context, scenario: str, component: str) -> str:
    if scenario == "all components":
        return ctx.t("scenario_all")
    if scenario == "without":
        return ctx.t("scenario_without", component=component)
    return ctx.t("scenario_adjusted", component=component)


def comparability_section(ctx: _Context) -> Section:
    """Comparability of definitions: what differs, and the gaps and classes without it."""
    table = ctx.layers.get("comparability")
    compared = ctx.result.comparability
    if table is None or compared is None:
        return Section("comparability", ctx.t("sec_comparability"), (_not_run(ctx, "[gaps]"),))
    blocks: list[Block] = []
    base = table[(table["scope"] == "pair") & (table["scenario"] == "all components")]
    faulty = base[~base["comparable"].astype("boolean").fillna(True).astype(bool)]
    if len(faulty):
        components = ", ".join(compared.components)
        blocks.append(Paragraph(ctx.p("find_comparability", faulty=ctx.locale.count(len(faulty)),
                                      pairs=ctx.locale.count(len(base)), components=Data(components))))
    elif len(base):
        blocks.append(Paragraph(ctx.p("find_comparable", pairs=ctx.locale.count(len(base)))))
    # the definitions behind each component that differs, by the countries of the indexed regions
    regions = ctx.indexed
    named = {str(r.indicator): _str(r.definition) for r in compared.definitions.itertuples()}
    rows = []
    for component in compared.components:
        indicator_col, definition_col = f"{component}_indicator", f"{component}_definition"
        if indicator_col not in regions.columns:
            continue
        own = regions[definition_col] if definition_col in regions.columns else pd.Series(pd.NA, index=regions.index)
        found: dict[str, set[str]] = {}
        for indicator, definition, country in zip(regions[indicator_col], own, regions["country"], strict=True):
            if pd.isna(indicator):
                continue
            said = _str(definition) or named.get(str(indicator), "")
            label = f"{said} ({indicator})" if said else str(indicator)
            found.setdefault(label, set()).add(str(country))
        for label, countries in sorted(found.items(), key=lambda item: sorted(item[1])):
            rows.append([Cell(Data(component)), Cell(Data(", ".join(sorted(countries)))), Cell(Data(label))])
    if rows:
        blocks.append(_table(ctx, "definitions", ctx.t("tab_definitions"),
                             Source("regions", tuple(f"{c}_{s}" for c in compared.components
                                                     for s in ("indicator", "definition"))),
                             [Column(ctx.t("col_component")), Column(ctx.t("col_countries"), "country"),
                              Column(ctx.t("col_definition"), wrap=True)], rows))
    segments = table[table["scope"] == "segment"]
    if len(segments):
        scenarios = list(dict.fromkeys(zip(segments["scenario"].astype(str),
                                           segments["component"].fillna("").astype(str), strict=True)))
        columns = [Column(ctx.t("col_segment"), "segment", code=True)]
        columns += [Column(_scenario(ctx, s, c), "mean_gap_length_weighted", True) for s, c in scenarios]
        rows = []
        for segment in dict.fromkeys(segments["segment"].astype(str)):
            part = segments[segments["segment"].astype(str) == segment]
            cells = [Cell(Data(segment))]
            for s, c in scenarios:
                hit = part[(part["scenario"].astype(str) == s) & (part["component"].fillna("").astype(str) == c)]
                cells.append(ctx.number("mean_gap_length_weighted",
                                        hit["mean_gap_length_weighted"].iloc[0] if len(hit) else None))
            rows.append(cells)
        blocks.append(_table(ctx, "without", ctx.t("tab_without"),
                             Source("comparability", ("scope", "scenario", "component", "segment",
                                                      "mean_gap_length_weighted")), columns, rows))
    typology = table[table["scope"] == "typology"]
    if len(typology):
        columns = [Column(ctx.t("col_scenario"), "scenario"), Column(ctx.t("col_class_counts"), "class_counts"),
                   Column(ctx.t("col_changing"), "regions_changing_class", True),
                   Column(ctx.t("col_changes"), "class_changes", wrap=True)]
        labels = ctx.result.study.typology.labels
        rows = []
        for row in typology.itertuples():
            counts = _str(row.class_counts)
            for label in labels:
                counts = re.sub(rf"\b{re.escape(label)}\b", ctx.label(label), counts)
            # "Name (code): moderate -> leader; ...": the classes translated, the names kept
            changes = re.sub(rf": ({'|'.join(map(re.escape, labels))}) -> ({'|'.join(map(re.escape, labels))})(?=;|$)",
                             lambda m: f": {ctx.label(m[1])} → {ctx.label(m[2])}", _str(row.class_changes))
            rows.append([Cell(_scenario(ctx, str(row.scenario), _str(row.component))), Cell(Data(counts)),
                         ctx.number("count", row.regions_changing_class), Cell(Data(changes or NO_VALUE))])
        blocks.append(_table(ctx, "classes", ctx.t("tab_classes"),
                             Source("comparability", ("scope", "scenario", "component", "class_counts",
                                                      "regions_changing_class", "class_changes")), columns, rows))
    if len(faulty):
        blocks.append(Paragraph(ctx.p("comparability_caveat")))
    return Section("comparability", ctx.t("sec_comparability"), tuple(blocks))
