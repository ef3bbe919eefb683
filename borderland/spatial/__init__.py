"""Spatial statistics of an indicator or the index: Moran's I, local Moran (LISA), Theil index.

Moran's I and LISA are computed here, vectorised with numpy on the arrays of the run's one
:class:`borderland.neighbours.NeighbourGraph`, restricted to the regions that have a value and
a neighbour with one, with row-standardised binary weights. They are not taken from esda: its
import (with libpysal's and scipy.stats') costs about 1.5 s, twice the time the whole bundled
run may take beyond its bare imports, for a few dozen lines of arithmetic. The formulas are
esda's (``Moran``, ``Moran_Local``): the statistic, its expectation and variance under
normality and randomisation (Cliff and Ord), the two-sided analytical p-values, and pseudo
p-values from (conditional) permutations, ``(k + 1) / (permutations + 1)`` with ``k`` the
permuted statistics at least as extreme on the observed side. ``tests/test_spatial.py`` checks
the statistics against esda to 1e-12 and the pseudo p-values for statistical agreement (the
random streams differ). Permutations take an explicit generator or seed and never touch NumPy's
global state.

The Theil index is written here (a dozen lines) rather than taken from the ``inequality``
package, whose ``TheilD`` counts every region once whatever its population and decomposes one
partition at a time; a divide between a region of seven million people and one of half a million
must weigh them by population, and the pipeline decomposes the same total by country, by border
ring (:meth:`~borderland.neighbours.NeighbourGraph.border_order` on the same graph) and by side
at once.

Two rules a referee asks for are enforced here:

- **LISA and multiple testing.** A region's cluster is significant at ``significance`` after a
  correction of :data:`LISA_CORRECTIONS` over the regions tested: ``"fdr"`` (the default), the
  Benjamini and Hochberg (1995) false discovery rate, whose q-values :func:`benjamini_hochberg`
  computes, or ``"none"``, each pseudo p-value on its own.
- **Theil needs a ratio scale.** Theil's T compares each value with the mean as a ratio, so its
  between-group share depends on where the zero lies: an index whose zero is the weakest region
  (min-max), the mean (z-scores) or that carries only order (ranks) has no meaningful share.
  :func:`ratio_scale_problem` states the rule for an index, :func:`index_theil_table` refuses an
  index that breaks it, and :func:`theil_table` decomposes any ratio-scale values (the raw
  component percentages) into one long table.
"""

from __future__ import annotations

from borderland.spatial.autocorrelation import (
    CHUNK_DRAWS,
    CORRECTION_NAMES,
    LISA_CORRECTIONS,
    QUADRANTS,
    MoranResult,
    benjamini_hochberg,
    local_moran,
    morans_i,
)
from borderland.spatial.inequality import (
    index_theil_table,
    ratio_scale_problem,
    theil_decomposition,
    theil_groups,
    theil_table,
)

__all__ = ["CHUNK_DRAWS", "CORRECTION_NAMES", "LISA_CORRECTIONS", "QUADRANTS", "MoranResult", "benjamini_hochberg",
           "index_theil_table", "local_moran", "morans_i", "ratio_scale_problem", "theil_decomposition",
           "theil_groups", "theil_table"]
