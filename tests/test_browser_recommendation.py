"""The recommended approach in chromium (issue 19): "Rekommenderat angreppssätt" chosen in
"Kartan visar" recolours the app's map with the intensities named in its legend and the
focus under the areas' names, and a click on an area shows its card beside the map; on the
tab "Angreppssätt och budget" a new total changes the budget and the card. Screenshots in
test-artifacts/."""

from __future__ import annotations

from dataclasses import replace

from browser import (
    CLEAR_MIDDLE_JS,
    MAP_FRAME,
    MAP_PAGE,
    app_only_context,
    choose_option,
    launched_browser,
    open_tab,
    requires_browser,
    screenshot,
    served_app,
)

from geo.analysis import run_analysis
from geo.export.recommend_views import allocation_text, budget_table
from geo.inputs import list_profiles, load_inputs
from geo.recommend import KRONOR, recommendations
from indicators.allocation import HIGH, LOW
from indicators.columns import AREA_ID
from indicators.recommendation import FOCUS, FOCUS_LINE_LEGEND, INTENSITY, focus_short
from indicators.swedish import format_kronor

pytestmark = requires_browser
CARD = "Rekommenderat angreppssätt"
HEADING = "Områdesprofil:"
TAB = "Angreppssätt och budget"
# The rows of a table widget's accessible table (the cells as text; the canvas draws them).
ROWS_JS = """table => [...table.querySelectorAll('table tr')].map(
    row => [...row.children].map(cell => cell.innerText))"""


def table_with(header: str) -> str:
    """The table widget one of whose column headers contains ``header``."""
    return f"[data-testid='stDataFrame']:has(th:has-text('{header}'))"

def test_the_approach_map_and_the_card_beside_it(tmp_path):
    analysis = run_analysis(load_inputs(), list_profiles()["Bred prevention"])
    rec = recommendations(analysis)
    ids = list(analysis.joined[AREA_ID])
    with served_app(tmp_path / "cache") as url, launched_browser() as chromium:
        context = app_only_context(chromium, url, viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url + "/?data=demo")
        page.get_by_text(HEADING).first.wait_for()
        frame = page.frame_locator(MAP_FRAME)
        frame.locator("path.leaflet-interactive").first.wait_for()
        legend = frame.locator(".pm-legend", has_text="Intensiv (")
        choose_option(page, "Kartan visar", CARD, legend)
        text = legend.inner_text()
        for level in ("intensiv", "förstärkt", "bas"):
            n = int((rec.areas[INTENSITY] == level).sum())
            assert f"{level.capitalize()} ({n})" in text, text
        assert "universella insatser för alla barn och unga" in text
        assert FOCUS_LINE_LEGEND in text
        # the focus as the second line of the names, as in the exported map
        inner = next(f for f in page.frames if MAP_PAGE in f.url)
        inner.locator(".pm-label-focus").first.wait_for()
        lines = inner.evaluate("() => [...document.querySelectorAll('.pm-label-focus')]"
                               ".map(e => e.textContent)")
        focus = {focus_short(f) for f in rec.areas[FOCUS]} - {""}
        assert lines and set(lines) <= focus, (lines, focus)
        page.locator(MAP_FRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)          # the map fitted to its areas
        screenshot(page, "recommendation_map.png")

        box = page.locator(MAP_FRAME).bounding_box()
        inner = next(f for f in page.frames if MAP_PAGE in f.url)
        target = inner.evaluate(CLEAR_MIDDLE_JS, True)
        area = ids[int(target["row"])]
        a = rec.allocation.loc[area]
        expected = allocation_text(a[KRONOR], a[LOW], a[HIGH])
        page.mouse.click(box["x"] + target["x"], box["y"] + target["y"])
        card = page.locator("[data-testid='stExpander']", has_text=CARD)
        card.filter(has_text=expected).wait_for(timeout=30_000)
        shown = card.bounding_box()
        assert shown["x"] >= box["x"] + box["width"], (shown, box)
        assert "aldrig en föreskrift" in card.inner_text()
        card.scroll_into_view_if_needed()
        screenshot(page, "recommendation_card.png")
        context.close()


def test_the_approach_tab_budget_change_reaches_the_card_and_stays(tmp_path):
    """The samordnare's journey on the tab "Angreppssätt och budget": the table per area,
    a new total that changes the budget table, the card beside the map that follows it, and
    the total still there on coming back (a widget on a tab that is not drawn must not
    lose its value)."""
    settings = list_profiles()["Bred prevention"]
    million = replace(settings, recommendation=replace(settings.recommendation,
                                                        total_kr=1_000_000))
    analysis = run_analysis(load_inputs(), million)
    rec = recommendations(analysis)
    first = str(analysis.result.rank.idxmin())          # the area the map tab shows first
    a = rec.allocation.loc[first]
    expected_card = allocation_text(a[KRONOR], a[LOW], a[HIGH])
    budget = budget_table(analysis)
    chosen = next(c for c in budget.columns if str(c).endswith("(vald)"))
    with served_app(tmp_path / "cache") as url, launched_browser() as chromium:
        context = chromium.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url + "/?data=demo")
        page.get_by_text(HEADING).first.wait_for()
        open_tab(page, TAB)
        page.locator(table_with("Intensitet")).wait_for()
        page.get_by_text(f"Budget {format_kronor(3_000_000)}:").first.wait_for()
        total = page.get_by_label("Belopp att fördela (kr)")
        total.fill("1000000")
        total.press("Enter")
        page.get_by_text(f"Budget {format_kronor(1_000_000)}:").first.wait_for()
        # The table is drawn just after the caption: poll its first row.
        for _ in range(60):
            rows = page.locator(table_with("(vald)")).evaluate(ROWS_JS)
            column = [h.lstrip("↑↓ ") for h in rows[0]].index(chosen)
            if rows[1][column] == budget[chosen].iloc[0]:
                break
            page.wait_for_timeout(500)
        assert rows[1][column] == budget[chosen].iloc[0], (rows[1], budget.iloc[0])
        page.locator(table_with("(vald)")).scroll_into_view_if_needed()
        screenshot(page, "approach_tab_budget.png")

        open_tab(page, "Karta och rangordning")
        card = page.locator("[data-testid='stExpander']", has_text=CARD)
        card.filter(has_text=expected_card).wait_for(timeout=60_000)
        open_tab(page, TAB)
        page.get_by_text(f"Budget {format_kronor(1_000_000)}:").first.wait_for()
        assert page.get_by_label("Belopp att fördela (kr)").input_value().replace(
            "\u00a0", "").replace(" ", "") == "1000000"
        context.close()
