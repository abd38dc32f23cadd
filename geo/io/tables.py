"""Readers for the tables a municipal analyst has: CSV and Excel keyed by area code.

Handles what Swedish files look like in practice: semicolon separators, decimal commas,
spaces (also non-breaking and thin) as thousands separators, UTF-8 with or without byte
order mark or Windows-1252. SCB's symbols ``..``, ``.`` and ``-`` are missing values and
each one is recorded with its reason; any other value that is not a number is an error,
never a zero; :func:`missing_cells_frame` lists them from a table of text cells.

Tables arrive with rows above the header (a title, a blank row, notes), and Excel tables
with a two-row header whose upper row is merged over the lower. The header is found by
:func:`locate_header`, whose docstring states the rule; the rows above it are kept as a
note of the table, never dropped silently, and every row number in a message is the
file's own. A workbook read without a named sheet whose first sheet is empty is read from
its first sheet with data, and says so.

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
from typing import Any

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
MISSING_CELL_COLUMNS = (AREA_ID, "column", "symbol", "reason")

HEADER_SEARCH_ROWS = 50     # non-empty rows at the top of a table searched for its header
DATA_SAMPLE_ROWS = 5        # data rows whose width the header must reach
_NOTE_TEXT_LIMIT = 120      # characters of the rows above the header quoted in the note

Merge = tuple[int, int, int, int]   # a merged range: min_col, min_row, max_col, max_row (1-based)


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
    header_rows: tuple[int, ...] = (1,)   # file row(s) of the header, two when merged over


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


# -- where the header is ------------------------------------------------------------------

def _width(row: Sequence[str]) -> int:
    """The columns up to a row's last non-empty cell."""
    return max((j + 1 for j, v in enumerate(row) if v), default=0)


def _count(row: Sequence[str]) -> int:
    return sum(1 for v in row if v)


def _is_data_cell(text: str) -> bool:
    """A first cell that makes its row a data row: an area code (also with SCB's vintage
    suffix, as SCB's "code name" label or with its leading zero lost), a number or one of
    SCB's symbols for a missing value."""
    t = text.strip()
    if not t:
        return False
    if t in MISSING_SYMBOLS or parse_number(t) is not None:
        return True
    code = t.split()[0]
    return (classify_area_code(split_vintage(code)[0]) is not None
            or bool(lost_leading_zeros([code])))


def _fill_merges(grid: Sequence[Sequence[str]], merges: Sequence[Merge],
                 limit: int) -> list[list[str]]:
    """The first ``limit`` rows of ``grid`` with each merged cell's value (openpyxl keeps it
    in the top-left cell only) in every cell the range spans, clipped to the widest row."""
    filled = [list(row) for row in grid[:limit]]
    widest = max((len(row) for row in filled), default=0)
    for c0, r0, c1, r1 in merges:
        if r0 > limit or c0 > widest:
            continue
        top = grid[r0 - 1] if r0 - 1 < len(grid) else []
        value = top[c0 - 1] if c0 - 1 < len(top) else ""
        for i in range(r0 - 1, min(r1, limit)):
            row = filled[i]
            row.extend([""] * (min(c1, widest) - len(row)))
            for j in range(c0 - 1, min(c1, widest)):
                row[j] = value
    return filled


def _group_merge(merges: Sequence[Merge], row: int, width: int) -> bool:
    """Whether grid row ``row`` (0-based) holds a merged cell over some of the table's
    columns: starting right of the first column (a title starts in column A) and ending
    within ``width``; such a row is the upper row of a two-row header."""
    return any(c1 > c0 >= 2 and c1 <= width and r0 - 1 <= row <= r1 - 1
               for c0, r0, c1, r1 in merges)


@dataclass(frozen=True)
class HeaderLayout:
    """Where the header of a grid of text cells is (0-based grid rows)."""

    header: tuple[int, ...]            # one row, or the upper and lower row of a two-row one
    preamble: tuple[int, ...]          # the non-empty rows above the header
    cells: tuple[tuple[str, ...], ...]  # the header rows, merged cells' values filled in
    found: bool                        # False: no row met the rule; the first row is taken

    def names(self, width: int) -> list[str]:
        """One name per column: the header cell, or "upper, lower" for a two-row header
        (as SCB writes "2022, förgymnasial utbildning"); one of them when the other is
        empty or the same (a cell merged down over both rows)."""
        rows = [list(r[:width]) + [""] * (width - len(r)) for r in self.cells]
        if len(rows) == 1:
            return rows[0]
        return [f"{u}, {lo}" if u and lo and u != lo else (u or lo)
                for u, lo in zip(rows[0], rows[1], strict=True)]

    def note(self, grid: Sequence[Sequence[str]]) -> str | None:
        """What was read above the header, quoted: never dropped without a word."""
        if not self.preamble:
            return None
        first, last = self.preamble[0] + 1, self.header[0]
        span = f"rad {first}" if first == last else f"rad {first}–{last}"
        text = " / ".join(" ".join(c for c in grid[i] if c) for i in self.preamble)
        if len(text) > _NOTE_TEXT_LIMIT:
            text = text[:_NOTE_TEXT_LIMIT].rstrip() + " …"
        return (f"{span} ovanför rubrikraden (rad {self.header[0] + 1}) lästes som rubrik: "
                f"'{text}'")


def locate_header(grid: Sequence[Sequence[str]], merges: Sequence[Merge] = ()) -> HeaderLayout:
    """Find the header of a table whose first rows may be a title, blank rows and notes.

    ``grid`` is the cells as text, rows from the file's first row (an empty row is all
    ``''``); ``merges`` are the merged ranges of an Excel sheet, whose value is in the
    top-left cell only. The rule, on the first :data:`HEADER_SEARCH_ROWS` non-empty rows:

    - A *data row* is a row whose first cell is an area code (also ``0126A0010_DeSO2025``,
      ``0126C1060 Huddinge`` or ``126R001``), a number or one of SCB's symbols ``..``,
      ``.``, ``-``. The table's width is the widest of the first :data:`DATA_SAMPLE_ROWS`
      data rows (up to the last non-empty cell, merged cells filled in).
    - The *header* is the first row above the first data row that has at least two
      non-empty cells (a merged cell counts once, so a merged title is one cell) and is at
      least as wide as the table; when none is (a column without a name), the widest such
      row (the first of equals), so that the error names the right row. Rows above it
      with one cell (a title, a note) or narrower than the table ("Källa: | SCB") are the
      *preamble*, kept as a note by the reader.
    - When no row qualifies (no data row, or no row of two cells above the first one), the
      header is the first non-empty row, as if there were no preamble, so that the errors
      of a table this rule does not understand are what they always were.
    - A *two-row header*: when the header row holds a merged cell over some of the
      columns, starting right of column A (:func:`_group_merge`), and the row right below
      it is not a data row, that row is the lower header row; when the row right above the
      header holds such a merged cell, it is the upper one. Each column is then named
      "upper, lower" (:meth:`HeaderLayout.names`).
    """
    nonempty = [i for i, row in enumerate(grid) if any(row)]
    if not nonempty:                 # nothing to find: the first row, as if read plainly
        return HeaderLayout((0,), (), (tuple(grid[0]) if grid else (),), False)
    head = nonempty[:HEADER_SEARCH_ROWS + DATA_SAMPLE_ROWS]
    filled = _fill_merges(grid, merges, head[-1] + 1)
    data = [i for i in head if grid[i] and _is_data_cell(grid[i][0])]
    header = None
    if data:
        need = max(_width(filled[i]) for i in data[:DATA_SAMPLE_ROWS])
        candidates = [i for i in head[:HEADER_SEARCH_ROWS]
                      if i < data[0] and _count(grid[i]) >= 2]
        header = next((i for i in candidates if _width(filled[i]) >= need),
                      max(candidates, key=lambda i: (_width(filled[i]), -i), default=None))
    found = header is not None
    if header is None:
        header = nonempty[0]
    rows: tuple[int, ...] = (header,)
    below = header + 1
    width = _width(filled[header])
    if (below < len(filled) and any(grid[below]) and not _is_data_cell(grid[below][0])
            and (not data or below < data[0])
            and _group_merge(merges, header, max(width, _width(filled[below])))):
        rows = (header, below)
    elif (found and header > 0 and any(grid[header - 1])
          and _group_merge(merges, header - 1, width)):
        rows = (header - 1, header)
    preamble = tuple(i for i in nonempty if i < rows[0])
    return HeaderLayout(rows, preamble, tuple(tuple(filled[i]) for i in rows), found)


def missing_cells_frame(table_text: pd.DataFrame, id_column: str,
                        columns: Iterable[str]) -> pd.DataFrame:
    """Every missing value of ``columns`` in a table of text cells (as
    :func:`read_raw_table` reads it): one row per empty cell or SCB symbol, with the
    columns ``area_id``, ``column``, ``symbol`` (``'..'``, ``'.'``, ``'-'``, or ``''`` for
    an empty cell) and ``reason`` (the symbol's meaning from
    :data:`indicators.swedish.MISSING_SYMBOLS`, or ``'tom cell'``).

    Column by column, rows in table order. Numbers and any other text are not missing
    (validation refuses text that is not a number); in a column that is already numeric a
    NaN is an empty cell. The area is the ``id_column`` cell, stripped.
    """
    columns = list(columns)
    lacking = [c for c in [id_column, *columns] if c not in table_text.columns]
    if lacking:
        raise TableFileError([Problem("kolumner saknas.", values=tuple(lacking),
                                      expected=", ".join(map(str, table_text.columns)))])
    areas = table_text[id_column].astype("string").str.strip().fillna("")
    parts = []
    for column in columns:
        text = table_text[column].astype("string").str.strip().fillna("")
        chosen = ((text == "") | text.isin(list(MISSING_SYMBOLS))).to_numpy(dtype=bool)
        symbols = [str(s) for s in text[chosen]]
        parts.append(pd.DataFrame({
            AREA_ID: [str(a) for a in areas[chosen]], "column": str(column), "symbol": symbols,
            "reason": [MISSING_SYMBOLS.get(s, EMPTY_REASON) for s in symbols],
        }, columns=list(MISSING_CELL_COLUMNS), dtype=object))
    if not parts:
        return pd.DataFrame(columns=list(MISSING_CELL_COLUMNS), dtype=object)
    return pd.concat(parts, ignore_index=True)


def read_raw_table(path: str | Path, *, sheet: str | None = None,
                   error: type[PrevmapError] = TableFileError,
                   limits: FileLimits | None = None) -> RawTable:
    """Read a CSV or Excel table as text cells, below its header (:func:`locate_header`).

    Rows above the header become a note of the table (``RawTable.notes``), as does an
    empty first sheet skipped for the first sheet with data when no ``sheet`` is named.
    ``RawTable.rows`` are the file's own row numbers.

    Errors (raised as ``error``): a missing file, an unknown format, an unknown or empty
    sheet, a workbook whose sheets are all empty, merged cells other than in a title or
    a two-row header, empty or repeated column names. A file beyond ``limits`` (by
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


_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")
_SEPARATORS = (";", "\t", ",")


def _head_lines(text: str, count: int) -> list[tuple[int, str]]:
    """The first ``count`` lines of ``text``: where each starts, and its text without the
    line break."""
    lines: list[tuple[int, str]] = []
    for match in _LINE.finditer(text):
        lines.append((match.start(), match[1]))
        if len(lines) == count or not match[2]:
            break
    return lines


def _csv_cells(line: str, sep: str) -> list[str]:
    """One line's cells, stripped (the whole line as one cell when it does not parse)."""
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]
    except csv.Error:
        return [line.strip()]


def _record_count(text: str, sep: str) -> int:
    """The data records of a CSV (header excluded), counted without keeping them: the line
    breaks when no cell is quoted, else a pass of :mod:`csv`."""
    if '"' not in text:
        return text.count("\n") - text.endswith("\n")
    try:
        return sum(1 for _ in csv.reader(io.StringIO(text), delimiter=sep)) - 1
    except csv.Error:                            # a cell beyond csv's field size limit
        return text.count("\n")


def _csv_layout(lines: list[str]) -> tuple[str, list[list[str]], HeaderLayout]:
    """The separator, the first lines' cells and where the header is.

    The separator is the one the first line with any of ``;``, tab and ``,`` has most of
    (:func:`separator_of`), which is a title line that Excel padded with separators to the
    table's width, or the header. When the header is not found with it (a title like
    "Orosanmälningar, Huddinge" above a semicolon table), the first of ``;``, tab and ``,``
    with which :func:`locate_header` finds a header that has most of it. When the header
    is the first line, or none is found, the first line's separator is taken, as it always
    was.
    """
    first = separator_of(next((s for s in lines if any(c in s for c in _SEPARATORS)), ""))
    found = None
    for sep in (first, *(s for s in _SEPARATORS if s != first)):
        grid = [_csv_cells(line, sep) for line in lines]
        layout = locate_header(grid)
        if layout.found and separator_of(lines[layout.header[0]]) == sep:
            found = sep, grid, layout
            break
    if found is None or found[2].header == (0,):
        # the header is the first line: its separator, as always (comma when it has none)
        sep = separator_of(lines[0])
        grid = [_csv_cells(line, sep) for line in lines]
        return sep, grid, locate_header(grid)
    return found


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
    head = _head_lines(text, HEADER_SEARCH_ROWS + DATA_SAMPLE_ROWS)
    sep, grid, layout = _csv_layout([line for _, line in head])
    start, line = head[layout.header[0]]
    if start:
        text = text[start:]
        notes = (*notes, *filter(None, [layout.note(grid)]))
    header = next(csv.reader(io.StringIO(line), delimiter=sep))
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
    first_row = layout.header[0] + 1
    rows = tuple(int(i) + first_row + 1 for i in np.flatnonzero(filled))
    frame = frame[filled].reset_index(drop=True)
    _check_header([h.strip() for h in header], path.name, None, error, (first_row,))
    return RawTable(frame, path.name, None, rows, encoding, sep, notes, (first_row,))


@dataclass(frozen=True)
class ExcelSheet:
    """One sheet's cell values as read (rows from row 1 and column A, ragged), with the
    workbook's sheet names and what the user must know about the file."""

    title: str
    rows: list[tuple[object, ...]]
    sheetnames: tuple[str, ...]
    merged: tuple[str, ...]
    notes: tuple[str, ...]


def _filled_row(row: Sequence[object]) -> bool:
    return any(v is not None and not (isinstance(v, str) and not v.strip()) for v in row)


def read_excel_sheet(path: Path, sheet: str | None, error: type[PrevmapError],
                     limits: FileLimits) -> ExcelSheet:
    """A sheet of an .xlsx/.xlsm (the first one unless ``sheet`` names another), read in
    openpyxl's read-only mode after the package's and the sheet's declared sizes are
    checked (:mod:`geo.io.table_limits`), and bounded while it streams.

    The declared dimension is checked but not trusted: the rows are read as the file has
    them, so a sheet whose dimension says less than it holds loses nothing.

    Without ``sheet``, an empty first sheet is passed over for the first sheet with data,
    and a note says so ("blad 'Blad1' är tomt; läste blad 'Data'"); a workbook of several
    sheets that are all empty is refused. A named sheet is read as it is, empty or not, as
    is the only sheet of a workbook (the caller says that it is empty).
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
        sheets = [book[sheet]] if sheet is not None else list(book.worksheets)
        empty: list[str] = []
        for ws in sheets:
            rows = _sheet_rows(path, ws, error, limits)
            if len(sheets) == 1 or any(_filled_row(row) for row in rows):
                break
            empty.append(ws.title)
        else:
            raise error([Problem("alla blad är tomma.", path.name, values=tuple(empty),
                                 expected="en rubrikrad och minst en rad data på ett av "
                                          "bladen",
                                 fix="kontrollera att rätt fil sparades och att tabellen "
                                     "finns på ett blad")])
        if empty:
            named = ", ".join(f"'{t}'" for t in empty)
            notes = (*notes, (f"blad {named} är tomt" if len(empty) == 1 else
                              f"bladen {named} är tomma") + f"; läste blad '{ws.title}'")
        try:
            # the part's name is only on this private attribute of a read-only sheet
            merged = merged_ranges(path, ws._worksheet_path)
        except Exception as err:  # a part that breaks as it streams: bad CRC, bad XML
            raise _unreadable(path, err, error) from None
        return ExcelSheet(ws.title, rows, tuple(book.sheetnames), merged, notes)
    finally:
        book.close()


def _sheet_rows(path: Path, ws: Any, error: type[PrevmapError],
                limits: FileLimits) -> list[tuple[object, ...]]:
    """A read-only sheet's rows, its declared size checked first and its rows bounded."""
    source = f"{path.name}, blad '{ws.title}'"
    validate_sheet_dimension(ws.max_row, ws.max_column, limits, source)
    ws.reset_dimensions()                    # read what is there, not what is declared
    try:
        return list(bounded_rows(ws.iter_rows(values_only=True), limits, source))
    except PrevmapError:
        raise
    except Exception as err:  # a part that breaks as it streams: bad CRC, bad XML
        raise _unreadable(path, err, error) from None


def _unreadable(path: Path, err: Exception, error: type[PrevmapError]) -> PrevmapError:
    return error(f"fil '{path.name}': kan inte läsas som Excel-fil ({err}). "
                 "Åtgärd: spara filen igen som .xlsx.")


def _read_excel(path: Path, sheet: str | None, error: type[PrevmapError],
                limits: FileLimits) -> RawTable:
    from openpyxl.utils.cell import range_boundaries

    read = read_excel_sheet(path, sheet, error, limits)
    problems = Problems(error, path.name)
    grid = [[_cell_text(v) for v in row] for row in read.rows]
    if not any(any(row) for row in grid):
        problems.add(f"{_where(read.title)}bladet är tomt.",
                     expected="en rubrikrad och minst en rad data",
                     fix="välj bladet med tabellen" if len(read.sheetnames) > 1
                     else "kontrollera att rätt fil sparades")
        problems.raise_if_any()
    merges: list[Merge] = [range_boundaries(ref) for ref in read.merged]
    layout = locate_header(grid, merges)
    top, bottom = layout.header[0] + 1, layout.header[-1] + 1
    # merged cells are read in a title above the header and in a two-row header; anywhere
    # else (a one-row header, the data) it is not clear what the value belongs to
    refused = [ref for ref, (_, r0, _, r1) in zip(read.merged, merges, strict=True)
               if not (r1 < top or (len(layout.header) == 2 and r0 >= top and r1 <= bottom))]
    if refused:
        problems.add(f"{_where(read.title)}sammanfogade celler.", values=refused,
                     expected="en rubrikrad med ett namn per kolumn och inga sammanfogade "
                              "celler",
                     fix="dela upp de sammanfogade cellerna (Start > Sammanfoga och centrera "
                         "> Dela upp celler) och ge varje kolumn ett eget namn")
        problems.raise_if_any()
    numbered = [(i + 1, row) for i, row in enumerate(grid) if any(row) and i >= bottom]
    width = max(_width(row) for row in [*layout.cells, *(row for _, row in numbered)])
    header = layout.names(width)
    _check_header(header, path.name, read.title, error,
                  rows=tuple(range(top, bottom + 1)))
    body = [row[:width] + [""] * (width - len(row)) for _, row in numbered]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype(str)
    rows = tuple(i for i, _ in numbered)
    note = layout.note(grid)
    notes = read.notes if note is None else (*read.notes, note)
    return RawTable(frame, path.name, read.title, rows, notes=notes,
                    header_rows=tuple(range(top, bottom + 1)))


def _check_header(header: list[str], source: str, sheet: str | None,
                  error: type[PrevmapError], rows: tuple[int, ...] = (1,)) -> None:
    problems = Problems(error, source)
    where = _where(sheet, rows)
    empty = [i + 1 for i, name in enumerate(header) if not name.strip()]
    if empty:
        problems.add(f"{where}kolumner utan namn i rubrikraden.",
                     values=[f"kolumn {i}" for i in empty],
                     fix="ge varje kolumn ett namn i " + (
                         "första raden" if rows == (1,) else "rubrikraden"))
    seen: dict[str, int] = {}
    repeated = []
    for name in header:
        if name.strip():
            seen[name] = seen.get(name, 0) + 1
            if seen[name] == 2:
                repeated.append(name)
    if repeated:
        problems.add(f"{where}samma kolumnnamn flera gånger.",
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
