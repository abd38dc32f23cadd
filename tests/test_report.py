"""The one-file HTML report: every section, every area, escaped, no hidden value."""

from __future__ import annotations

import datetime as dt
import html as html_lib
from dataclasses import replace

import pytest
from leaks import shown_hidden_rates
from test_maps import INJECTIONS

from geo.analysis import Analysis, plan_followup, run_analysis
from geo.export.report import report_html
from geo.inputs import load_inputs
from geo.maps.mapview import escape_text

CREATED = dt.date(2026, 11, 23)
EVIL = "<img src=x onerror=alert(1)>{{ 7*7 }}{% raw %}"


@pytest.fixture(scope="module")
def analysis(bred_prevention) -> Analysis:
    return run_analysis(load_inputs(), bred_prevention)


def test_report_has_every_section_card_and_the_settings(analysis, bred_prevention):
    text = report_html(analysis, created=CREATED).decode()
    for heading in ("<h2>Rangordning</h2>", "<h2>Områdesprofiler</h2>", "<h2>Metod</h2>",
                    "<h2>Data och källor</h2>", "<h3>Inställningar</h3>",
                    "<h3>Hur säker är rangordningen?</h3>", "<h2>Indexets kvalitet</h2>",
                    "<h2>Rekommenderat angreppssätt</h2>"):
        assert heading in text
    assert text.count('<div class="card">') == 22
    assert text.count("<section") == 7 and "page-break-before: always" in text
    assert "@page { size: A4" in text
    assert "SYNTETISKA DEMODATA" in text
    assert html_lib.escape(bred_prevention.to_toml().splitlines()[0]) in text
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


def test_text_from_files_is_escaped_everywhere(analysis, bred_prevention):
    inputs = analysis.inputs
    frame = inputs.areas.frame.copy()
    frame.loc[frame["area_id"] == "0126R002", "area_name"] = EVIL
    evil_inputs = replace(inputs, areas=replace(inputs.areas, frame=frame))
    text = report_html(run_analysis(evil_inputs, bred_prevention), created=CREATED).decode()
    assert "<img src=x" not in text and "{{ 7*7 }}" not in text and "{% raw %}" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;&#123;&#123; 7*7 &#125;&#125;" in text
    # inside the embedded map page (escaped twice: once for the map, once for srcdoc)
    start = text.index('srcdoc="') + len('srcdoc="')
    inner = html_lib.unescape(text[start:text.index('"', start)])
    assert inner.startswith("<!DOCTYPE html>") and "<img src=x" not in inner
    assert '"&lt;img src=x onerror=alert(1)&gt;' in inner     # in the map's table


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


# -- the åtgärdsplan ------------------------------------------------------------------------

def plan_cards(text: str) -> dict[str, str]:
    """Area id -> the plan card of that area."""
    cards = {}
    for card in text.split('<div class="card plan-card">')[1:]:
        heading = card[:card.index("</h3>")]
        cards[heading[heading.rindex("(") + 1:heading.rindex(")")]] = card
    return cards


def test_report_without_a_plan_has_no_plan_section(analysis):
    text = report_html(analysis, created=CREATED).decode()
    assert "Åtgärdsplan" not in text and "plan-card" not in text.split("<style>")[1].split(
        "</style>")[1]


def test_report_with_a_plan_has_its_section_goals_and_actions(analysis):
    from plan_fixtures import demo_plan

    plan = demo_plan()
    text = report_html(analysis, created=CREATED, plan=plan).decode()
    assert text.count("<section") == 8
    assert text.count('<div class="card">') == 22          # the profiles, unchanged
    start = text.index("<section><h2>Åtgärdsplan: Trygg uppväxt</h2>")
    assert start > text.index("<h2>Områdesprofiler</h2>")
    assert start < text.index("<h2>Metod</h2>")
    section = text[start:text.index("</section>", start)]
    assert "<p>Beskrivning</p>" in section
    assert ("3 områden, 4 mål och 2 insatser i kommun 0126. Uppföljningen bygger på data för "
            "åren 2021, 2022, 2023, 2024.") in section
    # the summary: the whole plan's row
    assert ('<td></td><td>Hela planen</td><td class="num">0</td><td class="num">0</td>'
            '<td class="num">3</td><td class="num">1</td><td class="num">4</td>') in section
    cards = plan_cards(section)
    assert list(cards) == ["0126R001", "0126R002", "0126R003"]
    first = cards["0126R001"]
    assert "<h3>Flemingsberg västra (0126R001)</h3>" in first
    assert "<b>Motivering:</b> Hög prioritet" in first
    assert first.count('<span class="status-inte">inte på väg</span>') == 2
    assert "54,3 % (2022)<br>→ 43,4 % (2026)" in first
    assert "57,5 % (2024)<br>" in first and "linjen: 48,8 %" in first
    assert "procentenheter (2022–2024; 95 % KI" in first
    assert "<td>Fältgrupp</td><td>Socialnämnden</td><td>2025-01-01</td><td>pågår</td>" in first
    assert "250\u202f000" in first
    assert "<td>2025-03-01</td><td>2025-12-31</td>" in cards["0126R002"]
    third = cards["0126R003"]
    assert '<span class="status-kan-inte">kan inte mätas</span>' in third
    assert "värdet för 2022, 2023, 2024 är dolt av röjandekontrollen" in third
    assert "Inga insatser registrerade." in third


def test_the_plan_section_shows_no_hidden_value(analysis):
    from plan_fixtures import demo_plan

    text = html_lib.unescape(report_html(analysis, created=CREATED, plan=demo_plan()).decode())
    section = text[text.index("Åtgärdsplan: "):text.index("<h2>Metod</h2>")]
    assert shown_hidden_rates(section, analysis, plan_cards(section)) == []


def test_a_given_follow_up_is_used(analysis):
    from plan_fixtures import demo_plan

    plan = demo_plan()
    followup = plan_followup(analysis, plan)
    assert report_html(analysis, created=CREATED, plan=plan, followup=followup) == \
        report_html(analysis, created=CREATED, plan=plan)


@pytest.mark.parametrize("evil", INJECTIONS)
def test_plan_text_is_escaped_everywhere(analysis, evil):
    from plan_fixtures import demo_plan

    text = report_html(analysis, created=CREATED, plan=demo_plan(evil)).decode()
    section = text[text.index("<h2>Åtgärdsplan: "):text.index("<h2>Metod</h2>")]
    assert "<img src=x" not in section and "</script><b>" not in section
    assert "{{ 7*7 }}" not in section and "{% raw %}" not in section
    escaped = escape_text(evil)
    # plan name and description; area name (summary, card) and reason; four goal notes;
    # action title, actor and note
    assert section.count(escaped) == 2 + 3 + 4 + 3


def test_report_has_the_quality_section_with_its_figures(analysis):
    """Indexets kvalitet: the outlier rule, alpha per domain and R̄S, as the views give them."""
    from geo.export.quality_views import quality_view

    text = html_lib.unescape(report_html(analysis, created=CREATED).decode())
    view = quality_view(analysis)
    section = text[text.index("<h2>Indexets kvalitet</h2>"):]
    section = section[:section.index("</section>")]
    for heading in ("Extremvärden", "Samstämmighet inom domänerna", "Robusthet"):
        assert f"<h3>{heading}</h3>" in section
    for sentence in (*view.outlier_text, *view.coherence_text, *view.robustness_text):
        assert sentence in section
    for alpha in view.domains["Cronbachs alfa"]:
        assert f"<td>{alpha}</td>" in section
    assert "R̄S = " in section and "Cronbachs alfa" in section


def test_report_tables_write_numbers_the_swedish_way():
    import math

    import pandas as pd

    from geo.export.report import _table

    table = _table(pd.DataFrame({"Område": ["Vårby", None], "År": [2023, 2024],
                                 "Befolkning": [12345, 800], "Andel": [0.1234, math.nan]}))
    rows = [[(c.text, c.num) for c in row] for row in table.rows]
    assert rows == [
        [("Vårby", False), ("2023", True), ("12\u202f345", True), ("0,12", True)],
        [("–", True), ("2024", True), ("800", True), ("–", True)]]
