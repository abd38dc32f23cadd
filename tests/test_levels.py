"""From small areas to larger ones: counts summed, rates recomputed, nothing dropped."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from shared_data import shared

from indicators.errors import IndicatorTableError
from indicators.levels import Rate, aggregate_to_level, link_table

# Four DeSO in two RegSO: D1+D2 -> R1, D3+D4 -> R2.
LINK = link_table(pd.DataFrame({"deso": ["D1", "D2", "D3", "D4"],
                                "regso": ["R1", "R1", "R2", "R2"],
                                "namn": ["Norr", "Norr", "Söder", "Söder"]}),
                  "deso", "regso", "namn")


def table(**changes) -> pd.DataFrame:
    data = {"area_id": ["D1", "D2", "D3", "D4"], "barn": [100, 300, 50, 50],
            "barn_lag": [10, 60, 5, 20], "lag_pct": [10.0, 20.0, 10.0, 40.0]}
    data.update(changes)
    return pd.DataFrame(data)


def test_counts_are_summed_and_rates_recomputed_from_counts():
    agg = aggregate_to_level(table(), LINK, counts=["barn", "barn_lag"],
                             rates=[Rate("lag_pct", "barn")])
    frame = agg.frame.set_index("area_id")
    assert frame["area_name"].tolist() == ["Norr", "Söder"]
    assert frame["barn"].tolist() == [400, 100]
    assert frame["barn_lag"].tolist() == [70, 25]
    # 10 % of 100 + 20 % of 300 = 70 of 400 = 17.5 %, not the mean 15 %.
    assert frame["lag_pct"].tolist() == pytest.approx([17.5, 25.0], abs=1e-12)
    assert agg.members == {"R1": ("D1", "D2"), "R2": ("D3", "D4")}
    assert agg.messages() == []


def test_row_order_does_not_matter():
    shuffled = table().iloc[[3, 1, 0, 2]]
    a = aggregate_to_level(table(), LINK, counts=["barn"], rates=[Rate("lag_pct", "barn")])
    b = aggregate_to_level(shuffled, LINK, counts=["barn"], rates=[Rate("lag_pct", "barn")])
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_a_missing_member_value_leaves_the_group_missing_and_says_why():
    agg = aggregate_to_level(table(barn_lag=[10, None, 5, 20]), LINK, counts=["barn_lag"])
    frame = agg.frame.set_index("area_id")
    assert pd.isna(frame.at["R1", "barn_lag"]) and frame.at["R2", "barn_lag"] == 25
    assert agg.messages() == ["R1, 'barn_lag': värde saknas för 1 av 2 delområden (D2); "
                              "summan lämnas tom."]


def test_a_member_absent_from_the_data_is_not_summed_as_zero():
    agg = aggregate_to_level(table().iloc[[0, 2, 3]], LINK, counts=["barn"])
    frame = agg.frame.set_index("area_id")
    assert pd.isna(frame.at["R1", "barn"]) and frame.at["R2", "barn"] == 100
    assert agg.incomplete[0].missing_members == ("D2",)


def test_a_group_with_no_data_is_reported_once():
    agg = aggregate_to_level(table().iloc[[0, 1]], LINK, counts=["barn"])
    assert agg.frame["area_id"].tolist() == ["R1", "R2"]
    assert agg.groups_without_data == ("R2",)
    assert agg.messages() == ["Områden i kopplingstabellen utan några rader i data: R2."]


def test_unknown_codes_duplicates_and_text_are_one_error():
    bad = table(area_id=["D1", "D1", "D9", "D4"], barn=["100", "x", "50", "50"])
    with pytest.raises(IndicatorTableError, match=r"^Fel i indikatortabellen: 3 problem\.\n") \
            as info:
        aggregate_to_level(bad, LINK, counts=["barn"], source="deso.csv")
    text = str(info.value)
    assert text.startswith("Fel i indikatortabellen: 3 problem.")
    assert "fil 'deso.csv', kolumn 'area_id': koder förekommer mer än en gång. Värden: 'D1'." \
        in text
    assert "koder som inte finns i kopplingstabellen. Värden: 'D9'." in text
    assert "årgång (t.ex. DeSO 2018 eller DeSO 2025)" in text
    assert "kolumn 'barn': värden som inte är tal. Värden: 'x'." in text


def test_missing_columns_are_named():
    with pytest.raises(IndicatorTableError, match=re.escape(
            "kolumner saknas. Värden: 'finns_inte'.")):
        aggregate_to_level(table(), LINK, counts=["finns_inte"])


def test_link_table_refuses_a_small_area_in_two_groups():
    frame = pd.DataFrame({"deso": ["D1", "D1"], "regso": ["R1", "R2"]})
    with pytest.raises(IndicatorTableError, match=re.escape(
            "fil 'koppling.csv', kolumn 'deso': delområden hör till mer än ett område. "
            "Värden: 'D1'.")):
        link_table(frame, "deso", "regso", source="koppling.csv")


def test_link_table_names_missing_columns():
    with pytest.raises(IndicatorTableError, match=re.escape(
            "kolumner saknas i kopplingstabellen. Värden: 'RegSOkod'.")):
        link_table(pd.DataFrame({"deso": ["D1"]}), "deso", "RegSOkod")


# -- real data ------------------------------------------------------------------------



def test_huddinges_60_deso_become_22_regso_with_their_population():
    wide = pd.read_csv(shared("huddinge", "scb_deso2018_2022_0126_wide.csv"),
                       dtype={"deso_2018": str})
    link = link_table(wide, "deso_2018", "RegSOkod_2020", "RegSO_2020")
    agg = aggregate_to_level(wide, link, counts=["pop_2023_total", "pop_2022_total"],
                             rates=[Rate("low_econ_standard_2022_pct",
                                         "econ_standard_2022_n_persons")],
                             id_column="deso_2018")
    frame = agg.frame.set_index("area_id")
    assert len(wide) == 60 and len(frame) == 22
    assert frame["pop_2023_total"].sum() == 113_920
    assert agg.messages() == []
    # Low economic standard recomputed from counts for one RegSO, by hand from its DeSO.
    members = wide[wide["RegSOkod_2020"] == "0126R002"]
    persons = members["econ_standard_2022_n_persons"]
    expected = (members["low_econ_standard_2022_pct"] * persons).sum() / persons.sum()
    assert frame.at["0126R002", "low_econ_standard_2022_pct"] == pytest.approx(expected)
    assert frame.at["0126R002", "area_name"] == "Flemingsberg östra"


def test_all_5984_deso_of_sweden_aggregate_to_regso():
    wide = pd.read_csv(shared("sweden", "scb_deso2018_2022_wide.csv"), dtype={"deso_2018": str})
    raw = pd.read_csv(shared("sweden", "koppling_deso2018_regso2020.csv"), dtype=str,
                      encoding="utf-8-sig")
    link = link_table(raw, "DeSO_2018", "RegSOkod_2020", "RegSO_2020")
    agg = aggregate_to_level(wide, link, counts=["pop_2023_total"], id_column="deso_2018")
    assert len(wide) == 5984
    assert len(agg.frame) == link["area_id"].nunique()
    assert agg.frame["pop_2023_total"].sum() == pytest.approx(
        pd.to_numeric(wide["pop_2023_total"]).sum())
