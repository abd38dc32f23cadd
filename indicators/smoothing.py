"""Global empirical Bayes smoothing of rates for small areas (Marshall 1991).

A rate computed over a small population jumps from year to year and from area to
area by chance alone; ranking on it puts the smallest areas at both ends of the
list. The English Indices of Deprivation shrink such rates toward a reference;
this module does the same with the global empirical Bayes estimator of Marshall
(1991), the one in ``esda.smoothing.Empirical_Bayes`` (libpysal's former
``pysal.esda.smoothing``).

For one rate indicator with counts ``e_i`` over populations ``b_i`` (i over the
areas with both counts known and ``b_i > 0``), raw rates ``r_i = e_i / b_i`` and a
reference rate ``m``:

* ``m`` is the municipality's pooled rate ``sum(e) / sum(b)`` (``"pooled"``) or a
  given external rate, e.g. the county's (a mapping, in the catalogue's unit);
* the between-area variance is estimated by the method of moments,
  ``A = sum(b_i (r_i - m)^2) / sum(b) - m / mean(b)``;
* the shrinkage weight is ``w_i = A / (A + m / b_i)`` (1 keeps the own rate,
  0 gives the reference);
* the smoothed rate is ``w_i r_i + (1 - w_i) m``, reported times ``per``.

Conventions, and where they differ from esda:

* With ``m`` pooled the result equals ``esda.smoothing.Empirical_Bayes`` on the
  areas used (to rounding). With an external ``m`` the same moment estimator is
  used around that ``m``, so a municipality far from the reference has a larger
  ``A`` and is shrunk less.
* esda does **not** clip the moment estimate: when the rates vary less than
  chance alone would make them, ``A`` is negative and esda's weights fall outside
  0..1 (rates pushed away from the mean). Here ``A`` is clipped at 0, as Marshall
  recommends: every area then gets the reference rate (weights 0), and the notes
  say so. On the demo data ``A`` is positive for every indicator, and the values
  agree with esda.
* An area whose numerator or denominator is missing, or whose denominator is 0,
  takes no part in the estimate and its smoothed rate is missing; missing is never
  read as 0 (esda would turn the whole column into NaN).
* When ``m / b_i`` is 0 (reference rate 0) there is no chance variation to remove
  and the weight is 1.
* Indicators that are not rates (ready values without counts) pass unchanged.
* The estimator assumes Poisson counts (chance variance ``m / b_i``). For a
  share near 100 % (e.g. pupils eligible for upper secondary school) the
  binomial variance ``m (1 - m) / b_i`` is much smaller, so such shares are
  shrunk more than they need; esda behaves the same way.

Smoothing should run on the table *after* disclosure control
(:mod:`indicators.disclosure`): a suppressed count then takes no part in the pooled
rate or the variance, so the smoothed values of other areas cannot give it away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue, known_indicators
from indicators.errors import IndicatorTableError, Problems, SettingsError
from indicators.reference import reference_for
from indicators.swedish import format_number
from indicators.table import derive_values, missing_columns

POOLED = "pooled"


def _unit_text(value: float, unit: str) -> str:
    text = format_number(value)
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True, eq=False)
class Smoothed:
    """Smoothed indicator values and how far each area was shrunk.

    ``values`` holds every requested indicator (rates times ``per``, in the
    catalogue's unit; ready values unchanged), indexed like the input table.
    ``reference`` is the rate each smoothed indicator was shrunk toward (times
    ``per``); ``weights`` the weight ``w_i`` of each area's own rate (1 = kept,
    0 = replaced by the reference; missing where the rate is missing).
    ``external`` lists the indicators whose reference was given rather than pooled;
    ``no_spread`` those whose variance estimate was clipped at 0; ``names`` and
    ``units`` (from the catalogue) are used by :meth:`notes`.
    """

    values: pd.DataFrame
    smoothed: tuple[str, ...]
    reference: pd.Series
    weights: pd.DataFrame
    external: tuple[str, ...] = ()
    no_spread: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """Swedish notes for the report: which rates were smoothed, toward what."""
        if not self.smoothed:
            return ["Ingen andel har utjämnats (inga valda indikatorer bygger på antal)."]
        notes = [
            "Andelar och tal för små områden har utjämnats med empirisk Bayes (Marshall 1991): "
            "varje områdes andel har dragits mot ett referensvärde, mer ju mindre "
            "befolkningen i området är. Vikten anger hur mycket av områdets eget värde "
            "som behållits (1 = hela)."
        ]
        pooled = reference_for(self.weights.index).pooled    # the kommun's, the län's …
        for ind_id in self.smoothed:
            ref = float(self.reference[ind_id])
            toward = "angivet referensvärde" if ind_id in self.external else pooled
            w = self.weights[ind_id].dropna()
            text = (f"{self.names.get(ind_id, ind_id)}: utjämnad mot {toward} "
                    f"{_unit_text(ref, self.units.get(ind_id, ''))}")
            if ind_id in self.no_spread:
                text += ("; skillnaderna mellan områdena var inte större än slumpen "
                         "förklarar, så alla områden fick referensvärdet")
            elif len(w):
                text += (f"; vikt för områdets eget värde {format_number(w.min())}"
                         f"–{format_number(w.max())}")
            else:
                text += "; inget område hade både täljare och nämnare"
            notes.append(text + ".")
        return notes


def _references(reference: str | Mapping[str, float], catalogue: Catalogue,
                rates: Sequence[str]) -> dict[str, float]:
    """The external reference per indicator (as a fraction), validated; {} for pooled."""
    problems = Problems(SettingsError)
    if isinstance(reference, str):
        if reference != POOLED:
            problems.add("okänt referensvärde för utjämningen.", column="reference",
                         values=[reference],
                         expected=f"'{POOLED}' (alla områdens sammanvägda andel) eller ett "
                                  "värde per indikator",
                         fix=f"ange '{POOLED}' eller t.ex. {{'valdsbrott': 16.1}}")
        problems.raise_if_any()
        return {}
    unknown = [k for k in reference if k not in catalogue]
    if unknown:
        problems.add("referensvärden för indikatorer som inte finns i katalogen.",
                     column="reference", values=unknown, fix="rätta indikator-id:na")
    out: dict[str, float] = {}
    for ind_id in rates:
        if ind_id not in reference:
            continue
        ind = catalogue[ind_id]
        value = reference[ind_id]
        ok = (not isinstance(value, bool) and isinstance(value, int | float | np.number)
              and math.isfinite(value) and value >= 0
              and (ind.per != 100 or value <= 100))
        if not ok:
            problems.add(f"ogiltigt referensvärde för '{ind_id}'.", column="reference",
                         values=[value],
                         expected=f"ett tal ≥ 0 i indikatorns enhet ({ind.unit})",
                         fix="ange t.ex. länets värde")
            continue
        out[ind_id] = float(value) / float(ind.per or 1)
    problems.raise_if_any()
    return out


def _eb(e: np.ndarray, b: np.ndarray, m: float | None) -> tuple[np.ndarray, np.ndarray,
                                                                  float, bool]:
    """Smoothed rates, weights, the reference and whether the variance was clipped.

    ``m`` None means the pooled rate. Areas without counts give NaN.
    """
    ok = np.isfinite(e) & np.isfinite(b) & (b > 0)
    smoothed = np.full(e.shape, np.nan)
    weights = np.full(e.shape, np.nan)
    if not ok.any():
        return smoothed, weights, (np.nan if m is None else m), False
    e_ok, b_ok = e[ok], b[ok]
    b_sum = b_ok.sum()
    if m is None:
        m = float(e_ok.sum() / b_sum)
    rate = e_ok / b_ok
    variance = float((b_ok * (rate - m) ** 2).sum() / b_sum - m / b_ok.mean())
    clipped = variance < 0
    variance = max(variance, 0.0)
    noise = m / b_ok
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(noise == 0, 1.0, variance / (variance + noise))
    smoothed[ok] = w * rate + (1.0 - w) * m
    weights[ok] = w
    return smoothed, weights, m, clipped


def eb_smooth(table: pd.DataFrame, catalogue: Catalogue, indicators: Sequence[str], *,
              reference: str | Mapping[str, float] = POOLED) -> Smoothed:
    """Empirical Bayes smoothing of every rate indicator among ``indicators``.

    ``table`` is a validated indicator table (see
    :func:`indicators.table.validate_indicator_table`). ``reference`` is
    ``"pooled"`` (the municipality's own pooled rate over the areas) or a mapping
    from indicator id to a reference value in the catalogue's unit (e.g. the
    county's rate per 1 000); a rate indicator missing from the mapping is shrunk
    toward its pooled rate. See the module docstring for the estimator.
    """
    ids = known_indicators(catalogue, indicators)
    gaps = missing_columns(table, catalogue, ids)
    if gaps:
        problems = Problems(IndicatorTableError)
        for ind_id, cols in gaps.items():
            problems.add(f"kolumner saknas för indikatorn '{ind_id}'.", values=cols,
                         fix="lägg till kolumnerna eller välj bort indikatorn")
        problems.raise_if_any()
    rates = [i for i in ids if catalogue[i].is_rate]
    external = _references(reference, catalogue, rates)

    values = derive_values(table, catalogue, ids)
    weights = pd.DataFrame(index=table.index, columns=rates, dtype=float)
    refs = pd.Series(np.nan, index=rates, dtype=float)
    no_spread = []
    for ind_id in rates:
        ind = catalogue[ind_id]
        assert ind.numerator is not None and ind.denominator is not None
        per = float(ind.per or 1)
        e = table[ind.numerator].to_numpy(dtype=float)
        b = table[ind.denominator].to_numpy(dtype=float)
        smoothed, w, m, clipped = _eb(e, b, external.get(ind_id))
        values[ind_id] = smoothed * per
        weights[ind_id] = w
        refs[ind_id] = m * per
        if clipped:
            no_spread.append(ind_id)
    return Smoothed(values=values, smoothed=tuple(rates), reference=refs, weights=weights,
                    names={i: catalogue[i].name for i in rates},
                    units={i: catalogue[i].unit for i in rates},
                    external=tuple(i for i in rates if i in external),
                    no_spread=tuple(no_spread))

