"""Reading and validating area polygons (kommundelar, RegSO, DeSO).

One reader, :func:`read_areas`, takes GeoPackage, GeoJSON, GeoParquet and zipped
Shapefile, finds the id and name columns, and validates: a CRS is present, ids
are present and unique, every geometry is a non-empty polygon, and invalid
geometries are repaired with ``make_valid``, each repair reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Transformer
from pyproj.exceptions import ProjError

from geo.io.files import SourceInfo, read_source_info
from geo.io.limits import FileLimits
from geo.io.safe_files import check_self_crossings, read_spatial_file
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, Problems

ID_CANDIDATES = (AREA_ID, "regsokod", "desokod", "deso", "regso", "kommundelskod", "kod", "id")
NAME_CANDIDATES = (AREA_NAME, "regsonamn", "desonamn", "kommundel", "namn", "name")
SUFFIXES = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON",
            ".parquet": "GeoParquet", ".geoparquet": "GeoParquet", ".zip": "zippad Shapefile"}


@dataclass(frozen=True)
class Repair:
    area_id: str
    reason: str


@dataclass(frozen=True, eq=False)
class Areas:
    """Validated areas: ``frame`` has exactly ``area_id``, ``area_name`` and ``geometry``."""

    frame: gpd.GeoDataFrame
    source: SourceInfo
    repairs: tuple[Repair, ...] = ()
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.frame)


def _pick(columns: list[str], candidates: tuple[str, ...], given: str | None) -> str | None:
    if given is not None:
        return given
    lower = {c.lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


# Coordinate ranges that identify a file's CRS when none is recorded. Sweden in SWEREF 99 TM
# (EPSG:3006) lies within x 200 000-1 000 000 m, y 6 100 000-7 700 000 m; in WGS 84 within
# longitude 10-25 and latitude 55-70. The ranges do not overlap, so at most one matches.
CRS_RANGES: dict[str, tuple[tuple[float, float], tuple[float, float], str]] = {
    "EPSG:3006": ((200_000.0, 1_000_000.0), (6_100_000.0, 7_700_000.0), "SWEREF 99 TM"),
    "EPSG:4326": ((10.0, 25.0), (55.0, 70.0), "WGS 84, longitud/latitud"),
}


def detect_crs(bounds: tuple[float, float, float, float]) -> str | None:
    """The CRS whose Swedish coordinate range holds ``bounds`` (minx, miny, maxx, maxy), or None.

    Only used when a file records no CRS; every coordinate must lie inside the range.
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    for crs, ((x0, x1), (y0, y1), _) in CRS_RANGES.items():
        if x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1:
            return crs
    return None


def _not_degrees(frame: gpd.GeoDataFrame) -> bool:
    """Whether some coordinate lies outside longitude −180–180 or latitude −90–90."""
    minx, miny, maxx, maxy = (float(b) for b in frame.geometry.total_bounds)
    return not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) and all(
        b == b for b in (minx, miny, maxx, maxy))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _check_in_sweden(frame: gpd.GeoDataFrame, problems: Problems) -> None:
    """After any CRS was settled: the areas, reprojected to SWEREF 99 TM, have finite
    coordinates inside SWEREF's range for Sweden (:data:`CRS_RANGES`, the range a file
    without CRS is judged by). A file whose recorded CRS is wrong (metres said to be
    degrees, SWEREF said to be RT 90) would otherwise give a map far away or empty, and a
    ranking that looks normal. The bounding box is reprojected, densified along its edges."""
    bounds = tuple(float(b) for b in frame.geometry.total_bounds)
    if any(b != b for b in bounds):
        return                          # no geometry at all: said as "områden utan geometri"
    try:
        x0, y0, x1, y1 = Transformer.from_crs(frame.crs, "EPSG:3006", always_xy=True
                                              ).transform_bounds(*bounds)
    except ProjError:
        x0 = y0 = x1 = y1 = math.inf
    where = [f"x {_fmt(bounds[0])}–{_fmt(bounds[2])}", f"y {_fmt(bounds[1])}–{_fmt(bounds[3])}"]
    fix = ("kontrollera filens koordinatsystem (CRS) i GIS-programmet och spara om filen "
           "med rätt CRS, t.ex. EPSG:3006 (SWEREF 99 TM)")
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        problems.add(f"koordinaterna kan inte räknas om från {frame.crs.to_string()} till "
                     "SWEREF 99 TM: de blir oändliga.", values=where, fix=fix)
        return
    (sx0, sx1), (sy0, sy1), _ = CRS_RANGES["EPSG:3006"]
    if not (sx0 <= x0 and x1 <= sx1 and sy0 <= y0 and y1 <= sy1):
        problems.add(f"områdena hamnar utanför Sverige med filens koordinatsystem "
                     f"{frame.crs.to_string()}: i SWEREF 99 TM x {_fmt(x0)}–{_fmt(x1)}, "
                     f"y {_fmt(y0)}–{_fmt(y1)}.", values=where,
                     expected=f"i SWEREF 99 TM x {_fmt(sx0)}–{_fmt(sx1)}, "
                              f"y {_fmt(sy0)}–{_fmt(sy1)} (Sverige)", fix=fix)


NO_CRS = "filen saknar koordinatsystem (CRS)"
DEGREES_CLAIMED = ("filen anger longitud/latitud i grader (som en GeoJSON utan crs), men "
                   "koordinaterna kan inte vara grader")


def assumed_crs_note(crs: str, bounds: tuple[float, float, float, float],
                     why: str = NO_CRS) -> str:
    """The visible note for a CRS assumed from the coordinate values."""
    minx, miny, maxx, maxy = bounds
    return (f"{why}; {crs} ({CRS_RANGES[crs][2]}) antogs utifrån "
            f"koordinaternas värden (x {_fmt(minx)}–{_fmt(maxx)}, y {_fmt(miny)}–{_fmt(maxy)}). "
            "Kontrollera att områdena hamnar rätt på kartan")


def validate_areas(frame: gpd.GeoDataFrame, source: str = "områdesfil", *,
                   id_column: str | None = None,
                   name_column: str | None = None,
                   assume_crs: bool = True,
                   limits: FileLimits | None = None) -> tuple[gpd.GeoDataFrame,
                                                              tuple[Repair, ...],
                                                              tuple[str, ...]]:
    """Check and normalise an area table; return it with its repairs and notes.

    A table without a CRS whose coordinates all lie in SWEREF 99 TM's or WGS 84's range
    for Sweden gets that CRS with a note, if ``assume_crs`` (the default); otherwise, or
    when the coordinates fit neither range, it is refused.

    Invalid polygons are repaired with ``make_valid`` unless they cross themselves more
    than ``limits.max_self_crossings`` times in all (``limits`` default to the environment's,
    :func:`geo.io.limits.limits_from_env`); then :class:`FileLimitError` is raised.

    Raises :class:`AreaFileError` listing every problem found.
    """
    problems = Problems(AreaFileError, source)
    notes: list[str] = []
    if not isinstance(frame, gpd.GeoDataFrame) or frame.active_geometry_name is None:
        # A non-spatial table (e.g. an attribute layer of a GeoPackage) has no .geometry.
        problems.add("filen har ingen geometrikolumn.", values=list(frame.columns),
                     expected="ett lager med ytor (Polygon eller MultiPolygon)",
                     fix="välj lagret med områdenas ytor eller spara om filen med geometri")
        problems.raise_if_any()
    columns = [c for c in frame.columns if c != frame.geometry.name]
    id_col = _pick(columns, ID_CANDIDATES, id_column)
    if id_col is None or id_col not in frame.columns:
        problems.add("hittar ingen kolumn med områdeskod.", column=id_column,
                     values=columns, expected=" eller ".join(ID_CANDIDATES),
                     fix="ange kolumnen med områdeskod (t.ex. --id-column regsokod)")
    name_col = _pick(columns, NAME_CANDIDATES, name_column)
    if name_col is not None and name_col not in frame.columns:
        problems.add("namnkolumnen finns inte.", column=name_col, values=columns)
    if frame.crs is None and assume_crs:
        bounds = tuple(frame.geometry.total_bounds)
        guessed = detect_crs(bounds) if all(b == b for b in bounds) else None  # NaN: no coords
        if guessed is not None:
            frame = frame.set_crs(guessed)
            notes.append(assumed_crs_note(guessed, bounds))
        else:
            problems.add("filen saknar koordinatsystem (CRS), och koordinaterna ligger varken "
                         "inom SWEREF 99 TM:s eller WGS 84:s intervall för Sverige.",
                         values=[f"x {_fmt(bounds[0])}–{_fmt(bounds[2])}",
                                 f"y {_fmt(bounds[1])}–{_fmt(bounds[3])}"],
                         expected="ett angivet CRS, t.ex. EPSG:3006 (SWEREF 99 TM)",
                         fix="spara om filen med CRS i GIS-programmet, eller sätt det med "
                             "geopandas set_crs(...) om du vet vilket det är")
    elif frame.crs is not None and frame.crs.is_geographic and _not_degrees(frame):
        # A GeoJSON without a "crs" member is WGS 84 by its standard (RFC 7946), and GDAL
        # says so; coordinates in metres then became "degrees" and every reprojected
        # coordinate infinite. Metres in SWEREF 99 TM's range are taken as such, with a note.
        bounds = tuple(frame.geometry.total_bounds)
        guessed = detect_crs(bounds) if assume_crs else None
        if guessed is not None and guessed != "EPSG:4326":
            frame = frame.set_crs(guessed, allow_override=True)
            notes.append(assumed_crs_note(guessed, bounds, DEGREES_CLAIMED))
        else:
            problems.add("koordinaterna kan inte vara grader, men filen anger longitud/"
                         "latitud (som en GeoJSON utan crs).",
                         values=[f"x {_fmt(bounds[0])}–{_fmt(bounds[2])}",
                                 f"y {_fmt(bounds[1])}–{_fmt(bounds[3])}"],
                         expected="grader (x −180–180, y −90–90) eller ett angivet CRS",
                         fix="spara om filen med rätt CRS i GIS-programmet (t.ex. EPSG:3006)")
    elif frame.crs is None:
        problems.add("filen saknar koordinatsystem (CRS).",
                     expected="ett angivet CRS, t.ex. EPSG:3006 (SWEREF 99 TM)",
                     fix="spara om filen med CRS i GIS-programmet, eller sätt det med "
                         "geopandas set_crs('EPSG:3006') om du vet vilket det är")
    problems.raise_if_any()

    ids = frame[id_col].astype("string").str.strip()
    empty_ids = ids.isna() | (ids == "")
    if empty_ids.any():
        problems.add("tomma områdeskoder på rad.", column=id_col,
                     values=[int(i) + 1 for i in empty_ids.to_numpy().nonzero()[0]],
                     fix="fyll i koden eller ta bort objektet")
    dup = sorted(set(ids[ids.duplicated() & ~empty_ids]))  # empty ids are reported above
    if dup:
        problems.add("områdeskoder förekommer mer än en gång.", column=id_col, values=dup,
                     fix="slå ihop delarna till ett objekt per område (dissolve) eller "
                         "rätta koderna")
    geoms = frame.geometry.to_numpy()
    no_geom = [str(i) for i, g in zip(ids, geoms, strict=True) if g is None or g.is_empty]
    if no_geom:
        problems.add("områden utan geometri.", column="geometry", values=no_geom,
                     fix="rita områdena eller ta bort raderna")
    kinds = shapely.get_type_id(geoms)
    not_poly = [f"{i} ({g.geom_type})" for i, g, k in zip(ids, geoms, kinds, strict=True)
                if g is not None and not g.is_empty and k not in (3, 6)]
    if not_poly:
        problems.add("geometrier som inte är ytor.", column="geometry", values=not_poly,
                     expected="Polygon eller MultiPolygon",
                     fix="punkter och linjer kan inte färgas som områden; använd ytfilen")
    problems.raise_if_any()
    _check_in_sweden(frame, problems)
    problems.raise_if_any()

    repairs = []
    # make_valid's cost explodes with the number of self-crossings (a 32 kB polygon that
    # crosses itself everywhere takes minutes): they are counted first, bounded.
    invalid = check_self_crossings(geoms, source, limits)
    if invalid.any():
        fixed = geoms.copy()
        for k in invalid.nonzero()[0]:
            reason = shapely.is_valid_reason(geoms[k])
            repaired = shapely.make_valid(geoms[k])
            polys = [p for p in getattr(repaired, "geoms", [repaired])
                     if p.geom_type in ("Polygon", "MultiPolygon")]
            fixed[k] = shapely.union_all(polys) if polys else repaired
            repairs.append(Repair(str(ids.iloc[k]), reason))
        geoms = fixed
    if name_col is None:
        names = ids
        notes.append("ingen namnkolumn hittades; områdeskoden visas som namn")
    else:
        names = frame[name_col].astype("string").fillna(ids)
    out = gpd.GeoDataFrame({AREA_ID: ids.astype(str).to_numpy(),
                            AREA_NAME: names.astype(str).to_numpy()},
                           geometry=gpd.GeoSeries(geoms, crs=frame.crs).values, crs=frame.crs)
    return out, tuple(repairs), tuple(notes)


def read_layer(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoPackage, GeoJSON, GeoParquet or zipped Shapefile as it is, all columns kept
    (for layers that are not areas, e.g. a population layer); the file is named in errors.

    See :func:`geo.io.safe_files.read_spatial_file` for the checks and limits; a file over a
    limit raises :class:`geo.io.limits.FileLimitError`.
    """
    path = Path(path)
    if not path.exists():
        raise AreaFileError(f"filen '{path}' finns inte. Kontrollera sökvägen.")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise AreaFileError(f"fil '{path.name}': okänt filformat '{path.suffix}'. Förväntat: "
                            + ", ".join(sorted(set(SUFFIXES.values()))) + " ("
                            + ", ".join(SUFFIXES) + ").")
    # The file is not trusted: geo.io.safe_files reads it as the format its suffix names and
    # nothing else, from a private copy, in a child process with bounded memory and time.
    return read_spatial_file(path, layer=layer)


def read_areas(path: str | Path, *, id_column: str | None = None, name_column: str | None = None,
               layer: str | None = None, assume_crs: bool = True) -> Areas:
    """Read area polygons from GeoPackage, GeoJSON, GeoParquet or a zipped Shapefile.

    A file without a CRS is read in the CRS its coordinate values identify, with a note
    (``assume_crs=True``), or refused (``assume_crs=False``); see :func:`validate_areas`.
    """
    path = Path(path)
    frame = read_layer(path, layer=layer)
    frame, repairs, notes = validate_areas(frame, path.name, id_column=id_column,
                                           name_column=name_column, assume_crs=assume_crs)
    return Areas(frame, read_source_info(path), repairs, notes)


def areas_from_frame(frame: gpd.GeoDataFrame | pd.DataFrame, source: SourceInfo,
                     assume_crs: bool = True, **columns: str | None) -> Areas:
    """Validate an in-memory table as areas (for notebooks and tests)."""
    valid, repairs, notes = validate_areas(frame, source.title, assume_crs=assume_crs, **columns)
    return Areas(valid, source, repairs, notes)
