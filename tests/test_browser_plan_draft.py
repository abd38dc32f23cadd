"""Issue 19 in a real browser (Debian's chromium through Playwright): a samordnare accepts
an area's recommendation into the plan, and the plan shows the draft goals and actions with
their origin. Expectations come from the store and the recommendation, not typed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import (
    choose_option,
    launched_browser,
    open_tab,
    requires_browser,
    screenshot,
    served_app,
)

from indicators.recommendation import FOCUS, INTENSITY, SEPARATOR
from plans.model import Plan
from plans.store import PlanStore
from plans.views import draft_table, indicator_names

pytestmark = requires_browser
DEMO = "/?data=demo"
PLAN = "Trygg uppväxt med rekommendationen"


@pytest.fixture
def served(tmp_path_factory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("draft")
    db = f"sqlite:///{folder / 'plans.sqlite'}"
    with served_app(folder / "cache", env={"PREVMAP_DATABASE_URL": db}) as url:
        yield url, db


def _grid_rows(page, header: str) -> list[dict[str, str]]:
    """The rows drawn of the data grid with a column ``header`` (its screen-reader table)."""
    grid = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th", has_text=header)).first.locator("table")
    grid.locator("tbody tr").first.wait_for(state="attached", timeout=30_000)
    headers = grid.locator("thead th").all_text_contents()
    return [dict(zip(headers, row.locator("td").all_text_contents(), strict=False))
            for row in grid.locator("tbody tr").all()]


def test_a_recommendation_is_taken_into_the_plan_in_a_real_browser(served):
    from geo.analysis import run_analysis
    from geo.inputs import DEMO_INDICATORS, list_profiles, load_inputs
    from geo.recommend import recommendations

    url, db = served
    analysis = run_analysis(load_inputs(indicators=DEMO_INDICATORS),
                            list_profiles()["Bred prevention"])
    areas = recommendations(analysis).areas
    area_id, row = next((a, r) for a, r in areas.iterrows()
                        if r[INTENSITY] == "intensiv" and r[FOCUS])
    name = analysis.names[area_id]
    with PlanStore.open(db) as store:
        plan = store.create_plan(Plan(PLAN, "0126"), who="Bertil")
    with launched_browser() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url + DEMO)
        open_tab(page, "Åtgärdsplan")
        choose_option(page, "Plan", PLAN, page.get_by_text("Föreslaget angreppssätt"))
        page.get_by_label("Ditt namn (sparas i historiken)").fill("Anna")
        page.get_by_label("Ditt namn (sparas i historiken)").press("Enter")
        page.wait_for_timeout(1500)
        choose_option(page, "Område för förslaget", f"{name} ({area_id})",
                      page.get_by_role("button", name="Ta in i planen"))
        page.get_by_role("button", name="Ta in i planen").click()
        heading = page.get_by_text(f"{name}: utkast från rekommendationen")
        try:
            heading.wait_for(timeout=120_000)
            heading.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            drafted = _grid_rows(page, "Ursprung")
            goals = _grid_rows(page, "Enligt linjen")
        finally:
            screenshot(page, "app_plan_draft.png")
        actions = _grid_rows(page, "Kostnad (kr)")
        page.get_by_text("Ändra och ta in", exact=True).first.click()
        page.wait_for_timeout(1000)
        screenshot(page, "app_plan_draft_override_form.png")
    with PlanStore.open(db) as store:
        contents = store.contents(plan.id, history=True)
    expected = draft_table(contents, area_id, indicator_names(analysis.inputs.catalogue))
    focus = [d for d in str(row[FOCUS]).split(SEPARATOR) if d]
    assert len(contents.actions) == len(focus) and 0 < len(contents.goals) <= len(focus)
    assert [(r["Slag"], r["Vad"], r["Ursprung"]) for r in drafted] == list(
        expected.itertuples(index=False, name=None))
    assert all(r["Ursprung"].endswith(analysis.digest[:12]) for r in drafted)
    names = indicator_names(analysis.inputs.catalogue)
    assert [g["Indikator"] for g in goals] == [names[g.indicator_id] for g in contents.goals]
    assert [a["Insats"] for a in actions] == [a.title for a in contents.actions]
    assert {e.who for e in contents.history if e.entity != "plan"} == {"Anna"}
