"""An SCB Statistikdatabasen export uploaded as the indicator table (geo/io/scb_upload.py):
through geo.inputs (the app's upload) and `prevmap export --indicators`."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from geo.inputs import SCB_CATALOGUE, inputs_for_areas
from geo.io.areas import read_areas
from geo.io.scb_upload import read_indicator_upload
from geo.io.scb_wide import scb_indicator_counts
from indicators.errors import IndicatorTableError, ScbFileError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
XLSX_DIR = SHARED / "sweden" / "scb_statistikdatabasen_xlsx"
HUDDINGE_WIDE = SHARED / "huddinge" / "scb_deso2018_2022_0126_wide.csv"
needs_shared = pytest.mark.skipif(not XLSX_DIR.is_dir() or not HUDDINGE_WIDE.is_file(),
                                  reason=f"delade data saknas: {SHARED} (../shared/data)")

FOOTER: list[list[object]] = [[None], ["Källa:"], ["SCB"], [None],
                              ["Intern referenskod:"]]


def _areas_file(directory: Path, ids: list[str]) -> Path:
    """One 100 m box per id in a row, in EPSG:3006, as a GeoPackage."""
    frame = gpd.GeoDataFrame({"area_id": ids, "area_name": [f"Område {i}" for i in ids]},
                             geometry=[box(600_000 + 100 * k, 6_560_000, 600_100 + 100 * k,
                                           6_560_100) for k in range(len(ids))], crs=3006)
    path = directory / "omraden.gpkg"
    frame.to_file(path)
    return path


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _labour(path: Path, code: str = "000007A8", year: str = "2023") -> Path:
    """A small labour-market export as SCB writes it: title, header rows, DeSO rows."""
    return _xlsx(path, [
        ["Arbetsmarknadsstatus. Årligt register efter region, tabellinnehåll, kön, ålder och år"],
        [None],
        [None, "antal arbetslösa", "antal personer utanför arbetskraften", "antal totalt"],
        [None, "totalt", None, None],
        [None, "16-64 år", None, None],
        [None, year, None, None],
        ["0126A0010", 10, 40, 500],
        ["0126A0020", 30, "..", 300],
        ["0126C1030", 0, 20, 200],
        *FOOTER, [code],
    ])


def test_a_small_labour_export_becomes_counts(tmp_path: Path) -> None:
    table = read_indicator_upload(_labour(tmp_path / "000007A8_2023.xlsx"))
    assert table.columns.tolist() == ["area_id", "inv_16_64_utanfor", "inv_16_64"]
    assert table["area_id"].tolist() == ["0126A0010", "0126A0020", "0126C1030"]
    assert table["inv_16_64_utanfor"].tolist()[::2] == [50.0, 20.0]
    assert pd.isna(table["inv_16_64_utanfor"].iloc[1])          # '..' stays missing, never 0
    assert table["inv_16_64"].tolist() == [500.0, 300.0, 200.0]
    assert table.attrs["scb"] == {"table_code": "000007A8", "year": "2023", "title":
                                  "Arbetsmarknadsstatus. Årligt register efter region, "
                                  "tabellinnehåll, kön, ålder och år"}


def test_the_upload_path_reads_it_with_scbs_catalogue(tmp_path: Path) -> None:
    areas = read_areas(_areas_file(tmp_path, ["0126A0010", "0126A0020", "0126C1030"]))
    inputs = inputs_for_areas(areas, _labour(tmp_path / "arbetsmarknad.xlsx"))
    assert inputs.catalogue["utanfor_arbetskraften"].numerator == "inv_16_64_utanfor"
    assert "lag_ek_standard" in inputs.catalogue            # data/catalogue_scb.csv
    assert inputs.table_source.source == "SCB Statistikdatabasen, tabell 000007A8"
    assert inputs.table_source.date == "2023"
    assert inputs.table["inv_16_64"].tolist() == [500.0, 300.0, 200.0]
    assert not inputs.synthetic


def test_an_unknown_scb_table_says_what_to_upload(tmp_path: Path) -> None:
    path = _labour(tmp_path / "annan.xlsx", code="000001AB")
    with pytest.raises(ScbFileError, match=re.escape(
            "fil 'annan.xlsx': är en export från SCB:s Statistikdatabasen (")) as err:
        read_indicator_upload(path)
    assert "000005MO (utbildningsnivå 25–64 år)" in str(err.value)
    assert "gör en egen tabell med kolumnen 'area_id'" in str(err.value)


def test_several_years_are_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "ar.xlsx", [
        ["Antal lägenheter efter region, år och upplåtelseform"], [None],
        [None, "2022", None, "2023", None],
        [None, "hyresrätt", "bostadsrätt", "hyresrätt", "bostadsrätt"],
        ["0126A0010", 1, 2, 3, 4], *FOOTER, ["000006OC"]])
    with pytest.raises(ScbFileError, match=re.escape(
            "SCB-tabellen 000006OC (lägenheter efter upplåtelseform) har flera år "
            "(2022, 2023). Åtgärd: välj ett år")):
        read_indicator_upload(path)


def test_a_plain_table_keyed_by_own_ids_under_a_key_name_is_read(tmp_path: Path) -> None:
    """The municipality's own district ids in a column named like a key ('kod') are the key;
    a table with no such column is refused with the columns it has and the fix."""
    path = tmp_path / "egen.csv"
    path.write_text("kod;antal\nA;1\n", encoding="utf-8")
    areas = read_areas(_areas_file(tmp_path, ["A"]))
    inputs = inputs_for_areas(areas, path)
    assert list(inputs.table["area_id"]) == ["A"]
    assert ("antal", "används inte", "katalogen känner inte kolumnen: lägg till en indikator "
            "som använder den (namn, domän, riktning, täljare och nämnare)") in inputs.columns
    path.write_text("namn;antal\nA;1\n", encoding="utf-8")
    with pytest.raises(IndicatorTableError, match="hittar ingen kolumn med områdeskoder. "
                       "Kolumner: 'namn', 'antal'"):
        inputs_for_areas(areas, path)


def test_a_small_csv_export(tmp_path: Path) -> None:
    path = tmp_path / "utbildning.csv"
    path.write_text(
        '"Befolkning 25-64 år efter region, år och utbildningsnivå"\n\n'
        '"region";"förgymnasial utbildning";"gymnasial utbildning";'
        '"eftergymnasial utbildning, mindre än 3 år";'
        '"eftergymnasial utbildning, 3 år eller mer";"uppgift om utbildningsnivå saknas"\n'
        '"0126A0010";"10";"20";"30";"40";"0"\n\n"Intern referenskod:"\n"000005MO"\n',
        encoding="cp1252")
    table = read_indicator_upload(path)
    assert table.columns.tolist() == ["area_id", "inv_25_64_forgymnasial", "inv_25_64"]
    assert table.iloc[0, 1:].tolist() == [10.0, 100.0]


@needs_shared
@pytest.mark.parametrize("code", ["000005MO", "000007A8", "000006OC", "000006TA", "000005FE"])
def test_real_exports_give_the_counts_of_the_wide_table(code: str) -> None:
    path = next(XLSX_DIR.glob(f"{code}_*.xlsx"))
    table = read_indicator_upload(path).set_index("area_id")
    wide = pd.read_csv(HUDDINGE_WIDE, dtype={"deso_2018": str})
    expected = scb_indicator_counts(wide).set_index("area_id")
    assert len(table) == 5984 and len(table.columns) == 2
    ours = table.loc[expected.index, table.columns]
    pd.testing.assert_frame_equal(ours, expected[table.columns], check_dtype=False,
                                  check_index_type=False)


@needs_shared
def test_prevmap_export_reads_a_real_scb_file(tmp_path: Path) -> None:
    from geo.cli import main

    wide = pd.read_csv(HUDDINGE_WIDE, dtype={"deso_2018": str})
    areas = _areas_file(tmp_path, wide["deso_2018"].tolist())
    path = next(XLSX_DIR.glob("000005MO_*.xlsx"))
    profile = (SCB_CATALOGUE.parent / "profiles" / "scb_socioekonomi.toml").read_text(
        encoding="utf-8")
    settings = tmp_path / "utbildning.toml"          # the one indicator this table gives
    settings.write_text(profile.split("[indicator_weights]")[0]
                        + "[indicator_weights]\nforgymnasial_utbildning = 1.0\n",
                        encoding="utf-8")
    out = tmp_path / "karta.html"
    code = main(["export", "--areas", str(areas), "--indicators", str(path),
                 "--settings", str(settings), "--out", str(out)])
    assert code == 0
    ranking = pd.read_csv(out.with_suffix(".csv"), dtype=str, sep=None, engine="python")
    ids = next(c for c in ranking.columns if "kod" in c.lower() or c == "area_id")
    assert set(wide["deso_2018"]) <= set(ranking[ids])     # all of Sweden is ranked, as read
    assert "SCB Statistikdatabasen, tabell 000005MO" in out.read_text(encoding="utf-8")
