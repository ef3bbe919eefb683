"""Typology of regions by their index: leaders, moderate, lagging.

One facade, :func:`classify`, over a registry of rules, as mapclassify does for map classes.
Regions without an index get no class (``<NA>``), never the lowest one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError

#: Class labels, best first.
LABELS: Final[tuple[str, str, str]] = ("leader", "moderate", "lagging")


def _cut(values: pd.Series, low: float, high: float, labels: tuple[str, str, str]) -> pd.Series:
    best, middle, worst = labels
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[values >= high] = best
    out[(values < high) & (values > low)] = middle
    out[values <= low] = worst
    return out


def mean_sd(values: pd.Series, *, k: float = 0.5, labels: tuple[str, str, str] = LABELS) -> pd.Series:
    """Leaders at or above mean + k·sd, laggards at or below mean − k·sd, moderate between.

    Mean and (sample) standard deviation are taken over the regions with an index.

    Examples
    --------
    >>> mean_sd(pd.Series([0.0, 0.5, 1.0]), k=0.5).tolist()
    ['lagging', 'moderate', 'leader']
    """
    present = values.dropna()
    centre, spread = present.mean(), present.std(ddof=1)
    if np.isnan(spread) or spread == 0:
        # no spread, no leaders or laggards: every region with an index is moderate
        return _cut(values, -np.inf, np.inf, labels)
    return _cut(values, centre - k * spread, centre + k * spread, labels)


def reference_bands(
    values: pd.Series, *, upper: float = 1.1, lower: float = 0.9, labels: tuple[str, str, str] = LABELS
) -> pd.Series:
    """Bands relative to the mean: leaders >= ``upper`` x mean, laggards <= ``lower`` x mean.

    The rule of the EU Regional Innovation Scoreboard (110 % and 90 % of the reference average).
    """
    centre = values.dropna().mean()
    return _cut(values, lower * centre, upper * centre, labels)


def quantiles(values: pd.Series, *, labels: tuple[str, str, str] = LABELS) -> pd.Series:
    """Terciles: the top third leads, the bottom third lags."""
    present = values.dropna()
    low, high = present.quantile(1 / 3), present.quantile(2 / 3)
    return _cut(values, low, high, labels)


RULES: Final[Mapping[str, Callable[..., pd.Series]]] = {
    "mean_sd": mean_sd,
    "reference_bands": reference_bands,
    "quantiles": quantiles,
}


def classify(values: pd.Series, method: str = "mean_sd", **options: float) -> pd.Series:
    """Classify regions by their index with a rule of :data:`RULES`.

    Parameters
    ----------
    values
        The index, NaN for regions without one.
    method
        ``"mean_sd"`` (default, k = 0.5), ``"reference_bands"`` or ``"quantiles"``.
    **options
        The rule's own parameters (``k``; ``upper``/``lower``).

    Returns
    -------
    pandas.Series
        Named ``typology``, string dtype, ``<NA>`` where the index is missing.
    """
    try:
        rule = RULES[method]
    except KeyError:
        raise SchemaError(f"unknown typology method {method!r}; choose one of {sorted(RULES)}") from None
    try:
        return rule(values, **options).rename("typology")
    except TypeError as exc:
        raise SchemaError(f"typology {method!r}: {exc}") from None
