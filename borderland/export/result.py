"""A run's result as a study's GeoPackage: its layers, its field aliases and its metadata document.

:func:`result_layers` takes every layer from a :class:`borderland.pipeline.StudyResult`
(:data:`RESULT_LAYERS`); :func:`result_aliases` adds each index component, with its unit and
year, to the field aliases; :func:`run_metadata` is the run's parameters, software versions,
sources and the credits their licences require (:func:`required_attributions`).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from borderland.export.names import FIELD_ALIASES
from borderland.pipeline import StudyResult
from borderland.spatial import CORRECTION_NAMES

__all__ = ["REQUIRED_ATTRIBUTIONS", "RESULT_LAYERS", "required_attributions", "result_aliases", "result_layers",
           "run_metadata", "software_versions"]


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

