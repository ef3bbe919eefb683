"""The report's methods and notes: every choice of the run, and its notes.

Each choice is named with the study keys that set it; the notes are in the report's language.
"""

from __future__ import annotations

from pathlib import Path

from borderland.report.document import Block, Bullets, Cell, Column, Paragraph, Section, Source
from borderland.report.i18n import DASH, Data, Parts, word
from borderland.report.notes import note_parts, rule_text
from borderland.report.sections.context import _Context, _rule_options, _table

__all__ = ["methods_section", "notes_section"]


def methods_section(ctx: _Context) -> Section:
    """Methods: every choice of the run, with the study keys that set it."""
    result, study, loc = ctx.result, ctx.result.study, ctx.locale
    spec = study.index
    rules = "; ".join(f"{c.name}: {word(c.year_rule.kind, ctx.lang)}" for c in spec.components)
    weights = result.index_result.weights
    rows: list[tuple[str, Parts, str]] = []
    rows.append((ctx.t("step_year"),
                 ctx.p("m_year_set" if spec.year is not None else "m_year_auto", year=loc.plain(result.year),
                       rules=Data(rules)), "index.year, year_rule"))
    components: list[str | Data] = []
    for k, c in enumerate(spec.components):
        # the name and unit are the study's; the direction is a word of the report
        components += [", " if k else "", Data(c.name), " ("] + ([Data(c.unit), ", "] if c.unit else []) \
            + [word(c.direction, ctx.lang), ")"]
    rows.append((ctx.t("step_components"),
                 ctx.p("m_components", components=tuple(p for p in components if p != ""),
                       share=loc.pct(100 * spec.min_share, 0),
                       imputation=ctx.t("none") if spec.imputation == "none" else word(spec.imputation, ctx.lang)),
                 "index.components, min_share, imputation"))
    rows.append((ctx.t("step_normalisation"),
                 ctx.p("m_normalisation", method=Data(spec.normalisation), over=word(spec.normalise_over, ctx.lang),
                       scale=f"[{loc.sig(spec.scale[0])}; {loc.sig(spec.scale[1])}]"),
                 "index.normalisation, normalise_over, scale"))
    rows.append((ctx.t("step_weights"),
                 ctx.p("m_weights", weighting=word(spec.weighting, ctx.lang),
                       weights=Data(", ".join(f"{name} {loc.fixed(w, 3)}" for name, w in weights.items()))),
                 "index.weighting, components.weight"))
    rows.append((ctx.t("step_aggregation"), ctx.p("m_aggregation", aggregation=word(spec.aggregation, ctx.lang)),
                 "index.aggregation"))
    options = _rule_options(ctx)
    rows.append((ctx.t("step_typology"),
                 ctx.p("m_typology", method=Data(study.typology.method), options=options,
                       labels=", ".join(ctx.label(label) for label in study.typology.labels)),
                 "typology.method, options, labels"))
    robust = study.robustness
    if robust.draws > 0:
        se = max(v for v in (ctx.statistic("mc_se_class_probability"), ctx.statistic("mc_se_pair_sign"), 0.0)
                 if v is not None)
        rows.append((ctx.t("step_robustness"),
                     ctx.p("m_robustness", draws=loc.count(robust.draws), seed=loc.plain(robust.seed),
                           concentration=loc.sig(robust.concentration),
                           normalisations=", ".join(robust.normalisations or (spec.normalisation,)),
                           aggregations=", ".join(robust.aggregations or (spec.aggregation,)),
                           stable=loc.fixed(robust.stable_at, 2), se=loc.sig(se)),
                     "robustness.*"))
    else:
        rows.append((ctx.t("step_robustness"), ctx.p("m_robustness_off"), "robustness.draws"))
    border_spec = study.border
    source = (ctx.t("border_regions") if border_spec.source == "regions"
              else ctx.t("border_layer", layer=Path(str(border_spec.source)).name))
    rows.append((ctx.t("step_border"),
                 ctx.p("m_border", source=source, origin=word(border_spec.distance_origin, ctx.lang),
                       touch=loc.sig(border_spec.touch_tolerance_m),
                       bands=DASH.join(loc.sig(b) for b in border_spec.bands_km)),
                 "border.source, distance_origin, touch_tolerance_m, bands_km"))
    raster = study.raster
    if raster.population is not None:
        rows.append((ctx.t("step_raster"),
                     ctx.p("m_raster", raster=Data(Path(raster.population).name), within=loc.sig(raster.within_km),
                           threshold=loc.pct(raster.threshold_pct, 0)),
                     "raster.population, within_km, threshold_pct"))
    else:
        rows.append((ctx.t("step_raster"), ctx.p("m_raster_off"), "raster.population"))
    gaps = study.gaps
    rows.append((ctx.t("step_gaps"),
                 ctx.p("m_gaps", contiguity=word(gaps.contiguity, ctx.lang), permutations=loc.count(gaps.permutations),
                       seed=loc.plain(gaps.seed), correction=word(gaps.lisa_correction, ctx.lang),
                       level=loc.sig(gaps.significance)),
                 "gaps.contiguity, permutations, seed, lisa_correction, significance"))
    people = result.regions.attrs.get("population", {})
    if people:
        rows.append((ctx.t("step_population"),
                     ctx.p("m_population", indicator=Data(str(people.get("indicator", ""))),
                           rule=rule_text(str(people.get("rule", "")), ctx.lang)), "gaps.population_indicator"))
    repair = result.repair
    rows.append((ctx.t("step_repairs"),
                 ctx.p("m_repairs", valid=loc.count(len(repair.made_valid)),
                       overlaps=loc.count(repair.overlap_area_km2), slivers=loc.count(repair.slivers_filled),
                       width=loc.sig(repair.sliver_width_m / 1000), sliver_area=loc.count(repair.sliver_area_km2)),
                 "regions.sliver_width_m, max_repair_pct"))
    if result.comparability is not None:
        rows.append((ctx.t("step_definitions"),
                     ctx.p("m_definitions", components=Data(", ".join(result.comparability.components))
                           if result.comparability.components else ctx.t("none")),
                     "index.components.definitions, adjust"))
    columns = [Column(ctx.t("col_step")), Column(ctx.t("col_choice")), Column(ctx.t("col_keys"))]
    table = _table(ctx, "methods", ctx.t("tab_methods"),
                   Source("gpkg_metadata", note=ctx.t("methods_source", gpkg=ctx.gpkg)), columns,
                   [[Cell(step), Cell(choice), Cell(Data(keys))] for step, choice, keys in rows])
    return Section("methods", ctx.t("sec_methods"), (table,))


def notes_section(ctx: _Context) -> Section | None:
    """The run's notes in the report's language; ``None`` when there are none."""
    notes = list(ctx.result.notes)
    join = ctx.result.join
    blocks: list[Block] = []
    if join.regions_without_data:
        blocks.append(Paragraph(ctx.p("join_note", regions=Data(", ".join(join.regions_without_data)))))
    if notes:
        blocks.append(Paragraph((ctx.t("notes_intro"),)))
        # each note in the report's language; one no pattern knows, as the run wrote it, marked as such
        blocks.append(Bullets(tuple(note_parts(note, ctx.lang) or (ctx.t("note_untranslated"), Data(note))
                                    for note in notes)))
    return Section("notes", ctx.t("sec_notes"), tuple(blocks)) if blocks else None
