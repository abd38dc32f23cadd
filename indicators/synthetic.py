"""SYNTHETIC demo indicators: invented by a seeded random generator, pure given the areas.

The demo table exists so that the app and the exports work offline out of the box; it says
nothing about the real areas. Every row carries the column ``syntetiska_demodata`` = ``ja``,
so any copy stays marked synthetic (the app banner, the map title and every export show it).

How the values are made (:func:`generate`): each area gets a latent need drawn around a level
that follows SCB's public socio-economic områdestyp 2023 (type 2 = higher) for Huddinge's
bundled RegSO (:data:`TYPE_2`), plus noise; other kommuner's areas share one level.
Populations are drawn at plausible sizes. Each indicator's count is then drawn binomially
from its denominator with a probability that rises (or, for protective indicators, falls)
with the latent need plus a deviation of the indicator's domain, so that domains do not all
rank alike. One cell is left empty on purpose, to show how the tool treats a missing value.

History for trends (:func:`generate_history`): the three years before the demo's reference
year (2021–2023 for 2024) drawn from the same table: every area's rates drift along a trend
of its own (some areas worsen, some improve) and populations change a little, again
binomially, so that year-to-year changes in small areas are partly noise, as in real data.

``data/build_demo_indicators.py`` writes the bundled Huddinge table with these functions;
:func:`geo.sources.demo_inputs` makes one for any other kommun's areas.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

# Every row carries the marker column, so a copy without the sidecar stays synthetic.
from indicators.columns import AREA_ID, AREA_NAME, SYNTHETIC_MARK

SEED = 20261123
YEAR = 2024
HISTORY_YEARS = (2021, 2022, 2023)

# SCB områdestyp 2023, type 2 (large socio-economic challenges) in Huddinge: public facts
# used only to make the synthetic pattern look like a real municipality's.
TYPE_2 = {"0126R001", "0126R002", "0126R014", "0126R020", "0126R021"}

# indicator: (numerator column, denominator column, base rate, sensitivity to need)
RATES = {
    "barn_lag_ek_standard": ("barn_0_17_lag_ek_standard", "barn_0_17", 0.10, 0.9),
    "forgymnasial_utbildning": ("inv_25_64_forgymnasial", "inv_25_64", 0.08, 0.7),
    "utanfor_arbetskraften": ("inv_16_64_utanfor", "inv_16_64", 0.15, 0.6),
    "trangboddhet": ("barn_0_17_trangbodda", "barn_0_17", 0.12, 0.8),
    "behorighet_yrkesprogram": ("elever_ak9_behoriga", "elever_ak9", 0.88, -0.6),
    "hog_franvaro": ("elever_hog_franvaro", "elever_grundskola", 0.08, 0.5),
    "psykiatrisk_vard_unga": ("unga_10_24_psykiatri", "unga_10_24", 0.045, 0.3),
    "orosanmalningar": ("orosanmalningar_0_17", "barn_0_17", 0.035, 0.6),
    "narkotikabrott": ("narkotikabrott", "invanare", 0.003, 0.6),
    "missbruksinsats_unga": ("unga_15_24_missbruksinsats", "unga_15_24", 0.006, 0.5),
    "valdsbrott": ("valdsbrott", "invanare", 0.007, 0.6),
    "skadegorelse": ("skadegorelse", "invanare", 0.009, 0.5),
    "unga_misstankta": ("unga_15_20_misstankta", "unga_15_20", 0.025, 0.7),
    "fritidsdeltagande": ("unga_7_20_fritid", "unga_7_20", 0.55, -0.5),
    "unga_uvas": ("unga_16_24_uvas", "unga_16_24", 0.05, 0.6),
}
# Share of inhabitants in each population group.
POPULATIONS = {"barn_0_17": 0.23, "inv_25_64": 0.52, "inv_16_64": 0.65, "elever_ak9": 0.012,
               "elever_grundskola": 0.11, "unga_10_24": 0.18, "unga_15_24": 0.12,
               "unga_15_20": 0.075, "unga_7_20": 0.17, "unga_16_24": 0.11}


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def generate(areas: pd.DataFrame, domains: Mapping[str, str], seed: int = SEED) -> pd.DataFrame:
    """A synthetic indicator table for ``areas`` (columns ``area_id``, ``area_name``, in the
    order given); ``domains`` maps each indicator of :data:`RATES` to its catalogue domain."""
    rng = np.random.default_rng(seed)
    ids = areas[AREA_ID].to_numpy()
    n = len(ids)
    latent = np.where(np.isin(ids, list(TYPE_2)), 1.5, -0.3) + rng.normal(0, 0.6, n)
    inhabitants = rng.integers(1_500, 9_000, n)
    out = pd.DataFrame({AREA_ID: ids, AREA_NAME: areas[AREA_NAME].to_numpy(),
                        SYNTHETIC_MARK: "ja", "invanare": inhabitants})
    for col, share in POPULATIONS.items():
        out[col] = rng.binomial(inhabitants, share * rng.uniform(0.85, 1.15, n))
    domain_need = {d: latent + rng.normal(0, 0.6, n) for d in sorted(set(domains.values()))}
    for ind, (num, den, base, sens) in RATES.items():
        need = domain_need[domains[ind]]
        logit = _logit(base) + sens * need + rng.normal(0, 0.35, n)
        out[num] = rng.binomial(out[den].to_numpy(), 1 / (1 + np.exp(-logit)))
    # One value missing on purpose: too few pupils to report in the smallest area (not
    # where there are so few areas that the indicator would be missing everywhere).
    out["elever_hog_franvaro"] = out["elever_hog_franvaro"].astype("Int64")
    if n >= 3:
        smallest = int(np.argmin(out["elever_grundskola"].to_numpy()))
        out.loc[smallest, "elever_hog_franvaro"] = pd.NA
    return out


def generate_history(current: pd.DataFrame, years: tuple[int, ...] = HISTORY_YEARS,
                     seed: int = SEED) -> pd.DataFrame:
    """Earlier years for ``current`` (the reference year :data:`YEAR`), with a column ``ar``."""
    rng = np.random.default_rng(seed + 1)
    n = len(current)
    drift = rng.normal(0, 0.05, n)          # per area and year, on the logit scale
    frames = []
    for year in years:
        back = YEAR - year
        out = current[[AREA_ID, AREA_NAME, SYNTHETIC_MARK]].copy()
        out.insert(0, "ar", year)
        scale = (1 - 0.01 * back) * rng.uniform(0.97, 1.03, n)
        out["invanare"] = np.round(current["invanare"].to_numpy() * scale).astype(int)
        for col in POPULATIONS:
            out[col] = np.round(current[col].to_numpy() * scale).astype(int)
        for num, den, _, _ in RATES.values():
            observed = current[num].astype("float").to_numpy()
            rate = np.clip(np.nan_to_num(observed / current[den].to_numpy(), nan=0.05),
                           1e-4, 1 - 1e-4)
            logit = np.log(rate / (1 - rate)) - drift * back + rng.normal(0, 0.05, n)
            out[num] = rng.binomial(out[den].to_numpy(), 1 / (1 + np.exp(-logit)))
        frames.append(out)
    return pd.concat(frames, ignore_index=True)
