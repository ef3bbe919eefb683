import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderland.coherence import coherence_report, cronbach_alpha
from borderland.errors import SchemaError

# a rises 1..4, b = 2a, c falls: centred a = -1.5, -.5, .5, 1.5 and centred c = 1.5, .5, -1.5, -.5 have
# dot product -4 and squared norms 5 and 5, so r(a, c) = r(b, c) = -0.8; r(a, b) = 1
SCORES = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0], "c": [4.0, 3.0, 1.0, 2.0],
                       }, index=list("wxyz"))


def test_correlations_and_flags_by_hand():
    report = coherence_report(SCORES)
    assert report.pairs[["component_a", "component_b"]].values.tolist() == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert report.pairs["r"].tolist() == pytest.approx([1.0, -0.8, -0.8])
    assert report.pairs["flag"].tolist() == ["redundant", "negative", "negative"]
    assert report.correlations.loc["c", "a"] == pytest.approx(-0.8)
    assert report.n_regions == 4 and report.method == "pearson"


def test_a_pair_can_be_both_redundant_and_negative():
    report = coherence_report(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]}))
    assert report.pairs["flag"].tolist() == ["redundant, negative"]


def test_cronbach_alpha_by_hand():
    # var a = 5/3, var b = 20/3, var(a + b) = var(3a) = 15: alpha = 2 (1 - (25/3) / 15) = 8/9
    assert cronbach_alpha(SCORES[["a", "b"]]) == pytest.approx(8 / 9)
    # all three: vars 5/3 + 20/3 + 5/3 = 10; a + b + c = 7, 9, 10, 14 has variance 26/3 (mean 10):
    # alpha = 3/2 (1 - 10 / (26/3)) = 3/2 * (-4/26) = -3/13
    report = coherence_report(SCORES)
    assert report.cronbach_alpha == pytest.approx(-3 / 13)
    assert report.alpha_if_dropped["c"] == pytest.approx(8 / 9)


# integers (as floats): spreads like 1e-206 underflow when squared and make any variance ratio noise
@given(st.lists(st.integers(-1000, 1000), min_size=3, max_size=20, unique=True), st.integers(2, 5))
def test_identical_components_have_alpha_one(values, k):
    frame = pd.DataFrame({f"c{j}": [float(v) for v in values] for j in range(k)})
    assert cronbach_alpha(frame) == pytest.approx(1.0)


def test_alpha_is_nan_when_undefined():
    assert np.isnan(cronbach_alpha(SCORES[["a"]]))
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]})))


def test_only_complete_regions_count_and_index_correlation_is_reported():
    scores = SCORES.copy()
    scores.loc["z", "c"] = np.nan
    index = scores.mean(axis=1)
    report = coherence_report(scores, index=index, method="spearman")
    assert report.n_regions == 3
    # on w, x, y: a and b rise, c falls (4, 3, 1); the mean of the three (7/3, 3, 10/3) rises
    assert report.index_correlation.to_dict() == pytest.approx({"a": 1.0, "b": 1.0, "c": -1.0})


def test_table_holds_everything_in_one_long_frame():
    table = coherence_report(SCORES, index=SCORES.mean(axis=1)).table()
    assert list(table.columns) == ["statistic", "component_a", "component_b", "value", "n_regions", "flag"]
    assert table["statistic"].tolist() == ["r"] * 3 + ["cronbach_alpha"] + ["alpha_if_dropped"] * 3 + ["index_r"] * 3
    alpha_row = table[table["statistic"] == "cronbach_alpha"].iloc[0]
    assert alpha_row["component_a"] == "all" and alpha_row["value"] == pytest.approx(-3 / 13)
    assert "Cronbach's alpha -0.231" in coherence_report(SCORES).summary()


def test_problems_are_named():
    with pytest.raises(SchemaError, match=r"unknown correlation method 'cosine'; choose one of \['kendall', 'pearson'"):
        coherence_report(SCORES, method="cosine")
    with pytest.raises(SchemaError, match="needs at least 2 components and 3 regions that have all of them; found 1"):
        coherence_report(SCORES[["a"]])
    with pytest.raises(SchemaError, match=r"redundant_above must be in \(0, 1\], not 1.5"):
        coherence_report(SCORES, redundant_above=1.5)
