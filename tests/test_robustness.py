import numpy as np
import pandas as pd
import pytest

from borderland.compute import Serial
from borderland.errors import SchemaError
from borderland.index import IndexSpec, IndicatorSpec
from borderland.robustness import pair_stability, uncertainty
from borderland.typology import TypologySpec

ONE = IndexSpec((IndicatorSpec("a", ("a",)),))
# min-max: 0, .1, .2, 1; percentile ranks: .25, .5, .75, 1
SKEWED = pd.DataFrame({"a": [0.0, 1.0, 2.0, 10.0]}, index=list("wxyz"))
CUTS = TypologySpec("thresholds", {"cuts": [0.3, 0.6]})


def three_components(n: int = 14) -> tuple[pd.DataFrame, IndexSpec]:
    """Regions whose components disagree in places, so ranks and classes move with the weights."""
    k = np.arange(n, dtype=float)
    matrix = pd.DataFrame({"a": k, "b": (k * 7) % n, "c": n - k + (k % 3) * 4}, index=[f"r{j:02d}" for j in range(n)])
    spec = IndexSpec((IndicatorSpec("a", ("a",)), IndicatorSpec("b", ("b",)), IndicatorSpec("c", ("c",))))
    return matrix, spec


def test_scenario_choice_by_hand():
    # with one component the weights cannot move; each draw is min-max or rank, so with cuts .3 and .6
    # min-max gives lagging, lagging, lagging, leader and rank gives lagging, moderate, leader, leader
    result = uncertainty(SKEWED, ONE, typology=CUTS, normalisations=("minmax", "rank"), draws=400, rng=3)
    n_minmax, n_rank = result.scenarios["draws"].tolist()
    assert result.scenarios[["normalisation", "aggregation"]].values.tolist() == [["minmax", "arithmetic"],
                                                                                ["rank", "arithmetic"]]
    assert n_minmax + n_rank == 400 and 0 < n_rank < 400
    r = result.regions
    assert r["p_leader"].tolist() == [0.0, 0.0, n_rank / 400, 1.0]
    assert r["p_moderate"].tolist() == [0.0, n_rank / 400, 0.0, 0.0]
    assert r["p_lagging"].tolist() == [1.0, n_minmax / 400, n_minmax / 400, 0.0]
    # the class as chosen (min-max) is lagging for y
    assert r.loc["y", "p_typology"] == n_minmax / 400
    assert r.loc["y", "p_se"] == pytest.approx(np.sqrt(n_rank / 400 * n_minmax / 400 / 400))
    # the order never changes: ranks 4, 3, 2, 1 in every draw
    for column in ("rank", "rank_median", "rank_p05", "rank_p95"):
        assert r[column].tolist() == [4.0, 3.0, 2.0, 1.0]
    assert r["rank_median_se"].tolist() == [0.0] * 4


def test_gap_sign_probability_matches_the_dirichlet_by_hand():
    from scipy.stats import beta

    # x = (0, 1), y = (1, 0) after min-max; weights (2/3, 1/3) drawn as Dirichlet(20, 10): the index of
    # x is w_b and of y is w_a, so x - y keeps its (negative) sign exactly when w_a > 1/2, i.e. with
    # probability P(Beta(20, 10) > 1/2)
    matrix = pd.DataFrame({"a": [0.0, 1.0], "b": [1.0, 0.0]}, index=["x", "y"])
    spec = IndexSpec((IndicatorSpec("a", ("a",), weight=2), IndicatorSpec("b", ("b",))))
    pairs = pd.DataFrame({"region_a": ["x"], "region_b": ["y"]}, index=[7])
    result = uncertainty(matrix, spec, pairs=pairs, draws=4000, concentration=30, rng=11)
    expected = beta.sf(0.5, 20, 10)
    row = result.pairs.loc[7]
    assert abs(row["p_gap_sign_kept"] - expected) < 4 * row["p_gap_sign_kept_se"]
    assert row["p_a_leads"] == pytest.approx(1 - row["p_gap_sign_kept"])
    assert result.mc_error >= row["p_gap_sign_kept_se"]


def test_same_seed_gives_identical_results():
    matrix, spec = three_components()
    pairs = pd.DataFrame({"region_a": ["r00", "r05"], "region_b": ["r01", "r09"]})
    options = dict(pairs=pairs, normalisations=("minmax", "rank", "zscore"), draws=300)
    first = uncertainty(matrix, spec, rng=2024, **options)
    second = uncertainty(matrix, spec, rng=2024, **options)
    third = uncertainty(matrix, spec, rng=np.random.default_rng(2024), **options)
    for other in (second, third):
        pd.testing.assert_frame_equal(first.regions, other.regions)
        pd.testing.assert_frame_equal(first.pairs, other.pairs)
        pd.testing.assert_frame_equal(first.scenarios, other.scenarios)
        pd.testing.assert_frame_equal(first.weights, other.weights)


def test_different_seeds_differ_within_the_stated_monte_carlo_error():
    matrix, spec = three_components()
    pairs = pd.DataFrame({"region_a": matrix.index[:-1], "region_b": matrix.index[1:]})
    options = dict(pairs=pairs, normalisations=("minmax", "rank"), draws=1000, concentration=10)
    first = uncertainty(matrix, spec, rng=1, **options)
    second = uncertainty(matrix, spec, rng=2, **options)
    columns = ["p_leader", "p_moderate", "p_lagging"]
    p1, p2 = first.regions[columns], second.regions[columns]
    assert not p1.equals(p2)  # the seeds do matter ...
    se = np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 1000)
    assert ((p1 - p2).abs() <= 4 * se + 1e-12).all().all()  # ... but only within 4 standard errors
    assert (p1 - p2).abs().max().max() <= 4 * np.sqrt(2) * max(first.mc_error, second.mc_error)
    median_se = np.hypot(first.regions["rank_median_se"], second.regions["rank_median_se"])
    assert ((first.regions["rank_median"] - second.regions["rank_median"]).abs() <= 4 * median_se + 0.5).all()
    kept1, kept2 = first.pairs["p_gap_sign_kept"], second.pairs["p_gap_sign_kept"]
    assert ((kept1 - kept2).abs() <= 4 * np.hypot(first.pairs["p_gap_sign_kept_se"],
                                                  second.pairs["p_gap_sign_kept_se"]) + 1e-12).all()


def test_fixed_choices_are_certain():
    matrix, spec = three_components()
    result = uncertainty(matrix, spec, draws=50, concentration=None, rng=0)
    r = result.regions
    assert set(np.unique(r[["p_leader", "p_moderate", "p_lagging"]].to_numpy())) <= {0.0, 1.0}
    assert (r["rank_p05"] == r["rank"]).all() and (r["rank_p95"] == r["rank"]).all()
    assert not r["typology_unstable"].any() and result.mc_error == 0.0
    assert (result.weights["weight_p05"] == result.weights["weight"]).all()


def test_perturbed_weights_surround_the_chosen_ones():
    matrix, spec = three_components()
    weights = uncertainty(matrix, spec, draws=500, rng=5).weights
    assert weights["weight"].tolist() == pytest.approx([1 / 3] * 3)
    assert (weights["weight_p05"] < weights["weight"]).all() and (weights["weight"] < weights["weight_p95"]).all()


def test_regions_and_pairs_without_an_index_stay_empty():
    matrix = pd.concat([SKEWED, pd.DataFrame({"a": [np.nan]}, index=["v"])])
    pairs = pd.DataFrame({"region_a": ["v", "w"], "region_b": ["w", "z"]})
    result = uncertainty(matrix, ONE, pairs=pairs, draws=20, rng=0)
    assert result.regions.loc["v"].isna().all()
    assert result.regions["rank"].tolist()[:4] == [4.0, 3.0, 2.0, 1.0]
    assert result.pairs["p_gap_sign_kept"].isna().tolist() == [True, False]
    assert "regions whose class is unstable: 0 of 4" in result.summary()


def test_labels_name_the_probability_columns():
    labels = TypologySpec("quantiles", (), ("Top tier", "middle", "bottom"))
    result = uncertainty(SKEWED, ONE, typology=labels, draws=10, rng=0)
    assert [c for c in result.regions.columns if c.startswith("p_")] == [
        "p_top_tier", "p_middle", "p_bottom", "p_typology", "p_se"]
    # terciles of the min-max scores 0, .1, .2, 1 are .1 and .2: .1 is at the lower cut, .2 at the upper
    assert result.regions["typology_modal"].tolist() == ["bottom", "bottom", "Top tier", "Top tier"]


def test_every_invalid_choice_is_reported_at_once():
    matrix, spec = three_components()
    with pytest.raises(SchemaError) as info:
        uncertainty(matrix, spec, normalisations=("minmax", "rank", "zscore"), aggregations=("arithmetic", "geometric"))
    message = str(info.value)
    assert "not every scenario is valid: 2 problem(s)" in message
    assert "minmax x geometric: [index]: 1 problem(s)" in message
    assert "zscore x geometric" in message and "rank x geometric" not in message
    with pytest.raises(SchemaError, match=r"uncertainty analysis: 3 problem\(s\)"):
        uncertainty(matrix, spec, draws=1, concentration=-1, pairs=pd.DataFrame({"a": [1]}))
    with pytest.raises(SchemaError, match="give the same column names"):
        uncertainty(matrix, spec, typology=TypologySpec("quantiles", (), ("a b", "a-b", "c")))


def test_geometric_scenarios_run_on_a_positive_scale():
    matrix, spec = three_components()
    positive = IndexSpec(spec.components, scale=(1.0, 100.0))
    result = uncertainty(matrix, positive, normalisations=("minmax", "rank"), aggregations=("arithmetic", "geometric"),
                         draws=200, rng=4)
    assert len(result.scenarios) == 4 and result.scenarios["draws"].sum() == 200
    assert result.regions["rank_median"].between(1, len(matrix)).all()


# -- the draws streamed in blocks: the same figures as the whole matrix, in bounded memory ------------


def whole_matrix_reference(matrix, spec, typology, pairs, *, draws, normalisations, seed, concentration=30.0):
    """The analysis done the straightforward way: every draw's index, rank and class kept at once."""
    from dataclasses import replace

    from borderland.index import build_index
    from borderland.typology import class_positions

    base = build_index(matrix, spec)
    codes = base.index.index[base.index.notna()]
    names = [c.name for c in spec.components]
    scores = [build_index(matrix, replace(spec, normalisation=s)).scores.loc[codes, names].to_numpy(float)
              for s in normalisations]
    generator = np.random.default_rng(seed)
    picks = generator.integers(len(normalisations), size=draws)
    weights = generator.dirichlet(np.maximum(concentration * base.weights.to_numpy(float), 1e-6), size=draws)
    index = np.empty((len(codes), draws))
    for s, values in enumerate(scores):
        chosen = picks == s
        present = ~np.isnan(values)
        index[:, chosen] = (np.where(present, values, 0.0) @ weights[chosen].T) / (present.astype(float)
                                                                                    @ weights[chosen].T)
    ranks = pd.DataFrame(-index).rank(axis=0, method="average").to_numpy()
    ordered = np.sort(ranks, axis=1)

    def linear(q):  # numpy's linear rule: a + (h - floor h) (b - a)
        h = (draws - 1) * q
        low = int(np.floor(h))
        return ordered[:, low] + (h - low) * (ordered[:, min(low + 1, draws - 1)] - ordered[:, low])

    low_se = max(int(np.floor(draws / 2 - np.sqrt(draws) / 2)), 0)
    high_se = min(int(np.ceil(draws / 2 + np.sqrt(draws) / 2)), draws - 1)
    classes = class_positions(index, typology)
    regions = pd.DataFrame({"rank_median": linear(0.5), "rank_p05": linear(0.05), "rank_p95": linear(0.95),
                            "rank_median_se": (ordered[:, high_se] - ordered[:, low_se]) / 2}, index=codes)
    for j, label in enumerate(typology.labels):
        regions[f"p_{label}"] = (classes == j).mean(axis=1)
    row = {code: k for k, code in enumerate(codes)}
    a, b = pairs["region_a"].map(row), pairs["region_b"].map(row)
    known = (a.notna() & b.notna()).to_numpy()
    a, b = a[known].astype(int).to_numpy(), b[known].astype(int).to_numpy()
    chosen_gaps = base.index.loc[codes].to_numpy()[a] - base.index.loc[codes].to_numpy()[b]
    # the draws' index as the analysis keeps it for the pairs and the profile: float32
    gaps = index.astype(np.float32)[a].astype(float) - index.astype(np.float32)[b]
    pair_frame = pd.DataFrame(np.nan, index=pairs.index, columns=["p_gap_sign_kept", "p_a_leads"])
    pair_frame.loc[known, "p_gap_sign_kept"] = (np.sign(gaps) == np.sign(chosen_gaps)[:, None]).mean(axis=1)
    pair_frame.loc[known, "p_a_leads"] = (gaps > 0).mean(axis=1)
    return regions, pair_frame, index


def test_streamed_draws_equal_the_whole_matrix_computed_at_once():
    # 300 regions (some without an index), 257 draws: eight blocks of 32 and one of a single
    # draw; ties among the values
    rng = np.random.default_rng(8)
    n = 300
    values = rng.uniform(0, 100, (n, 3)).round(0)
    values[rng.random((n, 3)) < 0.03] = np.nan
    values[280:] = values[:20]  # twins: equal in every draw, so they share their average rank
    codes = [f"r{k:03d}" for k in range(n)]
    matrix = pd.DataFrame(values, columns=list("abc"), index=codes)
    spec = IndexSpec(tuple(IndicatorSpec(c, (c,)) for c in "abc"))
    pairs = pd.DataFrame({"region_a": rng.choice(codes, 200), "region_b": rng.choice(codes, 200)})
    normalisations = ("minmax", "zscore", "rank")
    result = uncertainty(matrix, spec, pairs=pairs, draws=257, normalisations=normalisations, rng=21)
    regions, pair_frame, index = whole_matrix_reference(matrix, spec, TypologySpec(), pairs, draws=257,
                                                        normalisations=normalisations, seed=21)
    assert result.pairs["p_gap_sign_kept"].isna().any() and len(regions) < n
    assert (regions["rank_median"] % 1 == 0.5).any()  # the twins' shared ranks
    got = result.regions.loc[regions.index, regions.columns]
    pd.testing.assert_frame_equal(got, regions, check_exact=True)
    pd.testing.assert_frame_equal(result.pairs[pair_frame.columns], pair_frame, check_exact=True)
    np.testing.assert_allclose(result.draw_index, index, rtol=1e-6)
    # the later stages' pairs read the draws again, block by block: the same counts
    pd.testing.assert_frame_equal(pair_stability(result, pairs), result.pairs, check_exact=True)
    # ... wherever the executor computes the blocks: one task a block (9), the same counts
    mapped = []

    class Recording(Serial):
        def map(self, function, tasks):
            mapped.append((function.__name__, len(tasks)))
            return super().map(function, tasks)

    pd.testing.assert_frame_equal(pair_stability(result, pairs, executor=Recording()), result.pairs,
                                  check_exact=True)
    assert mapped == [("_pair_block", 9)]
    blocks = list(result.draw_blocks())
    assert [b.shape[1] for b in blocks] == [32] * 8 + [1]
    assert np.array_equal(np.concatenate(blocks, axis=1), result.draw_index)
    assert all(b.dtype == np.float32 for b in blocks)


def test_draws_need_memory_for_their_counts_not_for_regions_x_draws():
    import tracemalloc

    from borderland import robustness

    rng = np.random.default_rng(2)
    n, draws = 4000, 1000
    codes = [f"r{k}" for k in range(n)]
    matrix = pd.DataFrame(rng.uniform(0, 100, (n, 3)), columns=list("abc"), index=codes)
    spec = IndexSpec(tuple(IndicatorSpec(c, (c,)) for c in "abc"))
    pairs = pd.DataFrame({"region_a": codes[:-1], "region_b": codes[1:]})
    uncertainty(matrix, spec, draws=40, rng=0)  # imports and first-call allocations out of the count
    tracemalloc.start()  # numpy reports its arrays to tracemalloc
    try:
        start, _ = tracemalloc.get_traced_memory()
        result = uncertainty(matrix, spec, pairs=pairs, draws=draws, normalisations=("minmax", "rank"), rng=3)
        _, analysis_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        pair_stability(result, pairs)
        _, pairs_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # what must be held: each region's rank in every draw (2 bytes each) for the exact quantiles;
    # at work, rows of them sorted a chunk at a time, and a block of draws (regions x 32 float64)
    halves = n * draws * 2
    chunk = robustness._ROWS * draws * 2
    block = n * robustness._BLOCK * 8
    bound = halves + 2 * chunk + 8 * block + 1_000_000
    assert analysis_peak - start < bound
    assert bound < halves + n * draws * 4  # keeping the draws' index, even in float32, would not fit
    # the pairs read the draws a block at a time: a few blocks, where the index would take 16 MB
    assert pairs_peak - before < 8 * block < n * draws * 4
