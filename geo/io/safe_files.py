"""Reading a user's spatial file so that it can only be what it claims, with bounded work.

GDAL picks its driver from a file's *content*, not its name: a file uploaded as
``kommundelar.geojson`` that is really a VRT (``<OGRVRTDataSource>``) reads any file the
server can read or fetches any URL; a GeoJSON whose ``crs`` is a ``link`` makes GDAL fetch
that link; a GeoPackage is an SQLite database whose views run any SQL when read. And a small
file can ask for minutes of CPU or gigabytes of memory. :func:`read_spatial_file`, used by
every reader of a user's spatial file (areas, kommundelar, population layers, utsatta
områden, point files), therefore

1. takes the format from the file name's suffix (:data:`FORMATS`) and checks the file's
   own bytes against it before any parser sees it:

   * GeoJSON: first non-blank byte ``{``, valid JSON (parsed by Python, nesting at most
     :data:`MAX_JSON_DEPTH` deep), a ``FeatureCollection`` or ``Feature``, and a ``crs``
     member, if any, only of the form ``{"type": "name", ...}`` with an EPSG or CRS84 name;
   * GeoPackage: the ``SQLite format 3`` header and application id ``GPKG``/``GP10``/
     ``GP11``; inspected with Python's ``sqlite3`` (read-only, immutable): no views, no
     triggers, no generated columns, no virtual table but the R-tree index, and every
     table a GeoPackage system table or listed in ``gpkg_contents``; the layer's row count
     is checked before GDAL opens it;
   * GeoParquet: ``PAR1`` at start and end, read with pyarrow (never GDAL), the row count,
     column count and decoded size checked in the file's metadata first;
   * zipped Shapefile: ``PK\\x03\\x04``, unpacked by :mod:`geo.io.safezip`, the ``.shp`` and
     ``.shx`` starting with the Shapefile magic number 9994 (``0x0000270A``) and the
     feature count, from the ``.shx`` size, checked first;

2. hands GDAL a copy under a name of our own (``upload.geojson``) in a private temporary
   folder, removed afterwards (a ``!`` or a ``/vsizip/`` in the user's name never reaches
   GDAL), with the driver forced (``GeoJSON:``/``GPKG:`` prefix) and checked after opening;

3. parses in a child process (the ``forkserver`` start method: the app is multi-threaded,
   so the parent is never plainly forked) with ``RLIMIT_AS`` (memory) and ``RLIMIT_CPU``
   set, and killed at a wall-clock deadline. In that child GDAL's network access is off:
   every HTTP request is sent to a proxy that does not exist (``GDAL_HTTP_PROXY`` with
   ``no_proxy`` removed from the child's environment), ``/vsicurl/`` accepts no file name
   but a nonexistent one (``CPL_VSIL_CURL_ALLOWED_FILENAME``), PROJ's network is off;

4. counts what was read (features, vertices in all and per feature) against
   :class:`geo.io.limits.FileLimits`, read from the environment
   (``PREVMAP_MAX_VERTICES=...``).

Every refusal is an :class:`AreaFileError` or a :class:`FileLimitError` in Swedish naming
the user's file (never the private copy's path), what was found and how to fix it.

Cost (``benchmarks/bench_safe_read.py``): the first read of a process starts the fork
server (about 1-2 s: a fresh interpreter imports geopandas); every read after that forks
it (tens of milliseconds) and sends the table back pickled. prevmap's own files under
``data/`` (:func:`is_bundled`, e.g. the default areas) get the same checks but are read in
the process: a command or a cold start of the app does not wait for the fork server.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import sqlite3
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import shapely

from geo.io.jsontext import JsonNesting, json_nesting
from geo.io.limits import FileLimitError, FileLimits, limits_from_env, refusal
from indicators.errors import AreaFileError, PrevmapError, Problem
from indicators.swedish import format_integer

#: The format each suffix claims, and the name a person reads.
FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg",
           ".parquet": "parquet", ".geoparquet": "parquet", ".zip": "shapezip"}
FORMAT_TEXT = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "parquet": "GeoParquet",
               "shapezip": "zippad Shapefile"}
#: The file name of the private copy GDAL or pyarrow opens.
PRIVATE_NAME = {"geojson": "upload.geojson", "gpkg": "upload.gpkg",
                "parquet": "upload.parquet", "shapezip": "upload.zip"}

#: Deepest JSON nesting accepted. A MultiPolygon's coordinates sit 8 levels deep in a
#: FeatureCollection (collection, features, feature, geometry, coordinates, polygon, ring,
#: position); 64 leaves room for nested properties and GeometryCollections.
MAX_JSON_DEPTH = 64
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"
#: GeoJSON ``crs`` names accepted: EPSG codes and CRS84, nothing GDAL would fetch.
CRS_NAME = re.compile(r"(?:urn:ogc:def:crs:(?:EPSG:[0-9.]*:\d+|OGC:[0-9.]*:CRS84)"
                      r"|EPSG:\d+|CRS84)", re.IGNORECASE)

#: GDAL settings in the reading child: no network, no reading beyond the opened file.
SAFE_GDAL_CONFIG = {
    # Any HTTP request (a /vsicurl/ path, a CRS link) goes to a proxy nobody listens on.
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    # /vsicurl/ only opens this one name, which does not exist.
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/prevmap-no-network",
    "CPL_ALLOW_VSISTDIN": "NO",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "PROJ_NETWORK": "OFF",
}
#: Environment variables removed in the child: they would let requests bypass the proxy.
PROXY_BYPASS_ENV = ("no_proxy", "NO_PROXY")


def _fix_for(kind: str) -> str:
    return {"geojson": "spara om filen som GeoJSON i GIS-programmet",
            "gpkg": "spara om filen som GeoPackage i GIS-programmet (Exportera lager)",
            "parquet": "spara om filen som GeoParquet, t.ex. med geopandas to_parquet",
            "shapezip": "zippa Shapefilens delar (.shp, .shx, .dbf, .prj) på nytt"}[kind]


def _not_readable(name: str, kind: str, reason: str) -> AreaFileError:
    """The refusal "fil 'x' kunde inte läsas som GeoJSON: <reason>. Åtgärd: ..."."""
    return AreaFileError(f"fil '{name}' kunde inte läsas som {FORMAT_TEXT[kind]}: {reason}. "
                         f"Åtgärd: {_fix_for(kind)}.")


# --- format checks (run in the child, on the private copy) ---------------------------------

FEATURE_TYPE = re.compile(rb'"type"\s*:\s*"Feature"')
#: Bytes decoded for one top-level value ("type", "crs"): a crs object is a few hundred.
TOP_VALUE_BYTES = 10_000


def _top_level(text: bytes, nesting: JsonNesting, key: str) -> list[object]:
    """The values of ``key`` in the outermost object of JSON ``text``, each decoded alone
    (an undecodable one is returned as ``Ellipsis``)."""
    decoder = json.JSONDecoder()
    values: list[object] = []
    for match in re.finditer(b'"' + key.encode() + rb'"\s*:\s*', text):
        if nesting.at(match.start()) != 1:
            continue
        piece = text[match.end():match.end() + TOP_VALUE_BYTES].decode("utf-8", "ignore")
        try:
            values.append(decoder.raw_decode(piece)[0])
        except ValueError:
            values.append(Ellipsis)
    return values


#: The rest of a JSON key from inside it: up to its closing quote and the colon.
_KEY_REST = re.compile(rb'(?:\\.|[^"\\])*"\s*:')
#: Backslashes looked at in the outermost object (legitimate files have none or a few).
MAX_TOP_ESCAPES = 100


def _refuse_escaped_top_keys(text: bytes, nesting: JsonNesting, name: str) -> None:
    """Refuse a key of the outermost object written with escapes ('"cr\\u0073"' is "crs"
    to GDAL): :func:`_top_level` finds keys by their plain spelling."""
    backslashes = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\\"))
    if not len(backslashes):
        return
    k = np.searchsorted(nesting.positions, backslashes, side="right") - 1
    depth = np.where(k >= 0, nesting.depths[np.maximum(k, 0)], 0)
    top = backslashes[depth == 1]
    starts = [int(at) for at in top if text[at - 1] != ord("\\")]  # not the 2nd of "\\\\"
    if len(top) > MAX_TOP_ESCAPES or any(_KEY_REST.match(text, at) for at in starts):
        raise _not_readable(name, "geojson", "en nyckel överst i filen är skriven med "
                                             "escape-tecken (\\), t.ex. \"cr\\u0073\" för "
                                             "\"crs\"")


def _check_geojson(path: Path, name: str, limits: FileLimits) -> None:
    """A GeoJSON object on top, not too deep, with no ``crs`` GDAL would fetch, and no more
    features than allowed. Whether the rest is valid JSON is GDAL's to say (forced to its
    GeoJSON driver)."""
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text.startswith(b"{"):
        raise _not_readable(name, "geojson", "filen börjar inte med '{' och är alltså ingen "
                                             "GeoJSON (kanske ett annat format med fel "
                                             "filändelse)")
    nesting = json_nesting(text)
    deepest = nesting.deepest
    if deepest > MAX_JSON_DEPTH:
        raise _not_readable(name, "geojson", f"JSON-strukturen är {deepest} nivåer djup, "
                                             f"mer än gränsen {MAX_JSON_DEPTH}")
    _refuse_escaped_top_keys(text, nesting, name)
    kinds = _top_level(text, nesting, "type")
    if kinds not in (["FeatureCollection"], ["Feature"]):
        raise _not_readable(name, "geojson", "överst ska stå \"type\": \"FeatureCollection\" "
                                             "(eller \"Feature\")")
    for crs in _top_level(text, nesting, "crs"):
        props = crs.get("properties") if isinstance(crs, dict) else None
        crs_name = props.get("name") if isinstance(props, dict) else None
        if not (isinstance(crs, dict) and crs.get("type") == "name"
                and isinstance(crs_name, str) and CRS_NAME.fullmatch(crs_name.strip())):
            raise AreaFileError([Problem(
                "medlemmen 'crs' anger inget EPSG-koordinatsystem (en länk eller ett annat "
                "slags 'crs' läses inte).", source=name,
                expected='"crs": {"type": "name", "properties": {"name": '
                         '"urn:ogc:def:crs:EPSG::3006"}}',
                fix="ta bort 'crs' (GeoJSON är då WGS 84) eller ange EPSG-koden")])
    # Every feature says "type": "Feature" (a quote inside a string is escaped, so text in
    # a string cannot match): at least as many matches as features, counted without parsing.
    limits.check("max_features", len(FEATURE_TYPE.findall(text)), name)


def _gpkg_connect(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


GPKG_SYSTEM = re.compile(r"gpkg_\w+|gpkgext_\w+|sqlite_\w+|rtree_.+_(?:node|parent|rowid)"
                         r"|rtree_.+", re.IGNORECASE)


#: The one virtual table a GeoPackage may hold: its R-tree spatial index.
RTREE_SQL = re.compile(r'\s*CREATE\s+VIRTUAL\s+TABLE\s+(?:"rtree_[^"]+"|rtree_\w+)\s+'
                       r'USING\s+rtree\s*\(\s*\w+(?:\s*,\s*\w+){4}\s*\)\s*', re.IGNORECASE)
#: Triggers the GeoPackage standard and GDAL create (they fire on writes only; the file is
#: opened read-only). Any other trigger is refused.
GPKG_TRIGGER = re.compile(r"gpkg_\w+|rtree_.+_(?:insert|update\d*|delete)"
                          r"|trigger_(?:insert|delete)_feature_count_.+", re.IGNORECASE)


def _inspect_gpkg(path: Path, name: str, layer: str | None, limits: FileLimits) -> str:
    """Check the GeoPackage with sqlite3 before GDAL opens it; return the layer to read."""
    with path.open("rb") as f:
        header = f.read(100)
    if not header.startswith(b"SQLite format 3\x00") or len(header) < 72:
        raise _not_readable(name, "gpkg", "filen är ingen SQLite-databas och alltså ingen "
                                          "GeoPackage (kanske ett annat format med fel "
                                          "filändelse)")
    if header[68:72] not in GPKG_APPLICATION_IDS:
        raise _not_readable(name, "gpkg", "SQLite-databasen är märkt som "
                                          f"{header[68:72]!r}, inte som GeoPackage ('GPKG')")
    problems: list[str] = []
    try:
        con = _gpkg_connect(path)
        try:
            schema = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
            tables = {n.lower() for t, n, _ in schema if t == "table"}
            if "gpkg_contents" not in tables:
                raise _not_readable(name, "gpkg", "tabellen gpkg_contents saknas")
            contents = [(str(t), str(d)) for t, d in con.execute(
                "SELECT table_name, data_type FROM gpkg_contents")]
            listed = {t.lower() for t, _ in contents}
            for kind, obj, sql in schema:
                lowered = str(obj).lower()
                if kind == "view" or kind == "trigger" and not GPKG_TRIGGER.fullmatch(lowered):
                    problems.append(f"{'vyn' if kind == 'view' else 'triggern'} '{obj}'")
                elif kind == "table" and (sql or "").lstrip().upper().startswith(
                        "CREATE VIRTUAL"):
                    # Only a spatial index, declared exactly as GeoPackage writes it (no
                    # comment hiding another module), and never a listed layer.
                    if not RTREE_SQL.fullmatch(sql) or lowered in listed:
                        problems.append(f"den virtuella tabellen '{obj}'")
                elif kind == "table" and lowered not in listed \
                        and not GPKG_SYSTEM.fullmatch(lowered):
                    problems.append(f"tabellen '{obj}' (finns inte i gpkg_contents)")
                if kind == "table" and lowered in listed:
                    hidden = [c[1] for c in con.execute(
                        f'PRAGMA table_xinfo("{_quoted(obj)}")') if c[6] in (2, 3)]
                    problems += [f"den beräknade kolumnen '{obj}.{c}'" for c in hidden]
            # GDAL lists feature layers first, then attribute tables (read, then refused by
            # the caller for lacking geometry); tiles are no vector layers.
            features = [t for d0 in ("features", "attributes") for t, d in contents
                        if d == d0 and t.lower() in tables]
            if problems:
                raise AreaFileError([Problem(
                    "GeoPackagen innehåller " + ", ".join(problems[:5])
                    + (f" och {len(problems) - 5} till" if len(problems) > 5 else "")
                    + "; vyer, triggrar och andra tabeller än lagren läses inte, eftersom "
                    "de kan köra godtyckliga SQL-frågor.", source=name,
                    fix="exportera bara lagret med ytorna eller punkterna till en ny "
                        "GeoPackage i GIS-programmet")])
            if layer is not None:
                chosen = next((t for t in features if t == layer), None)
                if chosen is None:
                    raise AreaFileError([Problem(
                        f"lagret '{layer}' finns inte bland GeoPackagens lager.", source=name,
                        values=tuple(features), fix="ange ett av lagren")])
            elif features:
                chosen = features[0]
            else:
                raise _not_readable(name, "gpkg", "GeoPackagen har inget vektorlager")
            rows = con.execute(f'SELECT count(*) FROM "{_quoted(chosen)}"').fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as err:
        raise _not_readable(name, "gpkg", f"databasen är skadad ({err})") from None
    limits.check("max_features", rows, name)
    return chosen


def _quoted(identifier: str) -> str:
    return str(identifier).replace('"', '""')


def _check_parquet(path: Path, name: str, limits: FileLimits) -> None:
    import pyarrow.parquet as pq

    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4)
        f.seek(max(size - 4, 0))
        tail = f.read(4)
    if head != b"PAR1" or tail != b"PAR1" or size < 12:
        raise _not_readable(name, "parquet", "filen börjar eller slutar inte med 'PAR1' och "
                                             "är alltså ingen Parquet-fil (kanske skadad eller "
                                             "ett annat format med fel filändelse)")
    meta = pq.ParquetFile(path).metadata
    limits.check("max_features", meta.num_rows, name)
    limits.check("max_columns", meta.num_columns, name)
    decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    limits.check("max_decoded_bytes", decoded, name)


def _unpack_shapefile(path: Path, name: str, limits: FileLimits) -> Path:
    """Unpack the zip with geo.io.safezip, rename the parts to upload.*, check the magic."""
    from geo.io.safezip import MAX_TOTAL, extract_shapefile

    with path.open("rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise _not_readable(name, "shapezip", "filen börjar inte som ett zip-arkiv")
    try:
        shp = extract_shapefile(path, path.parent / "unpacked",
                                max_total=min(MAX_TOTAL, limits.max_decoded_bytes))
    except AreaFileError as err:  # safezip names the private copy: put the user's name back
        raise AreaFileError([_renamed(p, path.name, name) for p in err.problems]) from None
    parts = {}
    for part in shp.parent.iterdir():
        target = part.with_name("upload" + part.suffix.lower())
        part.rename(target)
        parts[target.suffix] = target
    for suffix in (".shp", ".shx"):
        with parts[suffix].open("rb") as f:
            if f.read(4) != SHAPEFILE_MAGIC:
                raise _not_readable(name, "shapezip", f"{suffix}-filen i arkivet börjar inte "
                                                      "med Shapefilens kännetecken (9994)")
    limits.check("max_features", max(parts[".shx"].stat().st_size - 100, 0) // 8, name)
    return parts[".shp"]


def _renamed(problem: Problem, private: str, name: str) -> Problem:
    return Problem(problem.message.replace(private, name),
                   None if problem.source is None else problem.source.replace(private, name),
                   problem.column, problem.values, problem.expected, problem.fix)


# --- reading (in the child) ----------------------------------------------------------------

def _gdal_read(gdal_path: str, name: str, kind: str, driver: str,
               layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio
    import pyogrio.errors

    try:
        info = pyogrio.read_info(gdal_path, layer=layer)
        if info.get("driver") != driver:
            raise _not_readable(name, kind, f"filen öppnades som {info.get('driver')}, "
                                            f"inte som {FORMAT_TEXT[kind]}")
        return pyogrio.read_dataframe(gdal_path, layer=layer, use_arrow=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
            pyogrio.errors.CRSError, ValueError, OSError, RuntimeError) as err:
        if isinstance(err, PrevmapError):
            raise
        raise _not_readable(name, kind, _without_paths(str(err), gdal_path)) from None


def _without_paths(text: str, private: str) -> str:
    """An error text without the private copy's path (no server path reaches a user)."""
    folder = str(Path(private.split(":", 1)[-1] if ":" in private[:8] else private).parent)
    text = text.replace(private, "filen").replace(folder + os.sep, "").replace(folder, "")
    return re.sub(r"(?:/[\w.\-]+){2,}", "…", text)


def _read_private(path: Path, name: str, kind: str, layer: str | None,
                  limits: FileLimits) -> gpd.GeoDataFrame:
    """Check and read the private copy ``path`` of the user's file ``name`` (child side)."""
    if kind == "geojson":
        _check_geojson(path, name, limits)
        frame = _gdal_read(f"GeoJSON:{path}", name, kind, "GeoJSON", None)
    elif kind == "gpkg":
        chosen = _inspect_gpkg(path, name, layer, limits)
        frame = _gdal_read(f"GPKG:{path}", name, kind, "GPKG", chosen)
    elif kind == "shapezip":
        shp = _unpack_shapefile(path, name, limits)
        frame = _gdal_read(str(shp), name, kind, "ESRI Shapefile", layer)
    else:
        try:
            _check_parquet(path, name, limits)
            frame = gpd.read_parquet(path)
        except PrevmapError:
            raise
        except Exception as err:  # noqa: BLE001 - any decoder failure on untrusted bytes
            raise _not_readable(name, kind, f"filen är skadad eller ingen GeoParquet "
                                            f"({_without_paths(str(err), str(path))})") from None
    check_work(frame, name, limits)
    return frame


def check_work(frame: gpd.GeoDataFrame, name: str, limits: FileLimits) -> None:
    """Refuse a table with more features, columns or vertices than ``limits`` allow."""
    limits.check("max_features", len(frame), name)
    limits.check("max_columns", len(frame.columns), name)
    if isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None:
        counts = shapely.get_num_coordinates(frame.geometry.to_numpy())
        if len(counts):
            limits.check("max_vertices_per_feature", int(counts.max()), name)
            limits.check("max_vertices", int(counts.sum()), name)


#: Segments of a geometry queried against the others at a time: the pairs a chunk returns
#: are at most this many times the geometry's segment count (250 000 per feature: 4
#: million pairs, 64 MB).
CROSSING_CHUNK = 16


def self_crossings(geometry: shapely.Geometry, cap: int) -> int:
    """Pairs of non-neighbouring segments of ``geometry``'s rings that meet, counted up to
    just over ``cap``.

    ``make_valid`` costs grow much faster than the number of crossings it must node (a
    random 200-gon: 4 300 crossings, 6 s; a 400-gon: 19 600, 71 s), so an invalid polygon
    is measured by this count before it is repaired. Segments are looked up in an STRtree
    a few at a time, so a polygon crossing itself millions of times stops the count after
    the first chunk.
    """
    rings = shapely.get_rings(shapely.get_parts(shapely.remove_repeated_points(geometry)))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    if len(coords) < 2:
        return 0
    same_ring = ring_of[:-1] == ring_of[1:]
    starts = np.nonzero(same_ring)[0]
    segments = shapely.linestrings(np.stack([coords[starts], coords[starts + 1]], axis=1))
    ring = ring_of[starts]
    # A segment's neighbours: the next in its ring, and the ring's last meets its first.
    first = np.r_[True, ring[1:] != ring[:-1]]
    last = np.r_[ring[1:] != ring[:-1], True]
    tree = shapely.STRtree(segments)
    count = 0
    for at in range(0, len(segments), CROSSING_CHUNK):
        a, b = tree.query(segments[at:at + CROSSING_CHUNK], predicate="intersects")
        a = a + at
        later = b > a
        a, b = a[later], b[later]
        neighbours = (ring[a] == ring[b]) & ((b - a == 1) | (first[a] & last[b]))
        count += int((~neighbours).sum())
        if count > cap:
            break
    return count


def check_self_crossings(geoms: np.ndarray, source: str,
                         limits: FileLimits | None = None) -> np.ndarray:
    """The mask of invalid ``geoms``, after refusing them with :class:`FileLimitError` if
    they cross themselves more than ``limits.max_self_crossings`` times in all (so that
    repairing them with ``make_valid`` is bounded work)."""
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        limits = limits or limits_from_env(os.environ)
        crossings = 0
        for k in invalid.nonzero()[0]:
            crossings += self_crossings(geoms[k], limits.max_self_crossings - crossings)
            limits.check("max_self_crossings", crossings, source)
    return invalid


# --- the child process ---------------------------------------------------------------------

def _address_space() -> int:
    """Bytes of address space this process has mapped now (``VmSize``)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(conn: Any, func: Callable[..., Any], args: tuple[Any, ...],
           limits: FileLimits) -> None:
    """Entry of the reading child: set limits and GDAL options, run, send the outcome."""
    import resource

    import pyogrio  # before the limits: loading GDAL itself maps much of the address space

    # The limit is on what the read adds: the child starts with whatever the fork server
    # preloaded mapped already (more in the app than in the CLI), which is not the file's.
    memory = _address_space() + int(limits.max_memory_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = int(limits.max_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    for key in PROXY_BYPASS_ENV:
        os.environ.pop(key, None)
    os.environ["PROJ_NETWORK"] = "OFF"
    pyogrio.set_gdal_config_options(SAFE_GDAL_CONFIG)
    try:
        outcome: tuple[Any, ...] = ("ok", func(*args))
    except PrevmapError as err:
        outcome = ("error", type(err), err.problems)
    except MemoryError:
        outcome = ("limit", "max_memory_bytes")
    except Exception as err:  # noqa: BLE001 - sent to the parent, raised there as it is
        outcome = ("exception", err)
    try:
        conn.send(outcome)
    except MemoryError:
        conn.send(("limit", "max_memory_bytes"))
    except Exception as err:  # noqa: BLE001 - an exception that does not pickle
        conn.send(("exception", RuntimeError(f"{type(err).__name__}: {err}")))
    finally:
        conn.close()


_CONTEXT: multiprocessing.context.BaseContext | None = None


def _main_imports() -> list[str]:
    """The modules the main script's names come from (``from geo.cli import main``).

    Every forkserver child runs the main script again as ``__mp_main__`` when it was
    started as a file (a console script such as ``prevmap`` or ``streamlit``; not with
    ``python -m``), and CPython 3.11's forkserver never preloads it (it asks for the key
    ``main_path``, which the preparation data calls ``init_main_from_path``). Preloading
    what the script imports makes that second run cheap: 0.1 s instead of 4-6 s per read
    for a script that imports the pipeline.
    """
    import sys
    import types

    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return []
    names = set()
    for value in vars(main).values():
        if isinstance(value, types.ModuleType):
            names.add(value.__name__)
        elif isinstance(getattr(value, "__module__", None), str):
            names.add(value.__module__)
    return sorted(n for n in names if n in sys.modules and n not in ("__main__", "builtins"))


def _context() -> multiprocessing.context.BaseContext:
    """The forkserver context, its server preloaded with this module (and so geopandas)
    and with what the main script imports (see :func:`_main_imports`)."""
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__, *_main_imports()])
        _CONTEXT = ctx
    return _CONTEXT


def _died(limits: FileLimits, name: str, exitcode: int | None) -> PrevmapError:
    """Why the child ended without an answer: out of CPU time (SIGXCPU); out of memory (a
    MemoryError, or killed or aborted as the address-space limit makes allocators do), both
    a :class:`FileLimitError`; or something else, said as it is with the exit code (an
    :class:`AreaFileError`, not blamed on the file's size)."""
    if exitcode == -signal.SIGXCPU:
        return FileLimitError([refusal(limits, "max_seconds", limits.max_seconds + 1, name)])
    if exitcode in (None, -signal.SIGKILL, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS):
        return FileLimitError([Problem(
            "läsningen avbröts: filen krävde troligen mer minne än gränsen "
            f"{format_integer(limits.max_memory_bytes)} byte.", source=name,
            fix=f"förenkla eller dela upp filen, eller höj gränsen med miljövariabeln "
                f"{limits.env_name('max_memory_bytes')}")])
    return AreaFileError([Problem(
        f"läsningen avbröts oväntat (processen som läste filen slutade med kod {exitcode}).",
        source=name, fix="försök igen; händer det igen, spara om filen i GIS-programmet och "
                         "läs in den på nytt")])


def run_bounded(func: Callable[..., Any], args: tuple[Any, ...], limits: FileLimits,
                name: str) -> Any:
    """``func(*args)`` in a child process under ``limits`` (memory, CPU and wall time).

    The child's :class:`PrevmapError` is raised again here; a child that runs out of time
    or memory is killed and refused with a :class:`FileLimitError` naming the limit.
    """
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, func, args, limits), daemon=True,
                          name="prevmap-read")
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.max_seconds):
            process.kill()
            raise FileLimitError([refusal(limits, "max_seconds", limits.max_seconds + 1,
                                          name)])
        try:
            outcome = receiver.recv()
        except EOFError:
            process.join()
            raise _died(limits, name, process.exitcode) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "limit":
        raise _died(limits, name, None)
    if outcome[0] == "exception":
        raise outcome[1]
    raise outcome[1](outcome[2])


def _bounded_copy(path: Path, private: Path, limits: FileLimits, name: str) -> None:
    """Copy the regular file ``path`` to ``private``, at most ``max_bytes``: a device or a
    file that grows while it is read (``/dev/zero`` behind a link) cannot fill the disk."""
    try:
        with open(path, "rb") as source:
            if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
                raise AreaFileError([Problem(
                    "är ingen vanlig fil (en enhet, en kö eller en länk till en sådan).",
                    source=name, fix="ange en sparad GIS-fil")])
            with open(private, "wb") as target:
                copied = 0
                while chunk := source.read(1024 * 1024):
                    copied += len(chunk)
                    limits.check("max_bytes", copied, name)
                    target.write(chunk)
    except OSError as err:
        raise AreaFileError(f"fil '{name}' kunde inte läsas ({err.strerror}).") from None


def read_spatial_file(path: str | Path, *, layer: str | None = None,
                      formats: tuple[str, ...] = tuple(FORMAT_TEXT),
                      limits: FileLimits | None = None) -> gpd.GeoDataFrame:
    """Read the user's spatial file ``path`` as the format its suffix names, all columns kept.

    ``formats`` are the accepted kinds (``geojson``, ``gpkg``, ``parquet``, ``shapezip``);
    ``limits`` default to :func:`limits_from_env` of ``os.environ``. See the module
    docstring for what is checked. Raises :class:`AreaFileError` or :class:`FileLimitError`.
    """
    path = Path(path)
    name = path.name
    kind = FORMATS.get(path.suffix.lower())
    if kind is None or kind not in formats:
        allowed = sorted(s for s, k in FORMATS.items() if k in formats)
        raise AreaFileError([Problem(
            f"okänt filformat '{path.suffix}'.", source=name,
            expected=", ".join(FORMAT_TEXT[k] for k in formats) + f" ({', '.join(allowed)})")])
    limits = limits or limits_from_env(os.environ)
    try:
        size = path.stat().st_size
    except OSError:
        raise AreaFileError(f"filen '{path}' finns inte. Kontrollera sökvägen.") from None
    limits.check("max_bytes", size, name)
    if is_bundled(path):
        # prevmap's own file (the default areas), trusted as its tables are: the same checks
        # and reader, in this process. The fork server would cost a cold start 0.6-2 s
        # (a fresh interpreter importing geopandas) for a file that is no user's.
        return _read_private(path, name, kind, layer, limits)
    with tempfile.TemporaryDirectory(prefix="prevmap-read-") as folder:
        private = Path(folder) / PRIVATE_NAME[kind]
        _bounded_copy(path, private, limits, name)
        os.chmod(private, 0o600)
        return run_bounded(_read_private, (private, name, kind, layer, limits), limits, name)


#: Files shipped with prevmap (``data/`` of the repository) are trusted: their tables and
#: spatial files are read in this process. Every other file is the user's and is read in the
#: bounded child.
BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"


def is_bundled(path: str | Path) -> bool:
    """Whether ``path`` is one of prevmap's own data files (under ``data/``)."""
    return Path(path).resolve().is_relative_to(BUNDLED_DATA)


def read_table_file(path: str | Path, reader: Callable[..., Any] | None = None,
                    limits: FileLimits | None = None) -> Any:
    """The user's table file read by ``reader`` (default
    :func:`geo.io.files.read_indicator_table`) in the bounded child, as spatial files are:
    the size checks of :mod:`geo.io.table_limits` come first, and memory, CPU time and
    wall time are limited for what they cannot foresee (an Excel sheet of small cells that
    is slow to parse). ``reader`` takes the path and ``limits``."""
    if reader is None:
        from geo.io.files import read_indicator_table as reader
    path = Path(path)
    limits = limits or limits_from_env(os.environ)
    if is_bundled(path):
        return reader(path, limits=limits)
    return run_bounded(reader, (path, limits), limits, path.name)
