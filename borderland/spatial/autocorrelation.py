"""Moran's I and local Moran (LISA) on the run's neighbour graph, with the false discovery rate.

Vectorised with numpy rather than taken from esda (whose import costs ~1.5 s): see the package's
docstring, :mod:`borderland.spatial`, for the formulas and how the tests check them against esda.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from borderland.compute import SERIAL, Executor
from borderland.errors import SchemaError
from borderland.neighbours import NeighbourGraph

#: LISA quadrants in esda's numbering (1 HH, 2 LH, 3 LL, 4 HL).
QUADRANTS: Final[Mapping[int, str]] = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}

#: Random numbers drawn at once by the permutation tests; bounds their memory (about 32 MB).
CHUNK_DRAWS: Final[int] = 1 << 22


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I of one variable on a neighbour graph.

    Attributes
    ----------
    i
        Moran's I (row-standardised weights).
    expected_i
        Its expectation under spatial randomness, ``-1 / (n - 1)``.
    variance_norm, z_norm, p_norm
        Variance of I, z-value and two-sided p-value under the normality assumption (esda's
        ``VI_norm``, ``z_norm``, ``p_norm``).
    variance_rand, z_rand, p_rand
        The same under randomisation (esda's ``VI_rand``, ``z_rand``, ``p_rand``; ``NaN`` for
        fewer than 4 regions).
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
    variance_norm: float
    z_norm: float
    p_norm: float
    variance_rand: float
    z_rand: float
    p_rand: float
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


def _two_sided(z: float) -> float:
    """Two-sided normal p-value, ``2 * (1 - Phi(|z|))`` (esda's, without importing scipy.stats)."""
    return math.erfc(abs(z) / math.sqrt(2.0)) if math.isfinite(z) else math.nan


def _pseudo_p(larger: npt.NDArray[np.int64], permutations: int) -> npt.NDArray[np.float64]:
    """Pseudo p-value as esda's: permuted statistics at least as extreme, on the observed side."""
    folded = np.minimum(larger, permutations - larger)
    return (folded + 1.0) / (permutations + 1.0)


@dataclass(frozen=True)
class _Tested:
    """The regions of a Moran test and their row-standardised weights, as graph arrays."""

    y: pd.Series                       # values of the tested regions, in region order
    left_out: tuple[str, ...]
    focal: npt.NDArray[np.intp]        # directed links between tested regions (positions in y)
    neighbour: npt.NDArray[np.intp]
    weight: npt.NDArray[np.float64]    # 1 / number of tested neighbours of the focal region
    cardinality: npt.NDArray[np.intp]  # tested neighbours of each tested region (all > 0)

    def lag(self, z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.bincount(self.focal, self.weight * z[self.neighbour], minlength=len(z)).astype(np.float64)


def _tested(regions: pd.DataFrame, graph: NeighbourGraph, values: pd.Series) -> _Tested:
    """Values of the regions that can enter a Moran test, the codes of those that cannot, the weights."""
    value = values.reindex(regions.index).astype(float)
    present = value.dropna()
    on_graph = present[present.index.isin(graph.ids)]
    valued_neighbours = graph.neighbour_count(on_graph).reindex(present.index, fill_value=0)
    y = present[valued_neighbours.to_numpy() > 0]
    left_out = tuple(value.index[value.isna()]) + tuple(present.index.difference(y.index, sort=False))
    if len(y) < 3:
        raise SchemaError(f"a Moran test needs at least 3 regions with a value and a neighbour with one; "
                          f"found {len(y)} of {len(value)} ({int(value.notna().sum())} with a value)")
    if y.nunique() == 1:
        raise SchemaError(f"all {len(y)} regions in the Moran test have the same value ({y.iloc[0]:g}): "
                          "spatial autocorrelation is undefined; test a variable that varies")
    sub = graph.subgraph(y.index)
    cardinality = np.diff(sub.offsets)
    return _Tested(y, left_out, sub.focal, sub.neighbour, 1.0 / cardinality[sub.focal], cardinality)


def morans_i(
    regions: gpd.GeoDataFrame | pd.DataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    permutations: int = 999,
    rng: np.random.Generator | int | None = None,
    executor: Executor = SERIAL,
) -> MoranResult:
    """Global Moran's I with its analytical inference and a seeded permutation test.

    Regions without a value are left out, and so are regions left without a neighbour that
    has a value (their spatial lag would be 0, not "unknown"); both are listed in the result.
    With ``n`` regions, ``z`` the deviations from their mean and ``W`` the row-standardised
    weights, ``I = (n / S0) z'Wz / z'z`` (``S0 = n``); the moments are Cliff and Ord's, as esda.

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
    executor
        Where the chunks of permutations run (:mod:`borderland.compute`); the result is the same.

    Returns
    -------
    MoranResult
        The statistic and its inference.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> row = gpd.GeoDataFrame({"country": ["AA"] * 4}, index=list("PQRS"), crs=3035,
    ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(4)])
    >>> from borderland.neighbours import neighbour_graph
    >>> result = morans_i(row, neighbour_graph(row), pd.Series([1.0, 2.0, 3.0, 4.0], index=list("PQRS")), rng=0)
    >>> round(result.i, 4), round(result.expected_i, 4)  # z'Wz = 0.75 + 0.25 + 0.25 + 0.75, z'z = 5
    (0.4, -0.3333)
    """
    if permutations < 1:
        raise ValueError(f"permutations is {permutations}; expected at least 1 (999 is usual)")
    tested = _tested(regions, graph, values)
    y = tested.y.to_numpy(dtype=float)
    n = len(y)
    z = y - y.mean()
    z2ss = float((z * z).sum())
    f, g, w = tested.focal, tested.neighbour, tested.weight
    s0 = float(w.sum())
    i = n / s0 * float((z * tested.lag(z)).sum()) / z2ss

    # Cliff and Ord's moments of I (esda's Moran.__moments): the graph is symmetric, so the weight
    # of a link's reverse is 1 / cardinality of its neighbour
    s1 = 0.5 * float(((w + 1.0 / tested.cardinality[g]) ** 2).sum())
    column = np.bincount(g, w, minlength=n)  # sum_j w_ji
    row = np.bincount(f, w, minlength=n)
    s2 = float(((row + column) ** 2).sum())
    expected = -1.0 / (n - 1)
    s02 = s0 * s0
    variance_norm = (n * n * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - expected**2
    kurtosis = float((z**4).sum() / n) / float((z**2).sum() / n) ** 2
    if n > 3:
        a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02)
        b = kurtosis * ((n * n - n) * s1 - 2 * n * s2 + 6 * s02)
        variance_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - expected**2
    else:
        variance_rand = math.nan
    z_norm = (i - expected) / math.sqrt(variance_norm) if variance_norm > 0 else math.nan
    z_rand = (i - expected) / math.sqrt(variance_rand) if variance_rand > 0 else math.nan

    # the permutation test: I of every shuffled vector at once, in chunks that bound the memory;
    # each chunk has a random stream of its own, spawned from the seed, so that the chunks can run
    # anywhere (:mod:`borderland.compute`) and give the same numbers
    chunk = max(1, CHUNK_DRAWS // max(n, len(f)))
    sizes = [min(chunk, permutations - start) for start in range(0, permutations, chunk)]
    streams = _generator(rng).spawn(len(sizes))
    tasks = [_MoranChunk(z=z, f=f, g=g, w=w, factor=n / s0 / z2ss, rows=rows, rng=stream)
             for rows, stream in zip(sizes, streams, strict=True)]
    simulated = np.concatenate(list(executor.map(_moran_chunk, tasks)))
    larger = np.array([int((simulated >= i).sum())])
    spread = float(simulated.std())
    return MoranResult(
        i=i,
        expected_i=expected,
        variance_norm=variance_norm,
        z_norm=z_norm,
        p_norm=_two_sided(z_norm),
        variance_rand=variance_rand,
        z_rand=z_rand,
        p_rand=_two_sided(z_rand),
        p_sim=float(_pseudo_p(larger, permutations)[0]),
        z_sim=(i - float(simulated.mean())) / spread if spread > 0 else math.nan,
        permutations=permutations,
        n=n,
        left_out=tested.left_out,
    )


def benjamini_hochberg(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini-Hochberg q-values: the p-values of a family of tests adjusted for the false discovery rate.

    With the ``m`` p-values sorted, ``p_(1) <= ... <= p_(m)``, the q-value of the k-th is
    ``min(1, min over j >= k of m p_(j) / j)``. Calling every test with a q-value at most
    ``alpha`` significant is the step-up procedure of Benjamini and Hochberg (1995): find the
    largest ``k`` with ``p_(k) <= k alpha / m`` and call the ``k`` smallest significant; the
    expected share of false discoveries among them is then at most ``alpha`` (for independent
    or positively dependent tests). NaN (a test not made) stays NaN and does not count in ``m``.

    Parameters
    ----------
    p_values
        One p-value per test, in [0, 1]; NaN for none.

    Returns
    -------
    numpy.ndarray
        The q-values, in the order of ``p_values``.

    Examples
    --------
    >>> # sorted: 0.01, 0.03, 0.04, 0.20; m p / rank: 0.04, 0.06, 0.053, 0.20; minimum from the right
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values has {p.ndim} dimensions; expected one p-value per test in a 1-D array")
    tested = np.flatnonzero(~np.isnan(p))
    if ((p[tested] < 0) | (p[tested] > 1)).any():
        raise ValueError(f"p-values must lie in [0, 1]; found {p[tested].min():g} to {p[tested].max():g}")
    q = np.full(p.shape, np.nan)
    order = tested[np.argsort(p[tested], kind="stable")]
    m = len(order)
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def _uncorrected(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.asarray(p_values, dtype=float)


#: Corrections of the LISA p-values for testing every region at once: name -> adjusted p-values.
#: ``"fdr"``: Benjamini-Hochberg q-values; ``"none"``: each pseudo p-value on its own.
LISA_CORRECTIONS: Final[Mapping[str, Callable[[npt.ArrayLike], npt.NDArray[np.float64]]]] = {
    "fdr": benjamini_hochberg,
    "none": _uncorrected,
}

#: The corrections in words, for outputs and field aliases.
CORRECTION_NAMES: Final[Mapping[str, str]] = {
    "fdr": "Benjamini-Hochberg false discovery rate",
    "none": "no correction for multiple tests",
}


def local_moran(
    regions: gpd.GeoDataFrame | pd.DataFrame,
    graph: NeighbourGraph,
    values: pd.Series,
    *,
    permutations: int = 999,
    rng: np.random.Generator | int | None = None,
    significance: float = 0.05,
    correction: str = "fdr",
    executor: Executor = SERIAL,
) -> pd.DataFrame:
    """Local Moran (LISA) of each region, with seeded conditional permutations and a multiple-test correction.

    With ``z`` the values standardised over the ``n`` tested regions (as :func:`morans_i`) and
    ``lag`` the mean of a region's tested neighbours' ``z``, ``I_i = (n - 1) z_i lag_i / sum(z²)``
    (esda's ``Moran_Local.Is``). Its pseudo p-value holds ``z_i`` fixed and draws the region's
    ``k_i`` neighbours at random from the other ``n - 1`` regions, ``permutations`` times; as in
    esda, the j-th draw of every region comes from one shared random sample of the others.

    The ``n`` regions are ``n`` tests: at ``p <= 0.05`` each, about one in twenty regions of a
    map without any pattern would be called a cluster. With ``correction="fdr"`` a region is a
    cluster when its Benjamini-Hochberg q-value (:func:`benjamini_hochberg` over the ``n``
    pseudo p-values) is at most ``significance``: at most that share of the clusters is
    expected to be false. ``"none"`` compares each pseudo p-value with ``significance`` alone.

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
        Generator or seed; the same seed gives the same pseudo p-values.
    executor
        Where the chunks of permutations run (:mod:`borderland.compute`); the result is the same.
    significance
        The level: the largest q-value (``"fdr"``) or pseudo p-value (``"none"``) of a cluster.
    correction
        A key of :data:`LISA_CORRECTIONS`: ``"fdr"`` or ``"none"``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``regions``, with ``v`` the name of ``values``: ``v_lisa_i`` (local I),
        ``v_lisa_p`` (pseudo p-value), ``v_lisa_q`` (its Benjamini-Hochberg q-value, whatever
        the correction), ``v_lisa_quadrant`` (``high-high``, ``low-high``, ``low-low``,
        ``high-low``: the region's value and its neighbours' mean, each above or below the
        mean) and ``v_lisa_cluster`` (the quadrant where the test is significant after the
        correction, else ``not significant``); missing for regions left out of the test (see
        :func:`morans_i`). ``attrs`` hold the ``correction``, the ``significance``, the
        ``tests`` made, the ``permutations`` and ``threshold_p``: the pseudo p-value at or
        below which a region is significant (``significance`` without a correction; with
        ``"fdr"`` ``k significance / tests``, ``k`` the number of significant regions, or
        ``significance / tests`` when there is none).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> row = gpd.GeoDataFrame({"country": ["AA"] * 5}, index=list("PQRST"), crs=3035,
    ...     geometry=[shapely.box(k * 1000, 0, (k + 1) * 1000, 1000) for k in range(5)])
    >>> from borderland.neighbours import neighbour_graph
    >>> values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("PQRST"), name="index")
    >>> lisa = local_moran(row, neighbour_graph(row), values, permutations=99, rng=0)
    >>> list(lisa.columns)
    ['index_lisa_i', 'index_lisa_p', 'index_lisa_q', 'index_lisa_quadrant', 'index_lisa_cluster']
    >>> lisa.attrs["correction"], lisa.attrs["tests"]
    ('fdr', 5)
    """
    if not 0 < significance < 1:
        raise ValueError(f"significance is {significance}; expected a level between 0 and 1 such as 0.05")
    if permutations < 1:
        raise ValueError(f"permutations is {permutations}; expected at least 1 (999 is usual)")
    if correction not in LISA_CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; choose one of {sorted(LISA_CORRECTIONS)}")
    stem = values.name or "value"
    tested = _tested(regions, graph, values)
    y = tested.y.to_numpy(dtype=float)
    n = len(y)
    z = (y - y.mean()) / y.std()
    lag = tested.lag(z)
    scale = (n - 1) / float((z * z).sum())
    local_i = scale * z * lag
    high, high_lag = z > 0, lag > 0
    quadrant_number = np.where(high, np.where(high_lag, 1, 4), np.where(high_lag, 2, 3))
    larger = _conditional_larger(z, tested.cardinality, local_i, scale, permutations, _generator(rng), executor)

    quadrant = pd.Series([QUADRANTS[int(q)] for q in quadrant_number], index=tested.y.index, dtype="string")
    pseudo_p = _pseudo_p(larger, permutations)
    significant = LISA_CORRECTIONS[correction](pseudo_p) <= significance
    if correction == "none":
        threshold = significance
    else:
        # the step-up line k alpha / m at the last test it keeps (no p-value lies at or below
        # alpha / m when none is kept)
        threshold = max(int(significant.sum()), 1) * significance / n
    out = pd.DataFrame(index=regions.index)
    out[f"{stem}_lisa_i"] = pd.Series(local_i, index=tested.y.index).reindex(regions.index)
    out[f"{stem}_lisa_p"] = pd.Series(pseudo_p, index=tested.y.index).reindex(regions.index)
    out[f"{stem}_lisa_q"] = pd.Series(benjamini_hochberg(pseudo_p), index=tested.y.index).reindex(regions.index)
    out[f"{stem}_lisa_quadrant"] = quadrant.reindex(regions.index)
    out[f"{stem}_lisa_cluster"] = quadrant.where(significant, "not significant").reindex(regions.index)
    out.attrs.update({"correction": correction, "significance": significance, "tests": n,
                      "permutations": permutations, "threshold_p": threshold})
    return out


@dataclass(frozen=True)
class _MoranChunk:
    """A chunk of the global Moran permutations: everything it needs, for a cluster too."""

    z: npt.NDArray[np.float64]
    f: npt.NDArray[np.intp]
    g: npt.NDArray[np.intp]
    w: npt.NDArray[np.float64]
    factor: float
    rows: int
    rng: np.random.Generator


def _moran_chunk(task: _MoranChunk) -> npt.NDArray[np.float64]:
    """Moran's I of ``rows`` random permutations of ``z``."""
    shuffled = task.rng.permuted(np.tile(task.z, (task.rows, 1)), axis=1)
    cross = (shuffled[:, task.f] * shuffled[:, task.g] * task.w).sum(axis=1)
    result: npt.NDArray[np.float64] = task.factor * cross
    return result


@dataclass(frozen=True)
class _LisaChunk:
    """A chunk of the conditional permutations of LISA."""

    z: npt.NDArray[np.float64]
    cardinality: npt.NDArray[np.intp]
    observed: npt.NDArray[np.float64]
    scale: float
    rows: int
    rng: np.random.Generator


def _lisa_chunk(task: _LisaChunk) -> npt.NDArray[np.int64]:
    """Per region, how many of ``rows`` conditionally permuted local I are at least the observed one.

    Draw ``j`` is one random ordering of ``n - 1`` slots; region ``i`` takes the first ``k_i``
    slots as its neighbours, slot ``s`` meaning region ``s`` for ``s < i`` and ``s + 1``
    otherwise (so never ``i`` itself). Regions of one cardinality are handled together.
    """
    z, rows = task.z, task.rows
    n = len(z)
    larger = np.zeros(n, dtype=np.int64)
    most = int(task.cardinality.max())
    slots = task.rng.permuted(np.tile(np.arange(n - 1), (rows, 1)), axis=1)[:, :most]
    for k in np.unique(task.cardinality):
        members = np.flatnonzero(task.cardinality == k)
        drawn = slots[:, :int(k)]
        per_block = max(1, CHUNK_DRAWS // (rows * int(k)))
        for block in range(0, len(members), per_block):
            focal = members[block:block + per_block]
            others = drawn[None, :, :] + (drawn[None, :, :] >= focal[:, None, None])
            simulated = task.scale * z[focal, None] * z[others].mean(axis=2)
            larger[focal] += (simulated >= task.observed[focal, None]).sum(axis=1)
    return larger


def _conditional_larger(
    z: npt.NDArray[np.float64],
    cardinality: npt.NDArray[np.intp],
    observed: npt.NDArray[np.float64],
    scale: float,
    permutations: int,
    generator: np.random.Generator,
    executor: Executor = SERIAL,
) -> npt.NDArray[np.int64]:
    """Per region, how many conditionally permuted local I are at least the observed one.

    The permutations run in chunks that bound the memory, each with a random stream of its own
    spawned from ``generator``, so that they can run anywhere and give the same counts.
    """
    n = len(z)
    chunk = max(1, CHUNK_DRAWS // n)
    sizes = [min(chunk, permutations - start) for start in range(0, permutations, chunk)]
    streams = generator.spawn(len(sizes))
    tasks = [_LisaChunk(z=z, cardinality=cardinality, observed=observed, scale=scale, rows=rows, rng=stream)
             for rows, stream in zip(sizes, streams, strict=True)]
    larger = np.zeros(n, dtype=np.int64)
    for counts in executor.map(_lisa_chunk, tasks):
        larger += counts
    return larger
