"""What reading a user's spatial file through geo.io.safe_files costs, and how fast attacks stop.

    .venv/bin/python benchmarks/bench_safe_read.py [path/to/duva-0.3.5-py3-none-any.whl]

Layer: all 3 363 RegSO of Sweden (1.9 million vertices, from the duva wheel that ``make
setup`` downloads; the benchmark stops with a message when it is absent), written as
GeoPackage, GeoJSON, GeoParquet and zipped Shapefile. For each format it prints the time
of the first :func:`geo.io.safe_files.read_spatial_file` of a fresh process (it starts the
fork server), the median of the next reads, and the median of the direct read it replaces
(``pyogrio.read_dataframe`` or ``geopandas.read_parquet`` of the file itself): the
difference is the price of the checks, the private copy, the child process and sending
the table back. Then the time until a refusal for three attacks: a GeoPackage view that
counts to ten million, a 2 000-vertex polygon that crosses itself about 400 000 times
(``make_valid`` would take hours), and a FeatureCollection claiming too many features.
Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from shapely.geometry import Polygon
from timing import median_time, timed

from geo.io.areas import read_areas
from geo.io.national import read_national_regso
from geo.io.safe_files import read_spatial_file
from geo.sources import find_duva_wheel
from indicators.errors import PrevmapError

REPEAT = 3


def write_formats(frame: gpd.GeoDataFrame, folder: Path) -> dict[str, Path]:
    paths = {"GeoPackage": folder / "regso.gpkg", "GeoJSON": folder / "regso.geojson",
             "GeoParquet": folder / "regso.parquet", "zippad Shapefile": folder / "regso.zip"}
    pyogrio.write_dataframe(frame, paths["GeoPackage"], driver="GPKG")
    pyogrio.write_dataframe(frame.to_crs(4326), paths["GeoJSON"], driver="GeoJSON")
    frame.to_parquet(paths["GeoParquet"])
    shp = folder / "shp" / "regso.shp"
    shp.parent.mkdir()
    pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile")
    with zipfile.ZipFile(paths["zippad Shapefile"], "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.parent.iterdir():
            archive.write(part, part.name)
    return paths


def direct(path: Path) -> gpd.GeoDataFrame:
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    if path.suffix == ".zip":
        return pyogrio.read_dataframe(f"/vsizip/{path}", use_arrow=True)
    return pyogrio.read_dataframe(path, use_arrow=True)


def refusal_time(func) -> str:
    seconds, outcome = timed(lambda: _refused(func))
    return f"{seconds:.2f} s: {outcome[:110]}"


def _refused(func) -> str:
    try:
        func()
    except PrevmapError as err:
        return str(err)
    return "NOT REFUSED"


def attacks(folder: Path, frame: gpd.GeoDataFrame) -> None:
    view = folder / "vy.gpkg"
    pyogrio.write_dataframe(frame.head(3), view, layer="ytor", driver="GPKG")
    con = sqlite3.connect(view)
    with con:
        con.execute("CREATE VIEW bomb AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT "
                    "x + 1 FROM c LIMIT 10000000) SELECT x AS fid, (SELECT geom FROM ytor "
                    "LIMIT 1) AS geom FROM c")
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                    "VALUES ('bomb', 'features', 'bomb', 3006)")
        con.execute("INSERT INTO gpkg_geometry_columns VALUES ('bomb', 'geom', 'POLYGON', "
                    "3006, 0, 0)")
    con.close()
    print("GeoPackage view counting to 10 million:",
          refusal_time(lambda: read_spatial_file(view, layer="bomb")))
    rng = np.random.default_rng(1)
    tangle = Polygon(rng.uniform(0, 1000, (2000, 2)) + (600_000, 6_560_000))
    path = folder / "tangle.geojson"
    gpd.GeoDataFrame({"area_id": ["A1"]}, geometry=[tangle], crs=3006).to_crs(4326) \
        .to_file(path, driver="GeoJSON")
    print(f"2 000-vertex polygon crossing itself ({path.stat().st_size / 1e3:.0f} kB):",
          refusal_time(lambda: read_areas(path)))
    many = folder / "many.geojson"
    feature = ('{"type": "Feature", "properties": {}, "geometry": {"type": "Point", '
               '"coordinates": [18, 59]}}')
    many.write_text('{"type": "FeatureCollection", "features": ['
                    + ", ".join([feature] * 200_000) + "]}", encoding="utf-8")
    print(f"200 000 points ({many.stat().st_size / 1e6:.0f} MB):",
          refusal_time(lambda: read_spatial_file(many)))


def main() -> None:
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else find_duva_wheel()
    if wheel is None or not Path(wheel).is_file():
        sys.exit("The duva wheel with RegSO 2025 for Sweden is absent: run `make setup`, or "
                 "give its path (or set PREVMAP_DUVA_WHEEL).")
    print(f"geo.io.safe_files benchmark, Python {platform.python_version()}, "
          f"{platform.machine()}; medians of {REPEAT}")
    # Sweden's RegSO as GeoJSON is 84 MB, over the 50 MB upload limit (PREVMAP_MAX_BYTES).
    os.environ.setdefault("PREVMAP_MAX_BYTES", str(200 * 1024**2))
    frame = read_national_regso(wheel).frame
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first = True
        for kind, path in write_formats(frame, folder).items():
            seconds, read = timed(lambda p=path: read_spatial_file(p))
            assert len(read) == len(frame)
            safe = median_time(lambda p=path: read_spatial_file(p), REPEAT)
            plain = median_time(lambda p=path: direct(p), REPEAT)
            note = " (starts the fork server)" if first else ""
            first = False
            print(f"{kind:17s} {path.stat().st_size / 1e6:5.1f} MB: first {seconds:.2f} s"
                  f"{note}, then {safe:.2f} s; direct read {plain:.2f} s, "
                  f"overhead {safe - plain:+.2f} s")
        attacks(folder, frame)


if __name__ == "__main__":
    main()
