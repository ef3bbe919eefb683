r"""The interactive map: a :class:`~borderland.maps.model.MapModel` written as HTML with folium.

:func:`write_html` writes the model as one self-contained page, or (``spec.fragment``) as a
fixed-size ``<div>`` to paste into a report; :func:`html_page` and :func:`html_fragment` return
the text, and :func:`folium_map` the folium map itself (to show in a notebook). Each kind is a
named layer under a layer control; the regions' kinds and the bands are alternatives, the first
shown; a legend (one section per layer, shown while the layer is), the title, the credits and
a scale bar (in metres and kilometres) are included, and the view frames the state border.

Four properties are designed in rather than hoped for:

* **offline** -- Leaflet's JavaScript and CSS (with its images as ``data:`` URIs) are inlined from
  the ``django-js-lib-leaflet`` package; folium's CDN links (jQuery, Bootstrap, awesome-markers)
  are dropped because nothing here uses them, and no tile layer is added;
* **safe** -- every string that comes from data reaches the page either as HTML-escaped text in
  the static markup (title, legend, credits, layer names) or as a JSON string in a ``<script>``
  with ``<``, ``>``, ``&``, quotes, backticks and ``$`` written as ``\uXXXX`` escapes; tooltips
  are built in the browser with ``textContent``, never ``innerHTML``;
* **deterministic** -- folium names every element with a random hex id; the ids are replaced by
  a counter in tree order (with a prefix in fragments), so the same model gives the same bytes;
* **small** -- polygons are simplified as coverages (shared edges stay shared), rounded to the
  precision the zoom range needs and written as shared arcs (:mod:`borderland.maps._topology`):
  each boundary between two regions once, as integer steps written in a compact text, each
  repeated property value once; the page decodes them before Leaflet draws. Above
  :data:`CANVAS_MIN_FEATURES` features Leaflet draws on a canvas rather than in SVG.

Outlines are cut where they cross the antimeridian once converted to EPSG:4326, so that no
segment runs across the map (issue #14).

A trend map (:func:`~borderland.maps.trend.trend_model`, issue #19) gets a **year control**
(``years.js.j2``): a slider with previous and next buttons, the arrow, Page and Home/End keys,
and a play button that steps a year every :data:`PLAY_STEP_MS` and stops at the last year; the
year shown is large above it. It restyles the regions and the gap lines in place (the outlines
are written once) from a few characters per region and year (:func:`_year_data`), updates
the tooltips (an open one too), opens at the latest year with data or at ``#year=2015`` in the
address, and, in a standalone page, writes the year chosen into the address so that it can be
linked to (a fragment leaves its host's address alone). Its names carry the fragment's prefix
like every other, so two trend maps sit on one page, each with its own year.

The JavaScript and CSS live in ``maps/templates/`` (``borderland/templates`` in a wheel). folium
and branca are imported inside the functions (importing folium takes about a second), and
folium's private attributes are touched only in :mod:`borderland.maps._folium`, which says why.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import html
import importlib.resources
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import borderland.maps._folium as _folium
from borderland.errors import InputError
from borderland.io import atomic_path, package_data
from borderland.layers import reproject
from borderland.maps._simplify import simplified
from borderland.maps._topology import DIGITS, column, columns, split_antimeridian, topology, year_columns
from borderland.maps.layers import (
    GAP_DASH,
    GAP_MAX_WIDTH_PX,
    GAP_MIN_WIDTH_PX,
    NO_DATA,
    REGIONS_LAYER,
    TRADE_PREFIX,
    UNSTABLE_DASH,
    UNSTABLE_WIDTH_PX,
    FeatureLayer,
    LegendItem,
    RegionLayer,
    _text,
)
from borderland.maps.model import MapModel
from borderland.maps.palettes import EQUAL_COLOUR, NO_DATA_COLOUR, UNSTABLE_COLOUR
from borderland.maps.spec import MIN_ZOOM
from borderland.maps.timeline import Timeline

if TYPE_CHECKING:
    import folium
    from branca.element import Figure

__all__ = ["folium_map", "html_fragment", "html_page", "write_html"]

#: Leaflet 1.9.4 as shipped by the django-js-lib-leaflet wheel, and the same release on a CDN.
_LEAFLET_PACKAGE: Final = "js_lib_leaflet"
_LEAFLET_CDN: Final = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/"
_COUNTRY_PANE: Final = "borderland-countries"
_LINE_PANE: Final = "borderland-lines"
_REGION_PANE: Final = "overlayPane"

#: The initial view frames the land border with this margin (km), not every far-off island.
VIEW_MARGIN_KM: Final = 250.0

#: Above this many features in the page, Leaflet draws on a ``<canvas>`` (one element per pane)
#: rather than one SVG path per feature: tens of thousands of SVG paths take seconds to lay out.
CANVAS_MIN_FEATURES: Final = 3_000

_REGION_STYLE: Final[Mapping[str, Any]] = {"color": "#ffffff", "weight": 1, "fillOpacity": 0.85}
_REGION_HIGHLIGHT: Final[Mapping[str, Any]] = {"color": "#000000", "weight": 3}
_PLAIN_REGION_STYLE: Final[Mapping[str, Any]] = {"color": "#bdbdbd", "weight": 1, "fillColor": "#f7f7f7",
                                                 "fillOpacity": 1}

#: Options of Leaflet's scale bar (``L.control.scale``): metric only.
_SCALE_OPTIONS: Final[Mapping[str, Any]] = {"imperial": False}

#: The year control's play button shows the next year after this many milliseconds.
PLAY_STEP_MS: Final = 1000

#: Names of the JavaScript variables holding each kind's features (``gap_data_12``).
_DATA_NAMES: Final = {"countries": "CountryData", "bands": "BandData", "border": "BorderData", "gaps": "GapData",
                      "trade": "FlowData"}

_JS_STRING_ESCAPES: Final = str.maketrans({
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
    "`": "\\u0060", "$": "\\u0024", "\u2028": "\\u2028", "\u2029": "\\u2029",
})


def _js(value: Any) -> str:
    r"""JSON for a ``<script>`` element: no character of it can end the element or open markup.

    The escaped characters can only occur inside JSON strings, where ``\uXXXX`` means the same.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(
        _JS_STRING_ESCAPES
    )


# -- geometry ----------------------------------------------------------------------------------


def _display_geometry(geometry: gpd.GeoSeries, tolerance_m: float, *, coverage: bool) -> np.ndarray:
    """Simplify in the projected CRS, convert to EPSG:4326 and cut at the antimeridian.

    Cutting after the conversion (rather than clipping the layer to the map's frame before it)
    keeps every outline whole at every zoom: the map can be zoomed out to the whole world.
    """
    geoms = simplified(geometry, tolerance_m, coverage=coverage)
    if len(geoms) == 0:
        return geoms
    lonlat = reproject(geoms, geometry.crs, 4326)
    return split_antimeridian(lonlat)


def _features(geoms: np.ndarray, properties: Sequence[Mapping[str, Any]], precision: int) -> str:
    """The features as the JSON the page decodes (``helpers.js.j2``): shared arcs, properties by column.

    The arcs and paths hold letters, digits, ``-`` and ``_`` only (:data:`~borderland.maps._topology.DIGITS`),
    nothing that needs escaping, so the bulk of the page skips :func:`_js`'s character translation;
    every text from the data (the properties) goes through it.
    """
    shared = topology(geoms, 10**precision)
    shapes = json.dumps({"scale": shared.scale, "arcs": shared.arcs, "geometries": shared.geometries},
                        separators=(",", ":"))
    return shapes[:-1] + f',"types":{_js(column(shared.types))},"columns":{_js(columns(properties))}}}'


def _region_properties(model: MapModel) -> list[dict[str, Any]]:
    """Tooltip texts and fill colours of each region: what the region layers draw."""
    columns: list[tuple[str, list[Any]]] = [(c, model.tooltips[c].tolist()) for c in model.tooltips.columns]
    unstable: list[tuple[int, list[bool]]] = []
    for layer in model.region_layers:
        columns += [(layer.key, layer.text.tolist()), (f"{layer.key}_fill", layer.fill.tolist())]
        if layer.unstable is not None:
            unstable.append((len(columns), layer.unstable.tolist()))
    outline = {"uncertainty_line": UNSTABLE_COLOUR, "uncertainty_weight": UNSTABLE_WIDTH_PX,
               "uncertainty_dash": UNSTABLE_DASH}
    records = []
    for position in range(len(model.regions)):
        props: dict[str, Any] = {}
        for number, (key, values) in enumerate(columns, start=1):
            props[key] = values[position]
            # an unstable region's dashed outline follows its layer's fill, as the layers are drawn
            if any(after == number and flags[position] for after, flags in unstable):
                props.update(outline)
        records.append(props)
    return records


def _coded(texts: pd.DataFrame) -> dict[str, Any]:
    """Texts per feature and year as each distinct text once (``""`` first) and each one's number, by year."""
    distinct = dict.fromkeys(["", *texts.to_numpy().T.ravel().tolist()])
    number = {text: i for i, text in enumerate(distinct)}
    codes = np.vectorize(number.__getitem__, otypes=[np.int64])(texts.to_numpy()) if texts.size else \
        np.zeros(texts.shape, dtype=np.int64)
    return {"values": list(distinct), "codes": year_columns(codes)}


def _held(steps: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Integers per feature and year where ``present``; elsewhere the year before's (a change of 0 costs nothing)."""
    frame = pd.DataFrame(np.where(present, steps, np.nan))
    return frame.ffill(axis=1).fillna(0).to_numpy(dtype=np.int64)


def _year_data(timeline: Timeline, key: str, *, link: bool) -> str:
    """What the year control reads (``years.js.j2``), as JSON for a ``<script>``.

    ``years`` (every year, ascending) and ``shown`` (the position of the year shown first);
    values and gaps are whole numbers of steps of ``10 ** -decimals``, written as
    :func:`~borderland.maps._topology.year_columns` writes integers: one text per year, each
    year's integers (one per feature) as the changes from the year before. Features are the
    rows of the model's regions and of ``timeline.lines``, in order (a decoded feature's ``id``).

    * ``regions``: ``count`` (features), ``key`` (the layer's property: text in ``key``, colour
      in ``key + "_fill"``), ``colours`` (of each class code: 0 is "no data", c + 1 class c),
      ``classes`` (class codes), ``values`` (the value in steps; any number where there is none),
      ``flags``: ``values`` (each distinct flag, ``""`` first) and ``codes`` (each feature's
      flag, as a position in ``values``);
    * ``gaps`` (``null`` without lines): ``count``, ``leaders`` (``[label, colour]`` of code 1,
      2, ...; code 0: no gap, the line is not drawn that year), ``codes``, ``values`` (``2 |q|``,
      plus 1 for a negative gap, so that one smaller than a step keeps its sign; any number
      where there is none), ``flags`` (as the regions'; a flagged line is dashed with ``dash``),
      and the width in pixels, ``floor(max(minWidth, maxWidth * |q| / largest) * 100 + 0.5) /
      100`` (``minWidth`` when ``largest``, the largest ``|q|`` of any year, is 0); ``label``
      names the gap in the tooltip: pair, ``": "``, label, the signed gap, the leader's label in
      brackets and, when flagged, ``"; "`` and the flag;
    * ``decimals``, ``noData`` (the text of a missing value), ``stepMs`` (the play button's
      pace), ``link`` (the control writes ``#year=...`` into a page's address).
    """
    present = timeline.classes.to_numpy() >= 0
    regions: dict[str, Any] = {
        "count": len(timeline.values), "key": key, "colours": [NO_DATA_COLOUR, *timeline.colours],
        "classes": year_columns(timeline.classes.to_numpy() + 1),
        "values": year_columns(_held(timeline.quantised(timeline.values), present)),
        "flags": _coded(timeline.flags),
    }
    gaps: dict[str, Any] | None = None
    if timeline.lines is not None and timeline.gaps is not None and timeline.gap_flags is not None:
        sides = {"": 1, **{country: i + 2 for i, country in enumerate(timeline.leaders)}}
        labels = [["equal", EQUAL_COLOUR], *[[f"{country} side leads", colour]
                                             for country, colour in timeline.leaders.items()]]
        codes = np.array([[0 if side is None else sides[side] for side in timeline.leading(year)]
                          for year in timeline.years], dtype=np.int64).T.reshape(timeline.gaps.shape)
        quanta = timeline.quantised(timeline.gaps)
        signed = 2 * np.abs(quanta) + (timeline.gaps.to_numpy() < 0)
        gaps = {"count": len(timeline.lines), "leaders": labels, "codes": year_columns(codes),
                "values": year_columns(_held(signed, codes > 0)), "flags": _coded(timeline.gap_flags),
                "largest": timeline.largest_gap(), "minWidth": GAP_MIN_WIDTH_PX, "maxWidth": GAP_MAX_WIDTH_PX,
                "dash": GAP_DASH, "label": timeline.gap_label}
    return _js({"years": list(timeline.years), "shown": timeline.years.index(timeline.shown),
                "decimals": timeline.decimals, "noData": NO_DATA, "stepMs": PLAY_STEP_MS, "link": link,
                "regions": regions, "gaps": gaps})


def _gap_properties(timeline: Timeline) -> list[dict[str, Any]]:
    """Every pair line of a trend map with its tooltip and style in the year shown; hidden without a gap."""
    lines = timeline.lines
    if lines is None:
        return []
    styles, texts = timeline.gap_styles(timeline.shown), timeline.gap_texts(timeline.shown)
    return [{"pair": f"{_text(a)} – {_text(b)}", **({"tooltip": text, **style} if style is not None and text else
                                                    {"hidden": True})}
            for a, b, style, text in zip(lines["name_a"], lines["name_b"], styles, texts, strict=True)]


# -- legend ------------------------------------------------------------------------------------


def _legend_item_html(item: LegendItem) -> str:
    label = html.escape(item.label)
    if item.shape == "note":
        return f'<div class="note">{label}</div>'
    if item.shape == "line":
        # (comparability) a dashed line, LegendItem.dash, drawn as a repeating gradient of its dash and gap
        dash = [float(v) for v in item.dash.split()] if item.dash else []
        fill = (f"repeating-linear-gradient(90deg,{item.colour} 0 {dash[0]:g}px,transparent {dash[0]:g}px "
                f"{dash[0] + dash[1]:g}px)" if len(dash) >= 2 else item.colour)
        return (f'<div><span class="line" style="height:{item.width_px:.1f}px;background:{fill}"></span>'
                f"{label}</div>")
    outline = " outline" if item.shape == "outline" else ""
    return f'<div><span class="swatch{outline}" style="background:{item.colour}"></span>{label}</div>'


def _legend_html(name: str, items: Sequence[LegendItem]) -> str:
    return f"<h4>{html.escape(name)}</h4>" + "".join(_legend_item_html(item) for item in items)


# -- assets ------------------------------------------------------------------------------------


@functools.cache
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, the CSS with its images inlined as ``data:`` URIs."""
    try:
        folder = importlib.resources.files(_LEAFLET_PACKAGE) / "static" / _LEAFLET_PACKAGE
        script = (folder / "leaflet.js").read_text(encoding="utf-8")
        css = (folder / "leaflet.css").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise InputError(
            "the offline map inlines Leaflet from the package django-js-lib-leaflet, which is missing "
            f"({exc}); run pip install 'django-js-lib-leaflet==1.9.4.1' or pass offline=False"
        ) from exc

    def inline(match: re.Match[str]) -> str:
        data = (folder / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"""url\(['"]?images/([\w.-]+\.png)['"]?\)""", inline, css)
    # the source map is not shipped inside the page; a dangling reference only makes devtools ask for it
    script = re.sub(r"//# sourceMappingURL=\S+\s*$", "", script)
    if re.search(r"</script|<!--", script, re.IGNORECASE) or re.search(r"</style", css, re.IGNORECASE):
        raise InputError("Leaflet from django-js-lib-leaflet cannot be inlined safely; install 1.9.4.1")
    return script, css


@functools.cache
def _template_file(name: str) -> str:
    """A file of ``maps/templates`` (``borderland/templates`` in a wheel)."""
    path = package_data("templates") / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"map template {str(path)!r} is missing; reinstall borderland") from None


# -- the drawing: what the page shows, computed once whatever the element ids ------------------


@dataclasses.dataclass(frozen=True)
class _Drawing:
    """The encoded features of every layer and the view: the costly part of a page, computed once."""

    countries: str | None
    regions: str
    layers: dict[int, str]  # id() of a feature layer -> its features
    centre: tuple[float, float]
    view: tuple[float, float, float, float]  # west, south, east, north
    features: int  # in every layer's data, the regions once
    trend_gaps: str | None = None  # a trend map's pair lines, every one (the year shown hides some)


def _feature_data(layer: FeatureLayer, tolerance_m: float, precision: int) -> str:
    geoms = _display_geometry(layer.geometry, tolerance_m, coverage=layer.coverage)
    properties = [{**props, **style} for props, style in zip(layer.properties, layer.feature_styles, strict=True)]
    return _features(geoms, properties, precision)


def _drawing(model: MapModel) -> _Drawing:
    spec = model.spec
    digits, tolerance = spec.digits, spec.simplify_tolerance_m
    region_geoms = _display_geometry(model.regions.geometry, tolerance, coverage=True)
    west, south, east, north = (float(v) for v in shapely.total_bounds(region_geoms))
    centre = ((south + north) / 2, (west + east) / 2)
    border = next((layer.geometry for layer in model.layers("border") if isinstance(layer, FeatureLayer)), None)
    if border is not None and len(border) and not border.is_empty.all():
        # frame the border (with a margin) rather than every region: Arctic islands would shrink the divide
        margin = VIEW_MARGIN_KM * 1000
        bx0, by0, bx1, by1 = border.total_bounds
        frame = shapely.box(bx0 - margin, by0 - margin, bx1 + margin, by1 + margin)
        if not frame.contains(shapely.box(*model.regions.total_bounds)):
            # the regions clipped to the frame (GeoSeries.clip's result): only those its outline crosses are cut
            geoms = model.regions.geometry.to_numpy()
            shapely.prepare(frame)
            inside = shapely.contains_properly(frame, geoms)
            crossed = ~inside & shapely.intersects(frame, geoms)
            clipped = np.concatenate([geoms[inside], shapely.intersection(geoms[crossed], frame)])
            clipped = clipped[~shapely.is_empty(clipped)]
            view = reproject(clipped, model.regions.crs, 4326)
            west, south, east, north = (float(v) for v in shapely.total_bounds(view))
    features = [layer for layer in (*model.base, *model.overlays) if isinstance(layer, FeatureLayer)]
    counted = [*features, *([model.countries] if model.countries is not None else [])]
    lines = model.timeline.lines if model.timeline is not None else None
    trend_gaps = None
    if model.timeline is not None and lines is not None:
        # every pair that has a gap in some year, drawn or hidden as the year control says
        features = [layer for layer in features if layer.kind != "gaps"]
        counted = [layer for layer in counted if layer.kind != "gaps"]
        trend_gaps = _features(_display_geometry(lines.geometry, tolerance, coverage=False),
                               _gap_properties(model.timeline), digits)
    return _Drawing(
        countries=_feature_data(model.countries, tolerance, digits) if model.countries is not None else None,
        regions=_features(region_geoms, _region_properties(model), digits),
        layers={id(layer): _feature_data(layer, tolerance, digits) for layer in features},
        centre=centre, view=(west, south, east, north),
        features=len(model.regions) + sum(len(layer.geometry) for layer in counted)
        + (len(lines) if lines is not None else 0),
        trend_gaps=trend_gaps,
    )


# -- folium plumbing ---------------------------------------------------------------------------


def _style_keys(styles: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {key: key for key in sorted({key for style in styles for key in style})}


class _Page:
    """The folium tree of one map, built from the model and its drawing."""

    def __init__(self, model: MapModel, drawing: _Drawing, prefix: str) -> None:
        import folium
        from folium.map import CustomPane, FitBounds

        spec = model.spec
        # a quarter-step zoom lets fitBounds fill the window; offline there are no tiles to keep aligned
        m = folium.Map(location=list(drawing.centre), zoom_start=7, tiles=None, zoom_snap=0.25,
                       prefer_canvas=drawing.features > CANVAS_MIN_FEATURES)
        # folium's min_zoom / max_zoom only reach a tile layer; these are the map's own
        m.options.update(minZoom=MIN_ZOOM, maxZoom=spec.max_zoom)
        figure = cast("Figure", m.get_root())
        figure.title = html.escape(spec.title)
        # shown layers are added by elements of their own, not by folium (see _folium, point 3)
        shown: list[Any] = []
        if spec.offline:
            # instance attributes: folium's class-level lists (jQuery, Bootstrap, ...) stay untouched
            m.default_js, m.default_css = [], []
            script, css = _leaflet_assets()
            figure.header.add_child(_folium.text(f"<style>{css}</style>"), name="leaflet_css")
            figure.header.add_child(_folium.text(f"<script>{script}</script>"), name="leaflet")
        else:
            m.default_js = [("leaflet", _LEAFLET_CDN + "leaflet.js")]
            m.default_css = [("leaflet_css", _LEAFLET_CDN + "leaflet.css")]
            tiles = folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=True, control=True,
                                     max_zoom=spec.max_zoom, show=False)
            tiles.add_to(m)
            shown.append(tiles)
        # panes keep the outline under and the lines over whichever region layer is switched on
        CustomPane(_COUNTRY_PANE, z_index=350, pointer_events=False).add_to(m)
        CustomPane(_LINE_PANE, z_index=450, pointer_events=True).add_to(m)
        self.map = m
        self.figure = figure
        self.shown = shown
        # the scale bar in metres only (folium's control_scale adds Leaflet's default, with a line in miles
        # and feet); Leaflet writes its units "m" and "km" in every language and has no option to change them
        self._element("ScaleControl", "scale.js.j2", map=m, options_json=_js(_SCALE_OPTIONS))
        self.helpers = self._element("Helpers", "helpers.js.j2", digits_json=_js(DIGITS))
        sections: list[tuple[Any, str]] = []
        trend_regions: list[Any] = []  # what the year control restyles
        trend_gaps: list[Any] = []
        gap_data = None

        if model.countries is not None and drawing.countries is not None:
            self._feature_layer(model.countries, drawing.countries, show=True, pane=_COUNTRY_PANE)
        region_data = None
        for position, layer in enumerate(model.base):
            if isinstance(layer, RegionLayer):
                if region_data is None:
                    region_data = self._element("RegionData", "data.js.j2", helpers=self.helpers,
                                                data_json=drawing.regions)
                style_keys = {"fillColor": f"{layer.key}_fill"}
                if layer.unstable is not None:
                    style_keys.update(color="uncertainty_line", weight="uncertainty_weight",
                                      dashArray="uncertainty_dash")
                # base layers: the layer control offers them as alternatives (radio buttons)
                drawn = self._layer(region_data, name=layer.name, base=True, show=position == 0, pane=_REGION_PANE,
                                    style=_REGION_STYLE, style_keys=style_keys, fields=model.fields,
                                    highlight=_REGION_HIGHLIGHT,
                                    front_key="uncertainty_dash" if layer.unstable is not None else None)
                trend_regions.append(drawn)
            else:
                drawn = self._feature_layer(layer, drawing.layers[id(layer)], show=position == 0, pane=_REGION_PANE)
            sections.append((drawn, _legend_html(layer.name, layer.legend)))
        if not model.base:  # lines alone (gaps, trade): the regions, plain, say where they run
            region_data = self._element("RegionData", "data.js.j2", helpers=self.helpers, data_json=drawing.regions)
            self._layer(region_data, name=REGIONS_LAYER, base=False, show=True, pane=_REGION_PANE,
                        style=_PLAIN_REGION_STYLE, style_keys={}, fields=model.fields, highlight=_REGION_HIGHLIGHT)
        # drawn in order: the gaps over the state border, which runs along every cross-border gap line
        for layer in model.overlays:
            if layer.kind == "gaps" and drawing.trend_gaps is not None:
                # a trend map's lines: every pair, restyled (and hidden) by the year control
                gap_data = self._element(_DATA_NAMES["gaps"], "data.js.j2", helpers=self.helpers,
                                         data_json=drawing.trend_gaps)
                drawn = self._layer(gap_data, name=layer.name, base=False, show=True, pane=_LINE_PANE,
                                    style=layer.style, style_keys=_style_keys([{"color": "", "weight": 0,
                                                                                "dashArray": ""}]),
                                    fields=layer.fields, highlight={"opacity": 1}, filter_key="hidden")
                trend_gaps.append(drawn)
                sections.append((drawn, _legend_html(layer.name, layer.legend)))
                continue
            # trade layers start hidden when every kind is drawn at once; asked for by name, they show
            hidden = spec.kinds is None and layer.name.startswith(TRADE_PREFIX)
            drawn = self._feature_layer(layer, drawing.layers[id(layer)], show=not hidden, pane=_LINE_PANE)
            sections.append((drawn, _legend_html(layer.name, layer.legend)))

        for layer in self.shown:
            self._element("AddLayer", "add_layer.js.j2", layer=layer, map=m)
        timeline = model.timeline
        if timeline is not None and region_data is not None and model.region_layers:
            # a standalone page names the year shown in its address; a fragment leaves the host's address alone
            years = timeline.years
            self._element("YearControl", "years.js.j2", map=m, helpers=self.helpers, region_data=region_data,
                          region_layers=trend_regions, gap_data=gap_data, gap_layers=trend_gaps,
                          data_json=_year_data(timeline, model.region_layers[0].key, link=not prefix),
                          year_text=str(timeline.shown), shown=years.index(timeline.shown), last=len(years) - 1,
                          span_text=f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0]))
        self._element("Decoration", "decoration.html.j2", css=_template_file("borderland.css"),
                      title_html=html.escape(spec.title), sections=sections, map=m,
                      credits_json=[_js(html.escape(credit)) for credit in spec.attribution])
        # a long list of layers would cover the map: it folds into the control's icon, opening on hover
        _folium.layer_control(collapsed=len(model.base) + len(model.overlays) > 6).add_to(m)
        west, south, east, north = drawing.view
        m.add_child(FitBounds([[south, west], [north, east]], padding=(10, 10)))
        _folium.number_elements(figure, prefix)

    def _element(self, name: str, template: str, **attributes: Any) -> Any:
        element = _folium.template_element(name, _template_file(template), **attributes)
        self.map.add_child(element)
        return element

    def _layer(self, data: Any, *, name: str, base: bool, show: bool, pane: str, style: Mapping[str, Any],
               style_keys: Mapping[str, str], fields: Sequence[tuple[str, str]] = (),
               highlight: Mapping[str, Any] | None = None, interactive: bool = True,
               front_key: str | None = None, filter_key: str | None = None) -> Any:
        """A Leaflet GeoJSON layer drawn from ``data``, listed in the layer control as ``name``."""
        attributes = {  # read by geojson_layer.js.j2
            "data": data,
            "helpers": self.helpers,
            "pane_json": _js(pane),
            "interactive_json": _js(interactive),
            "style_json": _js(dict(style)),
            "style_keys_json": _js(dict(style_keys)),
            "fields_json": _js([list(f) for f in fields]) if fields else "",
            "highlight_json": _js(dict(highlight)) if highlight else "",
            "front_key_json": _js(front_key) if front_key else "",
            "filter_key_json": _js(filter_key) if filter_key else "",
        }
        # Leaflet's layer control writes names with innerHTML: escape them (folium's tojson adds the JS escaping);
        # shown layers are added by an element of their own, not by folium (see _folium)
        layer = _folium.template_layer("GeoJsonLayer", _template_file("geojson_layer.js.j2"),
                                       layer_name=html.escape(name), overlay=not base, show=False, **attributes)
        self.map.add_child(layer)
        if show:
            self.shown.append(layer)
        return layer

    def _feature_layer(self, layer: FeatureLayer, data_json: str, *, show: bool, pane: str) -> Any:
        data = self._element(_DATA_NAMES[layer.kind], "data.js.j2", helpers=self.helpers, data_json=data_json)
        lines = layer.kind in ("gaps", "trade")
        return self._layer(data, name=layer.name, base=layer.base, show=show, pane=pane, style=layer.style,
                           style_keys=_style_keys(layer.feature_styles), fields=layer.fields,
                           highlight={"opacity": 1} if lines else _REGION_HIGHLIGHT if layer.base else None,
                           interactive=bool(layer.fields))


# -- public API --------------------------------------------------------------------------------


def folium_map(model: MapModel) -> folium.Map:
    """The model as a folium map, e.g. to show in a notebook; rendering it gives :func:`html_page`.

    Parameters
    ----------
    model
        From :func:`~borderland.maps.model.map_model`; every option comes from its spec.

    Returns
    -------
    folium.Map
        The map. Rendering it again gives the same text.
    """
    return _Page(model, _drawing(model), "").map


def html_page(model: MapModel) -> str:
    """The model as one standalone HTML document (offline unless ``spec.offline`` is false).

    The page fills its window, so it also serves as the ``src`` of a fixed-size ``<iframe>``.
    The same model gives the same text, byte for byte.

    Parameters
    ----------
    model
        From :func:`~borderland.maps.model.map_model`.

    Returns
    -------
    str
        The HTML document.
    """
    return _folium.render_parts(_Page(model, _drawing(model), "").figure).page


def html_fragment(model: MapModel) -> str:
    """The model as one ``<div>`` of fixed size (``spec.size_px``), with its styles and scripts inside.

    There is no ``<html>``, ``<head>`` or ``<body>`` and no style that reaches outside the
    ``<div>``. Every element id and JavaScript name carries ``spec.id_prefix`` (by default
    ``"m"`` and the start of the SHA-256 of the full page, so the same map gets the same prefix
    and different maps different ones), so several maps can sit on one page. Leaflet is inlined
    (offline maps, ``spec.include_leaflet``) but only runs when the page has no ``L`` yet, so a
    page of several fragments runs it once.

    Parameters
    ----------
    model
        From :func:`~borderland.maps.model.map_model`.

    Returns
    -------
    str
        The fragment.
    """
    spec = model.spec
    drawing = _drawing(model)
    prefix = spec.id_prefix
    if prefix is None:
        page = _folium.render_parts(_Page(model, drawing, "").figure).page
        prefix = "m" + hashlib.sha256(page.encode("utf-8")).hexdigest()[:10]
    parts = _folium.render_parts(_Page(model, drawing, prefix + "_").figure)
    width, height = spec.size_px
    out = [f'<div class="borderland-map" id="{prefix}" style="width:{width}px;height:{height}px">',
           # the page's viewport says nothing about the fragment's height: keep the legend inside it
           f"<style>#{prefix} .borderland-legend {{ max-height: {max(height - 120, 80)}px; }}</style>"]
    if spec.include_leaflet:
        if spec.offline:
            leaflet_js, leaflet_css = _leaflet_assets()
            out.append(f"<style>{leaflet_css}</style>")
            # a second fragment on the page finds L and skips this
            out.append(f'<script>if (typeof L === "undefined") {{\n{leaflet_js}\n}}</script>')
        else:  # online: the CDN links
            out += [parts.header[name].render() for name in ("leaflet_css", "leaflet") if name in parts.header]
    # every other header element (the viewport meta, page-wide html/body styles) is the page's business
    out += [element.render() for name, element in parts.header.items() if name.startswith("decoration_")]
    out += [parts.body, f"<script>{parts.script}</script>", "</div>"]
    return "\n".join(out) + "\n"


def write_html(model: MapModel, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the model as a standalone HTML page, or (``spec.fragment``) a fragment, atomically.

    Parameters
    ----------
    model
        From :func:`~borderland.maps.model.map_model`.
    path
        The HTML file to write.
    overwrite
        Replace an existing file; when false an existing file is an error and is left intact.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        The file exists and ``overwrite`` is false, or the folder is not writable.
    """
    text = html_fragment(model) if model.spec.fragment else html_page(model)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return Path(path)
