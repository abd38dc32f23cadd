"""The Swedish method page follows the settings: every choice, its default and its meaning."""

from __future__ import annotations

from indicators.method import method_page, method_text
from indicators.settings import AnalysisSettings

BASE = AnalysisSettings.create({"valdsbrott": 1.0, "barn_lag_ek_standard": 2.0})


def page(settings: AnalysisSettings = BASE) -> str:
    return method_text(settings, n_areas=22, top_k=4)


def test_every_section_is_there_with_the_numbers_used():
    headings = [s.heading for s in method_page(BASE, n_areas=22, top_k=4)]
    assert headings == ["Vad kartan visar", "Indikatorer och riktning", "Normalisering",
                        "Vikter och sammanvägning", "Hur säker är rangordningen?",
                        "Prioritetsnivåer", "Små tal och sekretess", "Var behoven samlas",
                        "Källor till metoden"]
    text = page()
    assert "rangordnar 22 områden" in text
    assert "2 indikatorer ingår" in text
    assert "de 4 med störst behov" in text
    assert "1000 gånger" in text and "fröet 20261123" in text
    assert "Vald metod: z-poäng (standardiserat värde) (standardvalet)." in text
    assert "antal under 5" in text
    for source in ("CDC/ATSDR", "English Indices of Deprivation", "COINr", "PySAL",
                   "Benjamini & Hochberg"):
        assert source in text


def test_changed_choices_change_the_page_and_name_the_default():
    changed = BASE.with_changes(normalisation="percentile", aggregation="geometric",
                                draws=200, seed=7, data_noise=False, vary_normalisation=False,
                                smoothing="eb", disclosure_threshold=3, tier_high_p=0.9)
    text = page(changed)
    assert "Vald metod: Percentilrang (standardvalet är z-poäng (standardiserat värde))." in text
    assert "Sammanvägning: Geometriskt medelvärde (begränsar kompensation) (standardvalet är " \
           "Aritmetiskt medelvärde (kompenserande))." in text
    assert "200 gånger" in text and "fröet 7" in text
    assert "binomial" not in text and "normaliseringen varieras" not in text
    assert "Utjämning: Empirisk Bayes mot kommunens samlade andel (standardvalet är Ingen " \
           "utjämning)." in text
    assert "antal under 3" in text and "i minst 90 % av beräkningarna" in text


def test_disclosure_switched_off_is_said_plainly():
    assert "Röjandekontroll är AVSTÄNGD" in page(BASE.with_changes(disclosure=False))
    assert "AVSTÄNGD" not in page()
