"""What drives a ranking (indicators/sensitivity.py): correlations, effective weights,
the fast scorer and the OAT and Sobol sensitivity of the ranking to weights and choices.

Expected numbers for the small constructed tables are derived in the comments; the demo
data (22 Huddinge areas, 15 indicators) checks the machinery at realistic size.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import read_catalogue, read_indicator_table, read_settings
from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID, DOMAINS
from indicators.ranking import rank_areas
from indicators.sensitivity import (
    FastScorer,
    competition_ranks,
    correlations,
    effective_weights,
    mean_rank_shift,
    nominal_shares,
    sensitivity,
)
from indicators.settings import AnalysisSettings

DATA = Path(__file__).resolve().parents[1] / "data"
TIGHT = {"abs": 1e-9}

# Eight areas. A = 1..8 and C = (+1, -1, -1, +1, +1, -1, -1, +1) are exactly uncorrelated
# (C sums to 0 and its dot product with A - 4.5 is 0), so after z-scores the score of
# (A, copy of A, C) with equal weights is (2 zA + zC) / 3.
A = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
C = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0]


def _table(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({AREA_ID: [f"A{k}" for k in range(1, n + 1)], **columns})


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, Catalogue]:
    return (read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv"),
            read_catalogue(DATA / "indicator_catalogue.csv"))


@pytest.fixture(scope="module")
def broad() -> AnalysisSettings:
    return read_settings(DATA / "profiles" / "bred_prevention.toml")


@pytest.fixture
def dominant(plain_catalogue: Callable[..., Catalogue]):
    """Thirty areas, five random indicators in one domain; 'stor' weighs 4, the others 1."""
    rng = np.random.default_rng(7)
    ids = ["stor", "b", "c", "d", "e"]
    table = _table(**{i: list(rng.normal(size=30).round(3)) for i in ids})
    catalogue = plain_catalogue(**{i: "skola" for i in ids})
    settings = AnalysisSettings.create({"stor": 4.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0})
    return table, catalogue, settings


# -- fast scorer -----------------------------------------------------------------------------

@pytest.mark.parametrize("normalisation", ["zscore", "percentile", "minmax"])
@pytest.mark.parametrize("aggregation", ["arithmetic", "mpi"])
def test_fast_scorer_equals_rank_areas_on_the_demo(demo, broad, normalisation, aggregation):
    table, catalogue = demo
    settings = broad.with_changes(normalisation=normalisation, aggregation=aggregation)
    scorer = FastScorer.from_result(rank_areas(table, catalogue, settings))
    rng = np.random.default_rng(3)
    iw = rng.uniform(0, 3, size=(4, len(scorer.indicators)))
    iw[1, :3] = 0.0                                   # a whole domain (socioekonomi) at 0
    dw = rng.uniform(0, 3, size=(4, len(scorer.domains)))
    dw[2, 0] = 0.0
    scores, ranks = scorer.scores(iw, dw), scorer.ranks(iw, dw)
    for row in range(4):
        changed = settings.with_changes(
            indicator_weights=tuple(zip(scorer.indicators, iw[row], strict=True)),
            domain_weights=tuple(zip(scorer.domains, dw[row], strict=True)))
        expected = rank_areas(table, catalogue, changed)
        assert scores[row] == pytest.approx(expected.score.to_numpy(), **TIGHT)
        assert ranks[row].tolist() == expected.rank.tolist()


@pytest.mark.parametrize("aggregation", ["arithmetic", "mpi"])
def test_fast_scorer_reweights_missing_values_like_rank_areas(plain_catalogue, aggregation):
    catalogue = plain_catalogue(a="skola", b="skola:-1", c="kriminalitet", d="socioekonomi")
    nan = float("nan")
    table = _table(a=[1, 5, nan, 2, 8, 3], b=[4, nan, nan, 1, 2, 9],
                   c=[nan, 2, 3, 7, 1, 1], d=[2, 2, 9, nan, 4, 6])
    settings = AnalysisSettings.create({"a": 1.0, "b": 2.0, "c": 1.0, "d": 0.5},
                                       {"kriminalitet": 3.0}, aggregation=aggregation)
    result = rank_areas(table, catalogue, settings)
    # The first area lacks the domain weighing 3 of 5: 40 % of the weight, not ranked.
    assert result.insufficient.index.tolist() == ["A1"]
    scorer = FastScorer.from_result(result)
    assert scorer.scores()[0] == pytest.approx(result.score.to_numpy(), **TIGHT, nan_ok=True)
    np.testing.assert_array_equal(scorer.ranks()[0], result.rank.to_numpy())
    changed = settings.with_changes(indicator_weights={"a": 0.0, "b": 1.0, "c": 2.0, "d": 1.0})
    expected = rank_areas(table, catalogue, changed)
    got = scorer.scores(np.array([[0.0, 1.0, 2.0, 1.0]]))[0]
    assert got == pytest.approx(expected.score.to_numpy(), **TIGHT, nan_ok=True)


def test_fast_scorer_refuses_weights_of_the_wrong_length(demo, broad):
    scorer = FastScorer.from_result(rank_areas(*demo, broad))
    with pytest.raises(ValueError, match="one weight per indicator"):
        scorer.scores(np.ones(3))


def test_competition_ranks_and_rank_shift():
    scores = np.array([[3.0, 1.0, 3.0, np.nan, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    ranks = competition_ranks(scores)
    assert ranks[0].tolist()[:3] == [1.0, 4.0, 1.0] and ranks[0, 4] == 3.0
    assert np.isnan(ranks[0, 3])
    assert ranks[1].tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]
    # Shift against the first row: areas 1, 2, 3 and 5 ranked in both.
    assert mean_rank_shift(ranks[1:], ranks[0]).tolist() == [(4 + 0 + 2 + 2) / 4]
    # Scores equal to 9 decimals tie, as in rank_areas.
    assert competition_ranks(np.array([1.0, 1.0 + 1e-12, 0.5])).tolist() == [[1.0, 1.0, 3.0]]


# -- correlations ----------------------------------------------------------------------------

def test_a_duplicated_indicator_is_flagged_and_an_independent_one_is_not(plain_catalogue):
    catalogue = plain_catalogue(a="skola", kopia="skola", c="skola")
    result = rank_areas(_table(a=A, kopia=A, c=C), catalogue,
                        AnalysisSettings.create({"a": 1.0, "kopia": 1.0, "c": 1.0}))
    corr = correlations(result)
    assert corr.pearson.at["a", "kopia"] == pytest.approx(1.0, **TIGHT)
    assert corr.spearman.at["a", "kopia"] == pytest.approx(1.0, **TIGHT)
    assert corr.pearson.at["a", "c"] == pytest.approx(0.0, **TIGHT)
    assert corr.pairs.at["a", "c"] == 8
    assert list(zip(corr.flagged["a"], corr.flagged["b"], strict=True)) == [("a", "kopia")]
    assert corr.notes == ("A och Kopia mäter nästan samma sak (r = 1,00): tillsammans väger de "
                          "dubbelt (33 % + 33 % av den nominella vikten).",)


def test_correlations_are_pairwise_complete_and_ignore_unweighted_indicators(plain_catalogue):
    catalogue = plain_catalogue(a="skola", mot="skola", c="skola", noll="skola")
    nan = float("nan")
    opposite = [-x for x in A[:-1]] + [nan]           # direction +1: runs against a
    result = rank_areas(_table(a=A, mot=opposite, c=C, noll=A), catalogue,
                        AnalysisSettings.create({"a": 1.0, "mot": 1.0, "c": 1.0, "noll": 0.0}))
    corr = correlations(result, threshold=0.95)
    assert list(corr.pearson.columns) == ["a", "mot", "c"]
    assert corr.pairs.at["a", "mot"] == 7
    assert corr.pearson.at["a", "mot"] == pytest.approx(-1.0, **TIGHT)
    assert corr.flagged["n"].tolist() == [7]
    assert "går nästan exakt åt motsatt håll (r = -1,00)" in corr.notes[0]
    with pytest.raises(ValueError, match="threshold must be between 0 and 1, got 1.5"):
        correlations(result, threshold=1.5)


def test_correlations_on_the_demo_are_symmetric_and_flag_only_strong_pairs(demo, broad):
    corr = correlations(rank_areas(*demo, broad), threshold=0.9)
    assert corr.pearson.shape == (15, 15)
    assert np.allclose(corr.pearson, corr.pearson.T)
    assert (corr.flagged["r"].abs() > 0.9).all() and len(corr.flagged) > 0
    strong = (corr.pearson.abs() > 0.9).to_numpy()
    assert len(corr.flagged) == (strong.sum() - 15) // 2


# -- effective weights -----------------------------------------------------------------------

def test_a_duplicate_gains_influence_and_an_independent_indicator_loses_it(plain_catalogue):
    # Score S = (2 zA + zC) / 3 with Var = 5/9: r(A, S) = 2/sqrt(5), r(C, S) = 1/sqrt(5), so
    # r^2 = 4/5, 4/5, 1/5 and the effective shares 4/9, 4/9, 1/9; variance shares
    # w Cov(x, S) / Var(S) = (1/3)(2/3)/(5/9) = 2/5 for A and its copy, (1/3)(1/3)/(5/9) = 1/5.
    catalogue = plain_catalogue(a="skola", kopia="skola", c="skola")
    result = rank_areas(_table(a=A, kopia=A, c=C), catalogue,
                        AnalysisSettings.create({"a": 1.0, "kopia": 1.0, "c": 1.0}))
    eff = effective_weights(result)
    assert eff.index.tolist() == ["a", "kopia", "c"]
    assert eff["nominal"].tolist() == pytest.approx([1 / 3] * 3, **TIGHT)
    assert eff["r"].tolist() == pytest.approx([2 / math.sqrt(5)] * 2 + [1 / math.sqrt(5)],
                                              **TIGHT)
    assert eff["r2"].tolist() == pytest.approx([0.8, 0.8, 0.2], **TIGHT)
    assert eff["effective"].tolist() == pytest.approx([4 / 9, 4 / 9, 1 / 9], **TIGHT)
    assert eff["variance_share"].tolist() == pytest.approx([0.4, 0.4, 0.2], **TIGHT)
    for col in ("nominal", "effective", "variance_share"):
        assert eff[col].sum() == pytest.approx(1.0, **TIGHT)


def test_a_constant_indicator_has_no_effective_weight(plain_catalogue):
    catalogue = plain_catalogue(a="skola", konstant="skola", c="skola")
    result = rank_areas(_table(a=A, konstant=[5.0] * 8, c=C), catalogue,
                        AnalysisSettings.create({"a": 1.0, "konstant": 1.0, "c": 1.0}))
    eff = effective_weights(result)
    assert eff["nominal"].tolist() == pytest.approx([1 / 3] * 3, **TIGHT)
    assert math.isnan(eff.at["konstant", "r"])
    # S = (zA + zC) / 3: both correlate 1/sqrt(2) with S, so they share equally.
    assert eff["effective"].tolist() == pytest.approx([0.5, 0.0, 0.5], **TIGHT)
    assert eff["variance_share"].tolist() == pytest.approx([0.5, 0.0, 0.5], **TIGHT)


def test_nominal_shares_follow_the_domain_structure(plain_catalogue):
    # Domain weights 2 : 1 (psykisk_ohalsa unweighted indicator -> domain dropped);
    # within skola 1 : 3.  Shares 2/3 x 1/4, 2/3 x 3/4, 1/3, 0.
    catalogue = plain_catalogue(a="skola", b="skola", c="kriminalitet", d="psykisk_ohalsa")
    table = _table(a=A, b=C, c=A[::-1], d=A)
    settings = AnalysisSettings.create({"a": 1.0, "b": 3.0, "c": 1.0, "d": 0.0},
                                       {"skola": 2.0, "psykisk_ohalsa": 5.0})
    result = rank_areas(table, catalogue, settings)
    shares = nominal_shares(result)
    assert shares.tolist() == pytest.approx([1 / 6, 1 / 2, 1 / 3, 0.0], **TIGHT)
    assert shares.to_numpy() == pytest.approx(result.weights.iloc[0].to_numpy(), **TIGHT)
    assert effective_weights(result).index.tolist() == ["a", "b", "c"]


def test_effective_weights_on_the_demo_sum_to_one(demo, broad):
    for aggregation in ("arithmetic", "mpi"):
        eff = effective_weights(rank_areas(*demo, broad.with_changes(aggregation=aggregation)))
        assert len(eff) == 15
        for col in ("nominal", "effective", "variance_share"):
            assert eff[col].sum() == pytest.approx(1.0, **TIGHT)
        assert ((eff["r2"] >= 0) & (eff["r2"] <= 1)).all()


# -- OAT ---------------------------------------------------------------------------------------

def test_oat_by_hand(plain_catalogue):
    # Percentile ranks: a = (0, 1/3, 2/3, 1) x 100, b = (1/3, 1, 0, 2/3) x 100.
    # Baseline (1:1): scores (16.7, 66.7, 33.3, 83.3) -> ranks (4, 2, 3, 1).
    # a x 0.5: (22.2, 77.8, 22.2, 77.8) -> ranks (3, 1, 3, 1): shift (1+1+0+0)/4 = 0.5.
    # a x 1.5, b x 0.5 and b x 1.5 keep the order: shift 0.  Index a = 0.25, b = 0.
    catalogue = plain_catalogue(a="skola", b="skola")
    table = _table(a=[1, 2, 3, 4], b=[2, 4, 1, 3])
    settings = AnalysisSettings.create({"a": 1.0, "b": 1.0}, normalisation="percentile")
    oat = sensitivity(table, catalogue, settings)
    weights = oat.factors.set_index("factor")
    assert weights.loc["a", ["index", "down", "up"]].tolist() == [0.25, 0.5, 0.0]
    assert weights.loc["b", ["index", "down", "up"]].tolist() == [0.0, 0.0, 0.0]
    assert oat.n_rankings == 4 + 3
    assert set(weights.index) == {"a", "b", "normalisation:zscore", "normalisation:minmax",
                                  "aggregation:mpi"}
    assert weights.at["aggregation:mpi", "label"] == (
        "Sammanvägning: Mazziotta–Pareto (MPI+): ojämnt höga behov späds inte ut i stället "
        "för aritmetiskt medelvärde (kompenserande)")
    assert weights.at["a", "label"] == "Vikt för A"


def test_oat_agrees_with_rank_areas_on_the_demo(demo, broad):
    table, catalogue = demo
    oat = sensitivity(table, catalogue, broad)
    index = oat.index()
    base = rank_areas(table, catalogue, broad).rank
    for ind in ("unga_uvas", "valdsbrott", "trangboddhet"):
        shifts = []
        for factor in (0.5, 1.5):
            weights = dict(broad.indicator_weights)
            weights[ind] *= factor
            ranks = rank_areas(table, catalogue, broad.with_changes(indicator_weights=weights)).rank
            shifts.append((ranks - base).abs().mean())
        assert index[ind] == pytest.approx(np.mean(shifts), **TIGHT)
    percentile = rank_areas(table, catalogue, broad.with_changes(normalisation="percentile"))
    assert index["normalisation:percentile"] == pytest.approx(
        (percentile.rank - base).abs().mean(), **TIGHT)
    assert oat.factors["index"].is_monotonic_decreasing
    assert len(oat.factors) == 15 + 2 + 1


def test_a_weight_that_cannot_change_the_ranking_has_index_zero(plain_catalogue):
    # 'noll' has weight 0; 'ensam' is alone in its domain, so its weight cancels out.
    catalogue = plain_catalogue(a="skola", b="skola", noll="skola", ensam="kriminalitet")
    table = _table(a=A, b=C, noll=A[::-1], ensam=[3, 1, 4, 1, 5, 9, 2, 6])
    settings = AnalysisSettings.create({"a": 1.0, "b": 1.0, "noll": 0.0, "ensam": 1.0})
    for method in ("oat", "sobol"):
        index = sensitivity(table, catalogue, settings, method=method, draws=64).index()
        assert index["noll"] == 0.0
        assert index["ensam"] == 0.0
        assert index["a"] > 0
    with_domains = sensitivity(table, catalogue, settings, include_domains=True).index()
    assert with_domains["domain_weight:kriminalitet"] > 0   # the domain weight does count
    assert with_domains["ensam"] == 0.0


def test_the_dominant_weight_moves_the_ranking_most_in_oat(dominant):
    oat = sensitivity(*dominant)
    weights = oat.factors[oat.factors["kind"] == "weight"]
    assert weights["factor"].iloc[0] == "stor"
    assert oat.top == "stor"


def test_oat_method_text_names_the_measure(dominant):
    text = sensitivity(*dominant, spread=0.25).method_text()
    assert "en faktor i taget" in text
    assert "multipliceras med 0,75 och med 1,25" in text
    assert "genomsnittliga absoluta rangförskjutningen" in text


# -- Sobol -------------------------------------------------------------------------------------

def test_sobol_on_the_demo_is_reproducible_and_in_range(demo, broad):
    table, catalogue = demo
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = sensitivity(table, catalogue, broad, method="sobol", draws=128)
    again = sensitivity(table, catalogue, broad, method="sobol", draws=128)
    other = sensitivity(table, catalogue, broad, method="sobol", draws=128, seed=1)
    pd.testing.assert_frame_equal(first.factors, again.factors)
    assert not first.factors[["S1", "ST"]].equals(other.factors[["S1", "ST"]])
    assert first.n_rankings == 128 * (15 + 2)
    assert len(first.factors) == 15 and (first.factors["kind"] == "weight").all()
    stats = first.factors[["S1", "ST"]].to_numpy()
    assert ((stats >= -0.1) & (stats <= 1.1)).all()
    assert (first.factors[["S1_conf", "ST_conf"]].to_numpy() >= 0).all()
    assert (first.factors["index"] == first.factors["ST"]).all()
    assert first.mean_shift > 0
    text = first.method_text()
    assert "Sobols index" in text and "N = 128" in text and "2\u202f176 rankningar" in text
    assert "mellan 0,50 och 1,50 gånger sin vikt" in text


def test_sobol_and_oat_agree_on_the_dominant_weight(dominant):
    sobol = sensitivity(*dominant, method="sobol", draws=128)
    oat = sensitivity(*dominant)
    assert sobol.top == "stor" == oat.top
    assert sobol.index()["stor"] > 2 * sobol.factors["ST"].iloc[1]


def test_sobol_with_domain_weights(demo, broad):
    table, catalogue = demo
    result = sensitivity(table, catalogue, broad, method="sobol", draws=64, include_domains=True)
    kinds = result.factors["kind"].value_counts()
    assert kinds["weight"] == 15 and kinds["domain_weight"] == len(DOMAINS)
    assert result.n_rankings == 64 * (15 + len(DOMAINS) + 2)
    assert "alla indikator- och domänvikter" in result.method_text()


def test_a_ranking_no_weight_can_change_gives_zero_indices(plain_catalogue):
    # Every indicator alone in its domain: the output is always 0, nothing to split.
    catalogue = plain_catalogue(a="skola", b="kriminalitet")
    settings = AnalysisSettings.create({"a": 1.0, "b": 2.0})
    result = sensitivity(_table(a=A, b=C), catalogue, settings, method="sobol", draws=32)
    assert result.factors[["S1", "S1_conf", "ST", "ST_conf"]].to_numpy().tolist() == [[0.0] * 4] * 2
    assert result.top is None and result.mean_shift == 0.0


def test_sensitivity_refuses_bad_arguments(dominant):
    with pytest.raises(ValueError, match="unknown method"):
        sensitivity(*dominant, method="morris")
    with pytest.raises(ValueError, match="spread"):
        sensitivity(*dominant, spread=0.0)
    with pytest.raises(ValueError, match="draws"):
        sensitivity(*dominant, method="sobol", draws=1)
