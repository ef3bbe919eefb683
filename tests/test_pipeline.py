"""The bundled study end to end: counts, columns, CRS and the facts the data README states."""

from pathlib import Path

import pandas as pd
import pytest

from borderland import border, io, pipeline
from borderland.errors import SchemaError
from borderland.study import load_study

RING1_RU = {"RU-MUR", "RU-KR", "RU-LEN", "RU-PSK", "RU-SMO", "RU-BRY", "RU-KRS", "RU-BEL", "RU-VOR", "RU-ROS", "RU-KGD"}
BORDERS_WITH_RUSSIA = {"RU-NO", "RU-FI", "RU-EE", "RU-LV", "RU-LT", "RU-PL", "RU-BY", "RU-UA"}


@pytest.fixture(scope="module")
def result(bundled_result):
    return bundled_result


def test_regions_of_the_bundled_study(result):
    r = result.regions
    assert len(r) == 92
    assert r["country"].value_counts().to_dict() == {
        "UA": 27, "RU": 26, "PL": 17, "BY": 7, "NO": 6, "FI": 5, "LT": 2, "EE": 1, "LV": 1}
    assert r.crs.to_epsg() == 3035
    for column in ("index", "typology", "border_distance_km", "border_order"):
        assert column in r.columns
    assert not {"NO0B", "NO-21", "NO-22"} & set(r.index)  # Svalbard, Jan Mayen, Bouvet dropped


def test_every_ring1_russian_subject_touches_the_border(result):
    r = result.regions
    from borderland.border import distance_to_border

    outline = distance_to_border(r, result.border_lines, origin="outline")
    assert set(r.index[(r["country"] == "RU") & (r["border_order"] == 1)]) == RING1_RU
    assert (outline[list(RING1_RU)] == 0).all()
    assert (r.loc[r["country"].eq("RU") & ~r.index.isin(RING1_RU), "border_order"] == 2).all()


def test_year_and_index_follow_the_data(result):
    # Eurostat's broadband series ends in 2021 and Rosstat's starts in 2021
    assert result.year == 2021
    r = result.regions
    # Belarusian and Ukrainian oblasts have no regional ICT figures: no data, never zero
    assert r.loc[r["country"].isin(["BY", "UA"]), "index"].isna().all()
    assert r.loc[r["country"].isin(["BY", "UA"]), "typology"].isna().all()
    # values come straight from the tables: Murmansk 2021 (Rosstat yearbook 2022, table 21.17)
    assert r.loc["RU-MUR", "households_internet_access"] == 88.8
    assert r.loc["EE00", "households_internet_access"] == 91.82


def test_pairs_cover_every_border_of_russia_and_the_neighbours(result):
    pairs = result.pairs
    cross = pairs[pairs["cross_border"]]
    assert BORDERS_WITH_RUSSIA <= set(cross["segment"])
    assert {"BY-UA", "FI-NO", "EE-LV", "LT-LV", "BY-LT", "BY-LV", "BY-PL", "LT-PL", "PL-UA"} <= set(cross["segment"])
    assert (pairs["shared_border_km"] > 0).all()
    keys = {frozenset(p) for p in zip(pairs["region_a"], pairs["region_b"], strict=True)}
    assert len(keys) == len(pairs)
    # in every pair with Russia, the Russian region is region_a: a negative gap means Russia lags
    assert (cross.loc[cross["segment"].str.startswith("RU-"), "country_a"] == "RU").all()
    karelia = cross[(cross["region_a"] == "RU-KR") & (cross["region_b"] == "FI1D")].iloc[0]
    r = result.regions
    assert karelia["gap"] == pytest.approx(r.loc["RU-KR", "index"] - r.loc["FI1D", "index"])


def test_shared_lengths_agree_with_libpysal(result):
    from libpysal.graph import Graph

    r = result.regions
    graph = Graph.build_contiguity(r, rook=True, by_perimeter=True)
    adj = graph.adjacency
    theirs = {frozenset((a, b)): w / 1000 for (a, b), w in adj.items() if w > 0 and a != b}
    ours = {frozenset((a, b)): km for a, b, km in result.pairs[["region_a", "region_b", "shared_border_km"]].values}
    assert set(theirs) == set(ours)
    for key, km in ours.items():
        assert km == pytest.approx(theirs[key], rel=0.01)


def test_border_lines_are_close_to_natural_earth(result):
    import geopandas as gpd

    ne = gpd.read_file(Path(io.bundled("countries.gpkg")), layer="border_lines")
    ne["segment"] = [border.segment_label(a, b, "RU") for a, b in zip(ne.country_a, ne.country_b, strict=True)]
    ne_km = ne.dissolve("segment").length / 1000
    ours = result.border_lines.set_index("segment")["length_km"]
    # NUTS 1:3M and NE 1:10M generalise differently; a derived border within 15 % of NE's length
    for segment in BORDERS_WITH_RUSSIA - {"RU-UA"}:
        assert ours[segment] == pytest.approx(ne_km[segment], rel=0.15), segment


def test_summary_names_the_year_and_largest_gaps(result):
    text = result.summary()
    assert "indicator year 2021" in text
    assert "largest cross-border gaps" in text


def test_study_file_errors_are_collected(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text('[regions]\npath = "r.gpkg"\ncolour = "red"\n[index]\nyear = 2020\n[extra]\n', encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_study(study)
    message = str(info.value)
    assert "[regions] colour = \"red\": unknown key; did you mean 'country'?" in message
    assert "[extra]: unknown section" in message
    assert "[indicators] path: a required key is missing" in message
    assert "[index] components = (missing): expected at least one [[index.components]] table" in message


def test_study_paths_resolve_against_the_study_folder(tmp_path):
    study = tmp_path / "sub" / "study.toml"
    study.parent.mkdir()
    study.write_text('[regions]\npath = "../r.gpkg"\n[indicators]\npath = "t.csv"\n'
                     '[[index.components]]\nname = "x"\n', encoding="utf-8")
    loaded = load_study(study)
    assert loaded.regions.path == (tmp_path / "r.gpkg").resolve()
    assert loaded.indicators.path == (tmp_path / "sub" / "t.csv").resolve()
    assert loaded.index.components[0].indicators == ("x",)


def test_index_within_unit_interval(result):
    values = result.regions["index"].dropna()
    # 26 Russian subjects + EE00, LV00, LT01, LT02, FI19, FI1B, FI1C, FI1D, NO07 have all three in 2021
    assert len(values) == 35
    # min-max over the sample: every component spans [0, 1], so the equal-weight mean stays inside
    assert values.min() >= 0 and values.max() <= 1
    assert values.idxmin() == "RU-NGR" and values.idxmax() == "NO07"


def strip_study(tmp_path, **regions_keys):
    from conftest import strip_world

    from borderland.index import IndexSpec, IndicatorSpec
    from borderland.study import IndicatorsSpec, RegionsSpec, Study

    strip_world().to_file(tmp_path / "regions.gpkg", engine="pyogrio")
    codes = ["A0", "A1", "A2", "B3", "B4", "B5"]
    pd.DataFrame({"region_id": codes, "indicator": "access", "year": 2020,
                  "value": [50, 60, 70, 90, 100, 80]}).to_csv(tmp_path / "t.csv", index=False)
    return Study(regions=RegionsSpec(path=tmp_path / "regions.gpkg", **regions_keys),
                 indicators=IndicatorsSpec(path=tmp_path / "t.csv"),
                 index=IndexSpec((IndicatorSpec("access", ("access",)),)))


def test_regions_far_from_any_land_border_can_be_left_out(tmp_path):
    # the outlines of A0 and B5 lie 2 km from the border at x = 3 km, A1 and B4 1 km, A2 and B3 touch it
    inputs = pipeline.load(strip_study(tmp_path, max_border_distance_km=1.5))
    assert list(inputs.regions.index) == ["A1", "A2", "B3", "B4"]
    assert "left out, farther than 1.5 km from any land border between the study's countries ([regions] " \
           "max_border_distance_km): A0 (2 km), B5 (2 km)" in inputs.notes
    # the edges built once for the scope lose the pairs of the regions left out
    assert inputs.edges[["region_a", "region_b"]].values.tolist() == [["A1", "A2"], ["A2", "B3"], ["B3", "B4"]]


def test_regions_far_from_any_land_border_are_named(tmp_path):
    inputs = pipeline.load(strip_study(tmp_path, warn_border_distance_km=0.5))
    assert any(note.startswith("4 region(s) lie wholly farther than 0.5 km from any land border between the study's "
                               "countries (A0 2 km, B5 2 km, A1 1 km, B4 1 km)") for note in inputs.notes)


def test_a_scope_of_zero_keeps_the_regions_on_the_border(tmp_path):
    assert list(pipeline.load(strip_study(tmp_path, max_border_distance_km=0.0)).regions.index) == ["A2", "B3"]
