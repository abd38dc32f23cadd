"""The budget shared in proportion to need (issue 19): proportionate universalism in kronor.

A total (``total_kr``, whole kronor) is split in two parts:

* **The base** (``base_share`` of the total, rounded down to whole kronor: ``base_total =
  floor(total_kr * base_share)``, the share read as the decimal it is written as) is
  shared equally by *every* area, ranked or not: each gets ``floor(base_total / N)``
  kronor, ``N`` the number of areas. That is the guaranteed minimum
  (:meth:`AllocationRule.minimum`): no area gets less.
* **The rest** (``total_kr - N * floor(base_total / N)``, so what the base's rounding left
  over too) is shared by the weighting:

  - ``"behov"``: in proportion to the area's *need weight* ``(n - rank + 1) / n`` (``n``
    ranked areas, rank 1 = most need: 1 for the first, ``1 / n`` for the last);
  - ``"behov_barn"``: in proportion to need weight × the area's children and young people;
  - ``"per_barn"``: in proportion to the children and young people (equal per child; the
    ranks are not used);
  - ``"hogsta_prioritet"``: equally among the ``k`` areas with most need (rank ≤ ``k``,
    the group the tier "Hög prioritet" is measured against), nothing to the others.

  Areas without a rank (too little data) get the base only; so does an area whose
  children are missing under a per-child weighting. When no area has a positive weight
  the rest is shared equally by all areas.

**Why the need weight is defined on ranks.** The Monte Carlo (:mod:`indicators.
uncertainty`) varies the normalisation (z-score, percentile rank, min–max) and the
aggregation: a score of 1.3 is a different thing in different draws, and a share in
proportion to the score would move with the scale rather than with the need. Ranks mean
the same in every draw, so the allocation of each draw is computed from that draw's ranks
by the same rule, and the 5–95 % interval of an area's allocation over the draws
(:func:`allocation_intervals`) shows how much of it rests on the method's choices.

**Whole kronor that add up.** The rest is shared by the largest remainder method
(Hamilton): every area first gets the whole kronor of its exact share, and the kronor
left over go one each to the areas with the largest fractional parts (ties: the larger
exact share first, then table order). The allocations therefore sum *exactly* to
``total_kr``, and an area with a larger weight never gets less than one with a smaller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from indicators.errors import Problems, SettingsError
from indicators.swedish import format_kronor, format_percent

WEIGHTINGS: dict[str, str] = {
    "behov": "i proportion till behovet (rangvikt)",
    "behov_barn": "i proportion till behovet gånger antalet barn och unga",
    "per_barn": "lika mycket per barn och ung",
    "hogsta_prioritet": "bara till områdena med störst behov (topp k), lika per område",
}
NEEDS_CHILDREN: tuple[str, ...] = ("behov_barn", "per_barn")
COMPARED: tuple[str, ...] = ("per_barn", "behov", "hogsta_prioritet")
QUANTILES = (0.05, 0.95)          # the allocation interval, as the rank interval
LOW, HIGH = "low", "high"
_CHUNK_CELLS = 1 << 21            # draws x areas allocated at once (memory)


def _exact(value: float) -> Fraction:
    """A share as the decimal it is written as: 0.3 is 3/10, not the binary 0.2999…"""
    return Fraction(repr(float(value)))


@dataclass(frozen=True)
class AllocationRule:
    """How a total is shared (see the module docstring; in ``[rekommendation]`` of the
    settings file as ``total_kr``, ``base_share`` and ``weighting``)."""

    total_kr: int = 3_000_000
    base_share: float = 0.3
    weighting: str = "behov_barn"

    FILE_KEYS = ("total_kr", "base_share", "weighting")

    def __post_init__(self) -> None:
        problems = Problems(SettingsError)
        if (isinstance(self.total_kr, bool) or not isinstance(self.total_kr, int)
                or self.total_kr < 0):
            problems.add("beloppet ska vara ett heltal kronor ≥ 0, t.ex. 3000000.",
                         column="total_kr", values=[self.total_kr])
        share = self.base_share
        if (isinstance(share, bool) or not isinstance(share, int | float)
                or not math.isfinite(share) or not 0 <= share < 1):
            problems.add("grundandelen ska vara en andel från 0 till under 1.",
                         column="base_share", values=[share],
                         fix="ange t.ex. 0.3: 30 % delas lika av alla områden, resten efter "
                             "fördelningsregeln")
        else:
            object.__setattr__(self, "base_share", float(share))
        if self.weighting not in WEIGHTINGS:
            problems.add("okänd fördelningsregel.", column="weighting",
                         values=[self.weighting], expected=", ".join(WEIGHTINGS))
        problems.raise_if_any()

    @property
    def base_total(self) -> int:
        """The base in whole kronor: ``floor(total_kr * base_share)``."""
        return math.floor(self.total_kr * _exact(self.base_share))

    def minimum(self, n_areas: int) -> int:
        """What every one of ``n_areas`` areas gets at least: ``floor(base_total / N)``."""
        return self.base_total // n_areas if n_areas > 0 else 0

    def text(self, n_areas: int | None = None, top_k: int | None = None) -> str:
        """The rule in Swedish, for the app, the exports and the method page."""
        base = format_percent(self.base_share * 100, 1)
        rule = WEIGHTINGS[self.weighting].replace("topp k", f"topp {top_k}" if top_k
                                                  else "topp k")
        minimum = (f" (minst {format_kronor(self.minimum(n_areas))} per område)"
                   if n_areas else "")
        return (f"Budget {format_kronor(self.total_kr)}: {base} delas lika av alla områden"
                f"{minimum}, resten {rule}. Områden utan rang får bara grunddelen.")


def need_weight(ranks: np.ndarray | pd.Series, n: int) -> np.ndarray:
    """``(n - rank + 1) / n`` per rank (1 for rank 1, ``1 / n`` for rank ``n``); 0 for a
    missing rank."""
    r = np.asarray(ranks, dtype=float)
    return np.where(np.isnan(r), 0.0, (n - np.nan_to_num(r, nan=n + 1.0) + 1) / max(n, 1))


def _children(children: pd.Series | None, index: pd.Index, weighting: str) -> np.ndarray:
    if children is None:
        if weighting in NEEDS_CHILDREN:
            problems = Problems(SettingsError)
            problems.add("fördelningsregeln kräver antalet barn och unga per område, och "
                         "indikatortabellen har inget sådant.", column="weighting",
                         values=[weighting],
                         fix="välj 'behov' eller 'hogsta_prioritet', eller lägg till en "
                             "kolumn med barn och unga (t.ex. barn_unga_0_19) i tabellen")
            problems.raise_if_any()
        return np.ones(len(index))
    values = pd.to_numeric(children, errors="coerce").astype(float)
    values.index = values.index.astype(str)
    values = values.reindex(index.astype(str))
    bad = values[values < 0]
    if len(bad):
        problems = Problems(SettingsError)
        problems.add("antalet barn och unga kan inte vara negativt.", column=str(values.name),
                     values=[f"{a}={v:g}" for a, v in bad.items()],
                     fix="rätta befolkningen i indikatortabellen")
        problems.raise_if_any()
    return values.fillna(0.0).to_numpy()


def _weights(ranks: np.ndarray, n: int, children: np.ndarray, weighting: str,
             top_k: int | None) -> np.ndarray:
    """The weights of the rest, (draws, areas), from ranks (NaN: no rank)."""
    ranked = ~np.isnan(ranks)
    if weighting == "behov":
        return need_weight(ranks, n)
    if weighting == "behov_barn":
        return need_weight(ranks, n) * children
    if weighting == "per_barn":
        return np.where(ranked, children, 0.0)
    if top_k is None:
        raise ValueError("hogsta_prioritet needs top_k")
    return (ranked & (np.nan_to_num(ranks, nan=np.inf) <= top_k)).astype(float)


def largest_remainder(amount: int, weights: np.ndarray) -> np.ndarray:
    """``amount`` whole kronor shared in proportion to each row of ``weights`` (draws,
    areas) by the largest remainder method; a row without a positive weight is shared
    equally. Every row sums exactly to ``amount``; int64."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 0, w, 1.0)
    total = w.sum(axis=1, keepdims=True)
    quota = amount * (w / total)
    whole = np.floor(quota)
    frac = quota - whole
    whole = whole.astype(np.int64)
    left = amount - whole.sum(axis=1)
    position = np.broadcast_to(np.arange(w.shape[1]), w.shape)
    order = np.lexsort((position, -quota, -frac), axis=-1)
    place = np.empty_like(order)
    np.put_along_axis(place, order, np.arange(w.shape[1])[None].repeat(len(w), 0), axis=1)
    whole += place < left[:, None]
    # Floating point can make the floors sum one krona above the amount (a quota just
    # below a whole number computed just above it): take it from the smallest fractions.
    for row in np.flatnonzero(left < 0):
        for a in order[row][::-1]:
            if whole[row].sum() == amount:
                break
            if whole[row, a] > 0:
                whole[row, a] -= 1
    return whole


def _shares(ranks: np.ndarray, n: int, children: np.ndarray, rule: AllocationRule,
            top_k: int | None) -> np.ndarray:
    """The exact kronor (not rounded) of each draw's allocation (draws, areas): the base
    plus the rest in proportion to the weights (equally when no weight is positive)."""
    areas = ranks.shape[1]
    base = rule.minimum(areas)
    w = _weights(ranks, n, children, rule.weighting, top_k)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 0, w, 1.0)
    return base + (rule.total_kr - base * areas) * (w / w.sum(axis=1, keepdims=True))


def _allocate(ranks: np.ndarray, n: int, children: np.ndarray, rule: AllocationRule,
              top_k: int | None) -> np.ndarray:
    areas = ranks.shape[1]
    base = rule.minimum(areas)
    rest = rule.total_kr - base * areas
    return base + largest_remainder(rest, _weights(ranks, n, children, rule.weighting, top_k))


def allocate(ranks: pd.Series, rule: AllocationRule, *, children: pd.Series | None = None,
             top_k: int | None = None) -> pd.Series:
    """Whole kronor per area (index and order of ``ranks``, every area of the analysis;
    NaN rank: no rank, base only). ``children``: children and young people per area id
    (needed by ``behov_barn`` and ``per_barn``); ``top_k``: for ``hogsta_prioritet``.
    Sums exactly to ``rule.total_kr``."""
    r = pd.to_numeric(ranks, errors="coerce").to_numpy(dtype=float)
    n = int((~np.isnan(r)).sum())
    kids = _children(children, ranks.index, rule.weighting)
    out = _allocate(r[None], n, kids, rule, top_k)[0]
    return pd.Series(out, index=ranks.index, name="kronor", dtype=np.int64)


def allocation_intervals(rank_draws: pd.DataFrame, index: pd.Index, rule: AllocationRule, *,
                         children: pd.Series | None = None,
                         top_k: int | None = None) -> pd.DataFrame:
    """The 5–95 % interval of each area's allocation over the Monte Carlo draws.

    ``rank_draws``: one row per draw, one column per ranked area (its rank in that draw,
    :attr:`indicators.uncertainty.RankUncertainty.rank_draws`); ``index``: every area of
    the analysis (those not in ``rank_draws`` have no rank: base only). Each draw is
    allocated by :func:`allocate`'s rule from its own ranks; ``low`` and ``high`` are the
    5 % and 95 % quantiles by the inverted distribution function (the smallest amount
    ``a`` with ``P(allocation <= a) >= q``), as the rank interval, of the draws' exact
    shares, rounded outward to whole kronor: each draw's allocation in whole kronor is its
    exact share rounded down or up, so its quantiles lie within ``[low, high]`` (at most
    one krona wider on each side; rounding every draw by the largest remainder took
    seconds for Sweden's 3 363 RegSO and moves no bound by more than that krona)."""
    index = pd.Index(index)
    kids = _children(children, index, rule.weighting)
    columns = index.get_indexer(pd.Index(rank_draws.columns).astype(index.dtype))
    if (columns < 0).any():
        raise ValueError("rank_draws has areas that are not in index")
    draws, n = rank_draws.shape
    values = rank_draws.to_numpy()
    out = np.empty((draws, len(index)), dtype=float)
    step = max(1, _CHUNK_CELLS // max(1, len(index)))
    for d0 in range(0, draws, step):
        d1 = min(draws, d0 + step)
        ranks = np.full((d1 - d0, len(index)), np.nan)
        ranks[:, columns] = values[d0:d1]
        out[d0:d1] = _shares(ranks, n, kids, rule, top_k)
    low, high = (np.quantile(out, q, axis=0, method="inverted_cdf") for q in QUANTILES)
    # Whole kronor outward: each draw's allocation is its exact share rounded down or up
    # (largest remainder), so the interval of the rounded allocations lies within these.
    low, high = np.floor(low + 1e-6), np.ceil(high - 1e-6)
    return pd.DataFrame({LOW: low.astype(np.int64), HIGH: high.astype(np.int64)},
                        index=index)


def compare_rules(ranks: pd.Series, rule: AllocationRule, *,
                  children: pd.Series | None = None, top_k: int | None = None,
                  rank_draws: pd.DataFrame | None = None,
                  chosen: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chosen rule beside the alternatives :data:`COMPARED` (equal per child,
    need-weighted, top k only), each with the chosen total and base share: one column of
    kronor per weighting (the chosen first), and with ``rank_draws`` its interval
    (``"<weighting>_low"``, ``"<weighting>_high"``). Weightings that need the children
    are left out when ``children`` is None. ``chosen``: the chosen rule's allocation
    already computed from the same ranks and draws (columns ``kronor``, ``low``,
    ``high``, index of ``ranks``), reused instead of computed again."""
    out = pd.DataFrame(index=ranks.index)
    for weighting in dict.fromkeys((rule.weighting, *COMPARED)):
        if weighting in NEEDS_CHILDREN and children is None:
            continue
        if weighting == rule.weighting and chosen is not None:
            out[weighting] = chosen["kronor"].reindex(ranks.index)
            if rank_draws is not None:
                out[f"{weighting}_{LOW}"] = chosen[LOW].reindex(ranks.index)
                out[f"{weighting}_{HIGH}"] = chosen[HIGH].reindex(ranks.index)
            continue
        alternative = AllocationRule(rule.total_kr, rule.base_share, weighting)
        out[weighting] = allocate(ranks, alternative, children=children, top_k=top_k)
        if rank_draws is not None:
            interval = allocation_intervals(rank_draws, ranks.index, alternative,
                                            children=children, top_k=top_k)
            out[f"{weighting}_{LOW}"] = interval[LOW]
            out[f"{weighting}_{HIGH}"] = interval[HIGH]
    return out
