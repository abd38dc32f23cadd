"""Tiny geometry fixtures for the geo tests: a 3x3 grid of 1 km boxes in EPSG:3006.

Plain functions, not pytest fixtures, so each test module builds what it needs
(``from geo_fixtures import grid_frame``). The grid is numbered row by row from
the south-west corner::

    A7 A8 A9
    A4 A5 A6
    A1 A2 A3

Every box is exactly 1 000 m x 1 000 m = 1 000 000 m².
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Polygon, box

SIDE = 1000.0
BOX_AREA = SIDE * SIDE
GRID_IDS = [f"A{i}" for i in range(1, 10)]
GRID_NAMES = [f"Ruta {i}" for i in range(1, 10)]
# Two kilometres from SWEREF 99 TM's false easting, inside Sweden's bounds.
ORIGIN = (600_000.0, 6_560_000.0)

def grid_boxes() -> list[Polygon]:
    x0, y0 = ORIGIN
    return [box(x0 + col * SIDE, y0 + row * SIDE, x0 + (col + 1) * SIDE, y0 + (row + 1) * SIDE)
            for row in range(3) for col in range(3)]


def bow_tie(square: Polygon) -> Polygon:
    """The self-intersecting "bow-tie" over a box: the ring crosses itself at the centre.

    ``make_valid`` turns it into two triangles with half the box's area.
    """
    x0, y0, x1, y1 = square.bounds
    return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])


def grid_frame(id_column: str = "area_id", name_column: str | None = "area_name",
               crs: str | None = "EPSG:3006") -> gpd.GeoDataFrame:
    """The 3x3 grid with ids A1..A9 and names 'Ruta 1'..'Ruta 9' in the named columns."""
    data = {id_column: GRID_IDS}
    if name_column is not None:
        data[name_column] = GRID_NAMES
    return gpd.GeoDataFrame(data, geometry=grid_boxes(), crs=crs)


def write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, *,
                           without: tuple[str, ...] = ()) -> Path:
    """Write ``frame`` as a Shapefile beside ``path`` and zip its parts into ``path``.

    ``without`` lists suffixes to leave out of the zip (e.g. ``(".prj",)`` for a
    Shapefile without a CRS).
    """
    parts_dir = path.parent / (path.stem + "_shp")
    parts_dir.mkdir()
    frame.to_file(parts_dir / (path.stem + ".shp"), driver="ESRI Shapefile")
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(parts_dir.iterdir()):
            if part.suffix.lower() not in without:
                archive.write(part, part.name)
    return path


def write_all_formats(frame: gpd.GeoDataFrame, directory: Path) -> dict[str, Path]:
    """Write ``frame`` as GeoPackage, GeoJSON, GeoParquet and zipped Shapefile."""
    paths = {"gpkg": directory / "grid.gpkg", "geojson": directory / "grid.geojson",
             "parquet": directory / "grid.parquet", "zip": directory / "grid.zip"}
    frame.to_file(paths["gpkg"], driver="GPKG")
    frame.to_file(paths["geojson"], driver="GeoJSON")
    frame.to_parquet(paths["parquet"])
    write_zipped_shapefile(frame, paths["zip"])
    return paths


def regso_frame() -> gpd.GeoDataFrame:
    """Four RegSO in two kommuner, the bottom row and A4 of the grid, in duva's columns."""
    boxes = grid_boxes()
    return gpd.GeoDataFrame(
        {"objectid": [1, 2, 3, 4], "objekttyp": ["regso"] * 4,
         "regsokod": ["0126R002", "0126R001", "0127R001", "0128R001"],
         "regsonamn": ["Två", "Ett", "Botkyrka ett", "Salem ett"], "lanskod": ["01"] * 4,
         "kommunkod": ["0126", "0126", "0127", "0128"], "version": ["2025_v2"] * 4,
         "referensdatum": ["20250101"] * 4},
        geometry=[boxes[1], boxes[0], boxes[2], boxes[3]], crs=3006)


def write_duva_wheel(directory: Path) -> Path:
    """A stand-in for duva-0.3.5-py3-none-any.whl holding only the GeoPackage of
    :func:`regso_frame`, written into ``directory``."""
    from geo.io import national

    gpkg = directory / "RegSO_2025.gpkg"
    regso_frame().to_file(gpkg, layer=national.LAYER)
    path = directory / "duva-0.3.5-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("duva/__init__.py", "")
        zf.write(gpkg, national.WHEEL_MEMBER)
    return path


def real_regso(kommun: str | None = None) -> gpd.GeoDataFrame:
    """The real RegSO 2025 (of ``kommun``, or all of Sweden) from the duva wheel; skips the
    test with the reason when the wheel is absent."""
    import pytest

    from geo.io.national import read_national_regso
    from geo.sources import find_duva_wheel

    wheel = find_duva_wheel()
    if wheel is None:
        pytest.skip("the duva wheel with RegSO 2025 for Sweden is absent (make setup "
                    "downloads it; or set PREVMAP_DUVA_WHEEL)")
    return read_national_regso(wheel, kommun).frame
