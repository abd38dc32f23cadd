"""A weight change as the user sees it (issue 17): from the key press until the map in
chromium shows the new values, and the bytes the server sends for it.

    .venv/bin/python benchmarks/bench_browser.py [--against PATH] [--changes 7] [--quick]
                                                 [--scope Huddinge|"Stockholms län"|Sverige]

For Huddinge (the default data), Stockholms län and all of Sweden (the overview per kommun
the app shows first at those scopes), ``streamlit run app.py`` is started offline and
opened in Debian's chromium through Playwright. The first indicator's weight (low economic
standard in the default profile) is moved between its two ends with the keyboard (End,
Home); before each measured change the second indicator's weight moves one step, not
measured, so that no two measured changes ask for the same weights. For each change:

* the time from the key press until the map shows the new values, taken in the browser
  itself: the page records when the key went down, and the map's frame (checking every
  4 ms) when the map changed (the app's map component counts the values it has drawn,
  ``data-renders``; streamlit-folium draws a new map element), both on the machine's clock
  (``performance.timeOrigin + performance.now()``); beside it the time until Playwright saw
  the change (polled every 10 ms, so it includes the polling and the round trips; it stands
  in for the in-browser time where that cannot be had, ``shown_in_browser`` 0), and until
  the app's run is over (Streamlit's status widget gone);
* the bytes of every websocket frame the server sent for it (the whole rerun: the table,
  the profile and the widgets too), and of those the map's (the frames naming its
  component);
* the time the page's translation watch spent on it (``translation_ms``: Streamlit's own
  English words into Swedish, the table's decimals; the watch sums its own time).

The median over ``--changes`` changes (the first one after opening is left out: it fills
caches). Beside it, as the peer, the same change in a minimal app on the same data (SCB's
statistics for Huddinge, the same profile): ``run_analysis`` for the weights,
``GeoDataFrame.explore()`` of the ranking (without its legend, which loads d3 from a CDN),
``streamlit_folium.st_folium`` with folium's libraries as data: URIs, and the ranked table
(only for Huddinge: it has no overview per kommun). With ``--against PATH`` the app of
another checkout (e.g. before issue 17) is measured too, with ratios. Targets: <= 0.3 s
for Huddinge and <= 1 s for all RegSO, at most 20 kB sent per change for Huddinge. The
machine's load is recorded: it may be shared. Written to
``benchmarks/results/bench_browser.json``. Never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from timing import write_results

from indicators.columns import DOMAINS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
OUT = ROOT / "benchmarks" / "results" / "bench_browser.json"
PYTHON = Path(sys.executable)
TIMEOUT_S = 240
MAP_FRAMES = ("prevmap_map", "streamlit_folium")
SCOPES = {"Huddinge": None, "Stockholms län": "Stockholms län", "Sverige": "Hela Sverige"}

PEER_APP = '''
import base64
import functools

import streamlit as st
from streamlit_folium import st_folium

from geo import sources
from geo.analysis import run_analysis
from geo.inputs import list_profiles, load_inputs
from geo.maps.offline import embedded_asset
from indicators.columns import AREA_NAME, RANK, SCORE


def offline(element):
    """folium's CDN links as data: URIs of folium-offline's copies (the machine is offline)."""
    for attr, mime in (("default_js", "text/javascript"), ("default_css", "text/css")):
        links = getattr(element, attr, None)
        if links:
            setattr(element, attr, [(name, uri(url, mime)) for name, url in links])
    for child in getattr(element, "_children", {}).values():
        offline(child)
    return element


@functools.cache
def uri(url, mime):
    return f"data:{mime};base64," + base64.b64encode(embedded_asset(url).encode()).decode()


inputs = st.cache_resource(lambda: sources.real_inputs(load_inputs().areas))()
profile = list_profiles()["SCB: socioekonomiska riskfaktorer"]
with st.sidebar.expander("Socioekonomiska riskfaktorer"):
    weight = st.slider("Vikt: Låg ekonomisk standard", 0.0, 5.0, 1.0, 0.5)
    other = st.slider("Vikt: Förgymnasial utbildning", 0.0, 5.0, 1.0, 0.5)
weights = {**dict(profile.indicator_weights), "lag_ek_standard": weight,
           "forgymnasial_utbildning": other}
analysis = run_analysis(inputs, profile.with_changes(indicator_weights=tuple(weights.items())))
fmap = analysis.joined[[AREA_NAME, RANK, SCORE, "geometry"]].explore(
    column=SCORE, scheme="quantiles", k=5, cmap="YlOrRd", tooltip=[AREA_NAME, RANK, SCORE],
    legend=False,  # branca's legend links d3 from a CDN: nothing loads offline
    tiles=None)
st_folium(offline(fmap), key="karta", height=640, use_container_width=True,
          returned_objects=[])
st.dataframe(analysis.joined[[AREA_NAME, RANK, SCORE]].sort_values(RANK))
'''

# What the map frame shows now: the count of values the app's component has drawn
# (data-renders, geo/maps/web/component.js), or, for streamlit-folium, which re-creates its
# map for new values, a mark on the map element now there. None before a map is drawn.
SHOWN_JS = """() => {
    const map = document.querySelector('.leaflet-container');
    if (!map || !document.querySelector('path.leaflet-interactive')) return null;
    if (document.body.hasAttribute('data-renders'))
        return 'renders ' + document.body.getAttribute('data-renders');
    if (!map.dataset.seen) map.dataset.seen = String(Math.random());
    return 'map ' + map.dataset.seen;
}"""


# In every frame from its start: when a key last went down (the weight change's key press,
# in the page), and when the frame first showed a map (for a map frame made anew, as
# streamlit-folium may do for new values).
KEY_JS = """if (window === window.top) {   // the page: keep the frames its websocket receives
    window.__pmFrames = [];
    const Socket = window.WebSocket;
    window.WebSocket = function (...args) {
        const socket = new Socket(...args);
        socket.addEventListener('message', event => window.__pmFrames.push(event.data));
        return socket;
    };
    window.WebSocket.prototype = Socket.prototype;
    Object.assign(window.WebSocket, Socket);
}
window.addEventListener('keydown', () => {
    window.__pmKeyAt = performance.timeOrigin + performance.now(); }, true);
new MutationObserver((records, observer) => {
    if (document.querySelector('.leaflet-container path.leaflet-interactive')) {
        window.__pmFirstAt = performance.timeOrigin + performance.now();
        observer.disconnect();
    }
}).observe(document, {subtree: true, childList: true});"""
# In the map's frame: from now on, record when the map first shows something other than
# ``before`` (SHOWN_JS's token), on the machine's clock, checked every 4 ms in the frame
# (an interval survives the document being rewritten, as streamlit-folium's page does; an
# observer of the document does not).
OBSERVE_JS = """before => {
    window.__pmShownAt = null;
    clearInterval(window.__pmPoll);
    const shown = """ + SHOWN_JS + """;
    window.__pmPoll = setInterval(() => {
        const now = shown();
        if (now !== null && now !== before) {
            window.__pmShownAt = performance.timeOrigin + performance.now();
            clearInterval(window.__pmPoll);
        }
    }, 4);
}"""


# The time the page's translation watch (app.PAGE_LANGUAGE: Streamlit's English words, the
# table's decimals) has spent, in ms; 0 for an app without it.
WORDS_MS_JS = "() => window.prevmapWordsMs || 0"
# The bytes of the frames the page's websocket received since the last call, and of those
# the map's (the frames that name its component); forgets them.
BYTES_JS = """names => {
    const frames = window.__pmFrames.splice(0);
    let all = 0, map = 0;
    for (const data of frames) {
        const bytes = typeof data === 'string' ? new TextEncoder().encode(data)
                                               : new Uint8Array(data);
        all += bytes.length;
        const text = new TextDecoder('latin1').decode(bytes);
        if (names.some(name => text.includes(name))) map += bytes.length;
    }
    return [all, map];
}"""


def load() -> float:
    return os.getloadavg()[0]


@contextmanager
def served(app: Path, repo: Path) -> Iterator[str]:
    """``streamlit run app`` with ``repo``'s code first on the path, offline, until the
    block ends; yields its URL."""
    from servers import free_port, started  # the tests' server starter

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="prevmap-bench-") as cache, started(
            [str(PYTHON), "-m", "streamlit", "run", str(app), "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"], url + "/_stcore/health", cwd=repo,
            env={**os.environ, "PYTHONPATH": str(repo), "PREVMAP_OFFLINE": "1",
                 "PREVMAP_CACHE": cache}):
        yield url


def map_frame(page):  # noqa: ANN001, ANN201 - playwright objects
    """The map's frame, or None."""
    return next((f for f in page.frames if any(name in f.url for name in MAP_FRAMES)), None)


def map_shown(page) -> str | None:  # noqa: ANN001 - a playwright Page
    """A token of what the map frame shows (:data:`SHOWN_JS`), or None."""
    frame = map_frame(page)
    if frame is None:
        return None
    try:
        return frame.evaluate(SHOWN_JS)
    except Exception:  # noqa: BLE001 - the frame is being replaced
        return None


def settled(page) -> None:  # noqa: ANN001
    page.wait_for_timeout(300)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden",
                                                            timeout=TIMEOUT_S * 1000)


def open_scope(page, url: str, scope: str | None) -> None:  # noqa: ANN001
    page.goto(url)
    deadline = time.monotonic() + TIMEOUT_S
    if scope is not None:
        page.get_by_role("tab", name="Data och källor", exact=True).wait_for()
        settled(page)
        page.get_by_role("tab", name="Data och källor", exact=True).click()
        page.get_by_role("combobox", name="Kommun, län eller hela Sverige").click()
        page.keyboard.type(scope)
        page.keyboard.press("Enter")
        page.get_by_text(f"Data: {scope}").first.wait_for(timeout=TIMEOUT_S * 1000)
        page.get_by_role("tab", name="Karta och rangordning", exact=True).click()
    while map_shown(page) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("no map drawn")
        page.wait_for_timeout(100)
    settled(page)
    expander = first_weights(page)
    expander.locator("summary").click()
    page.wait_for_timeout(300)


def first_weights(page):  # noqa: ANN001, ANN201 - playwright objects
    """The sidebar's first domain expander (its weights)."""
    domains = re.compile("|".join(re.escape(label) for label in DOMAINS.values()))
    return page.locator("[data-testid='stSidebar'] [data-testid='stExpander']").filter(
        has=page.locator("summary", has_text=domains)).first


def weight_sliders(page):  # noqa: ANN001, ANN201
    """The first two indicators' weights (the sliders after the domain's, if it has one)."""
    sliders = first_weights(page).get_by_role("slider")
    first = 1 if sliders.count() > 2 else 0
    return sliders.nth(first), sliders.nth(first + 1)


def changes(page, n: int) -> list[dict[str, float]]:  # noqa: ANN001
    """``n + 1`` weight changes (End, Home, End, …); the first is left out. A change's bytes
    are all websocket frames the page received from its key press until a second after its
    run is over, and of those the map's (the frames that name the map's component), counted
    in the page itself (BYTES_JS: Playwright's own websocket events made the browser
    forward every frame, which slowed what was measured)."""
    out = []
    slider, other = weight_sliders(page)
    for i in range(n + 1):
        # Another weight up one step first, not measured: no two measured changes ask for
        # the same weights (Streamlit would send a repeated message as a reference to the
        # copy the browser holds, which flatters whoever repeats).
        other.focus()
        page.keyboard.press("ArrowRight")
        settled(page)
        page.wait_for_timeout(1000)
        before = map_shown(page)
        frame = map_frame(page)
        frame.evaluate(OBSERVE_JS, before)
        slider.focus()
        page.evaluate(BYTES_JS, list(MAP_FRAMES))
        words = page.evaluate(WORDS_MS_JS)
        start = time.perf_counter()
        page.keyboard.press("End" if i % 2 == 0 else "Home")
        while map_shown(page) in (None, before):
            if time.perf_counter() - start > TIMEOUT_S:
                raise RuntimeError("the map did not show the new values")
            page.wait_for_timeout(10)
        seen = time.perf_counter() - start
        key_at = page.evaluate("() => window.__pmKeyAt")
        # A frame loaded anew (streamlit-folium's, for new values) has lost the check; its
        # page recorded when it first drew a map (KEY_JS, run in every new document).
        shown_at = map_frame(page).evaluate("() => window.__pmShownAt || window.__pmFirstAt")
        # Without an in-browser time (streamlit-folium rewrites its frame's document, which
        # stops the check), the time Playwright saw the change stands in: shown_in_browser
        # says for how many changes the in-browser time was had.
        shown = seen if shown_at is None or key_at is None else (shown_at - key_at) / 1000
        settled(page)
        done = time.perf_counter() - start - 0.3   # settled() waits 0.3 s first
        page.wait_for_timeout(1000)                 # late frames of the same run
        sizes = page.evaluate(BYTES_JS, list(MAP_FRAMES))
        words = page.evaluate(WORDS_MS_JS) - words
        if i:
            out.append({"shown_s": shown, "seen_by_playwright_s": seen,
                        "shown_in_browser": float(shown is not seen),
                        "run_over_s": max(seen, done), "translation_ms": words,
                        "bytes": float(sizes[0]), "map_bytes": float(sizes[1])})
    return out


def measure(chromium, app: Path, repo: Path, scope: str | None, n: int) -> dict[str, float]:  # noqa: ANN001
    with served(app, repo) as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        context.add_init_script(KEY_JS)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_S * 1000)
        open_scope(page, url, scope)
        runs = changes(page, n)
        context.close()
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout's app, measured beside")
    parser.add_argument("--changes", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="Huddinge only")
    parser.add_argument("--scope", choices=list(SCOPES), action="append",
                        help="only these scopes (repeatable)")
    args = parser.parse_args()
    from browser import launched_browser

    rows: dict[str, object] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                               "load (1 min) at start": load()}
    apps = {"prevmap": (ROOT / "app.py", ROOT)}
    if args.against is not None:
        other = args.against.resolve()
        apps["other"] = (other / "app.py", other)
    scopes = {"Huddinge": None} if args.quick else SCOPES
    if args.scope:
        scopes = {name: SCOPES[name] for name in args.scope}
    with tempfile.TemporaryDirectory() as folder, launched_browser() as chromium:
        peer = Path(folder) / "peer_app.py"
        peer.write_text(PEER_APP, encoding="utf-8")
        for label, scope in scopes.items():
            for name, (app, repo) in apps.items():
                found = measure(chromium, app, repo, scope, args.changes)
                for key, value in found.items():
                    rows[f"{label}, {name}: {key}"] = value
            if scope is None:
                found = measure(chromium, peer, ROOT, None, args.changes)
                for key, value in found.items():
                    rows[f"{label}, peer explore()+st_folium: {key}"] = value
                for key, value in found.items():
                    if value:
                        rows[f"{label}: prevmap / peer, {key}"] = \
                            rows[f"{label}, prevmap: {key}"] / value
            if "other" in apps:
                for key in ("shown_s", "seen_by_playwright_s", "bytes", "map_bytes"):
                    rows[f"{label}: prevmap / other, {key}"] = \
                        rows[f"{label}, prevmap: {key}"] / rows[f"{label}, other: {key}"]
    rows["load (1 min) at end"] = load()
    write_results(rows, OUT)


if __name__ == "__main__":
    main()
