"""What an åtgärdsplan holds, and the checks that keep bad input out of it.

A plan is made from a ranking: the samordnare picks the priority areas
(:class:`PlanArea`), sets goals on indicators of the catalogue for each area
(:class:`Goal`: a baseline year and value from the data, a target value and a target
year) and records the actions (insatser) in each area (:class:`Action`: what, which
nämnd or partner, start and end, cost if known). These are plain frozen values; the
database (:mod:`plans.store`) keeps them with their version numbers and an audit trail.

Every check collects all problems of an item and raises one :class:`PlanInputError`
naming the field, the value and the fix, in Swedish, because the message is shown to
the user as it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace

from indicators.catalogue import Catalogue
from indicators.errors import PrevmapError, Problem, Problems

#: Suggested actors (nämnder and partners); any other name may be written.
ACTORS = ("Socialnämnden", "Skola (utbildningsnämnden)", "Kultur- och fritidsnämnden",
          "Polisen", "Civilsamhället", "Region Stockholm", "Bostadsbolag")
#: Years a baseline or target may have: the data start in the 1990s, plans run decades.
FIRST_YEAR, LAST_YEAR = 1990, 2100
MAX_TEXT = 500
#: The Swedish name of each field, as the forms and the error messages show it.
FIELD_LABELS = _F = {
    "area_id": "Område",
    "indicator_id": "Indikator",
    "unit": "Enhet",
    "baseline_value": "Utgångsvärde",
    "target_value": "Målvärde",
    "baseline_year": "Utgångsår",
    "target_year": "Målår",
    "note": "Kommentar",
    "title": "Insats",
    "actor": "Ansvarig",
    "start": "Start",
    "end": "Slut",
    "cost_sek": "Kostnad (kr)",
    "name": "Namn",
    "description": "Beskrivning",
    "kommun": "Kommun",
    "area_name": "Områdesnamn",
    "reason": "Motivering",
    "who": "Användare",
    "intensity": "Intensitet",
    "focus": "Fokus",
}
#: The intensities a recommendation (and an override of it) may have
#: (indicators.recommendation.INTENSITIES, repeated: the model imports no method).
INTENSITY_LEVELS = ("bas", "förstärkt", "intensiv")
#: The domains a focus may name (indicators.columns.DOMAINS' keys).
FOCUS_DOMAINS = ("psykisk_ohalsa", "missbruk", "kriminalitet", "socioekonomi", "skola",
                 "skyddsfaktorer")
FOCUS_SEPARATOR = "; "


class _PlanError(PrevmapError):
    """An error about items of a plan: a problem's ``source`` names the item (e.g.
    "mål 2 (område 0126R001, indikator valdsbrott)"), not a file."""

    column_word = "fält"

    def _render(self) -> str:
        if len(self.problems) == 1:
            return f"{self.title}: {self._one(self.problems[0])}"
        lines = [f"{self.title}: {len(self.problems)} problem."]
        lines += [f"{i}. {self._one(p)}" for i, p in enumerate(self.problems, 1)]
        return "\n".join(lines)

    def _one(self, problem: Problem) -> str:
        text = replace(problem, source=None).render(self.column_word)
        if not problem.source:
            return text
        return f"{problem.source}, {text}" if problem.column else f"{problem.source}: {text}"


class PlanInputError(_PlanError):
    """A goal, an action or a plan that cannot be saved as given."""

    title = "Fel i åtgärdsplanen"


class PlanConflictError(_PlanError):
    """Someone else changed the item since it was read: nothing was saved."""

    title = "Ändringen krockar med en annan användares"


@dataclass(frozen=True)
class Plan:
    name: str
    kommun: str = ""                      # kommun code, e.g. "0126"
    description: str = ""
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class PlanArea:
    """An area chosen for the plan, with why (e.g. its tier when chosen)."""

    area_id: str
    area_name: str = ""
    reason: str = ""
    plan_id: int | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class Goal:
    """Move ``indicator_id`` in ``area_id`` from ``baseline_value`` (the value in
    ``baseline_year``) to ``target_value`` by ``target_year``, in the indicator's
    ``unit``."""

    area_id: str
    indicator_id: str
    unit: str
    baseline_year: int
    baseline_value: float
    target_value: float
    target_year: int
    note: str = ""
    plan_id: int | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class Action:
    """An insats in an area: what, who (nämnd or partner), when, and its cost if known."""

    area_id: str
    title: str
    actor: str
    start: dt.date
    end: dt.date | None = None
    cost_sek: float | None = None
    note: str = ""
    plan_id: int | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class Override:
    """A samordnare's change of the recommended approach for an area in a plan: the
    intensity and focus chosen instead of the recommended ones, and why (required).
    ``focus`` and ``recommended_focus`` are domain keys joined by "; "; ``settings`` is the
    digest of the analysis the recommendation came from."""

    area_id: str
    intensity: str
    focus: str
    reason: str
    recommended_intensity: str = ""
    recommended_focus: str = ""
    settings: str = ""
    plan_id: int | None = None
    id: int | None = None
    version: int = 0

    @property
    def focus_domains(self) -> tuple[str, ...]:
        return tuple(d for d in self.focus.split(FOCUS_SEPARATOR) if d)


@dataclass(frozen=True)
class AuditEntry:
    """One change: who, when, what, and the item before and after (None when created
    or removed). Entries are only ever added."""

    at: dt.datetime
    who: str
    entity: str                  # "plan", "area", "goal", "action"
    entity_id: int
    operation: str               # "skapad", "ändrad", "borttagen"
    before: dict | None = None
    after: dict | None = None
    plan_id: int | None = None
    id: int | None = None


def as_dict(item: Plan | PlanArea | Goal | Action | Override) -> dict:
    """The item's fields as JSON-ready values (dates as ISO text), for the audit trail."""
    out = {}
    for f in fields(item):
        value = getattr(item, f.name)
        out[f.name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


# -- checks --------------------------------------------------------------------------

def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(float(value))


def _text(problems: Problems, name: str, value: object, *, required: bool,
          label: str) -> None:
    if not isinstance(value, str):
        problems.add(f"{label} ska vara text.", column=_F[name], values=[value])
    elif required and not value.strip():
        problems.add(f"{label} saknas.", column=_F[name], fix=f"skriv {label.lower()}")
    elif len(value) > MAX_TEXT:
        problems.add(f"{label} är längre än {MAX_TEXT} tecken.", column=_F[name],
                     values=[value[:40] + "…"], fix="korta texten")


def _year(problems: Problems, name: str, value: object, label: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) \
            or not FIRST_YEAR <= value <= LAST_YEAR:
        problems.add(f"{label} ska vara ett årtal mellan {FIRST_YEAR} och {LAST_YEAR}.",
                     column=_F[name], values=[value])
        return False
    return True


def unit_range(unit: str, per: float | None) -> tuple[float, float]:
    """The values an indicator in ``unit`` can take: a share in % lies in 0–100, a rate
    per 1 000 in 0 and up (a rate per 1 000 can exceed 1 000 only for events that happen
    more than once a person, e.g. crimes), any other unit is not bounded."""
    if unit.strip() == "%" or per == 100:
        return 0.0, 100.0
    if per is not None:
        return 0.0, math.inf
    return -math.inf, math.inf


def check_goal(goal: Goal, catalogue: Catalogue, *, areas: Iterable[str] | None = None,
               source: str | None = None) -> None:
    """Raise PlanInputError with every problem of ``goal``: an indicator the catalogue no
    longer has, a unit other than the indicator's, a value outside the unit's range (a
    share given as 0–1 where the indicator is in %), years out of order, an area not in
    the plan."""
    problems = Problems(PlanInputError, source)
    if areas is not None and goal.area_id not in set(areas):
        problems.add("området finns inte i planen.", column=_F["area_id"], values=[goal.area_id],
                     fix="lägg först till området i planen")
    indicator = catalogue.get(goal.indicator_id) if isinstance(goal.indicator_id, str) else None
    if indicator is None:
        problems.add("indikatorn finns inte (längre) i indikatorkatalogen.",
                     column=_F["indicator_id"], values=[goal.indicator_id],
                     expected="en av " + ", ".join(list(catalogue)[:5])
                     + (" …" if len(catalogue) > 5 else ""),
                     fix="välj en indikator som finns, eller lägg tillbaka den i katalogen")
    elif goal.unit != indicator.unit:
        problems.add(f"målet anges i '{goal.unit}', men indikatorn '{indicator.name}' mäts "
                     f"i '{indicator.unit}'.", column=_F["unit"], values=[goal.unit],
                     expected=indicator.unit,
                     fix=f"räkna om målvärdet till {indicator.unit}")
    for name, label in (("baseline_value", "Utgångsvärdet"), ("target_value", "Målvärdet")):
        value = getattr(goal, name)
        if not _finite(value):
            problems.add(f"{label} ska vara ett tal.", column=_F[name], values=[value])
        elif indicator is not None and goal.unit == indicator.unit:
            low, high = unit_range(indicator.unit, indicator.per)
            if not low <= float(value) <= high:
                problems.add(f"{label} {value:g} ligger utanför vad '{indicator.unit}' kan "
                             f"vara ({low:g}–{high:g}).", column=_F[name], values=[value],
                             fix=f"ange värdet i {indicator.unit}")
    if (indicator is not None and goal.unit == indicator.unit and indicator.unit.strip() == "%"
            and _finite(goal.target_value) and _finite(goal.baseline_value)
            and 0 < goal.target_value < 1 <= goal.baseline_value / 5):
        problems.add(f"målvärdet {goal.target_value:g} ser ut som en andel (0–1), men "
                     f"indikatorn mäts i procent (utgångsvärde {goal.baseline_value:g} %).",
                     column=_F["target_value"], values=[goal.target_value],
                     fix=f"skriv {goal.target_value * 100:g} för {goal.target_value * 100:g} %")
    ok = _year(problems, "baseline_year", goal.baseline_year, "Utgångsåret")
    ok &= _year(problems, "target_year", goal.target_year, "Målåret")
    if ok and goal.target_year <= goal.baseline_year:
        problems.add(f"målåret {goal.target_year} är inte efter utgångsåret "
                     f"{goal.baseline_year}.", column=_F["target_year"], values=[goal.target_year],
                     fix="välj ett målår efter utgångsåret")
    _text(problems, "note", goal.note, required=False, label="Kommentaren")
    problems.raise_if_any()


def check_action(action: Action, *, areas: Iterable[str] | None = None,
                 source: str | None = None) -> None:
    """Raise PlanInputError with every problem of ``action``: no title or actor, an end
    before the start, a negative or non-numeric cost, an area not in the plan."""
    problems = Problems(PlanInputError, source)
    if areas is not None and action.area_id not in set(areas):
        problems.add("området finns inte i planen.", column=_F["area_id"],
                     values=[action.area_id], fix="lägg först till området i planen")
    _text(problems, "title", action.title, required=True, label="Vad insatsen är")
    _text(problems, "actor", action.actor, required=True, label="Ansvarig nämnd eller partner")
    _text(problems, "note", action.note, required=False, label="Kommentaren")
    if not isinstance(action.start, dt.date):
        problems.add("startdatum saknas.", column=_F["start"], values=[action.start],
                     fix="ange ett datum (ÅÅÅÅ-MM-DD)")
    if action.end is not None and not isinstance(action.end, dt.date):
        problems.add("slutdatum ska vara ett datum.", column=_F["end"], values=[action.end])
    elif (action.end is not None and isinstance(action.start, dt.date)
          and action.end < action.start):
        problems.add(f"slutdatum {action.end.isoformat()} är före startdatum "
                     f"{action.start.isoformat()}.", column=_F["end"],
                     values=[action.end.isoformat()],
                     fix="rätta datumen, eller lämna slutdatum tomt för en pågående insats")
    if action.cost_sek is not None and (not _finite(action.cost_sek) or action.cost_sek < 0):
        problems.add("kostnaden ska vara ett tal, 0 eller mer (kronor).", column=_F["cost_sek"],
                     values=[action.cost_sek], fix="ange kostnaden i kronor eller lämna tomt")
    problems.raise_if_any()


def check_plan(plan: Plan) -> None:
    problems = Problems(PlanInputError)
    _text(problems, "name", plan.name, required=True, label="Planens namn")
    _text(problems, "description", plan.description, required=False, label="Beskrivningen")
    if not isinstance(plan.kommun, str) or (plan.kommun and not (
            plan.kommun.isdigit() and len(plan.kommun) == 4)):
        problems.add("kommunkoden ska vara fyra siffror.", column=_F["kommun"],
                     values=[plan.kommun], expected="t.ex. '0126' för Huddinge")
    problems.raise_if_any()


def check_area(area: PlanArea) -> None:
    problems = Problems(PlanInputError)
    _text(problems, "area_id", area.area_id, required=True, label="Områdeskoden")
    _text(problems, "area_name", area.area_name, required=False, label="Områdesnamnet")
    _text(problems, "reason", area.reason, required=False, label="Motiveringen")
    problems.raise_if_any()


def check_override(override: Override, *, areas: Iterable[str] | None = None,
                   source: str | None = None) -> None:
    """Raise PlanInputError with every problem of ``override``: an unknown intensity or
    focus domain, more than three focus domains, no reason, an area not in the plan."""
    problems = Problems(PlanInputError, source)
    if areas is not None and override.area_id not in set(areas):
        problems.add("området finns inte i planen.", column=_F["area_id"],
                     values=[override.area_id], fix="lägg först till området i planen")
    if override.intensity not in INTENSITY_LEVELS:
        problems.add("okänd intensitet.", column=_F["intensity"], values=[override.intensity],
                     expected=", ".join(INTENSITY_LEVELS), fix="välj en av intensiteterna")
    if not isinstance(override.focus, str):
        problems.add("Fokus ska vara text.", column=_F["focus"], values=[override.focus])
    else:
        unknown = [d for d in override.focus_domains if d not in FOCUS_DOMAINS]
        if unknown:
            problems.add("okänd domän i fokus.", column=_F["focus"], values=unknown,
                         expected=", ".join(FOCUS_DOMAINS), fix="välj bland domänerna")
        if len(override.focus_domains) > 3:
            problems.add("högst tre domäner kan vara fokus.", column=_F["focus"],
                         values=list(override.focus_domains), fix="välj högst tre domäner")
    _text(problems, "reason", override.reason, required=True, label="Motiveringen")
    problems.raise_if_any()


def override_text(override: Override, names: dict[str, str] | None = None) -> str:
    """How the plan shows the override: "Ändrad: förstärkt i stället för intensiv –
    skäl: …" (the focus too where it was changed)."""
    names = names or {}

    def focus(text: str) -> str:
        domains = [names.get(d, d).lower() for d in text.split(FOCUS_SEPARATOR) if d]
        return ", ".join(domains) or "inget fokus"

    parts = []
    if override.intensity != override.recommended_intensity:
        parts.append(f"{override.intensity} i stället för "
                     f"{override.recommended_intensity or 'ingen rekommendation'}")
    else:
        parts.append(f"{override.intensity} som rekommenderat")
    if override.focus != override.recommended_focus:
        parts.append(f"fokus {focus(override.focus)} i stället för "
                     f"{focus(override.recommended_focus)}")
    return f"Ändrad: {'; '.join(parts)} – skäl: {override.reason}"


@dataclass(frozen=True)
class PlanContents:
    """A whole plan as read from the database at one moment."""

    plan: Plan
    areas: tuple[PlanArea, ...] = ()
    goals: tuple[Goal, ...] = ()
    actions: tuple[Action, ...] = ()
    history: tuple[AuditEntry, ...] = field(default=(), repr=False)
    overrides: tuple[Override, ...] = ()

    def override_for(self, area_id: str) -> Override | None:
        """The area's current override of the recommendation, if any."""
        return next((o for o in self.overrides if o.area_id == area_id), None)

    def goals_in(self, area_id: str) -> tuple[Goal, ...]:
        return tuple(g for g in self.goals if g.area_id == area_id)

    def actions_in(self, area_id: str) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.area_id == area_id)
