"""A cold start of the app in a real browser (Debian chromium): the title, the banner and the
placeholder "Läser in data …" are on the page while the analysis is still being imported,
and the placeholder goes once the data are in (issue 17: no blank page for seconds).

The order is enforced, not timed: the app server is started with a ``sitecustomize`` of
the test's own on its path that holds the import of ``geo.analysis`` (the first heavy
import of app.py, before any data are read) until the test creates a file. While it is
held, the page must already show the title and the placeholder; released, the ranking
appears and the placeholder is gone. How fast this happens is measured in
``benchmarks/bench_startup.py``."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import launched_browser, requires_browser
from servers import free_port, started

ROOT = Path(__file__).resolve().parents[1]
pytestmark = requires_browser

HOLD = '''
import importlib.abc
import os
import sys
import time
from pathlib import Path

HELD = Path(os.environ["PREVMAP_TEST_HELD"])
RELEASE = Path(os.environ["PREVMAP_TEST_RELEASE"])


class HoldAnalysis(importlib.abc.MetaPathFinder):
    """Waits, at the first import of geo.analysis, until RELEASE exists (HELD says it waits)."""

    def find_spec(self, name, path=None, target=None):
        if name == "geo.analysis" and not RELEASE.exists():
            HELD.touch()
            while not RELEASE.exists():
                time.sleep(0.05)
        return None


sys.meta_path.insert(0, HoldAnalysis())
'''


@pytest.fixture
def held_app(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """The app (offline, an empty cache) whose import of geo.analysis waits for a file:
    its address, the file that says the import waits, and the file that releases it."""
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / "sitecustomize.py").write_text(HOLD, encoding="utf-8")
    held, release = tmp_path / "held", tmp_path / "release"
    port = free_port()
    path = os.pathsep.join(p for p in (str(hold), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PREVMAP_OFFLINE": "1", "PREVMAP_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": path, "PREVMAP_TEST_HELD": str(held),
           "PREVMAP_TEST_RELEASE": str(release)}
    url = f"http://127.0.0.1:{port}"
    try:
        with started([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                      "--server.port", str(port), "--server.headless", "true",
                      "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                     url + "/_stcore/health", cwd=ROOT, env=env):
            yield url, held, release
    finally:
        release.touch()     # never leave the server's script waiting


def test_title_banner_and_placeholder_are_drawn_before_the_analysis_is_imported(held_app):
    from app import BANNER, LOADING_TEXT, PAGE_TITLE

    url, held, release = held_app
    with launched_browser() as chromium:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(url)
        title = page.get_by_role("heading", name=re.compile(re.escape(PAGE_TITLE)))
        placeholder = page.get_by_text(LOADING_TEXT)
        title.wait_for()
        placeholder.wait_for()
        assert page.get_by_text(BANNER).is_visible()
        # Once the script waits at the import of the analysis, nothing of it is drawn.
        waited = 0
        while not held.exists() and waited < 1200:      # the imports before it, 2 min at most
            page.wait_for_timeout(100)
            waited += 1
        assert held.exists() and not release.exists()
        assert page.get_by_role("tab").count() == 0
        assert title.is_visible() and placeholder.is_visible()

        release.touch()
        page.get_by_role("heading", name=re.compile("^Rangordning")).first.wait_for()
        assert placeholder.count() == 0
        assert title.is_visible() and page.get_by_text(BANNER).is_visible()
