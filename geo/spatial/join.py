"""The join of areas and indicator results, with a report of everything without a partner."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from indicators.columns import AREA_ID
from indicators.ranking import RankingResult


@dataclass(frozen=True)
class JoinReport:
    """Which area ids matched, and which had no partner on the other side."""

    matched: tuple[str, ...]
    areas_without_data: tuple[str, ...]
    data_without_area: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.areas_without_data and not self.data_without_area

    def messages(self) -> list[str]:
        """Swedish sentences for the app and the exports; empty when everything matched."""
        out = []
        if self.areas_without_data:
            n = len(self.areas_without_data)
            out.append(f"{n} {'område' if n == 1 else 'områden'} i kartan saknar indikatordata "
                       f"och visas grå: {', '.join(self.areas_without_data)}.")
        if self.data_without_area:
            n = len(self.data_without_area)
            out.append(f"{n} {'områdeskod' if n == 1 else 'områdeskoder'} i indikatortabellen "
                       "finns inte i kartan; de är med i rangordningen men syns inte på kartan: "
                       f"{', '.join(self.data_without_area)}.")
        return out


def join_areas(areas: gpd.GeoDataFrame, result: RankingResult) -> tuple[gpd.GeoDataFrame,
                                                                        JoinReport]:
    """Left-join the ranked table onto the areas. No area and no data row is dropped silently:
    areas without data keep a missing score, and data without an area is listed in the report."""
    summary = result.summary()
    area_ids = pd.Index(areas[AREA_ID])
    data_ids = pd.Index(result.score.index)  # the indicator table's order
    report = JoinReport(
        matched=tuple(area_ids.intersection(data_ids, sort=False)),
        areas_without_data=tuple(area_ids.difference(data_ids, sort=False)),
        data_without_area=tuple(data_ids.difference(area_ids, sort=False)),
    )
    joined = areas.merge(summary, on=AREA_ID, how="left", validate="one_to_one")
    return joined, report
