"""What the written layers are called and hold: each layer's description and each field's display name.

Shared by every writer of the package: the GeoPackage writes the descriptions into
``gpkg_contents`` and the aliases into ``gpkg_data_columns`` and the layers' metadata; the run's
and the trend's aliases (:func:`~borderland.export.result_aliases`,
:func:`~borderland.export.trend_aliases`) start from :data:`FIELD_ALIASES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["FIELD_ALIASES", "LAYER_DESCRIPTIONS"]

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
