"""Resources already in each area (schools, fritidsgårdar, föreningar, fältverksamhet), and
the areas with high need but few resources.

The resources are point files, read as the comparison point layers are
(:func:`geo.spatial.comparisons.read_point_layer`: CSV with coordinates or GeoJSON, WGS 84 or
SWEREF 99 TM) and counted per area by :func:`geo.io.points.count_points_in_areas` (a point on
a shared border counts once, in the area first in the table; points outside every area
are reported, never dropped silently).

* :func:`resource_counts`: per area the number of points of each layer (``Antal:
  Skolor``), all layers together (``Antal: alla resurser``) and, with a population (e.g.
  children 0–17 years, :func:`youth_population`), the same per 1 000 of them;
  :func:`analysis_resource_counts` does this for an analysis' areas and indicator table.
* :func:`resource_gaps`: "högt behov, få resurser": the areas in the high priority tiers
  (default "Hög prioritet" and "Förhöjd", :mod:`indicators.tiers`) whose resources (per
  1 000 when a population is given, else the number) are below the median of all areas,
  each with its reason in Swedish. Below means strictly below: with a median of 0 no area
  is below it.
* :func:`resource_overlays`, :func:`resource_details`, :func:`gap_overlay` and
  :func:`resource_map`: the points as circles by type, the counts in the area tooltips and
  the gap areas outlined, on the analysis map (:func:`geo.maps.analysis_map.build_analysis_map`).

None of this enters the index: resources are shown beside the need, not weighed into it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis import TIER, Analysis, robustness_columns
from geo.io.areas import Areas
from geo.io.points import COUNT, count_points_in_areas
from geo.maps.analysis_map import analysis_view
from geo.maps.choropleth import page_from_view
from geo.maps.mapview import MapView
from geo.spatial.comparisons import (
    POINT_COLOURS,
    PointLayer,
    check_layer_names,
    count_column,
    point_overlay,
)
from geo.spatial.layers import MapOverlay
from indicators.columns import AREA_ID, AREA_NAME, YOUTH_POPULATION
from indicators.columns import youth_population as young_people
from indicators.swedish import format_number
from indicators.tiers import HIGH, RAISED, TIERS

#: The kinds of resources the app asks for, in order (any other name may be used).
RESOURCE_KINDS: tuple[str, ...] = ("Skolor", "Fritidsgårdar", "Föreningar", "Fältverksamhet")
ALL = "alla resurser"
TOTAL_COLUMN = count_column(ALL)
#: Population columns of the indicator table that resources are counted per, in order of
#: preference, with their Swedish label (the young population of the method).
POPULATION_COLUMNS: tuple[tuple[str, str], ...] = YOUTH_POPULATION
GAP_TIERS: tuple[str, ...] = (HIGH, RAISED)
GAP_TITLE = "Högt behov, få resurser"
GAP_COLOUR = "#e66101"
# Headers of the gap table.
CODE, NAME, TIER, MEASURE, MEDIAN, UNIT, REASON = (
    "Områdeskod", "Område", TIER, "Resurser", "Median för alla områden", "Mått",
    "Motivering")


def population_column(label: str) -> str:
    """The header of the population a count is divided by: ``Befolkning (barn 0–17 år)``."""
    return f"Befolkning ({label})"


def per_1000_column(name: str, label: str) -> str:
    """The header of a layer's count per 1 000: ``Per 1 000 barn 0–17 år: Skolor``."""
    return f"Per 1 000 {label}: {name}"


def youth_population(table: pd.DataFrame) -> tuple[pd.Series, str] | None:
    """The young population per area from an indicator table (an ``area_id`` column or
    indexed by area id): the first of :data:`POPULATION_COLUMNS` the table has, named by
    :func:`population_column`, with its label; None when it has none."""
    found = young_people(table)
    return None if found is None else (found[0].rename(population_column(found[1])), found[1])


def _frame(areas: Areas | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return areas.frame if isinstance(areas, Areas) else areas


def resource_counts(areas: Areas | gpd.GeoDataFrame, layers: Sequence[PointLayer], *,
                    population: pd.Series | str | None = None,
                    population_label: str = "barn 0–17 år") -> pd.DataFrame:
    """Per area (index ``area_id``, the areas' order): the number of points of each layer
    (``Antal: <namn>``) and of all together (``Antal: alla resurser``).

    ``population``: a column of ``areas`` or a Series by area id (e.g. the first value of
    :func:`youth_population`); given, the population column and every count per 1 000 of
    it (``Per 1 000 <label>: <namn>``) follow; an area with no or 0 population has none.
    ``attrs["notes"]`` holds what happened to the points (outside every area, on borders);
    ``attrs["population_label"]`` the label, or None.
    """
    frame = _frame(areas)
    check_layer_names(layers)
    index = pd.Index(frame[AREA_ID].astype(str).to_numpy(), name=AREA_ID)
    out = pd.DataFrame(index=index)
    notes: list[str] = []
    for layer in layers:
        counts, report = count_points_in_areas(frame, layer.points)
        out[count_column(layer.name)] = counts[COUNT].to_numpy(dtype=int)
        notes += [f"{layer.name}: {n}." for n in layer.points.notes]
        notes += [f"{layer.name}: {m}" for m in report.messages()]
    names = [count_column(layer.name) for layer in layers]
    out[TOTAL_COLUMN] = out[names].sum(axis=1).astype(int) if names else 0
    label = None
    if population is not None:
        label = population_label
        values = frame[population] if isinstance(population, str) else population
        if isinstance(population, str):
            values = pd.Series(values.to_numpy(), index=index)
        values = pd.to_numeric(values, errors="coerce").astype(float)
        values.index = values.index.astype(str)
        people = values.reindex(index)
        out[population_column(label)] = people.to_numpy()
        base = people.where(people > 0).to_numpy()
        for layer, name in zip([*layers, None], [*names, TOTAL_COLUMN], strict=True):
            shown = layer.name if layer is not None else ALL
            out[per_1000_column(shown, label)] = out[name].to_numpy() / base * 1000
        lacking = list(index[np.isnan(base)])
        if lacking:
            notes.append(f"Befolkning ({label}) saknas eller är 0 för {len(lacking)} "
                         f"område(n), så resurserna per 1 000 saknas där: "
                         f"{', '.join(lacking[:10])}{' …' if len(lacking) > 10 else ''}.")
    out.attrs["notes"] = notes
    out.attrs["population_label"] = label
    return out


def analysis_resource_counts(analysis: Analysis, layers: Sequence[PointLayer]
                             ) -> pd.DataFrame:
    """:func:`resource_counts` over the analysis' areas, per 1 000 of the young population
    of its indicator table when it has one (:func:`youth_population`)."""
    found = youth_population(analysis.inputs.table)
    if found is None:
        return resource_counts(analysis.inputs.areas, layers)
    population, label = found
    return resource_counts(analysis.inputs.areas, layers, population=population,
                           population_label=label)


def _measure(counts: pd.DataFrame) -> tuple[pd.Series, str]:
    """The resources that gaps are judged on: per 1 000 when counted so, else the number."""
    label = counts.attrs.get("population_label")
    if label is not None and per_1000_column(ALL, label) in counts.columns:
        return counts[per_1000_column(ALL, label)].astype(float), f"resurser per 1 000 {label}"
    if TOTAL_COLUMN not in counts.columns:
        raise ValueError(f"kolumnen '{TOTAL_COLUMN}' saknas; räkna resurserna med "
                         "resource_counts först.")
    return counts[TOTAL_COLUMN].astype(float), "resurser"


def find_gaps(tiers: pd.Series, counts: pd.DataFrame, names: Mapping[str, str] | None = None,
              *, gap_tiers: Iterable[str] = GAP_TIERS) -> pd.DataFrame:
    """The areas whose tier is in ``gap_tiers`` and whose resources are below the median
    of all areas in ``counts`` (see the module docstring), one row each: code, name, tier,
    the resources, the median, what is measured and the reason in Swedish. Ordered by tier
    (highest first), then fewest resources, then code. ``attrs["notes"]`` says which
    areas could not be judged (no population)."""
    wanted = list(dict.fromkeys(gap_tiers))
    unknown = [t for t in wanted if t not in TIERS]
    if unknown:
        raise ValueError(f"okända prioritetsnivåer {unknown}; välj bland {list(TIERS)}.")
    measure, what = _measure(counts)
    median = float(measure.median()) if measure.notna().any() else np.nan
    tier = tiers.astype(str).reindex(measure.index)
    names = dict(names or {})
    layers = [c for c in counts.columns if c.startswith("Antal: ") and c != TOTAL_COLUMN]
    chosen = tier.isin(wanted) & (measure < median)
    rows = []
    for area in measure.index[chosen.to_numpy()]:
        parts = ", ".join(f"{c.removeprefix('Antal: ')} {int(counts.at[area, c])}"
                          for c in layers)
        reason = (f"{tier[area]} men {format_number(measure[area], 1)} {what}, under medianen "
                  f"{format_number(median, 1)} för alla områden"
                  + (f" ({parts})" if parts else "") + ".")
        rows.append({CODE: area, NAME: names.get(area, area), TIER: tier[area],
                     MEASURE: float(measure[area]), MEDIAN: median, UNIT: what,
                     REASON: reason})
    out = pd.DataFrame(rows, columns=[CODE, NAME, TIER, MEASURE, MEDIAN, UNIT, REASON])
    if len(out):
        order = {t: k for k, t in enumerate(TIERS)}
        out = out.assign(_t=out[TIER].map(order)).sort_values(
            ["_t", MEASURE, CODE], kind="stable").drop(columns="_t").reset_index(drop=True)
    unjudged = list(measure.index[(tier.isin(wanted) & measure.isna()).to_numpy()])
    out.attrs["notes"] = ([f"{len(unjudged)} område(n) med hög prioritet kunde inte bedömas "
                           f"eftersom {what} saknas: {', '.join(unjudged)}."]
                          if unjudged else [])
    return out


def _tiers(analysis: Analysis) -> pd.Series:
    columns = robustness_columns(analysis)
    if TIER not in columns.columns:
        raise ValueError("analysen saknar prioritetsnivåer (ingen osäkerhetsanalys); "
                         "kör analysen med run_analysis.")
    tiers = columns[TIER]
    tiers.index = tiers.index.astype(str)
    return tiers


def _names(analysis: Analysis) -> dict[str, str]:
    frame = analysis.inputs.areas.frame
    return dict(zip(frame[AREA_ID].astype(str), frame[AREA_NAME].astype(str), strict=True))


def resource_gaps(analysis: Analysis, counts: pd.DataFrame, *,
                  gap_tiers: Iterable[str] = GAP_TIERS) -> pd.DataFrame:
    """"Högt behov, få resurser" for an analysis (:class:`geo.analysis.Analysis`): its
    tiers and area names with ``counts`` from :func:`resource_counts` (see
    :func:`find_gaps`)."""
    return find_gaps(_tiers(analysis), counts, _names(analysis), gap_tiers=gap_tiers)


# -- the map ---------------------------------------------------------------------------------

def resource_overlays(areas: Areas | gpd.GeoDataFrame, layers: Sequence[PointLayer]
                      ) -> tuple[MapOverlay, ...]:
    """One circle layer per resource type (the points inside an area), each its colour."""
    check_layer_names(layers)
    overlays = (point_overlay(areas, layer, POINT_COLOURS[i % len(POINT_COLOURS)])
                for i, layer in enumerate(layers))
    return tuple(o for o in overlays if o is not None)


def resource_details(counts: pd.DataFrame) -> pd.DataFrame:
    """Tooltip lines per area (index ``area_id``): ``Skolor: 2`` per layer and
    ``Resurser: 3 (1,5 per 1 000 barn 0–17 år)`` for all together."""
    label = counts.attrs.get("population_label")
    out = pd.DataFrame(index=counts.index)
    for column in counts.columns:
        if column.startswith("Antal: ") and column != TOTAL_COLUMN:
            out[column.removeprefix("Antal: ")] = counts[column].astype(int).astype(str)
    total = counts[TOTAL_COLUMN].astype(int).astype(str)
    if label is not None:
        rate = counts[per_1000_column(ALL, label)]
        total = pd.Series([f"{n} ({format_number(r, 1)} per 1 000 {label})" if not pd.isna(r)
                           else n for n, r in zip(total, rate, strict=True)], index=counts.index)
    out["Resurser"] = total
    return out


def gap_overlay(analysis: Analysis, gaps: pd.DataFrame) -> MapOverlay | None:
    """The gap areas outlined on the map (their own borders), with the reason in the
    tooltip; None when there are none."""
    if not len(gaps):
        return None
    frame = analysis.inputs.areas.frame
    frame = frame.assign(**{AREA_ID: frame[AREA_ID].astype(str)})
    shown = frame[frame[AREA_ID].isin(set(gaps[CODE]))][[AREA_ID, AREA_NAME, "geometry"]]
    reasons = dict(zip(gaps[CODE], gaps[REASON], strict=True))
    shown = shown.assign(**{REASON: shown[AREA_ID].map(reasons)})
    return MapOverlay(GAP_TITLE, gpd.GeoDataFrame(shown, geometry="geometry", crs=frame.crs),
                      (AREA_NAME, REASON), GAP_COLOUR)


def resource_map(analysis: Analysis, layers: Sequence[PointLayer],
                 counts: pd.DataFrame | None = None, *, gaps: pd.DataFrame | None = None,
                 tiles: str | None = None, created: dt.date | None = None,
                 kommun: str | None = None) -> folium.Map:
    """The analysis map with the resources: circles by type, the counts in the tooltips
    and, with ``gaps`` (:func:`resource_gaps`), the gap areas outlined."""
    view = resource_view(analysis, layers, counts, gaps=gaps, created=created, kommun=kommun)
    return page_from_view(view, tiles=tiles, layer_name="Sammanvägt behov")


def resource_view(analysis: Analysis, layers: Sequence[PointLayer],
                  counts: pd.DataFrame | None = None, *, gaps: pd.DataFrame | None = None,
                  created: dt.date | None = None, kommun: str | None = None,
                  settings: bool = True) -> MapView:
    """The view of :func:`resource_map` (``settings=False``: the app's, see
    :func:`geo.maps.analysis_map.analysis_view`)."""
    frame = analysis.inputs.areas.frame
    counts = counts if counts is not None else resource_counts(frame, layers)
    overlays = resource_overlays(frame, layers)
    outline = gap_overlay(analysis, gaps) if gaps is not None else None
    if outline is not None:
        overlays = (outline, *overlays)
    return analysis_view(analysis, created=created, kommun=kommun, extra_overlays=overlays,
                         extra_details=resource_details(counts), settings=settings)
