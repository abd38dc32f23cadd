"""Validation of indicator tables and derivation of indicator values.

An indicator table has one row per area, keyed by ``area_id``, and holds counts
with their denominators (for rate indicators) or ready values (named by the
indicator id). Rates are derived here, never read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.errors import IndicatorTableError, Problems
from indicators.swedish import MISSING_SYMBOLS, parse_number


def _non_numeric(series: pd.Series) -> tuple[pd.Series, list[object]]:
    """Coerce to float; return the coerced series and the values that are not finite numbers.

    Text is read the Swedish or the English way (decimal comma or point, spaces between
    thousands); SCB's symbols ``..``, ``.`` and ``-`` and empty cells are missing, never 0.
    Infinite values count as not numeric: one ``inf`` would make the whole indicator
    neutral under z-score and min-max normalisation.
    """
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.astype(float)
        return values, list(series[np.isinf(values)])
    text = series.astype("string").str.strip()
    text = text.mask((text == "") | text.isin(list(MISSING_SYMBOLS)), pd.NA)
    parsed = {v: parse_number(v) for v in text.dropna().unique()}
    coerced = text.map(lambda v: np.nan if pd.isna(v) or parsed[v] is None else parsed[v],
                       na_action=None).astype(float)
    bad = text[coerced.isna() & text.notna()]
    return coerced, list(bad)


def validate_indicator_table(table: pd.DataFrame, catalogue: Catalogue,
                             source: str = "indikatortabell") -> pd.DataFrame:
    """Check an indicator table and return it indexed by area id with numeric columns.

    Checked: the ``area_id`` column exists, has no empty or duplicate ids; every
    column that a catalogue indicator uses is numeric; counts are not negative;
    a share (``per`` = 100) has its numerator no larger than its denominator.
    Empty cells are allowed and mean "missing"; what happens to them is the
    analysis' missing-data policy. All problems are raised together.
    """
    problems = Problems(IndicatorTableError, source)
    if AREA_ID not in table.columns:
        problems.add("kolumnen med områdeskod saknas.", column=AREA_ID,
                     values=list(table.columns),
                     fix=f"döp kolumnen med områdeskoder (t.ex. regsokod) till '{AREA_ID}'")
        problems.raise_if_any()
    ids = table[AREA_ID].astype("string").str.strip()
    if ids.isna().any() or (ids == "").any():
        rows = [int(i) + 2 for i in np.flatnonzero((ids.isna() | (ids == "")).to_numpy())]
        problems.add("tomma områdeskoder på rad (räknat med rubrikraden).", column=AREA_ID,
                     values=rows, fix="fyll i koden eller ta bort raden")
    dup = sorted(set(ids[ids.duplicated() & ids.notna() & (ids != "")]))
    if dup:
        problems.add("områdeskoder förekommer mer än en gång.", column=AREA_ID, values=dup,
                     fix="en rad per område; summera eller ta bort dubbletterna")

    used: dict[str, None] = {}
    for ind in catalogue.values():
        for col in ind.columns:
            if col in table.columns:
                used[col] = None
    out = pd.DataFrame(index=pd.Index(ids, name=AREA_ID))
    for col in used:
        values, bad = _non_numeric(table[col])
        if bad:
            problems.add("värden som inte är tal.", column=col, values=bad,
                         expected="ändliga tal (decimalkomma eller punkt), eller tom cell, "
                                  "'..', '.' eller '-' för saknat",
                         fix="rätta värdena eller töm cellerna")
        out[col] = values.to_numpy()

    checked: set[str] = set()   # a denominator shared by several rates is reported once
    for ind in catalogue.values():
        if not ind.is_rate or not all(c in out.columns for c in ind.columns):
            continue
        num, den = out[ind.numerator], out[ind.denominator]
        for col, series in ((ind.numerator, num), (ind.denominator, den)):
            if col in checked:
                continue
            checked.add(col)
            neg = series[series < 0]
            if len(neg):
                problems.add("negativa antal.", column=col,
                             values=[f"{a}: {v:g}" for a, v in neg.items()],
                             fix="antal kan inte vara negativa; rätta källdata")
        if ind.per == 100:
            over = out.index[(num > den).to_numpy()]
            if len(over):
                problems.add(f"täljaren '{ind.numerator}' är större än nämnaren för andelen "
                             f"'{ind.id}'.", column=ind.numerator, values=list(over),
                             fix=f"kontrollera att '{ind.denominator}' är rätt befolkning")
    problems.raise_if_any()
    return out


def missing_columns(table: pd.DataFrame, catalogue: Catalogue,
                    indicators: Iterable[str]) -> dict[str, list[str]]:
    """For each indicator, the table columns it needs but the table lacks."""
    gaps = {}
    for ind_id in indicators:
        lack = [c for c in catalogue[ind_id].columns if c not in table.columns]
        if lack:
            gaps[ind_id] = lack
    return gaps


def available_indicators(table: pd.DataFrame, catalogue: Catalogue) -> tuple[str, ...]:
    """Catalogue indicators whose columns are all in the table, in catalogue order."""
    return tuple(i for i in catalogue if not missing_columns(table, catalogue, [i]))


def derive_values(table: pd.DataFrame, catalogue: Catalogue,
                  indicators: Iterable[str]) -> pd.DataFrame:
    """Indicator values per area: rates from numerator/denominator x per, others as given.

    ``table`` is a validated table (see :func:`validate_indicator_table`). A rate
    whose denominator is 0 or missing is missing.
    """
    values = {}
    for ind_id in indicators:
        ind = catalogue[ind_id]
        if ind.numerator is not None and ind.denominator is not None and ind.per is not None:
            den = table[ind.denominator].where(table[ind.denominator] > 0)
            values[ind_id] = table[ind.numerator] / den * ind.per
        else:
            values[ind_id] = table[ind_id]
    return pd.DataFrame(values, index=table.index)


def pooled_values(table: pd.DataFrame, catalogue: Catalogue,
                  indicators: Iterable[str]) -> pd.Series:
    """Each indicator for all areas together (the municipality, as a reference value):
    a rate is the sum of its numerators over the sum of its denominators, over the areas
    that have both; a plain value (no counts) is the mean over the areas, unweighted."""
    numeric: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        if name not in numeric:
            numeric[name] = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
        return numeric[name]

    out = {}
    for ind_id in indicators:
        ind = catalogue[ind_id]
        if ind.is_rate:
            num, den = column(ind.numerator), column(ind.denominator)
            both = ~np.isnan(num) & ~np.isnan(den)
            total = den[both].sum()
            out[ind_id] = num[both].sum() / total * ind.per if total > 0 else np.nan
        else:
            values = column(ind_id)
            out[ind_id] = values[~np.isnan(values)].mean() if (~np.isnan(values)).any() \
                else np.nan
    return pd.Series(out, dtype=float)


# -- content keys, for the shell's cache of the weight-independent stage ------------------

def table_key(table: pd.DataFrame) -> bytes:
    """A digest of everything in ``table`` that a computation can read: the column labels
    and dtypes, the index and every value, so that two tables with the same key hold the
    same data (up to a 160-bit hash collision) and a table changed in place gets a new key.

    Numeric and bool columns are hashed by their bytes (``-0.0`` and ``0.0``, or two NaN
    payloads, differ: a key never joins values a computation could tell apart); other
    columns by ``pandas.util.hash_pandas_object`` together with their missing-value mask
    and, for an object column holding more than text, the type of every value (the hash
    itself reads ``None`` as ``"None"`` and ``1`` as ``"1"``). About 1 ms for Huddinge's
    table and 2 ms for all of Sweden's RegSO; computed anew on every call, never memoised
    by identity.
    """
    digest = hashlib.blake2b(digest_size=20)
    index = table.index
    header: list[object] = [table.shape, list(table.columns), [str(d) for d in table.dtypes],
                            type(index).__name__, str(index.dtype), list(index.names)]
    if isinstance(index, pd.RangeIndex):
        header.append((index.start, index.stop, index.step))
    else:
        digest.update(_hash_other(index))
    digest.update(repr(header).encode("utf-8"))
    # Numeric columns of one numpy dtype as one block (which columns: the header says);
    # one Series per column would cost more than the hashing.
    blocks: dict[np.dtype, list[int]] = {}
    others = []
    for k, dtype in enumerate(table.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
            blocks.setdefault(dtype, []).append(k)
        else:
            others.append(k)
    for dtype, positions in blocks.items():
        array = table.iloc[:, positions].to_numpy(dtype=dtype)
        digest.update(repr((str(dtype), positions)).encode("utf-8"))
        digest.update(np.ascontiguousarray(array).view(np.uint8))
    for k in others:
        digest.update(_hash_other(table.iloc[:, k]))
    return digest.digest()


def _hash_other(values: pd.Series | pd.Index) -> bytes:
    """Bytes that tell apart two non-numeric columns (or indexes) with different values."""
    parts = [pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes(),
             np.asarray(pd.isna(values), dtype=bool).tobytes()]
    array = np.asarray(values, dtype=object) if values.dtype == object else None
    if array is not None and pd.api.types.infer_dtype(array, skipna=True) not in (
            "string", "empty"):
        parts.append("|".join(type(v).__qualname__ for v in array).encode("utf-8"))
    return b"".join(parts)


def column_uses(columns: Iterable[str], catalogue: Catalogue, ignore: Iterable[str] = (),
                text: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """What became of each column of a table: (column, use, why), in the table's order.

    A column is an indicator's numerator, denominator or value when the catalogue names it
    and the indicator's other column is there too; otherwise it is left out, and ``why``
    says what is missing (the indicator's other column, or an entry in the catalogue).
    ``text`` columns (names, codes) are left out as such; ``ignore`` is not reported."""
    columns, ignore, text = list(columns), set(ignore), set(text)
    present = set(columns)
    uses: list[tuple[str, str, str]] = []
    for column in columns:
        if column in ignore:
            continue
        if column in text:
            uses.append((column, "används inte", "text, inga tal (namn eller koder)"))
            continue
        roles = []
        lacking = []
        for ind in catalogue.values():
            if column not in ind.columns:
                continue
            other = [c for c in ind.columns if c not in present]
            if other:
                lacking.append(f"'{ind.name}' behöver också {', '.join(repr(c) for c in other)}")
            elif ind.is_rate:
                role = "täljare" if column == ind.numerator else "nämnare"
                roles.append(f"{role} i '{ind.name}'")
            else:
                roles.append(f"värde för '{ind.name}'")
        if roles:
            uses.append((column, "indikator", "; ".join(roles)))
        elif lacking:
            uses.append((column, "används inte", "; ".join(lacking)))
        else:
            uses.append((column, "används inte",
                         "katalogen känner inte kolumnen: lägg till en indikator som använder "
                         "den (namn, domän, riktning, täljare och nämnare)"))
    return uses
