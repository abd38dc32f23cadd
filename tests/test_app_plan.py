"""The app's Åtgärdsplan tab through AppTest: plans, goals, actions, follow-up, conflicts.

Each test has a database of its own (a SQLite file under tmp_path, through
``PREVMAP_DATABASE_URL``), and checks the page against the store and the follow-up
computed directly, never against numbers typed into the test.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from app_start import demo_app
from streamlit.testing.v1 import AppTest

from geo.analysis import plan_followup, run_analysis
from geo.export.text import md_source
from geo.inputs import DEMO_INDICATORS, load_inputs
from plans.model import Goal
from plans.store import PlanStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'plans.sqlite'}"
    monkeypatch.setenv("PREVMAP_DATABASE_URL", url)
    return url


@pytest.fixture
def store(db_url):
    with PlanStore.open(db_url) as opened:
        yield opened


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def errors(at: AppTest) -> str:
    return " ".join(md_source(e.value) for e in at.error)


def open_tab(who: str = "Anna") -> AppTest:
    at = demo_app()
    at.session_state["tab"] = "Åtgärdsplan"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if who:
        at.text_input(key="plan_who").input(who).run()
    return at


def new_plan(at: AppTest, name: str = "Trygg uppväxt 2027") -> None:
    next(t for t in at.text_input if t.label == "Namn").input(name)
    button(at, "Skapa planen").click().run()
    assert not at.exception and not at.error, errors(at)


def add_areas(at: AppTest, *codes: str) -> None:
    at.multiselect[0].set_value(list(codes))
    button(at, "Lägg till").click().run()
    assert not at.exception and not at.error, errors(at)


def add_goal(at: AppTest, year: int, target: float, target_year: int = 2030) -> None:
    at.selectbox(key="goal_year").set_value(year).run()
    next(n for n in at.number_input if n.label.startswith("Målvärde")).set_value(target)
    next(n for n in at.number_input if n.label == "Målår").set_value(target_year)
    button(at, "Spara målet").click().run()
    assert not at.exception, [e.value for e in at.exception]


def plan_setup(at: AppTest) -> None:
    new_plan(at)
    add_areas(at, "0126R002", "0126R014")


def test_a_plan_with_areas_and_a_goal_shows_its_follow_up(store, bred_prevention):
    at = open_tab()
    plan_setup(at)
    (plan,) = store.plans()
    assert plan.name == "Trygg uppväxt 2027" and plan.kommun == "0126"
    contents = store.contents(plan.id)
    assert [a.area_id for a in contents.areas] == ["0126R002", "0126R014"]
    # The first indicator of the form, with its baseline filled in from the data in 2021.
    add_goal(at, 2021, 5.0)
    assert not at.error, errors(at)
    contents = store.contents(plan.id)
    (goal,) = contents.goals
    analysis = run_analysis(load_inputs(), bred_prevention)
    values = plan_followup(analysis, contents)
    (expected,) = values.goals
    assert goal.baseline_year == 2021 and goal.target_value == 5.0
    assert goal.baseline_value == pytest.approx(
        next(s.value for s in expected.series if s.year == 2021))
    table = next(d.value for d in at.dataframe if "Större än osäkerheten?" in d.value.columns)
    assert table["Status"].tolist() == [expected.status]
    assert table["Förklaring"].tolist() == [expected.reason]
    areas = next(d.value for d in at.dataframe if "Prioritet nu" in d.value.columns)
    assert areas["Mål"].tolist() == [1, 0]
    # Every write is in the history, with who made it.
    history = store.history(plan.id)
    assert [(e.entity, e.operation, e.who) for e in history] == [
        ("plan", "skapad", "Anna"), ("area", "skapad", "Anna"), ("area", "skapad", "Anna"),
        ("goal", "skapad", "Anna")]


def test_a_target_outside_its_unit_is_refused_and_nothing_is_saved(store):
    at = open_tab()
    plan_setup(at)
    add_goal(at, 2021, 150.0)            # the first indicator is a share in %
    assert "utanför vad '%' kan vara" in errors(at)
    assert store.contents(store.plans()[0].id).goals == ()


def test_an_action_ending_before_it_starts_is_refused(store):
    import datetime as dt

    at = open_tab()
    plan_setup(at)
    next(t for t in at.text_input if t.label == "Vad (insatsen)").input("Fältassistenter")
    at.date_input[0].set_value(dt.date(2027, 6, 1))
    at.date_input[1].set_value(dt.date(2027, 1, 1))
    button(at, "Spara insatsen").click().run()
    assert "slutdatum 2027-01-01 är före startdatum 2027-06-01" in errors(at)
    assert store.contents(store.plans()[0].id).actions == ()
    at.date_input[1].set_value(dt.date(2028, 1, 1))
    next(t for t in at.text_input if t.label == "Vad (insatsen)").input("Fältassistenter")
    button(at, "Spara insatsen").click().run()
    assert not at.error, errors(at)
    (action,) = store.contents(store.plans()[0].id).actions
    assert (action.title, action.actor, action.start, action.end) == (
        "Fältassistenter", "Socialnämnden", dt.date(2027, 6, 1), dt.date(2028, 1, 1))


def test_without_a_name_nothing_is_written(store):
    at = open_tab(who="")
    new_plan_button = next(t for t in at.text_input if t.label == "Namn")
    new_plan_button.input("Utan namn")
    button(at, "Skapa planen").click().run()
    assert "Skriv ditt namn" in errors(at)
    assert store.plans() == ()


def test_the_first_goal_starts_from_a_year_with_a_value_and_says_when_it_cannot_be_measured(
        store):
    at = open_tab()
    plan_setup(at)
    year = at.selectbox(key="goal_year")
    assert not any("kan inte användas" in md_source(w.value) for w in at.warning)
    assert any(md_source(c.value).startswith("Utgångsvärde ur data:") for c in at.caption)
    latest = max(int(y) for y in year.options)
    said = [md_source(c.value) for c in at.caption if "senaste året i data" in md_source(c.value)]
    assert said == ([f"{latest} är det senaste året i data: målet visas som ”kan inte mätas” "
                     "tills data för ett senare år finns."] if int(year.value) == latest else [])
    # An earlier year: the goal can be followed up, nothing is said.
    year.set_value(min(year.options, key=int)).run()
    assert not [c for c in at.caption if "kan inte mätas” tills" in md_source(c.value)]


def test_a_second_plan_of_the_same_name_is_refused_naming_the_first(store):
    at = open_tab()
    new_plan(at, "Trygg uppväxt 2027")
    next(t for t in at.text_input if t.label == "Namn").input("trygg uppväxt 2027")
    button(at, "Skapa planen").click().run()
    assert "det finns redan en plan som heter 'Trygg uppväxt 2027' i kommunen" in errors(at)
    assert [p.name for p in store.plans()] == ["Trygg uppväxt 2027"]


def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten(store):
    at = open_tab()
    plan_setup(at)
    add_goal(at, 2021, 5.0)
    plan = store.plans()[0]
    (goal,) = store.contents(plan.id).goals
    at.run()                                  # the edit form shows the goal, version 1
    assert any(f.label.startswith("Målvärde") and f.value == 5.0 for f in at.number_input)
    # Bertil saves another target from his own session meanwhile.
    catalogue = load_inputs().catalogue
    theirs = store.update_goal(replace(goal, target_value=7.0), catalogue, who="Bertil")
    edit = [n for n in at.number_input if n.key and n.key.startswith("eg_target_")]
    assert len(edit) == 1
    edit[0].set_value(6.0)
    button(at, "Spara ändringen").click().run()
    assert "ändrades av Bertil" in errors(at)
    (stored,) = store.contents(plan.id).goals
    assert stored == theirs and stored.target_value == 7.0
    # Read afresh, the same change goes through, on top of Bertil's.
    at.run()
    edit = [n for n in at.number_input if n.key and n.key.startswith("eg_target_")]
    assert edit[0].value == 7.0
    edit[0].set_value(6.0)
    button(at, "Spara ändringen").click().run()
    assert not at.error, errors(at)
    (stored,) = store.contents(plan.id).goals
    assert stored.target_value == 6.0 and stored.version == theirs.version + 1
    changes = [(e.who, e.before["target_value"], e.after["target_value"])
               for e in store.history(plan.id, "goal") if e.operation == "ändrad"]
    assert changes == [("Bertil", 5.0, 7.0), ("Anna", 7.0, 6.0)]
    history = next(d.value for d in at.dataframe if "Vem" in d.value.columns)
    assert history[["Vem", "Ändring", "Fält"]].head(2).values.tolist() == [
        ["Anna", "Ändrad", "Målvärde: 7.0 → 6.0"], ["Bertil", "Ändrad", "Målvärde: 5.0 → 7.0"]]


def test_the_plan_downloads_carry_the_goals(store, bred_prevention):
    at = open_tab()
    plan_setup(at)
    add_goal(at, 2021, 5.0)
    downloads = {b.label: b for b in at.get("download_button")}
    assert {"Planen och uppföljningen (Excel)", "Rapport med planen (HTML)",
            "Rapport med planen (PDF)"} <= set(downloads)
    contents = store.contents(store.plans()[0].id)
    goal: Goal = contents.goals[0]
    analysis = run_analysis(load_inputs(), bred_prevention)
    from geo.export.workbook import plan_workbook_bytes

    workbook = openpyxl.load_workbook(io.BytesIO(plan_workbook_bytes(
        contents, plan_followup(analysis, contents), analysis.inputs.catalogue)))
    assert "Uppföljning" in workbook.sheetnames
    values = [c.value for row in workbook["Plan – mål"].iter_rows() for c in row]
    assert goal.area_id in values and goal.target_value in values


def test_resources_ask_for_point_files_until_there_are_some(store):
    at = open_tab()
    plan_setup(at)
    assert any("punktfiler" in md_source(i.value) for i in at.info)
    areas = load_inputs().areas.frame.set_index("area_id")
    inside = areas.geometry.representative_point().to_crs(4326)
    rows = ["namn,lat,lon"] + [f"Gård {k},{inside[a].y:.6f},{inside[a].x:.6f}"
                               for k, a in enumerate(["0126R001", "0126R001", "0126R020"])]
    next(u for u in at.file_uploader if u.key == "points_files").upload(
        "fritidsgardar.csv", "\n".join(rows).encode(), "text/csv").run()
    assert not at.exception and not at.error, errors(at)
    counts = next(d.value for d in at.dataframe if "Antal: Fritidsgardar" in d.value.columns
                  and "Rang" not in d.value.columns).set_index("Områdeskod")
    assert counts["Antal: Fritidsgardar"].to_dict() == {
        a: {"0126R001": 2, "0126R020": 1}.get(a, 0) for a in counts.index}


def test_data_without_a_year_say_why_no_goal_can_be_set(store):
    from test_app import upload_own_files

    at = open_tab()
    upload_own_files(at, "egen.csv",
                     DEMO_INDICATORS.read_text(encoding="utf-8").splitlines())
    assert not at.exception, [e.value for e in at.exception]
    plan_setup(at)
    assert not at.exception, [e.value for e in at.exception]
    assert any("saknar årtal" in md_source(i.value) for i in at.info)
    assert not [b for b in at.button if b.label == "Spara målet"]
    # Stated, the year makes the table the baseline of a goal (followed up next year).
    at.number_input(key="plan_data_year").set_value(2024).run()
    assert at.selectbox(key="goal_year").options == ["2024"]
    add_goal(at, 2024, 5.0)
    assert not at.error, errors(at)
    (goal,) = store.contents(store.plans()[0].id).goals
    assert goal.baseline_year == 2024
    table = next(d.value for d in at.dataframe if "Större än osäkerheten?" in d.value.columns)
    assert table["Status"].tolist() == ["kan inte mätas"]


def test_a_plan_over_a_lan_lists_its_areas(store, request):
    from geo import sources

    if sources.find_duva_wheel() is None:
        pytest.skip("the duva wheel (RegSO for all of Sweden) is absent; 'make setup' gets it")
    import streamlit as st

    # The app caches areas per kommun, source and level for the process; tests that stand
    # in another duva wheel for the real one must not be served these.
    request.addfinalizer(st.cache_resource.clear)
    at = open_tab()
    at.selectbox(key="kommun").set_value("01").run()
    assert not at.exception, [e.value for e in at.exception]
    new_plan(at, "Länsplan")
    codes = at.multiselect[0].options
    assert len(codes) == len(sources.region_areas("01").frame)
    add_areas(at, "0114R001")
    assert not at.exception, [e.value for e in at.exception]
    assert [a.area_id for a in store.contents(store.plans()[0].id).areas] == ["0114R001"]
    assert store.plans()[0].kommun == ""


def test_typed_text_forms_no_link_or_image_on_the_page(store):
    at = open_tab()
    plan_setup(at)
    evil = "![x](https://example.invalid/x.png) [klicka](https://example.invalid) :red[röd]"
    next(t for t in at.text_input if t.label == "Vad (insatsen)").input(evil)
    button(at, "Spara insatsen").click().run()
    assert not at.error, errors(at)
    (action,) = store.contents(store.plans()[0].id).actions
    assert action.title == evil                    # stored as typed
    (message,) = [s.value for s in at.success if "Insatsen" in s.value]
    assert "](" not in message.replace("\\](", "") and ":red[" not in message
    assert md_source(message) == f"Insatsen '{evil}' är sparad."
