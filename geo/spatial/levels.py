"""Change the level of an analysis: RegSO to the municipality's kommundelar.

Kommundelar come either as a grouping table (:func:`to_level`: the indicator table is
aggregated with :mod:`indicators.levels`, counts summed and rates recomputed, and the
polygons dissolved by the same grouping) or as polygons of their own (:func:`to_polygons`:
counts moved by area- or population-weighted interpolation, :mod:`geo.spatial.interpolate`, with
the coverage of each kommundel reported). Either way the map and the ranking follow the
chosen level together.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.inputs import DATA_DIR, Inputs, arrived_cells
from geo.io.areas import Areas, detect_crs, read_layer
from geo.io.files import read_source_info
from geo.io.safe_files import read_table_file
from geo.sources import HUDDINGE
from geo.spatial.interpolate import interpolate_counts
from indicators.columns import AREA_ID, AREA_NAME
from indicators.disclosure import Held, identity_link
from indicators.errors import IndicatorTableError, Problems
from indicators.levels import FROM_ID, aggregate_to_level, link_table

GROUPINGS_DIR = DATA_DIR / "kommundelar"
DEFAULT_GROUPING = GROUPINGS_DIR / "huddinge_kommundelar_exempel.csv"
DEFAULT_GROUPINGS = {HUDDINGE: DEFAULT_GROUPING}   # kommun -> the grouping shipped for it
# A kommundel file with these suffixes holds polygons (to_polygons); any other is a
# grouping table (to_level).
POLYGON_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".parquet")


def is_polygon_file(name: str | Path) -> bool:
    """Whether a kommundel file named ``name`` holds polygons, not a grouping table."""
    return Path(name).suffix.lower() in POLYGON_SUFFIXES


def default_grouping(kommun: str) -> Path | None:
    """The grouping of ``kommun``'s RegSO into kommundelar shipped with prevmap (only
    Huddinge's example), or None: then the user must upload one."""
    return DEFAULT_GROUPINGS.get(kommun)


def grouped_inputs(inputs: Inputs, path: str | Path) -> tuple[Inputs, list[str]]:
    """``inputs`` summed to the kommundelar of the grouping table at ``path`` (named by
    the table's source title), with notes: :func:`to_level`."""
    return to_level(inputs, read_grouping(path), title=load_grouping_title(path))


def read_population_layer(path: str | Path) -> tuple[gpd.GeoDataFrame, str]:
    """A population layer for population-weighted interpolation: the layer with all its
    columns, in the CRS its coordinates show if none is recorded, and its title."""
    frame = read_layer(path)
    title = read_source_info(path).title
    if frame.crs is None and (crs := detect_crs(tuple(frame.total_bounds))) is not None:
        frame = frame.set_crs(crs)
    return frame, title


def read_grouping(path: str | Path, from_column: str | None = None,
                  to_column: str | None = None) -> pd.DataFrame:
    """A grouping table: first column the area code, second the name of the larger area
    (or name the columns). The larger area's id is its name."""
    path = Path(path)
    raw = read_table_file(path)
    if raw.shape[1] < 2:
        raise IndicatorTableError(f"fil '{path.name}': en grupperingstabell behöver två kolumner "
                                  "(områdeskod och kommundel).")
    from_column = from_column or raw.columns[0]
    to_column = to_column or raw.columns[1]
    return link_table(raw, from_column, to_column, to_column, source=path.name)


def to_level(inputs: Inputs, grouping: pd.DataFrame, *, title: str) -> tuple[Inputs, list[str]]:
    """The same inputs at the level of ``grouping`` (from :func:`read_grouping`), and notes.

    Only rate indicators (numerator and denominator) can be aggregated; a plain-value
    indicator is left out, and a note says so.
    """
    catalogue, table = inputs.catalogue, inputs.table
    problems = Problems(IndicatorTableError, inputs.table_name)
    area_ids = set(inputs.areas.frame[AREA_ID])
    outside = sorted(area_ids - set(grouping[FROM_ID]))
    if outside:
        problems.add("områden som grupperingen inte placerar i någon kommundel.", values=outside,
                     fix="lägg till dem i grupperingstabellen")
    problems.raise_if_any()

    counts, plain = _counts_and_plain(inputs)
    agg = aggregate_to_level(table, grouping, counts=counts, source=inputs.table_name)
    notes = agg.messages()
    if plain:
        notes.append("Indikatorer utan täljare och nämnare kan inte räknas om till kommundelar "
                     "och är utelämnade: " + "; ".join(plain) + ".")

    frame = inputs.areas.frame.merge(grouping[[FROM_ID, AREA_ID, AREA_NAME]].rename(
        columns={AREA_ID: "group_id", AREA_NAME: "group_name"}),
        left_on=AREA_ID, right_on=FROM_ID, how="left")
    dissolved = frame.dissolve(by="group_id", as_index=False, aggfunc={"group_name": "first"})
    polygons = gpd.GeoDataFrame({AREA_ID: dissolved["group_id"].astype(str),
                                 AREA_NAME: dissolved["group_name"].astype(str)},
                                geometry=dissolved.geometry.values, crs=frame.crs)
    source = inputs.areas.source
    areas = Areas(polygons, replace(source, title=f"{title} (av {source.title})"),
                  inputs.areas.repairs, inputs.areas.notes)
    table_source = replace(inputs.table_source,
                           title=f"{inputs.table_source.title}, summerade till {title}")
    history = tuple((year, aggregate_to_level(past, grouping, counts=[
        c for c in counts if c in past.columns], source=f"{inputs.table_name}, år {year}"
    ).frame.drop(columns=[AREA_NAME])) for year, past in inputs.history)
    link = grouping[[FROM_ID, AREA_ID]].assign(weight=1.0).rename(columns={FROM_ID: "from_id"})
    return Inputs(areas=areas, table=agg.frame.drop(columns=[AREA_NAME]),
                  table_source=table_source, table_name=inputs.table_name,
                  catalogue=catalogue, year=inputs.year, history=history,
                  notes=inputs.notes, columns=inputs.columns,
                  held=held_counts(inputs, counts).then(link)), notes


def held_counts(inputs: Inputs, counts: list[str]) -> Held:
    """The counts ``inputs`` were made from, as held (:attr:`Inputs.held`), or ``inputs``'
    own table when it is as held: what the next level is carried from."""
    if inputs.held is not None:
        return inputs.held
    ids = inputs.table[AREA_ID].astype(str)
    arrived = arrived_cells(inputs.missing)
    return Held("områden", inputs.table[[AREA_ID, *counts]], identity_link(list(ids)),
                tuple((year, past[[AREA_ID, *(c for c in counts if c in past.columns)]])
                      for year, past in inputs.history), arrived)


def _interpolation_link(inputs: Inputs, polygons: Areas, **options: object) -> pd.DataFrame:
    """How much of each area's counts interpolation moves to each polygon (``from_id``,
    ``area_id``, ``weight``): the interpolation of one column of ones per area."""
    ids = np.array([str(a) for a in inputs.areas.frame[AREA_ID]])
    names = [f"_a{i}" for i in range(len(ids))]
    frame = inputs.areas.frame[[AREA_ID, "geometry"]]
    ones = frame.join(pd.DataFrame(np.eye(len(ids)), columns=names, index=frame.index))
    moved = interpolate_counts(ones, polygons.frame, counts=names, **options).frame
    share = moved[names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    target, source = np.nonzero(share > 0)        # rows: polygons, columns: areas
    return pd.DataFrame({"from_id": ids[source],
                         AREA_ID: moved[AREA_ID].astype(str).to_numpy()[target],
                         "weight": share[target, source]})


def _counts_and_plain(inputs: Inputs) -> tuple[list[str], list[str]]:
    """The count columns of rate indicators, and the names of plain-value indicators."""
    catalogue, table = inputs.catalogue, inputs.table
    counts = list(dict.fromkeys(c for ind in catalogue.values() if ind.is_rate
                                for c in ind.columns if c in table.columns))
    plain = [ind.name for ind in catalogue.values() if not ind.is_rate and ind.id in table]
    return counts, plain


def to_polygons(inputs: Inputs, polygons: Areas, *, title: str, weights: str = "area",
                population: gpd.GeoDataFrame | None = None,
                population_column: str | None = None,
                population_name: str = "befolkningslagret") -> tuple[Inputs, list[str]]:
    """The same inputs moved onto ``polygons`` (kommundelar whose borders need not follow
    the areas'), and notes: the method, how much of each polygon the areas cover, gaps.

    Counts are interpolated (``weights="area"`` or ``"population"`` with an ancillary
    ``population`` layer, see :func:`geo.spatial.interpolate.interpolate_counts`); rates are
    recomputed by the catalogue from the moved counts. An area without indicator data
    leaves every polygon it reaches without a value, never a smaller sum.
    """
    counts, plain = _counts_and_plain(inputs)
    source = inputs.areas.frame[[AREA_ID, "geometry"]].merge(
        inputs.table[[AREA_ID, *counts]], on=AREA_ID, how="left")
    moved = interpolate_counts(source, polygons.frame, counts=counts,
                               source_name=inputs.table_name, weights=weights,
                               population=population, population_column=population_column,
                               population_name=population_name)
    notes = moved.messages()
    if plain:
        notes.append("Indikatorer utan täljare och nämnare kan inte fördelas på kommundelar "
                     "och är utelämnade: " + "; ".join(plain) + ".")
    how = "befolkningsviktat" if weights == "population" else "ytviktat"
    areas = replace(polygons, source=replace(polygons.source,
                                             title=f"{title} ({polygons.source.title})"))
    table_source = replace(inputs.table_source, title=f"{inputs.table_source.title}, fördelade "
                                                       f"på {title} ({how})")
    history = []
    for year, past in inputs.history:
        cols = [c for c in counts if c in past.columns]
        earlier = inputs.areas.frame[[AREA_ID, "geometry"]].merge(
            past[[AREA_ID, *cols]], on=AREA_ID, how="left")
        frame = interpolate_counts(earlier, polygons.frame, counts=cols,
                                   source_name=f"{inputs.table_name}, år {year}",
                                   weights=weights, population=population,
                                   population_column=population_column,
                                   population_name=population_name).frame
        history.append((year, frame[[AREA_ID, *cols]]))
    link = _interpolation_link(inputs, polygons, source_name=inputs.table_name,
                               weights=weights, population=population,
                               population_column=population_column,
                               population_name=population_name)
    return Inputs(areas=areas, table=moved.frame[[AREA_ID, *counts]],
                  table_source=table_source, table_name=inputs.table_name,
                  catalogue=inputs.catalogue, year=inputs.year, history=tuple(history),
                  notes=inputs.notes, columns=inputs.columns,
                  held=held_counts(inputs, counts).then(link)), notes


def load_grouping_title(path: str | Path) -> str:
    return read_source_info(path).title
