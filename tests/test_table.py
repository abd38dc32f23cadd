"""Indicator tables: validation, derived rates, and every indicator-table error."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from geo.inputs import load_inputs
from indicators.catalogue import Catalogue, validate_catalogue
from indicators.columns import AREA_ID
from indicators.errors import IndicatorTableError, PrevmapError
from indicators.table import (
    available_indicators,
    derive_values,
    missing_columns,
    validate_indicator_table,
)

SOURCE = "indikatorer.csv"
PREFIX = f"Fel i indikatortabellen: fil '{SOURCE}'"
GRID = [f"A{i}" for i in range(1, 10)]


def _validate(table: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    return validate_indicator_table(table, catalogue, source=SOURCE)


def _message(table: pd.DataFrame, catalogue: Catalogue) -> str:
    with pytest.raises(IndicatorTableError, match="^Fel i indikatortabellen: ") as info:
        _validate(table, catalogue)
    return str(info.value)


# -- valid tables -----------------------------------------------------------------------

def test_validated_table_is_numeric_and_indexed_by_area_id(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    out = _validate(grid_table, grid_catalogue)
    assert out.index.name == AREA_ID
    assert out.index.tolist() == GRID
    # Only the columns that catalogue indicators use; area_name is left out.
    assert out.columns.tolist() == ["barn_lag_ek", "barn", "anmalda_brott", "invanare",
                                    "elever_behoriga", "elever", "franvaro"]
    assert all(out.dtypes == np.float64)
    assert out["barn"].tolist() == [100, 200, 100, 50, 100, 200, 100, 50, 100]


def test_text_as_read_from_csv_gives_the_same_numbers(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    as_text = grid_table.astype(str)
    as_text["franvaro"] = [" 2", "4.0", "6", "8", "1e1", "12", "14", "16", "18 "]
    pd.testing.assert_frame_equal(_validate(as_text, grid_catalogue),
                                  _validate(grid_table, grid_catalogue))


def test_empty_cells_mean_missing(grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(str)
    table.loc[0, "franvaro"] = ""
    table.loc[1, "franvaro"] = "   "
    table.loc[2, "barn"] = ""
    out = _validate(table, grid_catalogue)
    assert out["franvaro"].isna().tolist() == [True, True] + [False] * 7
    assert np.isnan(out.at["A3", "barn"])


def test_area_ids_are_stripped_text_and_keep_leading_zeros(grid_catalogue: Catalogue) -> None:
    table = pd.DataFrame({AREA_ID: [" 0126R001", "0126R002 ", "0180"],
                          "franvaro": [1.0, 2.0, 3.0]})
    assert _validate(table, grid_catalogue).index.tolist() == ["0126R001", "0126R002", "0180"]


def test_boolean_columns_are_numbers(grid_catalogue: Catalogue) -> None:
    table = pd.DataFrame({AREA_ID: ["A1", "A2"], "franvaro": [True, False]})
    assert _validate(table, grid_catalogue)["franvaro"].tolist() == [1.0, 0.0]


def test_columns_the_table_lacks_are_not_an_error_here(grid_table: pd.DataFrame,
                                                      grid_catalogue: Catalogue) -> None:
    table = grid_table.drop(columns=["franvaro", "invanare"])
    out = _validate(table, grid_catalogue)
    assert "franvaro" not in out.columns
    assert missing_columns(table, grid_catalogue, list(grid_catalogue)) == {
        "brott": ["invanare"], "franvaro": ["franvaro"]}
    assert missing_columns(table, grid_catalogue, ["lag_ek"]) == {}
    assert available_indicators(table, grid_catalogue) == ("lag_ek", "behoriga")
    assert available_indicators(grid_table, grid_catalogue) == (
        "lag_ek", "brott", "behoriga", "franvaro")


# -- derived values ---------------------------------------------------------------------

def test_rates_are_derived_from_counts(grid_table: pd.DataFrame,
                                       grid_catalogue: Catalogue) -> None:
    values = derive_values(_validate(grid_table, grid_catalogue), grid_catalogue,
                           ["lag_ek", "brott", "behoriga", "franvaro"])
    assert values.columns.tolist() == ["lag_ek", "brott", "behoriga", "franvaro"]
    assert values.index.tolist() == GRID
    i = np.arange(1, 10)
    assert values["lag_ek"].to_numpy() == pytest.approx(10.0 * i, abs=1e-12)       # per 100
    assert values["brott"].to_numpy() == pytest.approx(10.0 - i, abs=1e-12)        # per 1000
    assert values["behoriga"].to_numpy() == pytest.approx(100.0 - 10 * i, abs=1e-12)
    assert values["franvaro"].to_numpy() == pytest.approx(2.0 * i, abs=1e-12)      # as given


def test_derive_values_keeps_the_requested_order(grid_table: pd.DataFrame,
                                                 grid_catalogue: Catalogue) -> None:
    values = derive_values(_validate(grid_table, grid_catalogue), grid_catalogue,
                           ["franvaro", "lag_ek"])
    assert values.columns.tolist() == ["franvaro", "lag_ek"]


def test_rate_with_zero_or_missing_denominator_is_missing(grid_table: pd.DataFrame,
                                                          grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(object)
    table.loc[0, ["barn", "barn_lag_ek"]] = [0, 0]         # no children: no rate, not 0 %
    table.loc[1, "invanare"] = None
    table.loc[2, "anmalda_brott"] = None
    values = derive_values(_validate(table, grid_catalogue), grid_catalogue,
                           ["lag_ek", "brott"])
    assert np.isnan(values.at["A1", "lag_ek"])
    assert values.at["A2", "lag_ek"] == pytest.approx(20.0)
    assert values["brott"].isna().tolist() == [False, True, True] + [False] * 6


# -- every error message ----------------------------------------------------------------

def test_errors_are_value_errors_of_the_project() -> None:
    assert issubclass(IndicatorTableError, PrevmapError)
    assert issubclass(IndicatorTableError, ValueError)


def test_missing_area_id_column(grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    table = grid_table.rename(columns={AREA_ID: "regsokod"}).astype(object)
    table.loc[0, "franvaro"] = "x"    # not reported: nothing else is checked without ids
    assert _message(table, grid_catalogue) == (
        f"{PREFIX}, kolumn 'area_id': kolumnen med områdeskod saknas. Värden: 'regsokod', "
        "'area_name', 'barn', 'barn_lag_ek', 'invanare' (och 4 till). Åtgärd: döp kolumnen "
        "med områdeskoder (t.ex. regsokod) till 'area_id'.")


def test_empty_area_ids_give_row_numbers_counting_the_header(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(object)
    table.loc[[1, 4, 8], AREA_ID] = [None, " ", ""]   # not also reported as duplicates
    with pytest.raises(IndicatorTableError, match=re.escape(
            f"{PREFIX}, kolumn 'area_id': tomma områdeskoder på rad (räknat med rubrikraden). "
            "Värden: 3, 6, 10. Åtgärd: fyll i koden eller ta bort raden.")):
        _validate(table, grid_catalogue)


def test_duplicate_area_ids(grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    table = grid_table.copy()
    table[AREA_ID] = ["A3", "A1", "A1", "A3", "A3", "A4", "A5", "A6", "A7 "]
    table.loc[8, AREA_ID] = "A4"
    with pytest.raises(IndicatorTableError, match=re.escape(
            f"{PREFIX}, kolumn 'area_id': områdeskoder förekommer mer än en gång. "
            "Värden: 'A1', 'A3', 'A4'. Åtgärd: en rad per område; summera eller ta bort "
            "dubbletterna.")):
        _validate(table, grid_catalogue)


def test_values_that_are_not_numbers(grid_table: pd.DataFrame,
                                     grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(str)
    table.loc[0, "franvaro"] = "12,5"       # decimal comma: fine
    table.loc[1, "franvaro"] = "saknas"
    table.loc[2, "franvaro"] = ""           # empty is fine: missing
    table.loc[4, "franvaro"] = ".."         # SCB's symbol: missing, never 0
    table.loc[3, "barn"] = "–"              # an en dash is not SCB's '-'
    expected = ("Förväntat: ändliga tal (decimalkomma eller punkt), eller tom cell, '..', '.' "
                "eller '-' för saknat. Åtgärd: rätta värdena eller töm cellerna.")
    message = _message(table, grid_catalogue)
    assert message == (
        "Fel i indikatortabellen: 2 problem.\n"
        f"1. fil '{SOURCE}', kolumn 'barn': värden som inte är tal. Värden: '–'. {expected}\n"
        f"2. fil '{SOURCE}', kolumn 'franvaro': värden som inte är tal. Värden: 'saknas'. "
        f"{expected}")


def test_swedish_numbers_parse_and_scb_symbols_are_missing(
        grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(str)
    table.loc[0, "franvaro"] = "12,5"
    table.loc[1, "franvaro"] = ".."
    table.loc[2, "barn"] = "1\u00a0234"
    out = validate_indicator_table(table, grid_catalogue, SOURCE)
    assert out["franvaro"].iloc[0] == 12.5
    assert pd.isna(out["franvaro"].iloc[1])
    assert out["barn"].iloc[2] == 1234


def test_at_most_five_values_are_shown(grid_table: pd.DataFrame,
                                       grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(str)
    table["franvaro"] = [f"{k} st" for k in range(1, 10)]
    with pytest.raises(IndicatorTableError, match=re.escape(
            "kolumn 'franvaro': värden som inte är tal. "
            "Värden: '1 st', '2 st', '3 st', '4 st', '5 st' (och 4 till).")) as info:
        _validate(table, grid_catalogue)
    assert "'6 st'" not in str(info.value)


def test_negative_counts(grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(object)
    table.loc[1, "barn_lag_ek"] = -3
    table.loc[2, "anmalda_brott"] = -1.5
    table.loc[3, "franvaro"] = -5           # a plain value may be negative
    message = _message(table, grid_catalogue)
    assert message == (
        "Fel i indikatortabellen: 2 problem.\n"
        f"1. fil '{SOURCE}', kolumn 'barn_lag_ek': negativa antal. Värden: 'A2: -3'. "
        "Åtgärd: antal kan inte vara negativa; rätta källdata.\n"
        f"2. fil '{SOURCE}', kolumn 'anmalda_brott': negativa antal. Värden: 'A3: -1.5'. "
        "Åtgärd: antal kan inte vara negativa; rätta källdata.")


def test_a_shared_denominator_is_reported_once() -> None:
    rows = [{"id": ind, "name": ind, "domain": "kriminalitet", "direction": "1",
             "unit": "per 1 000", "per": "1000", "numerator": f"{ind}_antal",
             "denominator": "invanare", "source": "s", "level": ""} for ind in ("vald", "skada")]
    catalogue = validate_catalogue(pd.DataFrame(rows))
    table = pd.DataFrame({AREA_ID: ["A1", "A2"], "invanare": [-5, 100],
                          "vald_antal": [1, 2], "skada_antal": [1, 2]})
    assert _message(table, catalogue) == (
        f"{PREFIX}, kolumn 'invanare': negativa antal. Värden: 'A1: -5'. "
        "Åtgärd: antal kan inte vara negativa; rätta källdata.")


def test_numerator_larger_than_denominator_of_a_share(grid_table: pd.DataFrame,
                                                      grid_catalogue: Catalogue) -> None:
    table = grid_table.copy()
    table.loc[[0, 4], "barn_lag_ek"] = [101, 500]
    table.loc[1, "anmalda_brott"] = 5000    # per 1 000: more crimes than inhabitants is possible
    with pytest.raises(IndicatorTableError, match="täljaren 'barn_lag_ek' är större än "
                                                  "nämnaren") as info:
        _validate(table, grid_catalogue)
    assert str(info.value) == (
        f"{PREFIX}, kolumn 'barn_lag_ek': täljaren 'barn_lag_ek' är större än nämnaren för "
        "andelen 'lag_ek'. Värden: 'A1', 'A5'. Åtgärd: kontrollera att 'barn' är rätt "
        "befolkning.")


def test_all_table_problems_are_raised_together(grid_table: pd.DataFrame,
                                                grid_catalogue: Catalogue) -> None:
    table = grid_table.astype(object)
    table.loc[0, AREA_ID] = ""
    table.loc[[1, 2], AREA_ID] = "A2"
    table.loc[3, "franvaro"] = "många"
    table.loc[4, "elever"] = -1
    table.loc[5, "elever_behoriga"] = 999
    with pytest.raises(IndicatorTableError, match=r"^Fel i indikatortabellen: 5 problem\.\n") \
            as info:
        _validate(table, grid_catalogue)
    lines = str(info.value).splitlines()
    assert lines[0] == "Fel i indikatortabellen: 5 problem."
    assert [line.split(": ", 1)[1].split(".")[0] for line in lines[1:]] == [
        "tomma områdeskoder på rad (räknat med rubrikraden)",
        "områdeskoder förekommer mer än en gång",
        "värden som inte är tal",
        "negativa antal",
        "täljaren 'elever_behoriga' är större än nämnaren för andelen 'behoriga'"]
    assert all(f"fil '{SOURCE}'" in line for line in lines[1:])


def test_default_source_is_named(plain_catalogue: Callable[..., Catalogue]) -> None:
    with pytest.raises(IndicatorTableError, match=r"^Fel i indikatortabellen: fil "
                                                  r"'indikatortabell', kolumn 'area_id'"):
        validate_indicator_table(pd.DataFrame({"x": [1]}), plain_catalogue(x="skola"))


def test_infinite_values_are_refused(grid_table: pd.DataFrame, grid_catalogue: Catalogue) -> None:
    text = grid_table.astype(str)
    text.loc[0, "franvaro"] = "inf"
    numeric = grid_table.copy()
    numeric["franvaro"] = numeric["franvaro"].astype(float)
    numeric.loc[1, "franvaro"] = -np.inf
    assert "kolumn 'franvaro': värden som inte är tal. Värden: 'inf'." in _message(
        text, grid_catalogue)
    assert "kolumn 'franvaro': värden som inte är tal. Värden: -inf." in _message(
        numeric, grid_catalogue)


def test_pooled_values_sum_counts_and_average_plain_values():
    from indicators.table import pooled_values

    inputs = load_inputs()
    pooled = pooled_values(inputs.table, inputs.catalogue, ["valdsbrott", "hog_franvaro"])
    t = inputs.table
    assert pooled["valdsbrott"] == t["valdsbrott"].sum() / t["invanare"].sum() * 1000
    # one area lacks the numerator: it is left out of both sums, not counted as 0
    both = t[["elever_hog_franvaro", "elever_grundskola"]].dropna()
    assert pooled["hog_franvaro"] == pytest.approx(
        both["elever_hog_franvaro"].sum() / both["elever_grundskola"].sum() * 100, rel=1e-12)
    assert len(both) == len(t) - 1
