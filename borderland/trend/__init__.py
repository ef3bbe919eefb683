"""The study over the years: the index on one scale, the divide each year, convergence (``borderland trend``).

Every run of :mod:`borderland.pipeline` is a snapshot of one year. :func:`run` follows the same
borderland over the years of ``[trend]`` (every year with data by default), in four steps, each
a module of this package:

========================  =========================================================================
module                    computes
========================  =========================================================================
:mod:`.panel`             every component's value per region and year under its year rule, with
                          the year, definition, publisher and flags of each; where a series
                          changes definition or publisher, carries a break flag, or starts under
                          new codes (another NUTS version, a coarser level before)
:mod:`.scoring`           the index of every year on one fixed scale (a base year's min and max,
                          the goalposts, or all years pooled) with fixed weights
:mod:`.divide`            each cross-border pair's gap each year, its trend (slope with a
                          confidence interval, first-to-last change, closed / narrowed / widened /
                          changed sign), each segment's (a within-pair slope), the border effect
:mod:`.convergence`       sigma convergence (SD, CV), beta convergence, the Theil between-side share
:mod:`.regression`        the least-squares slopes behind them, vectorised over pairs and series
========================  =========================================================================

It stays honest: a year with fewer than ``min_regions_per_side`` indexed regions on a side is
left out and listed; a change of definition, publisher, a flagged break or new codes is
flagged, and no trend runs across such a change; nothing is interpolated unless ``[trend]
interpolate`` asks, and an interpolated value is marked. :func:`check` runs every input check
(it is what ``borderland validate`` adds for a study with ``[trend]``) before anything is
computed.

Three more modules hold the run itself, in the order they import one another:

* :mod:`~borderland.trend.checks` -- every input check: :func:`check` -> :class:`Prepared`;
* :mod:`~borderland.trend.result` -- :class:`TrendResult` and its summary;
* :mod:`~borderland.trend.tables` -- the tables from checked inputs (:func:`compute`), and
  :func:`run`, the load, the checks and the tables in order.

Examples
--------
>>> result = run()
>>> result.years, result.left_out["year"].tolist()[:3]
((2021, 2022), [2006, 2007, 2008])
"""

from __future__ import annotations

from borderland.trend.checks import OTHERS, Prepared, check, index_spec, trend_spec, year_ranges
from borderland.trend.result import TrendResult
from borderland.trend.tables import compute, run, year_start

__all__ = ["OTHERS", "Prepared", "TrendResult", "check", "compute", "index_spec", "run", "trend_spec", "year_ranges",
           "year_start"]
