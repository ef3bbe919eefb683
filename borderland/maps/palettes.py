"""The map's colours: ColorBrewer palettes (read from branca's data files without importing branca) and its own.

branca ships ColorBrewer's colours as JSON beside its code; importing branca itself (jinja2
and all) takes about 0.2 s here, which the map model and the QGIS styles do not need: they
only want the colours. The files are found with :func:`importlib.util.find_spec`, which locates
a package without running it, and read once. :func:`palette_colours` gives the colours
``branca.utilities.color_brewer`` gives (the test suite compares every palette), including its
interpolation beyond a palette's largest size.

The colours the map chooses itself are here too, so the interactive map, the static map and the
QGIS styles take them from one place: the "no data" grey, the typology's classes, the leading
side of a gap, the state border, trade flows, and the palette of each classed kind.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from borderland.errors import InputError, SchemaError

__all__ = [
    "BORDER_COLOUR", "DEFAULT_PALETTES", "EQUAL_COLOUR", "FLOW_COLOURS", "LEADER_COLOURS", "NO_DATA_COLOUR",
    "PLAIN_REGION_COLOUR", "TYPOLOGY_COLOURS", "TYPOLOGY_PALETTE", "UNSTABLE_COLOUR", "palette_colours",
    "palette_names", "typology_colours",
]

_SOURCE: Final = "branca"

#: Regions without data: never drawn as the lowest class.
NO_DATA_COLOUR: Final = "#d9d9d9"

#: Typology classes, best first, and their colours.
TYPOLOGY_COLOURS: Final[Mapping[str, str]] = {
    "leader": "#1b7837",
    "moderate": "#a6dba0",
    "lagging": "#762a83",
}

#: The ColorBrewer diverging palette of a study's own typology labels, best first (reversed, so
#: that the best class takes its green end). PRGn because the default classes' colours are
#: PRGn's own (#1b7837, #a6dba0, #762a83): a typology of other labels reads the same way, green
#: best and purple worst, and PRGn stays legible to readers with red-green colour blindness.
TYPOLOGY_PALETTE: Final = "PRGn_r"

#: ColorBrewer palette of each classed kind unless ``palette`` is given; rings and bands are
#: ordinal, darkest next to the border.
DEFAULT_PALETTES: Final[Mapping[str, str]] = {
    "index": "YlGnBu", "indicator": "Blues", "population": "OrRd", "rings": "YlOrBr_r", "bands": "PuBu_r",
}

#: Colours of the leading side of a cross-border gap (ColorBrewer Dark2 without its green,
#: which would read as part of the index palette), assigned to countries in code order.
LEADER_COLOURS: Final = ("#d95f02", "#7570b3", "#e7298a", "#e6ab02", "#a6761d", "#666666")
EQUAL_COLOUR: Final = "#444444"
#: The land border between states.
BORDER_COLOUR: Final = "#1a1a1a"

#: Outline of a region whose class is unstable (probability of its class below the threshold).
UNSTABLE_COLOUR: Final = "#000000"

#: Trade flows: one colour per layer (flow type and unit).
#: (ColorBrewer Set1 with its blue last: blue lines vanish on the blue index classes)
FLOW_COLOURS: Final = ("#e41a1c", "#ff7f00", "#984ea3", "#a65628", "#f781bf", "#377eb8")

#: Regions under lines alone: lighter than the "no data" grey, which they are not.
PLAIN_REGION_COLOUR: Final = "#f7f7f7"


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


def typology_colours(labels: Sequence[str]) -> Mapping[str, str]:
    """The colour of each typology label, best first.

    The default labels (``leader``, ``moderate``, ``lagging``) keep :data:`TYPOLOGY_COLOURS`;
    a study's own labels take the colours of :data:`TYPOLOGY_PALETTE` by rank, best first.

    Parameters
    ----------
    labels
        The typology's labels, best first (``[typology] labels``).

    Returns
    -------
    Mapping of str to str
        Label -> ``#rrggbb``, in the order of ``labels``.

    Examples
    --------
    >>> dict(typology_colours(["high", "mid", "low"]))
    {'high': '#7fbf7b', 'mid': '#f7f7f7', 'low': '#af8dc3'}
    """
    names = tuple(labels)
    if names == tuple(TYPOLOGY_COLOURS):
        return TYPOLOGY_COLOURS
    return dict(zip(names, palette_colours(TYPOLOGY_PALETTE, len(names)), strict=True)) if names else {}


def _ordinal_colours(palette: str, n: int) -> tuple[str, ...]:
    """``n`` colours of a reversed palette, darkest first, without the lightest: it would vanish on white."""
    return palette_colours(palette, n + 1)[:n] if n else ()
