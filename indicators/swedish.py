"""Numbers written the Swedish way: parsing numbers from tables (decimal comma, spaces
between thousands, SCB's symbols for missing values) and formatting every number a person
reads (:func:`format_number` and its kin)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

import numpy as np
import pandas as pd

# SCB's symbols (teckenförklaring) and what they mean. All three are read as missing.
MISSING_SYMBOLS: dict[str, str] = {
    "..": "'..': uppgift inte tillgänglig eller för osäker för att anges (SCB)",
    ".": "'.': uppgift kan inte förekomma (SCB)",
    "-": "'-': noll, inget att redovisa (SCB); läses som saknat, inte som 0",
}

_SPACES = re.compile(r"[ \u00a0\u2007\u2009\u202f]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u2007\u2009\u202f]\d{3})+(?:[.,]\d+)?")


def parse_number(text: str) -> float | None:
    """A number written the Swedish or the English way, or ``None`` if it is not one.

    ``'1 234,5'`` (also with non-breaking or thin spaces), ``'1234.5'``, ``'−3'`` and
    ``'1e-3'`` parse; ``'1,234'`` is 1.234 (decimal comma). Infinite values do not parse.
    """
    t = text.strip().replace("\u2212", "-")
    if _GROUPED.fullmatch(t):
        t = _SPACES.sub("", t)
    if not _NUMBER.fullmatch(t):
        return None
    value = float(t.replace(",", "."))
    return value if np.isfinite(value) else None


# -- writing numbers for people ------------------------------------------------------------
#
# One rule for every number a person reads (maps, report, app, messages): a decimal comma,
# a narrow no-break space (U+202F) between thousands, "–" for a missing value. Narrow as
# the thin space the maps and the report used before, but a line never breaks inside a
# number (a caption read "Budget 3 000" / "000 kr"); parse_number reads both back.

THOUSANDS = "\u202f"
MISSING = "–"


def is_missing(value: object) -> bool:
    """None, NaN or pandas' NA/NaT: a value that is shown as "–"."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and NA are not equal to themselves
    except (TypeError, ValueError):  # NA's comparison is ambiguous
        return True


def format_number(value: float | None, decimals: int = 2, *, trim: bool = False) -> str:
    """``value`` with ``decimals`` decimals the Swedish way: 1234.5 -> '1 234,50' (thin
    space), missing -> '–'. With ``trim``, trailing zeros go: 72.50 -> '72,5', 80.00 -> '80'."""
    if is_missing(value):
        return MISSING
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and not text.strip("-0.,"):   # -0.001 -> '0,00', not '-0,00'
        text = text[1:]
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", THOUSANDS).replace(".", ",")


def format_integer(value: int | float | None) -> str:
    """A whole number (rounded): 10000 -> '10 000'."""
    return format_number(value, 0)


def format_kronor(value: int | float | None) -> str:
    """An amount in whole kronor: 1234567 -> '1 234 567 kr' (thin space), missing -> '–'."""
    return MISSING if is_missing(value) else f"{format_integer(value)} kr"


def format_percent(percent: float | None, decimals: int = 1) -> str:
    """Percentage points with at most ``decimals`` decimals and without a trailing ',0':
    18.34 -> '18,3 %', 1.0 -> '1 %', missing -> '–'. Pass a share times 100."""
    if is_missing(percent):
        return MISSING
    return format_number(percent, decimals).removesuffix(",0") + " %"


def format_significant(value: float, digits: int = 4) -> str:
    """``digits`` significant digits, decimal comma: 0.04999 -> '0,04999', 1.2e-05 ->
    '1,2e-05' (test statistics and p-values)."""
    return f"{value:.{digits}g}".replace(".", ",")


def format_bytes(n: float) -> str:
    """A byte count for people: '512 byte', '3,2 kB', '200 MB' (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{format_number(n / scale, 1).removesuffix(',0')} {unit}"
    return f"{int(n)} byte"


def format_rank_span(low: float, high: float) -> str:
    """A rank interval: '3–6', or '1' when both ends agree; '–' when unknown."""
    if is_missing(low):
        return MISSING
    return f"{low:.0f}" if low == high else f"{low:.0f}–{high:.0f}"


# Columns whose numbers are names, not amounts: a year or a code is written as it is
# ("2023", not "2 023"). Matched on the header, case-insensitively.
_PLAIN_HEADER = re.compile(r"(?i)(^|[\s(])(år|årtal|year|basår|målår)($|[\s)])|kod|^id$")


def format_table(frame: pd.DataFrame, decimals: int | dict[str, int] | None = None, *,
                 plain: tuple[str, ...] = ()) -> pd.DataFrame:
    """``frame`` as text for people, every number written by :func:`format_number`: a
    decimal comma, a thin space between thousands, "–" for a missing value (never "None"
    or "nan"). Browsers' table widgets write numbers the English way ("2.82"), so a table a
    person reads is sent as text.

    Floats get ``decimals`` decimals (an int for all, or per column); a column without a
    given number keeps the decimals it was rounded to (at most 3: ``round(1)`` gives one
    decimal), trailing zeros kept so that a column lines up. Whole numbers are written
    as integers. Years and codes (a header with "år" or "kod", or one in ``plain``) are
    written without a thousands space. Booleans become "Ja"/"Nej". Text is kept; a missing
    cell in it becomes "–". The index is kept as it is; a new frame is returned.
    """
    out = pd.DataFrame(index=frame.index)
    for position, (column, places, is_plain) in enumerate(_columns(frame, decimals, plain)):
        out[position] = [_cell(v, places, is_plain) for v in column]
    out.columns = frame.columns
    return out


def _columns(frame: pd.DataFrame, decimals: int | dict[str, int] | None,
             plain: tuple[str, ...]) -> Iterator[tuple[pd.Series, int, bool]]:
    """Each column of ``frame`` with its decimals and whether it holds years or codes."""
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        places = decimals.get(str(name)) if isinstance(decimals, dict) else decimals
        if places is None:
            places = _decimals_of(column)
        yield column, places, str(name) in plain or bool(_PLAIN_HEADER.search(str(name)))


def _rounded(value: float, places: int) -> float:
    """``value`` rounded as :func:`format_number` writes it (NaN stays NaN)."""
    return value if value != value else float(f"{value:.{places}f}")


def _decimals_of(column: pd.Series, most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that write every number of ``column`` exactly."""
    values = pd.to_numeric(column, errors="coerce").dropna().to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    for places in range(most):
        if np.allclose(values, values.round(places), rtol=0, atol=1e-9):
            return places
    return most


def _cell(value: object, decimals: int, plain: bool) -> str:
    if is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "Ja" if value else "Nej"
    if isinstance(value, int | np.integer):
        return str(int(value)) if plain else format_integer(int(value))
    if isinstance(value, float | np.floating):
        if plain and float(value).is_integer():
            return str(int(value))
        return format_number(float(value), decimals)
    return str(value)


# -- tables on screen ----------------------------------------------------------------------
#
# The app's table widget sorts a column by its values: numbers sent as text sort as text
# ("10" before "9"). So a table shown on screen keeps its number columns as numbers, and
# says how each is to be written; the app asks the widget for the Swedish form (decimal
# comma, a space between thousands, "–" for missing), see table_widget.py.

PLAIN = -1  # a column of years or codes: written as the whole number it is ("2023")


def screen_table(frame: pd.DataFrame, decimals: int | dict[str, int] | None = None, *,
                 plain: tuple[str, ...] = ()) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` for a sortable table on screen, and how its number columns are written.

    A column of numbers (not booleans) stays numbers, rounded as :func:`format_number`
    rounds (the widget cuts the digits beyond its step: 1.3988 would show as 1,39); the
    second value maps its name to its decimals as :func:`format_table` chooses them
    (``decimals`` for all or per column, else the fewest that write it exactly, at most
    3), or to :data:`PLAIN` for a year or a code.
    Every other column is written as :func:`format_table` writes it: booleans "Ja"/"Nej",
    numbers in a text column Swedish, a missing cell "–". A new frame is returned.
    """
    out = pd.DataFrame(index=frame.index)
    formats: dict[str, int] = {}
    for position, (column, places, is_plain) in enumerate(_columns(frame, decimals, plain)):
        name = frame.columns[position]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = pd.to_numeric(column).astype(float)
            values = values.where(np.isfinite(values))
            if not is_plain:   # rounded as format_number rounds: the widget cuts, not rounds
                values = values.map(partial(_rounded, places=places))
            out[position] = values.to_numpy()
            formats[str(name)] = PLAIN if is_plain else places
        else:
            out[position] = [_cell(v, places, is_plain) for v in column]
    out.columns = frame.columns
    return out, formats
