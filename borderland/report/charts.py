"""The report's charts as inline SVG, written by a small writer of our own.

Why not matplotlib: an inline chart should take the page's font (the one the PDF embeds) and
the report's language (a decimal comma on Russian axes), keep every label as text (searchable,
copyable, in the PDF's text layer), carry its data as tooltips (``<title>``), and give the same
bytes for the same numbers. Three kinds of chart do not need more than lines, rectangles,
circles and text, so this module writes them directly (about the size of the matplotlib
configuration the same guarantees would take). The static *map* is matplotlib's
(:func:`borderland.maps.write_image`), from the map model.

Every text is escaped here; every coordinate is rounded to a tenth of a pixel.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Sequence
from typing import Final

from borderland.report.i18n import Locale

__all__ = ["ChartSeries", "GapRow", "RankRow", "nice_ticks", "profile_chart", "rank_chart", "segment_chart"]

WIDTH: Final = 720
FONT_PX: Final = 12
AXIS_COLOUR: Final = "#444444"
GRID_COLOUR: Final = "#dddddd"
BAR_COLOUR: Final = "#7fa7cf"
DOT_COLOUR: Final = "#1a1a1a"
CHAR_EM: Final = 0.58  # mean advance of a DejaVu Sans character, in em: sizes the label column
MAX_LABEL: Final = 38  # characters of a row label; longer ones end in "…" (the tooltip has them whole)


def _n(value: float) -> str:
    """A coordinate, rounded to a tenth of a pixel (and never ``-0``)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


class _Svg:
    """An SVG document built element by element."""

    def __init__(self, key: str, width: float, height: float, title: str) -> None:
        self.key, self.width, self.height, self.title = key, width, height, title
        self.parts: list[str] = []

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float = 1.0,
             dash: str = "") -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
                          f'stroke-width="{_n(width)}"{extra}/>')

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str, tip: str = "") -> None:
        inner = f"<title>{_e(tip)}</title>" if tip else ""
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(max(h, 0.0))}" '
                          f'fill="{fill}">{inner}</rect>')

    def circle(self, cx: float, cy: float, r: float, *, fill: str, stroke: str = "none", tip: str = "") -> None:
        inner = f"<title>{_e(tip)}</title>" if tip else ""
        self.parts.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="{fill}" stroke="{stroke}">'
                          f"{inner}</circle>")

    def polyline(self, points: Sequence[tuple[float, float]], *, stroke: str, width: float = 2.0) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}"/>')

    def text(self, x: float, y: float, content: str, *, anchor: str = "start", size: float = FONT_PX,
             weight: str = "", fill: str = AXIS_COLOUR, tip: str = "") -> None:
        bold = f' font-weight="{weight}"' if weight else ""
        inner = f"<title>{_e(tip)}</title>" if tip else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}" '
                          f'fill="{fill}"{bold}>{inner}{_e(content)}</text>')

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_e(self.key)}" '
                f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" width="{_n(self.width)}" '
                f'height="{_n(self.height)}" role="img" aria-labelledby="{_e(self.key)}-title">'
                f'<title id="{_e(self.key)}-title">{_e(self.title)}</title>')
        return head + "".join(self.parts) + "</svg>"


def nice_ticks(low: float, high: float, count: int = 5) -> tuple[tuple[float, ...], int]:
    """Round tick values covering ``[low, high]`` (steps of 1, 2, 2.5 or 5 times a power of ten).

    Returns
    -------
    tuple
        The ticks and the decimals that write them.

    Examples
    --------
    >>> nice_ticks(0.004, 0.997)
    ((0.0, 0.2, 0.4, 0.6, 0.8, 1.0), 1)
    >>> nice_ticks(-0.5, 0.17, 4)
    ((-0.6, -0.4, -0.2, 0.0, 0.2), 1)
    """
    if not high > low:
        low, high = (low - 0.5, high + 0.5) if low == high else (high, low)
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    multiple = next(m for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw * (1 - 1e-9))
    step = multiple * power
    start = math.floor(low / step + 1e-9) * step
    stop = math.ceil(high / step - 1e-9) * step
    decimals = max(0, -math.floor(math.log10(step) + 1e-9) + (1 if multiple == 2.5 else 0))
    # rounded past the decimals shown: 0.6, not 0.6000000000000001
    values = tuple(round(start + k * step, decimals + 6) + 0.0 for k in range(round((stop - start) / step) + 1))
    return values, decimals


def _label_width(labels: Sequence[str]) -> float:
    longest = max((len(_short(label)) for label in labels), default=0)
    return min(300.0, longest * CHAR_EM * FONT_PX + 12)


@dataclasses.dataclass(frozen=True)
class _RowFrame:
    """A chart of one row per item, drawn: its label column, its x scale and the y of its axis."""

    svg: _Svg
    left: float
    top: float
    step: float
    bottom_y: float
    plot_w: float
    lo: float
    hi: float

    def x_of(self, value: float) -> float:
        return self.left + self.plot_w * (value - self.lo) / (self.hi - self.lo)


def _row_frame(key: str, title: str, labels: Sequence[str], *, step: float, rows_high: int, lo: float, hi: float,
               ticks: Sequence[tuple[float, str]], x_label: str) -> _RowFrame:
    """The frame of a chart of one row per label (``rows_high`` rows tall), drawn.

    A label column as wide as the longest label, a vertical grid line and a label per tick, the
    x axis below the rows and its title.
    """
    left, right, top, bottom = _label_width(labels) + 8, 24.0, 36.0, 44.0
    height = top + step * rows_high + bottom
    svg = _Svg(key, WIDTH, height, title)
    frame = _RowFrame(svg, left, top, step, top + step * len(labels), WIDTH - left - right, lo, hi)
    for tick, label in ticks:
        svg.line(frame.x_of(tick), top - 4, frame.x_of(tick), frame.bottom_y, stroke=GRID_COLOUR)
        svg.text(frame.x_of(tick), frame.bottom_y + 16, label, anchor="middle")
    svg.line(left, frame.bottom_y, WIDTH - right, frame.bottom_y, stroke=AXIS_COLOUR)
    svg.text(left + frame.plot_w / 2, height - 8, x_label, anchor="middle")
    return frame


def _too_light(colour: str) -> bool:
    """Whether a ``#rrggbb`` colour would vanish on the white page (relative luminance above 0.85).

    A typology of an odd number of custom labels has ColorBrewer's near-white middle class
    (``#f7f7f7``); its dots and lines get a dark outline. WCAG's relative luminance.

    Examples
    --------
    >>> _too_light("#f7f7f7"), _too_light("#a6dba0"), _too_light("#1b7837")
    (True, False, False)
    """
    channels = [int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] > 0.85


def _legend(svg: _Svg, x: float, y: float, items: Sequence[tuple[str, str, str]]) -> None:
    """A row of legend entries: (shape ``dot`` / ``bar`` / ``line``, colour, label)."""
    for shape, colour, label in items:
        if shape == "bar":
            svg.rect(x, y - 9, 16, 10, fill=colour)
        elif shape == "line":
            svg.line(x, y - 4, x + 16, y - 4, stroke=colour, width=2.5)
            svg.circle(x + 8, y - 4, 3.5, fill=colour)
        else:
            svg.circle(x + 8, y - 4, 4, fill=colour, stroke=AXIS_COLOUR if _too_light(colour) else "none")
        svg.text(x + 22, y, label)
        x += 22 + len(label) * CHAR_EM * FONT_PX + 18


# -- the index by distance band and side -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChartSeries:
    """One line of the profile chart: a label, a colour and one value per band (``None``: no value)."""

    label: str
    colour: str
    values: tuple[float | None, ...]


def profile_chart(key: str, title: str, bands: Sequence[str], series: Sequence[ChartSeries], *, x_label: str,
                  y_label: str, locale: Locale) -> str:
    """A line per side of the border: the index by distance band.

    Parameters
    ----------
    key
        The SVG element's id (unique on the page).
    title
        The accessible title (also the tooltip of the chart).
    bands
        Band labels, nearest the border first (``0-25``...).
    series
        One line each.
    x_label, y_label
        Axis titles.
    locale
        Writes the numbers.

    Returns
    -------
    str
        The SVG element.

    Examples
    --------
    >>> from borderland.report.i18n import Locale
    >>> svg = profile_chart("p", "Index", ["0-25", "25-50"], [ChartSeries("RU", "#d95f02", (0.42, 0.41))],
    ...                     x_label="km", y_label="index", locale=Locale.of("ru"))
    >>> svg.count("<polyline"), "0,410" in svg, "0.410" in svg
    (1, True, False)
    """
    known = [v for s in series for v in s.values if v is not None]
    ticks, decimals = nice_ticks(min(known, default=0.0), max(known, default=1.0))
    left, right, top, bottom = 64.0, 24.0, 40.0, 52.0
    height = 320.0
    svg = _Svg(key, WIDTH, height, title)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_h * (ticks[-1] - value) / (ticks[-1] - ticks[0])

    def x_of(k: int) -> float:
        return left + plot_w * (k + 0.5) / max(len(bands), 1)

    for tick in ticks:
        svg.line(left, y_of(tick), WIDTH - right, y_of(tick), stroke=GRID_COLOUR)
        svg.text(left - 6, y_of(tick) + 4, locale.fixed(tick, decimals), anchor="end")
    svg.line(left, top + plot_h, WIDTH - right, top + plot_h, stroke=AXIS_COLOUR)
    for k, band in enumerate(bands):
        svg.text(x_of(k), top + plot_h + 18, band, anchor="middle")
    svg.text(left + plot_w / 2, height - 8, x_label, anchor="middle")
    svg.text(14, top - 14, y_label)
    for line in series:
        points = [(x_of(k), y_of(v)) for k, v in enumerate(line.values) if v is not None]
        if len(points) > 1:
            svg.polyline(points, stroke=line.colour, width=2.5)
        for k, v in enumerate(line.values):
            if v is not None:
                svg.circle(x_of(k), y_of(v), 4.5, fill=line.colour,
                           tip=f"{line.label}, {bands[k]}: {locale.fixed(v, 3)}")
    _legend(svg, left + 160, top - 14, [("line", s.colour, s.label) for s in series])
    return svg.render()


# -- rank intervals ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RankRow:
    """One region of the rank chart: its label, median rank, 5-95 % interval, colour and tooltip."""

    label: str
    median: float
    low: float
    high: float
    colour: str
    tip: str


def rank_chart(key: str, title: str, rows: Sequence[RankRow], *, ranks: int, x_label: str,
               legend: Sequence[tuple[str, str]], locale: Locale) -> str:
    """One row per region: its median rank (a dot) and 5-95 % rank interval (a line).

    Parameters
    ----------
    key, title
        The SVG element's id and accessible title.
    rows
        Regions, top row first.
    ranks
        The number of ranked regions (the axis runs from 1 to it).
    x_label
        The axis title.
    legend
        (label, colour) of each class.
    locale
        Writes the numbers.

    Returns
    -------
    str
        The SVG element.

    Examples
    --------
    >>> from borderland.report.i18n import Locale
    >>> row = RankRow("<Nord-Norge>", 1, 1, 1, "#1b7837", "Nord-Norge: 1")
    >>> svg = rank_chart("r", "Ranks", [row], ranks=35, x_label="rank", legend=[("leader", "#1b7837")],
    ...                  locale=Locale.of("en"))
    >>> "&lt;Nord-Norge&gt;" in svg and "<Nord-Norge>" not in svg
    True
    """
    ticks, _ = nice_ticks(1, max(ranks, 2), 7)
    ticks = tuple(t for t in ticks if 1 <= t <= max(ranks, 2)) or (1.0,)
    shown = (1.0, *[t for t in ticks if t != 1])
    frame = _row_frame(key, title, [r.label for r in rows], step=15.0, rows_high=len(rows), lo=1.0,
                       hi=float(max(ranks, 2)), ticks=[(t, locale.plain(t)) for t in shown], x_label=x_label)
    svg, x_of = frame.svg, frame.x_of
    for k, row in enumerate(rows):
        y = frame.top + frame.step * (k + 0.5)
        svg.text(frame.left - 8, y + 4, _short(row.label), anchor="end", tip=row.label)
        light = _too_light(row.colour)
        if light:  # a dark casing under the line, so that a near-white class's interval shows
            svg.line(x_of(row.low), y, x_of(row.high), y, stroke=AXIS_COLOUR, width=5)
        svg.line(x_of(row.low), y, x_of(row.high), y, stroke=row.colour, width=3)
        svg.circle(x_of(row.median), y, 4.5, fill=row.colour, stroke=AXIS_COLOUR if light else "#ffffff",
                   tip=row.tip)
    _legend(svg, frame.left, frame.top - 16, [("dot", colour, label) for label, colour in legend])
    return svg.render()


# -- gaps by border segment --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GapRow:
    """One border segment of the gap chart: label, mean gap, the pairs' gaps with their tooltips."""

    label: str
    mean: float
    tip: str
    pairs: tuple[tuple[float, str], ...]


def segment_chart(key: str, title: str, rows: Sequence[GapRow], *, x_label: str,
                  legend: Sequence[tuple[str, str, str]], locale: Locale) -> str:
    """A bar per segment (its mean gap, from zero) with a dot per pair (that pair's gap).

    Parameters
    ----------
    key, title
        The SVG element's id and accessible title.
    rows
        Segments, top row first.
    x_label
        The axis title.
    legend
        (shape, colour, label) entries.
    locale
        Writes the numbers.

    Returns
    -------
    str
        The SVG element.

    Examples
    --------
    >>> from borderland.report.i18n import Locale
    >>> rows = [GapRow("RU-FI", -0.36, "RU-FI −0.36", ((-0.5, "a"), (-0.11, "b")))]
    >>> svg = segment_chart("g", "Gaps", rows, x_label="gap", legend=[], locale=Locale.of("en"))
    >>> svg.count("<circle"), svg.count("<rect")
    (2, 1)
    """
    values = [0.0] + [r.mean for r in rows] + [v for r in rows for v, _ in r.pairs]
    ticks, decimals = nice_ticks(min(values), max(values), 6)
    frame = _row_frame(key, title, [r.label for r in rows], step=24.0, rows_high=max(len(rows), 1), lo=ticks[0],
                       hi=ticks[-1], ticks=[(t, locale.fixed(t, decimals)) for t in ticks], x_label=x_label)
    svg, x_of, top, step = frame.svg, frame.x_of, frame.top, frame.step
    for k, row in enumerate(rows):
        y = top + step * k
        svg.text(frame.left - 8, y + step / 2 + 4, _short(row.label), anchor="end", tip=row.label)
        x0, x1 = sorted((x_of(0.0), x_of(row.mean)))
        svg.rect(x0, y + 5, x1 - x0, step - 10, fill=BAR_COLOUR, tip=row.tip)
        for value, tip in row.pairs:
            svg.circle(x_of(value), y + step / 2, 3.5, fill="#ffffff", stroke=DOT_COLOUR, tip=tip)
    svg.line(x_of(0.0), top - 4, x_of(0.0), frame.bottom_y, stroke=AXIS_COLOUR)
    _legend(svg, frame.left, top - 16, legend)
    return svg.render()
