"""What the Monte Carlo does with the data (indicators/uncertainty.py, issue 16): rates
drawn from their Jeffreys posterior (zero counts vary too), censored counts drawn over
their band, and the Monte Carlo standard error of P(top k).

Statistical checks use fixed seeds and tolerances derived from the number of draws
(four standard errors), so they hold for the seed and would catch a wrong distribution.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indicators.catalogue import CATALOGUE_COLUMNS, Catalogue, validate_catalogue
from indicators.columns import AREA_ID
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings
from indicators.swedish import format_number
from indicators.uncertainty import (
    UncertaintyOptions,
    monte_carlo_key,
    monte_carlo_stage,
    rank_uncertainty,
)

NOISE_ONLY = dict(vary_weights=False, vary_normalisation=False, vary_aggregation=False)
NOTHING = dict(NOISE_ONLY, data_noise=False)


def catalogue_of(**indicators: str) -> Catalogue:
    """Rate indicators ``id="domain:per"`` with columns ``<id>_n`` over ``<id>_d``."""
    rows = [{"id": i, "name": f"Indikator {i}", "domain": spec.partition(":")[0],
             "direction": "1", "unit": "%", "per": spec.partition(":")[2] or "100",
             "numerator": f"{i}_n", "denominator": f"{i}_d", "source": "Test",
             "level": "område"} for i, spec in indicators.items()]
    return validate_catalogue(pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS)))


def settings_of(catalogue: Catalogue, **weights: float) -> AnalysisSettings:
    return AnalysisSettings.create({i: weights.get(i, 1.0) for i in catalogue})


def band(*rows: tuple[str, str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=[AREA_ID, "column", "low", "high"])


def drawn(table: pd.DataFrame, catalogue: Catalogue, options: UncertaintyOptions,
          censored: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Monte Carlo's noisy data sets: one row per data set, one column per varied
    cell, named (indicator id, area id)."""
    ranking = rank_areas(table, catalogue, settings_of(catalogue))
    stage = monte_carlo_stage(ranking, catalogue, options, censored=censored)
    model = stage.model
    if stage.draws.noise is None:
        return pd.DataFrame()
    indicator, row = np.divmod(model.cells, model.n)
    columns = pd.MultiIndex.from_arrays(
        [np.array(model.indicator_ids)[model.noisy[indicator]],
         model.area_index[model.positions[row]]])
    return pd.DataFrame(stage.draws.noise, columns=columns)


def within(observed: float, expected: float, sd: float, n: int) -> bool:
    """``observed``, a mean of ``n`` independent values with standard deviation ``sd``,
    within four standard errors of ``expected``."""
    return abs(observed - expected) <= 4 * sd / math.sqrt(n)


def beta_cdf(x: float, a: float, b: float, steps: int = 200_000) -> float:
    """P(Beta(a, b) <= x) for a = 1/2, by the substitution x = u^2 (which removes the
    singularity at 0) and the midpoint rule."""
    assert a == 0.5
    u = (np.arange(steps) + 0.5) * math.sqrt(x) / steps
    integral = float(np.sum(2 * (1 - u * u) ** (b - 1)) * math.sqrt(x) / steps)
    return integral / math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))


# -- zero counts drawn from the Jeffreys posterior ------------------------------------------

ZERO = catalogue_of(s="socioekonomi", r="kriminalitet:1000")
ZERO_TABLE = pd.DataFrame({AREA_ID: ["zero", "A", "B", "C"],
                           "s_n": [0, 200, 300, 400], "s_d": [40, 10000, 10000, 10000],
                           "r_n": [0, 20, 30, 40], "r_d": [400, 10000, 10000, 10000]})


def test_a_zero_count_varies_with_the_jeffreys_posterior_of_its_share() -> None:
    """0 of 40: the share is Beta(1/2, 40 + 1/2), mean 0.5 / 41, never below 0."""
    draws = 20_000
    noise = drawn(ZERO_TABLE, ZERO, UncertaintyOptions(draws=draws, seed=3, **NOISE_ONLY))
    share = noise["s", "zero"].to_numpy() / 100      # drawn rates are per cent
    assert len(share) == draws
    assert share.min() >= 0 and share.max() < 1
    assert share.std() > 0.005                       # a spread, not a fixed 0
    a, b = 0.5, 40.5
    mean, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert within(share.mean(), mean, sd, draws)
    for x in (0.001, 0.01, 0.05):                    # the distribution, not only its mean
        p = beta_cdf(x, a, b)
        assert within(float(np.mean(share <= x)), p, math.sqrt(p * (1 - p)), draws), x


def test_a_zero_count_varies_with_the_jeffreys_posterior_of_its_rate() -> None:
    """0 events over 400 per 1 000: the rate is Gamma(1/2, 1/400) x 1 000, whose
    distribution function is erf(sqrt(x * 400 / 1 000)) (a chi-square with one degree
    of freedom halved)."""
    draws = 20_000
    noise = drawn(ZERO_TABLE, ZERO, UncertaintyOptions(draws=draws, seed=4, **NOISE_ONLY))
    rate = noise["r", "zero"].to_numpy()
    assert rate.min() >= 0 and rate.std() > 0
    mean, sd = 0.5 / 400 * 1000, math.sqrt(0.5) / 400 * 1000
    assert within(rate.mean(), mean, sd, draws)
    for x in (0.1, 1.0, 4.0):
        p = math.erf(math.sqrt(x * 400 / 1000))
        assert within(float(np.mean(rate <= x)), p, math.sqrt(p * (1 - p)), draws), x


def test_every_count_is_drawn_from_its_posterior_not_only_zeros() -> None:
    """3 of 40 as a share: Beta(3.5, 37.5), mean 3.5 / 41 (half an event above 3 / 40);
    40 of 40 varies below 100 % and never above it."""
    table = pd.DataFrame({AREA_ID: ["three", "all", "A"], "s_n": [3, 40, 500],
                          "s_d": [40, 40, 10000]})
    catalogue = catalogue_of(s="socioekonomi")
    draws = 20_000
    noise = drawn(table, catalogue, UncertaintyOptions(draws=draws, seed=5, **NOISE_ONLY))
    three = noise["s", "three"].to_numpy() / 100
    a, b = 3.5, 37.5
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert within(three.mean(), a / (a + b), sd, draws)
    assert not within(three.mean(), 3 / 40, sd, draws)    # not the bootstrap's mean
    full = noise["s", "all"].to_numpy()
    assert full.max() <= 100 and full.min() < 95


def test_the_draws_follow_the_seed() -> None:
    options = UncertaintyOptions(draws=500, seed=8, **NOISE_ONLY)
    first = drawn(ZERO_TABLE, ZERO, options)
    pd.testing.assert_frame_equal(first, drawn(ZERO_TABLE, ZERO, options), check_exact=True)
    other = drawn(ZERO_TABLE, ZERO, UncertaintyOptions(draws=500, seed=9, **NOISE_ONLY))
    assert (first.to_numpy() != other.to_numpy()).all()


def test_a_zero_count_moves_its_area_in_the_ranking() -> None:
    """0 of 40 beside areas at 0.5 %, 1 %, 1.5 % (large denominators): with the old
    bootstrap 0 stayed 0 and the area last in every draw; its posterior reaches above
    them in some draws."""
    table = pd.DataFrame({AREA_ID: ["zero", "A", "B", "C"], "s_n": [0, 50, 100, 150],
                          "s_d": [40, 10000, 10000, 10000]})
    catalogue = catalogue_of(s="socioekonomi")
    result = rank_uncertainty(table, catalogue, settings_of(catalogue),
                              UncertaintyOptions(draws=2000, top_k=1, **NOISE_ONLY))
    assert result.rank_high["zero"] == 4
    assert result.rank_low["zero"] <= 2
    assert 0 < result.p_top_k["zero"] < 0.5


# -- censored counts --------------------------------------------------------------------------

CENSORED = catalogue_of(s="socioekonomi", t="skola")
# References at 0.5 %, 1.5 %, ..., 11.5 % (large denominators); "hidden" holds 2.5 of
# 40 = 6.25 %, the midpoint of the band 1..4, i.e. 2.5 %, 5 %, 7.5 % or 10 %.
REFS = [f"R{i:02d}" for i in range(12)]
CENSORED_TABLE = pd.DataFrame({
    AREA_ID: [*REFS, "hidden"],
    "s_n": [50 + 100 * i for i in range(12)] + [2.5], "s_d": [10000] * 12 + [40],
    "t_n": [10 * i for i in range(13)], "t_d": [1000] * 13})
HIDDEN = band(("hidden", "s_n", 1, 4))
ONLY_S = settings_of(CENSORED, t=0.0)


def test_a_censored_count_is_drawn_uniformly_over_its_band() -> None:
    draws = 4000
    for noise in (False, True):     # over the band whether or not data noise is on
        options = UncertaintyOptions(draws=draws, seed=2, **NOISE_ONLY, data_noise=noise)
        values = drawn(CENSORED_TABLE, CENSORED, options, HIDDEN)["s", "hidden"]
        counts = values.to_numpy() * 40 / 100
        assert np.allclose(counts, np.round(counts))          # whole counts, no noise
        share = pd.Series(np.round(counts)).value_counts(normalize=True).sort_index()
        assert share.index.tolist() == [1, 2, 3, 4]           # all in the band, each seen
        for p in share:
            assert within(p, 0.25, math.sqrt(0.25 * 0.75), draws)
    fixed = drawn(CENSORED_TABLE, CENSORED, UncertaintyOptions(draws=100, **NOTHING), HIDDEN)
    assert fixed.columns.tolist() == [("s", "hidden")]       # nothing else varies


def test_a_censored_count_widens_its_areas_rank_interval() -> None:
    """Held at its midpoint 6.25 % the area is 7th in every draw; over its band it is
    10th, 8th, 5th or 3rd (2.5 %, 5 %, 7.5 %, 10 %), each in about a quarter of them."""
    draws = 2000
    options = UncertaintyOptions(draws=draws, **NOTHING)
    held = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options)
    assert (held.rank_low["hidden"], held.rank_high["hidden"]) == (7, 7)
    varied = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options, censored=HIDDEN)
    assert (varied.rank_low["hidden"], varied.rank_high["hidden"]) == (3, 10)
    counts = varied.rank_counts.loc["hidden"]
    assert counts[counts > 0].index.tolist() == [3, 5, 8, 10]
    for n in counts[counts > 0]:
        assert within(n / draws, 0.25, math.sqrt(0.25 * 0.75), draws)
    assert varied.censored_cells == 1 and held.censored_cells == 0
    text = varied.method_text()
    assert "det antal som bara är kända inom ett intervall" in text
    assert "sammanvägningen och övriga indikatorvärden hölls fasta" in text
    with_noise = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S,
                                  UncertaintyOptions(draws=draws, **NOISE_ONLY),
                                  censored=HIDDEN)
    assert with_noise.rank_high["hidden"] - with_noise.rank_low["hidden"] >= 7
    assert "Jeffreys" in with_noise.method_text()


def test_censored_none_and_cells_that_do_not_count_change_nothing() -> None:
    """None, no rows, and a band of an indicator with weight 0 give the same bits (also
    the draws of every other cell); a band that counts gives another stage key."""
    options = UncertaintyOptions(draws=300, seed=6)
    ranking = rank_areas(CENSORED_TABLE, CENSORED, ONLY_S)
    plain = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options, ranking=ranking)
    for censored in (band(), band(("R03", "t_n", 20, 40))):
        got = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options, ranking=ranking,
                               censored=censored)
        pd.testing.assert_frame_equal(got.rank_counts, plain.rank_counts, check_exact=True)
        pd.testing.assert_series_equal(got.p_top_k_se, plain.p_top_k_se, check_exact=True)
        pd.testing.assert_frame_equal(got.summary(), plain.summary(), check_exact=True)
        assert monte_carlo_key(ranking, CENSORED, options, censored=censored) == \
            monte_carlo_key(ranking, CENSORED, options)
    assert monte_carlo_key(ranking, CENSORED, options, censored=HIDDEN) != \
        monte_carlo_key(ranking, CENSORED, options)
    assert monte_carlo_key(ranking, CENSORED, options, censored=HIDDEN) != \
        monte_carlo_key(ranking, CENSORED, options, censored=band(("hidden", "s_n", 1, 3)))


def test_a_stage_is_kept_with_its_censored_cells() -> None:
    options = UncertaintyOptions(draws=200)
    ranking = rank_areas(CENSORED_TABLE, CENSORED, ONLY_S)
    stage = monte_carlo_stage(ranking, CENSORED, options, censored=HIDDEN)
    kept = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options, ranking=ranking,
                            stage=stage, censored=HIDDEN)
    fresh = rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options, censored=HIDDEN)
    pd.testing.assert_frame_equal(kept.rank_counts, fresh.rank_counts, check_exact=True)
    with pytest.raises(ValueError, match="options and censored"):
        rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, options, ranking=ranking,
                         stage=stage)


@pytest.mark.parametrize(("rows", "message"), [
    ([("nowhere", "s_n", 1, 4)], r"area_id not in the ranked table: \['nowhere'\]"),
    ([("hidden", "s_d", 1, 4)], r"not a numerator column .*\['s_d'\]"),
    ([("hidden", "s_n", 4, 1)], "whole numbers with 0 <= low <= high"),
    ([("hidden", "s_n", 1.5, 4)], "whole numbers with 0 <= low <= high"),
    ([("hidden", "s_n", -1, 4)], "whole numbers with 0 <= low <= high"),
    ([("hidden", "s_n", 1, 4), ("hidden", "s_n", 1, 3)], "each .area_id, column. once"),
])
def test_bad_censored_cells_are_refused(rows, message) -> None:
    with pytest.raises(ValueError, match=message):
        rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, UncertaintyOptions(draws=10),
                         censored=band(*rows))


def test_censored_needs_its_columns() -> None:
    with pytest.raises(ValueError, match=r"censored lacks the columns \['low', 'high'\]"):
        rank_uncertainty(CENSORED_TABLE, CENSORED, ONLY_S, UncertaintyOptions(draws=10),
                         censored=pd.DataFrame({AREA_ID: ["hidden"], "column": ["s_n"]}))


# -- the standard error of P(top k) ---------------------------------------------------------

SE_CATALOGUE = catalogue_of(a="socioekonomi", b="skola", c="kriminalitet:1000")
SE_TABLE = pd.DataFrame({
    AREA_ID: [f"A{i}" for i in range(8)],
    "a_n": [30, 35, 28, 40, 25, 33, 38, 29], "a_d": [200, 210, 190, 230, 180, 220, 240, 200],
    "b_n": [12, 9, 15, 11, 14, 10, 8, 13], "b_d": [100] * 8,
    "c_n": [5, 7, 6, 4, 8, 6, 5, 7], "c_d": [500] * 8})


def test_p_top_k_se_is_binomial_for_independent_draws() -> None:
    result = rank_uncertainty(SE_TABLE, SE_CATALOGUE, settings_of(SE_CATALOGUE),
                              UncertaintyOptions(draws=400, top_k=2, seed=1))
    assert result.noise_replicates == 400                    # every draw its own data
    p = result.p_top_k
    assert np.allclose(result.p_top_k_se, np.sqrt(p * (1 - p) / 400), rtol=0, atol=1e-15)
    assert result.p_top_k_se.name == "p_top_k_se"
    largest = format_number(100 * result.p_top_k_se.max(), 1, trim=True)
    assert f"medelfel, som bara beror på att dragningarna är ändligt många, är högst " \
        f"{largest} procentenheter." in result.method_text()


def test_p_top_k_se_matches_the_spread_over_seeds() -> None:
    """The standard error is the standard deviation of P(top k) over independent runs:
    compared over 60 seeds, for independent draws and for draws sharing 20 noisy data
    sets (whose standard error is larger: they are correlated). With 60 runs the sample
    standard deviation is within about +-9 % (one standard error) of the truth; the
    bounds are about four of those."""
    settings = settings_of(SE_CATALOGUE)
    for replicates in (None, 20):
        runs = [rank_uncertainty(SE_TABLE, SE_CATALOGUE, settings, UncertaintyOptions(
            draws=200, top_k=2, seed=100 + s, noise_replicates=replicates))
            for s in range(60)]
        p = pd.concat([r.p_top_k for r in runs], axis=1)
        se = pd.concat([r.p_top_k_se for r in runs], axis=1)
        moving = p.mean(axis=1).between(0.1, 0.9)
        assert moving.sum() >= 3
        ratio = p[moving].std(axis=1) / np.sqrt((se[moving] ** 2).mean(axis=1))
        assert ratio.between(0.6, 1.4).all(), (replicates, ratio)


def test_p_top_k_se_of_shared_noise_counts_data_sets_not_draws() -> None:
    """Only data noise varies and 400 draws share 10 data sets of 40 draws: each set
    gives one ranking, so P(top k) is a mean of 10 values, with standard error
    sqrt(p (1 - p) / 9) by the cluster formula, not sqrt(p (1 - p) / 400)."""
    result = rank_uncertainty(SE_TABLE, SE_CATALOGUE, settings_of(SE_CATALOGUE),
                              UncertaintyOptions(draws=400, top_k=2, noise_replicates=10,
                                                 **NOISE_ONLY))
    p = result.p_top_k
    assert ((p * 10) % 1 == 0).all() and (p.between(0.05, 0.95)).any()
    assert np.allclose(result.p_top_k_se, np.sqrt(p * (1 - p) / 9), rtol=1e-12, atol=1e-15)
    one = rank_uncertainty(SE_TABLE, SE_CATALOGUE, settings_of(SE_CATALOGUE),
                           UncertaintyOptions(draws=50, noise_replicates=1))
    assert one.p_top_k_se.isna().all()      # one shared data set: no estimate
    assert "medelfel" not in one.method_text()
