"""Column names and fixed vocabularies shared by the whole code base.

Every module that reads or writes one of these columns imports the constant from
here, so a rename happens in one place.
"""

from __future__ import annotations

# Area tables (geometry and results)
AREA_ID = "area_id"
AREA_NAME = "area_name"

# A column that marks every row of a synthetic table, so that a copy of the demo data
# stays marked even without its sidecar metadata file.
SYNTHETIC_MARK = "syntetiska_demodata"

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
    "geometric": "Geometriskt medelvärde (begränsar kompensation)",
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
