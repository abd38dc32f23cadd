"""The municipality's data template (geo/export/template.py): what it asks for, that codes stay
text and nothing becomes a formula, and the round trip that is its point: a template filled in
as a user would fill it is read back by prevmap's own reader with every indicator and the
values written."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo.export.template import (
    DELIVERER,
    DENOMINATOR,
    DENOMINATOR_TEXT,
    DIRECTION,
    DOMAIN,
    ID,
    INDICATOR,
    LEVEL,
    NUMERATOR,
    NUMERATOR_TEXT,
    SHEET_DATA,
    SHEET_INSTRUCTIONS,
    SOURCE,
    TEMPLATE_FORMATS,
    UNIT,
    deliverer,
    instruction_lines,
    instructions_csv,
    template_bytes,
    template_csv_bytes,
    template_tables,
    template_xlsx_bytes,
    write_template_csv,
    write_template_xlsx,
)
from geo.inputs import DEFAULT_CATALOGUE, inputs_for_areas, load_inputs
from geo.io.files import read_catalogue
from indicators.catalogue import Catalogue, Indicator, validate_catalogue
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.errors import AreaFileError
from indicators.table import available_indicators

DAY = dt.date(2026, 1, 15)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return read_catalogue(DEFAULT_CATALOGUE)


@pytest.fixture(scope="module")
def huddinge() -> pd.DataFrame:
    return load_inputs().areas.frame


def small_catalogue(**overrides: str) -> Catalogue:
    """Three indicators by hand: two rates that share the denominator 'barn', one ready
    value; ``overrides`` replace texts of the first."""
    rows = [
        {"id": "oro", "name": "Orosanmälningar", "domain": "psykisk_ohalsa", "direction": 1,
         "unit": "per 1 000", "per": 1000, "numerator": "oro_antal", "denominator": "barn",
         "source": "Socialtjänsten (kommunal)", "level": "kommunal"},
        {"id": "fritid", "name": "Fritidsdeltagande", "domain": "skyddsfaktorer",
         "direction": -1, "unit": "%", "per": 100, "numerator": "fritid_antal",
         "denominator": "barn", "source": "egen kartläggning", "level": "kommunal"},
        {"id": "index_x", "name": "Ett färdigt index", "domain": "socioekonomi",
         "direction": 1, "unit": "index", "per": None, "numerator": None,
         "denominator": None, "source": "SCB", "level": "område"},
    ]
    rows[0].update(overrides)
    return validate_catalogue(pd.DataFrame(rows))


# -- what the template asks for ----------------------------------------------------------------

def test_instructions_describe_every_indicator_with_its_numerator_and_denominator(
        catalogue: Catalogue) -> None:
    instructions, _ = template_tables(catalogue, None)
    assert instructions[ID].tolist() == list(catalogue)
    for ind, row in zip(catalogue.values(), instructions.to_dict("records"), strict=True):
        assert row[INDICATOR] == ind.name
        assert row[NUMERATOR] == ind.numerator
        assert row[DENOMINATOR] == ind.denominator
        assert row[NUMERATOR_TEXT] and row[DENOMINATOR_TEXT]
        assert row[DOMAIN] == DOMAINS[ind.domain]
        assert row[UNIT] == ind.unit
        assert row[SOURCE] == ind.source
        assert row[LEVEL].startswith(ind.level)
        assert row[DIRECTION] == ("högre värde = större behov" if ind.direction == 1
                                  else "högre värde = mindre behov (skyddsfaktor)")


def test_who_delivers_follows_the_source_text_then_the_domain(catalogue: Catalogue) -> None:
    # by hand from the sources in data/indicator_catalogue.csv
    expected = {
        "barn_lag_ek_standard": "SCB", "forgymnasial_utbildning": "SCB",
        "utanfor_arbetskraften": "SCB", "trangboddhet": "SCB",
        "behorighet_yrkesprogram": "skola", "hog_franvaro": "skola",
        "psykiatrisk_vard_unga": "region", "orosanmalningar": "socialtjänst",
        "narkotikabrott": "polis", "missbruksinsats_unga": "socialtjänst",
        "valdsbrott": "polis", "skadegorelse": "polis", "unga_misstankta": "polis",
        "fritidsdeltagande": "fritid", "unga_uvas": "SCB"}
    instructions, _ = template_tables(catalogue, None)
    assert dict(zip(instructions[ID], instructions[DELIVERER], strict=True)) == expected
    # no word of the rules in the source: the domain decides
    own = small_catalogue()["fritid"]
    assert own.source == "egen kartläggning"
    assert deliverer(own) == "fritid"
    # the part before ';' wins over a kommun-level reference after it
    assert deliverer(Indicator("x", "x", "kriminalitet", 1, "%", "Brå; SCB för kommunen")) \
        == "polis"


def test_data_sheet_has_each_column_once_in_catalogue_order_and_one_row_per_area() -> None:
    areas = pd.DataFrame({AREA_ID: ["0126R002", "0126R001"], AREA_NAME: ["Öst", "Väst"]})
    _, data = template_tables(small_catalogue(), areas)
    assert data.columns.tolist() == [AREA_ID, AREA_NAME, "oro_antal", "barn", "fritid_antal",
                                     "index_x"]
    assert data[AREA_ID].tolist() == ["0126R002", "0126R001"]
    assert data[AREA_NAME].tolist() == ["Öst", "Väst"]
    assert data.drop(columns=[AREA_ID, AREA_NAME]).isna().all().all()
    _, blank = template_tables(small_catalogue(), None)
    assert len(blank) == 0 and blank.columns.tolist() == data.columns.tolist()


def test_a_rate_and_a_ready_value_say_how_they_are_computed() -> None:
    instructions, _ = template_tables(small_catalogue(), None)
    rows = instructions.set_index(ID)
    assert rows.loc["oro", "Beräknas som"] == "oro_antal / barn × 1\u202f000"
    assert rows.loc["index_x", NUMERATOR] == "index_x"
    assert rows.loc["index_x", DENOMINATOR] == ""
    assert rows.loc["index_x", "Beräknas som"] == "värdet i kolumnen index_x som det är"


def test_areas_without_codes_or_with_a_code_twice_are_refused() -> None:
    with pytest.raises(AreaFileError, match="kolumnen med områdeskod saknas"):
        template_tables(small_catalogue(), pd.DataFrame({"kod": ["0126R001"]}))
    with pytest.raises(AreaFileError, match="'0126R001'"):
        template_tables(small_catalogue(), pd.DataFrame({AREA_ID: ["0126R001", "0126R001"]}))


# -- the workbook ---------------------------------------------------------------------------

def test_workbook_reads_data_first_and_opens_on_the_instructions(
        tmp_path, catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    path = write_template_xlsx(tmp_path / "mall.xlsx", catalogue, huddinge,
                               kommun_name="Huddinge", created=DAY)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET_DATA, SHEET_INSTRUCTIONS]
    assert wb.active.title == SHEET_INSTRUCTIONS
    sheet = wb[SHEET_INSTRUCTIONS]
    lines = instruction_lines("Huddinge", with_areas=True)
    assert [sheet.cell(row=i, column=1).value for i in range(1, len(lines) + 1)] == lines
    header = [c.value for c in sheet[len(lines) + 2]]
    instructions, data = template_tables(catalogue, huddinge)
    assert header == instructions.columns.tolist()
    assert [sheet.cell(row=len(lines) + 3 + i, column=2).value
            for i in range(len(catalogue))] == list(catalogue)
    rows = list(wb[SHEET_DATA].iter_rows(values_only=True))
    assert list(rows[0]) == data.columns.tolist()
    assert [r[:2] for r in rows[1:]] == list(zip(huddinge[AREA_ID], huddinge[AREA_NAME],
                                                 strict=True))


def test_area_codes_are_text_cells_that_keep_their_leading_zero(tmp_path) -> None:
    areas = pd.DataFrame({AREA_ID: ["0126R001", "0114"], AREA_NAME: ["Väst", "Upplands Väsby"]})
    path = write_template_xlsx(tmp_path / "mall.xlsx", small_catalogue(), areas, created=DAY)
    ws = openpyxl.load_workbook(path)[SHEET_DATA]
    for row, code in ((2, "0126R001"), (3, "0114")):
        cell = ws.cell(row=row, column=1)
        assert cell.value == code
        assert cell.data_type == "s"
        assert cell.number_format == "@"
    # the rows a user adds below are text too: the column's own format
    assert ws.column_dimensions["A"].number_format == "@"


def test_no_cell_of_the_bundled_template_looks_like_a_formula(
        catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx_bytes(catalogue, huddinge,
                                                               created=DAY)))
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert len(texts) > 100
    assert [t for t in texts if t.startswith(FORMULA_START)] == []
    fields = [f for row in csv.reader(io.StringIO(
        template_csv_bytes(catalogue, huddinge).decode("utf-8-sig")), delimiter=";")
        for f in row]
    fields += [f for row in csv.reader(io.StringIO(instructions_csv(catalogue)), delimiter=";")
               for f in row]
    assert [f for f in fields if f.startswith(FORMULA_START)] == []


def test_text_from_the_users_files_never_becomes_a_formula(tmp_path) -> None:
    hostile = small_catalogue(source='=HYPERLINK("http://x","klick")', name="+1+1")
    areas = pd.DataFrame({AREA_ID: ["0126R001"], AREA_NAME: ["@SUM(A1)"]})
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx_bytes(hostile, areas, created=DAY)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_START)]
    assert sorted(c.value for c in risky) == ['+1+1', '=HYPERLINK("http://x","klick")',
                                              "@SUM(A1)"]
    assert all(c.quotePrefix for c in risky)
    data_csv = template_csv_bytes(hostile, areas).decode("utf-8-sig")
    assert "'@SUM(A1)" in data_csv
    text = instructions_csv(hostile)
    assert "'=HYPERLINK" in text and "'+1+1" in text


def test_same_inputs_and_date_give_the_same_bytes(catalogue: Catalogue,
                                                  huddinge: pd.DataFrame) -> None:
    first = template_xlsx_bytes(catalogue, huddinge, kommun_name="Huddinge", created=DAY)
    assert first == template_xlsx_bytes(catalogue, huddinge, kommun_name="Huddinge",
                                        created=DAY)
    assert first != template_xlsx_bytes(catalogue, huddinge, kommun_name="Huddinge",
                                        created=DAY + dt.timedelta(days=1))


def test_csv_is_the_data_sheet_with_semicolons_and_a_byte_order_mark(
        catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    data = template_csv_bytes(catalogue, huddinge)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    _, frame = template_tables(catalogue, huddinge)
    assert rows[0] == frame.columns.tolist()
    assert [r[0] for r in rows[1:]] == huddinge[AREA_ID].tolist()
    assert all(r[2:] == [""] * (len(rows[0]) - 2) for r in rows[1:])


def test_the_registry_writes_each_kind_and_names_the_known_ones(
        catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    assert [f.key for f in TEMPLATE_FORMATS] == ["xlsx", "csv", "instruktioner"]
    assert template_bytes("xlsx", catalogue, huddinge, created=DAY) == \
        template_xlsx_bytes(catalogue, huddinge, created=DAY)
    assert template_bytes("csv", catalogue, huddinge) == template_csv_bytes(catalogue, huddinge)
    assert template_bytes("instruktioner", catalogue, None).decode("utf-8-sig") == \
        instructions_csv(catalogue)
    with pytest.raises(ValueError, match="kind='pdf'; finns: 'xlsx', 'csv', 'instruktioner'"):
        template_bytes("pdf", catalogue, huddinge)


# -- the round trip: filled in as a user would, read by prevmap's own reader ----------------

def filled_values(columns: list[str], n: int) -> dict[str, np.ndarray]:
    """Whole counts per column, seeded; every numerator at most its denominator (a share's
    numerator above its denominator is refused), as real counts are."""
    rng = np.random.default_rng(15)
    values = {c: rng.integers(200, 3000, size=n) for c in columns}
    catalogue = read_catalogue(DEFAULT_CATALOGUE)
    for ind in catalogue.values():
        values[ind.numerator] = rng.integers(0, values[ind.denominator] + 1)
    return values


def fill_workbook(path, value: Callable[[str, int], object]) -> None:
    """Fill the Data sheet of the workbook at ``path`` as a user would: ``value(column,
    i)`` into every value column of the i-th area's row, then save it."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_DATA]
    header = [c.value for c in ws[1]]
    for j, column in enumerate(header[2:], 3):
        for i in range(ws.max_row - 1):
            ws.cell(row=i + 2, column=j).value = value(column, i)
    wb.save(path)


def check_read_back(path, catalogue: Catalogue, huddinge: pd.DataFrame,
                    values: dict[str, np.ndarray]) -> None:
    inputs = inputs_for_areas(load_inputs().areas, path)
    assert available_indicators(inputs.table, catalogue) == tuple(catalogue)
    table = inputs.table.set_index(AREA_ID)
    assert table.index.tolist() == huddinge[AREA_ID].tolist()
    for column, written in values.items():
        assert table[column].tolist() == [float(v) for v in written], column


def test_a_filled_workbook_is_read_back_with_every_indicator(
        tmp_path, catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    path = write_template_xlsx(tmp_path / "mall.xlsx", catalogue, huddinge, created=DAY)
    _, data = template_tables(catalogue, huddinge)
    values = filled_values(data.columns.tolist()[2:], len(huddinge))
    fill_workbook(path, lambda column, i: int(values[column][i]))
    check_read_back(path, catalogue, huddinge, values)


def test_a_filled_csv_is_read_back_with_every_indicator(
        tmp_path, catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    path = write_template_csv(tmp_path / "mall.csv", catalogue, huddinge)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    header = rows[0]
    values = filled_values(header[2:], len(huddinge))
    for i, row in enumerate(rows[1:]):
        row[2:] = [str(values[c][i]) for c in header[2:]]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))   # as Swedish Excel saves it
    check_read_back(path, catalogue, huddinge, values)


def test_empty_cells_and_two_dots_are_read_as_missing_not_zero(
        tmp_path, catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    path = write_template_xlsx(tmp_path / "mall.xlsx", catalogue, huddinge, created=DAY)
    hidden = {0: "..", 1: None}      # the first two areas: hidden and left empty
    fill_workbook(path, lambda column, i: hidden[i] if column == "orosanmalningar_0_17"
                  and i in hidden else 10 * (i + 2))
    table = inputs_for_areas(load_inputs().areas, path).table.set_index(AREA_ID)
    column = table["orosanmalningar_0_17"]
    assert column.iloc[:2].isna().all()
    assert column.iloc[2:].tolist() == [10.0 * i for i in range(4, len(huddinge) + 2)]


def test_an_indicator_left_out_by_removing_its_numerator_is_the_only_one_missing(
        tmp_path, catalogue: Catalogue, huddinge: pd.DataFrame) -> None:
    """As the instructions say (line 5): without its numerator column an indicator is left
    out, and the others that share its denominator stay."""
    _, data = template_tables(catalogue, huddinge)
    values = filled_values(data.columns.tolist()[2:], len(huddinge))
    filled = data.assign(**values).drop(columns=["orosanmalningar_0_17"])
    path = tmp_path / "mall.csv"
    path.write_bytes(filled.to_csv(sep=";", index=False).encode("utf-8-sig"))
    inputs = inputs_for_areas(load_inputs().areas, path)
    assert available_indicators(inputs.table, catalogue) == tuple(
        i for i in catalogue if i != "orosanmalningar")
    assert "ta bort dess täljarkolumn" in instruction_lines()[5]
