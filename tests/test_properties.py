"""Invariants of the ranking, checked with hypothesis on small random grid tables.

The tables use the grid catalogue from conftest.py (three rates from counts and one
plain value, in three domains). Hypothesis runs derandomised and without an example
database, so every run checks the same examples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from indicators.catalogue import Catalogue
from indicators.ranking import RankingResult, rank_areas
from indicators.settings import AnalysisSettings

# About 30 ms per ranking: 20 examples x 25 cases keep this file near 25 s.
PROPERTY = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
FEWER = settings(PROPERTY, max_examples=15)
NORMALISATIONS = ("zscore", "percentile", "minmax")
AGGREGATIONS = ("arithmetic", "mpi")
BOTH = [(n, a) for a in AGGREGATIONS for n in NORMALISATIONS]
INDICATORS = ("lag_ek", "brott", "behoriga", "franvaro")
DOMAINS = ("socioekonomi", "kriminalitet", "skola")


@st.composite
def grid_tables(draw: st.DrawFn) -> pd.DataFrame:
    """5-15 areas with positive denominators and counts no larger than them.

    Inhabitants may be 0 (the crime rate is then missing) and franvaro may be missing,
    except in the first area, so that every indicator has at least one value.
    """
    n = draw(st.integers(5, 15))
    tenths = st.integers(0, 500).map(lambda v: v / 10)
    rows = []
    for k in range(n):
        barn = draw(st.integers(1, 500))
        elever = draw(st.integers(1, 300))
        rows.append({
            "area_id": f"R{k:02d}",
            "barn": barn, "barn_lag_ek": draw(st.integers(0, barn)),
            "invanare": draw(st.integers(1 if k == 0 else 0, 5000)),
            "anmalda_brott": draw(st.integers(0, 300)),
            "elever": elever, "elever_behoriga": draw(st.integers(0, elever)),
            "franvaro": draw(tenths if k == 0 else st.one_of(st.just(np.nan), tenths)),
        })
    return pd.DataFrame(rows)


def _settings(normalisation: str, aggregation: str, **options: object) -> AnalysisSettings:
    options.setdefault("indicator_weights", tuple((i, 1.0) for i in INDICATORS))
    return AnalysisSettings(normalisation=normalisation, aggregation=aggregation,
                            **options)  # type: ignore[arg-type]


def _same_ranking(first: RankingResult, second: RankingResult) -> None:
    """Same score (to rounding) and the same rank for every area id."""
    ids = first.score.index
    np.testing.assert_allclose(second.score.reindex(ids).to_numpy(), first.score.to_numpy(),
                               rtol=1e-9, atol=1e-12)
    pd.testing.assert_series_equal(second.rank.reindex(ids), first.rank)


# -- (1) row order does not matter ------------------------------------------------------

@pytest.mark.parametrize(("normalisation", "aggregation"), BOTH)
@PROPERTY
@given(table=grid_tables(), order=st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_result(grid_catalogue: Catalogue, normalisation: str,
                                              aggregation: str, table: pd.DataFrame,
                                              order: object) -> None:
    positions = list(range(len(table)))
    order.shuffle(positions)  # type: ignore[attr-defined]
    shuffled = table.iloc[positions].reset_index(drop=True)
    s = _settings(normalisation, aggregation)
    first, second = rank_areas(table, grid_catalogue, s), rank_areas(shuffled, grid_catalogue, s)
    _same_ranking(first, second)
    pd.testing.assert_frame_equal(second.flags.reindex(first.flags.index), first.flags)
    np.testing.assert_allclose(
        second.contributions.reindex(first.contributions.index).to_numpy(),
        first.contributions.to_numpy(), rtol=1e-9, atol=1e-12)


# -- (2) scaling all weights leaves the ranks unchanged -----------------------------------

weights = st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5, 10.0]), min_size=4, max_size=4)
factors = st.sampled_from([0.001, 0.3, 2.0, 7.0, 1000.0])


@pytest.mark.parametrize(("normalisation", "aggregation"), BOTH)
@FEWER
@given(table=grid_tables(), ind_w=weights, factor=factors)
def test_scaling_all_indicator_weights_keeps_the_ranks(
        grid_catalogue: Catalogue, normalisation: str, aggregation: str, table: pd.DataFrame,
        ind_w: list[float], factor: float) -> None:
    assume(any(ind_w))
    base = _settings(normalisation, aggregation,
                     indicator_weights=tuple(zip(INDICATORS, ind_w, strict=True)))
    scaled = base.with_changes(
        indicator_weights=tuple((i, w * factor) for i, w in zip(INDICATORS, ind_w, strict=True)))
    _same_ranking(rank_areas(table, grid_catalogue, base),
                  rank_areas(table, grid_catalogue, scaled))


@pytest.mark.parametrize(("normalisation", "aggregation"), BOTH)
@FEWER
@given(table=grid_tables(), dom_w=st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]),
                                           min_size=3, max_size=3), factor=factors)
def test_scaling_all_domain_weights_keeps_the_ranks(
        grid_catalogue: Catalogue, normalisation: str, aggregation: str, table: pd.DataFrame,
        dom_w: list[float], factor: float) -> None:
    assume(any(dom_w))
    base = _settings(normalisation, aggregation,
                     domain_weights=tuple(zip(DOMAINS, dom_w, strict=True)))
    scaled = base.with_changes(
        domain_weights=tuple((d, w * factor) for d, w in zip(DOMAINS, dom_w, strict=True)))
    _same_ranking(rank_areas(table, grid_catalogue, base),
                  rank_areas(table, grid_catalogue, scaled))


# -- (3) more need never lowers the area's score ----------------------------------------

def _more_need(table: pd.DataFrame, row: int, indicator: str, amount: int) -> pd.DataFrame:
    """The table with more need for one area in one indicator (by ``amount`` steps)."""
    out = table.copy()
    if indicator == "lag_ek":       # direction +1: more children in low-income households
        out.at[row, "barn_lag_ek"] = min(out.at[row, "barn_lag_ek"] + amount, out.at[row, "barn"])
    elif indicator == "brott":      # direction +1: more crimes
        out.at[row, "anmalda_brott"] += amount
    elif indicator == "franvaro":   # direction +1, a plain value
        out.at[row, "franvaro"] += amount / 10
    else:                           # behoriga, direction -1: fewer eligible pupils
        out.at[row, "elever_behoriga"] = max(out.at[row, "elever_behoriga"] - amount, 0)
    return out


# An example where an area far above the mean rises further (franvaro 0, 0, 0, 1, 3 ->
# 0, 0, 0, 1, 10): its standard deviation grows faster than its distance to the lowest
# value. It broke the geometric mean's old column-minimum shift; the @example keeps it in
# every run. MPI+ rises with need in a domain as long as the domain's standardised value
# is at least half the score (ranking.py, step 4): on 5-15 areas every z-score lies within
# sqrt(14) of the mean, so a standardised value is at least 100 - 10 sqrt(14) = 62.6, and
# half the score of three equally weighted domains is at most 61.7 (one domain at 62.6,
# two at 137.4). That argument holds the other areas still; but MPI standardises each domain
# across the areas, and with z-scores more need for one area also moves the others' values:
# with few values and many missing, the area's standardised domain value can then fall
# although its raw value rose (test_mpi_on_z_scores_can_lower_a_score_when_need_rises). So
# the property is claimed for every case but MPI on z-scores.
MONOTONE_CASES = [(n, a) for n in NORMALISATIONS for a in AGGREGATIONS
                  if (n, a) != ("zscore", "mpi")]

_COUNTEREXAMPLE = pd.DataFrame({
    "area_id": [f"R{k:02d}" for k in range(5)], "barn": [100] * 5, "barn_lag_ek": [10] * 5,
    "invanare": [1000] * 5, "anmalda_brott": [5] * 5, "elever": [100] * 5,
    "elever_behoriga": [50] * 5, "franvaro": [0.0, 0.0, 0.0, 1.0, 3.0]})


@pytest.mark.parametrize(("normalisation", "aggregation"), MONOTONE_CASES)
@PROPERTY
@given(table=grid_tables(), area=st.integers(0, 14), indicator=st.sampled_from(INDICATORS),
       amount=st.integers(1, 200))
@example(table=_COUNTEREXAMPLE, area=4, indicator="franvaro", amount=70)
def test_more_need_never_lowers_the_score(grid_catalogue: Catalogue, normalisation: str,
                                          aggregation: str, table: pd.DataFrame, area: int,
                                          indicator: str, amount: int) -> None:
    row = area % len(table)
    assume(not (indicator == "franvaro" and np.isnan(table.at[row, "franvaro"])))
    s = _settings(normalisation, aggregation)
    before = rank_areas(table, grid_catalogue, s).score.iloc[row]
    after = rank_areas(_more_need(table, row, indicator, amount), grid_catalogue, s).score.iloc[row]
    assert after >= before - 1e-9 * max(1.0, abs(before)), (before, after)


def test_mpi_on_z_scores_can_lower_a_score_when_need_rises(grid_catalogue: Catalogue) -> None:
    """Why MPI on z-scores is left out of the monotone cases (found by the property test in a
    full run): franvaro has three values (0.3, 0.0, 0.1; the other areas miss it), and the
    first area's rising to 0.4 raises its skola domain (arithmetic: its score rises), but
    MPI's standardisation of the domain across the areas, which the other areas' moved
    z-scores change too, lowers its score by about 0.02 on MPI's scale of 100."""
    table = pd.DataFrame({
        "area_id": [f"R{k:02d}" for k in range(6)], "barn": [1] * 6, "barn_lag_ek": [0] * 6,
        "invanare": [1, 0, 0, 0, 0, 0], "anmalda_brott": [0] * 6, "elever": [1] * 6,
        "elever_behoriga": [0, 0, 0, 0, 0, 1], "franvaro": [0.3, np.nan, np.nan, np.nan, 0.0, 0.1]})
    worse = _more_need(table, 0, "franvaro", 1)
    for aggregation, falls in (("arithmetic", False), ("mpi", True)):
        s = _settings("zscore", aggregation)
        before = rank_areas(table, grid_catalogue, s)
        after = rank_areas(worse, grid_catalogue, s)
        assert after.domain_scores["skola"].iloc[0] > before.domain_scores["skola"].iloc[0]
        assert (after.score.iloc[0] < before.score.iloc[0]) == falls, aggregation


def test_treating_outliers_can_lower_a_score_when_need_rises(grid_catalogue: Catalogue) -> None:
    """Why outliers = "auto" is an option and not the default (issue 16): once an
    area's value is extreme enough to break the rule (|skewness| > 2, kurtosis > 3.5) it
    is pulled in, and its score falls although its need rose."""
    table = pd.DataFrame({
        "area_id": [f"R{k:02d}" for k in range(8)], "barn": [100] * 8,
        "barn_lag_ek": [10] * 8, "invanare": [1000] * 8, "anmalda_brott": [5] * 8,
        "elever": [100] * 8, "elever_behoriga": [50] * 8,
        "franvaro": [1.0, 1.1, 0.9, 1.0, 1.2, 0.8, 1.0, 1.5]})
    treated = _settings("zscore", "arithmetic").with_changes(outliers="auto")
    plain = _settings("zscore", "arithmetic")
    worse = _more_need(table, 7, "franvaro", 200)          # franvaro 1.5 -> 21.5
    for s, falls in ((plain, False), (treated, True)):
        before = rank_areas(table, grid_catalogue, s).score.iloc[7]
        after = rank_areas(worse, grid_catalogue, s).score.iloc[7]
        assert (after < before) == falls, (s.outliers, before, after)
