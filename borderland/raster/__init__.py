"""Generic raster code: zonal statistics with exact coverage fractions and distance rasters.

Nothing here knows about borders or countries (the border measures that need a raster live in
:mod:`borderland.exposure`); every operation is windowed, so memory stays bounded whatever the
raster's size:

- **Zonal statistics with exact coverage.** A cell that a region covers partly counts with the
  fraction of its area inside the region (as exactextract does). The fractions come from Green's
  theorem, not from rasterising: the region's outline is cut at every grid line, each piece adds
  to its own cell and, by a running sum along the row, to the cells left of it (see
  :func:`borderland.raster.coverage._coverage`); the result equals shapely's cell-by-cell
  intersection areas to 1e-9. Regions are reprojected to the raster's CRS (densified first, so
  that edges follow the projection), never the raster to the regions': resampling a count raster
  does not preserve its counts. Fractions are taken in the raster's own grid, so for a grid in
  longitude and latitude (like GPW) a cell's fraction is that of its extent in degrees, which
  differs from its share of the cell's ground area by less than the change of the cosine of
  latitude across one cell (0.6 % at 55° N for a 15' cell). :func:`zonal_stats` gives sums,
  means, extremes and counts; :func:`zonal_weighted_mean` the mean of any function of position
  weighted by the raster's values (people placed at the centroid of each cell's covered part).
- **Distance to lines on a grid** in the lines' projected CRS, exact to the line
  (``target="line"``) or to the centre of the nearest cell a line crosses, as ``gdal_proximity``
  measures (``target="cells"``). See :func:`distance_raster`; :func:`line_distance` measures the
  same exact distance at any points.

rasterio is imported inside the functions that use it, so that ``import borderland`` stays fast.
Transforms are applied with ``@`` (affine 3 deprecates ``*``), and rasterio helpers that still
use ``*`` internally (``from_origin``, ``windows.transform``) are not called.

The package's modules, each using only those above it:

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.pixels`            opening a raster, its footprint, geometries moved into its pixel space
:mod:`.coverage`          exact coverage fractions (Green's theorem), window by window or all at once
:mod:`.zonal`             :func:`zonal_stats` and :func:`zonal_weighted_mean`
:mod:`.distance`          :func:`distance_raster` (strip by strip) and :func:`line_distance`
========================  ==========================================================================

Everything public is importable from here: ``from borderland import raster; raster.zonal_stats(...)``.
"""

from __future__ import annotations

from borderland.raster.distance import DISTANCE_NODATA, DISTANCE_TARGETS, distance_raster, line_distance
from borderland.raster.pixels import CHUNK_CELLS, READ_CACHE_MB, RasterLike, footprint, open_raster
from borderland.raster.zonal import ZONAL_STATS, zonal_stats, zonal_weighted_mean

__all__ = [
    "CHUNK_CELLS",
    "DISTANCE_NODATA",
    "DISTANCE_TARGETS",
    "READ_CACHE_MB",
    "ZONAL_STATS",
    "RasterLike",
    "distance_raster",
    "footprint",
    "line_distance",
    "open_raster",
    "zonal_stats",
    "zonal_weighted_mean",
]
