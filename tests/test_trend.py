"""borderland trend end to end: the honesty rules on a strip over five years, the command, the bundled studies."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import mapworld
import numpy as np
import pandas as pd
import pyogrio
import pytest
from catalogue_support import edit_study, invoke, strip_study

from borderland import pipeline, trend
from borderland.export import read_styles
from borderland.study import load_study

YEARS = (2018, 2019, 2020, 2021, 2022)


def strip_years_table() -> pd.DataFrame:
    """Access on the strip, 2018-2022: A gains 5 points a year, B3 2; gaps and one definition change by design.

    A1 has no 2019 value and B5 no 2018 value (2018 and 2019 have 2 regions on a side); B4 is measured
    as weekly users until 2021 and as any use from 2022.
    """
    series = {"A0": [50, 55, 60, 65, 70], "A1": [60, None, 70, 75, 80], "A2": [70, 75, 80, 85, 90],
              "B3": [90, 92, 94, 96, 98], "B4": [100, 100, 100, 100, 100], "B5": [None, 80, 82, 84, 86]}
    rows = []
    for code, values in series.items():
        for year, value in zip(YEARS, values, strict=True):
            if value is None:
                continue
            definition = ("weekly users" if year < 2022 else "any use") if code == "B4" else None
            rows.append((code, "access", year, float(value), definition))
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value", "definition"])


def trend_study(folder: Path, **keys) -> Path:
    def change(data):
        data["trend"] = {"min_regions_per_side": 3, "theil_weights": "equal", **keys}
    return strip_study(folder, table=strip_years_table(), change=change)


@pytest.fixture(scope="module")
def strip_trend(tmp_path_factory):
    study = trend_study(tmp_path_factory.mktemp("trend") / "study")
    return trend.run(load_study(study))


def test_years_with_too_few_regions_on_a_side_are_left_out_and_listed(strip_trend):
    assert strip_trend.years == (2020, 2021, 2022)
    assert strip_trend.left_out.values.tolist() == [
        [2018, "2 on the others' side, fewer than [trend] min_regions_per_side = 3 indexed regions"],
        [2019, "2 on the AA side, fewer than [trend] min_regions_per_side = 3 indexed regions"]]
    assert "left out: 2018 (2 on the others' side" in strip_trend.summary()
    counts = strip_trend.coverage.groupby(["year", "side"])["regions_indexed"].sum()
    assert counts.loc[(2019, "AA")] == 2 and counts.loc[(2018, "others")] == 2


def test_the_base_year_is_the_runs_index_year_and_reproduces_its_index(strip_trend, tmp_path):
    snapshot = pipeline.run(strip_trend.study, stages=("load", "index"))
    assert snapshot.year == 2022 and strip_trend.scale.base_year == 2022
    values = strip_trend.matrix()[2022]
    assert values.to_numpy() == pytest.approx(snapshot.regions["index"].to_numpy())


def test_a_gaps_trend_by_hand(strip_trend):
    # base year 2022: access from 70 (A0) to 100 (B4); A2 - B3 = (80 - 94) / 30, (85 - 96) / 30, (90 - 98) / 30
    gaps = strip_trend.gaps_by_year.set_index("year")["gap"]
    assert gaps.tolist() == pytest.approx([-14 / 30, -11 / 30, -8 / 30])
    pair = strip_trend.gap_trends.set_index("id").loc["A2|B3"]
    assert pair["slope"] == pytest.approx(0.1) and pair["abs_slope"] == pytest.approx(-0.1)
    assert (pair["status"], pair["trend"]) == ("narrowed", "narrowing")


def test_a_definition_change_is_flagged_and_not_read_as_change(strip_trend):
    changes = strip_trend.changes
    assert changes[["region", "year", "kind"]].values.tolist() == [["B4", 2022, "definition"]]
    assert changes["detail"].iloc[0] == "weekly users -> any use"
    flags = strip_trend.index_by_year.set_index(["region", "year"])["flag"]
    assert flags.loc[("B4", 2022)] == "access: definition changed" and flags.loc[("B4", 2021)] == ""
    # B4's series breaks: it is not in the balanced panel
    balanced = strip_trend.convergence.query("measure == 'sd' and scope == 'borderland' and panel == 'balanced'")
    assert set(balanced["regions"]) == {5}


def test_nothing_is_interpolated_unless_the_study_asks(strip_trend, tmp_path):
    assert not strip_trend.index_by_year["interpolated"].any()
    assert pd.isna(strip_trend.index_by_year.set_index(["region", "year"]).get(("A1", 2019), np.nan)) or \
        2019 not in strip_trend.years
    asked = trend.run(load_study(trend_study(tmp_path / "s", interpolate="linear")))
    assert asked.years == (2019, 2020, 2021, 2022)  # A1's 2019 interpolated: three regions on the AA side
    row = asked.index_by_year.set_index(["region", "year"]).loc[("A1", 2019)]
    assert row["access"] == pytest.approx(65.0) and bool(row["interpolated"]) and row["flag"] == "access interpolated"
    assert asked.coverage.set_index(["year", "country"]).loc[(2019, "AA"), "interpolated"] == 1
    assert not asked.index_by_year.drop(index=asked.index_by_year.index[
        (asked.index_by_year["region"] == "A1") & (asked.index_by_year["year"] == 2019)])["interpolated"].any()


def test_a_window_rule_takes_a_nearby_year_and_flags_it(tmp_path):
    def change(data):
        data["index"]["components"][0].update(year_rule="window", window=1)
        data["trend"] = {"theil_weights": "equal"}
    result = trend.run(load_study(strip_study(tmp_path / "s", table=strip_years_table(), change=change)))
    row = result.index_by_year.set_index(["region", "year"]).loc[("A1", 2019)]
    assert row["access"] == 60.0 and row["access_year"] == 2018 and row["flag"] == "access from 2018"
    assert result.coverage.set_index(["year", "country"]).loc[(2019, "AA"), "nearby_year"] == 1


def test_convergence_on_the_strip(strip_trend):
    table = strip_trend.convergence
    def sd(country):
        rows = table.query("variable == 'access' and measure == 'sd' and scope == 'country' and panel == 'all'")
        return rows[rows["group"] == country]["value"].tolist()

    assert sd("AA") == pytest.approx([10.0, 10.0, 10.0])  # 10 points apart each year
    # BB: (94, 100, 82), (96, 100, 84), (98, 100, 86): squares about the mean sum to 168, 416/3, 344/3; over 2
    assert sd("BB") == pytest.approx([np.sqrt(84), np.sqrt(208 / 3), np.sqrt(172 / 3)])
    beta = strip_trend.convergence_trends.query("measure == 'beta' and variable == 'access' and scope == 'borderland'")
    assert beta["regions"].tolist() == [5]  # B4 breaks in 2022


def test_the_command_writes_the_geopackage_with_dates_and_the_images(tmp_path):
    study = trend_study(tmp_path / "s")
    result = invoke("trend", study, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "the index over 3 year(s), 2020-2022" in result.output
    gpkg = tmp_path / "out" / "trend.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    for name in ("index_by_year", "gaps_by_year", "convergence", "gap_trends", "coverage_by_year", "series_changes"):
        assert name in layers
    assert layers["index_by_year"] in ("MultiPolygon", "Polygon") and layers["convergence"] is None
    with sqlite3.connect(gpkg) as conn:
        for layer in ("index_by_year", "gaps_by_year", "convergence"):
            columns = {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({layer})")}
            assert columns["year"] == "MEDIUMINT" or columns["year"].startswith("INT"), columns
            assert columns["year_start"] == "DATE", columns
    back = pyogrio.read_dataframe(gpkg, layer="index_by_year")
    assert len(back) == 6 * 3
    starts = {(int(y), pd.Timestamp(d).date()) for y, d in zip(back["year"], back["year_start"], strict=True)}
    assert starts == {(y, datetime.date(y, 1, 1)) for y in (2020, 2021, 2022)}
    gaps = pyogrio.read_dataframe(gpkg, layer="gaps_by_year")
    assert gaps["gap"].tolist() == pytest.approx([-14 / 30, -11 / 30, -8 / 30])
    for image in ("trend_maps.png", "trend_gaps.png"):
        assert (tmp_path / "out" / image).read_bytes()[:4] == b"\x89PNG"
    # the map with a year control (maps.trend_model): every kept year, the flags in the tooltips, offline
    page = (tmp_path / "out" / "trend_map.html").read_text(encoding="utf-8")
    drawn = mapworld.decode_years(page)
    assert sorted(drawn) == [2020, 2021, 2022] and mapworld.years_raw(page)[0][1]["shown"] == 2
    assert drawn[2022]["regions"]["B4"]["note"] == "access: definition changed"
    assert drawn[2021]["regions"]["B4"]["note"] == ""
    assert "unpkg.com" not in page and "cdn.jsdelivr" not in page
    styles = read_styles(gpkg).set_index("f_table_name")
    assert styles.loc["index_by_year", "styleName"] == "value by year"
    assert '<temporal enabled="1" mode="1"' in styles.loc["index_by_year", "styleQML"]
    assert '<temporal enabled="1" mode="1"' in styles.loc["gaps_by_year", "styleQML"]


def test_options_take_what_the_keys_take(tmp_path):
    study = trend_study(tmp_path / "s")
    outside = invoke("trend", study, "--years", "2020:2021", "--out", tmp_path / "a")
    assert outside.exit_code == 1 and ("the base year (the run's index year) = 2022 is not a kept year (outside "
                                       "2020-2021); set [trend] base_year to one of 2020, 2021") in outside.output
    narrowed = invoke("trend", study, "--years", "2020:2021", "--base-year", "2021", "--out", tmp_path / "a")
    assert narrowed.exit_code == 0, narrowed.output
    assert pyogrio.read_dataframe(tmp_path / "a" / "trend.gpkg", layer="convergence")["year"].max() == 2021
    filled = invoke("trend", study, "--interpolate", "linear", "--base-year", "2021", "--out", tmp_path / "b")
    assert filled.exit_code == 0, filled.output
    assert "the index over 4 year(s), 2019-2022" in filled.output and "base year (2021)" in filled.output
    refused = invoke("trend", study, "--years", "2020-2021", "--out", tmp_path / "c")
    assert refused.exit_code == 2 and "expected the first and last year as \"FIRST:LAST\"" in refused.output


def test_validate_checks_the_trend_of_a_study_that_has_one(tmp_path):
    study = trend_study(tmp_path / "s")
    checked = invoke("validate", study)
    assert checked.exit_code == 0, checked.output
    assert "[trend]: 3 year(s) kept (2020, 2021, 2022), 2 left out" in checked.output
    edit_study(study, lambda d: d["trend"].update(min_regions_per_side=4))
    failed = invoke("validate", study)
    assert failed.exit_code == 1 and "only 0 year(s) (none) of 2018-2022" in failed.output


# -- the bundled studies ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_trend(bundled_result):
    return trend.run(bundled_result.study, inputs=bundled_result.inputs)


def test_the_bundled_study_has_two_years_on_both_sides(bundled_trend):
    assert bundled_trend.years == (2021, 2022)
    left = dict(bundled_trend.left_out.values.tolist())
    assert left[2020] == "1 on the RU side, fewer than [trend] min_regions_per_side = 3 indexed regions"
    counts = bundled_trend.coverage.groupby(["year", "side"])["regions_indexed"].sum()
    assert (counts.loc[(2021, "RU")], counts.loc[(2021, "others")], counts.loc[(2022, "others")]) == (26, 14, 14)
    # two years give changes, not intervals
    segments = bundled_trend.gap_trends[bundled_trend.gap_trends["scope"] == "segment"].set_index("id")
    measured = segments[segments["years"] > 0]
    assert set(measured["trend"]) == {"two years"} and measured["abs_change"].notna().all()
    # no Belarusian or Ukrainian oblast has a value in any year: those segments have no gap at all
    assert segments.loc[["RU-BY", "RU-UA"], "years"].tolist() == [0, 0]
    # every Russian pair compares Rosstat's "had access" with Eurostat's "at home"
    russian = bundled_trend.gaps_by_year[bundled_trend.gaps_by_year["segment"].str.startswith("RU-")].dropna(
        subset=["gap"])
    assert russian["pair"].nunique() == 9 and not russian["comparable"].any()
    assert russian["flag"].str.contains("unlike definitions: households_internet_access").all()


def test_the_western_borderlands_figures_in_the_readme(bundled_trend):
    segments = bundled_trend.gap_trends.query("scope == 'segment'").set_index("id")
    quoted = {"RU-FI": (-0.435, -0.518), "RU-EE": (-0.406, -0.581), "RU-LV": (-0.372, -0.648),
              "RU-NO": (-0.405, -0.406), "RU-LT": (0.028, 0.120)}
    for segment, (first, last) in quoted.items():
        assert segments.loc[segment, ["first_gap", "last_gap"]].tolist() == pytest.approx([first, last], abs=5e-4)
    table = bundled_trend.convergence.query("variable == 'index' and panel == 'all'")
    gap = table.query("measure == 'side_mean_gap'").set_index("year")["value"]
    assert gap.tolist() == pytest.approx([-0.499, -0.456], abs=5e-4)
    sd = table.query("measure == 'sd' and scope == 'borderland'")["value"]
    assert sd.tolist() == pytest.approx([0.302, 0.286], abs=5e-4)
    beta = bundled_trend.convergence_trends.query("measure == 'beta' and variable == 'index' and scope == 'borderland'")
    assert (beta["estimate"].iloc[0], beta["estimate_se"].iloc[0]) == pytest.approx((-0.095, 0.045), abs=5e-4)
    theil = bundled_trend.convergence.query("measure == 'theil_between_share_pct' and scope == 'side' "
                                            "and panel == 'all'").set_index("year")["value"]
    assert theil.loc[2021] == pytest.approx(36.0, abs=0.05) and np.isnan(theil.loc[2022])
    assert bundled_trend.scale.low.iloc[0] == 73.0 and bundled_trend.scale.high.iloc[0] == 100.0


def test_the_bundled_base_year_is_the_runs_year_over_the_regions_with_the_trends_component(bundled_trend,
                                                                                          bundled_result):
    # the trend follows one component, so its reference set is every region with households' access in 2021
    access = bundled_trend.matrix("households_internet_access")[2021]
    assert bundled_trend.scale.base_year == bundled_result.year == 2021
    assert (bundled_trend.scale.low.iloc[0], bundled_trend.scale.high.iloc[0]) == (access.min(), access.max())
    assert access.notna().sum() == 40


def test_the_trend_command_on_the_bundled_study(tmp_path):
    result = invoke("trend", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "the index over 2 year(s), 2021-2022" in result.output
    assert "left out: 2006-2019, 2023-2025 (0 on the RU side" in result.output
    assert pyogrio.read_info(tmp_path / "trend.gpkg", layer="index_by_year")["features"] == 92 * 2


def test_the_europe_study_since_2006():
    from borderland import io

    result = trend.run(load_study(io.bundled("europe/study.toml")))
    assert result.years == tuple(range(2006, 2026))
    segments = result.gap_trends[result.gap_trends["scope"] == "segment"].set_index("id")
    # the figures the README quotes
    assert segments.loc["AT-CZ", "abs_slope"] == pytest.approx(-0.0105, abs=5e-5)
    assert segments.loc["AT-CZ", ["first_gap", "last_gap"]].tolist() == pytest.approx([0.258, -0.015], abs=5e-4)
    assert segments.loc["ES-PT", "trend"] == "widening"
    quoted = {"AT-CZ": (25.8, -1.5, -1.05), "AT-HU": (19.6, 2.0, -0.79), "HU-SK": (-14.4, 1.7, -0.75),
              "BE-NL": (-11.9, -3.2, -0.71), "FI-NO": (-6.2, -1.4, -0.51), "AT-IT": (5.6, 0.3, -0.48),
              "CZ-SK": (-15.3, 2.9, -0.42), "ES-PT": (1.5, 7.2, 0.31), "RO-RS": (9.6, 7.9, -0.59)}
    for segment, (first, last, slope) in quoted.items():
        row = segments.loc[segment]
        assert 100 * np.array([row["first_gap"], row["last_gap"]]) == pytest.approx([first, last], abs=0.05)
        assert 100 * row["abs_slope"] == pytest.approx(slope, abs=0.005)
    assert segments.loc["RO-RS", "trend"] == "no clear trend"
    assert ((segments["years"] > 0).sum(), len(segments)) == (36, 64)
    trends = result.convergence_trends.query("variable == 'index'")
    sd = trends.query("measure == 'sd' and scope == 'borderland' and panel == 'balanced'").iloc[0]
    assert (sd["regions"], 100 * sd["first"], 100 * sd["last"]) == pytest.approx((34, 19.1, 3.3), abs=0.05)
    beta = trends.query("measure == 'beta' and scope == 'borderland'").iloc[0]
    assert (beta["regions"], beta["estimate"], beta["estimate_se"]) == pytest.approx((47, -0.0448, 0.0008), abs=5e-5)
    theil = result.convergence_trends.query("measure == 'theil_between_share_pct' and panel == 'balanced'").iloc[0]
    assert (theil["first"], theil["last"]) == pytest.approx((92.6, 66.5), abs=0.05)
    kinds = result.changes["kind"].value_counts()
    assert (kinds["new codes"], kinds["break flag"]) == (74, 29)
    assert (result.changes.query("region == 'PL21'")["detail"].str.contains("a coarser level")).all()


def test_a_study_without_trend_gets_the_keys_checks_too(tmp_path):
    # no [trend] section: the defaults, and the checks a [trend] section would get when read
    study = strip_study(tmp_path / "s", table=strip_years_table(),
                        change=lambda d: d["index"]["components"][0].update(year=2020))
    result = invoke("trend", study, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "access (year = 2020) take(s) one fixed year" in result.output
    assert "Traceback" not in result.output
