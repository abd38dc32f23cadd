"""A ranking with everything needed to defend it: small-number protection, uncertainty, tiers.

:func:`assess` runs, in order: disclosure control and optional smoothing
(:mod:`indicators.prepare`), the ranking (:mod:`indicators.ranking`), the Monte Carlo
over method and data (:mod:`indicators.uncertainty`) and the priority tiers
(:mod:`indicators.tiers`), all from one :class:`~indicators.settings.AnalysisSettings`,
so the result is reproducible from the settings file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .catalogue import Catalogue
from .columns import AREA_ID
from .prepare import Prepared, prepare_table
from .ranking import RankingResult, rank_areas
from .settings import AnalysisSettings
from .tiers import TierRule, assign_tiers
from .trends import linear_trend, rank_change, rate_change
from .uncertainty import RankUncertainty, UncertaintyOptions, rank_uncertainty


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


def assess(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings, *,
           source: str = "indikatortabell") -> Assessment:
    """Protect, rank, simulate and tier ``table`` (one row per area, ``area_id`` column)."""
    prepared = prepare_table(table, catalogue, settings)
    result = rank_areas(prepared.table, catalogue, settings, source=source)
    uncertainty = rank_uncertainty(prepared.table, catalogue, settings,
                                   UncertaintyOptions.from_settings(settings),
                                   source=source, ranking=result)
    rule = TierRule.from_settings(settings)
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
