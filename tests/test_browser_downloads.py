"""The app's downloads in a real browser: the map downloaded is the map chosen under
"Kartan visar", and a download that cannot be made (the report's PDF with a chromium that
does not start) is said on the page in Swedish, without the user doing anything more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import choose_option, launched_browser, screenshot, served_app

DEMO = "/?data=demo"
INDICATOR = "Indikator: Unga 15–24 år med insats för missbruk"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    # a "chromium" that is a file but no browser: the app offers the PDF, which then fails
    with served_app(tmp_path_factory.mktemp("cache"),
                    env={"PREVMAP_CHROMIUM": "/bin/false"}) as url:
        yield url


def _download(page, label: str, tmp_path: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    return path


def test_the_chosen_indicator_is_downloaded_and_a_failed_pdf_is_said(app_url, tmp_path):
    with launched_browser() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000},
                                       accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(app_url + DEMO)
        page.get_by_text("Områdesprofil:").first.wait_for()
        choose_option(page, "Kartan visar", "insats för missbruk",
                      page.get_by_role("button", name=f"Karta (SVG): {INDICATOR}"))

        svg = _download(page, f"Karta (SVG): {INDICATOR}", tmp_path)
        assert svg.name == "prevmap_karta_unga_15_24_ar_med_insats_for_missbruk.svg"
        text = svg.read_text("utf-8")
        assert f"Kartan visar: {INDICATOR}" in text and "Uppgift saknas/skyddad" in text
        html = _download(page, f"Karta (HTML): {INDICATOR}", tmp_path)
        assert "Unga 15–24 år med insats för missbruk" in html.read_text("utf-8")

        page.get_by_role("button", name="Rapport (PDF)").click()
        error = page.locator("[data-testid='stAlertContentError']").filter(
            has_text="Filen ”Rapport (PDF)” kunde inte skapas")
        error.wait_for()
        assert "kunde inte startas" in error.inner_text()
        assert "PREVMAP_CHROMIUM" in error.inner_text()
        details = page.locator("[data-testid='stExpander']").filter(
            has_text="Tekniska detaljer").last
        details.locator("summary").click()
        assert "Orsakat av" in details.inner_text()
        error.scroll_into_view_if_needed()
        screenshot(page, "app_download_failed.png")
        context.close()
