"""The method page against the code (issue 16): every number and claim it states comes
from, and is checked against, the code that does it. A wrong sentence there is a bug."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from shared_data import shared
from small_catalogue import small_catalogue

from geo.analysis import Analysis, run_analysis
from geo.inputs import (
    DEFAULT_AREAS,
    DEFAULT_PROFILE,
    VALIDATION,
    default_settings,
    load_inputs,
)
from geo.io.areas import read_areas
from geo.io.files import read_settings
from geo.io.scb_wide import FROM_PERCENT
from geo.sources import real_inputs
from indicators.columns import AREA_ID, DOMAINS
from indicators.disclosure import apply_disclosure
from indicators.recommendation import FOCUS, INTENSITY
from indicators.swedish import format_number, format_percent
from indicators.tiers import NO_RANK
from indicators.validation import read_result_rows, stored_section


def sections(analysis: Analysis) -> dict[str, str]:
    return {s.heading: "\n".join(s.paragraphs) for s in analysis.method_page()}


@pytest.fixture(scope="module")
def demo() -> Analysis:
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


@pytest.fixture(scope="module")
def real() -> Analysis:
    inputs = real_inputs(read_areas(DEFAULT_AREAS))
    return run_analysis(inputs, default_settings(inputs)[0])


def _hidden_midpoint(count: float, den: float, threshold: int) -> float | None:
    table = pd.DataFrame({"antal": [count, 40.0], "unga": [den, 400.0],
                          "brott_antal": [10.0, 10.0], "invanare": [100.0, 100.0],
                          "poang": [1.0, 1.0]},
                         index=pd.Index(["A", "B"], name=AREA_ID))
    d = apply_disclosure(table, small_catalogue(), ["andel"], threshold=threshold)
    return float(d.censored.at["A", "antal"]) if len(d.suppressed) else None


@pytest.mark.parametrize("threshold", [5, 3, 10])
def test_the_band_and_midpoint_stated_are_what_disclosure_control_does(demo, threshold):
    settings = demo.settings.with_changes(disclosure_threshold=threshold)
    page = "\n".join("\n".join(s.paragraphs) for s in run_analysis(
        demo.inputs, settings).method_page())
    midpoint = _hidden_midpoint(1, 1000, threshold)
    assert midpoint == _hidden_midpoint(threshold - 1, 1000, threshold)   # the whole band
    assert _hidden_midpoint(threshold, 1000, threshold) is None           # t itself shown
    assert (f"antal personer under {threshold} i ett område" in page)
    assert f"(1–{threshold - 1} ger {format_number(midpoint, 1, trim=True)})" in page
    assert f"som ett värde mellan 1 och {threshold - 1}, inte som saknade" in page


def test_the_noise_example_is_a_count_the_defaults_show(demo):
    """"t fall av 40": the smallest count disclosure control shows, so the example can
    occur (issue 16: "3 av 40" could not)."""
    t = demo.settings.small_numbers.disclosure_threshold
    text = sections(demo)["Hur säker är rangordningen?"]
    assert f"så att {t} fall av 40 inte behandlas som exakt " \
           f"{format_percent(t / 40 * 100, 1)}" in text
    assert _hidden_midpoint(t, 40, t) is None                 # t of 40 is shown...
    assert _hidden_midpoint(t - 1, 40, t) is not None         # ...t − 1 of 40 is not


def test_the_small_area_flag_is_stated_on_the_young_population(demo, real):
    for analysis in (demo, real):
        d = analysis.assessment.prepared.disclosure
        text = sections(analysis)["Små tal och sekretess"]
        assert d.youth_column is not None
        assert (f"Områden med färre än {d.min_population} {d.youth_column} markeras"
                in text)
    assert sections(demo)["Små tal och sekretess"].count("barn 0–17 år") >= 1
    assert "barn och unga 0–19 år" in sections(real)["Små tal och sekretess"]


def test_the_domains_stated_are_those_of_the_indicators_used(demo, real):
    assert "i sex domäner: " + ", ".join(DOMAINS.values()) in sections(demo)[
        "Indikatorer och riktning"]
    text = sections(real)["Indikatorer och riktning"]
    assert "4 indikatorer ingår, i en domän: Socioekonomiska riskfaktorer." in text
    assert "sex domäner" not in text


def test_counts_rebuilt_from_percentages_are_said(demo, real):
    """"aldrig från färdiga procenttal" was untrue for SCB's low economic standard."""
    catalogue = real.inputs.catalogue
    rebuilt = [i.name for i in catalogue.values() if i.numerator in FROM_PERCENT]
    assert rebuilt == ["Invånare med låg ekonomisk standard"]
    assert f"Undantag: {rebuilt[0]} publicerar SCB bara som procent med heltal" in sections(
        real)["Indikatorer och riktning"]
    assert "Undantag" not in sections(demo)["Indikatorer och riktning"]
    assert "aldrig" not in sections(real)["Indikatorer och riktning"]


def test_scb_publishes_low_economic_standard_as_whole_percentages():
    """The claim's premise, on SCB's wide table as downloaded, and the half percentage
    point it implies: the rebuilt count is pct/100 × persons."""
    wide = pd.read_csv(shared("sweden", "scb_deso2018_2022_wide.csv"), dtype={"deso_2018": str})
    pct = wide["low_econ_standard_2022_pct"].dropna()
    assert len(pct) > 5000 and (pct == pct.round()).all()


def test_the_validation_section_is_the_stored_results(demo):
    page = demo.method_page()
    headings = [s.heading for s in page]
    assert headings[-2:] == ["Extern validering", "Källor till metoden"]
    stored = stored_section(VALIDATION.read_text(encoding="utf-8"))
    assert page[-2] == stored
    text = "\n".join(stored.paragraphs)
    first = read_result_rows(VALIDATION.read_text(encoding="utf-8"))[0]
    assert first["metric"] == "auc" and first["primary"] == first["external"] == "yes"
    shown = (f"AUC {format_number(float(first['value']), 2)} (95 % KI "
             f"{format_number(float(first['low']), 2)}–{format_number(float(first['high']), 2)})")
    assert shown in text
    assert "delvis inbyggd" in text


def test_the_noise_stated_is_the_noise_drawn(demo):
    """The page and the Monte Carlo's own account both name the Jeffreys posterior, and a
    0 of 40 does vary in the draws."""
    assert "Jeffreys" in sections(demo)["Hur säker är rangordningen?"]
    assert "Jeffreys" in demo.assessment.uncertainty.method_text()
    assert demo.assessment.uncertainty.censored_cells == len(
        demo.assessment.prepared.disclosure.suppressed)


def test_the_cluster_section_states_what_the_hotspot_test_does(demo):
    """"Var behoven samlas": the permutations, alpha, the switch to the normal approximation
    and the power check's cluster, lift and threshold are those of the analysis' own run,
    and the switch lies where the page says (find_hotspots on 25 and on 26 areas)."""
    import geopandas as gpd
    from shapely.geometry import box

    from geo.spatial.hotspots import NOT_SIGNIFICANT, find_hotspots
    from indicators import clusters
    from indicators.columns import SCORE

    text = sections(demo)["Var behoven samlas"]
    hot = demo.hotspots
    assert (hot.permutations, hot.alpha, hot.fdr) == (clusters.PERMUTATIONS, clusters.ALPHA,
                                                      True)
    assert f"tvåsidigt med {hot.permutations} slumpmässiga omflyttningar" in text
    assert f"justerade p-värde är högst {format_number(hot.alpha, 2, trim=True)}" in text
    assert f"ungefär {format_percent(100 * hot.alpha, 0)} av områdena" in text
    assert (f"minsta möjliga p-värdet {format_number(2 / (hot.permutations + 1), 3, trim=True)}"
            in text)
    last = clusters.most_areas_with_permutations(hot.permutations, hot.alpha)
    assert f"med fler än {last} områden räcker det inte" in text
    boxes = [box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000)
             for r in range(6) for c in range(6)]
    for n, normal in ((last, False), (last + 1, True)):
        ids = [f"A{i}" for i in range(n)]
        areas = gpd.GeoDataFrame({AREA_ID: ids}, geometry=boxes[:n], crs=3006)
        values = pd.Series(range(n), index=ids, name="x", dtype=float)
        assert find_hotspots(areas, values, min_power=0).normal == (("x",) if normal else ())
    power = hot.power[SCORE]
    assert (f"klunga om {power.cluster} sammanhängande områden, "
            f"{format_number(power.lift, 1, trim=True)} standardavvikelser över bruset" in text)
    assert f"mindre än {format_percent(100 * power.threshold, 0)} av simuleringarna" in text
    # the demo's power is below it: what is not significant is "Går inte att avgöra …"
    labels = hot.frame[f"{SCORE}_gi_label"]
    assert not power.decidable and (labels != NOT_SIGNIFICANT).all()
    assert labels.str.startswith("Går inte att avgöra").any()


#: The page's caveat on MPI+ with z-scores, and the sentence it adds when they are chosen.
MPI_CAVEAT = ("med z-poäng och MPI+ tillsammans kan ett områdes poäng i sällsynta fall sjunka "
              "fast dess behov har ökat")
MPI_CHOSEN = "Den här rangordningen använder z-poäng och MPI+"


@pytest.mark.parametrize(("normalisation", "aggregation"),
                         [("zscore", "mpi"), ("zscore", "arithmetic"), ("percentile", "mpi")])
def test_the_mpi_caveat_is_what_the_ranking_does(demo, grid_catalogue, normalisation,
                                                 aggregation):
    """The caveat stands where the page describes MPI+, for every choice, and says when the
    ranking shown uses z-scores with MPI+; its claims computed with the ranking's code on
    the counterexample of tests/test_properties.py (the general claim, "aritmetiskt
    medelvärde ... aldrig", is its monotone property test): an area's need rises, its
    domain's value rises under both aggregations, and its score falls with MPI+ only."""
    from test_properties import _more_need, _settings

    from indicators.ranking import rank_areas

    settings = demo.settings.with_changes(normalisation=normalisation, aggregation=aggregation)
    text = sections(run_analysis(demo.inputs, settings))["Vikter och sammanvägning"]
    assert MPI_CAVEAT in text and "Med aritmetiskt medelvärde sjunker poängen aldrig" in text
    assert text.index("Mazziotta–Pareto (MPI+)") < text.index(MPI_CAVEAT)
    assert (MPI_CHOSEN in text) == ((normalisation, aggregation) == ("zscore", "mpi"))

    table = pd.DataFrame({
        "area_id": [f"R{k:02d}" for k in range(6)], "barn": [1] * 6, "barn_lag_ek": [0] * 6,
        "invanare": [1, 0, 0, 0, 0, 0], "anmalda_brott": [0] * 6, "elever": [1] * 6,
        "elever_behoriga": [0, 0, 0, 0, 0, 1],
        "franvaro": [0.3, None, None, None, 0.0, 0.1]})     # few areas with a value
    worse = _more_need(table, 0, "franvaro", 1)
    for way in ("arithmetic", "mpi"):
        before = rank_areas(table, grid_catalogue, _settings("zscore", way))
        after = rank_areas(worse, grid_catalogue, _settings("zscore", way))
        assert after.domain_scores["skola"].iloc[0] > before.domain_scores["skola"].iloc[0]
        assert (after.score.iloc[0] < before.score.iloc[0]) == (way == "mpi"), way


def test_the_recommendation_section_states_what_the_recommendation_does(demo):
    """Issue 19: "Rekommenderat angreppssätt och budget" with the settings' numbers, each
    claim checked against what geo.recommend computes."""
    from fractions import Fraction

    from geo.recommend import KRONOR, recommendations
    from indicators.allocation import AllocationRule, allocate
    from indicators.method import RECOMMENDATION_HEADING
    from indicators.swedish import format_kronor
    from indicators.tiers import TIERS

    text = sections(demo)[RECOMMENDATION_HEADING]
    rec = recommendations(demo)
    rules = demo.settings.recommendation
    tiers = demo.assessment.tiers.astype(str)
    for tier in TIERS:                      # tier -> intensity, as stated and as applied
        stated = re.search(f"{tier} ger (\\w+) \\(", text).group(1)
        assert set(rec.areas[INTENSITY][tiers == tier]) <= {stated}
    assert (rec.areas[INTENSITY][tiers == NO_RANK] == "").all()
    # the focus threshold: every focus domain lies that many sd above the kommun's mean
    thr = rules.focus_threshold
    assert f"minst {format_number(thr, 2, trim=True)} standardavvikelse" in text
    scores = demo.result.domain_scores[demo.result.score.notna()]
    z = (scores - scores.mean()) / scores.std(ddof=0)
    focused = [(a, d) for a, f in rec.areas[FOCUS].items() for d in f.split("; ") if d]
    assert focused and all(z.at[a, d] >= thr - 1e-9 for a, d in focused)
    assert f"de högst {rules.max_focus} domäner" in text
    assert rec.areas[FOCUS].map(lambda f: len([d for d in f.split("; ") if d])).max() \
        <= rules.max_focus
    # the budget, the base and the minimum
    rule = rules.allocation
    n_all, n = len(demo.result.score), int(demo.result.score.notna().sum())
    base = int(rule.total_kr * Fraction(str(rule.base_share)))
    minimum = base // n_all
    assert f"Budget: {format_kronor(rule.total_kr)}" in text
    assert f"({format_kronor(base)}), delas lika av alla {n_all} områden" in text
    assert f"varje område får minst {format_kronor(minimum)}" in text
    assert rec.allocation[KRONOR].min() >= minimum
    assert int(rec.allocation[KRONOR].sum()) == rule.total_kr
    # the need weight on ranks: with "behov", rank 1 gets n / (n (n + 1) / 2) of the rest
    assert f"(n − rang + 1) / n, med n = {n} rangordnade" in text
    need = allocate(demo.result.rank, AllocationRule(rule.total_kr, rule.base_share, "behov"))
    rest = rule.total_kr - minimum * n_all
    first = need[demo.result.rank == 1].iloc[0] - minimum
    assert abs(first - rest * n / (n * (n + 1) / 2)) <= 1
    assert "5 och 95 % av områdets belopp över dragningarna (de exakta beloppen, " \
        "avrundade utåt till hela kronor" in text
    assert rec.allocation["low"].notna().all()
    # outward: whole kronor, and the point allocation's own draw-free share lies within
    assert (rec.allocation["low"] <= rec.allocation["high"]).all()
    assert (rec.allocation["low"] % 1 == 0).all() and (rec.allocation["high"] % 1 == 0).all()


def test_the_recommendation_section_follows_the_settings(demo):
    from indicators.method import RECOMMENDATION_HEADING, method_page
    from indicators.recommendation import RecommendationRules
    from indicators.swedish import format_kronor

    rules = RecommendationRules("intensiv", "intensiv", "förstärkt", 1.5, 2, 0.5,
                                1_000_000, 0.2, "hogsta_prioritet")
    page = method_page(demo.settings.with_changes(recommendation=rules), n_areas=20,
                       top_k=4, all_areas=22)
    text = "\n".join(next(s for s in page if s.heading == RECOMMENDATION_HEADING).paragraphs)
    assert "Förhöjd ger intensiv (" in text and "Övriga ger förstärkt (" in text
    assert "minst 1,5 standardavvikelser" in text and "de högst 2 domäner" in text
    assert "minst 0,5 standardavvikelser bättre" in text
    assert f"alla 22 områden: varje område får minst {format_kronor(200_000 // 22)}" in text
    assert "bara till områdena med störst behov (topp 4)" in text
    assert "med n = 20 rangordnade" in text
