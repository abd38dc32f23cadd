"""The HTML report in one file: map, ranked table, a profile card per area, (given one) the
åtgärdsplan with its follow-up, method, sources and settings, printable on A4 with a page
break per section.

Everything comes from one :class:`~geo.analysis.Analysis`, the same object the app shows,
so the report says what the app says. Every string from a file is escaped
(:func:`geo.maps.choropleth.escape_text`). The map is the exported map page itself, embedded as an
``iframe`` ``srcdoc``: the report stays one self-contained file, and the map keeps its own
legend, tooltips and layers. Hidden (disclosure-controlled) values are missing in the
analysis already and are shown as "–".
"""

from __future__ import annotations

import datetime as dt
import html as html_lib

import numpy as np
import pandas as pd

from geo.analysis import Analysis, plan_followup, rank_span
from geo.export.outputs import map_html
from geo.export.tables import ranking_table
from geo.maps.choropleth import escape_text, format_number
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
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

CSS = """
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #222;
       max-width: 1100px; margin: 0 auto; padding: 0 12px; }
h1 { font-size: 18pt; margin: 0.4em 0; } h2 { font-size: 14pt; margin-top: 1.2em; }
h3 { font-size: 11pt; margin: 0.6em 0 0.2em; }
section { page-break-before: always; break-before: page; }
section.first { page-break-before: auto; break-before: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; white-space: nowrap; }
.card { border: 1px solid #999; padding: 6px 10px; margin: 8px 0;
        page-break-inside: avoid; break-inside: avoid; }
.synthetic { background: #fff3cd; border: 1px solid #e0b000; padding: 6px; font-weight: bold; }
.tier-hog { font-weight: bold; color: #b2182b; } .muted { color: #666; }
iframe.map { width: 100%; height: 640px; border: 1px solid #999; }
pre { white-space: pre-wrap; font-size: 8.5pt; }
.plan-card h4 { font-size: 10pt; margin: 0.5em 0 0.2em; }
table.goals td:nth-child(1) { width: 22%; } table.goals td:nth-child(4) { width: 26%; }
.status-nadd { color: #1a7f37; font-weight: bold; } .status-pa-vag { color: #1a7f37; }
.status-inte { color: #b2182b; font-weight: bold; } .status-kan-inte { color: #666; }
@media print { iframe.map { height: 170mm; } }
"""


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="num">{format_number(value, 2)}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return '<td class="num">–</td>'
    return f"<td>{escape_text(value)}</td>"


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape_text(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


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


def _profile_card(analysis: Analysis, area_id: str, name: str, kommun: pd.Series) -> str:
    result = analysis.result
    profile = result.profile(area_id)
    a = analysis.assessment
    lines = [f'<div class="card"><h3>{escape_text(name)} ({escape_text(area_id)})</h3>']
    rank = "–" if pd.isna(profile.rank) else f"{int(profile.rank)} av {profile.n_areas}"
    facts = [f"Rang {rank}", f"sammanvägt index {format_number(profile.score)}"]
    if a is not None and area_id in a.tiers.index:
        u = a.uncertainty
        facts.insert(0, f"<b>{escape_text(a.tiers[area_id])}</b>")
        low, high = u.rank_low.get(area_id), u.rank_high.get(area_id)
        if not pd.isna(low):
            facts.append(f"rang i 90 % av beräkningarna {rank_span(low, high)}")
            facts.append(f"bland de {a.top_k} med störst behov i "
                         f"{format_number(u.p_top_k[area_id] * 100, 0)} % av beräkningarna")
    lines.append("<p>" + "; ".join(facts) + ".</p>")
    domains = pd.DataFrame({
        "Domän": [DOMAINS[d] for d in profile.domain_scores.index],
        "Området": profile.domain_scores.to_numpy(dtype=float),
        "Alla områden (medel)": profile.domain_means.to_numpy(dtype=float)})
    lines.append(_table(domains))
    if profile.top_contributors:
        lines.append("<p><b>Bidrar mest:</b> " + "; ".join(
            f"{escape_text(c.indicator.name)} {format_number(c.value, 1)} "
            f"{escape_text(c.indicator.unit)} (kommunen {format_number(kommun[c.indicator.id], 1)})"
            for c in profile.top_contributors) + ".</p>")
    if profile.flags:
        lines.append("<p><b>Flaggor:</b> " + "; ".join(
            escape_text(c.indicator.name) for c in profile.flags) + ".</p>")
    if profile.missing:
        lines.append('<p class="muted">Saknas eller dolt: ' + "; ".join(
            escape_text(i.name) for i in profile.missing) + ".</p>")
    lines.append("</div>")
    return "".join(lines)


STATUS_CLASS = {REACHED: "status-nadd", ON_TRACK: "status-pa-vag", OFF_TRACK: "status-inte",
                NOT_MEASURABLE: "status-kan-inte"}


def _amount(value: float | None, unit: str, year: int | None = None) -> str:
    """A value with its unit (and year): "17,0 % (2023)"; "–" when there is none."""
    if value is None:
        return "–"
    text = f"{format_number(value, 1)} {escape_text(unit)}".strip()
    return f"{text} ({year})" if year is not None else text


def _bound(value: float) -> str:
    """An interval end with one decimal, two when one would round it to 0 (-0,03, not
    -0,0, beside a verdict that the interval lies below 0)."""
    return format_number(value, 2 if value != 0 and round(value, 1) == 0 else 1)


def _change(g: GoalFollowUp, alpha: float) -> str:
    """The change since the baseline year with its interval, or why there is none; a
    change in a share is in procentenheter."""
    ch = g.change
    if ch.change is None:
        return f'{escape_text(ch.verdict)}<br><span class="muted">{escape_text(ch.reason)}</span>'
    unit = "procentenheter" if g.goal.unit.strip() == "%" else escape_text(g.goal.unit)
    sign = "+" if ch.change > 0 else ""
    return (f"{sign}{format_number(ch.change, 1)} {unit} ({ch.first}–{ch.last}; "
            f"{format_number((1 - alpha) * 100, 0)} % KI {_bound(ch.ci_low)} till "
            f"{_bound(ch.ci_high)}): <b>{escape_text(ch.verdict)}</b>")


def _goal_rows(goals: tuple[GoalFollowUp, ...], alpha: float) -> str:
    """The goals of one area: the indicator, baseline and target, the latest value beside
    the line, the status with its reason, and the change with its uncertainty."""
    head = "".join(f"<th>{h}</th>" for h in (
        "Indikator", "Utgångsvärde → mål", "Senaste värde", "Status",
        "Förändring sedan utgångsåret"))
    rows = []
    for g in goals:
        goal = g.goal
        why = "; ".join(escape_text(t) for t in (
            g.reason, *g.notes, f"Kommentar: {goal.note}" if goal.note else "") if t)
        latest = (_amount(g.latest_value, goal.unit, g.latest_year)
                  + f'<br><span class="muted">linjen: {_amount(g.expected, goal.unit)}</span>'
                  if g.latest_value is not None else "–")
        rows.append(
            f"<tr><td>{escape_text(g.indicator_name)}</td>"
            f'<td class="num">{_amount(goal.baseline_value, goal.unit, goal.baseline_year)}'
            f"<br>→ {_amount(goal.target_value, goal.unit, goal.target_year)}</td>"
            f'<td class="num">{latest}</td>'
            f'<td><span class="{STATUS_CLASS[g.status]}">{escape_text(g.status)}</span>'
            f'<br><span class="muted">{why}</span></td><td>{_change(g, alpha)}</td></tr>')
    return (f'<table class="goals"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _action_rows(plan: PlanContents, area_id: str) -> str:
    actions = plan.actions_in(area_id)
    if not actions:
        return '<p class="muted">Inga insatser registrerade.</p>'
    frame = pd.DataFrame([{
        "Insats": a.title, "Ansvarig": a.actor, "Start": a.start.isoformat(),
        "Slut": a.end.isoformat() if a.end else "pågår",
        "Kostnad (kr)": "–" if a.cost_sek is None else format_number(a.cost_sek, 0),
        "Kommentar": a.note} for a in actions])
    return _table(frame)


def plan_section(plan: PlanContents, followup: FollowUp) -> str:
    """The plan as a report section: the summary per status, then per area its goals with
    their follow-up and its actions. Every text from the plan is escaped."""
    p = plan.plan
    parts = [f"<section><h2>Åtgärdsplan: {escape_text(p.name)}</h2>"]
    if p.description:
        parts.append(f"<p>{escape_text(p.description)}</p>")
    years = ", ".join(str(y) for y in followup.years) or "inga"
    n_areas, n_actions = len(plan.areas), len(plan.actions)
    parts.append(f"<p>{n_areas} {'område' if n_areas == 1 else 'områden'}, "
                 f"{len(plan.goals)} mål och {n_actions} "
                 f"{'insats' if n_actions == 1 else 'insatser'}"
                 + (f" i kommun {escape_text(p.kommun)}" if p.kommun else "")
                 + f". Uppföljningen bygger på data för åren {years}.</p>")
    summary = followup.summary()
    names = {a.area_id: a.area_name for a in plan.areas}
    whole = summary.index == WHOLE_PLAN
    shown = pd.DataFrame({
        "Områdeskod": np.where(whole, "", summary.index.astype(str)),
        "Område": [WHOLE_PLAN if a == WHOLE_PLAN else names.get(a, "") for a in summary.index]})
    for column in summary.columns:
        shown[column] = [int(v) for v in summary[column]]
    parts.append("<h3>Mål per status</h3>" + _table(shown))
    parts += [f'<p class="muted">{escape_text(t)}</p>' for t in followup.method()]
    ids = [a.area_id for a in plan.areas]
    ids += [i for i in dict.fromkeys([*(g.area_id for g in plan.goals),
                                      *(a.area_id for a in plan.actions)]) if i not in ids]
    reasons = {a.area_id: a.reason for a in plan.areas}
    for area in ids:
        card = [f'<div class="card plan-card"><h3>{escape_text(names.get(area) or area)} '
                f"({escape_text(area)})</h3>"]
        if reasons.get(area):
            card.append(f"<p><b>Motivering:</b> {escape_text(reasons[area])}</p>")
        goals = followup.in_area(area)
        card.append("<h4>Mål och uppföljning</h4>"
                    + (_goal_rows(goals, followup.alpha) if goals
                       else '<p class="muted">Inga mål satta.</p>'))
        card.append("<h4>Insatser</h4>" + _action_rows(plan, area) + "</div>")
        parts.append("".join(card))
    parts.append("</section>")
    return "".join(parts)


def report_html(analysis: Analysis, *, created: dt.date | None = None,
                plan: PlanContents | None = None, followup: FollowUp | None = None) -> bytes:
    """The whole report as one HTML file (UTF-8 bytes). With ``plan`` a section on the
    åtgärdsplan follows the area profiles, with ``followup`` or else the follow-up on the
    analysis' data (:func:`geo.analysis.plan_followup`)."""
    created = created or dt.date.today()
    title = escape_text(analysis.title)
    synthetic = any(s.synthetic for s in analysis.sources)
    table = _compact(ranking_table(analysis))
    names = dict(zip(analysis.joined[AREA_ID], analysis.joined[AREA_NAME], strict=True))
    kommun = pooled_values(analysis.inputs.table, analysis.inputs.catalogue,
                           list(analysis.result.values.columns))
    ranked = [a for a in table["Områdeskod"] if a in analysis.result.score.index
              and not pd.isna(analysis.result.score[a])]
    map_page = map_html(analysis, created=created).decode("utf-8")
    parts = [
        "<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\">",
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f'<section class="first"><h1>{title}</h1>',
        f"<p>Profil: {escape_text(analysis.settings.name or 'egen analys')}. "
        f"Skapad {created.isoformat()} med prevmap.</p>",
    ]
    if synthetic:
        parts.append('<p class="synthetic">SYNTETISKA DEMODATA – värdena är påhittade och '
                     "beskriver inte verkliga områden.</p>")
    parts.append(f'<iframe class="map" title="Karta" srcdoc="{html_lib.escape(map_page)}">'
                 "</iframe></section>")
    parts.append("<section><h2>Rangordning</h2>")
    if analysis.assessment is not None:
        parts.append(f"<p>{escape_text(analysis.assessment.rule.text(analysis.assessment.top_k))}"
                     "</p>")
    parts.append(_table(table) + "</section>")
    parts.append("<section><h2>Områdesprofiler</h2>")
    parts += [_profile_card(analysis, a, names.get(a, a), kommun) for a in ranked]
    parts.append("</section>")
    if plan is not None:
        parts.append(plan_section(plan, followup or plan_followup(analysis, plan)))
    parts.append("<section><h2>Metod</h2>")
    for section in analysis.method_page():
        parts.append(f"<h3>{escape_text(section.heading)}</h3>")
        parts += [f"<p>{escape_text(p)}</p>" for p in section.paragraphs]
    parts.append("</section><section><h2>Data och källor</h2>")
    sources = pd.DataFrame([{"Data": role, "Titel": s.title, "Källa": s.source,
                             "Datum": s.date, "Licens": s.licence or "–"}
                            for role, s in analysis.source_roles()])
    parts.append(_table(sources))
    notes = analysis.notes()
    if notes:
        parts.append("<h3>Om data</h3><ul>" + "".join(f"<li>{escape_text(n)}</li>"
                                                      for n in notes) + "</ul>")
    parts.append("<h3>Inställningar</h3><pre>" + escape_text(analysis.settings.to_toml())
                 + "</pre></section></body></html>")
    return "".join(parts).encode("utf-8")
