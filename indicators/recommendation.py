"""The recommended area-based approach (issue 19): intensity, focus and förutsättningar per area.

Proportionate universalism: universal measures everywhere, their scale and intensity in
proportion to need. From the analysis every area gets:

* **Intensity**, one of :data:`INTENSITIES`, from its tier (:mod:`indicators.tiers`) by
  the rule's mapping (default "Hög prioritet" → *intensiv*, "Förhöjd" → *förstärkt*,
  "Övriga" → *bas*). The mapping never gives a lower tier a higher intensity, so more
  need never lowers the intensity. An area without rank ("Ingen rang") gets no
  recommendation, and its reason says so.
* **Straddling.** The area's 90 % rank interval (``rank_low``–``rank_high``, 5–95 % of
  the Monte Carlo draws) *straddles* levels when it reaches the places of areas that get
  another intensity: some other ranked area with another intensity has its median rank
  within the interval. ``straddles`` names those intensities (most intensive first).
* **Focus**: the domains *clearly above the kommun*, at most ``max_focus`` (1–3), ordered
  by their contribution to the area's score (largest first). A domain is clearly above
  when the area's domain score lies at least ``focus_threshold`` standard deviations of
  that domain's scores over the ranked areas above their mean (population standard
  deviation; a domain without spread has no focus), **and** the domain pushes the area's
  score up (its indicators' contributions, effective weight × distance from the mean,
  sum to more than 0). An area without such a domain gets no focus (empty), never the
  largest of small deviations: noise does not make a focus.
* **Förutsättningar**: protective domains (:data:`PROTECTIVE_DOMAINS`: skyddsfaktorer,
  skola; domain scores point toward need, so a strength is a low score) where the area
  lies at least ``protective_threshold`` standard deviations *below* the kommun's mean:
  strengths to build on. The resources counted per area (point layers such as
  fritidsgårdar, read and counted in ``geo/``) are listed beside them by
  :func:`strengths_text`: "Fritidsgardar: 2" by the layer's own name, "0" where none lies
  in the area, :data:`NO_RESOURCES` when no point layer is loaded.
* **On the map** the focus is the second line of the area's name, in short words
  (:data:`FOCUS_SHORT`, :func:`focus_short`): "Vårby gård" / "kriminalitet · skola".
* **Reason**, one Swedish sentence: "Intensiv: i topp 4 i 96 % av beräkningarna; fokus
  kriminalitet och skola, där området ligger klart över kommunen."

"The kommun" is the ranked areas of the analysis: for a län's or Sweden's RegSO the
sentences say "länet" or "Sverige" (:mod:`indicators.reference`).

The rules, with the budget's :class:`~indicators.allocation.AllocationRule`, are the
``[rekommendation]`` section of the settings (:class:`RecommendationRules`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indicators.allocation import AllocationRule
from indicators.columns import DOMAINS
from indicators.errors import Problems, SettingsError
from indicators.reference import KOMMUN, Reference
from indicators.swedish import (
    format_integer,
    format_number,
    format_percent,
    format_rank_span,
)
from indicators.tiers import HIGH, NO_RANK, OTHER, RAISED, TIERS, TierRule

if TYPE_CHECKING:   # the settings import this module, and the ranking the settings
    from indicators.ranking import RankingResult
    from indicators.uncertainty import RankUncertainty

INTENSITIES: tuple[str, ...] = ("bas", "förstärkt", "intensiv")
INTENSITY_MEANINGS: dict[str, str] = {
    "bas": "universella insatser för alla barn och unga",
    "förstärkt": "universella insatser och selektiva insatser för grupper med förhöjd risk",
    "intensiv": "universella och selektiva insatser, indikerade insatser för enskilda barn "
                "och unga, samordnade mellan förvaltningarna",
}
PROTECTIVE_DOMAINS: tuple[str, ...] = ("skyddsfaktorer", "skola")
NO_RECOMMENDATION = "Ingen rekommendation"
#: The domains' short names, for the second line of an area's name on the map of the
#: recommended approach ("kriminalitet · skola"); a domain not here is shown by its name.
FOCUS_SHORT: dict[str, str] = {
    "psykisk_ohalsa": "psyk. ohälsa",
    "missbruk": "missbruk",
    "kriminalitet": "kriminalitet",
    "socioekonomi": "socioekonomi",
    "skola": "skola",
    "skyddsfaktorer": "skyddsfakt.",
}
FOCUS_SHORT_SEPARATOR = " · "
#: Förutsättningar when no point layer (resources such as fritidsgårdar) is loaded.
NO_RESOURCES = "inga resurser inlästa"
RESOURCES_WORDS = "resurser i området"

# Columns of recommend_areas' table.
TIER = "tier"
INTENSITY = "intensity"        # one of INTENSITIES, "" without rank
STRADDLES = "straddles"        # the other intensities the rank interval reaches, "; "
FOCUS = "focus"                # domain ids, "; ", largest contribution first
STRENGTHS = "strengths"        # protective domain ids clearly better than the kommun
REASON = "reason"              # one Swedish sentence
COLUMNS = (TIER, INTENSITY, STRADDLES, FOCUS, STRENGTHS, REASON)
SEPARATOR = "; "

_TIER_KEYS = {HIGH: "intensity_high", RAISED: "intensity_raised", OTHER: "intensity_other"}


def _positive(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


@dataclass(frozen=True)
class RecommendationRules:
    """The rules of the recommendation and the budget (``[rekommendation]`` in the
    settings file; see the module docstring and :mod:`indicators.allocation`)."""

    intensity_high: str = "intensiv"      # for "Hög prioritet"
    intensity_raised: str = "förstärkt"   # for "Förhöjd"
    intensity_other: str = "bas"          # for "Övriga"
    focus_threshold: float = 1.0          # sd above the kommun's mean for a focus
    max_focus: int = 3                    # at most this many focus domains (1–3)
    protective_threshold: float = 1.0     # sd below the mean for a förutsättning
    total_kr: int = AllocationRule.total_kr
    base_share: float = AllocationRule.base_share
    weighting: str = AllocationRule.weighting

    FILE_KEYS = ("intensity_high", "intensity_raised", "intensity_other", "focus_threshold",
                 "max_focus", "protective_threshold", "total_kr", "base_share", "weighting")

    def __post_init__(self) -> None:
        problems = Problems(SettingsError)
        levels = []
        for tier, key in _TIER_KEYS.items():
            value = getattr(self, key)
            if value not in INTENSITIES:
                problems.add(f"okänd intensitet för '{tier}'.", column=key, values=[value],
                             expected=", ".join(INTENSITIES))
            else:
                levels.append(INTENSITIES.index(value))
        if len(levels) == len(_TIER_KEYS) and levels != sorted(levels, reverse=True):
            problems.add("en lägre prioritetsnivå kan inte få högre intensitet än en högre.",
                         column="intensity_raised",
                         values=[self.intensity_high, self.intensity_raised,
                                 self.intensity_other],
                         fix="ge 'Hög prioritet' minst samma intensitet som 'Förhöjd', och "
                             "'Förhöjd' minst samma som 'Övriga'")
        for key in ("focus_threshold", "protective_threshold"):
            value = getattr(self, key)
            if not _positive(value):
                problems.add("ska vara ett tal > 0: antal standardavvikelser från områdenas "
                             "medelvärde.", column=key, values=[value], fix="ange t.ex. 1.0")
            else:
                object.__setattr__(self, key, float(value))
        if (isinstance(self.max_focus, bool) or not isinstance(self.max_focus, int)
                or not 1 <= self.max_focus <= 3):
            problems.add("antalet fokusdomäner ska vara ett heltal från 1 till 3.",
                         column="max_focus", values=[self.max_focus])
        try:
            rule = AllocationRule(self.total_kr, self.base_share, self.weighting)
            object.__setattr__(self, "base_share", rule.base_share)
        except SettingsError as err:
            for p in err.problems:
                problems.add(p.message, column=p.column, values=p.values,
                             expected=p.expected, fix=p.fix)
        problems.raise_if_any()

    @property
    def allocation(self) -> AllocationRule:
        return AllocationRule(self.total_kr, self.base_share, self.weighting)

    def intensity(self, tier: str) -> str:
        """The intensity of a tier; "" for "Ingen rang"."""
        return getattr(self, _TIER_KEYS[tier]) if tier in _TIER_KEYS else ""

    def text(self, top_k: int | None = None, n_areas: int | None = None,
             reference: Reference = KOMMUN) -> str:
        """The rules in Swedish, for the app, the exports and the method page; the areas
        are compared with ``reference`` (the kommun, the län, Sweden)."""
        levels = "; ".join(f"{tier} → {self.intensity(tier)} ("
                           f"{INTENSITY_MEANINGS[self.intensity(tier)]})" for tier in TIERS)
        protective = " och ".join(_label(d) for d in PROTECTIVE_DOMAINS)
        return (f"Intensitet efter prioritetsnivå: {levels}. {NO_RANK}: "
                f"{NO_RECOMMENDATION.lower()}. Fokus: de högst {self.max_focus} domäner "
                f"där området ligger klart över {reference.over}, minst "
                f"{_sd(self.focus_threshold)} över {reference.mean} och med ett "
                "positivt bidrag till områdets poäng, störst bidrag först; finns ingen "
                f"sådan domän får området inget särskilt fokus. Förutsättningar: {protective}"
                f" där området ligger minst {_sd(self.protective_threshold)} bättre än "
                f"{reference.mean}. " + self.allocation.text(n_areas, top_k))


def _sd(value: float) -> str:
    return (f"{format_number(value, 2, trim=True)} "
            + ("standardavvikelse" if value == 1 else "standardavvikelser"))


def _label(domain: str, names: Mapping[str, str] = DOMAINS) -> str:
    label = names.get(domain, domain)
    return label[:1].lower() + label[1:]


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} och {items[-1]}"


def domain_deviations(domain_scores: pd.DataFrame, ranked: pd.Series) -> pd.DataFrame:
    """Each area's domain scores in standard deviations from the mean over the ranked
    areas (``ranked``: True per area id), population sd; NaN where the domain has no
    spread or the area no value."""
    scores = domain_scores.astype(float)
    among = scores[ranked.reindex(scores.index, fill_value=False).to_numpy(dtype=bool)]
    sd = among.std(ddof=0)
    sd = sd.where(sd > 1e-12)
    return (scores - among.mean()) / sd


def domain_contributions(contributions: pd.DataFrame, domain_of: Mapping[str, str]
                         ) -> pd.DataFrame:
    """The indicators' contributions (area × indicator) summed per domain."""
    groups = [domain_of[c] for c in contributions.columns]
    return contributions.T.groupby(groups, sort=False).sum(min_count=1).T


def recommend_areas(deviations: pd.DataFrame, contributions: pd.DataFrame, tiers: pd.Series,
                    uncertainty: pd.DataFrame, top_k: int, rules: RecommendationRules,
                    domain_names: Mapping[str, str] = DOMAINS,
                    reference: Reference = KOMMUN) -> pd.DataFrame:
    """One row per area of ``tiers`` (columns :data:`COLUMNS`).

    ``deviations``: domain scores in sd from the mean of the ranked areas, the kommun's
    or ``reference``'s (:func:`domain_deviations`);
    ``contributions``: per domain (:func:`domain_contributions`); ``uncertainty``: per
    area ``median_rank``, ``rank_low``, ``rank_high`` and ``p_top_k``
    (:meth:`~indicators.uncertainty.RankUncertainty.summary`)."""
    index = tiers.index
    tier = tiers.astype(str)
    u = uncertainty.reindex(index)
    dev = deviations.reindex(index)
    con = contributions.reindex(index=index, columns=dev.columns)
    intensity = tier.map(rules.intensity).fillna("")
    ranked = (intensity != "") & u["median_rank"].notna()
    median = u["median_rank"][ranked]
    out = pd.DataFrame(index=index)
    out[TIER] = tier
    out[INTENSITY] = intensity
    # Which other intensities each area's rank interval reaches: per intensity, the sorted
    # median ranks of its areas, and a binary search for each interval (n log n: a loop
    # over all areas for each area took seconds for Sweden's 3 363 RegSO).
    lows = u["rank_low"].to_numpy(dtype=float)
    highs = u["rank_high"].to_numpy(dtype=float)
    levels = intensity.to_numpy(dtype=object)
    medians = {lv: np.sort(median[intensity[median.index] == lv].to_numpy(dtype=float))
               for lv in INTENSITIES}
    columns = list(dev.columns)
    dev_rows = dev.to_numpy(dtype=float)
    con_rows = con.to_numpy(dtype=float)
    p_top = u["p_top_k"].to_numpy(dtype=float)
    protective = [d for d in PROTECTIVE_DOMAINS if d in columns]
    straddles, focus, strengths, reasons = [], [], [], []
    for i in range(len(index)):
        level = levels[i]
        if not level:
            straddles.append("")
            focus.append("")
            strengths.append("")
            reasons.append(f"{NO_RECOMMENDATION}: området saknar rang (för få värden), så "
                           "underlaget räcker inte för ett angreppssätt.")
            continue
        low, high = lows[i], highs[i]
        reached = [lv for lv in reversed(INTENSITIES) if lv != level and (
            np.searchsorted(medians[lv], high, side="right")
            > np.searchsorted(medians[lv], low, side="left"))]
        row_dev = dict(zip(columns, dev_rows[i], strict=True))
        row_con = dict(zip(columns, con_rows[i], strict=True))
        clear = [d for d in columns
                 if row_dev[d] >= rules.focus_threshold - 1e-9 and row_con[d] > 0]
        clear.sort(key=lambda d: -row_con[d])
        chosen = clear[:rules.max_focus]
        good = [d for d in protective if row_dev[d] <= -rules.protective_threshold + 1e-9]
        straddles.append(SEPARATOR.join(reached))
        focus.append(SEPARATOR.join(chosen))
        strengths.append(SEPARATOR.join(good))
        p = p_top[i]
        parts = [f"{level.capitalize()}: i topp {top_k} i "
                 f"{format_percent(p * 100, 1)} av beräkningarna" if p > 0 else
                 f"{level.capitalize()}: inte i topp {top_k} i någon beräkning"]
        names = [_label(d, domain_names) for d in chosen]
        parts.append(f"fokus {_listed(names)}, där området ligger klart över "
                     f"{reference.over}" if chosen else "ingen domän ligger klart över "
                     f"{reference.over}, så inget särskilt fokus")
        if reached:
            parts.append(f"rangintervallet {format_rank_span(low, high)} når även platser "
                         f"där områden får {' och '.join(reached)}")
        if good:
            parts.append(f"att bygga på: {_listed([_label(d, domain_names) for d in good])},"
                         f" där området ligger klart bättre än {reference.over}")
        reasons.append("; ".join(parts) + ".")
    out[STRADDLES] = straddles
    out[FOCUS] = focus
    out[STRENGTHS] = strengths
    out[REASON] = reasons
    return out


def recommend(result: RankingResult, uncertainty: RankUncertainty, tiers: pd.Series,
              rules: RecommendationRules, reference: Reference = KOMMUN) -> pd.DataFrame:
    """:func:`recommend_areas` of a ranking (:class:`~indicators.ranking.RankingResult`),
    its Monte Carlo (:class:`~indicators.uncertainty.RankUncertainty`) and tiers, the
    areas compared with ``reference``."""
    ranked = result.score.notna()
    domain_of = {i: result.catalogue[i].domain for i in result.contributions.columns}
    return recommend_areas(domain_deviations(result.domain_scores, ranked),
                           domain_contributions(result.contributions, domain_of), tiers,
                           uncertainty.summary(), uncertainty.top_k, rules,
                           reference=reference)


def empty_levels(areas: pd.DataFrame, rules: RecommendationRules, tier_rule: TierRule,
                 top_k: int) -> tuple[str, ...]:
    """Why an intensity the rules give no area is empty: one Swedish sentence per such
    intensity that some tier maps to, naming the tier's rule (``areas``: the frame of
    :func:`recommend`). With few areas and stable ranks the tiers, and so the intensities,
    can be two levels only: the reader is told, not left to wonder at "0 områden"."""
    out = []
    for level in reversed(INTENSITIES):
        tiers = [t for t in TIERS if rules.intensity(t) == level]
        if not tiers or (areas[INTENSITY] == level).any():
            continue
        rule = tier_rule.definitions(top_k)
        named = " eller ".join(f"'{t}' ({rule[t]})" for t in tiers)
        out.append(f"Inget område får {level}: inget ligger i prioritetsnivån {named}."
                   " Ändra prioritetsnivåernas gränser eller k (i appen under 'Osäkerhet, "
                   "små tal och prioritet', i inställningsfilen [tiers] och top_k) om fler "
                   "områden ska få denna nivå.")
    return tuple(out)


def focus_labels(focus: str, names: Mapping[str, str] = DOMAINS) -> str:
    """A focus (or strengths) cell as Swedish words: "kriminalitet och skola"; "" if none."""
    ids = [d for d in focus.split(SEPARATOR) if d]
    return _listed([_label(d, names) for d in ids]) if ids else ""


def intensity_rank(intensity: pd.Series) -> pd.Series:
    """0 (bas) … 2 (intensiv) per area, NaN without a recommendation: for sorting and
    for the map's colours."""
    return intensity.map({level: i for i, level in enumerate(INTENSITIES)}).astype(float)


def focus_line_legend(reference: Reference = KOMMUN) -> str:
    """What the maps' legend says of the second line of a name (the area's focus)."""
    return f"Andra raden: fokus, domäner klart över {reference.over}."


#: :func:`focus_line_legend` for one kommun's areas.
FOCUS_LINE_LEGEND = focus_line_legend()


def focus_short(focus: str, names: Mapping[str, str] = DOMAINS) -> str:
    """A focus cell in the map's short words, "kriminalitet · skola" (:data:`FOCUS_SHORT`;
    a domain not there by its name in lower case); "" without a focus."""
    ids = [d for d in focus.split(SEPARATOR) if d]
    return FOCUS_SHORT_SEPARATOR.join(FOCUS_SHORT.get(d) or _label(d, names) for d in ids)


def resources_text(counts: Mapping[str, int] | None) -> str:
    """The resources counted in an area, by each point layer's own name, in the layers'
    order: "Fritidsgardar: 2, Skolor: 0" (a layer with no point in the area is "0", not
    left out); :data:`NO_RESOURCES` when ``counts`` is None (no point layer loaded)."""
    if not counts:
        return NO_RESOURCES
    return ", ".join(f"{name}: {format_integer(int(n))}" for name, n in counts.items())


def strengths_text(strengths: str, counts: Mapping[str, int] | None,
                   names: Mapping[str, str] = DOMAINS) -> str:
    """Förutsättningar in words: the protective domains clearly better than the kommun
    (a :data:`STRENGTHS` cell) and the resources counted in the area
    (:func:`resources_text`): "skyddsfaktorer; resurser i området: Fritidsgardar: 2";
    "inga resurser inlästa" when no point layer is loaded."""
    parts = [focus_labels(strengths, names)] if strengths else []
    parts.append(f"{RESOURCES_WORDS}: {resources_text(counts)}" if counts
                 else NO_RESOURCES)
    return SEPARATOR.join(parts)
