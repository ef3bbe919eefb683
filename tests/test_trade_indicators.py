"""borderland.trade.indicators: totals, per capita, shares, growth, concentration; by hand, then on the bundled data."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland import io, trade
from borderland.errors import SchemaError
from borderland.indicators import YearRule, tidy_table
from borderland.population import region_population
from tests.trade_support import USD, bundled_regions, flow_table

X, M = "foreign_trade_exports_total", "foreign_trade_imports_total"
XC, MC = "foreign_trade_exports_to_cis_countries", "foreign_trade_imports_from_cis_countries"


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


def test_per_capita_divides_by_the_population_given(trade_table, regions):
    people = region_population(trade_table, regions, year=2021)  # nearest to 2021: 2022 for A0 and B3
    per_capita = trade.trade_per_capita(trade_table, regions, year=2021, population=people)
    assert per_capita.name == "trade_turnover_usd_per_capita" and per_capita.index.equals(regions.index)
    # A0: 40 million USD / 20 thousand persons = 40e6 / 2e4 = 2000 USD per person
    # B3: 100 million USD / 500 000 persons = 1e8 / 5e5 = 200 USD per person
    assert per_capita["A0"] == pytest.approx(2000.0) and per_capita["B3"] == pytest.approx(200.0)
    # insisting on 2023: A0 40e6 / 21e3 = 1904.76...; B3 has no 2023 population: NaN, not a guess
    later = region_population(trade_table, regions, year=2021, rule=YearRule("exact", 2023))
    per_capita = trade.trade_per_capita(trade_table, regions, year=2021, population=later)
    assert per_capita["A0"] == pytest.approx(40e6 / 21e3) and math.isnan(per_capita["B3"])
    with pytest.raises(SchemaError, match=r"population lacks column\(s\) population_persons \(has \); build it "
                                          r"with borderland.population.region_population"):
        trade.trade_per_capita(trade_table, regions, year=2021, population=pd.DataFrame(index=regions.index))


def test_per_capita_never_divides_by_zero_or_a_missing_population(trade_table, regions):
    people = region_population(trade_table, regions, year=2021)
    people.loc["B3", "population_persons"] = 0.0
    people.loc["A0", "population_persons"] = np.nan
    per_capita = trade.trade_per_capita(trade_table, regions, year=2021, population=people)
    assert per_capita.isna().all()


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
        trade.trade_per_capita(share, regions, year=2021, population=region_population(share, regions, year=2021),
                               measure="exports")


def test_trade_indicators_frame_and_tidy_rows(trade_table, regions):
    people = region_population(trade_table, regions, year=2021)
    frame = trade.trade_indicators(trade_table, regions, year=2021, population=people)
    assert list(frame.columns) == [
        "trade_exports_million_usd", "trade_imports_million_usd", "trade_turnover_million_usd",
        "trade_balance_million_usd", "trade_cis_turnover_share_of_turnover_pct",
        "trade_turnover_usd_per_capita"]
    assert frame.attrs["left_out"] == ["non_cis_turnover share"]
    assert frame.attrs["units"]["trade_turnover_usd_per_capita"] == "USD per person (population of 2022)"
    rows = trade.as_indicator_rows(frame, year=2021, source="borderland.trade")
    assert list(rows.columns) == ["region_id", "indicator", "year", "value", "unit", "source", "note"]
    a0 = rows[(rows.region_id == "A0") & (rows.indicator == "trade_turnover_million_usd")].iloc[0]
    assert (a0.value, a0.unit, a0.year) == (40.0, "million USD", 2021)
    # 6 columns: A0 has all 6, B3 has 5 (no CIS share), A1 only exports: 12 rows with a value
    assert len(rows) == 12
    # without a population, no per-capita column
    assert "trade_turnover_usd_per_capita" not in trade.trade_indicators(trade_table, regions, year=2021).columns
    with pytest.raises(SchemaError, match="has none of the trade indicators"):
        trade.trade_indicators(trade_table[trade_table.indicator.str.startswith("population")], regions, year=2021)



def test_trade_indicators_look_each_indicator_up_once_per_table_and_year(trade_table, regions, monkeypatch):
    from borderland.trade import indicators

    people = region_population(trade_table, regions, year=2021)
    seen: list[tuple[str, int]] = []
    looked_up = indicators._looked_up
    monkeypatch.setattr(indicators, "_looked_up", lambda table, name, year: seen.append((name, year))
                        or looked_up(table, name, year))
    frame = trade.trade_indicators(trade_table, regions, year=2021, population=people)
    # exports, imports, turnover, balance, the CIS share and per capita: four indicators, each read once
    assert sorted(seen) == sorted({(X, 2021), (M, 2021), (XC, 2021), (MC, 2021)})
    # the same figures as each measure alone; the memo is gone after the call
    pd.testing.assert_series_equal(frame["trade_turnover_million_usd"], trade.trade_total(trade_table, regions,
                                                                                          year=2021))
    assert indicators._LOOKED_UP.get() is None
    # another table (another year's figures in it) is another key: never the first table's values
    later = trade_table.assign(year=trade_table["year"].where(trade_table["year"] != 2020, 2019))
    later.loc[(later.region_id == "B3") & (later.indicator == X) & (later.year == 2021), "value"] = 70.0
    again = trade.trade_indicators(later, regions, year=2021)
    assert again.loc["B3", "trade_turnover_million_usd"] == 120.0  # 70 + 50
    assert frame.loc["B3", "trade_turnover_million_usd"] == 100.0

def test_per_capita_units_name_every_population_year_used(trade_table, regions):
    # B3's population from 2020 instead: the two regions' figures divide by populations of two years
    table = trade_table.copy()
    table.loc[(table.region_id == "B3") & (table.indicator == "population_1_january"), "year"] = 2020
    frame = trade.trade_indicators(table, regions, year=2021, population=region_population(table, regions, year=2021))
    assert frame.attrs["units"]["trade_turnover_usd_per_capita"] == "USD per person (population of 2020 and 2022)"


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


@settings(deadline=None)
@given(amounts, st.floats(min_value=0.1, max_value=1000))
def test_herfindahl_bounds_and_invariances(values, scale):
    hhi = trade.herfindahl(values)
    assert 1 / len(values) - 1e-9 <= hhi <= 1 + 1e-9
    assert trade.herfindahl([v * scale for v in values]) == pytest.approx(hhi)
    assert trade.herfindahl(list(reversed(values))) == pytest.approx(hhi)


@settings(deadline=None)
@given(amounts)
def test_top_share_grows_with_k_to_100(values):
    shares = [trade.top_share(values, k) for k in range(1, len(values) + 1)]
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(shares))
    assert shares[-1] == pytest.approx(100.0)
    assert shares[0] >= 100.0 / len(values) - 1e-9


def test_partner_concentration_per_reporter(regions):
    flows = flow_table([
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


# ---- the bundled data ------------------------------------------------------------------------


def test_bundled_trade_indicators_follow_rosstat():
    regions = bundled_regions()
    table = tidy_table(io.read_table(io.bundled("indicators.csv")))
    frame = trade.trade_indicators(table, regions, year=2021, population=region_population(table, regions, year=2021))
    assert frame["trade_turnover_million_usd"].notna().sum() == 14  # the 14 subjects of Rosstat table 25.4
    # Bryansk 2021: exports 414.9 + imports 785.4 = 1200.3 million USD; CIS 269.3 + 499.2 = 768.5
    assert frame.loc["RU-BRY", "trade_turnover_million_usd"] == pytest.approx(1200.3)
    assert frame.loc["RU-BRY", "trade_cis_turnover_share_of_turnover_pct"] == pytest.approx(100 * 768.5 / 1200.3)
    # population on 1 January 2022 (the nearest year to 2021): 1168.8 thousand persons
    assert frame.loc["RU-BRY", "trade_turnover_usd_per_capita"] == pytest.approx(1200.3e6 / 1168.8e3)
    assert frame.attrs["units"]["trade_turnover_usd_per_capita"] == "USD per person (population of 2022)"
    assert frame.loc[regions.country != "RU", "trade_turnover_million_usd"].isna().all()
