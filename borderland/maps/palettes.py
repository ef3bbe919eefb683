"""ColorBrewer palettes, read from branca's data files without importing branca.

branca ships ColorBrewer's colours as JSON beside its code; importing branca itself (jinja2
and all) takes about 0.2 s here, which the map model and the QGIS styles do not need: they
only want the colours. The files are found with :func:`importlib.util.find_spec`, which locates
a package without running it, and read once. :func:`palette_colours` gives the colours
``branca.utilities.color_brewer`` gives (the test suite compares every palette), including its
interpolation beyond a palette's largest size.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Final

from borderland.errors import InputError, SchemaError

__all__ = ["palette_colours", "palette_names"]

_SOURCE: Final = "branca"


@functools.cache
def _brewer() -> tuple[dict[str, list[str]], dict[str, str]]:
    """ColorBrewer's schemes (``"YlGnBu_05"`` -> colours) and each palette's kind."""
    spec = importlib.util.find_spec(_SOURCE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"map palettes are read from the package {_SOURCE}, which is missing; "
                         f"run pip install '{_SOURCE}>=0.8'")
    folder = Path(next(iter(spec.submodule_search_locations)))
    schemes = json.loads((folder / "_schemes.json").read_text(encoding="utf-8"))
    kinds = json.loads((folder / "scheme_info.json").read_text(encoding="utf-8"))
    return schemes, kinds


@functools.cache
def palette_names() -> tuple[str, ...]:
    """Names of the ColorBrewer palettes that can show classes of a quantity (sequential, diverging).

    Qualitative palettes have no order, so they are left out.

    Examples
    --------
    >>> "YlGnBu" in palette_names(), "Set2" in palette_names()
    (True, False)
    """
    _, kinds = _brewer()
    return tuple(sorted(name for name, kind in kinds.items() if kind != "Qualitative"))


def _gradient(colours: list[str], n: int) -> list[str]:
    """``n`` colours interpolated along ``colours``, exactly as branca's ``linear_gradient``.

    branca builds a ramp of 765 steps between each pair of neighbouring colours and picks ``n`` of
    them; only the picked steps are computed here, with the same arithmetic (the whole ramp of a
    20-colour palette is 14,535 colours, about 0.1 s of work for the few a legend shows).
    """
    steps = 765
    ramp_length = steps * (len(colours) - 1)

    def scale(start: str, finish: str, i: int) -> str:
        fraction = float(i) / (steps - 1)
        value = int(int(start, 16) + fraction * (int(finish, 16) - int(start, 16)))
        return f"{value:02x}"

    picked = []
    for k in range(n):
        pair, i = divmod(int(float(k) / (n - 1) * (ramp_length - 1)), steps)  # ramp position -> pair, step
        a, b = colours[pair], colours[pair + 1]
        picked.append(f"#{scale(a[1:3], b[1:3], i)}{scale(a[3:5], b[3:5], i)}{scale(a[5:7], b[5:7], i)}")
    return picked


def _colour_brewer(name: str, n: int) -> list[str]:
    """What ``branca.utilities.color_brewer(name, n)`` returns, for ``n >= 3``."""
    schemes, _ = _brewer()
    base, reverse = (name[:-2], True) if name.endswith("_r") else (name, False)
    explicit = schemes.get(f"{base}_{n:02d}")
    if explicit is not None:
        return list(explicit[::-1] if reverse else explicit)
    # more colours than ColorBrewer defines: interpolate along the largest size (branca's rule)
    sizes = [(int(key.split("_")[1]), key) for key in schemes if "_" in key and key.split("_")[0] == base]
    longest = max(sizes)[1] if sizes else base
    colours = list(schemes[longest])
    return _gradient(colours[::-1] if reverse else colours, n)


@functools.cache
def palette_colours(name: str, n: int) -> tuple[str, ...]:
    """The ``n`` colours of a ColorBrewer palette, lightest first (darkest first with ``_r``).

    Parameters
    ----------
    name
        A sequential or diverging ColorBrewer palette (``"YlGnBu"``, ``"Blues"``, ...); append
        ``_r`` to reverse it.
    n
        Number of colours, at least 1; below 3 they are taken from the three-class palette.

    Returns
    -------
    tuple of str
        ``#rrggbb`` colours.

    Raises
    ------
    SchemaError
        The palette is unknown or ``n`` is below 1.

    Examples
    --------
    >>> palette_colours("YlGnBu", 3)
    ('#edf8b1', '#7fcdbb', '#2c7fb8')
    """
    if not isinstance(name, str) or name.removesuffix("_r") not in palette_names():
        raise SchemaError(f"unknown palette {name!r}; choose one of {list(palette_names())} (add _r to reverse one)")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SchemaError(f"a palette needs at least one colour, not {n!r}")
    if n >= 3:
        colours = _colour_brewer(name, n)
    else:
        three = _colour_brewer(name, 3)
        colours = [three[1]] if n == 1 else [three[0], three[2]]
    return tuple(str(c).lower() for c in colours)
