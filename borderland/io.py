"""Reading layers and tables, finding bundled data, and writing outputs atomically.

This is the only module that touches the file system for inputs; everything downstream takes
and returns (Geo)DataFrames.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

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


def _require_file(path: Path, what: str) -> Path:
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
    path = _require_file(Path(path), "layer file")
    if layer is not None:
        import pyogrio

        try:
            names = [str(name) for name, _ in pyogrio.list_layers(path)]
        except Exception:  # unreadable: the read below says why
            names = []
        if names and layer not in names:
            raise InputError(f"{str(path)!r} has no layer {layer!r}; its layers are {', '.join(names)}")
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
        raise InputError(
            f"cannot read {str(path)!r} as a vector layer ({type(exc).__name__}: {exc}); "
            "give a GeoPackage, GeoJSON, Shapefile or another format GDAL reads"
        ) from exc
    return frame


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
        Text encoding of a CSV; UTF-8 (with or without BOM) is tried, then cp1251.
    delimiter
        CSV delimiter; sniffed when omitted.
    skip_rows
        Title rows above the column names (statistical offices' sheets often have merged ones).

    Returns
    -------
    pandas.DataFrame
        The table, every column as read.
    """
    path = _require_file(Path(path), "table file")
    suffix = path.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise InputError(f"unknown table format {suffix!r} of {str(path)!r}; use one of {', '.join(TABLE_FORMATS)}")
    if path.stat().st_size == 0:
        raise InputError(f"table {str(path)!r} is empty (0 bytes); give a table with a header and data rows")
    try:
        if suffix in (".xlsx", ".xls"):
            return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object, skiprows=skip_rows)
        if suffix == ".parquet":
            return pd.read_parquet(path)
        encodings = [encoding] if encoding else ["utf-8-sig", "cp1251"]
        for enc in encodings:
            try:
                # every cell as text: numbers are parsed later, where bad cells can be named
                return pd.read_csv(
                    path, dtype=str, keep_default_na=False, na_values=[""], encoding=enc,
                    sep=delimiter, engine="python" if delimiter is None else "c", skiprows=skip_rows,
                )
            except UnicodeDecodeError:
                continue
        raise InputError(f"cannot decode {str(path)!r} as {' or '.join(encodings)}; set encoding = \"...\" "
                         "in [indicators]")
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"table {str(path)!r} holds no columns (blank lines only?); give a table with a header "
                         "and data rows") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(f"cannot split the rows of {str(path)!r} into columns ({exc}); set delimiter = \";\" "
                         "(or the file's delimiter) in [indicators]") from None
    except Exception as exc:
        raise InputError(f"cannot read table {str(path)!r} ({type(exc).__name__}: {exc})") from exc


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
