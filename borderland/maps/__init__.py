"""Maps of a cross-border digital divide: one spec, one model, three writers.

The flow is one way::

    MapSpec  ──>  map_model(frames, spec)  ──>  MapModel  ──┬──>  leaflet.write_html   (HTML page or fragment)
    (options,     (checks the frames; builds                 ├──>  static.write_image   (PNG, SVG, PDF)
     checked)      classes, colours, legends,                └──>  qgis.layer_styles    (QML for the GeoPackage)
                   tooltip texts)

* :mod:`~borderland.maps.spec` -- :class:`MapSpec`, every option under one name (``kinds``,
  ``columns``, ``classes``, ``scheme``, ``palette``, ``title``, ``attribution``, ``offline``,
  ``fragment``, ...), checked on construction; :data:`KINDS` and :data:`SCHEMES` are the
  choices (the command line builds its options from them).
* :mod:`~borderland.maps.model` -- :func:`map_model` and :class:`MapModel`: the layers, built
  once per run from the frames and reused by every writer, so the HTML legend, the static map
  and QGIS show the same classes in the same colours. It imports neither folium, branca nor
  matplotlib; classes come from :mod:`borderland.classify`. Its parts:
  :mod:`~borderland.maps.checks` (every problem of the inputs at once),
  :mod:`~borderland.maps.classes` (region layers in classes with units, typology, rings, class
  stability), :mod:`~borderland.maps.features` (bands, border, countries, gaps, trade flows),
  :mod:`~borderland.maps.timeline` (the years of a trend map), :mod:`~borderland.maps.layers`
  (legend rows and layer types) and :mod:`~borderland.maps.palettes` (every colour).
* :mod:`~borderland.maps.trend` -- :func:`trend_model`: a map over the years (a value per region
  and year, a gap per cross-border pair and year), a :class:`MapModel` with a :class:`Timeline`
  whose classes are cut once over every year; the HTML page gets a year control (slider,
  buttons, arrow keys, play, ``#year=2015``), ``model.at_year(2015)`` gives one year to any writer.
* :mod:`~borderland.maps.leaflet` -- the interactive map (folium, offline by default,
  deterministic bytes, every data string escaped); folium's internals are touched only in
  :mod:`borderland.maps._folium`.
* :mod:`~borderland.maps.static` -- the same model with matplotlib, and the profile chart.
* :mod:`~borderland.maps.qgis` -- QML styles from the same model, for the GeoPackage's
  ``layer_styles`` table (written by :func:`borderland.export.write_geopackage`).

Importing this package imports none of folium, branca, matplotlib or mapclassify.

Examples
--------
>>> import geopandas as gpd, pandas as pd, shapely
>>> regions = gpd.GeoDataFrame({"name": ["West", "East"], "country": ["AA", "BB"], "index": [0.2, 0.8]},
...                            geometry=[shapely.box(0, 0, 1e4, 1e4), shapely.box(1e4, 0, 2e4, 1e4)],
...                            crs=3035, index=pd.Index(["W", "E"], name="region_id"))
>>> border = gpd.GeoDataFrame({"country_a": ["AA"], "country_b": ["BB"], "length_km": [10.0]},
...                           geometry=[shapely.LineString([(1e4, 0), (1e4, 1e4)])], crs=3035)
>>> model = map_model(regions, border, spec=MapSpec(kinds=["index"], classes=2, title="West and East"))
>>> html_page(model).startswith("<!DOCTYPE html>")
True
>>> [style.name for style in layer_styles({"regions": regions, "border_lines": border}, model)]
['index', 'state border']
"""

from __future__ import annotations

import os
from pathlib import Path

from borderland.errors import OutputError
from borderland.maps.layers import (
    BORDER_WIDTH_PX,
    GAP_DASH,
    GAP_MAX_WIDTH_PX,
    GAP_MIN_WIDTH_PX,
    NO_DATA,
    UNSTABLE_DASH,
    FeatureLayer,
    LegendItem,
    RegionLayer,
)
from borderland.maps.leaflet import folium_map, html_fragment, html_page, write_html
from borderland.maps.model import MapModel, map_model
from borderland.maps.palettes import (
    BORDER_COLOUR,
    EQUAL_COLOUR,
    LEADER_COLOURS,
    NO_DATA_COLOUR,
    TYPOLOGY_COLOURS,
    UNSTABLE_COLOUR,
    palette_colours,
    palette_names,
    typology_colours,
)
from borderland.maps.qgis import LayerStyle, layer_styles, model_from_layers
from borderland.maps.spec import KINDS, LINE_KINDS, REGION_KINDS, SCHEMES, MapSpec, precision_for_zoom
from borderland.maps.static import STATIC_FORMATS, profile_chart, write_image
from borderland.maps.timeline import Timeline
from borderland.maps.trend import trend_model

__all__ = [
    "BORDER_COLOUR", "BORDER_WIDTH_PX", "EQUAL_COLOUR", "GAP_DASH", "GAP_MAX_WIDTH_PX", "GAP_MIN_WIDTH_PX", "KINDS",
    "LEADER_COLOURS", "LINE_KINDS", "NO_DATA", "NO_DATA_COLOUR", "REGION_KINDS", "SCHEMES", "STATIC_FORMATS",
    "TYPOLOGY_COLOURS", "UNSTABLE_COLOUR", "UNSTABLE_DASH", "FeatureLayer", "LayerStyle", "LegendItem", "MapModel",
    "MapSpec", "RegionLayer", "Timeline", "folium_map", "html_fragment", "html_page", "layer_styles", "map_model",
    "model_from_layers", "palette_colours", "palette_names", "precision_for_zoom", "profile_chart", "trend_model",
    "typology_colours", "write_html", "write_image", "write_map_outputs",
]


def write_map_outputs(model: MapModel, path: str | os.PathLike[str], *, png: bool = False,
                      overwrite: bool = False) -> dict[str, Path]:
    """Write what ``borderland map`` writes from one model: the HTML page or fragment, and a PNG.

    Every target is checked before anything is written: with ``png``, nothing is written when
    either file exists and ``overwrite`` is false.

    Parameters
    ----------
    model
        From :func:`map_model`; ``spec.fragment`` chooses a fragment over a page.
    path
        The HTML file; the PNG gets the same name with ``.png``.
    png
        Also write a static PNG of the same classes and colours (:func:`write_image`).
    overwrite
        Replace existing files.

    Returns
    -------
    dict of str to Path
        ``{"html": ...}`` and, with ``png``, ``{"png": ...}``.

    Raises
    ------
    OutputError
        A file exists and ``overwrite`` is false.
    """
    targets = {"html": Path(path)}
    if png:
        targets["png"] = targets["html"].with_suffix(".png")
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise OutputError(f"file(s) exist already: {', '.join(existing)}; pass --overwrite to replace them")
    written = {"html": write_html(model, targets["html"], overwrite=overwrite)}
    if png:
        written["png"] = write_image(model, targets["png"], overwrite=overwrite)
    return written
