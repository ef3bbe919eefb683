"""All-or-nothing output sets: every file of a command is staged, then moved into place together.

A command that writes several files (the map, the GeoPackage, the distance raster...) opens an
:class:`OutputSet` on its output folder *before computing anything*: that is where a refused
overwrite or an unwritable folder is reported. Every file is then written into a hidden staging
folder beside the targets (``.borderland-staging-<pid>-<random>/``, on the same file system, so
moving is a rename). Only when all of them are complete are they moved into place:

1. a journal (``COMMIT``, a JSON list of the targets and which of them existed) is written into
   the staging folder, atomically;
2. every existing target is hard-linked into the staging folder's ``backup/`` (no copy);
3. the new files are renamed onto the targets, one by one; if a rename fails, the ones done are
   undone from the backups, and the error is reported;
4. the journal is removed: the commit point, after which the new set stands; then the staging
   folder is removed.

A failure at any stage before step 3 leaves the targets untouched, byte for byte. SIGINT,
SIGTERM and SIGHUP are held back during steps 1-4 (a few renames), so an interrupted command
either commits the whole set or none of it. A Ctrl-C held back that way arrives once the set is
in place, and says so (:class:`~borderland.errors.InterruptedAfterCommit`); :func:`commits` lists
the sets committed in this process, so that a command line told of an interrupt can say whether
its new outputs were already in place. Only SIGKILL or a power cut can stop the process
inside step 3; the next command that opens an output set on the folder then finds the journal
and restores the previous set from the backups. Staging folders of processes that died before
step 1 are removed the same way. Concurrent commands on one folder take turns (``flock`` on the
folder); the journal is written and removed under that lock, so a journal found by a command that
holds the lock is a dead commit's even if its process id now belongs to another process.

The files of a set can be written at once (:meth:`OutputSet.write`), each writer in a thread of
its own. It stays a transaction: the call returns or raises only once no writer is running, so
the set is committed or discarded with every file complete or none being written, and a failure
is reported as one writer after another would have met it. Only the parts of a writer that
release Python's lock (GDAL writing, GEOS, numpy on large arrays) overlap, so it pays only where
a core is free: on a 2-core machine shared with other work, the bundled run's three outputs took
0.96-1.05 s rather than 1.15-1.85 s in quieter moments, but 1.57 s rather than 1.41 s under a load
of 2.5-3, the writers waiting for each other's lock (``benchmarks/RESULTS.md``).
:data:`WRITER_THREADS` is therefore 1.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

from borderland.errors import InterruptedAfterCommit, OutputError

__all__ = ["STAGING_PREFIX", "WRITER_THREADS", "OutputSet", "commits", "interrupted", "recover"]

STAGING_PREFIX: Final = ".borderland-staging-"
_JOURNAL: Final = "COMMIT"
_BACKUP: Final = "backup"
_HELD_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Writers of one set running at once by default (:meth:`OutputSet.write`): one, as measured above.
WRITER_THREADS: Final = 1
# every set committed in this process, in order (name -> target): what an interrupt can no longer undo
_COMMITTED: list[dict[str, Path]] = []


def commits() -> tuple[dict[str, Path], ...]:
    """The output sets committed in this process so far, oldest first (output name -> its file).

    A command line that catches an interrupt compares this with what it was before the command
    started: a set committed since is in place, and the message must say so.

    Examples
    --------
    >>> import tempfile
    >>> before = len(commits())
    >>> with OutputSet(tempfile.mkdtemp(), ["a.txt"]) as out:
    ...     _ = out.path("a.txt").write_text("A")
    >>> len(commits()) - before, list(commits()[-1])
    (1, ['a.txt'])
    """
    return tuple(dict(written) for written in _COMMITTED)


def interrupted(since: int = 0) -> str:
    """What an interrupt left on disk, in one line: the sets committed after the first ``since``, or nothing.

    Parameters
    ----------
    since
        How many sets had been committed (``len(commits())``) when the interrupted command started.

    Returns
    -------
    str
        The line a command line prints when it is interrupted.

    Examples
    --------
    >>> interrupted(len(commits()))
    'interrupted: nothing was changed; the previous outputs are kept'
    """
    written = [str(path) for done in _COMMITTED[since:] for path in done.values()]
    if not written:
        return "interrupted: nothing was changed; the previous outputs are kept"
    return f"interrupted after the outputs were written: {', '.join(written)}; the new outputs are in place"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder itself (no lock file is left behind)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT, SIGTERM and SIGHUP until the block ends (they are delivered then).

    The handlers are swapped, not the signal mask: the kernel gives a signal sent to the process
    to any thread that does not block it (GDAL, BLAS and thread pools start several), and
    ``pthread_sigmask`` blocks it in the calling thread only. Python runs every handler in the main
    thread, whichever thread received the signal, so a handler that only notes the signal holds it
    back wherever it lands; the noted signals are raised again under the previous handlers at the
    end (SIGINT's raises KeyboardInterrupt there; SIGTERM's default ends the process).
    """
    if threading.current_thread() is not threading.main_thread():  # only the main thread sets handlers
        yield
        return
    caught: list[int] = []
    previous: dict[signal.Signals, Any] = {}
    for held in _HELD_SIGNALS:
        handler = signal.getsignal(held)
        if handler is None:  # installed outside Python: it cannot be put back, so it is left alone
            continue
        previous[held] = handler
        signal.signal(held, lambda received, frame: caught.append(received))
    try:
        yield
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)


def _joined(pool: concurrent.futures.ThreadPoolExecutor) -> None:
    """Wait until every thread of ``pool`` has ended, even through Ctrl-C, then pass a Ctrl-C on.

    A writer cannot be stopped from outside; were the staging folder removed under it, it
    could fail with a confusing error, or leave a file behind. The wait is one writer's time.
    """
    interrupt: KeyboardInterrupt | None = None
    while True:
        try:
            pool.shutdown(wait=True)
            break
        except KeyboardInterrupt as exc:
            interrupt = exc
    if interrupt is not None:
        raise interrupt


def _staging_pid(name: str) -> int | None:
    try:
        return int(name.removeprefix(STAGING_PREFIX).split("-", 1)[0])
    except ValueError:
        return None


def _roll_back(staging: Path, folder: Path) -> None:
    """Undo a commit that was cut short: every target back as it was before it started."""
    journal = json.loads((staging / _JOURNAL).read_text(encoding="utf-8"))
    backup = staging / _BACKUP
    for name, existed in journal["targets"].items():
        target = folder / name
        if existed:
            if (backup / name).exists():
                os.replace(backup / name, target)
        elif not (staging / name).exists() and target.exists():
            # not in staging any more, so it was moved: the target is the new file, which had no predecessor
            target.unlink()


def recover(folder: str | os.PathLike[str]) -> list[str]:
    """Clean up after commands that died while writing into ``folder``.

    A staging folder whose process is gone is removed; if that process died while moving its
    files into place, the previous files are restored first.

    Parameters
    ----------
    folder
        An output folder.

    Returns
    -------
    list of str
        What was done, one line per staging folder (empty when there was nothing to do).
    """
    folder = Path(folder)
    done: list[str] = []
    if not folder.is_dir():
        return done
    for staging in sorted(folder.glob(f"{STAGING_PREFIX}*")):
        if (staging / _JOURNAL).exists():
            # A journal exists only while its commit holds the folder's lock: once we hold it, a
            # journal left is a dead commit's, whatever process now has its pid (pids are reused).
            with _locked(folder):
                if (staging / _JOURNAL).exists():
                    _roll_back(staging, folder)
                    done.append(f"restored the previous outputs of an interrupted commit ({staging.name})")
                    shutil.rmtree(staging, ignore_errors=True)
            continue
        pid = _staging_pid(staging.name)
        if pid is not None and pid != os.getpid() and _pid_alive(pid):
            continue  # another command is writing
        done.append(f"removed the partial outputs of an interrupted run ({staging.name})")
        shutil.rmtree(staging, ignore_errors=True)
    return done


class OutputSet:
    """The files one command writes into one folder, committed together or not at all.

    Opening the set checks the folder (creatable, writable) and the targets (an existing one is
    an error without ``overwrite``), and cleans up after earlier commands that were killed;
    nothing else is touched until :meth:`commit`. Use it as a context manager: the set is
    committed when the block ends normally and discarded when it raises.

    Parameters
    ----------
    folder
        The output folder (created when missing; removed again if the set is discarded and the
        folder was created for it and is empty).
    names
        File names of the set inside ``folder``.
    overwrite
        Replace existing targets.
    optional
        Names of ``names`` that the command may not write (a layer a study does not have). An
        optional file not written is removed from the folder at commit, if an earlier command
        left one there, so that the folder holds one consistent set.

    Raises
    ------
    OutputError
        A target exists and ``overwrite`` is false, a target is a folder, or the folder cannot
        be created or written.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with OutputSet(folder, ["a.txt", "b.txt"]) as out:
    ...     _ = out.path("a.txt").write_text("A")
    ...     _ = out.path("b.txt").write_text("B")
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self, folder: str | os.PathLike[str], names: Sequence[str], *, overwrite: bool = False,
                 optional: Sequence[str] = ()) -> None:
        self.folder = Path(folder)
        self.names = tuple(dict.fromkeys([*names, *optional]))
        self.optional = frozenset(optional)
        self.overwrite = overwrite
        self.notes: list[str] = []
        self._created: Path | None = None
        self._staging: Path | None = None
        self._committed: dict[str, Path] | None = None
        self._open()

    def _open(self) -> None:
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"cannot write into {str(folder)!r}: it is a file, not a folder; choose an output "
                              "folder with --out")
        if not folder.exists():
            missing = folder
            while not missing.parent.exists() and missing.parent != missing:
                missing = missing.parent
            try:
                folder.mkdir(parents=True)
            except OSError as exc:
                raise OutputError(f"cannot write into {str(folder)!r}: the folder cannot be created ({exc.strerror}); "
                                  "choose another output folder with --out") from None
            self._created = missing
        self.notes += recover(folder)
        folders = [name for name in self.names if (folder / name).is_dir()]
        if folders:
            raise OutputError(f"output(s) {', '.join(str(folder / n) for n in folders)} are folders; "
                              "move them away or choose another --out")
        existing = [str(folder / name) for name in self.names if (folder / name).exists()]
        if existing and not self.overwrite:
            self._remove_created()
            raise OutputError(f"output(s) exist already: {', '.join(existing)}; pass --overwrite to replace them, "
                              "or choose another --out")
        try:
            self._staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=folder))
        except OSError as exc:
            self._remove_created()
            raise OutputError(f"cannot write into {str(folder)!r} ({exc.strerror}); choose another output folder "
                              "with --out") from None

    @property
    def staging(self) -> Path:
        """The staging folder, for writers that write several files of the set into one folder."""
        if self._staging is None:
            raise OutputError("this output set is closed")
        return self._staging

    def path(self, name: str) -> Path:
        """Where to write the file ``name`` of the set (inside the staging folder)."""
        if name not in self.names:
            raise OutputError(f"{name!r} is not an output of this set; its outputs are {list(self.names)}")
        if self._staging is None:
            raise OutputError("this output set is closed")
        return self._staging / name

    def write(self, writers: Mapping[str, Callable[[], object]], *, threads: int = WRITER_THREADS) -> dict[str, float]:
        """Run the writers of the set's files, ``threads`` at a time, and time each.

        No writer is running any more when this returns or raises, whatever happened (a
        writer's error, Ctrl-C, which waits for the writers running): the set is then committed
        or discarded with nothing still writing into it. A failure or Ctrl-C stops the writers
        that have not started yet; the error raised is that of the first writer, in the order
        given, that failed, as writing them one after another would have met it.

        Parameters
        ----------
        writers
            Name (e.g. the output's kind) -> a function writing its file(s) into the set.
        threads
            Writers running at once; 1 runs them one after another in this thread.

        Returns
        -------
        dict of str to float
            Seconds each writer took, in the order given (with ``threads > 1`` they overlap).

        Raises
        ------
        ValueError
            ``threads`` is not a whole number of at least 1.

        Examples
        --------
        >>> import tempfile
        >>> with OutputSet(tempfile.mkdtemp(), ["a.txt", "b.txt"]) as out:
        ...     seconds = out.write({"a": lambda: out.path("a.txt").write_text("A"),
        ...                          "b": lambda: out.path("b.txt").write_text("B")}, threads=2)
        >>> list(seconds)
        ['a', 'b']
        """
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a whole number of at least 1; got {threads!r}")

        stop = threading.Event()  # a writer failed, or Ctrl-C: the set will be discarded

        def timed(write: Callable[[], object]) -> float | None:
            if stop.is_set():
                return None  # not started: its file would be discarded with the set
            started = time.perf_counter()
            try:
                write()
            except BaseException:
                stop.set()
                raise
            return time.perf_counter() - started

        if threads == 1 or len(writers) < 2:
            return {name: cast(float, timed(write)) for name, write in writers.items()}
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="borderland-writer")
        futures: dict[str, concurrent.futures.Future[float | None]] = {}
        try:
            # a Ctrl-C inside submit() could leave a thread started but unknown to the pool, never waited for
            with _signals_held():
                for name, write in writers.items():
                    futures[name] = pool.submit(timed, write)
            concurrent.futures.wait(futures.values(), return_when=concurrent.futures.FIRST_EXCEPTION)
        finally:
            stop.set()
            _joined(pool)
        for future in futures.values():
            error = future.exception()
            if error is not None:
                raise error
        return {name: cast(float, future.result()) for name, future in futures.items()}

    def commit(self) -> dict[str, Path]:
        """Move every file of the set into place together.

        Returns
        -------
        dict of str to Path
            Name -> its target.

        Raises
        ------
        OutputError
            A file of the set was not written, or a target could not be replaced (the targets
            already replaced are restored first).
        InterruptedAfterCommit
            Ctrl-C was pressed during the renames: held back, it arrived once the new set was in
            place (a ``KeyboardInterrupt``).
        """
        staging = self._staging
        if staging is None:
            raise OutputError("this output set is closed")
        missing = [name for name in self.names if name not in self.optional and not (staging / name).exists()]
        if missing:
            raise OutputError(f"output(s) {missing} were not written; nothing was replaced")
        # hidden files are writers' temporary files, never outputs
        unexpected = sorted(p.name for p in staging.iterdir()
                            if p.name not in self.names and not p.name.startswith("."))
        if unexpected:
            raise OutputError(f"file(s) {unexpected} were written but not declared in the output set; nothing was "
                              "replaced")
        try:
            return self._commit(staging)
        except KeyboardInterrupt:
            # a Ctrl-C held back during the renames arrives as they end: after the commit point, the
            # new set is in place, which a plain KeyboardInterrupt would hide
            if self._committed is None:
                raise
            raise InterruptedAfterCommit(self._committed) from None

    def _commit(self, staging: Path) -> dict[str, Path]:
        with _locked(self.folder), _signals_held():
            targets = {name: self.folder / name for name in self.names}
            written = {name: (staging / name).exists() for name in self.names}
            existed = {name: target.exists() for name, target in targets.items()}
            journal = staging / _JOURNAL
            tmp = staging / f".{_JOURNAL}.tmp"
            tmp.write_text(json.dumps({"targets": existed}), encoding="utf-8")
            os.replace(tmp, journal)
            backup = staging / _BACKUP
            backup.mkdir()
            for name, target in targets.items():
                if existed[name] and written[name]:
                    try:
                        os.link(target, backup / name)
                    except OSError:  # a file system without hard links
                        shutil.copy2(target, backup / name)
            done: list[str] = []
            current = ""
            try:
                for name, target in targets.items():
                    current = name
                    if written[name]:
                        os.replace(staging / name, target)
                    elif existed[name]:
                        # an optional file this command did not write: an earlier set's, now stale
                        os.replace(target, backup / name)
                    done.append(name)
            except OSError as exc:
                for name in done:
                    if existed[name]:
                        os.replace(backup / name, targets[name])
                    else:
                        targets[name].unlink(missing_ok=True)
                reason = errno.errorcode.get(exc.errno or 0, "") if exc.strerror is None else exc.strerror
                failed = targets[current] if current else self.folder
                raise OutputError(f"cannot replace {str(failed)!r} ({reason}); nothing was replaced: check its "
                                  "permissions and attributes (lsattr) or choose another --out") from None
            # the commit point: without its journal, the staging folder is rubbish to remove, not a set to restore
            journal.unlink()
            self._committed = {name: target for name, target in targets.items() if written[name]}
            _COMMITTED.append(self._committed)
            shutil.rmtree(staging, ignore_errors=True)
            self._staging = None
        return self._committed

    def discard(self) -> None:
        """Remove the staged files; the targets stay as they were."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        self._remove_created()

    def _remove_created(self) -> None:
        if self._created is None:
            return
        # remove what was created for this set, innermost first, while it is empty
        folder = self.folder
        while True:
            try:
                folder.rmdir()
            except OSError:
                break
            if folder == self._created:
                break
            folder = folder.parent
        self._created = None

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()
