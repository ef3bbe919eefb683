"""Trade indicators, flows and their link to the divide: hand-checked on the strip, then on the bundled data."""

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from borderland import io, layers, trade
from borderland.errors import JoinError, SchemaError
from borderland.indicators import tidy_table
from borderland.neighbours import adjacent_pairs, neighbour_graph, pair_gaps

X, M = "foreign_trade_exports_total", "foreign_trade_imports_total"
XC, MC = "foreign_trade_exports_to_cis_countries", "foreign_trade_imports_from_cis_countries"
USD = "million USD"


@pytest.fixture
def trade_table() -> pd.DataFrame:
    """Tidy trade rows for the strip, numbers chosen for arithmetic by hand."""
    rows = [
        ("A0", X, 2021, 30.0, USD), ("A0", M, 2021, 10.0, USD),
        ("A0", XC, 2021, 6.0, USD), ("A0", MC, 2021, 4.0, USD),
        ("A1", X, 2021, 7.0, USD),  # no imports: no turnover
        ("B3", X, 2021, 50.0, USD), ("B3", M, 2021, 50.0, USD),
        ("B3", X, 2020, 40.0, USD), ("B3", M, 2020, 40.0, USD),
        ("A0", "population_1_january", 2022, 20.0, "thousand persons"),
        ("B3", "population_1_january", 2022, 500000.0, "persons"),
        ("A0", "population_1_january", 2023, 21.0, "thousand persons"),
    ]
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value", "unit"]).pipe(tidy_table)


# ---- trade indicators ------------------------------------------------------------------------


def test_totals_are_signed_sums_and_never_partial(trade_table, regions):
    turnover = trade.trade_total(trade_table, regions, year=2021)
    assert turnover.name == "trade_turnover_million_usd"
    assert turnover.index.equals(regions.index)
    # A0: 30 + 10 = 40; B3: 50 + 50 = 100; A1 has exports only, so no turnover (not 7)
    assert turnover["A0"] == 40.0 and turnover["B3"] == 100.0 and math.isnan(turnover["A1"])
    balance = trade.trade_total(trade_table, regions, year=2021, measure="balance")
    assert balance.name == "trade_balance_million_usd" and balance["A0"] == 20.0  # 30 - 10
    exports = trade.trade_total(trade_table, regions, year=2021, measure="exports")
    assert exports["A1"] == 7.0


def test_per_capita_uses_the_stated_population_year_and_units(trade_table, regions):
    per_capita = trade.trade_per_capita(trade_table, regions, year=2021, population_year=2022)
    assert per_capita.name == "trade_turnover_usd_per_capita_pop2022"
    # A0: 40 million USD / 20 thousand persons = 40e6 / 2e4 = 2000 USD per person
    # B3: 100 million USD / 500 000 persons = 1e8 / 5e5 = 200 USD per person
    assert per_capita["A0"] == pytest.approx(2000.0) and per_capita["B3"] == pytest.approx(200.0)
    # 2023: A0 40e6 / 21e3 = 1904.76...; B3 has no 2023 population
    later = trade.trade_per_capita(trade_table, regions, year=2021, population_year=2023)
    assert later.name.endswith("_pop2023")
    assert later["A0"] == pytest.approx(40e6 / 21e3) and math.isnan(later["B3"])
    with pytest.raises(SchemaError, match=r"no 'population_1_january' for 2019; the table has it for \[2022, 2023\]"):
        trade.trade_per_capita(trade_table, regions, year=2021, population_year=2019)


def test_share_and_growth(trade_table, regions):
    share = trade.trade_share(trade_table, regions, year=2021)
    assert share.name == "trade_cis_turnover_share_of_turnover_pct"
    assert share["A0"] == pytest.approx(25.0)  # (6 + 4) / (30 + 10) * 100
    assert math.isnan(share["B3"])  # B3 has no CIS rows
    index = trade.trade_growth(trade_table, regions, year=2021, base_year=2020)
    assert index.name == "trade_turnover_pct_of_2020"
    assert index["B3"] == pytest.approx(125.0)  # (50 + 50) / (40 + 40) * 100
    change = trade.trade_growth(trade_table, regions, year=2021, base_year=2020, kind="change")
    assert change.name == "trade_turnover_change_pct_since_2020" and change["B3"] == pytest.approx(25.0)
    with pytest.raises(SchemaError, match=r"unknown growth kind 'ratio'; choose one of \['change', 'index'\]"):
        trade.trade_growth(trade_table, regions, year=2021, base_year=2020, kind="ratio")


def test_unknown_measures_and_mixed_units_are_refused(trade_table, regions):
    with pytest.raises(SchemaError, match=r"unknown trade measure 'volume'; choose one of .*'turnover'"):
        trade.trade_total(trade_table, regions, year=2021, measure="volume")
    mixed = pd.concat([trade_table, pd.DataFrame({"region_id": ["A2"], "indicator": [M], "year": [2021],
                                                  "value": [1.0], "unit": ["million EUR"]})], ignore_index=True)
    with pytest.raises(SchemaError, match=r"comes in 2 units \(million EUR, million USD\)"):
        trade.trade_total(mixed, regions, year=2021)
    share = trade_table.assign(unit=np.where(trade_table["indicator"] == X, "%", trade_table["unit"]))
    with pytest.raises(SchemaError, match="adds indicators in different units"):
        trade.trade_total(share, regions, year=2021)
    with pytest.raises(SchemaError, match="not a money unit"):
        trade.trade_per_capita(share, regions, year=2021, population_year=2022, measure="exports")


def test_trade_indicators_frame_and_tidy_rows(trade_table, regions):
    frame = trade.trade_indicators(trade_table, regions, year=2021, population_year=2022)
    assert list(frame.columns) == [
        "trade_exports_million_usd", "trade_imports_million_usd", "trade_turnover_million_usd",
        "trade_balance_million_usd", "trade_cis_turnover_share_of_turnover_pct",
        "trade_turnover_usd_per_capita_pop2022"]
    assert frame.attrs["left_out"] == ["non_cis_turnover share"]
    assert frame.attrs["units"]["trade_turnover_usd_per_capita_pop2022"] == "USD per person (population 2022)"
    rows = trade.as_indicator_rows(frame, year=2021, source="borderland.trade")
    assert list(rows.columns) == ["region_id", "indicator", "year", "value", "unit", "source", "note"]
    a0 = rows[(rows.region_id == "A0") & (rows.indicator == "trade_turnover_million_usd")].iloc[0]
    assert (a0.value, a0.unit, a0.year) == (40.0, "million USD", 2021)
    # 6 columns: A0 has all 6, B3 has 5 (no CIS share), A1 only exports: 12 rows with a value
    assert len(rows) == 12
    with pytest.raises(SchemaError, match="has none of the trade indicators"):
        trade.trade_indicators(trade_table[trade_table.indicator.str.startswith("population")], regions, year=2021)


# ---- concentration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "hhi", "top1", "top2"),
    [([50, 30, 20], 0.38, 50.0, 80.0),  # 0.25 + 0.09 + 0.04
     ([1, 1, 1, 1], 0.25, 25.0, 50.0),  # 4 x 1/16
     ([10], 1.0, 100.0, 100.0),
     ([3, 0, float("nan")], 1.0, 100.0, 100.0)],  # zero shares count nothing, NaN is ignored
    ids=["50-30-20", "four-equal", "monopoly", "zero-and-nan"],
)
def test_concentration_by_hand(values, hhi, top1, top2):
    assert trade.herfindahl(values) == pytest.approx(hhi)
    assert trade.top_share(values, 1) == pytest.approx(top1)
    assert trade.top_share(values, 2) == pytest.approx(top2)


def test_concentration_edge_cases():
    assert math.isnan(trade.herfindahl([])) and math.isnan(trade.top_share([0, 0]))
    with pytest.raises(SchemaError, match=r"non-negative amounts, got \[-1.0\]"):
        trade.herfindahl([2, -1])
    with pytest.raises(SchemaError, match="k must be at least 1, not 0"):
        trade.top_share([1], 0)


amounts = st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=1, max_size=12)


@given(amounts, st.floats(min_value=0.1, max_value=1000))
def test_herfindahl_bounds_and_invariances(values, scale):
    hhi = trade.herfindahl(values)
    assert 1 / len(values) - 1e-9 <= hhi <= 1 + 1e-9
    assert trade.herfindahl([v * scale for v in values]) == pytest.approx(hhi)
    assert trade.herfindahl(list(reversed(values))) == pytest.approx(hhi)


@given(amounts)
def test_top_share_grows_with_k_to_100(values):
    shares = [trade.top_share(values, k) for k in range(1, len(values) + 1)]
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(shares))
    assert shares[-1] == pytest.approx(100.0)
    assert shares[0] >= 100.0 / len(values) - 1e-9


def _flows(rows):
    return trade.normalise_flows(pd.DataFrame(rows, columns=["origin", "destination", "value", "unit", "year",
                                                             "flow_type"]))


def test_partner_concentration_per_reporter(regions):
    flows = _flows([
        ("A0", "B3", 60, USD, 2021, "exports"), ("A0", "B4", 30, USD, 2021, "exports"),
        ("A0", "B5", 10, USD, 2021, "exports"),
        ("A0", "BB", 500, USD, 2021, "exports"),  # whole country: other partner level, left out
        ("A0", "B3", 99, USD, 2020, "exports"),  # older year, left out
        ("A1", "B3", 5, USD, 2021, "exports"),  # one partner only
    ])
    matched, _ = trade.match_flows(flows, regions)
    out = trade.partner_concentration(matched, regions)
    assert out.index.equals(regions.index)
    assert out.loc["A0", "partners_n"] == 3 and out.loc["A1", "partners_n"] == 1 and out.loc["B3", "partners_n"] == 0
    # shares 0.6, 0.3, 0.1: 0.36 + 0.09 + 0.01 = 0.46; top partner 60 %
    assert out.loc["A0", "partner_herfindahl"] == pytest.approx(0.46)
    assert out.loc["A0", "top1_partner_share_pct"] == pytest.approx(60.0)
    assert math.isnan(out.loc["A1", "partner_herfindahl"])  # fewer than min_partners = 2
    top2 = trade.partner_concentration(matched, regions, top=2, year=2021, min_partners=1)
    assert top2.loc["A0", "top2_partner_share_pct"] == pytest.approx(90.0)
    assert top2.loc["A1", "top2_partner_share_pct"] == pytest.approx(100.0)
    with pytest.raises(SchemaError, match="flow_type must be exports, imports or turnover, not 'growth_rate'"):
        trade.partner_concentration(matched, regions, flow_type="growth_rate")


# ---- flows: parsing, normalising, matching ---------------------------------------------------


def test_bilateral_indicator_names_become_flows():
    table = pd.DataFrame({
        "region_id": ["A0", "A0", "A1", "A1", "B3", "A0"],
        "indicator": ["goods_trade_turnover_with:B3 (Region three) [period: January-May]",
                      "imports_from:BB (the whole country)", "exports_to:B4", "share_of_b_in_trade",
                      "smuggling_with:A0", "exports_to:B5"],
        "year": ["2024", "2018", "2019", "2019", "2019", "n/a"],
        "value": ["150.5", "155.3", "7", "51.4", "1", "3"],
        "unit": USD, "source": ["https://a.example", "https://b.example", "s3", "s4", "s5", "s6"],
        "note": ["n1", "n2", "", "", "", ""],
    }, index=[10, 11, 12, 13, 14, 15])
    flows, skipped = trade.flows_from_indicators(table, source_table="t.csv")
    assert list(flows.columns) == list(trade.FLOW_COLUMNS)
    assert flows[["origin", "destination", "flow_type", "period", "partner_label", "reporter", "source_row"]
                 ].values.tolist() == [
        ["A0", "B3", "turnover", "January-May", "Region three", "A0", 10],
        ["BB", "A0", "imports", "year", "the whole country", "A0", 11],  # goods run BB -> A0
        ["A1", "B4", "exports", "year", "", "A1", 12]]
    assert flows["value"].tolist() == [150.5, 155.3, 7.0]
    assert flows[["source", "note", "source_table"]].iloc[0].tolist() == ["https://a.example", "n1", "t.csv"]
    assert len(skipped) == 2
    assert "t.csv row 14 (B3, 'smuggling_with:A0'): not a bilateral name" in skipped[0]
    assert "t.csv row 15" in skipped[1] and "is not a number" in skipped[1]


def test_published_partner_rows_become_flows_or_are_reported():
    table = pd.DataFrame({
        "subject": ["A0", "A0", "A0", "A0"], "partner": ["", "B3", "B4", "BB"],
        "indicator": ["sme_exports", "export_growth_rate", "export_growth_rate", "export_concentration_top5"],
        "year": ["2018", "2018", "2018", "2018"], "value": ["0.6", "121.8", "93.1", "87.5"],
        "unit": ["billion USD", "% of previous year", "% of previous year", "%"],
        "source": ["A study of trade", "same study", "same study", "same study"], "note": ["", "", "which?", ""],
    })
    flows, skipped = trade.flows_from_published(table)
    assert flows[["origin", "destination", "value", "flow_type", "basis", "source_row"]].values.tolist() == [
        ["A0", "B3", 121.8, "growth_rate", "exports", 1], ["A0", "B4", 93.1, "growth_rate", "exports", 2]]
    assert flows["source"].tolist() == ["same study: A study of trade"] * 2
    assert flows["note"].tolist() == ["", "which?"]
    assert skipped == ("published_figures row 3 (A0 -> BB, 'export_concentration_top5'): "
                       "not a flow measure (not a key of the flow measures)",)


def test_normalise_flows_reports_every_problem():
    bad = pd.DataFrame({"origin": ["A0", None], "destination": ["B3", "B4"], "value": ["x", "2"],
                        "flow_type": ["exports", "smuggling"]})
    with pytest.raises(SchemaError, match=r"flow table: 3 problem\(s\)") as caught:
        trade.normalise_flows(bad)
    message = str(caught.value)
    assert "unknown flow_type ['smuggling']" in message and "value is not a number in row(s) [0]" in message
    assert "origin or destination is empty in row(s) [1]" in message
    with pytest.raises(SchemaError, match="flow table lacks column"):
        trade.normalise_flows(pd.DataFrame({"origin": ["A0"]}))


def test_match_flows_reports_unmatched_and_never_reassigns(regions):
    flows = _flows([("A0", "B3", 1, USD, 2021, "exports"), ("A0", "BB", 2, USD, 2021, "turnover"),
                    ("A0", "BB-9", 3, USD, 2021, "exports"), ("a1", "B4", 4, USD, 2021, "exports"),
                    ("A0", "A1", 5, USD, 2021, "exports"), ("ZZ", "B3", 6, USD, 2021, "exports")])
    matched, report = trade.match_flows(flows, regions, focus_country="BB")
    assert matched["origin_kind"].tolist() == ["region", "region", "region", "unmatched", "region", "unmatched"]
    assert matched["destination_kind"].tolist() == ["region", "country", "unmatched", "region", "region", "region"]
    assert matched["matched"].tolist() == [True, True, False, False, True, False]
    assert matched["cross_border"].tolist() == [True, True, False, False, False, False]
    assert matched["partner_is_country"].tolist() == [False, True, False, False, False, False]
    assert matched["segment"].tolist() == ["BB-AA", "BB-AA", "", "", "", ""]
    # the unknown code stays where it was: nothing is moved to a similar region
    assert matched.loc[2, "destination"] == "BB-9"
    assert report.unmatched == {
        "BB-9": "not a study region; country BB is in the study, but the flow is not reassigned to another region",
        "ZZ": "neither a study region nor a study country",
        "a1": "differs only in case or spaces from A1",
    }
    assert (report.flows, report.matched, report.countries) == (6, 3, ("BB",))
    assert report.regions == ("A0", "A1", "B3", "B4")
    assert "codes not in the study (flows kept, not drawn): 3" in report.summary()
    assert matched.loc[0, "label"] == "Region A0 (A0) → Region B3 (B3): exports 1 million USD, 2021"
    assert matched.loc[1, "label"] == "Region A0 (A0) ↔ BB (BB): turnover 2 million USD, 2021"


# ---- lines and country points ----------------------------------------------------------------


def test_country_point_lies_in_the_country(regions):
    from tests.conftest import X0, Y0

    point = trade.country_point("BB", regions=regions)
    assert shapely.box(X0 + 3000, Y0, X0 + 6000, Y0 + 1000).contains(point)
    # a country layer is preferred when it has the country
    countries = gpd.GeoDataFrame({"country": ["BB"]}, geometry=[shapely.box(X0 + 10000, Y0, X0 + 11000, Y0 + 1000)],
                                 crs=regions.crs)
    assert trade.country_point("BB", regions=regions, countries=countries).x > X0 + 10000
    with pytest.raises(JoinError, match=r"country 'CC' has no polygon in the layers given \(countries: AA, BB\)"):
        trade.country_point("CC", regions=regions)


def test_flow_lines_run_origin_to_destination(regions):
    from tests.conftest import X0, Y0

    flows = _flows([("A0", "B3", 10, USD, 2021, "exports"), ("B4", "A2", 30, USD, 2021, "exports"),
                    ("A0", "A1", 20, USD, 2021, "exports"), ("A0", "BB", 5, USD, 2021, "turnover"),
                    ("A0", "ZZ-1", 99, USD, 2021, "exports")])
    matched, _ = trade.match_flows(flows, regions)
    lines = trade.flow_lines(matched, regions)
    assert isinstance(lines, gpd.GeoDataFrame) and lines.crs == regions.crs
    assert len(lines) == 4  # the flow to ZZ-1 is not drawn
    first = lines.geometry.iloc[0]
    # centres of A0 and B3: x = 0.5 km and 3.5 km, y = 0.5 km; 3 km apart
    assert list(first.coords) == [(X0 + 500, Y0 + 500), (X0 + 3500, Y0 + 500)]
    assert lines["length_km"].iloc[0] == pytest.approx(3.0)
    assert lines["direction"].tolist() == ["origin_to_destination"] * 3 + ["both_ways"]
    cross = trade.flow_lines(matched, regions, cross_border_only=True, flow_type="exports")
    assert cross[["origin", "destination"]].values.tolist() == [["A0", "B3"], ["B4", "A2"]]
    top = trade.flow_lines(matched, regions, flow_type="exports", top=2)
    assert top["value"].tolist() == [30.0, 20.0]
    with pytest.raises(SchemaError, match="cannot rank flows of different types or units together"):
        trade.flow_lines(matched, regions, top=2)
    with pytest.raises(SchemaError, match="unknown flow_type 'smuggling'"):
        trade.flow_lines(matched, regions, flow_type="smuggling")


# ---- link to the divide ----------------------------------------------------------------------


@pytest.fixture
def strip_pairs(regions):
    pairs = adjacent_pairs(regions, neighbour_graph(regions), focus_country="AA")
    index = pd.Series({"A0": 0.1, "A1": 0.2, "A2": 0.3, "B3": 0.8, "B4": 0.9, "B5": 1.0}, name="index")
    return pd.concat([pairs, pair_gaps(pairs, index)], axis=1)


def test_pair_trade_adds_opposite_exports_and_refuses_ambiguity(regions, strip_pairs):
    flows = _flows([("A2", "B3", 5, USD, 2021, "exports"), ("B3", "A2", 3, USD, 2021, "exports"),
                    ("A2", "B3", 7, USD, 2021, "turnover"), ("B3", "A2", 8, USD, 2021, "turnover"),
                    ("A2", "B3", 1, USD, 2019, "exports")])
    matched, _ = trade.match_flows(flows, regions)
    exports = trade.pair_trade(strip_pairs, matched, flow_type="exports")
    assert len(exports) == 1  # the only cross-border pair, A2 - B3
    row = exports.iloc[0]
    assert (row.region_a, row.region_b, row.segment) == ("A2", "B3", "AA-BB")
    assert row.gap == pytest.approx(-0.5)  # 0.3 - 0.8
    # latest year 2021: 5 one way + 3 the other = 8; the 2019 figure is older
    assert (row.trade_value, row.trade_year, row.trade_flows_n) == (8.0, 2021, 2)
    assert row.trade_note == "sum of both directions"
    turnover = trade.pair_trade(strip_pairs, matched, flow_type="turnover").iloc[0]
    # two reports of one turnover cannot be added
    assert math.isnan(turnover.trade_value) and turnover.trade_flows_n == 2
    assert turnover.trade_note.startswith("2 figures that cannot be combined")
    older = trade.pair_trade(strip_pairs, matched, flow_type="exports", year=2019).iloc[0]
    assert older.trade_value == 1.0
    everything = trade.pair_trade(strip_pairs, matched, flow_type="exports", cross_border_only=False)
    assert len(everything) == 5 and everything["trade_value"].notna().sum() == 1


def test_spearman_and_exact_permutation_p_by_hand():
    # ranks equal the values; d = 0, 1, 1, 0: rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert trade.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    # ties share the average rank: x ranks 1.5, 1.5, 3; perfectly monotone with y
    assert trade.spearman([1, 1, 2], [5, 5, 9]) == pytest.approx(1.0)
    assert math.isnan(trade.spearman([1, 1, 1], [1, 2, 3]))
    # n = 4: |rho| >= 0.8 needs sum d^2 in {0, 2, 18, 20}: 1 + 3 + 3 + 1 = 8 of 24 permutations
    result = trade.trade_gap_association(pd.Series([1.0, 2, 3, 4]), pd.Series([1.0, 3, 2, 4]))
    assert (result.rho, result.n) == (pytest.approx(0.8), 4)
    assert result.p_value == pytest.approx(8 / 24)
    assert result.caveat.startswith("descriptive only: n = 4 pairs (fewer than 10)")


def test_association_caveats_follow_the_number_of_pairs():
    two = trade.trade_gap_association(pd.Series([1.0, 2.0, np.nan]), pd.Series([0.1, 0.2, 0.3]))
    assert two.n == 2 and math.isnan(two.rho) and math.isnan(two.p_value)
    assert two.caveat == "only 2 pair(s) have both a trade figure and a gap: too few to measure an association."
    x = pd.Series(np.arange(12, dtype=float))
    many = trade.trade_gap_association(x, -x, permutations=199, rng=7, context="Trade from 2018 and 2024.")
    assert many.rho == pytest.approx(-1.0) and many.n == 12
    assert many.caveat == ("n = 12 pairs; a rank association, not an effect: pairs along one border share a country "
                           "and are not independent. Trade from 2018 and 2024.")
    # a perfect ranking is never matched by chance in 199 draws: p = (0 + 1) / (199 + 1)
    assert many.p_value == pytest.approx(1 / 200)
    # the same seed gives the same Monte Carlo p-value
    y = pd.Series([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8])
    runs = [trade.trade_gap_association(x, y, permutations=99, rng=seed).p_value for seed in (3, 3, 4)]
    assert runs[0] == runs[1] and 0 < runs[0] <= 1
    assert "Spearman rho -1.00 over 12 pair(s)" in many.summary()


def test_trade_divide_per_pair_and_segment():
    pairs = pd.DataFrame({
        "region_a": ["A1", "A2", "A3", "A4", "C1"], "region_b": ["B1", "B2", "B3", "B4", "A1"],
        "cross_border": True, "segment": ["AA-BB"] * 4 + ["AA-CC"],
        "gap": [-0.4, -0.3, -0.2, 0.1, 0.5], "abs_gap": [0.4, 0.3, 0.2, 0.1, 0.5],
    })
    flows = _flows([("A1", "B1", 10, USD, 2021, "turnover"), ("A2", "B2", 20, USD, 2021, "turnover"),
                    ("B3", "A3", 40, USD, 2020, "turnover"), ("A4", "B4", 30, USD, 2021, "turnover"),
                    ("A1", "BB", 1000, USD, 2021, "turnover")])
    flows["origin_kind"], flows["destination_kind"], flows["matched"] = "region", "region", True
    flows["cross_border"], flows["segment"] = True, "AA-BB"
    result = trade.trade_divide(pairs, flows, rng=0)
    assert result.pairs["trade_value"].tolist()[:4] == [10.0, 20.0, 40.0, 30.0]
    # trade 10, 20, 40, 30 -> ranks 1, 2, 4, 3; abs gap 0.4, 0.3, 0.2, 0.1 -> ranks 4, 3, 2, 1
    # d = -3, -1, 2, 2: sum d^2 = 18, rho = 1 - 6 * 18 / 60 = -0.8
    assert result.association.rho == pytest.approx(-0.8) and result.association.n == 4
    assert "Trade figures from 2020, 2021." in result.association.caveat
    segment = result.segments.loc["AA-BB"]
    assert (segment.pairs_n, segment.pairs_with_trade_n, segment.trade_value_sum) == (4, 4, 100.0)
    assert segment.mean_gap == pytest.approx(-0.2) and segment.mean_abs_gap == pytest.approx(0.25)
    assert segment.rho == pytest.approx(-0.8) and segment.flows_n == 5
    assert result.segments.loc["AA-CC", "pairs_with_trade_n"] == 0
    assert "cross-border pairs with a trade figure: 4 of 5" in result.summary()
    part_year = flows.copy()
    part_year.loc[0, "period"] = "January-May"
    mixed = r"mix units or periods \(million USD \(January-May\), million USD \(year\)\)"
    with pytest.raises(SchemaError, match=mixed):
        trade.trade_divide(pairs, part_year, period=None)
    # with the default period (whole years only) the part-year figure is simply not used
    assert trade.trade_divide(pairs, part_year, rng=0).association.n == 3


def test_growth_rates_are_never_added_per_segment():
    pairs = pd.DataFrame({"region_a": ["A1", "A2"], "region_b": ["B1", "B2"], "cross_border": True,
                          "segment": "AA-BB", "gap": [0.1, 0.2], "abs_gap": [0.1, 0.2]})
    flows = _flows([("B1", "A1", 121.8, "% of previous year", 2018, "growth_rate"),
                    ("B2", "A2", 114.9, "% of previous year", 2018, "growth_rate")])
    table = trade.pair_trade(pairs, flows, flow_type="growth_rate")
    segment = trade.segment_trade(table).loc["AA-BB"]
    assert segment.pairs_with_trade_n == 2 and math.isnan(segment.trade_value_sum)
    assert segment.trade_unit == "% of previous year"


# ---- the bundled data ------------------------------------------------------------------------

MOGILEV_STUDY = "Study of SME foreign economic activity of the Mogilev region within Russia-Belarus integration"


@pytest.fixture(scope="module")
def bundled_regions():
    return layers.prepare_regions(io.read_layer(io.bundled("regions.gpkg"), "regions"))


@pytest.fixture(scope="module")
def bundled_countries():
    return layers.to_projected(io.read_layer(io.bundled("countries.gpkg"), "countries"))


@pytest.fixture(scope="module")
def bundled_flows(bundled_regions, bundled_countries):
    flows, skipped = trade.read_trade_flows()
    return trade.match_flows(flows, bundled_regions, countries=bundled_countries, focus_country="RU", skipped=skipped)


@pytest.mark.parametrize(
    ("destination", "value"),
    [("RU-SMO", 121.8), ("RU-BRY", 114.9), ("RU-SPE", 136.4), ("RU-LEN", 86.1), ("RU-ROS", 104.5)],
    ids=["Smolensk", "Bryansk", "St-Petersburg", "Leningrad", "Rostov"],
)
def test_mogilev_export_growth_carries_the_published_values(bundled_flows, destination, value):
    flows, _ = bundled_flows
    row = flows[(flows.origin == "BY-MA") & (flows.destination == destination)]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row.value, row.unit, row.year, row.flow_type, row.basis) == (
        value, "% of previous year", 2018, "growth_rate", "exports")
    assert row.source.startswith("same study: " + MOGILEV_STUDY)
    assert row.matched and row.cross_border and row.segment == "RU-BY" and not row.partner_is_country
    assert row.source_table == "published_figures.csv"


@pytest.mark.parametrize(
    ("partner", "value", "year", "period", "source"),
    [("BY-MA", 62.6, 2024, "year", "bryanskaya-delegacziya-obsudila-perspektivy-sotrudnichestva-s-mogilevskoj"),
     ("BY-HO", 150.5, 2024, "January-May", "https://guberniya.tv/obshhestvo/284509"),
     ("BY", 970.0, 2017, "year", "https://gorodbryansk.info/2018/11/blr-25/"),
     ("BY", 530.0, 2018, "January-June", "https://gorodbryansk.info/2018/11/blr-25/")],
    ids=["Mogilev", "Gomel", "Belarus-2017", "Belarus-H1-2018"],
)
def test_bryansk_turnover_carries_the_published_values(bundled_flows, partner, value, year, period, source):
    flows, _ = bundled_flows
    row = flows[(flows.origin == "RU-BRY") & (flows.destination == partner) & (flows.year == year)].iloc[0]
    assert (row.value, row.unit, row.flow_type, row.period) == (value, "million USD", "turnover", period)
    assert source in row.source
    assert row.note.startswith("VERBATIM FIGURE QUOTED IN A NEWS/PRESS PAGE")
    assert row.partner_is_country == (partner == "BY")
    assert row.source_table == "indicators.csv"


def test_every_bundled_flow_traces_to_its_source_row(bundled_flows):
    flows, _ = bundled_flows
    raw = {"indicators.csv": io.read_table(io.bundled("indicators.csv")),
           "published_figures.csv": io.read_table(io.bundled("published_figures.csv"))}
    for flow in flows.itertuples():
        source_row = raw[flow.source_table].loc[flow.source_row]
        assert float(source_row["value"]) == flow.value
        assert source_row["indicator"] == flow.indicator
        # published rows that cite "same study" keep those words, followed by the study they point to
        assert flow.source.startswith(source_row["source"])
        assert flow.note == ("" if pd.isna(source_row["note"]) else source_row["note"])


def test_bundled_moscow_is_reported_unmatched_not_reassigned(bundled_flows, bundled_regions, bundled_countries):
    flows, report = bundled_flows
    assert report.unmatched == {"RU-MOW": "not a study region; country RU is in the study, but the flow is not "
                                          "reassigned to another region"}
    moscow = flows[flows.destination == "RU-MOW"]
    assert moscow["value"].tolist() == [93.1, 111.2] and not moscow["matched"].any()
    assert "which of Moscow city and Moscow oblast each figure belongs to is not stated" in moscow["note"].iloc[0]
    assert not ((flows.origin == "RU-MOS") | (flows.destination == "RU-MOS")).any()
    assert (report.flows, report.matched) == (15, 13)
    assert report.countries == ("BY", "RU")
    assert len(report.skipped) == 13  # 3 Mogilev concentration/count rows, 10 expert ratings
    lines = trade.flow_lines(flows, bundled_regions, countries=bundled_countries, cross_border_only=True)
    assert len(lines) == 13 and lines.crs.to_epsg() == 3035 and "RU-MOW" not in set(lines.destination)
    # the Vitebsk - Russia turnover runs to a point inside Russia
    russia = bundled_countries.loc[bundled_countries.country == "RU"].geometry.iloc[0]
    vitebsk = lines[lines.origin == "BY-VI"].geometry.iloc[0]
    assert russia.contains(shapely.Point(vitebsk.coords[-1]))


def test_bundled_trade_indicators_follow_rosstat(bundled_regions):
    table = tidy_table(io.read_table(io.bundled("indicators.csv")))
    frame = trade.trade_indicators(table, bundled_regions, year=2021, population_year=2022)
    assert frame["trade_turnover_million_usd"].notna().sum() == 14  # the 14 subjects of Rosstat table 25.4
    # Bryansk 2021: exports 414.9 + imports 785.4 = 1200.3 million USD; CIS 269.3 + 499.2 = 768.5
    assert frame.loc["RU-BRY", "trade_turnover_million_usd"] == pytest.approx(1200.3)
    assert frame.loc["RU-BRY", "trade_cis_turnover_share_of_turnover_pct"] == pytest.approx(100 * 768.5 / 1200.3)
    # population on 1 January 2022: 1168.8 thousand persons
    assert frame.loc["RU-BRY", "trade_turnover_usd_per_capita_pop2022"] == pytest.approx(1200.3e6 / 1168.8e3)
    assert frame.loc[bundled_regions.country != "RU", "trade_turnover_million_usd"].isna().all()
