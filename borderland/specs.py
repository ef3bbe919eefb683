"""Checked keys: the machinery behind every frozen spec that a study file or Python code builds.

A spec is a frozen dataclass whose fields are declared with :func:`key`: a default (defined once,
here) and a check that converts an accepted value (a TOML ``25`` to ``25.0``, a path text to a
:class:`~pathlib.Path`) or raises :class:`Invalid` saying what is expected. :class:`Spec` runs
every check when an instance is built, from TOML or from Python, collects every problem and
raises one :class:`SpecError` listing them, each with its key path, the value found, what is
expected and, where there is one, the fix::

    [raster] within_km = "x": expected a distance in km above 0 and at most 20,000

The same checks give the command line its option types, so an option and the study key it
overrides accept exactly the same values.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, Self, TypeVar

from borderland.errors import SchemaError

__all__ = [
    "Check", "Invalid", "Problem", "Spec", "SpecError", "boolean", "choice", "country_code", "file_name",
    "items", "key", "number", "optional", "path", "shown", "text", "unknown_keys", "whole",
]

T = TypeVar("T")

#: A check: returns the value as the spec keeps it, or raises :class:`Invalid`.
Check = Callable[[Any], Any]


class Invalid(Exception):
    """A value a check refuses: what is expected instead, and a fix when one is worth saying."""

    def __init__(self, expected: str, fix: str = "") -> None:
        super().__init__(expected + (f"; {fix}" if fix else ""))
        self.expected = expected
        self.fix = fix


# characters that would let a value rewrite the terminal, start a line of its own, or reorder the text around it:
# every C0 and C1 control character (line breaks and tabs too), and the bidirectional marks and overrides
_UNPRINTABLE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# the same, but for the line breaks of a message or summary borderland assembled (its data escaped already)
_UNPRINTABLE_IN_LINES: Final = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                                          "\u202a-\u202e\u2066-\u2069]")
_SHORT_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    character = match.group()
    return _SHORT_ESCAPES.get(character) or f"\\u{ord(character):04x}"


def printable(text: str, *, lines: bool = False) -> str:
    r"""Text safe to print on a terminal: control characters and bidirectional overrides escaped.

    Text from the user's data (a region name, a code, a column name) is escaped whole, line
    breaks and tabs included, so that it can neither rewrite the terminal nor start a line of
    its own (a name ending in ``"\nerror: ..."`` would fake a message). Every place that puts
    data text into terminal output passes it through here; the command line then prints each
    assembled line with ``lines=True``, which keeps borderland's own line breaks.

    Parameters
    ----------
    text
        Any text, e.g. a region name read from a user's file.
    lines
        Keep line feeds: for a message or summary whose data text is escaped already.

    Returns
    -------
    str
        The text with every such character escaped (``\n``, ``\r``, ``\t``, else ``\uXXXX``).

    Examples
    --------
    >>> printable("Tver\u202e'")
    "Tver\\u202e'"
    >>> printable("Kola\nerror: fake"), printable("a\nb\tc", lines=True)
    ('Kola\\nerror: fake', 'a\nb\\tc')
    """
    return (_UNPRINTABLE_IN_LINES if lines else _UNPRINTABLE).sub(_escaped, text)


def shown(value: Any) -> str:
    """A value as written in a study file (TOML syntax), for messages.

    Examples
    --------
    >>> shown("8km"), shown(25), shown(True), shown([0, 25]), shown(None)
    ('"8km"', '25', 'true', '[0, 25]', '(missing)')
    """
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | os.PathLike):
        return printable(json.dumps(os.fspath(value), ensure_ascii=False))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return printable(repr(value)) if not isinstance(value, int | float) else str(value)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where, the value found, what is expected, and the fix.

    Attributes
    ----------
    where
        The key path as a study file spells it, e.g. ``"[raster] within_km"``.
    value
        The value found (shown in TOML syntax); ``None`` for a missing key.
    expected
        What would be accepted, starting with "expected" or describing the conflict.
    fix
        What to change, when it is not obvious from ``expected``.
    show_value
        False for problems that concern the whole section rather than one value.
    """

    where: str
    value: Any
    expected: str
    fix: str = ""
    show_value: bool = True

    def __str__(self) -> str:
        head = f"{self.where} = {shown(self.value)}" if self.show_value else self.where
        return f"{head}: {self.expected}" + (f"; {self.fix}" if self.fix else "")


class SpecError(SchemaError):
    """Every problem found in a spec or a study file, listed at once.

    Attributes
    ----------
    problems
        The problems, in the order found.
    """

    def __init__(self, heading: str, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        self.heading = heading
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{heading}: {len(self.problems)} problem(s)\n{lines}")


def key(default: Any = dataclasses.MISSING, check: Check | None = None, *, doc: str = "") -> Any:
    """Declare a field of a :class:`Spec`: its default (defined only here) and its check.

    Parameters
    ----------
    default
        The value when the key is absent; omit for a required key. Tuples are immutable, so
        they serve as defaults of list-valued keys.
    check
        A check (:func:`number`, :func:`choice`...) run on every value the spec is built with.
    doc
        One line on what the key means (listed by :meth:`Spec.keys`).
    """
    metadata = {"check": check, "doc": doc}
    return dataclasses.field(default=default, metadata=metadata)


class Spec:
    """Base of the frozen specs: every field is checked when an instance is built.

    Subclasses are frozen dataclasses whose fields come from :func:`key`, and set ``SECTION``
    to the name of their section of the study file. Cross-field rules go in
    :meth:`_problems`.
    """

    SECTION: ClassVar[str] = ""
    #: Keys whose values are paths relative to the study file's folder.
    PATHS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for spec_field in dataclasses.fields(self):  # type: ignore[arg-type]
            check: Check | None = spec_field.metadata.get("check")
            if check is None:
                continue
            value = getattr(self, spec_field.name)
            try:
                object.__setattr__(self, spec_field.name, check(value))
            except Invalid as bad:
                problems.append(Problem(self.where(spec_field.name), value, bad.expected, bad.fix))
        if not problems:
            problems = list(self._problems())
        if problems:
            raise SpecError(f"[{self.SECTION}]", problems)

    def _problems(self) -> Iterable[Problem]:
        """Rules that involve several keys; run once every key is valid on its own."""
        return ()

    @classmethod
    def where(cls, name: str) -> str:
        """The key path of field ``name``, as a study file spells it."""
        return f"[{cls.SECTION}] {name}"

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Key -> its one-line description."""
        return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    @classmethod
    def check_value(cls, name: str, value: Any) -> Any:
        """Run the check of one key alone (what a command-line option overriding it does).

        Raises
        ------
        Invalid
            The value is not accepted.
        """
        spec_field = next(f for f in dataclasses.fields(cls) if f.name == name)  # type: ignore[arg-type]
        check: Check | None = spec_field.metadata.get("check")
        return value if check is None else check(value)

    @classmethod
    def from_table(cls, table: Any, folder: Path | None = None) -> Self:
        """Build the spec from its parsed TOML table, reporting every problem at once.

        Parameters
        ----------
        table
            The section's table (``{}`` when the section is absent).
        folder
            Folder of the study file: relative paths resolve against it.

        Raises
        ------
        SpecError
            Unknown or missing keys and every value a check refuses.
        """
        if not isinstance(table, Mapping):
            raise SpecError(f"[{cls.SECTION}]", [Problem(f"[{cls.SECTION}]", table, "expected a table of keys",
                                                         f"write it as a [{cls.SECTION}] section")])
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        problems = [Problem(f"[{cls.SECTION}] {name}", table[name], unknown_keys(name, names), show_value=True)
                    for name in table if name not in names]
        for name, spec_field in names.items():
            if name not in table and spec_field.default is dataclasses.MISSING \
                    and spec_field.default_factory is dataclasses.MISSING:
                what = spec_field.metadata["doc"]
                problems.append(Problem(cls.where(name), None, f"a required key is missing: {what}",
                                        f"add {name} = ... to [{cls.SECTION}]", show_value=False))
        values = {name: value for name, value in table.items() if name in names}
        for name in cls.PATHS:
            value = values.get(name)
            if isinstance(value, str) and value.strip() and "\x00" not in value and folder is not None \
                    and cls._is_path(name, value):
                values[name] = (folder / value).resolve()
        if problems:
            # report the values too, so one pass gives the whole list
            try:
                cls(**values)
            except SpecError as exc:
                problems += [p for p in exc.problems if p.where.split()[-1] in table]
            except TypeError:
                pass
            raise SpecError(f"[{cls.SECTION}]", problems)
        return cls(**values)

    @classmethod
    def _is_path(cls, name: str, value: str) -> bool:
        """Whether a text value of a path key is a path (a key may also take a keyword)."""
        return True


_S = TypeVar("_S", bound=Spec)


def unknown_keys(name: str, valid: Iterable[str]) -> str:
    """The message for an unknown key: a close match when there is one, and the valid keys.

    Examples
    --------
    >>> unknown_keys("normalization", ["normalisation", "aggregation"])
    "unknown key; did you mean 'normalisation'? keys are aggregation, normalisation"
    """
    names = sorted(valid)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key; {hint}keys are {', '.join(names)}"


# -- checks ------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    import numpy as np

    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)


def number(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False,
    what: str = "a number",
) -> Check:
    """A finite number within bounds, kept as float.

    Parameters
    ----------
    low, high
        Bounds (``None``: unbounded).
    low_open, high_open
        Exclude the bound itself.
    what
        What the number is, for the message: ``"a distance in km"``.

    Examples
    --------
    >>> number(0, low_open=True, what="a distance in km")(25)
    25.0
    >>> number(0, low_open=True, what="a distance in km")("x")
    Traceback (most recent call last):
    ...
    borderland.specs.Invalid: expected a distance in km > 0
    """
    def bound(value: float) -> str:
        return f"{value:,g}" if abs(value) < 1e6 else f"{value:,.0f}"

    bounds = []
    if low is not None:
        bounds.append(f"above {bound(low)}" if low_open else f"{'at least' if high is not None else '>='} {bound(low)}")
    if high is not None:
        bounds.append(f"below {bound(high)}" if high_open else f"at most {bound(high)}")
    if low is not None and high is None and not low_open:
        bounds = [f">= {bound(low)}"]
    if low is not None and high is None and low_open:
        bounds = [f"> {bound(low)}"]
    if low is not None and high is not None and not low_open and not high_open:
        bounds = [f"from {bound(low)} to {bound(high)}"]
    expected = f"expected {what}" + (f" {' and '.join(bounds)}" if bounds else "")

    def check(value: Any) -> float:
        if not _is_number(value) or not math.isfinite(float(value)):
            raise Invalid(expected)
        x = float(value)
        if low is not None and (x < low or (low_open and x == low)):
            raise Invalid(expected)
        if high is not None and (x > high or (high_open and x == high)):
            raise Invalid(expected)
        return x

    return check


def whole(low: int | None = None, high: int | None = None, *, what: str = "a whole number",
          also: Sequence[int] = ()) -> Check:
    """A whole number (not a bool, not 2.5) within bounds; ``also`` lists extra accepted values.

    Examples
    --------
    >>> whole(2, what="a number of draws", also=(0,))(0)
    0
    >>> whole(2, 100_000, what="a number of draws", also=(0,))(-5)
    Traceback (most recent call last):
    ...
    borderland.specs.Invalid: expected a number of draws from 2 to 100,000, or 0
    """
    bounds = [f">= {low}"] if low is not None else []
    bounds += [f"<= {high}"] if high is not None else []
    expected = f"expected {what}" + (f" {' and '.join(bounds)}" if bounds else "")
    if low is not None and high is not None:
        expected = f"expected {what} from {low} to {high:,}"
    expected += f", or {' or '.join(str(a) for a in also)}" if also else ""

    def check(value: Any) -> int:
        import numpy as np

        if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
            raise Invalid(expected)
        n = int(value)
        if n in also:
            return n
        if (low is not None and n < low) or (high is not None and n > high):
            raise Invalid(expected)
        return n

    return check


def boolean(value: Any) -> bool:
    """``true`` or ``false``.

    Examples
    --------
    >>> boolean(True)
    True
    """
    import numpy as np

    if not isinstance(value, bool | np.bool_):
        raise Invalid("expected true or false")
    return bool(value)


def text(*, what: str = "a text", pattern: str | None = None, hint: str = "") -> Check:
    """A non-empty text, optionally matching a regular expression.

    Examples
    --------
    >>> text(what="a column name")("region_id")
    'region_id'
    """
    compiled = re.compile(pattern) if pattern else None

    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"expected {what}", hint)
        if compiled is not None and not compiled.fullmatch(value):
            raise Invalid(f"expected {what}", hint)
        return value

    return check


def country_code(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code as the region layer spells it (``"RU"``; Eurostat's ``"EL"``).

    Examples
    --------
    >>> country_code("RU")
    'RU'
    """
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        raise Invalid("expected a two-letter country code in capitals, e.g. \"RU\"")
    return value


def choice(names: Iterable[str] | Callable[[], Iterable[str]], *, what: str = "one of") -> Check:
    """One of a registry's names; the message lists them all and suggests the closest.

    Parameters
    ----------
    names
        The valid names, or a function returning them (read when the check runs, so a
        registry extended later is honoured).

    Examples
    --------
    >>> choice(["rook", "queen"])("quen")
    Traceback (most recent call last):
    ...
    borderland.specs.Invalid: expected one of "queen", "rook"; did you mean "queen"?
    """
    def check(value: Any) -> str:
        valid = sorted(names() if callable(names) else names)
        if isinstance(value, str) and value in valid:
            return value
        close = difflib.get_close_matches(value, valid, n=1) if isinstance(value, str) else []
        hint = f"did you mean {shown(close[0])}?" if close else ""
        raise Invalid(f"expected {what} {', '.join(shown(v) for v in valid)}", hint)

    return check


def path(value: Any) -> Path:
    """A file path (a text in a study file; absolute once the study is read).

    Examples
    --------
    >>> path("regions.gpkg").name
    'regions.gpkg'
    """
    expected = "expected a file path (relative paths start at the study file's folder)"
    if not isinstance(value, str | os.PathLike):
        raise Invalid(expected)
    text = os.fspath(value)
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise Invalid(expected)
    return Path(text)


def file_name(suffix: str) -> Check:
    """A plain file name (no folder) ending in ``suffix``.

    Examples
    --------
    >>> file_name(".gpkg")("results.gpkg")
    'results.gpkg'
    """
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or "/" in value or "\\" in value \
                or value in (".", "..") or not value.lower().endswith(suffix):
            raise Invalid(f"expected a file name ending in {suffix} (no folder: outputs go into --out)")
        return value

    return check


def optional(check: Check) -> Check:
    """``check``, or nothing (``None``; in a study file: leave the key out)."""
    def optional_check(value: Any) -> Any:
        return None if value is None else check(value)

    return optional_check


def items(check: Check, *, min_items: int = 0, what: str = "a list", increasing: bool = False,
          distinct: bool = False) -> Check:
    """A list whose every item passes ``check``, kept as a tuple.

    Examples
    --------
    >>> items(number(0, what="a distance in km"), min_items=1, increasing=True, what="a list of distances in km")(25)
    Traceback (most recent call last):
    ...
    borderland.specs.Invalid: expected a list of distances in km, e.g. [0, 25, 50]
    """
    example = {"a list of distances in km": "[0, 25, 50]"}.get(what, "")
    expected = f"expected {what}" + (f", e.g. {example}" if example else "")

    def check_items(value: Any) -> tuple[Any, ...]:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise Invalid(expected)
        converted = []
        for item in value:
            try:
                converted.append(check(item))
            except Invalid as bad:
                raise Invalid(f"{expected}; item {shown(item)}: {bad.expected}", bad.fix) from None
        if len(converted) < min_items:
            raise Invalid(f"{expected} with at least {min_items} item(s)")
        if increasing and any(b <= a for a, b in itertools.pairwise(converted)):
            raise Invalid(f"{expected}, in increasing order")
        if distinct and len(set(converted)) != len(converted):
            raise Invalid(f"{expected}, each once")
        return tuple(converted)

    return check_items
