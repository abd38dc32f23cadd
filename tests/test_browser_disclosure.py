"""A hidden count in a real browser (issue 16): the area's profile says "dolt (1–4
personer)" where the value would be, the data page lists it with its reason, the method
tab explains the censoring, and nowhere on these pages does the hidden rate appear."""

from __future__ import annotations

import re

from browser import choose_option, launched_browser, open_tab, requires_browser, screenshot
from test_browser_app import _grid_rows, _guarded_page, _settled, app_url

from geo.inputs import load_inputs
from indicators.swedish import format_number

pytestmark = requires_browser
__all__ = ["app_url"]            # the fixture, shared with the other browser journeys

AREA, COLUMN, INDICATOR = "0126R007", "narkotikabrott", "Narkotikabrott (eget bruk och innehav)"


def test_a_hidden_count_in_a_real_browser(app_url) -> None:
    table = load_inputs().table.set_index("area_id")
    count = table.at[AREA, COLUMN]
    assert 0 < count < 5                                   # the demo's hidden count
    rate = count / table.at[AREA, "invanare"] * 1000
    blocked: list[str] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked)
        choose_option(page, "Välj område (eller klicka på kartan)", AREA,
                      page.get_by_text(re.compile(rf"Områdesprofil: .*\({AREA}\)")))
        _settled(page)
        rows = _grid_rows(page, "Hela kommunen")
        row = next(r for r in rows if r["Indikator"] == INDICATOR)
        assert row["Området"] == "dolt (1–4 personer)"
        assert row["Skillnad"] == "–"
        page.get_by_text("Området jämfört med hela kommunen").scroll_into_view_if_needed()
        screenshot(page, "disclosure_profile.png")
        shown = page.locator("body").inner_text()
        # (a negative number, e.g. "-0,3" on a chart's axis, is not the rate)
        for written in (format_number(rate, 2), format_number(rate, 1)):
            assert re.search(rf"(?<![\d,\-−]){re.escape(written)}(?![\d])", shown) is None, \
                written

        open_tab(page, "Data och källor")
        hidden = [r for r in _grid_rows(page, "Orsak") if r.get("Område") == AREA
                  and r.get("Indikator") == INDICATOR]
        assert hidden and "röjandekontroll" in hidden[0]["Orsak"]
        open_tab(page, "Metod")
        page.get_by_text(re.compile("ersätts ett dolt antal med mitten")).first.wait_for()
        screenshot(page, "disclosure_method.png")
        assert blocked == []
