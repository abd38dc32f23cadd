"""Tables and texts the åtgärdsplan tab shows, built from a plan and its follow-up: each
goal with its baseline, target, latest value and verdict; the actions; the history of
changes; the plan's follow-up in a sentence; a plan's name made a file name.

Pure (no database, no files, no widgets): plain frames with Swedish headers and strings,
tested without Streamlit. Numbers are written by :func:`indicators.swedish.format_number`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from indicators.catalogue import Catalogue
from indicators.swedish import format_number
from plans.followup import STATUSES, Change, FollowUp
from plans.model import FIELD_LABELS, Action, AuditEntry, Goal, PlanContents

GOAL_COLUMNS = ("Indikator", "Enhet", "Utgångsläge", "Mål", "Senast", "Enligt linjen",
                "Status", "Förklaring", "Större än osäkerheten?", "Måluppfyllelse")
ACTION_COLUMNS = ("Insats", "Ansvarig", "Start", "Slut", "Kostnad (kr)", "Kommentar")
HISTORY_COLUMNS = ("När", "Vem", "Vad", "Ändring", "Fält")
OPERATIONS = {"skapad": "Skapad", "ändrad": "Ändrad", "borttagen": "Borttagen"}
ENTITIES = {"plan": "Planen", "area": "Område", "goal": "Mål", "action": "Insats",
            "override": "Ändrad rekommendation"}
#: What the history records with a row drafted from the recommendation (issue 19): in the
#: ``after`` of its audit row "skapad", ``{ORIGIN_KEY: ORIGIN, SETTINGS_KEY: digest}``.
ORIGIN_KEY, ORIGIN, SETTINGS_KEY = "ursprung", "rekommendation", "installningar"
#: The digest's first characters, as the plan shows them.
DIGEST_SHOWN = 12


def draft_origins(history: Iterable[AuditEntry]) -> dict[tuple[str, int], str]:
    """Per item drafted from the recommendation, (entity, id), where it came from, as the
    plan shows it: "från rekommendationen 2026-12-06, inställningar 0123456789ab" (the
    date it was created, the first characters of the analysis digest)."""
    found = {}
    for e in history:
        after = e.after or {}
        if e.operation == "skapad" and after.get(ORIGIN_KEY) == ORIGIN:
            digest = str(after.get(SETTINGS_KEY, ""))[:DIGEST_SHOWN]
            found[e.entity, e.entity_id] = (f"från rekommendationen {e.at:%Y-%m-%d}, "
                                            f"inställningar {digest}")
    return found


DRAFT_COLUMNS = ("Slag", "Vad", "Ursprung")


def draft_table(contents: PlanContents, area_id: str,
                names: Mapping[str, str]) -> pd.DataFrame:
    """The goals and actions of ``area_id`` that were drafted from the recommendation, as
    they are now (edited or not), each with where it came from (:func:`draft_origins`;
    the contents read with their history)."""
    origins = draft_origins(contents.history)
    rows = [{"Slag": "Mål", "Vad": names.get(g.indicator_id, g.indicator_id),
             "Ursprung": origins["goal", g.id]}
            for g in contents.goals_in(area_id) if ("goal", g.id) in origins]
    rows += [{"Slag": "Insats", "Vad": f"{a.title} ({a.actor})",
              "Ursprung": origins["action", a.id]}
             for a in contents.actions_in(area_id) if ("action", a.id) in origins]
    return pd.DataFrame(rows, columns=list(DRAFT_COLUMNS))


def indicator_names(catalogue: Catalogue) -> dict[str, str]:
    """Indicator id to its Swedish name, for every indicator of ``catalogue``."""
    return {i: catalogue[i].name for i in catalogue}


def goal_table(followup: FollowUp, area_id: str) -> pd.DataFrame:
    """One row per goal of ``area_id``: baseline and target with their years, the latest
    value, where the straight line from baseline to target says it should be, the status,
    whether the change is larger than its uncertainty (with its interval) and whether
    that interval reaches the change the goal asks for (:func:`goal_attainment`)."""
    rows = []
    for g in followup.in_area(area_id):
        goal, change = g.goal, g.change
        if change.change is None:
            certainty = change.reason or change.verdict
        else:
            certainty = (f"{change.verdict} ({format_number(change.change)}; "
                         f"{format_number(change.ci_low)} till {format_number(change.ci_high)})")
        rows.append({
            "Indikator": g.indicator_name, "Enhet": goal.unit,
            "Utgångsläge": f"{format_number(goal.baseline_value)} ({goal.baseline_year})",
            "Mål": f"{format_number(goal.target_value)} ({goal.target_year})",
            "Senast": ("–" if g.latest_value is None
                       else f"{format_number(g.latest_value)} ({g.latest_year})"),
            "Enligt linjen": "–" if g.expected is None else format_number(g.expected),
            "Status": g.status,
            "Förklaring": g.reason,
            "Större än osäkerheten?": certainty,
            "Måluppfyllelse": goal_attainment(change),
        })
    return pd.DataFrame(rows, columns=list(GOAL_COLUMNS))


def goal_attainment(change: Change) -> str:
    """Whether the goal is reached by the interval of the change, with the change the goal
    asks for: "osäkert (målet kräver -6,70; intervallet -12,10 till -1,00)"."""
    if change.required is None or change.ci_low is None or change.ci_high is None:
        return change.attainment
    return (f"{change.attainment} (målet kräver {format_number(change.required)}; intervallet "
            f"{format_number(change.ci_low)} till {format_number(change.ci_high)})")


def goal_label(goal: Goal, names: Mapping[str, str]) -> str:
    """A goal as the edit list names it: its indicator (by name when ``names`` has it),
    the target and the target year."""
    name = names.get(goal.indicator_id, goal.indicator_id)
    return f"{name} → {format_number(goal.target_value)} ({goal.target_year})"


def action_table(actions: tuple[Action, ...]) -> pd.DataFrame:
    """One row per action: what, who, when (an open end is "pågår"), cost, comment."""
    return pd.DataFrame([{
        "Insats": a.title, "Ansvarig": a.actor, "Start": a.start.isoformat(),
        "Slut": a.end.isoformat() if a.end else "pågår",
        "Kostnad (kr)": "–" if a.cost_sek is None else format_number(a.cost_sek, 0),
        "Kommentar": a.note} for a in actions], columns=list(ACTION_COLUMNS))


def history_table(entries: tuple[AuditEntry, ...],
                  names: Mapping[str, str]) -> pd.DataFrame:
    """The plan's history, newest first: when, who, what (a goal by its indicator's name
    in ``names`` and its area), the operation and each changed field as before → after."""
    rows = []
    for e in reversed(entries):
        before, after = e.before or {}, e.after or {}
        changed = [k for k in after if k not in ("version", "id") and before.get(k)
                   != after.get(k)] if before and after else []
        item = after or before
        what = item.get("title") or item.get("name") or ""
        if item.get("indicator_id"):
            ind = item["indicator_id"]
            what = f"{names.get(ind, ind)}, {item['area_id']}"
        elif not what:
            what = item.get("area_name") or item.get("area_id") or ""
        rows.append({"När": e.at.strftime("%Y-%m-%d %H:%M"), "Vem": e.who,
                     "Vad": f"{ENTITIES.get(e.entity, e.entity)} {what}".strip(),
                     "Ändring": OPERATIONS.get(e.operation, e.operation),
                     "Fält": ", ".join(f"{FIELD_LABELS.get(k, k)}: {before.get(k)} → "
                                       f"{after.get(k)}" for k in changed)})
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def followup_method(followup: FollowUp) -> str:
    """The years the follow-up measures and what 'På väg' means."""
    years = followup.years
    span = f"{years[0]}–{years[-1]}" if years else "inga år"
    return (f"Data: {span}. 'På väg' = minst så långt som en rak linje från utgångsvärdet "
            "till målet; 'målet nått' bara när hela konfidensintervallet för förändringen "
            "når målet ('uppnått'); värden som döljs av röjandekontrollen räknas som 'kan "
            "inte mätas'.")


def plan_summary(followup: FollowUp) -> str:
    """The whole plan in a sentence: how many goals have each status, of how many, and
    how they are measured."""
    whole = followup.summary().loc["Hela planen"]
    return ("Hela planen: " + ", ".join(f"{int(whole[s])} {s}" for s in STATUSES)
            + f" av {int(whole['Antal mål'])} mål. {followup_method(followup)}")


def file_stem(name: str) -> str:
    """A plan's name as the start of a file name: letters and digits kept, anything else
    an underscore, none at either end; "plan" when nothing is left."""
    return "".join(c if c.isalnum() else "_" for c in name).strip("_") or "plan"
