"""Region layers: validation, projection and one-off geometric repair.

Real borderland layers mix sources (here NUTS 1:3M for the EU side and Natural Earth admin-1 for
the rest) whose polygons overlap and leave slivers along the very border we study. Everything
downstream (pairs, shared lengths, border lines) assumes a clean polygonal coverage, so the
repair happens once, here, and its effect is reported rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import CRSError, SchemaError, collect

#: Default projected CRS: ETRS89-LAEA Europe (equal area; planar distances differ from geodesic
#: ones by up to ~2 % over the bundled study area).
DEFAULT_CRS = "EPSG:3035"

REGION_COLUMNS = ("name", "country", "level", "source")


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
        top = ", ".join(f"{code} {self.area_change_km2[code]:+.0f} km²" for code in moved.nlargest(5).index)
        return (
            f"geometry repair: {len(self.made_valid)} invalid polygon(s) made valid"
            f"{' (' + ', '.join(self.made_valid) + ')' if self.made_valid else ''}; "
            f"{self.overlap_area_km2:.0f} km² of overlaps resolved; {self.slivers_filled} cross-border "
            f"sliver(s) up to {self.sliver_width_m / 1000:g} km wide filled ({self.sliver_area_km2:.0f} km²); "
            f"largest changes: {top or 'none'}"
        )


def prepare_regions(
    frame: gpd.GeoDataFrame,
    *,
    id_column: str = "region_id",
    name_column: str = "name",
    country_column: str = "country",
    level_column: str | None = "level",
    source: str | None = None,
    crs: str = DEFAULT_CRS,
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

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id``; columns ``name``, ``country``, ``level``, ``source``, geometry.
    """
    problems: list[str] = []
    for column in (id_column, name_column, country_column):
        if column not in frame.columns:
            problems.append(f"column {column!r} is missing (columns: {', '.join(map(str, frame.columns))})")
    if frame.crs is None:
        problems.append("the layer has no CRS; set one (e.g. in QGIS, or with GeoDataFrame.set_crs) and save again")
    collect(problems, SchemaError, "region layer")

    codes = frame[id_column].astype("string").str.strip()
    if frame.crs.is_geographic and not frame.geometry.isna().all():
        west, south, east, north = frame.total_bounds
        if west < -180.5 or east > 180.5 or south < -90.5 or north > 90.5:
            problems.append(
                f"coordinates reach {west:.0f}..{east:.0f}, {south:.0f}..{north:.0f}, impossible in degrees: the layer "
                f"says {frame.crs.to_string()} (GDAL assumes EPSG:4326 when a file states no CRS) but looks projected; "
                "set its real CRS (e.g. EPSG:3035) and save it again"
            )
        else:
            width = frame.geometry.bounds["maxx"] - frame.geometry.bounds["minx"]
            wrapped = codes[(width > 180).to_numpy()]
            if len(wrapped):
                problems.append(
                    f"{', '.join(wrapped.astype(str))} span more than 180° of longitude: the polygon crosses the "
                    "antimeridian and is drawn the wrong way round the globe; split it at 180° "
                    "(e.g. ogr2ogr -wrapdateline) and save it again"
                )
    blank = codes.isna() | (codes == "")
    if blank.any():
        problems.append(f"{int(blank.sum())} region(s) have a blank {id_column!r}; every region needs a code")
    country = frame[country_column].astype("string").str.strip()
    stateless = (country.isna() | (country == "")) & ~blank
    if stateless.any():
        problems.append(f"no country in {country_column!r} for: {', '.join(codes[stateless].astype(str))}; every "
                        "region needs its country's ISO alpha-2 code")
    dupes = codes[codes.duplicated(keep=False) & ~blank]
    if len(dupes):
        problems.append(f"duplicate codes in {id_column!r}: {', '.join(sorted(set(dupes)))}; codes must be unique")
    geoms = frame.geometry
    bad = geoms.isna() | geoms.is_empty
    if bad.any():
        problems.append(f"null or empty geometry for: {', '.join(codes[bad].fillna('?').astype(str))}; drop those "
                        "features or give them their polygons")
    polygonal = geoms.geom_type.isin(["Polygon", "MultiPolygon"]) | bad
    if not polygonal.all():
        kinds = sorted(set(geoms.geom_type[~polygonal].astype(str)))
        problems.append(
            f"regions must be polygons; found {', '.join(kinds)} for {', '.join(codes[~polygonal].astype(str))}; "
            "give a layer of the regions' polygons"
        )
    collect(problems, SchemaError, "region layer")

    out = gpd.GeoDataFrame(
        {
            "name": frame[name_column].astype("string").str.strip().fillna(codes).to_numpy(),
            "country": frame[country_column].astype("string").str.strip().str.upper().to_numpy(),
            "level": (frame[level_column].astype("string").to_numpy()
                      if level_column and level_column in frame.columns else pd.NA),
            "source": (frame["source"].astype("string").to_numpy() if "source" in frame.columns else source),
        },
        geometry=shapely.force_2d(geoms.to_numpy()),
        crs=frame.crs,
        index=pd.Index(codes.to_numpy(), name="region_id"),
    )
    return to_projected(out, crs)


def to_projected(frame: gpd.GeoDataFrame, crs: str = DEFAULT_CRS) -> gpd.GeoDataFrame:
    """Reproject to ``crs`` (a projected CRS in metres), once, at the start of the work.

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
    return frame if frame.crs == target else frame.to_crs(target)


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
    geoms = _polygonal(shapely.make_valid(before))
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    overlap = float(shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])).sum())

    geoms = shapely.coverage_clean(geoms)
    union = shapely.union_all(geoms)
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
            geoms = shapely.coverage_clean(geoms)

    _check_moved_area(regions, before, geoms, invalid, max_repair_pct)
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
                      max_repair_pct: float) -> None:
    """Fail when the repair gives more than ``max_repair_pct`` of a valid region's area to others."""
    changed = np.flatnonzero(~invalid & ~shapely.equals_exact(before, after, tolerance=0.0))
    if not len(changed):
        return
    area = shapely.area(before[changed])
    kept = shapely.area(shapely.intersection(before[changed], after[changed]))
    lost_pct = np.where(area > 0, 100 * (area - kept) / np.where(area > 0, area, 1), 0.0)
    problems = []
    codes = regions.index.astype(str)
    tree = shapely.STRtree(after)
    for k in np.flatnonzero(lost_pct > max_repair_pct):
        i = changed[k]
        candidates = tree.query(before[i], predicate="intersects")
        candidates = candidates[candidates != i]
        taken = shapely.area(shapely.intersection(before[i], after[candidates])) if len(candidates) else np.array([])
        receiver = codes[candidates[int(np.argmax(taken))]] if len(taken) and taken.max() > 0 else "no region"
        why = " (its polygon was invalid and was made valid)" if receiver != "no region" and invalid[
            candidates[int(np.argmax(taken))]] else ""
        name = regions["name"].iloc[i] if "name" in regions.columns else codes[i]
        moved_km2 = (area[k] - kept[k]) / 1e6
        amount = f"{moved_km2:,.0f}" if moved_km2 >= 10 else f"{moved_km2:.2g}"
        accept = (f", or raise [regions] max_repair_pct above {lost_pct[k]:.1f} to accept the change"
                  if lost_pct[k] < 99.95 else f" ({name} would vanish)")
        problems.append(
            f"the repair would give {amount} km² ({lost_pct[k]:.1f} %) of {name} ({codes[i]}), a valid polygon, to "
            f"{receiver}{why}; fix the polygon of {receiver} in the layer{accept}"
        )
    collect(problems, SchemaError, "region layer repair")


def shared_edges(
    regions: gpd.GeoDataFrame, *, tolerance_m: float = 0.0, contiguity: Literal["rook", "queen"] = "rook"
) -> gpd.GeoDataFrame:
    """The boundary each pair of adjacent regions shares, with its length.

    Candidate pairs come from an STRtree query; the shared line is the intersection of the two
    outlines, or, with a tolerance, the part of the first outline within ``tolerance_m`` of the
    second (for layers whose edges do not coincide exactly). Pairs that only touch at a point are
    left out with rook contiguity and kept, with a length of 0 and an empty line, with queen
    contiguity. With a tolerance, a contact no longer than ``2 * tolerance_m`` counts as a point
    contact: that is what a corner touch becomes once either side may move by the tolerance.

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
    return edges_of(regions, np.arange(len(geoms)), shapely.STRtree(geoms), tolerance_m=tolerance_m,
                    contiguity=contiguity)


def edges_of(
    regions: gpd.GeoDataFrame,
    positions: np.ndarray,
    tree: shapely.STRtree,
    *,
    tolerance_m: float = 0.0,
    contiguity: str = "rook",
) -> gpd.GeoDataFrame:
    """The shared edges of the regions at ``positions`` with every later region of the layer.

    :func:`shared_edges` is this over all positions; :mod:`borderland.distributed` runs it on
    chunks of positions in parallel, so that the union of the chunks is exactly the whole.

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
    geoms = regions.geometry.to_numpy()
    positions = np.asarray(positions, dtype=np.intp)
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
    codes = regions.index.to_numpy()
    return gpd.GeoDataFrame(
        {"region_a": codes[left[chosen]], "region_b": codes[right[chosen]],
         "shared_border_km": length[chosen] / 1000.0},
        geometry=lines[chosen],
        crs=regions.crs,
    )


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
