"""DeSO and RegSO polygons for one kommun from SCB's open WFS, cached on disk.

SCB serves its statistical areas from a GeoServer at :data:`WFS_URL`, layers such as
``stat:DeSO_2025`` and ``stat:RegSO_2025`` (properties ``desokod``, ``regsokod``,
``regsonamn``, ``kommunkod``, ...). :func:`read_scb_areas` asks for one kommun
(``CQL_FILTER=kommunkod='0126'``) as GeoJSON in SWEREF 99 TM and returns the same
:class:`~geo.io.areas.Areas` as :func:`~geo.io.areas.read_areas`.

Every answer is kept in the cache directory beside a ``.meta.toml`` sidecar with the
title, the request URL, the fetch date and the licence (SCB's open geodata are CC0),
so a later call works offline and the map still shows when the data were fetched.

The request goes through :class:`~geo.io.http.HttpTransport`, which does not trust the
server: an answer above ``max_bytes`` (default :data:`MAX_BYTES`) is cut off, the whole call
ends at ``deadline`` seconds, redirects stay on the same scheme, host and port, and the
GeoJSON's nesting is checked before it is parsed. A cached file is read with the same
limits; a damaged one is reported and fetched again.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from geo.io.areas import Areas, areas_from_frame, detect_crs
from geo.io.files import read_source_info
from geo.io.http import (
    MAX_DEPTH,
    Deadline,
    HttpAnswer,
    HttpTransport,
    JsonDepthError,
    TransportError,
    cache_root,
    excerpt,
    parse_json,
)
from indicators.codes import check_kommun_code
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, FetchError, OfflineError

WFS_URL = "https://geodata.scb.se/geoserver/stat/wfs"
LEVELS = {"DeSO": ("desokod", None), "RegSO": ("regsokod", "regsonamn")}
YEARS = (2025,)
LICENCE = "CC0"
TIMEOUT = 60.0
"""Seconds to wait for the connection and for each read."""
DEADLINE = 120.0
"""Wall-clock seconds for the whole request (a kommun's DeSO layer is a few MB)."""
MAX_BYTES = 100 * 1024**2
"""Largest answer read (Stockholm's DeSO are about 10 MB)."""
USER_AGENT = "prevmap (kommunalt förebyggande arbete)"


def default_cache_dir() -> Path:
    """``$PREVMAP_CACHE/scb_wfs`` or ``~/.cache/prevmap/scb_wfs``."""
    return cache_root() / "scb_wfs"


def layer_name(level: str, year: int = 2025) -> str:
    """The WFS layer for a level and year, e.g. ``stat:RegSO_2025``."""
    if level not in LEVELS:
        raise AreaFileError(f"okänd områdesnivå '{level}'. Förväntat: "
                            + " eller ".join(LEVELS) + ".")
    if year not in YEARS:
        raise AreaFileError(f"SCB:s WFS-lager för år {year} stöds inte. Förväntat: "
                            + ", ".join(str(y) for y in YEARS) + ".")
    return f"stat:{level}_{year}"


def getfeature_url(layer: str, kommun: str, base_url: str = WFS_URL) -> str:
    """The GetFeature request for one kommun's areas as GeoJSON in EPSG:3006."""
    params = {"service": "WFS", "version": "1.1.0", "request": "GetFeature",
              "typeNames": layer, "outputFormat": "application/json",
              "srsName": "EPSG:3006", "CQL_FILTER": f"kommunkod='{kommun}'"}
    return base_url + "?" + urllib.parse.urlencode(params)


def _check_kommun(kommun: str) -> str:
    return check_kommun_code(kommun, AreaFileError)


def _fetch(url: str, *, timeout: float, deadline: float, max_bytes: int) -> HttpAnswer:
    transport = HttpTransport(USER_AGENT)
    try:
        return transport.request("GET", url, deadline=Deadline(deadline), timeout=timeout,
                                 max_bytes=max_bytes, headers={"Accept": "application/json"})
    finally:
        transport.close()


def _read_cached(path: Path, max_bytes: int) -> Any:
    """The cached GeoJSON, or None when absent; a file over the limits or not JSON is
    reported and treated as absent."""
    if not path.is_file():
        return None
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ValueError(f"{size} byte, mer än gränsen {max_bytes}")
        return parse_json(path.read_bytes(), MAX_DEPTH)
    except (OSError, ValueError) as exc:
        warnings.warn(f"Den sparade kopian '{path}' är skadad och hämtas på nytt "
                      f"({excerpt(str(exc), 120)}).", stacklevel=3)
        return None


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _write_cache(path: Path, body: bytes, *, title: str, url: str, note: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(body)
    tmp.replace(path)
    meta = (f"title = {_toml_string(title)}\nsource = {_toml_string(url)}\n"
            f"date = {_toml_string(dt.date.today().isoformat())}\n"
            f"licence = {_toml_string(LICENCE)}\nnote = {_toml_string(note)}\n")
    path.with_name(path.name + ".meta.toml").write_text(meta, encoding="utf-8")


def _load(body: bytes, kommun: str, layer: str, url: str) -> Any:
    try:
        return parse_json(body, MAX_DEPTH)
    except JsonDepthError as exc:
        raise FetchError(f"SCB:s WFS svarade med JSON nästlad {exc.depth} nivåer djupt för "
                         f"{layer}, kommun {kommun}; högst {exc.limit} nivåer läses. Åtgärd: "
                         f"kontrollera adressen till WFS-tjänsten. Adress: {url}") from None
    except ValueError:
        raise FetchError(f"SCB:s WFS svarade inte med GeoJSON för {layer}, kommun {kommun}. "
                         f"Svar: {excerpt(body)!r}. Adress: {url}") from None


def _parse(data: Any, kommun: str, layer: str) -> gpd.GeoDataFrame:
    features = data.get("features") if isinstance(data, dict) else None
    if not features:
        raise AreaFileError(f"SCB:s WFS gav inga områden i lagret {layer} för kommun {kommun}. "
                            "Förväntat: minst ett område. Åtgärd: kontrollera kommunkoden "
                            "(fyra siffror, t.ex. '0126').")
    frame = gpd.GeoDataFrame.from_features(features)
    crs_name = (data.get("crs") or {}).get("properties", {}).get("name", "")
    frame = frame.set_crs(crs_name or "EPSG:3006", allow_override=True)
    if frame.crs.to_epsg() != 3006:
        frame = frame.to_crs(3006)
    minx, miny, maxx, maxy = frame.total_bounds
    if detect_crs((minx, miny, maxx, maxy)) is None and \
            detect_crs((miny, minx, maxy, maxx)) == "EPSG:3006":
        # Northing/easting order (EPSG:3006's formal axis order): swap to x = easting.
        frame = frame.set_geometry(shapely.transform(frame.geometry.values,
                                                     lambda c: c[:, ::-1]), crs=3006)
    return frame


def read_scb_areas(kommun: str, level: str = "RegSO", *, year: int = 2025,
                   cache_dir: str | Path | None = None, refresh: bool = False,
                   base_url: str = WFS_URL, timeout: float = TIMEOUT,
                   offline: bool = False, deadline: float = DEADLINE,
                   max_bytes: int = MAX_BYTES) -> Areas:
    """One kommun's DeSO or RegSO polygons from SCB's WFS, from the cache when there.

    ``refresh=True`` fetches again; if that fails the cached copy is used with a note.
    Raises :class:`OfflineError` when the WFS cannot be reached (or ``offline`` is set)
    and nothing is cached, :class:`FetchError` when it answers with an error, too much,
    too slowly (``deadline``) or a redirect elsewhere, and :class:`AreaFileError` when the
    answer holds no usable areas.
    """
    kommun = _check_kommun(kommun)
    layer = layer_name(level, year)
    url = getfeature_url(layer, kommun, base_url)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / f"{layer.replace(':', '_')}_{kommun}.geojson"
    title = f"SCB {level} {year}, kommun {kommun}"
    notes: list[str] = []
    cached = _read_cached(path, max_bytes)
    if offline and cached is None:
        raise OfflineError(f"Arbetar utan nätverk: {layer} för kommun {kommun} är inte sparad i "
                           f"'{cache}'. Åtgärd: hämta den en gång med nätverk, eller läs in en "
                           "områdesfil (GeoPackage, GeoJSON) i stället.")
    body = None
    if (refresh and not offline) or cached is None:
        try:
            answer = _fetch(url, timeout=timeout, deadline=deadline, max_bytes=max_bytes)
        except TransportError as err:
            if cached is not None:
                notes.append(f"SCB:s WFS kunde inte nås ({err.reason}); den sparade kopian "
                             "används")
            elif err.offline or err.retryable:
                raise OfflineError(
                    f"SCB:s WFS ({base_url}) kunde inte nås: {err.reason}. Det finns ingen "
                    f"sparad kopia av {layer} för kommun {kommun} i '{cache}'. Åtgärd: "
                    "kontrollera nätverket och försök igen, eller läs in en områdesfil "
                    "(GeoPackage, GeoJSON) i stället.") from None
            else:
                raise FetchError(f"{err.message} Gäller {layer} för kommun {kommun}; det "
                                 f"finns ingen sparad kopia i '{cache}'. Åtgärd: {err.fix}. "
                                 f"Adress: {url}") from None
        else:
            if not answer.ok:
                raise FetchError(f"SCB:s WFS svarade med HTTP {answer.status} ({answer.reason}) "
                                 f"för {layer}, kommun {kommun}. Adress: {url}")
            body = answer.body
    # An answer is checked before it is cached, so the cache only holds usable answers.
    frame = _parse(_load(body, kommun, layer, url) if body is not None else cached,
                   kommun, layer)
    if body is not None:
        _write_cache(path, body, title=title, url=url,
                     note=f"hämtad från SCB:s WFS, lager {layer}")
    id_col, name_col = LEVELS[level]
    if id_col not in frame.columns:
        raise AreaFileError(f"SCB:s WFS-svar för {layer} saknar kolumnen '{id_col}'. Värden: "
                            + ", ".join(repr(c) for c in list(frame.columns)[:5])
                            + f". Förväntat: {id_col}.")
    table = gpd.GeoDataFrame({AREA_ID: frame[id_col].astype(str),
                              AREA_NAME: (frame[name_col].astype(str)
                                          if name_col in frame.columns
                                          else frame[id_col].astype(str))},
                             geometry=frame.geometry.values, crs=frame.crs)
    table = table.sort_values(AREA_ID, ignore_index=True)
    areas = areas_from_frame(table, read_source_info(path))
    return Areas(areas.frame, areas.source, areas.repairs, areas.notes + tuple(notes))
