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
from borderland.comparability import ComparabilityResult, compare_definitions, definition_problems, definition_table
from borderland.compute import SERIAL, Executor
from borderland.errors import BorderlandError, InputError, JoinError, SchemaError, collect, extended
from borderland.index import IndexResult, build_index, percentage_problems, reference_problems
from borderland.population import region_population
from borderland.specs import printable, shown
from borderland.study import Study, load_study

__all__ = ["STAGES", "BorderStage", "GapsStage", "IndexStage", "Inputs", "StudyResult", "TradeStage", "check",
           "load", "run", "statistics_table", "validate"]

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
            listed = ", ".join(f"{printable(str(names.get(c, c)))} ({printable(c)})" for c in self.outside[:12])
            more = f" and {len(self.outside) - 12} more" if len(self.outside) > 12 else ""
            found.append(f"the population raster does not reach {len(self.outside)} region(s): {listed}{more}; "
                         "they get no population figures")
        if len(self.partly):
            listed = ", ".join(f"{printable(str(names.get(c, c)))} ({printable(str(c))}) {pct:.0f} %"
                               for c, pct in self.partly.head(12).items())
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
    edges
        The shared edges of the regions (built once, here, for the scope and for every later stage).
    lines, outline_km
        The land border lines the scope was measured from, and each region's outline distance to
        them (km): the border stage's own when no region was left out (``None`` otherwise).
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
    trade_skipped: tuple[str, ...] = ()
    trade_countries: gpd.GeoDataFrame | None = None
    edges: gpd.GeoDataFrame | None = None
    notes: tuple[str, ...] = ()
    lines: gpd.GeoDataFrame | None = None
    outline_km: pd.Series | None = None


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
            columns = ", ".join(printable(str(c)) for c in raw.columns)
            problems.append(f"[regions] {key} = {shown(column)}: the layer has no such column (columns: {columns}); "
                            f"set [regions] {key} (--{key}-column) to the column of the regions' {what}")
    if len(raw) == 0:
        problems.append("the layer has no regions (no features); check [regions] path and layer")
    if problems and len(names) > 1:
        problems.append(_layer_hint(spec.path.name, names))
    collect(problems, SchemaError, heading)
    codes = raw[spec.id].astype("string").str.strip()
    raw = raw[~codes.isin(spec.exclude)] if spec.exclude else raw
    try:
        regions = layers.prepare_regions(raw, id_column=spec.id, name_column=spec.name, country_column=spec.country,
                                         level_column=spec.level, crs=study.crs, file=spec.path.name)
    except SchemaError as exc:
        if len(names) > 1:
            raise extended(exc, _layer_hint(spec.path.name, names)) from None
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
        [f"[regions] exclude names code(s) the layer does not have: {', '.join(map(printable, unknown))}"]
        if unknown else [])))


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
    try:
        return indicators.tidy_table(raw, layout=spec.layout, id_column=spec.id, decimal=spec.decimal,
                                     year=spec.year, name=spec.path.name, first_row=spec.skip_rows + 2,
                                     constants=spec.constants)
    except SchemaError as exc:
        header = _header_row(raw, spec.id)
        if header is None:
            raise
        skip = header + 1 + spec.skip_rows
        raise extended(exc, f"the column names are on row {skip + 1} of {spec.path.name}, under title rows (merged "
                            f"header cells?): set skip_rows = {skip} in [indicators]") from None


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
    if frame.crs is not None and frame.crs.is_geographic:
        # longitudes past 180 are degrees still (PROJ wraps them): only coordinates no degree can be
        problems += layers.degree_problems(frame.geometry, np.asarray(frame.index.astype(str)), frame.crs.to_string(),
                                           edges=False)
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
    footprint = layers.reproject(box.segmentize((bounds[2] - bounds[0]) / 200).to_numpy(), crs, regions.crs)[0]
    area = regions.geometry.area
    # the overlay only for the regions the footprint's outline crosses; those wholly inside are covered
    shapely.prepare(footprint)
    inside = shapely.contains_properly(footprint, regions.geometry.to_numpy())
    covered = area.copy()
    covered[~inside] = regions.geometry[~inside].intersection(footprint).area
    share = (100 * covered / area.where(area > 0)).fillna(0.0)
    outside = tuple(regions.index[share <= 0].astype(str))
    if len(outside) == len(regions):
        raise SchemaError(f"the population raster {path.name!r} covers none of the regions (its bounds "
                          f"{tuple(round(b, 2) for b in bounds)} in {crs}); check its CRS or give another raster")
    partly = share[(share > 0) & (share < 99)].sort_values()
    return RasterCoverage(path=path, outside=outside, partly=partly.rename("covered_pct"))


def _in_scope(
    study: Study, regions: gpd.GeoDataFrame, border_layer: gpd.GeoDataFrame | None, executor: Executor = SERIAL
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str], tuple[gpd.GeoDataFrame, pd.Series] | None]:
    """The regions within ``[regions] max_border_distance_km`` of a land border, their edges, notes, lines.

    The lines come with each region's outline distance to them, when no region was left out
    (the border stage's own then).

    A borderland study normalises and classes its regions together: a region thousands of km
    from any land border (an outermost region, an Arctic island) stretches the scale and joins
    the classes without being in a borderland. The distance is the region's outline's (its
    nearest point), so a region is left out only when all of it lies beyond the limit.
    """
    edges = layers.shared_edges(regions, tolerance_m=study.border.edge_tolerance_m, executor=executor)
    if border_layer is None:
        lines = border.border_lines_from_edges(regions, edges, focus_country=study.focus_country)
    else:
        lines = border.border_lines_from_layer(border_layer, country_a=study.border.country_a,
                                               country_b=study.border.country_b, focus_country=study.focus_country)
    notes: list[str] = []
    if not len(lines):
        return regions, edges, notes, (lines, pd.Series(np.nan, index=regions.index, name="border_distance_km"))
    far_km = border.distance_to_border(regions, lines, origin="outline")
    measured: tuple[gpd.GeoDataFrame, pd.Series] | None = (lines, far_km)
    limit = study.regions.max_border_distance_km
    if limit is not None:
        out = far_km > limit
        if out.all():
            raise SchemaError(f"[regions] max_border_distance_km = {limit:g} leaves out every region; the nearest "
                              f"lies {far_km.min():,.0f} km from a land border")
        if out.any():
            listed = ", ".join(f"{code} ({km:,.0f} km)" for code, km in far_km[out].sort_values().items())
            notes.append(f"left out, farther than {limit:g} km from any land border between the study's countries "
                         f"([regions] max_border_distance_km): {listed}")
            kept = regions.index[~out]
            regions = regions.loc[kept]
            measured = None  # the border stage draws the lines of the regions kept
            edges = edges[edges["region_a"].isin(kept) & edges["region_b"].isin(kept)].reset_index(drop=True)
            far_km = far_km.loc[kept]
    warn = study.regions.warn_border_distance_km
    beyond = far_km[far_km > warn].sort_values(ascending=False)
    if len(beyond):
        listed = ", ".join(f"{code} {km:,.0f} km" for code, km in beyond.head(8).items())
        more = f" and {len(beyond) - 8} more" if len(beyond) > 8 else ""
        notes.append(f"{len(beyond)} region(s) lie wholly farther than {warn:g} km from any land border between "
                     f"the study's countries ({listed}{more}); they are normalised and classed with the rest: "
                     "leave them out with [regions] max_border_distance_km if they are not part of the borderland")
    return regions, edges, notes, measured


def load(study: Study, *, executor: Executor = SERIAL) -> Inputs:
    """The load stage: read every input the study names and check it.

    Parameters
    ----------
    study
        The study.
    executor
        Where the shared edges are found (:mod:`borderland.compute`).

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
    notes: list[str] = list(study.notes)
    notes += repair.notes
    source = study.border.source
    border_layer = _read_border_layer(study, source) if isinstance(source, Path) else None
    regions, edges, scope_notes, measured = _in_scope(study, regions, border_layer, executor)
    notes += scope_notes
    country = regions["country"]
    touching = (country.reindex(edges["region_a"]).to_numpy() != country.reindex(edges["region_b"]).to_numpy())
    if not isinstance(source, Path) and not touching.any():
        # no shared edge between two countries: say where they come closest (the only search needed)
        apart = _countries_apart(regions, study.border.edge_tolerance_m)
        notes += [apart] if apart else []
    table = load_indicators(study)
    join = indicators.match_codes(regions, table)
    countries = None
    if study.study.countries is not None:
        countries = _read_countries(study, study.study.countries, study.study.countries_layer, "[study] countries")
    extra = io.read_table(study.gaps.extra_links) if study.gaps.extra_links else None
    published = io.read_table(study.gaps.published) if study.gaps.published else None
    coverage = raster_coverage(regions, study.raster.population) if study.raster.population else None
    if coverage is not None:
        notes += coverage.notes(regions["name"])
    trade_flows = trade_countries = None
    trade_skipped: tuple[str, ...] = ()
    if study.trade.active:
        from borderland import trade

        trade_flows, trade_skipped = trade.read_trade_flows(indicators=study.trade.indicators or study.indicators.path,
                                                            published=study.trade.published)
        if study.trade.countries is not None:
            trade_countries = _read_countries(study, study.trade.countries, study.trade.countries_layer,
                                              "[trade] countries")
    return Inputs(regions=regions, repair=repair, table=table, join=join, countries=countries, edges=edges,
                  border_layer=border_layer, extra_links=extra, gaps_published=published, raster=coverage,
                  trade_flows=trade_flows, trade_skipped=trade_skipped, trade_countries=trade_countries,
                  notes=tuple(notes), lines=measured[0] if measured else None,
                  outline_km=measured[1] if measured else None)


# -- checks of the other stages (no results computed) ------------------------------------------


def _check_index(study: Study, inputs: Inputs, found: dict[str, Any]) -> list[str]:
    import difflib

    spec = study.index
    table = inputs.table
    problems = []
    available = sorted(set(table["indicator"].dropna().astype(str)))
    shown_available = [printable(name) for name in available]
    for component in spec.components:
        if not set(component.indicators) & set(available):
            close = difflib.get_close_matches(component.indicators[0], available, n=3)
            hint = (f"; did you mean {', '.join(map(printable, close))}?" if close
                    else f"; the table has {', '.join(shown_available[:12])}")
            problems.append(f"[[index.components]] ({component.name}) indicators = {list(component.indicators)}: "
                            f"none is in the indicator table{hint}")
    if problems:
        return problems
    # a percentage beyond 0-100 is no value of any year: refused before a year is chosen
    problems += percentage_problems(table, spec, inputs.regions.index, file=study.indicators.path.name)
    if spec.year is not None and not (table["year"] == spec.year).any():
        years = table["year"].dropna()
        problems.append(f"[index] year = {spec.year}: the table has no value for it; it has "
                        f"{int(years.min())}-{int(years.max())}" if len(years) else "the table has no year")
        return problems
    try:
        year, counts = _index_year(study, inputs)
    except JoinError as exc:
        return [*problems, str(exc)]
    found["year"], found["year_counts"] = year, counts
    # the index stage takes these values as they are (the same year and rules): not looked up twice
    found["traced"] = indicators.traced_component_values(table, inputs.regions, spec.indicator_names, year,
                                                         rules=spec.year_rules)
    matrix = found["traced"].values
    share = matrix.notna().mean(axis=1)
    indexed = int((share >= spec.min_share - 1e-12).sum())
    needed = 3 if spec.weighting == "pca" else 2
    if indexed < needed:
        problems.append(f"only {indexed} region(s) have the index components of {year} (min_share "
                        f"{spec.min_share:g}); the index, its typology and robustness need at least {needed}: lower "
                        "[index] min_share, allow nearby years (year_rule = \"window\"), or add data")
    # normalise_over's reference set needs a value of every component: checked here, not when the index is built
    problems += reference_problems(matrix, spec, countries=inputs.regions["country"], focus_country=study.focus_country)
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
    codes, countries = regions.index.astype(str).map(printable), [printable(str(c)) for c in countries]
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
            found["population"] = region_population(inputs.table, inputs.regions, year=found["year"],
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
    problems += definition_problems(study.index, inputs.table)
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


def check(study: Study, inputs: Inputs, stages: Sequence[str] = STAGES) -> dict[str, Any]:
    """Run the input checks of ``stages`` on loaded inputs, computing no result.

    Parameters
    ----------
    study
        The study.
    inputs
        From :func:`load`.
    stages
        Which stages' checks to run.

    Returns
    -------
    dict
        What the checks found that the computing reuses (``year`` and ``year_counts`` when the
        index stage is checked).

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
    return found


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

    def summary(self, command: str = "run") -> str:
        """A few lines for the terminal; the last says that ``borderland <command>`` will not fail on input."""
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
        lines.append(f"every input check passed: `borderland {command}` will not fail on input")
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
    found = check(study, inputs, stages)
    year, counts = (found["year"], found["year_counts"]) if "year" in found else _index_year(study, inputs)
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
    value_indicators
        The indicator name each value comes from (``<component>_indicator``), for the
        comparability of definitions across the border.
    """

    year: int
    year_counts: pd.DataFrame
    matrix: pd.DataFrame
    value_years: pd.DataFrame
    built: IndexResult
    classes: pd.Series
    coherence: coherence.CoherenceReport | None
    uncertainty: robustness.UncertaintyResult | None
    value_indicators: pd.DataFrame | None = None


def _index(study: Study, inputs: Inputs, found: dict[str, Any], executor: Executor) -> IndexStage:
    spec = study.index
    regions = inputs.regions
    year, counts = (found["year"], found["year_counts"]) if "year" in found else _index_year(study, inputs)
    traced = found.get("traced") or indicators.traced_component_values(inputs.table, regions, spec.indicator_names,
                                                                       year, rules=spec.year_rules)
    matrix, value_years = traced.values, traced.years
    if counts is None:
        complete = matrix.notna().all(axis=1)
        focus = regions["country"].eq(study.focus_country)
        counts = pd.DataFrame({"focus": [int((complete & focus).sum())], "others": [int((complete & ~focus).sum())]},
                              index=pd.Index([year], name="year"))
        counts["total"] = counts["focus"] + counts["others"]
    built = build_index(matrix, spec, countries=regions["country"], focus_country=study.focus_country,
                        years=value_years)
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
            aggregations=r.aggregations or None, stable_at=r.stable_at, rng=r.seed, executor=executor,
        )
    return IndexStage(year=year, year_counts=counts, matrix=matrix, value_years=value_years, built=built,
                      classes=classes, coherence=report, uncertainty=stability, value_indicators=traced.indicators)


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


def _border(study: Study, inputs: Inputs, index: IndexStage, executor: Executor = SERIAL) -> BorderStage:
    regions = inputs.regions
    spec = study.border
    edges = inputs.edges if inputs.edges is not None else layers.shared_edges(
        regions, tolerance_m=spec.edge_tolerance_m, executor=executor)
    if inputs.lines is not None:  # drawn by the load stage from the same regions and edges
        lines = inputs.lines
    elif inputs.border_layer is None:
        lines = border.border_lines_from_edges(regions, edges, focus_country=study.focus_country)
    else:
        lines = border.border_lines_from_layer(inputs.border_layer, country_a=spec.country_a,
                                               country_b=spec.country_b, focus_country=study.focus_country)
    # the one neighbour graph of the run: rings, pairs, deviations, Moran's I, LISA and Theil groups use it;
    # the rook edges are reused, queen contiguity needs the point contacts too
    graph = neighbours.neighbour_graph(regions, edges=edges if study.gaps.contiguity == "rook" else None,
                                       contiguity=study.gaps.contiguity,  # type: ignore[arg-type]
                                       tolerance_m=spec.edge_tolerance_m, extra_links=inputs.extra_links,
                                       executor=executor)
    raster = study.raster.population
    outline_km = inputs.outline_km if inputs.lines is lines else None
    touching = border.touches_border(regions, lines, touch_tolerance_m=spec.touch_tolerance_m, outline_km=outline_km)
    rings = graph.border_order(touching).reindex(regions.index)
    profile_bands = (*spec.bands_km, float("inf"))
    # the buffers of the border, built once for the bands, the people near the border and the profile
    zones = (border.border_zones(lines, spec.bands_km, profile_bands,
                                 *([(0.0, study.raster.within_km)] if raster is not None else []))
             if len(lines) else None)
    bands = border.distance_bands(regions, lines, bands_km=spec.bands_km, zones=zones) if len(lines) else None
    exposure_columns: list[pd.DataFrame | pd.Series] = []
    weighted_km = planar = None
    profile_table = None
    if len(lines):
        from borderland import exposure

        if raster is not None:
            within, threshold = study.raster.within_km, study.raster.threshold_pct
            near = exposure.population_near_border(regions, lines, raster, within_km=within, zones=zones,
                                                   executor=executor)
            flag = exposure.border_region(regions, lines, raster, within_km=within, threshold_pct=threshold,
                                          touch_tolerance_m=spec.touch_tolerance_m, near=near, touching=touching)
            weighted_km = exposure.population_weighted_distance(regions, lines, raster,
                                                                method=spec.distance_method,  # type: ignore[arg-type]
                                                                executor=executor)
            exposure_columns = [near, flag, weighted_km.rename("population_border_distance_km")]
        # the draws' index computed again a block at a time: never regions x draws at once
        profile_table = exposure.profile(regions.assign(index=index.built.index), "index", lines, raster,
                                         bands_km=profile_bands, focus_country=study.focus_country, zones=zones,
                                         draws=index.uncertainty, executor=executor)
        if spec.distance_method == "planar":
            # the planar distances' error against the geodesic ones, from each region's point
            point = spec.distance_origin if spec.distance_origin in ("inside_point", "centroid") else "inside_point"
            planar = border.distance_to_border(regions, lines, origin=point)  # type: ignore[arg-type]
            exposure_columns.append(border.planar_error_pct(regions, lines, origin=point,  # type: ignore[arg-type]
                                                            planar=planar))
            planar = planar if point == spec.distance_origin else None  # the regions' distance too
    if spec.distance_origin == "population":
        # the study model requires a raster for this origin; without a border there is no distance
        distance = (weighted_km.rename("border_distance_km") if weighted_km is not None
                    else pd.Series(float("nan"), index=regions.index, name="border_distance_km"))
    elif planar is not None:
        distance = planar
    else:
        distance = border.distance_to_border(regions, lines, origin=spec.distance_origin,  # type: ignore[arg-type]
                                             method=spec.distance_method)  # type: ignore[arg-type]
    exposure_frame = pd.concat(exposure_columns, axis=1) if exposure_columns else pd.DataFrame(index=regions.index)
    return BorderStage(edges=edges, graph=graph, lines=lines, distance=distance, rings=rings, bands=bands,
                       exposure=exposure_frame, profile=profile_table)


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
        Local Moran's I per region (``attrs``: the multiple-test correction, its level and the
        p-value threshold it gives; :func:`borderland.spatial.local_moran`).
    moran
        Global Moran's I (``None`` with too few regions).
    population
        Each region's population (``population_persons``), its year and its source
        (:func:`borderland.population.region_population`): the one population of the run.
    theil
        The population-weighted Theil decomposition as a long table
        (:func:`borderland.spatial.theil_table`): each raw index component over the indexed
        regions, and the index itself only when it is on a ratio scale
        (:func:`borderland.spatial.ratio_scale_problem`); ``None`` without population weights.
    notes
        What was left out and why.
    comparability
        Which pairs compare values of different definitions, and the gaps, segment means and
        typology with and without those components (:mod:`borderland.comparability`).
    """

    pairs: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    deviation: pd.DataFrame
    lisa: pd.DataFrame
    moran: spatial.MoranResult | None
    population: pd.DataFrame
    theil: pd.DataFrame | None
    notes: tuple[str, ...] = ()
    comparability: ComparabilityResult | None = None


def _gaps(study: Study, inputs: Inputs, index: IndexStage, borders: BorderStage,
          executor: Executor = SERIAL, found: dict[str, Any] | None = None) -> GapsStage:
    regions = inputs.regions
    values = index.built.index
    graph = borders.graph
    pairs = neighbours.pair_table(regions, graph, values, focus_country=study.focus_country)
    if index.uncertainty is not None:
        stability = robustness.pair_stability(index.uncertainty, pairs[pairs["cross_border"]])
        pairs = pd.concat([pairs.drop(columns="geometry"), stability.reindex(pairs.index), pairs[["geometry"]]],
                          axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    # comparable definitions across the border (issue #16): the flags on the pairs, the gaps without each component
    compared = None
    if index.value_indicators is not None:
        compared = compare_definitions(
            regions, pairs=pairs, matrix=index.matrix, sources=index.value_indicators, spec=study.index,
            typology=study.typology, definitions=definition_table(study.index, inputs.table),
            focus_country=study.focus_country)
        pairs = pd.concat([pairs.drop(columns="geometry"), compared.pairs, pairs[["geometry"]]],
                          axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    segments = neighbours.segment_summary(pairs, published=inputs.gaps_published)
    deviation = neighbours.local_deviation(regions, graph, values)
    notes: list[str] = []
    moran: spatial.MoranResult | None
    try:
        lisa = spatial.local_moran(regions, graph, values, permutations=study.gaps.permutations, rng=study.gaps.seed,
                                   significance=study.gaps.significance, correction=study.gaps.lisa_correction,
                                   executor=executor)
        moran = spatial.morans_i(regions, graph, values, permutations=study.gaps.permutations, rng=study.gaps.seed,
                                 executor=executor)
    except SchemaError as exc:  # too few regions with a value: the rest of the study still stands
        lisa, moran = pd.DataFrame(index=regions.index), None
        notes.append(f"Moran's I and LISA left out: {exc}")
    people = (found or {}).get("population")  # the checks' own, of the same year
    if people is None:
        people = region_population(inputs.table, regions, year=index.year, indicator=study.gaps.population_indicator)
    theil = None
    if people["population_persons"].notna().any():
        side = regions["country"].eq(study.focus_country).map({True: study.focus_country or "", False: "others"})
        partitions = {"country": regions["country"], "border_order": borders.rings, "side": side}
        theil, theil_notes = _theil(study, index, people["population_persons"], partitions)
        notes += theil_notes
    else:
        notes.append(f"Theil decomposition left out: no region has {study.gaps.population_indicator!r} "
                     f"([gaps] population_indicator; {people.attrs['rule']})")
    return GapsStage(pairs=pairs, segments=segments, deviation=deviation, lisa=lisa, moran=moran,
                     population=people, theil=theil, notes=tuple(notes), comparability=compared)


def _theil(study: Study, index: IndexStage, population: pd.Series,
           partitions: dict[str, pd.Series]) -> tuple[pd.DataFrame | None, list[str]]:
    """Theil of each raw component over the indexed regions, and of the index when it has a natural zero."""
    indexed = index.built.index.notna()
    units = {c.name: c.unit for c in study.index.components}
    tables: list[pd.DataFrame] = []
    notes: list[str] = []
    for name in index.matrix.columns:
        # the indexed regions: every measure describes the same regions as the index
        try:
            tables.append(spatial.theil_table(index.matrix.loc[indexed, [name]], population=population,
                                              partitions=partitions, units=units))
        except SchemaError as exc:
            notes.append(f"Theil decomposition of {name} left out: {exc}")
    problem = spatial.ratio_scale_problem(study.index)
    if problem is None:
        tables.append(spatial.index_theil_table(index.built.index, study.index, population=population,
                                                partitions=partitions))
    else:
        notes.append(f"Theil decomposition of the index left out: {problem}; Theil needs values with a natural "
                     "zero, so the theil table decomposes the raw components instead (docs/methods.md)")
    return (pd.concat(tables, ignore_index=True) if tables else None), notes


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
        """The Theil decomposition: one row per measure, partition and part (between, within)."""
        return self._gaps.theil

    @property
    def statistics(self) -> pd.DataFrame:
        """Every global statistic of the run, one row each (:func:`statistics_table`)."""
        return statistics_table(self)

    @property
    def comparability(self) -> ComparabilityResult | None:
        """Comparable definitions across the border (``None`` when the gaps stage was not run)."""
        return self.gaps_stage.comparability if self.gaps_stage is not None else None

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

    def report(self, lang: str = "en") -> str:
        """The study's report as one self-contained HTML page (what ``borderland report`` writes).

        Parameters
        ----------
        lang
            ``"en"`` or ``"ru"``.

        Returns
        -------
        str
            The page (:func:`borderland.report.report_html`).
        """
        # the report renders a result, so it sits below the pipeline; imported here, never at import time
        from borderland.report import report_html

        return report_html(self, lang=lang)

    def _repr_html_(self) -> str | None:
        """The report in a notebook: the page's body (its ``<div>``, styles inside), in English.

        ``None`` (the plain representation) for a result of some stages only: a report needs them all.
        """
        if self.gaps_stage is None:
            return None
        from borderland.report import report_html

        return report_html(self, fragment=True)

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
                lines.append(f"  {printable(str(row['name']))} ({printable(str(code))}): {row['index']:.3f} "
                             f"{row['typology']}{extra}")
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
            f"{printable(str(row.segment))} {row.length_km:.0f} km" for row in self.border_lines.itertuples())]
        rings = r["border_order"].value_counts(dropna=False).sort_index()
        lines.append("border rings: " + ", ".join(
            f"{'none' if pd.isna(k) else int(k)}: {n}" for k, n in rings.items()))
        lines.append(f"distance to the border ({self.study.border.distance_origin}): median "
                     f"{r['border_distance_km'].median():.0f} km, max {r['border_distance_km'].max():.0f} km")
        share = next((c for c in r.columns if c.startswith("population_within") and c.endswith("_pct")), None)
        total = next((c for c in r.columns if c.startswith("population_within") and not c.endswith("_pct")), None)
        if share and total:
            within, threshold = self.study.raster.within_km, self.study.raster.threshold_pct
            share_pct = 100 * r[total].sum() / r["population_raster"].sum()
            lines.append(f"people within {within:g} km of the border: {r[total].sum():,.0f} "
                         f"({share_pct:.1f} % of the study's raster population)")
            if "border_region" in r.columns:
                lines.append(f"border regions (Eurostat-style, touching or > {threshold:g} % of people "
                             f"within {within:g} km): {int(r['border_region'].fillna(False).sum())}")
            lines.append("largest shares near the border: " + ", ".join(
                f"{printable(str(r.loc[c, 'name']))} {r.loc[c, share]:.0f} %" for c in r[share].nlargest(5).index))
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
        lisa = _lisa_line(self._gaps.lisa)
        if lisa:
            lines.append(lisa)
        lines += [f"note: {note}" for note in self.notes]
        if self.theil is not None:
            lines.append("Theil decomposition (population-weighted; raw components, and the index on a ratio scale "
                         "only):")
            lines.append(self.theil.round(4).to_string())
        return "\n".join(lines)

    def summary(self, top: int = 5) -> str:
        """A short text summary for the terminal."""
        r = self.regions
        labels = list(self.study.typology.labels)
        classes = r["typology"].value_counts().reindex(labels, fill_value=0)
        counts = self.year_counts
        focus_side, other_side = (int(n) for n in counts.loc[self.year, ["focus", "others"]].to_numpy())
        focus = self.study.focus_country
        lines = [
            f"{self.study.title}: {len(r)} regions in {r['country'].nunique()} countries",
            f"indicator year {self.year} (regions with every component: "
            + (f"{focus_side} on the {focus} side, {other_side} on the other side)" if focus else f"{focus_side})"),
            f"index computed for {int(r['index'].notna().sum())} regions; no data for {int(r['index'].isna().sum())}",
            "typology: " + ", ".join(f"{label} {n}" for label, n in classes.items()),
        ]
        if self.gaps_stage is not None:
            cross = self.pairs[self.pairs["cross_border"]]
            with_gap = cross.dropna(subset=["gap"]).nlargest(top, "abs_gap")
            lines.append(f"cross-border pairs: {len(cross)} on {cross['segment'].nunique()} border segments "
                         f"({', '.join(map(printable, sorted(cross['segment'].unique())))}); with an index gap on "
                         "both sides: "
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
                    f"{printable(str(row.segment))} {row.gap_share_pct:.0f} % (mean gap "
                    f"{row.mean_gap_length_weighted:+.3f}, "
                    "weighted by shared length)"
                    for row in top_segments.itertuples()))
            if len(with_gap):
                lines.append("largest cross-border gaps (index, a - b):")
                lines += [f"  {printable(str(p.name_a))} ({printable(str(p.region_a))}) - {printable(str(p.name_b))} "
                          f"({printable(str(p.region_b))}): {p.gap:+.3f}, {p.shared_border_km:.0f} km shared"
                          for p in with_gap.itertuples()]
            lisa = _lisa_line(self._gaps.lisa)
            if lisa:
                lines.append(lisa)
        table = self.statistics
        if len(table):
            lines.append("statistics (the GeoPackage's statistics table, with each one's detail):")
            columns = (table[c].tolist() for c in ("statistic", "variable", "value", "unit"))
            lines += [f"  {statistic}{f' [{variable}]' if variable else ''}: {_number(value)}"
                      + (f" {unit}" if unit else "") for statistic, variable, value, unit in zip(*columns, strict=True)]
        if self.comparability is not None:
            lines.append(self.comparability.summary())
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


# -- the statistics table ----------------------------------------------------------------------


def _number(value: float) -> str:
    """A statistic for the terminal: whole numbers (counts, seeds, years) without decimals."""
    return "n/a" if pd.isna(value) else f"{value:.0f}" if float(value).is_integer() else f"{value:.4g}"


def _lisa_line(lisa: pd.DataFrame) -> str | None:
    """The LISA clusters in words, naming the multiple-test correction."""
    clusters = [c for c in lisa.columns if str(c).endswith("_lisa_cluster")]
    if not clusters or "correction" not in lisa.attrs:
        return None
    column = clusters[0]
    stem = str(column).removesuffix("_lisa_cluster")
    a = lisa.attrs
    found = lisa[column].dropna()
    found = found[found != "not significant"].value_counts()
    raw = int((lisa[f"{stem}_lisa_p"] <= a["significance"]).sum())
    level = "q" if a["correction"] == "fdr" else "p"
    return (f"LISA clusters of the {stem} ({level} <= {a['significance']:g}, "
            f"{spatial.CORRECTION_NAMES[a['correction']]} over {a['tests']} regions; p <= {a['threshold_p']:.4g}): "
            f"{int(found.sum())}" + (f" ({', '.join(f'{k} {n}' for k, n in found.items())})" if len(found) else "")
            + (f"; {raw} at p <= {a['significance']:g} without a correction" if a["correction"] != "none" else ""))


_STATISTICS_COLUMNS: Final = ("statistic", "variable", "value", "unit", "detail")


def statistics_table(result: StudyResult) -> pd.DataFrame:
    """Every global statistic of a run, one row each, assembled from the stages that ran.

    Parameters
    ----------
    result
        From :func:`run` (any prefix of the stages).

    Returns
    -------
    pandas.DataFrame
        Columns ``statistic``, ``variable`` (the measure it is about, where it applies),
        ``value`` (a number), ``unit`` and ``detail`` (how it was computed). Rows, where the
        stage ran: the index year, its rule and the regions complete on each side that year,
        each component's year rule, the regions indexed; Cronbach's alpha; the Monte Carlo's
        draws, seed, concentration and largest standard errors (class probabilities, and
        pair sign probabilities); Moran's I with its expectation, variances, z-values,
        p-values, permutations and seed; the LISA level, correction, p-value threshold, tests
        and clusters; the Theil total of each measure.

    Examples
    --------
    >>> table = statistics_table(run(stages=("load", "index")))
    >>> table.set_index("statistic").loc["index_year", "value"]
    np.float64(2021.0)
    """
    rows: list[tuple[str, str, float, str, str]] = []

    def add(statistic: str, value: Any, *, variable: str = "", unit: str = "", detail: str = "") -> None:
        rows.append((statistic, variable, float(value) if value is not None else float("nan"), unit, detail))

    study = result.study
    if result.index_stage is not None:
        stage = result.index_stage
        spec = study.index
        rule = (f"set: [index] year = {spec.year}" if spec.year is not None else
                "auto: the latest year in which the most regions on both sides of the border have every index "
                "component (a year with none on either side is not eligible)")
        add("index_year", stage.year, unit="year", detail=rule)
        counts = stage.year_counts.loc[stage.year]
        focus = study.focus_country
        sides = ([(focus, "focus", f"the {focus} side"), ("others", "others", f"the side beyond {focus}")] if focus
                 else [("all", "total", "the study")])
        for label, column, where in sides:
            add("regions_complete", counts[column], variable=label, unit="regions",
                detail=f"regions of {where} with every index component in {stage.year}")
        for component in spec.components:
            year_rule = component.year_rule
            add("component_year", year_rule.year if year_rule.year is not None else stage.year,
                variable=component.name, unit="year", detail=f"year rule {year_rule.kind}: "
                                                             f"{year_rule.describe(stage.year)}")
        add("regions_indexed", int(stage.built.index.notna().sum()), variable="index", unit="regions",
            detail=f"regions with at least {spec.min_share:g} of the components ([index] min_share)")
        if stage.coherence is not None:
            report = stage.coherence
            add("cronbach_alpha", report.cronbach_alpha, variable="index", detail=(
                f"{len(report.correlations)} components over {report.n_regions} regions ({report.method}); "
                "0.7 is the usual bar"))
        if stage.uncertainty is not None:
            mc = stage.uncertainty
            robust = study.robustness
            scenarios = ", ".join(f"{s.normalisation}/{s.aggregation} {s.draws}" for s in mc.scenarios.itertuples())
            add("mc_draws", mc.draws, unit="draws", detail=f"Monte Carlo draws per scenario: {scenarios}")
            add("mc_seed", robust.seed, unit="seed", detail="[robustness] seed")
            add("mc_concentration", robust.concentration,
                detail="Dirichlet concentration of the drawn weights around the chosen ones")
            add("mc_se_class_probability", mc.regions["p_se"].max(), unit="probability",
                detail="largest Monte Carlo standard error of a region's class probability, sqrt(p (1 - p) / draws)")
            if result.gaps_stage is not None and "p_gap_sign_kept_se" in result.gaps_stage.pairs.columns:
                add("mc_se_pair_sign", result.gaps_stage.pairs["p_gap_sign_kept_se"].max(), unit="probability",
                    detail="largest Monte Carlo standard error of a cross-border pair's probability that its gap keeps "
                           "its sign")
    if result.gaps_stage is not None:
        gaps = result.gaps_stage
        moran = gaps.moran
        variable = "index"
        if moran is not None:
            weights = f"row-standardised {study.gaps.contiguity} contiguity weights"
            add("moran_i", moran.i, variable=variable,
                detail=f"global Moran's I, {weights}, {moran.n} regions ({len(moran.left_out)} left out)")
            add("moran_expected_i", moran.expected_i, variable=variable, detail="E[I] = -1 / (n - 1)")
            add("moran_variance_norm", moran.variance_norm, variable=variable, detail="Var[I] under normality")
            add("moran_z_norm", moran.z_norm, variable=variable, detail="z under normality")
            add("moran_p_norm", moran.p_norm, variable=variable, unit="p-value",
                detail="two-sided, under normality")
            add("moran_variance_rand", moran.variance_rand, variable=variable, detail="Var[I] under randomisation")
            add("moran_z_rand", moran.z_rand, variable=variable, detail="z under randomisation")
            add("moran_p_rand", moran.p_rand, variable=variable, unit="p-value",
                detail="two-sided, under randomisation")
            add("moran_p_sim", moran.p_sim, variable=variable, unit="p-value",
                detail="pseudo p-value, (k + 1) / (permutations + 1), k permuted I at least as extreme")
            add("moran_z_sim", moran.z_sim, variable=variable, detail="I in standard deviations of the permuted I")
            add("moran_permutations", moran.permutations, variable=variable, unit="permutations",
                detail="[gaps] permutations")
            add("moran_seed", study.gaps.seed, variable=variable, unit="seed", detail="[gaps] seed")
            add("moran_regions", moran.n, variable=variable, unit="regions",
                detail="regions with a value and a neighbour with one")
        a = gaps.lisa.attrs
        if "correction" in a:
            named = spatial.CORRECTION_NAMES[a["correction"]]
            p_column = next(c for c in gaps.lisa.columns if str(c).endswith("_lisa_p"))
            cluster_column = next(c for c in gaps.lisa.columns if str(c).endswith("_lisa_cluster"))
            clusters = gaps.lisa[cluster_column].dropna()
            found = clusters[clusters != "not significant"].value_counts()
            add("lisa_significance", a["significance"], variable=variable,
                detail=f"[gaps] significance: the largest {'q-value' if a['correction'] == 'fdr' else 'pseudo p-value'}"
                       f" of a cluster; [gaps] lisa_correction = \"{a['correction']}\" ({named})")
            add("lisa_threshold_p", a["threshold_p"], variable=variable, unit="p-value",
                detail=f"pseudo p-value at or below which a region is a cluster ({named})")
            add("lisa_tests", a["tests"], variable=variable, unit="regions", detail="local tests made")
            add("lisa_clusters", int(found.sum()), variable=variable, unit="regions",
                detail=", ".join(f"{k} {n}" for k, n in found.items()) or "none")
            add("lisa_clusters_uncorrected", int((gaps.lisa[p_column] <= a["significance"]).sum()), variable=variable,
                unit="regions", detail=f"pseudo p <= {a['significance']:g} without a correction, for comparison")
            add("lisa_permutations", a["permutations"], variable=variable, unit="permutations",
                detail="conditional permutations per region ([gaps] permutations)")
            add("lisa_seed", study.gaps.seed, variable=variable, unit="seed", detail="[gaps] seed")
        if gaps.theil is not None:
            people = gaps.population.attrs
            totals = gaps.theil.drop_duplicates("measure")
            for measure, unit, total, regions in zip(totals["measure"].tolist(), totals["measure_unit"].tolist(),
                                                     totals["theil_total"].tolist(), totals["regions"].tolist(),
                                                     strict=True):
                add("theil_total", total, variable=str(measure), detail=(
                    f"population-weighted Theil T of {unit or measure} over {regions} regions (weights: "
                    f"{people.get('indicator', 'population')}, {people.get('rule', '')}); its parts in the theil "
                    "table"))
    return pd.DataFrame(rows, columns=list(_STATISTICS_COLUMNS))


def _assemble(inputs: Inputs, index: IndexStage | None, borders: BorderStage | None, gaps: GapsStage | None,
              trade: TradeStage | None) -> gpd.GeoDataFrame:
    """The regions frame: every per-region result beside the inputs (only the pipeline does this)."""
    regions = inputs.regions
    parts: list[pd.DataFrame | pd.Series] = [regions.drop(columns="geometry")]
    if index is not None:
        built = index.built
        parts += [index.matrix, index.value_years, built.imputed, built.beyond, built.share, built.index,
                  index.classes]
        if index.value_indicators is not None:
            parts.append(index.value_indicators)
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
    executor: Executor = SERIAL,
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
    executor
        Where the heavy steps run (:mod:`borderland.compute`): this process by default; the
        commands open the one ``[compute]`` asks for.

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
    inputs = inputs or load(study, executor=executor)
    found = check(study, inputs, wanted)
    lap("load")
    index_stage = border_stage = gaps_stage = trade_stage = None
    if "index" in wanted:
        step("index")
        index_stage = _index(study, inputs, found, executor)
        lap("index")
    if "border" in wanted and index_stage is not None:
        step("border")
        border_stage = _border(study, inputs, index_stage, executor)
        lap("border")
    if "gaps" in wanted and index_stage is not None and border_stage is not None:
        step("gaps")
        gaps_stage = _gaps(study, inputs, index_stage, border_stage, executor, found)
        lap("gaps")
    if "trade" in wanted and gaps_stage is not None:
        step("trade")
        trade_stage = _trade(study, inputs, gaps_stage)
        lap("trade")
    notes = list(inputs.notes) + (list(index_stage.built.notes) if index_stage else []) \
        + (list(gaps_stage.notes) if gaps_stage else [])
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

