"""The app's first lines (issue 17): the title, the banner and the placeholder "Läser in data
…" are drawn before the heavy imports (tests/test_browser_startup.py checks the order in a
browser); here, that the placeholder is gone once the page is drawn, also when the first run
stops to wait for a file, and that later runs of the session do not draw it again."""

from __future__ import annotations

from pathlib import Path

from app_start import demo_app
from streamlit.testing.v1 import AppTest

from geo.export.text import md_source
from geo.sources import DataChoice

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LOADING = "Läser in data"


def shown(at: AppTest) -> list[str]:
    return [md_source(e.value) for e in (*at.info, *at.warning, *at.error)]


def test_the_page_has_title_and_banner_and_no_placeholder_once_drawn() -> None:
    at = demo_app()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.startswith("prevmap – barns och ungas behov")
    assert at.caption[0].value.startswith("Områdesbaserad kartläggning")
    assert not [text for text in shown(at) if LOADING in text]
    at.slider(key="dw_skyddsfaktorer").set_value(2.0).run()   # a later run of the session
    assert not at.exception and not [text for text in shown(at) if LOADING in text]


def test_a_first_run_that_waits_for_a_file_leaves_no_placeholder() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data_choice"] = DataChoice(offline=True, area_source="upload")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Ladda upp en områdesfil" in text for text in shown(at))
    assert not [text for text in shown(at) if LOADING in text]
