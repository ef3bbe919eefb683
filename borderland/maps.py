r"""Interactive, offline HTML maps of a cross-border digital divide.

:func:`divide_map` builds a folium map from the frames the pipeline assembles (regions, the state
border and the pair table), :func:`map_html` renders it to one self-contained, byte-for-byte
reproducible HTML string and :func:`write_map` writes that string atomically.

Three properties are designed in rather than hoped for:

* **offline** -- Leaflet's JavaScript and CSS (with its images as ``data:`` URIs) are inlined from
  the ``django-js-lib-leaflet`` package; folium's CDN links (jQuery, Bootstrap, awesome-markers)
  are dropped because nothing here uses them, and no tile layer is added;
* **safe** -- every string that comes from data reaches the page either as HTML-escaped text in
  the static markup (title, legend, credits) or as a JSON string in a ``<script>`` with ``<``,
  ``>``, ``&``, quotes, backticks and ``$`` written as ``\uXXXX`` escapes; tooltips are built in
  the browser with ``textContent``, never ``innerHTML``;
* **deterministic** -- folium names every element with a random hex id; the ids are replaced by
  a counter in tree order, so the same inputs always give the same bytes.

folium, branca and mapclassify are imported inside the functions: importing folium takes about a
second and the rest of borderland must import fast.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import functools
import html
import importlib.resources
import itertools
import json
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderland.errors import CRSError, InputError, SchemaError, collect
from borderland.io import atomic_path

if TYPE_CHECKING:
    import folium
    from branca.element import Element, Figure

__all__ = ["divide_map", "map_html", "write_map"]

#: Columns each input frame must have (besides its geometry).
REGION_COLUMNS: Final = ("name", "country", "index", "typology", "border_distance_km", "border_order")
BORDER_COLUMNS: Final = ("country_a", "country_b", "length_km")
PAIR_COLUMNS: Final = (
    "region_a", "region_b", "name_a", "name_b", "country_a", "country_b",
    "cross_border", "shared_border_km", "gap", "abs_gap",
)
COUNTRY_COLUMNS: Final = ("country",)

#: Names of the layers, as listed in the layer control.
INDEX_LAYER: Final = "Digitalisation index"
TYPOLOGY_LAYER: Final = "Typology"
BORDER_LAYER: Final = "State border"
GAP_LAYER: Final = "Cross-border gaps"
COUNTRY_LAYER: Final = "Countries"

NO_DATA: Final = "no data"
NO_DATA_COLOUR: Final = "#d9d9d9"

#: Typology classes, best first, and their colours.
TYPOLOGY_COLOURS: Final[Mapping[str, str]] = {
    "leader": "#1b7837",
    "moderate": "#a6dba0",
    "lagging": "#762a83",
}

#: ColorBrewer YlGnBu, by number of classes; the palette for the index classes.
INDEX_PALETTES: Final[Mapping[int, tuple[str, ...]]] = {
    1: ("#41b6c4",),
    2: ("#edf8b1", "#2c7fb8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
}

#: Colours of the leading side of a cross-border gap (ColorBrewer Dark2 without its green,
#: which would read as part of the index palette), assigned to countries in code order.
LEADER_COLOURS: Final = ("#d95f02", "#7570b3", "#e7298a", "#e6ab02", "#a6761d", "#666666")
EQUAL_COLOUR: Final = "#444444"

#: Width in pixels of the line of the largest cross-border gap; other gaps are proportional.
GAP_MAX_WIDTH_PX: Final = 12.0
GAP_MIN_WIDTH_PX: Final = 1.0
BORDER_COLOUR: Final = "#1a1a1a"
BORDER_WIDTH_PX: Final = 3.5

#: Leaflet 1.9.4 as shipped by the django-js-lib-leaflet wheel, and the same release on a CDN.
_LEAFLET_PACKAGE: Final = "js_lib_leaflet"
_LEAFLET_CDN: Final = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/"
_COUNTRY_PANE: Final = "borderland-countries"
_LINE_PANE: Final = "borderland-lines"

#: Region tooltip: (label, property) in display order.
_REGION_FIELDS: Final = (
    ("Region", "name"),
    ("Code", "region_id"),
    ("Country", "country"),
    ("Index", "index"),
    ("Typology", "typology"),
    ("Distance to border", "border_distance_km"),
    ("Border order", "border_order"),
)

_CSS: Final = """
.leaflet-container.folium-map { background: #ffffff; }  /* no tiles: "no data" grey must stand out */
.leaflet-container .leaflet-control-attribution { max-width: 55%; font-size: 11px; }  /* keep the scale clear */
.borderland-title {
    position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
    max-width: 50%; padding: 4px 12px; background: rgba(255, 255, 255, 0.9); border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font: bold 16px/1.3 sans-serif; text-align: center;
    pointer-events: none;
}
.borderland-legend {
    background: rgba(255, 255, 255, 0.92); padding: 6px 10px; border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font: 12px/1.4 sans-serif; max-height: 60vh;
    overflow-y: auto;
}
.borderland-legend h4 { margin: 6px 0 2px; font-size: 12px; }
.borderland-legend .swatch {
    display: inline-block; width: 14px; height: 12px; margin-right: 6px;
    vertical-align: middle; border: 1px solid #888;
}
.borderland-legend .line {
    display: inline-block; width: 28px; margin-right: 6px; vertical-align: middle;
}
.borderland-legend .note { color: #555; }
.borderland-tooltip th { text-align: left; padding-right: 8px; }
"""

_HELPER_JS: Final = """
{% macro script(this, kwargs) %}
    function {{ this.get_name() }}(properties, fields) {
        // textContent, never innerHTML: names come from data
        var table = document.createElement("table");
        fields.forEach(function (field) {
            var row = table.insertRow();
            if (field[0]) {
                var header = document.createElement("th");
                header.textContent = field[0];
                row.appendChild(header);
            }
            row.insertCell().textContent = properties[field[1]];
        });
        return table;
    }
{% endmacro %}
"""

_DATA_JS: Final = """
{% macro script(this, kwargs) %}
    var {{ this.get_name() }} = {{ this.data_json }};
{% endmacro %}
"""

_LAYER_JS: Final = """
{% macro script(this, kwargs) %}
    var {{ this.get_name() }} = L.geoJson({{ this.data.get_name() }}, {
        pane: {{ this.pane_json }},
        interactive: {{ this.interactive_json }},
        style: function (feature) {
            var style = Object.assign({}, {{ this.style_json }});
            var fromProperties = {{ this.style_keys_json }};
            for (var option in fromProperties) {
                style[option] = feature.properties[fromProperties[option]];
            }
            return style;
        },
        onEachFeature: function (feature, layer) {
        {%- if this.fields_json %}
            layer.bindTooltip(function () {
                return {{ this.helper.get_name() }}(feature.properties, {{ this.fields_json }});
            }, {sticky: true, className: "borderland-tooltip"});
        {%- endif %}
        {%- if this.highlight_json %}
            layer.on({
                mouseover: function (e) {
                    e.target.setStyle({{ this.highlight_json }});
                    e.target.bringToFront();
                },
                mouseout: function (e) { {{ this.get_name() }}.resetStyle(e.target); }
            });
        {%- endif %}
        }
    });
{% endmacro %}
"""

_ADD_JS: Final = """
{% macro script(this, kwargs) %}
    {{ this.layer.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
"""

_DECORATION_JS: Final = """
{% macro header(this, kwargs) %}
    <style>{{ this.css }}</style>
{% endmacro %}

{% macro html(this, kwargs) %}
    <div class="borderland-title" id="{{ this.get_name() }}-title">{{ this.title_html }}</div>
    <div class="borderland-legend leaflet-control" id="{{ this.get_name() }}-legend">
        {{- this.legend_html -}}
    </div>
{% endmacro %}

{% macro script(this, kwargs) %}
    var {{ this.get_name() }} = L.control({position: "bottomleft"});
    {{ this.get_name() }}.onAdd = function () {
        var legend = document.getElementById("{{ this.get_name() }}-legend");
        L.DomEvent.disableClickPropagation(legend);
        L.DomEvent.disableScrollPropagation(legend);
        return legend;
    };
    {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
    {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
    {%- for credit_json in this.credits_json %}
    {{ this._parent.get_name() }}.attributionControl.addAttribution({{ credit_json }});
    {%- endfor %}
{% endmacro %}
"""

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


def _text(value: Any) -> str:
    """Return a data value as display text, a missing value as the empty string."""
    return "" if _missing(value) else str(value)


def _number(value: Any, template: str) -> str:
    """Format a number for display, or say "no data"."""
    return NO_DATA if _missing(value) else template.format(float(value))


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


# -- input checks ------------------------------------------------------------------------------


def _check_inputs(frames: Mapping[str, gpd.GeoDataFrame | None], precision: int, tolerance_m: float) -> None:
    """Report every problem with the map inputs at once."""
    required = {"regions": REGION_COLUMNS, "border_lines": BORDER_COLUMNS, "pairs": PAIR_COLUMNS,
                "countries": COUNTRY_COLUMNS}
    schema: list[str] = []
    crs: list[str] = []
    reference = frames["regions"].crs if isinstance(frames["regions"], gpd.GeoDataFrame) else None
    for label, frame in frames.items():
        if frame is None:
            continue
        if not isinstance(frame, gpd.GeoDataFrame):
            schema.append(f"{label} is a {type(frame).__name__}; expected a GeoDataFrame")
            continue
        missing = [c for c in required[label] if c not in frame.columns]
        if missing:
            schema.append(f"{label} lacks column(s) {missing}; expected {list(required[label])}")
        if frame.empty and label != "regions":
            continue  # nothing to draw, nothing to convert
        if frame.crs is None:
            crs.append(f"{label} has no CRS; set the projected CRS of the study (e.g. EPSG:3035)")
        elif not frame.crs.is_projected:
            crs.append(
                f"{label} is in {frame.crs.to_string()}, a geographic CRS; the map takes projected layers "
                "(metres, e.g. EPSG:3035) and converts them to EPSG:4326 itself"
            )
        elif reference is not None and frame.crs != reference:
            crs.append(f"{label} is in {frame.crs.to_string()} but regions in {reference.to_string()}; "
                       "reproject every layer once, at the start")
    regions = frames["regions"]
    if isinstance(regions, gpd.GeoDataFrame):
        if regions.empty:
            schema.append("regions is empty; the map needs at least one region")
        if "typology" in regions.columns:
            unknown = sorted({str(v) for v in regions["typology"] if not _missing(v)} - set(TYPOLOGY_COLOURS))
            if unknown:
                schema.append(f"regions.typology holds {unknown}; expected one of {list(TYPOLOGY_COLOURS)} "
                              "or a missing value")
        empty = regions.geometry.isna() | regions.geometry.is_empty
        if empty.any():
            schema.append(f"regions {list(regions.index[empty][:5])} have no geometry")
    if not isinstance(precision, int) or not 0 <= precision <= 15:
        schema.append(f"precision is {precision!r}; expected an integer number of decimals from 0 to 15")
    if not tolerance_m >= 0:
        schema.append(f"simplify_tolerance_m is {tolerance_m!r}; expected a distance in metres >= 0")
    collect(crs, CRSError, "map layers")
    collect(schema, SchemaError, "map inputs")


# -- classification ----------------------------------------------------------------------------


def _quantiles(values: np.ndarray, k: int) -> Any:
    import mapclassify

    return mapclassify.Quantiles(values, k=k)


def _natural_breaks(values: np.ndarray, k: int) -> Any:
    import mapclassify

    # Fisher-Jenks is the exact, deterministic optimum; mapclassify.NaturalBreaks samples at random
    return mapclassify.FisherJenks(values, k=k)


#: Classification schemes for the index layer.
SCHEMES: Final[Mapping[str, Callable[[np.ndarray, int], Any]]] = {
    "quantiles": _quantiles,
    "natural_breaks": _natural_breaks,
}


def _classify(index: pd.Series, scheme: str, k: int) -> tuple[pd.Series, list[tuple[str, str, int]]]:
    """Class number of each region (NA without data), and the legend rows (colour, label, count)."""
    try:
        classifier = SCHEMES[scheme]
    except KeyError:
        raise SchemaError(
            f"unknown classification scheme {scheme!r}; choose one of {sorted(SCHEMES)}"
        ) from None
    if not isinstance(k, int) or not 1 <= k <= max(INDEX_PALETTES):
        raise SchemaError(f"k is {k!r}; expected a whole number of classes from 1 to {max(INDEX_PALETTES)}")
    values = pd.to_numeric(index, errors="coerce").astype(float)
    valid = values.notna()
    classes = pd.Series(pd.NA, index=index.index, dtype="Int64")
    if not valid.any():
        return classes, []
    data = values[valid].to_numpy()
    k = min(k, len(np.unique(data)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not enough unique values": k is capped above
        result = classifier(data, k)
    bins = np.asarray(result.bins, dtype=float)
    classes[valid] = np.asarray(result.yb, dtype=int)
    palette = INDEX_PALETTES[len(bins)]
    lows = [float(data.min()), *bins[:-1]]
    counts = classes.value_counts()
    rows = [
        (palette[i], f"{low:.3f} – {high:.3f}", int(counts.get(i, 0)))
        for i, (low, high) in enumerate(zip(lows, bins, strict=True))
    ]
    return classes, rows


# -- geometry ----------------------------------------------------------------------------------


def _display_geometry(
    geometry: gpd.GeoSeries, tolerance_m: float, precision: int, *, coverage: bool
) -> np.ndarray:
    """Simplify in the projected CRS, convert to EPSG:4326 and round to ``precision`` decimals."""
    geoms = geometry.to_numpy()
    if len(geoms) == 0:
        return geoms
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if tolerance_m > 0 and present.any():
        simplified = geoms.copy()
        if coverage:
            # coverage simplification moves a shared edge the same way on both sides: no slivers
            simplified[present] = shapely.coverage_simplify(geoms[present], tolerance_m)
        else:
            simplified[present] = shapely.simplify(geoms[present], tolerance_m, preserve_topology=True)
        geoms = simplified
    lonlat = gpd.GeoSeries(geoms, crs=geometry.crs).to_crs(4326).to_numpy()
    return shapely.transform(lonlat, lambda xy: np.round(xy, precision))


def _features(geoms: np.ndarray, properties: Sequence[dict[str, Any]]) -> dict[str, Any]:
    features = [
        {"type": "Feature", "id": i, "properties": props, "geometry": shapely.geometry.mapping(geom)}
        for i, (geom, props) in enumerate(zip(geoms, properties, strict=True))
        if geom is not None and not geom.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


# -- legend ------------------------------------------------------------------------------------


def _swatch(colour: str, label: str) -> str:
    return f'<div><span class="swatch" style="background:{colour}"></span>{html.escape(label)}</div>'


def _line(colour: str, width_px: float, label: str) -> str:
    return (f'<div><span class="line" style="height:{width_px:.1f}px;background:{colour}"></span>'
            f"{html.escape(label)}</div>")


def _legend_html(
    index_rows: Sequence[tuple[str, str, int]], scheme: str, n_missing: int, gaps: _Gaps
) -> str:
    parts = [f"<h4>{html.escape(INDEX_LAYER)}</h4>"]
    parts += [_swatch(colour, f"{label} ({count})") for colour, label, count in index_rows]
    parts.append(_swatch(NO_DATA_COLOUR, f"{NO_DATA} ({n_missing})"))
    parts.append(f'<div class="note">{html.escape(scheme.replace("_", " "))}, '
                 f"{len(index_rows)} classes</div>")
    parts.append(f"<h4>{html.escape(TYPOLOGY_LAYER)}</h4>")
    parts += [_swatch(colour, name) for name, colour in TYPOLOGY_COLOURS.items()]
    parts.append(_swatch(NO_DATA_COLOUR, NO_DATA))
    parts.append(f"<h4>{html.escape(BORDER_LAYER)}</h4>")
    parts.append(_line(BORDER_COLOUR, BORDER_WIDTH_PX, "land border between states"))
    parts.append(f"<h4>{html.escape(GAP_LAYER)}</h4>")
    if gaps.scale > 0:
        parts.append('<div class="note">line width ∝ |index difference|</div>')
        parts += [_line(EQUAL_COLOUR, _gap_width(gaps.scale * share, gaps.scale), f"{gaps.scale * share:.3f}")
                  for share in (1.0, 0.5, 0.25)]
        parts += [_swatch(colour, f"{country} side leads") for country, colour in gaps.leaders.items()]
        if gaps.has_equal:
            parts.append(_swatch(EQUAL_COLOUR, "equal"))
    else:
        parts.append('<div class="note">no cross-border pair with data on both sides</div>')
    return "".join(parts)


def _gap_width(abs_gap: float, scale: float) -> float:
    return max(GAP_MIN_WIDTH_PX, GAP_MAX_WIDTH_PX * abs_gap / scale) if scale > 0 else GAP_MIN_WIDTH_PX


# -- folium plumbing ---------------------------------------------------------------------------


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


def _macro(name: str, template: str, parent: Element, **attributes: Any) -> Any:
    """Add to ``parent`` a folium element rendered from ``template``."""
    from folium.elements import MacroElement
    from folium.template import Template

    element = MacroElement()
    element._name = name
    element._template = Template(template)
    for key, value in attributes.items():
        setattr(element, key, value)
    parent.add_child(element)
    return element


def _data(m: folium.Map, name: str, geoms: np.ndarray, properties: Sequence[dict[str, Any]]) -> Any:
    """Add the features as a JavaScript variable, which layers then draw."""
    return _macro(name, _DATA_JS, m, data_json=_js(_features(geoms, properties)))


def _geojson_layer(
    parent: folium.Map, data: Element, helper: Element, *, name: str, base: bool, show: bool,
    pane: str, style: Mapping[str, Any], style_keys: Mapping[str, str],
    fields: Sequence[tuple[str, str]] = (), highlight: Mapping[str, Any] | None = None,
    interactive: bool = True,
) -> Any:
    """Add a Leaflet GeoJSON layer drawn from ``data``, listed in the layer control as ``name``."""
    from folium.map import Layer
    from folium.template import Template

    layer = Layer(name=name, overlay=not base, control=True, show=show)
    layer._name = "GeoJsonLayer"
    layer._template = Template(_LAYER_JS)
    attributes = {
        "data": data,
        "helper": helper,
        "pane_json": _js(pane),
        "interactive_json": _js(interactive),
        "style_json": _js(dict(style)),
        "style_keys_json": _js(dict(style_keys)),
        "fields_json": _js([list(f) for f in fields]) if fields else "",
        "highlight_json": _js(dict(highlight)) if highlight else "",
    }
    for key, value in attributes.items():  # read by _LAYER_JS
        setattr(layer, key, value)
    parent.add_child(layer)
    return layer


def _add_shown_layers(m: folium.Map) -> None:
    """Add the shown layers to the map by elements of their own, rendered in tree order.

    folium's ``Layer.render`` would create a new, randomly named element for that on every
    render, so a second render (e.g. after a notebook displayed the map) would differ.
    """
    from folium.map import Layer

    for layer in [child for child in m._children.values() if isinstance(child, Layer) and child.show]:
        layer.show = False
        _macro("AddLayer", _ADD_JS, m, layer=layer)


def _number_elements(root: Element) -> None:
    """Replace folium's random element ids by a counter in tree order, so output is reproducible."""
    counter = itertools.count()

    def visit(element: Element) -> None:
        element._id = str(next(counter))
        parts = [getattr(element, part) for part in ("header", "html", "script") if hasattr(element, part)]
        for part in parts:
            if hasattr(part, "_children"):
                visit(part)
        renamed: collections.OrderedDict[str, Element] = collections.OrderedDict()
        for key, child in element._children.items():
            keyed_by_name = key == child.get_name()
            visit(child)
            renamed[child.get_name() if keyed_by_name else key] = child
        element._children = renamed

    visit(root)


def _base_map(title: str, offline: bool, centre: tuple[float, float]) -> folium.Map:
    """Start a map without tiles: Leaflet inlined (offline) or from a CDN with OpenStreetMap tiles."""
    import folium
    from branca.element import Element as BrancaElement
    from folium.map import CustomPane

    # a quarter-step zoom lets fitBounds fill the window; offline there are no tiles to keep aligned
    m = folium.Map(location=list(centre), zoom_start=7, tiles=None, control_scale=True, zoom_snap=0.25)
    figure = cast("Figure", m.get_root())
    figure.title = html.escape(title)
    if offline:
        # instance attributes: folium's class-level lists (jQuery, Bootstrap, ...) stay untouched
        m.default_js, m.default_css = [], []
        script, css = _leaflet_assets()
        figure.header.add_child(BrancaElement(f"<style>{css}</style>"), name="leaflet_css")
        figure.header.add_child(BrancaElement(f"<script>{script}</script>"), name="leaflet")
    else:
        m.default_js = [("leaflet", _LEAFLET_CDN + "leaflet.js")]
        m.default_css = [("leaflet_css", _LEAFLET_CDN + "leaflet.css")]
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=True, control=True).add_to(m)
    # panes keep the outline under and the lines over whichever region layer is switched on
    CustomPane(_COUNTRY_PANE, z_index=350, pointer_events=False).add_to(m)
    CustomPane(_LINE_PANE, z_index=450, pointer_events=True).add_to(m)
    return m


def _region_properties(regions: gpd.GeoDataFrame, classes: pd.Series, k: int) -> list[dict[str, Any]]:
    """Tooltip texts and fill colours of each region."""
    palette = INDEX_PALETTES.get(k, ())
    props = []
    records = regions[list(REGION_COLUMNS)].to_dict("records")
    for code, row, cls in zip(regions.index, records, classes, strict=True):
        no_index = _missing(cls)
        typology = _text(row["typology"])
        props.append({
            "region_id": _text(code),
            "name": _text(row["name"]),
            "country": _text(row["country"]),
            "index": NO_DATA if no_index else f"{float(row['index']):.3f}",
            "typology": typology or NO_DATA,
            "border_distance_km": _number(row["border_distance_km"], "{:.1f} km"),
            "border_order": _number(row["border_order"], "{:.0f}"),
            "index_fill": NO_DATA_COLOUR if no_index else palette[int(cls)],
            "typology_fill": TYPOLOGY_COLOURS.get(typology, NO_DATA_COLOUR),
        })
    return props


@dataclasses.dataclass(frozen=True)
class _Gaps:
    """The cross-border pairs drawn as gap lines, with their encoding."""

    geometry: gpd.GeoSeries
    properties: list[dict[str, Any]]
    scale: float  # the largest absolute gap, drawn GAP_MAX_WIDTH_PX wide
    leaders: dict[str, str]  # colour of each leading country
    has_equal: bool


def _cross_border_gaps(pairs: gpd.GeoDataFrame) -> _Gaps:
    """Select the cross-border pairs with data on both sides; width by |gap|, colour by leader."""
    cross_border = pairs["cross_border"].astype("boolean").fillna(False).astype(bool)
    gap = pd.to_numeric(pairs["gap"], errors="coerce")
    gaps = pairs[cross_border & gap.notna()]
    scale = float(pd.to_numeric(gaps["abs_gap"]).max()) if len(gaps) else 0.0
    leading = [
        _text(row.country_a) if row.gap > 0 else _text(row.country_b) if row.gap < 0 else None
        for row in gaps.itertuples(index=False)
    ]
    leaders = {c: LEADER_COLOURS[i % len(LEADER_COLOURS)]
               for i, c in enumerate(sorted({c for c in leading if c is not None}))}
    properties = [
        {
            "tooltip": f"{_text(row.name_a)} – {_text(row.name_b)}: gap {float(row.gap):+.3f} "
                       f"({'equal' if leader is None else f'{leader} side leads'}), "
                       f"{_number(row.shared_border_km, '{:.1f} km')} shared border",
            "color": EQUAL_COLOUR if leader is None else leaders[leader],
            "weight": round(_gap_width(float(row.abs_gap), scale), 2),
        }
        for row, leader in zip(gaps.itertuples(index=False), leading, strict=True)
    ]
    return _Gaps(gaps.geometry, properties, scale, leaders, has_equal=None in leading)


# -- public API --------------------------------------------------------------------------------


def divide_map(
    regions: gpd.GeoDataFrame,
    border_lines: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame,
    *,
    title: str,
    attribution: Sequence[str],
    countries: gpd.GeoDataFrame | None = None,
    offline: bool = True,
    precision: int = 4,
    scheme: str = "quantiles",
    k: int = 5,
    simplify_tolerance_m: float = 250.0,
) -> folium.Map:
    """Build an interactive map of the digital divide across a state border.

    The map has two alternative region layers, the digitalisation index in ``k`` classes and
    the typology, plus the state border, the cross-border gaps (one line per cross-border pair
    with data on both sides, as wide as the absolute gap and coloured by the leading side) and,
    when given, the countries as a grey outline underneath. Regions without data are light grey
    and labelled "no data", never drawn as the lowest class. A legend, the title, the credits,
    a layer control and a scale bar are included; the view fits the regions.

    Parameters
    ----------
    regions
        Regions indexed by region code, in a projected CRS, with columns ``name``, ``country``,
        ``index`` (0..1, NaN without data), ``typology`` (``"leader"``, ``"moderate"``,
        ``"lagging"`` or missing), ``border_distance_km`` and ``border_order``.
    border_lines
        The state border, in the CRS of ``regions``, with ``country_a``, ``country_b`` and
        ``length_km``.
    pairs
        Adjacent region pairs with ``region_a``, ``region_b``, ``name_a``, ``name_b``,
        ``country_a``, ``country_b``, ``cross_border``, ``shared_border_km``, ``gap``
        (index of a minus index of b) and ``abs_gap``; the geometry is the shared boundary.
    title
        Title shown on the map and as the page title.
    attribution
        Credit lines shown in the attribution control, e.g. ``"© EuroGeographics for the
        administrative boundaries"``; a single string is one line.
    countries
        Country polygons with a ``country`` column, drawn underneath as a grey outline.
    offline
        Inline Leaflet and add no tile layer, so that the file works without a network; when
        false, Leaflet is linked from a CDN and an OpenStreetMap tile layer is offered.
    precision
        Decimals of the longitude and latitude written (4 is about 10 m).
    scheme
        Classification of the index: ``"quantiles"`` or ``"natural_breaks"`` (Fisher-Jenks).
    k
        Number of index classes, at most 5; fewer when there are fewer distinct values.
    simplify_tolerance_m
        Tolerance of the display simplification in metres of the projected CRS; 0 keeps every
        vertex. Region and country polygons are simplified as coverages, so shared edges stay
        shared.

    Returns
    -------
    folium.Map
        The map; render it with :func:`map_html` or write it with :func:`write_map`.

    Raises
    ------
    SchemaError
        A frame lacks a column, a typology is unknown, or an option is out of range.
    CRSError
        A frame has no CRS, a geographic one, or another CRS than ``regions``.
    """
    from folium.map import FitBounds, LayerControl

    _check_inputs({"regions": regions, "border_lines": border_lines, "pairs": pairs, "countries": countries},
                  precision, simplify_tolerance_m)
    credits = [attribution] if isinstance(attribution, str) else list(attribution)
    classes, index_rows = _classify(regions["index"], scheme, k)
    region_geoms = _display_geometry(regions.geometry, simplify_tolerance_m, precision, coverage=True)
    west, south, east, north = (float(v) for v in shapely.total_bounds(region_geoms))
    m = _base_map(title, offline, centre=((south + north) / 2, (west + east) / 2))
    helper = _macro("Tooltip", _HELPER_JS, m)

    if countries is not None and not countries.empty:
        country_geoms = _display_geometry(countries.geometry, simplify_tolerance_m, precision, coverage=True)
        country_props = [{"country": _text(c)} for c in countries["country"]]
        country_data = _data(m, "CountryData", country_geoms, country_props)
        _geojson_layer(m, country_data, helper, name=COUNTRY_LAYER, base=False, show=True,
                       pane=_COUNTRY_PANE, interactive=False, style_keys={},
                       style={"color": "#8c8c8c", "weight": 1, "fillColor": "#f2f2f2", "fillOpacity": 1})

    region_props = _region_properties(regions, classes, len(index_rows))
    region_data = _data(m, "RegionData", region_geoms, region_props)
    region_layers = ((INDEX_LAYER, "index_fill", True), (TYPOLOGY_LAYER, "typology_fill", False))
    for layer_name, fill, show in region_layers:
        # base layers: the layer control offers them as alternatives (radio buttons)
        _geojson_layer(m, region_data, helper, name=layer_name, base=True, show=show, pane="overlayPane",
                       style={"color": "#ffffff", "weight": 1, "fillOpacity": 0.85},
                       style_keys={"fillColor": fill}, fields=_REGION_FIELDS,
                       highlight={"color": "#000000", "weight": 3})

    border_props = [
        {"tooltip": f"{_text(a)} – {_text(b)} state border: {_number(length, '{:.1f} km')}"}
        for a, b, length in zip(
            border_lines["country_a"], border_lines["country_b"], border_lines["length_km"], strict=True
        )
    ]
    border_geoms = _display_geometry(border_lines.geometry, simplify_tolerance_m, precision, coverage=False)
    border_data = _data(m, "BorderData", border_geoms, border_props)
    _geojson_layer(m, border_data, helper, name=BORDER_LAYER, base=False, show=True, pane=_LINE_PANE,
                   style={"color": BORDER_COLOUR, "weight": BORDER_WIDTH_PX, "opacity": 1}, style_keys={},
                   fields=[("", "tooltip")])

    gaps = _cross_border_gaps(pairs)
    gap_geoms = _display_geometry(gaps.geometry, simplify_tolerance_m, precision, coverage=False)
    gap_data = _data(m, "GapData", gap_geoms, gaps.properties)
    # drawn after (above) the state border, which runs along every cross-border gap line
    _geojson_layer(m, gap_data, helper, name=GAP_LAYER, base=False, show=True, pane=_LINE_PANE,
                   style={"opacity": 0.85, "lineCap": "butt"},
                   style_keys={"color": "color", "weight": "weight"},
                   fields=[("", "tooltip")], highlight={"opacity": 1})

    legend = _legend_html(index_rows, scheme, int(classes.isna().sum()), gaps)
    _macro("Decoration", _DECORATION_JS, m, css=_CSS, title_html=html.escape(title), legend_html=legend,
           credits_json=[_js(html.escape(credit)) for credit in credits])
    _add_shown_layers(m)
    LayerControl(collapsed=False).add_to(m)
    m.add_child(FitBounds([[south, west], [north, east]], padding=(10, 10)))
    _number_elements(m.get_root())
    return m


def map_html(m: folium.Map) -> str:
    """Render a map to one standalone HTML document.

    Rendering leaves the map as it was, so the same map renders to the same string every time,
    and a map built twice from the same inputs by :func:`divide_map` renders identically.

    Parameters
    ----------
    m
        A map from :func:`divide_map`.

    Returns
    -------
    str
        The HTML document.
    """
    figure = m.get_root()
    # folium renders by appending to the figure's header, body and script; restoring them keeps
    # a second render from repeating the first one's statements
    parts = [getattr(figure, part) for part in ("header", "html", "script")]
    saved = [collections.OrderedDict(part._children) for part in parts]
    try:
        return figure.render()
    finally:
        for part, children in zip(parts, saved, strict=True):
            part._children = children


def write_map(m: folium.Map, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a map as a standalone HTML file, atomically.

    Parameters
    ----------
    m
        A map from :func:`divide_map`.
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
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(map_html(m).encode("utf-8"))
    return Path(path)
