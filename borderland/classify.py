"""One registry of classification schemes, shared by the typology and the maps.

One facade, :func:`classify`, over :data:`SCHEMES`, as ``mapclassify.classify(y, scheme, k)``
does for map classes:

===================  =====================================================================  ==========
scheme               classes                                                                 closed
===================  =====================================================================  ==========
``quantiles``        equal-count classes (as ``mapclassify.Quantiles``)                      upper
``equal_interval``   classes of equal width (as ``mapclassify.EqualInterval``)               upper
``natural_breaks``   Fisher-Jenks optimal breaks (as ``mapclassify.FisherJenks``)            upper
``mean_sd``          three: at or below mean − k sd, between, at or above mean + k sd        outer
``reference_bands``  three: at or below 90 % of a reference average, between, at or above    outer
                     110 % of it (the EU Regional Innovation Scoreboard's bands)
``thresholds``       cut points given by the analyst                                         outer
===================  =====================================================================  ==========

Each scheme gives cut points between the classes; ``closed`` says in which class a value lying
exactly on a cut goes. ``"upper"`` is mapclassify's convention (each class holds its upper
bound, so classes are ``[min, b0], (b0, b1], ...``); ``"outer"`` is the typology's: the lowest
class holds its upper bound and every other class its lower bound, so with three classes
"laggards at or below the lower cut, leaders at or above the upper one". Either can be asked
for with any scheme. Values that are missing (NaN) get class -1, never the lowest class.

mapclassify is not imported here: importing it takes 1.4 s on the machine the bundled run is
timed on, more than the run's whole time budget, and the three schemes it would give are a few
lines of numpy. The test suite checks them against mapclassify, bin for bin.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from borderland.errors import SchemaError, collect

__all__ = [
    "CLASS_COUNT_SCHEMES", "SCHEMES", "Classification", "Scheme", "classify", "fisher_jenks_bins", "place",
    "scheme_options",
]

Closed = Literal["upper", "outer"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Number of classes when none is asked for (mapclassify's default).
DEFAULT_CLASSES: Final = 5

#: Largest matrix block (elements) of the Fisher-Jenks dynamic programme: 32 MB of float64.
_FJ_BLOCK: Final = 4_000_000


def _percentile_points(k: int) -> FloatArray:
    """The percentiles mapclassify's ``quantile`` takes: 100/k, 2·100/k, ... clipped at 100."""
    width = 100.0 / k
    points = np.arange(width, 100 + width, width)
    if points[-1] > 100.0:
        points[-1] = 100.0
    return points


def _scores_at(order: FloatArray, percents: FloatArray) -> FloatArray:
    """Linear-interpolation percentiles of sorted values, computed as scipy's ``scoreatpercentile``.

    Written out (not ``numpy.quantile``) so that the bins equal mapclassify's to the last bit.
    """
    position = percents / 100.0 * (len(order) - 1)
    low = position.astype(np.int64)
    exact = low == position
    high = np.minimum(low + 1, len(order) - 1)
    w_low, w_high = (low + 1) - position, position - low
    interpolated = (order[low] * w_low + order[high] * w_high) / (w_low + w_high)
    return np.where(exact, order[low], interpolated)


def _quantile_cuts(present: FloatArray, classes: int) -> FloatArray:
    return _scores_at(np.sort(present), _percentile_points(classes))[: classes - 1]


def _equal_interval_cuts(present: FloatArray, classes: int) -> FloatArray:
    low, high = float(present.min()), float(present.max())
    if low == high:
        return np.array([], dtype=float)  # one value: one class (mapclassify refuses it)
    width = (high - low) / classes
    # the same arange as mapclassify.EqualInterval, so the bins are the same to the last bit
    cuts = np.arange(low + width, high + width, width)[:classes]
    return np.asarray(cuts[:-1], dtype=float)


def fisher_jenks_bins(values: npt.ArrayLike, k: int) -> FloatArray:
    """Upper bounds of the ``k`` Fisher-Jenks classes (minimal within-class sum of squares).

    The exact optimum, like ``mapclassify.FisherJenks``, by dynamic programming over all
    contiguous splits of the sorted values, vectorised with numpy: mapclassify's pure-Python
    loop takes 0.1 s for 300 values without numba, and the uncertainty analysis classifies a
    thousand draws. Time grows as k·n², memory as n (the programme runs in blocks of at most
    32 MB).

    Parameters
    ----------
    values
        Finite values.
    k
        Number of classes, at most the number of distinct values.

    Returns
    -------
    numpy.ndarray
        ``k`` ascending upper bounds; the last is the maximum.

    Examples
    --------
    >>> fisher_jenks_bins([1.0, 2.0, 3.0, 10.0, 11.0, 30.0], 3).tolist()
    [3.0, 11.0, 30.0]
    """
    order = np.sort(np.asarray(values, dtype=float))
    n = len(order)
    x = order - order.mean()  # centring keeps the sum-of-squares differences below from cancelling
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def sse(start: IntArray, end: IntArray) -> FloatArray:
        """Sum of squares of one class x[start..end] (broadcast); infinite when empty."""
        count = end - start + 1
        with np.errstate(divide="ignore", invalid="ignore"):
            within = (s2[end + 1] - s2[start]) - (s1[end + 1] - s1[start]) ** 2 / count
        return np.where(count > 0, np.maximum(within, 0.0), np.inf)

    cost = sse(np.zeros(n, dtype=np.int64), np.arange(n))
    back = []
    step = max(2, _FJ_BLOCK // max(n, 1))
    for _ in range(1, k):
        # best split of x[0..j] into one more class: previous classes end at i - 1, the last is x[i..j]
        best = np.empty(n)
        first = np.empty(n, dtype=np.int64)
        for lo in range(0, n, step):
            ends = np.arange(lo, min(lo + step, n))
            starts = np.arange(1, max(int(ends[-1]) + 1, 2))  # a start after the end is an empty class
            total = cost[starts - 1, None] + sse(starts[:, None], ends[None, :])
            choice = np.argmin(total, axis=0)  # ties: the earliest start, as mapclassify
            best[ends] = total[choice, np.arange(len(ends))]
            first[ends] = starts[choice]
        cost = best
        back.append(first)
    ends_at = [n - 1]
    for starts_of in reversed(back):
        ends_at.append(int(starts_of[ends_at[-1]]) - 1)
    bins: FloatArray = order[np.array(ends_at[::-1])]
    return bins


def _natural_cuts(present: FloatArray, classes: int) -> FloatArray:
    distinct = len(np.unique(present))
    if distinct < classes:
        raise SchemaError(f"natural_breaks into {classes} classes needs at least {classes} distinct values, "
                          f"found {distinct}; ask for fewer classes")
    return fisher_jenks_bins(present, classes)[:-1]


def _mean_sd_cuts(present: FloatArray, classes: int, *, k: float = 0.5) -> FloatArray:
    spread = float(present.std(ddof=1)) if len(present) > 1 else np.nan
    if np.isnan(spread) or spread == 0:
        # no spread, no leaders or laggards: every value is in the middle class
        return np.array([-np.inf, np.inf])
    centre = float(present.mean())
    return np.array([centre - k * spread, centre + k * spread])


def _reference_cuts(present: FloatArray, classes: int, *, upper: float = 1.1, lower: float = 0.9,
                    reference: float | None = None) -> FloatArray:
    centre = float(present.mean()) if reference is None else float(reference)
    if not centre > 0:
        raise SchemaError(f"reference bands need a positive reference average, found {centre:g}; "
                          "a z-score index averages 0: use mean_sd or quantiles for it")
    return np.array([lower * centre, upper * centre])


def _given_cuts(present: FloatArray, classes: int, *, cuts: Sequence[float]) -> FloatArray:
    return np.asarray(cuts, dtype=float)


@dataclasses.dataclass(frozen=True)
class Scheme:
    """A classification scheme of the registry.

    Attributes
    ----------
    cuts
        ``cuts(values, classes, **options)`` -> the ``classes - 1`` ascending cut points
        between the classes, from the finite values.
    closed
        Where a value on a cut goes unless asked otherwise (see :func:`place`).
    classes
        The number of classes the scheme always makes (``mean_sd``, ``reference_bands``), or
        ``None`` when it is asked for (``classes=``) or follows from the options (``thresholds``).
    description
        One line, for help texts.
    """

    cuts: Callable[..., FloatArray]
    closed: Closed
    classes: int | None
    description: str


#: The classification schemes, by name.
SCHEMES: Final[Mapping[str, Scheme]] = {
    "quantiles": Scheme(_quantile_cuts, "upper", None, "equal-count classes"),
    "equal_interval": Scheme(_equal_interval_cuts, "upper", None, "classes of equal width"),
    "natural_breaks": Scheme(_natural_cuts, "upper", None, "Fisher-Jenks optimal breaks"),
    "mean_sd": Scheme(_mean_sd_cuts, "outer", 3, "below and above mean ± k standard deviations"),
    "reference_bands": Scheme(_reference_cuts, "outer", 3, "below 90 % and above 110 % of a reference average"),
    "thresholds": Scheme(_given_cuts, "outer", None, "cut points given by the analyst"),
}

#: Schemes whose number of classes is asked for (``classes=``): the choices of a map's classes.
CLASS_COUNT_SCHEMES: Final = ("quantiles", "equal_interval", "natural_breaks")


@functools.cache
def scheme_options(scheme: str) -> tuple[str, ...]:
    """The keyword options a scheme takes (besides ``classes``).

    Examples
    --------
    >>> scheme_options("reference_bands")
    ('upper', 'lower', 'reference')
    """
    parameters = inspect.signature(_scheme(scheme).cuts).parameters.values()
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)


def _scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except (KeyError, TypeError):
        raise SchemaError(f"unknown classification scheme {name!r}; choose one of {sorted(SCHEMES)}") from None


def place(values: FloatArray, cuts: FloatArray, closed: Closed) -> IntArray:
    """Class of each finite value (0 = lowest) between ascending cut points.

    ``"upper"``: a value on a cut is in the class below it (mapclassify's ``bin1d``).
    ``"outer"``: a value on the lowest cut is in the lowest class and one on any other cut in
    the class above it; "on" allows for rounding (a relative 1e-9): 1.1 x 50 is
    55.000000000000007 in floating point, and 55 is at the cut.

    Examples
    --------
    >>> place(np.array([0.4, 0.5, 0.6]), np.array([0.4, 0.6]), "upper").tolist()
    [0, 1, 1]
    >>> place(np.array([0.4, 0.5, 0.6]), np.array([0.4, 0.6]), "outer").tolist()
    [0, 1, 2]
    """
    if len(cuts) == 0:
        return np.zeros(values.shape, dtype=np.int64)
    if closed == "upper":
        return np.searchsorted(cuts, values, side="left").astype(np.int64)
    with np.errstate(invalid="ignore"):
        tolerance = 1e-9 * np.maximum(1.0, np.abs(cuts))
        tolerance[~np.isfinite(tolerance)] = 0.0
    position = np.searchsorted(cuts - tolerance, values, side="right").astype(np.int64)
    position[values <= cuts[0] + tolerance[0]] = 0
    return position


@dataclasses.dataclass(frozen=True, eq=False)
class Classification:
    """The classes :func:`classify` gives a set of values.

    Attributes
    ----------
    scheme
        The scheme's name.
    classes
        Class of each value, 0 the lowest; -1 where the value is missing.
    bins
        Upper bound of each class, ascending (mapclassify's ``bins``): the cuts, then the
        largest value (or the last cut, when every value lies below it).
    counts
        Number of values in each class.
    closed
        Where values on a cut went (see :func:`place`).
    minimum
        The smallest value classified (NaN without any): the lower bound of the lowest class.
    """

    scheme: str
    classes: IntArray
    bins: FloatArray
    counts: IntArray
    closed: Closed
    minimum: float = float("nan")

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)

    @property
    def lows(self) -> FloatArray:
        """Lower bound of each class: the smallest value, then the bins."""
        return np.concatenate([[self.minimum], self.bins[:-1]]) if self.k else np.array([], dtype=float)

    def labels(self, decimals: int = 3, *, factor: float = 1.0) -> tuple[str, ...]:
        """Each class as ``"low – high"``, the bounds times ``factor`` with ``decimals`` decimals.

        Examples
        --------
        >>> classify([1.0, 2.0, 3.0, 4.0], "equal_interval", classes=2).labels(1)
        ('1.0 – 2.5', '2.5 – 4.0')
        """
        return tuple(f"{low * factor:,.{decimals}f} – {high * factor:,.{decimals}f}"
                     for low, high in zip(self.lows, self.bins, strict=True))


def _problems(scheme: Scheme, name: str, classes: int | None, closed: str | None, options: Mapping[str, Any]
              ) -> list[str]:
    problems = []
    valid = scheme_options(name)
    for key in sorted(set(options) - set(valid)):
        problems.append(f"option {key!r} is not one of scheme {name!r}; "
                        f"{'its options are ' + ', '.join(valid) if valid else 'it takes none'}")
    if classes is not None and (isinstance(classes, bool) or not isinstance(classes, int | np.integer)
                                or classes < 1):
        problems.append(f"classes is {classes!r}; expected a whole number of classes >= 1")
    elif classes is not None and scheme.classes is not None and classes != scheme.classes:
        problems.append(f"classes is {classes!r}; scheme {name!r} makes {scheme.classes} classes")
    if closed not in (None, "upper", "outer"):
        problems.append(f"closed is {closed!r}; expected 'upper' or 'outer'")
    if name == "thresholds":
        cuts = options.get("cuts")
        if cuts is None or isinstance(cuts, str) or not isinstance(cuts, Sequence | np.ndarray):
            problems.append(f"cuts is {cuts!r}; thresholds needs cuts = [low, ...] (ascending numbers)")
        elif classes is not None and len(cuts) + 1 != classes:
            problems.append(f"{len(cuts)} cut(s) make {len(cuts) + 1} classes, not classes={classes!r}")
    return problems


def classify(values: npt.ArrayLike, scheme: str = "quantiles", classes: int | None = None, *,
             closed: Closed | None = None, **options: Any) -> Classification:
    """Classify values with a scheme of :data:`SCHEMES`: class numbers, bins and counts.

    Parameters
    ----------
    values
        Numbers; NaN marks a missing value, which gets class -1.
    scheme
        ``"quantiles"`` (default), ``"equal_interval"``, ``"natural_breaks"``, ``"mean_sd"``,
        ``"reference_bands"`` or ``"thresholds"``.
    classes
        Number of classes: 5 by default for the first three; ``mean_sd`` and
        ``reference_bands`` make 3, ``thresholds`` one more than its cuts. Quantiles closed at
        the upper bound merge classes whose bins repeat (ties), as mapclassify does, so there
        may be fewer (a percentile that rounding puts above the largest value is dropped too,
        where mapclassify keeps it as an empty top class).
    closed
        ``"upper"`` or ``"outer"`` (see :func:`place`); by default the scheme's own.
    **options
        The scheme's options: ``k`` of ``mean_sd`` (0.5); ``upper``, ``lower``, ``reference`` of
        ``reference_bands``; ``cuts`` of ``thresholds``.

    Returns
    -------
    Classification
        ``classes`` (per value), ``bins``, ``counts``, and ``labels()``.

    Raises
    ------
    SchemaError
        An unknown scheme (the valid ones are listed) or option, or classes the scheme cannot make.

    Examples
    --------
    >>> result = classify([0.1, 0.2, 0.5, 0.6, 0.9, float("nan")], "quantiles", classes=5)
    >>> result.classes.tolist(), result.bins.round(2).tolist()
    ([0, 1, 2, 3, 4, -1], [0.18, 0.38, 0.54, 0.66, 0.9])
    >>> classify([0.4, 0.5, 0.6], "thresholds", cuts=[0.4, 0.6]).classes.tolist()
    [0, 1, 2]
    """
    rule = _scheme(scheme)
    collect(_problems(rule, scheme, classes, closed, options), SchemaError, f"classification {scheme!r}")
    if classes is None:
        classes = rule.classes or (len(options["cuts"]) + 1 if scheme == "thresholds" else DEFAULT_CLASSES)
    placement: Closed = closed or rule.closed
    data = np.asarray(values, dtype=float).ravel()
    known = np.isfinite(data)
    numbers = np.full(data.shape, -1, dtype=np.int64)
    if not known.any():
        return Classification(scheme, numbers, np.array([], dtype=float), np.array([], dtype=np.int64), placement)
    present = data[known]
    cuts = np.asarray(rule.cuts(present, int(classes), **options), dtype=float)
    if scheme == "quantiles" and placement == "upper":
        # repeated bins make empty classes between them: merged, as mapclassify's quantile does; a
        # percentile rounded above the largest value (0.75 and 0.75 interpolate to 0.7500000000000001)
        # would make an empty top class, which mapclassify keeps and this drops
        cuts = np.unique(cuts[cuts < present.max()])
    numbers[known] = place(present, cuts, placement)
    top = max(float(present.max()), float(cuts[-1])) if len(cuts) else float(present.max())
    bins = np.append(cuts, top)
    counts = np.bincount(numbers[known], minlength=len(bins)).astype(np.int64)
    return Classification(scheme, numbers, bins, counts, placement, float(present.min()))
