"""The app shows the recommendation (issue 19) through AppTest: the card "Rekommenderat
angreppssätt" for the chosen area beside the map; on the tab "Angreppssätt och budget" the
table per area, the summary per förvaltning and the budget inputs that become the
settings' [rekommendation] and change the comparison table, whose allocations sum to the
total. The map tab sends none of the tab's tables (they made every weight change slow)."""

from __future__ import annotations

import re

import pytest
from app_start import demo_app

from geo.analysis import run_analysis
from geo.export.recommend_views import (
    AREA,
    BUDGET_TITLE,
    CODE,
    INTENSITY_COL,
    UNIT_COL,
    recommendation_table,
    unit_summary,
)
from geo.export.text import md_source
from geo.inputs import list_profiles, load_inputs
from geo.recommend import recommendations
from indicators.swedish import format_integer

PROFILE = "Bred prevention"   # the demo's default profile
TAB = "Angreppssätt och budget"


@pytest.fixture(scope="module")
def at():
    return demo_app()


def _budget(at):
    return next(d.value for d in at.dataframe if CODE in d.value.columns
                and any(str(c).endswith("(vald)") for c in d.value.columns))


def _kronor(text: str) -> int:
    return int(text.split(" kr")[0].replace("\u202f", "").replace(" ", ""))


def _card_text(at) -> str:
    cards = [e for e in at.expander if "Rekommenderat angreppssätt" in e.label]
    assert len(cards) == 1
    return " ".join(md_source(e.value) for e in (*cards[0].markdown, *cards[0].caption))


def test_the_card_is_shown_for_the_selected_area(at):
    assert not at.exception
    rec = recommendations(run_analysis(load_inputs(), list_profiles()[PROFILE]))
    area = at.session_state["area"]
    text = _card_text(at)
    assert rec.areas.loc[area, "reason"] in text
    assert "aldrig en föreskrift" in text and "Budget:" in text
    other = next(a for a in rec.areas.index
                 if rec.areas.loc[a, "reason"] != rec.areas.loc[area, "reason"])
    at.selectbox(key="area").set_value(other).run()
    assert not at.exception
    text = _card_text(at)
    assert rec.areas.loc[other, "reason"] in text
    assert rec.areas.loc[area, "reason"] not in text


def test_the_map_tab_sends_no_budget_and_no_table_of_the_approach(at):
    assert at.session_state["tab"] == "Karta och rangordning"
    assert not any(BUDGET_TITLE in s.value for s in at.subheader)
    assert not any(INTENSITY_COL in d.value.columns or UNIT_COL in d.value.columns
                   for d in at.dataframe)
    assert not [w for w in at.number_input if w.key == "budget_total"]


def test_the_tab_shows_the_approach_per_area_and_per_forvaltning(at):
    at.session_state["tab"] = TAB
    at.run()
    assert not at.exception
    analysis = run_analysis(load_inputs(), list_profiles()[PROFILE])
    shown = next(d.value for d in at.dataframe if INTENSITY_COL in d.value.columns)
    expected = recommendation_table(analysis, analysis.organisation)
    assert shown[CODE].tolist() == expected[CODE].tolist()
    assert shown[INTENSITY_COL].tolist() == expected[INTENSITY_COL].tolist()
    units = next(d.value for d in at.dataframe if UNIT_COL in d.value.columns)
    assert units[UNIT_COL].tolist() == unit_summary(analysis, analysis.organisation)[
        UNIT_COL].tolist()
    # The demo's four top areas are stable: no area is 'Förhöjd', so none is förstärkt,
    # and the tab says why and where the limits are changed (a section the sidebar has).
    empty = recommendations(analysis).empty
    assert len(empty) == 1 and empty[0].startswith("Inget område får förstärkt")
    assert [md_source(i.value) for i in at.info if "Inget område får" in md_source(i.value)] \
        == list(empty)
    section = re.search(r"i appen under '([^']+)'", empty[0]).group(1)
    assert section in [e.label for e in at.sidebar.expander]


def test_the_budget_inputs_change_the_table_and_the_sum_is_the_total(at):
    at.session_state["tab"] = TAB
    at.run()
    assert any(BUDGET_TITLE in s.value for s in at.subheader)
    before = _budget(at)
    at.number_input(key="budget_total").set_value(1_000_000).run()
    assert not at.exception
    assert at.session_state["settings"].recommendation.total_kr == 1_000_000
    after = _budget(at)
    chosen = next(c for c in after.columns if str(c).endswith("(vald)"))
    body = after[after[AREA] != "Summa"]
    assert sum(_kronor(v) for v in body[chosen]) == 1_000_000
    assert after[after[AREA] == "Summa"][chosen].iloc[0] == f"{format_integer(1_000_000)} kr"
    assert not before.equals(after)
    at.radio(key="budget_rule").set_value("behov").run()
    assert not at.exception
    ruled = _budget(at)
    assert next(c for c in ruled.columns if str(c).endswith("(vald)")).startswith(
        "I proportion till behovet (rangvikt)")
    assert at.session_state["settings"].recommendation.weighting == "behov"
