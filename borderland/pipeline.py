"""A study from its inputs to one result, as a short sequence of typed stages.

======  ===================================================================  =========================
stage   computes                                                             needs
======  ===================================================================  =========================
load    reads and checks every input: regions (validated, projected,         the study
        repaired), the indicator table, countries, border lines, tables,
        the population raster's coverage
index   the year, the composite index, typology, coherence, robustness       load
border  shared edges, the neighbour graph, border lines, distance, rings,    load, index (profile)
        bands, population near the border, the profile by band
gaps    pairs and their gaps, segments, local deviation, LISA and Moran's    load, index, border
        I, Theil, gap-sign stability
trade   flows, flow lines, trade beside the divide, trade indicators         load, gaps
======  ===================================================================  =========================

Each stage has its *checks* apart from its computation: :func:`check` runs every stage's checks
on the loaded inputs without computing any result, and :func:`validate` (``borderland
validate``) is exactly the load stage plus those checks, so that it fails where :func:`run`
would fail on input. :func:`run` runs the checks of the stages asked for first, then computes
them. Writing outputs is not a stage of this module: :mod:`borderland.commands` opens the
output set before anything is loaded or computed.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland import border, coherence, indicators, io, layers, neighbours, robustness, spatial, typology
from borderland.errors import BorderlandError, InputError, JoinError, SchemaError, collect
from borderland.index import IndexResult, build_index
from borderland.population import region_population
from borderland.specs import shown
from borderland.study import Study, load_study

__all__ = ["STAGES", "BorderStage", "GapsStage", "IndexStage", "Inputs", "StudyResult", "TradeStage", "check",
           "load", "run", "validate"]

#: The stages, in order; a command runs a prefix of them.
STAGES: Final = ("load", "index", "border", "gaps", "trade")


# -- load --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RasterCoverage:
    """How far the population raster covers the regions.

    Attributes
    ----------
    path
        The raster.
    outside
        Regions the raster does not reach at all.
    partly
        Regions it covers only in part (below 99 % of their area), with the share covered (%).
    """

    path: Path
    outside: tuple[str, ...]
    partly: pd.Series

    def notes(self, names: pd.Series) -> list[str]:
        """What a user should know about the coverage, in words."""
        found = []
        if self.outside:
            listed = ", ".join(f"{names.get(c, c)} ({c})" for c in self.outside[:12])
            more = f" and {len(self.outside) - 12} more" if len(self.outside) > 12 else ""
            found.append(f"the population raster does not reach {len(self.outside)} region(s): {listed}{more}; "
                         "they get no population figures")
        if len(self.partly):
            listed = ", ".join(f"{names.get(c, c)} ({c}) {pct:.0f} %" for c, pct in self.partly.head(12).items())
            listed += f" and {len(self.partly) - 12} more" if len(self.partly) > 12 else ""
            found.append(f"the population raster covers {len(self.partly)} region(s) only in part: {listed}; "
                         "their population figures count the covered part only")
        return found


@dataclass(frozen=True)
class Inputs:
    """Everything the load stage read and checked.

    Attributes
    ----------
    regions
        Validated, projected and repaired; indexed by code.
    repair
        What the repair changed.
    table
        The tidy indicator table.
    join
        How its codes met the regions'.
    countries
        Country outlines (``country`` column), projected, when the study names them.
    border_layer
        The authoritative border lines, when the study names a line layer.
    extra_links, published, gaps_published
        The tables the gaps stage joins.
    raster
        The population raster's coverage of the regions.
    trade_flows
        Flows read from the trade tables (unmatched), and the rows skipped with reasons.
    trade_countries
        Country outlines for country-level flows.
    notes
        What a user should know that is not an error.
    """

    regions: gpd.GeoDataFrame
    repair: layers.RepairReport
    table: pd.DataFrame
    join: indicators.JoinReport
    countries: gpd.GeoDataFrame | None = None
    border_layer: gpd.GeoDataFrame | None = None
    extra_links: pd.DataFrame | None = None
    gaps_published: pd.DataFrame | None = None
    raster: RasterCoverage | None = None
    trade_flows: pd.DataFrame | None = None
    trade_skipped: tuple[str, ...] | None = None
    trade_countries: gpd.GeoDataFrame | None = None
    notes: tuple[str, ...] = ()


def load_regions(study: Study) -> tuple[gpd.GeoDataFrame, layers.RepairReport]:
    """Read, validate, project and repair the study's region layer.

    Parameters
    ----------
    study
        The study.

    Returns
    -------
    tuple of geopandas.GeoDataFrame and RepairReport
        The regions and what the repair changed.
    """
    spec = study.regions
    raw = io.read_layer(spec.path, spec.layer)
    heading = f"region layer {spec.path.name!r}"
    problems = []
    names = io.layer_names(spec.path) if spec.layer is None else []
    # the study's keys, with their values, rather than prepare_regions' parameter names
    for key, what in (("id", "codes"), ("name", "names"), ("country", "ISO alpha-2 country codes")):
        column = getattr(spec, key)
        if column not in raw.columns:
            problems.append(f"[regions] {key} = {shown(column)}: the layer has no such column (columns: "
                            f"{', '.join(map(str, raw.columns))}); set [regions] {key} (--{key}-column) to the "
                            f"column of the regions' {what}")
    if len(raw) == 0:
        problems.append("the layer has no regions (no features); check [regions] path and layer")
    if problems and len(names) > 1:
        problems.append(_layer_hint(spec.path.name, names))
    collect(problems, SchemaError, heading)
    codes = raw[spec.id].astype("string").str.strip()
    raw = raw[~codes.isin(spec.exclude)] if spec.exclude else raw
    try:
        regions = layers.prepare_regions(raw, id_column=spec.id, name_column=spec.name, country_column=spec.country,
                                         level_column=spec.level, crs=study.crs)
    except SchemaError as exc:
        if len(names) > 1:
            raise SchemaError(f"{exc}\n  - {_layer_hint(spec.path.name, names)}") from None
        raise
    countries = sorted(regions["country"].dropna().unique())
    if len(countries) < 2:
        problems.append(f"the region layer holds one country ({', '.join(countries) or 'none'}): a borderland study "
                        f"needs regions on both sides of a border; check [regions] country = {spec.country!r}"
                        + (f" and [regions] exclude = {shown(list(spec.exclude))}" if spec.exclude else ""))
    if study.focus_country and study.focus_country not in countries and countries:
        problems.append(f"[study] focus_country = {study.focus_country!r} is not in the region layer; its countries "
                        f"are {', '.join(countries)}: set focus_country to one of them")
    collect(problems, SchemaError, heading)
    regions, report = layers.repair_coverage(regions, sliver_width_m=spec.sliver_width_m,
                                             max_repair_pct=spec.max_repair_pct)
    # excluded codes the layer never had (a typo, or another code list): a note of the load stage
    unknown = tuple(c for c in spec.exclude if c not in set(codes.dropna()))
    return regions, dataclasses.replace(report, notes=(*report.notes, *(
        [f"[regions] exclude names code(s) the layer does not have: {', '.join(unknown)}"] if unknown else [])))


def _layer_hint(file: str, names: Sequence[str]) -> str:
    return (f"{file} has layers {', '.join(names)} and [regions] layer is not set, so the first ({names[0]}) was "
            "read: set [regions] layer to the one holding the regions")


def load_indicators(study: Study) -> pd.DataFrame:
    """Read the study's indicator table into the tidy layout, checking its values.

    Parameters
    ----------
    study
        The study.

    Returns
    -------
    pandas.DataFrame
        The tidy table (:func:`borderland.indicators.tidy_table`).
    """
    spec = study.indicators
    raw = io.read_table(spec.path, sheet=spec.sheet, encoding=spec.encoding, delimiter=spec.delimiter,
                        skip_rows=spec.skip_rows)
    raw = raw.rename(columns=spec.renames)
    for column, value in spec.constants.items():
        raw[column] = value
    try:
        return indicators.tidy_table(raw, layout=spec.layout, id_column=spec.id, decimal=spec.decimal,
                                     year=spec.year, name=spec.path.name, first_row=spec.skip_rows + 2)
    except SchemaError as exc:
        header = _header_row(raw, spec.id)
        if header is None:
            raise
        skip = header + 1 + spec.skip_rows
        raise SchemaError(f"{exc}\n  - the column names are on row {skip + 1} of {spec.path.name}, under title "
                          f"rows (merged header cells?): set skip_rows = {skip} in [indicators]") from None


def _header_row(raw: pd.DataFrame, id_column: str) -> int | None:
    """Row (0-based, below the read header) holding the real column names, if the code column is found there."""
    if id_column in raw.columns:
        return None
    for k, row in enumerate(raw.head(10).itertuples(index=False)):
        if id_column in {str(v).strip() for v in row}:
            return k
    return None


def _read_countries(study: Study, path: Path, layer: str | None, key: str) -> gpd.GeoDataFrame:
    """A countries layer with its code column checked and named ``country``, projected."""
    frame = io.read_layer(path, layer)
    column = study.study.countries_column
    heading = f"countries layer {path.name!r} ({key})"
    problems = []
    if column not in frame.columns:
        shown_columns = ", ".join(map(str, frame.columns[:30])) + (", ..." if len(frame.columns) > 30 else "")
        iso = [c for c in frame.columns if str(c).upper() in ("ISO_A2", "ISO_A2_EH", "ISO2", "ISO", "CNTR_CODE")]
        hint = f" (e.g. countries_column = {shown(str(iso[0]))})" if iso else ""
        problems.append(f"[study] countries_column = {shown(column)}: the layer has no such column (columns: "
                        f"{shown_columns}); set [study] countries_column to the column of its ISO alpha-2 "
                        f"codes{hint}")
    if frame.crs is None:
        problems.append("it has no CRS; set it (e.g. EPSG:4326) and save it again")
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    kinds = sorted(set(frame.geometry[present].geom_type) - {"Polygon", "MultiPolygon"})
    if kinds:
        problems.append(f"country outlines must be polygons; found {', '.join(kinds)}; give the countries' "
                        "polygons (set the layer if the file has several)")
    if frame.crs is not None and frame.crs.is_geographic and present.any():
        west, south, east, north = frame[present].total_bounds
        if west < -180.5 or east > 180.5 or south < -90.5 or north > 90.5:
            problems.append(f"coordinates reach {west:.0f}..{east:.0f}, {south:.0f}..{north:.0f}, impossible in "
                            f"degrees: the layer says {frame.crs.to_string()} (GDAL assumes EPSG:4326 when a file "
                            "states no CRS) but looks projected; set its real CRS and save it again")
    collect(problems, SchemaError, heading)
    frame = frame.rename(columns={column: "country"}) if column != "country" else frame
    frame = frame[present]
    return layers.to_projected(frame[["country", "geometry"]], study.crs)


def _read_border_layer(study: Study, source: Path) -> gpd.GeoDataFrame:
    spec = study.border
    frame = io.read_layer(source, spec.layer)
    missing = [c for c in (spec.country_a, spec.country_b) if c not in frame.columns]
    if missing:
        raise SchemaError(f"border layer {source.name!r} lacks column(s) {missing} (columns: "
                          f"{', '.join(map(str, frame.columns))}); set [border] country_a and country_b")
    if frame.crs is None:
        raise SchemaError(f"border layer {source.name!r} has no CRS; set it and save it again")
    return layers.to_projected(frame, study.crs)


def raster_coverage(regions: gpd.GeoDataFrame, path: Path) -> RasterCoverage:
    """Which regions a raster does not cover, or covers only in part (reads its header only).

    Parameters
    ----------
    regions
        Projected regions.
    path
        A GeoTIFF.

    Returns
    -------
    RasterCoverage
        Regions outside, and regions partly covered with their covered share.
    """
    import rasterio
    import shapely

    io.require_file(path, "population raster")
    try:
        with rasterio.open(path) as src:
            crs, bounds, count = src.crs, src.bounds, src.count
    except (rasterio.errors.RasterioIOError, OSError) as exc:
        raise InputError(f"cannot read the population raster {str(path)!r} ({exc}); give a GeoTIFF") from None
    problems = []
    if crs is None:
        problems.append("it has no CRS; set one (e.g. gdal_edit.py -a_srs EPSG:4326) and try again")
    if count < 1:
        problems.append("it has no band")
    collect(problems, SchemaError, f"population raster {path.name!r}")
    box = gpd.GeoSeries([shapely.box(*bounds)], crs=crs)
    # densify before reprojecting: a degree box's edges are curves in a projected CRS
    footprint = box.segmentize((bounds[2] - bounds[0]) / 200).to_crs(regions.crs).iloc[0]
    area = regions.geometry.area
    covered = regions.geometry.intersection(footprint).area
    share = (100 * covered / area.where(area > 0)).fillna(0.0)
    outside = tuple(regions.index[share <= 0].astype(str))
    if len(outside) == len(regions):
        raise SchemaError(f"the population raster {path.name!r} covers none of the regions (its bounds "
                          f"{tuple(round(b, 2) for b in bounds)} in {crs}); check its CRS or give another raster")
    partly = share[(share > 0) & (share < 99)].sort_values()
    return RasterCoverage(path=path, outside=outside, partly=partly.rename("covered_pct"))


def load(study: Study) -> Inputs:
    """The load stage: read every input the study names and check it.

    Parameters
    ----------
    study
        The study.

    Returns
    -------
    Inputs
        The inputs, ready for the other stages.

    Raises
    ------
    BorderlandError
        Any input that cannot be read or is not what the study says.
    """
    regions, repair = load_regions(study)
    table = load_indicators(study)
    join = indicators.match_codes(regions, table)
    notes: list[str] = list(study.notes)
    notes += repair.notes
    if not isinstance(study.border.source, Path):
        apart = _countries_apart(regions, study.border.edge_tolerance_m)
        notes += [apart] if apart else []
    countries = None
    if study.study.countries is not None:
        countries = _read_countries(study, study.study.countries, study.study.countries_layer, "[study] countries")
    source = study.border.source
    border_layer = _read_border_layer(study, source) if isinstance(source, Path) else None
    extra = io.read_table(study.gaps.extra_links) if study.gaps.extra_links else None
    published = io.read_table(study.gaps.published) if study.gaps.published else None
    coverage = raster_coverage(regions, study.raster.population) if study.raster.population else None
    if coverage is not None:
        notes += coverage.notes(regions["name"])
    trade_flows = trade_skipped = trade_countries = None
    if study.trade.active:
        from borderland import trade

        trade_flows, trade_skipped = trade.read_trade_flows(indicators=study.trade.indicators or study.indicators.path,
                                                            published=study.trade.published)
        if study.trade.countries is not None:
            trade_countries = _read_countries(study, study.trade.countries, study.trade.countries_layer,
                                              "[trade] countries")
    return Inputs(regions=regions, repair=repair, table=table, join=join, countries=countries,
                  border_layer=border_layer, extra_links=extra, gaps_published=published, raster=coverage,
                  trade_flows=trade_flows, trade_skipped=trade_skipped, trade_countries=trade_countries,
                  notes=tuple(notes))


# -- checks of the other stages (no results computed) ------------------------------------------


def _check_index(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    import difflib

    spec = study.index
    table = inputs.table
    problems = []
    available = sorted(set(table["indicator"].dropna().astype(str)))
    for component in spec.components:
        if not set(component.indicators) & set(available):
            close = difflib.get_close_matches(component.indicators[0], available, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; the table has {', '.join(available[:12])}"
            problems.append(f"[[index.components]] ({component.name}) indicators = {list(component.indicators)}: "
                            f"none is in the indicator table{hint}")
    if problems:
        return problems
    if spec.year is not None and not (table["year"] == spec.year).any():
        years = table["year"].dropna()
        problems.append(f"[index] year = {spec.year}: the table has no value for it; it has "
                        f"{int(years.min())}-{int(years.max())}" if len(years) else "the table has no year")
        return problems
    try:
        year, _ = _index_year(study, inputs)
    except JoinError as exc:
        return [str(exc)]
    found["year"] = year
    matrix, _ = indicators.component_values(table, inputs.regions, spec.indicator_names, year,
                                            rules=spec.year_rules)
    share = matrix.notna().mean(axis=1)
    indexed = int((share >= spec.min_share - 1e-12).sum())
    needed = 3 if spec.weighting == "pca" else 2
    if indexed < needed:
        problems.append(f"only {indexed} region(s) have the index components of {year} (min_share "
                        f"{spec.min_share:g}); the index, its typology and robustness need at least {needed}: lower "
                        "[index] min_share, allow nearby years (year_rule = \"window\"), or add data")
    return problems


def _check_border(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    problems = []
    if study.border.distance_origin == "population" and inputs.raster is not None \
            and len(inputs.raster.outside):
        problems.append(f"[border] distance_origin = \"population\" needs the population raster over every region; "
                        f"it misses {', '.join(inputs.raster.outside[:8])}: choose distance_origin = \"inside_point\" "
                        "or a raster that covers the study")
    layer = inputs.border_layer
    if layer is not None:
        spec = study.border
        codes = set(inputs.regions["country"].dropna())
        pairs = {frozenset((str(a), str(b))) for a, b in zip(layer[spec.country_a], layer[spec.country_b],
                                                               strict=True)}
        if not any(pair <= codes for pair in pairs):
            problems.append(f"border layer {Path(spec.source).name!r} has no line between two of the study's "
                            f"countries ({', '.join(sorted(codes))}); check [border] country_a / country_b")
    return problems


def _countries_apart(regions: gpd.GeoDataFrame, tolerance_m: float) -> str:
    """A note when no region touches a region of another country: where they come closest ("" when some touch).

    The land border is drawn where regions of two countries share an edge; without one, the run
    has no distances to the border, no rings and no cross-border pairs (all left empty, not wrong).
    """
    import shapely

    geoms = regions.geometry.to_numpy()
    countries = regions["country"].to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m) if tolerance_m > 0 else \
        tree.query(geoms, predicate="intersects")
    if (countries[left] != countries[right]).any():
        return ""
    best: tuple[float, int, int] | None = None
    for country in pd.unique(countries):
        mine, others = countries == country, countries != country
        if not others.any():
            continue
        near, far = shapely.STRtree(geoms[others]).query_nearest(geoms[mine], return_distance=True, all_matches=False)
        k = int(np.argmin(far))
        pair = (float(far[k]), int(np.flatnonzero(mine)[near[0][k]]), int(np.flatnonzero(others)[near[1][k]]))
        best = pair if best is None or pair[0] < best[0] else best
    if best is None:
        return ""
    distance, a, b = best
    codes = regions.index.astype(str)
    gap = f"{distance:,.0f} m" if distance < 1000 else f"{distance / 1000:,.1f} km"
    return (f"no region touches a region of another country (the nearest are {codes[a]} ({countries[a]}) and "
            f"{codes[b]} ({countries[b]}), {gap} apart), so the study has no land border: no distances to it, "
            f"no border rings, no cross-border pairs; if the gap lies between two sources, set [border] "
            f"edge_tolerance_m (--tolerance) above {math.ceil(distance):,.0f}, else close it in the layer or give "
            "the border as a line layer ([border] source)")


def _check_gaps(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    problems = []
    if "year" in found:
        try:
            region_population(inputs.table, inputs.regions, year=found["year"],
                              indicator=study.gaps.population_indicator)
        except SchemaError as exc:
            problems.append(f"[gaps] population_indicator = {study.gaps.population_indicator!r}: {exc}")
    links = inputs.extra_links
    if links is not None:
        missing = [c for c in ("region_a", "region_b") if c not in links.columns]
        if missing:
            problems.append(f"[gaps] extra_links table lacks column(s) {missing}; it needs region_a and region_b")
        else:
            # the rules neighbours.neighbour_graph applies to extra links, checked before computing
            a = links["region_a"].astype("string").str.strip()
            b = links["region_b"].astype("string").str.strip()
            codes = set(inputs.regions.index.astype(str))
            unknown = sorted({str(c) for c in pd.concat([a, b]).dropna()} - codes)
            if unknown:
                problems.append(f"[gaps] extra_links names region(s) not in the layer: {', '.join(unknown[:10])}; "
                                "use the codes of the region layer")
            itself = sorted(set(a[(a == b).fillna(False).astype(bool)].astype(str)))
            if itself:
                problems.append(f"[gaps] extra_links links a region to itself: {', '.join(itself[:10])}; "
                                "delete those rows")
            if "kind" in links.columns:
                reserved = sorted({str(k) for k in links["kind"].dropna() if k in neighbours.CONTIGUITY_LINKS})
                if reserved:
                    problems.append(f"[gaps] extra_links kind {', '.join(map(repr, reserved))} is reserved for "
                                    "contiguity; name the link by what it is (ferry, bridge, ...)")
    if inputs.gaps_published is not None:
        try:
            neighbours.published_pair_figures(inputs.gaps_published, indicator=neighbours.PUBLISHED_PAIR_INDICATOR)
        except SchemaError as exc:
            problems.append(f"[gaps] published = {shown(Path(study.gaps.published or '').name)}: {exc}")
    return problems


def _check_trade(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    problems = []
    if study.trade.active and study.trade.year is not None:
        from borderland.trade.indicators import TRADE_MEASURES

        # the rule of trade.trade_indicators: at least one total (the shares and per-capita need turnover)
        have = set(inputs.table["indicator"].dropna().astype(str))
        totals = {name: [ind for ind, _ in TRADE_MEASURES[name]] for name in ("exports", "imports", "turnover",
                                                                              "balance") if name in TRADE_MEASURES}
        if not any(all(ind in have for ind in needed) for needed in totals.values()):
            wanted = sorted({ind for needed in totals.values() for ind in needed})
            problems.append(f"[trade] year = {study.trade.year}: the indicator table has none of the trade totals "
                            f"(indicators {', '.join(wanted)}); add them, or leave [trade] year out")
    return problems


_CHECKS: Final[dict[str, Callable[[Study, Inputs, dict[str, Any]], list[str]]]] = {
    "index": _check_index, "border": _check_border, "gaps": _check_gaps, "trade": _check_trade,
}


def check(study: Study, inputs: Inputs, stages: Sequence[str] = STAGES) -> None:
    """Run the input checks of ``stages`` on loaded inputs, computing no result.

    Parameters
    ----------
    study
        The study.
    inputs
        From :func:`load`.
    stages
        Which stages' checks to run.

    Raises
    ------
    SchemaError
        Every problem found, at once.
    """
    problems: list[str] = []
    found: dict[str, Any] = {}  # what one stage's checks learn and the next ones need (the year)
    for stage in stages:
        if stage in _CHECKS:
            problems += _CHECKS[stage](study, inputs, found)
    collect(problems, SchemaError, f"study {study.title!r}")


@dataclass(frozen=True)
class Validation:
    """What ``borderland validate`` found: the loaded inputs and the year the index would use.

    Attributes
    ----------
    study
        The study checked.
    inputs
        The loaded inputs.
    year
        The index year.
    year_counts
        Regions with every component per candidate year (``None`` when the year is set).
    """

    study: Study
    inputs: Inputs
    year: int
    year_counts: pd.DataFrame | None

    def summary(self) -> str:
        """A few lines for the terminal."""
        regions = self.inputs.regions
        lines = [f"study: {self.study.describe()}",
                 f"regions: {len(regions)} in {regions['country'].nunique()} countries ({self.study.regions.path})",
                 f"indicator rows: {len(self.inputs.table)} ({self.study.indicators.path})",
                 self.inputs.join.summary(), self.inputs.repair.summary()]
        if self.year_counts is not None:
            lines.append("regions with every index component, by year:")
            lines.append(self.year_counts[self.year_counts["total"] > 0].to_string())
        lines.append(f"index year: {self.year}{' (auto)' if self.year_counts is not None else ''}")
        lines += [f"note: {note}" for note in self.inputs.notes]
        lines.append("every input check passed: `borderland run` will not fail on input")
        return "\n".join(lines)


def validate(study: Study | None = None, stages: Sequence[str] = STAGES) -> Validation:
    """The load stage and every stage's input checks: where :func:`run` would fail on input, this fails.

    Parameters
    ----------
    study
        The study; the bundled one when omitted.
    stages
        The stages whose checks to run.

    Returns
    -------
    Validation
        The loaded inputs and the index year.
    """
    study = study or load_study()
    inputs = load(study)
    check(study, inputs, stages)
    year, counts = _index_year(study, inputs)
    return Validation(study=study, inputs=inputs, year=year, year_counts=counts)


# -- computing ---------------------------------------------------------------------------------


def _index_year(study: Study, inputs: Inputs) -> tuple[int, pd.DataFrame | None]:
    spec = study.index
    if spec.year is not None:
        return spec.year, None
    return indicators.choose_year(inputs.table, inputs.regions, spec.indicator_names,
                                  focus_country=study.focus_country, rules=spec.year_rules)


@dataclass(frozen=True)
class IndexStage:
    """The index stage's results.

    Attributes
    ----------
    year
        The indicator year.
    year_counts
        Per candidate year, regions with complete data (focus side, others, total).
    matrix
        Raw component values of the year.
    value_years
        The year each value comes from.
    built
        The index and its normalised scores, weights, imputation flags.
    classes
        The typology.
    coherence
        Correlations and Cronbach's alpha (several components only).
    uncertainty
        The Monte Carlo robustness (when ``[robustness] draws`` > 0).
    """

    year: int
    year_counts: pd.DataFrame
    matrix: pd.DataFrame
    value_years: pd.DataFrame
    built: IndexResult
    classes: pd.Series
    coherence: coherence.CoherenceReport | None
    uncertainty: robustness.UncertaintyResult | None


def _index(study: Study, inputs: Inputs) -> IndexStage:
    spec = study.index
    regions = inputs.regions
    year, counts = _index_year(study, inputs)
    matrix, value_years = indicators.component_values(inputs.table, regions, spec.indicator_names, year,
                                                      rules=spec.year_rules)
    if counts is None:
        complete = matrix.notna().all(axis=1)
        focus = regions["country"].eq(study.focus_country)
        counts = pd.DataFrame({"focus": [int((complete & focus).sum())], "others": [int((complete & ~focus).sum())]},
                              index=pd.Index([year], name="year"))
        counts["total"] = counts["focus"] + counts["others"]
    built = build_index(matrix, spec, countries=regions["country"], focus_country=study.focus_country)
    classes = typology.classify(built.index, study.typology)
    report = None
    if len(spec.components) > 1:  # coherence is a property of several components
        report = coherence.coherence_report(built.scores.where(~built.imputed.to_numpy()), index=built.index)
    stability = None
    if study.robustness.draws > 0:
        r = study.robustness
        stability = robustness.uncertainty(
            matrix, spec, typology=study.typology, countries=regions["country"], focus_country=study.focus_country,
            draws=r.draws, concentration=r.concentration, normalisations=r.normalisations or None,
            aggregations=r.aggregations or None, stable_at=r.stable_at, rng=r.seed,
        )
    return IndexStage(year=year, year_counts=counts, matrix=matrix, value_years=value_years, built=built,
                      classes=classes, coherence=report, uncertainty=stability)


@dataclass(frozen=True)
class BorderStage:
    """The border stage's results.

    Attributes
    ----------
    edges
        Shared edges of adjacent regions, with lengths.
    graph
        The neighbour graph, built once and used by every step that needs adjacency.
    lines
        Land border lines, one row per border segment.
    distance
        Distance of each region to the border (km).
    rings
        Border order (1 touches a land border).
    bands
        Distance bands clipped to each country (``None`` without a land border).
    exposure
        Population near the border, the border-region flag and the population-weighted distance.
    profile
        The index by distance band and side.
    """

    edges: gpd.GeoDataFrame
    graph: neighbours.NeighbourGraph
    lines: gpd.GeoDataFrame
    distance: pd.Series
    rings: pd.Series
    bands: gpd.GeoDataFrame | None
    exposure: pd.DataFrame
    profile: pd.DataFrame | None


def _border(study: Study, inputs: Inputs, index: IndexStage) -> BorderStage:
    regions = inputs.regions
    spec = study.border
    edges = layers.shared_edges(regions, tolerance_m=spec.edge_tolerance_m)
    if inputs.border_layer is None:
        lines = border.border_lines_from_edges(regions, edges, focus_country=study.focus_country)
    else:
        lines = border.border_lines_from_layer(inputs.border_layer, country_a=spec.country_a,
                                               country_b=spec.country_b, focus_country=study.focus_country)
    # the rook edges are reused; queen contiguity needs the point contacts too
    graph = neighbours.neighbour_graph(regions, edges=edges if study.gaps.contiguity == "rook" else None,
                                       contiguity=study.gaps.contiguity,  # type: ignore[arg-type]
                                       tolerance_m=spec.edge_tolerance_m, extra_links=inputs.extra_links)
    raster = study.raster.population
    distance = border.distance_to_border(regions, lines, origin=spec.distance_origin,  # type: ignore[arg-type]
                                         population=raster)
    rings = border.border_order(regions, edges, lines, touch_tolerance_m=spec.touch_tolerance_m)
    bands = border.distance_bands(regions, lines, bands_km=spec.bands_km) if len(lines) else None
    exposure = pd.DataFrame(index=regions.index)
    profile_table = None
    if len(lines):
        from borderland import raster as raster_module

        if raster is not None:
            near = raster_module.population_near_border(regions, lines, raster, within_km=study.raster.within_km)
            flag = raster_module.border_region(regions, lines, raster, within_km=study.raster.within_km,
                                               threshold_pct=study.raster.threshold_pct,
                                               touch_tolerance_m=spec.touch_tolerance_m, near=near)
            weighted = raster_module.population_weighted_distance(regions, lines, raster)
            exposure = pd.concat([near, flag, weighted.rename("population_border_distance_km")], axis=1)
        profile_table = raster_module.profile(regions.assign(index=index.built.index), "index", lines, raster,
                                              bands_km=(*spec.bands_km, float("inf")),
                                              focus_country=study.focus_country)
    return BorderStage(edges=edges, graph=graph, lines=lines, distance=distance, rings=rings, bands=bands,
                       exposure=exposure, profile=profile_table)


@dataclass(frozen=True)
class GapsStage:
    """The gaps stage's results.

    Attributes
    ----------
    pairs
        One row per adjacent pair: shared line and length, both values, the gaps, and (with
        robustness) the probability that each gap keeps its sign.
    segments
        Summaries per border segment.
    deviation
        Local deviation from all, same-country and cross-border neighbours; the border effect.
    lisa
        Local Moran's I per region.
    moran
        Global Moran's I (``None`` with too few regions).
    population
        Each region's population (``population_persons``), its year and its source
        (:func:`borderland.population.region_population`): the one population of the run.
    theil
        The Theil decomposition (``None`` without population weights).
    notes
        What was left out and why.
    """

    pairs: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    deviation: pd.DataFrame
    lisa: pd.DataFrame
    moran: spatial.MoranResult | None
    population: pd.DataFrame
    theil: pd.DataFrame | None
    notes: tuple[str, ...] = ()


def _gaps(study: Study, inputs: Inputs, index: IndexStage, borders: BorderStage) -> GapsStage:
    regions = inputs.regions
    values = index.built.index
    graph = borders.graph
    pairs = neighbours.pair_table(regions, graph, values, focus_country=study.focus_country)
    if index.uncertainty is not None:
        stability = robustness.pair_stability(index.uncertainty, pairs[pairs["cross_border"]])
        pairs = pd.concat([pairs.drop(columns="geometry"), stability.reindex(pairs.index), pairs[["geometry"]]],
                          axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    segments = neighbours.segment_summary(pairs, published=inputs.gaps_published)
    deviation = neighbours.local_deviation(regions, graph, values)
    notes: list[str] = []
    moran: spatial.MoranResult | None
    try:
        lisa = spatial.local_moran(regions, graph, values, permutations=study.gaps.permutations, rng=study.gaps.seed)
        moran = spatial.morans_i(regions, graph, values, permutations=study.gaps.permutations, rng=study.gaps.seed)
    except SchemaError as exc:  # too few regions with a value: the rest of the study still stands
        lisa, moran = pd.DataFrame(index=regions.index), None
        notes.append(f"Moran's I and LISA left out: {exc}")
    people = region_population(inputs.table, regions, year=index.year, indicator=study.gaps.population_indicator)
    theil = None
    if people["population_persons"].notna().any():
        side = regions["country"].eq(study.focus_country).map({True: study.focus_country or "", False: "others"})
        theil = spatial.theil_decomposition(
            values, population=people["population_persons"],
            partitions={"country": regions["country"], "border_order": borders.rings, "side": side},
        )
    else:
        notes.append(f"Theil decomposition left out: no region has {study.gaps.population_indicator!r} "
                     f"([gaps] population_indicator; {people.attrs['rule']})")
    return GapsStage(pairs=pairs, segments=segments, deviation=deviation, lisa=lisa, moran=moran,
                     population=people, theil=theil, notes=tuple(notes))


@dataclass(frozen=True)
class TradeStage:
    """The trade stage's results.

    Attributes
    ----------
    flows
        Flow lines, each traceable to its source row.
    report
        How the flows were matched (and which were not).
    pairs, segments
        Trade beside the gap per cross-border pair and per border segment.
    association
        The rank association of trade with the gap, with its caveats.
    columns
        The regions' trade indicators (when ``[trade] year`` is set).
    """

    flows: gpd.GeoDataFrame
    report: Any
    pairs: pd.DataFrame
    segments: pd.DataFrame
    association: Any
    columns: pd.DataFrame | None


def _trade(study: Study, inputs: Inputs, gaps: GapsStage) -> TradeStage:
    from borderland import trade

    regions = inputs.regions
    countries = inputs.trade_countries if inputs.trade_countries is not None else inputs.countries
    if inputs.trade_flows is None:
        raise BorderlandError("the trade stage needs the flows the load stage reads: set [trade] published")
    flows, report = trade.match_flows(inputs.trade_flows, regions, countries=countries,
                                      focus_country=study.focus_country, skipped=inputs.trade_skipped or ())
    lines = trade.flow_lines(flows, regions, countries=countries)
    divide = trade.trade_divide(gaps.pairs, flows, flow_type=study.trade.flow_type, rng=0)
    columns = None
    if study.trade.year is not None:
        columns = trade.trade_indicators(inputs.table, regions, year=study.trade.year, population=gaps.population)
    return TradeStage(flows=lines, report=report, pairs=divide.pairs, segments=divide.segments,
                      association=divide.association, columns=columns)


# -- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyResult:
    """What a run produced: every stage's results, and the regions frame assembled from them.

    Attributes
    ----------
    study
        The study run.
    inputs
        The load stage's inputs.
    regions
        One row per region: inputs, index components (raw values of ``year``), ``index``,
        ``typology``, class probabilities, ``border_distance_km``, ``border_order``,
        population near the border, local deviation, LISA, trade indicators.
    index_stage, border_stage, gaps_stage, trade_stage
        Each stage's results (``None`` for a stage not run).
    notes
        What a user should know that is not an error.
    timings
        Seconds spent in each stage.
    """

    study: Study
    inputs: Inputs
    regions: gpd.GeoDataFrame
    index_stage: IndexStage | None = None
    border_stage: BorderStage | None = None
    gaps_stage: GapsStage | None = None
    trade_stage: TradeStage | None = None
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    # the stages' results under the names the README's Python API uses

    @property
    def year(self) -> int:
        """The indicator year."""
        return self._index.year

    @property
    def year_counts(self) -> pd.DataFrame:
        """Per candidate year, regions with complete data."""
        return self._index.year_counts

    @property
    def join(self) -> indicators.JoinReport:
        """How the indicator codes met the region codes."""
        return self.inputs.join

    @property
    def repair(self) -> layers.RepairReport:
        """What the geometry repair changed."""
        return self.inputs.repair

    @property
    def countries(self) -> gpd.GeoDataFrame | None:
        """Country outlines (projected)."""
        return self.inputs.countries

    @property
    def index_result(self) -> IndexResult:
        """The index with its normalised scores, weights and imputation flags."""
        return self._index.built

    @property
    def coherence(self) -> coherence.CoherenceReport | None:
        """Correlations of the components and Cronbach's alpha."""
        return self._index.coherence

    @property
    def uncertainty(self) -> robustness.UncertaintyResult | None:
        """The Monte Carlo robustness."""
        return self._index.uncertainty

    @property
    def border_lines(self) -> gpd.GeoDataFrame:
        """Land border lines, one row per segment."""
        return self._border.lines

    @property
    def bands(self) -> gpd.GeoDataFrame | None:
        """Distance bands along the border."""
        return self._border.bands

    @property
    def profile(self) -> pd.DataFrame | None:
        """The index by distance band and side."""
        return self._border.profile

    @property
    def graph(self) -> neighbours.NeighbourGraph:
        """The neighbour graph."""
        return self._border.graph

    @property
    def pairs(self) -> gpd.GeoDataFrame:
        """Adjacent pairs with their gaps."""
        return self._gaps.pairs

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """Summaries per border segment."""
        return self._gaps.segments

    @property
    def moran(self) -> spatial.MoranResult | None:
        """Global Moran's I of the index."""
        return self._gaps.moran

    @property
    def theil(self) -> pd.DataFrame | None:
        """The Theil decomposition."""
        return self._gaps.theil

    @property
    def flows(self) -> gpd.GeoDataFrame | None:
        """Trade flow lines."""
        return self.trade_stage.flows if self.trade_stage else None

    @property
    def flow_report(self) -> Any:
        """How the trade flows were matched."""
        return self.trade_stage.report if self.trade_stage else None

    @property
    def trade_pairs(self) -> pd.DataFrame | None:
        """Trade beside the gap per pair."""
        return self.trade_stage.pairs if self.trade_stage else None

    @property
    def trade_segments(self) -> pd.DataFrame | None:
        """Trade beside the gap per segment."""
        return self.trade_stage.segments if self.trade_stage else None

    @property
    def trade_association(self) -> Any:
        """The association of trade with the gap."""
        return self.trade_stage.association if self.trade_stage else None

    @property
    def _index(self) -> IndexStage:
        if self.index_stage is None:
            raise BorderlandError("the index stage was not run")
        return self.index_stage

    @property
    def _border(self) -> BorderStage:
        if self.border_stage is None:
            raise BorderlandError("the border stage was not run")
        return self.border_stage

    @property
    def _gaps(self) -> GapsStage:
        if self.gaps_stage is None:
            raise BorderlandError("the gaps stage was not run")
        return self.gaps_stage

    def stage_times(self) -> str:
        """Seconds per stage, for ``borderland -v``."""
        return "time per stage: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.timings.items())

    def index_summary(self, top: int = 3) -> str:
        """Leaders and laggards on each side, with their class probabilities when measured."""
        r = self.regions.dropna(subset=["index"])
        focus = self.study.focus_country
        labels = self.study.typology.labels
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
                    probs = " / ".join(f"{row[f'p_{c}']:.2f}" for c in labels if f"p_{c}" in row)
                    extra = (f", rank {row['rank_median']:.0f} ({row['rank_p05']:.0f}-{row['rank_p95']:.0f}), "
                             f"P({' / '.join(labels)}) = {probs}")
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
        lines.append(f"distance to the border ({self.study.border.distance_origin}): median "
                     f"{r['border_distance_km'].median():.0f} km, max {r['border_distance_km'].max():.0f} km")
        share = next((c for c in r.columns if c.startswith("population_within") and c.endswith("_pct")), None)
        total = next((c for c in r.columns if c.startswith("population_within") and not c.endswith("_pct")), None)
        if share and total:
            within, threshold = self.study.raster.within_km, self.study.raster.threshold_pct
            lines.append(f"people within {within:g} km of the border: {r[total].sum():,.0f} "
                         f"({100 * r[total].sum() / r['population'].sum():.1f} % of the study's raster population)")
            if "border_region" in r.columns:
                lines.append(f"border regions (Eurostat-style, touching or > {threshold:g} % of people "
                             f"within {within:g} km): {int(r['border_region'].fillna(False).sum())}")
            lines.append("largest shares near the border: " + ", ".join(
                f"{r.loc[c, 'name']} {r.loc[c, share]:.0f} %" for c in r[share].nlargest(5).index))
        if self.profile is not None:
            lines.append("index by distance band and side (population-weighted):")
            lines.append(self.profile.round(3).to_string())
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def gaps_summary(self) -> str:
        """Segments, spatial autocorrelation and inequality decomposition."""
        lines = [self.graph.summary()]
        seg = self.segments.drop(columns="geometry").set_index("segment")
        columns = ["pairs", "pairs_with_gap", "shared_border_km", "mean_gap_length_weighted", "max_abs_gap",
                   "gap_share_pct", "expert_rating_of_crossborder_interaction"]
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
        labels = list(self.study.typology.labels)
        classes = r["typology"].value_counts().reindex(labels, fill_value=0)
        counts = self.year_counts
        focus = self.study.focus_country
        on_focus, on_others = (int(n) for n in counts.loc[self.year, ["focus", "others"]].to_numpy())
        lines = [
            f"{self.study.title}: {len(r)} regions in {r['country'].nunique()} countries",
            f"indicator year {self.year} (regions with every component: "
            + (f"{on_focus} on the {focus} side, {on_others} on the other side)" if focus else f"{on_focus})"),
            f"index computed for {int(r['index'].notna().sum())} regions; no data for {int(r['index'].isna().sum())}",
            "typology: " + ", ".join(f"{label} {n}" for label, n in classes.items()),
        ]
        if self.gaps_stage is not None:
            cross = self.pairs[self.pairs["cross_border"]]
            with_gap = cross.dropna(subset=["gap"]).nlargest(top, "abs_gap")
            lines.append(f"cross-border pairs: {len(cross)} on {cross['segment'].nunique()} border segments "
                         f"({', '.join(sorted(cross['segment'].unique()))}); with an index gap on both sides: "
                         f"{int(cross['gap'].notna().sum())}")
        if self.coherence is not None:
            lines.append(self.coherence.summary())
        if self.uncertainty is not None:
            lines.append(self.uncertainty.summary())
        if self.gaps_stage is not None:
            if self.moran is not None:
                lines.append(f"spatial autocorrelation of the index: {self.moran.summary()}")
            if self.segments["gap_share_pct"].notna().any():
                top_segments = self.segments.dropna(subset=["gap_share_pct"]).nlargest(3, "gap_share_pct")
                lines.append("border segments with the largest share of the cross-border gap: " + ", ".join(
                    f"{row.segment} {row.gap_share_pct:.0f} % (mean gap {row.mean_gap_length_weighted:+.3f}, "
                    "weighted by shared length)"
                    for row in top_segments.itertuples()))
            if len(with_gap):
                lines.append("largest cross-border gaps (index, a - b):")
                lines += [f"  {p.name_a} ({p.region_a}) - {p.name_b} ({p.region_b}): {p.gap:+.3f}, "
                          f"{p.shared_border_km:.0f} km shared" for p in with_gap.itertuples()]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _assemble(inputs: Inputs, index: IndexStage | None, borders: BorderStage | None, gaps: GapsStage | None,
              trade: TradeStage | None) -> gpd.GeoDataFrame:
    """The regions frame: every per-region result beside the inputs (only the pipeline does this)."""
    regions = inputs.regions
    parts: list[pd.DataFrame | pd.Series] = [regions.drop(columns="geometry")]
    if index is not None:
        built = index.built
        parts += [index.matrix, index.value_years, built.imputed, built.share, built.index, index.classes]
        if index.uncertainty is not None:
            parts.append(index.uncertainty.regions)
    if borders is not None:
        parts += [borders.distance, borders.rings, borders.exposure]
    if gaps is not None:
        parts += [gaps.population, gaps.deviation, gaps.lisa]
    if trade is not None and trade.columns is not None:
        parts.append(trade.columns)
    parts.append(regions[["geometry"]])
    frame = pd.concat(parts, axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    if index is not None:
        frame.attrs["index_year"] = index.year
    if gaps is not None:
        frame.attrs["population"] = dict(gaps.population.attrs)
    return frame


def run(
    study: Study | None = None,
    *,
    stages: Sequence[str] = STAGES,
    on_stage: Callable[[str], None] | None = None,
    inputs: Inputs | None = None,
) -> StudyResult:
    """Run a study: load, check every stage asked for, then compute them.

    Parameters
    ----------
    study
        From :func:`borderland.study.load_study`; the bundled default study when omitted.
    stages
        The stages to run (a prefix of :data:`STAGES` is enough: a stage's prerequisites run
        with it). The trade stage runs only when the study has ``[trade] published``.
    on_stage
        Called with each stage's name as it starts (progress bars).
    inputs
        Inputs loaded already (by :func:`validate`), to skip reading them again.

    Returns
    -------
    StudyResult
        The results of every stage run.

    Examples
    --------
    >>> result = run(stages=("load", "index"))
    >>> result.year, result.regions["index"].notna().sum()
    (2021, np.int64(35))
    """
    study = study or load_study()
    wanted = _with_prerequisites(stages)
    if not study.trade.active:
        wanted = [s for s in wanted if s != "trade"]
    step = on_stage or (lambda name: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = now - started
        started = now

    step("load")
    inputs = inputs or load(study)
    check(study, inputs, wanted)
    lap("load")
    index_stage = border_stage = gaps_stage = trade_stage = None
    if "index" in wanted:
        step("index")
        index_stage = _index(study, inputs)
        lap("index")
    if "border" in wanted and index_stage is not None:
        step("border")
        border_stage = _border(study, inputs, index_stage)
        lap("border")
    if "gaps" in wanted and index_stage is not None and border_stage is not None:
        step("gaps")
        gaps_stage = _gaps(study, inputs, index_stage, border_stage)
        lap("gaps")
    if "trade" in wanted and gaps_stage is not None:
        step("trade")
        trade_stage = _trade(study, inputs, gaps_stage)
        lap("trade")
    notes = list(inputs.notes) + (list(gaps_stage.notes) if gaps_stage else [])
    return StudyResult(study=study, inputs=inputs, regions=_assemble(inputs, index_stage, border_stage, gaps_stage,
                                                                      trade_stage),
                       index_stage=index_stage, border_stage=border_stage, gaps_stage=gaps_stage,
                       trade_stage=trade_stage, notes=tuple(notes), timings=timings)


def _with_prerequisites(stages: Sequence[str]) -> list[str]:
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise SchemaError(f"unknown stage(s) {unknown}; stages are {list(STAGES)}")
    last = max((STAGES.index(s) for s in stages), default=0)
    return list(STAGES[: last + 1])

