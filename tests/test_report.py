"""The one-file HTML report: every section, every area, escaped, no hidden value."""

from __future__ import annotations

import datetime as dt
import html as html_lib
from dataclasses import replace

import pytest
from leaks import shown_hidden_rates

from geo import pipeline
from geo.report import report_html

CREATED = dt.date(2026, 11, 23)
SETTINGS = pipeline.list_profiles()["Bred prevention"]
EVIL = "<img src=x onerror=alert(1)>{{ 7*7 }}{% raw %}"


@pytest.fixture(scope="module")
def analysis() -> pipeline.Analysis:
    return pipeline.run_analysis(pipeline.load_inputs(), SETTINGS)


def test_report_has_every_section_card_and_the_settings(analysis):
    text = report_html(analysis, created=CREATED).decode()
    for heading in ("<h2>Rangordning</h2>", "<h2>Områdesprofiler</h2>", "<h2>Metod</h2>",
                    "<h2>Data och källor</h2>", "<h3>Inställningar</h3>",
                    "<h3>Hur säker är rangordningen?</h3>"):
        assert heading in text
    assert text.count('<div class="card">') == 22
    assert text.count("<section") == 5 and "page-break-before: always" in text
    assert "@page { size: A4" in text
    assert "SYNTETISKA DEMODATA" in text
    assert html_lib.escape(SETTINGS.to_toml().splitlines()[0]) in text
    k = analysis.assessment.top_k
    assert analysis.assessment.rule.text(k) in html_lib.unescape(text)
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in text     # the map page, embedded whole
    assert report_html(analysis, created=CREATED) == report_html(analysis, created=CREATED)


def test_report_shows_no_hidden_value(analysis):
    text = html_lib.unescape(report_html(analysis, created=CREATED).decode())
    # Each area's card is searched for its own hidden rates (a two-decimal number anywhere
    # in the report could be another area's score).
    cards = {}
    for card in text.split('<div class="card">')[1:]:
        area = card[card.index("(") + 1:card.index(")")]
        cards[area] = card
    assert len(cards) == 22
    assert shown_hidden_rates(text, analysis, cards) == []


def test_text_from_files_is_escaped_everywhere(analysis):
    inputs = analysis.inputs
    frame = inputs.areas.frame.copy()
    frame.loc[frame["area_id"] == "0126R002", "area_name"] = EVIL
    evil_inputs = replace(inputs, areas=replace(inputs.areas, frame=frame))
    text = report_html(pipeline.run_analysis(evil_inputs, SETTINGS), created=CREATED).decode()
    assert "<img src=x" not in text and "{{ 7*7 }}" not in text and "{% raw %}" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;&#123;&#123; 7*7 &#125;&#125;" in text
    # inside the embedded map page (escaped twice: once for the map, once for srcdoc)
    start = text.index('srcdoc="') + len('srcdoc="')
    inner = html_lib.unescape(text[start:text.index('"', start)])
    assert inner.startswith("<!DOCTYPE html>") and "<img src=x" not in inner
    assert "<b>&lt;img src=x onerror=alert(1)&gt;" in inner   # in the GeoJSON


def test_report_opens_offline_with_its_map(analysis, tmp_path):
    from browser import launched_browser, open_offline, screenshot

    path = tmp_path / "rapport.html"
    path.write_bytes(report_html(analysis, created=CREATED))
    with launched_browser() as chromium:
        view = open_offline(chromium, path, width=1200, height=1600)
        frame = view.page.frame_locator("iframe.map")
        areas = frame.locator("path.leaflet-interactive")
        areas.first.wait_for()
        assert areas.count() >= 22
        assert view.page.locator("div.card").count() == 22
        screenshot(view.page, "rapport.png")
        assert view.blocked == [] and view.page_errors == []
