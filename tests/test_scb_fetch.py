"""SCB small-area indicators (geo/io/scb_fetch.py) against a local PxWebApi v2 server.

The tables are small synthetic cubes in the JSON-stat2 shape of SCB's recorded answers
(``api_samples/scb_pxwebapi_v2/TAB6471_*.json``): kommun 0126 has RegSO R001 and R002 in
the 2020 vintage (plain codes, up to 2023) and R001–R003 in the 2025 vintage (suffixed
codes, from 2024); kommun 0127 has one RegSO. The server answers a data request with
exactly the cells asked for, so a wrong code or a missing suffix shows up as missing data.
"""

from __future__ import annotations

import itertools
import json
import math
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from api_server import Answer, FakeApi, FakeClock

from geo.io.pxweb import NOISE_NOTE, PxWebClient, strip_region_suffix
from geo.io.scb_fetch import RECIPES, ScbFetch, fetch_area_indicators, parse_age
from indicators.errors import ApiQueryError, OfflineError

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UPDATED = "2026-06-08T06:00:00Z"
SUPPRESSED = "uppgift saknas eller är för osäker för att redovisas"

# -- synthetic SCB tables ------------------------------------------------------------------

Dims = list[tuple[str, str, dict[str, str]]]
"""``[(dimension code, label, {value code: value label}), ...]``; Region first, Tid last."""


def regions(years: list[int], areas_2020=("R001", "R002"),
            areas_2025=("R001", "R002", "R003")) -> dict[str, str]:
    """Region values as SCB lists them: kommun, RegSO and DeSO of both vintages."""
    values = {"0126": "Huddinge", "0127": "Botkyrka"}
    if min(years) < 2024:
        values |= {f"0126{a}": f"Huddinge {a}" for a in areas_2020}
        values |= {"0127R001": "Botkyrka R001", "0126A0010": "Huddinge A0010"}
    if max(years) >= 2024:
        values |= {f"0126{a}_RegSO2025": f"Huddinge {a}" for a in areas_2025}
        values |= {"0127R001_RegSO2025": "Botkyrka R001",
                   "0126A0010_DeSO2025": "Huddinge A0010",
                   "0126C1020_DeSO2025": "Huddinge C1020"}
    return values


def area_index(code: str) -> int:
    """0 for 0126R001, 1 for R002, ...; 10 for anything else."""
    plain = strip_region_suffix(code)
    return int(plain[-3:]) - 1 if plain.startswith("0126R") else 10


def vintage_fits(code: str, year: int) -> bool:
    return (code != strip_region_suffix(code)) == (year >= 2024) or len(code) == 4


@dataclass
class Cube:
    """A table: its dimensions and a function giving each cell (a number, or an SCB symbol
    for a suppressed cell). Cells of a code vintage that does not fit the year are '..'."""

    table_id: str
    label: str
    dims: Dims
    cell: Callable[[dict[str, str]], float | str]
    notes: tuple[str, ...] = ()
    elimination: tuple[str, ...] = ("Kon",)

    def payload(self, dims: Dims, values: list | None = None,
                status: dict[str, str] | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "version": "2.0", "class": "dataset", "label": self.label, "source": "SCB",
            "updated": UPDATED, "note": list(self.notes),
            "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
            "id": [d for d, _, _ in dims], "size": [len(v) for _, _, v in dims],
            "dimension": {d: {
                "label": label,
                "category": {"index": {c: i for i, c in enumerate(v)}, "label": v},
                "extension": {"elimination": d in self.elimination, "show": "value",
                              "codelists": []}} for d, label, v in dims},
            "extension": {"px": {"infofile": self.table_id[:6], "tableid": self.table_id,
                                 "decimals": 0, "language": "sv", "matrix": self.table_id,
                                 "contents": self.label}},
            "value": values if values is not None else [],
        }
        if status:
            payload["status"] = status
        return payload

    def metadata(self) -> dict[str, Any]:
        return self.payload(self.dims)

    def data(self, selection: dict[str, list[str]]) -> dict[str, Any] | str:
        """The answer to a data request, or a text saying what was wrong with it."""
        dims = []
        for code, label, values in self.dims:
            wanted = selection.get(code)
            if wanted is None:
                return f"dimension {code} not selected"
            if wanted == ["*"]:
                wanted = list(values)
            unknown = [c for c in wanted if c not in values]
            if unknown:
                return f"unknown codes {unknown} in {code}"
            dims.append((code, label, {c: values[c] for c in wanted}))
        ids = [d for d, _, _ in dims]
        values_out: list[float | None] = []
        status: dict[str, str] = {}
        for i, combo in enumerate(itertools.product(*(list(v) for _, _, v in dims))):
            cell = dict(zip(ids, combo, strict=True))
            value = (self.cell(cell) if vintage_fits(cell["Region"], int(cell["Tid"]))
                     else "..")
            if isinstance(value, str):
                values_out.append(None)
                status[str(i)] = value
            else:
                values_out.append(value)
        return self.payload(dims, values_out, status)


class CubeApi(FakeApi):
    """FakeApi answering metadata and data requests from :class:`Cube` tables."""

    def __init__(self, cubes: list[Cube]):
        super().__init__()
        self.cubes = {cube.table_id: cube for cube in cubes}

    def _answer(self, handler, body):
        parts = urllib.parse.urlsplit(handler.path)
        segments = parts.path.strip("/").split("/")  # api, v2, tables, id, metadata|data
        cube = self.cubes.get(segments[3]) if len(segments) == 5 else None
        if cube is not None:
            if segments[4] == "metadata":
                answer = Answer(body=cube.metadata())
            else:
                if body:
                    selection = {s["variableCode"]: s["valueCodes"] for s in body["selection"]}
                else:
                    query = urllib.parse.parse_qs(parts.query)
                    selection = {k[len("valueCodes["):-1]: v[0].split(",")
                                 for k, v in query.items() if k.startswith("valueCodes[")}
                result = cube.data(selection)
                answer = (Answer(400, {"title": "Bad Request", "detail": result})
                          if isinstance(result, str) else Answer(body=result))
            self.routes[handler.path] = [answer]
        super()._answer(handler, body)


BANDS = {f"{a}-{a + 4}": f"{a}-{a + 4} år" for a in range(0, 80, 5)} | {"80-": "80- år"}
SEXES = {"1": "män", "2": "kvinnor", "1+2": "totalt"}


def band_k(code: str, cell: dict[str, str]) -> int:
    """Persons in a 5-year band are 5k: 2k men and 3k women."""
    band = list(BANDS).index(code)
    return band + 1 + 10 * area_index(cell["Region"]) + 100 * (int(cell["Tid"]) - 2023)


def population_cube(years=(2023, 2024), table_id="TAB6574") -> Cube:
    def cell(c: dict[str, str]) -> float:
        share = {"1": 2, "2": 3, "1+2": 5}[c["Kon"]]
        codes = list(BANDS) if c["Alder"] == "totalt" else [c["Alder"]]
        return float(sum(share * band_k(code, c) for code in codes))

    return Cube(table_id, "Folkmängden efter region, ålder och kön. År 2010-2025", [
        ("Region", "region", regions(list(years))),
        ("Alder", "ålder", {"totalt": "totalt"} | BANDS),
        ("Kon", "kön", SEXES),
        ("ContentsCode", "tabellinnehåll", {"000007Y7": "Folkmängd"}),
        ("Tid", "år", {str(y): str(y) for y in years})], cell,
        notes=("Från och med referensåret 2025 och framåt är en liten kontrollerad "
               "slumpmässig osäkerhet införd i samtliga redovisade uppgifter.",))


def single_year_cube() -> Cube:
    """Single years 0–99 and 100+ (person count = age + 1), men and women but no total."""
    ages = {str(a): f"{a} år" for a in range(100)} | {"100+": "100+ år",
                                                       "TotSA": "totalt, samtliga åldrar",
                                                       "10-14": "10-14 år"}

    def cell(c: dict[str, str]) -> float:
        if c["Alder"] == "TotSA":
            per_sex = sum(a + 1 for a in range(101))
        elif c["Alder"] == "10-14":
            per_sex = sum(a + 1 for a in range(10, 15))
        else:
            per_sex = int(c["Alder"].rstrip("+")) + 1
        return float(per_sex * (1 if c["Kon"] == "1" else 2))

    return Cube("TAB9001", "Folkmängd efter region, ålder (1-årsklasser) och kön", [
        ("Region", "region", regions([2023])),
        ("Alder", "ålder", ages),
        ("Kon", "kön", {"1": "män", "2": "kvinnor"}),
        ("ContentsCode", "tabellinnehåll", {"BE0101N1": "Folkmängd"}),
        ("Tid", "år", {"2023": "2023"})], cell)


ECONOMY = {"R001": (12.5, 400), "R002": (7.25, 1200), "R003": ("..", 640)}
"""Per area: low economic standard in percent and persons (R003's percentage suppressed)."""


def economy_cube(years=(2023, 2024), contents=None, table_id="TAB6685") -> Cube:
    contents = contents or {"000008AC": "Låg ekonomisk standard, procent",
                            "000008AD": "Hög ekonomisk standard, procent",
                            "000008AE": "Antal personer totalt"}

    def cell(c: dict[str, str]) -> float | str:
        pct, persons = ECONOMY.get(strip_region_suffix(c["Region"])[4:], (10.0, 100))
        if c["ContentsCode"] == "000008AE":
            return float(persons)
        return pct if c["ContentsCode"] == "000008AC" else 20.0

    return Cube(table_id, "Låg respektive hög ekonomisk standard efter region och ålder", [
        ("Region", "region", regions(list(years))),
        ("Alder", "ålder", {"tot": "totalt ålder", "0-19": "0-19 år", "20-64": "20-64 år",
                            "65+": "65+ år"}),
        ("ContentsCode", "tabellinnehåll", contents),
        ("Tid", "år", {str(y): str(y) for y in years})], cell)


LEVELS = {"21": "förgymnasial utbildning", "3+4": "gymnasial utbildning",
          "5": "eftergymnasial utbildning, mindre än 3 år",
          "6": "eftergymnasial utbildning, 3 år eller mer",
          "US": "uppgift om utbildningsnivå saknas"}
PER_LEVEL = {"21": 100, "3+4": 200, "5": 50, "6": 150, "US": 5}


def education_cube(table_id: str, label: str, years: list[int]) -> Cube:
    def cell(c: dict[str, str]) -> float:
        value = PER_LEVEL[c["UtbildningsNiva"]]
        return float(value + area_index(c["Region"]) if c["UtbildningsNiva"] == "21"
                     else value) + (1000 if table_id == "TAB6534" else 0)

    return Cube(table_id, label, [
        ("Region", "region", regions(years)),
        ("UtbildningsNiva", "utbildningsnivå", LEVELS),
        ("ContentsCode", "tabellinnehåll", {"000005MO": "Befolkning"}),
        ("Tid", "år", {str(y): str(y) for y in years})], cell)


def labour_cube(years=(2023, 2024), areas_2025=("R001", "R002", "R003")) -> Cube:
    def cell(c: dict[str, str]) -> float | str:
        a = area_index(c["Region"])
        if c["ContentsCode"] == "0000089X" and a == 1 and c["Tid"] == "2023":
            return ".."
        values = {"0000089X": 600 + a, "0000089W": 40, "0000089V": 640 + a,
                  "0000089Y": 800 + 2 * a}
        return float(values[c["ContentsCode"]] * (1 if c["Kon"] == "1+2" else 0.5)
                     * (1 if c["Alder"] == "16-64" else 0.9))

    return Cube("TAB6680", "Arbetsmarknadsstatus efter region, kön och ålder", [
        ("Region", "region", regions(list(years), areas_2025=areas_2025)),
        ("Kon", "kön", {"1": "män", "2": "kvinnor", "1+2": "totalt"}),
        ("Alder", "ålder", {"16-64": "16-64 år", "20-64": "20-64 år", "20-65": "20-65 år"}),
        ("ContentsCode", "tabellinnehåll", {"0000089X": "Antal sysselsatta",
                                            "0000089W": "Antal arbetslösa",
                                            "0000089V": "Antal i arbetskraften",
                                            "0000089Y": "Antal totalt"}),
        ("Tid", "år", {str(y): str(y) for y in years})], cell)


def standard_cubes(**years: tuple[int, ...]) -> list[Cube]:
    return [
        population_cube(years.get("befolkning", (2023, 2024))),
        economy_cube(years.get("ekonomisk_standard", (2023, 2024))),
        education_cube("TAB5956", "Befolkning 25-64 år efter region och utbildningsnivå. "
                       "År 2015-2023", [2022, 2023]),
        education_cube("TAB6534", "Befolkning efter region och utbildningsnivå. År 2024",
                       [2024]),
        labour_cube(years.get("arbetsmarknad", (2023, 2024))),
    ]


@pytest.fixture
def cubes() -> list[Cube]:
    return standard_cubes()


@pytest.fixture
def api(cubes):
    server = CubeApi(cubes)
    yield server
    server.stop()


def client_for(api: FakeApi, tmp_path, **options) -> PxWebClient:
    clock = FakeClock()
    return PxWebClient(api.url + "api/v2", tmp_path / "cache", clock=clock, sleep=clock.sleep,
                       now=lambda: T0, timeout=2, max_calls=1000, **options)


def data_queries(api: FakeApi, table_id: str) -> list[dict[str, list[str]]]:
    return [urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
            for _, path, _ in api.requests
            if urllib.parse.urlsplit(path).path == f"/api/v2/tables/{table_id}/data"]


def fetch_one(cube: Cube, tmp_path, year: int, recipe: str
              ) -> tuple[ScbFetch, dict[str, list[str]]]:
    """One recipe from a server holding just ``cube``, and the last data query it got."""
    server = CubeApi([cube])
    try:
        result = fetch_area_indicators(client_for(server, tmp_path), "0126", year=year,
                                       recipes=[recipe])
        queries = data_queries(server, cube.table_id)
    finally:
        server.stop()
    return result, queries[-1]


def row(result: ScbFetch, area: str) -> dict[str, Any]:
    return result.table.set_index("area_id").loc[area].to_dict()


def missing_of(result: ScbFetch) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in result.missing.itertuples(index=False)]


# -- age labels ----------------------------------------------------------------------------

def test_parse_age_labels():
    assert [parse_age(label) for label in (
        "0 år", "0-4 år", "80- år", "100+ år", "totalt, samtliga åldrar", "0-19 år",
        "totalt ålder", "65+ år", "20–64 år", "samtliga", "okänd")] == [
        (0, 0), (0, 4), (80, None), (100, None), "total", (0, 19), "total", (65, None),
        (20, 64), "total", None]


# -- population ------------------------------------------------------------------------------

def test_population_from_five_year_bands_is_an_estimate_with_a_note(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", "RegSO", year=2023,
                                   recipes=["befolkning"])
    assert result.table.columns.tolist() == ["area_id", "inv_totalt", "inv_0_17",
                                             "inv_12_17", "inv_16_24"]
    assert result.table["area_id"].tolist() == ["0126R001", "0126R002"]
    # R001 2023: band b (0-4 is b=0) has 5k persons with k = b + 1.
    assert row(result, "0126R001") == {
        "inv_totalt": 5 * sum(range(1, 18)),      # the table's total: 765
        "inv_0_17": 5 * (1 + 2 + 3) + 3 * 4,      # 0-4, 5-9, 10-14 and 3/5 of 15-19: 42
        "inv_12_17": 3 * 3 + 3 * 4,               # 3/5 of 10-14 and of 15-19: 21
        "inv_16_24": 4 * 4 + 5 * 5}               # 4/5 of 15-19 and 20-24: 41
    # R002: k = b + 11.
    assert row(result, "0126R002")["inv_12_17"] == 3 * 13 + 3 * 14
    assert "inv_12_17 (12–17 år) i TAB6574 är uppskattad: åldersgruppen 10-14 år fördelad " \
           "jämnt på enskilda år (3 av 5 år räknas med); åldersgruppen 15-19 år fördelad " \
           "jämnt på enskilda år (3 av 5 år räknas med)." in result.notes
    assert any(n.startswith("inv_16_24 (16–24 år) i TAB6574 är uppskattad: åldersgruppen "
                            "15-19 år fördelad jämnt på enskilda år (4 av 5 år")
               for n in result.notes)
    assert result.missing.empty and list(result.missing.columns) == ["area_id", "column",
                                                                     "reason"]
    # The sex total is asked for, and only the age values needed.
    query = data_queries(api, "TAB6574")[-1]
    assert query["valueCodes[Kon]"] == ["1+2"]
    assert query["valueCodes[Alder]"] == ["totalt,0-4,5-9,10-14,15-19,20-24"]
    assert query["valueCodes[Region]"] == ["0126R001,0126R002"]


def test_population_from_single_years_is_exact_and_sums_men_and_women(tmp_path):
    server = CubeApi([single_year_cube()])
    try:
        result = fetch_area_indicators(client_for(server, tmp_path), "0126", year=2023,
                                       recipes=["befolkning"],
                                       table_ids={"befolkning": "TAB9001"})
        query = data_queries(server, "TAB9001")[-1]
    finally:
        server.stop()
    # persons of age a: (a + 1) men and 2(a + 1) women
    assert row(result, "0126R001") == {
        "inv_totalt": 3 * sum(a + 1 for a in range(101)),
        "inv_0_17": 3 * sum(a + 1 for a in range(18)),
        "inv_12_17": 3 * sum(a + 1 for a in range(12, 18)),
        "inv_16_24": 3 * sum(a + 1 for a in range(16, 25))}
    assert not any("uppskattad" in n for n in result.notes)
    assert query["valueCodes[Kon]"] == ["1,2"]
    # 0-17 takes the 10-14 band (fewer cells), 12-17 the single years 12, 13 and 14
    assert query["valueCodes[Alder]"] == [
        ",".join([*(str(a) for a in range(10)), *(str(a) for a in range(12, 25)), "TotSA",
                  "10-14"])]


def test_deso_level_and_other_kommun(api, tmp_path):
    client = client_for(api, tmp_path)
    deso = fetch_area_indicators(client, "0126", "DeSO", year=2024, recipes=["befolkning"])
    assert deso.table["area_id"].tolist() == ["0126A0010", "0126C1020"]
    other = fetch_area_indicators(client, "0127", year=2023, recipes=["befolkning"])
    assert other.table["area_id"].tolist() == ["0127R001"]
    assert other.table["inv_totalt"].tolist() == [5 * sum(b + 1 + 100 for b in range(17))]


# -- economic standard, suppression and code vintages ------------------------------------------

def test_low_economic_standard_count_and_suppressed_cell(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", year=2024,
                                   recipes=["ekonomisk_standard"])
    table = result.table.set_index("area_id")
    assert table.index.tolist() == ["0126R001", "0126R002", "0126R003"]
    assert table.loc["0126R001", "personer_lag_ek_standard"] == 50.0     # 12.5 % of 400
    assert table.loc["0126R002", "personer_lag_ek_standard"] == 87.0     # 7.25 % of 1200
    assert table["personer_ek_standard"].tolist() == [400.0, 1200.0, 640.0]
    # R003's percentage is '..': the count is missing, not 0, and says why.
    assert math.isnan(table.loc["0126R003", "personer_lag_ek_standard"])
    assert missing_of(result) == [(
        "0126R003", "personer_lag_ek_standard",
        f"TAB6685 (totalt ålder; Låg ekonomisk standard, procent): {SUPPRESSED}")]


def test_year_2024_asks_for_suffixed_codes_and_returns_plain_ones(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", year=2024,
                                   recipes=["ekonomisk_standard"])
    query = data_queries(api, "TAB6685")[-1]
    assert query["valueCodes[Region]"] == [
        "0126R001_RegSO2025,0126R002_RegSO2025,0126R003_RegSO2025"]
    assert query["valueCodes[Tid]"] == ["2024"]
    assert query["valueCodes[Alder]"] == ["tot"]
    assert query["valueCodes[ContentsCode]"] == ["000008AC,000008AE"]
    assert result.table["area_id"].tolist() == ["0126R001", "0126R002", "0126R003"]
    assert result.year == 2024 and result.sources[0].reference_years == (2024,)
    # 2023 is the 2020 vintage: plain codes, and R003 does not exist yet.
    earlier = fetch_area_indicators(client_for(api, tmp_path), "0126", year=2023,
                                    recipes=["ekonomisk_standard"])
    assert data_queries(api, "TAB6685")[-1]["valueCodes[Region]"] == ["0126R001,0126R002"]
    assert earlier.table["personer_lag_ek_standard"].tolist() == [50.0, 87.0]


def test_direct_count_of_low_economic_standard_is_used_as_is(tmp_path):
    cube = economy_cube(contents={"A": "Antal personer med låg ekonomisk standard",
                                  "B": "Antal personer totalt"})
    cube.cell = lambda c: 33.0 if c["ContentsCode"] == "A" else 300.0
    result, _ = fetch_one(cube, tmp_path, 2023, "ekonomisk_standard")
    assert result.table["personer_lag_ek_standard"].tolist() == [33.0, 33.0]
    assert result.table["personer_ek_standard"].tolist() == [300.0, 300.0]


def test_labels_that_do_not_match_raise_an_api_query_error(tmp_path):
    cube = economy_cube(table_id="TAB7777",
                        contents={"A": "Medelinkomst, tkr", "B": "Antal personer totalt"})
    server = CubeApi([cube])
    try:
        with pytest.raises(ApiQueryError, match="argument 'ContentsCode': Tabellen TAB7777 har "
                                                "inget tabellinnehåll för låg ekonomisk "
                                                "standard") as error:
            fetch_area_indicators(client_for(server, tmp_path), "0126", year=2023,
                                  recipes=["ekonomisk_standard"],
                                  table_ids={"ekonomisk_standard": "TAB7777"})
        assert server.count("/api/v2/tables/TAB7777/data") == 0
    finally:
        server.stop()
    assert str(error.value) == (
        "Fel i frågan till datakällan: argument 'ContentsCode': Tabellen TAB7777 har inget "
        "tabellinnehåll för låg ekonomisk standard i procent (eller antal). Värden: "
        "'Medelinkomst, tkr', 'Antal personer totalt'. Förväntat: låg ekonomisk standard i "
        "procent (eller antal). Åtgärd: rätta tabell-id:t i AREA_TABLES (geo/io/pxweb.py) "
        "eller ange ett annat tabell-id med table_ids={'ekonomisk_standard': 'TAB…'}.")


def test_table_without_the_year_raises(api, tmp_path):
    with pytest.raises(ApiQueryError, match=r"argument 'Tid': Tabellen TAB6685 \(ekonomisk "
                                            r"standard\) har inga uppgifter för år 2019\. "
                                            r"Värden: 2023, 2024\."):
        fetch_area_indicators(client_for(api, tmp_path), "0126", year=2019,
                              recipes=["ekonomisk_standard"])


def test_bad_arguments_are_reported_together_before_any_request(api, tmp_path):
    with pytest.raises(ApiQueryError, match=r"3 problem\.\n1\. argument 'kommun': "
                                            r"Kommunkoden ska vara fyra siffror.*\n2\. "
                                            r"argument 'level'.*\n3\. argument 'recipes': "
                                            r"Okänt eller inget urval.*'brott'"):
        fetch_area_indicators(client_for(api, tmp_path), "126", "kommundel",
                              recipes=["befolkning", "brott"])
    assert api.requests == []


# -- education ----------------------------------------------------------------------------------

def test_education_switches_table_at_2024_and_says_25_65(api, tmp_path):
    client = client_for(api, tmp_path)
    before = fetch_area_indicators(client, "0126", year=2023, recipes=["utbildning"])
    assert before.sources[0].table_id == "TAB5956"
    assert before.table.set_index("area_id").to_dict("index") == {
        "0126R001": {"inv_25_64_forgymnasial": 100.0, "inv_25_64": 505.0},
        "0126R002": {"inv_25_64_forgymnasial": 101.0, "inv_25_64": 506.0}}
    assert data_queries(api, "TAB5956")[-1]["valueCodes[UtbildningsNiva]"] == [
        "21,3+4,5,6,US"]
    assert not any("25–65" in n for n in before.notes)

    after = fetch_area_indicators(client, "0126", year=2024, recipes=["utbildning"])
    assert after.sources[0].table_id == "TAB6534"
    assert after.table["inv_25_64_forgymnasial"].tolist() == [1100.0, 1101.0, 1102.0]
    assert after.table["inv_25_64"].tolist() == [5505.0, 5506.0, 5507.0]
    assert ("Utbildningsnivån i TAB6534 avser 25–65 år (SCB:s tabell från 2024); kolumnerna "
            "heter ändå inv_25_64_forgymnasial och inv_25_64 så att katalogen kan användas."
            in after.notes)
    assert RECIPES["utbildning"].table_id(2023) == "TAB5956"
    assert RECIPES["utbildning"].table_id(None) == "TAB6534"


def test_education_with_an_age_dimension_of_25_65(tmp_path):
    cube = education_cube("TAB6534", "Befolkning efter region, ålder och utbildningsnivå",
                          [2024])
    cube.dims.insert(1, ("Alder", "ålder", {"25-65": "25-65 år", "20-74": "20-74 år"}))
    result, query = fetch_one(cube, tmp_path, 2024, "utbildning")
    assert query["valueCodes[Alder]"] == ["25-65"]
    assert result.table["inv_25_64"].tolist() == [5505.0, 5506.0, 5507.0]
    assert result.notes == ("inv_25_64 i TAB6534 avser 25–65 år eftersom tabellen inte har "
                            "25–64 år; kolumnnamnet behålls.",)


# -- labour market ------------------------------------------------------------------------------

def test_labour_outside_is_total_minus_employed_and_missing_propagates(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", year=2023,
                                   recipes=["arbetsmarknad"])
    table = result.table.set_index("area_id")
    assert table.loc["0126R001"].to_dict() == {"inv_16_64_utanfor": 200.0, "inv_16_64": 800.0}
    assert math.isnan(table.loc["0126R002", "inv_16_64_utanfor"])
    assert table.loc["0126R002", "inv_16_64"] == 802.0
    assert missing_of(result) == [(
        "0126R002", "inv_16_64_utanfor",
        f"TAB6680 (totalt; 16-64 år; Antal sysselsatta): {SUPPRESSED}")]
    assert ("inv_16_64_utanfor i TAB6680 är beräknad som totalt minus sysselsatta "
            "(= arbetslösa + utanför arbetskraften)." in result.notes)
    query = data_queries(api, "TAB6680")[-1]
    assert query["valueCodes[Alder]"] == ["16-64"] and query["valueCodes[Kon]"] == ["1+2"]


def test_labour_status_dimension_with_unemployed_and_outside(tmp_path):
    status = {"SYS": "sysselsatta", "ARBL": "arbetslösa", "UTANF": "utanför arbetskraften",
              "TOT": "totalt"}
    values = {"SYS": 700.0, "ARBL": 30.0, "UTANF": 170.0, "TOT": 900.0}
    cube = Cube("TAB6680", "Befolkning 20-64 år efter region och arbetsmarknadsstatus", [
        ("Region", "region", regions([2023])),
        ("Alder", "ålder", {"15-19": "15-19 år", "20-64": "20-64 år", "65-74": "65-74 år"}),
        ("Status", "arbetsmarknadsstatus", status),
        ("ContentsCode", "tabellinnehåll", {"X": "Antal personer"}),
        ("Tid", "år", {"2023": "2023"})], lambda c: values[c["Status"]])
    result, query = fetch_one(cube, tmp_path, 2023, "arbetsmarknad")
    assert result.table["inv_16_64_utanfor"].tolist() == [200.0, 200.0]
    assert result.table["inv_16_64"].tolist() == [900.0, 900.0]
    assert query["valueCodes[Status]"] == ["ARBL,UTANF,TOT"]
    # 20-64 exactly rather than 16-64 estimated from a share of 15-19
    assert query["valueCodes[Alder]"] == ["20-64"]
    assert ("inv_16_64 i TAB6680 avser 20–64 år eftersom tabellen inte har 16–64 år; "
            "kolumnnamnet behålls." in result.notes)
    assert not any("uppskattad" in n for n in result.notes)


# -- everything together: default year, progress, noise, sources, cache ---------------------

def test_all_recipes_with_progress_and_sources(api, tmp_path):
    messages: list[str] = []
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", progress=messages.append)
    assert result.year == 2024
    assert messages == [
        "Läser tabellbeskrivningar från SCB (TAB6574, TAB6685, TAB6534, TAB6680) …",
        "Hämtar befolkning efter ålder (TAB6574) från SCB …",
        "Hämtar ekonomisk standard (TAB6685) från SCB …",
        "Hämtar utbildningsnivå (TAB6534) från SCB …",
        "Hämtar arbetsmarknadsstatus (TAB6680) från SCB …"]
    assert result.table.columns.tolist() == [
        "area_id", "inv_totalt", "inv_0_17", "inv_12_17", "inv_16_24",
        "personer_lag_ek_standard", "personer_ek_standard", "inv_25_64_forgymnasial",
        "inv_25_64", "inv_16_64_utanfor", "inv_16_64"]
    assert result.table["area_id"].tolist() == ["0126R001", "0126R002", "0126R003"]
    assert row(result, "0126R003")["inv_12_17"] == 3 * 123 + 3 * 124
    assert [s.table_id for s in result.sources] == ["TAB6574", "TAB6685", "TAB6534", "TAB6680"]
    assert all(s.fetched == T0 and not s.from_cache and s.updated == UPDATED
               for s in result.sources)
    assert NOISE_NOTE not in result.notes
    info = result.source_info()
    assert (info.title, info.date, info.licence) == (
        "SCB-indikatorer per RegSO i kommun 0126, 2024", "2026-11-23", "CC0")
    assert info.source.startswith("SCB Statistikdatabasen")
    assert "TAB6685 Låg respektive hög ekonomisk standard efter region och ålder " \
           "(uppdaterad 2026-06-08)" in info.note
    assert "cache" not in info.note
    # The catalogue of SCB indicators names columns the fetched table has.
    catalogue = pd.read_csv("data/catalogue_scb.csv")
    needed = set(catalogue["numerator"]) | set(catalogue["denominator"])
    # (tenure, households and inhabitants come from the embedded data and SCB's exports,
    # not from these PxWebApi recipes)
    assert needed - set(result.table.columns) == {
        "lagenheter_hyresratt", "lagenheter", "hh_ensamstaende_med_barn", "hh_med_barn",
        "barn_unga_0_19", "invanare"}


@pytest.mark.parametrize("cubes", [standard_cubes(arbetsmarknad=(2022, 2023))])
def test_default_year_is_the_latest_all_tables_have(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126")
    assert result.year == 2023
    # education was first looked up in the newest table, then in the one for 2023
    assert api.count("/api/v2/tables/TAB6534/metadata") == 1
    assert api.count("/api/v2/tables/TAB6534/data") == 0
    assert [s.table_id for s in result.sources] == ["TAB6574", "TAB6685", "TAB5956", "TAB6680"]
    assert result.notes[0] == (
        "Året 2023 är det senaste som alla tabellerna har; befolkning efter ålder (TAB6574) "
        "finns till 2024, ekonomisk standard (TAB6685) finns till 2024.")


@pytest.mark.parametrize("cubes", [[population_cube((2024, 2025))]])
def test_noise_note_for_2025(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", recipes=["befolkning"])
    assert result.year == 2025
    assert result.notes[0] == NOISE_NOTE
    assert result.sources[0].noise_note == NOISE_NOTE
    assert "Cell Key Method" in result.source_info().note
    assert row(result, "0126R001")["inv_0_17"] == 5 * (201 + 202 + 203) + 3 * 204


@pytest.mark.parametrize("cubes", [[population_cube(),
                                    labour_cube(areas_2025=("R001", "R002"))]])
def test_area_missing_from_a_table_is_nan_with_reason(api, tmp_path):
    result = fetch_area_indicators(client_for(api, tmp_path), "0126", year=2024,
                                   recipes=["befolkning", "arbetsmarknad"])
    assert result.table["area_id"].tolist() == ["0126R001", "0126R002", "0126R003"]
    assert missing_of(result) == [
        ("0126R003", "inv_16_64_utanfor", "området finns inte i TAB6680 för år 2024"),
        ("0126R003", "inv_16_64", "området finns inte i TAB6680 för år 2024")]
    assert result.table["inv_16_64"].tolist()[:2] == [800.0, 802.0]
    assert data_queries(api, "TAB6680")[-1]["valueCodes[Region]"] == [
        "0126R001_RegSO2025,0126R002_RegSO2025"]


def test_offline_with_cache_gives_the_same_table(api, tmp_path):
    first = fetch_area_indicators(client_for(api, tmp_path), "0126", year=2024)
    calls = len(api.requests)
    offline = client_for(api, tmp_path, offline=True)
    again = fetch_area_indicators(offline, "0126", year=2024)
    assert len(api.requests) == calls  # nothing went to the server
    pd.testing.assert_frame_equal(again.table, first.table)
    pd.testing.assert_frame_equal(again.missing, first.missing)
    assert all(s.from_cache and s.fetched == T0 for s in again.sources)
    assert ("TAB6685: Offlineläge: använder sparat svar hämtat 2026-11-23 12:00 UTC."
            in again.notes)
    assert "sparat svar från cachen hämtat 2026-11-23 12:00" in again.source_info().note


def test_offline_without_cache_raises(api, tmp_path):
    with pytest.raises(OfflineError, match="Offlineläge är påslaget"):
        fetch_area_indicators(client_for(api, tmp_path, offline=True), "0126",
                              recipes=["befolkning"])
    assert api.requests == []


def test_answers_have_the_recorded_jsonstat2_shape():
    """The synthetic answers carry the keys of SCB's recorded TAB6471 answers."""
    meta = population_cube().metadata()
    data = population_cube().data({"Region": ["0126R001"], "Alder": ["totalt"],
                                   "Kon": ["1+2"], "ContentsCode": ["000007Y7"],
                                   "Tid": ["2023"]})
    assert isinstance(data, dict)
    for payload in (meta, data):
        assert {"version", "class", "label", "source", "updated", "note", "role", "id",
                "size", "dimension", "extension", "value"} <= set(payload)
        assert payload["class"] == "dataset" and payload["role"]["time"] == ["Tid"]
    assert data["value"] == [765.0] and json.dumps(data)


def test_large_selections_are_split_by_area(api, tmp_path, monkeypatch):
    whole = fetch_area_indicators(client_for(api, tmp_path / "a"), "0126", year=2024,
                                  recipes=["ekonomisk_standard"])
    monkeypatch.setattr("geo.io.scb_fetch.MAX_CELLS", 2)  # 2 cells per area
    split = fetch_area_indicators(client_for(api, tmp_path / "b"), "0126", year=2024,
                                  recipes=["ekonomisk_standard"])
    assert [q["valueCodes[Region]"] for q in data_queries(api, "TAB6685")[1:]] == [
        ["0126R001_RegSO2025"], ["0126R002_RegSO2025"], ["0126R003_RegSO2025"]]
    pd.testing.assert_frame_equal(split.table, whole.table)
    pd.testing.assert_frame_equal(split.missing, whole.missing)
    assert len(split.sources) == 1


def test_a_later_table_that_does_not_fit_stops_before_any_data_call(tmp_path):
    bad = economy_cube(table_id="TAB7777", contents={"A": "Medelinkomst, tkr"})
    server = CubeApi([population_cube(), bad])
    try:
        with pytest.raises(ApiQueryError, match="TAB7777"):
            fetch_area_indicators(client_for(server, tmp_path), "0126", year=2023,
                                  recipes=["befolkning", "ekonomisk_standard"],
                                  table_ids={"ekonomisk_standard": "TAB7777"})
        assert server.count("/api/v2/tables/TAB6574/data") == 0
    finally:
        server.stop()
