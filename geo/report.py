"""The HTML report in one file: map, ranked table, a profile card per area, method, sources
and settings, printable on A4 with a page break per section.

Everything comes from one :class:`~geo.pipeline.Analysis`, the same object the app shows,
so the report says what the app says. Every string from a file is escaped
(:func:`geo.maps.escape_text`). The map is the exported map page itself, embedded as an
``iframe`` ``srcdoc``: the report stays one self-contained file, and the map keeps its own
legend, tooltips and layers. Hidden (disclosure-controlled) values are missing in the
analysis already and are shown as "–".
"""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pandas as pd

from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.table import pooled_values

from .maps import escape_text, format_number
from .pipeline import Analysis, map_html, rank_span, ranking_table

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


def report_html(analysis: Analysis, *, created: dt.date | None = None) -> bytes:
    """The whole report as one HTML file (UTF-8 bytes)."""
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
    parts.append("</section><section><h2>Metod</h2>")
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
