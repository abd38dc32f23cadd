"""SCB Statistikdatabasen files as downloaded (geo/io/scb_files.py): fixtures, real data."""

from __future__ import annotations

import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.io.scb_files import read_omradestyp, read_scb_export
from geo.io.tables import MISSING_SYMBOLS, MissingCell
from indicators.codes import OMRADESTYP_LABELS
from indicators.errors import ScbFileError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
XLSX_DIR = SHARED / "sweden" / "scb_statistikdatabasen_xlsx"
HUDDINGE_WIDE = SHARED / "huddinge" / "scb_deso2018_2022_0126_wide.csv"


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "000005XX"
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


FOOTER: list[list[object]] = [
    [None],
    ["Statistiken är justerad för att undvika identifiering av personer."],
    [None],
    ["Källa:"], ["SCB"], [None],
    ["Intern referenskod:"], ["000005XX"],
]


def test_a_small_export_with_two_header_rows_and_symbols(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "000005XX_20240813.xlsx", [
        ["Antal barn efter region, år och kön", None, None],
        [None],
        [None, "2022", None],
        [None, "pojkar", "flickor"],
        ["0126A0010", 10, ".."],
        ["0126C1020", "-", 7.5],
        ["0126R001 Flemingsberg västra", ".", "1 234,5"],
        *FOOTER,
    ])
    export = read_scb_export(path)
    assert export.title == "Antal barn efter region, år och kön"
    assert export.table_code == "000005XX"
    assert export.source == "000005XX_20240813.xlsx" and export.sheet == "000005XX"
    assert export.footnotes == ("Statistiken är justerad för att undvika identifiering av "
                                "personer.", "Källa:", "SCB", "Intern referenskod:", "000005XX")
    assert export.headers == (("2022", "pojkar"), ("2022", "flickor"))
    data = export.data
    assert data.columns.tolist() == ["area_id", "area_name", "2022, pojkar", "2022, flickor"]
    assert data["area_id"].tolist() == ["0126A0010", "0126C1020", "0126R001"]
    assert data["area_name"].tolist() == ["", "", "Flemingsberg västra"]
    pojkar, flickor = data["2022, pojkar"].tolist(), data["2022, flickor"].tolist()
    assert pojkar[0] == 10.0 and math.isnan(pojkar[1]) and math.isnan(pojkar[2])
    assert math.isnan(flickor[0]) and flickor[1:] == [7.5, 1234.5]
    assert export.missing == (
        MissingCell(5, "2022, flickor", "0126A0010", "..", MISSING_SYMBOLS[".."]),
        MissingCell(6, "2022, pojkar", "0126C1020", "-", MISSING_SYMBOLS["-"]),
        MissingCell(7, "2022, pojkar", "0126R001", ".", MISSING_SYMBOLS["."]),
    )
    assert export.missing_frame()["value"].tolist() == ["..", "-", "."]
    assert export.vintage is None


def test_year_as_rows_becomes_part_of_the_column_name(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "ar.xlsx", [
        ["Folkmängden per region efter år, region och kön"], [None],
        [None, None, "totalt"],
        ["2022", "0114A0010_DeSO2025", 863],
        [None, "0114C1010_DeSO2025", 1562],
        ["2023", "0114A0010_DeSO2025", 898],
        [None, "0114C1010_DeSO2025", 1565],
        *FOOTER,
    ])
    export = read_scb_export(path)
    assert export.vintage == "DeSO2025"
    assert export.data.columns.tolist() == ["area_id", "2022, totalt", "2023, totalt"]
    assert export.data["area_id"].tolist() == ["0114A0010", "0114C1010"]
    assert export.data["2022, totalt"].tolist() == [863.0, 1562.0]
    assert export.data["2023, totalt"].tolist() == [898.0, 1565.0]


def test_a_small_csv_export(tmp_path: Path) -> None:
    path = tmp_path / "scb.csv"
    path.write_text('"Folkmängd efter region och år"\n\n"region";"2022";"2023"\n'
                    '"0126 Huddinge";"113 000";".."\n"0127 Botkyrka";"95 000";"96 100"\n\n'
                    '"Källa:"\n"SCB"\n', encoding="cp1252")
    export = read_scb_export(path)
    assert export.title == "Folkmängd efter region och år"
    assert export.data[["area_id", "area_name"]].values.tolist() == [["0126", "Huddinge"],
                                                                     ["0127", "Botkyrka"]]
    assert export.data["2022"].tolist() == [113000.0, 95000.0]
    assert export.missing == (MissingCell(4, "2023", "0126", "..", MISSING_SYMBOLS[".."]),)
    assert export.footnotes == ("Källa:", "SCB")
    assert export.table_code is None


def test_an_unparseable_value_is_an_error_never_zero(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "trasig.xlsx", [
        ["Titel"], [None, "2022"], ["0126A0010", 5], ["0126C1020", "x"], ["0126C1030", "ca 3"],
    ])
    with pytest.raises(ScbFileError, match=re.escape(
            "Fel i SCB-filen: fil 'trasig.xlsx': blad '000005XX': värden som inte är tal. "
            "Värden: \"rad 4: 'x'\", \"rad 5: 'ca 3'\". Förväntat: tal eller SCB:s tecken "
            "'..', '.', '-'. Åtgärd: ladda ned tabellen igen utan att ändra den; värden läses "
            "aldrig som 0.")):
        read_scb_export(path)


def test_mixed_vintages(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "blandad.xlsx", [
        ["Titel"], [None, "2024"], ["0114A0010_DeSO2025", 5], ["0114A0010_DeSO2018", 6]])
    with pytest.raises(ScbFileError, match=re.escape(
            "blad '000005XX': koder från flera versioner av indelningen. Värden: 'DeSO2018', "
            "'DeSO2025'. Åtgärd: välj en version av indelningen i Statistikdatabasen.")):
        read_scb_export(path)


def test_region_as_columns_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "pivot.xlsx", [
        ["Titel"], [None, "0126A0010", "0126C1020"], ["2022", 5, 6]])
    with pytest.raises(ScbFileError, match=re.escape(
            "Fel i SCB-filen: fil 'pivot.xlsx': blad '000005XX': hittar ingen kolumn med "
            "områdeskoder till vänster om data. Förväntat: region (t.ex. DeSO eller RegSO) som "
            "rader. Åtgärd: välj region som rader (Pivotera) i Statistikdatabasen och ladda ned "
            "igen.")):
        read_scb_export(path)


def test_empty_and_dataless_files(tmp_path: Path) -> None:
    with pytest.raises(ScbFileError, match=re.escape(
            "Fel i SCB-filen: fil 'tom.xlsx': blad '000005XX': filen är tom. Förväntat: en "
            "export från Statistikdatabasen.")):
        read_scb_export(_xlsx(tmp_path / "tom.xlsx", []))
    with pytest.raises(ScbFileError, match=re.escape(
            "hittar inga datarader (rader med tal eller '..'). Förväntat: en export från "
            "Statistikdatabasen som den laddades ned.")):
        read_scb_export(_xlsx(tmp_path / "text.xlsx", [["Titel"], ["bara text"]]))
    with pytest.raises(ScbFileError, match=re.escape(
            "Fel i SCB-filen: fil 'x.xlsx': bladet 'Blad9' finns inte. Värden: '000005XX'.")):
        read_scb_export(_xlsx(tmp_path / "x.xlsx", [["Titel"]]), sheet="Blad9")
    with pytest.raises(ScbFileError, match=re.escape("okänt filformat '.ods'")):
        (tmp_path / "x.ods").write_bytes(b"")
        read_scb_export(tmp_path / "x.ods")
    with pytest.raises(ScbFileError, match=re.escape("finns inte. Kontrollera sökvägen.")):
        read_scb_export(tmp_path / "saknas.xlsx")


OMRADESTYP_CSV = (
    "\ufeffOmråde,2023\r\n"
    "Huddinge (Flemingsberg västra),2\r\n"
    "Huddinge (Vårby Udde-Duvberget),3\r\n"
    "Upplands-Bro (Kungsängen (centrala)),..\r\n"
    ",\r\n"
    '"Områdestyp 1 – områden med stora socioekonomiska utmaningar\r\n'
    'Områdestyp 2 – områden med socioekonomiska utmaningar",\r\n'
    "Intern referenskod:,\r\n000005QX,\r\n"
)


def test_read_omradestyp(tmp_path: Path) -> None:
    path = tmp_path / "omradestyp.csv"
    path.write_bytes(OMRADESTYP_CSV.encode("utf-8"))
    table = read_omradestyp(path)
    assert table.columns.tolist() == ["kommun_name", "regso_name", "omradestyp", "year"]
    assert table["kommun_name"].tolist() == ["Huddinge", "Huddinge", "Upplands-Bro"]
    assert table["regso_name"].tolist() == ["Flemingsberg västra", "Vårby Udde-Duvberget",
                                            "Kungsängen (centrala)"]
    assert table["omradestyp"].tolist()[:2] == [2, 3]
    assert table["omradestyp"].isna().tolist() == [False, False, True]
    assert table["year"].tolist() == [2023] * 3
    assert OMRADESTYP_LABELS[1] == "Områden med stora socioekonomiska utmaningar"


def test_read_omradestyp_errors(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("Område,år\nHuddinge (Länna),4\n", encoding="utf-8")
    with pytest.raises(ScbFileError, match=re.escape(
            "Fel i SCB-filen: fil 'o.csv': rubrikraden ska ha året i andra kolumnen. Värden: "
            "'Område', 'år'. Förväntat: t.ex. 'Område,2023'.")):
        read_omradestyp(path)
    path.write_text("Område,2023\nHuddinge (Länna),4\nHuddinge Stuvsta,5\n"
                    "Huddinge (Snättringe),6\n", encoding="utf-8")
    with pytest.raises(ScbFileError, match=re.escape(
            "Fel i SCB-filen: fil 'o.csv': rader som inte är 'Kommun (RegSO-namn),typ'. "
            "Värden: \"rad 3: 'Huddinge Stuvsta,5'\", \"rad 4: 'Huddinge (Snättringe),6'\". "
            "Förväntat: områdestyp 1–5 eller '..'.")):
        read_omradestyp(path)


# -- real data ---------------------------------------------------------------------------

needs_shared = pytest.mark.skipif(not XLSX_DIR.is_dir() or not HUDDINGE_WIDE.is_file(),
                                  reason=f"delade data saknas: {SHARED} (../shared/data)")

# Each real export, its columns in the Huddinge file (in order), and the number of
# footnote lines (checked by reading the files).
REAL = {
    "000005F8": ("Antal hushåll efter region, år och hushållstyp",
                 ["hh_2022_cohabiting_with_children", "hh_2022_cohabiting_no_children",
                  "hh_2022_single_with_children", "hh_2022_single_no_children",
                  "hh_2022_other"]),
    "000005FB": ("Folkmängden per region efter region, år, födelseregion och kön",
                 ["pop_2022_born_sweden", "pop_2022_born_europe_excl_se",
                  "pop_2022_born_rest_of_world_incl_unknown", "pop_2022_total_birth"]),
    "000005FC": ("Folkmängden per region efter år, region och kön", ["pop_2023_total"]),
    "000005FE": ("Folkmängden per region efter region, år, utländsk/svensk bakgrund och kön",
                 ["pop_2022_swedish_background", "pop_2022_foreign_background",
                  "pop_2022_total_bg"]),
    "000005FF": ("Folkmängden per region efter region, år, ålder och kön",
                 ["pop_2022_total", "pop_2022_age_0_4", "pop_2022_age_5_9",
                  "pop_2022_age_10_14", "pop_2022_age_15_19", "pop_2022_age_20_24"]),
    "000005FM": ("Andel av befolkningen i inkomstklass efter region, tabellinnehåll, år, "
                 "inkomstslag och kön",
                 ["net_income_2022_median_tkr", "net_income_2022_mean_tkr",
                  "net_income_2022_n_persons"]),
    "000005LO": ("Antal personer efter region, år och hustyp",
                 ["persons_2022_smahus", "persons_2022_flerbostadshus",
                  "persons_2022_ovriga_hus", "persons_2022_specialbostader",
                  "persons_2022_hustyp_saknas", "persons_2022_hustyp_total"]),
    "000005MO": ("Befolkning 25-64 år efter region, år och utbildningsnivå",
                 ["edu_2564_2022_forgymnasial", "edu_2564_2022_gymnasial",
                  "edu_2564_2022_eftergym_lt3", "edu_2564_2022_eftergym_ge3",
                  "edu_2564_2022_unknown"]),
    "000006OC": ("Antal lägenheter efter region, år och upplåtelseform",
                 ["dwellings_2022_hyresratt", "dwellings_2022_bostadsratt",
                  "dwellings_2022_aganderatt", "dwellings_2022_upplatelseform_saknas"]),
    "000006TA": ("Låg resp. hög ekonomisk standard efter region, tabellinnehåll, år och ålder",
                 ["low_econ_standard_2022_pct", "high_econ_standard_2022_pct",
                  "econ_standard_2022_n_persons"]),
    "000007A8": ("Arbetsmarknadsstatus. Årligt register efter region, tabellinnehåll, kön, "
                 "ålder och år",
                 ["lm_1664_2022_employed", "lm_1664_2022_unemployed",
                  "lm_1664_2022_labour_force", "lm_1664_2022_outside_lf",
                  "lm_1664_2022_total"]),
}


def _real_files() -> list[Path]:
    return sorted(XLSX_DIR.glob("*.xlsx")) if XLSX_DIR.is_dir() else []


@needs_shared
def test_every_real_export_is_known() -> None:
    assert sorted(p.name[:8] for p in _real_files()) == sorted(REAL)


@needs_shared
@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name[:8])
def test_real_export_matches_the_huddinge_table(path: Path) -> None:
    export = read_scb_export(path)
    title, huddinge_columns = REAL[path.name[:8]]
    assert export.table_code == path.name[:8]
    assert export.title == title
    assert export.footnotes[-2:] == ("Intern referenskod:", path.name[:8])
    assert "Källa:" in export.footnotes and "SCB" in export.footnotes
    data = export.data
    assert len(data) == 5984                              # every DeSO 2018
    assert data["area_id"].is_unique
    assert data["area_id"].str.fullmatch(r"\d{4}[ABC]\d{4}").all()
    assert data["area_id"].iloc[0] == "0114A0010"
    assert "area_name" not in data.columns                # the exports hold codes only
    assert len(data.columns) == len(huddinge_columns) + 1
    assert export.missing == ()                           # no '..' in these tables
    assert not data.drop(columns="area_id").isna().any().any()
    assert export.vintage is None

    huddinge = pd.read_csv(HUDDINGE_WIDE, dtype={"deso_2018": str}).set_index("deso_2018")
    ours = data[data["area_id"].str.startswith("0126")].set_index("area_id")
    assert len(ours) == len(huddinge) == 60                # Huddinge's DeSO 2018
    expected = huddinge.loc[ours.index, huddinge_columns].to_numpy(dtype=float)
    assert (ours.to_numpy(dtype=float) == expected).all()


@needs_shared
def test_real_export_known_values() -> None:
    by_code = {p.name[:8]: p for p in _real_files()}
    hushall = read_scb_export(by_code["000005F8"]).data.set_index("area_id")
    assert hushall.loc["0126A0010"].tolist() == [180.0, 166.0, 38.0, 208.0, 74.0]
    assert hushall.columns.tolist()[0] == "2022, sammanboende med barn"
    ek = read_scb_export(by_code["000006TA"]).data.set_index("area_id")
    assert ek.loc["0126A0010", "Låg ekonomisk standard, procent, 2022, totalt ålder"] == 7.0
    inkomst = read_scb_export(by_code["000005FM"]).data.set_index("area_id")
    assert inkomst.loc["0126A0010", "Medianvärde, tkr, 2022, nettoinkomst, totalt"] == 324.9
    folk = read_scb_export(by_code["000005FC"]).data.set_index("area_id")
    assert folk.columns.tolist() == ["2023, totalt"]     # year given as rows in this export
    assert folk.loc["0126A0010", "2023, totalt"] == 1769.0


OMRADESTYP_FILES = {2022: SHARED / "sweden" / "regso_socioekonomisk_index_2022.csv",
                    2023: SHARED / "sweden" / "regso_socioekonomisk_index_2023.csv"}
HUDDINGE_TYPE_2 = {
    2022: ["Flemingsberg västra", "Skogås västra", "Vårby gård", "Vårby Haga-Masmo",
           "Vårby Udde-Duvberget"],
    2023: ["Flemingsberg västra", "Flemingsberg östra", "Skogås västra", "Vårby gård",
           "Vårby Haga-Masmo"],
}
TYPE_COUNTS = {2022: [160, 289, 855, 1770, 289], 2023: [162, 293, 835, 1781, 292]}


@pytest.mark.parametrize("year", [2022, 2023])
def test_real_omradestyp(year: int) -> None:
    path = OMRADESTYP_FILES[year]
    if not path.is_file():
        pytest.skip(f"delade data saknas: {path}")
    table = read_omradestyp(path)
    assert len(table) == 3363                             # every RegSO
    assert (table["year"] == year).all()
    assert table["omradestyp"].value_counts().sort_index().tolist() == TYPE_COUNTS[year]
    assert not table.duplicated(["kommun_name", "regso_name"]).any()
    huddinge = table[table["kommun_name"] == "Huddinge"]
    assert len(huddinge) == 22
    assert huddinge[huddinge["omradestyp"] == 2]["regso_name"].tolist() == HUDDINGE_TYPE_2[year]
    assert table.iloc[0].tolist() == ["Upplands Väsby", "Bollstanäs", 4, year]
