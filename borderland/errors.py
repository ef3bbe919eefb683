"""Exceptions raised by borderland.

Every error a user can cause derives from :class:`BorderlandError`, and also from
:class:`ValueError`, so that callers who only know the standard library can still catch it.
Messages say what was found, what was expected and how to fix it.
"""

from __future__ import annotations


class BorderlandError(ValueError):
    """Base class of the errors a user's input can cause."""


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
        raise error(f"{heading}: {len(problems)} problem(s)\n{lines}")


class BorderlandWarning(UserWarning):
    """Something a user should know about a result that is still valid (the test suite makes these errors)."""
