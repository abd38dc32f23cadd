"""Ranking on the 3x3 grid and on tiny tables: scores, ranks, contributions, flags, views.

The expected numbers follow from the comment in conftest.py: with equal weights the
grid's domains are socioekonomi = p_i, skola = p_i and kriminalitet = 100 - p_i, with
p_i = 12.5 (i - 1) for percentile and minmax, or z_i = (i - 5) / sqrt(20/3) for zscore.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.errors import IndicatorTableError, SettingsError
from indicators.ranking import (
    AreaProfile,
    Contribution,
    RankingResult,
    mpi_combine,
    mpi_example,
    mpi_standardise,
    rank_areas,
)
from indicators.settings import AnalysisSettings

GRID = [f"A{i}" for i in range(1, 10)]
IX = np.arange(1, 10)
P = 12.5 * (IX - 1)                      # percentile / minmax of lag_ek, behoriga, franvaro
Z = (IX - 5) / math.sqrt(20 / 3)         # zscore of the same
NAN = float("nan")
TIGHT = {"abs": 1e-9}


def _rank(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings,
          **changes: object) -> RankingResult:
    return rank_areas(table, catalogue, settings.with_changes(**changes) if changes
                      else settings)


def _plain_table(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({AREA_ID: [f"A{k}" for k in range(1, n + 1)], **columns})


# -- scores and ranks on the grid -------------------------------------------------------

@pytest.mark.parametrize(("normalisation", "expected"), [
    ("percentile", (100 + P) / 3),
    ("minmax", (100 + P) / 3),
    ("zscore", Z / 3),
])
def test_arithmetic_scores_on_the_grid(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                       grid_settings: AnalysisSettings, normalisation: str,
                                       expected: np.ndarray) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings, normalisation=normalisation)
    assert result.score.index.tolist() == GRID
    assert result.score.to_numpy() == pytest.approx(expected, **TIGHT)
    assert result.rank.tolist() == [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]


@pytest.mark.parametrize("normalisation", ["percentile", "minmax"])
def test_normalised_values_on_the_grid(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                       grid_settings: AnalysisSettings,
                                       normalisation: str) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings, normalisation=normalisation)
    norm = result.normalised
    assert norm.columns.tolist() == ["lag_ek", "brott", "behoriga", "franvaro"]
    for ind in ("lag_ek", "behoriga", "franvaro"):       # behoriga: direction -1 flipped
        assert norm[ind].to_numpy() == pytest.approx(P, **TIGHT)
    assert norm["brott"].to_numpy() == pytest.approx(100 - P, **TIGHT)


def test_zscore_values_on_the_grid(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                   grid_settings: AnalysisSettings) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings, normalisation="zscore")
    assert result.normalised["behoriga"].to_numpy() == pytest.approx(Z, **TIGHT)
    assert result.normalised["brott"].to_numpy() == pytest.approx(-Z, **TIGHT)
    assert result.score["A9"] == pytest.approx(4 / math.sqrt(20 / 3) / 3, **TIGHT)


def test_raw_values_are_the_derived_rates(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                          grid_settings: AnalysisSettings) -> None:
    values = _rank(grid_table, grid_catalogue, grid_settings).values
    assert values["lag_ek"].to_numpy() == pytest.approx(10 * IX, **TIGHT)
    assert values["brott"].to_numpy() == pytest.approx(10 - IX, **TIGHT)
    assert values["behoriga"].to_numpy() == pytest.approx(100 - 10 * IX, **TIGHT)


def test_domain_scores_on_the_grid(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                   grid_settings: AnalysisSettings) -> None:
    dom = _rank(grid_table, grid_catalogue, grid_settings).domain_scores
    assert dom.columns.tolist() == ["kriminalitet", "socioekonomi", "skola"]  # DOMAINS order
    assert dom["socioekonomi"].to_numpy() == pytest.approx(P, **TIGHT)
    assert dom["skola"].to_numpy() == pytest.approx(P, **TIGHT)
    assert dom["kriminalitet"].to_numpy() == pytest.approx(100 - P, **TIGHT)


def test_only_selected_indicators_in_catalogue_order(grid_table: pd.DataFrame,
                                                     grid_catalogue: Catalogue) -> None:
    s = AnalysisSettings.create({"franvaro": 1, "lag_ek": 1}, normalisation="minmax")
    result = rank_areas(grid_table, grid_catalogue, s)
    for frame in (result.values, result.normalised, result.weights, result.contributions,
                  result.flags, result.percentiles):
        assert frame.columns.tolist() == ["lag_ek", "franvaro"]
    assert [i.id for i in result.indicators] == ["lag_ek", "franvaro"]
    assert result.domain_scores.columns.tolist() == ["socioekonomi", "skola"]
    # Table columns of unselected indicators are not needed.
    rank_areas(grid_table.drop(columns=["invanare", "elever"]), grid_catalogue, s)


def test_frames_follow_the_input_row_order(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                           grid_settings: AnalysisSettings) -> None:
    backwards = grid_table.iloc[::-1].reset_index(drop=True)
    result = rank_areas(backwards, grid_catalogue, grid_settings)
    assert result.score.index.tolist() == GRID[::-1]
    assert result.rank["A9"] == 1.0
    pd.testing.assert_frame_equal(result.summary(),
                                  rank_areas(grid_table, grid_catalogue, grid_settings).summary())


# -- weights ----------------------------------------------------------------------------

@pytest.mark.parametrize(("normalisation", "expected"), [
    ("percentile", (300 - P) / 5),       # (p + p + 3 (100 - p)) / 5
    ("zscore", -Z / 5),                  # (z + z - 3 z) / 5
])
def test_domain_weights(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                        grid_settings: AnalysisSettings, normalisation: str,
                        expected: np.ndarray) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings, normalisation=normalisation,
                   domain_weights=(("kriminalitet", 3.0),))
    assert result.score.to_numpy() == pytest.approx(expected, **TIGHT)
    assert result.rank.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    # effective weight = domain share x share within the domain
    assert result.weights.iloc[0].tolist() == pytest.approx([0.2, 0.6, 0.1, 0.1], **TIGHT)


def test_indicator_weights_within_a_domain(plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="skola")
    table = _plain_table(a=[0.0, 1.0, 2.0], b=[2.0, 1.0, 0.0])
    s = AnalysisSettings.create({"a": 3, "b": 1}, normalisation="minmax")
    result = rank_areas(table, catalogue, s)
    # (3 a + b) / 4 with a = 0, 50, 100 and b = 100, 50, 0
    assert result.score.tolist() == pytest.approx([25.0, 50.0, 75.0], **TIGHT)
    assert result.rank.tolist() == [3.0, 2.0, 1.0]


def test_indicator_with_weight_zero_does_not_count(grid_table: pd.DataFrame,
                                                   grid_catalogue: Catalogue,
                                                   grid_settings: AnalysisSettings) -> None:
    weights = {"lag_ek": 1.0, "brott": 0.0, "behoriga": 1.0, "franvaro": 1.0}
    result = _rank(grid_table, grid_catalogue, grid_settings,
                   indicator_weights=tuple(weights.items()))
    assert result.score.to_numpy() == pytest.approx(P, **TIGHT)       # (p + p) / 2
    assert result.domain_scores.columns.tolist() == ["socioekonomi", "skola"]
    assert (result.weights["brott"] == 0).all()
    assert (result.contributions["brott"] == 0).all()
    assert not result.flags["brott"].any()            # A1 would be flagged if brott counted
    assert result.flags.loc["A9"].tolist() == [True, False, True, True]
    assert result.values["brott"].notna().all()      # still shown
    assert "Anmälda brott" not in result.summary()["top_contributors"].str.cat()
    assert result.method_summary().startswith("3 indikatorer i 2 domäner.")


def test_domain_with_weight_zero_does_not_count(grid_table: pd.DataFrame,
                                                grid_catalogue: Catalogue,
                                                grid_settings: AnalysisSettings) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings,
                   domain_weights=(("kriminalitet", 0.0),))
    assert result.score.to_numpy() == pytest.approx(P, **TIGHT)
    assert (result.contributions["brott"] == 0).all()
    assert not result.flags["brott"].any()
    assert result.domain_scores["kriminalitet"].to_numpy() == pytest.approx(100 - P, **TIGHT)


def test_all_areas_tied_share_rank_one(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                       grid_settings: AnalysisSettings) -> None:
    # Without lag_ek the two remaining domains cancel: p + (100 - p) = 100 for everyone.
    result = _rank(grid_table, grid_catalogue, grid_settings,
                   indicator_weights=(("brott", 1.0), ("behoriga", 1.0), ("lag_ek", 0.0)))
    assert result.score.tolist() == pytest.approx([50.0] * 9, **TIGHT)
    assert result.rank.tolist() == [1.0] * 9
    assert result.summary()["area_id"].tolist() == GRID          # ties by area id


# -- ties -------------------------------------------------------------------------------

def test_exact_ties_share_the_best_rank(plain_catalogue: Callable[..., Catalogue]) -> None:
    table = _plain_table(a=[4.0, 3.0, 3.0, 1.0])
    result = rank_areas(table, plain_catalogue(a="skola"), AnalysisSettings.create({"a": 1}))
    assert result.rank.tolist() == [1.0, 2.0, 2.0, 4.0]


def test_scores_equal_to_nine_decimals_are_tied(
        plain_catalogue: Callable[..., Catalogue]) -> None:
    # X and Y have the same three values in another order, so their scores are equal in
    # exact arithmetic (20) but are summed in another order in floating point.
    table = pd.DataFrame({AREA_ID: ["Z", "Y", "X", "W"], "a": [0.0, 4.0, 1.0, 10.0],
                          "b": [0.0, 1.0, 1.0, 10.0], "c": [0.0, 1.0, 4.0, 10.0]})
    catalogue = plain_catalogue(a="skola", b="skola", c="skola")
    result = rank_areas(table, catalogue,
                        AnalysisSettings.create({"a": 1, "b": 1, "c": 1},
                                                normalisation="minmax"))
    assert result.score["X"] == pytest.approx(20.0, abs=1e-12)
    assert result.score["Y"] == pytest.approx(20.0, abs=1e-12)
    assert result.score["X"] != result.score["Y"]        # the premise of this test
    assert result.rank.to_dict() == {"Z": 4.0, "Y": 2.0, "X": 2.0, "W": 1.0}
    assert result.summary()["area_id"].tolist() == ["W", "X", "Y", "Z"]


def test_area_without_any_value_has_no_rank(plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="missbruk")
    table = _plain_table(a=[1.0, NAN, 3.0, 2.0], b=[1.0, NAN, NAN, 2.0])
    result = rank_areas(table, catalogue, AnalysisSettings.create({"a": 1, "b": 1}))
    assert np.isnan(result.score["A2"])
    assert np.isnan(result.rank["A2"])
    assert result.rank.drop("A2").tolist() == [3.0, 1.0, 2.0]
    summary = result.summary()
    assert summary["area_id"].tolist() == ["A3", "A4", "A1", "A2"]
    assert summary["missing_count"].tolist() == [1, 0, 0, 2]
    assert result.profile("A3").n_areas == 3


# -- MPI+ between domains ----------------------------------------------------------------

def _by_hand_mpi(domain_scores: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """MPI+ written out from its definition: per domain 100 + 10 z over the areas that have
    it (population sd), then per area M + S^2 / M with the domain weights renormalised."""
    standardised = 100 + 10 * (domain_scores - domain_scores.mean()) / domain_scores.std(ddof=0)
    w = standardised.notna() * pd.Series(weights)
    w = w.div(w.sum(axis=1), axis=0)
    mean = (w * standardised.fillna(0)).sum(axis=1)
    variance = (w * (standardised.fillna(0).sub(mean, axis=0)) ** 2).sum(axis=1)
    return mean + variance / mean


def _uneven_and_even_table() -> pd.DataFrame:
    """Four areas and two domains whose values are already centred with the same spread:
    U (+2, -1) and E (+0.5, +0.5) have the same mean need; b's last two values make b's
    mean 0 and its spread that of a."""
    root = math.sqrt(0.25 + 14.0)
    return _plain_table(a=[2.0, 0.5, -0.5, -2.0],
                        b=[-1.0, 0.5, (0.5 + root) / 2, (0.5 - root) / 2])


def test_mpi_does_not_dilute_uneven_high_need(plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="kriminalitet")
    table = _uneven_and_even_table()
    settings = AnalysisSettings.create({"a": 1, "b": 1})
    arithmetic = rank_areas(table, catalogue, settings)
    mpi = rank_areas(table, catalogue, settings.with_changes(aggregation="mpi"))
    # The same mean need: the arithmetic mean cannot tell the two apart ...
    assert arithmetic.score["A1"] == pytest.approx(arithmetic.score["A2"], abs=1e-12)
    # ... MPI+ ranks the uneven high need above the even one.
    assert mpi.score["A1"] > mpi.score["A2"] + 1.0
    assert mpi.rank["A1"] < mpi.rank["A2"]
    z = arithmetic.domain_scores                   # z-scores of a and of b
    expected = _by_hand_mpi(z, {"skola": 1.0, "kriminalitet": 1.0})
    assert mpi.score.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)
    assert mpi.domain_scores.equals(arithmetic.domain_scores)   # within domains: arithmetic


@pytest.mark.parametrize("normalisation", ["zscore", "percentile", "minmax"])
def test_mpi_is_at_least_the_mean_of_the_standardised_values(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue, grid_settings: AnalysisSettings,
        normalisation: str) -> None:
    weights = {"socioekonomi": 1.0, "kriminalitet": 2.0, "skola": 0.5}
    result = _rank(grid_table, grid_catalogue, grid_settings, aggregation="mpi",
                   normalisation=normalisation, domain_weights=tuple(weights.items()))
    d = result.domain_scores
    standardised = 100 + 10 * (d - d.mean()) / d.std(ddof=0)
    w = pd.Series(weights)[d.columns] / sum(weights.values())
    mean = standardised @ w
    assert (result.score >= mean - 1e-9).all()
    assert result.score.to_numpy() == pytest.approx(_by_hand_mpi(d, weights).to_numpy(),
                                                    abs=1e-9)
    # A5 sits at the mean of every domain: even, so MPI+ is its mean, 100.
    assert result.score["A5"] == pytest.approx(100.0, abs=1e-9)


def test_mpi_reweights_missing_domains(gappy: pd.DataFrame, grid_catalogue: Catalogue,
                                       grid_settings: AnalysisSettings) -> None:
    """A1 has no kriminalitet: standardised over the areas that have it, combined over the
    two domains A1 has."""
    result = rank_areas(gappy, grid_catalogue, grid_settings.with_changes(aggregation="mpi"))
    d = result.domain_scores
    assert np.isnan(d.at["A1", "kriminalitet"])
    expected = _by_hand_mpi(d, dict.fromkeys(d.columns, 1.0))
    assert result.score.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)


def test_mpi_of_a_domain_without_spread_is_100(
        plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="kriminalitet")
    table = _plain_table(a=[1.0, 2.0, 3.0], b=[4.0, 4.0, 4.0])
    result = rank_areas(table, catalogue, AnalysisSettings.create(
        {"a": 1, "b": 1}, aggregation="mpi"))
    z = np.array([-1.0, 0.0, 1.0]) * math.sqrt(1.5)
    x = np.stack([100 + 10 * z, np.full(3, 100.0)], axis=1)
    m = x.mean(axis=1)
    assert result.score.to_numpy() == pytest.approx(m + x.var(axis=1) / m, abs=1e-9)


def test_mpi_example_of_the_method_page() -> None:
    example = mpi_example()
    assert example.standardised == ((120.0, 90.0), (105.0, 105.0))
    assert example.arithmetic == pytest.approx((0.5, 0.5), abs=1e-15)
    # uneven: M = 105, S = 15, MPI+ = M + S * (S / M); even: S = 0.
    assert example.mpi == pytest.approx((105 + 15 * (15 / 105), 105.0), abs=1e-12)


def test_mpi_combine_lies_between_the_mean_and_the_largest_value() -> None:
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 200, size=(500, 4))
    weights = rng.uniform(0, 1, size=(500, 4))
    weights[rng.random((500, 4)) < 0.3] = 0.0
    weights[:, 0] += 0.1                       # every row has a domain
    score = mpi_combine(values, weights)
    w = weights / weights.sum(axis=1, keepdims=True)
    mean = (w * values).sum(axis=1)
    largest = np.where(weights > 0, values, -np.inf).max(axis=1)
    assert (score >= mean - 1e-9).all() and (score <= largest + 1e-9).all()
    assert np.isnan(mpi_combine(values[:1], np.zeros((1, 4)))).all()


def test_mpi_falls_only_when_a_domain_is_below_half_the_score() -> None:
    """MPI+ = Q / M (Q the weighted mean of squares) rises with a domain value x_j exactly
    when x_j >= score / 2 (its derivative is w_j (2 x_j M - Q) / M**2): the property the
    ranking docstring states."""
    weights = np.ones((1, 2))
    low, high = 40.0, 160.0                     # x_1 = 40 < score / 2
    before = mpi_combine(np.array([[low, high]]), weights)[0]
    assert low < before / 2
    assert mpi_combine(np.array([[low + 1, high]]), weights)[0] < before
    fair = 90.0                                 # x_1 = 90 > score / 2
    before = mpi_combine(np.array([[fair, high]]), weights)[0]
    assert fair > before / 2
    assert mpi_combine(np.array([[fair + 1, high]]), weights)[0] > before


def test_mpi_standardise_clips_below_zero_and_ignores_unused_areas() -> None:
    scores = np.zeros((123, 1))
    scores[-2] = -1.0                          # one low outlier among 122 used areas
    scores[-1] = 99.0                          # not used: neither counted nor standardised
    use = np.ones_like(scores, dtype=bool)
    use[-1] = False
    out = mpi_standardise(scores, use)
    used = scores[:-1, 0]
    z = (used - used.mean()) / used.std()
    assert 100 + 10 * z[-1] < 0                 # more than 10 sd below the mean ...
    assert out[-2, 0] == 0.0                    # ... counts as 0
    assert out[:-2, 0] == pytest.approx(100 + 10 * z[:-1], abs=1e-9)
    assert out[-1, 0] == 0.0


# -- contributions ----------------------------------------------------------------------

@pytest.mark.parametrize("normalisation", ["zscore", "percentile", "minmax"])
def test_contributions_add_up_to_score_minus_mean_score(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue, grid_settings: AnalysisSettings,
        normalisation: str) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings, normalisation=normalisation,
                   indicator_weights=(("lag_ek", 2.0), ("brott", 1.0), ("behoriga", 0.5),
                                      ("franvaro", 3.0)),
                   domain_weights=(("skola", 2.0), ("kriminalitet", 0.5)))
    total = result.contributions.sum(axis=1)
    assert total.to_numpy() == pytest.approx((result.score - result.score.mean()).to_numpy(),
                                             abs=1e-12)
    assert result.weights.sum(axis=1).tolist() == pytest.approx([1.0] * 9, abs=1e-15)


def test_contributions_on_the_grid(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                   grid_settings: AnalysisSettings) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings)
    # weight x (normalised - mean of normalised); weights 1/3, 1/3, 1/6, 1/6
    c = result.contributions
    assert c["lag_ek"].to_numpy() == pytest.approx((P - 50) / 3, **TIGHT)
    assert c["brott"].to_numpy() == pytest.approx((50 - P) / 3, **TIGHT)
    assert c["behoriga"].to_numpy() == pytest.approx((P - 50) / 6, **TIGHT)
    assert c.loc["A5"].tolist() == pytest.approx([0.0] * 4, **TIGHT)


# -- top contributors -------------------------------------------------------------------

@pytest.fixture
def weighted(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
             grid_settings: AnalysisSettings) -> RankingResult:
    """franvaro weighs 3 and behoriga 1 within skola: effective weights 1/3, 1/3, 1/12, 1/4."""
    return _rank(grid_table, grid_catalogue, grid_settings,
                 indicator_weights=(("lag_ek", 1.0), ("brott", 1.0), ("behoriga", 1.0),
                                    ("franvaro", 3.0)))


def test_top_contributors_largest_first(weighted: RankingResult) -> None:
    top = weighted.top_contributors("A9")
    assert [c.indicator.id for c in top] == ["lag_ek", "franvaro", "behoriga"]
    assert [c.contribution for c in top] == pytest.approx([50 / 3, 12.5, 50 / 12], **TIGHT)
    assert [c.value for c in top] == pytest.approx([90.0, 18.0, 10.0], **TIGHT)
    assert all(isinstance(c, Contribution) for c in top)
    assert [c.indicator.id for c in weighted.top_contributors("A9", n=2)] == [
        "lag_ek", "franvaro"]


def test_only_positive_contributions_are_named(weighted: RankingResult) -> None:
    assert [c.indicator.id for c in weighted.top_contributors("A1")] == ["brott"]
    assert weighted.top_contributors("A5") == ()          # every contribution is 0


def test_top_n_comes_from_the_settings(weighted: RankingResult) -> None:
    fewer = rank_areas(weighted.table, weighted.catalogue, weighted.settings.with_changes(top_n=1))
    assert [c.indicator.id for c in fewer.top_contributors("A9")] == ["lag_ek"]


def _joined_names(result: RankingResult, area: str) -> str:
    """The reference: the per-area method, names joined as the summary shows them."""
    return "; ".join(c.indicator.name for c in result.top_contributors(area))


@pytest.mark.parametrize("top_n", [1, 2, 3, 5, 9])
def test_summary_top_contributors_equal_the_per_area_method_with_ties_and_gaps(
        plain_catalogue: Callable[..., Catalogue], top_n: int) -> None:
    # a and b are the same column (tied contributions, kept in column order), c and d
    # have gaps (NaN: reweighted, contribution 0), e pulls the other way.
    catalogue = plain_catalogue(a="skola", b="skola", c="kriminalitet", d="socioekonomi",
                                e="socioekonomi:-1")
    table = _plain_table(a=[1.0, 5.0, 3.0, 5.0, 2.0, 4.0, NAN],
                         b=[1.0, 5.0, 3.0, 5.0, 2.0, 4.0, NAN],
                         c=[2.0, NAN, 9.0, 1.0, 2.0, 7.0, NAN],
                         d=[NAN, 3.0, 3.0, 8.0, 1.0, 2.0, NAN],
                         e=[5.0, 1.0, 2.0, 2.0, 9.0, 1.0, NAN])
    settings = AnalysisSettings.create({k: 1.0 for k in "abcde"}, normalisation="minmax",
                                       top_n=top_n)
    result = rank_areas(table, catalogue, settings)
    summary = result.summary().set_index(AREA_ID)
    for area in result.score.index:
        assert summary.loc[area, "top_contributors"] == _joined_names(result, area), area
    assert summary.loc["A7", "top_contributors"] == ""          # no value at all


def test_summary_top_contributors_order_of_exact_ties_nan_zero_and_negative(
        plain_catalogue: Callable[..., Catalogue]) -> None:
    # Contributions set by hand: exact ties (in column order, as pandas' stable sort
    # descending), NaN, 0, -0.0, negatives and inf never confuse the vectorised column.
    catalogue = plain_catalogue(a="skola", b="skola", c="skola", d="skola", e="skola")
    table = _plain_table(**{k: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] for k in "abcde"})
    result = rank_areas(table, catalogue,
                        AnalysisSettings.create({k: 1.0 for k in "abcde"}, top_n=3))
    inf = math.inf
    crafted = pd.DataFrame([[1.0, 2.0, 2.0, 1.0, 2.0],
                            [NAN, 0.5, NAN, 0.5, 0.5],
                            [0.0, -0.0, -1.0, NAN, 0.0],
                            [3.0, inf, 3.0, -inf, 1e-300],
                            [-2.0, 1.0, -3.0, 1.0, NAN],
                            [0.25, 0.25, 0.25, 0.25, 0.25]],
                           index=result.contributions.index,
                           columns=result.contributions.columns)
    object.__setattr__(result, "contributions", crafted)
    column = result.summary().set_index(AREA_ID)["top_contributors"]
    for area in crafted.index:
        assert column[area] == _joined_names(result, area), area
    assert column.to_dict() == {"A1": "B; C; E", "A2": "B; D; E", "A3": "",
                                "A4": "B; A; C", "A5": "B; D", "A6": "A; B; C"}


# -- flags ------------------------------------------------------------------------------

def test_flags_at_the_ninetieth_percentile(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                           grid_settings: AnalysisSettings) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings)
    # (r - 1) / 8 >= 0.9 only for r = 9: the area with most need per indicator.
    assert result.flags.sum().to_dict() == {"lag_ek": 1, "brott": 1, "behoriga": 1,
                                            "franvaro": 1}
    assert result.flags.loc["A9"].tolist() == [True, False, True, True]
    assert result.flags.loc["A1"].tolist() == [False, True, False, False]
    assert result.percentiles["behoriga"].to_numpy() == pytest.approx((IX - 1) / 8, **TIGHT)
    assert result.flags.dtypes.eq(bool).all()


def test_flags_include_values_at_the_threshold(grid_table: pd.DataFrame,
                                               grid_catalogue: Catalogue,
                                               grid_settings: AnalysisSettings) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings, flag_threshold=0.875)   # = 7/8
    assert result.flags["lag_ek"][result.flags["lag_ek"]].index.tolist() == ["A8", "A9"]
    assert result.flags["brott"][result.flags["brott"]].index.tolist() == ["A1", "A2"]


def test_tied_values_take_the_lowest_rank_for_flags(
        plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola")
    table = _plain_table(a=[1.0, 2.0, 3.0, 3.0])          # percentile ranks 0, 1/3, 2/3, 2/3
    at_08 = rank_areas(table, catalogue, AnalysisSettings.create({"a": 1}, flag_threshold=0.8))
    assert not at_08.flags["a"].any()                     # an average rank (5/6) would flag
    at_06 = rank_areas(table, catalogue, AnalysisSettings.create({"a": 1}, flag_threshold=0.6))
    assert at_06.flags["a"].tolist() == [False, False, True, True]


def test_flags_follow_the_direction(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                    grid_settings: AnalysisSettings) -> None:
    result = _rank(grid_table, grid_catalogue, grid_settings)
    # behoriga is lowest (10 %) in A9: lowest share of eligible pupils = most need.
    assert result.flagged("A9")[1].indicator.id == "behoriga"
    assert result.flagged("A9")[1].value == pytest.approx(10.0)


# -- missing values ---------------------------------------------------------------------

@pytest.fixture
def gappy(grid_table: pd.DataFrame) -> pd.DataFrame:
    """The grid without franvaro for A9 and without the crime count for A1."""
    table = grid_table.astype(object)
    table.loc[8, "franvaro"] = None
    table.loc[0, "anmalda_brott"] = ""
    return table


def test_reweight_renormalises_weights_per_area(gappy: pd.DataFrame, grid_catalogue: Catalogue,
                                                grid_settings: AnalysisSettings) -> None:
    result = rank_areas(gappy, grid_catalogue, grid_settings)
    # franvaro over A1..A8 (2..16): (i - 1) / 7 x 100; brott over A2..A9 (8..1).
    assert result.normalised["franvaro"]["A8"] == pytest.approx(100.0, **TIGHT)
    assert result.normalised["brott"]["A2"] == pytest.approx(100.0, **TIGHT)
    # A9: socioekonomi 100, skola = behoriga alone = 100, kriminalitet 0.
    assert result.score["A9"] == pytest.approx(200 / 3, **TIGHT)
    # A8: 87.5, (87.5 + 100) / 2, brott second lowest of 8 = 100/7.
    assert result.score["A8"] == pytest.approx((87.5 + 93.75 + 100 / 7) / 3, **TIGHT)
    # A1 has no kriminalitet: the mean of socioekonomi (0) and skola (0).
    assert result.score["A1"] == pytest.approx(0.0, **TIGHT)
    assert np.isnan(result.domain_scores.at["A1", "kriminalitet"])
    assert result.weights.loc["A9"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0.0],
                                                              **TIGHT)
    assert result.weights.loc["A1"].tolist() == pytest.approx([1 / 2, 0.0, 1 / 4, 1 / 4],
                                                              **TIGHT)
    assert result.contributions.at["A9", "franvaro"] == 0.0
    assert not result.flags.at["A9", "franvaro"]
    assert result.rank[["A9", "A8"]].tolist() == [1.0, 2.0]
    summary = result.summary().set_index("area_id")
    assert summary["missing_count"].to_dict() == {a: int(a in ("A1", "A9")) for a in GRID}


def test_missing_policy_error_names_every_gap(gappy: pd.DataFrame, grid_catalogue: Catalogue,
                                              grid_settings: AnalysisSettings) -> None:
    with pytest.raises(IndicatorTableError, match=r"^Fel i indikatortabellen: 2 problem\.\n") \
            as info:
        rank_areas(gappy, grid_catalogue, grid_settings.with_changes(missing="error"),
                   source="gles.csv")
    assert str(info.value) == (
        "Fel i indikatortabellen: 2 problem.\n"
        "1. fil 'gles.csv', kolumn 'brott': värden saknas för 'brott' och valet för saknade "
        "värden är 'error'. Värden: 'A1'. Åtgärd: komplettera värdena eller välj 'reweight'.\n"
        "2. fil 'gles.csv', kolumn 'franvaro': värden saknas för 'franvaro' och valet för "
        "saknade värden är 'error'. Värden: 'A9'. Åtgärd: komplettera värdena eller välj "
        "'reweight'.")


def test_missing_policy_error_accepts_complete_data(grid_table: pd.DataFrame,
                                                    grid_catalogue: Catalogue,
                                                    grid_settings: AnalysisSettings) -> None:
    strict = _rank(grid_table, grid_catalogue, grid_settings, missing="error")
    loose = _rank(grid_table, grid_catalogue, grid_settings)
    pd.testing.assert_series_equal(strict.score, loose.score)


def test_missing_policy_error_shows_five_areas(grid_table: pd.DataFrame,
                                               grid_catalogue: Catalogue,
                                               grid_settings: AnalysisSettings) -> None:
    table = grid_table.astype(object)
    table.loc[1:7, "franvaro"] = None
    with pytest.raises(IndicatorTableError, match=re.escape(
            "Värden: 'A2', 'A3', 'A4', 'A5', 'A6' (och 2 till).")):
        _rank(table, grid_catalogue, grid_settings, missing="error")


# -- errors raised by the ranking itself ------------------------------------------------

def test_missing_columns_for_a_selected_indicator(grid_table: pd.DataFrame,
                                                  grid_catalogue: Catalogue,
                                                  grid_settings: AnalysisSettings) -> None:
    table = grid_table.drop(columns=["anmalda_brott", "invanare", "franvaro"])
    with pytest.raises(IndicatorTableError, match=r"^Fel i indikatortabellen: 2 problem\.\n") \
            as info:
        rank_areas(table, grid_catalogue, grid_settings, source="tabell.csv")
    assert str(info.value) == (
        "Fel i indikatortabellen: 2 problem.\n"
        "1. fil 'tabell.csv', kolumn 'anmalda_brott, invanare': indikatorn 'brott' (Anmälda "
        "brott) kan inte beräknas: kolumner saknas. Värden: 'anmalda_brott', 'invanare'. "
        "Åtgärd: lägg till kolumnerna eller välj bort indikatorn.\n"
        "2. fil 'tabell.csv', kolumn 'franvaro': indikatorn 'franvaro' (Hög frånvaro) kan "
        "inte beräknas: kolumner saknas. Värden: 'franvaro'. Åtgärd: lägg till kolumnerna "
        "eller välj bort indikatorn.")


def test_indicator_without_any_value(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                     grid_settings: AnalysisSettings) -> None:
    table = grid_table.assign(franvaro="", elever="")
    with pytest.raises(IndicatorTableError, match=re.escape(
            "Fel i indikatortabellen: fil 'indikatortabell': indikatorerna saknar värden för "
            "alla områden. Värden: 'behoriga', 'franvaro'. Åtgärd: välj bort dem eller "
            "komplettera tabellen.")):
        rank_areas(table, grid_catalogue, grid_settings)


def test_settings_are_checked_against_the_catalogue(grid_table: pd.DataFrame,
                                                    grid_catalogue: Catalogue) -> None:
    with pytest.raises(SettingsError, match="indikatorerna finns inte i katalogen. "
                                            "Värden: 'vald'"):
        rank_areas(grid_table, grid_catalogue, AnalysisSettings.create({"vald": 1}))


def test_table_errors_name_the_source(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                      grid_settings: AnalysisSettings) -> None:
    table = grid_table.astype(object)
    table.loc[0, "barn"] = "många"
    with pytest.raises(IndicatorTableError, match=r"^Fel i indikatortabellen: fil 'min\.csv', "
                                                  r"kolumn 'barn': värden som inte är tal"):
        rank_areas(table, grid_catalogue, grid_settings, source="min.csv")


# -- views ------------------------------------------------------------------------------

def test_summary_columns_values_and_order(weighted: RankingResult) -> None:
    summary = weighted.summary()
    assert summary.columns.tolist() == [
        "area_id", "rank", "score", "domain_kriminalitet", "domain_socioekonomi",
        "domain_skola", "flag_count", "missing_count", "top_contributors"]
    assert summary["area_id"].tolist() == GRID[::-1]
    assert summary.index.tolist() == list(range(9))
    assert summary["rank"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert summary["score"].to_numpy() == pytest.approx(((100 + P) / 3)[::-1], **TIGHT)
    assert summary["domain_skola"].to_numpy() == pytest.approx(P[::-1], **TIGHT)
    assert summary["flag_count"].tolist() == [3, 0, 0, 0, 0, 0, 0, 0, 1]
    assert summary["missing_count"].tolist() == [0] * 9
    assert summary["flag_count"].dtype == np.int64
    first = summary.iloc[0]["top_contributors"]
    assert first == "Barn i hushåll med låg ekonomisk standard; Hög frånvaro; " \
                    "Behöriga till gymnasiet"
    assert summary.set_index("area_id").loc["A5", "top_contributors"] == ""
    assert summary.set_index("area_id").loc["A1", "top_contributors"] == "Anmälda brott"


def test_profile(weighted: RankingResult) -> None:
    p = weighted.profile("A9")
    assert isinstance(p, AreaProfile)
    assert (p.area_id, p.rank, p.n_areas) == ("A9", 1.0, 9)
    assert p.score == pytest.approx(200 / 3, **TIGHT)
    assert p.domain_scores.to_dict() == pytest.approx(
        {"kriminalitet": 0.0, "socioekonomi": 100.0, "skola": 100.0}, **TIGHT)
    assert p.domain_means.to_dict() == pytest.approx(
        {"kriminalitet": 50.0, "socioekonomi": 50.0, "skola": 50.0}, **TIGHT)
    assert [c.indicator.id for c in p.top_contributors] == ["lag_ek", "franvaro", "behoriga"]
    assert [c.indicator.id for c in p.flags] == ["lag_ek", "behoriga", "franvaro"]
    assert p.missing == ()


def test_profile_lists_missing_indicators(gappy: pd.DataFrame, grid_catalogue: Catalogue,
                                          grid_settings: AnalysisSettings) -> None:
    result = rank_areas(gappy, grid_catalogue, grid_settings)
    assert [i.id for i in result.profile("A1").missing] == ["brott"]
    assert [i.id for i in result.profile("A9").missing] == ["franvaro"]


def test_profile_of_an_unknown_area(weighted: RankingResult) -> None:
    with pytest.raises(KeyError, match="området 'B1' finns inte i resultatet"):
        weighted.profile("B1")


def test_method_summary(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                        grid_settings: AnalysisSettings) -> None:
    text = _rank(grid_table, grid_catalogue, grid_settings,
                 domain_weights=(("kriminalitet", 2.0),)).method_summary()
    assert text == (
        "4 indikatorer i 3 domäner. Normalisering: Percentilrang, med riktning så att högre "
        "betyder större behov. Sammanvägning: Aritmetiskt medelvärde (kompenserande), först "
        "inom domäner och sedan mellan domäner med vikterna Kriminalitet (2), "
        "Socioekonomiska riskfaktorer (1), Skola (1). Rang 1 = störst behov; lika poäng delar "
        "bästa rang. Flagga: områdets percentilrang ≥ 90% för indikatorn.")


def test_method_summary_leaves_out_domains_of_weight_zero(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue,
        grid_settings: AnalysisSettings) -> None:
    text = _rank(grid_table, grid_catalogue, grid_settings,
                 domain_weights=(("skola", 0.0),)).method_summary()
    assert text.startswith("2 indikatorer i 2 domäner.")
    assert "med vikterna Kriminalitet (1), Socioekonomiska riskfaktorer (1). Rang" in text


@pytest.mark.parametrize(("normalisation", "label"), [
    ("zscore", "z-poäng (standardiserat värde)"), ("minmax", "Min–max (0–100)")])
def test_method_summary_of_mpi_with_missing_values(
        gappy: pd.DataFrame, grid_catalogue: Catalogue, grid_settings: AnalysisSettings,
        normalisation: str, label: str) -> None:
    text = rank_areas(gappy, grid_catalogue, grid_settings.with_changes(
        normalisation=normalisation, aggregation="mpi",
        flag_threshold=0.95)).method_summary()
    assert f"Normalisering: {label}," in text
    assert "Sammanvägning: Mazziotta–Pareto (MPI+): ojämnt höga behov späds inte ut," in text
    assert "≥ 95% för indikatorn." in text
    assert text.endswith(
        " Mellan domäner: varje domänpoäng standardiseras till medelvärde 100 och "
        "standardavvikelse 10 över de rangordnade områdena, och poängen är medelvärdet plus "
        "ett tillägg som växer med skillnaden mellan områdets domäner (MPI+), så att ett "
        "högt behov i en domän inte späds ut av ett lågt i en annan."
        " Saknade värden: vikterna fördelas om bland områdets övriga indikatorer.")



# -- minimum coverage ("otillräckliga data") ------------------------------------------------

def _coverage_table() -> pd.DataFrame:
    """Five indicators of one domain at weight 1 (a fifth of the weight each): A1 has two
    (40 % of the weight), A2 three (60 %), the others all five."""
    rows = {
        "a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "b": [6.0, 1.0, 5.0, 2.0, 4.0, 3.0],
        "c": [NAN, 3.0, 1.0, 6.0, 2.0, 5.0],
        "d": [NAN, NAN, 2.0, 3.0, 6.0, 1.0],
        "e": [NAN, NAN, 6.0, 1.0, 3.0, 4.0],
    }
    return _plain_table(**rows)


@pytest.mark.parametrize("aggregation", ["arithmetic", "mpi"])
def test_an_area_with_40_percent_of_its_weight_is_not_ranked(
        plain_catalogue: Callable[..., Catalogue], aggregation: str) -> None:
    catalogue = plain_catalogue(a="skola", b="skola", c="skola", d="skola", e="skola")
    settings = AnalysisSettings.create(dict.fromkeys("abcde", 1.0), aggregation=aggregation)
    assert settings.small_numbers.min_coverage == 0.5
    result = rank_areas(_coverage_table(), catalogue, settings)
    assert result.coverage.tolist() == pytest.approx([0.4, 0.6, 1.0, 1.0, 1.0, 1.0], abs=1e-12)
    assert np.isnan(result.score["A1"]) and np.isnan(result.rank["A1"])
    assert result.rank.drop("A1").notna().all()
    assert sorted(result.rank.dropna().tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert result.insufficient.to_dict() == pytest.approx({"A1": 0.4})
    assert result.weights.loc["A1"].eq(0).all() and result.contributions.loc["A1"].eq(0).all()
    # A1's values still count in the normalisation of the others (six values of a).
    assert result.normalised["a"].notna().sum() == 6
    note = ("Otillräckliga data: 1 område har värden för mindre än 50 % av indikatorernas "
            "vikt och rangordnas inte: A1 (40 %).")
    assert result.coverage_note() == note
    assert result.method_summary().endswith(" " + note)
    assert result.summary()["area_id"].iloc[-1] == "A1"


def test_min_coverage_zero_ranks_every_area_with_a_value(
        plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="skola", c="skola", d="skola", e="skola")
    weights = dict.fromkeys("abcde", 1.0)
    table = _coverage_table()
    everyone = rank_areas(table, catalogue, AnalysisSettings.create(weights, min_coverage=0))
    assert everyone.rank.notna().all() and everyone.coverage_note() == ""
    strict = rank_areas(table, catalogue, AnalysisSettings.create(weights, min_coverage=0.7))
    assert strict.insufficient.index.tolist() == ["A1", "A2"]
    # The ranked areas keep the scores they have when every area is ranked (arithmetic):
    # the rule only leaves areas out.
    assert strict.score.dropna().to_numpy() == pytest.approx(
        everyone.score[strict.score.notna()].to_numpy(), abs=1e-12)


def test_coverage_follows_the_domain_weights(plain_catalogue: Callable[..., Catalogue]) -> None:
    """Coverage is the share of the nominal weight: domain share x share within the domain.
    A1 misses the one indicator of a domain weighing 3 of 4: 25 % present."""
    catalogue = plain_catalogue(a="skola", b="skola", c="kriminalitet")
    table = _plain_table(a=[1.0, 2.0, 3.0], b=[2.0, 1.0, 3.0], c=[NAN, 1.0, 2.0])
    settings = AnalysisSettings.create({"a": 1.0, "b": 1.0, "c": 1.0}, {"kriminalitet": 3.0})
    result = rank_areas(table, catalogue, settings)
    assert result.coverage.tolist() == pytest.approx([0.25, 1.0, 1.0], abs=1e-12)
    assert result.rank.isna().tolist() == [True, False, False]
