"""What a user gets in the app (issue 15): real SCB data on start, the demo one click away,
SCB's exports uploaded as downloaded (several at once), what became of each column, an own
indicator for a column the catalogue does not know, and the template."""

from __future__ import annotations

import pytest
from app_start import APP
from shared_data import shared
from streamlit.testing.v1 import AppTest

from geo.analysis import run_analysis
from geo.export.tables import ranking_table
from geo.export.text import md_source
from geo.inputs import list_profiles, load_inputs
from geo.sources import real_inputs

SCB_PROFILE = "SCB: socioekonomiska riskfaktorer"


def shown_ranking(at: AppTest) -> list[str]:
    table = next(d.value for d in at.dataframe if "Sammanvägt index" in d.value.columns)
    return table["Områdeskod"].tolist()


@pytest.fixture(scope="module")
def real_ranking() -> list[str]:
    analysis = run_analysis(real_inputs(load_inputs().areas), list_profiles()[SCB_PROFILE])
    return ranking_table(analysis)["Områdeskod"].tolist()


def test_the_app_opens_on_real_data(real_ranking):
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and not at.error
    assert at.radio(key="indicator_source").value == "scb_open"
    assert shown_ranking(at) == real_ranking
    assert not any("SYNTETISKA" in md_source(w.value) for w in at.warning)
    # One click to the synthetic demo, marked as such.
    at.radio(key="indicator_source").set_value("demo").run()
    assert any("SYNTETISKA DEMODATA" in md_source(w.value) for w in at.warning)


def test_scb_exports_uploaded_at_once_rank_as_the_embedded_data(real_ranking):
    files = sorted(shared("sweden", "scb_statistikdatabasen_xlsx").glob("*.xlsx"))
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.radio(key="indicator_source").set_value("upload").run()
    uploader = next(u for u in at.file_uploader if u.key == "table_file")
    uploader.set_value([(f.name, f.read_bytes(), "application/octet-stream") for f in files])
    at.run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    assert shown_ranking(at) == real_ranking
    columns = next(d.value for d in at.dataframe if "Används som" in d.value.columns)
    used = dict(zip(columns["Kolumn"], columns["Används som"], strict=True))
    assert used["lagenheter_hyresratt"] == "indikator"
    assert used["inv_utlandsk_bakgrund"] == "används inte"


@pytest.mark.parametrize("personal", [True, False])
def test_an_own_indicator_for_an_unknown_column(tmp_path, personal):
    """A column the catalogue does not know becomes an indicator through the form, ranks,
    and the catalogue with it can be saved; the form says whether its counts are persons
    (issue 16: only those are protected)."""
    areas = load_inputs().areas.frame
    lines = ["area_id;antal_oro;barn"] + [f"{a};{i % 7 + 1};{100 + i}"
                                          for i, a in enumerate(areas["area_id"])]
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.radio(key="indicator_source").set_value("upload").run()
    next(u for u in at.file_uploader if u.key == "table_file").set_value(
        ("oro.csv", "\n".join(lines).encode(), "text/csv"))
    at.run()
    columns = next(d.value for d in at.dataframe if "Används som" in d.value.columns)
    assert set(columns["Används som"]) == {"används inte"}
    assert any("Ingen av tabellens kolumner är en indikator" in md_source(i.value)
               for i in at.info) and not at.error
    form_name = next(t for t in at.text_input if t.label == "Namn")
    form_name.set_value("Orosanmälningar")
    next(s for s in at.selectbox if s.label == "Domän").set_value("psykisk_ohalsa")
    next(s for s in at.selectbox if s.label == "Täljare (antal)").set_value("antal_oro")
    next(s for s in at.selectbox if s.label == "Nämnare (befolkning)").set_value("barn")
    next(c for c in at.checkbox if c.key == "own_personal").set_value(personal)
    next(b for b in at.button if b.label == "Lägg till i katalogen").click().run()
    assert not at.exception
    assert at.session_state["own_indicators"][0]["personal"] == ("ja" if personal else "nej")
    notes = " ".join(md_source(i.value) for i in at.info)
    # Counts 1–7 over about 110 children: persons' counts under 5 are hidden.
    assert ("antal personer under 5" in notes and "visas inte" in notes) == personal
    columns = next(d.value for d in at.dataframe if "Används som" in d.value.columns)
    assert set(columns["Används som"]) == {"indikator"}
    assert len(shown_ranking(at)) == 22
    assert any(b.proto.label == "Spara katalogen (CSV)" for b in at.get("download_button"))


def _uploader(at: AppTest, key: str):
    return next(u for u in at.file_uploader if u.key == key)


@pytest.mark.parametrize("areas", ["regso_2025_0126_epsg3006.gpkg",
                                   "regso_2025_0126_wgs84.geojson"])
def test_the_real_area_files_uploaded_with_the_real_default(areas, real_ranking):
    path = shared("huddinge", areas)
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.radio(key="area_source").set_value("upload").run()
    _uploader(at, "areas_file").upload(path.name, path.read_bytes()).run()
    assert not at.exception and not at.error
    assert shown_ranking(at) == real_ranking


def test_the_wide_scb_table_and_the_omradestyp_uploaded_as_downloaded(real_ranking):
    """SCB's wide DeSO table as the indicators ranks as the embedded data; SCB's områdestyp
    under Jämförelser becomes a column; the områdestyp given as indicators is named."""
    wide = shared("huddinge", "scb_deso2018_2022_0126_wide.csv")
    types = shared("sweden", "regso_socioekonomisk_index_2023.csv")
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.radio(key="indicator_source").set_value("upload").run()
    _uploader(at, "table_file").set_value((wide.name, wide.read_bytes(), "text/csv"))
    _uploader(at, "omradestyp_file").upload(types.name, types.read_bytes(), "text/csv")
    at.run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    assert shown_ranking(at) == real_ranking
    table = next(d.value for d in at.dataframe if "Sammanvägt index" in d.value.columns)
    assert (table["SCB områdestyp"] != "–").all()
    _uploader(at, "table_file").set_value((types.name, types.read_bytes(), "text/csv"))
    at.run()
    assert any("är SCB:s områdestyp per RegSO" in md_source(e.value) for e in at.error)
