"""The index of every year on one scale.

A snapshot's min-max index puts 0 at the weakest region of its year and 1 at the strongest: a
region at 0.5 in 2010 and at 0.5 in 2025 may have doubled its households online. Over the years
the rescaling must be fixed, once, for every year (the OECD/JRC Handbook's advice for indices
over time). :data:`SCALES` offers three fixed scales:

``base_year`` (the default)
    each component's min and max over the base year's reference regions (by default the run's
    index year and ``[index] normalise_over``): the base year's values are exactly the snapshot's
    index of that year (tested), and every other year is placed on that scale -- a region
    ahead of the base year's leader scores above 1, one behind its laggard below 0. Adding a
    year or a region of another year moves nothing.
``goalposts``
    each component's ``goalposts`` (e.g. 0 and 100 %): the natural scale where there is one
    (capped, as in the snapshot); with goalposts from 0 the index has a natural zero, so its
    coefficient of variation means something.
``pooled``
    each component's min and max over every kept year's reference regions together: every
    value lies in [0, 1], but the scale moves when a year is added.

The weights are fixed too: the study's (``user``, ``equal``), or ``pca`` weights from the base
year's scores. No imputation is made over the years (``[index] imputation`` applies to
snapshots): a missing value stays missing unless ``[trend] interpolate`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland.errors import SchemaError
from borderland.index import IndexSpec, component_weights, meets_min_share, reference_set
from borderland.trend.panel import Panel

__all__ = ["SCALES", "Scale", "fixed_scale", "score_panel", "trend_index"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: The fixed scales, with what each takes its bounds from.
SCALES: Final[Mapping[str, str]] = {
    "base_year": "each component's min and max in the base year",
    "goalposts": "each component's goalposts",
    "pooled": "each component's min and max over every kept year",
}


@dataclass(frozen=True)
class Scale:
    """The bounds every year is rescaled between, and the weights of the components.

    Attributes
    ----------
    method
        A key of :data:`SCALES`.
    low, high
        Per component, the raw (transformed) values that score 0 and 1 before ``[index] scale``.
    weights
        Per component, summing to 1.
    base_year
        The base year (``base_year`` scale), else ``None``.
    capped
        Whether scores are capped to [0, 1] (goalposts, as in the snapshot).
    """

    method: str
    low: pd.Series
    high: pd.Series
    weights: pd.Series
    base_year: int | None = None
    capped: bool = False

    def describe(self) -> str:
        """The scale in words, for reports and the GeoPackage's metadata."""
        where = f" ({self.base_year})" if self.base_year is not None else ""
        bounds = ", ".join(f"{name} {lo:g} to {hi:g}" for name, lo, hi in
                           zip(self.low.index, self.low.to_numpy(), self.high.to_numpy(), strict=True))
        return f"{SCALES[self.method]}{where}: {bounds}"


def _transformed(values: FloatArray, transform: str, what: str) -> FloatArray:
    if transform == "none":
        return values
    bad = values[~np.isnan(values) & (values <= 0)]
    if len(bad):
        raise SchemaError(f"{what}: a log transform needs values > 0; {len(bad)} are not (e.g. {bad[0]:g}): drop "
                          "transform = 'log' for this component")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(values)


def eligible(panel: Panel, spec: IndexSpec) -> BoolArray:
    """Regions x years with at least ``[index] min_share`` of the components.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))), min_share=0.5)
    >>> from borderland.trend.panel import component_panel
    >>> table = pd.DataFrame({"region_id": ["x", "y", "y"], "indicator": ["a", "a", "b"], "year": 2020,
    ...                       "value": 1.0})
    >>> eligible(component_panel(table, pd.Index(["x", "y", "z"]), spec, [2020, 2020]), spec).ravel().tolist()
    [True, True, False]
    """
    share = panel.observed.mean(axis=0)
    result: BoolArray = meets_min_share(share, spec.min_share)
    return result


def fixed_scale(panel: Panel, spec: IndexSpec, *, method: str, kept: npt.ArrayLike, base_year: int | None,
                countries: pd.Series, focus_country: str | None) -> Scale:
    """The bounds of every component and the weights, fixed for every year.

    Parameters
    ----------
    panel
        From :func:`borderland.trend.panel.component_panel`.
    spec
        The index specification (components, normalise_over, weighting, scale).
    method
        A key of :data:`SCALES`.
    kept
        Per panel year, whether it is kept (``pooled`` takes the kept years' values).
    base_year
        The base year of ``base_year`` (and of PCA weights); must be a panel year.
    countries, focus_country
        For a reference set that is a group (``[index] normalise_over``).

    Returns
    -------
    Scale
        The bounds and weights.
    """
    if method not in SCALES:
        raise SchemaError(f"unknown scale {method!r}; choose one of {sorted(SCALES)}")
    keep = np.asarray(kept, dtype=bool)
    ok = eligible(panel, spec)
    names = [c.name for c in spec.components]
    low, high = {}, {}
    base = None
    if base_year is not None:
        where = np.flatnonzero(panel.years == base_year)
        if not len(where):
            raise SchemaError(f"the base year {base_year} is not among the years {panel.years[0]}-{panel.years[-1]}")
        base = int(where[0])
    for k, component in enumerate(spec.components):
        if method == "goalposts":
            if component.goalposts is None:
                raise SchemaError(f"[trend] scale = \"goalposts\": component {component.name!r} has no goalposts; "
                                  "add goalposts = [low, high] to it")
            posts = _transformed(np.asarray(component.goalposts, dtype=float), component.transform,
                                 f"the goalposts of {component.name}")
            low[component.name], high[component.name] = float(posts[0]), float(posts[1])
            continue
        values = _transformed(panel.values[k], component.transform, component.name)
        columns = [base] if method == "base_year" and base is not None else list(np.flatnonzero(keep))
        pooled = []
        for column in columns:
            over = reference_set(spec, pd.Series(ok[:, column], index=panel.codes), countries.reindex(panel.codes),
                                 focus_country)
            members = values[:, column] if over is None else values[over.to_numpy(dtype=bool), column]
            pooled.append(members[~np.isnan(members)])
        found = np.concatenate(pooled) if pooled else np.array([])
        if not len(found):
            raise SchemaError(f"component {component.name!r} has no value among the reference regions "
                              f"([index] normalise_over = {spec.normalise_over!r}) of the "
                              + (f"base year {base_year}" if method == "base_year" else "kept years"))
        low[component.name], high[component.name] = float(found.min()), float(found.max())
    lows, highs = pd.Series(low)[names], pd.Series(high)[names]
    weights = _weights(panel, spec, lows, highs, method, base)
    return Scale(method=method, low=lows, high=highs, weights=weights,
                 base_year=base_year if method == "base_year" else None, capped=method == "goalposts")


def _weights(panel: Panel, spec: IndexSpec, low: pd.Series, high: pd.Series, method: str,
             base: int | None) -> pd.Series:
    if spec.weighting != "pca":
        return spec.weights.rename("weight")
    if base is None:
        raise SchemaError("PCA weights over the years are those of the base year's scores: set [trend] base_year")
    scale = Scale(method=method, low=low, high=high, weights=pd.Series(1.0, index=low.index))
    scores = score_panel(panel, spec, scale)[:, :, base]
    frame = pd.DataFrame(scores.T, index=panel.codes, columns=list(low.index))
    return component_weights(frame, spec)


def score_panel(panel: Panel, spec: IndexSpec, scale: Scale) -> FloatArray:
    """Each component's score in every year on the fixed scale, oriented so that higher is better.

    ``(x - low) / (high - low)`` (1 - that for ``direction = "lower"``), capped to [0, 1] for
    goalposts, then stretched onto ``[index] scale``; equal bounds give 0.5, as min-max does.

    Parameters
    ----------
    panel
        The raw values.
    spec
        The index specification (direction, transform, scale).
    scale
        From :func:`fixed_scale`.

    Returns
    -------
    numpy.ndarray
        (component, region, year); NaN where a value is missing.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> from borderland.trend.panel import component_panel
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",), direction="lower"),))
    >>> table = pd.DataFrame({"region_id": ["x", "y"], "indicator": "a", "year": 2020, "value": [10.0, 30.0]})
    >>> panel = component_panel(table, pd.Index(["x", "y"]), spec, [2020, 2020])
    >>> scale = Scale("base_year", pd.Series({"a": 10.0}), pd.Series({"a": 20.0}), pd.Series({"a": 1.0}))
    >>> score_panel(panel, spec, scale)[0].ravel().tolist()
    [1.0, -1.0]
    """
    out = np.full(panel.values.shape, np.nan)
    target_low, target_high = spec.scale
    for k, component in enumerate(spec.components):
        lo, hi = float(scale.low[component.name]), float(scale.high[component.name])
        values = _transformed(panel.values[k], component.transform, component.name)
        unit = np.where(~np.isnan(values), 0.5, np.nan) if hi == lo else (values - lo) / (hi - lo)
        if scale.capped:
            unit = np.clip(unit, 0.0, 1.0)
        if component.direction == "lower":
            unit = 1.0 - unit
        out[k] = target_low + (target_high - target_low) * unit
    return out


def trend_index(panel: Panel, spec: IndexSpec, scale: Scale) -> FloatArray:
    """The composite index of every region and year on the fixed scale.

    The study's aggregation over the components a region has that year, with the fixed weights
    (a region lacking a component has the others' weights scaled up, as in the snapshot); NaN
    ("no data") where it has fewer than ``[index] min_share`` of them.

    Parameters
    ----------
    panel
        The raw values.
    spec
        The index specification.
    scale
        From :func:`fixed_scale`.

    Returns
    -------
    numpy.ndarray
        Regions x years.

    Examples
    --------
    Base year 2020 (0 and 100 are its extremes); 2021's 120 lies beyond them, and scores so.

    >>> from borderland.index import IndicatorSpec
    >>> from borderland.trend.panel import component_panel
    >>> table = pd.DataFrame({"region_id": ["x", "y", "x", "y"], "indicator": "a", "year": [2020, 2020, 2021, 2021],
    ...                       "value": [0.0, 100.0, 50.0, 120.0]})
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)),))
    >>> panel = component_panel(table, pd.Index(["x", "y"]), spec, [2020, 2021])
    >>> scale = fixed_scale(panel, spec, method="base_year", kept=[True, True], base_year=2020,
    ...                     countries=pd.Series(["P", "Q"], index=["x", "y"]), focus_country=None)
    >>> trend_index(panel, spec, scale).tolist()
    [[0.0, 0.5], [1.0, 1.2]]
    """
    scores = score_panel(panel, spec, scale)
    present = ~np.isnan(scores)
    w = scale.weights.reindex([c.name for c in spec.components]).to_numpy(dtype=float)[:, None, None]
    mass = (present * w).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if spec.aggregation == "geometric":
            bad = present & (scores <= 0)
            if bad.any():
                k, r, y = (int(v[0]) for v in np.nonzero(bad))
                raise SchemaError(
                    f"the geometric mean needs scores > 0; {int(bad.sum())} are not on the fixed scale (e.g. "
                    f"{panel.codes[r]} {panel.years[y]}, {spec.components[k].name}: {scores[k, r, y]:.3g}): values "
                    "below the base year's lowest fall below [index] scale's low end. Choose [trend] scale = "
                    "\"pooled\" or \"goalposts\", or [index] aggregation = \"arithmetic\"")
            total = (np.where(present, np.log(np.where(present & (scores > 0), scores, 1.0)), 0.0) * w).sum(axis=0)
            value = np.exp(total / mass)
        else:
            value = (np.where(present, scores, 0.0) * w).sum(axis=0) / mass
    result: FloatArray = np.where(eligible(panel, spec), value, np.nan)
    return result
