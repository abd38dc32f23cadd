"""A ranking with everything needed to defend it: small-number protection, uncertainty, tiers.

:func:`assess` runs, in order: disclosure control and optional smoothing
(:mod:`indicators.prepare`), the ranking (:mod:`indicators.ranking`), the Monte Carlo
over method and data (:mod:`indicators.uncertainty`) and the priority tiers
(:mod:`indicators.tiers`), all from one :class:`~indicators.settings.AnalysisSettings`,
so the result is reproducible from the settings file.

Moving a weight changes only the weighting: the protected table and the ranking's
weight-independent stage are remembered (the last ``STAGE_CACHE_SIZE``) by the content
of the input table, the catalogue, the source and the settings without their weight
values (:func:`indicators.ranking.stage_key`), and so are the Monte Carlo's noise
replicates (:mod:`indicators.uncertainty`). The result is the same as computed afresh;
:func:`clear_weight_stage_cache` forgets it all.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    clear_ranking_cache,
    ranking_base,
    stage_key,
)
from indicators.settings import AnalysisSettings, validate_settings
from indicators.smoothing import Smoothed
from indicators.table import LRUCache
from indicators.tiers import TierRule, assign_tiers
from indicators.trends import linear_trend, rank_change, rate_change
from indicators.uncertainty import (
    RankUncertainty,
    clear_uncertainty_cache,
    rank_uncertainty,
)

STAGE_CACHE_SIZE = 8


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
class _Stage:
    """What :func:`assess` computes before the weights, for one stage key."""

    table: pd.DataFrame | None         # prepared table; None: the input table itself
    disclosure: Disclosure | None
    smoothing: Smoothed | None
    base: RankingBase


_STAGES = LRUCache(STAGE_CACHE_SIZE)
_T = TypeVar("_T")


def _shallow(held: _T) -> _T:
    """A remembered dataclass with shallow copies of its frames (copy-on-write: a change
    made by the caller copies the frame first and leaves the remembered one as it was)."""
    if held is None:
        return held
    return replace(held, **{f.name: getattr(held, f.name).copy(deep=False)
                            for f in fields(held)
                            if isinstance(getattr(held, f.name), pd.DataFrame | pd.Series)})


def _weightless_stage(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
                      source: str) -> tuple[Prepared, RankingBase]:
    """``prepare_table`` and the ranking base of its table, remembered by
    :func:`~indicators.ranking.stage_key` of the input. The checks run in the order of
    ``prepare_table`` then ``rank_areas`` (settings, then the table)."""
    key = stage_key(table, catalogue, settings, source)
    stage = _STAGES.get(key)
    if stage is None:
        prepared = prepare_table(table, catalogue, settings)
        validate_settings(settings, catalogue)
        base = replace(ranking_base(prepared.table, catalogue, settings, source), cached=True)
        # The caller's own table is never remembered: it may be changed after this call.
        stage = _Stage(None if prepared.table is table else prepared.table,
                       prepared.disclosure, prepared.smoothing, base)
        _STAGES.put(key, stage)
    else:
        validate_settings(settings, catalogue)
    disclosure = _shallow(stage.disclosure)
    if stage.table is None:
        prepared_table = table
    elif stage.disclosure is not None and stage.table is stage.disclosure.table:
        prepared_table = disclosure.table      # one frame, as prepare_table gives it
    else:
        prepared_table = stage.table.copy(deep=False)
    return Prepared(prepared_table, disclosure, _shallow(stage.smoothing)), stage.base


def clear_weight_stage_cache() -> None:
    """Forget every remembered weight-independent stage: :func:`assess`'s, ``rank_areas``'
    and the Monte Carlo's (for tests and benchmarks)."""
    _STAGES.clear()
    clear_ranking_cache()
    clear_uncertainty_cache()


def assess(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings, *,
           source: str = "indikatortabell") -> Assessment:
    """Protect, rank, simulate and tier ``table`` (one row per area, ``area_id`` column).

    Another call with only other weight values reuses the weight-independent stage
    (see the module docstring)."""
    prepared, base = _weightless_stage(table, catalogue, settings, source)
    result = RankingResult(prepared.table, catalogue, settings, source, base)
    uncertainty = rank_uncertainty(prepared.table, catalogue, settings,
                                   settings.uncertainty,
                                   source=source, ranking=result)
    rule = settings.tiers
    tiers = assign_tiers(uncertainty.p_top_k, uncertainty.median_rank, uncertainty.top_k, rule)
    return Assessment(prepared, result, uncertainty, tiers, rule)


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


def trend_report(tables: Sequence[tuple[int, pd.DataFrame]], catalogue: Catalogue,
                 settings: AnalysisSettings, *, source: str = "indikatortabell"
                 ) -> TrendReport | None:
    """Trends over ``tables`` (year, table), oldest first; None with fewer than two years.

    Every year goes through the same disclosure control and ranking as the main table, so
    that no hidden count reappears in a trend, and rank intervals come from the same Monte
    Carlo; a change of rank is sure only when the two years' intervals do not overlap.
    """
    if len(tables) < 2:
        return None
    years = tuple(year for year, _ in tables)
    assessed = {year: assess(table, catalogue, settings, source=f"{source}, år {year}")
                for year, table in tables}
    values = {y: a.result.values for y, a in assessed.items()}
    ranks = pd.DataFrame({y: a.result.rank for y, a in assessed.items()})
    intervals = {y: (a.uncertainty.rank_low, a.uncertainty.rank_high)
                 for y, a in assessed.items()}
    changes = rank_change({y: a.result.rank for y, a in assessed.items()}, intervals)
    first, last = years[0], years[-1]
    counts = {y: a.prepared.table.set_index(AREA_ID) for y, a in assessed.items()}
    rate_changes = {}
    for ind_id in assessed[last].result.values.columns:
        ind = catalogue[ind_id]
        if ind.is_rate:
            rate_changes[ind_id] = _rate_change(counts, ind.numerator, ind.denominator,
                                                ind.per, first, last)
    slopes = pd.DataFrame({ind: linear_trend(pd.DataFrame(
        {y: values[y][ind] for y in years if ind in values[y]}))["slope"]
        for ind in values[last].columns})
    return TrendReport(years, values, ranks, changes, rate_changes, slopes)


def _rate_change(counts: dict[int, pd.DataFrame], numerator: str, denominator: str,
                 per: float, first: int, last: int) -> pd.DataFrame:
    return rate_change({y: counts[y][[numerator, denominator]] for y in (first, last)},
                       numerator=numerator, denominator=denominator, per=per, first=first,
                       last=last)
