"""The weight-independent stage: remembered by content, reused when only weights move,
never stale, and the results bit-identical to a computation from scratch."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import read_catalogue, read_indicator_table, read_settings
from indicators import assessment, ranking, uncertainty
from indicators.assessment import Assessment, assess, clear_weight_stage_cache
from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID, DOMAINS
from indicators.errors import SettingsError
from indicators.ranking import rank_areas, settings_key
from indicators.settings import AnalysisSettings
from indicators.table import LRUCache, table_key, validate_indicator_table
from indicators.uncertainty import UncertaintyOptions, rank_uncertainty

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_weight_stage_cache()
    yield
    clear_weight_stage_cache()


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, Catalogue]:
    """The demo table as ``load_inputs`` gives it (numeric columns, an area_id column)."""
    catalogue = read_catalogue(DATA / "indicator_catalogue.csv")
    raw = read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv")
    return validate_indicator_table(raw, catalogue).reset_index(), catalogue


@pytest.fixture(scope="module")
def settings() -> AnalysisSettings:
    return read_settings(DATA / "profiles" / "bred_prevention.toml").with_changes(draws=200)


def domains(**weights: float) -> tuple[tuple[str, float], ...]:
    return tuple((d, weights.get(d, 1.0)) for d in DOMAINS)


def same_bits(a: pd.DataFrame | pd.Series | None, b: pd.DataFrame | pd.Series | None) -> None:
    """Equal values, index, columns and dtypes, and floats equal bit for bit."""
    if a is None or b is None:
        assert a is None and b is None
        return
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        arrays = [(a[c].to_numpy(), b[c].to_numpy()) for c in a.columns]
    else:
        pd.testing.assert_series_equal(a, b, check_exact=True)
        arrays = [(a.to_numpy(), b.to_numpy())]
    for x, y in arrays:
        if x.dtype.kind == "f":
            assert x.tobytes() == y.tobytes()
        else:
            assert np.array_equal(x, y)


def assert_same_assessment(got: Assessment, expected: Assessment) -> None:
    r, e = got.result, expected.result
    for name in ("score", "rank", "contributions", "weights", "flags", "percentiles",
                 "values", "normalised", "domain_scores", "validated"):
        same_bits(getattr(r, name), getattr(e, name))
    same_bits(r.summary(), e.summary())
    assert r.method_summary() == e.method_summary()
    u, v = got.uncertainty, expected.uncertainty
    for name in ("median_rank", "rank_low", "rank_high", "p_top_k", "rank_counts"):
        same_bits(getattr(u, name), getattr(v, name))
    assert (u.top_k, u.n_areas, u.noise_replicates, u.noisy_indicators, u.weights_vary) == \
           (v.top_k, v.n_areas, v.noise_replicates, v.noisy_indicators, v.weights_vary)
    assert u.method_text() == v.method_text()
    same_bits(got.tiers, expected.tiers)
    same_bits(got.prepared.table, expected.prepared.table)
    assert got.notes() == expected.notes()


def cold(table: pd.DataFrame, catalogue: Catalogue, settings: AnalysisSettings) -> Assessment:
    clear_weight_stage_cache()
    try:
        return assess(table, catalogue, settings)
    finally:
        clear_weight_stage_cache()


# -- hits and misses ------------------------------------------------------------------------

def test_a_weight_change_reuses_the_stage(demo, settings) -> None:
    table, catalogue = demo
    first = assess(table, catalogue, settings)
    misses = assessment._STAGES.misses
    second = assess(table, catalogue, settings.with_changes(
        domain_weights=domains(kriminalitet=2.5),
        indicator_weights={i: 1.0 + k / 7 for k, i in enumerate(settings.indicators)}))
    assert assessment._STAGES.misses == misses and assessment._STAGES.hits == 1
    assert second.result.base is first.result.base
    assert uncertainty._MODELS.hits == 1 and uncertainty._DRAWS.hits == 1
    assert not second.result.score.equals(first.result.score)     # the weights did count


def test_an_equal_copy_of_the_table_hits(demo, settings) -> None:
    table, catalogue = demo
    first = assess(table, catalogue, settings)
    again = assess(table.copy(deep=True), catalogue,
                   settings.with_changes(domain_weights=domains(skola=3.0)))
    assert again.result.base is first.result.base


@pytest.mark.parametrize("change", [
    dict(normalisation="percentile"), dict(aggregation="geometric"), dict(missing="error"),
    dict(flag_threshold=0.8), dict(seed=1), dict(draws=201), dict(smoothing="eb"),
    dict(disclosure=False), dict(disclosure_threshold=3), dict(min_population=10),
    dict(concentration=20.0), dict(vary_aggregation=False), dict(top_k=3),
])
def test_any_other_setting_misses(demo, settings, change) -> None:
    table, catalogue = demo
    first = assess(table, catalogue, settings)
    try:
        other = assess(table, catalogue, settings.with_changes(**change))
    except Exception:   # noqa: BLE001  (missing="error" refuses the demo's gaps)
        other = None
    assert assessment._STAGES.hits == 0 and assessment._STAGES.misses == 2
    if other is not None:
        assert other.result.base is not first.result.base


def test_the_indicator_set_the_source_the_catalogue_and_the_table_are_in_the_key(
        demo, settings) -> None:
    table, catalogue = demo
    first = assess(table, catalogue, settings)
    fewer = settings.with_changes(indicator_weights={i: 1.0 for i in settings.indicators[1:]})
    assert assess(table, catalogue, fewer).result.base is not first.result.base
    assert assess(table, catalogue, settings, source="annan.csv").result.base \
        is not first.result.base
    flipped = Catalogue(tuple(ind if k else type(ind)(**{**vars(ind), "direction": -1})
                              for k, ind in enumerate(catalogue.values())))
    assert assess(table, flipped, settings).result.base is not first.result.base
    changed = table.copy()
    column = catalogue[settings.indicators[0]].columns[0]
    changed.loc[3, column] = pd.to_numeric(changed[column]).iloc[3] + 1
    assert assess(changed, catalogue, settings).result.base is not first.result.base
    assert assessment._STAGES.hits == 0


def test_a_zero_weight_keeps_the_base_but_not_the_monte_carlo_model(demo, settings) -> None:
    table, catalogue = demo
    first = assess(table, catalogue, settings)
    zero = settings.with_changes(domain_weights=domains(skyddsfaktorer=0.0))
    second = assess(table, catalogue, zero)
    assert second.result.base is first.result.base
    assert uncertainty._MODELS.hits == 0 and uncertainty._MODELS.misses == 2
    assert_same_assessment(second, cold(table, catalogue, zero))


def test_rank_areas_and_rank_uncertainty_remember_too(demo, settings) -> None:
    table, catalogue = demo
    first = rank_areas(table, catalogue, settings)
    other = settings.with_changes(domain_weights=domains(missbruk=0.4))
    assert rank_areas(table, catalogue, other).base is first.base
    options = UncertaintyOptions(draws=120)
    warm = [rank_uncertainty(table, catalogue, s, options) for s in (settings, other)]
    assert uncertainty._DRAWS.hits == 1
    clear_weight_stage_cache()
    fresh = rank_uncertainty(table, catalogue, other, options)
    for name in ("median_rank", "rank_low", "rank_high", "p_top_k", "rank_counts"):
        same_bits(getattr(warm[1], name), getattr(fresh, name))


def test_a_ranking_made_without_the_cache_is_not_remembered(demo, settings) -> None:
    table, catalogue = demo
    result = ranking.RankingResult(table, catalogue, settings)
    assert not result.base.cached and len(ranking._BASES) == 0
    rank_uncertainty(table, catalogue, settings, UncertaintyOptions(draws=50),
                     ranking=result)
    assert len(uncertainty._MODELS) == 0 and len(uncertainty._DRAWS) == 0


# -- the same results -----------------------------------------------------------------------

@pytest.mark.parametrize("variant", [
    dict(), dict(aggregation="geometric"), dict(normalisation="percentile"),
    dict(normalisation="minmax", aggregation="geometric"), dict(smoothing="eb"),
    dict(disclosure=False), dict(disclosure=False, smoothing="eb"),
])
def test_warm_equals_cold_bit_for_bit(demo, settings, variant) -> None:
    table, catalogue = demo
    base = settings.with_changes(**variant)
    weight_sets = [
        dict(domain_weights=domains(kriminalitet=2.5)),
        dict(indicator_weights={i: 1.0 + 0.37 * k for k, i in enumerate(base.indicators)}),
        dict(indicator_weights={i: 0.0 if k == 2 else 1.0
                                for k, i in enumerate(base.indicators)}),
    ]
    assess(table, catalogue, base)                           # fills the stage
    for weights in weight_sets:
        chosen = base.with_changes(**weights)
        warm = assess(table, catalogue, chosen)
        assert warm.result.base.cached and assessment._STAGES.hits >= 1
        assert_same_assessment(warm, cold(table, catalogue, chosen))
        assess(table, catalogue, base)                       # refill after cold()


def test_missing_error_hits_and_equals_cold(demo, settings) -> None:
    table, catalogue = demo
    chosen = settings.with_changes(
        indicator_weights={i: 1.0 for i in settings.indicators if i != "hog_franvaro"},
        missing="error", disclosure=False)
    assess(table, catalogue, chosen.with_changes(domain_weights=domains(skola=0.5)))
    warm = assess(table, catalogue, chosen)
    assert assessment._STAGES.hits == 1
    assert_same_assessment(warm, cold(table, catalogue, chosen))


def test_errors_still_come_on_a_hit(demo, settings) -> None:
    table, catalogue = demo
    assess(table, catalogue, settings)
    nothing = settings.with_changes(domain_weights={d: 0.0 for d in DOMAINS})
    with pytest.raises(SettingsError, match="positiv domänvikt"):
        assess(table, catalogue, nothing)
    with pytest.raises(SettingsError, match="positiv domänvikt"):
        rank_areas(table, catalogue, nothing)


def test_threads_get_the_same_results(demo, settings) -> None:
    table, catalogue = demo
    chosen = [settings.with_changes(domain_weights=domains(skola=1.0 + k / 4))
              for k in range(6)]
    got: dict[int, Assessment] = {}

    def work(k: int) -> None:
        got[k] = assess(table, catalogue, chosen[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(chosen))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in (0, 5):
        assert_same_assessment(got[k], cold(table, catalogue, chosen[k]))


# -- never stale ----------------------------------------------------------------------------

def test_a_table_changed_in_place_is_computed_anew(demo, settings) -> None:
    table, catalogue = demo
    table = table.copy(deep=True)
    original = table.copy(deep=True)
    for chosen in (settings, settings.with_changes(disclosure=False)):   # copied or not
        assess(table, catalogue, chosen)
        column = catalogue["valdsbrott"].numerator
        table.loc[0, column] = pd.to_numeric(table[column]).max() * 3
        after = assess(table, catalogue, chosen.with_changes(
            domain_weights=domains(kriminalitet=2.0)))
        assert_same_assessment(after, cold(table, catalogue, chosen.with_changes(
            domain_weights=domains(kriminalitet=2.0))))
        # The first content again, in another frame: nothing of the changed table leaks in.
        again = assess(original.copy(deep=True), catalogue, chosen)
        assert_same_assessment(again, cold(original, catalogue, chosen))
        table = original.copy(deep=True)


def test_a_table_changed_after_a_run_does_not_change_what_is_remembered(demo) -> None:
    table, catalogue = demo
    chosen = read_settings(DATA / "profiles" / "bred_prevention.toml").with_changes(
        draws=100, disclosure=False)
    mine = table.copy(deep=True)
    first = assess(mine, catalogue, chosen)
    assert first.prepared.table is mine          # nothing hidden: the caller's own table
    for column in mine.columns.drop(AREA_ID):
        mine[column] = np.nan                    # in place, every count gone
    warm = assess(table, catalogue, chosen.with_changes(domain_weights=domains(skola=2.0)))
    assert assessment._STAGES.hits == 1
    assert warm.prepared.table is table
    assert_same_assessment(warm, cold(table, catalogue, chosen.with_changes(
        domain_weights=domains(skola=2.0))))


def test_changing_what_was_handed_out_does_not_change_what_is_remembered(demo, settings
                                                                          ) -> None:
    table, catalogue = demo
    first = assess(table, catalogue, settings)
    r = first.result
    r.values.iloc[:, :] = 0.0
    r.normalised.iloc[0, 0] = 1e6
    r.percentiles.loc[:, :] = 1.0
    r.validated.iloc[:, 0] = -1.0
    first.prepared.table.loc[:, first.prepared.table.columns[1]] = 0
    small = first.prepared.disclosure.small_areas
    assert len(small)
    small.loc[:, AREA_ID] = "0126R999"
    with pytest.raises(ValueError, match="read-only"):
        r.base.x[0, 0] = 1.0
    warm = assess(table, catalogue, settings)
    assert warm.result.base is r.base
    assert_same_assessment(warm, cold(table, catalogue, settings))


def test_remembered_arrays_are_read_only(demo, settings) -> None:
    table, catalogue = demo
    result = assess(table, catalogue, settings).result
    for array in (result.base.x, result.base.present, result.base.centred):
        assert not array.flags.writeable
    model = next(iter(uncertainty._MODELS._entries.values()))[0]
    assert not model.values.flags.writeable and not model.cells.flags.writeable
    draws = next(iter(uncertainty._DRAWS._entries.values()))[0]
    assert draws.noise is not None and not draws.noise.flags.writeable


def test_the_noise_budget_is_part_of_the_key(demo, settings, monkeypatch) -> None:
    table, catalogue = demo
    options = UncertaintyOptions(draws=300)
    full = rank_uncertainty(table, catalogue, settings, options)
    monkeypatch.setattr(uncertainty, "NOISE_CELL_BUDGET", 22 * 15 * 60)
    monkeypatch.setattr(uncertainty, "SHARED_NOISE_MIN_REPLICATES", 10)
    shared = rank_uncertainty(table, catalogue, settings, options)
    assert full.noise_replicates == 300 and shared.noise_replicates < 300


# -- the key and the memo -------------------------------------------------------------------

def test_table_key_tells_apart_what_a_computation_could() -> None:
    base = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    assert table_key(base) == table_key(base.copy(deep=True))
    variants = [
        base.assign(a=[1.0, 2.0 + 1e-12]), base.assign(a=[1, 2]), base.assign(a=[-0.0, 2.0]),
        base[["b", "a"]], base.rename(columns={"a": "c"}), base.set_axis([5, 6]),
        base.assign(b=pd.Series([None, "y"], dtype=object)),
        base.assign(b=pd.Series(["x", "y"], dtype="string")),
    ]
    keys = {table_key(v) for v in variants} | {table_key(base)}
    assert len(keys) == len(variants) + 1
    none = pd.DataFrame({"b": pd.Series([None, "y"], dtype=object)})
    text = pd.DataFrame({"b": pd.Series(["None", "y"], dtype=object)})
    one = pd.DataFrame({"b": pd.Series([1, "y"], dtype=object)})
    one_text = pd.DataFrame({"b": pd.Series(["1", "y"], dtype=object)})
    assert table_key(none) != table_key(text) and table_key(one) != table_key(one_text)


def test_settings_key_drops_only_the_weight_values_name_and_description(settings) -> None:
    other = settings.with_changes(domain_weights=domains(skola=0.0), name="x",
                                  description="y",
                                  indicator_weights={i: 3.0 for i in settings.indicators})
    assert settings_key(other) == settings_key(settings)
    fewer = settings.with_changes(indicator_weights={i: 1.0 for i in settings.indicators[1:]})
    assert settings_key(fewer) != settings_key(settings)


def test_lru_cache_is_bounded() -> None:
    cache = LRUCache(2)
    for k in range(3):
        cache.put(k, str(k))
    assert len(cache) == 2 and cache.get(0) is None and cache.get(2) == "2"
    cache.get(1)
    cache.put(3, "3")                       # 2 was used least recently
    assert cache.get(2) is None and cache.get(1) == "1"
    weighed = LRUCache(10, max_bytes=10, weigh=len)
    weighed.put("a", "x" * 6)
    weighed.put("b", "x" * 6)
    assert weighed.get("a") is None and weighed.get("b") == "x" * 6
    weighed.put("c", "x" * 20)               # the newest is kept even when too large
    assert len(weighed) == 1 and weighed.get("c") is not None
    cache.clear()
    assert len(cache) == 0 and cache.hits == cache.misses == 0


def test_a_base_of_other_settings_is_refused(demo, settings) -> None:
    table, catalogue = demo
    base = rank_areas(table, catalogue, settings).base
    with pytest.raises(ValueError, match="ranking_base"):
        ranking.RankingResult(table, catalogue, settings.with_changes(aggregation="geometric"),
                              "indikatortabell", base)
    with pytest.raises(ValueError, match="ranking_base"):
        ranking.RankingResult(table, catalogue, settings, "annan.csv", base)
    other = settings.with_changes(domain_weights=domains(skola=4.0))
    same_bits(ranking.RankingResult(table, catalogue, other, "indikatortabell", base).score,
              ranking.RankingResult(table, catalogue, other).score)
