"""The Streamlit app in a real browser (Debian chromium), every request to another host
refused: the map draws its polygons, a click opens the area's profile, and the CSV download
equals the pipeline's. (That a weight change changes the table is tested in test_app.py.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import launched_browser, requires_browser, screenshot

from geo import pipeline

ROOT = Path(__file__).resolve().parents[1]
pytestmark = requires_browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PREVMAP_OFFLINE": "1",
           "PREVMAP_CACHE": str(tmp_path_factory.mktemp("cache"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start: " + proc.stdout.read1().decode())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_app_in_a_real_browser_offline(app_url, tmp_path):
    with launched_browser() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000},
                                       accept_downloads=True)
        blocked: list[str] = []

        def guard(route):
            url = route.request.url
            if url.startswith((app_url, "data:", "blob:", "about:")):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(app_url)
        page.get_by_text("Områdesprofil: Flemingsberg östra").wait_for()
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
        paths = frame.locator("path.leaflet-interactive")
        paths.first.wait_for()
        assert paths.count() >= 22
        screenshot(page, "app.png")

        # A click on an area opens its profile: the largest area, whose middle is clear of
        # the title and legend panels.
        boxes = [paths.nth(i).bounding_box() for i in range(paths.count())]
        i = max(range(len(boxes)), key=lambda j: boxes[j]["width"] * boxes[j]["height"]
                if boxes[j] else 0)
        box = boxes[i]
        before = page.get_by_text("Områdesprofil:").first.inner_text()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.6)
        page.wait_for_function(
            "before => [...document.querySelectorAll('h3')].some(h => "
            "h.innerText.startsWith('Områdesprofil:') && h.innerText !== before)",
            arg=before, timeout=60_000)

        # The CSV download is the pipeline's CSV for the chosen settings.
        with page.expect_download() as download:
            page.get_by_role("button", name="Rangordning (CSV)").click()
        saved = tmp_path / "rangordning.csv"
        download.value.save_as(saved)
        expected = pipeline.ranking_csv(pipeline.run_analysis(
            pipeline.load_inputs(), pipeline.list_profiles()["Bred prevention"]))
        assert saved.read_bytes() == expected
        screenshot(page, "app_profile.png")
        assert blocked == []
        context.close()
