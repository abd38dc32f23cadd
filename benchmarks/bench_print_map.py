"""How long a print map takes (geo/maps/print_map.py): drawing it (areas, legend, names placed
by adjustText) and writing it as PNG, SVG and PDF, on A4 and A3, with the sizes of the files.

    .venv/bin/python benchmarks/bench_print_map.py [--lan 01] [--runs 3]

On the defaults a user gets (Huddinge's RegSO with SCB's open statistics), or with ``--lan``
a län's RegSO (hundreds of areas, at most ``MAX_LABELS`` names). The first map is drawn once
outside the timing (matplotlib's import and font cache). Measured here, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.analysis import run_analysis  # noqa: E402
from geo.cli import _parser, cli_inputs  # noqa: E402
from geo.inputs import default_settings  # noqa: E402
from geo.maps.print_map import FORMATS, build_print_map  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lan", help="a län's RegSO instead of Huddinge's")
    parser.add_argument("--runs", type=int, default=3)
    given = parser.parse_args()
    argv = ["export", "--out", "k.png"] + (["--lan", given.lan] if given.lan else [])
    inputs = cli_inputs(_parser().parse_args(argv))
    analysis = run_analysis(inputs, default_settings(inputs)[0])
    build_print_map(analysis).to_bytes("png")        # imports and font cache, untimed
    print(f"{analysis.inputs.areas.source.title}: {len(analysis.joined)} areas")
    print(f"{'paper':6} {'choice':10} {'draw s':>8} " + " ".join(
        f"{fmt + ' s':>7} {fmt + ' kB':>8}" for fmt in FORMATS) + f" {'names':>6}")
    for paper in ("A4", "A3"):
        for choice in ("index", "prioritet"):
            draw, save, size, names = [], {f: [] for f in FORMATS}, {}, 0
            for _ in range(given.runs):
                for fmt in FORMATS:        # each file from its own map, as a writer does
                    start = time.perf_counter()
                    made = build_print_map(analysis, choice, paper=paper)
                    draw.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    data = made.to_bytes(fmt)
                    save[fmt].append(time.perf_counter() - start)
                    size[fmt], names = len(data), len(made.labels)
            print(f"{paper:6} {choice:10} {statistics.median(draw):8.2f} " + " ".join(
                f"{statistics.median(save[f]):7.2f} {size[f] / 1000:8.0f}" for f in FORMATS)
                + f" {names:6d}")


if __name__ == "__main__":
    main()
