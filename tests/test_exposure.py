"""Border measures that need a population raster, checked by hand.

The world is the two-country one of ``test_border.py`` (AA west of x = 100 km, BB east of it,
regions A0-A3 and B4-B7, all 100 km tall), with the population raster of ``test_raster.py``:
5 km cells aligned with the regions, 10 people in each cell and a town of 1,000 in the cell
x 125-130 km, y 45-50 km (region B5, just beyond 25 km from the border).
"""

from __future__ import annotations

import ast
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import KM, X0, Y0
from hypothesis import given, settings
from hypothesis import strategies as st
from test_border import two_countries
from test_raster import CELL, town_values, write_raster

from borderland import exposure, raster
from borderland.border import border_lines_from_edges, touches_border
from borderland.errors import SchemaError
from borderland.layers import shared_edges


@pytest.fixture
def world():
    return two_countries()


@pytest.fixture
def lines(world):
    return border_lines_from_edges(world, shared_edges(world), focus_country="AA")


@pytest.fixture
def people(tmp_path):
    return write_raster(tmp_path / "people.tif", town_values(), left=X0, top=Y0 + 100 * KM, cell=CELL)


@pytest.fixture
def shifted(tmp_path):
    """41 x 21 cells from (-2.5 km, 102.5 km), shifted by half a cell; each holds its column number."""
    values = np.tile(np.arange(41.0), (21, 1))
    return write_raster(tmp_path / "shifted.tif", values, left=X0 - CELL / 2, top=Y0 + 102.5 * KM, cell=CELL)


# --- population near the border --------------------------------------------------------------


def test_population_near_border_by_hand(world, lines, people):
    near = exposure.population_near_border(world, lines, people)
    assert list(near.columns) == ["population_raster", "population_within_25km", "population_within_25km_pct",
                                  "raster_coverage_pct"]
    # 20 rows of 10 people in each 5 km column; B5 holds the town: 79 x 10 + 1,000
    assert near["population_raster"].tolist() == pytest.approx([1600, 1200, 800, 400, 400, 1790, 1200, 1600])
    # within 25 km: x 75-125 km. A2 (70-90) has 3 of its 4 columns there: 600 of 800 people;
    # B5 (110-130) 3 of 4 columns but not the town: 600 of 1,790
    assert near["population_within_25km"].tolist() == pytest.approx([0, 0, 600, 400, 400, 600, 0, 0])
    np.testing.assert_allclose(near["population_within_25km_pct"],
                               [0, 0, 75, 100, 100, 100 * 600 / 1790, 0, 0])
    assert near["raster_coverage_pct"].tolist() == pytest.approx([100] * 8)


def test_population_within_another_distance(world, lines, people):
    near = exposure.population_near_border(world, lines, people, within_km=12.5)
    # 12.5 km reaches x 87.5 and 112.5 km: all of A3 and B4 (400 each), and half of the column
    # next to them in A2 (x 85-90) and B5 (110-115): 0.5 x 20 rows x 10 = 100 people each
    assert near["population_within_12.5km"].tolist() == pytest.approx([0, 0, 100, 400, 400, 100, 0, 0])
    with pytest.raises(SchemaError, match="within_km must be positive, got 0"):
        exposure.population_near_border(world, lines, people, within_km=0)


def test_raster_covering_part_of_a_region(world, lines, tmp_path):
    # a raster over the western half of the world (x 0-100 km) and over the top half of A3 only
    values = np.full((20, 20), 10.0)
    west = write_raster(tmp_path / "west.tif", values, left=X0, top=Y0 + 100 * KM, cell=CELL)
    near = exposure.population_near_border(world, lines, west)
    assert near.loc["A3", "raster_coverage_pct"] == pytest.approx(100)
    assert near.loc["B4", "raster_coverage_pct"] == pytest.approx(0)
    # no cell of the raster in B4: its raster population is unknown, not 0
    assert np.isnan(near.loc["B4", ["population_raster", "population_within_25km",
                                    "population_within_25km_pct"]].astype(float)).all()
    top = write_raster(tmp_path / "top.tif", values[:10], left=X0, top=Y0 + 100 * KM, cell=CELL)
    half = exposure.population_near_border(world, lines, top)
    assert half.loc["A3", "raster_coverage_pct"] == pytest.approx(50)
    assert half.loc["A3", "population_raster"] == pytest.approx(200)  # 2 columns x 10 rows x 10


def test_border_region_flag(world, lines, people):
    flag = exposure.border_region(world, lines, people)
    # A3, B4 touch the border; A2 has 75 % of its people within 25 km; B5 only 33.5 %
    assert flag.name == "border_region"
    assert flag.to_dict() == {"A0": False, "A1": False, "A2": True, "A3": True,
                              "B4": True, "B5": False, "B6": False, "B7": False}
    # a lower threshold takes in B5; the near table computed once can be passed in
    near = exposure.population_near_border(world, lines, people)
    assert exposure.border_region(world, lines, people, threshold_pct=30, near=near)["B5"]
    # and so can the touching flag (the border stage's rings start from it)
    touching = touches_border(world, lines)
    pd.testing.assert_series_equal(exposure.border_region(world, lines, people, near=near, touching=touching), flag)


def test_population_weighted_distance_by_hand(world, lines, people):
    km = exposure.population_weighted_distance(world, lines, people)
    assert km.name == "border_distance_km"
    # A3: two columns at 7.5 and 2.5 km, equally peopled: 5 km. A2: 27.5, 22.5, 17.5, 12.5: 20 km.
    # B5: 200 people in each column at 12.5, 17.5, 22.5, 27.5 km, plus 990 more at 27.5 km:
    # (200 x 80 + 990 x 27.5) / 1,790 = 43,225 / 1,790
    assert km["A3"] == pytest.approx(5.0)
    assert km["A2"] == pytest.approx(20.0)
    assert km["B5"] == pytest.approx(43_225 / 1_790)


def test_population_weighted_distance_places_people_in_the_covered_part(world, lines, shifted):
    km = exposure.population_weighted_distance(world, lines, shifted)
    # A3 (x 90-100) on shifted cells valued by column: column 18 covers x 90-92.5 (people at its
    # centroid, 8.75 km from the border, weight 0.5 x 18), column 19 x 92.5-97.5 (5 km, 19),
    # column 20 x 97.5-100 (1.25 km, 0.5 x 20): (9 x 8.75 + 19 x 5 + 10 x 1.25) / 38
    assert km["A3"] == pytest.approx((9 * 8.75 + 19 * 5 + 10 * 1.25) / 38)


def test_population_weighted_distance_without_a_border(world, people):
    nothing = border_lines_from_edges(world.iloc[:4], shared_edges(world.iloc[:4]))  # one country: no border
    assert nothing.empty
    assert exposure.population_weighted_distance(world, nothing, people).isna().all()


# --- profiles by band and side ---------------------------------------------------------------


def test_profile_by_band_and_side_by_hand(world, lines, people):
    values = pd.Series([4.0, 3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0], index=world.index, name="score")
    table = exposure.profile(world, values, lines, people, bands_km=(0, 25, 50, 100), focus_country="AA")
    assert table.index.names == ["band", "side"]
    assert table.index.tolist() == [("0-25", "AA"), ("0-25", "other"), ("25-50", "AA"), ("25-50", "other"),
                                    ("50-100", "AA"), ("50-100", "other")]
    # 0-25 km (x 75-125): A3 400 people at 1, A2 600 at 2; B4 400 at 5, B5 600 at 6
    # 25-50 km (x 50-75, 125-150): A2 200 at 2, A1 800 at 3; B5 190 + 1,000 at 6, B6 800 at 7
    # 50-100 km (x 0-50, 150-200): A1 400 at 3, A0 1,600 at 4; B6 400 at 7, B7 1,600 at 8
    expected = [(400 * 1 + 600 * 2) / 1000, (400 * 5 + 600 * 6) / 1000,
                (200 * 2 + 800 * 3) / 1000, (1190 * 6 + 800 * 7) / 1990,
                (400 * 3 + 1600 * 4) / 2000, (400 * 7 + 1600 * 8) / 2000]
    np.testing.assert_allclose(table["score"], expected)
    assert table["population"].tolist() == pytest.approx([1000, 1000, 1000, 1990, 2000, 2000])
    assert table["regions"].tolist() == table["regions_with_data"].tolist() == [2, 2, 2, 2, 2, 2]
    assert table["with_data_pct"].tolist() == pytest.approx([100] * 6)
    assert table["regions_outside_raster"].tolist() == [0] * 6
    assert table["raster_coverage_pct"].tolist() == pytest.approx([100] * 6)


def test_profile_by_area_and_country_with_missing_values(world, lines):
    values = pd.Series([4.0, 3.0, None, 1.0, 5.0, 6.0, 7.0, 8.0], index=world.index, name="score")
    table = exposure.profile(world, values, lines, bands_km=(0, 25), by="country")
    # AA within 25 km: A3 1,000 km² at 1, A2 1,500 km² without a value
    assert table.loc[("0-25", "AA")].to_dict() == pytest.approx(
        {"score": 1.0, "area_km2": 2500.0, "with_data_pct": 40.0, "regions": 2, "regions_with_data": 1})


def test_profile_counts_the_regions_a_raster_misses(world, lines, tmp_path):
    # a raster over x 0-110 km only (A0-A3 and B4): B5-B7 get no people and are counted as missed,
    # not hidden in a 100 % share of the people with data
    west = write_raster(tmp_path / "west.tif", np.full((20, 22), 10.0), left=X0, top=Y0 + 100 * KM, cell=CELL)
    values = pd.Series([4.0, 3.0, 2.0, 1.0, 5.0, 6.0, None, 8.0], index=world.index, name="score")
    table = exposure.profile(world, values, lines, west, bands_km=(0, 25, 50, 100), focus_country="AA")
    other = table.xs("other", level="side")
    # 0-25 km on BB's side: B4 (x 100-110, in the raster, 400 people) and B5's x 110-125 (outside)
    assert other.loc["0-25", ["regions", "regions_with_data", "regions_outside_raster"]].tolist() == [2, 2, 1]
    assert other.loc["0-25", "population"] == pytest.approx(400)
    assert other.loc["0-25", "raster_coverage_pct"] == pytest.approx(100 * 10 / 25)
    assert other.loc["0-25", "score"] == pytest.approx(5.0)
    # 50-100 km: B6 (no value) and B7, both beyond the raster: no people, no value, two missed
    assert other.loc["50-100", ["regions", "regions_with_data", "regions_outside_raster"]].tolist() == [2, 1, 2]
    assert other.loc["50-100", "population"] == 0 and np.isnan(other.loc["50-100", "with_data_pct"])
    assert other.loc["50-100", "raster_coverage_pct"] == pytest.approx(0)
    assert table.xs("AA", level="side")["regions_outside_raster"].tolist() == [0, 0, 0]


def test_profile_interval_over_draws_by_hand(world, lines):
    # two regions per band and side, area-weighted; each draw's index is put on the chosen one's
    # scale first. Draws equal to the chosen values give a zero-width interval at the band's value;
    # a draw that doubles every value (same relative positions) is mapped back onto them
    values = pd.Series([4.0, 3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0], index=world.index, name="score")
    same = pd.DataFrame({k: values for k in range(5)})
    table = exposure.profile(world, values, lines, bands_km=(0, 25), focus_country="AA", draws=same)
    assert table["score_p05"].tolist() == pytest.approx(table["score"].tolist())
    assert table["score_p95"].tolist() == pytest.approx(table["score"].tolist())
    doubled = exposure.profile(world, values, lines, bands_km=(0, 25), focus_country="AA", draws=2 * same)
    assert doubled["score_p05"].tolist() == pytest.approx(table["score"].tolist())
    # A3 and A2 within 25 km of the border (10 and 15 km wide): one draw swaps their values, so the
    # band's values over the draws are (10 x 1 + 15 x 2) / 25 = 1.6 and (10 x 2 + 15 x 1) / 25 = 1.4
    swapped = same.copy()
    swapped.loc[["A2", "A3"], [1, 2, 3]] = [[1.0] * 3, [2.0] * 3]
    spread = exposure.profile(world, values, lines, bands_km=(0, 25), focus_country="AA", draws=swapped)
    low, high = spread.loc[("0-25", "AA"), ["score_p05", "score_p95"]]
    assert 1.4 <= low < high <= 1.6 and low == pytest.approx(np.percentile([1.6, 1.4, 1.4, 1.4, 1.6], 5))


def whole_frame_interval(world, values, border, draws, bands_km, focus_country):
    """The profile's 5-95 % interval the straightforward way: every draw at once, in pandas."""
    import shapely

    from borderland.border import band_pieces

    labels, pieces = band_pieces(world.geometry.to_numpy(), border, bands_km)
    side = np.where(world["country"] == focus_country, focus_country, "other")
    table = pd.DataFrame({"band": np.tile(labels, len(world)), "side": np.repeat(side, len(labels)),
                          "region": np.repeat(world.index.to_numpy(), len(labels)),
                          "weight": shapely.area(pieces.ravel()) / 1e6})
    table = table[table["weight"] > 0]
    matrix = draws.to_numpy(dtype=float)
    chosen = values.reindex(draws.index).to_numpy(dtype=float)[:, None]
    # each draw on the chosen values' scale: the same mean and standard deviation
    mean, spread = matrix.mean(axis=0), matrix.std(axis=0)
    target_mean, target_spread = chosen.mean(axis=0), chosen.std(axis=0)
    scaled = pd.DataFrame((matrix - mean) / spread * target_spread + target_mean, index=draws.index)
    on_pieces = scaled.reindex(table["region"]).to_numpy(dtype=float)
    weight = table["weight"].to_numpy()[:, None]
    rows = []
    for (band, side_name), at in table.groupby(["band", "side"], sort=False).indices.items():
        means = (on_pieces[at] * weight[at]).sum(axis=0) / weight[at].sum(axis=0)
        rows.append((band, side_name, *np.percentile(means, [5, 95])))
    return pd.DataFrame(rows, columns=["band", "side", "index_p05", "index_p95"]).set_index(["band", "side"])


@pytest.mark.parametrize("draws", [65, 97], ids=["two chunks and one draw", "three blocks and one draw"])
def test_profile_interval_does_not_depend_on_how_the_draws_are_cut(monkeypatch, draws):
    import geopandas as gpd
    import shapely

    from borderland.index import IndexSpec, IndicatorSpec
    from borderland.robustness import uncertainty

    # 60 strips 3 km wide and 10-120 km long on either side of a straight border: bands of a
    # few dozen pieces each, where numpy's sums over the rows of one column (pairwise) and of
    # several (one after another) differ in the last bits
    n = 60
    codes = [f"s{k:02d}" for k in range(n)]
    tall = 10_000.0 * (1 + np.arange(n) % 12)
    world = gpd.GeoDataFrame(
        {"country": np.where(np.arange(n) % 2, "AA", "BB")},
        geometry=[shapely.box(X0 + k * 3000.0, Y0, X0 + k * 3000.0 + 3000, Y0 + tall[k]) if k % 2 else
                  shapely.box(X0 + k * 3000.0, Y0 - tall[k], X0 + k * 3000.0 + 3000, Y0) for k in range(n)],
        index=pd.Index(codes, name="region_id"), crs=3035)
    border = gpd.GeoSeries([shapely.LineString([(X0, Y0), (X0 + n * 3000.0, Y0)])], crs=3035)
    rng = np.random.default_rng(4)
    matrix = pd.DataFrame(rng.uniform(0, 100, (n, 3)), columns=list("abc"), index=codes)
    spec = IndexSpec(tuple(IndicatorSpec(c, (c,)) for c in "abc"))
    result = uncertainty(matrix, spec, draws=draws, normalisations=("minmax", "zscore"), rng=6)
    values = pd.Series(result.regions["rank"].to_numpy(), index=codes, name="index")
    options = dict(bands_km=(0, 25, 50, 100, math.inf), focus_country="AA")
    streamed = exposure.profile(world, values, border, draws=result, **options)
    frame = pd.DataFrame(result.draw_index, index=result.codes)
    assert streamed["index_p05"].notna().all() and (streamed["index_p05"] < streamed["index_p95"]).all()
    reference = whole_frame_interval(world, values, border, frame, options["bands_km"], "AA")
    pd.testing.assert_frame_equal(streamed[["index_p05", "index_p95"]], reference.loc[streamed.index],
                                  check_exact=True)
    pd.testing.assert_frame_equal(exposure.profile(world, values, border, draws=frame, **options), streamed,
                                  check_exact=True)
    for width in (2, 32, 10_000):  # 10,000: the whole frame at once
        monkeypatch.setattr(exposure, "_DRAW_CHUNK", width)
        pd.testing.assert_frame_equal(exposure.profile(world, values, border, draws=frame, **options), streamed,
                                      check_exact=True)
        pd.testing.assert_frame_equal(exposure.profile(world, values, border, draws=result, **options), streamed,
                                      check_exact=True)
    # the blocks of draws computed where the executor runs them: one task a block, the same interval
    from borderland.compute import Serial

    mapped = []

    class Recording(Serial):
        def map(self, function, tasks):
            mapped.append((function.__name__, len(tasks)))
            return super().map(function, tasks)

    pd.testing.assert_frame_equal(exposure.profile(world, values, border, draws=result, executor=Recording(),
                                                   **options), streamed, check_exact=True)
    assert mapped == [("_float32_block_index", -(-draws // 32))]


@pytest.mark.parametrize(("widths", "chunk", "joined"), [
    ([32, 32, 1], 64, [65]), ([32, 1], 64, [33]), ([1], 64, [1]), ([32, 32, 32], 64, [64, 32]),
    ([32, 32, 1], 2, [32, 33]), ([3, 3, 3], 4, [6, 3]), ([4, 4, 1], 4, [4, 5]),
])
def test_draws_are_joined_in_chunks_never_of_one_draw_after_others(widths, chunk, joined):
    # a draw alone in its chunk would have its band means summed in another order
    blocks = [np.full((3, w), float(k)) for k, w in enumerate(widths)]
    chunks = list(exposure._joined(iter(blocks), chunk))
    assert [c.shape[1] for c in chunks] == joined
    assert np.array_equal(np.concatenate(chunks, axis=1), np.concatenate(blocks, axis=1))


def test_zones_built_once_give_the_same_figures(world, lines, people):
    from borderland.border import border_zones

    zones = border_zones(lines, (0, 25, 50, 100), (0, 25))
    values = pd.Series([4.0, 3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0], index=world.index, name="score")
    pd.testing.assert_frame_equal(exposure.profile(world, values, lines, people, bands_km=(0, 25, 50, 100),
                                                   focus_country="AA", zones=zones),
                                  exposure.profile(world, values, lines, people, bands_km=(0, 25, 50, 100),
                                                   focus_country="AA"))
    pd.testing.assert_frame_equal(exposure.population_near_border(world, lines, people, zones=zones),
                                  exposure.population_near_border(world, lines, people))


def test_population_weighted_distance_on_the_ellipsoid(world, lines, people):
    planar = exposure.population_weighted_distance(world, lines, people)
    geodesic = exposure.population_weighted_distance(world, lines, people, method="geodesic")
    # near (4,000 km, 3,000 km) in EPSG:3035 the projection stretches east-west distances a little
    np.testing.assert_allclose(geodesic, planar, rtol=0.02)
    assert not np.allclose(geodesic, planar, rtol=1e-6)
    with pytest.raises(SchemaError, match="unknown distance method 'great_circle'"):
        exposure.population_weighted_distance(world, lines, people, method="great_circle")


def test_profile_options_are_checked(world, lines):
    with pytest.raises(SchemaError, match="needs focus_country"):
        exposure.profile(world, pd.Series(1.0, index=world.index), lines, by="side")
    # without a focus country the default grouping is by country
    assert exposure.profile(world, pd.Series(1.0, index=world.index), lines).index.get_level_values(
        "side").unique().tolist() == ["AA", "BB"]
    with pytest.raises(SchemaError, match="unknown grouping 'segment'"):
        exposure.profile(world, pd.Series(1.0, index=world.index), lines, by="segment")


@settings(max_examples=25, deadline=None)
@given(within=st.lists(st.floats(1, 150), min_size=2, max_size=2, unique=True), seed=st.integers(0, 2**16))
def test_people_near_the_border_grow_with_the_distance_and_stay_within_the_total(within, seed):
    world = two_countries()
    lines = border_lines_from_edges(world, shared_edges(world))
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        path = write_raster(Path(folder) / "r.tif", rng.uniform(0, 50, (21, 41)), left=X0 - 2.5 * KM,
                            top=Y0 + 102.5 * KM, cell=CELL)
        near, far = (exposure.population_near_border(world, lines, path, within_km=km) for km in sorted(within))
    small, large = (f"population_within_{km:g}km" for km in sorted(within))
    assert (near[small] <= far[large] + 1e-9).all()
    assert (far[large] <= far["population_raster"] * (1 + 1e-12)).all()
    shares = pd.concat([near[f"{small}_pct"], far[f"{large}_pct"]])
    assert ((shares >= 0) & (shares <= 100 + 1e-9)).all()


# --- layering --------------------------------------------------------------------------------


def _imports(module: str) -> set[str]:
    """Every borderland module a module (or any module of a package) imports, at its top or inside a function."""
    import borderland

    root = Path(borderland.__file__).parent
    files = sorted((root / module).rglob("*.py")) if (root / module).is_dir() else [root / f"{module}.py"]
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("borderland"):
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("borderland")}
    names = {name.removeprefix("borderland.") for name in found}
    # an import of a package's module (raster.zonal) is an import of the package (raster)
    return names | {name.partition(".")[0] for name in names}


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [("raster", {"border", "exposure", "neighbours", "spatial", "pipeline"}),
     ("border", {"raster", "exposure", "neighbours", "spatial", "pipeline"}),
     ("neighbours", {"raster", "exposure", "spatial", "pipeline"}),
     ("spatial", {"raster", "exposure", "pipeline"})],
    ids=["raster", "border", "neighbours", "spatial"],
)
def test_layers_import_only_downwards(module, forbidden):
    # exposure sits above border and raster; raster is generic; the graph knows no raster
    assert not _imports(module) & forbidden
    assert {"border", "raster"} <= _imports("exposure")


# --- the bundled study -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(bundled_result):
    return bundled_result


@pytest.fixture(scope="module")
def gpw():
    from borderland.io import bundled

    return bundled("population_gpw_v4_2000_15min.tif")


@pytest.mark.slow
def test_bundled_border_regions_are_the_first_ring(study):
    regions = study.regions
    ring_one = regions["border_order"].eq(1).fillna(False).astype(bool)
    # no ring-two region has most of its people within 25 km of the border, so the flags are the rings
    assert (regions.loc[~ring_one, "population_within_25km_pct"].fillna(0) <= 50).all()
    assert regions["border_region"].equals(ring_one.rename("border_region"))
    # Kaliningrad and Grodno have the largest shares: just over half their people within 25 km
    share = regions["population_within_25km_pct"]
    assert share.nlargest(2).index.sort_values().tolist() == ["BY-HR", "RU-KGD"]
    assert share["RU-KGD"] == pytest.approx(51.2, abs=0.1)


@pytest.mark.slow
def test_bundled_raster_population_is_the_zonal_sum(study, gpw):
    regions = study.regions
    assert "population" not in regions.columns  # the indicator tables' population is another column
    sums = raster.zonal_stats(regions, gpw, stats=["sum", "count"])
    expected = sums["sum"].where(sums["count"] > 0)
    pd.testing.assert_series_equal(regions["population_raster"], expected, check_names=False)
    # the grid stops at 42° E: Saratov lies wholly outside it, Volgograd mostly
    assert np.isnan(regions.loc["RU-SAR", "population_raster"]) and regions.loc["RU-SAR", "raster_coverage_pct"] == 0
    assert regions.loc["RU-VGG", "raster_coverage_pct"] < 50


@pytest.mark.slow
def test_bundled_profile_is_the_published_one(study):
    # README: the index by band, Russian side 0.418, 0.406, 0.409, 0.504 and neighbours' side 0.564,
    # 0.563, 0.584, 0.848; on the neighbours' side 21 %, 19 %, 13 % and 8 % of the raster's people
    # have an index
    table = study.profile
    ru, other = table.xs("RU", level="side"), table.xs("other", level="side")
    assert ru["index"].round(3).tolist() == [0.418, 0.406, 0.409, 0.504]
    assert other["index"].round(3).tolist() == [0.564, 0.563, 0.584, 0.848]
    assert other["with_data_pct"].round(0).tolist() == [21, 19, 13, 8]
    assert (ru["with_data_pct"] == 100).all()
    # but beyond 100 km the grid (it stops at 42° E) misses Saratov on the Russian side and 8
    # regions on the other: the share above is of the raster's people only
    assert ru["regions_outside_raster"].tolist() == [0, 0, 0, 1] and other["regions_outside_raster"].iloc[-1] == 8
    assert ru["raster_coverage_pct"].iloc[:3].round(6).tolist() == [100, 100, 100]
    assert ru["raster_coverage_pct"].iloc[-1] < 60
    # every region with land in a band counts; on the Russian side each has an index
    assert (ru["regions"] == ru["regions_with_data"]).all()
    # the Monte Carlo interval of each band's index brackets it
    assert ((table["index_p05"] <= table["index"] + 1e-9) & (table["index"] <= table["index_p95"] + 1e-9)).all()
    assert (table["index_p95"] - table["index_p05"]).max() < 0.1


@pytest.mark.slow
def test_bundled_population_weighted_distance(study, gpw):
    regions = study.regions
    km = regions["population_border_distance_km"]
    again = exposure.population_weighted_distance(regions.loc[["RU-KGD", "RU-PSK"]], study.border_lines, gpw)
    assert again.tolist() == km[["RU-KGD", "RU-PSK"]].tolist()
    # known exactly where the raster has people, and positive; Saratov is outside the grid
    assert km.notna().equals(regions["population_raster"].gt(0)) and (km.dropna() > 0).all()
    # people of a region on the border live nearer it than those of the study's inland regions
    ring = regions["border_order"]
    assert km[ring.eq(1)].median() < km[ring.gt(1)].median()
