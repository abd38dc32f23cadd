"""The app never loses the user's analysis (issue 14), through AppTest: the settings live
in one object in the session, the data page's choices may wait or fail, and every cache
is keyed by content (a corrected file with the same name and row count is new data)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from app_start import demo_app
from streamlit.testing.v1 import AppTest

from geo.analysis import domain_hotspots, run_analysis
from geo.export.text import md_source
from geo.export.views import hotspot_table
from geo.inputs import (
    DEFAULT_AREAS,
    DEFAULT_CATALOGUE,
    DEMO_INDICATORS,
    inputs_for_areas,
    list_profiles,
)
from geo.io.areas import read_areas
from geo.io.files import read_catalogue
from indicators.sensitivity import sensitivity
from indicators.swedish import screen_table

APP = str(Path(__file__).resolve().parents[1] / "app.py")
VIEW_KEYS = ("profile", "normalisation", "aggregation", "flag_threshold", "missing", "draws",
             "seed", "disclosure", "tier_high_p")


def view(at: AppTest) -> dict[str, object]:
    """What the sidebar shows: the settings' widgets and every indicator's and domain's."""
    shown = {key: at.session_state[key] for key in VIEW_KEYS}
    shown.update({w.key: w.value for w in [*at.checkbox, *at.slider]
                  if (w.key or "").startswith(("use_", "w_", "dw_"))})
    return shown


def ranking(at: AppTest) -> list[str]:
    return next(d.value for d in at.dataframe
                if "Områdeskod" in d.value.columns)["Områdeskod"].tolist()


def user_settings(at: AppTest):
    """Set settings that are no profile's: Kriminalitet, one indicator unticked, the
    kriminalitet domain at 3, flags from percentile 80, 200 draws. Returns the settings
    object the session should hold."""
    at.selectbox(key="profile").set_value("Kriminalitet").run()
    profile = list_profiles()["Kriminalitet"]
    dropped = profile.indicators[0]
    at.checkbox(key=f"use_{dropped}").uncheck()
    at.slider(key="dw_kriminalitet").set_value(3.0)
    at.slider(key="flag_threshold").set_value(80)
    at.number_input(key="draws").set_value(200).run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    return profile.with_changes(
        indicator_weights={i: w for i, w in profile.indicator_weights if i != dropped},
        domain_weights={**dict(profile.domain_weights), "kriminalitet": 3.0},
        flag_threshold=0.8, draws=200)


@pytest.fixture
def offline_app(monkeypatch, tmp_path) -> AppTest:
    """The app without network and with an empty cache: no saved WFS or SCB answer."""
    monkeypatch.setenv("PREVMAP_OFFLINE", "1")
    monkeypatch.setenv("PREVMAP_CACHE", str(tmp_path / "cache"))
    at = demo_app()
    assert not at.exception
    return at


def test_no_data_choice_or_failure_resets_the_settings(offline_app) -> None:
    at = offline_app
    wanted = user_settings(at)
    assert at.session_state["settings"] == wanted
    shown = view(at)
    assert shown["flag_threshold"] == 80 and shown["profile"] == "Kriminalitet"
    assert shown["dw_kriminalitet"] == 3.0 and shown["draws"] == 200
    profile_ranking = ranking(at)

    at.radio(key="indicator_source").set_value("upload").run()          # waits for a file
    assert any("Ladda upp en eller flera indikatortabeller" in md_source(i.value) for i in at.info)
    assert view(at) == shown and at.session_state["settings"] == wanted

    at.radio(key="indicator_source").set_value("scb").run()             # waits for a fetch
    next(b for b in at.button if b.label == "Hämta från SCB").click().run()
    assert any("Ingen anslutning" in md_source(e.value) for e in at.error)   # offline
    assert view(at) == shown and at.session_state["settings"] == wanted

    at.radio(key="level").set_value("deso").run()                       # the WFS, offline
    assert at.radio(key="area_source").value == "wfs"
    assert at.error and not at.exception
    assert view(at) == shown and at.session_state["settings"] == wanted

    at.radio(key="indicator_source").set_value("demo")
    at.radio(key="level").set_value("regso").run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    assert at.radio(key="area_source").value == "bundled"     # not the WFS DeSO needed
    assert view(at) == shown and at.session_state["settings"] == wanted
    assert ranking(at) == profile_ranking
    assert any("percentilrang ≥ 80" in md_source(m.value) for m in at.markdown)


def test_unticking_the_last_indicator_is_refused_and_said(offline_app) -> None:
    at = offline_app
    boxes = [c for c in at.checkbox if (c.key or "").startswith("use_") and c.value]
    for box in boxes:
        box.uncheck()
    at.run()
    assert not at.exception
    assert any("inga indikatorer är valda" in md_source(e.value) for e in at.error)
    still = [c.key for c in at.checkbox if (c.key or "").startswith("use_") and c.value]
    assert len(still) == 1                          # the settings kept one, and show it
    assert at.session_state["settings"].indicators == (still[0].removeprefix("use_"),)
    assert len(ranking(at)) == 22


# -- the stale-result bug: a corrected file with the same name and row count -----------------
NAME = "indikatorer.csv"


def gradient(table: pd.DataFrame, *, east: bool) -> pd.DataFrame:
    """``table`` with every need indicator's count rising towards the east (or the west)
    of Huddinge: a file of the same areas, columns and rows whose ranking, sensitivity
    and hot spots (Gi*) differ between the two directions."""
    catalogue = read_catalogue(DEFAULT_CATALOGUE)
    x = read_areas(DEFAULT_AREAS).frame.set_index("area_id").geometry.centroid.x
    x = x.reindex(table["area_id"]).to_numpy()
    f = (x - x.min()) / (x.max() - x.min())
    f = f if east else 1 - f
    out = table.copy()
    for ind in catalogue.values():
        if ind.numerator in out and ind.denominator in out:
            share = 0.02 + 0.3 * f if ind.direction > 0 else 0.9 - 0.3 * f
            out[ind.numerator] = np.floor(out[ind.denominator] * share).astype(int)
    return out


def as_csv(table: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def expected(tmp_path: Path, table: pd.DataFrame):
    """The analysis (with the default profile) of ``table`` uploaded as NAME."""
    path = tmp_path / NAME
    path.write_bytes(as_csv(table))
    return run_analysis(inputs_for_areas(read_areas(DEFAULT_AREAS), path),
                        list_profiles()["Bred prevention"])


def upload(at: AppTest, key: str, name: str, data: bytes, mime: str = "text/csv") -> None:
    next(u for u in at.file_uploader if u.key == key).upload(name, data, mime)


def drivers(at: AppTest) -> tuple[pd.DataFrame, list[str]]:
    """The sensitivity table and the domain hot spots' rows shown on the drivers tab."""
    at.session_state["tab"] = "Vad styr rangordningen"
    at.run()
    next(b for b in at.button if b.label == "Räkna ut känsligheten").click().run()
    at.toggle(key="domain_hotspots").set_value(True).run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    shown = next(d.value for d in at.dataframe if "Val" in d.value.columns)
    clusters = next((d.value for d in at.dataframe if "Kluster" in d.value.columns), None)
    rows = [] if clusters is None else [" ".join(map(str, r)) for r in clusters.to_numpy()]
    at.session_state["tab"] = "Karta och rangordning"
    return shown, rows


def expected_sensitivity(analysis) -> list[str]:
    s = sensitivity(analysis.assessment.prepared.table, analysis.inputs.catalogue,
                    analysis.settings, method="oat", seed=analysis.settings.uncertainty.seed,
                    include_domains=True)
    return s.factors["index"].round(3).tolist()   # as the app sends it


def hotspot_rows(analysis) -> list[str]:
    """The domain hot spots of ``analysis`` as rows of text."""
    table, _ = screen_table(hotspot_table(domain_hotspots(analysis)))  # as the app sends it
    return [" ".join(map(str, r)) for r in table.to_numpy()]


def test_a_corrected_file_with_the_same_name_and_rows_gets_new_results_everywhere(
        tmp_path) -> None:
    demo = pd.read_csv(DEMO_INDICATORS, dtype={"area_id": str})
    first, second = gradient(demo, east=True), gradient(demo, east=False)
    old, new = expected(tmp_path, first), expected(tmp_path, second)
    # The check can fail: the two files rank, weigh and cluster differently.
    assert old.result.summary()["area_id"].tolist() != new.result.summary()["area_id"].tolist()
    assert expected_sensitivity(old) != expected_sensitivity(new)
    assert hotspot_rows(old) != hotspot_rows(new) and hotspot_rows(new)

    at = demo_app(180)
    at.radio(key="area_source").set_value("upload")
    at.radio(key="indicator_source").set_value("upload").run()
    upload(at, "areas_file", "omraden.parquet", DEFAULT_AREAS.read_bytes(),
           "application/octet-stream")
    for table, analysis in ((first, old), (second, new)):
        upload(at, "table_file", NAME, as_csv(table))
        at.run()
        assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
        assert ranking(at) == analysis.result.summary()["area_id"].tolist()
        shown, clusters = drivers(at)
        assert shown["Påverkan (medelförflyttning i rang)"].tolist() == \
            expected_sensitivity(analysis)
        assert clusters == hotspot_rows(analysis)


def test_settings_of_another_catalogue_are_kept_aside_not_lost(monkeypatch, tmp_path) -> None:
    """SCB's indicators have their own catalogue and profile; back on the demo data the
    user's settings for it come back as they were."""
    from test_scb_fetch import CubeApi, standard_cubes

    api = CubeApi(standard_cubes())
    try:
        monkeypatch.setenv("PREVMAP_SCB_URL", api.url + "api/v2")
        monkeypatch.setenv("PREVMAP_CACHE", str(tmp_path / "cache"))
        at = demo_app()
        wanted = user_settings(at)
        shown = view(at)
        at.radio(key="indicator_source").set_value("scb").run()
        next(b for b in at.button if b.label == "Hämta från SCB").click().run()
        assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
        assert at.selectbox(key="profile").value == "SCB: socioekonomiska riskfaktorer"
        assert at.session_state["settings"] == list_profiles()[
            "SCB: socioekonomiska riskfaktorer"]
        at.radio(key="indicator_source").set_value("demo").run()
        assert not at.exception and not at.error
        assert at.session_state["settings"] == wanted and view(at) == shown
    finally:
        api.stop()
