r"""borderland: digital divides across state borders.

Data flows one way, from the files through the study model and the analysis steps to the
pipeline and the writers; a module imports only modules above it (``tests/test_layout.py``)::

    errors, specs        the error family; checked keys of the frozen specs
    io, outputs          reading layers and tables; all-or-nothing output sets
    layers, indicators   region layers (validate, project, repair, shared edges); indicator tables
    population, classify the one population rule; the one classification registry
    index, coherence,    the composite index, its coherence, the typology
      typology
    robustness           the Monte Carlo over weights and normalisations
    study                the study file as one checked spec per section
    border, raster       land border lines, distances, bands; generic raster code
    exposure, neighbours population near the border, the profile; the neighbour graph, rings,
                         pairs, local deviation, segments
    spatial              Moran's I, LISA, Theil
    trade                trade indicators, flows, flow lines, trade beside the divide
    pipeline             the staged run: load -> index -> border -> gaps -> trade
    distributed          the heavy steps as dask task graphs
    maps                 spec -> model -> leaflet (HTML), static (PNG/SVG/PDF), qgis (QML styles);
                         the model's parts: checks, layers, classes, features, timeline, palettes
    export               GeoPackage, GeoParquet, GeoJSON, CSV, with styles and metadata
    report               the study's report (HTML, PDF) from the result layers, in English or Russian;
                         one module a section (report.sections)
    commands             one function per command of the command line (``cli.py``)

The Python API takes and returns GeoDataFrames. Heavy libraries (folium, matplotlib, dask) are
imported only where they are used.

Examples
--------
>>> from borderland import pipeline
>>> result = pipeline.run()                    # the bundled study
>>> result.regions.loc["RU-MUR", "border_order"]
np.int64(1)
"""

from __future__ import annotations

__version__ = "0.1.0"
