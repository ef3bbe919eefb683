"""Typology of regions by their index: leaders, moderate, lagging.

One facade, :func:`classify`, over the rules of the classification registry
(:mod:`borderland.classify`, which the maps share), each with class labels:

===================  =========================================================================
rule                 classes
===================  =========================================================================
``mean_sd``          leaders >= mean + k sd, laggards <= mean - k sd (three classes)
``reference_bands``  leaders >= 110 % of a reference average, laggards <= 90 % (three classes)
``quantiles``        equal-count classes (terciles for three labels)
``natural_breaks``   Fisher-Jenks optimal breaks (as ``mapclassify.FisherJenks``)
``thresholds``       cut points given by the analyst
===================  =========================================================================

Labels are configurable and given best first (default ``leader``, ``moderate``, ``lagging``).
A value exactly on a cut goes to the outer class ("leaders at or above the upper cut"), except
with natural breaks, whose classes hold their upper bound.
Regions without an index get no class (``<NA>``), never the lowest one. A :class:`TypologySpec`
holds a checked choice; :func:`typology_from_dict` reads it from a study file's ``[typology]``.
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from borderland.classify import Closed, fisher_jenks_bins
from borderland.classify import classify as classify_values
from borderland.errors import SchemaError, collect

__all__ = [
    "LABELS", "RULES", "TypologySpec", "class_positions", "classify", "fisher_jenks_bins", "mean_sd", "natural_breaks",
    "quantiles", "reference_bands", "rule_options", "thresholds", "typology_from_dict",
]

#: Class labels, best first.
LABELS: Final[tuple[str, str, str]] = ("leader", "moderate", "lagging")


#: How each rule places a value that lies exactly on a cut (see :func:`borderland.classify.place`):
#: "leaders at or above the upper cut, laggards at or below the lower one", as the Regional
#: Innovation Scoreboard states its bands; Fisher-Jenks classes hold their upper bound.
_CLOSED: Final[Mapping[str, Closed]] = {
    "mean_sd": "outer", "reference_bands": "outer", "quantiles": "outer", "natural_breaks": "upper",
    "thresholds": "outer",
}


def _positions(x: np.ndarray, method: str, n_classes: int, options: Mapping[str, Any]) -> np.ndarray:
    """Label position of each value (0 = the best label), -1 where the value is missing."""
    known = ~np.isnan(x)
    if method == "natural_breaks" and known.any():
        distinct = len(np.unique(x[known]))
        if distinct < n_classes:
            raise SchemaError(f"natural breaks into {n_classes} classes need at least {n_classes} distinct index "
                              f"values, found {distinct}; use fewer labels or another method")
    numbers = classify_values(x, method, n_classes, closed=_CLOSED[method], **options).classes
    return np.where(numbers >= 0, n_classes - 1 - np.minimum(numbers, n_classes - 1), -1)


def _labelled(values: pd.Series, method: str, labels: Sequence[str], **options: Any) -> pd.Series:
    position = _positions(values.to_numpy(dtype=float), method, len(labels), options)
    names = np.asarray(list(labels), dtype=object)[np.maximum(position, 0)]
    return pd.Series(names, index=values.index, dtype="string").where(position >= 0, pd.NA)


def mean_sd(values: pd.Series, *, k: float = 0.5, labels: Sequence[str] = LABELS) -> pd.Series:
    """Leaders at or above mean + k·sd, laggards at or below mean − k·sd, moderate between.

    Mean and (sample) standard deviation are taken over the regions with an index; without
    spread every region is moderate.

    Examples
    --------
    >>> mean_sd(pd.Series([0.0, 0.5, 1.0]), k=0.5).tolist()
    ['lagging', 'moderate', 'leader']
    """
    return _labelled(values, "mean_sd", labels, k=k)


def reference_bands(
    values: pd.Series,
    *,
    upper: float = 1.1,
    lower: float = 0.9,
    reference: float | None = None,
    labels: Sequence[str] = LABELS,
) -> pd.Series:
    """Bands relative to a reference average: leaders >= ``upper`` x it, laggards <= ``lower`` x it.

    The rule of the EU Regional Innovation Scoreboard (110 % and 90 % of the reference average).
    It needs an index on a ratio scale (min-max, goalposts, rank or reference normalisation), not
    z-scores, whose mean is 0.

    Parameters
    ----------
    values
        The index.
    upper, lower
        Multiples of the reference average.
    reference
        The reference average in index units; ``None`` takes the mean over the regions.
    labels
        Three labels, best first.

    Returns
    -------
    pandas.Series
        Labels, ``<NA>`` where the index is missing.

    Examples
    --------
    >>> reference_bands(pd.Series([0.8, 1.0, 1.2])).tolist()
    ['lagging', 'moderate', 'leader']
    """
    return _labelled(values, "reference_bands", labels, upper=upper, lower=lower, reference=reference)


def quantiles(values: pd.Series, *, labels: Sequence[str] = LABELS) -> pd.Series:
    """Equal-count classes, one per label: terciles for three labels.

    Examples
    --------
    >>> quantiles(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).tolist()
    ['lagging', 'lagging', 'moderate', 'moderate', 'leader', 'leader']
    """
    return _labelled(values, "quantiles", labels)


def natural_breaks(values: pd.Series, *, labels: Sequence[str] = LABELS) -> pd.Series:
    """Fisher-Jenks natural breaks, one class per label (the same breaks as ``mapclassify.FisherJenks``).

    Deterministic, unlike ``mapclassify.NaturalBreaks``, which starts k-means at random. A value
    equal to a class's upper bound belongs to that class.

    Examples
    --------
    >>> natural_breaks(pd.Series([1.0, 2.0, 3.0, 10.0, 11.0, 30.0])).tolist()
    ['lagging', 'lagging', 'lagging', 'moderate', 'moderate', 'leader']
    """
    return _labelled(values, "natural_breaks", labels)


def thresholds(values: pd.Series, *, cuts: Sequence[float], labels: Sequence[str] = LABELS) -> pd.Series:
    """Classes between cut points given by the analyst (ascending, one fewer than the labels).

    Examples
    --------
    >>> thresholds(pd.Series([0.2, 0.4, 0.7]), cuts=(0.4, 0.6)).tolist()
    ['lagging', 'lagging', 'leader']
    """
    return _labelled(values, "thresholds", labels, cuts=cuts)


RULES: Final[Mapping[str, Callable[..., pd.Series]]] = {
    "mean_sd": mean_sd,
    "reference_bands": reference_bands,
    "quantiles": quantiles,
    "natural_breaks": natural_breaks,
    "thresholds": thresholds,
}

#: How many labels each rule accepts (``None``: any number from two).
_FIXED_CLASSES: Final[Mapping[str, int]] = {"mean_sd": 3, "reference_bands": 3}


def rule_options(method: str) -> tuple[str, ...]:
    """The options a typology rule takes (besides ``labels``).

    Examples
    --------
    >>> rule_options("reference_bands")
    ('upper', 'lower', 'reference')
    """
    try:
        rule = RULES[method]
    except KeyError:
        raise SchemaError(f"typology method: {_unknown(method)}") from None
    return tuple(p.name for p in inspect.signature(rule).parameters.values()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "labels")


def _unknown(method: object) -> str:
    """What is wrong with a method that is no rule: every rule, and the closest one to a typo.

    Examples
    --------
    >>> _unknown("quantile").split("; ")[-1]
    "did you mean 'quantiles'?"
    """
    close = difflib.get_close_matches(method, sorted(RULES), n=1) if isinstance(method, str) else []
    return f"unknown {method!r}; choose one of {sorted(RULES)}" + (f"; did you mean {close[0]!r}?" if close else "")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool) and math.isfinite(value)


def _problems(method: str, options: Mapping[str, Any], labels: Sequence[str]) -> list[str]:
    if not isinstance(method, str) or method not in RULES:
        return [f"typology method: {_unknown(method)}"]
    problems = []
    valid = rule_options(method)
    for key in sorted(set(options) - set(valid)):
        problems.append(f"unknown option {key!r}; {'its options are ' + ', '.join(valid) if valid else 'it has none'}")
    for key in ("k", "upper", "lower", "reference"):
        if key in options and key in valid and not (_is_number(options[key]) and options[key] >= 0):
            problems.append(f"{key} must be a number >= 0, not {options[key]!r}")
    if method == "reference_bands" and _is_number(options.get("upper", 1.1)) and _is_number(options.get("lower", 0.9)):
        if options.get("lower", 0.9) > options.get("upper", 1.1):
            problems.append(f"lower ({options.get('lower', 0.9)}) must not exceed upper ({options.get('upper', 1.1)})")
    n_labels = len(labels)
    if isinstance(labels, str) or not all(isinstance(label, str) and label for label in labels):
        problems.append(f"labels must be a list of texts, best first, not {labels!r}")
    elif len(set(labels)) != n_labels:
        problems.append(f"labels repeat: {list(labels)}")
    if method in _FIXED_CLASSES and n_labels != _FIXED_CLASSES[method]:
        problems.append(f"{method} makes {_FIXED_CLASSES[method]} classes, so it needs {_FIXED_CLASSES[method]} "
                        f"labels, found {n_labels}")
    elif n_labels < 2:
        problems.append(f"a typology needs at least 2 labels, found {n_labels}")
    if method == "thresholds":
        cuts = options.get("cuts")
        if cuts is None:
            problems.append("thresholds needs cuts = [low, ...] (ascending, one fewer than the labels)")
        elif isinstance(cuts, str) or not isinstance(cuts, Sequence) or not all(_is_number(c) for c in cuts):
            problems.append(f"cuts must be a list of numbers, not {cuts!r}")
        elif list(cuts) != sorted(set(cuts)):
            problems.append(f"cuts must be strictly ascending, not {list(cuts)}")
        elif len(cuts) != n_labels - 1:
            problems.append(f"{len(cuts)} cut(s) make {len(cuts) + 1} classes but there are {n_labels} labels")
    return problems


@dataclass(frozen=True)
class TypologySpec:
    """A checked typology choice: rule, its options and the class labels (best first).

    Attributes
    ----------
    method
        A key of :data:`RULES`.
    options
        The rule's options as ``(name, value)`` pairs (a dict is accepted and sorted), e.g.
        ``(("k", 0.5),)``; ``cuts`` is a tuple of numbers.
    labels
        Class labels, best first.

    Examples
    --------
    >>> TypologySpec("thresholds", {"cuts": [0.4, 0.6]}).classify(pd.Series([0.5])).tolist()
    ['moderate']
    """

    method: str = "mean_sd"
    options: tuple[tuple[str, Any], ...] | Mapping[str, Any] = ()
    labels: tuple[str, ...] = LABELS

    def __post_init__(self) -> None:
        options = dict(self.options.items() if isinstance(self.options, Mapping) else self.options)
        if "cuts" in options and isinstance(options["cuts"], list):
            options["cuts"] = tuple(options["cuts"])
        object.__setattr__(self, "options", tuple(sorted(options.items())))
        object.__setattr__(self, "labels", tuple(self.labels) if not isinstance(self.labels, str) else self.labels)
        if not isinstance(self.method, str) or self.method not in RULES:
            raise SchemaError(f"typology method: {_unknown(self.method)}")
        collect(_problems(self.method, options, self.labels), SchemaError, f"typology {self.method!r}")

    @property
    def kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments of the rule."""
        return dict(self.options.items() if isinstance(self.options, Mapping) else self.options)

    def classify(self, values: pd.Series) -> pd.Series:
        """Classify an index with this rule (see :func:`classify`)."""
        return classify(values, self)


def classify(values: pd.Series, method: str | TypologySpec = "mean_sd", **options: Any) -> pd.Series:
    """Classify regions by their index with a rule of :data:`RULES`.

    Parameters
    ----------
    values
        The index, NaN for regions without one.
    method
        ``"mean_sd"`` (default, k = 0.5), ``"reference_bands"``, ``"quantiles"``,
        ``"natural_breaks"``, ``"thresholds"``, or a whole :class:`TypologySpec`.
    **options
        The rule's own parameters (``k``; ``upper``/``lower``/``reference``; ``cuts``) and
        ``labels`` (best first); none with a :class:`TypologySpec`.

    Returns
    -------
    pandas.Series
        Named ``typology``, string dtype, ``<NA>`` where the index is missing.

    Examples
    --------
    >>> classify(pd.Series([0.1, 0.5, 0.9]), "thresholds", cuts=[0.3, 0.7], labels=["high", "mid", "low"]).tolist()
    ['low', 'mid', 'high']
    """
    if isinstance(method, TypologySpec):
        if options:
            raise SchemaError(f"classify got options {sorted(options)} besides a TypologySpec; put them in the spec")
        spec = method
    else:
        labels = options.pop("labels", LABELS)
        if isinstance(labels, str):
            raise SchemaError(f"labels must be a list of texts, best first, not {labels!r}")
        spec = TypologySpec(method, tuple(sorted(options.items())), tuple(labels))
    return RULES[spec.method](values.astype(float), labels=spec.labels, **spec.kwargs).rename("typology")


def class_positions(draws: np.ndarray, spec: TypologySpec) -> np.ndarray:
    """Classify many versions of the index at once (one per column), as label positions.

    The same rules as :func:`classify` without building a labelled Series per column: the
    uncertainty analysis classifies a thousand draws in a few milliseconds this way.

    Parameters
    ----------
    draws
        Regions x versions of the index (NaN: no index).
    spec
        The typology.

    Returns
    -------
    numpy.ndarray
        Same shape, integers: the position of the label in ``spec.labels`` (0 = best), -1 where
        the index is missing.

    Examples
    --------
    >>> class_positions(np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]), TypologySpec()).tolist()
    [[2, 0], [1, 1], [0, 2]]
    """
    values = np.asarray(draws, dtype=float)
    cuts = _column_cuts(values, spec)
    if cuts is not None:
        return _place_outer(values, cuts, len(spec.labels))
    out = np.empty(values.shape, dtype=int)
    for column in range(values.shape[1]):
        out[:, column] = _positions(values[:, column], spec.method, len(spec.labels), spec.kwargs)
    return out


def _column_cuts(values: np.ndarray, spec: TypologySpec) -> np.ndarray | None:
    """The cut points of every column at once, for the rules whose cuts are a few moments of it.

    ``None`` for the other rules, which are classified column by column. The cuts are those of
    :mod:`borderland.classify` (mean +- k sd, lower and upper shares of the mean, given cuts); a
    loop over a thousand draws of 20,000 regions takes seconds, these a few milliseconds.
    """
    options = spec.kwargs
    known = ~np.isnan(values)
    count = known.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.nansum(values, axis=0) / np.maximum(count, 1), np.nan)
    if spec.method == "mean_sd":
        k = float(options.get("k", 0.5))
        with np.errstate(invalid="ignore"):
            spread = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / (count - 1))
        flat = ~(count > 1) | ~np.isfinite(spread) | (spread == 0)
        low = np.where(flat, -np.inf, mean - k * spread)
        high = np.where(flat, np.inf, mean + k * spread)
        return np.stack([low, high])
    if spec.method == "reference_bands":
        centre = np.full(values.shape[1], float(options["reference"])) if options.get("reference") is not None \
            else mean
        if not (centre[count > 0] > 0).all():
            return None  # the column-by-column path raises the error that says why
        return np.stack([float(options.get("lower", 0.9)) * centre, float(options.get("upper", 1.1)) * centre])
    if spec.method == "thresholds":
        given = np.asarray(options["cuts"], dtype=float)
        return np.repeat(given[:, None], values.shape[1], axis=1)
    return None


def _place_outer(values: np.ndarray, cuts: np.ndarray, n_classes: int) -> np.ndarray:
    """Label positions of every value between its column's cuts, as :func:`classify.place` with "outer"."""
    with np.errstate(invalid="ignore"):
        tolerance = 1e-9 * np.maximum(1.0, np.abs(cuts))
    tolerance[~np.isfinite(tolerance)] = 0.0
    numbers = np.zeros(values.shape, dtype=np.int64)
    for lowered in cuts - tolerance:
        numbers += lowered[None, :] <= values
    numbers[values <= (cuts[0] + tolerance[0])[None, :]] = 0
    position = n_classes - 1 - np.minimum(numbers, n_classes - 1)
    return np.where(np.isnan(values), -1, position)


def typology_from_dict(data: dict[str, Any]) -> TypologySpec:
    """Build a :class:`TypologySpec` from the ``[typology]`` section of a study file.

    Parameters
    ----------
    data
        The parsed table: ``method``, ``labels`` (best first) and the method's options
        (``k``; ``upper``, ``lower``, ``reference``; ``cuts``).

    Returns
    -------
    TypologySpec
        The checked choice.

    Raises
    ------
    borderland.errors.SchemaError
        Listing every problem, each naming the key at fault.

    Examples
    --------
    >>> typology_from_dict({"method": "quantiles", "labels": ["top", "middle", "bottom"]}).labels
    ('top', 'middle', 'bottom')
    """
    if not isinstance(data, dict):
        raise SchemaError(f"[typology]: expected a table of keys, found {data!r}")
    method = data.get("method", "mean_sd")
    if not isinstance(method, str) or method not in RULES:
        raise SchemaError(f"[typology] method: {_unknown(method)}")
    problems = []
    valid = rule_options(method)
    for key in sorted(set(data) - {"method", "labels", *valid}):
        problems.append(f"key {key!r} is not an option of method {method!r}; its keys are "
                        f"{', '.join(['labels', 'method', *valid])}")
    labels = data.get("labels", list(LABELS))
    if not isinstance(labels, list):
        problems.append(f"labels: expected a list of texts (best first), found {labels!r}")
    options = {key: value for key, value in data.items() if key in valid}
    collect(problems, SchemaError, "[typology]")
    try:
        return TypologySpec(method, options, tuple(labels))
    except SchemaError as exc:
        raise SchemaError(str(exc).replace(f"typology {method!r}", "[typology]", 1)) from None
