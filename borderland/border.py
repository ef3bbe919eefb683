"""The state border, vector only: its lines, distances to it, who touches it, distance bands.

Border rings (steps inland from a region touching the border) are counted on the neighbour graph
(:meth:`borderland.neighbours.NeighbourGraph.border_order`); measures that need a population
raster (people near the border, the border-region flag, profiles by band, the population-weighted
distance) are in :mod:`borderland.exposure`.

Only land borders between countries present in the study are known here: a region of Poland
that touches Germany is not a border region of a study without German regions, unless an
authoritative border layer that includes that border is given.

Distances are planar, in the regions' projected CRS. :func:`compare_geodesic` measures how far
they are from geodesic distances on the WGS 84 ellipsoid: on the bundled study, distances from
each region's inside point differ by at most 1.8 % in EPSG:3035 and 0.7 % in the study-centred
azimuthal equidistant CRS of :func:`equidistant_crs` (see ``tests/test_border.py``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from borderland.errors import CRSError, SchemaError
from borderland.layers import require_projected

#: Edges (km) of the default distance bands: 0-25, 25-50 and 50-100 km from the border.
BAND_EDGES_KM: Final[tuple[float, ...]] = (0.0, 25.0, 50.0, 100.0)

#: Arc segments per quarter circle when buffering the border: the buffer's area then lies within
#: 0.2 % of the true disc area (the default 8 gives 0.6 %).
QUAD_SEGS: Final[int] = 16


def segment_label(country_a: str, country_b: str, focus_country: str | None = None) -> str:
    """Name of a border segment: the focus country first, else alphabetical (``RU-FI``, ``BY-UA``).

    Examples
    --------
    >>> segment_label("FI", "RU", "RU"), segment_label("UA", "BY")
    ('RU-FI', 'BY-UA')
    """
    if focus_country and country_b == focus_country:
        country_a, country_b = country_b, country_a
    elif not (focus_country and country_a == focus_country) and country_b < country_a:
        country_a, country_b = country_b, country_a
    return f"{country_a}-{country_b}"


def border_lines_from_edges(
    regions: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, focus_country: str | None = None
) -> gpd.GeoDataFrame:
    """Land border lines derived from the region polygons: shared edges of regions in different countries.

    Coastlines are never included, because only edges shared by two regions are.

    Parameters
    ----------
    regions
        Region layer (projected, indexed by code, with ``country``).
    edges
        Shared edges from :func:`borderland.layers.shared_edges`.
    focus_country
        Country named first in segment labels.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per border segment: ``segment``, ``country_a``, ``country_b``, ``length_km``, line.
    """
    require_projected(regions, edges)
    country = regions["country"]
    a = country.reindex(edges["region_a"]).to_numpy()
    b = country.reindex(edges["region_b"]).to_numpy()
    cross = a != b
    frame = gpd.GeoDataFrame(
        {"segment": [segment_label(x, y, focus_country) for x, y in zip(a[cross], b[cross], strict=True)]},
        geometry=edges.geometry.to_numpy()[cross],
        crs=regions.crs,
    )
    return _by_segment(frame)


def border_lines_from_layer(
    lines: gpd.GeoDataFrame,
    *,
    country_a: str = "country_a",
    country_b: str = "country_b",
    focus_country: str | None = None,
) -> gpd.GeoDataFrame:
    """Land border lines from an authoritative line layer (e.g. Natural Earth boundary lines).

    Parameters
    ----------
    lines
        Line layer in the study's projected CRS, with the two countries of each line.
    country_a, country_b
        Columns holding the ISO alpha-2 codes of the two sides.
    focus_country
        Country named first in segment labels.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`border_lines_from_edges`.
    """
    require_projected(lines)
    missing = [c for c in (country_a, country_b) if c not in lines.columns]
    if missing:
        raise SchemaError(f"border line layer lacks column(s) {missing}; name the columns of the two countries")
    frame = gpd.GeoDataFrame(
        {"segment": [segment_label(x, y, focus_country)
                     for x, y in zip(lines[country_a], lines[country_b], strict=True)]},
        geometry=lines.geometry.to_numpy(),
        crs=lines.crs,
    )
    return _by_segment(frame)


def _by_segment(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.empty:  # countries that do not touch: no land border, an empty layer with the same columns
        return gpd.GeoDataFrame({"segment": pd.Series(dtype=str), "country_a": pd.Series(dtype=str),
                                 "country_b": pd.Series(dtype=str), "length_km": pd.Series(dtype=float)},
                                geometry=gpd.GeoSeries([], crs=frame.crs), crs=frame.crs)
    dissolved = frame.dissolve(by="segment", as_index=False)
    dissolved.geometry = shapely.line_merge(dissolved.geometry.to_numpy())
    parts = dissolved["segment"].str.split("-", n=1, expand=True)
    dissolved.insert(1, "country_a", parts[0])
    dissolved.insert(2, "country_b", parts[1])
    dissolved["length_km"] = dissolved.length / 1000.0
    return dissolved.sort_values("segment").reset_index(drop=True)


#: Where the distance of a region to the border is measured from. The population-weighted mean
#: distance needs a population raster: :func:`borderland.exposure.population_weighted_distance`.
DISTANCE_ORIGINS: Final[Mapping[str, Callable[[gpd.GeoDataFrame], gpd.GeoSeries]]] = {
    # representative_point() is always inside; a crescent-shaped region's centroid is not
    "inside_point": lambda regions: regions.representative_point(),
    "centroid": lambda regions: regions.centroid,
    "outline": lambda regions: regions.geometry,
}


def distance_to_border(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    origin: Literal["inside_point", "centroid", "outline"] = "inside_point",
) -> pd.Series:
    """Distance in km from each region to the nearest land border (0 on the border).

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    origin
        ``"inside_point"`` (a point guaranteed inside the region), ``"centroid"`` (may fall
        outside a crescent-shaped region) or ``"outline"`` (0 when the region touches the
        border). The mean distance of a region's population is
        :func:`borderland.exposure.population_weighted_distance` (it needs a raster).

    Returns
    -------
    pandas.Series
        ``border_distance_km``, indexed like ``regions``; ``NaN`` when there is no border.

    Examples
    --------
    >>> from borderland import layers, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> lines = border_lines_from_edges(regions, layers.shared_edges(regions))
    >>> float(distance_to_border(regions, lines, origin="outline")["RU-PSK"])
    0.0
    """
    require_projected(regions, borders)
    try:
        origins = DISTANCE_ORIGINS[origin]
    except KeyError:
        hint = ("; the population-weighted distance needs a raster: "
                "borderland.exposure.population_weighted_distance(regions, borders, population)"
                if str(origin) == "population" else "")
        raise SchemaError(f"unknown distance origin {origin!r}; choose one of {list(DISTANCE_ORIGINS)}{hint}") from None
    line = shapely.union_all(borders.geometry.to_numpy())
    if line.is_empty:
        return pd.Series(np.nan, index=regions.index, name="border_distance_km")
    km = shapely.distance(origins(regions).to_numpy(), line) / 1000.0
    return pd.Series(km, index=regions.index, name="border_distance_km")


def touches_border(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    touch_tolerance_m: float = 100.0,
) -> pd.Series:
    """Whether each region touches a land border: its outline lies within the tolerance of a border line.

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    touch_tolerance_m
        A region whose outline lies within this distance of a border line touches it (layers
        from different sources do not meet exactly).

    Returns
    -------
    pandas.Series
        ``touches_border`` (bool), indexed like ``regions``; all False when there is no border.
        Ring 1 of :meth:`borderland.neighbours.NeighbourGraph.border_order`.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> row = gpd.GeoDataFrame({"country": ["AA", "AA", "BB"]}, index=["P", "Q", "R"], crs=3035,
    ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(3)])
    >>> line = gpd.GeoSeries([shapely.LineString([(2000, 0), (2000, 1000)])], crs=3035)
    >>> touches_border(row, line).tolist()
    [False, True, True]
    """
    if touch_tolerance_m < 0:
        raise SchemaError(f"touch_tolerance_m must be >= 0, got {touch_tolerance_m}")
    outline_m = distance_to_border(regions, borders, origin="outline") * 1000.0
    return (outline_m <= touch_tolerance_m).rename("touches_border")


def equidistant_crs(regions: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """An azimuthal equidistant CRS centred on the study area (WGS 84, metres).

    Distances from its centre are true; elsewhere in a study the size of the bundled one
    (3,000 km across) planar distances stay within 0.7 % of geodesic ones, against 1.8 % in
    EPSG:3035 (:func:`compare_geodesic`).

    Parameters
    ----------
    regions
        Any layer with a CRS; its union's centroid (in longitude and latitude) is the centre.

    Returns
    -------
    pyproj.CRS
        ``+proj=aeqd`` centred on the study.
    """
    if regions.crs is None:
        raise CRSError("layer has no CRS; set one before choosing an equidistant CRS")
    centre = shapely.centroid(shapely.union_all(regions.geometry.to_crs(4326).to_numpy()))
    return CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y:.4f} +lon_0={centre.x:.4f} +datum=WGS84 +units=m +no_defs")


def compare_geodesic(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    origin: Literal["inside_point", "centroid"] = "inside_point",
    crs: str | CRS | None = None,
    sample_m: float = 500.0,
) -> pd.DataFrame:
    """Planar distance to the border against the geodesic distance on the WGS 84 ellipsoid.

    The geodesic distance is the shortest ``pyproj.Geod`` distance from the region's origin to
    the border line: the line is sampled every ``sample_m`` metres, then ever more finely around
    every sample that could be the nearest, down to one metre; so it is exact to about a metre.

    Parameters
    ----------
    regions
        Region layer in a projected CRS.
    borders
        Border lines in the same CRS.
    origin
        ``"inside_point"`` or ``"centroid"`` (as :func:`distance_to_border`).
    crs
        Projected CRS in which to measure the planar distance; the regions' own CRS when
        omitted (e.g. :func:`equidistant_crs` for a study-centred equidistant one).
    sample_m
        Spacing of the first sampling of the border line.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``: ``planar_km``, ``geodesic_km``, ``difference_km`` (planar
        minus geodesic) and ``difference_pct`` (of the geodesic distance).
    """
    require_projected(regions, borders)
    points_by_origin = {"inside_point": regions.representative_point, "centroid": lambda: regions.centroid}
    if origin not in points_by_origin:
        raise SchemaError(f"unknown origin {origin!r} for the geodesic comparison; "
                          f"choose one of {sorted(points_by_origin)}")
    if sample_m <= 0:
        raise SchemaError(f"sample_m must be positive, got {sample_m}")
    points = points_by_origin[origin]()
    line = shapely.union_all(borders.geometry.to_numpy())
    if crs is None:
        planar = points.distance(line).to_numpy()
    else:
        target = CRS.from_user_input(crs)
        if not target.is_projected:
            raise CRSError(f"{target.to_string()} is geographic (degrees); planar distances need a projected CRS")
        moved = gpd.GeoSeries([line], crs=regions.crs).to_crs(target).iloc[0]
        planar = points.to_crs(target).distance(moved).to_numpy()

    to_lonlat = Transformer.from_crs(regions.crs, 4326, always_xy=True)
    geod = Geod(ellps="WGS84")
    parts = np.array([p for p in shapely.get_parts(shapely.line_merge(line)) if p.length > 0], dtype=object)
    lengths = shapely.length(parts)
    coarse = [np.append(np.arange(0.0, length, sample_m), length) for length in lengths]
    start_part = np.concatenate([np.full(len(a), k) for k, a in enumerate(coarse)])
    start_along = np.concatenate(coarse)

    def lonlat(part: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xy = shapely.get_coordinates(shapely.line_interpolate_point(parts[part], along))
        return to_lonlat.transform(xy[:, 0], xy[:, 1])

    start_lon, start_lat = lonlat(start_part, start_along)
    geodesic = np.full(len(regions), np.nan)
    for k, point in enumerate(points.to_numpy()):
        if point is None or point.is_empty or not len(parts):
            continue
        plon, plat = to_lonlat.transform(point.x, point.y)
        part, along, lon, lat, step = start_part, start_along, start_lon, start_lat, sample_m
        while True:
            dist = geod.inv(np.full(len(lon), plon), np.full(len(lat), plat), lon, lat)[2]
            if step <= 1.0:
                geodesic[k] = dist.min()
                break
            # the true nearest point lies within one step of a sample no more than half a step
            # farther than the nearest sample: resample around those, twenty times finer
            near = dist <= dist.min() + step / 2
            finer = max(step / 20, 1.0)
            offsets = np.arange(-step, step + finer / 2, finer)
            part = np.repeat(part[near], len(offsets))
            along = np.clip((along[near][:, None] + offsets).ravel(), 0.0, lengths[part])
            lon, lat = lonlat(part, along)
            step = finer
    frame = pd.DataFrame({"planar_km": planar / 1000.0, "geodesic_km": geodesic / 1000.0}, index=regions.index)
    frame["difference_km"] = frame["planar_km"] - frame["geodesic_km"]
    frame["difference_pct"] = 100.0 * frame["difference_km"] / frame["geodesic_km"]
    return frame


def _band_edges(bands_km: Sequence[float]) -> list[tuple[float, float]]:
    """Validate band edges and return (lower, upper) pairs; only the last edge may be infinite."""
    edges = [float(e) for e in bands_km]
    problems = []
    if len(edges) < 2:
        problems.append(f"need at least two edges, got {edges}")
    if any(math.isnan(e) or e < 0 for e in edges):
        problems.append(f"edges must be non-negative numbers, got {edges}")
    if any(b <= a for a, b in itertools.pairwise(edges)):
        problems.append(f"edges must increase strictly, got {edges}")
    if any(math.isinf(e) for e in edges[:-1]):
        problems.append("only the last edge may be infinite")
    if problems:
        raise SchemaError(f"distance bands {list(bands_km)}: " + "; ".join(problems)
                          + "; e.g. bands_km=(0, 25, 50, 100)")
    return list(itertools.pairwise(edges))


def band_label(lower_km: float, upper_km: float) -> str:
    """Label of a distance band: ``"0-25"``, ``"25-50"``, ``"200+"`` for an open last band.

    Examples
    --------
    >>> band_label(0, 25), band_label(200, float("inf"))
    ('0-25', '200+')
    """
    return f"{lower_km:g}+" if math.isinf(upper_km) else f"{lower_km:g}-{upper_km:g}"


def band_pieces(
    areas: np.ndarray,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    bands_km: Sequence[float] = BAND_EDGES_KM,
    *,
    quad_segs: int = QUAD_SEGS,
) -> tuple[list[str], np.ndarray]:
    """Cut polygons into distance bands along the border.

    Parameters
    ----------
    areas
        Polygons (shapely array) in the borders' projected CRS.
    borders
        Border lines.
    bands_km
        Band edges in km; the last may be ``math.inf`` (everything beyond the previous edge).
    quad_segs
        Arc segments per quarter circle of the buffers.

    Returns
    -------
    tuple of list and numpy.ndarray
        Band labels, and the pieces as an array of shape (len(areas), number of bands); a piece
        is empty where an area has no land in a band.
    """
    require_projected(borders)
    pairs = _band_edges(bands_km)
    line = shapely.union_all(borders.geometry.to_numpy())
    areas = np.asarray(areas, dtype=object)
    pieces = np.empty((len(areas), len(pairs)), dtype=object)
    buffers: dict[float, shapely.Geometry] = {}

    def buffer(km: float) -> shapely.Geometry:
        if km not in buffers:
            buffers[km] = shapely.buffer(line, km * 1000.0, quad_segs=quad_segs) if km > 0 else shapely.Polygon()
        return buffers[km]

    for k, (lower, upper) in enumerate(pairs):
        if math.isinf(upper):
            pieces[:, k] = shapely.difference(areas, buffer(lower))
        else:
            zone = shapely.difference(buffer(upper), buffer(lower))
            pieces[:, k] = shapely.intersection(areas, zone)
    return [band_label(lower, upper) for lower, upper in pairs], pieces


def distance_bands(
    regions: gpd.GeoDataFrame,
    borders: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    bands_km: Sequence[float] = BAND_EDGES_KM,
    quad_segs: int = QUAD_SEGS,
) -> gpd.GeoDataFrame:
    """Zones of 0-25, 25-50 and 50-100 km along the border, clipped to each country's regions.

    Parameters
    ----------
    regions
        Region layer in a projected CRS, with ``country``; a country's land is the union of
        its regions in the study.
    borders
        Border lines in the same CRS.
    bands_km
        Band edges in km; the last may be ``math.inf``.
    quad_segs
        Arc segments per quarter circle of the buffers.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per country and non-empty band, ordered by country then distance: ``band``
        (``"0-25"``), ``country``, ``distance_min_km``, ``distance_max_km``, ``area_km2`` and
        the zone's polygon.

    Examples
    --------
    >>> from borderland import layers, pipeline
    >>> regions, _ = pipeline.load_regions(pipeline.load_study())
    >>> lines = border_lines_from_edges(regions, layers.shared_edges(regions))
    >>> distance_bands(regions, lines).query("country == 'RU'")["band"].tolist()
    ['0-25', '25-50', '50-100']
    """
    require_projected(regions, borders)
    countries = sorted(regions["country"].dropna().unique())
    land = np.array([shapely.union_all(regions.geometry[regions["country"] == c].to_numpy()) for c in countries],
                    dtype=object)
    labels, pieces = band_pieces(land, borders, bands_km, quad_segs=quad_segs)
    pairs = _band_edges(bands_km)
    rows = [(labels[k], country, pairs[k][0], pairs[k][1], pieces[i, k])
            for i, country in enumerate(countries) for k in range(len(labels))]
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["band", "country", "distance_min_km", "distance_max_km", "geometry"]),
        geometry="geometry", crs=regions.crs,
    )
    frame = frame[~frame.geometry.is_empty & (frame.geometry.area > 0)]
    frame.insert(4, "area_km2", frame.geometry.area / 1e6)
    return frame.reset_index(drop=True)
