"""The exported map is self-contained: Leaflet is inlined, and the Huddinge map works in a
real browser with every network request refused."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest
import shapely
from browser import AREA_LAYERS_JS, launched_browser, open_offline, requires_browser, screenshot
from map_pages import page_data

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs
from geo.maps import offline
from geo.maps.mapview import decoded, hover_html, tooltip_html
from geo.maps.offline import OfflineAssetError, embedded_asset, inline_assets
from geo.maps.topology import decode

MAX_BYTES = 3_000_000
LEAFLET_JS = dict(folium.Map.default_js)["leaflet"]
LEAFLET_CSS = dict(folium.Map.default_css)["leaflet_css"]
AREAS = 22
LEGEND_TITLE = "Sammanvägt behov"
# A <script> or <link> that names another file: none may be left in an exported map.
EXTERNAL_TAG = re.compile(r"<script\b[^>]*\bsrc\s*=|<link\b[^>]*\bhref\s*=", re.I)


@pytest.fixture(scope="module")
def huddinge_html() -> bytes:
    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    return map_html(analysis)


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html>\n<html><head>{head}</head><body>{body}</body></html>"


# --------------------------------------------------------------------------- the file itself


def test_exported_map_loads_nothing_from_outside(huddinge_html, record_property):
    html = huddinge_html.decode("utf-8")
    assert not EXTERNAL_TAG.search(html)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//[^"']*\.(?:js|css)\b""",
                         html, re.I)
    assert f"inbäddad från folium-offline: {LEAFLET_JS}" in html
    assert f"inbäddad från folium-offline: {LEAFLET_CSS}" in html
    assert "tile.openstreetmap" not in html          # tiles=None: no background layer
    size = len(huddinge_html)
    record_property("huddinge_map_bytes", size)
    print(f"\nHuddinge map HTML, Leaflet included: {size:,} bytes")
    assert 150_000 < size < MAX_BYTES


def test_exported_map_is_deterministic(huddinge_html):
    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    assert map_html(analysis) == huddinge_html


def test_inlined_leaflet_is_the_version_folium_asks_for():
    version = re.search(r"leaflet@(\d+\.\d+\.\d+)/", LEAFLET_JS)[1]
    assert f"Leaflet {version}," in embedded_asset(LEAFLET_JS)[:200]
    assert embedded_asset(LEAFLET_CSS).count("url(data:image/png;base64,") == 3  # its images


def test_scripts_and_stylesheets_become_inline_elements():
    out = inline_assets(page(f'<script src="{LEAFLET_JS}"></script>\n'
                             f'<link rel="stylesheet" href="{LEAFLET_CSS}"/>'))
    assert not EXTERNAL_TAG.search(out)
    assert f"<script>{embedded_asset(LEAFLET_JS)}</script>" in out
    assert f"<style>{embedded_asset(LEAFLET_CSS)}</style>" in out


def test_the_same_file_on_another_cdn_is_found():
    jquery = "https://code.jquery.com/jquery-3.7.1.min.js"
    assert embedded_asset("//cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js") == \
        embedded_asset(jquery)
    assert embedded_asset("https://unpkg.com/leaflet@1.9.3/dist/leaflet.js") == \
        embedded_asset(LEAFLET_JS)


@pytest.mark.parametrize("url", [
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js",   # never another version
    "https://example.org/lib.js",
])
def test_a_script_without_an_embedded_copy_is_refused_by_url(url):
    with pytest.raises(OfflineAssetError, match=re.escape(url)):
        inline_assets(page(f'<script src="{url}"></script>'))


@pytest.mark.parametrize(("markup", "named"), [
    ('<script src="lib/leaflet.js"></script>', "lib/leaflet.js"),
    ('<link rel="stylesheet" href="style.css">', "style.css"),
    ('<img src="https://example.org/logo.png">', "https://example.org/logo.png"),
    ('<link rel="icon" href="//example.org/favicon.ico">', "//example.org/favicon.ico"),
    ('<style>.x { background: url(https://example.org/a.png) }</style>',
     "https://example.org/a.png"),
    # Font Awesome's stylesheet is embedded, but its fonts are not: refuse, not half-work.
    ('<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/'
     'fontawesome-free@6.2.0/css/all.min.css"/>', "../webfonts/"),
])
def test_anything_else_the_page_would_fetch_is_refused(markup, named):
    with pytest.raises(OfflineAssetError, match=re.escape(named)):
        inline_assets(page(markup))


def test_links_inline_scripts_and_data_uris_are_left_alone():
    body = ('<a href="https://www.scb.se">SCB</a>'
            '<script>L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")</script>'
            '<img src="data:image/png;base64,AAAA">')
    assert inline_assets(page(body=body)) == page(body=body)


def test_script_end_tags_inside_inlined_code_are_escaped(monkeypatch):
    monkeypatch.setattr(offline, "embedded_asset",
                        lambda url: 'window.s = "</script><b>x</b></SCRIPT >";')
    out = inline_assets(page('<script src="https://example.org/a.js"></script>'))
    assert out.count("</script>") == 1
    assert 'window.s = "<\\/script><b>x</b><\\/SCRIPT >";' in out


def test_tiles_stay_possible_when_asked_for():
    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    html = map_html(analysis, tiles="OpenStreetMap").decode()
    assert "tile.openstreetmap" in html and not EXTERNAL_TAG.search(html)


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def chromium():
    with launched_browser() as browser:  # one per module: Playwright's sync API won't nest
        yield browser


@pytest.fixture(scope="module")
def offline_view(chromium, huddinge_html, tmp_path_factory):
    path = tmp_path_factory.mktemp("offline") / "huddinge.html"
    path.write_bytes(huddinge_html)
    view = open_offline(chromium, path)
    view.page.wait_for_selector(".leaflet-overlay-pane path")
    yield view
    view.page.context.close()


@requires_browser
def test_no_request_leaves_the_page(offline_view):
    assert offline_view.blocked == []
    assert offline_view.page_errors == []
    assert offline_view.console_errors == []


@requires_browser
def test_all_areas_are_drawn_with_the_expected_leaflet(offline_view):
    found = offline_view.page.evaluate(AREA_LAYERS_JS)
    assert found["version"] == re.search(r"leaflet@([\d.]+)/", LEAFLET_JS)[1]
    assert found["count"] == found["drawn"] == AREAS
    assert found["interactive"] >= AREAS           # areas, plus any comparison layers


@requires_browser
def test_every_tooltip_and_colour_in_the_browser_is_the_python_rule(offline_view,
                                                                    huddinge_html):
    """The page script decodes the topology and fills in the tooltip table itself; what it
    shows for every area is what geo.maps.mapview.tooltip_html and the fill column say."""
    shape, values = page_data(huddinge_html.decode("utf-8"))
    found = offline_view.page.evaluate(AREA_LAYERS_JS)
    fill = decoded(values["fill"])
    assert sorted(found["tooltips"]) == [[i, tooltip_html(values, i, shape["columns"])]
                                         for i in range(AREAS)]
    assert sorted(found["hovers"]) == [[i, hover_html(values, i, shape["columns"])]
                                       for i in range(AREAS)]
    assert sorted(found["fills"]) == [[i, fill[i]] for i in range(AREAS)]
    assert len(set(fill)) == 5


@requires_browser
def test_the_browser_decodes_the_borders_exactly(offline_view, huddinge_html):
    shape, _ = page_data(huddinge_html.decode("utf-8"))
    rings = offline_view.page.evaluate(
        "() => PrevmapMap.features(JSON.parse(document.getElementById('pm-shape')"
        ".textContent).topology).map(f => f.geometry.coordinates)")
    expected = [shapely.get_coordinates(g).tolist() for g in decode(shape["topology"])]
    flat = [[p for ring in (g if isinstance(g[0][0][0], float) else
                            [r for part in g for r in part]) for p in ring] for g in rings]
    assert flat == expected


@requires_browser
def test_legend_title_scale_and_layer_control_are_shown(offline_view):
    page = offline_view.page
    legend = page.locator(".pm-legend")
    assert legend.is_visible()
    assert LEGEND_TITLE in legend.inner_text()
    assert "högre = större behov" in legend.inner_text()
    assert page.locator(".pm-title h1").inner_text().startswith("Behov av förebyggande")
    assert page.locator(".leaflet-control-scale").is_visible()
    control = page.locator(".leaflet-control-layers")
    assert control.count() == 1 and control.is_visible()
    control.hover()
    page.wait_for_selector(".leaflet-control-layers-expanded")
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert {"Kommungräns", LEGEND_TITLE} <= {label.strip() for label in labels}
    page.mouse.move(5, 400)                           # collapse it again


@requires_browser
def test_hovering_an_area_shows_its_tooltip(offline_view):
    page = offline_view.page
    targets = page.evaluate(AREA_LAYERS_JS)["targets"]
    free = [t for t in targets if t["hit"]]           # not under a panel or another layer
    assert free, targets
    # An area with å, ä or ö in its name if one is free: the text must survive intact.
    target = next((t for t in free if re.search("[åäöÅÄÖ]", t["name"])), free[0])
    page.mouse.move(target["x"], target["y"])
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible")
    page.wait_for_function(  # the fade-in is over (for the screenshot)
        "() => getComputedStyle(document.querySelector('.leaflet-tooltip')).opacity >= 0.89")
    text = tooltip.inner_text()
    assert text.startswith(target["name"]) and "Rang " in text, (target, text)
    shot = screenshot(page, "offline_map.png")
    assert shot.stat().st_size > 10_000


@requires_browser
def test_inlined_script_end_tags_stay_inside_the_string(chromium, tmp_path, monkeypatch):
    evil = '</script><b id="escaped">x</b><!-- -->'
    monkeypatch.setattr(offline, "embedded_asset",
                        lambda url: f"window.evil = {evil!r};")
    path = tmp_path / "escaped.html"
    path.write_text(inline_assets(page('<script src="https://example.org/a.js"></script>')),
                    encoding="utf-8")
    view = open_offline(chromium, path)
    assert view.page.evaluate("window.evil") == evil
    assert view.page.locator("#escaped").count() == 0
    assert view.blocked == [] and view.page_errors == []
    view.page.context.close()


def test_browser_helpers_skip_with_a_reason(monkeypatch):
    import browser

    monkeypatch.setattr(browser, "CHROMIUM", Path("/nonexistent/chromium"))
    assert "/nonexistent/chromium" in browser.browser_missing()
    with pytest.raises(pytest.skip.Exception, match="no chromium"), browser.launched_browser():
        pass
