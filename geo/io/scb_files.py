"""Readers for files downloaded from SCB's Statistikdatabasen, exactly as downloaded.

An Excel export has a title in A1, one or more header rows (one per dimension shown as
columns, e.g. year, then variable, then sex), the data with the region in the first
column(s), and footnotes below: definitions, "Senaste uppdatering", "Källa",
"Kontaktperson" and "Intern referenskod" (the table's code, e.g. ``000005F8``).

Region cells hold a code (``0126A0010``), a code with SCB's vintage suffix
(``0114A0010_DeSO2025``) or a code and a name (``0126 Huddinge``). Values are numbers
or SCB's symbols ``..``, ``.`` and ``-`` (missing, recorded with their reason).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from geo.io.limits import FileLimits, limits_from_env
from geo.io.table_limits import bounded_rows, validate_file_size, validate_table_shape
from geo.io.tables import (
    EMPTY_REASON,
    MISSING_SYMBOLS,
    MissingCell,
    decode_text,
    parse_number,
    read_excel_sheet,
)
from indicators.codes import classify_area_code, split_vintage
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import Problem, ScbFileError

# Columns of read_omradestyp's table.
KOMMUN_NAME = "kommun_name"
REGSO_NAME = "regso_name"
OMRADESTYP = "omradestyp"
YEAR = "year"

_REGION = re.compile(r"(?P<code>\d{2}|\d{4}(?:[ABC]\d{4}|R\d{3})?(?:_(?:DeSO|RegSO)\d{4})?)"
                     r"(?:\s+(?P<name>.+))?", re.IGNORECASE)
_TABLE_CODE_LABEL = "Intern referenskod:"


@dataclass(frozen=True, eq=False)
class ScbExport:
    """One SCB table as read: tidy data plus what the file says about it."""

    data: pd.DataFrame                 # area_id, area_name (if present), one column per variable
    title: str
    footnotes: tuple[str, ...]
    table_code: str | None             # "Intern referenskod", e.g. "000005F8"
    missing: tuple[MissingCell, ...]   # every cell that is not a number, with its reason
    headers: tuple[tuple[str, ...], ...]   # per variable column, its header cells top-down
    source: str
    sheet: str | None = None
    vintage: str | None = None         # "DeSO2025" when the codes carried SCB's suffix
    notes: tuple[str, ...] = ()        # what the user must know about the file (macros, links)

    def missing_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(m) for m in self.missing],
                            columns=["row", "column", "area", "value", "reason"])


def _fail(source: str, sheet: str | None, message: str, *, values: tuple[object, ...] = (),
          expected: str = "", fix: str = "", column: str | None = None) -> ScbFileError:
    prefix = f"blad '{sheet}': " if sheet else ""
    return ScbFileError([Problem(prefix + message, source, column, values, expected, fix)])


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_value(cell: object) -> bool:
    return (isinstance(cell, int | float) and not isinstance(cell, bool)) or (
        isinstance(cell, str) and cell.strip() in MISSING_SYMBOLS)


def read_scb_export(path: str | Path, sheet: str | None = None,
                    limits: FileLimits | None = None) -> ScbExport:
    """Read an Excel file (.xlsx) or CSV exported from SCB's Statistikdatabasen.

    Without ``sheet``, an empty first sheet is passed over for the first with data, and
    ``ScbExport.notes`` says so (:func:`geo.io.tables.read_excel_sheet`). A header label
    merged over several columns is in its first cell only and, as SCB writes a label once
    over the columns it spans, carries over them. Every missing value is a
    :class:`~geo.io.tables.MissingCell` with SCB's symbol and its meaning.

    A file beyond ``limits`` (by default the environment's) is refused before the
    expensive step (:mod:`geo.io.table_limits`).
    """
    path = Path(path)
    if not path.is_file():
        raise ScbFileError(f"SCB-filen '{path}' finns inte. Kontrollera sökvägen.")
    limits = limits or limits_from_env(os.environ)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        read = read_excel_sheet(path, sheet, ScbFileError, limits)
        # rows as wide as the widest, as a sheet's dimension makes them: checked first
        width = max((len(row) for row in read.rows), default=0)
        validate_table_shape(len(read.rows), width, limits, path.name)
        grid = [[*row, *[None] * (width - len(row))] for row in read.rows]
        export = _parse_grid(grid, path.name, read.title, text_values=False)
        return replace(export, notes=read.notes)
    if path.suffix.lower() in {".csv", ".txt"}:
        return _parse_grid(_csv_rows(path, limits), path.name, None, text_values=True)
    raise ScbFileError(f"fil '{path.name}': okänt filformat '{path.suffix}'. "
                       "Förväntat: .xlsx eller .csv från Statistikdatabasen.")


def _csv_rows(path: Path, limits: FileLimits, sep: str | None = None) -> list[list[object]]:
    """A CSV's rows as text, bounded in bytes, rows, width and cells; the separator is
    ``;`` or ``,``, whichever the first 50 lines have more of, unless given."""
    validate_file_size(path, limits)
    text, _ = decode_text(path.read_bytes())
    if sep is None:
        head = "".join(io.StringIO(text).readlines(64 * 1024)[:50])
        sep = ";" if head.count(";") > head.count(",") else ","
    return list(bounded_rows(csv.reader(io.StringIO(text), delimiter=sep), limits, path.name))


def _is_region_label(cell: object) -> bool:
    """A header cell that names an area ('0126A0010', '0126 Huddinge'): region as columns."""
    match = _REGION.fullmatch(_text(cell))
    return bool(match) and (bool(match["name"]) or area_kind(match["code"]) in {"deso", "regso"})


def _is_data_row(row: list[object], text_values: bool) -> bool:
    """Excel: any number or SCB symbol. CSV (all text): a region first, then a value."""
    if not text_values:
        return any(_is_value(c) for c in row)
    first = _text(row[0]) if row else ""
    return bool(_REGION.fullmatch(first)) and any(
        _is_value(c) or (isinstance(c, str) and parse_number(c) is not None) for c in row[1:])


def _parse_grid(grid: list[list[object]], source: str, sheet: str | None,
                text_values: bool) -> ScbExport:
    rows = [[None if (isinstance(c, str) and not c.strip()) else c for c in r] for r in grid]
    nonempty = [i for i, r in enumerate(rows) if any(c is not None for c in r)]
    if not nonempty:
        raise _fail(source, sheet, "filen är tom.",
                    expected="en export från Statistikdatabasen")
    title = _text(rows[nonempty[0]][0])
    first = next((i for i in nonempty if _is_data_row(rows[i], text_values)), None)
    if first is None:
        raise _fail(source, sheet, "hittar inga datarader (rader med tal eller '..').",
                    expected="en export från Statistikdatabasen som den laddades ned")
    header_rows = [rows[i] for i in nonempty[1:] if i < first]
    if not header_rows and text_values and nonempty[0] < first:
        header_rows, title = [rows[nonempty[0]]], ""      # a CSV without a title line
    if not header_rows:
        raise _fail(source, sheet, f"rubrikrader saknas ovanför data på rad {first + 1}.",
                    expected="titel, rubrikrader och data som i Statistikdatabasens export")
    width = max(len(r) for r in rows[first:])
    if text_values:      # a CSV names its stub columns in the header: count them in the data
        stub = next((j for j, c in enumerate(rows[first]) if j > 0 and (
            _is_value(c) or (isinstance(c, str) and parse_number(c) is not None))), 1)
    else:
        stub = min(next(j for j, c in enumerate(r) if c is not None) for r in header_rows)
    last = first
    while last + 1 < len(rows) and any(c is not None for c in rows[last + 1]):
        last += 1
    value_cols = [j for j in range(stub, width)
                  if any(j < len(rows[i]) and rows[i][j] is not None
                         for i in range(first, last + 1))
                  or any(j < len(h) and h[j] is not None for h in header_rows)]

    # Header cells: SCB writes a label once, over the columns it spans.
    headers: list[list[str]] = [[] for _ in value_cols]
    for h in header_rows:
        current = ""
        for k, j in enumerate(value_cols):
            cell = _text(h[j]) if j < len(h) else ""
            current = cell or current
            headers[k].append(current)

    # Region column: the stub column whose cells are area codes (with or without name).
    stub_cells = [[_text(rows[i][j]) if j < len(rows[i]) else ""
                   for i in range(first, last + 1)] for j in range(stub)]
    candidates = [(sum(1 for c in cells if c), j) for j, cells in enumerate(stub_cells)
                  if any(cells) and all(_REGION.fullmatch(c) for c in cells if c)]
    region_col = max(candidates)[1] if candidates else None
    if region_col is None or any(_is_region_label(c) for h in header_rows for c in h):
        raise _fail(source, sheet, "hittar ingen kolumn med områdeskoder till vänster om "
                    "data.", expected="region (t.ex. DeSO eller RegSO) som rader",
                    fix="välj region som rader (Pivotera) i Statistikdatabasen och ladda ned "
                        "igen")
    other_stub = [j for j in range(stub) if j != region_col]
    filled: dict[int, str] = {}
    records: list[dict[str, object]] = []
    missing: list[MissingCell] = []
    bad: list[str] = []
    vintages: set[str] = set()
    names_seen = False
    for i in range(first, last + 1):
        row = rows[i]
        for j in other_stub:
            cell = _text(row[j]) if j < len(row) else ""
            filled[j] = cell or filled.get(j, "")
        region = _text(row[region_col]) if region_col < len(row) else ""
        match = _REGION.fullmatch(region)
        if not match:
            bad.append(f"rad {i + 1}: tom region")
            continue
        code, vintage = split_vintage(match["code"])
        if vintage:
            vintages.add(vintage)
        names_seen = names_seen or bool(match["name"])
        prefix = ", ".join(filled[j] for j in other_stub if filled.get(j))
        record: dict[str, object] = {AREA_ID: code, AREA_NAME: match["name"] or ""}
        for k, j in enumerate(value_cols):
            column = ", ".join(p for p in [prefix, *headers[k]] if p)
            cell = row[j] if j < len(row) else None
            record[column] = _value(cell, i + 1, column, code, missing, bad)
        records.append(record)
    if bad:
        raise _fail(source, sheet, "värden som inte är tal.", values=tuple(bad),
                    expected="tal eller SCB:s tecken '..', '.', '-'",
                    fix="ladda ned tabellen igen utan att ändra den; värden läses aldrig "
                        "som 0")
    if len(vintages) > 1:
        raise _fail(source, sheet, "koder från flera versioner av indelningen.",
                    values=tuple(sorted(vintages)),
                    fix="välj en version av indelningen i Statistikdatabasen")
    frame = pd.DataFrame.from_records(records)
    # Other stub dimensions (e.g. year as rows) become part of the column names.
    value_columns = [c for c in frame.columns if c not in (AREA_ID, AREA_NAME)]
    data = frame.groupby([AREA_ID, AREA_NAME], sort=False, as_index=False).first()
    data = data[[AREA_ID, AREA_NAME, *value_columns]]
    dup = frame.groupby([AREA_ID, AREA_NAME], sort=False).size()
    if len(other_stub) == 0 and (dup > 1).any():
        raise _fail(source, sheet, "områdeskoder förekommer mer än en gång.",
                    values=tuple(dup[dup > 1].index.get_level_values(0)),
                    fix="ladda ned tabellen igen utan att ändra den")
    if not names_seen:
        data = data.drop(columns=AREA_NAME)
    for col in value_columns:
        data[col] = data[col].astype(float)
    data[AREA_ID] = data[AREA_ID].astype("string")

    footnotes = tuple(_text(c) for i in range(last + 1, len(rows)) for c in rows[i][:1]
                      if _text(c))
    table_code = None
    if _TABLE_CODE_LABEL in footnotes:
        k = footnotes.index(_TABLE_CODE_LABEL)
        table_code = footnotes[k + 1] if k + 1 < len(footnotes) else None
    column_headers = tuple(tuple(h) for h in headers)
    return ScbExport(data=data, title=title, footnotes=footnotes, table_code=table_code,
                     missing=tuple(missing), headers=column_headers, source=source,
                     sheet=sheet, vintage=next(iter(vintages)) if vintages else None)


def _value(cell: object, row: int, column: str, area: str, missing: list[MissingCell],
           bad: list[str]) -> float:
    if isinstance(cell, bool):
        bad.append(f"rad {row}: {cell!r}")
        return np.nan
    if isinstance(cell, int | float):
        return float(cell)
    text = _text(cell)
    if text == "":
        missing.append(MissingCell(row, column, area, "", EMPTY_REASON))
        return np.nan
    if text in MISSING_SYMBOLS:
        missing.append(MissingCell(row, column, area, text, MISSING_SYMBOLS[text]))
        return np.nan
    number = parse_number(text)
    if number is None:
        bad.append(f"rad {row}: {text!r}")
        return np.nan
    return number


_OMRADE = re.compile(r"(?P<kommun>[^()]+?) \((?P<regso>.+)\)")


def read_omradestyp(path: str | Path, limits: FileLimits | None = None) -> pd.DataFrame:
    """SCB's områdestyp per RegSO from the Statistikdatabasen CSV, footer lines dropped.

    Rows are ``Kommun (RegSO-namn),typ``; the header's second cell is the year. Returns
    columns ``kommun_name``, ``regso_name``, ``omradestyp`` (1–5, 1 = large
    socio-economic challenges) and ``year``. SCB gives names, not codes: join on
    kommun and RegSO name.
    """
    path = Path(path)
    if not path.is_file():
        raise ScbFileError(f"Områdestypsfilen '{path}' finns inte. Kontrollera sökvägen.")
    lines = _csv_rows(path, limits or limits_from_env(os.environ), sep=",")
    if not lines or len(lines[0]) < 2 or not re.fullmatch(r"\d{4}", lines[0][1].strip()):
        raise _fail(path.name, None, "rubrikraden ska ha året i andra kolumnen.",
                    values=tuple(lines[0]) if lines else (), expected="t.ex. 'Område,2023'")
    year = int(lines[0][1])
    records = []
    bad = []
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            break                                    # the footer starts after a blank row
        name = line[0].strip()
        value = line[1].strip() if len(line) > 1 else ""
        match = _OMRADE.fullmatch(name)
        if not match or value not in {"1", "2", "3", "4", "5", *MISSING_SYMBOLS}:
            bad.append(f"rad {number}: {','.join(line)!r}")
            continue
        records.append({KOMMUN_NAME: match["kommun"], REGSO_NAME: match["regso"],
                        OMRADESTYP: int(value) if value.isdigit() else pd.NA, YEAR: year})
    if bad:
        raise _fail(path.name, None, "rader som inte är 'Kommun (RegSO-namn),typ'.",
                    values=tuple(bad), expected="områdestyp 1–5 eller '..'",
                    fix="ladda ned tabellen igen från Statistikdatabasen utan att ändra den")
    frame = pd.DataFrame.from_records(records, columns=[KOMMUN_NAME, REGSO_NAME, OMRADESTYP,
                                                        YEAR])
    frame[OMRADESTYP] = frame[OMRADESTYP].astype("Int64")
    return frame


def area_kind(code: str) -> str | None:
    """Kind of a region code in an SCB file (``deso``, ``regso``, ``kommun``), else None."""
    return classify_area_code(split_vintage(code)[0])
