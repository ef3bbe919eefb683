r"""borderland: digital divides across state borders.

Data flows one way, from the files through the study model and the analysis steps to the
pipeline, the writers and the two front doors (the commands, the Python API); a module imports
only modules above it, lazily or not (``tests/test_layout.py``)::

    errors, specs        the error family; checked keys of the frozen specs
    compute              where the heavy steps run: here, or as tasks on a dask cluster
    io, outputs          reading layers and tables; all-or-nothing output sets
    layers/,             region layers (projection, regions, repair, edges: shared edges); indicator
      indicators/        tables (tidy, join, years: the year rules)
    population,          the one population rule; the one classification registry
      classify
    index/, coherence,   the composite index (normalisers, aggregation, spec, ranges, build), its
      typology           coherence, the typology
    robustness           the Monte Carlo over weights and normalisations
    study                the study file as one checked spec per section
    nearest              exact distances from points or grid cells to line segments
    border, raster/      land border lines, distances, bands; generic raster code (pixels, coverage,
                         zonal, distance)
    exposure,            population near the border, the profile; the neighbour graph (rings, lags),
      neighbours/        pairs, local deviation, segments
    spatial/,            Moran's I and LISA (autocorrelation), Theil (inequality); definitions compared
      comparability      across the border
    trade/               trade indicators, flows, flow lines, trade beside the divide
    pipeline/            the staged run: load -> index -> border -> gaps -> trade (inputs, checks,
                         stages, statistics, result); its result is plain data
    trend/               the study over the years: panel on one scale, gaps by year, convergence; the
                         run (checks, tables, result)
    distributed          the heavy steps as dask task graphs
    maps/                spec -> model -> leaflet (HTML), static (PNG/SVG/PDF), qgis/ (QML styles);
                         the model's parts: checks, layers, classes, features, timeline, palettes;
                         qgis/'s: qml, snapshot (a run's layers), years (tables by year), styles
    export/              layer descriptions, field aliases (names); the GeoPackage writer (geopackage);
                         a run's layers and metadata (result); GeoParquet, GeoJSON, CSV (formats);
                         the trend's layers (trend)
    report/              the study's report (HTML, PDF) from the result layers, in English or Russian;
                         one module a section (report.sections)
    commands             one function per command of the command line (``cli.py``)
    api                  ``borderland.run`` and ``borderland.StudyResult``: the run's result with
                         its report (``result.report()``, a notebook's display)

The Python API takes and returns GeoDataFrames. Heavy libraries (folium, matplotlib, dask) are
imported only where they are used.

Examples
--------
>>> import borderland
>>> result = borderland.run()                  # the bundled study; result.report() is its report
>>> result.regions.loc["RU-MUR", "border_order"]
np.int64(1)
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["StudyResult", "__version__", "run"]

# not typing.TYPE_CHECKING: importing typing would be most of what ``import borderland`` costs
TYPE_CHECKING = False
if TYPE_CHECKING:
    from borderland.api import StudyResult, run


def __getattr__(name: str) -> object:
    """``borderland.run`` and ``borderland.StudyResult``, imported when first asked for."""
    if name in ("StudyResult", "run"):
        from borderland import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
