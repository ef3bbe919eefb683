"""Border measures that need a population raster: who lives near the border, and how far from it.

This module sits above :mod:`borderland.border` (vector border lines, distances, bands) and
:mod:`borderland.raster` (generic zonal statistics and distances on a grid) and joins them:

- :func:`population_near_border`: each region's raster population, the part living within
  ``X`` km of a land border (zonal sums over the region cut by an exact buffer of the border
  lines) and its share;
- :func:`border_region`: the Eurostat-style border-region flag (touches a land border, or most of
  its people live near one);
- :func:`profile`: a column (the index) by distance band from the border and side of it,
  weighted by the people living in each band (or by area without a raster), with the regions
  counted (those the raster misses too) and, from Monte Carlo draws, a 5-95 % interval;
- :func:`population_weighted_distance`: the mean distance of each region's people from the
  nearest land border.

The raster population is named ``population_raster``: it is the raster's count (GPW v4 for 2000
in the bundled study) over the part of the region the raster covers, not the population of the
indicator tables (:mod:`borderland.population`).

The buffers of the border that these functions cut regions with can be built once
(:func:`borderland.border.border_zones`) and passed in as ``zones``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Final, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.border import BorderZones, band_pieces, geodesic_line_distance, touches_border
from borderland.compute import SERIAL, Executor
from borderland.errors import SchemaError
from borderland.layers import require_projected
from borderland.raster import (
    CHUNK_CELLS,
    RasterLike,
    footprint,
    line_distance,
    open_raster,
    zonal_stats,
    zonal_weighted_mean,
)
from borderland.robustness import UncertaintyResult

#: Column of :func:`population_near_border` holding the raster's population of each region.
POPULATION_RASTER: Final = "population_raster"

#: Default distance bands (km) of :func:`profile`: the last is open-ended.
PROFILE_BANDS_KM: Final[tuple[float, ...]] = (0.0, 25.0, 50.0, 100.0, 200.0, math.inf)

#: Draws of :func:`profile` put on the values' scale and averaged by band at a time: a few arrays
#: of pieces x this many float64 (25 MB at 50,000 pieces), never pieces x every draw.
_DRAW_CHUNK: Final = 64


def near_column(within_km: float) -> str:
    """Name of the column of people within ``within_km`` of the border (``population_within_25km``).

    Examples
    --------
    >>> near_column(25), near_column(12.5)
    ('population_within_25km', 'population_within_12.5km')
    """
    return f"population_within_{within_km:g}km"


def population_weighted_distance(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    population: RasterLike,
    *,
    band: int = 1,
    densify_m: float = 1000.0,
    chunk_cells: int = CHUNK_CELLS,
    method: Literal["planar", "geodesic"] = "planar",
    executor: Executor = SERIAL,
) -> pd.Series:
    """Mean distance (km) of each region's population from the nearest land border.

    Each cell's people are taken to live at the cell centre, or, for a cell the outline
    crosses, at the centroid of the part inside the region (with the covered fraction of the
    cell's count); distances are exact, in the borders' projected CRS
    (:func:`borderland.raster.zonal_weighted_mean` of :func:`borderland.raster.line_distance`).

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    population
        Population-count raster (path or open dataset), in any CRS.
    band
        Band to read.
    densify_m
        Longest edge before reprojecting regions to the raster's CRS.
    chunk_cells
        Cells read at once.
    method
        ``"planar"`` (in the borders' CRS) or ``"geodesic"`` (each place's distance on the
        ellipsoid, :func:`borderland.border.geodesic_line_distance`; slower).
    executor
        Where the zonal means run (:mod:`borderland.compute`): chunks of regions as tasks.

    Returns
    -------
    pandas.Series
        ``border_distance_km``, indexed like ``regions``; ``NaN`` for a region without people
        in the raster, and everywhere when there is no border.

    Examples
    --------
    >>> from borderland import border, io, layers, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> lines = border.border_lines_from_edges(regions, layers.shared_edges(regions))
    >>> gpw = io.bundled("population_gpw_v4_2000_15min.tif")
    >>> km = population_weighted_distance(regions.loc[["RU-PSK", "EE00"]], lines, gpw)
    >>> bool((km > 0).all()), km.name
    (True, 'border_distance_km')
    """
    require_projected(regions, borders)
    if shapely.union_all(borders.geometry.to_numpy()).is_empty:
        return pd.Series(np.nan, index=regions.index, name="border_distance_km")
    if method not in ("planar", "geodesic"):
        raise SchemaError(f"unknown distance method {method!r}; choose 'planar' or 'geodesic'")
    distance = line_distance(borders) if method == "planar" else geodesic_line_distance(borders)
    metres = zonal_weighted_mean(regions, population, distance, crs=borders.crs, band=band,
                                 densify_m=densify_m, chunk_cells=chunk_cells, executor=executor)
    return (metres / 1000.0).rename("border_distance_km")


def population_near_border(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    population: RasterLike,
    *,
    within_km: float = 25.0,
    band: int = 1,
    densify_m: float = 1000.0,
    chunk_cells: int = CHUNK_CELLS,
    zones: BorderZones | None = None,
    executor: Executor = SERIAL,
) -> pd.DataFrame:
    """Each region's raster population, the part living within ``within_km`` of a land border, its share.

    The near part is the region cut by a buffer of the border lines (exact), and both totals
    are zonal sums with partial cells counted by their covered fraction
    (:func:`borderland.raster.zonal_stats`). That spreads a cell's people evenly over it: on a
    coast, where a cell's people all live on its land, a region gets only its share of the cell's
    area, so coastal regions come out low on a coarse grid (as with exactextract); a finer grid
    shrinks the effect.

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    population
        Population-count raster (path or open dataset), in any CRS.
    within_km
        Distance from the border, in km.
    band
        Band to read.
    densify_m
        Longest edge before reprojecting to the raster's CRS.
    chunk_cells
        Cells read at once.
    zones
        The border's buffers built once (:func:`borderland.border.border_zones`, with the
        band ``(0, within_km)``); built now when omitted.
    executor
        Where the zonal sums run (:mod:`borderland.compute`): chunks of regions as tasks.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``: ``population_raster`` (the raster's population of the part of
        the region the raster covers; ``NaN`` where it covers none),
        ``population_within_25km`` (with the distance given), ``population_within_25km_pct`` (of
        ``population_raster``) and ``raster_coverage_pct``, the share of the region's area
        inside the raster's extent (below 100 the totals cover only part of the region).

    Examples
    --------
    >>> from borderland import border, io, layers, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> lines = border.border_lines_from_edges(regions, layers.shared_edges(regions))
    >>> gpw = io.bundled("population_gpw_v4_2000_15min.tif")
    >>> near = population_near_border(regions.loc[["RU-KGD"]], lines, gpw)
    >>> list(near.columns)
    ['population_raster', 'population_within_25km', 'population_within_25km_pct', 'raster_coverage_pct']
    >>> round(float(near.loc["RU-KGD", "population_within_25km_pct"]))
    51
    """
    require_projected(regions, borders)
    if not within_km > 0:
        raise SchemaError(f"within_km must be positive, got {within_km}")
    geoms = regions.geometry.to_numpy()
    _, pieces = band_pieces(geoms, borders, (0.0, within_km), zones=zones)
    near = near_column(within_km)
    both = gpd.GeoSeries(np.concatenate([geoms, pieces[:, 0]]), crs=regions.crs)
    with open_raster(population) as src:
        totals = zonal_stats(both, src, stats=["sum", "count"], band=band, densify_m=densify_m,
                             chunk_cells=chunk_cells, executor=executor)
        extent = footprint(src, regions.crs)
    n = len(regions)
    total, count = totals["sum"].to_numpy(), totals["count"].to_numpy()
    people = np.where(count[:n] > 0, total[:n], np.nan)
    close = np.where(np.isnan(people), np.nan, total[n:])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(people > 0, 100.0 * close / people, np.nan)
        coverage = 100.0 * _area_inside(geoms, extent) / shapely.area(geoms)
    return pd.DataFrame({POPULATION_RASTER: people, near: close, f"{near}_pct": share,
                         "raster_coverage_pct": coverage}, index=regions.index)


def _area_inside(geoms: np.ndarray, extent: shapely.Geometry) -> np.ndarray:
    """Area of each geometry inside ``extent`` (the overlay only for those its outline crosses)."""
    shapely.prepare(extent)
    area = shapely.area(geoms)
    crossed = ~shapely.contains_properly(extent, geoms)
    area[crossed] = shapely.area(shapely.intersection(geoms[crossed], extent))
    return area


def border_region(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    population: RasterLike,
    *,
    within_km: float = 25.0,
    threshold_pct: float = 50.0,
    touch_tolerance_m: float = 100.0,
    band: int = 1,
    near: pd.DataFrame | None = None,
    zones: BorderZones | None = None,
    executor: Executor = SERIAL,
    touching: pd.Series | None = None,
) -> pd.Series:
    """Eurostat-style border region: touches a land border, or most of its people live near one.

    Eurostat's typology (NUTS 3, 1 km population grid) calls a region a border region when it
    has a land border or more than half of its population lives within 25 km of one.

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    population
        Population-count raster.
    within_km
        Distance from the border, in km.
    threshold_pct
        Share of the population (strictly more than this) that makes a region a border region.
    touch_tolerance_m
        A region whose outline lies within this distance of a border line touches it
        (:func:`borderland.border.touches_border`).
    band
        Band of the raster.
    near
        :func:`population_near_border` of the same regions, borders and ``within_km``, when
        already computed (it is the costly part).
    zones
        The border's buffers built once, for :func:`population_near_border`.
    executor
        Where the zonal sums run (:mod:`borderland.compute`): chunks of regions as tasks.
    touching
        :func:`borderland.border.touches_border` of the same regions, borders and tolerance, when
        already computed.

    Returns
    -------
    pandas.Series
        ``border_region`` (bool), indexed like ``regions``.

    Examples
    --------
    >>> from borderland import border, io, layers, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> lines = border.border_lines_from_edges(regions, layers.shared_edges(regions))
    >>> gpw = io.bundled("population_gpw_v4_2000_15min.tif")
    >>> border_region(regions.loc[["RU-PSK", "RU-MOS"]], lines, gpw).tolist()
    [True, False]
    """
    if touching is None:
        touching = touches_border(regions, borders, touch_tolerance_m=touch_tolerance_m)
    if near is None:
        near = population_near_border(regions, borders, population, within_km=within_km, band=band, zones=zones,
                                      executor=executor)
    share = near[f"{near_column(within_km)}_pct"]
    return (touching | share.gt(threshold_pct)).rename("border_region")


def profile(
    regions: gpd.GeoDataFrame,
    values: str | pd.Series,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    population: RasterLike | None = None,
    *,
    bands_km: Sequence[float] = PROFILE_BANDS_KM,
    by: Literal["side", "country"] | None = None,
    focus_country: str | None = None,
    band: int = 1,
    zones: BorderZones | None = None,
    draws: pd.DataFrame | UncertaintyResult | None = None,
    executor: Executor = SERIAL,
) -> pd.DataFrame:
    """A column (an indicator, the index) by distance band from the border and side of it.

    Every region is cut into distance bands; each piece carries the region's value, weighted by
    the people living in it (or by its area when no population raster is given). A band's value
    on one side is the weighted mean over its pieces with a value.

    Parameters
    ----------
    regions
        Region layer in a projected CRS, with ``country``.
    values
        A column of ``regions`` or a Series indexed like it.
    borders
        Border lines in the same CRS.
    population
        Population-count raster; area weights when omitted.
    bands_km
        Band edges in km; the last may be ``math.inf``.
    by
        ``"side"`` (``focus_country`` against all others, labelled ``"other"``) or ``"country"``;
        by default ``"side"`` when ``focus_country`` is given, else ``"country"``.
    focus_country
        The focus side, for ``by="side"``.
    band
        Band of the raster.
    zones
        The border's buffers built once (:func:`borderland.border.border_zones`, with
        ``bands_km``); built now when omitted.
    draws
        The values in Monte Carlo draws: one row per region (indexed by code; regions missing or
        NaN have no value in a draw), one column per draw; or the result of
        :func:`borderland.robustness.uncertainty`, whose draws of the index are computed again a
        block at a time (the same figures as its ``draw_index`` by ``codes``, without holding
        regions x draws). Each draw is first put on the scale of ``values`` (the same mean and
        standard deviation over the regions with both): draws under another normalisation
        (z-scores, ranks) have scales of their own, and only the regions' relative positions
        are comparable.
    executor
        Where the zonal sums and the blocks of draws run (:mod:`borderland.compute`): chunks of regions
        and blocks of draws as tasks.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``band``, ``side``), in order of distance:

        - the weighted mean of the values, named like them (``index``);
        - the total weight: ``population`` (the raster's people in the band) or ``area_km2``;
        - ``with_data_pct``: the share of that weight in regions with a value; its denominator is
          the weight beside it, the raster's people (or the area), so people the raster misses
          are in neither (``regions_outside_raster`` counts their regions);
        - ``regions`` (regions with land in the band) and ``regions_with_data`` (of them, with a
          value);
        - with a raster: ``regions_outside_raster`` (regions whose land in the band has no cell
          of the raster with data: outside its extent, or only no-data cells; they weigh
          nothing) and ``raster_coverage_pct`` (the share of the band's land inside the
          raster's extent);
        - with ``draws``: ``<value>_p05`` and ``<value>_p95``, the 5th and 95th percentiles of
          the band's weighted mean over the draws.

    Examples
    --------
    >>> from borderland import border, io, layers, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> lines = border.border_lines_from_edges(regions, layers.shared_edges(regions))
    >>> ones = pd.Series(1.0, index=regions.index, name="one")
    >>> table = profile(regions, ones, lines, bands_km=(0, 25, 50), focus_country="RU")
    >>> table.index.tolist()
    [('0-25', 'RU'), ('0-25', 'other'), ('25-50', 'RU'), ('25-50', 'other')]
    >>> table.loc[("0-25", "RU"), ["regions", "regions_with_data"]].tolist()
    [11, 11]
    """
    require_projected(regions, borders)
    groupings = {"side": "focus_country against the rest", "country": "each country"}
    if by is None:
        by = "side" if focus_country is not None else "country"
    if by not in groupings:
        raise SchemaError(f"unknown grouping {by!r}; choose one of {sorted(groupings)}")
    if by == "side" and focus_country is None:
        raise SchemaError("by='side' needs focus_country (e.g. 'RU'); or use by='country'")
    series = regions[values] if isinstance(values, str) else values.reindex(regions.index)
    name = str(series.name) if series.name is not None else "value"
    labels, pieces = band_pieces(regions.geometry.to_numpy(), borders, bands_km, zones=zones)
    flat = pieces.ravel()
    area_km2 = shapely.area(flat) / 1e6
    land = area_km2 > 0
    n_bands = len(labels)
    country = regions["country"].astype(str).to_numpy()
    side = country if by == "country" else np.where(country == focus_country, str(focus_country), "other")
    table = pd.DataFrame({
        "band": np.tile(labels, len(regions)),
        "side": np.repeat(side, n_bands),
        "value": np.repeat(series.to_numpy(dtype=float, na_value=np.nan), n_bands),
        "region": np.repeat(regions.index.to_numpy(), n_bands),
        "area": area_km2,
    })[land]
    if population is None:
        table["weight"], weight_name = table["area"], "area_km2"
    else:
        with open_raster(population) as src:
            sums = zonal_stats(gpd.GeoSeries(flat[land], crs=regions.crs), src, stats=["sum", "count"], band=band,
                               executor=executor)
            extent = footprint(src, regions.crs)
        table["weight"] = sums["sum"].to_numpy()
        table["outside"] = sums["count"].to_numpy() <= 0
        table["covered"] = _area_inside(flat[land], extent) / 1e6
        weight_name = "population"
    has = table["value"].notna()
    table["weighted"] = table["value"].fillna(0.0) * table["weight"]
    table["weight_with_data"] = table["weight"].where(has, 0.0)
    table["region_with_data"] = table["region"].where(has)
    grouped = table.groupby(["band", "side"], sort=False)
    weight = grouped["weight"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({
            name: grouped["weighted"].sum() / grouped["weight_with_data"].sum().replace(0.0, np.nan),
            weight_name: weight,
            "with_data_pct": 100.0 * grouped["weight_with_data"].sum() / weight.replace(0.0, np.nan),
            "regions": grouped["region"].nunique(),
            "regions_with_data": grouped["region_with_data"].nunique(),
        })
    if population is not None:
        out["regions_outside_raster"] = table[table["outside"]].groupby(["band", "side"], sort=False)[
            "region"].nunique().reindex(out.index, fill_value=0)
        out["raster_coverage_pct"] = 100.0 * grouped["covered"].sum() / grouped["area"].sum()
    if draws is not None:
        codes, blocks = _draw_source(draws, executor)
        out = out.join(_draw_interval(table, codes, blocks, series, name))
    order = {label: k for k, label in enumerate(labels)}
    return out.sort_index(key=lambda level: level.map(order) if level.name == "band" else level)


def _draw_source(draws: pd.DataFrame | UncertaintyResult,
                 executor: Executor = SERIAL) -> tuple[pd.Index, Iterator[np.ndarray]]:
    """The regions of the draws, and the draws in chunks of columns (float64, column-major).

    The draws of an uncertainty result are computed again, a block at a time, on ``executor``.
    """
    if isinstance(draws, UncertaintyResult):
        if draws.codes is None:
            raise SchemaError("this uncertainty result kept no draws; run borderland.robustness.uncertainty again")
        blocks: Iterable[np.ndarray] = draws.draw_blocks(executor)
        codes = draws.codes
    else:
        blocks = (draws.iloc[:, first:first + _DRAW_CHUNK].to_numpy(dtype=float)
                  for first in range(0, draws.shape[1], _DRAW_CHUNK))
        codes = draws.index
    # column-major, as pandas hands a frame's values over: each draw's sums over the regions
    # run down a contiguous column, in the order they would for the whole frame at once
    return codes, (np.asfortranarray(chunk, dtype=float) for chunk in _joined(blocks, _DRAW_CHUNK))


def _joined(blocks: Iterable[np.ndarray], width: int) -> Iterator[np.ndarray]:
    """Blocks of columns joined into chunks of at least ``width`` columns (the last may be narrower).

    A last chunk of one column joins the one before it: numpy sums a single column's rows in
    another order (pairwise) than the rows of several columns (one after another), and a draw's
    band means must not depend on how the draws were cut.
    """
    pending: list[np.ndarray] = []
    ready: np.ndarray | None = None
    for block in blocks:
        pending.append(block)
        if sum(part.shape[1] for part in pending) >= width:
            if ready is not None:
                yield ready
            ready, pending = np.concatenate(pending, axis=1), []
    tail = np.concatenate(pending, axis=1) if pending else None
    if ready is not None and tail is not None and tail.shape[1] == 1:
        ready, tail = np.concatenate([ready, tail], axis=1), None
    yield from (chunk for chunk in (ready, tail) if chunk is not None)


def _on_scale_of(matrix: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Each draw (column) mapped linearly to the mean and standard deviation of ``chosen`` (over regions with both)."""
    both = ~np.isnan(matrix) & ~np.isnan(chosen)
    count = both.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(both, matrix, 0.0).sum(axis=0) / count
        spread = np.sqrt(np.where(both, (matrix - mean) ** 2, 0.0).sum(axis=0) / count)
        target_mean = np.where(both, chosen, 0.0).sum(axis=0) / count
        target_spread = np.sqrt(np.where(both, (chosen - target_mean) ** 2, 0.0).sum(axis=0) / count)
        return np.asarray((matrix - mean) / np.where(spread > 0, spread, np.nan) * target_spread + target_mean)


def _draw_interval(table: pd.DataFrame, codes: pd.Index, chunks: Iterable[np.ndarray], values: pd.Series,
                   name: str) -> pd.DataFrame:
    """5th and 95th percentiles over the draws of each band and side's weighted mean.

    The draws come in chunks of columns (regions of ``codes`` x draws); of each, only each band
    and side's weighted means are kept.
    """
    chosen = values.reindex(codes).to_numpy(dtype=float)[:, None]
    rows = codes.get_indexer(pd.Index(table["region"]))  # the row of each piece's region; -1: no draws
    missing = rows < 0
    groups = table.groupby(["band", "side"], sort=False).indices
    means: dict[object, list[np.ndarray]] = {key: [] for key in groups}
    for chunk in chunks:
        scaled = _on_scale_of(chunk, chosen)
        # the pieces' rows taken as pandas' reindex takes them (along the transposed, row-major
        # frame), so the arrays below are laid out, and summed, as for the whole frame
        matrix = np.take(scaled.T, np.where(missing, 0, rows), axis=1).T  # one row per piece
        matrix[missing] = np.nan
        weight = table["weight"].to_numpy()[:, None] * ~np.isnan(matrix)
        for key, at in groups.items():
            total = weight[at].sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                means[key].append(np.nansum(matrix[at] * weight[at], axis=0) / np.where(total > 0, total, np.nan))
    rows_out: list[tuple[object, object, float, float]] = []
    for key, parts in means.items():
        band, side = cast(tuple[str, str], key)
        every = np.concatenate(parts)
        known = every[~np.isnan(every)]
        low, high = np.percentile(known, [5, 95]) if len(known) else (np.nan, np.nan)
        rows_out.append((band, side, float(low), float(high)))
    frame = pd.DataFrame(rows_out, columns=["band", "side", f"{name}_p05", f"{name}_p95"])
    return frame.set_index(["band", "side"])
