"""Weights and aggregation: how the components' scores become one index, and the imputation before it.

Three registries, each a choice a study file names:

- :data:`AGGREGATORS` (``arithmetic``, ``geometric``): the weighted mean of each region over the
  components it has; :func:`geometric_conflict` says which normalisations a geometric mean
  cannot take;
- :data:`WEIGHTINGS` (``equal``, ``user``, ``pca``): the effective weights, summing to 1
  (:func:`component_weights`);
- :data:`IMPUTATIONS` (``none``, ``country``, ``side``): the groups whose mean fills a missing
  value of a region that has at least ``min_share`` of the components (:func:`impute`;
  :func:`meets_min_share` is that test, wherever a region's share of the components is read).

Weighting and imputation read the index's specification through a protocol (``_Spec``: what they
read of :class:`borderland.index.IndexSpec`), not the class itself: the specification checks its
choices against these registries, so this module comes before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, Protocol, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland.errors import SchemaError

__all__ = ["AGGREGATORS", "IMPUTATIONS", "WEIGHTINGS", "arithmetic_mean", "component_weights",
           "geometric_conflict", "geometric_mean", "impute", "meets_min_share"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Spec(Protocol):
    """What weighting and imputation read of an index specification (:class:`borderland.index.IndexSpec`)."""

    @property
    def components(self) -> Sequence[_Named]:
        """The components, each with its ``name``."""

    @property
    def weighting(self) -> str:
        """A key of :data:`WEIGHTINGS`."""

    @property
    def imputation(self) -> str:
        """A key of :data:`IMPUTATIONS`."""

    @property
    def min_share(self) -> float:
        """Share of the components a region must have to be imputed (and indexed)."""

    @property
    def weights(self) -> pd.Series:
        """The nominal weights, summing to 1."""


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


# --------------------------------------------------------------------------------------------
# weighting


def _equal_weights(scores: pd.DataFrame, spec: _Spec) -> tuple[pd.Series, str]:
    return spec.weights, ""


def _user_weights(scores: pd.DataFrame, spec: _Spec) -> tuple[pd.Series, str]:
    return spec.weights, ""


def _pca_weights(scores: pd.DataFrame, spec: _Spec) -> tuple[pd.Series, str]:
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
WEIGHTINGS: Final[Mapping[str, Callable[[pd.DataFrame, _Spec], tuple[pd.Series, str]]]] = {
    "equal": _equal_weights,
    "user": _user_weights,
    "pca": _pca_weights,
}


def component_weights(scores: pd.DataFrame, spec: _Spec) -> pd.Series:
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
    >>> from borderland.index import IndexSpec, IndicatorSpec
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


#: Slack of the comparison with ``min_share``: a share of the components is a ratio of counts
#: (2 of 3 is 0.6666666666666666), and a ``min_share`` computed or written to the last digit may
#: round the other way (``1 - 1/3`` is 0.6666666666666667): a last-place difference must not leave a
#: region out.
_SHARE_SLACK: Final = 1e-12


@overload
def meets_min_share(share: pd.Series, min_share: float) -> pd.Series: ...


@overload
def meets_min_share(share: npt.NDArray[np.float64], min_share: float) -> npt.NDArray[np.bool_]: ...


def meets_min_share(share: pd.Series | npt.NDArray[np.float64],
                    min_share: float) -> pd.Series | npt.NDArray[np.bool_]:
    """Whether each share of the components reaches ``min_share`` (up to a rounding error, 1e-12).

    The one test of ``[index] min_share``: which regions are imputed and indexed, counted by
    the checks, and kept by the trend in each year.

    Parameters
    ----------
    share
        Each region's share of the components that have a value (0 to 1).
    min_share
        The share a region needs.

    Returns
    -------
    pandas.Series or numpy.ndarray
        Booleans, shaped like ``share``.

    Examples
    --------
    >>> meets_min_share(pd.Series([2 / 3, 1 / 3]), 1 - 1 / 3).tolist()
    [True, False]
    """
    return share >= min_share - _SHARE_SLACK


def impute(
    matrix: pd.DataFrame,
    spec: _Spec,
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
    >>> from borderland.index import IndexSpec, IndicatorSpec
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
    eligible = meets_min_share(share, spec.min_share)
    means = values.groupby(groups).transform("mean")
    filled = values.copy()
    for name in names:
        fill = eligible & values[name].isna() & means[name].notna()
        filled.loc[fill, name] = means.loc[fill, name]
        flags[f"{name}_imputed"] = fill
    return filled, flags
