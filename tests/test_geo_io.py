"""Reading and validating area files: formats, column detection, every error, repairs."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from geo_fixtures import (
    BOX_AREA,
    GRID_IDS,
    GRID_NAMES,
    bow_tie,
    grid_boxes,
    grid_frame,
    write_all_formats,
    write_zipped_shapefile,
)
from shapely.geometry import LineString, Point, Polygon

from geo.io.areas import Areas, Repair, read_areas, validate_areas
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, PrevmapError

NO_NAME_NOTE = "ingen namnkolumn hittades; områdeskoden visas som namn"


def write_parquet(frame: gpd.GeoDataFrame, directory: Path, name: str) -> Path:
    """GeoParquet keeps everything as given (no CRS, None geometry, mixed types, bad rings)."""
    path = directory / name
    frame.to_parquet(path)
    return path


# -- formats -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def grid_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_all_formats(grid_frame(), tmp_path_factory.mktemp("grid"))


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "parquet", "zip"])
def test_every_format_reads_the_same_grid(grid_files: dict[str, Path], fmt: str) -> None:
    areas = read_areas(grid_files[fmt])

    assert isinstance(areas, Areas)
    assert len(areas) == 9
    assert list(areas.frame.columns) == [AREA_ID, AREA_NAME, "geometry"]
    assert areas.frame[AREA_ID].tolist() == GRID_IDS
    assert areas.frame[AREA_NAME].tolist() == GRID_NAMES
    assert areas.frame.area.tolist() == [BOX_AREA] * 9
    assert areas.frame.crs.to_epsg() == 3006
    assert areas.frame.geometry.geom_equals(gpd.GeoSeries(grid_boxes(), crs=3006)).all()
    assert areas.repairs == ()
    assert areas.notes == ()
    # Without a sidecar .meta.toml the file name is the title.
    assert areas.source.title == grid_files[fmt].name


def test_upper_case_suffix_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "GRID.GPKG"
    grid_frame().to_file(path, driver="GPKG")

    assert read_areas(path).frame[AREA_ID].tolist() == GRID_IDS


def test_sidecar_metadata_is_the_source(tmp_path: Path) -> None:
    path = write_parquet(grid_frame(), tmp_path, "grid.parquet")
    (tmp_path / "grid.parquet.meta.toml").write_text(
        'title = "Rutnät"\nsource = "Testkälla"\ndate = "2025-01-01"\n', encoding="utf-8")

    source = read_areas(path).source

    assert (source.title, source.source, source.date) == ("Rutnät", "Testkälla", "2025-01-01")


# -- id and name columns -----------------------------------------------------------------

@pytest.mark.parametrize(("id_col", "name_col"), [
    ("regsokod", "regsonamn"),
    ("RegSOkod", "RegSOnamn"),   # case does not matter
    ("desokod", "desonamn"),
    ("kommundelskod", "kommundel"),
    ("kod", "namn"),
    ("id", "name"),
])
def test_id_and_name_columns_are_detected(tmp_path: Path, id_col: str, name_col: str) -> None:
    frame = grid_frame(id_col, name_col).assign(kommunkod="0126", objekttyp="RegSO")
    areas = read_areas(write_parquet(frame, tmp_path, "grid.parquet"))

    assert areas.frame[AREA_ID].tolist() == GRID_IDS
    assert areas.frame[AREA_NAME].tolist() == GRID_NAMES
    assert areas.notes == ()


def test_regsokod_wins_over_a_generic_kod_column(tmp_path: Path) -> None:
    frame = grid_frame("regsokod", "regsonamn").assign(kod=[f"X{i}" for i in range(9)])

    areas = read_areas(write_parquet(frame, tmp_path, "grid.parquet"))

    assert areas.frame[AREA_ID].tolist() == GRID_IDS


def test_explicit_columns_are_used(tmp_path: Path) -> None:
    frame = grid_frame("objekt", "beteckning").assign(
        area_id=[f"X{i}" for i in range(9)], area_name=[f"Fel {i}" for i in range(9)])
    path = write_parquet(frame, tmp_path, "grid.parquet")

    areas = read_areas(path, id_column="objekt", name_column="beteckning")

    assert areas.frame[AREA_ID].tolist() == GRID_IDS
    assert areas.frame[AREA_NAME].tolist() == GRID_NAMES
    assert list(areas.frame.columns) == [AREA_ID, AREA_NAME, "geometry"]


def test_without_name_column_the_id_is_the_name_and_a_note_says_so(tmp_path: Path) -> None:
    areas = read_areas(write_parquet(grid_frame("regsokod", None), tmp_path, "grid.parquet"))

    assert areas.frame[AREA_NAME].tolist() == GRID_IDS
    assert areas.notes == (NO_NAME_NOTE,)


def test_ids_are_stripped_and_missing_names_fall_back_to_the_id(tmp_path: Path) -> None:
    frame = grid_frame()
    frame[AREA_ID] = [f" {i} " for i in GRID_IDS]
    frame[AREA_NAME] = [None] + GRID_NAMES[1:]

    areas = read_areas(write_parquet(frame, tmp_path, "grid.parquet"))

    assert areas.frame[AREA_ID].tolist() == GRID_IDS
    assert areas.frame[AREA_NAME].tolist() == ["A1"] + GRID_NAMES[1:]


# -- errors ------------------------------------------------------------------------------

def test_missing_crs(tmp_path: Path) -> None:
    path = write_parquet(grid_frame(crs=None), tmp_path, "utan_crs.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "Fel i områdesfilen: fil 'utan_crs.parquet': filen saknar koordinatsystem (CRS). "
            "Förväntat: ett angivet CRS, t.ex. EPSG:3006 (SWEREF 99 TM). Åtgärd: spara om filen "
            "med CRS i GIS-programmet, eller sätt det med geopandas set_crs('EPSG:3006') om du "
            "vet vilket det är.")):
        read_areas(path, assume_crs=False)


def test_zipped_shapefile_without_prj_has_no_crs(tmp_path: Path) -> None:
    path = write_zipped_shapefile(grid_frame(), tmp_path / "utan_prj.zip", without=(".prj",))

    with pytest.raises(AreaFileError, match=r"fil 'utan_prj\.zip': filen saknar koordinatsystem"):
        read_areas(path, assume_crs=False)


def test_duplicate_ids(tmp_path: Path) -> None:
    frame = grid_frame()
    frame[AREA_ID] = ["A1", "A1", "A3", "A4", "A4", "A4", "A7", "A8", "A9"]
    path = write_parquet(frame, tmp_path, "dubbletter.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'dubbletter.parquet', kolumn 'area_id': områdeskoder förekommer mer än en gång. "
            "Värden: 'A1', 'A4'. Åtgärd: slå ihop delarna")) as err:
        read_areas(path)
    assert len(err.value.problems) == 1


def test_more_than_five_offending_values_are_cut_short(tmp_path: Path) -> None:
    grid = grid_frame()
    frame = gpd.GeoDataFrame(pd.concat([grid, grid.iloc[:7]], ignore_index=True))  # A1..A7 twice
    path = write_parquet(frame, tmp_path, "många.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "Värden: 'A1', 'A2', 'A3', 'A4', 'A5' (och 2 till).")):
        read_areas(path)


def test_empty_ids_are_reported_by_row_and_not_as_duplicates(tmp_path: Path) -> None:
    frame = grid_frame()
    frame[AREA_ID] = ["A1", "", "A3", "A4", None, "A6", "   ", "A8", "A9"]
    path = write_parquet(frame, tmp_path, "tomma.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "Fel i områdesfilen: fil 'tomma.parquet', kolumn 'area_id': tomma områdeskoder på "
            "rad. Värden: 2, 5, 7. Åtgärd: fyll i koden eller ta bort objektet.")) as err:
        read_areas(path)
    # Three empty ids are one problem, not also a duplicate id ''.
    assert len(err.value.problems) == 1


def test_missing_and_empty_geometry(tmp_path: Path) -> None:
    frame = grid_frame()
    frame.loc[3, "geometry"] = None
    frame.loc[5, "geometry"] = Polygon()
    path = write_parquet(frame, tmp_path, "utan_geometri.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'utan_geometri.parquet', kolumn 'geometry': områden utan geometri. "
            "Värden: 'A4', 'A6'. Åtgärd: rita områdena eller ta bort raderna.")):
        read_areas(path)


def test_points_and_lines_are_not_areas(tmp_path: Path) -> None:
    frame = grid_frame()
    frame.loc[0, "geometry"] = Point(600_500, 6_560_500)
    frame.loc[1, "geometry"] = Point(601_500, 6_560_500)
    frame.loc[8, "geometry"] = LineString([(0, 0), (1, 1)])
    path = write_parquet(frame, tmp_path, "punkter.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'punkter.parquet', kolumn 'geometry': geometrier som inte är ytor. "
            "Värden: 'A1 (Point)', 'A2 (Point)', 'A9 (LineString)'. "
            "Förväntat: Polygon eller MultiPolygon. Åtgärd: punkter och linjer")):
        read_areas(path)


def test_a_point_file_in_geojson_is_refused(tmp_path: Path) -> None:
    points = grid_frame()
    points["geometry"] = points.centroid
    path = tmp_path / "punkter.geojson"
    points.to_file(path, driver="GeoJSON")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'punkter.geojson', kolumn 'geometry': geometrier som inte är ytor. "
            "Värden: 'A1 (Point)'")):
        read_areas(path)


def test_unknown_explicit_id_column(tmp_path: Path) -> None:
    path = write_parquet(grid_frame(), tmp_path, "grid.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'grid.parquet', kolumn 'regsokod': hittar ingen kolumn med områdeskod. "
            "Värden: 'area_id', 'area_name'. Förväntat: area_id eller regsokod eller desokod")):
        read_areas(path, id_column="regsokod")


def test_no_id_column_found(tmp_path: Path) -> None:
    path = write_parquet(grid_frame("objekt", "beteckning"), tmp_path, "grid.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'grid.parquet': hittar ingen kolumn med områdeskod. Värden: 'objekt', "
            "'beteckning'. Förväntat: area_id eller regsokod")) as err:
        read_areas(path)
    assert "--id-column" in str(err.value)


def test_unknown_explicit_name_column(tmp_path: Path) -> None:
    path = write_parquet(grid_frame(), tmp_path, "grid.parquet")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'grid.parquet', kolumn 'regsonamn': namnkolumnen finns inte. "
            "Värden: 'area_id', 'area_name'.")):
        read_areas(path, name_column="regsonamn")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "områden.csv"
    path.write_text("area_id,area_name\nA1,Ruta 1\n", encoding="utf-8")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'områden.csv': okänt filformat '.csv'. Förväntat: GeoJSON, GeoPackage, "
            "GeoParquet, zippad Shapefile (.gpkg, .geojson, .json, .parquet, .geoparquet, .zip).")):
        read_areas(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "saknas.gpkg"

    with pytest.raises(AreaFileError, match=re.escape(
            f"Fel i områdesfilen: filen '{path}' finns inte. Kontrollera sökvägen.")):
        read_areas(path)


@pytest.mark.parametrize(("name", "kind"), [
    ("trasig.gpkg", "GeoPackage"),
    ("trasig.geojson", "GeoJSON"),
    ("trasig.parquet", "GeoParquet"),
    ("trasig.zip", "zippad Shapefile"),
])
def test_unreadable_file(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"inte en geodatafil\n")

    with pytest.raises(AreaFileError,
                       match=re.escape(f"fil '{name}' kunde inte läsas som {kind}: ")):
        read_areas(path)


def test_plain_parquet_without_geometry_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "tabell.parquet"
    pd.DataFrame({AREA_ID: GRID_IDS}).to_parquet(path)

    with pytest.raises(AreaFileError,
                       match=re.escape("fil 'tabell.parquet' kunde inte läsas som GeoParquet")):
        read_areas(path)


def test_layer_without_geometry(tmp_path: Path) -> None:
    path = tmp_path / "attribut.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"regsokod": GRID_IDS}), path, layer="koder")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'attribut.gpkg': filen har ingen geometrikolumn. Värden: 'regsokod'. "
            "Förväntat: ett lager med ytor (Polygon eller MultiPolygon).")):
        read_areas(path)


def test_errors_are_prevmap_errors_and_value_errors(tmp_path: Path) -> None:
    with pytest.raises(AreaFileError, match=r"saknas\.gpkg' finns inte") as err:
        read_areas(tmp_path / "saknas.gpkg")
    assert isinstance(err.value, PrevmapError)
    assert isinstance(err.value, ValueError)


def test_column_and_crs_problems_are_raised_together(tmp_path: Path) -> None:
    path = write_parquet(grid_frame("objekt", None, crs=None), tmp_path, "allt_fel.parquet")

    with pytest.raises(AreaFileError, match=r"^Fel i områdesfilen: \d+ problem\.\n") as err:
        read_areas(path, name_column="namn", assume_crs=False)

    assert [p.message for p in err.value.problems] == [
        "hittar ingen kolumn med områdeskod.", "namnkolumnen finns inte.",
        "filen saknar koordinatsystem (CRS)."]
    assert all(p.source == "allt_fel.parquet" for p in err.value.problems)
    assert str(err.value).startswith("Fel i områdesfilen: 3 problem.\n1. fil 'allt_fel.parquet'")


def test_row_problems_are_raised_together(tmp_path: Path) -> None:
    frame = grid_frame()
    frame[AREA_ID] = ["A1", "A1", "", "A4", "A5", "A6", "A7", "A8", "A9"]
    frame.loc[3, "geometry"] = None
    frame.loc[4, "geometry"] = Point(601_500, 6_561_500)
    path = write_parquet(frame, tmp_path, "flera_fel.parquet")

    with pytest.raises(AreaFileError, match=r"^Fel i områdesfilen: 4 problem\.\n") as err:
        read_areas(path)

    lines = str(err.value).splitlines()
    assert lines[0] == "Fel i områdesfilen: 4 problem."
    assert lines[1].startswith("1. fil 'flera_fel.parquet', kolumn 'area_id': tomma områdeskoder "
                               "på rad. Värden: 3.")
    assert lines[2].startswith("2. fil 'flera_fel.parquet', kolumn 'area_id': områdeskoder "
                               "förekommer mer än en gång. Värden: 'A1'.")
    assert lines[3].startswith("3. fil 'flera_fel.parquet', kolumn 'geometry': områden utan "
                               "geometri. Värden: 'A4'.")
    assert lines[4].startswith("4. fil 'flera_fel.parquet', kolumn 'geometry': geometrier som "
                               "inte är ytor. Värden: 'A5 (Point)'.")


# -- repairs -----------------------------------------------------------------------------

def test_bow_tie_is_repaired_and_reported(tmp_path: Path) -> None:
    frame = grid_frame()
    frame.loc[4, "geometry"] = bow_tie(frame.geometry[4])   # A5, centre (601500, 6561500)
    path = write_parquet(frame, tmp_path, "fjaril.parquet")

    areas = read_areas(path)

    assert areas.repairs == (Repair("A5", "Self-intersection[601500 6561500]"),)
    repaired = areas.frame.geometry[4]
    assert repaired.is_valid
    assert repaired.geom_type == "MultiPolygon"
    assert len(repaired.geoms) == 2                    # two triangles meeting at the centre
    assert repaired.area == BOX_AREA / 2
    assert areas.frame.area.drop(index=4).tolist() == [BOX_AREA] * 8
    assert areas.frame.is_valid.all()


def test_bow_tie_in_a_geopackage_is_repaired(tmp_path: Path) -> None:
    frame = grid_frame()
    frame.loc[0, "geometry"] = bow_tie(frame.geometry[0])
    path = tmp_path / "fjaril.gpkg"
    frame.to_file(path, driver="GPKG")

    areas = read_areas(path)

    assert [r.area_id for r in areas.repairs] == ["A1"]
    assert areas.repairs[0].reason.startswith("Self-intersection")
    assert areas.frame.is_valid.all()
    assert set(areas.frame.geom_type) <= {"Polygon", "MultiPolygon"}


def test_repair_keeps_only_the_polygonal_part() -> None:
    # A square with a spike: make_valid gives a polygon and a dangling line.
    x0, y0, x1, y1 = grid_boxes()[0].bounds
    spiked = Polygon([(x0, y0), (x1, y0), (x1, y1), (x1, y1 + 500), (x1, y1), (x0, y1)])
    assert shapely.make_valid(spiked).geom_type == "GeometryCollection"
    frame = grid_frame()
    frame.loc[0, "geometry"] = spiked

    valid, repairs, notes = validate_areas(frame, "spik.gpkg")

    assert [r.area_id for r in repairs] == ["A1"]
    assert repairs[0].reason.startswith("Ring Self-intersection")
    assert notes == ()
    assert valid.geometry[0].geom_type == "Polygon"
    assert valid.geometry[0].is_valid
    assert valid.geometry[0].equals(grid_boxes()[0])
