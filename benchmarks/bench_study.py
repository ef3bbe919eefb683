"""A whole synthetic study end to end, with and without the Monte Carlo robustness.

    python benchmarks/bench_study.py            # 20,000 regions: draws = 0 and draws = 1,000
    python benchmarks/bench_study.py --quick    # 2,000 regions
    python benchmarks/bench_study.py --before ../main   # and 1,000 draws with another checkout's code

The study: seeded Voronoi cells cut by the real country polygons (``bench_pairs.voronoi_layer``),
three seeded random indicator components for one year, the bundled study's other settings (no
population raster, no trade). Each run is a fresh ``python -m borderland run`` process, the ways
taken in turn (so that the machine's load falls on each alike); the table shows the median wall
time of three runs and the largest peak resident memory (``ru_maxrss`` of the run's process). The
target of issue #17: at 20,000 regions, 1,000 draws add at most 25 % to the run's time and 200 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
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


def run_once(study: Path, draws: int, out: Path, code_root: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MB of one fresh ``borderland run`` with the code of ``code_root``.

    The run is the child of a small wrapper, which times it and reads its CPU time and peak
    (``ru_maxrss`` of the children is the largest child's: here the only one). On a shared
    machine the CPU time moves less with the load than the wall time.
    """
    text = study.read_text(encoding="utf-8")
    variant = study.with_name(f"study_{draws}.toml")
    variant.write_text(text.replace("DRAWS", str(draws)), encoding="utf-8")
    code = textwrap.dedent(f"""
        import resource, subprocess, sys, time
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "borderland", "-q", "run", {str(variant)!r},
                               "--out", {str(out)!r}, "--overwrite"], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            sys.exit(done.stderr[-3000:])
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    """)
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False,
                          cwd=code_root)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    seconds, cpu, peak = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(cpu), float(peak)


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes (other work shares its cores)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 regions")
    parser.add_argument("--before", type=Path, help="another checkout: also 1,000 draws with its code")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of each way (default {RUNS})")
    args = parser.parse_args()
    n = 2_000 if args.quick else 20_000
    ways = [("0", 0, ROOT), ("1000", 1000, ROOT)]
    if args.before is not None:
        ways.append(("1000, before", 1000, args.before.resolve()))
    print(f"load average at the start: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = write_study(folder, n)
        measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in ways}
        for _ in range(args.runs):
            for name, draws, code_root in ways:
                measured[name].append(run_once(study, draws, folder / f"out_{draws}", code_root))
    print(f"load average at the end: {load_average()}")
    table = pd.DataFrame([{"draws": name, "seconds": statistics.median(s for s, _, _ in runs),
                           "CPU s": statistics.median(c for _, c, _ in runs),
                           "peak MB": max(m for _, _, m in runs),
                           "all seconds": " ".join(f"{s:.1f}" for s, _, _ in runs)}
                          for name, runs in measured.items()]).set_index("draws")
    print(f"synthetic study of about {n:,} regions, medians of {args.runs} runs")
    print(table.round(2).to_string())
    none = table.loc["0"]
    for name in table.index[1:]:
        row = table.loc[name]
        print(f"{name} draws add {100 * (row['seconds'] / none['seconds'] - 1):.0f} % to the time "
              f"({100 * (row['CPU s'] / none['CPU s'] - 1):.0f} % to the CPU time) and "
              f"{row['peak MB'] - none['peak MB']:.0f} MB to the peak (target: at most 25 % and 200 MB)")


if __name__ == "__main__":
    main()
