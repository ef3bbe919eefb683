import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.index import (
    IndexSpec,
    IndicatorSpec,
    arithmetic_mean,
    build_index,
    component_weights,
    composite_index,
    distance_to_reference,
    geometric_mean,
    goalposts,
    impute,
    index_spec_from_dict,
    min_max,
    normalise,
    percent_rank,
    z_score,
)
from borderland.indicators import YearRule

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def spec(*components, **kwargs):
    return IndexSpec(tuple(components), **kwargs)


def test_min_max_known_values():
    assert min_max(pd.Series([50.0, 60.0, 100.0])).tolist() == [0.0, 0.2, 1.0]


def test_min_max_keeps_missing_and_maps_constant_to_half():
    assert min_max(pd.Series([3.0, np.nan, 3.0])).tolist()[::2] == [0.5, 0.5]
    assert np.isnan(min_max(pd.Series([3.0, np.nan, 5.0])).iloc[1])


def test_z_score_and_rank_known_values():
    assert z_score(pd.Series([1.0, 2.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    assert percent_rank(pd.Series([10.0, 30.0, 20.0, 20.0])).tolist() == [0.25, 1.0, 0.625, 0.625]


def test_unknown_normalisation_lists_choices():
    with pytest.raises(SchemaError, match=r"unknown normalisation 'max'; choose one of "
                                          r"\['goalposts', 'minmax', 'rank', 'reference', 'zscore'\]"):
        normalise(pd.Series([1.0]), "max")


@given(st.lists(finite, min_size=1, max_size=30))
def test_min_max_stays_in_unit_interval(values):
    scaled = min_max(pd.Series(values))
    assert ((scaled >= 0) & (scaled <= 1)).all()


def test_composite_index_by_hand(strip_table, regions):
    # access 50..100 and broadband 40..90 both span 50: A2 = ((70-50)/50 + (60-40)/50) / 2 = 0.4
    matrix = strip_table[strip_table.year == 2020].pivot(index="region_id", columns="indicator", values="value")
    both = spec(IndicatorSpec("access", ("access",)), IndicatorSpec("broadband", ("broadband",)))
    result = composite_index(matrix, both)
    assert result.round(12).to_dict() == {"A0": 0.0, "A1": 0.2, "A2": 0.4, "B3": 0.8, "B4": 1.0, "B5": 0.6}


def test_weights_are_normalised_and_applied():
    matrix = pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 0.0]}, index=["x", "y"])
    s = spec(IndicatorSpec("a", ("a",), weight=3), IndicatorSpec("b", ("b",), weight=1))
    assert s.weights.tolist() == [0.75, 0.25]
    assert composite_index(matrix, s).tolist() == [0.25, 0.75]


def test_missing_component_gives_no_data_not_zero():
    matrix = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, np.nan, 3.0]}, index=list("xyz"))
    strict = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)))
    assert np.isnan(composite_index(matrix, strict)["y"])
    lenient = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), min_share=0.5)
    assert composite_index(matrix, lenient)["y"] == 0.5  # the mean of what it has


@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=25), st.randoms(use_true_random=False))
def test_index_does_not_depend_on_row_order(rows, random):
    matrix = pd.DataFrame(rows, columns=["a", "b"], index=[f"r{k}" for k in range(len(rows))])
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",), direction="lower"))
    order = list(matrix.index)
    random.shuffle(order)
    pd.testing.assert_series_equal(composite_index(matrix, s), composite_index(matrix.loc[order], s).loc[matrix.index])


# integers: distinct floats closer than the rounding error of (v - min) / (max - min) would tie
@given(st.lists(st.integers(-10**6, 10**6), min_size=2, max_size=25, unique=True))
def test_direction_flip_reverses_ranks(values):
    matrix = pd.DataFrame({"a": [float(v) for v in values]})
    up = composite_index(matrix, spec(IndicatorSpec("a", ("a",))))
    down = composite_index(matrix, spec(IndicatorSpec("a", ("a",), direction="lower")))
    assert up.rank().tolist() == down.rank(ascending=False).tolist()


def test_spec_validation_reports_problems():
    with pytest.raises(SchemaError, match="direction must be 'higher' or 'lower'"):
        IndicatorSpec("a", ("a",), direction="up")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="weight must be positive"):
        IndicatorSpec("a", ("a",), weight=0)
    with pytest.raises(SchemaError, match="unknown aggregation 'median'"):
        spec(IndicatorSpec("a", ("a",)), aggregation="median")
