"""The recommendation into the plan in one step (issue 19): draft area, goals and actions.

:func:`draft_from_recommendation` turns one area's recommendation
(:func:`geo.recommend.recommendations`, a row of its ``areas``) into drafts for an
åtgärdsplan, all editable afterwards with the plan's usual forms:

* **the area**, with the recommendation's sentence as its reason;
* **one goal per focus domain**, on the domain's indicator with the largest contribution
  to the area's score (among those the data give a baseline for). The baseline is what
  :func:`plans.followup.baseline_for` gives (the latest year with a measurable value,
  after disclosure control); the target is :data:`STEP` of the way from the baseline to
  the kommun's value (the mean over the areas with a measurable value that year, in the
  indicator's unit, to one decimal), :data:`YEARS_TO_TARGET` years after the baseline. An
  area already at or beyond the kommun's value keeps its baseline as the target. The note
  says it is a draft and how the target was set;
* **one action per focus domain**, led by the förvaltning the organisation file names for
  the domain (written as the actor, "Socialförvaltningen (SOF)"; the actor is free text in
  the plan, :data:`plans.model.ACTORS` are only suggestions, so the kommun's own units need
  no change there), the other förvaltningar and partners in the note, starting today.
  An area without a focus gets only a universal action, led by the coordinating
  förvaltning (``samordnar`` in the file) where there is one.

A samordnare's :class:`~plans.model.Override` replaces the recommended intensity and focus.
Items already in the plan (the area, a goal on the same indicator, an action with the same
title) are not drafted again. :func:`draft_origin` is what the history records with every
drafted row (see :meth:`plans.store.PlanStore.save_many`'s ``origin``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis import Analysis
from geo.recommend import recommendations
from indicators.columns import DOMAINS
from indicators.errors import PrevmapError, Problem
from indicators.organisation import Organisation
from indicators.recommendation import FOCUS, INTENSITY, REASON, SEPARATOR
from indicators.swedish import format_number
from plans.followup import OK, Measured, measure, tables_by_year
from plans.model import MAX_TEXT, Action, Goal, Override, PlanArea, PlanContents
from plans.views import ORIGIN, ORIGIN_KEY, SETTINGS_KEY

#: The share of the way from the baseline to the kommun's value a draft goal aims at.
STEP = 0.5
YEARS_TO_TARGET = 3
DRAFT_NOTE = "Utkast från rekommendationen"
RULES_KEY = "regler"
ACTION_TITLES = {"bas": "Universell insats", "förstärkt": "Förstärkt insats",
                 "intensiv": "Intensiv insats"}
COORDINATOR = "Samordnaren för det förebyggande arbetet"


class DraftError(PrevmapError):
    """A recommendation that cannot be drafted into the plan."""

    title = "Rekommendationen kan inte tas in i planen"


@dataclass(frozen=True)
class Draft:
    """What :func:`draft_from_recommendation` proposes; unpacks as (area, goals, actions).
    ``notes``: Swedish sentences on what could not be drafted (a focus domain without a
    measurable indicator)."""

    area: PlanArea
    goals: tuple[Goal, ...]
    actions: tuple[Action, ...]
    notes: tuple[str, ...] = ()

    def __iter__(self) -> Iterator:
        return iter((self.area, list(self.goals), list(self.actions)))


def draft_origin(analysis: Analysis) -> dict[str, str]:
    """The fields the history records with every drafted row: where it came from, the
    analysis digest (inputs and settings) and the rules' text."""
    rec = recommendations(analysis)
    rules = (analysis.settings.recommendation.text() if rec is None
             else rec.rules_text())
    return {ORIGIN_KEY: ORIGIN, SETTINGS_KEY: analysis.digest, RULES_KEY: rules}


def measured_for(analysis: Analysis) -> Measured:
    """Every year's values of the analysis' indicators, as the follow-up measures them."""
    inputs = analysis.inputs
    return measure(tables_by_year(inputs.history, inputs.year, inputs.table),
                   inputs.catalogue, rule=analysis.settings.small_numbers)


def _kommun_value(m: Measured, indicator_id: str, year: int) -> float | None:
    i, y = m.indicator(indicator_id), m.years.index(year)
    ok = m.codes[y, :, i] == OK
    return float(np.mean(m.values[y, ok, i])) if ok.any() else None


def _goal(analysis: Analysis, m: Measured, area_id: str, domain: str, plan_id: int | None
          ) -> Goal | None:
    result = analysis.assessment.result if analysis.assessment else None
    catalogue = analysis.inputs.catalogue
    if result is None or area_id not in result.contributions.index:
        return None
    columns = [c for c in result.contributions.columns if catalogue[c].domain == domain]
    contributions = result.contributions.loc[area_id, columns].astype(float).dropna()
    for indicator_id in contributions.sort_values(ascending=False, kind="stable").index:
        a, i = m.area(area_id), m.indicator(indicator_id)
        if a is None or i is None:
            continue
        ok = np.flatnonzero(m.codes[:, a, i] == OK)
        if not len(ok):
            continue
        year, baseline = m.years[int(ok[-1])], float(m.values[int(ok[-1]), a, i])
        kommun = _kommun_value(m, indicator_id, year)
        indicator = catalogue[indicator_id]
        where = analysis.reference
        target, how = baseline, f"området ligger redan vid eller bättre än {where.over}"
        if kommun is not None and (kommun - baseline) * indicator.direction < 0:
            target = round(baseline + STEP * (kommun - baseline), 1)
            how = (f"halva vägen mot medelvärdet av {where.areas} "
                   f"({format_number(kommun, 1)} {indicator.unit})")
        return Goal(area_id, indicator_id, indicator.unit, year, baseline, target,
                    year + YEARS_TO_TARGET, note=f"{DRAFT_NOTE}: {how}."[:MAX_TEXT],
                    plan_id=plan_id)
    return None


def _names(units: tuple) -> str:
    return ", ".join(f"{u.name} ({u.id})" for u in units)


def draft_from_recommendation(analysis: Analysis, recommendation: pd.Series,
                              organisation: Organisation, plan: PlanContents, *,
                              override: Override | None = None, today: dt.date | None = None,
                              measured: Measured | None = None) -> Draft:
    """The drafts for the area of ``recommendation`` (a row of
    :attr:`~geo.recommend.Recommendations.areas`, named by its area code) in ``plan``:
    see the module. ``override`` replaces the recommended intensity and focus;
    ``measured`` (:func:`measured_for`) spares measuring again for several areas."""
    area_id = str(recommendation.name)
    intensity = override.intensity if override else str(recommendation[INTENSITY])
    focus = override.focus_domains if override else tuple(
        d for d in str(recommendation[FOCUS] or "").split(SEPARATOR) if d)
    if not intensity:
        raise DraftError([Problem(f"området {area_id} har ingen rekommendation: "
                                  f"{recommendation[REASON]}", column="Område",
                                  values=(area_id,),
                                  fix="lägg till området och skriv mål och insatser själv")])
    plan_id = plan.plan.id
    existing = next((a for a in plan.areas if a.area_id == area_id), None)
    name = analysis.names.get(area_id, area_id)
    area = existing or PlanArea(area_id, str(name), str(recommendation[REASON])[:MAX_TEXT],
                                plan_id=plan_id)
    m = measured or measured_for(analysis)
    have = {g.indicator_id for g in plan.goals_in(area_id)}
    goals, notes = [], []
    for domain in focus:
        goal = _goal(analysis, m, area_id, domain, plan_id)
        if goal is None:
            notes.append(f"Inget mål för {DOMAINS.get(domain, domain).lower()}: ingen av "
                         "domänens indikatorer har ett mätbart värde för området.")
        elif goal.indicator_id not in have:
            goals.append(goal)
            have.add(goal.indicator_id)
    start = today or dt.date.today()
    titled = {a.title for a in plan.actions_in(area_id)}
    actions = []
    if focus:
        for domain in focus:
            lead = organisation.lead_for(domain)
            others = [f"Deltar: {_names(organisation.participants_for(domain))}."
                      if organisation.participants_for(domain) else "",
                      f"Partner: {_names(organisation.partners_for(domain))}."
                      if organisation.partners_for(domain) else ""]
            note = " ".join([f"{DRAFT_NOTE}.", *[o for o in others if o]])
            actions.append(Action(area_id, f"{ACTION_TITLES[intensity]}: "
                                  f"{DOMAINS.get(domain, domain).lower()} (utkast)",
                                  f"{lead.name} ({lead.id})", start, note=note[:MAX_TEXT],
                                  plan_id=plan_id))
    else:
        actor = COORDINATOR
        if organisation.coordinator:
            unit = organisation.unit(organisation.coordinator)
            actor = f"{unit.name} ({unit.id})"
        actions.append(Action(area_id, f"{ACTION_TITLES['bas']} (utkast)", actor, start,
                              note=f"{DRAFT_NOTE}: universella insatser för alla barn och "
                                   "unga, samordnade.", plan_id=plan_id))
    actions = [a for a in actions if a.title not in titled]
    return Draft(area, tuple(goals), tuple(actions), tuple(notes))
