"""Wall-clock timing shared by the benchmarks (medians: one slow run on a shared machine
does not move them)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def timed(func: Callable[[], T]) -> tuple[float, T]:
    """Seconds one call of ``func`` took, and what it returned."""
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def median_time(func: Callable[[], object], repeat: int) -> float:
    """The median of ``repeat`` calls' seconds."""
    return statistics.median(timed(func)[0] for _ in range(repeat))


def write_results(results: dict[str, object], path: Path) -> None:
    """Write ``results`` as JSON to ``path`` and print them, one per line."""
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    for key, value in results.items():
        print(f"{key:50} {value:.3f}" if isinstance(value, float) else f"{key:50} {value}")
