"""PDF of the report and PNG of the map, rendered by Debian's headless chromium (Playwright).

The page is loaded from a temporary file with every request that is not ``file:`` or
``data:`` refused, so rendering needs no network and sends nothing anywhere (the map and
the report are self-contained). The browser itself is started so that it calls no one
either (:func:`offline_switches`): Debian's chromium otherwise looks up Google's update and
account servers on its own, page or no page. Chromium is Debian's ``/usr/bin/chromium``
(installed by ``.ci/install-chromium``), never a browser downloaded by ``playwright
install``; without it, :class:`RenderError` says how to get it.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from indicators.errors import PrevmapError

CHROMIUM = Path(os.environ.get("PREVMAP_CHROMIUM", "/usr/bin/chromium"))
MAP_SIZE = {"width": 1600, "height": 1100}
SETTLE_MS = 800

#: Chromium features that fetch or phone home on their own (translation, optimisation
#: hints and models, media routing, certificate-transparency and autofill downloads,
#: network time, search preconnects). Chromium keeps only the LAST ``--disable-features``
#: on its command line, and Playwright passes one of its own before ours, so ours repeats
#: Playwright's list (1.65) first: otherwise those would silently come back.
DISABLED_FEATURES = (
    # Playwright's own
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
    "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled",
    "PreconnectToSearch", "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
    # ours
    "Translate", "OptimizationHintsFetching", "OptimizationGuideModelDownloading",
    "OptimizationTargetPrediction", "DialMediaRouteProvider", "GlobalMediaControls",
    "AutofillServerCommunication", "CertificateTransparencyComponentUpdater",
    "InterestFeedContentSuggestions",
)

#: Switches for a browser that calls no one on its own: no background networking,
#: component or safe-browsing updates, sync, sign-in, default apps, domain reliability or
#: crash reports, no metrics upload, field trials, pings or first-run work.
QUIET_SWITCHES = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    "--disable-field-trial-config",
    "--metrics-recording-only",
    "--no-pings",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--no-service-autorun",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
)


def offline_switches(*reachable_hosts: str, rules: tuple[str, ...] = ()) -> list[str]:
    """Chromium switches for a browser that contacts no host but ``reachable_hosts``.

    Besides :data:`QUIET_SWITCHES`, the browser resolves no host name at all
    (``--host-resolver-rules=MAP * ~NOTFOUND``), so whatever Chromium still tries on its own
    fails before a DNS query leaves the machine; the PDF/PNG pages come from ``file:`` and
    need no host. Tests that load the app name theirs (``"127.0.0.1"``). The profile is a
    fresh empty folder of the browser's own, which Playwright's ``launch`` creates and
    deletes for every browser (``--user-data-dir`` cannot be passed to it). ``rules`` are
    resolver rules tried first (a test's own name for its server: ``"MAP evil.example
    127.0.0.1"``).
    """
    resolver = ", ".join([*rules, "MAP * ~NOTFOUND",
                          *(f"EXCLUDE {host}" for host in reachable_hosts)])
    return [f"--host-resolver-rules={resolver}", *QUIET_SWITCHES]


class RenderError(PrevmapError):
    title = "Fel vid rendering till PDF/PNG"


def renderer_missing() -> str | None:
    """Why PDF and PNG cannot be made on this machine (Swedish, with the fix), or None."""
    if not CHROMIUM.is_file():
        return (f"webbläsaren chromium finns inte på '{CHROMIUM}'. Åtgärd: kör "
                ".ci/install-chromium (Debian-paketen chromium och chromium-driver), "
                "eller ange sökvägen i miljövariabeln PREVMAP_CHROMIUM.")
    if importlib.util.find_spec("playwright") is None:
        return "Python-paketet playwright saknas. Åtgärd: kör 'make setup'."
    return None


@contextmanager
def _browser() -> Iterator[Any]:
    """One headless chromium for several pages (starting it is most of the cost)."""
    reason = renderer_missing()
    if reason:
        raise RenderError(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                        args=offline_switches())
        except Exception as err:   # playwright's own error: named, with what to do
            raise RenderError(
                f"webbläsaren chromium på {CHROMIUM} kunde inte startas. Åtgärd: installera "
                "om den med .ci/install-chromium, eller ange en fungerande chromium i "
                "miljövariabeln PREVMAP_CHROMIUM. Under tiden kan rapporten laddas ned som "
                "HTML och skrivas ut som PDF från webbläsaren.") from err
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _page(browser: Any, html: bytes, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    with tempfile.TemporaryDirectory(prefix="prevmap-render-") as tmp:
        path = Path(tmp) / "sida.html"
        path.write_bytes(html)
        page = browser.new_page(viewport=viewport or MAP_SIZE)
        try:
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith(("file:", "data:")) else route.abort())
            page.goto(path.as_uri(), wait_until="load")
            if b"<script" in html or b"<iframe" in html:
                # a map page draws after "load"; the printed report (its maps are images,
                # loaded by then, and it has no script) needs no pause
                page.wait_for_timeout(SETTLE_MS)
            yield page
        finally:
            page.close()


def _pdf(browser: Any, report: bytes) -> bytes:
    with _page(browser, report) as page:
        return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)


def _png(browser: Any, map_page: bytes) -> bytes:
    with _page(browser, map_page) as page:
        return page.screenshot(type="png", full_page=False)


_SHARED: ContextVar[Any | None] = ContextVar("prevmap_chromium", default=None)


@contextmanager
def shared_browser() -> Iterator[None]:
    """Inside this block every PDF and PNG is made by one chromium (starting it is most of
    the cost): ``prevmap export --pdf --png`` starts it once. Without chromium it raises
    :class:`RenderError` at once, before any page is made."""
    if _SHARED.get() is not None:
        yield
        return
    with _browser() as browser:
        token = _SHARED.set(browser)
        try:
            yield
        finally:
            _SHARED.reset(token)


@contextmanager
def _any_browser() -> Iterator[Any]:
    shared = _SHARED.get()
    if shared is not None:
        yield shared
    else:
        with _browser() as browser:
            yield browser


def report_pdf(report: bytes) -> bytes:
    """The HTML report (:func:`geo.export.report.report_html`) as an A4 PDF."""
    with _any_browser() as browser:
        return _pdf(browser, report)


def map_png(map_page: bytes) -> bytes:
    """The map page (:func:`geo.export.outputs.map_html`) as a PNG image."""
    with _any_browser() as browser:
        return _png(browser, map_page)


def pdf_and_png(report: bytes, map_page: bytes) -> tuple[bytes, bytes]:
    """Both in one browser session."""
    with shared_browser():
        return report_pdf(report), map_png(map_page)
