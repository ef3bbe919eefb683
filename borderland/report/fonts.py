"""The report's typeface, embedded: DejaVu Sans cut down to the characters the page uses.

A report opened on another machine, or printed to PDF, should look the same everywhere and
show Cyrillic and Lithuanian names whatever fonts are installed. matplotlib ships DejaVu Sans
(free licence, Latin, Cyrillic, Greek and the symbols the report uses); :func:`font_face_css`
subsets its regular and bold faces with fontTools (a dependency of matplotlib) to the page's
characters and a fixed base set, and writes them as ``@font-face`` rules with ``data:`` URIs
under the family name :data:`FAMILY`. Subsetting keeps no timestamp, so the same characters
give the same bytes.
"""

from __future__ import annotations

import base64
import functools
import importlib.resources
import io
from typing import Final

from borderland.errors import InputError

__all__ = ["FAMILY", "font_face_css"]

#: The family name the page's CSS uses for the embedded faces.
FAMILY: Final = "Borderland Sans"
#: Faces embedded: CSS weight -> file of matplotlib's ``mpl-data/fonts/ttf``.
FACES: Final = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
#: Characters always included: printable ASCII, Latin-1, Latin Extended-A, basic Cyrillic, and the
#: punctuation and symbols of the report's own text.
BASE: Final = ("".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0xA0, 0x180))
               + "".join(chr(c) for c in range(0x400, 0x460)) + "–—−‘’“”„«»…•·→↔∝≤≥±×²³⁰¹⁴⁵⁶⁷⁸⁹⁻ρα")


def _font_file(name: str) -> bytes:
    try:
        return (importlib.resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf" / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise InputError(f"the report embeds DejaVu Sans from matplotlib, which is missing ({exc}); run pip install "
                         "matplotlib") from None


@functools.lru_cache(maxsize=8)
def _subset(name: str, characters: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: nothing reads them, and fontTools would log them
    options.recalc_timestamp = False
    font = TTFont(io.BytesIO(_font_file(name)), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_face_css(text: str) -> str:
    """``@font-face`` rules of :data:`FAMILY` holding the glyphs of ``text`` (and of :data:`BASE`).

    Parameters
    ----------
    text
        Everything the page may show.

    Returns
    -------
    str
        CSS, one rule per face (regular and bold).

    Examples
    --------
    >>> css = font_face_css("Псков")
    >>> css.count("@font-face"), 'font-family: "Borderland Sans"' in css
    (2, True)
    """
    characters = "".join(sorted(set(BASE) | {c for c in text if c.isprintable() and not c.isspace()}))
    rules = []
    for weight, name in FACES.items():
        data = base64.b64encode(_subset(name, characters)).decode("ascii")
        rules.append(f'@font-face {{ font-family: "{FAMILY}"; font-style: normal; font-weight: {weight}; '
                     f'src: url(data:font/ttf;base64,{data}) format("truetype"); }}')
    return "\n".join(rules)
