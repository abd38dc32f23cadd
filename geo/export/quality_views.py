"""The section "Indexets kvalitet" as the app and the HTML report show it: the outlier
table, the statistical coherence per domain and the robustness of the ranks, as Swedish
frames (numbers already written the Swedish way, :func:`indicators.swedish.format_number`)
and sentences. The statistics are computed in :mod:`indicators.outliers` and
:mod:`indicators.quality`; nothing here computes, it only words.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.analysis import Analysis, analysis_bands
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.outliers import (
    KURTOSIS_LIMIT,
    LOGGED,
    MAX_WINSORISED,
    SKEW_LIMIT,
    WINSORISED,
    OutlierTreatment,
)
from indicators.quality import ALPHA_GOOD, Robustness, coherence, robustness
from indicators.ranking import rank_areas
from indicators.swedish import format_integer, format_number, format_percent
from indicators.uncertainty import Mapper

HEADING = "Indexets kvalitet"
OUTLIER_COLUMNS = ["Indikator", "Snedhet före", "Kurtosis före", "Snedhet efter",
                   "Kurtosis efter", "Åtgärd", "Områden"]


@dataclass(frozen=True, eq=False)
class QualityView:
    """The section's parts; ``robustness`` None when it was not computed (on request)."""

    outliers: pd.DataFrame
    outlier_text: tuple[str, ...]
    domains: pd.DataFrame
    indicators: pd.DataFrame
    coherence_text: tuple[str, ...]
    robustness: pd.DataFrame | None = None
    robustness_text: tuple[str, ...] = ()
    heading: str = HEADING


def _n(value: float, decimals: int = 2) -> str:
    return format_number(value, decimals)


def _table(analysis: Analysis) -> pd.DataFrame:
    """The table the analysis ranked (protected and prepared), the very object."""
    return analysis.result.table


def _names(analysis: Analysis) -> dict[str, str]:
    return dict(zip(analysis.joined[AREA_ID].astype(str), analysis.joined[AREA_NAME],
                    strict=True))


def outlier_frame(treatment: OutlierTreatment, analysis: Analysis) -> pd.DataFrame:
    """One row per indicator that breaks the rule: skewness and kurtosis before and after,
    what was done and, for winsorising, the areas whose value was changed."""
    cat, names = analysis.inputs.catalogue, _names(analysis)
    rows = []
    for t in treatment.treatments:
        if not t.breaks_rule:
            continue
        if t.method == WINSORISED:
            done = f"winsoriserad ({t.points} {'värde' if t.points == 1 else 'värden'})"
        elif t.method == LOGGED:
            done = "logaritmerad"
        else:
            done = "ingen (behandling avstängd)"
        rows.append({"Indikator": cat[t.indicator].name,
                     "Snedhet före": _n(t.skew_before), "Kurtosis före": _n(t.kurtosis_before),
                     "Snedhet efter": _n(t.skew_after), "Kurtosis efter": _n(t.kurtosis_after),
                     "Åtgärd": done,
                     "Områden": "; ".join(names.get(a, a) for a in t.areas) or "–"})
    return pd.DataFrame(rows, columns=OUTLIER_COLUMNS)


def _outlier_text(analysis: Analysis, treatment: OutlierTreatment) -> tuple[str, ...]:
    rule = (f"Regeln (COINr, OECD/JRC:s handbok): en indikator har extremvärden när "
            f"|snedhet| > {_n(SKEW_LIMIT, 0)} och kurtosis > {_n(KURTOSIS_LIMIT, 1)}.")
    broken = [t for t in treatment.treatments if t.breaks_rule]
    if not broken:
        return (rule + " Ingen av indikatorerna gör det.",)
    s = analysis.settings
    if s.outliers == "none":
        how = (f" {len(broken)} indikatorer gör det men behandlas inte: extremvärden är "
               'avstängt i inställningarna (outliers = "none"), så ett fåtal områden kan '
               "styra de indikatorerna.")
        other = s.with_changes(outliers="auto")
    else:
        how = (f" {len(broken)} indikatorer gjorde det och behandlades före normaliseringen: "
               f"först winsorisering (det mest extrema värdet får nästa värde, högst "
               f"{MAX_WINSORISED} värden) tills regeln håller, annars logaritmering "
               "(log(x − min + a), a = 1 % av spännvidden). Områdenas värden i tabeller "
               "och flaggor är de ursprungliga.")
        other = s.with_changes(outliers="none")
    alt = rank_areas(_table(analysis), analysis.inputs.catalogue, other)
    rho = analysis.result.score.corr(alt.score, method="spearman")
    effect = (f"Rangordningen med behandling jämfört med utan: Spearmans ρ = {_n(rho)}."
              if pd.notna(rho) else "")
    return (rule + how, effect) if effect else (rule + how,)


def _coherence_frames(analysis: Analysis) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    co = coherence(analysis.result)
    cat = analysis.inputs.catalogue
    domains = pd.DataFrame({
        "Domän": [DOMAINS[d] for d in co.domains.index],
        "Indikatorer": [format_integer(v) for v in co.domains["n_indicators"]],
        "Områden med alla värden": [format_integer(v) for v in co.domains["n_areas"]],
        "Cronbachs alfa": [_n(v) for v in co.domains["alpha"]],
        "Första komponentens andel": [format_percent(100 * v, 0) for v in co.domains["pc1_share"]],
    })
    indicators = pd.DataFrame({
        "Indikator": [cat[i].name for i in co.indicators.index],
        "Domän": [DOMAINS[d] for d in co.indicators["domain"]],
        "Korrelation med domänen": [_n(v) for v in co.indicators["r_domain"]],
        "Förklarad andel av indexet (r²)": [format_percent(100 * v, 0)
                                            for v in co.indicators["r2"]],
        "Andel av indexets varians": [format_percent(100 * v, 0)
                                      for v in co.indicators["variance_share"]],
    })
    text = [f"Cronbachs alfa mäter hur väl en domäns indikatorer hänger ihop (1 = helt; "
            f"handbokens tumregel är minst {_n(ALPHA_GOOD, 1)}); första principalkomponentens "
            "andel är den del av indikatorernas variation som en gemensam dimension förklarar "
            "(1/antalet indikatorer om de inte samvarierar alls). Båda räknas på de "
            "normaliserade värdena, över områden som har domänens alla värden; en domän med en "
            "indikator har inget mått."]
    low = [DOMAINS[d] for d, v in co.domains["alpha"].items() if pd.notna(v) and v < ALPHA_GOOD]
    if low:
        text.append("Alfa under " + _n(ALPHA_GOOD, 1) + ": " + ", ".join(low) + ".")
    if co.negative:
        text.append("Korrelerar negativt med sin egen domän (drar åt motsatt håll mot "
                    "domänens övriga indikatorer): "
                    + ", ".join(cat[i].name for i in co.negative) + ".")
    else:
        text.append("Ingen indikator korrelerar negativt med sin egen domän.")
    return domains, indicators, tuple(text)


def robustness_frame(rob: Robustness) -> pd.DataFrame:
    f = rob.factors
    return pd.DataFrame({
        "Osäkert val": f["label"].tolist(),
        "Varians i rang": [_n(v) for v in f["variance"]],
        "Andel": [format_percent(100 * v, 0) for v in f["share"]],
        "Genomsnittlig rangförskjutning": [_n(v) for v in f["mean_shift"]],
        "Beräkningar": [format_integer(v) for v in f["runs"]],
    })


def robustness_text(rob: Robustness) -> tuple[str, ...]:
    return (
        f"Genomsnittlig rangförskjutning R̄S = {_n(rob.mean_shift)} placeringar: så långt "
        f"flyttas ett område i genomsnitt från sin rang med de valda inställningarna, över "
        f"{format_integer(rob.draws)} Monte Carlo-dragningar av osäkerhetsanalysen "
        f"({format_integer(rob.n_areas)} områden; COINr:s mått).",
        "Variansuppdelningen ändrar ett val i taget och håller de andra vid de valda "
        f"inställningarna ({format_integer(rob.factor_draws)} dragningar per val; att utelämna "
        "en indikator prövas för varje indikator i tur och ordning). Variansen är "
        "rangens varians per område, i medeltal över områdena, och andelen är valets del av "
        "summan över valen: ett förstaordningsmått vid de valda inställningarna, inte ett "
        "Sobolindex. Alla val tillsammans i osäkerhetsanalysen ger variansen "
        f"{_n(rob.full_variance)}.",
    )


def quality_view(analysis: Analysis, *, with_robustness: bool = True,
                 censored: pd.DataFrame | None = None, factor_draws: int | None = None,
                 mapper: Mapper = map) -> QualityView:
    """The section "Indexets kvalitet" of ``analysis``; ``with_robustness`` False leaves the
    (slower) robustness out. ``censored``: the censored counts the Monte Carlo varies
    (see :func:`indicators.quality.robustness`)."""
    treatment = analysis.result.base.outliers
    if treatment is None:    # a base made before outliers were treated: nothing to report
        outliers, otext = pd.DataFrame(columns=OUTLIER_COLUMNS), ()
    else:
        outliers, otext = outlier_frame(treatment, analysis), _outlier_text(analysis, treatment)
    domains, indicators, ctext = _coherence_frames(analysis)
    rob_frame, rtext = None, ()
    if with_robustness:
        rob_frame, rtext = robustness_view(analysis, censored=censored,
                                           factor_draws=factor_draws, mapper=mapper)
    return QualityView(outliers, otext, domains, indicators, ctext, rob_frame, rtext)


def robustness_view(analysis: Analysis, *, censored: pd.DataFrame | None = None,
                    factor_draws: int | None = None, mapper: Mapper = map
                    ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The robustness part of the section: its table and its sentences. ``censored``:
    the bands the Monte Carlo varies; by default those of the analysis."""
    a = analysis.assessment
    if censored is None and a is not None:      # the hidden counts' bands, as the analysis
        censored = analysis_bands(a.prepared, analysis.inputs.carried)
    rob = robustness(_table(analysis), analysis.inputs.catalogue, analysis.settings,
                     source=analysis.result.source, ranking=analysis.result,
                     uncertainty=None if a is None else a.uncertainty, censored=censored,
                     factor_draws=factor_draws, mapper=mapper)
    return robustness_frame(rob), robustness_text(rob)
