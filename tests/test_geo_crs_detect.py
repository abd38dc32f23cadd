"""A file without a CRS: the CRS is read from the coordinate ranges, assumed with a note,
or refused."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
from geo_fixtures import BOX_AREA, GRID_IDS, grid_boxes, grid_frame, write_zipped_shapefile
from shapely import affinity

from geo.io.areas import detect_crs, read_areas
from indicators.errors import AreaFileError

SWEREF_NOTE = ("filen saknar koordinatsystem (CRS); EPSG:3006 (SWEREF 99 TM) antogs utifrån "
               "koordinaternas värden (x 600000–603000, y 6560000–6563000). Kontrollera att "
               "områdena hamnar rätt på kartan")


def write_parquet(frame: gpd.GeoDataFrame, directory: Path, name: str) -> Path:
    path = directory / name
    frame.to_parquet(path)
    return path


@pytest.mark.parametrize(("bounds", "expected"), [
    ((600_000, 6_560_000, 603_000, 6_563_000), "EPSG:3006"),
    ((200_000, 6_100_000, 1_000_000, 7_700_000), "EPSG:3006"),   # the range's own edges
    ((17.9, 59.2, 18.2, 59.3), "EPSG:4326"),
    ((10, 55, 25, 70), "EPSG:4326"),
    ((199_999, 6_560_000, 603_000, 6_563_000), None),            # x just below
    ((600_000, 6_560_000, 603_000, 7_700_001), None),            # y just above
    ((1_600_000, 6_560_000, 1_603_000, 6_563_000), None),        # RT 90 2.5 gon V
    ((6_560_000, 600_000, 6_563_000, 603_000), None),            # x and y swapped
    ((59.2, 17.9, 59.3, 18.2), None),                            # lat/lon swapped
    ((9.9, 59.2, 18.2, 59.3), None),
    ((600_000, 6_560_000, 603_000, 6_563_000.5 + 2e6), None),
])
def test_detect_crs_from_ranges(bounds: tuple[float, ...], expected: str | None) -> None:
    assert detect_crs(bounds) == expected


def test_sweref_without_crs_is_assumed_with_a_note(tmp_path: Path) -> None:
    areas = read_areas(write_parquet(grid_frame(crs=None), tmp_path, "utan_crs.parquet"))

    assert areas.frame.crs.to_epsg() == 3006
    assert areas.notes == (SWEREF_NOTE,)
    assert areas.frame["area_id"].tolist() == GRID_IDS
    assert areas.frame.area.tolist() == [BOX_AREA] * 9


def test_wgs84_without_crs_is_assumed_with_a_note(tmp_path: Path) -> None:
    wgs = grid_frame().to_crs(4326)
    lon0, lat0, lon1, lat1 = wgs.total_bounds
    path = write_parquet(wgs.set_crs(None, allow_override=True), tmp_path, "wgs.parquet")

    areas = read_areas(path)

    assert areas.frame.crs.to_epsg() == 4326
    assert areas.notes == (
        f"filen saknar koordinatsystem (CRS); EPSG:4326 (WGS 84, longitud/latitud) antogs "
        f"utifrån koordinaternas värden (x {lon0:.4g}–{lon1:.4g}, y {lat0:.4g}–{lat1:.4g}). "
        "Kontrollera att områdena hamnar rätt på kartan",)
    assert areas.frame.to_crs(3006).area.round(0).tolist() == [BOX_AREA] * 9


def test_shapefile_without_prj_is_assumed_too(tmp_path: Path) -> None:
    path = write_zipped_shapefile(grid_frame(), tmp_path / "utan_prj.zip", without=(".prj",))

    areas = read_areas(path)

    assert areas.frame.crs.to_epsg() == 3006
    assert areas.notes == (SWEREF_NOTE,)


def test_the_crs_note_comes_before_other_notes(tmp_path: Path) -> None:
    areas = read_areas(write_parquet(grid_frame("regsokod", None, crs=None), tmp_path,
                                     "utan_namn.parquet"))

    assert areas.notes == (SWEREF_NOTE,
                           "ingen namnkolumn hittades; områdeskoden visas som namn")


def test_coordinates_outside_both_ranges_are_refused(tmp_path: Path) -> None:
    rt90 = grid_frame(crs=None)
    rt90["geometry"] = [affinity.translate(g, xoff=1_000_000) for g in grid_boxes()]
    path = write_parquet(rt90, tmp_path, "rt90.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "Fel i områdesfilen: fil 'rt90.parquet': filen saknar koordinatsystem (CRS), och "
            "koordinaterna ligger varken inom SWEREF 99 TM:s eller WGS 84:s intervall för "
            "Sverige. Värden: 'x 1600000–1603000', 'y 6560000–6563000'. Förväntat: ett angivet "
            "CRS, t.ex. EPSG:3006 (SWEREF 99 TM). Åtgärd: spara om filen med CRS i "
            "GIS-programmet, eller sätt det med geopandas set_crs(...) om du vet vilket det "
            "är.")):
        read_areas(path)


def test_one_stray_area_outside_the_range_refuses_the_file(tmp_path: Path) -> None:
    frame = grid_frame(crs=None)
    frame.loc[8, "geometry"] = affinity.translate(frame.geometry[8], yoff=2_000_000)

    with pytest.raises(AreaFileError, match=re.escape("Värden: 'x 600000–603000', "
                                                      "'y 6560000–8563000'.")):
        read_areas(write_parquet(frame, tmp_path, "utspridd.parquet"))


def test_a_recorded_crs_is_never_second_guessed(tmp_path: Path) -> None:
    """A recorded CRS is used as recorded: RT 90 coordinates in RT 90 are read as they are,
    with no note; SWEREF coordinates recorded as RT 90 are not reinterpreted, and as they
    land outside Sweden (x −353 km in SWEREF) the file is refused with the CRS and the fix."""
    rt90 = grid_frame().to_crs("EPSG:3021")
    areas = read_areas(write_parquet(rt90, tmp_path, "rt90.parquet"))
    assert areas.frame.crs.to_epsg() == 3021
    assert areas.notes == ()

    path = write_parquet(grid_frame(crs="EPSG:3021"), tmp_path, "fel_crs.parquet")
    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'fel_crs.parquet': områdena hamnar utanför Sverige med filens "
            "koordinatsystem EPSG:3021: i SWEREF 99 TM x -353129–-350097, y 6547389–6550421.")
            + ".*"
            + re.escape("Åtgärd: kontrollera filens koordinatsystem (CRS)")):
        read_areas(path)


def _geojson_without_crs(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """``frame``'s coordinates as they are, in a GeoJSON without a "crs" member (which
    RFC 7946, and so GDAL, reads as WGS 84 degrees)."""
    import json

    data = json.loads(frame.to_json())
    data.pop("crs", None)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_sweref_geojson_without_crs_is_not_read_as_degrees(tmp_path, capsys):
    from geo.cli import main
    from geo.inputs import DEFAULT_AREAS

    bundled = read_areas(DEFAULT_AREAS).frame.to_crs(3006)
    path = _geojson_without_crs(bundled, tmp_path / "regso_sweref.geojson")
    areas = read_areas(path)
    assert areas.frame.crs.to_epsg() == 3006
    assert areas.frame.total_bounds == pytest.approx(bundled.total_bounds)
    assert [n.split(";")[0] for n in areas.notes] == [
        "filen anger longitud/latitud i grader (som en GeoJSON utan crs), men koordinaterna "
        "kan inte vara grader"]
    # through what the user touches: the map is drawn where Huddinge is, with the note
    assert main(["export", "--areas", str(path), "--out", str(tmp_path / "k.html")]) == 0
    assert "EPSG:3006 (SWEREF 99 TM) antogs" in capsys.readouterr().err
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    assert "Infinity" not in html and "EPSG:3006 (SWEREF 99 TM) antogs" in html


def test_coordinates_that_are_neither_degrees_nor_sweref_are_refused(tmp_path, capsys):
    from geo.cli import main

    frame = grid_frame().to_crs(3006)
    frame["geometry"] = frame.geometry.translate(5_000_000, 0)   # x beyond SWEREF's range
    path = _geojson_without_crs(frame, tmp_path / "fel.geojson")
    with pytest.raises(AreaFileError, match="koordinaterna kan inte vara grader"):
        read_areas(path)
    assert main(["export", "--areas", str(path), "--out", str(tmp_path / "k.html")]) == 2
    err = capsys.readouterr().err
    assert "koordinaterna kan inte vara grader" in err and "EPSG:3006" in err
    assert not (tmp_path / "k.html").exists()
