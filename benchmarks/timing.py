"""Wall-clock timing shared by the benchmarks (medians: one slow run on a shared machine
does not move them)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
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
