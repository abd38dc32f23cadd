"""The table a ranking uses: disclosure control first, then (optionally) smoothing.

Order matters. Disclosure control (:mod:`indicators.disclosure`) hides small counts
before anything is computed from them, so that no pooled rate, smoothed value, score or
export can give a hidden count away; hidden values count as missing in the index.
Empirical Bayes smoothing (:mod:`indicators.smoothing`) then shrinks each remaining
rate toward the pooled rate of the areas; the smoothed rate is written back as a
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

    def notes(self) -> list[str]:
        out = self.disclosure.notes() if self.disclosure is not None else []
        return out + (self.smoothing.notes() if self.smoothing is not None else [])


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
        table = disclosure.table
    smoothing = None
    rates = [i for i in chosen if catalogue[i].is_rate]
    if small.smoothing == "eb" and rates:
        # Indexed by area, so that the smoothed values are matched to their rows by id.
        smoothing = eb_smooth(table.set_index(AREA_ID), catalogue, rates)
        table = table.copy()
        index = pd.Index(table[AREA_ID])
        for ind_id in smoothing.smoothed:
            ind = catalogue[ind_id]
            rate = smoothing.values[ind_id].reindex(index).to_numpy()
            den = pd.to_numeric(table[ind.denominator], errors="coerce").to_numpy()
            table[ind.numerator] = rate / ind.per * den
    return Prepared(table, disclosure, smoothing)
