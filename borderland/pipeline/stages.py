"""The computing stages after the load: index, border, gaps and trade, each with its frozen result.

Each stage is a function of the study, the checked inputs (:class:`~borderland.pipeline.inputs.Inputs`)
and the stages before it: the input checks of every stage asked for ran before any of them
(:mod:`borderland.pipeline.checks`), so a stage computes. The neighbour graph is built once, by
the border stage, and every later step takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from borderland import border, coherence, indicators, layers, neighbours, robustness, spatial, typology
from borderland.comparability import ComparabilityResult, compare_definitions, definition_table
from borderland.compute import SERIAL, Executor
from borderland.errors import BorderlandError, SchemaError
from borderland.index import IndexResult, build_index
from borderland.pipeline.checks import _index_year
from borderland.pipeline.inputs import Inputs
from borderland.population import region_population
from borderland.study import Study

__all__ = ["BorderStage", "GapsStage", "IndexStage", "TradeStage"]


@dataclass(frozen=True)
class IndexStage:
    """The index stage's results.

    Attributes
    ----------
    year
        The indicator year.
    year_counts
        Per candidate year, regions with complete data (focus side, others, total).
    matrix
        Raw component values of the year.
    value_years
        The year each value comes from.
    built
        The index and its normalised scores, weights, imputation flags.
    classes
        The typology.
    coherence
        Correlations and Cronbach's alpha (several components only).
    uncertainty
        The Monte Carlo robustness (when ``[robustness] draws`` > 0).
    value_indicators
        The indicator name each value comes from (``<component>_indicator``), for the
        comparability of definitions across the border.
    """

    year: int
    year_counts: pd.DataFrame
    matrix: pd.DataFrame
    value_years: pd.DataFrame
    built: IndexResult
    classes: pd.Series
    coherence: coherence.CoherenceReport | None
    uncertainty: robustness.UncertaintyResult | None
    value_indicators: pd.DataFrame | None = None


def _index(study: Study, inputs: Inputs, found: dict[str, Any], executor: Executor) -> IndexStage:
    spec = study.index
    regions = inputs.regions
    year, counts = (found["year"], found["year_counts"]) if "year" in found else _index_year(study, inputs)
    traced = found.get("traced") or indicators.traced_component_values(inputs.table, regions, spec.indicator_names,
                                                                       year, rules=spec.year_rules)
    matrix, value_years = traced.values, traced.years
    if counts is None:
        complete = matrix.notna().all(axis=1)
        focus = regions["country"].eq(study.focus_country)
        counts = pd.DataFrame({"focus": [int((complete & focus).sum())], "others": [int((complete & ~focus).sum())]},
                              index=pd.Index([year], name="year"))
        counts["total"] = counts["focus"] + counts["others"]
    built = build_index(matrix, spec, countries=regions["country"], focus_country=study.focus_country,
                        years=value_years)
    classes = typology.classify(built.index, study.typology)
    report = None
    if len(spec.components) > 1:  # coherence is a property of several components
        report = coherence.coherence_report(built.scores.where(~built.imputed.to_numpy()), index=built.index)
    stability = None
    if study.robustness.draws > 0:
        r = study.robustness
        stability = robustness.uncertainty(
            matrix, spec, typology=study.typology, countries=regions["country"], focus_country=study.focus_country,
            draws=r.draws, concentration=r.concentration, normalisations=r.normalisations or None,
            aggregations=r.aggregations or None, stable_at=r.stable_at, rng=r.seed, executor=executor, built=built,
        )
    return IndexStage(year=year, year_counts=counts, matrix=matrix, value_years=value_years, built=built,
                      classes=classes, coherence=report, uncertainty=stability, value_indicators=traced.indicators)


@dataclass(frozen=True)
class BorderStage:
    """The border stage's results.

    Attributes
    ----------
    edges
        Shared edges of adjacent regions, with lengths.
    graph
        The neighbour graph, built once and used by every step that needs adjacency.
    lines
        Land border lines, one row per border segment.
    distance
        Distance of each region to the border (km).
    rings
        Border order (1 touches a land border).
    bands
        Distance bands clipped to each country (``None`` without a land border).
    exposure
        Population near the border, the border-region flag and the population-weighted distance.
    profile
        The index by distance band and side.
    """

    edges: gpd.GeoDataFrame
    graph: neighbours.NeighbourGraph
    lines: gpd.GeoDataFrame
    distance: pd.Series
    rings: pd.Series
    bands: gpd.GeoDataFrame | None
    exposure: pd.DataFrame
    profile: pd.DataFrame | None


def _border(study: Study, inputs: Inputs, index: IndexStage, executor: Executor = SERIAL) -> BorderStage:
    regions = inputs.regions
    spec = study.border
    edges = inputs.edges if inputs.edges is not None else layers.shared_edges(
        regions, tolerance_m=spec.edge_tolerance_m, executor=executor)
    if inputs.lines is not None:  # drawn by the load stage from the same regions and edges
        lines = inputs.lines
    elif inputs.border_layer is None:
        lines = border.border_lines_from_edges(regions, edges, focus_country=study.focus_country)
    else:
        lines = border.border_lines_from_layer(inputs.border_layer, country_a=spec.country_a,
                                               country_b=spec.country_b, focus_country=study.focus_country)
    # the one neighbour graph of the run: rings, pairs, deviations, Moran's I, LISA and Theil groups use it;
    # the rook edges are reused, queen contiguity needs the point contacts too
    graph = neighbours.neighbour_graph(regions, edges=edges if study.gaps.contiguity == "rook" else None,
                                       contiguity=study.gaps.contiguity,  # type: ignore[arg-type]
                                       tolerance_m=spec.edge_tolerance_m, extra_links=inputs.extra_links,
                                       executor=executor)
    raster = study.raster.population
    outline_km = inputs.outline_km if inputs.lines is lines else None
    touching = border.touches_border(regions, lines, touch_tolerance_m=spec.touch_tolerance_m, outline_km=outline_km)
    rings = graph.border_order(touching).reindex(regions.index)
    profile_bands = (*spec.bands_km, float("inf"))
    # the buffers of the border, built once for the bands, the people near the border and the profile
    zones = (border.border_zones(lines, spec.bands_km, profile_bands,
                                 *([(0.0, study.raster.within_km)] if raster is not None else []))
             if len(lines) else None)
    bands = border.distance_bands(regions, lines, bands_km=spec.bands_km, zones=zones) if len(lines) else None
    exposure_columns: list[pd.DataFrame | pd.Series] = []
    weighted_km = planar = None
    profile_table = None
    if len(lines):
        from borderland import exposure

        if raster is not None:
            within, threshold = study.raster.within_km, study.raster.threshold_pct
            near = exposure.population_near_border(regions, lines, raster, within_km=within, zones=zones,
                                                   executor=executor)
            flag = exposure.border_region(regions, lines, raster, within_km=within, threshold_pct=threshold,
                                          touch_tolerance_m=spec.touch_tolerance_m, near=near, touching=touching)
            weighted_km = exposure.population_weighted_distance(regions, lines, raster,
                                                                method=spec.distance_method,  # type: ignore[arg-type]
                                                                executor=executor)
            exposure_columns = [near, flag, weighted_km.rename("population_border_distance_km")]
        # the draws' index computed again a block at a time: never regions x draws at once
        profile_table = exposure.profile(regions.assign(index=index.built.index), "index", lines, raster,
                                         bands_km=profile_bands, focus_country=study.focus_country, zones=zones,
                                         draws=index.uncertainty, executor=executor)
        if spec.distance_method == "planar":
            # the planar distances' error against the geodesic ones, from each region's point
            point = spec.distance_origin if spec.distance_origin in ("inside_point", "centroid") else "inside_point"
            # planar_error_pct and distance_to_border from one nearest-segment search
            planar, error = border._planar_distance_and_error(regions, lines, origin=point)  # type: ignore[arg-type]
            exposure_columns.append(error)
            planar = planar if point == spec.distance_origin else None  # the regions' distance too
    if spec.distance_origin == "population":
        # the study model requires a raster for this origin; without a border there is no distance
        distance = (weighted_km.rename("border_distance_km") if weighted_km is not None
                    else pd.Series(float("nan"), index=regions.index, name="border_distance_km"))
    elif planar is not None:
        distance = planar
    else:
        distance = border.distance_to_border(regions, lines, origin=spec.distance_origin,  # type: ignore[arg-type]
                                             method=spec.distance_method)  # type: ignore[arg-type]
    exposure_frame = pd.concat(exposure_columns, axis=1) if exposure_columns else pd.DataFrame(index=regions.index)
    return BorderStage(edges=edges, graph=graph, lines=lines, distance=distance, rings=rings, bands=bands,
                       exposure=exposure_frame, profile=profile_table)


@dataclass(frozen=True)
class GapsStage:
    """The gaps stage's results.

    Attributes
    ----------
    pairs
        One row per adjacent pair: shared line and length, both values, the gaps, and (with
        robustness) the probability that each gap keeps its sign.
    segments
        Summaries per border segment.
    deviation
        Local deviation from all, same-country and cross-border neighbours; the border effect.
    lisa
        Local Moran's I per region (``attrs``: the multiple-test correction, its level and the
        p-value threshold it gives; :func:`borderland.spatial.local_moran`).
    moran
        Global Moran's I (``None`` with too few regions).
    population
        Each region's population (``population_persons``), its year and its source
        (:func:`borderland.population.region_population`): the one population of the run.
    theil
        The population-weighted Theil decomposition as a long table
        (:func:`borderland.spatial.theil_table`): each raw index component over the indexed
        regions, and the index itself only when it is on a ratio scale
        (:func:`borderland.spatial.ratio_scale_problem`); ``None`` without population weights.
    notes
        What was left out and why.
    comparability
        Which pairs compare values of different definitions, and the gaps, segment means and
        typology with and without those components (:mod:`borderland.comparability`).
    """

    pairs: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    deviation: pd.DataFrame
    lisa: pd.DataFrame
    moran: spatial.MoranResult | None
    population: pd.DataFrame
    theil: pd.DataFrame | None
    notes: tuple[str, ...] = ()
    comparability: ComparabilityResult | None = None


def _gaps(study: Study, inputs: Inputs, index: IndexStage, borders: BorderStage,
          executor: Executor = SERIAL, found: dict[str, Any] | None = None) -> GapsStage:
    regions = inputs.regions
    values = index.built.index
    graph = borders.graph
    pairs = neighbours.pair_table(regions, graph, values, focus_country=study.focus_country)
    if index.uncertainty is not None:
        stability = robustness.pair_stability(index.uncertainty, pairs[pairs["cross_border"]], executor=executor)
        pairs = pd.concat([pairs.drop(columns="geometry"), stability.reindex(pairs.index), pairs[["geometry"]]],
                          axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    # comparable definitions across the border (issue #16): the flags on the pairs, the gaps without each component
    compared = None
    if index.value_indicators is not None:
        compared = compare_definitions(
            regions, pairs=pairs, matrix=index.matrix, sources=index.value_indicators, spec=study.index,
            typology=study.typology, definitions=definition_table(study.index, inputs.table),
            focus_country=study.focus_country, index=values)
        pairs = pd.concat([pairs.drop(columns="geometry"), compared.pairs, pairs[["geometry"]]],
                          axis=1).pipe(gpd.GeoDataFrame, geometry="geometry", crs=regions.crs)
    segments = neighbours.segment_summary(pairs, published=inputs.gaps_published)
    deviation = neighbours.local_deviation(regions, graph, values)
    notes: list[str] = []
    moran: spatial.MoranResult | None
    try:
        lisa = spatial.local_moran(regions, graph, values, permutations=study.gaps.permutations, rng=study.gaps.seed,
                                   significance=study.gaps.significance, correction=study.gaps.lisa_correction,
                                   executor=executor)
        moran = spatial.morans_i(regions, graph, values, permutations=study.gaps.permutations, rng=study.gaps.seed,
                                 executor=executor)
    except SchemaError as exc:  # too few regions with a value: the rest of the study still stands
        lisa, moran = pd.DataFrame(index=regions.index), None
        notes.append(f"Moran's I and LISA left out: {exc}")
    people = (found or {}).get("population")  # the checks' own, of the same year
    if people is None:
        people = region_population(inputs.table, regions, year=index.year, indicator=study.gaps.population_indicator)
    theil = None
    if people["population_persons"].notna().any():
        side = regions["country"].eq(study.focus_country).map({True: study.focus_country or "", False: "others"})
        partitions = {"country": regions["country"], "border_order": borders.rings, "side": side}
        theil, theil_notes = _theil(study, index, people["population_persons"], partitions)
        notes += theil_notes
    else:
        notes.append(f"Theil decomposition left out: no region has {study.gaps.population_indicator!r} "
                     f"([gaps] population_indicator; {people.attrs['rule']})")
    return GapsStage(pairs=pairs, segments=segments, deviation=deviation, lisa=lisa, moran=moran,
                     population=people, theil=theil, notes=tuple(notes), comparability=compared)


def _theil(study: Study, index: IndexStage, population: pd.Series,
           partitions: dict[str, pd.Series]) -> tuple[pd.DataFrame | None, list[str]]:
    """Theil of each raw component over the indexed regions, and of the index when it has a natural zero."""
    indexed = index.built.index.notna()
    units = {c.name: c.unit for c in study.index.components}
    tables: list[pd.DataFrame] = []
    notes: list[str] = []
    for name in index.matrix.columns:
        # the indexed regions: every measure describes the same regions as the index
        try:
            tables.append(spatial.theil_table(index.matrix.loc[indexed, [name]], population=population,
                                              partitions=partitions, units=units))
        except SchemaError as exc:
            notes.append(f"Theil decomposition of {name} left out: {exc}")
    problem = spatial.ratio_scale_problem(study.index)
    if problem is None:
        tables.append(spatial.index_theil_table(index.built.index, study.index, population=population,
                                                partitions=partitions))
    else:
        notes.append(f"Theil decomposition of the index left out: {problem}; Theil needs values with a natural "
                     "zero, so the theil table decomposes the raw components instead (docs/methods.md)")
    return (pd.concat(tables, ignore_index=True) if tables else None), notes


@dataclass(frozen=True)
class TradeStage:
    """The trade stage's results.

    Attributes
    ----------
    flows
        Flow lines, each traceable to its source row.
    report
        How the flows were matched (and which were not).
    pairs, segments
        Trade beside the gap per cross-border pair and per border segment.
    association
        The rank association of trade with the gap, with its caveats.
    columns
        The regions' trade indicators (when ``[trade] year`` is set).
    """

    flows: gpd.GeoDataFrame
    report: Any
    pairs: pd.DataFrame
    segments: pd.DataFrame
    association: Any
    columns: pd.DataFrame | None


def _trade(study: Study, inputs: Inputs, gaps: GapsStage) -> TradeStage:
    from borderland import trade

    regions = inputs.regions
    countries = inputs.trade_countries if inputs.trade_countries is not None else inputs.countries
    if inputs.trade_flows is None:
        raise BorderlandError("the trade stage needs the flows the load stage reads: set [trade] published")
    flows, report = trade.match_flows(inputs.trade_flows, regions, countries=countries,
                                      focus_country=study.focus_country, skipped=inputs.trade_skipped or ())
    lines = trade.flow_lines(flows, regions, countries=countries)
    divide = trade.trade_divide(gaps.pairs, flows, flow_type=study.trade.flow_type, rng=0)
    columns = None
    if study.trade.year is not None:
        columns = trade.trade_indicators(inputs.table, regions, year=study.trade.year, population=gaps.population)
    return TradeStage(flows=lines, report=report, pairs=divide.pairs, segments=divide.segments,
                      association=divide.association, columns=columns)
