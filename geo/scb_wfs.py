"""DeSO and RegSO polygons for one kommun from SCB's open WFS, cached on disk.

SCB serves its statistical areas from a GeoServer at :data:`WFS_URL`, layers such as
``stat:DeSO_2025`` and ``stat:RegSO_2025`` (properties ``desokod``, ``regsokod``,
``regsonamn``, ``kommunkod``, ...). :func:`read_scb_areas` asks for one kommun
(``CQL_FILTER=kommunkod='0126'``) as GeoJSON in SWEREF 99 TM and returns the same
:class:`~geo.io.Areas` as :func:`~geo.io.read_areas`.

Every answer is kept in the cache directory beside a ``.meta.toml`` sidecar with the
title, the request URL, the fetch date and the licence (SCB's open geodata are CC0),
so a later call works offline and the map still shows when the data were fetched.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import geopandas as gpd
import shapely

from indicators.codes import check_kommun_code
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, FetchError, OfflineError
from indicators.http import cache_root
from indicators.io import read_source_info

from .io import Areas, areas_from_frame, detect_crs

WFS_URL = "https://geodata.scb.se/geoserver/stat/wfs"
LEVELS = {"DeSO": ("desokod", None), "RegSO": ("regsokod", "regsonamn")}
YEARS = (2025,)
LICENCE = "CC0"
TIMEOUT = 60.0
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


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.read()


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


def _parse(body: bytes, kommun: str, layer: str, url: str) -> gpd.GeoDataFrame:
    try:
        data = json.loads(body)
    except ValueError:
        snippet = body[:200].decode("utf-8", "replace").strip()
        raise FetchError(f"SCB:s WFS svarade inte med GeoJSON för {layer}, kommun {kommun}. "
                            f"Svar: {snippet!r}. Adress: {url}") from None
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
                   offline: bool = False) -> Areas:
    """One kommun's DeSO or RegSO polygons from SCB's WFS, from the cache when there.

    ``refresh=True`` fetches again; if that fails the cached copy is used with a note.
    Raises :class:`OfflineError` when the WFS cannot be reached (or ``offline`` is set)
    and nothing is cached, and :class:`AreaFileError` when the answer holds no usable areas.
    """
    kommun = _check_kommun(kommun)
    layer = layer_name(level, year)
    url = getfeature_url(layer, kommun, base_url)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / f"{layer.replace(':', '_')}_{kommun}.geojson"
    title = f"SCB {level} {year}, kommun {kommun}"
    notes: list[str] = []
    body = None
    if offline and not path.is_file():
        raise OfflineError(f"Arbetar utan nätverk: {layer} för kommun {kommun} är inte sparad i "
                           f"'{cache}'. Åtgärd: hämta den en gång med nätverk, eller läs in en "
                           "områdesfil (GeoPackage, GeoJSON) i stället.")
    if (refresh and not offline) or not path.is_file():
        try:
            body = _fetch(url, timeout)
        except urllib.error.HTTPError as err:
            raise FetchError(f"SCB:s WFS svarade med HTTP {err.code} ({err.reason}) för "
                             f"{layer}, kommun {kommun}. Adress: {url}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if not path.is_file():
                raise OfflineError(
                    f"SCB:s WFS ({base_url}) kunde inte nås: {reason}. Det finns ingen sparad "
                    f"kopia av {layer} för kommun {kommun} i '{cache}'. Åtgärd: kontrollera "
                    "nätverket och försök igen, eller läs in en områdesfil (GeoPackage, "
                    "GeoJSON) i stället.") from None
            notes.append(f"SCB:s WFS kunde inte nås ({reason}); den sparade kopian används")
    # An answer is checked before it is cached, so the cache only holds usable answers.
    frame = _parse(body if body is not None else path.read_bytes(), kommun, layer, url)
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
