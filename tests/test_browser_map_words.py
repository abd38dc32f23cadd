"""A map with words (issue 18), in chromium: the legend names the classes by need, the
title, legend and sources sit around the map and cover no area, the area names do not
collide and the top tier is always named, "Prioritet" recolours the map with the tier
rule in the legend, a background that cannot load says so, and the neighbouring kommuner
and water lie under the areas, named, taking no click, tooltip or focus, in the export and
in the app's map. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from browser import (
    MAP_FRAME,
    app_only_context,
    launched_browser,
    open_offline,
    requires_browser,
    screenshot,
    served_app,
)

from geo.analysis import TIER, robustness_columns, run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import TIER_COLOURS
from geo.spatial.context import map_context
from indicators.columns import AREA_NAME
from indicators.tiers import TIERS

#: Boxes on the page: the title, legend, sources; every area's path; every label.
BOXES_JS = """() => {
    const box = e => { const r = e.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
    return {title: box(document.querySelector('.pm-title')),
            legend: box(document.querySelector('.pm-legend')),
            sources: box(document.querySelector('.pm-sources')),
            map: box(document.querySelector('.folium-map')),
            areas: [...document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')]
                   .map(box),
            labels: [...document.querySelectorAll('.pm-label')].map(e => [box(e), e.textContent,
                     e.classList.contains('pm-label-top')]),
            fills: [...document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive')]
                   .map(e => e.getAttribute('fill'))};
}"""


#: The context panes and what is drawn in them, the areas' pane, and the page's focusables.
STATE_JS = """() => {
    const pane = n => document.querySelector('.leaflet-' + n + '-pane');
    const z = n => Number(getComputedStyle(pane(n)).zIndex);
    return {contextZ: z('pm-context'), namesZ: z('pm-context-names'), areasZ: z('overlay'),
            paths: pane('pm-context').querySelectorAll('path').length,
            interactive: pane('pm-context').querySelectorAll('.leaflet-interactive').length
                         + pane('pm-context-names').querySelectorAll('.leaflet-interactive')
                         .length,
            names: [...document.querySelectorAll('.pm-context-name')].map(e => e.textContent),
            focusable: [...pane('pm-context-names').querySelectorAll('[tabindex]')].length
                       + [...pane('pm-context').querySelectorAll('[tabindex]')].length,
            fills: [...pane('pm-context').querySelectorAll('path')]
                   .map(e => e.getAttribute('fill')).filter(f => f && f !== 'none')};
}"""


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def analysis():
    return run_analysis(load_inputs(), list_profiles()["Bred prevention"])


@pytest.fixture(scope="module")
def chromium():
    with launched_browser() as browser:
        yield browser


def opened(chromium, analysis, tmp_path, show: str, tiles: str | None = None):
    path = tmp_path / f"karta-{show}.html"
    path.write_bytes(map_html(analysis, show=show, tiles=tiles))
    view = open_offline(chromium, path, width=1440, height=900)
    view.page.wait_for_selector(".leaflet-overlay-pane path")
    view.page.wait_for_selector(".pm-label")
    return view


@requires_browser
def test_exported_map_has_words_and_nothing_on_the_areas(chromium, analysis, tmp_path):
    view = opened(chromium, analysis, tmp_path, "index")
    page = view.page
    screenshot(page, "map-words-huddinge-index.png")
    legend = page.locator(".pm-legend").inner_text()
    assert "Högst behov (" in legend and "Lägst behov (" in legend
    assert "femtedelar av områdena" in legend
    boxes = page.evaluate(BOXES_JS)
    assert len(boxes["areas"]) == len(analysis.joined)
    for panel in ("title", "legend", "sources"):
        hit = [a for a in boxes["areas"] if overlaps(boxes[panel], a)]
        assert not hit, (panel, boxes[panel], hit[:3])
    # The areas fill the map in one direction (fitted in quarter zoom steps: at whole steps
    # Huddinge filled half of it).
    areas = boxes["areas"]
    left, top = min(a[0] for a in areas), min(a[1] for a in areas)
    right, bottom = max(a[2] for a in areas), max(a[3] for a in areas)
    frame = page.evaluate("() => document.querySelector('.leaflet-container')"
                          ".getBoundingClientRect().toJSON()")
    fill = max((right - left) / frame["width"], (bottom - top) / frame["height"])
    assert 0.75 < fill <= 1.0, (fill, frame)
    labels = boxes["labels"]
    assert labels
    for i, (a, name_a, _) in enumerate(labels):
        for b, name_b, _ in labels[i + 1:]:
            assert not overlaps(a, b), (name_a, name_b)
    tiers = robustness_columns(analysis)[TIER]
    names = analysis.joined.set_index("area_id")[AREA_NAME]
    top = {names[a] for a in tiers.index[tiers == TIERS[0]]}
    assert top and top <= {name for _, name, _ in labels}
    assert view.page_errors == [] and view.blocked == []
    page.context.close()


@requires_browser
def test_exported_tier_map_is_coloured_by_tier_with_its_rule(chromium, analysis, tmp_path):
    view = opened(chromium, analysis, tmp_path, "prioritet")
    page = view.page
    screenshot(page, "map-words-huddinge-prioritet.png")
    legend = page.locator(".pm-legend").inner_text()
    assert "Hög prioritet (" in legend and "P(topp" in legend
    colours = {colour for _, colour in TIER_COLOURS}
    assert set(page.evaluate(BOXES_JS)["fills"]) <= colours | {"#d9d9d9"}
    page.context.close()


@requires_browser
def test_a_background_that_cannot_load_says_so(chromium, analysis, tmp_path):
    view = opened(chromium, analysis, tmp_path, "index", tiles="OpenStreetMap")
    notice = view.page.locator(".pm-tile-error")
    notice.wait_for()
    assert "Bakgrundskartan kunde inte laddas" in notice.inner_text()
    screenshot(view.page, "map-words-tile-error.png")
    view.page.context.close()


@requires_browser
def test_neighbours_and_water_lie_under_the_areas_and_take_no_click(chromium, analysis,
                                                                    tmp_path):
    path = tmp_path / "karta.html"
    path.write_bytes(map_html(analysis))
    view = open_offline(chromium, path, width=1440, height=900)
    page = view.page
    page.wait_for_selector(".leaflet-overlay-pane path")
    page.wait_for_selector(".pm-context-name")
    screenshot(page, "map-context-huddinge.png")
    state = page.evaluate(STATE_JS)
    assert state["contextZ"] < state["areasZ"] and state["namesZ"] < state["areasZ"]
    assert state["paths"] >= 2                   # the borders and the sea at least
    assert state["interactive"] == 0 and state["focusable"] == 0
    assert state["fills"]                        # the water is filled
    context = map_context(analysis.joined.to_crs(4326).geometry.to_numpy())
    expected = set(context.neighbours["kommun"])
    assert state["names"] and set(state["names"]) <= expected
    assert "Huddinge" not in state["names"]
    assert "Grannkommuner" in page.locator(".pm-legend").inner_text()

    # a click on a neighbour's name and on open water beside the areas does nothing:
    # no tooltip opens, the page stays as it was
    name = page.locator(".pm-context-name").first
    box = name.bounding_box()
    before = page.content()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    assert page.locator(".leaflet-tooltip").count() == 0
    assert page.evaluate("document.activeElement.closest('.leaflet-pm-context-names-pane')"
                         ) is None
    assert page.content().count("pm-context-name") == before.count("pm-context-name")

    # Tab never lands on anything of the surroundings
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(60):
        page.keyboard.press("Tab")
        inside = page.evaluate("!!document.activeElement.closest("
                               "'.leaflet-pm-context-pane, .leaflet-pm-context-names-pane')")
        assert not inside
    assert view.page_errors == [] and view.blocked == []
    page.context.close()


@requires_browser
def test_the_apps_map_draws_the_surroundings_and_a_click_on_them_chooses_nothing(chromium,
                                                                                  tmp_path):
    """The app's map component (map_component.py) draws the same layers from the shape file;
    a click on a neighbour's name selects no area (the page marks a chosen area at once,
    before the app answers: data-selected stays as it was)."""
    with served_app(tmp_path / "cache") as url:
        context = app_only_context(chromium, url, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url + "/?data=demo")
        frame = page.frame_locator(MAP_FRAME)
        frame.locator("path.leaflet-interactive").first.wait_for()
        names = frame.locator(".pm-context-name")
        names.first.wait_for()
        page.locator(MAP_FRAME).evaluate("e => e.scrollIntoView({block: 'end'})")
        screenshot(page, "map-context-app.png")
        assert frame.locator(".leaflet-pm-context-pane path").count() >= 2
        assert frame.locator(".leaflet-pm-context-pane .leaflet-interactive").count() == 0
        body = frame.locator("body")
        before = body.get_attribute("data-selected")
        visible = [i for i in range(names.count()) if names.nth(i).bounding_box()]
        assert visible
        box = names.nth(visible[0]).bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert body.get_attribute("data-selected") == before
        assert frame.locator(".leaflet-tooltip").count() == 0
        context.close()
