"""The Streamlit app through streamlit.testing.v1.AppTest: no browser, real script."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from app_start import demo_app, ranked_table
from streamlit.testing.v1 import AppTest

from geo.analysis import run_analysis
from geo.export.tables import ranking_table
from geo.export.template import TEMPLATE_FORMATS
from geo.export.text import md_source
from geo.inputs import DEFAULT_AREAS, DEMO_INDICATORS, list_profiles, load_inputs
from geo.io.recommendation_files import TEMPLATE_LABEL
from indicators.columns import DOMAINS
from indicators.quality import FACTORS
from indicators.swedish import screen_table

APP = str(Path(__file__).resolve().parents[1] / "app.py")

# the templates' buttons (own data, the organisation file and catalogue), not exports
TEMPLATE_LABELS = {f.label for f in TEMPLATE_FORMATS} | {TEMPLATE_LABEL}


@pytest.fixture
def app() -> AppTest:
    at = demo_app()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ranking(at: AppTest) -> list[str]:
    return ranked_table(at)["Områdeskod"].tolist()


def expected(settings) -> list[str]:
    analysis = run_analysis(load_inputs(), settings)
    return analysis.result.summary()["area_id"].tolist()


def test_starts_on_huddinge_with_synthetic_banner(app):
    assert any("SYNTETISKA DEMODATA" in md_source(w.value) for w in app.warning)
    assert len(ranking(app)) == 22
    assert ranking(app) == expected(list_profiles()["Bred prevention"])
    assert not app.error


def test_changing_a_weight_changes_the_ranking(app):
    before = ranking(app)
    for dom in DOMAINS:
        app.slider(key=f"dw_{dom}").set_value(0.0)
    app.slider(key="dw_skyddsfaktorer").set_value(1.0).run()
    after = ranking(app)
    assert after != before
    only = list_profiles()["Bred prevention"].with_changes(
        domain_weights=tuple((d, 1.0 if d == "skyddsfaktorer" else 0.0) for d in DOMAINS))
    assert after == expected(only)


def test_choosing_a_profile_applies_it(app):
    app.selectbox(key="profile").set_value("Kriminalitet").run()
    assert not app.exception
    assert ranking(app) == expected(list_profiles()["Kriminalitet"])
    assert app.radio(key="normalisation").value == "percentile"


def test_outlier_treatment_and_minimum_coverage_are_chosen_in_the_sidebar(app):
    """Issue 16's two method choices reach the ranking from the app, not only from a
    settings file: outliers treated as COINr does, and the share of the weight an area
    needs to be ranked."""
    profile = list_profiles()["Bred prevention"]
    assert app.radio(key="outliers").value == "none"
    app.radio(key="outliers").set_value("auto").run()
    assert not app.exception
    treated = profile.with_changes(outliers="auto")
    assert ranking(app) == expected(treated) != expected(profile)
    app.slider(key="min_coverage").set_value(1.0).run()
    assert not app.exception
    # One demo area lacks a value (hög frånvaro): with all of the weight required it is
    # listed without a rank.
    ranks = ranked_table(app)["Rang"]
    assert int(ranks.notna().sum()) == 21 and len(ranks) == 22


def test_no_indicator_selected_shows_an_error_not_a_traceback(app):
    boxes = [c for c in app.checkbox if (c.key or "").startswith("use_")]
    assert len(boxes) == 15
    for box in boxes:
        box.uncheck()
    app.run()
    assert not app.exception
    assert any("inga indikatorer är valda" in md_source(e.value) for e in app.error)


def test_profile_of_a_chosen_area(app):
    app.selectbox(key="area").set_value("0126R020").run()
    assert any("Områdesprofil: Vårby gård (0126R020)" in md_source(h.value) for h in app.subheader)
    assert any(m.label == "Rang" for m in app.metric)


def chart_data(chart) -> tuple[dict, pd.DataFrame]:
    """A Vega-Lite chart's spec and the data the browser gets (Arrow IPC)."""
    with pa.ipc.open_stream(chart.proto.data.data) as reader:
        return json.loads(chart.proto.spec), reader.read_pandas()


def test_profile_charts_show_the_areas_domain_gaps_and_rank_shares(app):
    app.selectbox(key="area").set_value("0126R020").run()
    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    profile = analysis.result.profile("0126R020")
    gaps, ranks = app.get("vega_lite_chart")
    spec, data = chart_data(gaps)
    assert spec["encoding"]["y"]["field"] == "Domän" and spec["mark"]["type"] == "bar"
    want = profile.domain_scores - profile.domain_means
    assert data["Domän"].tolist() == [DOMAINS[d] for d in want.index]
    assert data["Skillnad mot genomsnittet"].tolist() == pytest.approx(want.tolist())
    spec, data = chart_data(ranks)
    counts = analysis.assessment.uncertainty.rank_counts.loc["0126R020"]
    assert spec["encoding"]["x"] == {"field": "Rang", "type": "ordinal", "sort": None,
                                     "title": "Rang"}
    assert data["Rang"].tolist() == [int(r) for r in counts.index]
    assert data["Andel av beräkningarna (%)"].sum() == pytest.approx(100)
    assert data["Andel av beräkningarna (%)"].tolist() == pytest.approx(
        (counts / counts.sum() * 100).tolist())


def uploader(at: AppTest, key: str):
    return next(u for u in at.file_uploader if u.key == key)


def upload_own_files(at: AppTest, name: str, lines: list[str]) -> None:
    """Choose uploads on the data page, then upload the demo areas and ``lines`` as CSV."""
    at.radio(key="area_source").set_value("upload")
    at.radio(key="indicator_source").set_value("upload").run()
    assert any("Ladda upp en områdesfil" in md_source(i.value) for i in at.info)
    uploader(at, "areas_file").upload("omraden.parquet", DEFAULT_AREAS.read_bytes())
    uploader(at, "table_file").upload(name, "\n".join(lines).encode("utf-8"),
                                      "text/csv").run()


def test_loading_saved_settings_applies_them(app):
    settings = list_profiles()["Psykisk ohälsa"]
    uploader(app, "settings_file").upload("mina.toml", settings.to_toml().encode("utf-8"),
                                          "application/toml").run()
    assert not app.exception and not app.error
    assert ranking(app) == expected(settings)
    assert app.radio(key="aggregation").value == "mpi"


def test_bad_settings_file_shows_which_file_key_and_value(app):
    before = ranking(app)
    bad = b"[indicator_weights]\nvaldsbrott = -2\nfinns_inte = 1\n"
    uploader(app, "settings_file").upload("fel.toml", bad, "application/toml").run()
    assert not app.exception
    message = " ".join(md_source(e.value) for e in app.error)
    assert "fil 'fel.toml'" in message and "negativa vikter" in message
    assert "valdsbrott=-2.0" in message
    assert ranking(app) == before     # nothing was applied half-way


def test_own_files_with_a_bad_value_show_an_error(app, tmp_path):
    table = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    header, first = table[0].split(","), table[1].split(",")
    first[header.index("valdsbrott")] = "många"
    table[1] = ",".join(first)
    upload_own_files(app, "egen.csv", table)
    assert not app.exception
    message = " ".join(md_source(e.value) for e in app.error)
    assert "fil 'egen.csv', kolumn 'valdsbrott': värden som inte är tal. Värden: 'många'" \
        in message


def test_own_files_with_a_missing_area_are_reported(app):
    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("0126R006,")]
    upload_own_files(app, "egen.csv", kept)
    assert not app.exception and not app.error
    assert any("1 område i kartan saknar indikatordata och visas grå: 0126R006."
               in md_source(i.value) for i in app.info)
    assert len(ranking(app)) == 21
    # No sidecar came with the upload, but the table's marker column keeps it marked.
    assert any("SYNTETISKA DEMODATA" in md_source(w.value) for w in app.warning)


def test_settings_with_an_unknown_indicator_are_refused_not_trimmed(app):
    before = ranking(app)
    text = b"[indicator_weights]\nvaldsbrott = 1\nfinns_inte = 1\n"
    uploader(app, "settings_file").upload("okand.toml", text, "application/toml").run()
    message = " ".join(md_source(e.value) for e in app.error)
    assert "fil 'okand.toml'" in message
    assert "indikatorerna finns inte i katalogen. Värden: 'finns_inte'" in message
    assert ranking(app) == before


def test_chosen_indicators_missing_from_own_table_are_named(app):
    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    drop = header.index("valdsbrott")
    trimmed = [",".join(v for k, v in enumerate(line.split(",")) if k != drop) for line in lines]
    upload_own_files(app, "utan.csv", trimmed)
    assert not app.exception and not app.error
    assert any("saknas i indikatortabellen, så de räknas inte: Anmälda våldsbrott."
               in md_source(w.value) for w in app.warning)


def test_choosing_kommundelar_ranks_seven_districts(app):
    app.radio(key="level").set_value("kommundelar").run()
    assert not app.exception and not app.error
    assert sorted(ranking(app)) == ["Flemingsberg", "Segeltorp", "Sjödalen-Fullersta", "Skogås",
                                    "Stuvsta-Snättringe", "Trångsund", "Vårby"]
    assert any("Skogås, 'elever_hog_franvaro': värde saknas för 1 av 3 delområden"
               in md_source(i.value) for i in app.info)
    assert any("SYNTETISKA DEMODATA" in md_source(w.value) for w in app.warning)
    app.radio(key="level").set_value("regso").run()
    assert len(ranking(app)) == 22


def test_data_page_shows_sources_coverage_and_missing_values(app):
    sources = next(d.value for d in app.dataframe if "Licens" in d.value.columns)
    assert sources["Data"].tolist() == ["Områden", "Indikatorer"]
    assert sources["Syntetiska"].tolist() == ["nej", "ja"]
    assert sources["Licens"].tolist()[0] == "CC0 (SCB öppna geodata)"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Områden i kartan"] == "22"
    assert metrics["Indikatorer som kan beräknas"] == "15 av 15"
    gaps = next(d.value for d in app.dataframe if "Orsak" in d.value.columns
                and "Område" in d.value.columns)
    # Every area matched, but values are missing: said, not "Alla områden har indikatordata".
    assert not any("Alla områden har indikatordata" in md_source(s.value) for s in app.success)
    assert any(f"men {len(gaps)} indikatorvärden" in md_source(w.value) for w in app.warning)
    reasons = {(r["Indikator"], r["Område"]): r["Orsak"] for r in gaps.to_dict("records")}
    assert reasons[("Elever med hög frånvaro (minst 15 %)", "0126R015")] == \
        "tom cell"
    # Every other gap is disclosure control, and says so.
    others = [why for key, why in reasons.items() if key[1] != "0126R015"]
    assert others and all("färre än 5" in why or "röj" in why or "nämnaren" in why
                          or "sekundärt" in why for why in others), others


# -- the data page: kommun, sources, online fetches (local server), offline ---------------
@pytest.fixture
def stand_in_wheel(tmp_path, monkeypatch):
    """RegSO of 0126, 0127 and 0128 in a stand-in duva wheel (see test_national.py)."""
    import streamlit as st
    from geo_fixtures import write_duva_wheel

    from geo import sources

    path = write_duva_wheel(tmp_path)
    monkeypatch.setenv(sources.WHEEL_ENV, str(path))
    # The app caches areas per kommun, source and level for the process: the stand-in's
    # areas must not be served to a later test that reads the real wheel.
    yield path
    st.cache_resource.clear()


def test_another_kommun_gets_its_areas_and_synthetic_demo_data(stand_in_wheel):
    at = demo_app()
    at.selectbox(key="kommun").set_value("0127").run()
    assert not at.exception and not at.error
    assert at.radio(key="area_source").value == "national"     # bundled is Huddinge only
    assert at.radio(key="area_source").options == [
        "RegSO 2025 för hela Sverige (duva-paketet, offline)",
        "SCB:s WFS (hämtas över nätet, sparas)", "Egen fil"]
    assert ranking(at) == ["0127R001"]
    assert any("SYNTETISKA DEMODATA" in md_source(w.value) for w in at.warning)
    sources_table = next(d.value for d in at.dataframe if "Licens" in d.value.columns)
    assert sources_table["Titel"].tolist()[1] == "Demoindikatorer för 1 område i Botkyrka"
    assert sources_table["Täckning"].tolist() == ["1 område", "1 av 1 område, 15 av 15 "
                                                  "indikatorer"]


def test_kommundelar_elsewhere_ask_for_a_grouping_table(stand_in_wheel):
    at = demo_app()
    at.selectbox(key="kommun").set_value("0127").run()
    at.radio(key="level").set_value("kommundelar").run()
    assert not at.exception and not at.error
    assert any("ladda upp en grupperingstabell" in md_source(i.value) for i in at.info)
    grouping = b"regsokod;kommundel\n0127R001;Norra\n"
    uploader(at, "grouping_file").upload("delar.csv", grouping, "text/csv").run()
    assert not at.exception and not at.error
    assert ranking(at) == ["Norra"]


def kolada_page() -> dict:
    return {"count": 3, "next_url": None, "values": [
        {"kpi": "N15428", "municipality": m, "period": 2024,
         "values": [{"count": 1, "gender": "T", "status": "", "value": v}]}
        for m, v in (("0126", 78.2), ("0001", 84.0), ("0000", 85.3))]}


def test_kolada_reference_values_are_fetched_on_request(monkeypatch):
    from api_server import Answer, FakeApi

    api = FakeApi()
    try:
        prefix = "/v3/data/kpi/N15428,N02797,N03942,N07540/municipality/0126,0001,0000/year/"
        monkeypatch.setenv("PREVMAP_KOLADA_URL", api.url + "v3")
        at = demo_app()
        assert not at.exception and len(api.requests) == 0      # nothing until asked
        import datetime as dt

        this_year = dt.date.today().year     # the app asks for the last six full years
        years = ",".join(str(y) for y in range(this_year - 6, this_year))
        api.add(prefix + years, Answer(body=kolada_page()))
        next(b for b in at.button if b.label == "Hämta jämförelsetal från Kolada").click().run()
        assert not at.exception and not at.error
        table = next(d.value for d in at.dataframe if "Länet" in d.value.columns)
        row = table[table["Id"] == "N15428"].iloc[0]
        assert (row["År"], row["Kommunen"], row["Länet"], row["Riket"]) == (
            2024, 78.2, 84, 85.3)
        assert len(api.requests) == 1
    finally:
        api.stop()


def test_offline_scb_fetch_says_so_and_the_bundled_data_still_work(monkeypatch):
    monkeypatch.setenv("PREVMAP_OFFLINE", "1")
    at = demo_app()
    at.radio(key="indicator_source").set_value("scb").run()
    assert any("Tryck på 'Hämta från SCB'" in md_source(i.value) for i in at.info)
    next(b for b in at.button if b.label == "Hämta från SCB").click().run()
    assert not at.exception
    assert any("Ingen anslutning" in md_source(e.value) for e in at.error)
    at.radio(key="indicator_source").set_value("demo").run()
    assert not at.error and len(ranking(at)) == 22


def test_scb_fetch_ranks_real_format_tables_and_reports_the_join(monkeypatch, tmp_path):
    """SCB's PxWebApi served on localhost in its real JSON-stat2 shape: three RegSO of
    Huddinge's 22 have data, one cell is suppressed ('..')."""
    from test_scb_fetch import CubeApi, standard_cubes

    api = CubeApi(standard_cubes())
    try:
        monkeypatch.setenv("PREVMAP_SCB_URL", api.url + "api/v2")
        at = demo_app()
        at.radio(key="indicator_source").set_value("scb").run()
        assert len(api.requests) == 0                            # nothing until asked
        next(b for b in at.button if b.label == "Hämta från SCB").click().run()
        assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
        assert not any("SYNTETISKA" in md_source(w.value) for w in at.warning)
        assert at.selectbox(key="profile").value == "SCB: socioekonomiska riskfaktorer"
        assert sorted(ranking(at)) == ["0126R001", "0126R002", "0126R003"]
        assert any("19 områden i kartan saknar indikatordata" in md_source(i.value)
                   for i in at.info)
        assert any("Lägenheter med hyresrätt" in md_source(w.value) for w in at.warning)
        table = next(d.value for d in at.dataframe if "Licens" in d.value.columns)
        assert table["Titel"].tolist()[1] == "SCB-indikatorer per RegSO i kommun 0126, 2024"
        assert table["Täckning"].tolist()[1] == "3 av 22 områden, 3 av 6 indikatorer"
        gaps = next(d.value for d in at.dataframe if "Orsak" in d.value.columns)
        low = gaps[gaps["Område"] == "0126R003"]
        assert low["Indikator"].tolist() == ["Invånare med låg ekonomisk standard"]
        assert "uppgift saknas eller är för osäker för att redovisas" in low["Orsak"].iloc[0]
        # A second click is answered from the cache on disk: no new request.
        seen = len(api.requests)
        next(b for b in at.button if b.label == "Hämta från SCB").click().run()
        assert len(api.requests) == seen and not at.error
    finally:
        api.stop()


def test_kommundel_polygons_by_area_and_by_population(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    inputs = load_inputs()
    frame = inputs.areas.frame
    x0, y0, x1, y1 = frame.total_bounds
    middle = (x0 + x1) / 2
    halves = gpd.GeoDataFrame({"area_id": ["V", "O"], "area_name": ["Väst", "Öst"]},
                              geometry=[box(x0, y0, middle, y1), box(middle, y0, x1, y1)],
                              crs=frame.crs)
    halves.to_file(tmp_path / "halvor.gpkg")
    # Nine in ten people live in the western half: RegSO cut by the line split 90/10.
    people = halves.assign(folk=[900, 100])
    people.to_file(tmp_path / "folk.gpkg")

    at = demo_app()
    at.radio(key="level").set_value("kommundelar").run()
    uploader(at, "grouping_file").upload("halvor.gpkg", (tmp_path / "halvor.gpkg").read_bytes(),
                                         "application/geopackage+sqlite3").run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    assert sorted(ranking(at)) == ["O", "V"]
    assert any(md_source(i.value).startswith("Ytviktad interpolation (tobler)") for i in at.info)
    by_area = ranked_table(at).set_index("Områdeskod")["Sammanvägt index"]

    at.radio(key="weights").set_value("population").run()
    assert any("ladda upp ett befolkningslager" in md_source(i.value) for i in at.info)
    uploader(at, "population_file").upload("folk.gpkg", (tmp_path / "folk.gpkg").read_bytes(),
                                           "application/geopackage+sqlite3")
    at.text_input(key="population_column").set_value("folk").run()
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    assert any(md_source(i.value).startswith("Befolkningsviktad interpolation")
               and "'folk'" in md_source(i.value) for i in at.info)
    by_people = ranked_table(at).set_index("Områdeskod")["Sammanvägt index"]
    # The app shows what the pipeline gives for each weighting, and the weightings differ.
    from geo.io.areas import read_areas
    from geo.spatial.levels import to_polygons

    settings = list_profiles()["Bred prevention"]
    polygons = read_areas(tmp_path / "halvor.gpkg")
    moved = {w: to_polygons(inputs, polygons, title="K", weights=w, population=people,
                            population_column="folk")[0] for w in ("area", "population")}
    for shown, weights in ((by_area, "area"), (by_people, "population")):
        score = run_analysis(moved[weights], settings).result.score
        # sent rounded to the two decimals shown (the widget would cut, not round)
        assert shown.sort_index().tolist() == [float(f"{v:.2f}")
                                               for v in score.sort_index().round(4)]
    west = [m.table.set_index("area_id").at["V", "invanare"] for m in moved.values()]
    assert west[1] > west[0] + 100


def test_certainty_drivers_trends_and_method_are_shown(app):
    table = ranked_table(app)
    assert {"Prioritet", "Rang 5 %", "Rang 95 %", "Kluster (Gi*)"} <= set(table.columns)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Prioritet"] in ("Hög prioritet", "Förhöjd", "Övriga")
    assert "Rang i 90 % av beräkningarna" in metrics
    assert not any(md_source(m.value).startswith("**Över tid") for m in app.markdown)   # on request
    app.toggle(key="show_trends").set_value(True).run()
    assert any(md_source(m.value).startswith("**Över tid (2021–2024)") for m in app.markdown)
    trend = next(d.value for d in app.dataframe if "Bedömning" in d.value.columns)
    assert set(trend["Bedömning"]) <= {"ökning", "minskning", "ingen säker förändring",
                                       "kan inte bedömas"}
    # The drivers and the method are computed only while their tab is open.
    assert not any("Verklig påverkan (%)" in d.value.columns for d in app.dataframe)
    app.session_state["tab"] = "Vad styr rangordningen"
    app.run()
    app.toggle(key="domain_hotspots").set_value(True).run()
    assert not app.exception
    drivers = next(d.value for d in app.dataframe if "Verklig påverkan (%)" in d.value.columns)
    assert sum(drivers["Verklig påverkan (%)"]) == pytest.approx(100, abs=0.1)
    assert "Var behoven samlas (Gi* och lokal Moran)" in [md_source(h.value) for h in app.subheader]
    app.session_state["tab"] = "Metod"
    app.run()
    headings = [md_source(h.value) for h in app.subheader]
    assert {"Hur säker är rangordningen?", "Små tal och sekretess",
            "Källor till metoden"} <= set(headings)
    assert "Var behoven samlas (Gi* och lokal Moran)" not in headings
    app.session_state["tab"] = "Vad styr rangordningen"
    app.run()
    next(b for b in app.button if b.label == "Räkna ut känsligheten").click().run()
    assert not app.exception
    assert any("Påverkan (medelförflyttning i rang)" in d.value.columns for d in app.dataframe)


def test_robustness_options_are_settings_and_change_the_result(app):
    app.number_input(key="seed").set_value(7)
    app.number_input(key="draws").set_value(300).run()
    assert not app.exception and not app.error
    profile = list_profiles()["Bred prevention"]
    expected, _ = screen_table(ranking_table(run_analysis(
        load_inputs(), profile.with_changes(seed=7, draws=300))))
    shown = ranked_table(app)
    assert shown["Rang 95 %"].tolist() == expected["Rang 95 %"].tolist()
    assert shown["Prioritet"].tolist() == expected["Prioritet"].tolist()
    app.checkbox(key="disclosure").uncheck()
    app.session_state["tab"] = "Metod"        # the method page says so
    app.run()
    assert any("Röjandekontroll är AVSTÄNGD" in md_source(m.value) for m in app.markdown)
    settings = app.session_state["seed"], app.session_state["draws"]
    assert settings == (7, 300)


def test_tile_server_address_is_checked(app):
    app.checkbox(key="tiles").check().run()
    app.text_input(key="tile_url").set_value("http://okrypterad.example/{z}/{x}.png").run()
    assert not app.exception
    assert any("ska börja med https:// och innehålla {z}, {x} och {y}" in md_source(w.value)
               for w in app.warning)
    app.text_input(key="tile_url").set_value("https://karta.kommun.se/{z}/{x}/{y}.png").run()
    assert not any("Kartserverns adress" in md_source(w.value) for w in app.warning)


def test_without_chromium_the_report_pdf_is_disabled_with_the_reason(monkeypatch):
    # A failure inside a download's callable never reaches the page; the app says it first.
    monkeypatch.setattr("geo.export.render.CHROMIUM", Path("/saknas/chromium"))
    at = demo_app()
    assert not at.exception
    buttons = {b.proto.label.split(":")[0]: b.proto for b in at.get("download_button")
               if b.proto.label not in TEMPLATE_LABELS}   # "Karta (PNG): Sammanvägt behov"
    assert buttons["Rapport (PDF)"].disabled
    # the print maps are drawn by matplotlib, without a browser
    assert not buttons["Karta (PNG)"].disabled and not buttons["Karta (PDF)"].disabled
    assert not buttons["Rapport (HTML)"].disabled
    assert all(b.ignore_rerun for b in buttons.values())
    assert any("Rapporten som PDF kan inte skapas" in md_source(c.value)
               and "/saknas/chromium" in md_source(c.value) for c in at.caption)


def test_with_chromium_pdf_and_png_are_offered(app):
    from geo.export.render import renderer_missing

    if renderer_missing():
        pytest.skip(renderer_missing())
    buttons = {b.proto.label.split(":")[0]: b.proto for b in app.get("download_button")}
    assert not buttons["Rapport (PDF)"].disabled and not buttons["Karta (PNG)"].disabled
    assert not any("Rapporten som PDF kan inte skapas" in md_source(c.value)
                   for c in app.caption)


def test_the_downloads_are_the_export_registry_with_the_command_lines_bytes(monkeypatch):
    """One button per format of geo.export.formats, in its order, with its file name and
    MIME type; what a click makes is the file prevmap export writes for the same data."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    from geo.export.formats import FORMATS, ExportOptions, export_format

    made = {}     # deferred file id -> (callable, MIME type, file name)
    add = MediaFileManager.add_deferred

    def recorded(self, data, mimetype, coordinates, file_name=None, **kwargs):
        file_id = add(self, data, mimetype, coordinates, file_name=file_name, **kwargs)
        made[file_id] = (data, mimetype, file_name)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", recorded)
    at = demo_app()
    assert not at.exception
    buttons = [b.proto for b in at.get("download_button") if b.proto.label not in TEMPLATE_LABELS]
    # the maps say what they show: the index, until another choice is made
    labels = [f.shown_label("Sammanvägt behov") for f in FORMATS]
    assert [b.label for b in buttons] == labels
    files = {b.label.split(":")[0]: made[b.deferred_file_id] for b in buttons
             if b.deferred_file_id}
    for fmt in FORMATS:
        if fmt.label in files:          # PDF and PNG are disabled without chromium
            assert files[fmt.label][1:] == (fmt.mime, fmt.name()), fmt.key
    analysis = run_analysis(load_inputs(), list_profiles()["Bred prevention"])
    assert any(f"Indata (SHA-256): {analysis.digest[:12]}" in md_source(c.value)
               for c in at.caption)
    for key in ("csv", "installningar", "karta"):
        fmt = export_format(key)
        assert files[fmt.label][0]() == fmt.write(analysis, ExportOptions()), key


def test_a_lan_shows_the_overview_per_kommun_then_one_kommun(stand_in_wheel):
    at = demo_app()
    at.selectbox(key="kommun").set_value("01").run()
    assert not at.exception and not at.error
    assert at.radio(key="area_source").value == "national"
    assert at.radio(key="level").value == "regso" and at.radio(key="level").disabled
    assert any(md_source(c.value).startswith("3 kommuner. Klicka på en kommun") and
               "alla RegSO i Stockholms län" in md_source(c.value) for c in at.caption)
    everything = ranking(at)
    assert sorted(everything) == ["0126R001", "0126R002", "0127R001", "0128R001"]

    at.session_state["drill"] = "0126"      # what a click on Huddinge in the overview does
    at.run()
    assert not at.exception and not at.error
    assert any(md_source(s.value) == "Rangordning – Huddinge, rang inom Stockholms län"
               for s in at.subheader)
    assert ranking(at) == [a for a in everything if a.startswith("0126")]
    back = next(b for b in at.button if b.label == "← Översikt: Stockholms län")
    back.click().run()
    assert at.session_state["drill"] is None and ranking(at) == everything

    at.selectbox(key="kommun").set_value("0127").run()    # back to one kommun: no overview
    assert not at.exception and ranking(at) == ["0127R001"]
    assert not any("kommuner. Klicka" in md_source(c.value) for c in at.caption)


def test_scb_fetch_is_per_kommun_and_says_so_for_a_lan(stand_in_wheel):
    at = demo_app()
    at.selectbox(key="kommun").set_value("00").run()
    at.radio(key="indicator_source").set_value("scb").run()
    assert not at.exception
    assert any("SCB-hämtningen görs per kommun" in md_source(w.value) for w in at.warning)


def test_the_drivers_tab_shows_the_index_quality(app):
    """Indexets kvalitet: outliers and coherence at once, robustness on request, the same
    frames as geo.export.quality_views gives for the app's analysis."""
    app.session_state["tab"] = "Vad styr rangordningen"
    app.run()
    assert not app.exception
    assert "Indexets kvalitet" in [md_source(h.value) for h in app.subheader]
    alpha = next(d.value for d in app.dataframe if "Cronbachs alfa" in d.value.columns)
    assert len(alpha) == 6 and alpha["Cronbachs alfa"].str.contains(",").all()
    assert not any("Genomsnittlig rangförskjutning" in d.value.columns for d in app.dataframe)
    next(b for b in app.button if b.label == "Räkna ut robustheten").click().run()
    assert not app.exception
    robust = next(d.value for d in app.dataframe
                  if "Genomsnittlig rangförskjutning" in d.value.columns)
    assert list(robust["Osäkert val"]) == list(FACTORS.values())
    assert any("R̄S = " in md_source(c.value) for c in app.caption)
