"""Every real file in ../shared/data through `prevmap export`, as a user passes it (no
renaming first), and generated bad variants of them. Each ends in a correct map or a named
error with exit code 2; none in exit 0 with grey areas (issue 15)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from shared_data import shared

from geo.cli import main

HUDDINGE_AREAS = 22


def export(tmp_path: Path, *args: str, name: str = "k") -> tuple[int, pd.DataFrame | None]:
    """Run ``prevmap export`` with ``args``; the exit code and the ranking CSV (None when
    nothing was written)."""
    out = tmp_path / f"{name}.html"
    code = main(["export", *args, "--out", str(out)])
    csv = out.with_suffix(".csv")
    if not csv.exists():
        return code, None
    return code, pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig",
                             dtype={"Områdeskod": str})


def assert_complete(ranking: pd.DataFrame, n: int = HUDDINGE_AREAS) -> None:
    """Every area of the map ranked with a score: no grey map behind exit 0."""
    assert len(ranking) == n
    assert ranking["Sammanvägt index"].notna().all()


def ranked(ranking: pd.DataFrame) -> list[tuple[str, float]]:
    return list(zip(ranking["Områdeskod"], ranking["Sammanvägt index"], strict=True))


@pytest.fixture(scope="module")
def default_ranking(tmp_path_factory) -> pd.DataFrame:
    code, ranking = export(tmp_path_factory.mktemp("default"))
    assert code == 0 and ranking is not None
    return ranking


def test_the_default_is_real_scb_data_for_huddinge(default_ranking):
    assert_complete(default_ranking)
    assert default_ranking["Datakälla"].str.startswith("SCB:s öppna statistik per DeSO").all()
    assert not default_ranking["Datakälla"].str.contains("SYNTETISKA").any()


def test_all_scb_exports_as_downloaded_give_the_default_ranking(tmp_path, capsys,
                                                                default_ranking):
    """The eleven Statistikdatabasen exports at once: the seven prevmap knows become one
    table, the four others are named as unused, and the ranking equals the embedded data's."""
    files = sorted(shared("sweden", "scb_statistikdatabasen_xlsx").glob("*.xlsx"))
    assert len(files) == 11
    code, ranking = export(tmp_path, "--indicators", *map(str, files))
    err = capsys.readouterr().err
    assert code == 0
    assert_complete(ranking)
    assert ranked(ranking) == ranked(default_ranking)
    assert "7 filer slogs ihop till en tabell på områdeskoden" in err
    for unused in ("000005FB", "000005FC", "000005FM", "000005LO"):
        assert f"{unused}_" in err and "ger inga av katalogens antal och används inte" in err
    assert "60 DeSO summerades till 22 RegSO" in err


def test_one_unknown_scb_export_alone_is_a_named_error(tmp_path, capsys):
    path = next(shared("sweden", "scb_statistikdatabasen_xlsx").glob("000005LO_*.xlsx"))
    code, ranking = export(tmp_path, "--indicators", str(path))
    assert code == 2 and ranking is None
    assert "prevmap vet inte vilka av katalogens antal den ger" in capsys.readouterr().err


@pytest.mark.parametrize("wide", [("huddinge", "scb_deso2018_2022_0126_wide.csv"),
                                  ("sweden", "scb_deso2018_2022_wide.csv")])
def test_the_wide_scb_tables_give_the_default_ranking(tmp_path, wide, default_ranking):
    code, ranking = export(tmp_path, "--indicators", str(shared(*wide)))
    assert code == 0
    assert ranked(ranking) == ranked(default_ranking)


@pytest.mark.parametrize("year", [2022, 2023])
def test_the_omradestyp_files(tmp_path, capsys, year):
    path = shared("sweden", f"regso_socioekonomisk_index_{year}.csv")
    code, ranking = export(tmp_path, "--omradestyp", str(path), name="ok")
    assert code == 0
    assert_complete(ranking)
    assert set(ranking["SCB områdestyp"].astype(int)) <= {1, 2, 3, 4, 5}   # every area
    capsys.readouterr()
    code, ranking = export(tmp_path, "--indicators", str(path), name="fel")
    assert code == 2 and ranking is None
    assert "är SCB:s områdestyp per RegSO" in capsys.readouterr().err


def test_the_police_files(tmp_path, capsys):
    offences = shared("huddinge", "polisen_brott_per_deso_0126_2000-2024Q1.csv")
    link = shared("huddinge", "koppling_deso2018_regso2020_0126.csv")
    code, ranking = export(tmp_path, "--polisen", str(offences), "--deso-regso", str(link),
                           name="ok")
    assert code == 0
    assert_complete(ranking)
    rate = [c for c in ranking.columns if "per 1 000" in c]
    assert rate, "the real data have inhabitants: offences per 1 000 are computed"
    capsys.readouterr()
    code, ranking = export(tmp_path, "--indicators", str(offences), name="fel")
    assert code == 2 and ranking is None
    assert "är polisens lista över anmälda brott per DeSO" in capsys.readouterr().err


@pytest.mark.parametrize("areas", ["regso_2025_0126_epsg3006.gpkg",
                                   "regso_2025_0126_wgs84.geojson"])
def test_the_area_files_with_the_real_default(tmp_path, areas, default_ranking):
    code, ranking = export(tmp_path, "--areas", str(shared("huddinge", areas)))
    assert code == 0
    assert ranked(ranking) == ranked(default_ranking)


def test_utsatta_omraden(tmp_path):
    path = shared("huddinge", "polisen_utsatta_omraden_2023_0126_epsg3006.gpkg")
    code, ranking = export(tmp_path, "--utsatta", str(path))
    assert code == 0
    assert_complete(ranking)


# -- generated bad variants -------------------------------------------------------------------
@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(shared("huddinge", "scb_deso2018_2022_0126_wide.csv"), dtype=str)


def test_lost_leading_zeros_are_restored_and_said(tmp_path, capsys, wide, default_ranking):
    path = tmp_path / "utan_nolla.csv"
    wide.assign(deso_2018=wide["deso_2018"].str.lstrip("0")).to_csv(path, index=False)
    code, ranking = export(tmp_path, "--indicators", str(path))
    assert code == 0
    assert ranked(ranking) == ranked(default_ranking)
    assert "60 områdeskoder hade tappat sin inledande nolla" in capsys.readouterr().err


def test_vintage_suffixes_are_recognised(tmp_path, capsys, wide, default_ranking):
    path = tmp_path / "med_tillagg.csv"
    wide.assign(deso_2018=wide["deso_2018"] + "_DeSO2018").to_csv(path, index=False)
    code, ranking = export(tmp_path, "--indicators", str(path))
    assert code == 0
    assert ranked(ranking) == ranked(default_ranking)
    assert "SCB:s versionstillägg (_DeSO2018) togs bort" in capsys.readouterr().err


def test_another_kommuns_table_is_a_named_error(tmp_path, capsys):
    """Botkyrka's DeSO on Huddinge's map: how many matched, examples of each side, the cause
    (another kommun) and the fix; exit 2, nothing written."""
    table = pd.read_csv(shared("sweden", "scb_deso2018_2022_wide.csv"), dtype=str)
    path = tmp_path / "botkyrka.csv"
    table[table["deso_2018"].str.startswith("0127")].to_csv(path, index=False)
    code, ranking = export(tmp_path, "--indicators", str(path))
    err = capsys.readouterr().err
    assert code == 2 and ranking is None
    assert "0 av kartans" in err and "Bara i tabellen: '0127" in err
    assert "tabellen gäller kommun 0127 men kartan kommun 0126" in err
    assert "Åtgärd:" in err


def test_a_table_of_mostly_unknown_codes_is_refused(tmp_path, capsys, wide):
    """Codes of another vintage of the division (here: renumbered) that fit fewer than half
    of the areas never give a mostly grey map."""
    path = tmp_path / "annan_version.csv"
    codes = wide["deso_2018"].where(wide.index % 3 == 0, wide["deso_2018"].str[:5] + "9"
                                    + wide["deso_2018"].str[6:])
    wide.assign(deso_2018=codes).to_csv(path, index=False)
    code, ranking = export(tmp_path, "--indicators", str(path))
    err = capsys.readouterr().err
    assert code == 2 and ranking is None
    assert "tabellens områdeskoder passar inte kartan" in err and "versioner av indelningen" in err


def test_a_regso_table_for_a_deso_map_is_refused(tmp_path, capsys, default_ranking):
    """RegSO cannot be split into DeSO: exit 2 with the level named as the cause."""
    regso = pd.DataFrame({"regsokod": default_ranking["Områdeskod"], "antal": 1})
    path = tmp_path / "regso.csv"
    regso.to_csv(path, index=False)
    areas = tmp_path / "deso.geojson"
    import geopandas as gpd
    from shapely.geometry import box

    codes = [f"0126C{1000 + i:04d}" for i in range(30)]
    gpd.GeoDataFrame({"area_id": codes, "area_name": codes},
                     geometry=[box(17.9 + i * 0.001, 59.2, 17.9005 + i * 0.001, 59.2005)
                               for i in range(30)], crs=4326).to_file(areas, driver="GeoJSON")
    code, ranking = export(tmp_path, "--areas", str(areas), "--indicators", str(path))
    err = capsys.readouterr().err
    assert code == 2 and ranking is None
    assert "tabellen har RegSO-koder men kartan DeSO-områden" in err


def cells(row: tuple) -> list[object]:
    """A row of the wide table as Excel cells: numbers as numbers, codes and names as text."""
    out: list[object] = []
    for value in row:
        try:
            out.append(value if str(value)[:1] == "0" else float(value))
        except ValueError:
            out.append(value)
    return out


def workbook(path, wide: pd.DataFrame, above: list[list[object]], *,
             merge: tuple[int, int, int] | None = None,
             empty_first_sheet: str | None = None):
    """The wide table in a sheet below the rows ``above`` (``merge``: a row and the columns
    from-to merged), after an empty sheet of that name when asked."""
    book = openpyxl.Workbook()
    sheet = book.active
    if empty_first_sheet is not None:
        sheet.title = empty_first_sheet
        sheet = book.create_sheet("Data")
    for row in above:
        sheet.append(row)
    if merge is not None:
        row, first, last = merge
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    sheet.append(list(wide.columns))
    for values in wide.itertuples(index=False):
        sheet.append(cells(values))
    book.save(path)
    return path


def test_title_rows_and_a_merged_title_in_excel(tmp_path, capsys, wide, default_ranking):
    """The wide table as a municipality might pass it on: a title and a source line, then a
    title merged over the whole width above the header. Read as the table, with the rows
    above it named in a note."""
    width = len(wide.columns)
    path = workbook(tmp_path / "med_rubriker.xlsx", wide, [
        ["Underlag till lägesbilden, Huddinge"], ["Källa: SCB, bearbetning kommunen"], [],
        ["SCB 2022"] + [None] * (width - 1)], merge=(4, 1, width))
    code, ranking = export(tmp_path, "--indicators", str(path))
    err = capsys.readouterr().err
    assert code == 0, err
    assert ranked(ranking) == ranked(default_ranking)
    assert "Obs: Rad 1–4 ovanför rubrikraden (rad 5) lästes som rubrik: 'Underlag till " \
           "lägesbilden, Huddinge / Källa: SCB, bearbetning kommunen / SCB 2022'" in err


def test_a_merged_group_header_names_its_columns_and_says_what_is_unused(tmp_path, capsys,
                                                                         wide):
    """"Antal" merged over the count columns above their names: the columns are named
    "Antal, <name>" (as SCB names "2022, förgymnasial utbildning"), which the catalogue
    does not know; the table has no indicator left, a named error (exit 2) lists them."""
    width = len(wide.columns)
    path = workbook(tmp_path / "grupp.xlsx", wide, [
        ["Underlag till lägesbilden, Huddinge"], [None, "Antal"] + [None] * (width - 2)],
        merge=(2, 2, width))
    code, ranking = export(tmp_path, "--indicators", str(path))
    err = capsys.readouterr().err
    assert code == 2 and ranking is None
    assert "ingen av tabellens kolumner är en indikator i katalogen" in err
    assert "'Antal, hh_2022_cohabiting_with_children' (katalogen känner inte kolumnen" in err


def test_an_empty_first_sheet_is_said(tmp_path, capsys, wide, default_ranking):
    path = workbook(tmp_path / "tomt_blad.xlsx", wide, [], empty_first_sheet="Tomt")
    code, ranking = export(tmp_path, "--indicators", str(path))
    err = capsys.readouterr().err
    assert code == 0
    assert ranked(ranking) == ranked(default_ranking)
    assert "Obs: Blad 'Tomt' är tomt; läste blad 'Data'." in err


def test_scb_symbols_keep_their_meaning(tmp_path, capsys, wide):
    """'..' in a count is missing with SCB's meaning, shown as the reason."""
    path = tmp_path / "prickar.csv"
    broken = wide.copy()
    first = broken["deso_2018"].iloc[0]
    broken.loc[0, "dwellings_2022_hyresratt"] = ".."
    broken.to_csv(path, index=False)
    from geo.inputs import inputs_for_areas, load_inputs

    inputs = inputs_for_areas(load_inputs().areas, path)
    reasons = inputs.missing[inputs.missing["column"] == "lagenheter_hyresratt"]
    assert len(reasons) == 1
    assert reasons["reason"].iloc[0].startswith(f"DeSO {first}: '..': ")
    assert reasons["reason"].iloc[0].endswith("(SCB:s kolumn 'dwellings_2022_hyresratt')")


def test_botkyrka_from_the_command_line_with_kommun_alone(tmp_path, capsys):
    """`prevmap export --kommun 0127` on the bundled real data: Botkyrka's 20 RegSO from the
    national file, all ranked; in rank order SCB's own områdestyp 2023 never goes back
    toward more need (1, 1, 2, …, 4): the ranking agrees with SCB's classification."""
    from geo.sources import find_duva_wheel

    if find_duva_wheel() is None:
        pytest.skip("RegSO for all of Sweden (the duva wheel) is fetched by `make setup`")
    code, ranking = export(tmp_path, "--kommun", "0127", name="alone")
    assert code == 0
    assert_complete(ranking, 20)
    assert ranking["Områdeskod"].str.startswith("0127R").all()
    path = shared("sweden", "regso_socioekonomisk_index_2023.csv")
    capsys.readouterr()
    code, compared = export(tmp_path, "--kommun", "0127", "--omradestyp", str(path))
    assert code == 0
    assert ranked(compared) == ranked(ranking)
    types = compared["SCB områdestyp"].astype(int).tolist()
    assert types == sorted(types) and types[:2] == [1, 1]


def test_a_lan_from_the_command_line(tmp_path):
    from geo.sources import find_duva_wheel

    if find_duva_wheel() is None:
        pytest.skip("RegSO for all of Sweden (the duva wheel) is fetched by `make setup`")
    code, ranking = export(tmp_path, "--lan", "01")
    assert code == 0
    assert ranking["Områdeskod"].str.startswith("01").all()
    assert len(ranking) > 500 and ranking["Sammanvägt index"].notna().all()


def test_an_area_file_is_filtered_by_kommun(tmp_path, capsys):
    """--kommun with an area file keeps its areas of that kommun; a kommun the file does
    not have is a named error with the kommuner it has."""
    areas = shared("huddinge", "regso_2025_0126_epsg3006.gpkg")
    code, ranking = export(tmp_path, "--areas", str(areas), "--kommun", "0126")
    assert code == 0
    assert_complete(ranking)
    capsys.readouterr()
    code, ranking = export(tmp_path, "--areas", str(areas), "--kommun", "0127", name="fel")
    assert code == 2 and ranking is None
    assert "har inga områden i Botkyrka (0127). Filens kommunkoder: 0126" in \
        capsys.readouterr().err


def test_the_template_from_the_command_line(tmp_path):
    out = tmp_path / "mall.xlsx"
    assert main(["mall", "--out", str(out), "--kommun", "0126"]) == 0
    book = openpyxl.load_workbook(out)
    assert book["Data"]["A2"].value == "0126R001" and book["Data"].max_row == 23
    assert main(["mall", "--out", str(tmp_path / "mall.txt")]) == 2


def test_areas_with_a_wrong_recorded_crs_are_refused(tmp_path, capsys):
    """Huddinge's real polygons (SWEREF 99 TM) saved as if they were RT 90: reprojected as
    recorded they land in the North Sea; exit 2 naming the CRS, nothing written."""
    import geopandas as gpd

    frame = gpd.read_file(shared("huddinge", "regso_2025_0126_epsg3006.gpkg"))
    path = tmp_path / "fel_crs.gpkg"
    frame.set_crs("EPSG:3021", allow_override=True).to_file(path, driver="GPKG")
    code, ranking = export(tmp_path, "--areas", str(path))
    err = capsys.readouterr().err
    assert code == 2 and ranking is None
    assert "områdena hamnar utanför Sverige med filens koordinatsystem EPSG:3021" in err


def test_a_hidden_count_is_censored_not_dropped(tmp_path):
    """'..' in a count of its own means 1–4 (issue 16): censored at 2,5, so the area keeps
    a value for the indicator and stays ranked with every indicator (its value is not
    shown), and the Monte Carlo varies it over 1–4; before, the area lost the indicator
    and was reweighted without it."""
    from geo.analysis import run_analysis
    from geo.inputs import DEFAULT_PROFILE, DEMO_INDICATORS, inputs_for_areas, load_inputs
    from geo.io.files import read_settings

    demo = pd.read_csv(DEMO_INDICATORS, dtype=str)
    demo.loc[demo["area_id"] == "0126R005", "narkotikabrott"] = ".."
    path = tmp_path / "prickar.csv"
    demo.to_csv(path, index=False)
    inputs = inputs_for_areas(load_inputs().areas, path)
    analysis = run_analysis(inputs, read_settings(DEFAULT_PROFILE))
    assert analysis.inputs.table.set_index("area_id").at["0126R005", "narkotikabrott"] == 2.5
    assert not analysis.result.values["narkotikabrott"].isna().any()
    bands = analysis.assessment.prepared.disclosure.bands()
    assert {"area_id": "0126R005", "column": "narkotikabrott", "low": 1.0, "high": 4.0} in \
        bands.to_dict("records")
    code, ranking = export(tmp_path, "--indicators", str(path), "--areas",
                           str(Path(__file__).resolve().parents[1] / "data" / "areas" /
                               "huddinge_regso_2025.parquet"))
    assert code == 0
    assert_complete(ranking)


def test_a_dot_dot_in_part_of_a_summed_count_is_not_called_small(tmp_path, wide):
    """SCB's 'utanför arbetskraften' is the unemployed plus those outside the labour
    force: a '..' among the unemployed says nothing about the sum, which stays missing
    (censoring it as 1–4 would have put 2,5 where 193 are known)."""
    from geo.analysis import run_analysis
    from geo.inputs import default_settings, inputs_for_areas, load_inputs

    path = tmp_path / "prickar.csv"
    broken = wide.copy()
    broken.loc[0, "lm_1664_2022_unemployed"] = ".."
    broken.to_csv(path, index=False)
    inputs = inputs_for_areas(load_inputs().areas, path)
    assert len(inputs.held.arrived) == 0
    reasons = inputs.missing[inputs.missing["column"] == "inv_16_64_utanfor"]
    assert len(reasons) == 1
    analysis = run_analysis(inputs, default_settings(inputs)[0])
    regso = str(wide["RegSOkod_2020"].iloc[0])
    assert pd.isna(analysis.inputs.table.set_index("area_id").at[regso, "inv_16_64_utanfor"])
