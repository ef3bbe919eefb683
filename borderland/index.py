"""The composite digitalisation index: normalise, orient, weight, aggregate.

Steps follow the OECD/JRC Handbook on Constructing Composite Indicators. Each choice is a named
entry of a registry, so a study file can name it and an error can list the alternatives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd

from borderland.errors import SchemaError


def min_max(values: pd.Series) -> pd.Series:
    """Rescale to [0, 1] over the regions that have a value (a constant column maps to 0.5).

    Examples
    --------
    >>> min_max(pd.Series([50.0, 75.0, 100.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    low, high = values.min(), values.max()
    if high == low:
        return values.where(values.isna(), 0.5)
    return (values - low) / (high - low)


def z_score(values: pd.Series) -> pd.Series:
    """Standardise to mean 0 and (sample) standard deviation 1."""
    spread = values.std(ddof=1)
    if not spread or np.isnan(spread):
        return values.where(values.isna(), 0.0)
    return (values - values.mean()) / spread


def percent_rank(values: pd.Series) -> pd.Series:
    """Percentile rank in (0, 1]; ties share their average rank."""
    return values.rank(pct=True, method="average")


NORMALISERS: Final[Mapping[str, Callable[[pd.Series], pd.Series]]] = {
    "minmax": min_max,
    "zscore": z_score,
    "rank": percent_rank,
}


def normalise(values: pd.Series, method: str = "minmax") -> pd.Series:
    """Normalise one indicator with a method of :data:`NORMALISERS`."""
    try:
        return NORMALISERS[method](values)
    except KeyError:
        raise SchemaError(f"unknown normalisation {method!r}; choose one of {sorted(NORMALISERS)}") from None


def arithmetic_mean(scores: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted arithmetic mean per row over the columns that have a value."""
    present = scores.notna()
    w = present.mul(weights, axis=1)
    return scores.fillna(0.0).mul(weights, axis=1).sum(axis=1) / w.sum(axis=1)


AGGREGATORS: Final[Mapping[str, Callable[[pd.DataFrame, pd.Series], pd.Series]]] = {
    "arithmetic": arithmetic_mean,
}


@dataclass(frozen=True)
class IndicatorSpec:
    """One component of the index.

    Attributes
    ----------
    name
        Component name (a column of the outputs).
    indicators
        Indicator names that measure it, in order of preference (one per statistical system,
        e.g. Eurostat's and Rosstat's names for internet users).
    direction
        ``"higher"`` when more is better, ``"lower"`` otherwise.
    weight
        Relative weight (any positive number; weights are normalised to sum to 1).
    unit
        Unit of the raw values, for labels.
    """

    name: str
    indicators: tuple[str, ...]
    direction: Literal["higher", "lower"] = "higher"
    weight: float = 1.0
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise SchemaError(f"component {self.name!r}: direction must be 'higher' or 'lower', not {self.direction!r}")
        if not self.weight > 0:
            raise SchemaError(f"component {self.name!r}: weight must be positive, not {self.weight!r}")
        if not self.indicators:
            raise SchemaError(f"component {self.name!r}: name at least one indicator")


@dataclass(frozen=True)
class IndexSpec:
    """How the composite index is built.

    Attributes
    ----------
    components
        The indicators and their direction and weight.
    normalisation
        A key of :data:`NORMALISERS`.
    aggregation
        A key of :data:`AGGREGATORS`.
    min_share
        Share of components (by count) a region must have to get an index; 1.0 = all.
    year
        The year of the values; ``None`` lets :func:`borderland.indicators.choose_year` pick it.
    """

    components: tuple[IndicatorSpec, ...]
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    min_share: float = 1.0
    year: int | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        problems = []
        if not self.components:
            problems.append("the index needs at least one component")
        if self.normalisation not in NORMALISERS:
            problems.append(f"unknown normalisation {self.normalisation!r}; choose one of {sorted(NORMALISERS)}")
        if self.aggregation not in AGGREGATORS:
            problems.append(f"unknown aggregation {self.aggregation!r}; choose one of {sorted(AGGREGATORS)}")
        if not 0 < self.min_share <= 1:
            problems.append(f"min_share must be in (0, 1], not {self.min_share!r}")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            problems.append(f"component names repeat: {names}")
        if problems:
            raise SchemaError("index specification: " + "; ".join(problems))

    @property
    def weights(self) -> pd.Series:
        """Effective weights, summing to 1."""
        raw = pd.Series({c.name: c.weight for c in self.components}, dtype=float)
        return raw / raw.sum()

    @property
    def indicator_names(self) -> dict[str, tuple[str, ...]]:
        """Component name -> indicator names."""
        return {c.name: c.indicators for c in self.components}


def normalised_scores(matrix: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    """Normalise each component over the regions that have it, oriented so that higher is better.

    Parameters
    ----------
    matrix
        Raw values, one column per component (see :func:`borderland.indicators.indicator_matrix`).
    spec
        The index specification.

    Returns
    -------
    pandas.DataFrame
        Same shape; NaN stays NaN.
    """
    scores = pd.DataFrame(index=matrix.index)
    for component in spec.components:
        values = matrix[component.name].astype(float)
        oriented = values if component.direction == "higher" else -values
        scores[component.name] = normalise(oriented, spec.normalisation)
    return scores


def composite_index(matrix: pd.DataFrame, spec: IndexSpec) -> pd.Series:
    """The composite index of each region; NaN ("no data") where too few components are present.

    Parameters
    ----------
    matrix
        Raw values, one column per component, indexed by region.
    spec
        The index specification.

    Returns
    -------
    pandas.Series
        Named ``index``, aligned to ``matrix``.

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",), direction="lower")))
    >>> matrix = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [30.0, 20.0, 10.0]}, index=list("xyz"))
    >>> composite_index(matrix, spec).tolist()
    [0.0, 0.5, 1.0]
    """
    missing = [c.name for c in spec.components if c.name not in matrix.columns]
    if missing:
        raise SchemaError(f"indicator matrix lacks component column(s) {missing}")
    scores = normalised_scores(matrix, spec)
    share = scores.notna().sum(axis=1) / len(spec.components)
    value = AGGREGATORS[spec.aggregation](scores, spec.weights)
    return value.where(share >= spec.min_share - 1e-12).rename("index")
