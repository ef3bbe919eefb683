"""The load stage: every input a study names, read and checked once, as one :class:`Inputs`.

:func:`load` reads the region layer (validated, projected, repaired; with ``[regions]
max_border_distance_km``, the regions within it only), the indicator table, the countries, the
border lines, the gaps' tables, the trade flows and the population raster's coverage (its header
only); every check (:mod:`borderland.pipeline.checks`) and every later stage works from what it
returns, so nothing is read twice.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland import border, indicators, io, layers
from borderland.compute import SERIAL, Executor
from borderland.errors import InputError, SchemaError, collect, extended
from borderland.specs import printable, shown
from borderland.study import Study

__all__ = ["Inputs", "RasterCoverage", "load", "load_indicators", "load_regions", "raster_coverage"]


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

    def names() -> list[str]:  # for the messages only: listing the layers costs a second open of the file
        return io.layer_names(spec.path) if spec.layer is None else []

    # the study's keys, with their values, rather than prepare_regions' parameter names
    for key, what in (("id", "codes"), ("name", "names"), ("country", "ISO alpha-2 country codes")):
        column = getattr(spec, key)
        if column not in raw.columns:
            columns = ", ".join(printable(str(c)) for c in raw.columns)
            problems.append(f"[regions] {key} = {shown(column)}: the layer has no such column (columns: {columns}); "
                            f"set [regions] {key} (--{key}-column) to the column of the regions' {what}")
    if len(raw) == 0:
        problems.append("the layer has no regions (no features); check [regions] path and layer")
    if problems and len(layer_names := names()) > 1:
        problems.append(_layer_hint(spec.path.name, layer_names))
    collect(problems, SchemaError, heading)
    codes = raw[spec.id].astype("string").str.strip()
    raw = raw[~codes.isin(spec.exclude)] if spec.exclude else raw
    try:
        regions = layers.prepare_regions(raw, id_column=spec.id, name_column=spec.name, country_column=spec.country,
                                         level_column=spec.level, crs=study.crs, file=spec.path.name)
    except SchemaError as exc:
        if len(layer_names := names()) > 1:
            raise extended(exc, _layer_hint(spec.path.name, layer_names)) from None
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
    _check_renamed_columns(raw, spec.renames, spec.path.name)
    raw = raw.rename(columns=spec.renames)
    try:
        return indicators.tidy_table(raw, layout=spec.layout, id_column=spec.id, decimal=spec.decimal,
                                     year=spec.year, name=spec.path.name, first_row=spec.skip_rows + 2,
                                     constants=spec.constants,
                                     read_as={tidy: column for column, tidy in spec.renames.items()})
    except SchemaError as exc:
        header = _header_row(raw, spec.id)
        if header is None:
            raise
        skip = header + 1 + spec.skip_rows
        raise extended(exc, f"the column names are on row {skip + 1} of {spec.path.name}, under title rows (merged "
                            f"header cells?): set skip_rows = {skip} in [indicators]") from None


def _check_renamed_columns(raw: pd.DataFrame, renames: dict[str, str], file: str) -> None:
    """Every column ``indicator_column`` / ``year_column`` / ``value_column`` names is in the table.

    Checked on the table as read, so that the message names the key, the value typed and the
    file's own column names (after renaming, a missing ``value`` would be all there is to say).
    """
    import difflib

    columns = [str(c) for c in raw.columns]
    problems = []
    for column, tidy in renames.items():
        if column in columns:
            continue
        close = difflib.get_close_matches(column, columns, n=1)
        fix = f"did you mean {printable(close[0])!r}?" if close else "set it to one of them"
        problems.append(f"[indicators] {tidy}_column = {printable(column)!r}: the table has no such column "
                        f"(columns: {', '.join(map(printable, columns[:20]))}{', ...' if len(columns) > 20 else ''}); "
                        f"{fix}")
    collect(problems, SchemaError, f"indicator table {file!r}")


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
