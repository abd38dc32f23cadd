"""Red team of issue 13: the protections attacked again, as a user reaches them (the
``prevmap`` CLI and the readers behind the app's uploaders), with variants their own tests
do not try. Every test names what it attacks; a server started here on localhost must see
no request, and a canary file on this computer must never show up."""

from __future__ import annotations

import gzip
import json
import sqlite3
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from app_start import demo_app
from browser import requires_browser
from geo_fixtures import grid_frame, write_zipped_shapefile
from test_http_hostile import hostile  # noqa: F401 - a fixture
from test_safe_files import CANARY, canary, server, vrt  # noqa: F401 - fixtures

from geo.cli import main
from geo.export.text import terminal_text
from geo.inputs import load_inputs
from geo.io.areas import read_areas
from geo.io.limits import FileLimitError
from geo.io.tables import read_raw_table
from indicators.errors import AreaFileError, FetchError, SettingsError
from indicators.settings import AnalysisSettings
from plans.access import is_local_host

# -- 1. a file is only what its name claims -----------------------------------------------

def _rezip(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """``source``'s parts with those whose suffix is in ``replace`` swapped (or added)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            suffix = Path(info.filename).suffix.lower()
            new.writestr(info.filename, replace.pop(suffix, old.read(info)))
        stem = Path(old.namelist()[0]).stem
        for suffix, data in replace.items():
            new.writestr(stem + suffix, data)
    return target


def test_zipped_shapefile_with_a_vrt_as_dbf_and_sidecar_reads_no_server_file(
        tmp_path: Path, canary: Path) -> None:  # noqa: F811
    shapes = write_zipped_shapefile(grid_frame(), tmp_path / "ok.zip")
    text = vrt(f"CSV:{canary}", canary.stem).encode()
    path = _rezip(shapes, tmp_path / "kommundelar.zip", {".dbf": text, ".vrt": text,
                                                         ".cpg": text})
    try:
        frame = read_areas(path)
    except AreaFileError as err:
        assert CANARY not in str(err)
    else:
        assert CANARY not in frame.to_json()


@pytest.mark.parametrize("driver,suffix", [("FlatGeobuf", ".fgb"), ("CSV", ".csv"),
                                           ("GML", ".gml")])
def test_other_formats_renamed_geojson_are_refused_by_their_bytes(tmp_path: Path, driver: str,
                                                                  suffix: str) -> None:
    real = tmp_path / f"real{suffix}"
    options = {"GEOMETRY": "AS_WKT"} if driver == "CSV" else {}
    grid_frame().to_file(real, driver=driver, **options)
    path = tmp_path / "kommundelar.geojson"
    path.write_bytes(real.read_bytes())

    with pytest.raises(AreaFileError, match="kunde inte läsas som GeoJSON: filen börjar inte "
                                            "med"):
        read_areas(path)


def test_geojson_with_vsicurl_and_vrt_text_in_properties_makes_no_request(
        tmp_path: Path, server, canary: Path) -> None:  # noqa: F811
    url, seen = server
    frame = grid_frame()
    frame["area_name"] = [f"/vsicurl/{url}/a.csv", vrt(f"CSV:{canary}", canary.stem),
                          f"GeoJSON:/vsicurl/{url}/b.geojson", f"/vsizip/{canary}",
                          f"{url}/c", "CSV:/etc/passwd", "!x", "x!y", "/vsistdin/"][:len(frame)]
    path = tmp_path / "kommundelar.geojson"
    path.write_text(frame.to_crs(4326).to_json(), encoding="utf-8")

    read = read_areas(path)
    assert list(read.frame["area_name"]) == list(frame["area_name"])
    assert CANARY not in read.frame.drop(columns="area_name").to_json()
    assert seen == []


@pytest.mark.parametrize("name", ["{url}/crs.wkt", "EPSG:3006 {url}", "/vsicurl/{url}/x.prj",
                                  "urn:ogc:def:crs:EPSG::3006\n{url}"])
def test_geojson_crs_name_that_is_a_url_is_refused_without_a_request(tmp_path: Path, server,  # noqa: F811
                                                                     name: str) -> None:
    url, seen = server
    document = json.loads(grid_frame().to_crs(4326).to_json())
    document["crs"] = {"type": "name", "properties": {"name": name.format(url=url)}}
    path = tmp_path / "kommundelar.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(AreaFileError, match="anger inget EPSG-koordinatsystem"):
        read_areas(path)
    assert seen == []


def test_zipped_shapefile_whose_prj_is_a_url_makes_no_request(tmp_path: Path,
                                                              server) -> None:  # noqa: F811
    url, seen = server
    shapes = write_zipped_shapefile(grid_frame(), tmp_path / "ok.zip")
    path = _rezip(shapes, tmp_path / "kommundelar.zip",
                  {".prj": f"{url}/epsg.prj".encode()})
    try:
        read_areas(path)
    except AreaFileError as err:
        assert url not in str(err)
    assert seen == []


def _with_crs(grid_json: str, crs_members: str) -> str:
    features = json.loads(grid_json)["features"]
    return ('{"type": "FeatureCollection", ' + crs_members + ', "features": '
            + json.dumps(features) + "}")


def test_geojson_with_a_link_crs_beside_a_safe_one_is_refused_without_a_request(
        tmp_path: Path, server) -> None:  # noqa: F811
    """Duplicate keys: Python's json keeps the last 'crs' (an EPSG name), a parser that kept
    the first would see a link to fetch."""
    url, seen = server
    path = tmp_path / "kommundelar.geojson"
    path.write_text(_with_crs(grid_frame().to_crs(4326).to_json(), (
        '"crs": {"type": "link", "properties": {"href": "' + url + '/crs.wkt", "type": '
        '"ogcwkt"}}, "crs": {"type": "name", "properties": {"name": "EPSG:4326"}}')),
        encoding="utf-8")

    with pytest.raises(AreaFileError, match="medlemmen 'crs' anger inget EPSG"):
        read_areas(path)
    assert seen == []


def test_geojson_crs_link_under_an_escaped_key_makes_no_request(tmp_path: Path,
                                                               server) -> None:  # noqa: F811
    """'cr\\u0073' is 'crs' to GDAL's JSON parser; whatever the format check sees, GDAL in
    the reading child has no network."""
    url, seen = server
    path = tmp_path / "kommundelar.geojson"
    path.write_text(_with_crs(grid_frame().to_crs(4326).to_json(), (
        '"cr\\u0073": {"type": "link", "properties": {"href": "' + url + '/crs.wkt", '
        '"type": "ogcwkt"}}')), encoding="utf-8")
    try:
        read_areas(path)
    except AreaFileError as err:
        assert url not in str(err)
    assert seen == []


# -- GeoPackage: SQL that would run when read ---------------------------------------------

def _gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "kommundelar.gpkg"
    grid_frame().to_file(path, driver="GPKG", layer="omr")
    return path


def test_gpkg_generated_column_in_the_layer_is_refused_before_it_is_computed(
        tmp_path: Path) -> None:
    path = _gpkg(tmp_path)
    with sqlite3.connect(path) as con:
        con.execute("ALTER TABLE omr ADD COLUMN bomb BLOB AS (zeroblob(2000000000)) VIRTUAL")
    con.close()

    with pytest.raises(AreaFileError, match="den beräknade kolumnen 'omr.bomb'"):
        read_areas(path)


def test_gpkg_virtual_table_named_as_an_rtree_index_reads_no_server_file(
        tmp_path: Path, canary: Path) -> None:  # noqa: F811
    """A VirtualOGR table (GDAL's module that opens any file) named like a spatial index,
    its SQL mentioning 'USING rtree(' in a comment, listed as the layer."""
    path = _gpkg(tmp_path)
    sql = (f"CREATE VIRTUAL TABLE rtree_omr_geom USING VirtualOGR('{canary}') "
           "/* USING rtree( */")
    con = sqlite3.connect(path)
    con.execute("PRAGMA writable_schema=ON")
    con.execute("INSERT INTO sqlite_master VALUES ('table', 'rtree_omr_geom', "
                "'rtree_omr_geom', 0, ?)", (sql,))
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                "VALUES ('rtree_omr_geom', 'features', 'x', 3006)")
    con.commit()
    con.close()

    try:
        frame = read_areas(path).frame
    except AreaFileError as err:
        assert CANARY not in str(err)
    else:
        assert CANARY not in frame.to_json()


# -- 2. bounded work ----------------------------------------------------------------------

def _wkb_line(claimed_points: int, real_points: int = 2) -> bytes:
    return (struct.pack("<BII", 1, 2, claimed_points)
            + b"".join(struct.pack("<dd", float(k), 0.0) for k in range(real_points)))


def test_geoparquet_whose_wkb_claims_two_billion_points_is_refused_in_swedish(
        tmp_path: Path) -> None:
    meta = {"version": "1.0.0", "primary_column": "geometry",
            "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["LineString"]}}}
    table = pa.table({"area_id": ["A"], "geometry": [_wkb_line(2**31 - 1)]})
    table = table.replace_schema_metadata({"geo": json.dumps(meta)})
    path = tmp_path / "kommundelar.parquet"
    pq.write_table(table, path)

    with pytest.raises(AreaFileError, match="kunde inte läsas som GeoParquet: filen är skadad"):
        read_areas(path)


def _xlsx_with_shared_strings(path: Path, entries: int, prefix: bytes = b"") -> Path:
    """A one-cell workbook whose table of shared strings holds ``entries`` texts that no
    cell uses (openpyxl writes none of its own, so the part is added with its links)."""
    book = openpyxl.Workbook()
    book.active.append(["area_id", "x"])
    book.active.append(["0126R001", 1])
    plain = path.with_name("plain.xlsx")
    book.save(plain)
    tag = prefix + b":" if prefix else b""
    body = b"".join(b"<%ssi><%st>%08x</%st></%ssi>" % (tag, tag, k * 2654435761 % 2**32, tag,
                                                      tag) for k in range(entries))
    namespace = b" xmlns%s=\"%s\"" % (b":" + prefix if prefix else b"", b"http://schemas."
                                      b"openxmlformats.org/spreadsheetml/2006/main")
    shared = b"<%ssst%s>%s</%ssst>" % (tag, namespace, body, tag)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocum'
                                    b'ent.spreadsheetml.sharedStrings+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http:'
                                    b"//schemas.openxmlformats.org/officeDocument/2006/relation"
                                    b'ships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            dst.writestr(info.filename, data)
        dst.writestr("xl/sharedStrings.xml", shared)
    return path


@pytest.mark.parametrize("prefix", [b"", b"x"])
def test_xlsx_with_shared_strings_no_cell_uses_is_refused_before_openpyxl_loads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: bytes) -> None:
    """openpyxl loads every shared string when the book opens, before a row is counted:
    2 million unused ones (a 16 MB upload) took 98 s and 315 MB in the app's process."""
    path = _xlsx_with_shared_strings(tmp_path / "tabell.xlsx", 30_000, prefix)
    monkeypatch.setenv("PREVMAP_MAX_CELLS", "20000")

    with pytest.raises(FileLimitError, match=r"del xl/sharedStrings.xml \(delade texter\)\W.*"
                                             r"antal celler.* är 30\u202f000, över gränsen "
                                             r"20\u202f000"):
        read_raw_table(path)
    monkeypatch.setenv("PREVMAP_MAX_CELLS", "30000")
    assert read_raw_table(path).frame["area_id"].tolist() == ["0126R001"]


# -- 4. text from files, in exports and on a terminal -------------------------------------

HOSTILE_NAMES = ['<img src="http://127.0.0.1:9/IMG" onerror="alert(1)"></script><script>x',
                 '=HYPERLINK("http://127.0.0.1:9/x?"&B2,"klick")',
                 "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3", "\tTAB=1+1"]


@pytest.fixture(scope="module")
def hostile_export(tmp_path_factory) -> Path:
    """``prevmap export`` of Huddinge's areas renamed with HTML and spreadsheet formulas."""
    out = tmp_path_factory.mktemp("hostile")
    areas = load_inputs().areas.frame.copy()
    areas["area_name"] = HOSTILE_NAMES + list(areas["area_name"][len(HOSTILE_NAMES):])
    areas.to_crs(4326).to_file(out / "omraden.geojson", driver="GeoJSON")
    # A point file whose name and points are HTML: its name becomes a layer and a column.
    inside = areas.geometry.representative_point()
    points = out / "<img src=x onerror=alert(1)>skolor.csv"
    points.write_text("\n".join(["namn;x;y", *(f"<img src=x onerror=alert(2)>{k};{p.x:.0f};"
                                              f"{p.y:.0f}" for k, p in enumerate(inside[:3]))]),
                      encoding="utf-8")
    code = main(["export", "--areas", str(out / "omraden.geojson"), "--id-column", "area_id",
                 "--name-column", "area_name", "--out", str(out / "k.html"),
                 "--rapport", str(out / "r.html"), "--excel", str(out / "x.xlsx"),
                 "--punkter", str(points)])
    assert code == 0
    return out


@pytest.mark.parametrize("name", ["k.html", "r.html"])
def test_html_in_area_names_stays_text_in_the_exported_map_and_report(hostile_export: Path,
                                                                      name: str) -> None:
    html = (hostile_export / name).read_text(encoding="utf-8")
    assert "127.0.0.1:9/IMG" in html             # the name is there ...
    assert '<img src="http://127.0.0.1:9' not in html     # ... but never as a tag
    assert "</script><script>x" not in html
    assert "onerror=alert(1)&gt;skolor" in html and "<img src=x" not in html


def test_spreadsheet_formulas_in_area_names_are_text_in_csv_and_excel(
        hostile_export: Path) -> None:
    book = openpyxl.load_workbook(hostile_export / "x.xlsx")
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and "cmd|" in c.value or c.data_type == "f"]
    assert cells and all(c.data_type == "s" for c in cells)
    ranking = pd.read_csv(hostile_export / "k.csv", sep=";", encoding="utf-8-sig")
    starts = {str(v)[:1] for v in ranking["Område"]}
    assert not starts & set("=+-@\t\r")


@pytest.mark.parametrize("text,shown", [
    ("\x1b]8;;http://127.0.0.1:9/\x1b\\klick\x1b]8;;\x1b\\", "\\x1b]8;;http://127.0.0.1:9/"),
    ("\x9b2J", "\\x9b2J"), ("a\rb", "a\\x0db"),
    ("Åre\u00a0kommun – Örebro", "Åre\u00a0kommun – Örebro")])
def test_terminal_text_escapes_hyperlinks_csi_and_carriage_return(text: str,
                                                                       shown: str) -> None:
    assert shown in terminal_text(text)


@requires_browser
def test_pdf_renderer_fetches_no_ip_address_a_page_names(server) -> None:  # noqa: F811
    """The renderer resolves no host name, but an IP address needs no resolving: an image
    at http://127.0.0.1:port (were HTML ever injected) must still not be fetched."""
    from geo.export.render import pdf_and_png

    url, seen = server
    page = (f'<html><body><img src="{url}/bild.png"><link rel="stylesheet" href="{url}/s.css">'
            f'<iframe src="{url}/ram"></iframe><script src="{url}/s.js"></script>'
            f"<p style=\"background:url('{url}/bg.png')\">text</p></body></html>").encode()
    pdf, png = pdf_and_png(page, page)
    assert pdf.startswith(b"%PDF") and png.startswith(b"\x89PNG")
    assert seen == []


# -- settings files -----------------------------------------------------------------------

def test_settings_toml_nested_50000_deep_is_a_settings_error(tmp_path, capsys) -> None:
    text = "a = " + "[" * 50_000 + "]" * 50_000 + "\n"
    with pytest.raises(SettingsError, match="fil 'djup.toml': filen har listor eller tabeller "
                                            "nästlade i för många nivåer"):
        AnalysisSettings.from_toml(text, source="djup.toml")
    (tmp_path / "djup.toml").write_text(text, encoding="utf-8")

    assert main(["export", "--settings", str(tmp_path / "djup.toml"),
                 "--out", str(tmp_path / "k.html")]) == 2
    err = capsys.readouterr().err
    assert "RecursionError" not in err and "djup.toml" in err


def test_app_settings_upload_nested_50000_deep_is_told_as_the_files_fault() -> None:
    from test_app_safety import uploader

    at = demo_app()
    deep = ("a = " + "[" * 50_000 + "]" * 50_000 + "\n").encode()
    uploader(at, "settings_file").upload("djup.toml", deep, "application/toml").run()

    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "nästlade i för många nivåer" in said and "djup" in said
    assert "oväntat fel" not in said and "RecursionError" not in said


# -- 5. passwords -------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "postgresql://u:pa'ssKANARIE@127.0.0.1:1/db", "postgresql://u:pa ssKANARIE@127.0.0.1:1/db",
    'postgresql://u:pa"ssKANARIE@127.0.0.1:1/db', "postgresql://u:KAN<ARIE@127.0.0.1:1/db",
    "postgresql://u:KAN\\ARIE@127.0.0.1:1/db", "postgresql://u:KANARIE@[::1:1/db",
    "postgresql://u:KANARIE@127.0.0.1:notaport/db", "postgresql://u:KAN%40ARIE@127.0.0.1:1/db",
    "postgresql://u@127.0.0.1:1/db?PassWord=KANARIE",
    "postgresql://u@127.0.0.1:1/db?sslkey=/x&sslpassword=KAN%26ARIE",
    "host=127.0.0.1 port=1 password=KANARIE"])
def test_plan_verify_never_prints_a_password_in_odd_url_forms(url: str, capsys) -> None:
    assert main(["plan", "verify", "--database", url]) == 2
    out = capsys.readouterr()
    printed = (out.out + out.err).replace("\\", "")
    assert "prevmap:" in out.err
    for part in ("KANARIE", "KAN<ARIE", "KAN@ARIE", "KAN&ARIE", "KAN%40ARIE", "KAN%26ARIE",
                 "ssKAN"):
        assert part not in printed


def _gzip_of_zeros(size: int) -> bytes:
    """gzip of ``size`` zero bytes, made a megabyte at a time (never ``size`` in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024**2)
    return b"".join([*(packer.compress(block) for _ in range(size // len(block))),
                     packer.flush()])


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip,gzip,gzip"])
def test_gzip_bomb_in_a_chain_of_encodings_is_cut_at_the_cap_with_little_memory(
        hostile, tmp_path, encoding: str) -> None:  # noqa: F811
    """Each layer multiplies: 200 MB of zeros are 200 kB gzipped and about 1 kB gzipped
    again; the cap must hold after the last layer is undone, chunk by chunk."""
    from test_http_hostile import MB, fetcher_for

    bomb = _gzip_of_zeros(200 * MB)
    for _ in range(encoding.count("gzip") - 1):
        bomb = gzip.compress(bomb, compresslevel=9)

    def script(answering, conn) -> None:
        answering.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          b"Content-Encoding: %s\r\nContent-Length: %d\r\n\r\n"
                          % (encoding.encode(), len(bomb)) + bomb)

    bomb_server = hostile(script)
    fetcher, _ = fetcher_for(tmp_path, max_bytes=1 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="är större än gränsen 1,0 MB; hämtningen avbröts"):
            fetcher.get_json(bomb_server.url + "data")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB


# -- 3. local mode answers only to this computer -----------------------------------------

@pytest.mark.parametrize("host", [
    "localhost.evil.example:8501", "127.0.0.1.nip.io:8501", "evil.example:8501",
    "localhost:8501@evil.example", "localhost.:8501", "LOCALHOST.evil.example", "", "  "])
def test_rebinding_host_names_are_not_local(host: str) -> None:
    assert not is_local_host(host)
