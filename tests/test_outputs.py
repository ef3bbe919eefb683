"""Output sets: staged, committed together, and the previous set intact after any failure or kill."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from borderland import outputs
from borderland.errors import OutputError
from borderland.outputs import STAGING_PREFIX, OutputSet, recover

NAMES = ("a.txt", "b.txt", "c.txt")


def checksums(folder: Path) -> dict[str, str]:
    """Every file of the folder (hidden ones included) and its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write_set(folder: Path, text: str, *, overwrite: bool = True) -> dict[str, Path]:
    with OutputSet(folder, NAMES, overwrite=overwrite) as out:
        for name in NAMES:
            out.path(name).write_text(f"{text} {name}", encoding="utf-8")
    return {name: folder / name for name in NAMES}


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "out"
    write_set(folder, "old")
    return folder, checksums(folder)


def test_a_set_is_moved_into_place_together_and_leaves_nothing_else(previous):
    folder, _ = previous
    write_set(folder, "new")
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)
    assert (folder / "b.txt").read_text(encoding="utf-8") == "new b.txt"


def test_existing_outputs_are_refused_before_anything_is_written(previous):
    folder, before = previous
    with pytest.raises(OutputError, match=r"exist already: .*a\.txt.*pass --overwrite"):
        OutputSet(folder, NAMES)
    assert checksums(folder) == before


def test_a_failure_while_writing_leaves_the_previous_set_byte_identical(previous):
    folder, before = previous
    with pytest.raises(RuntimeError), OutputSet(folder, NAMES, overwrite=True) as out:
        out.path("a.txt").write_text("new a", encoding="utf-8")
        raise RuntimeError("the map stage failed")
    assert checksums(folder) == before


def test_a_missing_output_fails_the_commit_and_replaces_nothing(previous):
    folder, before = previous
    with pytest.raises(OutputError, match=r"\['c.txt'\] were not written; nothing was replaced"), \
            OutputSet(folder, NAMES, overwrite=True) as out:
        out.path("a.txt").write_text("new a", encoding="utf-8")
        out.path("b.txt").write_text("new b", encoding="utf-8")
    assert checksums(folder) == before


def test_an_output_that_cannot_be_replaced_restores_those_already_replaced(previous, monkeypatch):
    folder, before = previous
    real_replace = os.replace

    def refuse_c(src, dst):
        if Path(dst) == folder / "c.txt":
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", refuse_c)
    with pytest.raises(OutputError, match=r"cannot replace .*c\.txt.*Permission denied.*nothing was replaced"):
        write_set(folder, "new")
    monkeypatch.undo()
    assert checksums(folder) == before


def test_optional_outputs_not_written_are_removed_as_stale(tmp_path):
    folder = tmp_path / "out"
    with OutputSet(folder, ["a.txt"], optional=["b.txt"]) as out:
        out.path("a.txt").write_text("1", encoding="utf-8")
        out.path("b.txt").write_text("1", encoding="utf-8")
    with OutputSet(folder, ["a.txt"], optional=["b.txt"], overwrite=True) as out:
        out.path("a.txt").write_text("2", encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]


def test_an_undeclared_file_fails_the_commit(tmp_path):
    with pytest.raises(OutputError, match=r"\['x.txt'\] were written but not declared"), \
            OutputSet(tmp_path, ["a.txt"]) as out:
        out.path("a.txt").write_text("1", encoding="utf-8")
        (out.staging / "x.txt").write_text("1", encoding="utf-8")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_created_is_refused_first(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"cannot write into .*the folder cannot be created"):
        OutputSet(blocker / "sub", NAMES)


def test_a_target_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "a.txt").mkdir()
    with pytest.raises(OutputError, match=r"a\.txt are folders"):
        OutputSet(tmp_path, NAMES, overwrite=True)


def test_a_folder_created_for_a_failed_set_is_removed(tmp_path):
    folder = tmp_path / "new" / "deeper"
    with pytest.raises(RuntimeError), OutputSet(folder, NAMES):
        raise RuntimeError("failed")
    assert not (tmp_path / "new").exists()


def test_a_commit_cut_short_is_undone_by_the_next_set(previous, monkeypatch):
    """A process killed between two renames of the commit: the next command restores the old set."""
    folder, before = previous
    real_replace = os.replace
    moved = []

    def die_after_first(src, dst):
        if Path(dst).parent == folder:
            if moved:
                raise KeyboardInterrupt  # stands for SIGKILL: no clean-up code of the set runs after it
            moved.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", die_after_first)
    out = OutputSet(folder, NAMES, overwrite=True)
    for name in NAMES:
        out.path(name).write_text(f"new {name}", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        out.commit()
    monkeypatch.undo()
    assert (folder / "a.txt").read_text(encoding="utf-8") == "new a.txt"  # the mixed state a kill leaves
    # the dead process's staging folder carries its pid; make it look dead
    staging = next(folder.glob(f"{STAGING_PREFIX}*"))
    dead = staging.with_name(staging.name.replace(f"{STAGING_PREFIX}{os.getpid()}-", f"{STAGING_PREFIX}999999999-"))
    staging.rename(dead)
    done = recover(folder)
    assert done and "restored the previous outputs" in done[0]
    assert checksums(folder) == before


def test_a_run_killed_while_staging_leaves_the_previous_set_and_the_next_cleans_up(previous):
    folder, before = previous
    code = textwrap.dedent(f"""
        import os, signal, time
        from borderland.outputs import OutputSet
        out = OutputSet({str(folder)!r}, {NAMES!r}, overwrite=True)
        out.path("a.txt").write_text("half", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", code], check=False)
    assert done.returncode == -signal.SIGKILL
    assert any(p.name.startswith(STAGING_PREFIX) for p in folder.iterdir())
    after_kill = {k: v for k, v in checksums(folder).items() if not k.startswith(STAGING_PREFIX)}
    assert after_kill == before
    write_set(folder, "new")
    assert not any(p.name.startswith(STAGING_PREFIX) for p in folder.iterdir())


@pytest.mark.parametrize("moment", range(6), ids=lambda m: f"kill-at-step-{m}")
def test_kills_at_every_moment_of_a_commit_leave_one_consistent_set(previous, moment):
    """SIGKILL after the k-th file-system operation of a commit; after recovery: all old or all new."""
    folder, before = previous
    code = textwrap.dedent(f"""
        import os, signal
        from borderland import outputs
        from borderland.outputs import OutputSet
        calls = 0
        real_replace, real_link = os.replace, os.link

        def counted(real):
            def wrapped(*args, **kwargs):
                global calls
                if calls == {moment}:
                    os.kill(os.getpid(), signal.SIGKILL)
                calls += 1
                return real(*args, **kwargs)
            return wrapped

        out = OutputSet({str(folder)!r}, {NAMES!r}, overwrite=True)
        for name in {NAMES!r}:
            out.path(name).write_text("new " + name, encoding="utf-8")
        outputs.os.replace, outputs.os.link = counted(real_replace), counted(real_link)
        out.commit()
    """)
    subprocess.run([sys.executable, "-c", code], check=False)
    recover(folder)
    found = checksums(folder)
    new = {name: hashlib.sha256(f"new {name}".encode()).hexdigest() for name in NAMES}
    assert found in (before, new)


# -- interrupts during the renames: held back, delivered once the set is in place -----------------------

_INTERRUPTED_COMMIT = """
import os, pathlib, signal, sys, threading
from borderland import outputs
from borderland.errors import InterruptedAfterCommit

folder, number = pathlib.Path(sys.argv[1]), int(sys.argv[2])
for name in ("a.txt", "b.txt"):
    (folder / name).write_text("old " + name, encoding="utf-8")
# a second thread, as GDAL, BLAS and thread pools start: the kernel may give it the process's signal
stop = threading.Event()
threading.Thread(target=stop.wait).start()
real = os.replace

def replace(src, dst):
    if pathlib.Path(dst) == folder / "b.txt":  # the signal arrives between the two renames
        os.kill(os.getpid(), number)
    return real(src, dst)

outputs.os.replace = replace
try:
    with outputs.OutputSet(folder, ["a.txt", "b.txt"], overwrite=True) as out:
        for name in ("a.txt", "b.txt"):
            out.path(name).write_text("new " + name, encoding="utf-8")
    print("no interrupt")
except InterruptedAfterCommit as exc:
    print("after the commit:", sorted(exc.written), "|", outputs.interrupted(0))
except KeyboardInterrupt:
    print("a plain KeyboardInterrupt")
finally:
    stop.set()
"""


def _interrupted_commit(folder: Path, number: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _INTERRUPTED_COMMIT, str(folder), str(number)], capture_output=True,
                          text=True, check=False, timeout=60)


def _texts(folder: Path) -> list[str]:
    return [(folder / name).read_text(encoding="utf-8") for name in ("a.txt", "b.txt")]


def test_ctrl_c_during_the_renames_arrives_after_them_and_says_the_new_set_is_in_place(tmp_path):
    done = _interrupted_commit(tmp_path, signal.SIGINT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"after the commit: ['a.txt', 'b.txt'] | interrupted after the outputs were written: {tmp_path / 'a.txt'}, "
        f"{tmp_path / 'b.txt'}; the new outputs are in place")
    assert _texts(tmp_path) == ["new a.txt", "new b.txt"]
    assert not any(p.name.startswith(STAGING_PREFIX) for p in tmp_path.iterdir())


def test_sigterm_during_the_renames_ends_the_process_after_them(tmp_path):
    done = _interrupted_commit(tmp_path, signal.SIGTERM)
    assert done.returncode == -signal.SIGTERM, done.stdout + done.stderr
    assert _texts(tmp_path) == ["new a.txt", "new b.txt"]  # the whole new set, not half of it


def test_interrupted_says_what_was_committed_since_the_command_started(tmp_path):
    since = len(outputs.commits())
    assert outputs.interrupted(since) == "interrupted: nothing was changed; the previous outputs are kept"
    write_set(tmp_path, "new")
    assert outputs.commits()[since:] == ({name: tmp_path / name for name in NAMES},)
    assert outputs.interrupted(since) == (
        f"interrupted after the outputs were written: {', '.join(str(tmp_path / n) for n in NAMES)}; the new "
        "outputs are in place")
    assert outputs.interrupted(len(outputs.commits())).startswith("interrupted: nothing was changed")


# -- writers at once ---------------------------------------------------------------------------------


def test_writers_run_at_once_and_are_timed_in_their_order(tmp_path):
    import threading

    both = threading.Barrier(2, timeout=30)  # passes only if the two writers run at the same time

    def writer(name: str) -> Callable[[], None]:
        def write() -> None:
            both.wait()
            out.path(name).write_text(name, encoding="utf-8")
        return write

    with OutputSet(tmp_path, ["a.txt", "b.txt"]) as out:
        seconds = out.write({"b": writer("b.txt"), "a": writer("a.txt")}, threads=2)
    assert list(seconds) == ["b", "a"] and all(s >= 0 for s in seconds.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_by_default_writers_write_one_file_after_another_here(tmp_path):
    import threading

    seen = []
    with OutputSet(tmp_path, ["a.txt"]) as out:
        out.write({"a": lambda: seen.append(threading.current_thread()),
                   "b": lambda: seen.append(out.path("a.txt").write_text("A"))})
    assert seen == [threading.main_thread(), 1]


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_writer_threads_are_a_whole_number(tmp_path, threads):
    with pytest.raises(ValueError, match="threads must be a whole number"), OutputSet(tmp_path, ["a.txt"]) as out:
        out.write({"a": lambda: None}, threads=threads)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_writer_is_reported_in_writing_order_once_every_writer_has_ended(previous):
    import time

    folder, before = previous
    events = []

    def late_failure() -> None:  # the first writer fails last
        time.sleep(0.3)
        events.append("a failed")
        raise OutputError("a: disk full")

    def early_failure() -> None:
        events.append("b failed")
        raise OutputError("b: disk full")

    with pytest.raises(OutputError, match=r"^a: disk full$"), OutputSet(folder, NAMES, overwrite=True) as out:
        out.write({"a": late_failure, "b": early_failure, "c": lambda: events.append("c ran")}, threads=2)
    # the writer not yet started never starts; the one running ended before the set was discarded
    assert events == ["b failed", "a failed"]
    assert checksums(folder) == before


@pytest.mark.parametrize("after_s", [0.0, 0.1], ids=["while-starting", "while-waiting"])
def test_an_interrupt_while_writing_waits_for_the_writers_and_keeps_the_previous_set(previous, after_s):
    import _thread
    import time

    folder, before = previous
    ended = []

    def interrupted() -> None:
        time.sleep(after_s)
        _thread.interrupt_main()  # Ctrl-C, delivered to the main thread as it starts the writers or waits
        time.sleep(0.3)
        (out.staging / "a.txt").write_text("new a", encoding="utf-8")  # the staging folder is still there
        ended.append("a")

    with pytest.raises(KeyboardInterrupt), OutputSet(folder, NAMES, overwrite=True) as out:
        out.write({"a": interrupted, "b": lambda: ended.append("b")}, threads=2)
    assert sorted(ended) == ["a", "b"]
    assert checksums(folder) == before
