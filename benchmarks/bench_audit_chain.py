"""The audit trail's hash chain: what it costs to write and to verify (SQLite file).

    .venv/bin/python benchmarks/bench_audit_chain.py [--rows 5000] [--repeat 5]

Builds one plan with an area and ``--rows`` actions added one save at a time (each save
one transaction with its chained audit row), then times (wall-clock medians): one more
save of an action (the write path: reading the chain's end, the next id, the hash) and
``PlanStore.verify_audit()`` over every row. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import median_time, timed  # noqa: E402

from plans.model import Action, Plan, PlanArea  # noqa: E402
from plans.store import PlanStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, \
            PlanStore.open(f"sqlite:///{Path(folder) / 'plans.sqlite'}") as store:
        plan = store.create_plan(Plan("Plan"), who="bench")
        store.add_area(plan.id, PlanArea("0126R001"), who="bench")
        action = Action("0126R001", "Insats", "Skolan", dt.date(2027, 1, 1))
        built, _ = timed(lambda: [store.add_action(plan.id, action, who="bench")
                                  for _ in range(args.rows)])
        save = median_time(lambda: store.add_action(plan.id, action, who="bench"),
                           args.repeat)
        check = store.verify_audit()
        assert check.ok, check.message()
        verify = median_time(store.verify_audit, args.repeat)
    print(f"Python {platform.python_version()}, {platform.machine()}")
    print(f"{args.rows} saves, one audit row each: {built:.2f} s "
          f"({built / args.rows * 1000:.2f} ms a save)")
    print(f"one more save (median of {args.repeat}): {save * 1000:.2f} ms")
    print(f"verify_audit over {check.rows} rows (median of {args.repeat}): {verify:.3f} s")


if __name__ == "__main__":
    main()
