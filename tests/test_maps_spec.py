"""Tests of borderland.maps.spec: one frozen MapSpec that checks itself, one name per option."""

from __future__ import annotations

import dataclasses

import pytest

from borderland.errors import SchemaError
from borderland.maps import KINDS, SCHEMES, MapSpec, precision_for_zoom
from borderland.maps.spec import LINE_KINDS, REGION_KINDS
from borderland.typology import LABELS as TYPOLOGY_LABELS

BAD_VALUES = [
    ("kinds", ["index", "heat"], r"kinds holds unknown kind\(s\) \['heat'\]; expected kinds from \['index', "
                                 r"'typology', 'indicator', 'rings', 'bands', 'population', 'uncertainty', "
                                 r"'gaps', 'trade'\]"),
    ("kinds", [], r"kinds is empty; choose one or more of \['index'"),
    ("kinds", 3, r"kinds is 3; expected map kinds from \['index'"),
    ("columns", [""], r"columns is \(''\,\); expected names of numeric columns"),
    ("units", {"speed": 3}, r"units is .*'speed': 3.*; expected column name -> unit text"),
    ("scheme", "jenks", r"scheme is 'jenks'; expected one of \['equal_interval', 'natural_breaks', "
                        r"'quantiles'\]"),
    ("classes", 12, r"classes is 12; expected a whole number of classes from 1 to 9"),
    ("classes", 2.5, r"classes is 2.5; expected a whole number of classes from 1 to 9"),
    ("classes", True, r"classes is True; expected a whole number"),
    ("palette", "Rainbow", r"palette is 'Rainbow'; expected a ColorBrewer palette, one of \[.*'YlGnBu'.*\] "
                           r"\(add _r to reverse one\)"),
    ("palette", "Set2", r"palette is 'Set2'; expected a ColorBrewer palette"),
    ("title", None, r"title is None; expected a text"),
    ("attribution", [1], r"attribution is \(1,\); expected credit lines"),
    ("offline", "yes", r"offline is 'yes'; expected True or False"),
    ("fragment", 1, r"fragment is 1; expected True or False"),
    ("include_leaflet", None, r"include_leaflet is None; expected True or False"),
    ("size_px", (0, 400), r"size_px is \(0, 400\); expected \(width, height\) in whole pixels > 0"),
    ("size_px", (640.5, 400), r"size_px is \(640.5, 400\); expected"),
    ("id_prefix", "a-b", r"id_prefix is 'a-b'; expected 1 to 32 letters and digits"),
    ("id_prefix", "", r"id_prefix is ''; expected 1 to 32 letters and digits"),
    ("id_prefix", "x" * 33, r"id_prefix is 'x{33}'; expected 1 to 32 letters and digits"),
    ("id_prefix", 'a"b', r"id_prefix is 'a\"b'; expected 1 to 32 letters and digits"),
    ("population_column", "", r"population_column is ''; expected a column name"),
    ("probability_column", 5, r"probability_column is 5; expected a column name"),
    ("stable_probability", 0, r"stable_probability is 0; expected a probability in \(0, 1\]"),
    ("stable_probability", 1.5, r"stable_probability is 1.5; expected a probability in \(0, 1\]"),
    ("max_zoom", 25, r"max_zoom is 25; expected a zoom level from 2 to 20"),
    ("precision", 16, r"precision is 16; expected an integer number of decimals from 0 to 15"),
    ("simplify_tolerance_m", -1, r"simplify_tolerance_m is -1; expected a distance in metres >= 0"),
    ("simplify_tolerance_m", float("nan"), r"simplify_tolerance_m is nan; expected a distance in metres"),
    ("size_in", (0, 3), r"size_in is \(0, 3\); expected \(width, height\) in inches > 0"),
    ("dpi", 10, r"dpi is 10; expected whole dots per inch from 30 to 1200"),
    ("typology_labels", "high", r"typology_labels is 'high'; expected the typology's class labels \(texts\), best "
                                r"first"),
    ("typology_labels", [], r"typology_labels is \(\); expected the typology's class labels"),
    ("typology_labels", ["a", ""], r"typology_labels is \('a', ''\); expected the typology's class labels"),
    ("typology_labels", ["a", "b", "a"], r"typology_labels repeat: \['a', 'b', 'a'\]; give each class once"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES,
                         ids=[f"{field}-{n}" for n, (field, _, _) in enumerate(BAD_VALUES)])
def test_each_bad_value_is_named_with_what_is_expected(field, value, message):
    with pytest.raises(SchemaError, match=r"map spec: 1 problem\(s\)\n  - " + message):
        MapSpec(**{field: value})


def test_every_problem_is_reported_at_once():
    with pytest.raises(SchemaError) as info:
        MapSpec(kinds=["heat"], classes=0, scheme="jenks", dpi=1, id_prefix="-")
    message = str(info.value)
    assert message.startswith("map spec: 5 problem(s)\n")
    for field in ("kinds", "scheme", "classes", "id_prefix", "dpi"):
        assert f"  - {field} " in message, field


def test_columns_and_the_indicator_kind_go_together():
    with pytest.raises(SchemaError, match=r"columns \['internet_pct'\] given, but kinds \['index'\] have no "
                                          r"'indicator' to draw them; add 'indicator' to kinds"):
        MapSpec(kinds=["index"], columns=["internet_pct"])
    with pytest.raises(SchemaError, match=r"kinds has 'indicator' but columns is empty"):
        MapSpec(kinds=["indicator"])
    assert MapSpec(columns=["internet_pct"]).kinds is None  # every kind, the indicator included


def test_one_form_of_each_option():
    spec = MapSpec(kinds="indicator", columns="speed", attribution="© somebody", size_px=[640, 480],
                   units={"speed": "Mbit/s"})
    assert spec.kinds == ("indicator",) and spec.attribution == ("© somebody",) and spec.size_px == (640, 480)
    assert spec.columns == ("speed",)
    assert MapSpec(typology_labels=["high", "low"]).typology_labels == ("high", "low")
    with pytest.raises(TypeError):
        spec.units["speed"] = "kbit/s"  # type: ignore[index]  # read-only
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.classes = 3  # type: ignore[misc]
    # equal specs are equal and hash alike (a spec can key a cache)
    assert spec == MapSpec(kinds=["indicator"], columns=["speed"], attribution=["© somebody"], size_px=(640, 480),
                           units={"speed": "Mbit/s"})
    assert hash(spec) == hash(dataclasses.replace(spec)) and spec != dataclasses.replace(spec, units={})


def test_a_changed_copy_is_checked_again():
    spec = MapSpec()
    assert dataclasses.replace(spec, classes=3).classes == 3
    with pytest.raises(SchemaError, match="classes is 0"):
        dataclasses.replace(spec, classes=0)


def test_defaults():
    spec = MapSpec()
    assert (spec.kinds, spec.scheme, spec.classes, spec.palette, spec.offline, spec.fragment) == (
        None, "quantiles", 5, None, True, False)
    assert spec.typology_labels == ("leader", "moderate", "lagging") == tuple(TYPOLOGY_LABELS)
    assert spec.digits == 4  # zoom 12
    assert MapSpec(max_zoom=8).digits == 3 and MapSpec(precision=2).digits == 2


def test_registries_are_the_choices():
    assert list(KINDS) == ["index", "typology", "indicator", "rings", "bands", "population", "uncertainty", "gaps",
                           "trade"]
    assert set(REGION_KINDS) | set(LINE_KINDS) | {"bands"} == set(KINDS)
    assert SCHEMES == ("quantiles", "equal_interval", "natural_breaks")


@pytest.mark.parametrize(("max_zoom", "digits"), [(2, 1), (8, 3), (12, 4), (18, 6)])
def test_precision_for_zoom(max_zoom, digits):
    # a pixel at zoom z spans 360 / (256 * 2**z) degrees: a step of 10**-digits is no larger
    assert precision_for_zoom(max_zoom) == digits
    assert 10 ** -digits <= 360 / (256 * 2**max_zoom) < 10 ** -(digits - 1)
