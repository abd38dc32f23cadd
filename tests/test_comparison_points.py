"""Point layers (schools, fritidsgårdar, ...) as comparison columns and as a map layer.

Points on the 3x3 grid of ``geo_fixtures`` (SWEREF 99 TM, x from 600 000, y from 6 560 000,
A1 south-west, A9 north-east)::

    Skola A   600 500, 6 560 500   inside A1               andel 80
    Skola B   601 500, 6 561 500   inside A5               andel 90,5
    Skola C   601 000, 6 560 500   on the border A1 | A2   andel 70    -> A1
    Skola F   610 000, 6 570 000   outside every area      andel 50
    Skola G   602 500, 6 562 500   inside A9               no value

Counts: A1 2, A5 1, A9 1, the rest 0. Means: A1 75, A5 90,5; A9 (a point without a value)
and the areas without points have none.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from geo_fixtures import GRID_IDS, grid_frame
from map_pages import page_data
from pyproj import Transformer
from test_maps import geojson_layers, shown

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.export.tables import ranking_csv, ranking_table
from geo.export.views import comparison_lines
from geo.inputs import Inputs
from geo.io.areas import Areas, areas_from_frame
from geo.io.files import SourceInfo
from geo.io.points import points_from_table
from geo.maps.analysis_map import build_analysis_map
from geo.maps.choropleth import render_map_html
from geo.maps.mapview import CONTEXT_LAYER, escape_text
from geo.spatial.comparisons import (
    POLICE_LEVEL,
    Comparisons,
    PointLayer,
    compare_areas,
    count_column,
    load_comparisons,
    mean_column,
    read_point_layer,
)
from indicators.errors import PointFileError

CREATED = dt.date(2026, 1, 31)
POINTS = {"Skola A": (600_500, 6_560_500, "80"), "Skola B": (601_500, 6_561_500, "90,5"),
          "Skola C": (601_000, 6_560_500, "70"), "Skola F": (610_000, 6_570_000, "50"),
          "Skola G": (602_500, 6_562_500, "")}
COUNT = count_column("Skolor")
MEAN = mean_column("Skolor", "andel")
EVIL = ("<img src=x onerror=alert(1)>", "{{ 7*7 }}")


def write_csv(tmp_path: Path, rows: dict = POINTS, name: str = "skolor.csv") -> Path:
    path = tmp_path / name
    path.write_text("namn;x;y;andel\n" + "".join(
        f"{n};{x};{y};{v}\n" for n, (x, y, v) in rows.items()), encoding="utf-8")
    return path


@pytest.fixture
def areas() -> Areas:
    return areas_from_frame(grid_frame(), SourceInfo("Rutnät", "test", "2025-01-01"))


@pytest.fixture
def skolor(tmp_path: Path) -> PointLayer:
    path = write_csv(tmp_path)
    path.with_name("skolor.csv.meta.toml").write_text(
        'title = "Skolenheter 2024"\nsource = "Skolverket"\ndate = "2024-09-01"\n',
        encoding="utf-8")
    return read_point_layer(path, "Skolor", value_column="andel")


@pytest.fixture
def inputs(grid_table, grid_catalogue) -> Inputs:
    areas = areas_from_frame(grid_frame(), SourceInfo("Rutnät", "test", "2025-01-01"))
    return Inputs(areas=areas, table=grid_table,
                           table_source=SourceInfo("Indikatorer", "test", "2025-01-02"),
                           table_name="tabell.csv", catalogue=grid_catalogue)


def point_layers(html: str) -> list[dict]:
    return [g for g in geojson_layers(html)
            if (g["features"][0]["geometry"] or {}).get("type") == "Point"]


def layer_control(html: str) -> list[str]:
    block = html[html.index("overlays :"):]
    block = block[:block.index("}")]
    return [json.loads(f'"{n}"') for n in re.findall(r'"((?:[^"\\]|\\.)*)" : geo_json_', block)]


# -- columns, notes, sources -------------------------------------------------------------
def test_counts_and_means_per_area(areas, skolor):
    result = compare_areas(areas, Comparisons(points=(skolor,)))
    cols = result.columns
    assert cols.index.tolist() == GRID_IDS
    assert cols.columns.tolist() == [COUNT, MEAN] == ["Antal: Skolor", "Medel: Skolor (andel)"]
    assert cols[COUNT].dtype == np.int64
    assert cols[COUNT].tolist() == [2, 0, 0, 0, 1, 0, 0, 0, 1]
    assert cols[MEAN].iloc[[0, 4]].tolist() == [75.0, 90.5]
    # Never 0 for a missing mean: A9 has a point without value, the rest have no points.
    assert cols[MEAN].drop(index=["A1", "A5"]).isna().all()


def test_every_point_not_counted_is_in_the_notes(areas, skolor):
    result = compare_areas(areas, Comparisons(points=(skolor,)))
    assert result.notes == (
        "Skolor: koordinaterna i 'x'/'y' tolkades som EPSG:3006 (SWEREF 99 TM) utifrån "
        "värdena (x 600500–610000, y 6560500–6570000).",
        "Medel: Skolor (andel): medelvärdet av 'andel' för punkterna i området; tomt där "
        "området saknar punkter med värde.",
        "Skolor: 1 av 5 punkter ligger utanför alla områden och räknas inte: Skola F.",
        "Skolor: 1 punkt på gränsen mellan områden räknades till det område som kommer först "
        "i områdestabellen: Skola C.",
        "Skolor: 1 punkt saknar värde och ingår inte i medelvärdet: Skola G.")
    assert [(role, s.label()) for role, s in result.sources] == [
        ("Skolor", "Skolenheter 2024, Skolverket, datum 2024-09-01")]


def test_count_only_layer_and_tooltip_details(areas, tmp_path):
    layer = read_point_layer(write_csv(tmp_path, name="fritidsgardar_2024.csv"))
    assert layer.name == "Fritidsgardar 2024"          # from the file name
    assert layer.source.title == "fritidsgardar_2024.csv" and layer.value_column is None
    result = compare_areas(areas, Comparisons(points=(layer,)))
    assert result.columns.columns.tolist() == ["Antal: Fritidsgardar 2024"]
    assert not any("saknar värde" in n for n in result.notes)
    assert "Fritidsgardar 2024: 1 av 5 punkter ligger utanför alla områden och räknas inte: " \
           "Skola F." in result.notes
    details = result.tooltip_details()
    assert details["Fritidsgardar 2024"].tolist() == ["2", "0", "0", "0", "1", "0", "0", "0",
                                                      "1"]


def test_tooltip_details_show_the_mean_only_where_there_is_one(areas, skolor):
    details = compare_areas(areas, Comparisons(points=(skolor,))).tooltip_details()
    assert details.columns.tolist() == ["Skolor", "Skolor (andel)"]
    assert details.loc["A1"].tolist() == ["2", "medel 75"]
    assert details.loc["A5"].tolist() == ["1", "medel 90,5"]
    assert details.loc["A9"].tolist() == ["1", ""]


def test_two_layers_keep_their_order_and_colours(areas, skolor, tmp_path):
    other = read_point_layer(write_csv(tmp_path, {"G": (600_100, 6_560_100, "")}, "g.csv"),
                             "Fritidsgårdar")
    result = compare_areas(areas, Comparisons(points=(skolor, other)))
    assert result.columns.columns.tolist() == [COUNT, MEAN, "Antal: Fritidsgårdar"]
    assert [o.name for o in result.overlays] == ["Skolor", "Fritidsgårdar"]
    assert len({o.colour for o in result.overlays}) == 2
    with pytest.raises(PointFileError, match="flera punktlager har samma namn. Värden: "
                                             "'Skolor'"):
        compare_areas(areas, Comparisons(points=(skolor, replace(other, name="Skolor"))))


def test_layer_errors(tmp_path):
    path = write_csv(tmp_path)
    with pytest.raises(PointFileError, match=re.escape(
            "fil 'skolor.csv', kolumn 'elever': kolumnen finns inte i punktfilen. Värden: "
            "'namn', 'andel'.")):
        read_point_layer(path, "Skolor", value_column="elever")
    with pytest.raises(PointFileError, match="punktlagret saknar namn"):
        read_point_layer(path, " ")
    with pytest.raises(PointFileError, match="finns inte"):
        read_point_layer(tmp_path / "saknas.csv")


def test_point_layers_make_comparisons_true():
    assert not Comparisons()
    layer = PointLayer("P", points_from_table(pd.DataFrame({"x": ["600500"],
                                                            "y": ["6560500"]})),
                       SourceInfo("P", "test", "2025-01-01"))
    assert Comparisons(points=(layer,))
    assert load_comparisons(points=[layer]).points == (layer,)


# -- CSV formats ---------------------------------------------------------------------------
def _wgs84(name: str) -> tuple[str, str]:
    lon, lat = Transformer.from_crs(3006, 4326, always_xy=True).transform(*POINTS[name][:2])
    return f"{lon:.9f}".replace(".", ","), f"{lat:.9f}".replace(".", ",")


@pytest.mark.parametrize("variant", ["semicolon_sweref", "comma_wgs84", "tab_en"])
def test_csv_formats_give_the_same_counts_and_means(areas, tmp_path, variant):
    # Interior points only: a WGS 84 round trip may move a border point off the border.
    names = ("Skola A", "Skola B", "Skola F", "Skola G")
    path = tmp_path / "punkter.csv"
    if variant == "semicolon_sweref":          # decimal comma in the values
        text = "Namn;X;Y;Andel\n" + "".join(
            f"{n};{POINTS[n][0]};{POINTS[n][1]};{POINTS[n][2]}\n" for n in names)
    elif variant == "comma_wgs84":             # quoted decimal commas in coordinates too
        text = "namn,longitud,latitud,Andel\n" + "".join(
            '{},"{}","{}","{}"\n'.format(n, *_wgs84(n), POINTS[n][2]) for n in names)
    else:                                      # tab, E/N with decimals, BOM
        text = "\ufeffnamn\tE\tN\tAndel\n" + "".join(
            f"{n}\t{POINTS[n][0]},0\t{POINTS[n][1]},00\t{POINTS[n][2]}\n" for n in names)
    path.write_text(text, encoding="utf-8")
    layer = read_point_layer(path, "Skolor", value_column="Andel")
    cols = compare_areas(areas, Comparisons(points=(layer,))).columns
    assert cols["Antal: Skolor"].tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert cols["Medel: Skolor (Andel)"].iloc[[0, 4]].tolist() == [80.0, 90.5]
    assert cols["Medel: Skolor (Andel)"].isna().sum() == 7
    crs = "EPSG:4326" if variant == "comma_wgs84" else "EPSG:3006"
    assert f"tolkades som {crs}" in layer.points.notes[0]


# -- pipeline: table, CSV, map -------------------------------------------------------------
def test_point_layers_never_change_the_ranking(inputs, grid_settings, skolor):
    plain = run_analysis(inputs, grid_settings)
    compared = run_analysis(inputs, grid_settings, Comparisons(points=(skolor,)))
    pd.testing.assert_series_equal(plain.result.score, compared.result.score)
    pd.testing.assert_frame_equal(plain.result.domain_scores, compared.result.domain_scores)
    before, after = ranking_table(plain), ranking_table(compared)
    pd.testing.assert_frame_equal(before, after.drop(columns=[COUNT, MEAN]))
    assert after.columns.tolist()[-3:] == [COUNT, MEAN, "Datakälla"]
    assert [role for role, _ in compared.source_roles()] == ["Områden", "Indikatorer",
                                                             "Skolor"]


def test_csv_has_counts_and_empty_means(inputs, grid_settings, skolor):
    analysis = run_analysis(inputs, grid_settings, Comparisons(points=(skolor,)))
    csv = pd.read_csv(io.BytesIO(ranking_csv(analysis)), sep=";", decimal=",",
                      encoding="utf-8-sig", keep_default_na=False).set_index("Områdeskod")
    assert csv.loc[GRID_IDS, COUNT].tolist() == [2, 0, 0, 0, 1, 0, 0, 0, 1]
    assert csv.loc["A5", MEAN] == "90,5"     # decimal comma; missing means stay empty
    assert csv.loc["A9", MEAN] == "" and csv.loc["A2", MEAN] == ""


def test_map_shows_the_counted_points(inputs, grid_settings, skolor):
    analysis = run_analysis(inputs, grid_settings, Comparisons(points=(skolor,)))
    html = render_map_html(build_analysis_map(analysis, created=CREATED))
    (layer,) = point_layers(html)
    assert len(layer["features"]) == 4 == analysis.comparison.columns[COUNT].sum()
    labels = [shown(f["properties"]["label"]) for f in layer["features"]]
    assert labels == [("Skola ASkolorandel: 80", ["b", "br", "br"]),
                      ("Skola BSkolorandel: 90,5", ["b", "br", "br"]),
                      ("Skola CSkolorandel: 70", ["b", "br", "br"]),
                      ("Skola GSkolor", ["b", "br"])]
    assert "Skola F" not in labels.__repr__()
    assert html.count("L.circleMarker(latlng") == 1
    (drawn_as,) = [o for o in page_data(html)[0]["overlays"] if o["points"]]
    assert drawn_as["colour"] == "#1b7837" and "{radius: 5}" in html
    # "Osäker placering" when some area's interval straddles k: with the Jeffreys data
    # noise (issue 16) one of the grid's areas does.
    unsure = ["Osäker placering"] if analysis.assessment.uncertain().any() else []
    assert layer_control(html) == [CONTEXT_LAYER, "Kommungräns", "Sammanvägt behov",
                                   "Områdesnamn", *unsure, "Skolor"]
    drawn = re.findall(r"(geo_json_\w+)\.addTo\(", html)
    assert len(drawn) == 5 + len(unsure)   # surroundings, borders, areas, names, points
    legend = html[html.index('<div class="pm-panel pm-legend">'):]
    assert 'border-radius:50%' in legend[:legend.index("</div></div>")]
    assert "</i>Skolor</div>" in legend[:legend.index("</div></div>")]
    # The area tooltips carry the count and the mean.
    tips = {f["properties"]["idx"]: shown(f["properties"]["tooltip"])[0]
            for g in geojson_layers(html) for f in g["features"] if "tooltip" in f["properties"]}
    assert tips[0].endswith("Skolor: 2Skolor (andel): medel 75")
    assert tips[8].endswith("Skolor: 1")
    assert "Skolor: 0" in tips[1] and "medel" not in tips[1]
    # The notes reach the map's "Om data".
    assert "Skolor: 1 av 5 punkter ligger utanför alla områden och räknas inte: Skola F." \
        in shown(html)[0]


def test_same_analysis_renders_byte_identical(inputs, grid_settings, skolor):
    analysis = run_analysis(inputs, grid_settings, Comparisons(points=(skolor,)))
    first = map_html(analysis, created=CREATED)
    assert map_html(analysis, created=CREATED) == first
    again = run_analysis(inputs, grid_settings, Comparisons(points=(skolor,)))
    assert map_html(again, created=CREATED) == first


def test_no_points_inside_means_no_map_layer(areas, tmp_path):
    layer = read_point_layer(write_csv(tmp_path, {"F": POINTS["Skola F"]}), "Skolor")
    result = compare_areas(areas, Comparisons(points=(layer,)))
    assert result.overlays == ()
    assert result.columns[COUNT].tolist() == [0] * 9


@pytest.mark.parametrize("evil", EVIL)
def test_names_from_files_show_literally(inputs, grid_settings, tmp_path, evil):
    rows = {evil: POINTS["Skola A"], "Skola B": POINTS["Skola B"]}
    path = tmp_path / "evil.csv"
    path.write_text(f"namn;x;y;{evil}\n" + "".join(
        f"{n};{x};{y};{v}\n" for n, (x, y, v) in rows.items()), encoding="utf-8")
    layer = read_point_layer(path, evil, value_column=evil)
    analysis = run_analysis(inputs, grid_settings, Comparisons(points=(layer,)))
    html = map_html(analysis, created=CREATED).decode()   # does not raise
    assert "<img src=x" not in html and "{{ 7*7 }}" not in html
    (points,) = point_layers(html)
    text, tags = shown(points["features"][0]["properties"]["label"])
    assert text == f"{evil}{evil}{evil}: 80"
    assert tags == ["b", "br", "br"] and "49" not in text
    assert layer_control(html)[-1] == escape_text(evil)      # Leaflet shows it as text
    legend = html[html.index('<div class="pm-panel pm-legend">'):]
    assert f"</i>{escape_text(evil)}</div>" in legend[:legend.index("</div></div>")]
    tips = [shown(f["properties"]["tooltip"])[0] for g in geojson_layers(html)
            for f in g["features"] if "tooltip" in f["properties"]]
    assert tips[0].endswith(f"{evil}: 1{evil} ({evil}): medel 80")
    assert all("49" not in t for t in tips)
    assert POLICE_LEVEL not in ranking_table(analysis).columns


def test_profile_lists_the_comparisons_the_compact_tooltip_leaves_out(inputs, grid_settings,
                                                                      skolor):
    """The app's hover tooltip is compact; a click opens the profile, which lists the
    comparisons' lines of the full tooltip (the count, and the mean where there is one)."""
    analysis = run_analysis(inputs, grid_settings, Comparisons(points=(skolor,)))
    details = analysis.comparison.tooltip_details()
    assert comparison_lines(analysis, "A5") == tuple(
        f"{label}: {details.loc['A5', label]}" for label in details.columns)
    assert any(line.startswith("Skolor") and "medel 90,5" in line
               for line in comparison_lines(analysis, "A5"))
    assert not any("medel" in line for line in comparison_lines(analysis, "A9"))
    assert comparison_lines(run_analysis(inputs, grid_settings), "A5") == ()
