import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import JoinError, SchemaError
from borderland.indicators import (
    YearRule,
    choose_year,
    component_values,
    indicator_matrix,
    match_codes,
    parse_numbers,
    tidy_table,
)


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [("12 345", ".", 12345.0), ("1,5", ",", 1.5), ("1.234,5", ",", 1234.5), ("12\u00a0000", ".", 12000.0),
     ("n/a", ".", math.nan), ("", ".", math.nan), ("-3.25", ".", -3.25)],
    ids=["thousands-space", "decimal-comma", "dot-thousands", "nbsp", "text", "empty", "negative"],
)
def test_parse_numbers(text, decimal, expected):
    value = parse_numbers(pd.Series([text], dtype=object), decimal=decimal).iloc[0]
    assert (math.isnan(value) and math.isnan(expected)) or value == expected


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=20))
def test_parse_numbers_reads_back_what_str_wrote(values):
    parsed = parse_numbers(pd.Series([repr(v) for v in values], dtype=object))
    assert parsed.tolist() == [float(repr(v)) for v in values]


def test_wide_table_is_melted_and_text_cells_counted():
    wide = pd.DataFrame({"region_id": ["A0", "B3"], "year": ["2020", "2020"],
                         "access": ["50", "n/a"], "broadband": ["40,5", "80"]})
    tidy = tidy_table(wide, layout="wide", decimal=",")
    assert sorted(zip(tidy.region_id, tidy.indicator, tidy.value, strict=True)) == [
        ("A0", "access", 50.0), ("A0", "broadband", 40.5), ("B3", "broadband", 80.0)]
    assert tidy.attrs["non_numeric_cells"] == 1
    assert tidy["year"].tolist() == [2020, 2020, 2020]


def test_long_table_accepts_region_code_column():
    long = pd.DataFrame({"region_code": ["A0"], "indicator": ["x"], "year": [2020], "value": [1.0]})
    assert tidy_table(long)["region_id"].tolist() == ["A0"]


def test_tidy_table_names_missing_columns():
    with pytest.raises(SchemaError, match=r"long table lacks column\(s\) year, value"):
        tidy_table(pd.DataFrame({"region_id": ["A0"], "indicator": ["x"]}))
    with pytest.raises(SchemaError, match="unknown layout 'tall'"):
        tidy_table(pd.DataFrame({"region_id": ["A0"]}), layout="tall")


def test_match_codes_reports_both_ways_with_hints(regions):
    table = pd.DataFrame({"region_id": ["A0", "a1", "A", "ZZ9"], "indicator": "x", "year": 2020, "value": 1.0})
    report = match_codes(regions, table)
    assert report.matched == ("A0",)
    assert report.unmatched_codes == {
        "A": "a coarser unit (e.g. NUTS 1 or a national total) of study regions",
        "ZZ9": "",
        "a1": "differs only in case or spaces from A1",
    }
    assert report.regions_without_data == ("A1", "A2", "B3", "B4", "B5")
    assert "codes without a region: 3" in report.summary()


def test_match_codes_refuses_a_table_that_matches_nothing(regions):
    table = pd.DataFrame({"region_id": ["X1"], "indicator": "x", "year": 2020, "value": 1.0})
    with pytest.raises(JoinError, match="no indicator code matches a region code"):
        match_codes(regions, table)


def test_indicator_matrix_takes_first_available_alternative(regions):
    table = pd.DataFrame({"region_id": ["A0", "A0", "B3"], "indicator": ["eu_name", "ru_name", "ru_name"],
                          "year": 2020, "value": [1.0, 2.0, 3.0]})
    matrix = indicator_matrix(table, regions, {"users": ("eu_name", "ru_name")}, 2020)
    assert matrix.loc["A0", "users"] == 1.0
    assert matrix.loc["B3", "users"] == 3.0
    assert matrix["users"].isna().sum() == 4


def test_choose_year_prefers_most_complete_then_latest(regions, strip_table):
    components = {"access": ("access",), "broadband": ("broadband",)}
    year, counts = choose_year(strip_table, regions, components, focus_country="AA")
    # 2020: 3 + 3 complete regions; 2021: only B3 is complete and AA has none -> not eligible
    assert year == 2020
    assert counts.loc[2020].tolist() == [3, 3, 6]
    assert counts.loc[2021].tolist() == [0, 1, 1]


def test_choose_year_breaks_ties_towards_the_latest(regions):
    rows = [(c, "x", y, 1.0) for y in (2019, 2020) for c in ("A0", "B3")]
    table = pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])
    assert choose_year(table, regions, {"x": ("x",)}, focus_country="AA")[0] == 2020


def test_choose_year_without_both_sides_is_an_error(regions):
    table = pd.DataFrame({"region_id": ["A0"], "indicator": "x", "year": 2020, "value": 1.0})
    with pytest.raises(JoinError, match="no year has every index component"):
        choose_year(table, regions, {"x": ("x",)}, focus_country="AA")


# A0 has x in 2019 and 2020, A1 only in 2018, B3 only in 2021 (after the study year 2020)
YEARS_TABLE = pd.DataFrame({"region_id": ["A0", "A0", "A1", "B3"], "indicator": "x",
                            "year": [2019, 2020, 2018, 2021], "value": [1.0, 2.0, 3.0, 4.0]})


@pytest.mark.parametrize(
    ("rule", "values", "years"),
    [
        (YearRule(), {"A0": 2.0}, {"A0": 2020}),
        # latest year <= 2020 with any value: 2020, the same year for everyone
        (YearRule("latest"), {"A0": 2.0}, {"A0": 2020}),
        # each region's latest in 2018-2020
        (YearRule("window", window=2), {"A0": 2.0, "A1": 3.0}, {"A0": 2020, "A1": 2018}),
        (YearRule("window", window=1), {"A0": 2.0}, {"A0": 2020}),
        # the rule's own year overrides the study's
        (YearRule("exact", 2019), {"A0": 1.0}, {"A0": 2019}),
        (YearRule("latest", 2019), {"A0": 1.0}, {"A0": 2019}),
        (YearRule("latest", 2030), {"B3": 4.0}, {"B3": 2021}),
        # each region's nearest year in 2019-2021 (A1's 2018 is two years off), looking forward too
        (YearRule("nearest", window=1), {"A0": 2.0, "B3": 4.0}, {"A0": 2020, "B3": 2021}),
        (YearRule("nearest", window=2), {"A0": 2.0, "A1": 3.0, "B3": 4.0}, {"A0": 2020, "A1": 2018, "B3": 2021}),
        (YearRule("nearest"), {"A0": 2.0}, {"A0": 2020}),  # window 0 is the exact year
    ],
    ids=["exact", "latest", "window-2", "window-1", "exact-own-year", "latest-own-year", "latest-future",
         "nearest-1", "nearest-2", "nearest-0"],
)
def test_year_rules_by_hand(regions, rule, values, years):
    found, taken = component_values(YEARS_TABLE, regions, {"x": ("x",)}, 2020, rules={"x": rule})
    assert found["x"].dropna().to_dict() == values
    assert taken["x_year"].dropna().astype(int).to_dict() == years
    assert list(found.index) == list(regions.index)
    pd.testing.assert_frame_equal(indicator_matrix(YEARS_TABLE, regions, {"x": ("x",)}, 2020, rules={"x": rule}), found)


def test_window_keeps_the_order_of_preference_between_indicator_names(regions):
    # A0: the preferred eu_name has only 2019, ru_name has 2020: within the window, eu_name wins
    table = pd.DataFrame({"region_id": ["A0", "A0", "B3"], "indicator": ["eu_name", "ru_name", "ru_name"],
                          "year": [2019, 2020, 2020], "value": [1.0, 2.0, 3.0]})
    found, taken = component_values(table, regions, {"users": ("eu_name", "ru_name")}, 2020,
                                     rules={"users": YearRule("window", window=1)})
    assert found["users"].dropna().to_dict() == {"A0": 1.0, "B3": 3.0}
    assert taken["users_year"].dropna().astype(int).to_dict() == {"A0": 2019, "B3": 2020}


def test_choose_year_with_a_window_counts_regions_complete_under_it(regions, strip_table):
    components = {"access": ("access",), "broadband": ("broadband",)}
    rules = {name: YearRule("window", window=1) for name in components}
    year, counts = choose_year(strip_table, regions, components, focus_country="AA", rules=rules)
    # within 2020-2021 every region has both indicators (2021 values where they exist, else 2020)
    assert year == 2021
    assert counts.loc[2021].tolist() == [3, 3, 6]


def test_nearest_year_ties_go_to_the_earlier_year(regions):
    # A0: 2019 and 2021 are both one year from 2020; B3: 2021 only, duplicated (the first row wins)
    table = pd.DataFrame({"region_id": ["A0", "A0", "B3", "B3"], "indicator": "x",
                          "year": [2021, 2019, 2021, 2021], "value": [3.0, 1.0, 4.0, 5.0]})
    found, taken = component_values(table, regions, {"x": ("x",)}, 2020, rules={"x": YearRule("nearest", window=1)})
    assert found["x"].dropna().to_dict() == {"A0": 1.0, "B3": 4.0}
    assert taken["x_year"].dropna().astype(int).to_dict() == {"A0": 2019, "B3": 2021}


def test_year_rule_checks_itself():
    with pytest.raises(SchemaError,
                       match=r"unknown year rule 'newest'; choose one of \['exact', 'latest', 'nearest', 'window'\]"):
        YearRule("newest")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="window must be a whole number of years >= 0, not -1"):
        YearRule("window", window=-1)
    with pytest.raises(SchemaError, match="window=2 only applies to the 'window' and 'nearest' rules, not 'exact'"):
        YearRule("exact", window=2)
    assert YearRule("latest").describe(2021) == "latest year up to 2021"


def test_year_rules_for_unknown_components_are_refused(regions):
    with pytest.raises(SchemaError, match=r"year rules name unknown component\(s\) \['y'\]; components are \['x'\]"):
        component_values(YEARS_TABLE, regions, {"x": ("x",)}, 2020, rules={"y": YearRule()})


def test_codes_of_another_nuts_version_are_recognised():
    import geopandas as gpd
    import shapely

    # the layer has NUTS 2024 codes of Norway; the table still uses NO01 (NUTS 2016) and the NUTS 1 code NO0
    regions = gpd.GeoDataFrame({"country": ["NO", "NO"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
                               index=pd.Index(["NO08", "NO09"], name="region_id"), crs=3035)
    table = pd.DataFrame({"region_id": ["NO08", "NO01", "NO0", "XX"], "indicator": "x", "year": 2020, "value": 1.0})
    report = match_codes(regions, table)
    assert report.unmatched_codes["NO01"].startswith("a NUTS code of the layer's country and level")
    assert "another NUTS version" in report.unmatched_codes["NO01"]
    assert report.unmatched_codes["NO0"].startswith("a coarser unit")
    assert report.unmatched_codes["XX"] == ""
    assert "  NO01: a NUTS code" in report.summary()


@settings(deadline=None, max_examples=50)
@given(
    cells=st.lists(st.tuples(st.sampled_from(["r1", "r2", "r3", "r4"]), st.sampled_from(["u", "v", "w"]),
                             st.integers(2015, 2022)), min_size=1, max_size=30),
    kind=st.sampled_from(["exact", "latest", "window", "nearest"]),
    window=st.integers(0, 3),
    fixed=st.one_of(st.none(), st.integers(2015, 2022)),
)
def test_completeness_of_all_years_at_once_equals_year_by_year(cells, kind, window, fixed):
    from borderland.indicators import complete_by_year, indicator_matrix

    table = pd.DataFrame(cells, columns=["region_id", "indicator", "year"]).assign(value=1.0)
    regions = pd.DataFrame(index=pd.Index(["r1", "r2", "r3", "r4", "r5"], name="region_id"))
    components = {"a": ["u", "v"], "b": ["w"]}
    rule = YearRule(kind, fixed, window if kind in ("window", "nearest") else 0)
    rules = {"a": rule, "b": YearRule()}
    years = list(range(2014, 2024))
    fast = complete_by_year(table, regions, components, years, rules=rules)
    for year in years:
        slow = indicator_matrix(table, regions, components, year, rules=rules).notna().all(axis=1)
        assert fast[year].tolist() == slow.tolist(), year
