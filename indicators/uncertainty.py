"""How sure is a ranking? Monte Carlo rank intervals (the COINr/JRC uncertainty analysis).

The ranking of :func:`indicators.ranking.rank_areas` is recomputed ``draws`` times, each
time with the method and the data varied at random, and every area's rank is recorded.
Per area the result gives the median rank, the 5–95 % rank interval and the probability
of being among the ``k`` areas with most need (``p_top_k``).

What one draw varies (each part can be switched off in :class:`UncertaintyOptions`):

1. **Weights.** Within every domain the indicator weights are drawn from a Dirichlet
   distribution ``Dirichlet(c * w / sum(w))`` around the chosen weights ``w`` (``c`` the
   concentration: higher = less variation, ``inf`` = the chosen weights); across domains
   the domain weights likewise. Indicators or domains with weight 0 stay at 0, and a
   domain with one indicator has nothing to vary within. Weights are still renormalised
   over the values an area has, as in ``rank_areas``.
2. **Normalisation.** z-score, percentile rank or min–max, each with probability 1/3.
3. **Aggregation.** Arithmetic mean or MPI+ between domains, each with probability 1/2
   (MPI+ as ``rank_areas``: domain scores standardised to 100 + 10 z over the ranked
   areas of the draw's data, then ``M + S**2 / M``, see :func:`indicators.ranking.
   mpi_standardise` and :func:`~indicators.ranking.mpi_combine`, which both use).

Which areas are ranked is decided once, by ``rank_areas`` with the chosen weights (the
minimum-coverage rule, ``RankingResult.coverage``): an area with too little of its weight
present is left out of every draw's ranks, but its values still count in the
normalisation, as they do in ``rank_areas``.
4. **Data noise** (the rate drawn from its Jeffreys posterior given the count). For a
   rate indicator with count ``c`` over denominator ``D`` the true rate is drawn from
   the posterior under the Jeffreys prior: ``Beta(c + 1/2, D - c + 1/2)`` when the rate
   is a share (``per`` = 100 and ``c <= D``), otherwise ``Gamma(c + 1/2, 1/D)`` (events
   per 1 000 or per 100 000, a Poisson rate), times ``per``. A small area with 3 of 40
   therefore varies much more than a large one with 3 000 of 40 000, and an area with 0
   of 40 varies too (its draws have mean 0.5 / 41, about 1.2 %, and a 95 % quantile of
   about 4.7 %), as does 40 of 40. This is done for **every** count, not only for
   zeros: one model for all cells, so that 0 and 1 of 40 differ by one event and not by
   a switch of method (a parametric bootstrap ``Binomial(D, c / D)`` keeps 0 at 0 and
   D at D, the two places where the observed rate is least certain, yet lets 1 fall to
   0); the Jeffreys prior is the standard uninformative choice for a binomial or Poisson
   rate (invariant to reparametrisation; its equal-tailed intervals have close to
   nominal frequentist coverage even for small counts, Brown, Cai & DasGupta 2001,
   Statistical Science 16:101); and what the rank interval should carry is the
   uncertainty of the *true* rate of the area given its count, which is this posterior.
   Its mean is ``(c + 1/2) / (D + 1)`` (share) or ``(c + 1/2) / D`` (rate), half an
   event above ``c / D``: what the prior adds, largest for the smallest denominators
   and negligible beside the spread. Counts and denominators need not be whole numbers
   (smoothed counts are fractional). The point estimate (``rank_areas``) stays the
   observed rate. Indicators read as ready values, without counts, have no data noise.
5. **Censored counts** (``censored``, optional). A count only known to lie in a band
   (hidden by disclosure control, or delivered as SCB's ``..``) is held in the table at
   the band's midpoint; given as a row of ``censored`` (``area_id``, the numerator
   ``column``, integers ``low`` and ``high``), its count is drawn in every noisy data set
   uniformly from the integers ``low..high`` instead of from the noise model, and the
   rate recomputed over the same denominator. So the rank interval also carries what is
   not known about the hidden value. This is not data noise: it is done whether
   ``data_noise`` is on or off (``censored=None`` holds the midpoints fixed).

Every draw is then scored exactly like ``rank_areas`` and ranked: rank 1 = most need,
scores equal to 9 decimals share the best rank (competition ranking 1, 2, 2, 4). With
continuous noise ties are rare; identical areas without noise tie in every draw and get
identical distributions. The interval is the 5 % and 95 % quantile of the area's ranks
and the median the 50 % quantile, all by the inverted distribution function (the
smallest rank ``r`` with ``P(rank <= r) >= q``), so they are whole ranks; the median is
the lower one for an even number of draws. ``p_top_k`` is the share of draws with rank
``<= k``; it sums to ``k`` over the areas unless ties straddle rank ``k``.
``p_top_k_se`` is its Monte Carlo standard error ``sqrt(p (1 - p) / n_eff)``. When every
draw has its own noisy data set the draws are independent and ``n_eff`` is the number of
draws (binomial). When draws share noisy data sets (below) they are correlated by design
(draws of one data set share its noise), and the standard error is that of a mean over
independent clusters, the data sets: ``SE^2 = R / (R - 1) * sum_r (t_r - n_r p)^2 / D^2``
with ``t_r`` of the ``n_r`` draws of data set ``r`` in the top ``k`` (``D`` draws, ``R``
data sets; NaN for one shared data set, which cannot show the noise's variation). At
``p`` = 0 or 1 it is 0: all that the draws show is that ``p`` lies below about ``3 /
n_eff`` (or above ``1 - 3 / n_eff``, the rule of three).

How it is computed fast (many draws at once with numpy):

* **Effective weights.** The two-stage weighted mean with renormalisation is a single
  weighted sum ``sum_k E_k z_k`` whose effective weights ``E`` depend only on the draw's
  weights and on which indicators the area has (its *missingness pattern*); the
  draws that share normalised data are one matrix product per pattern. MPI+ needs the
  domain scores: the same effective weights, summed per domain, give each domain's
  share, and divided by it the weights within the domain.
* **Stacked products.** When every draw has its own noisy data set, each draw is such a
  product of its own. The products of a batch with the same method and number of draws
  are stacked, one ``np.matmul`` over a leading axis: numpy makes the same BLAS call
  (gemv or gemm, chosen from each item's shapes and strides) for every item as for the
  product alone, so the sums are made in the same order and every score has the same
  bits as one product at a time, at the cost of a few numpy calls per batch instead of
  one Python-level call per draw.
* **Shared data-noise replicates (the one approximation).** Every noisy data set must be
  normalised anew, which costs about ``areas x noisy indicators`` per data set. When
  ``draws x areas x noisy indicators`` exceeds ``NOISE_CELL_BUDGET`` (4 million: e.g. 22
  areas x 15 indicators x 12 000 draws, or 6 000 areas x 15 indicators x 44 draws), only
  ``R = max(50, budget / (areas x noisy indicators))`` noisy data sets (at most ``draws``)
  are drawn, and consecutive draws share them, each draw still with its own weights,
  normalisation and aggregation. Every draw is then still an exact draw from the model;
  what is approximated is the Monte Carlo precision of the noise part, which is that of
  ``R`` draws rather than ``draws`` (for 6 000 areas and 10 000 draws: R = 50, 200 draws
  each). Below the budget every draw has its own noise (the exact path);
  ``noise_replicates`` sets ``R`` by hand. ``method_text`` says which was used.
* **Ranks.** Per draw, one sort of 64-bit keys (the score rounded to 9 decimals, then the
  area index) gives the order and the ties; ranks are stored as 16-bit integers per area
  and draw (32-bit from 32 768 areas). Per area the quantiles, ``p_top_k`` and the
  moments come from its draws (a partial sort and sums, linear in the draws); only for
  at most ``RANK_COUNTS_MAX_AREAS`` areas, where ``rank_counts`` is kept, from the counts
  of every rank, which costs ``areas`` per area and so ``areas**2`` in all (the same
  numbers: every one is a whole-number sum below 2**53). Up to ``RANK_DRAWS_MAX_CELLS``
  draws x areas (20 million: 40 MB) the ranks themselves are kept as ``rank_draws``, so
  that a statistic of all areas' ranks jointly (the budget's intervals,
  :mod:`indicators.allocation`) can be computed draw by draw; above it they are not, and
  such intervals are unavailable.
* **Batches, and a map the caller chooses.** Draws are processed in batches that bound
  memory (at least ``PARALLEL_BATCHES`` when there are enough draws; small consecutive
  batches run together as one task, see :func:`_tasks`), each task one call
  of a ``map``-like callable: the built-in ``map`` by default (one after the other), or
  the shell's thread pool (numpy releases the GIL in sorting, matrix products and
  element-wise work). Matrix products are cut small enough that OpenBLAS does not start
  threads of its own, which for these thin products is many times slower. Every random
  stream (normalisation, aggregation, weights, each chunk of noise replicates) comes from
  its own child of ``SeedSequence(seed)``, so the result depends on the seed, the options
  and the data, never on the batches, the map, the number of threads or their timing.
  Since draws are independent and the statistics do not depend on their order, the draws
  are processed grouped by noise replicate, normalisation and aggregation.
* **The weight-independent stage.** The arrays of the ranked areas (``_Model`` without
  its weights), the noise replicates, the method choices of the draws and the observed
  data normalised and transformed for each method do not depend on the weight values,
  only on the ranking's base, which indicators and domains have a positive weight, which
  areas are ranked and the options (:func:`monte_carlo_key`). :func:`monte_carlo_stage`
  computes them as one read-only :class:`MonteCarloStage`; :func:`rank_uncertainty`
  given that stage redoes only the Dirichlet weight draws and the scoring. Nothing is
  remembered here: the shell keeps stages (``geo/cache.py``) so that a weight change in
  the app reuses them; the result is the same as computed afresh.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import (
    AGGREGATIONS,
    AREA_ID,
    NORMALISATIONS,
)
from indicators.errors import Problems, SettingsError
from indicators.outliers import Limits
from indicators.ranking import (
    MPI_MEAN,
    MPI_SD,
    TIE_DECIMALS,
    RankingResult,
    mpi_combine,
    mpi_standardise,
    rank_areas,
)
from indicators.settings import AnalysisSettings, UncertaintyOptions
from indicators.swedish import format_integer, format_number

NORMALISATION_CHOICES: tuple[str, ...] = tuple(NORMALISATIONS)   # zscore, percentile, minmax
AGGREGATION_CHOICES: tuple[str, ...] = tuple(AGGREGATIONS)       # arithmetic, mpi
QUANTILES = (5, 50, 95)             # per cent: rank_low, median_rank, rank_high
RANK_COUNTS_MAX_AREAS = 500         # rank_counts only for at most this many ranked areas
RANK_DRAWS_MAX_CELLS = 20_000_000   # rank_draws kept only up to draws x ranked areas
NOISE_CELL_BUDGET = 4_000_000       # draws x noisy cells above which noise is shared
SHARED_NOISE_MIN_REPLICATES = 50    # fewest noise replicates when they are shared
PARALLEL_BATCHES = 16              # at least this many batches of draws (when there are enough)
_MIN_BATCH_CELLS = 1 << 17          # draws x areas x indicators worth a task of its own

_SCORE_CELLS = 1 << 20              # draws x areas per batch (about 21 bytes each)
_VALUE_CELLS = 1 << 22              # replicates x areas x indicators per batch
_NOISE_CHUNK_CELLS = 1 << 18        # replicates x noisy cells per noise seed
_PATTERN_LOOP_MAX = 32              # more missingness patterns: gather instead of matmul
_BLAS_CELLS = 1 << 18               # multiply-adds per matrix product (see _scores)
_STACK_CELLS = 1 << 20              # segments x areas x indicators scored at once
_ROUNDER = 1.5 * 2.0**52            # x + _ROUNDER has no fraction bits (see _Ranker)
_ROUNDER_BITS = np.array(_ROUNDER).view(np.int64)


@dataclass(frozen=True, eq=False)
class RankUncertainty:
    """Per area (indexed by area id like ``RankingResult``; areas without rank are NaN)."""

    median_rank: pd.Series
    rank_low: pd.Series             # 5 % quantile of the rank (the best plausible rank)
    rank_high: pd.Series            # 95 % quantile of the rank (the worst plausible rank)
    p_top_k: pd.Series              # share of draws among the top_k areas with most need
    p_top_k_se: pd.Series           # Monte Carlo standard error of p_top_k (see above)
    top_k: int
    draws: int
    options: UncertaintyOptions
    rank_counts: pd.DataFrame | None = None   # area x rank 1..n: draws with that rank
    n_areas: int = 0                          # areas with a rank
    noise_replicates: int = 0                 # noisy data sets used (0: no data noise)
    noisy_indicators: tuple[str, ...] = ()    # names of indicators computed from counts
    fixed_indicators: tuple[str, ...] = ()    # names of indicators read as ready values
    weights_vary: bool = True                 # False: nothing to vary (one indicator, ...)
    censored_cells: int = 0                   # cells of ranked areas varied over a band
    # Per area over the draws: mean |rank - the ranking's rank| (its mean over the areas is
    # COINr's average shift in rank) and the variance of the rank.
    mean_shift: pd.Series | None = None
    rank_variance: pd.Series | None = None
    # Every draw's ranks jointly (draws x ranked areas, rank 1 = most need; int16, int32
    # from 32 768 areas), for statistics of all areas at once such as the budget's
    # intervals (indicators.allocation); None above RANK_DRAWS_MAX_CELLS cells.
    rank_draws: pd.DataFrame | None = None

    def summary(self) -> pd.DataFrame:
        """One row per area: median rank, interval and P(top k)."""
        return pd.DataFrame({"median_rank": self.median_rank, "rank_low": self.rank_low,
                             "rank_high": self.rank_high, "p_top_k": self.p_top_k})

    def method_text(self) -> str:
        """The method in one Swedish paragraph, for the app and the export."""
        o = self.options
        varied, fixed = [], []
        if o.varies_weights and self.weights_vary:
            varied.append(f"vikterna (Dirichletfördelning kring de valda vikterna med "
                          f"koncentration {o.concentration:g}, både mellan domäner och mellan "
                          "indikatorer inom varje domän; högre koncentration ger mindre "
                          "variation)")
        else:
            fixed.append("vikterna")
        if o.vary_normalisation:
            varied.append("normaliseringen (z-poäng, percentilrang eller min–max, med lika "
                          "sannolikhet)")
        else:
            fixed.append("normaliseringen")
        if o.vary_aggregation:
            varied.append("sammanvägningen mellan domäner (aritmetiskt medelvärde eller "
                          "Mazziotta–Pareto MPI+, med lika sannolikhet)")
        else:
            fixed.append("sammanvägningen")
        noise = bool(self.noise_replicates) and o.data_noise
        if noise:
            varied.append("slumpvariationen i antalen: andelen eller kvoten drogs ur sin "
                          "fördelning givet det observerade antalet (Jeffreys "
                          "a posteriori-fördelning: betafördelning för andelar i procent, "
                          "gammafördelning för antal per 1 000 eller 100 000), så att 3 av "
                          "40 varierar mycket mer än 3 000 av 40 000 och även 0 av 40 "
                          "varierar")
        if self.censored_cells:
            varied.append(("det antal" if self.censored_cells == 1 else
                           f"de {format_integer(self.censored_cells)} antal")
                          + " som bara är kända inom ett intervall (skyddade, eller "
                          "levererade som ”..”): likformigt bland intervallets heltal, i "
                          "stället för intervallets mittpunkt som huvudresultatet använder")
        if not noise:
            fixed.append("övriga indikatorvärden" if self.censored_cells
                         else "indikatorvärdena")
        text = (f"Osäkerheten i rangordningen har skattats med {format_integer(self.draws)} "
                f"Monte Carlo-dragningar (slumpfrö {o.seed}; samma frö, inställningar och "
                "data ger samma resultat). ")
        if varied:
            text += "I varje dragning varierades " + _join(varied) + ". "
        if fixed:
            text += _join(fixed).capitalize() + " hölls fasta. "
        if noise and self.fixed_indicators:
            text += ("Indikatorer utan antal har inget slumpbrus: "
                     + ", ".join(self.fixed_indicators) + ". ")
        if self.noise_replicates and self.noise_replicates < self.draws:
            text += (f"För att begränsa beräkningstiden drogs slumpbruset i "
                     f"{format_integer(self.noise_replicates)} uppsättningar som "
                     "dragningarna delar "
                     "på (var och en med egna vikter och metodval); varje dragning är "
                     "korrekt, men slumpbrusets del av osäkerheten skattas med "
                     f"{format_integer(self.noise_replicates)} i stället för "
                     f"{format_integer(self.draws)} "
                     "dragningar. ")
        if o.data_noise and not noise:
            text += ("Inget antal har en nämnare över 0, så data har inget slumpbrus. "
                     if self.noisy_indicators else
                     "Ingen indikator bygger på antal, så data har inget slumpbrus. ")
        text += ("I varje dragning rangordnades områdena som i huvudresultatet (rang 1 = "
                 "störst behov; poäng som är lika på 9 decimaler delar bästa rang). "
                 "Intervallet är 5:e till 95:e percentilen av områdets rang över "
                 "dragningarna och medianrangen den mittersta (den lägre vid jämnt antal), "
                 f"alla som hela rangtal. P(topp {self.top_k}) är andelen dragningar där "
                 "området hör till "
                 + ("det område" if self.top_k == 1 else f"de {self.top_k} områden")
                 + f" (av {self.n_areas}) som har störst behov.")
        se = self.p_top_k_se.max()
        if pd.notna(se):
            text += (" Andelens medelfel, som bara beror på att dragningarna är ändligt "
                     f"många, är högst {format_number(100 * se, 1, trim=True)} "
                     "procentenheter.")
        return text


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " och " + parts[-1]


# -- the prepared problem -----------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Model:
    """The arrays one ranking needs, for the areas with a value of an active indicator
    (the rows), grouped by missingness pattern: the ``n_ranked`` ranked rows first, then
    those that are scored but not ranked (too little of their weight present)."""

    area_index: pd.Index          # every area of the table, in table order
    positions: np.ndarray         # (n,) position in area_index of each row
    values: np.ndarray            # (m, n) indicator values, NaN = missing (indicator rows)
    present: np.ndarray           # (m, n) bool
    directions: np.ndarray        # (m,)
    domain_of: np.ndarray         # (m,) index into the counted domains
    indicator_weights: np.ndarray  # (m,) chosen weights, > 0
    domain_weights: np.ndarray    # (J,) chosen weights, > 0
    normalisation: int            # index into NORMALISATION_CHOICES
    aggregation: int              # index into AGGREGATION_CHOICES
    patterns: np.ndarray          # (P, m) bool: which indicators rows of each pattern have
    bounds: np.ndarray            # (P + 1,) rows of pattern p: bounds[p]:bounds[p + 1]
    pattern_of: np.ndarray        # (n,) pattern of each row
    counts: np.ndarray            # (m,) areas with a value
    indicator_names: tuple[str, ...]
    indicator_ids: tuple[str, ...]  # the active indicators (rows of values)
    rate_columns: tuple[int, ...]  # columns computed from counts
    # Data noise and censored counts. Noisy indicators have at least one noisy cell; a
    # cell is (position in noisy) * n + area row. One entry per cell: beta cells (shares),
    # then gamma cells (rates), then censored cells.
    noisy: np.ndarray
    cells: np.ndarray
    alpha: np.ndarray             # beta: c + 1/2
    beta: np.ndarray              # beta: D - c + 1/2
    shape: np.ndarray             # gamma: c + 1/2
    low: np.ndarray               # censored: the band's lowest count (int64)
    high: np.ndarray              # censored: the band's highest count (int64)
    divisor: np.ndarray           # rate = draw / divisor * per (beta: 1, else D)
    per: np.ndarray
    domains: tuple[str, ...] = ()  # the counted domains (of domain_weights)
    outliers: Limits | None = None  # the ranking's outlier treatment of the rows of values
    n_ranked: int = -1            # rows 0..n_ranked - 1 are ranked (-1: every row)

    @property
    def n(self) -> int:
        return self.values.shape[1]

    @property
    def ranked_rows(self) -> int:
        """The number of ranked rows (the first ones)."""
        return self.n if self.n_ranked < 0 else self.n_ranked

    @property
    def m(self) -> int:
        return self.values.shape[0]

    @property
    def score_bound(self) -> float:
        """No score of a ranked row in any draw exceeds this in absolute value: z-scores
        lie within sqrt(n - 1), percentile and min-max within 0-100, weighted means within
        their inputs, and MPI+ between 0 and the largest standardised domain value, at
        most 100 + 10 sqrt(n - 1)."""
        return MPI_MEAN + 1.0 + MPI_SD * math.sqrt(max(self.n - 1, 0))


def _active(ranking: RankingResult, catalogue: Catalogue) -> tuple[str, ...]:
    """The ranking's indicators with a positive weight in a domain of positive weight."""
    s = ranking.settings
    return tuple(i for i in ranking.values.columns
                 if s.indicator_weight(i) > 0 and s.domain_weight(catalogue[i].domain) > 0)


def _weighted(model: _Model, settings: AnalysisSettings) -> _Model:
    """``model`` (without weights, see :func:`_model`) with the settings' weights."""
    return replace(model,
                   indicator_weights=np.array([settings.indicator_weight(i)
                                               for i in model.indicator_ids]),
                   domain_weights=np.array([settings.domain_weight(d) for d in model.domains]))


def _prepare(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
             source: str) -> _Model:
    """The model of ``rank_areas(table, catalogue, settings, source)``, with the settings'
    weights."""
    ranking = rank_areas(table, catalogue, settings, source)
    return _weighted(_model(ranking, catalogue, _active(ranking, catalogue),
                            ranking.score.notna().to_numpy()), settings)


def _model(ranking: RankingResult, catalogue: Catalogue, active: tuple[str, ...],
           ranked: np.ndarray, *, data_noise: bool = True,
           bands: tuple[tuple[str, str, int, int], ...] = ()) -> _Model:
    """The arrays of the ranked areas for the ``active`` indicators (positive weight in
    a domain of positive weight), weights left empty (see :func:`_weighted`); read-only,
    since a :class:`MonteCarloStage` may be shared between threads and calls. The noisy
    cells are the counts of every rate value (if ``data_noise``) and the censored cells
    ``bands`` (see :func:`_bands`)."""
    validated, result, s = ranking.validated, ranking, ranking.settings
    domains = list(dict.fromkeys(catalogue[i].domain for i in active))
    # The rows: every area with a value of an active indicator (rank_areas normalises over
    # all of them), the ranked ones first: not ranked leads the pattern key, and a pattern
    # of both kinds is two patterns. From here on ``ranked`` marks the rows.
    scored = result.values[list(active)].notna().to_numpy().any(axis=1)
    unranked = ~ranked[scored]
    ranked = scored
    values = result.values[list(active)].to_numpy(dtype=float)[ranked]
    present = ~np.isnan(values)
    patterns, inverse = _unique_rows(np.column_stack([unranked, present]))
    patterns = np.ascontiguousarray(patterns[:, 1:])
    order = np.argsort(inverse, kind="stable")
    values, present, pattern_of = values[order], present[order], inverse[order]
    positions = np.flatnonzero(ranked)[order]
    bounds = np.searchsorted(pattern_of, np.arange(len(patterns) + 1))
    counts = present.sum(axis=0)
    area_ids = result.score.index[positions]
    band_of = {(area, column): (low, high) for area, column, low, high in bands}

    # Data noise: the counts behind every rate value of a ranked area (see the module
    # docstring); censored counts: their bands.
    betas: list[tuple[np.ndarray, ...]] = []
    gammas: list[tuple[np.ndarray, ...]] = []
    censored: list[tuple[np.ndarray, ...]] = []
    rate_columns = []
    for k, ind_id in enumerate(active):
        ind = catalogue[ind_id]
        if not ind.is_rate:
            continue
        rate_columns.append(k)
        c = validated[ind.numerator].to_numpy(dtype=float)[ranked][order]
        den = validated[ind.denominator].to_numpy(dtype=float)[ranked][order]
        with np.errstate(invalid="ignore"):
            usable = present[:, k] & (c >= 0) & (den > 0) & np.isfinite(den)
        band = np.zeros(len(c), dtype=bool)
        if band_of:
            band[:] = [(area, ind.numerator) in band_of for area in area_ids]
        if band.any():
            rows = np.flatnonzero(usable & band)
            low, high = np.array([band_of[area_ids[r], ind.numerator] for r in rows],
                                 dtype=np.int64).reshape(-1, 2).T
            censored.append((rows, np.full(len(rows), k), low, high, den[rows],
                             np.full(len(rows), float(ind.per))))
        if not data_noise:
            continue
        rows = np.flatnonzero(usable & ~band)
        c, den = c[rows], den[rows]
        per = np.full(len(rows), float(ind.per))
        col = np.full(len(rows), k)
        share = (c <= den) if ind.per == 100 else np.zeros(len(rows), dtype=bool)
        betas.append((rows[share], col[share], c[share] + 0.5, den[share] - c[share] + 0.5,
                      np.ones(int(share.sum())), per[share]))
        gammas.append((rows[~share], col[~share], c[~share] + 0.5, den[~share], per[~share]))

    def cat(parts: list[tuple[np.ndarray, ...]], i: int) -> np.ndarray:
        return np.concatenate([p[i] for p in parts]) if parts else np.empty(0)

    parts = (betas, gammas, censored)
    rows = np.concatenate([cat(part, 0) for part in parts]).astype(np.int64)
    cols = np.concatenate([cat(part, 1) for part in parts]).astype(np.int64)
    noisy = np.unique(cols)
    cells = np.searchsorted(noisy, cols) * len(values) + rows
    model = _Model(
        area_index=result.score.index, positions=positions,
        n_ranked=int(np.count_nonzero(~unranked)),
        values=np.ascontiguousarray(values.T), present=np.ascontiguousarray(present.T),
        directions=np.array([catalogue[i].direction for i in active], dtype=float),
        domain_of=np.array([domains.index(catalogue[i].domain) for i in active]),
        indicator_weights=np.empty(0), domain_weights=np.empty(0),
        normalisation=NORMALISATION_CHOICES.index(s.normalisation),
        aggregation=AGGREGATION_CHOICES.index(s.aggregation),
        patterns=patterns, bounds=bounds, pattern_of=pattern_of, counts=counts,
        indicator_names=tuple(catalogue[i].name for i in active), indicator_ids=active,
        rate_columns=tuple(rate_columns), noisy=noisy, cells=cells,
        alpha=cat(betas, 2), beta=cat(betas, 3), shape=cat(gammas, 2),
        low=cat(censored, 2).astype(np.int64), high=cat(censored, 3).astype(np.int64),
        divisor=np.concatenate([cat(betas, 4), cat(gammas, 3), cat(censored, 4)]),
        per=np.concatenate([cat(part, -1) for part in parts]), domains=tuple(domains),
        outliers=None if ranking.base.outliers is None else ranking.base.outliers.limits(active))
    for value in vars(model).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return model


def _bands(censored: pd.DataFrame | None, ranking: RankingResult,
           catalogue: Catalogue) -> tuple[tuple[str, str, int, int], ...]:
    """``censored`` validated, as sorted rows ``(area_id, column, low, high)`` (hashable:
    part of :func:`monte_carlo_key`); ``()`` for None or no rows. Raises ValueError,
    naming every problem at once, unless each row is an area of the ranking, a numerator
    column of a rate indicator of the catalogue that the table has, and whole numbers
    ``0 <= low <= high``, and each (area, column) appears once."""
    if censored is None:
        return ()
    wanted = [AREA_ID, "column", "low", "high"]
    missing = [c for c in wanted if c not in censored.columns]
    if missing:
        raise ValueError(f"censored lacks the columns {missing}: it needs {wanted}, one row "
                         "per censored count")
    numerators = {ind.numerator for ind in (catalogue[i] for i in catalogue) if ind.is_rate}
    problems = []
    areas = censored[AREA_ID]
    unknown = sorted(set(areas[~areas.isin(ranking.score.index)].astype(str)))
    if unknown:
        problems.append(f"area_id not in the ranked table: {unknown[:5]}")
    columns = censored["column"]
    bad = sorted(set(columns[~columns.isin(numerators & set(ranking.validated.columns))]
                     .astype(str)))
    if bad:
        problems.append(f"column is not a numerator column of a rate indicator in the "
                        f"table: {bad[:5]} (a censored count is the numerator of a rate)")
    low = pd.to_numeric(censored["low"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(censored["high"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        wrong = ~((low == np.round(low)) & (high == np.round(high)) & (low >= 0)
                  & (low <= high))
    if wrong.any():
        rows = censored.loc[wrong, wanted].head(5).to_dict("records")
        problems.append(f"low and high must be whole numbers with 0 <= low <= high: {rows}")
    duplicated = censored.duplicated([AREA_ID, "column"])
    if duplicated.any():
        problems.append("each (area_id, column) once: "
                        f"{censored.loc[duplicated, [AREA_ID, 'column']].head(5).values.tolist()}")
    if problems:
        raise ValueError("censored: " + "; ".join(problems))
    rows = zip(areas.tolist(), columns.astype(str).tolist(), low.astype(np.int64).tolist(),
               high.astype(np.int64).tolist(), strict=True)
    return tuple(sorted(rows, key=lambda row: (str(row[0]), row[1])))


def _unique_rows(present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(present, axis=0, return_inverse=True)`` for a 2-D bool array (rows in
    the same lexicographic order), via one integer code per row when it fits."""
    n, m = present.shape
    if n == 0 or m == 0 or m > 62:
        patterns, inverse = np.unique(present, axis=0, return_inverse=True)
        return patterns, inverse.reshape(-1)
    place = np.left_shift(1, np.arange(m - 1, -1, -1, dtype=np.int64))   # column 0 highest
    codes, inverse = np.unique(present.astype(np.int64) @ place, return_inverse=True)
    return (codes[:, None] & place) != 0, inverse.reshape(-1)


# -- normalisation of many data sets at once ------------------------------------------------

def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..count along the last axis, ties averaged (like pandas' ``rank()``).

    Missing values (NaN) sort last and get ranks above the count: the caller blanks them.
    """
    n = x.shape[-1]
    flat = np.ascontiguousarray(x.reshape(-1, n), dtype=float)
    rows = len(flat)
    order = _sort_order(flat)                # ties need no stable order: they are averaged
    order += (np.arange(rows) * n)[:, None]
    s = flat.ravel()[order.ravel()]
    with np.errstate(invalid="ignore"):
        wrong = np.flatnonzero((s.reshape(rows, n)[:, 1:] < s.reshape(rows, n)[:, :-1])
                               .any(axis=1))
    if len(wrong):                           # values closer than the key resolves: argsort
        order[wrong] = np.argsort(flat[wrong], axis=-1) + (wrong * n)[:, None]
        s = flat.ravel()[order.ravel()]
    new = np.empty(s.shape, dtype=bool)      # a new tie group starts (also at each row)
    np.not_equal(s[1:], s[:-1], out=new[1:])
    new[::n] = True
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(s)))
    average = (starts % n) + (sizes - 1) / 2.0 + 1.0
    ranks = np.empty(x.shape)
    ranks.ravel()[order.ravel()] = average[np.cumsum(new) - 1]
    return ranks


_SIGN = np.uint64(1 << 63)


def _sort_order(flat: np.ndarray) -> np.ndarray:
    """An order that sorts each row of ``flat`` (rows, n), NaN last, except that values
    within a relative 2**(bits - 52) of each other may come in the wrong order (the
    caller checks, and argsorts such rows).

    One sort of 64-bit keys is several times faster than ``argsort``: the float bits made
    order-preserving as unsigned integers, their lowest bits replaced by the column.
    """
    rows, n = flat.shape
    bits = max(1, (n - 1).bit_length())
    if bits > 24:
        return np.argsort(flat, axis=-1)
    u = flat.view(np.uint64)
    key = (flat.view(np.int64) >> 63).view(np.uint64)    # all ones where negative
    key |= _SIGN
    key ^= u                                 # negative: all bits flipped; else sign set
    key[np.isnan(flat)] = np.uint64(2**64 - 1)
    key &= np.uint64(2**64 - (1 << bits))
    key |= np.arange(n, dtype=np.uint64)
    key.sort(axis=-1)
    return (key & np.uint64((1 << bits) - 1)).view(np.int64)


def _normalise(values: np.ndarray, model: _Model, rows: np.ndarray | slice,
               method: int) -> np.ndarray:
    """Normalise ``values`` (R, c, n), the model's indicators ``rows``, indicator by
    indicator over the areas (last axis) exactly as :func:`indicators.normalise.normalise`
    does, after the ranking's outlier treatment with the limits found on the observed
    values (:class:`~indicators.outliers.Limits`); returns a new array."""
    if model.outliers is not None and model.outliers.active:
        values = model.outliers.apply(values, rows, axis=-2)
    x = values * model.directions[rows, None]
    present = model.present[rows]
    cnt = model.counts[rows, None].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.fmin.reduce(x, axis=-1, keepdims=True)      # ignoring NaN (missing)
        hi = np.fmax.reduce(x, axis=-1, keepdims=True)
        constant = ~np.isfinite(hi - lo) | (hi == lo)
        name = NORMALISATION_CHOICES[method]
        if name == "zscore":
            x -= np.where(present, x, 0.0).sum(axis=-1, keepdims=True) / cnt
            dev = np.where(present, x, 0.0)
            sd = np.sqrt(np.einsum("rcn,rcn->rc", dev, dev)[..., None] / cnt)
            x /= sd
            x[np.broadcast_to(constant | ~np.isfinite(sd) | (sd == 0), x.shape)] = 0.0
        elif name == "minmax":
            x -= lo
            x *= 100 / (hi - lo)
            x[np.broadcast_to(constant, x.shape)] = 50.0
        else:
            x = _average_ranks(x)
            x -= 1
            x *= 100 / (cnt - 1)
            x[np.broadcast_to(constant | (cnt < 2), x.shape)] = 50.0
    x[:, ~present] = np.nan
    return x


def _effective_weights(model: _Model, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(B, P, m): each draw's weight of each indicator for an area of each pattern.

    ``w`` (B, m) indicator weights, ``v`` (B, J) domain weights. Equal to rank_areas'
    two stages: domain share ``v_j / V`` times share within the domain ``w_k / W_j``,
    both renormalised over what the pattern has.
    """
    wp = w[:, None, :] * model.patterns[None, :, :]                   # (B, P, m)
    onehot = (model.domain_of[:, None] == np.arange(len(model.domain_weights))).astype(float)
    wd = np.einsum("bpm,mj->bpj", wp, onehot)                         # (B, P, J)
    has = wd > 0
    vd = np.where(has, v[:, None, :], 0.0)
    total = vd.sum(axis=-1, keepdims=True)                            # (B, P, 1)
    share = np.divide(vd, wd * total, out=np.zeros_like(vd), where=has)
    return wp * share[..., model.domain_of]


def _transform(z: np.ndarray, model: _Model, rows: np.ndarray | slice) -> np.ndarray:
    """Normalised values (R, c, n) of the model's indicators ``rows`` -> what the
    weighted sums use, in place: the values, 0 where missing (the same for every
    normalisation and both aggregations, so one transformed array serves them all)."""
    z[:, ~model.present[rows]] = 0.0
    return z


def _scores(model: _Model, tt: np.ndarray, e: np.ndarray, aggregation: str,
            out: np.ndarray) -> None:
    """Scores of ``S`` stacks of draws: stack ``s`` has ``g`` draws with effective weights
    ``e[s]`` (g, P, m) on the transformed data ``tt[s]`` (m, n, see ``_transform``) ->
    ``out[s]`` (g, n), by ``aggregation`` (an AGGREGATION_CHOICES name). ``e`` is (S, g,
    P, m), ``tt`` (S, m, n) and ``out`` (S, g, n).

    A stack is what one product per pattern used to be computed on: the draws of one
    noisy data set and method. Stacked, ``np.matmul`` runs the same BLAS call per stack
    (the same shapes and strides within each: numpy picks gemv or gemm per item from
    these alone), so every score has the same bits as when the stacks were multiplied one
    by one, at the cost of one numpy call instead of one per stack; with every draw its
    own noisy data set that was one Python-level product per draw."""
    if aggregation == "mpi":
        _mpi_scores(model, tt, e, out)
        return
    if len(model.patterns) <= _PATTERN_LOOP_MAX:
        # Products of at most _BLAS_CELLS multiply-adds keep OpenBLAS on one thread,
        # which for these thin products is many times faster than waking its threads
        # (and the batches already run on threads of their own).
        step = max(1, _BLAS_CELLS // (e.shape[1] * max(1, model.m)))
        for p in range(len(model.patterns)):
            ep = np.ascontiguousarray(e[:, :, p, :])
            for r0 in range(model.bounds[p], model.bounds[p + 1], step):
                r1 = min(r0 + step, model.bounds[p + 1])
                np.matmul(ep, tt[:, :, r0:r1], out=out[:, :, r0:r1])
    else:   # many patterns: gather each row's weights, in chunks of bounded size
        step = max(1, _VALUE_CELLS // max(1, model.n * model.m))
        for s in range(len(tt)):
            for a in range(0, e.shape[1], step):
                out[s, a:a + step] = np.einsum("gnk,kn->gn",
                                               e[s, a:a + step][:, model.pattern_of, :], tt[s])


def _mpi_scores(model: _Model, tt: np.ndarray, e: np.ndarray, out: np.ndarray) -> None:
    """MPI+ scores (see :func:`_scores`, stacked alike): per draw, the domain scores of
    every row (the effective weights summed per domain are the domain shares, and divided
    by them the weights within the domain), standardised over the ranked rows that have
    the domain, then combined with the domain shares, as ``rank_areas`` does. Rows that
    are not ranked are scored on the ranked rows' standardisation (and not ranked)."""
    n, m, n_domains = model.n, model.m, len(model.domain_weights)
    stacks = len(tt)
    onehot = (model.domain_of[:, None] == np.arange(n_domains)).astype(float)   # (m, J)
    shares = e @ onehot                                                   # (S, g, P, J)
    per_indicator = shares[..., model.domain_of]
    within = np.divide(e, per_indicator, out=np.zeros_like(e), where=per_indicator > 0)
    has = (model.patterns.astype(float) @ onehot > 0)[model.pattern_of].T  # (J, n)
    use = has & (np.arange(n) < model.ranked_rows)
    step = max(1, (_VALUE_CELLS // 4) // max(1, n * max(n_domains, m)))
    for a in range(0, e.shape[1], step):
        w = within[:, a:a + step]
        g = w.shape[1]
        domain_scores = np.empty((stacks, g, n_domains, n))               # (S, g, J, n)
        if len(model.patterns) <= _PATTERN_LOOP_MAX:     # as in _scores: small products
            rows = max(1, _BLAS_CELLS // (g * n_domains * max(1, m)))
            for p in range(len(model.patterns)):
                blocks = (w[:, :, p, None, :] * onehot.T).reshape(stacks, g * n_domains, m)
                for r0 in range(model.bounds[p], model.bounds[p + 1], rows):
                    r1 = min(r0 + rows, model.bounds[p + 1])
                    domain_scores[..., r0:r1] = (blocks @ tt[:, :, r0:r1]).reshape(
                        stacks, g, n_domains, r1 - r0)
        else:
            for s in range(stacks):
                gathered = w[s][:, model.pattern_of, :] * tt[s].T[None]     # (g, n, m)
                domain_scores[s] = (gathered @ onehot).transpose(0, 2, 1)
        weights = shares[:, a:a + step].transpose(0, 1, 3, 2)[..., model.pattern_of]
        out[:, a:a + step] = mpi_combine(mpi_standardise(domain_scores, use, axis=-1),
                                         weights, axis=-2)


# -- ranks --------------------------------------------------------------------------------

class _Ranker:
    """Competition ranks of up to ``rows`` rows of ``n`` scores, reusing scratch arrays.

    Rank 1 = highest score; scores equal to 9 decimals share the best rank, as
    ``rank_areas`` does with ``round(9).rank(method="min", ascending=False)``. The
    rounded scores are exact integers; when ``abs(score) <= bound`` they fit, with the
    area index in the low bits, into one 64-bit key, and one sort per row gives both
    the order and the ties. Not thread-safe: one per thread.
    """

    def __init__(self, rows: int, n: int, bound: float | None = None,
                 width: int | None = None):
        self.n = n
        self.dtype = np.int16 if n < 2**15 else np.int32
        self.bits = max(1, (n - 1).bit_length())
        self.bound = bound
        self.key = np.empty((rows, n), dtype=np.int64)
        self.new = np.empty((rows, max(0, n - 1)), dtype=bool)
        self.pos = np.empty((rows, n), dtype=self.dtype)
        self.ranks = np.empty((rows, n), dtype=self.dtype)
        self.first = np.arange(1, n + 1, dtype=self.dtype)     # broadcast over the rows
        # The low key bits: the area index, less the rounder's bits shifted up, so that
        # (rounded bits << bits) + area_key = (rounded score << bits) | area (mod 2**64).
        self.area_key = np.arange(n, dtype=np.uint64) + np.uint64(
            -(int(_ROUNDER_BITS) << self.bits) % 2**64)
        self.offsets = (np.arange(rows, dtype=np.int64) * n)[:, None]
        self.row = np.arange(rows, dtype=np.int64)[:, None]
        # The caller's scratch for the scores (``width`` columns, default n: the caller
        # ranks the first n).
        self.scores = np.empty((rows, n if width is None else width))

    def fits(self, largest: float) -> bool:
        """Whether keys can be packed (and rounded by adding _ROUNDER, see __call__)."""
        return largest * 10.0 ** TIE_DECIMALS + 1 < 2.0 ** min(62 - self.bits, 51)

    def __call__(self, scores: np.ndarray, overwrite: bool = False,
                 transposed: bool = False) -> np.ndarray:
        """Ranks of ``scores`` (b, n), b <= rows, in a scratch array (valid until the next
        call). ``overwrite`` lets the scores be used as scratch space; ``transposed``
        returns them as (n, b), written there directly (cheaper than transposing)."""
        b, n = scores.shape
        ranks = self.ranks.ravel()[:b * n].reshape((n, b) if transposed else (b, n))
        if b == 0 or n == 0:
            return ranks
        q = np.multiply(scores, -(10.0 ** TIE_DECIMALS), out=scores if overwrite else None)
        largest = self.bound if self.bound is not None else float(np.abs(scores).max())
        if self.fits(largest):
            # The order goes where the rounded scores were: they are in the keys by then.
            key, order = self.key[:b], q.view(np.int64)
            # Round to whole numbers (of 1e-9) the fast way: adding 1.5 * 2**52 leaves no
            # fraction bits for |q| < 2**51 and rounds half to even like np.rint; the bits
            # of the sum minus those of 1.5 * 2**52 are then the integer (subtracted, shifted
            # up, together with adding the area index, see area_key).
            q += _ROUNDER
            keys = key.view(np.uint64)              # unsigned: shifts and sums wrap
            np.left_shift(q.view(np.uint64), self.bits, out=keys)
            np.add(keys, self.area_key, out=keys)
            key.sort(axis=1)
            np.bitwise_and(key, (1 << self.bits) - 1, out=order)
            np.right_shift(key, self.bits, out=key)
            sorted_q = key
        else:                                       # too large to pack: argsort
            np.rint(q, out=q)
            order = np.argsort(q, axis=1, kind="stable")
            sorted_q = np.take_along_axis(q, order, axis=1)
        new = self.new[:b]
        np.not_equal(sorted_q[:, 1:], sorted_q[:, :-1], out=new)
        if transposed:                              # area a, row r -> a * b + r
            np.multiply(order, b, out=order)
            np.add(order, self.row[:b], out=order)
        else:                                       # row r, area a -> r * n + a
            np.add(order, self.offsets[:b], out=order)
        ranks.ravel()[order] = self.first
        tied = np.flatnonzero(~new.all(axis=1))
        if len(tied):                               # rows with ties: each its group's first
            pos = self.pos[:len(tied)]
            pos[:, 0] = 1
            np.multiply(new[tied], self.first[1:], out=pos[:, 1:],
                        casting="unsafe")
            np.maximum.accumulate(pos, axis=1, out=pos)
            ranks.ravel()[order[tied].ravel()] = pos.ravel()
        return ranks


def competition_ranks(scores: np.ndarray, bound: float | None = None) -> np.ndarray:
    """Ranks per row of ``scores`` (draws, areas): 1 = highest score, scores equal to 9
    decimals share the best rank (as ``rank_areas``: ``round(9).rank(method="min")``).

    ``bound``, if given, is a known bound on ``abs(scores)`` (saves a pass over them).
    The ranks are int16 with fewer than 2**15 areas, else int32.
    """
    b, n = scores.shape
    return _Ranker(b, n, bound)(np.asarray(scores, dtype=float)).copy()


def _count_thresholds(draws: int) -> list[int]:
    """For each of QUANTILES, the number of draws at or below the quantile rank: the
    q-quantile is the smallest rank r with count(rank <= r) >= ceil(q * draws / 100)."""
    return [max(1, -(-q * draws // 100)) for q in QUANTILES]


# -- the plan of draws --------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Plan:
    replicate: np.ndarray         # (D,) noise replicate of each draw (nondecreasing)
    norm: np.ndarray              # (D,)
    agg: np.ndarray               # (D,)
    w: np.ndarray                 # (D, m) indicator weights
    v: np.ndarray                 # (D, J) domain weights
    base: dict[tuple[int, int], np.ndarray]  # (norm, agg) -> observed data (m, n)
    noise: np.ndarray | None      # (R, cells) noisy values of the noisy cells, or None


def _dirichlet(rng: np.random.Generator, weights: np.ndarray, concentration: float,
               draws: int) -> np.ndarray:
    g = rng.standard_gamma(concentration * weights / weights.sum(), size=(draws, len(weights)))
    np.maximum(g, np.finfo(float).tiny, out=g)   # a zero weight would drop a value
    return g / g.sum(axis=1, keepdims=True)


Mapper = Callable[[Callable[[int], object], Iterable[int]], Iterable[object]]
"""A ``map``-like callable: ``mapper(func, items)`` calls ``func`` on every item, in any
order and on any thread, and gives the results back in the items' order (the built-in
``map``, or ``ThreadPoolExecutor.map``). Every call is consumed at once."""


def _draw_noise(model: _Model, replicates: int, seed: np.random.SeedSequence,
                mapper: Mapper) -> np.ndarray:
    """(R, cells) noisy rates; each chunk of replicates from its own child seed, which
    draws the beta cells, then the gamma cells, then the censored cells."""
    ncell = len(model.cells)
    chunk = max(1, _NOISE_CHUNK_CELLS // ncell)
    starts = list(range(0, replicates, chunk))
    seeds = seed.spawn(len(starts))
    out = np.empty((replicates, ncell))
    nb, ng = len(model.alpha), len(model.shape)

    def fill(i: int) -> None:
        r0 = starts[i]
        r1 = min(replicates, r0 + chunk)
        rng = np.random.default_rng(seeds[i])
        if nb:
            out[r0:r1, :nb] = rng.beta(model.alpha, model.beta, size=(r1 - r0, nb))
        if ng:
            out[r0:r1, nb:nb + ng] = rng.standard_gamma(model.shape, size=(r1 - r0, ng))
        if ncell > nb + ng:
            out[r0:r1, nb + ng:] = rng.integers(model.low, model.high, size=(
                r1 - r0, ncell - nb - ng), endpoint=True)
        out[r0:r1] /= model.divisor
        out[r0:r1] *= model.per

    list(mapper(fill, range(len(starts))))
    return out


def _replicates(model: _Model, options: UncertaintyOptions) -> int:
    """Number of noisy data sets: 0 without noisy cells (no data noise, no censored
    cells; see :func:`_model`)."""
    if len(model.cells) == 0:
        return 0
    if options.noise_replicates is not None:
        return min(options.noise_replicates, options.draws)
    cells = model.n * len(model.noisy)            # values normalised per replicate
    if options.draws * cells <= NOISE_CELL_BUDGET:
        return options.draws
    return min(options.draws, max(SHARED_NOISE_MIN_REPLICATES, NOISE_CELL_BUDGET // cells))


@dataclass(frozen=True, eq=False)
class _Draws:
    """The part of a plan that does not depend on the weight values (see :func:`_plan`)."""

    order: np.ndarray             # (D,) the draws grouped (see _draws)
    replicate: np.ndarray         # (D,) in that order
    norm: np.ndarray
    agg: np.ndarray
    base: dict[tuple[int, int], np.ndarray]
    noise: np.ndarray | None

    @property
    def nbytes(self) -> int:
        arrays = [self.order, self.replicate, self.norm, self.agg, *self.base.values()]
        return sum(a.nbytes for a in arrays) + (0 if self.noise is None else self.noise.nbytes)


def _seeds(options: UncertaintyOptions) -> list[np.random.SeedSequence]:
    """The streams of normalisation, aggregation, weights and noise, in that order."""
    return np.random.SeedSequence(options.seed).spawn(4)


def _draws(model: _Model, options: UncertaintyOptions, mapper: Mapper) -> _Draws:
    """Method choices, noise replicates and transformed observed data of the draws."""
    d = options.draws
    norm_ss, agg_ss, _, noise_ss = _seeds(options)
    norm = (np.random.default_rng(norm_ss).integers(0, len(NORMALISATION_CHOICES), d)
            if options.vary_normalisation else np.full(d, model.normalisation))
    agg = (np.random.default_rng(agg_ss).integers(0, len(AGGREGATION_CHOICES), d)
           if options.vary_aggregation else np.full(d, model.aggregation))
    replicates = _replicates(model, options)
    noise = _draw_noise(model, replicates, noise_ss, mapper) if replicates else None
    replicate = np.arange(d) * max(1, replicates) // d
    # Draws are independent and the statistics ignore their order: group them by
    # replicate, normalisation and aggregation so that a group is one slice.
    order = np.argsort(replicate * 8 + norm * 2 + agg, kind="stable")
    base = {}
    for code in np.unique(norm * 2 + agg).tolist():
        k, a = divmod(code, 2)
        z = _normalise(model.values[None], model, slice(None), k)
        base[k, a] = _transform(z, model, slice(None))[0]
    return _Draws(order=order, replicate=replicate[order], norm=norm[order], agg=agg[order],
                  base=base, noise=noise)


@dataclass(frozen=True, eq=False)
class MonteCarloStage:
    """What the Monte Carlo of a ranking needs before the weight values: the model's arrays
    (without weights) and the draws' method choices, noise replicates and transformed
    observed data, all read-only. ``key`` is :func:`monte_carlo_key` of the ranking and
    options it was made for; :func:`rank_uncertainty` refuses a stage of another key."""

    key: tuple
    model: _Model
    draws: _Draws

    @property
    def nbytes(self) -> int:
        """About the memory it holds (the draws; the model is small beside them)."""
        model = sum(v.nbytes for v in vars(self.model).values() if isinstance(v, np.ndarray))
        return self.draws.nbytes + model


def monte_carlo_key(ranking: RankingResult, catalogue: Catalogue,
                    options: UncertaintyOptions, *,
                    censored: pd.DataFrame | None = None) -> tuple:
    """What a :class:`MonteCarloStage` depends on: the ranking's base itself (compared by
    identity: its table, catalogue, source and settings but the weights), the indicators
    and domains with a positive weight, which areas are ranked, the options, the
    module's budgets, which decide the noise replicates, and the censored cells (their
    content, validated; see :func:`rank_uncertainty`)."""
    return _key(ranking, catalogue, options, _bands(censored, ranking, catalogue))


def _key(ranking: RankingResult, catalogue: Catalogue, options: UncertaintyOptions,
         bands: tuple[tuple[str, str, int, int], ...]) -> tuple:
    active = _active(ranking, catalogue)
    used = {catalogue[i].numerator for i in active}     # other bands change nothing
    return (ranking.source, ranking.base,
            tuple(ranking.score.index), active,
            ranking.score.notna().to_numpy().tobytes(), options, NOISE_CELL_BUDGET,
            SHARED_NOISE_MIN_REPLICATES, _NOISE_CHUNK_CELLS,
            tuple(row for row in bands if row[1] in used))


def _ranked_model(ranking: RankingResult, catalogue: Catalogue, options: UncertaintyOptions,
                  bands: tuple[tuple[str, str, int, int], ...]) -> _Model:
    """:func:`_model` of the ranking's ranked areas and active indicators."""
    return _model(ranking, catalogue, _active(ranking, catalogue),
                  ranking.score.notna().to_numpy(), data_noise=options.data_noise,
                  bands=bands)


def monte_carlo_stage(ranking: RankingResult, catalogue: Catalogue,
                      options: UncertaintyOptions, *, censored: pd.DataFrame | None = None,
                      mapper: Mapper = map) -> MonteCarloStage:
    """The weight-independent stage of :func:`rank_uncertainty` for ``ranking`` and
    ``censored`` (see the module docstring); ``mapper`` draws the noise replicates (the
    result does not depend on it)."""
    bands = _bands(censored, ranking, catalogue)
    model = _ranked_model(ranking, catalogue, options, bands)
    draws = _draws(model, options, mapper)
    for array in (draws.order, draws.replicate, draws.norm, draws.agg,
                  *draws.base.values(), *([] if draws.noise is None else [draws.noise])):
        array.flags.writeable = False
    return MonteCarloStage(_key(ranking, catalogue, options, bands), model, draws)


def _plan(model: _Model, options: UncertaintyOptions, fixed: _Draws) -> _Plan:
    """The draws: the weight-independent part (``fixed``, see :func:`_draws`) and the
    Dirichlet weights of the model's weights. Each part has its own random stream, so
    the plan is the same however it is put together."""
    d = options.draws
    _, _, weight_ss, _ = _seeds(options)
    w = np.tile(model.indicator_weights, (d, 1))
    v = np.tile(model.domain_weights, (d, 1))
    if options.varies_weights:
        rng = np.random.default_rng(weight_ss)
        for j in range(len(model.domain_weights)):
            cols = np.flatnonzero(model.domain_of == j)
            if len(cols) > 1:
                w[:, cols] = _dirichlet(rng, model.indicator_weights[cols],
                                        options.concentration, d)
        if len(model.domain_weights) > 1:
            v = _dirichlet(rng, model.domain_weights, options.concentration, d)
    return _Plan(replicate=fixed.replicate, norm=fixed.norm, agg=fixed.agg,
                 w=w[fixed.order], v=v[fixed.order], base=fixed.base, noise=fixed.noise)


def _batches(model: _Model, plan: _Plan) -> list[tuple[int, int]]:
    """Draw ranges of bounded memory, at least about ``PARALLEL_BATCHES`` when there are
    enough draws, made of whole replicates where they fit (a replicate split over batches
    is normalised in each). The ranks do not depend on the batches; the scores' last bits
    may (a product of a segment cut by a batch's end is another BLAS call), so the
    batches are kept as they were and small ones are only run together (:func:`_tasks`)."""
    n, m, p = max(1, model.n), max(1, model.m), len(model.patterns)
    size = max(1, min(_SCORE_CELLS // n, _VALUE_CELLS // (p * m),
                      -(-len(plan.norm) // PARALLEL_BATCHES)))
    max_reps = max(1, _VALUE_CELLS // (n * max(1, len(model.noisy))))
    starts = np.searchsorted(plan.replicate, np.arange(plan.replicate[-1] + 2))
    out: list[tuple[int, int]] = []
    r, last = 0, len(starts) - 1
    while r < last:
        if starts[r + 1] - starts[r] > size:
            out += [(a, min(a + size, int(starts[r + 1])))
                    for a in range(int(starts[r]), int(starts[r + 1]), size)]
            r += 1
            continue
        end = r + 1
        while end < last and starts[end + 1] - starts[r] <= size and end + 1 - r <= max_reps:
            end += 1
        out.append((int(starts[r]), int(starts[end])))
        r = end
    return out


def _tasks(model: _Model, batches: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Consecutive batches run together as one task while the task holds at most
    ``_MIN_BATCH_CELLS`` draws x areas x indicators: a batch has a fixed cost (its noisy
    data sets normalised per method, a ranker, a thread's turn), which for few areas
    outweighs what the threads gain (Huddinge: 16 batches of 63 draws took several
    times as long as one task). Large batches stay tasks of their own."""
    cells = max(1, model.n) * max(1, model.m)
    tasks: list[list[tuple[int, int]]] = []
    for d0, d1 in batches:
        if tasks and (d1 - tasks[-1][0][0]) * cells <= _MIN_BATCH_CELLS:
            tasks[-1].append((d0, d1))
        else:
            tasks.append([(d0, d1)])
    return tasks


def _batch_scores(model: _Model, plan: _Plan, d0: int, d1: int,
                  out: np.ndarray | None = None, cuts: Iterable[int] = ()) -> np.ndarray:
    """Scores (d1 - d0, n) of a batch of draws (into ``out`` if given). ``cuts``: draws
    (between d0 and d1) where a segment ends as if the batch ended there, so that a task
    of several batches (:func:`_tasks`) makes the same products, and the same bits, as
    its batches one by one."""
    r0, r1 = int(plan.replicate[d0]), int(plan.replicate[d1 - 1]) + 1
    rep = plan.replicate[d0:d1] - r0
    norm, agg = plan.norm[d0:d1], plan.agg[d0:d1]
    combos = rep * 8 + norm * 2 + agg
    transformed: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    if plan.noise is not None:   # the replicates' noisy columns, normalised once each
        noisy = np.repeat(model.values[None, model.noisy], r1 - r0, axis=0)
        noisy.reshape(r1 - r0, -1)[:, model.cells] = plan.noise[r0:r1]
        for method in np.unique(norm):
            reps = np.unique(rep[norm == method])
            # Transformed in place, once: both aggregations read the same values (see
            # _transform), so no copy per aggregation.
            z = _transform(_normalise(noisy[reps], model, model.noisy, int(method)), model,
                           model.noisy)
            for how in np.unique(agg[norm == method]):
                transformed[int(method), int(how)] = (reps, z)
    e = _effective_weights(model, plan.w[d0:d1], plan.v[d0:d1])
    out = np.empty((d1 - d0, model.n)) if out is None else out
    # Segments: runs of draws of one noisy data set, normalisation and aggregation. Those
    # of the same method and length are scored as stacks (see _scores): a few numpy calls
    # per batch however many segments it has (one per draw with every draw its own data
    # set), in chunks of bounded memory.
    edges = np.union1d(np.flatnonzero(np.diff(combos)) + 1,
                       np.asarray([c - d0 for c in cuts if d0 < c < d1], dtype=np.int64))
    firsts, ends = np.r_[0, edges], np.r_[edges, len(combos)]
    lengths = ends - firsts
    kinds = (norm[firsts] * 2 + agg[firsts]) * (len(combos) + 1) + lengths
    all_noisy = len(model.noisy) == model.m
    for kind in np.unique(kinds):
        group = firsts[kinds == kind]
        code, length = divmod(int(kind), len(combos) + 1)
        method, how = divmod(code, 2)
        chunk = max(1, _STACK_CELLS // (model.n * max(1, model.m) * (1 + length)))
        for c0 in range(0, len(group), chunk):
            starts = group[c0:c0 + chunk]
            tt = plan.base[method, how][None]
            if plan.noise is not None:
                used, tn = transformed[method, how]
                tn = tn[np.searchsorted(used, rep[starts])]
                if all_noisy:
                    tt = tn
                else:
                    tt = np.repeat(tt, len(starts), axis=0)
                    tt[:, model.noisy] = tn
            else:       # one shared data set (a batch has one segment per method then)
                tt = np.broadcast_to(tt, (len(starts), *tt.shape[1:]))
            name = AGGREGATION_CHOICES[how]
            if len(starts) == 1:
                a = int(starts[0])
                _scores(model, tt, e[None, a:a + length], name, out[None, a:a + length])
                continue
            rows = (starts[:, None] + np.arange(length)).ravel()
            scores = np.empty((len(starts), length, model.n))
            _scores(model, tt, e[rows].reshape(len(starts), length, *e.shape[1:]), name,
                    scores)
            out[rows] = scores.reshape(-1, model.n)
    return out


# -- public -------------------------------------------------------------------------------

def composite_scores(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
                     *, source: str = "indikatortabell") -> pd.Series:
    """The composite score of every area computed by the Monte Carlo core with the chosen
    weights, normalisation and aggregation and no noise: ``rank_areas``' score up to
    floating-point rounding (areas without a value: NaN)."""
    model = _prepare(table, catalogue, settings, source)
    out = np.empty((1, model.n))
    z = _normalise(model.values[None], model, slice(None), model.normalisation)
    tt = _transform(z, model, slice(None))[0]
    e = _effective_weights(model, model.indicator_weights[None], model.domain_weights[None])
    _scores(model, tt[None], e[None], AGGREGATION_CHOICES[model.aggregation], out[None])
    score = np.full(len(model.area_index), np.nan)
    ranked = model.ranked_rows
    score[model.positions[:ranked]] = out[0, :ranked]
    return pd.Series(score, index=model.area_index, name="score")


def rank_uncertainty(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
                     options: UncertaintyOptions | None = None, *,
                     source: str = "indikatortabell",
                     ranking: RankingResult | None = None,
                     stage: MonteCarloStage | None = None,
                     censored: pd.DataFrame | None = None,
                     mapper: Mapper = map) -> RankUncertainty:
    """Monte Carlo rank intervals of the ranking ``rank_areas(table, catalogue, settings)``.

    ``options`` None takes them from the settings (``settings.uncertainty``), which
    for settings without an ``[uncertainty]`` table are the defaults. Raises the
    errors of ``rank_areas`` for bad input, and SettingsError when ``top_k`` exceeds the
    number of ranked areas. ``ranking``: that ranking when the caller has it already
    (``assess``), so that the table is not validated and ranked again; it must have been
    made from these very ``table``, ``catalogue``, ``settings`` and ``source``. ``stage``:
    :func:`monte_carlo_stage` of that ranking and these options, when the caller keeps
    one (a weight change); a stage made for other data or options is refused.
    ``censored``: counts only known to lie in a band, each varied over its band in the
    draws (see the module docstring): a frame with columns ``area_id``, ``column`` (a
    numerator column of the table), ``low`` and ``high`` (whole numbers, the band's
    bounds), whose table value is the band's midpoint; None (default) holds every count
    at its table value but for data noise. A ``stage`` must be of the same ``censored``.
    ``mapper``
    (default the built-in ``map``) runs the batches of draws, e.g. on a thread pool. The
    result is the same with or without ``ranking`` and ``stage``, and with any mapper.
    """
    options = settings.uncertainty if options is None else options
    if ranking is not None and (ranking.table is not table or ranking.catalogue is not catalogue
                                or ranking.settings != settings or ranking.source != source):
        raise ValueError("ranking must be rank_areas(table, catalogue, settings, source) "
                         "of the same table, catalogue, settings and source")
    if ranking is None:
        ranking = rank_areas(table, catalogue, settings, source)
    bands = _bands(censored, ranking, catalogue)
    if stage is not None and stage.key != _key(ranking, catalogue, options, bands):
        raise ValueError("stage must be monte_carlo_stage of the same ranking (table, "
                         "catalogue, source, settings but the weight values), options "
                         "and censored")
    model = _weighted(stage.model if stage is not None
                      else _ranked_model(ranking, catalogue, options, bands), settings)
    n, draws = model.ranked_rows, options.draws     # the ranked rows come first
    positions = model.positions[:n]
    top_k = options.top_k or max(1, round(n / 5))
    if top_k > n:
        problems = Problems(SettingsError)
        problems.add(f"k är större än antalet områden med rang ({n}).", column="top_k",
                     values=[top_k], fix=f"välj ett k mellan 1 och {n}")
        problems.raise_if_any()

    keep_counts = n <= RANK_COUNTS_MAX_AREAS
    thresholds = _count_thresholds(draws)
    stats = np.empty((n, len(QUANTILES) + 1), dtype=np.int64)   # quantile ranks, in top k
    hist = np.empty((n, n), dtype=np.int64) if keep_counts else None
    plan = _plan(model, options, stage.draws if stage is not None
                 else _draws(model, options, mapper))
    tasks = _tasks(model, _batches(model, plan))
    store = np.empty((n, draws), dtype=np.int16 if n < 2**15 else np.int32)
    rows = max(task[-1][1] - task[0][0] for task in tasks)
    # Scratch rankers, one per batch running at a time: a batch takes one from the list
    # (or makes one) and gives it back (list.pop and append are atomic in CPython, and
    # lock the list in a free-threaded build), so a thread pool never shares one.
    spare: list[_Ranker] = []

    def rank_batch(i: int) -> None:
        d0, d1 = tasks[i][0][0], tasks[i][-1][1]
        try:
            ranker = spare.pop()
        except IndexError:
            ranker = _Ranker(rows, n, model.score_bound, width=model.n)
        scores = _batch_scores(model, plan, d0, d1, ranker.scores[:d1 - d0],
                               cuts=[a for a, _ in tasks[i][1:]])
        store[:, d0:d1] = ranker(scores[:, :n], overwrite=True, transposed=True)
        spare.append(ranker)

    list(mapper(rank_batch, range(len(tasks))))
    parts = min(PARALLEL_BATCHES, max(1, -(-n * draws // _MIN_BATCH_CELLS)))
    chunk = max(1, -(-n // parts))                   # areas per task of the summary
    step = max(1, _SCORE_CELLS // max(1, draws))     # areas summarised at once (memory)
    # P(top k)'s standard error: binomial over independent draws, or over the noise
    # replicates as clusters when draws share them (see the module docstring).
    replicates = 0 if plan.noise is None else len(plan.noise)
    shared = 0 < replicates < draws
    starts = np.searchsorted(plan.replicate, np.arange(replicates)) if shared else None
    sizes = np.diff(np.append(starts, draws)) if shared else None
    spread = np.zeros(n)     # sum over replicates of (in top k - size * p)^2
    moments = np.zeros((n, 3))   # sums over draws of |rank - chosen rank|, rank, rank^2
    chosen = ranking.rank.to_numpy(dtype=float)[positions]
    every_rank = np.arange(n + 1, dtype=float)
    # rank_areas' ranks are whole numbers ("min" ranks): then every statistic is a sum of
    # whole numbers below 2**53, the same in any order, and is summed over the draws.
    whole = bool(np.array_equal(chosen, np.rint(chosen)))
    kth = [t - 1 for t in thresholds]

    def summarise(i: int) -> None:
        if hist is None and whole:
            summarise_draws(i * chunk, min(n, (i + 1) * chunk))
        else:
            summarise_counts(i * chunk, min(n, (i + 1) * chunk))

    def summarise_draws(a0: int, a1: int) -> None:
        """Per area from its draws, in O(draws): the q-quantile rank is the
        ceil(q * draws / 100)-th smallest (np.partition), the rest are sums. Exactly the
        statistics of summarise_counts, without its O(n) per area (its counts of every
        rank), which made the summary grow as n**2."""
        for b0 in range(a0, a1, step):
            b1 = min(a1, b0 + step)
            ranks = store[b0:b1]
            stats[b0:b1, :-1] = np.partition(ranks, kth, axis=1)[:, kth]
            top = ranks <= top_k
            stats[b0:b1, -1] = np.count_nonzero(top, axis=1)
            if shared:
                in_top = np.add.reduceat(top.astype(np.int64), starts, axis=1)
                spread[b0:b1] = np.sum((in_top - sizes * (stats[b0:b1, -1:] / draws)) ** 2,
                                       axis=1)
            wide = ranks.astype(np.int64)
            moments[b0:b1, 1] = wide.sum(axis=1)
            moments[b0:b1, 0] = np.abs(wide - chosen[b0:b1, None].astype(np.int64)).sum(axis=1)
            np.multiply(wide, wide, out=wide)
            moments[b0:b1, 2] = wide.sum(axis=1)

    def summarise_counts(a0: int, a1: int) -> None:
        """Per area from the counts of each rank (kept as rank_counts for few areas)."""
        for a in range(a0, a1):
            counts = np.bincount(store[a], minlength=n + 1)
            cumulative = np.cumsum(counts)
            stats[a, :-1] = np.searchsorted(cumulative, thresholds)
            stats[a, -1] = cumulative[top_k]
            if shared:
                in_top = np.add.reduceat((store[a] <= top_k).astype(np.int64), starts)
                spread[a] = np.sum((in_top - sizes * (stats[a, -1] / draws)) ** 2)
            if hist is not None:
                hist[a] = counts[1:]
            moments[a] = (counts @ np.abs(every_rank - chosen[a]), counts @ every_rank,
                          counts @ every_rank ** 2)

    list(mapper(summarise, range(-(-n // chunk))))

    def per_area(values: np.ndarray) -> pd.Series:
        full = np.full(len(model.area_index), np.nan)
        full[positions] = values
        return pd.Series(full, index=model.area_index)

    rank_counts = None
    if hist is not None:
        rank_counts = pd.DataFrame(0, index=model.area_index,
                                   columns=pd.RangeIndex(1, n + 1, name="rank"))
        rank_counts.iloc[positions] = hist
        rank_counts = rank_counts.iloc[np.sort(positions)]
    noisy = [model.indicator_names[k] for k in model.rate_columns]
    rank_draws = None
    if n * draws <= RANK_DRAWS_MAX_CELLS:
        rank_draws = pd.DataFrame(store.T, columns=model.area_index[positions], copy=False)
        rank_draws.index.name = "draw"
    p = stats[:, 3] / draws
    if not shared:
        se = np.sqrt(p * (1 - p) / draws)
    elif replicates > 1:
        se = np.sqrt(replicates / (replicates - 1) * spread) / draws
    else:
        se = np.full(n, np.nan)
    return RankUncertainty(
        median_rank=per_area(stats[:, 1]).rename("median_rank"),
        rank_low=per_area(stats[:, 0]).rename("rank_low"),
        rank_high=per_area(stats[:, 2]).rename("rank_high"),
        p_top_k=per_area(p).rename("p_top_k"),
        p_top_k_se=per_area(se).rename("p_top_k_se"), top_k=top_k,
        draws=draws, options=options, rank_counts=rank_counts, n_areas=n,
        noise_replicates=0 if plan.noise is None else len(plan.noise),
        noisy_indicators=tuple(noisy),
        fixed_indicators=tuple(name for name in model.indicator_names if name not in noisy),
        weights_vary=len(model.domain_weights) > 1 or model.m > 1,
        censored_cells=len(model.low),
        mean_shift=per_area(moments[:, 0] / draws).rename("mean_shift"),
        rank_variance=per_area(moments[:, 2] / draws - (moments[:, 1] / draws) ** 2)
        .rename("rank_variance"), rank_draws=rank_draws)
