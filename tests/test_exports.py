"""The Excel workbook and the GeoPackage of an analysis (geo/export/workbook.py), on the demo
data."""

from __future__ import annotations

import dataclasses as dc
import datetime as dt
import io
import json
import math
import re
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from test_leak_attack import hidden_held, with_hidden_at

from geo.analysis import Analysis, plan_followup, published_values, run_analysis
from geo.export import workbook as exports
from geo.export.tables import ranking_table
from geo.inputs import list_profiles, load_inputs
from geo.spatial.join import join_areas
from indicators.columns import AREA_ID, AREA_NAME
from indicators.disclosure import check_no_leak

CREATED = dt.date(2026, 1, 2)
SHEETS = ["Rangordning", "Domänpoäng", "Indikatorer", "Kopplingsrapport", "Inställningar"]


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return run_analysis(load_inputs(),
                                 list_profiles()["Bred prevention"])


@pytest.fixture(scope="module")
def xlsx(analysis) -> bytes:
    return exports.excel_bytes(analysis, created=CREATED)


@pytest.fixture(scope="module")
def workbook(xlsx) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(xlsx))


def with_areas(analysis: Analysis, frame: gpd.GeoDataFrame) -> Analysis:
    """The same ranking over other areas, joined again (so the join report follows)."""
    inputs = dc.replace(analysis.inputs, areas=dc.replace(analysis.inputs.areas, frame=frame))
    joined, report = join_areas(frame, analysis.result)
    return dc.replace(analysis, inputs=inputs, joined=joined, join_report=report)


def renamed(analysis: Analysis, area: str, name: str) -> Analysis:
    frame = analysis.inputs.areas.frame.copy()
    frame.loc[frame[AREA_ID] == area, AREA_NAME] = name
    return with_areas(analysis, frame)


def gappy(analysis: Analysis) -> Analysis:
    """One area without data (9999R001, a copy of 0126R001 moved 50 km east) and one data
    row without area (0126R022 left out of the map)."""
    frame = analysis.inputs.areas.frame
    extra = frame[frame[AREA_ID] == "0126R001"].copy()
    extra[AREA_ID], extra[AREA_NAME] = "9999R001", "Nytt område"
    extra["geometry"] = shapely.transform(extra.geometry.to_numpy(), lambda xy: xy + [50_000, 0])
    out = pd.concat([frame[frame[AREA_ID] != "0126R022"], extra], ignore_index=True)
    return with_areas(analysis, gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs))


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def expected_cell(value):
    """A ranking-table value as the workbook holds it: missing and '' are empty cells."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value or None
    return value.item() if isinstance(value, np.generic) else value


def assert_numbers(got, want) -> None:
    """Missing values are empty cells; the rest equal to openpyxl's 16 significant digits
    (Excel itself keeps 15)."""
    want = [expected_cell(v) for v in want]
    assert [v is None for v in got] == [v is None for v in want]
    assert [v for v in got if v is not None] == pytest.approx(
        [v for v in want if v is not None], rel=1e-15, abs=0)


def sheet_text(ws) -> str:
    return "\n".join(";".join("" if c is None else str(c) for c in row) for row in rows(ws))


def settings_value(ws, section: str, key: str):
    found = [r[2] for r in rows(ws)[1:] if r[0] == section and r[1] == key]
    assert len(found) == 1, (section, key, found)
    return found[0]


# -- Excel --------------------------------------------------------------------------------

REC_SHEETS = ["Rekommendation", "Budget"]


def test_sheet_names_in_order(analysis, workbook):
    # the recommendation's sheets follow when the analysis has its Monte Carlo (issue 19)
    assert workbook.sheetnames == SHEETS + (REC_SHEETS if analysis.assessment else [])
    assert list(exports.SHEETS) == SHEETS


def test_ranking_sheet_is_the_ranking_table(analysis, workbook):
    table = ranking_table(analysis)
    got = rows(workbook["Rangordning"])
    assert list(got[0]) == list(table.columns)
    assert len(got) == len(table) + 1 == 23
    for i, record in enumerate(table.itertuples(index=False), 1):
        assert list(got[i]) == [expected_cell(v) for v in record], i
    # also through pandas, the way a user's script would read it
    back = pd.read_excel(io.BytesIO(exports.excel_bytes(analysis, created=CREATED)),
                         sheet_name="Rangordning", dtype={"Områdeskod": str})
    assert back["Områdeskod"].tolist() == table["Områdeskod"].tolist()
    assert back["Rang"].tolist() == list(range(1, 23))
    assert back["Sammanvägt index"].tolist() == table["Sammanvägt index"].tolist()


def test_headers_bold_frozen_and_ranking_filtered(workbook):
    freeze = {"Rangordning": "D2", "Domänpoäng": "C2", "Indikatorer": "C2",
              "Kopplingsrapport": "A2", "Inställningar": "A2"}
    for name in SHEETS:
        ws = workbook[name]
        assert all(cell.font.bold for cell in ws[1]), name
        body = ws[3] if name == "Inställningar" else ws[2]   # row 2 there: the warning
        assert not any(cell.font.bold for cell in body if cell.value is not None), name
        assert ws.freeze_panes == freeze[name]
    assert workbook["Rangordning"].auto_filter.ref == "A1:U23"


def test_number_formats_and_widths(analysis, workbook):
    ws = workbook["Rangordning"]
    header = [c.value for c in ws[1]]
    k = analysis.assessment.top_k

    def fmt(name):
        return {ws.cell(row=r, column=header.index(name) + 1).number_format
                for r in range(2, 24)}

    assert fmt("Sammanvägt index") == {"0.00"}
    assert fmt("Psykisk ohälsa") == {"0.00"}
    assert fmt(f"Sannolikhet topp {k} (%)") == {"0.0"}
    assert fmt("Rang") == {"0"}
    assert fmt("Område") == {"General"}
    names = ranking_table(analysis)["Område"]
    width = ws.column_dimensions["C"].width
    assert width == max(names.str.len()) + 2
    assert ws.column_dimensions["U"].width == exports.MAX_WIDTH  # the long source label
    ind = workbook["Indikatorer"]
    units = {c.value: ind.cell(row=2, column=c.column).number_format for c in ind[1]}
    assert units["Anmälda våldsbrott (per 1 000)"] == "0.0"
    assert units["Barn 0–17 år i trångbodda hushåll (%)"] == "0.0"
    assert {ind.cell(row=r, column=3).number_format for r in range(2, 24)} == {"0.0"}


def test_swedish_characters_intact(workbook):
    text = "\n".join(sheet_text(workbook[name]) for name in SHEETS)
    for word in ("Vårby gård", "Flemingsberg östra", "Psykisk ohälsa", "Skadegörelse",
                 "Områdeskod", "Unga 15–20 år"):
        assert word in text


def test_title_property_and_row(analysis, workbook):
    assert workbook.properties.title == analysis.title
    assert "Huddinge" in analysis.title
    assert settings_value(workbook["Inställningar"], "Analys", "Titel") == analysis.title


def test_domain_sheet(analysis, workbook):
    got = rows(workbook["Domänpoäng"])
    assert list(got[0]) == ["Områdeskod", "Område", "Psykisk ohälsa", "Missbruk",
                            "Kriminalitet", "Socioekonomiska riskfaktorer", "Skola",
                            "Skyddsfaktorer"]
    table = ranking_table(analysis)
    assert [r[0] for r in got[1:]] == table["Områdeskod"].tolist()   # the ranking's order
    scores = analysis.result.domain_scores
    # Hidden counts are censored, not dropped (issue 16): no domain is left without values.
    assert not scores.isna().any().any()
    for r in got[1:]:
        assert_numbers(r[2:], scores.loc[r[0]].tolist())


def test_indicator_sheet_values_after_disclosure(analysis, workbook):
    ws = workbook["Indikatorer"]
    got = rows(ws)
    catalogue = analysis.inputs.catalogue
    values = published_values(analysis).round(2)     # hidden missing, two decimals
    headers = [f"{catalogue[i].name} ({catalogue[i].unit})" for i in values.columns]
    assert list(got[0]) == ["Områdeskod", "Område", *headers]
    assert "Anmälda våldsbrott (per 1 000)" in headers
    by_area = {r[0]: r for r in got[1:]}
    for area in values.index:
        assert_numbers(by_area[area][2:], values.loc[area].tolist())
    # a hidden value is an empty cell, never 0
    empty = sum(v is None for r in got[1:] for v in r[2:])
    assert empty == int(values.isna().sum().sum()) > 0

    suppressed = analysis.assessment.prepared.disclosure.suppressed
    assert len(suppressed) > 0
    raw = load_inputs().table.set_index(AREA_ID)      # as held, before censoring
    # the suppressed cell with the most distinctive (largest) original count
    counts = [raw.loc[a, c] for a, c in zip(suppressed[AREA_ID], suppressed["column"],
                                             strict=True)]
    at = int(np.argmax(counts))
    area, column, count = suppressed[AREA_ID].iloc[at], suppressed["column"].iloc[at], counts[at]
    assert count >= 5
    inds = [i for i in values.columns if catalogue[i].numerator == column]
    assert inds
    row = by_area[area]
    for ind in inds:
        assert row[2 + list(values.columns).index(ind)] is None
        original = count / raw.loc[area, catalogue[ind].denominator] * catalogue[ind].per
        assert not any(isinstance(v, float) and math.isclose(v, original) for v in row)
    assert not any(isinstance(v, int | float) and math.isclose(v, count) for v in row[2:])

    # no hidden count or rate anywhere in the sheet, in any common written form
    disclosure = analysis.assessment.prepared.disclosure
    text = sheet_text(ws)
    if check_no_leak(text, disclosure, raw.reset_index()):
        # A value equal to a hidden rate may be another cell's by coincidence (two
        # decimals, 330 cells): no leak when the sheet is the same with every hidden
        # count moved to the other end of its band.
        inputs = load_inputs()
        moved = run_analysis(with_hidden_at(inputs, hidden_held(inputs, analysis.settings),
                                            "high"), analysis.settings)
        other = openpyxl.load_workbook(io.BytesIO(exports.excel_bytes(moved, created=CREATED)))
        assert sheet_text(other["Indikatorer"]) == text
    # (the check does see a leak: the original rate written on the area's line)
    ind = inds[0]
    rate = count / raw.loc[area, catalogue[ind].denominator] * catalogue[ind].per
    assert check_no_leak(text + f"\n{area};{rate!r}", disclosure, raw.reset_index())


def test_join_sheet_lists_every_gap(analysis, workbook):
    got = rows(workbook["Kopplingsrapport"])
    assert got[0] == ("Status", "Områdeskod", "Område")
    assert {r[0] for r in got[1:]} == {"Kopplad"}
    assert [r[1] for r in got[1:]] == list(analysis.join_report.matched)
    gaps = gappy(analysis)
    ws = openpyxl.load_workbook(io.BytesIO(exports.excel_bytes(gaps, created=CREATED)))[
        "Kopplingsrapport"]
    got = rows(ws)
    assert len(got) == 1 + 21 + 1 + 1
    assert got[-2] == ("Område utan indikatordata", "9999R001", "Nytt område")
    assert got[-1] == ("Indikatorrad utan område", "0126R022", "(finns inte i kartan)")
    assert ws.auto_filter.ref == "A1:C24"


def test_settings_sheet(analysis, workbook):
    ws = workbook["Inställningar"]
    got = rows(ws)
    assert got[0] == ("Avsnitt", "Nyckel", "Värde")
    s = analysis.settings
    assert settings_value(ws, "[uncertainty]", "seed") == s.uncertainty.seed == 20261123
    assert settings_value(ws, "[uncertainty]", "draws") == s.uncertainty.draws == 1000
    assert settings_value(ws, "[uncertainty]", "data_noise") == "true"
    assert settings_value(ws, "[small_numbers]", "disclosure_threshold") == 5
    assert settings_value(ws, "[small_numbers]", "smoothing") == "none"
    assert settings_value(ws, "[tiers]", "high_p") == 0.8
    assert settings_value(ws, "[tiers]", "raised_p") == 0.3
    assert settings_value(ws, "[indicator_weights]", "valdsbrott") == 1.0
    assert settings_value(ws, "Inställningar", "name") == "Bred prevention"
    assert settings_value(ws, "Inställningar", "normalisation") == "zscore"
    assert settings_value(ws, "Analys", "Skapad") == "2026-01-02"
    assert settings_value(ws, "Analys", "Indata (SHA-256)") == analysis.digest
    for role, source in analysis.source_roles():
        assert settings_value(ws, f"Källa: {role}", "Datum") == source.date
        assert settings_value(ws, f"Källa: {role}", "Licens") == source.licence
    assert settings_value(ws, "Källa: Indikatorer", "Syntetiska data") == "ja"
    assert settings_value(ws, "Källa: Områden", "Syntetiska data") == "nej"
    # the demo indicators are synthetic: the warning is the first row, in bold red
    assert got[1][0] == "VARNING" and "SYNTETISKA DEMODATA" in got[1][2]
    assert ws["A2"].font.bold and ws["A2"].font.color.rgb == "00C00000"
    notes = [r[2] for r in got if r[0] == "Anmärkningar"]
    assert notes == analysis.notes()


def test_no_warning_without_synthetic_sources(analysis):
    real = dc.replace(analysis.inputs.table_source, synthetic=False)
    plain = dc.replace(analysis, inputs=dc.replace(analysis.inputs, table_source=real))
    ws = openpyxl.load_workbook(io.BytesIO(exports.excel_bytes(plain, created=CREATED)))[
        "Inställningar"]
    assert all(r[0] != "VARNING" for r in rows(ws))
    assert settings_value(ws, "Källa: Indikatorer", "Syntetiska data") == "nej"


def test_same_analysis_same_bytes(analysis, xlsx):
    assert exports.excel_bytes(analysis, created=CREATED) == xlsx
    assert exports.excel_bytes(analysis, created=dt.date(2026, 1, 3)) != xlsx
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 1, 2, 0, 0, 0)}
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb.properties.created == wb.properties.modified == dt.datetime(2026, 1, 2)


def test_default_date_is_today(analysis):
    wb = openpyxl.load_workbook(io.BytesIO(exports.excel_bytes(analysis)))
    assert wb.properties.modified.date() == dt.date.today()


FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


@pytest.mark.parametrize("name", ["=1+1", '=HYPERLINK("http://x.example","klicka")',
                                  "=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(A1)",
                                  "<script>alert(1)</script>"])
def test_area_name_never_becomes_a_formula(analysis, name):
    data = exports.excel_bytes(renamed(analysis, "0126R005", name), created=CREATED)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for entry in z.namelist():
            if entry.startswith("xl/worksheets/"):
                assert not FORMULA.search(z.read(entry)), entry
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in ("Rangordning", "Domänpoäng", "Indikatorer", "Kopplingsrapport"):
        cells = [c for row in wb[sheet].iter_rows() for c in row if c.value == name]
        assert len(cells) == 1, sheet
        cell = cells[0]
        assert cell.data_type == "s"
        assert cell.quotePrefix == (name[0] in "=+-@")
    back = pd.read_excel(io.BytesIO(data), sheet_name="Rangordning")
    assert back.loc[back["Områdeskod"] == "0126R005", "Område"].item() == name


def test_source_title_never_becomes_a_formula(analysis):
    evil = dc.replace(analysis.inputs.table_source, title="=cmd|' /C calc'!A0",
                      synthetic=False)
    changed = dc.replace(analysis, inputs=dc.replace(analysis.inputs, table_source=evil))
    data = exports.excel_bytes(changed, created=CREATED)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(FORMULA.search(z.read(e)) for e in z.namelist()
                       if e.startswith("xl/worksheets/"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert settings_value(wb["Inställningar"], "Källa: Indikatorer", "Titel") == evil.title
    label = wb["Rangordning"]["U2"]
    assert label.value == evil.label() and label.value.startswith("=")
    assert label.data_type == "s" and label.quotePrefix


def test_control_characters_are_dropped(analysis):
    data = exports.excel_bytes(renamed(analysis, "0126R005", "Fullersta\x07 södra\x00"),
                               created=CREATED)
    back = pd.read_excel(io.BytesIO(data), sheet_name="Domänpoäng")
    assert back.loc[back["Områdeskod"] == "0126R005", "Område"].item() == "Fullersta södra"


# -- GeoPackage ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gpkg(analysis, tmp_path_factory):
    return exports.write_geopackage(analysis, tmp_path_factory.mktemp("gpkg") / "ut.gpkg",
                                    created=CREATED)


def assert_same_columns(layer: pd.DataFrame, table: pd.DataFrame) -> None:
    for name in table.columns:
        got, want = layer[name].tolist(), table[name].tolist()
        assert [expected_cell(v) for v in got] == [expected_cell(v) for v in want], name


def test_geopackage_layer(analysis, gpkg):
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers == {"prevmap_resultat": "MultiPolygon", "kallor": None,
                      "installningar": None, "kopplingsrapport": None}
    layer = gpd.read_file(gpkg, layer="prevmap_resultat")
    assert len(layer) == 22
    assert layer.crs.to_epsg() == 3006
    table = ranking_table(analysis)
    # GDAL keeps the Swedish headers (å, ä, ö, spaces, %, *) as field names
    assert list(layer.columns) == [AREA_ID, AREA_NAME, *table.columns, "geometry"]
    assert layer[AREA_ID].tolist() == analysis.inputs.areas.frame[AREA_ID].tolist()
    assert (layer[AREA_ID] == layer["Områdeskod"]).all()
    assert (layer[AREA_NAME] == layer["Område"]).all()
    ordered = table.set_index("Områdeskod", drop=False).loc[layer[AREA_ID]]
    assert_same_columns(layer, ordered)
    frame = analysis.inputs.areas.frame.to_crs(3006)
    assert np.allclose(layer.geometry.area, frame.geometry.area)
    assert layer.geometry.geom_equals(frame.geometry.reset_index(drop=True)).all()
    assert pyogrio.read_info(gpkg, layer="prevmap_resultat")["fields"].tolist()[:4] == [
        AREA_ID, AREA_NAME, "Rang", "Områdeskod"]


def test_geopackage_tables(analysis, gpkg):
    sources = pyogrio.read_dataframe(gpkg, layer="kallor")
    roles = analysis.source_roles()
    assert sources["Roll"].tolist() == [r for r, _ in roles] == ["Områden", "Indikatorer"]
    assert sources["Datum"].tolist() == [s.date for _, s in roles]
    assert sources["Licens"].tolist() == [s.licence for _, s in roles]
    assert sources["Syntetiska data"].tolist() == ["nej", "ja"]
    settings = pyogrio.read_dataframe(gpkg, layer="installningar")
    seed = settings[(settings["Avsnitt"] == "[uncertainty]") & (settings["Nyckel"] == "seed")]
    assert seed["Värde"].tolist() == ["20261123"]
    join = pyogrio.read_dataframe(gpkg, layer="kopplingsrapport")
    assert join["Områdeskod"].tolist() == list(analysis.join_report.matched)


def test_geopackage_keeps_areas_without_data(analysis, tmp_path):
    gaps = gappy(analysis)
    path = tmp_path / "luckor.gpkg"
    exports.write_geopackage(analysis, path)        # replaced, not appended to
    exports.write_geopackage(gaps, path)
    layer = gpd.read_file(path, layer="prevmap_resultat").set_index(AREA_ID)
    assert len(layer) == 22
    assert "0126R022" not in layer.index
    empty = layer.loc["9999R001"]
    assert empty[AREA_NAME] == "Nytt område"
    assert empty[["Rang", "Sammanvägt index", "Psykisk ohälsa", "Prioritet",
                  "Områdeskod"]].isna().all()
    assert not empty.geometry.is_empty
    full = layer.drop(index="9999R001")
    assert full["Sammanvägt index"].notna().all()
    join = pyogrio.read_dataframe(path, layer="kopplingsrapport")
    assert join["Status"].tolist()[-2:] == ["Område utan indikatordata",
                                            "Indikatorrad utan område"]
    assert join["Områdeskod"].tolist()[-2:] == ["9999R001", "0126R022"]


# -- the åtgärdsplan ------------------------------------------------------------------------

PLAN_SHEETS = ["Plan – områden", "Plan – mål", "Plan – insatser", "Uppföljning", "Historik",
               "Om planen"]


@pytest.fixture(scope="module")
def plan_book(analysis):
    from plan_fixtures import demo_plan

    plan = demo_plan()
    followup = plan_followup(analysis, plan)
    data = exports.plan_workbook_bytes(plan, followup, analysis.inputs.catalogue,
                                       created=CREATED)
    return plan, followup, data, openpyxl.load_workbook(io.BytesIO(data))


def test_plan_workbook_has_the_plan_sheets(plan_book):
    *_, data, wb = plan_book
    assert wb.sheetnames == PLAN_SHEETS == list(exports.PLAN_SHEETS)
    assert wb.properties.title == "Åtgärdsplan – Trygg uppväxt"
    for ws in wb:
        assert all(cell.font.bold for cell in ws[1]), ws.title


def test_plan_goal_and_action_sheets_hold_the_plan(plan_book, analysis):
    from plan_fixtures import GOALS

    plan, _, _, wb = plan_book
    goals = rows(wb["Plan – mål"])
    assert goals[0] == ("Områdeskod", "Område", "Indikator", "Indikator-id", "Enhet",
                        "Utgångsår", "Utgångsvärde", "Målvärde", "Målår", "Kommentar")
    catalogue = analysis.inputs.catalogue
    assert goals[1:] == [(area, {"0126R001": "Flemingsberg västra",
                                 "0126R002": "Flemingsberg östra", "0126R003": "Tre"}[area],
                          catalogue[ind].name, ind, unit, year, base, target, 2026, None)
                         for area, ind, unit, year, base, target in GOALS]
    actions = rows(wb["Plan – insatser"])
    assert actions == [
        ("Områdeskod", "Område", "Insats", "Ansvarig", "Start", "Slut", "Kostnad (kr)",
         "Kommentar"),
        ("0126R001", "Flemingsberg västra", "Fältgrupp", "Socialnämnden", "2025-01-01", None,
         250000, None),
        ("0126R002", "Flemingsberg östra", "Läxhjälp", "Civilsamhället", "2025-03-01",
         "2025-12-31", None, None)]


def test_followup_sheet_one_row_per_goal_with_status_and_years(plan_book):
    from plan_fixtures import STATUSES

    _, followup, _, wb = plan_book
    got = rows(wb["Uppföljning"])
    header = list(got[0])
    assert header[-4:] == ["Värde 2021", "Värde 2022", "Värde 2023", "Värde 2024"]
    assert len(got) == 5
    status = header.index("Status")
    assert [r[status] for r in got[1:]] == list(STATUSES)
    expected = header.index("Enligt linjen mot målet")
    assert [r[expected] for r in got[1:4]] == pytest.approx([48.85, 64.95, 115.55])
    assert got[4][expected] is None
    # the hidden years of 0126R003 stay empty; its 2021 value (100 %) was shown
    assert got[4][-4:] == (100.0, None, None, None)
    latest = header.index("Senaste värde")
    assert got[1][latest] == pytest.approx(followup.goals[0].latest_value, rel=1e-15)
    assert got[1][header.index("Senaste år")] == 2024
    assert wb["Uppföljning"].cell(row=2, column=latest + 1).number_format == "0.0"


def test_area_sheet_counts_and_history_in_time_order(plan_book):
    *_, wb = plan_book
    areas = rows(wb["Plan – områden"])
    assert areas[0] == ("Områdeskod", "Område", "Motivering", "målet nått", "på väg",
                        "inte på väg", "kan inte mätas", "Antal mål", "Antal insatser")
    assert areas[1] == ("0126R001", "Flemingsberg västra", "Hög prioritet", 0, 0, 2, 0, 2, 1)
    assert areas[3] == ("0126R003", "Tre", None, 0, 0, 0, 1, 1, 0)
    assert areas[-1] == (None, "Hela planen", None, 0, 0, 3, 1, 4, 2)
    history = rows(wb["Historik"])
    assert history == [
        ("Tid", "Vem", "Vad", "Id", "Ändring", "Före", "Efter"),
        ("2025-01-02 10:00:00", "anna", "plan", 1, "skapad", None, '{"name": "Trygg uppväxt"}'),
        ("2025-01-03 09:30:00", "bo", "action", 1, "skapad", None, '{"title": "Fältgrupp"}')]
    about = rows(wb["Om planen"])
    assert ("Uppföljning", "År med data", "2021, 2022, 2023, 2024") in about
    assert ("Plan", "Version", 3) in about


def test_plan_workbook_same_bytes(plan_book, analysis):
    plan, followup, data, _ = plan_book
    assert exports.plan_workbook_bytes(plan, followup, analysis.inputs.catalogue,
                                       created=CREATED) == data


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x.example\",\"klicka\")",
                                  "@SUM(A1)", "+1+1", "-1+1",
                                  "<img src=x onerror=alert(1)>", "{{ 7*7 }}"])
def test_plan_text_never_becomes_a_formula(analysis, text):
    from plan_fixtures import demo_plan

    plan = demo_plan(text)
    data = exports.plan_workbook_bytes(plan, plan_followup(analysis, plan),
                                       analysis.inputs.catalogue, created=CREATED)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for entry in z.namelist():
            if entry.startswith("xl/worksheets/"):
                assert not FORMULA.search(z.read(entry)), entry
    wb = openpyxl.load_workbook(io.BytesIO(data))
    as_json = json.dumps(text)[1:-1]              # in the audit trail's JSON
    cells = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and (text in c.value or as_json in c.value)]
    # Om planen: name, description; Plan – områden: area name, reason; Plan – mål: the area
    # name twice, four notes; Plan – insatser: area name, title, actor, note; Uppföljning:
    # the area name twice; Historik: the action's "after"
    assert len(cells) == 2 + 2 + 6 + 4 + 2 + 1
    for cell in cells:
        assert cell.data_type == "s"
        assert cell.quotePrefix == cell.value.startswith(("=", "+", "-", "@"))


def test_analysis_workbook_with_a_plan_has_both(analysis):
    from plan_fixtures import demo_plan

    data = exports.excel_bytes(analysis, created=CREATED, plan=demo_plan())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == SHEETS + (REC_SHEETS if analysis.assessment else []) + PLAN_SHEETS
    assert [r[0] for r in rows(wb["Plan – mål"])[1:]] == ["0126R001", "0126R001", "0126R002",
                                                          "0126R003"]
