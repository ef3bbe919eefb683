import numpy as np
import pandas as pd
import pytest

from borderland.errors import SchemaError
from borderland.typology import classify


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
    with pytest.raises(SchemaError, match=r"choose one of \['mean_sd', 'quantiles', 'reference_bands'\]"):
        classify(pd.Series([1.0]), "jenks")
    with pytest.raises(SchemaError, match="typology 'quantiles'"):
        classify(pd.Series([1.0]), "quantiles", k=1)
