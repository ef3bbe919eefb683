"""The composite digitalisation index: transform, impute, normalise, orient, weight, aggregate.

Steps follow the OECD/JRC Handbook on Constructing Composite Indicators (2008) and COINr. Each
choice is a named entry of a registry, so a study file can name it and an error can list the
alternatives:

========================  ==========================================================================
step                      registry
========================  ==========================================================================
transform                 :data:`TRANSFORMS` (``none``, ``log``), per component
imputation                :data:`IMPUTATIONS` (``none``, ``country``, ``side``)
normalisation             :data:`NORMALISERS` (``minmax``, ``goalposts``, ``zscore``, ``rank``,
                          ``reference``)
weighting                 :data:`WEIGHTINGS` (``equal``, ``user``, ``pca``)
aggregation               :data:`AGGREGATORS` (``arithmetic``, ``geometric``)
========================  ==========================================================================

:func:`build_index` runs them all and returns an :class:`IndexResult` (index, normalised scores,
imputation flags, effective weights); :func:`composite_index` is its index alone.

The package follows the steps' seams; each module uses only those above it:

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.normalisers`       the normalisers and their registry, the transforms before them
:mod:`.aggregation`       weights (equal, user, PCA), arithmetic and geometric means, imputation
:mod:`.spec`              :class:`IndicatorSpec`, :class:`IndexSpec` and the ``[index]`` section
:mod:`.ranges`            percentages outside 0-100 (input errors), values beyond the goalposts
:mod:`.build`             the index built from a matrix of raw values: :func:`build_index`
========================  ==========================================================================

Everything public is importable from here: ``from borderland.index import build_index``.
"""

from __future__ import annotations

from borderland.index.aggregation import (
    AGGREGATORS,
    IMPUTATIONS,
    WEIGHTINGS,
    arithmetic_mean,
    component_weights,
    geometric_conflict,
    geometric_mean,
    impute,
    meets_min_share,
)
from borderland.index.build import (
    IndexResult,
    build_index,
    composite_index,
    normalised_scores,
    reference_problems,
    reference_set,
)
from borderland.index.normalisers import (
    NORMALISERS,
    TRANSFORMS,
    distance_to_reference,
    goalposts,
    min_max,
    normalise,
    percent_rank,
    z_score,
)
from borderland.index.ranges import beyond_goalposts, is_share_unit, percentage_problems
from borderland.index.spec import IndexSpec, IndicatorSpec, index_spec_from_dict

__all__ = [
    "AGGREGATORS",
    "IMPUTATIONS",
    "NORMALISERS",
    "TRANSFORMS",
    "WEIGHTINGS",
    "IndexResult",
    "IndexSpec",
    "IndicatorSpec",
    "arithmetic_mean",
    "beyond_goalposts",
    "build_index",
    "component_weights",
    "composite_index",
    "distance_to_reference",
    "geometric_conflict",
    "geometric_mean",
    "goalposts",
    "impute",
    "index_spec_from_dict",
    "is_share_unit",
    "meets_min_share",
    "min_max",
    "normalise",
    "normalised_scores",
    "percent_rank",
    "percentage_problems",
    "reference_problems",
    "reference_set",
    "z_score",
]
