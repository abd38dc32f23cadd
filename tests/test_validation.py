"""External validation: the statistics (exact, hand-computed and against scipy) and the
figures in data/validation/extern_validering.md, recomputed through the default pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indicators.swedish import format_number
from indicators.validation import (
    AUC,
    SPEARMAN,
    Estimate,
    MetricResult,
    MetricSpec,
    auc,
    auc_estimate,
    bootstrap,
    format_estimate,
    midranks,
    spearman,
    spearman_estimate,
    validation_section,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "data" / "validation" / "extern_validering.md"


# -- the statistics, by hand ---------------------------------------------------------------

def test_midranks_share_the_mean_rank_of_ties():
    assert midranks(np.array([30.0, 10.0, 20.0, 20.0])).tolist() == [4.0, 1.0, 2.5, 2.5]


def test_auc_counts_pairs_and_ties_as_one_half():
    # positives score 2 and 3, negatives 1 and 2: pairs (2>1) 1, (2=2) 1/2, (3>1) 1, (3>2) 1
    assert auc([1, 2, 2, 3], [False, True, False, True]) == 3.5 / 4


def test_auc_is_one_when_every_positive_is_higher_and_zero_when_lower():
    assert auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    assert auc([5, 5, 5], [True, False, False]) == 0.5


def test_auc_without_one_class_is_undefined():
    assert np.isnan(auc([1, 2, 3], [True, True, True]))


def test_spearman_by_hand_with_a_tie():
    # ranks x 1..5, y (5, 6, 7, 8, 7) -> 1, 2, 3.5, 5, 3.5; centred products sum to 8,
    # squares to 10 and 9.5
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / np.sqrt(95),
                                                                        abs=1e-15)


def test_spearman_of_a_constant_is_undefined():
    assert np.isnan(spearman([1, 2, 3], [4, 4, 4]))


def test_statistics_refuse_unequal_lengths_and_missing_scores():
    with pytest.raises(ValueError, match="equal length"):
        auc([1, 2], [True])
    with pytest.raises(ValueError, match="1 missing value"):
        spearman([1, np.nan, 3], [1, 2, 3])


# -- against scipy --------------------------------------------------------------------------

def test_auc_and_spearman_agree_with_scipy_on_tied_data():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 6, 40).astype(float)      # many ties
        y = rng.integers(0, 4, 40).astype(float)
        labels = rng.random(40) < 0.3
        u = stats.mannwhitneyu(x[labels], x[~labels]).statistic
        assert auc(x, labels) == pytest.approx(u / (labels.sum() * (~labels).sum()), abs=1e-12)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


# -- the bootstrap ---------------------------------------------------------------------------

def test_bootstrap_is_repeatable_with_its_seed_and_changes_with_another():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=30), rng.normal(size=30)
    a = spearman_estimate(x, y, resamples=300, seed=7)
    assert a == spearman_estimate(x, y, resamples=300, seed=7)
    b = spearman_estimate(x, y, resamples=300, seed=8)
    assert b.value == a.value and (a.low, a.high) != (b.low, b.high)
    assert a.low <= a.value <= a.high and a.n == 30 and a.resamples == 300


def test_stratified_bootstrap_keeps_the_number_of_positives_in_every_resample():
    labels = np.array([True] * 3 + [False] * 9)
    seen = bootstrap(lambda x, y: float(y.sum()), np.arange(12.0), labels, resamples=200,
                     strata=labels)
    assert (seen.value, seen.low, seen.high, seen.dropped) == (3.0, 3.0, 3.0, 0)
    # the AUC's bootstrap is stratified: never a resample without positives
    assert auc_estimate(np.arange(12.0), labels, resamples=500).dropped == 0


def test_bootstrap_counts_undefined_resamples_and_takes_percentiles_of_the_rest():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([1.0, 1.0, 1.0, 2.0])                 # a resample without the 2 is constant
    estimate = spearman_estimate(x, y, resamples=400, seed=2)
    assert 0 < estimate.dropped < 400
    # P(no 2 among 4 draws) = (3/4)^4 ≈ 0.32: the dropped share is near it
    assert estimate.dropped / 400 == pytest.approx(0.75 ** 4, abs=0.08)


def test_bootstrap_refuses_nonsense_options():
    with pytest.raises(ValueError, match="resamples must be"):
        bootstrap(spearman, np.arange(3.0), np.arange(3.0), resamples=0)


def test_metric_spec_refuses_an_unknown_metric():
    with pytest.raises(ValueError, match="unknown metric 'kendall'"):
        MetricSpec("x", "kendall", "utfall", "var")


# -- the method page's text -------------------------------------------------------------------

def _result(metric: str, value: float, low: float, high: float, *, external: bool = True,
            positives: int | None = None, scope: str = "Huddinges RegSO",
            outcome: str = "Utfallet") -> MetricResult:
    spec = MetricSpec(f"{scope}:{metric}", metric, outcome, scope, external=external)
    return MetricResult(spec, Estimate(value, low, high, 22, 2000, 0, 16), positives, "")


def test_section_states_what_was_compared_the_results_and_what_is_built_in():
    section = validation_section([_result(AUC, 0.81, 0.62, 0.95, positives=7),
                                  _result(SPEARMAN, 0.2, -0.25, 0.6, outcome="Brotten")],
                                 vintage="Lista 2023.")
    text = " ".join(section.paragraphs)
    assert section.heading == "Extern validering"
    assert ("Utfallet, Huddinges RegSO: AUC 0,81 (95 % KI 0,62–0,95), 22 områden, 7 av 22 "
            "med utfallet.") in section.paragraphs
    assert "Brotten, Huddinges RegSO: rho 0,20 (95 % KI -0,25–0,60), 22 områden." in text
    assert "Lista 2023." in text and f"{format_number(2000, 0)} omdragningar" in text
    assert "delvis inbyggd" in text and "samma socioekonomiska uppgifter" in text
    # the AUC clears 0.5, rho's interval holds 0: each is said of its own metric
    assert "Intervallet ligger över slumpens nivå för AUC för utfallet." in text
    assert "rymmer slumpens nivå (AUC 0,5 eller rho 0) för rho för brotten:" in text


def test_section_counts_only_external_primary_metrics_in_its_verdict():
    section = validation_section([_result(AUC, 0.9, 0.7, 0.99, positives=7),
                                  _result(AUC, 0.5, 0.3, 0.7, external=False,
                                          outcome="Områdestyp")], vintage="")
    text = " ".join(section.paragraphs)
    assert "Områdestyp, Huddinges RegSO (inte oberoende, se nedan): AUC 0,50" in text
    assert "rymmer slumpens nivå" not in text
    assert format_estimate(Estimate(0.5, 0.3, 0.7, 1, 1, 0, 1)) == "0,50 (95 % KI 0,30–0,70)"


def test_section_gives_scopes_with_the_same_estimate_one_sentence():
    same = [_result(AUC, 0.8, 0.6, 0.9, positives=5, scope=s)
            for s in ("Huddinges RegSO", "Sveriges alla RegSO")]
    other = _result(AUC, 0.7, 0.6, 0.9, positives=5, scope="Länets RegSO")
    lines = [p for p in validation_section([*same, other], vintage="").paragraphs
             if p.startswith("Utfallet")]
    assert lines == ["Utfallet, Huddinges RegSO och Sveriges alla RegSO: AUC 0,80 (95 % KI "
                     "0,60–0,90), 22 områden, 5 av 22 med utfallet.",
                     "Utfallet, Länets RegSO: AUC 0,70 (95 % KI 0,60–0,90), 22 områden, 5 av "
                     "22 med utfallet."]


# -- the figures of validation.md, recomputed on real data ---------------------------------

@pytest.fixture(scope="module")
def validations():
    if not SHARED.is_dir():
        pytest.skip(f"../shared/data is absent ({SHARED}): the real police and SCB files are "
                    "needed to recompute the validation")
    from geo.sources import find_duva_wheel
    if find_duva_wheel() is None:
        pytest.skip("the duva wheel with RegSO for all of Sweden is absent (make setup)")
    from geo.validation import SCOPES, PoliceFiles, validate
    files = PoliceFiles.shared(SHARED)
    return {scope: validate(scope, files) for scope in SCOPES}


def test_committed_figures_are_what_the_default_pipeline_gives(validations):
    from geo.validation import PREREGISTERED, result_rows
    from indicators.validation import read_result_rows
    written = read_result_rows(RESULTS.read_text(encoding="utf-8"))
    computed = [row for v in validations.values() for row in result_rows(v)]
    assert [r["key"] for r in computed] == [s.key for s in PREREGISTERED]
    assert written == computed


def test_validation_runs_the_default_with_disclosure_on_and_covers_huddinge(validations):
    from geo.validation import OFFENCE_RATE, TOUCHED
    for scope, v in validations.items():
        assert v.analysis.settings.small_numbers.disclosure
        frame = v.outcomes.frame
        covered = frame[frame[TOUCHED].notna()]
        # the police's files are Huddinge's: only its 22 RegSO have an outcome
        assert len(covered) == 22 and set(covered.index.str[:4]) == {"0126"}
        assert frame[OFFENCE_RATE].notna().sum() == 22
        assert len(frame) == (22 if scope == "0126" else 3363)


def test_readme_states_the_recomputed_figures(validations):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Extern validering\n", 1)[1].split("\n## ", 1)[0]

    def shown(value: float) -> str:
        return f"{value:.2f}".replace("-", "\u2212")
    results = [r for v in validations.values() for r in v.results
               if r.spec.key.startswith("0126:") or r.spec.key == "00:områdestyp_1_2"]
    assert len(results) == 6
    rows = section.splitlines()
    for r in results:
        e = r.estimate
        row = [line for line in rows
               if line.endswith(f"| {shown(e.value)} ({shown(e.low)}–{shown(e.high)}) |")]
        assert len(row) == 1, r.spec.key
        if r.n_positive is not None and r.spec.key.startswith("0126:"):
            assert f"({r.n_positive} of {e.n})" in row[0], r.spec.key


def test_readme_words_about_the_intervals_hold(validations):
    # README: the AUC's interval lies above 0.5; rho for 2023 is positive but its interval
    # includes 0; the pooled rho's interval lies above 0
    found = {r.spec.key: r.estimate for r in validations["0126"].results}
    assert found["0126:berörs_av_utsatt_område"].low > 0.5
    rho = found["0126:brott_per_1000_senaste_året"]
    assert rho.low < 0 < rho.value
    assert found["0126:brott_per_1000_alla_år"].low > 0


def test_readme_claim_that_the_national_ranking_orders_huddinge_alike_holds(validations):
    # README: "Their order among themselves is the same ... so the figures are identical"
    national = {r.spec.key.split(":", 1)[1]: r.estimate for r in validations["00"].results
                if r.spec.external}
    huddinge = {r.spec.key.split(":", 1)[1]: r.estimate for r in validations["0126"].results
                if r.spec.external}
    assert national == huddinge
