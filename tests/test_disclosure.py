"""Disclosure control: which counts are suppressed, and that none of them leaks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from small_catalogue import small_catalogue

from geo.io.files import read_catalogue, read_indicator_table
from indicators.catalogue import Catalogue, catalogue_table, validate_catalogue
from indicators.columns import AREA_ID
from indicators.disclosure import (
    SMALL_AREA_COLUMNS,
    SUPPRESSED_COLUMNS,
    Disclosure,
    apply_disclosure,
    arrived_reason,
    check_no_leak,
    primary_reason,
    rest_reason,
    union_reason,
)
from indicators.errors import CatalogueError, IndicatorTableError, SettingsError
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
                                   O2 3/100 hidden, band 1–4
                                   O3 12/300 shown
                                   O4 47/50 the rest is 3: hidden, band 46–49
                                   O5 0/3 the rest is 3: hidden; in a group of at most 8
                                      the band is the union, 0–3
                                   O6 missing numerator: stays missing, not hidden
    brott_antal / invanare (1000): O3 2: hidden, band 1–4, and nothing else: the totals
                                   are computed from the censored table
    """
    return _table(
        antal=[0, 3, 12, 47, 0, np.nan],
        unga=[200, 100, 300, 50, 3, 100],
        brott_antal=[7, 30, 2, 55, 9, 11],
        invanare=[1000, 2000, 1500, 3000, 400, 900],
        poang=[1.5, 2.0, 3.0, 4.0, 4.0, 1.0],
    )


def _cells(d: Disclosure) -> list[tuple[str, str, str]]:
    return [(a, c, r) for a, c, r, _, _ in d.suppressed.itertuples(index=False, name=None)]


def _bands(d: Disclosure) -> dict[tuple[str, str], tuple[float, float]]:
    return {(a, c): (lo, hi) for a, c, _, lo, hi in d.suppressed.itertuples(index=False,
                                                                            name=None)}


# -- which cells ----------------------------------------------------------------------------

def test_exact_suppression_set(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    assert list(d.suppressed.columns) == list(SUPPRESSED_COLUMNS)
    assert _cells(d) == [
        ("O2", "antal", PRIMARY),
        ("O4", "antal", rest_reason(5, "unga")),
        ("O5", "antal", union_reason(5)),
        ("O3", "brott_antal", PRIMARY),
    ]
    assert _bands(d) == {("O2", "antal"): (1, 4), ("O4", "antal"): (46, 49),
                         ("O5", "antal"): (0, 3), ("O3", "brott_antal"): (1, 4)}
    assert d.suppressed.loc[0, "reason"] == "färre än 5 (röjandekontroll): mellan 1 och 4"
    published = table.copy()
    published.loc[["O2", "O4", "O5"], "antal"] = np.nan
    published.loc[["O3"], "brott_antal"] = np.nan
    pd.testing.assert_frame_equal(d.table, published)
    # What the analysis computes with: each hidden count at its band's midpoint.
    censored = table.copy()
    censored.loc[["O2", "O4", "O5"], "antal"] = [2.5, 47.5, 1.5]
    censored.loc["O3", "brott_antal"] = 2.5
    pd.testing.assert_frame_equal(d.censored, censored)
    assert (d.threshold, d.min_population) == (5, 50)
    pd.testing.assert_frame_equal(d.bands(), d.suppressed[[AREA_ID, "column", "low", "high"]])


def test_the_censored_table_depends_only_on_the_bands(table: pd.DataFrame) -> None:
    """Any hidden count in its band gives the same censored table: the invariance that
    makes every output free of hidden values (tests/test_leak_attack.py)."""
    d = apply_disclosure(table, CAT, INDICATORS)
    for end in ("low", "high"):
        moved = table.copy()
        for row in d.suppressed.itertuples():
            moved.loc[row.area_id, row.column] = getattr(row, end)
        again = apply_disclosure(moved, CAT, INDICATORS)
        pd.testing.assert_frame_equal(again.censored, d.censored)
        pd.testing.assert_frame_equal(again.suppressed, d.suppressed)


def test_rates_on_hidden_counts_are_missing_when_published(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS)
    values = derive_values(d.table, CAT, INDICATORS)
    assert values["andel"].isna().tolist() == [False, True, False, True, True, True]
    assert values["brott"].isna().tolist() == [False, False, True, False, False, False]
    assert values.loc["O1", "andel"] == 0.0                   # a 0 count is shown
    pd.testing.assert_series_equal(values["poang"], table["poang"])   # ready values kept
    hidden = d.hidden(CAT, INDICATORS)
    assert hidden["andel"].tolist() == [False, True, False, True, True, False]
    assert hidden["brott"].tolist() == [False, False, True, False, False, False]
    assert not hidden["poang"].any()


def test_missing_is_never_zero_and_the_input_is_untouched(table: pd.DataFrame) -> None:
    before = table.copy()
    d = apply_disclosure(table, CAT, INDICATORS)
    pd.testing.assert_frame_equal(table, before)
    assert d.table is not table and d.censored is not table
    assert np.isnan(d.table.loc["O6", "antal"]) and np.isnan(d.censored.loc["O6", "antal"])
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
    # rest = den - num: 3 and 1 are below 5 (hidden); 5 is not; 0 (all counted) is
    # shown like a 0 count; a 0 count over 4 has rest 4 (a group of at most 8: the union).
    t = _table(antal=[97, 99, 95, 100, 0, 20, 30], unga=[100, 100, 100, 100, 4, 400, 500],
               brott_antal=[10] * 7, invanare=[1000] * 7, poang=[1] * 7)
    d = apply_disclosure(t, CAT, ["andel"])
    rest = rest_reason(5, "unga")
    assert _cells(d) == [("O1", "antal", rest), ("O2", "antal", rest),
                         ("O5", "antal", union_reason(5))]
    assert _bands(d) == {("O1", "antal"): (96, 99), ("O2", "antal"): (96, 99),
                         ("O5", "antal"): (0, 4)}
    assert "nämnaren 'unga' minus täljaren är färre än 5" in rest


@pytest.mark.parametrize(("count", "den", "band"), [
    (3, 5, (1, 4)), (1, 6, (1, 5)), (5, 6, (1, 5)), (0, 2, (0, 2)), (2, 2, (0, 2)),
    (7, 8, (1, 7)), (1, 9, (1, 4)), (8, 9, (5, 8)),
])
def test_a_small_group_gets_the_union_band(count: float, den: float,
                                           band: tuple[float, float]) -> None:
    """In a group of at most 2t−2 the two bands meet: the reason shown must not narrow
    the value (a count of 3 of 5 is hidden whichever rule hides it)."""
    t = _table(antal=[count, 40], unga=[den, 400], brott_antal=[10, 10],
               invanare=[100, 100], poang=[1, 1])
    d = apply_disclosure(t, CAT, ["andel"])
    assert _bands(d) == {("O1", "antal"): band}
    low, high = band
    # Every count of the band is hidden too, with the same band.
    for other in range(int(low), int(high) + 1):
        moved = _table(antal=[other, 40], unga=[den, 400], brott_antal=[10, 10],
                       invanare=[100, 100], poang=[1, 1])
        assert _bands(apply_disclosure(moved, CAT, ["andel"])) == {("O1", "antal"): band}


def test_no_secondary_suppression_is_needed() -> None:
    """One hidden cell in a column stays the only one: the total is computed from the
    censored table, so subtracting the shown cells gives the midpoint, not the count."""
    t = _table(antal=[10] * 4, unga=[100] * 4, brott_antal=[3, 0, 8, 20],
               invanare=[1000] * 4, poang=[1] * 4)
    d = apply_disclosure(t, CAT, ["brott"])
    assert _cells(d) == [("O1", "brott_antal", PRIMARY)]
    total = d.censored["brott_antal"].sum()
    assert total - d.table["brott_antal"].sum() == 2.5


def test_every_personal_rate_is_controlled_whatever_is_selected(table: pd.DataFrame) -> None:
    """Two analyses with other selections must hide the same cells."""
    assert _cells(apply_disclosure(table, CAT, ["brott"])) == _cells(
        apply_disclosure(table, CAT, INDICATORS))


def test_counts_that_are_not_persons_are_not_controlled(table: pd.DataFrame) -> None:
    frame = catalogue_table(CAT)
    frame["personal"] = ["nej", "ja", "ja"]
    things = validate_catalogue(frame)
    assert not things["andel"].personal and things["brott"].personal
    d = apply_disclosure(table, things, INDICATORS)
    assert {c for _, c, _ in _cells(d)} == {"brott_antal"}
    pd.testing.assert_series_equal(d.table["antal"], table["antal"])
    frame["personal"] = ["kanske", "ja", "ja"]
    with pytest.raises(CatalogueError, match="okänt värde i 'personal' för 'andel'"):
        validate_catalogue(frame)


def test_cells_hidden_at_the_source_are_censored(table: pd.DataFrame) -> None:
    """SCB's '..': a value between 1 and t−1, not a missing one."""
    arrived = pd.DataFrame({AREA_ID: ["O6"], "column": ["antal"]})
    d = apply_disclosure(table, CAT, INDICATORS, arrived=arrived)
    assert ("O6", "antal", arrived_reason(5)) in _cells(d)
    assert _bands(d)[("O6", "antal")] == (1, 4)
    assert d.censored.loc["O6", "antal"] == 2.5 and np.isnan(d.table.loc["O6", "antal"])
    assert any("dolda redan i källan" in n for n in d.notes())


# -- threshold and small areas -------------------------------------------------------------

def test_the_threshold_is_configurable(table: pd.DataFrame) -> None:
    d = apply_disclosure(table, CAT, INDICATORS, threshold=3)
    # 3 is no longer below the threshold, and neither is a rest of 3; O3's 2 still is.
    assert _cells(d) == [("O3", "brott_antal", primary_reason(3))]
    assert primary_reason(3) == "färre än 3 (röjandekontroll): mellan 1 och 2"
    d = apply_disclosure(table, CAT, INDICATORS, threshold=12)
    assert ("O3", "antal", primary_reason(12)) not in _cells(d)    # 12 is not below 12...
    assert ("O1", "brott_antal", primary_reason(12)) in _cells(d)  # ...but 7 is
    assert apply_disclosure(table, CAT, INDICATORS, threshold=1).suppressed.empty


def test_fractional_counts_below_the_threshold_are_hidden() -> None:
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


def test_small_areas_are_flagged_by_the_young_population(table: pd.DataFrame) -> None:
    """Not by the smallest denominator: a grade-9 cohort of 30 does not make an area
    small (issue 16 found 11 of 22 RegSO flagged that way)."""
    young = table.assign(barn_0_17=[400, 49, 50, np.nan, 3, 900])
    d = apply_disclosure(young, CAT, INDICATORS)
    assert list(d.small_areas.columns) == list(SMALL_AREA_COLUMNS)
    assert d.small_areas[AREA_ID].tolist() == ["O2", "O5"]       # 50 is not below 50
    assert d.small_areas["population"].tolist() == [49.0, 3.0]
    assert d.small_areas.loc[0, "reason"] == ("barn 0–17 år är 49, färre än 50: andelarna "
                                              "är osäkra")
    assert d.youth_column == "barn 0–17 år"
    assert apply_disclosure(young, CAT, INDICATORS, min_population=0).small_areas.empty
    # Without a young population nothing is flagged, whatever the denominators.
    assert apply_disclosure(table, CAT, INDICATORS, min_population=10**6).small_areas.empty
    pd.testing.assert_series_equal(d.table["unga"], young["unga"])   # never hidden


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
        "område O5, kolumn 'antal'", "område O3, kolumn 'brott_antal'"}
    assert check_no_leak(derive_values(table, CAT, INDICATORS).to_csv(), d, table)


@pytest.mark.parametrize("text", [
    "O4: Andel unga 94,0 %",                         # the area profile's format
    "<td>Brott</td><td>1,33</td>",                   # the map's two decimals
    "brott,1.3333333333333333",                      # a machine-written float
    "område O2 har 3 unga",                          # the count on the area's line
    "O3;1\u2009234;2,00",                            # Swedish formats on the area's line
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
    notes = apply_disclosure(table.assign(barn_0_17=[400, 30, 900, 900, 900, 900]), CAT,
                             INDICATORS).notes()
    assert notes == [
        "Röjandekontroll: 4 antal personer under 5 (eller med färre än 5 utanför gruppen) "
        "visas inte, och inte heller andelarna som bygger på dem. I beräkningarna ersätts ett "
        "dolt antal med mitten av sitt intervall (1–4 ger 2,5) och varieras över intervallet "
        "i osäkerhetsberäkningen, så att inget resultat beror på det verkliga värdet. "
        "Antalet 0 visas.",
        "1 områden har färre än 50 barn 0–17 år; deras andelar är osäkra: O2.",
    ]
    clean = apply_disclosure(table[["poang"]], CAT, ["poang"]).notes()
    assert clean == ["Röjandekontroll: inga antal personer under 5 behövde döljas. "
                     "Antalet 0 visas."]
