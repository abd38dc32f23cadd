"""The recommended approach per area (issue 19, indicators/recommendation.py and
geo/recommend.py): intensity from the tier, straddling, focus only where a domain is
clearly above the kommun, förutsättningar, the reason, the [rekommendation] settings, and
the whole on the default data through geo."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import SettingsError
from indicators.recommendation import (
    FOCUS,
    INTENSITIES,
    INTENSITY,
    REASON,
    STRADDLES,
    STRENGTHS,
    RecommendationRules,
    domain_deviations,
    empty_levels,
    focus_labels,
    recommend_areas,
)
from indicators.settings import AnalysisSettings
from indicators.tiers import NO_RANK, TIERS, TierRule, assign_tiers

IDS = ["A", "B", "C", "D"]


def _fixture() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """Four areas, three domains, values whose deviations are easy to check by hand."""
    scores = pd.DataFrame({"kriminalitet": [3.0, 1.0, 0.0, 0.0],
                           "skola": [2.0, 0.0, 0.0, 2.0],
                           "skyddsfaktorer": [0.0, 0.0, 2.0, -2.0]}, index=IDS)
    ranked = pd.Series(True, index=IDS)
    deviations = domain_deviations(scores, ranked)
    contributions = pd.DataFrame({"kriminalitet": [0.9, 0.1, -0.3, -0.3],
                                  "skola": [0.5, -0.2, -0.2, 0.5],
                                  "skyddsfaktorer": [0.0, 0.0, 0.4, -0.4]}, index=IDS)
    tiers = pd.Series(["Hög prioritet", "Förhöjd", "Övriga", NO_RANK], index=IDS)
    u = pd.DataFrame({"median_rank": [1, 2, 3, np.nan], "rank_low": [1, 1, 2, np.nan],
                      "rank_high": [1, 3, 3, np.nan], "p_top_k": [0.96, 0.4, 0.0, np.nan]},
                     index=IDS)
    return deviations, contributions, tiers, u


def test_deviations_are_in_standard_deviations_of_the_ranked_areas() -> None:
    deviations, *_ = _fixture()
    # kriminalitet 3, 1, 0, 0: mean 1, population sd sqrt((4 + 0 + 1 + 1) / 4) = sqrt(1.5)
    assert deviations.at["A", "kriminalitet"] == pytest.approx(2 / np.sqrt(1.5))
    assert deviations.at["B", "kriminalitet"] == pytest.approx(0.0)
    flat = domain_deviations(pd.DataFrame({"x": [1.0, 1.0]}), pd.Series([True, True]))
    assert flat["x"].isna().all()                        # no spread: no deviation


def test_the_recommendation_of_the_hand_made_fixture() -> None:
    out = recommend_areas(*_fixture(), top_k=1, rules=RecommendationRules())
    assert out[INTENSITY].tolist() == ["intensiv", "förstärkt", "bas", ""]
    # A: kriminalitet +1.63 sd, skola +1 sd: both clear, kriminalitet contributes most
    assert out.at["A", FOCUS] == "kriminalitet; skola"
    # B: nothing 1 sd above (kriminalitet 0, skola -1, skyddsfaktorer 0)
    assert out.at["B", FOCUS] == ""
    # C: skyddsfaktorer 2 over 0, 0, 2, -2 is +1.41 sd (high need there) and contributes
    assert out.at["C", FOCUS] == "skyddsfaktorer"
    assert out.at["D", FOCUS] == ""                      # no rank: nothing at all
    assert out.at["A", REASON] == ("Intensiv: i topp 1 i 96 % av beräkningarna; fokus "
                                   "kriminalitet och skola, där området ligger klart över "
                                   "kommunen.")
    assert out.at["D", REASON].startswith("Ingen rekommendation: området saknar rang")
    # B's interval 1–3 reaches A's median (intensiv) and C's (bas)
    assert out.at["B", STRADDLES] == "intensiv; bas"
    assert "rangintervallet 1–3 når även platser där områden får intensiv och bas" in \
        out.at["B", REASON]
    assert out.at["A", STRADDLES] == ""                  # 1–1 reaches no one else
    assert out.at["B", REASON].count(".") == 1 and "inget särskilt fokus" in out.at["B",
                                                                                     REASON]


def test_strengths_are_protective_domains_clearly_better_than_the_kommun() -> None:
    deviations, contributions, tiers, u = _fixture()
    tiers = tiers.replace(NO_RANK, "Övriga")
    u.loc["D"] = [4, 4, 4, 0.0]
    out = recommend_areas(deviations, contributions, tiers, u, 1, RecommendationRules())
    assert out.at["D", STRENGTHS] == "skyddsfaktorer"
    assert out.at["D", FOCUS] == "skola"
    assert "att bygga på: skyddsfaktorer, där området ligger klart bättre" in out.at["D", REASON]
    assert focus_labels("kriminalitet; skola") == "kriminalitet och skola"


def test_a_domain_above_the_kommun_that_does_not_push_the_score_is_no_focus() -> None:
    deviations, contributions, tiers, u = _fixture()
    contributions.loc["A", "kriminalitet"] = 0.0       # weight 0: no contribution
    out = recommend_areas(deviations, contributions, tiers, u, 1, RecommendationRules())
    assert out.at["A", FOCUS] == "skola"


def test_max_focus_keeps_the_largest_contributions() -> None:
    out = recommend_areas(*_fixture(), top_k=1, rules=RecommendationRules(max_focus=1))
    assert out.at["A", FOCUS] == "kriminalitet"


# -- properties ---------------------------------------------------------------------------

mappings = st.sampled_from([(h, r, o) for h in INTENSITIES for r in INTENSITIES
                            for o in INTENSITIES
                            if INTENSITIES.index(h) >= INTENSITIES.index(r)
                            >= INTENSITIES.index(o)])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=20), st.data(), mappings,
       st.floats(0.05, 1), st.floats(0.05, 1))
def test_more_need_never_lowers_the_intensity(p, data, mapping, a, b) -> None:
    n = len(p)
    rules = RecommendationRules(*mapping)
    tier_rule = TierRule(max(a, b), min(a, b))
    median = pd.Series(data.draw(st.lists(st.integers(1, n), min_size=n, max_size=n)),
                       dtype=float)
    k = data.draw(st.integers(1, n))
    area = data.draw(st.integers(0, n - 1))
    more = pd.Series(p).copy()
    more[area] = data.draw(st.floats(p[area], 1))              # a higher P(top k)...
    better = median.copy()
    better[area] = data.draw(st.integers(1, int(median[area])))  # ...and a better rank
    level = [INTENSITIES.index(rules.intensity(t)) for t in
             assign_tiers(pd.Series(p), median, k, tier_rule).astype(str)]
    raised = [INTENSITIES.index(rules.intensity(t)) for t in
              assign_tiers(more, better, k, tier_rule).astype(str)]
    assert raised[area] >= level[area]


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 12), st.data(), st.floats(0.2, 3))
def test_no_domain_clearly_above_the_kommun_means_no_focus(n, data, threshold) -> None:
    ids = [f"A{i}" for i in range(n)]
    domains = ["kriminalitet", "skola", "missbruk"]
    below = st.floats(-5, threshold * 0.999, allow_nan=False)
    deviations = pd.DataFrame({d: data.draw(st.lists(below, min_size=n, max_size=n))
                               for d in domains}, index=ids)
    contributions = pd.DataFrame({d: data.draw(st.lists(st.floats(-1, 1), min_size=n,
                                                        max_size=n)) for d in domains},
                                 index=ids)
    tiers = pd.Series(data.draw(st.lists(st.sampled_from(TIERS), min_size=n, max_size=n)),
                      index=ids)
    u = pd.DataFrame({"median_rank": range(1, n + 1), "rank_low": range(1, n + 1),
                      "rank_high": range(1, n + 1), "p_top_k": 0.5}, index=ids)
    out = recommend_areas(deviations, contributions, tiers, u, 1,
                          RecommendationRules(focus_threshold=threshold))
    assert (out[FOCUS] == "").all()
    assert out[REASON].str.contains("inget särskilt fokus").all()


# -- rules and settings -------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "key", "shown"), [
    ({"intensity_high": "maximal"}, "intensity_high", "'maximal'"),
    ({"intensity_high": "bas"}, "intensity_raised", "'bas', 'förstärkt', 'bas'"),
    ({"focus_threshold": 0}, "focus_threshold", "0"),
    ({"protective_threshold": "1"}, "protective_threshold", "'1'"),
    ({"max_focus": 4}, "max_focus", "4"),
    ({"total_kr": 2.5}, "total_kr", "2.5"),
    ({"weighting": "x"}, "weighting", "'x'"),
])
def test_bad_rules_are_refused_in_the_file_naming_key_and_value(changes, key, shown) -> None:
    with pytest.raises(SettingsError, match=f"nyckel '{key}': .* Värden: {re.escape(shown)}"):
        RecommendationRules(**changes)
    file = "[indicator_weights]\na = 1\n[rekommendation]\n" + "".join(
        f"{k} = {v!r}\n".replace("'", '"') for k, v in changes.items())
    with pytest.raises(SettingsError,
                       match=f"fil 'p.toml', nyckel 'rekommendation\\.{key}'"):
        AnalysisSettings.from_toml(file, "p.toml")


def test_an_unknown_key_in_the_section_is_refused() -> None:
    with pytest.raises(SettingsError, match="okända nycklar i \\[rekommendation\\]"):
        AnalysisSettings.from_toml("[indicator_weights]\na = 1\n[rekommendation]\nbudget = 1\n")


def test_the_section_round_trips_and_old_files_still_load() -> None:
    rules = RecommendationRules("intensiv", "intensiv", "förstärkt", 1.5, 2, 0.5,
                                1_234_567, 0.25, "hogsta_prioritet")
    chosen = AnalysisSettings.create({"a": 1.0}, recommendation=rules)
    text = chosen.to_toml()
    assert "[rekommendation]\n" in text and 'intensity_raised = "intensiv"' in text
    again = AnalysisSettings.from_toml(text)
    assert again == chosen and again.recommendation == rules
    assert again.recommendation.allocation.total_kr == 1_234_567
    old = AnalysisSettings.from_toml("[indicator_weights]\na = 1\n")
    assert old.recommendation == RecommendationRules()
    assert not old.equivalent(chosen)
    # the recommendation is read after the ranking: it is no part of the ranking's key
    from indicators.ranking import settings_key
    assert settings_key(old.with_changes(recommendation=rules)) == settings_key(old)


# -- on the default data, through geo -----------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    from geo.analysis import run_analysis
    from geo.inputs import DEFAULT_PROFILE, load_inputs
    from geo.io.files import read_settings
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


def test_the_draws_kept_are_the_draws_summarised(demo) -> None:
    u = demo.assessment.uncertainty
    draws = u.rank_draws
    assert draws is not None and draws.shape == (u.draws, u.n_areas)
    ranks = draws.to_numpy()
    k = u.top_k
    for j, area in enumerate(draws.columns):
        ordered = np.sort(ranks[:, j])
        assert ordered[int(np.ceil(0.5 * u.draws)) - 1] == u.median_rank[area]
        assert ordered[int(np.ceil(0.05 * u.draws)) - 1] == u.rank_low[area]
        assert ordered[int(np.ceil(0.95 * u.draws)) - 1] == u.rank_high[area]
        assert (ranks[:, j] <= k).mean() == pytest.approx(u.p_top_k[area])


def test_recommendations_of_the_default_data(demo) -> None:
    from geo.export.outputs import settings_toml
    from geo.recommend import KRONOR, recommendations
    from indicators.allocation import HIGH, LOW, WEIGHTINGS, AllocationRule, allocate
    rec = recommendations(demo)
    assert rec is recommendations(demo)                          # kept per digest
    a = demo.assessment
    assert rec.areas[INTENSITY].tolist() == [
        RecommendationRules().intensity(t) for t in a.tiers.astype(str)]
    rule = demo.settings.recommendation.allocation
    alloc = rec.allocation
    assert int(alloc[KRONOR].sum()) == rule.total_kr
    assert (alloc[KRONOR] >= rule.minimum(len(alloc))).all()
    assert (alloc[LOW] <= alloc[HIGH]).all()
    assert rec.children is not None and not rec.notes
    for w in WEIGHTINGS:
        assert int(rec.comparison[w].sum()) == rule.total_kr
    # Need-weighted: with each draw's ranks a permutation the allocation is a decreasing
    # function of the area's own rank, so the interval holds the point allocation wherever
    # the rank interval holds the rank (one krona of rounding either way).
    need = AllocationRule(rule.total_kr, rule.base_share, "behov")
    point = allocate(a.result.rank, need)
    low, high = rec.comparison["behov_low"], rec.comparison["behov_high"]
    inside = (a.uncertainty.rank_low <= a.result.rank) & (a.result.rank
                                                          <= a.uncertainty.rank_high)
    assert inside.sum() >= len(inside) // 2
    assert ((low[inside] - 1 <= point[inside]) & (point[inside] <= high[inside] + 1)).all()
    assert b"[rekommendation]" in settings_toml(demo)            # saved with every export


def test_above_the_cell_budget_no_draws_are_kept_and_nothing_else_changes(demo,
                                                                          monkeypatch):
    import indicators.uncertainty as mc
    from geo.recommend import _recommendations
    r = demo.result
    options = demo.settings.uncertainty.__class__(draws=50)
    kept = mc.rank_uncertainty(r.table, r.catalogue, r.settings, options, ranking=r,
                               source=r.source)
    monkeypatch.setattr(mc, "RANK_DRAWS_MAX_CELLS", 50 * kept.n_areas - 1)
    dropped = mc.rank_uncertainty(r.table, r.catalogue, r.settings, options, ranking=r,
                                  source=r.source)
    assert kept.rank_draws is not None and dropped.rank_draws is None
    pd.testing.assert_frame_equal(kept.summary(), dropped.summary())
    from dataclasses import replace

    from geo.analysis import Analysis
    without = Analysis(demo.inputs, r, demo.joined, demo.join_report,
                       assessment=replace(demo.assessment, uncertainty=dropped),
                       inputs_digest="x")
    rec = _recommendations(without)
    assert rec.allocation["low"].isna().all()
    assert any("intervall kunde inte beräknas" in note for note in rec.notes)


# -- an empty level is explained -----------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*INTENSITIES, ""]), min_size=1, max_size=12),
       st.sampled_from([("intensiv", "förstärkt", "bas"), ("intensiv", "intensiv", "bas"),
                        ("intensiv", "förstärkt", "förstärkt"), ("förstärkt", "bas", "bas")]))
def test_every_used_level_without_areas_gets_one_sentence_naming_its_tier(given_levels, mapping):
    rules = RecommendationRules(*mapping)
    areas = pd.DataFrame({INTENSITY: given_levels})
    notes = empty_levels(areas, rules, TierRule(0.8, 0.3), 4)
    used = {rules.intensity(t) for t in TIERS}
    empty = [level for level in reversed(INTENSITIES)
             if level in used and level not in given_levels]
    assert [n.split(":")[0] for n in notes] == [f"Inget område får {lv}" for lv in empty]
    for note, level in zip(notes, empty, strict=True):
        for tier in TIERS:
            assert (f"'{tier}' (" in note) == (rules.intensity(tier) == level), note


def test_the_empty_level_sentence_states_the_tier_rule_by_hand():
    areas = pd.DataFrame({INTENSITY: ["intensiv", "bas", "bas", ""]})
    (note,) = empty_levels(areas, RecommendationRules(), TierRule(0.8, 0.25), 3)
    assert note.startswith("Inget område får förstärkt: inget ligger i prioritetsnivån "
                           "'Förhöjd' (P(topp 3) ≥ 25 % eller medianrang ≤ 3).")
    assert "[tiers]" in note and "'Osäkerhet, små tal och prioritet'" in note
