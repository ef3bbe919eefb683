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
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.errors import CRSError, OutputError, SchemaError, collect
from borderland.io import atomic_path
from borderland.pipeline import StudyResult
from borderland.spatial import CORRECTION_NAMES

if TYPE_CHECKING:
    from borderland.maps.qgis import LayerStyle
    from borderland.trend import TrendResult


def _part(path: str) -> Callable[[StudyResult], Any]:
    """Getter of ``result.a.b`` (a method is called); ``None`` where any step is missing."""
    def get(result: StudyResult) -> Any:
        value: Any = result
        for name in path.split("."):
            value = getattr(value, name, None)
            if callable(value) and not isinstance(value, pd.DataFrame):
                value = value()
            if value is None:
                return None
        return value

    return get


def _weights(result: StudyResult) -> pd.DataFrame | None:
    weights = _part("uncertainty.weights")(result)
    return weights.rename_axis("component") if isinstance(weights, pd.DataFrame) else None


def _profile(result: StudyResult) -> pd.DataFrame | None:
    table = _part("profile")(result)
    return table.reset_index() if isinstance(table, pd.DataFrame) else None


#: Layers of a study's GeoPackage, in order, and how each is taken from a :class:`StudyResult`;
#: a layer that is missing or not a (Geo)DataFrame is left out.
RESULT_LAYERS: Final[Mapping[str, Callable[[StudyResult], Any]]] = {
    "regions": _part("regions"),
    "border_lines": _part("border_lines"),
    "neighbour_pairs": _part("pairs"),
    "distance_bands": _part("bands"),
    "border_segments": _part("segments"),
    "trade_flows": _part("flows"),
    "trade_pairs": _part("trade_pairs"),
    "trade_segments": _part("trade_segments"),
    "theil": _part("theil"),
    "statistics": _part("statistics"),
    "profile": _profile,
    "coherence": _part("coherence.table"),
    "uncertainty_weights": _weights,
    "uncertainty_scenarios": _part("uncertainty.scenarios"),
    "comparability": _part("comparability.table"),
}

#: What each layer holds, written as its description (``gpkg_contents``, ``ogrinfo``'s DESCRIPTION).
LAYER_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "regions": "One row per region: indicator values, composite digitalisation index, typology, "
               "distance to the land border and border ring",
    "border_lines": "Land border between states, one row per border segment (e.g. RU-FI), length in km",
    "neighbour_pairs": "One row per pair of adjacent regions: shared boundary line, its length, "
                       "the cross-border flag and the index gap (a - b), and whether both sides measure every "
                       "component by the same definition (comparable, noncomparable_components)",
    "distance_bands": "Zones along the land border by distance (km), clipped to each country",
    "border_segments": "Per border segment: cross-border pairs, length-weighted mean gap, largest gaps",
    "trade_flows": "Trade flows between regions or countries: value, unit, year, flow type, source row",
    "trade_pairs": "Per cross-border pair: trade between the two sides beside the index gap",
    "trade_segments": "Per border segment: trade beside the mean gap, with a rank correlation and its caveat",
    "theil": "Population-weighted Theil T of each raw index component (ratio scale), and of the index only when it "
             "has a natural zero, decomposed between and within groups (countries, border rings, sides)",
    "statistics": "Every global statistic of the run, one row each: the year and its rule, Cronbach's alpha, the Monte "
                  "Carlo's draws, seed and standard errors, Moran's I and its inference, the LISA correction, Theil "
                  "totals",
    "coherence": "Coherence of the index components: correlations (redundant pairs flagged), Cronbach's alpha",
    "uncertainty_weights": "Monte Carlo robustness: each component's nominal weight and its 5-95 % range",
    "uncertainty_scenarios": "Monte Carlo robustness: draws per normalisation and aggregation",
    "comparability": "Comparable definitions across the border: cross-border gaps, length-weighted segment means "
                     "and typology with all components, without each component defined differently on the two "
                     "sides, and with a given adjustment (one row per level and scenario)",
    # borderland trend (trend.gpkg)
    "index_by_year": "The index on the trend's fixed scale, one row per region and kept year (the region's polygon "
                     "repeated), with each component's value and its year, what to know about it (flag) and the "
                     "border effect; year_start is a date for QGIS's temporal controller",
    "gaps_by_year": "The gap (a - b) of every cross-border pair in every kept year, on the shared line, with both "
                    "values and what to know about them (flag); year_start is a date for QGIS's temporal controller",
    "segments_by_year": "Per border segment and kept year: the length-weighted mean gap and absolute gap of the pairs "
                        "with a gap that year",
    "gap_trends": "Per cross-border pair and border segment: the gap's least-squares slope per year with its "
                  "confidence interval (segments: within-pair, weighted by shared length), its change from the first "
                  "to the last year, and whether it closed, narrowed, widened or changed sign",
    "convergence": "Per kept year: dispersion of the index and of each raw component (mean, SD, CV) over the "
                   "borderland, each country and side, between them; the border effect; the Theil index of each raw "
                   "component and its share between sides or countries; all and balanced panels",
    "convergence_trends": "The slope over the years of every convergence series (sigma convergence), and beta "
                          "convergence (yearly change against the first year's level) with its standard error",
    "coverage_by_year": "Per year (kept or left out) and country: regions, regions indexed, of which with a nearby "
                        "year's or an interpolated value; why a year was left out",
    "series_changes": "Where a region's series changes definition or publisher, carries a break flag, or starts under "
                      "new codes (another NUTS version, a coarser level before): flagged, not read as change",
}

#: Display names of result fields, units in brackets (QGIS aliases, gpkg_data_columns).
FIELD_ALIASES: Final[Mapping[str, str]] = {
    "region_id": "Region code",
    "name": "Region name",
    "country": "Country (ISO 3166-1 alpha-2)",
    "level": "Administrative level",
    "source": "Boundary source",
    "index": "Digitalisation index (composite)",
    "typology": "Typology (leader / moderate / lagging)",
    "border_distance_km": "Distance to the land border (km)",
    "border_order": "Border ring (1 = touches a land border)",
    "population_raster": "Population of the population raster ([raster] population; persons) in the part of the "
                         "region the raster covers",
    "region_a": "Region a (code)",
    "region_b": "Region b (code)",
    "name_a": "Region a",
    "name_b": "Region b",
    "country_a": "Country a (ISO 3166-1 alpha-2)",
    "country_b": "Country b (ISO 3166-1 alpha-2)",
    "cross_border": "Cross-border pair (true / false)",
    "segment": "Border segment (country a - country b)",
    "shared_border_km": "Shared boundary (km)",
    "link": "Contiguity (rook: shares a line; queen: a point)",
    "index_a": "Index of region a",
    "index_b": "Index of region b",
    "gap": "Index gap, a - b (index points)",
    "abs_gap": "Absolute index gap (index points)",
    "relative_gap": "Relative gap, (a - b) / mean of a and b (ratio)",
    "leader": "Leading region (code)",
    "leader_country": "Country of the leading region",
    "gap_percentile": "Percentile of the absolute gap among all pairs (%)",
    "length_km": "Length of the border segment (km)",
    "pairs": "Cross-border pairs (count)",
    "pairs_with_gap": "Pairs with an index on both sides (count)",
    "gap_km": "Border length of the pairs with a gap (km)",
    "mean_gap": "Mean gap, unweighted: each pair counts once (index points)",
    "mean_abs_gap": "Mean absolute gap, unweighted: each pair counts once (index points)",
    "mean_gap_length_weighted": "Mean gap, weighted by shared length (index points)",
    "mean_abs_gap_length_weighted": "Mean absolute gap, weighted by shared length (index points)",
    "max_abs_gap": "Largest absolute gap (index points)",
    "largest_gaps": "Largest gaps (pairs and gaps)",
    "gap_share_pct": "Share of the total cross-border gap (%)",
    "band": "Distance band (km from the land border)",
    "distance_min_km": "Band starts at (km from the land border)",
    "distance_max_km": "Band ends at (km from the land border)",
    "area_km2": "Area (km²)",
    "origin": "Origin (region or country code)",
    "destination": "Destination (region or country code)",
    "value": "Value (in unit)",
    "unit": "Unit of the value",
    "flow_type": "Flow type (exports, imports, turnover, growth rate)",
    # two populations: the raster's (a grid of one year, 2000 for the bundled GPW v4) and the
    # indicator table's (the weights and per-capita figures, its year per region)
    "population": "Population of the population raster ([raster] population; persons; not population_persons)",
    "population_persons": "Population from the indicator table, persons (year: population_year; for weights "
                          "and per-capita figures)",
    "population_year": "Year of population_persons (indicator table)",
    "population_source": "Source of population_persons (indicator table)",
    "trade_turnover_usd_per_capita": "Trade turnover per person (USD; divided by population_persons)",
    # the statistics and theil tables
    "statistic": "Statistic",
    "variable": "Variable the statistic is about",
    "detail": "How it was computed",
    "measure": "Measure decomposed (a raw index component, or the index on a ratio scale)",
    "measure_unit": "Unit of the measure decomposed",
    "partition": "Partition of the regions (country, border ring, side)",
    "part": "Part of Theil's T (between or within the groups)",
    "theil": "Theil's T, this part (population-weighted)",
    "share_pct": "Share of Theil's T in this part (%)",
    "theil_total": "Theil's T, total (population-weighted)",
    "regions": "Regions (count)",
    "groups": "Groups in the partition (count)",
    # local Moran (LISA) of the index; the cluster's alias names the correction (result_aliases)
    "index_lisa_i": "Local Moran's I of the index (LISA)",
    "index_lisa_p": "Pseudo p-value of the local Moran's I (conditional permutations)",
    "index_lisa_q": "Benjamini-Hochberg q-value of the local Moran's I (false discovery rate)",
    "index_lisa_quadrant": "LISA quadrant (value and neighbours' mean above or below the mean)",
    "index_lisa_cluster": "LISA cluster (the quadrant where significant, else not significant)",
    # comparable definitions across the border (borderland.comparability)
    "comparable": "Both sides measure every component by the same definition (true / false; empty: no "
                  "component on both sides)",
    "noncomparable_components": "Components whose definition differs between the two sides",
    "scope": "Scope of the row (pair, segment or typology)",
    "scenario": "Scenario (all components; without a component; a component adjusted)",
    "component": "Index component (in the comparability table: the one left out or adjusted)",
    "adjustment": "Adjustment (indicator, amount in raw units, source)",
    "gap_change": "Change of the gap from the gap with all components (index points)",
    "abs_gap_change_pct": "Change of the absolute gap, in % of the absolute gap with all components (%)",
    "mean_gap_length_weighted_change": "Change of the mean gap weighted by shared length from all components "
                                       "(index points)",
    "regions_indexed": "Regions with an index (count)",
    "regions_changing_class": "Regions whose typology class differs from the one with all components (count)",
    "class_counts": "Regions per typology class (counts)",
    "class_changes": "Regions changing class (from -> to)",
}

#: What each source's licence requires a reuser to credit (geodata/README.md, "Licences"),
#: found by a name that appears in a source's description or the study's credits.
REQUIRED_ATTRIBUTIONS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("EuroGeographics", "NUTS", "GISCO"), "© EuroGeographics for the administrative boundaries"),
    (("Natural Earth",), "Made with Natural Earth (public domain)"),
    (("GPW", "CIESIN"), "CIESIN, Columbia University. 2018. Gridded Population of the World, Version 4 "
                        "(GPWv4): Population Count, Revision 11. NASA SEDAC. https://doi.org/10.7927/H4JW8BX5 "
                        "(CC BY 4.0)"),
    (("Eurostat",), "Source: Eurostat"),
    (("Rosstat",), "Source: Rosstat"),
)

#: Name of the QGIS style table and its columns, in QGIS's order.
STYLE_TABLE: Final = "layer_styles"
STYLE_COLUMNS: Final = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML",
    "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
)

#: ``md_standard_uri`` of the run's metadata document in ``gpkg_metadata``.
RUN_METADATA_URI: Final = "urn:borderland:run-metadata"

#: GeoPackage version written: 1.3 is the newest that GDAL 3.6 (QGIS on Debian 12) reads
#: without a warning; nothing here needs 1.4.
GPKG_VERSION: Final = "1.3"

_RESERVED = ("gpkg_", "rtree_", "sqlite_", "layer_styles")
_INT32 = (-(2**31), 2**31 - 1)


# -- the layer_styles table ----------------------------------------------------------------------


@contextlib.contextmanager
def sqlite(path: str | os.PathLike[str], *, read_only: bool = False,
           staged: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to a GeoPackage's SQLite database, committed (unless read-only) and closed.

    ``staged``: the file is a staging file (see :func:`_staged_writes`), so the connection
    neither keeps its rollback journal on disk nor syncs at the commit.
    """
    target = f"file:{Path(path)}?mode=ro" if read_only else str(path)
    conn = sqlite3.connect(target, uri=read_only)
    try:
        if staged:
            conn.execute("PRAGMA journal_mode = MEMORY")
            conn.execute("PRAGMA synchronous = OFF")
        with conn:  # commits, or rolls back on an error
            yield conn
    finally:
        conn.close()


#: How SQLite writes a staged GeoPackage, for GDAL's connections (config options) and ours (pragmas):
#: the rollback journal in memory (GDAL's rollbacks still work) and no sync at each commit.
_STAGED_SQLITE: Final[Mapping[str, str]] = {"OGR_SQLITE_JOURNAL": "MEMORY", "OGR_SQLITE_SYNCHRONOUS": "OFF"}


@contextlib.contextmanager
def _staged_writes() -> Iterator[None]:
    """GDAL writes SQLite without syncing every commit to disk while the block runs.

    Only for a staged file (:func:`borderland.io.atomic_path`): nobody else has it open, and it
    is moved into place whole or deleted, so a crash mid-write (which the syncs guard against)
    can only lose a file that would never have been used. The syncs were most of the time of a
    GeoPackage of many small layers: pyogrio opens the file once per layer and GDAL commits
    several times each, every commit waiting for the disk. :func:`_sync` flushes the finished
    file once instead, before it is moved into place.

    GDAL reads these settings only as configuration options, which pyogrio sets for the whole
    process, so they hold for every GDAL SQLite file written while the block runs (borderland
    writes its outputs from one thread); the earlier values are restored after it.
    """
    import pyogrio

    previous = {name: pyogrio.get_gdal_config_option(name) for name in _STAGED_SQLITE}
    pyogrio.set_gdal_config_options(dict(_STAGED_SQLITE))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def _sync(path: Path) -> None:
    """Flush a finished file to disk: once, rather than at every commit while it was written."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _geometry_columns(path: Path) -> dict[str, str]:
    with sqlite(path) as conn:
        return dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())


def write_styles(path: str | os.PathLike[str], styles: Sequence[LayerStyle], *, replace: Sequence[str] = ()) -> None:
    """Store styles in a GeoPackage's ``layer_styles`` table, replacing those of the same layers.

    The table is created as QGIS creates it (an attribute table registered in the GeoPackage,
    ``id`` its key) when missing. Write into a file nobody else has open: the GeoPackage writer
    calls this on its temporary file before moving it into place.

    Parameters
    ----------
    path
        An existing GeoPackage holding the styled layers.
    styles
        From :func:`borderland.maps.layer_styles`; at most one default per layer. The layers' earlier
        styles are replaced.
    replace
        Further layers whose earlier styles are removed (a layer updated without new styles).
    """
    import pyogrio

    path = Path(path)
    defaults = pd.Series([s.layer for s in styles if s.default]).value_counts()
    if (defaults > 1).any():
        raise SchemaError(f"more than one default style for layer(s) {sorted(defaults[defaults > 1].index)}")
    geometry = _geometry_columns(path)
    missing = sorted({s.layer for s in styles} - set(geometry))
    if missing:
        raise SchemaError(f"styles given for {missing}, which are not spatial layers of {str(path)!r}")
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    table = pd.DataFrame({
        "f_table_catalog": "",
        "f_table_schema": "",  # QGIS looks styles up with f_table_schema = ''
        "f_table_name": [s.layer for s in styles],
        "f_geometry_column": [geometry[s.layer] for s in styles],
        "styleName": [s.name for s in styles],
        "styleQML": [s.qml for s in styles],
        "styleSLD": "",
        "useAsDefault": [bool(s.default) for s in styles],
        "description": [s.description for s in styles],
        "owner": "",
        "ui": "",
        "update_time": pd.Series([now] * len(styles), dtype="datetime64[ms, UTC]"),
    }, columns=list(STYLE_COLUMNS))
    exists = STYLE_TABLE in {name for name, _ in pyogrio.list_layers(path)}
    if exists:
        with sqlite(path) as conn:
            conn.executemany(f"DELETE FROM {STYLE_TABLE} WHERE f_table_name = ?",
                             [(layer,) for layer in sorted({s.layer for s in styles} | set(replace))])
    if len(table):
        pyogrio.write_dataframe(table, path, layer=STYLE_TABLE, driver="GPKG", append=exists,
                                layer_options=None if exists else {"FID": "id"})


def read_styles(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The ``layer_styles`` table of a GeoPackage (empty when it has none).

    Parameters
    ----------
    path
        The GeoPackage.

    Returns
    -------
    pandas.DataFrame
        One row per style: ``f_table_name``, ``styleName``, ``useAsDefault``, ``styleQML``, ...
    """
    import pyogrio

    if STYLE_TABLE not in {name for name, _ in pyogrio.list_layers(path)}:
        return pd.DataFrame(columns=list(STYLE_COLUMNS))
    return pyogrio.read_dataframe(path, layer=STYLE_TABLE)


# -- preparing frames --------------------------------------------------------------------------


def _for_gpkg(frame: pd.DataFrame) -> pd.DataFrame:
    """Make column types GDAL writes faithfully.

    The index becomes a column, nullable strings and categories plain objects, a missing value in
    a column of objects ``None`` (GDAL writes ``pd.NA`` as the text '<NA>'), and integers that
    fit 32 bits are written as such (QGIS and ogrinfo then show Integer, not Integer64).
    """
    out = frame.reset_index() if frame.index.name else frame.reset_index(drop=True)
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    # by position, and only the columns that change: reading every column by name was most of the time
    for position, (column, dtype) in enumerate(out.dtypes.items()):
        if column == geometry:
            continue
        if isinstance(dtype, pd.StringDtype | pd.CategoricalDtype):
            values = out.iloc[:, position]
            # a Series keeps its object dtype (an array would be read as text again); the stubs want arrays
            out.isetitem(position, cast(Any, values.astype(object).where(values.notna(), None)))
        elif pd.api.types.is_object_dtype(dtype):
            values = out.iloc[:, position]
            missing = values.isna()
            if missing.any():  # NULL, whatever stands for missing (None, NaN, pd.NA)
                out.isetitem(position, cast(Any, values.where(~missing, None)))
        elif pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            values = out.iloc[:, position]
            present = values.dropna()
            if len(present) == 0 or (_INT32[0] <= present.min() and present.max() <= _INT32[1]):
                out.isetitem(position, values.astype("Int32" if len(present) < len(values) else "int32").array)
    return out


def _check_layers(layers: Mapping[str, pd.DataFrame], crs: Any) -> None:
    """Report every problem with the layers at once: names, frame types, CRS."""
    schema: list[str] = []
    crs_problems: list[str] = []
    reference = None
    for name, frame in layers.items():
        if not isinstance(name, str) or not name or name.lower().startswith(_RESERVED):
            schema.append(f"layer name {name!r} is empty or reserved by the GeoPackage format "
                          f"(names starting with {', '.join(_RESERVED)}); rename it")
        if not isinstance(frame, pd.DataFrame):
            schema.append(f"layer {name!r} is a {type(frame).__name__}; expected a (Geo)DataFrame")
            continue
        if not isinstance(frame, gpd.GeoDataFrame):
            continue
        if frame.crs is None:
            crs_problems.append(f"layer {name!r} has no CRS; set the study's CRS (e.g. EPSG:3035)")
        elif crs is None:
            if reference is None:
                reference = (name, frame.crs)
            elif frame.crs != reference[1]:
                crs_problems.append(
                    f"layer {name!r} is in {frame.crs.to_string()} but {reference[0]!r} in "
                    f"{reference[1].to_string()}; a GeoPackage of one study states one CRS: reproject, "
                    "or pass crs= to write every layer in one"
                )
    collect(schema, SchemaError, "GeoPackage layers")
    collect(crs_problems, CRSError, "GeoPackage layers")


def _in_crs(frame: pd.DataFrame, crs: Any) -> pd.DataFrame:
    if crs is None or not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        return frame
    return frame.to_crs(crs)


def _layer_metadata(name: str, frame: pd.DataFrame, aliases: Mapping[str, str]) -> dict[str, str]:
    """Layer-level GDAL metadata: DESCRIPTION and IDENTIFIER go to gpkg_contents, the rest to gpkg_metadata."""
    meta = {"IDENTIFIER": name}
    if name in LAYER_DESCRIPTIONS:
        meta["DESCRIPTION"] = LAYER_DESCRIPTIONS[name]
    for column in _field_names(frame):
        if column in aliases:
            # GDAL < 3.7 does not read aliases from gpkg_data_columns; as metadata ogrinfo lists them all
            meta[f"FIELD_{column}"] = aliases[column]
    return meta


def _field_names(frame: pd.DataFrame) -> list[str]:
    names = [str(frame.index.name)] if frame.index.name else []
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return names + [str(c) for c in frame.columns if c != geometry]


def _write_data_columns(conn: sqlite3.Connection, aliases: Mapping[str, Mapping[str, str]]) -> None:
    """Field aliases in the GeoPackage schema extension (``gpkg_data_columns``, registered)."""
    rows = [(table, column, alias, alias, None)
            for table, fields in aliases.items() for column, alias in fields.items()]
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_data_columns'").fetchone():
        conn.executemany("DELETE FROM gpkg_data_columns WHERE table_name = ?", [(t,) for t in aliases])
    if rows:
        # GDAL creates gpkg_extensions only once a layer needs an extension
        conn.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                     "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                     "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
            "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
            "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, "
            "max_is_inclusive BOOLEAN, description TEXT, "
            "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"
        )
        for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            registered = conn.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = ?",
                                      (table, "gpkg_schema")).fetchone()
            if not registered:
                conn.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
                             "VALUES (?, NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', "
                             "'read-write')", (table,))
        conn.executemany("INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                         "VALUES (?, ?, ?, ?, ?)", rows)


def _has_dates(frame: pd.DataFrame) -> bool:
    """Whether a frame holds a column of dates (pyarrow's ``date32``), which GDAL writes as a DATE field."""
    import pyarrow as pa

    return any(isinstance(dtype, pd.ArrowDtype) and pa.types.is_date(dtype.pyarrow_dtype) for dtype in frame.dtypes)


def _write_layer(data: pd.DataFrame, path: Path, name: str, *, first: bool, layer_metadata: Mapping[str, str]) -> None:
    import pyogrio

    options: dict[str, Any] = {"layer_metadata": dict(layer_metadata)}
    if _has_dates(data):
        # only GDAL's Arrow path writes a DATE field (the other writes dates as text); QGIS's temporal
        # controller reads a DATE field, e.g. the year_start of borderland trend's layers
        options["use_arrow"] = True
    if first:
        options["dataset_options"] = {"VERSION": GPKG_VERSION}
    if isinstance(data, gpd.GeoDataFrame):
        options["promote_to_multi"] = True
    pyogrio.write_dataframe(data, path, layer=name, driver="GPKG", **options)


def _write_run_metadata(conn: sqlite3.Connection, metadata: Mapping[str, Any]) -> None:
    """The run's metadata as a JSON document about the whole GeoPackage (metadata extension).

    Not as GDAL dataset metadata: GDAL 3.12 then writes a ``.aux.xml`` sidecar beside the file
    whenever anyone merely opens it. Tables and extension rows are created as GDAL creates them.
    """
    document = json.dumps(dict(metadata), ensure_ascii=False, indent=2)
    conn.execute("CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
                 "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
                 "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
    conn.execute("CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, "
                 "md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
                 "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')")
    conn.execute("CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, "
                 "table_name TEXT, column_name TEXT, row_id_value INTEGER, "
                 "timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), "
                 "md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
                 "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
                 "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))")
    for table in ("gpkg_metadata", "gpkg_metadata_reference"):
        if not conn.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = "
                            "'gpkg_metadata'", (table,)).fetchone():
            conn.execute("INSERT INTO gpkg_extensions VALUES (?, NULL, 'gpkg_metadata', "
                         "'http://www.geopackage.org/spec120/#extension_metadata', 'read-write')", (table,))
    row = conn.execute("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                       "VALUES ('dataset', ?, 'application/json', ?)", (RUN_METADATA_URI, document))
    conn.execute("INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id) VALUES ('geopackage', ?)",
                 (row.lastrowid,))


def read_run_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The run's metadata written by :func:`write_geopackage` (empty when the file has none).

    Parameters
    ----------
    path
        A GeoPackage.

    Returns
    -------
    dict
        As :func:`run_metadata` returned it.
    """
    with sqlite(path, read_only=True) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_metadata'").fetchone():
            return {}
        row = conn.execute("SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ? ORDER BY id DESC LIMIT 1",
                           (RUN_METADATA_URI,)).fetchone()
    return json.loads(row[0]) if row else {}


def _fill_gpkg(
    tmp: Path,
    layers: Mapping[str, pd.DataFrame],
    *,
    first: bool,
    metadata: Mapping[str, Any] | None,
    aliases: Mapping[str, str],
    styles: Sequence[LayerStyle],
    restyled: Sequence[str] = (),
) -> None:
    """Write layers, aliases, styles and metadata into ``tmp`` (a new file, or a copy being updated).

    ``tmp`` is a staging file: GDAL and SQLite write it without syncing each commit, and it is
    flushed to disk once, when complete (see :func:`_staged_writes`).
    """
    field_aliases: dict[str, dict[str, str]] = {}
    frames = {name: _for_gpkg(frame) for name, frame in layers.items()}
    # pyogrio writes one layer per call, each opening the file and committing on its own: GDAL
    # offers no transaction across calls, so the time saved is the syncs of those commits
    with _staged_writes():
        for position, (name, frame) in enumerate(layers.items()):
            _write_layer(frames[name], tmp, name, first=first and position == 0,
                         layer_metadata=_layer_metadata(name, frame, aliases))
            field_aliases[name] = {c: aliases[c] for c in _field_names(frame) if c in aliases}
        if styles or restyled:
            write_styles(tmp, styles, replace=restyled)
    with sqlite(tmp, staged=True) as conn:  # one transaction for the aliases and the metadata
        _write_data_columns(conn, field_aliases)
        if metadata:
            _write_run_metadata(conn, metadata)
    _sync(tmp)


# -- public API --------------------------------------------------------------------------------


def write_geopackage(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    crs: Any = None,
    metadata: Mapping[str, Any] | None = None,
    aliases: Mapping[str, str] | None = None,
    styles: Sequence[LayerStyle] = (),
) -> Path:
    """Write several layers (and attribute-only tables) into one GeoPackage, atomically.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (spatial layer) or DataFrame (attribute table), in the order
        QGIS and ``ogrinfo`` list them. Spatial layers must share one CRS unless ``crs`` is given.
    path
        The ``.gpkg`` file.
    overwrite
        Replace an existing file.
    crs
        Write every spatial layer in this CRS (e.g. ``"EPSG:4326"``); by default the layers' own.
    metadata
        What the GeoPackage as a whole is (e.g. from :func:`run_metadata`), stored as a JSON
        document (:func:`read_run_metadata` reads it back).
    aliases
        Field name -> display name with unit; :data:`FIELD_ALIASES` are used for the rest.
    styles
        QGIS styles to store in the ``layer_styles`` table, ready-made by
        :func:`borderland.maps.layer_styles` from the run's map model (built from ``layers``
        before any ``crs`` conversion: classes do not depend on the CRS); none by default.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    OutputError
        The file exists and ``overwrite`` is false, or the folder is not writable.
    SchemaError
        A layer name is reserved, a layer is not a frame, or a style names a layer that is not a
        spatial layer given.
    CRSError
        A spatial layer has no CRS, or the layers' CRSs differ and ``crs`` is not given.
    """
    _check_layers(layers, crs)
    _check_styles(styles, layers)
    names = {**FIELD_ALIASES, **(aliases or {})}
    frames = {name: _in_crs(frame, crs) for name, frame in layers.items()}
    target = Path(path)
    with atomic_path(target, overwrite=overwrite) as tmp:
        _fill_gpkg(tmp, frames, first=True, metadata=metadata, aliases=names, styles=styles)
    return target


def _check_styles(styles: Sequence[LayerStyle], layers: Mapping[str, pd.DataFrame]) -> None:
    """Styles name spatial layers being written, with one default each: checked before any file is touched."""
    problems = []
    spatial = {name for name, frame in layers.items() if isinstance(frame, gpd.GeoDataFrame)}
    stray = sorted({s.layer for s in styles} - spatial)
    if stray:
        problems.append(f"styles given for {stray}, which are not spatial layers written ({sorted(spatial)})")
    defaults = pd.Series([s.layer for s in styles if s.default], dtype=object).value_counts()
    if (defaults > 1).any():
        problems.append(f"more than one default style for layer(s) {sorted(defaults[defaults > 1].index)}")
    collect(problems, SchemaError, "GeoPackage styles")


def update_layer(
    path: str | os.PathLike[str],
    name: str,
    frame: pd.DataFrame,
    *,
    aliases: Mapping[str, str] | None = None,
    styles: Sequence[LayerStyle] = (),
) -> Path:
    """Replace (or add) one layer of an existing GeoPackage, atomically: copy, update, move.

    The other layers, the dataset metadata and the other layers' styles are kept; the layer's
    own aliases, description and styles are written anew (a style describes the data it was
    built from, so without new ones the layer keeps none). Until the updated copy is moved into
    place, the file at ``path`` is the old one, whole.

    Parameters
    ----------
    path
        An existing GeoPackage (e.g. from :func:`write_geopackage`).
    name
        The layer to replace or add.
    frame
        Its new content, in the CRS of the file's other spatial layers.
    aliases
        As in :func:`write_geopackage`.
    styles
        The layer's QGIS styles (e.g. those of :func:`borderland.maps.layer_styles` for
        ``name``, from a model built with the new frame); only styles of ``name``.

    Returns
    -------
    Path
        The updated file.

    Raises
    ------
    OutputError
        ``path`` does not exist.
    CRSError
        ``frame`` is in another CRS than the file's spatial layers.
    """
    import pyogrio

    target = Path(path)
    if not target.is_file():
        raise OutputError(f"{str(target)!r} does not exist; write it first with write_geopackage "
                          "(borderland run), then update a layer")
    _check_layers({name: frame}, None)
    if isinstance(frame, gpd.GeoDataFrame):
        for layer, geometry in pyogrio.list_layers(target):
            if layer != name and geometry is not None:
                file_crs = pyogrio.read_info(target, layer=layer)["crs"]
                if file_crs is not None and frame.crs != file_crs:
                    raise CRSError(f"layer {name!r} is in {frame.crs.to_string()} but {str(target)!r} in "
                                   f"{file_crs}; reproject it (frame.to_crs({file_crs!r})) before updating")
                break
    _check_styles(styles, {name: frame})
    names = {**FIELD_ALIASES, **(aliases or {})}
    with atomic_path(target, overwrite=True) as tmp:
        shutil.copyfile(target, tmp)
        _fill_gpkg(tmp, {name: frame}, first=False, metadata=None, aliases=names, styles=styles,
                   restyled=[name] if isinstance(frame, gpd.GeoDataFrame) else [])
    return target


def result_layers(result: StudyResult) -> dict[str, pd.DataFrame]:
    """The layers of a study's GeoPackage, by name (see :data:`RESULT_LAYERS`)."""
    layers = {}
    for name, get in RESULT_LAYERS.items():
        frame = get(result)
        if isinstance(frame, pd.DataFrame):
            layers[name] = frame
    return layers


def _label(name: str) -> str:
    """A component's name as a field alias shows it (``households_access`` -> ``Households access``)."""
    return name.replace("_", " ").capitalize()


def result_aliases(result: StudyResult) -> dict[str, str]:
    """Field aliases of a run: :data:`FIELD_ALIASES` plus each index component with its unit and year.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.

    Returns
    -------
    dict of str to str
        Field name -> display name.
    """
    spec = result.study.index
    aliases = dict(FIELD_ALIASES)
    aliases["index"] = (f"Digitalisation index {result.year} ({spec.normalisation} normalised, "
                        f"{spec.aggregation} mean of {len(spec.components)} components)")
    for component in spec.components:
        label = _label(component.name)
        unit = f"{component.unit}, " if component.unit else ""
        aliases[component.name] = f"{label} ({unit}{result.year})"
        aliases[f"{component.name}_indicator"] = f"{label}: indicator the value comes from (its definition)"
    gaps = result.study.gaps
    level = "q" if gaps.lisa_correction == "fdr" else "pseudo p"
    aliases["index_lisa_cluster"] = (f"LISA cluster: the quadrant where {level} <= {gaps.significance:g} "
                                     f"({CORRECTION_NAMES[gaps.lisa_correction]} over the regions tested, "
                                     f"{gaps.permutations} permutations), else not significant")
    population = _population_metadata(result)
    if population is not None and population["years"]:
        aliases["population_persons"] = (f"Population from the indicator table ({population['indicator']}, "
                                         f"{' or '.join(population['years'])} by region: population_year), persons")
    return aliases


def _population_metadata(result: StudyResult) -> dict[str, Any] | None:
    """The indicator population of a run: indicator, year rule, and the regions and sources of each year."""
    regions = result.regions
    if not {"population_persons", "population_year", "population_source"} <= set(regions.columns):
        return None
    attrs = regions.attrs.get("population", {})
    known = regions[regions["population_persons"].notna()]
    years = {}
    for year, group in known.groupby("population_year", sort=True):
        years[str(int(year))] = {"regions": sorted(map(str, group.index)),
                                 "sources": sorted({str(v) for v in group["population_source"].dropna()})}
    return {"indicator": attrs.get("indicator"), "rule": attrs.get("rule"), "years": years,
            "regions_without": sorted(map(str, regions.index[regions["population_persons"].isna()]))}


def _statistics_metadata(result: StudyResult) -> list[dict[str, Any]]:
    """The statistics table as JSON records; NaN becomes ``null`` (JSON has no NaN)."""
    table = result.statistics
    return [{column: (None if isinstance(value, float) and not np.isfinite(value) else value)
             for column, value in record.items()} for record in _plain(table.to_dict("records"))]


def _plain(value: Any) -> Any:
    """A value as JSON holds it: dataclasses as objects, tuples as lists, paths and the rest as text."""
    def default(item: Any) -> Any:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item)
        if isinstance(item, np.generic):
            return item.item()
        return str(item)

    return json.loads(json.dumps(value, ensure_ascii=False, default=default))


def software_versions() -> dict[str, str]:
    """Versions of borderland and of the libraries that shaped its output, GDAL and PROJ included."""
    import numpy
    import pyogrio
    import pyproj
    import shapely

    import borderland

    return {
        "borderland": borderland.__version__,
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "GEOS": shapely.geos_version_string,
        "pyogrio": pyogrio.__version__,
        "GDAL": pyogrio.__gdal_version_string__,
        "pyproj": pyproj.__version__,
        "PROJ": pyproj.proj_version_str,
        "pandas": pd.__version__,
        "numpy": numpy.__version__,
    }


def required_attributions(texts: Sequence[str]) -> list[str]:
    """Credits the sources named in ``texts`` require (:data:`REQUIRED_ATTRIBUTIONS`).

    Parameters
    ----------
    texts
        Source descriptions and credit lines.

    Returns
    -------
    list of str
        One credit per source found, in the order of :data:`REQUIRED_ATTRIBUTIONS`.

    Examples
    --------
    >>> required_attributions(["Eurostat GISCO NUTS 2024 1:3M level 2"])
    ['© EuroGeographics for the administrative boundaries', 'Source: Eurostat']
    """
    joined = "\n".join(texts).lower()
    return [credit for names, credit in REQUIRED_ATTRIBUTIONS if any(n.lower() in joined for n in names)]


def run_metadata(result: StudyResult, *, sources: Sequence[str] = ()) -> dict[str, Any]:
    """The run's parameters, software, sources and credits: the GeoPackage's metadata document.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.
    sources
        Further sources to name (e.g. the ``source`` of each indicator row used); the region
        layer's ``source`` column, the study's input files and the trade flows' sources are
        always named.

    Returns
    -------
    dict
        ``title``, ``attribution`` (the study's credits, then those the sources require that
        the study does not already give), ``sources``, ``crs``, ``index_year``,
        ``focus_country``, ``index_specification`` (every field of the index specification),
        ``typology_rule``, ``tolerances`` (distances in metres, distance origin, contiguity),
        ``population`` (the indicator population behind the weights: indicator, year rule, and
        for each year the regions and sources that take it; the regions without one),
        ``statistics`` (every global statistic, as rows of
        :func:`borderland.pipeline.statistics_table`; ``null`` for a value that is not a number),
        ``run_parameters`` (every other field of the study), ``software`` (versions of
        borderland, geopandas, shapely, GEOS, pyogrio, GDAL, pyproj, PROJ, pandas, numpy),
        ``study_file`` and ``created`` (UTC); JSON types only.
    """
    study = result.study
    region_sources = (sorted({str(s) for s in result.regions["source"].dropna()})
                      if "source" in result.regions.columns else [])
    sections = {f.name: getattr(study, f.name) for f in dataclasses.fields(study)
                if dataclasses.is_dataclass(getattr(study, f.name))}
    files = [f"{section}.{f.name}: {Path(getattr(spec, f.name)).name}"
             for section, spec in sections.items() for f in dataclasses.fields(spec)
             if isinstance(getattr(spec, f.name), Path)]
    flows = getattr(result, "flows", None)
    flow_sources = (sorted({str(s) for s in flows["source"].dropna()})
                    if isinstance(flows, pd.DataFrame) and "source" in flows.columns else [])
    named = [*region_sources, *files, *flow_sources, *[str(s) for s in sources]]
    named = list(dict.fromkeys(named))
    credits = list(study.attribution.lines)
    given = "\n".join(credits).lower()
    credits += [c for c in required_attributions([*named, *credits]) if c.lower() not in given]
    crs = result.regions.crs
    # every key of every section, so that a new option is recorded without a change here
    params = {name: _plain(spec) for name, spec in sections.items() if name not in ("index", "typology")}
    rule = {"method": study.typology.method, **dict(study.typology.kwargs), "labels": list(study.typology.labels)}
    tolerances = {f"{section}.{key}": value for section, keys in params.items() if isinstance(keys, dict)
                  for key, value in keys.items() if key.endswith("_m")}
    tolerances.update({"border.distance_origin": study.border.distance_origin,
                       "gaps.contiguity": study.gaps.contiguity})
    return {
        "title": study.title,
        "attribution": credits,
        "sources": named,
        "crs": crs.to_string() if crs is not None else None,
        "index_year": int(result.year),
        "focus_country": study.focus_country,
        "index_specification": _plain(study.index),
        "typology_rule": _plain(rule),
        "population": _plain(_population_metadata(result)),
        "statistics": _statistics_metadata(result),
        "tolerances": _plain(tolerances),
        "notes": list(result.notes),
        "run_parameters": _plain(params),
        "software": software_versions(),
        "study_file": str(study.source_file) if study.source_file else None,
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }


# -- other formats -----------------------------------------------------------------------------


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """The index as a column and plain column types, as every format writes them."""
    return _for_gpkg(frame)


def _write_parquet(frame: pd.DataFrame, layer: str, path: Path) -> None:
    try:
        import pyarrow  # noqa: F401  (geopandas and pandas need it to write Parquet)
    except ImportError:
        raise OutputError("GeoParquet needs pyarrow, which is not installed; run pip install pyarrow") from None
    data = _flat(frame)
    if isinstance(data, gpd.GeoDataFrame):
        data.to_parquet(path, index=False)
    else:
        pd.DataFrame(data).to_parquet(path, index=False)


def _write_geojson(frame: pd.DataFrame, layer: str, path: Path) -> None:
    import pyogrio

    data = _flat(frame)
    if isinstance(data, gpd.GeoDataFrame):
        data = data.to_crs(4326)  # RFC 7946: GeoJSON is longitude/latitude on WGS 84
        options = {"RFC7946": "YES"}
    else:
        # an attribute table: features without geometry, which RFC 7946 allows; GDAL's RFC 7946 mode would
        # warn that the layer has no SRS (it has no coordinates), so it is written without it: the same features
        options = {}
    # the layer's name is the GeoJSON's "name" member: the layer's own, not the temporary file's
    pyogrio.write_dataframe(data, path, driver="GeoJSON", layer=layer, layer_options=options)


def _write_csv(frame: pd.DataFrame, layer: str, path: Path) -> None:
    data = _flat(frame)
    if isinstance(data, gpd.GeoDataFrame):
        data = pd.DataFrame(data.drop(columns=data.geometry.name))
    data.to_csv(path, index=False, encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class _Format:
    suffix: str
    write: Callable[[pd.DataFrame, str, Path], None]  # (frame, layer name, file)
    spatial_only: bool = False


#: File formats of :func:`export_layers`: one file per layer (the GeoPackage holds them all).
FORMATS: Final[Mapping[str, _Format | None]] = {
    "gpkg": None,
    "geoparquet": _Format(".parquet", _write_parquet),
    "geojson": _Format(".geojson", _write_geojson),
    "csv": _Format(".csv", _write_csv),
}


def export_layers(
    layers: Mapping[str, pd.DataFrame],
    folder: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("gpkg",),
    crs: Any = None,
    overwrite: bool = False,
    name: str = "borderland",
    metadata: Mapping[str, Any] | None = None,
    aliases: Mapping[str, str] | None = None,
    styles: Sequence[LayerStyle] = (),
) -> dict[str, list[Path]]:
    """Write layers in several formats into ``folder``, each file atomically.

    ``gpkg`` writes one styled GeoPackage ``{name}.gpkg`` with every layer; ``geoparquet``,
    ``geojson`` and ``csv`` write one file per layer, named after it (``regions.parquet``...).
    GeoJSON is always EPSG:4326 (RFC 7946); CSV holds the attributes without geometry. With
    ``metadata``, the non-GeoPackage formats get it beside them as ``{name}_metadata.json``.
    Every target is checked first: without ``overwrite`` nothing is written if any exists.

    Parameters
    ----------
    layers
        Layer name -> (Geo)DataFrame, e.g. from :func:`result_layers`.
    folder
        Output folder (created when missing).
    formats
        Any of :data:`FORMATS`: ``"gpkg"``, ``"geoparquet"``, ``"geojson"``, ``"csv"``.
    crs
        CRS of the GeoPackage and GeoParquet layers; the layers' own by default.
    overwrite
        Replace existing files.
    name
        Stem of the GeoPackage and metadata files.
    metadata, aliases, styles
        As in :func:`write_geopackage` (the styles go into the GeoPackage only).

    Returns
    -------
    dict of str to list of Path
        Format -> files written (``"metadata"`` too when written).

    Raises
    ------
    SchemaError
        An unknown format.
    OutputError
        A target exists and ``overwrite`` is false.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise SchemaError(f"unknown export format(s) {unknown or 'none given'}; choose from {list(FORMATS)}")
    _check_layers(layers, crs)
    _check_styles(styles, layers)
    out = Path(folder)
    frames = {layer: _in_crs(frame, crs) for layer, frame in layers.items()}
    # (format, file, writer of the file's content into a temporary path); the GeoPackage has its own
    jobs: list[tuple[str, Path, Callable[[Path], None] | None]] = []
    for fmt in dict.fromkeys(formats):
        spec = FORMATS[fmt]
        if spec is None:
            jobs.append((fmt, out / f"{name}.gpkg", None))
        else:
            jobs += [(fmt, out / f"{layer}{spec.suffix}", functools.partial(spec.write, frame, layer))
                     for layer, frame in frames.items()]
    if metadata and any(fmt != "gpkg" for fmt, _, _ in jobs):
        text = json.dumps(dict(metadata), ensure_ascii=False, indent=2) + "\n"

        def write_metadata(tmp: Path) -> None:
            tmp.write_text(text, encoding="utf-8")

        jobs.append(("metadata", out / f"{name}_metadata.json", write_metadata))
    existing = [str(path) for _, path, _ in jobs if path.exists()]
    if existing and not overwrite:
        raise OutputError(f"output(s) exist already: {', '.join(existing)}; pass --overwrite to replace them")
    written: dict[str, list[Path]] = {}
    for fmt, path, write in jobs:
        if write is None:
            write_geopackage(frames, path, overwrite=overwrite, metadata=metadata, aliases=aliases, styles=styles)
        else:
            with atomic_path(path, overwrite=overwrite) as tmp:
                write(tmp)
        written.setdefault(fmt, []).append(path)
    return written


def export_result(
    result: StudyResult,
    folder: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("gpkg",),
    crs: Any = None,
    overwrite: bool = False,
    sources: Sequence[str] = (),
    styles: Sequence[LayerStyle] = (),
) -> dict[str, list[Path]]:
    """Export a study's layers with its metadata and aliases (what ``borderland export`` does).

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.
    folder, formats, crs, overwrite
        As in :func:`export_layers`.
    sources
        As in :func:`run_metadata`.
    styles
        QGIS styles of the layers (:func:`result_layers`), e.g.
        ``borderland.maps.layer_styles(result_layers(result), model, aliases=result_aliases(result))``.

    Returns
    -------
    dict of str to list of Path
        Format -> files written.
    """
    stem = Path(result.study.outputs.geopackage).stem
    return export_layers(result_layers(result), folder, formats=formats, crs=crs, overwrite=overwrite, name=stem,
                         metadata=run_metadata(result, sources=sources), aliases=result_aliases(result), styles=styles)


# -- the trend (borderland trend) ----------------------------------------------------------------

#: Display names of the trend's fields (``trend.gpkg``), over :data:`FIELD_ALIASES`.
TREND_FIELD_ALIASES: Final[Mapping[str, str]] = {
    "region": "Region code",
    "year": "Year",
    "year_start": "First day of the year (a date, for QGIS's temporal controller)",
    "value": "Value: the index on the trend's fixed scale (index_by_year), the measure's value (convergence)",
    "flag": "What to know about the value (a nearby year's value, interpolated, a change of definition, publisher "
            "or codes; unlike definitions across a pair)",
    "side": "Side of the border (the focus country, or others)",
    "interpolated": "A component's value is interpolated between two observed years (true / false)",
    "border_effect": "Border effect: mean of the same-country neighbours minus mean of the cross-border neighbours "
                     "(index points)",
    "pair": "Cross-border pair (region a|region b)",
    "value_a": "Index of region a on the trend's scale",
    "value_b": "Index of region b on the trend's scale",
    "comparable": "Both sides measure every component by the same definition that year (true / false)",
    "scope": "Scope of the row (pair or segment; borderland, country, side, between sides or countries)",
    "id": "Pair id or segment",
    "pairs_spanning": "Pairs with a gap in the segment's first and last years (count)",
    "first_year": "First year with a value",
    "last_year": "Last year with a value",
    "first_gap": "Gap in the first year (index points)",
    "last_gap": "Gap in the last year (index points)",
    "first_abs_gap": "Segment: mean absolute gap in the first year, over the pairs spanning both years (index points)",
    "last_abs_gap": "Segment: mean absolute gap in the last year, over the pairs spanning both years (index points)",
    "change": "Change from the first to the last year",
    "abs_change": "Change of the absolute gap from the first to the last year (index points)",
    "slope": "Least-squares slope of the gap per year (index points per year)",
    "slope_se": "Standard error of the slope",
    "slope_ci_low": "Slope: lower end of the confidence interval",
    "slope_ci_high": "Slope: upper end of the confidence interval",
    "abs_slope": "Least-squares slope of the absolute gap per year (index points per year)",
    "abs_slope_se": "Standard error of the absolute gap's slope",
    "abs_slope_ci_low": "Absolute gap's slope: lower end of the confidence interval",
    "abs_slope_ci_high": "Absolute gap's slope: upper end of the confidence interval",
    "status": "What happened to the gap from the first to the last year (closed, narrowed, widened, changed sign)",
    "trend": "What the absolute gap's interval says (narrowing, widening, no clear trend: stalled)",
    "broken": "The pair's series break in the years: its trend starts after the last break (true / false)",
    "years": "Years with a value (count)",
    "measure": "Measure (mean, sd, cv, between_sd, side_mean_gap, border_effect_mean, theil_*, beta)",
    "group": "Group (a country or side; empty for the whole borderland)",
    "panel": "Panel: all regions with a value that year, or the balanced panel (a value every year, no break)",
    "first": "Value in the first year",
    "last": "Value in the last year",
    "estimate": "Slope per year (sigma, Theil), or beta (yearly change per unit of the first year's level)",
    "estimate_se": "Standard error of the estimate",
    "ci_low": "Lower end of the confidence interval",
    "ci_high": "Upper end of the confidence interval",
    "r_squared": "Share of the variance explained (beta)",
    "verdict": "What the interval says: converging, diverging, falling, rising, no clear trend",
    "regions_indexed": "Regions with an index (count)",
    "nearby_year": "Regions indexed with a value of a nearby year (count)",
    "kept": "The year is kept (true / false)",
    "reason": "Why the year was left out",
    "kind": "Kind of change (definition, source, break flag, new codes)",
    "detail": "What changed",
    "max_abs_gap": "Largest absolute gap (index points)",
}


def _with_year_start(frame: pd.DataFrame) -> pd.DataFrame:
    from borderland.trend import year_start

    out = frame.copy()
    out.insert(list(out.columns).index("year") + 1, "year_start", year_start(out["year"]))
    return out


def trend_layers(result: TrendResult) -> dict[str, pd.DataFrame]:
    """The layers of ``trend.gpkg``: long tables with an integer ``year`` and a DATE ``year_start``.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``index_by_year`` (the regions' polygons, repeated per year), ``gaps_by_year`` (the pairs'
        shared lines, per year), ``gap_trends`` (pair and segment lines), and the tables
        ``segments_by_year``, ``convergence``, ``convergence_trends``, ``coverage_by_year`` and
        ``series_changes``; every layer with a ``year`` has a ``year_start`` date beside it.
    """
    regions, pairs = result.regions, result.pairs
    by_year = _with_year_start(result.index_by_year)
    index_layer = gpd.GeoDataFrame(by_year, geometry=regions.geometry.reindex(by_year["region"]).to_numpy(),
                                   crs=regions.crs)
    gaps = _with_year_start(result.gaps_by_year)
    gap_layer = gpd.GeoDataFrame(gaps, geometry=pairs.geometry.reindex(gaps["pair"]).to_numpy(), crs=pairs.crs)
    trends = result.gap_trends
    lines = pairs.geometry.reindex(trends["id"].where(trends["scope"] == "pair")).to_numpy()
    import shapely

    by_segment = {name: shapely.line_merge(shapely.union_all(group.geometry.to_numpy()))
                  for name, group in pairs[pairs["shared_border_km"] > 0].groupby("segment")}
    lines = [by_segment.get(seg) if scope == "segment" else line
             for scope, seg, line in zip(trends["scope"], trends["segment"], lines, strict=True)]
    trend_layer = gpd.GeoDataFrame(trends, geometry=lines, crs=pairs.crs)
    return {
        "index_by_year": index_layer,
        "gaps_by_year": gap_layer,
        "gap_trends": trend_layer,
        "segments_by_year": _with_year_start(result.segments_by_year.astype({"year": "int64"})),
        "convergence": _with_year_start(result.convergence),
        "convergence_trends": result.convergence_trends,
        "coverage_by_year": _with_year_start(result.coverage),
        "series_changes": _with_year_start(result.changes),
    }


def trend_aliases(result: TrendResult) -> dict[str, str]:
    """Field aliases of ``trend.gpkg``: :data:`TREND_FIELD_ALIASES` and each component with its unit.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.

    Returns
    -------
    dict of str to str
        Field name -> display name.
    """
    aliases = dict(TREND_FIELD_ALIASES)
    aliases["value"] = f"{aliases['value']}; scale: {result.scale.describe()}"
    for component in result.index_spec.components:
        label = _label(component.name)
        unit = f" ({component.unit})" if component.unit else ""
        aliases[component.name] = f"{label}{unit}, raw value"
        aliases[f"{component.name}_year"] = f"{label}: the year its value comes from"
    return aliases


def trend_metadata(result: TrendResult) -> dict[str, Any]:
    """What ``trend.gpkg`` is: the study, its ``[trend]``, the scale, the years kept and left out, sources, software.

    Parameters
    ----------
    result
        From :func:`borderland.trend.run`.

    Returns
    -------
    dict
        JSON types only: ``title``, ``attribution``, ``sources``, ``crs``, ``trend`` (every key of
        ``[trend]``), ``index_specification``, ``scale`` (method, base year, bounds, weights),
        ``years``, ``left_out`` (year -> reason), ``changes`` (count per kind), ``notes``,
        ``software``, ``study_file``, ``created``.
    """
    study = result.study
    sources = [f"regions.path: {study.regions.path.name}", f"indicators.path: {study.indicators.path.name}"]
    credits = list(study.attribution.lines)
    given = "\n".join(credits).lower()
    credits += [c for c in required_attributions([*sources, *credits]) if c.lower() not in given]
    scale = result.scale
    return {
        "title": study.title,
        "attribution": credits,
        "sources": sources,
        "crs": result.regions.crs.to_string() if result.regions.crs is not None else None,
        "trend": _plain(result.spec),
        "index_specification": _plain(result.index_spec),
        "scale": {"method": scale.method, "base_year": scale.base_year, "capped": scale.capped,
                  "low": _plain(scale.low.to_dict()), "high": _plain(scale.high.to_dict()),
                  "weights": _plain(scale.weights.to_dict()), "description": scale.describe()},
        "years": list(result.years),
        "left_out": {str(row.year): row.reason for row in result.left_out.itertuples()},
        "changes": _plain(result.changes["kind"].value_counts().to_dict()),
        "notes": list(result.notes),
        "software": software_versions(),
        "study_file": str(study.source_file) if study.source_file else None,
        "created": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }
