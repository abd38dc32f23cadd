"""Outlier treatment (indicators/outliers.py) and where it is applied: the ranking and the
Monte Carlo, with the limits found on the observed values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import read_catalogue, read_indicator_table
from indicators.columns import AGGREGATIONS
from indicators.errors import SettingsError
from indicators.normalise import normalise
from indicators.outliers import (
    LOGGED,
    MAX_WINSORISED,
    UNTREATED,
    WINSORISED,
    breaks_rule,
    kurtosis,
    skewness,
    treat_indicator,
    treat_outliers,
)
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings, UncertaintyOptions
from indicators.uncertainty import composite_scores, rank_uncertainty

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, object]:
    return (read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv"),
            read_catalogue(DATA / "indicator_catalogue.csv"))


def series(values: list[float], name: str = "x") -> pd.Series:
    return pd.Series(values, index=[f"A{i:02d}" for i in range(len(values))], name=name,
                     dtype=float)


def test_skewness_and_kurtosis_are_excels() -> None:
    """SKEW and KURT by their textbook formulas, written out for a small sample."""
    x = np.array([1.0, 2.0, 2.0, 3.0, 9.0])
    n, m, s = len(x), x.mean(), x.std(ddof=1)
    z = (x - m) / s
    skew = n / ((n - 1) * (n - 2)) * (z ** 3).sum()
    kurt = (n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * (z ** 4).sum()
            - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    assert skewness(x) == pytest.approx(skew, rel=1e-12)
    assert kurtosis(x) == pytest.approx(kurt, rel=1e-12)
    assert np.isnan(skewness(np.array([1.0, 2.0]))) and np.isnan(kurtosis(np.ones(6)))


def test_coinr_example_winsorises_one_point() -> None:
    """COINr's vignette: 1..10 with outliers 30 and 100; one point (100 -> 30) meets the rule."""
    values = series([*range(1, 11), 30, 100])
    assert breaks_rule(skewness(values), kurtosis(values))
    t, treated = treat_indicator(values)
    assert (t.method, t.points, t.upper, t.areas) == (WINSORISED, 1, 30.0, ("A11",))
    assert treated.tolist() == [*range(1, 11), 30, 30]
    assert not breaks_rule(t.skew_after, t.kurtosis_after)


def test_negative_skew_is_winsorised_from_below() -> None:
    values = series([-100, -30, *range(1, 11)])
    t, treated = treat_indicator(values)
    assert (t.method, t.points, t.lower) == (WINSORISED, 1, -30.0)
    assert treated.iloc[0] == -30.0 and treated.iloc[2:].tolist() == list(range(1, 11))


def test_one_area_dummy_is_treated_and_a_normal_indicator_is_not() -> None:
    """A one-area dummy breaks the rule; winsorising its one area would erase it, so it is
    log-transformed (order kept). Normal data are left alone."""
    dummy = series([0.0] * 21 + [10.0])
    t, treated = treat_indicator(dummy)
    assert t.breaks_rule and t.method == LOGGED
    assert treated.iloc[-1] == pytest.approx(np.log(10.0 + 0.1))
    assert treated.iloc[0] == pytest.approx(np.log(0.1))
    normal = series(list(np.random.default_rng(5).normal(10, 2, size=22)))
    t, treated = treat_indicator(normal)
    assert not t.breaks_rule and t.method == UNTREATED and treated is normal


def test_winsorising_stops_at_the_limit_and_logs() -> None:
    """Six extreme areas at the top: more than MAX_WINSORISED points -> log instead."""
    values = series([1.0, 2.0, 3.0, 2.0, 1.0] * 8 + [50, 60, 70, 80, 90, 1000])
    t, _ = treat_indicator(values)
    assert t.breaks_rule and t.method == LOGGED and t.points == 0
    assert MAX_WINSORISED == 5


def test_none_reports_but_does_not_treat() -> None:
    frame = pd.DataFrame({"a": series([*range(1, 11), 30, 100]),
                          "b": series(list(range(12)))})
    result = treat_outliers(frame, "none")
    assert result.values is frame and result.treated == ()
    assert list(result.table().index) == ["a"]
    assert result.table().at["a", "method"] == UNTREATED
    with pytest.raises(ValueError, match="unknown outlier treatment 'median'"):
        treat_outliers(frame, "median")


def test_settings_round_trip_and_unknown_value() -> None:
    s = AnalysisSettings.create({"a": 1.0}, outliers="auto")
    again = AnalysisSettings.from_toml(s.to_toml())
    assert again.outliers == "auto" and again == s
    # Not the default: treating outliers can lower a score when need rises
    # (tests/test_properties.py shows a case), which a ranking must not do by default.
    assert AnalysisSettings.create({"a": 1.0}).outliers == "none"
    with pytest.raises(SettingsError, match="okänt val för extremvärden"):
        AnalysisSettings.create({"a": 1.0}, outliers="winsor")
    with pytest.raises(SettingsError, match="outliers"):
        AnalysisSettings.from_toml('outliers = "ja"\n[indicator_weights]\na = 1\n')


def test_ranking_normalises_the_treated_values(demo) -> None:
    table, catalogue = demo
    settings = AnalysisSettings.create({i: 1.0 for i in catalogue}, outliers="auto")
    result = rank_areas(table, catalogue, settings)
    treated = result.base.outliers
    assert treated.treated, "the demo has indicators that break the rule"
    directions = {i: catalogue[i].direction for i in result.values.columns}
    expected = normalise(treated.values, directions, settings.normalisation)
    pd.testing.assert_frame_equal(result.normalised, expected)
    # the values shown stay the raw ones
    untreated = rank_areas(table, catalogue, settings.with_changes(outliers="none"))
    pd.testing.assert_frame_equal(result.values, untreated.values)
    assert untreated.base.outliers.values is untreated.values or \
        untreated.base.outliers.values.equals(untreated.values)


@pytest.mark.parametrize("aggregation", list(AGGREGATIONS))
@pytest.mark.parametrize("normalisation", ["zscore", "percentile", "minmax"])
def test_monte_carlo_point_equals_ranking_with_treatment(demo, normalisation,
                                                         aggregation) -> None:
    table, catalogue = demo
    settings = AnalysisSettings.create({i: 1.0 for i in catalogue}, outliers="auto",
                                       normalisation=normalisation, aggregation=aggregation)
    expected = rank_areas(table, catalogue, settings)
    got = composite_scores(table, catalogue, settings)
    np.testing.assert_allclose(got.to_numpy(), expected.score.to_numpy(), rtol=0,
                               atol=1e-9)
    fixed = UncertaintyOptions(draws=5, vary_weights=False, vary_normalisation=False,
                               vary_aggregation=False, data_noise=False)
    u = rank_uncertainty(table, catalogue, settings, fixed)
    pd.testing.assert_series_equal(u.median_rank, expected.rank, check_names=False)


def test_monte_carlo_draws_are_clipped_at_the_point_limits(demo) -> None:
    """With data noise, a winsorised indicator's drawn values never exceed the limit found
    on the observed values: the treated model's limits are the ranking's."""
    from indicators.uncertainty import _prepare

    table, catalogue = demo
    settings = AnalysisSettings.create({i: 1.0 for i in catalogue}, outliers="auto")
    ranking = rank_areas(table, catalogue, settings)
    model = _prepare(table, catalogue, settings, "indikatortabell")
    limits = ranking.base.outliers.limits(model.indicator_ids)
    assert np.array_equal(model.outliers.upper, limits.upper)
    drawn = model.values[None] * 3.0          # every value far beyond the observed ones
    treated = model.outliers.apply(drawn, slice(None), axis=-2)[0]
    for k, ind in enumerate(model.indicator_ids):
        t = ranking.base.outliers.treatment(ind)
        if t.method == WINSORISED and np.isfinite(t.upper):
            assert np.nanmax(treated[k]) == t.upper
