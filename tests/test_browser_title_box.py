"""The title, legend and sources cover no area (issue 18: "the title box does not overlap
any polygon of Botkyrka, Huddinge or a län drill-down (compare bounding boxes)"), in
chromium at 1440×900: the exported HTML of Huddinge, Botkyrka and Stockholms län
(``prevmap export``, ``--kommun 0127``, ``--lan 01``), and the app's map of Huddinge,
Botkyrka and Haninge drilled down from Stockholms län. Every area is an SVG path in
Leaflet's overlay pane; its bounding rectangle is compared with each panel's. Screenshots
in test-artifacts/ (title-box-*.png)."""

from __future__ import annotations

import time

import pytest
from browser import (
    MAP_FRAME,
    MAP_PAGE,
    launched_browser,
    open_offline,
    open_tab,
    requires_browser,
    screenshot,
)
from test_browser_app import _largest_path_centre, app_url  # noqa: F401

from geo import sources
from geo.cli import main
from geo.inputs import load_inputs

pytestmark = requires_browser
PANELS = ("title", "legend", "sources")
#: In a page (or the app's map frame): each panel's box and every area's box, in the
#: coordinates of that page; every area name's box, and what was placed of the top tier.
BOXES_JS = """() => {
    const count = map => {   // the areas drawn: the layers of the group with tooltips
        let group = null;
        map.eachLayer(layer => { if (layer.prevmapTooltip) group = layer; });
        return group ? group.getLayers().filter(l => l._path).length : 0; };
    const box = e => { const r = e.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
    return {title: box(document.querySelector('.pm-title')),
            legend: box(document.querySelector('.pm-legend')),
            sources: box(document.querySelector('.pm-sources')),
            areas: [...document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')]
                   .map(box).filter(b => b[2] > b[0] && b[3] > b[1]),
            ranked: count(Object.values(window).find(v => v instanceof L.Map)),
            labels: [...document.querySelectorAll('.pm-label')].map(
                e => [box(e), e.textContent, e.classList.contains('pm-label-top')]),
            note: (document.querySelector('.pm-label-note') || {}).textContent || '',
            top: (() => { let group = null;
                          Object.values(window).find(v => v instanceof L.Map).eachLayer(
                              l => { if (l.prevmapLabels) group = l.prevmapLabels; });
                          return group && group.prevmapCount; })()};
}"""
#: The app's map frame scrolled to the top of the window, then down by Streamlit's header
#: (which would cover the map's title), in the page's scrolling container.
TITLE_IN_VIEW_JS = """e => {
    e.scrollIntoView({block: 'start'});
    let box = e.parentElement;
    const scrolls = b => /auto|scroll/.test(getComputedStyle(b).overflowY) &&
                         b.scrollHeight > b.clientHeight;
    while (box && !scrolls(box)) { box = box.parentElement; }
    const header = document.querySelector('header');
    if (box && header) { box.scrollTop -= header.getBoundingClientRect().height + 8; }
}"""
#: The exports: a name for the screenshot and the command line after ``prevmap export``.
EXPORTS = {"huddinge": [], "botkyrka": ["--kommun", "0127"], "stockholms-lan": ["--lan", "01"]}


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_names_apart(boxes: dict) -> None:
    """No two area names (or rank numbers) overlap, and every top-tier area is named, shown
    by its rank, or counted in the legend's note as too dense to name at this scale."""
    labels = boxes["labels"]
    assert labels
    clashes = [(a[1], b[1]) for i, a in enumerate(labels) for b in labels[i + 1:]
               if overlaps(a[0], b[0])]
    assert clashes == []
    top = boxes["top"]
    assert top["shown"] == sum(1 for _, _, is_top in labels if is_top)
    assert top["shown"] + top["unplaced"] == top["always"]
    assert (f"{top['unplaced']} områden med hög prioritet" in boxes["note"]
            or top["unplaced"] == 1 and "1 område med" in boxes["note"]
            or top["unplaced"] == 0 and "zooma in" not in boxes["note"]), (top, boxes["note"])
    assert ("Siffra på kartan" in boxes["note"]) == (top["ranked"] > 0)


def covered(boxes: dict) -> dict[str, list]:
    """Per panel, the boxes of the areas it overlaps (empty lists when none)."""
    return {panel: [a for a in boxes["areas"] if overlaps(boxes[panel], a)]
            for panel in PANELS}


def needs_regso(args: list[str]) -> None:
    if args and sources.find_duva_wheel() is None:
        pytest.skip("the duva wheel (RegSO for all of Sweden) is absent; 'make setup' gets it")


@pytest.fixture(scope="module")
def chromium():
    with launched_browser() as browser:
        yield browser


@pytest.mark.parametrize("name", list(EXPORTS))
def test_no_panel_covers_an_area_of_the_exported_map(chromium, tmp_path, name):
    needs_regso(EXPORTS[name])
    out = tmp_path / f"{name}.html"
    assert main(["export", *EXPORTS[name], "--out", str(out)]) == 0
    view = open_offline(chromium, out, width=1440, height=900)
    page = view.page
    page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
    page.wait_for_timeout(500)       # the map fitted to its areas
    screenshot(page, f"title-box-export-{name}.png")
    boxes = page.evaluate(BOXES_JS)
    rows = sum(1 for _ in (tmp_path / f"{name}.csv").open(encoding="utf-8-sig")) - 1
    assert boxes["ranked"] == rows > 0 and len(boxes["areas"]) >= rows
    assert covered(boxes) == {panel: [] for panel in PANELS}, boxes
    assert_names_apart(boxes)
    assert view.page_errors == [] and view.blocked == []
    page.context.close()


def _app_page(chromium, app_url: str):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    page.goto(app_url)
    page.get_by_text("Områdesprofil:").first.wait_for(timeout=120_000)
    return page


def _choose_place(page, place: str, shown: str) -> None:
    """The kommun or län ``place`` chosen in the data tab, then the map's tab again."""
    open_tab(page, "Data och källor")
    page.get_by_role("combobox", name="Kommun, län eller hela Sverige").click()
    page.keyboard.type(place)
    page.keyboard.press("Enter")
    page.get_by_text(f"Data: {place}").first.wait_for(timeout=120_000)
    open_tab(page, "Karta och rangordning")   # the map is drawn only while shown
    page.get_by_text(shown).first.wait_for(timeout=120_000)


def _map_boxes(page, expected: int) -> dict:
    """The panels' and areas' boxes in the app's map frame once it has drawn ``expected``
    areas and fitted them (the boxes stand still), with the map's title just below
    Streamlit's header (the screenshot shows the map as a reader sees it, title first)."""
    page.locator(MAP_FRAME).evaluate(TITLE_IN_VIEW_JS)
    deadline = time.monotonic() + 60
    last = None
    while True:
        frame = next((f for f in page.frames if MAP_PAGE in f.url), None)
        try:
            boxes = frame.evaluate(BOXES_JS) if frame else None
        except Exception:      # the frame is being replaced
            boxes = None
        if boxes and boxes["ranked"] == expected and boxes == last:
            return boxes
        assert time.monotonic() < deadline, (expected, boxes and boxes["ranked"])
        last = boxes
        page.wait_for_timeout(500)


def _assert_clear(page, boxes: dict, shot: str) -> None:
    screenshot(page, shot)
    assert covered(boxes) == {panel: [] for panel in PANELS}, boxes
    assert_names_apart(boxes)


def test_no_panel_covers_an_area_of_the_apps_map(chromium, app_url):  # noqa: F811
    page = _app_page(chromium, app_url)

    _assert_clear(page, _map_boxes(page, len(load_inputs().areas)),
                  "title-box-app-huddinge.png")
    if sources.find_duva_wheel() is None:
        pytest.skip("the duva wheel (RegSO for all of Sweden) is absent; 'make setup' gets it")
    lan = sources.region_areas("01").frame
    botkyrka = int(lan["area_id"].str.startswith("0127").sum())
    _choose_place(page, "Botkyrka", "Områdesprofil:")
    _assert_clear(page, _map_boxes(page, botkyrka), "title-box-app-botkyrka.png")

    # Stockholms län, drilled down to Haninge (whose urban RegSO the title once covered).
    _choose_place(page, "Stockholms län", "26 kommuner. Klicka på en kommun")
    kommuner = page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive")
    _assert_clear(page, _map_boxes(page, 26), "title-box-app-stockholms-lan-oversikt.png")
    page.mouse.click(*_largest_path_centre(page, kommuner))
    page.get_by_role("button", name="← Översikt: Stockholms län").wait_for(timeout=60_000)
    page.get_by_role("combobox", name="Kommun", exact=True).click()
    page.keyboard.type("Haninge")
    page.keyboard.press("Enter")
    page.get_by_text("Rangordning – Haninge").first.wait_for(timeout=60_000)
    expected = int(lan["area_id"].str.startswith("0136").sum())
    _assert_clear(page, _map_boxes(page, expected), "title-box-app-stockholms-lan-haninge.png")
    page.close()
