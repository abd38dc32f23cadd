"""The HTML report in one file: map, ranked table, a profile card per area, (given one) the
åtgärdsplan with its follow-up, method, sources and settings, printable on A4 with a page
break per section.

Everything comes from one :class:`~geo.analysis.Analysis`, the same object the app shows,
so the report says what the app says. Every string from a file is escaped
(:func:`geo.maps.mapview.escape_text`). The map is the exported map page itself, embedded as an
``iframe`` ``srcdoc``: the report stays one self-contained file, and the map keeps its own
legend, tooltips and layers. The PDF, which cannot be clicked, has the print maps
(:mod:`geo.maps.print_map`) in its place, one per choice, as SVG images. Hidden
(disclosure-controlled) values are missing in the analysis already and are shown as "–".
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

from geo.analysis import Analysis, plan_followup, rank_span, value_text
from geo.export.outputs import map_html
from geo.export.quality_views import QualityView, quality_view
from geo.export.recommend_views import (
    BUDGET_TITLE,
    CARD_TITLE,
    budget_caption,
    budget_table,
    recommendation_table,
    unit_summary,
)
from geo.export.tables import ranking_table
from geo.maps.mapview import DIGEST_LABEL, escape_text
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.swedish import MISSING, format_number, format_percent, format_table
from indicators.table import pooled_values
from plans.followup import (
    NOT_MEASURABLE,
    OFF_TRACK,
    ON_TRACK,
    REACHED,
    WHOLE_PLAN,
    FollowUp,
    GoalFollowUp,
)
from plans.model import PlanContents

TEMPLATES = "templates"
TEMPLATE = "report.html.j2"


class _Spaceless(Extension):
    """Removes the line breaks and indentation of ``*.html.j2`` templates before they are
    compiled: the template is laid out for its reader, the page is written as one line (as
    the report always was, byte for byte). Other files (report.css) stay as they are."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _LAYOUT.sub("", source) if name and name.endswith(".html.j2") else source


_LAYOUT = re.compile(r"\n[ \t]*")


def _escaped(value: object) -> Markup:
    """Every ``{{ value }}`` of the template: escaped as the map escapes text from files
    (:func:`geo.maps.mapview.escape_text`: HTML, and braces); Markup (a macro's output,
    the embedded map page) as it is."""
    return value if isinstance(value, Markup) else Markup(escape_text(value))


_ENV = Environment(loader=PackageLoader("geo.export", TEMPLATES), autoescape=True,
                   finalize=_escaped, extensions=[_Spaceless], keep_trailing_newline=True,
                   undefined=StrictUndefined)


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and whether it is a number (right-aligned)."""

    text: str
    num: bool = False


@dataclass(frozen=True)
class Table:
    head: list[str]
    rows: list[list[Cell]]


def _table(frame: pd.DataFrame) -> Table:
    """``frame``'s cells as the one Swedish formatter writes them (two decimals, a thin
    space between thousands, years and codes plain, "–" for missing); numbers and missing
    values right-aligned."""
    shown = format_table(frame, 2)
    return Table([str(c) for c in frame.columns],
                 [[Cell(text, num=text == MISSING or (pd.api.types.is_number(value)
                                                      and not pd.api.types.is_bool(value)))
                   for value, text in zip(row, shown_row, strict=True)]
                  for row, shown_row in zip(frame.itertuples(index=False),
                                            shown.itertuples(index=False), strict=True)])


def _compact(table: pd.DataFrame) -> pd.DataFrame:
    """The ranked table for A4: who, tier, score and certainty; domain scores and
    contributors are in the profile cards."""
    keep = ["Rang", "Områdeskod", "Område", "Prioritet", "Sammanvägt index"]
    out = table[[c for c in keep if c in table.columns]].copy()
    if "Rang 5 %" in table.columns:
        out["Rang i 90 % av beräkningarna"] = [
            rank_span(lo, hi) for lo, hi in zip(table["Rang 5 %"], table["Rang 95 %"],
                                                 strict=True)]
    for column in table.columns:
        if column.startswith("Sannolikhet topp"):
            out[column] = [f"{format_number(v, 0)} %" if not pd.isna(v) else "–"
                           for v in table[column]]
    for column in ("Kluster (Gi*)", "Litet underlag", "Antal flaggor"):
        if column in table.columns:
            out[column] = table[column]
    out["Rang"] = [("–" if pd.isna(r) else str(int(r))) for r in table["Rang"]]
    return out


def _profile_card(analysis: Analysis, area_id: str, name: str, kommun: pd.Series) -> dict:
    result = analysis.result
    profile = result.profile(area_id)
    a = analysis.assessment
    rank = MISSING if pd.isna(profile.rank) else f"{int(profile.rank)} av {profile.n_areas}"
    facts = [f"Rang {rank}", f"sammanvägt index {format_number(profile.score)}"]
    tier = None
    if a is not None and area_id in a.tiers.index:
        u = a.uncertainty
        tier = a.tiers[area_id]
        low, high = u.rank_low.get(area_id), u.rank_high.get(area_id)
        if not pd.isna(low):
            facts.append(f"rang i 90 % av beräkningarna {rank_span(low, high)}")
            facts.append(f"bland de {a.top_k} med störst behov i "
                         f"{format_percent(u.p_top_k[area_id] * 100, 0)} av beräkningarna")
    domains = pd.DataFrame({
        "Domän": [DOMAINS[d] for d in profile.domain_scores.index],
        "Området": profile.domain_scores.to_numpy(dtype=float),
        "Alla områden (medel)": profile.domain_means.to_numpy(dtype=float)})
    return {
        "name": name, "area_id": area_id, "tier": tier, "facts": facts,
        "domains": _table(domains),
        "contributors": [f"{c.indicator.name} "
                         f"{value_text(analysis, area_id, c.indicator.id, c.value)} "
                         f"(kommunen {format_number(kommun[c.indicator.id], 1)})"
                         for c in profile.top_contributors],
        "flags": [c.indicator.name for c in profile.flags],
        "missing": [i.name for i in profile.missing]}


STATUS_CLASS = {REACHED: "status-nadd", ON_TRACK: "status-pa-vag", OFF_TRACK: "status-inte",
                NOT_MEASURABLE: "status-kan-inte"}


def _amount(value: float | None, unit: str, year: int | None = None) -> str | None:
    """A value with its unit (and year): "17,0 % (2023)"; None (shown "–") when there is
    none."""
    if value is None:
        return None
    text = f"{format_number(value, 1)} {unit}".strip()
    return f"{text} ({year})" if year is not None else text


def _bound(value: float) -> str:
    """An interval end with one decimal, two when one would round it to 0 (-0,03, not
    -0,0, beside a verdict that the interval lies below 0)."""
    return format_number(value, 2 if value != 0 and round(value, 1) == 0 else 1)


def _change(g: GoalFollowUp, alpha: float) -> str | None:
    """The change since the baseline year with its interval (the verdict follows it), or
    None when there is none (the reason is shown instead); a change in a share is in
    procentenheter."""
    ch = g.change
    if ch.change is None:
        return None
    unit = "procentenheter" if g.goal.unit.strip() == "%" else g.goal.unit
    sign = "+" if ch.change > 0 else ""
    return (f"{sign}{format_number(ch.change, 1)} {unit} ({ch.first}–{ch.last}; "
            f"{format_percent((1 - alpha) * 100, 0)} KI {_bound(ch.ci_low)} till "
            f"{_bound(ch.ci_high)})")


def _goal_row(g: GoalFollowUp, alpha: float) -> dict:
    """One goal of an area: the indicator, baseline and target, the latest value beside
    the line, the status with its reason, and the change with its uncertainty."""
    goal = g.goal
    return {
        "indicator": g.indicator_name,
        "baseline": _amount(goal.baseline_value, goal.unit, goal.baseline_year),
        "target": _amount(goal.target_value, goal.unit, goal.target_year),
        "latest": _amount(g.latest_value, goal.unit, g.latest_year),
        "expected": _amount(g.expected, goal.unit),
        "status": g.status, "status_class": STATUS_CLASS[g.status],
        "why": "; ".join(t for t in (g.reason, *g.notes,
                                     f"Kommentar: {goal.note}" if goal.note else "") if t),
        "change": _change(g, alpha), "verdict": g.change.verdict, "reason": g.change.reason}


def _actions(plan: PlanContents, area_id: str) -> Table | None:
    actions = plan.actions_in(area_id)
    if not actions:
        return None
    frame = pd.DataFrame([{
        "Insats": a.title, "Ansvarig": a.actor, "Start": a.start.isoformat(),
        "Slut": a.end.isoformat() if a.end else "pågår",
        "Kostnad (kr)": MISSING if a.cost_sek is None else format_number(a.cost_sek, 0),
        "Kommentar": a.note} for a in actions])
    return _table(frame)


def _plan_section(plan: PlanContents, followup: FollowUp) -> dict:
    """The plan as a report section: the summary per status, then per area its goals with
    their follow-up and its actions."""
    p = plan.plan
    n_areas, n_actions = len(plan.areas), len(plan.actions)
    summary = followup.summary()
    names = {a.area_id: a.area_name for a in plan.areas}
    whole = summary.index == WHOLE_PLAN
    shown = pd.DataFrame({
        "Områdeskod": np.where(whole, "", summary.index.astype(str)),
        "Område": [WHOLE_PLAN if a == WHOLE_PLAN else names.get(a, "") for a in summary.index]})
    for column in summary.columns:
        shown[column] = [int(v) for v in summary[column]]
    ids = [a.area_id for a in plan.areas]
    ids += [i for i in dict.fromkeys([*(g.area_id for g in plan.goals),
                                      *(a.area_id for a in plan.actions)]) if i not in ids]
    reasons = {a.area_id: a.reason for a in plan.areas}
    return {
        "name": p.name, "description": p.description, "kommun": p.kommun,
        "counts": f"{n_areas} {'område' if n_areas == 1 else 'områden'}, {len(plan.goals)} "
                  f"mål och {n_actions} {'insats' if n_actions == 1 else 'insatser'}",
        "years": ", ".join(str(y) for y in followup.years) or "inga",
        "summary": _table(shown), "method": list(followup.method()),
        "cards": [{"name": names.get(area) or area, "area_id": area,
                   "reason": reasons.get(area),
                   "goals": [_goal_row(g, followup.alpha) for g in followup.in_area(area)],
                   "actions": _actions(plan, area)} for area in ids]}


def _quality_section(view: QualityView) -> dict:
    """The section "Indexets kvalitet" with its frames as report tables."""
    return {"heading": view.heading, "outliers": _table(view.outliers),
            "outlier_text": view.outlier_text, "domains": _table(view.domains),
            "indicators": _table(view.indicators), "coherence_text": view.coherence_text,
            "robustness": None if view.robustness is None else _table(view.robustness),
            "robustness_text": view.robustness_text}


def _recommendation_section(analysis: Analysis) -> dict | None:
    """The recommended approach per area, the budget under the rules side by side and the
    summary per förvaltning, with the catalogue's notice (issue 19); None without it."""
    from geo.recommend import recommendations

    rec = recommendations(analysis)
    if rec is None:
        return None
    organisation = analysis.organisation
    return {"heading": CARD_TITLE,
            "rules": " ".join((rec.rules_text(), *rec.empty)),
            "areas": _table(recommendation_table(analysis, organisation)),
            "budget_heading": BUDGET_TITLE, "budget": _table(budget_table(analysis)),
            "budget_caption": budget_caption(analysis),
            "units": _table(unit_summary(analysis, organisation)),
            "organisation": organisation.description,
            "notice": analysis.interventions.notice}


def print_map_images(analysis: Analysis, created: dt.date) -> list[tuple[str, str]]:
    """The print maps of the report's PDF (index, priority tier, the recommended approach,
    each domain of the index)
    as (alt text, SVG data URI): vector maps in place of the interactive one."""
    import base64

    from geo.maps.print_map import APPROACH, CHOICES, TIER, build_print_map

    shown = [c for c in CHOICES if c in ("index", TIER, APPROACH) and (
        c == "index" or analysis.assessment is not None)
             or c in analysis.result.domain_scores.columns]
    out = []
    for choice in shown:
        made = build_print_map(analysis, choice, created=created)
        svg = made.to_bytes("svg")
        out.append((f"Karta: {made.legend.heading}",
                    "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")))
    return out


def report_html(analysis: Analysis, *, created: dt.date | None = None,
                plan: PlanContents | None = None, followup: FollowUp | None = None,
                print_maps: bool = False) -> bytes:
    """The whole report as one HTML file (UTF-8 bytes), from :data:`TEMPLATE`. With
    ``plan`` a section on the åtgärdsplan follows the area profiles, with ``followup`` or
    else the follow-up on the analysis' data (:func:`geo.analysis.plan_followup`). With
    ``print_maps`` (the PDF) the print maps (:func:`print_map_images`) stand where the
    HTML report has its interactive map."""
    created = created or dt.date.today()
    table = _compact(ranking_table(analysis))
    names = dict(zip(analysis.joined[AREA_ID], analysis.joined[AREA_NAME], strict=True))
    kommun = pooled_values(analysis.inputs.table, analysis.inputs.catalogue,
                           list(analysis.result.values.columns))
    ranked = [a for a in table["Områdeskod"] if a in analysis.result.score.index
              and not pd.isna(analysis.result.score[a])]
    images = print_map_images(analysis, created) if print_maps else []
    map_page = "" if images else map_html(analysis, created=created).decode("utf-8")
    assessment = analysis.assessment
    sources = pd.DataFrame([{"Data": role, "Titel": s.title, "Källa": s.source,
                             "Datum": s.date, "Licens": s.licence or MISSING}
                            for role, s in analysis.source_roles()])
    page = _ENV.get_template(TEMPLATE).render(
        title=analysis.title, profile=analysis.settings.name or "egen analys",
        created=created.isoformat(), synthetic=any(s.synthetic for s in analysis.sources),
        # escaped once for the map page's own text, once here for the attribute
        map_page=Markup(html_lib.escape(map_page)), print_maps=images,
        rule=None if assessment is None else assessment.rule.text(assessment.top_k),
        ranking=_table(table),
        cards=[_profile_card(analysis, a, names.get(a, a), kommun) for a in ranked],
        recommendation=_recommendation_section(analysis),
        plan=None if plan is None else _plan_section(
            plan, followup or plan_followup(analysis, plan)),
        quality=_quality_section(quality_view(analysis)),
        method=analysis.method_page(), sources=_table(sources), notes=analysis.notes(),
        settings=analysis.settings.to_toml(), digest_label=DIGEST_LABEL, digest=analysis.digest)
    return page.encode("utf-8")
