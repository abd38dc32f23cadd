"""Follow-up of an åtgärdsplan: 20 areas, 100 goals, 10 yearly tables.

    .venv/bin/python benchmarks/bench_plans_followup.py [--repeat 15]

The yearly tables are synthetic, built from the shape of the embedded Huddinge demo table
(its areas, columns and denominators): 20 areas, every year's counts drawn around the demo
counts (seeded, so every run times the same data), with some small counts so that
disclosure control hides a few values. 100 goals: five per area on indicators picked at
random, baselines in the first three years, targets a few years after the last year.

Timed (wall-clock medians): the whole follow-up from the raw tables (validation,
disclosure control and values for every year, status and change of every goal), the
measuring step alone, the follow-up from tables already measured, and ``baseline_for``.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

from geo.inputs import Inputs, load_inputs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from timing import median_time  # noqa: E402

from plans.followup import STATUSES, baseline_for, follow_up, measure  # noqa: E402
from plans.model import Goal, Plan, PlanArea, PlanContents  # noqa: E402
from plans.store import PlanStore  # noqa: E402

SEED = 20261123
N_AREAS, N_GOALS, N_YEARS, FIRST_YEAR = 20, 100, 10, 2015


def synthetic_tables(inputs: Inputs, rng: np.random.Generator
                     ) -> dict[int, pd.DataFrame]:
    """Ten years of counts shaped like the demo table (its first 20 areas)."""
    base = inputs.table.iloc[:N_AREAS].reset_index(drop=True)
    catalogue = inputs.catalogue
    tables = {}
    for k in range(N_YEARS):
        year = FIRST_YEAR + k
        table = base.copy()
        for ind in catalogue.values():
            if not ind.is_rate:
                continue
            den = base[ind.denominator].to_numpy(dtype=float)
            known = ~np.isnan(den) & ~np.isnan(base[ind.numerator].to_numpy(dtype=float))
            den = np.where(known, den, 0)
            rate = np.where(known, base[ind.numerator].to_numpy(dtype=float), 0) \
                / np.maximum(den, 1)
            drift = 1 + 0.03 * (k - N_YEARS / 2) / N_YEARS
            rate = np.clip(rate * drift * rng.lognormal(0, 0.1, len(den)), 0, 1)
            drawn = (rng.binomial(den.astype(int), rate) if ind.per == 100
                     else rng.poisson(den * rate)).astype(float)
            table[ind.numerator] = np.where(known, drawn, np.nan)   # missing stays missing
        tables[year] = table
    return tables


def synthetic_plan(inputs: Inputs, tables: dict[int, pd.DataFrame],
                   rng: np.random.Generator) -> PlanContents:
    """Five goals per area: the baseline from the data where it is measurable, the target
    a fifth less need a few years after the last year."""
    catalogue = inputs.catalogue
    areas = list(tables[FIRST_YEAR]["area_id"])
    indicators = list(catalogue)
    measured = measure(tables, catalogue)
    goals = []
    for k in range(N_GOALS):
        area = areas[k % N_AREAS]
        ind = catalogue[indicators[rng.integers(len(indicators))]]
        baseline_year = FIRST_YEAR + int(rng.integers(3))
        value, _ = measured.value(baseline_year, area, ind.id)
        value = float(rng.uniform(5, 60)) if value is None else round(value, 1)
        target = value * 0.8 if ind.direction > 0 else min(value * 1.2, 100.0)
        goals.append(Goal(area, ind.id, ind.unit, baseline_year, value, round(target, 1),
                          FIRST_YEAR + N_YEARS + int(rng.integers(1, 5))))
    return PlanContents(Plan("Benchmarkplan", "0126"),
                        tuple(PlanArea(a, f"Område {a}") for a in areas), tuple(goals))


def app_rows(url: str, plan_id: int, repeat: int) -> list[tuple[str, float]]:
    """The app's Åtgärdsplan tab on this plan (its goals followed up on the app's own data,
    Huddinge 2021–2024): a whole rerun of the script with the tab open."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["PREVMAP_DATABASE_URL"] = url
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    app.session_state["tab"] = "Åtgärdsplan"
    app.session_state["plan_id"] = plan_id
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return [("appen: fliken Åtgärdsplan öppen, hela omkörningen", median_time(
        lambda: app.run(), repeat))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-app", action="store_true", help="skip the Streamlit rerun")
    args = parser.parse_args()
    inputs = load_inputs()
    rng = np.random.default_rng(SEED)
    tables = synthetic_tables(inputs, rng)
    plan = synthetic_plan(inputs, tables, rng)
    catalogue = inputs.catalogue
    result = follow_up(plan, catalogue, tables)            # warm-up (imports)
    measured = measure(tables, catalogue, indicators=[g.indicator_id for g in plan.goals])
    counts = result.summary().loc["Hela planen"]
    print(f"Python {platform.python_version()}, {platform.machine()}; "
          f"{N_AREAS} områden, {len(plan.goals)} mål, {N_YEARS} år; median av {args.repeat}")
    print("Status: " + ", ".join(f"{s} {counts[s]}" for s in STATUSES))
    rows = [
        ("follow_up från råtabellerna", median_time(
            lambda: follow_up(plan, catalogue, tables), args.repeat)),
        ("  varav measure (10 år)", median_time(
            lambda: measure(tables, catalogue,
                            indicators=[g.indicator_id for g in plan.goals]), args.repeat)),
        ("follow_up från mätta tabeller", median_time(
            lambda: follow_up(plan, catalogue, measured), args.repeat)),
        ("baseline_for (ett mål, råtabeller)", median_time(
            lambda: baseline_for(plan.goals[0].area_id, plan.goals[0].indicator_id,
                                 catalogue, tables), args.repeat)),
    ]
    with tempfile.TemporaryDirectory() as folder, \
            PlanStore.open(f"sqlite:///{Path(folder) / 'plans.sqlite'}") as store:
        saved = store.create_plan(plan.plan, who="bench")
        store.save_many(saved.id, areas=plan.areas, goals=plan.goals, catalogue=catalogue,
                        who="bench")

        def open_view() -> None:
            """What the app's plan tab does: read the plan, follow it up, make the tables."""
            followup = follow_up(store.contents(saved.id), catalogue, tables)
            followup.table()
            followup.summary()
        rows.append(("uppföljningsvyn från SQLite [mål < 0,5 s]",
                     median_time(open_view, args.repeat)))
        rows.append(("  varav contents() ur SQLite", median_time(
            lambda: store.contents(saved.id), args.repeat)))
        if not args.no_app:
            rows += app_rows(store.url, saved.id, max(3, args.repeat // 3))
    for name, seconds in rows:
        print(f"{name:<44} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
