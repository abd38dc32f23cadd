"""Tables the app shows, built from an :class:`~geo.analysis.Analysis`: where the data
come from and what each source covers, which indicators the table cannot compute, which
values are missing and why, Kolada's reference table (the data page); one area's profile,
how certain its place is, its values beside the kommun's and its trend (the map tab); the
effective weights, correlations, sensitivity, hot spots and the tiers beside the
comparisons (the drivers tab); the areas of a plan and the resources per area (the
åtgärdsplan tab; the plan's own tables, which need no geography, are :mod:`plans.views`).

Plain frames and small frozen views with Swedish headers and text; the app shows them as
they are (no widget logic here, so they are tested without Streamlit).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.analysis import (
    TIER,
    Analysis,
    hidden_band,
    hidden_cells,
    hidden_text,
    published_values,
    rank_span,
    robustness_columns,
    value_text,
)
from geo.export.tables import ranking_table
from geo.spatial.comparisons import (
    OMRADESTYP_COLUMN,
    POLICE_LEVEL,
    POLICE_SHARE,
    count_column,
)
from geo.spatial.hotspots import Hotspots
from geo.spatial.offences import OFFENCES_COLUMN, OFFENCES_ROLE
from indicators.assessment import TrendReport
from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.ranking import RankingResult
from indicators.sensitivity import effective_weights
from indicators.swedish import format_number, format_percent
from indicators.table import pooled_values
from indicators.tiers import HIGH, OTHER, RAISED, agreement
from plans.followup import STATUSES, FollowUp
from plans.model import PlanContents

NO_REASON = "tom cell eller saknad kolumn i indikatortabellen"


def source_coverage(analysis: Analysis, available: tuple[str, ...]) -> dict[str, str]:
    """How much of the map each source covers, by role ("Områden", "Indikatorer", then
    the comparisons)."""
    inputs, report = analysis.inputs, analysis.join_report
    n_areas = len(inputs.areas.frame)
    areas = "område" if n_areas == 1 else "områden"
    out = {"Områden": f"{n_areas} {areas}",
           "Indikatorer": f"{len(report.matched)} av {n_areas} {areas}, {len(available)} av "
                          f"{len(inputs.catalogue)} indikatorer"}
    if analysis.comparison is not None:
        columns = analysis.comparison.columns
        for role, _ in analysis.comparison.sources:
            if role == "Utsatta områden":
                touched = int((columns[POLICE_SHARE] > 0).sum())
                out[role] = f"{touched} av {n_areas} {areas} berörs"
            elif role == "Områdestyp":
                out[role] = f"{columns[OMRADESTYP_COLUMN].notna().sum()} av {n_areas} {areas}"
            elif role == OFFENCES_ROLE:
                known = int(columns[OFFENCES_COLUMN].notna().sum())
                out[role] = (f"{int(columns[OFFENCES_COLUMN].sum())} brott i {known} av "
                             f"{n_areas} {areas}")
            elif count_column(role) in columns:
                out[role] = f"{int(columns[count_column(role)].sum())} punkter i {n_areas} {areas}"
    return out


def source_table(analysis: Analysis, available: tuple[str, ...]) -> pd.DataFrame:
    """One row per source: its role, title, origin, date, licence, coverage and notes."""
    coverage = source_coverage(analysis, available)
    return pd.DataFrame([{
        "Data": role, "Titel": s.title, "Källa": s.source, "Datum": s.date,
        "Licens": s.licence or "–", "Täckning": coverage.get(role, "–"),
        "Syntetiska": "ja" if s.synthetic else "nej", "Anmärkning": s.note or "–"}
        for role, s in analysis.source_roles()])


def lacking_columns(analysis: Analysis, available: tuple[str, ...]) -> pd.DataFrame:
    """The catalogue's indicators the table cannot compute, with the columns it lacks
    (no rows when it can compute all)."""
    inputs = analysis.inputs
    return pd.DataFrame([{"Indikator": ind.name, "Saknade kolumner": ", ".join(
        c for c in ind.columns if c not in inputs.table.columns)}
        for ind in inputs.catalogue.values() if ind.id not in available],
        columns=["Indikator", "Saknade kolumner"])


def missing_reasons(analysis: Analysis,
                    fetch_missing: pd.DataFrame | None = None) -> dict[tuple[str, str], str]:
    """Why a value is missing, by (area, column): SCB's symbols in a fetch
    (``fetch_missing``: columns area_id, column, reason) and disclosure control."""
    reasons: dict[tuple[str, str], str] = {}
    if fetch_missing is not None:
        reasons.update({(r.area_id, r.column): r.reason for r in fetch_missing.itertuples()})
    disclosure = analysis.assessment.prepared.disclosure if analysis.assessment else None
    if disclosure is not None:
        reasons.update({(r.area_id, r.column): r.reason
                        for r in disclosure.suppressed.itertuples()})
    return reasons


def missing_values(analysis: Analysis,
                   fetch_missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per missing indicator value: the indicator, the area and why (every reason
    of its columns once, in order; :data:`NO_REASON` when none is known)."""
    catalogue, missing = analysis.inputs.catalogue, published_values(analysis).isna()
    reasons = missing_reasons(analysis, fetch_missing)
    rows = []
    for ind_id in missing.columns[missing.any()]:
        columns = catalogue[ind_id].columns
        for area in missing.index[missing[ind_id]]:
            why = [reasons[(area, c)] for c in columns if (area, c) in reasons]
            rows.append({"Indikator": catalogue[ind_id].name, "Område": area,
                         "Orsak": "; ".join(dict.fromkeys(why)) or NO_REASON})
    return pd.DataFrame(rows, columns=["Indikator", "Område", "Orsak"])


def join_summary(analysis: Analysis, missing: pd.DataFrame) -> str | None:
    """The data page's sentence above the missing values (``missing``, from
    :func:`missing_values`) when every area has a row in the table: that every area and
    row matched, and how many values are still missing or hidden (None when the join
    left areas or rows over: the join's own messages say what)."""
    if not analysis.join_report.complete:
        return None
    if not len(missing):
        return "Alla områden har indikatordata och alla rader i tabellen har ett område."
    n_areas = missing["Område"].nunique()
    return (f"Alla områden finns i indikatortabellen och alla rader i tabellen har ett "
            f"område, men {len(missing)} indikatorvärden i {n_areas} av "
            f"{len(analysis.result.values)} områden saknas eller är dolda. Tabellen nedan "
            "visar vilka och varför.")


# An indicator missing or hidden in more than this share of the areas is named on the map tab.
QUALITY_SHARE = 0.25


def data_quality_notes(analysis: Analysis, share: float = QUALITY_SHARE) -> tuple[str, ...]:
    """One sentence per indicator of the ranking whose value is missing or hidden
    (disclosure control) in more than ``share`` of the areas, saying what that does to the
    ranking as :mod:`indicators.ranking` and :mod:`indicators.prepare` do it: a missing
    value does not count, and the indicator's weight goes to the domain's other
    indicators in that area (to the other domains where the domain has no value left);
    a hidden count is computed at the middle of its band and varied over the band by the
    Monte Carlo."""
    values, catalogue = analysis.result.values, analysis.inputs.catalogue
    hidden = hidden_cells(analysis)
    n = len(values)
    notes = []
    for ind_id in values.columns:
        n_missing = int(values[ind_id].isna().sum())
        n_hidden = int((hidden[ind_id] & values[ind_id].notna()).sum())
        if n == 0 or n_missing + n_hidden <= share * n:
            continue
        ind = catalogue[ind_id]
        parts = [f"saknas i {n_missing}" if n_missing else "",
                 f"är dolt av röjandekontrollen i {n_hidden}" if n_hidden else ""]
        text = [f"{ind.name} " + " och ".join(p for p in parts if p) + f" av {n} områden."]
        if n_missing:
            text.append("Där värdet saknas räknas indikatorn inte: dess vikt fördelas på de "
                        f"övriga indikatorerna i domänen {DOMAINS.get(ind.domain, ind.domain)}"
                        " i just de områdena (på de övriga domänerna om domänen inte har "
                        "något värde kvar där), så de områdena rangordnas på färre uppgifter "
                        "än de andra.")
        if n_hidden:
            text.append("Där värdet är dolt (få personer) räknas antalet som mitten av sitt "
                        "möjliga intervall, och osäkerhetsanalysen låter det variera över "
                        "hela intervallet: de områdenas placering är osäkrare.")
        notes.append(" ".join(text))
    return tuple(notes)


CLUSTERS = ("Het punkt", "Kall punkt")


def hotspot_table(hotspots: Hotspots) -> pd.DataFrame:
    """One row per variable (the score, then each domain computed) and kind of cluster
    (Gi* hot or cold spot, after FDR) that has areas: the variable, the kind and the
    areas as "name (code)"; no rows when nothing is significant."""
    names = {"score": "Sammanvägt index", **DOMAINS}
    rows = []
    for variable in hotspots.variables:
        frame = hotspots.for_variable(variable)
        for label in CLUSTERS:
            ids = frame.index[frame["gi_label"] == label]
            if len(ids):
                rows.append({"Variabel": names.get(variable, variable), "Kluster": label,
                             "Områden": ", ".join(f"{frame.at[a, AREA_NAME]} ({a})"
                                                  for a in ids)})
    return pd.DataFrame(rows, columns=["Variabel", "Kluster", "Områden"])


# -- the map tab: one area's profile --------------------------------------------------------
def area_names(analysis: Analysis) -> dict[str, str]:
    """Area code to name, for every area of the analysis (:attr:`Analysis.names`)."""
    return analysis.names


@dataclass(frozen=True)
class ProfileView:
    """One area's profile as the map tab shows it: the heading, three key figures, the
    domain scores beside the mean of all areas, and lines of text for the indicators that
    push the score up most, the flags and the missing values."""

    heading: str
    rank: str
    score: str
    n_flags: int
    domains: pd.DataFrame
    contributors: tuple[str, ...]
    threshold: str
    flags: tuple[str, ...]
    missing: tuple[str, ...]


def profile_view(analysis: Analysis, area_id: str) -> ProfileView:
    """The profile of ``area_id``: domain rows in :data:`DOMAINS`' Swedish names, columns
    the area, the mean of all areas and their difference (positive = greater need)."""
    result = analysis.result
    profile = result.profile(area_id)
    domains = pd.DataFrame({"Området": profile.domain_scores,
                            "Genomsnitt för alla områden": profile.domain_means})
    domains["Skillnad mot genomsnittet"] = (domains["Området"]
                                            - domains["Genomsnitt för alla områden"])
    domains.index = [DOMAINS[d] for d in domains.index]
    name = area_names(analysis).get(area_id, area_id)
    return ProfileView(
        heading=f"Områdesprofil: {name} ({area_id})",
        rank=f"{int(profile.rank)} av {profile.n_areas}" if not pd.isna(profile.rank) else "–",
        score=format_number(profile.score), n_flags=len(profile.flags), domains=domains,
        contributors=tuple(f"{c.indicator.name}: "
                           f"{value_text(analysis, area_id, c.indicator.id, c.value)}"
                           f" (bidrag {format_number(c.contribution, 3)})"
                           for c in profile.top_contributors),
        threshold=format_percent(result.settings.flag_threshold * 100, 0),
        flags=tuple(f"{c.indicator.name}: "
                    f"{value_text(analysis, area_id, c.indicator.id, c.value)}"
                    for c in profile.flags),
        missing=tuple(ind.name for ind in profile.missing))


def comparison_lines(analysis: Analysis, area_id: str) -> tuple[str, ...]:
    """The comparisons' values for ``area_id`` as ``label: value`` lines (the police's
    utsatta områden, SCB's områdestyp, points counted in the area; empty ones left out):
    the lines the map's full tooltip carries, for the app's profile, since the hover
    tooltip is compact and a click in the app opens the profile."""
    if analysis.comparison is None:
        return ()
    details = analysis.comparison.tooltip_details()
    details = details[~details.index.duplicated()]
    if area_id not in details.index:
        return ()
    return tuple(f"{label}: {value}" for label, value in details.loc[area_id].items()
                 if isinstance(value, str) and value)


def domain_table(view: ProfileView) -> pd.DataFrame:
    """The profile's domain scores as shown: the domain, the area, the mean of all areas
    and the difference, Swedish numbers with two decimals, under short headers (the
    table stands in the narrow column beside the map and is shown whole)."""
    shown = view.domains.map(format_number).rename(columns={
        "Området": "Området", "Genomsnitt för alla områden": "Medel",
        "Skillnad mot genomsnittet": "Skillnad"})
    return shown.rename_axis("Domän").reset_index()


@dataclass(frozen=True)
class CertaintyView:
    """How certain one area's place is: its tier, the rank in 90 % of the draws, the
    probability of the top k, its Gi* cluster, the share of draws per rank (None without
    the counts) with their caption, and why its data are few (None when they are not)."""

    tier: str
    rank_span: str
    top_k_label: str
    p_top_k: str
    cluster: str
    rank_shares: pd.Series | None
    caption: str
    small: str | None


def certainty_view(analysis: Analysis, area_id: str) -> CertaintyView | None:
    """None when the analysis has no assessment or does not rank ``area_id``."""
    a = analysis.assessment
    if a is None or area_id not in a.uncertainty.median_rank.index:
        return None
    u, k = a.uncertainty, a.top_k
    p = u.p_top_k.get(area_id)
    cluster = "–"
    if analysis.hotspots is not None and "score" in analysis.hotspots.variables:
        cluster = str(analysis.hotspots.for_variable("score")["gi_label"].get(area_id, "–"))
    shares = None
    if u.rank_counts is not None and area_id in u.rank_counts.index:
        counts = u.rank_counts.loc[area_id]
        shares = (counts / counts.sum() * 100).rename("Andel av beräkningarna (%)")
        shares.index = shares.index.astype(int)
        shares.index.name = "Rang"
    noise = " och slumpvariation i små antal" if analysis.settings.uncertainty.data_noise else ""
    small = None
    disclosure = a.prepared.disclosure
    if disclosure is not None and area_id in set(disclosure.small_areas[AREA_ID]):
        small = str(disclosure.small_areas.set_index(AREA_ID).loc[area_id, "reason"])
    return CertaintyView(
        tier=str(a.tiers.get(area_id, "–")),
        rank_span=rank_span(u.rank_low.get(area_id), u.rank_high.get(area_id)),
        top_k_label=f"Bland de {k} med störst behov",
        p_top_k=format_percent(p * 100, 0), cluster=cluster, rank_shares=shares,
        caption=f"Rangen i {u.draws} beräkningar med varierade vikter och metodval{noise}. "
                f"{a.rule.text(k)}",
        small=small)


TIER_ORDER = {HIGH: 0, RAISED: 1, OTHER: 2}


def _share_text(p: float) -> str:
    return format_percent(100 * p)


def tier_rank_notes(analysis: Analysis) -> tuple[tuple[str, str], ...]:
    """(area id, sentence), one per area whose priority tier is lower than that of an area ranked
    below it, saying why: the rank is the index with the chosen settings, the tier the
    share of the Monte Carlo draws that put the area among the top k
    (:func:`indicators.tiers.assign_tiers`). The area is set beside the first area
    below it with a higher tier. No sentences without an assessment."""
    a = analysis.assessment
    if a is None:
        return ()
    u, k, rule = a.uncertainty, a.top_k, a.rule
    rank = analysis.result.rank.dropna().sort_values(kind="stable")
    tiers = {x: str(t) for x, t in a.tiers.items()}
    ordered = [x for x in rank.index if tiers.get(x) in TIER_ORDER]
    names = area_names(analysis)
    # From the bottom up, the nearest area below of each tier: one pass, not a search
    # below every area (all of Sweden's 3,363 RegSO on every rerun).
    nearest: dict[int, tuple[int, str]] = {}
    first_above: dict[str, str] = {}
    for i in range(len(ordered) - 1, -1, -1):
        area = ordered[i]
        level = TIER_ORDER[tiers[area]]
        higher = [nearest[t] for t in nearest if t < level]
        if higher:
            first_above[area] = min(higher)[1]
        nearest[level] = (i, area)
    notes = []
    for area in ordered:
        other = first_above.get(area)
        if other is None:
            continue
        tier = tiers[area]
        p, p_other = float(u.p_top_k[area]), float(u.p_top_k[other])
        need = (f"Hög prioritet kräver minst {_share_text(rule.high_p)}" if tier == RAISED
                else f"Förhöjd kräver minst {_share_text(rule.raised_p)} eller medianrang "
                     f"högst {k} (här {format_number(u.median_rank[area], 0)})")
        notes.append((area,
            f"{names.get(area, area)}: rang {int(rank[area])} men {tier}: i topp {k} i "
            f"{_share_text(p)} av beräkningarna, mot {_share_text(p_other)} för rang "
            f"{int(rank[other])} ({names.get(other, other)}, {a.tiers[other]}). {need}. "
            "Rangen bygger på de valda inställningarna, prioriteten på alla "
            f"{u.draws} beräkningar med varierade vikter och metodval."))
    return tuple(notes)


def against_heading(analysis: Analysis) -> str:
    """The heading of :func:`against_kommun`'s table (markdown), naming what the area is
    compared with: the kommun, or the län or Sweden of a region's areas."""
    where = analysis.reference
    return (f"**Området jämfört med {where.whole}** ({where.over}: summan av antalen genom "
            "summan av befolkningen; dolt (1–4 personer) = ett antal som röjandekontrollen "
            "inte visar; – = saknas)")


def against_kommun(analysis: Analysis, area_id: str) -> pd.DataFrame | None:
    """The area's indicator values beside the whole municipality's (the län's or Sweden's
    for a region's areas: :mod:`indicators.reference`), pooled (the sum of the counts over
    the sum of the populations), and their difference, as Swedish numbers ("–" hidden or
    missing); the column is named "Hela kommunen", "Hela länet" …. None when the analysis
    does not rank ``area_id``."""
    catalogue, values = analysis.inputs.catalogue, published_values(analysis)
    whole = analysis.reference.whole
    whole = whole[:1].upper() + whole[1:]
    if area_id not in values.index:
        return None
    # The censored table: a hidden count enters the total at its band's midpoint only.
    kommun = pooled_values(analysis.inputs.table, catalogue, list(values.columns))
    bands = {i: hidden_band(analysis, area_id, i) for i in values.columns}
    return pd.DataFrame([{
        "Indikator": catalogue[i].name, "Enhet": catalogue[i].unit,
        "Området": (hidden_text(bands[i]) if bands[i] is not None
                    else format_number(values.at[area_id, i])),
        whole: format_number(kommun[i]),
        "Skillnad": format_number(values.at[area_id, i] - kommun[i])} for i in values.columns],
        columns=["Indikator", "Enhet", "Området", whole, "Skillnad"])


@dataclass(frozen=True)
class TrendView:
    """One area over the years: the heading, its rank per year (index the years as text),
    the verdict on the rank's change and each indicator's first and last rate."""

    heading: str
    ranks: pd.Series
    rank_change: str
    rates: pd.DataFrame
    intervals: pd.DataFrame | None = None
    """Per year ("År", as text): "Rang" and the Monte Carlo's "Rang 5 %" and "Rang 95 %"."""


def trend_view(report: TrendReport, catalogue: Catalogue, area_id: str) -> TrendView | None:
    """None when the trends do not rank ``area_id``."""
    if area_id not in report.ranks.index:
        return None
    first, last = str(report.years[0]), str(report.years[-1])
    ranks = report.ranks.loc[area_id].rename("Rang")
    ranks.index = ranks.index.astype(str)
    change = report.rank_change.loc[area_id]
    rows = [{"Indikator": catalogue[ind_id].name, first: r["rate_first"], last: r["rate_last"],
             "Förändring": r["change"], "Bedömning": r["verdict"], "Orsak": r["reason"]}
            for ind_id, frame in report.rate_changes.items() if area_id in frame.index
            for r in [frame.loc[area_id]]]
    intervals = None
    if report.rank_low is not None and report.rank_high is not None:
        intervals = pd.DataFrame({
            "År": ranks.index, "Rang": ranks.to_numpy(),
            "Rang 5 %": report.rank_low.reindex(columns=report.years).loc[area_id].to_numpy(),
            "Rang 95 %": report.rank_high.reindex(columns=report.years).loc[area_id].to_numpy()})
    return TrendView(
        heading=f"Över tid ({first}–{last})", ranks=ranks, intervals=intervals,
        rank_change=f"Rang {change['rank_first']:.0f} → {change['rank_last']:.0f}: "
                    f"{change['verdict']} (säker bara om rangintervallen inte överlappar).",
        rates=pd.DataFrame(rows, columns=["Indikator", first, last, "Förändring", "Bedömning",
                                          "Orsak"]).round(2))


# -- the drivers tab ------------------------------------------------------------------------
def weight_table(result: RankingResult) -> pd.DataFrame:
    """Each indicator's nominal weight and its effective influence on the index, in per
    cent to one decimal, and its correlation with the index to two."""
    weights = effective_weights(result)
    return pd.DataFrame({
        "Indikator": weights["name"], "Nominell vikt (%)": (weights["nominal"] * 100).round(1),
        "Verklig påverkan (%)": (weights["effective"] * 100).round(1),
        "Korrelation med index": weights["r"].round(2)})


def correlation_table(pearson: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The indicators' correlations to two decimals, rows and columns by their names."""
    names = {i: catalogue[i].name for i in pearson.columns}
    return pearson.rename(index=names, columns=names).round(2)


def correlation_note(flagged: pd.DataFrame, catalogue: Catalogue) -> str | None:
    """The strongly correlated pairs of :func:`indicators.sensitivity.correlations`
    (``flagged``: a, b, r) as one note in plain words, r with a decimal comma; None when
    there are none."""
    if not len(flagged):
        return None
    pairs = [f"{catalogue[r.a].name} och {catalogue[r.b].name} (r = {format_number(r.r)})"
             for r in flagged.itertuples()]
    positive, negative = (flagged["r"] > 0).any(), (flagged["r"] < 0).any()
    text = [f"{len(pairs)} par av indikatorer samvarierar starkt (Pearsons r över 0,9 eller "
            "under −0,9): " + "; ".join(pairs) + "."]
    if positive:
        text.append("Ett par med positivt r är höga i samma områden: det de har gemensamt "
                    "väger därför mer i indexet än var och en av deras vikter visar (se "
                    "Verklig påverkan ovan). De behöver inte mäta samma sak.")
    if negative:
        text.append("Ett par med negativt r drar åt motsatt håll och tar till stor del ut "
                    "varandra.")
    return " ".join(text)


def sensitivity_table(factors: pd.DataFrame) -> pd.DataFrame:
    """Each choice and how far it moves the ranks (and Sobol's S1 and ST when computed),
    to three decimals."""
    columns = ["label", "index"] + [c for c in ("S1", "ST") if c in factors]
    return factors[columns].rename(columns={
        "label": "Val", "index": "Påverkan (medelförflyttning i rang)"}).round(3)


@dataclass(frozen=True)
class AgreementView:
    """The tiers beside one comparison (SCB's områdestyp, the police's utsatta områden):
    heading, crosstab, the agreement in a sentence and the notes."""

    heading: str
    crosstab: pd.DataFrame
    summary: str
    notes: tuple[str, ...]


def agreement_views(analysis: Analysis) -> list[AgreementView]:
    """One view per comparison the analysis has loaded; none without tiers."""
    a, comparison = analysis.assessment, analysis.comparison
    if a is None or comparison is None or analysis.inputs.synthetic:
        return []
    names = area_names(analysis)
    views = []
    for column in (OMRADESTYP_COLUMN, POLICE_LEVEL):
        if column not in comparison.columns:
            continue
        agree = agreement(a.tiers, comparison.columns[column], label=column, names=names)
        views.append(AgreementView(
            heading=f"Prioritet jämförd med {column}", crosstab=agree.crosstab,
            summary=f"Samstämmighet: {format_percent(agree.share * 100, 0)} av "
                    f"{agree.n_compared} områden (Cohens kappa "
                    f"{format_number(agree.kappa, 2)}).", notes=tuple(agree.notes)))
    return views


def agreement_withheld(analysis: Analysis) -> str | None:
    """Why no agreement is shown for synthetic indicator values beside loaded comparisons
    (:func:`agreement_views` gives none for them); None otherwise."""
    comparison = analysis.comparison
    if (not analysis.inputs.synthetic or comparison is None
            or not any(c in comparison.columns for c in (OMRADESTYP_COLUMN, POLICE_LEVEL))):
        return None
    return ("Prioriteten jämförs inte med polisens eller SCB:s indelningar här: "
            "indikatorvärdena är syntetiska (påhittade av en slumpgenerator), så en "
            "samstämmighet eller ett kappavärde skulle inte säga något om de verkliga "
            "områdena. Jämförelsen räknas ut för verkliga data.")


# -- the data page: Kolada ------------------------------------------------------------------
KOLADA_TERMS = ("Villkor: fritt att använda, även kommersiellt, med källan angiven ('Källa: "
                "Kolada'); egna bearbetningar får inte anges som Kolada.")


def kolada_table(table: pd.DataFrame) -> pd.DataFrame:
    """Kolada's reference table as shown: without its attributes (the fetch date is kept
    there, and Streamlit cannot serialise it)."""
    shown = table.copy()
    shown.attrs = {}
    return shown


def kolada_caption(table: pd.DataFrame) -> str:
    """Where the reference table comes from, when it was fetched (from the saved copy or
    not) and Kolada's terms of use."""
    fetched = table.attrs.get("fetched")
    when = fetched.date().isoformat() if fetched is not None else "okänt datum"
    cached = " (sparad kopia)" if table.attrs.get("from_cache") else ""
    return f"Källa: Kolada (RKA), hämtat {when}{cached}. {KOLADA_TERMS}"


# -- the åtgärdsplan tab --------------------------------------------------------------------
def area_tiers(analysis: Analysis) -> pd.Series:
    """Each area's tier (priority) by area code; empty without an assessment."""
    return robustness_columns(analysis).get(TIER, pd.Series(dtype=str))


def plan_area_table(analysis: Analysis, contents: PlanContents,
                    followup: FollowUp) -> pd.DataFrame:
    """One row per area in the plan: its code and name, its rank and tier now, why it was
    chosen, its goals by status and its number of actions."""
    table = ranking_table(analysis)
    rank = dict(zip(table["Områdeskod"], table["Rang"], strict=True))
    tier = area_tiers(analysis)
    summary = followup.summary()
    rows = []
    for area in contents.areas:
        counts = summary.loc[area.area_id] if area.area_id in summary.index else None
        rows.append({"Områdeskod": area.area_id, "Område": area.area_name,
                     "Rang nu": rank.get(area.area_id),
                     "Prioritet nu": tier.get(area.area_id, "–"), "Motivering": area.reason,
                     "Mål": int(counts["Antal mål"]) if counts is not None else 0,
                     **{s.capitalize(): int(counts[s]) if counts is not None else 0
                        for s in STATUSES},
                     "Insatser": len(contents.actions_in(area.area_id))})
    return pd.DataFrame(rows, columns=["Områdeskod", "Område", "Rang nu", "Prioritet nu",
                                       "Motivering", "Mål",
                                       *(s.capitalize() for s in STATUSES), "Insatser"])


def resource_table(analysis: Analysis, counts: pd.DataFrame) -> pd.DataFrame:
    """The resources counted per area (``counts``, indexed by area code), with the code
    and the area's name first."""
    names = area_names(analysis)
    shown = counts.rename_axis("Områdeskod").reset_index()
    shown.insert(1, "Område", [names.get(a, a) for a in shown["Områdeskod"]])
    return shown
