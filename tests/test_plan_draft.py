"""Issue 19, into the plan in one step: drafts from the recommendation, their origin in the
history, and a samordnare's override (store, chain, AppTest).

Expectations come from :func:`geo.recommend.recommendations`, the organisation file and
:func:`plans.followup.baseline_for`, computed here beside the code under test, never typed in.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from geo.export.text import md_source
from indicators.columns import DOMAINS
from indicators.recommendation import FOCUS, INTENSITY, REASON, SEPARATOR
from plans.model import Override, Plan, PlanContents, PlanInputError, override_text
from plans.store import PlanStore
from plans.views import draft_origins, draft_table


@pytest.fixture(scope="module")
def demo(bred_prevention_module):
    from geo.analysis import run_analysis
    from geo.inputs import DEMO_INDICATORS, load_inputs
    return run_analysis(load_inputs(indicators=DEMO_INDICATORS), bred_prevention_module)


@pytest.fixture(scope="module")
def bred_prevention_module():
    from geo.inputs import list_profiles
    return list_profiles()["Bred prevention"]


@pytest.fixture(scope="module")
def organisation():
    from geo.io.organisation import read_organisation
    return read_organisation()


@pytest.fixture
def store(tmp_path):
    with PlanStore.open(f"sqlite:///{tmp_path / 'plans.sqlite'}") as opened:
        yield opened


def _focus(row) -> list[str]:
    return [d for d in str(row[FOCUS]).split(SEPARATOR) if d]


def _check_drafts(analysis, organisation) -> int:
    """Every ranked area's draft against the recommendation, the organisation and the
    data; the number of areas with a focus."""
    from geo.plan_draft import YEARS_TO_TARGET, draft_from_recommendation, measured_for
    from geo.recommend import recommendations
    from plans.followup import baseline_for
    rec = recommendations(analysis)
    m = measured_for(analysis)
    plan = PlanContents(Plan("p", id=7))
    today = dt.date(2026, 12, 6)
    catalogue = analysis.inputs.catalogue
    contributions = analysis.assessment.result.contributions
    focused = 0
    for area_id, row in rec.areas[rec.areas[INTENSITY] != ""].iterrows():
        area, goals, actions = draft_from_recommendation(analysis, row, organisation, plan,
                                                         today=today, measured=m)
        assert (area.area_id, area.reason, area.plan_id) == (area_id, row[REASON], 7)
        focus = _focus(row)
        if not focus:
            assert goals == []
            unit = organisation.unit(organisation.coordinator)
            assert [(a.title, a.actor) for a in actions] == [
                ("Universell insats (utkast)", f"{unit.name} ({unit.id})")]
            continue
        focused += 1
        # one action per focus domain, led by the domain's förvaltning, partners in the note
        assert len(actions) == len(focus)
        for action, domain in zip(actions, focus, strict=True):
            lead = organisation.lead_for(domain)
            assert action.actor == f"{lead.name} ({lead.id})" and action.start == today
            assert DOMAINS[domain].lower() in action.title and "(utkast)" in action.title
            assert all(p.name in action.note for p in organisation.partners_for(domain))
        # one goal per focus domain with a measurable indicator: the largest contribution
        assert len(goals) <= len(focus)
        for goal in goals:
            domain = catalogue[goal.indicator_id].domain
            assert domain in focus
            own = [c for c in contributions.columns if catalogue[c].domain == domain]
            ordered = contributions.loc[area_id, own].astype(float).dropna()
            measurable = [i for i in ordered.sort_values(ascending=False, kind="stable").index
                          if baseline_for(area_id, i, catalogue, m) is not None]
            assert goal.indicator_id == measurable[0]
            year, value = baseline_for(area_id, goal.indicator_id, catalogue, m)
            assert (goal.baseline_year, goal.baseline_value) == (year, value)
            assert goal.target_year == year + YEARS_TO_TARGET
            assert goal.unit == catalogue[goal.indicator_id].unit
            # the target lies between the baseline and the kommun's mean (or is the baseline)
            y, i = m.years.index(year), m.indicator(goal.indicator_id)
            ok = m.codes[y, :, i] == 0
            kommun = float(np.mean(m.values[y, ok, i]))
            low, high = sorted((value, kommun))
            assert low - 0.05 <= goal.target_value <= high + 0.05
            assert goal.note.startswith("Utkast från rekommendationen")
    return focused


def test_drafts_on_the_demo_follow_the_recommendation_and_the_organisation(demo,
                                                                          organisation):
    assert _check_drafts(demo, organisation) > 0


def test_drafts_on_the_real_default_data(organisation, bred_prevention_module):
    from geo.analysis import run_analysis
    from geo.inputs import load_inputs
    analysis = run_analysis(load_inputs(), bred_prevention_module)
    _check_drafts(analysis, organisation)


def test_an_area_without_recommendation_is_refused(demo, organisation):
    from geo.plan_draft import DraftError, draft_from_recommendation
    from geo.recommend import recommendations
    row = recommendations(demo).areas.iloc[0].copy()
    row[INTENSITY] = ""
    with pytest.raises(DraftError, match="har ingen rekommendation"):
        draft_from_recommendation(demo, row, organisation, PlanContents(Plan("p", id=1)))


def _take_in(store, analysis, organisation, area_id, override=None):
    from geo.plan_draft import draft_from_recommendation, draft_origin
    from geo.recommend import recommendations
    plan = store.plans()[0] if store.plans() else store.create_plan(Plan("P", "0126"),
                                                                     who="anna")
    contents = store.contents(plan.id)
    row = recommendations(analysis).areas.loc[area_id]
    draft = draft_from_recommendation(analysis, row, organisation, contents,
                                      override=override)
    store.save_many(plan.id, areas=[draft.area] if draft.area.id is None else [],
                    goals=draft.goals, actions=draft.actions,
                    overrides=[override] if override else [],
                    catalogue=analysis.inputs.catalogue, origin=draft_origin(analysis),
                    who="anna")
    return plan, draft


def test_drafted_rows_record_their_origin_and_the_chain_verifies(store, demo, organisation):
    from geo.recommend import recommendations
    area_id = next(a for a, r in recommendations(demo).areas.iterrows() if _focus(r))
    plan, draft = _take_in(store, demo, organisation, area_id)
    contents = store.contents(plan.id, history=True)
    created = [e for e in contents.history if e.entity != "plan"]
    assert len(created) == 1 + len(draft.goals) + len(draft.actions)
    for e in created:
        assert e.after["ursprung"] == "rekommendation"
        assert e.after["installningar"] == demo.digest
        # the rules as the app and the report state them (areas and reference too)
        assert e.after["regler"] == recommendations(demo).rules_text()
    assert store.verify_audit().ok
    origins = draft_origins(contents.history)
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    expected = f"från rekommendationen {today}, inställningar {demo.digest[:12]}"
    assert set(origins.values()) == {expected}
    table = draft_table(contents, area_id, {})
    assert table["Ursprung"].tolist() == [expected] * (len(draft.goals) + len(draft.actions))
    # editable as any other: a change keeps the origin (it is the creation's) and the chain
    goal = contents.goals[0]
    from dataclasses import replace
    store.update_goal(replace(goal, target_value=goal.baseline_value), demo.inputs.catalogue,
                      who="bo")
    assert draft_table(store.contents(plan.id, history=True), area_id, {})[
        "Ursprung"].tolist()[0] == expected
    assert store.verify_audit().ok
    # taken in again: nothing is drafted twice
    _, again = _take_in(store, demo, organisation, area_id)
    assert again.goals == () and again.actions == () and again.area.id is not None


def test_an_override_is_stored_with_its_reason_and_names_the_area(store, demo, organisation):
    from geo.recommend import recommendations
    areas = recommendations(demo).areas
    area_id, row = next((a, r) for a, r in areas.iterrows() if r[INTENSITY] == "intensiv")
    override = Override(area_id, "förstärkt", "skola", "Skolan har redan en satsning.",
                        recommended_intensity=row[INTENSITY], recommended_focus=row[FOCUS],
                        settings=demo.digest)
    plan, draft = _take_in(store, demo, organisation, area_id, override)
    assert [a.title for a in draft.actions] == ["Förstärkt insats: skola (utkast)"]
    assert store.overridden_areas(plan.id) == frozenset({area_id})
    (stored,) = store.contents(plan.id).overrides
    assert override_text(stored, DOMAINS).startswith(
        "Ändrad: förstärkt i stället för intensiv; fokus skola i stället för ")
    assert override_text(stored).endswith("– skäl: Skolan har redan en satsning.")
    assert [e.operation for e in store.history(plan.id, "override")] == ["skapad"]
    assert store.verify_audit().ok
    # changed again, with the version read
    from dataclasses import replace
    store.save_override(plan.id, replace(stored, intensity="intensiv", reason="Nytt läge."),
                        who="anna")
    assert [e.operation for e in store.history(plan.id, "override")] == ["skapad", "ändrad"]
    assert store.verify_audit().ok


@pytest.mark.parametrize(("changes", "message"), [
    ({"intensity": "hög"}, "fält 'Intensitet': okänd intensitet. Värden: 'hög'"),
    ({"reason": "  "}, "fält 'Motivering': Motiveringen saknas"),
    ({"focus": "fritid"}, "fält 'Fokus': okänd domän i fokus. Värden: 'fritid'"),
    ({"area_id": "0126R099"}, "fält 'Område': området finns inte i planen"),
])
def test_a_bad_override_is_refused_naming_the_field(store, changes, message):
    plan = store.create_plan(Plan("P", "0126"), who="anna")
    from plans.model import PlanArea
    store.add_area(plan.id, PlanArea("0126R001"), who="anna")
    values = {"area_id": "0126R001", "intensity": "bas", "focus": "", "reason": "Skäl."}
    with pytest.raises(PlanInputError, match=message.replace("(", r"\(")):
        store.save_override(plan.id, Override(**(values | changes)), who="anna")
    assert store.overridden_areas(plan.id) == frozenset()


def test_a_second_override_of_one_area_is_refused(store):
    plan = store.create_plan(Plan("P", "0126"), who="anna")
    from plans.model import PlanArea
    store.add_area(plan.id, PlanArea("0126R001"), who="anna")
    store.save_override(plan.id, Override("0126R001", "bas", "", "Skäl."), who="anna")
    with pytest.raises(PlanInputError, match="har redan en ändring av rekommendationen"):
        store.save_override(plan.id, Override("0126R001", "intensiv", "", "Annat."),
                            who="anna")


# -- the plan tab -------------------------------------------------------------------------

@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("PREVMAP_DATABASE_URL", url)
    return url


def _tab_with_plan() -> AppTest:
    from app_start import demo_app
    at = demo_app()
    at.session_state["tab"] = "Åtgärdsplan"
    at.run()
    at.text_input(key="plan_who").input("Anna").run()
    next(t for t in at.text_input if t.label == "Namn").input("Trygg uppväxt 2027")
    next(b for b in at.button if b.label == "Skapa planen").click().run()
    assert not at.exception and not at.error
    return at


def _first_focused(analysis) -> tuple[str, object]:
    from geo.recommend import recommendations
    areas = recommendations(analysis).areas
    return next((a, r) for a, r in areas.iterrows() if _focus(r))


def test_accept_in_the_app_drafts_into_the_plan(db_url, demo):
    at = _tab_with_plan()
    area_id, _row = _first_focused(demo)
    at.selectbox(key="plan_rec_area").set_value(area_id).run()
    next(b for b in at.button if b.label == "Ta in i planen").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with PlanStore.open(db_url) as store:
        (plan,) = store.plans()
        contents = store.contents(plan.id, history=True)
    assert [a.area_id for a in contents.areas] == [area_id]
    assert contents.goals and contents.actions
    shown = next(d.value for d in at.dataframe if "Ursprung" in d.value.columns)
    expected = draft_table(contents, area_id, {})
    assert shown["Ursprung"].tolist() == expected["Ursprung"].tolist()
    assert all(o.endswith(demo.digest[:12]) for o in shown["Ursprung"])


def test_override_in_the_app_needs_a_reason_and_is_shown(db_url, demo):
    at = _tab_with_plan()
    area_id, row = _first_focused(demo)
    at.selectbox(key="plan_rec_area").set_value(area_id).run()
    other = next(i for i in ("bas", "förstärkt", "intensiv") if i != row[INTENSITY])
    intensity = next(s for s in at.selectbox if s.label == "Intensitet")
    intensity.set_value(other)
    next(b for b in at.button if b.label == "Ändra och ta in").click().run()
    assert "Motiveringen saknas" in " ".join(md_source(e.value) for e in at.error)
    with PlanStore.open(db_url) as store:
        assert store.overridden_areas(store.plans()[0].id) == frozenset()
    next(s for s in at.selectbox if s.label == "Intensitet").set_value(other)
    next(t for t in at.text_input if t.label.startswith("Skäl")).input("Lokalt beslut.")
    next(b for b in at.button if b.label == "Ändra och ta in").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with PlanStore.open(db_url) as store:
        plan_id = store.plans()[0].id
        assert store.overridden_areas(plan_id) == frozenset({area_id})
        (stored,) = store.overrides(plan_id)
    assert stored.intensity == other and stored.reason == "Lokalt beslut."
    shown = f"Ändrad: {other} i stället för {row[INTENSITY]}"
    assert any(shown in md_source(i.value) for i in at.info)
    # The map's layer "Rekommenderat angreppssätt" marks the overridden area, for the plan
    # chosen in the plan tab, and only on that layer.
    at.session_state["tab"] = "Karta och rangordning"
    at.run()
    assert OVERRIDDEN_LEGEND not in _map_args(at)
    at.selectbox(key="map_show").set_value("angreppssatt").run()
    assert not at.exception
    assert OVERRIDDEN_LEGEND in _map_args(at)


OVERRIDDEN_LEGEND = "Ändrad av samordnare"


def _map_args(at: AppTest) -> str:
    """The arguments the app sent to its map component (the legend's HTML among them)."""
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)
    (component,) = [e for e in walk(at._tree) if getattr(e, "type", "") == "component_instance"]
    return json.dumps(json.loads(component.proto.json_args), ensure_ascii=False)


# -- migration 0005 and the store, on SQLite and PostgreSQL ---------------------------------

def test_migration_0005_adds_overrides_to_a_database_at_0004(plans_db_url):
    import sqlalchemy as sa

    from plans import migrations
    from plans.model import PlanArea
    from plans.store import create_engine, engine_url
    engine = create_engine(engine_url(plans_db_url))
    try:
        with engine.begin() as connection:
            migrations.upgrade(connection, "0004")
        assert "recommendation_overrides" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with PlanStore.open(plans_db_url) as store:
        assert store.upgraded_from == "0004" and migrations.head_revision() == "0005"
        plan = store.create_plan(Plan("P", "0126"), who="anna")
        store.save_many(plan.id, areas=[PlanArea("0126R001")],
                        overrides=[Override("0126R001", "intensiv", "kriminalitet; skola",
                                            "Polisens lägesbild.", "förstärkt", "skola",
                                            "ab" * 32)],
                        origin={"ursprung": "rekommendation", "installningar": "ab" * 32},
                        who="anna")
        assert store.overridden_areas(plan.id) == frozenset({"0126R001"})
        (override,) = store.overrides(plan.id)
        assert override.focus_domains == ("kriminalitet", "skola") and override.version == 1
        assert [e.after["ursprung"] for e in store.history(plan.id) if e.entity != "plan"] \
            == ["rekommendation"] * 2
        # removed with its area's contents, in the history too; the chain holds
        area = store.contents(plan.id).areas[0]
        store.remove_area(area, who="anna", with_contents=True)
        assert store.overridden_areas(plan.id) == frozenset()
        assert [e.operation for e in store.history(plan.id, "override")] == ["skapad",
                                                                             "borttagen"]
        assert store.verify_audit().ok
        with pytest.raises(PlanInputError, match="Intensitet"):
            store.save_override(plan.id, Override("0126R001", "x", "", "y"), who="anna")


def test_the_plans_model_repeats_the_methods_levels_and_domains_exactly():
    """plans.model imports no method, so it repeats the intensities, the domains and the
    focus separator an override may use: they must stay the method's."""
    from indicators.recommendation import INTENSITIES
    from plans.model import FOCUS_DOMAINS, FOCUS_SEPARATOR, INTENSITY_LEVELS
    assert INTENSITY_LEVELS == INTENSITIES
    assert tuple(DOMAINS) == FOCUS_DOMAINS
    assert FOCUS_SEPARATOR == SEPARATOR
