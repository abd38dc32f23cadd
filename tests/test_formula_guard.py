"""Text from the user's files never becomes a spreadsheet formula, in any file ``prevmap
export`` writes for Excel (the app's download buttons call the same writers).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel, LibreOffice and
Google Sheets; so is one that starts with a tab or a carriage return followed by one
(OWASP, "CSV injection"). Every leading character is tried, in area names (the text a
municipality's own area file brings) and in the indicator table's title (its metadata file),
which becomes the column "Datakälla" on every row. The CSV is read back as a spreadsheet
reads it: a bare carriage return ends a row there, so one inside a name must not start a
new row whose first cell is unguarded.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.cli import main
from geo.inputs import DEMO_INDICATORS, load_inputs
from indicators.columns import SYNTHETIC_MARK

# Each character a spreadsheet reads as the start of a formula, and a name starting with it.
LEADING = {"=": "=1+1", "+": "+1+1", "-": "-1+1", "@": "@SUM(1+1)",
           "tab": "\t=1+1", "cr": "\r=1+1"}
# A carriage return inside a name: without care the CSV row ends there and "=1+1" opens the
# next one, unguarded.
INSIDE_CR = "Norr\r=1+1"
NAMES = {**LEADING, "cr-inside": INSIDE_CR}
FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[ >/]")
SHEETS = ("Rangordning", "Domänpoäng", "Indikatorer", "Kopplingsrapport")


def spreadsheet_text(text: str) -> str:
    """``text`` as a spreadsheet cell holds it: a line break is one LF (XML and the CSV
    writer turn a CR into one)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def csv_rows(path: Path) -> list[list[str]]:
    """The CSV as Excel reads it: semicolons, quotes, and CR, LF or CRLF ending a row."""
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def formulas_in(xlsx: Path) -> list[str]:
    """Worksheets of the workbook that hold a formula element."""
    with zipfile.ZipFile(xlsx) as z:
        return [e for e in z.namelist()
                if e.startswith("xl/worksheets/") and FORMULA_ELEMENT.search(z.read(e))]


def export(folder: Path, *args: str) -> dict[str, Path]:
    out = {"csv": folder / "k.csv", "xlsx": folder / "x.xlsx"}
    code = main(["export", *args, "--out", str(folder / "k.html"), "--excel", str(out["xlsx"])])
    assert code == 0
    return out


# -- area names ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, Path]]:
    """``prevmap export`` of Huddinge's areas, seven of them renamed (see NAMES): the ids of
    the renamed areas by key, and the files written."""
    folder = tmp_path_factory.mktemp("names")
    areas = load_inputs().areas.frame.copy()
    ids = dict(zip(NAMES, areas["area_id"][:len(NAMES)], strict=True))
    areas.iloc[:len(NAMES), areas.columns.get_loc("area_name")] = list(NAMES.values())
    areas.to_crs(4326).to_file(folder / "omraden.geojson", driver="GeoJSON")
    return ids, export(folder, "--areas", str(folder / "omraden.geojson"),
                       "--id-column", "area_id", "--name-column", "area_name")


def test_the_csv_is_one_row_per_area_and_no_row_starts_with_a_formula(named) -> None:
    _, files = named
    rows = csv_rows(files["csv"])
    assert len(rows) == 1 + 22
    assert {len(row) for row in rows} == {len(rows[0])}
    assert [row[0] for row in rows[1:]] == [str(rank) for rank in range(1, 23)]


@pytest.mark.parametrize("key", NAMES)
def test_an_area_name_is_text_in_the_csv(named, key: str) -> None:
    ids, files = named
    rows = csv_rows(files["csv"])
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("Områdeskod")] == ids[key])
    cell = row[header.index("Område")]
    if key in LEADING:
        assert cell == "'" + spreadsheet_text(NAMES[key])      # Excel's quote prefix
    else:
        assert cell == spreadsheet_text(NAMES[key])


@pytest.mark.parametrize("key", NAMES)
def test_an_area_name_is_text_in_every_sheet_of_the_workbook(named, key: str) -> None:
    ids, files = named
    assert formulas_in(files["xlsx"]) == []
    book = openpyxl.load_workbook(files["xlsx"])
    shown = spreadsheet_text(NAMES[key])
    for sheet in SHEETS:
        cells = [c for row in book[sheet].iter_rows() for c in row if c.value == shown]
        assert len(cells) == 1, sheet
        assert cells[0].data_type == "s", sheet
        assert cells[0].quotePrefix == (key in LEADING), sheet


# -- the indicator table's title ---------------------------------------------------------------

@pytest.mark.parametrize("key", LEADING)
def test_an_indicator_table_title_is_text_in_csv_and_workbook(tmp_path: Path, key: str) -> None:
    table = tmp_path / "indikatorer.csv"
    # The demo table as a municipality's own (without the column that marks it synthetic).
    pd.read_csv(DEMO_INDICATORS, dtype=str).drop(columns=SYNTHETIC_MARK).to_csv(
        table, index=False)
    title = LEADING[key]
    escaped = title.replace("\t", "\\t").replace("\r", "\\r")
    (tmp_path / "indikatorer.csv.meta.toml").write_text(
        f'title = "{escaped}"\nsource = "Testkälla"\ndate = "2026-01-01"\n', encoding="utf-8")
    files = export(tmp_path, "--indicators", str(table))

    rows = csv_rows(files["csv"])
    assert len(rows) == 1 + 22
    column = rows[0].index("Datakälla")
    label = spreadsheet_text(f"{title}, Testkälla, datum 2026-01-01")
    assert {row[column] for row in rows[1:]} == {"'" + label}

    assert formulas_in(files["xlsx"]) == []
    ranking = openpyxl.load_workbook(files["xlsx"])["Rangordning"]
    header = [c.value for c in ranking[1]]
    cells = [row[header.index("Datakälla")] for row in ranking.iter_rows(min_row=2)]
    assert len(cells) == 22
    assert all(c.value == label and c.data_type == "s" and c.quotePrefix for c in cells)
