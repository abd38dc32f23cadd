"""Disclosure control: which counts are suppressed, and that none of them leaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from small_catalogue import small_catalogue

from geo.io.files import read_catalogue, read_indicator_table
from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.disclosure import (
    SMALL_AREA_COLUMNS,
    SUPPRESSED_COLUMNS,
    Disclosure,
    apply_disclosure,
    check_no_leak,
    primary_reason,
    rest_reason,
    secondary_reason,
)
from indicators.errors import IndicatorTableError, SettingsError
from indicators.table import derive_values, validate_indicator_table

ROOT = Path(__file__).resolve().parents[1]
PRIMARY = primary_reason(5)
INDICATORS = ["andel", "brott", "poang"]


def _catalogue() -> Catalogue:
    return small_catalogue()


CAT = _catalogue()


def _table(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    index = pd.Index([f"O{k}" for k in range(1, n + 1)], name=AREA_ID)
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()},
                        index=index)


@pytest.fixture
def table() -> pd.DataFrame:
    """Six areas; the comments say what happens to each cell with threshold 5.

    antal / unga (per 100):        O1 0/200 shown (0 is not sensitive)
                                   O2 3/100 primary
                                   O3 12/300 shown
                                   O4 47/50 the rest is 3: suppressed
                                   O5 0/3 the rest is 3: suppressed (0 of 3 children)
                                   O6 missing numerator: stays missing, not "suppressed"
    brott_antal / invanare (1000): O3 2 primary, the only one in the column, so the
                                   smallest other positive count, O1's 7, goes too
    """
    return _table(
        antal=[0, 3, 12, 47, 0, np.nan],
        unga=[200, 100, 300, 50, 3, 100],
        brott_antal=[7, 30, 2, 55, 9, 11],
        invanare=[1000, 2000, 1500, 3000, 400, 900],
        poang=[1.5, 2.0, 3.0, 4.0, 4.0, 1.0],
    )


def _cells(d: Disclosure) -> list[tuple[str, str, str]]:
    return list(d.suppressed.itertuples(index=False, name=None))


# -- which cells ----------------------------------------------------------------------------

def test_exact_suppression_set(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    assert list(d.suppressed.columns) == list(SUPPRESSED_COLUMNS)
    assert _cells(d) == [
        ("O2", "antal", PRIMARY),
        ("O4", "antal", rest_reason(5, "unga")),
        ("O5", "antal", rest_reason(5, "unga")),
        ("O1", "brott_antal", secondary_reason("O3")),
        ("O3", "brott_antal", PRIMARY),
    ]
    assert d.suppressed.loc[0, "reason"] == "färre än 5 (röjandekontroll)"
    assert d.suppressed.loc[3, "reason"].startswith(
        "sekundärt undertryckt så att summan inte avslöjar")
    expected = table.copy()
    expected.loc[["O2", "O4", "O5"], "antal"] = np.nan
    expected.loc[["O1", "O3"], "brott_antal"] = np.nan
    pd.testing.assert_frame_equal(d.table, expected)
    assert (d.threshold, d.min_population, d.unprotected) == (5, 50, ())


def test_rates_on_suppressed_counts_become_missing(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    values = derive_values(d.table, CAT, INDICATORS)
    assert values["andel"].isna().tolist() == [False, True, False, True, True, True]
    assert values["brott"].isna().tolist() == [True, False, True, False, False, False]
    assert values.loc["O1", "andel"] == 0.0                   # a 0 count is shown
    pd.testing.assert_series_equal(values["poang"], table["poang"])   # ready values kept


def test_missing_is_never_zero_and_the_input_is_untouched(table: pd.DataFrame) -> None:
    before = table.copy()
    d = apply_disclosure(table, CAT, INDICATORS)
    pd.testing.assert_frame_equal(table, before)
    assert d.table is not table
    assert np.isnan(d.table.loc["O6", "antal"])
    assert ("O6", "antal") not in {(a, c) for a, c, _ in _cells(d)}
    # Nothing else became 0 or missing.
    shown = d.table.notna()
    assert (table.notna() | ~shown).all().all()
    assert ((d.table == table) | ~shown).all().all()


def test_an_area_id_column_works_like_the_index(table: pd.DataFrame) -> None:
    flat = table.reset_index()
    d = apply_disclosure(flat, CAT, INDICATORS)
    assert _cells(d) == _cells(apply_disclosure(table, CAT, INDICATORS))
    assert d.table[AREA_ID].tolist() == flat[AREA_ID].tolist()
    assert d.table["antal"].isna().tolist() == [False, True, False, True, True, True]


def test_the_rest_rule() -> None:
    # rest = den - num: 3 and 1 are below 5 (suppressed); 5 is not; 0 (all counted) is
    # shown like a 0 count; a 0 count over 4 has rest 4.
    t = _table(antal=[97, 99, 95, 100, 0, 20, 30], unga=[100, 100, 100, 100, 4, 400, 500],
               brott_antal=[10] * 7, invanare=[1000] * 7, poang=[1] * 7)
    d = apply_disclosure(t, CAT, ["andel"], totals_published=False)
    rest = rest_reason(5, "unga")
    assert _cells(d) == [("O1", "antal", rest), ("O2", "antal", rest), ("O5", "antal", rest)]
    assert "nämnaren 'unga' minus täljaren är färre än 5" in rest
    # With a total published the three suppressed cells already protect each other.
    assert _cells(apply_disclosure(t, CAT, ["andel"])) == _cells(d)


def test_a_count_below_the_threshold_is_primary_even_when_its_rest_is_small() -> None:
    t = _table(antal=[3, 40, 50], unga=[5, 400, 500], brott_antal=[10, 10, 10],
               invanare=[100, 100, 100], poang=[1, 1, 1])
    d = apply_disclosure(t, CAT, ["andel"], totals_published=False)
    assert _cells(d) == [("O1", "antal", PRIMARY)]


# -- complementary suppression ----------------------------------------------------------

@pytest.mark.parametrize(("counts", "second"), [
    ([3, 0, 8, 8, 20], "O3"),          # the smallest positive; of two 8s the first; not 0
    ([3, np.nan, 40, 9, 9], "O4"),     # a missing cell is no protection
    ([30, 11, 2, 0, 25], "O2"),
    ([3, 0, 0, np.nan, np.nan], "O2"),  # no positive count shown: a 0 is better than none
])
def test_one_suppressed_cell_in_a_column_takes_a_second(counts: list[float],
                                                        second: str) -> None:
    n = len(counts)
    t = _table(antal=[10] * n, unga=[100] * n, brott_antal=counts, invanare=[1000] * n,
               poang=[1] * n)
    d = apply_disclosure(t, CAT, ["brott"])
    first = f"O{[k for k, c in enumerate(counts, 1) if 0 < c < 5][0]}"
    assert sorted(_cells(d)) == sorted([(first, "brott_antal", PRIMARY),
                                        (second, "brott_antal", secondary_reason(first))])
    assert d.table["brott_antal"].isna().sum() == 2 + int(np.isnan(counts).sum())
    assert any("dolts sekundärt" in n for n in d.notes())
    # Without a published total there is nothing to subtract from.
    alone = apply_disclosure(t, CAT, ["brott"], totals_published=False)
    assert _cells(alone) == [(first, "brott_antal", PRIMARY)]


def test_a_column_without_another_shown_cell_cannot_be_protected() -> None:
    t = _table(antal=[10, 10], unga=[100, 100], brott_antal=[3, np.nan],
               invanare=[1000, 1000], poang=[1, 1])
    d = apply_disclosure(t, CAT, ["brott"])
    assert _cells(d) == [("O1", "brott_antal", PRIMARY)]
    assert d.unprotected == ("brott_antal",)
    assert any("kan räknas fram ur totalsumman" in n and "brott_antal" in n
               for n in d.notes())


def test_only_the_selected_indicators_are_controlled(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, ["brott"])
    assert {c for _, c, _ in _cells(d)} == {"brott_antal"}
    pd.testing.assert_series_equal(d.table["antal"], table["antal"])


# -- threshold and small areas -------------------------------------------------------------

def test_the_threshold_is_configurable(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS, threshold=3)
    # 3 is no longer below the threshold, and neither is a rest of 3; O3's 2 still is.
    assert _cells(d) == [("O1", "brott_antal", secondary_reason("O3")),
                         ("O3", "brott_antal", primary_reason(3))]
    assert primary_reason(3) == "färre än 3 (röjandekontroll)"
    d = apply_disclosure(table, CAT, INDICATORS, threshold=12)
    assert ("O3", "antal", primary_reason(12)) not in _cells(d)    # 12 is not below 12...
    assert ("O1", "brott_antal", primary_reason(12)) in _cells(d)  # ...but 7 is
    assert apply_disclosure(table, CAT, INDICATORS, threshold=1).suppressed.empty


def test_fractional_counts_below_the_threshold_are_suppressed() -> None:
    t = _table(antal=[0.4, 4.6, 5.0, 0.0, 30.0], unga=[100] * 5,
               brott_antal=[10] * 5, invanare=[1000] * 5, poang=[1] * 5)
    d = apply_disclosure(t, CAT, ["andel"])
    assert [(a, r) for a, _, r in _cells(d)] == [("O1", PRIMARY), ("O2", PRIMARY)]


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "5", None])
def test_a_bad_threshold_is_refused_in_swedish(table: pd.DataFrame, bad: object) -> None:
    with pytest.raises(SettingsError, match="tröskeln för röjandekontroll ska vara ett heltal "
                       "≥ 1") as info:
        apply_disclosure(table, CAT, INDICATORS, threshold=bad)  # type: ignore[arg-type]
    text = str(info.value)
    assert text.startswith("Fel i analysinställningarna: nyckel 'disclosure_threshold': "
                           "tröskeln för röjandekontroll ska vara ett heltal ≥ 1.")
    assert "Åtgärd: ange t.ex. 5." in text


def test_a_bad_min_population_is_refused(table: pd.DataFrame) -> None:
    with pytest.raises(SettingsError, match="minsta befolkning ska vara ett heltal ≥ 0"):
        apply_disclosure(table, CAT, INDICATORS, min_population=-1)
    assert apply_disclosure(table, CAT, INDICATORS, threshold=np.int64(5)).threshold == 5


def test_small_areas_are_flagged_not_suppressed(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    assert list(d.small_areas.columns) == list(SMALL_AREA_COLUMNS)
    assert d.small_areas[AREA_ID].tolist() == ["O5"]          # O4's 50 is not below 50
    assert d.small_areas["population"].tolist() == [3.0]
    assert d.small_areas.loc[0, "reason"] == ("minsta målgruppen ('unga') är 3, färre än "
                                              "50: andelarna är osäkra")
    d = apply_disclosure(table, CAT, INDICATORS, min_population=101)
    assert d.small_areas[AREA_ID].tolist() == ["O2", "O4", "O5", "O6"]
    assert d.small_areas["population"].tolist() == [100.0, 50.0, 3.0, 100.0]
    # Denominators are never suppressed.
    pd.testing.assert_series_equal(d.table["unga"], table["unga"])
    assert apply_disclosure(table, CAT, INDICATORS, min_population=0).small_areas.empty
    # Only the denominators of the selected rates count.
    only_brott = apply_disclosure(table, CAT, ["brott"], min_population=500)
    assert only_brott.small_areas[AREA_ID].tolist() == ["O5"]
    assert "('invanare') är 400" in only_brott.small_areas.loc[0, "reason"]


def test_an_area_without_any_denominator_is_not_flagged() -> None:
    t = _table(antal=[1, 2], unga=[np.nan, 10], brott_antal=[1, 1], invanare=[np.nan, 10],
               poang=[1, 1])
    d = apply_disclosure(t, CAT, INDICATORS)
    assert d.small_areas[AREA_ID].tolist() == ["O2"]


def _small_areas_by_loop(table: pd.DataFrame, dens: list[str],
                         min_population: int) -> list[tuple[str, float, str]]:
    """The reference, area by area: the smallest denominator with a value (the first
    column of ties, as idxmin), areas without any denominator skipped."""
    rows = []
    for area, row in table[dens].astype(float).iterrows():
        row = row.dropna()
        if row.empty:
            continue
        col = str(row.idxmin())
        if row[col] < min_population:
            rows.append((str(area), float(row[col]),
                         f"minsta målgruppen ('{col}') är {row[col]:g}, färre än "
                         f"{min_population}: andelarna är osäkra"))
    return rows


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("min_population", [0, 3, 50, 10**6])
def test_small_areas_equal_an_area_by_area_loop(seed: int, min_population: int) -> None:
    # Few distinct values, so that the two denominators often tie; missing values, and
    # areas with no denominator at all.
    rng = np.random.default_rng(seed)
    n = 60
    unga = rng.choice([0.0, 3.0, 40.0, 50.0, 200.0, np.nan], n)
    invanare = np.where(rng.random(n) < 0.3, unga, rng.choice([3.0, 50.0, 400.0, np.nan], n))
    t = _table(antal=np.zeros(n), unga=unga, brott_antal=np.zeros(n), invanare=invanare,
               poang=np.ones(n))
    d = apply_disclosure(t, CAT, INDICATORS, min_population=min_population)
    expected = _small_areas_by_loop(t, ["unga", "invanare"], min_population)
    assert list(d.small_areas.itertuples(index=False, name=None)) == expected
    assert d.small_areas["population"].dtype == float
    if min_population == 10**6:
        assert len(d.small_areas) == int((~(np.isnan(unga) & np.isnan(invanare))).sum())


# -- errors -------------------------------------------------------------------------------

def test_unknown_indicators_missing_and_text_columns_are_refused(table: pd.DataFrame) -> None:
    with pytest.raises(SettingsError, match="okända indikatorer"):
        apply_disclosure(table, CAT, ["finns_inte"])
    with pytest.raises(IndicatorTableError, match="kolumner saknas för indikatorn 'andel'"):
        apply_disclosure(table.drop(columns="unga"), CAT, ["andel"])
    as_text = table.astype(str)
    with pytest.raises(IndicatorTableError, match="kolumnen är inte numerisk"):
        apply_disclosure(as_text, CAT, ["andel"])


# -- no leak ------------------------------------------------------------------------------

def _round_trip(d: Disclosure, catalogue: Catalogue, indicators: list[str],
                folder: Path) -> tuple[str, str]:
    """Write the disclosed table, read it back as a user would, derive and write values."""
    counts = folder / "disclosed.csv"
    d.table.to_csv(counts)
    back = validate_indicator_table(read_indicator_table(counts), catalogue)
    values = folder / "values.csv"
    derive_values(back, catalogue, indicators).to_csv(values)
    return counts.read_text(encoding="utf-8"), values.read_text(encoding="utf-8")


def test_no_suppressed_value_survives_csv_and_derive_values(table: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    counts, values = _round_trip(d, CAT, INDICATORS, tmp_path)
    assert check_no_leak(counts, d, table) == []
    assert check_no_leak(values, d, table) == []
    # By hand as well: the suppressed counts are not in their areas' rows.
    rows = {line.split(",")[0]: line.split(",") for line in counts.splitlines()}
    assert rows[AREA_ID][1:3] == ["antal", "unga"]
    assert rows["O2"][1] == rows["O4"][1] == rows["O5"][1] == ""
    assert "47" not in rows["O4"] and "3.0" not in rows["O2"]
    assert "0.02" not in values                       # 2 per 1 500, per 1 000 = 1.333...
    assert "1.3333" not in values and "94.0" not in values
    # The helper does find the values in the original table and its rates.
    original = check_no_leak(table.to_csv(), d, table)
    assert {line.split(":")[0] for line in original} == {
        "område O2, kolumn 'antal'", "område O4, kolumn 'antal'",
        "område O5, kolumn 'antal'", "område O1, kolumn 'brott_antal'",
        "område O3, kolumn 'brott_antal'"}
    assert check_no_leak(derive_values(table, CAT, INDICATORS).to_csv(), d, table)


@pytest.mark.parametrize("text", [
    "O4: Andel unga 94,0 %",                         # the area profile's format
    "<td>Brott</td><td>1,33</td>",                   # the map's two decimals
    "brott,1.3333333333333333",                      # a machine-written float
    "område O2 har 3 unga",                          # the count on the area's line
    "O1;1\u2009234;7,00",                            # Swedish formats on the area's line
])
def test_leaks_in_app_formats_are_found(table: pd.DataFrame, text: str) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    assert check_no_leak(text, d, table)


def test_shown_values_are_not_reported(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    assert check_no_leak("O3: Andel unga 4,0 %; brott 20,00 per 1 000", d, table) == []


def test_the_demo_data_leaks_nothing(tmp_path: Path) -> None:
    catalogue = read_catalogue(ROOT / "data" / "indicator_catalogue.csv")
    raw = read_indicator_table(ROOT / "data" / "demo" / "huddinge_demo_indicators.csv")
    demo = validate_indicator_table(raw, catalogue)
    ids = list(catalogue)
    d = apply_disclosure(demo, catalogue, ids)
    assert len(d.suppressed) > 0
    counts, values = _round_trip(d, catalogue, ids, tmp_path)
    assert check_no_leak(counts, d, demo) == []
    assert check_no_leak(values, d, demo) == []
    assert check_no_leak(derive_values(demo, catalogue, ids).to_csv(), d, demo)
    # Every column keeps zero or at least two suppressed cells.
    per_column = d.suppressed.groupby("column").size()
    assert (per_column >= 2).all()
    # And every shown numerator is 0 or at least 5, with its rest 0 or at least 5.
    for ind_id in ids:
        ind = catalogue[ind_id]
        num, den = d.table[ind.numerator], d.table[ind.denominator]
        shown = num.notna()
        assert ((num[shown] == 0) | (num[shown] >= 5)).all()
        rest = (den - num)[shown]
        assert ((rest <= 0) | (rest >= 5)).all()


# -- notes --------------------------------------------------------------------------------

def test_notes(table: pd.DataFrame) -> None:
    notes = apply_disclosure(table, CAT, INDICATORS).notes()
    assert notes == [
        "Röjandekontroll: 2 antal mellan 1 och 4 har dolts och visas som saknade, liksom "
        "andelarna som bygger på dem. Antalet 0 visas.",
        "2 antal har dolts för att nämnaren minus täljaren är färre än 5; annars skulle de "
        "få som inte räknas kunna pekas ut.",
        "1 antal har dolts sekundärt, så att kommunens totalsumma inte avslöjar ett dolt "
        "värde genom subtraktion.",
        "1 områden har en målgrupp på färre än 50 personer; deras andelar är osäkra: O5.",
    ]
    clean = apply_disclosure(table, CAT, ["poang"]).notes()
    assert clean == ["Röjandekontroll: inga antal under 5 behövde döljas. Antalet 0 visas."]
