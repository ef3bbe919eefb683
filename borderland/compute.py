"""Where the heavy steps run: in this process, or on a dask cluster.

The steps that cost the most at scale split into independent tasks whose results are combined
in a fixed order: blocks of Monte Carlo draws, blocks of permutations, chunks of regions for
shared edges and zonal statistics, strips of the distance raster. Each takes an
:class:`Executor` and maps its tasks through it; :data:`SERIAL` runs them here, one after
another, and :class:`DaskExecutor` sends them to a ``dask.distributed`` cluster. The tasks and
their random numbers are the same either way, so the results are equal to the last bit.

A step over regions splits them into :func:`region_chunks` of ``executor.chunk_regions`` each
(bands of the layer from south to north, so that a chunk's regions lie together and a task reads
one band of a raster). The split depends on the layer and the chunk size alone, never on where
the tasks run. A layer of at most ``chunk_regions`` regions is one task: the computation of a run
without a cluster, unchanged. Shared edges come out the same whatever the split; a zonal sum
is added up over its chunk's strips of the raster, so another ``chunk_regions`` may change it in
the last digits (at most 2e-11 of a region's sum at 1,000,000 regions,
``benchmarks/bench_cluster.py``), never the place it runs.

No scheduler of our own: a cluster is dask's (``dask-scheduler`` and ``dask-worker``, or a
``LocalCluster``), addressed by ``[compute] scheduler`` or ``borderland run --scheduler``.
"""

from __future__ import annotations

import collections
import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, Protocol, TypeVar

import numpy as np

from borderland.errors import InputError

__all__ = ["CHUNK_REGIONS", "SERIAL", "DaskExecutor", "Executor", "Geometries", "Laps", "Serial", "executor",
           "region_chunks"]

class Laps:
    """The seconds each step of a run takes, in the order they end (``borderland -v`` prints them).

    Examples
    --------
    >>> laps = Laps()
    >>> laps("load"); laps("index")
    >>> list(laps.times)
    ['load', 'index']
    """

    def __init__(self, times: dict[str, float] | None = None) -> None:
        #: Step name -> seconds (the dict given, to which the steps are added, or a new one).
        self.times = times if times is not None else {}
        self._started = time.perf_counter()

    def __call__(self, name: str) -> None:
        """Record the time since the last step ended (or since the start) as ``name``'s."""
        now = time.perf_counter()
        self.times[name] = now - self._started
        self._started = now


#: Regions (polygons) per task of a step over regions: shared edges and zonal statistics of a
#: chunk of 50,000 regions take under 600 MB of a worker (``benchmarks/bench_cluster.py``); in
#: this process the chunks also halve the peak memory of a 1,000,000-region layer.
CHUNK_REGIONS: Final[int] = 50_000

T = TypeVar("T")
R = TypeVar("R")


class Geometries:
    """Shapely geometries that travel between processes as one array of WKB.

    A task's regions go to a worker, and its lines come back, pickled: geometry by geometry
    that costs six times as much as one vectorised ``shapely.to_wkb`` and ``from_wkb`` (WKB keeps
    every coordinate's bits, so the geometries arrive equal). In this process nothing is
    converted: ``array`` is the array given.

    Parameters
    ----------
    array
        A numpy array of shapely geometries (or ``None``).

    Examples
    --------
    >>> import pickle, shapely
    >>> shapes = Geometries(np.array([shapely.box(0, 0, 1, 1), None]))
    >>> [str(g) for g in pickle.loads(pickle.dumps(shapes)).array]
    ['POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))', 'None']
    """

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __reduce__(self) -> tuple[Callable[[np.ndarray], Geometries], tuple[np.ndarray]]:
        import shapely

        return _from_wkb, (shapely.to_wkb(self.array),)


def _from_wkb(wkb: np.ndarray) -> Geometries:
    import shapely

    return Geometries(shapely.from_wkb(wkb))


def _positive(chunk_regions: int) -> int:
    if not (isinstance(chunk_regions, int | np.integer) and chunk_regions >= 1):
        raise ValueError(f"chunk_regions is {chunk_regions!r}; expected a whole number of regions >= 1")
    return int(chunk_regions)


class Executor(Protocol):
    """Runs a function over tasks and yields the results in the order of the tasks.

    The results are yielded one by one, so that a caller can put each into its place and let it
    go: a step never holds all of its tasks' results and their combination at once.

    Attributes
    ----------
    chunk_regions
        Regions per task of a step over regions (:func:`region_chunks`).
    """

    chunk_regions: int

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """``function(task)`` for each task, in order, wherever the work is done."""
        ...


class Serial:
    """Every task in this process, one after another.

    Parameters
    ----------
    chunk_regions
        Regions per task of a step over regions.

    Examples
    --------
    >>> list(Serial().map(abs, [-1, 2, -3]))
    [1, 2, 3]
    """

    def __init__(self, chunk_regions: int = CHUNK_REGIONS) -> None:
        self.chunk_regions = _positive(chunk_regions)

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Run the tasks here, in order, each when its result is asked for."""
        return (function(task) for task in tasks)


#: The executor of a run without a cluster.
SERIAL: Executor = Serial()


class DaskExecutor:
    """Every task on a ``dask.distributed`` cluster, through a client.

    Parameters
    ----------
    client
        A ``dask.distributed.Client``.
    chunk_regions
        Regions per task of a step over regions.
    in_flight
        Tasks on the cluster at once; twice the cluster's threads when omitted.
    """

    def __init__(self, client: Any, chunk_regions: int = CHUNK_REGIONS, in_flight: int | None = None) -> None:
        self.client = client
        self.chunk_regions = _positive(chunk_regions)
        self.in_flight = in_flight

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Run the tasks on the cluster, a few at a time; yield the results in order.

        Each task's data is scattered to a worker (not put into the task graph, which the
        scheduler would hold and copy), then the function is submitted on it (``pure=False``:
        each task is run, none is taken from a cache). At most ``in_flight`` tasks are on the
        cluster at once, so neither the cluster nor this process holds more than that many
        tasks' data and results, however many tasks a step has.
        """
        window = self.in_flight or max(2, 2 * sum(self.client.nthreads().values()))
        waiting = iter(tasks)
        running: collections.deque[tuple[Any, Any]] = collections.deque()

        def submit() -> None:
            for task in waiting:
                # a list of one: scatter would send a tuple's or a list's items one by one
                [data] = self.client.scatter([task], hash=False)
                running.append((data, self.client.submit(function, data, pure=False)))
                return

        for _ in range(window):
            submit()
        while running:
            data, future = running.popleft()
            result = future.result()
            future.release()
            data.release()
            submit()  # the next task goes before this result is used: the cluster stays busy
            yield result


def region_chunks(bounds: np.ndarray, size: int) -> list[np.ndarray]:
    """Positions of regions in chunks of at most ``size``: bands of the layer from south to north.

    Regions are ordered by the middle of their bounding box's latitude (its y; a region without
    one, an empty geometry, last), the order cut into the fewest chunks of at most ``size``,
    as equal as can be, and each chunk's positions sorted. So a chunk's regions lie together,
    a task over them reads one band of a raster, and the split depends on the layer and ``size``
    alone.

    Parameters
    ----------
    bounds
        ``(n, 4)`` bounding boxes (``shapely.bounds``), NaN for an empty geometry.
    size
        Most regions per chunk.

    Returns
    -------
    list of numpy.ndarray
        Sorted positions, one array per chunk; every position in exactly one. One chunk of every
        position when ``n <= size``.

    Examples
    --------
    >>> boxes = np.array([[0, 5, 1, 6], [0, 0, 1, 1], [0, 9, 1, 10], [0, 2, 1, 3]], dtype=float)
    >>> [chunk.tolist() for chunk in region_chunks(boxes, 2)]
    [[1, 3], [0, 2]]
    >>> [chunk.tolist() for chunk in region_chunks(boxes, 4)]
    [[0, 1, 2, 3]]
    """
    n = len(bounds)
    if n <= size:
        return [np.arange(n)]
    middle = (np.asarray(bounds, dtype=float)[:, 1] + np.asarray(bounds, dtype=float)[:, 3]) / 2
    order = np.argsort(middle, kind="stable")  # NaN sorts last
    return [np.sort(part) for part in np.array_split(order, math.ceil(n / size))]


@contextlib.contextmanager
def executor(scheduler: str | None, *, workers: int = 2, memory_per_worker: str = "2GB",
             chunk_regions: int = CHUNK_REGIONS, timeout_s: float = 10.0) -> Iterator[Executor]:
    """The executor a run uses, open for the duration of the block.

    Parameters
    ----------
    scheduler
        ``None``: this process. ``"local"``: a ``LocalCluster`` of ``workers`` processes with
        ``memory_per_worker`` each (started here, closed at the end). Otherwise the address of a
        running dask scheduler (``tcp://host:8786``).
    workers, memory_per_worker
        Of a local cluster.
    chunk_regions
        Regions per task of a step over regions (the same here and on a cluster).
    timeout_s
        How long to try to reach a remote scheduler.

    Yields
    ------
    Executor
        Where the heavy steps run.
    """
    if scheduler is None:
        yield SERIAL if chunk_regions == CHUNK_REGIONS else Serial(chunk_regions)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("a scheduler needs dask.distributed, an optional dependency: pip install "
                         "'borderland[dask]'") from None
    if scheduler == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory_per_worker,
                          dashboard_address=None, processes=True) as cluster, Client(cluster) as client:
            yield DaskExecutor(client, chunk_regions)
        return
    try:
        client = Client(scheduler, timeout=f"{timeout_s}s")
    except OSError as exc:
        raise InputError(f"cannot reach the dask scheduler {scheduler!r} ({exc}); start one with `dask scheduler`, "
                         "check the address, or run without --scheduler") from None
    try:
        yield DaskExecutor(client, chunk_regions)
    finally:
        client.close()
