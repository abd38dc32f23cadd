"""Shared helpers for tests in a real browser: Debian's chromium driven by Playwright.

Playwright's own browser downloads are never used (no ``playwright install``): the tests
drive ``/usr/bin/chromium`` (``.ci/install-chromium`` puts it there) and skip, with the
reason, where it or the ``playwright`` package is missing.

    from browser import launched_browser, open_offline

    with launched_browser() as chromium:          # skips the test if there is no browser
        view = open_offline(chromium, path)       # every non-file: request is refused
        ...
        assert view.blocked == []
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from geo.export.render import offline_switches

CHROMIUM = Path("/usr/bin/chromium")
TEST_SERVER_HOSTS = ("127.0.0.1", "localhost")  # the only hosts a test's browser may reach
REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"  # git-ignored; screenshots for a human to look at


def browser_missing() -> str | None:
    """Why no real browser can be used here, or None if one can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed in this environment (pip install playwright)"
    if not CHROMIUM.is_file():
        return (f"no chromium at {CHROMIUM} (install Debian's chromium with "
                ".ci/install-chromium; `playwright install` is not used)")
    return None


#: Mark for tests that need the browser: skips with the reason where there is none.
requires_browser = pytest.mark.skipif(browser_missing() is not None,
                                      reason=browser_missing() or "")


@contextmanager
def served_app(cache: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The app served by ``streamlit run`` on a free local port, offline (PREVMAP_OFFLINE),
    with its cache in ``cache`` and ``env`` added to its environment; yields its address
    once it answers."""
    import os
    import sys

    from servers import free_port, started

    port = free_port()
    env = {**os.environ, "PREVMAP_OFFLINE": "1", "PREVMAP_CACHE": str(cache), **(env or {})}
    url = f"http://127.0.0.1:{port}"
    with started([sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"),
                  "--server.port", str(port), "--server.headless", "true",
                  "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                 url + "/_stcore/health", cwd=REPO_ROOT, env=env):
        yield url


@contextmanager
def launched_browser(*, resolve: tuple[str, ...] = ()) -> Iterator[Any]:
    """A headless chromium (a ``playwright.sync_api.Browser``); skips if there is none.
    ``resolve``: host resolver rules tried first, e.g. ``"MAP evil.example 127.0.0.1"`` (a
    name of the test's own for a test server)."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    args = offline_switches(*TEST_SERVER_HOSTS, rules=resolve)
    with sync_playwright() as playwright:
        # As the PDF/PNG browser: it calls no one on its own and resolves no host name but
        # the test servers' (geo/export/render.py), so a test cannot pass through the internet.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


#: Run in a page (or frame) holding a prevmap map: its area layers (those with a tooltip),
#: how many are drawn, and for each its name and middle point on the screen.
AREA_LAYERS_JS = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    let group = null;                    // the compact format's area layer (prevmap_map.js)
    map.eachLayer(layer => { if (layer.prevmapTooltip) group = layer; });
    const areas = group ? group.getLayers() : [];
    const tip = layer => group.prevmapTooltip(layer.feature.properties.idx);
    const box = map.getContainer().getBoundingClientRect();
    return {version: L.version, count: areas.length,
            drawn: areas.filter(l => l._path && l._path.closest('.leaflet-overlay-pane') &&
                                     l._path.getBoundingClientRect().width > 0).length,
            interactive: document.querySelectorAll(
                '.leaflet-overlay-pane path.leaflet-interactive').length,
            tooltips: areas.map(layer => [layer.feature.properties.idx, tip(layer)]),
            hovers: areas.map(layer => [layer.feature.properties.idx,
                                        group.prevmapHover(layer.feature.properties.idx)]),
            fills: areas.map(layer => [layer.feature.properties.idx, layer.options.fillColor]),
            targets: areas.map(layer => {
                const name = document.createElement('div');
                name.innerHTML = group.prevmapHover(layer.feature.properties.idx);
                const p = map.latLngToContainerPoint(layer.getCenter());
                const x = box.left + p.x, y = box.top + p.y;
                return {name: name.querySelector('b').textContent, x: x, y: y,
                        hit: document.elementFromPoint(x, y) === layer._path};
            })};
}"""


@dataclass
class OfflineView:
    """A page opened with the network cut off, and what it tried to do."""

    page: Any  # playwright.sync_api.Page
    blocked: list[str] = field(default_factory=list)      # every non-file: request, refused
    page_errors: list[str] = field(default_factory=list)  # uncaught JavaScript errors
    console_errors: list[str] = field(default_factory=list)


def open_offline(browser: Any, path: Path, *, width: int = 1280, height: int = 800,
                 timeout_ms: int = 10_000) -> OfflineView:
    """Open ``path`` as ``file://`` in a new page where every request that is not
    ``file:`` (or ``data:``/``blob:``/``about:``, which never leave the machine) is
    aborted and recorded in ``blocked``. Returns once the page has loaded."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="sv-SE", service_workers="block")
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    view = OfflineView(page)
    local = ("file:", "data:", "blob:", "about:")

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(local):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    def seen(request: Any) -> None:  # also what the route does not see (e.g. a preload)
        if not request.url.startswith(local) and request.url not in view.blocked:
            view.blocked.append(request.url)

    context.route("**/*", guard)
    page.on("request", seen)
    page.on("pageerror", lambda error: view.page_errors.append(str(error)))
    page.on("console", lambda msg: view.console_errors.append(msg.text)
            if msg.type == "error" else None)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return view


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of ``page`` as ``test-artifacts/<name>`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def choose_option(page: Any, combobox: str, text: str, shown: Any, *, attempts: int = 3,
                  timeout: int = 30_000) -> None:
    """Type ``text`` into the combobox named ``combobox``, press Enter and wait until the
    locator ``shown`` is visible. A choice made while a rerun finishes can be undone by that
    rerun (seen on a slower CI machine), so the choice is made again, up to ``attempts``
    times, with a screenshot of each failed attempt."""
    for attempt in range(attempts):
        page.get_by_role("combobox", name=combobox).click()
        # What an earlier attempt typed stays in the box ("0126R0070126R007" matched
        # nothing): cleared before typing again.
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        try:
            shown.wait_for(timeout=timeout)
            return
        except Exception:
            slug = "".join(c if c.isalnum() else "_" for c in text)[:40]
            screenshot(page, f"not_chosen_{slug}_{attempt}.png")
    raise AssertionError(f"choosing {text!r} in {combobox!r} did not show {shown}")


def open_tab(page: Any, name: str, *, timeout_s: float = 60) -> None:
    """Show the app's tab ``name``; a click that lands while a rerun is finishing can be
    undone by it, so click until the tab stays selected."""
    import time

    tab = page.get_by_role("tab", name=name, exact=True)
    deadline = time.monotonic() + timeout_s
    while True:
        tab.click()
        page.wait_for_timeout(500)
        if tab.get_attribute("aria-selected") == "true":
            return
        assert time.monotonic() < deadline, f"the tab {name!r} did not open"


def app_only_context(chromium: Any, url: str, **options: Any) -> Any:
    """A browser context (``options``: Playwright's, e.g. the viewport) whose pages reach
    only the app at ``url`` (and data:, blob:, about: addresses): every other request is
    refused, so a test fails where the page would fetch from the net."""
    context = chromium.new_context(**options)
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith((url, "data:", "blob:", "about:"))
                  else route.abort())
    return context


# Evaluated in a map's page: the largest area whose middle shows the area itself, its
# middle in the frame and its row; with a true argument, not the area already selected.
CLEAR_MIDDLE_JS = """otherThanSelected => {
    const map = window.prevmapMap, chosen = document.body.getAttribute('data-selected');
    let best = null;
    map.eachLayer(l => {
        if (!l.feature || l.feature.properties.idx === undefined || !l.getElement) { return; }
        if (otherThanSelected && String(l.feature.properties.idx) === chosen) { return; }
        const r = l.getElement().getBoundingClientRect();
        const x = r.x + r.width / 2, y = r.y + r.height / 2;
        if (document.elementFromPoint(x, y) !== l.getElement()) { return; }
        if (!best || r.width * r.height > best.size) {
            best = {x: x, y: y, row: l.feature.properties.idx, size: r.width * r.height};
        }
    });
    return best;
}"""


#: The app's map (map_component.py): the iframe of its Streamlit component, and a part of
#: the URL of the page inside it.
MAP_FRAME = "iframe[title='map_component.prevmap_map']"
MAP_PAGE = "map_component.prevmap_map"
