"""Joining ranked results onto areas: nothing is dropped, every gap is reported."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from geo_fixtures import BOX_AREA, GRID_IDS, grid_frame

from geo.spatial.join import JoinReport, join_areas
from indicators.catalogue import Catalogue, validate_catalogue
from indicators.columns import AREA_ID, AREA_NAME, RANK, SCORE
from indicators.ranking import RankingResult, rank_areas
from indicators.settings import AnalysisSettings


@pytest.fixture
def catalogue() -> Catalogue:
    """One ready-made indicator: higher 'behov' means more need."""
    return validate_catalogue(pd.DataFrame({
        "id": ["behov"], "name": ["Behov"], "domain": ["kriminalitet"], "direction": ["1"],
        "unit": ["index"], "per": [""], "numerator": [""], "denominator": [""],
        "source": ["Testkälla"], "level": ["område"]}))


def ranked(catalogue: Catalogue, values: dict[str, float]) -> RankingResult:
    # Ids as the reader gives them: pandas "string" dtype, not object.
    table = pd.DataFrame({AREA_ID: pd.array(list(values), dtype="string"),
                          "behov": list(values.values())})
    return rank_areas(table, catalogue, AnalysisSettings.create({"behov": 1.0}))


@pytest.fixture
def partial(catalogue: Catalogue) -> RankingResult:
    """A1..A8 with behov 1..8, no A9, and 'B1' (behov 9) that is not in the grid.

    B1 ranks first, A8 second, ..., A1 ninth.
    """
    values = {f"A{i}": float(i) for i in range(1, 9)}
    values["B1"] = 9.0
    return ranked(catalogue, values)


def test_every_area_is_kept_and_the_one_without_data_has_no_score(partial: RankingResult) -> None:
    joined, _ = join_areas(grid_frame(), partial)

    assert isinstance(joined, gpd.GeoDataFrame)
    assert joined.crs.to_epsg() == 3006
    assert joined[AREA_ID].tolist() == GRID_IDS
    assert joined.area.tolist() == [BOX_AREA] * 9
    by_id = joined.set_index(AREA_ID)
    assert math.isnan(by_id.at["A9", SCORE])
    assert math.isnan(by_id.at["A9", RANK])
    assert by_id.loc[[f"A{i}" for i in range(1, 9)], RANK].tolist() == [9, 8, 7, 6, 5, 4, 3, 2]
    assert by_id[SCORE].notna().sum() == 8
    assert by_id.at["A9", AREA_NAME] == "Ruta 9"


def test_report_lists_both_gaps_exactly(partial: RankingResult) -> None:
    _, report = join_areas(grid_frame(), partial)

    assert report == JoinReport(matched=tuple(f"A{i}" for i in range(1, 9)),
                                areas_without_data=("A9",), data_without_area=("B1",))
    assert not report.complete


def test_messages_are_swedish_sentences_naming_the_ids(partial: RankingResult) -> None:
    _, report = join_areas(grid_frame(), partial)

    assert report.messages() == [
        "1 område i kartan saknar indikatordata och visas grå: A9.",
        "1 områdeskod i indikatortabellen finns inte i kartan; de är med i rangordningen "
        "men syns inte på kartan: B1.",
    ]


def test_data_without_area_stays_in_the_ranking(partial: RankingResult) -> None:
    joined, report = join_areas(grid_frame(), partial)

    summary = partial.summary()
    assert summary[AREA_ID].tolist()[0] == "B1"
    assert summary.loc[summary[AREA_ID] == "B1", RANK].tolist() == [1.0]
    # Every area and every data row is accounted for, once.
    assert sorted(report.matched + report.areas_without_data) == sorted(joined[AREA_ID])
    assert sorted(report.matched + report.data_without_area) == sorted(summary[AREA_ID])


def test_several_gaps_on_both_sides(catalogue: Catalogue) -> None:
    values = {"A1": 1.0, "A2": 2.0, "A4": 4.0, "A5": 5.0, "A6": 6.0, "A8": 8.0,
              "X1": 10.0, "X2": 20.0}
    joined, report = join_areas(grid_frame(), ranked(catalogue, values))

    assert len(joined) == 9
    assert report.areas_without_data == ("A3", "A7", "A9")        # in map order
    assert sorted(report.data_without_area) == ["X1", "X2"]
    assert joined.set_index(AREA_ID)[SCORE].isna().tolist() == [
        False, False, True, False, False, False, True, False, True]
    assert report.messages()[0] == ("3 områden i kartan saknar indikatordata och visas grå: "
                                    "A3, A7, A9.")
    assert report.messages()[1].startswith("2 områdeskoder i indikatortabellen finns inte i "
                                           "kartan;")
    assert report.messages()[1].endswith(": X1, X2.")             # in table order


def test_complete_join_has_no_messages(catalogue: Catalogue) -> None:
    joined, report = join_areas(grid_frame(),
                                ranked(catalogue, {a: float(i) for i, a in enumerate(GRID_IDS)}))

    assert report.complete
    assert report.messages() == []
    assert report.matched == tuple(GRID_IDS)
    assert joined[SCORE].notna().all()
    assert joined.set_index(AREA_ID).at["A9", RANK] == 1
