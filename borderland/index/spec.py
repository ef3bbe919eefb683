"""The index's specification: one :class:`IndicatorSpec` per component, one :class:`IndexSpec` for the whole.

Both are frozen dataclasses that check themselves at construction, every problem at once,
naming the key at fault (:class:`borderland.specs.SpecError`); a choice (transform,
normalisation, aggregation, weighting, imputation) must be a key of its registry
(:mod:`borderland.index.normalisers`, :mod:`borderland.index.aggregation`).
:func:`index_spec_from_dict` reads the ``[index]`` section of a study file into an
:class:`IndexSpec`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.index.aggregation import AGGREGATORS, IMPUTATIONS, WEIGHTINGS, geometric_conflict
from borderland.index.normalisers import NORMALISERS, TRANSFORMS
from borderland.indicators import YEAR_RULES, YearKind, YearRule
from borderland.specs import Problem, SpecError, shown, unknown_keys

__all__ = ["IndexSpec", "IndicatorSpec", "index_spec_from_dict"]

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
