"""What drives a ranking: correlated indicators, effective weights and weight sensitivity.

Three questions an analyst should ask before trusting a composite ranking:

1. :func:`correlations` — do two indicators measure nearly the same thing? Pearson and
   Spearman correlations between the normalised values of the indicators that count
   (pairwise complete: each pair uses the areas that have both values). A pair with
   |r| above the threshold is flagged with a Swedish note: with equal weights the
   common dimension is counted twice.

2. :func:`effective_weights` — does each indicator influence the score as much as its
   weight says? Following the JRC/COINr practice (Paruolo, Saisana & Saltelli 2013,
   "Ratings and rankings: voodoo or science?", JRSS A 176), the *effective* influence of
   an indicator is its squared Pearson correlation with the composite score,
   normalised so that the shares sum to 1 (a cheap proxy for the first-order
   "main effect" of the indicator on the score). It is compared with the *nominal*
   share, the weight a complete area gives the indicator in ``rank_areas``
   (domain weight share x the indicator's share of its domain), which also sums to 1.

   Reading the two: an indicator whose effective share is far below its nominal share
   hardly moves the score (it varies little after normalisation or runs against the
   other indicators); one far above it rides on indicators it is correlated with.

   A third column, ``variance_share``, splits the variance of the score exactly into
   additive parts: ``Cov(c_i, S) / sum_j Cov(c_j, S)`` with ``c_i`` the indicator's
   contribution (effective weight x distance from the mean, ``RankingResult.
   contributions``) and ``S`` the score. With the arithmetic mean and complete data this
   is ``w_i Cov(x_i, S) / Var(S)``, the share of the score's variance the indicator
   accounts for; it sums to 1 and can be negative for an indicator that pulls against
   the others. With MPI+ the contributions are those of its mean part, so the split is
   of the covariance of that part with the score, an approximation.

3. :func:`sensitivity` — which weight, or which method choice, moves the ranking most?
   The measure of ranking change is the **mean absolute rank shift**: the number of
   places an area moves, averaged over all areas ranked in both rankings,

       shift = mean_a |rank_a(changed) - rank_a(baseline)|.

   ``method="oat"`` (one at a time): every indicator weight is multiplied by
   ``1 - spread`` and by ``1 + spread`` with everything else fixed; the index is the mean
   of the two shifts. Normalisation and aggregation are switched one at a time to every
   other choice; the index is the shift. A factor that cannot change the ranking has
   index 0: an indicator with weight 0, but also the only indicator of its domain (its
   domain score is its own value whatever its weight: the domain weight decides).

   ``method="sobol"`` (variance-based, Saltelli sampling from SALib): all indicator
   weights vary at once, each uniformly in ``[(1 - spread) w, (1 + spread) w]``; the
   output is the shift. First-order indices S1 (the share of the shift's variance one
   weight explains alone) and total indices ST (including its interactions with other
   weights), each with a bootstrap 95 % confidence interval. The index is ST.
   ``draws`` is Saltelli's N (a power of 2); the cost is ``N (k + 2)`` rankings for k
   varied weights (no second-order indices). Normalisation and aggregation stay fixed.

   With ``include_domains=True`` both methods also vary every domain weight the same way.

Rankings for changed weights are computed by :class:`FastScorer`, which reproduces
``rank_areas`` on a matrix of many weight vectors at once from the normalised values
(normalisation does not depend on the weights), so a Sobol analysis of thousands of
rankings takes a fraction of a second for a kommun's areas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue
from indicators.columns import AGGREGATIONS, DOMAINS, NORMALISATIONS
from indicators.ranking import (
    COVERAGE_DECIMALS,
    TIE_DECIMALS,
    RankingResult,
    mpi_combine,
    mpi_standardise,
    rank_areas,
)
from indicators.settings import AnalysisSettings
from indicators.swedish import format_integer, format_number, format_percent

METHODS = ("oat", "sobol")
DEFAULT_SEED = 20261123

# Column names of the frames returned here (stable ids; the app labels them in Swedish).
NOMINAL, EFFECTIVE, R, R2, VARIANCE_SHARE = "nominal", "effective", "r", "r2", "variance_share"
FACTOR, KIND, LABEL, INDEX = "factor", "kind", "label", "index"
DOWN, UP = "down", "up"
S1, S1_CONF, ST, ST_CONF = "S1", "S1_conf", "ST", "ST_conf"
WEIGHT, DOMAIN_WEIGHT = "weight", "domain_weight"
NORMALISATION, AGGREGATION = "normalisation", "aggregation"

# Rows of weight vectors scored per block: bounds the memory of the (rows x areas x
# indicators) arrays to a few tens of MB whatever the number of areas.
_BLOCK_CELLS = 2_000_000


def _lower_first(text: str) -> str:
    """The first letter in lower case, unless the first word has another capital (a name
    such as "Mazziotta–Pareto", or an acronym)."""
    first = text.split(" ", 1)[0]
    if any(c.isupper() for c in first[1:]):
        return text
    return text[:1].lower() + text[1:]


def _counted(result: RankingResult) -> list[str]:
    """Indicators that weigh anything for some area, in catalogue order."""
    w = result.weights
    return [c for c in w.columns if (w[c].to_numpy() > 0).any()]


def nominal_shares(result: RankingResult) -> pd.Series:
    """Weight share of each selected indicator for an area with every value (sums to 1).

    The domain's share of the domain weights (over domains with a positive indicator
    weight) times the indicator's share of its domain's indicator weights: exactly the
    weights ``rank_areas`` uses for a complete area.
    """
    s, cat = result.settings, result.catalogue
    ids = list(result.values.columns)
    ind_w = pd.Series({i: s.indicator_weight(i) for i in ids}, dtype=float)
    dom_of = pd.Series({i: cat[i].domain for i in ids})
    within = ind_w.groupby(dom_of).transform("sum")
    doms = sorted({d for d in dom_of[ind_w > 0]}, key=list(DOMAINS).index)
    dom_total = sum(s.domain_weight(d) for d in doms)
    dom_share = dom_of.map(lambda d: s.domain_weight(d) / dom_total if dom_total > 0 else 0.0)
    share = (ind_w / within.where(within > 0)).fillna(0.0) * dom_share.where(
        dom_of.isin(doms), 0.0)
    return share.rename(NOMINAL)


# -- 1. correlations ----------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Correlations:
    """Correlations between the normalised values of the indicators that count.

    ``pearson`` and ``spearman`` are square frames over the indicators (pairwise complete;
    missing where a pair has fewer than three areas in common or an indicator is
    constant), ``pairs`` the number of areas each pair has in common. ``flagged`` has one
    row per pair with |Pearson r| > ``threshold``, strongest first: columns ``a``, ``b``,
    ``r``, ``rho``, ``n`` and ``note`` (Swedish).
    """

    pearson: pd.DataFrame
    spearman: pd.DataFrame
    pairs: pd.DataFrame
    flagged: pd.DataFrame
    threshold: float

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.flagged["note"])


def _pair_note(name_a: str, name_b: str, r: float, shares: tuple[float, float]) -> str:
    weights = (f"{format_percent(shares[0] * 100, 0)} + {format_percent(shares[1] * 100, 0)} "
               "av den nominella vikten")
    if r > 0:
        return (f"{name_a} och {name_b} mäter nästan samma sak (r = {format_number(r)}): "
                f"tillsammans väger de dubbelt ({weights}).")
    return (f"{name_a} och {name_b} går nästan exakt åt motsatt håll (r = {format_number(r)}): "
            f"de tar till stor del ut varandra ({weights}).")


def correlations(result: RankingResult, threshold: float = 0.9) -> Correlations:
    """Correlations between indicators after normalisation, and the pairs that nearly
    duplicate each other (|r| > ``threshold``)."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    ids = _counted(result)
    norm = result.normalised[ids]
    pearson = norm.corr(method="pearson", min_periods=3)
    spearman = norm.corr(method="spearman", min_periods=3)
    present = norm.notna().to_numpy(dtype=float)
    pairs = pd.DataFrame((present.T @ present).astype(int), index=ids, columns=ids)
    shares = nominal_shares(result)
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            r = pearson.at[a, b]
            if pd.notna(r) and abs(r) > threshold:
                note = _pair_note(result.catalogue[a].name, result.catalogue[b].name, float(r),
                                  (float(shares[a]), float(shares[b])))
                rows.append({"a": a, "b": b, "r": float(r), "rho": float(spearman.at[a, b]),
                             "n": int(pairs.at[a, b]), "note": note})
    flagged = pd.DataFrame(rows, columns=["a", "b", "r", "rho", "n", "note"])
    if len(flagged):
        order = flagged["r"].abs().sort_values(ascending=False, kind="stable").index
        flagged = flagged.loc[order].reset_index(drop=True)
    return Correlations(pearson, spearman, pairs, flagged, threshold)


# -- 2. effective weights ------------------------------------------------------------------

def effective_weights(result: RankingResult) -> pd.DataFrame:
    """Nominal weight share against actual influence on the score, per indicator that counts.

    Columns (indexed by indicator id, catalogue order):

    - ``name``, ``domain``: the indicator's Swedish name and domain id;
    - ``nominal``: the weight share of a complete area (sums to 1);
    - ``r``: Pearson correlation between the indicator's normalised value and the score
      (pairwise complete; missing for a constant indicator);
    - ``r2``: r squared, the share of the score's variance the indicator explains alone;
    - ``effective``: r2 normalised to sum 1 (a constant indicator counts 0): the
      indicator's actual influence on the composite after normalisation and correlation
      (Paruolo et al. 2013, as in COINr);
    - ``variance_share``: the additive split of the score's variance described in the
      module docstring (sums to 1, can be negative).
    """
    ids = _counted(result)
    norm = result.normalised[ids]
    score = result.score
    r = norm.corrwith(score, method="pearson")
    r2 = r.pow(2)
    total = r2.sum(skipna=True)
    effective = (r2.fillna(0.0) / total) if total > 0 else r2 * np.nan

    target = score
    contrib = result.contributions[ids]
    ok = target.notna()
    t = target[ok] - target[ok].mean()
    cov = (contrib[ok] - contrib[ok].mean()).mul(t, axis=0).sum() / max(int(ok.sum()) - 1, 1)
    cov_total = cov.sum()
    variance_share = cov / cov_total if cov_total != 0 else cov * np.nan

    return pd.DataFrame({
        "name": [result.catalogue[i].name for i in ids],
        "domain": [result.catalogue[i].domain for i in ids],
        NOMINAL: nominal_shares(result)[ids].to_numpy(),
        EFFECTIVE: effective.to_numpy(dtype=float),
        R: r.to_numpy(dtype=float),
        R2: r2.to_numpy(dtype=float),
        VARIANCE_SHARE: variance_share.to_numpy(dtype=float),
    }, index=pd.Index(ids, name="indicator"))


# -- the fast scorer -----------------------------------------------------------------------

def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks like ``rank_areas`` for every row of ``scores`` (areas in columns).

    1 = highest score; scores equal to 9 decimals share the best rank (1, 2, 2, 4);
    a missing score has no rank.
    """
    s = np.atleast_2d(np.round(np.asarray(scores, dtype=float), TIE_DECIMALS))
    m, n = s.shape
    order = np.argsort(-s, axis=1, kind="stable")          # missing last
    ordered = np.take_along_axis(s, order, axis=1)
    new = np.ones((m, n), dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(new, np.arange(n), 0), axis=1)
    ranks = np.empty((m, n))
    np.put_along_axis(ranks, order, first + 1.0, axis=1)
    ranks[np.isnan(s)] = np.nan
    return ranks


def mean_rank_shift(ranks: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Mean absolute rank shift of each row of ``ranks`` against ``baseline``.

    Averaged over the areas ranked in both; missing if there is none.
    """
    ranks = np.atleast_2d(ranks)
    diff = np.abs(ranks - np.asarray(baseline, dtype=float)[None, :])
    valid = ~np.isnan(diff)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, np.where(valid, diff, 0.0).sum(axis=1) / count, np.nan)


@dataclass(frozen=True, eq=False)
class FastScorer:
    """Scores of a ranking for many indicator and domain weight vectors at once.

    Built from a :class:`RankingResult` (:meth:`from_result`); the normalisation and
    aggregation stay those of the result, only the weights change. Reproduces
    ``rank_areas`` including the reweighting of missing values (an indicator without a
    value, or a domain without a weighted value, drops out of that area's mean), the
    minimum coverage (with each row's weights: an area with too little of its weight
    present has no score) and MPI+ (standardised over the areas each row ranks).
    """

    area_ids: pd.Index
    indicators: tuple[str, ...]
    domains: tuple[str, ...]               # domain ids in DOMAINS order
    membership: np.ndarray                 # indicators x domains, 0/1
    values: np.ndarray                     # areas x indicators: normalised, 0 if missing
    present: np.ndarray                    # areas x indicators, bool
    mpi: bool                              # aggregation MPI+ (else arithmetic)
    indicator_weights: np.ndarray          # the result's weights, one per indicator
    domain_weights: np.ndarray             # the result's weights, one per domain
    min_coverage: float = 0.0              # settings.small_numbers.min_coverage

    @classmethod
    def from_result(cls, result: RankingResult) -> FastScorer:
        s, cat = result.settings, result.catalogue
        ids = tuple(result.normalised.columns)
        x = result.normalised.to_numpy(dtype=float)
        present = ~np.isnan(x)
        domains = tuple(d for d in DOMAINS if any(cat[i].domain == d for i in ids))
        membership = np.array([[float(cat[i].domain == d) for d in domains] for i in ids])
        return cls(area_ids=result.normalised.index, indicators=ids, domains=domains,
                   membership=membership, values=np.where(present, x, 0.0),
                   present=present, mpi=s.aggregation == "mpi",
                   indicator_weights=np.array([s.indicator_weight(i) for i in ids]),
                   domain_weights=np.array([s.domain_weight(d) for d in domains]),
                   min_coverage=s.small_numbers.min_coverage)

    def _block(self, ind_w: np.ndarray, dom_w: np.ndarray) -> np.ndarray:
        wp = ind_w[:, None, :] * self.present[None, :, :]            # rows x areas x ind
        within = wp @ self.membership                                 # rows x areas x dom
        num = (wp * self.values[None, :, :]) @ self.membership
        has = within > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            dom_score = np.where(has, num / np.where(has, within, 1.0), 0.0)
        dw = np.where(has, dom_w[:, None, :], 0.0)
        total = dw.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = (dw * dom_score).sum(axis=2) / total
        score = np.where(total > 0, score, np.nan)
        # rank_areas' step 3: the share of each row's nominal weight an area's values carry.
        counted = ind_w @ self.membership                             # rows x dom
        dom_share = np.where(counted > 0, dom_w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            dom_share = dom_share / dom_share.sum(axis=1, keepdims=True)
            nominal = np.where(counted > 0, dom_share / np.where(counted > 0, counted, 1.0),
                               0.0) @ self.membership.T * ind_w       # rows x ind
        coverage = np.einsum("ai,ri->ra", self.present.astype(float), nominal)
        ranked = ~np.isnan(score) & ~(np.round(coverage, COVERAGE_DECIMALS)
                                      < self.min_coverage)
        if self.mpi:
            use = has & ranked[..., None]
            standardised = mpi_standardise(np.where(has, dom_score, 0.0), use)
            score = mpi_combine(standardised, np.where(use, dom_w[:, None, :], 0.0))
        return np.where(ranked, score, np.nan)

    def scores(self, indicator_weights: np.ndarray | None = None,
               domain_weights: np.ndarray | None = None) -> np.ndarray:
        """Scores for each row of weights: rows x areas (one row for 1-d weights).

        ``indicator_weights``: rows x indicators in the order of :attr:`indicators`;
        ``domain_weights``: rows x domains in the order of :attr:`domains`, or one vector
        for every row. Missing: the result's own weights.
        """
        iw = self.indicator_weights if indicator_weights is None else indicator_weights
        dw = self.domain_weights if domain_weights is None else domain_weights
        iw = np.atleast_2d(np.asarray(iw, dtype=float))
        dw = np.atleast_2d(np.asarray(dw, dtype=float))
        if iw.shape[1] != len(self.indicators) or dw.shape[1] != len(self.domains):
            raise ValueError("one weight per indicator and per domain, in the scorer's order")
        m = max(len(iw), len(dw))
        iw = np.broadcast_to(iw, (m, iw.shape[1]))
        dw = np.broadcast_to(dw, (m, dw.shape[1]))
        n, k = self.values.shape
        block = max(1, _BLOCK_CELLS // max(n * k, 1))
        return np.vstack([self._block(iw[i:i + block], dw[i:i + block])
                          for i in range(0, m, block)])

    def ranks(self, indicator_weights: np.ndarray | None = None,
              domain_weights: np.ndarray | None = None) -> np.ndarray:
        """Ranks (1 = most need) for each row of weights, as :meth:`scores`."""
        return competition_ranks(self.scores(indicator_weights, domain_weights))


# -- 3. sensitivity ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Which input factor moves the ranking most.

    ``factors`` has one row per factor, largest ``index`` first (ties in input order):
    ``factor`` (an indicator id, or ``domain_weight:<id>``, ``normalisation:<id>``,
    ``aggregation:<id>``), ``kind`` (``weight``, ``domain_weight``, ``normalisation``,
    ``aggregation``), ``label`` (Swedish) and ``index``. OAT adds ``down`` and ``up`` (the
    shift at (1 - spread) and (1 + spread) times the weight); Sobol adds ``S1``,
    ``S1_conf``, ``ST``, ``ST_conf`` (index = ST).
    ``mean_shift`` is the mean shift over all rankings computed (Sobol) or over the
    weight changes (OAT); ``n_rankings`` how many rankings were computed.
    """

    method: str
    factors: pd.DataFrame
    baseline_rank: pd.Series
    spread: float
    draws: int
    seed: int
    n_rankings: int
    mean_shift: float

    @property
    def top(self) -> str | None:
        """The factor with the largest index (None if no factor moves the ranking)."""
        if self.factors.empty or not (self.factors[INDEX] > 0).any():
            return None
        return str(self.factors[FACTOR].iloc[0])

    def index(self) -> pd.Series:
        """Index per factor id, largest first."""
        return self.factors.set_index(FACTOR)[INDEX]

    def method_text(self) -> str:
        """The method and what the index means, in a few Swedish sentences."""
        lo, hi = format_number(1 - self.spread), format_number(1 + self.spread)
        domains = bool((self.factors[KIND] == DOMAIN_WEIGHT).any())
        weights = "varje indikatorvikt och domänvikt" if domains else "varje indikatorvikt"
        all_weights = "alla indikator- och domänvikter" if domains else "alla indikatorvikter"
        measure = ("Måttet är den genomsnittliga absoluta rangförskjutningen: hur många "
                   "placeringar ett område i genomsnitt flyttas jämfört med grundrankningen. "
                   "0 betyder att rankningen inte ändras.")
        if self.method == "oat":
            return (f"Känslighetsanalys en faktor i taget: {weights} multipliceras "
                    f"med {lo} och med {hi} medan allt annat hålls fast, och normaliseringen "
                    "och sammanvägningen byts en i taget mot de andra valen. " + measure +
                    " Index för en vikt är medelvärdet av förskjutningen i de två riktningarna."
                    " Analysen visar vilken enskild vikt eller vilket metodval som flyttar "
                    "rankningen mest, men inte hur vikterna samspelar.")
        return ("Global känslighetsanalys med Sobols index (Saltelli-urval, "
                f"N = {self.draws}, {format_integer(self.n_rankings)} rankningar, slumpfrö "
                f"{self.seed}): {all_weights} varieras samtidigt, var och en likformigt "
                f"mellan {lo} och {hi} gånger sin vikt. Normalisering och sammanvägning hålls "
                "fast. " + measure + " Förstaordningens index (S1) är den andel av "
                "förskjutningens varians som vikten förklarar ensam; totalindex (ST), som "
                "visas som index, räknar också med samspelet med andra vikter. Index nära 0: "
                "vikten spelar liten roll för rankningen. Osäkerheten anges som 95 % "
                "konfidensintervall (bootstrap). "
                "I genomsnitt flyttas ett område "
                f"{format_number(self.mean_shift, 1)} placeringar över alla dragningar.")


@dataclass(frozen=True)
class _WeightFactor:
    """One weight that can be varied: an indicator weight or (optionally) a domain weight."""

    id: str
    kind: str                 # WEIGHT or DOMAIN_WEIGHT
    label: str
    column: int               # position in the scorer's indicator or domain weights
    base: float


def _weight_factors(result: RankingResult, scorer: FastScorer,
                    include_domains: bool) -> list[_WeightFactor]:
    out = [_WeightFactor(ind, WEIGHT, f"Vikt för {result.catalogue[ind].name}", j,
                         float(scorer.indicator_weights[j]))
           for j, ind in enumerate(scorer.indicators)]
    if include_domains:
        out += [_WeightFactor(f"{DOMAIN_WEIGHT}:{dom}", DOMAIN_WEIGHT,
                              f"Domänvikt för {DOMAINS[dom]}", j, float(scorer.domain_weights[j]))
                for j, dom in enumerate(scorer.domains)]
    return out


def _weight_matrices(scorer: FastScorer, factors: Sequence[_WeightFactor],
                     values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indicator and domain weight rows: the baseline with ``values[:, f]`` put into
    factor f's place."""
    m = len(values)
    iw = np.repeat(scorer.indicator_weights[None, :], m, axis=0)
    dw = np.repeat(scorer.domain_weights[None, :], m, axis=0)
    for f, factor in enumerate(factors):
        (iw if factor.kind == WEIGHT else dw)[:, factor.column] = values[:, f]
    return iw, dw


def _choice_rows(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
                 baseline: np.ndarray) -> list[dict[str, object]]:
    rows = []
    for kind, options, current in ((NORMALISATION, NORMALISATIONS, settings.normalisation),
                                   (AGGREGATION, AGGREGATIONS, settings.aggregation)):
        word = "Normalisering" if kind == NORMALISATION else "Sammanvägning"
        for alt, alt_label in options.items():
            if alt == current:
                continue
            changed = rank_areas(table, catalogue, settings.with_changes(**{kind: alt}))
            shift = float(mean_rank_shift(changed.rank.to_numpy(dtype=float), baseline)[0])
            rows.append({FACTOR: f"{kind}:{alt}", KIND: kind,
                         LABEL: f"{word}: {_lower_first(alt_label)} i stället för "
                                f"{_lower_first(options[current])}",
                         INDEX: shift})
    return rows


def _ordered(rows: list[dict[str, object]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    frame[INDEX] = frame[INDEX].astype(float)
    return frame.sort_values(INDEX, ascending=False, kind="stable", ignore_index=True)


def _oat(result: RankingResult, table: pd.DataFrame, catalogue: Catalogue,
         settings: AnalysisSettings, spread: float, include_domains: bool) -> Sensitivity:
    scorer = FastScorer.from_result(result)
    baseline = scorer.ranks()[0]
    factors = _weight_factors(result, scorer, include_domains)
    k = len(factors)
    base = np.array([f.base for f in factors])
    values = np.repeat(base[None, :], 2 * k, axis=0)
    for j in range(k):
        values[2 * j, j] *= 1 - spread
        values[2 * j + 1, j] *= 1 + spread
    shifts = mean_rank_shift(scorer.ranks(*_weight_matrices(scorer, factors, values)),
                             baseline).reshape(k, 2)
    rows: list[dict[str, object]] = [
        {FACTOR: f.id, KIND: f.kind, LABEL: f.label, INDEX: float(np.nanmean(shifts[j])),
         DOWN: float(shifts[j, 0]), UP: float(shifts[j, 1])}
        for j, f in enumerate(factors)]
    rows += _choice_rows(table, catalogue, settings, result.rank.to_numpy(dtype=float))
    n_choices = len(rows) - k
    return Sensitivity(method="oat", factors=_ordered(rows, (FACTOR, KIND, LABEL, INDEX, DOWN, UP)),
                       baseline_rank=result.rank, spread=spread, draws=0, seed=0,
                       n_rankings=2 * k + n_choices,
                       mean_shift=float(np.nanmean(shifts)) if k else 0.0)


def _sobol(result: RankingResult, spread: float, draws: int, seed: int,
           include_domains: bool) -> Sensitivity:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    scorer = FastScorer.from_result(result)
    baseline = scorer.ranks()[0]
    factors = _weight_factors(result, scorer, include_domains)
    varied = [f for f in factors if f.base > 0]
    problem = {"num_vars": len(varied), "names": [f.id for f in varied],
               "bounds": [[(1 - spread) * f.base, (1 + spread) * f.base] for f in varied]}
    sample = sobol_sample.sample(problem, draws, calc_second_order=False, seed=seed)
    y = mean_rank_shift(scorer.ranks(*_weight_matrices(scorer, varied, sample)), baseline)
    stats = {key: np.zeros(len(varied)) for key in (S1, S1_CONF, ST, ST_CONF)}
    if np.nanmax(y) - np.nanmin(y) > 0:  # a constant output has no variance to split
        analysed = sobol_analyze.analyze(problem, y, calc_second_order=False,
                                         conf_level=0.95, seed=seed)
        stats = {key: np.asarray(analysed[key], dtype=float) for key in stats}
    position = {f.id: p for p, f in enumerate(varied)}
    rows = []
    for f in factors:  # a weight of 0 is not varied: it cannot move the ranking
        p = position.get(f.id)
        values = {key: (float(stats[key][p]) if p is not None else 0.0) for key in stats}
        rows.append({FACTOR: f.id, KIND: f.kind, LABEL: f.label, INDEX: values[ST], **values})
    columns = (FACTOR, KIND, LABEL, INDEX, S1, S1_CONF, ST, ST_CONF)
    return Sensitivity(method="sobol", factors=_ordered(rows, columns),
                       baseline_rank=result.rank, spread=spread, draws=draws, seed=seed,
                       n_rankings=len(sample), mean_shift=float(np.nanmean(y)))


def sensitivity(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings, *,
                method: str = "oat", draws: int = 512, seed: int = DEFAULT_SEED,
                spread: float = 0.5, include_domains: bool = False) -> Sensitivity:
    """Which indicator weight (and, for OAT, which method choice) moves the ranking most.

    See the module docstring for the two methods and the measure (mean absolute rank
    shift against the baseline ranking of ``settings``). ``spread`` in (0, 1]: weights
    vary between (1 - spread) and (1 + spread) times their value. ``draws`` (Sobol only)
    is Saltelli's N, best a power of 2; ``seed`` makes the Sobol sample and its bootstrap
    reproducible. ``include_domains``: also vary the domain weights.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if not 0 < spread <= 1:
        raise ValueError(f"spread must be in (0, 1], got {spread!r}")
    if method == "sobol" and (isinstance(draws, bool) or not isinstance(draws, int)
                              or draws < 2):
        raise ValueError(f"draws must be an integer >= 2, got {draws!r}")
    result = rank_areas(table, catalogue, settings)
    if method == "oat":
        return _oat(result, table, catalogue, settings, spread, include_domains)
    return _sobol(result, spread, draws, seed, include_domains)

