"""With every socket to another host refused, the app and every export still work: nothing
is fetched unless the user asks for an SCB/Kolada fetch or sets a tile URL."""

from __future__ import annotations

import html
import io
import re
import socket
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from app_start import demo_app, ranked_table
from map_pages import page_data

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.export.report import report_html
from geo.export.tables import ranking_csv, ranking_table
from geo.export.workbook import excel_bytes, write_geopackage
from geo.inputs import load_inputs
from geo.maps.mapview import tooltip_html

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


def test_the_app_and_every_tab_without_network(no_network):
    at = demo_app()
    assert not at.exception and not at.error
    assert len(ranked_table(at)) == 22
    at.slider(key="dw_kriminalitet").set_value(3.0).run()
    for tab in ("Metod", "Data och källor", "Vad styr rangordningen"):   # every tab runs
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception and not at.error
    next(b for b in at.button if b.label == "Räkna ut känsligheten").click().run()
    assert not at.exception and not at.error
    assert no_network == []


def test_every_export_is_written_in_full_without_network(no_network, bred_prevention,
                                                        tmp_path):
    """Each file holds the whole ranking, not an error page or an empty shell: every area
    by its code (and name, where a person reads it), in the ranking's order where the file
    has one."""
    analysis = run_analysis(load_inputs(), bred_prevention)
    table = ranking_table(analysis)
    codes, names = table["Områdeskod"].tolist(), table["Område"].tolist()
    assert len(codes) == 22

    page = map_html(analysis).decode("utf-8")
    assert "<script src=" not in page                  # the map's libraries are inside
    shape, values = page_data(page)                    # each area's tooltip
    tips = [tooltip_html(values, i, shape["columns"]) for i in range(len(codes))]
    assert sorted(re.search(r"\((\w+)\)<br>Rang ", t)[1] for t in tips) == sorted(codes)

    report = report_html(analysis).decode("utf-8")
    assert "<script src=" not in report
    assert all(code in report and html.escape(name) in report
               for code, name in zip(codes, names, strict=True))

    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(analysis)))
    ranking = pd.DataFrame(book["Rangordning"].values)
    ranking = ranking.iloc[1:].set_axis(ranking.iloc[0].tolist(), axis=1)
    assert ranking["Områdeskod"].tolist() == codes
    assert ranking["Område"].tolist() == names

    rows = pd.read_csv(io.BytesIO(ranking_csv(analysis)), sep=";", decimal=",",
                       encoding="utf-8-sig", dtype={"Områdeskod": str})
    assert rows["Områdeskod"].tolist() == codes
    assert rows["Sammanvägt index"].tolist() == table["Sammanvägt index"].tolist()

    areas = gpd.read_file(write_geopackage(analysis, tmp_path / "r.gpkg"),
                          layer="prevmap_resultat")
    assert sorted(areas["area_id"]) == sorted(codes)
    assert areas.crs.to_epsg() == 3006 and areas.geometry.notna().all()
    assert no_network == []
