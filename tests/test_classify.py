"""Tests of the classification registry: hand-checked classes, and mapclassify as the peer.

mapclassify is imported here only: the package itself never imports it (1.4 s of import time).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.classify import CLASS_COUNT_SCHEMES, SCHEMES, classify, fisher_jenks_bins, place, scheme_options
from borderland.errors import SchemaError

REPO = Path(__file__).resolve().parents[1]


def peer(name: str, values: np.ndarray, k: int):
    # imported by the tests that compare with it, not at collection: with scipy.stats, sklearn and
    # matplotlib it costs 1.3 s, which each `pytest -n` worker would pay whether it runs them or not
    mapclassify = pytest.importorskip("mapclassify")
    classes = {"quantiles": mapclassify.Quantiles, "equal_interval": mapclassify.EqualInterval,
               "natural_breaks": mapclassify.FisherJenks}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not enough unique values", "numba not installed"
        return classes[name](values, k=k)


def within_sse(values: np.ndarray, bins: np.ndarray) -> float:
    """Sum over classes of the squared deviations from the class mean (the Fisher-Jenks objective)."""
    classes = np.searchsorted(bins, values, side="left")
    return float(sum(((values[classes == c] - values[classes == c].mean()) ** 2).sum() for c in np.unique(classes)))


# -- by hand -----------------------------------------------------------------------------------


def test_quantiles_by_hand():
    # quantiles of 0.1, 0.2, 0.5, 0.6, 0.9 with linear interpolation: 0.18, 0.38, 0.54, 0.66, 0.9
    result = classify([0.9, 0.5, np.nan, 0.2, 0.6, 0.1], "quantiles", 5)
    assert result.classes.tolist() == [4, 2, -1, 1, 3, 0]
    assert result.bins.tolist() == pytest.approx([0.18, 0.38, 0.54, 0.66, 0.9])
    assert result.counts.tolist() == [1, 1, 1, 1, 1] and result.k == 5
    assert result.labels(3) == ("0.100 – 0.180", "0.180 – 0.380", "0.380 – 0.540", "0.540 – 0.660", "0.660 – 0.900")


def test_equal_interval_by_hand():
    # 0..10 in two classes of width 5: 5 itself is in the lower class (each class holds its upper bound)
    result = classify([0.0, 4.0, 5.0, 6.0, 10.0], "equal_interval", 2)
    assert result.bins.tolist() == [5.0, 10.0]
    assert result.classes.tolist() == [0, 0, 0, 1, 1]
    assert result.labels(0, factor=100) == ("0 – 500", "500 – 1,000")


def test_natural_breaks_by_hand():
    # three groups: {1, 2, 3}, {10, 11}, {30}; any other split has a larger within-class sum of squares
    values = [11.0, 1.0, 30.0, 2.0, 10.0, 3.0]
    result = classify(values, "natural_breaks", 3)
    assert result.bins.tolist() == [3.0, 11.0, 30.0]
    assert result.classes.tolist() == [1, 0, 2, 0, 1, 0]
    assert fisher_jenks_bins(values, 3).tolist() == [3.0, 11.0, 30.0]


def test_typology_rules_by_hand():
    # mean 0.5, sample sd 0.3162...; k = 0.5 -> cuts 0.342 and 0.658
    assert classify([0.0, 0.25, 0.5, 0.75, 1.0], "mean_sd", k=0.5).classes.tolist() == [0, 0, 1, 2, 2]
    # mean 1.0: <= 0.9 and >= 1.1 are the outer classes
    assert classify([0.8, 0.9, 1.0, 1.1, 1.2], "reference_bands").classes.tolist() == [0, 0, 1, 2, 2]
    # no spread: everyone in the middle class
    assert classify([0.5, 0.5], "mean_sd").classes.tolist() == [1, 1]


@pytest.mark.parametrize(("closed", "expected"), [("upper", [0, 1, 1]), ("outer", [0, 1, 2])], ids=["upper", "outer"])
def test_values_on_a_cut(closed, expected):
    # cuts 0.4 and 0.6: mapclassify puts 0.6 in the class below; the typology's outer classes hold their cut
    assert classify([0.4, 0.5, 0.6], "thresholds", cuts=[0.4, 0.6], closed=closed).classes.tolist() == expected
    assert place(np.array([0.4, 0.5, 0.6]), np.array([0.4, 0.6]), closed).tolist() == expected


def test_outer_cut_allows_for_rounding():
    # 1.1 x 50 is 55.000000000000007 in floating point; 55 is on the cut, so in the top class
    assert classify([44.0, 55.0], "reference_bands", reference=50.0).classes.tolist() == [0, 2]


def test_quantiles_with_ties_merge_classes_as_mapclassify():
    # percentiles 20, 40, 60, 80, 100 of 0.3, 0.3, 0.3, 0.7, 0.7: 0.3, 0.3, 0.46, 0.7, 0.7 -> three bins
    values = np.array([0.3, 0.3, 0.3, 0.7, 0.7])
    result = classify(values, "quantiles", 5)
    assert result.bins.tolist() == peer("quantiles", values, 5).bins.tolist() == pytest.approx([0.3, 0.46, 0.7])
    assert result.counts.tolist() == [3, 0, 2]


def test_one_distinct_value_is_one_class():
    for name in CLASS_COUNT_SCHEMES:
        result = classify([2.0, 2.0], name, 1)
        assert result.bins.tolist() == [2.0] and result.classes.tolist() == [0, 0], name


def test_no_values():
    result = classify([np.nan, np.nan], "quantiles")
    assert result.classes.tolist() == [-1, -1] and result.k == 0 and result.labels() == ()


def test_unknown_scheme_lists_the_valid_ones():
    with pytest.raises(SchemaError, match=r"unknown classification scheme 'jenks'; choose one of \['equal_interval', "
                                          r"'mean_sd', 'natural_breaks', 'quantiles', 'reference_bands', "
                                          r"'thresholds'\]"):
        classify([1.0], "jenks")


def test_option_problems_are_reported_together():
    with pytest.raises(SchemaError) as info:
        classify([1.0], "mean_sd", 5, sd=1)
    message = str(info.value)
    assert "classification 'mean_sd': 2 problem(s)" in message
    assert "option 'sd' is not one of scheme 'mean_sd'; its options are k" in message
    assert "classes is 5; scheme 'mean_sd' makes 3 classes" in message
    with pytest.raises(SchemaError, match=r"cuts is None; thresholds needs cuts"):
        classify([1.0], "thresholds")
    with pytest.raises(SchemaError, match=r"classes is 0; expected a whole number of classes >= 1"):
        classify([1.0], "quantiles", 0)
    with pytest.raises(SchemaError, match=r"natural_breaks into 3 classes needs at least 3 distinct values, found 2"):
        classify([1.0, 1.0, 2.0], "natural_breaks", 3)


def test_registry_lists_every_scheme_once():
    assert list(SCHEMES) == ["quantiles", "equal_interval", "natural_breaks", "mean_sd", "reference_bands",
                             "thresholds"]
    assert set(CLASS_COUNT_SCHEMES) == {name for name, s in SCHEMES.items() if s.classes is None} - {"thresholds"}
    assert scheme_options("thresholds") == ("cuts",) and scheme_options("quantiles") == ()


def test_mapclassify_is_not_imported():
    code = "import sys, borderland.classify, borderland.typology; print('mapclassify' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


# -- against mapclassify -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_natural_breaks_match_mapclassify_on_skewed_data(seed):
    rng = np.random.default_rng(seed)
    # rounding makes ties, skew makes uneven classes
    values = np.round(rng.gamma(2.0, size=int(rng.integers(8, 60))), int(rng.integers(1, 3)))
    k = int(rng.integers(2, 6))
    expected = peer("natural_breaks", values, k)
    result = classify(values, "natural_breaks", k)
    assert result.bins.tolist() == pytest.approx(expected.bins.tolist())
    assert result.classes.tolist() == expected.yb.tolist()
    assert result.counts.tolist() == expected.counts.tolist()


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(deadline=None, max_examples=200)
@given(st.lists(finite, min_size=1, max_size=60), st.integers(1, 9))
def test_quantiles_equal_mapclassify(values, k):
    y = np.asarray(values)
    expected = peer("quantiles", y, k)
    result = classify(y, "quantiles", k)
    # interpolating between two equal largest values can round a percentile above the maximum
    # (0.75 and 0.75 give 0.7500000000000001); mapclassify keeps it as an empty top class, we drop it
    above = expected.bins > y.max()
    assert result.bins.tolist() == [*expected.bins[~above][:-1].tolist(), y.max()] if above.any() else \
        result.bins.tolist() == expected.bins.tolist()
    assert result.classes.tolist() == expected.yb.tolist()
    assert result.counts.tolist() == expected.counts[:result.k].tolist()


@settings(deadline=None, max_examples=200)
@given(st.lists(finite, min_size=2, max_size=60).filter(lambda v: min(v) < max(v)), st.integers(1, 9))
def test_equal_interval_equals_mapclassify(values, k):
    y = np.asarray(values)
    expected = peer("equal_interval", y, k)
    result = classify(y, "equal_interval", k)
    assert result.bins.tolist() == expected.bins.tolist()
    assert result.classes.tolist() == expected.yb.tolist()


@settings(deadline=None, max_examples=100)
@given(st.lists(st.integers(0, 60).map(float), min_size=2, max_size=40), st.integers(2, 6))
def test_natural_breaks_equal_mapclassify(values, k):
    y = np.asarray(values)
    k = min(k, len(np.unique(y)))
    expected = peer("natural_breaks", y, k)
    bins = fisher_jenks_bins(y, k)
    if bins.tolist() != expected.bins.tolist():
        # mapclassify sums in float32, which cannot always tell two equally good splits apart (a tie
        # such as {0}, {1, 2} against {0, 1}, {2}): then both splits must be optimal
        assert within_sse(y, bins) == pytest.approx(within_sse(y, expected.bins), rel=1e-6, abs=1e-9)
    # ours is the exact optimum: never worse than mapclassify's
    assert within_sse(y, bins) <= within_sse(y, expected.bins) + 1e-9


@settings(deadline=None, max_examples=100)
@given(st.lists(finite, min_size=1, max_size=40), st.sampled_from(list(CLASS_COUNT_SCHEMES)), st.integers(1, 9))
def test_classes_cover_the_values_in_order(values, scheme, k):
    y = np.asarray(values)
    k = min(k, len(np.unique(y)))
    result = classify(y, scheme, k)
    # every value has a class; a larger value never has a lower class; counts add up
    assert (result.classes >= 0).all() and result.counts.sum() == len(y)
    order = np.argsort(y, kind="stable")
    assert (np.diff(result.classes[order]) >= 0).all()
    # bins ascend and end at the maximum (Fisher-Jenks may repeat a bin when values differ by less than
    # the rounding of their centred squares, e.g. 0 and -1e-65)
    assert (np.diff(result.bins) >= 0).all() and result.bins[-1] == y.max()
    if scheme != "natural_breaks":
        assert (np.diff(result.bins) > 0).all()
