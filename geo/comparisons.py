"""Comparison columns beside a ranking: the police's utsatta områden and SCB's områdestyp.

Neither enters the index. They are shown next to it (table, CSV, tooltip, an overlay on
the map), so that an analyst can see where the ranking agrees with other assessments.

* Utsatta områden (:mod:`geo.overlays`): per area the most severe police level among the
  utsatta områden that cover at least ``min_share`` of it, and the share covered.
* Områdestyp (:func:`indicators.scb_files.read_omradestyp`): SCB gives RegSO *names*
  (``Huddinge (Vårby gård)``), so areas are matched by name within one kommun, named by
  the user or inferred as the kommun whose names match most areas. Every area without a
  match and every name of that kommun without an area is reported in :attr:`notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import Problems, ScbFileError, format_values
from indicators.io import SourceInfo, read_source_info
from indicators.scb_files import (
    KOMMUN_NAME,
    OMRADESTYP,
    OMRADESTYP_LABELS,
    REGSO_NAME,
    YEAR,
    read_omradestyp,
)

from .io import Areas
from .maps import MapOverlay
from .overlays import (
    MIN_SHARE,
    OVERLAP_SHARE,
    OVERLAY_LEVEL,
    OVERLAY_NAME,
    Overlay,
    overlaps_in_areas,
    read_utsatta_omraden,
)

# Swedish headers of the comparison columns (table, CSV and tooltip).
POLICE_LEVEL = "Polisens bedömning"
POLICE_SHARE = "Andel av ytan i utsatt område (%)"
OMRADESTYP_COLUMN = "SCB områdestyp"
OVERLAY_TITLE = "Polisens utsatta områden"
OVERLAY_COLOUR = "#7b3294"


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

    def __bool__(self) -> bool:
        return self.utsatta is not None or self.omradestyp is not None


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
        """The columns as tooltip text: level with its share, områdestyp with its label."""
        out = pd.DataFrame(index=self.columns.index)
        if POLICE_LEVEL in self.columns:
            level, share = self.columns[POLICE_LEVEL], self.columns[POLICE_SHARE]
            out[POLICE_LEVEL] = [
                f"{lv} ({_percent(sh)} av ytan)" if isinstance(lv, str) and lv else
                (f"inget utsatt område ({_percent(sh)} av ytan)" if sh > 0 else "")
                for lv, sh in zip(level, share, strict=True)]
        if OMRADESTYP_COLUMN in self.columns:
            out[OMRADESTYP_COLUMN] = [
                "" if pd.isna(t) else f"{int(t)} – {OMRADESTYP_LABELS[int(t)]}"
                for t in self.columns[OMRADESTYP_COLUMN]]
        return out


def _percent(share_pct: float) -> str:
    """Swedish percent with one decimal at most: 18,3 %, 1 %."""
    return f"{share_pct:.1f}".removesuffix(".0").replace(".", ",") + " %"


def read_omradestyp_file(path: str | Path) -> Omradestyp:
    """Read SCB's områdestyp CSV with its sidecar source information."""
    return Omradestyp(read_omradestyp(path), read_source_info(path))


def load_comparisons(utsatta: str | Path | None = None, omradestyp: str | Path | None = None,
                     *, kommun: str | None = None) -> Comparisons:
    """Read the comparison files that are given (None: left out)."""
    return Comparisons(
        utsatta=read_utsatta_omraden(utsatta) if utsatta is not None else None,
        omradestyp=read_omradestyp_file(omradestyp) if omradestyp is not None else None,
        kommun=kommun)


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


def compare_areas(areas: Areas, comparisons: Comparisons) -> ComparisonResult:
    """The comparison columns for the areas, in their order."""
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
        notes.append(f"{POLICE_LEVEL}: den allvarligaste nivån bland polisens utsatta "
                     f"områden som täcker minst {_percent(comparisons.min_share * 100)} av "
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
    return ComparisonResult(columns, tuple(notes), tuple(sources), tuple(overlays))
