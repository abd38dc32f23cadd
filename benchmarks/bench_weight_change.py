"""A weight change in the app: ``run_analysis`` with only the weight values changed.

    .venv/bin/python benchmarks/bench_weight_change.py            # Huddinge and national
    .venv/bin/python benchmarks/bench_weight_change.py --no-national
    .venv/bin/python benchmarks/bench_weight_change.py --against /tmp/old  # before/after

Every call asks for weights never asked for before. "Cold" clears the weight-independent
stage's cache before the call (what every weight change cost before that stage was
cached); "warm" finds it filled, as a weight change in the app does. Cold and warm calls
are interleaved, and both wall-clock and CPU time (all threads) are reported: on a
shared machine the CPU time is the steadier of the two. The national RegSO inputs are
built as in ``bench_scale.py`` (needs the duva wheel; skipped without it). Also timed:
the content key of each table (``indicators.table.table_key``) and ``Inputs.digest``. Run
against code without the cache, both columns measure the same thing. Last, a second
national weight change is profiled: how often, and for how long, it hashes the geometry,
builds the neighbour graph or derives the hot-spot test's weights (none of it, since
they are kept per area set). Not part of the test suite.

``--against TREE`` compares this checkout with another (e.g. ``git worktree add /tmp/old
HEAD~3``, or ``git archive`` of it unpacked) in the same run: a weight change in Huddinge
(the demo table with 'Bred prevention', and SCB's real statistics with 'SCB:
socioekonomiska riskfaktorer', the app's default) by warm ``run_analysis``, each code in
a worker process of its own (two versions of one package cannot share a process), the
calls interleaved between the two in alternating order so that other load on the machine
hits both alike. Medians of wall-clock and CPU time, their ratio, and the load average.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from geo.analysis import run_analysis
from geo.inputs import Inputs, list_profiles, load_inputs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from geo import analysis, sources  # noqa: E402
from indicators import assessment, table  # noqa: E402
from indicators.columns import DOMAINS  # noqa: E402

_VALUES = itertools.count()


def clear() -> None:
    """Forget the weight-independent stage: the shell's cache (geo.analysis), or the
    core's caches of older code (a no-op before either existed)."""
    getattr(analysis, "clear_stage_cache", lambda: None)()
    getattr(assessment, "clear_weight_stage_cache", lambda: None)()


def assess_as_run_analysis_does(inputs: Inputs, settings) -> object:
    """The assessment as run_analysis makes it: with the shell's kept stages keyed by the
    inputs' digest (computed here, as there) where they exist, else the core's assess."""
    kept = getattr(analysis, "assess_kept", None)
    if kept is None:
        return assessment.assess(inputs.table, inputs.catalogue, settings,
                                 source=inputs.table_name)
    return kept(inputs.digest, inputs.table, inputs.catalogue, settings,
                source=inputs.table_name)


def next_settings(base):
    """``base`` with domain weights never used before."""
    k = next(_VALUES)
    return base.with_changes(domain_weights=tuple(
        (d, 1.0 + 0.01 * k + 0.001 * j) for j, d in enumerate(DOMAINS)))


def timed(func: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of the process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def cold_and_warm(run: Callable[[object], object], base, repeat: int
                  ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) of ``run(settings)`` cold and warm, the two interleaved (cold,
    warm, cold, ...) so that other load on the machine hits both alike. A cold call
    fills the stage, so the warm call after it finds it, with other weights."""
    cold, warm = [], []
    for _ in range(repeat):
        clear()
        cold.append(timed(lambda: run(next_settings(base))))
        warm.append(timed(lambda: run(next_settings(base))))
    return tuple(tuple(statistics.median(t[i] for t in times) for i in (0, 1))
                 for times in (cold, warm))


def measure(name: str, inputs: Inputs, repeat: int, rows: list) -> None:
    base = list_profiles()["Bred prevention"]
    run_analysis(inputs, next_settings(base))       # imports, graphs, geometry
    rows.append((f"{name}: run_analysis",
                 *cold_and_warm(lambda s: run_analysis(inputs, s), base, repeat)))
    rows.append((f"{name}: of which assess", *cold_and_warm(
        lambda s: assess_as_run_analysis_does(inputs, s), base, repeat)))
    key = getattr(table, "table_key", None)
    if key is not None:
        t_key = tuple(statistics.median(t[i] for t in [timed(lambda: key(inputs.table))
                                                       for _ in range(50)]) for i in (0, 1))
        rows.append((f"{name}: content key of the table "
                     f"({len(inputs.table)} x {inputs.table.shape[1]})", t_key, t_key))
    if hasattr(inputs, "digest"):
        t_digest = tuple(statistics.median(t[i] for t in [timed(lambda: inputs.digest)
                                                          for _ in range(20)]) for i in (0, 1))
        rows.append((f"{name}: Inputs.digest (areas' part taken at construction)",
                     t_digest, t_digest))


# What a weight change must not redo on the same areas (issue 17): hashing the geometry
# for the graph's cache key, building the neighbour graph, deriving the test's weights.
# Function names as cProfile shows them; "_fingerprint" is the hash in code before the
# fingerprint was kept, "_geometry_fingerprint" after.
GRAPH_WORK = {"geometry hashed (fingerprint)": ("_fingerprint", "_geometry_fingerprint"),
              "neighbour graph built (queen_graph)": ("queen_graph",),
              "test weights derived (transform)": ("transform",),
              "find_hotspots (all of it)": ("find_hotspots",)}


def graph_work(inputs: Inputs, rows: list) -> None:
    """cProfile of a second weight change (the first filled every cache): calls and
    seconds of each of GRAPH_WORK, added to ``rows`` as (name, calls, seconds)."""
    import cProfile
    import pstats

    base = list_profiles()["Bred prevention"]
    for _ in range(2):
        run_analysis(inputs, next_settings(base))
    profile = cProfile.Profile()
    profile.enable()
    run_analysis(inputs, next_settings(base))
    profile.disable()
    stats = pstats.Stats(profile).stats
    for name, functions in GRAPH_WORK.items():
        calls = seconds = 0.0
        for (_, _, function), (_, ncalls, _, cumulative, _) in stats.items():
            if function in functions:
                calls += ncalls
                seconds += cumulative
        rows.append((name, int(calls), seconds))


# A worker of --against: run with the tree to measure first on sys.path. It makes the
# cases, fills the caches with one call each, then for every case named on a line of
# stdin makes one weight change never asked for before and prints its wall and CPU
# seconds. Only API that older code has too.
WORKER = """
import sys, time
from geo import sources
from geo.analysis import run_analysis
from geo.inputs import list_profiles, load_inputs
profiles = list_profiles()
demo = load_inputs()
cases = {"demo": (demo, profiles["Bred prevention"]),
         "real": (sources.real_inputs(demo.areas),
                  profiles["SCB: socioekonomiska riskfaktorer"])}
calls = 0
def change(case):
    global calls
    calls += 1
    inputs, base = cases[case]
    weights = [(i, w * (1.0 + 0.001 * calls) if k == 0 else w)
               for k, (i, w) in enumerate(base.indicator_weights)]
    return inputs, base.with_changes(indicator_weights=tuple(weights))
for case in cases:
    run_analysis(*change(case))
print("ready", flush=True)
for line in sys.stdin:
    inputs, settings = change(line.strip())
    wall, cpu = time.perf_counter(), time.process_time()
    run_analysis(inputs, settings)
    print(time.perf_counter() - wall, time.process_time() - cpu, flush=True)
"""

CASES = {"demo": "Huddinge demo, 'Bred prevention'",
         "real": "Huddinge SCB, 'SCB: socioekonomiska riskfaktorer'"}


def against(other: Path, repeat: int) -> None:
    """Warm weight changes of this checkout and of ``other``, interleaved (see the module
    docstring); prints medians and ratios."""
    trees = {"this": ROOT, "other": other.resolve()}
    workers = {}
    for label, tree in trees.items():
        env = dict(os.environ, PYTHONPATH=str(tree))
        workers[label] = subprocess.Popen([sys.executable, "-c", WORKER], cwd=tree, env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True)
    for worker in workers.values():
        if worker.stdout.readline().strip() != "ready":
            raise SystemExit("a worker failed to start (see its error above)")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {
        (label, case): [] for label in trees for case in CASES}
    loads = [os.getloadavg()[0]]
    for k in range(repeat):
        order = list(trees) if k % 2 == 0 else list(trees)[::-1]
        for case in CASES:
            for label in order:
                workers[label].stdin.write(case + "\n")
                workers[label].stdin.flush()
                wall, cpu = map(float, workers[label].stdout.readline().split())
                times[label, case].append((wall, cpu))
    loads.append(os.getloadavg()[0])
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    print(f"warm weight change, run_analysis, median of {repeat} interleaved calls; this "
          f"checkout: {ROOT}, other: {trees['other']}; load average {loads[0]:.2f} before, "
          f"{loads[1]:.2f} after ({os.cpu_count()} cores)")
    print(f"{'':52} {'this wall':>9} {'other wall':>10} {'ratio':>6} {'this CPU':>9} "
          f"{'other CPU':>9} {'ratio':>6}")
    for case, title in CASES.items():
        (t_wall, t_cpu), (o_wall, o_cpu) = (
            tuple(statistics.median(t[i] for t in times[label, case]) for i in (0, 1))
            for label in trees)
        print(f"{title:52} {t_wall:9.4f} {o_wall:10.4f} {t_wall / o_wall:6.2f} {t_cpu:9.4f} "
              f"{o_cpu:9.4f} {t_cpu / max(o_cpu, 1e-9):6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-national", action="store_true", help="Huddinge only")
    parser.add_argument("--repeat", type=int, default=15, help="calls per median (Huddinge)")
    parser.add_argument("--against", type=Path, metavar="TREE",
                        help="only compare with the code in TREE, interleaved (see above)")
    args = parser.parse_args()
    if args.against is not None:
        against(args.against, max(7, args.repeat))
        return
    rows: list[tuple[str, tuple[float, float], tuple[float, float]]] = []
    measure("Huddinge (22 RegSO)", load_inputs(), args.repeat, rows)
    if not args.no_national:
        if sources.find_duva_wheel() is None:
            print("The duva wheel is absent (run 'make setup'): national skipped.")
        else:
            areas = sources.region_areas(sources.SWEDEN)
            inputs = sources.demo_inputs(areas, sources.SWEDEN, "national")
            measure(f"national ({len(inputs.table)} RegSO)", inputs,
                    max(5, args.repeat // 2), rows)
    work: list[tuple[str, int, float]] = []
    if not args.no_national and sources.find_duva_wheel() is not None:
        graph_work(inputs, work)
    print(f"weight change, Python {platform.python_version()}, numpy {np.__version__}; "
          "medians, seconds (CPU: all threads)")
    print(f"{'':58} {'cold wall':>9} {'warm wall':>9} {'ratio':>6} {'cold CPU':>9} "
          f"{'warm CPU':>9} {'ratio':>6}")
    for name, (c_wall, c_cpu), (w_wall, w_cpu) in rows:
        print(f"{name:58} {c_wall:9.4f} {w_wall:9.4f} {c_wall / w_wall:6.2f} {c_cpu:9.4f} "
              f"{w_cpu:9.4f} {c_cpu / max(w_cpu, 1e-9):6.2f}")
    if work:
        print("\nnational: a second weight change under cProfile (the first filled the caches)")
        print(f"{'':58} {'calls':>9} {'seconds':>9}")
        for name, calls, seconds in work:
            print(f"{name:58} {calls:9d} {seconds:9.4f}")

if __name__ == "__main__":
    main()
