"""The Swedish method page follows the settings: every choice, its default and its meaning."""

from __future__ import annotations

import re

import pytest

from indicators.method import method_page, method_text
from indicators.ranking import MPI_MEAN, MPI_SD, mpi_example
from indicators.settings import AnalysisSettings
from indicators.swedish import parse_number

BASE = AnalysisSettings.create({"valdsbrott": 1.0, "barn_lag_ek_standard": 2.0})


def page(settings: AnalysisSettings = BASE) -> str:
    return method_text(settings, n_areas=22, top_k=4)


def test_every_section_is_there_with_the_numbers_used():
    headings = [s.heading for s in method_page(BASE, n_areas=22, top_k=4)]
    assert headings == ["Vad kartan visar", "Indikatorer och riktning", "Normalisering",
                        "Vikter och sammanvägning", "Hur säker är rangordningen?",
                        "Prioritetsnivåer", "Rekommenderat angreppssätt och budget",
                        "Små tal och sekretess", "Var behoven samlas", "Källor till metoden"]
    text = page()
    assert "rangordnar 22 områden" in text
    assert "2 indikatorer ingår" in text
    assert "de 4 med störst behov" in text
    assert "1000 gånger" in text and "fröet 20261123" in text
    assert "Vald metod: z-poäng (standardiserat värde) (standardvalet)." in text
    assert "antal personer under 5" in text
    for source in ("CDC/ATSDR", "English Indices of Deprivation", "COINr", "PySAL",
                   "Benjamini & Hochberg"):
        assert source in text


def test_changed_choices_change_the_page_and_name_the_default():
    changed = BASE.with_changes(normalisation="percentile", aggregation="mpi",
                                draws=200, seed=7, data_noise=False, vary_normalisation=False,
                                smoothing="eb", disclosure_threshold=3, tier_high_p=0.9)
    text = page(changed)
    assert "Vald metod: Percentilrang (standardvalet är z-poäng (standardiserat värde))." in text
    assert "Sammanvägning mellan domäner: Mazziotta–Pareto (MPI+): ojämnt höga behov späds " \
           "inte ut (standardvalet är Aritmetiskt medelvärde (kompenserande))." in text
    assert "200 gånger" in text and "fröet 7" in text
    assert "Jeffreys" not in text and "normaliseringen varieras" not in text
    assert "Utjämning: Empirisk Bayes mot alla områdens samlade andel (standardvalet är Ingen " \
           "utjämning)." in text
    assert "antal personer under 3" in text and "i minst 90 % av beräkningarna" in text


def test_disclosure_switched_off_is_said_plainly():
    assert "Röjandekontroll är AVSTÄNGD" in page(BASE.with_changes(disclosure=False))
    assert "AVSTÄNGD" not in page()


def _weights_section(settings: AnalysisSettings = BASE) -> str:
    sections = {s.heading: s for s in method_page(settings, n_areas=22, top_k=4)}
    return "\n".join(sections["Vikter och sammanvägning"].paragraphs)


def _numbers(text: str) -> list[float]:
    return [parse_number(t) for t in re.findall(r"-?\d+(?:,\d+)?", text)]


def test_the_mpi_example_on_the_page_is_the_codes():
    """Every number of the worked example is mpi_example's, in the order the page gives
    them, and the example shows the property: the uneven area scores higher."""
    section = _weights_section()
    example = next(p for p in section.split("\n") if p.startswith("Exempel"))
    e = mpi_example()
    expected = [e.uneven[0], -e.uneven[1], e.even[0], *e.arithmetic, *e.standardised[0],
                *e.standardised[1], e.mean[0], e.spread[0], e.spread[0], e.mean[0], e.mpi[0],
                e.mpi[1]]
    assert _numbers(example) == pytest.approx(expected, abs=0.005)
    assert e.arithmetic[0] == e.arithmetic[1] and e.mpi[0] > e.mpi[1]
    assert e.mpi[0] == pytest.approx(e.mean[0] + e.spread[0] ** 2 / e.mean[0], abs=1e-12)
    assert f"medelvärde {MPI_MEAN:g} och standardavvikelse {MPI_SD:g}" in section


@pytest.mark.parametrize(("share", "shown"), [(0.5, "50 %"), (0.75, "75 %"), (0.0, "0 %")])
def test_the_page_states_the_minimum_coverage_of_the_settings(share: float, shown: str):
    section = _weights_section(BASE.with_changes(min_coverage=share))
    assert f"värden för mindre än {shown} av indikatorernas vikt" in section
    assert ("(standardvalet)" in section.split("indikatorernas vikt")[1][:20]) == (share == 0.5)
