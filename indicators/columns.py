"""Column names and fixed vocabularies shared by the whole code base.

Every module that reads or writes one of these columns imports the constant from
here, so a rename happens in one place.
"""

from __future__ import annotations

import pandas as pd

# Area tables (geometry and results)
AREA_ID = "area_id"
AREA_NAME = "area_name"

# A column that marks every row of a synthetic table, so that a copy of the demo data
# stays marked even without its sidecar metadata file.
SYNTHETIC_MARK = "syntetiska_demodata"

# The young population of an area, by the first of these columns a table has, with its
# Swedish label: the small-area flag (indicators.disclosure), the merging of small areas
# and the resources per child (geo.maps.resources) all read it.
YOUTH_POPULATION: tuple[tuple[str, str], ...] = (
    ("barn_unga_0_19", "barn och unga 0–19 år"), ("barn_0_17", "barn 0–17 år"),
    ("unga_0_20", "unga 0–20 år"), ("barn_unga_0_20", "barn och unga 0–20 år"),
    ("inv_0_17", "barn 0–17 år"), ("inv_0_20", "barn och unga 0–20 år"))


def youth_population(table: pd.DataFrame) -> tuple[pd.Series, str] | None:
    """The young population per area (index ``area_id`` as text) from an indicator table
    (an ``area_id`` column or indexed by area id): the first of :data:`YOUTH_POPULATION`
    the table has, with its label; None when it has none."""
    frame = table.set_index(AREA_ID) if AREA_ID in table.columns else table
    for column, label in YOUTH_POPULATION:
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce").astype(float)
            values.index = values.index.astype(str)
            return values.rename(column), label
    return None


# Result columns
SCORE = "score"
RANK = "rank"
FLAG_COUNT = "flag_count"
MISSING_COUNT = "missing_count"
TOP_CONTRIBUTORS = "top_contributors"

# Domains: id -> Swedish label, in display order.
DOMAINS: dict[str, str] = {
    "psykisk_ohalsa": "Psykisk ohälsa",
    "missbruk": "Missbruk",
    "kriminalitet": "Kriminalitet",
    "socioekonomi": "Socioekonomiska riskfaktorer",
    "skola": "Skola",
    "skyddsfaktorer": "Skyddsfaktorer",
}

# Normalisations and aggregations: id -> Swedish label.
NORMALISATIONS: dict[str, str] = {
    "zscore": "z-poäng (standardiserat värde)",
    "percentile": "Percentilrang",
    "minmax": "Min–max (0–100)",
}
AGGREGATIONS: dict[str, str] = {
    "arithmetic": "Aritmetiskt medelvärde (kompenserande)",
    "mpi": "Mazziotta–Pareto (MPI+): ojämnt höga behov späds inte ut",
}
MISSING_POLICIES: dict[str, str] = {
    "reweight": "Vikta om bland de indikatorer som finns för området",
    "error": "Stoppa med ett fel om något värde saknas",
}


def domain_column(domain: str) -> str:
    """Name of the result column that holds a domain score."""
    return f"domain_{domain}"


# Monte Carlo defaults, shared by the settings and the uncertainty options.
DEFAULT_DRAWS = 1000
DEFAULT_SEED = 20261123
DEFAULT_CONCENTRATION = 50.0
