"""One analysis: protect small numbers, rank, simulate the uncertainty, tier, find hotspots and
join to the areas (:func:`run_analysis`); the robustness columns every output shows.

The shell's one cache of the method lives here: the weight-independent stages of an
assessment (:func:`indicators.assessment.weightless_stage` and
:func:`indicators.uncertainty.monte_carlo_stage`) are kept in bounded LRUs
(:mod:`geo.cache`) keyed by the inputs' content digest and the settings but their weight
values, so that a weight change in the app redoes only the weighting; the result is
bit-identical to one computed afresh. The Monte Carlo's batches run on a thread pool
of at most ``MAX_WORKERS`` threads shared by every analysis of the process.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cache import LRUCache, content_digest
from geo.inputs import Inputs, arrived_cells, validation_section
from geo.io.files import (
    SourceInfo,
)
from geo.io.recommendation_files import RecommendationFiles, default_recommendation_files
from geo.io.scb_wide import FROM_PERCENT
from geo.spatial.comparisons import ComparisonResult, Comparisons, compare_areas
from geo.spatial.hotspots import HotspotError, Hotspots, find_hotspots, values_from_ranking
from geo.spatial.join import JoinReport, join_areas
from geo.spatial.merge import Merge, merge_small_areas
from geo.spatial.offences import population_of
from indicators.assessment import (
    Assessment,
    TrendReport,
    WeightlessStage,
    assess_ranking,
    censored_bands,
    rank_with,
    trend_report,
    weightless_stage,
)
from indicators.catalogue import Catalogue
from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    SCORE,
)
from indicators.disclosure import Disclosure, Held, apply_disclosure, band_text, carry_censored
from indicators.interventions import InterventionCatalogue
from indicators.levels import FROM_ID
from indicators.method import Section, method_page
from indicators.organisation import Organisation
from indicators.prepare import Prepared
from indicators.ranking import RankingResult, settings_key
from indicators.reference import Reference, reference_for
from indicators.settings import AnalysisSettings, SmallNumbers
from indicators.swedish import format_number, format_rank_span
from indicators.uncertainty import MonteCarloStage, monte_carlo_key, monte_carlo_stage
from plans.followup import FollowUp, follow_up, tables_by_year
from plans.model import PlanContents

MAX_WORKERS = 4                 # threads of the Monte Carlo (numpy releases the GIL)
STAGES = LRUCache(16)           # WeightlessStage per (inputs digest, source, settings key)
MONTE_CARLO = LRUCache(16, max_bytes=128_000_000, weigh=lambda stage: stage.nbytes)
"""MonteCarloStage per stage key and :func:`~indicators.uncertainty.monte_carlo_key`
(Sweden's RegSO: about 31 MB each; 20,000 areas: 142 MB, 114 MB of it the noise
replicates, so that the bound keeps only the newest there). The bulk of what a weight
change keeps: an :class:`Analysis` itself holds about 4 MB at 6,000 areas (its ranking's
weights and contributions, the joined frame), never the draws."""
PROTECTED = LRUCache(8)         # protect_inputs per (inputs digest, threshold, min population)
"""Protected inputs, each with its digest kept (:meth:`Inputs.keep_digest`): a weight
change hashes only the inputs it is given, not the protected ones again."""

_POOL = ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, os.cpu_count() or 1)),
                           thread_name_prefix="prevmap-montecarlo")
_T = TypeVar("_T")


def pool_map(func: Callable[[int], object], items: Iterable[int]) -> Iterator[object]:
    """The method's ``mapper`` (see :data:`indicators.uncertainty.Mapper`) on the shared
    thread pool; threads start with the first call."""
    return _POOL.map(func, items)


def clear_stage_cache() -> None:
    """Forget every kept stage (for tests and benchmarks)."""
    STAGES.clear()
    MONTE_CARLO.clear()
    PROTECTED.clear()


def _kept(cache: LRUCache, key: Hashable, make: Callable[[], _T]) -> _T:
    held = cache.get(key)
    if held is None:
        held = make()
        cache.put(key, held)
    return held


def assess_kept(digest: str, table: pd.DataFrame, catalogue: Catalogue,
                settings: AnalysisSettings, *, source: str,
                carried: pd.DataFrame | None = None) -> Assessment:
    """:func:`indicators.assessment.assess` with its weight-independent stages kept by
    ``digest`` (the content digest of the inputs ``table`` comes from, with whatever
    else the table depends on: the year, the merging), ``source`` and the settings but
    their weight values. The method refuses a stage made for another table content, so
    a wrong digest fails loudly instead of giving another table's results."""
    key = (digest, source, settings_key(settings))
    stage: WeightlessStage = _kept(STAGES, key, lambda: weightless_stage(
        table, catalogue, settings, source=source))
    prepared, ranking = rank_with(stage, table, catalogue, settings, source=source)
    options = settings.uncertainty
    censored = analysis_bands(prepared, carried)
    monte_carlo: MonteCarloStage = _kept(
        MONTE_CARLO, (key, monte_carlo_key(ranking, catalogue, options, censored=censored)),
        lambda: monte_carlo_stage(ranking, catalogue, options, censored=censored,
                                  mapper=pool_map))
    return assess_ranking(prepared, ranking, monte_carlo=monte_carlo, censored=censored,
                          mapper=pool_map)


def _sentence(note: str) -> str:
    """A note as a sentence: capitalised unless it starts with a file name."""
    first = note.split(" ", 1)[0]
    start = note if "." in first or "_" in first else note[:1].upper() + note[1:]
    return start if start.endswith(".") else start + "."


@dataclass(frozen=True, eq=False)
class Analysis:
    inputs: Inputs
    result: RankingResult
    joined: gpd.GeoDataFrame
    join_report: JoinReport
    comparison: ComparisonResult | None = None
    assessment: Assessment | None = None
    hotspots: Hotspots | None = None
    hotspot_error: str | None = None
    merge: Merge | None = None
    inputs_digest: str | None = None
    """:attr:`Inputs.digest` of the inputs as given to :func:`run_analysis` (before any
    merging of small areas); None: that of ``inputs``."""
    comparisons_digest: str = ""
    """:attr:`Comparisons.digest` of the comparisons added; empty without."""
    recommendation_files: RecommendationFiles | None = None
    """The organisation file and interventions catalogue chosen instead of the shipped ones
    (:func:`add_recommendation_files`); None: the shipped ones."""
    robustness: pd.DataFrame = field(init=False, repr=False)
    """Tier, rank interval, P(top k), hotspot and small-area flag per area (index
    area_id), computed at construction: the map, the table and the tooltips of one rerun
    all read it. Hand out copies (:func:`robustness_columns`)."""
    digest: str = field(init=False)
    """Hex SHA-256 of the inputs' digest, the comparisons' digest (empty without
    comparisons) and the settings as TOML: what this analysis was made from. Computed once,
    at construction: the app keys its caches by it several times per rerun."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "robustness", _robustness_columns(self))
        inputs = self.inputs_digest if self.inputs_digest is not None else self.inputs.digest
        files = () if self.recommendation_files is None else (self.recommendation_files.digest,)
        object.__setattr__(self, "digest", content_digest(inputs, self.comparisons_digest,
                                                          self.settings.to_toml(), *files))

    @property
    def settings(self) -> AnalysisSettings:
        return self.result.settings

    @property
    def title(self) -> str:
        return f"Behov av förebyggande arbete för barn och unga – {self.inputs.areas.source.title}"

    @property
    def sources(self) -> tuple[SourceInfo, ...]:
        return tuple(source for _, source in self.source_roles())

    def source_roles(self) -> tuple[tuple[str, SourceInfo], ...]:
        """Every source with its role ("Områden", "Indikatorer", then comparisons)."""
        roles = (("Områden", self.inputs.areas.source), ("Indikatorer", self.inputs.table_source))
        roles += self.comparison.sources if self.comparison else ()
        return roles + self.files.source_roles()

    @cached_property
    def reference(self) -> Reference:
        """What the areas are compared with, in words: the kommun, the län or Sweden
        (:func:`~indicators.reference.reference_for` of the area codes), read once."""
        return reference_for(self.joined[AREA_ID])

    @cached_property
    def names(self) -> dict[str, str]:
        """Area code to name, for every area of the analysis."""
        return dict(zip(self.joined[AREA_ID].astype(str), self.joined[AREA_NAME],
                        strict=True))

    @property
    def files(self) -> RecommendationFiles:
        """The organisation file and the interventions catalogue in use (issue 19)."""
        return self.recommendation_files or default_recommendation_files()

    @property
    def organisation(self) -> Organisation:
        """Who leads and who takes part per domain: the chosen file's, else Huddinge's."""
        return self.files.organisation

    @property
    def interventions(self) -> InterventionCatalogue:
        """The examples of evaluated interventions: the chosen catalogue, else the shipped."""
        return self.files.interventions

    def notes(self) -> list[str]:
        """Everything the user must know about the data: join gaps, repairs, missing values."""
        out = [_sentence(n) for n in self.inputs.notes]
        out += self.join_report.messages()
        out += [f"Geometrin för {r.area_id} var ogiltig ({r.reason}) och har reparerats."
                for r in self.inputs.areas.repairs]
        out += [n[0].upper() + n[1:] + "." for n in self.inputs.areas.notes]
        missing = self.result.values.isna().sum()
        for ind_id, n in missing[missing > 0].items():
            out.append(f"{self.inputs.catalogue[ind_id].name}: värde saknas för {n} område(n).")
        if self.assessment is not None:
            out += self.assessment.notes()
        if self.hotspot_error:
            out.append(self.hotspot_error)
        if self.merge is not None:
            out += self.merge.notes()
        if self.comparison:
            out += list(self.comparison.notes)
        return out

    def method_page(self) -> tuple[Section, ...]:
        top_k = self.assessment.top_k if self.assessment else max(1, round(len(
            self.result.score) / 5))
        catalogue = self.inputs.catalogue
        used = [i for i in self.result.values.columns if (self.result.weights[i] > 0).any()]
        disclosure = self.assessment.prepared.disclosure if self.assessment else None
        validation = validation_section()
        return method_page(self.settings, n_areas=int(self.result.score.notna().sum()),
                           top_k=top_k, n_indicators=len(used),
                           youth=disclosure.youth_column if disclosure is not None else None,
                           from_percent=[catalogue[i].name for i in used
                                         if catalogue[i].numerator in FROM_PERCENT],
                           domains=sorted({catalogue[i].domain for i in used}),
                           extra=() if validation is None else (validation,),
                           all_areas=len(self.result.score),
                           reference=self.reference)


BAND_COLUMNS = (AREA_ID, "column", "low", "high")


def _censored(table: pd.DataFrame, held: Held | None, catalogue: Catalogue, rule: SmallNumbers,
              arrived: pd.DataFrame | None, held_table: pd.DataFrame | None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``table`` with every hidden count of the held table censored (see
    :func:`protect_inputs`; ``held_table``: the held table of the same year), and the
    bands of the counts that hidden held counts were summed into (:func:`_carried`)."""
    if held is None or held_table is None:
        disclosure = apply_disclosure(table, catalogue, threshold=rule.disclosure_threshold,
                                      min_population=rule.min_population, arrived=arrived)
        return disclosure.censored, pd.DataFrame(columns=list(BAND_COLUMNS))
    disclosure = apply_disclosure(held_table, catalogue, threshold=rule.disclosure_threshold,
                                  min_population=rule.min_population, arrived=arrived)
    columns = [c for c in held_table.columns if c != AREA_ID]
    carried = carry_censored(held_table, disclosure.censored, held.link, table, columns)
    return carried, _carried(held_table, disclosure, held.link, table, columns)


def _carried(held_table: pd.DataFrame, disclosure: Disclosure, link: pd.DataFrame,
             table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The band of every count of ``table`` that hidden held counts were summed into: the
    count with each hidden part at the low end of its band, and at the high end (whole
    numbers, outward). The Monte Carlo draws such a count from its band, as it draws a
    hidden count of the areas themselves."""
    cells = disclosure.suppressed
    if not len(cells):
        return pd.DataFrame(columns=list(BAND_COLUMNS))
    position = {a: i for i, a in enumerate(disclosure.censored[AREA_ID].astype(str))}
    ends = {}
    for end in ("low", "high"):
        moved = disclosure.censored.copy()
        for column, group in cells.groupby("column", sort=False):
            values = moved[column].to_numpy(dtype=float, copy=True)
            values[[position[a] for a in group[AREA_ID]]] = group[end].to_numpy(dtype=float)
            moved[column] = values
        ends[end] = carry_censored(held_table, moved, link, table, columns).set_index(AREA_ID)
    rows = []
    for column in dict.fromkeys(cells["column"]):
        low, high = ends["low"][column], ends["high"][column]
        spread = low.notna() & high.notna() & (low != high)
        rows += [(str(a), column, float(math.floor(low[a] + 1e-9)),
                  float(math.ceil(high[a] - 1e-9))) for a in low.index[spread]]
    return pd.DataFrame(rows, columns=list(BAND_COLUMNS))


def protect_inputs(inputs: Inputs, settings: AnalysisSettings) -> Inputs:
    """``inputs`` with every hidden count censored where the data are held, before any
    summing (:mod:`indicators.disclosure`): each DeSO's hidden count is replaced by the
    midpoint of its band, and the RegSO, kommundelar or merged areas are summed again
    from the censored counts; the same for every year of the history. Nothing computed
    afterwards (index, ranks, totals, trends, the follow-up, the digest) depends on a
    hidden value. :attr:`Inputs.carried` gets the bands of the summed counts, which the
    Monte Carlo varies. Unchanged when disclosure control is off. The protected inputs
    are kept per content digest of ``inputs`` and the rule, with their own digest taken
    once (:meth:`Inputs.keep_digest`): never change them in place."""
    rule = settings.small_numbers
    if not rule.disclosure:
        return inputs
    key = (inputs.digest, rule.disclosure_threshold, rule.min_population)
    return _kept(PROTECTED, key, lambda: _protect(inputs, rule))


def _protect(inputs: Inputs, rule: SmallNumbers) -> Inputs:
    held = inputs.held
    missing = inputs.missing
    arrived = arrived_cells(missing)
    held_arrived = held.arrived if held is not None else arrived
    table, carried = _censored(inputs.table, held, inputs.catalogue, rule, held_arrived,
                               held.table if held is not None else None)
    earlier = dict(held.history) if held is not None else {}
    history = tuple((year, _censored(past, held if year in earlier else None, inputs.catalogue,
                                     rule, None, earlier.get(year))[0])
                    for year, past in inputs.history)
    return replace(inputs, table=table, history=history, held=None,
                   carried=carried if len(carried) else None).keep_digest()


def _merged_bands(before: Inputs, merge: Merge) -> pd.DataFrame | None:
    """The carried bands of ``before`` summed into the merged groups: a group's band is
    its count with each member's band's ends in place of the member's count."""
    bands = before.carried
    if bands is None or not merge.merged:
        return bands
    table = before.table.set_index(AREA_ID)
    group_of = dict(zip(merge.grouping[FROM_ID].astype(str),
                        merge.grouping[AREA_ID].astype(str), strict=True))
    counts = np.array([table.at[a, c] for a, c in zip(bands[AREA_ID], bands["column"],
                                                      strict=True)], dtype=float)
    offsets = pd.DataFrame({AREA_ID: bands[AREA_ID].map(group_of), "column": bands["column"],
                            "low": bands["low"].to_numpy() - counts,
                            "high": bands["high"].to_numpy() - counts}).groupby(
        [AREA_ID, "column"], as_index=False).sum()
    merged = merge.inputs.table.set_index(AREA_ID)
    counts = [merged.at[a, c] for a, c in zip(offsets[AREA_ID], offsets["column"], strict=True)]
    return pd.DataFrame({AREA_ID: offsets[AREA_ID], "column": offsets["column"],
                         "low": np.floor(counts + offsets["low"].to_numpy() + 1e-9),
                         "high": np.ceil(counts + offsets["high"].to_numpy() - 1e-9)})


def analysis_bands(prepared: Prepared, carried: pd.DataFrame | None) -> pd.DataFrame | None:
    """What the Monte Carlo draws from a band: the hidden counts of the areas themselves
    (:func:`indicators.assessment.censored_bands`) and the counts hidden held counts were
    summed into (``carried``), a cell of both by its own band."""
    own = censored_bands(prepared)
    if carried is None or not len(carried):
        return own
    if own is None:
        return carried.reset_index(drop=True)
    seen = set(zip(own[AREA_ID], own["column"], strict=True))
    extra = carried[[(a, c) not in seen for a, c in zip(carried[AREA_ID], carried["column"],
                                                          strict=True)]]
    return pd.concat([own, extra], ignore_index=True)


def run_analysis(inputs: Inputs, settings: AnalysisSettings,
                 comparisons: Comparisons | None = None) -> Analysis:
    """Protect small numbers, rank, simulate the uncertainty, tier, find hotspots and join;
    with ``comparisons`` (utsatta områden, områdestyp, points) also compute the comparison
    columns, which never enter the index. The analysis, and everything published from it,
    is made from :func:`protect_inputs`: its digest too, so that not even a digest
    depends on a hidden count."""
    inputs = protect_inputs(inputs, settings)
    inputs_digest = inputs.digest
    merge = None
    if settings.small_numbers.merge_small:
        chosen = [i for i in settings.indicators if i in inputs.catalogue
                  and all(c in inputs.table.columns for c in inputs.catalogue[i].columns)]
        merge = merge_small_areas(inputs, chosen, settings.small_numbers.min_population)
        inputs = replace(merge.inputs, carried=_merged_bands(inputs, merge))
    # merge_small_areas depends on the inputs and on settings in settings_key only.
    assessment = assess_kept(inputs_digest, inputs.table, inputs.catalogue, settings,
                             source=inputs.table_name, carried=inputs.carried)
    result = assessment.result
    joined, report = join_areas(inputs.areas.frame, result)
    hotspots, error = None, None
    try:
        # The composite score only: each domain is on request (domain_hotspots), so a
        # weight change in the app stays quick.
        hotspots = find_hotspots(inputs.areas.frame, values_from_ranking(result)[[SCORE]],
                                 seed=settings.uncertainty.seed)
    except HotspotError as err:     # too few areas or no neighbours: the ranking stands
        error = f"Klusteranalysen (Gi*, Moran) kunde inte göras: {err}"
    analysis = Analysis(inputs, result, joined, report, assessment=assessment,
                        hotspots=hotspots, hotspot_error=error, merge=merge,
                        inputs_digest=inputs_digest)
    return add_comparisons(analysis, comparisons) if comparisons else analysis


def analysis_trends(analysis: Analysis) -> TrendReport | None:
    """The trends over the history and the main table (None without history), each
    year's weight-independent stages kept like the main table's (:func:`assess_kept`)."""
    inputs = analysis.inputs
    if not inputs.history:
        return None
    year = inputs.year or max(y for y, _ in inputs.history) + 1
    digest = analysis.inputs_digest if analysis.inputs_digest is not None else inputs.digest

    def assessor(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings, *,
                 source: str) -> Assessment:
        return assess_kept(digest, table, catalogue, settings, source=source)

    return trend_report([*inputs.history, (year, inputs.table)], inputs.catalogue,
                        analysis.settings, source=inputs.table_name, assessor=assessor)


def domain_hotspots(analysis: Analysis) -> Hotspots:
    """Gi* and local Moran on the score and on every domain score."""
    return find_hotspots(analysis.inputs.areas.frame, values_from_ranking(analysis.result),
                         seed=analysis.settings.uncertainty.seed)


# Swedish headers of the robustness columns (table, CSV, tooltip).
TIER = "Prioritet"


MEDIAN_RANK = "Medianrang"


RANK_LOW = "Rang 5 %"


RANK_HIGH = "Rang 95 %"


HOTSPOT = "Kluster (Gi*)"


SMALL_AREA = "Litet underlag"


def rank_span(low: float, high: float, missing: str = "–") -> str:
    """A rank interval as shown everywhere: "3–6", or "1" when both ends agree
    (:func:`indicators.swedish.format_rank_span`); ``missing`` when unknown."""
    return missing if pd.isna(low) else format_rank_span(low, high)


def p_top_column(k: int) -> str:
    return f"Sannolikhet topp {k} (%)"


def robustness_columns(analysis: Analysis) -> pd.DataFrame:
    """Tier, rank interval, P(top k), hotspot and small-area flag per area (index area_id):
    a copy of :attr:`Analysis.robustness`, the caller's to change."""
    return analysis.robustness.copy()


def _robustness_columns(analysis: Analysis) -> pd.DataFrame:
    a = analysis.assessment
    out = pd.DataFrame(index=analysis.result.score.index)
    if a is None:
        return out
    u = a.uncertainty
    out[TIER] = a.tiers.reindex(out.index).astype(str)
    out[MEDIAN_RANK] = u.median_rank.reindex(out.index)
    out[RANK_LOW] = u.rank_low.reindex(out.index)
    out[RANK_HIGH] = u.rank_high.reindex(out.index)
    out[p_top_column(u.top_k)] = (u.p_top_k.reindex(out.index) * 100).round(1)
    if analysis.hotspots is not None and "score" in analysis.hotspots.variables:
        labels = analysis.hotspots.for_variable("score")["gi_label"]
        out[HOTSPOT] = labels.reindex(out.index).fillna("").astype(str)
    small = a.prepared.disclosure.small_areas if a.prepared.disclosure is not None else None
    out[SMALL_AREA] = ""
    if small is not None and len(small):
        flagged = small.set_index(AREA_ID)
        out.loc[out.index.isin(flagged.index), SMALL_AREA] = "ja"
    return out


def add_comparisons(analysis: Analysis, comparisons: Comparisons) -> Analysis:
    """The same analysis with comparison columns, overlays and their sources (the
    police's offences per inhabitant by the analysis' population, into its merged groups)."""
    population = population_of(analysis.inputs) if comparisons.offences is not None else None
    grouping = analysis.merge.grouping if analysis.merge is not None else None
    return replace(analysis, comparison=compare_areas(
        analysis.inputs.areas, comparisons, population=population, grouping=grouping),
        comparisons_digest=comparisons.digest)


def add_recommendation_files(analysis: Analysis, files: RecommendationFiles) -> Analysis:
    """The same analysis with ``files`` (the organisation and the interventions catalogue)
    in place of the shipped ones: the card, the tables, the plan drafts and every export
    follow them, the exports name them among the sources and the digest covers them. The
    shipped files give the analysis as run (the same digest, the same bytes)."""
    chosen = None if files.is_default else files
    held = analysis.recommendation_files
    if (chosen is None and held is None) or (
            chosen is not None and held is not None and chosen.digest == held.digest):
        return analysis
    return replace(analysis, recommendation_files=chosen)


def robustness_details(analysis: Analysis) -> pd.DataFrame:
    """Tooltip lines: tier, rank with its interval, P(top k), hotspot, small area."""
    cols = robustness_columns(analysis)
    out = pd.DataFrame(index=cols.index)
    if analysis.assessment is None:
        return out
    k = analysis.assessment.top_k
    out[TIER] = cols[TIER]
    out["Rang, 90 % av beräkningarna"] = [
        "" if pd.isna(lo) else f"{rank_span(lo, hi)} (median {m:g})"
        for lo, hi, m in zip(cols[RANK_LOW], cols[RANK_HIGH], cols[MEDIAN_RANK], strict=True)]
    out[f"Bland de {k} med störst behov"] = [
        "" if pd.isna(p) else f"{p:.0f} % av beräkningarna"
        for p in cols[p_top_column(k)]]
    if HOTSPOT in cols:
        out[HOTSPOT] = cols[HOTSPOT].replace("Ej signifikant", "")
    out[SMALL_AREA] = cols[SMALL_AREA].map({"ja": "ja, andelarna är osäkra"}).fillna("")
    return out


def hidden_cells(analysis: Analysis) -> pd.DataFrame:
    """Area × indicator (as :attr:`RankingResult.values`): True where the value rests on
    a count that disclosure control hides. Such a value is the band's midpoint, computed
    with but never published."""
    values = analysis.result.values
    disclosure = analysis.assessment.prepared.disclosure if analysis.assessment else None
    if disclosure is None:
        return pd.DataFrame(False, index=values.index, columns=values.columns)
    hidden = disclosure.hidden(analysis.inputs.catalogue, list(values.columns))
    return hidden.reindex(index=values.index, fill_value=False).astype(bool)


def published_values(analysis: Analysis) -> pd.DataFrame:
    """The indicator values as every output shows them: a hidden value is missing."""
    values = analysis.result.values
    return values.mask(hidden_cells(analysis))


def hidden_band(analysis: Analysis, area_id: str, ind_id: str) -> str | None:
    """The band of the hidden count behind one value, as shown ("1–4"); None when the
    value is not hidden."""
    a = analysis.assessment
    ind = analysis.inputs.catalogue[ind_id]
    if a is None or a.prepared.disclosure is None or ind.numerator is None:
        return None
    cells = a.prepared.disclosure.suppressed
    row = cells[(cells[AREA_ID] == area_id) & (cells["column"] == ind.numerator)]
    if not len(row):
        return None
    return band_text(float(row["low"].iloc[0]), float(row["high"].iloc[0]))


def hidden_text(band: str) -> str:
    """How every output writes a hidden value: "dolt (1–4 personer)"."""
    return f"dolt ({band} personer)"


def value_text(analysis: Analysis, area_id: str, ind_id: str, value: float,
               decimals: int = 1) -> str:
    """One indicator value of one area as text: "12,3 %", or "dolt (1–4 personer)" when
    it rests on a hidden count."""
    band = hidden_band(analysis, area_id, ind_id)
    if band is not None:
        return hidden_text(band)
    unit = analysis.inputs.catalogue[ind_id].unit
    return f"{format_number(value, decimals)} {unit}".strip()


def plan_followup(analysis: Analysis, plan: PlanContents) -> FollowUp:
    """The follow-up of ``plan`` on the analysis' data: every year it has (the history and
    the main table), with the analysis' disclosure control."""
    inputs = analysis.inputs
    return follow_up(plan, inputs.catalogue,
                     tables_by_year(inputs.history, inputs.year, inputs.table),
                     rule=analysis.settings.small_numbers)

