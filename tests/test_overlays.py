"""Utsatta områden over areas: exact shares on the grid, errors, and Huddinge's real polygons.

Overlay polygons on the 3x3 grid (x from 600 000, y from 6 560 000, boxes of 1 km)::

    Norra   utsatt område           x 600 000-601 500, y 6 562 500-6 563 000: A7 1/2, A8 1/4
    Västra  särskilt utsatt område  x 601 500-602 000, y 6 562 000-6 563 000: A8 1/2
    Östra   riskområde              x 602 500-603 000, y 6 560 000-6 562 000: A3 1/2, A6 1/2
    Strimma särskilt utsatt område  x 601 000-602 000, y 6 561 000-6 561 005: A5 0.005 (sliver)
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geo_fixtures import GRID_IDS, grid_frame
from shapely.geometry import Point, box

from geo.io.areas import areas_from_frame, read_areas
from geo.io.files import SourceInfo
from geo.io.overlays import overlaps_in_areas, read_utsatta_omraden, validate_overlay
from indicators.columns import AREA_ID
from indicators.errors import OverlayFileError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POLICE = SHARED / "huddinge" / "polisen_utsatta_omraden_2023_0126_epsg3006.gpkg"
HUDDINGE = Path(__file__).resolve().parents[1] / "data" / "areas" / "huddinge_regso_2025.parquet"


def police_frame(crs: int | None = 3006) -> gpd.GeoDataFrame:
    """The overlay in the police file's own columns (NAMN, KATEGORI), with Z coordinates."""
    boxes = [box(600_000, 6_562_500, 601_500, 6_563_000), box(601_500, 6_562_000, 602_000,
                                                              6_563_000),
             box(602_500, 6_560_000, 603_000, 6_562_000), box(601_000, 6_561_000, 602_000,
                                                              6_561_005)]
    return gpd.GeoDataFrame(
        {"NAMN": ["Norra", "Västra", "Östra", "Strimma"],
         "KATEGORI": ["Utsatt område", "Särskilt utsatt område", "Riskområde",
                      "Särskilt utsatt område"], "ORT": ["Rutnät"] * 4},
        geometry=shapely.force_3d(boxes, z=0.0), crs=crs)


@pytest.fixture
def areas():
    return areas_from_frame(grid_frame(), SourceInfo("Rutnät", "test", "2025-01-01"))


@pytest.fixture
def overlay_file(tmp_path: Path) -> Path:
    path = tmp_path / "utsatta.gpkg"
    police_frame().to_file(path, layer="uso_2023")
    return path


def test_file_is_read_in_2d_with_normalised_levels(overlay_file: Path) -> None:
    overlay = read_utsatta_omraden(overlay_file)

    assert overlay.frame.columns.tolist() == ["overlay_name", "overlay_level", "geometry"]
    assert overlay.frame["overlay_level"].tolist() == [
        "utsatt område", "särskilt utsatt område", "riskområde", "särskilt utsatt område"]
    assert not shapely.has_z(overlay.frame.geometry.to_numpy()).any()
    assert overlay.frame.crs.to_epsg() == 3006
    assert overlay.notes == ()


def test_pairs_have_exact_shares(overlay_file: Path, areas) -> None:
    result = overlaps_in_areas(areas, read_utsatta_omraden(overlay_file))

    assert result.pairs.columns.tolist() == [AREA_ID, "overlay_name", "overlay_level",
                                             "overlap_m2", "overlap_share"]
    got = [(r.area_id, r.overlay_name, r.overlay_level, round(r.overlap_share, 6))
           for r in result.pairs.itertuples()]
    assert got == [("A3", "Östra", "riskområde", 0.5),
                   ("A5", "Strimma", "särskilt utsatt område", 0.005),
                   ("A6", "Östra", "riskområde", 0.5),
                   ("A7", "Norra", "utsatt område", 0.5),
                   ("A8", "Norra", "utsatt område", 0.25),
                   ("A8", "Västra", "särskilt utsatt område", 0.5)]
    assert result.pairs["overlap_m2"].round(3).tolist() == [500_000, 5_000, 500_000, 500_000,
                                                            250_000, 500_000]


def test_per_area_summary_with_the_most_severe_level(overlay_file: Path, areas) -> None:
    per_area = overlaps_in_areas(areas, read_utsatta_omraden(overlay_file)).per_area

    assert per_area.columns.tolist() == [AREA_ID, "overlaps", "overlap_share", "overlay_level",
                                         "overlay_names"]
    assert per_area[AREA_ID].tolist() == GRID_IDS
    assert per_area["overlaps"].tolist() == [False, False, True, False, False, True, True,
                                             True, False]
    assert per_area["overlap_share"].round(6).tolist() == [0, 0, 0.5, 0, 0.005, 0.5, 0.5,
                                                           0.75, 0]
    assert per_area["overlay_level"].tolist() == [
        pd.NA, pd.NA, "riskområde", pd.NA, pd.NA, "riskområde", "utsatt område",
        "särskilt utsatt område", pd.NA]
    assert per_area["overlay_names"].tolist() == ["", "", "Östra", "", "", "Östra", "Norra",
                                                  "Norra, Västra", ""]


def test_min_share_zero_counts_slivers(overlay_file: Path, areas) -> None:
    per_area = overlaps_in_areas(areas, read_utsatta_omraden(overlay_file),
                                 min_share=0).per_area

    assert per_area.set_index(AREA_ID).loc["A5", "overlay_level"] == "särskilt utsatt område"
    assert per_area["overlaps"].sum() == 5


def test_overlay_in_another_crs_is_reprojected(tmp_path: Path, areas) -> None:
    path = tmp_path / "utsatta.geojson"
    police_frame().to_crs(4326).to_file(path, driver="GeoJSON")

    per_area = overlaps_in_areas(areas, read_utsatta_omraden(path)).per_area

    assert per_area["overlap_share"].round(3).tolist() == [0, 0, 0.5, 0, 0.005, 0.5, 0.5,
                                                           0.75, 0]


def test_missing_crs_is_assumed_from_the_coordinates_with_a_note() -> None:
    overlay = validate_overlay(police_frame(crs=None), "utan_crs.gpkg")

    assert overlay.frame.crs.to_epsg() == 3006
    assert overlay.notes == (
        "filen saknar koordinatsystem (CRS); EPSG:3006 (SWEREF 99 TM) antogs utifrån "
        "koordinaternas värden (x 600000–603000, y 6560000–6563000). Kontrollera att "
        "områdena hamnar rätt på kartan",)
    with pytest.raises(OverlayFileError, match=re.escape(
            "Fel i filen med utsatta områden: fil 'utan_crs.gpkg': filen saknar "
            "koordinatsystem (CRS).")):
        validate_overlay(police_frame(crs=None), "utan_crs.gpkg", assume_crs=False)


def test_problems_are_raised_together() -> None:
    frame = police_frame()
    frame["KATEGORI"] = ["Utsatt område", "Hotspot", "Riskområde", "Röd"]
    frame.loc[3, "geometry"] = Point(601_000, 6_561_000)

    with pytest.raises(OverlayFileError,
                       match=r"^Fel i filen med utsatta områden: 2 problem\.\n") as err:
        validate_overlay(frame, "fel.gpkg")

    assert str(err.value) == (
        "Fel i filen med utsatta områden: 2 problem.\n"
        "1. fil 'fel.gpkg', kolumn 'KATEGORI': okända nivåer. Värden: 'Hotspot', 'Röd'. "
        "Förväntat: utsatt område, riskområde, särskilt utsatt område. Åtgärd: rätta nivån i "
        "filen.\n"
        "2. fil 'fel.gpkg', kolumn 'geometry': geometrier som inte är ytor. Värden: "
        "'Strimma (Point)'. Förväntat: Polygon eller MultiPolygon.")


def test_missing_columns() -> None:
    frame = police_frame().rename(columns={"NAMN": "X", "KATEGORI": "Y"})

    with pytest.raises(OverlayFileError, match="hittar ingen kolumn med områdets namn") as err:
        validate_overlay(frame, "kolumner.gpkg")

    assert [p.message for p in err.value.problems] == [
        "hittar ingen kolumn med områdets namn.", "hittar ingen kolumn med polisens nivå."]
    assert "Värden: 'X', 'Y', 'ORT'." in str(err.value)


def test_explicit_columns() -> None:
    frame = police_frame().rename(columns={"NAMN": "benamning", "KATEGORI": "typ"})

    overlay = validate_overlay(frame, name_column="benamning", level_column="typ")

    assert overlay.frame["overlay_name"].tolist() == ["Norra", "Västra", "Östra", "Strimma"]


def test_missing_file_and_bad_min_share(tmp_path: Path, overlay_file: Path, areas) -> None:
    with pytest.raises(OverlayFileError, match=r"filen '.*saknas\.gpkg' finns inte\."):
        read_utsatta_omraden(tmp_path / "saknas.gpkg")
    with pytest.raises(OverlayFileError, match=re.escape(
            "min_share 1.5 ska vara minst 0 och under 1.")):
        overlaps_in_areas(areas, read_utsatta_omraden(overlay_file), min_share=1.5)


# -- real data ---------------------------------------------------------------------------

@pytest.mark.skipif(not POLICE.is_file(), reason=f"../shared/data saknas: {POLICE} finns inte "
                    "(testet kör bara där den delade datamappen finns)")
def test_huddinges_three_utsatta_omraden_overlap_the_expected_regso() -> None:
    overlay = read_utsatta_omraden(POLICE)
    result = overlaps_in_areas(read_areas(HUDDINGE), overlay)

    assert sorted(overlay.frame["overlay_name"]) == ["Grantorp / Visättra", "Skogås", "Vårby"]
    assert set(overlay.frame["overlay_level"]) == {"utsatt område"}
    counted = result.pairs[result.pairs["overlap_share"] >= 0.01]
    by_overlay = counted.groupby("overlay_name")[AREA_ID].agg(list).to_dict()
    assert by_overlay == {
        "Grantorp / Visättra": ["0126R001", "0126R002"],  # Flemingsberg västra, östra
        "Skogås": ["0126R014", "0126R015"],                # Skogås västra, östra
        "Vårby": ["0126R020", "0126R021", "0126R022"],     # Vårby gård, Haga-Masmo, Udde-D.
    }
    shares = result.per_area.set_index(AREA_ID)["overlap_share"].round(2)
    assert shares[["0126R001", "0126R002", "0126R014", "0126R015", "0126R020", "0126R021",
                   "0126R022"]].tolist() == [0.18, 0.17, 0.58, 0.02, 0.38, 0.15, 0.72]
    # Border slivers below 1 % (Kungens Kurva-Kråkvik by Vårby) are listed, not counted.
    assert result.per_area.set_index(AREA_ID).at["0126R009", "overlaps"] == False  # noqa: E712
    assert result.per_area["overlaps"].sum() == 7
    assert set(result.per_area.loc[result.per_area["overlaps"], "overlay_level"]) == {
        "utsatt område"}


def test_a_zip_with_a_path_out_of_the_archive_is_refused(tmp_path):
    import zipfile

    from indicators.errors import OverlayFileError

    path = tmp_path / "utsatta.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../utsatta.shp", b"x")
    with pytest.raises(OverlayFileError, match="pekar utanför arkivet"):
        read_utsatta_omraden(path)


def test_an_overlay_that_touches_no_area_is_a_note_not_a_crash(tmp_path, capsys):
    """A file of utsatta områden from somewhere else (here in Norrbotten) through
    `prevmap export`: the map is written, every area's share is 0 and the notes say why."""
    from geo.cli import main

    far = tmp_path / "langt_bort.gpkg"
    gpd.GeoDataFrame({"namn": ["Långtbort"], "niva": ["Utsatt område"]},
                     geometry=[box(800_000, 7_400_000, 801_000, 7_401_000)],
                     crs=3006).to_file(far, driver="GPKG")
    assert main(["export", "--utsatta", str(far), "--out", str(tmp_path / "k.html")]) == 0
    said = capsys.readouterr()
    out = said.out + said.err            # the notes go to stderr ("Obs: ..."), the files to stdout
    assert ("Inget av de 1 utsatta områdena i 'langt_bort.gpkg' ligger i något av kartans "
            "områden" in out)
    table = pd.read_csv(tmp_path / "k.csv", sep=";", decimal=",", encoding="utf-8-sig")
    share = [c for c in table.columns if "andel" in c.lower() and "utsatt" in c.lower()]
    assert len(share) == 1 and (table[share[0]] == 0).all()
