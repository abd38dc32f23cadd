"""Readers for the tables a municipal analyst has: CSV and Excel keyed by area code.

Handles what Swedish files look like in practice: semicolon separators, decimal commas,
spaces (also non-breaking and thin) as thousands separators, UTF-8 with or without byte
order mark or Windows-1252. SCB's symbols ``..``, ``.`` and ``-`` are missing values and
each one is recorded with its reason; any other value that is not a number is an error,
never a zero.

:func:`read_raw_table` returns the cells as text (``geo.io.files.read_indicator_table``
uses it); :func:`read_table` also checks the rows and parses numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.io.limits import FileLimits, limits_from_env
from geo.io.table_limits import (
    bounded_rows,
    merged_ranges,
    validate_excel_package,
    validate_file_size,
    validate_sheet_dimension,
    validate_table_shape,
)
from indicators.codes import (
    add_lost_zero_problem,
    classify_area_code,
    lost_leading_zeros,
    split_vintage,
)
from indicators.columns import AREA_ID
from indicators.errors import PrevmapError, Problem, Problems, TableFileError
from indicators.swedish import MISSING_SYMBOLS, parse_number

CSV_SUFFIXES = frozenset({".csv", ".txt"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})

EMPTY_REASON = "tom cell"
CP1252_NOTE = "filen är inte UTF-8 och lästes som Windows-1252 (cp1252)"




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
                   error: type[PrevmapError] = TableFileError,
                   limits: FileLimits | None = None) -> RawTable:
    """Read a CSV or Excel table as text cells, header in the first non-empty row.

    Errors (raised as ``error``): a missing file, an unknown format, an unknown or empty
    sheet, merged cells, empty or repeated column names. A file beyond ``limits`` (by
    default the environment's, :func:`geo.io.limits.limits_from_env`) is refused
    before the expensive step with :class:`geo.io.limits.FileLimitError`.
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"Tabellfilen '{path}' finns inte. Kontrollera sökvägen.")
    limits = limits or limits_from_env(os.environ)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, error, limits)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, sheet, error, limits)
    raise error(f"fil '{path.name}': okänt filformat '{path.suffix}'. "
                "Förväntat: .csv, .txt eller .xlsx.")


_FIRST_LINE = re.compile(r"[^\r\n]*")


def _record_count(text: str, sep: str) -> int:
    """The data records of a CSV (header excluded), counted without keeping them: the line
    breaks when no cell is quoted, else a pass of :mod:`csv`."""
    if '"' not in text:
        return text.count("\n") - text.endswith("\n")
    try:
        return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=sep)) - 1
    except csv.Error:                            # a cell beyond csv's field size limit
        return text.count("\n")


def _read_csv(path: Path, error: type[PrevmapError], limits: FileLimits) -> RawTable:
    """The CSV's cells as text. Bounded before pandas parses: the bytes on disk (the decoded
    text is no longer, in characters), the header's width, and the records (counted, only
    when the line count is above the limit, by a pass that keeps nothing); pandas then
    parses at most the limit plus one row, in case it counts records differently."""
    validate_file_size(path, limits)
    text, encoding = decode_text(path.read_bytes())
    notes = (CP1252_NOTE,) if encoding == "cp1252" else ()
    if not text.strip():
        raise error([Problem("filen är tom.", path.name,
                             fix="spara tabellen igen med rubrikrad och data")])
    first = _FIRST_LINE.match(text)
    assert first is not None                     # the pattern matches the empty string
    sep = separator_of(first[0])
    header = next(csv.reader(io.StringIO(first[0]), delimiter=sep))
    width = max(len(header), 1)
    limits.check("max_columns", width, path.name)
    bound = min(limits.max_rows, limits.max_cells // width)
    if text.count("\n") > bound:     # cheap, and an overcount when quoted cells break lines
        validate_table_shape(_record_count(text, sep), width, limits, path.name)
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                        skip_blank_lines=False, nrows=bound + 1)
    if len(frame) > bound:
        validate_table_shape(len(frame), width, limits, path.name)
    filled = (frame != "").any(axis=1).to_numpy()
    rows = tuple(int(i) + 2 for i in np.flatnonzero(filled))
    frame = frame[filled].reset_index(drop=True)
    _check_header([h.strip() for h in header], path.name, None, error)
    return RawTable(frame, path.name, None, rows, encoding, sep, notes)


@dataclass(frozen=True)
class ExcelSheet:
    """One sheet's cell values as read (rows from row 1 and column A, ragged), with the
    workbook's sheet names and what the user must know about the file."""

    title: str
    rows: list[tuple[object, ...]]
    sheetnames: tuple[str, ...]
    merged: tuple[str, ...]
    notes: tuple[str, ...]


def read_excel_sheet(path: Path, sheet: str | None, error: type[PrevmapError],
                     limits: FileLimits) -> ExcelSheet:
    """A sheet of an .xlsx/.xlsm (the first one unless ``sheet`` names another), read in
    openpyxl's read-only mode after the package's and the sheet's declared sizes are
    checked (:mod:`geo.io.table_limits`), and bounded while it streams.

    The declared dimension is checked but not trusted: the rows are read as the file has
    them, so a sheet whose dimension says less than it holds loses nothing.
    """
    import openpyxl  # only when an Excel file is read

    notes = validate_excel_package(path, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as err:  # openpyxl raises several types for a broken file
        raise _unreadable(path, err, error) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise error([Problem(f"bladet '{sheet}' finns inte.", path.name,
                                 values=tuple(book.sheetnames),
                                 expected="ett av bladen i filen")])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        source = f"{path.name}, blad '{ws.title}'"
        validate_sheet_dimension(ws.max_row, ws.max_column, limits, source)
        ws.reset_dimensions()                    # read what is there, not what is declared
        try:
            rows = list(bounded_rows(ws.iter_rows(values_only=True), limits, source))
            # the part's name is only on this private attribute of a read-only sheet
            merged = merged_ranges(path, ws._worksheet_path)
        except PrevmapError:
            raise
        except Exception as err:  # a part that breaks as it streams: bad CRC, bad XML
            raise _unreadable(path, err, error) from None
        return ExcelSheet(ws.title, rows, tuple(book.sheetnames), merged, notes)
    finally:
        book.close()


def _unreadable(path: Path, err: Exception, error: type[PrevmapError]) -> PrevmapError:
    return error(f"fil '{path.name}': kan inte läsas som Excel-fil ({err}). "
                 "Åtgärd: spara filen igen som .xlsx.")


def _read_excel(path: Path, sheet: str | None, error: type[PrevmapError],
                limits: FileLimits) -> RawTable:
    read = read_excel_sheet(path, sheet, error, limits)
    problems = Problems(error, path.name)
    if read.merged:
        problems.add(f"{_where(read.title)}sammanfogade celler.", values=read.merged,
                     expected="en rubrikrad med ett namn per kolumn och inga sammanfogade "
                              "celler",
                     fix="dela upp de sammanfogade cellerna (Start > Sammanfoga och centrera "
                         "> Dela upp celler) och ge varje kolumn ett eget namn")
        problems.raise_if_any()
    grid = [[_cell_text(v) for v in row] for row in read.rows]
    numbered = [(i + 1, row) for i, row in enumerate(grid) if any(row)]
    if not numbered:
        problems.add(f"{_where(read.title)}bladet är tomt.",
                     expected="en rubrikrad och minst en rad data",
                     fix="välj bladet med tabellen" if len(read.sheetnames) > 1
                     else "kontrollera att rätt fil sparades")
        problems.raise_if_any()
    width = max(max((j + 1 for j, v in enumerate(row) if v), default=0) for _, row in numbered)
    header_row, header = numbered[0]
    header = header[:width] + [""] * (width - len(header))
    _check_header(header, path.name, read.title, error, first_row=header_row)
    body = [row[:width] + [""] * (width - len(row)) for _, row in numbered[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype(str)
    rows = tuple(i for i, _ in numbered[1:])
    return RawTable(frame, path.name, read.title, rows, notes=read.notes)


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
