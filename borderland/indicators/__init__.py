"""Indicator tables: tidy them, match their codes to the regions, choose a year.

The tidy layout is one row per region, indicator and year::

    region_id, indicator, year, value, unit, source, note[, definition]

Wide tables (one column per indicator) are melted into it. A long table may say what each
indicator measures in an optional ``definition`` column (source, age band, recall period, unit),
read by :func:`table_definitions`; :mod:`borderland.comparability` compares the definitions on
the two sides of a border. Codes that do not match, and regions
without any value, are reported both ways rather than dropped in silence. Each index component
takes its values under a :class:`YearRule`: the exact year, the latest year up to it, each
region's latest value within a window, or each region's nearest year within a window (the rule
population weights use, :mod:`borderland.population`).

The package, in the order its modules import one another:

* :mod:`~borderland.indicators.tidy` -- the tidy layout and its checks: :func:`tidy_table`,
  :func:`parse_numbers`, :func:`detect_decimal`, :func:`table_definitions`;
* :mod:`~borderland.indicators.join` -- codes matched both ways: :func:`match_codes` ->
  :class:`JoinReport`;
* :mod:`~borderland.indicators.years` -- year rules and the values they take:
  :class:`YearRule`, :func:`component_values`, :func:`indicator_matrix`, :func:`choose_year`.
"""

from __future__ import annotations

from borderland.indicators.join import JoinReport, match_codes
from borderland.indicators.tidy import (
    DEFINITION_COLUMN,
    TIDY_COLUMNS,
    detect_decimal,
    normalised_definition,
    parse_numbers,
    table_definitions,
    tidy_table,
)
from borderland.indicators.years import (
    YEAR_RULES,
    ComponentValues,
    YearKind,
    YearRule,
    choose_year,
    complete_by_year,
    component_values,
    indicator_matrix,
    traced_component_values,
)

__all__ = ["DEFINITION_COLUMN", "TIDY_COLUMNS", "YEAR_RULES", "ComponentValues", "JoinReport", "YearKind", "YearRule",
           "choose_year", "complete_by_year", "component_values", "detect_decimal", "indicator_matrix",
           "match_codes", "normalised_definition", "parse_numbers", "table_definitions", "tidy_table",
           "traced_component_values"]
