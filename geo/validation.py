"""External validation of the default analysis against the police's data.

What a user gets by default (SCB's embedded statistics, :func:`geo.sources.real_inputs`,
the default settings of :func:`geo.inputs.default_settings` with disclosure control on, run
by :func:`geo.analysis.run_analysis`) is compared with two outcomes that are not inputs of
the index:

* **utsatta områden**: whether an area is touched by one of the police's utsatta områden
  (:func:`geo.io.overlays.overlaps_in_areas`): *any* overlap (share > 0) as the primary
  outcome, at least :data:`geo.io.overlays.MIN_SHARE` of the area (the comparison column's
  rule, which ignores border slivers) as a sensitivity check;
* **offences**: the police's recorded offences per 1 000 inhabitants
  (:func:`geo.spatial.offences.offences_per_area`, summed to RegSO through SCB's DeSO→RegSO
  link, divided by the indicator table's population, unrounded): the latest full year of
  the file as the primary outcome (the comparison column's year), all full years pooled as
  a sensitivity check.

Both police files cover one kommun only. An area outside what a file covers has no outcome
and is left out, so the national run ranks all of Sweden's RegSO and is *evaluated* on the
covered ones. SCB's områdestyp (1–2 against 3–5) is computed too, marked as not external:
it is built from the same socio-economic inputs, so agreement with it is partly built in.

The metrics are fixed in :data:`PREREGISTERED` (committed before any metric was computed; see
the git history of this file) and computed by :mod:`indicators.validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from geo.analysis import Analysis, run_analysis
from geo.inputs import default_settings
from geo.io.areas import read_layer
from geo.io.overlays import MIN_SHARE, OVERLAP_SHARE, overlaps_in_areas, read_utsatta_omraden
from geo.io.scb_files import KOMMUN_NAME, OMRADESTYP, REGSO_NAME, YEAR, read_omradestyp
from geo.sources import SWEDEN, areas_for, kommuner, real_inputs, region_areas
from geo.spatial.offences import (
    OFFENCES_COLUMN,
    latest_full_year,
    offences_per_area,
    population_of,
    read_police_offences,
)
from indicators.columns import AREA_ID, AREA_NAME
from indicators.validation import (
    AUC,
    SPEARMAN,
    MetricResult,
    MetricSpec,
    auc_estimate,
    spearman_estimate,
)

HUDDINGE = "0126"
SCOPES = {HUDDINGE: "Huddinges RegSO", SWEDEN: "Sveriges alla RegSO"}

# Outcome columns of :class:`Outcomes`.
TOUCHED = "berörs_av_utsatt_område"
TOUCHED_1PCT = "berörs_minst_1_procent"
OFFENCE_RATE = "brott_per_1000_senaste_året"
OFFENCE_RATE_POOLED = "brott_per_1000_alla_år"
LOW_TYPE = "områdestyp_1_2"

OUTCOME_TEXT = {
    TOUCHED: "Berörs av polisens utsatta områden (någon överlappning)",
    TOUCHED_1PCT: "Berörs av polisens utsatta områden (minst 1 % av ytan)",
    OFFENCE_RATE: "Polisens anmälda brott per 1 000 invånare, senaste hela året",
    OFFENCE_RATE_POOLED: "Polisens anmälda brott per 1 000 invånare, alla hela år",
    LOW_TYPE: "SCB:s områdestyp 1–2 (mot 3–5)",
}


def _specs() -> tuple[MetricSpec, ...]:
    out = []
    for scope, where in SCOPES.items():
        out += [
            MetricSpec(f"{scope}:{TOUCHED}", AUC, OUTCOME_TEXT[TOUCHED], where),
            MetricSpec(f"{scope}:{OFFENCE_RATE}", SPEARMAN, OUTCOME_TEXT[OFFENCE_RATE], where),
            MetricSpec(f"{scope}:{TOUCHED_1PCT}", AUC, OUTCOME_TEXT[TOUCHED_1PCT], where,
                       primary=False),
            MetricSpec(f"{scope}:{OFFENCE_RATE_POOLED}", SPEARMAN,
                       OUTCOME_TEXT[OFFENCE_RATE_POOLED], where, primary=False),
            MetricSpec(f"{scope}:{LOW_TYPE}", AUC, OUTCOME_TEXT[LOW_TYPE], where,
                       external=False),
        ]
    return tuple(out)


PREREGISTERED: tuple[MetricSpec, ...] = _specs()
"""The metrics, fixed before any was computed. Per scope (Huddinge's RegSO ranked among
themselves; all of Sweden's RegSO ranked together): the primary AUC for "touched by an
utsatt område" (any overlap) and Spearman's rho against the offences per 1 000 inhabitants
of the latest full year; as sensitivity checks the AUC at ≥ 1 % overlap and rho against all
full years pooled; and, not external, the AUC for SCB's områdestyp 1–2. Expected direction:
AUC > 0.5, rho > 0 (a higher score is more need)."""


@dataclass(frozen=True)
class PoliceFiles:
    """The outcome files: the utsatta områden polygons and the kommuner they cover (the file
    is a subset of the police's national layer, so coverage cannot be read from it), the
    offences per DeSO (covering the kommuner of their DeSO codes), SCB's DeSO→RegSO link
    and SCB's områdestyp CSV."""

    utsatta: Path
    utsatta_kommuner: tuple[str, ...]
    offences: Path
    link: Path
    omradestyp: Path

    @classmethod
    def shared(cls, root: str | Path) -> PoliceFiles:
        """The files of ``../shared/data`` (see its PROVENANCE.md)."""
        root = Path(root)
        return cls(root / "huddinge" / "polisen_utsatta_omraden_2023_0126_epsg3006.gpkg",
                   (HUDDINGE,),
                   root / "huddinge" / "polisen_brott_per_deso_0126_2000-2024Q1.csv",
                   root / "sweden" / "koppling_deso2018_regso2020.csv",
                   root / "sweden" / "regso_socioekonomisk_index_2023.csv")


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Per area (index ``area_id``, in the analysis' order): the composite ``score`` and the
    outcome columns (missing where the outcome's file does not cover the area); ``notes``
    say in Swedish what each column is and covers; ``vintage`` the police data's years."""

    frame: pd.DataFrame
    notes: tuple[str, ...]
    vintage: str


@dataclass(frozen=True, eq=False)
class Validation:
    """The default analysis of one scope, its outcomes and the pre-registered metrics."""

    scope: str
    analysis: Analysis
    outcomes: Outcomes
    results: tuple[MetricResult, ...]


def default_analysis(scope: str) -> Analysis:
    """The analysis a user gets by default for Huddinge (``"0126"``) or all of Sweden
    (``"00"``): RegSO 2025, SCB's embedded statistics, the default settings."""
    areas = region_areas(SWEDEN) if scope == SWEDEN else areas_for(kommun=scope)
    inputs = real_inputs(areas)
    settings, _ = default_settings(inputs)
    if not settings.small_numbers.disclosure:
        raise ValueError("the default settings have disclosure control off; the validation "
                         "is of the default, with it on")
    return run_analysis(inputs, settings)


def _omradestyp_per_area(areas: pd.DataFrame, path: Path) -> tuple[pd.Series, str]:
    """SCB's områdestyp per area, matched on kommun name and RegSO name (SCB gives names,
    not codes), as :func:`geo.spatial.comparisons.match_omradestyp` does for one kommun."""
    table = read_omradestyp(path)
    key = {(k.casefold(), r.casefold()): t for k, r, t in
           zip(table[KOMMUN_NAME], table[REGSO_NAME], table[OMRADESTYP], strict=True)}
    names = kommuner()
    kommun = areas[AREA_ID].astype(str).str[:4].map(names)
    typ = [key.get((str(k).casefold(), str(r).casefold()), pd.NA)
           for k, r in zip(kommun, areas[AREA_NAME], strict=True)]
    values = pd.Series(typ, index=areas[AREA_ID].to_numpy(), dtype="Int64")
    note = (f"SCB:s områdestyp {int(table[YEAR].iloc[0])} ({path.name}) matchad på kommun- "
            f"och RegSO-namn: {int(values.notna().sum())} av {len(values)} områden.")
    return values, note


def _dated_polygons(path: Path) -> str:
    """The police's date per polygon (column ``AKTUALITET``), as text; empty without it."""
    frame = read_layer(path)
    columns = {str(c).casefold(): c for c in frame.columns}
    if "aktualitet" not in columns or "namn" not in columns:
        return ""
    dates = ", ".join(f"{n} {str(d)[:10]}" for n, d in zip(
        frame[columns["namn"]], frame[columns["aktualitet"]], strict=True))
    return f"; områdenas aktualitet: {dates}"


def collect_outcomes(analysis: Analysis, files: PoliceFiles) -> Outcomes:
    """The score and the outcomes per area of ``analysis`` (see the module docstring)."""
    inputs = analysis.inputs
    areas = inputs.areas.frame
    ids = pd.Index(areas[AREA_ID].astype(str), name=AREA_ID)
    kommun = pd.Series(ids.str[:4], index=ids)
    frame = pd.DataFrame({"score": analysis.result.score.reindex(ids).to_numpy()}, index=ids)
    notes = []

    overlay = read_utsatta_omraden(files.utsatta)
    share = overlaps_in_areas(areas, overlay).per_area.set_index(AREA_ID)[OVERLAP_SHARE]
    share = share.reindex(ids).astype(float)
    covered = kommun.isin(files.utsatta_kommuner)
    frame[TOUCHED] = pd.array(np.where(covered, share > 0, pd.NA), dtype="boolean")
    frame[TOUCHED_1PCT] = pd.array(np.where(covered, share >= MIN_SHARE, pd.NA),
                                   dtype="boolean")
    notes.append(f"Utsatta områden: {len(overlay.frame)} polygoner ur {files.utsatta.name} "
                 f"({', '.join(sorted(overlay.frame['overlay_name']))}); filen täcker "
                 f"kommun {', '.join(files.utsatta_kommuner)}, så {int(covered.sum())} av "
                 f"{len(ids)} områden har ett utfall.")

    police = read_police_offences(files.offences, files.link)
    population = population_of(inputs)
    if population.counts is None:
        raise ValueError(population.note)
    people = population.counts.reindex(ids).astype(float)
    people[people <= 0] = np.nan
    latest, full = police.chosen_year()
    full_years = [y for y in police.offences.years if y <= (latest_full_year(police.offences)
                                                            or latest)]
    per_year = {y: offences_per_area(ids, replace(police, year=y))[0][OFFENCES_COLUMN]
                for y in full_years}
    latest_counts = per_year[latest].astype("Float64")
    pooled = sum(per_year.values()).astype("Float64")
    frame[OFFENCE_RATE] = (latest_counts / people * 1000).to_numpy()
    frame[OFFENCE_RATE_POOLED] = (pooled / people * 1000).to_numpy()
    dated = _dated_polygons(files.utsatta)
    vintage = (f"Polisens utsatta områden är 2023 års lista (lagret uso_2023{dated}). De "
               f"anmälda brotten är brott med DeSO-kod ur ett uttag med brottsdatum "
               f"{min(police.offences.years)}–{max(police.offences.years)} (registrerade till "
               f"och med {police.offences.data['registered_date'].max().date().isoformat()}): "
               f"huvudmåttet använder {latest}, det senaste hela året"
               f"{'' if full else ' (kanske inte helt)'}, känslighetskontrollen "
               f"{min(full_years)}–{max(full_years)} sammanlagt. Uttaget har bara brottskoderna "
               f"{', '.join(police.offences.codes)} (bränder, bilbränder, sabotage mot "
               f"blåljusverksamhet, våld mot tjänsteman m.m.), inte all brottslighet. "
               f"Indexets indata och befolkningen: {inputs.table_source.title} "
               f"({inputs.table_source.date}).")
    data = police.offences.data
    lacking = int(data.loc[(data["year"] == latest) & (data["deso"] == ""), "count"].sum())
    notes.append(f"Anmälda brott: {files.offences.name}, summerade från DeSO till RegSO genom "
                 f"{files.link.name}; {int(frame[OFFENCE_RATE].notna().sum())} av {len(ids)} "
                 f"områden har ett utfall (kommunerna med DeSO-koder i filen). {latest}: "
                 f"{int(data.loc[data['year'] == latest, 'count'].sum())} brott, varav "
                 f"{lacking} utan DeSO-kod (i inget område). Invånare: indikatortabellens "
                 f"befolkning ({inputs.table_name}).")

    typ, typ_note = _omradestyp_per_area(areas, files.omradestyp)
    frame[LOW_TYPE] = pd.array(typ.reindex(ids).map(lambda t: pd.NA if pd.isna(t) else t <= 2),
                               dtype="boolean")
    notes.append(typ_note)
    return Outcomes(frame, tuple(notes), vintage)


def _coverage(used: pd.DataFrame, total: int) -> str:
    kommuner_used = sorted(set(used.index.str[:4]))
    shown = ", ".join(kommuner_used[:5]) + (" …" if len(kommuner_used) > 5 else "")
    return (f"{len(used)} av {total} områden har utfallet (kommun {shown}); de övriga saknar "
            "uppgift och ingår inte.")


def compute_metrics(outcomes: Outcomes, scope: str,
                    specs: Sequence[MetricSpec] = PREREGISTERED) -> tuple[MetricResult, ...]:
    """The pre-registered metrics of ``scope`` on ``outcomes`` (areas without the outcome
    left out)."""
    results = []
    frame = outcomes.frame
    for spec in specs:
        where, column = spec.key.split(":", 1)
        if where != scope:
            continue
        used = frame[frame[column].notna() & frame["score"].notna()]
        score = used["score"].to_numpy(dtype=float)
        if spec.metric == AUC:
            labels = used[column].to_numpy(dtype=bool)
            estimate = auc_estimate(score, labels)
            positives: int | None = int(labels.sum())
        else:
            estimate = spearman_estimate(score, used[column].to_numpy(dtype=float))
            positives = None
        results.append(MetricResult(spec, estimate, positives, _coverage(used, len(frame))))
    return tuple(results)


def validate(scope: str, files: PoliceFiles) -> Validation:
    """Run the default analysis of ``scope`` and compute its pre-registered metrics."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope '{scope}'; expected one of {', '.join(SCOPES)}")
    analysis = default_analysis(scope)
    outcomes = collect_outcomes(analysis, files)
    return Validation(scope, analysis, outcomes, compute_metrics(outcomes, scope))



def result_rows(validation: Validation, digits: int = 4) -> list[dict[str, str]]:
    """One row per metric as text (values rounded to ``digits``): what the results file
    holds and what a test recomputes and compares."""
    rows = []
    for r in validation.results:
        e = r.estimate
        rows.append({
            "key": r.spec.key, "metric": r.spec.metric, "outcome": r.spec.outcome,
            "scope": r.spec.scope, "external": "yes" if r.spec.external else "no",
            "primary": "yes" if r.spec.primary else "no", "n": str(e.n),
            "positives": "" if r.n_positive is None else str(r.n_positive),
            "value": f"{e.value:.{digits}f}", "low": f"{e.low:.{digits}f}",
            "high": f"{e.high:.{digits}f}", "dropped": str(e.dropped)})
    return rows
