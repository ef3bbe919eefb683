"""What the report says, assembled from one run's result layers in one language.

:func:`build_report` reads the frames :func:`borderland.export.result_layers` writes into the
GeoPackage (``regions``, ``neighbour_pairs``, ``border_segments``, ``profile``, ``statistics``,
``theil``, ``coherence``, ``comparability``, ``trade_*``) and the run's parameters (its
``gpkg_metadata``), and turns them into a :class:`~borderland.report.document.Report`: sections of tables,
charts and the map, every text in the chosen language and every number written by its
:class:`~borderland.report.i18n.Locale`. A table keeps, beside each number shown, the value it
was written from and the layer and column it comes from, so each figure of the report can be
traced to a table of the GeoPackage (the HTML carries them as ``data-layer``, ``data-column``
and ``data-value``).

Nothing here writes HTML or escapes anything: texts from the data are marked
(:class:`~borderland.report.i18n.Data`) and the writer (:mod:`borderland.report.render`)
escapes every text.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from borderland import export
from borderland.pipeline import StudyResult
from borderland.report import charts
from borderland.report.document import (
    Block,
    Bullets,
    Cell,
    Column,
    Figure,
    Html,
    MapFigure,
    Paragraph,
    Report,
    Section,
    Source,
    Table,
)
from borderland.report.i18n import (
    DASH,
    Data,
    Locale,
    Parts,
    class_name,
    phrase,
    statistic_name,
    text,
    word,
)

__all__ = ["FORMATS", "LICENCES", "MAP_KINDS", "build_report"]

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

#: Kinds of the report's map, in order (those the run has): the typology is shown first.
MAP_KINDS: Final = ("typology", "index", "uncertainty", "rings", "gaps")
#: The id prefix of the map fragment (letters and digits: it starts every id and script name).
MAP_PREFIX: Final = "blrmap"
#: Leaders and laggards shown per side in the headline table.
TOP: Final = 3
#: Cross-border gaps listed in the table of the largest.
TOP_GAPS: Final = 10
#: Rows of the rank chart at most (it fits one page): of a larger study, the highest and lowest ranks.
MAX_CHART_ROWS: Final = 60



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


def _value(value: Any) -> float | None:
    """A number of a frame as a float; ``None`` when missing."""
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def _str(value: Any) -> str:
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value)


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
        return _value(rows["value"].iloc[0]) if len(rows) else None

    def label(self, label: str) -> str:
        return class_name(label, self.lang)

    def number(self, kind: str, value: Any) -> Cell:
        """A cell of a number, written as numbers of its kind are, keeping the value."""
        return Cell(self.format(kind, value), _value(value))

    def format(self, kind: str, value: Any) -> str:
        """A number as the report writes numbers of its kind (:data:`FORMATS`; else 3 significant digits)."""
        return FORMATS.get(kind, _significant)(self.locale, value)


def _table(ctx: _Context, key: str, caption: str, source: Source, columns: Sequence[Column],
           rows: Sequence[Sequence[Cell]]) -> Table:
    return Table(key=key, caption=caption, source=source, columns=tuple(columns),
                 rows=tuple(tuple(row) for row in rows))


def _not_run(ctx: _Context, reason: str) -> Paragraph:
    return Paragraph(ctx.p("not_run", reason=reason))


# -- key findings ------------------------------------------------------------------------------


def _class_counts(ctx: _Context, typology: pd.Series) -> str:
    counts = typology.value_counts()
    return ", ".join(ctx.t("class_count", label=ctx.label(label), count=ctx.locale.count(int(counts.get(label, 0))))
                     for label in ctx.result.study.typology.labels)


def _side_counts(ctx: _Context, frame: pd.DataFrame) -> str:
    return ", ".join(f"{ctx.side_name(side)}: {ctx.locale.count(len(part))}" for side, part in ctx.sides(frame))


def _summary(ctx: _Context) -> Section:
    items: list[Parts] = []
    regions, indexed = ctx.regions, ctx.indexed
    items.append(ctx.p("find_coverage", indexed=ctx.locale.count(len(indexed)), total=ctx.locale.count(len(regions)),
                       year=ctx.locale.plain(ctx.result.year), sides=_side_counts(ctx, indexed),
                       classes=_class_counts(ctx, indexed["typology"])))
    for side, part in ctx.sides(indexed):
        if part.empty:
            continue
        ordered = part.sort_values("index", ascending=False)
        high, low = ordered.iloc[0], ordered.iloc[-1]
        highest = ctx.p("highest_on_side", side=ctx.side_name(side), name=Data(f"{high['name']} ({high.name})"),
                        value=ctx.locale.fixed(high["index"], 3))
        lowest = ctx.p("lowest_on_side", name=Data(f"{low['name']} ({low.name})"),
                       value=ctx.locale.fixed(low["index"], 3))
        items.append((*highest, "; ", *lowest))
    pairs = ctx.layers.get("neighbour_pairs")
    segments = ctx.layers.get("border_segments")
    if pairs is not None and segments is not None:
        cross = pairs[pairs["cross_border"].astype(bool) & pairs["gap"].notna()]
        ranked = segments.dropna(subset=["gap_share_pct"]).sort_values("gap_share_pct", ascending=False)
        if len(cross) and len(ranked):
            largest = cross.sort_values("abs_gap", ascending=False).iloc[0]
            top = ranked.iloc[0]
            items.append(ctx.p("find_gap", name_a=Data(str(largest["name_a"])), name_b=Data(str(largest["name_b"])),
                               segment=Data(str(largest["segment"])), gap=ctx.locale.signed(largest["gap"], 3),
                               top=Data(str(top["segment"])), share=ctx.locale.pct(top["gap_share_pct"]),
                               mean=ctx.locale.signed(top["mean_gap_length_weighted"], 3)))
    profile = ctx.layers.get("profile")
    if profile is not None and len(profile):
        bands = list(dict.fromkeys(profile["band"].astype(str)))
        sides = []
        for side in dict.fromkeys(profile["side"].astype(str)):
            part = profile[profile["side"].astype(str) == side]
            values = pd.Series(part["index"].to_numpy(), index=part["band"].astype(str).to_numpy())
            sides.append(f"{ctx.side_name(side)} " + ", ".join(ctx.locale.fixed(values.get(b), 3) for b in bands))
        key = "find_profile" if "population" in profile.columns else "find_profile_area"
        items.append(ctx.p(key, bands=", ".join(bands), sides="; ".join(sides)))
    moran = ctx.statistic("moran_i", "index")
    if moran is not None:
        correction = ctx.result.study.gaps.lisa_correction
        items.append(ctx.p("find_moran", i=ctx.locale.fixed(moran, 3),
                           p=ctx.locale.sig(ctx.statistic("moran_p_sim", "index")),
                           permutations=ctx.locale.count(ctx.statistic("moran_permutations", "index")),
                           correction=word(correction, ctx.lang),
                           clusters=ctx.locale.count(ctx.statistic("lisa_clusters", "index")),
                           raw=ctx.locale.count(ctx.statistic("lisa_clusters_uncorrected", "index")),
                           level=ctx.locale.sig(ctx.statistic("lisa_significance", "index"))))
    theil = ctx.layers.get("theil")
    if theil is not None and len(theil):
        between = theil[(theil["partition"] == "country") & (theil["part"] == "between")]
        shares = ", ".join(f"{measure} {ctx.locale.pct(share, 1)}"
                           for measure, share in zip(between["measure"], between["share_pct"], strict=True))
        items.append(ctx.p("find_theil", shares=Data(shares)))
    comparability = ctx.layers.get("comparability")
    if comparability is not None:
        base = comparability[(comparability["scope"] == "pair") & (comparability["scenario"] == "all components")]
        if len(base):
            faulty = base[~base["comparable"].astype("boolean").fillna(True).astype(bool)]
            if len(faulty):
                components = sorted({c.strip() for text_ in faulty["noncomparable_components"].dropna()
                                     for c in str(text_).split(",") if c.strip()})
                items.append(ctx.p("find_comparability", faulty=ctx.locale.count(len(faulty)),
                                   pairs=ctx.locale.count(len(base)), components=Data(", ".join(components))))
            else:
                items.append(ctx.p("find_comparable", pairs=ctx.locale.count(len(base))))
    coherence = ctx.layers.get("coherence")
    if coherence is not None and len(coherence):
        alpha = coherence[coherence["statistic"] == "cronbach_alpha"]["value"]
        redundant = coherence[(coherence["statistic"] == "r") & coherence["flag"].astype(str).str.contains("redundant")]
        named = "; ".join(f"{row.component_a} ~ {row.component_b} r = {ctx.locale.fixed(row.value, 3)}"
                          for row in redundant.itertuples())
        if len(alpha):
            items.append(ctx.p("find_coherence", alpha=ctx.locale.fixed(alpha.iloc[0], 3),
                               pairs=Data(named) if named else ctx.t("none")))
    trade = _trade_association(ctx)
    if trade is not None:
        items.append(trade)
    return Section("summary", ctx.t("sec_summary"), (Bullets(tuple(items)),))


def _association(ctx: _Context) -> str | None:
    """The association of trade with the gap in words: rho, n and p, or why it was not measured."""
    association = ctx.result.trade_association
    if association is None:
        return None
    n = int(getattr(association, "n", 0) or 0)
    rho = _value(getattr(association, "rho", None))
    if rho is None:
        return ctx.t("trade_too_few", n=ctx.locale.count(n))
    return ctx.t("trade_rho", rho=ctx.locale.fixed(rho, 2), n=ctx.locale.count(n),
                 p=ctx.locale.sig(getattr(association, "p_value", None)))


def _trade_association(ctx: _Context) -> Parts | None:
    flows = ctx.layers.get("trade_flows")
    said = _association(ctx)
    if said is None or flows is None:
        return None
    return ctx.p("find_trade", flows=ctx.locale.count(len(flows)), result=said)


# -- data coverage -----------------------------------------------------------------------------


def _coverage(ctx: _Context) -> Section:
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
            found.setdefault(_str(source) or "—", []).append(country)
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
        rows.append([Cell(Data(label)), Cell(terms[ctx.lang]), Cell(Data("; ".join(credit)) if credit else DASH)])
    for source in dict.fromkeys(named):
        if source not in matched:
            rows.append([Cell(Data(source)), Cell(ctx.t("licence_unknown")), Cell(DASH)])
    blocks: list[Block] = [_table(ctx, "licences", ctx.t("tab_licences"),
                                  Source("gpkg_metadata", note=ctx.t("licences_source", gpkg=ctx.gpkg)),
                                  [Column(ctx.t("col_source"), wrap=True), Column(ctx.t("col_licence")),
                                   Column(ctx.t("col_credit"), wrap=True)], rows)]
    if credits:
        blocks.append(Paragraph(ctx.p("credits", credits=Data("; ".join(credits)))))
    if files:
        blocks.append(Paragraph(ctx.p("files_read", files=Data("; ".join(files)))))
    return blocks


# -- the map -----------------------------------------------------------------------------------


def _map(ctx: _Context) -> Section:
    from borderland import maps
    from borderland.report.maplabels import localise_model

    result, study = ctx.result, ctx.result.study
    regions = result.regions
    present = {"typology": "typology" in regions.columns, "index": True,
               "uncertainty": "p_typology" in regions.columns and regions["p_typology"].notna().any(),
               "rings": "border_order" in regions.columns, "gaps": True}
    kinds = [kind for kind in MAP_KINDS if present[kind]]
    units = {c.name: c.unit for c in study.index.components if c.unit}
    spec = maps.MapSpec(kinds=kinds, units=units, title=f"{study.title} ({result.year})",
                        attribution=study.attribution.lines, fragment=True, id_prefix=MAP_PREFIX,
                        stable_probability=study.robustness.stable_at)
    model = localise_model(maps.map_model(regions, result.border_lines, result.pairs, spec=spec,
                                          countries=result.countries), ctx.lang)
    interactive = maps.html_fragment(model)
    with tempfile.TemporaryDirectory(prefix="borderland-report-") as folder:
        path = maps.write_image(model, Path(folder) / "map.svg")
        static = _inline_svg(path.read_text(encoding="utf-8"), "static")
    if ctx.lang == "ru":  # the scale bar's unit, the one word of the static map that is not the model's
        static = re.sub(r">([\d.,]+) km<", r">\1 км<", static)
    caption = ctx.t("fig_map", title=study.title, year=ctx.locale.plain(result.year))
    figure = MapFigure("map", caption, Source("regions", note=ctx.t("map_layers", gpkg=ctx.gpkg)),
                       Html(interactive), Html(static))
    return Section("map", ctx.t("sec_map"), (figure,))


def _inline_svg(svg: str, prefix: str) -> str:
    """Matplotlib's SVG file as an element of the page: ids prefixed, styles scoped, the page's font, lighter.

    Its ids (``figure_1``, ``patch_1``) would repeat on a page of several SVGs; its global
    ``*{...}`` style would reach the whole page; its text names DejaVu Sans, which the page
    embeds as Borderland Sans; six decimals of a point are a thousandth of a millimetre.
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = svg.replace("*{", f".{prefix}-map *{{")
    svg = svg.replace("font-family: 'DejaVu Sans'", "font-family: 'Borderland Sans', 'DejaVu Sans', sans-serif")
    svg = re.sub(r"<svg ([^>]*?)\bwidth=\"[^\"]*\" height=\"[^\"]*\"", rf'<svg class="{prefix}-map" \1', svg, count=1)
    # coordinates to a hundredth of a point, in attribute values only (a legend's "0.501" is text)
    svg = re.sub(r'="[^"]*"', lambda m: re.sub(r"(\d\.\d\d)\d+", r"\1", m.group(0)), svg)
    return re.sub(r"\n\s*", "\n", svg).strip()


# -- leaders and laggards ----------------------------------------------------------------------


def _rule_options(ctx: _Context) -> str:
    """The typology rule's options as written (``k = 0.5``; cuts as a list of numbers)."""
    def shown(value: Any) -> str:
        if isinstance(value, tuple | list):
            return "[" + "; ".join(ctx.locale.sig(v) for v in value) + "]"
        return ctx.locale.sig(value) if isinstance(value, int | float) else str(value)

    return ", ".join(f"{key} = {shown(value)}" for key, value in ctx.result.study.typology.kwargs.items())


def _typology(ctx: _Context) -> Section:
    from borderland.maps import TYPOLOGY_COLOURS

    study = ctx.result.study
    indexed = ctx.indexed
    labels = list(study.typology.labels)
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
                    _value(row["rank_median"]))

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
                                     colour=TYPOLOGY_COLOURS.get(_str(row["typology"]), "#888888"),
                                     tip=f"{_str(row['name'])} ({code}): {ctx.label(_str(row['typology']))}, "
                                         f"{ctx.locale.fixed(row['index'], 3)}; {ctx.t('col_rank')} "
                                         f"{ctx.locale.plain(row['rank_median'])} "
                                         f"({ctx.locale.range(row['rank_p05'], row['rank_p95'])})")
                      for code, row in ranked.iterrows()]
        legend = [(ctx.label(label), TYPOLOGY_COLOURS[label]) for label in labels if label in TYPOLOGY_COLOURS]
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


# -- cross-border gaps -------------------------------------------------------------------------


def _gaps(ctx: _Context) -> Section:
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
                flag = _value(row.comparable)
                cells.append(Cell(DASH if flag is None else ctx.t("yes") if flag else ctx.t("no")))
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
                mean=_value(segment["mean_gap_length_weighted"]) or 0.0,
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


# -- distance to the border --------------------------------------------------------------------


def _distance(ctx: _Context) -> Section:
    from borderland.maps import LEADER_COLOURS

    profile = ctx.layers.get("profile")
    if profile is None or not len(profile):
        return Section("distance", ctx.t("sec_distance"), (_not_run(ctx, "[border] bands_km"),))
    weight = "population" if "population" in profile.columns else "area_km2"
    columns = [Column(ctx.t("col_band"), "band", code=True), Column(ctx.t("col_side"), "side"),
               Column(ctx.t("col_index"), "index", True),
               Column(ctx.t("col_population") if weight == "population" else ctx.t("col_area"), weight, True),
               Column(ctx.t("col_with_data"), "with_data_pct", True), Column(ctx.t("col_regions"), "regions", True)]
    rows = [[Cell(Data(_str(row["band"]))), Cell(ctx.side_name(_str(row["side"]))), ctx.number("index", row["index"]),
             ctx.number("count", row[weight]), ctx.number("with_data_pct", row["with_data_pct"]),
             ctx.number("count", row["regions"])] for _, row in profile.iterrows()]
    blocks: list[Block] = [_table(ctx, "profile", ctx.t("tab_profile"),
                                  Source("profile", tuple(c.source for c in columns)), columns, rows)]
    bands = list(dict.fromkeys(profile["band"].astype(str)))
    series = []
    for k, side in enumerate(dict.fromkeys(profile["side"].astype(str))):
        part = profile[profile["side"].astype(str) == side]
        values = pd.Series(part["index"].to_numpy(), index=part["band"].astype(str).to_numpy())
        series.append(charts.ChartSeries(ctx.side_name(side), LEADER_COLOURS[k % len(LEADER_COLOURS)],
                                         tuple(_value(values.get(b)) for b in bands)))
    caption = ctx.t("fig_profile", weight=ctx.t("weight_population" if weight == "population" else "weight_area"))
    svg = charts.profile_chart("chart-profile", caption, bands, series, x_label=ctx.t("axis_band"),
                               y_label=ctx.t("axis_index"), locale=ctx.locale)
    blocks.append(Figure("profile", caption, Source("profile", ("band", "side", "index")), Html(svg)))
    thin = []
    for side in dict.fromkeys(profile["side"].astype(str)):
        shares = profile[profile["side"].astype(str) == side]["with_data_pct"]
        if (shares < 50).any():
            thin.append(f"{ctx.side_name(side)}: {', '.join(ctx.locale.pct(v, 0) for v in shares)}")
    if thin:
        blocks.append(Paragraph(ctx.p("profile_caveat", sides="; ".join(thin))))
    return Section("distance", ctx.t("sec_distance"), tuple(blocks))


# -- comparability of definitions --------------------------------------------------------------


def _scenario(ctx: _Context, scenario: str, component: str) -> str:
    if scenario == "all components":
        return ctx.t("scenario_all")
    if scenario == "without":
        return ctx.t("scenario_without", component=component)
    return ctx.t("scenario_adjusted", component=component)


def _comparability(ctx: _Context) -> Section:
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
                         ctx.number("count", row.regions_changing_class), Cell(Data(changes or DASH))])
        blocks.append(_table(ctx, "classes", ctx.t("tab_classes"),
                             Source("comparability", ("scope", "scenario", "component", "class_counts",
                                                      "regions_changing_class", "class_changes")), columns, rows))
    if len(faulty):
        blocks.append(Paragraph(ctx.p("comparability_caveat")))
    return Section("comparability", ctx.t("sec_comparability"), tuple(blocks))


# -- global statistics -------------------------------------------------------------------------

_WHOLE_UNITS: Final = ("year", "seed")
_COUNT_UNITS: Final = ("regions", "draws", "permutations")


def _statistics(ctx: _Context) -> Section:
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
                     Cell(shown, _value(value)), Cell(word(unit, ctx.lang)), Cell(Data(str(row.statistic)))])
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


# -- trade -------------------------------------------------------------------------------------


def _trade(ctx: _Context) -> Section:
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
                     Cell(ctx.locale.sig(row["value"], 4), _value(row["value"])), Cell(Data(_str(row["unit"]))),
                     Cell(ctx.locale.plain(row["year"]), _value(row["year"]))])
    blocks.append(_table(ctx, "flows", ctx.t("tab_trade_flows"),
                         Source("trade_flows", ("origin_name", "destination_name", "flow_type", "value", "unit",
                                                "year")), columns, rows))
    return Section("trade", ctx.t("sec_trade"), tuple(blocks))


# -- methods -----------------------------------------------------------------------------------


def _methods(ctx: _Context) -> Section:
    result, study, loc = ctx.result, ctx.result.study, ctx.locale
    spec = study.index
    rules = "; ".join(f"{c.name}: {word(c.year_rule.kind, ctx.lang)}" for c in spec.components)
    weights = result.index_result.weights
    rows: list[tuple[str, Parts, str]] = []
    rows.append((ctx.t("step_year"),
                 ctx.p("m_year_set" if spec.year is not None else "m_year_auto", year=loc.plain(result.year),
                       rules=Data(rules)), "index.year, year_rule"))
    rows.append((ctx.t("step_components"),
                 ctx.p("m_components", components=Data(", ".join(
                     f"{c.name} ({c.unit}, {c.direction})" if c.unit else f"{c.name} ({c.direction})"
                     for c in spec.components)), share=loc.pct(100 * spec.min_share, 0),
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
                           rule=Data(str(people.get("rule", "")))), "gaps.population_indicator"))
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


def _notes(ctx: _Context) -> Section | None:
    notes = list(ctx.result.notes)
    join = ctx.result.join
    blocks: list[Block] = []
    if join.regions_without_data:
        blocks.append(Paragraph(ctx.p("join_note", regions=Data(", ".join(join.regions_without_data)))))
    if notes:
        blocks.append(Paragraph((ctx.t("notes_intro"),)))
        blocks.append(Bullets(tuple((Data(note),) for note in notes)))
    return Section("notes", ctx.t("sec_notes"), tuple(blocks)) if blocks else None


# -- the report --------------------------------------------------------------------------------


def build_report(result: StudyResult, *, lang: str = "en") -> Report:
    """Assemble the report of a run in one language.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run` with every stage (the trade stage when the study
        has one).
    lang
        ``"en"`` or ``"ru"`` (:data:`~borderland.report.i18n.LANGUAGES`).

    Returns
    -------
    Report
        Sections in order: key findings, data coverage, the map, leaders and laggards,
        cross-border gaps, distance to the border, comparability of definitions, global
        statistics, trade, methods, and the run's notes.

    Raises
    ------
    SchemaError
        ``lang`` is not a language of the report, or a stage the report needs did not run.
    """
    from borderland.errors import SchemaError
    from borderland.report.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise SchemaError(f"unknown report language {lang!r}; choose one of {sorted(LANGUAGES)}")
    missing = [name for name in ("index_stage", "border_stage", "gaps_stage") if getattr(result, name) is None]
    if missing:
        raise SchemaError(f"the report needs a whole run; the result lacks {', '.join(missing)}: run every stage "
                          "(borderland.pipeline.run(study))")
    layers = export.result_layers(result)
    ctx = _Context(result=result, layers=layers, lang=lang, locale=Locale.of(lang),
                   gpkg=result.study.outputs.geopackage)
    sections = [_summary(ctx), _coverage(ctx), _map(ctx), _typology(ctx), _gaps(ctx), _distance(ctx),
                _comparability(ctx), _statistics(ctx), _trade(ctx), _methods(ctx)]
    notes = _notes(ctx)
    if notes is not None:
        sections.append(notes)
    study = result.study
    import borderland
    from borderland import io

    study_file = study.source_file.name if study.source_file else DASH
    bundled = study.source_file is not None and study.source_file.resolve() == io.bundled("study.toml").resolve()
    command = " ".join(["borderland report", *([] if bundled else [study_file]), f"--lang {lang}"])
    footer = ctx.p("generated", version=borderland.__version__, study=Data(study_file), gpkg=ctx.gpkg,
                   command=Data(command))
    return Report(lang=lang, title=study.title, subtitle=ctx.t("subtitle", year=ctx.locale.plain(result.year)),
                  sections=tuple(sections), footer=footer)
