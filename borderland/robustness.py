"""How far the index, ranks, typology and cross-border gaps survive other defensible choices.

A seeded Monte Carlo uncertainty analysis in the manner of the JRC's audits of composite
indicators (Saisana, Saltelli and Tarantola 2005), taken down to what a border study reports:
each draw perturbs the weights around the chosen ones (Dirichlet) and picks a normalisation and
an aggregation among the alternatives given; the index, the ranks and the typology are recomputed.
For each region: median rank, 5-95 % rank interval and the probability of each class; for each
cross-border pair: the probability that its gap keeps its sign. Every probability comes with its
Monte Carlo standard error, so a reader knows how many draws are enough.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np
import pandas as pd

from borderland.compute import SERIAL, Executor
from borderland.errors import SchemaError, collect
from borderland.index import IndexResult, IndexSpec, build_index
from borderland.typology import TypologySpec, class_positions, classify

#: Default Dirichlet concentration: with three equal weights each varies by about 25 % of itself (1 sd).
DEFAULT_CONCENTRATION: Final[float] = 30.0


@dataclass(frozen=True)
class UncertaintyResult:
    """What the Monte Carlo found.

    Attributes
    ----------
    regions
        Indexed like the input matrix; NaN / ``<NA>`` for regions without an index. Columns
        ``rank`` (as chosen; 1 = highest index), ``rank_median``, ``rank_p05``, ``rank_p95``,
        ``rank_median_se``, ``p_<label>`` per class (probability, 0-1), ``typology_modal`` (the
        most frequent class), ``p_typology`` (probability of the class as chosen),
        ``typology_unstable`` (``p_typology`` below ``stable_at``) and ``p_se`` (the largest
        Monte Carlo standard error of the region's class probabilities).
    pairs
        Indexed like the pairs given (``None`` without): ``p_gap_sign_kept`` (probability that
        the gap has the sign it has as chosen), ``p_a_leads`` (probability that ``region_a``'s
        index is higher) and ``p_gap_sign_kept_se``; NaN where either side has no index.
    scenarios
        Each normalisation x aggregation and how many draws it got.
    weights
        Per component: the chosen ``weight`` and the 5th and 95th percentiles of the drawn ones.
    draws
        Number of draws.
    mc_error
        The largest Monte Carlo standard error of any probability reported (never above
        0.5 / sqrt(draws)).
    """

    regions: pd.DataFrame
    pairs: pd.DataFrame | None
    scenarios: pd.DataFrame
    weights: pd.DataFrame
    draws: int
    mc_error: float
    #: The codes of the rows of :meth:`draw_blocks` and ``draw_index``.
    codes: pd.Index | None = field(default=None, repr=False, compare=False)
    #: The index as chosen, for the same codes.
    chosen_index: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: The blocks of draws (each draw's weights and scenario), from which each draw's index is
    #: computed again when asked: a draws x regions matrix is never kept.
    _tasks: tuple[_DrawBlock, ...] = field(default=(), repr=False, compare=False)

    def draw_blocks(self, executor: Executor = SERIAL) -> Iterator[np.ndarray]:
        """The index of every indexed region in each block of draws, in the order of the draws.

        Each block is computed again (the same numbers as in the analysis, to the last bit) and
        let go by the caller before the next: a step over the draws (the pairs' signs, the
        profile's interval) needs memory for one block of regions x a few dozen draws, not for
        regions x draws.

        Parameters
        ----------
        executor
            Where the blocks are computed (:mod:`borderland.compute`): the same numbers wherever.

        Yields
        ------
        numpy.ndarray
            ``float32``, one row per region of ``codes``, one column per draw of the block.
        """
        yield from executor.map(_float32_block_index, self._tasks)

    @property
    def draw_index(self) -> np.ndarray | None:
        """The index of every indexed region (rows, in ``codes`` order) in every draw (columns).

        ``float32``, regions x draws, built anew at each call (80 MB at 20,000 regions x 1,000
        draws): :meth:`draw_blocks` gives the same numbers a block at a time. ``None`` when the
        result kept no draws.
        """
        if not self._tasks:
            return None
        return np.concatenate(list(self.draw_blocks()), axis=1)

    def summary(self) -> str:
        """A few lines for the terminal."""
        r = self.regions.dropna(subset=["rank"])
        lines = [
            f"uncertainty analysis: {self.draws} draws over {len(self.scenarios)} scenario(s) "
            f"({', '.join(f'{s.normalisation}/{s.aggregation}' for s in self.scenarios.itertuples())}); "
            f"Monte Carlo standard error of probabilities <= {self.mc_error:.3f}",
            f"regions whose class is unstable: {int(r['typology_unstable'].sum())} of {len(r)}",
        ]
        if self.pairs is not None:
            known = self.pairs["p_gap_sign_kept"].dropna()
            lines.append(f"pairs whose gap keeps its sign in at least 95 % of draws: {int((known >= 0.95).sum())} "
                         f"of {len(known)}")
        return "\n".join(lines)


def _column_stem(label: str) -> str:
    return re.sub(r"\W+", "_", label.strip()).strip("_").lower() or "class"


def _indices(scores: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """Index of every region (rows) in every draw (columns); weights are draws x components."""
    present = ~np.isnan(scores)
    denominator = present.astype(float) @ weights.T
    if aggregation == "geometric":
        logs = np.log(np.where(present, scores, 1.0))
        return np.exp((logs @ weights.T) / denominator)
    return (np.where(present, scores, 0.0) @ weights.T) / denominator


#: Draws computed at a time (regions x this many float64 at once). The blocks' bounds are part of
#: the results' bits (a matrix product's rounding may depend on its width): keep them.
_BLOCK: Final = 32
#: Regions whose rank distributions are summarised at a time.
_ROWS: Final = 1024


@dataclass(frozen=True)
class _PairRows:
    """Cross-border pairs as rows of the draws' regions, and the sign of each gap as chosen."""

    a: np.ndarray
    b: np.ndarray
    chosen_sign: np.ndarray


@dataclass(frozen=True)
class _DrawBlock:
    """One task of the Monte Carlo: a block of draws, with everything it needs (for a cluster, too)."""

    scores: dict[str, np.ndarray]
    scenarios: tuple[tuple[str, str], ...]
    weights: np.ndarray
    picks: np.ndarray
    typology: TypologySpec
    halves_dtype: Any
    pairs: _PairRows | None = None


@dataclass(frozen=True)
class _BlockCounts:
    """What a block of draws leaves behind: ranks for the quantiles, and counts."""

    #: Twice each region's rank in each draw of the block (average ranks end in .5).
    halves: np.ndarray
    #: Draws of the block in which each region (rows) falls in each class (columns).
    classes: np.ndarray
    #: Draws of the block in which each pair's gap keeps its sign as chosen, and in which its
    #: ``region_a`` leads (``None`` without pairs).
    kept: np.ndarray | None
    leads: np.ndarray | None


@functools.cache
def _blas_threads() -> Any:
    """The controller of the BLAS libraries loaded (threadpoolctl's), built once."""
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped,unused-ignore]

    return ThreadpoolController()


#: Multiply-adds from which OpenBLAS computes a matrix product on several threads (its
#: ``SMP_THRESHOLD_MIN`` x ``GEMM_MULTITHREAD_THRESHOLD``); smaller ones run on one already.
_THREADED_PRODUCT: Final = 65_536 * 4


def _one_blas_thread(multiply_adds: int) -> contextlib.AbstractContextManager[object]:
    """BLAS on one thread for a while (the results are the same)."""
    # a draw's index is regions x components times components x draws, with a few components:
    # OpenBLAS's threads cost several times the product itself (4x on an idle machine, 7x on a
    # loaded one). Each product's element is one dot product whichever thread computes it, so
    # the numbers do not change (dask's workers run their BLAS on one thread too). Asking
    # threadpoolctl costs 10 ms the first time: not for products that run on one thread anyway
    controller = _blas_threads() if multiply_adds >= _THREADED_PRODUCT else None
    return controller.limit(limits=1, user_api="blas") if controller is not None else contextlib.nullcontext()


def _block_index(task: _DrawBlock) -> np.ndarray:
    """Each region's index (float64) in each draw of a block.

    The weights and scenario picks of every draw are drawn before the blocks are cut, so a block
    computes the same numbers wherever it runs, and each time it is asked.
    """
    n, components = next(iter(task.scores.values())).shape
    index = np.empty((n, len(task.picks)))
    with _one_blas_thread(n * components * len(task.picks)):
        for s, (normalisation, aggregation) in enumerate(task.scenarios):
            chosen = np.flatnonzero(task.picks == s)
            if len(chosen):
                index[:, chosen] = _indices(task.scores[normalisation], task.weights[chosen], aggregation)
    return index


def _pair_counts(index: np.ndarray, pairs: _PairRows) -> tuple[np.ndarray, np.ndarray]:
    """Draws of a block (columns of ``index``) in which each pair keeps its gap's sign; in which a leads."""
    # the draws' index in float32, as the profile reads it; a difference's sign is the same
    # in float32 and float64 (it is zero only where the two values are equal)
    gaps = index[pairs.a].astype(float) - index[pairs.b]
    return ((np.sign(gaps) == pairs.chosen_sign[:, None]).sum(axis=1), (gaps > 0).sum(axis=1))


def _draw_block(task: _DrawBlock) -> _BlockCounts:
    """Each region's rank (twice it) and class counts, and the pairs' sign counts, over a block of draws."""
    index = _block_index(task)
    classes = class_positions(index, task.typology)
    counts = np.stack([(classes == j).sum(axis=1) for j in range(len(task.typology.labels))], axis=1)
    kept = leads = None
    if task.pairs is not None:
        kept, leads = _pair_counts(index.astype(np.float32), task.pairs)
    return _BlockCounts(halves=_rank_halves(-index, task.halves_dtype),
                        classes=counts.astype(np.int64), kept=kept, leads=leads)


def _float32_block_index(task: _DrawBlock) -> np.ndarray:
    """A block's index computed again, as :meth:`UncertaintyResult.draw_blocks` hands it over."""
    return _block_index(task).astype(np.float32)


def _pair_block(task: _DrawBlock) -> tuple[np.ndarray, np.ndarray]:
    """The pairs' counts of kept signs and leads over a block of draws, its index computed again.

    The index is that of :meth:`UncertaintyResult.draw_blocks` (``float32``), to the last bit.
    """
    if task.pairs is None:
        raise ValueError("a pair block needs the pairs' rows")
    return _pair_counts(_float32_block_index(task), task.pairs)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each row in every column, 1 = lowest; ties share their average rank; NaN ranks last.

    What ``pandas.DataFrame.rank(axis=0, method="average")`` gives for columns without NaN, and
    ``scipy.stats.rankdata`` per column, in one sort of the whole array: pandas ranks a wide
    array column by column (ten seconds for 20,000 regions x 1,000 draws), and importing
    scipy.stats alone costs about a second.

    Parameters
    ----------
    values
        Rows x columns.

    Returns
    -------
    numpy.ndarray
        Float ranks, same shape.

    Examples
    --------
    >>> average_ranks(np.array([[3.0, 1.0], [1.0, 1.0], [2.0, 5.0]])).tolist()
    [[3.0, 1.5], [1.0, 1.5], [2.0, 3.0]]
    """
    return _rank_halves(values) / 2


def _rank_halves(values: np.ndarray, dtype: Any = np.int64) -> np.ndarray:
    """Twice :func:`average_ranks` (whole numbers: average ranks end in .5), as ``dtype``."""
    # sorted along rows of the transpose: a sort along the columns of a C-ordered array jumps
    # through memory and takes several times longer
    rows_first = np.ascontiguousarray(values.T)
    count = rows_first.shape[1]
    # ties get their average rank whatever order the sort leaves them in: no stable sort needed
    order = np.argsort(rows_first, axis=1)
    ordered = np.take_along_axis(rows_first, order, axis=1)
    # a value without ties has twice its place (1-based); a run of equal values from place
    # first to place last shares first + last (0-based) + 2, written over the runs alone
    ranks = np.empty(ordered.shape, dtype=dtype)
    np.put_along_axis(ranks, order, np.arange(2, 2 * count + 1, 2).astype(dtype), axis=1)
    tied = np.zeros((ordered.shape[0], count + 1), dtype=bool)  # [r, p]: place p equals place p - 1
    tied[:, 1:count] = ordered[:, 1:] == ordered[:, :-1]
    edges = np.diff(tied.ravel().view(np.int8))  # a row starts and ends untied: no run spans two rows
    row, first = np.divmod(np.flatnonzero(edges == 1), count + 1)  # the place before the run's first tie
    last = np.flatnonzero(edges == -1) % (count + 1)
    if len(row):
        length = last - first + 1
        rows = np.repeat(row, length)
        places = np.repeat(first - np.cumsum(length) + length, length) + np.arange(int(length.sum()))
        ranks[rows, order[rows, places]] = np.repeat(first + last + 2, length).astype(dtype)
    return ranks.T


def _rank_summaries(halves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Median, 5th and 95th percentiles (numpy's linear rule) and the median's standard error."""
    n, draws = halves.shape
    result = np.empty((4, n))
    for first in range(0, n, _ROWS):
        rows = slice(first, first + _ROWS)
        # twice the ranks are whole numbers: sorted as they are (2 bytes each where they fit),
        # and only the order statistics used are made float ranks
        ordered = np.sort(halves[rows], axis=1)

        def rank(k: int, ordered: np.ndarray = ordered) -> np.ndarray:
            return ordered[:, k].astype(float) / 2

        for k, q in enumerate((0.5, 0.05, 0.95)):
            h = (draws - 1) * q
            low = int(np.floor(h))
            high = min(low + 1, draws - 1)
            result[k, rows] = rank(low) + (h - low) * (rank(high) - rank(low))
        # half the distance between the order statistics n/2 -+ sqrt(n)/2: the distribution-free
        # +-1 standard-error interval of a median (the binomial count of draws below it has sd sqrt(n)/2)
        low = max(math.floor(draws / 2 - math.sqrt(draws) / 2), 0)
        high = min(math.ceil(draws / 2 + math.sqrt(draws) / 2), draws - 1)
        result[3, rows] = (rank(high) - rank(low)) / 2
    return result[0], result[1], result[2], result[3]


def uncertainty(
    matrix: pd.DataFrame,
    spec: IndexSpec,
    *,
    typology: TypologySpec | None = None,
    pairs: pd.DataFrame | None = None,
    countries: pd.Series | None = None,
    focus_country: str | None = None,
    draws: int = 1000,
    concentration: float | None = DEFAULT_CONCENTRATION,
    normalisations: tuple[str, ...] | None = None,
    aggregations: tuple[str, ...] | None = None,
    stable_at: float = 0.8,
    rng: np.random.Generator | int | None = None,
    executor: Executor = SERIAL,
    built: IndexResult | None = None,
) -> UncertaintyResult:
    """Monte Carlo uncertainty analysis of the index, ranks, typology and pair gaps.

    Each draw takes weights from a Dirichlet distribution centred on the chosen (effective)
    weights, with total concentration ``concentration`` (larger: closer to them; each weight w
    has standard deviation sqrt(w (1 - w) / (concentration + 1))), and one normalisation x
    aggregation scenario, uniformly. Imputation, transforms, year and min_share stay as chosen, so
    the same regions have an index in every draw. Ranks and classes are taken among them.

    Parameters
    ----------
    matrix
        Raw values, one column per component, indexed by region.
    spec
        The index as chosen: the centre of the weights and the reference for ranks and classes.
    typology
        The typology rule, applied to each draw's index (default: mean ± 0.5 sd).
    pairs
        Region pairs with ``region_a`` and ``region_b`` (e.g. the cross-border pairs from
        :func:`borderland.neighbours.adjacent_pairs`).
    countries, focus_country
        As for :func:`borderland.index.build_index` (imputation and reference groups).
    draws
        Number of Monte Carlo draws.
    concentration
        Dirichlet concentration of the weights; ``None`` keeps the weights fixed.
    normalisations, aggregations
        Alternatives drawn from (default: the chosen one only). Every combination must be valid:
        the geometric mean needs positive scores, e.g. min-max onto ``scale = (1, 100)`` or ranks.
    stable_at
        A region's class is flagged unstable when its probability is below this.
    rng
        A seed or generator; the same seed gives the same result.
    executor
        Where the blocks of draws are computed (:mod:`borderland.compute`): here by default, or
        on a dask cluster; the result is the same.
    built
        :func:`borderland.index.build_index` of ``matrix`` and ``spec`` (with ``countries`` and
        ``focus_country``), when built already; built now when omitted.

    Returns
    -------
    UncertaintyResult
        Per region and per pair results, scenario counts, weight ranges and the Monte Carlo error.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))))
    >>> matrix = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [0.0, 1.0, 2.0, 3.0]}, index=list("wxyz"))
    >>> result = uncertainty(matrix, spec, draws=200, rng=1)
    >>> result.regions["rank_median"].tolist(), result.regions["p_leader"].tolist()
    ([4.0, 3.0, 2.0, 1.0], [0.0, 0.0, 0.0, 1.0])
    """
    typology = typology or TypologySpec()
    problems = []
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        problems.append(f"draws must be a whole number >= 2, not {draws!r}")
    if concentration is not None and not (isinstance(concentration, int | float) and concentration > 0):
        problems.append(f"concentration must be a positive number or None (fixed weights), not {concentration!r}")
    if not 0 < stable_at <= 1:
        problems.append(f"stable_at must be in (0, 1], not {stable_at!r}")
    if pairs is not None:
        missing = [c for c in ("region_a", "region_b") if c not in pairs.columns]
        if missing:
            problems.append(f"pairs lack column(s) {missing}; pass a frame with region_a and region_b")
    stems = [_column_stem(label) for label in typology.labels]
    if len(set(stems)) != len(stems):
        problems.append(f"class labels {list(typology.labels)} give the same column names {stems}; rename them")
    collect(problems, SchemaError, "uncertainty analysis")

    base = built if built is not None else build_index(matrix, spec, countries=countries, focus_country=focus_country)
    indexed = base.index.notna()
    if int(indexed.sum()) < 2:
        raise SchemaError(f"uncertainty analysis needs at least 2 regions with an index, found {int(indexed.sum())}")
    codes = base.index.index[indexed]
    base_classes = classify(base.index, typology)

    scenarios: list[tuple[str, str]] = []
    scores: dict[str, np.ndarray] = {}
    for normalisation in normalisations or (spec.normalisation,):
        for aggregation in aggregations or (spec.aggregation,):
            try:
                variant = replace(spec, normalisation=normalisation, aggregation=aggregation)
                # the chosen scenario is the index itself: not built again
                result = base if variant == spec else build_index(matrix, variant, countries=countries,
                                                                  focus_country=focus_country)
            except SchemaError as exc:
                problems.append(f"{normalisation} x {aggregation}: {exc}")
                continue
            scenarios.append((normalisation, aggregation))
            scores[normalisation] = result.scores.loc[codes, [c.name for c in spec.components]].to_numpy(float)
    collect(problems, SchemaError, "uncertainty analysis: not every scenario is valid")

    generator = np.random.default_rng(rng)
    chosen = base.weights.to_numpy(dtype=float)
    picks = generator.integers(len(scenarios), size=draws)
    if concentration is None:
        weights = np.tile(chosen, (draws, 1))
    else:
        # a zero weight (possible with PCA) would be an invalid Dirichlet parameter: keep it near zero
        weights = generator.dirichlet(np.maximum(concentration * chosen, 1e-6), size=draws)

    # the draws stream through in blocks: what is kept of them is each region's rank in every
    # draw (twice the rank, exact in 16 bits where the regions are few enough, as average ranks
    # end in .5; the quantiles need every draw), the counts of each class, and each pair's counts
    # of kept signs and leads. The pairs and the profile of later stages compute a block's index
    # again from its weights and scenario (UncertaintyResult.draw_blocks): no regions x draws float
    n = len(codes)
    labels = len(typology.labels)
    base_values = base.index.loc[codes].to_numpy(float)
    halves_dtype = np.uint16 if 2 * n < np.iinfo(np.uint16).max else np.float32
    tasks = tuple(_DrawBlock(scores=scores, scenarios=tuple(scenarios), weights=weights[first:first + _BLOCK],
                             picks=picks[first:first + _BLOCK], typology=typology, halves_dtype=halves_dtype)
                  for first in range(0, draws, _BLOCK))
    known, rows = _pair_rows(codes, base_values, pairs) if pairs is not None else (None, None)
    halves = np.empty((n, draws), dtype=halves_dtype)
    counts = np.zeros((n, labels), dtype=np.int64)
    kept = np.zeros(0 if rows is None else len(rows.a), dtype=np.int64)
    leads = np.zeros_like(kept)
    for first, block in zip(range(0, draws, _BLOCK),
                            executor.map(_draw_block, [replace(task, pairs=rows) for task in tasks]), strict=True):
        halves[:, first:first + _BLOCK] = block.halves
        counts += block.classes
        if block.kept is not None and block.leads is not None:
            kept += block.kept
            leads += block.leads
    probability = counts / draws
    position = {label: j for j, label in enumerate(typology.labels)}
    se = np.sqrt(probability * (1 - probability) / draws)
    rank_median, rank_p05, rank_p95, rank_se = _rank_summaries(halves)

    # codes are the indexed regions, in the matrix's order: spread their rows into the whole index
    where = np.flatnonzero(indexed.to_numpy())

    def spread(values: np.ndarray) -> np.ndarray:
        full = np.full(len(matrix.index), np.nan)
        full[where] = values
        return full

    chosen_values = base.index.to_numpy(float)[where]
    chosen_class = base_classes.to_numpy(dtype=object)[where]
    chosen_position = np.array([position[c] for c in chosen_class], dtype=int)
    p_chosen = probability[np.arange(n), chosen_position]
    columns: dict[str, Any] = {
        "rank": spread(average_ranks(-chosen_values[:, None])[:, 0]),
        "rank_median": spread(rank_median), "rank_p05": spread(rank_p05), "rank_p95": spread(rank_p95),
        "rank_median_se": spread(rank_se),
    }
    columns.update({f"p_{stem}": spread(probability[:, j]) for j, stem in enumerate(stems)})
    modal = np.full(len(matrix.index), None, dtype=object)
    modal[where] = np.asarray(typology.labels, dtype=object)[probability.argmax(axis=1)]
    columns["typology_modal"] = pd.array(modal, dtype="string")
    columns["p_typology"] = spread(p_chosen)
    unstable = pd.array(np.full(len(matrix.index), None, dtype=object), dtype="boolean")
    unstable[where] = p_chosen < stable_at
    columns["typology_unstable"] = unstable
    columns["p_se"] = spread(se.max(axis=1))
    out = pd.DataFrame(columns, index=matrix.index)
    mc_error = float(se.max())

    pair_frame = None
    if pairs is not None and known is not None:
        pair_frame = _pair_frame(pairs.index, known, kept, leads, draws)
        if pair_frame["p_gap_sign_kept_se"].notna().any():
            mc_error = max(mc_error, float(pair_frame["p_gap_sign_kept_se"].max()))

    scenario_table = pd.DataFrame(scenarios, columns=["normalisation", "aggregation"])
    scenario_table["draws"] = np.bincount(picks, minlength=len(scenarios))
    weight_table = pd.DataFrame({"weight": chosen, "weight_p05": np.quantile(weights, 0.05, axis=0),
                                 "weight_p95": np.quantile(weights, 0.95, axis=0)}, index=base.weights.index)
    return UncertaintyResult(regions=out, pairs=pair_frame, scenarios=scenario_table, weights=weight_table,
                             draws=draws, mc_error=mc_error, codes=codes, chosen_index=base_values,
                             _tasks=tasks)


def _pair_rows(codes: pd.Index, base_values: np.ndarray, pairs: pd.DataFrame) -> tuple[np.ndarray, _PairRows]:
    """Which pairs have an index on both sides, their rows among ``codes`` and their gaps' signs as chosen."""
    row = {code: k for k, code in enumerate(codes)}
    a = pairs["region_a"].map(row)
    b = pairs["region_b"].map(row)
    known = (a.notna() & b.notna()).to_numpy()
    ia, ib = a[known].astype(int).to_numpy(), b[known].astype(int).to_numpy()
    return known, _PairRows(a=ia, b=ib, chosen_sign=np.sign(base_values[ia] - base_values[ib]))


def _pair_frame(index: pd.Index, known: np.ndarray, kept: np.ndarray, leads: np.ndarray, draws: int) -> pd.DataFrame:
    """The pairs' probabilities from their counts over the draws."""
    p_kept = kept / draws
    frame = pd.DataFrame(np.nan, index=index, columns=["p_gap_sign_kept", "p_a_leads", "p_gap_sign_kept_se"])
    frame.loc[known, "p_gap_sign_kept"] = p_kept
    frame.loc[known, "p_a_leads"] = leads / draws
    frame.loc[known, "p_gap_sign_kept_se"] = np.sqrt(p_kept * (1 - p_kept) / draws)
    return frame


def pair_stability(result: UncertaintyResult, pairs: pd.DataFrame, *, executor: Executor = SERIAL) -> pd.DataFrame:
    """The probability that each pair's gap keeps its sign over the draws of an earlier analysis.

    The draws are those :func:`uncertainty` made (kept in ``result``), so the index stage can
    draw once and the gaps stage, which knows the pairs, reads them.

    Parameters
    ----------
    result
        From :func:`uncertainty`.
    pairs
        Region pairs with ``region_a`` and ``region_b``.
    executor
        Where the blocks of draws are computed again (:mod:`borderland.compute`): the same counts
        wherever they are.

    Returns
    -------
    pandas.DataFrame
        As ``UncertaintyResult.pairs``: ``p_gap_sign_kept``, ``p_a_leads``,
        ``p_gap_sign_kept_se``, indexed like ``pairs``.

    Examples
    --------
    >>> from borderland.index import IndicatorSpec
    >>> spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))))
    >>> matrix = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [0.0, 1.0, 2.0, 3.0]}, index=list("wxyz"))
    >>> pairs = pd.DataFrame({"region_a": ["w"], "region_b": ["z"]})
    >>> pair_stability(uncertainty(matrix, spec, draws=100, rng=1), pairs)["p_gap_sign_kept"].tolist()
    [1.0]
    """
    missing = [c for c in ("region_a", "region_b") if c not in pairs.columns]
    if missing:
        raise SchemaError(f"pairs lack column(s) {missing}; pass a frame with region_a and region_b")
    if not result._tasks or result.codes is None or result.chosen_index is None:
        raise SchemaError("this uncertainty result kept no draws; run borderland.robustness.uncertainty again")
    known, rows = _pair_rows(result.codes, result.chosen_index, pairs)
    kept = np.zeros(len(rows.a), dtype=np.int64)
    leads = np.zeros_like(kept)
    # a block at a time, each computed again where the executor runs it: never regions x draws here
    for block_kept, block_leads in executor.map(_pair_block, [replace(task, pairs=rows) for task in result._tasks]):
        kept += block_kept
        leads += block_leads
    return _pair_frame(pairs.index, known, kept, leads, result.draws)
