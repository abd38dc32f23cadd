"""Exports for Huddinge: sizes and the time of map, report, PDF/PNG and Excel together.

    .venv/bin/python benchmarks/bench_exports.py

Target (issue 5): report HTML under 3 MB including the inlined libraries; map, report, PDF
and Excel together under 10 s. The report's PDF needs Debian's chromium
(.ci/install-chromium); the PNG is the print map (matplotlib).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.export.render import report_pdf  # noqa: E402
from geo.export.report import report_html  # noqa: E402
from geo.export.workbook import excel_bytes  # noqa: E402
from geo.maps.print_map import print_map_bytes  # noqa: E402

RUNS = 3


def main() -> None:
    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    map_html(analysis)           # imports (folium-offline) outside the timing
    steps = {"map HTML": lambda: map_html(analysis),
             "report HTML": lambda: report_html(analysis),
             "Excel": lambda: excel_bytes(analysis),
             # the report's PDF draws one print map per choice, chromium prints it
             "report PDF (print maps)": lambda: report_pdf(report_html(analysis,
                                                                       print_maps=True)),
             "map PNG (print map, A4)": lambda: print_map_bytes(analysis, "png")}
    times: dict[str, list[float]] = {name: [] for name in steps}
    sizes: dict[str, int] = {}
    totals = []
    for _ in range(RUNS):
        total = 0.0
        for name, step in steps.items():
            start = time.perf_counter()
            out = step()
            spent = time.perf_counter() - start
            times[name].append(spent)
            total += spent
            sizes[name] = sum(len(b) for b in out) if isinstance(out, tuple) else len(out)
        totals.append(total)
    print(f"{'export (Huddinge, 22 areas)':34} {'median s':>9} {'bytes':>12}")
    for name in steps:
        print(f"{name:34} {statistics.median(times[name]):9.2f} {sizes[name]:12,}")
    print(f"{'all together':34} {statistics.median(totals):9.2f}   (target < 10 s; report "
          f"{sizes['report HTML'] / 1e6:.2f} MB, target < 3 MB)")


if __name__ == "__main__":
    main()
