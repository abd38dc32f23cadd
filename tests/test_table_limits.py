"""Table uploads do bounded work: hostile files built in tmp_path are refused before the
expensive step (or read with a note), and every refusal names the limit, the file's value
and the variable that raises it (geo/io/table_limits.py and its readers)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo.inputs import DEFAULT_AREAS, DEMO_INDICATORS, inputs_for_areas
from geo.io.areas import read_areas
from geo.io.files import mark_synthetic, read_indicator_table, read_source_info
from geo.io.limits import FileLimitError
from geo.io.scb_files import read_omradestyp, read_scb_export
from geo.io.table_limits import MACRO_NOTE, bounded_rows, merged_ranges
from geo.io.tables import read_raw_table
from indicators.errors import IndicatorTableError, ScbFileError

THIN = "\u202f"   # thousands, as indicators.swedish writes them


def _refused(limit: str, value: str, bound: str, variable: str) -> str:
    """The pattern of a refusal: the limit's text, the file's value, the bound, the fix."""
    return (f"filens {re.escape(limit)} är {value.replace(' ', THIN)}, över gränsen "
            f"{bound.replace(' ', THIN)}.*{variable}=")


# --- Parquet ------------------------------------------------------------------------------

def _parquet(path: Path, table: pa.Table, **options: object) -> Path:
    pq.write_table(table, path, **options)
    return path


def _repeated(value: str, rows: int) -> pa.DictionaryArray:
    """``rows`` references to one dictionary value: a few bytes each once RLE-encoded."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype="int32")),
                                          pa.array([value]))


def test_parquet_of_one_repeated_value_in_many_row_groups_is_refused_by_its_metadata(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_ROWS", "100000")
    path = _parquet(tmp_path / "liten.parquet", pa.table({"area_id": _repeated("0126C1010",
                                                                               300_000)}),
                    row_group_size=10_000)
    assert path.stat().st_size < 100_000 and pq.ParquetFile(path).metadata.num_row_groups == 30
    with pytest.raises(FileLimitError, match=_refused("antal rader", "300 000", "100 000",
                                                      "PREVMAP_MAX_ROWS")):
        read_indicator_table(path)


def test_parquet_dictionary_of_one_long_text_is_refused_before_it_expands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_DECODED_BYTES", "10000000")
    path = _parquet(tmp_path / "lang.parquet",     # as other tools write it: read as text
                    pa.table({"area_id": _repeated("x" * 10_000, 5_000)}), store_schema=False)
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).total_byte_size < 100_000   # the footer does not show it
    with pytest.raises(FileLimitError, match=_refused(
            "storlek uppackad eller avkodad (byte)", "50 040 000", "10 000 000",
            "PREVMAP_MAX_DECODED_BYTES")):
        read_indicator_table(path)


def test_parquet_packed_absurdly_tightly_is_refused(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "tatt.parquet", pa.table({"x": np.zeros(1_000_000)}),
                    use_dictionary=False, compression="zstd")
    assert path.stat().st_size < 20_000                    # 8 MB of zeros unpacked
    with pytest.raises(FileLimitError, match="packningsgrad.*PREVMAP_MAX_COMPRESSION_RATIO="):
        read_indicator_table(path)


def test_text_disguised_as_parquet_is_refused_by_its_magic_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tabell.parquet"
    path.write_text("area_id;x\n0126C1010;1\n", encoding="utf-8")
    with pytest.raises(IndicatorTableError, match=re.escape(
            "fil 'tabell.parquet': filen är inte en Parquet-fil (den börjar eller slutar inte "
            "med 'PAR1').")):
        read_indicator_table(path)


def test_parquet_with_list_columns_is_refused_before_its_levels_expand(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "listor.parquet", pa.table({
        "area_id": ["0126C1010"], "x": pa.array([[1, 2, 3]])}))
    with pytest.raises(IndicatorTableError, match=re.escape(
            "kolumner med listor eller strukturer i stället för ett värde per cell. Värden: "
            "'x'.")):
        read_indicator_table(path)


def test_a_plain_parquet_table_still_reads(tmp_path: Path) -> None:
    frame = pd.DataFrame({"area_id": ["0126C1010", "0126C1020"], "x": [1.5, 2.0]})
    path = tmp_path / "ok.parquet"
    frame.to_parquet(path)
    table = read_indicator_table(path)
    assert table["area_id"].tolist() == ["0126C1010", "0126C1020"]
    assert table["x"].tolist() == [1.5, 2.0]


# --- Excel --------------------------------------------------------------------------------

def _xlsx(path: Path, cells: dict[str, object]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Data"
    for ref, value in cells.items():
        ws[ref] = value
    book.save(path)
    return path


def _rewrite(path: Path, parts: dict[str, bytes | None], edit: dict[str, tuple[bytes, bytes]]
             = {}) -> Path:  # noqa: B006 - read only
    """The package with ``parts`` added (or removed when None) and ``edit`` applied as
    (regular expression, replacement) to existing parts."""
    out = path.with_name("ny-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in parts:
                continue
            data = src.read(info.filename)
            if info.filename in edit:
                data = re.sub(edit[info.filename][0], edit[info.filename][1], data)
            dst.writestr(info.filename, data)
        for name, data in parts.items():
            if data is not None:
                dst.writestr(name, data)
    out.replace(path)
    return path


TABLE = {"A1": "area_id", "B1": "x", "A2": "0126C1010", "B2": 1, "A3": "0126C1020", "B3": 2}


def test_xlsx_whose_dimension_exceeds_the_cells_is_refused_before_its_rows_are_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_CELLS", "100000")
    path = _xlsx(tmp_path / "langt.xlsx", {**TABLE, "CV5000": 0})   # 100 × 5000 cells
    assert path.stat().st_size < 10_000
    with pytest.raises(FileLimitError, match="fil 'langt.xlsx, blad 'Data'': " + _refused(
            "antal celler (rader × kolumner)", "500 000", "100 000", "PREVMAP_MAX_CELLS")):
        read_raw_table(path)


def test_xlsx_without_a_dimension_is_bounded_while_its_rows_stream(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_CELLS", "100000")
    wide = {f"CV{r}": r for r in range(4, 2_004)}                 # 2000 rows of 100 cells
    path = _rewrite(_xlsx(tmp_path / "odeklarerad.xlsx", {**TABLE, **wide}), {},
                    {"xl/worksheets/sheet1.xml": (rb"<dimension[^>]*/>", b"")})
    assert path.stat().st_size < 30_000
    with pytest.raises(FileLimitError, match=_refused(
            "antal celler (rader × kolumner)", "100 006", "100 000", "PREVMAP_MAX_CELLS")):
        read_raw_table(path, error=IndicatorTableError)


def test_xlsx_whose_dimension_understates_its_rows_loses_no_row(tmp_path: Path) -> None:
    cells = {**TABLE, **{f"A{r}": f"0126C10{r:02d}" for r in range(4, 40)},
             **{f"B{r}": r for r in range(4, 40)}}
    path = _rewrite(_xlsx(tmp_path / "fel_dimension.xlsx", cells), {},
                    {"xl/worksheets/sheet1.xml": (rb'<dimension ref="[^"]*"', b'<dimension '
                                                  b'ref="A1:B2"')})
    raw = read_raw_table(path)
    assert raw.rows == tuple(range(2, 40))
    assert raw.frame["x"].tolist()[-1] == "39"


def test_xlsx_that_unpacks_beyond_the_limit_is_refused_before_openpyxl_parses_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_DECODED_BYTES", "1000000")
    path = _xlsx(tmp_path / "bomb.xlsx", {**TABLE, **{f"C{r}": "a" * 30_000 + str(r)
                                                       for r in range(1, 100)}})
    assert path.stat().st_size < 100_000
    with pytest.raises(FileLimitError, match=_refused(
            "storlek uppackad eller avkodad (byte)", r"\d \d{3} \d{3}", "1 000 000",
            "PREVMAP_MAX_DECODED_BYTES")):
        read_raw_table(path)


def test_xlsx_part_packed_absurdly_tightly_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "tatt.xlsx", {**TABLE, **{f"C{r}": "a" * 30_000 + str(r)
                                                       for r in range(1, 100)}})
    with pytest.raises(FileLimitError, match="fil 'tatt.xlsx, del xl/[\\w/]+.xml': "
                       "filens packningsgrad.*PREVMAP_MAX_COMPRESSION_RATIO="):
        read_raw_table(path)


def test_xlsm_is_read_with_a_note_that_its_macros_are_not_run(tmp_path: Path) -> None:
    path = _rewrite(_xlsx(tmp_path / "makro.xlsm", TABLE), {"xl/vbaProject.bin": b"\0" * 64})
    raw = read_raw_table(path)
    assert raw.frame["x"].tolist() == ["1", "2"]
    assert raw.notes == (MACRO_NOTE,) == ("filen innehåller makron; de körs inte",)
    table = read_indicator_table(path)
    source = mark_synthetic(read_source_info(path), table)
    assert source.note.endswith("; filen innehåller makron; de körs inte")


LINK = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="file:///C:/statistik/befolkning.xlsx" TargetMode="External"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath"/>
</Relationships>"""


def test_values_from_linked_workbooks_are_read_with_a_note_that_they_may_be_stale(
        tmp_path: Path) -> None:
    path = _rewrite(_xlsx(tmp_path / "lankad.xlsx", TABLE), {
        "xl/externalLinks/externalLink1.xml": b"<externalLink/>",
        "xl/externalLinks/_rels/externalLink1.xml.rels": LINK})
    raw = read_raw_table(path)
    assert raw.frame["x"].tolist() == ["1", "2"]
    assert raw.notes == ("filen har länkar till andra arbetsböcker "
                         "(file:///C:/statistik/befolkning.xlsx); värden som beräknas från dem "
                         "är de som sparades senast i filen och kan vara inaktuella",)
    export_path = _rewrite(_xlsx(tmp_path / "scb.xlsx", {
        "A1": "Titel", "B2": "2022", "A3": "0126A0010", "B3": 5}),
        {"xl/externalLinks/_rels/externalLink1.xml.rels": LINK})
    assert read_scb_export(export_path).notes == raw.notes


def test_merged_cells_are_still_found_in_read_only_mode(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    for row in (["a", "b", "c"], [1, 2, 3]):
        ws.append(row)
    ws.merge_cells("B1:C1")
    ws.merge_cells("A2:B2")
    book.save(tmp_path / "m.xlsx")
    assert merged_ranges(tmp_path / "m.xlsx", "xl/worksheets/sheet1.xml") == ("B1:C1", "A2:B2")


def test_scb_export_declaring_more_cells_than_the_limit_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_CELLS", "100000")
    path = _xlsx(tmp_path / "scb.xlsx", {"A1": "Titel", "B2": "2022", "A3": "0126A0010",
                                         "B3": 5, "CV5000": None, "CU5000": 0})
    with pytest.raises(FileLimitError, match="PREVMAP_MAX_CELLS="):
        read_scb_export(path)


# --- CSV ----------------------------------------------------------------------------------

def _csv(path: Path, rows: int, columns: int = 2) -> Path:
    header = ";".join(["area_id", *(f"x{j}" for j in range(1, columns))])
    body = "".join(f"0126C{i:04d}" + ";1" * (columns - 1) + "\n" for i in range(rows))
    path.write_text(header + "\n" + body, encoding="utf-8")
    return path


def test_csv_beyond_the_row_limit_is_refused_with_its_line_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_ROWS", "100")
    path = _csv(tmp_path / "rader.csv", 1_000)
    with pytest.raises(FileLimitError, match="fil 'rader.csv': " + _refused(
            "antal rader", "1 000", "100", "PREVMAP_MAX_ROWS")):
        read_indicator_table(path)
    _csv(path, 100)
    assert len(read_indicator_table(path)) == 100          # at the limit it reads


def test_csv_wider_than_the_column_limit_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path / "bred.csv", 2, columns=3_000)
    with pytest.raises(FileLimitError, match=_refused("antal kolumner", "3 000", "2 000",
                                                      "PREVMAP_MAX_COLUMNS")):
        read_raw_table(path)


def test_csv_of_many_cells_is_refused_before_they_are_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_CELLS", "10000")
    path = _csv(tmp_path / "celler.csv", 1_000, columns=20)
    with pytest.raises(FileLimitError, match=_refused(
            "antal celler (rader × kolumner)", "20 000", "10 000", "PREVMAP_MAX_CELLS")):
        read_raw_table(path)


def test_csv_beyond_the_byte_limit_is_refused_before_it_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_BYTES", "1000")
    path = _csv(tmp_path / "stor.csv", 200)
    with pytest.raises(FileLimitError, match="storlek på disk \\(byte\\) är 2\u202f"):
        read_raw_table(path)


def test_scb_csv_and_omradestyp_csv_are_bounded_in_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_ROWS", "50")
    typ = tmp_path / "omradestyp.csv"
    typ.write_text("Område,2023\n" + "".join(f"Huddinge (Del {i}),3\n" for i in range(100)),
                   encoding="utf-8")
    with pytest.raises(FileLimitError, match="fil 'omradestyp.csv': " + _refused(
            "antal rader", "51", "50", "PREVMAP_MAX_ROWS")):
        read_omradestyp(typ)
    export = tmp_path / "scb.csv"
    export.write_text('"Titel"\n"region";"2022"\n' + "".join(
        f'"0126A{i:04d}";"5"\n' for i in range(100)), encoding="utf-8")
    with pytest.raises(FileLimitError, match="PREVMAP_MAX_ROWS="):
        read_scb_export(export)


def test_bounded_rows_stops_at_a_row_wider_than_the_limit() -> None:
    from geo.io.limits import FileLimits

    rows = iter([("a",), ("b",) * 11, ("never read",)])
    with pytest.raises(FileLimitError, match=_refused("antal kolumner", "11", "10",
                                                      "PREVMAP_MAX_COLUMNS")):
        list(bounded_rows(rows, FileLimits(max_columns=10), "x.csv"))
    assert next(rows) == ("never read",)


def test_a_wrong_sheet_name_is_still_the_readers_error(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "blad.xlsx", TABLE)
    with pytest.raises(ScbFileError, match=re.escape(
            "fil 'blad.xlsx': bladet 'Saknas' finns inte. Värden: 'Data'.")):
        read_scb_export(path, sheet="Saknas")


def test_the_command_line_exits_2_and_says_how_to_raise_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from geo.cli import main

    monkeypatch.setenv("PREVMAP_MAX_ROWS", "100")
    path = _csv(tmp_path / "rader.csv", 1_000)
    code = main(["export", "--indicators", str(path), "--out", str(tmp_path / "k.html")])
    assert code == 2
    assert re.search("fil 'rader.csv': " + _refused("antal rader", "1 000", "100",
                                                    "PREVMAP_MAX_ROWS"), capsys.readouterr().err)
    assert not (tmp_path / "k.html").exists()


def test_csv_line_breaks_inside_quoted_cells_do_not_count_as_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_ROWS", "3")
    path = tmp_path / "citat.csv"
    path.write_text('area_id;namn\n0126C1010;"Flemingsberg\nvästra\ndelen"\n'
                    '0126C1020;"Vårby\ngård"\n', encoding="utf-8")
    assert read_raw_table(path).frame["namn"].tolist() == ["Flemingsberg\nvästra\ndelen",
                                                           "Vårby\ngård"]


def test_scb_xlsx_column_with_a_header_and_no_values_is_kept_in_read_only_mode(
        tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "tom_kolumn.xlsx", {"A1": "Titel", "B2": "2022", "C2": "2023",
                                                "A3": "0126A0010", "B3": 5})
    export = read_scb_export(path)
    assert export.data.columns.tolist() == ["area_id", "2022", "2023"]
    assert [(m.column, m.reason) for m in export.missing] == [("2023", "tom cell")]


def test_an_uploaded_xlsm_table_carries_the_macro_note_to_its_source(tmp_path: Path) -> None:
    from geo.inputs import DEFAULT_AREAS, DEMO_INDICATORS, inputs_for_areas
    from geo.io.areas import read_areas

    path = tmp_path / "indikatorer.xlsm"
    read_indicator_table(DEMO_INDICATORS).to_excel(path, index=False)
    inputs = inputs_for_areas(read_areas(DEFAULT_AREAS), path)
    assert len(inputs.table) == 22
    assert MACRO_NOTE in inputs.table_source.note


def _understate(path: Path, part: str, size: int) -> Path:
    """The zip's central directory says ``part`` unpacks to ``size`` bytes."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    at = data.index(b"PK\x01\x02" + bytes(data[data.rindex(name) - 42:data.rindex(name)]))
    data[at + 24:at + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("size", [300, 20_000])   # while openpyxl opens it, while rows stream
def test_xlsx_whose_zip_directory_understates_a_part_is_refused_as_a_broken_file(
        tmp_path: Path, size: int) -> None:
    cells = {**TABLE, **{f"A{r}": f"0126C{r:04d}" for r in range(4, 3_000)}}
    path = _understate(_xlsx(tmp_path / "ljuger.xlsx", cells), "xl/worksheets/sheet1.xml", size)
    with zipfile.ZipFile(path) as book:
        assert book.getinfo("xl/worksheets/sheet1.xml").file_size == size
    with pytest.raises(IndicatorTableError, match="fil 'ljuger.xlsx': kan inte läsas som "
                       "Excel-fil"):
        read_raw_table(path, error=IndicatorTableError)


# -- what metadata cannot foresee: the user's table is read in the bounded child -------------

def _pid_and_size(path: Path, limits) -> tuple[int, int]:
    """A reader that says where it ran: its process id, and the file's size."""
    import os

    return os.getpid(), path.stat().st_size


def _allocating_reader(path: Path, limits) -> int:
    """A reader that needs 2 GB, as a sheet of small cells can while it is parsed."""
    return len(bytearray(2 * 1024**3))


def test_users_indicator_table_is_read_in_a_child_with_bounded_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet within every size limit can still be costly to parse: the user's table is
    read where memory and time are limited, the bundled table in the process as before."""
    import os

    import geo.io.indicator_files
    from geo.io import safe_files
    from geo.io.limits import FileLimits
    from geo.io.safe_files import is_bundled, read_table_file

    upload = tmp_path / "indikatorer.csv"
    upload.write_bytes(DEMO_INDICATORS.read_bytes())
    assert read_table_file(upload).equals(read_indicator_table(upload))
    pid, size = read_table_file(upload, _pid_and_size)
    assert pid != os.getpid() and size == upload.stat().st_size
    assert read_table_file(DEMO_INDICATORS, _pid_and_size)[0] == os.getpid()
    assert is_bundled(DEMO_INDICATORS) and not is_bundled(upload)
    with pytest.raises(FileLimitError, match="indikatorer.csv.*mer minne.*"
                                             "PREVMAP_MAX_MEMORY_BYTES"):
        read_table_file(upload, _allocating_reader, FileLimits(max_memory_bytes=1024**3))
    # the app's and the CLI's path to an indicator table goes through it
    calls: list[Path] = []

    def spy(path, *args, **kwargs):
        calls.append(Path(path))
        return safe_files.read_table_file(path, *args, **kwargs)

    monkeypatch.setattr(geo.io.indicator_files, "read_table_file", spy)
    inputs_for_areas(read_areas(DEFAULT_AREAS), upload)
    assert calls == [upload]
