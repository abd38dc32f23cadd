"""Point data (schools, fritidsgårdar, ...) and their counts and means per area.

:func:`read_points` reads a CSV with coordinate columns or a GeoJSON of points. CSV
coordinate columns are found by name (``lon``/``lat``, ``longitud``/``latitud``,
``x``/``y``, ``E``/``N``, ...), numbers may use a decimal comma, and the CRS (WGS 84
or SWEREF 99 TM) is read from the value ranges, with a note that says so. Every point
ends up in EPSG:3006.

:func:`count_points_in_areas` and :func:`mean_in_areas` join points to areas. The
result has one row per area, in the areas' order (0 points: count 0, mean missing),
and a :class:`PointReport` lists every point outside all areas: none is dropped silently.

Border rule: a point on a border shared by several areas (or on their common corner)
belongs to exactly one of them, the one that comes first in the areas table. A point
on the outer border of the areas is inside.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.io.areas import CRS_RANGES, Areas, _fmt, detect_crs
from geo.io.safe_files import read_spatial_file
from indicators.columns import AREA_ID
from indicators.errors import AreaFileError, PointFileError, Problem, Problems

# (x, y) column name pairs, lower case, in the order they are tried.
COORDINATE_PAIRS = (("lon", "lat"), ("lng", "lat"), ("long", "lat"), ("longitude", "latitude"),
                    ("longitud", "latitud"), ("x", "y"), ("e", "n"), ("easting", "northing"),
                    ("x_koord", "y_koord"), ("ost", "nord"), ("öst", "nord"))
LABEL_CANDIDATES = ("namn", "name", "skolenhet", "skola", "enhet", "benamning", "benämning")
ROW = "source_row"  # the point's row in its file (CSV: line number; GeoJSON: feature number)
COUNT = "count"
MEAN = "mean"
N_VALUES = "n_values"
NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


@dataclass(frozen=True, eq=False)
class Points:
    """Validated points in EPSG:3006: the file's columns, ``source_row`` and ``geometry``."""

    frame: gpd.GeoDataFrame
    source: str
    notes: tuple[str, ...] = ()
    label_column: str | None = None

    def __len__(self) -> int:
        return len(self.frame)

    def labels(self) -> pd.Series:
        """How each point is named in messages: its name, else its row in the file."""
        rows = "rad " + self.frame[ROW].astype(str)
        if self.label_column is None:
            return rows
        names = self.frame[self.label_column].astype("string").str.strip()
        return names.where(names.notna() & (names != ""), rows).astype(str)


@dataclass(frozen=True)
class PointReport:
    """What happened to the points in a join with areas."""

    total: int
    outside: tuple[str, ...] = ()
    on_shared_border: tuple[str, ...] = ()
    without_value: tuple[str, ...] = ()

    def messages(self) -> list[str]:
        """Swedish sentences for the app and the exports; empty when nothing needs saying."""
        out = []
        if self.outside:
            n = len(self.outside)
            out.append(f"{n} av {self.total} punkter ligger utanför alla områden och räknas "
                       f"inte: {', '.join(self.outside)}.")
        if self.on_shared_border:
            n = len(self.on_shared_border)
            out.append(f"{n} {'punkt' if n == 1 else 'punkter'} på gränsen mellan områden "
                       "räknades till det område som kommer först i områdestabellen: "
                       f"{', '.join(self.on_shared_border)}.")
        if self.without_value:
            n = len(self.without_value)
            out.append(f"{n} {'punkt' if n == 1 else 'punkter'} saknar värde och ingår inte "
                       f"i medelvärdet: {', '.join(self.without_value)}.")
        return out


def _sniff_separator(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        header = handle.readline()
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def parse_numbers(values: pd.Series) -> tuple[pd.Series, list[int]]:
    """Numbers from text (decimal comma or point, spaces as thousands separators).

    Returns the numbers (missing where empty) and the positions of unparseable cells.
    """
    text = values.astype("string").str.strip().str.replace(r"[\s\u00a0]", "", regex=True)
    empty = text.isna() | (text == "")
    ok = text.str.fullmatch(NUMBER.pattern).fillna(False).astype(bool)
    bad = [int(i) for i in np.flatnonzero((~ok & ~empty).to_numpy())]
    numbers = pd.to_numeric(text.where(ok).str.replace(",", ".", regex=False), errors="coerce")
    return numbers.astype(float), bad


def _pick_pair(columns: list[str], x_column: str | None,
               y_column: str | None) -> tuple[str, str] | None:
    if x_column is not None and y_column is not None:
        return x_column, y_column
    lower = {c.strip().lower(): c for c in columns}
    for x, y in COORDINATE_PAIRS:
        if x in lower and y in lower:
            return lower[x], lower[y]
    return None


def _label_column(columns: list[str]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[c] for c in LABEL_CANDIDATES if c in lower), None)


def points_from_table(table: pd.DataFrame, source: str = "punkttabell", *,
                      x_column: str | None = None, y_column: str | None = None,
                      crs: str | int | None = None, first_row: int = 2) -> Points:
    """Points from a table with coordinate columns (the cells may be text).

    ``first_row`` is the file line of the first data row, for messages (2 below a header).
    """
    problems = Problems(PointFileError, source)
    columns = [str(c) for c in table.columns]
    pair = _pick_pair(columns, x_column, y_column)
    if pair is None:
        problems.add("hittar inga koordinatkolumner.", values=columns,
                     expected="ett par som lon/lat, longitud/latitud, x/y eller E/N",
                     fix="byt namn på kolumnerna eller ange x_column och y_column")
        problems.raise_if_any()
    xcol, ycol = pair
    for col in (xcol, ycol):
        if col not in table.columns:
            problems.add("kolumnen finns inte.", column=col, values=columns)
    problems.raise_if_any()
    rows = pd.Series(np.arange(len(table)) + first_row, index=table.index)
    coords = {}
    for col in (xcol, ycol):
        numbers, bad = parse_numbers(table[col])
        if bad:
            problems.add("värden som inte är tal.", column=col,
                         values=[f"rad {rows.iloc[i]}: {table[col].iloc[i]}" for i in bad],
                         expected="tal med decimalpunkt eller decimalkomma, t.ex. 59,2371",
                         fix="rätta värdena i filen")
        empty = [int(rows.iloc[i]) for i in np.flatnonzero(
            numbers.isna().to_numpy()) if i not in bad]
        if empty:
            problems.add("tomma koordinater på rad.", column=col, values=empty,
                         fix="fyll i koordinaten eller ta bort raden")
        coords[col] = numbers
    problems.raise_if_any()
    x, y = coords[xcol].to_numpy(), coords[ycol].to_numpy()
    notes = []
    if crs is None:
        bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max())) if len(x) \
            else (np.nan,) * 4
        crs = detect_crs(bounds) if len(x) else "EPSG:3006"
        if crs is None:
            swapped = detect_crs((bounds[1], bounds[0], bounds[3], bounds[2]))
            problems.add("koordinaterna ligger varken inom WGS 84:s eller SWEREF 99 TM:s "
                         "intervall för Sverige.", column=f"{xcol}/{ycol}",
                         values=[f"{xcol} {_fmt(bounds[0])}–{_fmt(bounds[2])}",
                                 f"{ycol} {_fmt(bounds[1])}–{_fmt(bounds[3])}"],
                         expected="longitud 10–25 och latitud 55–70 (WGS 84), eller x "
                                  "200 000–1 000 000 och y 6 100 000–7 700 000 (SWEREF 99 TM)",
                         fix=(f"kolumnerna verkar förväxlade; byt plats på '{xcol}' och "
                              f"'{ycol}'" if swapped else
                              "kontrollera koordinaterna, eller ange crs om de är i ett "
                              "annat koordinatsystem"))
            problems.raise_if_any()
        elif len(x):
            notes.append(f"koordinaterna i '{xcol}'/'{ycol}' tolkades som {crs} "
                         f"({CRS_RANGES[crs][2]}) utifrån värdena ({xcol} {_fmt(bounds[0])}–"
                         f"{_fmt(bounds[2])}, {ycol} {_fmt(bounds[1])}–{_fmt(bounds[3])})")
    attrs = table.drop(columns=[xcol, ycol]).reset_index(drop=True)
    attrs[ROW] = rows.to_numpy()
    frame = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(x, y), crs=crs).to_crs(3006)
    return Points(frame, source, tuple(notes), _label_column(list(attrs.columns)))


def read_points(path: str | Path, *, x_column: str | None = None, y_column: str | None = None,
                crs: str | int | None = None) -> Points:
    """Read points from a CSV with coordinate columns or from a GeoJSON of points."""
    path = Path(path)
    if not path.is_file():
        raise PointFileError(f"filen '{path}' finns inte. Kontrollera sökvägen.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        table = pd.read_csv(path, sep=_sniff_separator(path), dtype=str, keep_default_na=False,
                            encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
        return points_from_table(table, path.name, x_column=x_column, y_column=y_column, crs=crs)
    if suffix in (".geojson", ".json", ".gpkg"):
        # Not trusted: read as the format its suffix names, bounded (see geo.io.safe_files).
        try:
            frame = read_spatial_file(path, formats=("geojson", "gpkg"))
        except AreaFileError as err:
            raise PointFileError(list(err.problems)) from None
        return points_from_frame(frame, path.name)
    raise PointFileError(f"fil '{path.name}': okänt filformat '{path.suffix}'. Förväntat: CSV "
                         "med koordinatkolumner (.csv) eller GeoJSON med punkter (.geojson).")


def points_from_frame(frame: gpd.GeoDataFrame, source: str = "punktlager") -> Points:
    """Validate a GeoDataFrame of points: CRS present, every geometry a point."""
    problems = Problems(PointFileError, source)
    if frame.crs is None:
        problems.add("filen saknar koordinatsystem (CRS).",
                     expected="ett angivet CRS, t.ex. EPSG:4326 eller EPSG:3006",
                     fix="spara om filen med CRS, eller använd en CSV med koordinatkolumner")
    geoms = frame.geometry
    bad = [f"objekt {i + 1} ({'tom' if g is None or g.is_empty else g.geom_type})"
           for i, g in enumerate(geoms) if g is None or g.is_empty or g.geom_type != "Point"]
    if bad:
        problems.add("geometrier som inte är punkter.", column="geometry", values=bad,
                     expected="Point", fix="använd ytfilen som områden, eller ta fram "
                                           "punkterna (t.ex. centroider) i GIS-programmet")
    problems.raise_if_any()
    out = frame.reset_index(drop=True).to_crs(3006)
    out.insert(len(out.columns) - 1, ROW, np.arange(1, len(out) + 1))
    attrs = [c for c in out.columns if c != out.geometry.name]
    return Points(out, source, (), _label_column(attrs))


def _as_points(points: Points | gpd.GeoDataFrame) -> Points:
    return points if isinstance(points, Points) else points_from_frame(points)


def _assign(areas: Areas | gpd.GeoDataFrame, points: Points) -> tuple[pd.Series, PointReport,
                                                                      pd.Index]:
    """Each point's area_id (missing when outside), by the border rule in the module doc."""
    frame = areas.frame if isinstance(areas, Areas) else areas
    if frame.crs is None:
        raise PointFileError("områdena saknar koordinatsystem (CRS); punkterna kan inte "
                             "placeras. Åtgärd: läs områdena med read_areas.")
    pts = points.frame.to_crs(frame.crs)
    polys = gpd.GeoDataFrame({AREA_ID: frame[AREA_ID].to_numpy(),
                              "_order": np.arange(len(frame))},
                             geometry=frame.geometry.values, crs=frame.crs)
    hits = gpd.sjoin(gpd.GeoDataFrame(geometry=pts.geometry.values, crs=pts.crs), polys,
                     how="left", predicate="intersects")
    hits = hits.rename_axis("_point").sort_values(["_point", "_order"], kind="stable")
    n_hits = hits.groupby(level=0)[AREA_ID].count()
    first = hits[~hits.index.duplicated(keep="first")][AREA_ID]
    labels = points.labels()
    report = PointReport(total=len(pts),
                         outside=tuple(labels[first.isna().to_numpy()]),
                         on_shared_border=tuple(labels[(n_hits > 1).to_numpy()]))
    return first.reset_index(drop=True), report, pd.Index(frame[AREA_ID], name=AREA_ID)


def count_points_in_areas(areas: Areas | gpd.GeoDataFrame, points: Points | gpd.GeoDataFrame,
                          *, by: str | None = None) -> tuple[pd.DataFrame, PointReport]:
    """Number of points per area; with ``by``, also one column per value of that column.

    Returns a table with ``area_id``, (one column per ``by`` value, sorted,) and ``count``,
    one row per area in the areas' order, and a report of points outside every area.
    """
    pts = _as_points(points)
    if by is not None and by not in pts.frame.columns:
        raise PointFileError([_column_problem(pts, by)])
    area_of, report, index = _assign(areas, pts)
    inside = area_of.notna().to_numpy()
    if by is None:
        counts = area_of[inside].value_counts().reindex(index, fill_value=0)
        table = pd.DataFrame({COUNT: counts.astype(int)})
    else:
        groups = pts.frame[by].astype("string").str.strip().fillna("(tom)").replace("", "(tom)")
        wide = pd.crosstab(area_of[inside], groups[inside].to_numpy())
        wide = wide.reindex(index=index, columns=sorted(set(groups)), fill_value=0).astype(int)
        wide.columns.name = None
        table = wide.assign(**{COUNT: wide.sum(axis=1)})
    return table.reset_index(), report


def _column_problem(points: Points, column: str) -> Problem:
    return Problem("kolumnen finns inte i punktfilen.", points.source, column,
                   tuple(c for c in points.frame.columns if c not in (ROW, "geometry")))


def mean_in_areas(areas: Areas | gpd.GeoDataFrame, points: Points | gpd.GeoDataFrame,
                  value_column: str) -> tuple[pd.DataFrame, PointReport]:
    """Mean of ``value_column`` over the points in each area (decimal comma allowed).

    Returns ``area_id``, ``mean`` (missing where an area has no point with a value) and
    ``n_values``, one row per area, and a report of points outside every area and of
    points without a value.
    """
    pts = _as_points(points)
    if value_column not in pts.frame.columns:
        raise PointFileError([_column_problem(pts, value_column)])
    values, bad = parse_numbers(pts.frame[value_column])
    if bad:
        problems = Problems(PointFileError, pts.source)
        rows = pts.frame[ROW]
        problems.add("värden som inte är tal.", column=value_column,
                     values=[f"rad {rows.iloc[i]}: {pts.frame[value_column].iloc[i]}"
                             for i in bad],
                     expected="tal med decimalpunkt eller decimalkomma",
                     fix="rätta värdena eller lämna cellen tom")
        problems.raise_if_any()
    area_of, report, index = _assign(areas, pts)
    has_value = values.notna().to_numpy()
    inside = area_of.notna().to_numpy() & has_value
    grouped = values[inside].groupby(area_of[inside].to_numpy())
    table = pd.DataFrame({MEAN: grouped.mean().reindex(index),
                          N_VALUES: grouped.count().reindex(index, fill_value=0).astype(int)})
    labels = pts.labels()
    report = PointReport(report.total, report.outside, report.on_shared_border,
                         tuple(labels[~has_value]))
    return table.reset_index(), report
