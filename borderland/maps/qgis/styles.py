"""Every spatial layer's QML styles, one default each (:func:`layer_styles`).

A layer named as the map draws it gets the style of :mod:`~borderland.maps.qgis.snapshot`, a
table by year that of :mod:`~borderland.maps.qgis.years`, any other spatial layer a plain one
(:func:`plain_styles`); every style of a layer with a ``year_start`` date field gets temporal
properties.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from borderland.maps.model import MapModel
from borderland.maps.qgis.qml import LayerStyle, _columns, _end_renderer, _geometry_kind, _plain_symbol, _qml, _renderer
from borderland.maps.qgis.snapshot import STYLE_BUILDERS, model_from_layers
from borderland.maps.qgis.years import YEAR_STYLE_BUILDERS, has_year_start, with_temporal
from borderland.maps.spec import MapSpec

__all__ = ["layer_styles", "plain_styles"]


def plain_styles(layer: str, frame: gpd.GeoDataFrame, aliases: Mapping[str, str]) -> list[LayerStyle]:
    """A single-symbol style for a layer without a dedicated one (grey fill, line or point)."""
    renderer = _renderer("singleSymbol")
    ET.SubElement(renderer, "symbols").append(_plain_symbol("0", _geometry_kind(frame)))
    return [LayerStyle(layer, "plain", _qml(_end_renderer(renderer), _columns(frame), aliases),
                       f"{layer}: one symbol for every feature", default=True)]


def layer_styles(
    layers: Mapping[str, pd.DataFrame],
    model: MapModel | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    spec: MapSpec | None = None,
) -> list[LayerStyle]:
    """QML styles of every spatial layer, in the map model's classes and colours; one default each.

    Parameters
    ----------
    layers
        Layer name -> frame, as written to the GeoPackage (``regions`` -- or ``index``, as
        ``borderland index`` names it --, ``border_lines``, ``neighbour_pairs``,
        ``distance_bands``, ``trade_flows`` get the map's styles,
        ``index_by_year`` and ``gaps_by_year`` the trend map's; other spatial layers a plain
        one; attribute tables and layers without geometry none). Every style of a layer with a
        ``year_start`` date field gets temporal properties (:func:`with_temporal`).
    model
        The map model the run's HTML map was drawn from
        (:func:`~borderland.maps.model.map_model`), built from these frames: the styles reuse its
        classes and colours, not a copy of them. ``None`` builds one from the layers
        (:func:`model_from_layers`), for runs that draw no map. A trend map's model
        (:func:`~borderland.maps.trend.trend_model`) gives the tables by year its classes and
        colours; the other layers are then styled as without a model.
    aliases
        Field name -> display name with unit (e.g. ``"border_distance_km": "Distance to the
        land border (km)"``), written into every style of a layer that has the field.
    spec
        Without a model: the options of the one built from the layers (its index classes and
        palette, the typology's labels: :func:`model_from_layers`).

    Returns
    -------
    list of LayerStyle
        In layer order, the default style of each layer first.

    Raises
    ------
    SchemaError
        A layer holds other rows than the model drew from.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> towns = gpd.GeoDataFrame({"name": ["Narva"]}, geometry=[shapely.Point(5.3e6, 4.1e6)], crs=3035)
    >>> [(style.layer, style.name, style.default) for style in layer_styles({"towns": towns})]
    [('towns', 'plain', True)]
    """
    names = dict(aliases or {})
    trend = model if model is not None and model.timeline is not None else None
    # a trend map's layers are those of one year: the layers of one moment get a model of their own
    snapshot = model_from_layers(layers, spec) if model is None or trend is not None else model
    styles: list[LayerStyle] = []
    for layer, frame in layers.items():
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        build = STYLE_BUILDERS.get(layer)
        by_year = YEAR_STYLE_BUILDERS.get(layer)
        built = (build(frame, snapshot, names) if build and snapshot is not None else
                 by_year(frame, trend or snapshot, names) if by_year else []) or plain_styles(layer, frame, names)
        built = [dataclasses.replace(style, layer=layer) for style in built]
        if has_year_start(frame):
            built = [with_temporal(style) for style in built]
        styles += sorted(built, key=lambda style: not style.default)
    return styles
