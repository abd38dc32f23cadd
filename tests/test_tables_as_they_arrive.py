"""Tables as they arrive (issue 15): title rows above the header, a merged two-row header,
empty sheets, SCB's symbols with their meaning (geo/io/tables.py, geo/io/scb_files.py).

Workbooks are built with openpyxl in tmp_path; the real SCB exports come from
../shared/data and the tests that need them skip when it is absent.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.io.files import read_indicator_table
from geo.io.scb_files import read_scb_export
from geo.io.tables import (
    EMPTY_REASON,
    MISSING_CELL_COLUMNS,
    MISSING_SYMBOLS,
    MissingCell,
    locate_header,
    missing_cells_frame,
    read_raw_table,
    read_table,
)
from indicators.errors import IndicatorTableError, ScbFileError, TableFileError
from tests.shared_data import shared

TITLE = "Orosanmälningar 2024, Huddinge"
SOURCE = "Källa: socialtjänsten, uttag 2025-01-10"


def _book(path: Path, sheets: dict[str, list[list[object]]],
          merges: tuple[str, ...] = ()) -> Path:
    """A workbook with the sheets in order; ``merges`` apply to the first sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    for ref in merges:
        book.worksheets[0].merge_cells(ref)
    book.save(path)
    return path


# A municipal sheet: a title merged over the table, a blank row, a note, then a header of
# two rows ("Antal" merged over "Täljare" and "Nämnare"; "RegSO" and "Andel" merged down).
MUNICIPAL = [
    [TITLE],
    [],
    [SOURCE],
    ["RegSO", "Antal", None, "Andel"],
    [None, "Täljare", "Nämnare", None],
    ["0126R001", 12, 340, ".."],
    ["0126R002", ".", 200, 0.1],
    ["0126R003", "-", None, 0.25],
]
MUNICIPAL_MERGES = ("A1:D1", "B4:C4", "A4:A5", "D4:D5")
PREAMBLE_NOTE = (f"rad 1–3 ovanför rubrikraden (rad 4) lästes som rubrik: '{TITLE} / "
                 f"{SOURCE}'")


def test_title_rows_and_a_merged_two_row_header(tmp_path: Path) -> None:
    path = _book(tmp_path / "oro.xlsx", {"Data": MUNICIPAL}, MUNICIPAL_MERGES)
    raw = read_raw_table(path)
    assert list(raw.frame.columns) == ["RegSO", "Antal, Täljare", "Antal, Nämnare", "Andel"]
    assert raw.frame.to_numpy().tolist() == [["0126R001", "12", "340", ".."],
                                             ["0126R002", ".", "200", "0.1"],
                                             ["0126R003", "-", "", "0.25"]]
    assert raw.rows == (6, 7, 8)                 # the sheet's own rows
    assert raw.header_rows == (4, 5)
    assert raw.notes == (PREAMBLE_NOTE,)

    table = read_table(path)
    assert table.id_column == "RegSO"
    assert table.data["Antal, Nämnare"].tolist()[:2] == [340.0, 200.0]
    assert table.data["Andel"].tolist()[1:] == [0.1, 0.25]
    assert table.missing == (
        MissingCell(7, "Antal, Täljare", "0126R002", ".", MISSING_SYMBOLS["."]),
        MissingCell(8, "Antal, Täljare", "0126R003", "-", MISSING_SYMBOLS["-"]),
        MissingCell(8, "Antal, Nämnare", "0126R003", "", EMPTY_REASON),
        MissingCell(6, "Andel", "0126R001", "..", MISSING_SYMBOLS[".."]),
    )
    assert table.notes == (PREAMBLE_NOTE,)
    # the indicator upload keeps the note, so the map's source shows it
    assert read_indicator_table(path).attrs["notes"] == (PREAMBLE_NOTE,)


def test_an_upper_header_row_with_only_a_merged_group(tmp_path: Path) -> None:
    # "Antal" merged over B:C is the row's only cell: the row below is the header, and the
    # merged row above it its upper row; the title above that stays a note.
    path = _book(tmp_path / "grupp.xlsx", {"Data": [
        [TITLE],
        [None, "Antal", None],
        ["kod", "pojkar", "flickor"],
        ["0126R001", 1, 2],
    ]}, ("B2:C2",))
    raw = read_raw_table(path)
    assert list(raw.frame.columns) == ["kod", "Antal, pojkar", "Antal, flickor"]
    assert (raw.rows, raw.header_rows) == ((4,), (2, 3))
    assert raw.notes == (f"rad 1 ovanför rubrikraden (rad 2) lästes som rubrik: '{TITLE}'",)


def test_errors_name_the_sheets_own_rows(tmp_path: Path) -> None:
    path = _book(tmp_path / "fel.xlsx", {"Data": [
        [TITLE], [], ["kod", "antal"], ["0126R001", 1], ["0126R002", "tre"], ["0126R001", 4]]})
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: 2 problem.\n"
            "1. fil 'fel.xlsx', kolumn 'kod': blad 'Data': samma områdeskod på flera rader. "
            "Värden: '0126R001 (rad 4, 6)'.") + r".*\n" + re.escape(
            "2. fil 'fel.xlsx', kolumn 'antal': blad 'Data': värden som inte är tal. Värden: "
            "\"rad 5: 'tre'\".")):
        read_table(path)


def test_unnamed_columns_are_reported_at_the_header_row(tmp_path: Path) -> None:
    path = _book(tmp_path / "namn.xlsx", {"Data": [
        [TITLE], ["kod", "antal", None], ["0126R001", 1, 2]]})
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'namn.xlsx': blad 'Data', rad 2: kolumner utan namn i "
            "rubrikraden. Värden: 'kolumn 3'. Åtgärd: ge varje kolumn ett namn i "
            "rubrikraden.")):
        read_raw_table(path)


def test_merged_cells_in_the_data_are_refused(tmp_path: Path) -> None:
    path = _book(tmp_path / "data.xlsx", {"Data": [
        [TITLE], ["kod", "antal", "andel"], ["0126R001", 1, 2], ["0126R002", 3, None]]},
        ("A1:C1", "B3:C3"))
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'data.xlsx': blad 'Data': sammanfogade celler. Värden: "
            "'B3:C3'. Förväntat: en rubrikrad med ett namn per kolumn")):
        read_raw_table(path)


def test_a_csv_with_title_lines(tmp_path: Path) -> None:
    path = tmp_path / "oro.csv"
    path.write_text(f"{TITLE}\n\n{SOURCE}\nkod;antal;andel\n0126R001;1 234;12,5\n"
                    "0126R002;..;3,0\n\n0126R003;-;\n", encoding="utf-8")
    raw = read_raw_table(path)
    assert (raw.separator, raw.header_rows, raw.rows) == (";", (4,), (5, 6, 8))
    assert list(raw.frame.columns) == ["kod", "antal", "andel"]
    assert raw.notes == (PREAMBLE_NOTE,)
    table = read_table(path)
    assert table.data["antal"].tolist()[0] == 1234.0
    assert [(m.row, m.value, m.reason) for m in table.missing] == [
        (6, "..", MISSING_SYMBOLS[".."]), (8, "-", MISSING_SYMBOLS["-"]),
        (8, "", EMPTY_REASON)]


def test_excels_csv_pads_title_lines_with_separators(tmp_path: Path) -> None:
    # "Spara som CSV" writes the title as 'Titel, med komma;;' — its separators are the
    # table's, the comma in the title is text.
    path = tmp_path / "excel.csv"
    path.write_bytes("Orosanmälningar, Huddinge;;\r\n;;\r\nkod;antal;andel\r\n"
                     "0126R001;1;0,5\r\n0126R002;2;0,25\r\n".encode("cp1252"))
    raw = read_raw_table(path)
    assert (raw.separator, raw.header_rows, raw.rows) == (";", (3,), (4, 5))
    assert raw.frame["andel"].tolist() == ["0,5", "0,25"]
    assert raw.notes[1] == ("rad 1–2 ovanför rubrikraden (rad 3) lästes som rubrik: "
                            "'Orosanmälningar, Huddinge'")
    # row numbers stay the file's: the title line and the blank line count
    path.write_text("Titel;;\nkod;antal;andel\n\n0126R001;1;2\n0126R002;1;3\n"
                    "0126R001;2;4\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "fil 'excel.csv', kolumn 'kod': samma områdeskod på flera rader. Värden: "
            "'0126R001 (rad 4, 6)'.")):
        read_table(path)


def test_a_csv_that_starts_with_a_blank_line(tmp_path: Path) -> None:
    # before, csv.reader of the empty first line stopped the reader with StopIteration
    path = tmp_path / "blank.csv"
    path.write_text("\nkod;x\n0126R001;1,5\n", encoding="utf-8")
    raw = read_raw_table(path)
    assert (raw.separator, raw.header_rows, raw.rows, raw.notes) == (";", (2,), (3,), ())
    assert raw.frame.to_numpy().tolist() == [["0126R001", "1,5"]]


@pytest.mark.parametrize("titles", [0, 1, 3])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_rows_above_the_header_change_nothing_but_row_numbers(
        tmp_path: Path, titles: int, fmt: str) -> None:
    body = [["area_id", "namn", "x"], ["0126R001", "Flemingsberg", "1"],
            ["0126R002", "Vårby", ".."]]
    above = [[f"Rad {i} ovanför"] for i in range(titles)]
    if fmt == "csv":
        path = tmp_path / "t.csv"
        path.write_text("".join(";".join(r) + "\n" for r in [*above, *body]),
                        encoding="utf-8")
    else:
        path = _book(tmp_path / "t.xlsx", {"Data": [*above, *body]})
    raw = read_raw_table(path)
    assert raw.frame.to_numpy().tolist() == [r for r in body[1:]]
    assert list(raw.frame.columns) == body[0]
    assert raw.rows == (titles + 2, titles + 3)
    assert len(raw.notes) == (1 if titles else 0)


def test_a_two_cell_note_narrower_than_the_table_is_not_the_header(tmp_path: Path) -> None:
    path = _book(tmp_path / "kalla.xlsx", {"Data": [
        ["Källa:", "Socialtjänsten"], ["Period:", "2024"], ["kod", "2023", "2024"],
        ["0126R001", 3, 4]]})
    raw = read_raw_table(path)
    assert list(raw.frame.columns) == ["kod", "2023", "2024"]
    assert raw.notes == ("rad 1–2 ovanför rubrikraden (rad 3) lästes som rubrik: "
                         "'Källa: Socialtjänsten / Period: 2024'",)


def test_the_rule_falls_back_to_the_first_row() -> None:
    # area ids that are not codes: no data row is recognised, the first row is the header
    grid = [["id", "x"], ["a", "1"], ["b", "2"]]
    assert locate_header(grid).header == (0,) and not locate_header(grid).found
    # no row of two cells above the first data row: the first row
    grid = [["Titel"], ["kod"], ["0126R001", "1", "2"]]
    layout = locate_header(grid)
    assert (layout.header, layout.preamble, layout.found) == ((0,), (), False)
    # a header narrower than its data (a column without a name) is still the header, so
    # that the error names its row
    grid = [["Titel"], ["kod", "x"], ["0126R001", "1", "2"]]
    layout = locate_header(grid)
    assert (layout.header, layout.preamble, layout.found) == ((1,), (0,), True)
    # a merged title spanning the table is a title, not the upper row of the header
    grid = [["Titel", "", ""], ["kod", "a", "b"], ["0126R001", "1", "2"]]
    layout = locate_header(grid, [(1, 1, 3, 1)])
    assert (layout.header, layout.preamble, layout.found) == ((1,), (0,), True)


def test_an_empty_first_sheet_is_passed_over_with_a_note(tmp_path: Path) -> None:
    path = _book(tmp_path / "blad.xlsx", {"Blad1": [], "Data": [["kod", "x"], ["0126", 1]]})
    raw = read_raw_table(path)
    assert raw.sheet == "Data" and raw.frame["x"].tolist() == ["1"]
    assert raw.notes == ("blad 'Blad1' är tomt; läste blad 'Data'",)
    path = _book(tmp_path / "blad2.xlsx", {"Blad1": [[None, " "]], "Blad2": [],
                                           "Data": [["kod", "x"], ["0126", 1]]})
    assert read_indicator_table(path).attrs["notes"] == (
        "bladen 'Blad1', 'Blad2' är tomma; läste blad 'Data'",)


def test_an_scb_export_after_an_empty_sheet(tmp_path: Path) -> None:
    path = _book(tmp_path / "scb.xlsx", {"Blad1": [], "000005XX": [
        ["Antal barn efter region och år"], [], [None, "2022"], ["0126A0010", ".."],
        ["0126C1020", 3], [], ["Intern referenskod:"], ["000005XX"]]})
    export = read_scb_export(path)
    assert export.notes == ("blad 'Blad1' är tomt; läste blad '000005XX'",)
    assert export.sheet == "000005XX" and export.table_code == "000005XX"
    assert export.missing == (MissingCell(4, "2022", "0126A0010", "..",
                                          MISSING_SYMBOLS[".."]),)


def test_an_scb_export_with_a_merged_year_header(tmp_path: Path) -> None:
    # an export whose year is merged over its columns: the value is in the first cell
    # only, and SCB's reader carries a header label over the columns it spans
    path = _book(tmp_path / "scb.xlsx", {"000005XX": [
        ["Antal barn efter region, år och kön"], [], [None, "2022", None],
        [None, "pojkar", "flickor"], ["0126A0010", 4, "-"], [], ["Intern referenskod:"],
        ["000005XX"]]}, ("A1:C1", "B3:C3"))
    export = read_scb_export(path)
    assert list(export.data.columns) == ["area_id", "2022, pojkar", "2022, flickor"]
    assert export.missing == (MissingCell(5, "2022, flickor", "0126A0010", "-",
                                          MISSING_SYMBOLS["-"]),)


def test_a_workbook_whose_sheets_are_all_empty(tmp_path: Path) -> None:
    path = _book(tmp_path / "tomma.xlsx", {"Blad1": [], "Blad2": [[None, "  "]]})
    expected = ("fil 'tomma.xlsx': alla blad är tomma. Värden: 'Blad1', 'Blad2'. Förväntat: "
                "en rubrikrad och minst en rad data på ett av bladen. Åtgärd: kontrollera att "
                "rätt fil sparades och att tabellen finns på ett blad.")
    with pytest.raises(TableFileError, match=re.escape("Fel i tabellfilen: " + expected)):
        read_raw_table(path)
    with pytest.raises(IndicatorTableError, match=re.escape(expected)):
        read_indicator_table(path)
    with pytest.raises(ScbFileError, match=re.escape(expected)):
        read_scb_export(path)
    # a sheet the user names is read as it is: empty is said of that sheet
    with pytest.raises(TableFileError, match=re.escape(
            "blad 'Blad2': bladet är tomt. Förväntat: en rubrikrad och minst en rad data. "
            "Åtgärd: välj bladet med tabellen.")):
        read_raw_table(path, sheet="Blad2")


def test_missing_cells_frame_keeps_each_symbols_meaning() -> None:
    table = pd.DataFrame({"kod": ["0126R001", " 0126R002 ", "0126R003", "0126R004"],
                          "antal": ["..", "12", ".", ""],
                          "andel": ["-", "0,5", "  ", "oklart"],
                          "tal": [1.0, float("nan"), 2.0, 3.0]})
    frame = missing_cells_frame(table, "kod", ["antal", "andel", "tal"])
    assert list(frame.columns) == list(MISSING_CELL_COLUMNS) == [
        "area_id", "column", "symbol", "reason"]
    assert frame.to_numpy().tolist() == [
        ["0126R001", "antal", "..", "'..': uppgift inte tillgänglig eller för osäker för att "
                                    "anges (SCB)"],
        ["0126R003", "antal", ".", "'.': uppgift kan inte förekomma (SCB)"],
        ["0126R004", "antal", "", "tom cell"],
        ["0126R001", "andel", "-", "'-': noll, inget att redovisa (SCB); läses som saknat, "
                                   "inte som 0"],
        ["0126R003", "andel", "", "tom cell"],
        ["0126R002", "tal", "", "tom cell"],
    ]
    assert missing_cells_frame(table, "kod", []).empty
    with pytest.raises(TableFileError, match=re.escape(
            "kolumner saknas. Värden: 'regso', 'x'. Förväntat: kod, antal, andel, tal.")):
        missing_cells_frame(table, "regso", ["antal", "x"])


def test_missing_cells_frame_of_a_raw_table(tmp_path: Path) -> None:
    path = _book(tmp_path / "oro.xlsx", {"Data": MUNICIPAL}, MUNICIPAL_MERGES)
    raw = read_raw_table(path)
    frame = missing_cells_frame(raw.frame, "RegSO", raw.frame.columns[1:])
    # the same cells, symbols and reasons as read_table's MissingCell records
    table = read_table(path)
    assert frame.to_numpy().tolist() == [[m.area, m.column, m.value, m.reason]
                                         for m in table.missing]


def test_scb_csv_symbols_keep_their_meaning(tmp_path: Path) -> None:
    path = tmp_path / "000005XX.csv"
    path.write_text('"Antal barn efter region och år"\n\n"region","2022","2023"\n'
                    '"0126A0010","..","-"\n"0126C1020",".",""\n"0126C1030","3","4"\n',
                    encoding="utf-8")
    export = read_scb_export(path)
    assert [(m.area, m.column, m.value, m.reason) for m in export.missing] == [
        ("0126A0010", "2022", "..", MISSING_SYMBOLS[".."]),
        ("0126A0010", "2023", "-", MISSING_SYMBOLS["-"]),
        ("0126C1020", "2022", ".", MISSING_SYMBOLS["."]),
        ("0126C1020", "2023", "", EMPTY_REASON)]
    assert math.isnan(export.data["2022"].iloc[0]) and export.data["2023"].iloc[2] == 4.0


# -- the real SCB exports in ../shared/data --------------------------------------------------

def _real_exports() -> list[Path]:
    return sorted(shared("sweden", "scb_statistikdatabasen_xlsx").glob("*.xlsx"))


def test_real_scb_exports_through_both_readers() -> None:
    """SCB's own layout (an unnamed key column under header rows without merges) is read by
    read_scb_export; the plain reader refuses it with a named error at the header row, as
    before, and the upload falls back to the SCB reader on that error."""
    paths = _real_exports()
    assert len(paths) == 11
    for path in paths:
        export = read_scb_export(path)
        assert export.table_code == path.name[:8] and len(export.data) == 5984
        assert export.notes == () and export.missing == ()
        with pytest.raises(TableFileError, match=re.escape(
                f"fil '{path.name}': blad '{path.name[:8]}', rad ") + r"\d: kolumner utan namn"):
            read_raw_table(path)


def test_a_real_export_after_an_empty_sheet(tmp_path: Path) -> None:
    real = shared("sweden", "scb_statistikdatabasen_xlsx", "000005MO_20240813-151714.xlsx")
    path = tmp_path / real.name
    shutil.copy(real, path)
    book = openpyxl.load_workbook(path)
    book.create_sheet("Blad1", 0)
    book.save(path)
    export = read_scb_export(path)
    assert export.notes == ("blad 'Blad1' är tomt; läste blad '000005MO'",)
    assert export.data.equals(read_scb_export(real).data)


def test_a_real_export_rewritten_with_title_rows_and_a_merged_header(tmp_path: Path) -> None:
    """SCB's education table for Huddinge as a municipality would pass it on: a title, a
    source line, "2022" merged over the five columns and "DeSO" merged down. The columns
    come out as SCB's own reader names them ("2022, förgymnasial utbildning")."""
    real = shared("sweden", "scb_statistikdatabasen_xlsx", "000005MO_20240813-151714.xlsx")
    export = read_scb_export(real)
    data = export.data[export.data["area_id"].str.startswith("0126")]
    lower = [h[-1] for h in export.headers]
    rows: list[list[object]] = [
        [export.title], ["Källa: SCB"], [], ["DeSO", "2022", *[None] * (len(lower) - 1)],
        [None, *lower], *data.itertuples(index=False, name=None)]
    path = _book(tmp_path / "utbildning_huddinge.xlsx", {"Utbildning": rows},
                 ("A4:A5", f"B4:{chr(ord('A') + len(lower))}4"))
    table = read_table(path)
    assert table.notes == (f"rad 1–3 ovanför rubrikraden (rad 4) lästes som rubrik: "
                           f"'{export.title} / Källa: SCB'",)
    assert list(table.data.columns) == ["DeSO", *export.data.columns[1:]]
    assert len(table.data) == 60
    assert table.data.iloc[:, 1:].to_numpy().tolist() == data.iloc[:, 1:].to_numpy().tolist()
