"""The recommended approach and the budget of one analysis, in one call (issue 19).

:func:`recommendations` applies the pure method (:mod:`indicators.recommendation`,
:mod:`indicators.allocation`) to an :class:`~geo.analysis.Analysis` with the rules of its
settings (``[rekommendation]``): the app, the exports and the plans read the same
:class:`Recommendations`. It is kept per analysis digest (inputs and settings), as the
analysis' other parts are.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from geo.analysis import Analysis
from geo.cache import LRUCache
from geo.spatial.comparisons import COUNT_PREFIX
from indicators.allocation import (
    HIGH,
    LOW,
    NEEDS_CHILDREN,
    allocate,
    allocation_intervals,
    compare_rules,
)
from indicators.columns import youth_population
from indicators.errors import SettingsError
from indicators.recommendation import RecommendationRules, empty_levels, recommend
from indicators.reference import Reference
from indicators.swedish import format_integer
from indicators.uncertainty import RANK_DRAWS_MAX_CELLS

KRONOR = "kronor"
KEPT = LRUCache(8)     # Recommendations per analysis digest


@dataclass(frozen=True, eq=False)
class Recommendations:
    """``areas``: :func:`~indicators.recommendation.recommend` per area (index area_id).
    ``allocation``: per area ``kronor`` and its 5–95 % interval ``low``/``high`` (nullable
    whole kronor: missing when the draws were not kept); None when the chosen rule cannot be
    applied (say ``notes``). ``children``: the label of the young population the per-child
    rules use (None: the table has none). ``notes``: Swedish sentences on what could not be
    computed. ``reference``: what the areas are compared with, the kommun, the län or
    Sweden (:func:`~indicators.reference.reference_for`). ``empty``: why an intensity of
    the rules has no area
    (:func:`~indicators.recommendation.empty_levels`). The rules side by side,
    :attr:`comparison`, are computed when first read: only the budget asks for them, and
    for Sweden's 3 363 RegSO they took 0.35 s of each weight change's 0.55 s
    (``benchmarks/bench_recommend.py``)."""

    rules: RecommendationRules
    top_k: int
    areas: pd.DataFrame
    allocation: pd.DataFrame | None
    children: str | None
    notes: tuple[str, ...]
    reference: Reference
    empty: tuple[str, ...]
    _ranks: pd.Series
    _young: pd.Series | None
    _draws: pd.DataFrame | None

    def rules_text(self) -> str:
        """The rules in Swedish with this analysis' top k, areas and reference."""
        return self.rules.text(self.top_k, len(self.areas), self.reference)

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """:func:`~indicators.allocation.compare_rules` with this analysis' ranks, the
        chosen rule's allocation reused."""
        return compare_rules(self._ranks, self.rules.allocation, children=self._young,
                             top_k=self.top_k, rank_draws=self._draws, chosen=self.allocation)


def recommendations(analysis: Analysis) -> Recommendations | None:
    """The recommendation and the budget of ``analysis``; None without its Monte Carlo
    (an analysis without assessment has no tiers to recommend from)."""
    if analysis.assessment is None:
        return None
    held = KEPT.get(analysis.digest)
    if held is None:
        held = _recommendations(analysis)
        KEPT.put(analysis.digest, held)
    return held


def _recommendations(analysis: Analysis) -> Recommendations:
    a = analysis.assessment
    assert a is not None
    rules = analysis.settings.recommendation
    result, u = a.result, a.uncertainty
    reference = analysis.reference
    areas = recommend(result, u, a.tiers, rules, reference)
    young = youth_population(result.table)
    children, label = (None, None) if young is None else young
    notes: list[str] = []
    draws = u.rank_draws
    if draws is None:
        notes.append("Budgetens intervall kunde inte beräknas: osäkerhetsberäkningen har "
                     f"{format_integer(u.draws)} dragningar för {format_integer(u.n_areas)} "
                     f"områden, fler än de {format_integer(RANK_DRAWS_MAX_CELLS)} rangplatser "
                     "som sparas. Minska antalet dragningar för att få intervallen.")
    rule = rules.allocation
    allocation = None
    try:
        kronor = allocate(result.rank, rule, children=children, top_k=a.top_k)
        allocation = pd.DataFrame({KRONOR: kronor})
        if draws is not None:
            interval = allocation_intervals(draws, result.rank.index, rule,
                                            children=children, top_k=a.top_k)
            allocation[LOW], allocation[HIGH] = interval[LOW], interval[HIGH]
        else:
            allocation[LOW] = allocation[HIGH] = pd.array([pd.NA] * len(kronor),
                                                          dtype="Int64")
    except SettingsError as err:
        notes.append(f"Budgeten enligt vald regel kunde inte fördelas: "
                     f"{err.problems[0].message} Åtgärd: {err.problems[0].fix}.")
    if children is None:
        notes.append("Reglerna per barn ('" + "', '".join(NEEDS_CHILDREN) + "') jämförs "
                     "inte: indikatortabellen saknar antalet barn och unga per område.")
    else:
        missing = children.reindex(result.rank.index.astype(str))
        lacking = missing.index[missing.isna() & result.rank.notna().to_numpy()]
        if len(lacking):
            notes.append(f"{len(lacking)} område(n) med rang saknar antal {label} och får "
                         "bara grunddelen i reglerna per barn.")
    return Recommendations(rules=rules, top_k=a.top_k, areas=areas, allocation=allocation,
                           children=label, notes=tuple(notes), reference=reference,
                           empty=empty_levels(areas, rules, analysis.settings.tiers, a.top_k),
                           _ranks=result.rank,
                           _young=children, _draws=draws)


def resource_counts(analysis: Analysis) -> pd.DataFrame | None:
    """The resources counted per area for the förutsättningar: one column per point layer
    of the analysis' comparisons (schools, fritidsgårdar; the comparison columns
    ``Antal: <layer>``), headed by the layer's own name, whole numbers, index area_id;
    None when no point layer is loaded."""
    comparison = analysis.comparison
    if comparison is None:
        return None
    columns = [c for c in comparison.columns.columns if c.startswith(COUNT_PREFIX)]
    if not columns:
        return None
    counts = comparison.columns[columns].fillna(0).astype(int)
    counts.columns = [c.removeprefix(COUNT_PREFIX) for c in columns]
    counts.index = counts.index.astype(str)
    return counts


def area_resources(counts: pd.DataFrame | None, area_id: str) -> dict[str, int] | None:
    """One area's row of :func:`resource_counts` as {layer name: count} (0 for an area not
    in it); None when no point layer is loaded."""
    if counts is None:
        return None
    if area_id not in counts.index:
        return dict.fromkeys(counts.columns, 0)
    return {name: int(n) for name, n in counts.loc[area_id].items()}
