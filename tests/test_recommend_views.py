"""The recommendation shown where the ranking is (issue 19): the card, the summary per
förvaltning and the budget side by side (geo/export/recommend_views.py), the map choice
"angreppssatt" on the web map, the print map and through ``prevmap export``, and the
report's and workbook's sections. Expectations come from ``recommendations()``, the
organisation and the catalogue, never typed in."""

from __future__ import annotations

import datetime as dt
import html as html_module
import io

import openpyxl
import pytest

from geo.analysis import run_analysis
from geo.export import recommend_views as rv
from geo.inputs import DEFAULT_PROFILE, list_profiles, load_inputs
from geo.io.files import read_settings
from geo.io.interventions import read_interventions
from geo.io.organisation import read_organisation
from geo.maps.analysis_map import (
    APPROACH_LABEL,
    OVERRIDDEN_LABEL,
    SHOW_APPROACH,
    analysis_view,
    build_analysis_map,
    map_choices,
)
from geo.recommend import KRONOR, recommendations
from indicators.allocation import HIGH, LOW, WEIGHTINGS
from indicators.recommendation import FOCUS, INTENSITY, INTENSITY_MEANINGS, SEPARATOR
from indicators.swedish import format_integer

CREATED = dt.date(2026, 12, 6)
SCB_PROFILE = "SCB: socioekonomiska riskfaktorer"


@pytest.fixture(scope="module")
def demo():
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


@pytest.fixture(scope="module")
def real():
    from geo.sources import real_inputs
    return run_analysis(real_inputs(load_inputs().areas), list_profiles()[SCB_PROFILE])


@pytest.fixture(scope="module")
def org():
    return read_organisation()


@pytest.fixture(scope="module")
def catalogue():
    return read_interventions()


def _kr(value) -> str:
    return f"{format_integer(int(value))} kr"


# -- the card -----------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["demo", "real"])
def test_every_card_says_what_the_recommendation_says(which, request, org, catalogue):
    analysis = request.getfixturevalue(which)
    rec = recommendations(analysis)
    for area in rec.areas.index:
        card = rv.recommendation_card(analysis, area, org, catalogue)
        row = rec.areas.loc[area]
        assert card.intensity == row[INTENSITY]
        assert card.reason == row["reason"]
        assert card.meaning == INTENSITY_MEANINGS.get(row[INTENSITY], "")
        domains = [d for d in row[FOCUS].split(SEPARATOR) if d]
        assert [f.domain for f in card.focus] == domains
        for f in card.focus:
            lead = org.lead_for(f.domain)
            assert f.lead == f"{lead.id} ({lead.name})"
            assert f.participants == tuple(f"{u.id} ({u.name})"
                                           for u in org.participants_for(f.domain))
            assert f.partners == tuple(p.name for p in org.partners_for(f.domain))
            assert 0 <= len(f.examples) <= rv.MAX_EXAMPLES
            levels = rv.LEVELS_OF[card.intensity]
            for ex in f.examples:
                assert f.domain in ex.domains and ex.level in levels
                assert ex.url.startswith("https://") and ex.source_organisation
            wanted = {i for level in levels for i in catalogue.for_domain(f.domain, level)}
            assert len(f.examples) == min(rv.MAX_EXAMPLES, len(wanted)), area
        a = rec.allocation.loc[area]
        assert card.allocation == (f"{_kr(a[KRONOR])} (90 %: "
                                   f"{format_integer(int(a[LOW]))}–{_kr(a[HIGH])})")
        assert card.notice == catalogue.notice and "aldrig en föreskrift" in card.notice


def test_an_area_not_in_the_analysis_has_no_card(demo, org, catalogue):
    assert rv.recommendation_card(demo, "9999R999", org, catalogue) is None


def test_examples_follow_the_intensity_most_targeted_first(catalogue):
    for domain in ("kriminalitet", "missbruk", "skola"):
        bas = rv.examples_for(catalogue, domain, "bas")
        assert all(e.level == "universell" for e in bas)
        intensive = rv.examples_for(catalogue, domain, "intensiv")
        order = {"indikerad": 0, "selektiv": 1, "universell": 2}
        assert [order[e.level] for e in intensive] == sorted(order[e.level] for e in intensive)
    assert rv.examples_for(catalogue, "kriminalitet", "") == ()


# -- the tables ---------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["demo", "real"])
def test_the_summary_per_forvaltning_lists_where_it_leads(which, request, org):
    analysis = request.getfixturevalue(which)
    rec = recommendations(analysis)
    summary = rv.unit_summary(analysis, org).set_index(rv.UNIT_COL)
    assert len(summary) == len(org.units)
    expected = {u.id: 0 for u in org.units}
    for focus in rec.areas[FOCUS]:
        for unit in {org.lead_for(d).id for d in focus.split(SEPARATOR) if d}:
            expected[unit] += 1
    got = {text.split(" ")[0]: n for text, n in summary[rv.N_COL].items()}
    assert got == expected
    names = dict(zip(analysis.joined["area_id"], analysis.joined["area_name"], strict=True))
    for area, focus in rec.areas[FOCUS].items():
        for d in (d for d in focus.split(SEPARATOR) if d):
            led = summary.loc[rv.unit_text(org, org.lead_for(d).id), rv.AREAS_COL]
            assert names[area] in led


@pytest.mark.parametrize("which", ["demo", "real"])
def test_the_budget_table_shows_each_rule_summing_to_the_total(which, request):
    analysis = request.getfixturevalue(which)
    rec = recommendations(analysis)
    table = rv.budget_table(analysis)
    rules = [c for c in rec.comparison.columns if c in WEIGHTINGS]
    assert rules[0] == rec.rules.weighting
    heads = [rv.rule_label(w, rec.rules.weighting, rec.top_k) for w in rules]
    assert list(table.columns) == [rv.AREA, rv.CODE, *heads]
    assert heads[0].endswith("(vald)") and "topp k" not in " ".join(heads)
    total = table.iloc[-1]
    assert total[rv.AREA] == "Summa"
    for w, head in zip(rules, heads, strict=True):
        assert total[head] == _kr(rec.rules.total_kr)
        body = table.iloc[:-1].set_index(rv.CODE)[head]
        for area, kronor in rec.comparison[w].items():
            assert body[area].startswith(_kr(kronor))
    # the sheet: whole kronor, each rule's column sums to the total
    sheet = rv.budget_sheet(analysis)
    for head in heads:
        assert int(sheet[f"{head} (kr)"].sum()) == rec.rules.total_kr
        assert (sheet[f"{head}, 5 % (kr)"] <= sheet[f"{head}, 95 % (kr)"]).all()


def test_the_recommendation_table_most_intensive_first(demo, org):
    rec = recommendations(demo)
    table = rv.recommendation_table(demo, org)
    assert sorted(table[rv.CODE]) == sorted(rec.areas.index)
    order = {"intensiv": 0, "förstärkt": 1, "bas": 2}
    levels = [order.get(v, 3) for v in table[rv.INTENSITY_COL]]
    assert levels == sorted(levels)


# -- the map ------------------------------------------------------------------------------

def test_the_map_choice_colours_by_intensity_with_words_and_focus(demo):
    assert map_choices(demo)[SHOW_APPROACH] == APPROACH_LABEL
    rec = recommendations(demo)
    html = build_analysis_map(demo, show=SHOW_APPROACH, created=CREATED).get_root().render()
    for level in ("intensiv", "förstärkt", "bas"):
        n = int((rec.areas[INTENSITY] == level).sum())
        assert f"{level.capitalize()} ({n})" in html
        assert INTENSITY_MEANINGS[level] in html
    assert "Fokus: {}" in html
    assert OVERRIDDEN_LABEL not in html


def test_overridden_areas_are_outlined_with_their_legend_line(demo):
    ids = sorted(recommendations(demo).areas.index)[:2]
    view = analysis_view(demo, show=SHOW_APPROACH, overridden=set(ids))
    outlines = [o for o in view.values["outlines"] if OVERRIDDEN_LABEL in o["name"]]
    assert len(outlines) == 1
    position = {a: i for i, a in enumerate(demo.joined["area_id"])}
    assert sorted(outlines[0]["idx"]) == sorted(position[a] for a in ids)
    assert OVERRIDDEN_LABEL in view.panels["legend"]
    # ids not on the map are left out; none at all: no line
    assert not [o for o in analysis_view(demo, show=SHOW_APPROACH, overridden={"x"})
                .values["outlines"] if OVERRIDDEN_LABEL in o["name"]]


def test_the_print_map_of_the_approach(demo):
    from geo.maps.print_map import APPROACH, build_print_map
    rec = recommendations(demo)
    ids = [sorted(rec.areas.index)[0]]
    made = build_print_map(demo, APPROACH, created=CREATED, overridden=ids)
    assert made.legend.heading == APPROACH_LABEL
    counts = {w: n for _, w, n, _ in made.legend.rows}
    for level in ("intensiv", "förstärkt", "bas"):
        assert counts[level.capitalize()] == int((rec.areas[INTENSITY] == level).sum())
    assert made.to_bytes("png").startswith(b"\x89PNG")


def test_export_visa_angreppssatt_writes_html_and_print_map(tmp_path):
    from geo.cli import main
    assert main(["export", "--demo", "--out", str(tmp_path / "k.html"), "--visa",
                 "angreppssatt", "--png", str(tmp_path / "k.png")]) == 0
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    assert APPROACH_LABEL in html and "Intensiv (" in html and "Bas (" in html
    assert (tmp_path / "k.png").read_bytes().startswith(b"\x89PNG")


# -- report and workbook -------------------------------------------------------------------

def test_report_and_workbook_carry_the_recommendation(demo, org):
    from geo.export.report import report_html
    from geo.export.workbook import excel_bytes
    html = report_html(demo, created=CREATED).decode("utf-8")
    assert rv.BUDGET_TITLE in html and "Per förvaltning" in html
    assert read_interventions().notice in html
    empty = recommendations(demo).empty      # the demo has no förstärkt area: said why
    assert empty and all(html_module.escape(note) in html for note in empty)
    wb = openpyxl.load_workbook(io.BytesIO(excel_bytes(demo, created=CREATED)))
    assert wb.sheetnames[-2:] == ["Rekommendation", "Budget"]
    head = [c.value for c in wb["Rekommendation"][1]]
    assert head == list(rv.recommendation_table(demo, org).columns)
    budget = rv.budget_sheet(demo)
    got = {c.value: i for i, c in enumerate(wb["Budget"][1])}
    chosen = next(c for c in budget.columns if c.endswith("(vald) (kr)"))
    column = [r[got[chosen]].value for r in wb["Budget"].iter_rows(min_row=2,
                                                                   max_row=len(budget) + 1)]
    assert sum(column) == demo.settings.recommendation.total_kr
