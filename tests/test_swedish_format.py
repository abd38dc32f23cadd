"""The one Swedish formatter (indicators/swedish.py): decimal comma, thin space between
thousands, '–' for a missing value; and what it writes, parse_number reads back."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.swedish import (
    PLAIN,
    format_bytes,
    format_integer,
    format_number,
    format_percent,
    format_rank_span,
    format_significant,
    format_table,
    parse_number,
    screen_table,
)

T = "\u202f"


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (1234.5, 2, f"1{T}234,50"), (1234567.0, 0, f"1{T}234{T}567"), (-0.125, 1, "-0,1"),
    (0.0, 2, "0,00"), (72.5, 1, "72,5"), (np.float32(2.5), 1, "2,5"),
    (-0.0001, 2, "0,00"), (-0.0, 0, "0"), (-0.004, 2, "0,00"), (-0.005001, 2, "-0,01"),
])
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


@pytest.mark.parametrize("missing", [None, math.nan, np.float32("nan"), pd.NA, pd.NaT])
def test_a_missing_value_is_a_dash(missing):
    assert format_number(missing) == "–"
    assert format_percent(missing) == "–"
    assert format_integer(missing) == "–"


@pytest.mark.parametrize(("value", "text"), [
    (72.5, "72,5"), (80.0, "80"), (0.25, "0,25"), (1234.5, f"1{T}234,5"), (-3.10, "-3,1")])
def test_trim_drops_trailing_zeros(value, text):
    assert format_number(value, 2, trim=True) == text


@pytest.mark.parametrize(("percent", "decimals", "text"), [
    (18.34, 1, "18,3 %"), (1.0, 1, "1 %"), (12.0, 1, "12 %"), (12.5, 0, "12 %"),
    (87.6, 0, "88 %"), (100.0, 0, "100 %")])
def test_format_percent(percent, decimals, text):
    assert format_percent(percent, decimals) == text


def test_integers_sizes_significant_digits_and_rank_spans():
    assert format_integer(10000) == f"10{T}000"
    assert format_bytes(512) == "512 byte"
    assert format_bytes(3_200) == "3,2 kB" and format_bytes(200e6) == "200 MB"
    assert format_significant(0.04999) == "0,04999" and format_significant(1.2e-5) == "1,2e-05"
    assert format_rank_span(3.0, 6.0) == "3–6" and format_rank_span(1.0, 1.0) == "1"
    assert format_rank_span(math.nan, math.nan) == "–"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
       st.integers(min_value=0, max_value=3))
def test_what_is_written_reads_back(value, decimals):
    assert parse_number(format_number(value, decimals)) == float(f"{value:.{decimals}f}")


def test_format_table_writes_every_cell_for_people():
    frame = pd.DataFrame({
        "Område": ["Flemingsberg", None, "Vårby"],
        "Sammanvägt index": [2.8249, math.nan, -0.19],
        "Befolkning": pd.array([12345, None, 800], dtype="Int64"),
        "År": [2023, 2024, 2025],
        "Områdeskod": [1234, 5678, 9012],
        "Ingår": [True, False, True],
        "Blandat": [None, 3.5, "dolt"],
    })
    shown = format_table(frame, {"Sammanvägt index": 2, "Blandat": 1})
    assert shown.to_dict("list") == {
        "Område": ["Flemingsberg", "–", "Vårby"],
        "Sammanvägt index": ["2,82", "–", "-0,19"],
        "Befolkning": [f"12{T}345", "–", "800"],
        "År": ["2023", "2024", "2025"],
        "Områdeskod": ["1234", "5678", "9012"],
        "Ingår": ["Ja", "Nej", "Ja"],
        "Blandat": ["–", "3,5", "dolt"],
    }
    assert list(shown.index) == list(frame.index)


def test_format_table_keeps_the_index_and_takes_plain_columns_by_name():
    frame = pd.DataFrame({"Mätår": [2019.0, math.nan], "Värde": [1000.0, 0.5]},
                         index=["a", "b"])
    shown = format_table(frame, 1, plain=("Mätår",))
    assert shown.loc["a"].tolist() == ["2019", f"1{T}000,0"]
    assert shown.loc["b"].tolist() == ["–", "0,5"]
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()


def test_format_table_keeps_the_decimals_a_column_was_rounded_to():
    frame = pd.DataFrame({"Vikt (%)": [12.5, 30.0], "r": [0.123456, -0.5], "Antal": [3.0, 4.0]})
    assert format_table(frame).to_dict("list") == {
        "Vikt (%)": ["12,5", "30,0"], "r": ["0,123", "-0,500"], "Antal": ["3", "4"]}


def test_screen_table_keeps_numbers_as_numbers_and_says_how_to_write_them():
    """On screen a number column stays numbers (the widget sorts by value) with the
    decimals format_table would write; years and codes are whole; text is written as
    format_table writes it."""
    frame = pd.DataFrame({
        "Område": ["A", None, "C"], "Index": [2.8234, -0.19, np.nan],
        "Andel": [12.5, 3.25, 1.0], "Antal": [1000, 25, 9], "År": [2023, 2022, 2021],
        "Dold": [True, False, True], "Blandat": [1.5, "dolt", None], "Inf": [1.0, np.inf, 2.0]})
    shown, formats = screen_table(frame, {"Index": 2})
    assert formats == {"Index": 2, "Andel": 2, "Antal": 0, "År": PLAIN, "Inf": 0}
    # Rounded as the text would be: the widget cuts digits, so 2.8234 must arrive as 2.82,
    # and 1.3988 as 1.40 (cut, it would show 1,39).
    assert shown["Index"].iloc[:2].tolist() == [2.82, -0.19] and np.isnan(shown["Index"][2])
    assert screen_table(pd.DataFrame({"x": [1.3988, 0.125]}), 2)[0]["x"].tolist() == [1.4, 0.12]
    assert shown["Antal"].tolist() == [1000.0, 25.0, 9.0]
    assert shown["Område"].tolist() == ["A", "–", "C"]
    assert shown["Dold"].tolist() == ["Ja", "Nej", "Ja"]
    assert shown["Blandat"].tolist() == ["1,5", "dolt", "–"]
    assert np.isnan(shown["Inf"][1])   # an infinite value is missing, not "inf"
    # What the text columns say is exactly format_table's text.
    text = format_table(frame, {"Index": 2})
    for name in ("Område", "Dold", "Blandat"):
        assert shown[name].tolist() == text[name].tolist()
    assert frame["Index"].tolist()[:2] == [2.8234, -0.19]   # the input is not changed
