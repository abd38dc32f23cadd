"""Team mode through AppTest: nothing before a login, readers read, editors write under the
identity's e-mail, and the role is checked on the write's own path, not only by hiding forms.

The server side of the login (Streamlit's /auth routes, the identity provider) is tested in
a real browser in test_browser_team.py; here ``AppTest.user`` stands for a logged-in user.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_start import demo_app
from streamlit.testing.v1 import AppTest

from plans.model import Plan, PlanArea
from plans.store import PlanStore
from plans.team import ENV_TEAM

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EDITOR = {"is_logged_in": True, "email": "anna@huddinge.se", "name": "Anna Andersson",
          "sub": "a1"}
READER = {"is_logged_in": True, "email": "bo@huddinge.se", "name": "Bo", "sub": "b2"}
#: The buttons that write to a plan with one area and nothing else (an editor sees them).
WRITES = {"Lägg till", "Spara målet", "Spara insatsen", "Ta bort området", "Skapa planen"}
TEAM = """
[team]
[team.auth]
redirect_uri = "https://prevmap.kommun.se/oauth2callback"
cookie_secret = "{secret}"
client_id = "prevmap"
client_secret = "hemligt"
server_metadata_url = "https://login.kommun.se/.well-known/openid-configuration"
[team.roles]
editors = ["Anna@Huddinge.se"]
""".format(secret="k" * 40)


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'plans.sqlite'}"
    monkeypatch.setenv("PREVMAP_DATABASE_URL", url)
    config = tmp_path / "prevmap.toml"
    config.write_text(TEAM, encoding="utf-8")
    monkeypatch.setenv(ENV_TEAM, str(config))
    with PlanStore.open(url) as opened:
        plan = opened.create_plan(Plan("Trygg uppväxt", "0126"), who="Bertil")
        opened.save_many(plan.id, areas=[PlanArea("0126R002", "Flemingsberg östra")],
                         who="Bertil")
        yield opened


def open_plan(user: dict, plan_id: int) -> AppTest:
    at = demo_app(run=False)
    at.user = user
    at.run()
    at.session_state["tab"] = "Åtgärdsplan"
    at.run()
    at.selectbox(key="plan_id").set_value(plan_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_nothing_of_the_app_is_shown_before_a_login(store):
    at = demo_app(run=False)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.button] == ["Logga in"]
    assert len(at.tabs) == 0 and len(at.get("file_uploader")) == 0
    assert len(at.selectbox) == 0 and len(at.sidebar) == 0
    assert "logga in" in at.info[0].value


def test_an_editor_writes_under_the_identitys_email_and_types_no_name(store):
    at = open_plan(EDITOR, store.plans()[0].id)
    assert not [t for t in at.text_input if t.key == "plan_who"]
    # markdown's escapes and the word joiners that keep e-mail addresses from autolinking
    shown = [c.value.replace("\\", "").replace("\u2060", "") for c in at.caption]
    assert any("anna@huddinge.se (från inloggningen)" in c for c in shown), shown
    assert {b.label for b in at.button} >= WRITES
    assert any(b.label == "Logga ut" for b in at.sidebar.button)
    at.session_state["plan_who"] = "Bertil"   # a name set as the typed one was: ignored
    title = next(t for t in at.text_input if t.label == "Vad (insatsen)")
    title.input("Läxhjälp")
    next(b for b in at.button if b.label == "Spara insatsen").click().run()
    assert not at.error, [e.value for e in at.error]
    plan = store.plans()[0]
    assert [a.title for a in store.contents(plan.id).actions] == ["Läxhjälp"]
    assert store.history(plan.id, "action")[-1].who == "anna@huddinge.se"


def test_a_reader_sees_the_plan_without_any_form_that_writes(store):
    at = open_plan(READER, store.plans()[0].id)
    assert any("Flemingsberg östra" in s.value for s in at.subheader)
    labels = {b.label for b in at.button}
    assert not labels & WRITES, labels
    assert "Logga ut" in labels
    assert not [t for t in at.text_input if t.key == "plan_who"]
    assert not [t for t in at.text_input if t.label == "Vad (insatsen)"]
    assert not [n for n in at.number_input if n.label.startswith("Målvärde")]
    assert any("läsa planerna men inte ändra" in i.value for i in at.info)


def test_a_write_reaching_the_code_as_a_reader_saves_nothing(store, monkeypatch):
    """A crafted request that triggers a write without the form: _try itself refuses."""
    def script() -> None:
        import streamlit as st

        import plan_page
        from plans.store import PlanStore, database_url

        def write() -> None:
            with PlanStore.open(database_url()) as opened:
                plan = opened.plans()[0]
                opened.save_many(plan.id, areas=[plan_page.PlanArea("0126R014", "")],
                                 who=plan_page.who())
        st.session_state["plan_who"] = "Anna"   # what a typed name would say: ignored
        plan_page._try(write, "sparat")

    at = AppTest.from_function(script, default_timeout=60)
    at.user = READER
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "läsa planerna men inte ändra dem; ingenting sparades" in at.error[0].value
    plan = store.plans()[0]
    assert [a.area_id for a in store.contents(plan.id).areas] == ["0126R002"]


def test_broken_team_settings_show_nothing_but_the_error(store, monkeypatch, tmp_path):
    bad = tmp_path / "trasig.toml"
    bad.write_text(TEAM.replace("editors = [", "editors = "), encoding="utf-8")
    monkeypatch.setenv(ENV_TEAM, str(bad))
    at = demo_app(run=False)
    at.user = EDITOR
    at.run()
    assert "Fel i inställningarna för teamläget" in at.error[0].value
    assert len(at.tabs) == 0 and len(at.button) == 0
