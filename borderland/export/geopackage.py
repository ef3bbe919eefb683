"""The GeoPackage writer: layers, field aliases, QGIS styles and the metadata document, written safely.

Every target is checked before anything is written; each file is written under a hidden
temporary name beside the target, without a sync at every commit, and flushed once and moved
into place only when complete (:func:`write_geopackage`); :func:`update_layer` replaces one layer
of an existing file by copy, update and move. The ``layer_styles`` table (:func:`write_styles`,
:func:`read_styles`) takes the styles ready-made (:func:`borderland.maps.layer_styles`): this
module never imports the map code.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import geopandas as gpd
import pandas as pd

from borderland.errors import CRSError, OutputError, SchemaError, collect
from borderland.export.names import FIELD_ALIASES, LAYER_DESCRIPTIONS
from borderland.io import atomic_path

if TYPE_CHECKING:
    from borderland.maps.qgis import LayerStyle

__all__ = ["GPKG_VERSION", "RUN_METADATA_URI", "STYLE_COLUMNS", "STYLE_TABLE", "read_run_metadata", "read_styles",
           "sqlite", "update_layer", "write_geopackage", "write_styles"]

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
            # in numpy: pandas' astype and where cost a millisecond a column, and a run writes a hundred
            plain = values.to_numpy(dtype=object, copy=True)
            plain[pd.isna(plain)] = None
            # a Series keeps its object dtype (an array would be read as text again); the stubs want arrays
            out.isetitem(position, cast(Any, pd.Series(plain, index=out.index, dtype=object)))
        elif pd.api.types.is_object_dtype(dtype):
            plain = out.iloc[:, position].to_numpy()
            missing = pd.isna(plain)
            if missing.any():  # NULL, whatever stands for missing (None, NaN, pd.NA)
                plain = plain.copy()
                plain[missing] = None
                out.isetitem(position, cast(Any, pd.Series(plain, index=out.index, dtype=object)))
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

