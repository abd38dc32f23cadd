"""The åtgärdsplan tab's own tables (plans/views.py), without Streamlit or a database: goals,
actions and history written by hand, with every cell checked."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd

from plans.followup import NOT_MEASURABLE, OFF_TRACK, ON_TRACK, REACHED, STATUSES
from plans.model import Action, AuditEntry, Goal
from plans.views import (
    action_table,
    file_stem,
    followup_method,
    goal_label,
    goal_table,
    history_table,
    indicator_names,
    plan_summary,
)

GOAL = Goal("A1", "valdsbrott_rate", "per 1 000", 2022, 12.5, 8.0, 2026)


def _followed(**change) -> SimpleNamespace:
    """One goal of area A1 as the follow-up sees it in 2024 (a stand-in for GoalFollowUp)."""
    return SimpleNamespace(goal=GOAL, indicator_name="Våldsbrott", latest_value=10.25,
                           latest_year=2024, expected=10.25, status=ON_TRACK,
                           reason="minst så långt som linjen",
                           change=SimpleNamespace(**{"change": None, "reason": "",
                                                     "verdict": "", "required": None,
                                                     "attainment": "kan inte bedömas",
                                                     **change}))


class _FollowUp:
    def __init__(self, goals, years=(2022, 2024)) -> None:
        self.goals, self.years = goals, years

    def in_area(self, area_id: str):
        return tuple(g for g in self.goals if g.goal.area_id == area_id)

    def summary(self) -> pd.DataFrame:
        counts = pd.DataFrame(0, index=["A1", "Hela planen"], columns=list(STATUSES))
        counts.loc[["A1", "Hela planen"], ON_TRACK] = 1
        counts["Antal mål"] = counts[list(STATUSES)].sum(axis=1)
        return counts


def test_a_goal_with_a_change_larger_than_its_uncertainty() -> None:
    followup = _FollowUp([_followed(change=-2.25, ci_low=-3.5, ci_high=-1.0,
                                    verdict="minskning", required=-4.5,
                                    attainment="ej uppnått")])
    assert goal_table(followup, "A1").to_dict("records") == [{
        "Indikator": "Våldsbrott", "Enhet": "per 1 000", "Utgångsläge": "12,50 (2022)",
        "Mål": "8,00 (2026)", "Senast": "10,25 (2024)", "Enligt linjen": "10,25",
        "Status": ON_TRACK, "Förklaring": "minst så långt som linjen",
        "Större än osäkerheten?": "minskning (-2,25; -3,50 till -1,00)",
        "Måluppfyllelse": "ej uppnått (målet kräver -4,50; intervallet -3,50 till -1,00)"}]
    assert goal_table(followup, "A2").empty
    assert list(goal_table(followup, "A2").columns)[0] == "Indikator"


def test_a_goal_not_yet_measured_says_why() -> None:
    unmeasured = _followed(reason="dolt av röjandekontrollen", verdict="kan inte bedömas")
    unmeasured.latest_value, unmeasured.expected = None, None
    row = goal_table(_FollowUp([unmeasured]), "A1").iloc[0]
    assert row["Senast"] == "–" and row["Enligt linjen"] == "–"
    assert row["Större än osäkerheten?"] == "dolt av röjandekontrollen"
    assert row["Måluppfyllelse"] == "kan inte bedömas"


def test_a_goal_named_in_the_edit_list() -> None:
    assert goal_label(GOAL, {"valdsbrott_rate": "Våldsbrott"}) == "Våldsbrott → 8,00 (2026)"
    assert goal_label(GOAL, {}) == "valdsbrott_rate → 8,00 (2026)"


def test_the_actions() -> None:
    actions = (Action("A1", "Fältgrupp", "Socialnämnden", dt.date(2024, 1, 15),
                      cost_sek=1_250_000.0, note="kvällar"),
               Action("A1", "Läxhjälp", "Bibliotek", dt.date(2024, 2, 1),
                      dt.date(2024, 6, 30)))
    assert action_table(actions).to_dict("records") == [
        {"Insats": "Fältgrupp", "Ansvarig": "Socialnämnden", "Start": "2024-01-15",
         "Slut": "pågår", "Kostnad (kr)": "1\u202f250\u202f000", "Kommentar": "kvällar"},
        {"Insats": "Läxhjälp", "Ansvarig": "Bibliotek", "Start": "2024-02-01",
         "Slut": "2024-06-30", "Kostnad (kr)": "–", "Kommentar": ""}]


def test_the_history_newest_first_with_the_changed_fields() -> None:
    at = dt.datetime(2025, 5, 1, 9, 30)
    goal = {"id": 7, "version": 1, "area_id": "A1", "indicator_id": "valdsbrott_rate",
            "target_value": 8.0}
    entries = (
        AuditEntry(at, "Anna", "goal", 7, "skapad", after=goal),
        AuditEntry(at + dt.timedelta(hours=1), "Bo", "goal", 7, "ändrad", before=goal,
                   after={**goal, "version": 2, "target_value": 7.5}),
        AuditEntry(at + dt.timedelta(hours=2), "Cia", "area", 3, "borttagen",
                   before={"area_id": "A2", "area_name": "Norr"}),
        AuditEntry(at + dt.timedelta(hours=3), "Dan", "strange", 1, "okänd", after={}))
    table = history_table(entries, {"valdsbrott_rate": "Våldsbrott"})
    assert table.to_dict("records") == [
        {"När": "2025-05-01 12:30", "Vem": "Dan", "Vad": "strange", "Ändring": "okänd",
         "Fält": ""},
        {"När": "2025-05-01 11:30", "Vem": "Cia", "Vad": "Område Norr",
         "Ändring": "Borttagen", "Fält": ""},
        {"När": "2025-05-01 10:30", "Vem": "Bo", "Vad": "Mål Våldsbrott, A1",
         "Ändring": "Ändrad", "Fält": "Målvärde: 8.0 → 7.5"},
        {"När": "2025-05-01 09:30", "Vem": "Anna", "Vad": "Mål Våldsbrott, A1",
         "Ändring": "Skapad", "Fält": ""}]


def test_the_plan_in_a_sentence() -> None:
    followup = _FollowUp([_followed()])
    assert plan_summary(followup) == (
        f"Hela planen: 0 {REACHED}, 1 {ON_TRACK}, 0 {OFF_TRACK}, 0 {NOT_MEASURABLE} av 1 mål. "
        + followup_method(followup))
    assert followup_method(followup).startswith("Data: 2022–2024. 'På väg' = ")
    assert followup_method(_FollowUp([], years=())).startswith("Data: inga år. ")


def test_a_plans_name_as_a_file_name() -> None:
    assert file_stem("Trygg uppväxt 2027–2030") == "Trygg_uppväxt_2027_2030"
    assert file_stem("  ../plan  ") == "plan"
    assert file_stem("!!!") == "plan"


def test_indicator_names() -> None:
    catalogue = {"a": SimpleNamespace(name="Alfa"), "b": SimpleNamespace(name="Beta")}
    assert indicator_names(catalogue) == {"a": "Alfa", "b": "Beta"}
