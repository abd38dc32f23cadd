"""How good is the index? Statistical coherence per domain, and the robustness of the ranks.

The checks the JRC/OECD *Handbook on Constructing Composite Indicators* (2008) and COINr
ask for before an index is trusted, on a :class:`~indicators.ranking.RankingResult`:

1. :func:`coherence` — **statistical coherence per domain**, on the normalised values of
   the indicators that count (the values that are averaged), over the areas with every
   value of the domain (complete cases):

   - **Cronbach's alpha** ``k / (k - 1) (1 - sum_i var(x_i) / var(sum_i x_i))``, the
     internal consistency of the domain's ``k`` indicators (1 when they are perfectly
     correlated with equal variance; the handbook's rule of thumb asks for about 0.7);
   - the **first principal component's share** of the variance: the largest eigenvalue of
     the indicators' correlation matrix divided by ``k`` (1 when they measure one thing,
     ``1 / k`` when they are uncorrelated); constant indicators are left out;
   - per indicator its Pearson correlation with **its own domain's score** (pairwise
     complete), and whether it is **negative**: the indicator then pulls against the
     domain it is meant to describe;
   - per indicator the **share of the score it explains**: the squared correlation with
     the composite score and its additive share of the score's variance, both from
     :func:`indicators.sensitivity.effective_weights` (Paruolo, Saisana & Saltelli 2013).

   Alpha and the PC1 share need at least two indicators and three complete areas
   (otherwise NaN).

2. :func:`robustness` — **how much the ranks depend on the choices**, with the Monte Carlo
   of :mod:`indicators.uncertainty` (:func:`~indicators.uncertainty.rank_uncertainty`):

   - the **average shift in rank** R̄S (COINr/JRC): the mean over areas of
     ``|rank_draw - rank_nominal|``, averaged over the draws, against the ranking of the
     chosen settings, for the Monte Carlo of the settings' own ``[uncertainty]``;
   - a **variance decomposition** of the ranks over the uncertain choices, **one factor at
     a time**: for each factor the Monte Carlo (or the finite set of alternatives) is run
     with only that factor varied and the rest at the chosen settings, and ``V_i`` is the
     variance of an area's rank over those draws, averaged over the areas. The share of a
     factor is ``V_i / sum_j V_j``. This is a first-order share *at the chosen settings*
     (the variance of the conditional ranking with the other factors fixed at their
     nominal values), not a Sobol index, which would average over the other factors; it
     is what the Monte Carlo code can give without an exponentially larger sample. The
     interaction of the factors the full Monte Carlo varies together shows in
     ``full_variance`` against the sum of their ``V_i``. The factors:

     * ``weights``: Dirichlet weights around the chosen ones (the settings' concentration,
       or the default when they hold the weights fixed);
     * ``normalisation``: each of z-score, percentile rank and min–max;
     * ``aggregation``: each aggregation the Monte Carlo draws from;
     * ``data_noise``: the rates drawn from their posterior given the counts;
     * ``leave_one_out``: each indicator that counts left out in turn (its weight 0, the
       others of its domain renormalised; the only indicator of a domain takes the domain
       with it), all equally likely;
     * ``imputation``: the censored counts (hidden cells held at their band's midpoint)
       drawn over their bands; 0 without censored cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import DEFAULT_CONCENTRATION, DOMAINS
from indicators.ranking import RankingResult, rank_areas
from indicators.sensitivity import R2, VARIANCE_SHARE, effective_weights
from indicators.settings import AnalysisSettings
from indicators.uncertainty import Mapper, RankUncertainty, rank_uncertainty

MIN_COMPLETE_AREAS = 3          # fewer complete areas: alpha and PC1 share are NaN
ALPHA_GOOD = 0.7                # the handbook's rule of thumb for Cronbach's alpha
FACTORS: dict[str, str] = {
    "weights": "Vikter",
    "normalisation": "Normalisering",
    "aggregation": "Sammanvägning",
    "data_noise": "Slumpvariation i data",
    "leave_one_out": "En indikator utelämnad",
    "imputation": "Imputerade (dolda) värden",
}


# -- 1. coherence -----------------------------------------------------------------------------

def cronbach_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha of the columns of ``x`` (areas x items, complete rows only);
    NaN for fewer than two items or :data:`MIN_COMPLETE_AREAS` rows, or a constant sum."""
    x = np.asarray(x, dtype=float)
    n, k = x.shape
    if k < 2 or n < MIN_COMPLETE_AREAS:
        return float("nan")
    total = x.sum(axis=1).var(ddof=1)
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))


def pc1_share(x: np.ndarray) -> float:
    """The first principal component's share of the variance of the standardised columns
    of ``x`` (areas x items, complete rows): the largest eigenvalue of the correlation
    matrix over the number of non-constant items; NaN for fewer than two of them or
    :data:`MIN_COMPLETE_AREAS` rows."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] < MIN_COMPLETE_AREAS:
        return float("nan")
    x = x[:, x.std(axis=0) > 0]
    k = x.shape[1]
    if k < 2:
        return float("nan")
    eigen = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False))
    return float(eigen[-1] / k)


@dataclass(frozen=True, eq=False)
class Coherence:
    """``domains``: one row per domain that counts (index domain id): ``n_indicators``,
    ``n_areas`` (complete cases), ``alpha``, ``pc1_share``. ``indicators``: one row per
    indicator that counts (index indicator id, catalogue order): ``domain``,
    ``r_domain`` (correlation with its domain's score), ``negative`` (r_domain < 0),
    ``r2`` (squared correlation with the composite score) and ``variance_share``."""

    domains: pd.DataFrame
    indicators: pd.DataFrame

    @property
    def negative(self) -> tuple[str, ...]:
        """Indicators that correlate negatively with their own domain."""
        return tuple(self.indicators.index[self.indicators["negative"]])


def coherence(result: RankingResult) -> Coherence:
    """Statistical coherence of ``result`` per domain (see the module docstring)."""
    shares = effective_weights(result)
    ids = list(shares.index)
    dom_rows, ind_rows = [], []
    for dom in DOMAINS:
        members = [i for i in ids if result.catalogue[i].domain == dom]
        if not members:
            continue
        x = result.normalised[members].dropna().to_numpy(dtype=float)
        dom_rows.append({"domain": dom, "n_indicators": len(members), "n_areas": len(x),
                         "alpha": cronbach_alpha(x), "pc1_share": pc1_share(x)})
        score = (result.domain_scores[dom] if dom in result.domain_scores.columns
                 else pd.Series(np.nan, index=result.normalised.index))
        for i in members:
            r = result.normalised[i].corr(score)
            ind_rows.append({"indicator": i, "domain": dom, "r_domain": r,
                             "negative": bool(r < 0), R2: shares.at[i, R2],
                             VARIANCE_SHARE: shares.at[i, VARIANCE_SHARE]})
    domains = pd.DataFrame(dom_rows, columns=["domain", "n_indicators", "n_areas", "alpha",
                                              "pc1_share"]).set_index("domain")
    indicators = pd.DataFrame(ind_rows, columns=["indicator", "domain", "r_domain", "negative",
                                                 R2, VARIANCE_SHARE]).set_index("indicator")
    indicators["negative"] = indicators["negative"].astype(bool)
    return Coherence(domains, indicators.loc[[i for i in ids if i in indicators.index]])


# -- 2. robustness ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Robustness:
    """The robustness of a ranking (see the module docstring).

    ``mean_shift``: R̄S of the settings' own Monte Carlo; ``shift_per_area`` its per-area
    mean shift. ``factors``: one row per factor of :data:`FACTORS` (index factor id):
    ``label`` (Swedish), ``variance`` (``V_i``), ``share`` (``V_i / sum V``, NaN when
    nothing varies), ``mean_shift`` (R̄S with only that factor varied) and ``runs`` (draws
    or alternatives). ``full_variance``: the mean rank variance of the settings' own Monte
    Carlo, all its factors together.
    """

    mean_shift: float
    shift_per_area: pd.Series
    factors: pd.DataFrame
    full_variance: float
    draws: int
    factor_draws: int
    n_areas: int


def _mean(series: pd.Series | None) -> float:
    return float(series.mean()) if series is not None and series.notna().any() else math.nan


def _finite_factor(result: RankingResult, rankings: list[RankingResult]) -> tuple[float, float]:
    """Mean rank variance and R̄S over equally likely alternative rankings."""
    if not rankings:
        return 0.0, 0.0
    ranks = np.vstack([r.rank.reindex(result.rank.index).to_numpy(dtype=float)
                       for r in rankings])
    chosen = result.rank.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        variance = np.nanmean(np.nanvar(ranks, axis=0)) if ranks.size else 0.0
        shift = np.nanmean(np.abs(ranks - chosen[None, :]))
    return float(variance), float(shift)


def _leave_one_out(table: pd.DataFrame, catalogue: Catalogue, result: RankingResult,
                   source: str) -> list[RankingResult]:
    s = result.settings
    counted = [i for i in result.weights.columns if (result.weights[i].to_numpy() > 0).any()]
    if len(counted) < 2:
        return []
    return [rank_areas(table, catalogue, s.with_changes(
        indicator_weights={k: (0.0 if k == i else w) for k, w in s.indicator_weights}),
        source) for i in counted]


def robustness(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings, *,
               source: str = "indikatortabell", ranking: RankingResult | None = None,
               uncertainty: RankUncertainty | None = None, censored: pd.DataFrame | None = None,
               factor_draws: int | None = None, mapper: Mapper = map) -> Robustness:
    """R̄S and the one-factor-at-a-time variance decomposition of the ranks of
    ``rank_areas(table, catalogue, settings, source)`` (see the module docstring).

    ``ranking`` and ``uncertainty``: that ranking and its Monte Carlo
    (``rank_uncertainty`` with the settings' options and ``censored``) when the caller has
    them. ``factor_draws``: draws of each one-factor Monte Carlo (default the settings'
    draws, at most 500). The seed is the settings' seed, so the result is reproducible.
    """
    if ranking is None:
        ranking = rank_areas(table, catalogue, settings, source)
    if uncertainty is None:
        uncertainty = rank_uncertainty(table, catalogue, settings, source=source,
                                       ranking=ranking, mapper=mapper,
                                       **({} if censored is None else {"censored": censored}))
    options = settings.uncertainty
    draws = factor_draws or min(options.draws, 500)
    concentration = (options.concentration if math.isfinite(options.concentration)
                     else DEFAULT_CONCENTRATION)
    still = replace(options, draws=draws, concentration=concentration, vary_weights=False,
                    vary_normalisation=False, vary_aggregation=False, data_noise=False)
    one_at_a_time = {"weights": replace(still, vary_weights=True),
                     "normalisation": replace(still, vary_normalisation=True),
                     "aggregation": replace(still, vary_aggregation=True),
                     "data_noise": replace(still, data_noise=True)}
    rows = []
    for factor, label in FACTORS.items():
        if factor == "imputation" and (censored is None or censored.empty):
            variance, shift, runs = 0.0, 0.0, 0       # nothing imputed: nothing to vary
        elif factor in one_at_a_time or factor == "imputation":
            opts = one_at_a_time.get(factor, still)
            held = {"censored": censored} if factor == "imputation" else {}
            u = rank_uncertainty(table, catalogue, settings, opts, source=source,
                                 ranking=ranking, mapper=mapper, **held)
            variance, shift, runs = _mean(u.rank_variance), _mean(u.mean_shift), draws
        else:
            rankings = _leave_one_out(table, catalogue, ranking, source)
            variance, shift = _finite_factor(ranking, rankings)
            runs = len(rankings)
        rows.append({"factor": factor, "label": label, "variance": variance, "share": math.nan,
                     "mean_shift": shift, "runs": runs})
    factors = pd.DataFrame(rows).set_index("factor")
    total = factors["variance"].sum()
    if total > 0:
        factors["share"] = factors["variance"] / total
    return Robustness(mean_shift=_mean(uncertainty.mean_shift),
                      shift_per_area=uncertainty.mean_shift, factors=factors,
                      full_variance=_mean(uncertainty.rank_variance), draws=uncertainty.draws,
                      factor_draws=draws, n_areas=uncertainty.n_areas)
