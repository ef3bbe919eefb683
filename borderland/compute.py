"""Where the heavy steps run: in this process, or on a dask cluster.

The steps that cost the most at scale split into independent tasks whose results are combined
in a fixed order: blocks of Monte Carlo draws, blocks of permutations, chunks of regions for
shared edges and zonal statistics, strips of the distance raster. Each takes an
:class:`Executor` and maps its tasks through it; :data:`SERIAL` runs them here, one after
another, and :class:`DaskExecutor` sends them to a ``dask.distributed`` cluster. The tasks and
their random numbers are the same either way, so the results are equal to the last bit.

No scheduler of our own: a cluster is dask's (``dask-scheduler`` and ``dask-worker``, or a
``LocalCluster``), addressed by ``[compute] scheduler`` or ``borderland run --scheduler``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from borderland.errors import InputError

__all__ = ["SERIAL", "DaskExecutor", "Executor", "Serial", "executor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs a function over tasks and yields the results in the order of the tasks.

    The results are yielded one by one, so that a caller can put each into its place and let it
    go: a step never holds all of its tasks' results and their combination at once.
    """

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """``function(task)`` for each task, in order, wherever the work is done."""
        ...


class Serial:
    """Every task in this process, one after another.

    Examples
    --------
    >>> list(Serial().map(abs, [-1, 2, -3]))
    [1, 2, 3]
    """

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
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Submit every task (``pure=False``: each is run, none is taken from a cache); yield the results in order."""
        futures = self.client.map(function, list(tasks), pure=False)
        for future in futures:
            yield future.result()
            future.release()


@contextlib.contextmanager
def executor(scheduler: str | None, *, workers: int = 2, memory_per_worker: str = "2GB",
             timeout_s: float = 10.0) -> Iterator[Executor]:
    """The executor a run uses, open for the duration of the block.

    Parameters
    ----------
    scheduler
        ``None``: this process. ``"local"``: a ``LocalCluster`` of ``workers`` processes with
        ``memory_per_worker`` each (started here, closed at the end). Otherwise the address of a
        running dask scheduler (``tcp://host:8786``).
    workers, memory_per_worker
        Of a local cluster.
    timeout_s
        How long to try to reach a remote scheduler.

    Yields
    ------
    Executor
        Where the heavy steps run.
    """
    if scheduler is None:
        yield SERIAL
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("a scheduler needs dask.distributed, an optional dependency: pip install "
                         "'borderland[dask]'") from None
    if scheduler == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory_per_worker,
                          dashboard_address=None, processes=True) as cluster, Client(cluster) as client:
            yield DaskExecutor(client)
        return
    try:
        client = Client(scheduler, timeout=f"{timeout_s}s")
    except OSError as exc:
        raise InputError(f"cannot reach the dask scheduler {scheduler!r} ({exc}); start one with `dask scheduler`, "
                         "check the address, or run without --scheduler") from None
    try:
        yield DaskExecutor(client)
    finally:
        client.close()
