"""The recommended approach and the budget (issue 19), for Huddinge's 22 areas and for all
of Sweden's 3 363 RegSO on the demo indicators: the time of
``geo.recommend.recommendations`` (intensity, focus, förutsättningar and the allocation
under the chosen rule with its 5–95 % interval over the Monte Carlo draws: what the card
beside the map costs a weight change), the time of its ``comparison`` (the three other
rules with their intervals: computed only when the tab "Angreppssätt och budget" or an
export asks), and what keeping each draw's ranks (``RankUncertainty.rank_draws``) holds in
memory. Written to ``benchmarks/results/bench_recommend.json``; never asserted in tests.

    .venv/bin/python benchmarks/bench_recommend.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time, write_results  # noqa: E402

from geo import recommend  # noqa: E402
from geo.analysis import run_analysis  # noqa: E402
from geo.inputs import list_profiles, load_inputs  # noqa: E402
from geo.io.national import read_national_regso  # noqa: E402
from geo.sources import demo_inputs, find_duva_wheel  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "bench_recommend.json"


def measure(name: str, inputs, settings, repeat: int, results: dict) -> None:
    analysis = run_analysis(inputs, settings)
    draws = analysis.assessment.uncertainty.rank_draws

    def fresh():
        recommend.KEPT.clear()
        return recommend.recommendations(analysis)

    held = recommend.recommendations(analysis)

    def compared():
        held.__dict__.pop("comparison", None)    # the cached property computed anew
        return held.comparison

    results[f"{name}: areas"] = len(analysis.result.score)
    results[f"{name}: recommendations (s)"] = median_time(fresh, repeat)
    results[f"{name}: the other rules side by side (s)"] = median_time(compared, repeat)
    results[f"{name}: rank draws kept (MB)"] = (0.0 if draws is None
                                               else draws.memory_usage(deep=True).sum() / 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = list_profiles()["Bred prevention"]
    results: dict[str, object] = {"load (1 min) at start": os.getloadavg()[0]}
    measure("Huddinge (demo)", load_inputs(), settings, args.repeat, results)
    wheel = find_duva_wheel()
    if wheel is None:
        results["Sverige"] = "the duva wheel is absent (make setup): not measured"
    else:
        national = demo_inputs(read_national_regso(wheel), "0126", "national")
        measure("Sverige (demo, RegSO)", national, settings, max(1, args.repeat // 2), results)
    results["load (1 min) at end"] = os.getloadavg()[0]
    write_results(results, RESULTS)


if __name__ == "__main__":
    main()
