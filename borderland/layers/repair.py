"""One-off geometric repair of a mixed-source region layer into a clean coverage (:func:`repair_coverage`).

Real borderland layers mix sources (NUTS beside Natural Earth) whose polygons overlap and leave
slivers along the very border we study; the repair happens once, and its effect is reported
(:class:`RepairReport`) rather than hidden, and refused where it would redraw a valid region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import SchemaError, collect
from borderland.layers.projection import require_projected
from borderland.specs import printable

__all__ = ["RepairReport", "repair_coverage"]


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
