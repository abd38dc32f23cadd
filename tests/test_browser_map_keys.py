"""The map's tooltips and keyboard in chromium (issue 18): the hover tooltip is compact
(at most five lines), lies inside the map at its left, right, top and bottom edges and is
on top there (the app's narrow map column at 1440x900 and the exported map); the map is
one tab stop (a roving tabindex), the arrow keys move between the areas, and Enter does
what a click does (the profile in the app, the full detail in the export's popup).
Screenshots in test-artifacts/."""

from __future__ import annotations

import time

import pytest
from browser import (
    MAP_FRAME,
    MAP_PAGE,
    open_offline,
    requires_browser,
    screenshot,
    served_app,
)
from test_browser_map_words import analysis, chromium  # noqa: F401 - the fixtures

from geo.export.outputs import map_html
from geo.maps.mapview import HOVER_LINES

pytestmark = requires_browser
# How long the test waits for the profile after Enter: as tests/test_browser_layout.py's
# click (about a second on a quiet machine; speed is measured, not asserted, in tests).
KEY_WAIT_MS = 5_000
HEADING = "Områdesprofil:"
EDGES = ("left", "right", "top", "bottom")

#: The map of the page (or frame): zoomed in ``steps`` levels around its middle, so that
#: its areas run over all four edges.
ZOOM_JS = """steps => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    map.setZoom(map.getZoom() + steps, {animate: false});
    return map.getZoom();
}"""
#: For each edge of the map, a point 8 px inside it where an area is under the pointer
#: (not a control, a label or a panel), in the page's (frame's) coordinates.
EDGE_POINTS_JS = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const r = map.getContainer().getBoundingClientRect();
    const inset = 8, out = {};
    const area = (x, y) => {
        const e = document.elementFromPoint(x, y);
        return e && e.matches('.leaflet-overlay-pane path.leaflet-interactive');
    };
    const scan = (edge, along) => {
        for (let t = 0.5, k = 0; k < 40; k++, t = 0.5 + (k % 2 ? 1 : -1) * Math.ceil(k / 2) / 40) {
            const p = along(t);
            if (area(p[0], p[1])) { return p; }
        }
        return null;
    };
    out.left = scan('left', t => [r.left + inset, r.top + t * r.height]);
    out.right = scan('right', t => [r.right - inset, r.top + t * r.height]);
    out.top = scan('top', t => [r.left + t * r.width, r.top + inset]);
    out.bottom = scan('bottom', t => [r.left + t * r.width, r.bottom - inset]);
    return out;
}"""
#: The open hover tooltip: its lines (by <br> and as drawn), its box, the map's box and
#: whether the element at its middle is the tooltip itself (Leaflet's tooltips let the
#: pointer through, which elementFromPoint honours: for the look-up they take it).
TOOLTIP_JS = """() => {
    const tip = document.querySelector('.leaflet-tooltip');
    if (!tip) { return null; }
    const map = Object.values(window).find(v => v instanceof L.Map);
    const s = getComputedStyle(tip), t = tip.getBoundingClientRect();
    const m = map.getContainer().getBoundingClientRect();
    const inner = tip.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
    tip.style.pointerEvents = 'auto';
    const middle = document.elementFromPoint((t.left + t.right) / 2, (t.top + t.bottom) / 2);
    tip.style.pointerEvents = '';
    return {lines: tip.innerHTML.split('<br>').length,
            drawn: Math.round(inner / parseFloat(s.lineHeight)),
            text: tip.innerText, box: [t.left, t.top, t.right, t.bottom],
            map: [m.left, m.top, m.right, m.bottom],
            onTop: !!middle && tip.contains(middle)};
}"""
#: Where the keyboard's focus is: in the map (an area, or a control), and the area's label.
FOCUS_JS = """() => {
    const e = document.activeElement;
    const map = Object.values(window).find(v => v instanceof L.Map);
    return {inMap: !!e && map.getContainer().contains(e),
            area: !!e && e.matches('path.leaflet-interactive'),
            label: e ? e.getAttribute('aria-label') : null,
            stops: [...map.getContainer().querySelectorAll('path.leaflet-interactive')]
                   .filter(p => p.getAttribute('tabindex') === '0').length,
            hint: (document.querySelector('.pm-keys') || {}).innerText || '',
            tip: (document.querySelector('.leaflet-tooltip') || {}).innerText || ''};
}"""


def check_edge_tooltips(page, target, name: str, *, offset=(0.0, 0.0)) -> None:
    """Hover an area at each edge of the map in ``target`` (the page or the map's frame;
    ``offset`` its place in the page) and check the tooltip there."""
    # A focused area keeps its tooltip open: the focus leaves first.
    target.evaluate("() => document.activeElement && document.activeElement.blur()")
    # Zoomed in until areas reach every edge of the map. On a busy machine the map's own
    # fit to its areas can come after the test's zoom and undo it (no area at any edge
    # in a full run beside other work): then it zooms in again.
    points: dict = {}
    for _ in range(3):
        assert target.evaluate(ZOOM_JS, 2)
        for _ in range(20):
            page.wait_for_timeout(250)
            points = target.evaluate(EDGE_POINTS_JS)
            if all(points.get(edge) for edge in EDGES):
                break
        if all(points.get(edge) for edge in EDGES):
            break
    for edge in EDGES:
        point = points[edge]
        assert point, (edge, points)
        page.mouse.move(1, 1)           # off the map: the last tooltip closes
        target.wait_for_function("() => !document.querySelector('.leaflet-tooltip')")
        page.mouse.move(offset[0] + point[0], offset[1] + point[1])
        target.wait_for_function("() => document.querySelector('.leaflet-tooltip')")
        page.mouse.move(offset[0] + point[0] + 1, offset[1] + point[1])   # placed on a move
        tip = target.evaluate(TOOLTIP_JS)
        assert tip["lines"] <= HOVER_LINES and tip["drawn"] <= HOVER_LINES, (edge, tip)
        box, frame = tip["box"], tip["map"]
        assert (frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1]
                and box[3] <= frame[3]), (edge, point, tip)
        assert tip["onTop"], (edge, tip)
        assert "Rang " in tip["text"] and "Bidrar mest" not in tip["text"], tip["text"]
        screenshot(page, f"{name}-{edge}.png")


def test_export_tooltips_stay_in_the_map_at_every_edge(chromium, analysis,  # noqa: F811
                                                       tmp_path):
    path = tmp_path / "karta.html"
    path.write_bytes(map_html(analysis, show="index"))
    view = open_offline(chromium, path, width=1440, height=900)
    view.page.wait_for_selector(".leaflet-overlay-pane path")
    check_edge_tooltips(view.page, view.page, "map-keys-export-tooltip")
    assert view.page_errors == []
    view.page.context.close()


def test_export_keyboard_one_stop_arrows_and_enter(chromium, analysis,  # noqa: F811
                                                   tmp_path):
    path = tmp_path / "karta.html"
    path.write_bytes(map_html(analysis, show="index"))
    view = open_offline(chromium, path, width=1440, height=900)
    page = view.page
    page.wait_for_selector(".leaflet-overlay-pane path")
    # Before the map: nothing on the exported page takes the focus there (its title has no
    # links), so a button of the test's own, the page's first element, stands for it.
    page.evaluate("() => { const b = document.createElement('button'); b.textContent = 'före';"
                  " document.body.prepend(b); b.focus(); }")
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUS_JS))
        if not seen[-1]["inMap"] and len(seen) > 1:
            break
    assert seen[0]["area"], seen                 # the first Tab lands on an area
    assert len(seen) <= 3 and not seen[-1]["inMap"], seen
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"

    page.keyboard.press("Shift+Tab")
    while not page.evaluate(FOCUS_JS)["area"]:
        page.keyboard.press("Shift+Tab")
    first = page.evaluate(FOCUS_JS)
    assert first["stops"] == 1 and "piltangenterna" in first["hint"], first
    page.keyboard.press("ArrowRight")
    moved = page.evaluate(FOCUS_JS)
    assert moved["area"] and moved["label"] != first["label"] and moved["stops"] == 1, moved
    name = moved["label"].split(". ")[0]
    page.wait_for_function("name => (document.querySelector('.leaflet-tooltip') || {})"
                           ".innerText?.startsWith(name)", arg=name)
    screenshot(page, "map-keys-export-focus.png")

    page.keyboard.press("Enter")                 # what a click does: the full detail
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    full = page.evaluate("""name => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        let group = null;
        map.eachLayer(l => { if (l.prevmapTooltip) group = l; });
        const l = group.getLayers().find(l => l.getElement() === document.activeElement);
        return group.prevmapTooltip(l.feature.properties.idx);
    }""", name)
    assert popup.inner_html() == full and popup.inner_text().startswith(name)
    screenshot(page, "map-keys-export-popup.png")
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    assert view.page_errors == []
    page.context.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory, chromium):  # noqa: F811
    with served_app(tmp_path_factory.mktemp("cache")) as url:
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        page.get_by_text(f"{HEADING} Vårby gård").wait_for(timeout=120_000)
        page.frame_locator(MAP_FRAME).locator("path.leaflet-interactive").first.wait_for()
        page.locator(MAP_FRAME).scroll_into_view_if_needed()
        page.wait_for_timeout(1000)             # the map fitted to its areas
        yield page
        page.close()


def _map_frame(page):
    return next(f for f in page.frames if MAP_PAGE in f.url)


def test_app_keyboard_one_stop_arrows_and_enter_opens_the_profile(app):
    page = app
    frame = _map_frame(page)
    # The last element that can take the focus before the map's frame.
    page.evaluate("""selector => {
        const map = document.querySelector(selector);
        const all = [...document.querySelectorAll(
            'a[href], button, input, select, textarea, summary, [tabindex]')]
            .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length &&
                    (e.compareDocumentPosition(map) & Node.DOCUMENT_POSITION_FOLLOWING));
        all[all.length - 1].focus();
    }""", MAP_FRAME)
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        inside = page.evaluate("s => document.activeElement === document.querySelector(s)",
                               MAP_FRAME)
        seen.append(frame.evaluate(FOCUS_JS) if inside else {"inMap": False, "area": False})
        if not seen[-1]["inMap"] and len(seen) > 1:
            break
    assert seen[0]["area"], seen
    assert len(seen) <= 3 and not seen[-1]["inMap"], seen

    # Back to the area and on to the next in rank order; Enter opens its profile.
    page.keyboard.press("Shift+Tab")
    for _ in range(4):
        inside = page.evaluate("s => document.activeElement === document.querySelector(s)",
                               MAP_FRAME)
        if inside and frame.evaluate(FOCUS_JS)["area"]:
            break
        page.keyboard.press("Shift+Tab")
    first = frame.evaluate(FOCUS_JS)
    assert first["area"] and first["stops"] == 1, first
    page.keyboard.press("ArrowDown")
    moved = frame.evaluate(FOCUS_JS)
    assert moved["area"] and moved["label"] != first["label"], (first, moved)
    name = moved["label"].split(". ")[0]
    frame.wait_for_function("name => (document.querySelector('.leaflet-tooltip') || {})"
                            ".innerText?.startsWith(name)", arg=name)
    assert "Enter öppnar områdets profil" in moved["hint"]
    screenshot(page, "map-keys-app-focus.png")
    start = time.monotonic()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"{HEADING} {name}").wait_for(timeout=KEY_WAIT_MS)
    print(f"Enter → profile shown: {time.monotonic() - start:.2f} s")   # seen with -s
    assert frame.evaluate("() => document.querySelectorAll('path.pm-selected').length") == 1
    screenshot(page, "map-keys-app-enter.png")


def test_app_tooltips_stay_in_the_narrow_map_column(app):
    page = app
    # The frame's top at the window's: the whole map (640 px under the title) in the window.
    page.locator(MAP_FRAME).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    box = page.locator(MAP_FRAME).bounding_box()
    assert box["width"] < 1000                  # the map's column beside the profile
    check_edge_tooltips(page, _map_frame(page), "map-keys-app-tooltip",
                        offset=(box["x"], box["y"]))
