"""Plan names unique per kommun in the database itself (issue 18, migration 0004): the
unique index on (kommun, name_key) refuses what the store's own check lets through (two
saves at the same instant), with the store's Swedish message; an old database whose
plans share a name is renamed with a suffix, each renaming in the plan's history and in
the upgrade's notice. Each on a SQLite file and on PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa
from test_plans_store import engine, store  # noqa: F401 - the fixtures, on both databases

from plans import migrations
from plans import store as store_module
from plans.model import Plan, PlanInputError
from plans.store import UPGRADE_RENAMER, PlanStore, name_key

TAKEN = "det finns redan en plan som heter"


def test_the_index_alone_refuses_a_name_a_reader_cannot_tell_apart(store, monkeypatch):  # noqa: F811
    """The store's check switched off: the database refuses by itself, and the store says
    so in its own words."""
    monkeypatch.setattr(store_module, "_check_name_free", lambda *_: None)
    first = store.create_plan(Plan("Trygg uppväxt", kommun="0126"), who="anna")
    with pytest.raises(PlanInputError, match=f"{TAKEN} '  TRYGG  uppväxt ' i kommunen"):
        store.create_plan(Plan("  TRYGG  uppväxt ", kommun="0126"), who="bo")
    other = store.create_plan(Plan("Trygg uppväxt", kommun="0127"), who="bo")  # another kommun
    with pytest.raises(PlanInputError, match=f"{TAKEN} 'trygg uppväxt' i kommunen"):
        store.update_plan(replace(other, kommun="0126", name="trygg uppväxt"), who="bo")
    store.remove_plan(first, who="anna")                    # a removed plan's name is free
    again = store.create_plan(Plan("Trygg uppväxt", kommun="0126"), who="bo")
    assert [p.id for p in store.plans()] == [other.id, again.id]
    assert store.verify_audit().ok


def test_two_saves_of_one_name_at_the_same_instant_one_wins(  # noqa: F811
        store, plans_db_url, monkeypatch):  # noqa: F811
    """Two sessions save a plan of the same name at once. On PostgreSQL both are held after
    the store's check until both have passed it (each reads only what was committed), so
    the index is what decides; SQLite's write lock (BEGIN IMMEDIATE) makes the second wait
    for the first, and its check sees the first's plan."""
    postgres = store.backend == "postgresql"
    both_checked = threading.Barrier(2, timeout=30)
    check = store_module._check_name_free

    def check_then_wait(connection, plan):
        check(connection, plan)
        if postgres:
            both_checked.wait()

    monkeypatch.setattr(store_module, "_check_name_free", check_then_wait)
    start = threading.Barrier(2, timeout=30)
    saved, refused, other = [], [], []

    def save(who: str) -> None:
        with PlanStore.open(plans_db_url) as own:           # a session of its own
            start.wait()
            try:
                saved.append(own.create_plan(Plan("Trygg uppväxt", kommun="0126"), who=who))
            except PlanInputError as err:
                refused.append(str(err))
            except BaseException as err:                    # reported below
                other.append(err)

    threads = [threading.Thread(target=save, args=(who,)) for who in ("anna", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert other == [] and len(saved) == 1 and len(refused) == 1, (saved, refused, other)
    assert f"{TAKEN} 'Trygg uppväxt' i kommunen" in refused[0]
    assert store.plans() == tuple(saved)
    assert store.verify_audit().ok                # the loser left no row in the history


def test_an_old_database_with_duplicate_names_is_renamed_with_the_history(
        store, plans_db_url, engine):  # noqa: F811
    """Plans of one kommun named alike before 0004 (written through the store, then
    renamed as two simultaneous saves could have left them): the oldest keeps its name,
    the others get the first free suffix, one more version and an audit row each, and the
    upgrade's notice names them. Removed plans and other kommuner keep theirs."""
    made = [store.create_plan(Plan(name, kommun=kommun), who="anna") for name, kommun in (
        ("A", "0126"), ("B", "0126"), ("C", "0126"), ("D", "0127"), ("E", "0126"))]
    store.remove_plan(made[4], who="anna")
    names = {1: "Trygg uppväxt", 2: "trygg  UPPVÄXT", 3: "Trygg uppväxt (2)",
             4: "Trygg uppväxt", 5: "Trygg uppväxt"}
    ids = {k: made[k - 1].id for k in names}
    with engine.begin() as connection:
        migrations.downgrade(connection, "0003")
        for k, name in names.items():
            connection.execute(sa.text("UPDATE plans SET name = :name WHERE id = :id"),
                               {"name": name, "id": ids[k]})

    with PlanStore.open(plans_db_url) as upgraded:
        assert upgraded.upgraded_from == "0003"
        assert upgraded.notice.endswith(
            "En plan hade samma namn som en äldre plan i samma kommun och fick ett tillägg, "
            "som står i historiken: 'trygg  UPPVÄXT' → 'trygg  UPPVÄXT (3)'. Byt gärna till "
            "ett tydligare namn.")
        current = {p.id: p for p in upgraded.plans()}
        assert {k: current[ids[k]].name for k in (1, 2, 3, 4)} == {
            1: "Trygg uppväxt", 2: "trygg  UPPVÄXT (3)", 3: "Trygg uppväxt (2)",
            4: "Trygg uppväxt"}
        assert current[ids[2]].version == made[1].version + 1
        last = upgraded.history(ids[2])[-1]
        assert (last.who, last.operation, last.before["name"], last.after["name"]) == (
            UPGRADE_RENAMER, "ändrad", "trygg  UPPVÄXT", "trygg  UPPVÄXT (3)")
        assert upgraded.verify_audit().ok
        with pytest.raises(PlanInputError, match=TAKEN):          # and unique from now on
            upgraded.update_plan(replace(current[ids[4]], kommun="0126"), who="bo")
    with engine.connect() as connection:
        keys = dict(connection.execute(sa.text("SELECT id, name_key FROM plans")).all())
    assert keys == {ids[k]: name_key(names[k]) for k in (1, 3, 4, 5)} | {
        ids[2]: "trygg uppväxt (3)"}
