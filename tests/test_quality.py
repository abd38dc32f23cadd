"""Statistical coherence and robustness (indicators/quality.py) on hand-computed examples."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.quality import FACTORS, coherence, cronbach_alpha, pc1_share, robustness
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings, UncertaintyOptions
from indicators.uncertainty import rank_uncertainty

FIXED = UncertaintyOptions(draws=30, vary_weights=False, vary_normalisation=False,
                           vary_aggregation=False, data_noise=False)


def test_alpha_by_hand() -> None:
    """Items (1, 2, 3) and (2, 2, 4): variances 1 and 4/3, the sum's 13/3, so alpha =
    2 (1 - (7/3) / (13/3)) = 12/13."""
    assert cronbach_alpha(np.array([[1, 2], [2, 2], [3, 4]])) == pytest.approx(12 / 13)


def test_alpha_and_pc1_of_perfectly_correlated_and_uncorrelated_items() -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    assert cronbach_alpha(np.c_[x, x]) == pytest.approx(1.0)
    assert pc1_share(np.c_[x, 3 * x + 1, -0.5 * x]) == pytest.approx(1.0)
    # orthogonal, equal variance: the sum's variance is the sum of theirs -> alpha 0,
    # the correlation matrix is the identity -> PC1 carries 1/k
    a, b = np.array([1.0, -1, 1, -1]), np.array([1.0, 1, -1, -1])
    assert cronbach_alpha(np.c_[a, b]) == pytest.approx(0.0)
    assert pc1_share(np.c_[a, b]) == pytest.approx(0.5)
    c = np.array([1.0, -1, -1, 1])
    assert pc1_share(np.c_[a, b, c]) == pytest.approx(1 / 3)
    assert np.isnan(cronbach_alpha(np.c_[x])) and np.isnan(pc1_share(np.c_[x][:2]))


@pytest.fixture
def small(plain_catalogue: Callable[..., Catalogue]) -> tuple[pd.DataFrame, Catalogue]:
    """Domain skola: a and b rise together, c falls against them; domain missbruk: d."""
    catalogue = plain_catalogue(a="skola", b="skola", c="skola", d="missbruk")
    table = pd.DataFrame({AREA_ID: [f"A{i}" for i in range(6)],
                          "a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                          "b": [2.0, 1.0, 4.0, 3.0, 6.0, 5.0],
                          "c": [6.0, 5.0, 4.0, 3.5, 2.0, 1.0],
                          "d": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0]})
    return table, catalogue


def test_coherence_flags_the_indicator_against_its_domain(small) -> None:
    table, catalogue = small
    result = rank_areas(table, catalogue, AnalysisSettings.create({i: 1.0 for i in catalogue}))
    co = coherence(result)
    assert co.negative == ("c",)
    skola = result.normalised[["a", "b", "c"]].to_numpy()
    assert co.domains.at["skola", "alpha"] == pytest.approx(cronbach_alpha(skola))
    assert co.domains.at["skola", "n_indicators"] == 3
    assert np.isnan(co.domains.at["missbruk", "alpha"])       # one indicator
    r = np.corrcoef(result.normalised["c"], result.domain_scores["skola"])[0, 1]
    assert co.indicators.at["c", "r_domain"] == pytest.approx(r)
    r2 = np.corrcoef(result.normalised["d"], result.score)[0, 1] ** 2
    assert co.indicators.at["d", "r2"] == pytest.approx(r2)
    assert co.indicators["variance_share"].sum() == pytest.approx(1.0)


def test_mean_shift_and_rank_variance_agree_with_the_rank_counts(small) -> None:
    table, catalogue = small
    settings = AnalysisSettings.create({i: 1.0 for i in catalogue})
    u = rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=200, seed=3))
    nominal = rank_areas(table, catalogue, settings).rank
    counts = u.rank_counts.to_numpy(dtype=float)
    ranks = np.asarray(u.rank_counts.columns, dtype=float)
    shift = (counts * np.abs(ranks[None, :] - nominal.to_numpy()[:, None])).sum(axis=1) / 200
    mean = (counts * ranks).sum(axis=1) / 200
    variance = (counts * ranks ** 2).sum(axis=1) / 200 - mean ** 2
    np.testing.assert_allclose(u.mean_shift.to_numpy(), shift)
    np.testing.assert_allclose(u.rank_variance.to_numpy(), variance, atol=1e-12)
    assert u.mean_shift.mean() > 0


def test_robustness_without_variation_is_zero_and_leave_one_out_by_hand(small) -> None:
    table, catalogue = small
    settings = AnalysisSettings.create({i: 1.0 for i in catalogue}, uncertainty=FIXED)
    rb = robustness(table, catalogue, settings, factor_draws=40)
    assert rb.mean_shift == 0.0 and rb.full_variance == 0.0
    assert list(rb.factors.index) == list(FACTORS)
    # leave one out: the four rankings without a, b, c, d, equally likely
    ranks = np.vstack([rank_areas(table, catalogue, settings.with_changes(
        indicator_weights={k: float(k != i) for k in "abcd"})).rank.to_numpy()
        for i in "abcd"])
    chosen = rank_areas(table, catalogue, settings).rank.to_numpy()
    assert rb.factors.at["leave_one_out", "variance"] == pytest.approx(
        ranks.var(axis=0).mean())
    assert rb.factors.at["leave_one_out", "mean_shift"] == pytest.approx(
        np.abs(ranks - chosen).mean())
    assert rb.factors.at["imputation", "variance"] == 0.0
    assert rb.factors["share"].sum() == pytest.approx(1.0)
    assert rb.factors.at["weights", "variance"] > 0
