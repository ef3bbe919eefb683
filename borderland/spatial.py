"""Spatial statistics of an indicator or the index: Moran's I, local Moran (LISA), Theil index.

Moran's I and LISA come from esda, on the neighbour graph of :mod:`borderland.neighbours`,
restricted to the regions that have a value. Two details are ours:

- esda's global ``Moran`` draws its permutations from NumPy's global generator and takes no
  seed, so the permutation test of :func:`morans_i` is run here with the given ``rng`` (the
  statistic, its expectation and the analytical inference are esda's; the pseudo p-value is
  defined as in esda). esda's ``Moran_Local`` does take a seed, but sets NumPy's global state
  with it; :func:`local_moran` restores that state afterwards.
- The Theil index is written here (a dozen lines) rather than taken from the ``inequality``
  package, whose ``TheilD`` counts every region once whatever its population and decomposes
  one partition at a time; a divide between a region of seven million people and one of half a
  million must weigh them by population, and the pipeline decomposes the same total by
  country, by border ring and by side at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import SchemaError
from borderland.neighbours import NeighbourGraph

#: LISA quadrants in esda's numbering (1 HH, 2 LH, 3 LL, 4 HL).
QUADRANTS = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I of one variable on a neighbour graph.

    Attributes
    ----------
    i
        Moran's I (row-standardised weights).
    expected_i
        Its expectation under spatial randomness, ``-1 / (n - 1)``.
    z_norm, p_norm
        z-value and two-sided p-value under the normality assumption (esda).
    p_sim
        Pseudo p-value from the permutations: ``(k + 1) / (permutations + 1)``, with ``k`` the
        number of permuted I at least as extreme as the observed one, on the observed side (esda's
        definition).
    z_sim
        Observed I in standard deviations of the permuted ones.
    permutations
        Number of random permutations.
    n
        Regions in the test: with a value and at least one neighbour with a value.
    left_out
        Regions without a value, then regions with a value but no neighbour with one.
    """

    i: float
    expected_i: float
    z_norm: float
    p_norm: float
    p_sim: float
    z_sim: float
    permutations: int
    n: int
    left_out: tuple[str, ...]

    def summary(self) -> str:
        """One line for logs and READMEs."""
        return (f"Moran's I = {self.i:.3f} (E[I] = {self.expected_i:.3f}), pseudo p = {self.p_sim:.3f} "
                f"({self.permutations} permutations), z = {self.z_sim:.2f}; n = {self.n} regions")


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _tested(regions: pd.DataFrame, graph: NeighbourGraph, values: pd.Series) -> tuple[pd.Series, tuple[str, ...]]:
    """Values of the regions that can enter a Moran test, and the codes of those that cannot."""
    value = values.reindex(regions.index).astype(float)
    present = value.dropna()
    adj = graph.adjacency()
    adj = adj[adj["focal"].isin(present.index) & adj["neighbour"].isin(present.index)]
    linked = present[present.index.isin(adj["focal"])]
    left_out = tuple(value.index[value.isna()]) + tuple(present.index.difference(linked.index, sort=False))
    if len(linked) < 3:
        raise SchemaError(f"a Moran test needs at least 3 regions with a value and a neighbour with one; "
                          f"found {len(linked)} of {len(value)} ({int(value.notna().sum())} with a value)")
    return linked, left_out


def morans_i(
    regions: gpd.GeoDataFrame | pd.DataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    permutations: int = 999,
    rng: np.random.Generator | int | None = None,
) -> MoranResult:
    """Global Moran's I with a seeded permutation test.

    Regions without a value are left out, and so are regions left without a neighbour that
    has a value (their spatial lag would be 0, not "unknown"); both are listed in the result.

    Parameters
    ----------
    regions
        Region layer indexed by code.
    graph
        From :func:`borderland.neighbours.neighbour_graph` (binary, row-standardised here).
    values
        One value per region, indexed by code.
    permutations
        Number of random permutations for the pseudo p-value.
    rng
        Generator or seed; the same seed gives the same pseudo p-value.

    Returns
    -------
    MoranResult
        The statistic and its inference.
    """
    from esda.moran import Moran

    if permutations < 1:
        raise ValueError(f"permutations is {permutations}; expected at least 1 (999 is usual)")
    y, left_out = _tested(regions, graph, values)
    w = graph.to_libpysal(y.index).transform("r")
    moran = Moran(y.to_numpy(), w, transformation="r", permutations=0)
    # the permutation test with our generator: I of each shuffled vector, all at once
    z = y.to_numpy() - y.mean()
    generator = _generator(rng)
    shuffled = np.stack([generator.permutation(z) for _ in range(permutations)], axis=1)
    sparse = w.sparse
    simulated = len(z) / sparse.sum() * (shuffled * (sparse @ shuffled)).sum(axis=0) / (shuffled**2).sum(axis=0)
    larger = int((simulated >= moran.I).sum())
    larger = min(larger, permutations - larger)
    return MoranResult(
        i=float(moran.I),
        expected_i=float(moran.EI),
        z_norm=float(moran.z_norm),
        p_norm=float(moran.p_norm),
        p_sim=(larger + 1) / (permutations + 1),
        z_sim=float((moran.I - simulated.mean()) / simulated.std()),
        permutations=permutations,
        n=len(y),
        left_out=left_out,
    )


def local_moran(
    regions: gpd.GeoDataFrame | pd.DataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    permutations: int = 999,
    rng: np.random.Generator | int | None = None,
    significance: float = 0.05,
) -> pd.DataFrame:
    """Local Moran (LISA) of each region, with seeded conditional permutations (esda).

    Parameters
    ----------
    regions
        Region layer indexed by code.
    graph
        From :func:`borderland.neighbours.neighbour_graph`.
    values
        One value per region, indexed by code.
    permutations
        Conditional permutations per region.
    rng
        Generator or seed (an integer seed is passed to esda as is).
    significance
        Pseudo p-value at or below which a region's quadrant is reported as a cluster.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``, with ``v`` the name of ``values``: ``v_lisa_i`` (local I),
        ``v_lisa_p`` (pseudo p-value), ``v_lisa_quadrant`` (``high-high``, ``low-high``,
        ``low-low``, ``high-low``: the region's value and its neighbours' mean, each above or
        below the mean) and ``v_lisa_cluster`` (the quadrant where ``v_lisa_p <= significance``,
        else ``not significant``); missing for regions left out of the test (see
        :func:`morans_i`).
    """
    from esda.moran import Moran_Local

    if not 0 < significance < 1:
        raise ValueError(f"significance is {significance}; expected a level between 0 and 1 such as 0.05")
    stem = values.name or "value"
    y, _ = _tested(regions, graph, values)
    w = graph.to_libpysal(y.index).transform("r")
    seed = rng if isinstance(rng, int) else int(_generator(rng).integers(0, 2**31 - 1))
    state = np.random.get_state()  # noqa: NPY002 - esda's global seeding, undone below
    try:
        # esda seeds NumPy's global generator; a call here must leave it as it was
        lisa = Moran_Local(y.to_numpy(), w, transformation="r", permutations=permutations, seed=seed,
                           keep_simulations=False, n_jobs=1)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    quadrant = pd.Series([QUADRANTS[int(q)] for q in lisa.q], index=y.index, dtype="string")
    p = pd.Series(lisa.p_sim, index=y.index)
    out = pd.DataFrame(index=regions.index)
    out[f"{stem}_lisa_i"] = pd.Series(lisa.Is, index=y.index).reindex(regions.index)
    out[f"{stem}_lisa_p"] = p.reindex(regions.index)
    out[f"{stem}_lisa_quadrant"] = quadrant.reindex(regions.index)
    out[f"{stem}_lisa_cluster"] = quadrant.where(p <= significance, "not significant").reindex(regions.index)
    return out


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
                        "ratio scale (shares, counts, a min-max index), not z-scores")
    if frame.empty or frame["value"].sum() == 0:
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
        One non-negative value per region (a share, or a min-max index), indexed by code.
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
            "mean": mu,
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
        One non-negative value per region, indexed by code.
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
