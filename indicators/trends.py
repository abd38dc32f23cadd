"""Change over time: rates, ranks and linear trends per area across years.

Indicator tables for several years come either as one long table with a year column
(``year``, ``år`` or ``ar``; one row per area and year) or as a mapping year -> table;
:func:`split_years` turns both into a mapping year -> table indexed by area id.

**Change in a rate** (:func:`rate_change`), last year minus first year. The counts are
treated as random draws from the area's underlying risk, so a change can be chance
even when the whole population is counted. The confidence interval of the difference
is the MOVER interval (method of variance estimates recovery, Zou & Donner 2008) built
from one score interval per year, without continuity correction:

* ``model="proportion"`` (the default for shares, ``per`` = 100): Newcombe's hybrid score
  interval (Newcombe 1998, method 10), i.e. MOVER with Wilson score intervals for each
  year's proportion ``x / n``.
* ``model="poisson"`` (the default for every other ``per``, e.g. crimes per 1 000
  inhabitants): MOVER with the Poisson score interval for each year's rate ``x / n``:
  ``(x + z²/2 ± z·sqrt(x + z²/4)) / n``. For a rare share it is close to the binomial
  interval and a little wider.

With ``θ1, θ2`` the first and last year's estimates and ``(l1, u1)``, ``(l2, u2)`` their
intervals the difference ``d = θ2 - θ1`` has the interval

    [d - sqrt((θ2 - l2)² + (u1 - θ1)²),  d + sqrt((u2 - θ2)² + (θ1 - l1)²)]

times ``per``. The two years are treated as independent; the same area's years are in
fact positively correlated, which makes the interval somewhat wide (cautious).
Verdict: "ökning" when the whole interval is above 0, "minskning" when it is below 0,
otherwise "ingen säker förändring". "kan inte bedömas" when a count is missing
(suppressed), negative or a denominator is missing or 0, a share's numerator exceeds its
denominator, or the area is missing in one of the years: never a verdict from missing
data (the column ``reason`` says why). At 95 % about one area in twenty
without any real change still gets "ökning" or "minskning" by chance: many areas and
indicators tested together give some such verdicts.

**Change in rank** (:func:`rank_change`): rank 1 = most need, so ``change = rank in the
first year - rank in the last year``. A positive change means the area moved up, toward
more need relative to the other areas (rank 10 -> rank 4 is +6). With the Monte Carlo
rank intervals (5-95 %) of both years, the change counts as "säker förändring" only when
the two intervals do not overlap (intervals that touch overlap). This is a cautious
rule of thumb, not a test at a stated level: separated 90 % intervals mean a clear
change, overlapping ones do not prove that nothing changed. Ranks are relative:
each year is ranked among that year's areas, so a change can come from other areas.

**Linear trend** (:func:`linear_trend`): ordinary least squares slope per year over the
years an area has a value, with the number of such years and their share of all years.
For the rank, a negative slope is movement toward rank 1 (more need).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID, RANK, SCORE
from indicators.errors import IndicatorTableError, Problems, format_values
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings
from indicators.swedish import format_percent
from indicators.table import _non_numeric, derive_values, validate_indicator_table

YEAR = "year"
YEAR_COLUMNS: tuple[str, ...] = (YEAR, "år", "ar")   # accepted names of the year column
INDICATOR = "indicator"

INCREASE = "ökning"
DECREASE = "minskning"
NO_CLEAR_CHANGE = "ingen säker förändring"
CANNOT_ASSESS = "kan inte bedömas"
VERDICTS: tuple[str, ...] = (INCREASE, DECREASE, NO_CLEAR_CHANGE, CANNOT_ASSESS)

CLEAR_RANK_CHANGE = "säker förändring"
RANK_VERDICTS: tuple[str, ...] = (CLEAR_RANK_CHANGE, NO_CLEAR_CHANGE, CANNOT_ASSESS)
MOVED_UP = "upp (större behov)"
MOVED_DOWN = "ned (mindre behov)"
UNCHANGED = "oförändrad"

Model = Literal["proportion", "poisson"]
MODELS: dict[str, str] = {
    "proportion": "Newcombes hybrida score-intervall (Wilson-intervall för varje år)",
    "poisson": "MOVER-intervall med Poissons score-intervall för varje år",
}

# Swedish headers for the columns of the results, for the app and the export.
LABELS: dict[str, str] = {
    "numerator_first": "Täljare första året", "denominator_first": "Nämnare första året",
    "numerator_last": "Täljare sista året", "denominator_last": "Nämnare sista året",
    "rate_first": "Värde första året", "rate_last": "Värde sista året",
    "change": "Förändring", "ci_low": "Konfidensintervall, nedre",
    "ci_high": "Konfidensintervall, övre", "verdict": "Bedömning", "reason": "Orsak",
    "rank_first": "Rang första året", "rank_last": "Rang sista året",
    "direction": "Riktning", "low_first": "Rangintervall första året, nedre",
    "high_first": "Rangintervall första året, övre",
    "low_last": "Rangintervall sista året, nedre", "high_last": "Rangintervall sista året, övre",
    "overlap": "Intervallen överlappar", "slope": "Lutning per år",
    "n_years": "Antal år med värde", "share_years": "Andel år med värde",
    INDICATOR: "Indikator",
}


# -- years ------------------------------------------------------------------------------
def _year(value: object, source: str) -> int:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number):
        raise IndicatorTableError(f"{source}: ogiltigt år {value!r}. Förväntat: ett heltal, "
                                  "t.ex. 2023.")
    return int(number)


def _by_area(table: pd.DataFrame, id_column: str, source: str) -> pd.DataFrame:
    if id_column in table.columns:
        table = table.set_index(id_column)
    elif table.index.name != id_column:
        raise IndicatorTableError(f"{source}: kolumnen med områdeskod '{id_column}' saknas.")
    index = table.index.astype("string").str.strip()
    dup = sorted(set(index[index.duplicated()]))
    if dup:
        raise IndicatorTableError(f"{source}: områdeskoder förekommer mer än en gång: "
                                  f"{format_values(dup)}. Åtgärd: en rad per område och år.")
    out = table.copy()
    out.index = pd.Index(index, name=AREA_ID, dtype=object)
    return out


def split_years(data: pd.DataFrame | Mapping[int, pd.DataFrame], *,
                id_column: str = AREA_ID, year_column: str | None = None
                ) -> dict[int, pd.DataFrame]:
    """A mapping year -> table indexed by area id, sorted by year.

    ``data`` is a long table with a year column (one row per area and year) or a
    mapping year -> table; each table has the area id as a column or as its index.
    The year column is ``year_column``, by default the first of :data:`YEAR_COLUMNS`
    (``year``, ``år``, ``ar``) in the table.
    """
    if isinstance(data, pd.DataFrame):
        found = ([year_column] if year_column is not None else
                 [c for c in YEAR_COLUMNS if c in data.columns][:1])
        if not found or found[0] not in data.columns:
            wanted = year_column or "' eller '".join(YEAR_COLUMNS)
            raise IndicatorTableError(f"kolumnen med år ('{wanted}') saknas i tabellen med "
                                      "flera år. Åtgärd: lägg till året på varje rad, eller "
                                      "ge en tabell per år.")
        column = found[0]
        years = data[column].map(lambda v: _year(v, "tabellen med flera år"))
        tables = {int(y): part.drop(columns=column)
                  for y, part in data.groupby(years.to_numpy(), sort=True)}
    else:
        tables = {_year(y, "tabellerna per år"): t for y, t in data.items()}
    if not tables:
        raise IndicatorTableError("inga år att jämföra.")
    return {y: _by_area(tables[y], id_column, f"år {y}") for y in sorted(tables)}


def _numbers(table: pd.DataFrame, column: str, year: int) -> pd.Series:
    if column not in table.columns:
        raise IndicatorTableError(f"år {year}: kolumnen '{column}' saknas.")
    values, bad = _non_numeric(table[column])
    if bad:
        raise IndicatorTableError(f"år {year}, kolumn '{column}': värden som inte är tal: "
                                  f"{format_values(bad)}. Förväntat: tal, eller tom cell, "
                                  "'..', '.' eller '-' för saknat.")
    return pd.Series(values.to_numpy(dtype=float), index=table.index)


def _pick_years(years: Iterable[int], first: int | None, last: int | None,
                what: str) -> tuple[int, int]:
    available = sorted(years)
    first = available[0] if first is None else first
    last = available[-1] if last is None else last
    lacking = [y for y in (first, last) if y not in available]
    if lacking:
        raise IndicatorTableError(f"{what}: åren {format_values(lacking)} finns inte. "
                                  f"Tillgängliga år: {format_values(available, limit=20)}.")
    if first == last:
        raise IndicatorTableError(f"{what}: första och sista året är samma ({first}); minst "
                                  "två år behövs.")
    return first, last


# -- change in a rate -------------------------------------------------------------------
def wilson_interval(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the proportion ``x / n`` (no continuity correction)."""
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(np.clip(p * (1 - p), 0, None) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def poisson_score_interval(x: np.ndarray, n: np.ndarray, z: float
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Score interval of the Poisson rate ``x / n``: ``(x + z²/2 ± z·sqrt(x + z²/4)) / n``."""
    root = z * np.sqrt(x + z * z / 4)
    return np.clip((x + z * z / 2 - root) / n, 0, None), (x + z * z / 2 + root) / n


def mover_difference(theta1: np.ndarray, ci1: tuple[np.ndarray, np.ndarray],
                     theta2: np.ndarray, ci2: tuple[np.ndarray, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """MOVER interval of ``theta2 - theta1`` from the two estimates' own intervals."""
    (l1, u1), (l2, u2) = ci1, ci2
    d = theta2 - theta1
    return (d - np.sqrt((theta2 - l2) ** 2 + (u1 - theta1) ** 2),
            d + np.sqrt((u2 - theta2) ** 2 + (theta1 - l1) ** 2))


def rate_change_method(model: Model, alpha: float = 0.05) -> str:
    """The method of :func:`rate_change` in Swedish, for the app and the export."""
    return (f"Förändring = sista årets värde minus första årets. {_level(alpha)} "
            f"konfidensintervall: {MODELS[model]}, utan kontinuitetskorrektion; åren behandlas "
            f"som oberoende. '{INCREASE}' eller '{DECREASE}' när hela intervallet ligger över "
            f"respektive under 0, annars '{NO_CLEAR_CHANGE}'. '{CANNOT_ASSESS}' när ett antal "
            "saknas (t.ex. undertryckt), nämnaren saknas eller är 0, eller området saknas "
            "ett av åren.")


def _level(alpha: float) -> str:
    return format_percent((1 - alpha) * 100)


def rate_change(counts: pd.DataFrame | Mapping[int, pd.DataFrame], *, numerator: str,
                denominator: str, per: float, first: int, last: int, alpha: float = 0.05,
                model: Model | None = None, id_column: str = AREA_ID,
                year_column: str | None = None) -> pd.DataFrame:
    """Per area: the rate in ``first`` and ``last``, the change and its confidence interval.

    ``counts``: long table with a ``year`` column, or a mapping year -> table (see
    :func:`split_years`). ``model``: "proportion" or "poisson"; by default "proportion"
    when ``per`` is 100, else "poisson" (see the module docstring).

    Returns a frame indexed by ``area_id`` (the areas of both years, first year's order)
    with the counts, ``rate_first``, ``rate_last``, ``change``, ``ci_low``, ``ci_high``
    (all per ``per``), ``verdict`` (:data:`VERDICTS`) and ``reason`` (why an area cannot be
    assessed, else empty). ``attrs["method"]`` holds the method in Swedish.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha ska ligga mellan 0 och 1, inte {alpha}.")
    if not per > 0:
        raise ValueError(f"per ska vara större än 0, inte {per}.")
    model = model or ("proportion" if per == 100 else "poisson")
    if model not in MODELS:
        raise ValueError(f"okänd modell {model!r}. Förväntat: {', '.join(MODELS)}.")
    tables = split_years(counts, id_column=id_column, year_column=year_column)
    first, last = _pick_years(tables, first, last, "förändring")
    t1, t2 = tables[first], tables[last]
    index = t1.index.append(t2.index.difference(t1.index, sort=False))

    parts: dict[str, pd.Series] = {}
    reasons = [[] for _ in index]
    for label, year, table in (("first", first, t1), ("last", last, t2)):
        x = _numbers(table, numerator, year).reindex(index)
        n = _numbers(table, denominator, year).reindex(index)
        absent = ~index.isin(table.index)
        checks = [
            (absent, f"området saknas år {year}"),
            (~absent & x.isna().to_numpy(), f"täljaren saknas år {year}"),
            (~absent & n.isna().to_numpy(), f"nämnaren saknas år {year}"),
            ((n == 0).to_numpy(), f"nämnaren är 0 år {year}"),
            (((x < 0) | (n < 0)).to_numpy(), f"negativt antal år {year}"),
        ]
        if model == "proportion":
            checks.append((((x > n) & (n > 0)).to_numpy(),
                           f"täljaren är större än nämnaren år {year}"))
        for mask, text in checks:
            for i in np.flatnonzero(mask):
                reasons[i].append(text)
        parts[f"numerator_{label}"], parts[f"denominator_{label}"] = x, n

    ok = np.array([not r for r in reasons])
    x1 = np.where(ok, parts["numerator_first"], np.nan)
    n1 = np.where(ok, parts["denominator_first"], np.nan)
    x2 = np.where(ok, parts["numerator_last"], np.nan)
    n2 = np.where(ok, parts["denominator_last"], np.nan)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    interval = wilson_interval if model == "proportion" else poisson_score_interval
    with np.errstate(invalid="ignore", divide="ignore"):
        theta1, theta2 = x1 / n1, x2 / n2
        low, high = mover_difference(theta1, interval(x1, n1, z), theta2, interval(x2, n2, z))
    verdict = np.select([~ok, low > 0, high < 0], [CANNOT_ASSESS, INCREASE, DECREASE],
                        default=NO_CLEAR_CHANGE)

    with np.errstate(invalid="ignore", divide="ignore"):
        rate1 = parts["numerator_first"] / parts["denominator_first"].where(
            parts["denominator_first"] > 0) * per
        rate2 = parts["numerator_last"] / parts["denominator_last"].where(
            parts["denominator_last"] > 0) * per
    out = pd.DataFrame({
        **{k: v.to_numpy() for k, v in parts.items()},
        "rate_first": rate1.to_numpy(), "rate_last": rate2.to_numpy(),
        "change": (theta2 - theta1) * per, "ci_low": low * per, "ci_high": high * per,
        "verdict": pd.Categorical(verdict, categories=VERDICTS),
        "reason": ["; ".join(r) for r in reasons],
    }, index=pd.Index(index, name=AREA_ID))
    out.attrs.update(method=rate_change_method(model, alpha), model=model, first=first,
                     last=last, alpha=alpha)
    return out


# -- change in rank ---------------------------------------------------------------------
def rank_change(ranks_by_year: Mapping[int, pd.Series],
                intervals_by_year: Mapping[int, tuple[pd.Series, pd.Series]] | None = None,
                *, first: int | None = None, last: int | None = None) -> pd.DataFrame:
    """Per area: rank in the first and last year and the change (positive = moved up
    toward rank 1, more need); see the module docstring.

    ``ranks_by_year``: year -> rank per area id (1 = most need). ``intervals_by_year``:
    year -> (rank_low, rank_high) per area id, the Monte Carlo 5–95 % rank interval;
    given, the frame also has the interval ends, ``overlap`` and ``verdict``
    (:data:`RANK_VERDICTS`). Years default to the first and last in ``ranks_by_year``.
    ``attrs["notes"]`` says in Swedish when the ranked areas differ between the years.
    """
    ranks = {_year(y, "rang per år"): pd.Series(r) for y, r in ranks_by_year.items()}
    first, last = _pick_years(ranks, first, last, "rangförändring")
    r1, r2 = ranks[first], ranks[last]
    index = r1.index.append(r2.index.difference(r1.index, sort=False))
    rank1 = pd.to_numeric(r1, errors="coerce").reindex(index).astype(float)
    rank2 = pd.to_numeric(r2, errors="coerce").reindex(index).astype(float)
    change = rank1 - rank2
    out = pd.DataFrame({"rank_first": rank1, "rank_last": rank2, "change": change,
                        "direction": np.select(
                            [change.isna(), change > 0, change < 0],
                            [CANNOT_ASSESS, MOVED_UP, MOVED_DOWN], default=UNCHANGED)},
                       index=pd.Index(index, name=AREA_ID))
    n1, n2 = int(rank1.notna().sum()), int(rank2.notna().sum())
    notes = [f"Rang 1 = störst behov. Förändring = rang {first} minus rang {last}: positiv "
             "betyder att området har flyttat upp mot större behov jämfört med övriga områden."]
    only1 = list(index[(rank1.notna() & rank2.isna()).to_numpy()])
    only2 = list(index[(rank1.isna() & rank2.notna()).to_numpy()])
    if n1 != n2 or only1 or only2:
        notes.append(f"Antalet rangordnade områden skiljer sig mellan åren ({n1} år {first}, "
                     f"{n2} år {last}) eller så är det olika områden; en rangförändring kan då "
                     "bero på vilka områden som ingår.")
    if only1 or only2:
        notes.append("Rang bara ett av åren: " + format_values(only1 + only2, limit=10) + ".")

    if intervals_by_year is not None:
        intervals = {_year(y, "rangintervall per år"): v for y, v in intervals_by_year.items()}
        lacking = [y for y in (first, last) if y not in intervals]
        if lacking:
            raise ValueError(f"rangintervall saknas för åren {format_values(lacking)}.")
        for label, year in (("first", first), ("last", last)):
            low, high = (pd.to_numeric(pd.Series(s), errors="coerce").reindex(index)
                         .astype(float) for s in intervals[year])
            wrong = index[(low > high).to_numpy()]
            if len(wrong):
                raise ValueError(f"år {year}: rangintervallets nedre gräns är större än den "
                                 f"övre för {format_values(list(wrong))}.")
            out[f"low_{label}"], out[f"high_{label}"] = low, high
        known = out[["low_first", "high_first", "low_last", "high_last"]].notna().all(axis=1)
        overlaps = ((out["low_first"] <= out["high_last"])
                    & (out["low_last"] <= out["high_first"]))
        out["overlap"] = pd.array(np.where(known, overlaps, pd.NA), dtype="boolean")
        out["verdict"] = pd.Categorical(
            np.select([~known, overlaps], [CANNOT_ASSESS, NO_CLEAR_CHANGE],
                      default=CLEAR_RANK_CHANGE), categories=RANK_VERDICTS)
        notes.append(f"'{CLEAR_RANK_CHANGE}' bara när rangintervallen (5–95 %) för {first} och "
                     f"{last} inte överlappar; intervall som möts räknas som överlappande.")
    out.attrs.update(notes=tuple(notes), first=first, last=last)
    return out


# -- linear trends ----------------------------------------------------------------------
def linear_trend(values_by_year: pd.DataFrame) -> pd.DataFrame:
    """Per row (area), over the columns (years): the OLS slope per year, the number of years
    with a value and their share of all columns. The slope is NaN with fewer than two
    years of data."""
    years = np.array([_year(c, "trend") for c in values_by_year.columns], dtype=float)
    if len(set(years)) != len(years):
        raise ValueError("samma år förekommer mer än en gång bland kolumnerna.")
    y = values_by_year.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    present = ~np.isnan(y)
    n = present.sum(axis=1)
    x = np.where(present, years, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = x.sum(axis=1) / n
        y_mean = np.where(present, y, 0.0).sum(axis=1) / n
        dx = np.where(present, years - x_mean[:, None], 0.0)
        dy = np.where(present, y - y_mean[:, None], 0.0)
        sxx = (dx * dx).sum(axis=1)
        slope = np.where((n >= 2) & (sxx > 0), (dx * dy).sum(axis=1) / sxx, np.nan)
    return pd.DataFrame({"slope": slope, "n_years": n.astype(int),
                         "share_years": n / len(years) if len(years) else np.nan},
                        index=values_by_year.index)


def indicator_trends(tables: pd.DataFrame | Mapping[int, pd.DataFrame], catalogue: Catalogue,
                     indicators: Iterable[str] | None = None, *,
                     settings: AnalysisSettings | None = None,
                     id_column: str = AREA_ID, year_column: str | None = None
                     ) -> pd.DataFrame:
    """The linear trend of each indicator, and with ``settings`` of the score and the rank.

    Each year's table is validated and its values derived as for a ranking (rates from
    counts); with ``settings`` each year is also ranked (:func:`indicators.ranking.rank_areas`).
    Scores are normalised within each year, so their trend is one of relative position,
    not of level. Returns a long frame: ``area_id``, ``indicator`` (an indicator id,
    ``score`` or ``rank``), one column per year with the values, ``slope``, ``n_years``
    and ``share_years``.
    """
    tables = split_years(tables, id_column=id_column, year_column=year_column)
    problems = Problems(IndicatorTableError, "tabellerna per år")
    wanted = list(catalogue) if indicators is None else list(indicators)
    unknown = [i for i in wanted if i not in catalogue]
    if unknown:
        problems.add("okända indikatorer.", values=unknown)
        problems.raise_if_any()
    per_year: dict[str, dict[int, pd.Series]] = {}
    for year, table in tables.items():
        frame = table.reset_index()
        valid = validate_indicator_table(frame, catalogue, f"indikatortabell {year}")
        have = [i for i in wanted if all(c in valid.columns for c in catalogue[i].columns)]
        values = derive_values(valid, catalogue, have)
        for ind in wanted:
            per_year.setdefault(ind, {})[year] = (values[ind] if ind in values
                                                  else pd.Series(np.nan, index=valid.index))
        if settings is not None:
            result = rank_areas(frame, catalogue, settings, f"indikatortabell {year}")
            per_year.setdefault(SCORE, {})[year] = result.score
            per_year.setdefault(RANK, {})[year] = result.rank
    rows = []
    for ind, by_year in per_year.items():
        wide = pd.DataFrame(by_year)
        wide.index.name = AREA_ID
        trend = pd.concat([wide, linear_trend(wide)], axis=1)
        rows.append(trend.reset_index().assign(**{INDICATOR: ind}))
    out = pd.concat(rows, ignore_index=True)
    first_cols = [AREA_ID, INDICATOR]
    return out[first_cols + [c for c in out.columns if c not in first_cols]]
