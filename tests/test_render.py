"""PDF of the report and PNG of the map from Debian's chromium, with no network."""

from __future__ import annotations

import struct

import pytest
from browser import ARTIFACTS, browser_missing

from geo.analysis import Analysis, run_analysis
from geo.export import render
from geo.export.outputs import map_html
from geo.export.report import report_html
from geo.inputs import list_profiles, load_inputs

needs_browser = pytest.mark.skipif(browser_missing() is not None,
                                   reason=browser_missing() or "")


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return run_analysis(load_inputs(),
                                 list_profiles()["Bred prevention"])


@needs_browser
def test_pdf_and_png(analysis):
    pdf, png = render.pdf_and_png(report_html(analysis), map_html(analysis))
    assert pdf.startswith(b"%PDF-")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 5            # title and map, table, profiles, method, sources
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (render.MAP_SIZE["width"], render.MAP_SIZE["height"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "karta.png").write_bytes(png)
    (ARTIFACTS / "rapport.pdf").write_bytes(pdf)


def test_missing_browser_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(render.RenderError, match="kör .ci/install-chromium"):
        render.map_png(b"<html></html>")


@needs_browser
def test_the_report_with_a_plan_prints_more_pages(analysis):
    from plan_fixtures import demo_plan

    def pages(pdf: bytes) -> int:
        return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")

    plain = render.report_pdf(report_html(analysis))
    with_plan = render.report_pdf(report_html(analysis, plan=demo_plan()))
    assert with_plan.startswith(b"%PDF-")
    assert pages(with_plan) > pages(plain)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "rapport_med_plan.pdf").write_bytes(with_plan)
