"""A municipality's own file in a real browser (Debian chromium), from the real default: the
upload shows what became of each column, a column the catalogue does not know becomes an
indicator through the form, the map and the ranking use it at once, and the catalogue with
it downloads (issue 15)."""

from __future__ import annotations

import pandas as pd
from browser import MAP_FRAME, launched_browser, open_tab, requires_browser, screenshot
from test_browser_app import (  # noqa: F401 - app_url is a fixture
    _choose,
    _guarded_page,
    _settled,
    app_url,
)
from test_browser_hostile_text import _upload

from geo.inputs import load_inputs

pytestmark = requires_browser


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox ``label``."""
    page.get_by_role("combobox", name=label).click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def test_an_own_column_becomes_an_indicator_in_a_real_browser(app_url, tmp_path):  # noqa: F811
    areas = load_inputs().areas.frame["area_id"]
    table = "area_id;antal_oro;barn\n" + "\n".join(
        f"{a};{i % 7 + 10};{100 + i}" for i, a in enumerate(areas))
    blocked: list[str] = []
    with launched_browser() as chromium:
        page = _guarded_page(chromium, app_url, blocked, path="")
        page.get_by_text("Områdesprofil: Vårby gård").wait_for()
        open_tab(page, "Data och källor")
        _choose(page, "Indikatorer", "Egna filer")
        _upload(page, "Indikatortabeller", "oro.csv", table.encode("utf-8"))
        page.get_by_text("Kolumnerna i filen", exact=True).wait_for(timeout=120_000)
        page.get_by_text("Ingen av tabellens kolumner är en indikator i katalogen").first \
            .wait_for()
        assert page.get_by_text("inga indikatorer är valda").count() == 0
        screenshot(page, "own_file_columns.png")

        page.get_by_role("textbox", name="Namn").fill("Orosanmälningar")
        _pick(page, "Nämnare (befolkning)", "barn")
        page.get_by_role("button", name="Lägg till i katalogen").click()
        _settled(page)
        page.get_by_text("Egna indikatorer: Orosanmälningar").wait_for(timeout=120_000)
        screenshot(page, "own_file_indicator.png")

        with page.expect_download() as download:
            page.get_by_role("button", name="Spara katalogen (CSV)").click()
        saved = tmp_path / "katalog.csv"
        download.value.save_as(saved)
        catalogue = pd.read_csv(saved, dtype=str).set_index("id")
        row = catalogue.loc["egen_orosanmalningar"]
        assert (row["numerator"], row["denominator"], row["domain"]) == (
            "antal_oro", "barn", "psykisk_ohalsa")

        open_tab(page, "Karta och rangordning")
        frame = page.frame_locator(MAP_FRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
        assert frame.locator("path.leaflet-interactive").count() >= 22
        profile = page.locator("[data-testid='stSidebar']").get_by_role("combobox",
                                                                          name="Profil")
        assert profile.get_attribute("placeholder") == "Tabellens indikatorer"   # no profile
        screenshot(page, "own_file_map.png")
        assert blocked == []
