"""Hostile text from files and users in a real browser (Debian chromium): an uploaded
indicator table whose area codes and column hold markdown, a settings file with such a
key, a point file with such a name, and a plan whose area name holds it. The page shows
the text as written: no image is fetched (a server started here counts every request it
gets, and must get none), no link, no bold text is made from the data."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from browser import launched_browser, open_tab, requires_browser, screenshot
from test_browser_app import _guarded_page, app_url  # noqa: F401 - a fixture

from geo.inputs import DEFAULT_AREAS, DEMO_INDICATORS

pytestmark = requires_browser


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.seen.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def bait():
    """A local HTTP server whose address the hostile texts point to; yields its requests."""
    handler = type("Recorder", (_Recorder,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", handler.seen
    finally:
        server.shutdown()
        server.server_close()


def _upload(page, label: str, name: str, data: bytes) -> None:
    """Upload ``data`` as ``name``; again if a rerun that was finishing swallowed it."""
    box = page.locator("[data-testid='stFileUploader']").filter(has_text=label)
    deadline = time.monotonic() + 90
    while True:
        box.locator("input[type='file']").set_input_files(
            {"name": name, "mimeType": "application/octet-stream", "buffer": data})
        try:
            box.locator("[data-testid='stFileChip']").first.wait_for(
                timeout=15_000)
            return
        except Exception:
            assert time.monotonic() < deadline, f"the upload {name!r} did not stay"


def _radio(page, group: str, option: str) -> None:
    page.get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click()
    page.wait_for_timeout(1500)


def _made_from_data(page, bait_url: str) -> dict[str, int]:
    """Elements that markdown in the data would have made."""
    host = bait_url.split("//")[1]
    return {
        "img": page.locator(f"img[src*='{host}'], img[src*='punkt']").count(),
        "a": page.locator(f"a[href*='{host}'], a[href*='evil.example']").count(),
        "strong": page.locator("strong", has_text="fet").count(),
        "colour": page.locator("[style*='color']", has_text="röd").count(),
    }


def _wait_text(page, text: str) -> None:
    """Wait until the page shows ``text`` as written (the word joiners that keep a URL in
    it from becoming a link are invisible, so they are left out of the comparison)."""
    page.wait_for_function(
        "t => document.body.textContent.replaceAll('\\u2060', '').includes(t)", arg=text)


def test_hostile_text_from_files_and_plans_shows_literally(app_url, bait, tmp_path):  # noqa: F811
    from plans.model import Plan, PlanArea
    from plans.store import PlanStore

    bait_url, requests = bait
    image = f"![x]({bait_url}/bild.png)"
    code = f"{image} **fet** www.evil.example"
    column = f"<img src='{bait_url}/kolumn.png'>"
    key = f"[klick]({bait_url}/nyckel) :red[röd] $x^2$"
    point_name = "![p](http:punkt.png) **fet**"   # a file name: no slash in it
    area_name = f"![o]({bait_url}/omrade.png) :material/home: `kod`"
    with PlanStore.open() as store:
        plan = store.create_plan(Plan("Fientlig text", "0126"), who="Bertil")
        store.save_many(plan.id, areas=[PlanArea("0126R002", area_name)], who="Bertil")

    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    width = len(lines[0].split(","))
    table = "\n".join([lines[0] + f',"{column}"', *(line + ",1" for line in lines[1:]),
                       ",".join([f'"{code}"', *["1"] * width])]) + "\n"
    blocked: list[str] = []
    with launched_browser() as chromium:
        # The bait server may be reached: a fetched image would arrive there.
        page = _guarded_page(chromium, app_url, blocked, allowed=(bait_url,))
        page.set_viewport_size({"width": 1400, "height": 1800})
        try:
            open_tab(page, "Data och källor")
            _radio(page, "Områden", "Egen fil")
            _upload(page, "Områdesfil", "omraden.parquet", DEFAULT_AREAS.read_bytes())
            _radio(page, "Indikatorer", "Egna filer")
            _upload(page, "Indikatortabell", "egen.csv", table.encode("utf-8"))
            _wait_text(page, code)
            # The sidebar's widgets were not drawn while the uploads were awaited, so their
            # choices are gone (Streamlit's widget cleanup): a profile chosen applies again.
            page.get_by_role("combobox", name="Profil").click()
            page.keyboard.type("Kriminalitet")
            page.keyboard.press("Enter")
            page.get_by_text("områdeskoder matchade").first.wait_for()
            page.get_by_text("Jämförelser (ingår inte i indexet)").click()
            far = "namn,lat,lon\nLångt borta,67.85,20.22\n".encode()
            _upload(page, "Punkter", f"{point_name}.csv", far)
            _wait_text(page, point_name)
            _upload(page, "Läs in sparade inställningar", "fel.toml",
                    f'[indicator_weights]\n"{key}" = 1\n'.encode())
            # An error names an address by its host (the address itself is under
            # "Tekniska detaljer"): the key is shown with the bait's host in its link.
            host = bait_url.split("//")[1].split(":")[0]
            _wait_text(page, key.replace(f"{bait_url}/nyckel", host))
            screenshot(page, "hostile_text_data.png")
            made = _made_from_data(page, bait_url)

            open_tab(page, "Åtgärdsplan")
            page.get_by_role("combobox", name="Plan").click()
            page.keyboard.type("Fientlig text")
            page.keyboard.press("Enter")
            _wait_text(page, f"{area_name}: mål och uppföljning")
            page.get_by_text(": mål och uppföljning").first.scroll_into_view_if_needed()
            screenshot(page, "hostile_text_plan.png")
            made_in_plan = _made_from_data(page, bait_url)
            assert page.locator("[data-testid='stIconMaterial']",
                                has_text="home").count() == 0
            assert page.get_by_text("`kod`").count() >= 1
        finally:
            screenshot(page, "hostile_text_last.png")
            (screenshot(page, "hostile_text_last.png").parent / "hostile_text.txt").write_text(
                page.evaluate("document.body.innerText"), encoding="utf-8")
        time.sleep(1)   # an image request, had one been made, has arrived by now
    assert made == {"img": 0, "a": 0, "strong": 0, "colour": 0}
    assert made_in_plan == {"img": 0, "a": 0, "strong": 0, "colour": 0}
    assert requests == [] and blocked == []
