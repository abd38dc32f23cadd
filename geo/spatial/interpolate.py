"""Counts from one set of areas onto another whose boundaries do not nest (tobler, shapely).

Two ways to split a source area's count between the target areas it overlaps:

* ``weights="area"`` (tobler's area_interpolate): a count is assumed spread evenly over
  its source area, so a target area that covers 30 % of a source area gets 30 % of its
  count.
* ``weights="population"``: a count is assumed spread like the population given by an
  ancillary layer of small zones (DeSO with population, SCB's 1 km or 250 m squares).
  The share of source area i that goes to target area j is pop(i∩j) / pop(i), where the
  population of a piece is estimated from the zones by area: zone k contributes
  pop_k × area(piece ∩ k) / area(k). A source area with no population in the layer is
  split by area instead, and the report names it.

Either way the report says which assumption was used, together with how much of each
target area the sources cover (a target area half outside the data gets half-complete
sums, never silently) and, with population weights, how much of each target's population
they cover. Rates are recomputed from the moved numerators and denominators, never
interpolated themselves. A missing count is never read as 0: every target area that
receives a share of a source area whose count is missing gets no value for that count (and
rates built on it), and the report names the source and target areas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, Problem, format_values
from indicators.levels import Rate

METHOD = ("Ytviktad interpolation (tobler): ett antal antas vara jämnt fördelat över sitt "
          "ursprungsområde och fördelas efter hur stor del av ytan som hamnar i varje målområde.")
POPULATION_METHOD = (
    "Befolkningsviktad interpolation: ett antal antas vara fördelat som befolkningen inom sitt "
    "ursprungsområde och fördelas efter hur stor del av ursprungsområdets befolkning som bor i "
    "varje målområde, efter befolkningen i {name} (kolumn '{column}'). Befolkningen i en del av "
    "ett område uppskattas ur befolkningsytorna efter yta.")
FULL_COVERAGE = 0.995
WEIGHTS = ("area", "population")
FALLBACKS_SHOWN = 20
POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, eq=False)
class Interpolation:
    """The moved table and how it was made.

    ``frame`` has area_id, area_name, coverage (share of each target's area covered by the
    sources), population_coverage (share of its ancillary population covered; population
    weights only, empty where the target has no population), then the counts and rates.
    ``fallback`` holds the source areas (area_id, else index label) without ancillary
    population, whose counts were split by area.
    """

    frame: pd.DataFrame
    method: str
    weights: str = "area"
    population_name: str = ""
    fallback: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()

    def messages(self) -> list[str]:
        out = [self.method, *self.gaps]
        if self.fallback:
            n = len(self.fallback)
            areas = "källområde" if n == 1 else "källområden"
            out.append(f"Befolkningsviktad interpolation: {n} {areas} saknar befolkning i "
                       f"{self.population_name} och fördelas i stället efter yta: "
                       f"{format_values(self.fallback, FALLBACKS_SHOWN)}.")
        if self.weights == "area":
            partial = self.frame[self.frame["coverage"] < FULL_COVERAGE]
            out += [f"{row[AREA_ID]} ({row[AREA_NAME]}): bara {row['coverage']:.0%} av ytan "
                    "täcks av källområdena; antalen gäller den delen."
                    for _, row in partial.iterrows()]
            return out
        frame = self.frame
        people = frame["population_coverage"]
        partial = frame[(frame["coverage"] < FULL_COVERAGE) | (people < FULL_COVERAGE)]
        for _, row in partial.iterrows():
            where = f"{row[AREA_ID]} ({row[AREA_NAME]})"
            if pd.isna(row["population_coverage"]):
                out.append(f"{where}: källområdena täcker {row['coverage']:.0%} av ytan och "
                           f"målområdet saknar befolkning i {self.population_name}; antalen "
                           "gäller den delen.")
            else:
                out.append(f"{where}: källområdena täcker {row['coverage']:.0%} av ytan och "
                           f"{row['population_coverage']:.0%} av befolkningen i "
                           f"{self.population_name}; antalen gäller den delen.")
        return out


def interpolate_counts(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, *,
                       counts: Sequence[str], rates: Sequence[Rate] = (),
                       source_name: str = "källområden", weights: str = "area",
                       population: gpd.GeoDataFrame | None = None,
                       population_column: str | None = None,
                       population_name: str = "befolkningslagret") -> Interpolation:
    """Move ``counts`` (and rates, as counts) from ``source`` areas onto ``target`` areas.

    ``weights="area"`` splits a source area's counts by area (tobler); ``population`` is then
    not used. ``weights="population"`` splits them by the population of ``population``
    (polygons with a count in ``population_column``); ``population_name`` names that layer
    in messages. Targets and the population layer are reprojected to the source's CRS,
    which must be projected (metres). Every problem with the input is raised together as
    one AreaFileError.
    """
    _check(source, target, counts, rates, source_name, weights, population,
           population_column, population_name)
    if target.crs != source.crs:
        target = target.to_crs(source.crs)

    numbers = pd.DataFrame({c: pd.to_numeric(source[c], errors="coerce") for c in counts},
                           index=source.index)
    for rate in rates:
        den = pd.to_numeric(source[rate.denominator], errors="coerce")
        numbers[rate.denominator] = den
        numbers[rate.value] = pd.to_numeric(source[rate.value], errors="coerce") / rate.per * den

    tgt_geoms = np.asarray(target.geometry.values)
    covered_parts = _covered(tgt_geoms, source.geometry.union_all())
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = shapely.area(covered_parts) / shapely.area(tgt_geoms)
    out = pd.DataFrame({AREA_ID: target[AREA_ID].to_numpy(),
                        AREA_NAME: target[AREA_NAME].to_numpy(),
                        "coverage": np.clip(coverage, 0, 1)})

    fallback: tuple[str, ...] = ()
    if weights == "area":
        # Missing counts go in as 0 and come out blanked by _missing_counts below.
        filled = numbers.where(np.isfinite(numbers.to_numpy(float)), 0.0)
        src = gpd.GeoDataFrame(filled, geometry=source.geometry.values, crs=source.crs)
        from tobler.area_weighted import area_interpolate  # tobler: 0.3-0.6 s, on first use

        moved = area_interpolate(src, target[[target.geometry.name]], extensive_variables=list(
            numbers.columns), allocate_total=False)  # a source part outside every target stays out
        moved_values = {col: moved[col].to_numpy() for col in numbers.columns}
        method = METHOD
    else:
        assert population is not None and population_column is not None  # checked above
        if population.crs != source.crs:
            population = population.to_crs(source.crs)
        density = _Density(population.geometry.values,
                           pd.to_numeric(population[population_column]).to_numpy(float))
        src_geoms = np.asarray(source.geometry.values)
        si, tj, pieces = _overlaps(src_geoms, tgt_geoms)
        src_pop = density.population(src_geoms)
        without = ~(src_pop > 0)
        src_area = shapely.area(src_geoms)
        by_area = shapely.area(pieces) / np.where(src_area > 0, src_area, 1.0)[si]
        by_people = density.population(pieces) / np.where(without, 1.0, src_pop)[si]
        share = np.where(without[si], by_area, by_people)
        moved_values = {}
        for col in numbers.columns:
            values = np.nan_to_num(numbers[col].to_numpy(float), nan=0.0, posinf=0.0,
                                   neginf=0.0)
            moved_values[col] = np.bincount(tj, weights=share * values[si],
                                            minlength=len(tgt_geoms))
        tgt_pop = density.population(tgt_geoms)
        covered_pop = density.population(covered_parts)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["population_coverage"] = np.clip(
                np.where(tgt_pop > 0, covered_pop / tgt_pop, np.nan), 0, 1)
        ids = source[AREA_ID] if AREA_ID in source.columns else source.index.to_series()
        fallback = tuple(str(v) for v in ids.to_numpy()[without])
        method = POPULATION_METHOD.format(name=population_name, column=population_column)

    gaps = _missing_counts(numbers, source, target, tgt_geoms, moved_values)
    for col in numbers.columns:
        out[col] = moved_values[col]
    for rate in rates:
        den = out[rate.denominator].where(out[rate.denominator] > 0)
        out[rate.value] = out[rate.value] / den * rate.per
    return Interpolation(out, method, weights, population_name if weights != "area" else "",
                         fallback, gaps)


def _ids(frame: gpd.GeoDataFrame) -> np.ndarray:
    ids = frame[AREA_ID] if AREA_ID in frame.columns else frame.index.to_series()
    return ids.astype(str).to_numpy()


def _missing_counts(numbers: pd.DataFrame, source: gpd.GeoDataFrame,
                    target: gpd.GeoDataFrame, tgt_geoms: np.ndarray,
                    moved: dict[str, np.ndarray]) -> tuple[str, ...]:
    """Blank (NaN) each moved count in every target that a source with that count missing
    overlaps, instead of the 0 the weighting would give; say which, per column."""
    missing = {c: ~np.isfinite(numbers[c].to_numpy(float)) for c in numbers.columns}
    if not any(m.any() for m in missing.values()):
        return ()
    si, tj, pieces = _overlaps(np.asarray(source.geometry.values), tgt_geoms)
    real = shapely.area(pieces) > 0
    si, tj = si[real], tj[real]
    src_ids, tgt_ids = _ids(source), _ids(target)
    notes = []
    for col, mask in missing.items():
        if not mask.any():
            continue
        hit = np.bincount(tj, weights=mask[si].astype(float), minlength=len(tgt_geoms)) > 0
        moved[col] = np.where(hit, np.nan, moved[col])
        notes.append(f"'{col}': värde saknas i källområdena {format_values(src_ids[mask], 20)}; "
                     "målområden som får en del av dem får inget värde: "
                     f"{format_values(tgt_ids[hit], 20) if hit.any() else 'inga'}.")
    return tuple(notes)


class _Density:
    """Population spread evenly by area within each zone of an ancillary layer."""

    def __init__(self, zones: Any, people: np.ndarray):
        self._zones = np.asarray(zones)
        self._tree = shapely.STRtree(self._zones)
        area = shapely.area(self._zones)
        self._density = np.divide(people, area, out=np.zeros_like(people), where=area > 0)

    def population(self, geoms: np.ndarray) -> np.ndarray:
        """Estimated population inside each of ``geoms``: sum of density × overlap area."""
        gi, zk, parts = _overlaps(geoms, self._zones, self._tree)
        return np.bincount(gi, weights=self._density[zk] * shapely.area(parts),
                           minlength=len(geoms))


def _covered(geoms: np.ndarray, cover: Any) -> np.ndarray:
    """The part of each of ``geoms`` inside ``cover`` (empty where none is)."""
    parts = np.full(len(geoms), shapely.Polygon(), dtype=object)
    gi, _, inside = _overlaps(geoms, np.array([cover], dtype=object))
    parts[gi] = inside
    return parts


def _overlaps(left: np.ndarray, right: np.ndarray, tree: shapely.STRtree | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs of geometries that overlap, and the overlapping parts (shapely STRtree).

    Pairs that only touch (bounding boxes meeting in a line, as neighbouring grid squares
    do) are left out, and a geometry wholly inside the other is its own part, so only
    pairs crossing each other's boundaries are intersected.
    """
    tree = shapely.STRtree(right) if tree is None else tree
    li, ri = tree.query(left, predicate="intersects")
    lb, rb = shapely.bounds(left)[li], shapely.bounds(right)[ri]
    apart = ((np.minimum(lb[:, 2], rb[:, 2]) <= np.maximum(lb[:, 0], rb[:, 0]))
             | (np.minimum(lb[:, 3], rb[:, 3]) <= np.maximum(lb[:, 1], rb[:, 1])))
    li, ri = li[~apart], ri[~apart]
    keys = li * len(right) + ri
    parts = np.empty(len(li), dtype=object)
    ci, cr = tree.query(left, predicate="contains")
    whole_right = np.isin(keys, ci * len(right) + cr)
    parts[whole_right] = right[ri[whole_right]]
    wi, wr = tree.query(left, predicate="within")
    whole_left = ~whole_right & np.isin(keys, wi * len(right) + wr)
    parts[whole_left] = left[li[whole_left]]
    rest = ~(whole_right | whole_left)
    parts[rest] = shapely.intersection(left[li[rest]], right[ri[rest]])
    return li, ri, parts


def _check(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, counts: Sequence[str],
           rates: Sequence[Rate], source_name: str, weights: str,
           population: gpd.GeoDataFrame | None, population_column: str | None,
           population_name: str) -> None:
    """Raise one AreaFileError listing every problem with the input, or return."""
    found: list[Problem] = []

    def add(where: str, message: str, *, column: str | None = None,
            values: Sequence[object] = (), expected: str = "", fix: str = "") -> None:
        found.append(Problem(message, where, column, tuple(values), expected, fix))

    if weights not in WEIGHTS:
        add(source_name, "okänd viktning.", values=[weights],
            expected="'area' (efter yta) eller 'population' (efter befolkning)",
            fix="ange weights='area' eller weights='population'")
    for frame, label in ((source, "källområdena"), (target, "målområdena")):
        if frame.crs is None:
            add(source_name, f"{label} saknar koordinatsystem (CRS).",
                fix="ange CRS, t.ex. EPSG:3006")
    lacking = [c for c in [*counts, *(r.value for r in rates), *(r.denominator for r in rates)]
               if c not in source.columns]
    if lacking:
        add(source_name, "kolumner saknas i källområdena.", values=lacking)
    if source.crs is not None and not source.crs.is_projected:
        add(source_name, "ytor kan inte mätas i grader.", values=[source.crs.to_string()],
            fix="projicera till ett metriskt CRS, t.ex. EPSG:3006 (SWEREF 99 TM)")
    if weights == "population" and population is None:
        add(population_name, "befolkningsviktning kräver ett befolkningslager.",
            fix="ange population= med befolkningsytor (t.ex. DeSO med folkmängd eller SCB:s "
                "rutor på 1 km eller 250 m) och population_column= med folkmängden")
    if population is not None and weights != "area":
        _check_population(population, population_column, population_name, add)
    if found:
        raise AreaFileError(found)


def _check_population(population: gpd.GeoDataFrame, column: str | None, name: str,
                      add: Callable[..., None]) -> None:
    if population.crs is None:
        add(name, "befolkningslagret saknar koordinatsystem (CRS).",
            fix="ange CRS, t.ex. EPSG:3006")
    kinds = population.geometry.geom_type
    odd = kinds[~kinds.isin(POLYGONAL)]
    if len(odd):
        add(name, f"{len(odd)} befolkningsytor är inte polygoner.",
            values=sorted({str(k) if isinstance(k, str) else "tom" for k in odd}),
            expected="Polygon eller MultiPolygon",
            fix="använd ytor (t.ex. DeSO eller rutor), inte punkter eller linjer")
    others = [c for c in population.columns if c != population.geometry.name]
    if column is None:
        add(name, "kolumnen med folkmängd är inte angiven.",
            fix=f"ange population_column=, en av: {format_values(others, 10)}")
        return
    if column not in population.columns:
        add(name, "kolumnen saknas i befolkningslagret.", column=column,
            fix=f"ange population_column= med en av: {format_values(others, 10)}")
        return
    raw = population[column]
    people = pd.to_numeric(raw, errors="coerce")
    if pd.api.types.is_numeric_dtype(people):
        people = people.where(np.isfinite(people.astype(float)))
    not_number = raw[people.isna() & raw.notna()]
    if len(not_number):
        add(name, "folkmängden är inte ett tal.", column=column,
            values=list(dict.fromkeys(not_number.tolist())), expected="antal personer, tal ≥ 0",
            fix="rätta värdena eller ta bort ytorna")
    empty = int(raw.isna().sum())
    if empty:
        add(name, f"{empty} befolkningsytor saknar folkmängd.", column=column,
            expected="antal personer, tal ≥ 0", fix="ange 0 för ytor utan befolkning")
    negative = raw[people < 0]
    if len(negative):
        add(name, "folkmängden kan inte vara negativ.", column=column,
            values=list(dict.fromkeys(negative.tolist())), expected="antal personer, tal ≥ 0",
            fix="rätta värdena")
