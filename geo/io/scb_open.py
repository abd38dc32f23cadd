"""The embedded real data: SCB's public DeSO statistics for all of Sweden.

``data/scb/scb_deso_2022.parquet`` (built by ``data/build_scb_deso.py`` from SCB's exports,
CC0) holds per DeSO 2018 its RegSO 2020, its kommun, the counts of ``data/catalogue_scb.csv``
and the child and youth population. It is read like any user's indicator table
(:mod:`geo.io.indicator_files`): its key is the DeSO code, and a map of RegSO gets it summed
through the same file's link DeSO -> RegSO (:func:`deso_regso_link`), which also serves any
uploaded DeSO table.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from indicators.columns import AREA_ID, AREA_NAME
from indicators.levels import FROM_ID

SCB_DESO = Path(__file__).resolve().parents[2] / "data" / "scb" / "scb_deso_2022.parquet"
"""The embedded table; its sidecar ``.meta.toml`` is the source shown on maps."""

LINK_SOURCE = "SCB:s kopplingstabell DeSO 2018 → RegSO 2020 (inbyggd, data/scb)"
KEY = "deso"


@functools.cache
def _table(path: Path = SCB_DESO) -> pd.DataFrame:
    return pd.read_parquet(path)


def deso_regso_link(path: Path = SCB_DESO) -> pd.DataFrame:
    """Every DeSO 2018 of Sweden with its RegSO 2020: columns ``from_id`` (DeSO),
    ``area_id`` (RegSO) and ``area_name`` (the RegSO's name in 2020), as
    :func:`indicators.levels.link_table` gives them. A copy: callers may filter it."""
    table = _table(path)
    return pd.DataFrame({FROM_ID: table[KEY].astype("string"),
                         AREA_ID: table["regso"].astype("string"),
                         AREA_NAME: table["regso_namn"].astype("string")})

