"""Reading layers and tables, finding bundled data, and writing outputs atomically.

This is the only module that touches the file system for inputs; everything downstream takes
and returns (Geo)DataFrames.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd

from borderland.errors import InputError, OutputError

_HERE = Path(__file__).resolve().parent

#: Extensions pandas reads as tables, and how.
TABLE_FORMATS = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".parquet")


def package_data(name: str) -> Path:
    """Path of a folder shipped with borderland (``geodata`` or ``templates``).

    In an installed wheel the folders live inside the package; in a source checkout they sit at
    the top of the repository (``geodata/``, ``maps/templates/``).

    Parameters
    ----------
    name
        ``"geodata"`` or ``"templates"``.

    Returns
    -------
    Path
        The folder.
    """
    checkout = {"geodata": _HERE.parent / "geodata", "templates": _HERE.parent / "maps" / "templates"}
    for candidate in (_HERE / name, checkout[name]):
        if candidate.is_dir():
            return candidate
    raise InputError(f"bundled folder {name!r} not found next to the package ({_HERE}); reinstall borderland")


def bundled(filename: str) -> Path:
    """Path of one file of the bundled default study (see ``geodata/README.md``).

    Parameters
    ----------
    filename
        File name inside ``geodata/``, e.g. ``"regions.gpkg"``.

    Returns
    -------
    Path
        The file.

    Examples
    --------
    >>> bundled("regions.gpkg").name
    'regions.gpkg'
    """
    path = package_data("geodata") / filename
    if not path.exists():
        raise InputError(f"bundled file {filename!r} is missing from {path.parent}; run geodata/build.py")
    return path


#: What each bundled file holds (see geodata/README.md for sources and licences).
BUNDLED_FILES: dict[str, str] = {
    "study.toml": "the default study: Russia's western borderland (run with `borderland run`)",
    "regions.gpkg": "92 regions: RU federal subjects (rings 1-2), BY and UA oblasts, NUTS 2 of NO FI EE LV LT PL; "
                    "EPSG:3035; Natural Earth + © EuroGeographics (NUTS)",
    "countries.gpkg": "countries (clipped) and Natural Earth land border lines; EPSG:3035; public domain",
    "indicators.csv": "tidy digital and trade indicators matched to the regions; Eurostat, Rosstat",
    "published_figures.csv": "figures quoted in two published studies (Mogilev SME trade 2018, EAEU survey 2019)",
    "population_gpw_v4_2000_15min.tif": "population count 2000, 15' grid; GPW v4.11, CIESIN, CC BY 4.0",
    "europe/study.toml": "a second study: every NUTS 2 region of Europe with Eurostat isoc_r_iacc_h",
}


def bundled_datasets() -> list[tuple[str, Path, str]]:
    """The bundled files: name, path and what each holds."""
    folder = package_data("geodata")
    return [(name, folder / name, what) for name, what in BUNDLED_FILES.items() if (folder / name).exists()]


def require_file(path: str | os.PathLike[str], what: str) -> Path:
    """The path of an input file that exists and is not a folder (a ``.gdb`` or ``.shp`` folder is one).

    Parameters
    ----------
    path
        The file.
    what
        What it is, for the message (``"layer file"``).

    Raises
    ------
    InputError
        It does not exist, or it is a folder.
    """
    path = Path(path)
    if not path.exists():
        where = ("" if path.is_absolute() else f" (relative paths start at {Path.cwd()}; in a study file, "
                 "at the study file's folder)")
        raise InputError(f"{what} {str(path)!r} does not exist; check the path{where}")
    if path.is_dir() and path.suffix.lower() not in (".gdb", ".shp"):
        raise InputError(f"{what} {str(path)!r} is a folder; give the file itself")
    return path


def read_layer(path: str | os.PathLike[str], layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer in any format GDAL reads (GeoPackage, GeoJSON, Shapefile, ...).

    Parameters
    ----------
    path
        The file.
    layer
        Layer name, for multi-layer files; the first layer when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        The features as read, with their CRS.
    """
    path = require_file(Path(path), "layer file")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"layer file {str(path)!r} is empty (0 bytes); give a GeoPackage, GeoJSON, Shapefile or "
                         "another format GDAL reads")
    names = layer_names(path)
    if layer is not None and names and layer not in names:
        raise InputError(f"{str(path)!r} has no layer {layer!r}; its layers are {', '.join(names)}")
    if layer is None and len(names) > 1:
        layer = names[0]  # what GDAL reads by default, named so that pyogrio does not warn
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
        raise InputError(
            f"cannot read {str(path)!r} as a vector layer ({type(exc).__name__}: {exc}); "
            "give a GeoPackage, GeoJSON, Shapefile or another format GDAL reads"
        ) from exc
    return frame


def layer_names(path: str | os.PathLike[str]) -> list[str]:
    """The layers of a vector file, in order (empty when the file cannot be read as one).

    Examples
    --------
    >>> layer_names(bundled("countries.gpkg"))
    ['countries', 'border_lines']
    """
    import pyogrio

    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception:  # unreadable: read_layer says why
        return []


def read_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    skip_rows: int = 0,
) -> pd.DataFrame:
    """Read an indicator table from CSV, Excel or Parquet, as text-faithful as possible.

    Every CSV cell is read as text (``"01"`` stays ``"01"``); values are converted later, by
    :func:`borderland.indicators.tidy_table`, which names the cells that are not numbers and
    detects a decimal comma.

    Parameters
    ----------
    path
        The file (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``, ``.xls``, ``.parquet``).
    sheet
        Excel sheet name or number (first sheet when omitted).
    encoding
        Text encoding of a CSV; when omitted, UTF-16 is recognised by its byte order mark, else
        UTF-8 (with or without BOM) is tried, then cp1251.
    delimiter
        CSV delimiter; when omitted, the one of ``, ; TAB |`` that splits the first rows into
        the same number of columns (the most columns, when several do) is taken.
    skip_rows
        Title rows above the column names (statistical offices' sheets often have merged ones).

    Returns
    -------
    pandas.DataFrame
        The table, every column as read.

    Raises
    ------
    InputError
        The file is missing, empty, of an unknown format, cannot be decoded or split into
        columns, names a sheet it does not have, or has title rows above its column names
        (the message gives ``skip_rows``).
    """
    path = require_file(Path(path), "table file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InputError(f"unknown table format {suffix!r} of {str(path)!r}; use one of {', '.join(TABLE_FORMATS)}")
    if path.stat().st_size == 0:
        raise InputError(f"table {str(path)!r} is empty (0 bytes); give a table with a header and data rows")
    try:
        if suffix in (".xlsx", ".xls"):
            return _read_excel(path, sheet, skip_rows)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        text = _decoded(path, encoding)
        if skip_rows:
            text = "\n".join(text.split("\n")[skip_rows:])
        if not text.strip():
            raise InputError(f"table {str(path)!r} holds no columns (blank lines only?); give a table with a header "
                             "and data rows")
        if delimiter is None:
            delimiter = _sniff_delimiter(path, text, skip_rows)
        # every cell as text: numbers are parsed later, where bad cells can be named; "a, b" is ("a", "b")
        frame = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                            sep=delimiter, engine="python" if delimiter is None else "c", skipinitialspace=True)
        return frame.rename(columns=lambda name: name.strip() if isinstance(name, str) else name)
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"table {str(path)!r} holds no columns (blank lines only?); give a table with a header "
                         "and data rows") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(f"cannot split the rows of {str(path)!r} into columns ({str(exc).strip()}); set "
                         "delimiter = \";\" (or the file's delimiter) in [indicators], and quote cells that hold "
                         "it") from None
    except Exception as exc:
        raise InputError(f"cannot read table {str(path)!r} ({type(exc).__name__}: {exc})") from exc


def _read_excel(path: Path, sheet: str | int | None, skip_rows: int) -> pd.DataFrame:
    with pd.ExcelFile(path) as book:
        names = [str(name) for name in book.sheet_names]
        chosen = sheet if sheet is not None else 0
        if (isinstance(chosen, str) and chosen not in names) or (isinstance(chosen, int) and chosen >= len(names)):
            raise InputError(f"{str(path)!r} has no sheet {chosen!r}; its sheets are {', '.join(names)}: set "
                             "[indicators] sheet to one of them (a name, or a number from 0)")
        return pd.read_excel(book, sheet_name=chosen, dtype=object, skiprows=skip_rows)


#: Byte order marks that say which encoding a text file is in.
_BOMS: Final = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _decoded(path: Path, encoding: str | None) -> str:
    """The text of a CSV: in ``encoding``, or in the first of UTF-16 (by its BOM), UTF-8, cp1251 that fits."""
    data = path.read_bytes()
    if encoding:
        candidates = [encoding]
    else:
        candidates = [name for bom, name in _BOMS if data.startswith(bom)] or ["utf-8-sig", "cp1251"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # a table holds no NUL character: text with NULs was decoded with the wrong encoding (UTF-16?)
        if "\x00" not in text:
            return text.removeprefix("\ufeff")
    hint = "" if encoding else "; e.g. \"utf-16-le\" for text saved as Unicode without a byte order mark"
    raise InputError(f"cannot decode {str(path)!r} as {' or '.join(candidates)}; set encoding = \"...\" in "
                     f"[indicators] to the file's encoding{hint}")


#: Delimiters tried when none is given, in order of preference on a tie.
_DELIMITERS: Final = (",", ";", "\t", "|")
_SAMPLE_ROWS: Final = 50


def _sniff_delimiter(path: Path, text: str, skip_rows: int) -> str | None:
    """The delimiter that splits the first rows into one number of columns, or ``None`` (pandas guesses).

    A header such as ``region_id;internet access, %`` defeats a guess from the header alone
    (it has a comma too), so the first rows are split with each candidate and the one giving
    every row the same number of columns, the most columns, wins. Rows at the top with fewer
    columns than the rest are title rows: the error names ``skip_rows``.
    """
    sample = text[:1 << 16]
    truncated = len(text) > len(sample)
    best: tuple[int, str, int] | None = None  # columns, delimiter, title rows
    for delimiter in _DELIMITERS:
        try:
            rows = [row for row in itertools.islice(csv.reader(_io.StringIO(sample), delimiter=delimiter),
                                                    _SAMPLE_ROWS + 1) if row]
        except csv.Error:
            continue
        if truncated or len(rows) > _SAMPLE_ROWS:
            rows = rows[:-1]  # the last row of a sample may be cut short
        counts = [len(row) for row in rows]
        if not counts:
            continue
        columns = max(set(counts), key=lambda n: (counts.count(n), n))
        first = counts.index(columns)
        if columns < 2 or any(n != columns for n in counts[first:]) or any(n > columns for n in counts[:first]):
            continue
        if best is None or columns > best[0]:
            best = (columns, delimiter, first)
    if best is None:
        return None
    columns, delimiter, titles = best
    if titles:
        raise InputError(
            f"the column names of {path.name} are on row {skip_rows + titles + 1}, under {titles} title row(s) with "
            f"fewer cells (merged header cells?): set skip_rows = {skip_rows + titles} in [indicators]")
    return delimiter


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``, moved onto ``target`` only if the block succeeds.

    An existing file at ``target`` is therefore either left untouched (error, interruption) or
    replaced whole (success); it is never half-overwritten.

    Parameters
    ----------
    target
        The final path.
    overwrite
        Replace an existing ``target``; when false an existing file is an error.

    Yields
    ------
    Path
        Where to write.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputError(f"{str(target)!r} exists already; pass --overwrite (overwrite=True) to replace it")
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".part{target.suffix}", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write into {str(folder)!r} ({exc.strerror}); choose another output folder") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to open an existing empty file as a GeoPackage
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
