"""SCB's WFS reader against a local HTTP server: request, parsing, cache, offline errors."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from geo_fixtures import BOX_AREA, grid_boxes
from shapely.geometry import mapping

from geo.io.areas import Areas
from geo.io.scb_wfs import getfeature_url, read_scb_areas
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, FetchError, OfflineError, PrevmapError

CRS_3006 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}


def regso_collection() -> dict:
    """Three RegSO of kommun 0126 (the bottom row of the grid) in the real layer's names."""
    boxes = grid_boxes()
    features = [{"type": "Feature", "id": f"RegSO_2025.{k}", "geometry": mapping(boxes[k - 1]),
                 "properties": {"regsokod": f"0126R00{k}", "regsonamn": f"Område {k}",
                                "kommunkod": "0126", "kommunnamn": "Huddinge",
                                "lanskod": "01", "version": "2025_v2"}}
                for k in (3, 1, 2)]
    return {"type": "FeatureCollection", "features": features, "totalFeatures": 3,
            "numberMatched": 3, "numberReturned": 3, "crs": CRS_3006}


def deso_collection() -> dict:
    boxes = grid_boxes()
    features = [{"type": "Feature", "geometry": mapping(boxes[k]),
                 "properties": {"desokod": f"0126C10{k}0", "regsokod": "0126R001",
                                "kommunkod": "0126", "kommunnamn": "Huddinge"}}
                for k in (0, 1)]
    return {"type": "FeatureCollection", "features": features, "crs": CRS_3006}


class Server:
    """A local stand-in for SCB's geoserver that records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.answers: dict[str, bytes] = {
            "stat:RegSO_2025": json.dumps(regso_collection()).encode(),
            "stat:DeSO_2025": json.dumps(deso_collection()).encode(),
        }
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urllib.parse.urlsplit(self.path)
                if parts.path != "/geoserver/stat/wfs":
                    self.send_error(404)
                    return
                query = dict(urllib.parse.parse_qsl(parts.query))
                owner.requests.append(query)
                body = owner.answers.get(query.get("typeNames", ""), b"<ows:ExceptionReport/>")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/geoserver/stat/wfs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/geoserver/stat/wfs"


def test_request_asks_for_one_kommun_as_geojson_in_sweref(server: Server, tmp_path: Path) -> None:
    read_scb_areas("0126", "RegSO", cache_dir=tmp_path, base_url=server.url)

    assert server.requests == [{
        "service": "WFS", "version": "1.1.0", "request": "GetFeature",
        "typeNames": "stat:RegSO_2025", "outputFormat": "application/json",
        "srsName": "EPSG:3006", "CQL_FILTER": "kommunkod='0126'"}]


def test_regso_become_areas_with_source_and_licence(server: Server, tmp_path: Path) -> None:
    areas = read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)

    assert isinstance(areas, Areas)
    assert areas.frame[AREA_ID].tolist() == ["0126R001", "0126R002", "0126R003"]
    assert areas.frame[AREA_NAME].tolist() == ["Område 1", "Område 2", "Område 3"]
    assert areas.frame.crs.to_epsg() == 3006
    assert areas.frame.area.tolist() == [BOX_AREA] * 3
    assert areas.notes == ()
    assert areas.source.title == "SCB RegSO 2025, kommun 0126"
    assert areas.source.source == getfeature_url("stat:RegSO_2025", "0126", server.url)
    assert areas.source.date == dt.date.today().isoformat()
    assert areas.source.licence == "CC0"
    assert "licens CC0" in areas.source.label()


def test_deso_use_desokod_as_id_and_name(server: Server, tmp_path: Path) -> None:
    areas = read_scb_areas("0126", "DeSO", cache_dir=tmp_path, base_url=server.url)

    assert areas.frame[AREA_ID].tolist() == ["0126C1000", "0126C1010"]
    assert areas.frame[AREA_NAME].tolist() == ["0126C1000", "0126C1010"]
    assert areas.notes == ()
    assert server.requests[0]["typeNames"] == "stat:DeSO_2025"


def test_second_call_reads_the_cache_and_refresh_fetches_again(server: Server,
                                                                tmp_path: Path) -> None:
    first = read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)
    second = read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)

    assert len(server.requests) == 1
    assert second.frame[AREA_ID].tolist() == first.frame[AREA_ID].tolist()
    assert second.source == first.source
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "stat_RegSO_2025_0126.geojson", "stat_RegSO_2025_0126.geojson.meta.toml"]

    read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url, refresh=True)
    assert len(server.requests) == 2


def test_cache_works_offline_with_the_original_fetch_date(server: Server, tmp_path: Path) -> None:
    read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)
    meta = tmp_path / "stat_RegSO_2025_0126.geojson.meta.toml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        dt.date.today().isoformat(), "2025-03-01"), encoding="utf-8")

    areas = read_scb_areas("0126", cache_dir=tmp_path, base_url=closed_port_url())

    assert areas.source.date == "2025-03-01"
    assert len(areas) == 3


def test_refresh_offline_falls_back_to_the_cache_with_a_note(server: Server,
                                                             tmp_path: Path) -> None:
    read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)

    areas = read_scb_areas("0126", cache_dir=tmp_path, base_url=closed_port_url(),
                           refresh=True)

    assert len(areas) == 3
    assert len(areas.notes) == 1
    assert areas.notes[0].startswith("SCB:s WFS kunde inte nås (")
    assert areas.notes[0].endswith("); den sparade kopian används")


def test_unreachable_without_cache_is_a_clear_error(tmp_path: Path) -> None:
    url = closed_port_url()

    with pytest.raises(OfflineError, match=re.escape(
            f"Ingen anslutning till datakällan: SCB:s WFS ({url}) kunde inte nås: ")) as err:
        read_scb_areas("0126", cache_dir=tmp_path, base_url=url, timeout=5)
    assert re.search(r"Det finns ingen sparad kopia av stat:RegSO_2025 för kommun 0126 i "
                     r"'.*'\. Åtgärd: kontrollera nätverket", str(err.value))
    assert isinstance(err.value, PrevmapError)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_answer_names_the_kommun(server: Server, tmp_path: Path) -> None:
    server.answers["stat:RegSO_2025"] = json.dumps(
        {"type": "FeatureCollection", "features": []}).encode()

    with pytest.raises(AreaFileError, match=re.escape(
            "Fel i områdesfilen: SCB:s WFS gav inga områden i lagret stat:RegSO_2025 för "
            "kommun 9999. Förväntat: minst ett område.")):
        read_scb_areas("9999", cache_dir=tmp_path, base_url=server.url)


def test_an_answer_that_is_not_json_is_shown(server: Server, tmp_path: Path) -> None:
    server.answers["stat:RegSO_2025"] = b"<ows:ExceptionReport>Unknown layer</ows:ExceptionReport>"

    with pytest.raises(FetchError, match=re.escape(
            "Fel vid hämtning från datakällan: SCB:s WFS svarade inte med GeoJSON för "
            "stat:RegSO_2025, kommun 0126. Svar: "
            "'<ows:ExceptionReport>Unknown layer</ows:ExceptionReport>'.")):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)
    assert list(tmp_path.iterdir()) == []


def test_northing_easting_answers_are_swapped_back(server: Server, tmp_path: Path) -> None:
    data = regso_collection()
    for feature in data["features"]:
        feature["geometry"]["coordinates"] = [[(y, x) for x, y in ring]
                                              for ring in feature["geometry"]["coordinates"]]
    server.answers["stat:RegSO_2025"] = json.dumps(data).encode()

    areas = read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url)

    assert areas.frame.total_bounds.tolist() == [600_000.0, 6_560_000.0, 603_000.0, 6_561_000.0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kommun": "126"}, "Fel i områdesfilen: kommunkoden '126' är inte fyra siffror. "
                        "Förväntat: t.ex. '0126' för Huddinge (inledande nolla behövs)."),
    ({"kommun": "0126", "level": "Kommundel"},
     "Fel i områdesfilen: okänd områdesnivå 'Kommundel'. Förväntat: DeSO eller RegSO."),
    ({"kommun": "0126", "year": 2018},
     "Fel i områdesfilen: SCB:s WFS-lager för år 2018 stöds inte. Förväntat: 2025."),
])
def test_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(AreaFileError, match=re.escape(message)):
        read_scb_areas(cache_dir=tmp_path, base_url=closed_port_url(), **kwargs)


def test_http_errors_are_fetch_errors_and_nothing_is_cached(server: Server,
                                                            tmp_path: Path) -> None:
    url = server.url.replace("/geoserver/stat/wfs", "/saknas")

    with pytest.raises(FetchError, match=re.escape(
            "Fel vid hämtning från datakällan: SCB:s WFS svarade med HTTP 404")):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=url)
    assert list(tmp_path.iterdir()) == []


def test_offline_reads_only_the_cache(server: Server, tmp_path: Path) -> None:
    with pytest.raises(OfflineError, match="Arbetar utan nätverk: stat:DeSO_2025 för kommun "
                                           "0126 är inte sparad"):
        read_scb_areas("0126", "DeSO", cache_dir=tmp_path, base_url=server.url, offline=True)
    assert server.requests == []
    first = read_scb_areas("0126", "DeSO", cache_dir=tmp_path, base_url=server.url)
    again = read_scb_areas("0126", "DeSO", cache_dir=tmp_path, base_url=server.url,
                           offline=True, refresh=True)
    assert len(server.requests) == 1
    assert again.frame[AREA_ID].tolist() == first.frame[AREA_ID].tolist()
