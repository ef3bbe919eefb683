"""specs.printable: data text made safe for a terminal."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.specs import printable

#: Bidirectional marks, overrides and isolates: they reorder the text around them on a terminal.
BIDI = {"\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069"}

#: Every control character, with the characters that most often hide among them.
HOSTILE = st.sampled_from(["\n", "\r", "\t", "\x1b", "\x00", "\x7f", "\x85", "\x9b", "\u2028", "\u2029", *BIDI])


def _unsafe(text: str, *, keep: str = "") -> list[str]:
    """Raw control characters (Unicode category Cc), line and paragraph separators, bidi controls."""
    return [c for c in text if c not in keep and (unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI)]


@settings(deadline=None, max_examples=300)
@given(st.text(st.one_of(st.characters(), HOSTILE)))
def test_printable_data_text_holds_no_raw_control_character(text):
    shown = printable(text)
    assert _unsafe(shown) == []
    assert len(shown.splitlines()) <= 1  # it can never start a line of its own


@settings(deadline=None, max_examples=300)
@given(st.text(st.one_of(st.characters(), HOSTILE)))
def test_printable_lines_keep_only_the_line_feeds(text):
    shown = printable(text, lines=True)
    assert _unsafe(shown, keep="\n") == []
    assert shown.count("\n") == text.count("\n")


@settings(deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp"))))
def test_printable_text_is_left_as_it_is(text):
    assert printable(text) == text


def test_the_escapes_read_as_python_writes_them():
    assert printable("Kola\nerror: fake\r\tline") == "Kola\\nerror: fake\\r\\tline"
    assert printable("Evil\x1b[2J\u202eName") == "Evil\\u001b[2J\\u202eName"
    assert printable("two\nlines\t", lines=True) == "two\nlines\\t"
