"""Accessibility in a real browser (issue 18): the app's page is Swedish (lang="sv") and an
axe-core scan of the app and of the map `prevmap export` writes finds no serious or critical
violation. axe-core comes from npm (`make axe` puts axe.min.js in the environment's
share/prevmap); nothing is fetched while the tests run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    MAP_FRAME,
    launched_browser,
    open_offline,
    requires_browser,
    screenshot,
    served_app,
)

ROOT = Path(__file__).resolve().parents[1]
AXE_VERSION = "4.10.3"   # the Makefile's, checked by test_axe_version_is_the_makefiles
AXE = Path(sys.prefix) / "share" / "prevmap" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
SEVERE = ("serious", "critical")

# Skipped without axe-core only outside CI: `make test` makes it (its `make axe` step may
# fail without npm), and in CI a scan that silently stopped running would pass unseen.
def test_axe_version_is_the_makefiles() -> None:
    """A new version in the Makefile must not leave the scans skipped for a file that is
    no longer made."""
    made = re.search(r"^AXE_VERSION := (\S+)$", (ROOT / "Makefile").read_text("utf-8"),
                     re.MULTILINE)
    assert made is not None and made.group(1) == AXE_VERSION


pytestmark = [requires_browser, pytest.mark.skipif(
    not AXE.is_file() and not os.environ.get("CI"),
    reason=f"no axe-core at {AXE}: run `make axe` (needs npm)")]

# axe in every frame (the map is a component in an iframe), then one run from the top: axe
# scans the frames through the copies injected in them.
RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations'], iframes: true});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => [n.target.join(' '), n.failureSummary])}));
}"""


# The page's text, the cells of every data grid and the text of every chart.
VISIBLE_TEXT = """() => [document.body.innerText,
    ...[...document.querySelectorAll('[data-testid=stDataFrame] table td, '
                                     + '[data-testid=stDataFrame] table th')]
        .map(c => c.textContent),
    ...[...document.querySelectorAll('.vega-embed svg text')].map(t => t.textContent)
].join('\\n')"""
# A decimal point between digits: "2.82" (not a date "2024-05-01", not a version "v1.2.3").
DECIMAL_POINT = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\w.])")


def severe_violations(page) -> list[dict]:
    assert AXE.is_file(), f"no axe-core at {AXE}: run `make axe` (needs npm)"
    for frame in page.frames:
        frame.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SEVERE]


@pytest.fixture
def app_url(tmp_path_factory) -> Iterator[str]:
    with served_app(tmp_path_factory.mktemp("cache")) as url:
        yield url


def test_the_app_page_is_swedish_and_passes_axe(app_url):
    """What `make run` shows: the real data for Huddinge, the map tab with a profile."""
    with launched_browser() as chromium:
        page = chromium.new_page(viewport={"width": 1440, "height": 900}, locale="sv-SE")
        page.goto(app_url)
        page.get_by_text("Områdesprofil:").first.wait_for(timeout=120_000)
        page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive").first.wait_for()
        page.wait_for_timeout(1000)
        assert page.evaluate("document.documentElement.lang") == "sv"
        # Every number the page shows is Swedish: its text, the tables' cells (the data
        # grid's table for screen readers) and the profile's charts (their SVG text).
        page.locator(".vega-embed svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        page.locator(".vega-embed").first.scroll_into_view_if_needed()
        screenshot(page, "axe_app_profile.png")
        shown = page.evaluate(VISIBLE_TEXT)
        assert "Sammanvägt index" in shown and re.search(r"\d,\d\d", shown)
        assert not DECIMAL_POINT.findall(shown), sorted(set(DECIMAL_POINT.findall(shown)))
        assert not re.search(r"\b(None|nan|NaN)\b", shown)
        # The element carrying the language script takes no room on the page.
        assert page.locator(".stHtml:has(script)").first.bounding_box() is None
        screenshot(page, "axe_app.png")
        violations = severe_violations(page)
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


def test_the_exported_map_is_swedish_and_passes_axe(tmp_path):
    out = tmp_path / "karta.html"
    subprocess.run([sys.executable, "-m", "geo.cli", "export", "--out", str(out)], check=True,
                   cwd=ROOT, env={**os.environ, "PREVMAP_OFFLINE": "1"}, timeout=600)
    with launched_browser() as chromium:
        view = open_offline(chromium, out, width=1440, height=900)
        assert view.page.evaluate("document.documentElement.lang") == "sv"
        screenshot(view.page, "axe_export.png")
        violations = severe_violations(view.page)
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


def test_the_plan_page_speaks_swedish_and_its_notice_covers_nothing(app_url):
    """The plan page as a first-time user meets it: a new plan without a name given, the
    notice beside (not over) the name field; the area picker without "Select all"; no
    "Press Enter to submit form"; a second plan of the same name refused; axe passes."""
    name = "Trygg uppväxt i axe-testet"
    with launched_browser() as chromium:
        page = chromium.new_page(viewport={"width": 1440, "height": 900}, locale="sv-SE")
        page.goto(app_url + "/?data=demo")
        page.get_by_text("Områdesprofil:").first.wait_for(timeout=120_000)
        page.get_by_role("tab", name="Åtgärdsplan", exact=True).click()
        page.get_by_text("Ny plan", exact=True).click()
        new_name = page.get_by_label("Namn", exact=True)
        new_name.fill(name)
        page.keyboard.press("Tab")
        assert page.get_by_text("Press Enter to submit form").count() == 0
        page.get_by_role("button", name="Skapa planen").click()
        page.get_by_text("Skriv ditt namn överst på sidan").wait_for()
        who = page.get_by_label("Ditt namn (sparas i historiken)")
        who.scroll_into_view_if_needed()
        box = who.bounding_box()
        on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).getAttribute("
                               "'aria-label')", [box["x"] + box["width"] / 2,
                                                 box["y"] + box["height"] / 2])
        assert on_top == "Ditt namn (sparas i historiken)"
        screenshot(page, "plan_notice.png")
        who.fill("Anna")
        who.press("Enter")
        page.get_by_role("button", name="Skapa planen").click()
        page.get_by_text(f"Planen '{name}' är skapad.").wait_for(timeout=60_000)
        picker = page.locator("[data-testid=stMultiSelect]").filter(
            has_text="Lägg till områden")
        try:
            picker.wait_for()
        finally:
            screenshot(page, "plan_created.png")
        assert "Välj områden …" in picker.inner_text() + (picker.locator("input").get_attribute(
            "placeholder") or ""), picker.inner_text()
        picker.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        picker.locator("input").click()
        page.keyboard.press("ArrowDown")
        options = page.get_by_role("option")
        options.first.wait_for()
        texts = options.all_inner_texts()
        assert texts and not any("Select all" in t for t in texts), texts[:3]
        page.keyboard.press("Escape")
        violations = severe_violations(page)
        assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
        # The same name again (other case) is refused, naming the plan that has it.
        new_name = page.get_by_label("Namn", exact=True)
        if not new_name.is_visible():
            page.get_by_text("Ny plan", exact=True).click()
        new_name.fill(name.upper())
        page.get_by_role("button", name="Skapa planen").click()
        refused = page.get_by_text(f"det finns redan en plan som heter '{name}'")
        try:
            refused.wait_for(state="attached")
            page.wait_for_timeout(1000)
        finally:
            screenshot(page, "plan_refused.png")
        refused.wait_for()
