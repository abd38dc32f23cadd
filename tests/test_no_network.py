"""With every socket to another host refused, the app and every export still work: nothing
is fetched unless the user asks for an SCB/Kolada fetch or sets a tile URL."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.export.report import report_html
from geo.export.tables import ranking_csv
from geo.export.workbook import excel_bytes, write_geopackage
from geo.inputs import list_profiles, load_inputs

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LOCAL = ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def no_network(monkeypatch):
    """Refuse (and record) every connection that is not to this machine."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family == socket.AF_UNIX or host in LOCAL:
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"nätverket är avstängt i testet: {address}")

    def create_connection(address, *args, **kwargs):
        if address[0] not in LOCAL:
            attempts.append(address)
            raise OSError(f"nätverket är avstängt i testet: {address}")
        return real_create(address, *args, **kwargs)

    real_create = socket.create_connection
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


def test_the_guard_itself_refuses_the_internet(no_network):
    with pytest.raises(OSError, match="nätverket är avstängt"):
        socket.create_connection(("statistikdatabasen.scb.se", 443), timeout=1)
    assert no_network == [("statistikdatabasen.scb.se", 443)]


def test_app_and_every_export_without_network(no_network, tmp_path):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 22
    at.slider(key="dw_kriminalitet").set_value(3.0).run()
    for tab in ("Metod", "Data och källor", "Vad styr rangordningen"):   # every tab runs
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception and not at.error
    next(b for b in at.button if b.label == "Räkna ut känsligheten").click().run()
    assert not at.exception and not at.error
    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    assert b"<script src=" not in map_html(analysis)
    assert report_html(analysis) and excel_bytes(analysis) and ranking_csv(analysis)
    write_geopackage(analysis, tmp_path / "r.gpkg")
    assert no_network == []
