"""The table a ranking uses: disclosure control first, then (optionally) smoothing.

Order matters. Disclosure control (:mod:`indicators.disclosure`) censors small counts of
persons before anything is computed from them: a hidden count is replaced by the
midpoint of its band, so that no pooled rate, smoothed value, score, rank or export
depends on its exact value. The ranking keeps every area and indicator (no hidden cell
is dropped and reweighted, which made the areas with small counts look needier); the
Monte Carlo varies each hidden count over its band. Empirical Bayes smoothing
(:mod:`indicators.smoothing`) then shrinks each rate toward the pooled rate of all areas,
hidden cells included at their midpoint; the smoothed rate is written back as a
(fractional) numerator over the same denominator, so the ranking, the Monte Carlo and the
aggregation to larger areas all see the smoothed value.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.disclosure import Disclosure, apply_disclosure
from indicators.settings import AnalysisSettings
from indicators.smoothing import Smoothed, eb_smooth
from indicators.table import available_indicators


@dataclass(frozen=True, eq=False)
class Prepared:
    table: pd.DataFrame                 # area_id column, as the input
    disclosure: Disclosure | None
    smoothing: Smoothed | None
    counts: pd.DataFrame | None = None
    """The table before smoothing (censored counts), for what needs whole counts: the
    trend intervals. None: ``table`` itself."""

    def notes(self) -> list[str]:
        out = self.disclosure.notes() if self.disclosure is not None else []
        return out + (self.smoothing.notes() if self.smoothing is not None else [])

    @property
    def count_table(self) -> pd.DataFrame:
        return self.table if self.counts is None else self.counts


def prepare_table(table: pd.DataFrame, catalogue: Catalogue,
                  settings: AnalysisSettings) -> Prepared:
    """``table`` (one row per area, an ``area_id`` column) as the ranking should see it."""
    chosen = [i for i in available_indicators(table, catalogue) if i in settings.indicators]
    disclosure = None
    small = settings.small_numbers
    if small.disclosure:
        disclosure = apply_disclosure(table, catalogue, chosen,
                                      threshold=small.disclosure_threshold,
                                      min_population=small.min_population)
        table = disclosure.censored
    smoothing, counts = None, None
    rates = [i for i in chosen if catalogue[i].is_rate]
    if small.smoothing == "eb" and rates:
        # Indexed by area, so that the smoothed values are matched to their rows by id.
        smoothing = eb_smooth(table.set_index(AREA_ID), catalogue, rates)
        counts = table
        table = table.copy()
        index = pd.Index(table[AREA_ID])
        for ind_id in smoothing.smoothed:
            ind = catalogue[ind_id]
            rate = smoothing.values[ind_id].reindex(index).to_numpy()
            den = pd.to_numeric(table[ind.denominator], errors="coerce").to_numpy()
            table[ind.numerator] = rate / ind.per * den
    return Prepared(table, disclosure, smoothing, counts)
