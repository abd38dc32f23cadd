"""Starting the app in AppTest as a user does: on the real default data, or with the link
``?data=demo`` that opens the synthetic demo with all six domains (most feature tests use
the demo's six domains; tests/test_app_real_default.py tests what a user gets by default)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def demo_app(timeout: int = 120, *, run: bool = True) -> AppTest:
    """The app opened with ``?data=demo`` (run once unless ``run`` is False)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params["data"] = "demo"
    return at.run() if run else at


def ranked_table(at: AppTest):
    """The ranked table the map tab shows (the frame with the index column; the profile's
    tables beside the map come before it on the page)."""
    return next(d.value for d in at.dataframe if "Sammanvägt index" in d.value.columns)
