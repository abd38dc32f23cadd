"""The plan database under load: 20 users editing one goal at once, on PostgreSQL and SQLite.

    .venv/bin/python benchmarks/bench_plans_store.py                 # both backends
    .venv/bin/python benchmarks/bench_plans_store.py --no-postgres   # SQLite only

Each of ``--editors`` threads opens its own PlanStore (as separate users or app processes
would) and appends its token to the same goal's note, reading the plan again and retrying
on every PlanConflictError. Timed from the moment all start together until the last edit
is in; afterwards every token must be in the note and the audit trail must have one change
per editor ("lost updates" counts the missing ones: always 0). Also timed: saving a plan of
30 areas, 120 goals and 120 actions in one save_many, and reading it back with contents().
PostgreSQL is a throwaway cluster started as in the tests (tests/postgres.py: Debian's
binaries, or ``$PREVMAP_TEST_POSTGRES_URL``). Wall-clock medians; not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres import postgres_missing, running_postgres  # noqa: E402

from geo.io.files import read_catalogue  # noqa: E402
from plans.model import Action, Goal, Plan, PlanArea, PlanConflictError  # noqa: E402
from plans.store import PlanStore  # noqa: E402

CATALOGUE = read_catalogue(ROOT / "data" / "indicator_catalogue.csv")


def a_goal(area_id: str, note: str = "") -> Goal:
    return Goal(area_id=area_id, indicator_id="valdsbrott", unit="per 1 000",
                baseline_year=2024, baseline_value=14.2, target_value=9.5, target_year=2030,
                note=note)


def concurrent_edits(url: str, editors: int) -> tuple[float, int, int, int]:
    """Seconds, conflicts retried, lost updates, audit changes."""
    with PlanStore.open(url) as setup:
        plan = setup.create_plan(Plan("Bänk"), who="setup")
        setup.add_area(plan.id, PlanArea("0126R001"), who="setup")
        goal = setup.add_goal(plan.id, a_goal("0126R001"), CATALOGUE, who="setup")
    stores = [PlanStore.open(url) for _ in range(editors)]
    conflicts = [0] * editors
    errors: list[BaseException] = []
    go = threading.Barrier(editors + 1)

    def edit(k: int) -> None:
        try:
            go.wait(timeout=60)
            while True:
                read = stores[k].contents(plan.id).goals[0]
                try:
                    stores[k].update_goal(replace(read, note=f"{read.note}[{k}]"), CATALOGUE,
                                          who=f"user{k}")
                    return
                except PlanConflictError:
                    conflicts[k] += 1
        except BaseException as err:          # reported below
            errors.append(err)

    threads = [threading.Thread(target=edit, args=(k,)) for k in range(editors)]
    for thread in threads:
        thread.start()
    go.wait(timeout=60)
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    for store in stores:
        store.close()
    if errors:
        raise errors[0]
    with PlanStore.open(url) as check:
        note = check.contents(plan.id).goals[0].note
        changes = [e for e in check.history(plan.id, "goal", goal.id) if e.operation == "ändrad"]
    lost = sum(f"[{k}]" not in note for k in range(editors))
    return seconds, sum(conflicts), lost, len(changes)


def big_plan(url: str) -> tuple[float, float]:
    """Seconds to save 30 areas, 120 goals, 120 actions in one save_many; to read them."""
    areas = [PlanArea(f"0126R{i:03d}", f"Område {i}") for i in range(1, 31)]
    goals = [a_goal(a.area_id, f"mål {j}") for a in areas for j in range(4)]
    actions = [Action(a.area_id, f"Insats {j}", "Socialnämnden", dt.date(2027, 1, 1),
                      dt.date(2028, 6, 30), 100_000.0 * j) for a in areas for j in range(4)]
    with PlanStore.open(url) as store:
        plan = store.create_plan(Plan("Stor plan"), who="bänk")
        start = time.perf_counter()
        store.save_many(plan.id, areas=areas, goals=goals, actions=actions,
                        catalogue=CATALOGUE, who="bänk")
        saved = time.perf_counter() - start
        start = time.perf_counter()
        got = store.contents(plan.id)
        read = time.perf_counter() - start
    assert (len(got.areas), len(got.goals), len(got.actions)) == (30, 120, 120)
    return saved, read


def measure(backend: str, fresh: Callable[[], object], editors: int, repeat: int,
            rows: list) -> None:
    runs = []
    for _ in range(repeat):
        with fresh() as url:
            runs.append(concurrent_edits(url, editors))
    seconds, conflicts, lost, changes = (statistics.median(r[i] for r in runs) for i in range(4))
    assert all(r[2] == 0 and r[3] == editors for r in runs), runs
    rows.append((backend, f"{editors} edits of one goal", seconds, int(conflicts), int(lost)))
    sizes = []
    for _ in range(repeat):
        with fresh() as url:
            sizes.append(big_plan(url))
    rows.append((backend, "save_many 30 areas + 240 items",
                 statistics.median(s for s, _ in sizes), None, None))
    rows.append((backend, "contents() of that plan", statistics.median(r for _, r in sizes),
                 None, None))


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="prevmap-bench-") as folder:
        yield f"sqlite:///{folder}/plans.sqlite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    rows: list = []
    if args.no_postgres:
        print("PostgreSQL: skipped (--no-postgres)")
    elif reason := postgres_missing():
        print(f"PostgreSQL: skipped ({reason})")
    else:
        with running_postgres() as server:
            @contextmanager
            def postgres_database() -> Iterator[str]:
                url = server.create_database()
                try:
                    yield url
                finally:
                    server.drop_database(url)

            measure("PostgreSQL", postgres_database, args.editors, args.repeat, rows)
    measure("SQLite", sqlite_database, args.editors, args.repeat, rows)

    print(f"\nPython {platform.python_version()}, median of {args.repeat} runs\n")
    print(f"{'backend':<11} {'what':<32} {'seconds':>8} {'conflicts retried':>18} "
          f"{'lost updates':>13}")
    for backend, what, seconds, conflicts, lost in rows:
        extra = f"{conflicts:>18} {lost:>13}" if conflicts is not None else ""
        print(f"{backend:<11} {what:<32} {seconds:>8.3f} {extra}")


if __name__ == "__main__":
    main()
