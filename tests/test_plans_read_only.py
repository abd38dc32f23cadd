"""A plan database that may only be read (a SQLite file with mode 0444 or in a folder with
mode 0555) opens for reading: plans and follow-up shown, edits refused in Swedish, no
upgrade attempted. (A read-only PostgreSQL role: tests/test_plans_audit_chain.py.)

Root may write any file whatever its mode, so when the tests run as root the opening runs
in a process without the capabilities that override file modes (``setpriv``).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from app_start import demo_app

import plans.store
from plans import migrations
from plans.model import Plan, PlanArea
from plans.store import PlanStore, create_engine, engine_url

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
#: what lets root write a file whatever its mode
OVERRIDES = "-dac_override,-dac_read_search"

OPEN = """
import json, sys
from plans.model import PlanArea
from plans.store import PlanStore, PrevmapError
out = {}
try:
    with PlanStore.open(sys.argv[1]) as store:
        out["read_only"] = store.read_only
        out["plans"] = [p.name for p in store.plans()]
        out["areas"] = [a.area_id for a in store.contents(1).areas]
        out["history"] = len(store.history(1))
        out["verified"] = store.verify_audit().ok
        try:
            store.add_area(1, PlanArea("0126R009"), who="anna")
        except PrevmapError as err:
            out["write"] = str(err)
except PrevmapError as err:
    out["error"] = str(err)
print(json.dumps(out))
"""


def _bound_by_modes(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes do not bind root")
    return ["setpriv", "--bounding-set", OVERRIDES, "--", *command]


def open_elsewhere(url: str) -> dict:
    """What PlanStore.open(url) gives a user who may not write the file."""
    done = subprocess.run(_bound_by_modes([sys.executable, "-c", OPEN, url]), cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": "/nonexistent",
                               "PREVMAP_CONFIG": "", "PREVMAP_DATABASE_OWNER_URL": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder whose mode the test may change (and restores, to remove it)."""
    path = Path(tempfile.mkdtemp(prefix="prevmap-ro-"))
    yield path
    path.chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)


def a_database(path: Path, revision: str | None = None) -> str:
    url = f"sqlite:///{path}"
    if revision is None:
        with PlanStore.open(url) as store:
            plan = store.create_plan(Plan("Trygg uppväxt", kommun="0126"), who="anna")
            store.add_area(plan.id, PlanArea("0126R001", "Flemingsberg"), who="anna")
    else:
        engine = create_engine(engine_url(url))
        with engine.begin() as connection:
            migrations.upgrade(connection, revision)
        engine.dispose()
    return url


@pytest.mark.parametrize("how", ["file 0444", "folder 0555"])
def test_a_read_only_database_opens_for_reading(folder, how):
    path = folder / "plans.sqlite"
    url = a_database(path)
    if how == "file 0444":
        path.chmod(0o444)                     # the journal could be written, the file not
    else:
        path.chmod(0o644)                     # the file could be written, the journal not
        folder.chmod(0o555)
    before = path.read_bytes()

    got = open_elsewhere(url)

    assert "error" not in got, got["error"]
    assert got["read_only"] is True and got["plans"] == ["Trygg uppväxt"]
    assert got["areas"] == ["0126R001"] and got["history"] == 2 and got["verified"]
    assert "är skrivskyddad: planerna kan läsas men inte ändras. Ingenting sparades." \
        in got["write"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir() if p.name != "plans.sqlite") in (
        [], ["plans.sqlite-shm", "plans.sqlite-wal"])


def test_an_outdated_read_only_database_asks_for_someone_who_may_write(folder):
    path = folder / "plans.sqlite"
    url = a_database(path, revision="0002")
    path.chmod(0o444)
    folder.chmod(0o555)

    got = open_elsewhere(url)

    assert got["error"] == (
        f"Databasen för åtgärdsplaner kan inte användas: databasen '{url}' har "
        f"schemaversion 0002, men den här versionen av prevmap behöver "
        f"{migrations.head_revision()}, och filen är skrivskyddad. Åtgärd: be någon med "
        "skrivrätt till databasen att öppna den med prevmap (då uppgraderas den), eller "
        "öppna en kopia som du får skriva i.")


def test_the_plan_tab_shows_a_read_only_database_with_edits_refused(tmp_path, monkeypatch):
    path = tmp_path / "plans.sqlite"
    url = a_database(path)
    monkeypatch.setenv("PREVMAP_DATABASE_URL", url)
    # as the file's mode says to a user who is not root: the store then opens it read-only
    monkeypatch.setattr(plans.store, "sqlite_read_only", lambda parsed: True)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    at = demo_app()
    at.session_state["tab"] = "Åtgärdsplan"
    at.run()
    # nothing to type a name into: nothing can be saved
    assert [t.key for t in at.text_input if t.key == "plan_who"] == []
    at.selectbox(key="plan_id").set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning if "skrivskyddad" in w.value] == [
        "Databasen är skrivskyddad: planerna och uppföljningen visas, men ändringar kan inte "
        "sparas."]
    areas = next(d.value for d in at.dataframe if "Prioritet nu" in d.value.columns)
    assert areas["Områdeskod"].tolist() == ["0126R001"]
    # no form that writes: no area picker, no save buttons; reading the history still works
    labels = [b.label for b in at.button]
    assert "Lägg till" not in labels and "Skapa plan" not in labels, labels
    assert "Verifiera historiken" in labels
    assert not [f for f in at.get("form_submit_button")], "a write form is shown"
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM plan_areas").scalar_one() == 1
    engine.dispose()
