"""A ranking with everything needed to defend it: small-number protection, uncertainty, tiers.

:func:`assess` runs, in order: disclosure control and optional smoothing
(:mod:`indicators.prepare`), the ranking (:mod:`indicators.ranking`), the Monte Carlo
over method and data (:mod:`indicators.uncertainty`) and the priority tiers
(:mod:`indicators.tiers`), all from one :class:`~indicators.settings.AnalysisSettings`,
so the result is reproducible from the settings file.

Moving a weight changes only the weighting, so what comes before it is a value of its
own, computed by a pure function: :func:`weightless_stage` (the protected table and the
ranking's weight-independent base) and :func:`~indicators.uncertainty.monte_carlo_stage`
(the Monte Carlo's arrays and draws). The weight-dependent steps take them explicitly:
:func:`rank_with` ranks on a stage, :func:`assess_ranking` adds the uncertainty and the
tiers. :func:`assess` chains the three. Nothing is remembered here: the shell keeps the
stages (``geo/analysis.py``, ``geo/cache.py``) keyed by the content of the inputs, and
the result is the same as computed afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import TypeVar

import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.disclosure import Disclosure
from indicators.prepare import Prepared, prepare_table
from indicators.ranking import (
    RankingBase,
    RankingResult,
    ranking_base,
    settings_key,
)
from indicators.settings import AnalysisSettings, validate_settings
from indicators.smoothing import Smoothed
from indicators.table import table_key
from indicators.tiers import TierRule, assign_tiers
from indicators.trends import linear_trend, rank_change, rate_change
from indicators.uncertainty import (
    Mapper,
    MonteCarloStage,
    RankUncertainty,
    rank_uncertainty,
)


@dataclass(frozen=True, eq=False)
class Assessment:
    prepared: Prepared
    result: RankingResult
    uncertainty: RankUncertainty
    tiers: pd.Series
    rule: TierRule

    @property
    def top_k(self) -> int:
        return self.uncertainty.top_k

    def uncertain(self) -> pd.Series:
        """Areas whose 5–95 % rank interval straddles k: in or out of the top k by chance."""
        u, k = self.uncertainty, self.uncertainty.top_k
        return (u.rank_low <= k) & (u.rank_high > k)

    def notes(self) -> list[str]:
        return self.prepared.notes()


@dataclass(frozen=True, eq=False)
class WeightlessStage:
    """What :func:`assess` computes before the weights, for one input table (by its
    content, :func:`~indicators.table.table_key`), catalogue, source and settings but the
    weight values (:func:`~indicators.ranking.settings_key`). Never changed once made:
    the shell may share it between calls and threads."""

    table_key: bytes
    catalogue: Catalogue
    source: str
    settings: tuple                    # settings_key of the settings it was made with
    table: pd.DataFrame | None         # prepared table; None: the input table itself
    disclosure: Disclosure | None
    smoothing: Smoothed | None
    base: RankingBase


_T = TypeVar("_T")


def _shallow(held: _T) -> _T:
    """A kept dataclass with shallow copies of its frames (copy-on-write: a change made
    by the caller copies the frame first and leaves the kept one as it was)."""
    if held is None:
        return held
    return replace(held, **{f.name: getattr(held, f.name).copy(deep=False)
                            for f in fields(held)
                            if isinstance(getattr(held, f.name), pd.DataFrame | pd.Series)})


def weightless_stage(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
                     *, source: str = "indikatortabell") -> WeightlessStage:
    """``prepare_table`` and the ranking base of its table: everything before the weight
    values. The checks run in the order of ``prepare_table`` then ``rank_areas``
    (settings, then the table)."""
    prepared = prepare_table(table, catalogue, settings)
    validate_settings(settings, catalogue)
    base = ranking_base(prepared.table, catalogue, settings, source)
    # The caller's own table is never kept: it may be changed after this call.
    return WeightlessStage(table_key(table), catalogue, source, settings_key(settings),
                           None if prepared.table is table else prepared.table,
                           prepared.disclosure, prepared.smoothing, base)


def rank_with(stage: WeightlessStage, table: pd.DataFrame, catalogue: Catalogue,
              settings: AnalysisSettings, *, source: str = "indikatortabell"
              ) -> tuple[Prepared, RankingResult]:
    """The protected table and the ranking of ``table`` with the settings' weights, on
    ``stage`` (:func:`weightless_stage` of the same table content, catalogue, source and
    settings but the weight values; another stage is refused with ValueError)."""
    validate_settings(settings, catalogue)
    if (stage.source != source or stage.settings != settings_key(settings)
            or stage.catalogue != catalogue or stage.table_key != table_key(table)):
        raise ValueError("stage must be weightless_stage of the same table, catalogue, "
                         "source and settings (but for the weight values)")
    disclosure = _shallow(stage.disclosure)
    if stage.table is None:
        prepared_table = table
    elif stage.disclosure is not None and stage.table is stage.disclosure.table:
        prepared_table = disclosure.table      # one frame, as prepare_table gives it
    else:
        prepared_table = stage.table.copy(deep=False)
    prepared = Prepared(prepared_table, disclosure, _shallow(stage.smoothing))
    return prepared, RankingResult(prepared.table, catalogue, settings, source, stage.base)


def censored_bands(prepared: Prepared) -> pd.DataFrame | None:
    """The hidden counts' bands, which the Monte Carlo draws each hidden count from
    (None without disclosure control or without a hidden count)."""
    if prepared.disclosure is None or not len(prepared.disclosure.suppressed):
        return None
    return prepared.disclosure.bands()


def assess_ranking(prepared: Prepared, ranking: RankingResult, *,
                   monte_carlo: MonteCarloStage | None = None,
                   censored: pd.DataFrame | None = None,
                   mapper: Mapper = map) -> Assessment:
    """The uncertainty and the tiers of ``ranking`` (of ``prepared.table``): the
    weight-dependent rest of :func:`assess`. ``monte_carlo``: the Monte Carlo's
    weight-independent stage of this ranking when the caller keeps one; ``mapper`` runs
    the Monte Carlo's batches (see :func:`~indicators.uncertainty.rank_uncertainty`);
    ``censored``: the bands it draws counts from (default: :func:`censored_bands`)."""
    settings = ranking.settings
    uncertainty = rank_uncertainty(prepared.table, ranking.catalogue, settings,
                                   settings.uncertainty, source=ranking.source,
                                   ranking=ranking, stage=monte_carlo,
                                   censored=(censored if censored is not None
                                             else censored_bands(prepared)), mapper=mapper)
    rule = settings.tiers
    tiers = assign_tiers(uncertainty.p_top_k, uncertainty.median_rank, uncertainty.top_k, rule)
    return Assessment(prepared, ranking, uncertainty, tiers, rule)


def assess(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings, *,
           source: str = "indikatortabell", stage: WeightlessStage | None = None,
           mapper: Mapper = map) -> Assessment:
    """Protect, rank, simulate and tier ``table`` (one row per area, ``area_id`` column).

    ``stage``: :func:`weightless_stage` of the same table, catalogue, source and settings
    but the weight values, when the caller keeps one; the result is the same with it."""
    if stage is None:
        stage = weightless_stage(table, catalogue, settings, source=source)
    prepared, ranking = rank_with(stage, table, catalogue, settings, source=source)
    return assess_ranking(prepared, ranking, mapper=mapper)


Assessor = Callable[..., Assessment]
"""Called as :func:`assess` is: ``(table, catalogue, settings, *, source)``."""


@dataclass(frozen=True, eq=False)
class TrendReport:
    """Each year assessed with the same settings, and what changed between the first and
    the last year."""

    years: tuple[int, ...]
    values: dict[int, pd.DataFrame]        # year -> indicator values per area (after disclosure)
    ranks: pd.DataFrame                    # area x year: rank
    rank_change: pd.DataFrame              # trends.rank_change with the 5–95 % intervals
    rate_changes: dict[str, pd.DataFrame]  # indicator id -> trends.rate_change
    slopes: pd.DataFrame                   # area x indicator: OLS slope per year
    rank_low: pd.DataFrame | None = None   # area x year: the Monte Carlo's 5 % rank
    rank_high: pd.DataFrame | None = None  # area x year: its 95 % rank


def trend_report(tables: Sequence[tuple[int, pd.DataFrame]], catalogue: Catalogue,
                 settings: AnalysisSettings, *, source: str = "indikatortabell",
                 assessor: Assessor = assess) -> TrendReport | None:
    """Trends over ``tables`` (year, table), oldest first; None with fewer than two years.

    Every year goes through the same disclosure control and ranking as the main table, so
    that no hidden count reappears in a trend, and rank intervals come from the same Monte
    Carlo; a change of rank is sure only when the two years' intervals do not overlap.
    The intervals of a rate's change come from the counts as held, never from smoothed
    values (:func:`_held_counts`).
    ``assessor`` assesses each year (the shell's keeps the years' stages).
    """
    if len(tables) < 2:
        return None
    years = tuple(year for year, _ in tables)
    assessed = {year: assessor(table, catalogue, settings, source=f"{source}, år {year}")
                for year, table in tables}
    values = {y: a.result.values for y, a in assessed.items()}
    ranks = pd.DataFrame({y: a.result.rank for y, a in assessed.items()})
    intervals = {y: (a.uncertainty.rank_low, a.uncertainty.rank_high)
                 for y, a in assessed.items()}
    changes = rank_change({y: a.result.rank for y, a in assessed.items()}, intervals)
    first, last = years[0], years[-1]
    counts = _held_counts(tables, assessed, catalogue, settings)
    rate_changes = {}
    for ind_id in assessed[last].result.values.columns:
        ind = catalogue[ind_id]
        if ind.is_rate:
            rate_changes[ind_id] = _rate_change(counts, ind.numerator, ind.denominator,
                                                ind.per, first, last)
    slopes = pd.DataFrame({ind: linear_trend(pd.DataFrame(
        {y: values[y][ind] for y in years if ind in values[y]}))["slope"]
        for ind in values[last].columns})
    return TrendReport(years, values, ranks, changes, rate_changes, slopes,
                       rank_low=pd.DataFrame({y: low for y, (low, _) in intervals.items()}),
                       rank_high=pd.DataFrame({y: high for y, (_, high) in intervals.items()}))


def _held_counts(tables: Sequence[tuple[int, pd.DataFrame]],
                 assessed: dict[int, Assessment], catalogue: Catalogue,
                 settings: AnalysisSettings) -> dict[int, pd.DataFrame]:
    """Year -> the counts as held, indexed by area id, for the intervals of a change.

    Smoothing writes each smoothed rate back as a fractional numerator (107.803 over the
    same denominator); the ranks may use it, but a score interval of a count needs the
    count. With smoothing on, the counts are the table prepared the same way with
    smoothing off (the same disclosure control), so the intervals are those of the
    unsmoothed counts; with smoothing off, the table the ranking used. A hidden count is
    missing in both (:func:`_published`)."""
    small = settings.small_numbers
    if small.smoothing == "none":
        return {y: _published(a.prepared).set_index(AREA_ID) for y, a in assessed.items()}
    unsmoothed = replace(settings, small_numbers=replace(small, smoothing="none"))
    return {y: _published(prepare_table(table, catalogue, unsmoothed)).set_index(AREA_ID)
            for y, table in tables}


def _published(prepared: Prepared) -> pd.DataFrame:
    """The counts a change may be shown for: a hidden count is missing (its change cannot
    be assessed), never its band's midpoint."""
    if prepared.disclosure is None:
        return prepared.table
    return prepared.disclosure.table


def _rate_change(counts: dict[int, pd.DataFrame], numerator: str, denominator: str,
                 per: float, first: int, last: int) -> pd.DataFrame:
    return rate_change({y: counts[y][[numerator, denominator]] for y in (first, last)},
                       numerator=numerator, denominator=denominator, per=per, first=first,
                       last=last)
