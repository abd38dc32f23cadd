"""How long the Monte Carlo rank intervals take, and how much memory they need.

    .venv/bin/python benchmarks/bench_uncertainty.py            # all cases
    .venv/bin/python benchmarks/bench_uncertainty.py --save     # also write results JSON

Cases: the 22 Huddinge demo areas (data/demo) and a synthetic table of 6,000 areas with
counts and denominators for the 15 indicators of data/indicator_catalogue.csv (6 domains,
seeded, about 1 % of the values of two indicators missing). Every case runs in a fresh
subprocess so that its peak resident memory (``resource.getrusage``, ``ru_maxrss``) is its
own; the peak of Python/numpy allocations is measured with ``tracemalloc`` in a separate
run (tracing is not timed). Times are medians over repeated runs, in wall-clock seconds,
and include validation and ``rank_areas``; CPU seconds (all threads) are given beside
them, and the speed-up two threads get on a plain numpy sort is measured before and
after the cases, since on a shared virtual machine the second core is not always there.
Not part of the test suite: timings are measured here, never asserted in tests. Targets
(2-core machine): 1,000 draws for 22 areas under 0.3 s; 10,000 draws for 6,000 areas x
15 indicators under 2 s; peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.io.files import read_catalogue, read_indicator_table, read_settings  # noqa: E402
from indicators.table import validate_indicator_table  # noqa: E402
from indicators.uncertainty import UncertaintyOptions, rank_uncertainty  # noqa: E402

CATALOGUE = ROOT / "data" / "indicator_catalogue.csv"
DEMO = ROOT / "data" / "demo" / "huddinge_demo_indicators.csv"
PROFILE = ROOT / "data" / "profiles" / "bred_prevention.toml"
OUT = Path(__file__).resolve().parent / "results" / "bench_uncertainty.json"

# name -> (data, draws, options beyond draws, repeats)
CASES: dict[str, tuple[str, int, dict[str, object], int]] = {
    "demo 22 areas, 1 000 draws, all varied (text table as read)":
        ("demo", 1000, {}, 10),
    "demo 22 areas, 1 000 draws, all varied (numeric table)":
        ("demo-numeric", 1000, {}, 10),
    "demo 22 areas, 10 000 draws, all varied":
        ("demo-numeric", 10000, {}, 5),
    "synthetic 6 000 x 15, 1 000 draws, all varied":
        ("synthetic", 1000, {}, 3),
    "synthetic 6 000 x 15, 10 000 draws, all varied":
        ("synthetic", 10000, {}, 3),
    "synthetic 6 000 x 15, 10 000 draws, no data noise":
        ("synthetic", 10000, {"data_noise": False}, 3),
    "synthetic 6 000 x 15, 10 000 draws, weights only":
        ("synthetic", 10000, {"data_noise": False, "vary_normalisation": False,
                              "vary_aggregation": False}, 3),
}


def synthetic_table(n_areas: int = 6000, seed: int = 7) -> pd.DataFrame:
    """Counts and denominators for every indicator of the catalogue, seeded.

    A latent need per area drives all rates (with the catalogue's direction), so the
    ranking has structure; populations vary tenfold, so small areas are noisy.
    """
    catalogue = read_catalogue(CATALOGUE)
    rng = np.random.default_rng(seed)
    pop = rng.integers(300, 3000, n_areas).astype(float)
    need = rng.standard_normal(n_areas)
    table = {"area_id": [f"S{i:05d}" for i in range(n_areas)]}
    shares = {"invanare": 1.0, "barn_0_17": 0.22, "inv_25_64": 0.5, "inv_16_64": 0.62,
              "elever_ak9": 0.012, "elever_grundskola": 0.11, "unga_10_24": 0.18,
              "unga_15_24": 0.12, "unga_15_20": 0.075, "unga_7_20": 0.18, "unga_16_24": 0.11}
    for col, share in shares.items():
        table[col] = np.maximum(1, np.rint(pop * share * rng.lognormal(0, 0.15, n_areas)))
    base = {100: 0.12, 1000: 8.0}
    for ind in catalogue.values():
        den = table[ind.denominator]
        rate = base[int(ind.per)] * np.exp(0.5 * ind.direction * need
                                           + 0.3 * rng.standard_normal(n_areas))
        if ind.per == 100:
            num = rng.binomial(den.astype(np.int64), np.clip(rate, 0, 0.95)).astype(float)
        else:
            num = rng.poisson(den * rate / ind.per).astype(float)
        table[ind.numerator] = num
    frame = pd.DataFrame(table)
    for col in ("elever_hog_franvaro", "elever_ak9_behoriga"):   # ~1 % missing values
        frame.loc[rng.random(n_areas) < 0.01, col] = np.nan
    return frame


def _inputs(data: str):
    catalogue = read_catalogue(CATALOGUE)
    settings = read_settings(PROFILE)
    if data == "synthetic":
        return synthetic_table(), catalogue, settings
    table = read_indicator_table(DEMO)
    if data == "demo-numeric":
        table = validate_indicator_table(table, catalogue).reset_index()
    return table, catalogue, settings


def run_case(name: str) -> dict[str, object]:
    data, draws, extra, repeat = CASES[name]
    table, catalogue, settings = _inputs(data)
    options = UncertaintyOptions(draws=draws, **extra)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = rank_uncertainty(table, catalogue, settings, options)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    rank_uncertainty(table, catalogue, settings, options)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    width = (result.rank_high - result.rank_low).dropna()
    return {"case": name, "areas": result.n_areas, "draws": draws,
            "noise_replicates": result.noise_replicates, "repeat": repeat,
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "median_cpu_s": statistics.median(cpu),
            "traced_peak_mib": traced_peak, "maxrss_mib": rss_after,
            "maxrss_before_mib": rss_before,
            "median_interval_width": float(width.median()), "top_k": result.top_k,
            "p_top_k_sum": float(result.p_top_k.sum())}


def parallel_speedup(workers: int = 2, rounds: int = 3) -> float:
    """How much faster ``workers`` threads sort eight int64 blocks than one thread (the
    best of a few rounds): 2.0 on two free cores, about 1.0 when the machine is busy."""
    rng = np.random.default_rng(0)
    blocks = [rng.integers(0, 2**40, (200, 6000)) for _ in range(8)]

    def job(i: int) -> None:
        np.sort(blocks[i], axis=1)

    best_serial = best_parallel = math.inf
    with ThreadPoolExecutor(workers) as pool:
        for _ in range(rounds):
            start = time.perf_counter()
            for i in range(8):
                job(i)
            best_serial = min(best_serial, time.perf_counter() - start)
            start = time.perf_counter()
            list(pool.map(job, range(8)))
            best_parallel = min(best_parallel, time.perf_counter() - start)
    return best_serial / best_parallel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="run one case in this process and print JSON")
    parser.add_argument("--probe", action="store_true", help="print the parallel speed-up")
    parser.add_argument("--save", action="store_true", help=f"write {OUT.name}")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return
    if args.probe:
        print(parallel_speedup())
        return

    def probe() -> float:     # in a process of its own, to keep this one small
        done = subprocess.run([sys.executable, __file__, "--probe"], capture_output=True,
                              text=True, check=True)
        return float(done.stdout.strip().splitlines()[-1])

    speedup_before = probe()
    rows = []
    for name in CASES:
        done = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True,
                              text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"prevmap Monte Carlo rank intervals, Python {platform.python_version()}, "
          f"numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs")
    speedup_after = probe()
    print(f"parallel speed-up of 2 threads on a plain numpy sort (2.0 = two free cores): "
          f"{speedup_before:.2f} before, {speedup_after:.2f} after the cases")
    print(f"{'case':60} {'reps':>5} {'median s':>9} {'min s':>7} {'max s':>7} "
          f"{'CPU s':>6} {'traced MiB':>10} {'maxRSS MiB':>10}")
    for r in rows:
        print(f"{r['case']:60} {r['noise_replicates']:5d} {r['median_s']:9.3f} "
              f"{r['min_s']:7.3f} {r['max_s']:7.3f} {r['median_cpu_s']:6.2f} "
              f"{r['traced_peak_mib']:10.0f} {r['maxrss_mib']:10.0f}")
    print("reps = distinct noisy data sets (= draws: every draw its own noise; 0: no noise). "
          "maxRSS: peak resident memory of the case's process, including Python, pandas "
          "and the input (process baseline before the first run: "
          f"{min(r['maxrss_before_mib'] for r in rows):.0f}–"
          f"{max(r['maxrss_before_mib'] for r in rows):.0f} MiB).")
    if args.save:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({"python": platform.python_version(),
                                   "numpy": np.__version__, "cpus": os.cpu_count(),
                                   "parallel_speedup": [speedup_before, speedup_after],
                                   "rows": rows}, indent=2, ensure_ascii=False),
                       encoding="utf-8")


if __name__ == "__main__":
    main()
