"""Outliers: which indicators are dominated by a few areas, and how they are treated.

The rule and the treatment are COINr's defaults (``qTreat``/``Treat``; the JRC/OECD
*Handbook on Constructing Composite Indicators*, 2008, step 3): an indicator has outliers
when its **skewness** (absolute) exceeds 2 **and** its **kurtosis** exceeds 3.5. Both are
the sample statistics of Excel's SKEW and KURT (e1071 type 2, as COINr's ``skew`` and
``kurt`` and pandas' ``skew()`` and ``kurt()``): the adjusted Fisher–Pearson skewness and
the bias-corrected excess kurtosis. An indicator with fewer than four values, or a
constant one, has no such statistics and is left alone.

Treatment (``outliers = "auto"``) of an indicator that breaks the rule:

1. **Winsorising**, one point at a time, up to :data:`MAX_WINSORISED` (5) points: the
   most extreme value on the side of the skew (the highest for positive skew) is given
   the value of the next one; values tied at the extreme move together and each counts
   as a point. The side is decided anew at each step from the current skew, as in
   COINr's ``winsorise``. It stops as soon as the rule is met. A winsorised indicator is
   the original clipped to ``[lower, upper]``: the limits it ended at.
2. If winsorising does not meet the rule within the limit, or would leave the indicator
   constant (a one-area dummy: winsorising its one area away erases it), the original
   values are **log-transformed** instead, COINr's ``log_CT_plus``: for positive skew
   ``log(x - min + a)``, for negative skew ``-log(max + a - x)``, with
   ``a = 0.01 (max - min)``. The transform keeps the order of the areas and the
   direction of the indicator.

The treatment is found on the observed (point) values and applied to the raw indicator
values just before normalisation (:mod:`indicators.ranking`). The Monte Carlo
(:mod:`indicators.uncertainty`) applies the *same* limits and constants to the values of
every draw (:class:`Limits`), so a draw's outlier is clipped where the observed one was;
for the log transform a drawn value beyond the observed minimum (maximum for negative
skew) is taken as that minimum (``log(max(x - min, 0) + a)``), so the transform is
defined for every draw and equal to the point transform on the observed values.
Treatment ``"none"`` changes nothing, but the statistics are still computed, so that a
report can say which indicators break the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

OUTLIER_CHOICES: dict[str, str] = {
    "none": "Ingen behandling av extremvärden",
    "auto": "Winsorisering (högst 5 värden) eller logaritmering av indikatorer med "
            "|snedhet| > 2 och kurtosis > 3,5 (COINr)",
}
SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5
MAX_WINSORISED = 5
LOG_OFFSET_SHARE = 0.01         # a = 0.01 (max - min) in the log transform

# Treatment methods of one indicator.
UNTREATED, WINSORISED, LOGGED = "none", "winsorise", "log"


def _centred(x: np.ndarray, least: int) -> tuple[int, np.ndarray, float] | None:
    """The finite values' count, deviations from their mean and second moment; None for
    fewer than ``least`` values or a constant ``x``."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < least:
        return None
    d = x - x.mean()
    m2 = (d ** 2).mean()
    if m2 <= 1e-14 * max(1.0, float(np.abs(x).max())) ** 2:
        return None
    return n, d, m2


def skewness(x: np.ndarray) -> float:
    """Sample skewness (Excel SKEW, adjusted Fisher–Pearson) of the finite values of
    ``x``; NaN for fewer than three values or a constant ``x``."""
    centred = _centred(x, 3)
    if centred is None:
        return float("nan")
    n, d, m2 = centred
    g1 = (d ** 3).mean() / m2 ** 1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x: np.ndarray) -> float:
    """Sample excess kurtosis (Excel KURT, bias-corrected) of the finite values of ``x``;
    NaN for fewer than four values or a constant ``x``."""
    centred = _centred(x, 4)
    if centred is None:
        return float("nan")
    n, d, m2 = centred
    g2 = (d ** 4).mean() / m2 ** 2 - 3.0
    return float((n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6.0))


def breaks_rule(skew: float, kurt: float) -> bool:
    """COINr's outlier rule: |skewness| > 2 and kurtosis > 3.5 (unknown: False)."""
    return bool(abs(skew) > SKEW_LIMIT and kurt > KURTOSIS_LIMIT)


@dataclass(frozen=True)
class Treatment:
    """What was found and done for one indicator (values before direction)."""

    indicator: str
    method: str                  # UNTREATED, WINSORISED or LOGGED
    skew_before: float
    kurtosis_before: float
    skew_after: float
    kurtosis_after: float
    breaks_rule: bool            # the rule held before treatment
    points: int = 0              # values changed by winsorising
    lower: float = -np.inf       # winsorised: the values clipped to [lower, upper]
    upper: float = np.inf
    log_side: int = 0            # log: +1 log(x - anchor + a), -1 -log(anchor - x + a)
    anchor: float = np.nan       # log: the minimum (+1) or maximum (-1) of the values
    offset: float = np.nan       # log: a = 0.01 (max - min)
    areas: tuple[str, ...] = ()  # areas whose value winsorising changed


@dataclass(frozen=True, eq=False)
class Limits:
    """The treatment of several indicators as arrays (one entry per indicator), to apply
    to observed and drawn values alike (:meth:`apply`)."""

    lower: np.ndarray
    upper: np.ndarray
    log_side: np.ndarray
    anchor: np.ndarray
    offset: np.ndarray

    @property
    def active(self) -> bool:
        """Whether any indicator is treated (else :meth:`apply` changes nothing)."""
        return bool(np.isfinite(self.lower).any() or np.isfinite(self.upper).any()
                    or self.log_side.any())

    def apply(self, x: np.ndarray, rows: np.ndarray | slice = slice(None),
              axis: int = -1) -> np.ndarray:
        """``x`` treated, a new array; the indicators ``rows`` of these limits lie along
        ``axis`` of ``x`` (-1: areas x indicators; -2: (..., indicators, areas))."""
        x = np.array(x, dtype=float)
        if not self.active:
            return x

        def at(a: np.ndarray) -> np.ndarray:
            a = a[rows]
            return a if axis == -1 else a.reshape(a.shape + (1,) * (-axis - 1))

        side = at(self.log_side)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.maximum(x, at(self.lower), out=x, where=~np.isnan(x))
            np.minimum(x, at(self.upper), out=x, where=~np.isnan(x))
            if self.log_side.any():
                anchor, offset = at(self.anchor), at(self.offset)
                up = np.log(np.maximum(x - anchor, 0.0) + offset)
                down = -np.log(np.maximum(anchor - x, 0.0) + offset)
                x = np.where(side > 0, up, np.where(side < 0, down, x))
        return x


def _winsorise(x: np.ndarray) -> tuple[np.ndarray, int, bool]:
    """COINr's winsorising of ``x`` (finite values): the values, the points changed and
    whether the rule is met with a non-constant result."""
    w = x.copy()
    points = 0
    while breaks_rule(skewness(w), kurtosis(w)):
        high = skewness(w) > 0
        edge = w.max() if high else w.min()
        at_edge = w == edge
        rest = w[~at_edge]
        if points + int(at_edge.sum()) > MAX_WINSORISED or len(np.unique(rest)) < 2:
            return w, points, False
        w[at_edge] = rest.max() if high else rest.min()
        points += int(at_edge.sum())
    return w, points, points > 0


def treat_indicator(values: pd.Series, method: str = "auto") -> tuple[Treatment, pd.Series]:
    """The treatment of one indicator's values (NaN = missing, index area id) and the
    treated values (``values`` itself when nothing is done)."""
    x = values.to_numpy(dtype=float)
    ok = np.isfinite(x)
    xs = x[ok]
    s0, k0 = skewness(xs), kurtosis(xs)
    fails = breaks_rule(s0, k0)
    name = str(values.name)
    if method == "none" or not fails:
        return Treatment(name, UNTREATED, s0, k0, s0, k0, fails), values
    w, points, met = _winsorise(xs)
    if met:
        high = np.isfinite(xs) & (w < xs)
        low = w > xs
        lower = float(w.min()) if low.any() else -np.inf
        upper = float(w.max()) if high.any() else np.inf
        changed = values.index[ok][high | low]
        t = Treatment(name, WINSORISED, s0, k0, skewness(w), kurtosis(w), True, points=points,
                      lower=lower, upper=upper, areas=tuple(str(a) for a in changed))
    else:
        side = 1 if s0 > 0 else -1
        lo, hi = float(xs.min()), float(xs.max())
        t = Treatment(name, LOGGED, s0, k0, np.nan, np.nan, True, log_side=side,
                      anchor=lo if side > 0 else hi, offset=LOG_OFFSET_SHARE * (hi - lo))
    treated = pd.Series(limits([t]).apply(x[:, None])[:, 0], index=values.index,
                        name=values.name)
    if t.method == LOGGED:
        after = treated.to_numpy(dtype=float)[ok]
        t = Treatment(name, LOGGED, s0, k0, skewness(after), kurtosis(after), True,
                      log_side=t.log_side, anchor=t.anchor, offset=t.offset)
    return t, treated


def limits(treatments: Sequence[Treatment]) -> Limits:
    """The :class:`Limits` of ``treatments``, in their order."""
    def column(attr: str, dtype: type = float) -> np.ndarray:
        return np.array([getattr(t, attr) for t in treatments], dtype=dtype)

    return Limits(lower=column("lower"), upper=column("upper"),
                  log_side=column("log_side", np.int8), anchor=column("anchor"),
                  offset=column("offset"))


@dataclass(frozen=True, eq=False)
class OutlierTreatment:
    """The treatment of every column of an indicator-value frame.

    ``values``: the treated values (the input frame itself when nothing was treated, so
    that ``"none"`` gives exactly the untreated ranking); ``treatments``: one per column.
    """

    method: str
    values: pd.DataFrame
    treatments: tuple[Treatment, ...]

    def treatment(self, indicator: str) -> Treatment:
        return next(t for t in self.treatments if t.indicator == indicator)

    def limits(self, indicators: Sequence[str]) -> Limits:
        """The limits of ``indicators`` (in that order), for the Monte Carlo."""
        return limits([self.treatment(i) for i in indicators])

    @property
    def treated(self) -> tuple[Treatment, ...]:
        return tuple(t for t in self.treatments if t.method != UNTREATED)

    def table(self) -> pd.DataFrame:
        """One row per indicator that breaks the rule (treated or not), index indicator id:
        skewness and kurtosis before and after, method, points and areas winsorised."""
        rows = [{"indicator": t.indicator, "skew_before": t.skew_before,
                 "kurtosis_before": t.kurtosis_before, "skew_after": t.skew_after,
                 "kurtosis_after": t.kurtosis_after, "method": t.method, "points": t.points,
                 "areas": t.areas}
                for t in self.treatments if t.breaks_rule]
        columns = ["indicator", "skew_before", "kurtosis_before", "skew_after",
                   "kurtosis_after", "method", "points", "areas"]
        return pd.DataFrame(rows, columns=columns).set_index("indicator")


def treat_outliers(values: pd.DataFrame, method: str = "auto") -> OutlierTreatment:
    """Find (and with ``method="auto"`` treat) the outliers of every column of
    ``values`` (areas x indicators, raw values before direction; see the module
    docstring). ``method`` is one of :data:`OUTLIER_CHOICES`."""
    if method not in OUTLIER_CHOICES:
        raise ValueError(f"unknown outlier treatment {method!r}; choose one of "
                         f"{', '.join(OUTLIER_CHOICES)}")
    treatments, columns = [], {}
    for c in values.columns:
        t, treated = treat_indicator(values[c], method)
        treatments.append(t)
        columns[c] = treated
    if not any(t.method != UNTREATED for t in treatments):
        return OutlierTreatment(method, values, tuple(treatments))
    out = pd.DataFrame(columns, index=values.index)
    return OutlierTreatment(method, out, tuple(treatments))
