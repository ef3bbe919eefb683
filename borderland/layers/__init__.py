"""Region layers: validation, projection, one-off geometric repair and shared edges.

Real borderland layers mix sources (here NUTS 1:3M for the EU side and Natural Earth admin-1 for
the rest) whose polygons overlap and leave slivers along the very border we study. Everything
downstream (pairs, shared lengths, border lines) assumes a clean polygonal coverage, so the
repair happens once, here, and its effect is reported rather than hidden.

The package, in the order its modules import one another:

* :mod:`~borderland.layers.projection` -- one projected CRS: :func:`to_projected`,
  :func:`transformer`, :func:`reproject`, :func:`require_projected`;
* :mod:`~borderland.layers.regions` -- a layer read and checked: :func:`prepare_regions`,
  :func:`degree_problems`;
* :mod:`~borderland.layers.repair` -- the one-off repair: :func:`repair_coverage` ->
  :class:`RepairReport`;
* :mod:`~borderland.layers.edges` -- shared edges and their lengths: :func:`shared_edges`,
  :func:`edges_of`.
"""

from __future__ import annotations

from borderland.layers.edges import edges_of, shared_edges
from borderland.layers.projection import (
    DEFAULT_CRS,
    DENSIFY_DEG,
    reproject,
    require_projected,
    to_projected,
    transformer,
)
from borderland.layers.regions import REGION_COLUMNS, degree_problems, prepare_regions
from borderland.layers.repair import RepairReport, repair_coverage

__all__ = ["DEFAULT_CRS", "DENSIFY_DEG", "REGION_COLUMNS", "RepairReport", "degree_problems", "edges_of",
           "prepare_regions", "repair_coverage", "reproject", "require_projected", "shared_edges", "to_projected",
           "transformer"]
