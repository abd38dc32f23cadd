"""Kolada v3: tidy KPI values and kommun/län/riket reference values from a local server."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from api_server import API_SAMPLES, Answer, FakeApi, FakeClock

from geo.io.kolada import PREVENTION_KPIS, KoladaClient, lan_id_for_kommun, parse_kolada_values
from indicators.errors import ApiQueryError, FetchError, OfflineError

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KPI_IDS = API_SAMPLES / "kolada" / "kolada_kpi_ids_from_kolada-mcp-0.1.36.txt"


def cell(gender, value, status=""):
    return {"count": 1, "gender": gender, "status": status, "value": value}


# Written in Kolada v3's documented shape: municipality, period, values per gender.
PAGE_1 = {
    "count": 3,
    "values": [
        {"kpi": "N15428", "municipality": "0126", "period": 2023,
         "values": [cell("T", 78.2), cell("K", 80.1), cell("M", 76.4)]},
        {"kpi": "N15428", "municipality": "0001", "period": 2023,
         "values": [cell("T", 84.0), cell("K", 85.5), cell("M", 82.6)]},
        {"kpi": "N15428", "municipality": "0000", "period": 2023,
         "values": [cell("T", 85.3), cell("K", None, "Saknas"), cell("M", 84.9)]},
    ],
    "next_url": None,
    "previous_url": None,
}


@pytest.fixture
def api():
    server = FakeApi()
    yield server
    server.stop()


def client_for(api, tmp_path, **options):
    clock = FakeClock()
    client = KoladaClient(api.url + "v3", tmp_path / "cache", clock=clock, sleep=clock.sleep,
                          now=lambda: T0, timeout=2, **options)
    return client, clock


REF_PATH = "/v3/data/kpi/N15428/municipality/0126,0001,0000/year/2023"


def test_lan_id_for_kommun():
    assert lan_id_for_kommun("0126") == "0001"  # Huddinge → Region Stockholm
    assert lan_id_for_kommun("1380") == "0013"  # Halmstad → Region Halland
    assert lan_id_for_kommun("0980") == "0009"  # Gotland
    with pytest.raises(ApiQueryError, match=r"^Fel i frågan till datakällan: argument 'kommun': "
                                            r"Kommunkoden ska vara fyra siffror och inte börja "
                                            r"med 00\. Värden: '0001'\."):
        lan_id_for_kommun("0001")


def test_parse_kolada_values():
    frame = parse_kolada_values(PAGE_1)
    assert list(frame.columns) == ["kpi", "municipality", "year", "gender", "value", "status"]
    assert len(frame) == 9
    assert frame.iloc[0].tolist() == ["N15428", "0126", 2023, "T", 78.2, None]
    missing = frame.iloc[7]
    assert (missing["municipality"], missing["gender"], missing["status"]) == (
        "0000", "K", "Saknas")
    assert math.isnan(missing["value"])
    assert frame["year"].dtype == "int64"


def test_empty_answer_gives_an_empty_table():
    frame = parse_kolada_values({"count": 0, "values": []})
    assert frame.empty and list(frame.columns)[0] == "kpi"


def test_values_with_paging(api, tmp_path):
    page_2 = {"count": 1, "values": [
        {"kpi": "N02797", "municipality": "0126", "period": 2022,
         "values": [cell("T", 6.1)]}], "next_url": None}
    first = dict(PAGE_1, next_url=api.url + "v3/page-2")
    path = "/v3/data/kpi/N15428,N02797/municipality/0126,0001,0000/year/2022,2023"
    api.add(path, Answer(body=first))
    api.add("/v3/page-2", Answer(body=page_2))
    client, _ = client_for(api, tmp_path)
    frame = client.values(["N15428", "N02797"], ["0126", "0001", "0000"], [2022, 2023])
    assert api.requests[0][1] == path
    assert frame[frame["gender"] == "T"][["kpi", "municipality", "year", "value"]] \
        .values.tolist() == [["N02797", "0126", 2022, 6.1], ["N15428", "0000", 2023, 85.3],
                             ["N15428", "0001", 2023, 84.0], ["N15428", "0126", 2023, 78.2]]
    assert len(frame) == 10
    assert frame.attrs["source"] == "Kolada (RKA)"
    assert frame.attrs["fetched"] == T0 and frame.attrs["from_cache"] is False
    assert frame.attrs["urls"] == (api.url + path[1:], api.url + "v3/page-2")


def test_second_call_is_a_cache_hit(api, tmp_path):
    api.add(REF_PATH, Answer(body=PAGE_1))
    client, _ = client_for(api, tmp_path)
    client.values("N15428", ["0126", "0001", "0000"], 2023)
    again = client.values("N15428", ["0126", "0001", "0000"], 2023)
    assert api.count(REF_PATH) == 1
    assert again.attrs["from_cache"] is True and again.attrs["fetched"] == T0


def test_reference_values_kommun_lan_riket(api, tmp_path):
    api.add(REF_PATH, Answer(body=PAGE_1))
    client, _ = client_for(api, tmp_path)
    ref = client.reference_values("N15428", "0126", 2023)
    assert ref.values.tolist() == [["kommun", "0126", 78.2, None], ["län", "0001", 84.0, None],
                                   ["riket", "0000", 85.3, None]]
    assert (ref.attrs["kpi"], ref.attrs["year"], ref.attrs["gender"]) == ("N15428", 2023, "T")
    women = client.reference_values("N15428", "0126", 2023, gender="K")
    assert women["value"].tolist()[:2] == [80.1, 85.5] and math.isnan(women["value"][2])
    assert women["status"].tolist() == [None, None, "Saknas"]


def test_reference_values_missing_level_is_kept(api, tmp_path):
    only_kommun = {"count": 1, "values": PAGE_1["values"][:1], "next_url": None}
    api.add(REF_PATH, Answer(body=only_kommun))
    client, _ = client_for(api, tmp_path)
    ref = client.reference_values("N15428", "0126", 2023)
    assert ref["level"].tolist() == ["kommun", "län", "riket"]
    assert ref["status"].tolist() == [None, "saknas", "saknas"]
    assert ref["value"].iloc[0] == 78.2 and ref["value"].iloc[1:].isna().all()


def test_429_then_answer(api, tmp_path):
    api.add(REF_PATH, Answer(429, None, {"Retry-After": "2"}), Answer(body=PAGE_1))
    client, clock = client_for(api, tmp_path)
    assert client.reference_values("N15428", "0126", 2023)["value"].iloc[0] == 78.2
    assert clock.sleeps == [2.0] and api.count(REF_PATH) == 2


def test_server_error_then_give_up(api, tmp_path):
    api.add(REF_PATH, Answer(500, {"message": "internt fel"}))
    client, clock = client_for(api, tmp_path, retries=1)
    with pytest.raises(FetchError, match=r"svarade HTTP 500 \(Internal Server Error\): internt "
                                         r"fel\. \(gav upp efter 2 försök\)"):
        client.reference_values("N15428", "0126", 2023)
    assert clock.sleeps == [1.0]


def test_timeout(api, tmp_path):
    api.add(REF_PATH, Answer(body=PAGE_1, delay=1.0))
    client, _ = client_for(api, tmp_path, retries=0)
    client.fetcher.timeout = 0.2
    with pytest.raises(FetchError, match=r"svarade inte inom 0\.2 sekunder\. Det finns inget "
                                         r"sparat svar"):
        client.reference_values("N15428", "0126", 2023)


def test_offline_fallback_and_offline_error(api, tmp_path):
    api.add(REF_PATH, Answer(body=PAGE_1))
    client, _ = client_for(api, tmp_path)
    client.reference_values("N15428", "0126", 2023)
    api.stop()
    ref = client.reference_values("N15428", "0126", 2023, refresh=True)
    assert ref.attrs["from_cache"] is True and ref.attrs["fetched"] == T0
    assert ref.attrs["notes"][0].endswith("Använder sparat svar hämtat 2026-11-23 12:00 UTC.")
    assert ref["value"].tolist() == [78.2, 84.0, 85.3]
    with pytest.raises(OfflineError, match=r"^Ingen anslutning till datakällan: adress "
                                           r"'http://127\.0\.0\.1:\d+/v3/data/kpi/N02797/"
                                           r"municipality/0126,0001,0000/year/2023'"):
        client.reference_values("N02797", "0126", 2023)


def test_answer_without_values_is_a_fetch_error(api, tmp_path):
    api.add(REF_PATH, Answer(body={"error": "okänd"}))
    client, _ = client_for(api, tmp_path)
    with pytest.raises(FetchError, match=r"Svaret saknar nyckeln 'values'\. Förväntat: ett "
                                         r"Kolada v3-svar\."):
        client.values(["N15428"], ["0126", "0001", "0000"], [2023])


def test_bad_arguments_are_collected(api, tmp_path):
    client, _ = client_for(api, tmp_path)
    with pytest.raises(ApiQueryError, match=(
            r"^Fel i frågan till datakällan: 3 problem\.\n"
            r"1\. argument 'kpi_ids': Ogiltigt nyckeltals-id\. Värden: 'n15428'\. Förväntat: en "
            r"bokstav och fem siffror, t\.ex\. 'N15428'\.\n"
            r"2\. argument 'municipality_ids': Ogiltigt kommun-id\. Värden: '126', 126\. .*\n"
            r"3\. argument 'years': Ogiltigt år\. Värden: '2023'\. Förväntat: heltal som 2023\.$")):
        client.values(["N15428", "n15428"], ["0126", "126", 126], [2022, "2023"])
    with pytest.raises(ApiQueryError, match=r"1\. argument 'kpi_ids': Inga nyckeltal angivna\."):
        client.values([], [], [])
    assert api.requests == []


@pytest.mark.skipif(not KPI_IDS.exists(), reason=f"Kolada KPI id list not found at {KPI_IDS}")
def test_prevention_kpis_exist_in_kolada():
    known = set(KPI_IDS.read_text(encoding="utf-8").split())
    assert set(PREVENTION_KPIS) == {"N15428", "N02797", "N03942", "N07540"}
    assert set(PREVENTION_KPIS) <= known


def test_reference_table_takes_each_kpis_latest_year_with_a_kommun_value(api, tmp_path):
    page = {"count": 6, "next_url": None, "values": [
        {"kpi": "N15428", "municipality": "0126", "period": 2023, "values": [cell("T", 78.2)]},
        {"kpi": "N15428", "municipality": "0001", "period": 2023, "values": [cell("T", 84.0)]},
        {"kpi": "N15428", "municipality": "0000", "period": 2023, "values": [cell("T", 85.3)]},
        # 2024 exists for län and riket, but the kommun's value is suppressed: 2023 is used.
        {"kpi": "N15428", "municipality": "0126", "period": 2024,
         "values": [cell("T", None, "Sekretess")]},
        {"kpi": "N15428", "municipality": "0001", "period": 2024, "values": [cell("T", 83.0)]},
        {"kpi": "N02797", "municipality": "0000", "period": 2024, "values": [cell("T", 5.1)]},
    ]}
    api.add("/v3/data/kpi/N15428,N02797/municipality/0126,0001,0000/year/2023,2024",
            Answer(body=page))
    client, _ = client_for(api, tmp_path)
    table = client.reference_table("0126", ["N15428", "N02797"], [2024, 2023])
    assert list(table.columns) == ["Nyckeltal", "Id", "År", "Kommunen", "Länet", "Riket",
                                   "Anmärkning"]
    first, second = table.to_dict("records")
    assert (first["Nyckeltal"], first["År"], first["Kommunen"], first["Länet"],
            first["Riket"]) == (PREVENTION_KPIS["N15428"], 2023, 78.2, 84.0, 85.3)
    assert first["Anmärkning"] == ""
    assert (second["År"], second["Riket"]) == (2024, 5.1)
    assert math.isnan(second["Kommunen"]) and math.isnan(second["Länet"])
    assert second["Anmärkning"] == "kommunen saknar värde 2023–2024"
