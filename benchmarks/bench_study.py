"""A whole synthetic study end to end, with and without the Monte Carlo robustness.

    python benchmarks/bench_study.py            # 20,000 regions: draws = 0 and draws = 1,000
    python benchmarks/bench_study.py --quick    # 2,000 regions

The study: seeded Voronoi cells cut by the real country polygons (``bench_pairs.voronoi_layer``),
three seeded random indicator components for one year, the bundled study's other settings (no
population raster, no trade). Each run is a fresh ``python -m borderland run`` process; the table
shows the median wall time of three runs and the peak resident memory (``ru_maxrss`` of the
child). The target of issue #17: at 20,000 regions, 1,000 draws add at most 25 % to the run's
time and 200 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

RUNS = 3
COMPONENTS = ("access", "broadband", "users")


def write_study(folder: Path, n: int, *, seed: int = 0) -> Path:
    """A synthetic study of about ``n`` regions in ``folder``; returns the study file."""
    from bench_pairs import voronoi_layer

    regions = voronoi_layer(n, seed=seed)
    regions.reset_index().to_file(folder / "regions.gpkg", engine="pyogrio")
    rng = np.random.default_rng(seed)
    base = rng.uniform(20, 95, len(regions))
    rows = [pd.DataFrame({"region_id": regions.index, "indicator": name, "year": 2021,
                          "value": np.clip(base + rng.normal(0, 5, len(regions)), 0, 100).round(1)})
            for name in COMPONENTS]
    pd.concat(rows).to_csv(folder / "indicators.csv", index=False)
    components = "\n".join(f'[[index.components]]\nname = "{name}"\nunit = "%"\n' for name in COMPONENTS)
    study = folder / "study.toml"
    study.write_text(textwrap.dedent("""\
        [study]
        title = "synthetic"
        focus_country = "RU"
        [regions]
        path = "regions.gpkg"
        [indicators]
        path = "indicators.csv"
        [index]
        year = 2021
        """) + components + textwrap.dedent("""\
        [robustness]
        draws = DRAWS
        normalisations = ["minmax", "zscore", "rank"]
        [gaps]
        permutations = 99
        """), encoding="utf-8")
    return study


def run_once(study: Path, draws: int, out: Path) -> float:
    """Wall seconds of one fresh ``borderland run``."""
    text = study.read_text(encoding="utf-8")
    variant = study.with_name(f"study_{draws}.toml")
    variant.write_text(text.replace("DRAWS", str(draws)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "borderland", "-q", "run", str(variant), "--out", str(out),
                           "--overwrite"], env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return seconds


def peak_of(study: Path, draws: int, out: Path) -> float:
    """Peak MB of one run, in a child of its own (ru_maxrss of children is the largest child's)."""
    variant = str(study.with_name(f"study_{draws}.toml"))
    code = textwrap.dedent(f"""
        import resource, subprocess, sys
        subprocess.run([sys.executable, "-m", "borderland", "-q", "run", {variant!r},
                        "--out", {str(out)!r}, "--overwrite"], check=True)
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 regions")
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = write_study(folder, n)
        rows = []
        for draws in (0, 1000):
            times = [run_once(study, draws, folder / f"out_{draws}") for _ in range(RUNS)]
            rows.append({"draws": draws, "seconds": statistics.median(times),
                         "peak MB": peak_of(study, draws, folder / f"out_{draws}")})
    table = pd.DataFrame(rows).set_index("draws")
    added_time = table.loc[1000, "seconds"] / table.loc[0, "seconds"] - 1
    added_mb = table.loc[1000, "peak MB"] - table.loc[0, "peak MB"]
    print(f"synthetic study of about {n:,} regions, medians of {RUNS} runs")
    print(table.round(2).to_string())
    print(f"1,000 draws add {100 * added_time:.0f} % to the time and {added_mb:.0f} MB to the peak "
          "(target: at most 25 % and 200 MB)")


if __name__ == "__main__":
    main()
