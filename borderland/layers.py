"""Region layers: validation, projection and one-off geometric repair.

Real borderland layers mix sources (here NUTS 1:3M for the EU side and Natural Earth admin-1 for
the rest) whose polygons overlap and leave slivers along the very border we study. Everything
downstream (pairs, shared lengths, border lines) assumes a clean polygonal coverage, so the
repair happens once, here, and its effect is reported rather than hidden.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from borderland.compute import SERIAL, Executor, Geometries, region_chunks
from borderland.errors import BorderlandWarning, CRSError, SchemaError, collect
from borderland.specs import printable

#: Default projected CRS: ETRS89-LAEA Europe (equal area; planar distances differ from geodesic
#: ones by up to ~2 % over the bundled study area).
DEFAULT_CRS = "EPSG:3035"

REGION_COLUMNS = ("name", "country", "level", "source")

#: Longest edge (degrees) of a layer in degrees when it is projected (:func:`to_projected`).
DENSIFY_DEG: Final = 1.0


@dataclass(frozen=True)
class RepairReport:
    """What :func:`repair_coverage` changed, region by region.

    Attributes
    ----------
    made_valid
        Codes of regions whose geometry was invalid and repaired with ``shapely.make_valid``.
    area_change_km2
        Signed area change per region (km²): negative where an overlap was given to the
        neighbour, positive where a sliver was filled.
    slivers_filled
        Number of gaps between regions of different countries that were filled.
    sliver_area_km2
        Their total area (km²).
    overlap_area_km2
        Total area (km²) claimed by two regions at once before the repair.
    sliver_width_m
        The widest gap treated as a sliver.
    """

    made_valid: tuple[str, ...]
    area_change_km2: pd.Series
    slivers_filled: int
    sliver_area_km2: float
    overlap_area_km2: float
    sliver_width_m: float
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One paragraph for logs and READMEs."""
        moved = self.area_change_km2.abs()
        moved = moved[moved >= 0.5]
        top = ", ".join(f"{printable(str(code))} {self.area_change_km2[code]:+.0f} km²"
                        for code in moved.nlargest(5).index)
        return (
            f"geometry repair: {len(self.made_valid)} invalid polygon(s) made valid"
            f"{' (' + ', '.join(map(printable, self.made_valid)) + ')' if self.made_valid else ''}; "
            f"{self.overlap_area_km2:.0f} km² of overlaps resolved; {self.slivers_filled} cross-border "
            f"sliver(s) up to {self.sliver_width_m / 1000:g} km wide filled ({self.sliver_area_km2:.0f} km²); "
            f"largest changes: {top or 'none'}"
        )


def _listed(values: Iterable[object]) -> str:
    """Codes or column names from the user's layer, for a message: escaped for the terminal, comma-separated."""
    return ", ".join(printable(str(v)) for v in values)


def prepare_regions(
    frame: gpd.GeoDataFrame,
    *,
    id_column: str = "region_id",
    name_column: str = "name",
    country_column: str = "country",
    level_column: str | None = "level",
    source: str | None = None,
    crs: str = DEFAULT_CRS,
    file: str | None = None,
) -> gpd.GeoDataFrame:
    """Validate a region layer and return it indexed by region code, in a projected CRS.

    Every problem is collected and reported at once: missing columns, blank or duplicate codes,
    null, empty or non-polygonal geometries, a missing CRS.

    Parameters
    ----------
    frame
        The layer as read.
    id_column, name_column, country_column
        Columns holding the region code, its name and its country (ISO 3166-1 alpha-2).
    level_column
        Optional column with the administrative level (``nuts2``, ``oblast``...).
    source
        Value for the ``source`` column when the layer has none.
    crs
        Projected CRS to work in (metres).
    file
        The layer's file name, for the fixes that messages name.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id``; columns ``name``, ``country``, ``level``, ``source``, geometry.
    """
    problems: list[str] = []
    for column in (id_column, name_column, country_column):
        if column not in frame.columns:
            problems.append(f"column {column!r} is missing (columns: {_listed(frame.columns)})")
    if frame.crs is None:
        problems.append("the layer has no CRS; set one (e.g. in QGIS, or with GeoDataFrame.set_crs) and save again")
    collect(problems, SchemaError, "region layer")

    codes = frame[id_column].astype("string").str.strip()
    if frame.crs.is_geographic:
        problems += degree_problems(frame.geometry, codes.fillna("?").astype(str).to_numpy(), frame.crs.to_string(),
                                    file=file)
    blank = codes.isna() | (codes == "")
    if blank.any():
        problems.append(f"{int(blank.sum())} region(s) have a blank {id_column!r}; every region needs a code")
    country = frame[country_column].astype("string").str.strip()
    stateless = (country.isna() | (country == "")) & ~blank
    if stateless.any():
        problems.append(f"no country in {country_column!r} for: {_listed(codes[stateless])}; every "
                        "region needs its country's ISO alpha-2 code")
    dupes = codes[codes.duplicated(keep=False) & ~blank]
    if len(dupes):
        problems.append(f"duplicate codes in {id_column!r}: {_listed(sorted(set(dupes)))}; codes must be unique")
    geoms = frame.geometry
    bad = geoms.isna() | geoms.is_empty
    if bad.any():
        problems.append(f"null or empty geometry for: {_listed(codes[bad].fillna('?'))}; drop those "
                        "features or give them their polygons")
    polygonal = geoms.geom_type.isin(["Polygon", "MultiPolygon"]) | bad
    if not polygonal.all():
        kinds = sorted(set(geoms.geom_type[~polygonal].astype(str)))
        problems.append(
            f"regions must be polygons; found {', '.join(kinds)} for {_listed(codes[~polygonal])}; "
            "give a layer of the regions' polygons"
        )
    collect(problems, SchemaError, "region layer")

    # text columns stay text when absent: all missing (NULL in every output), never the object pd.NA, which
    # GDAL writes as the text '<NA>'
    absent = pd.array([pd.NA] * len(frame), dtype="string")
    out = gpd.GeoDataFrame(
        {
            "name": frame[name_column].astype("string").str.strip().fillna(codes).to_numpy(),
            "country": frame[country_column].astype("string").str.strip().str.upper().to_numpy(),
            "level": (frame[level_column].astype("string").to_numpy()
                      if level_column and level_column in frame.columns else absent),
            "source": (frame["source"].astype("string").to_numpy() if "source" in frame.columns
                       else absent if source is None else pd.array([source] * len(frame), dtype="string")),
        },
        geometry=shapely.force_2d(geoms.to_numpy()),
        crs=frame.crs,
        index=pd.Index(codes.to_numpy(), name="region_id"),
    )
    projected = to_projected(out, crs)
    return _joined_at_the_antimeridian(out, projected) if out.crs.is_geographic else projected


#: Longitudes are wrapped by 360°: a layer in degrees may state them from -360 to 360 (0..360 is
#: common), and PROJ reads 190° as -170° when it projects; coordinates beyond that are not degrees.
_DEGREES: Final = (-360.5, -90.5, 360.5, 90.5)


def _wrong_way(geometry: shapely.Geometry) -> tuple[float, float] | None:
    """The widest jump in longitude (from, to) between two vertices of a ring, if one is above 180°."""
    worst: tuple[float, float] | None = None
    width = 180.0
    for polygon in shapely.get_parts(geometry):
        if shapely.get_type_id(polygon) != shapely.GeometryType.POLYGON:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            lon = shapely.get_coordinates(ring)[:, 0]
            if len(lon) < 2:
                continue
            steps = np.abs(np.diff(lon))
            k = int(np.argmax(steps))
            if steps[k] > width:
                width, worst = float(steps[k]), (float(lon[k]), float(lon[k + 1]))
    return worst


def degree_problems(geometry: gpd.GeoSeries, codes: np.ndarray, crs: str, *, file: str | None = None,
                    key: str = "[regions] path", edges: bool = True) -> list[str]:
    """What is wrong with the coordinates of a layer in degrees: not degrees, or outlines the wrong way round.

    A layer split at the antimeridian (RFC 7946: each part on its own side of ±180°, as
    ``ogr2ogr -wrapdateline`` writes it) is right, and so is one whose longitudes pass 180°
    (170..190): PROJ reads 190° as -170° when the layer is projected, and the parts meet again in
    the projected CRS. Wrong are coordinates no degree can be (a projected layer labelled
    EPSG:4326), and a ring with an edge longer than 180° of longitude: a polygon that crosses the
    antimeridian written with -179° right after 179°, which in degrees goes the other way round
    the globe. Its fix is ``ogr2ogr -wrapdateline``, with ``-datelineoffset`` wide enough for the
    widest such edge (GDAL cuts an edge from x1 to x2 when both lie within that offset of ±180°
    and they are more than 360° minus it apart; the default is 10°).

    Parameters
    ----------
    geometry
        The layer's geometries, in degrees.
    codes
        The regions' codes, in the same order (named in the message).
    crs
        The layer's CRS as text (named in the message).
    file
        The layer's file name, for the command of the fix (``<layer file>`` when not given).
    key
        The study key that names the layer (where the fixed file goes).
    edges
        Whether to look for edges the wrong way round (regions); a countries layer may hold
        Antarctica, whose outline runs along the pole from -180° to 180°.

    Returns
    -------
    list of str
        One sentence per problem (empty when the layer is right).

    Examples
    --------
    >>> import shapely
    >>> split = [shapely.box(170, 60, 180, 70), shapely.box(-180, 60, -170, 70)]
    >>> degree_problems(gpd.GeoSeries([shapely.MultiPolygon(split)]), np.array(["R1"]), "EPSG:4326")
    []
    >>> wrong = shapely.Polygon([(170, 60), (-170, 60), (-170, 70), (170, 70)])
    >>> print(degree_problems(gpd.GeoSeries([wrong]), np.array(["R1"]), "EPSG:4326")[0][:64])
    R1 has an edge from 170° to -170° of longitude (340° long): it c
    """
    present = geometry.notna() & ~geometry.is_empty
    if not present.any():
        return []
    west, south, east, north = geometry[present].total_bounds
    if west < _DEGREES[0] or south < _DEGREES[1] or east > _DEGREES[2] or north > _DEGREES[3]:
        return [f"coordinates reach {west:.0f}..{east:.0f}, {south:.0f}..{north:.0f}, impossible in degrees: the "
                f"layer says {crs} (GDAL assumes EPSG:4326 when a file states no CRS) but looks projected; set its "
                "real CRS (e.g. EPSG:3035) and save it again"]
    if not edges:
        return []
    jumps = {str(code): jump for code, geom in zip(codes, geometry.to_numpy(), strict=True)
             if (jump := _wrong_way(geom)) is not None}
    if not jumps:
        return []
    # the smallest whole offset for which GDAL cuts every such edge (10° is GDAL's default)
    offset = max(10, *(int(max(360 - abs(a - b), 180 - min(abs(a), abs(b)))) + 1 for a, b in jumps.values()))
    option = "" if offset == 10 else f" -datelineoffset {offset}"
    name = file or "<layer file>"
    fixed = f"{name.rsplit('.', 1)[0]}_split.gpkg" if file else "fixed.gpkg"
    shown = "; ".join(f"{printable(str(code))} has an edge from {a:g}° to {b:g}° of longitude ({abs(a - b):g}° long)"
                      for code, (a, b) in list(jumps.items())[:5])
    more = f" (and {len(jumps) - 5} more region(s))" if len(jumps) > 5 else ""
    return [f"{shown}{more}: it crosses the antimeridian but is written the wrong way round the globe (an edge in "
            "degrees is never longer than 180° in a region); split it at 180°, e.g. with "
            f"ogr2ogr -wrapdateline{option} -nlt PROMOTE_TO_MULTI {fixed} {name}, and read {fixed} instead "
            "([regions] path)"]


def _joined_at_the_antimeridian(geographic: gpd.GeoDataFrame, projected: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Projected regions whose parts were split at ±180° in degrees, each one polygon again.

    The parts of a region split at the antimeridian share an edge once projected (both sides of
    ±180° map onto the same line), which makes the MultiPolygon invalid; joined, the region is
    valid, and the repair does not count it as one it had to make valid.
    """
    bounds = geographic.geometry.bounds
    geoms = projected.geometry.to_numpy()
    # Natural Earth writes -179.99999999999991 for -180: a part within a micrometre of ±180 is on it
    split = ((bounds["minx"] <= -180.0 + 1e-11) & (bounds["maxx"] >= 180.0 - 1e-11)
             & (geographic.geom_type == "MultiPolygon")).to_numpy() & ~shapely.is_valid(geoms)
    if not split.any():
        return projected
    joined = geoms.copy()
    for k in np.flatnonzero(split):
        joined[k] = shapely.union_all(shapely.get_parts(geoms[k]))
    out = projected.copy()
    out[projected.geometry.name] = gpd.GeoSeries(joined, index=projected.index, crs=projected.crs)
    return out


def to_projected(frame: gpd.GeoDataFrame, crs: str = DEFAULT_CRS) -> gpd.GeoDataFrame:
    """Reproject to ``crs`` (a projected CRS in metres), once, at the start of the work.

    A layer in degrees is first densified to edges of at most :data:`DENSIFY_DEG` degree: an
    edge in degrees is straight in longitude and latitude (RFC 7946), and projected from its
    two ends alone it would become a chord (10° along the 66th parallel bows 10 km away from
    it), so that neighbours whose vertices along a shared parallel differ would overlap once
    projected. One degree leaves at most ~0.1 km (a sagitta) and adds few vertices to real
    layers (one edge in the Europe study's NUTS layer is longer).

    Parameters
    ----------
    frame
        Any layer with a CRS.
    crs
        Target CRS; must be projected.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in ``crs`` (the same object when it is already there).
    """
    if frame.crs is None:
        raise CRSError("layer has no CRS; set one before analysis")
    target = gpd.GeoSeries([], crs=crs).crs
    if not target.is_projected:
        raise CRSError(f"{crs} is geographic (degrees); choose a projected CRS in metres such as EPSG:3035")
    if frame.crs == target:
        return frame
    if frame.crs.is_geographic:
        frame = frame.set_geometry(shapely.segmentize(frame.geometry.to_numpy(), DENSIFY_DEG), crs=frame.crs)
    return frame.to_crs(target)


@functools.lru_cache(maxsize=16)
def _transformer(source: CRS, target: CRS) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def transformer(source: str | int | CRS, target: str | int | CRS) -> Transformer:
    """The transformer from ``source`` to ``target`` (x, y order), made once per pair of CRSs.

    ``Transformer.from_crs`` searches PROJ's database for the best operation, about 0.1 s a
    time; a run reprojects between the same two CRSs (the study's and the population raster's)
    several times, so each pair's transformer is kept (the same one ``from_crs`` would give).

    Parameters
    ----------
    source, target
        Anything ``pyproj.CRS.from_user_input`` reads.

    Returns
    -------
    pyproj.Transformer
        With ``always_xy=True``.

    Examples
    --------
    >>> transformer("EPSG:4326", 3035) is transformer(4326, "EPSG:3035")
    True
    """
    return _transformer(CRS.from_user_input(source), CRS.from_user_input(target))


def reproject(geoms: np.ndarray, source: str | int | CRS, target: str | int | CRS) -> np.ndarray:
    """Geometries moved from ``source`` to ``target``: the coordinates ``GeoSeries.to_crs`` gives.

    Through :func:`transformer`, so a run makes each pair's transformer once (geopandas keeps
    its own, and a run would make the same one twice).

    Parameters
    ----------
    geoms
        A shapely array (2D).
    source, target
        Their CRS and the one wanted.

    Returns
    -------
    numpy.ndarray
        New geometries; ``geoms`` themselves when the two CRSs are the same.

    Examples
    --------
    >>> point = reproject(np.array([shapely.Point(10, 52)]), 4326, 3035)[0]
    >>> point.equals(gpd.GeoSeries([shapely.Point(10, 52)], crs=4326).to_crs(3035).iloc[0])
    True
    """
    source, target = CRS.from_user_input(source), CRS.from_user_input(target)
    if source.is_exact_same(target):
        return geoms
    if shapely.has_z(geoms).any():
        return np.asarray(gpd.GeoSeries(geoms, crs=source).to_crs(target).to_numpy(), dtype=object)
    x, y = transformer(source, target).transform(*shapely.get_coordinates(geoms).T)
    moved: np.ndarray = shapely.set_coordinates(geoms.copy(), np.column_stack([x, y]))
    return moved


def require_projected(*frames: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Raise :class:`CRSError` unless every frame is in the same projected CRS."""
    crss = {f.crs for f in frames}
    if len(crss) != 1 or None in crss or not next(iter(crss)).is_projected:
        raise CRSError(
            f"expected layers in one projected CRS (metres), got {', '.join(str(c) for c in crss)}; "
            "reproject with borderland.layers.to_projected"
        )


def _polygonal(geometry: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts (make_valid can return collections with stray lines)."""
    out = geometry.copy()
    collections = shapely.get_type_id(out) == shapely.GeometryType.GEOMETRYCOLLECTION
    for k in np.flatnonzero(collections):
        parts = shapely.get_parts(out[k])
        out[k] = shapely.union_all(parts[shapely.get_type_id(parts) >= 3])
    return out


def repair_coverage(
    regions: gpd.GeoDataFrame, *, sliver_width_m: float = 8000.0, max_repair_pct: float = 1.0
) -> tuple[gpd.GeoDataFrame, RepairReport]:
    """Turn a mixed-source region layer into a clean polygonal coverage.

    Three steps: ``shapely.make_valid`` for invalid polygons; ``shapely.coverage_clean`` so that no
    two regions overlap and shared edges are identical; then gaps (holes in the union) that lie
    between regions of *different countries* and are at most ``sliver_width_m`` wide are given
    to the neighbour with the longest shared edge.

    The last step is ours because ``coverage_clean(gap_width=...)`` fills every narrow hole, and
    on real layers some narrow holes are enclaves that must stay out (parts of New Moscow inside
    Moscow Oblast are 7 km wide, as wide as the NUTS / Natural Earth slivers along the
    Polish-Russian border).

    Parameters
    ----------
    regions
        Region layer in a projected CRS, indexed by code, with a ``country`` column.
    sliver_width_m
        Widest cross-border gap to fill (diameter of its largest inscribed circle, metres).
    max_repair_pct
        The largest share (%) of a valid region's area that the repair may give to other
        regions. Resolving the overlaps of mixed sources moves a sliver along an edge; a repair
        that moves more has met a broken polygon (a self-intersecting one made valid can claim
        most of its neighbour), and fails rather than silently redrawing the neighbour.

    Returns
    -------
    tuple of geopandas.GeoDataFrame and RepairReport
        The repaired layer (same index and columns) and what changed.

    Raises
    ------
    SchemaError
        A valid region would lose more than ``max_repair_pct`` of its area; the message names
        it, the region that would take it, and both fixes.
    """
    require_projected(regions)
    before = regions.geometry.to_numpy()
    invalid = ~shapely.is_valid(before)
    geoms = _polygonal(shapely.make_valid(before)) if invalid.any() else before.copy()
    involved = np.zeros(len(geoms), dtype=bool)
    overlap = 0.0
    # a layer that is already a clean coverage (the bundled one) is left as it is: coverage_clean
    # would only rewrite its vertices, at a third of a second for 92 regions; in a valid coverage
    # no two interiors meet, so there is no overlap to look for either
    if invalid.any() or not shapely.coverage_is_valid(geoms):
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        # neighbours in a coverage touch along edges; only interiors that meet are overlaps
        overlapping = shapely.relate_pattern(geoms[left], geoms[right], "T********")
        overlap = float(shapely.area(shapely.intersection(geoms[left[overlapping]],
                                                          geoms[right[overlapping]])).sum())
        involved[left[overlapping]] = involved[right[overlapping]] = True
        geoms = shapely.coverage_clean(geoms)  # type: ignore[attr-defined]  # shapely >= 2.1; the stubs lag
    # a clean coverage unions ten times faster by its shared edges than by overlay
    union = shapely.coverage_union_all(geoms)
    holes = np.array(
        [shapely.Polygon(ring) for poly in shapely.get_parts(union) for ring in poly.interiors], dtype=object
    )
    countries = regions["country"].to_numpy()
    filled, filled_area = 0, 0.0
    if len(holes):
        tree = shapely.STRtree(geoms)
        hole_idx, region_idx = tree.query(holes, predicate="touches")
        width = 2 * shapely.length(shapely.maximum_inscribed_circle(holes, tolerance=50.0))
        touching = pd.DataFrame({"hole": hole_idx, "region": region_idx, "country": countries[region_idx]})
        multi = touching.groupby("hole")["country"].nunique()
        slivers = [h for h in multi.index[multi > 1] if width[h] <= sliver_width_m]
        additions: dict[int, list[shapely.Geometry]] = {}
        for h in slivers:
            candidates = touching.loc[touching["hole"] == h, "region"].to_numpy()
            shared = shapely.length(shapely.intersection(shapely.boundary(geoms[candidates]), holes[h].exterior))
            additions.setdefault(int(candidates[np.argmax(shared)]), []).append(holes[h])
            filled_area += float(shapely.area(holes[h]))
        for k, parts in additions.items():
            geoms[k] = shapely.union_all([geoms[k], *parts])
        filled = len(slivers)
        if filled:
            # snapping again keeps the merged edges identical to the neighbours' edges
            geoms = shapely.coverage_clean(geoms)  # type: ignore[attr-defined]  # as above

    _check_moved_area(regions, before, geoms, invalid, involved, max_repair_pct)
    repaired = regions.copy()
    repaired.geometry = gpd.GeoSeries(geoms, index=regions.index, crs=regions.crs)
    report = RepairReport(
        made_valid=tuple(regions.index[invalid].astype(str)),
        area_change_km2=pd.Series(
            (shapely.area(geoms) - shapely.area(before)) / 1e6, index=regions.index, name="area_change_km2"
        ),
        slivers_filled=filled,
        sliver_area_km2=filled_area / 1e6,
        overlap_area_km2=overlap / 1e6,
        sliver_width_m=sliver_width_m,
    )
    return repaired, report


def _check_moved_area(regions: gpd.GeoDataFrame, before: np.ndarray, after: np.ndarray, invalid: np.ndarray,
                      involved: np.ndarray, max_repair_pct: float) -> None:
    """Fail when the repair gives more than ``max_repair_pct`` of a valid region's area to others.

    A region can lose area only to an overlapping neighbour (``involved``) or to the snapping of
    mismatched edges, which shows as a smaller area; the others are not measured.
    """
    smaller = shapely.area(after) < shapely.area(before) * (1 - max_repair_pct / 100)
    changed = np.flatnonzero(~invalid & (involved | smaller))
    if not len(changed):
        return
    area = shapely.area(before[changed])
    kept = shapely.area(shapely.intersection(before[changed], after[changed]))
    lost_pct = np.where(area > 0, 100 * (area - kept) / np.where(area > 0, area, 1), 0.0)
    problems = []
    codes = regions.index.astype(str).map(printable)
    tree = shapely.STRtree(after)
    for k in np.flatnonzero(lost_pct > max_repair_pct):
        i = changed[k]
        candidates = tree.query(before[i], predicate="intersects")
        candidates = candidates[candidates != i]
        taken = shapely.area(shapely.intersection(before[i], after[candidates])) if len(candidates) else np.array([])
        found = len(taken) and taken.max() > 0
        j = int(candidates[int(np.argmax(taken))]) if found else -1
        receiver = codes[j] if found else "no region"
        name = printable(str(regions["name"].iloc[i])) if "name" in regions.columns else codes[i]
        moved_km2 = (area[k] - kept[k]) / 1e6
        amount = f"{moved_km2:,.0f}" if moved_km2 >= 10 else f"{moved_km2:.2g}"
        accept = (f"raise [regions] max_repair_pct above {lost_pct[k]:.1f} to accept the change"
                  if lost_pct[k] < 99.95 else f"{name} would vanish")
        if found and invalid[j]:
            problems.append(
                f"the repair would give {amount} km² ({lost_pct[k]:.1f} %) of {name} ({codes[i]}), a valid polygon, "
                f"to {receiver} (its polygon was invalid and was made valid); fix the polygon of {receiver} in the "
                f"layer" + (f", or {accept}" if lost_pct[k] < 99.95 else f" ({accept})")
            )
        else:
            problems.append(
                f"{amount} km² ({lost_pct[k]:.1f} %) of {name} ({codes[i]}) lies under {receiver} too, and the repair "
                f"would give it to {receiver}; where two sources overlap along a border (NUTS beside Natural "
                f"Earth), {accept}; otherwise fix the polygons of {codes[i]} and {receiver} in the layer"
            )
    collect(problems, SchemaError, "region layer repair")


def shared_edges(
    regions: gpd.GeoDataFrame, *, tolerance_m: float = 0.0, contiguity: Literal["rook", "queen"] = "rook",
    executor: Executor = SERIAL,
) -> gpd.GeoDataFrame:
    """The boundary each pair of adjacent regions shares, with its length.

    In an edge-matched coverage (what :func:`repair_coverage` returns) shared edges are found by
    matching identical segments; otherwise candidate pairs come from an STRtree query and the
    shared line is the intersection of the two outlines, or, with a tolerance, the part of the
    first outline within ``tolerance_m`` of the second (for layers whose edges do not coincide
    exactly). Pairs that only touch at a point are left out with rook contiguity and kept, with
    a length of 0 and an empty line, with queen contiguity. With a tolerance, a contact no longer
    than ``2 * tolerance_m`` counts as a point contact: that is what a corner touch becomes once
    either side may move by the tolerance.

    Parameters
    ----------
    regions
        Region layer in a projected CRS, indexed by code; ideally a clean coverage
        (:func:`repair_coverage`).
    tolerance_m
        Snap tolerance in metres; 0 for exact shared edges. A shared length found with a
        tolerance includes up to ``tolerance_m`` of overshoot at each end.
    contiguity
        ``"rook"`` (a shared line) or ``"queen"`` (a shared line or a single point).
    executor
        Where the work runs (:mod:`borderland.compute`). A layer of more than
        ``executor.chunk_regions`` regions is split into chunks (:func:`borderland.compute.region_chunks`);
        each task takes a chunk and the regions around it, and keeps the pairs whose first
        region is in the chunk. A pair's line and length depend on its two regions alone, so
        the rows are the same, in the same order, whatever the split and wherever it runs.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region_a``, ``region_b`` (region codes, ``a`` before ``b`` in ``regions``
        order), ``shared_border_km`` and the shared line as geometry; one row per unordered pair.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000),
    ...                                      shapely.box(2000, 1000, 3000, 2000)], index=["P", "Q", "R"], crs=3035)
    >>> shared_edges(squares)[["region_a", "region_b", "shared_border_km"]].values.tolist()
    [['P', 'Q', 1.0]]
    >>> shared_edges(squares, contiguity="queen")[["region_a", "region_b", "shared_border_km"]].values.tolist()
    [['P', 'Q', 1.0], ['Q', 'R', 0.0]]
    """
    require_projected(regions)
    if contiguity not in ("rook", "queen"):
        raise ValueError(f"unknown contiguity {contiguity!r}; choose one of ['queen', 'rook']")
    if not tolerance_m >= 0:
        raise ValueError(f"tolerance_m is {tolerance_m!r}; expected a distance in metres >= 0")
    geoms = regions.geometry.to_numpy()
    chunks = _edge_chunks(geoms, executor.chunk_regions, tolerance_m)
    found: list[_Edges | None] = []
    if tolerance_m == 0:
        found = list(executor.map(_matched_task, [(Geometries(geoms[subset]), mine, contiguity)
                                                  for subset, mine in chunks]))
        if any(part is None for part in found):
            found = []
            warnings.warn(
                "the regions are not a valid polygonal coverage (some edges do not coincide with their neighbour's, "
                "or polygons overlap): shared edges are found by intersecting outlines instead, which misses pairs "
                "whose edges nearly but not exactly coincide; repair the layer first "
                "(borderland.layers.repair_coverage) or give a tolerance_m", BorderlandWarning, stacklevel=2,
            )
    if not found:
        found = list(executor.map(_intersected_task, [(Geometries(geoms[subset]), mine, tolerance_m, contiguity)
                                                      for subset, mine in chunks]))
    # positions in the layer rather than in each task's regions
    parts = [(subset[part[0]], subset[part[1]], part[2], part[3].array)
             for (subset, _), part in zip(chunks, found, strict=True) if part is not None]
    left, right, length, lines = (np.concatenate([part[k] for part in parts]) for k in range(4))
    # in the order of the regions, as one task over the whole layer (and libpysal) lists pairs
    order = np.lexsort((right, left))
    codes = regions.index.to_numpy()
    return gpd.GeoDataFrame({"region_a": codes[left[order]], "region_b": codes[right[order]],
                             "shared_border_km": length[order] / 1000.0}, geometry=lines[order], crs=regions.crs)


#: Pairs of a task: first and second region (positions), shared length (m) and line.
_Edges = tuple[np.ndarray, np.ndarray, np.ndarray, Geometries]


def _edge_chunks(geoms: np.ndarray, size: int, tolerance_m: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each task's regions (positions, sorted) and, among them, its chunk's (a boolean mask).

    A task holds its chunk and every region whose bounding box comes within ``tolerance_m``
    plus a metre of a chunk region's: every region that can share an edge or a point with one,
    and every polygon the coverage check of :func:`_outer_sides_free` (a millimetre off each
    outline) can find.
    """
    chunks = region_chunks(shapely.bounds(geoms), size)
    if len(chunks) == 1:
        return [(chunks[0], np.ones(len(geoms), dtype=bool))]
    tree = shapely.STRtree(geoms)
    margin = tolerance_m + 1.0
    tasks = []
    for chunk in chunks:
        bounds = shapely.bounds(geoms[chunk])
        bounds = bounds[np.isfinite(bounds).all(axis=1)]
        boxes = shapely.box(bounds[:, 0] - margin, bounds[:, 1] - margin, bounds[:, 2] + margin, bounds[:, 3] + margin)
        subset = np.union1d(chunk, tree.query(boxes)[1])
        tasks.append((subset, np.isin(subset, chunk)))
    return tasks


def _matched_task(task: tuple[Geometries, np.ndarray, str]) -> _Edges | None:
    """The matched edges of a task's regions whose first region is in its chunk; ``None`` if not a coverage."""
    geoms, mine, contiguity = task
    matched = _matched_edges(geoms.array, contiguity=contiguity)
    if matched is None:
        return None
    keep = mine[matched[0]]
    return matched[0][keep], matched[1][keep], matched[2][keep], Geometries(matched[3][keep])


def _intersected_task(task: tuple[Geometries, np.ndarray, float, str]) -> _Edges:
    """The intersected edges of a task's chunk regions with every later region of the task."""
    geoms, mine, tolerance_m, contiguity = task
    left, right, length, lines = _intersected_edges(geoms.array, np.flatnonzero(mine), shapely.STRtree(geoms.array),
                                                    tolerance_m=tolerance_m, contiguity=contiguity)
    return left, right, length, Geometries(lines)


# odd 64-bit multipliers of a multiplicative hash of the four coordinates of a segment
_HASH: Final = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                        dtype=np.uint64)


def _equal_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of rows that equal the next row once sorted, and that order.

    Rows are sorted by a hash of their bits (one integer sort) rather than by their four float
    columns (a lexicographic sort, three times slower); equal rows have equal hashes, and a
    collision (different rows, one hash) falls back to the exact sort.
    """
    bits = np.ascontiguousarray(key).view(np.uint64).reshape(len(key), -1)
    with np.errstate(over="ignore"):
        hashed = (bits * _HASH[: bits.shape[1]]).sum(axis=1, dtype=np.uint64)
    order = np.argsort(hashed, kind="stable")
    ordered = key[order]
    same_hash = hashed[order][1:] == hashed[order][:-1]
    equal = same_hash & (ordered[1:] == ordered[:-1]).all(axis=1)
    if (same_hash & ~equal).any():
        order = np.lexsort(key.T[::-1])
        ordered = key[order]
        equal = (ordered[1:] == ordered[:-1]).all(axis=1)
    return equal, order


def _matched_edges(
    geoms: np.ndarray, *, contiguity: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Shared edges of a clean coverage by matching identical segments; ``None`` if it is not one.

    In an edge-matched coverage (what :func:`repair_coverage` returns) a shared edge is the same
    chain of segments in both outlines, so pairs and lengths follow from sorting the segments:
    no polygon is intersected with another (libpysal's contiguity intersects them, five times
    slower at 100,000 regions). The coverage is checked on the way: a segment found in three
    outlines, or an unmatched segment whose outer side lies inside a polygon (an overlap, or a
    neighbour whose vertices differ), means it is not one.
    """
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        empty = np.array([], dtype=np.intp)
        return empty, empty, np.array([], dtype=float), np.array([], dtype=object)
    start = np.flatnonzero(coord_ring[:-1] == coord_ring[1:])
    owner = part_owner[ring_part[coord_ring[start]]]
    p0, p1 = coords[start], coords[start + 1]
    swap = (p0[:, 0] > p1[:, 0]) | ((p0[:, 0] == p1[:, 0]) & (p0[:, 1] > p1[:, 1]))
    key = np.where(swap[:, None], np.concatenate([p1, p0], axis=1), np.concatenate([p0, p1], axis=1))
    equal, order = _equal_rows(key)
    if (equal[1:] & equal[:-1]).any():
        return None  # a segment in three outlines: polygons overlap
    first, second = order[:-1][equal], order[1:][equal]
    owner_a, owner_b = owner[first], owner[second]
    if (owner_a == owner_b).any():
        return None  # a polygon's own parts share an edge
    matched = np.zeros(len(start), dtype=bool)
    matched[first] = matched[second] = True
    if not _outer_sides_free(geoms, coords, coord_ring, ring_part, start[~matched]):
        return None
    low, high = np.minimum(owner_a, owner_b), np.maximum(owner_a, owner_b)
    n = len(geoms)
    pairs, pair_of = np.unique(low.astype(np.int64) * n + high, return_inverse=True)
    # each shared segment once, as the lower region's outline runs
    segment = np.where(owner_a == low, first, second)
    a, b = coords[start[segment]], coords[start[segment] + 1]
    length = np.bincount(pair_of, weights=np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]), minlength=len(pairs))
    lines = _chained(coords, start, segment, pair_of, len(pairs))
    left, right = (pairs // n).astype(np.intp), (pairs % n).astype(np.intp)
    if contiguity == "queen":
        left, right, length, lines = _with_corners(coords, coord_ring, part_owner[ring_part], n, left, right,
                                                   length, lines)
    return left, right, length, lines


def _outer_sides_free(geoms: np.ndarray, coords: np.ndarray, coord_ring: np.ndarray, ring_part: np.ndarray,
                      unmatched: np.ndarray) -> bool:
    """Whether the outer side of every unmatched segment lies outside every polygon.

    In a clean coverage the unmatched segments are the outline of the whole: one side is a
    polygon's, the other is outside (the sea, a gap, an enclave left open). A point a millimetre
    off the middle of the segment, on the side away from its own polygon, must then fall in no
    polygon; where it falls in one, that polygon overlaps, or runs along the segment with other
    vertices.
    """
    if not len(unmatched):
        return True
    # each ring's orientation (shoelace), and whether it is its polygon's exterior (the first ring)
    x, y = coords[:, 0], coords[:, 1]
    cross = np.zeros(len(coords))
    same = coord_ring[:-1] == coord_ring[1:]
    cross[:-1] = np.where(same, x[:-1] * y[1:] - x[1:] * y[:-1], 0.0)
    ccw = np.bincount(coord_ring, weights=cross) > 0
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    ring = coord_ring[unmatched]
    interior_left = exterior[ring] == ccw[ring]
    a, b = coords[unmatched], coords[unmatched + 1]
    d = b - a
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    left_normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / norm[:, None]
    offset = 1e-3 * np.where(interior_left, -1.0, 1.0)[:, None] * left_normal
    probes = shapely.points((a + b) / 2 + offset)
    # the polygons ask (each prepared once for its point-in-polygon tests), not the points
    hit, _ = shapely.STRtree(probes).query(geoms, predicate="intersects")
    return not len(hit)


def _chained(coords: np.ndarray, start: np.ndarray, segment: np.ndarray, pair_of: np.ndarray,
             pairs: int) -> np.ndarray:
    """One line per pair from its shared segments: consecutive ones chained, the rest merged."""
    lines = np.empty(pairs, dtype=object)
    counts = np.bincount(pair_of, minlength=pairs)
    single = counts[pair_of] == 1
    # most neighbours of a fine layer share one segment: a two-point line each, built at once
    lines[pair_of[single]] = shapely.linestrings(
        np.stack([coords[start[segment[single]]], coords[start[segment[single]] + 1]], axis=1))
    if single.all():
        return lines
    seg, pair = segment[~single], pair_of[~single]
    order = np.lexsort((seg, pair))
    seg, pair = seg[order], pair[order]
    new_run = np.ones(len(seg), dtype=bool)
    # a run goes on while the next segment starts where this one ends, in the same ring
    new_run[1:] = (pair[1:] != pair[:-1]) | (start[seg[1:]] != start[seg[:-1]] + 1)
    last = np.r_[new_run[1:], True]
    run = np.cumsum(new_run) - 1
    # a run's vertices: the start of each of its segments, then the end of the last one
    vertex = np.concatenate([start[seg], start[seg[last]] + 1])
    vertex_run = np.concatenate([run, run[last]])
    place = np.concatenate([np.arange(len(seg)), np.flatnonzero(last) + 0.5])
    ordered = np.lexsort((place, vertex_run))
    runs = shapely.linestrings(coords[vertex[ordered]], indices=vertex_run[ordered])
    run_pair = pair[new_run]
    per_pair = np.bincount(run_pair, minlength=pairs)
    one = per_pair[run_pair] == 1
    lines[run_pair[one]] = runs[one]
    if (~one).any():
        ids, compact = np.unique(run_pair[~one], return_inverse=True)
        lines[ids] = shapely.line_merge(shapely.multilinestrings(runs[~one], indices=compact))
    return lines


def _with_corners(coords: np.ndarray, coord_ring: np.ndarray, ring_owner: np.ndarray, n: int, left: np.ndarray,
                  right: np.ndarray, length: np.ndarray,
                  lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add the pairs that share a vertex but no edge (queen contiguity), with length 0 and no line."""
    owners = ring_owner[coord_ring]
    vertices = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "owner": owners}).drop_duplicates()
    shared = vertices.merge(vertices, on=["x", "y"], suffixes=("_a", "_b"))
    shared = shared[shared["owner_a"] < shared["owner_b"]]
    corner = np.unique(shared["owner_a"].to_numpy(np.int64) * n + shared["owner_b"].to_numpy(np.int64))
    edge = left.astype(np.int64) * n + right
    corner = corner[~np.isin(corner, edge)]
    if not len(corner):
        return left, right, length, lines
    merged = np.concatenate([edge, corner])
    order = np.argsort(merged, kind="stable")
    empty = np.array([shapely.MultiLineString() for _ in range(len(corner))], dtype=object)
    return ((merged[order] // n).astype(np.intp), (merged[order] % n).astype(np.intp),
            np.concatenate([length, np.zeros(len(corner))])[order], np.concatenate([lines, empty])[order])


def edges_of(
    regions: gpd.GeoDataFrame,
    positions: np.ndarray,
    tree: shapely.STRtree,
    *,
    tolerance_m: float = 0.0,
    contiguity: str = "rook",
) -> gpd.GeoDataFrame:
    """The shared edges of the regions at ``positions`` with every later region of the layer, by intersection.

    What :func:`shared_edges` does on a layer that is not an edge-matched coverage, for some of
    its regions: the union over chunks of positions is exactly the whole.

    Parameters
    ----------
    regions
        The whole layer (projected, indexed by code).
    positions
        Row positions of the regions whose edges to find (each pair is reported by its first region).
    tree
        ``shapely.STRtree`` of the whole layer's geometries.
    tolerance_m, contiguity
        As in :func:`shared_edges`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`shared_edges`, for those regions only.
    """
    left, right, length, lines = _intersected_edges(regions.geometry.to_numpy(), np.asarray(positions, dtype=np.intp),
                                                    tree, tolerance_m=tolerance_m, contiguity=contiguity)
    codes = regions.index.to_numpy()
    return gpd.GeoDataFrame({"region_a": codes[left], "region_b": codes[right], "shared_border_km": length / 1000.0},
                            geometry=lines, crs=regions.crs)


def _intersected_edges(geoms: np.ndarray, positions: np.ndarray, tree: shapely.STRtree, *, tolerance_m: float,
                       contiguity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of the regions at ``positions`` with later regions, their lengths (m) and lines, by intersection."""
    if tolerance_m > 0:
        left, right = tree.query(geoms[positions], predicate="dwithin", distance=tolerance_m)
    else:
        left, right = tree.query(geoms[positions], predicate="intersects")
    left = positions[left]
    keep = left < right
    left, right = left[keep], right[keep]
    # outlines of the regions in play only: a chunk of a large layer touches a small part of it
    used = np.unique(np.concatenate([left, right]))
    outlines = np.empty(len(geoms), dtype=object)
    outlines[used] = shapely.boundary(geoms[used])
    if tolerance_m > 0:
        raw = shapely.intersection(outlines[left], shapely.buffer(outlines[right], tolerance_m))
    else:
        raw = shapely.intersection(outlines[left], outlines[right])
    lines = _linework(raw)
    length = shapely.length(lines)
    # a corner touch within the tolerance leaves two stubs of at most tolerance_m each
    rook = length > 2 * tolerance_m * (1 + 1e-9) if tolerance_m > 0 else length > 0
    if contiguity == "queen":
        touching = ~shapely.is_empty(raw) & ~rook
        lines[touching] = shapely.MultiLineString()
        length[touching] = 0.0
        chosen = rook | touching
    else:
        chosen = rook
    # in the order of the regions, as the matched path (and libpysal) lists pairs
    order = np.lexsort((right[chosen], left[chosen]))
    return left[chosen][order], right[chosen][order], length[chosen][order], lines[chosen][order]


def _linework(geometry: np.ndarray) -> np.ndarray:
    """Keep the lines of intersection results (dropping touching points) and merge them."""
    out = geometry.copy()
    mixed = shapely.get_type_id(out) == shapely.GeometryType.GEOMETRYCOLLECTION
    for k in np.flatnonzero(mixed):
        parts = shapely.get_parts(out[k])
        out[k] = shapely.multilinestrings(parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING])
    lines = np.isin(shapely.get_type_id(out), [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING])
    out[lines] = shapely.line_merge(out[lines])
    out[~lines & ~mixed] = shapely.MultiLineString()
    return out
