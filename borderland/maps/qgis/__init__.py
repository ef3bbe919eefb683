"""QGIS styles (QML) for the layers of a study's GeoPackage, drawn from the map model.

QGIS opens a GeoPackage layer already styled only when a QML document for it sits in the
file's ``layer_styles`` table (the schema QGIS itself creates) with ``useAsDefault`` set; an SLD
alone is not loaded. This module builds those documents (:func:`layer_styles`);
:func:`borderland.export.write_geopackage` writes them into that table.

The classes and colours are not chosen here: they come from the
:class:`~borderland.maps.model.MapModel` the HTML and static maps draw -- the same object, built
once per run -- so each feature is drawn in QGIS in the colour the map gives it, and the index
classes are the HTML legend's. Nothing here imports folium or branca:

=================  =======================================  =====================================
layer              style (QGIS renderer)                    from the map's layer
=================  =======================================  =====================================
``regions``        index, ``graduatedSymbol`` (default)     index classes (the spec's scheme and
                                                            classes), "no data" grey, white outline
``regions``        typology, ``categorizedSymbol``          leader / moderate / lagging
``regions``        border rings, ``categorizedSymbol``      ring 1 darkest
``border_lines``   state border, ``singleSymbol``           colour and width of the border
``neighbour_...``  cross-border gaps, ``categorizedSymbol``  colour by the leading country, width
                                                            by the absolute gap, dashed where a
                                                            component's definition differs
                                                            across the pair; other pairs off
``distance_bands`` distance bands, ``categorizedSymbol``    one colour per band
``trade_flows``    trade flows, ``categorizedSymbol``        colour by flow type and unit, width by
                                                            value, arrowheads at the destination
``index_by_year``  value by year, ``graduatedSymbol``       the trend map's classes, cut over every
                                                            year's values; "no data" grey
``gaps_by_year``   gaps by year, ``categorizedSymbol``      colour by the leading side, width by
                                                            ``|gap|`` on one scale for every year,
                                                            dashed where flagged
=================  =======================================  =====================================

Other spatial layers get a plain single-symbol style, so every layer of the file opens the same
way. A layer with a ``year_start`` date field (the tables by year: regions or pair lines repeated
per year) gets temporal properties in each of its styles, so that QGIS's temporal controller
animates it year by year (:func:`temporal_element`). Widths are in screen pixels, as on the web
map. Field aliases (with units) travel in each QML, so QGIS shows them whichever GDAL it runs on.

The QML is written in the format of QGIS 3.22 (Debian bookworm's, the oldest one tested), which
later versions read.

The package, in the order its modules import one another:

* :mod:`~borderland.maps.qgis.qml` -- the pieces: colours, symbols, renderers, the document
  (:class:`LayerStyle`);
* :mod:`~borderland.maps.qgis.snapshot` -- the styles of a run's layers from the map model, and
  :func:`model_from_layers`;
* :mod:`~borderland.maps.qgis.years` -- the tables by year: their styles and temporal properties;
* :mod:`~borderland.maps.qgis.styles` -- :func:`layer_styles`, every layer's styles.
"""

from __future__ import annotations

from borderland.maps.qgis.qml import (
    OTHER_PAIR_COLOUR,
    PLAIN_FILL,
    PLAIN_LINE,
    QGIS_VERSION,
    REGION_FILL_OPACITY,
    REGION_OUTLINE_COLOUR,
    REGION_OUTLINE_WIDTH_PX,
    LayerStyle,
    fill_symbol,
    line_symbol,
    marker_symbol,
    qgis_colour,
)
from borderland.maps.qgis.snapshot import (
    STYLE_BUILDERS,
    StyleBuilder,
    bands_styles,
    border_lines_styles,
    flow_group_expression,
    flows_styles,
    gap_dash_expression,
    gap_width_expression,
    leading_side_expression,
    model_from_layers,
    pairs_styles,
    regions_styles,
)
from borderland.maps.qgis.styles import layer_styles, plain_styles
from borderland.maps.qgis.years import (
    YEAR_DURATION,
    YEAR_START_FIELD,
    YEAR_STYLE_BUILDERS,
    YearStyleBuilder,
    gaps_by_year_styles,
    has_year_start,
    index_by_year_styles,
    temporal_element,
    with_temporal,
)

__all__ = [
    "OTHER_PAIR_COLOUR", "PLAIN_FILL", "PLAIN_LINE", "QGIS_VERSION", "REGION_FILL_OPACITY", "REGION_OUTLINE_COLOUR",
    "REGION_OUTLINE_WIDTH_PX", "STYLE_BUILDERS", "YEAR_DURATION", "YEAR_START_FIELD", "YEAR_STYLE_BUILDERS",
    "LayerStyle", "StyleBuilder", "YearStyleBuilder", "bands_styles", "border_lines_styles", "fill_symbol",
    "flow_group_expression", "flows_styles", "gap_dash_expression", "gap_width_expression", "gaps_by_year_styles",
    "has_year_start", "index_by_year_styles", "layer_styles", "leading_side_expression", "line_symbol",
    "marker_symbol", "model_from_layers", "pairs_styles", "plain_styles", "qgis_colour", "regions_styles",
    "temporal_element", "with_temporal",
]
