"""Exports: sizes and the time of map, report, PDF/PNG and Excel together, on the demo
(Huddinge's 22 RegSO with all six domains: eight print maps in the report's PDF) or on
what a user gets by default (Huddinge with SCB's open statistics: three print maps).

    .venv/bin/python benchmarks/bench_exports.py [--data demo|huddinge] [--runs 3]

Target (issue 5): report HTML under 3 MB including the inlined libraries; map, report, PDF
and Excel together under 10 s. The report's PDF needs Debian's chromium
(.ci/install-chromium); the PNG is the print map (matplotlib). The report's PDF is also
shown in its parts: its print maps (:func:`geo.export.report.print_map_images`) and
chromium printing the page. The machine's load (``os.getloadavg``) is printed before and
after: on a shared machine the times are only comparable at a similar load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.analysis import run_analysis  # noqa: E402
from geo.cli import _parser, cli_inputs  # noqa: E402
from geo.export.outputs import map_html  # noqa: E402
from geo.export.render import report_pdf  # noqa: E402
from geo.export.report import print_map_images, report_html  # noqa: E402
from geo.export.workbook import excel_bytes  # noqa: E402
from geo.inputs import default_settings, list_profiles, load_inputs  # noqa: E402
from geo.maps.print_map import print_map_bytes  # noqa: E402


def analysis_of(data: str):
    if data == "demo":
        return run_analysis(load_inputs(), list_profiles()["Bred prevention"])
    inputs = cli_inputs(_parser().parse_args(["export", "--out", "k.html"]))
    return run_analysis(inputs, default_settings(inputs)[0])


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", choices=("demo", "huddinge"), default="demo")
    parser.add_argument("--runs", type=int, default=3)
    given = parser.parse_args()
    analysis = analysis_of(given.data)
    map_html(analysis)           # imports (folium-offline) outside the timing
    print_map_bytes(analysis, "svg")     # matplotlib's import and font cache, untimed
    today = dt.date.today()
    steps = {"map HTML": lambda: map_html(analysis),
             "report HTML": lambda: report_html(analysis),
             "Excel": lambda: excel_bytes(analysis),
             # the report's PDF draws one print map per choice, chromium prints it
             "report PDF (print maps)": lambda: report_pdf(report_html(analysis,
                                                                       print_maps=True)),
             "map PNG (print map, A4)": lambda: print_map_bytes(analysis, "png")}
    parts = {"  of which: its print maps": lambda: print_map_images(analysis, today)}
    printed = report_html(analysis, print_maps=True)
    parts["  of which: chromium printing"] = lambda: report_pdf(printed)
    times: dict[str, list[float]] = {name: [] for name in (*steps, *parts)}
    sizes: dict[str, int] = {}
    totals = []
    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    for _ in range(given.runs):
        total = 0.0
        for name, step in steps.items():
            start = time.perf_counter()
            out = step()
            spent = time.perf_counter() - start
            times[name].append(spent)
            total += spent
            sizes[name] = sum(len(b) for b in out) if isinstance(out, tuple) else len(out)
        totals.append(total)
        for name, step in parts.items():
            start = time.perf_counter()
            out = step()
            times[name].append(time.perf_counter() - start)
            sizes[name] = len(out) if isinstance(out, list | bytes) else 0
    maps = len(print_map_images(analysis, today))
    title = f"export ({given.data}, {len(analysis.joined)} areas, {maps} print maps)"
    print(f"{title:40} {'median s':>9} {'bytes':>12}")
    for name in times:
        print(f"{name:40} {statistics.median(times[name]):9.2f} {sizes[name]:12,}")
    print(f"{'all together':40} {statistics.median(totals):9.2f}   (target < 10 s; report "
          f"{sizes['report HTML'] / 1e6:.2f} MB, target < 3 MB)")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
