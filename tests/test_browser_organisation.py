"""Another kommun's organisation file in chromium (issue 19, "Another kommun replaces the
file"): uploaded under "Data och källor", the card beside the map names that file's lead
for each focus domain of the chosen area, and the data page says which file is in use; the
way back to Huddinge's shipped file restores its leads. Screenshot in test-artifacts/."""

from __future__ import annotations

import tomllib

from browser import choose_option, launched_browser, open_tab, requires_browser, screenshot
from test_browser_app import (
    DEMO,
    app_url,  # noqa: F401 - the fixture: the app on a local port
)
from test_organisation import SMALL, roles

from geo.analysis import run_analysis
from geo.inputs import list_profiles, load_inputs
from geo.io.organisation import DEFAULT_ORGANISATION
from geo.recommend import recommendations
from indicators.recommendation import FOCUS, SEPARATOR

pytestmark = requires_browser
CARD = "Rekommenderat angreppssätt"
OTHER = SMALL + roles()


def _leads(text: str, focus: str) -> list[str]:
    """'leds av X (name of X)' for each focus domain, as the file ``text`` says."""
    data = tomllib.loads(text)
    names = {u: v["namn"] for u, v in data["forvaltningar"].items()}
    leads = [data["domaner"][d]["leder"] for d in focus.split(SEPARATOR) if d]
    return [f"leds av {u} ({names[u]})" for u in leads]


def _card(page, area_name: str):
    """The card of ``area_name``, chosen in the list beside the map."""
    page.get_by_text("Områdesprofil:").first.wait_for()
    choose_option(page, "Välj område (eller klicka på kartan)", area_name,
                  page.get_by_text(f"Områdesprofil: {area_name}").first)
    card = page.locator("[data-testid='stExpander']", has_text=CARD).first
    card.wait_for(timeout=60_000)
    return card


def test_another_kommuns_organisation_file_names_its_leads(app_url):  # noqa: F811
    analysis = run_analysis(load_inputs(), list_profiles()["Bred prevention"])
    areas = recommendations(analysis).areas
    area = next(a for a in areas.index if areas.loc[a, FOCUS])
    name = analysis.joined.set_index("area_id").loc[area, "area_name"]
    focus = str(areas.loc[area, FOCUS])
    shipped = DEFAULT_ORGANISATION.read_text(encoding="utf-8")
    theirs, ours = _leads(OTHER, focus), _leads(shipped, focus)
    assert theirs and theirs != ours          # the file changes what the card says
    with launched_browser() as chromium:
        page = chromium.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(app_url + DEMO)
        card = _card(page, name)
        for words in ours:
            card.filter(has_text=words).wait_for(timeout=30_000)

        open_tab(page, "Data och källor")
        page.get_by_text("Organisation och insatser").first.wait_for()
        box = page.locator("[data-testid='stFileUploader']").filter(
            has_text="Ladda upp en egen fil (TOML)").first
        box.locator("input[type='file']").set_input_files(
            {"name": "exempelby.toml", "mimeType": "application/toml",
             "buffer": OTHER.encode("utf-8")})
        kommun = tomllib.loads(OTHER)["kommun"]
        page.get_by_text(f"Används: exempelby.toml ({kommun})").wait_for(timeout=60_000)
        screenshot(page, "organisation_uploaded.png")

        open_tab(page, "Karta och rangordning")
        card = _card(page, name)
        for words in theirs:
            card.filter(has_text=words).wait_for(timeout=30_000)
        assert not any(w in card.inner_text() for w in ours if w not in theirs)
        card.scroll_into_view_if_needed()
        screenshot(page, "organisation_card.png")

        open_tab(page, "Data och källor")
        page.get_by_role("button", name="Tillbaka till den inbyggda").first.click()
        page.get_by_text("Används: Huddinges organisation (inbyggd)").wait_for(timeout=60_000)
        # The uploader no longer lists the file that is not in use.
        page.wait_for_timeout(500)
        assert page.get_by_text("exempelby.toml").count() == 0
        open_tab(page, "Karta och rangordning")
        card = _card(page, name)
        for words in ours:
            card.filter(has_text=words).wait_for(timeout=30_000)
        page.close()
