"""The boundary each pair of adjacent regions shares, with its length (:func:`shared_edges`).

In an edge-matched coverage the shared edges are found by matching identical segments, no
polygon intersected with another; otherwise, or with a tolerance, by intersecting outlines
(:func:`edges_of`). Either way in chunks of regions through an executor
(:mod:`borderland.compute`), with the same rows whatever the split.
"""

from __future__ import annotations

import warnings
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.compute import SERIAL, Executor, Geometries, region_chunks
from borderland.errors import BorderlandWarning
from borderland.layers.projection import require_projected

__all__ = ["edges_of", "shared_edges"]


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
