"""The checks of the map inputs: every problem with the frames and the kinds, reported at once.

:func:`_resolve_kinds` chooses the kinds to draw (as the spec says, or every kind whose input
is present) and :func:`_check_inputs` checks each frame a chosen kind reads: it is a
GeoDataFrame with its columns (:data:`REGION_COLUMNS`, :data:`PAIR_COLUMNS`, ...), in the
projected CRS of the regions, with values of the expected kind (numbers, probabilities within
0..1, typology classes the map knows, lines for flows). Problems of the CRS and of the schema are
each collected and raised once (:func:`borderland.errors.collect`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import pandas as pd

from borderland.errors import CRSError, SchemaError, collect
from borderland.maps.layers import _missing
from borderland.maps.spec import KINDS, MapSpec

__all__ = [
    "BAND_COLUMNS", "BORDER_COLUMNS", "COUNTRY_COLUMNS", "FLOW_COLUMNS", "PAIR_COLUMNS", "PAIR_COMPARABILITY_COLUMNS",
    "REGION_COLUMNS",
]

#: Columns each input frame must have (besides its geometry).
REGION_COLUMNS: Final = ("name", "country")
BORDER_COLUMNS: Final = ("country_a", "country_b", "length_km")
PAIR_COLUMNS: Final = (
    "region_a", "region_b", "name_a", "name_b", "country_a", "country_b",
    "cross_border", "shared_border_km", "gap", "abs_gap",
)
#: Optional columns of the pairs: gaps that rest on a component defined differently on the two
#: sides (``comparable`` false) are dashed (:mod:`borderland.comparability`).
PAIR_COMPARABILITY_COLUMNS: Final = ("comparable", "noncomparable_components")
COUNTRY_COLUMNS: Final = ("country",)
BAND_COLUMNS: Final = ("band", "country")
FLOW_COLUMNS: Final = ("origin", "destination", "value", "unit", "flow_type", "year", "source")


def _resolve_kinds(spec: MapSpec, regions: gpd.GeoDataFrame, *, pairs: gpd.GeoDataFrame | None,
                   bands: gpd.GeoDataFrame | None, flows: gpd.GeoDataFrame | None) -> tuple[str, ...]:
    """The kinds to draw, in order: as the spec says, or every kind whose input is present."""
    if spec.kinds is None:
        has = set(regions.columns) if isinstance(regions, pd.DataFrame) else set()
        optional = {"indicator": bool(spec.columns), "population": spec.population_column in has,
                    "uncertainty": spec.probability_column in has, "bands": bands is not None,
                    "gaps": pairs is not None, "trade": flows is not None}
        return tuple(kind for kind in KINDS if optional.get(kind, True))
    chosen = tuple(dict.fromkeys(spec.kinds))
    needs = {"bands": (bands is None, "bands=, the distance bands (band, country, polygons)"),
             "trade": (flows is None, "flows=, the trade flow lines"),
             "gaps": (pairs is None, "pairs, the adjacent region pairs with their gaps")}
    problems = [f"kind {kind!r} needs {what}" for kind, (lacking, what) in needs.items()
                if kind in chosen and lacking]
    collect(problems, SchemaError, "map kinds")
    return chosen


def _required_region_columns(kinds: Sequence[str], spec: MapSpec) -> list[str]:
    by_kind = {"index": ["index"], "typology": ["typology"], "rings": ["border_order"],
               "indicator": list(spec.columns), "population": [spec.population_column],
               "uncertainty": ["typology", spec.probability_column]}
    required = list(REGION_COLUMNS)
    for kind in kinds:
        required += [c for c in by_kind.get(kind, []) if c not in required]
    return required


def _check_frame(label: str, frame: Any, required: Sequence[str], reference: Any, schema: list[str],
                 crs: list[str]) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        schema.append(f"{label} is a {type(frame).__name__}; expected a GeoDataFrame")
        return
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:
        schema.append(f"{label} has several columns named {repeated}; keep one of each")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        schema.append(f"{label} lacks column(s) {missing}; expected {list(required)}")
    if frame.empty and label != "regions":
        return  # nothing to draw, nothing to convert
    if frame.crs is None:
        crs.append(f"{label} has no CRS; set the projected CRS of the study (e.g. EPSG:3035)")
    elif not frame.crs.is_projected:
        crs.append(
            f"{label} is in {frame.crs.to_string()}, a geographic CRS; the map takes projected layers "
            "(metres, e.g. EPSG:3035) and converts them to EPSG:4326 itself"
        )
    elif reference is not None and frame.crs != reference:
        crs.append(f"{label} is in {frame.crs.to_string()} but regions in {reference.to_string()}; "
                   "reproject every layer once, at the start")


def _absent_columns(absent: Sequence[str], regions: pd.DataFrame) -> str:
    """Indicator columns the regions lack, with the numeric columns they have and the nearest names."""
    import difflib

    numeric = [str(c) for c in regions.columns if c != getattr(regions, "_geometry_column_name", None)
               and pd.api.types.is_numeric_dtype(regions[c]) and not pd.api.types.is_bool_dtype(regions[c])]
    close = list(dict.fromkeys(m for c in absent for m in difflib.get_close_matches(str(c), numeric, n=3)))
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return (f"columns {list(absent)}: the regions have no such column; {hint}the numeric columns a map can draw "
            f"are {', '.join(numeric) or 'none'} (--column)")


def _check_inputs(frames: Mapping[str, gpd.GeoDataFrame | None], kinds: Sequence[str], spec: MapSpec) -> None:
    """Report every problem with the map inputs at once."""
    required = {
        "regions": _required_region_columns(kinds, spec),
        "border_lines": BORDER_COLUMNS, "pairs": PAIR_COLUMNS, "countries": COUNTRY_COLUMNS,
        "bands": BAND_COLUMNS, "flows": FLOW_COLUMNS,
    }
    # a frame no chosen kind draws is not read, so it is not checked either
    used = {"regions", "border_lines", "countries"}
    used.update(label for label, kind in (("pairs", "gaps"), ("bands", "bands"), ("flows", "trade"))
                if kind in kinds)
    schema: list[str] = []
    crs: list[str] = []
    regions = frames["regions"]
    reference = regions.crs if isinstance(regions, gpd.GeoDataFrame) else None
    if "indicator" in kinds and isinstance(regions, pd.DataFrame):
        absent = [c for c in spec.columns if c not in regions.columns]
        if absent:
            # a column the user named (--column): said with the ones there are, not as a missing input column
            required["regions"] = [c for c in required["regions"] if c not in absent]
            schema.append(_absent_columns(absent, regions))
    for label, frame in frames.items():
        if frame is not None and label in used:
            _check_frame(label, frame, required[label], reference, schema, crs)
    # a repeated column name is reported above; its values cannot be read as one column
    if isinstance(regions, gpd.GeoDataFrame) and not regions.columns.duplicated().any():
        if regions.empty:
            schema.append("regions is empty; the map needs at least one region")
        if "typology" in regions.columns and {"typology", "uncertainty"} & set(kinds):
            labels = spec.typology_labels
            unknown = sorted({str(v) for v in regions["typology"] if not _missing(v)} - set(labels))
            if unknown:
                schema.append(f"regions.typology holds {unknown}; expected one of {list(labels)} "
                              "or a missing value (MapSpec typology_labels names the classes)")
        numeric = list(spec.columns) if "indicator" in kinds else []
        numeric += [spec.population_column] if "population" in kinds else []
        numeric += [spec.probability_column] if "uncertainty" in kinds else []
        for column in numeric:
            if column in regions.columns and not pd.api.types.is_numeric_dtype(regions[column]):
                schema.append(f"regions.{column} holds non-numeric values (dtype {regions[column].dtype}); "
                              "expected numbers (convert it with pandas.to_numeric)")
        column = spec.probability_column
        if "uncertainty" in kinds and column in regions.columns and pd.api.types.is_numeric_dtype(regions[column]):
            outside = regions[column].dropna()
            outside = outside[(outside < 0) | (outside > 1)]
            if len(outside):
                schema.append(f"regions.{column} has values outside 0..1 (e.g. "
                              f"{outside.index[0]}: {outside.iloc[0]}); expected a probability")
        empty = regions.geometry.isna() | regions.geometry.is_empty
        if empty.any():
            schema.append(f"regions {list(regions.index[empty][:5])} have no geometry")
    pairs = frames.get("pairs")
    if "gaps" in kinds and isinstance(pairs, gpd.GeoDataFrame) and "comparable" in pairs.columns:
        try:
            pairs["comparable"].astype("boolean")
        except (TypeError, ValueError):
            found = sorted({str(v) for v in pairs["comparable"].dropna().unique()})[:5]
            schema.append(f"pairs.comparable holds {found}; expected true, false or a missing value "
                          "(borderland.comparability.pair_comparability)")
    flows = frames.get("flows")
    if "trade" in kinds and isinstance(flows, gpd.GeoDataFrame) and not flows.empty:
        kinds_found = set(flows.geom_type.dropna()) - {"LineString", "MultiLineString"}
        if kinds_found:
            schema.append(f"flows holds {sorted(kinds_found)} geometries; expected lines from origin to destination "
                          "(borderland.trade.flow_lines)")
        if "value" in flows.columns and not pd.api.types.is_numeric_dtype(flows["value"]):
            schema.append(f"flows.value holds non-numeric values (dtype {flows['value'].dtype}); expected numbers")
    collect(crs, CRSError, "map layers")
    collect(schema, SchemaError, "map inputs")
