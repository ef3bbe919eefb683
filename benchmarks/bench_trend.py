"""``borderland trend`` on the Europe study (NUTS 2, 2006-2025), beside the obvious loops.

    python benchmarks/bench_trend.py            # the Europe study, and slopes of 400 / 4,000 / 40,000 pairs
    python benchmarks/bench_trend.py --quick    # the Europe study only

Three comparisons, each checked for equal results before it is timed:

- **the index of every year on one scale**: the panel of every component under its year rule
  and the index on the fixed scale, as array operations over regions x years
  (:func:`borderland.trend.panel.component_panel`, :func:`borderland.trend.scoring.trend_index`)
  vs the snapshot machinery once per year (``indicators.traced_component_values`` and
  ``index.build_index`` with the same goalposts: the same values, year by year);
- **each cross-border pair's slope, interval and change**: one matrix operation over pairs x
  years (:func:`borderland.trend.regression.row_slopes`) vs ``scipy.stats.linregress`` and
  ``scipy.stats.t.ppf`` pair by pair (the loop a user would write; statsmodels' OLS per pair is
  slower still);
- the same slopes on seeded synthetic gaps of 400, 4,000 and 40,000 pairs over 20 years, 15 %
  missing.

It also times ``borderland.trend.compute`` (everything after loading) and the whole command
(``python -m borderland trend``, a fresh process: imports, load, compute, GeoPackage, images).
Medians of three runs; ratio = borderland / peer.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from run import median_time  # noqa: E402  (benchmarks/run.py: the same timing everywhere)

EUROPE = ROOT / "geodata" / "europe" / "study.toml"


def linregress_loop(gaps: np.ndarray, years: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Slope, standard error and interval of each row, pair by pair with scipy.stats (the peer)."""
    from scipy import stats

    out = np.full((len(gaps), 4), np.nan)
    for k, row in enumerate(gaps):
        keep = ~np.isnan(row)
        if keep.sum() < 3:
            continue
        fit = stats.linregress(years[keep], row[keep])
        half = stats.t.ppf(0.5 + confidence / 2, keep.sum() - 2) * fit.stderr
        out[k] = (fit.slope, fit.stderr, fit.slope - half, fit.slope + half)
    return out


def ours(gaps: np.ndarray, years: np.ndarray) -> np.ndarray:
    from borderland.trend.regression import row_slopes

    fit = row_slopes(gaps, years)
    result = fit[["slope", "slope_se", "slope_ci_low", "slope_ci_high"]].to_numpy(copy=True)
    result[fit["years"].to_numpy() < 3] = np.nan
    return result


def per_year_snapshots(study, inputs, spec, years) -> np.ndarray:
    """The index of each year with the snapshot machinery, one year at a time (the peer)."""
    from borderland.index import build_index
    from borderland.indicators import traced_component_values

    goalposts = dataclasses.replace(spec, normalisation="goalposts")
    columns = []
    for year in years:
        matrix = traced_component_values(inputs.table, inputs.regions, spec.indicator_names, int(year),
                                         rules=spec.year_rules).values
        columns.append(build_index(matrix, goalposts, countries=inputs.regions["country"]).index.to_numpy())
    return np.column_stack(columns)


def panel_index(study, inputs, spec, years) -> np.ndarray:
    from borderland.trend.panel import component_panel
    from borderland.trend.scoring import fixed_scale, trend_index

    panel = component_panel(inputs.table, inputs.regions.index, spec, [int(years[0]), int(years[-1])])
    scale = fixed_scale(panel, spec, method="goalposts", kept=np.ones(len(panel.years), dtype=bool), base_year=None,
                        countries=inputs.regions["country"], focus_country=None)
    return trend_index(panel, spec, scale)


def row(task: str, n: str, ours_s: float, peer: str, peer_s: float, check: str) -> str:
    return f"| {task} | {n} | {ours_s:.3f} | {peer} | {peer_s:.3f} | {ours_s / peer_s:.3f} | {check} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the Europe study only")
    args = parser.parse_args()

    from borderland import pipeline, trend
    from borderland.study import load_study

    study = load_study(EUROPE)
    inputs = pipeline.load(study)
    found = pipeline.check(study, inputs, ("index",))
    prepared = trend.check(study, inputs, index_year=int(found["year"]))
    spec, years = prepared.index, np.array(prepared.years)
    lines = ["| task | N | borderland s | peer | peer s | ratio | check |", "|---|---|---|---|---|---|---|"]

    ours_index, peer_index = panel_index(study, inputs, spec, years), per_year_snapshots(study, inputs, spec, years)
    assert np.allclose(ours_index, peer_index, equal_nan=True, atol=1e-12), "the per-year index differs"
    lines.append(row("index of every year on one scale (goalposts)",
                     f"{len(inputs.regions)} regions x {len(years)} years",
                     median_time(lambda: panel_index(study, inputs, spec, years)),
                     "`traced_component_values` + `build_index` per year",
                     median_time(lambda: per_year_snapshots(study, inputs, spec, years)), "same values (1e-12)"))

    result = trend.compute(study, inputs, prepared)
    gaps = result.gaps_by_year.pivot(index="pair", columns="year", values="gap").to_numpy(dtype=float)
    assert np.allclose(ours(gaps, years), linregress_loop(gaps, years), equal_nan=True, atol=1e-12)
    lines.append(row("pair slopes, SE, 95 % interval (Europe)", f"{len(gaps)} pairs x {len(years)} years",
                     median_time(lambda: ours(gaps, years)), "`scipy.stats.linregress` per pair",
                     median_time(lambda: linregress_loop(gaps, years)), "same to 1e-12"))

    if not args.quick:
        rng = np.random.default_rng(20211231)
        synthetic_years = np.arange(2006, 2026, dtype=float)
        for n in (400, 4_000, 40_000):
            level = rng.uniform(-0.4, 0.4, (n, 1))
            values = level + rng.normal(-0.005, 0.01, (n, 1)) * (synthetic_years - 2006) + rng.normal(0, 0.02,
                                                                                                   (n, 20))
            values[rng.random((n, 20)) < 0.15] = np.nan
            assert np.allclose(ours(values[:50], synthetic_years), linregress_loop(values[:50], synthetic_years),
                               equal_nan=True, atol=1e-12)
            matrix = values
            lines.append(row("pair slopes (synthetic, 15 % missing)", f"{n:,} pairs x 20 years",
                             median_time(lambda m=matrix: ours(m, synthetic_years)),
                             "`scipy.stats.linregress` per pair",
                             median_time(lambda m=matrix: linregress_loop(m, synthetic_years),
                                         runs=1 if n > 4_000 else 3), "same on 50 rows"))

    compute_s = median_time(lambda: trend.compute(study, inputs, prepared))
    with tempfile.TemporaryDirectory() as out:
        def command() -> None:
            subprocess.run([sys.executable, "-m", "borderland", "-q", "trend", str(EUROPE), "--out", out,
                            "--overwrite"], check=True, cwd=ROOT)
        started = time.perf_counter()
        command()
        command_s = time.perf_counter() - started
    print("\n".join(lines))
    print(f"\n`trend.compute` (after loading; Europe, {len(inputs.regions)} regions, {len(years)} years, "
          f"{len(gaps)} cross-border pairs): {compute_s:.2f} s")
    print(f"`python -m borderland trend geodata/europe/study.toml` (fresh process, one run): {command_s:.1f} s")


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
