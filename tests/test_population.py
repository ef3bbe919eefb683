"""borderland.population: one population rule for every weight, checked by hand and as a property."""

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderland.errors import SchemaError
from borderland.indicators import YearRule
from borderland.layers import prepare_regions
from borderland.population import POPULATION_RULE, POPULATION_UNITS, region_population
from tests.conftest import strip_world

POP = "population_1_january"


def table(rows, *, source=True):
    """A tidy table from (region_id, year, value, unit[, source]) rows of the population indicator."""
    frame = pd.DataFrame([r[:4] for r in rows], columns=["region_id", "year", "value", "unit"])
    frame.insert(1, "indicator", POP)
    if source:
        frame["source"] = [r[4] if len(r) > 4 else f"src {r[0]} {r[1]}" for r in rows]
    return frame


# A0: 2019 and 2023, both two years from 2021; A1: 2018 only (three years off); A2: 2021 and 2024;
# B3: 2025 only (four years off); B4, B5: nothing
YEARS = table([
    ("A0", 2023, 2.3, "million persons"), ("A0", 2019, 1.9, "million persons"),
    ("A1", 2018, 180.0, "thousand persons"),
    ("A2", 2021, 210_000.0, "persons"), ("A2", 2024, 240_000.0, "persons"),
    ("B3", 2025, 2.5, "million persons"),
])


def test_units_become_persons(regions):
    rows = table([("A0", 2021, 1_500.0, "persons"), ("A1", 2021, 1.5, "thousand persons"),
                  ("A2", 2021, 1.5, "million persons"), ("B3", 2021, 2.0, " Thousand persons ")])
    people = region_population(rows, regions, year=2021)
    # 1 500 persons; 1.5 thousand = 1 500; 1.5 million = 1 500 000; case and spaces do not matter
    assert people["population_persons"].tolist()[:4] == [1_500.0, 1_500.0, 1_500_000.0, 2_000.0]
    assert POPULATION_UNITS == {"persons": 1.0, "thousand persons": 1e3, "million persons": 1e6}


def test_unknown_and_missing_units_are_reported_at_once(regions):
    rows = table([("A0", 2021, 1.0, "people"), ("A1", 2021, 2.0, "people"), ("B3", 2021, 3.0, None),
                  ("B4", 2021, 4.0, "persons")])
    valid = r"give one of \['million persons', 'persons', 'thousand persons'\]"
    with pytest.raises(SchemaError, match=r"population indicator 'population_1_january': 2 problem\(s\)") as caught:
        region_population(rows, regions, year=2021)
    message = str(caught.value)
    assert f"- no unit in 1 row(s) (e.g. B3); {valid}".replace("\\", "") in message
    assert f"- unit 'people' in 2 row(s) (e.g. A0, A1); {valid}".replace("\\", "") in message


def test_units_of_rows_outside_the_study_do_not_matter(regions):
    rows = table([("A0", 2021, 1.0, "persons"), ("ZZ9", 2021, 2.0, "people")])
    assert region_population(rows, regions, year=2021)["population_persons"]["A0"] == 1.0


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # nearest within 3 years of 2021, ties to the earlier: A0 2019 (not 2023), A1 2018, A2 2021;
        # B3's 2025 is too far
        (POPULATION_RULE, {"A0": (1_900_000.0, 2019), "A1": (180_000.0, 2018), "A2": (210_000.0, 2021)}),
        (YearRule("nearest", window=2), {"A0": (1_900_000.0, 2019), "A2": (210_000.0, 2021)}),
        (YearRule("nearest", window=4), {"A0": (1_900_000.0, 2019), "A1": (180_000.0, 2018),
                                         "A2": (210_000.0, 2021), "B3": (2_500_000.0, 2025)}),
        (YearRule("exact"), {"A2": (210_000.0, 2021)}),
        (YearRule("exact", 2024), {"A2": (240_000.0, 2024)}),  # the rule's own year wins over the study's
        # one year for everyone: the latest up to 2021 that any study region has
        (YearRule("latest"), {"A2": (210_000.0, 2021)}),
        (YearRule("latest", 2020), {"A0": (1_900_000.0, 2019)}),
        # each region's latest in 2018-2021: never a later year
        (YearRule("window", window=3), {"A0": (1_900_000.0, 2019), "A1": (180_000.0, 2018),
                                        "A2": (210_000.0, 2021)}),
    ],
    ids=["default", "nearest-2", "nearest-4", "exact", "exact-own-year", "latest", "latest-own-year", "window-3"],
)
def test_year_rules_by_hand(regions, rule, expected):
    people = region_population(YEARS, regions, year=2021, rule=rule)
    known = people.dropna(subset=["population_persons"])
    assert {code: (row.population_persons, row.population_year) for code, row in known.iterrows()} == expected
    assert people.attrs == {"indicator": POP, "rule": rule.describe(2021)}


def test_regions_without_a_population_are_missing_never_zero(regions):
    people = region_population(YEARS, regions, year=2021)
    assert people.index.equals(regions.index)
    assert list(people.columns) == ["population_persons", "population_year", "population_source"]
    for code in ("B3", "B4", "B5"):
        assert math.isnan(people.loc[code, "population_persons"])
        assert people.loc[code, "population_year"] is pd.NA and people.loc[code, "population_source"] is pd.NA
    assert (people["population_persons"].dropna() > 0).all()
    assert str(people["population_year"].dtype) == "Int64"


def test_a_table_without_the_indicator_gives_no_population(regions, strip_table):
    people = region_population(strip_table, regions, year=2020)
    assert people["population_persons"].isna().all() and people["population_year"].isna().all()
    other = region_population(YEARS, regions, year=2021, indicator="population_average")
    assert other["population_persons"].isna().all()


def test_the_source_of_each_figure_is_kept(regions):
    people = region_population(YEARS, regions, year=2021)
    assert people.loc["A0", "population_source"] == "src A0 2019" and people.loc["A2", "population_source"] == \
        "src A2 2021"
    without = region_population(YEARS.drop(columns="source"), regions, year=2021)
    assert without["population_source"].isna().all() and without["population_persons"].notna().sum() == 3


def test_one_region_and_year_has_one_figure(regions):
    same = table([("A0", 2021, 5.0, "thousand persons", "a"), ("A0", 2021, 5000.0, "persons", "b")])
    # the same figure twice (in two units) is fine: the first row's source is kept
    assert region_population(same, regions, year=2021).loc["A0", "population_source"] == "a"
    conflicting = table([("A0", 2021, 5.0, "thousand persons"), ("A0", 2021, 6.0, "thousand persons"),
                         ("A1", 2020, 1.0, "persons"), ("A1", 2020, 2.0, "persons")])
    with pytest.raises(SchemaError, match=r"different figures for one region and year: A0 2021, A1 2020; "
                                          r"keep one row per region and year"):
        region_population(conflicting, regions, year=2021)


def test_inputs_are_not_changed_and_row_order_does_not_matter(regions):
    before = YEARS.copy()
    people = region_population(YEARS, regions, year=2021)
    pd.testing.assert_frame_equal(YEARS, before)
    shuffled = region_population(YEARS.sample(frac=1, random_state=1), regions.iloc[::-1], year=2021)
    pd.testing.assert_frame_equal(shuffled.loc[regions.index], people)


def test_the_bundled_run_keeps_each_regions_population_year_and_source(bundled_result):
    r = bundled_result.regions
    # Rosstat: 1 January 2022 (nearest to 2021; 2023 is farther), in thousands; Eurostat NUTS 2: 2018, in persons
    assert r.loc["RU-BRY", "population_persons"] == pytest.approx(1_168_800.0)
    assert r.loc["RU-BRY", "population_year"] == 2022
    assert r.loc["RU-BRY", "population_source"].startswith("Rosstat, Российский статистический ежегодник 2022")
    assert r.loc["EE00", "population_year"] == 2018 and r.loc["EE00", "population_source"].startswith("Eurostat")
    assert set(r["population_year"].dropna()) == {2018, 2022}
    # no figure for Belarusian or Ukrainian oblasts: missing, never zero
    assert r.loc[r["country"].isin(["BY", "UA"]), "population_persons"].isna().all()
    # the regions' raster population (GPW 2000) is another column, left as it was
    assert "population_raster" in r.columns and not r["population_raster"].equals(r["population_persons"])
    assert r.attrs["population"] == {"indicator": POP, "rule": POPULATION_RULE.describe(2021)}


def test_the_bundled_run_divides_trade_by_the_same_population(bundled_result):
    r = bundled_result.regions.dropna(subset=["trade_turnover_usd_per_capita"])
    assert len(r) == 14
    back = r["trade_turnover_usd_per_capita"] * r["population_persons"] / 1e6
    pd.testing.assert_series_equal(back, r["trade_turnover_million_usd"], check_names=False)


STRIP = prepare_regions(strip_world())
figures = st.lists(st.tuples(st.sampled_from(list(STRIP.index)), st.integers(2000, 2030)), max_size=20, unique=True)


@settings(deadline=None)
@given(figures, st.integers(2005, 2025), st.integers(0, 6))
def test_the_chosen_year_is_always_the_nearest_allowed_one(rows, year, window):
    frame = table([(code, y, float(y), "persons") for code, y in rows])
    people = region_population(frame, STRIP, year=year, rule=YearRule("nearest", window=window))
    for code in STRIP.index:
        allowed = [y for c, y in rows if c == code and abs(y - year) <= window]
        chosen = people.loc[code, "population_year"]
        if not allowed:
            assert chosen is pd.NA and math.isnan(people.loc[code, "population_persons"])
            continue
        nearest = min(allowed, key=lambda y: (abs(y - year), y))  # of two equally near, the earlier
        assert chosen == nearest
        assert people.loc[code, "population_persons"] == float(nearest)  # value and year from one row
