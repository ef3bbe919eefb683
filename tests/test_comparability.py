"""Tests of borderland.comparability: definitions across the border, by hand on the strip and on the bundled study.

The strip (tests/conftest.py): A0 A1 A2 | B3 B4 B5, every square 1 km, the only cross-border pair
A2-B3 (1 km shared). Two components: household ``access`` (one indicator on both sides) and
individual ``users``, which country AA counts as users aged 15-74 (``users_15_74``) and BB as
weekly users aged 16-74 (``users_weekly``):

    region   access  users   min-max access  min-max users  index
    A0         50     80         0.0            0.6          0.30
    A1         60     90         0.2            0.8          0.50
    A2         70    100         0.4            1.0          0.70
    B3         90     70         0.8            0.4          0.60
    B4        100     60         1.0            0.2          0.60
    B5         80     50         0.6            0.0          0.30

Gap A2 - B3: 0.70 - 0.60 = +0.1. Without ``users`` the index is the access score alone:
0.4 - 0.8 = -0.4. With ``users_weekly`` adjusted by +10 (BB: 80, 70, 60; users range 60..100):
A2 (0.4 + 1.0) / 2 = 0.70, B3 (0.8 + 0.5) / 2 = 0.65, gap +0.05.

Typology (mean +- 0.5 sd): all components, leaders A2, B3, B4, lagging A0, B5, moderate A1;
without users (scores 0, 0.2, 0.4, 0.8, 1, 0.6: mean 0.5, sd 0.374) leaders B3, B4, lagging A0,
A1, moderate A2, B5: A1, A2 and B5 change class.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland import comparability, indicators, neighbours
from borderland.comparability import compare_definitions, definition_table, pair_comparability
from borderland.errors import SchemaError
from borderland.index import IndexSpec, IndicatorSpec, build_index
from borderland.typology import TypologySpec

ACCESS = {"A0": 50, "A1": 60, "A2": 70, "B3": 90, "B4": 100, "B5": 80}
USERS = {"A0": 80, "A1": 90, "A2": 100, "B3": 70, "B4": 60, "B5": 50}
TYPOLOGY = TypologySpec("mean_sd", {"k": 0.5})


def users_table(definitions: dict[str, str] | None = None) -> pd.DataFrame:
    rows = [(code, "access", 2021, value) for code, value in ACCESS.items()]
    rows += [(code, "users_15_74" if code.startswith("A") else "users_weekly", 2021, value)
             for code, value in USERS.items()]
    table = pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])
    if definitions is not None:
        table["definition"] = table["indicator"].map(definitions)
    return table


def users_spec(**users) -> IndexSpec:
    return IndexSpec((IndicatorSpec("access", ("access",)),
                      IndicatorSpec("users", ("users_15_74", "users_weekly"), **users)))


def compared(regions, spec: IndexSpec | None = None, table: pd.DataFrame | None = None):
    spec = spec or users_spec()
    table = users_table() if table is None else table
    traced = indicators.traced_component_values(table, regions, spec.indicator_names, 2021)
    index = build_index(traced.values, spec, countries=regions["country"]).index
    pairs = neighbours.pair_table(regions, neighbours.neighbour_graph(regions), index, focus_country="AA")
    result = compare_definitions(regions, pairs=pairs, matrix=traced.values, sources=traced.indicators, spec=spec,
                                 typology=TYPOLOGY, definitions=definition_table(spec, table), focus_country="AA")
    return result, pairs


def rows(result, scope: str, scenario: str, component: str | None = None) -> pd.DataFrame:
    table = result.table
    chosen = (table["scope"] == scope) & (table["scenario"] == scenario)
    if component is not None:
        chosen &= table["component"] == component
    return table[chosen]


# -- where each value comes from -------------------------------------------------------------------


def test_each_value_names_its_indicator_and_the_old_contract_holds(regions):
    spec = users_spec()
    traced = indicators.traced_component_values(users_table(), regions, spec.indicator_names, 2021)
    assert traced.indicators["users_indicator"].to_dict() == {
        "A0": "users_15_74", "A1": "users_15_74", "A2": "users_15_74",
        "B3": "users_weekly", "B4": "users_weekly", "B5": "users_weekly"}
    assert traced.indicators["access_indicator"].eq("access").all()
    values, years = indicators.component_values(users_table(), regions, spec.indicator_names, 2021)
    pd.testing.assert_frame_equal(values, traced.values)
    pd.testing.assert_frame_equal(years, traced.years)


def test_the_tidy_table_keeps_a_definition_column():
    raw = pd.DataFrame({"region_id": ["A0", "B3"], "indicator": ["u", "u"], "year": 2021, "value": [1.0, 2.0],
                        "definition": ["  15-74,  used ", ""]})
    tidy = indicators.tidy_table(raw)
    assert list(tidy.columns) == [*indicators.TIDY_COLUMNS, "definition"]
    assert tidy["definition"].isna().tolist() == [False, True]
    assert indicators.table_definitions(tidy) == {"u": ("15-74, used",)}
    # without the column the layout is as before
    assert list(indicators.tidy_table(raw.drop(columns="definition")).columns) == list(indicators.TIDY_COLUMNS)


# -- the rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("users", "table_definitions", "comparable"), [
    ({}, None, False),
    ({"definitions": (("users_15_74", "15-74"), ("users_weekly", "16-74, weekly"))}, None, False),
    ({"definitions": (("users_15_74", "16-74, weekly"), ("users_weekly", " 16-74,  weekly"))}, None, True),
    ({"definitions": (("users_weekly", "16-74, weekly"),)}, None, False),
    ({}, {"users_15_74": "16-74, weekly", "users_weekly": "16-74, weekly"}, True),
], ids=["different-names-without-definitions", "different-definitions", "identical-definitions",
        "one-side-defined", "identical-in-the-table"])
def test_two_names_compare_only_when_declared_identical(regions, users, table_definitions, comparable):
    result, pairs = compared(regions, users_spec(**users), users_table(table_definitions))
    cross = pairs.index[pairs["cross_border"]]
    assert result.pairs.loc[cross, "comparable"].tolist() == [comparable]
    assert result.pairs.loc[cross, "noncomparable_components"].tolist() == ["" if comparable else "users"]
    # pairs within a country use one name: comparable whatever the definitions
    assert result.pairs.loc[~pairs["cross_border"], "comparable"].tolist() == [True] * 4
    assert result.components == (() if comparable else ("users",))
    assert set(result.table["scenario"]) == ({"all components"} if comparable else {"all components", "without"})


def test_a_component_one_side_lacks_is_not_compared():
    spec = users_spec()
    sources = pd.DataFrame({"access_indicator": ["access", "access", None],
                            "users_indicator": ["users_15_74", None, None]}, index=["P", "Q", "R"])
    pairs = pd.DataFrame({"region_a": ["P", "Q"], "region_b": ["Q", "R"]})
    flags = pair_comparability(pairs, sources, spec)
    assert flags["comparable"].tolist() == [True, pd.NA]
    assert flags["noncomparable_components"].tolist() == ["", pd.NA]


@settings(deadline=None, max_examples=40)
@given(st.lists(st.sampled_from(["used", "weekly", "daily", None]), min_size=2, max_size=8))
def test_the_flags_do_not_depend_on_the_order_of_a_pair(names):
    spec = IndexSpec((IndicatorSpec("users", ("used", "weekly", "daily"), definitions=(("weekly", "16-74"),
                                                                                       ("daily", "16-74"))),))
    codes = [f"r{i}" for i in range(len(names))]
    sources = pd.DataFrame({"users_indicator": pd.array(names, dtype="string")}, index=codes)
    pairs = pd.DataFrame({"region_a": codes[:-1], "region_b": codes[1:]})
    swapped = pairs.rename(columns={"region_a": "region_b", "region_b": "region_a"})
    forth, back = pair_comparability(pairs, sources, spec), pair_comparability(swapped, sources, spec)
    pd.testing.assert_frame_equal(forth, back)
    # same name, or weekly and daily (declared identical): comparable; used beside either: not
    expected = [pd.NA if a is None or b is None else (a == b or {a, b} == {"weekly", "daily"})
                for a, b in itertools.pairwise(names)]
    assert forth["comparable"].tolist() == expected


# -- the analysis by hand --------------------------------------------------------------------------


def test_the_gap_without_the_component_by_hand(regions):
    result, pairs = compared(regions)
    base, without = rows(result, "pair", "all components"), rows(result, "pair", "without")
    assert base[["region_a", "region_b", "segment"]].values.tolist() == [["A2", "B3", "AA-BB"]]
    assert base["gap"].iloc[0] == pytest.approx(0.1)
    assert pairs.loc[pairs["cross_border"], "gap"].iloc[0] == pytest.approx(0.1)  # the run's own gap
    assert without["component"].tolist() == ["users"]
    assert without["gap"].iloc[0] == pytest.approx(-0.4)
    assert without["gap_change"].iloc[0] == pytest.approx(-0.5)
    assert without["abs_gap_change_pct"].iloc[0] == pytest.approx(300.0)  # |gap| 0.1 -> 0.4
    assert not without["comparable"].iloc[0] and without["noncomparable_components"].iloc[0] == "users"
    # one pair of 1 km: the segment's length-weighted mean is that gap
    segment = rows(result, "segment", "without")
    assert segment[["segment", "shared_border_km"]].values.tolist() == [["AA-BB", 1.0]]
    assert segment["mean_gap_length_weighted"].iloc[0] == pytest.approx(-0.4)
    assert segment["mean_gap_length_weighted_change"].iloc[0] == pytest.approx(-0.5)
    assert segment["mean_abs_gap_length_weighted"].iloc[0] == pytest.approx(0.4)


def test_the_typology_with_and_without_by_hand(regions):
    result, _ = compared(regions)
    base, without = rows(result, "typology", "all components"), rows(result, "typology", "without")
    assert base["class_counts"].iloc[0] == "leader 3, moderate 1, lagging 2"
    assert base["regions_changing_class"].iloc[0] == 0
    assert without["class_counts"].iloc[0] == "leader 2, moderate 2, lagging 2"
    assert without["regions_indexed"].iloc[0] == 6 and without["regions_changing_class"].iloc[0] == 3
    assert without["class_changes"].iloc[0] == ("Region A1 (A1): moderate -> lagging; "
                                                "Region A2 (A2): leader -> moderate; "
                                                "Region B5 (B5): lagging -> moderate")


def test_the_adjustment_by_hand(regions):
    spec = users_spec(adjust=(("users_weekly", 10.0),), adjust_source="a bridge table, p. 12")
    result, _ = compared(regions, spec)
    adjusted = rows(result, "pair", "adjusted")
    assert adjusted["gap"].iloc[0] == pytest.approx(0.05)
    assert adjusted["adjustment"].iloc[0] == "users_weekly +10 (a bridge table, p. 12)"
    assert set(result.table["scenario"]) == {"all components", "without", "adjusted"}
    # the index of the run is not adjusted: the adjustment is a scenario of the comparability table only
    assert rows(result, "pair", "all components")["gap"].iloc[0] == pytest.approx(0.1)
    definitions = result.definitions.set_index("indicator")
    assert definitions.loc["users_weekly", "adjust"] == 10.0
    assert np.isnan(definitions.loc["users_15_74", "adjust"])


def test_two_unlike_components_get_a_scenario_each_and_the_summary_says_so(regions):
    table = users_table()
    table.loc[(table["indicator"] == "access") & table["region_id"].str.startswith("B"), "indicator"] = "access_eu"
    spec = IndexSpec((IndicatorSpec("access", ("access", "access_eu")),
                      IndicatorSpec("users", ("users_15_74", "users_weekly"), adjust=(("users_weekly", 10.0),))))
    result, _ = compared(regions, spec, table)
    assert result.components == ("access", "users")
    assert rows(result, "pair", "all components")["noncomparable_components"].tolist() == ["access, users"]
    scenarios = result.table.loc[result.table["scope"] == "pair", ["scenario", "component"]]
    assert scenarios.values.tolist() == [["all components", ""], ["without", "access"], ["without", "users"],
                                         ["adjusted", "users"]]
    # without access the index is the users score alone: A2 1.0, B3 0.4
    assert rows(result, "pair", "without", "access")["gap"].tolist() == pytest.approx([0.6])
    assert result.summary().splitlines() == [
        "comparability: 1 of 1 cross-border gaps rest on components defined differently on the two sides",
        "  access: access (AA); access_eu (BB)",
        "    without it: mean |gap| of those 1 pairs 0.100 -> 0.600; length-weighted mean gap of their segments: "
        "AA-BB +0.100 -> +0.600; 4 of 6 regions change class",
        "  users: users_15_74 (AA); users_weekly (BB)",
        "    without it: mean |gap| of those 1 pairs 0.100 -> 0.400; length-weighted mean gap of their segments: "
        "AA-BB +0.100 -> -0.400; 3 of 6 regions change class",
        "    adjusted: mean |gap| of those 1 pairs 0.100 -> 0.050; length-weighted mean gap of their segments: "
        "AA-BB +0.100 -> +0.050; 0 of 6 regions change class"]


def test_an_adjustment_of_an_indicator_no_region_uses_is_not_applied(regions):
    spec = IndexSpec((IndicatorSpec("access", ("access",)),
                      IndicatorSpec("users", ("users_15_74", "users_weekly", "users_daily"),
                                    adjust=(("users_daily", 5.0),))))
    result, _ = compared(regions, spec)
    assert "adjusted" not in set(result.table["scenario"])
    assert any("touches no indexed region" in note for note in result.notes)


def test_the_only_component_cannot_be_left_out(regions):
    spec = IndexSpec((IndicatorSpec("users", ("users_15_74", "users_weekly")),))
    result, _ = compared(regions, spec)
    assert result.components == ("users",)
    assert set(result.table["scenario"]) == {"all components"}
    assert result.notes == ("the index without users is not computed: it is the only component",)


def test_the_rebuilt_index_covers_the_regions_the_run_indexed(regions):
    # B5 lacks users: with every component it gets no index; without users it would, but must not
    table = users_table()
    table = table[~((table["region_id"] == "B5") & (table["indicator"] == "users_weekly"))]
    table.loc[(table["region_id"] == "B5") & (table["indicator"] == "access"), "value"] = 40.0
    result, _ = compared(regions, table=table)
    typology = rows(result, "typology", "without")
    assert typology["regions_indexed"].iloc[0] == 5
    # nor does B5's access (40) set the scale: access over A0-B4 is 50..100 (0.4 and 0.8), as with all
    # components; with B5 it would be 40..100 (0.5 and 0.833)
    assert rows(result, "pair", "without")["gap"].iloc[0] == pytest.approx(0.4 - 0.8)


VALUES = st.lists(st.one_of(st.none(), st.floats(1, 100)), min_size=6, max_size=6)


@settings(deadline=None, max_examples=40)
@given(VALUES, VALUES, st.sampled_from(["minmax", "zscore", "rank"]), st.sampled_from([0.5, 1.0]),
       st.sampled_from(["none", "country"]), st.sampled_from(["indexed", "all", "focus"]))
def test_rebuilding_with_every_component_gives_the_run_index(access, users, normalisation, min_share, imputation,
                                                            over):
    codes = ["A0", "A1", "A2", "B3", "B4", "B5"]
    countries = pd.Series(["AA"] * 3 + ["BB"] * 3, index=codes)
    matrix = pd.DataFrame({"access": access, "users": users}, index=codes, dtype=float)
    spec = IndexSpec(users_spec().components, normalisation=normalisation, min_share=min_share,
                     imputation=imputation, normalise_over=over)
    try:
        base = build_index(matrix, spec, countries=countries, focus_country="AA").index
    except SchemaError:  # e.g. no region of the reference set has a value: nothing to rebuild
        return
    rebuilt = comparability._rebuild(matrix, spec, base.notna(), countries, "AA")
    pd.testing.assert_series_equal(rebuilt, base)


# -- definitions: where they come from, and what is refused ---------------------------------------


def test_the_study_file_definition_wins_over_the_table_with_a_note():
    spec = users_spec(definitions=(("users_weekly", "Eurostat: 16-74, weekly"),))
    table = users_table({"users_weekly": "16-74 weekly users", "users_15_74": "Rosstat: 15-74"})
    found = definition_table(spec, table).set_index("indicator")
    assert found.loc["users_weekly", ["definition", "definition_source"]].tolist() == [
        "Eurostat: 16-74, weekly", "study file"]
    assert found.loc["users_15_74", ["definition", "definition_source"]].tolist() == ["Rosstat: 15-74",
                                                                                     "indicator table"]
    assert definition_table(spec, table).attrs["notes"] == [
        "users: the study file's definition of 'users_weekly' replaces the indicator table's ('16-74 weekly users')"]


def test_one_name_with_two_definitions_in_the_table_is_compared_value_by_value(regions):
    # Rosstat's and Eurostat's households online share one indicator name in the bundled table
    table = users_table({"users_weekly": "16-74, weekly"})
    table.loc[table["region_id"] == "B5", "definition"] = "16-74, daily"
    found = definition_table(users_spec(), table)
    assert found.set_index("indicator").loc["users_weekly", "definition_source"] == "indicator table, per value"
    assert found.attrs["notes"] == ["users: the indicator table gives 'users_weekly' 2 definitions "
                                    "('16-74, daily'; '16-74, weekly'); each value is compared by its own"]
    assert comparability.definition_problems(users_spec(), table) == []
    sources = pd.DataFrame({"access_indicator": ["access"] * 3, "users_indicator": ["users_weekly"] * 3,
                            "users_definition": ["16-74, weekly", "16-74, weekly", "16-74, daily"]},
                           index=["B3", "B4", "B5"])
    pairs = pd.DataFrame({"region_a": ["B3", "B4"], "region_b": ["B4", "B5"]})
    assert pair_comparability(pairs, sources, users_spec(), definitions=found).values.tolist() == [
        [True, ""], [False, "users"]]
    # a definition in the study file is the one definition of its name: every value compares by it
    declared = users_spec(definitions=(("users_weekly", "16-74, at least weekly"),))
    assert pair_comparability(pairs, sources, declared,
                              definitions=definition_table(declared, table)).values.tolist() == [
        [True, ""], [True, ""]]


def test_the_study_file_keys_are_checked():
    from borderland.index import index_spec_from_dict
    from borderland.specs import SpecError

    with pytest.raises(SpecError, match=r"definitions = \[\"users_daily\"\]: names indicators the component does "
                                        r"not have; its indicators are \['users_15_74', 'users_weekly'\]"):
        index_spec_from_dict({"components": [{"name": "users", "indicators": ["users_15_74", "users_weekly"],
                                              "definitions": {"users_daily": "16-74, daily"}}]})
    with pytest.raises(SpecError, match=r"adjust = \{users_weekly = \"-3\"\}: expected a finite number"):
        index_spec_from_dict({"components": [{"name": "users", "indicators": ["users_15_74", "users_weekly"],
                                              "adjust": {"users_weekly": "-3"}}]})
    with pytest.raises(SpecError, match=r"adjust_source = \"Rosstat\": names the source of an adjustment, but "
                                        r"adjust gives none"):
        index_spec_from_dict({"components": [{"name": "users", "adjust_source": "Rosstat"}]})
    spec = index_spec_from_dict({"components": [{
        "name": "users", "indicators": ["users_15_74", "users_weekly"],
        "definitions": {"users_weekly": "16-74, weekly"}, "adjust": {"users_weekly": -3.0},
        "adjust_source": "a bridge table"}]})
    users = spec.components[0]
    assert (users.definition("users_weekly"), users.definition("users_15_74")) == ("16-74, weekly", None)
    assert (users.adjustment("users_weekly"), users.adjustment("users_15_74"), users.adjust_source) == (
        -3.0, 0.0, "a bridge table")


# -- the bundled study ----------------------------------------------------------------------------

#: The cross-border pairs with a gap whose individual-use values are Rosstat's on one side and
#: Eurostat's on the other, with their gaps with every component and without individual use.
BUNDLED_NONCOMPARABLE = {
    ("RU-LEN", "EE00"): (-0.329, -0.427), ("RU-PSK", "EE00"): (-0.317, -0.363),
    ("RU-KR", "FI1C"): (-0.484, -0.528), ("RU-KR", "FI1D"): (-0.446, -0.475),
    ("RU-LEN", "FI1C"): (-0.501, -0.562), ("RU-MUR", "FI1D"): (-0.112, -0.173),
    ("RU-KGD", "LT02"): (0.166, 0.035), ("RU-PSK", "LV00"): (-0.294, -0.328),
    ("RU-MUR", "NO07"): (-0.317, -0.383),
}
#: Length-weighted mean gap per segment, with every component and without individual use.
BUNDLED_SEGMENTS = {
    "RU-EE": (-0.320, -0.380), "RU-FI": (-0.362, -0.404), "RU-LT": (0.166, 0.035), "RU-LV": (-0.294, -0.328),
    "RU-NO": (-0.317, -0.383), "EE-LV": (0.023, 0.036), "FI-NO": (-0.205, -0.210), "LT-LV": (-0.199, -0.167),
}


def test_bundled_gaps_that_rest_on_unlike_definitions(bundled_result):
    result = bundled_result.comparability
    # households online: one indicator name, two definitions (the table's definition column, from the
    # sources: Eurostat "at home", Rosstat "had access"); individual use: two names
    assert result.components == ("households_internet_access", "households_broadband_access",
                                 "individuals_internet_use")
    assert result.sides["households_internet_access"] == {
        "Eurostat isoc_r_iacc_h: households with internet access at home": ("EE", "FI", "LT", "LV", "NO"),
        "Rosstat ICT household sample survey: Households that had access to the Internet (any type, fixed or "
        "mobile)": ("RU",)}
    assert result.sides["individuals_internet_use"] == {
        "individuals_internet_use": ("RU",),
        "individuals_internet_use_regular_weekly": ("EE", "FI", "LT", "LV", "NO")}
    base = rows(result, "pair", "all components")
    assert len(base) == 12  # every cross-border pair with a gap
    faulty = base[~base["comparable"].astype(bool)]
    assert {(a, b) for a, b in zip(faulty["region_a"], faulty["region_b"], strict=True)} == set(BUNDLED_NONCOMPARABLE)
    assert set(faulty["noncomparable_components"]) == {
        "households_internet_access, households_broadband_access, individuals_internet_use"}
    # the other three compare Eurostat with Eurostat
    assert sorted(base.loc[base["comparable"].astype(bool), "segment"]) == ["EE-LV", "FI-NO", "LT-LV"]
    # the flags on the pairs layer
    pairs = bundled_result.pairs
    assert pairs["comparable"].dtype == "boolean"
    flagged = pairs[pairs["comparable"].eq(False).fillna(False).astype(bool)]
    assert len(flagged) == 9 and flagged["cross_border"].all() and flagged["gap"].notna().all()


def test_bundled_gaps_without_individual_use(bundled_result):
    result = bundled_result.comparability
    base = rows(result, "pair", "all components").set_index(["region_a", "region_b"])
    without = rows(result, "pair", "without", "individuals_internet_use").set_index(["region_a", "region_b"])
    for pair, (gap, gap_without) in BUNDLED_NONCOMPARABLE.items():
        assert round(base.loc[pair, "gap"], 3) == gap, pair
        assert round(without.loc[pair, "gap"], 3) == gap_without, pair
    # the "all components" gaps are the run's
    run = bundled_result.pairs.dropna(subset=["gap"]).query("cross_border").set_index(["region_a", "region_b"])
    np.testing.assert_allclose(base["gap"], run.loc[base.index, "gap"], rtol=0, atol=1e-12)


def test_bundled_gap_without_individual_use_worked_out_independently(bundled_result):
    # min-max of the two household components over the 35 indexed regions, equal weights
    regions = bundled_result.regions
    indexed = regions[regions["index"].notna()]
    scores = [(indexed[c] - indexed[c].min()) / (indexed[c].max() - indexed[c].min())
              for c in ("households_internet_access", "households_broadband_access")]
    index = (scores[0] + scores[1]) / 2
    without = rows(bundled_result.comparability, "pair", "without", "individuals_internet_use")
    without = without.set_index(["region_a", "region_b"])
    for a, b in BUNDLED_NONCOMPARABLE:
        assert without.loc[(a, b), "gap"] == pytest.approx(index[a] - index[b], abs=1e-12)


def test_bundled_segment_means_with_and_without(bundled_result):
    result = bundled_result.comparability
    base = rows(result, "segment", "all components").set_index("segment")
    without = rows(result, "segment", "without", "individuals_internet_use").set_index("segment")
    assert {s: (round(base.loc[s, "mean_gap_length_weighted"], 3), round(without.loc[s, "mean_gap_length_weighted"],
                                                                         3)) for s in base.index} == BUNDLED_SEGMENTS
    # the run's segment means, as border_segments has them
    segments = bundled_result.segments.set_index("segment")
    np.testing.assert_allclose(base["mean_gap_length_weighted"],
                               segments.loc[base.index, "mean_gap_length_weighted"], rtol=0, atol=1e-12)
    assert base["comparable"].tolist() == [s in ("EE-LV", "FI-NO", "LT-LV") for s in base.index]
    # RU-LT moves most: Kaliningrad's lead over western Lithuania shrinks from 0.166 to 0.035
    change = without["mean_gap_length_weighted_change"]
    assert change.abs().idxmax() == "RU-LT" and round(change["RU-LT"], 3) == -0.131


def test_bundled_typology_without_individual_use(bundled_result):
    typology = rows(bundled_result.comparability, "typology", "without", "individuals_internet_use").iloc[0]
    assert (typology["regions_indexed"], typology["regions_changing_class"]) == (35, 6)
    assert typology["class_counts"] == "leader 10, moderate 11, lagging 14"
    assert "Pskov (RU-PSK): lagging -> moderate" in typology["class_changes"]


def test_bundled_definitions_and_summary(bundled_result):
    definitions = bundled_result.comparability.definitions.set_index("indicator")
    assert definitions.loc["individuals_internet_use", "definition"].startswith(
        "Rosstat: population aged 15-74 that used the Internet")
    assert "at least once a week" in definitions.loc["individuals_internet_use_regular_weekly", "definition"]
    assert definitions["adjust"].isna().all()  # the sources hold no bridge, and none is invented
    assert bundled_result.regions["individuals_internet_use_indicator"].value_counts().to_dict() == {
        "individuals_internet_use": 26, "individuals_internet_use_regular_weekly": 9}
    summary = bundled_result.summary()
    assert "comparability: 9 of 12 cross-border gaps rest on components defined differently on the two sides" \
        in summary
    assert "RU-LT +0.166 -> +0.035" in summary and "6 of 35 regions change class" in summary
