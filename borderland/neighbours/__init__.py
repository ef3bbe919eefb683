"""Neighbourhoods: one neighbour graph per run, and every measure that needs adjacency.

A :class:`NeighbourGraph` is built once, from the shared edges of the region layer (rook or
queen contiguity, a snap tolerance, optional extra links such as ferries; islands reported), and
passed to every step that needs to know who neighbours whom:

- **border rings** (:meth:`NeighbourGraph.border_order`): 1 touches a land border, k is k − 1
  steps inland within the same country;
- **spatial lags** (:meth:`NeighbourGraph.lag`): the (weighted) mean of the neighbours' values,
  over all neighbours, those in the same country or those across a border;
- the **pair table** (:func:`pair_table`): one row per unordered pair of neighbours, with both
  sides' values, the signed, absolute and relative gap, which side leads and how the gap ranks;
- the **local deviation** of each region from its neighbours (:func:`local_deviation`), as in
  ESPON HyperAtlas and the R package MTA: the region's value minus a lag, against all,
  same-country and cross-border neighbours, and the difference between the last two, the
  *border effect*;
- **segment summaries** (:func:`segment_summary`): per border segment (``RU-FI``...), the
  length-weighted gap, the largest gaps, the segment's share of the whole cross-border gap and,
  where one was published, a country-pair figure joined to it;
- Moran's I, LISA and the Theil groups of :mod:`borderland.spatial`.

The graph holds its links as sorted integer arrays (compressed rows: the links of region ``i``
are ``offsets[i]:offsets[i + 1]``), so lags and rings are a few vectorised numpy operations.
libpysal's ``Graph.build_contiguity(by_perimeter=True)`` gives the same pairs and lengths on a
perfect coverage (tested), but it refuses overlapping mixed-source layers, it has no line
geometry, countries, extra links or orientation of the gap, and importing it costs about 1.5 s;
:meth:`NeighbourGraph.to_libpysal` exports the graph for users who want libpysal's tools.

The package's modules, each using only those above it:

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.graph`             :class:`NeighbourGraph` and :func:`neighbour_graph`: contiguity, extra
                          links, islands, rings, lags
:mod:`.pairs`             the pair table: :func:`adjacent_pairs`, :func:`pair_gaps`, :func:`pair_table`
:mod:`.deviation`         :func:`local_deviation` (graph lags) and the border effect
:mod:`.segments`          :func:`segment_summary` and :func:`published_pair_figures`
========================  ==========================================================================

Everything public is importable from here: ``from borderland.neighbours import neighbour_graph``.
"""

from __future__ import annotations

from borderland.neighbours.deviation import AGGREGATIONS, local_deviation
from borderland.neighbours.graph import CONTIGUITY_LINKS, SCOPES, NeighbourGraph, Scope, neighbour_graph
from borderland.neighbours.pairs import adjacent_pairs, pair_gaps, pair_table, relative_gap
from borderland.neighbours.segments import PUBLISHED_PAIR_INDICATOR, published_pair_figures, segment_summary

__all__ = [
    "AGGREGATIONS",
    "CONTIGUITY_LINKS",
    "PUBLISHED_PAIR_INDICATOR",
    "SCOPES",
    "NeighbourGraph",
    "Scope",
    "adjacent_pairs",
    "local_deviation",
    "neighbour_graph",
    "pair_gaps",
    "pair_table",
    "published_pair_figures",
    "relative_gap",
    "segment_summary",
]
