"""Readers and writers of geo/io/files.py, on the project's data files and on tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import (
    SourceInfo,
    detect_separator,
    mark_synthetic,
    read_catalogue,
    read_indicator_table,
    read_settings,
    read_source_info,
    write_settings,
)
from indicators.catalogue import Catalogue
from indicators.columns import DOMAINS
from indicators.errors import CatalogueError, IndicatorTableError, PrevmapError, SettingsError
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings, validate_settings

DATA = Path(__file__).resolve().parents[1] / "data"
CATALOGUE = DATA / "indicator_catalogue.csv"
SCB_CATALOGUE = DATA / "catalogue_scb.csv"
PROFILES = sorted((DATA / "profiles").glob("*.toml"))


# -- read_catalogue ---------------------------------------------------------------------

def test_read_the_project_catalogue() -> None:
    catalogue = read_catalogue(CATALOGUE)
    assert len(catalogue) == 15
    assert list(catalogue)[:3] == ["barn_lag_ek_standard", "forgymnasial_utbildning",
                                   "utanfor_arbetskraften"]
    assert {ind.domain for ind in catalogue.values()} == set(DOMAINS)
    assert all(ind.is_rate for ind in catalogue.values())
    assert {ind.id for ind in catalogue.values() if ind.direction == -1} == {
        "behorighet_yrkesprogram", "fritidsdeltagande"}
    vald = catalogue["valdsbrott"]
    assert (vald.numerator, vald.denominator, vald.per, vald.unit) == (
        "valdsbrott", "invanare", 1000.0, "per 1 000")
    assert catalogue["barn_lag_ek_standard"].per == 100.0
    assert [i.id for i in catalogue.in_domain("kriminalitet")] == [
        "valdsbrott", "skadegorelse", "unga_misstankta"]


def test_read_catalogue_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "katalog.csv"
    path.write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert read_catalogue(path) == read_catalogue(CATALOGUE)


def test_read_catalogue_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "min_katalog.csv"
    path.write_text("id,name,domain,direction,unit,per,numerator,denominator,source,level\n"
                    "vald,Våld,brott,1,st,,,,Polisen,\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=re.escape(
            "Fel i indikatorkatalogen: fil 'min_katalog.csv', kolumn 'domain': okänd domän. "
            "Värden: 'brott'.")):
        read_catalogue(path)


def test_read_catalogue_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "saknas.csv"
    with pytest.raises(PrevmapError, match=re.escape(
            f"Fel i indikatorkatalogen: Katalogfilen '{path}' finns inte. Kontrollera sökvägen.")):
        read_catalogue(path)


# -- read_indicator_table ---------------------------------------------------------------

SEMICOLON_CSV = """\
area_id;area_name;barn;barn_lag_ek;invanare;anmalda_brott;elever;elever_behoriga;franvaro
0126R001;Ruta 1;100;10;1000;9;100;90;2
0126R002;Ruta 2;200;40;2000;16;50;40;4.5
0126R003;Ruta 3;100;30;;21;200;140;
"""


def test_read_a_semicolon_csv_as_text(tmp_path: Path) -> None:
    path = tmp_path / "indikatorer.csv"
    path.write_text(SEMICOLON_CSV, encoding="utf-8")
    table = read_indicator_table(path)
    assert table.columns.tolist() == SEMICOLON_CSV.splitlines()[0].split(";")
    assert table["area_id"].tolist() == ["0126R001", "0126R002", "0126R003"]  # leading zero
    assert table["area_id"].dtype == "string"
    assert table["franvaro"].tolist() == ["2", "4.5", ""]       # text; validation converts
    assert table["invanare"].tolist() == ["1000", "2000", ""]


def test_a_comma_csv_with_byte_order_mark_reads_the_same(tmp_path: Path) -> None:
    semi, comma = tmp_path / "semi.csv", tmp_path / "comma.txt"
    semi.write_text(SEMICOLON_CSV, encoding="utf-8")
    comma.write_text(SEMICOLON_CSV.replace(";", ","), encoding="utf-8-sig")
    pd.testing.assert_frame_equal(read_indicator_table(comma), read_indicator_table(semi))


def test_a_csv_read_from_disk_ranks_like_the_frame(tmp_path: Path, grid_table: pd.DataFrame,
                                                   grid_catalogue: Catalogue,
                                                   grid_settings: AnalysisSettings) -> None:
    path = tmp_path / "rutnat.csv"
    grid_table.to_csv(path, sep=";", index=False)
    from_disk = rank_areas(read_indicator_table(path), grid_catalogue, grid_settings)
    pd.testing.assert_frame_equal(from_disk.summary(),
                                  rank_areas(grid_table, grid_catalogue, grid_settings).summary())


def test_empty_cells_become_missing_after_validation(tmp_path: Path,
                                                     grid_catalogue: Catalogue) -> None:
    path = tmp_path / "indikatorer.csv"
    path.write_text(SEMICOLON_CSV, encoding="utf-8")
    s = AnalysisSettings.create({"brott": 1, "franvaro": 1})
    result = rank_areas(read_indicator_table(path), grid_catalogue, s)
    assert np.isnan(result.values.at["0126R003", "brott"])
    assert np.isnan(result.values.at["0126R003", "franvaro"])
    assert result.values.at["0126R002", "franvaro"] == 4.5


def test_read_parquet(tmp_path: Path, grid_table: pd.DataFrame) -> None:
    path = tmp_path / "indikatorer.parquet"
    grid_table.assign(area_id=[f"0{k}" for k in range(1, 10)]).to_parquet(path)
    table = read_indicator_table(path)
    assert table["area_id"].tolist() == [f"0{k}" for k in range(1, 10)]
    assert table["area_id"].dtype == "string"
    assert table["barn"].tolist() == grid_table["barn"].tolist()


def test_read_indicator_table_of_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "indikatorer.ods"
    path.write_bytes(b"")
    with pytest.raises(IndicatorTableError, match=re.escape(
            "Fel i indikatortabellen: fil 'indikatorer.ods': okänt filformat '.ods'. "
            "Förväntat: .csv, .xlsx eller .parquet.")):
        read_indicator_table(path)


def test_read_indicator_table_from_excel(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["area_id", "barn"])
    sheet.append(["0126R001", 120])
    sheet.append(["0126R002", "12,5"])
    path = tmp_path / "indikatorer.xlsx"
    book.save(path)
    table = read_indicator_table(path)
    assert table["area_id"].tolist() == ["0126R001", "0126R002"]
    assert table["barn"].tolist() == ["120", "12,5"]


def test_read_indicator_table_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "saknas.csv"
    with pytest.raises(IndicatorTableError, match=re.escape(
            f"Fel i indikatortabellen: Indikatorfilen '{path}' finns inte. "
            "Kontrollera sökvägen.")):
        read_indicator_table(path)


# -- read_settings / write_settings -----------------------------------------------------

def test_there_are_three_demo_profiles_and_one_for_scb() -> None:
    assert [p.name for p in PROFILES] == ["bred_prevention.toml", "kriminalitet.toml",
                                          "psykisk_ohalsa.toml", "scb_socioekonomi.toml"]


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_every_profile_reads_and_fits_the_catalogue(path: Path) -> None:
    settings = read_settings(path)
    assert settings.name
    assert settings.description
    catalogue = SCB_CATALOGUE if path.stem.startswith("scb") else CATALOGUE
    validate_settings(settings, read_catalogue(catalogue), source=path.name)
    assert AnalysisSettings.from_toml(settings.to_toml()) == settings


def test_profile_contents() -> None:
    by_name = {read_settings(p).name: read_settings(p) for p in PROFILES}
    assert set(by_name) == {"Bred prevention", "Kriminalitet", "Psykisk ohälsa",
                            "SCB: socioekonomiska riskfaktorer"}
    scb = by_name["SCB: socioekonomiska riskfaktorer"]
    assert set(scb.indicators) == {"lag_ek_standard", "forgymnasial_utbildning",
                                   "utanfor_arbetskraften", "hyresratt"}
    broad = by_name["Bred prevention"]
    assert len(broad.indicators) == 15
    assert (broad.normalisation, broad.aggregation) == ("zscore", "arithmetic")
    crime = by_name["Kriminalitet"]
    assert crime.normalisation == "percentile"
    assert crime.indicator_weight("unga_misstankta") == 2.0
    assert crime.domain_weight("kriminalitet") == 3.0
    assert crime.domain_weight("skola") == 0.0
    mental = by_name["Psykisk ohälsa"]
    assert mental.aggregation == "mpi"
    assert mental.domain_weight("missbruk") == 1.0           # not listed: weighs 1


def test_write_settings_round_trip(tmp_path: Path) -> None:
    settings = AnalysisSettings.create({"valdsbrott": 2, "narkotikabrott": 0.5},
                                       {"kriminalitet": 3}, normalisation="minmax",
                                       name="Egen analys", description="Sparad å ä ö")
    path = write_settings(settings, tmp_path / "egen.toml")
    assert path == tmp_path / "egen.toml"
    assert path.read_text(encoding="utf-8") == settings.to_toml()
    assert read_settings(path) == settings


def test_read_settings_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "trasig.toml"
    path.write_text('normalisation = "rang"\n[indicator_weights]\nvaldsbrott = 1\n',
                    encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape(
            "Fel i analysinställningarna: fil 'trasig.toml', nyckel 'normalisation': okänt val. "
            "Värden: 'rang'.")):
        read_settings(path)


def test_read_settings_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "saknas.toml"
    with pytest.raises(SettingsError, match=re.escape(
            f"Fel i analysinställningarna: Inställningsfilen '{path}' finns inte. "
            "Kontrollera sökvägen.")):
        read_settings(path)


# -- read_source_info -------------------------------------------------------------------

def test_source_info_of_the_demo_data() -> None:
    info = read_source_info(DATA / "demo" / "huddinge_demo_indicators.csv")
    assert info.synthetic
    assert info.date == "2026-11-23"
    assert info.label().startswith("SYNTETISKA DEMODATA – Demoindikatorer för Huddinges "
                                   "22 RegSO, ")
    assert info.label().endswith(", datum 2026-11-23, licens CC0")


def test_source_info_from_a_sidecar(tmp_path: Path) -> None:
    data = tmp_path / "indikatorer.csv"
    data.write_text("area_id\n", encoding="utf-8")
    (tmp_path / "indikatorer.csv.meta.toml").write_text(
        'title = "Indikatorer 2025"\nsource = "Kommunen"\ndate = 2025-03-01\n'
        'licence = "CC0"\nnote = "Preliminära tal"\n', encoding="utf-8")
    info = read_source_info(data)
    assert info == SourceInfo(title="Indikatorer 2025", source="Kommunen", date="2025-03-01",
                              licence="CC0", synthetic=False, note="Preliminära tal")
    assert info.label() == "Indikatorer 2025, Kommunen, datum 2025-03-01, licens CC0"


def test_source_info_without_a_sidecar_uses_the_file(tmp_path: Path) -> None:
    data = tmp_path / "egna_tal.csv"
    data.write_text("area_id\n", encoding="utf-8")
    noon = time.mktime(dt.datetime(2024, 5, 17, 12, 0).timetuple())
    os.utime(data, (noon, noon))
    info = read_source_info(data)
    assert info == SourceInfo(title="egna_tal.csv", source="egen fil", date="2024-05-17",
                              note="ingen metadatafil; datum är filens ändringsdatum")
    assert info.label() == "egna_tal.csv, egen fil, datum 2024-05-17"


def test_source_info_of_a_file_that_does_not_exist(tmp_path: Path) -> None:
    info = read_source_info(tmp_path / "saknas.csv")
    assert (info.title, info.date) == ("saknas.csv", "okänt")


def test_sidecar_that_is_not_toml(tmp_path: Path) -> None:
    meta = tmp_path / "x.csv.meta.toml"
    meta.write_text('title = "utan slut\n', encoding="utf-8")
    with pytest.raises(PrevmapError, match=re.escape(
            f"Fel i metadatafilen: metadatafilen '{meta}' är inte giltig TOML: ")):
        read_source_info(tmp_path / "x.csv")


def test_sidecar_problems_are_collected(tmp_path: Path) -> None:
    meta = tmp_path / "x.csv.meta.toml"
    meta.write_text('title = "  "\nkalla = "SCB"\nversion = 2\n', encoding="utf-8")
    with pytest.raises(PrevmapError, match=r"^Fel i metadatafilen: 4 problem\.\n") as info:
        read_source_info(tmp_path / "x.csv")
    assert str(info.value) == (
        "Fel i metadatafilen: 4 problem.\n"
        f"1. fil '{meta}': okända nycklar i metadatafilen. Värden: 'kalla', 'version'. "
        "Förväntat: checks, date, licence, note, source, synthetic, title.\n"
        f"2. fil '{meta}', nyckel 'title': nyckeln saknas eller är tom.\n"
        f"3. fil '{meta}', nyckel 'source': nyckeln saknas eller är tom.\n"
        f"4. fil '{meta}', nyckel 'date': nyckeln saknas eller är tom.")


@pytest.mark.parametrize("key", ["title", "source", "date"])
def test_sidecar_needs_title_source_and_date(tmp_path: Path, key: str) -> None:
    values = {"title": '"T"', "source": '"S"', "date": '"2025-01-01"'}
    del values[key]
    meta = tmp_path / "x.csv.meta.toml"
    meta.write_text("".join(f"{k} = {v}\n" for k, v in values.items()), encoding="utf-8")
    with pytest.raises(PrevmapError, match=re.escape(
            f"Fel i metadatafilen: fil '{meta}', nyckel '{key}': nyckeln saknas eller är tom.")):
        read_source_info(tmp_path / "x.csv")


def test_sidecar_synthetic_must_be_a_boolean(tmp_path: Path) -> None:
    meta = tmp_path / "x.csv.meta.toml"
    meta.write_text('title = "T"\nsource = "S"\ndate = "2025-01-01"\nsynthetic = "false"\n',
                    encoding="utf-8")
    with pytest.raises(PrevmapError, match=re.escape(
            f"Fel i metadatafilen: fil '{meta}', nyckel 'synthetic': ska vara true eller false "
            "utan citattecken. Värden: 'false'. Åtgärd: skriv synthetic = true eller false.")):
        read_source_info(tmp_path / "x.csv")


@pytest.mark.parametrize(("header", "sep"), [
    ("area_id;a,b;c\n", ";"), ("area_id,a;b,c\n", ","), ("area_id\ta\tb\n", "\t"),
    ("area_id\n", ","), ("\ufeffarea_id;x\n", ";")])
def test_separator_is_read_from_the_header(tmp_path: Path, header: str, sep: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(header + "0126R001" + sep + "1" * (header.count(sep)) + "\n",
                    encoding="utf-8")
    assert detect_separator(path) == sep


def test_single_column_table_is_not_split_on_a_letter(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("area_id\n0126R001\n0126R002\n", encoding="utf-8")
    assert read_indicator_table(path).columns.tolist() == ["area_id"]


def test_marker_column_marks_a_table_synthetic_without_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "kopia.csv"
    path.write_text("area_id,syntetiska_demodata\n0126R001,ja\n", encoding="utf-8")
    info = mark_synthetic(read_source_info(path), read_indicator_table(path))
    assert info.synthetic and info.label().startswith("SYNTETISKA DEMODATA – kopia.csv")
    assert "kolumnen 'syntetiska_demodata'" in info.note
    plain = tmp_path / "egen.csv"
    plain.write_text("area_id,x\n0126R001,1\n", encoding="utf-8")
    assert not mark_synthetic(read_source_info(plain), read_indicator_table(plain)).synthetic
