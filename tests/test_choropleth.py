"""The map's class limits, computed in numpy as mapclassify computes them."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("seed", range(5))
def test_class_limits_are_mapclassifys(seed: int) -> None:
    """Quantiles and equal intervals in numpy (mapclassify costs 0.4 s of every start,
    issue 17) give mapclassify's limits and classes exactly: normal values, rounded ones
    with ties, and few distinct values."""
    import warnings

    import mapclassify

    from geo.maps.mapview import equal_interval_bins, quantile_bins
    rng = np.random.default_rng(seed)
    for trial in range(300):
        n, k = int(rng.integers(3, 200)), int(rng.integers(3, 8))
        y = (rng.normal(size=n), np.round(rng.normal(size=n), 1),
             rng.integers(0, 5, n).astype(float))[trial % 3]
        k = min(k, len(np.unique(y)))
        if k < 3:
            continue
        for mine, theirs in ((quantile_bins, mapclassify.Quantiles),
                             (equal_interval_bins, mapclassify.EqualInterval)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")       # mapclassify's "not enough values"
                expected = theirs(y, k=k)
            bins = mine(y, k)
            assert np.array_equal(bins, expected.bins)
            assert np.array_equal(np.searchsorted(bins, y, side="left"), expected.yb)
