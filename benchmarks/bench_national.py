"""Reading RegSO 2025 for all of Sweden (3 363 areas) and for one kommun out of the duva wheel.

    .venv/bin/python benchmarks/bench_national.py [path/to/duva-0.3.5-py3-none-any.whl]

Without an argument it uses the wheel ``make setup`` downloads (see
``geo.sources.find_duva_wheel``). Prints medians of repeated runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from geo.io.national import read_national_regso
from geo.sources import find_duva_wheel

DEFAULT_WHEEL = find_duva_wheel() or Path("duva-0.3.5-py3-none-any.whl")
REPEAT = 5


def timed(wheel: Path, kommun: str | None) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(REPEAT):
        start = time.perf_counter()
        n = len(read_national_regso(wheel, kommun))
        times.append(time.perf_counter() - start)
    return statistics.median(times), n


def main() -> None:
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_WHEEL
    if not wheel.is_file():
        sys.exit(f"{wheel} is absent: nothing to measure")
    for kommun in (None, "0126"):
        seconds, n = timed(wheel, kommun)
        print(f"kommun={kommun or 'alla'}: {n} RegSO in {seconds:.2f} s (median of {REPEAT})")


if __name__ == "__main__":
    main()
