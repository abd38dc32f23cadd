"""A map with words (issue 18), in chromium: the legend names the classes by need, the
title, legend and sources sit around the map and cover no area, the area names do not
collide and the top tier is always named, "Prioritet" recolours the map with the tier
rule in the legend, and a background that cannot load says so. Screenshots in
test-artifacts/."""

from __future__ import annotations

import pytest
from browser import launched_browser, open_offline, requires_browser, screenshot

from geo.analysis import TIER, robustness_columns, run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import TIER_COLOURS
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
