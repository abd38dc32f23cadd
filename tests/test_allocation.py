"""The budget in proportion to need (issue 19, indicators/allocation.py): whole kronor that
sum exactly to the total, a guaranteed base for every area, need weights on ranks, and
intervals over the Monte Carlo draws."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.allocation import (
    COMPARED,
    HIGH,
    LOW,
    WEIGHTINGS,
    AllocationRule,
    allocate,
    allocation_intervals,
    compare_rules,
    largest_remainder,
    need_weight,
)
from indicators.errors import SettingsError
from indicators.swedish import format_kronor

IDS = list("abcde")
RANKS = pd.Series([1, 2, 3, np.nan, 4], index=IDS, dtype=float)     # d has no rank
KIDS = pd.Series([100, 50, 10, 30, 0], index=IDS, dtype=float)


# -- by hand ------------------------------------------------------------------------------

def test_need_weighted_shares_by_hand() -> None:
    # base 300 kr: 60 each; rest 700 by (n - rank + 1) / n = 4/4, 3/4, 2/4, 1/4 (sum 2.5)
    out = allocate(RANKS, AllocationRule(1000, 0.3, "behov"))
    assert out.tolist() == [60 + 280, 60 + 210, 60 + 140, 60, 60 + 70]
    assert out.dtype == np.int64 and list(out.index) == IDS


def test_need_times_children_by_hand_with_the_largest_remainder() -> None:
    # weights 1·100, 0.75·50, 0.5·10, –, 0.25·0: quotas of 700 kr 491.23, 184.21, 24.56;
    # floors sum to 699 and the krona left goes to the largest fraction (c: 0.56).
    out = allocate(RANKS, AllocationRule(1000, 0.3, "behov_barn"), children=KIDS)
    assert out.tolist() == [60 + 491, 60 + 184, 60 + 25, 60, 60]


def test_per_child_and_top_k_by_hand() -> None:
    per_child = allocate(RANKS, AllocationRule(1000, 0.3, "per_barn"), children=KIDS)
    # 700 kr over 160 children of ranked areas (d is not ranked): 437.5, 218.75, 43.75
    assert per_child.tolist() == [60 + 437, 60 + 219, 60 + 44, 60, 60]
    top = allocate(RANKS, AllocationRule(1000, 0.3, "hogsta_prioritet"), top_k=2)
    assert top.tolist() == [60 + 350, 60 + 350, 60, 60, 60]


def test_ties_of_the_remainder_go_by_larger_share_then_table_order() -> None:
    assert largest_remainder(10, np.ones((1, 3))).tolist() == [[4, 3, 3]]
    assert largest_remainder(10, np.array([[1.0, 1.0, 1.0, 0.0]])).tolist() == [[4, 3, 3, 0]]
    # no positive weight: shared equally by all
    assert largest_remainder(5, np.zeros((1, 2))).tolist() == [[3, 2]]


def test_the_base_is_rounded_down_from_the_share_as_written() -> None:
    rule = AllocationRule(3_000_000, 0.3)
    assert rule.base_total == 900_000            # not 899 999 from the binary 0.2999…
    assert rule.minimum(22) == 900_000 // 22 == 40_909
    assert AllocationRule(1001, 0.5).base_total == 500


def test_need_weight_is_on_ranks() -> None:
    assert need_weight(np.array([1.0, 4.0, np.nan]), 4).tolist() == [1.0, 0.25, 0.0]


def test_the_rule_in_swedish_names_amounts_with_the_formatter() -> None:
    text = AllocationRule(3_000_000, 0.3, "hogsta_prioritet").text(22, 4)
    assert f"Budget {format_kronor(3_000_000)}" in text and "3\u202f000\u202f000 kr" in text
    assert f"minst {format_kronor(40_909)} per område" in text
    assert "topp 4" in text


@pytest.mark.parametrize(("changes", "key", "shown"), [
    ({"total_kr": 1.5}, "total_kr", "1.5"),
    ({"total_kr": -1}, "total_kr", "-1"),
    ({"total_kr": True}, "total_kr", "True"),
    ({"base_share": 1.0}, "base_share", "1.0"),
    ({"base_share": -0.1}, "base_share", "-0.1"),
    ({"base_share": math.nan}, "base_share", "nan"),
    ({"weighting": "lika"}, "weighting", "'lika'"),
])
def test_a_bad_rule_is_refused_naming_key_and_value(changes, key, shown) -> None:
    with pytest.raises(SettingsError, match=f"nyckel '{key}': .* Värden: {re.escape(shown)}"):
        AllocationRule(**changes)


def test_per_child_rules_without_children_say_what_to_do() -> None:
    with pytest.raises(SettingsError, match="kräver antalet barn och unga.*Åtgärd: välj "
                                            "'behov'"):
        allocate(RANKS, AllocationRule(1000, 0.3, "behov_barn"))


def test_negative_children_are_refused_naming_the_areas() -> None:
    with pytest.raises(SettingsError, match="negativt.*b=-5"):
        allocate(RANKS, AllocationRule(1000, 0.3, "per_barn"),
                 children=KIDS.where(KIDS.index != "b", -5).rename("barn_0_17"))


# -- intervals ----------------------------------------------------------------------------

def test_intervals_are_quantiles_of_each_draws_allocation() -> None:
    draws = pd.DataFrame([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]] * 10,
                         columns=["a", "b", "c", "e"])
    rule = AllocationRule(1000, 0.3, "behov")
    got = allocation_intervals(draws, RANKS.index, rule)
    each = np.array([allocate(pd.Series(row, dtype=float).reindex(IDS), rule).to_numpy()
                     for _, row in draws.iterrows()])
    for q, column in ((0.05, LOW), (0.95, HIGH)):
        expected = [int(np.sort(each[:, j])[math.ceil(q * len(each)) - 1])
                    for j in range(len(IDS))]
        assert got[column].tolist() == expected
    assert got.loc["d"].tolist() == [60, 60]             # no rank: the base only
    assert (each.sum(axis=1) == 1000).all()


def test_compare_rules_puts_the_chosen_first_with_the_three_alternatives() -> None:
    draws = pd.DataFrame([[1, 2, 3, 4], [2, 1, 3, 4]], columns=["a", "b", "c", "e"])
    out = compare_rules(RANKS, AllocationRule(1000, 0.3, "behov_barn"), children=KIDS,
                        top_k=2, rank_draws=draws)
    assert [c for c in out.columns if c in WEIGHTINGS] == ["behov_barn", *COMPARED]
    for w in WEIGHTINGS:
        assert out[w].sum() == 1000
        assert (out[f"{w}_{LOW}"] <= out[f"{w}_{HIGH}"]).all()
    without = compare_rules(RANKS, AllocationRule(1000, 0.3, "behov"), top_k=2)
    assert list(without.columns) == ["behov", "hogsta_prioritet"]   # no children: no per-child


def test_compare_rules_reuses_the_chosen_allocation_and_only_that() -> None:
    draws = pd.DataFrame([[1, 2, 3, 4], [2, 1, 3, 4], [4, 3, 1, 2]], columns=list("abce"))
    rule = AllocationRule(1000, 0.3, "behov_barn")
    fresh = compare_rules(RANKS, rule, children=KIDS, top_k=2, rank_draws=draws)
    chosen = pd.DataFrame({"kronor": allocate(RANKS, rule, children=KIDS)})
    chosen[LOW] = allocation_intervals(draws, RANKS.index, rule, children=KIDS)[LOW]
    chosen[HIGH] = allocation_intervals(draws, RANKS.index, rule, children=KIDS)[HIGH]
    pd.testing.assert_frame_equal(compare_rules(RANKS, rule, children=KIDS, top_k=2,
                                                rank_draws=draws, chosen=chosen), fresh)
    marked = chosen.assign(kronor=chosen["kronor"] + 1)      # what is passed is what is shown
    reused = compare_rules(RANKS, rule, children=KIDS, top_k=2, rank_draws=draws,
                           chosen=marked)
    assert (reused["behov_barn"] == fresh["behov_barn"] + 1).all()
    pd.testing.assert_frame_equal(reused.drop(columns="behov_barn"),
                                  fresh.drop(columns="behov_barn"))


# -- properties ---------------------------------------------------------------------------

@st.composite
def cases(draw):
    n = draw(st.integers(1, 25))
    ranked = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    ranks = np.full(n, np.nan)
    m = int(sum(ranked))
    order = draw(st.permutations(list(range(1, m + 1)))) if m else []
    ranks[np.flatnonzero(ranked)] = order
    kids = draw(st.lists(st.floats(0, 5000, allow_nan=False), min_size=n, max_size=n))
    rule = AllocationRule(draw(st.integers(0, 10**9)),
                          draw(st.floats(0, 0.99, allow_nan=False)),
                          draw(st.sampled_from(list(WEIGHTINGS))))
    top_k = draw(st.integers(1, max(1, m)))
    ids = [f"A{i:02d}" for i in range(n)]
    return (pd.Series(ranks, index=ids), pd.Series(kids, index=ids), rule, top_k)


def _weight(ranks: pd.Series, kids: pd.Series, rule: AllocationRule, top_k: int) -> pd.Series:
    """The weight of the rest, from the module docstring's definitions."""
    n = ranks.notna().sum()
    need = ((n - ranks + 1) / n).fillna(0.0)
    return {"behov": need, "behov_barn": need * kids,
            "per_barn": kids.where(ranks.notna(), 0.0),
            "hogsta_prioritet": (ranks <= top_k).astype(float)}[rule.weighting]


@settings(max_examples=300, deadline=None)
@given(cases())
def test_allocations_sum_exactly_and_never_fall_below_the_minimum(case) -> None:
    ranks, kids, rule, top_k = case
    out = allocate(ranks, rule, children=kids, top_k=top_k)
    assert int(out.sum()) == rule.total_kr
    assert (out >= rule.minimum(len(ranks))).all()
    assert out.min() >= rule.base_total // len(ranks)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_more_need_never_gets_less(case) -> None:
    ranks, kids, rule, top_k = case
    out = allocate(ranks, rule, children=kids, top_k=top_k)
    weight = _weight(ranks, kids, rule, top_k).to_numpy()
    kronor = out.to_numpy()
    more = weight[:, None] > weight[None, :]
    assert (kronor[:, None] >= kronor[None, :])[more].all()


@settings(max_examples=200, deadline=None)
@given(cases(), st.data())
def test_a_better_rank_never_lowers_an_areas_allocation(case, data) -> None:
    ranks, kids, rule, top_k = case
    rule = AllocationRule(rule.total_kr, rule.base_share, "behov")
    ranked = list(ranks.index[ranks.notna()])
    if len(ranked) < 2:
        return
    a, b = data.draw(st.permutations(ranked))[:2]
    if ranks[a] < ranks[b]:
        a, b = b, a                      # a has the worse rank, and swaps to the better
    better = ranks.copy()
    better[a], better[b] = ranks[b], ranks[a]
    assert allocate(better, rule)[a] >= allocate(ranks, rule)[a]


def _reference_largest_remainder(amount: int, weights: np.ndarray) -> np.ndarray:
    """The largest remainder method written out row by row: every area's floor, then one
    krona each to the areas first by (largest fraction, larger quota, table order)."""
    out = []
    for w in np.atleast_2d(weights).astype(float):
        w = w if w.sum() > 0 else np.ones_like(w)
        quota = amount * (w / w.sum())
        whole = np.floor(quota).astype(np.int64)
        frac = quota - whole
        order = sorted(range(len(w)), key=lambda a: (-frac[a], -quota[a], a))
        for a in order[:max(0, amount - int(whole.sum()))]:
            whole[a] += 1
        out.append(whole)
    return np.array(out)


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(0, 10_000_000),
       weights=st.lists(st.lists(st.sampled_from([0.0, 1.0, 2.0, 0.5, 3.0, 7.25]),
                                 min_size=6, max_size=6), min_size=1, max_size=5),
       noise=st.booleans())
def test_largest_remainder_is_the_method_written_out(amount, weights, noise) -> None:
    """The vectorised shares (a threshold per row, ties ordered only where they are) give
    what the method gives written out, with many ties (equal weights) and without."""
    w = np.array(weights)
    if noise:
        w = w * (1 + np.linspace(0.001, 0.009, w.shape[1]))
    shared = largest_remainder(amount, w)
    assert (shared.sum(axis=1) == amount).all()
    np.testing.assert_array_equal(shared, _reference_largest_remainder(amount, w))


@pytest.mark.parametrize("weighting", ["behov", "behov_barn", "per_barn", "hogsta_prioritet"])
def test_the_interval_holds_the_rounded_allocations_of_the_draws(weighting) -> None:
    """Each draw allocated in whole kronor (allocate, the largest remainder) has its 5 %
    and 95 % quantiles within the interval, which is at most one krona wider each side."""
    rng = np.random.default_rng(7)
    index = pd.Index([f"A{i}" for i in range(9)])
    ranked = index[:8]                                   # A8 has no rank: base only
    draws = pd.DataFrame([rng.permutation(8) + 1 for _ in range(301)], columns=ranked)
    children = pd.Series(rng.integers(50, 900, len(index)), index=index)
    rule = AllocationRule(total_kr=1_234_567, base_share=0.25, weighting=weighting)
    interval = allocation_intervals(draws, index, rule, children=children, top_k=3)
    rounded = pd.DataFrame([allocate(pd.Series(row, index=ranked).reindex(index), rule,
                                     children=children, top_k=3)
                            for _, row in draws.iterrows()])
    low = rounded.quantile(0.05, interpolation="lower")    # inverted cdf, as the interval
    high = rounded.apply(lambda c: np.quantile(c, 0.95, method="inverted_cdf"))
    assert (interval["low"] <= low).all() and (low - interval["low"] <= 1).all()
    assert (interval["high"] >= high).all() and (interval["high"] - high <= 1).all()
    assert interval.loc["A8", "low"] == interval.loc["A8", "high"] == rule.minimum(9)
