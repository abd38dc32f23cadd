"""Attacks on the readers of a user's spatial file (geo.io.safe_files): a file can only be what
its name claims, GDAL reaches no other file and no network, and its work is bounded."""

from __future__ import annotations

import http.server
import json
import os
import re
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
from geo_fixtures import GRID_IDS, bow_tie, grid_frame, write_zipped_shapefile
from shapely.geometry import Point, Polygon

from geo.cli import main
from geo.io.areas import read_areas, read_layer
from geo.io.jsontext import json_depth
from geo.io.limits import FileLimitError, FileLimits
from geo.io.overlays import read_utsatta_omraden
from geo.io.points import read_points
from geo.io.safe_files import run_bounded, self_crossings
from geo.spatial.comparisons import read_point_layer
from indicators.errors import AreaFileError, OverlayFileError, PointFileError

CANARY = "hemligt_losenord_kanariefagel"


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """A server file a VRT would read: its first line becomes a column name."""
    path = tmp_path / "hemlig.csv"
    path.write_text(f"{CANARY},regsokod\n{CANARY},A1\n", encoding="utf-8")
    return path


def vrt(source: str, layer: str) -> str:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="{layer}"><SrcDataSource>{source}'
            f"</SrcDataSource><SrcLayer>{layer}</SrcLayer></OGRVRTLayer></OGRVRTDataSource>")


class Recorder(http.server.BaseHTTPRequestHandler):
    """Records every request; answers 404."""

    seen: list[str]

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.seen.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A localhost HTTP server that must see no request; its base URL and the requests."""
    seen: list[str] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def write_geojson(path: Path, frame: gpd.GeoDataFrame) -> Path:
    path.write_text(frame.to_crs(4326).to_json(), encoding="utf-8")
    return path


# -- the format is what the name claims ----------------------------------------------------

@pytest.mark.parametrize("name", ["kommundelar.geojson", "kommundelar.gpkg", "kommundelar.json"])
def test_vrt_disguised_as_geojson_cannot_read_server_files(tmp_path: Path, canary: Path,
                                                           name: str) -> None:
    path = tmp_path / name
    path.write_text(vrt(f"CSV:{canary}", canary.stem), encoding="utf-8")

    with pytest.raises(AreaFileError, match=f"fil '{re.escape(name)}' kunde inte läsas som "
                       "(GeoJSON: filen börjar inte med|GeoPackage: filen är ingen SQLite)") \
            as err:
        read_areas(path)
    assert CANARY not in str(err.value)
    with pytest.raises(OverlayFileError, match="kunde inte läsas som") as err:
        read_utsatta_omraden(path)
    assert CANARY not in str(err.value)


def test_vrt_disguised_as_a_point_file_cannot_read_server_files(tmp_path: Path,
                                                                 canary: Path) -> None:
    path = tmp_path / "skolor.geojson"
    path.write_text(vrt(f"CSV:{canary}", canary.stem), encoding="utf-8")

    with pytest.raises(PointFileError, match="kunde inte läsas som GeoJSON") as err:
        read_point_layer(path)
    assert CANARY not in str(err.value)


def test_vrt_with_vsicurl_makes_no_request(tmp_path: Path, server) -> None:
    url, seen = server
    path = tmp_path / "kommundelar.geojson"
    path.write_text(vrt(f"/vsicurl/{url}/x.csv", "x"), encoding="utf-8")

    with pytest.raises(AreaFileError, match="filen börjar inte med '\\{'"):
        read_layer(path)
    assert seen == []


def test_geojson_crs_link_makes_no_request(tmp_path: Path, server) -> None:
    url, seen = server
    document = json.loads(grid_frame().to_crs(4326).to_json())
    document["crs"] = {"type": "link", "properties": {"href": f"{url}/crs.wkt",
                                                      "type": "ogcwkt"}}
    path = tmp_path / "kommundelar.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(AreaFileError, match="medlemmen 'crs' anger inget "
                                            "EPSG-koordinatsystem"):
        read_areas(path)
    assert seen == []


def test_geojson_crs_under_an_escaped_key_is_refused(tmp_path: Path, server) -> None:
    url, seen = server
    document = grid_frame().to_crs(4326).to_json()
    path = tmp_path / "kommundelar.geojson"
    path.write_text('{"cr\\u0073": {"type": "link", "properties": {"href": "' + url
                    + '/crs.wkt"}}, ' + document[1:], encoding="utf-8")

    with pytest.raises(AreaFileError, match="en nyckel överst i filen är skriven med "
                                            "escape-tecken"):
        read_areas(path)
    assert seen == []


def test_geojson_with_an_escaped_top_level_name_reads(tmp_path: Path) -> None:
    path = tmp_path / "ytor.geojson"
    path.write_text('{"name": "Sk\\u00e5ne \\\\ 2", ' + grid_frame().to_crs(4326).to_json()[1:],
                    encoding="utf-8")

    assert read_layer(path)["area_id"].tolist() == GRID_IDS


def test_gdal_algorithm_disguised_as_geojson_makes_no_request(tmp_path: Path, server) -> None:
    url, seen = server
    path = tmp_path / "kommundelar.geojson"
    path.write_text(json.dumps({
        "type": "gdal_streamed_alg",
        "command_line": f"gdal vector pipeline read /vsicurl/{url}/x.geojson ! write "
                        "--of stream streamed_dataset"}), encoding="utf-8")

    with pytest.raises(AreaFileError, match='överst ska stå "type": "FeatureCollection"'):
        read_areas(path)
    assert seen == []


def test_gdal_in_the_reading_child_has_no_network(server) -> None:
    """Behind the format checks: GDAL itself, asked for a URL in the child, sends nothing."""
    url, seen = server

    # GDAL finds no such file: in the child /vsicurl/ opens only a name that does not exist.
    with pytest.raises(pyogrio.errors.DataSourceError,
                       match="x.geojson' does not exist in the file system"):
        run_bounded(pyogrio.read_dataframe, (f"/vsicurl/{url}/x.geojson",), FileLimits(), "x")
    with pytest.raises(pyogrio.errors.DataSourceError,
                       match="y.geojson: No such file or directory"):
        run_bounded(pyogrio.read_info, (f"GeoJSON:/vsicurl/{url}/y.geojson",), FileLimits(),
                    "y")
    assert seen == []


def test_bang_in_a_file_name_reads_its_own_content(tmp_path: Path) -> None:
    """pyogrio reads 'a.zip!b.geojson' as member b.geojson of a.zip: never the user's name."""
    decoy = grid_frame().iloc[:1]
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("b.geojson", decoy.to_crs(4326).to_json())
    path = write_geojson(tmp_path / "a.zip!b.geojson", grid_frame())

    assert read_areas(path).frame["area_id"].tolist() == GRID_IDS


@pytest.mark.parametrize("name", ["vsizip_{x}.geojson", "GeoJSON:a.geojson", "a b!.json",
                                  "GPKG:ytor.gpkg"])
def test_odd_file_names_read_their_own_content(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    if target.suffix == ".gpkg":
        pyogrio.write_dataframe(grid_frame(), target, driver="GPKG")
    else:
        write_geojson(target, grid_frame())

    assert read_layer(target)["area_id"].tolist() == GRID_IDS


def test_copy_is_removed_after_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / "privat"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = write_geojson(tmp_path / "ytor.geojson", grid_frame())

    read_layer(path)
    assert list(private.iterdir()) == []


# -- GeoPackage: SQL that runs when read ----------------------------------------------------

def add_counting_view(path: Path, rows: int) -> None:
    """A view layer that counts to ``rows`` with a recursive CTE, registered as features."""
    con = sqlite3.connect(path)
    with con:
        con.execute(f"CREATE VIEW bomb AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                    f"SELECT x + 1 FROM c LIMIT {rows}) SELECT x AS fid, "
                    f"'A' || x AS area_id, (SELECT geom FROM ytor LIMIT 1) AS geom FROM c")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                    "VALUES ('bomb', 'features', 'bomb', 3006)")
        con.execute("INSERT INTO gpkg_geometry_columns VALUES ('bomb', 'geom', 'POLYGON', "
                    "3006, 0, 0)")
    con.close()


def test_gpkg_view_with_recursive_count_is_refused_before_it_runs(tmp_path: Path) -> None:
    path = tmp_path / "kommundelar.gpkg"
    pyogrio.write_dataframe(grid_frame(), path, layer="ytor", driver="GPKG")
    add_counting_view(path, 1_000_000)

    with pytest.raises(AreaFileError, match="GeoPackagen innehåller vyn 'bomb'; vyer, "
                                            "triggrar och andra tabeller"):
        read_layer(path, layer="bomb")
    with pytest.raises(AreaFileError, match="vyn 'bomb'"):
        read_areas(path)


def test_gpkg_with_a_foreign_trigger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kommundelar.gpkg"
    pyogrio.write_dataframe(grid_frame(), path, layer="ytor", driver="GPKG")
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TRIGGER spion AFTER INSERT ON ytor BEGIN "
                    "DELETE FROM ytor; END")
    con.close()

    with pytest.raises(AreaFileError, match="triggern 'spion'"):
        read_areas(path)


def test_gpkg_virtual_table_named_as_an_rtree_index_is_refused(tmp_path: Path,
                                                              canary: Path) -> None:
    """GDAL's VirtualOGR module opens any file; 'USING rtree(' hidden in a comment."""
    path = tmp_path / "kommundelar.gpkg"
    pyogrio.write_dataframe(grid_frame(), path, layer="ytor-2023", driver="GPKG")
    assert read_layer(path)["area_id"].tolist() == GRID_IDS  # its real index is accepted
    con = sqlite3.connect(path)
    with con:
        con.execute("PRAGMA writable_schema=ON")
        con.execute("INSERT INTO sqlite_master VALUES ('table', 'rtree_x_geom', "
                    "'rtree_x_geom', 0, ?)", (f"CREATE VIRTUAL TABLE rtree_x_geom USING "
                                              f"VirtualOGR('{canary}') /* USING rtree( */",))
    con.close()

    with pytest.raises(AreaFileError, match="den virtuella tabellen 'rtree_x_geom'") as err:
        read_areas(path)
    assert CANARY not in str(err.value)


def test_plain_sqlite_named_gpkg_is_refused(tmp_path: Path) -> None:
    """GDAL's SQLite driver would read it (and its SQL functions); a GeoPackage it is not."""
    path = tmp_path / "kommundelar.gpkg"
    pyogrio.write_dataframe(grid_frame(), path, layer="ytor", driver="SQLite")

    with pytest.raises(AreaFileError, match="kunde inte läsas som GeoPackage: "
                                            "SQLite-databasen är märkt som"):
        read_areas(path)


# -- bounded work ----------------------------------------------------------------------------

def test_too_many_vertices_in_geojson_names_the_limit(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_VERTICES", "40")
    path = write_geojson(tmp_path / "ytor.geojson", grid_frame())  # 9 boxes of 5 vertices

    with pytest.raises(FileLimitError, match="fil 'ytor.geojson': filens antal hörnpunkter i "
                                             "hela filen är 45, över gränsen 40.*"
                                             "PREVMAP_MAX_VERTICES"):
        read_areas(path)


def test_too_many_vertices_in_one_feature_names_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_VERTICES_PER_FEATURE", "100")
    circle = Point(600_000, 6_560_000).buffer(500, quad_segs=64)  # 257 vertices
    frame = gpd.GeoDataFrame({"area_id": ["A1"]}, geometry=[circle], crs=3006)
    path = tmp_path / "ytor.zip"
    write_zipped_shapefile(frame, path)

    with pytest.raises(FileLimitError, match="antal hörnpunkter i ett objekt är 257, över "
                                             "gränsen 100.*PREVMAP_MAX_VERTICES_PER_FEATURE"):
        read_areas(path)


@pytest.mark.parametrize("suffix", [".zip", ".gpkg", ".parquet", ".geojson"])
def test_too_many_features_names_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           suffix: str) -> None:
    monkeypatch.setenv("PREVMAP_MAX_FEATURES", "5")
    path = tmp_path / f"ytor{suffix}"
    if suffix == ".zip":
        write_zipped_shapefile(grid_frame(), path)
    elif suffix == ".parquet":
        grid_frame().to_parquet(path)
    elif suffix == ".gpkg":
        pyogrio.write_dataframe(grid_frame(), path, driver="GPKG")
    else:
        write_geojson(path, grid_frame())

    with pytest.raises(FileLimitError, match="antal objekt \\(ytor eller punkter\\) är 9, "
                                             "över gränsen 5.*PREVMAP_MAX_FEATURES=10"):
        read_layer(path)


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ytor.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [], "x": '
                    + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")

    with pytest.raises(AreaFileError, match="JSON-strukturen är 5001 nivåer djup, mer än "
                                            "gränsen 64"):
        read_layer(path)


def test_json_depth_skips_brackets_in_strings() -> None:
    assert json_depth(b'{"a": "[[[{{\\"[", "b": [[1]]}') == 3


def test_reading_child_refuses_more_memory_than_the_limit() -> None:
    limits = FileLimits(max_memory_bytes=1024**3)

    assert len(run_bounded(bytearray, (10 * 1024**2,), limits, "ytor.gpkg")) == 10 * 1024**2
    with pytest.raises(FileLimitError, match="fil 'ytor.gpkg': läsningen avbröts: filen krävde "
                                             "troligen mer minne.*PREVMAP_MAX_MEMORY_BYTES"):
        run_bounded(bytearray, (2 * 1024**3,), limits, "ytor.gpkg")


def test_reading_child_is_stopped_at_the_deadline() -> None:
    with pytest.raises(FileLimitError, match="tid för att läsa filen \\(sekunder\\) är 2, över "
                                             "gränsen 1.*PREVMAP_MAX_SECONDS"):
        run_bounded(time.sleep, (30,), FileLimits(max_seconds=1), "ytor.gpkg")


def test_reading_child_that_exits_for_another_reason_is_not_blamed_on_memory() -> None:
    with pytest.raises(AreaFileError, match="läsningen avbröts oväntat.*kod 3") as err:
        run_bounded(os._exit, (3,), FileLimits(), "ytor.gpkg")
    assert "minne" not in str(err.value) and not isinstance(err.value, FileLimitError)
    assert not str(err.value).startswith("Filen är för stor")


def test_link_to_an_endless_device_is_refused_without_filling_the_disk(tmp_path: Path) -> None:
    link = tmp_path / "ytor.geojson"
    link.symlink_to("/dev/zero")
    with pytest.raises(AreaFileError, match="ytor.geojson.*ingen vanlig fil"):
        read_areas(link)


def test_file_that_grows_past_the_limit_while_copied_is_cut(tmp_path: Path) -> None:
    # a file whose size on disk said it fits, but which is larger when read: the copy stops
    path = tmp_path / "ytor.geojson"
    path.write_bytes(b" " * (3 * 1024 * 1024))
    limits = FileLimits(max_bytes=2 * 1024 * 1024)
    from geo.io.safe_files import _bounded_copy

    with pytest.raises(FileLimitError, match="storlek på disk.*PREVMAP_MAX_BYTES"):
        _bounded_copy(path, tmp_path / "kopia.geojson", limits, path.name)
    assert (tmp_path / "kopia.geojson").stat().st_size <= 2 * 1024 * 1024


# -- broken files: a Swedish message, no traceback or server path ----------------------------

def write_broken_geoparquet(path: Path) -> Path:
    """Valid Parquet with GeoParquet metadata whose geometry bytes are no WKB."""
    frame = grid_frame()
    frame.to_parquet(path)
    table = pq.read_table(path)
    geometry = pa.array([b"\x01\x03\x00\x00\x00garbage"] * len(frame), type=pa.binary())
    table = table.set_column(table.schema.get_field_index("geometry"), "geometry", geometry)
    pq.write_table(table, path)
    return path


def test_broken_geoparquet_is_an_area_file_error_without_server_path(tmp_path: Path) -> None:
    path = write_broken_geoparquet(tmp_path / "ytor.parquet")

    with pytest.raises(AreaFileError, match="fil 'ytor.parquet' kunde inte läsas som "
                                            "GeoParquet: filen är skadad") as err:
        read_areas(path)
    assert str(tmp_path) not in str(err.value) and "prevmap-read" not in str(err.value)
    assert "Traceback" not in str(err.value)


def test_truncated_parquet_is_refused_by_its_magic(tmp_path: Path) -> None:
    path = tmp_path / "ytor.parquet"
    grid_frame().to_parquet(path)
    path.write_bytes(path.read_bytes()[:-10])

    with pytest.raises(AreaFileError, match="kunde inte läsas som GeoParquet: filen börjar "
                                            "eller slutar inte med 'PAR1'"):
        read_areas(path)


def test_cli_exits_2_on_a_broken_geoparquet(tmp_path: Path, capsys) -> None:
    path = write_broken_geoparquet(tmp_path / "ytor.parquet")

    code = main(["export", "--areas", str(path), "--out", str(tmp_path / "k.html")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "fil 'ytor.parquet' kunde inte läsas som GeoParquet" in err
    assert "Traceback" not in err and "prevmap-read" not in err


def test_shapefile_part_without_magic_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ytor.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ytor.shp", vrt("/etc/passwd", "passwd"))
        archive.writestr("ytor.shx", b"\x00" * 100)
        archive.writestr("ytor.dbf", b"\x00" * 100)

    with pytest.raises(AreaFileError, match="kunde inte läsas som zippad Shapefile: .shp-filen "
                                            "i arkivet börjar inte med Shapefilens kännetecken"):
        read_areas(path)


def test_point_file_named_with_a_bang_reads_its_own_content(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"namn": ["Skola"]}, geometry=[Point(18.0, 59.3)], crs=4326)
    path = write_geojson(tmp_path / "skolor!.geojson", frame)

    assert read_points(path).frame["namn"].tolist() == ["Skola"]


def tangle(n: int, seed: int = 1) -> Polygon:
    """A ring through ``n`` random points near Huddinge: it crosses itself about n²/10 times."""
    rng = np.random.default_rng(seed)
    return Polygon(rng.uniform(0, 1000, (n, 2)) + (600_000, 6_560_000))


def test_polygon_crossing_itself_too_often_is_refused_before_repair(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_SELF_CROSSINGS", "100")
    frame = gpd.GeoDataFrame({"area_id": ["A1", "A2"]},
                             geometry=[grid_frame().geometry[0], tangle(60)], crs=3006)
    path = write_geojson(tmp_path / "ytor.geojson", frame)

    with pytest.raises(FileLimitError, match="fil 'ytor.geojson': filens antal ställen där "
                                             "ogiltiga ytor korsar sig själva är \\d+, över "
                                             "gränsen 100.*PREVMAP_MAX_SELF_CROSSINGS"):
        read_areas(path)


def test_overlay_crossing_itself_too_often_is_refused_before_repair(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVMAP_MAX_SELF_CROSSINGS", "100")
    frame = gpd.GeoDataFrame({"namn": ["Centrum"], "niva": ["utsatt område"]},
                             geometry=[tangle(60)], crs=3006)
    path = write_geojson(tmp_path / "utsatta.geojson", frame)

    with pytest.raises(FileLimitError, match="korsar sig själva.*PREVMAP_MAX_SELF_CROSSINGS"):
        read_utsatta_omraden(path)


def test_self_crossings_counts_a_bow_tie_once_and_a_box_never() -> None:
    square = grid_frame().geometry[0]

    assert self_crossings(bow_tie(square), 10) == 1
    assert self_crossings(square, 10) == 0
    assert 10 < self_crossings(tangle(200), 10) < 10 + 16 * 200  # stops after one chunk



def test_bundled_areas_are_read_in_the_process_and_a_copy_in_the_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prevmap's own area file is read in the process (a command or a cold start does not
    wait for the fork server); the same bytes as the user's file go to the bounded child,
    and both give the same table."""
    from geo.inputs import DEFAULT_AREAS
    from geo.io import safe_files

    children: list[str] = []

    def spy(func, args, limits, name):  # noqa: ANN001, ANN202 - run_bounded's signature
        children.append(name)
        return run_bounded(func, args, limits, name)

    monkeypatch.setattr(safe_files, "run_bounded", spy)
    bundled = read_layer(DEFAULT_AREAS)
    assert children == []
    upload = tmp_path / "ytor.parquet"
    upload.write_bytes(DEFAULT_AREAS.read_bytes())
    uploaded = read_layer(upload)
    assert children == ["ytor.parquet"]
    assert bundled.to_wkb().equals(uploaded.to_wkb()) and bundled.crs == uploaded.crs
