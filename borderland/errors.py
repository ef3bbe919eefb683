"""Exceptions raised by borderland.

Every error a user can cause derives from :class:`BorderlandError`, and also from
:class:`ValueError`, so that callers who only know the standard library can still catch it.
Messages say what was found, what was expected and how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class BorderlandError(ValueError):
    """Base class of the errors a user's input can cause.

    Attributes
    ----------
    listed
        What was checked and the problems found, when the error lists several (:func:`collect`).
    """

    listed: tuple[str, tuple[str, ...]] | None = None


class InputError(BorderlandError):
    """A file is missing, unreadable or of an unknown format."""


class SchemaError(BorderlandError):
    """A layer or table lacks a column, or a column holds values of the wrong kind."""


class JoinError(BorderlandError):
    """Indicator codes cannot be matched to region codes."""


class CRSError(BorderlandError):
    """A layer has no coordinate reference system, or one unsuitable for the task."""


class UsageError(BorderlandError):
    """Options that do not go together (the command line exits with 2, as for any usage error)."""


class OutputError(BorderlandError):
    """An output cannot be written (exists already, or the folder is not writable)."""


def collect(problems: list[str], error: type[BorderlandError], heading: str) -> None:
    """Raise ``error`` listing every problem at once, if there are any.

    Parameters
    ----------
    problems
        One sentence per problem found.
    error
        The exception class to raise.
    heading
        What was being checked, e.g. ``"region layer 'regions.gpkg'"``.
    """
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        exc = error(f"{heading}: {len(problems)} problem(s)\n{lines}")
        exc.listed = (heading, tuple(problems))
        raise exc


def extended(exc: BorderlandError, *more: str) -> BorderlandError:
    """``exc`` with more problems listed: under its heading, and counted, when it lists several.

    Parameters
    ----------
    exc
        An error, e.g. from :func:`collect`.
    more
        Problems to add (hints found by the caller, such as a layer to choose).

    Returns
    -------
    BorderlandError
        An error of the same family to raise instead of ``exc``.

    Examples
    --------
    >>> try:
    ...     collect(["no code column"], SchemaError, "table 't.csv'")
    ... except SchemaError as exc:
    ...     print(extended(exc, "the header is on row 3"))
    table 't.csv': 2 problem(s)
      - no code column
      - the header is on row 3
    """
    # the nearest class built from a message alone (not SpecError(heading, problems))
    error = next(c for c in type(exc).__mro__ if issubclass(c, BorderlandError) and "__init__" not in vars(c))
    heading, problems = exc.listed or (getattr(exc, "heading", None), getattr(exc, "problems", ()))
    if isinstance(heading, str) and problems:
        try:
            collect([*map(str, problems), *more], error, heading)
        except BorderlandError as bigger:
            return bigger
    lines = "".join(f"\n  - {p}" for p in more)
    return error(f"{exc}{lines}")


class InterruptedAfterCommit(KeyboardInterrupt):
    """Ctrl-C arrived while an output set was moved into place, and the move was completed first.

    Interrupts are held back during the few renames of a commit
    (:meth:`borderland.outputs.OutputSet.commit`) and delivered after them: the new outputs are in
    place. A ``KeyboardInterrupt``, so that code catching that still stops.

    Attributes
    ----------
    written
        Output name -> its file, every one of them the new one.
    """

    def __init__(self, written: Mapping[str, Path]) -> None:
        self.written = dict(written)
        super().__init__(f"interrupted after the outputs were written: {', '.join(map(str, self.written.values()))}"
                         "; the new outputs are in place")


class BorderlandWarning(UserWarning):
    """Something a user should know about a result that is still valid (the test suite makes these errors)."""
