"""From an indicator table to ranked areas: weights, aggregation, ranks, contributions, flags.

The method, step by step (see also ``method_summary``):

1. Indicator values are derived from the table (rates from counts).
2. Each indicator is normalised so that higher means more need (``normalise``).
3. For the geometric mean every normalised indicator is first shifted by a constant
   so that every value is at least 1 (the geometric mean needs positive values):
   percentile and min-max (0–100) by 1; z-scores by sqrt(n - 1) + 1, n the number of
   areas with a value, since no z-score (population sd) is below -sqrt(n - 1). The
   shift does not depend on the values, so more need never lowers a score (shifting
   by the column minimum would: an outlier that rises further can fall).
4. Within a domain, indicators are averaged with their weights, renormalised over
   the indicators the area has a value for. Across domains, domain scores are
   averaged with the domain weights, renormalised over the domains the area has.
   Arithmetic: weighted mean. Geometric: weighted geometric mean.
5. Ranks: 1 = most need. Scores equal to 9 decimals are tied and share the best
   rank (competition ranking 1, 2, 2, 4). Areas without any value have no rank.
6. Contributions: each indicator's effective weight times its distance from the
   mean of all areas (on the log scale for the geometric mean). For the arithmetic
   mean with complete data they add up exactly to the area's score minus the mean
   score. The top contributors are the largest positive ones.
7. Flags (as in CDC's SVI): an indicator is flagged for an area when the area's
   percentile rank in the need direction is at or above the flag threshold.

Steps 1–3, the percentile ranks and the checks of the table do not depend on the weights:
:func:`ranking_base` computes them once (a :class:`RankingBase`), and a
:class:`RankingResult` made with that base recomputes only steps 4–7. Nothing here is
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
from indicators.table import (
    derive_values,
    missing_columns,
    validate_indicator_table,
)

TIE_DECIMALS = 9
# Settings that change nothing computed: left out of the content keys.
_NOT_COMPUTED = frozenset({"indicator_weights", "domain_weights", "name", "description"})


def geometric_offset(normalised: pd.DataFrame, method: str) -> pd.Series:
    """The constant added to each normalised column before a geometric mean (see step 3)."""
    if method == "zscore":
        return np.sqrt(normalised.count().clip(lower=1) - 1) + 1.0
    return pd.Series(1.0, index=normalised.columns)


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


def _weighted_mean(values: np.ndarray, weights: np.ndarray, geometric: bool) -> np.ndarray:
    """Row-wise weighted mean over columns with a value; weights renormalised per row."""
    present = ~np.isnan(values)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = w / total[:, None]
        x = np.where(present, np.log(values) if geometric else values, 0.0)
        mean = (w * x).sum(axis=1)
    mean = np.where(total > 0, mean, np.nan)
    return np.exp(mean) if geometric else mean


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
    x: np.ndarray                # (areas, selected) what is averaged (step 3 shift applied)
    present: np.ndarray          # ~isnan(x)
    centred: np.ndarray          # x (log x for geometric) minus its column mean, NaN -> 0
    domain_columns: tuple[tuple[str, tuple[int, ...]], ...]   # domain -> columns of x
    geometric: bool
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
    geometric = s.aggregation == "geometric"
    agg_input = norm + geometric_offset(norm, s.normalisation) if geometric else norm
    x = np.array(agg_input.to_numpy(dtype=float))       # its own, writable, then frozen
    on_scale = np.log(x) if geometric else x
    centred = np.nan_to_num(on_scale - np.nanmean(on_scale, axis=0))
    pct = percentile_rank(values, directions)
    domain_columns = tuple((dom, cols) for dom in DOMAINS
                           if (cols := tuple(k for k, i in enumerate(selected)
                                             if cat[i].domain == dom)))
    return RankingBase(
        validated=validated, selected=selected, values=values, normalised=norm,
        percentiles=pct, above=(pct >= s.flag_threshold) & pct.notna(),
        x=_read_only(x), present=_read_only(~np.isnan(x)), centred=_read_only(centred),
        domain_columns=domain_columns, geometric=geometric, settings=settings_key(s),
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

    def __post_init__(self) -> None:
        s, cat = self.settings, self.catalogue
        validate_settings(s, cat)
        base = self.base
        if base is None:
            base = ranking_base(self.table, cat, s, self.source)
        elif base.settings != settings_key(s) or base.source != self.source:
            raise ValueError("base must be ranking_base of the same table, catalogue, source "
                             "and settings (but for the weights)")
        selected, geometric = list(base.selected), base.geometric
        index = base.values.index

        ind_w = np.array([s.indicator_weight(i) for i in selected])
        x = base.x
        domain_scores = {}
        for dom, cols in base.domain_columns:
            cols = list(cols)
            if ind_w[cols].sum() > 0:
                domain_scores[dom] = _weighted_mean(x[:, cols], ind_w[cols], geometric)
        dom_frame = pd.DataFrame(domain_scores, index=index)
        dom_w = np.array([s.domain_weight(d) for d in dom_frame.columns])
        score = _weighted_mean(dom_frame.to_numpy(dtype=float), dom_w, geometric)

        # Effective weight of each indicator for each area: domain share x share within domain.
        present = base.present
        eff = np.zeros_like(x)
        dom_present = ~np.isnan(dom_frame.to_numpy(dtype=float))
        dw_row = np.where(dom_present, dom_w, 0.0)
        dw_total = dw_row.sum(axis=1)
        domain_columns = dict(base.domain_columns)
        for j, dom in enumerate(dom_frame.columns):
            cols = list(domain_columns[dom])
            w = np.where(present[:, cols], ind_w[cols], 0.0)
            within = w.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where((within > 0) & (dw_total > 0),
                                 dw_row[:, j] / dw_total / within, 0.0)
            eff[:, cols] = w * share[:, None]
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

    # -- views ------------------------------------------------------------------------
    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(self.catalogue[i] for i in self.values.columns)

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
        if s.aggregation == "geometric":
            text += (" Före geometriskt medelvärde flyttas varje indikator med en konstant så att "
                     "alla värden är minst 1.")
        treated = self.base.outliers.treated if self.base.outliers is not None else ()
        if treated:
            text += (f" Extremvärden: {len(treated)} indikatorer med |snedhet| > 2 och "
                     "kurtosis > 3,5 winsoriserades eller logaritmerades före normaliseringen.")
        if self.values.isna().any().any():
            text += " Saknade värden: vikterna fördelas om bland områdets övriga indikatorer."
        return text


def rank_areas(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
               source: str = "indikatortabell") -> RankingResult:
    """Rank the areas of an indicator table by composite need (computed afresh; to rank the
    same data with other weights, keep :func:`ranking_base` and pass it to
    :class:`RankingResult`)."""
    return RankingResult(table, catalogue, settings, source)
