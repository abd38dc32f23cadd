"""Counts from one set of areas onto another whose boundaries do not nest (tobler).

Area-weighted interpolation assumes that a count is spread evenly over its source
area: a target area that covers 30 % of a source area gets 30 % of its count.
That is the only assumption, and the report says it, together with how much of
each target area the sources cover (a target area half outside the data gets
half-complete sums, never silently). Rates are recomputed from the interpolated
numerators and denominators, never interpolated themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from tobler.area_weighted import area_interpolate

from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import AreaFileError, Problems
from indicators.levels import Rate

METHOD = ("Ytviktad interpolation (tobler): ett antal antas vara jämnt fördelat över sitt "
          "ursprungsområde och fördelas efter hur stor del av ytan som hamnar i varje målområde.")
FULL_COVERAGE = 0.995


@dataclass(frozen=True, eq=False)
class Interpolation:
    frame: pd.DataFrame          # area_id, area_name, coverage, counts..., rates...
    method: str

    def messages(self) -> list[str]:
        partial = self.frame[self.frame["coverage"] < FULL_COVERAGE]
        out = [self.method]
        out += [f"{row[AREA_ID]} ({row[AREA_NAME]}): bara {row['coverage']:.0%} av ytan täcks av "
                "källområdena; antalen gäller den delen." for _, row in partial.iterrows()]
        return out


def interpolate_counts(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, *,
                       counts: Sequence[str], rates: Sequence[Rate] = (),
                       source_name: str = "källområden") -> Interpolation:
    """Move ``counts`` (and rates, as counts) from ``source`` areas onto ``target`` areas."""
    problems = Problems(AreaFileError, source_name)
    for frame, label in ((source, "källområdena"), (target, "målområdena")):
        if frame.crs is None:
            problems.add(f"{label} saknar koordinatsystem (CRS).",
                         fix="ange CRS, t.ex. EPSG:3006")
    lacking = [c for c in [*counts, *(r.value for r in rates), *(r.denominator for r in rates)]
               if c not in source.columns]
    if lacking:
        problems.add("kolumner saknas i källområdena.", values=lacking)
    problems.raise_if_any()
    if target.crs != source.crs:
        target = target.to_crs(source.crs)
    if not source.crs.is_projected:
        problems.add("ytor kan inte mätas i grader.", values=[source.crs.to_string()],
                     fix="projicera till ett metriskt CRS, t.ex. EPSG:3006 (SWEREF 99 TM)")
        problems.raise_if_any()

    numbers = pd.DataFrame({c: pd.to_numeric(source[c], errors="coerce") for c in counts},
                           index=source.index)
    for rate in rates:
        den = pd.to_numeric(source[rate.denominator], errors="coerce")
        numbers[rate.denominator] = den
        numbers[rate.value] = pd.to_numeric(source[rate.value], errors="coerce") / rate.per * den
    src = gpd.GeoDataFrame(numbers, geometry=source.geometry.values, crs=source.crs)
    moved = area_interpolate(src, target[[target.geometry.name]], extensive_variables=list(
        numbers.columns), allocate_total=False)  # a source part outside every target stays out

    covered = gpd.GeoSeries([source.geometry.union_all()] * len(target), crs=source.crs,
                            index=target.index)
    coverage = target.geometry.intersection(covered, align=True).area / target.geometry.area
    out = pd.DataFrame({AREA_ID: target[AREA_ID].to_numpy(),
                        AREA_NAME: target[AREA_NAME].to_numpy(),
                        "coverage": np.clip(coverage.to_numpy(), 0, 1)})
    for col in numbers.columns:
        out[col] = moved[col].to_numpy()
    for rate in rates:
        den = out[rate.denominator].where(out[rate.denominator] > 0)
        out[rate.value] = out[rate.value] / den * rate.per
    return Interpolation(out, METHOD)
