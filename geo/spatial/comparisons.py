"""Comparison columns beside a ranking: the police's utsatta områden, SCB's områdestyp and
point layers (schools, fritidsgårdar, ...).

None of them enters the index. They are shown next to it (table, CSV, tooltip, an overlay on
the map), so that an analyst can see where the ranking agrees with other assessments.

* Utsatta områden (:mod:`geo.io.overlays`): per area the most severe police level among the
  utsatta områden that cover at least ``min_share`` of it, and the share covered.
* Områdestyp (:func:`geo.io.scb_files.read_omradestyp`): SCB gives RegSO *names*
  (``Huddinge (Vårby gård)``), so areas are matched by name within one kommun, named by
  the user or inferred as the kommun whose names match most areas. Every area without a
  match and every name of that kommun without an area is reported in :attr:`notes`.
* Point layers (:mod:`geo.io.points`): per layer the number of points in each area
  (``Antal: <namn>``, 0 where none) and, with a value column, their mean
  (``Medel: <namn> (<kolumn>)``, missing where the area has no point with a value). Points
  outside every area, on shared borders or without a value are reported in the notes; the
  map shows the counted points.
* Police-recorded offences per DeSO (:mod:`geo.spatial.offences`): per area the offences of
  the file's latest full year, summed through a DeSO link where the areas are not DeSO,
  and per 1 000 inhabitants where the analysis has a real population.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cache import digest_of
from geo.io.areas import Areas
from geo.io.files import SourceInfo, read_source_info
from geo.io.overlays import (
    MIN_SHARE,
    OVERLAP_SHARE,
    OVERLAY_LEVEL,
    OVERLAY_NAME,
    Overlay,
    overlaps_in_areas,
    read_utsatta_omraden,
)
from geo.io.points import (
    COUNT,
    MEAN,
    ROW,
    Points,
    count_points_in_areas,
    mean_in_areas,
    parse_numbers,
    read_points,
)
from geo.io.scb_files import (
    KOMMUN_NAME,
    OMRADESTYP,
    REGSO_NAME,
    YEAR,
    read_omradestyp,
)
from geo.spatial.layers import MapOverlay
from geo.spatial.offences import (
    LINK_ROLE,
    OFFENCES_COLUMN,
    OFFENCES_ROLE,
    PoliceOffences,
    Population,
    offences_per_area,
    offences_source,
    offences_tooltip,
    read_police_offences,
)
from indicators.codes import OMRADESTYP_LABELS
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import PointFileError, Problem, Problems, ScbFileError, format_values
from indicators.swedish import format_number, format_percent

# Swedish headers of the comparison columns (table, CSV and tooltip).
POLICE_LEVEL = "Polisens bedömning"
POLICE_SHARE = "Andel av ytan i utsatt område (%)"
OMRADESTYP_COLUMN = "SCB områdestyp"
OVERLAY_TITLE = "Polisens utsatta områden"
OVERLAY_COLOUR = "#7b3294"
COUNT_PREFIX = "Antal: "
MEAN_PREFIX = "Medel: "
# One colour per point layer, in order (away from the areas' yellow-red and the purple).
POINT_COLOURS = ("#1b7837", "#2166ac", "#01665e", "#8c510a", "#c51b7d", "#252525")
POINT_NAME = "Namn"
POINT_LAYER = "Lager"
POINT_VALUE = "Värde"


def count_column(name: str) -> str:
    """The header of a point layer's count column: ``Antal: Fritidsgårdar``."""
    return f"{COUNT_PREFIX}{name}"


def mean_column(name: str, value_column: str) -> str:
    """The header of a point layer's mean column: ``Medel: Skolor (andel)``."""
    return f"{MEAN_PREFIX}{name} ({value_column})"


@dataclass(frozen=True, eq=False)
class PointLayer:
    """Points to count per area (``name`` is the Swedish label shown, e.g.
    "Fritidsgårdar"); with ``value_column`` also the mean of that column per area."""

    name: str
    points: Points
    source: SourceInfo
    value_column: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise PointFileError(f"fil '{self.points.source}': punktlagret saknar namn. "
                                 "Åtgärd: ange ett namn, t.ex. 'Fritidsgårdar'.")
        frame = self.points.frame
        attrs = [c for c in frame.columns if c not in (ROW, frame.geometry.name)]
        if self.value_column is not None and self.value_column not in attrs:
            raise PointFileError([Problem("kolumnen finns inte i punktfilen.",
                                          self.points.source, self.value_column,
                                          tuple(attrs))])

    @property
    def columns(self) -> tuple[str, ...]:
        """The layer's column headers: the count, and the mean when there is a value column."""
        count = count_column(self.name)
        if self.value_column is None:
            return (count,)
        return count, mean_column(self.name, self.value_column)


@dataclass(frozen=True, eq=False)
class Omradestyp:
    """SCB's områdestyp table as read (see :func:`read_omradestyp`) and its source."""

    frame: pd.DataFrame
    source: SourceInfo


@dataclass(frozen=True, eq=False)
class Comparisons:
    """What to compare the ranking with; every part optional. ``kommun`` picks the kommun
    in the områdestyp file (None: inferred from the area names)."""

    utsatta: Overlay | None = None
    omradestyp: Omradestyp | None = None
    kommun: str | None = None
    min_share: float = MIN_SHARE
    points: tuple[PointLayer, ...] = ()
    offences: PoliceOffences | None = None

    def __bool__(self) -> bool:
        return (self.utsatta is not None or self.omradestyp is not None or bool(self.points)
                or self.offences is not None)

    @property
    def digest(self) -> str:
        """Hex SHA-256 of the comparison files' content (frames with their geometry as WKB,
        sources, notes), the kommun, the share threshold and every point layer."""
        parts: list[object] = [self.kommun, self.min_share]
        if self.utsatta is not None:
            parts += ["utsatta", self.utsatta.frame, self.utsatta.source, self.utsatta.notes]
        if self.omradestyp is not None:
            parts += ["omradestyp", self.omradestyp.frame, self.omradestyp.source]
        for layer in self.points:
            points = layer.points
            parts += ["points", layer.name, layer.source, layer.value_column, points.frame,
                      points.source, points.notes, points.label_column]
        if self.offences is not None:
            police = self.offences
            parts += ["offences", police.offences.data, police.source, police.year]
            if police.link is not None:
                parts += ["link", police.link.frame, police.link.source]
        return digest_of(parts)


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """``columns``: one row per area (index ``area_id``, areas' order), one column per
    comparison, headers as in the table. ``notes``: matching gaps and assumptions.
    ``sources``: (role, source) per comparison file."""

    columns: pd.DataFrame
    notes: tuple[str, ...]
    sources: tuple[tuple[str, SourceInfo], ...]
    overlays: tuple[MapOverlay, ...]

    def tooltip_details(self) -> pd.DataFrame:
        """The columns as tooltip text: level with its share, områdestyp with its label,
        point counts as ``Fritidsgårdar: 3`` and means as ``Skolor (andel): medel 72,5``."""
        out = pd.DataFrame(index=self.columns.index)
        if POLICE_LEVEL in self.columns:
            level, share = self.columns[POLICE_LEVEL], self.columns[POLICE_SHARE]
            out[POLICE_LEVEL] = [
                f"{lv} ({format_percent(sh)} av ytan)" if isinstance(lv, str) and lv else
                (f"inget utsatt område ({format_percent(sh)} av ytan)" if sh > 0 else "")
                for lv, sh in zip(level, share, strict=True)]
        if OMRADESTYP_COLUMN in self.columns:
            out[OMRADESTYP_COLUMN] = [
                "" if pd.isna(t) else f"{int(t)} – {OMRADESTYP_LABELS[int(t)]}"
                for t in self.columns[OMRADESTYP_COLUMN]]
        for column in self.columns.columns:
            if column.startswith(COUNT_PREFIX):
                out[column.removeprefix(COUNT_PREFIX)] = self.columns[column].astype(str)
            elif column.startswith(MEAN_PREFIX):
                out[column.removeprefix(MEAN_PREFIX)] = [
                    "" if pd.isna(v) else f"medel {format_number(v, trim=True)}"
                    for v in self.columns[column]]
        if OFFENCES_COLUMN in self.columns:
            out[OFFENCES_COLUMN] = offences_tooltip(self.columns)
        return out


def read_point_layer(path: str | Path, name: str | None = None, *,
                     x_column: str | None = None, y_column: str | None = None,
                     value_column: str | None = None) -> PointLayer:
    """Read a point file (see :func:`geo.io.points.read_points`) with its sidecar source
    information. ``name`` defaults to the file name without suffix ("fritidsgardar_2024"
    becomes "Fritidsgardar 2024")."""
    path = Path(path)
    points = read_points(path, x_column=x_column, y_column=y_column)
    if name is None:
        stem = path.name.split(".")[0].replace("_", " ").strip() or path.name
        name = stem[0].upper() + stem[1:]
    return PointLayer(name.strip(), points, read_source_info(path), value_column)


def read_omradestyp_file(path: str | Path) -> Omradestyp:
    """Read SCB's områdestyp CSV with its sidecar source information."""
    return Omradestyp(read_omradestyp(path), read_source_info(path))


def load_comparisons(utsatta: str | Path | None = None, omradestyp: str | Path | None = None,
                     *, kommun: str | None = None,
                     points: Iterable[PointLayer] = (),
                     offences: str | Path | None = None,
                     deso_link: str | Path | None = None) -> Comparisons:
    """Read the comparison files that are given (None: left out); ``points`` are point
    layers already read (:func:`read_point_layer`); ``offences`` the police's offences
    per DeSO with, for areas that are not DeSO, ``deso_link`` (see
    :func:`geo.spatial.offences.read_police_offences`)."""
    return Comparisons(
        utsatta=read_utsatta_omraden(utsatta) if utsatta is not None else None,
        omradestyp=read_omradestyp_file(omradestyp) if omradestyp is not None else None,
        kommun=kommun, points=tuple(points),
        offences=read_police_offences(offences, deso_link) if offences is not None else None)


def _key(name: object) -> str:
    """Names compared without case, spacing or dash differences."""
    text = re.sub(r"\s*[-–—]\s*", "-", str(name).strip().casefold())
    return re.sub(r"\s+", " ", text)


def _choose_kommun(names: pd.Series, table: pd.DataFrame, kommun: str | None,
                   source: str) -> str:
    kommuner = list(dict.fromkeys(table[KOMMUN_NAME]))
    problems = Problems(ScbFileError, source)
    if kommun is not None:
        chosen = [k for k in kommuner if _key(k) == _key(kommun)]
        if not chosen:
            close = [k for k in kommuner if _key(kommun)[:3] in _key(k)] or kommuner
            problems.add(f"kommunen '{kommun}' finns inte i filen.", column=KOMMUN_NAME,
                         values=close, expected="ett kommunnamn som i filen, t.ex. "
                         "'Huddinge'", fix="rätta kommunnamnet (--kommun)")
            problems.raise_if_any()
        return chosen[0]
    area_keys = set(names.map(_key))
    hits = table.assign(hit=table[REGSO_NAME].map(_key).isin(area_keys)).groupby(
        KOMMUN_NAME, sort=False)["hit"].sum()
    best = hits[hits == hits.max()]
    if hits.max() == 0 or len(best) > 1:
        problems.add("kan inte avgöra vilken kommun områdena ligger i: "
                     + ("inget områdesnamn finns i filen." if hits.max() == 0 else
                        "flera kommuner har lika många matchande namn."),
                     column=KOMMUN_NAME,
                     values=list(best.index) if hits.max() > 0 else list(names)[:5],
                     fix="ange kommunen (--kommun, eller fältet Kommun i appen)")
        problems.raise_if_any()
    return str(best.index[0])


def match_omradestyp(areas: pd.DataFrame, omradestyp: Omradestyp, *,
                     kommun: str | None = None) -> tuple[pd.Series, list[str]]:
    """SCB's områdestyp per area (index ``area_id``, nullable integers) and notes on every
    area without a match and every RegSO name of the kommun without an area."""
    table, source = omradestyp.frame, omradestyp.source.title
    chosen = _choose_kommun(areas[AREA_NAME], table, kommun, source)
    rows = table[table[KOMMUN_NAME] == chosen]
    by_key = dict(zip(rows[REGSO_NAME].map(_key), rows[OMRADESTYP], strict=True))
    keys = areas[AREA_NAME].map(_key)
    values = pd.Series([by_key.get(k, pd.NA) for k in keys], index=areas[AREA_ID].to_numpy(),
                       dtype="Int64", name=OMRADESTYP_COLUMN)
    year = int(rows[YEAR].iloc[0]) if len(rows) else ""
    notes = [f"SCB:s områdestyp {year} ({source}) har matchats mot områdena på namn i "
             f"{chosen} kommun" + (" (kommunen har valts efter vilka namn som matchar)."
                                   if kommun is None else ".")]
    unmatched = areas[~keys.isin(by_key)]
    if len(unmatched):
        shown = [f"{n} ({i})" for i, n in zip(unmatched[AREA_ID], unmatched[AREA_NAME],
                                              strict=True)]
        notes.append(f"{len(unmatched)} område(n) saknar namn i SCB:s områdestyp för "
                     f"{chosen}: {format_values(shown)}.")
    extra = rows[~rows[REGSO_NAME].map(_key).isin(set(keys))]
    if len(extra):
        notes.append(f"{len(extra)} RegSO i SCB:s områdestyp för {chosen} saknas bland "
                     f"områdena: {format_values(list(extra[REGSO_NAME]))}.")
    missing = rows[rows[OMRADESTYP].isna() & rows[REGSO_NAME].map(_key).isin(set(keys))]
    if len(missing):
        notes.append(f"SCB:s områdestyp saknas ('..') för: "
                     f"{format_values(list(missing[REGSO_NAME]))}.")
    return values, notes


def compare_areas(areas: Areas, comparisons: Comparisons, *,
                  population: Population | None = None,
                  grouping: pd.DataFrame | None = None) -> ComparisonResult:
    """The comparison columns for the areas, in their order. ``population`` (inhabitants
    per area) gives the offences per 1 000 inhabitants; ``grouping`` (``from_id`` ->
    ``area_id``) maps the offences' linked areas into merged groups."""
    frame = areas.frame
    columns = pd.DataFrame(index=pd.Index(frame[AREA_ID].to_numpy(), name=AREA_ID))
    notes: list[str] = []
    sources: list[tuple[str, SourceInfo]] = []
    overlays: list[MapOverlay] = []
    if comparisons.utsatta is not None:
        overlay = comparisons.utsatta
        per_area = overlaps_in_areas(frame, overlay, min_share=comparisons.min_share
                                     ).per_area.set_index(AREA_ID)
        level = per_area[OVERLAY_LEVEL].map(lambda v: "" if pd.isna(v) else v[0].upper() + v[1:])
        columns[POLICE_LEVEL] = level.reindex(columns.index).astype(str).to_numpy()
        columns[POLICE_SHARE] = (per_area[OVERLAP_SHARE] * 100).round(1).reindex(
            columns.index).to_numpy()
        notes += [n[0].upper() + n[1:] + "." for n in overlay.notes]
        if not (per_area[OVERLAP_SHARE] > 0).any():
            notes.append(f"Inget av de {len(overlay.frame)} utsatta områdena i "
                         f"'{overlay.source.title}' ligger i något av kartans områden: "
                         "kontrollera att filen gäller samma kommun.")
        notes.append(f"{POLICE_LEVEL}: den allvarligaste nivån bland polisens utsatta "
                     f"områden som täcker minst {format_percent(comparisons.min_share * 100)} av "
                     "området.")
        sources.append(("Utsatta områden", overlay.source))
        shown = overlay.frame.assign(**{"Nivå": overlay.frame[OVERLAY_LEVEL].map(
            lambda v: v[0].upper() + v[1:])})
        overlays.append(MapOverlay(OVERLAY_TITLE, shown, (OVERLAY_NAME, "Nivå"),
                                   OVERLAY_COLOUR))
    if comparisons.omradestyp is not None:
        values, typ_notes = match_omradestyp(frame, comparisons.omradestyp,
                                             kommun=comparisons.kommun)
        columns[OMRADESTYP_COLUMN] = values.reindex(columns.index).to_numpy()
        columns[OMRADESTYP_COLUMN] = columns[OMRADESTYP_COLUMN].astype("Int64")
        notes += typ_notes
        sources.append(("Områdestyp", comparisons.omradestyp.source))
    check_layer_names(comparisons.points)
    for i, layer in enumerate(comparisons.points):
        notes += _add_point_layer(columns, areas, layer)
        sources.append((layer.name, layer.source))
        overlay = point_overlay(areas, layer, POINT_COLOURS[i % len(POINT_COLOURS)])
        if overlay is not None:
            overlays.append(overlay)
    if comparisons.offences is not None:
        police = comparisons.offences
        found, police_notes = offences_per_area(columns.index, police, population=population,
                                                grouping=grouping)
        for name in found.columns:
            columns[name] = found[name].to_numpy()
        notes += police_notes
        sources.append((OFFENCES_ROLE, offences_source(police)))
        if police.link is not None:
            sources.append((LINK_ROLE, police.link.source))
    return ComparisonResult(columns, tuple(notes), tuple(sources), tuple(overlays))


def check_layer_names(layers: Iterable[PointLayer]) -> None:
    """Raise PointFileError when two point layers have the same name (their columns would
    collide)."""
    names = [layer.name for layer in layers]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PointFileError([Problem("flera punktlager har samma namn.", values=tuple(twice),
                                      fix="ge lagren olika namn")])


def _add_point_layer(columns: pd.DataFrame, areas: Areas, layer: PointLayer) -> list[str]:
    """Add the layer's count (and mean) columns; return its notes (nothing left unsaid)."""
    counts, report = count_points_in_areas(areas, layer.points)
    columns[count_column(layer.name)] = counts[COUNT].to_numpy(dtype=int)
    notes = [f"{layer.name}: {n}." for n in layer.points.notes]
    if layer.value_column is not None:
        means, report = mean_in_areas(areas, layer.points, layer.value_column)
        header = mean_column(layer.name, layer.value_column)
        columns[header] = means[MEAN].round(4).to_numpy(dtype=float)
        notes.append(f"{header}: medelvärdet av '{layer.value_column}' för punkterna i "
                     "området; tomt där området saknar punkter med värde.")
    return notes + [f"{layer.name}: {m}" for m in report.messages()]


def point_overlay(areas: Areas | gpd.GeoDataFrame, layer: PointLayer,
                  colour: str) -> MapOverlay | None:
    """The layer's counted points (inside an area) for the map, drawn as circles in
    ``colour``; None when there are none."""
    polygons = areas.frame if isinstance(areas, Areas) else areas
    frame = layer.points.frame.to_crs(polygons.crs)
    hits = gpd.sjoin(frame[[frame.geometry.name]], polygons[[polygons.geometry.name]],
                     how="inner", predicate="intersects")
    inside = frame.index.isin(hits.index)
    if not inside.any():
        return None
    shown = gpd.GeoDataFrame({POINT_NAME: layer.points.labels().to_numpy()[inside],
                              POINT_LAYER: layer.name},
                             geometry=frame.geometry.to_numpy()[inside], crs=frame.crs)
    labels: tuple[str, ...] = (POINT_NAME, POINT_LAYER)
    if layer.value_column is not None:
        values, _ = parse_numbers(frame[layer.value_column])
        shown[POINT_VALUE] = [
            None if np.isnan(v) else f"{layer.value_column}: {format_number(v, trim=True)}"
            for v in values.to_numpy(dtype=float)[inside]]
        labels += (POINT_VALUE,)
    return MapOverlay(layer.name, shown, labels, colour)
