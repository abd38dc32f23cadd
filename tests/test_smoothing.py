"""Empirical Bayes smoothing of rates, checked against esda's Empirical_Bayes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esda.smoothing import Empirical_Bayes
from small_catalogue import small_catalogue

from geo.io.files import read_catalogue, read_indicator_table
from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID
from indicators.errors import IndicatorTableError, SettingsError
from indicators.smoothing import Smoothed, eb_smooth
from indicators.table import derive_values, validate_indicator_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return read_catalogue(ROOT / "data" / "indicator_catalogue.csv")


@pytest.fixture(scope="module")
def rates(catalogue: Catalogue) -> tuple[str, ...]:
    """The catalogue's rates, in its order (at least a few, or the tests below test little)."""
    found = tuple(i for i in catalogue if catalogue[i].is_rate)
    assert len(found) >= 3
    return found


@pytest.fixture(scope="module")
def demo(catalogue: Catalogue) -> pd.DataFrame:
    raw = read_indicator_table(ROOT / "data" / "demo" / "huddinge_demo_indicators.csv")
    return validate_indicator_table(raw, catalogue)


def _catalogue() -> Catalogue:
    return small_catalogue()


def _table(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    index = pd.Index([f"O{k}" for k in range(1, n + 1)], name=AREA_ID)
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()},
                        index=index)


def _esda(e: np.ndarray, b: np.ndarray) -> np.ndarray:
    return Empirical_Bayes(e, b).r.ravel()


# -- agreement with esda ------------------------------------------------------------------

def test_agrees_with_esda_on_the_demo_data(demo: pd.DataFrame, catalogue: Catalogue,
                                           rates: tuple[str, ...]) -> None:
    # One test for every rate of the catalogue: the rates are known only once it is read,
    # and collecting the suite reads no data.
    for ind_id in rates:
        _agrees_with_esda(demo, catalogue, ind_id)


def _agrees_with_esda(demo: pd.DataFrame, catalogue: Catalogue, ind_id: str) -> None:
    ind = catalogue[ind_id]
    out = eb_smooth(demo, catalogue, [ind_id])
    # esda has no notion of missing: it is given the areas with both counts, as eb_smooth
    # uses them (one demo area lacks the numerator of hog_franvaro).
    known = demo[ind.numerator].notna() & demo[ind.denominator].notna()
    e = demo.loc[known, ind.numerator].to_numpy()
    b = demo.loc[known, ind.denominator].to_numpy()
    expected = _esda(e, b) * ind.per
    np.testing.assert_allclose(out.values.loc[known, ind_id].to_numpy(), expected,
                               rtol=1e-10, atol=0, err_msg=ind_id)
    assert out.values.loc[~known, ind_id].isna().all(), ind_id
    # The weight is what esda uses implicitly: r_eb = w r + (1 - w) m.
    m = e.sum() / b.sum()
    implied = (expected / ind.per - m) / (e / b - m)
    np.testing.assert_allclose(out.weights.loc[known, ind_id].to_numpy(), implied,
                               rtol=1e-8, err_msg=ind_id)
    assert out.reference[ind_id] == pytest.approx(m * ind.per, rel=1e-12)
    assert out.smoothed == (ind_id,)
    assert not out.no_spread


def test_all_rates_at_once_match_one_at_a_time(demo: pd.DataFrame, catalogue: Catalogue,
                                               rates: tuple[str, ...]) -> None:
    together = eb_smooth(demo, catalogue, list(catalogue))
    assert together.smoothed == rates
    for ind_id in rates:
        alone = eb_smooth(demo, catalogue, [ind_id])
        pd.testing.assert_series_equal(together.values[ind_id], alone.values[ind_id])
    w = together.weights.to_numpy()
    known = sum(int((demo[catalogue[i].numerator].notna()
                     & demo[catalogue[i].denominator].notna()).sum()) for i in rates)
    assert (~np.isnan(w)).sum() == known
    w = w[~np.isnan(w)]
    assert ((w >= 0) & (w <= 1)).all()


def test_the_demo_table_is_not_changed(demo: pd.DataFrame, catalogue: Catalogue) -> None:
    before = demo.copy()
    eb_smooth(demo, catalogue, list(catalogue))
    pd.testing.assert_frame_equal(demo, before)


# -- behaviour ------------------------------------------------------------------------------

def test_a_small_area_moves_toward_the_mean_more_than_a_big_one() -> None:
    # O1 and O2 share the raw rate 20 %; O1 has 20 young people, O2 2 000.
    table = _table(antal=[4, 400, 50, 120, 90], unga=[20, 2000, 500, 1000, 600],
                   brott_antal=[1, 2, 3, 4, 5], invanare=[100, 200, 300, 400, 500],
                   poang=[1, 2, 3, 4, 5])
    cat = _catalogue()
    out = eb_smooth(table, cat, ["andel"])
    raw = derive_values(table, cat, ["andel"])["andel"]
    ref = out.reference["andel"]
    assert raw["O1"] == raw["O2"] == pytest.approx(20.0)
    assert ref < 20.0
    move = (raw - out.values["andel"]).abs()
    assert move["O1"] > move["O2"] > 0
    assert out.weights.loc["O1", "andel"] < out.weights.loc["O2", "andel"]
    # Both end between their own rate and the reference.
    assert ref < out.values.loc["O1", "andel"] < out.values.loc["O2", "andel"] < 20.0


def test_ready_values_pass_unchanged_and_are_not_smoothed() -> None:
    table = _table(antal=[4, 40, 50], unga=[20, 200, 500], brott_antal=[1, 2, 3],
                   invanare=[100, 200, 300], poang=[1.5, np.nan, 3.5])
    out = eb_smooth(table, _catalogue(), ["poang", "andel"])
    assert out.smoothed == ("andel",)
    assert list(out.values.columns) == ["poang", "andel"]
    pd.testing.assert_series_equal(out.values["poang"], table["poang"])
    assert list(out.weights.columns) == ["andel"]
    assert list(out.reference.index) == ["andel"]


def test_missing_counts_stay_missing_and_take_no_part() -> None:
    cat = _catalogue()
    full = _table(antal=[4, 40, 50, 30, 70], unga=[20, 200, 500, 150, 400],
                  brott_antal=[1, 2, 3, 4, 5], invanare=[100, 200, 300, 400, 500],
                  poang=[1, 2, 3, 4, 5])
    holes = full.copy()
    holes.loc["O4", "antal"] = np.nan       # missing numerator
    holes.loc["O5", "unga"] = 0.0           # no population: the rate is undefined
    out = eb_smooth(holes, cat, ["andel"])
    assert out.values.loc[["O4", "O5"], "andel"].isna().all()
    assert out.weights.loc[["O4", "O5"], "andel"].isna().all()
    # The other areas are smoothed as if the two were not there (not as if they were 0).
    alone = eb_smooth(full.loc[["O1", "O2", "O3"]], cat, ["andel"])
    pd.testing.assert_series_equal(out.values.loc[["O1", "O2", "O3"], "andel"],
                                   alone.values["andel"])
    assert out.reference["andel"] == pytest.approx(94 / 720 * 100)


def test_no_usable_area_gives_missing_everywhere() -> None:
    table = _table(antal=[np.nan, np.nan], unga=[10, 20], brott_antal=[1, 2],
                   invanare=[10, 20], poang=[1, 2])
    out = eb_smooth(table, _catalogue(), ["andel"])
    assert out.values["andel"].isna().all()
    assert np.isnan(out.reference["andel"])
    assert "inget område hade både täljare och nämnare" in out.notes()[1]


def test_negative_variance_is_clipped_and_esda_is_not() -> None:
    # The rates differ less than Poisson chance alone would make them: the moment
    # estimate of the between-area variance is negative.
    e, b = [9.0, 21.0, 31.0], [100.0, 200.0, 300.0]
    table = _table(antal=e, unga=b, brott_antal=[1, 2, 3], invanare=[10, 20, 30],
                   poang=[1, 2, 3])
    out = eb_smooth(table, _catalogue(), ["andel"])
    m = sum(e) / sum(b)
    assert out.no_spread == ("andel",)
    np.testing.assert_allclose(out.values["andel"], m * 100, rtol=1e-12)
    assert (out.weights["andel"] == 0).all()
    # esda does not clip: its implied weights leave 0..1 and push rates away from m.
    r = _esda(np.array(e), np.array(b))
    implied = (r - m) / (np.array(e) / np.array(b) - m)
    assert (implied < 0).any() or (implied > 1).any()
    assert any("alla områden fick referensvärdet" in n for n in out.notes())


def test_a_zero_reference_keeps_every_rate() -> None:
    table = _table(antal=[0, 0, 0], unga=[10, 20, 30], brott_antal=[0, 2, 6],
                   invanare=[100, 200, 300], poang=[1, 2, 3])
    out = eb_smooth(table, _catalogue(), ["andel", "brott"], reference={"brott": 0.0})
    assert (out.values["andel"] == 0).all()
    assert (out.weights["andel"] == 1).all()
    np.testing.assert_allclose(out.values["brott"], [0.0, 10.0, 20.0])
    assert (out.weights["brott"] == 1).all()


# -- an external reference ----------------------------------------------------------------

def test_a_given_reference_is_used_in_the_catalogues_unit() -> None:
    cat = _catalogue()
    e = np.array([4.0, 40.0, 50.0, 30.0, 70.0])
    b = np.array([20.0, 200.0, 500.0, 150.0, 400.0])
    table = _table(antal=e, unga=b, brott_antal=[1, 2, 3, 4, 5],
                   invanare=[100, 200, 300, 400, 500], poang=[1, 2, 3, 4, 5])
    out = eb_smooth(table, cat, ["andel", "brott"], reference={"andel": 10.0})
    m = 0.10                                            # 10 %, given in per cent
    r = e / b
    variance = max((b * (r - m) ** 2).sum() / b.sum() - m / b.mean(), 0.0)
    w = variance / (variance + m / b)
    np.testing.assert_allclose(out.values["andel"], (w * r + (1 - w) * m) * 100, rtol=1e-12)
    np.testing.assert_allclose(out.weights["andel"], w, rtol=1e-12)
    assert out.reference["andel"] == pytest.approx(10.0)
    assert out.external == ("andel",)
    # brott is not in the mapping: shrunk toward the pooled rate, as with "pooled".
    pooled = eb_smooth(table, cat, ["brott"])
    pd.testing.assert_series_equal(out.values["brott"], pooled.values["brott"])
    assert out.reference["brott"] == pytest.approx(15 / 1500 * 1000)
    # A reference differing from the pooled rate gives different values.
    assert not np.allclose(out.values["andel"],
                           eb_smooth(table, cat, ["andel"]).values["andel"])
    notes = out.notes()
    assert "Andel unga: utjämnad mot angivet referensvärde 10,00 %" in notes[1]
    assert "Brott: utjämnad mot kommunens sammanvägda värde 10,00 per 1 000" in notes[2]


@pytest.mark.parametrize(("reference", "needle"), [
    ("county", "okänt referensvärde för utjämningen"),
    ({"andel": -1.0}, "ogiltigt referensvärde för 'andel'"),
    ({"andel": 120.0}, "ogiltigt referensvärde för 'andel'"),
    ({"andel": float("nan")}, "ogiltigt referensvärde för 'andel'"),
    ({"andel": "10"}, "ogiltigt referensvärde för 'andel'"),
    ({"okand": 1.0}, "referensvärden för indikatorer som inte finns i katalogen"),
])
def test_a_bad_reference_is_refused_in_swedish(reference: object, needle: str) -> None:
    table = _table(antal=[1, 2], unga=[10, 20], brott_antal=[1, 2], invanare=[10, 20],
                   poang=[1, 2])
    with pytest.raises(SettingsError, match=needle) as info:
        eb_smooth(table, _catalogue(), ["andel"], reference=reference)  # type: ignore[arg-type]
    assert str(info.value).startswith("Fel i analysinställningarna")


def test_unknown_indicators_and_missing_columns_are_refused() -> None:
    table = _table(antal=[1, 2], unga=[10, 20], poang=[1, 2])
    with pytest.raises(SettingsError, match="okända indikatorer"):
        eb_smooth(table, _catalogue(), ["finns_inte"])
    with pytest.raises(IndicatorTableError, match="kolumner saknas för indikatorn 'brott'"):
        eb_smooth(table, _catalogue(), ["andel", "brott"])


# -- notes --------------------------------------------------------------------------------

def test_notes_say_what_was_smoothed_and_toward_what(demo: pd.DataFrame,
                                                     catalogue: Catalogue) -> None:
    out = eb_smooth(demo, catalogue, ["barn_lag_ek_standard", "valdsbrott"])
    assert isinstance(out, Smoothed)
    lag_ek = demo["barn_0_17_lag_ek_standard"].sum() / demo["barn_0_17"].sum() * 100
    vald = demo["valdsbrott"].sum() / demo["invanare"].sum() * 1000
    notes = out.notes()
    assert notes[0].startswith("Andelar och tal för små områden har utjämnats med empirisk "
                               "Bayes (Marshall 1991)")
    assert notes[1].startswith("Barn 0–17 år i hushåll med låg ekonomisk standard: utjämnad "
                               "mot kommunens sammanvägda värde "
                               f"{lag_ek:.2f} %; vikt för områdets eget värde ".replace(".", ","))
    assert notes[2].startswith("Anmälda våldsbrott: utjämnad mot kommunens sammanvägda värde "
                               f"{vald:.2f} per 1 000".replace(".", ","))
    assert len(notes) == 3


def test_notes_when_nothing_is_a_rate() -> None:
    table = _table(poang=[1, 2, 3])
    out = eb_smooth(table, _catalogue(), ["poang"])
    assert out.smoothed == ()
    assert out.notes() == ["Ingen andel har utjämnats (inga valda indikatorer bygger på "
                           "antal)."]
