"""How long a weight change takes on the 22 Huddinge areas: compute, map build, render.

    make bench        (or .venv/bin/python benchmarks/bench_core.py)

Prints a table of medians over repeated runs and writes it as JSON to
benchmarks/results/bench_core.json. Not part of the test suite: timings are
measured here, never asserted in tests.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.export.tables import ranking_csv
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import build_analysis_map
from geo.maps.choropleth import render_map_html
from indicators.columns import DOMAINS

REPEAT = 20
OUT = Path(__file__).resolve().parent / "results" / "bench_core.json"


def measure(func: Callable[[], object], repeat: int = REPEAT) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}


def main() -> None:
    start = time.perf_counter()
    inputs = load_inputs()
    load_ms = (time.perf_counter() - start) * 1000
    base = list_profiles()["Bred prevention"]
    weights = iter(range(10**6))

    def changed_settings():
        w = 1.0 + next(weights) % 5  # a new weight every call, as after a slider move
        return base.with_changes(domain_weights=tuple((d, w if d == "kriminalitet" else 1.0)
                                                      for d in DOMAINS))

    analysis = run_analysis(inputs, base)
    fmap = build_analysis_map(analysis)
    rows = {
        "load inputs (once, cached in the app)": {"median_ms": load_ms, "max_ms": load_ms},
        "compute: rank + join (weight change)": measure(
            lambda: run_analysis(inputs, changed_settings())),
        "build map (folium objects)": measure(lambda: build_analysis_map(analysis)),
        "render map HTML": measure(lambda: render_map_html(fmap)),
        "ranking CSV": measure(lambda: ranking_csv(analysis)),
        "whole weight change: compute + map + HTML + CSV": measure(lambda: (
            a := run_analysis(inputs, changed_settings()),
            render_map_html(build_analysis_map(a)), ranking_csv(a))),
    }
    try:
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                                default_timeout=120).run()
        values = iter([2.0, 3.0, 4.0, 5.0, 1.0] * 4)
        rows["app rerun after a weight change (AppTest, whole script)"] = measure(
            lambda: app.slider(key="dw_kriminalitet").set_value(next(values)).run(), repeat=10)
    except Exception as err:  # report, never hide
        rows["app rerun after a weight change (AppTest, whole script)"] = {"error": str(err)}

    html_bytes = len(map_html(analysis))
    print(f"prevmap benchmark, {len(inputs.areas)} areas, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"{'step':58} {'median ms':>10} {'max ms':>10}")
    for name, row in rows.items():
        if "error" in row:
            print(f"{name:58} error: {row['error']}")
        else:
            print(f"{name:58} {row['median_ms']:10.1f} {row['max_ms']:10.1f}")
    print(f"map HTML size: {html_bytes:,} bytes")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"areas": len(inputs.areas), "html_bytes": html_bytes,
                               "rows": rows}, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
