"""Indicator counts from SCB's small-area statistics (the wide DeSO table).

SCB publishes, per DeSO, population, education, labour market, tenure and
economic standard. This module turns those columns into the counts and
denominators that the catalogue ``data/catalogue_scb.csv`` names, so that real
areas can be ranked on real socio-economic risk factors. SCB gives low economic
standard only as a percentage of a population; it is turned back into a count
(percentage x persons / 100) so that areas can be merged correctly.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from indicators.errors import IndicatorTableError, Problems

EDUCATION = ("edu_2564_2022_forgymnasial", "edu_2564_2022_gymnasial",
             "edu_2564_2022_eftergym_lt3", "edu_2564_2022_eftergym_ge3",
             "edu_2564_2022_unknown")
DWELLINGS = ("dwellings_2022_hyresratt", "dwellings_2022_bostadsratt",
             "dwellings_2022_aganderatt", "dwellings_2022_upplatelseform_saknas")
LABOUR = ("lm_1664_2022_unemployed", "lm_1664_2022_outside_lf", "lm_1664_2022_total")
ECONOMY = ("low_econ_standard_2022_pct", "econ_standard_2022_n_persons")
HOUSEHOLDS = ("hh_2022_single_with_children", "hh_2022_cohabiting_with_children")
AGES_0_19 = ("pop_2022_age_0_4", "pop_2022_age_5_9", "pop_2022_age_10_14", "pop_2022_age_15_19")
POPULATION = ("pop_2022_total",)
REQUIRED = (*EDUCATION, *DWELLINGS, *LABOUR, *ECONOMY, "pop_2022_foreign_background",
            "pop_2022_total_bg", *HOUSEHOLDS, *AGES_0_19, *POPULATION)


def _sum(columns: tuple[str, ...]) -> Callable[[dict[str, pd.Series]], pd.Series]:
    return lambda num: sum(num[c] for c in columns)


def _column(column: str) -> Callable[[dict[str, pd.Series]], pd.Series]:
    return lambda num: num[column]


FROM_PERCENT = ("personer_lag_ek_standard",)
"""Counts rebuilt from a percentage SCB publishes as a whole number (the method page says
so): off by up to half a percentage point of the population."""

# Each count of ``data/catalogue_scb.csv``: the wide columns it needs and how it is made.
COUNTS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, pd.Series]], pd.Series]]] = {
    "inv_25_64_forgymnasial": (EDUCATION[:1], _column("edu_2564_2022_forgymnasial")),
    "inv_25_64": (EDUCATION, _sum(EDUCATION)),
    "inv_16_64_utanfor": (LABOUR[:2], lambda num: num["lm_1664_2022_unemployed"]
                          + num["lm_1664_2022_outside_lf"]),
    "inv_16_64": (LABOUR[2:], _column("lm_1664_2022_total")),
    "personer_lag_ek_standard": (ECONOMY, lambda num: num["low_econ_standard_2022_pct"] / 100
                                 * num["econ_standard_2022_n_persons"]),
    "personer_ek_standard": (ECONOMY[1:], _column("econ_standard_2022_n_persons")),
    "lagenheter_hyresratt": (DWELLINGS[:1], _column("dwellings_2022_hyresratt")),
    "lagenheter": (DWELLINGS, _sum(DWELLINGS)),
    "inv_utlandsk_bakgrund": (("pop_2022_foreign_background",),
                              _column("pop_2022_foreign_background")),
    "inv_bakgrund": (("pop_2022_total_bg",), _column("pop_2022_total_bg")),
    "hh_ensamstaende_med_barn": (HOUSEHOLDS[:1], _column("hh_2022_single_with_children")),
    "hh_med_barn": (HOUSEHOLDS, _sum(HOUSEHOLDS)),
    "barn_unga_0_19": (AGES_0_19, _sum(AGES_0_19)),
    "invanare": (POPULATION, _column("pop_2022_total")),
}


def scb_indicator_counts(wide: pd.DataFrame, id_column: str = "deso_2018",
                         source: str = "SCB-tabell", *, partial: bool = False) -> pd.DataFrame:
    """Counts and denominators per area, named as in ``data/catalogue_scb.csv``: education,
    labour market, tenure, economic standard, background, households with children (single
    parents among them), children and young people 0–19 and all inhabitants.

    ``partial``: only the counts whose columns ``wide`` has (one SCB table uploaded on its
    own); at least one must be there."""
    problems = Problems(IndicatorTableError, source)
    lacking = [c for c in (id_column, *([] if partial else REQUIRED)) if c not in wide.columns]
    if lacking:
        problems.add("kolumner saknas i SCB-tabellen.", values=lacking,
                     fix="använd SCB:s DeSO-tabell med utbildning, arbetsmarknad, "
                         "upplåtelseform och ekonomisk standard")
        problems.raise_if_any()
    num = {c: pd.to_numeric(wide[c], errors="coerce") for c in REQUIRED if c in wide.columns}
    counts = {name: make(num) for name, (needs, make) in COUNTS.items()
              if all(c in num for c in needs)}
    if not counts:
        problems.add("ingen av katalogens kolumner kan räknas fram ur SCB-tabellen.",
                     values=sorted(REQUIRED),
                     fix="använd en tabell med utbildning, arbetsmarknad, upplåtelseform, "
                         "ekonomisk standard eller utländsk bakgrund per DeSO")
        problems.raise_if_any()
    return pd.DataFrame({
        "area_id": wide[id_column].astype("string").str.strip().to_numpy(), **counts,
    }).reset_index(drop=True)


def counts_missing(cells: pd.DataFrame) -> pd.DataFrame:
    """Missing cells of SCB's columns (area_id, column, symbol, reason) as missing cells of
    the counts made from them, each reason naming SCB's column: a count is missing where
    one of the cells it is made from is."""
    rows = []
    for area, column, symbol, reason in cells[["area_id", "column", "symbol", "reason"]].itertuples(
            index=False):
        for name, (needs, _) in COUNTS.items():
            if column in needs:
                rows.append((area, name, symbol, f"{reason} (SCB:s kolumn '{column}')"))
    return pd.DataFrame(rows, columns=["area_id", "column", "symbol", "reason"])


def one_column_count(column: str) -> bool:
    """Whether a '..' in ``column`` means the count itself is small (1–4): True unless it
    is one of SCB's counts made from several columns (a sum, or a percentage times a
    population), where a '..' in one part says nothing about the whole."""
    return column not in COUNTS or len(COUNTS[column][0]) == 1
