"""The composite digitalisation index: transform, impute, normalise, orient, weight, aggregate.

Steps follow the OECD/JRC Handbook on Constructing Composite Indicators (2008) and COINr. Each
choice is a named entry of a registry, so a study file can name it and an error can list the
alternatives:

========================  ==========================================================================
step                      registry
========================  ==========================================================================
transform                 :data:`TRANSFORMS` (``none``, ``log``), per component
imputation                :data:`IMPUTATIONS` (``none``, ``country``, ``side``)
normalisation             :data:`NORMALISERS` (``minmax``, ``goalposts``, ``zscore``, ``rank``,
                          ``reference``)
weighting                 :data:`WEIGHTINGS` (``equal``, ``user``, ``pca``)
aggregation               :data:`AGGREGATORS` (``arithmetic``, ``geometric``)
========================  ==========================================================================

:func:`build_index` runs them all and returns an :class:`IndexResult` (index, normalised scores,
imputation flags, effective weights); :func:`composite_index` is its index alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

import numpy as np
import pandas as pd

from borderland.errors import SchemaError, collect
from borderland.indicators import YEAR_RULES, YearKind, YearRule
from borderland.specs import Problem, SpecError, printable, shown, unknown_keys

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

# --------------------------------------------------------------------------------------------
# aggregation


def arithmetic_mean(scores: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted arithmetic mean per row over the columns that have a value.

    Examples
    --------
    >>> arithmetic_mean(pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, None]}), pd.Series({"a": 0.75, "b": 0.25})).tolist()
    [0.25, 1.0]
    """
    present = scores.notna()
    w = present.mul(weights, axis=1)
    return scores.fillna(0.0).mul(weights, axis=1).sum(axis=1) / w.sum(axis=1)


def geometric_mean(scores: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Weighted geometric mean per row over the columns that have a value.

    Only partly compensatory: a low score is not made good by a high one as easily as in the
    arithmetic mean. It needs strictly positive scores and never replaces a zero silently (a zero
    would make the index 0 whatever the other components): min-max and goalposts normalisation
    give 0 to the lowest region, so use them with a positive ``scale`` (e.g. ``[1, 100]``), or
    normalise by rank or by distance to a reference.

    Examples
    --------
    >>> geometric_mean(pd.DataFrame({"a": [1.0, 4.0], "b": [4.0, None]}), pd.Series({"a": 0.5, "b": 0.5})).tolist()
    [2.0, 4.0]
    """
    rows, columns = np.nonzero(scores.le(0).to_numpy())  # NaN compares False: missing is not "bad"
    if len(rows):
        listed = ", ".join(f"{scores.index[r]!s} {scores.columns[c]!s} ({scores.to_numpy(dtype=float)[r, c]:g})"
                           for r, c in zip(rows[:5], columns[:5], strict=True))
        raise SchemaError(
            f"the geometric mean needs scores > 0; {len(rows)} are not: {listed}. Normalise onto a positive range "
            "([index] scale = [1, 100] with minmax or goalposts), normalise by rank or reference, or aggregate "
            "arithmetically")
    present = scores.notna().to_numpy(dtype=float)
    w = weights.reindex(scores.columns).to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        logs = np.log(scores.fillna(1.0).to_numpy(dtype=float))
    return pd.Series(np.exp((logs @ w) / (present @ w)), index=scores.index)


AGGREGATORS: Final[Mapping[str, Callable[[pd.DataFrame, pd.Series], pd.Series]]] = {
    "arithmetic": arithmetic_mean,
    "geometric": geometric_mean,
}

#: Normalisers whose scores can be zero or negative whatever the data (with the default scale).
_NON_POSITIVE = {"zscore": "z-scores are negative below the mean", "minmax": "min-max gives 0 to the lowest region"}

# --------------------------------------------------------------------------------------------
# specification


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
        Relative weight (any positive number; weights are normalised to sum to 1). Only read by
        the ``"user"`` weighting.
    unit
        Unit of the raw values, for labels.
    transform
        A key of :data:`TRANSFORMS` applied before normalisation (``"log"`` for skewed values
        such as GDP per head).
    year_rule
        Which year's value to take (:class:`borderland.indicators.YearRule`).
    goalposts
        ``(low, high)`` in raw units for the ``"goalposts"`` normalisation (e.g. ``(0, 100)``
        for a percentage).
    reference
        A fixed reference value in raw units for the ``"reference"`` normalisation (e.g. the EU
        average); ``None`` takes the mean of the index's reference group.
    definitions
        ``(indicator name, definition)`` pairs: what each indicator measures (source, age band,
        recall period, unit). Values of two names are comparable when their definitions are
        identical (:mod:`borderland.comparability`); names without a definition are comparable
        only with themselves.
    adjust
        ``(indicator name, amount)`` pairs: an amount in raw units added to every value of that
        indicator in the comparability analysis's adjusted scenario (never in the index itself),
        e.g. to bring one definition onto the other's.
    adjust_source
        Where the amounts of ``adjust`` come from (a publication, a bridge table), carried into
        the comparability table.

    Examples
    --------
    >>> users = IndicatorSpec("users", ("users_15_74", "users_weekly"),
    ...                       definitions=(("users_weekly", "16-74, at least weekly"),),
    ...                       adjust=(("users_weekly", -2.5),))
    >>> users.definition("users_weekly"), users.definition("users_15_74"), users.adjustment("users_weekly")
    ('16-74, at least weekly', None, -2.5)
    """

    name: str
    indicators: tuple[str, ...]
    direction: Literal["higher", "lower"] = "higher"
    weight: float = 1.0
    unit: str = ""
    transform: str = "none"
    year_rule: YearRule = field(default_factory=YearRule)
    goalposts: tuple[float, float] | None = None
    reference: float | None = None
    definitions: tuple[tuple[str, str], ...] = ()
    adjust: tuple[tuple[str, float], ...] = ()
    adjust_source: str = ""

    def __post_init__(self) -> None:
        where = f"[[index.components]] ({self.name})"
        problems = []

        def bad(key: str, value: Any, expected: str, fix: str = "") -> None:
            problems.append(Problem(f"{where} {key}", value, expected, fix))

        if self.direction not in ("higher", "lower"):
            bad("direction", self.direction, 'expected "higher" (more is better) or "lower"')
        if not _is_number(self.weight) or not self.weight > 0 or not math.isfinite(self.weight):
            bad("weight", self.weight, "expected a positive number")
        if isinstance(self.indicators, str) or not self.indicators:
            bad("indicators", list(self.indicators), "expected a list of at least one indicator name")
        if not isinstance(self.transform, str) or self.transform not in TRANSFORMS:
            bad("transform", self.transform, f"expected one of {', '.join(map(shown, sorted(TRANSFORMS)))}")
        if not isinstance(self.year_rule, YearRule):
            bad("year_rule", self.year_rule, "expected a YearRule")
        if self.goalposts is not None:
            pair = tuple(self.goalposts)
            if len(pair) != 2 or not all(_is_number(v) and math.isfinite(v) for v in pair) or not pair[0] < pair[1]:
                bad("goalposts", list(pair), "expected two numbers [low, high] with low < high")
            elif self.transform == "log" and pair[0] <= 0:
                bad("goalposts", list(pair), "goalposts are log-transformed with the values, so low must be > 0")
        if self.reference is not None and (
                not _is_number(self.reference) or not math.isfinite(self.reference) or self.reference <= 0):
            bad("reference", self.reference, "expected a positive number")
        known = () if isinstance(self.indicators, str) else tuple(self.indicators)
        checks: tuple[tuple[str, Any, Callable[[Any], bool], str], ...] = (
            ("definitions", self.definitions, _is_text, "a text"),
            ("adjust", self.adjust, _is_finite_number, "a finite number"))
        for key, pairs, valid, expected in checks:
            if not isinstance(pairs, tuple) or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
                bad(key, pairs, "expected (indicator name, value) pairs")
                continue
            named = [p[0] for p in pairs]
            strangers = [n for n in named if n not in known]
            if strangers:
                bad(key, strangers, f"names indicators the component does not have; its indicators are {list(known)}")
            if len(set(named)) != len(named):
                bad(key, named, "names an indicator twice")
            invalid = {n: v for n, v in pairs if not valid(v)}
            if invalid:
                bad(key, invalid, f"expected {expected} for each indicator")
        if not isinstance(self.adjust_source, str):
            bad("adjust_source", self.adjust_source, "expected a text")
        elif self.adjust_source and not self.adjust:
            bad("adjust_source", self.adjust_source, "names the source of an adjustment, but adjust gives none",
                "add adjust = { <indicator> = <amount> } or drop adjust_source")
        if problems:
            raise SpecError(f"component {self.name!r}", problems)

    def definition(self, indicator: str) -> str | None:
        """The declared definition of one of the component's indicators, ``None`` when none is given."""
        return dict(self.definitions).get(indicator)

    def adjustment(self, indicator: str) -> float:
        """The amount added to an indicator's values in the adjusted scenario (0 when none is given)."""
        return float(dict(self.adjust).get(indicator, 0.0))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_group(value: Any, names: tuple[str, ...]) -> bool:
    return isinstance(value, str) and (value in names or (value.startswith("country:") and len(value) > 8))


def geometric_conflict(normalisation: str, scale: tuple[float, float]) -> str | None:
    """Why a geometric mean cannot take scores of this normalisation, or ``None`` when it can.

    The geometric mean needs scores > 0; min-max gives 0 to the lowest region unless the scale
    starts above 0, and z-scores are negative below the mean.

    Examples
    --------
    >>> geometric_conflict("minmax", (0.0, 1.0))
    'the geometric mean needs scores > 0 but min-max gives 0 to the lowest region'
    >>> geometric_conflict("minmax", (1.0, 100.0)) is None
    True
    """
    if normalisation == "zscore" or (normalisation == "minmax" and scale[0] <= 0):
        return f"the geometric mean needs scores > 0 but {_NON_POSITIVE[normalisation]}"
    return None


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
    notes
        Free text carried along (e.g. caveats shown in reports).
    weighting
        A key of :data:`WEIGHTINGS`: ``"user"`` (the components' weights, 1 each unless given),
        ``"equal"``, or ``"pca"`` (squared loadings on the first principal component).
    imputation
        A key of :data:`IMPUTATIONS`: ``"none"``, ``"country"`` or ``"side"`` mean. Only
        regions that have at least ``min_share`` of the components are imputed.
    reference
        Reference group of the ``"reference"`` normalisation, whose mean is 100: ``"all"``
        regions, the ``"focus"`` country's side, the ``"others"``, or ``"country:FI"``.
    scale
        Output range of the ``"minmax"`` and ``"goalposts"`` normalisations.
    normalise_over
        The reference set whose values set the scale of the sample-based normalisations
        (``"minmax"``, ``"zscore"``, ``"rank"``): ``"indexed"`` (the regions that get an
        index, i.e. have ``min_share`` of the components: ranks "among the indexed regions"),
        ``"all"`` (every region with a value of the component), or a group: ``"focus"``,
        ``"others"``, ``"country:FI"``; regions outside a group are scored on its scale.
    """

    components: tuple[IndicatorSpec, ...]
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    min_share: float = 1.0
    year: int | None = None
    notes: tuple[str, ...] = field(default=())
    weighting: str = "user"
    imputation: str = "none"
    reference: str = "all"
    scale: tuple[float, float] = (0.0, 1.0)
    normalise_over: str = "indexed"

    def __post_init__(self) -> None:
        problems: list[Problem] = []

        def bad(key: str, value: Any, expected: str, fix: str = "") -> None:
            problems.append(Problem(f"[index] {key}", value, expected, fix))

        if not self.components:
            problems.append(Problem("[index] components", None, "the index needs at least one component",
                                    "add [[index.components]] tables", show_value=False))
        for key, registry in (("normalisation", NORMALISERS), ("aggregation", AGGREGATORS),
                              ("weighting", WEIGHTINGS), ("imputation", IMPUTATIONS)):
            value = getattr(self, key)
            if not isinstance(value, str) or value not in registry:
                bad(key, value, f"expected one of {', '.join(map(shown, sorted(registry)))}")
        if not _is_number(self.min_share) or not 0 < self.min_share <= 1:
            bad("min_share", self.min_share, "expected a share of components in (0, 1]")
        if self.year is not None and (isinstance(self.year, bool) or not isinstance(self.year, int)):
            bad("year", self.year, 'expected "auto" or a year such as 2021')
        if not _is_group(self.reference, ("all", "focus", "others")):
            bad("reference", self.reference, 'expected "all", "focus", "others" or "country:XX"')
        if not _is_group(self.normalise_over, ("indexed", "all", "focus", "others")):
            bad("normalise_over", self.normalise_over, 'expected "indexed", "all", "focus", "others" or "country:XX"')
        scale = tuple(self.scale) if isinstance(self.scale, tuple | list) else ()
        scale_ok = len(scale) == 2 and all(_is_number(v) and math.isfinite(v) for v in scale) and scale[0] < scale[1]
        if not scale_ok:
            bad("scale", self.scale, "expected two numbers [low, high] with low < high")
        else:
            object.__setattr__(self, "scale", (float(scale[0]), float(scale[1])))
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            bad("components", names, "component names repeat", "give each component its own name")
        if self.weighting != "user":
            weighted = [c.name for c in self.components if c.weight != 1.0]
            if weighted:
                bad("weighting", self.weighting, f"ignores the weights given to {weighted}",
                    'drop those weights or set weighting = "user"')
        if self.normalisation == "goalposts":
            lacking = [c.name for c in self.components if c.goalposts is None]
            if lacking:
                bad("normalisation", "goalposts", f"component(s) {lacking} have no goalposts",
                    "add goalposts = [low, high] to each of them")
        if self.normalisation == "reference":
            logged = [c.name for c in self.components if c.transform == "log"]
            if logged:
                bad("normalisation", "reference", f"a ratio of raw values, which a log transform of {logged} makes "
                    "meaningless", "drop the transform or choose another normalisation")
        if self.aggregation == "geometric" and scale_ok and not problems:
            conflict = geometric_conflict(self.normalisation, self.scale)
            if conflict:
                fix = ('set [index] scale = [1, 100], or normalisation = "rank" or "reference", '
                       'or aggregation = "arithmetic"' if self.normalisation == "minmax" else
                       'set [index] normalisation = "minmax" with scale = [1, 100], or "rank" or "reference", '
                       'or aggregation = "arithmetic"')
                bad("aggregation", "geometric", conflict, fix)
        if problems:
            raise SpecError("[index]", problems)

    @property
    def weights(self) -> pd.Series:
        """Nominal weights, summing to 1 (``"pca"`` weights depend on the data: see :func:`component_weights`)."""
        if self.weighting == "pca":
            raise SchemaError("PCA weights depend on the data; get them from component_weights(scores, spec) "
                              "or build_index(...).weights")
        if self.weighting == "equal":
            return pd.Series(1.0 / len(self.components), index=[c.name for c in self.components], name="weight")
        raw = pd.Series({c.name: c.weight for c in self.components}, dtype=float, name="weight")
        return raw / raw.sum()

    @property
    def indicator_names(self) -> dict[str, tuple[str, ...]]:
        """Component name -> indicator names."""
        return {c.name: c.indicators for c in self.components}

    @property
    def year_rules(self) -> dict[str, YearRule]:
        """Component name -> year rule, for :func:`borderland.indicators.component_values`."""
        return {c.name: c.year_rule for c in self.components}


# --------------------------------------------------------------------------------------------
# weighting


def _equal_weights(scores: pd.DataFrame, spec: IndexSpec) -> tuple[pd.Series, str]:
    return spec.weights, ""


def _user_weights(scores: pd.DataFrame, spec: IndexSpec) -> tuple[pd.Series, str]:
    return spec.weights, ""


def _pca_weights(scores: pd.DataFrame, spec: IndexSpec) -> tuple[pd.Series, str]:
    complete = scores.dropna()
    names = [c.name for c in spec.components]
    if len(names) < 2:
        return pd.Series(1.0, index=names, name="weight"), ""
    spread = complete.std(ddof=1)
    if len(complete) < 3 or (spread.fillna(0) == 0).any():
        raise SchemaError(f"PCA weights need at least 3 regions with every component and no constant component; "
                          f"found {len(complete)} complete region(s). Choose weighting 'equal' or 'user'")
    corr = np.corrcoef(complete[names].to_numpy(dtype=float), rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(corr)  # ascending
    # squared loadings of the first component, scaled to sum to one (OECD/JRC Handbook, step 6);
    # their sign is irrelevant, which also settles the arbitrary sign of an eigenvector
    weights = pd.Series(eigenvectors[:, -1] ** 2, index=names, name="weight")
    explained = eigenvalues[-1] / eigenvalues.sum()
    return weights / weights.sum(), f"PCA: the first component explains {explained:.0%} of the variance"


#: Weightings: name -> function(scores, spec) -> (weights summing to 1, note).
WEIGHTINGS: Final[Mapping[str, Callable[[pd.DataFrame, IndexSpec], tuple[pd.Series, str]]]] = {
    "equal": _equal_weights,
    "user": _user_weights,
    "pca": _pca_weights,
}


def component_weights(scores: pd.DataFrame, spec: IndexSpec) -> pd.Series:
    """The effective weights of the components, summing to 1.

    Parameters
    ----------
    scores
        Normalised scores, one column per component (PCA is run on the regions that have all).
    spec
        The index specification (its ``weighting``).

    Returns
    -------
    pandas.Series
        Named ``weight``, indexed by component name. A region lacking a component has the others'
        weights scaled up to sum to 1.

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), weight=3), IndicatorSpec("b", ("b",))))
    >>> component_weights(pd.DataFrame({"a": [0.0], "b": [1.0]}), spec).tolist()
    [0.75, 0.25]
    """
    return WEIGHTINGS[spec.weighting](scores, spec)[0].rename("weight")


# --------------------------------------------------------------------------------------------
# imputation


def _no_groups(countries: pd.Series | None, focus_country: str | None) -> pd.Series | None:
    return None


def _country_groups(countries: pd.Series | None, focus_country: str | None) -> pd.Series | None:
    if countries is None:
        raise SchemaError("imputation 'country' needs each region's country: pass countries=regions['country']")
    return countries.astype("string")


def _side_groups(countries: pd.Series | None, focus_country: str | None) -> pd.Series | None:
    if countries is None or focus_country is None:
        raise SchemaError("imputation 'side' needs each region's country and the focus country: pass "
                          "countries=regions['country'] and focus_country (e.g. 'RU')")
    return pd.Series(np.where(countries.eq(focus_country), "focus", "others"), index=countries.index)


#: Imputations: name -> function(countries, focus_country) -> group of each region (None: no imputation).
IMPUTATIONS: Final[Mapping[str, Callable[[pd.Series | None, str | None], pd.Series | None]]] = {
    "none": _no_groups,
    "country": _country_groups,
    "side": _side_groups,
}


def _reference_value(
    values: pd.Series, spec: IndexSpec, countries: pd.Series | None, focus_country: str | None
) -> float:
    if spec.reference == "all":
        return float(values.mean())
    if countries is None:
        raise SchemaError(f"reference {spec.reference!r} needs each region's country: "
                          "pass countries=regions['country']")
    if spec.reference in ("focus", "others"):
        if focus_country is None:
            raise SchemaError(f"reference {spec.reference!r} needs the focus country: pass focus_country (e.g. 'RU')")
        on_focus = countries.reindex(values.index).eq(focus_country)
        return float(values[on_focus if spec.reference == "focus" else ~on_focus].mean())
    country = spec.reference.removeprefix("country:")
    return float(values[countries.reindex(values.index).eq(country)].mean())


# --------------------------------------------------------------------------------------------
# the index


@dataclass(frozen=True)
class IndexResult:
    """The index and everything needed to explain it, all indexed like the input matrix.

    Attributes
    ----------
    index
        The composite index (``index``); NaN ("no data") where a region has too few components.
    scores
        Normalised, oriented component scores (higher is better), one column per component.
    values
        Raw values after imputation (before the transform), one column per component.
    imputed
        ``True`` where a value was imputed; columns ``<component>_imputed``.
    share
        Share of components a region has before imputation (``component_share``).
    weights
        Effective weights (``weight``), summing to 1.
    notes
        What the run decided on the way (e.g. PCA's explained variance, imputation counts, the
        values outside their goalposts).
    beyond
        ``True`` where an observed value lies outside its component's goalposts; columns
        ``<component>_beyond_goalposts``, for the components with goalposts
        (:func:`beyond_goalposts`).
    """

    index: pd.Series
    scores: pd.DataFrame
    values: pd.DataFrame
    imputed: pd.DataFrame
    share: pd.Series
    weights: pd.Series
    notes: tuple[str, ...] = ()
    beyond: pd.DataFrame = field(default_factory=pd.DataFrame)


def impute(
    matrix: pd.DataFrame,
    spec: IndexSpec,
    *,
    countries: pd.Series | None = None,
    focus_country: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing component values with their country's or side's mean, flagging each one.

    Only regions that have at least ``spec.min_share`` of the components are filled, and only
    from regions of the same group that have the value; a group without any value leaves the gap.

    Parameters
    ----------
    matrix
        Raw values, one column per component, indexed by region.
    spec
        The index specification (``imputation``, ``min_share``).
    countries
        Each region's country (needed by ``"country"`` and ``"side"``).
    focus_country
        The study's focus country (needed by ``"side"``).

    Returns
    -------
    tuple of pandas.DataFrame
        The filled values, and the flags (``<component>_imputed``, boolean).

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))), min_share=0.5,
    ...                  imputation="country")
    >>> matrix = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, None]}, index=list("xyz"))
    >>> filled, flags = impute(matrix, spec, countries=pd.Series(["P", "P", "P"], index=list("xyz")))
    >>> float(filled.loc["z", "b"]), flags["b_imputed"].tolist()
    (15.0, [False, False, True])
    """
    names = [c.name for c in spec.components]
    values = matrix[names].astype(float)
    flags = pd.DataFrame(False, index=matrix.index, columns=[f"{n}_imputed" for n in names])
    groups = IMPUTATIONS[spec.imputation](countries, focus_country)
    if groups is None:
        return values, flags
    groups = groups.reindex(matrix.index)
    share = values.notna().sum(axis=1) / len(names)
    eligible = share >= spec.min_share - 1e-12
    means = values.groupby(groups).transform("mean")
    filled = values.copy()
    for name in names:
        fill = eligible & values[name].isna() & means[name].notna()
        filled.loc[fill, name] = means.loc[fill, name]
        flags[f"{name}_imputed"] = fill
    return filled, flags


def reference_set(
    spec: IndexSpec, eligible: pd.Series, countries: pd.Series | None, focus_country: str | None
) -> pd.Series | None:
    """The regions whose values set the scale (``spec.normalise_over``); ``None`` for every region.

    Parameters
    ----------
    spec
        The index specification.
    eligible
        The regions that get an index (enough components), indexed like the matrix.
    countries, focus_country
        For a group (``"focus"``, ``"others"``, ``"country:XX"``).

    Returns
    -------
    pandas.Series or None
        True for the regions of the reference set.

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)),), normalise_over="country:FI")
    >>> reference_set(spec, pd.Series(True, index=list("xy")), pd.Series(["FI", "RU"], index=list("xy")),
    ...               None).tolist()
    [True, False]
    """
    over = spec.normalise_over
    if over == "all":
        return None
    if over == "indexed":
        return eligible.astype(bool)
    if countries is None:
        raise SchemaError(f"[index] normalise_over = {over!r} needs each region's country: "
                          "pass countries=regions['country']")
    country = countries.reindex(eligible.index)
    if over in ("focus", "others"):
        if focus_country is None:
            raise SchemaError(f"[index] normalise_over = {over!r} needs the focus country: set [study] focus_country")
        on_focus = country.eq(focus_country).fillna(False).astype(bool)
        return on_focus if over == "focus" else ~on_focus
    return country.eq(over.removeprefix("country:")).fillna(False).astype(bool)


def _transformed(filled: pd.DataFrame, component: IndicatorSpec) -> tuple[pd.Series, tuple[float, float] | None]:
    """A component's values and goalposts after its transform."""
    transform = TRANSFORMS[component.transform]
    values = transform(filled[component.name].dropna()).reindex(filled.index)
    posts = component.goalposts
    if posts is not None and component.transform != "none":
        low, high = transform(pd.Series(posts, dtype=float)).tolist()
        posts = (float(low), float(high))
    return values, posts


def _empty_reference(spec: IndexSpec, values: pd.Series, over: pd.Series | None,
                     countries: pd.Series | None) -> str | None:
    """Why the reference set of a sample-based normalisation holds no value of a component, if it holds none."""
    if over is None or spec.normalisation not in ("minmax", "zscore", "rank") or (over & values.notna()).any():
        return None
    problem = f"no region of the reference set ([index] normalise_over = {shown(spec.normalise_over)}) has a value"
    if countries is not None:
        with_value = sorted(map(str, countries.reindex(values.index)[values.notna()].dropna().unique()))
        problem += f"; the countries with a value: {', '.join(with_value) or 'none'}"
    return problem


def _absent_country(spec: IndexSpec, countries: pd.Series | None) -> str | None:
    """``normalise_over = "country:XX"`` naming a country none of the regions is in."""
    over = spec.normalise_over
    if not over.startswith("country:") or countries is None:
        return None
    present = sorted(map(str, countries.dropna().unique()))
    wanted = over.removeprefix("country:")
    if wanted in present:
        return None
    return (f"[index] normalise_over = {shown(over)}: no region of the study is in {wanted}; its countries are "
            f"{', '.join(present) or 'none'}: set normalise_over = \"country:{present[0] if present else 'XX'}\" "
            "(or another of them), \"focus\", \"others\" or \"indexed\"")


def reference_problems(
    matrix: pd.DataFrame,
    spec: IndexSpec,
    *,
    countries: pd.Series | None = None,
    focus_country: str | None = None,
) -> list[str]:
    """What :func:`build_index` would refuse in ``[index] normalise_over``, found without computing the index.

    A reference set (``"country:XX"``, ``"focus"``, ``"others"``) without any value of a
    component leaves the sample-based normalisations without a scale. An input check: the
    pipeline runs it before any stage computes.

    Parameters
    ----------
    matrix, spec, countries, focus_country
        As :func:`build_index` takes them.

    Returns
    -------
    list of str
        One problem per component without a value in the reference set (one for a country the
        regions are not in); empty when the index can be built.

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)),), normalise_over="country:DK")
    >>> reference_problems(pd.DataFrame({"a": [1.0, 2.0]}, index=list("xy")), spec,
    ...                    countries=pd.Series(["FI", "SE"], index=list("xy")))  # doctest: +ELLIPSIS
    ['[index] normalise_over = "country:DK": no region of the study is in DK; its countries are FI, SE: ...']
    """
    absent = _absent_country(spec, countries)
    if absent is not None and spec.normalisation in ("minmax", "zscore", "rank"):
        return [absent]
    names = [c.name for c in spec.components]
    observed = matrix[names].astype(float)
    eligible = observed.notna().sum(axis=1) / len(names) >= spec.min_share - 1e-12
    filled, _ = impute(matrix, spec, countries=countries, focus_country=focus_country)
    over = reference_set(spec, eligible, countries, focus_country)
    problems = []
    for component in spec.components:
        problem = _empty_reference(spec, _transformed(filled, component)[0], over, countries)
        if problem is not None:
            problems.append(f"component {component.name!r}: {problem}")
    return problems


def _scores(
    filled: pd.DataFrame,
    observed: pd.DataFrame,
    spec: IndexSpec,
    countries: pd.Series | None,
    focus_country: str | None,
    over: pd.Series | None = None,
) -> pd.DataFrame:
    """Transform and normalise each component; reference means come from observed values only."""
    scores = pd.DataFrame(index=filled.index)
    problems: list[str] = []
    for component in spec.components:
        try:
            values, posts = _transformed(filled, component)
            reference = component.reference
            if spec.normalisation == "reference" and reference is None:
                reference = _reference_value(observed[component.name].dropna(), spec, countries, focus_country)
            empty = _empty_reference(spec, values, over, countries)
            if empty is not None:
                raise SchemaError(empty)
            scores[component.name] = normalise(values, spec.normalisation, direction=component.direction,
                                               goalposts=posts, reference=reference, scale=spec.scale, over=over)
        except SchemaError as exc:
            problems.append(f"component {component.name!r}: {exc}")
    collect(problems, SchemaError, "index")
    return scores


def build_index(
    matrix: pd.DataFrame,
    spec: IndexSpec,
    *,
    countries: pd.Series | None = None,
    focus_country: str | None = None,
    years: pd.DataFrame | None = None,
) -> IndexResult:
    """The composite index with its scores, imputation flags and effective weights.

    Steps: impute (if asked), transform, normalise each component over the reference set
    (``spec.normalise_over``: by default the regions that get an index) and oriented so that
    higher is better, weight, aggregate over the components a region has. Regions with fewer
    than ``min_share`` of the components get no index, never zero.

    Parameters
    ----------
    matrix
        Raw values, one column per component (see :func:`borderland.indicators.indicator_matrix`).
    spec
        The index specification.
    countries
        Each region's country, indexed like ``matrix``: needed by country or side imputation and
        by a reference group other than ``"all"``.
    focus_country
        The study's focus country, for the ``"side"`` imputation and ``"focus"``/``"others"`` references.
    years
        The year of each value (columns ``<component>_year``), to name it in the notes on values
        outside their goalposts.

    Returns
    -------
    IndexResult
        Index (``index``), scores, imputed values and flags, component share, weights, the
        values outside their goalposts (flagged in ``beyond`` and named in ``notes``).

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",), direction="lower")))
    >>> result = build_index(pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [30.0, 20.0, 10.0]}, index=list("xyz")), spec)
    >>> result.index.tolist(), result.weights.tolist()
    ([0.0, 0.5, 1.0], [0.5, 0.5])
    """
    missing = [c.name for c in spec.components if c.name not in matrix.columns]
    if missing:
        raise SchemaError(f"indicator matrix lacks component column(s) {missing}; it has {list(matrix.columns)}")
    names = [c.name for c in spec.components]
    observed = matrix[names].astype(float)
    share = (observed.notna().sum(axis=1) / len(names)).rename("component_share")
    eligible = share >= spec.min_share - 1e-12
    filled, flags = impute(matrix, spec, countries=countries, focus_country=focus_country)

    over = reference_set(spec, eligible, countries, focus_country)
    scores = _scores(filled, observed, spec, countries, focus_country, over)

    weights, note = WEIGHTINGS[spec.weighting](scores.where(~flags.to_numpy()), spec)
    weights = weights.rename("weight")
    value = AGGREGATORS[spec.aggregation](scores.loc[eligible], weights).reindex(matrix.index)
    notes = [note] if note else []
    if flags.to_numpy().any():
        notes.append(f"imputed ({spec.imputation} mean): {int(flags.to_numpy().sum())} value(s) in "
                     f"{int(flags.any(axis=1).sum())} region(s)")
    beyond, beyond_notes = beyond_goalposts(observed, spec, years=years)
    return IndexResult(index=value.where(eligible).rename("index"), scores=scores, values=filled, imputed=flags,
                       share=share, weights=weights, notes=(*notes, *beyond_notes), beyond=beyond)


def normalised_scores(matrix: pd.DataFrame, spec: IndexSpec, *, countries: pd.Series | None = None,
                      focus_country: str | None = None) -> pd.DataFrame:
    """Normalise each component over the reference set, oriented so that higher is better.

    Parameters
    ----------
    matrix
        Raw values, one column per component (see :func:`borderland.indicators.indicator_matrix`).
    spec
        The index specification (no imputation; see :func:`build_index` for that).
    countries, focus_country
        For a reference set that is a group (:func:`reference_set`).

    Returns
    -------
    pandas.DataFrame
        Same shape; NaN stays NaN.
    """
    missing = [c.name for c in spec.components if c.name not in matrix.columns]
    if missing:
        raise SchemaError(f"indicator matrix lacks component column(s) {missing}; it has {list(matrix.columns)}")
    observed = matrix[[c.name for c in spec.components]].astype(float)
    eligible = observed.notna().mean(axis=1) >= spec.min_share - 1e-12
    over = reference_set(spec, eligible, countries, focus_country)
    return _scores(observed, observed, spec, countries, focus_country, over)


def composite_index(
    matrix: pd.DataFrame,
    spec: IndexSpec,
    *,
    countries: pd.Series | None = None,
    focus_country: str | None = None,
) -> pd.Series:
    """The composite index of each region; NaN ("no data") where too few components are present.

    Parameters
    ----------
    matrix
        Raw values, one column per component, indexed by region.
    spec
        The index specification.
    countries
        Each region's country (for imputation and reference groups; see :func:`build_index`).
    focus_country
        The study's focus country (see :func:`build_index`).

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
    return build_index(matrix, spec, countries=countries, focus_country=focus_country).index


# --------------------------------------------------------------------------------------------
# values outside their range: percentages beyond 0-100 (input errors), values beyond the goalposts

#: A unit declaring a share in per cent (0 to 100): "%", "% of households", "percent"; not a
#: change or a difference in per cent ("% change", "percentage points", "% per year").
_SHARE_UNIT: Final = re.compile(r"^\s*(?:%|per\s?cent(?:age)?\b|pct\b)(?!\s*(?:change|points?|growth|per\b|p\.a\.))",
                                re.IGNORECASE)


def is_share_unit(unit: object) -> bool:
    """Whether a unit declares a share in per cent, whose values lie from 0 to 100.

    Examples
    --------
    >>> [is_share_unit(u) for u in ("% of households", "%", "percent", "% change", "percentage points", "EUR")]
    [True, True, True, False, False, False]
    """
    return isinstance(unit, str) and bool(_SHARE_UNIT.match(unit))


def percentage_problems(table: pd.DataFrame, spec: IndexSpec, codes: pd.Index | None = None, *,
                        file: str = "the indicator table") -> list[str]:
    """Values of the index components that are percentages yet lie outside 0-100: input errors.

    A value is a percentage when its row's ``unit`` says so, or, without a unit in the row,
    when its component's ``unit`` does (``"% of households"``; :func:`is_share_unit`). No
    share of households can be -5 % or 130 %: such a value is a typo or a code for missing
    (-1, 999), and the index never uses it silently.

    Parameters
    ----------
    table
        The tidy indicator table (``region_id``, ``indicator``, ``year``, ``value``, optional ``unit``).
    spec
        The index specification.
    codes
        The regions' codes: only their rows are checked (every row when ``None``).
    file
        The table's file name, for the fix.

    Returns
    -------
    list of str
        One problem per component (empty when every percentage lies from 0 to 100).

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["x", "y"], "indicator": "a", "year": 2020, "value": [50.0, -5.0]})
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), unit="% of households"),))
    >>> print(percentage_problems(table, spec, file="t.csv")[0])  # doctest: +NORMALIZE_WHITESPACE
    [[index.components]] (a): 1 value(s) are percentages (unit = "% of households") outside 0-100: y a 2020 = -5;
    correct them in t.csv, or leave those cells empty (no data); if the component is no share in per cent, change
    its unit
    """
    rows = table if codes is None else table[table["region_id"].astype(str).isin(codes.astype(str))]
    row_units = rows["unit"] if "unit" in rows.columns else pd.Series(pd.NA, index=rows.index, dtype="object")
    problems = []
    for component in spec.components:
        mine = rows["indicator"].isin(component.indicators)
        if not mine.any():
            continue
        units = row_units[mine]
        unit_given = units.notna() & (units.astype("string").str.strip() != "")
        share = np.where(unit_given, units.map(is_share_unit).astype(bool), is_share_unit(component.unit))
        values = pd.to_numeric(rows.loc[mine, "value"], errors="coerce")
        bad = rows.loc[mine][share & ((values < 0) | (values > 100)).to_numpy()]
        if bad.empty:
            continue
        where = (f"unit = {shown(component.unit)}" if not unit_given[bad.index].all()
                 else f"the table's unit {shown(str(bad['unit'].iloc[0]))}")
        listed = "; ".join(f"{printable(str(r.region_id))} {printable(str(r.indicator))} {r.year} = {r.value:g}"
                           for r in bad.head(5).itertuples(index=False))
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        problems.append(f"[[index.components]] ({component.name}): {len(bad)} value(s) are percentages ({where}) "
                        f"outside 0-100: {listed}{more}; correct them in {file}, or leave those cells empty (no data)"
                        + ("; if the component is no share in per cent, change its unit"
                           if where.startswith("unit") else ""))
    return problems


def beyond_goalposts(values: pd.DataFrame, spec: IndexSpec, *, years: pd.DataFrame | None = None
                     ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The raw values outside their component's goalposts: a flag per value and a note per component.

    The values are kept as they are (never clipped in the data). Where the goalposts normalise
    (``normalisation = "goalposts"``), such a value scores as the goalpost it passes: capped,
    deliberately, as the OECD/JRC Handbook does with goalposts; otherwise the goalposts are not
    used and the value enters the index as it is. Either way each one is flagged and named.

    Parameters
    ----------
    values
        Raw values, one column per component, indexed by region.
    spec
        The index specification (components' goalposts, the normalisation).
    years
        The year of each value (columns ``<component>_year``), named in the notes.

    Returns
    -------
    tuple of pandas.DataFrame and tuple of str
        The flags (``<component>_beyond_goalposts``, only for components with goalposts) and
        one note per component with such values.

    Examples
    --------
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), goalposts=(0.0, 100.0)),), normalisation="goalposts")
    >>> flags, notes = beyond_goalposts(pd.DataFrame({"a": [50.0, -5.0]}, index=["x", "y"]), spec)
    >>> flags["a_beyond_goalposts"].tolist()
    [False, True]
    >>> print(notes[0])  # doctest: +NORMALIZE_WHITESPACE
    a: 1 value(s) outside its goalposts [0, 100], kept as they are: y -5 (below 0); each scores as the goalpost
    it passes (capped, as goalposts do in the OECD/JRC Handbook), and a_beyond_goalposts flags it; if they are
    percentages, correct them (unit = "%" makes such values input errors)
    """
    flags = pd.DataFrame(index=values.index)
    notes = []
    for component in spec.components:
        if component.goalposts is None or component.name not in values.columns:
            continue
        low, high = component.goalposts
        column = values[component.name].astype(float)
        beyond = (column < low) | (column > high)
        flag = f"{component.name}_beyond_goalposts"
        flags[flag] = beyond
        if not beyond.any():
            continue
        shown_values = column[beyond].head(8)
        year_column = f"{component.name}_year"
        taken = (years[year_column].reindex(shown_values.index).tolist() if years is not None
                 and year_column in years.columns else [None] * len(shown_values))
        listed = ", ".join(
            f"{printable(str(code))} {value:g}" + (f" in {int(year)}" if pd.notna(year) else "")
            + f" ({'below' if value < low else 'above'} {low if value < low else high:g})"
            for code, value, year in zip(shown_values.index, shown_values.to_numpy(), taken, strict=True))
        more = f" and {int(beyond.sum()) - 8} more" if beyond.sum() > 8 else ""
        treated = ("each scores as the goalpost it passes (capped, as goalposts do in the OECD/JRC Handbook)"
                   if spec.normalisation == "goalposts" else
                   f"[index] normalisation = {shown(spec.normalisation)} does not use the goalposts, so they enter "
                   "the index as they are")
        hint = ("" if is_share_unit(component.unit) or (low, high) != (0.0, 100.0) else
                "; if they are percentages, correct them (unit = \"%\" makes such values input errors)")
        notes.append(f"{component.name}: {int(beyond.sum())} value(s) outside its goalposts [{low:g}, {high:g}], "
                     f"kept as they are: {listed}{more}; {treated}, and {flag} flags it{hint}")
    return flags, tuple(notes)


# --------------------------------------------------------------------------------------------
# the [index] section of a study file

_INDEX_KEYS: Final[frozenset[str]] = frozenset({
    "year", "normalisation", "aggregation", "weighting", "min_share", "imputation", "reference", "scale",
    "normalise_over", "components",
})
_COMPONENT_KEYS: Final[frozenset[str]] = frozenset({
    "name", "indicators", "direction", "weight", "unit", "transform", "year_rule", "year", "window", "goalposts",
    "reference", "definitions", "adjust", "adjust_source",
})


def _component_from_dict(raw: Any, position: int, problems: list[Problem]) -> IndicatorSpec | None:
    where = f"[[index.components]] #{position}"
    if not isinstance(raw, dict):
        problems.append(Problem(where, raw, "expected a table of keys (name, indicators, ...)"))
        return None
    if isinstance(raw.get("name"), str):
        where = f"[[index.components]] ({raw['name']})"
    found: list[Problem] = []

    def bad(key: str, value: Any, expected: str, fix: str = "") -> None:
        found.append(Problem(f"{where} {key}", value, expected, fix))

    for key in sorted(set(raw) - _COMPONENT_KEYS):
        bad(key, raw[key], unknown_keys(key, _COMPONENT_KEYS))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("name", name, "expected a component name (a text)")
    names = raw.get("indicators", [name])
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        bad("indicators", raw.get("indicators"), "expected a list of indicator names, e.g. [\"access\"]")
    weight = raw.get("weight", 1.0)
    if not _is_number(weight) or not math.isfinite(weight) or weight <= 0:
        bad("weight", weight, "expected a positive number")
    for key in ("direction", "unit", "transform", "year_rule"):
        if key in raw and not isinstance(raw[key], str):
            bad(key, raw[key], "expected a text")
    for key in ("year", "window"):
        if key in raw and (not isinstance(raw[key], int) or isinstance(raw[key], bool)):
            bad(key, raw[key], "expected a whole number")
    posts = None
    if "goalposts" in raw:
        posts = _number_pair(raw["goalposts"])
        if posts is None:
            bad("goalposts", raw["goalposts"], "expected two numbers [low, high]")
    if "reference" in raw and (not _is_number(raw["reference"]) or not raw["reference"] > 0):
        bad("reference", raw["reference"], "expected a positive number")
    for key in ("definitions", "adjust"):
        if key in raw and (not isinstance(raw[key], dict) or not all(isinstance(k, str) for k in raw[key])):
            bad(key, raw[key], "expected a table of indicator names, e.g. { access = ... }")
    if "adjust_source" in raw and not isinstance(raw["adjust_source"], str):
        bad("adjust_source", raw["adjust_source"], "expected a text")
    rule: YearRule | None = None
    if not found:
        kind = raw.get("year_rule", "window" if "window" in raw else "exact")
        if not isinstance(kind, str) or kind not in YEAR_RULES:
            bad("year_rule", kind, f"expected one of {', '.join(map(shown, sorted(YEAR_RULES)))}")
        else:
            try:
                rule = YearRule(cast(YearKind, kind), raw.get("year"), raw.get("window", 0))
            except SchemaError as exc:
                bad("year_rule", kind, str(exc).removeprefix("year rule: "))
    if found or rule is None:
        problems.extend(found)
        return None
    try:
        return IndicatorSpec(
            name=str(name), indicators=tuple(names), direction=raw.get("direction", "higher"), weight=float(weight),
            unit=raw.get("unit", ""), transform=raw.get("transform", "none"), year_rule=rule, goalposts=posts,
            reference=float(raw["reference"]) if "reference" in raw else None,
            definitions=tuple(raw.get("definitions", {}).items()), adjust=tuple(raw.get("adjust", {}).items()),
            adjust_source=raw.get("adjust_source", ""),
        )
    except SpecError as exc:
        problems.extend(exc.problems)
        return None


def _number_pair(value: Any) -> tuple[float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2 and all(_is_number(v) for v in value):
        return float(value[0]), float(value[1])
    return None


def index_spec_from_dict(data: Any) -> IndexSpec:
    """Build an :class:`IndexSpec` from the ``[index]`` section of a study file, reporting every problem.

    Parameters
    ----------
    data
        The parsed ``[index]`` table: ``year`` (``"auto"`` or a year), ``normalisation``,
        ``aggregation``, ``weighting``, ``min_share``, ``imputation``, ``reference``, ``scale``
        and ``components`` (a list of tables with ``name``, ``indicators``, ``direction``,
        ``weight``, ``unit``, ``transform``, ``year_rule`` (``exact`` / ``latest`` / ``window``),
        ``year``, ``window``, ``goalposts``, ``reference``, ``definitions`` and ``adjust`` (tables
        of indicator name -> text or amount) and ``adjust_source``).

    Returns
    -------
    IndexSpec
        The checked specification.

    Raises
    ------
    borderland.specs.SpecError
        Listing every problem, each naming the key at fault, the value and what is expected.

    Examples
    --------
    >>> spec = index_spec_from_dict({"normalisation": "goalposts", "components": [
    ...     {"name": "access", "goalposts": [0, 100], "year_rule": "window", "window": 2}]})
    >>> spec.components[0].indicators, spec.components[0].year_rule.window
    (('access',), 2)
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise SpecError("[index]", [Problem("[index]", data, "expected a table of keys")])
    for key in sorted(set(data) - _INDEX_KEYS):
        problems.append(Problem(f"[index] {key}", data[key], unknown_keys(key, _INDEX_KEYS)))
    year = data.get("year", "auto")
    if year != "auto" and (not isinstance(year, int) or isinstance(year, bool)):
        problems.append(Problem("[index] year", year, 'expected "auto" or a year such as 2021'))
    min_share = data.get("min_share", 1.0)
    if not _is_number(min_share):
        problems.append(Problem("[index] min_share", min_share, "expected a share of components in (0, 1]"))
    scale = _number_pair(data.get("scale", [0.0, 1.0]))
    if scale is None:
        problems.append(Problem("[index] scale", data.get("scale"), "expected two numbers [low, high]"))
    raw_components = data.get("components")
    components: list[IndicatorSpec] = []
    if not isinstance(raw_components, list) or not raw_components:
        problems.append(Problem("[index] components", raw_components, "expected at least one [[index.components]] "
                                "table with a name and its indicators"))
    else:
        for position, raw in enumerate(raw_components, start=1):
            component = _component_from_dict(raw, position, problems)
            if component is not None:
                components.append(component)
    try:
        spec = IndexSpec(
            components=tuple(components),
            normalisation=data.get("normalisation", "minmax"),
            aggregation=data.get("aggregation", "arithmetic"),
            min_share=float(min_share) if _is_number(min_share) else 1.0,
            year=None if year == "auto" or not isinstance(year, int) else int(year),
            weighting=data.get("weighting", "user"),
            imputation=data.get("imputation", "none"),
            reference=data.get("reference", "all"),
            scale=scale or (0.0, 1.0),
            normalise_over=data.get("normalise_over", "indexed"),
        )
    except SpecError as exc:
        seen = {p.where for p in problems}
        # a component that failed its own checks is absent above: its absence is no extra problem
        problems += [p for p in exc.problems if p.where not in seen and not (
            p.where == "[index] components" and raw_components)]
        raise SpecError("[index]", problems) from None
    if problems:
        raise SpecError("[index]", problems)
    return spec
