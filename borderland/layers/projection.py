"""One projected CRS for the whole work: reprojection, once, and the check that layers are in it.

:func:`to_projected` moves a layer into the study's CRS (a layer in degrees densified first, so
that its edges stay where they were); :func:`transformer` keeps each pair of CRSs' transformer,
and :func:`reproject` moves bare geometries with it; :func:`require_projected` is the check
every measure of length, area and distance makes first.
"""

from __future__ import annotations

import functools
from typing import Final

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from borderland.errors import CRSError

__all__ = ["DEFAULT_CRS", "DENSIFY_DEG", "reproject", "require_projected", "to_projected", "transformer"]

#: Default projected CRS: ETRS89-LAEA Europe (equal area; planar distances differ from geodesic
#: ones by up to ~2 % over the bundled study area).
DEFAULT_CRS = "EPSG:3035"

#: Longest edge (degrees) of a layer in degrees when it is projected (:func:`to_projected`).
DENSIFY_DEG: Final = 1.0


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


#: Transformers kept (the least recently used is dropped first): a run uses three or four pairs.
_KEPT: Final = 32


def _identity(crs: CRS) -> str:
    """What makes two CRSs the same for a transformer: the EPSG code PROJ identifies with certainty, else the WKT.

    A raster's CRS read from a GeoTIFF (its own WKT of "WGS 84") and ``"EPSG:4326"`` are the same
    CRS, but their WKT (and so their hash) differ: keyed on the CRS objects, a run built the same
    transformer twice (0.05 s each). Only a code identified at 100 % confidence (equivalent
    definition, same axis order) stands for a CRS; the transformers of the two agree to the bit.
    """
    code = crs.to_epsg(min_confidence=100)
    return f"EPSG:{code}" if code is not None else crs.to_wkt()


def transformer(source: str | int | CRS, target: str | int | CRS) -> Transformer:
    """The transformer from ``source`` to ``target`` (x, y order), made once per pair of CRSs.

    ``Transformer.from_crs`` searches PROJ's database for the best operation, about 0.05 s a
    time; a run reprojects between the same two CRSs (the study's and the population raster's)
    several times, so each pair's transformer is kept (the same one ``from_crs`` would give). Two
    CRSs that are the same EPSG entry (a GeoTIFF's own WKT of EPSG:4326 and ``"EPSG:4326"``)
    share one; two different CRSs never do.

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
    >>> transformer(4326, 3035) is transformer(4258, 3035)
    False
    """
    return _transformer(_identity(CRS.from_user_input(source)), _identity(CRS.from_user_input(target)))


@functools.lru_cache(maxsize=_KEPT)  # thread-safe: the heavy steps may run in threads (borderland.compute)
def _transformer(source: str, target: str) -> Transformer:
    """The transformer between two CRSs as :func:`_identity` names them."""
    return Transformer.from_crs(source, target, always_xy=True)


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
