"""Safe unpacking of zipped Shapefiles: paths, links, zip bombs, the one .shp, clean-up."""

from __future__ import annotations

import random
import re
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from geo_fixtures import GRID_IDS, grid_frame, write_zipped_shapefile

from geo.io import safezip
from geo.io.areas import read_areas, read_layer
from geo.io.safezip import MAX_ENTRIES, MAX_RATIO, MAX_TOTAL, extract_shapefile
from indicators.columns import AREA_ID
from indicators.errors import AreaFileError

MB = 1_000_000


def shapefile_parts(directory: Path, stem: str = "omraden",
                    frame: gpd.GeoDataFrame | None = None) -> dict[str, bytes]:
    """The parts of a Shapefile of ``frame`` (the 3x3 grid) by suffix: .shp, .shx, .dbf, ..."""
    folder = directory / f"{stem}_delar"
    folder.mkdir()
    (grid_frame() if frame is None else frame).to_file(folder / f"{stem}.shp",
                                                       driver="ESRI Shapefile")
    return {p.suffix: p.read_bytes() for p in sorted(folder.iterdir())}


def write_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def zipped_shapefile(tmp_path: Path, *, folder: str = "", stem: str = "omraden",
                     extra: list[tuple[str | zipfile.ZipInfo, bytes]] = (),
                     name: str = "omraden.zip") -> Path:
    parts = shapefile_parts(tmp_path, stem)
    entries = [(f"{folder}{stem}{suffix}", data) for suffix, data in parts.items()]
    return write_zip(tmp_path / name, [*entries, *extra])


def entry(name: str, mode: int | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        info.external_attr = mode << 16
    return info


def refused(path: Path, dest: Path, message: str, **limits: float) -> None:
    """``extract_shapefile`` refuses ``path`` with ``message`` and leaves ``dest`` empty."""
    with pytest.raises(AreaFileError, match=message):
        extract_shapefile(path, dest, **limits)
    assert list(dest.iterdir()) == []


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "uppackat"
    folder.mkdir()
    return folder


# -- good archives ------------------------------------------------------------------------

def test_defaults() -> None:
    assert (MAX_TOTAL, MAX_ENTRIES, MAX_RATIO) == (200_000_000, 1_000, 200)


@pytest.mark.parametrize("folder", ["", "omraden/", "export/2025/"])
def test_zipped_shapefile_reads_the_grid(tmp_path: Path, folder: str) -> None:
    path = zipped_shapefile(tmp_path, folder=folder,
                            extra=[("readme.txt", b"hej"), (f"{folder}omraden.qmd", b"<qgis/>")])

    frame = read_layer(path)

    assert len(frame) == 9
    assert frame[AREA_ID].tolist() == GRID_IDS
    assert frame.crs.to_epsg() == 3006
    assert read_areas(path).frame[AREA_ID].tolist() == GRID_IDS


def test_extract_writes_only_the_shapefile_parts_into_a_fresh_folder(tmp_path: Path,
                                                                       dest: Path) -> None:
    path = zipped_shapefile(tmp_path, folder="data/", extra=[("data/readme.txt", b"hej")])

    shp = extract_shapefile(path, dest)

    assert shp.name == "omraden.shp"
    assert shp.parent.parent == dest  # a new folder of its own inside dest
    assert sorted(p.name for p in shp.parent.iterdir()) == [
        "omraden.cpg", "omraden.dbf", "omraden.prj", "omraden.shp", "omraden.shx"]
    for part in shp.parent.iterdir():
        mode = part.lstat().st_mode
        assert stat.S_ISREG(mode)
        assert stat.S_IMODE(mode) == 0o600
    assert len(gpd.read_file(shp)) == 9


def test_parts_are_matched_case_insensitively(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip", [
        ("Omraden.SHP", parts[".shp"]), ("omraden.Shx", parts[".shx"]),
        ("OMRADEN.dbf", parts[".dbf"]), ("omraden.PRJ", parts[".prj"])])

    shp = extract_shapefile(path, dest)

    assert sorted(p.name for p in shp.parent.iterdir()) == [
        "Omraden.dbf", "Omraden.prj", "Omraden.shp", "Omraden.shx"]
    frame = gpd.read_file(shp)
    assert frame[AREA_ID].tolist() == GRID_IDS
    assert frame.crs.to_epsg() == 3006


def test_macos_extras_are_ignored(tmp_path: Path) -> None:
    path = zipped_shapefile(tmp_path, folder="omraden/", extra=[
        ("__MACOSX/omraden/._omraden.shp", b"\0\5\26\7"), ("omraden/._omraden.shp", b"\0")])

    assert read_layer(path)[AREA_ID].tolist() == GRID_IDS


# -- paths --------------------------------------------------------------------------------

def test_traversal_error_names_file_entry_and_fix(tmp_path: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("../x.shp", b"x")])

    with pytest.raises(AreaFileError, match=re.escape(
            "Fel i områdesfilen: fil 'omraden.zip': posten '../x.shp' pekar utanför arkivet "
            "(sökvägen går uppåt med '..'). Åtgärd: packa om filen utan sökvägar som går uppåt "
            "('..') eller börjar med '/', '\\' eller en enhetsbokstav.")):
        read_areas(path)


@pytest.mark.parametrize(("name", "reason"), [
    ("../../etc/passwd", "sökvägen går uppåt med '..'"),
    ("data/../../x.shp", "sökvägen går uppåt med '..'"),
    ("data/..", "sökvägen går uppåt med '..'"),
    ("..\\..\\x.shp", "sökvägen går uppåt med '..'"),
    ("data\\..\\..\\x.shp", "sökvägen går uppåt med '..'"),
    ("/etc/passwd", "absolut sökväg"),
    ("/tmp/omraden.shp", "absolut sökväg"),
    ("\\Windows\\x.shp", "absolut sökväg"),
    ("\\\\server\\share\\x.shp", "absolut sökväg"),
    ("C:/x.shp", "sökvägen börjar med en enhetsbokstav"),
    ("c:\\temp\\x.shp", "sökvägen börjar med en enhetsbokstav"),
    ("D:x.shp", "sökvägen börjar med en enhetsbokstav"),
])
def test_entries_pointing_outside_are_refused(tmp_path: Path, dest: Path, name: str,
                                              reason: str) -> None:
    path = zipped_shapefile(tmp_path, extra=[(entry(name), b"x")])

    refused(path, dest, re.escape(f"fil 'omraden.zip': posten '{name}' pekar utanför arkivet "
                                  f"({reason})."))


def test_dots_inside_names_are_fine(tmp_path: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("..notes..txt", b"x"), ("./a/./b.txt", b"y")])

    assert len(read_layer(path)) == 9


# -- links and other entries ------------------------------------------------------------

def test_symlink_entry_is_refused(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[(entry("data/omraden.prj", 0o120777),
                                              b"/etc/passwd")])

    refused(path, dest, re.escape(
        "fil 'omraden.zip': posten 'data/omraden.prj' är en symbolisk länk. Åtgärd: packa om "
        "filen med de riktiga filerna i stället för länkar."))


def test_symlink_as_a_shapefile_part_is_refused(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip", [
        ("omraden.shp", parts[".shp"]), ("omraden.shx", parts[".shx"]),
        (entry("omraden.dbf", 0o120777), b"../../../etc/passwd")])

    refused(path, dest, r"posten 'omraden\.dbf' är en symbolisk länk")


def test_special_file_is_refused(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[(entry("fifo", stat.S_IFIFO | 0o644), b"")])

    refused(path, dest, r"posten 'fifo' är ingen vanlig fil \(filtyp 0o10000\)")


def test_regular_unix_modes_are_fine(tmp_path: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[(entry("a/", stat.S_IFDIR | 0o755), b""),
                                             (entry("a/b.txt", stat.S_IFREG | 0o644), b"b")])

    assert len(read_layer(path)) == 9


def test_duplicate_entry_is_refused(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = write_zip(tmp_path / "omraden.zip", [
            *[(f"omraden{s}", d) for s, d in parts.items()], ("omraden.dbf", b"annat")])

    refused(path, dest, r"posten 'omraden\.dbf' finns mer än en gång i arkivet")


def patch_zip(path: Path, name: bytes, *, central: dict[int, bytes],
              local: dict[int, bytes] | None = None) -> None:
    """Overwrite fields of the entry ``name``'s central (and local) header at their offsets."""
    data = bytearray(path.read_bytes())
    for signature, fields in ((b"PK\x01\x02", central), (b"PK\x03\x04", local or {})):
        name_at = 46 if signature == b"PK\x01\x02" else 30
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at:start + name_at + len(name)] == name:
                for offset, value in fields.items():
                    data[start + offset:start + offset + len(value)] = value
            start += 4
    path.write_bytes(bytes(data))


def test_encrypted_entry_is_refused(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("hemlig.txt", b"x")])
    patch_zip(path, b"hemlig.txt", central={8: struct.pack("<H", 0x1)})  # zipfile resets flags

    refused(path, dest, r"posten 'hemlig\.txt' är krypterad\. Åtgärd: packa om filen utan "
                        "lösenord")


def test_unsupported_compression_is_refused(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("annat.bin", b"x" * 100)])
    patch_zip(path, b"annat.bin", central={10: struct.pack("<H", 9)})  # Deflate64

    refused(path, dest, r"posten 'annat\.bin' är komprimerad med en metod som inte stöds "
                        r"\(metod 9\)")


# -- zip bombs ----------------------------------------------------------------------------

def test_too_many_entries(tmp_path: Path, dest: Path) -> None:
    extra = [(f"tom/{i}.txt", b"") for i in range(MAX_ENTRIES)]
    path = zipped_shapefile(tmp_path, extra=extra)

    refused(path, dest, re.escape(
        f"fil 'omraden.zip': arkivet har {MAX_ENTRIES + 5} poster, fler än gränsen "
        f"{MAX_ENTRIES} (första posten över gränsen: 'tom/995.txt')."))


def test_too_many_entries_with_a_lower_limit(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path)  # five parts

    refused(path, dest, r"arkivet har 5 poster, fler än gränsen 4", max_entries=4)
    assert extract_shapefile(path, dest, max_entries=5).is_file()


def test_highly_compressed_entry_is_refused_by_the_ratio(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("nollor.bin", bytes(5 * MB))])

    refused(path, dest, r"fil 'omraden\.zip': posten 'nollor\.bin' packas upp till 5 MB från "
                        r"[\d,]+ kB, ett förhållande på \d+:1, mer än gränsen 200:1 \(filen kan "
                        r"vara en zip-bomb\)\. Åtgärd: ")


def test_ratio_limit_can_be_lowered_and_spares_small_entries(tmp_path: Path,
                                                            dest: Path) -> None:
    # 100 kB of zeros compresses about 1000:1 but is too small to matter; 1.5 MB of random
    # letters a-j compresses a little over 2:1.
    letters = "".join(random.Random(0).choices("abcdefghij", k=1_500_000)).encode()
    path = zipped_shapefile(tmp_path, extra=[("nollor.bin", bytes(100_000)),
                                             ("text.txt", letters)])

    refused(path, dest, r"posten 'text\.txt' packas upp till 1,5 MB .* mer än gränsen 2:1",
            max_ratio=2)
    assert extract_shapefile(path, dest, max_ratio=MAX_RATIO).is_file()


def test_big_archive_is_refused_by_the_total(tmp_path: Path, dest: Path) -> None:
    # Stored, not compressed: the ratio is 1:1, only the total is too big.
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip",
                     [*[(f"omraden{s}", d) for s, d in parts.items()],
                      ("stor.bin", bytes(3 * MB))], compression=zipfile.ZIP_STORED)

    refused(path, dest, re.escape(
        "fil 'omraden.zip': arkivet packas upp till mer än gränsen 2 MB (gränsen passeras vid "
        "posten 'stor.bin', totalt minst 3 MB). Åtgärd: dela upp filen"), max_total=2 * MB)


def test_zeros_are_refused_by_the_total_with_a_lower_limit(tmp_path: Path,
                                                          dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("nollor.bin", bytes(5 * MB))])

    refused(path, dest, r"arkivet packas upp till mer än gränsen 1 MB .*'nollor\.bin'",
            max_total=MB, max_ratio=10_000)


def test_lying_declared_size_is_refused_while_unpacking(tmp_path: Path, dest: Path) -> None:
    """The .dbf says it unpacks to 100 bytes; it holds 5 MB of zeros (about 5 kB packed).

    By its declared sizes the archive passes every limit; the copy stops at the declared
    size and the entry is refused.
    """
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip",
                     [(f"omraden{s}", bytes(5 * MB) if s == ".dbf" else d)
                      for s, d in parts.items()])
    small = struct.pack("<I", 100)
    patch_zip(path, b"omraden.dbf", central={24: small}, local={22: small})
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("omraden.dbf").file_size == 100

    refused(path, dest, r"fil 'omraden\.zip': posten 'omraden\.dbf' är skadad eller anger fel "
                        r"storlek och kunde inte packas upp \(.*\)\. Åtgärd: skapa zip-filen "
                        r"på nytt\.",
            max_total=MB)


@pytest.fixture
def without_central_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the names are checked from the central directory, none of the sizes, so that the
    limits enforced while unpacking are tested on their own."""
    check = safezip._check_archive

    def names_only(infos, zip_name, **_limits):
        return check(infos, zip_name, max_total=10**15, max_entries=10**9, max_ratio=10**9)

    monkeypatch.setattr(safezip, "_check_archive", names_only)


@pytest.mark.usefixtures("without_central_checks")
def test_total_is_enforced_while_unpacking(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip",
                     [(f"omraden{s}", bytes(3 * MB) if s == ".dbf" else d)
                      for s, d in parts.items()])

    refused(path, dest, re.escape(
        "fil 'omraden.zip': arkivet packas upp till mer än gränsen 1 MB (uppackningen "
        "avbröts i posten 'omraden.dbf')."), max_total=MB)


@pytest.mark.usefixtures("without_central_checks")
def test_ratio_is_enforced_while_unpacking(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip",
                     [(f"omraden{s}", bytes(5 * MB) if s == ".dbf" else d)
                      for s, d in parts.items()])

    refused(path, dest, r"posten 'omraden\.dbf' packas upp till mer än 200 gånger sin "
                        r"komprimerade storlek \([\d,]+ kB\); uppackningen avbröts")


# -- finding the one Shapefile ------------------------------------------------------------

def test_no_shapefile(tmp_path: Path, dest: Path) -> None:
    path = write_zip(tmp_path / "omraden.zip", [("omraden.gpkg", b"x"), ("readme.txt", b"y")])

    refused(path, dest, re.escape(
        "fil 'omraden.zip': arkivet innehåller ingen Shapefile (.shp). Innehåll: "
        "'omraden.gpkg', 'readme.txt'. Åtgärd: zippa en Shapefile med alla dess delar (.shp, "
        ".shx, .dbf och .prj) med samma namn i samma mapp, eller ladda upp en GeoPackage "
        "eller GeoJSON."))


def test_empty_zip(tmp_path: Path, dest: Path) -> None:
    path = write_zip(tmp_path / "tom.zip", [])

    refused(path, dest, re.escape("fil 'tom.zip': arkivet innehåller ingen Shapefile (.shp). "
                                  "Innehåll: inga filer."))


def test_two_shapefiles(tmp_path: Path, dest: Path) -> None:
    first = shapefile_parts(tmp_path, "regso")
    second = shapefile_parts(tmp_path, "deso")
    path = write_zip(tmp_path / "omraden.zip",
                     [*[(f"regso{s}", d) for s, d in first.items()],
                      *[(f"deso/deso{s}", d) for s, d in second.items()]])

    refused(path, dest, re.escape(
        "fil 'omraden.zip': arkivet innehåller 2 Shapefiler (.shp), men bara en kan läsas: "
        "'regso.shp', 'deso/deso.shp'. Åtgärd: lägg varje Shapefile i en egen zip-fil."))


def test_two_shp_differing_in_case(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("OMRADEN.SHP", b"x")])

    refused(path, dest, r"arkivet innehåller 2 Shapefiler \(\.shp\), men bara en kan läsas: "
                        r"'omraden\.shp', 'OMRADEN\.SHP'")


@pytest.mark.parametrize("missing", [".dbf", ".shx"])
def test_missing_part(tmp_path: Path, dest: Path, missing: str) -> None:
    path = write_zipped_shapefile(grid_frame(), tmp_path / "omraden.zip", without=(missing,))

    refused(path, dest, re.escape(
        f"fil 'omraden.zip': Shapefilen 'omraden.shp' saknar sin {missing}-fil "
        f"('omraden{missing}'). Hittade i samma mapp: "))


def test_parts_in_another_folder_are_missing(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip", [
        ("a/omraden.shp", parts[".shp"]), ("b/omraden.shx", parts[".shx"]),
        ("b/omraden.dbf", parts[".dbf"])])

    refused(path, dest, re.escape(
        "Shapefilen 'a/omraden.shp' saknar sin .shx-fil ('omraden.shx') och .dbf-fil "
        "('omraden.dbf'). Hittade i samma mapp: 'a/omraden.shp'."))


def test_two_dbf_for_one_shapefile(tmp_path: Path, dest: Path) -> None:
    path = zipped_shapefile(tmp_path, extra=[("OMRADEN.DBF", b"x")])

    refused(path, dest, r"Shapefilen 'omraden\.shp' har flera \.dbf-filer: 'omraden\.dbf', "
                        r"'OMRADEN\.DBF'")


def test_not_a_zip(tmp_path: Path, dest: Path) -> None:
    path = tmp_path / "trasig.zip"
    path.write_bytes(b"inte en zip-fil\n")

    refused(path, dest, r"fil 'trasig\.zip' kunde inte läsas som zippad Shapefile: filen är "
                        r"inte ett giltigt zip-arkiv")


# -- clean-up -----------------------------------------------------------------------------

@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_read_layer_removes_its_temporary_files(tmp_path: Path, temp_root: Path) -> None:
    path = zipped_shapefile(tmp_path)

    assert len(read_layer(path)) == 9
    assert list(temp_root.iterdir()) == []


@pytest.mark.parametrize("extra", [("../x.shp", b"x"), ("nollor.bin", bytes(5 * MB))])
def test_refused_read_removes_its_temporary_files(tmp_path: Path, temp_root: Path,
                                                  extra: tuple[str, bytes]) -> None:
    path = zipped_shapefile(tmp_path, extra=[extra])

    with pytest.raises(AreaFileError, match="fil 'omraden.zip'"):
        read_layer(path)
    assert list(temp_root.iterdir()) == []


def test_unreadable_shapefile_removes_its_temporary_files(tmp_path: Path,
                                                          temp_root: Path) -> None:
    path = write_zip(tmp_path / "omraden.zip", [("omraden.shp", b"x" * 200),
                                                ("omraden.shx", b"y"), ("omraden.dbf", b"z")])

    with pytest.raises(AreaFileError, match=re.escape(
            "fil 'omraden.zip' kunde inte läsas som zippad Shapefile: ")) as info:
        read_layer(path)
    assert str(temp_root) not in str(info.value)
    assert list(temp_root.iterdir()) == []


@pytest.mark.usefixtures("without_central_checks")
def test_stopped_unpacking_removes_what_was_written(tmp_path: Path, dest: Path) -> None:
    parts = shapefile_parts(tmp_path)
    path = write_zip(tmp_path / "omraden.zip",
                     [(f"omraden{s}", bytes(3 * MB) if s == ".shx" else d)
                      for s, d in parts.items()])

    refused(path, dest, "uppackningen avbröts", max_total=MB)
