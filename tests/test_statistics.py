"""The run's global statistics: one table assembled by the pipeline, written to the GeoPackage and its metadata."""

from __future__ import annotations

import dataclasses
import math
import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest

from borderland import export, pipeline
from borderland.specs import SpecError
from borderland.study import GapsSpec, load_study


@pytest.fixture(scope="module")
def table(bundled_result) -> pd.DataFrame:
    return bundled_result.statistics


def value(table: pd.DataFrame, statistic: str, variable: str = "") -> float:
    rows = table[(table["statistic"] == statistic) & (table["variable"] == variable)]
    assert len(rows) == 1, (statistic, variable, rows)
    return float(rows["value"].iloc[0])


def detail(table: pd.DataFrame, statistic: str, variable: str = "") -> str:
    rows = table[(table["statistic"] == statistic) & (table["variable"] == variable)]
    return str(rows["detail"].iloc[0])


def test_the_table_has_one_row_per_statistic_and_variable(table):
    assert table.columns.tolist() == ["statistic", "variable", "value", "unit", "detail"]
    assert not table.duplicated(["statistic", "variable"]).any()
    assert table["value"].dtype == np.float64
    assert table["detail"].str.len().gt(0).all()  # every statistic says how it was computed


def test_the_year_and_its_rule(table):
    assert value(table, "index_year") == 2021
    assert detail(table, "index_year").startswith("auto: the latest year in which the most regions on both sides")
    # README: 26 Russian regions and 9 on the other side have every component in 2021
    assert (value(table, "regions_complete", "RU"), value(table, "regions_complete", "others")) == (26, 9)
    for component in ("households_internet_access", "households_broadband_access", "individuals_internet_use"):
        assert value(table, "component_year", component) == 2021
        assert detail(table, "component_year", component) == "year rule exact: values of 2021"
    assert value(table, "regions_indexed", "index") == 35


def test_coherence_and_the_monte_carlo(bundled_result, table):
    r = bundled_result
    assert round(value(table, "cronbach_alpha", "index"), 3) == 0.965
    assert value(table, "mc_draws") == 1000 and value(table, "mc_seed") == 20211231
    assert value(table, "mc_concentration") == 30
    # the largest standard errors, over the regions' class probabilities and over the pairs' sign probabilities
    assert value(table, "mc_se_class_probability") == r.uncertainty.regions["p_se"].max()
    assert value(table, "mc_se_pair_sign") == r.pairs["p_gap_sign_kept_se"].max()
    assert value(table, "mc_se_class_probability") <= 0.5 / math.sqrt(1000)
    assert detail(table, "mc_draws").startswith("Monte Carlo draws per scenario: minmax/arithmetic ")


def test_morans_i_with_everything_needed_to_repeat_it(bundled_result, table):
    moran = bundled_result.moran
    assert round(value(table, "moran_i", "index"), 3) == 0.437
    assert value(table, "moran_permutations", "index") == 999
    assert value(table, "moran_seed", "index") == 20211231
    assert value(table, "moran_p_sim", "index") == 0.002
    assert value(table, "moran_expected_i", "index") == pytest.approx(-1 / 34)
    for statistic, attribute in [("moran_variance_norm", "variance_norm"), ("moran_z_norm", "z_norm"),
                                 ("moran_p_norm", "p_norm"), ("moran_variance_rand", "variance_rand"),
                                 ("moran_z_rand", "z_rand"), ("moran_p_rand", "p_rand"), ("moran_z_sim", "z_sim")]:
        assert value(table, statistic, "index") == getattr(moran, attribute), statistic
    assert value(table, "moran_regions", "index") == 35
    assert "row-standardised rook contiguity" in detail(table, "moran_i", "index")


def test_the_lisa_correction_is_stated(table):
    assert value(table, "lisa_significance", "index") == 0.05
    assert 'lisa_correction = "fdr" (Benjamini-Hochberg false discovery rate)' in detail(table, "lisa_significance",
                                                                                         "index")
    assert value(table, "lisa_tests", "index") == 35
    assert value(table, "lisa_threshold_p", "index") == pytest.approx(0.05 / 35)
    assert value(table, "lisa_clusters", "index") == 0 and detail(table, "lisa_clusters", "index") == "none"
    assert value(table, "lisa_clusters_uncorrected", "index") == 11
    assert (value(table, "lisa_permutations", "index"), value(table, "lisa_seed", "index")) == (999, 20211231)


def test_theil_totals_are_those_of_the_theil_table(bundled_result, table):
    theil = bundled_result.theil
    # the index is min-max normalised (an interval scale): only the raw components are decomposed
    assert theil["measure"].unique().tolist() == ["households_internet_access", "households_broadband_access",
                                                  "individuals_internet_use"]
    assert any("Theil decomposition of the index left out: min-max normalisation" in n for n in bundled_result.notes)
    for measure, total in theil.groupby("measure")["theil_total"].first().items():
        assert value(table, "theil_total", measure) == total
        assert "population-weighted Theil T of % of" in detail(table, "theil_total", measure)
    # every part of every partition adds up to the total, and the shares to 100 %
    sums = theil.groupby(["measure", "partition"]).agg(theil=("theil", "sum"), total=("theil_total", "first"),
                                                       share=("share_pct", "sum"))
    np.testing.assert_allclose(sums["theil"], sums["total"], rtol=1e-12)
    np.testing.assert_allclose(sums["share"], 100.0, rtol=1e-12)


def test_the_readme_theil_figures(bundled_result):
    theil = bundled_result.theil.set_index(["measure", "partition", "part"])["share_pct"]
    # README, "The bundled study: findings": between countries, between the two sides, between rings
    expected = {"households_internet_access": (46, 36, 0), "households_broadband_access": (47, 38, 1),
                "individuals_internet_use": (18, 1, 8)}
    for measure, (country, side, ring) in expected.items():
        assert round(theil[measure, "country", "between"]) == country, measure
        assert round(theil[measure, "side", "between"]) == side, measure
        assert round(theil[measure, "border_order", "between"]) == ring, measure


def test_a_run_without_the_gaps_stage_has_the_index_statistics_only(bundled_result):
    partial = dataclasses.replace(bundled_result, gaps_stage=None, trade_stage=None)
    table = partial.statistics
    assert "index_year" in set(table["statistic"]) and "cronbach_alpha" in set(table["statistic"])
    assert not table["statistic"].str.startswith(("moran_", "lisa_", "theil_", "mc_se_pair")).any()


def test_the_summary_shows_the_statistics_and_the_correction(bundled_result):
    text = bundled_result.summary()
    assert ("LISA clusters of the index (q <= 0.05, Benjamini-Hochberg false discovery rate over 35 regions; "
            "p <= 0.001429): 0; 11 at p <= 0.05 without a correction") in text
    assert "statistics (the GeoPackage's statistics table, with each one's detail):" in text
    gaps = bundled_result.gaps_summary()
    assert "LISA clusters of the index (q <= 0.05, Benjamini-Hochberg false discovery rate" in gaps
    assert "Theil decomposition (population-weighted; raw components, and the index on a ratio scale only):" in gaps
    for line in ("  index_year: 2021 year", "  regions_complete [RU]: 26 regions", "  moran_i [index]: 0.437",
                 "  moran_permutations [index]: 999 permutations", "  moran_seed [index]: 20211231 seed",
                 "  cronbach_alpha [index]: 0.9645", "  mc_draws: 1000 draws"):
        assert line + "\n" in text, line


def test_the_geopackage_holds_the_statistics_and_theil_tables(bundled_result, tmp_path):
    layers = export.result_layers(bundled_result)
    names = list(layers)
    assert names.index("theil") + 1 == names.index("statistics")  # side by side, as in RESULT_LAYERS
    aliases = export.result_aliases(bundled_result)
    path = export.write_geopackage({"theil": layers["theil"], "statistics": layers["statistics"]},
                                   tmp_path / "stats.gpkg", metadata=export.run_metadata(bundled_result),
                                   aliases=aliases)
    back = pyogrio.read_dataframe(path, layer="statistics")
    assert back.columns.tolist() == ["statistic", "variable", "value", "unit", "detail"]
    pd.testing.assert_frame_equal(back, bundled_result.statistics, check_dtype=False)
    theil = pyogrio.read_dataframe(path, layer="theil")
    assert theil.columns.tolist() == ["measure", "measure_unit", "partition", "part", "theil", "share_pct",
                                      "theil_total", "regions", "groups"]
    assert len(theil) == 3 * 3 * 2  # three components x three partitions x between, within
    with sqlite3.connect(path) as conn:
        described = dict(conn.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
        columns = dict(conn.execute("SELECT column_name, title FROM gpkg_data_columns WHERE table_name = 'theil'")
                       .fetchall())
    assert described["statistics"].startswith("Every global statistic of the run, one row each")
    assert "raw index component (ratio scale)" in described["theil"]
    assert columns["share_pct"] == "Share of Theil's T in this part (%)"


def test_the_run_metadata_holds_every_statistic(bundled_result):
    records = export.run_metadata(bundled_result)["statistics"]
    table = bundled_result.statistics
    assert len(records) == len(table)
    first = records[0]
    assert first == {"statistic": "index_year", "variable": "", "value": 2021.0, "unit": "year",
                     "detail": table["detail"].iloc[0]}
    moran = next(r for r in records if r["statistic"] == "moran_i")
    assert moran["value"] == bundled_result.moran.i


def test_the_cluster_alias_names_the_correction(bundled_result):
    alias = export.result_aliases(bundled_result)["index_lisa_cluster"]
    assert alias == ("LISA cluster: the quadrant where q <= 0.05 (Benjamini-Hochberg false discovery rate over the "
                     "regions tested, 999 permutations), else not significant")


def test_the_study_keys_are_checked():
    assert (GapsSpec().lisa_correction, GapsSpec().significance) == ("fdr", 0.05)
    with pytest.raises(SpecError, match=r'\[gaps\] lisa_correction = "bonferroni": expected one of "fdr", "none"\n'
                                        r'.*\[gaps\] significance = 0: expected a significance level above 0 and '
                                        r'below 1'):
        GapsSpec(lisa_correction="bonferroni", significance=0)
    assert load_study().with_values({"gaps.significance": 0.1}).gaps.significance == 0.1


@pytest.mark.slow
def test_the_pipeline_reads_the_correction_from_the_study():
    study = load_study().with_values({"gaps.lisa_correction": "none", "robustness.draws": 0})
    result = pipeline.run(study, stages=("load", "index", "border", "gaps"))
    table = result.statistics
    assert value(table, "lisa_clusters", "index") == 11
    assert value(table, "lisa_threshold_p", "index") == 0.05
    assert 'lisa_correction = "none" (no correction for multiple tests)' in detail(table, "lisa_significance", "index")
    assert value(table, "lisa_clusters_uncorrected", "index") == 11
    assert not table["statistic"].str.startswith("mc_").any()  # no Monte Carlo asked for
    assert "10 at p <= 0.05 without a correction" not in result.summary()


def test_a_ratio_scale_index_is_decomposed_too_by_hand(world, tmp_path):
    # the six-square strip as a study without a focus country: access 50, 60, 70 (AA) and 90, 100, 80 (BB), equal
    # populations; goalposts [0, 100] make the index access / 100, a ratio scale, so the run decomposes it
    world.to_file(tmp_path / "regions.gpkg", engine="pyogrio")
    access = {"A0": 50, "A1": 60, "A2": 70, "B3": 90, "B4": 100, "B5": 80}
    rows = [(code, "access", 2020, value, "%") for code, value in access.items()]
    rows += [(code, "population_1_january", 2020, 1000, "persons") for code in access]
    pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value", "unit"]).to_csv(tmp_path / "table.csv",
                                                                                          index=False)
    (tmp_path / "study.toml").write_text(
        '[regions]\npath = "regions.gpkg"\n[indicators]\npath = "table.csv"\n'
        '[index]\nnormalisation = "goalposts"\n[[index.components]]\nname = "access"\nunit = "%"\n'
        'goalposts = [0, 100]\n[gaps]\npermutations = 99\n', encoding="utf-8")
    result = pipeline.run(load_study(tmp_path / "study.toml"), stages=("load", "index", "border", "gaps"))
    theil = result.theil.set_index(["measure", "partition", "part"]).sort_index()
    assert sorted(set(result.theil["measure"])) == ["access", "index"]
    # AA: mean 0.6, share of the sum 1.8 / 4.5 = 0.4; BB: mean 0.9, share 0.6; overall mean 0.75
    between = 0.4 * math.log(0.6 / 0.75) + 0.6 * math.log(0.9 / 0.75)
    assert theil.loc[("index", "country", "between"), "theil"] == pytest.approx(between, rel=1e-12)
    # the index is access / 100: Theil does not see the unit
    assert theil.loc["index", "share_pct"].tolist() == pytest.approx(theil.loc["access", "share_pct"].tolist())
    assert theil.loc[("index", "country", "between"), "measure_unit"] == "index (goalposts, arithmetic mean; 0 = none)"
    table = result.statistics
    assert value(table, "theil_total", "index") == pytest.approx(value(table, "theil_total", "access"))
    # without a focus country the year's count is of the whole study
    assert value(table, "regions_complete", "all") == 6 and detail(table, "regions_complete", "all") == (
        "regions of the study with every index component in 2020")
    assert not any("Theil decomposition" in note for note in result.notes)
