"""How long ``geo.analysis.run_analysis`` takes on all 3 363 RegSO of Sweden and on Huddinge.

    .venv/bin/python benchmarks/bench_national_analysis.py                 # all cases
    .venv/bin/python benchmarks/bench_national_analysis.py path/to/duva.whl
    .venv/bin/python benchmarks/bench_national_analysis.py --repeat 7

The national areas come from the duva wheel that ``make setup`` downloads (see
``geo.sources.find_duva_wheel``); without it the script exits with a message. Indicators are
the synthetic demo table (``geo.sources.demo_inputs``), the profile "Bred prevention".

Cases, all in this one process after a warm-up call on Huddinge (imports, first-call costs):

* national, cold: the Queen graph and permutation caches emptied before every call (a new
  area set);
* national, warm: the area set already cached, every call with other domain weights (what
  the app does when a slider moves);
* Huddinge (the 22 bundled areas, ``load_inputs()``), warm, as in the app.

Times are medians over the repeats, wall-clock seconds; the breakdown gives the median time
of each step (nested steps are indented; "other" is the call minus its listed steps). The
cost of the graph cache key (a SHA-256 of the area ids and geometries) is measured on its
own. Not part of the test suite: timings are measured here, never asserted in tests.
Targets (2-core machine): national under 3 s (the whole "load, rank and build national map"
budget is 5 s); Huddinge as fast as possible (part of a 0.3 s app rerun budget).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402

import geo.analysis as analysis_module  # noqa: E402
from geo.analysis import run_analysis  # noqa: E402
from geo.inputs import list_profiles, load_inputs  # noqa: E402
from geo.io.national import read_national_regso  # noqa: E402
from geo.sources import demo_inputs, find_duva_wheel  # noqa: E402
from geo.spatial import hotspots, weights  # noqa: E402
from indicators import assessment, ranking  # noqa: E402

PROFILE = "Bred prevention"

# (step, module, attribute, parent step): the functions timed inside run_analysis.
STEPS: tuple[tuple[str, object, str, str | None], ...] = (
    ("assess", analysis_module, "assess_kept", None),
    ("prepare_table (disclosure)", assessment, "prepare_table", "assess"),
    ("rank_with (ranking)", analysis_module, "rank_with", "assess"),
    ("rank_uncertainty (Monte Carlo)", assessment, "rank_uncertainty", "assess"),
    ("assign_tiers", assessment, "assign_tiers", "assess"),
    ("join_areas", analysis_module, "join_areas", None),
    ("summary (top contributors)", ranking.RankingResult, "summary", "join_areas"),
    ("find_hotspots", analysis_module, "find_hotspots", None),
    ("graph (cache key + Queen build)", hotspots, "build_weights", "find_hotspots"),
    ("cache key (fingerprint)", weights, "fingerprint", "graph (cache key + Queen build)"),
    ("queen_graph (intersects)", weights, "queen_graph", "graph (cache key + Queen build)"),
    ("Moran_Local + G_Local (999 perm.)", hotspots, "_run", "find_hotspots"),
)


class StepTimer:
    """Wraps the functions of :data:`STEPS` so that every call adds its time to a step."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.runs: list[dict[str, float]] = []

    def install(self) -> None:
        for name, owner, attr, _ in STEPS:
            setattr(owner, attr, self._wrap(name, getattr(owner, attr)))

    def _wrap(self, name: str, func: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - start
        return timed

    def run(self, call: Callable[[], object]) -> float:
        self.current = defaultdict(float)
        start = time.perf_counter()
        call()
        total = time.perf_counter() - start
        self.current["run_analysis"] = total
        self.runs.append(dict(self.current))
        return total


def report(title: str, runs: list[dict[str, float]]) -> None:
    def median(name: str) -> float:
        return statistics.median(r.get(name, 0.0) for r in runs)

    totals = [r["run_analysis"] for r in runs]
    print(f"\n{title}: median {statistics.median(totals):.3f} s (min {min(totals):.3f}, "
          f"max {max(totals):.3f}, {len(runs)} runs)")

    def children(parent: str | None) -> list[str]:
        return [name for name, _, _, up in STEPS if up == parent]

    def show(name: str, depth: int) -> None:
        kids = [k for k in children(None if name == "run_analysis" else name)
                if any(k in r for r in runs)]
        if name != "run_analysis":
            print(f"  {'  ' * depth}{name:<{44 - 2 * depth}} {median(name):7.3f}")
        for kid in kids:
            show(kid, depth + (name != "run_analysis"))
        if kids:
            other = statistics.median(r.get(name, 0.0) - sum(r.get(k, 0.0) for k in kids)
                                      for r in runs)
            label = "other" if name == "run_analysis" else f"other ({name})"
            pad = depth + (name != "run_analysis")
            print(f"  {'  ' * pad}{label:<{44 - 2 * pad}} {other:7.3f}")

    show("run_analysis", 0)


def parallel_speedup(rounds: int = 3) -> float:
    """How much faster two threads sort eight int64 blocks than one (the best of a few
    rounds): 2.0 on two free cores, about 1.0 when the machine is busy. The Monte Carlo
    and the cold graph build use two threads, so their times depend on it."""
    rng = np.random.default_rng(0)
    blocks = [rng.integers(0, 2**40, (200, 6000)) for _ in range(8)]
    serial = parallel = float("inf")
    with ThreadPoolExecutor(2) as pool:
        for _ in range(rounds):
            start = time.perf_counter()
            for block in blocks:
                np.sort(block, axis=1)
            serial = min(serial, time.perf_counter() - start)
            start = time.perf_counter()
            list(pool.map(lambda block: np.sort(block, axis=1), blocks))
            parallel = min(parallel, time.perf_counter() - start)
    return serial / parallel


def other_weights(settings, k: int):
    """``settings`` with one domain weight changed (k-th variant), as a slider would."""
    weights = dict(settings.domain_weights)
    domain = sorted(weights)[0] if weights else "kriminalitet"
    weights[domain] = weights.get(domain, 1.0) + 0.5 * (k % 3 + 1)
    return dataclasses.replace(settings, domain_weights=weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", help="the duva wheel (default: find_duva_wheel)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (default 5)")
    args = parser.parse_args()
    wheel = Path(args.wheel) if args.wheel else find_duva_wheel()
    if wheel is None or not wheel.is_file():
        sys.exit(f"the duva wheel ({wheel or 'duva-*.whl'}) is absent: nothing to measure "
                 "(run make setup)")
    settings = list_profiles()[PROFILE]

    start = time.perf_counter()
    areas = read_national_regso(wheel)
    national = demo_inputs(areas, "0126", "national")
    load_s = time.perf_counter() - start
    huddinge = load_inputs()
    run_analysis(huddinge, settings)              # warm-up: imports, first calls

    speedup_before = parallel_speedup()
    timer = StepTimer()
    timer.install()
    repeat = max(1, args.repeat)

    cold = []
    for k in range(repeat):
        weights.clear_graph_cache()
        hotspots._permutations.cache_clear()
        timer.run(lambda k=k: run_analysis(national, other_weights(settings, k)))
        cold.append(timer.runs.pop())
    warm = []
    for k in range(repeat):
        timer.run(lambda k=k: run_analysis(national, other_weights(settings, k + 1)))
        warm.append(timer.runs.pop())
    small = []
    for k in range(max(repeat, 10)):
        timer.run(lambda k=k: run_analysis(huddinge, other_weights(settings, k)))
        small.append(timer.runs.pop())

    geoms, _ = hotspots._geometries(national.areas.frame)
    keys = []
    for _ in range(repeat):
        t = time.perf_counter()
        weights._geometry_fingerprint(geoms)   # the hash itself, without the memo
        keys.append(time.perf_counter() - t)

    print(f"prevmap run_analysis, Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"parallel speed-up of 2 threads on a plain numpy sort (2.0 = two free cores): "
          f"{speedup_before:.2f} before, {parallel_speedup():.2f} after the cases")
    vertices = int(shapely.get_num_coordinates(np.asarray(areas.frame.geometry.array)).sum())
    print(f"national input: {len(national.table)} areas, {vertices / 1e6:.1f} M vertices; "
          f"read and demo table in {load_s:.2f} s (not timed below)")
    report("national RegSO, cold (caches empty)", cold)
    report("national RegSO, warm (graph cached, other weights)", warm)
    report("Huddinge 22 RegSO (warm, other weights)", small)
    print(f"\ngraph cache key on {len(geoms)} national areas: median "
          f"{statistics.median(keys) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
