"""Point files and point counts and means per area on the 3x3 grid.

Points used below (SWEREF 99 TM; the grid starts at x 600 000, y 6 560 000)::

    Skola A   600 500, 6 560 500   inside A1
    Skola B   601 500, 6 561 500   inside A5
    Skola C   601 000, 6 560 500   on the border A1 | A2        -> A1 (first in the table)
    Skola D   601 000, 6 561 000   on the corner of A1 A2 A4 A5 -> A1
    Skola E   600 000, 6 560 500   on the outer border of A1     -> A1
    Skola F   610 000, 6 570 000   outside every area
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geo_fixtures import GRID_IDS, grid_frame
from pyproj import Transformer
from shapely.geometry import Point, box

from geo.io.areas import areas_from_frame
from geo.io.files import SourceInfo
from geo.io.points import (
    PointReport,
    count_points_in_areas,
    mean_in_areas,
    points_from_table,
    read_points,
)
from indicators.columns import AREA_ID
from indicators.errors import PointFileError

XY = {"Skola A": (600_500, 6_560_500), "Skola B": (601_500, 6_561_500),
      "Skola C": (601_000, 6_560_500), "Skola D": (601_000, 6_561_000),
      "Skola E": (600_000, 6_560_500), "Skola F": (610_000, 6_570_000)}
TYPES = ["Grundskola", "Gymnasium", "Grundskola", "Grundskola", "Fritidsgård", "Grundskola"]
VALUES = ["80", "90,5", "70", "", "60", "50"]


@pytest.fixture
def areas():
    return areas_from_frame(grid_frame(), SourceInfo("Rutnät", "test", "2025-01-01"))


def sweref_csv(tmp_path: Path, sep: str = ";", x: str = "x", y: str = "y") -> Path:
    lines = [sep.join(["namn", "typ", x, y, "andel"])]
    for (name, (px, py)), typ, value in zip(XY.items(), TYPES, VALUES, strict=True):
        cell = f'"{value}"' if sep == "," and "," in value else value
        lines.append(sep.join([name, typ, str(px), str(py), cell]))
    path = tmp_path / "skolor.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sweref_csv_with_decimal_comma(tmp_path: Path, areas) -> None:
    points = read_points(sweref_csv(tmp_path))

    assert len(points) == 6
    assert points.frame.crs.to_epsg() == 3006
    assert [(p.x, p.y) for p in points.frame.geometry] == list(XY.values())
    assert points.frame["source_row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert points.notes == ("koordinaterna i 'x'/'y' tolkades som EPSG:3006 (SWEREF 99 TM) "
                            "utifrån värdena (x 600000–610000, y 6560500–6570000)",)
    assert points.labels().tolist() == list(XY)


def test_count_per_area_with_border_rule_and_outside_report(tmp_path: Path, areas) -> None:
    counts, report = count_points_in_areas(areas, read_points(sweref_csv(tmp_path)))

    assert counts.columns.tolist() == [AREA_ID, "count"]
    assert counts[AREA_ID].tolist() == GRID_IDS
    assert counts["count"].tolist() == [4, 0, 0, 0, 1, 0, 0, 0, 0]
    assert report == PointReport(total=6, outside=("Skola F",),
                                 on_shared_border=("Skola C", "Skola D"))
    assert report.messages() == [
        "1 av 6 punkter ligger utanför alla områden och räknas inte: Skola F.",
        "2 punkter på gränsen mellan områden räknades till det område som kommer först i "
        "områdestabellen: Skola C, Skola D."]


def test_border_points_follow_the_area_order(tmp_path: Path) -> None:
    reversed_grid = grid_frame().iloc[::-1]
    areas = areas_from_frame(reversed_grid, SourceInfo("Rutnät", "test", "2025-01-01"))

    counts, _ = count_points_in_areas(areas, read_points(sweref_csv(tmp_path)))

    # Now A5 precedes A4, A2 and A1: the corner point D goes to A5, the edge point C to A2.
    assert dict(zip(counts[AREA_ID], counts["count"], strict=True)) == {
        "A9": 0, "A8": 0, "A7": 0, "A6": 0, "A5": 2, "A4": 0, "A3": 0, "A2": 1, "A1": 2}


def test_count_by_category(tmp_path: Path, areas) -> None:
    counts, _ = count_points_in_areas(areas, read_points(sweref_csv(tmp_path)), by="typ")

    assert counts.columns.tolist() == [AREA_ID, "Fritidsgård", "Grundskola", "Gymnasium",
                                       "count"]
    assert counts.iloc[0].tolist() == ["A1", 1, 3, 0, 4]
    assert counts.iloc[4].tolist() == ["A5", 0, 0, 1, 1]
    assert counts.drop(index=[0, 4])[["Fritidsgård", "Grundskola", "Gymnasium", "count"]] \
        .to_numpy().sum() == 0


def test_mean_per_area(tmp_path: Path, areas) -> None:
    means, report = mean_in_areas(areas, read_points(sweref_csv(tmp_path)), "andel")

    assert means.columns.tolist() == [AREA_ID, "mean", "n_values"]
    assert means["mean"].iloc[0] == pytest.approx((80 + 70 + 60) / 3)
    assert means["mean"].iloc[4] == 90.5
    assert means["mean"].drop(index=[0, 4]).isna().all()
    assert means["n_values"].tolist() == [3, 0, 0, 0, 1, 0, 0, 0, 0]
    assert report.outside == ("Skola F",)
    assert report.without_value == ("Skola D",)
    assert report.messages()[-1] == ("1 punkt saknar värde och ingår inte i medelvärdet: "
                                     "Skola D.")


def test_wgs84_csv_with_comma_separator_and_quoted_decimal_commas(tmp_path: Path,
                                                                   areas) -> None:
    to_wgs = Transformer.from_crs(3006, 4326, always_xy=True)
    rows = ["Namn,Longitud,Latitud"]
    for name in ("Skola A", "Skola B", "Skola F"):
        lon, lat = to_wgs.transform(*XY[name])
        lon_text = f"{lon:.9f}".replace(".", ",")  # decimal comma, quoted
        rows.append(f'{name},"{lon_text}",{lat:.9f}')
    path = tmp_path / "skolor_wgs84.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    points = read_points(path)
    counts, report = count_points_in_areas(areas, points)

    assert points.notes[0].startswith("koordinaterna i 'Longitud'/'Latitud' tolkades som "
                                      "EPSG:4326 (WGS 84, longitud/latitud) utifrån värdena")
    assert np.allclose([(p.x, p.y) for p in points.frame.geometry],
                       [XY["Skola A"], XY["Skola B"], XY["Skola F"]], atol=0.01)
    assert counts["count"].tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 0]
    assert report.outside == ("Skola F",)


@pytest.mark.parametrize(("x", "y"), [("lon", "lat"), ("E", "N"), ("X", "Y"),
                                      ("easting", "northing")])
def test_coordinate_column_names(tmp_path: Path, x: str, y: str) -> None:
    points = read_points(sweref_csv(tmp_path, x=x, y=y))

    assert points.frame.geometry.iloc[0] == Point(600_500, 6_560_500)


def test_geojson_points(tmp_path: Path, areas) -> None:
    # Only interior points: a reprojection round trip moves border points off the border.
    frame = gpd.GeoDataFrame({"namn": ["Skola A", "Skola B", "Skola F", "Skola G"],
                              "andel": [80, 90.5, 50, None]},
                             geometry=[Point(*XY["Skola A"]), Point(*XY["Skola B"]),
                                       Point(*XY["Skola F"]), Point(601_600, 6_561_600)],
                             crs=3006)
    path = tmp_path / "skolor.geojson"
    frame.to_crs(4326).to_file(path, driver="GeoJSON")

    points = read_points(path)
    means, report = mean_in_areas(areas, points, "andel")

    assert points.frame.crs.to_epsg() == 3006
    assert points.notes == ()
    assert means["n_values"].tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 0]
    assert means["mean"].iloc[[0, 4]].tolist() == [80.0, 90.5]
    assert report == PointReport(total=4, outside=("Skola F",), without_value=("Skola G",))


def test_a_geodataframe_of_points_is_accepted(areas) -> None:
    frame = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[Point(600_500, 6_560_500),
                                                       Point(0, 0)], crs=3006)

    counts, report = count_points_in_areas(areas, frame)

    assert counts["count"].sum() == 1
    assert report.outside == ("rad 2",)


# -- errors ------------------------------------------------------------------------------

def test_no_coordinate_columns(tmp_path: Path) -> None:
    path = tmp_path / "utan.csv"
    path.write_text("namn;adress\nSkola A;Storgatan 1\n", encoding="utf-8")

    with pytest.raises(PointFileError, match=re.escape(
            "Fel i punktfilen: fil 'utan.csv': hittar inga koordinatkolumner. Värden: 'namn', "
            "'adress'. Förväntat: ett par som lon/lat, longitud/latitud, x/y eller E/N. "
            "Åtgärd: byt namn på kolumnerna eller ange x_column och y_column.")):
        read_points(path)


def test_unparseable_and_empty_coordinates_are_raised_together(tmp_path: Path) -> None:
    path = tmp_path / "fel.csv"
    path.write_text("namn;x;y\nA;600500;6560500\nB;60O500;6560500\nC;;6560500\n",
                    encoding="utf-8")

    with pytest.raises(PointFileError, match=r"^Fel i punktfilen: 2 problem\.\n") as err:
        read_points(path)

    assert str(err.value) == (
        "Fel i punktfilen: 2 problem.\n"
        "1. fil 'fel.csv', kolumn 'x': värden som inte är tal. Värden: 'rad 3: 60O500'. "
        "Förväntat: tal med decimalpunkt eller decimalkomma, t.ex. 59,2371. Åtgärd: rätta "
        "värdena i filen.\n"
        "2. fil 'fel.csv', kolumn 'x': tomma koordinater på rad. Värden: 4. Åtgärd: fyll i "
        "koordinaten eller ta bort raden.")


def test_coordinates_outside_both_ranges(tmp_path: Path) -> None:
    path = tmp_path / "rt90.csv"
    path.write_text("namn;x;y\nA;1600000;6560000\n", encoding="utf-8")

    with pytest.raises(PointFileError, match=re.escape(
            "fil 'rt90.csv', kolumn 'x/y': koordinaterna ligger varken inom WGS 84:s eller "
            "SWEREF 99 TM:s intervall för Sverige. Värden: 'x 1600000–1600000', "
            "'y 6560000–6560000'.")):
        read_points(path)


def test_swapped_columns_are_pointed_out(tmp_path: Path) -> None:
    path = tmp_path / "bytt.csv"
    path.write_text("namn;x;y\nA;6560500;600500\n", encoding="utf-8")

    with pytest.raises(PointFileError, match=re.escape(
            "Åtgärd: kolumnerna verkar förväxlade; byt plats på 'x' och 'y'.")):
        read_points(path)


def test_explicit_crs_skips_detection(tmp_path: Path) -> None:
    points = points_from_table(pd.DataFrame({"a": ["674032"], "b": ["6571000"]}),
                               x_column="a", y_column="b", crs=3006)

    assert points.notes == ()
    assert points.frame.geometry.iloc[0] == Point(674_032, 6_571_000)


def test_geojson_with_polygons_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ytor.geojson"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3006).to_crs(4326).to_file(path)

    with pytest.raises(PointFileError, match=re.escape(
            "fil 'ytor.geojson', kolumn 'geometry': geometrier som inte är punkter. Värden: "
            "'objekt 1 (Polygon)'. Förväntat: Point.")):
        read_points(path)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(PointFileError, match=r"filen '.*saknas\.csv' finns inte"):
        read_points(tmp_path / "saknas.csv")
    (tmp_path / "punkter.xlsx").write_bytes(b"")
    with pytest.raises(PointFileError, match=re.escape(
            "fil 'punkter.xlsx': okänt filformat '.xlsx'. Förväntat: CSV med koordinatkolumner")):
        read_points(tmp_path / "punkter.xlsx")


def test_unknown_value_and_by_columns(tmp_path: Path, areas) -> None:
    points = read_points(sweref_csv(tmp_path))

    with pytest.raises(PointFileError, match=re.escape(
            "fil 'skolor.csv', kolumn 'elever': kolumnen finns inte i punktfilen. Värden: "
            "'namn', 'typ', 'andel'.")):
        mean_in_areas(areas, points, "elever")
    with pytest.raises(PointFileError, match=re.escape(
            "fil 'skolor.csv', kolumn 'kategori': kolumnen finns inte i punktfilen.")):
        count_points_in_areas(areas, points, by="kategori")


def test_non_numeric_values_for_the_mean(tmp_path: Path, areas) -> None:
    path = tmp_path / "varden.csv"
    path.write_text("namn;x;y;andel\nA;600500;6560500;hög\n", encoding="utf-8")

    with pytest.raises(PointFileError, match=re.escape(
            "fil 'varden.csv', kolumn 'andel': värden som inte är tal. Värden: 'rad 2: hög'.")):
        mean_in_areas(areas, read_points(path), "andel")


def test_report_json_round_trip_is_plain_data(tmp_path: Path, areas) -> None:
    _, report = count_points_in_areas(areas, read_points(sweref_csv(tmp_path)))

    assert json.loads(json.dumps(report.__dict__)) == {
        "total": 6, "outside": ["Skola F"], "on_shared_border": ["Skola C", "Skola D"],
        "without_value": []}
