"""The hot-spot test's fixed choices: the number of permutations, alpha, when the normal
approximation replaces the permutation p-values, and the power check's planted cluster.

:mod:`geo.spatial.hotspots` runs the test with them and :mod:`indicators.method` states them
on the method page, so the page cannot say other numbers than the code uses. Pure: numbers
and arithmetic only.
"""

from __future__ import annotations

import math

PERMUTATIONS = 999          # conditional permutations per test
ALPHA = 0.05                # significant: (BH-adjusted) two-sided p <= ALPHA

# The power check: a planted cluster of POWER_CLUSTER areas at +POWER_LIFT standard
# deviations of the noise must be found in at least MIN_POWER of up to POWER_SIMULATIONS
# simulations, else an area that is not significant "cannot be decided".
MIN_POWER = 0.5
POWER_CLUSTER = 5
POWER_LIFT = 3.0
POWER_SIMULATIONS = 200


def smallest_p(permutations: int = PERMUTATIONS) -> float:
    """The smallest two-sided permutation p: ``2 / (permutations + 1)`` (0.002 at 999)."""
    return 2 / (permutations + 1)


def needed_at_smallest(n: int, permutations: int = PERMUTATIONS, alpha: float = ALPHA) -> int:
    """How many of ``n`` tested areas must reach the smallest permutation p before
    Benjamini–Hochberg at ``alpha`` makes any of them significant: the least k with
    ``smallest_p <= k * alpha / n`` (1: one area at the smallest p is enough)."""
    return max(1, math.ceil(round(smallest_p(permutations) * n / alpha, 9)))


def uses_normal_p(n: int, *, permutations: int = PERMUTATIONS, alpha: float = ALPHA,
                  fdr: bool = True) -> bool:
    """True when the test of ``n`` areas takes its p-values from the normal approximation
    instead of the permutations: with the FDR correction, when the smallest permutation p
    is above ``alpha / n`` (:func:`needed_at_smallest` > 1), so that a single area, or a
    small cluster, could never be significant however clear it is. Without the
    correction the permutations always reach ``alpha``."""
    return bool(fdr) and needed_at_smallest(n, permutations, alpha) > 1


def most_areas_with_permutations(permutations: int = PERMUTATIONS, alpha: float = ALPHA) -> int:
    """The largest number of tested areas whose FDR-corrected test uses the permutation
    p-values (25 at 999 permutations and alpha 0.05); above it :func:`uses_normal_p`."""
    return math.floor(round(alpha / smallest_p(permutations), 9))
