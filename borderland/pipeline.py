"""A whole study, from boundary layers and indicator tables to one result frame.

:func:`load_study` reads a study file (TOML; the bundled default when none is given) into a
frozen :class:`Study`; :func:`run` carries it through every step and returns a
:class:`StudyResult`. Only this module assembles the result frame; each step lives in its own
module and returns a Series or frame aligned to the regions.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from borderland import border, coherence, indicators, io, layers, neighbours, robustness, spatial, typology
from borderland.errors import InputError, OutputError, SchemaError
from borderland.index import IndexSpec, build_index, index_spec_from_dict

_SECTIONS: dict[str, set[str]] = {
    "study": {"title", "focus_country", "crs", "countries", "countries_layer"},
    "regions": {"path", "layer", "id", "name", "country", "level", "sliver_width_m", "exclude"},
    "indicators": {"path", "layout", "sheet", "id", "decimal", "encoding", "delimiter", "year", "indicator",
                   "skip_rows", "indicator_column", "year_column", "value_column", "unit"},
    "border": {"source", "layer", "country_a", "country_b", "touch_tolerance_m", "distance_origin",
               "edge_tolerance_m", "bands_km"},
    "raster": {"population", "within_km", "threshold_pct", "distance_raster", "resolution_m"},
    "index": set(),  # checked by borderland.index.index_spec_from_dict
    "typology": set(),  # checked by borderland.typology.typology_from_dict
    "robustness": {"draws", "seed", "concentration", "normalisations", "aggregations", "stable_at"},
    "gaps": {"contiguity", "extra_links", "permutations", "seed", "published", "population_indicator"},
    "trade": {"published", "indicators", "countries", "countries_layer", "year", "population_year", "flow_type"},
    "outputs": {"map", "geopackage"},
    "attribution": {"lines"},
}


@dataclass(frozen=True)
class Study:
    """Everything a run needs, read from a study file; paths are absolute.

    See the README's "Study file" section for the meaning of each field.
    """

    title: str
    regions_path: Path
    indicators_path: Path
    index: IndexSpec
    focus_country: str | None = None
    crs: str = layers.DEFAULT_CRS
    countries_path: Path | None = None
    countries_layer: str | None = None
    bands_km: tuple[float, ...] = (0.0, 25.0, 50.0, 100.0)
    population_raster: Path | None = None
    within_km: float = 25.0
    threshold_pct: float = 50.0
    distance_raster: bool = False
    resolution_m: float = 5000.0
    regions_layer: str | None = None
    id_column: str = "region_id"
    name_column: str = "name"
    country_column: str = "country"
    level_column: str | None = "level"
    sliver_width_m: float = 8000.0
    exclude: tuple[str, ...] = ()
    indicators_layout: str = "long"
    indicators_sheet: str | None = None
    indicators_id: str = "region_id"
    indicators_decimal: str = "."
    indicators_encoding: str | None = None
    indicators_delimiter: str | None = None
    indicators_skip_rows: int = 0
    indicators_year: int | None = None
    indicators_columns: tuple[tuple[str, str], ...] = ()
    indicators_constant: tuple[tuple[str, str], ...] = ()
    border_source: str | Path = "regions"
    border_layer: str | None = None
    border_country_a: str = "country_a"
    border_country_b: str = "country_b"
    edge_tolerance_m: float = 0.0
    touch_tolerance_m: float = 100.0
    distance_origin: str = "inside_point"
    typology: typology.TypologySpec = field(default_factory=lambda: typology.TypologySpec("mean_sd", (("k", 0.5),)))
    robustness_draws: int = 0
    robustness_seed: int = 20211231
    robustness_concentration: float = 30.0
    robustness_normalisations: tuple[str, ...] | None = None
    robustness_aggregations: tuple[str, ...] | None = None
    robustness_stable_at: float = 0.8
    contiguity: str = "rook"
    extra_links: Path | None = None
    permutations: int = 999
    seed: int = 20211231
    published: Path | None = None
    population_indicator: str = "population_1_january"
    trade_published: Path | None = None
    trade_indicators: Path | None = None
    trade_countries: Path | None = None
    trade_countries_layer: str | None = None
    trade_year: int | None = None
    trade_population_year: int | None = None
    trade_flow_type: str = "turnover"
    map_name: str = "borderland_map.html"
    geopackage_name: str = "borderland.gpkg"
    attribution: tuple[str, ...] = field(default=())
    source_file: Path | None = None


def load_study(path: str | Path | None = None) -> Study:
    """Read and check a study file; ``None`` gives the bundled default study.

    Parameters
    ----------
    path
        A TOML study file. Relative paths inside it resolve against its folder.

    Returns
    -------
    Study
        The checked study.

    Examples
    --------
    >>> load_study().focus_country
    'RU'
    """
    file = Path(path) if path is not None else io.bundled("study.toml")
    if not file.is_file():
        raise InputError(f"study file {str(file)!r} does not exist; create one with `borderland init DIR`")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"study file {str(file)!r} is not valid TOML: {exc}") from None
    return study_from_dict(data, folder=file.parent, source_file=file)


def study_from_dict(data: dict[str, Any], *, folder: Path, source_file: Path | None = None) -> Study:
    """Build a :class:`Study` from parsed TOML, reporting every unknown or missing key at once."""
    problems: list[str] = []
    import difflib

    def _unknown(kind: str, name: str, where: str, valid: set[str]) -> str:
        close = difflib.get_close_matches(name, sorted(valid), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown {kind} {name!r}{where}; {hint}{kind}s are {', '.join(sorted(valid))}"

    for section, content in data.items():
        if section not in _SECTIONS:
            problems.append(_unknown("section", section, "", set(_SECTIONS)))
        elif isinstance(content, dict) and _SECTIONS[section]:
            for key in sorted(set(content) - _SECTIONS[section]):
                problems.append(_unknown("key", key, f" in [{section}]", _SECTIONS[section]))
    for section, key in (("regions", "path"), ("indicators", "path"), ("index", "components")):
        if key not in data.get(section, {}):
            problems.append(f"[{section}] needs {key!r}")
    sec = {name: data.get(name, {}) for name in _SECTIONS}
    spec = tspec = None
    for section, parse in (("index", index_spec_from_dict), ("typology", typology.typology_from_dict)):
        try:
            parsed = parse(sec[section])
        except SchemaError as exc:
            # the section's own report lists its problems as "  - ..." lines: one flat list
            lines = [line.strip().removeprefix("- ") for line in str(exc).splitlines()]
            details = [line for line in lines if line and not line.endswith("problem(s)")] or lines
            problems += [f"[{section}] {line}" for line in details]
            continue
        if section == "index":
            spec = parsed
        else:
            tspec = parsed
    if problems:
        raise SchemaError(f"study file {source_file or ''}: {len(problems)} problem(s)\n"
                          + "\n".join(f"  - {p}" for p in problems))
    assert spec is not None and tspec is not None  # for mypy: both set when no problem was found

    border_source = sec["border"].get("source", "regions")
    ind = sec["indicators"]
    # a table with other column names (e.g. Eurostat's SDMX-CSV: geo, TIME_PERIOD, OBS_VALUE)
    columns = {ind[key]: tidy for key, tidy in (("indicator_column", "indicator"), ("year_column", "year"),
                                                 ("value_column", "value")) if key in ind}
    constants = {key: str(ind[key]) for key in ("indicator", "unit") if key in ind}
    robust = sec["robustness"]
    trade = sec["trade"]

    def _path(value: str | None) -> Path | None:
        return (folder / value).resolve() if value else None

    gaps = sec["gaps"]
    ras = sec["raster"]
    return Study(
        countries_path=_path(sec["study"].get("countries")),
        countries_layer=sec["study"].get("countries_layer"),
        bands_km=tuple(float(b) for b in sec["border"].get("bands_km", (0.0, 25.0, 50.0, 100.0))),
        population_raster=_path(ras.get("population")),
        within_km=float(ras.get("within_km", 25.0)),
        threshold_pct=float(ras.get("threshold_pct", 50.0)),
        distance_raster=bool(ras.get("distance_raster", False)),
        resolution_m=float(ras.get("resolution_m", 5000.0)),
        contiguity=gaps.get("contiguity", "rook"),
        extra_links=_path(gaps.get("extra_links")),
        permutations=int(gaps.get("permutations", 999)),
        seed=int(gaps.get("seed", 20211231)),
        published=_path(gaps.get("published")),
        population_indicator=gaps.get("population_indicator", "population_1_january"),
        trade_published=_path(trade.get("published")),
        trade_indicators=_path(trade.get("indicators")),
        trade_countries=_path(trade.get("countries")),
        trade_countries_layer=trade.get("countries_layer"),
        trade_year=int(trade["year"]) if "year" in trade else None,
        trade_population_year=int(trade["population_year"]) if "population_year" in trade else None,
        trade_flow_type=trade.get("flow_type", "turnover"),
        title=sec["study"].get("title", "Borderland study"),
        focus_country=sec["study"].get("focus_country"),
        crs=sec["study"].get("crs", layers.DEFAULT_CRS),
        regions_path=(folder / sec["regions"]["path"]).resolve(),
        regions_layer=sec["regions"].get("layer"),
        id_column=sec["regions"].get("id", "region_id"),
        name_column=sec["regions"].get("name", "name"),
        country_column=sec["regions"].get("country", "country"),
        level_column=sec["regions"].get("level", "level"),
        sliver_width_m=float(sec["regions"].get("sliver_width_m", 8000.0)),
        exclude=tuple(str(c) for c in sec["regions"].get("exclude", ())),
        indicators_path=(folder / sec["indicators"]["path"]).resolve(),
        indicators_layout=sec["indicators"].get("layout", "long"),
        indicators_sheet=sec["indicators"].get("sheet"),
        indicators_id=sec["indicators"].get("id", "region_id"),
        indicators_decimal=sec["indicators"].get("decimal", "."),
        indicators_encoding=sec["indicators"].get("encoding"),
        indicators_delimiter=ind.get("delimiter"),
        indicators_skip_rows=int(ind.get("skip_rows", 0)),
        indicators_year=int(ind["year"]) if "year" in ind else None,
        indicators_columns=tuple(columns.items()),
        indicators_constant=tuple(constants.items()),
        border_source=border_source if border_source == "regions" else (folder / border_source).resolve(),
        border_layer=sec["border"].get("layer"),
        border_country_a=sec["border"].get("country_a", "country_a"),
        border_country_b=sec["border"].get("country_b", "country_b"),
        edge_tolerance_m=float(sec["border"].get("edge_tolerance_m", 0.0)),
        touch_tolerance_m=float(sec["border"].get("touch_tolerance_m", 100.0)),
        distance_origin=sec["border"].get("distance_origin", "inside_point"),
        index=spec,
        typology=tspec,
        robustness_draws=int(robust.get("draws", 0)),
        robustness_seed=int(robust.get("seed", 20211231)),
        robustness_concentration=float(robust.get("concentration", 30.0)),
        robustness_normalisations=tuple(robust.get("normalisations", ())) or None,
        robustness_aggregations=tuple(robust.get("aggregations", ())) or None,
        robustness_stable_at=float(robust.get("stable_at", 0.8)),
        map_name=sec["outputs"].get("map", "borderland_map.html"),
        geopackage_name=sec["outputs"].get("geopackage", "borderland.gpkg"),
        attribution=tuple(sec["attribution"].get("lines", ())),
        source_file=source_file,
    )


@dataclass(frozen=True)
class StudyResult:
    """What a run produced.

    Attributes
    ----------
    regions
        One row per region: inputs, index components (raw values of ``year``), ``index``,
        ``typology``, ``border_distance_km``, ``border_order``.
    pairs
        Adjacent pairs with shared-border length and the index gap (line geometry).
    border_lines
        Land border segments between the study's countries.
    year
        The indicator year used.
    year_counts
        Per candidate year, regions with complete data (focus side, others).
    join
        How the indicator codes met the region codes.
    repair
        What the geometry repair changed.
    study
        The study that was run.
    """

    regions: gpd.GeoDataFrame
    pairs: gpd.GeoDataFrame
    border_lines: gpd.GeoDataFrame
    year: int
    year_counts: pd.DataFrame
    join: indicators.JoinReport
    repair: layers.RepairReport
    study: Study
    notes: tuple[str, ...] = ()
    countries: gpd.GeoDataFrame | None = None
    bands: gpd.GeoDataFrame | None = None
    profile: pd.DataFrame | None = None
    index_result: Any = None
    coherence: Any = None
    uncertainty: Any = None
    segments: gpd.GeoDataFrame | None = None
    graph: Any = None
    moran: Any = None
    theil: pd.DataFrame | None = None
    flows: gpd.GeoDataFrame | None = None
    flow_report: Any = None
    trade_pairs: pd.DataFrame | None = None
    trade_segments: pd.DataFrame | None = None
    trade_association: Any = None

    def index_summary(self, top: int = 3) -> str:
        """Leaders and laggards on each side, with their class probabilities when measured."""
        r = self.regions.dropna(subset=["index"])
        focus = self.study.focus_country
        sides = [(focus, r["country"].eq(focus)), ("others", ~r["country"].eq(focus))] if focus else [("all", None)]
        lines = [f"index {self.year}: {len(r)} regions; typology rule {self.study.typology.method} "
                 f"{dict(self.study.typology.options)}"]
        for label, mask in sides:
            part = (r if mask is None else r[mask]).sort_values("index", ascending=False)
            if part.empty:
                continue
            lines.append(f"{label}: leaders and laggards")
            for code, row in pd.concat([part.head(top), part.tail(top)]).drop_duplicates().iterrows():
                extra = ""
                if "p_typology" in row and pd.notna(row.get("p_typology")):
                    probs = " / ".join(f"{row[f'p_{c}']:.2f}" for c in self.study.typology.labels if f"p_{c}" in row)
                    extra = (f", rank {row['rank_median']:.0f} ({row['rank_p05']:.0f}-{row['rank_p95']:.0f}), "
                             f"P({' / '.join(self.study.typology.labels)}) = {probs}")
                lines.append(f"  {row['name']} ({code}): {row['index']:.3f} {row['typology']}{extra}")
        lines += [f"note: {note}" for note in self.notes]
        if self.coherence is not None:
            lines.append(self.coherence.summary())
        if self.uncertainty is not None:
            lines.append(self.uncertainty.summary())
        return "\n".join(lines)

    def border_summary(self) -> str:
        """Border segments, rings, distances and, with a population raster, people near the border."""
        r = self.regions
        lines = ["land border segments: " + ", ".join(
            f"{row.segment} {row.length_km:.0f} km" for row in self.border_lines.itertuples())]
        rings = r["border_order"].value_counts(dropna=False).sort_index()
        lines.append("border rings: " + ", ".join(
            f"{'none' if pd.isna(k) else int(k)}: {n}" for k, n in rings.items()))
        lines.append(f"distance to the border ({self.study.distance_origin}): median "
                     f"{r['border_distance_km'].median():.0f} km, max {r['border_distance_km'].max():.0f} km")
        share = next((c for c in r.columns if c.startswith("population_within") and c.endswith("_pct")), None)
        total = next((c for c in r.columns if c.startswith("population_within") and not c.endswith("_pct")), None)
        if share and total:
            lines.append(f"people within {self.study.within_km:g} km of the border: {r[total].sum():,.0f} "
                         f"({100 * r[total].sum() / r['population_raster'].sum():.1f} % of the study's raster "
                         "population)")
            if "border_region" in r.columns:
                lines.append(f"border regions (Eurostat-style, touching or > {self.study.threshold_pct:g} % of people "
                             f"within {self.study.within_km:g} km): {int(r['border_region'].fillna(False).sum())}")
            lines.append("largest shares near the border: " + ", ".join(
                f"{r.loc[c, 'name']} {r.loc[c, share]:.0f} %" for c in r[share].nlargest(5).index))
        if self.profile is not None:
            lines.append("index by distance band and side (population-weighted):")
            lines.append(self.profile.round(3).to_string())
        return "\n".join(lines)

    def gaps_summary(self) -> str:
        """Segments, spatial autocorrelation and inequality decomposition."""
        lines = []
        if self.graph is not None:
            lines.append(self.graph.summary())
        if self.segments is not None:
            seg = self.segments.drop(columns="geometry").set_index("segment")
            columns = ["pairs", "pairs_with_gap", "shared_border_km", "mean_gap", "max_abs_gap", "gap_share_pct",
                       "expert_rating_of_crossborder_interaction"]
            lines.append("border segments:")
            lines.append(seg[[c for c in columns if c in seg.columns]].round(3).to_string())
        if self.moran is not None:
            lines.append(self.moran.summary())
        lines += [f"note: {note}" for note in self.notes]
        if self.theil is not None:
            lines.append("Theil decomposition of the index (population-weighted):")
            lines.append(self.theil.round(4).to_string())
        return "\n".join(lines)

    def summary(self, top: int = 5) -> str:
        """A short text summary for the terminal."""
        r = self.regions
        cross = self.pairs[self.pairs["cross_border"]]
        with_gap = cross.dropna(subset=["gap"]).nlargest(top, "abs_gap")
        classes = r["typology"].value_counts().reindex(list(self.study.typology.labels), fill_value=0)
        lines = [
            f"{self.study.title}: {len(r)} regions in {r['country'].nunique()} countries",
            f"indicator year {self.year} (regions with every component: "
            + (f"{self.year_counts.loc[self.year, 'focus']} on the {self.study.focus_country} side, "
               f"{self.year_counts.loc[self.year, 'others']} on the other side)" if self.study.focus_country
               else f"{self.year_counts.loc[self.year, 'focus']})"),
            f"index computed for {int(r['index'].notna().sum())} regions; no data for {int(r['index'].isna().sum())}",
            "typology: " + ", ".join(f"{label} {n}" for label, n in classes.items()),
            f"cross-border pairs: {len(cross)} on {cross['segment'].nunique()} border segments "
            f"({', '.join(sorted(cross['segment'].unique()))}); with an index gap on both sides: "
            f"{int(cross['gap'].notna().sum())}",
        ]
        if self.coherence is not None:
            lines.append(self.coherence.summary())
        if self.uncertainty is not None:
            lines.append(self.uncertainty.summary())
        if self.moran is not None:
            lines.append(f"spatial autocorrelation of the index: {self.moran.summary()}")
        if self.segments is not None and self.segments["gap_share_pct"].notna().any():
            top_segments = self.segments.dropna(subset=["gap_share_pct"]).nlargest(3, "gap_share_pct")
            lines.append("border segments with the largest share of the cross-border gap: " + ", ".join(
                f"{row.segment} {row.gap_share_pct:.0f} % (mean gap {row.mean_gap:+.3f})"
                for row in top_segments.itertuples()))
        if len(with_gap):
            lines.append("largest cross-border gaps (index, a - b):")
            lines += [f"  {p.name_a} ({p.region_a}) - {p.name_b} ({p.region_b}): {p.gap:+.3f}, "
                      f"{p.shared_border_km:.0f} km shared" for p in with_gap.itertuples()]
        return "\n".join(lines)


#: The steps of :func:`run`, in order, for progress reports.
STEPS: tuple[str, ...] = ("regions", "indicators", "index", "border", "pairs", "trade")


def load_regions(study: Study) -> tuple[gpd.GeoDataFrame, layers.RepairReport]:
    """Read, validate, project and repair the study's region layer (step 1 of :func:`run`)."""
    raw = io.read_layer(study.regions_path, study.regions_layer)
    if study.exclude:
        if study.id_column in raw.columns:
            raw = raw[~raw[study.id_column].astype(str).isin(study.exclude)]
    regions = layers.prepare_regions(
        raw, id_column=study.id_column, name_column=study.name_column, country_column=study.country_column,
        level_column=study.level_column, crs=study.crs,
    )
    return layers.repair_coverage(regions, sliver_width_m=study.sliver_width_m)


def load_indicators(study: Study) -> pd.DataFrame:
    """Read the study's indicator table into the tidy layout (step 2 of :func:`run`)."""
    raw = io.read_table(study.indicators_path, sheet=study.indicators_sheet, encoding=study.indicators_encoding,
                        delimiter=study.indicators_delimiter, decimal=study.indicators_decimal,
                        skip_rows=study.indicators_skip_rows)
    raw = raw.rename(columns=dict(study.indicators_columns))
    for column, value in study.indicators_constant:
        raw[column] = value
    try:
        table = indicators.tidy_table(raw, layout=study.indicators_layout, id_column=study.indicators_id,
                                      decimal=study.indicators_decimal, year=study.indicators_year)
    except SchemaError as exc:
        header = _header_row(raw, study.indicators_id)
        if header is None:
            raise
        skip = header + 1 + study.indicators_skip_rows
        raise SchemaError(f"{exc}\n  - the column names are on row {skip + 1} of {study.indicators_path.name}, "
                          f"under title rows (merged header cells?): set skip_rows = {skip} in [indicators]") from None
    if table.empty:
        raise SchemaError(
            f"indicator table {study.indicators_path.name!r} has no numeric value: all "
            f"{table.attrs.get('non_numeric_cells', 0)} filled cells are text (e.g. 'n/a'); check the value column "
            "and the decimal separator (decimal = \",\" in [indicators])"
        )
    return table


def _header_row(raw: pd.DataFrame, id_column: str) -> int | None:
    """Row (0-based, below the read header) holding the real column names, if the code column is found there."""
    if id_column in raw.columns:
        return None
    for k, row in enumerate(raw.head(10).itertuples(index=False)):
        if id_column in {str(v).strip() for v in row}:
            return k
    return None


def run(study: Study | None = None, *, on_step: Callable[[str], None] | None = None) -> StudyResult:
    """Run every step of a study.

    Parameters
    ----------
    study
        From :func:`load_study`; the bundled default study when omitted.
    on_step
        Called with the name of each step of :data:`STEPS` as it starts (for progress bars).

    Returns
    -------
    StudyResult
        Regions with index, typology and border measures; pairs with gaps; border lines.
    """
    study = study or load_study()
    step = on_step or (lambda name: None)
    step("regions")
    regions, repair = load_regions(study)
    step("indicators")
    table = load_indicators(study)
    countries = sorted(regions["country"].dropna().unique())
    if len(countries) < 2:
        raise SchemaError(
            f"the region layer holds one country ({', '.join(countries) or 'none'}): a borderland study needs "
            "regions on both sides of a border; check the country column"
        )
    if study.focus_country and study.focus_country not in countries:
        raise SchemaError(f"focus country {study.focus_country!r} is not in the region layer; its countries are "
                          f"{', '.join(countries)}")
    join = indicators.match_codes(regions, table)
    _check_components(study.index, table)
    step("index")
    spec = study.index
    rules = spec.year_rules
    counts = None
    if spec.year is None:
        year, counts = indicators.choose_year(table, regions, spec.indicator_names, focus_country=study.focus_country,
                                              rules=rules)
    else:
        year = spec.year
    matrix, value_years = indicators.component_values(table, regions, spec.indicator_names, year, rules=rules)
    if counts is None:
        complete = matrix.notna().all(axis=1)
        focus = regions["country"].eq(study.focus_country)
        counts = pd.DataFrame({"focus": [int((complete & focus).sum())], "others": [int((complete & ~focus).sum())]},
                              index=pd.Index([year], name="year"))
    built = build_index(matrix, spec, countries=regions["country"], focus_country=study.focus_country)
    index_values = built.index
    classes = typology.classify(index_values, study.typology)
    report = None
    if len(spec.components) > 1:  # coherence is a property of several components
        report = coherence.coherence_report(built.scores.where(~built.imputed.to_numpy()), index=index_values)

    step("border")
    edges = layers.shared_edges(regions, tolerance_m=study.edge_tolerance_m)
    if study.border_source == "regions":
        lines = border.border_lines_from_edges(regions, edges, focus_country=study.focus_country)
    else:
        authoritative = layers.to_projected(io.read_layer(study.border_source, study.border_layer), study.crs)
        lines = border.border_lines_from_layer(authoritative, country_a=study.border_country_a,
                                               country_b=study.border_country_b, focus_country=study.focus_country)
    # the one neighbour graph of the run: rings, pairs, deviations, Moran's I and LISA all use it
    extra = io.read_table(study.extra_links) if study.extra_links else None
    # the rook edges are reused; queen contiguity needs the point contacts too
    graph = neighbours.neighbour_graph(regions, edges=edges if study.contiguity == "rook" else None,
                                       contiguity=study.contiguity,  # type: ignore[arg-type]
                                       tolerance_m=study.edge_tolerance_m, extra_links=extra)
    touching = border.touches_border(regions, lines, touch_tolerance_m=study.touch_tolerance_m)
    order = graph.border_order(touching).reindex(regions.index)
    bands = border.distance_bands(regions, lines, bands_km=study.bands_km) if len(lines) else None
    countries = None
    if study.countries_path is not None:
        countries = layers.to_projected(io.read_layer(study.countries_path, study.countries_layer), study.crs)
    population_columns: list[pd.DataFrame | pd.Series] = []
    weighted_km = None
    if study.population_raster is not None and len(lines):
        from borderland import exposure

        near = exposure.population_near_border(regions, lines, study.population_raster, within_km=study.within_km)
        population_columns.append(near)
        population_columns.append(exposure.border_region(regions, lines, study.population_raster,
                                                         within_km=study.within_km, threshold_pct=study.threshold_pct,
                                                         touch_tolerance_m=study.touch_tolerance_m, near=near))
        weighted_km = exposure.population_weighted_distance(regions, lines, study.population_raster)
        population_columns.append(weighted_km.rename("population_border_distance_km"))
    if study.distance_origin == "population":
        if study.population_raster is None:
            raise SchemaError("distance_origin = 'population' needs a population raster; set [raster] population "
                              "= FILE, or choose distance_origin 'inside_point', 'centroid' or 'outline'")
        distance = (weighted_km if weighted_km is not None
                    else pd.Series(float("nan"), index=regions.index, name="border_distance_km"))
    else:
        distance = border.distance_to_border(regions, lines, origin=study.distance_origin)  # type: ignore[arg-type]

    step("pairs")
    pairs = neighbours.pair_table(regions, graph, index_values, focus_country=study.focus_country)
    published = io.read_table(study.published) if study.published else None
    segments = neighbours.segment_summary(pairs, published=published)
    deviation = neighbours.local_deviation(regions, graph, index_values)
    stability = None
    if study.robustness_draws > 0:
        cross = pairs[pairs["cross_border"]]
        stability = robustness.uncertainty(
            matrix, spec, typology=study.typology, pairs=cross, countries=regions["country"],
            focus_country=study.focus_country, draws=study.robustness_draws,
            concentration=study.robustness_concentration, normalisations=study.robustness_normalisations,
            aggregations=study.robustness_aggregations, stable_at=study.robustness_stable_at,
            rng=study.robustness_seed,
        )
        pair_probabilities = stability.pairs.reindex(pairs.index)
        pairs = pd.concat([pairs.drop(columns="geometry"), pair_probabilities, pairs[["geometry"]]], axis=1).pipe(
            gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    notes: list[str] = []
    try:
        lisa = spatial.local_moran(regions, graph, index_values, permutations=study.permutations, rng=study.seed)
        moran = spatial.morans_i(regions, graph, index_values, permutations=study.permutations, rng=study.seed)
    except SchemaError as exc:  # too few regions with a value: the rest of the study still stands
        lisa, moran = pd.DataFrame(index=regions.index), None
        notes.append(f"Moran's I and LISA left out: {exc}")
    population = _population(table, regions, study.population_indicator, year)
    theil = None
    if population.notna().any():
        side = regions["country"].eq(study.focus_country).map({True: study.focus_country or "", False: "others"})
        theil = spatial.theil_decomposition(
            index_values, population=population,
            partitions={"country": regions["country"], "border_order": order, "side": side},
        )

    profile_table = None
    if len(lines):
        from borderland import exposure

        profile_table = exposure.profile(regions.assign(index=index_values), "index", lines, study.population_raster,
                                         bands_km=(*study.bands_km, float("inf")), focus_country=study.focus_country)

    step("trade")
    trade_parts: dict[str, Any] = {}
    trade_columns = []
    if study.trade_published is not None:
        trade_parts, trade_columns = _trade(study, regions, table, pairs, countries)

    result_regions = pd.concat(
        [regions.drop(columns="geometry"), matrix, value_years, built.imputed, built.share, index_values, classes,
         *([stability.regions] if stability is not None else []), distance, order, *population_columns,
         deviation, lisa,
         *trade_columns, regions[["geometry"]]],
        axis=1,
    ).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    result_regions.attrs["index_year"] = year
    return StudyResult(
        regions=result_regions, pairs=pairs, border_lines=lines, year=year, year_counts=counts,
        join=join, repair=repair, study=study, notes=tuple(notes), countries=countries, bands=bands,
        profile=profile_table, index_result=built, coherence=report, uncertainty=stability,
        segments=segments, graph=graph, moran=moran, theil=theil,
        **trade_parts,
    )


def _check_components(spec: IndexSpec, table: pd.DataFrame) -> None:
    """Every component names at least one indicator of the table; a given year has values."""
    import difflib

    available = sorted(set(table["indicator"].dropna().astype(str)))
    problems = []
    for component in spec.components:
        if not set(component.indicators) & set(available):
            close = difflib.get_close_matches(component.indicators[0], available, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; the table has {', '.join(available[:12])}"
            problems.append(f"component {component.name!r}: no indicator {list(component.indicators)} in the "
                            f"table{hint}")
    if spec.year is not None and not (table["year"] == spec.year).any():
        years = table["year"].dropna()
        problems.append(f"no indicator value for the year {spec.year}; the table has "
                        f"{int(years.min())}-{int(years.max())}" if len(years) else "the table has no year")
    if problems:
        raise SchemaError("index components: " + "; ".join(problems))


def _population(table: pd.DataFrame, regions: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    """Each region's population from the indicator table, the year nearest the index year (for weights)."""
    from borderland.trade import POPULATION_UNITS

    rows = table[(table["indicator"] == indicator) & table["unit"].notna()].copy()
    if rows.empty:  # no population with a unit: no population weights, the Theil step is left out
        return pd.Series(float("nan"), index=regions.index, name="population_persons")
    rows["distance"] = (rows["year"] - year).abs()
    nearest = rows.sort_values(["distance", "year"]).drop_duplicates("region_id").set_index("region_id")
    # Eurostat counts persons, Rosstat thousands: weights must share one unit
    factor = nearest["unit"].astype(str).str.strip().map(POPULATION_UNITS)
    unknown = sorted(set(nearest.loc[factor.isna(), "unit"].astype(str)))
    if unknown:
        raise SchemaError(f"population indicator {indicator!r} has unit(s) {unknown}; "
                          f"use one of {sorted(POPULATION_UNITS)}")
    return (nearest["value"] * factor.astype(float)).reindex(regions.index).rename("population_persons")


def _trade(
    study: Study, regions: gpd.GeoDataFrame, table: pd.DataFrame, pairs: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame | None,
) -> tuple[dict[str, Any], list[pd.DataFrame]]:
    """Trade flows, their lines, trade beside the gap, and the regions' trade indicators."""
    from borderland import trade

    if study.trade_countries is not None:
        countries = layers.to_projected(io.read_layer(study.trade_countries, study.trade_countries_layer), study.crs)
    flows, skipped = trade.read_trade_flows(indicators=study.trade_indicators or study.indicators_path,
                                            published=study.trade_published)
    flows, report = trade.match_flows(flows, regions, countries=countries, focus_country=study.focus_country,
                                      skipped=skipped)
    lines = trade.flow_lines(flows, regions, countries=countries)
    divide = trade.trade_divide(pairs, flows, flow_type=study.trade_flow_type, rng=0)
    columns = []
    if study.trade_year is not None:
        columns.append(trade.trade_indicators(table, regions, year=study.trade_year,
                                              population_year=study.trade_population_year))
    parts = {"flows": lines, "flow_report": report, "trade_pairs": divide.pairs, "trade_segments": divide.segments,
             "trade_association": divide.association}
    return parts, columns


def init_study(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write a commented study file and the bundled sample data into ``folder`` to start from.

    Parameters
    ----------
    folder
        Where to write (created when missing).
    overwrite
        Replace files that exist already.

    Returns
    -------
    list of Path
        The written files, the study file first.
    """
    import shutil

    folder = Path(folder)
    names = ("study.toml", "regions.gpkg", "indicators.csv", "countries.gpkg", "published_figures.csv",
             "population_gpw_v4_2000_15min.tif")
    existing = [str(folder / n) for n in names if (folder / n).exists()]
    if existing and not overwrite:
        raise OutputError(f"file(s) exist already: {', '.join(existing)}; pass --overwrite to replace them")
    for name in names:
        with io.atomic_path(folder / name, overwrite=overwrite) as tmp:
            shutil.copyfile(io.bundled(name), tmp)
    return [folder / name for name in names]


_INDEX_OVERRIDES = ("normalisation", "aggregation", "weighting", "year", "min_share", "imputation")


def with_overrides(study: Study, **changes: Any) -> Study:
    """A copy of ``study`` with some settings replaced (what step commands' options do).

    Parameters
    ----------
    study
        The study to start from.
    **changes
        :class:`Study` fields (``regions_path``, ``focus_country``, ``contiguity``...), index
        settings (``normalisation``, ``aggregation``, ``weighting``, ``year``, ``min_share``,
        ``imputation``) and ``typology_method`` / ``typology_k``. ``None`` leaves a setting as it is.

    Returns
    -------
    Study
        The changed study; settings are checked as in a study file.
    """
    from dataclasses import fields, replace

    # None leaves a setting as it is; "" clears an optional one
    changes = {key: (None if value == "" else value) for key, value in changes.items() if value is not None}
    index_changes = {key: changes.pop(key) for key in _INDEX_OVERRIDES if key in changes}
    spec = study.index
    if index_changes:
        try:
            spec = replace(spec, **index_changes)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"index option: {exc}") from None
    tspec = study.typology
    method = changes.pop("typology_method", None)
    k = changes.pop("typology_k", None)
    if method is not None or k is not None:
        new_method = method or tspec.method
        options = dict(tspec.options) if new_method == tspec.method else {}
        if k is not None:
            options["k"] = k
        tspec = typology.TypologySpec(new_method, options, tspec.labels)
    known = {f.name for f in fields(Study)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise SchemaError(f"unknown study setting(s) {unknown}")
    for key in ("regions_path", "indicators_path"):
        if key in changes:
            changes[key] = Path(changes[key]).resolve()
    return replace(study, index=spec, typology=tspec, **changes)
