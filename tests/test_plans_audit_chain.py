"""The audit trail as a hash chain (plans/chain.py, plans/store.py, migration 0003) and the
database roles that protect it on PostgreSQL; each attack on a SQLite file and on
PostgreSQL (a throwaway server, see tests/postgres.py).

The attacker here has the application's own login (PostgreSQL with one role, or whoever
may write the SQLite file): the triggers can be dropped, so the proof is the chain.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from app_start import demo_app
from sqlalchemy.engine import make_url

from geo.cli import main
from plans import migrations, schema
from plans.chain import GENESIS, row_hash
from plans.model import Action, Plan, PlanArea
from plans.store import PlanDatabaseError, PlanStore, create_engine, engine_url

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TRIGGERS_SQLITE = ("audit_no_update", "audit_no_delete", "audit_no_replace")


@pytest.fixture
def store(plans_db_url) -> Iterator[PlanStore]:
    with PlanStore.open(plans_db_url) as opened:
        yield opened


@pytest.fixture
def engine(plans_db_url) -> Iterator[sa.Engine]:
    made = create_engine(engine_url(plans_db_url))
    yield made
    made.dispose()


@pytest.fixture
def written(store) -> tuple[Plan, list[int]]:
    """A plan with an area and three actions, one changed and one removed: 6 audit rows,
    and a second plan (1 row) so that the chains interleave."""
    plan = store.create_plan(Plan("Trygg uppväxt", kommun="0126"), who="anna")
    store.add_area(plan.id, PlanArea("0126R001", "Flemingsberg"), who="anna")
    other = store.create_plan(Plan("Annan plan"), who="bo")
    actions = [store.add_action(plan.id, Action("0126R001", f"Insats {k}", "Socialnämnden",
                                                dt.date(2027, 1, k + 1)), who="bo")
               for k in range(2)]
    store.update_action(replace(actions[0], note="ny"), who="anna")
    store.remove_action(actions[1], who="cecilia")
    ids = [e.id for e in store.history(plan.id)]
    assert len(ids) == 6 and store.history(other.id)[0].id == ids[1] + 1
    return plan, ids


def tamper(engine: sa.Engine, *statements: str) -> None:
    """Run ``statements`` on the audit table as someone who first removes its guards
    (SQLite: drops the triggers; PostgreSQL: disables them, as the table's owner)."""
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            for trigger in TRIGGERS_SQLITE:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            connection.exec_driver_sql("ALTER TABLE audit DISABLE TRIGGER USER")
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_an_intact_trail_verifies_with_its_row_count(store, written):
    check = store.verify_audit()
    assert check.ok and check.rows == 7
    assert check.message() == ("Historiken är obruten: 7 rader kontrollerade, ingen har "
                               "ändrats, tagits bort eller flyttats.")
    assert store.verify_audit(written[0].id).rows == 6


def test_direct_update_of_who_is_detected_at_its_row(store, written, engine):
    _plan, ids = written
    tamper(engine, f"UPDATE audit SET who = 'mallory' WHERE id = {ids[2]}")
    check = store.verify_audit()
    assert not check.ok and (check.broken.row_id, check.broken.kind) == (ids[2], "hash")
    assert check.message().startswith(f"Historiken är bruten vid rad {ids[2]} (plan 1, nr 3 i "
                                      "planens kedja): radens innehåll stämmer inte")


def test_a_rewrite_with_its_hash_recomputed_breaks_the_next_link(store, written, engine):
    _plan, ids = written
    with engine.connect() as connection:
        row = connection.execute(sa.select(schema.audit)
                                 .where(schema.audit.c.id == ids[3])).one()
    assert row.seq == 4
    tamper(engine, f"UPDATE audit SET who = 'mallory', row_hash = '{'a' * 64}' "
                   f"WHERE id = {ids[3]}")
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (ids[3], "hash")
    # consistent for the row itself, but the next row still points at the old hash
    mapping = dict(row._mapping) | {"who": "mallory"}
    tamper(engine, f"UPDATE audit SET row_hash = '{row_hash(row.prev_hash, mapping)}' "
                   f"WHERE id = {ids[3]}")
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (ids[4], "prev_hash")
    assert "den pekar inte på raden före i kedjan" in check.message()


@pytest.mark.parametrize("plans_db_url", ["sqlite"], indirect=True)
def test_insert_or_replace_is_refused_by_the_database(store, written, engine):
    _plan, ids = written
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), engine.begin() as c:
        c.exec_driver_sql("INSERT OR REPLACE INTO audit SELECT id, plan_id, at, 'mallory', "
                          f"entity, entity_id, operation, before, after, seq, prev_hash, "
                          f"row_hash FROM audit WHERE id = {ids[1]}")
    assert store.verify_audit().ok


@pytest.mark.parametrize("plans_db_url", ["sqlite"], indirect=True)
def test_insert_or_replace_rewrite_is_detected_at_the_right_row(store, written, engine):
    """The audit found 50 rows rewritten by INSERT OR REPLACE despite the triggers; with
    the guards dropped (anyone who may write the file may), the chain shows it."""
    _plan, ids = written
    tamper(engine, *(f"INSERT OR REPLACE INTO audit SELECT id, plan_id, at, 'mallory', "
                     "entity, entity_id, operation, before, after, seq, prev_hash, row_hash "
                     f"FROM audit WHERE id = {i}" for i in ids[1:]))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM audit WHERE who = 'mallory'"
                                          ).scalar_one() == 5
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (ids[1], "hash")


@pytest.mark.parametrize("plans_db_url", ["postgresql"], indirect=True)
def test_an_upsert_on_postgresql_is_refused_and_would_be_detected(store, written, engine):
    _plan, ids = written
    upsert = (f"INSERT INTO audit SELECT * FROM audit WHERE id = {ids[1]} ON CONFLICT (id) "
              "DO UPDATE SET who = 'mallory'")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
        c.exec_driver_sql(upsert)
    tamper(engine, upsert)
    assert (store.verify_audit().broken.row_id) == ids[1]


def test_a_deleted_row_is_detected_as_a_gap(store, written, engine):
    _plan, ids = written
    tamper(engine, f"DELETE FROM audit WHERE id = {ids[2]}")
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (ids[3], "gap")
    assert check.message() == (f"Historiken är bruten vid rad {ids[3]} (plan 1, nr 4 i "
                               "planens kedja): raden före den, nr 3, saknas (den har "
                               "tagits bort).")


def test_the_last_rows_deleted_are_detected_by_the_versions(store, written, engine):
    _plan, ids = written
    tamper(engine, f"DELETE FROM audit WHERE id = {ids[5]}")       # the removal
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (ids[3], "count")
    assert "insats 2 har version 2, men 1 rader i historiken (en per version" \
        in check.message()


def test_reordered_rows_are_detected(store, written, engine):
    plan, ids = written
    a, b = ids[3], ids[4]                     # bo adds an action, then anna changes one
    tamper(engine, f"UPDATE audit SET id = -1 WHERE id = {a}",
           f"UPDATE audit SET id = {a} WHERE id = {b}", f"UPDATE audit SET id = {b} WHERE id = -1")
    assert [e.who for e in store.history(plan.id)][2:5] == ["bo", "anna", "bo"]  # reordered
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (b, "hash")


def test_the_chain_survives_20_concurrent_writers(plans_db_url, writers=20):
    """20 users add an action each to one plan at once (and 20 more to a second plan):
    each plan's chain is 1, 2, 3, … without a fork and verifies."""
    with PlanStore.open(plans_db_url) as setup:
        plans = [setup.create_plan(Plan(f"Plan {k}"), who="setup") for k in range(2)]
        for plan in plans:
            setup.add_area(plan.id, PlanArea("0126R001"), who="setup")
    common = PlanStore.open(plans_db_url)
    start, errors = threading.Barrier(writers), []

    def write(k: int) -> None:
        try:
            start.wait(timeout=60)
            for plan in plans:
                common.add_action(plan.id, Action("0126R001", f"Insats {k}", "Skolan",
                                                  dt.date(2027, 1, 1)), who=f"user{k}")
        except BaseException as err:          # reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    try:
        assert errors == []
        check = common.verify_audit()
        assert check.ok, check.message()
        assert check.rows == 2 * (2 + writers)
    finally:
        common.close()


def _old_rows(connection: sa.Connection) -> None:
    """Rows as prevmap wrote them before 0003: two plans, their audit rows interleaved."""
    def audit(id_: int, plan: int, entity: str, entity_id: int, op: str, before, after):
        connection.execute(sa.text(
            "INSERT INTO audit (id, plan_id, at, who, entity, entity_id, operation, before, "
            "after) VALUES (:id, :plan, :at, 'anna', :entity, :eid, :op, :before, :after)"),
            {"id": id_, "plan": plan, "at": dt.datetime(2026, 1, id_, 9, 30, 15, 123456),
             "entity": entity, "eid": entity_id, "op": op,
             "before": before, "after": after})
    connection.execute(sa.text(
        "INSERT INTO plans (id, name, kommun, description, version) VALUES "
        "(1, 'Gammal plan', '0126', '', 2), (2, 'Plan två', '0126', '', 1)"))
    connection.execute(sa.text(
        "INSERT INTO plan_areas (id, plan_id, area_id, area_name, reason, version) "
        "VALUES (1, 1, '0126R001', 'Flemingsberg västra', '', 1)"))
    audit(1, 1, "plan", 1, "skapad", None, '{"name": "Gammal", "version": 1}')
    audit(2, 2, "plan", 2, "skapad", None, '{"name": "Plan två", "version": 1}')
    audit(3, 1, "area", 1, "skapad", None, '{"area_id": "0126R001", "cost": 1.5}')
    audit(4, 1, "plan", 1, "ändrad", '{"name": "Gammal", "version": 1}',
          '{"name": "Gammal plan", "version": 2}')
    if connection.dialect.name == "postgresql":     # as if the ids came from the sequences
        for table in ("plans", "plan_areas", "audit"):
            connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                       f"'id'), (SELECT max(id) FROM {table}))"))


def test_migration_0003_back_fills_an_old_database_that_then_verifies(plans_db_url, engine):
    with engine.begin() as connection:
        migrations.upgrade(connection, "0002")
        _old_rows(connection)
    with PlanStore.open(plans_db_url) as store:
        assert store.upgraded_from == "0002"
        assert store.verify_audit().rows == 4 and store.verify_audit().ok
        store.add_area(1, PlanArea("0126R002"), who="bo")
        assert store.verify_audit().ok
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT id, plan_id, seq, prev_hash FROM audit ORDER BY id")).all()
    assert [(r.plan_id, r.seq) for r in rows] == [(1, 1), (2, 1), (1, 2), (1, 3), (1, 4)]
    assert rows[0].prev_hash == GENESIS and rows[1].prev_hash == GENESIS


def test_downgrading_0003_keeps_the_rows_and_upgrading_chains_them_again(store, written,
                                                                          engine):
    with engine.begin() as connection:
        migrations.downgrade(connection, "0002")
    with engine.begin() as connection:
        migrations.upgrade(connection)
    assert store.verify_audit().ok and store.verify_audit().rows == 7


# -- PostgreSQL roles ---------------------------------------------------------------------

@pytest.fixture
def two_roles(postgres_server, postgres_url) -> Iterator[tuple[str, str]]:
    """(app URL, owner URL): the app logs in as a role of its own, the test's admin owns
    the schema and runs the migrations."""
    role = f"prevmap_app_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    admin = sa.create_engine(postgres_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    app = make_url(postgres_url).set(username=role, password=password)
    yield app.render_as_string(hide_password=False), postgres_url
    admin.dispose()
    # its grants live in the test's database: revoked there before the role can go
    there = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with there.connect() as connection:
        connection.exec_driver_sql(f"DROP OWNED BY {role}")
        connection.exec_driver_sql(f"DROP ROLE {role}")
    there.dispose()


def test_the_app_role_may_not_update_delete_or_truncate_the_audit_trail(two_roles, caplog):
    app_url, owner_url = two_roles
    with caplog.at_level("WARNING", logger="plans.store"), \
            PlanStore.open(app_url, owner_url=owner_url) as store:
        assert store.tamper_proof and not store.read_only and store.warning is None
        plan = store.create_plan(Plan("Plan"), who="anna")
        area = store.add_area(plan.id, PlanArea("0126R001"), who="anna")
        store.remove_area(area, who="anna")
        assert store.verify_audit().ok
    assert caplog.messages == []
    app = create_engine(engine_url(app_url))
    try:
        for statement in ("UPDATE audit SET who = 'x'", "DELETE FROM audit",
                          "TRUNCATE audit", "ALTER TABLE audit DISABLE TRIGGER USER",
                          "DELETE FROM plans"):
            with pytest.raises(sa.exc.ProgrammingError,
                               match="permission denied|must be owner"), app.begin() as c:
                c.exec_driver_sql(statement)
    finally:
        app.dispose()


@pytest.mark.parametrize("plans_db_url", ["postgresql"], indirect=True)
def test_one_role_on_postgresql_is_warned_that_the_trail_is_only_tamper_evident(
        plans_db_url, caplog):
    with caplog.at_level("WARNING", logger="plans.store"), PlanStore.open(plans_db_url) as s:
        assert not s.tamper_proof
    assert len(caplog.messages) == 1
    assert "bara avslöjar manipulation (kedjan av kontrollsummor) men inte hindrar den" \
        in caplog.messages[0] and "PREVMAP_DATABASE_OWNER_URL" in caplog.messages[0]


def test_the_app_role_alone_cannot_upgrade_and_is_told_how(two_roles, postgres_server):
    app_url, owner_url = two_roles
    owner = create_engine(engine_url(owner_url))
    role = make_url(app_url).username
    with owner.begin() as connection:
        migrations.upgrade(connection, "0002")
        name = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{name}" TO {role}')
        connection.exec_driver_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{name}" TO {role}')
    owner.dispose()
    with pytest.raises(PlanDatabaseError, match="behöver uppgraderas till schemaversion "
                                                f"{migrations.head_revision()}, men "
                                                f"användaren '{role}' får inte ändra den"
                                                ".*PREVMAP_DATABASE_OWNER_URL"):
        PlanStore.open(app_url)
    with PlanStore.open(app_url, owner_url=owner_url) as store:
        assert store.upgraded_from == "0002" and store.plans() == ()


def test_a_read_only_postgresql_role_reads_but_does_not_write(two_roles):
    app_url, owner_url = two_roles
    with PlanStore.open(app_url, owner_url=owner_url) as store:
        plan = store.create_plan(Plan("Plan"), who="anna")
    owner = create_engine(engine_url(owner_url))
    role = make_url(app_url).username
    with owner.begin() as connection:
        connection.exec_driver_sql(f"REVOKE INSERT, UPDATE ON plans, plan_areas, goals, "
                                   f"actions, audit FROM {role}")
    owner.dispose()
    with PlanStore.open(app_url) as store:
        assert store.read_only and store.plans() == (plan,)
        with pytest.raises(PlanDatabaseError, match="är skrivskyddad: planerna kan läsas men "
                                                    "inte ändras. Ingenting sparades."):
            store.add_area(plan.id, PlanArea("0126R001"), who="anna")


# -- the command line ---------------------------------------------------------------------

def test_cli_verify_exits_0_when_intact_and_2_naming_the_broken_row(store, written, engine,
                                                                    plans_db_url, capsys):
    assert main(["plan", "verify", "--database", plans_db_url]) == 0
    assert capsys.readouterr().out.startswith("Historiken är obruten: 7 rader kontrollerade")
    _plan, ids = written
    tamper(engine, f"UPDATE audit SET who = 'mallory' WHERE id = {ids[4]}")
    assert main(["plan", "verify", "--database", plans_db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"prevmap: Historiken är bruten vid rad {ids[4]} (plan 1, nr 5 ")
    assert "Åtgärd: jämför med en säkerhetskopia" in err


def test_cli_verify_of_a_database_that_cannot_be_opened_exits_2(tmp_path, capsys):
    missing = tmp_path / "saknas" / "plans.sqlite"
    assert main(["plan", "verify", "--database", f"sqlite:///{missing}"]) == 2
    assert "kan inte öppnas: unable to open database file" in capsys.readouterr().err


def test_the_hash_covers_every_column_and_its_predecessor():
    row = {"id": 1, "plan_id": 1, "seq": 1, "who": "anna", "at": dt.datetime(2026, 1, 1),
           "entity": "plan", "entity_id": 1, "operation": "skapad", "before": None,
           "after": {"name": "Å"}}
    digest = row_hash(GENESIS, row)
    assert digest == row_hash(GENESIS, row | {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
    changed = [row_hash(GENESIS, row | {key: value}) for key, value in (
        ("id", 2), ("plan_id", 2), ("seq", 2), ("who", "bo"), ("entity", "goal"),
        ("entity_id", 2), ("operation", "ändrad"), ("before", {}), ("after", {"name": "A"}),
        ("at", dt.datetime(2026, 1, 1, 0, 0, 0, 1)))]
    assert len({digest, row_hash("1" * 64, row), *changed}) == 12



# -- the plan tab -------------------------------------------------------------------------

@pytest.mark.parametrize("plans_db_url", ["sqlite"], indirect=True)
def test_the_plan_tab_verifies_the_history_and_names_the_broken_row(store, written, engine,
                                                                     plans_db_url,
                                                                     monkeypatch):
    monkeypatch.setenv("PREVMAP_DATABASE_URL", plans_db_url)
    at = demo_app()
    at.session_state["tab"] = "Åtgärdsplan"
    at.run()
    at.selectbox(key="plan_id").set_value(written[0].id).run()

    def verify() -> tuple[list[str], list[str]]:
        next(b for b in at.button if b.label == "Verifiera historiken").click().run()
        assert not at.exception, [e.value for e in at.exception]
        return ([s.value for s in at.success if "Historiken" in s.value],
                [e.value for e in at.error if "Historiken" in e.value])

    assert verify() == (["Historiken är obruten: 7 rader kontrollerade, ingen har ändrats, "
                         "tagits bort eller flyttats."], [])
    _plan, ids = written
    tamper(engine, f"UPDATE audit SET who = 'mallory' WHERE id = {ids[1]}")
    ok, broken = verify()
    assert ok == [] and len(broken) == 1
    shown = broken[0].replace("\\", "")              # as rendered: markdown escapes gone
    assert shown.startswith(f"Historiken är bruten vid rad {ids[1]} (plan 1, nr 2 i planens "
                            "kedja): radens innehåll stämmer inte")


def test_several_rows_deleted_are_named_as_a_range(store, written, engine):
    _plan, ids = written
    tamper(engine, f"DELETE FROM audit WHERE id IN ({ids[1]}, {ids[2]}, {ids[3]})")
    check = store.verify_audit()
    assert (check.broken.row_id, check.broken.kind) == (ids[4], "gap")
    assert check.message().endswith("raderna före den, nr 2–4, saknas (de har tagits bort).")


@pytest.mark.parametrize("plans_db_url", ["postgresql"], indirect=True)
def test_truncate_is_refused_even_for_the_tables_owner(store, written, engine):
    """The audit emptied 897 rows with TRUNCATE as the app's own (single) role."""
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
        c.exec_driver_sql("TRUNCATE audit")
    assert store.verify_audit().rows == 7
    tamper(engine, "TRUNCATE audit")               # with the guards disabled, it shows
    check = store.verify_audit()
    assert (check.rows, check.broken.kind) == (0, "count")
    assert check.message() == ("Historiken är bruten vid plan 1: insats 1 har version 2, men "
                               "0 rader i historiken (en per version väntas): rader har "
                               "tagits bort (t.ex. de sista ändringarna) eller lagts till.")
