"""Generic municipal tables, CSV and Excel (geo/io/tables.py), on tiny files in tmp_path."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo.io.files import detect_separator, read_indicator_table
from geo.io.tables import (
    CP1252_NOTE,
    MISSING_SYMBOLS,
    MissingCell,
    long_to_wide,
    parse_number,
    read_raw_table,
    read_table,
)
from indicators.errors import IndicatorTableError, TableFileError

NBSP, THIN, NNBSP = "\u00a0", "\u2009", "\u202f"


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12.0), ("12,5", 12.5), ("12.5", 12.5), ("-3,25", -3.25), ("\u22123", -3.0),
    ("1 234", 1234.0), (f"1{NBSP}234{NBSP}567,5", 1234567.5), (f"12{THIN}345", 12345.0),
    (f"2{NNBSP}000", 2000.0), (" 7 ", 7.0), ("1e-3", 0.001), (",5", 0.5), ("1,234", 1.234),
])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "..", ".", "-", "abc", "12 34", "1 2345", "1,2,3",
                                  "inf", "nan", "12%", "1e999", "1 234 5"])
def test_parse_number_refuses(text: str) -> None:
    assert parse_number(text) is None


def _xlsx(path: Path, rows: list[list[object]], *, title: str = "Data",
          merge: str | None = None, extra_sheets: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    for name in extra_sheets:
        book.create_sheet(name)
    book.save(path)
    return path


CP1252_CSV = (
    "kod;namn;orosanmälningar;andel\r\n"
    "0126R001;Flemingsberg västra;1\u00a0234;12,5\r\n"
    "0126R002;Flemingsberg östra;..;3,0\r\n"
    "0126R020;Vårby gård;-;.\r\n"
    "0126R021;Vårby Haga-Masmo;17;\r\n"
)


def test_a_windows_1252_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "oro.csv"
    path.write_bytes(CP1252_CSV.encode("cp1252"))
    table = read_table(path)
    assert (table.encoding, table.separator, table.notes) == ("cp1252", ";", (CP1252_NOTE,))
    assert table.id_column == "kod"
    assert table.data["kod"].tolist() == ["0126R001", "0126R002", "0126R020", "0126R021"]
    assert table.data["kod"].dtype == "string"
    assert table.data["namn"].tolist()[3] == "Vårby Haga-Masmo"
    oro = table.data["orosanmälningar"].tolist()
    assert oro[0] == 1234.0 and math.isnan(oro[1]) and math.isnan(oro[2]) and oro[3] == 17.0
    assert table.data["andel"].tolist()[:2] == [12.5, 3.0]
    assert table.missing == (
        MissingCell(3, "orosanmälningar", "0126R002", "..", MISSING_SYMBOLS[".."]),
        MissingCell(4, "orosanmälningar", "0126R020", "-", MISSING_SYMBOLS["-"]),
        MissingCell(4, "andel", "0126R020", ".", MISSING_SYMBOLS["."]),
        MissingCell(5, "andel", "0126R021", "", "tom cell"),
    )
    assert MISSING_SYMBOLS["-"].endswith("läses som saknat, inte som 0")
    frame = table.missing_frame()
    assert frame.columns.tolist() == ["row", "column", "area", "value", "reason"]
    assert frame["value"].tolist() == ["..", "-", ".", ""]


def test_utf8_with_and_without_byte_order_mark_read_the_same(tmp_path: Path) -> None:
    text = CP1252_CSV.replace(";", ",").replace("12,5", '"12,5"').replace("3,0", '"3,0"')
    bom, plain = tmp_path / "bom.csv", tmp_path / "plain.csv"
    bom.write_text(text, encoding="utf-8-sig")
    plain.write_text(text, encoding="utf-8")
    a, b = read_table(bom), read_table(plain)
    assert (a.encoding, a.separator, a.notes) == ("utf-8", ",", ())
    assert a.data.columns[0] == "kod"                     # no BOM left in the name
    pd.testing.assert_frame_equal(a.data, b.data)
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes(CP1252_CSV.encode("cp1252"))
    pd.testing.assert_frame_equal(a.data, read_table(cp1252).data)


def test_a_value_that_is_not_a_number_is_an_error_not_zero(tmp_path: Path) -> None:
    path = tmp_path / "franvaro.csv"
    path.write_text("area_id;franvaro;elever\n0126R001;12;100\n0126R002;ca 5;100\n"
                    "0126R003;7 %;n/a\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: 2 problem.\n"
            "1. fil 'franvaro.csv', kolumn 'franvaro': värden som inte är tal. Värden: "
            "\"rad 3: 'ca 5'\", \"rad 4: '7 %'\". Förväntat: tal som 1 234,5 eller 1234.5; "
            "'..', '.', '-' eller tom cell för saknat. Åtgärd: rätta värdena; de läses aldrig "
            "som 0.\n"
            "2. fil 'franvaro.csv', kolumn 'elever': värden som inte är tal. Värden: "
            "\"rad 4: 'n/a'\".")):
        read_table(path)


def test_a_text_column_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("area_id,kommentar,x\n0126,ny skola,1\n0127,,2\n", encoding="utf-8")
    table = read_table(path)
    assert table.data["kommentar"].tolist() == ["ny skola", ""]
    assert table.data["x"].tolist() == [1.0, 2.0]
    assert table.missing == ()


def test_the_same_area_twice(tmp_path: Path) -> None:
    path = tmp_path / "dubbel.csv"
    path.write_text("kod;x\n0126R001;1\n0126R002;2\n0126R001;3\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'dubbel.csv', kolumn 'kod': samma områdeskod på flera "
            "rader. Värden: '0126R001 (rad 2, 4)'. Åtgärd: en rad per område; summera eller "
            "ta bort dubbletterna.")):
        read_table(path)


def test_identical_rows(tmp_path: Path) -> None:
    path = tmp_path / "kopia.csv"
    path.write_text("kod;x\n0126R001;1\n0126R002;2\n0126R001;1\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'kopia.csv': identiska rader förekommer mer än en gång. "
            "Värden: 'rad 2 och rad 4'. Åtgärd: ta bort de upprepade raderna.")):
        read_table(path)


def test_an_empty_area_code(tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_text("kod;x\n0126R001;1\n;2\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'tom.csv', kolumn 'kod': rad 3: tom områdeskod. Åtgärd: "
            "fyll i koden eller ta bort raden.")):
        read_table(path)


def test_excel_numbers_and_sheet_choice(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "t.xlsx", [["Kommentar överst"]], title="Info")
    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("Data")
    for row in [[None], ["regso", "andel", "antal", "namn"], ["0126R001", 0.1, 3, "A"],
                ["0126R002", "..", 1234, "B"], [None, None, None, None]]:
        ws.append(row)
    book.save(path)
    table = read_table(path, sheet="Data")
    assert table.sheet == "Data" and table.id_column == "regso"
    assert table.data["andel"].tolist()[0] == 0.1
    assert table.data["antal"].tolist() == [3.0, 1234.0]
    assert table.missing == (MissingCell(4, "andel", "0126R002", "..", MISSING_SYMBOLS[".."]),)


def test_excel_codes_that_lost_their_leading_zero(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "oro.xlsx", [["kommun", "x"], [126, 1], [127, 2]])
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'oro.xlsx', kolumn 'kommun': områdeskoder har tappat sin "
            "inledande nolla; Excel har troligen gjort om kolumnen till tal. Värden: "
            "'126 (ska vara 0126)', '127 (ska vara 0127)'.")):
        read_table(path)


def test_excel_merged_header_cells(tmp_path: Path) -> None:
    # A merged upper header row over a second one is read as "upper, lower" (issue 15);
    # a merged cell in a one-row header is refused: which column would be which is unclear.
    path = _xlsx(tmp_path / "två_rader.xlsx",
                 [["kod", "Antal", None], [None, "pojkar", "flickor"], ["0126R001", 1, 2]],
                 merge="B1:C1")
    assert list(read_table(path).data.columns) == ["kod", "Antal, pojkar", "Antal, flickor"]
    path = _xlsx(tmp_path / "sammanfogad.xlsx",
                 [["kod", "Antal", None], ["0126R001", 1, 2]], merge="B1:C1")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'sammanfogad.xlsx': blad 'Data': sammanfogade celler. "
            "Värden: 'B1:C1'. Förväntat: en rubrikrad med ett namn per kolumn och inga "
            "sammanfogade celler. Åtgärd: dela upp de sammanfogade cellerna (Start > "
            "Sammanfoga och centrera > Dela upp celler) och ge varje kolumn ett eget namn.")):
        read_table(path)


def test_excel_empty_sheet(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "tom.xlsx", [["kod", "x"], ["0126", 1]], extra_sheets=("Blad2",))
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'tom.xlsx': blad 'Blad2': bladet är tomt. Förväntat: en "
            "rubrikrad och minst en rad data. Åtgärd: välj bladet med tabellen.")):
        read_table(path, sheet="Blad2")
    assert read_table(path).data["x"].tolist() == [1.0]


def test_excel_unknown_sheet(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "b.xlsx", [["kod", "x"], ["0126", 1]])
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'b.xlsx': bladet 'Data2' finns inte. Värden: 'Data'. "
            "Förväntat: ett av bladen i filen.")):
        read_table(path, sheet="Data2")


def test_columns_without_names_or_named_twice(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "rubrik.xlsx", [["kod", "x", None, "x"], ["0126", 1, 2, 3]])
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: 2 problem.\n"
            "1. fil 'rubrik.xlsx': blad 'Data', rad 1: kolumner utan namn i rubrikraden. "
            "Värden: 'kolumn 3'. Åtgärd: ge varje kolumn ett namn i första raden.\n"
            "2. fil 'rubrik.xlsx': blad 'Data', rad 1: samma kolumnnamn flera gånger. "
            "Värden: 'x'. Åtgärd: ge varje kolumn ett eget namn.")):
        read_table(path)


def test_a_csv_with_a_repeated_column_name(tmp_path: Path) -> None:
    path = tmp_path / "rubrik.csv"
    path.write_text("kod;x;x;\n0126;1;2;\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: 2 problem.\n"
            "1. fil 'rubrik.csv': rad 1: kolumner utan namn i rubrikraden. Värden: 'kolumn 4'. "
            "Åtgärd: ge varje kolumn ett namn i första raden.\n"
            "2. fil 'rubrik.csv': rad 1: samma kolumnnamn flera gånger. Värden: 'x'.")):
        read_table(path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "t.ods"
    path.write_bytes(b"")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 't.ods': okänt filformat '.ods'. Förväntat: .csv, .txt "
            "eller .xlsx.")):
        read_raw_table(path)
    with pytest.raises(TableFileError, match=re.escape(
            f"Fel i tabellfilen: Tabellfilen '{tmp_path / 'saknas.csv'}' finns inte.")):
        read_table(tmp_path / "saknas.csv")


def test_an_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'tom.csv': filen är tom. Åtgärd: spara tabellen igen med "
            "rubrikrad och data.")):
        read_table(path)


def test_a_named_id_column_that_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("kod;x\n0126;1\n", encoding="utf-8")
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 't.csv': kolumner saknas. Värden: 'regso'. "
            "Förväntat: kod, x.")):
        read_table(path, id_column="regso")


LONG = ("deso;variabel;värde\n0126A0010;barn;120\n0126A0010;oro;..\n"
        "0126C1020;barn;80\n0126C1020;oro;4\n0126C1030;barn;50\n")


def test_a_long_table_becomes_wide(tmp_path: Path) -> None:
    path = tmp_path / "lang.csv"
    path.write_text(LONG, encoding="utf-8")
    table = read_table(path, variable_column="variabel", value_column="värde")
    assert table.data.columns.tolist() == ["deso", "barn", "oro"]
    assert table.data["deso"].tolist() == ["0126A0010", "0126C1020", "0126C1030"]
    assert table.data["barn"].tolist() == [120.0, 80.0, 50.0]
    assert np.isnan(table.data["oro"].tolist()).tolist() == [True, False, True]
    assert table.missing == (
        MissingCell(3, "oro", "0126A0010", "..", MISSING_SYMBOLS[".."]),
        MissingCell(None, "oro", "0126C1030", "", "ingen rad för området och variabeln"),
    )


def test_long_to_wide_refuses_duplicates() -> None:
    frame = pd.DataFrame({"kod": ["0126", "0126", "0127"], "var": ["a", "a", "a"],
                          "v": [1.0, 2.0, 3.0]})
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: fil 'lang.csv', kolumn 'var': samma område och variabel "
            "förekommer mer än en gång. Värden: '0126 / a'. Åtgärd: en rad per område och "
            "variabel; summera eller ta bort dubbletterna.")):
        long_to_wide(frame, "kod", "var", "v", source="lang.csv")


def test_long_to_wide_keeps_constant_columns_and_refuses_varying_ones() -> None:
    frame = pd.DataFrame({"kod": ["0126", "0126", "0127"], "namn": ["H", "H", "B"],
                          "var": ["a", "b", "a"], "v": [1.0, 2.0, 3.0]})
    wide = long_to_wide(frame, "kod", "var", "v")
    assert wide.columns.tolist() == ["kod", "namn", "a", "b"]
    assert wide["kod"].tolist() == ["0126", "0127"]
    assert wide["namn"].tolist() == ["H", "B"]
    assert wide["a"].tolist() == [1.0, 3.0]
    assert wide["b"].tolist()[0] == 2.0 and np.isnan(wide["b"].tolist()[1])
    frame["år"] = [2022, 2023, 2022]
    with pytest.raises(TableFileError, match=re.escape(
            "Fel i tabellfilen: kolumner som varierar inom ett område i den långa tabellen. "
            "Värden: 'år'. Åtgärd: ta bort kolumnerna eller slå ihop dem med "
            "variabelkolumnen.")):
        long_to_wide(frame, "kod", "var", "v")
    with pytest.raises(TableFileError, match=re.escape(
            "kolumner saknas i den långa tabellen. Värden: 'värde'.")):
        long_to_wide(frame, "kod", "var", "värde")


def test_read_indicator_table_reads_windows_1252_through_read_raw_table(tmp_path: Path) -> None:
    path = tmp_path / "oro.csv"
    path.write_bytes(CP1252_CSV.encode("cp1252"))
    table = read_indicator_table(path)
    assert table.columns.tolist() == ["kod", "namn", "orosanmälningar", "andel"]
    assert table["andel"].tolist() == ["12,5", "3,0", ".", ""]      # text; as before
    assert detect_separator(path) == ";"


def test_read_indicator_table_errors_keep_their_title(tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(IndicatorTableError, match=re.escape(
            "Fel i indikatortabellen: fil 'tom.csv': filen är tom.")):
        read_indicator_table(path)
