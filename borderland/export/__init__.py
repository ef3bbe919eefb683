"""Writing results: a styled, documented GeoPackage, other GIS formats and the study's map.

What a GIS specialist gets from :func:`write_geopackage`:

- every result as a layer (attribute-only tables too), in one stated CRS (the study's, or any
  other on request, e.g. EPSG:4326), with integer, real and boolean fields typed as such;
- field aliases carrying units (``gpkg_data_columns``, read by GDAL 3.7+, and in each style, read
  by QGIS whatever its GDAL), and a description of each layer (``gpkg_contents``);
- the run's parameters, software versions, sources and required attributions as one JSON
  document in ``gpkg_metadata`` (scope: the whole GeoPackage), listed by ``ogrinfo`` and read
  back by :func:`read_run_metadata`;
- a QGIS style per spatial layer in ``layer_styles``, so the layers open in QGIS drawn as on the
  HTML map. The styles come ready-made from the caller (:func:`borderland.maps.layer_styles`,
  built from the run's map model); this module writes the table and never imports the map code.

Files are written safely: every target is checked before anything is written (a refused
overwrite leaves all earlier outputs as they were), each file is written under a hidden
temporary name beside the target and moved into place only when complete, and
:func:`update_layer` replaces one layer of an existing file by copy, update and move.
:func:`export_layers` writes the same layers as GeoPackage, GeoParquet, GeoJSON (EPSG:4326) and
CSV.

The package, in the order its modules import one another:

* :mod:`~borderland.export.names` -- each layer's description, each field's display name;
* :mod:`~borderland.export.geopackage` -- the GeoPackage writer: staged writes, aliases, the
  ``layer_styles`` table, the metadata document written and read back, :func:`update_layer`;
* :mod:`~borderland.export.result` -- a run's layers, aliases and metadata (software versions,
  required attributions);
* :mod:`~borderland.export.formats` -- GeoParquet, GeoJSON and CSV beside the GeoPackage;
* :mod:`~borderland.export.trend` -- the layers, aliases and metadata of ``trend.gpkg``.
"""

from __future__ import annotations

from borderland.export.formats import FORMATS, export_layers, export_result
from borderland.export.geopackage import (
    GPKG_VERSION,
    RUN_METADATA_URI,
    STYLE_COLUMNS,
    STYLE_TABLE,
    read_run_metadata,
    read_styles,
    sqlite,
    update_layer,
    write_geopackage,
    write_styles,
)
from borderland.export.names import FIELD_ALIASES, LAYER_DESCRIPTIONS
from borderland.export.result import (
    REQUIRED_ATTRIBUTIONS,
    RESULT_LAYERS,
    required_attributions,
    result_aliases,
    result_layers,
    run_metadata,
    software_versions,
)
from borderland.export.trend import TREND_FIELD_ALIASES, trend_aliases, trend_layers, trend_metadata

__all__ = ["FIELD_ALIASES", "FORMATS", "GPKG_VERSION", "LAYER_DESCRIPTIONS", "REQUIRED_ATTRIBUTIONS", "RESULT_LAYERS",
           "RUN_METADATA_URI", "STYLE_COLUMNS", "STYLE_TABLE", "TREND_FIELD_ALIASES", "export_layers", "export_result",
           "read_run_metadata", "read_styles", "required_attributions", "result_aliases", "result_layers",
           "run_metadata", "software_versions", "sqlite", "trend_aliases", "trend_layers", "trend_metadata",
           "update_layer", "write_geopackage", "write_styles"]
