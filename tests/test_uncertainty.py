"""Monte Carlo rank intervals (indicators/uncertainty.py) on constructed tables and the demo.

Exact checks where the answer is known: without variation every draw is rank_areas'
ranking; identical areas get identical distributions; the quantiles and P(top k) agree
with the rank counts; P(top k) sums to k. Statistical checks use fixed seeds and margins
far from the observed values, so they cannot flicker.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import read_catalogue, read_indicator_table, read_settings
from indicators import uncertainty
from indicators.catalogue import CATALOGUE_COLUMNS, Catalogue, validate_catalogue
from indicators.columns import AREA_ID
from indicators.errors import PrevmapError, SettingsError
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings
from indicators.uncertainty import (
    RankUncertainty,
    UncertaintyOptions,
    competition_ranks,
    composite_scores,
    monte_carlo_stage,
    rank_uncertainty,
)

DATA = Path(__file__).resolve().parents[1] / "data"
NORMALISATIONS = ("zscore", "percentile", "minmax")
AGGREGATIONS = ("arithmetic", "mpi")
FIXED = UncertaintyOptions(draws=20, vary_weights=False, vary_normalisation=False,
                           vary_aggregation=False, data_noise=False)
NOISE_ONLY = dict(vary_weights=False, vary_normalisation=False, vary_aggregation=False)


# -- helpers ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, Catalogue]:
    return (read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv"),
            read_catalogue(DATA / "indicator_catalogue.csv"))


@pytest.fixture(scope="module", params=["bred_prevention", "kriminalitet"])
def profile(request: pytest.FixtureRequest) -> AnalysisSettings:
    """Equal weights in six domains, and unequal weights with two domains at weight 0."""
    return read_settings(DATA / "profiles" / f"{request.param}.toml")


def rate_catalogue(**indicators: str) -> Catalogue:
    """Rate indicators ``id="domain:per"`` with columns ``<id>_n`` over ``<id>_d``."""
    rows = []
    for ind_id, spec in indicators.items():
        domain, _, per = spec.partition(":")
        rows.append({"id": ind_id, "name": f"Indikator {ind_id}", "domain": domain,
                     "direction": "1", "unit": "%", "per": per or "100",
                     "numerator": f"{ind_id}_n", "denominator": f"{ind_id}_d",
                     "source": "Test", "level": "område"})
    return validate_catalogue(pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS)))


def rate_table(ids: list[str], **counts: tuple[list[float], list[float]]) -> pd.DataFrame:
    """``counts[ind] = (numerators, denominators)`` per area."""
    table = {AREA_ID: ids}
    for ind_id, (num, den) in counts.items():
        table[f"{ind_id}_n"], table[f"{ind_id}_d"] = num, den
    return pd.DataFrame(table)


def equal_weights(catalogue: Catalogue, **options: object) -> AnalysisSettings:
    return AnalysisSettings.create({i: 1.0 for i in catalogue}, **options)


def quantile_from_counts(counts: pd.Series, q: float) -> float:
    ranks = np.repeat(counts.index.to_numpy(), counts.to_numpy())
    return float(np.quantile(ranks, q, method="inverted_cdf"))


# -- the result ---------------------------------------------------------------------------

def test_an_area_far_ahead_is_first_in_every_draw() -> None:
    catalogue = rate_catalogue(a="socioekonomi", b="kriminalitet:1000", c="skola")
    ids = [f"A{i}" for i in range(10)]
    others = [50, 60, 70, 80, 90, 55, 65, 75, 85]
    table = rate_table(ids, a=([500, *others], [1000] * 10),
                       b=([200, *[o // 5 for o in others]], [1000] * 10),
                       c=([600, *others], [1000] * 10))
    result = rank_uncertainty(table, catalogue, equal_weights(catalogue),
                              UncertaintyOptions(draws=500, top_k=1))
    assert (result.median_rank["A0"], result.rank_low["A0"], result.rank_high["A0"]) == (1, 1, 1)
    assert result.p_top_k["A0"] == 1.0
    assert result.p_top_k.drop("A0").max() == 0.0
    assert (result.rank_high - result.rank_low).drop("A0").min() >= 1   # the rest do move
    assert "hör till det område (av 10) som har störst behov" in result.method_text()


def test_identical_areas_get_identical_distributions(demo) -> None:
    table, catalogue = demo
    twin = table.iloc[[5]].assign(**{AREA_ID: "0126R999"})
    table = pd.concat([table, twin], ignore_index=True)
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    result = rank_uncertainty(table, catalogue, settings,
                              UncertaintyOptions(draws=400, data_noise=False))
    a, b = table[AREA_ID].iloc[5], "0126R999"
    summary = result.summary()
    pd.testing.assert_series_equal(summary.loc[a], summary.loc[b], check_names=False)
    assert result.rank_counts is not None
    assert result.rank_counts.loc[a].tolist() == result.rank_counts.loc[b].tolist()
    # They tie in every draw, so they never take the rank just below their shared one.
    assert result.rank_low[a] < result.rank_high[a]


def test_a_small_area_varies_more_than_a_big_one_with_the_same_rate() -> None:
    catalogue = rate_catalogue(a="socioekonomi")
    # Reference areas 5.5 %, 6 %, ..., 10 % with large denominators; 'small' and 'big'
    # both 3/40 = 3000/40000 = 7.5 %.
    refs = [f"R{i}" for i in range(10)]
    table = rate_table([*refs, "small", "big"],
                       a=([550 + 50 * i for i in range(10)] + [3, 3000],
                          [10000] * 10 + [40, 40000]))
    result = rank_uncertainty(table, catalogue, equal_weights(catalogue),
                              UncertaintyOptions(draws=2000, **NOISE_ONLY))
    width = result.rank_high - result.rank_low
    assert width["small"] >= 8          # 3 of 40 is anything from about 0 to 7 of 40
    assert width["big"] <= 2
    assert width["small"] > 3 * width["big"]
    assert result.noise_replicates == 2000
    assert result.noisy_indicators == ("Indikator a",)
    text = rank_uncertainty(table, catalogue, equal_weights(catalogue),
                            UncertaintyOptions(draws=10)).method_text()
    assert "Vikterna hölls fasta" in text        # one indicator: nothing to vary
    assert "P(topp 2) är andelen dragningar där området hör till de 2 områden (av 12)" in text


@pytest.mark.parametrize(("per", "bound"), [("100", 100.0), ("1000", math.inf)])
def test_shares_are_beta_and_rates_gamma(per: str, bound: float) -> None:
    """40 of 40 is uncertain too (Jeffreys posterior): as a share (beta) it varies below
    100 % and never above; as events per 1 000 (gamma) on both sides of 1 000. Either
    way it falls below the references at 95-99 % in some draws."""
    catalogue = rate_catalogue(a=f"socioekonomi:{per}")
    refs = [f"R{i}" for i in range(5)]
    table = rate_table([*refs, "full"], a=([95000 + 1000 * i for i in range(5)] + [40],
                                           [100000] * 5 + [40]))
    options = UncertaintyOptions(draws=400, **NOISE_ONLY)
    result = rank_uncertainty(table, catalogue, equal_weights(catalogue), options)
    assert result.rank_low["full"] == 1
    assert result.rank_high["full"] > 1
    assert result.rank_high[refs].tolist() == [6, 5, 4, 3, 2]   # big: no more than one place
    assert (result.rank_high - result.rank_low)[refs].max() <= 1
    stage = monte_carlo_stage(rank_areas(table, catalogue, equal_weights(catalogue)),
                              catalogue, options)
    full = stage.draws.noise[:, stage.model.cells == stage.model.n - 1].ravel()
    top = float(per)                                             # 40 of 40
    assert full.max() <= bound and full.max() > (top if bound == math.inf else 0.99 * top)


def test_reproducible_with_the_seed_and_different_with_another() -> None:
    table, catalogue = (read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv"),
                        read_catalogue(DATA / "indicator_catalogue.csv"))
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    options = UncertaintyOptions(draws=300, seed=11)
    first = rank_uncertainty(table, catalogue, settings, options)
    again = rank_uncertainty(table, catalogue, settings, options)
    other = rank_uncertainty(table, catalogue, settings,
                             UncertaintyOptions(draws=300, seed=12))
    pd.testing.assert_frame_equal(first.summary(), again.summary())
    pd.testing.assert_frame_equal(first.rank_counts, again.rank_counts)
    assert not first.rank_counts.equals(other.rank_counts)
    assert (first.rank_counts.to_numpy() != other.rank_counts.to_numpy()).sum() > 20


def test_shared_noise_replicates_are_shared(demo) -> None:
    """With one noisy data set and nothing else varied every draw is the same ranking."""
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    one = rank_uncertainty(table, catalogue, settings,
                           UncertaintyOptions(draws=50, noise_replicates=1, **NOISE_ONLY))
    assert one.noise_replicates == 1
    assert one.rank_low.equals(one.rank_high)
    assert sorted(one.median_rank) == list(range(1, 23))
    many = rank_uncertainty(table, catalogue, settings,
                            UncertaintyOptions(draws=50, noise_replicates=10, **NOISE_ONLY))
    assert (many.rank_high - many.rank_low).max() > 0
    assert "10 uppsättningar" in many.method_text()
    assert "uppsättningar" not in rank_uncertainty(
        table, catalogue, settings, UncertaintyOptions(draws=50)).method_text()


def _assert_same_uncertainty(a: RankUncertainty, b: RankUncertainty) -> None:
    pd.testing.assert_frame_equal(a.summary(), b.summary(), check_exact=True)
    pd.testing.assert_frame_equal(a.rank_counts, b.rank_counts, check_exact=True)
    assert (a.top_k, a.n_areas, a.noise_replicates, a.noisy_indicators, a.fixed_indicators,
            a.weights_vary) == (b.top_k, b.n_areas, b.noise_replicates, b.noisy_indicators,
                                b.fixed_indicators, b.weights_vary)


def test_a_ranking_already_made_gives_the_same_result(demo, profile) -> None:
    # assess passes its ranking so that the table is not validated and ranked twice.
    table, catalogue = demo
    table = table.copy()
    table.loc[3, "elever_hog_franvaro"] = None                   # a gap: reweighting
    options = UncertaintyOptions(draws=200, seed=3)
    ranking = rank_areas(table, catalogue, profile, source="demo")
    given = rank_uncertainty(table, catalogue, profile, options, source="demo",
                             ranking=ranking)
    _assert_same_uncertainty(given, rank_uncertainty(table, catalogue, profile, options,
                                                     source="demo"))


def test_a_ranking_of_something_else_is_refused(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    ranking = rank_areas(table, catalogue, settings)
    options = UncertaintyOptions(draws=20)
    for args in ((table.copy(), catalogue, settings),
                 (table, catalogue, settings.with_changes(normalisation="minmax"))):
        with pytest.raises(ValueError, match="same table"):
            rank_uncertainty(*args, options, ranking=ranking)
    with pytest.raises(ValueError, match="same table"):
        rank_uncertainty(table, catalogue, settings, options, source="annan",
                         ranking=ranking)


# -- exactness against rank_areas -------------------------------------------------------------

@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("normalisation", NORMALISATIONS)
def test_core_scores_equal_rank_areas(demo, profile, normalisation, aggregation) -> None:
    table, catalogue = demo
    settings = profile.with_changes(normalisation=normalisation, aggregation=aggregation)
    expected = rank_areas(table, catalogue, settings)
    if "hog_franvaro" in settings.indicators:            # the demo's one missing value
        assert expected.values["hog_franvaro"].isna().sum() == 1
    got = composite_scores(table, catalogue, settings)
    assert got.index.equals(expected.score.index)
    assert got.to_numpy() == pytest.approx(expected.score.to_numpy(), abs=1e-9, nan_ok=True)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("normalisation", NORMALISATIONS)
def test_without_variation_every_draw_is_rank_areas(demo, profile, normalisation,
                                                     aggregation) -> None:
    table, catalogue = demo
    settings = profile.with_changes(normalisation=normalisation, aggregation=aggregation)
    rank = rank_areas(table, catalogue, settings).rank
    for options in (FIXED, UncertaintyOptions(draws=20, concentration=math.inf,
                                              vary_normalisation=False,
                                              vary_aggregation=False, data_noise=False)):
        result = rank_uncertainty(table, catalogue, settings, options)
        for series in (result.median_rank, result.rank_low, result.rank_high):
            pd.testing.assert_series_equal(series, rank, check_names=False)
        assert result.p_top_k.tolist() == (rank <= result.top_k).astype(float).tolist()
        assert result.rank_counts.max(axis=1).eq(20).all()


def test_ties_and_constant_columns_are_normalised_as_rank_areas(
        plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="skola:-1", c="kriminalitet", d="missbruk")
    table = pd.DataFrame({AREA_ID: [f"A{i}" for i in range(7)],
                          "a": [1.0, 2.0, 2.0, 2.0, 5.0, float("nan"), 1.0],
                          "b": [3.0, 3.0, 1.0, 0.0, 3.0, 2.0, 1.0],
                          "c": [4.0] * 7,                       # constant: neutral
                          "d": [float("nan")] * 6 + [7.0]})    # one value: neutral
    for normalisation in NORMALISATIONS:
        for aggregation in AGGREGATIONS:
            settings = AnalysisSettings.create({"a": 2.0, "b": 1.0, "c": 1.0, "d": 1.0},
                                               {"kriminalitet": 3.0},
                                               normalisation=normalisation,
                                               aggregation=aggregation)
            expected = rank_areas(table, catalogue, settings)
            got = composite_scores(table, catalogue, settings)
            assert got.to_numpy() == pytest.approx(expected.score.to_numpy(), abs=1e-9)
            result = rank_uncertainty(table, catalogue, settings, FIXED)
            pd.testing.assert_series_equal(result.median_rank, expected.rank,
                                           check_names=False)


def test_many_missingness_patterns(plain_catalogue: Callable[..., Catalogue]) -> None:
    """More than 32 patterns of missing values: the gathering path of the scores."""
    specs = dict(a="skola", b="skola", c="missbruk", d="missbruk", e="kriminalitet",
                 f="socioekonomi", g="socioekonomi")
    catalogue = plain_catalogue(**specs)
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, size=(120, len(specs)))
    values[rng.random(values.shape) < 0.3] = np.nan
    table = pd.DataFrame(values, columns=list(specs)).assign(
        **{AREA_ID: [f"A{i}" for i in range(120)]})
    assert len({tuple(row) for row in np.isnan(values)}) > 32
    for aggregation in AGGREGATIONS:
        settings = AnalysisSettings.create({i: 1.0 + k for k, i in enumerate(specs)},
                                           normalisation="percentile",
                                           aggregation=aggregation)
        expected = rank_areas(table, catalogue, settings)
        got = composite_scores(table, catalogue, settings)
        assert got.to_numpy() == pytest.approx(expected.score.to_numpy(), abs=1e-9,
                                               nan_ok=True)
        result = rank_uncertainty(table, catalogue, settings, FIXED)
        pd.testing.assert_series_equal(result.median_rank, expected.rank, check_names=False)


def test_result_does_not_depend_on_batches_or_threads(demo, monkeypatch) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    options = UncertaintyOptions(draws=240, noise_replicates=7)
    expected = rank_uncertainty(table, catalogue, settings, options)
    with ThreadPoolExecutor(max_workers=4) as pool:
        with monkeypatch.context() as patch:
            patch.setattr(uncertainty, "_MIN_BATCH_CELLS", 1)   # 16 batches, 16 tasks
            threaded = rank_uncertainty(table, catalogue, settings, options, mapper=pool.map)
        monkeypatch.setattr(uncertainty, "_SCORE_CELLS", 22 * 16)    # batches of 16 draws
        monkeypatch.setattr(uncertainty, "_VALUE_CELLS", 22 * 15 * 2)
        small_threaded = rank_uncertainty(table, catalogue, settings, options,
                                          mapper=pool.map)
    monkeypatch.setattr(uncertainty, "PARALLEL_BATCHES", 1)
    small = rank_uncertainty(table, catalogue, settings, options)
    for got in (threaded, small_threaded, small):
        pd.testing.assert_frame_equal(got.rank_counts, expected.rank_counts, check_exact=True)
        pd.testing.assert_frame_equal(got.summary(), expected.summary(), check_exact=True)


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("noise", [{}, {"noise_replicates": 45}, {"data_noise": False}])
def test_tasks_and_stacks_score_bit_for_bit_as_one_segment_at_a_time(demo, monkeypatch,
                                                                     aggregation, noise) -> None:
    """A task of several batches (as rank_uncertainty runs them) scores its segments
    (draws of one noisy data set and method) of the same method and length as stacks,
    one matrix product per stack; every score must have the bits of scoring each batch
    alone and in it each segment alone (``_STACK_CELLS`` 1: a stack of one, which is the
    product per segment of the code before stacking). Every draw its own data set
    (segments of one draw), 45 data sets for 150 draws (segments of several), and no
    noise (segments of many draws, cut where a batch ends)."""
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml").with_changes(
        aggregation=aggregation)
    options = UncertaintyOptions(draws=150, **noise)
    ranking = rank_areas(table, catalogue, settings)
    model = uncertainty._weighted(uncertainty._ranked_model(ranking, catalogue, options, ()),
                                  settings)
    plan = uncertainty._plan(model, options, uncertainty._draws(model, options, map))
    batches = uncertainty._batches(model, plan)
    tasks = uncertainty._tasks(model, batches)
    assert len(tasks) < len(batches)      # one task of every batch: cut where they end
    stacked = np.concatenate([uncertainty._batch_scores(
        model, plan, task[0][0], task[-1][1], cuts=[d0 for d0, _ in task[1:]])
        for task in tasks])
    monkeypatch.setattr(uncertainty, "_STACK_CELLS", 1)
    alone = np.concatenate([uncertainty._batch_scores(model, plan, d0, d1)
                            for d0, d1 in batches])
    assert np.isfinite(stacked).any() and stacked.tobytes() == alone.tobytes()


def test_areas_without_values_have_no_rank(plain_catalogue: Callable[..., Catalogue]) -> None:
    catalogue = plain_catalogue(a="skola", b="missbruk")
    table = pd.DataFrame({AREA_ID: ["A", "B", "C", "D"], "a": [1.0, None, 3.0, 2.0],
                          "b": [2.0, None, 1.0, None]})
    settings = AnalysisSettings.create({"a": 1.0, "b": 1.0})
    result = rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=50))
    assert result.median_rank.index.tolist() == ["A", "B", "C", "D"]
    assert result.n_areas == 3 and result.top_k == 1
    for series in (result.median_rank, result.rank_low, result.rank_high, result.p_top_k):
        assert math.isnan(series["B"]) and series.drop("B").notna().all()
    assert result.rank_counts.index.tolist() == ["A", "C", "D"]
    assert result.rank_counts.columns.tolist() == [1, 2, 3]
    assert "inget slumpbrus" in result.method_text()


# -- the statistics -----------------------------------------------------------------------

def test_quantiles_and_p_top_k_follow_the_rank_counts(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "kriminalitet.toml")
    result = rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=301))
    counts = result.rank_counts
    assert counts.sum(axis=1).eq(301).all()
    assert counts.sum(axis=0).eq(301).all()             # every rank once per draw, no ties
    for area, row in counts.iterrows():
        assert result.rank_low[area] == quantile_from_counts(row, 0.05)
        assert result.median_rank[area] == quantile_from_counts(row, 0.5)
        assert result.rank_high[area] == quantile_from_counts(row, 0.95)
        assert result.p_top_k[area] == row.loc[:result.top_k].sum() / 301


def test_top_k_default_and_p_top_k_sums_to_k(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    result = rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=500))
    assert result.n_areas == 22 and result.top_k == round(22 / 5) == 4
    assert result.p_top_k.sum() == pytest.approx(4, abs=1e-9)
    assert result.p_top_k.between(0, 1).all()
    assert (result.rank_low <= result.median_rank).all()
    assert (result.median_rank <= result.rank_high).all()
    chosen = rank_uncertainty(table, catalogue, settings,
                              UncertaintyOptions(draws=200, top_k=7))
    assert chosen.top_k == 7 and chosen.p_top_k.sum() == pytest.approx(7, abs=1e-9)
    eight = rank_uncertainty(table.iloc[:8], catalogue, settings,
                             UncertaintyOptions(draws=50))
    assert eight.top_k == round(8 / 5) == 2


def test_options_from_the_settings(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    saved = settings.with_changes(draws=120, seed=5, concentration=10.0, top_k=3,
                                  vary_aggregation=False)
    options = saved.uncertainty
    assert (options.draws, options.seed, options.concentration, options.top_k,
            options.vary_aggregation, options.vary_normalisation) == (120, 5, 10.0, 3,
                                                                      False, True)
    assert settings.uncertainty == UncertaintyOptions()
    result = rank_uncertainty(table, catalogue, saved)
    assert (result.draws, result.top_k, result.options) == (120, 3, options)


def test_method_text_names_what_was_done(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    text = rank_uncertainty(table, catalogue, settings,
                            UncertaintyOptions(draws=1000, seed=42)).method_text()
    for part in ("1\u202f000 Monte Carlo-dragningar", "slumpfrö 42", "Dirichlet",
                 "koncentration 50", "normaliseringen", "MPI+", "Jeffreys",
                 "betafördelning för andelar", "gammafördelning för antal per 1 000",
                 "även 0 av 40 varierar", "P(topp 4)", "5:e till 95:e percentilen",
                 "9 decimaler"):
        assert part in text, part
    assert "\n" not in text
    fixed = rank_uncertainty(table, catalogue, settings, FIXED).method_text()
    assert "Vikterna, normaliseringen, sammanvägningen och indikatorvärdena hölls fasta" in fixed
    assert "Dirichlet" not in fixed


def test_indicators_without_counts_are_named(plain_catalogue) -> None:
    rates = rate_catalogue(a="skola")
    plain = plain_catalogue(franvaro="skola")
    catalogue = Catalogue(rates.indicators + plain.indicators)
    table = rate_table(["A", "B", "C"], a=([1, 2, 3], [10, 10, 10])).assign(
        franvaro=[1.0, 3.0, 2.0])
    result = rank_uncertainty(table, catalogue, equal_weights(catalogue),
                              UncertaintyOptions(draws=30))
    assert result.noisy_indicators == ("Indikator a",)
    assert result.fixed_indicators == ("Franvaro",)
    assert "Indikatorer utan antal har inget slumpbrus: Franvaro." in result.method_text()


def test_rank_counts_only_for_small_tables(plain_catalogue) -> None:
    catalogue = plain_catalogue(a="skola")
    table = pd.DataFrame({AREA_ID: [f"A{i}" for i in range(501)],
                          "a": np.arange(501, dtype=float)})
    result = rank_uncertainty(table, catalogue, AnalysisSettings.create({"a": 1.0}),
                              UncertaintyOptions(draws=3))
    assert isinstance(result, RankUncertainty) and result.rank_counts is None
    assert result.median_rank["A500"] == 1 and result.median_rank["A0"] == 501


# -- ranks --------------------------------------------------------------------------------

def test_competition_ranks_tie_at_nine_decimals_like_rank_areas() -> None:
    scores = np.array([[1.0, 2.0, 2.0, 0.5], [1.0 + 4e-10, 1.0, 0.9999999996, 3.0]])
    assert competition_ranks(scores).tolist() == [[3, 1, 1, 4], [2, 2, 2, 1]]
    rng = np.random.default_rng(1)
    many = np.round(rng.standard_normal((50, 40)), 1)        # plenty of ties
    expected = [pd.Series(row).round(9).rank(method="min", ascending=False).tolist()
                for row in many]
    assert competition_ranks(many).tolist() == expected
    assert competition_ranks(many, bound=10.0).tolist() == expected
    ranker = uncertainty._Ranker(60, 40, bound=10.0)          # as the threads use it
    assert ranker(many.copy(), overwrite=True, transposed=True).T.tolist() == expected
    assert ranker(many[:7], transposed=True).T.tolist() == expected[:7]
    huge = many * 1e12                                     # cannot be packed: argsort path
    assert competition_ranks(huge).tolist() == expected
    before = many.copy()
    competition_ranks(many)
    assert np.array_equal(many, before)                    # input untouched by default


def test_percentile_ranks_are_exact_for_values_one_ulp_apart() -> None:
    # The fast sort keys drop the lowest float bits; values that close must still be
    # ranked (and tied) exactly as pandas does, also with -0.0, infinities and NaN.
    rng = np.random.default_rng(5)
    base = rng.integers(-3, 4, (6, 300)) / 7.0 * 100
    x = base + rng.integers(-2, 3, base.shape) * np.spacing(base)
    x[0, ::7] = np.nan
    x[1, :4] = [0.0, -0.0, np.inf, -np.inf]
    got = uncertainty._average_ranks(x)
    for row, ranks in zip(x, got, strict=True):
        present = ~np.isnan(row)
        assert np.array_equal(ranks[present], pd.Series(row).rank().to_numpy()[present])
        assert (ranks[~present] > present.sum()).all()


def test_bad_input_gives_rank_areas_errors(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    bad_tables = [table.drop(columns=["valdsbrott"]),                  # a column missing
                  table.assign(unga_7_20_fritid="många"),             # not numbers
                  table.assign(elever_ak9_behoriga=1000)]             # share above 100 %
    bad_settings = [settings.with_changes(indicator_weights={"finns_inte": 1.0})]
    cases = [(t, settings) for t in bad_tables] + [(table, s) for s in bad_settings]
    for bad_table, bad in cases:
        with pytest.raises(PrevmapError, match="^Fel i ") as expected:
            rank_areas(bad_table, catalogue, bad, source="fil.csv")
        with pytest.raises(type(expected.value), match=re.escape(str(expected.value))) as got:
            rank_uncertainty(bad_table, catalogue, bad, FIXED, source="fil.csv")
        assert str(got.value) == str(expected.value)


# -- bad options --------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "key", "shown"), [
    ({"draws": 0}, "draws", "0"),
    ({"draws": 2.5}, "draws", "2.5"),
    ({"concentration": 0}, "concentration", "0"),
    ({"concentration": -3.0}, "concentration", "-3.0"),
    ({"concentration": float("nan")}, "concentration", "nan"),
    ({"top_k": -1}, "top_k", "-1"),
    ({"top_k": None}, "top_k", "None"),
    ({"seed": -1}, "seed", "-1"),
    ({"noise_replicates": 0}, "noise_replicates", "0"),
    ({"data_noise": "ja"}, "data_noise", "'ja'"),
])
def test_bad_options_are_refused_in_swedish(changes, key, shown) -> None:
    with pytest.raises(SettingsError, match=f"^Fel i analysinställningarna: .*nyckel '{key}'") \
            as err:
        UncertaintyOptions(**changes)
    text = str(err.value)
    assert text.startswith("Fel i analysinställningarna: ")
    assert f"nyckel '{key}'" in text and f"Värden: {shown}." in text


def test_all_bad_options_are_reported_together() -> None:
    with pytest.raises(SettingsError, match=r"^Fel i analysinställningarna: 2 problem\.\n") \
            as err:
        UncertaintyOptions(draws=0, concentration=0.0)
    assert len(err.value.problems) == 2
    assert "antalet dragningar ska vara ett heltal ≥ 1" in str(err.value)
    assert "koncentrationen ska vara ett tal > 0" in str(err.value)


def test_top_k_larger_than_the_number_of_areas(demo) -> None:
    table, catalogue = demo
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    with pytest.raises(SettingsError, match=r"k är större än antalet områden med rang \(22\)"
                                            r".*Värden: 23\."):
        rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=10, top_k=23))
    assert rank_uncertainty(table, catalogue, settings,
                            UncertaintyOptions(draws=10, top_k=22)).p_top_k.eq(1).all()


# -- the minimum-coverage rule, as rank_areas applies it -----------------------------------

@pytest.mark.parametrize("aggregation", AGGREGATIONS)
def test_an_area_with_too_little_weight_is_normalised_but_never_ranked(
        plain_catalogue: Callable[..., Catalogue], aggregation: str) -> None:
    """A1 has 40 % of the weight (two of five indicators): rank_areas leaves it unranked but
    normalises over it; the Monte Carlo scores the others the same way (so A1 stays in
    the normalisation) and ranks only them, in every draw."""
    nan = float("nan")
    catalogue = plain_catalogue(a="skola", b="skola", c="skola", d="missbruk", e="missbruk")
    table = pd.DataFrame({AREA_ID: [f"A{i}" for i in range(1, 8)],
                          "a": [9.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0],
                          "b": [8.0, 1.0, 5.0, 2.0, 4.0, 3.0, 7.0],
                          "c": [nan, 3.0, 1.0, 6.0, 2.0, 5.0, 4.0],
                          "d": [nan, 2.0, 2.0, 3.0, 6.0, 1.0, 5.0],
                          "e": [nan, 7.0, 6.0, 1.0, 3.0, 4.0, 2.0]})
    settings = AnalysisSettings.create({"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0},
                                       {"skola": 1.5, "missbruk": 1.0},
                                       aggregation=aggregation)
    expected = rank_areas(table, catalogue, settings)
    assert expected.coverage["A1"] == pytest.approx(0.4, abs=1e-12)
    assert expected.rank.isna().tolist() == [True] + [False] * 6
    got = composite_scores(table, catalogue, settings)
    assert got.to_numpy() == pytest.approx(expected.score.to_numpy(), abs=1e-9, nan_ok=True)
    without = table[table[AREA_ID] != "A1"]
    alone = rank_areas(without, catalogue, settings).score
    assert not np.allclose(alone.to_numpy(), expected.score.dropna().to_numpy())  # A1 counts
    fixed = rank_uncertainty(table, catalogue, settings, FIXED)
    pd.testing.assert_series_equal(fixed.median_rank, expected.rank, check_names=False)
    varied = rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=300))
    assert varied.n_areas == 6
    assert varied.median_rank.isna().tolist() == [True] + [False] * 6
    assert varied.rank_counts.index.tolist() == [f"A{i}" for i in range(2, 8)]
    assert varied.rank_counts.sum(axis=1).eq(300).all()
    assert varied.p_top_k.sum() == pytest.approx(varied.top_k, abs=1e-12)


@pytest.mark.parametrize("replicates", [None, 7])       # each draw its own noise, shared
def test_summary_from_the_draws_equals_the_summary_from_the_rank_counts(
        demo, monkeypatch, replicates) -> None:
    """Above RANK_COUNTS_MAX_AREAS the statistics come from each area's draws (linear in
    the areas), below it from the counts of every rank: the same numbers to the bit."""
    table, catalogue = demo
    table = table.copy()
    table.loc[3, "elever_hog_franvaro"] = None
    settings = read_settings(DATA / "profiles" / "bred_prevention.toml")
    options = UncertaintyOptions(draws=301, seed=5, noise_replicates=replicates)
    counted = rank_uncertainty(table, catalogue, settings, options)
    monkeypatch.setattr(uncertainty, "RANK_COUNTS_MAX_AREAS", 0)
    monkeypatch.setattr(uncertainty, "_SCORE_CELLS", 301 * 5)   # 5 areas at a time
    drawn = rank_uncertainty(table, catalogue, settings, options)
    assert drawn.rank_counts is None and counted.rank_counts is not None
    for name in ("median_rank", "rank_low", "rank_high", "p_top_k", "p_top_k_se",
                 "mean_shift", "rank_variance"):
        got, expected = getattr(drawn, name), getattr(counted, name)
        assert got.to_numpy().tobytes() == expected.to_numpy().tobytes(), name
        assert got.index.equals(expected.index)
    assert counted.rank_high.gt(counted.rank_low).any()       # the draws do vary
