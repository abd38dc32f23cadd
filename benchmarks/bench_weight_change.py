"""A weight change in the app: ``run_analysis`` with only the weight values changed.

    .venv/bin/python benchmarks/bench_weight_change.py            # Huddinge and national
    .venv/bin/python benchmarks/bench_weight_change.py --no-national

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
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-national", action="store_true", help="Huddinge only")
    parser.add_argument("--repeat", type=int, default=15, help="calls per median (Huddinge)")
    args = parser.parse_args()
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
