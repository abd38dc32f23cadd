"""Disclosure control (röjandekontroll) of small counts of persons, on by default.

A count of one to four young people in a small area can point out individuals. Such a
count must not be published, and nothing published may be computed from its exact value:
not a rate, a score, a rank, a total or a digest. So a hidden count is **censored**: it
is replaced, for everything the tool computes, by the midpoint of the band it is known
to lie in (1–4 with the default threshold), and the Monte Carlo varies it over that band
(:mod:`indicators.uncertainty`). Every output is then a function of the shown counts and
the bands alone: change a hidden count within its band and no byte of any output
changes. That is what the leak tests check (``tests/test_leak_attack.py``), by
differencing exports of several levels, rebuilding denominators from rates and
inverting scores, and by the invariance itself. Ranking on the band midpoint instead of
dropping the cell and reweighting keeps the ranking close to the unprotected one: the
areas with hidden cells are by construction those with small counts, and dropping them
made those areas look needier (issue 16).

Rules (``threshold`` t, default 5). They apply to the numerators of every rate
indicator of the catalogue that the catalogue marks as a count of persons
(:attr:`indicators.catalogue.Indicator.personal`) and the table can compute, whether
or not it is selected, so that two analyses with other selections hide the same cells:

1. **Few in the group.** A numerator with ``0 < count < t`` is hidden; its band is
   1..t−1. A count of 0 is shown: a rate of 0 over a large population points out no one.
2. **Few outside the group.** A numerator with ``0 < den − count < t`` is hidden too:
   the few who are *not* counted would otherwise be pointed out. Its band is
   den−t+1..den−1. Where the two bands meet (den ≤ 2t−2) the band is their union, so
   that the reason shown does not narrow the value.
3. **Hidden at the source.** A cell that arrived hidden (SCB's ``..``) is censored
   the same way, with the band 1..t−1 (clipped to the denominator).

Hidden cells are censored at the level the data are **held** (:class:`Held`): a DeSO
table summed to RegSO, kommundelar or merged areas is censored per DeSO before it is
summed, so that no coarser area's count contains an exact hidden value, and no
difference of two levels gives one back. Then no secondary (complementary) suppression
is needed: a published total is the sum of shown counts and band midpoints, and
subtracting the shown counts leaves only midpoints.

**Small areas.** An area whose young population (:data:`indicators.columns.YOUTH_POPULATION`,
the first column of it the table has) is below ``min_population`` (default 50) is
flagged: its rates are uncertain. It is not hidden.

Run disclosure control before smoothing or any other step that pools areas
(see :mod:`indicators.smoothing`). :func:`check_no_leak` is a test helper that searches
an output text for the values of hidden cells.
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
from indicators.columns import AREA_ID, youth_population
from indicators.errors import IndicatorTableError, Problems, SettingsError
from indicators.swedish import format_number
from indicators.table import missing_columns

DEFAULT_THRESHOLD = 5
DEFAULT_MIN_POPULATION = 50

SUPPRESSED_COLUMNS = (AREA_ID, "column", "reason", "low", "high")
SMALL_AREA_COLUMNS = (AREA_ID, "population", "reason")
LINK_COLUMNS = ("from_id", AREA_ID, "weight")


@dataclass(frozen=True)
class RateColumns:
    """The table columns one rate indicator is built from."""

    indicator: str
    numerator: str
    denominator: str
    per: float
    unit: str = ""


def primary_reason(threshold: int) -> str:
    return f"färre än {threshold} (röjandekontroll): mellan 1 och {threshold - 1}"


def rest_reason(threshold: int, denominator: str) -> str:
    return (f"nämnaren '{denominator}' minus täljaren är färre än {threshold}, så täljaren "
            "skulle avslöja resten (röjandekontroll)")


def union_reason(threshold: int) -> str:
    return (f"färre än {threshold} i gruppen eller utanför den, i en grupp om högst "
            f"{2 * threshold - 2} (röjandekontroll)")


def arrived_reason(threshold: int) -> str:
    return f"dolt redan i källan ('..'): mellan 1 och {threshold - 1}"


def band_text(low: float, high: float) -> str:
    """A band as the outputs write it: "1–4", or "3" when both ends agree."""
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


@dataclass(frozen=True, eq=False)
class Disclosure:
    """The table after disclosure control, and what was done to it.

    ``censored`` is a copy of the input in which every hidden cell holds the midpoint of
    its band: what the analysis computes with. ``table`` is the published form, the
    hidden cells missing (NaN). ``suppressed`` lists the hidden cells (``area_id``,
    ``column``, ``reason``, ``low``, ``high``: the band); ``small_areas`` the flagged
    areas (``area_id``, ``population``: the young population, ``reason``).
    ``youth_column`` is the column the small-area flag reads (None: the table has none).
    """

    table: pd.DataFrame
    censored: pd.DataFrame
    suppressed: pd.DataFrame
    small_areas: pd.DataFrame
    threshold: int
    min_population: int
    rates: tuple[RateColumns, ...] = ()
    youth_column: str | None = None

    def bands(self) -> pd.DataFrame:
        """The hidden cells' bands (``area_id``, ``column``, ``low``, ``high``) for the
        Monte Carlo, which draws each hidden count uniformly from its band."""
        return self.suppressed[[AREA_ID, "column", "low", "high"]].copy()

    def hidden(self, catalogue: Catalogue, indicators: Sequence[str]) -> pd.DataFrame:
        """Area × indicator: True where the indicator's value rests on a hidden count
        (index the table's areas, columns ``indicators``)."""
        ids = _area_ids(self.table)
        out = pd.DataFrame(False, index=ids, columns=list(indicators))
        cells = set(zip(self.suppressed[AREA_ID], self.suppressed["column"], strict=True))
        for ind_id in indicators:
            ind = catalogue.get(ind_id)
            if ind is None or ind.numerator is None:
                continue
            out[ind_id] = [(a, ind.numerator) in cells for a in ids]
        return out

    def notes(self) -> list[str]:
        """Swedish notes for the report and the app."""
        t = self.threshold
        notes = []
        if len(self.suppressed) == 0:
            notes.append(f"Röjandekontroll: inga antal personer under {t} behövde döljas. "
                         "Antalet 0 visas.")
        else:
            reasons = self.suppressed["reason"]
            arrived = int((reasons == arrived_reason(t)).sum())
            own = len(reasons) - arrived
            if own:
                notes.append(
                    f"Röjandekontroll: {own} antal personer under {t} (eller med färre än {t} "
                    "utanför gruppen) visas inte, och inte heller andelarna som bygger på dem. "
                    "I beräkningarna ersätts ett dolt antal med mitten av sitt intervall "
                    f"(1–{t - 1} ger 2,5) och varieras över intervallet i osäkerhetsberäkningen, "
                    "så att inget resultat beror på det verkliga värdet. Antalet 0 visas.")
            if arrived:
                notes.append(f"{arrived} antal var dolda redan i källan ('..') och behandlas "
                             f"på samma sätt: som ett värde mellan 1 och {t - 1}, inte som "
                             "saknat.")
        if len(self.small_areas):
            areas = ", ".join(str(a) for a in self.small_areas[AREA_ID])
            notes.append(f"{len(self.small_areas)} områden har färre än {self.min_population} "
                         f"{self.youth_column or 'personer i målgruppen'}; deras andelar är "
                         f"osäkra: {areas}.")
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


def personal_rates(table: pd.DataFrame, catalogue: Catalogue) -> tuple[RateColumns, ...]:
    """Every rate indicator of ``catalogue`` that counts persons and whose two columns
    ``table`` has: the columns disclosure control protects."""
    return tuple(RateColumns(i.id, i.numerator, i.denominator, float(i.per or 1), i.unit)
                 for i in catalogue.values()
                 if i.numerator is not None and i.denominator is not None and i.personal
                 and i.numerator in table.columns and i.denominator in table.columns)


def _check_table(table: pd.DataFrame, catalogue: Catalogue, indicators: Sequence[str],
                 rates: Sequence[RateColumns]) -> None:
    ids = known_indicators(catalogue, indicators)
    problems = Problems(IndicatorTableError)
    gaps = missing_columns(table, catalogue, [i for i in ids if catalogue[i].is_rate])
    for ind_id, cols in gaps.items():
        problems.add(f"kolumner saknas för indikatorn '{ind_id}'.", values=cols,
                     fix="lägg till kolumnerna eller välj bort indikatorn")
    used = dict.fromkeys(c for r in rates for c in (r.numerator, r.denominator))
    for col in used:
        if not pd.api.types.is_numeric_dtype(table[col]):
            problems.add("kolumnen är inte numerisk.", column=col,
                         fix="läs tabellen med validate_indicator_table före röjandekontrollen")
    problems.raise_if_any()


def _rest_band(den: float, threshold: int) -> tuple[float, float]:
    """The whole counts c with 0 < den − c < threshold."""
    low = max(0.0, math.ceil(den - threshold + 1))
    return low, max(low, math.ceil(den) - 1)


def _band(count: float, den: float, threshold: int) -> tuple[float, float, str]:
    """The band of a hidden count, as its denominator and the threshold give it."""
    t = threshold
    primary = 0 < count < t
    if not np.isfinite(den):
        return 1.0, float(t - 1), "primary"
    if den <= 2 * t - 2:
        # The two bands meet: their union, so that the reason does not narrow the value.
        low = 1.0 if den >= 1 else 0.0
        rest_low, rest_high = _rest_band(den, t)
        low = min(low, rest_low) if rest_high >= rest_low else low
        high = max(min(float(t - 1), math.floor(den)), rest_high)
        return low, max(low, high), "union"
    if primary:
        return 1.0, float(t - 1), "primary"
    low, high = _rest_band(den, t)
    return low, high, "rest"


def apply_disclosure(table: pd.DataFrame, catalogue: Catalogue, indicators: Sequence[str] = (),
                     *, threshold: int = DEFAULT_THRESHOLD,
                     min_population: int = DEFAULT_MIN_POPULATION,
                     arrived: pd.DataFrame | None = None) -> Disclosure:
    """Hide and censor the small counts of persons in ``table`` (rules in the module
    docstring).

    ``table`` is a validated indicator table (indexed by ``area_id``, as
    :func:`indicators.table.validate_indicator_table` returns it) or has an ``area_id``
    column. ``indicators`` are the selected ones: each must have its columns; the rules
    apply to every personal rate indicator the table can compute. ``arrived``: cells
    (``area_id``, ``column``) that arrived hidden. The input is not changed.
    """
    _check_settings(threshold, min_population)
    t, min_population = int(threshold), int(min_population)
    rates = personal_rates(table, catalogue)
    _check_table(table, catalogue, indicators, rates)
    ids = _area_ids(table)
    position = {a: i for i, a in enumerate(ids)}
    censored = table.copy()
    published = table.copy()
    reasons: dict[tuple[str, int], tuple[str, float, float]] = {}
    dens_of: dict[str, str] = {}
    for r in rates:
        dens_of.setdefault(r.numerator, r.denominator)

    if arrived is not None and len(arrived):
        for area, col in zip(arrived[AREA_ID].astype(str), arrived["column"], strict=True):
            if col not in dens_of or area not in position:
                continue
            i = position[area]
            den = float(table[dens_of[col]].iloc[i])
            high = float(t - 1) if not np.isfinite(den) else float(
                max(1, min(t - 1, math.floor(den))))
            reasons[(col, i)] = (arrived_reason(t), 1.0, high)

    for r in rates:
        num = table[r.numerator].to_numpy(dtype=float)
        den = table[r.denominator].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            rest = den - num
        mask = ((num > 0) & (num < t)) | ((rest > 0) & (rest < t))
        for i in np.flatnonzero(mask):
            if (r.numerator, int(i)) in reasons:
                continue
            low, high, kind = _band(float(num[i]), float(den[i]), t)
            why = {"primary": primary_reason(t), "rest": rest_reason(t, r.denominator),
                   "union": union_reason(t)}[kind]
            reasons[(r.numerator, int(i))] = (why, low, high)

    for col in dict.fromkeys(c for c, _ in reasons):
        rows = sorted(i for c, i in reasons if c == col)
        middle = [(reasons[(col, i)][1] + reasons[(col, i)][2]) / 2 for i in rows]
        values = censored[col].astype(float)     # copies: the input is never changed
        values.iloc[rows] = middle
        censored[col] = values
        hidden = published[col].astype(float)
        hidden.iloc[rows] = np.nan
        published[col] = hidden

    order = {col: k for k, col in enumerate(table.columns)}
    rows = sorted(reasons.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    suppressed = pd.DataFrame([(ids[i], col, why, low, high)
                               for (col, i), (why, low, high) in rows],
                              columns=list(SUPPRESSED_COLUMNS)).astype(
        {"low": float, "high": float})
    youth = youth_population(table)
    return Disclosure(table=published, censored=censored, suppressed=suppressed,
                      small_areas=_small_areas(youth, min_population), threshold=t,
                      min_population=min_population, rates=rates,
                      youth_column=youth[1] if youth is not None else None)


def _small_areas(youth: tuple[pd.Series, str] | None, min_population: int) -> pd.DataFrame:
    """Areas whose young population is below ``min_population``; areas without a value
    are not flagged."""
    rows = []
    if youth is not None:
        values, label = youth
        for area, population in values.items():
            if np.isfinite(population) and population < min_population:
                rows.append((str(area), float(population),
                             f"{label} är {population:g}, färre än {min_population}: "
                             "andelarna är osäkra"))
    return pd.DataFrame(rows, columns=list(SMALL_AREA_COLUMNS)).astype({"population": float})


# -- the level the data are held at ---------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Held:
    """Counts as held, before they were summed or moved to the areas analysed.

    ``table`` has an ``area_id`` column and the count columns, one row per held area
    (e.g. DeSO); ``link`` (``from_id``, ``area_id``, ``weight``) says how much of each
    held area's counts goes to each analysed area (1 when summed; a share when moved by
    area or population); ``history``: earlier years' held tables; ``arrived``: cells
    (``area_id``, ``column``) of the held table that arrived hidden; ``level``: its name.
    """

    level: str
    table: pd.DataFrame
    link: pd.DataFrame
    history: tuple[tuple[int, pd.DataFrame], ...] = ()
    arrived: pd.DataFrame | None = None

    def then(self, link: pd.DataFrame) -> Held:
        """These counts carried one step further, by ``link`` (``from_id`` the current
        areas, ``area_id`` the next, ``weight``)."""
        step = link.rename(columns={"from_id": "_mid", AREA_ID: "_next", "weight": "_w"})
        joined = self.link.merge(step, left_on=AREA_ID, right_on="_mid", how="inner")
        joined["weight"] = joined["weight"] * joined["_w"]
        composed = (joined.groupby(["from_id", "_next"], sort=True, as_index=False)["weight"]
                    .sum().rename(columns={"_next": AREA_ID}))
        return Held(self.level, self.table, composed[list(LINK_COLUMNS)], self.history,
                    self.arrived)


def identity_link(ids: Sequence[str]) -> pd.DataFrame:
    ids = [str(a) for a in ids]
    return pd.DataFrame({"from_id": ids, AREA_ID: ids, "weight": 1.0})


def carry_censored(held_table: pd.DataFrame, censored: pd.DataFrame, link: pd.DataFrame,
                   current: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``current`` (``area_id`` column) with each of ``columns`` recomputed from the
    censored held counts for the areas that a changed held cell reaches: the weighted
    sum over the link, missing when any member with weight is missing. The other areas
    keep their values, bit for bit."""
    out = current.copy()
    ids = out[AREA_ID].astype(str)
    before = held_table.set_index(held_table[AREA_ID].astype(str))
    after = censored.set_index(censored[AREA_ID].astype(str))
    for col in columns:
        if col not in before.columns or col not in out.columns:
            continue
        old = before[col].astype(float)
        new = after[col].astype(float)
        changed = ~((old == new) | (old.isna() & new.isna()))
        if not changed.any():
            continue
        touched = set(link.loc[link["from_id"].isin(set(old.index[changed])), AREA_ID])
        part = link[link[AREA_ID].isin(touched)]
        values = new.reindex(part["from_id"]).to_numpy(dtype=float) * part["weight"].to_numpy()
        sums = pd.Series(values, index=part[AREA_ID].to_numpy()).groupby(level=0).sum(
            min_count=1)
        gaps = pd.Series(np.isnan(values), index=part[AREA_ID].to_numpy()).groupby(
            level=0).any()
        sums[gaps.reindex(sums.index).to_numpy()] = np.nan
        rows = ids.isin(touched).to_numpy()
        column = out[col].to_numpy(dtype=float, copy=True)
        column[rows] = sums.reindex(ids[rows]).to_numpy()
        out[col] = column
    return out


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
