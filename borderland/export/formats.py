"""Other formats than the GeoPackage: GeoParquet, GeoJSON (EPSG:4326) and CSV, one file per layer.

:func:`export_layers` writes the same layers in any of :data:`FORMATS` (the GeoPackage through
:mod:`borderland.export.geopackage`), each file atomically, every target checked first;
:func:`export_result` is a run's layers with its metadata and aliases (``borderland export``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import pandas as pd

from borderland.errors import OutputError, SchemaError
from borderland.export.geopackage import _check_layers, _check_styles, _for_gpkg, _in_crs, write_geopackage
from borderland.export.result import result_aliases, result_layers, run_metadata
from borderland.io import atomic_path
from borderland.pipeline import StudyResult

if TYPE_CHECKING:
    from borderland.maps.qgis import LayerStyle

__all__ = ["FORMATS", "export_layers", "export_result"]


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


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): these first characters.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_text(value: object) -> object:
    """A text cell a spreadsheet shows as text: one it would read as a formula gets a leading ``'``.

    A region named ``=HYPERLINK("http://x", "y")`` or a code ``+cmd`` would otherwise run in Excel
    or LibreOffice when the CSV is opened (OWASP's CSV injection); the apostrophe makes the cell
    text there. Numbers are numbers (``-0.2`` stays one), and missing values stay missing.

    Examples
    --------
    >>> _spreadsheet_text("=1+1"), _spreadsheet_text("-1+1"), _spreadsheet_text("Pskov"), _spreadsheet_text(-0.2)
    ("'=1+1", "'-1+1", 'Pskov', -0.2)
    """
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _write_csv(frame: pd.DataFrame, layer: str, path: Path) -> None:
    data = _flat(frame)
    if isinstance(data, gpd.GeoDataFrame):
        data = pd.DataFrame(data.drop(columns=data.geometry.name))
    # the CSV is the format opened in a spreadsheet; the other formats keep every text as it is (to join on)
    data = data.rename(columns=_spreadsheet_text)
    text = [column for column in data.columns if pd.api.types.is_string_dtype(data[column].dtype)]
    data[text] = data[text].map(_spreadsheet_text)
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
