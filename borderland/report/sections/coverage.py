"""The report's data coverage: regions with data per country, sources and licences.

Which regions have the index and each component, which source gave the values of each
component in which countries, and the licence and credit of every source the run names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd

from borderland import export
from borderland.report.document import Block, Cell, Column, Paragraph, Section, Source, Table
from borderland.report.i18n import NO_VALUE, Data
from borderland.report.sections.context import _Context, _str, _table

__all__ = ["LICENCES", "coverage_section"]


#: Sources and the terms of their licences (geodata/README.md, "Licences"), found by a name that
#: appears in a source or a credit line; the credit each requires is export.REQUIRED_ATTRIBUTIONS'.
LICENCES: Final[tuple[tuple[tuple[str, ...], str, Mapping[str, str]], ...]] = (
    (("EuroGeographics", "GISCO", "NUTS"), "Eurostat GISCO (NUTS)",
     {"en": "© EuroGeographics; reuse under GISCO's terms, commercial use only with EuroGeographics' permission",
      "ru": "© EuroGeographics; использование на условиях GISCO, коммерческое — только с разрешения "
            "EuroGeographics"}),
    (("Natural Earth",), "Natural Earth", {"en": "public domain", "ru": "общественное достояние"}),
    (("GPW", "CIESIN"), "CIESIN, GPW v4.11", {"en": "CC BY 4.0", "ru": "CC BY 4.0"}),
    (("Eurostat",), "Eurostat",
     {"en": "reuse with acknowledgement (Commission Decision 2011/833/EU)",
      "ru": "повторное использование со ссылкой на источник (решение Еврокомиссии 2011/833/EU)"}),
    (("Rosstat", "Росстат"), "Rosstat",
     {"en": "official statistics, reuse with the source named", "ru": "официальная статистика, "
                                                                      "использование со ссылкой на источник"}),
)


def coverage_section(ctx: _Context) -> Section:
    """Data coverage: the coverage table, the sources of each component, the licences."""
    blocks: list[Block] = []
    study = ctx.result.study
    year = ctx.result.year
    rule = ctx.t("year_set") if study.index.year is not None else ctx.t("year_auto")
    complete = ctx.layers["statistics"]
    complete = complete[complete["statistic"] == "regions_complete"]
    sides = ", ".join(f"{ctx.side_name(str(v))}: {ctx.locale.count(n)}"
                      for v, n in zip(complete["variable"], complete["value"], strict=True))
    blocks.append(Paragraph(ctx.p("coverage_year", year=ctx.locale.plain(year), rule=rule, sides=sides)))

    regions = ctx.regions
    components = [c.name for c in study.index.components if c.name in regions.columns]
    countries = sorted(regions["country"].dropna().astype(str).unique(), key=lambda c: (c != ctx.focus, c))
    # counts of regions: no column of the layer holds them (data-column marks the columns that do)
    columns = [Column(ctx.t("col_country"), "country", code=True), Column(ctx.t("col_regions"), "", True),
               Column(ctx.t("col_with_index"), "", True), Column(ctx.t("col_without_index"), "", True)]
    columns += [Column(ctx.t("col_with_value", component=c), "", True) for c in components]
    rows = []
    for country in [*countries, None]:
        part = regions if country is None else regions[regions["country"].astype(str) == country]
        with_index = int(part["index"].notna().sum())
        row = [Cell(ctx.t("total")) if country is None else Cell(Data(country)),
               ctx.number("count", len(part)), ctx.number("count", with_index),
               ctx.number("count", len(part) - with_index)]
        row += [ctx.number("count", int(part[c].notna().sum())) for c in components]
        rows.append(row)
    blocks.append(_table(ctx, "coverage", ctx.t("tab_coverage"),
                         Source("regions", ("country", "index", *components)), columns, rows))
    sources = _indicator_sources(ctx, components)
    if sources is not None:
        blocks.append(sources)
    blocks += _licences(ctx, [] if sources is None else [str(row[3].text.text) for row in sources.rows
                                                         if isinstance(row[3].text, Data)])
    return Section("coverage", ctx.t("sec_coverage"), tuple(blocks))


def _indicator_sources(ctx: _Context, components: Sequence[str]) -> Table | None:
    """Which source gave the values of each component, in which countries (the rows behind the index)."""
    table = ctx.result.inputs.table
    regions = ctx.indexed
    if "source" not in table.columns:
        return None
    key = table.assign(region_id=table["region_id"].astype(str), indicator=table["indicator"].astype(str))
    key = key.drop_duplicates(["region_id", "indicator", "year"]).set_index(["region_id", "indicator", "year"])
    rows = []
    for component in components:
        indicator_col, year_col = f"{component}_indicator", f"{component}_year"
        if indicator_col not in regions.columns or year_col not in regions.columns:
            continue
        used = regions[regions[component].notna()]
        found: dict[str, list[str]] = {}
        for code, indicator, year, country in zip(used.index.astype(str), used[indicator_col].astype(str),
                                                  used[year_col], used["country"].astype(str), strict=True):
            source = key["source"].get((code, indicator, int(year)), None) if pd.notna(year) else None
            found.setdefault(_str(source) or NO_VALUE, []).append(country)
        for source, countries in sorted(found.items(), key=lambda item: (-len(item[1]), item[0])):
            rows.append([Cell(Data(component)), Cell(Data(", ".join(sorted(set(countries))))),
                         ctx.number("count", len(countries)), Cell(Data(source))])
    if not rows:
        return None
    columns = [Column(ctx.t("col_component")), Column(ctx.t("col_countries"), "country"),
               Column(ctx.t("col_values"), "", True), Column(ctx.t("col_source"), wrap=True)]
    cols = tuple(f"{c}_{suffix}" for c in components for suffix in ("indicator", "year"))
    return _table(ctx, "sources", ctx.t("tab_sources"), Source("regions", cols, ctx.t("sources_caption_note")),
                  columns, rows)


def _licences(ctx: _Context, component_sources: Sequence[str]) -> list[Block]:
    """One row per source family the run names, with its licence and the credit it requires; then the rest."""
    metadata = export.run_metadata(ctx.result)
    files = [str(s) for s in metadata["sources"] if re.match(r"^\w+\.\w+: ", str(s))]
    named = [str(s) for s in metadata["sources"] if str(s) not in files] + list(component_sources)
    credits = [str(c) for c in metadata["attribution"]]
    everything = "\n".join([*named, *credits]).lower()
    rows = []
    matched: set[str] = set()
    for names, label, terms in LICENCES:
        if not any(n.lower() in everything for n in names):
            continue
        matched.update(s for s in named if any(n.lower() in s.lower() for n in names))
        credit = export.required_attributions([names[0]])
        rows.append([Cell(Data(label)), Cell(terms[ctx.lang]), Cell(Data("; ".join(credit)) if credit else NO_VALUE)])
    for source in dict.fromkeys(named):
        if source not in matched:
            rows.append([Cell(Data(source)), Cell(ctx.t("licence_unknown")), Cell(NO_VALUE)])
    blocks: list[Block] = [_table(ctx, "licences", ctx.t("tab_licences"),
                                  Source("gpkg_metadata", note=ctx.t("licences_source", gpkg=ctx.gpkg)),
                                  [Column(ctx.t("col_source"), wrap=True), Column(ctx.t("col_licence")),
                                   Column(ctx.t("col_credit"), wrap=True)], rows)]
    if credits:
        blocks.append(Paragraph(ctx.p("credits", credits=Data("; ".join(credits)))))
    if files:
        blocks.append(Paragraph(ctx.p("files_read", files=Data("; ".join(files)))))
    return blocks
