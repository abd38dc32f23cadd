"""An åtgärdsplan on the embedded Huddinge demo, for the export and report tests.

Three areas and four goals whose follow-up on the demo history (2021–2024, disclosure
control on, threshold 5) is known:

* 0126R001, low economic standard 54,3 % (2022) -> 43,4 % (2026): 57,5 % in 2024, the line
  at 48,85 %: "inte på väg";
* 0126R001, behöriga yrkesprogram 72,2 % (2022) -> 57,7 % (2026): 69,1 % in 2024, the line
  at 64,95 %: "inte på väg" (a goal against the indicator's direction, followed as set);
* 0126R002, våldsbrott 128,4 ‰ (2022) -> 102,7 ‰ (2026): 116,2 ‰ in 2024, the line at
  115,55 ‰: "inte på väg";
* 0126R003, behöriga yrkesprogram 100 % (2021) -> 80 % (2026): 2022–2024 hidden by
  disclosure control: "kan inte mätas".

``text`` goes into every field a user writes (plan name and description, area name and
reason, goal and action notes, action title and actor), for the escaping tests.
"""

from __future__ import annotations

import datetime as dt

from plans.model import Action, AuditEntry, Goal, Plan, PlanArea, PlanContents

GOALS = (("0126R001", "barn_lag_ek_standard", "%", 2022, 54.3, 43.4),
         ("0126R001", "behorighet_yrkesprogram", "%", 2022, 72.2, 57.7),
         ("0126R002", "valdsbrott", "per 1 000", 2022, 128.4, 102.7),
         ("0126R003", "behorighet_yrkesprogram", "%", 2021, 100.0, 80.0))
STATUSES = ("inte på väg", "inte på väg", "inte på väg", "kan inte mätas")


def demo_plan(text: str = "") -> PlanContents:
    goals = tuple(Goal(area, ind, unit, year, base, target, 2026, note=text,
                       plan_id=1, id=k)
                  for k, (area, ind, unit, year, base, target) in enumerate(GOALS, 1))
    actions = (Action("0126R001", f"Fältgrupp {text}".strip(), f"Socialnämnden {text}".strip(),
                      dt.date(2025, 1, 1), None, 250_000.0, text, plan_id=1, id=1),
               Action("0126R002", "Läxhjälp", "Civilsamhället", dt.date(2025, 3, 1),
                      dt.date(2025, 12, 31), None, "", plan_id=1, id=2))
    history = (AuditEntry(dt.datetime(2025, 1, 3, 9, 30), "bo", "action", 1, "skapad",
                          None, {"title": f"Fältgrupp {text}".strip()}, plan_id=1, id=2),
               AuditEntry(dt.datetime(2025, 1, 2, 10, 0), "anna", "plan", 1, "skapad",
                          None, {"name": "Trygg uppväxt"}, plan_id=1, id=1))
    return PlanContents(
        Plan(f"Trygg uppväxt {text}".strip(), "0126", f"Beskrivning {text}".strip(), id=1,
             version=3),
        areas=(PlanArea("0126R001", f"Flemingsberg västra {text}".strip(),
                        f"Hög prioritet {text}".strip(), plan_id=1, id=1),
               PlanArea("0126R002", "Flemingsberg östra", "", plan_id=1, id=2),
               PlanArea("0126R003", "Tre", "", plan_id=1, id=3)),
        goals=goals, actions=actions, history=history)
