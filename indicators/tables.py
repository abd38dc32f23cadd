"""Readers for the tables a municipal analyst has: CSV and Excel keyed by area code.

Handles what Swedish files look like in practice: semicolon separators, decimal commas,
spaces (also non-breaking and thin) as thousands separators, UTF-8 with or without byte
order mark or Windows-1252. SCB's symbols ``..``, ``.`` and ``-`` are missing values and
each one is recorded with its reason; any other value that is not a number is an error,
never a zero.

:func:`read_raw_table` returns the cells as text (``indicators.io.read_indicator_table``
uses it); :func:`read_table` also checks the rows and parses numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .codes import add_lost_zero_problem, classify_area_code, lost_leading_zeros, split_vintage
from .columns import AREA_ID
from .errors import PrevmapError, Problem, Problems, TableFileError

CSV_SUFFIXES = frozenset({".csv", ".txt"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})

# SCB's symbols (teckenförklaring) and what they mean. All three are read as missing.
MISSING_SYMBOLS: dict[str, str] = {
    "..": "'..': uppgift inte tillgänglig eller för osäker för att anges (SCB)",
    ".": "'.': uppgift kan inte förekomma (SCB)",
    "-": "'-': noll, inget att redovisa (SCB); läses som saknat, inte som 0",
}
EMPTY_REASON = "tom cell"
CP1252_NOTE = "filen är inte UTF-8 och lästes som Windows-1252 (cp1252)"

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


@dataclass(frozen=True)
class MissingCell:
    """One missing value in a table and why it is missing."""

    row: int | None          # row in the file (1 = first row), None when not known
    column: str
    area: str | None
    value: str               # as written in the file ('' for an empty cell)
    reason: str


@dataclass(frozen=True, eq=False)
class RawTable:
    """A table's cells as text, with where each row came from."""

    frame: pd.DataFrame
    source: str
    sheet: str | None
    rows: tuple[int, ...]            # file row of each frame row
    encoding: str | None = None
    separator: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Table:
    """A checked table: the area code column as text, numeric columns as floats."""

    data: pd.DataFrame
    id_column: str
    source: str
    sheet: str | None
    missing: tuple[MissingCell, ...]
    encoding: str | None = None
    separator: str | None = None
    notes: tuple[str, ...] = ()

    def missing_frame(self) -> pd.DataFrame:
        """The missing cells as a table (row, column, area, value, reason)."""
        return pd.DataFrame([vars(m) for m in self.missing],
                            columns=["row", "column", "area", "value", "reason"])


def separator_of(header: str) -> str:
    """Whichever of ``;``, tab and ``,`` the header line has most of (comma when none)."""
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (a byte order mark is dropped), else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _where(sheet: str | None, rows: Iterable[int] = ()) -> str:
    parts = [f"blad '{sheet}'"] if sheet else []
    rows = list(rows)
    if rows:
        parts.append(("rad " if len(rows) == 1 else "rader ") + ", ".join(map(str, rows)))
    return (", ".join(parts) + ": ") if parts else ""


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def read_raw_table(path: str | Path, *, sheet: str | None = None,
                   error: type[PrevmapError] = TableFileError) -> RawTable:
    """Read a CSV or Excel table as text cells, header in the first non-empty row.

    Errors (raised as ``error``): a missing file, an unknown format, an unknown or empty
    sheet, merged cells, empty or repeated column names.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"Tabellfilen '{path}' finns inte. Kontrollera sökvägen.")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, error)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet, error)
    raise error(f"fil '{path.name}': okänt filformat '{path.suffix}'. "
                "Förväntat: .csv, .txt eller .xlsx.")


def _read_csv(path: Path, error: type[PrevmapError]) -> RawTable:
    text, encoding = decode_text(path.read_bytes())
    notes = (CP1252_NOTE,) if encoding == "cp1252" else ()
    if not text.strip():
        raise error([Problem("filen är tom.", path.name,
                             fix="spara tabellen igen med rubrikrad och data")])
    sep = separator_of(text.splitlines()[0])
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                        skip_blank_lines=False)
    filled = (frame != "").any(axis=1).to_numpy()
    rows = tuple(int(i) + 2 for i in np.flatnonzero(filled))
    frame = frame[filled].reset_index(drop=True)
    header = next(csv.reader(io.StringIO(text.splitlines()[0]), delimiter=sep))
    _check_header([h.strip() for h in header], path.name, None, error)
    return RawTable(frame, path.name, None, rows, encoding, sep, notes)


def _read_excel(path: Path, sheet: str | None, error: type[PrevmapError]) -> RawTable:
    import openpyxl  # only when an Excel file is read

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as err:  # openpyxl raises several types for a broken file
        raise error(f"fil '{path.name}': kan inte läsas som Excel-fil ({err}). "
                    "Åtgärd: spara filen igen som .xlsx.") from None
    if sheet is None:
        ws = book.worksheets[0]
    elif sheet in book.sheetnames:
        ws = book[sheet]
    else:
        raise error([Problem(f"bladet '{sheet}' finns inte.", path.name,
                             values=tuple(book.sheetnames), expected="ett av bladen i filen")])
    problems = Problems(error, path.name)
    if ws.merged_cells.ranges:
        cells = [str(r) for r in ws.merged_cells.ranges]
        problems.add(f"{_where(ws.title)}sammanfogade celler.", values=cells,
                     expected="en rubrikrad med ett namn per kolumn och inga sammanfogade "
                              "celler",
                     fix="dela upp de sammanfogade cellerna (Start > Sammanfoga och centrera "
                         "> Dela upp celler) och ge varje kolumn ett eget namn")
        problems.raise_if_any()
    grid = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    numbered = [(i + 1, row) for i, row in enumerate(grid) if any(row)]
    if not numbered:
        problems.add(f"{_where(ws.title)}bladet är tomt.",
                     expected="en rubrikrad och minst en rad data",
                     fix="välj bladet med tabellen" if len(book.sheetnames) > 1
                     else "kontrollera att rätt fil sparades")
        problems.raise_if_any()
    width = max(max((j + 1 for j, v in enumerate(row) if v), default=0) for _, row in numbered)
    header_row, header = numbered[0]
    header = header[:width] + [""] * (width - len(header))
    _check_header(header, path.name, ws.title, error, first_row=header_row)
    body = [row[:width] + [""] * (width - len(row)) for _, row in numbered[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype(str)
    rows = tuple(i for i, _ in numbered[1:])
    return RawTable(frame, path.name, ws.title, rows)


def _check_header(header: list[str], source: str, sheet: str | None,
                  error: type[PrevmapError], first_row: int = 1) -> None:
    problems = Problems(error, source)
    empty = [i + 1 for i, name in enumerate(header) if not name.strip()]
    if empty:
        problems.add(f"{_where(sheet, [first_row])}kolumner utan namn i rubrikraden.",
                     values=[f"kolumn {i}" for i in empty],
                     fix="ge varje kolumn ett namn i första raden")
    seen: dict[str, int] = {}
    repeated = []
    for name in header:
        if name.strip():
            seen[name] = seen.get(name, 0) + 1
            if seen[name] == 2:
                repeated.append(name)
    if repeated:
        problems.add(f"{_where(sheet, [first_row])}samma kolumnnamn flera gånger.",
                     values=repeated, fix="ge varje kolumn ett eget namn")
    problems.raise_if_any()


def _guess_id_column(frame: pd.DataFrame) -> str:
    if AREA_ID in frame.columns:
        return AREA_ID
    for col in frame.columns:
        values = [v for v in frame[col] if v]
        if values and all(classify_area_code(split_vintage(v)[0]) for v in values):
            return col
    for col in frame.columns:
        values = [v for v in frame[col] if v]
        if values and all(classify_area_code(split_vintage(v)[0])
                          or lost_leading_zeros([v]) for v in values):
            return col
    return str(frame.columns[0])


def _parse_column(texts: Sequence[str], rows: Sequence[int], areas: Sequence[str],
                  labels: Sequence[str]) -> tuple[np.ndarray, list[MissingCell], list[str]] | None:
    """Floats, missing cells and unparseable values of a column; None for a text column."""
    values = np.full(len(texts), np.nan)
    missing: list[MissingCell] = []
    bad: list[str] = []
    numbers = 0
    symbols = 0
    for i, text in enumerate(texts):
        t = text.strip()
        if t == "":
            missing.append(MissingCell(rows[i], labels[i], areas[i], "", EMPTY_REASON))
            continue
        if t in MISSING_SYMBOLS:
            symbols += 1
            missing.append(MissingCell(rows[i], labels[i], areas[i], t, MISSING_SYMBOLS[t]))
            continue
        number = parse_number(t)
        if number is None:
            bad.append(f"rad {rows[i]}: {t!r}")
        else:
            numbers += 1
            values[i] = number
    if numbers == 0 and not (symbols and not bad):
        return None
    return values, missing, bad


def long_to_wide(frame: pd.DataFrame, id_column: str, variable_column: str,
                 value_column: str, *, source: str | None = None) -> pd.DataFrame:
    """One row per area and one column per variable from a long table (area, variable, value).

    Refuses an area with the same variable twice, and other columns that vary within an
    area (they would be lost). Areas and variables keep their order of first appearance.
    """
    problems = Problems(TableFileError, source)
    lacking = [c for c in (id_column, variable_column, value_column) if c not in frame.columns]
    if lacking:
        problems.add("kolumner saknas i den långa tabellen.", values=lacking,
                     expected="kolumner för områdeskod, variabel och värde",
                     fix=f"finns: {', '.join(map(str, frame.columns))}")
        problems.raise_if_any()
    keys = frame[[id_column, variable_column]].astype(str)
    dup = keys[keys.duplicated(keep=False)].drop_duplicates()
    if len(dup):
        problems.add("samma område och variabel förekommer mer än en gång.",
                     column=variable_column,
                     values=[f"{a} / {v}" for a, v in dup.itertuples(index=False)],
                     fix="en rad per område och variabel; summera eller ta bort dubbletterna")
    others = [c for c in frame.columns if c not in (id_column, variable_column, value_column)]
    varying = [c for c in others if (frame.groupby(id_column, sort=False)[c].nunique(
        dropna=False) > 1).any()]
    if varying:
        problems.add("kolumner som varierar inom ett område i den långa tabellen.",
                     values=varying,
                     fix="ta bort kolumnerna eller slå ihop dem med variabelkolumnen")
    problems.raise_if_any()
    ids = pd.unique(frame[id_column])
    wide = frame.pivot(index=id_column, columns=variable_column, values=value_column)
    wide = wide.reindex(index=ids, columns=pd.unique(frame[variable_column]))
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    keep = frame.drop_duplicates(id_column).set_index(id_column)[others].reindex(ids)
    out = pd.concat([keep, wide], axis=1).rename_axis(id_column).reset_index()
    return out


def read_table(path: str | Path, *, sheet: str | None = None, id_column: str | None = None,
               variable_column: str | None = None,
               value_column: str | None = None) -> Table:
    """Read a CSV or Excel table keyed by area code and parse its numbers.

    Wide (one row per area) by default; long (area, variable, value) when
    ``variable_column`` and ``value_column`` are given, turned wide by :func:`long_to_wide`.
    ``id_column`` defaults to ``area_id`` or the first column that holds area codes.
    Columns with numbers become floats; ``..``, ``.``, ``-`` and empty cells are missing
    and recorded in ``Table.missing``. Errors name file, sheet, rows and column: unknown
    values in a numeric column, the same area twice, identical rows, codes that lost
    their leading zero (plus the errors of :func:`read_raw_table`).
    """
    raw = read_raw_table(path, sheet=sheet)
    frame = raw.frame
    problems = Problems(TableFileError, raw.source)
    long = variable_column is not None or value_column is not None
    if long and (variable_column is None or value_column is None):
        raise TableFileError("en lång tabell behöver både variable_column och value_column.")
    id_col = id_column or _guess_id_column(frame)
    needed = [c for c in (id_col, variable_column, value_column) if c is not None]
    lacking = [c for c in needed if c not in frame.columns]
    if lacking:
        problems.add(f"{_where(raw.sheet)}kolumner saknas.", values=lacking,
                     expected=", ".join(map(str, frame.columns)),
                     fix="ange rätt kolumnnamn")
        problems.raise_if_any()

    rows = list(raw.rows)
    ids = [v.strip() for v in frame[id_col]]
    empty = [rows[i] for i, v in enumerate(ids) if not v]
    if empty:
        problems.add(f"{_where(raw.sheet, empty)}tom områdeskod.", column=id_col,
                     fix="fyll i koden eller ta bort raden")
    lost = lost_leading_zeros(v for v in ids if v)
    if lost:
        add_lost_zero_problem(problems, id_col, lost)
    full_dup = frame.duplicated(keep=False).to_numpy()
    if full_dup.any():
        groups: dict[tuple[str, ...], list[int]] = {}
        for i in np.flatnonzero(full_dup):
            groups.setdefault(tuple(frame.iloc[i]), []).append(rows[i])
        problems.add(f"{_where(raw.sheet)}identiska rader förekommer mer än en gång.",
                     values=[" och ".join(f"rad {r}" for r in g) for g in groups.values()],
                     fix="ta bort de upprepade raderna")
    if not long:
        first: dict[str, int] = {}
        by_id: dict[str, list[int]] = {}
        for i, v in enumerate(ids):
            if v and not full_dup[i]:
                by_id.setdefault(v, []).append(rows[i])
            if v:
                first.setdefault(v, rows[i])
        dups = [f"{v} (rad {', '.join(map(str, r))})" for v, r in by_id.items() if len(r) > 1]
        if dups:
            problems.add(f"{_where(raw.sheet)}samma områdeskod på flera rader.", column=id_col,
                         values=dups,
                         fix="en rad per område; summera eller ta bort dubbletterna")

    skip = {id_col, variable_column}
    parsed: dict[str, np.ndarray] = {}
    missing: list[MissingCell] = []
    for col in frame.columns:
        if col in skip:
            continue
        labels = ([str(v) for v in frame[variable_column]] if long and col == value_column
                  else [str(col)] * len(frame))
        result = _parse_column(list(frame[col]), rows, ids, labels)
        if result is None:
            if col == value_column:
                problems.add(f"{_where(raw.sheet)}värdekolumnen har inga tal.", column=col,
                             values=list(frame[col]), fix="ange rätt värdekolumn")
            continue
        values, miss, bad = result
        if bad:
            problems.add(f"{_where(raw.sheet)}värden som inte är tal.", column=str(col),
                         values=bad,
                         expected="tal som 1 234,5 eller 1234.5; '..', '.', '-' eller tom "
                                  "cell för saknat",
                         fix="rätta värdena; de läses aldrig som 0")
        parsed[col] = values
        missing.extend(miss)
    problems.raise_if_any()

    data = frame.copy()
    data[id_col] = ids
    for col, values in parsed.items():
        data[col] = values
    if long:
        assert variable_column is not None and value_column is not None
        data = long_to_wide(data, id_col, variable_column, value_column, source=raw.source)
        recorded = {(m.area, m.column) for m in missing}
        for variable in pd.unique(frame[variable_column]):
            for area in data[id_col][data[str(variable)].isna()]:
                if (area, str(variable)) not in recorded:
                    missing.append(MissingCell(None, str(variable), area, "",
                                               "ingen rad för området och variabeln"))
    data[id_col] = data[id_col].astype("string")
    return Table(data, id_col, raw.source, raw.sheet, tuple(missing), raw.encoding,
                 raw.separator, raw.notes)
