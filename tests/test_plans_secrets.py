"""The plan database's password is never shown, logged or exported, in whatever form the
address gives it: in the user part, as ``?password=`` (any case), or in an address that
cannot even be parsed (plans/store.py: hide_password, mask_secrets, _reason)."""

from __future__ import annotations

import io
import logging
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from app_start import demo_app
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from geo.analysis import plan_followup, run_analysis
from geo.cli import main
from geo.export.outputs import export_analysis
from geo.export.report import report_html
from geo.export.workbook import plan_workbook_bytes
from geo.inputs import load_inputs
from plans.model import Plan, PlanArea
from plans.store import PlanDatabaseError, PlanStore, hide_password, mask_secrets

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://anna:hemligt@db/plans", "postgresql://anna:***@db/plans"),
    ("postgresql://anna@db/plans?password=hemligt", "postgresql://anna@db/plans?password=***"),
    ("postgresql://anna@db/plans?sslmode=require&PassWord=hemligt&x=1",
     "postgresql://anna@db/plans?sslmode=require&PassWord=***&x=1"),
    ("postgresql://anna@db/plans?PASSWORD=hemligt", "postgresql://anna@db/plans?PASSWORD=***"),
    ("postgresql://anna@db/plans?sslpassword=hemligt",
     "postgresql://anna@db/plans?sslpassword=***"),
    ("postgresql://anna:hem@ligt@db/plans", "postgresql://anna:***@db/plans"),   # "@" in it
    ("postgresql://anna:hemligt@db:inteport/plans", "postgresql://***:***@db:inteport/plans"),
    ("postgresql//anna:hemligt@db/plans", "***@db/plans"),
    ("postgresql://anna:hem%2Fligt@db/plans", "postgresql://anna:***@db/plans"),
    ("sqlite:////data/plans.sqlite", "sqlite:////data/plans.sqlite"),
])
def test_hide_password_masks_every_form_of_the_password(url, shown):
    assert hide_password(url) == shown


def test_a_driver_message_quoting_the_connection_string_is_masked():
    message = ('invalid connection option "PassWord" in "host=db password=\'hem ligt\' '
               'user=anna" (postgresql://anna:hemligt@db/plans; PASSWORD=hemligt2)')
    masked = mask_secrets(message, ["hemligt3"])
    assert "hem" not in masked.replace("PassWord", "")
    assert masked == ('invalid connection option "PassWord" in "host=db password=*** '
                      'user=anna" (postgresql://anna:***@db/plans; PASSWORD=***')  # to the end


def test_an_unparseable_address_is_refused_without_its_password():
    with pytest.raises(PlanDatabaseError, match=r"'postgresql://\*\*\*:\*\*\*@db:inteport/"
                                                r"plans' är ingen databasadress") as caught:
        PlanStore.open("postgresql://anna:hemligt@db:inteport/plans")
    assert "hemligt" not in str(caught.value)


# -- the canary: a real role whose password must appear nowhere ----------------------------

@pytest.fixture
def canary_urls(postgres_server, postgres_url) -> Iterator[tuple[str, dict[str, str]]]:
    """(canary, URLs): a role whose password is the canary, with a plan to show, and the
    addresses that give that password in every form (two of them cannot be used)."""
    canary = f"kanarie{secrets.token_hex(8)}"
    role = f"prevmap_canary_{secrets.token_hex(4)}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{canary}'")
    base = make_url(postgres_url).set(username=role)
    userinfo = base.set(password=canary).render_as_string(hide_password=False)
    query = base.render_as_string(hide_password=False) + f"&password={canary}"
    urls = {
        "userinfo": userinfo,
        "query": query,
        "query-mixed-case": query.replace("&password=", "&PassWord="),
        "malformed": userinfo.replace(f"@{base.host}:{base.port}", f"@{base.host}:port"),
        "wrong-host": userinfo.replace(f"{base.host}:{base.port}", "127.0.0.1:1"),
    }
    with PlanStore.open(userinfo, owner_url=postgres_url) as store:
        plan = store.create_plan(Plan("Kanarieplanen", kommun="0126"), who="anna")
        store.add_area(plan.id, PlanArea("0126R001", "Flemingsberg"), who="anna")
    yield canary, urls
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP OWNED BY {role}")
        connection.exec_driver_sql(f"DROP ROLE {role}")
    admin.dispose()


def page_text(at: AppTest) -> str:
    """Everything the app sent to the page: every element's whole message."""
    found: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    text = "\n".join(found)
    return text + "\n" + text.replace("\\\\", "")     # and without markdown's escapes


def exported_text(data: bytes) -> str:
    """A file's text, or every member's of a zip (an .xlsx)."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace")
                             for n in archive.namelist())
    return data.decode("utf-8", "replace")


def test_the_password_canary_is_nowhere(canary_urls, bred_prevention, monkeypatch, caplog,
                                        capsys, tmp_path):
    canary, urls = canary_urls
    monkeypatch.delenv("PREVMAP_DATABASE_OWNER_URL", raising=False)
    seen: dict[str, str] = {}
    analysis = run_analysis(load_inputs(), bred_prevention)
    with caplog.at_level(logging.DEBUG):
        for name, url in urls.items():
            monkeypatch.setenv("PREVMAP_DATABASE_URL", url)
            at = demo_app()
            at.session_state["tab"] = "Åtgärdsplan"
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            if name in ("userinfo", "query"):            # these open: show the plan too
                at.selectbox(key="plan_id").set_value(1).run()
                next(b for b in at.button if b.label == "Verifiera historiken").click().run()
                assert any(s.value.startswith("Historiken är obruten") for s in at.success)
                with PlanStore.open(url) as store:
                    contents = store.contents(1, history=True)
                followup = plan_followup(analysis, contents)
                seen[f"{name}: excel"] = exported_text(plan_workbook_bytes(
                    contents, followup, analysis.inputs.catalogue))
                seen[f"{name}: report"] = exported_text(report_html(
                    analysis, plan=contents, followup=followup))
            else:
                assert "kan inte" in " ".join(e.value for e in at.error) \
                    or "ingen databasadress" in " ".join(e.value for e in at.error), name
            seen[f"{name}: page"] = page_text(at)
            assert main(["plan", "verify", "--database", url]) in (0, 2)
            out = capsys.readouterr()
            seen[f"{name}: cli"] = out.out + out.err
    paths = export_analysis(analysis, tmp_path / "karta.html")
    for path in (paths.html, paths.csv, paths.settings):
        seen[f"export {Path(path).name}"] = Path(path).read_text(encoding="utf-8")
    seen["log"] = "\n".join(r.getMessage() for r in caplog.records)
    assert "Databas: postgresql+psycopg://prevmap_canary_" in seen["userinfo: page"]
    assert "password=***" in seen["query: page"] and "PassWord=***" in seen["log"] + \
        seen["query-mixed-case: page"] + seen["query-mixed-case: cli"]
    leaks = [where for where, text in seen.items() if canary in text]
    assert leaks == []
