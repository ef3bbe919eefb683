"""Every year on one scale (borderland.trend.scoring): the base year reproduces the snapshot, bounds stay put."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.index import IndexSpec, IndicatorSpec, build_index
from borderland.indicators import indicator_matrix
from borderland.trend.panel import component_panel
from borderland.trend.scoring import fixed_scale, trend_index

CODES = pd.Index(["A0", "A1", "A2", "B3", "B4", "B5"])
COUNTRIES = pd.Series(["AA"] * 3 + ["BB"] * 3, index=CODES)


def strip_years():
    """Access and broadband of the strip in 2020-2022; 2022's best region beyond 2020's best."""
    rows = []
    for year, shift in ((2020, 0.0), (2021, 5.0), (2022, 15.0)):
        for code, access, broadband in zip(CODES, (50, 60, 70, 90, 100, 80), (40, 50, 60, 80, 90, 70), strict=True):
            rows += [(code, "access", year, access + shift), (code, "broadband", year, broadband + shift / 2)]
    return pd.DataFrame(rows, columns=["region_id", "indicator", "year", "value"])


def spec(**changes):
    base = IndexSpec((IndicatorSpec("access", ("access",), goalposts=(0.0, 100.0)),
                      IndicatorSpec("broadband", ("broadband",), goalposts=(0.0, 100.0), weight=3.0)))
    return dataclasses.replace(base, **changes)


def scaled(index_spec, method="base_year", base_year=2020, rows=None):
    panel = component_panel(strip_years() if rows is None else rows, CODES, index_spec, [2020, 2022])
    scale = fixed_scale(panel, index_spec, method=method, kept=[True] * len(panel.years), base_year=base_year,
                        countries=COUNTRIES, focus_country="AA")
    return panel, scale, trend_index(panel, index_spec, scale)


def test_the_base_year_is_the_snapshot_index():
    index_spec = spec()
    _, scale, values = scaled(index_spec)
    matrix = indicator_matrix(strip_years(), pd.DataFrame(index=CODES), index_spec.indicator_names, 2020)
    snapshot = build_index(matrix, index_spec, countries=COUNTRIES, focus_country="AA").index
    assert values[:, 0] == pytest.approx(snapshot.to_numpy())
    assert scale.low.tolist() == [50.0, 40.0] and scale.high.tolist() == [100.0, 90.0]


def test_other_years_lie_on_the_base_years_scale_beyond_its_ends():
    # 2022: access + 15, broadband + 7.5 -> scores (x + 15 - 50) / 50 and (y + 7.5 - 40) / 50, weights 1/4, 3/4
    _, _, values = scaled(spec())
    b4 = 0.25 * (115 - 50) / 50 + 0.75 * (97.5 - 40) / 50
    assert values[4, 2] == pytest.approx(b4) and b4 > 1


def test_goalposts_are_capped_and_pooled_stays_within_0_and_1():
    rows = strip_years()
    rows.loc[rows["value"] > 100, "value"] = 104.0  # a value beyond the high goalpost
    _, scale, values = scaled(spec(), method="goalposts", rows=rows)
    assert scale.capped and np.nanmax(values) <= 1.0
    assert values[0, 0] == pytest.approx(0.25 * 0.5 + 0.75 * 0.4)
    _, scale, values = scaled(spec(), method="pooled", base_year=None)
    assert np.nanmin(values) == pytest.approx(0.0) and np.nanmax(values) == pytest.approx(1.0)
    assert (scale.low.tolist(), scale.high.tolist()) == ([50.0, 40.0], [115.0, 97.5])


def test_lower_is_better_turns_the_scale():
    index_spec = IndexSpec((IndicatorSpec("access", ("access",), direction="lower"),))
    _, _, values = scaled(index_spec)
    assert values[0, 0] == pytest.approx(1.0) and values[4, 0] == pytest.approx(0.0)


def test_pca_weights_are_the_base_years():
    index_spec = spec(weighting="pca", components=tuple(dataclasses.replace(c, weight=1.0) for c in spec().components))
    rows = strip_years()
    rows.loc[(rows["year"] == 2020) & (rows["region_id"] == "B5") & (rows["indicator"] == "access"), "value"] = 95.0
    _, scale, values = scaled(index_spec, rows=rows)
    matrix = indicator_matrix(rows, pd.DataFrame(index=CODES), index_spec.indicator_names, 2020)
    snapshot = build_index(matrix, index_spec, countries=COUNTRIES, focus_country="AA")
    assert scale.weights.to_numpy() == pytest.approx(snapshot.weights.to_numpy())
    assert values[:, 0] == pytest.approx(snapshot.index.to_numpy())


def test_a_geometric_mean_below_the_base_years_floor_is_refused_with_the_fix():
    rows = strip_years()
    rows.loc[rows["year"] == 2020, "value"] += 30  # 2021 and 2022 below 2020's lowest
    index_spec = spec(aggregation="geometric", scale=(1.0, 100.0))
    with pytest.raises(SchemaError, match=r"geometric mean needs scores > 0; .* Choose \[trend\] scale = \"pooled\""):
        scaled(index_spec, rows=rows)


def test_min_share_leaves_out_regions_with_too_few_components():
    rows = strip_years()
    rows = rows[~((rows["region_id"] == "A1") & (rows["indicator"] == "broadband"))]
    _, _, values = scaled(spec(), rows=rows)
    assert np.isnan(values[1]).all() and not np.isnan(values[0]).any()
    _, _, values = scaled(spec(min_share=0.5), rows=rows)
    assert not np.isnan(values[1]).any()


@settings(deadline=None, max_examples=40)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=6, max_size=6),
       st.lists(st.floats(0, 100, allow_nan=False), min_size=6, max_size=6))
def test_adding_a_year_does_not_move_the_base_years_scores(base, later):
    index_spec = IndexSpec((IndicatorSpec("access", ("access",)),))
    one = pd.DataFrame({"region_id": CODES, "indicator": "access", "year": 2020, "value": base})
    two = pd.concat([one, one.assign(year=2021, value=later)])
    panel_one = component_panel(one, CODES, index_spec, [2020, 2020])
    panel_two = component_panel(two, CODES, index_spec, [2020, 2021])
    first = trend_index(panel_one, index_spec, fixed_scale(panel_one, index_spec, method="base_year", kept=[True],
                                                           base_year=2020, countries=COUNTRIES, focus_country=None))
    both = trend_index(panel_two, index_spec, fixed_scale(panel_two, index_spec, method="base_year",
                                                          kept=[True, True], base_year=2020, countries=COUNTRIES,
                                                          focus_country=None))
    assert both[:, 0] == pytest.approx(first[:, 0])
