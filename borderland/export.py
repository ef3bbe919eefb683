"""Writing results: a multi-layer GeoPackage and the study's map, each file atomically.

Every target is checked before anything is written, so a refused overwrite leaves all earlier
outputs as they were; each file is written to a temporary name and moved into place whole.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from borderland.errors import OutputError
from borderland.io import atomic_path
from borderland.pipeline import StudyResult


def _for_gpkg(frame: pd.DataFrame) -> pd.DataFrame:
    """Make column types GDAL writes faithfully (nullable strings as object, index as a column)."""
    out = frame.reset_index() if frame.index.name else frame.reset_index(drop=True)
    for column in out.columns:
        if isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def write_geopackage(
    layers: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write several layers (and attribute-only tables) into one GeoPackage, atomically.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (spatial layer) or DataFrame (attribute table).
    path
        The ``.gpkg`` file.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    import pyogrio

    target = Path(path)
    with atomic_path(target, overwrite=overwrite) as tmp:
        for name, frame in layers.items():
            data = _for_gpkg(frame)
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(data, tmp, layer=name, driver="GPKG", promote_to_multi=True)
            else:
                pyogrio.write_dataframe(data, tmp, layer=name, driver="GPKG")
    return target


def result_layers(result: StudyResult) -> dict[str, pd.DataFrame]:
    """The layers of a study's GeoPackage, by name."""
    return {
        "regions": result.regions,
        "border_lines": result.border_lines,
        "neighbour_pairs": result.pairs,
    }


def write_outputs(result: StudyResult, out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> dict[str, Path]:
    """Write the study's GeoPackage and interactive map into ``out_dir``.

    Parameters
    ----------
    result
        From :func:`borderland.pipeline.run`.
    out_dir
        Output folder (created when missing).
    overwrite
        Replace existing outputs; without it, nothing is written if any output exists.

    Returns
    -------
    dict of str to Path
        ``{"geopackage": ..., "map": ...}``.
    """
    from borderland import maps

    folder = Path(out_dir)
    targets = {"geopackage": folder / result.study.geopackage_name, "map": folder / result.study.map_name}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise OutputError(f"output(s) exist already: {', '.join(existing)}; pass --overwrite to replace them")
    write_geopackage(result_layers(result), targets["geopackage"], overwrite=overwrite)
    figure = maps.divide_map(
        result.regions, result.border_lines, result.pairs,
        title=f"{result.study.title} ({result.year})", attribution=result.study.attribution,
    )
    maps.write_map(figure, targets["map"], overwrite=overwrite)
    return targets
