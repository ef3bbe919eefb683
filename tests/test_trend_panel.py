"""The panel of borderland.trend.panel: each year as a snapshot takes it, each value's origin, series changes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from borderland.comparability import definition_table
from borderland.errors import SchemaError
from borderland.index import IndexSpec, IndicatorSpec
from borderland.indicators import YearRule, traced_component_values
from borderland.trend.panel import component_panel, flagged_rows, publisher, series_changes

CODES = pd.Index(["A0", "A1", "A2", "B3", "B4", "B5"], name="region_id")


def table(rows):
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value", "source", "definition"])


@pytest.mark.parametrize("rule", [YearRule(), YearRule("window", window=2), YearRule("nearest", window=1),
                                  YearRule("latest")], ids=["exact", "window", "nearest", "latest"])
def test_each_year_is_what_a_snapshot_takes(rule, bundled_result):
    spec = bundled_result.study.index
    spec = dataclasses.replace(spec, components=tuple(dataclasses.replace(c, year_rule=rule)
                                                      for c in spec.components))
    inputs = bundled_result.inputs
    panel = component_panel(inputs.table, inputs.regions.index, spec, [2015, 2025],
                            definitions=definition_table(spec, inputs.table))
    for j, year in enumerate(panel.years):
        snapshot = traced_component_values(inputs.table, inputs.regions, spec.indicator_names, int(year),
                                           rules=spec.year_rules)
        for k, component in enumerate(spec.components):
            assert np.array_equal(snapshot.values[component.name].to_numpy(), panel.values[k][:, j], equal_nan=True)
            years = snapshot.years[f"{component.name}_year"].fillna(-1).to_numpy(dtype=int)
            assert np.array_equal(years, panel.value_year[k][:, j])


def test_a_nearby_year_is_kept_with_its_own_year():
    rows = table([("A0", "a", 2019, 10.0, None, None), ("A0", "a", 2021, 30.0, None, None)])
    spec = IndexSpec((IndicatorSpec("a", ("a",), year_rule=YearRule("window", window=1)),))
    panel = component_panel(rows, CODES, spec, [2019, 2022])
    assert panel.values[0][0].tolist()[:3] == [10.0, 10.0, 30.0]
    assert panel.value_year[0][0].tolist() == [2019, 2019, 2021, 2021]
    assert panel.nearby[0][0].tolist() == [False, True, False, True]


def test_nothing_is_interpolated_unless_asked_and_what_is_is_marked():
    rows = table([("A0", "a", 2019, 10.0, None, None), ("A0", "a", 2022, 40.0, None, None),
                  ("B3", "a", 2020, 5.0, None, None)])
    spec = IndexSpec((IndicatorSpec("a", ("a",)),))
    plain = component_panel(rows, CODES, spec, [2018, 2023])
    assert np.isnan(plain.values[0][0, 2:4]).all() and not plain.interpolated.any()
    filled = component_panel(rows, CODES, spec, [2018, 2023], interpolate="linear")
    assert filled.values[0][0].tolist()[1:5] == pytest.approx([10.0, 20.0, 30.0, 40.0])
    assert filled.interpolated[0][0].tolist() == [False, False, True, True, False, False]
    # never extrapolated: before the first and after the last observation stay empty, as does B3's lone value
    assert np.isnan(filled.values[0][0, [0, 5]]).all() and np.isnan(filled.values[0][3, [0, 1, 3, 4, 5]]).all()
    assert (filled.value_year[0][filled.interpolated[0]] == -1).all()


def test_no_line_is_drawn_across_a_change_of_definition_or_a_break_flag():
    rows = table([("A0", "a", 2019, 10.0, None, "weekly users"), ("A0", "a", 2021, 30.0, None, "any use"),
                  ("A1", "a", 2019, 10.0, None, None), ("A1", "a", 2021, 30.0, None, None)])
    spec = IndexSpec((IndicatorSpec("a", ("a",)),))
    flagged = pd.DataFrame({"region_id": ["A1"], "indicator": ["a"], "year": [2021]})
    panel = component_panel(rows, CODES, spec, [2019, 2021], interpolate="linear", flagged=flagged)
    assert np.isnan(panel.values[0][0, 1]) and np.isnan(panel.values[0][1, 1])


def test_a_fixed_year_rule_is_refused():
    spec = IndexSpec((IndicatorSpec("a", ("a",), year_rule=YearRule("exact", 2020)),))
    with pytest.raises(SchemaError, match=r"take one fixed year .* cannot change over the years"):
        component_panel(table([("A0", "a", 2020, 1.0, None, None)]), CODES, spec, [2019, 2021])


def test_publishers():
    assert publisher("Eurostat isoc_r_iacc_h (households with internet access)") == "Eurostat"
    assert publisher("https://m.pln24.ru/society/426948.html") == "pln24.ru"
    assert publisher("  ") is None


def test_changes_of_definition_publisher_and_break_flags_are_found():
    rows = table([
        ("A0", "a", 2019, 80.0, "Rosstat, yearbook", "any use"), ("A0", "a", 2020, 82.0, "Rosstat, yearbook", "weekly"),
        ("A1", "a", 2019, 70.0, "https://press.example/a", None), ("A1", "a", 2020, 75.0, "Rosstat, yearbook", None),
        ("A2", "a", 2019, 60.0, "Eurostat", None), ("A2", "a", 2020, 61.0, "Eurostat", None),
        ("B3", "a", 2019, 60.0, "Eurostat", None), ("B3", "a", 2020, 61.0, "Eurostat", None),
    ])
    spec = IndexSpec((IndicatorSpec("a", ("a",)),))
    flagged = pd.DataFrame({"region_id": ["A2"], "indicator": ["a"], "year": [2020]})
    panel = component_panel(rows, CODES, spec, [2019, 2020], definitions=definition_table(spec, rows), flagged=flagged)
    countries = pd.Series(["AA"] * 3 + ["BB"] * 3, index=CODES)
    changes, breaks = series_changes(panel, countries, rows, spec=spec)
    found = {(r, k): d for r, k, d in zip(changes["region"], changes["kind"], changes["detail"], strict=True)}
    assert found[("A0", "definition")] == "any use -> weekly"
    assert found[("A1", "source")] == "press.example -> Rosstat"
    assert found[("A2", "break flag")] == "the row of 2020 is flagged as a break in the series"
    assert set(changes["year"]) == {2020} and "B3" not in set(changes["region"])
    assert breaks[0][:, 1].tolist() == [True, True, True, False, False, False]
    assert not breaks[0][:, 0].any()


def test_regions_entering_under_new_codes_are_flagged():
    codes = pd.Index(["AA01", "AA02", "BB01"])
    rows = table([("AA1", "a", 2018, 50.0, None, None), ("AA1", "a", 2019, 55.0, None, None),
                  ("AA01", "a", 2020, 60.0, None, None), ("AA02", "a", 2020, 58.0, None, None),
                  ("AA09", "a", 2018, 40.0, None, None),
                  ("BB01", "a", 2018, 70.0, None, None), ("BB01", "a", 2020, 72.0, None, None)])
    spec = IndexSpec((IndicatorSpec("a", ("a",)),))
    panel = component_panel(rows, codes, spec, [2018, 2020])
    changes, _ = series_changes(panel, pd.Series(["AA", "AA", "BB"], index=codes), rows, spec=spec)
    assert changes["region"].tolist() == ["AA01", "AA02"] and set(changes["kind"]) == {"new codes"}
    assert changes["detail"].iloc[0] == ("values under AA01 start in 2020; earlier years of AA are published under "
                                         "codes the layer lacks: AA09 (another NUTS version); AA1 (a coarser level)")


def test_flagged_rows_read_eurostat_flags():
    raw = pd.DataFrame({"geo": ["IE04", "IE05", "IE06", "AT11"], "year": [2021, 2021, 2022, 2007],
                        "OBS_FLAG": ["b", "bu", "u", None]})
    found = flagged_rows(raw, id_column="geo", flag_column="OBS_FLAG", flags=["b"], indicator="access")
    assert found.values.tolist() == [["IE04", "access", 2021], ["IE05", "access", 2021]]
