"""The index built: impute, transform, normalise over the reference set, weight, aggregate.

:func:`build_index` runs every step of an :class:`borderland.index.IndexSpec` and returns an
:class:`IndexResult` (index, normalised scores, imputation flags, effective weights, notes);
:func:`composite_index` is its index alone and :func:`normalised_scores` its scores without
imputation. :func:`reference_set` is the set of regions whose values set the scale of the
sample-based normalisations, and :func:`reference_problems` what :func:`build_index` would refuse
in it, found before anything is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from borderland.errors import SchemaError, collect
from borderland.index.aggregation import AGGREGATORS, WEIGHTINGS, impute, meets_min_share
from borderland.index.normalisers import TRANSFORMS, normalise
from borderland.index.ranges import beyond_goalposts
from borderland.index.spec import IndexSpec, IndicatorSpec
from borderland.specs import shown

__all__ = ["IndexResult", "build_index", "composite_index", "normalised_scores", "reference_problems",
           "reference_set"]


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
    eligible = meets_min_share(observed.notna().sum(axis=1) / len(names), spec.min_share)
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
    eligible = meets_min_share(share, spec.min_share)
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
    eligible = meets_min_share(observed.notna().mean(axis=1), spec.min_share)
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
