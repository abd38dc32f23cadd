"""The plan database (plans/store.py, plans/schema.py, plans/migrations): every storage
test runs on a SQLite file and on PostgreSQL (a throwaway server, see tests/postgres.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from geo.io.files import read_catalogue
from indicators.catalogue import Catalogue
from plans import migrations, schema
from plans.model import (
    Action,
    Goal,
    Plan,
    PlanArea,
    PlanConflictError,
    PlanContents,
    PlanInputError,
    as_dict,
)
from plans.store import (
    PlanDatabaseError,
    PlanStore,
    Saved,
    create_engine,
    database_url,
    engine_url,
    hide_password,
)

ROOT = Path(__file__).resolve().parents[1]
REREAD = "läs in planen igen och gör din ändring på nytt"
TABLES = ("plans", "plan_areas", "goals", "actions", "audit")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The real catalogue of the embedded Huddinge demo."""
    return read_catalogue(ROOT / "data" / "indicator_catalogue.csv")


@pytest.fixture
def store(plans_db_url) -> Iterator[PlanStore]:
    with PlanStore.open(plans_db_url) as opened:
        yield opened


@pytest.fixture
def engine(plans_db_url) -> Iterator[sa.Engine]:
    """Straight to the tables, around the store."""
    made = create_engine(engine_url(plans_db_url))
    yield made
    made.dispose()


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in TABLES}


def a_goal(area_id: str = "0126R001", **changes) -> Goal:
    goal = Goal(area_id=area_id, indicator_id="valdsbrott", unit="per 1 000",
                baseline_year=2024, baseline_value=14.237512345678901, target_value=9.5,
                target_year=2030, note="Halvera till 2035")
    return replace(goal, **changes)


def an_action(area_id: str = "0126R001", **changes) -> Action:
    action = Action(area_id=area_id, title="Fältassistenter kvällstid", actor="Socialnämnden",
                    start=dt.date(2027, 1, 15), end=dt.date(2028, 12, 31), cost_sek=1_250_000.5)
    return replace(action, **changes)


@pytest.fixture
def plan(store) -> Plan:
    return store.create_plan(Plan("Trygg uppväxt 2027", kommun="0126",
                                  description="Prioriterade områden ur rangordningen"),
                             who="anna")


@pytest.fixture
def two_areas(store, plan) -> tuple[PlanArea, PlanArea]:
    return (store.add_area(plan.id, PlanArea("0126R001", "Flemingsberg västra",
                                              reason="Hög prioritet"), who="anna"),
            store.add_area(plan.id, PlanArea("0126R002", "Flemingsberg östra"), who="anna"))


# -- round trip ---------------------------------------------------------------------------

def test_plan_areas_goals_and_actions_come_back_exactly(store, plan, two_areas, catalogue):
    first, second = two_areas
    goals = (store.add_goal(plan.id, a_goal(), catalogue, who="anna"),
             store.add_goal(plan.id, a_goal("0126R002", indicator_id="barn_lag_ek_standard",
                                            unit="%", baseline_value=31.4, target_value=25.0,
                                            note=""), catalogue, who="bo"))
    actions = (store.add_action(plan.id, an_action(), who="anna"),
               store.add_action(plan.id, an_action("0126R002", title="Läxhjälp",
                                                   actor="Civilsamhället", end=None,
                                                   cost_sek=None, note="Med ABF"), who="bo"))

    got = store.contents(plan.id)

    assert got == PlanContents(plan=plan, areas=two_areas, goals=goals, actions=actions)
    assert plan.id is not None and plan.version == 1
    assert [a.plan_id for a in got.areas] == [plan.id, plan.id]
    assert got.goals[0].baseline_value == 14.237512345678901
    assert type(got.actions[0].start) is dt.date and got.actions[0].end == dt.date(2028, 12, 31)
    assert got.actions[1].end is None and got.actions[1].cost_sek is None
    assert got.actions[0].cost_sek == 1_250_000.5
    assert got.goals_in("0126R002") == (goals[1],) and got.actions_in(first.area_id) == (
        actions[0],)
    assert second.reason == "" and store.plans() == (plan,)


def test_save_many_saves_everything_in_one_go(store, plan, catalogue):
    saved = store.save_many(plan.id, areas=[PlanArea("0126R003"), PlanArea("0126R004")],
                            goals=[a_goal("0126R003"), a_goal("0126R004", target_value=8.0)],
                            actions=[an_action("0126R004")], catalogue=catalogue, who="anna")

    assert isinstance(saved, Saved)
    assert [g.target_value for g in saved.goals] == [9.5, 8.0]
    assert all(i.id is not None and i.version == 1 and i.plan_id == plan.id
               for i in saved.areas + saved.goals + saved.actions)
    got = store.contents(plan.id)
    assert (got.areas, got.goals, got.actions) == (saved.areas, saved.goals, saved.actions)
    assert len(store.history(plan.id)) == 1 + 5


def test_an_unchanged_item_is_not_written_again(store, plan, two_areas, catalogue):
    goal = store.add_goal(plan.id, a_goal(), catalogue, who="anna")
    assert store.update_goal(goal, catalogue, who="bo") == goal
    assert [e.operation for e in store.history(plan.id, "goal")] == ["skapad"]


# -- validation saves nothing -------------------------------------------------------------

def test_one_bad_goal_among_good_ones_saves_nothing(store, plan, two_areas, catalogue, engine):
    before = counts(engine)
    good, bad = a_goal(), a_goal("0126R002", target_year=2020)

    with pytest.raises(PlanInputError, match=r"mål 2 \(område 0126R002, indikator valdsbrott\), "
                                             "fält 'Målår'") as caught:
        store.save_many(plan.id, areas=[PlanArea("0126R005")], goals=[good, bad, good],
                        actions=[an_action()], catalogue=catalogue, who="anna")

    assert str(caught.value) == (
        "Fel i åtgärdsplanen: mål 2 (område 0126R002, indikator valdsbrott), fält 'Målår': "
        "målåret 2020 är inte efter utgångsåret 2024. Värden: 2020. "
        "Åtgärd: välj ett målår efter utgångsåret.")
    assert counts(engine) == before
    assert store.contents(plan.id).goals == ()


def test_every_problem_of_a_batch_is_listed(store, plan, two_areas, catalogue):
    with pytest.raises(PlanInputError, match=r"^Fel i åtgärdsplanen: 3 problem\.\n") as caught:
        store.save_many(plan.id, goals=[a_goal("0126R009")],
                        actions=[an_action(end=dt.date(2026, 1, 1)), an_action(title="")],
                        catalogue=catalogue, who="anna")
    lines = str(caught.value).splitlines()
    assert lines[0] == "Fel i åtgärdsplanen: 3 problem."
    assert lines[1].startswith("1. mål 1 (område 0126R009, indikator valdsbrott), fält "
                               "'Område': området finns inte i planen.")
    assert lines[2].startswith("2. insats 1 (område 0126R001, 'Fältassistenter kvällstid'), "
                               "fält 'Slut': slutdatum 2026-01-01 är före startdatum")
    assert lines[3].startswith("3. insats 2 (område 0126R001, ''), fält 'Insats': "
                               "Vad insatsen är saknas.")


def test_end_before_start_is_refused_with_its_message(store, plan, two_areas, engine):
    before = counts(engine)
    with pytest.raises(PlanInputError, match="slutdatum 2026-12-31 är före startdatum "
                                             "2027-01-15") as caught:
        store.add_action(plan.id, an_action(end=dt.date(2026, 12, 31)), who="anna")
    assert str(caught.value) == (
        "Fel i åtgärdsplanen: fält 'Slut': slutdatum 2026-12-31 är före startdatum "
        "2027-01-15. Värden: '2026-12-31'. Åtgärd: rätta datumen, eller lämna slutdatum tomt "
        "för en pågående insats.")
    assert counts(engine) == before


def test_a_goal_in_another_unit_is_refused(store, plan, two_areas, catalogue, engine):
    before = counts(engine)
    with pytest.raises(PlanInputError, match="målet anges i '%', men indikatorn") as caught:
        store.add_goal(plan.id, a_goal(unit="%"), catalogue, who="anna")
    assert str(caught.value) == (
        "Fel i åtgärdsplanen: fält 'Enhet': målet anges i '%', men indikatorn 'Anmälda "
        "våldsbrott' mäts i 'per 1 000'. Värden: '%'. Förväntat: per 1 000. "
        "Åtgärd: räkna om målvärdet till per 1 000.")
    assert counts(engine) == before


def test_an_indicator_no_longer_in_the_catalogue_is_refused(store, plan, two_areas,
                                                            catalogue, engine):
    goal = store.add_goal(plan.id, a_goal(), catalogue, who="anna")
    smaller = Catalogue(tuple(i for i in catalogue.indicators if i.id != "valdsbrott"))
    before = counts(engine)

    with pytest.raises(PlanInputError, match=r"indikatorn finns inte \(längre\) i "
                                             "indikatorkatalogen") as caught:
        store.update_goal(replace(goal, target_value=9.0), smaller, who="anna")

    assert str(caught.value).startswith(
        "Fel i åtgärdsplanen: fält 'Indikator': indikatorn finns inte (längre) i "
        "indikatorkatalogen. Värden: 'valdsbrott'. Förväntat: en av barn_lag_ek_standard, ")
    assert str(caught.value).endswith("Åtgärd: välj en indikator som finns, eller lägg "
                                      "tillbaka den i katalogen.")
    assert counts(engine) == before
    assert store.contents(plan.id).goals == (goal,)


@pytest.mark.parametrize("who", ["", "   ", None])
def test_every_write_names_who_makes_it(store, plan, who, engine):
    before = counts(engine)
    with pytest.raises(PlanInputError, match="fält 'Användare': det står inte vem som gör "
                                             "ändringen.*Åtgärd: ange ditt namn"):
        store.add_area(plan.id, PlanArea("0126R001"), who=who)
    assert counts(engine) == before


def test_an_area_is_in_a_plan_once_and_keeps_its_code(store, plan, two_areas):
    with pytest.raises(PlanInputError, match="fält 'Område': området finns redan i planen. "
                                             "Värden: '0126R001'"):
        store.add_area(plan.id, PlanArea("0126R001"), who="anna")
    with pytest.raises(PlanInputError, match=r"områdeskoden kan inte ändras \(från "
                                             "'0126R001'\\)"):
        store.update_area(replace(two_areas[0], area_id="0126R009"), who="anna")
    renamed = store.update_area(replace(two_areas[0], reason="Högst behov"), who="anna")
    assert renamed.version == 2 and store.contents(plan.id).areas[0] == renamed


def test_an_unknown_plan_is_named(store):
    with pytest.raises(PlanInputError, match="planen med id 999 finns inte"):
        store.add_area(999, PlanArea("0126R001"), who="anna")
    with pytest.raises(PlanInputError, match="planen med id 999 finns inte"):
        store.contents(999)


# -- two users at once --------------------------------------------------------------------

def test_of_two_sessions_changing_one_goal_the_first_wins(plans_db_url, catalogue):
    with PlanStore.open(plans_db_url) as anna, PlanStore.open(plans_db_url) as bo:
        plan = anna.create_plan(Plan("Plan"), who="Anna")
        anna.add_area(plan.id, PlanArea("0126R001"), who="Anna")
        anna.add_goal(plan.id, a_goal(), catalogue, who="Anna")
        annas, bos = anna.contents(plan.id).goals[0], bo.contents(plan.id).goals[0]

        saved = anna.update_goal(replace(annas, target_value=8.0), catalogue, who="Anna")
        with pytest.raises(PlanConflictError, match="^Ändringen krockar med en annan "
                                                    "användares: Målet ändrades av Anna ") \
                as caught:
            bo.update_goal(replace(bos, target_value=7.0), catalogue, who="Bo")

        message = str(caught.value)
        assert message.startswith("Ändringen krockar med en annan användares: Målet ändrades "
                                  "av Anna ")
        assert message.endswith(", efter att du läste in planen. Ingenting sparades. "
                                f"Åtgärd: {REREAD}.")
        assert bo.contents(plan.id).goals == (saved,) and saved.target_value == 8.0
        changes = bo.history(plan.id, "goal", saved.id)
        assert [(e.operation, e.who) for e in changes] == [("skapad", "Anna"), ("ändrad", "Anna")]
        assert changes[1].after == as_dict(saved)


def test_a_change_to_something_removed_meanwhile_is_refused(store, plan, two_areas, engine):
    action = store.add_action(plan.id, an_action(), who="anna")
    store.remove_action(action, who="bo")
    before = counts(engine)
    with pytest.raises(PlanConflictError, match="Insatsen togs bort av bo .*läs in planen"):
        store.update_action(replace(action, cost_sek=5.0), who="anna")
    assert counts(engine) == before


@pytest.mark.parametrize("shared", [False, True], ids=["store-per-editor", "shared-store"])
def test_concurrent_edits_lose_no_update(plans_db_url, catalogue, shared, editors=20):
    """20 users at once append their token to one goal's note; each retries on a conflict
    with the plan read again, as the message says. Each user has a store of its own (as
    separate app processes), or all share one (as the sessions of one Streamlit app)."""
    with PlanStore.open(plans_db_url) as setup:
        plan = setup.create_plan(Plan("Plan"), who="setup")
        setup.add_area(plan.id, PlanArea("0126R001"), who="setup")
        goal = setup.add_goal(plan.id, a_goal(note=""), catalogue, who="setup")
    common = PlanStore.open(plans_db_url) if shared else None
    conflicts, errors = [0] * editors, []
    start = threading.Barrier(editors)

    def edit(k: int) -> None:
        try:
            mine = common or PlanStore.open(plans_db_url)
            start.wait(timeout=60)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                read = mine.contents(plan.id).goals[0]
                try:
                    mine.update_goal(replace(read, note=f"{read.note}[{k}]"), catalogue,
                                     who=f"user{k}")
                    break
                except PlanConflictError:
                    conflicts[k] += 1
            else:
                raise TimeoutError(f"user{k} never got its edit in")
            if common is None:
                mine.close()
        except BaseException as err:          # reported below
            errors.append(err)

    threads = [threading.Thread(target=edit, args=(k,)) for k in range(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if common is not None:
        common.close()
    assert errors == []

    with PlanStore.open(plans_db_url) as check:
        final = check.contents(plan.id).goals[0]
        changes = check.history(plan.id, "goal", goal.id)
    assert sorted(final.note.strip("[]").split("][")) == sorted(str(k) for k in range(editors))
    assert final.version == 1 + editors
    assert [e.operation for e in changes] == ["skapad"] + ["ändrad"] * editors
    assert sorted(e.who for e in changes[1:]) == sorted(f"user{k}" for k in range(editors))
    assert [e.after["version"] for e in changes] == list(range(1, editors + 2))


# -- removal and history ------------------------------------------------------------------

def test_removal_is_soft_and_audited(store, plan, two_areas, engine):
    action = store.add_action(plan.id, an_action(), who="anna")
    store.remove_action(action, who="bo")

    assert store.contents(plan.id).actions == ()
    with engine.connect() as connection:
        row = connection.execute(sa.select(schema.actions)).one()
    assert (row.removed_by, row.version, row.title) == ("bo", 2, action.title)
    assert row.removed_at is not None
    last = store.history(plan.id)[-1]
    assert (last.entity, last.entity_id, last.operation, last.who) == (
        "action", action.id, "borttagen", "bo")
    assert last.before == as_dict(action) and last.after is None


def test_an_area_with_goals_is_removed_only_with_them(store, plan, two_areas, catalogue):
    area = two_areas[0]
    store.add_goal(plan.id, a_goal(), catalogue, who="anna")
    store.add_action(plan.id, an_action(), who="anna")

    with pytest.raises(PlanInputError, match="området har kvar 1 mål och 1 insats.*"
                                             "eller ta bort området med allt innehåll"):
        store.remove_area(area, who="anna")
    store.remove_area(area, who="anna", with_contents=True)

    got = store.contents(plan.id)
    assert (got.areas, got.goals, got.actions) == ((two_areas[1],), (), ())
    assert [(e.entity, e.operation) for e in store.history(plan.id)[-3:]] == [
        ("goal", "borttagen"), ("action", "borttagen"), ("area", "borttagen")]
    again = store.add_area(plan.id, PlanArea("0126R001"), who="anna")    # may come back
    assert again.id != area.id


def test_history_is_oldest_first_with_who_when_before_and_after(store, catalogue):
    started = dt.datetime.now(dt.UTC)
    plan = store.create_plan(Plan("Plan"), who="anna")
    area = store.add_area(plan.id, PlanArea("0126R001"), who="anna")
    goal = store.add_goal(plan.id, a_goal(), catalogue, who="bo")
    changed = store.update_goal(replace(goal, note="Nytt mål"), catalogue, who="cilla")
    store.remove_goal(changed, who="anna")
    plan2 = store.update_plan(replace(plan, name="Plan 2027"), who="bo")

    history = store.history(plan.id)
    assert [(e.entity, e.entity_id, e.operation, e.who) for e in history] == [
        ("plan", plan.id, "skapad", "anna"), ("area", area.id, "skapad", "anna"),
        ("goal", goal.id, "skapad", "bo"), ("goal", goal.id, "ändrad", "cilla"),
        ("goal", goal.id, "borttagen", "anna"), ("plan", plan.id, "ändrad", "bo")]
    assert [(e.before, e.after) for e in history[2:5]] == [
        (None, as_dict(goal)), (as_dict(goal), as_dict(changed)), (as_dict(changed), None)]
    assert history[-1].after["name"] == "Plan 2027" and plan2.version == 2
    times = [e.at for e in history]
    assert times == sorted(times) and started <= times[0] <= dt.datetime.now(dt.UTC)
    assert all(t.tzinfo is not None and t.utcoffset() == dt.timedelta(0) for t in times)
    assert all(e.plan_id == plan.id for e in history)
    assert store.history(plan.id, "goal", goal.id) == history[2:5]
    assert store.contents(plan.id, history=True).history == history
    assert store.contents(plan.id).history == ()


def test_the_audit_trail_cannot_be_changed_in_the_database(store, plan, engine):
    for statement in ("UPDATE audit SET who = 'x'", "DELETE FROM audit"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(sa.text(statement))
    assert [e.who for e in store.history(plan.id)] == ["anna"]


def test_a_removed_plan_is_gone_from_the_list(store, plan):
    store.remove_plan(plan, who="anna")
    assert store.plans() == ()
    with pytest.raises(PlanInputError, match="finns inte \\(den togs bort av anna "):
        store.contents(plan.id)
    with pytest.raises(PlanConflictError, match="Planen 'Trygg uppväxt 2027' togs bort av"):
        store.add_area(plan.id, PlanArea("0126R001"), who="bo")


# -- migrations ---------------------------------------------------------------------------

def test_a_database_at_revision_0001_upgrades_keeping_its_rows(plans_db_url, engine, caplog):
    with engine.begin() as connection:
        migrations.upgrade(connection, "0001")
        connection.execute(sa.text(
            "INSERT INTO plans (id, name, kommun, description, version) "
            "VALUES (1, 'Gammal plan', '0126', '', 1)"))
        connection.execute(sa.text(
            "INSERT INTO plan_areas (id, plan_id, area_id, area_name, reason, version) "
            "VALUES (1, 1, '0126R001', 'Flemingsberg västra', '', 1)"))
        connection.execute(sa.text(
            "INSERT INTO actions (id, plan_id, area_id, title, actor, start_date, end_date, "
            "note, version) VALUES (1, 1, '0126R001', 'Läxhjälp', 'Civilsamhället', "
            "'2025-02-01', NULL, '', 1)"))
    assert "cost_sek" not in {c["name"] for c in sa.inspect(engine).get_columns("actions")}

    with caplog.at_level("WARNING", logger="plans.store"), PlanStore.open(plans_db_url) as store:
        assert store.upgraded_from == "0001"
        assert caplog.messages == [m for m in (store.notice, store.warning) if m]
        assert store.notice == ("Databasen för åtgärdsplaner "
                                f"({hide_password(plans_db_url)}) uppgraderades från "
                                f"schemaversion 0001 till {migrations.head_revision()}. Alla "
                                "planer finns kvar.")
        got = store.contents(1)
        assert got.plan == Plan("Gammal plan", kommun="0126", id=1, version=1)
        assert got.areas == (PlanArea("0126R001", "Flemingsberg västra", plan_id=1, id=1,
                                      version=1),)
        assert got.actions == (Action("0126R001", "Läxhjälp", "Civilsamhället",
                                      dt.date(2025, 2, 1), plan_id=1, id=1, version=1),)
        priced = store.update_action(replace(got.actions[0], cost_sek=80_000.0), who="anna")
        assert store.contents(1).actions == (priced,)
    with PlanStore.open(plans_db_url) as again:                 # nothing more to do
        assert again.upgraded_from == migrations.head_revision() and again.notice is None


def test_downgrade_and_upgrade_again_keep_the_rows(store, plan, two_areas, engine):
    store.add_action(plan.id, an_action(cost_sek=None), who="anna")
    with engine.begin() as connection:
        migrations.downgrade(connection, "0001")
        assert migrations.current_revision(connection) == "0001"
        migrations.upgrade(connection)
    assert store.contents(plan.id).actions[0].title == "Fältassistenter kvällstid"
    assert len(store.contents(plan.id).areas) == 2


def _schema_differences(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, schema.metadata)


def test_the_migrated_database_is_exactly_the_schema(store, engine):
    assert _schema_differences(engine) == []


def test_the_schema_comparison_sees_a_missing_migration(engine):
    with engine.begin() as connection:
        migrations.upgrade(connection, "0001")
    kinds = sorted(d[0] if isinstance(d, tuple) else d[0][0] for d in _schema_differences(engine))
    # 0002: actions.cost_sek and an index; 0003: the audit chain's three columns and index;
    # 0004: plans.name_key and its unique index; 0005: the table recommendation_overrides
    # and its unique index of the current override per area
    assert kinds == ["add_column"] * 5 + ["add_index"] * 4 + ["add_table"]


def test_a_database_newer_than_this_prevmap_is_refused(store, plans_db_url, engine):
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(PlanDatabaseError, match="har schemaversion 0099, som den här "
                                                "versionen av prevmap inte känner till"):
        PlanStore.open(plans_db_url)


def test_two_stores_opening_a_new_database_at_once_both_work(plans_db_url):
    opened, errors = [], []

    def open_one() -> None:
        try:
            opened.append(PlanStore.open(plans_db_url))
        except BaseException as err:          # reported below
            errors.append(err)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert errors == [] and len(opened) == 4
        assert sum(s.upgraded_from is None for s in opened) >= 1
    finally:
        for store in opened:
            store.close()


# -- where the database is ----------------------------------------------------------------

@pytest.fixture
def clean_env(monkeypatch, tmp_path) -> Path:
    """No prevmap settings from the machine: HOME is an empty folder."""
    for name in ("PREVMAP_DATABASE_URL", "PREVMAP_CONFIG", "PREVMAP_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_database_url_is_resolved_in_order(clean_env, monkeypatch, tmp_path):
    home = clean_env
    default = f"sqlite:///{home}/.local/share/prevmap/plans.sqlite"
    assert database_url() == default and (home / ".local/share/prevmap").is_dir()

    monkeypatch.setenv("PREVMAP_DATA", str(tmp_path / "data"))
    assert database_url() == f"sqlite:///{tmp_path}/data/plans.sqlite"

    user_file = home / ".config/prevmap/prevmap.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text('[database]\nurl = "sqlite:////srv/user.sqlite"\n', encoding="utf-8")
    assert database_url() == "sqlite:////srv/user.sqlite"

    named = tmp_path / "named.toml"
    named.write_text('[database]\nurl = "postgresql://anna@db/prevmap"\n', encoding="utf-8")
    monkeypatch.setenv("PREVMAP_CONFIG", str(named))
    assert database_url() == "postgresql://anna@db/prevmap"

    monkeypatch.setenv("PREVMAP_DATABASE_URL", "sqlite:////srv/env.sqlite")
    assert database_url() == "sqlite:////srv/env.sqlite"
    assert database_url("sqlite:////srv/explicit.sqlite") == "sqlite:////srv/explicit.sqlite"
    assert database_url("") == "sqlite:////srv/env.sqlite"


def test_a_settings_file_without_database_falls_back(clean_env, monkeypatch, tmp_path):
    named = tmp_path / "prevmap.toml"
    named.write_text('[annat]\nx = 1\n', encoding="utf-8")
    monkeypatch.setenv("PREVMAP_CONFIG", str(named))
    monkeypatch.setenv("PREVMAP_DATA", str(tmp_path / "data"))
    assert database_url() == f"sqlite:///{tmp_path}/data/plans.sqlite"


@pytest.mark.parametrize(("text", "message"), [
    ("[database]\nurl = 5\n",
     "inställning '[database] url': databasadressen ska vara en text. Värden: 5."),
    ("[database\n", ": inställningsfilen kan inte läsas: "),
], ids=["url-not-text", "not-toml"])
def test_a_bad_settings_file_is_named(clean_env, monkeypatch, tmp_path, text, message):
    named = tmp_path / "prevmap.toml"
    named.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PREVMAP_CONFIG", str(named))
    with pytest.raises(PlanDatabaseError, match="^Databasen för åtgärdsplaner kan inte "
                                                "användas: fil ") as caught:
        database_url()
    assert str(caught.value).startswith(
        f"Databasen för åtgärdsplaner kan inte användas: fil '{named}'")
    assert message in str(caught.value)


def test_a_settings_file_named_but_missing_is_an_error(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PREVMAP_CONFIG", str(tmp_path / "saknas.toml"))
    with pytest.raises(PlanDatabaseError, match="inställningsfilen finns inte. Åtgärd: skapa "
                                                "filen, eller ta bort miljövariabeln "
                                                "PREVMAP_CONFIG"):
        database_url()


def test_postgresql_urls_use_psycopg():
    assert engine_url("postgresql://anna:pw@db:5433/plans").drivername == "postgresql+psycopg"
    assert engine_url("postgres://anna@db/plans").drivername == "postgresql+psycopg"
    assert engine_url("postgresql+psycopg://db/plans").drivername == "postgresql+psycopg"
    assert engine_url("sqlite:////x/plans.sqlite").drivername == "sqlite"
    with pytest.raises(PlanDatabaseError, match="databasen 'mysql://anna:\\*\\*\\*@db/plans' "
                                                "stöds inte"):
        engine_url("mysql://anna:hemligt@db/plans")
    with pytest.raises(PlanDatabaseError, match="'inte en adress' är ingen databasadress"):
        engine_url("inte en adress")


def test_a_plain_postgresql_url_opens(postgres_url):
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with PlanStore.open(plain) as store:
        assert store.backend == "postgresql" and store.plans() == ()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_database_that_cannot_be_opened_is_named_without_its_password(tmp_path):
    port = _closed_port()
    with pytest.raises(PlanDatabaseError, match=r"kan inte användas: databasen "
                                                r"'postgresql://anna:\*\*\*@127\.0\.0\.1:") \
            as caught:
        PlanStore.open(f"postgresql://anna:hemligt@127.0.0.1:{port}/planer")
    message = str(caught.value)
    assert message.startswith("Databasen för åtgärdsplaner kan inte användas: databasen "
                              f"'postgresql://anna:***@127.0.0.1:{port}/planer' kan inte "
                              "öppnas: ")
    assert "hemligt" not in message and "att databasservern är igång" in message

    missing = tmp_path / "saknas" / "plans.sqlite"
    with pytest.raises(PlanDatabaseError, match=f"databasen 'sqlite:///{missing}' kan inte "
                                                "öppnas: unable to open database file"):
        PlanStore.open(f"sqlite:///{missing}")


def test_the_default_database_is_created_in_the_data_folder(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("PREVMAP_DATA", str(tmp_path / "ny" / "mapp"))
    with PlanStore.open() as store:
        assert store.url == f"sqlite:///{tmp_path}/ny/mapp/plans.sqlite"
        assert store.backend == "sqlite" and store.upgraded_from is None
    assert (tmp_path / "ny" / "mapp" / "plans.sqlite").is_file()


def test_sqlite_is_opened_with_wal_and_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.sqlite'}"
    with PlanStore.open(url):
        pass
    made = create_engine(engine_url(url))
    with made.connect() as connection:
        pragmas = {p: connection.exec_driver_sql(f"PRAGMA {p}").scalar_one()
                   for p in ("journal_mode", "foreign_keys", "busy_timeout")}
    made.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


def test_an_area_may_be_replaced_in_one_save(store, plan, two_areas, catalogue):
    old = two_areas[0]
    goal = store.add_goal(plan.id, a_goal(), catalogue, who="anna")
    saved = store.save_many(plan.id, remove=[old], remove_contents=True,
                            areas=[PlanArea("0126R001", "Flemingsberg västra",
                                            reason="Ny bedömning")],
                            goals=[replace(goal, id=None, version=0, target_value=8.0)],
                            catalogue=catalogue, who="bo")
    got = store.contents(plan.id)
    assert got.areas == (two_areas[1], saved.areas[0]) and got.goals == saved.goals
    assert [(e.entity, e.operation) for e in store.history(plan.id)[-4:]] == [
        ("goal", "borttagen"), ("area", "borttagen"), ("area", "skapad"), ("goal", "skapad")]


def test_an_item_to_add_has_no_id_and_an_item_to_change_has_one(store, plan, two_areas):
    with pytest.raises(PlanInputError, match="området har redan id .* i databasen. Åtgärd: "
                                             "spara ändringar med update_area"):
        store.add_area(plan.id, two_areas[0], who="anna")
    with pytest.raises(PlanInputError, match="insatsen saknar id"):
        store.update_action(an_action(), who="anna")


def test_sqlite_in_memory_works_for_trying_out():
    with PlanStore.open("sqlite://") as store:
        plan = store.create_plan(Plan("Prov"), who="anna")
        assert store.plans() == (plan,)


def test_a_plan_name_is_unique_within_its_kommun(store, plan):
    for name in ("Trygg uppväxt 2027", "  TRYGG  uppväxt 2027 "):
        with pytest.raises(PlanInputError,
                           match="det finns redan en plan som heter 'Trygg uppväxt 2027' i "
                                 "kommunen"):
            store.create_plan(Plan(name, kommun="0126"), who="bo")
    # Another kommun, or no kommun, may use the name.
    elsewhere = store.create_plan(Plan("Trygg uppväxt 2027", kommun="0127"), who="bo")
    store.create_plan(Plan("Trygg uppväxt 2027"), who="bo")
    with pytest.raises(PlanInputError, match="bland planerna utan kommun"):
        store.create_plan(Plan("trygg uppväxt 2027"), who="bo")
    # A renaming to a taken name is refused too; keeping one's own name is not a clash.
    other = store.create_plan(Plan("Åtgärder i Flemingsberg", kommun="0126"), who="bo")
    with pytest.raises(PlanInputError, match="heter 'Trygg uppväxt 2027'"):
        store.update_plan(replace(other, name="trygg uppväxt 2027"), who="bo")
    store.update_plan(replace(plan, description="Ny beskrivning"), who="anna")
    # SQLite's lower() does not fold Å: the names are compared in Python.
    with pytest.raises(PlanInputError, match="heter 'Åtgärder i Flemingsberg'"):
        store.create_plan(Plan("åtgärder i flemingsberg", kommun="0126"), who="bo")
    # A removed plan's name is free again.
    store.remove_plan(next(p for p in store.plans() if p.id == elsewhere.id), who="bo")
    store.create_plan(Plan("Trygg uppväxt 2027", kommun="0127"), who="bo")
