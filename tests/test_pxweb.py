"""SCB PxWebApi v2: JSON-stat2 parsing, region code vintages, and the client on a local server."""

from __future__ import annotations

import json
import math
import urllib.parse
from datetime import UTC, datetime

import pytest
from api_server import API_SAMPLES, Answer, FakeApi, FakeClock

from geo.io.pxweb import (
    NOISE_NOTE,
    PxWebClient,
    TableMetadata,
    area_codes_for_kommun,
    area_level,
    parse_jsonstat2,
    reference_years,
    region_code_for_year,
    strip_region_suffix,
)
from indicators.errors import ApiQueryError, FetchError, OfflineError

V2 = API_SAMPLES / "scb_pxwebapi_v2"
V1 = API_SAMPLES / "scb_pxwebapi_v1"
needs_samples = pytest.mark.skipif(
    not V2.is_dir(), reason=f"recorded SCB answers not found in {V2} (../shared/data absent)")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def jsonstat(dims, values, status=None, *, label="Testtabell", updated="2026-06-08T06:00:00Z",
             note=None, table_id="TAB9999"):
    """A small JSON-stat2 dataset; ``dims`` is ``[(id, {code: label}), ...]``."""
    payload = {
        "version": "2.0", "class": "dataset", "label": label, "source": "SCB",
        "updated": updated, "id": [d for d, _ in dims], "size": [len(c) for _, c in dims],
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "dimension": {d: {"label": d.lower(), "category": {
            "index": {c: i for i, c in enumerate(codes)}, "label": codes}} for d, codes in dims},
        "extension": {"px": {"tableid": table_id}},
        "value": values,
    }
    if status is not None:
        payload["status"] = status
    if note is not None:
        payload["note"] = note
    return payload


# -- parse_jsonstat2 -----------------------------------------------------------------------

@needs_samples
def test_parse_recorded_tab6471():
    payload = json.loads((V2 / "TAB6471_data.json").read_text(encoding="utf-8"))
    frame = parse_jsonstat2(payload)
    assert list(frame.columns) == [
        "Region", "Region_label", "Alder", "Alder_label", "Kon", "Kon_label", "ContentsCode",
        "ContentsCode_label", "Tid", "Tid_label", "value", "status", "missing_reason"]
    assert len(frame) == 21 * 11 * 3 * 1 * 4 == 2772
    assert frame.loc[:3, "value"].tolist() == [245284, 247245, 249358, 251635]
    row = frame.iloc[4]
    assert (row["Region"], row["Region_label"], row["Alder_label"], row["Kon_label"],
            row["Tid"], row["value"]) == ("01", "Stockholms län", "0-9 år", "män", "2026M01",
                                          125373.0)
    assert frame["value"].notna().all() and frame["status"].isna().all()
    last = frame.iloc[-1]
    assert (last["Region"], last["Alder"], last["Kon"], last["Tid"]) == (
        "25", "100+10", "2", "2026M04")
    assert last["value"] == payload["value"][-1]


@needs_samples
def test_parse_recorded_v1_answer_in_jsonstat2():
    frame = parse_jsonstat2(json.loads((V1 / "response_se.json").read_text(encoding="utf-8")))
    assert frame["Kon_label"].tolist() == ["män"] * 3 + ["kvinnor"] * 3 + ["totalt"] * 3
    assert frame["Tid"].tolist() == ["2020", "2021", "2022"] * 3
    assert frame["value"].tolist() == [332.8, 343.9, 359.9, 254.6, 263.0, 277.3, 291.9, 301.5,
                                       316.6]


def test_suppressed_cells_keep_their_symbol_and_reason():
    payload = jsonstat([("Region", {"0126R001": "Flemingsberg västra", "0126R002": "Annan"}),
                        ("Tid", {"2022": "2022", "2023": "2023"})],
                       [12, None, None, "-"], status={"1": "..", "2": "."})
    frame = parse_jsonstat2(payload)
    assert frame["Region"].tolist() == ["0126R001", "0126R001", "0126R002", "0126R002"]
    assert frame["Tid"].tolist() == ["2022", "2023", "2022", "2023"]
    assert frame["value"].iloc[0] == 12.0 and frame["value"].iloc[1:].isna().all()
    assert frame["status"].tolist() == [None, "..", ".", "-"]
    assert frame["missing_reason"].tolist() == [
        None, "uppgift saknas eller är för osäker för att redovisas",
        "uppgift kan inte förekomma", "noll eller inget att redovisa"]


def test_status_as_a_list_and_values_as_a_sparse_dict():
    payload = jsonstat([("Tid", {"2022": "2022", "2023": "2023", "2024": "2024"})],
                       {"0": 1.5, "2": 3}, status=[None, "..", "p"])
    frame = parse_jsonstat2(payload)
    assert frame["value"].tolist()[0] == 1.5 and math.isnan(frame["value"][1])
    assert frame["value"][2] == 3.0
    assert frame["status"].tolist() == [None, "..", "p"]
    assert frame["missing_reason"].tolist() == [
        None, "uppgift saknas eller är för osäker för att redovisas", None]


def test_null_without_status_and_unknown_symbol():
    payload = jsonstat([("Tid", {"2022": "2022", "2023": "2023"})], [None, None],
                       status={"1": "x"})
    assert parse_jsonstat2(payload)["missing_reason"].tolist() == [
        "värde saknas i svaret", "värde saknas (SCB-symbol 'x')"]


def test_not_jsonstat2_is_a_fetch_error():
    with pytest.raises(FetchError, match=r"2 problem\.\n1\. Nyckeln 'size' saknas i "
                                         r"JSON-stat2-svaret\. Förväntat: ett JSON-stat2-dataset"):
        parse_jsonstat2({"id": ["Tid"], "value": []})


def test_size_that_does_not_fit_the_codes():
    payload = jsonstat([("Tid", {"2022": "2022"})], [1])
    payload["size"] = [2]
    with pytest.raises(FetchError, match=r"^Fel vid hämtning från datakällan: Dimensionen "
                                         r"'Tid' har 1 koder men size säger 2\.$"):
        parse_jsonstat2(payload)


def test_too_few_values_is_a_fetch_error():
    payload = jsonstat([("Tid", {"2022": "2022", "2023": "2023"})], [1, 2, 3])
    with pytest.raises(FetchError, match=r"JSON-stat2-svaret har 3 värden men dimensionerna "
                                         r"ger 2 celler"):
        parse_jsonstat2(payload)


# -- region code vintages ------------------------------------------------------------------

@pytest.mark.parametrize(("code", "year", "expected"), [
    ("0114A0010", 2024, "0114A0010_DeSO2025"),
    ("0126R001", 2025, "0126R001_RegSO2025"),
    ("0126C1020", 2023, "0126C1020"),
    ("0126C1020_DeSO2025", 2022, "0126C1020"),
    ("0126R001_RegSO2025", 2024, "0126R001_RegSO2025"),
    ("0126", 2025, "0126"),
    ("01", 2025, "01"),
    ("00", 2024, "00"),
])
def test_region_code_for_year(code, year, expected):
    assert region_code_for_year(code, year) == expected


def test_strip_suffix_and_level():
    assert strip_region_suffix("0114A0010_DeSO2025") == "0114A0010"
    assert strip_region_suffix("0114R001_RegSO2025") == "0114R001"
    assert strip_region_suffix("0126") == "0126"
    assert [area_level(c) for c in ("0126C1020_DeSO2025", "0126R001", "0126", "0126X1")] == [
        "DeSO", "RegSO", None, None]


def test_reference_years():
    assert reference_years(["2026M04", "2024", "2025K1", "x"]) == [2024, 2025, 2026]


def area_metadata():
    payload = jsonstat([
        ("Region", {"0126": "Huddinge", "0126R001_RegSO2025": "Flemingsberg västra",
                    "0126R002_RegSO2025": "Flemingsberg östra", "0127R001_RegSO2025": "Botkyrka",
                    "0126C1020_DeSO2025": "Huddinge C1020", "0126R001": "Flemingsberg västra"}),
        ("Tid", {"2024": "2024"})], [])
    return TableMetadata.from_jsonstat2(payload, "TAB1")


def test_area_codes_for_kommun():
    meta = area_metadata()
    assert area_codes_for_kommun(meta, "0126", "RegSO") == ["0126R001", "0126R002"]
    assert area_codes_for_kommun(meta, "0126", "DeSO") == ["0126C1020"]
    assert area_codes_for_kommun(meta, "0127", "RegSO") == ["0127R001"]


def test_area_codes_for_kommun_collects_every_problem():
    with pytest.raises(ApiQueryError, match=(
            r"^Fel i frågan till datakällan: 3 problem\.\n"
            r"1\. argument 'kommun': Kommunkoden ska vara fyra siffror\. Värden: '126'\. "
            r"Åtgärd: ange t\.ex\. '0126' för Huddinge\.\n"
            r"2\. argument 'level': Okänd områdesnivå\. Värden: 'kommundel'\. "
            r"Förväntat: 'DeSO' eller 'RegSO'\.\n"
            r"3\. argument 'dimension': Tabellen TAB1 har ingen dimension med det namnet\. "
            r"Värden: 'Område'\. Förväntat: Region, Tid\.$")):
        area_codes_for_kommun(area_metadata(), "126", "kommundel", "Område")


@needs_samples
def test_recorded_metadata():
    payload = json.loads((V2 / "TAB6471_metadata.json").read_text(encoding="utf-8"))
    meta = TableMetadata.from_jsonstat2(payload)
    assert meta.table_id == "TAB6471"
    assert list(meta.dimensions) == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]
    region = meta.dimensions["Region"]
    assert len(region.values) == 312 and region.values["0126"] == "Huddinge"
    assert region.codelists == ("vs_CKM01Riket", "vs_CKM02Län", "vs_CKM03Kommun")
    assert region.elimination is True and meta.time_dimension == "Tid"
    assert meta.notes[0].startswith("Från och med referensåret 2025")
    assert area_codes_for_kommun(meta, "0126", "RegSO") == []  # a kommun-level table


# -- the client against a local server -----------------------------------------------------

@pytest.fixture
def api():
    server = FakeApi()
    yield server
    server.stop()


def client_for(api, tmp_path, **options):
    clock = FakeClock()
    return PxWebClient(api.url + "api/v2", tmp_path / "cache", clock=clock, sleep=clock.sleep,
                       now=lambda: T0, timeout=2, **options)


def query_of(api, index=-1):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(api.requests[index][1]).query)


REGSO_2024 = jsonstat(
    [("Region", {"0126R001_RegSO2025": "Flemingsberg västra",
                 "0126R002_RegSO2025": "Flemingsberg östra"}),
     ("ContentsCode", {"000001": "Andel barn med låg ekonomisk standard, %"}),
     ("Tid", {"2024": "2024"})],
    [31.5, None], status={"1": ".."}, label="Låg ekonomisk standard efter region",
    table_id="TAB5555")


def test_fetch_table_adds_and_strips_the_vintage_suffix(api, tmp_path):
    api.add("/api/v2/tables/TAB5555/data", Answer(body=REGSO_2024))
    client = client_for(api, tmp_path)
    table = client.fetch_table("TAB5555", {"Region": ["0126R001", "0126R002"],
                                           "ContentsCode": ["000001"], "Tid": ["2024"]})
    query = query_of(api)
    assert query["valueCodes[Region]"] == ["0126R001_RegSO2025,0126R002_RegSO2025"]
    assert query["valueCodes[Tid]"] == ["2024"]
    assert query["outputFormat"] == ["json-stat2"] and query["lang"] == ["sv"]
    frame = table.data
    assert frame["Region"].tolist() == ["0126R001", "0126R002"]
    assert frame["Region_label"].tolist() == ["Flemingsberg västra", "Flemingsberg östra"]
    assert frame["value"].iloc[0] == 31.5 and math.isnan(frame["value"].iloc[1])
    assert frame["status"].tolist() == [None, ".."]
    meta = table.meta
    assert (meta.table_id, meta.label, meta.updated, meta.source) == (
        "TAB5555", "Låg ekonomisk standard efter region", "2026-06-08T06:00:00Z", "SCB")
    assert meta.fetched == T0 and meta.from_cache is False and meta.fetch_note is None
    assert meta.reference_years == (2024,) and meta.noise_note is None


def test_fetch_table_second_call_is_a_cache_hit(api, tmp_path):
    api.add("/api/v2/tables/TAB5555/data", Answer(body=REGSO_2024))
    client = client_for(api, tmp_path)
    selection = {"Region": ["0126R001", "0126R002"], "Tid": ["2024"]}
    client.fetch_table("TAB5555", selection)
    again = client.fetch_table("TAB5555", selection)
    assert api.count("/api/v2/tables/TAB5555/data") == 1
    assert again.meta.from_cache is True and again.meta.fetched == T0
    assert again.data["Region"].tolist() == ["0126R001", "0126R002"]


def test_fetch_table_offline_falls_back_to_the_cache(api, tmp_path):
    api.add("/api/v2/tables/TAB5555/data", Answer(body=REGSO_2024))
    client = client_for(api, tmp_path)
    selection = {"Region": ["0126R001", "0126R002"], "Tid": ["2024"]}
    client.fetch_table("TAB5555", selection)
    api.stop()
    table = client.fetch_table("TAB5555", selection, refresh=True)
    assert table.meta.from_cache is True and table.meta.fetched == T0
    assert "Använder sparat svar hämtat 2026-11-23 12:00 UTC." in table.meta.fetch_note
    assert table.data["value"].iloc[0] == 31.5


def test_fetch_table_offline_without_cache(api, tmp_path):
    client = client_for(api, tmp_path)
    api.stop()
    with pytest.raises(OfflineError, match=r"^Ingen anslutning till datakällan: adress "
                                        r"'http://127\.0\.0\.1:\d+/api/v2/tables/TAB5555/data"
                                        r"\?lang=sv&outputFormat=json-stat2"):
        client.fetch_table("TAB5555", {"Tid": ["2024"]})


def test_years_on_both_sides_of_2024_ask_for_both_vintages(api, tmp_path):
    cube = jsonstat([("Region", {"0126R001": "Flemingsberg västra",
                                 "0126R001_RegSO2025": "Flemingsberg västra"}),
                     ("Tid", {"2023": "2023", "2024": "2024"})],
                    [30.0, None, None, 31.5], status={"1": "..", "2": ".."})
    api.add("/api/v2/tables/TAB5555/data", Answer(body=cube))
    table = client_for(api, tmp_path).fetch_table("TAB5555", {"Region": ["0126R001"],
                                                              "Tid": ["2023", "2024"]})
    assert query_of(api)["valueCodes[Region]"] == ["0126R001,0126R001_RegSO2025"]
    assert table.data[["Region", "Tid", "value"]].values.tolist() == [
        ["0126R001", "2023", 30.0], ["0126R001", "2024", 31.5]]


def test_noise_note_from_reference_year_2025(api, tmp_path):
    body = jsonstat([("Region", {"0126": "Huddinge"}), ("Tid", {"2025M01": "2025M01"})], [9],
                    note=["Från och med referensåret 2025 ..."])
    api.add("/api/v2/tables/TAB6471/data", Answer(body=body))
    table = client_for(api, tmp_path).fetch_table("TAB6471", {"Region": ["0126"],
                                                              "Tid": ["2025M01"]})
    assert table.meta.noise_note == NOISE_NOTE
    assert "Cell Key Method" in NOISE_NOTE and "summera till totalen" in NOISE_NOTE
    assert table.meta.reference_years == (2025,)
    assert table.meta.notes == ("Från och med referensåret 2025 ...",)


def test_long_selection_goes_as_post(api, tmp_path):
    codes = [f"0126C{n:04d}" for n in range(300)]
    body = jsonstat([("Region", {f"{c}_DeSO2025": c for c in codes}), ("Tid", {"2024": "2024"})],
                    list(range(300)))
    api.add("/api/v2/tables/TAB5555/data", Answer(body=body))
    table = client_for(api, tmp_path).fetch_table(
        "TAB5555", {"Region": codes, "Tid": ["2024"]}, codelists={"Region": "vs_DeSO2025"})
    method, path, sent = api.requests[-1]
    assert method == "POST" and "valueCodes" not in path
    assert sent == {"selection": [
        {"variableCode": "Region", "valueCodes": [f"{c}_DeSO2025" for c in codes],
         "codelist": "vs_DeSO2025"},
        {"variableCode": "Tid", "valueCodes": ["2024"]}]}
    assert table.data["Region"].tolist() == codes
    assert table.data["value"].tolist() == [float(n) for n in range(300)]


def test_codelist_in_get(api, tmp_path):
    api.add("/api/v2/tables/TAB5555/data", Answer(body=REGSO_2024))
    client_for(api, tmp_path).fetch_table("TAB5555", {"Region": ["*"], "Tid": ["2024"]},
                                          codelists={"Region": "vs_RegSO2025"})
    query = query_of(api)
    assert query["codelist[Region]"] == ["vs_RegSO2025"] and query["valueCodes[Region]"] == ["*"]


def test_table_metadata_and_area_codes(api, tmp_path):
    payload = jsonstat([("Region", {"0126R001_RegSO2025": "Flemingsberg västra",
                                    "0126R002_RegSO2025": "Flemingsberg östra",
                                    "0127R001_RegSO2025": "Botkyrka"}),
                        ("Tid", {"2024": "2024"})], [])
    api.add("/api/v2/tables/TAB5555/metadata", Answer(body=payload))
    client = client_for(api, tmp_path)
    meta = client.table_metadata("TAB5555")
    assert meta.table_id == "TAB5555" and meta.fetched == T0 and not meta.from_cache
    assert query_of(api) == {"lang": ["sv"]}
    assert client.area_codes("TAB5555", "0126") == ["0126R001", "0126R002"]
    assert api.count("/api/v2/tables/TAB5555/metadata") == 1  # second time from the cache


@needs_samples
def test_client_on_recorded_answers(api, tmp_path):
    api.add("/api/v2/tables/TAB6471/metadata",
            Answer(body=json.loads((V2 / "TAB6471_metadata.json").read_text(encoding="utf-8"))))
    api.add("/api/v2/tables/TAB6471/data",
            Answer(body=json.loads((V2 / "TAB6471_data.json").read_text(encoding="utf-8"))))
    client = client_for(api, tmp_path)
    assert client.table_metadata("TAB6471").dimensions["Kon"].values == {
        "TotSa": "totalt, samtliga män och kvinnor", "1": "män", "2": "kvinnor"}
    table = client.fetch_table("TAB6471", {"Region": ["*"], "Alder": ["*"], "Kon": ["*"],
                                           "ContentsCode": ["000007SF"],
                                           "Tid": ["2026M01", "2026M02", "2026M03", "2026M04"]})
    assert len(table.data) == 2772 and table.data["value"].iloc[0] == 245284.0
    assert table.meta.label == "Folkmängden per månad efter region, ålder, kön och månad"
    assert table.meta.reference_years == (2026,) and table.meta.noise_note == NOISE_NOTE


def test_bad_table_id_and_selection(api, tmp_path):
    client = client_for(api, tmp_path)
    with pytest.raises(ApiQueryError, match=r"argument 'table_id': Ogiltigt tabell-id\. Värden: "
                                            r"'TAB 1/x'\. Förväntat: ett PxWebApi v2-id"):
        client.fetch_table("TAB 1/x", {"Tid": ["2024"]})
    with pytest.raises(ApiQueryError, match=r"2 problem\.\n1\. argument 'Region': Urvalet ska "
                                            r"vara en icke-tom lista med värdekoder\. Värden: "
                                            r"'0126'.*\n2\. argument 'Tid'"):
        client.fetch_table("TAB1", {"Region": "0126", "Tid": []})
    assert api.requests == []


def test_http_error_from_scb(api, tmp_path):
    api.add("/api/v2/tables/TAB404/data",
            Answer(404, {"type": "about:blank", "title": "Table not found", "status": 404}))
    with pytest.raises(FetchError, match=r"svarade HTTP 404 \(Not Found\): Table not found\."):
        client_for(api, tmp_path).fetch_table("TAB404", {"Tid": ["2024"]})
