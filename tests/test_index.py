import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.index import (
    IndexSpec,
    IndicatorSpec,
    arithmetic_mean,
    beyond_goalposts,
    build_index,
    component_weights,
    composite_index,
    distance_to_reference,
    geometric_mean,
    goalposts,
    impute,
    index_spec_from_dict,
    is_share_unit,
    min_max,
    normalise,
    percent_rank,
    percentage_problems,
    reference_problems,
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
    with pytest.raises(SchemaError, match=r'\(a\) direction = "up": expected "higher" \(more is better\) or "lower"'):
        IndicatorSpec("a", ("a",), direction="up")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match=r"\(a\) weight = 0: expected a positive number"):
        IndicatorSpec("a", ("a",), weight=0)
    with pytest.raises(SchemaError, match=r'aggregation = "median": expected one of "arithmetic", "geometric"'):
        spec(IndicatorSpec("a", ("a",)), aggregation="median")


# --- normalisers -----------------------------------------------------------------------------

THREE = pd.Series([10.0, 20.0, 30.0], index=list("xyz"))


@pytest.mark.parametrize(
    ("method", "options", "higher", "lower"),
    [
        # (v - 10) / 20; lower: (30 - v) / 20
        ("minmax", {}, [0.0, 0.5, 1.0], [1.0, 0.5, 0.0]),
        # mean 20, sample sd 10
        ("zscore", {}, [-1.0, 0.0, 1.0], [1.0, 0.0, -1.0]),
        # ranks 1, 2, 3 of 3
        ("rank", {}, [1 / 3, 2 / 3, 1.0], [1.0, 2 / 3, 1 / 3]),
        # goalposts 0 and 40: v / 40; lower: 1 - v / 40
        ("goalposts", {"goalposts": (0.0, 40.0)}, [0.25, 0.5, 0.75], [0.75, 0.5, 0.25]),
        # 100 v / 20; lower: 200 - 100 v / 20
        ("reference", {"reference": 20.0}, [50.0, 100.0, 150.0], [150.0, 100.0, 50.0]),
    ],
    ids=["minmax", "zscore", "rank", "goalposts", "reference"],
)
def test_every_normaliser_by_hand_in_both_directions(method, options, higher, lower):
    assert normalise(THREE, method, **options).tolist() == pytest.approx(higher)
    assert normalise(THREE, method, direction="lower", **options).tolist() == pytest.approx(lower)


def test_goalposts_cap_values_beyond_them_and_scale_moves_the_range():
    assert goalposts(pd.Series([-10.0, 50.0, 130.0]), low=0.0, high=100.0).tolist() == [0.0, 0.5, 1.0]
    # (v - 10) / 20 onto [1, 100]: 1 + 99 * [0, 0.5, 1]
    assert normalise(THREE, "minmax", scale=(1.0, 100.0)).tolist() == [1.0, 50.5, 100.0]


def test_a_value_beyond_the_goalposts_is_capped_kept_flagged_and_named():
    # -5 % and 130 % on goalposts [0, 100]: scored 0 and 1 (capped, the OECD/JRC way), raw values kept
    access = IndicatorSpec("access", ("access",), goalposts=(0.0, 100.0))
    matrix = pd.DataFrame({"access": [-5.0, 50.0, 130.0]}, index=["x", "y", "z"])
    years = pd.DataFrame({"access_year": [2025, 2025, 2024]}, index=matrix.index)
    result = build_index(matrix, spec(access, normalisation="goalposts"), years=years)
    assert result.scores["access"].tolist() == [0.0, 0.5, 1.0]
    assert result.values["access"].tolist() == [-5.0, 50.0, 130.0]
    assert result.beyond["access_beyond_goalposts"].tolist() == [True, False, True]
    assert ("access: 2 value(s) outside its goalposts [0, 100], kept as they are: x -5 in 2025 (below 0), z 130 in "
            "2024 (above 100); each scores as the goalpost it passes (capped") in result.notes[-1]
    # min-max does not use the goalposts: the value enters as it is, and the note says so
    minmax = build_index(matrix, spec(access), years=years)
    assert minmax.scores["access"].tolist() == pytest.approx([0.0, 55 / 135, 1.0])
    assert minmax.beyond["access_beyond_goalposts"].tolist() == [True, False, True]
    assert 'normalisation = "minmax" does not use the goalposts, so they enter the index as they are' \
        in minmax.notes[-1]
    # no goalposts, no flag column; goalposts kept: no note
    assert build_index(matrix, spec(IndicatorSpec("access", ("access",)))).beyond.empty
    inside = beyond_goalposts(matrix.clip(0, 100), spec(access))
    assert inside[0]["access_beyond_goalposts"].tolist() == [False, False, False] and inside[1] == ()


def test_percentages_beyond_0_100_are_input_errors_naming_the_value_and_the_fix():
    table = pd.DataFrame({"region_id": ["x", "y", "z", "w"], "indicator": "access", "year": [2024, 2025, 2025, 2025],
                          "value": [99.0, -5.0, 100.0, 130.0]})
    share = spec(IndicatorSpec("access", ("access",), unit="% of households"))
    assert percentage_problems(table, share, file="t.csv") == [
        '[[index.components]] (access): 2 value(s) are percentages (unit = "% of households") outside 0-100: '
        "y access 2025 = -5; w access 2025 = 130; correct them in t.csv, or leave those cells empty (no data); "
        "if the component is no share in per cent, change its unit"]
    # only the study's regions count; a unit that is no share, or none, is not checked
    assert percentage_problems(table, share, pd.Index(["x", "z"])) == []
    assert percentage_problems(table, spec(IndicatorSpec("access", ("access",), unit="% change"))) == []
    assert percentage_problems(table, spec(IndicatorSpec("access", ("access",)))) == []
    # the row's own unit decides over the component's
    rows = table.assign(unit=["%", "% of households", "per 100 people", "% of households"])
    found = percentage_problems(rows, spec(IndicatorSpec("access", ("access",))))
    assert len(found) == 1 and "(the table's unit \"% of households\")" in found[0] and "y access 2025 = -5" in found[0]
    assert "z access" not in found[0]
    # the fix the message names: the cells left empty
    fixed = table.assign(value=[99.0, np.nan, 100.0, np.nan])
    assert percentage_problems(fixed, share) == []


@pytest.mark.parametrize(("unit", "share"), [("%", True), ("% of households (PC_HH)", True), ("percent", True),
                                             ("Percentage of individuals", True), ("% change", False),
                                             ("percentage points", False), ("% per year", False), ("pct", True),
                                             ("", False), ("EUR per inhabitant", False)])
def test_share_units(unit, share):
    assert is_share_unit(unit) is share


def test_distance_to_reference_is_a_percentage():
    assert distance_to_reference(pd.Series([45.0, 90.0]), reference=90.0).tolist() == [50.0, 100.0]


def test_reference_needs_a_positive_value():
    with pytest.raises(SchemaError, match=r"needs a positive reference value, found 0\.0"):
        normalise(THREE, "reference", reference=0.0)


# --- transform, reference groups, imputation ----------------------------------------------------

def test_log_transform_applies_to_values_and_goalposts():
    matrix = pd.DataFrame({"gdp": [1.0, 10.0, 100.0]}, index=list("xyz"))
    # ln 1, ln 10, ln 100 = 0, 2.30, 4.61: evenly spaced, so min-max gives 0, 0.5, 1
    logged = spec(IndicatorSpec("gdp", ("gdp",), transform="log"))
    assert build_index(matrix, logged).index.tolist() == pytest.approx([0.0, 0.5, 1.0])
    # goalposts 1 and 1000 in raw units: ln v / ln 1000 = 0, 1/3, 2/3
    posts = spec(IndicatorSpec("gdp", ("gdp",), transform="log", goalposts=(1.0, 1000.0)), normalisation="goalposts")
    assert build_index(matrix, posts).index.tolist() == pytest.approx([0.0, 1 / 3, 2 / 3])


def test_log_transform_refuses_zero_and_names_the_region():
    matrix = pd.DataFrame({"gdp": [1.0, 0.0]}, index=["x", "z"])
    with pytest.raises(SchemaError, match=r"component 'gdp': a log transform needs values > 0; found 1 that are not: "
                                          r"z \(0\)"):
        build_index(matrix, spec(IndicatorSpec("gdp", ("gdp",), transform="log")))


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("all", [50.0, 100.0, 150.0]),  # mean 100
     ("focus", [100.0, 200.0, 300.0]),  # x alone is in PP: 50
     ("others", [40.0, 80.0, 120.0]),  # (100 + 150) / 2 = 125
     ("country:RR", [40.0, 80.0, 120.0])],
    ids=["all", "focus", "others", "country"],
)
def test_reference_groups(reference, expected):
    matrix = pd.DataFrame({"a": [50.0, 100.0, 150.0]}, index=list("xyz"))
    countries = pd.Series(["PP", "RR", "RR"], index=list("xyz"))
    s = spec(IndicatorSpec("a", ("a",)), normalisation="reference", reference=reference)
    assert build_index(matrix, s, countries=countries, focus_country="PP").index.tolist() == expected


def test_fixed_reference_value_overrides_the_group():
    matrix = pd.DataFrame({"a": [45.0, 90.0]}, index=list("xy"))
    s = spec(IndicatorSpec("a", ("a",), reference=90.0), normalisation="reference")
    assert build_index(matrix, s).index.tolist() == [50.0, 100.0]


IMPUTE_MATRIX = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [10.0, 30.0, np.nan, np.nan]}, index=list("xyzw"))
IMPUTE_COUNTRIES = pd.Series(["PP", "RR", "RR", "SS"], index=list("xyzw"))


def test_country_imputation_flags_each_value_and_leaves_gaps_it_cannot_fill():
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), min_share=0.5, imputation="country")
    result = build_index(IMPUTE_MATRIX, s, countries=IMPUTE_COUNTRIES, focus_country="PP")
    # z (RR) takes RR's mean b = 30; w (SS) has no country-mate with b, so it keeps the gap
    assert result.values["b"].tolist()[:3] == [10.0, 30.0, 30.0] and np.isnan(result.values.loc["w", "b"])
    assert result.imputed["b_imputed"].tolist() == [False, False, True, False]
    assert not result.imputed["a_imputed"].any()
    # a: (v - 1) / 3; b: (v - 10) / 20 -> x 0, y (1/3 + 1) / 2, z (2/3 + 1) / 2, w a alone = 1
    assert result.index.tolist() == pytest.approx([0.0, 2 / 3, 5 / 6, 1.0])
    assert result.share.tolist() == [1.0, 1.0, 0.5, 0.5]
    assert result.notes == ("imputed (country mean): 1 value(s) in 1 region(s)",)


def test_side_imputation_uses_the_other_side_of_the_border():
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), min_share=0.5, imputation="side")
    filled, flags = impute(IMPUTE_MATRIX, s, countries=IMPUTE_COUNTRIES, focus_country="PP")
    # the side of y, z and w (not PP) has one b value, 30
    assert filled["b"].tolist() == [10.0, 30.0, 30.0, 30.0]
    assert flags["b_imputed"].tolist() == [False, False, True, True]


def test_imputation_respects_min_share_and_needs_countries():
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), imputation="country")  # min_share 1
    filled, flags = impute(IMPUTE_MATRIX, s, countries=IMPUTE_COUNTRIES)
    assert not flags.to_numpy().any() and filled["b"].isna().sum() == 2
    with pytest.raises(SchemaError, match=r"imputation 'side' needs each region's country and the focus country"):
        impute(IMPUTE_MATRIX, spec(IndicatorSpec("a", ("a",)), imputation="side"), countries=IMPUTE_COUNTRIES)


# --- weights and aggregation -------------------------------------------------------------------

def test_equal_weights_and_the_effective_weights_are_reported():
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), IndicatorSpec("c", ("c",)), weighting="equal")
    result = build_index(pd.DataFrame({"a": [0.0, 1.0], "b": [0.0, 1.0], "c": [1.0, 0.0]}, index=list("xy")), s)
    assert result.weights.name == "weight"
    assert result.weights.tolist() == pytest.approx([1 / 3] * 3)
    assert result.index.tolist() == pytest.approx([1 / 3, 2 / 3])


def test_pca_weights_are_squared_loadings_of_the_first_component():
    # a and b correlate perfectly, c is uncorrelated with both (centred a = -1.5, -.5, .5, 1.5 is
    # orthogonal to c = 1, -1, -1, 1): correlation matrix [[1, 1, 0], [1, 1, 0], [0, 0, 1]], whose
    # first eigenvector is (1, 1, 0) / sqrt 2 with eigenvalue 2 of 3: weights 1/2, 1/2, 0
    matrix = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0], "c": [1.0, -1.0, -1.0, 1.0]})
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), IndicatorSpec("c", ("c",)), weighting="pca")
    result = build_index(matrix, s)
    assert result.weights.tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-12)
    assert result.notes == ("PCA: the first component explains 67% of the variance",)
    assert component_weights(result.scores, s).tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-12)


def test_pca_needs_complete_regions_and_nominal_weights_refuse_it():
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), weighting="pca")
    with pytest.raises(SchemaError, match="PCA weights need at least 3 regions with every component"):
        build_index(pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}), s)
    with pytest.raises(SchemaError, match="PCA weights depend on the data"):
        _ = s.weights


def test_weights_given_with_another_weighting_are_refused():
    with pytest.raises(SchemaError, match=r"weighting = \"equal\": ignores the weights given to \['a'\]; drop"):
        spec(IndicatorSpec("a", ("a",), weight=2), IndicatorSpec("b", ("b",)), weighting="equal")


def test_geometric_mean_by_hand():
    # a = 50 %, 200 % of the reference 100; b the other way round:
    # geometric sqrt(50 * 200) = 100 for both, arithmetic 125
    matrix = pd.DataFrame({"a": [50.0, 200.0], "b": [200.0, 50.0]}, index=list("xy"))
    components = (IndicatorSpec("a", ("a",), reference=100.0), IndicatorSpec("b", ("b",), reference=100.0))
    geometric = build_index(matrix, spec(*components, normalisation="reference", aggregation="geometric"))
    arithmetic = build_index(matrix, spec(*components, normalisation="reference"))
    assert geometric.index.tolist() == pytest.approx([100.0, 100.0])
    assert arithmetic.index.tolist() == [125.0, 125.0]
    # weights 3/4 and 1/4: 50^.75 * 200^.25 = 70.71
    assert geometric_mean(pd.DataFrame({"a": [50.0], "b": [200.0]}), pd.Series({"a": 0.75, "b": 0.25})).iloc[0] == \
        pytest.approx(50 ** 0.75 * 200 ** 0.25)


def test_geometric_mean_refuses_zero_and_says_how_to_avoid_it():
    matrix = pd.DataFrame({"a": [0.0, 50.0], "b": [40.0, 60.0]}, index=["x", "y"])
    components = (IndicatorSpec("a", ("a",), goalposts=(0, 100)), IndicatorSpec("b", ("b",), goalposts=(0, 100)))
    with pytest.raises(SchemaError, match=r"the geometric mean needs scores > 0; 1 are not: x a \(0\)\. "
                                          r"Normalise onto a positive range \(\[index\] scale = \[1, 100\]"):
        build_index(matrix, spec(*components, normalisation="goalposts", aggregation="geometric"))
    # on goalposts rescaled to [1, 100] the zero becomes 1: sqrt(1 * 40.6) and sqrt(50.5 * 60.4)
    result = build_index(matrix, spec(*components, normalisation="goalposts", aggregation="geometric",
                                      scale=(1.0, 100.0)))
    assert result.index.tolist() == pytest.approx([np.sqrt(1.0 * 40.6), np.sqrt(50.5 * 60.4)])


@pytest.mark.parametrize(
    ("normalisation", "reason"),
    [("minmax", "min-max gives 0 to the lowest region"), ("zscore", "z-scores are negative below the mean")],
    ids=["minmax", "zscore"],
)
def test_geometric_with_a_normaliser_that_gives_zero_is_refused_up_front(normalisation, reason):
    with pytest.raises(SchemaError, match=rf"aggregation = \"geometric\": the geometric mean needs scores > 0 but "
                       rf"{reason}; set \[index\] "):
        spec(IndicatorSpec("a", ("a",)), normalisation=normalisation, aggregation="geometric")


positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


@given(st.lists(st.tuples(positive, positive, positive), min_size=1, max_size=20),
       st.tuples(positive, positive, positive))
def test_geometric_never_exceeds_arithmetic(rows, raw_weights):
    scores = pd.DataFrame(rows, columns=["a", "b", "c"])
    weights = pd.Series(raw_weights, index=["a", "b", "c"]) / sum(raw_weights)
    geometric, arithmetic = geometric_mean(scores, weights), arithmetic_mean(scores, weights)
    assert (geometric <= arithmetic * (1 + 1e-9)).all()


@pytest.mark.parametrize("normalisation", ["minmax", "zscore", "rank"])
@given(rows=st.lists(st.tuples(finite, finite), min_size=2, max_size=25), random=st.randoms(use_true_random=False))
def test_index_does_not_depend_on_row_order_for_any_normaliser(normalisation, rows, random):
    matrix = pd.DataFrame(rows, columns=["a", "b"], index=[f"r{k}" for k in range(len(rows))])
    s = spec(IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",), direction="lower"), normalisation=normalisation)
    order = list(matrix.index)
    random.shuffle(order)
    pd.testing.assert_series_equal(composite_index(matrix, s), composite_index(matrix.loc[order], s).loc[matrix.index])


@pytest.mark.parametrize("normalisation", ["zscore", "rank"])
@given(values=st.lists(st.integers(-10**6, 10**6), min_size=2, max_size=25, unique=True))
def test_direction_flip_reverses_ranks_for_other_normalisers(normalisation, values):
    matrix = pd.DataFrame({"a": [float(v) for v in values]})
    up = composite_index(matrix, spec(IndicatorSpec("a", ("a",)), normalisation=normalisation))
    down = composite_index(matrix, spec(IndicatorSpec("a", ("a",), direction="lower"), normalisation=normalisation))
    assert up.rank().tolist() == down.rank(ascending=False).tolist()


@given(st.lists(finite, min_size=1, max_size=30), st.tuples(finite, finite))
def test_goalposts_stay_in_unit_interval(values, posts):
    low, high = sorted(posts)
    if low == high:
        high = low + 1.0
    scaled = goalposts(pd.Series(values), low=low, high=high)
    assert ((scaled >= 0) & (scaled <= 1)).all()


# --- specification and the [index] section --------------------------------------------------------

def test_spec_reports_every_problem_at_once():
    with pytest.raises(SchemaError) as info:
        spec(IndicatorSpec("a", ("a",)), normalisation="goalposts", weighting="votes", imputation="median",
             reference="EU", scale=(1.0, 1.0))
    message = str(info.value)
    assert "[index]: 5 problem(s)" in message
    for expected in ('[index] weighting = "votes": expected one of "equal", "pca", "user"',
                     '[index] imputation = "median": expected one of',
                     '[index] reference = "EU": expected "all", "focus", "others" or "country:XX"',
                     "[index] scale = [1, 1]: expected two numbers [low, high] with low < high",
                     "[index] normalisation = \"goalposts\": component(s) ['a'] have no goalposts"):
        assert expected in message


def test_indicator_spec_checks_transform_goalposts_and_reference():
    with pytest.raises(SchemaError, match=r'\(a\) transform = "sqrt": expected one of "log", "none"'):
        IndicatorSpec("a", ("a",), transform="sqrt")
    with pytest.raises(SchemaError, match=r"goalposts = \[100, 0\]: expected two numbers \[low, high\] with low <"):
        IndicatorSpec("a", ("a",), goalposts=(100.0, 0.0))
    with pytest.raises(SchemaError, match=r"goalposts = \[0, 100\]: goalposts are log-transformed with the values"):
        IndicatorSpec("a", ("a",), transform="log", goalposts=(0.0, 100.0))
    with pytest.raises(SchemaError, match=r"\(a\) reference = -1: expected a positive number"):
        IndicatorSpec("a", ("a",), reference=-1)


def test_index_spec_from_dict_reads_every_key():
    data = {
        "year": 2021, "normalisation": "goalposts", "aggregation": "geometric", "weighting": "user", "min_share": 0.5,
        "imputation": "side", "reference": "focus", "scale": [1, 100],
        "components": [
            {"name": "access", "indicators": ["access_eu", "access_ru"], "goalposts": [0, 100], "weight": 2,
             "unit": "% of households", "year_rule": "latest", "year": 2022},
            {"name": "price", "indicators": "price", "direction": "lower", "goalposts": [1, 50], "transform": "log",
             "window": 3, "reference": 20},
        ],
    }
    s = index_spec_from_dict(data)
    assert (s.year, s.normalisation, s.aggregation, s.min_share, s.imputation, s.reference, s.scale) == (
        2021, "goalposts", "geometric", 0.5, "side", "focus", (1.0, 100.0))
    access, price = s.components
    assert access == IndicatorSpec("access", ("access_eu", "access_ru"), weight=2.0, unit="% of households",
                                   year_rule=YearRule("latest", 2022), goalposts=(0.0, 100.0))
    assert price == IndicatorSpec("price", ("price",), direction="lower", transform="log",
                                  year_rule=YearRule("window", window=3), goalposts=(1.0, 50.0), reference=20.0)
    assert s.year_rules == {"access": YearRule("latest", 2022), "price": YearRule("window", window=3)}
    assert index_spec_from_dict({"year": "auto", "components": [{"name": "x"}]}).year is None


def test_index_spec_from_dict_names_each_key_at_fault():
    data = {
        "year": "latest", "normalisation": "max", "min_share": 2, "scale": [1], "colour": "red",
        "components": [
            {"name": "access", "goalposts": [0], "window": "two", "shape": 1},
            {"name": "users", "year_rule": "newest"},
            {"indicators": ["x"]},
        ],
    }
    with pytest.raises(SchemaError) as info:
        index_spec_from_dict(data)
    message = str(info.value)
    for expected in (
        "[index]: 10 problem(s)",
        "[index] colour = \"red\": unknown key; keys are aggregation",
        "[index] year = \"latest\": expected \"auto\" or a year such as 2021",
        "[index] normalisation = \"max\": expected one of",
        "[index] min_share = 2: expected a share of components in (0, 1]",
        "[index] scale = [1]: expected two numbers [low, high]",
        "[[index.components]] (access) shape = 1: unknown key",
        "[[index.components]] (access) window = \"two\": expected a whole number",
        "[[index.components]] (access) goalposts = [0]: expected two numbers [low, high]",
        "[[index.components]] (users) year_rule = \"newest\": expected one of \"exact\", \"latest\"",
        "[[index.components]] #3 name = (missing): expected a component name (a text)",
    ):
        assert expected in message, expected


def test_index_spec_from_dict_reports_spec_level_conflicts_as_index_problems():
    with pytest.raises(SchemaError, match=r"\[index\]: 1 problem\(s\)\n  - \[index\] aggregation = \"geometric\": the "
                                          r"geometric mean needs scores > 0 but z-scores are negative"):
        index_spec_from_dict({"normalisation": "zscore", "aggregation": "geometric", "components": [{"name": "a"}]})
    with pytest.raises(SchemaError, match=r"\(a\) weight = -1: expected a positive number"):
        index_spec_from_dict({"components": [{"name": "a", "weight": -1}]})
    with pytest.raises(SchemaError, match=r"components = \(missing\): expected at least one"):
        index_spec_from_dict({"normalisation": "minmax"})


# -- the reference set of the normalisation ----------------------------------------------------------------

REFERENCE_MATRIX = pd.DataFrame({"a": [0.0, 10.0, 20.0, 40.0], "b": [0.0, 10.0, 20.0, np.nan]},
                                index=list("xyzw"))
REFERENCE_COUNTRIES = pd.Series(["P", "P", "Q", "Q"], index=list("xyzw"))


@pytest.mark.parametrize(
    ("over", "normalisation", "scores_a", "index"),
    [
        # w lacks b: it gets no index, and by default its 40 does not stretch a's scale
        ("indexed", "minmax", [0.0, 0.5, 1.0, 2.0], [0.0, 0.5, 1.0, np.nan]),
        ("all", "minmax", [0.0, 0.25, 0.5, 1.0], [0.0, 0.375, 0.75, np.nan]),
        ("country:P", "minmax", [0.0, 1.0, 2.0, 4.0], [0.0, 1.0, 2.0, np.nan]),
        # the others (z, w) set a's scale; b has one value among them, a constant: every b scores 0.5
        ("others", "minmax", [-1.0, -0.5, 0.0, 1.0], [-0.25, 0.0, 0.25, np.nan]),
        ("indexed", "zscore", [-1.0, 0.0, 1.0, 3.0], [-1.0, 0.0, 1.0, np.nan]),
        # ranks among x, y, z: (below + equal / 2 + 0.5) / 3; w stands above them all
        ("indexed", "rank", [1 / 3, 2 / 3, 1.0, 7 / 6], [1 / 3, 2 / 3, 1.0, np.nan]),
        ("all", "rank", [0.25, 0.5, 0.75, 1.0], [(0.25 + 1 / 3) / 2, (0.5 + 2 / 3) / 2, (0.75 + 1) / 2, np.nan]),
    ],
    ids=lambda v: str(v),
)
def test_each_reference_set_by_hand(over, normalisation, scores_a, index):
    spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))), normalisation=normalisation,
                     normalise_over=over)
    result = build_index(REFERENCE_MATRIX, spec, countries=REFERENCE_COUNTRIES, focus_country="P")
    np.testing.assert_allclose(result.scores["a"].to_numpy(), scores_a)
    np.testing.assert_allclose(result.index.to_numpy(), index)


def test_the_default_reference_set_is_the_indexed_regions():
    spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))))
    assert spec.normalise_over == "indexed"
    assert build_index(REFERENCE_MATRIX, spec).index.max() == 1.0


def test_an_empty_reference_group_is_named():
    spec = IndexSpec((IndicatorSpec("a", ("a",)),), normalise_over="country:ZZ")
    with pytest.raises(SchemaError, match=r"component 'a': no region of the reference set \(\[index\] normalise_over = "
                                          r'"country:ZZ"\) has a value; the countries with a value: P, Q'):
        build_index(REFERENCE_MATRIX, spec, countries=REFERENCE_COUNTRIES)


def test_reference_problems_name_the_countries_present_before_any_computing():
    # ZZ has no region: one problem for the study, naming the countries there are and the fix
    spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))), normalise_over="country:ZZ")
    assert reference_problems(REFERENCE_MATRIX, spec, countries=REFERENCE_COUNTRIES) == [
        '[index] normalise_over = "country:ZZ": no region of the study is in ZZ; its countries are P, Q: set '
        'normalise_over = "country:P" (or another of them), "focus", "others" or "indexed"']
    # the fix the message names, applied: build_index accepts it
    fixed = IndexSpec(spec.components, normalise_over="country:P")
    assert reference_problems(REFERENCE_MATRIX, fixed, countries=REFERENCE_COUNTRIES) == []
    assert build_index(REFERENCE_MATRIX, fixed, countries=REFERENCE_COUNTRIES).index.notna().sum() == 3


def test_reference_problems_are_what_build_index_refuses():
    # Q is in the study, but only w (Q) lacks b, and z (Q) is the other Q region: blank z's b too
    matrix = REFERENCE_MATRIX.assign(b=[0.0, 10.0, np.nan, np.nan])
    spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",))), normalise_over="country:Q",
                     min_share=0.5)
    found = reference_problems(matrix, spec, countries=REFERENCE_COUNTRIES)
    assert found == ['component \'b\': no region of the reference set ([index] normalise_over = "country:Q") has a '
                     'value; the countries with a value: P']
    with pytest.raises(SchemaError) as refused:
        build_index(matrix, spec, countries=REFERENCE_COUNTRIES)
    assert found[0] in str(refused.value)
    # goalposts need no reference set: nothing to refuse
    posts = IndexSpec((IndicatorSpec("a", ("a",), goalposts=(0, 40)), IndicatorSpec("b", ("b",), goalposts=(0, 20))),
                      normalise_over="country:Q", normalisation="goalposts", min_share=0.5)
    assert reference_problems(matrix, posts, countries=REFERENCE_COUNTRIES) == []


def test_a_bad_reference_set_is_a_spec_problem():
    with pytest.raises(SchemaError, match=r'normalise_over = "region": expected "indexed", "all"'):
        IndexSpec((IndicatorSpec("a", ("a",)),), normalise_over="region")


@settings(deadline=None, max_examples=80)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30), st.data())
def test_members_of_the_reference_set_score_within_the_unit_interval(values, data):
    series = pd.Series(values)
    over = pd.Series(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    if not over.any():
        return
    scaled = min_max(series, over=over)
    assert scaled[over].between(0.0, 1.0).all()
    ranks = percent_rank(series, over=over)
    assert ranks[over].between(0.0, 1.0, inclusive="right").all()
