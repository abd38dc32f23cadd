"""Reading and validating area polygons (kommundelar, RegSO, DeSO).

One reader, :func:`read_areas`, takes GeoPackage, GeoJSON, GeoParquet and zipped
Shapefile, finds the id and name columns, and validates: a CRS is present, ids
are present and unique, every geometry is a non-empty polygon, and invalid
geometries are repaired with ``make_valid``, each repair reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, Problems
from indicators.io import SourceInfo, read_source_info

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


def validate_areas(frame: gpd.GeoDataFrame, source: str = "områdesfil", *,
                   id_column: str | None = None,
                   name_column: str | None = None) -> tuple[gpd.GeoDataFrame, tuple[Repair, ...],
                                                            tuple[str, ...]]:
    """Check and normalise an area table; return it with its repairs and notes.

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
    if frame.crs is None:
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

    repairs = []
    invalid = ~shapely.is_valid(geoms)
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


def read_areas(path: str | Path, *, id_column: str | None = None, name_column: str | None = None,
               layer: str | None = None) -> Areas:
    """Read area polygons from GeoPackage, GeoJSON, GeoParquet or a zipped Shapefile."""
    path = Path(path)
    if not path.is_file():
        raise AreaFileError(f"filen '{path}' finns inte. Kontrollera sökvägen.")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise AreaFileError(f"fil '{path.name}': okänt filformat '{path.suffix}'. Förväntat: "
                            + ", ".join(sorted(set(SUFFIXES.values()))) + " ("
                            + ", ".join(SUFFIXES) + ").")
    try:
        if suffix in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path, layer=layer)
    except (ValueError, OSError, RuntimeError) as err:
        raise AreaFileError(f"fil '{path.name}' kunde inte läsas som {SUFFIXES[suffix]}: {err}") \
            from None
    frame, repairs, notes = validate_areas(frame, path.name, id_column=id_column,
                                           name_column=name_column)
    return Areas(frame, read_source_info(path), repairs, notes)


def areas_from_frame(frame: gpd.GeoDataFrame | pd.DataFrame, source: SourceInfo,
                     **columns: str | None) -> Areas:
    """Validate an in-memory table as areas (for notebooks and tests)."""
    valid, repairs, notes = validate_areas(frame, source.title, **columns)
    return Areas(valid, source, repairs, notes)
