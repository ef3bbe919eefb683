"""Features for the web map, small: outlines cut at the antimeridian, shared arcs, repeated values once.

The interactive map (:mod:`borderland.maps.leaflet`) inlines every feature in the page, so what
it writes is most of the page's bytes. Three things make it small without losing anything the
page shows:

* **each shared boundary once** -- the regions are an edge-matched coverage (after repair, and
  still after ``coverage_simplify``): two neighbours list the same vertices along their common
  edge. :func:`topology` cuts every ring and line at its *junctions* (the points where the
  paths through a vertex diverge, as TopoJSON does) into arcs, keeps each distinct arc once and
  writes each ring as a list of arc indices (``~i``, i.e. ``-i - 1``, for arc ``i`` reversed);
* **integers, not decimals** -- the coordinates are quantised to steps of ``1 / scale`` degree
  and each arc is written as steps from the previous point (the first from the end of the
  previous arc), which are short numbers, written five bits a character (:func:`digits`)
  rather than as decimal JSON numbers;
* **each repeated value once** -- :func:`columns` writes properties column by column, a column
  of few distinct values (colours, classes, countries) as a dictionary and indices, whichever
  is shorter;
* **each year as a change** -- a map with a year control holds, per feature and year, a few
  integers (a class, a value in steps, a flag's number); :func:`year_columns` writes one text
  per year, each year as the change from the year before, which is mostly 0 or small.

:func:`split_antimeridian` cuts outlines that cross ±180° of longitude once they are in
EPSG:4326, so that no segment of the page spans more than 180° (Leaflet would draw it straight
across the map). Nothing here imports folium; the page decodes the features with
``maps/templates/helpers.js.j2``, and the tests with a decoder of their own.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from borderland.errors import SchemaError

__all__ = ["DIGITS", "GEOMETRY_TYPES", "Topology", "column", "columns", "digits", "numbers", "split_antimeridian",
           "topology", "year_columns"]

#: What the page can draw, by shapely type id.
GEOMETRY_TYPES: Final[Mapping[int, str]] = {1: "LineString", 3: "Polygon", 5: "MultiLineString",
                                            6: "MultiPolygon"}
_POLYGON: Final = 3


# -- the antimeridian --------------------------------------------------------------------------


def _crosses(coords: np.ndarray) -> bool:
    return bool(len(coords) > 1 and np.abs(np.diff(coords[:, 0])).max() > 180)


def _shifted(xy: np.ndarray, shift: float) -> np.ndarray:
    return xy - np.array([shift, 0.0])


def _sheets(geom: BaseGeometry, kind: str) -> list[BaseGeometry]:
    """The ``kind`` pieces of an unwrapped geometry (longitudes beyond ±180), moved back into -180..180."""
    west, _, east, _ = geom.bounds
    pieces = []
    for sheet in range(int(np.floor((west + 180) / 360)), int(np.floor((east + 180) / 360)) + 1):
        shift = 360.0 * sheet
        clipped = shapely.intersection(geom, shapely.box(shift - 180, -90, shift + 180, 90))
        moved = shapely.transform(clipped, functools.partial(_shifted, shift=shift))
        pieces += [part for part in shapely.get_parts(moved) if part.geom_type == kind and not part.is_empty]
    return pieces


def _unwrapped_polygon(polygon: shapely.Polygon) -> BaseGeometry:
    """A polygon with longitudes made continuous (they may pass ±180), closed over a pole if it circles one."""
    exterior = np.array(polygon.exterior.coords)
    exterior[:, 0] = np.unwrap(exterior[:, 0], period=360)
    lon = exterior[:, 0]
    if abs(lon[-1] - lon[0]) > 180:  # the ring goes once around the globe: it encloses a pole
        pole = 90.0 if exterior[:, 1].mean() > 0 else -90.0
        # along the pole in steps of 45 degrees: no segment of the result spans more than 180
        along = np.linspace(lon[-1], lon[0], 9)
        exterior = np.vstack([exterior, np.column_stack([along, np.full(9, pole)]), exterior[:1]])
    middle = exterior[:, 0].mean()
    holes = []
    for ring in polygon.interiors:
        hole = np.array(ring.coords)
        hole[:, 0] = np.unwrap(hole[:, 0], period=360)
        # on the exterior's sheet, whatever side of ±180 the hole starts on
        hole[:, 0] += 360.0 * np.round((middle - hole[:, 0].mean()) / 360)
        holes.append(hole)
    unwrapped = shapely.Polygon(exterior, holes)
    return unwrapped if unwrapped.is_valid else shapely.make_valid(unwrapped)


def _split(geom: BaseGeometry) -> BaseGeometry:
    """One geometry with every part that crosses ±180 cut there; untouched when none does."""
    polygonal = geom.geom_type in ("Polygon", "MultiPolygon")
    out: list[Any] = []
    changed = False
    for part in shapely.get_parts(geom):
        rings = [part.exterior, *part.interiors] if polygonal else [part]
        if not any(_crosses(np.asarray(ring.coords)) for ring in rings):
            out.append(part)
            continue
        changed = True
        if polygonal:
            # pieces of a cap around a pole meet again at the far side of the sheet: one polygon there
            pieces = shapely.union_all(_sheets(_unwrapped_polygon(part), "Polygon"))
            out += [piece for piece in shapely.get_parts(pieces) if piece.geom_type == "Polygon"]
        else:
            line = np.array(part.coords)
            line[:, 0] = np.unwrap(line[:, 0], period=360)
            out += _sheets(shapely.LineString(line), "LineString")
    if not changed:
        return geom
    return shapely.MultiPolygon(out) if polygonal else shapely.MultiLineString(out)


def split_antimeridian(geoms: np.ndarray) -> np.ndarray:
    """Cut outlines in EPSG:4326 where they cross ±180°, so that no segment spans more than 180°.

    A converted outline that crosses the antimeridian jumps from about 180° to about -180° (or
    back), and a web map would draw that jump as a line across the whole map. Each crossing
    ring or line is made continuous (longitudes beyond ±180), a ring that goes once around a
    pole is closed along it, and the result is cut by the antimeridian into pieces moved back
    into -180..180 (a polygon becomes a MultiPolygon, a line a MultiLineString). Geometries
    with no such segment are returned as they are (the same objects).

    Parameters
    ----------
    geoms
        Lines and polygons in longitude and latitude (missing and empty ones are left alone).

    Returns
    -------
    numpy.ndarray
        The geometries, those that crossed cut.

    Examples
    --------
    >>> import shapely
    >>> across = shapely.Polygon([(170, 60), (-170, 60), (-170, 70), (170, 70)])
    >>> sorted(piece.bounds for piece in split_antimeridian(np.array([across]))[0].geoms)
    [(-180.0, 60.0, -170.0, 70.0), (170.0, 60.0, 180.0, 70.0)]
    """
    out = np.asarray(geoms, dtype=object).copy()
    present = ~(shapely.is_missing(out) | shapely.is_empty(out))
    if not present.any():
        return out
    bounds = shapely.bounds(out[present])
    # a segment longer than 180 degrees makes the geometry wider than 180 degrees: test those only
    for i in np.flatnonzero(present)[bounds[:, 2] - bounds[:, 0] > 180]:
        out[i] = _split(out[i])
    return out


# -- numbers as text ---------------------------------------------------------------------------

#: The 64 digits of numbers written as text: URL-safe base64's, none of which JSON or HTML escapes.
DIGITS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def digits(values: np.ndarray, counts: np.ndarray) -> list[str]:
    """Signed integers as text, ``counts[k]`` of them in the ``k``-th string.

    Each integer is written as its zigzag code (0, -1, 1, -2, ... as 0, 1, 2, 3, ...) in
    groups of five bits, lowest first, each group one of :data:`DIGITS`: the group's value,
    plus 32 when another group of the same integer follows. Numbers between -16 and 15 take
    one digit, up to ±512 two, up to ±16,384 three: about half the bytes of JSON's decimal
    numbers and their commas (the coding of Google's polylines and of source maps).

    Parameters
    ----------
    values
        The integers, all strings' in a row.
    counts
        How many of them each string holds, in order (they sum to ``len(values)``).

    Returns
    -------
    list of str
        One string per count, of :data:`DIGITS` only.

    Examples
    --------
    >>> digits(np.array([0, -1, 1, 15, -16, 16, 500]), np.array([3, 4]))
    ['ABC', 'efgBof']
    >>> numbers('efgBof')
    [15, -16, 16, 500]
    """
    values = np.asarray(values, dtype=np.int64)
    code = np.where(values < 0, -2 * values - 1, 2 * values).astype(np.uint64)
    groups = np.ones(len(code), dtype=np.int64)
    rest = code >> np.uint64(5)
    while rest.any():
        groups += rest > 0
        rest >>= np.uint64(5)
    first = np.cumsum(groups) - groups
    text = np.empty(int(groups.sum()), dtype=np.uint8)
    alphabet = np.frombuffer(DIGITS.encode("ascii"), dtype=np.uint8)
    rest = code.copy()
    for level in range(int(groups.max()) if len(groups) else 0):
        here = groups > level
        group = (rest[here] & np.uint64(31)).astype(np.int64) + np.where(groups[here] > level + 1, 32, 0)
        text[first[here] + level] = alphabet[group]
        rest >>= np.uint64(5)
    joined = text.tobytes().decode("ascii")
    ends = np.concatenate([[0], np.cumsum(groups)])[np.concatenate([[0], np.cumsum(counts)])].tolist()
    return [joined[a:b] for a, b in itertools.pairwise(ends)]


def numbers(text: str) -> list[int]:
    """The integers of a text written by :func:`digits`, as the page reads them.

    Parameters
    ----------
    text
        Characters of :data:`DIGITS`.

    Returns
    -------
    list of int
        The integers, in order.

    Examples
    --------
    >>> numbers("ABCgB")
    [0, -1, 1, 16]
    """
    values, value, factor = [], 0, 1
    for char in text:
        digit = DIGITS.index(char)
        value += (digit & 31) * factor
        if digit < 32:
            values.append(-(value + 1) // 2 if value % 2 else value // 2)
            value, factor = 0, 1
        else:
            factor *= 32
    return values


# -- arcs --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Topology:
    """Features as shared arcs, in steps of ``1 / scale`` degree.

    Attributes
    ----------
    scale
        Steps per degree.
    arcs
        Each distinct arc once, as the text (:func:`digits`) of ``dx0, dy0, dx1, dy1, ...``:
        each point as steps from the one before, the first point from the last point of the
        previous arc (from 0, 0 for the first arc).
    types
        Geometry type of each feature (``"Polygon"``, ...), ``None`` where it has nothing to draw.
    geometries
        Each feature's paths nested as GeoJSON nests coordinates (a polygon is a list of rings,
        a multi-polygon a list of polygons, a line is one path). A path is the text
        (:func:`digits`) of its arcs in order, each as ``2 i`` (arc ``i``) or ``2 i + 1`` (arc
        ``i`` reversed), the first as is and each other as the difference from the one before.
        Consecutive arcs of a path share their end points. ``None`` where the feature has
        nothing to draw.
    """

    scale: int
    arcs: list[str]
    types: list[str | None]
    geometries: list[Any]


def _groups(owner: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each group of a sorted array of owners ``0 .. size - 1``."""
    length = np.bincount(owner, minlength=size)
    start = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
    return start, length


def _paths(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ring and line in feature order: the paths, their part, each part's feature, ring flags."""
    index = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    parts, part_feature = shapely.get_parts(geoms[index], return_index=True)
    part_feature = index[part_feature]
    polygon_parts = np.flatnonzero(shapely.get_type_id(parts) == _POLYGON)
    line_parts = np.flatnonzero(shapely.get_type_id(parts) != _POLYGON)
    rings, ring_part = shapely.get_rings(parts[polygon_parts], return_index=True)
    ring_part = polygon_parts[ring_part]
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]  # get_rings gives each exterior before its holes
    paths = np.concatenate([rings, parts[line_parts]])
    path_part = np.concatenate([ring_part, line_parts])
    closed = np.concatenate([np.ones(len(rings), dtype=bool), np.zeros(len(line_parts), dtype=bool)])
    exterior = np.concatenate([exterior, np.ones(len(line_parts), dtype=bool)])
    order = np.argsort(path_part, kind="stable")  # rings keep their order within their part
    return paths[order], path_part[order], part_feature, closed[order], exterior[order]


def _points(paths: np.ndarray, closed: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantised points of each path without repeats: no closing point, no point twice in a row."""
    coords, path_of = shapely.get_coordinates(paths, return_index=True)
    grid = np.rint(coords * scale).astype(np.int64)
    last = np.ones(len(path_of), dtype=bool)
    last[:-1] = path_of[1:] != path_of[:-1]
    keep = ~(last & closed[path_of])  # a ring's closing point is its first
    grid, path_of = grid[keep], path_of[keep]
    repeat = np.zeros(len(path_of), dtype=bool)
    repeat[1:] = (path_of[1:] == path_of[:-1]) & (grid[1:] == grid[:-1]).all(axis=1)
    grid, path_of = grid[~repeat], path_of[~repeat]
    # a ring that ends where it starts (after quantisation) would repeat that point when closed
    start, length = _groups(path_of, len(paths))
    end = start + length - 1
    wraps = closed & (length > 1)
    wraps[wraps] = (grid[end[wraps]] == grid[start[wraps]]).all(axis=1)
    drop = np.zeros(len(path_of), dtype=bool)
    drop[end[wraps]] = True
    return grid[~drop], path_of[~drop]


def _point_ids(grid: np.ndarray) -> np.ndarray:
    """Each point's rank among the distinct points, ordered by x, then y."""
    low = grid.min(axis=0)
    span = grid.max(axis=0) - low + 1
    if float(span[0]) * float(span[1]) < 2.0**62:
        # x and y as one integer in the same order: one sort of numbers rather than lexsort's two passes
        key = (grid[:, 0] - low[0]) * span[1] + (grid[:, 1] - low[1])
        return np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
    order = np.lexsort((grid[:, 1], grid[:, 0]))
    new = np.ones(len(order), dtype=bool)
    new[1:] = (grid[order][1:] != grid[order][:-1]).any(axis=1)
    point = np.empty(len(order), dtype=np.int64)
    point[order] = np.cumsum(new) - 1
    return point


def topology(geoms: np.ndarray, scale: int) -> Topology:
    """Lines and polygons in longitude and latitude as shared arcs of quantised points.

    Coordinates are rounded to steps of ``1 / scale`` degree; a point repeated after rounding
    is kept once, and a ring left with fewer than three points (or a line with fewer than two)
    is dropped, with the holes of a dropped exterior (it is smaller than a step). Every
    other point is kept: decoding gives back exactly the rounded outlines.

    Parameters
    ----------
    geoms
        LineString, MultiLineString, Polygon and MultiPolygon geometries (or missing / empty).
    scale
        Steps per degree (``10 ** decimals``).

    Returns
    -------
    Topology
        The arcs and each feature's references to them.

    Raises
    ------
    SchemaError
        A geometry is neither a line nor a polygon.

    Examples
    --------
    Two unit squares side by side share their middle edge, written once (arc 0) and used
    forwards (``2 * 0``) by one square and backwards (``2 * 0 + 1``) by the other; the west
    square continues with arc 1 (``0 + 2``), the east one with arc 2 (``1 + 3``):

    >>> import shapely
    >>> squares = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> shared = topology(squares, 1)
    >>> [[numbers(ring) for ring in polygon] for polygon in shared.geometries]
    [[[0, 2]], [[1, 3]]]
    >>> [numbers(arc) for arc in shared.arcs]
    [[1, 0, 0, 1], [0, 0, -1, 0, 0, -1, 1, 0], [0, 0, 1, 0, 0, 1, -1, 0]]
    """
    geoms = np.asarray(geoms, dtype=object)
    type_ids = shapely.get_type_id(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    unknown = sorted({shapely.get_type_id(g) for g in geoms[present & ~np.isin(type_ids, list(GEOMETRY_TYPES))]})
    if unknown:
        names = sorted({g.geom_type for g in geoms[present] if shapely.get_type_id(g) in unknown})
        raise SchemaError(f"cannot draw {names} geometries; expected lines or polygons")
    paths, path_part, part_feature, closed, exterior = _paths(geoms)
    grid, path_of = _points(paths, closed, scale)

    # rings of fewer than three points and lines of fewer than two have no extent; a part whose
    # exterior is gone takes its holes with it
    _, length = _groups(path_of, len(paths))
    kept = length >= np.where(closed, 3, 2)
    part_kept = np.zeros(len(part_feature), dtype=bool)
    part_kept[path_part[kept & exterior]] = True
    kept &= part_kept[path_part]
    renumber = np.cumsum(kept) - 1
    point_kept = kept[path_of]
    grid, path_of = grid[point_kept], renumber[path_of[point_kept]]
    path_part, closed = path_part[kept], closed[kept]
    n_paths = int(kept.sum())
    if n_paths == 0:
        return Topology(scale=scale, arcs=[], types=[None] * len(geoms), geometries=[None] * len(geoms))
    start, length = _groups(path_of, n_paths)
    position = np.arange(len(path_of)) - start[path_of]

    # one id per distinct point, numbered in order of x, then y
    point = _point_ids(grid)

    # a junction: a point whose paths arrive from or leave to different points, or a line's end
    size = length[path_of]
    ring = closed[path_of]
    before = np.where(ring, start[path_of] + (position - 1) % size, np.maximum(position - 1, 0) + start[path_of])
    after = np.where(ring, start[path_of] + (position + 1) % size,
                     np.minimum(position + 1, size - 1) + start[path_of])
    n_points = int(point.max()) + 1
    # the two neighbours as one number, whichever way the path runs (ids < n_points < 2 ** 31.5)
    neighbours = np.minimum(point[before], point[after]) * n_points + np.maximum(point[before], point[after])
    # a point is a junction where any visit's neighbours differ from those one visit left in `seen`
    # (whichever it was): no sort needed
    seen = np.empty(n_points, dtype=np.int64)
    seen[point] = neighbours
    junction = np.zeros(n_points, dtype=bool)
    junction[point[neighbours != seen[point]]] = True
    ends = ~ring & ((position == 0) | (position == size - 1))
    junction[point[ends]] = True
    at_junction = junction[point]

    # rings start at their first junction; a ring without one at its smallest point id, so that
    # the same ring met twice (an enclave and its hole) gives the same arc
    unset = np.iinfo(np.int64).max
    first_junction = np.minimum.reduceat(np.where(at_junction, position, unset), start)
    smallest = np.minimum.reduceat(point, start)
    first_smallest = np.minimum.reduceat(np.where(point == smallest[path_of], position, unset), start)
    offset = np.where(first_junction != unset, first_junction, first_smallest)
    offset[~closed] = 0
    walk_length = length + closed  # a ring walks back to its first point
    walk_start, _ = _groups(np.repeat(np.arange(n_paths), walk_length), n_paths)
    walk_path = np.repeat(np.arange(n_paths), walk_length)
    step = np.arange(int(walk_length.sum())) - walk_start[walk_path]
    walk = start[walk_path] + (offset[walk_path] + step) % length[walk_path]
    cut = at_junction[walk]
    cut[walk_start] = True
    cut[walk_start + walk_length - 1] = True
    cuts = np.flatnonzero(cut)
    pairs = walk_path[cuts[1:]] == walk_path[cuts[:-1]]
    arc_first, arc_last = cuts[:-1][pairs], cuts[1:][pairs]

    # each distinct arc once: the same points in either direction are one arc
    walk_point = point[walk].astype(np.int64)
    # an arc's ids as bytes, either way round, sliced from the walk's written once forwards and once backwards
    size, width = len(walk_point), walk_point.itemsize
    forwards, backwards = walk_point.tobytes(), walk_point[::-1].tobytes()
    table: dict[bytes, tuple[int, bytes]] = {}
    references = np.empty(len(arc_first), dtype=np.int64)
    stored_first: list[int] = []
    stored_last: list[int] = []
    for number, (first, last) in enumerate(zip(arc_first.tolist(), arc_last.tolist(), strict=True)):
        forward = forwards[first * width:(last + 1) * width]
        backward = backwards[(size - 1 - last) * width:(size - first) * width]
        key = min(forward, backward)
        found = table.get(key)
        if found is None:
            table[key] = (len(stored_first), forward)
            references[number] = len(stored_first)
            stored_first.append(first)
            stored_last.append(last)
        else:
            references[number] = found[0] if found[1] == forward else ~found[0]

    arcs: list[str] = []
    if stored_first:
        lengths = np.array(stored_last, dtype=np.int64) - np.array(stored_first, dtype=np.int64) + 1
        # the stored arcs' walk positions, one after another
        within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        points = grid[walk[np.repeat(np.array(stored_first, dtype=np.int64), lengths) + within]]
        steps = np.diff(points, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        arcs = digits(steps.ravel(), 2 * lengths)

    # each path: its arcs as 2 i (+ 1 if reversed), each from the one before; nested as the features nest paths
    arc_path = walk_path[arc_first]
    twice = np.where(references < 0, 2 * ~references + 1, 2 * references)
    new_path = np.ones(len(twice), dtype=bool)
    new_path[1:] = arc_path[1:] != arc_path[:-1]
    path_texts = digits(np.where(new_path, twice, twice - np.roll(twice, 1)),
                        np.bincount(arc_path, minlength=n_paths))
    part_paths: dict[int, list[str]] = {}
    for part, text in zip(path_part.tolist(), path_texts, strict=True):
        part_paths.setdefault(part, []).append(text)
    feature_parts: dict[int, list[list[str]]] = {}
    for part, feature in enumerate(part_feature.tolist()):
        if part in part_paths:
            feature_parts.setdefault(feature, []).append(part_paths[part])
    types: list[str | None] = [None] * len(geoms)
    geometries: list[Any] = [None] * len(geoms)
    for feature, parts in feature_parts.items():
        kind = GEOMETRY_TYPES[int(type_ids[feature])]
        types[feature] = kind
        if kind == "Polygon":
            geometries[feature] = parts[0]
        elif kind == "MultiPolygon":
            geometries[feature] = parts
        elif kind == "LineString":
            geometries[feature] = parts[0][0]
        else:
            geometries[feature] = [paths_[0] for paths_ in parts]
    return Topology(scale=scale, arcs=arcs, types=types, geometries=geometries)


# -- properties --------------------------------------------------------------------------------


def _length(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def column(values: Sequence[Any]) -> Any:
    """One property of every feature, in the shortest of three JSON forms.

    A list of the values; ``{"value": v}`` when every value is ``v``; or ``{"values": [...],
    "codes": [...]}``, each distinct value once (in order of first appearance) and each
    feature's index into them. Values are told apart by type as well (``1`` is not ``True``).

    Parameters
    ----------
    values
        One JSON value (text, number, boolean or ``None``) per feature.

    Returns
    -------
    list or dict
        Whichever form is the shortest as JSON (the list on a tie).

    Examples
    --------
    >>> column(["#41b6c4", "#41b6c4", "#ffffcc", "#41b6c4", "#41b6c4", "#ffffcc"])
    {'values': ['#41b6c4', '#ffffcc'], 'codes': [0, 0, 1, 0, 0, 1]}
    >>> column(["5.0 km"] * 4)
    {'value': '5.0 km'}
    >>> column(["a", "b"])
    ['a', 'b']
    """
    plain = list(values)
    distinct: dict[tuple[type, Any], int] = {}
    codes = [distinct.setdefault((type(v), v), len(distinct)) for v in plain]
    forms: list[Any] = [plain]
    if len(distinct) == 1:
        forms.append({"value": plain[0]})
    elif len(distinct) < len(plain):
        forms.append({"values": [v for _, v in distinct], "codes": codes})
    return min(forms, key=_length)  # the first of the shortest: the list on a tie


def columns(records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Properties of features as ``[[key, column], ...]`` (see :func:`column`).

    Keys are in order of first appearance; a feature without a key holds ``None`` there,
    which the page leaves out of its properties.

    Parameters
    ----------
    records
        Each feature's properties.

    Returns
    -------
    list
        ``[key, column]`` pairs.

    Examples
    --------
    >>> columns([{"name": "Alpha", "fill": "#41b6c4"}, {"name": "Beta", "fill": "#41b6c4", "dash": "5 4"},
    ...          {"name": "Gamma", "fill": "#41b6c4"}])
    [['name', ['Alpha', 'Beta', 'Gamma']], ['fill', {'value': '#41b6c4'}], ['dash', [None, '5 4', None]]]
    """
    keys = dict.fromkeys(key for record in records for key in record)
    return [[key, column([record.get(key) for record in records])] for key in keys]


# -- years -------------------------------------------------------------------------------------


def year_columns(values: np.ndarray) -> list[str]:
    """Integers of every feature (rows) in every year (columns) as one text per year.

    The first year's integers are written as they are, each later year's as the differences
    from the year before, feature by feature, each text by :func:`digits`; a year whose
    differences are all 0 (nothing changed) is the empty string. Decoding sums the years'
    integers from the first: a class, a value or a flag that holds from one year to the next
    costs one character, or nothing.

    Parameters
    ----------
    values
        Integers, features × years.

    Returns
    -------
    list of str
        One text per year (column), of :data:`DIGITS` only.

    Examples
    --------
    >>> year_columns(np.array([[1, 1, 3], [5, 5, 4]]))
    ['CK', '', 'EB']
    >>> [numbers(text) for text in ['CK', 'EB']]
    [[1, 5], [2, -1]]
    """
    grid = np.asarray(values, dtype=np.int64)
    if grid.ndim != 2:
        raise SchemaError(f"year columns need features × years integers; got an array of {grid.ndim} dimension(s)")
    changes = np.diff(grid, axis=1, prepend=np.zeros((grid.shape[0], 1), dtype=np.int64))
    texts = digits(changes.T.ravel(), np.full(grid.shape[1], grid.shape[0])) if grid.size else [""] * grid.shape[1]
    return ["" if not changes[:, year].any() else text for year, text in enumerate(texts)]
