"""Trade ties across the border: trade indicators, flows between regions, and their link to the divide.

The package follows the work's own layers; each module uses only those above it:

* :mod:`borderland.trade.flows`: one row per figure that ties two places, parsed from the
  bilateral indicator names of the tidy table and from tables of published figures, matched to
  the study's regions or whole countries (never reassigned), each traceable to its source row.
* :mod:`borderland.trade.indicators`: trade indicators of each region (totals, per capita with
  the run's one population, shares, growth, concentration on partners), indexed like ``regions``
  and named with their unit.
* :mod:`borderland.trade.lines`: flows drawn as straight lines for maps and GeoPackages.
* :mod:`borderland.trade.divide`: the trade of each cross-border pair and border segment beside
  the digital gap, and Spearman's rank correlation with a caveat about the number of pairs.

Everything public is importable from here: ``from borderland import trade;
trade.read_trade_flows()``.
"""

from __future__ import annotations

from borderland.trade.divide import (
    MIN_PAIRS_FOR_INFERENCE,
    TradeAssociation,
    TradeDivide,
    check_pair_trade_comparable,
    pair_trade,
    segment_trade,
    trade_divide,
    trade_gap_association,
)
from borderland.trade.flows import (
    FLOW_COLUMNS,
    FLOW_PREFIXES,
    FLOW_TYPES,
    FULL_YEAR,
    PUBLISHED_FLOW_MEASURES,
    FlowReport,
    flows_from_indicators,
    flows_from_published,
    match_flows,
    normalise_flows,
    read_trade_flows,
    strongest_flows,
)
from borderland.trade.indicators import (
    GROWTH_KINDS,
    MONEY_UNITS,
    TRADE_MEASURES,
    as_indicator_rows,
    herfindahl,
    partner_concentration,
    top_share,
    trade_growth,
    trade_indicators,
    trade_per_capita,
    trade_share,
    trade_total,
)
from borderland.trade.lines import country_point, flow_lines

__all__ = [
    "FLOW_COLUMNS",
    "FLOW_PREFIXES",
    "FLOW_TYPES",
    "FULL_YEAR",
    "GROWTH_KINDS",
    "MIN_PAIRS_FOR_INFERENCE",
    "MONEY_UNITS",
    "PUBLISHED_FLOW_MEASURES",
    "TRADE_MEASURES",
    "FlowReport",
    "TradeAssociation",
    "TradeDivide",
    "as_indicator_rows",
    "check_pair_trade_comparable",
    "country_point",
    "flow_lines",
    "flows_from_indicators",
    "flows_from_published",
    "herfindahl",
    "match_flows",
    "normalise_flows",
    "pair_trade",
    "partner_concentration",
    "read_trade_flows",
    "segment_trade",
    "strongest_flows",
    "top_share",
    "trade_divide",
    "trade_gap_association",
    "trade_growth",
    "trade_indicators",
    "trade_per_capita",
    "trade_share",
    "trade_total",
]
