"""The police's utsatta områden over the areas: which areas overlap them, and how much.

The police publish their utsatta områden as polygons (e.g. a GeoPackage with the
columns ``NAMN`` and ``KATEGORI``), in three levels: utsatt område, riskområde and
särskilt utsatt område. They do not follow DeSO or RegSO borders, so an area
overlaps an utsatt område by some share of its own surface.

:func:`overlaps_in_areas` gives, per area, the share covered by each utsatt område
(:attr:`Overlaps.pairs`) and a summary with the most severe level among those it
overlaps (:attr:`Overlaps.per_area`): a column to compare a ranking with, never an
input to the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.io.areas import Areas, assumed_crs_note, detect_crs, read_layer
from geo.io.files import SourceInfo, read_source_info
from geo.io.safe_files import check_self_crossings
from indicators.columns import AREA_ID
from indicators.errors import AreaFileError, OverlayFileError, Problems

# Police levels, least to most severe.
LEVELS = ("utsatt område", "riskområde", "särskilt utsatt område")
NAME_CANDIDATES = ("namn", "name", "omrade", "område")
LEVEL_CANDIDATES = ("kategori", "niva", "nivå", "klass", "level")
OVERLAY_NAME = "overlay_name"
OVERLAY_LEVEL = "overlay_level"
OVERLAP_M2 = "overlap_m2"
OVERLAP_SHARE = "overlap_share"
OVERLAPS = "overlaps"
OVERLAY_NAMES = "overlay_names"
# Overlaps below this share of an area are border slivers between two independently
# drawn maps (police polygons against SCB's), not real overlap.
MIN_SHARE = 0.01


@dataclass(frozen=True, eq=False)
class Overlay:
    """The utsatta områden: ``overlay_name``, ``overlay_level`` and ``geometry``."""

    frame: gpd.GeoDataFrame
    source: SourceInfo
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Overlaps:
    """``pairs``: one row per area and utsatt område that touch (share > 0).
    ``per_area``: one row per area, in the areas' order."""

    pairs: pd.DataFrame
    per_area: pd.DataFrame
    min_share: float


def _pick(columns: list[str], candidates: tuple[str, ...], given: str | None) -> str | None:
    if given is not None:
        return given
    lower = {c.lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def read_utsatta_omraden(path: str | Path, *, name_column: str | None = None,
                         level_column: str | None = None, layer: str | None = None,
                         assume_crs: bool = True) -> Overlay:
    """Read the police's utsatta områden (GeoPackage, GeoJSON, zipped Shapefile)."""
    path = Path(path)
    if not path.is_file():
        raise OverlayFileError(f"filen '{path}' finns inte. Kontrollera sökvägen.")
    try:
        # read_layer opens a zip through geo.io.safezip (paths, links and sizes checked)
        frame = read_layer(path, layer=layer)
    except AreaFileError as err:
        raise OverlayFileError(list(err.problems)) from None
    overlay = validate_overlay(frame, path.name, name_column=name_column,
                               level_column=level_column, assume_crs=assume_crs)
    return Overlay(overlay.frame, read_source_info(path), overlay.notes)


def validate_overlay(frame: gpd.GeoDataFrame, source: str = "utsatta områden", *,
                     name_column: str | None = None, level_column: str | None = None,
                     assume_crs: bool = True) -> Overlay:
    """Check names, levels, CRS and geometry; return the polygons in 2D."""
    problems = Problems(OverlayFileError, source)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    name_col = _pick(columns, NAME_CANDIDATES, name_column)
    level_col = _pick(columns, LEVEL_CANDIDATES, level_column)
    if name_col is None or name_col not in frame.columns:
        problems.add("hittar ingen kolumn med områdets namn.", column=name_column,
                     values=columns, expected=" eller ".join(NAME_CANDIDATES),
                     fix="ange kolumnen med name_column")
    if level_col is None or level_col not in frame.columns:
        problems.add("hittar ingen kolumn med polisens nivå.", column=level_column,
                     values=columns, expected=" eller ".join(LEVEL_CANDIDATES),
                     fix="ange kolumnen med level_column")
    problems.raise_if_any()
    notes: list[str] = []
    if frame.crs is None:
        bounds = tuple(float(b) for b in frame.geometry.total_bounds)
        guessed = detect_crs(bounds) if assume_crs and all(b == b for b in bounds) else None
        if guessed is None:
            problems.add("filen saknar koordinatsystem (CRS).",
                         expected="ett angivet CRS, t.ex. EPSG:3006 (SWEREF 99 TM)",
                         fix="spara om filen med CRS i GIS-programmet")
        else:
            frame = frame.set_crs(guessed)
            notes.append(assumed_crs_note(guessed, bounds))
    levels = frame[level_col].astype("string").str.strip().str.lower()
    unknown = sorted(set(frame[level_col][~levels.isin(LEVELS)].astype(str)))
    if unknown:
        problems.add("okända nivåer.", column=level_col, values=unknown,
                     expected=", ".join(LEVELS), fix="rätta nivån i filen")
    geoms = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    names = frame[name_col].astype(str)
    bad = [f"{n} ({'tom' if g is None or g.is_empty else g.geom_type})"
           for n, g, k in zip(names, geoms, kinds, strict=True)
           if g is None or g.is_empty or k not in (3, 6)]
    if bad:
        problems.add("geometrier som inte är ytor.", column="geometry", values=bad,
                     expected="Polygon eller MultiPolygon")
    problems.raise_if_any()
    check_self_crossings(geoms, source)  # bounds make_valid's work, see geo.io.safe_files
    flat = shapely.make_valid(shapely.force_2d(geoms))
    out = gpd.GeoDataFrame({OVERLAY_NAME: names.to_numpy(), OVERLAY_LEVEL: levels.to_numpy()},
                           geometry=gpd.GeoSeries(flat, crs=frame.crs).values,
                           crs=frame.crs).to_crs(3006)
    return Overlay(out, SourceInfo(source, "egen fil", "okänt"), tuple(notes))


def overlaps_in_areas(areas: Areas | gpd.GeoDataFrame, overlay: Overlay, *,
                      min_share: float = MIN_SHARE) -> Overlaps:
    """How much of each area every utsatt område covers.

    ``pairs`` has ``area_id``, ``overlay_name``, ``overlay_level``, ``overlap_m2`` and
    ``overlap_share`` (of the area's surface) for every pair with a share above 0.
    ``per_area`` has, for every area, ``overlaps`` (True when some utsatt område covers at
    least ``min_share`` of it), ``overlap_share`` (share covered by any utsatt område),
    ``overlay_level`` (most severe level among the overlaps counted, else missing) and
    ``overlay_names``.
    """
    frame = areas.frame if isinstance(areas, Areas) else areas
    if frame.crs is None:
        raise OverlayFileError("områdena saknar koordinatsystem (CRS). Åtgärd: läs "
                               "områdena med read_areas.")
    if not 0 <= min_share < 1:
        raise OverlayFileError(f"min_share {min_share} ska vara minst 0 och under 1.")
    polys = frame[[AREA_ID, frame.geometry.name]].to_crs(3006)
    area_m2 = pd.Series(polys.area.to_numpy(), index=polys[AREA_ID])
    pieces = gpd.overlay(polys, overlay.frame, how="intersection", keep_geom_type=True)
    pieces[OVERLAP_M2] = pieces.area
    pairs = (pieces.groupby([AREA_ID, OVERLAY_NAME, OVERLAY_LEVEL], sort=False)[OVERLAP_M2]
             .sum().reset_index())
    # float on both sides: with no overlap at all the empty columns have no number type
    pairs[OVERLAP_SHARE] = (pairs[OVERLAP_M2].astype(float)
                            / pairs[AREA_ID].map(area_m2).astype(float))
    pairs = pairs[pairs[OVERLAP_SHARE] > 0]
    order = {a: i for i, a in enumerate(polys[AREA_ID])}
    pairs = pairs.sort_values([AREA_ID, OVERLAY_NAME], key=lambda s: s.map(order)
                              if s.name == AREA_ID else s).reset_index(drop=True)

    union = shapely.union_all(overlay.frame.geometry.to_numpy())
    covered = shapely.area(shapely.intersection(polys.geometry.to_numpy(), union))
    share = pd.Series(covered, index=polys[AREA_ID]) / area_m2
    counted = pairs[pairs[OVERLAP_SHARE] >= min_share] if min_share > 0 else pairs
    rank = {level: i for i, level in enumerate(LEVELS)}
    worst = counted.groupby(AREA_ID)[OVERLAY_LEVEL].agg(lambda s: max(s, key=rank.__getitem__))
    names = counted.groupby(AREA_ID)[OVERLAY_NAME].agg(lambda s: ", ".join(sorted(s)))
    index = pd.Index(polys[AREA_ID], name=AREA_ID)
    per_area = pd.DataFrame({
        OVERLAPS: index.isin(counted[AREA_ID]),
        OVERLAP_SHARE: share.to_numpy(),
        OVERLAY_LEVEL: worst.reindex(index).astype("string"),
        OVERLAY_NAMES: names.reindex(index).fillna(""),
    }, index=index).reset_index()
    return Overlaps(pairs, per_area, min_share)
