"""Normalisation: each component's values put on one oriented scale, and the transforms before it.

A normaliser is a named entry of :data:`NORMALISERS` (``minmax``, ``goalposts``, ``zscore``,
``rank``, ``reference``), so a study file can name it and an error can list the alternatives;
:func:`normalise` applies one, oriented so that higher is better, over a reference set of
regions (``over``). :data:`TRANSFORMS` (``none``, ``log``) apply to the raw values (and the
goalposts) first. Nothing here knows the index's specification: :mod:`borderland.index.build`
chooses the normaliser, its goalposts, reference and reference set for each component.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from borderland.errors import SchemaError

__all__ = ["NORMALISERS", "TRANSFORMS", "distance_to_reference", "goalposts", "min_max", "normalise", "percent_rank",
           "z_score"]

# --------------------------------------------------------------------------------------------
# normalisation


def _in_set(values: pd.Series, over: pd.Series | None) -> np.ndarray:
    """Whether each value's region is in the reference set (all of them when ``over`` is ``None``)."""
    if over is None:
        return np.ones(len(values), dtype=bool)
    aligned = over if over.index is values.index or over.index.equals(values.index) else \
        over.reindex(values.index, fill_value=False)
    return aligned.to_numpy(dtype=bool)


def _members(values: pd.Series, over: pd.Series | None) -> pd.Series:
    """The values of the reference set (every value when ``over`` is ``None``)."""
    return values if over is None else values[_in_set(values, over)]


def min_max(values: pd.Series, *, over: pd.Series | None = None) -> pd.Series:
    """Rescale to [0, 1] between the lowest and highest value of the reference set.

    Regions outside the reference set ``over`` are scored on the same scale, so they may fall
    outside [0, 1]. A constant reference set maps every value to 0.5.

    Examples
    --------
    >>> min_max(pd.Series([50.0, 75.0, 100.0])).tolist()
    [0.0, 0.5, 1.0]
    >>> min_max(pd.Series([50.0, 75.0, 100.0]), over=pd.Series([True, True, False])).tolist()
    [0.0, 1.0, 2.0]
    """
    members = _members(values, over)
    low, high = members.min(), members.max()
    if high == low or not np.isfinite(high - low):
        return values.where(values.isna(), 0.5)
    unit: pd.Series = (values - low) / (high - low)
    # clip the members: (v - low) / (high - low) can land a rounding error outside [0, 1]
    return unit.where(~_in_set(values, over), unit.clip(0.0, 1.0))


def z_score(values: pd.Series, *, over: pd.Series | None = None) -> pd.Series:
    """Standardise by the mean and (sample) standard deviation of the reference set.

    Examples
    --------
    >>> z_score(pd.Series([1.0, 2.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    members = _members(values, over)
    spread = members.std(ddof=1)
    if not spread or np.isnan(spread):
        return values.where(values.isna(), 0.0)
    return (values - members.mean()) / spread


def percent_rank(values: pd.Series, *, over: pd.Series | None = None) -> pd.Series:
    """Percentile rank among the reference set, in (0, 1]; ties share their average rank.

    A value's rank is the number of reference values below it plus half of those equal to it
    and one half: the average rank for a member, and where a region outside the set would
    stand among it.

    Examples
    --------
    >>> percent_rank(pd.Series([10.0, 30.0, 20.0, 20.0])).tolist()
    [0.25, 1.0, 0.625, 0.625]
    """
    members = np.sort(_members(values, over).dropna().to_numpy(dtype=float))
    if not len(members):
        return values * np.nan
    x = values.to_numpy(dtype=float)
    below = np.searchsorted(members, x, side="left")
    equal = np.searchsorted(members, x, side="right") - below
    ranks = (below + equal / 2 + 0.5) / len(members)
    return pd.Series(np.where(np.isnan(x), np.nan, ranks), index=values.index, name=values.name)


def goalposts(values: pd.Series, *, low: float, high: float) -> pd.Series:
    """Rescale fixed goalposts to [0, 1]: ``low`` maps to 0, ``high`` to 1, values beyond are capped.

    Unlike min-max, the scale does not move with the sample: a region's score does not change when
    another region is added, and 100 % of households online is 1 wherever it happens. Capping at
    the goalposts is deliberate (the OECD/JRC Handbook's practice, as in the HDI): the raw value
    is kept, and :func:`beyond_goalposts` flags and names each capped one.

    Examples
    --------
    >>> goalposts(pd.Series([-5.0, 25.0, 80.0, 120.0]), low=0.0, high=100.0).tolist()
    [0.0, 0.25, 0.8, 1.0]
    """
    return ((values - low) / (high - low)).clip(0.0, 1.0)


def distance_to_reference(values: pd.Series, *, reference: float) -> pd.Series:
    """Each value as a percentage of a reference value (100 = at the reference).

    Examples
    --------
    >>> distance_to_reference(pd.Series([45.0, 90.0, 99.0]), reference=90.0).tolist()
    [50.0, 100.0, 110.0]
    """
    return 100.0 * values / reference


@dataclass(frozen=True)
class _Context:
    """What a normaliser may need besides the values."""

    direction: str = "higher"
    goalposts: tuple[float, float] | None = None
    reference: float | None = None
    scale: tuple[float, float] = (0.0, 1.0)
    over: pd.Series | None = None


def _oriented(values: pd.Series, context: _Context) -> pd.Series:
    # for order-based normalisers, "lower is better" is the same as "higher is better" for -x
    return values if context.direction == "higher" else -values


def _rescaled(unit: pd.Series, scale: tuple[float, float]) -> pd.Series:
    low, high = scale
    return unit if (low, high) == (0.0, 1.0) else low + (high - low) * unit


def _norm_minmax(values: pd.Series, context: _Context) -> pd.Series:
    return _rescaled(min_max(_oriented(values, context), over=context.over), context.scale)


def _norm_zscore(values: pd.Series, context: _Context) -> pd.Series:
    return z_score(_oriented(values, context), over=context.over)


def _norm_rank(values: pd.Series, context: _Context) -> pd.Series:
    return percent_rank(_oriented(values, context), over=context.over)


def _norm_goalposts(values: pd.Series, context: _Context) -> pd.Series:
    if context.goalposts is None:
        raise SchemaError("goalposts normalisation needs goalposts = [low, high] for every component")
    low, high = context.goalposts
    unit = goalposts(values, low=low, high=high)
    return _rescaled(unit if context.direction == "higher" else 1.0 - unit, context.scale)


def _norm_reference(values: pd.Series, context: _Context) -> pd.Series:
    reference = context.reference
    if reference is None or not np.isfinite(reference) or reference <= 0:
        raise SchemaError(
            f"distance to reference needs a positive reference value, found {reference!r}; give the component "
            "a reference, or choose a reference group whose regions have values")
    pct = distance_to_reference(values, reference=reference)
    # "lower is better": mirror around 100 %, so that 10 % below the reference scores 110
    return pct if context.direction == "higher" else 200.0 - pct


#: Normalisers: name -> function(values, context) -> oriented scores (higher is better).
NORMALISERS: Final[Mapping[str, Callable[[pd.Series, _Context], pd.Series]]] = {
    "minmax": _norm_minmax,
    "goalposts": _norm_goalposts,
    "zscore": _norm_zscore,
    "rank": _norm_rank,
    "reference": _norm_reference,
}


def normalise(
    values: pd.Series,
    method: str = "minmax",
    *,
    direction: Literal["higher", "lower"] = "higher",
    goalposts: tuple[float, float] | None = None,
    reference: float | None = None,
    scale: tuple[float, float] = (0.0, 1.0),
    over: pd.Series | None = None,
) -> pd.Series:
    """Normalise one indicator with a method of :data:`NORMALISERS`, oriented so that higher is better.

    Parameters
    ----------
    values
        Raw (or transformed) values; NaN stays NaN.
    method
        ``"minmax"`` (over the sample), ``"goalposts"`` (fixed ``goalposts``, capped),
        ``"zscore"``, ``"rank"`` (percentile) or ``"reference"`` (% of ``reference``).
    direction
        ``"lower"`` turns the scale round: the lowest raw value gets the best score. For
        ``"reference"`` the percentage is mirrored around 100 (10 % below the reference scores 110).
    goalposts
        ``(low, high)`` in the units of ``values``, for ``"goalposts"``.
    reference
        The reference value, for ``"reference"``.
    scale
        Output range of ``"minmax"`` and ``"goalposts"`` (e.g. ``(1, 100)`` to keep every score
        positive for a geometric mean).
    over
        The reference set of the sample-based methods (``"minmax"``, ``"zscore"``,
        ``"rank"``): a boolean Series, true for the regions whose values set the scale; every
        region with a value when omitted.

    Returns
    -------
    pandas.Series
        Scores aligned to ``values``.

    Examples
    --------
    >>> normalise(pd.Series([10.0, 20.0, 30.0]), "minmax", direction="lower").tolist()
    [1.0, 0.5, 0.0]
    >>> normalise(pd.Series([80.0, 100.0]), "reference", direction="lower", reference=100.0).tolist()
    [120.0, 100.0]
    """
    try:
        normaliser = NORMALISERS[method]
    except KeyError:
        raise SchemaError(f"unknown normalisation {method!r}; choose one of {sorted(NORMALISERS)}") from None
    return normaliser(values.astype(float), _Context(direction, goalposts, reference, scale, over))


# --------------------------------------------------------------------------------------------
# transforms


def _no_transform(values: pd.Series) -> pd.Series:
    return values


def _log(values: pd.Series) -> pd.Series:
    bad = values[values <= 0]
    if len(bad):
        shown = ", ".join(f"{code} ({value:g})" for code, value in bad.head(5).items())
        raise SchemaError(f"a log transform needs values > 0; found {len(bad)} that are not: {shown}. "
                          "Drop transform = 'log' for this component, or use a rank normalisation")
    return pd.Series(np.log(values.to_numpy(dtype=float)), index=values.index, name=values.name)


#: Transforms applied to raw values (and to goalposts) before normalisation.
TRANSFORMS: Final[Mapping[str, Callable[[pd.Series], pd.Series]]] = {
    "none": _no_transform,
    "log": _log,
}
