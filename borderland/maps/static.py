"""Static maps (PNG, SVG, PDF) of a :class:`~borderland.maps.model.MapModel`, and the profile chart.

:func:`write_image` draws the model the interactive map draws -- the same classes, colours,
legend labels and credits -- with matplotlib: the first of the alternatives the HTML map offers
(a region kind or the distance bands; plain regions when there is none), the countries
underneath and every line layer (state border, gaps, trade flows) over it. The map is drawn in
the study's projected CRS (equal-area EPSG:3035 by default), so the scale bar holds across the
map. :func:`profile_chart` draws a value by distance band from the border. For the years of
``borderland trend``, :func:`small_multiples` draws one small map per year in classes fixed across
the years, and :func:`gap_chart` each border segment's gap over the years.

matplotlib is used through its object API on the Agg canvas, never ``pyplot``: no global figure
state, no display needed. It is imported inside the functions, like folium in
:mod:`borderland.maps.leaflet`.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import shapely

from borderland.classify import classify
from borderland.errors import SchemaError, collect
from borderland.io import atomic_path
from borderland.maps._simplify import simplified
from borderland.maps.layers import NO_DATA, FeatureLayer, LegendItem, RegionLayer
from borderland.maps.model import MapModel
from borderland.maps.palettes import (
    LEADER_COLOURS,
    NO_DATA_COLOUR,
    PLAIN_REGION_COLOUR,
    UNSTABLE_COLOUR,
    palette_colours,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["STATIC_FORMATS", "gap_chart", "profile_chart", "small_multiples", "write_image"]

#: File formats, by suffix; each is written deterministically (no dates, fixed ids).
STATIC_FORMATS: Final[Mapping[str, str]] = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

#: Points per CSS pixel: legend and line widths are given in CSS pixels (96 per inch).
_PT_PER_PX: Final = 72 / 96
_HATCH: Final = "//"  # sparse: the class colour must stay readable under it
_METADATA: Final[Mapping[str, Mapping[str, Any]]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}
#: Legend panel, map and margins as fractions of the figure.
_MAP_BOX: Final = (0.02, 0.07, 0.66, 0.84)
_LEGEND_BOX: Final = (0.70, 0.07, 0.29, 0.84)
_LEGEND_FONT_PT: Final = 7.5
_LEGEND_ROW_EM: Final = 1.6  # height of a legend row in font sizes (text, spacing, the tallest handle)
_LEGEND_WRAP: Final = 44  # characters of a legend row


def _plain(text: str) -> str:
    """Text as matplotlib should show it: a ``$`` would start mathtext, so it is escaped."""
    return text.replace("$", r"\$")


def _rings(polygon: shapely.Polygon) -> list[np.ndarray]:
    return [np.asarray(ring.coords)[:, :2] for ring in (polygon.exterior, *polygon.interiors)]


def _polygon_path(geometry: Any) -> Any:
    """A matplotlib path of a (multi)polygon, holes included (even-odd filling)."""
    from matplotlib.path import Path as MplPath

    polygons = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon) and not g.is_empty]
    rings = [ring for polygon in polygons for ring in _rings(polygon)]
    if not rings:
        return None
    vertices = np.concatenate(rings)
    codes = np.concatenate([[MplPath.MOVETO, *[MplPath.LINETO] * (len(r) - 2), MplPath.CLOSEPOLY] for r in rings])
    return MplPath(vertices, codes.astype(np.uint8))


def _line_parts(geometry: Any) -> list[np.ndarray]:
    return [np.asarray(g.coords)[:, :2] for g in shapely.get_parts(geometry)
            if isinstance(g, shapely.LineString) and not g.is_empty]


def _figure(size_in: tuple[float, float], dpi: int) -> Figure:
    """A white figure on the Agg canvas, through the object API (no global figure state, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size_in, dpi=dpi, facecolor="#ffffff")
    FigureCanvasAgg(figure)
    return figure


def _credits(figure: Figure, credits: Sequence[str], *, at: tuple[float, float], width: int, fontsize: float) -> None:
    """The credit lines along the bottom left, wrapped at ``width`` characters."""
    figure.text(at[0], at[1], "\n".join(textwrap.wrap(_plain("; ".join(credits)), width)), ha="left", va="bottom",
                fontsize=fontsize, color="#444444")


def _save(figure: Figure, target: Path, fmt: str, *, dpi: int, overwrite: bool) -> Path:
    """Write the figure to ``target`` atomically, without dates or the software's name: the same bytes each time."""
    with atomic_path(target, overwrite=overwrite) as tmp:
        figure.savefig(tmp, format=fmt, dpi=dpi, metadata=dict(_METADATA[fmt]), facecolor="#ffffff")
    return target


def _draw_polygons(ax: Axes, geoms: np.ndarray, *, facecolors: Sequence[str], edgecolor: str, linewidth_pt: float,
                   zorder: float, hatch: str | None = None, linestyle: str = "solid") -> None:
    from matplotlib.collections import PathCollection

    pairs = [(path, colour) for path, colour in zip((_polygon_path(g) if g is not None else None for g in geoms),
                                                    facecolors, strict=True) if path is not None]
    if not pairs:
        return
    collection = PathCollection([p for p, _ in pairs], facecolors=[c for _, c in pairs], edgecolors=edgecolor,
                                linewidths=linewidth_pt, zorder=zorder, hatch=hatch, linestyles=linestyle)
    ax.add_collection(collection, autolim=False)


def _line_style(dash: str) -> Any:
    """A Leaflet ``dashArray`` (CSS pixels) as a matplotlib line style in points; ``"solid"`` when empty.

    The dashes are not scaled by the line width (``lines.scale_dashes`` is off while the map is
    drawn), as on the web map.

    Examples
    --------
    >>> _line_style("6 4"), _line_style("")
    ((0, (4.5, 3.0)), 'solid')
    """
    lengths = [float(v) * _PT_PER_PX for v in str(dash).replace(",", " ").split()]
    return (0, tuple(lengths)) if lengths else "solid"


def _draw_feature_layer(ax: Axes, layer: FeatureLayer, tolerance_m: float, zorder: float) -> None:
    """Draw a FeatureLayer with its Leaflet styles turned into matplotlib ones."""
    from matplotlib.collections import LineCollection

    geoms = simplified(layer.geometry, tolerance_m, coverage=layer.coverage)
    styles = [{**layer.style, **style} for style in layer.feature_styles]
    areas = [(g, s) for g, s in zip(geoms, styles, strict=True)
             if g is not None and shapely.get_dimensions(g) == 2]
    for geom, style in areas:  # few features (bands, arrowheads): one patch each keeps their own style
        _draw_polygons(ax, np.array([geom], dtype=object), facecolors=[str(style.get("fillColor", style["color"]))],
                       edgecolor=style.get("color", "none"), linewidth_pt=float(style.get("weight", 0)) * _PT_PER_PX,
                       zorder=zorder)
    segments, colours, widths, dashes = [], [], [], []
    for geom, style in zip(geoms, styles, strict=True):
        if geom is None or shapely.get_dimensions(geom) != 1:
            continue
        for part in _line_parts(geom):
            segments.append(part)
            colours.append(style.get("color", "#000000"))
            widths.append(float(style.get("weight", 1)) * _PT_PER_PX)
            dashes.append(_line_style(style.get("dashArray", "")))  # e.g. gaps resting on unlike definitions
    if segments:
        ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths, zorder=zorder,
                                         alpha=float(layer.style.get("opacity", 1)), capstyle="butt",
                                         linestyles=dashes),
                          autolim=False)


def _draw_regions(ax: Axes, model: MapModel, main: RegionLayer | None, tolerance_m: float) -> None:
    geoms = simplified(model.regions.geometry, tolerance_m, coverage=True)
    fills = list(main.fill) if main is not None else [PLAIN_REGION_COLOUR] * len(geoms)
    _draw_polygons(ax, geoms, facecolors=fills, edgecolor="#ffffff" if main is not None else "#bdbdbd",
                   linewidth_pt=0.4, zorder=2)
    if main is not None and main.unstable is not None and main.unstable.any():
        unstable = main.unstable.to_numpy()
        # hatched and outlined: in print the class colour stays readable under the hatch
        _draw_polygons(ax, geoms[unstable], facecolors=["none"] * int(unstable.sum()), edgecolor=UNSTABLE_COLOUR,
                       linewidth_pt=1.0, zorder=2.5, hatch=_HATCH, linestyle="--")


def _nice_length_km(width_m: float) -> float:
    """A round length (1, 2 or 5 times a power of ten, in km) of about a fifth of the map's width."""
    target = width_m / 5 / 1000
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def _scale_bar(ax: Axes, bounds: tuple[float, float, float, float]) -> None:
    west, south, east, north = bounds
    length_km = _nice_length_km(east - west)
    x0 = west + 0.04 * (east - west)
    y0 = south + 0.04 * (north - south)
    ax.plot([x0, x0 + length_km * 1000], [y0, y0], color="#1a1a1a", linewidth=2.5, solid_capstyle="butt", zorder=6)
    label = f"{length_km:g} km"
    ax.text(x0, y0 + 0.015 * (north - south), label, fontsize=7, color="#1a1a1a", zorder=6, va="bottom")


def _legend_handles(name: str, items: Sequence[LegendItem]) -> tuple[list[Any], list[str]]:
    """Handles and labels for one legend section, the heading first."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Line2D([], [], linestyle="none")]
    labels = [_plain(name)]
    for item in items:
        if item.shape == "note":
            handles.append(Line2D([], [], linestyle="none"))
        elif item.shape == "line":
            handles.append(Line2D([], [], color=item.colour, linewidth=item.width_px * _PT_PER_PX,
                                  solid_capstyle="butt", dash_capstyle="butt", linestyle=_line_style(item.dash)))
        elif item.shape == "outline":
            handles.append(Patch(facecolor=item.colour, edgecolor=UNSTABLE_COLOUR, linestyle="--", hatch=_HATCH,
                                 linewidth=1.0))
        else:
            handles.append(Patch(facecolor=item.colour, edgecolor="#888888", linewidth=0.5))
        # long rows (a gap's unlike definitions name components) wrap rather than run off the page
        labels.append(_plain("\n".join(textwrap.wrap(item.label, _LEGEND_WRAP)) or item.label))
    return handles, labels


def _format(path: Path) -> str:
    fmt = STATIC_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SchemaError(f"path is {str(path)!r}, which has no known image suffix; end it in one of "
                          f"{sorted(STATIC_FORMATS)}")
    return fmt


def write_image(model: MapModel, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Draw the model as a PNG, SVG or PDF file, with title, legend, credits and scale bar.

    The classes, colours and legend labels are those of the interactive map of the same model.
    The first alternative of the model (``model.base[0]``: the first region kind or the distance
    bands) is drawn, with the countries underneath in grey and every line layer (state border,
    gaps, trade flows) over it; without an alternative the regions are drawn in a neutral grey.
    Regions whose class is unstable (uncertainty kind) are hatched and outlined. The size is
    ``spec.size_in`` at ``spec.dpi``; the title and credits are the spec's.

    Parameters
    ----------
    model
        From :func:`~borderland.maps.model.map_model`.
    path
        The file; its suffix (``.png``, ``.svg``, ``.pdf``) is the format.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    SchemaError
        An unknown suffix.
    OutputError
        The file exists and ``overwrite`` is false.
    """
    import matplotlib
    from matplotlib.lines import Line2D

    target = Path(path)
    fmt = _format(target)
    spec = model.spec
    dpi = spec.dpi

    width_in, height_in = (float(v) for v in spec.size_in)
    west, south, east, north = (float(v) for v in model.regions.total_bounds)
    pad = 0.03 * max(east - west, north - south)
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    # fit the regions' box into the map panel at equal scale, centred
    panel_w, panel_h = _MAP_BOX[2] * width_in, _MAP_BOX[3] * height_in
    metres_per_inch = max((east - west) / panel_w, (north - south) / panel_h)
    cx, cy = (west + east) / 2, (south + north) / 2
    bounds = (cx - panel_w * metres_per_inch / 2, cy - panel_h * metres_per_inch / 2,
              cx + panel_w * metres_per_inch / 2, cy + panel_h * metres_per_inch / 2)
    tolerance_m = metres_per_inch / dpi / 2

    # text stays text in SVG (searchable, and the legend can be checked); fixed ids: same bytes each time
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "borderland", "hatch.linewidth": 0.6,
                                "pdf.fonttype": 42, "font.family": "DejaVu Sans", "lines.scale_dashes": False}):
        figure = _figure((width_in, height_in), dpi)
        ax = figure.add_axes(_MAP_BOX)
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        ax.set_aspect("equal")
        ax.set_axis_off()

        if model.countries is not None:
            _draw_feature_layer(ax, model.countries, tolerance_m, zorder=1)
        main = model.base[0] if model.base else None
        if isinstance(main, RegionLayer) or main is None:
            _draw_regions(ax, model, main, tolerance_m)
        else:
            _draw_feature_layer(ax, main, tolerance_m, zorder=2)
        for z, layer in enumerate(model.overlays):
            _draw_feature_layer(ax, layer, tolerance_m, zorder=3 + z)
        _scale_bar(ax, bounds)

        handles: list[Any] = []
        labels: list[str] = []
        headings: list[int] = []
        for section in ([main] if main is not None else []) + list(model.overlays):
            if labels:  # a blank row between sections
                handles.append(Line2D([], [], linestyle="none"))
                labels.append("")
            section_handles, section_labels = _legend_handles(section.name, section.legend)
            headings.append(len(labels))
            handles += section_handles
            labels += section_labels
        legend_ax = figure.add_axes(_LEGEND_BOX)
        legend_ax.set_axis_off()
        # a long legend (several trade layers) gets smaller type rather than running off the page
        panel_pt = _LEGEND_BOX[3] * height_in * 72
        fontsize = min(_LEGEND_FONT_PT, panel_pt / (len(labels) * _LEGEND_ROW_EM))
        legend = legend_ax.legend(handles, labels, loc="upper left", frameon=False, fontsize=fontsize,
                                  handlelength=2.2, borderaxespad=0.0, labelspacing=0.45)
        for i, text in enumerate(legend.get_texts()):
            if i in headings:
                text.set_fontweight("bold")

        figure.text(0.5, 0.975, "\n".join(textwrap.wrap(_plain(spec.title), 90)), ha="center", va="top",
                    fontsize=13, fontweight="bold")
        _credits(figure, spec.attribution, at=(0.02, 0.012), width=150, fontsize=6.5)
        return _save(figure, target, fmt, dpi=dpi, overwrite=overwrite)


def profile_chart(
    profile: Any,
    path: str | os.PathLike[str],
    *,
    value: str = "index",
    title: str = "",
    attribution: str | Sequence[str] = (),
    size_in: tuple[float, float] = (6.0, 3.5),
    dpi: int = 150,
    overwrite: bool = False,
) -> Path:
    """A small chart of a value by distance band from the border, one line per side or country.

    Parameters
    ----------
    profile
        From :func:`borderland.exposure.profile`: indexed by (``band``, side or country), with the
        population-weighted ``value`` column.
    path
        A ``.png``, ``.svg`` or ``.pdf`` file (by suffix).
    value
        The column to draw.
    title, attribution
        Printed above and below the chart.
    size_in, dpi
        Figure size in inches and resolution of a PNG.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    problems = []
    if fmt not in _METADATA:
        problems.append(f"unknown chart format {target.suffix!r}; use one of {sorted('.' + f for f in _METADATA)}")
    if value not in getattr(profile, "columns", ()):
        problems.append(f"the profile has no column {value!r}")
    collect(problems, SchemaError, "profile chart")
    # unstack sorts the bands as text ("100+" before "25-50"): keep the profile's own order
    table = profile[value].unstack(level=1).reindex(list(dict.fromkeys(profile.index.get_level_values(0))))
    bands = [str(b) for b in table.index]
    figure = _figure(size_in, dpi)
    ax = figure.add_subplot()
    for k, group in enumerate(table.columns):
        ax.plot(range(len(bands)), table[group].to_numpy(float), marker="o", linewidth=2,
                color=LEADER_COLOURS[k % len(LEADER_COLOURS)], label=_plain(str(group)))
    ax.set_xticks(range(len(bands)), [_plain(f"{b} km") for b in bands])
    ax.set_xlabel("distance from the land border")
    ax.set_ylabel(_plain(f"{value} (population-weighted)"))
    ax.grid(axis="y", color="#dddddd")
    ax.legend(frameon=False)
    if title:
        ax.set_title(_plain(title), fontsize=10)
    credits = [attribution] if isinstance(attribution, str) else list(attribution)
    if credits:
        wrapped = textwrap.fill("; ".join(credits), width=int(size_in[0] * 24))
        figure.text(0.01, 0.01, _plain(wrapped), fontsize=5, color="#555555", va="bottom")
    figure.tight_layout(rect=(0, 0.03 * (1 + wrapped.count("\n")) if credits else 0, 1, 1))
    return _save(figure, target, fmt, dpi=dpi, overwrite=overwrite)


def _check_target(path: Path, what: str) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _METADATA:
        raise SchemaError(f"unknown {what} format {path.suffix!r}; use one of {sorted('.' + f for f in _METADATA)}")
    return fmt


def small_multiples(
    regions: gpd.GeoDataFrame,
    values: Any,
    path: str | os.PathLike[str],
    *,
    years: Sequence[int],
    lines: gpd.GeoDataFrame | None = None,
    gaps: Any = None,
    classes: int = 5,
    scheme: str = "quantiles",
    palette: str = "YlGnBu",
    title: str = "",
    value_label: str = "index",
    attribution: Sequence[str] = (),
    panel_in: float = 3.2,
    dpi: int = 150,
    overwrite: bool = False,
) -> Path:
    """One small map per year, in classes fixed across the years, with the gap lines over it.

    The classes are cut once from the values of every year drawn together, so a colour means the
    same value in every panel; "no data" is grey. Gap lines (optional) are drawn with a width
    proportional to the absolute gap, the same scale in every panel.

    Parameters
    ----------
    regions
        Projected, indexed by code.
    values
        Regions x years (a DataFrame whose columns are years), e.g. the index on the trend's scale.
    path
        A ``.png``, ``.svg`` or ``.pdf`` file (by suffix).
    years
        The years to draw, one panel each.
    lines, gaps
        Gap lines indexed by pair id, and pairs x years of gaps (optional).
    classes, scheme, palette
        The classes (:func:`borderland.classify.classify`) and their ColorBrewer colours.
    title, value_label, attribution
        Printed above the panels, in the legend, below them.
    panel_in, dpi
        Width of a panel in inches; resolution of a PNG.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Patch

    target = Path(path)
    fmt = _check_target(target, "map")
    missing = [y for y in years if y not in values.columns]
    if missing or not years:
        raise SchemaError(f"small multiples: no values for year(s) {missing or 'none given'}; the values have "
                          f"{list(values.columns)}")
    frame = values.reindex(index=regions.index, columns=list(years)).astype(float)
    numbers = frame.to_numpy()
    distinct = len(np.unique(numbers[np.isfinite(numbers)]))
    result = classify(numbers.ravel(), scheme, max(1, min(classes, distinct)))
    colours = palette_colours(palette, result.k) if result.k else ()
    fills = np.array([colours[c] if c >= 0 else NO_DATA_COLOUR for c in result.classes.tolist()],
                     dtype=object).reshape(numbers.shape)
    columns = min(len(years), 4 if len(years) > 6 else 3 if len(years) > 4 else 2 if len(years) > 1 else 1)
    rows = math.ceil(len(years) / columns)
    west, south, east, north = (float(v) for v in regions.total_bounds)
    aspect = (north - south) / max(east - west, 1.0)
    legend_in = 2.8
    width_in = columns * panel_in + legend_in
    split = 1 - legend_in / width_in
    heading = textwrap.wrap(_plain(title), int(split * width_in * 6.5)) if title else []
    title_in, foot_in = 0.35 + 0.24 * len(heading), 0.5
    height_in = rows * panel_in * aspect + title_in + foot_in
    figure = _figure((width_in, height_in), dpi)
    tolerance = (east - west) / (panel_in * dpi) / 2
    geoms = simplified(regions.geometry, tolerance, coverage=True)
    widest = float(np.nanmax(np.abs(gaps.to_numpy(dtype=float)))) if gaps is not None and np.isfinite(
        gaps.to_numpy(dtype=float)).any() else 0.0
    body = figure.add_gridspec(rows, columns, left=0.01, right=split, top=1 - title_in / height_in,
                               bottom=foot_in / height_in, wspace=0.03, hspace=0.12)
    for k, year in enumerate(years):
        ax = figure.add_subplot(body[k // columns, k % columns])
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect("equal")
        ax.set_axis_off()
        _draw_polygons(ax, geoms, facecolors=list(fills[:, k]), edgecolor="#ffffff", linewidth_pt=0.3, zorder=2)
        if lines is not None and gaps is not None and widest > 0 and year in gaps.columns:
            gap = gaps[year].reindex(lines.index).to_numpy(dtype=float)
            drawn = [(part, 0.2 + 3.3 * abs(g) / widest) for geometry, g in zip(lines.geometry, gap, strict=True)
                     if np.isfinite(g) for part in _line_parts(geometry)]
            if drawn:
                ax.add_collection(LineCollection([d for d, _ in drawn], linewidths=[w for _, w in drawn],
                                                 colors="#d95f02", capstyle="butt", zorder=3), autolim=False)
        ax.set_title(str(year), fontsize=10, fontweight="bold")
    handles: list[Any] = [Patch(facecolor=c, edgecolor="#888888", linewidth=0.5) for c in colours]
    labels = list(result.labels(_decimals_of(result.bins)))
    handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#888888", linewidth=0.5))
    labels.append(NO_DATA)
    if widest > 0:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#d95f02", linewidth=3.5))
        labels.append(_plain(f"cross-border gap of {widest:.2f}\n(widths: absolute gap)"))
    legend_ax = figure.add_axes((split + 0.01, foot_in / height_in, 1 - split - 0.02,
                                 1 - (title_in + foot_in) / height_in))
    legend_ax.set_axis_off()
    legend_ax.legend(handles, [_plain(label) for label in labels], loc="upper left", frameon=False, fontsize=7,
                     title=_plain("\n".join(textwrap.wrap(value_label, 30))
                                  + f"\n{scheme.replace('_', ' ')}: the same\nclasses every year"),
                     title_fontsize=7.5)
    if heading:
        figure.text(split / 2, 1 - 0.12 / height_in, "\n".join(heading), ha="center", va="top", fontsize=11,
                    fontweight="bold")
    if attribution:
        _credits(figure, attribution, at=(0.01, 0.01), width=160, fontsize=5.5)
    return _save(figure, target, fmt, dpi=dpi, overwrite=overwrite)


def _decimals_of(bins: np.ndarray) -> int:
    spread = float(np.ptp(bins)) if len(bins) > 1 else 1.0
    return int(min(4, max(0, 2 - math.floor(math.log10(spread))))) if spread > 0 else 2


def gap_chart(
    series: Any,
    path: str | os.PathLike[str],
    *,
    value: str = "mean_gap_length_weighted",
    title: str = "",
    value_label: str = "gap (a - b)",
    attribution: Sequence[str] = (),
    panel_in: tuple[float, float] = (2.0, 1.4),
    dpi: int = 150,
    overwrite: bool = False,
) -> Path:
    """Each border segment's gap over the years: one small line chart per segment, on one y scale.

    Parameters
    ----------
    series
        Rows ``segment``, ``year`` and ``value`` (e.g. :func:`borderland.trend.divide.segment_series`).
    path
        A ``.png``, ``.svg`` or ``.pdf`` file (by suffix).
    value
        The column to draw.
    title, value_label, attribution
        Printed above the panels, on the y axes, below them.
    panel_in, dpi
        Size of a panel in inches; resolution of a PNG.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    target = Path(path)
    fmt = _check_target(target, "chart")
    problems = [f"the series has no column {c!r}" for c in ("segment", "year", value) if c not in series.columns]
    collect(problems, SchemaError, "gap chart")
    drawn = series.dropna(subset=[value])
    segments = sorted(drawn["segment"].unique()) or ["(no gap in any year)"]
    columns = min(len(segments), 6)
    rows = math.ceil(len(segments) / columns)
    width, height = columns * panel_in[0] + 0.8, rows * panel_in[1] + 1.2
    figure = _figure((width, height), dpi)
    # fixed margins and a few fixed ticks: tight_layout over dozens of panels took ten seconds
    grid = figure.add_gridspec(rows, columns, left=0.6 / width, right=0.99, bottom=0.7 / height,
                               top=1 - 0.6 / height, wspace=0.08, hspace=0.45)
    years = sorted(int(y) for y in series["year"].unique())
    numbers = drawn[value].to_numpy(dtype=float)
    low, high = (float(np.min(numbers)), float(np.max(numbers))) if len(numbers) else (-1.0, 1.0)
    low, high = min(low, 0.0), max(high, 0.0)
    pad = 0.08 * (high - low or 1.0)
    ticks = sorted({round(low, 2), 0.0, round(high, 2)})
    for k, name in enumerate(segments):
        ax = figure.add_subplot(grid[k // columns, k % columns])
        mine = drawn[drawn["segment"] == name].sort_values("year")
        ax.axhline(0.0, color="#999999", linewidth=0.6)
        ax.plot(mine["year"].to_numpy(float), mine[value].to_numpy(float), marker="o", markersize=2.5,
                linewidth=1.4, color="#d95f02")
        ax.set_title(_plain(str(name)), fontsize=7.5, pad=2)
        ax.set_xlim((years[0] - 0.5, years[-1] + 0.5) if years else (0, 1))
        ax.set_ylim(low - pad, high + pad)
        ax.set_xticks(years[:: max(1, len(years) - 1)] if years else [])
        ax.set_yticks(ticks)
        bottom, left = k // columns == rows - 1 or k + columns >= len(segments), k % columns == 0
        ax.tick_params(labelsize=6, labelbottom=bottom, labelleft=left, length=2)
        if left:
            ax.set_yticklabels([f"{t:.2f}" for t in ticks])
        ax.grid(axis="y", color="#eeeeee", linewidth=0.5)
    figure.text(0.1 / width, 0.5, _plain(value_label), rotation=90, va="center", fontsize=8)
    if title:
        figure.text(0.5, 1 - 0.12 / height, "\n".join(textwrap.wrap(_plain(title), 120)), ha="center", va="top",
                    fontsize=11, fontweight="bold")
    if attribution:
        _credits(figure, attribution, at=(0.01, 0.005), width=180, fontsize=5)
    return _save(figure, target, fmt, dpi=dpi, overwrite=overwrite)
