"""The tables the app shows (geo/export/views.py) on the bundled demo data, one column
taken away and one cell emptied: what each source covers, what the table lacks, and which
values are missing and why."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from geo.analysis import run_analysis
from geo.export.views import (
    NO_REASON,
    hotspot_table,
    lacking_columns,
    missing_reasons,
    missing_values,
    source_coverage,
    source_table,
)
from geo.inputs import list_profiles, load_inputs
from indicators.table import available_indicators

EMPTIED = ("0126R005", "valdsbrott")      # area and count column made empty
VIOLENCE = "Anmälda våldsbrott"          # the indicator of that count


@pytest.fixture(scope="module")
def analysis():
    """The demo without the UVAS count (so one indicator cannot be computed) and with
    one area's violent crimes emptied, ranked with 'Bred prevention' (disclosure on)."""
    inputs = load_inputs()
    table = inputs.table.drop(columns=["unga_16_24_uvas"])
    area, column = EMPTIED
    table.loc[table["area_id"] == area, column] = np.nan
    inputs = replace(inputs, table=table, history=())
    profile = list_profiles()["Bred prevention"]
    available = available_indicators(table, inputs.catalogue)
    settings = profile.with_changes(indicator_weights={
        i: w for i, w in profile.indicator_weights if i in available})
    return run_analysis(inputs, settings), available


def test_the_sources_and_what_they_cover(analysis) -> None:
    result, available = analysis
    assert len(available) == 14
    coverage = source_coverage(result, available)
    assert coverage == {"Områden": "22 områden",
                        "Indikatorer": "22 av 22 områden, 14 av 15 indikatorer"}
    table = source_table(result, available)
    assert table["Data"].tolist() == ["Områden", "Indikatorer"]
    assert table["Täckning"].tolist() == list(coverage.values())
    assert table["Syntetiska"].tolist() == ["nej", "ja"]
    assert table["Titel"].tolist() == [s.title for s in result.sources]


def test_the_indicator_the_table_lacks_columns_for(analysis) -> None:
    result, available = analysis
    lacking = lacking_columns(result, available)
    assert lacking.to_dict("records") == [{
        "Indikator": "Unga 16–24 år som varken arbetar eller studerar",
        "Saknade kolumner": "unga_16_24_uvas"}]
    everything = tuple(result.inputs.catalogue)
    assert lacking_columns(result, everything).empty
    assert list(lacking_columns(result, everything).columns) == ["Indikator",
                                                                 "Saknade kolumner"]


def test_a_missing_value_with_no_known_reason(analysis) -> None:
    result, _ = analysis
    rows = missing_values(result)
    area, _ = EMPTIED
    ours = (rows["Område"] == area) & (rows["Indikator"] == VIOLENCE)
    assert rows[ours].to_dict("records") == [{"Indikator": VIOLENCE, "Område": area,
                                              "Orsak": NO_REASON}]
    # Every other value is missing for a reason said: hidden by disclosure control, or an
    # empty cell in the demo table itself.
    assert len(rows) == int(result.result.values.isna().sum().sum()) > 1
    table = result.inputs.table.set_index("area_id")
    by_name = {ind.name: ind for ind in result.inputs.catalogue.values()}
    for row in rows[~ours].itertuples():
        if row.Orsak == NO_REASON:
            assert table.loc[row.Område, list(by_name[row.Indikator].columns)].isna().any()
        else:
            assert "röjandekontroll" in row.Orsak or row.Orsak.startswith("sekundärt")


def test_a_fetch_says_why_a_value_is_missing(analysis) -> None:
    result, _ = analysis
    area, column = EMPTIED
    fetched = pd.DataFrame({"area_id": [area], "column": [column],
                            "reason": ["uppgift saknas (SCB: '..')"]})
    assert missing_reasons(result, fetched)[(area, column)] == "uppgift saknas (SCB: '..')"
    rows = missing_values(result, fetched)
    ours = (rows["Område"] == area) & (rows["Indikator"] == VIOLENCE)
    assert rows.loc[ours, "Orsak"].tolist() == ["uppgift saknas (SCB: '..')"]


class _Clusters:
    """Stands in for geo.spatial.hotspots.Hotspots: per variable a frame of labels."""

    variables = ("score", "skola")

    def for_variable(self, variable: str) -> pd.DataFrame:
        labels = {"score": ["Het punkt", "Het punkt", "Kall punkt", "Ej signifikant"],
                  "skola": ["Ej signifikant"] * 4}[variable]
        return pd.DataFrame({"gi_label": labels, "area_name": ["Norr", "Öst", "Syd", "Väst"]},
                            index=["A1", "A2", "A3", "A4"])


def test_the_hot_spots_table_names_variable_cluster_and_areas() -> None:
    table = hotspot_table(_Clusters())
    assert table.to_dict("records") == [
        {"Variabel": "Sammanvägt index", "Kluster": "Het punkt",
         "Områden": "Norr (A1), Öst (A2)"},
        {"Variabel": "Sammanvägt index", "Kluster": "Kall punkt", "Områden": "Syd (A3)"}]


def test_no_significant_cluster_is_an_empty_table_with_its_columns(analysis) -> None:
    result, _ = analysis
    table = hotspot_table(_Quiet())
    assert table.empty and list(table.columns) == ["Variabel", "Kluster", "Områden"]
    assert list(hotspot_table(result.hotspots).columns) == ["Variabel", "Kluster", "Områden"]


class _Quiet(_Clusters):
    def for_variable(self, variable: str) -> pd.DataFrame:
        frame = super().for_variable(variable)
        return frame.assign(gi_label="Ej signifikant")
