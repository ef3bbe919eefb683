import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.typology import (
    TypologySpec,
    class_positions,
    classify,
    fisher_jenks_bins,
    rule_options,
    typology_from_dict,
)


def test_mean_sd_by_hand():
    # mean 0.5, sample sd 0.3162...; k = 0.5 -> thresholds 0.342 and 0.658
    values = pd.Series([0.0, 0.25, 0.5, 0.75, 1.0, np.nan], index=list("abcdef"))
    result = classify(values, "mean_sd", k=0.5)
    assert result.name == "typology"
    assert result.tolist()[:5] == ["lagging", "lagging", "moderate", "leader", "leader"]
    assert result.isna().tolist() == [False] * 5 + [True]


def test_reference_bands_are_relative_to_the_mean():
    # mean 1.0: >= 1.1 leads, <= 0.9 lags
    result = classify(pd.Series([0.8, 0.9, 1.0, 1.1, 1.2]), "reference_bands")
    assert result.tolist() == ["lagging", "lagging", "moderate", "leader", "leader"]


def test_quantiles_split_in_thirds():
    result = classify(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), "quantiles")
    assert result.value_counts().to_dict() == {"lagging": 2, "moderate": 2, "leader": 2}


def test_no_spread_means_everyone_is_moderate():
    assert classify(pd.Series([0.5, 0.5])).tolist() == ["moderate", "moderate"]


def test_unknown_method_and_option_are_named():
    with pytest.raises(SchemaError, match=r"choose one of \['mean_sd', 'natural_breaks', 'quantiles', "
                                          r"'reference_bands', 'thresholds'\]"):
        classify(pd.Series([1.0]), "jenks")
    with pytest.raises(SchemaError, match="typology 'quantiles'"):
        classify(pd.Series([1.0]), "quantiles", k=1)


def test_boundaries_lowest_cut_lags_upper_cut_leads():
    # cuts 0.4 and 0.6: exactly 0.4 lags, exactly 0.6 leads (the Regional Innovation Scoreboard's ">=" and "<=")
    result = classify(pd.Series([0.4, 0.5, 0.6]), "thresholds", cuts=[0.4, 0.6])
    assert result.tolist() == ["lagging", "moderate", "leader"]


def test_thresholds_with_four_labels():
    labels = ["very high", "high", "low", "very low"]
    result = classify(pd.Series([0.1, 0.3, 0.5, 0.9, np.nan]), "thresholds", cuts=[0.2, 0.4, 0.8], labels=labels)
    assert result.tolist()[:4] == ["very low", "low", "high", "very high"] and result.isna().iloc[4]


def test_quantiles_follow_the_number_of_labels():
    # quartiles of 1..8 at 2.75, 4.5, 6.25
    result = classify(pd.Series([float(v) for v in range(1, 9)]), "quantiles", labels=["q4", "q3", "q2", "q1"])
    assert result.tolist() == ["q1", "q1", "q2", "q2", "q3", "q3", "q4", "q4"]


def test_reference_bands_with_a_given_reference():
    # reference 50: >= 55 leads, <= 45 lags, whatever the regions' own mean
    result = classify(pd.Series([44.0, 45.0, 50.0, 55.0]), "reference_bands", reference=50.0)
    assert result.tolist() == ["lagging", "lagging", "moderate", "leader"]
    with pytest.raises(SchemaError, match="reference bands need a positive reference average, found 0; a z-score"):
        classify(pd.Series([-1.0, 0.0, 1.0]), "reference_bands")


def test_natural_breaks_by_hand():
    # three groups: {1, 2, 3}, {10, 11}, {30}; any other split has a larger within-class sum of squares
    values = pd.Series([11.0, 1.0, 30.0, 2.0, 10.0, 3.0, np.nan], index=list("abcdefg"))
    result = classify(values, "natural_breaks")
    assert result.tolist()[:6] == ["moderate", "lagging", "leader", "lagging", "moderate", "lagging"]
    assert result.isna().iloc[6]
    assert fisher_jenks_bins(values.dropna().to_numpy(), 3).tolist() == [3.0, 11.0, 30.0]


@pytest.mark.parametrize("seed", range(6))
def test_natural_breaks_match_mapclassify(seed):
    import mapclassify

    rng = np.random.default_rng(seed)
    # rounding makes ties, skew makes uneven classes
    values = np.round(rng.gamma(2.0, size=int(rng.integers(8, 60))), int(rng.integers(1, 3)))
    k = int(rng.integers(2, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "numba not installed"
        expected = mapclassify.FisherJenks(values, k=k)
    assert fisher_jenks_bins(values, k).tolist() == pytest.approx(expected.bins.tolist())
    labels = [f"c{j}" for j in range(k)][::-1]
    result = classify(pd.Series(values), "natural_breaks", labels=labels)
    assert result.tolist() == [f"c{j}" for j in expected.yb]


def test_natural_breaks_need_enough_distinct_values():
    with pytest.raises(SchemaError, match="natural breaks into 3 classes need at least 3 distinct index values, "
                                          "found 2"):
        classify(pd.Series([1.0, 1.0, 2.0]), "natural_breaks")


def test_label_and_option_problems_are_reported_together():
    with pytest.raises(SchemaError) as info:
        classify(pd.Series([1.0]), "mean_sd", k=-1, labels=["top", "top", "bottom"])
    message = str(info.value)
    assert "typology 'mean_sd': 2 problem(s)" in message
    assert "k must be a number >= 0, not -1" in message and "labels repeat: ['top', 'top', 'bottom']" in message
    with pytest.raises(SchemaError, match="mean_sd makes 3 classes, so it needs 3 labels, found 2"):
        classify(pd.Series([1.0]), "mean_sd", labels=["up", "down"])
    with pytest.raises(SchemaError, match=r"2 cut\(s\) make 3 classes but there are 4 labels"):
        classify(pd.Series([1.0]), "thresholds", cuts=[1, 2], labels=["a", "b", "c", "d"])
    with pytest.raises(SchemaError, match=r"cuts must be strictly ascending, not \[2, 1\]"):
        classify(pd.Series([1.0]), "thresholds", cuts=[2, 1])
    with pytest.raises(SchemaError, match=r"thresholds needs cuts = \[low, ...\]"):
        classify(pd.Series([1.0]), "thresholds")


def test_spec_holds_a_checked_choice():
    spec = TypologySpec("thresholds", {"cuts": [0.4, 0.6]}, ("top", "mid", "bottom"))
    assert spec.options == (("cuts", (0.4, 0.6)),)
    assert spec.classify(pd.Series([0.3, 0.7])).tolist() == ["bottom", "top"]
    assert classify(pd.Series([0.3, 0.7]), spec).name == "typology"
    with pytest.raises(SchemaError, match="classify got options \\['k'\\] besides a TypologySpec"):
        classify(pd.Series([0.3]), spec, k=1)
    assert TypologySpec() == TypologySpec("mean_sd", (), ("leader", "moderate", "lagging"))
    assert rule_options("mean_sd") == ("k",) and rule_options("thresholds") == ("cuts",)


def test_typology_from_dict():
    spec = typology_from_dict({"method": "reference_bands", "upper": 1.2, "lower": 0.8,
                               "labels": ["strong", "average", "weak"]})
    assert spec == TypologySpec("reference_bands", (("lower", 0.8), ("upper", 1.2)), ("strong", "average", "weak"))
    assert typology_from_dict({}) == TypologySpec()
    assert typology_from_dict({"method": "thresholds", "cuts": [0.3, 0.6]}).kwargs == {"cuts": (0.3, 0.6)}


def test_typology_from_dict_names_the_key_at_fault():
    with pytest.raises(SchemaError, match=r"\[typology\] method: unknown 'jenks'; choose one of"):
        typology_from_dict({"method": "jenks"})
    # a typo gets the closest method, in the study file's check and in the spec's own alike; the fix works
    for build in (lambda m: typology_from_dict({"method": m}), lambda m: TypologySpec(m)):
        with pytest.raises(SchemaError, match=r"unknown 'quantile'; choose one of .*; did you mean 'quantiles'\?"):
            build("quantile")
        assert build("quantiles").method == "quantiles"
    with pytest.raises(SchemaError, match=r"key 'k' is not an option of method 'quantiles'; "
                                          r"its keys are labels, method"):
        typology_from_dict({"method": "quantiles", "k": 0.5})
    with pytest.raises(SchemaError, match=r"\[typology\]: 1 problem\(s\)\n  - upper must be a number >= 0, not 'high'"):
        typology_from_dict({"method": "reference_bands", "upper": "high"})
    with pytest.raises(SchemaError, match=r"labels: expected a list of texts \(best first\), found 'leader'"):
        typology_from_dict({"labels": "leader"})


@pytest.mark.parametrize(
    "spec",
    [TypologySpec(), TypologySpec("mean_sd", {"k": 1.0}), TypologySpec("reference_bands"),
     TypologySpec("quantiles", (), ("a", "b", "c", "d")), TypologySpec("natural_breaks"),
     TypologySpec("thresholds", {"cuts": [0.25, 0.5]})],
    ids=["mean_sd", "mean_sd-k1", "reference_bands", "quartiles", "natural_breaks", "thresholds"],
)
def test_class_positions_agree_with_classify_column_by_column(spec):
    rng = np.random.default_rng(0)
    draws = rng.random((12, 40))
    draws[3, :5] = np.nan
    draws[:, 7] = draws[:, 6]  # ties across columns do not matter, within a column they do
    draws[[0, 1], 8] = 0.5
    positions = class_positions(draws, spec)
    for column in range(draws.shape[1]):
        labels = classify(pd.Series(draws[:, column]), spec)
        expected = [-1 if pd.isna(label) else spec.labels.index(label) for label in labels]
        assert positions[:, column].tolist() == expected


@settings(deadline=None, max_examples=120)
@given(
    st.lists(st.lists(st.one_of(st.floats(-5, 5, allow_nan=False), st.just(float("nan"))), min_size=6, max_size=6),
             min_size=1, max_size=12),
    st.sampled_from([TypologySpec("mean_sd", {"k": 0.5}), TypologySpec("mean_sd", {"k": 0.0}),
                     TypologySpec("reference_bands", {"upper": 1.1, "lower": 0.9, "reference": 2.0}),
                     TypologySpec("thresholds", {"cuts": [-1.0, 1.0]})]),
)
def test_many_draws_at_once_are_classified_as_each_alone(columns, spec):
    draws = np.array(columns, dtype=float).T
    fast = class_positions(draws, spec)
    for j in range(draws.shape[1]):
        alone = classify(pd.Series(draws[:, j]), spec)
        expected = [-1 if pd.isna(label) else list(spec.labels).index(label) for label in alone]
        assert fast[:, j].tolist() == expected
