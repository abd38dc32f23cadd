"""Tests of geo/io/polisen.py: police events (API answer) and offences per DeSO.

Tiny fixtures written to tmp_path with values checked by hand; integration tests on the
real files in ../shared/data, skipped when that folder is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geo.io.polisen import (
    EVENT_COLUMNS,
    GPS_NOTE,
    MENTIONS_NOTE,
    WITHOUT_AREA,
    count_column,
    events_per_municipality,
    mentions_in_text,
    name_pattern,
    read_offences_per_deso,
    read_police_events,
)
from indicators.columns import AREA_ID
from indicators.errors import AreaCodeError, PoliceEventsError, PoliceFileError
from indicators.levels import aggregate_to_level, link_table

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SNAPSHOT = SHARED_DATA / "api_samples" / "polisen" / "events_snapshot_2026-08-22T1754Z.json"
HUDDINGE_EVENTS = SHARED_DATA / "huddinge" / "polisen_handelser_huddinge_2023-2026.json"
OFFENCES = SHARED_DATA / "huddinge" / "polisen_brott_per_deso_0126_2000-2024Q1.csv"
LINK = SHARED_DATA / "huddinge" / "koppling_deso2018_regso2020_0126.csv"


def shared_file(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is absent: this test needs the shared data folder "
                    f"{SHARED_DATA} (beside the repository as ../shared/data)")
    return path


# =====================================================================================
# Events: tiny fixtures
# =====================================================================================

HUDDINGE_GPS = "59.23633,17.982156"


def event(id_: object, when: str = "2024-05-01 12:00:00 +02:00", *, summary: str = "Text.",
          type_: str = "Brand", place: str = "Huddinge", gps: str = HUDDINGE_GPS,
          name: str = "1 maj 11.00, Brand, Huddinge") -> dict:
    return {"id": id_, "datetime": when, "name": name, "summary": summary,
            "url": f"/aktuellt/handelser/{id_}/", "type": type_,
            "location": {"name": place, "gps": gps}}


def write_json(tmp_path: Path, payload: object, name: str = "events.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    return write_json(tmp_path, [
        event(1, "2023-03-21 7:50:05 +01:00", summary="I Skogås omhändertogs en man.",
              type_="Fylleri/LOB"),
        event(2, "2023-12-31 23:30:00 +00:00", summary="Brand i Vårbyparken.",
              place="Stockholms län", gps="59.32,18.06"),
        event(3, "2024-05-01 12:00:00 +02:00", summary="Bilbrand i VÅRBY gård och i skogås.",
              name="1 maj 11.00, Brand, Huddinge"),
        event(4, "2024-06-01 08:00:00 +02:00", summary="Misshandel.",
              type_="Misshandel", name="1 juni 07.00, Misshandel, Flemingsberg"),
    ])


def test_read_police_events_tidy(events_file: Path) -> None:
    events = read_police_events(events_file)
    data = events.data
    assert list(data.columns)[: len(EVENT_COLUMNS)] == list(EVENT_COLUMNS)
    assert data["id"].tolist() == [1, 2, 3, 4]
    assert str(data["datetime"].dt.tz) == "Europe/Stockholm"
    first = data["datetime"].iloc[0]
    assert first == pd.Timestamp("2023-03-21 06:50:05", tz="UTC")   # one-digit hour read
    # 23:30 UTC on New Year's Eve is 00:30 on 1 January in Stockholm: local year counts.
    assert data["year"].tolist() == [2023, 2024, 2024, 2024]
    assert data["lat"].iloc[0] == 59.23633 and data["lon"].iloc[0] == 17.982156
    assert data["url"].iloc[0] == "https://polisen.se/aktuellt/handelser/1/"
    assert data["location_name"].tolist() == ["Huddinge", "Stockholms län", "Huddinge",
                                              "Huddinge"]
    assert len(events) == 4 and events.source == "events.json"
    assert "mittpunkt" in events.note and events.note == GPS_NOTE


def test_events_per_municipality(events_file: Path) -> None:
    events = read_police_events(events_file)
    counts = events_per_municipality(events)
    assert counts.to_dict("records") == [
        {"location_name": "Huddinge", "location_level": "kommun", "type": "Brand",
         "year": 2024, "count": 1},
        {"location_name": "Huddinge", "location_level": "kommun", "type": "Fylleri/LOB",
         "year": 2023, "count": 1},
        {"location_name": "Huddinge", "location_level": "kommun", "type": "Misshandel",
         "year": 2024, "count": 1},
        {"location_name": "Stockholms län", "location_level": "län", "type": "Brand",
         "year": 2024, "count": 1},
    ]
    only = events_per_municipality(events, types=["Brand"], years=[2024])
    assert only[["location_name", "count"]].values.tolist() == [["Huddinge", 1],
                                                                ["Stockholms län", 1]]


def test_events_per_municipality_unknown_type_and_year(events_file: Path) -> None:
    events = read_police_events(events_file)
    with pytest.raises(PoliceEventsError, match=r"fil 'events\.json', fält 'type': "
                       r"händelsetyper som inte finns i filen\. Värden: 'Bilbrand'\. "
                       r"Förväntat: någon av: Brand, Fylleri/LOB, Misshandel"):
        events_per_municipality(events, types=["Bilbrand"])
    with pytest.raises(PoliceEventsError, match=r"fält 'datetime': år utan några händelser "
                       r"i filen.*Värden: 2022\. Förväntat: något av åren 2023, 2024"):
        events_per_municipality(events, years=[2022, 2023])


def test_mentions_in_text_whole_word_case_insensitive(events_file: Path) -> None:
    events = read_police_events(events_file)
    mentions = mentions_in_text(events, ["Skogås", "Vårby", "Vårby gård", "Flemingsberg",
                                         "Sjödalen"])
    assert mentions.frame.to_dict("records") == [
        {"name": "Skogås", "events": 2, "event_ids": (1, 3)},        # 'skogås' lower case
        {"name": "Vårby", "events": 1, "event_ids": (3,)},           # not 'Vårbyparken'
        {"name": "Vårby gård", "events": 1, "event_ids": (3,)},
        {"name": "Flemingsberg", "events": 1, "event_ids": (4,)},    # in the headline
        {"name": "Sjödalen", "events": 0, "event_ids": ()},
    ]
    assert "inte geokodat" in mentions.note.lower() and mentions.note == MENTIONS_NOTE
    assert mentions.fields == ("summary", "name")


def test_name_pattern_swedish_letters_and_spaces() -> None:
    pattern = name_pattern("Vårby gård")
    assert pattern.search("till vårby\ngård i kväll")
    assert not pattern.search("Vårby gårdsväg")
    assert name_pattern("Skogås").search("(Skogås)")
    assert not name_pattern("Skogås").search("Skogåsvägen")
    assert not name_pattern("Länna").search("Kyrklänna")
    assert name_pattern("Vårby Haga-Masmo").search("i Vårby Haga-Masmo.")


def test_mentions_in_text_refuses_empty_names(events_file: Path) -> None:
    events = read_police_events(events_file)
    with pytest.raises(PoliceEventsError, match=r"tomma områdesnamn att söka efter"):
        mentions_in_text(events, ["Skogås", " "])
    with pytest.raises(PoliceEventsError, match=r"Förväntat: minst ett namn"):
        mentions_in_text(events, [])


def test_read_police_events_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PoliceEventsError, match=r"Händelsefilen '.*saknas\.json' finns inte"):
        read_police_events(tmp_path / "saknas.json")


def test_read_police_events_not_json(tmp_path: Path) -> None:
    path = tmp_path / "trasig.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(PoliceEventsError, match=r"fil 'trasig\.json': filen är inte giltig "
                       r"JSON.*Åtgärd: hämta och spara svaret igen"):
        read_police_events(path)


def test_read_police_events_not_a_list(tmp_path: Path) -> None:
    path = write_json(tmp_path, {"events": []})
    with pytest.raises(PoliceEventsError, match=r"filen innehåller dict, inte en lista"):
        read_police_events(path)


def test_read_police_events_missing_fields(tmp_path: Path) -> None:
    lacks_summary = event(2)
    del lacks_summary["summary"]
    lacks_gps = event(3)
    del lacks_gps["location"]["gps"]
    path = write_json(tmp_path, [event(1), lacks_summary, lacks_gps, "text"])
    with pytest.raises(PoliceEventsError, match=r"^Fel i polisens händelsefil: 3 problem\.\n") \
            as info:
        read_police_events(path)
    text = str(info.value)
    assert text.startswith("Fel i polisens händelsefil: 3 problem.")
    assert "poster som inte är händelser (JSON-objekt). Värden: 'händelse nr 4'." in text
    assert ("fil 'events.json', fält 'summary': 1 händelser saknar fältet. "
            "Värden: 'id 2'.") in text
    assert "fält 'location.gps': 1 händelser saknar fältet. Värden: 'id 3'." in text


def test_read_police_events_bad_datetime_gps_and_id(tmp_path: Path) -> None:
    path = write_json(tmp_path, [event(1, "igår"), event(2, gps="okänd"),
                                 event(3, gps="95.0,17.9"), event("x")])
    with pytest.raises(PoliceEventsError, match="fält 'datetime': tidpunkter som inte kan "
                                                "läsas") as info:
        read_police_events(path)
    text = str(info.value)
    assert ("fält 'datetime': tidpunkter som inte kan läsas. Värden: \"id 1: 'igår'\". "
            "Förväntat: 'ÅÅÅÅ-MM-DD TT:MM:SS +TT:MM'") in text
    assert ("fält 'location.gps': positioner som inte kan läsas. "
            "Värden: \"id 2: 'okänd'\", \"id 3: '95.0,17.9'\".") in text
    assert "fält 'id': id som inte är heltal. Värden: \"'x'\"." in text
    with pytest.raises(PoliceEventsError, match=r"fält 'datetime': tidpunkter som inte kan "
                       r"läsas\. Värden: \"id 1: 'igår'\""):
        read_police_events(path)


def test_read_police_events_repeated_id_and_non_text(tmp_path: Path) -> None:
    path = write_json(tmp_path, [event(7), event(7), event(8, type_=3)])  # type: ignore[arg-type]
    with pytest.raises(PoliceEventsError, match=r"(?s)fält 'type': värden som inte är text\. "
                       r"Värden: 'id 8: 3'.*fält 'id': samma händelse-id förekommer flera "
                       r"gånger\. Värden: 'id 7'"):
        read_police_events(path)


# =====================================================================================
# Offences per DeSO: tiny fixtures
# =====================================================================================

HEADER = ("Id,Brottskod,Brottskod.klartext,Inskrivningsdatum,Brottsdatum,Kommun,Län,"
          "DeSO.område,Antal,source_file")


def offence_row(id_: str, code: str = "1211", deso: str = "0126C1020",
                date: str = "2023-03-26", antal: str = "1", registered: str = "2023-03-27"
                ) -> str:
    text = {"1211": "Bilbrand", "1210": "Brand"}.get(code, "Annat")
    return (f"{id_},{code},{text},{registered},{date},Huddinge,Stockholms Län,{deso},"
            f"{antal},test.csv")


def write_csv(tmp_path: Path, rows: list[str], name: str = "brott.csv",
              header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def offences_file(tmp_path: Path) -> Path:
    # 0126C1020: 1211 2022 x1, 1211 2023 x2 (Antal 2), 1210 2023 x1
    # 0126C1010: 1210 2022 x1
    # no DeSO:   1211 2023 x1 (id 6), 1210 2022 x3 (id 7, Antal 3)
    return write_csv(tmp_path, [
        offence_row("1", "1211", "0126C1020", "2022-05-01"),
        offence_row("2", "1211", "0126C1020", "2023-01-01", antal="2"),
        offence_row("3", "1210", "0126C1020", "2023-07-01"),
        offence_row("4", "1210", "0126C1010", "2022-12-31", registered="2023-01-02"),
        offence_row("6", "1211", "", "2023-02-02"),
        offence_row("7", "1210", "", "2022-02-02", antal="3"),
    ])


def test_read_offences_tidy(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    data = offences.data
    assert len(data) == 6
    assert data["id"].tolist() == ["1", "2", "3", "4", "6", "7"]
    assert data["deso"].tolist() == ["0126C1020"] * 3 + ["0126C1010", "", ""]
    assert data["year"].tolist() == [2022, 2023, 2023, 2022, 2023, 2022]  # Brottsdatum
    assert data["count"].tolist() == [1, 2, 1, 1, 1, 3]
    assert data["row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert offences.codes == {"1210": "Brand", "1211": "Bilbrand"}
    assert offences.years == (2022, 2023)
    assert offences.without_area_ids == ("6", "7")
    assert offences.messages() == [
        "2 av 6 brott i 'brott.csv' saknar DeSO-kod (summa Antal 4). De ingår inte i något "
        "område utan redovisas som 'utan område'. Id: 6, 7."]


def test_offence_counts_by_year(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    wide = offences.counts()
    assert wide.columns.tolist() == [AREA_ID, "brott_1210_2022", "brott_1210_2023",
                                     "brott_1211_2022", "brott_1211_2023"]
    assert wide.values.tolist() == [["0126C1010", 1, 0, 0, 0],
                                    ["0126C1020", 0, 1, 1, 2]]
    without = offences.counts_without_area()
    assert without.name == WITHOUT_AREA
    assert without.to_dict() == {"brott_1210_2022": 3, "brott_1210_2023": 0,
                                 "brott_1211_2022": 0, "brott_1211_2023": 1}


def test_offence_counts_codes_and_areas(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    wide = offences.counts(by_year=False, codes=["1211"], areas=["0126C1030", "0126C1020"])
    assert wide.values.tolist() == [["0126C1030", 0], ["0126C1020", 3], ["0126C1010", 0]]
    assert offences.counts_without_area(by_year=False, codes=["1211"]).to_dict() == {
        "brott_1211": 1}
    assert count_column("1211") == "brott_1211"
    assert count_column("1211", 2023) == "brott_1211_2023"


def test_offence_counts_aggregate_with_without_area(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    link = link_table(pd.DataFrame({"deso": ["0126C1010", "0126C1020", "0126C1030"],
                                    "regso": ["0126R001", "0126R001", "0126R002"]}),
                      "deso", "regso")
    wide = offences.counts(by_year=False, areas=link["from_id"])
    result = aggregate_to_level(wide, link, counts=["brott_1210", "brott_1211"])
    assert result.frame[["area_id", "brott_1210", "brott_1211"]].values.tolist() == [
        ["0126R001", 2.0, 3.0], ["0126R002", 0.0, 0.0]]
    total = result.frame[["brott_1210", "brott_1211"]].to_numpy().sum()
    assert total + offences.counts_without_area(by_year=False).sum() == 9


def test_offence_counts_unknown_code(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    with pytest.raises(PoliceFileError, match=r"fil 'brott\.csv', kolumn 'Brottskod': "
                       r"brottskoder som inte finns i filen\. Värden: '9999'\. "
                       r"Förväntat: någon av: 1210, 1211"):
        offences.counts(codes=["1211", "9999"])
    with pytest.raises(PoliceFileError, match=r"brottskoder som inte finns i filen"):
        offences.counts_without_area(codes=["9999"])


def test_offence_counts_bad_area_list(offences_file: Path) -> None:
    offences = read_offences_per_deso(offences_file)
    with pytest.raises(AreaCodeError, match=r"fil 'områdeslista', kolumn 'area_id': "
                       r"områdeskoder har tappat sin inledande nolla"):
        offences.counts(areas=["126C1030"])


def test_read_offences_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PoliceFileError, match=r"Tabellfilen '.*saknas\.csv' finns inte"):
        read_offences_per_deso(tmp_path / "saknas.csv")


def test_read_offences_missing_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["1,1211,x,2023-01-01,2023-01-01"],
                     header="Id,Brottskod,Brottskod.klartext,Inskrivningsdatum,Brottsdatum")
    with pytest.raises(PoliceFileError, match=r"Fel i polisens fil: fil 'brott\.csv': "
                       r"kolumner saknas\. Värden: 'Kommun', 'Län', 'DeSO\.område', "
                       r"'Antal'\. Förväntat: Id, Brottskod"):
        read_offences_per_deso(path)


def test_read_offences_source_file_column_optional(tmp_path: Path) -> None:
    header = HEADER.removesuffix(",source_file")
    path = write_csv(tmp_path, [offence_row("1").removesuffix(",test.csv")], header=header)
    assert read_offences_per_deso(path).data["source_file"].tolist() == ["brott.csv"]


def test_read_offences_every_problem_at_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [
        offence_row("1"),
        offence_row("1"),                                 # repeated Id
        offence_row("", deso="0126C1010"),                # empty Id
        offence_row("4", code="12x1"),                    # code not digits
        offence_row("5", date="26/03/2023"),              # bad date
        offence_row("6", registered="2023-02-30"),        # impossible date
        offence_row("7", antal="0"),                      # not positive
        offence_row("8", antal="1,5"),                    # not whole (quoted below)
    ])
    # '1,5' splits the CSV row: write that row quoted instead.
    text = path.read_text(encoding="utf-8").replace(",1,5,test.csv", ',"1,5",test.csv')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PoliceFileError, match=r"^Fel i polisens fil: 6 problem\.\n") as info:
        read_offences_per_deso(path)
    text = str(info.value)
    assert text.startswith("Fel i polisens fil: 6 problem.")
    assert "kolumn 'Id': rader utan Id. Värden: 'rad 4'." in text
    assert "kolumn 'Id': samma Id förekommer flera gånger. Värden: '1'." in text
    assert ("kolumn 'Brottskod': brottskoder som inte är siffror. "
            "Värden: \"rad 5 (Id 4): '12x1'\".") in text
    assert ("kolumn 'Brottsdatum': datum som inte kan läsas. "
            "Värden: \"rad 6 (Id 5): '26/03/2023'\". Förväntat: 'ÅÅÅÅ-MM-DD'") in text
    assert ("kolumn 'Inskrivningsdatum': datum som inte kan läsas. "
            "Värden: \"rad 7 (Id 6): '2023-02-30'\".") in text
    assert ("kolumn 'Antal': antal som inte är ett positivt heltal. "
            "Värden: \"rad 8 (Id 7): '0'\", \"rad 9 (Id 8): '1,5'\".") in text
    with pytest.raises(PoliceFileError, match=r"kolumn 'Antal': antal som inte är ett "
                       r"positivt heltal"):
        read_offences_per_deso(path)


def test_read_offences_lost_leading_zero(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [offence_row("1", deso="126C1020"), offence_row("2")])
    with pytest.raises(PoliceFileError, match=r"fil 'brott\.csv', kolumn 'DeSO\.område': "
                       r"områdeskoder har tappat sin inledande nolla.*Värden: "
                       r"'126C1020 \(ska vara 0126C1020\)'"):
        read_offences_per_deso(path)


def test_read_offences_not_deso_codes(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [offence_row("1", deso="0126R001"), offence_row("2", deso="abc")])
    with pytest.raises(PoliceFileError, match="okänd form på områdeskoder") as info:
        read_offences_per_deso(path)
    text = str(info.value)
    assert "kolumn 'DeSO.område': okänd form på områdeskoder. Värden: 'abc'." in text
    with pytest.raises(PoliceFileError, match=r"kolumn 'DeSO\.område': koder som inte är "
                       r"DeSO-koder\. Värden: \"rad 2 \(Id 1\): '0126R001'\""):
        read_offences_per_deso(write_csv(tmp_path, [offence_row("1", deso="0126R001")],
                                         name="b.csv"))


# =====================================================================================
# Real data from ../shared/data
# =====================================================================================


def test_real_events_snapshot() -> None:
    events = read_police_events(shared_file(SNAPSHOT))
    assert len(events) == 500
    assert events.data["id"].is_unique
    assert events.data["year"].eq(2026).all()
    counts = events_per_municipality(events)
    assert counts["count"].sum() == 500
    skane = counts[counts["location_name"] == "Skåne län"]
    assert skane["count"].sum() == 57 and set(skane["location_level"]) == {"län"}


def test_real_huddinge_events_and_mentions() -> None:
    events = read_police_events(shared_file(HUDDINGE_EVENTS))
    assert len(events) == 350
    assert events.data["year"].value_counts().sort_index().to_dict() == {
        2023: 99, 2024: 98, 2025: 98, 2026: 55}
    per_place = events_per_municipality(events).groupby("location_name")["count"].sum()
    assert per_place.to_dict() == {"Huddinge": 299, "Stockholms län": 51}
    misshandel = events_per_municipality(events, types=["Misshandel"], years=[2023])
    assert misshandel.values.tolist() == [["Huddinge", "kommun", "Misshandel", 2023, 7]]

    mentions = mentions_in_text(events, ["Skogås", "Flemingsberg", "Vårby", "Vårby gård",
                                         "Visättra", "Grantorp"])
    found = mentions.frame.set_index("name")
    # Counted by reading every summary that contains the name (see the module docstring).
    assert found["events"].to_dict() == {"Skogås": 17, "Flemingsberg": 27, "Vårby": 23,
                                         "Vårby gård": 1, "Visättra": 1, "Grantorp": 0}
    vårby = found.at["Vårby", "event_ids"]
    assert vårby[:3] == (410814, 427033, 431982)
    assert 443199 in vårby                   # "... beordras till Vårby gård."
    assert 628454 not in vårby               # "Vårbyparkens bollplan": not the word Vårby
    assert found.at["Vårby gård", "event_ids"] == (443199,)
    assert found.at["Skogås", "event_ids"][0] == 410773   # "I Skogås omhändertogs ..."


def test_real_offences_per_deso_to_regso() -> None:
    offences = read_offences_per_deso(shared_file(OFFENCES))
    assert len(offences.data) == 354
    assert len(offences.without_area) == 42
    assert offences.without_area_ids[:3] == ("345154", "520765", "530830")
    assert offences.messages()[0].startswith("42 av 354 brott")
    assert set(offences.codes) == {"1210", "1211", "1311", "1615", "1701", "1702"}
    assert offences.years == (2018, 2019, 2020, 2021, 2022, 2023, 2024)

    # Checked by hand (grep '^[0-9]*,1211,' | grep ',0126C1020,'): 13 car fires in
    # 0126C1020, one each in 2024, 2020 x5, 2021 x4 and 2022 x3.
    wide = offences.counts(by_year=False).set_index(AREA_ID)
    assert wide.at["0126C1020", "brott_1211"] == 13
    by_year = offences.counts().set_index(AREA_ID)
    assert [by_year.at["0126C1020", f"brott_1211_{y}"] for y in (2020, 2021, 2022, 2024)] \
        == [5, 4, 3, 1]

    raw_link = pd.read_csv(shared_file(LINK), dtype=str, encoding="utf-8-sig")
    link = link_table(raw_link, "DeSO_2018", "RegSOkod_2020", "RegSO_2020")
    columns = [c for c in by_year.columns]
    wide_all = offences.counts(areas=link["from_id"])
    assert len(wide_all) == 60
    result = aggregate_to_level(wide_all, link, counts=columns)
    assert len(result.frame) == 22 and result.messages() == []
    without = offences.counts_without_area()
    assert without.sum() == 42
    total = result.frame[columns].to_numpy().sum() + without.sum()
    assert total == offences.data["count"].sum() == 354
    # Per code as well: RegSO sums plus "utan område" give the file's total of each code.
    per_code = offences.data.groupby("offence_code")["count"].sum()
    for code, n in per_code.items():
        cols = [c for c in columns if c.startswith(f"brott_{code}_")]
        placed = result.frame[cols].to_numpy().sum()
        assert placed + without[cols].sum() == n
