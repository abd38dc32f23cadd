"""The police's data as sources: offences per DeSO as a comparison column (geo/spatial/offences.py,
``prevmap export --polisen``) and the event types of one kommun (geo/io/polisen.py).

Tiny fixtures checked by hand; the real files in ../shared/data through the CLI, with the
expected columns computed by pandas from the same files (skipped when the folder is absent).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from app_start import demo_app, ranked_table
from map_pages import page_data

from geo.cli import main
from geo.inputs import DEMO_INDICATORS
from geo.io.polisen import (
    EVENT_TYPE,
    GPS_NOTE,
    TOTAL,
    kommun_event_types,
    read_offences_per_deso,
    read_police_events,
)
from geo.maps.mapview import tooltip_html
from geo.spatial.comparisons import ComparisonResult, Comparisons, compare_areas
from geo.spatial.offences import (
    CODE,
    LINK_ROLE,
    OFFENCE,
    OFFENCES_COLUMN,
    OFFENCES_RATE_COLUMN,
    OFFENCES_ROLE,
    WITHOUT_DESO,
    PoliceOffences,
    Population,
    latest_full_year,
    offences_per_area,
    offences_table,
    read_deso_link,
    read_police_offences,
)
from indicators.columns import AREA_ID
from indicators.errors import AreaCodeError, PoliceEventsError, PoliceFileError

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OFFENCES = SHARED_DATA / "huddinge" / "polisen_brott_per_deso_0126_2000-2024Q1.csv"
LINK = SHARED_DATA / "huddinge" / "koppling_deso2018_regso2020_0126.csv"
WIDE = SHARED_DATA / "huddinge" / "scb_deso2018_2022_0126_wide.csv"
HUDDINGE_EVENTS = SHARED_DATA / "huddinge" / "polisen_handelser_huddinge_2023-2026.json"
SNAPSHOT = SHARED_DATA / "api_samples" / "polisen" / "events_snapshot_2026-08-22T1754Z.json"


def shared_file(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is absent: this test needs the shared data folder "
                    f"{SHARED_DATA} (beside the repository as ../shared/data)")
    return path


# =====================================================================================
# Tiny fixtures
# =====================================================================================

HEADER = ("Id,Brottskod,Brottskod.klartext,Inskrivningsdatum,Brottsdatum,Kommun,Län,"
          "DeSO.område,Antal")


def row(id_: str, deso: str, date: str = "2023-05-01", antal: int = 1,
        registered: str | None = None) -> str:
    return (f"{id_},1211,Bilbrand,{registered or date},{date},Huddinge,Stockholms Län,{deso},"
            f"{antal}")


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def offences_file(tmp_path: Path) -> Path:
    # 2023: C1010 x1 (Antal 2), C1020 x1, C1030 x1, no DeSO x1 (Antal 3), C9990 (no area) x1
    # 2022: C1010 x1.  2024: C1020 x1, registered 2024-02-01, so 2023 is the latest full year.
    return write(tmp_path, "brott.csv", [
        HEADER,
        row("1", "0126C1010", antal=2),
        row("2", "0126C1020", "2023-12-31"),
        row("3", "0126C1030"),
        row("4", "", antal=3),
        row("5", "0126C9990"),
        row("6", "0126C1010", "2022-06-01"),
        row("7", "0126C1020", "2024-01-10", registered="2024-02-01"),
    ])


@pytest.fixture
def link_file(tmp_path: Path) -> Path:
    return write(tmp_path, "koppling.csv", [
        "Kommun,DeSO_2018,RegSO_2020,RegSOkod_2020",
        "0126,0126C1010,Norr,0126R001", "0126,0126C1020,Norr,0126R001",
        "0126,0126C1030,Söder,0126R002"])


def police(offences_file: Path, link: Path | None = None, year: int | None = None
           ) -> PoliceOffences:
    return read_police_offences(offences_file, link, year=year)


def test_latest_full_year_is_the_last_year_registered_beyond(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    assert offences.years == (2022, 2023, 2024)
    assert latest_full_year(offences) == 2023
    assert police(offences_file).chosen_year() == (2023, True)
    assert police(offences_file, year=2024).chosen_year() == (2024, False)


def test_no_full_year_uses_the_latest_and_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", [HEADER, row("1", "0126C1010", "2023-02-01"),
                                     row("2", "0126C1010", "2023-03-01")])
    offences = police(path)
    assert latest_full_year(offences.offences) is None
    columns, notes = offences_per_area(pd.Index(["0126C1010"]), offences)
    assert columns[OFFENCES_COLUMN].tolist() == [2]
    assert "2023 är kanske inte ett helt år" in notes[0]


def test_deso_areas_match_directly(offences_file: Path) -> None:
    areas = pd.Index(["0126C1030", "0126C1010", "0126C1040"])
    columns, notes = offences_per_area(areas, police(offences_file))
    # 2023 only: C1030 1, C1010 2 (one record with Antal 2), C1040 none: 0 (same kommun).
    assert columns[OFFENCES_COLUMN].tolist() == [1, 2, 0]
    assert columns.index.tolist() == areas.tolist()
    assert notes[0].startswith("Anmälda brott (polisen): summan av Antal för brott med "
                               "brottsdatum 2023 ur 'brott.csv', brottskoderna 1211; 2023 är "
                               "det senaste hela året i filen (brott registrerade till och med "
                               "2024-02-01).")
    assert "matchats direkt" in notes[1]
    assert ("1 brott 2023 (summa Antal 3) saknar DeSO-kod och ingår inte i något område. "
            "Id: '4'.") in notes[2]
    assert ("2 DeSO med brott 2023 (summa Antal 2) finns inte bland områdena och ingår inte: "
            "'0126C1020', '0126C9990'.") in notes[4]


def test_link_sums_deso_into_regso_and_rate_per_1000(offences_file: Path,
                                                     link_file: Path) -> None:
    people = pd.Series([400.0, 0.0], index=["0126R001", "0126R002"])
    columns, notes = offences_per_area(
        pd.Index(["0126R001", "0126R002"]), police(offences_file, link_file),
        population=Population(people, "befolkning ur testet"))
    # R001 = C1010 (2) + C1020 (1) = 3; R002 = C1030 = 1. 3 / 400 x 1000 = 7.5; 0 people: none.
    assert columns[OFFENCES_COLUMN].tolist() == [3, 1]
    assert columns[OFFENCES_RATE_COLUMN].tolist()[0] == 7.5
    assert pd.isna(columns[OFFENCES_RATE_COLUMN].tolist()[1])
    assert "kopplingstabellen 'koppling.csv' (kolumnerna 'DeSO_2018' och 'RegSOkod_2020')" \
        in notes[1]
    assert ("1 DeSO med brott 2023 (summa Antal 1) saknas i kopplingstabellen eller hör till "
            "områden som inte finns i kartan och ingår inte: '0126C9990'.") in notes[4]
    assert notes[-1] == "befolkning ur testet"


def test_merged_groups_and_other_kommun_left_missing(offences_file: Path,
                                                     link_file: Path) -> None:
    grouping = pd.DataFrame({"from_id": ["0126R001", "0126R002"],
                             AREA_ID: ["0126R001+0126R002"] * 2})
    areas = pd.Index(["0126R001+0126R002", "0127R001"])
    columns, notes = offences_per_area(areas, police(offences_file, link_file),
                                       grouping=grouping)
    assert columns[OFFENCES_COLUMN].tolist()[0] == 4
    assert pd.isna(columns[OFFENCES_COLUMN].tolist()[1])
    assert ("1 område(n) ligger i kommuner som filen inte täcker och lämnas tomma: "
            "'0127R001'.") in notes[-1]


def test_regso_areas_without_link_is_an_error(offences_file: Path) -> None:
    with pytest.raises(PoliceFileError, match=r"fil 'brott\.csv', kolumn 'DeSO\.område': "
                       r"områdena är inte DeSO.*Värden: '0126R001'.*Åtgärd: ange "
                       r"kopplingstabellen \(--deso-regso"):
        offences_per_area(pd.Index(["0126R001"]), police(offences_file))


def test_deso_of_another_kommun_is_an_error(offences_file: Path) -> None:
    with pytest.raises(PoliceFileError, match=r"fil 'brott\.csv', kolumn 'DeSO\.område': "
                       r"ingen av filens 4 DeSO-koder hör till något av de 2 områdena\. "
                       r"Värden: '0126C1010', '0126C1020', '0126C1030', '0126C9990'\. "
                       r"Förväntat: områdenas koder: '0127C1010', '0127C1020'\. Åtgärd: "
                       r"kontrollera att filen gäller samma kommun"):
        offences_per_area(pd.Index(["0127C1010", "0127C1020"]), police(offences_file))


def test_read_deso_link_two_columns_to_kommundelar(tmp_path: Path, offences_file: Path
                                                   ) -> None:
    path = write(tmp_path, "kommundelar.csv", ["deso;kommundel", "0126C1010;Norra delen",
                                               "0126C1020;Norra delen", "0126C1030;Södra"])
    link = read_deso_link(path)
    assert (link.from_column, link.to_column) == ("deso", "kommundel")
    columns, _ = offences_per_area(pd.Index(["Södra", "Norra delen"]),
                                   PoliceOffences(read_offences_per_deso(offences_file),
                                                  police(offences_file).source, link))
    # Kommundel names carry no kommun code: both count (0 would be shown where none).
    assert columns[OFFENCES_COLUMN].tolist() == [1, 3]


def test_read_deso_link_refuses_what_it_cannot_tell(tmp_path: Path) -> None:
    no_deso = write(tmp_path, "a.csv", ["kod,namn", "0126R001,Norr"])
    with pytest.raises(AreaCodeError, match=r"fil 'a\.csv': ingen kolumn med bara DeSO-koder\. "
                       r"Värden: 'kod', 'namn'"):
        read_deso_link(no_deso)
    many = write(tmp_path, "b.csv", ["deso,namn,del", "0126C1010,Norr,Del 1"])
    with pytest.raises(AreaCodeError, match=r"fil 'b\.csv': kan inte avgöra vilken kolumn som "
                       r"är områdenas kod\. Värden: 'namn', 'del'"):
        read_deso_link(many)
    with pytest.raises(AreaCodeError, match=r"kolumn 'regso': kolumnen finns inte i "
                       r"kopplingstabellen\. Värden: 'deso', 'namn', 'del'"):
        read_deso_link(many, to_column="regso")


def test_comparison_result_tooltip_sources_and_digest(offences_file: Path, link_file: Path
                                                      ) -> None:
    from geo.inputs import load_inputs
    areas = load_inputs().areas
    comparisons = Comparisons(offences=police(offences_file, link_file))
    assert comparisons
    result: ComparisonResult = compare_areas(
        areas, comparisons, population=Population(pd.Series({"0126R001": 3000.0}), "n"))
    assert result.columns.loc["0126R001", OFFENCES_COLUMN] == 3
    assert result.columns.loc["0126R005", OFFENCES_COLUMN] == 0
    tips = result.tooltip_details()[OFFENCES_COLUMN]
    assert tips["0126R001"] == "3 (1,0 per 1 000 invånare)"
    assert tips["0126R005"] == "0"
    roles = dict(result.sources)
    assert roles[OFFENCES_ROLE].title == "brott.csv, brott 2023"
    assert roles[LINK_ROLE].title == "koppling.csv"
    other_year = Comparisons(offences=police(offences_file, link_file, year=2022))
    assert other_year.digest != comparisons.digest
    assert Comparisons(offences=police(offences_file, link_file)).digest == comparisons.digest


# =====================================================================================
# The real offences through prevmap export
# =====================================================================================


def expected_2023_per_regso() -> pd.Series:
    """The same count computed by pandas straight from the two files."""
    raw = pd.read_csv(shared_file(OFFENCES), dtype=str, keep_default_na=False)
    link = pd.read_csv(shared_file(LINK), dtype=str)
    year = raw[raw["Brottsdatum"].str[:4] == "2023"]
    joined = year.merge(link, left_on="DeSO.område", right_on="DeSO_2018", how="inner")
    return joined.assign(n=joined["Antal"].astype(int)).groupby("RegSOkod_2020")["n"].sum()


def read_ranking(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig",
                       dtype={"Områdeskod": str}).set_index("Områdeskod")


def test_real_offences_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    expected = expected_2023_per_regso()
    # A link without Flemingsberg västra's DeSO: their offences are reported, not lost.
    link = pd.read_csv(LINK, dtype=str)
    dropped = link[link["RegSOkod_2020"] == "0126R001"]["DeSO_2018"].tolist()
    link[link["RegSOkod_2020"] != "0126R001"].to_csv(tmp_path / "koppling.csv", index=False)
    code = main(["export", "--out", str(tmp_path / "k.html"), "--polisen", str(OFFENCES),
                 "--deso-regso", str(tmp_path / "koppling.csv"),
                 "--excel", str(tmp_path / "k.xlsx")])
    err = capsys.readouterr().err
    assert code == 0, err
    ranking = read_ranking(tmp_path / "k.csv")
    got = ranking[OFFENCES_COLUMN]
    assert got.drop("0126R001").to_dict() == {
        a: int(expected.get(a, 0)) for a in ranking.index if a != "0126R001"}
    assert got["0126R001"] == 0 and expected["0126R001"] > 0
    assert got.sum() == expected.drop("0126R001").sum()
    raw = pd.read_csv(OFFENCES, dtype=str, keep_default_na=False)
    lost = raw[(raw["Brottsdatum"].str[:4] == "2023") & raw["DeSO.område"].isin(dropped)]
    lost_deso = sorted(set(lost["DeSO.område"]))
    assert (f"{len(lost_deso)} DeSO med brott 2023 (summa Antal "
            f"{lost['Antal'].astype(int).sum()}) saknas i kopplingstabellen") in err
    without = raw[raw["DeSO.område"] == ""]
    assert f"{len(without)} av {len(raw)} brott i '{OFFENCES.name}' saknar DeSO-kod" in err
    assert "2023 är det senaste hela året i filen" in err
    # The real default data have inhabitants: offences per 1 000 of them.
    assert "indikatortabellens kolumn 'invanare' (scb_deso_2022.parquet)" in err
    assert OFFENCES_RATE_COLUMN in ranking
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    assert OFFENCES.name + ", brott 2023" in html
    shape, values = page_data(html)   # one tooltip per area, as the page makes them
    tips = [re.search(r"Anmälda brott \(polisen\): (\d+)(?: \([0-9,]+ per 1 000 invånare\))?"
                      r"(?:<br>|$)", tooltip_html(values, i, shape["columns"]))[1]
            for i in range(len(got))]
    assert sorted(map(int, tips)) == sorted(got.tolist())
    excel = pd.read_excel(tmp_path / "k.xlsx", sheet_name="Rangordning",
                          dtype={"Områdeskod": str}).set_index("Områdeskod")
    assert excel[OFFENCES_COLUMN].to_dict() == got.to_dict()


def test_real_offences_per_1000_with_a_real_population(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    expected = expected_2023_per_regso()
    wide = pd.read_csv(shared_file(WIDE), dtype={"deso_2018": str, "RegSOkod_2020": str})
    people = wide.groupby("RegSOkod_2020")["pop_2022_total"].sum()
    table = pd.read_csv(DEMO_INDICATORS, dtype={"area_id": str}).drop(
        columns=["syntetiska_demodata"])
    table["invanare"] = table["area_id"].map(people)
    table.to_csv(tmp_path / "tabell.csv", index=False)
    code = main(["export", "--out", str(tmp_path / "k.html"), "--polisen", str(OFFENCES),
                 "--deso-regso", str(LINK), "--indicators", str(tmp_path / "tabell.csv")])
    err = capsys.readouterr().err
    assert code == 0, err
    ranking = read_ranking(tmp_path / "k.csv")
    want = (ranking.index.map(lambda a: expected.get(a, 0)).to_numpy()
            / ranking.index.map(people).to_numpy() * 1000)
    assert ranking[OFFENCES_RATE_COLUMN].round(2).tolist() == pd.Series(want).round(2).tolist()
    assert "indikatortabellens kolumn 'invanare' (tabell.csv)" in err


def test_cli_hostile_police_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    raw = shared_file(OFFENCES).read_text(encoding="utf-8")
    other = tmp_path / "botkyrka.csv"
    other.write_text(re.sub(r",0126([ABC]\d{4}),", r",0127\1,", raw), encoding="utf-8")
    codes = sorted(set(pd.read_csv(other, dtype=str)["DeSO.område"].dropna()))
    assert codes and all(c.startswith("0127") for c in codes)
    code = main(["export", "--out", str(tmp_path / "k.html"), "--polisen", str(other),
                 "--deso-regso", str(shared_file(LINK))])
    err = capsys.readouterr().err
    assert code == 2
    assert ("Fel i polisens fil: fil 'botkyrka.csv', kolumn 'DeSO.område': ingen av filens "
            f"{len(codes)} DeSO-koder hör till något av de 22 områdena. Värden: "
            f"'{codes[0]}'") in err
    assert "kontrollera att filen gäller samma kommun som områdena" in err

    renamed = tmp_path / "omdopt.csv"
    renamed.write_text(raw.replace("DeSO.område", "DeSO"), encoding="utf-8")
    assert main(["export", "--out", str(tmp_path / "k.html"), "--polisen", str(renamed),
                 "--deso-regso", str(LINK)]) == 2
    assert ("Fel i polisens fil: fil 'omdopt.csv': kolumner saknas. Värden: 'DeSO.område'"
            in capsys.readouterr().err)

    assert main(["export", "--out", str(tmp_path / "k.html"), "--polisen", str(OFFENCES)]) == 2
    assert "områdena är inte DeSO" in capsys.readouterr().err

    with pytest.raises(SystemExit, match="2"):
        main(["export", "--out", str(tmp_path / "k.html"), "--deso-regso", str(LINK)])
    assert "--deso-regso gäller polisens brottsfil" in capsys.readouterr().err


# =====================================================================================
# Events: a table of types for the kommun
# =====================================================================================


def test_kommun_event_types_tiny(tmp_path: Path) -> None:
    def event(id_: int, when: str, type_: str, place: str) -> dict:
        return {"id": id_, "datetime": when, "name": f"{type_}, {place}", "summary": ".",
                "url": f"/a/{id_}", "type": type_, "location": {"name": place,
                                                                "gps": "59.2,17.9"}}
    path = tmp_path / "h.json"
    path.write_text(json.dumps([
        event(1, "2024-01-02 10:00:00 +01:00", "Brand", "Huddinge"),
        event(2, "2025-03-04 10:00:00 +01:00", "Brand", "Huddinge"),
        event(3, "2025-05-06 10:00:00 +02:00", "Stöld", "Huddinge"),
        event(4, "2025-05-07 10:00:00 +02:00", "Brand", "Stockholms län"),
        event(5, "2025-05-08 10:00:00 +02:00", "Brand", "Botkyrka")]), encoding="utf-8")
    result = kommun_event_types(read_police_events(path), "huddinge")
    assert result.table.to_dict("records") == [
        {EVENT_TYPE: "Brand", "2024": 1, "2025": 1, TOTAL: 2},
        {EVENT_TYPE: "Stöld", "2024": 0, "2025": 1, TOTAL: 1}]
    assert result.period_text == "2024-01-02 – 2025-05-06"
    assert result.notes[0] == GPS_NOTE
    assert ("1 händelser är bara placerade på ett län och räknas inte till huddinge: "
            "Stockholms län (1).") in result.notes
    assert "1 händelser gäller 1 andra kommuner och räknas inte." in result.notes
    nothing = kommun_event_types(read_police_events(path), "Nacka")
    assert len(nothing.table) == 0 and nothing.period is None
    assert "Filen 'h.json' har inga händelser placerade i Nacka." in nothing.notes


def test_kommun_event_types_real_file() -> None:
    raw = json.loads(shared_file(HUDDINGE_EVENTS).read_text(encoding="utf-8"))
    own = [e for e in raw if e["location"]["name"] == "Huddinge"]
    expected = pd.Series([e["type"] for e in own]).value_counts()
    result = kommun_event_types(read_police_events(HUDDINGE_EVENTS), "Huddinge")
    assert result.table.set_index(EVENT_TYPE)[TOTAL].to_dict() == expected.to_dict()
    assert result.table[TOTAL].is_monotonic_decreasing
    days = sorted(e["datetime"][:10] for e in own)
    assert result.period_text == f"{days[0]} – {days[-1]}"
    county = sum(e["location"]["name"].endswith(" län") for e in raw)
    assert f"{county} händelser är bara placerade på ett län" in " ".join(result.notes)


def test_kommun_event_types_snapshot_has_none_for_huddinge() -> None:
    result = kommun_event_types(read_police_events(shared_file(SNAPSHOT)), "Huddinge")
    assert len(result.table) == 0
    assert any("inga händelser placerade i Huddinge" in n for n in result.notes)


def test_fetch_police_events_from_a_local_server(tmp_path: Path) -> None:
    from api_server import Answer, FakeApi

    from geo.io.polisen import fetch_police_events

    answer = [{"id": 9, "datetime": "2026-08-01 12:00:00 +02:00", "name": "Brand, Huddinge",
               "summary": "Brand i ett förråd.", "url": "/aktuellt/handelser/9/",
               "type": "Brand", "location": {"name": "Huddinge", "gps": "59.23633,17.982156"}}]
    api = FakeApi()
    try:
        api.add("/api/events", Answer(body=answer))
        events = fetch_police_events("Huddinge", base_url=api.url, cache_dir=tmp_path / "c")
        assert [p for _, p, _ in api.requests] == ["/api/events?locationname=Huddinge"]
        assert events.data["id"].tolist() == [9]
        assert events.data["url"].tolist() == ["https://polisen.se/aktuellt/handelser/9/"]
        assert events.source.startswith("polisen.se/api/events?locationname=Huddinge (hämtat ")
        table = kommun_event_types(events, "Huddinge").table
        assert table.to_dict("records") == [{EVENT_TYPE: "Brand", "2026": 1, TOTAL: 1}]
        api.add("/api/events", Answer(body={"error": "x"}))
        with pytest.raises(PoliceEventsError, match=r"inte en lista med händelser"):
            fetch_police_events("Botkyrka", base_url=api.url, cache_dir=tmp_path / "c")
    finally:
        api.stop()


# =====================================================================================
# The app's data page
# =====================================================================================

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_uploads_police_offences_and_events() -> None:
    from streamlit.testing.v1 import AppTest

    from geo.export.text import md_source

    expected = expected_2023_per_regso()
    raw_events = json.loads(shared_file(HUDDINGE_EVENTS).read_text(encoding="utf-8"))

    def uploader(at: AppTest, key: str):
        return next(u for u in at.file_uploader if u.key == key)

    at = demo_app(180)
    assert not at.exception
    # Without the link the RegSO cannot be reached: a Swedish error, the ranking stays.
    uploader(at, "polisen_file").upload(OFFENCES.name, OFFENCES.read_bytes(), "text/csv").run()
    assert not at.exception
    message = " ".join(md_source(e.value) for e in at.error)
    assert "Jämförelserna visas inte." in message
    assert f"fil '{OFFENCES.name}', kolumn 'DeSO.område': områdena är inte DeSO" in message
    assert OFFENCES_COLUMN not in ranked_table(at).columns

    uploader(at, "deso_link_file").upload(LINK.name, LINK.read_bytes(), "text/csv").run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    table = ranked_table(at).set_index("Områdeskod")
    # Sent as numbers (the table sorts them), written Swedish by the page (table_widget).
    assert table[OFFENCES_COLUMN].to_dict() == {a: expected.get(a, 0) for a in table.index}
    sources = next(d.value for d in at.dataframe if "Licens" in d.value.columns)
    titles = dict(zip(sources["Data"], sources["Titel"], strict=True))
    assert titles[OFFENCES_ROLE] == f"{OFFENCES.name}, brott 2023"
    assert titles[LINK_ROLE] == LINK.name
    coverage = dict(zip(sources["Data"], sources["Täckning"], strict=True))
    assert coverage[OFFENCES_ROLE] == f"{sum(expected)} brott i 22 av 22 områden"
    notes = " ".join(md_source(i.value) for i in at.info)
    assert "2023 är det senaste hela året i filen" in notes
    assert "saknar DeSO-kod" in notes
    by_code = next(d.value for d in at.dataframe if CODE in d.value.columns)
    raw = pd.read_csv(OFFENCES, dtype=str, keep_default_na=False)
    assert by_code[TOTAL].tolist()[:-1] == raw.assign(
        n=raw["Antal"].astype(int)).groupby("Brottskod")["n"].sum().tolist()
    assert by_code.iloc[-1][OFFENCE] == WITHOUT_DESO
    assert by_code.iloc[-1][TOTAL] == raw.loc[raw["DeSO.område"] == "",
                                              "Antal"].astype(int).sum()

    uploader(at, "polisen_events_file").upload(HUDDINGE_EVENTS.name,
                                               HUDDINGE_EVENTS.read_bytes(),
                                               "application/json").run()
    assert not at.exception and not at.error
    events = next(d.value for d in at.dataframe if EVENT_TYPE in d.value.columns)
    own = pd.Series([e["type"] for e in raw_events if e["location"]["name"] == "Huddinge"])
    assert events.set_index(EVENT_TYPE)[TOTAL].to_dict() == own.value_counts().to_dict()
    captions = " ".join(md_source(c.value) for c in at.caption)
    assert "aldrig placeras i ett område" in captions
    assert "räknas inte till Huddinge: Stockholms län" in captions


def test_link_to_another_level_is_an_error_naming_the_link(offences_file: Path,
                                                           link_file: Path) -> None:
    # Kommundelar on the map, a DeSO->RegSO link given: the link leads to no area.
    with pytest.raises(PoliceFileError, match=r"fil 'brott\.csv', kolumn 'RegSOkod_2020': "
                       r"filens DeSO-koder finns i kopplingstabellen 'koppling\.csv', men den "
                       r"leder till områden som inte finns i kartan\. Värden: '0126R001', "
                       r"'0126R002'\. Förväntat: områdenas koder: 'Norra delen', 'Södra'\. "
                       r"Åtgärd: ange en kopplingstabell från DeSO till just de här områdena"):
        offences_per_area(pd.Index(["Norra delen", "Södra"]), police(offences_file, link_file))


def test_offences_table_by_code_and_year_keeps_those_without_deso(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", [
        HEADER, row("1", "0126C1010", "2022-05-01"),
        row("2", "", "2022-06-01", antal=2),
        row("3", "0126C1020", "2023-01-05", registered="2023-01-06").replace(",1211,", ",1210,"),
        row("4", "0126C1020", "2023-02-01", antal=3)])
    table = offences_table(read_offences_per_deso(path))
    # Registered up to 2023-02-01: 2022 is full, 2023 is not.
    assert table.columns.tolist() == [CODE, OFFENCE, "2022", "2023 (ej helt år)", TOTAL]
    assert table.values.tolist() == [["1210", "Bilbrand", 0, 1, 1],
                                     ["1211", "Bilbrand", 3, 3, 6],
                                     ["", WITHOUT_DESO, 2, 0, 2]]
