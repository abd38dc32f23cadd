"""Normalisation with direction: every indicator onto a common scale where higher = more need.

Each method works column by column on the areas that have a value; missing
values stay missing.

- ``zscore``: (x - mean) / sd, population sd (ddof 0); a constant column gives 0.
- ``percentile``: percentile rank 0–100 in the need direction, (r - 1) / (n - 1) x 100,
  ties take the average rank; a single value or a constant column gives 50.
- ``minmax``: (x - min) / (max - min) x 100 in the need direction; a constant column gives 50.

Direction -1 (higher value = less need) is applied by negating the values first, so
all three methods put the area with most need highest.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

NEUTRAL = {"zscore": 0.0, "percentile": 50.0, "minmax": 50.0}


def _zscore(col: pd.Series) -> pd.Series:
    sd = col.std(ddof=0)
    if not np.isfinite(sd) or sd == 0:
        return col.where(col.isna(), NEUTRAL["zscore"])
    return (col - col.mean()) / sd


def _percentile(col: pd.Series) -> pd.Series:
    n = col.count()
    if n < 2 or col.nunique() == 1:
        return col.where(col.isna(), NEUTRAL["percentile"])
    return (col.rank(method="average") - 1) / (n - 1) * 100


def _minmax(col: pd.Series) -> pd.Series:
    lo, hi = col.min(), col.max()
    if not np.isfinite(hi - lo) or hi == lo:
        return col.where(col.isna(), NEUTRAL["minmax"])
    return (col - lo) / (hi - lo) * 100


_METHODS = {"zscore": _zscore, "percentile": _percentile, "minmax": _minmax}


def normalise(values: pd.DataFrame, directions: Mapping[str, int], method: str) -> pd.DataFrame:
    """Normalise every column of ``values`` so that higher means more need."""
    if method not in _METHODS:
        raise ValueError(f"unknown normalisation {method!r}; choose one of {sorted(_METHODS)}")
    func = _METHODS[method]
    return pd.DataFrame({c: func(values[c] * directions[c]) for c in values.columns},
                        index=values.index)


def percentile_rank(values: pd.DataFrame, directions: Mapping[str, int]) -> pd.DataFrame:
    """CDC SVI's percentile rank (Excel PERCENTRANK.INC) in the need direction, 0–1.

    (r - 1) / (n - 1) with r the rank among areas with a value, ties sharing the
    lowest rank, so that tied areas are flagged alike. A column with fewer than two
    values gives missing.
    """
    out = {}
    for c in values.columns:
        col = values[c] * directions[c]
        n = col.count()
        out[c] = (col.rank(method="min") - 1) / (n - 1) if n >= 2 else col * np.nan
    return pd.DataFrame(out, index=values.index)
