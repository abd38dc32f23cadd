"""The recommended approach as people read it (issue 19, "Shown everywhere the ranking is"):
per area a card, per förvaltning a summary, and the budget under the rules side by side.

Pure views of :func:`geo.recommend.recommendations`: the organisation
(:class:`~indicators.organisation.Organisation`) and the interventions catalogue
(:class:`~indicators.interventions.InterventionCatalogue`) are passed in (the callers read
them with :func:`geo.io.organisation.read_organisation` and
:func:`geo.io.interventions.read_interventions`), so the app, the report and the workbook
say the same. Examples of interventions are taken at the prevention levels of the area's
intensity (:data:`LEVELS_OF`): *bas* universal ones, *förstärkt* universal and selective,
*intensiv* also indicated; at most :data:`MAX_EXAMPLES` per focus domain, in the
catalogue's order, most targeted level first (the level the intensity adds). The catalogue's
notice, that it is never a prescription, goes with every view that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.analysis import Analysis
from geo.export.views import area_names
from geo.recommend import (
    KRONOR,
    Recommendations,
    area_resources,
    recommendations,
    resource_counts,
)
from indicators.allocation import HIGH, LOW, WEIGHTINGS
from indicators.columns import DOMAINS
from indicators.interventions import Intervention, InterventionCatalogue
from indicators.organisation import Organisation
from indicators.recommendation import (
    FOCUS,
    INTENSITIES,
    INTENSITY,
    INTENSITY_MEANINGS,
    NO_RECOMMENDATION,
    REASON,
    SEPARATOR,
    STRADDLES,
    STRENGTHS,
    focus_labels,
    resources_text,
    strengths_text,
)
from indicators.swedish import MISSING, format_kronor, format_percent

#: The prevention levels of the catalogue each intensity draws its examples from.
LEVELS_OF: dict[str, tuple[str, ...]] = {
    "bas": ("universell",),
    "förstärkt": ("universell", "selektiv"),
    "intensiv": ("universell", "selektiv", "indikerad"),
}
MAX_EXAMPLES = 3
CARD_TITLE = "Rekommenderat angreppssätt"
BUDGET_TITLE = "Budget i proportion till behov"
INTERVAL_WORDS = "90 %"
#: Column names of the tables (Swedish, as shown).
AREA, CODE = "Område", "Områdeskod"
INTENSITY_COL, FOCUS_COL, LEAD_COL = "Intensitet", "Fokus", "Leds av"
STRENGTHS_COL, REASON_COL, ALLOCATION_COL = "Förutsättningar", "Motivering", "Budget"
UNIT_COL, AREAS_COL, N_COL = "Förvaltning", "Leder i områdena", "Antal områden"


@dataclass(frozen=True)
class FocusCard:
    """One focus domain of an area: its Swedish name, who leads and takes part, why, and
    the catalogue's examples at the area's levels."""

    domain: str
    label: str
    lead: str                     # "SOF (Socialförvaltningen)"
    participants: tuple[str, ...]
    partners: tuple[str, ...]
    reason: str
    examples: tuple[Intervention, ...]


@dataclass(frozen=True)
class RecommendationCard:
    """What the area profile's card "Rekommenderat angreppssätt" says about one area."""

    area_id: str
    name: str
    intensity: str                # "" without a recommendation
    meaning: str
    reason: str
    straddles: str | None         # a sentence, None when the interval stays at one level
    focus: tuple[FocusCard, ...]
    strengths: str                # "skyddsfaktorer och skola", "" if none
    resources: str                # "Fritidsgardar: 2, Skolor: 0"; "inga resurser inlästa"
    allocation: str | None        # "327 434 kr (90 %: 321 952–353 252 kr)"
    allocation_rule: str
    notice: str

    @property
    def heading(self) -> str:
        return (f"{CARD_TITLE}: {self.intensity}" if self.intensity
                else f"{CARD_TITLE}: {NO_RECOMMENDATION.lower()}")


def unit_text(organisation: Organisation, unit_id: str) -> str:
    """A förvaltning as "SOF (Socialförvaltningen)"."""
    return f"{unit_id} ({organisation.unit(unit_id).name})"


def examples_for(catalogue: InterventionCatalogue, domain: str, intensity: str,
                 limit: int = MAX_EXAMPLES) -> tuple[Intervention, ...]:
    """At most ``limit`` interventions for ``domain`` at the levels of ``intensity``
    (:data:`LEVELS_OF`), the level the intensity adds first; () without an intensity."""
    out: list[Intervention] = []
    for level in reversed(LEVELS_OF.get(intensity, ())):
        out += catalogue.for_domain(domain, level)
    return tuple(out[:limit])


def allocation_text(kronor: object, low: object, high: object) -> str:
    """"327 434 kr (90 %: 321 952–353 252 kr)"; without an interval the amount alone."""
    if pd.isna(low) or pd.isna(high):
        return format_kronor(kronor)
    return (f"{format_kronor(kronor)} ({INTERVAL_WORDS}: "
            f"{format_kronor(low).removesuffix(' kr')}–{format_kronor(high)})")


def _focus_card(domain: str, intensity: str, organisation: Organisation,
                catalogue: InterventionCatalogue) -> FocusCard:
    lead = organisation.lead_for(domain)
    return FocusCard(
        domain=domain, label=DOMAINS.get(domain, domain),
        lead=unit_text(organisation, lead.id),
        participants=tuple(unit_text(organisation, u.id)
                           for u in organisation.participants_for(domain)),
        partners=tuple(p.name for p in organisation.partners_for(domain)),
        reason=organisation.reason_for(domain),
        examples=examples_for(catalogue, domain, intensity))


def _straddle_sentence(straddles: str) -> str | None:
    levels = [s for s in straddles.split(SEPARATOR) if s]
    if not levels:
        return None
    return ("Rangintervallet når även platser där områden får "
            + " och ".join(levels) + ": nivån är osäker.")


def recommendation_card(analysis: Analysis, area_id: str, organisation: Organisation,
                        catalogue: InterventionCatalogue) -> RecommendationCard | None:
    """The card of ``area_id``; None when the analysis has no recommendation (no Monte
    Carlo) or the area is not in it."""
    rec = recommendations(analysis)
    if rec is None or area_id not in rec.areas.index:
        return None
    row = rec.areas.loc[area_id]
    level = str(row[INTENSITY])
    focus = tuple(_focus_card(d, level, organisation, catalogue)
                  for d in str(row[FOCUS]).split(SEPARATOR) if d)
    allocation = None
    if rec.allocation is not None and area_id in rec.allocation.index:
        a = rec.allocation.loc[area_id]
        allocation = allocation_text(a[KRONOR], a[LOW], a[HIGH])
    return RecommendationCard(
        area_id=area_id, name=area_names(analysis).get(area_id, area_id), intensity=level,
        meaning=INTENSITY_MEANINGS.get(level, ""), reason=str(row[REASON]),
        straddles=_straddle_sentence(str(row[STRADDLES])), focus=focus,
        strengths=focus_labels(str(row[STRENGTHS])),
        resources=resources_text(area_resources(resource_counts(analysis), area_id)),
        allocation=allocation,
        allocation_rule=rec.rules.allocation.text(len(rec.areas), rec.top_k),
        notice=catalogue.notice)


def _ordered(rec: Recommendations) -> pd.Index:
    """Area ids, most intensive first, then by rank's order in the table."""
    level = rec.areas[INTENSITY].map({v: i for i, v in enumerate(INTENSITIES)})
    return level.fillna(-1).sort_values(ascending=False, kind="stable").index


def recommendation_table(analysis: Analysis, organisation: Organisation) -> pd.DataFrame:
    """One row per area: name, code, intensity, focus in words, who leads (per focus
    domain), förutsättningar (the protective domains clearly better than the kommun and
    the resources counted in the area, :func:`~indicators.recommendation.strengths_text`),
    the budget with its interval and the reason; most intensive first. Empty without a
    recommendation."""
    rec = recommendations(analysis)
    columns = [AREA, CODE, INTENSITY_COL, FOCUS_COL, LEAD_COL, STRENGTHS_COL, ALLOCATION_COL,
               REASON_COL]
    if rec is None:
        return pd.DataFrame(columns=columns)
    names = area_names(analysis)
    counts = resource_counts(analysis)
    rows = []
    for area in _ordered(rec):
        row = rec.areas.loc[area]
        domains = [d for d in str(row[FOCUS]).split(SEPARATOR) if d]
        leads = dict.fromkeys(organisation.lead_for(d).id for d in domains)
        budget = MISSING
        if rec.allocation is not None and area in rec.allocation.index:
            a = rec.allocation.loc[area]
            budget = allocation_text(a[KRONOR], a[LOW], a[HIGH])
        rows.append([names.get(area, area), area, row[INTENSITY] or NO_RECOMMENDATION,
                     focus_labels(str(row[FOCUS])) or MISSING, ", ".join(leads) or MISSING,
                     strengths_text(str(row[STRENGTHS]), area_resources(counts, area)),
                     budget, row[REASON]])
    return pd.DataFrame(rows, columns=columns)


def unit_summary(analysis: Analysis, organisation: Organisation) -> pd.DataFrame:
    """Per förvaltning of the organisation: the areas where it leads a focus domain, with
    that focus ("Flemingsberg (kriminalitet)"), most intensive areas first, and how many."""
    rec = recommendations(analysis)
    names = area_names(analysis)
    led: dict[str, list[str]] = {u.id: [] for u in organisation.units}
    if rec is not None:
        for area in _ordered(rec):
            by_unit: dict[str, list[str]] = {}
            for d in str(rec.areas.at[area, FOCUS]).split(SEPARATOR):
                if d:
                    by_unit.setdefault(organisation.lead_for(d).id, []).append(d)
            for unit, domains in by_unit.items():
                led[unit].append(f"{names.get(area, area)} ("
                                 f"{focus_labels(SEPARATOR.join(domains))})")
    return pd.DataFrame(
        [[unit_text(organisation, u), len(areas), "; ".join(areas) or MISSING]
         for u, areas in led.items()], columns=[UNIT_COL, N_COL, AREAS_COL])


def rule_label(weighting: str, chosen: str, top_k: int | None = None) -> str:
    """A rule's column heading: its words, "(vald)" for the chosen one."""
    label = WEIGHTINGS[weighting][:1].upper() + WEIGHTINGS[weighting][1:]
    if top_k is not None:
        label = label.replace("topp k", f"topp {top_k}")
    return f"{label} (vald)" if weighting == chosen else label


def budget_table(analysis: Analysis) -> pd.DataFrame:
    """The budget per area under the chosen rule and the alternatives side by side, each
    "kronor (90 %: low–high kr)", the chosen rule first; a last row "Summa". Empty without
    a recommendation."""
    rec = recommendations(analysis)
    if rec is None:
        return pd.DataFrame(columns=[AREA, CODE])
    comparison, chosen = rec.comparison, rec.rules.weighting
    names = area_names(analysis)
    rules = [c for c in comparison.columns if c in WEIGHTINGS]
    out = pd.DataFrame({AREA: [names.get(a, a) for a in comparison.index],
                        CODE: list(comparison.index)})
    for w in rules:
        low = comparison.get(f"{w}_{LOW}", pd.Series(pd.NA, index=comparison.index))
        high = comparison.get(f"{w}_{HIGH}", pd.Series(pd.NA, index=comparison.index))
        out[rule_label(w, chosen, rec.top_k)] = [allocation_text(k, lo, hi) for k, lo, hi
                                      in zip(comparison[w], low, high, strict=True)]
    order = comparison[rules[0]].sort_values(ascending=False, kind="stable").index if rules \
        else comparison.index
    out = out.set_index(CODE, drop=False).loc[order].reset_index(drop=True)
    total = {AREA: "Summa", CODE: ""}
    total.update({rule_label(w, chosen, rec.top_k): format_kronor(int(comparison[w].sum()))
                  for w in rules})
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def budget_caption(analysis: Analysis) -> str:
    """The chosen rule in one sentence, the interval's meaning and the notes."""
    rec = recommendations(analysis)
    if rec is None:
        return ("Budgeten fördelas efter prioritetsnivåernas osäkerhet: analysen gjordes "
                "utan osäkerhetsberäkning.")
    text = (rec.rules.allocation.text(len(rec.areas), rec.top_k)
            + f" Intervallet ({INTERVAL_WORDS}) är 5–95 % av fördelningarna i "
            "osäkerhetsberäkningens dragningar. Andra regler visas bredvid för jämförelse, "
            f"med samma belopp och grundandel ({format_percent(rec.rules.base_share * 100)}).")
    return " ".join((text, *rec.notes))


def budget_sheet(analysis: Analysis) -> pd.DataFrame:
    """The budget under each rule in whole kronor (the workbook's sheet "Budget"): per rule
    the amount and its 5 % and 95 % bounds, the chosen rule first; empty without a
    recommendation."""
    rec = recommendations(analysis)
    if rec is None:
        return pd.DataFrame(columns=[AREA, CODE])
    comparison, chosen = rec.comparison, rec.rules.weighting
    names = area_names(analysis)
    out = pd.DataFrame({AREA: [names.get(a, a) for a in comparison.index],
                        CODE: list(comparison.index)})
    for w in (c for c in comparison.columns if c in WEIGHTINGS):
        label = rule_label(w, chosen, rec.top_k)
        out[f"{label} (kr)"] = comparison[w].to_numpy()
        for bound, words in ((LOW, "5 %"), (HIGH, "95 %")):
            if f"{w}_{bound}" in comparison.columns:
                out[f"{label}, {words} (kr)"] = comparison[f"{w}_{bound}"].to_numpy()
    return out
