import numpy as np
import pandas as pd
import pytest

from borderland.layers import shared_edges
from borderland.neighbours import adjacent_pairs, pair_gaps


@pytest.fixture
def pairs(regions):
    return adjacent_pairs(regions, shared_edges(regions), focus_country="BB")


def test_pairs_are_unique_unordered_and_oriented_to_focus(pairs):
    keys = {frozenset(p) for p in zip(pairs.region_a, pairs.region_b, strict=True)}
    assert len(keys) == len(pairs) == 5
    cross = pairs[pairs.cross_border]
    # the focus country's region comes first in a cross-border pair
    assert cross[["region_a", "region_b", "segment"]].values.tolist() == [["B3", "A2", "BB-AA"]]
    assert pairs.cross_border.tolist() == [True, False, False, False, False]
    np.testing.assert_allclose(pairs.shared_border_km, 1.0)


def test_gap_sign_says_which_side_leads(pairs):
    index = pd.Series({"A0": 0.0, "A1": 0.2, "A2": 0.4, "B3": 0.8, "B4": 1.0, "B5": np.nan}, name="index")
    gaps = pair_gaps(pairs, index)
    cross = gaps[pairs.cross_border].iloc[0]
    assert cross.index_a == 0.8 and cross.index_b == 0.4
    assert cross.gap == pytest.approx(0.4) and cross.abs_gap == pytest.approx(0.4)
    assert cross.leader == "B3"
    missing = gaps[(pairs.region_a == "B4") & (pairs.region_b == "B5")].iloc[0]
    assert np.isnan(missing.gap) and missing.leader == ""


def test_without_focus_pairs_are_alphabetical(regions):
    pairs = adjacent_pairs(regions, shared_edges(regions))
    assert pairs[pairs.cross_border][["region_a", "region_b", "segment"]].values.tolist() == [["A2", "B3", "AA-BB"]]
