"""What the areas are compared with, in words (indicators/reference.py): a län's or
Sweden's areas are compared with the län or Sweden, never "kommunen", in the reasons, the
rules, the map legends, the method page, the drafted goals and the app's tab."""

from __future__ import annotations

from dataclasses import replace

import pytest
from app_start import demo_app
from geo_fixtures import write_duva_wheel

from geo import sources
from geo.analysis import Analysis, run_analysis
from geo.export.text import md_source
from geo.export.views import against_heading, against_kommun
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import SHOW_APPROACH, analysis_view
from geo.maps.print_map import APPROACH, build_print_map
from geo.plan_draft import draft_from_recommendation
from geo.recommend import recommendations
from indicators.recommendation import SEPARATOR
from indicators.reference import KOMMUN, LAN, MAP, SWEDEN, reference_for
from plans.model import Plan, PlanContents

PROFILE = "Bred prevention"


@pytest.mark.parametrize(("ids", "expected"), [
    (["0126R001", "0126R022"], KOMMUN),
    (["0126A0010", "0126C1020"], KOMMUN),                 # DeSO of one kommun
    (["Norra", "Södra", "0126R001"], KOMMUN),              # a kommun's own districts
    ([], KOMMUN),
    (["0126R001", "0127R001", "0180R100"], LAN),
    (["0126R001", "1280R001"], MAP),                       # two län: neither one nor Sweden
    ([f"{lan:02d}{k:02d}R001" for lan in (1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 17, 18,
                                          19, 20, 21, 22, 23, 24, 25) for k in (1, 2)],
     SWEDEN),
])
def test_the_reference_follows_the_area_codes(ids, expected):
    assert reference_for(ids) == expected


def _texts(analysis: Analysis) -> dict[str, str]:
    """Every text that compares an area with the others, as the user gets it."""
    rec = recommendations(analysis)
    legend = analysis_view(analysis, show=SHOW_APPROACH).panels["legend"]
    return {"reasons": " ".join(rec.areas["reason"]), "rules": rec.rules_text(),
            "legend": legend, "print": build_print_map(analysis, APPROACH).legend.how,
            "method": " ".join(p for s in analysis.method_page() for p in s.paragraphs)}


@pytest.fixture(scope="module")
def lan(tmp_path_factory) -> Analysis:
    """Stockholms län in a stand-in wheel: 0126 (two RegSO), 0127 and 0128 (one each)."""
    wheel = write_duva_wheel(tmp_path_factory.mktemp("wheel"))
    areas = sources.region_areas("01", wheel=wheel)
    return run_analysis(sources.demo_inputs(areas, "01", "national"), list_profiles()[PROFILE])


def test_a_lans_areas_are_compared_with_the_lan(lan):
    assert recommendations(lan).reference == LAN
    texts = _texts(lan)
    for where, text in texts.items():
        assert "klart över kommunen" not in text and "kommunens medelvärde" not in text, where
    assert "klart över länet" in texts["rules"] and "länets medelvärde" in texts["rules"]
    assert "klart över länet" in texts["legend"] and "klart över länet" in texts["print"]
    assert "länets övriga områden" in texts["method"] and "länets medelvärde" in texts["method"]
    assert "klart över länet" in texts["reasons"] or "bättre än länet" in texts["reasons"]


def test_one_kommuns_areas_are_compared_with_the_kommun():
    analysis = run_analysis(load_inputs(), list_profiles()[PROFILE])
    assert recommendations(analysis).reference == KOMMUN
    texts = _texts(analysis)
    assert "klart över kommunen" in texts["reasons"]
    assert "klart över kommunen" in texts["rules"] and "kommunens medelvärde" in texts["rules"]
    assert "klart över kommunen" in texts["legend"] and "klart över kommunen" in texts["print"]
    assert "kommunens övriga områden" in texts["method"]
    assert "länet" not in " ".join(texts.values())


@pytest.fixture
def stand_in_wheel(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv(sources.WHEEL_ENV, str(write_duva_wheel(tmp_path)))
    yield
    st.cache_resource.clear()


def test_the_profile_compares_with_the_whole_lan(lan):
    area = str(lan.result.rank.idxmin())
    assert list(against_kommun(lan, area).columns)[3] == "Hela länet"
    assert against_heading(lan).startswith("**Området jämfört med hela länet** (länet: ")
    huddinge = run_analysis(load_inputs(), list_profiles()[PROFILE])
    assert list(against_kommun(huddinge, "0126R001").columns)[3] == "Hela kommunen"


def test_the_apps_tab_and_method_page_say_lanet_for_a_lan(stand_in_wheel):
    at = demo_app()
    at.selectbox(key="kommun").set_value("01").run()
    shown = " ".join(md_source(m.value) for m in at.markdown)
    assert "Området jämfört med hela länet" in shown and "hela kommunen" not in shown
    at.session_state["tab"] = "Angreppssätt och budget"
    at.run()
    assert not at.exception and not at.error
    captions = " ".join(md_source(c.value) for c in at.caption)
    assert "klart över länet" in captions and "klart över kommunen" not in captions
    assert "omfattar alla 4 områden i analysen (hela länet)" in captions
    at.session_state["tab"] = "Metod"
    at.run()
    assert not at.exception
    page = " ".join(md_source(m.value) for m in at.markdown)
    assert "länets övriga områden" in page and "kommunens övriga områden" not in page


def test_drafted_goals_of_a_lan_aim_at_the_lans_areas(lan):
    lan = run_analysis(replace(lan.inputs, year=2024), lan.settings)   # a measured year
    rec = recommendations(lan)
    # every domain of every ranked area as its focus: each gets a goal with its note
    override_focus = list(lan.result.domain_scores.columns)
    notes = []
    for _, row in rec.areas[rec.areas["intensity"] != ""].iterrows():
        row = row.copy()
        row["focus"] = SEPARATOR.join(override_focus)
        draft = draft_from_recommendation(lan, row, lan.organisation,
                                          PlanContents(Plan("p", "01", id=1)))
        notes += [g.note for g in draft.goals]
    assert notes
    assert all("länets områden" in n or "bättre än länet" in n for n in notes), notes
    assert not any("kommun" in n for n in notes), notes


def test_smoothing_toward_the_lans_pooled_value(lan):
    smoothed = run_analysis(lan.inputs, lan.settings.with_changes(smoothing="eb"))
    notes = [n for n in smoothed.notes() if "utjämnad mot" in n]
    assert notes and all("länets sammanvägda värde" in n for n in notes), notes
    huddinge = run_analysis(load_inputs(),
                            list_profiles()[PROFILE].with_changes(smoothing="eb"))
    notes = [n for n in huddinge.notes() if "utjämnad mot" in n]
    assert notes and all("kommunens sammanvägda värde" in n for n in notes), notes
