"""From an indicator table to ranked areas: weights, aggregation, ranks, contributions, flags.

The method, step by step (see also ``method_summary``):

1. Indicator values are derived from the table (rates from counts).
2. Each indicator is normalised so that higher means more need (``normalise``).
3. Who is ranked (the minimum-coverage rule for truly missing values): an area's
   *coverage* is the share of the nominal weight (the effective weight an area with
   every value gives each indicator) that its values carry. An area whose coverage is
   below ``small_numbers.min_coverage`` has "otillräckliga data" and is not ranked (score
   and rank missing, named in ``method_summary``); its values still count in the
   normalisation of the other areas.
4. Within a domain, indicators are averaged with their weights, renormalised over
   the indicators the area has a value for (always arithmetic: the indicators of a
   domain measure one thing). Across domains:
   - ``arithmetic``: the domain scores averaged with the domain weights, renormalised
     over the domains the area has (compensating: low need in one domain offsets high
     need in another).
   - ``mpi``: the Mazziotta–Pareto index with the penalty for high = need (MPI+, the
     "negative" penalty of De Muro, Mazziotta & Pareto 2011, Social Indicators Research
     104:1–18, as in the R package Compind's ``ci_mpi(penalty="NEG")``). Each domain score is
     standardised over the ranked areas that have it to ``100 + 10 z`` (population sd; a
     domain without spread gives 100; a value below 0, i.e. more than 10 sd below the
     mean, counts as 0, since the index needs non-negative values); the composite is
     ``M + S cv = M + S**2 / M`` with ``M`` and ``S`` the weighted mean and standard
     deviation of the area's standardised domain values (domain weights renormalised
     over the domains the area has) and ``cv = S / M``. An uneven profile scores above
     an even one with the same mean, so a high need in one domain is not diluted by low
     need in another: domain z-scores (+2, -1) give 107.14 against 105 for (0.5, 0.5)
     (:func:`mpi_example`). The score lies between ``M`` and the area's largest
     standardised value. It rises with need in a domain whose standardised value is at
     least half the score (in practice every domain above about 5 sd below the mean);
     below that, a further fall in an already very low domain raises the penalty more
     than it lowers the mean.
5. Ranks: 1 = most need. Scores equal to 9 decimals are tied and share the best
   rank (competition ranking 1, 2, 2, 4). Areas without any value, or with too little
   of their weight present (step 3), have no rank.
6. Contributions: each indicator's effective weight times its distance from the
   mean of all areas. For the arithmetic mean with complete data they add up exactly
   to the area's score minus the mean score; for MPI+ they are those of the mean part
   ``M`` (which indicators push the area up), not of the penalty. The top contributors
   are the largest positive ones.
7. Flags (as in CDC's SVI): an indicator is flagged for an area when the area's
   percentile rank in the need direction is at or above the flag threshold.

Steps 1–2, the percentile ranks and the checks of the table do not depend on the weights:
:func:`ranking_base` computes them once (a :class:`RankingBase`), and a
:class:`RankingResult` made with that base recomputes only steps 3–7. Nothing here is
remembered between calls: the shell keeps bases (``geo/cache.py``), keyed by the content
of the inputs and :func:`settings_key`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from indicators.catalogue import Catalogue, Indicator
from indicators.columns import (
    AGGREGATIONS,
    AREA_ID,
    DOMAINS,
    FLAG_COUNT,
    MISSING_COUNT,
    NORMALISATIONS,
    RANK,
    SCORE,
    TOP_CONTRIBUTORS,
    domain_column,
)
from indicators.errors import IndicatorTableError, Problems
from indicators.normalise import normalise, percentile_rank
from indicators.outliers import OutlierTreatment, treat_outliers
from indicators.settings import AnalysisSettings, validate_settings
from indicators.swedish import format_percent
from indicators.table import (
    derive_values,
    missing_columns,
    validate_indicator_table,
)

TIE_DECIMALS = 9
# Settings that change nothing computed: left out of the content keys.
_NOT_COMPUTED = frozenset({"indicator_weights", "domain_weights", "name", "description",
                           "recommendation"})   # read after the ranking (issue 19)


# MPI+ (step 4): domain scores are standardised to this mean and standard deviation.
MPI_MEAN, MPI_SD = 100.0, 10.0
# A domain whose scores spread less than this (relative to 1 + |mean|) has no spread:
# a weighted mean of equal values may differ from them in the last bits.
_NO_SPREAD = 1e-9
# Coverage is compared with the minimum after rounding away the float error of its sum.
COVERAGE_DECIMALS = 9


def mpi_standardise(scores: np.ndarray, use: np.ndarray, axis: int = -2) -> np.ndarray:
    """Domain scores (areas along ``axis``, by default (..., areas, domains)) standardised
    per domain over the areas where ``use`` (broadcastable) is true: ``100 + 10 z`` with the
    population standard deviation, 100 for a domain without spread, clipped below at 0
    (step 4); 0 where not ``use``. ``scores`` must be finite where ``use``. Returns a new
    array."""
    use = np.asarray(use, dtype=bool)
    count = use.sum(axis=axis, keepdims=True)
    whole = bool(use.all())
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.array(scores, dtype=float) if whole else np.where(use, scores, 0.0)
        mean = x.sum(axis=axis, keepdims=True) / count
        x -= mean
        if not whole:
            x *= use
        sd = np.sqrt(np.square(x).sum(axis=axis, keepdims=True) / count)
        spread = np.isfinite(sd) & (sd > _NO_SPREAD * (1.0 + np.abs(mean)))
        x *= np.where(spread, MPI_SD / np.where(spread, sd, 1.0), 0.0)
        x += MPI_MEAN
        np.maximum(x, 0.0, out=x)
        if not whole:
            x *= use
    return x


def mpi_combine(values: np.ndarray, weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """MPI+ over the domains (``axis``, by default the last): ``M + S**2 / M`` with ``M`` and
    ``S`` the weighted mean and standard deviation of ``values`` (non-negative, finite) under
    ``weights`` (renormalised; 0 for a domain the area does not have). NaN where every
    weight is 0, 0 where ``M`` is 0 (every value 0, so ``S`` is 0 too)."""
    # Domains last, so that the sums are einsum's (no temporary arrays).
    values, weights = np.moveaxis(values, axis, -1), np.moveaxis(weights, axis, -1)
    total = weights.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.einsum("...j,...j->...", weights, values) / total
        dev = values - mean[..., None]
        variance = np.einsum("...j,...j,...j->...", weights, dev, dev) / total
        score = np.where(mean > 0, mean + variance / np.where(mean > 0, mean, 1.0), 0.0)
    return np.where(total > 0, score, np.nan)


@dataclass(frozen=True)
class MpiExample:
    """Two areas with the same mean need across two equally weighted domains, one even and
    one uneven, aggregated both ways by the code of step 4 (for the method page)."""

    uneven: tuple[float, float]         # domain z-scores of the uneven area
    even: tuple[float, float]           # domain z-scores of the even area
    arithmetic: tuple[float, float]     # arithmetic mean of the z-scores: uneven, even
    standardised: tuple[tuple[float, float], tuple[float, float]]   # 100 + 10 z
    mean: tuple[float, float]           # M of the standardised values: uneven, even
    spread: tuple[float, float]         # S of the standardised values: uneven, even
    mpi: tuple[float, float]            # MPI+ = M + S * S / M: uneven, even


def mpi_example(uneven: tuple[float, float] = (2.0, -1.0),
                even: tuple[float, float] = (0.5, 0.5)) -> MpiExample:
    """The worked example of the method page, computed with :func:`mpi_combine` and
    :func:`_weighted_mean`: domain z-scores ``uneven`` against ``even`` (standard deviations
    from the mean of all areas, so ``100 + 10 z`` is what :func:`mpi_standardise` gives)."""
    z = np.array([uneven, even], dtype=float)
    weights = np.ones(2)
    standardised = MPI_MEAN + MPI_SD * z
    arithmetic = _weighted_mean(z, weights)
    mpi = mpi_combine(standardised, np.ones_like(z))
    mean = _weighted_mean(standardised, weights)
    spread = np.sqrt(_weighted_mean((standardised - mean[:, None]) ** 2, weights))

    def pair(a: np.ndarray) -> tuple[float, float]:
        return float(a[0]), float(a[1])

    return MpiExample(uneven=pair(z[0]), even=pair(z[1]), arithmetic=pair(arithmetic),
                      standardised=(pair(standardised[0]), pair(standardised[1])),
                      mean=pair(mean), spread=pair(spread), mpi=pair(mpi))


@dataclass(frozen=True)
class Contribution:
    indicator: Indicator
    value: float
    contribution: float


@dataclass(frozen=True, eq=False)
class AreaProfile:
    """Everything the app and the export show for one area."""

    area_id: str
    rank: float
    score: float
    n_areas: int
    domain_scores: pd.Series        # domain id -> score of this area
    domain_means: pd.Series         # domain id -> mean over all areas
    top_contributors: tuple[Contribution, ...]
    flags: tuple[Contribution, ...]
    missing: tuple[Indicator, ...]


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean over columns with a value; weights renormalised per row."""
    present = ~np.isnan(values)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = w / total[:, None]
        x = np.where(present, values, 0.0)
        mean = (w * x).sum(axis=1)
    mean = np.where(total > 0, mean, np.nan)
    return mean


def settings_key(settings: AnalysisSettings) -> tuple:
    """The settings without their weight values: the chosen indicators (the keys of the
    indicator weights) and every other field but the name and the description. Two
    settings with the same key differ at most in their weight values, name and
    description, none of which :func:`ranking_base` reads."""
    return (settings.indicators, *((f.name, getattr(settings, f.name))
                                   for f in fields(settings) if f.name not in _NOT_COMPUTED))


@dataclass(frozen=True, eq=False)
class RankingBase:
    """The part of a ranking that does not depend on the weight values (steps 1–3 and the
    percentile ranks), for one table, catalogue, source and :func:`settings_key`.

    Shared between rankings (and threads) when the shell keeps it: nothing in it may be
    changed.
    The arrays are read-only; :class:`RankingResult` hands out shallow copies of the
    frames (copy-on-write: a change to one of them copies it first).
    """

    validated: pd.DataFrame      # validate_indicator_table's table (index area id)
    selected: tuple[str, ...]    # the chosen indicators in catalogue order
    values: pd.DataFrame         # step 1
    normalised: pd.DataFrame     # step 2
    percentiles: pd.DataFrame    # step 7's percentile ranks
    above: pd.DataFrame          # percentile rank >= flag threshold (before step 7's weights)
    x: np.ndarray                # (areas, selected) what is averaged (step 2)
    present: np.ndarray          # ~isnan(x)
    centred: np.ndarray          # x minus its column mean, NaN -> 0
    domain_columns: tuple[tuple[str, tuple[int, ...]], ...]   # domain -> columns of x
    settings: tuple = ()         # settings_key of the settings it was made with
    source: str = ""
    # Step 1's values as normalised: outliers treated (settings.outliers) or not.
    outliers: OutlierTreatment | None = None


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def ranking_base(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
                 source: str = "indikatortabell") -> RankingBase:
    """Validate ``table`` and compute what a ranking needs before the weights.

    Raises the table errors of :func:`rank_areas` (the settings are checked against the
    catalogue first, by the caller: :func:`~indicators.settings.validate_settings`). Only
    ``settings_key(settings)`` is read, never a weight value.
    """
    s, cat = settings, catalogue
    # A copy of its own: nothing remembered may share memory with the caller's table.
    validated = validate_indicator_table(table, cat, source).copy()
    selected = tuple(i for i in cat if i in s.indicators)
    problems = Problems(IndicatorTableError, source)
    for ind_id, cols in missing_columns(validated, cat, selected).items():
        problems.add(f"indikatorn '{ind_id}' ({cat[ind_id].name}) kan inte beräknas: "
                     "kolumner saknas.", column=", ".join(cols), values=cols,
                     fix="lägg till kolumnerna eller välj bort indikatorn")
    problems.raise_if_any()

    values = derive_values(validated, cat, selected)
    empty = [i for i in selected if values[i].notna().sum() == 0]
    if empty:
        problems.add("indikatorerna saknar värden för alla områden.", values=empty,
                     fix="välj bort dem eller komplettera tabellen")
    if s.missing == "error" and values.isna().any().any():
        for ind_id in selected:
            gap = list(values.index[values[ind_id].isna()])
            if gap:
                problems.add(f"värden saknas för '{ind_id}' och valet för saknade värden "
                             "är 'error'.", column=ind_id, values=gap,
                             fix="komplettera värdena eller välj 'reweight'")
    problems.raise_if_any()

    directions = {i: cat[i].direction for i in selected}
    # The one place where raw values become the values that are normalised (the Monte
    # Carlo applies the same limits to its draws: indicators.uncertainty._normalise).
    outliers = treat_outliers(values, s.outliers)
    norm = normalise(outliers.values, directions, s.normalisation)
    x = np.array(norm.to_numpy(dtype=float))       # its own, writable, then frozen
    centred = np.nan_to_num(x - np.nanmean(x, axis=0))
    pct = percentile_rank(values, directions)
    domain_columns = tuple((dom, cols) for dom in DOMAINS
                           if (cols := tuple(k for k, i in enumerate(selected)
                                             if cat[i].domain == dom)))
    return RankingBase(
        validated=validated, selected=selected, values=values, normalised=norm,
        percentiles=pct, above=(pct >= s.flag_threshold) & pct.notna(),
        x=_read_only(x), present=_read_only(~np.isnan(x)), centred=_read_only(centred),
        domain_columns=domain_columns, settings=settings_key(s),
        source=source, outliers=outliers)


@dataclass(frozen=True, eq=False)
class RankingResult:
    """A ranking, computed at construction from a table, a catalogue and settings.

    All frames are indexed by area id in the order of the input table. Columns
    of ``values``, ``normalised``, ``weights``, ``contributions`` and ``flags``
    are the selected indicators in catalogue order.

    ``base``: :func:`ranking_base` of the same table, catalogue, source and settings (but
    for the weight values), when the caller has it (a weight change in the app: the
    shell keeps it); None computes it. ``validated``, ``values``, ``normalised`` and
    ``percentiles`` are shallow copies of the base's frames.
    """

    table: pd.DataFrame
    catalogue: Catalogue
    settings: AnalysisSettings
    source: str = "indikatortabell"
    base: RankingBase | None = field(default=None, repr=False)
    # The table as validate_indicator_table returned it (indexed by area id, numeric
    # columns), kept so that the Monte Carlo of the same ranking need not validate again.
    validated: pd.DataFrame = field(init=False, repr=False)
    values: pd.DataFrame = field(init=False)
    normalised: pd.DataFrame = field(init=False)
    weights: pd.DataFrame = field(init=False)
    domain_scores: pd.DataFrame = field(init=False)
    score: pd.Series = field(init=False)
    rank: pd.Series = field(init=False)
    contributions: pd.DataFrame = field(init=False)
    percentiles: pd.DataFrame = field(init=False)
    flags: pd.DataFrame = field(init=False)
    # Step 3: the share of the nominal weight each area's values carry (0 without values).
    coverage: pd.Series = field(init=False)

    def __post_init__(self) -> None:
        s, cat = self.settings, self.catalogue
        validate_settings(s, cat)
        base = self.base
        if base is None:
            base = ranking_base(self.table, cat, s, self.source)
        elif base.settings != settings_key(s) or base.source != self.source:
            raise ValueError("base must be ranking_base of the same table, catalogue, source "
                             "and settings (but for the weights)")
        selected = list(base.selected)
        index = base.values.index

        ind_w = np.array([s.indicator_weight(i) for i in selected])
        x = base.x
        domain_scores = {}
        for dom, cols in base.domain_columns:
            cols = list(cols)
            if ind_w[cols].sum() > 0:
                domain_scores[dom] = _weighted_mean(x[:, cols], ind_w[cols])
        dom_frame = pd.DataFrame(domain_scores, index=index)
        dom_w = np.array([s.domain_weight(d) for d in dom_frame.columns])
        dom_values = dom_frame.to_numpy(dtype=float)
        score = _weighted_mean(dom_values, dom_w)

        # Step 3: coverage, and who is ranked.
        nominal = np.zeros(len(selected))
        domain_columns = dict(base.domain_columns)
        for j, dom in enumerate(dom_frame.columns):
            cols = list(domain_columns[dom])
            nominal[cols] = dom_w[j] / dom_w.sum() * ind_w[cols] / ind_w[cols].sum()
        coverage = base.present @ nominal
        insufficient = np.round(coverage, COVERAGE_DECIMALS) < s.small_numbers.min_coverage
        ranked = ~np.isnan(score) & ~insufficient
        if s.aggregation == "mpi":
            use = ~np.isnan(dom_values) & ranked[:, None]
            standardised = mpi_standardise(np.nan_to_num(dom_values), use)
            score = mpi_combine(standardised, np.where(use, dom_w, 0.0))
        if not ranked.all():
            score = np.where(ranked, score, np.nan)

        # Effective weight of each indicator for each area: domain share x share within domain.
        present = base.present
        eff = np.zeros_like(x)
        dom_present = ~np.isnan(dom_frame.to_numpy(dtype=float))
        dw_row = np.where(dom_present, dom_w, 0.0)
        dw_total = dw_row.sum(axis=1)
        for j, dom in enumerate(dom_frame.columns):
            cols = list(domain_columns[dom])
            w = np.where(present[:, cols], ind_w[cols], 0.0)
            within = w.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where((within > 0) & (dw_total > 0),
                                 dw_row[:, j] / dw_total / within, 0.0)
            eff[:, cols] = w * share[:, None]
        if not ranked.all():
            eff[~ranked] = 0.0          # not ranked: no indicator weighs (step 3)
        contrib = np.where(present, eff * base.centred, 0.0)

        score_s = pd.Series(score, index=index, name=SCORE)
        rank = score_s.round(TIE_DECIMALS).rank(method="min", ascending=False)
        counted = [i for k, i in enumerate(selected) if eff[:, k].any()]
        flags = base.above.copy()
        flags.loc[:, [c for c in flags.columns if c not in counted]] = False

        set_ = object.__setattr__
        set_(self, "base", base)
        set_(self, "validated", base.validated.copy(deep=False))
        set_(self, "values", base.values.copy(deep=False))
        set_(self, "normalised", base.normalised.copy(deep=False))
        set_(self, "weights", pd.DataFrame(eff, index=index, columns=selected))
        set_(self, "domain_scores", dom_frame)
        set_(self, "score", score_s)
        set_(self, "rank", rank.rename(RANK))
        set_(self, "contributions", pd.DataFrame(contrib, index=index, columns=selected))
        set_(self, "percentiles", base.percentiles.copy(deep=False))
        set_(self, "flags", flags.astype(bool))
        set_(self, "coverage", pd.Series(coverage, index=index, name="coverage"))

    # -- views ------------------------------------------------------------------------
    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(self.catalogue[i] for i in self.values.columns)

    @property
    def insufficient(self) -> pd.Series:
        """Coverage of the areas with values that are not ranked because too little of
        their weight is present (step 3), in table order: "otillräckliga data"."""
        c = self.coverage
        return c[(c > 0) & self.score.isna()]

    def coverage_note(self) -> str:
        """A Swedish sentence naming the areas with "otillräckliga data" and their
        coverage; empty when every area with values is ranked."""
        low = self.insufficient
        if low.empty:
            return ""
        minimum = self.settings.small_numbers.min_coverage
        shown = ", ".join(f"{a} ({format_percent(100 * c, 0)})" for a, c in low.items())
        return (f"Otillräckliga data: {len(low)} "
                + ("område" if len(low) == 1 else "områden")
                + f" har värden för mindre än {format_percent(100 * minimum, 0)} av "
                "indikatorernas vikt och rangordnas inte: " + shown + ".")

    def top_contributors(self, area_id: str, n: int | None = None) -> tuple[Contribution, ...]:
        """The indicators that push this area's score up most, largest first."""
        n = self.settings.top_n if n is None else n
        row = self.contributions.loc[area_id]
        ordered = row[row > 0].sort_values(ascending=False, kind="stable").head(n)
        return tuple(Contribution(self.catalogue[i], float(self.values.at[area_id, i]), float(c))
                     for i, c in ordered.items())

    def _top_contributor_names(self) -> list[str]:
        """Per area (in index order), the names of :meth:`top_contributors` joined by "; ".

        The same order as the per-area method: positive contributions only (NaN and <= 0
        left out), largest first, ties in column order (a stable sort of the negated
        values, as pandas' stable descending sort), at most ``settings.top_n``.
        """
        c = self.contributions.to_numpy(dtype=float)
        n = min(self.settings.top_n, c.shape[1])
        if c.size == 0 or n <= 0:
            return [""] * len(c)
        positive = c > 0
        order = np.argsort(np.where(positive, -c, np.inf), axis=1, kind="stable")[:, :n]
        shown = np.take_along_axis(positive, order, axis=1)
        names = [self.catalogue[i].name for i in self.contributions.columns]
        return ["; ".join(names[j] for j, ok in zip(row, keep, strict=True) if ok)
                for row, keep in zip(order.tolist(), shown.tolist(), strict=True)]

    def flagged(self, area_id: str) -> tuple[Contribution, ...]:
        row = self.flags.loc[area_id]
        return tuple(Contribution(self.catalogue[i], float(self.values.at[area_id, i]),
                                  float(self.contributions.at[area_id, i]))
                     for i in row.index[row.to_numpy()])

    def profile(self, area_id: str) -> AreaProfile:
        if area_id not in self.score.index:
            raise KeyError(f"området {area_id!r} finns inte i resultatet")
        missing = tuple(self.catalogue[i] for i in self.values.columns
                        if pd.isna(self.values.at[area_id, i]))
        return AreaProfile(
            area_id=area_id, rank=float(self.rank[area_id]), score=float(self.score[area_id]),
            n_areas=int(self.score.notna().sum()),
            domain_scores=self.domain_scores.loc[area_id], domain_means=self.domain_scores.mean(),
            top_contributors=self.top_contributors(area_id), flags=self.flagged(area_id),
            missing=missing)

    def summary(self) -> pd.DataFrame:
        """One row per area, best rank first (ties by area id): the ranked table."""
        out = pd.DataFrame({RANK: self.rank, SCORE: self.score})
        for dom in self.domain_scores.columns:
            out[domain_column(dom)] = self.domain_scores[dom]
        out[FLAG_COUNT] = self.flags.sum(axis=1).astype(int)
        out[MISSING_COUNT] = self.values.isna().sum(axis=1).astype(int)
        out[TOP_CONTRIBUTORS] = self._top_contributor_names()
        out.index.name = AREA_ID
        out = out.reset_index()
        return out.sort_values([RANK, AREA_ID], na_position="last", kind="stable",
                               ignore_index=True)

    def method_summary(self) -> str:
        """The method in a few Swedish sentences, for maps and exports."""
        s = self.settings
        n_ind = int((self.weights.to_numpy() > 0).any(axis=0).sum())
        counted = [d for d in self.domain_scores.columns if s.domain_weight(d) > 0]
        doms = ", ".join(f"{DOMAINS[d]} ({s.domain_weight(d):g})" for d in counted)
        text = (f"{n_ind} indikatorer i {len(counted)} domäner. "
                f"Normalisering: {NORMALISATIONS[s.normalisation]}, med riktning så att högre "
                f"betyder större behov. Sammanvägning: {AGGREGATIONS[s.aggregation]}, först "
                f"inom domäner och sedan mellan domäner med vikterna {doms}. "
                "Rang 1 = störst behov; lika poäng delar bästa rang. "
                f"Flagga: områdets percentilrang ≥ {s.flag_threshold:.0%} för indikatorn.")
        if s.aggregation == "mpi":
            text += (" Mellan domäner: varje domänpoäng standardiseras till medelvärde "
                     f"{MPI_MEAN:g} och standardavvikelse {MPI_SD:g} över de rangordnade "
                     "områdena, och poängen är medelvärdet plus ett tillägg som växer med "
                     "skillnaden mellan områdets domäner (MPI+), så att ett högt behov i en "
                     "domän inte späds ut av ett lågt i en annan.")
        treated = self.base.outliers.treated if self.base.outliers is not None else ()
        if treated:
            text += (f" Extremvärden: {len(treated)} indikatorer med |snedhet| > 2 och "
                     "kurtosis > 3,5 winsoriserades eller logaritmerades före normaliseringen.")
        if self.values.isna().any().any():
            text += " Saknade värden: vikterna fördelas om bland områdets övriga indikatorer."
        note = self.coverage_note()
        if note:
            text += " " + note
        return text


def rank_areas(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
               source: str = "indikatortabell") -> RankingResult:
    """Rank the areas of an indicator table by composite need (computed afresh; to rank the
    same data with other weights, keep :func:`ranking_base` and pass it to
    :class:`RankingResult`)."""
    return RankingResult(table, catalogue, settings, source)
