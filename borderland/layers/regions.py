"""A region layer read and checked: codes, countries, polygons, degrees, then projected (:func:`prepare_regions`).

Every problem of the layer as read is collected and reported at once; a layer in degrees is
checked for coordinates no degree can be and for outlines written the wrong way round the
globe (:func:`degree_problems`), and regions split at the antimeridian are joined again once
projected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import SchemaError, collect
from borderland.layers.projection import DEFAULT_CRS, to_projected
from borderland.specs import printable

__all__ = ["REGION_COLUMNS", "degree_problems", "prepare_regions"]

REGION_COLUMNS = ("name", "country", "level", "source")


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
        looks = ("; its coordinates look like degrees (longitude, latitude): EPSG:4326?"
                 if _in_degrees(frame.total_bounds) else "")
        problems.append(f"the layer has no CRS{looks}; set one (in QGIS, with GeoDataFrame.set_crs, or "
                        f"`ogr2ogr -a_srs EPSG:<code> fixed.gpkg {file or '<file>'}`) and save again")
    collect(problems, SchemaError, f"region layer {file!r}" if file else "region layer")

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


def _in_degrees(bounds: np.ndarray) -> bool:
    """Whether bounds (west, south, east, north) can be degrees of longitude and latitude."""
    west, south, east, north = (float(b) for b in bounds)
    return (bool(np.isfinite(bounds).all()) and west >= _DEGREES[0] and south >= _DEGREES[1]
            and east <= _DEGREES[2] and north <= _DEGREES[3])


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
    west, south, east, north = bounds = geometry[present].total_bounds
    if not _in_degrees(bounds):
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
