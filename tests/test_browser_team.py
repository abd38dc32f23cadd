"""Team mode in a real browser (Debian chromium): ``prevmap serve`` started as a user would,
logins through an OpenID Connect provider on localhost (oidc-provider-mock), every request
to any other host refused. Nothing is shown before the login; the editor's saved action
is in the audit trail under her e-mail; the reader sees the plan without a form."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import choose_option, launched_browser, requires_browser, screenshot
from servers import free_port, started
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from plans.model import Plan, PlanArea
from plans.store import PlanStore

ROOT = Path(__file__).resolve().parents[1]
pytestmark = requires_browser
EDITOR = '{"sub": "anna", "email": "anna@huddinge.se", "name": "Anna Andersson"}'
READER = '{"sub": "bo", "email": "bo@huddinge.se", "name": "Bo Berg"}'


@pytest.fixture
def team(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """(app address, identity provider address, database address) of a running team."""
    folder = tmp_path_factory.mktemp("team")
    idp_port, app_port = free_port(), free_port()
    idp_url, app_url = f"http://127.0.0.1:{idp_port}", f"http://127.0.0.1:{app_port}"
    db = f"sqlite:///{folder / 'plans.sqlite'}"
    config = folder / "prevmap.toml"
    config.write_text(f"""
[database]
url = "{db}"

[team]
address = "127.0.0.1"
port = {app_port}

[team.auth]
redirect_uri = "{app_url}/oauth2callback"
cookie_secret = "{'s3cr3t' * 8}"
client_id = "prevmap"
client_secret = "prevmap-secret"
server_metadata_url = "{idp_url}/.well-known/openid-configuration"

[team.roles]
editors = ["anna@huddinge.se"]
""", encoding="utf-8")
    config.chmod(0o600)
    env = {**os.environ, "PREVMAP_OFFLINE": "1",
           "PREVMAP_CACHE": str(tmp_path_factory.mktemp("cache"))}
    env.pop("PREVMAP_DATABASE_URL", None)
    idp = [sys.executable, "-m", "oidc_provider_mock", "--port", str(idp_port),
           "--user-claims", EDITOR, "--user-claims", READER]
    app = [sys.executable, "-m", "geo.cli", "serve", "--config", str(config)]
    with started(idp, f"{idp_url}/.well-known/openid-configuration"), \
            started(app, f"{app_url}/_stcore/health", cwd=ROOT, env=env):
        yield app_url, idp_url, db


def _page(chromium, allowed: tuple[str, ...], blocked: list[str]):
    """A new browser (its own cookies) where every request to another host is refused;
    those made by the app's pages (not the provider's: its style sheet is on a CDN) are
    recorded in ``blocked``."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})

    def guard(route):
        if route.request.url.startswith((*allowed, "data:", "blob:", "about:")):
            route.continue_()
        else:
            if route.request.frame.url.startswith(allowed[0]):
                blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


class Wire:
    """A page's websocket to the app, passed through both ways, with a frame of one's own
    to send (a crafted request) and a count of the script runs the server finished."""

    def __init__(self, page) -> None:
        self.page, self.server, self.finished = page, None, 0
        page.route_web_socket(re.compile(r".*/_stcore/stream$"), self._connect)

    def _connect(self, ws) -> None:
        server = ws.connect_to_server()

        def down(message) -> None:
            ws.send(message)
            if isinstance(message, bytes):
                msg = ForwardMsg()
                msg.ParseFromString(message)
                self.finished += msg.WhichOneof("type") == "script_finished"
        server.on_message(down)
        ws.on_message(lambda message: server.send(message))
        self.server = server

    def send(self, frame: bytes) -> None:
        """Send ``frame`` as this page's own, and wait until the run it starts is over. The
        frame's list of the messages its browser holds is emptied: this page's browser does
        not hold them, and the app would send references to them instead of the messages
        (.streamlit/config.toml's minCachedMessageSize), which this page cannot show."""
        msg = BackMsg()
        msg.ParseFromString(frame)
        del msg.rerun_script.cached_message_hashes[:]
        frame = msg.SerializeToString()
        before = self.finished
        self.server.send(frame)
        deadline = time.monotonic() + 120
        while self.finished == before:
            assert time.monotonic() < deadline, "the app did not finish the run"
            self.page.wait_for_timeout(250)


def _log_in(page, app_url: str, sub: str, shot: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Logga in").wait_for()
    assert page.get_by_role("tab").count() == 0   # no map, data or plan before the login
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    screenshot(page, shot)
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("button", name=sub, exact=True).click()   # the provider's login form
    page.get_by_role("button", name="Logga ut").wait_for()


def _open_plan(page, name: str) -> None:
    tab = page.get_by_role("tab", name="Åtgärdsplan", exact=True)
    deadline = time.monotonic() + 60
    while tab.get_attribute("aria-selected") != "true":   # a click during a rerun can be lost
        assert time.monotonic() < deadline, "the plan tab did not open"
        tab.click()
        page.wait_for_timeout(500)
    choose_option(page, "Plan", name, page.get_by_text("Flemingsberg östra: insatser"))


def test_team_mode_logs_in_and_keeps_readers_from_writing_in_a_real_browser(team):
    app_url, idp_url, db = team
    with PlanStore.open(db) as store:
        plan = store.create_plan(Plan("Trygg uppväxt i teamet", "0126"), who="Bertil")
        store.save_many(plan.id, areas=[PlanArea("0126R002", "Flemingsberg östra")],
                        who="Bertil")
    blocked: list[str] = []
    sent: list[bytes] = []
    with launched_browser() as chromium:
        page = _page(chromium, (app_url, idp_url), blocked)
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
        _log_in(page, app_url, "anna", "team_before_login.png")
        # md_text's invisible word joiner before '@' keeps the address from becoming a link
        signed_in = re.compile("Inloggad som anna\u2060?@huddinge\\.se \\(får ändra planerna\\)")
        assert page.get_by_text(signed_in).is_visible()
        assert page.locator("a[href^='mailto:']").count() == 0
        _open_plan(page, "Trygg uppväxt i teamet")
        assert page.get_by_label("Ditt namn (sparas i historiken)").count() == 0
        what = page.get_by_label("Vad (insatsen)").first
        what.fill("Läxhjälp på fritidsgården")
        page.get_by_role("button", name="Spara insatsen").click()
        try:
            page.get_by_text("Insatsen 'Läxhjälp på fritidsgården' är sparad.").wait_for(
                timeout=60_000)
        finally:
            screenshot(page, "team_editor_saved.png")

        # The editor's click as it went over the wire: every widget's value and the trigger.
        title = "Läxhjälp på fritidsgården".encode()
        click = [f for f in sent if isinstance(f, bytes) and title in f][-1]

        reader = _page(chromium, (app_url, idp_url), blocked)
        reader_wire = Wire(reader)
        _log_in(reader, app_url, "bo", "team_reader_before_login.png")
        _open_plan(reader, "Trygg uppväxt i teamet")
        reader.get_by_text("Du kan läsa planerna men inte ändra dem").wait_for()
        reader.get_by_text("Flemingsberg östra: insatser").scroll_into_view_if_needed()
        screenshot(reader, "team_reader.png")
        for label in ("Spara insatsen", "Lägg till", "Spara målet", "Ta bort området"):
            assert reader.get_by_role("button", name=label).count() == 0, label
        assert reader.get_by_role("button", name="Ny plan").count() == 0
        assert reader.get_by_label("Vad (insatsen)").count() == 0

        # A crafted request: the editor's click sent by the reader's session saves nothing;
        # the same frame from another editor session saves (so the frame is a real click).
        reader_wire.send(click)
        with PlanStore.open(db) as store:
            assert len(store.contents(plan.id).actions) == 1
        editor = _page(chromium, (app_url, idp_url), blocked)
        editor_wire = Wire(editor)
        _log_in(editor, app_url, "anna", "team_editor2_before_login.png")
        editor_wire.send(click)
        editor.get_by_text("Insatsen 'Läxhjälp på fritidsgården' är sparad.").wait_for()

        # Logging out shows nothing of the app again.
        reader.get_by_role("button", name="Logga ut").click()
        reader.get_by_role("button", name="End session").click()   # the provider's logout
        reader.get_by_role("button", name="Logga in").wait_for()
        assert reader.get_by_role("tab").count() == 0
        assert blocked == []
    with PlanStore.open(db) as store:
        assert [a.title for a in store.contents(plan.id).actions] == \
            ["Läxhjälp på fritidsgården"] * 2   # the editor's and the replayed one
        assert {e.who for e in store.history(plan.id, "action")} == {"anna@huddinge.se"}
