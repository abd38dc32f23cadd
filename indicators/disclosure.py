"""Disclosure control (röjandekontroll) of small counts, on by default.

A count of one to four young people in a small area can point out individuals, so
such counts, and every rate built on them, must not be shown anywhere: not in
the table, the map, the profile or an export. :func:`apply_disclosure` returns a
copy of the indicator table in which the sensitive numerator cells are missing
(NaN); :func:`indicators.table.derive_values` then gives a missing rate for them,
and the analysis treats them like any other missing value. The original table is
never changed, and a missing value is never turned into 0.

Rules (``threshold`` t, default 5; only the numerators of the selected rate
indicators are counts in this sense; ready values and denominators are left as
they are):

1. **Primary suppression.** A numerator with ``0 < count < t`` (1–4 with the
   default) is suppressed, as Swedish official statistics commonly do. A count of
   0 is shown: it is the usual practice, and a rate of 0 over a large population
   points out no one. Counts that are not whole numbers (e.g. moved between area
   levels by area weights) are treated the same way: anything above 0 and below t
   is suppressed.
2. **The rest (den − num).** If the denominator minus the numerator is a count
   with ``0 < den − num < t``, the few who are *not* counted are the sensitive
   group, and showing the numerator beside the denominator reveals them; the
   numerator is suppressed too. This also covers every rate over a population
   smaller than t (a count of 0 over 3 children is suppressed). The rule is
   applied to every rate; for event rates whose numerator is not a subset of the
   denominator (offences per inhabitant) it is merely cautious.
3. **Secondary (complementary) suppression.** When totals are published
   (``totals_published``: the municipality's total of each indicator is shown as a
   reference value), a column with exactly one suppressed cell can be recovered by
   subtracting the shown cells from the total. The smallest other shown positive
   numerator in that column is then suppressed as well (ties: the first area in
   table order), so that at least two cells are hidden and, because every shown
   positive count is at least t, their sum is at least t + 1. Only when no shown
   positive numerator is left is a shown 0 used; when there is no other shown
   cell at all the column cannot be protected and :meth:`Disclosure.notes` says
   so. Missing cells are not counted as protection (the published total may leave
   them out). A column with two or more suppressed cells is left as it is.
4. **Small areas.** An area whose smallest denominator among the selected rate
   indicators is below ``min_population`` (default 50) is *flagged* (its rates are
   uncertain), not suppressed. An area with no known denominator is not flagged.

Run disclosure control before smoothing or any other step that pools areas
(see :mod:`indicators.smoothing`): pooled values computed from the original
counts could otherwise give a suppressed count away.

:func:`check_no_leak` is a test helper that searches an output text for the values
of suppressed cells.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue, known_indicators
from indicators.columns import AREA_ID
from indicators.errors import IndicatorTableError, Problems, SettingsError
from indicators.swedish import format_number
from indicators.table import missing_columns

DEFAULT_THRESHOLD = 5
DEFAULT_MIN_POPULATION = 50

SUPPRESSED_COLUMNS = (AREA_ID, "column", "reason")
SMALL_AREA_COLUMNS = (AREA_ID, "population", "reason")


@dataclass(frozen=True)
class RateColumns:
    """The table columns one rate indicator is built from."""

    indicator: str
    numerator: str
    denominator: str
    per: float
    unit: str = ""


def primary_reason(threshold: int) -> str:
    return f"färre än {threshold} (röjandekontroll)"


def rest_reason(threshold: int, denominator: str) -> str:
    return (f"nämnaren '{denominator}' minus täljaren är färre än {threshold}, så täljaren "
            "skulle avslöja resten (röjandekontroll)")


def secondary_reason(area: str) -> str:
    return (f"sekundärt undertryckt så att summan inte avslöjar det undertryckta värdet "
            f"för område {area}")


@dataclass(frozen=True, eq=False)
class Disclosure:
    """The table after disclosure control, and what was done to it.

    ``table`` is a copy of the input with the suppressed cells missing (NaN);
    ``suppressed`` lists them (``area_id``, ``column``, ``reason``);
    ``small_areas`` lists the flagged areas (``area_id``, ``population``: the
    smallest denominator, ``reason``). ``rates`` are the rate indicators checked
    and ``unprotected`` the columns whose single suppressed cell could not be
    protected by a second one.
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame
    small_areas: pd.DataFrame
    threshold: int
    min_population: int
    totals_published: bool = True
    rates: tuple[RateColumns, ...] = ()
    unprotected: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """Swedish notes for the report and the app."""
        t = self.threshold
        reasons = self.suppressed["reason"]
        primary = int((reasons == primary_reason(t)).sum())
        rest = int(reasons.str.startswith("nämnaren ").sum())
        secondary = int(reasons.str.startswith("sekundärt").sum())
        notes = []
        if len(self.suppressed) == 0:
            notes.append(f"Röjandekontroll: inga antal under {t} behövde döljas. "
                         "Antalet 0 visas.")
        else:
            notes.append(f"Röjandekontroll: {primary} antal mellan 1 och {t - 1} har dolts "
                         "och visas som saknade, liksom andelarna som bygger på dem. "
                         "Antalet 0 visas.")
        if rest:
            notes.append(f"{rest} antal har dolts för att nämnaren minus täljaren är färre "
                         f"än {t}; annars skulle de få som inte räknas kunna pekas ut.")
        if secondary:
            notes.append(f"{secondary} antal har dolts sekundärt, så att kommunens totalsumma "
                         "inte avslöjar ett dolt värde genom subtraktion.")
        if self.unprotected:
            notes.append("Ett dolt värde kan räknas fram ur totalsumman eftersom inget annat "
                         "värde finns att dölja i: " + ", ".join(self.unprotected) + ".")
        if len(self.small_areas):
            areas = ", ".join(str(a) for a in self.small_areas[AREA_ID])
            notes.append(f"{len(self.small_areas)} områden har en målgrupp på färre än "
                         f"{self.min_population} personer; deras andelar är osäkra: "
                         f"{areas}.")
        return notes


def _check_settings(threshold: object, min_population: object) -> None:
    problems = Problems(SettingsError)
    for key, value, lowest, message, example in (
            ("disclosure_threshold", threshold, 1,
             "tröskeln för röjandekontroll ska vara ett heltal ≥ 1.", "ange t.ex. 5"),
            ("min_population", min_population, 0,
             "minsta befolkning ska vara ett heltal ≥ 0.", "ange t.ex. 50")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lowest:
            problems.add(message, column=key, values=[value], fix=example)
    problems.raise_if_any()


def _area_ids(table: pd.DataFrame) -> pd.Index:
    if AREA_ID in table.columns:
        return pd.Index(table[AREA_ID].astype(str))
    return pd.Index(table.index.astype(str))


def _rate_columns(table: pd.DataFrame, catalogue: Catalogue,
                  indicators: Sequence[str]) -> tuple[RateColumns, ...]:
    ids = known_indicators(catalogue, indicators)
    rates = []
    for ind_id in ids:
        ind = catalogue[ind_id]
        if ind.numerator is not None and ind.denominator is not None:
            rates.append(RateColumns(ind_id, ind.numerator, ind.denominator,
                                     float(ind.per or 1), ind.unit))
    problems = Problems(IndicatorTableError)
    gaps = missing_columns(table, catalogue, [r.indicator for r in rates])
    for ind_id, cols in gaps.items():
        problems.add(f"kolumner saknas för indikatorn '{ind_id}'.", values=cols,
                     fix="lägg till kolumnerna eller välj bort indikatorn")
    used = dict.fromkeys(c for r in rates for c in (r.numerator, r.denominator)
                         if c in table.columns)
    for col in used:
        if not pd.api.types.is_numeric_dtype(table[col]):
            problems.add("kolumnen är inte numerisk.", column=col,
                         fix="läs tabellen med validate_indicator_table före röjandekontrollen")
    problems.raise_if_any()
    return tuple(rates)


def apply_disclosure(table: pd.DataFrame, catalogue: Catalogue, indicators: Sequence[str], *,
                     threshold: int = DEFAULT_THRESHOLD,
                     min_population: int = DEFAULT_MIN_POPULATION,
                     totals_published: bool = True) -> Disclosure:
    """Suppress small counts of the selected rate indicators (rules in the module docstring).

    ``table`` is a validated indicator table (indexed by ``area_id``, as
    :func:`indicators.table.validate_indicator_table` returns it) or has an
    ``area_id`` column. It is not changed; the returned :class:`Disclosure` holds
    a copy with the suppressed cells missing.
    """
    _check_settings(threshold, min_population)
    threshold, min_population = int(threshold), int(min_population)
    rates = _rate_columns(table, catalogue, indicators)
    ids = _area_ids(table)
    out = table.copy()

    numerators = list(dict.fromkeys(r.numerator for r in rates))
    hidden = {col: np.zeros(len(table), dtype=bool) for col in numerators}
    reasons: dict[tuple[str, int], str] = {}

    for col in numerators:
        x = table[col].to_numpy(dtype=float)
        mask = (x > 0) & (x < threshold)
        hidden[col] |= mask
        for i in np.flatnonzero(mask):
            reasons[(col, int(i))] = primary_reason(threshold)

    for r in rates:
        num = table[r.numerator].to_numpy(dtype=float)
        den = table[r.denominator].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            rest = den - num
        mask = (rest > 0) & (rest < threshold) & ~hidden[r.numerator]
        hidden[r.numerator] |= mask
        for i in np.flatnonzero(mask):
            reasons[(r.numerator, int(i))] = rest_reason(threshold, r.denominator)

    unprotected = []
    if totals_published:
        for col in numerators:
            if hidden[col].sum() != 1:
                continue
            x = table[col].to_numpy(dtype=float)
            shown = ~hidden[col] & np.isfinite(x)
            candidates = np.flatnonzero(shown & (x > 0))
            if not len(candidates):
                candidates = np.flatnonzero(shown)
            if not len(candidates):
                unprotected.append(col)
                continue
            pick = int(candidates[np.argmin(x[candidates])])   # argmin: first of ties
            hidden[col][pick] = True
            only = int(np.flatnonzero(hidden[col] & (np.arange(len(x)) != pick))[0])
            reasons[(col, pick)] = secondary_reason(ids[only])

    for col in numerators:
        if hidden[col].any():
            values = out[col].astype(float)     # a copy: the input is never changed
            values.iloc[np.flatnonzero(hidden[col])] = np.nan
            out[col] = values

    order = {col: k for k, col in enumerate(table.columns)}
    rows = sorted(reasons.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    suppressed = pd.DataFrame([(ids[i], col, why) for (col, i), why in rows],
                              columns=list(SUPPRESSED_COLUMNS))
    return Disclosure(table=out, suppressed=suppressed,
                      small_areas=_small_areas(table, ids, rates, min_population),
                      threshold=threshold, min_population=min_population,
                      totals_published=totals_published, rates=rates,
                      unprotected=tuple(unprotected))


def _small_areas(table: pd.DataFrame, ids: pd.Index, rates: Sequence[RateColumns],
                 min_population: int) -> pd.DataFrame:
    """Areas whose smallest denominator (over those with a value; the first column of
    ties) is below ``min_population``; areas without any denominator are skipped."""
    dens = list(dict.fromkeys(r.denominator for r in rates))
    rows = []
    if dens:
        values = table[dens].astype(float).to_numpy(dtype=float)
        present = ~np.isnan(values)
        smallest = np.where(present, values, np.inf).min(axis=1, initial=np.inf)
        # The first column holding the minimum (NaN never equals it), as idxmin.
        first = np.argmax(values == smallest[:, None], axis=1)
        small = present.any(axis=1) & (smallest < min_population)
        for i in np.flatnonzero(small):
            col = str(dens[first[i]])
            population = float(values[i, first[i]])
            rows.append((ids[i], population,
                         f"minsta målgruppen ('{col}') är {population:g}, färre än "
                         f"{min_population}: andelarna är osäkra"))
    return pd.DataFrame(rows, columns=list(SMALL_AREA_COLUMNS)).astype(
        {"population": float})


# -- test helper -----------------------------------------------------------------------

_SPLIT = re.compile(r"[,;\t|\s\"'<>=:()\[\]{}/]+")
_GROUP_SPACE = re.compile(r"(?<=\d)[\u00a0\u2007\u2009\u202f](?=\d{3})")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _as_number(text: str) -> float | None:
    text = _GROUP_SPACE.sub("", text.strip())
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", "."))


def _same(value: float | None, target: float) -> bool:
    return value is not None and math.isclose(value, target, rel_tol=1e-9, abs_tol=1e-9)


def _rate_forms(rate: float, unit: str) -> set[str]:
    """How a rate can be written: as the app shows it and as a machine writes it."""
    forms = {format_number(rate, 2), f"{rate:.2f}", repr(rate), f"{rate:.15g}",
             f"{rate:.10g}", f"{rate:.6g}"}
    forms = {f for f in forms if "." in f or "," in f}   # a bare integer is no evidence
    forms.add(f"{format_number(rate, 1)} {unit}".strip())   # the area profile's form
    return forms


def _delimited(text: str, column: str) -> tuple[list[list[str]], int] | None:
    """The rows of a delimited text whose header names ``column``, and its position."""
    header = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        fields = next(csv.reader([header], delimiter=delimiter))
        if column in fields:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
            return rows, fields.index(column)
    return None


def check_no_leak(text: str, disclosure: Disclosure, table: pd.DataFrame) -> list[str]:
    """Values of suppressed cells found in an output text; [] when none is found.

    ``table`` is the table *before* disclosure control. For each suppressed cell:

    * the rates built on it are searched for everywhere, in the app's Swedish
      format (two decimals; one decimal followed by the unit, as in the area
      profile) and as a machine writes floats (``repr``, two decimals with a
      point, 6, 10 and 15 significant digits); a rate that is a whole number
      (3 of 100 is 3.0 %) only on the lines that name the area;
    * the count itself on the lines that name the area id: in a delimited text
      whose header names the column, in that column, and in every field of the
      area's row that is not a shown column of the table; in any other text, as
      any number on such a line.

    The search is cautious: a number that merely happens to equal a suppressed
    value is reported too, so use distinctive values in tests.
    """
    ids = _area_ids(table)
    position = {area: i for i, area in enumerate(ids)}
    hidden = {(str(a), str(c)) for a, c in zip(disclosure.suppressed[AREA_ID],
                                                  disclosure.suppressed["column"], strict=True)}
    lines = text.splitlines()
    leaks: list[str] = []
    for area, col in sorted(hidden):
        i = position[area]
        count = float(table[col].iloc[i])
        where = f"område {area}, kolumn '{col}'"
        name = re.compile(rf"(?<![\w-]){re.escape(area)}(?![\w-])")
        area_lines = [line for line in lines if name.search(line)]
        for r in disclosure.rates:
            if r.numerator != col:
                continue
            den = float(table[r.denominator].iloc[i])
            if not den > 0 or count == 0:
                continue
            rate = count / den * r.per
            # A whole number (3 of 100 is 3.0 %) is no evidence on another area's line.
            scope = area_lines if _same(float(round(rate)), rate) else [text]
            for form in sorted(_rate_forms(rate, r.unit)):
                found = re.compile(rf"(?<!\d)(?<!\d\.){re.escape(form)}(?!\d)(?!\.\d)")
                if any(found.search(part) for part in scope):
                    leaks.append(f"{where}: andelen {form} ({r.indicator}) finns i texten")
        delimited = _delimited(text, col)
        if delimited is not None:
            rows, at = delimited
            header = rows[0]
            shown = {k for k, field in enumerate(header)
                     if field in table.columns and (area, field) not in hidden
                     and field != col}
            for row in rows[1:]:
                if area not in row:
                    continue
                for k, field in enumerate(row):
                    if (k == at or k not in shown) and _same(_as_number(field), count):
                        leaks.append(f"{where}: antalet {count:g} finns i kolumnen "
                                     f"'{header[k] if k < len(header) else k}'")
            continue
        for line in area_lines:
            for token in _SPLIT.split(_GROUP_SPACE.sub("", line)):
                if _same(_as_number(token), count):
                    leaks.append(f"{where}: antalet {count:g} finns på raden för området")
                    break
    return leaks
