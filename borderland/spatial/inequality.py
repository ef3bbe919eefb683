"""The Theil index: population-weighted, decomposed by several partitions at once, on a ratio scale only.

Written here rather than taken from the ``inequality`` package: see :mod:`borderland.spatial`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.index import IndexSpec


def _usable(values: pd.Series, population: pd.Series, partitions: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The regions a Theil decomposition can use (every input present), checked once."""
    frame = pd.DataFrame({"value": values.astype(float), "population": population.reindex(values.index).astype(float)})
    for name, labels in partitions.items():
        frame[f"group:{name}"] = labels.reindex(values.index)
    frame = frame.dropna()
    frame = frame[frame["population"] > 0]
    problems = []
    if (frame["value"] < 0).any():
        negative = frame.index[frame["value"] < 0]
        problems.append(f"negative values for {', '.join(map(str, negative[:10]))}: the Theil index needs a "
                        "ratio scale with a natural zero (shares, counts, amounts), not z-scores or a balance")
    if not (frame["value"] > 0).any():
        problems.append("no region has a positive value, a positive population and every group label")
    if problems:
        raise SchemaError("Theil index: " + "; ".join(problems))
    return frame


def _theil_terms(value: np.ndarray, population: np.ndarray) -> tuple[float, float]:
    """Population-weighted mean and Theil T of one set of regions (0 · ln 0 taken as 0)."""
    mean = float((value * population).sum() / population.sum())
    if mean == 0:
        return 0.0, 0.0
    ratio = value / mean
    terms = np.where(ratio > 0, population / population.sum() * ratio * np.log(np.where(ratio > 0, ratio, 1)), 0)
    return mean, float(terms.sum())


def theil_groups(values: pd.Series, *, population: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Population-weighted Theil T of ``values``, split into a contribution of each group.

    With ``p`` the population and ``y`` the value of a region, ``mu`` the population-weighted
    mean and ``s_i = p_i y_i / sum(p y)`` the region's share of the total,
    ``T = sum_i s_i ln(y_i / mu)``. For groups ``g`` with mean ``mu_g``, share ``S_g`` and
    within-group index ``T_g``: ``T = sum_g S_g ln(mu_g / mu) + sum_g S_g T_g``; the first sum
    is the inequality *between* groups, the second *within* them, and the two add up to ``T``
    exactly. Regions without a value, a population or a group are left out.

    Parameters
    ----------
    values
        One non-negative value per region on a ratio scale (a share, a count, an amount; an
        index only when :func:`ratio_scale_problem` finds none), indexed by code.
    population
        Population per region (the weights), indexed by code.
    groups
        Group label per region (country, border ring...), indexed by code.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``regions``, ``population``, ``mean`` (population-weighted),
        ``share_pct`` (``100 S_g``), ``theil_within`` (``T_g``), ``between_contribution``
        (``S_g ln(mu_g / mu)``) and ``within_contribution`` (``S_g T_g``).

    Examples
    --------
    >>> values = pd.Series({"a": 1.0, "b": 1.0, "c": 4.0})
    >>> parts = theil_groups(values, population=pd.Series(1.0, index=values.index),
    ...                      groups=pd.Series({"a": "X", "b": "X", "c": "Y"}))
    >>> parts[["mean", "theil_within"]].values.tolist()
    [[1.0, 0.0], [4.0, 0.0]]
    """
    name = str(groups.name or "group")
    _, table = _groups_of(_usable(values, population, {name: groups}), name)
    return table


def _groups_of(frame: pd.DataFrame, name: str) -> tuple[float, pd.DataFrame]:
    """Total Theil T of ``frame`` and the per-group table for partition ``name``."""
    # T does not depend on the unit: values are divided by the power of two just above the
    # largest (exactly, so normal inputs give the same bits), so that tiny (subnormal) inputs keep
    # their precision in the products below; means are given back in the values' unit
    exponent = math.frexp(float(frame["value"].max()))[1]
    frame = frame.assign(value=np.ldexp(frame["value"].to_numpy(dtype=float), -exponent))
    value, population = frame["value"].to_numpy(), frame["population"].to_numpy()
    mean, total = _theil_terms(value, population)
    grand = float((value * population).sum())
    rows = {}
    for label, members in frame.groupby(f"group:{name}", sort=True):
        mu, t = _theil_terms(members["value"].to_numpy(), members["population"].to_numpy())
        share = float((members["value"] * members["population"]).sum()) / grand
        rows[label] = {
            "regions": len(members),
            "population": float(members["population"].sum()),
            "mean": math.ldexp(mu, exponent),
            "share_pct": 100 * share,
            "theil_within": t,
            "between_contribution": share * np.log(mu / mean) if mu > 0 else 0.0,
            "within_contribution": share * t,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = name
    return total, table


def theil_decomposition(
    values: pd.Series, *, population: pd.Series, partitions: Mapping[str, pd.Series]
) -> pd.DataFrame:
    """Population-weighted Theil T decomposed between and within groups, for several partitions.

    Every partition splits the same total: the regions used are those with a value, a
    population and a label in every partition (see :func:`theil_groups` for the formula).

    Parameters
    ----------
    values
        One non-negative value per region on a ratio scale, indexed by code (see
        :func:`theil_groups`).
    population
        Population per region, indexed by code.
    partitions
        Named group labels, e.g. ``{"country": regions["country"], "border_ring":
        regions["border_order"]}``.

    Returns
    -------
    pandas.DataFrame
        One row per partition: ``regions``, ``groups``, ``theil_total``, ``theil_between``,
        ``theil_within`` (between + within = total) and ``between_share_pct``.

    Examples
    --------
    >>> values = pd.Series({"a": 1.0, "b": 1.0, "c": 4.0})
    >>> table = theil_decomposition(values, population=pd.Series(1.0, index=values.index),
    ...                             partitions={"side": pd.Series({"a": "X", "b": "X", "c": "Y"})})
    >>> bool(np.isclose(table.loc["side", "theil_between"], table.loc["side", "theil_total"]))
    True
    """
    if not partitions:
        raise ValueError("partitions is empty; pass at least one, e.g. {'country': regions['country']}")
    frame = _usable(values, population, partitions)
    rows = {}
    for name in partitions:
        total, groups = _groups_of(frame, name)
        between = float(groups["between_contribution"].sum())
        within = float(groups["within_contribution"].sum())
        rows[name] = {
            "regions": len(frame),
            "groups": len(groups),
            "theil_total": total,
            "theil_between": between,
            "theil_within": within,
            "between_share_pct": 100 * between / total if total > 0 else np.nan,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "partition"
    return table


# -- Theil on a ratio scale only --------------------------------------------------------------

#: Why an index of each sample-based normalisation has no natural zero.
_NO_NATURAL_ZERO: Final[Mapping[str, str]] = {
    "minmax": "min-max normalisation puts the index's zero at the weakest region of the reference set (an "
              "interval scale: the origin is arbitrary)",
    "zscore": "z-scores put the index's zero at the mean (an interval scale, with negative values)",
    "rank": "percentile ranks carry only the order of the regions (an ordinal scale)",
}


def ratio_scale_problem(spec: IndexSpec) -> str | None:
    """Why an index built by ``spec`` is not on a ratio scale, or ``None`` when it is.

    Theil's T compares each value with the mean as a ratio (``y / mu``): adding a constant to
    every value changes T and the share of it between groups, so the values need a natural
    zero, where 0 means "none". The raw components (percentages of households or people) have
    one. An index has one exactly when every step keeps it:

    - normalisation ``"goalposts"`` with the low goalpost at 0 on every component and
      ``[index] scale`` starting at 0 (scores ``value / high``, capped at 1), or
      ``"reference"`` (``100 value / reference``); ``"minmax"``, ``"zscore"`` and ``"rank"``
      have no natural zero;
    - every component ``direction = "higher"`` (a "lower is better" score counts down from the
      high goalpost, or mirrors around 100 %, so its zero is not "none") and no transform (a
      log has no natural zero);
    - either aggregation: the weighted arithmetic and geometric means are both homogeneous of
      degree one (scaling every score by ``c > 0`` scales the index by ``c``) and 0 where every
      score is 0.

    Parameters
    ----------
    spec
        The index specification.

    Returns
    -------
    str or None
        The reasons, joined by "; ", or ``None`` for a ratio-scale index.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> access = IndicatorSpec("access", ("access",), goalposts=(0.0, 100.0))
    >>> ratio_scale_problem(IndexSpec((access,), normalisation="goalposts")) is None
    True
    >>> ratio_scale_problem(IndexSpec((access,))).split(" (")[0]
    "min-max normalisation puts the index's zero at the weakest region of the reference set"
    """
    problems = []
    if spec.normalisation in _NO_NATURAL_ZERO:
        problems.append(_NO_NATURAL_ZERO[spec.normalisation])
    if spec.normalisation == "goalposts":
        shifted = [f"{c.name} {list(c.goalposts)}" for c in spec.components if c.goalposts and c.goalposts[0] != 0]
        if shifted:
            problems.append(f"the low goalpost is not 0 for {', '.join(shifted)} (0 must mean none)")
        if spec.scale[0] != 0:
            problems.append(f"[index] scale starts at {spec.scale[0]:g}, not 0")
    lower = [c.name for c in spec.components if c.direction == "lower"]
    if lower and spec.normalisation in ("goalposts", "reference"):
        problems.append(f"component(s) {', '.join(lower)} have direction = \"lower\", whose scores have no natural "
                        "zero")
    logged = [c.name for c in spec.components if c.transform != "none"]
    if logged and spec.normalisation == "goalposts":
        problems.append(f"component(s) {', '.join(logged)} are transformed (log), which has no natural zero")
    return "; ".join(problems) or None


def theil_table(
    values: pd.DataFrame,
    *,
    population: pd.Series,
    partitions: Mapping[str, pd.Series],
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Population-weighted Theil T of several ratio-scale measures, decomposed, as one long table.

    Each column of ``values`` is one measure (e.g. a raw component in % of households),
    decomposed for every partition as :func:`theil_decomposition` does: over the regions with
    a value of that measure, a population and a label in every partition.

    Parameters
    ----------
    values
        One column per measure, one row per region, on a ratio scale (no negative values).
    population
        Population per region (the weights), indexed by code.
    partitions
        Named group labels, e.g. ``{"country": regions["country"]}``.
    units
        Measure -> its unit, for the ``measure_unit`` column (empty when not given).

    Returns
    -------
    pandas.DataFrame
        Two rows per measure and partition, ``part`` ``between`` then ``within``: ``measure``,
        ``measure_unit``, ``partition``, ``part``, ``theil`` (that part of T), ``share_pct`` (its
        share of T, %; the two add up to 100), ``theil_total`` (T), ``regions`` and ``groups``.

    Raises
    ------
    SchemaError
        Every measure that is not usable (negative values, no positive value), at once.

    Examples
    --------
    >>> values = pd.DataFrame({"access_pct": [1.0, 1.0, 4.0]}, index=list("abc"))
    >>> table = theil_table(values, population=pd.Series(1.0, index=values.index),
    ...                     partitions={"side": pd.Series({"a": "X", "b": "X", "c": "Y"})})
    >>> table[["measure", "partition", "part", "share_pct"]].values.tolist()
    [['access_pct', 'side', 'between', 100.0], ['access_pct', 'side', 'within', 0.0]]
    """
    if not partitions:
        raise ValueError("partitions is empty; pass at least one, e.g. {'country': regions['country']}")
    rows: list[dict[str, object]] = []
    problems: list[str] = []
    for measure in values.columns:
        try:
            table = theil_decomposition(values[measure], population=population, partitions=partitions)
        except SchemaError as exc:
            problems.append(f"{measure}: {str(exc).removeprefix('Theil index: ')}")
            continue
        for partition, row in table.iterrows():
            for part in ("between", "within"):
                theil = float(row[f"theil_{part}"])
                total = float(row["theil_total"])
                rows.append({
                    "measure": str(measure), "measure_unit": (units or {}).get(str(measure), ""),
                    "partition": str(partition),
                    "part": part, "theil": theil, "share_pct": 100 * theil / total if total > 0 else np.nan,
                    "theil_total": total, "regions": int(row["regions"]), "groups": int(row["groups"]),
                })
    if problems:
        raise SchemaError("Theil index: " + "; ".join(problems))
    columns = ["measure", "measure_unit", "partition", "part", "theil", "share_pct", "theil_total", "regions", "groups"]
    return pd.DataFrame(rows, columns=columns)


def index_theil_table(
    index: pd.Series,
    spec: IndexSpec,
    *,
    population: pd.Series,
    partitions: Mapping[str, pd.Series],
) -> pd.DataFrame:
    """The Theil decomposition of a composite index, refused unless the index is on a ratio scale.

    Parameters
    ----------
    index
        The composite index, indexed by code.
    spec
        How it was built (:func:`ratio_scale_problem` reads it).
    population
        Population per region, indexed by code.
    partitions
        Named group labels.

    Returns
    -------
    pandas.DataFrame
        As :func:`theil_table`, with the measure named after ``index`` (``index`` by default)
        and its ``measure_unit`` naming the normalisation.

    Raises
    ------
    SchemaError
        For an index without a natural zero: why, and what to use instead.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> minmax = IndexSpec((IndicatorSpec("access", ("access",)),))
    >>> index = pd.Series({"a": 0.0, "b": 0.5, "c": 1.0}, name="index")
    >>> index_theil_table(index, minmax, population=pd.Series(1.0, index=index.index),
    ...                   partitions={"all": pd.Series("one", index=index.index)})
    Traceback (most recent call last):
    ...
    borderland.errors.SchemaError: the Theil index of the index is not meaningful: min-max ...
    """
    problem = ratio_scale_problem(spec)
    if problem is not None:
        raise SchemaError(
            f"the Theil index of the index is not meaningful: {problem}. Theil compares each value with the mean "
            "as a ratio, so its between-group shares change when a constant is added to every value. Decompose the "
            "raw components instead (theil_table of the indicator values; the run reports them), or build the "
            "index on a ratio scale: [index] normalisation = \"goalposts\" with goalposts = [0, high] on every "
            "component and scale = [0, 1], or normalisation = \"reference\"; with direction = \"higher\" and no "
            "transform")
    name = str(index.name or "index")
    unit = f"index ({spec.normalisation}, {spec.aggregation} mean; 0 = none)"
    return theil_table(index.rename(name).to_frame(), population=population, partitions=partitions,
                       units={name: unit})
