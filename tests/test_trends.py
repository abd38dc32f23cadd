"""Change over time: rate changes with confidence intervals, rank changes, linear trends."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import read_catalogue, read_indicator_table
from indicators.columns import AREA_ID, RANK, SCORE
from indicators.errors import IndicatorTableError
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings
from indicators.trends import (
    CANNOT_ASSESS,
    CLEAR_RANK_CHANGE,
    DECREASE,
    INCREASE,
    INDICATOR,
    MOVED_DOWN,
    MOVED_UP,
    NO_CLEAR_CHANGE,
    UNCHANGED,
    VERDICTS,
    YEAR,
    indicator_trends,
    linear_trend,
    rank_change,
    rate_change,
    split_years,
)

DATA = Path(__file__).resolve().parents[1] / "data"
Z = 1.959963984540054  # standard normal 97.5 % quantile


def _long(pairs: dict[str, tuple[object, object, object, object]]) -> pd.DataFrame:
    """area -> (x first, n first, x last, n last) as a long table for 2020 and 2024."""
    rows = []
    for area, (x1, n1, x2, n2) in pairs.items():
        rows += [{AREA_ID: area, YEAR: 2020, "x": x1, "n": n1},
                 {AREA_ID: area, YEAR: 2024, "x": x2, "n": n2}]
    return pd.DataFrame(rows)


def _wilson(x: float, n: float) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def _poisson(x: float, n: float) -> tuple[float, float]:
    root = Z * math.sqrt(x + Z * Z / 4)
    return (x + Z * Z / 2 - root) / n, (x + Z * Z / 2 + root) / n


# -- rate change ----------------------------------------------------------------------
def test_proportion_10_to_20_of_100_is_an_increase_by_hand():
    out = rate_change(_long({"a": (10, 100, 20, 100)}), numerator="x", denominator="n",
                      per=100, first=2020, last=2024)
    (l1, u1), (l2, u2) = _wilson(10, 100), _wilson(20, 100)
    low = 0.1 - math.sqrt((0.2 - l2) ** 2 + (u1 - 0.1) ** 2)
    high = 0.1 + math.sqrt((u2 - 0.2) ** 2 + (0.1 - l1) ** 2)
    row = out.loc["a"]
    assert (row.rate_first, row.rate_last, row.change) == pytest.approx((10, 20, 10))
    assert row.ci_low == pytest.approx(low * 100, rel=1e-9)
    assert row.ci_high == pytest.approx(high * 100, rel=1e-9)
    # Just above 0: 0.0149 percentage points (a Yates-corrected or exact test would not
    # call this an increase; Newcombe's interval does).
    assert row.ci_low == pytest.approx(0.014903, abs=1e-6)
    assert row.ci_high == pytest.approx(19.947387, abs=1e-6)
    assert row.verdict == INCREASE and row.reason == ""
    assert out.attrs["model"] == "proportion"
    assert "Newcombe" in out.attrs["method"] and "95 %" in out.attrs["method"]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10.
    (48, 80, 56, 70, 0.0524, 0.3339),
    (3, 10, 9, 10, 0.1705, 0.8090),
    (2, 7, 6, 7, 0.0582, 0.8062),
    (0, 29, 5, 56, -0.0381, 0.1926),
    (0, 20, 0, 10, -0.1611, 0.2775),
    (0, 20, 10, 10, 0.6791, 1.0000),
])
def test_proportion_interval_matches_newcombe_1998(x1, n1, x2, n2, low, high):
    out = rate_change(_long({"a": (x1, n1, x2, n2)}), numerator="x", denominator="n", per=1,
                      first=2020, last=2024, model="proportion")
    assert out.at["a", "ci_low"] == pytest.approx(low, abs=5e-5)
    assert out.at["a", "ci_high"] == pytest.approx(high, abs=5e-5)


def test_small_numbers_decrease_and_missing():
    data = _long({
        "small": (1, 10, 2, 10),
        "down": (30, 100, 10, 100),
        "same": (0, 50, 0, 50),
        "suppressed": ("..", 40, 5, 40),
        "zero": (1, 0, 1, 10),
        "no_den": (1, None, 1, 10),
        "negative": (-1, 10, 1, 10),
        "too_many": (12, 10, 1, 10),
    })
    gone = pd.DataFrame([{AREA_ID: "gone", YEAR: 2020, "x": 3, "n": 30}])
    new = pd.DataFrame([{AREA_ID: "new", YEAR: 2024, "x": 3, "n": 30}])
    out = rate_change(pd.concat([data, gone, new]), numerator="x", denominator="n", per=100,
                      first=2020, last=2024)
    assert out["verdict"].to_dict() == {
        "small": NO_CLEAR_CHANGE, "down": DECREASE, "same": NO_CLEAR_CHANGE,
        "suppressed": CANNOT_ASSESS, "zero": CANNOT_ASSESS, "no_den": CANNOT_ASSESS,
        "negative": CANNOT_ASSESS, "too_many": CANNOT_ASSESS, "gone": CANNOT_ASSESS,
        "new": CANNOT_ASSESS}
    assert list(out["verdict"].cat.categories) == list(VERDICTS)
    assert out.at["suppressed", "reason"] == "täljaren saknas år 2020"
    assert out.at["zero", "reason"] == "nämnaren är 0 år 2020"
    assert out.at["no_den", "reason"] == "nämnaren saknas år 2020"
    assert out.at["negative", "reason"] == "negativt antal år 2020"
    assert out.at["too_many", "reason"] == "täljaren är större än nämnaren år 2020"
    assert out.at["gone", "reason"] == "området saknas år 2024"
    assert out.at["new", "reason"] == "området saknas år 2020"
    unassessed = out[out["verdict"] == CANNOT_ASSESS]
    assert unassessed[["change", "ci_low", "ci_high"]].isna().all().all()
    assert out.at["gone", "rate_first"] == pytest.approx(10.0)
    # 1/10 -> 2/10 by hand
    (l1, u1), (l2, u2) = _wilson(1, 10), _wilson(2, 10)
    assert out.at["small", "ci_low"] == pytest.approx(
        100 * (0.1 - math.sqrt((0.2 - l2) ** 2 + (u1 - 0.1) ** 2)), rel=1e-9)
    assert out.at["small", "ci_high"] == pytest.approx(
        100 * (0.1 + math.sqrt((u2 - 0.2) ** 2 + (0.1 - l1) ** 2)), rel=1e-9)
    assert out.at["small", "ci_low"] < 0 < out.at["small", "ci_high"]
    assert out.at["down", "ci_high"] < 0
    assert out.at["same", "change"] == 0
    assert list(out.index) == ["small", "down", "same", "suppressed", "zero", "no_den",
                               "negative", "too_many", "gone", "new"]


def test_poisson_rate_per_1000_by_hand():
    out = rate_change(_long({"a": (10, 1000, 30, 1000), "b": (10, 100, 20, 100)}),
                      numerator="x", denominator="n", per=1000, first=2020, last=2024)
    assert out.attrs["model"] == "poisson"
    (l1, u1), (l2, u2) = _poisson(10, 1000), _poisson(30, 1000)
    low = 0.02 - math.sqrt((0.03 - l2) ** 2 + (u1 - 0.01) ** 2)
    high = 0.02 + math.sqrt((u2 - 0.03) ** 2 + (0.01 - l1) ** 2)
    assert out.at["a", "change"] == pytest.approx(20.0)
    assert out.at["a", "ci_low"] == pytest.approx(low * 1000, rel=1e-9)
    assert out.at["a", "ci_high"] == pytest.approx(high * 1000, rel=1e-9)
    assert out.at["a", "verdict"] == INCREASE
    # the same 10 -> 20 of 100 that is (just) an increase as a proportion is not as a
    # Poisson rate, whose interval is wider
    assert out.at["b", "verdict"] == NO_CLEAR_CHANGE
    assert "Poisson" in out.attrs["method"]


def test_alpha_narrows_or_widens_the_interval():
    data = _long({"a": (20, 200, 30, 200)})
    wide = rate_change(data, numerator="x", denominator="n", per=100, first=2020, last=2024)
    narrow = rate_change(data, numerator="x", denominator="n", per=100, first=2020,
                         last=2024, alpha=0.5)
    assert wide.at["a", "verdict"] == NO_CLEAR_CHANGE
    assert narrow.at["a", "verdict"] == INCREASE
    assert "50 %" in narrow.attrs["method"]


def test_mapping_and_long_table_give_the_same_result():
    long = _long({"a": (10, 100, 20, 100), "b": ("1 234", "5 000", "1 300,0", 5000)})
    mapping = {int(y): part.drop(columns=YEAR) for y, part in long.groupby(YEAR)}
    by_index = {y: t.set_index(AREA_ID) for y, t in mapping.items()}
    args = {"numerator": "x", "denominator": "n", "per": 100, "first": 2020, "last": 2024}
    expected = rate_change(long, **args)
    pd.testing.assert_frame_equal(rate_change(mapping, **args), expected)
    pd.testing.assert_frame_equal(rate_change(by_index, **args), expected)
    assert expected.at["b", "numerator_first"] == 1234.0


def test_rate_change_refuses_bad_input():
    data = _long({"a": (10, 100, 20, 100)})
    args = {"numerator": "x", "denominator": "n", "per": 100}
    with pytest.raises(IndicatorTableError, match="2023"):
        rate_change(data, first=2020, last=2023, **args)
    with pytest.raises(IndicatorTableError, match="samma"):
        rate_change(data, first=2020, last=2020, **args)
    with pytest.raises(IndicatorTableError, match="inte är tal"):
        rate_change(_long({"a": ("tio", 100, 20, 100)}), first=2020, last=2024, **args)
    with pytest.raises(IndicatorTableError, match="'antal' saknas"):
        rate_change(data, first=2020, last=2024, numerator="antal", denominator="n", per=100)
    with pytest.raises(IndicatorTableError, match="mer än en gång"):
        rate_change(pd.concat([data, data]), first=2020, last=2024, **args)
    with pytest.raises(IndicatorTableError, match="'year' eller 'år' eller 'ar'"):
        rate_change(data.drop(columns=YEAR), first=2020, last=2024, **args)
    with pytest.raises(ValueError, match="alpha"):
        rate_change(data, first=2020, last=2024, alpha=1.5, **args)
    with pytest.raises(ValueError, match="modell"):
        rate_change(data, first=2020, last=2024, model="normal", **args)  # type: ignore[arg-type]


def test_split_years_sorts_and_indexes_by_area():
    long = _long({"b": (1, 2, 3, 4), "a": (5, 6, 7, 8)})
    tables = split_years(long.iloc[::-1])
    assert list(tables) == [2020, 2024]
    assert tables[2024].index.name == AREA_ID
    assert tables[2024].loc["b", "x"] == 3
    with pytest.raises(IndicatorTableError, match="ogiltigt år"):
        split_years({"tjugo": long})
    swedish = split_years(long.rename(columns={YEAR: "år"}))
    assert list(swedish) == [2020, 2024] and "år" not in swedish[2020]
    own = split_years(long.rename(columns={YEAR: "period"}), year_column="period")
    assert list(own) == [2020, 2024]
    with pytest.raises(IndicatorTableError, match="'period'"):
        split_years(long, year_column="period")


# -- rank change ----------------------------------------------------------------------
def test_rank_change_sign_convention():
    ranks = {2020: pd.Series({"up": 10, "down": 2, "same": 3, "gone": 1}),
             2024: pd.Series({"up": 4, "down": 5, "same": 3, "new": 1})}
    out = rank_change(ranks)
    assert out["change"].to_dict() == pytest.approx(
        {"up": 6.0, "down": -3.0, "same": 0.0, "gone": np.nan, "new": np.nan}, nan_ok=True)
    assert out["direction"].to_dict() == {"up": MOVED_UP, "down": MOVED_DOWN,
                                          "same": UNCHANGED, "gone": CANNOT_ASSESS,
                                          "new": CANNOT_ASSESS}
    assert "overlap" not in out
    notes = " ".join(out.attrs["notes"])
    assert "positiv" in notes and "'gone', 'new'" in notes


def test_rank_change_uses_first_and_last_year_by_default():
    ranks = {2022: pd.Series({"a": 2.0}), 2020: pd.Series({"a": 5.0}),
             2021: pd.Series({"a": 1.0})}
    out = rank_change(ranks)
    assert (out.attrs["first"], out.attrs["last"]) == (2020, 2022)
    assert out.at["a", "change"] == 3.0
    assert rank_change(ranks, first=2021).at["a", "change"] == -1.0


def test_rank_intervals_overlap_separate_and_touch():
    ranks = {2020: pd.Series({"sep": 20, "over": 10, "touch": 8, "lack": 3}),
             2024: pd.Series({"sep": 3, "over": 7, "touch": 4, "lack": 3})}
    intervals = {
        2020: (pd.Series({"sep": 15, "over": 6, "touch": 6, "lack": 1}),
               pd.Series({"sep": 25, "over": 14, "touch": 10, "lack": 5})),
        2024: (pd.Series({"sep": 1, "over": 4, "touch": 2}),
               pd.Series({"sep": 6, "over": 9, "touch": 6})),
    }
    out = rank_change(ranks, intervals)
    assert out["overlap"].tolist() == [False, True, True, pd.NA]
    assert out["verdict"].tolist() == [CLEAR_RANK_CHANGE, NO_CLEAR_CHANGE, NO_CLEAR_CHANGE,
                                       CANNOT_ASSESS]
    assert out.loc["sep", ["low_first", "high_first", "low_last", "high_last"]].tolist() == [
        15, 25, 1, 6]
    assert out.at["sep", "change"] == 17


def test_rank_change_refuses_bad_intervals():
    ranks = {1: pd.Series({"a": 1}), 2: pd.Series({"a": 2})}
    with pytest.raises(ValueError, match="nedre gräns"):
        rank_change(ranks, {1: (pd.Series({"a": 3}), pd.Series({"a": 1})),
                            2: (pd.Series({"a": 1}), pd.Series({"a": 2}))})
    with pytest.raises(ValueError, match="saknas för åren 2"):
        rank_change(ranks, {1: (pd.Series({"a": 1}), pd.Series({"a": 2}))})
    with pytest.raises(IndicatorTableError, match="två år"):
        rank_change({1: pd.Series({"a": 1})})


# -- linear trend ---------------------------------------------------------------------
def test_linear_trend_exact():
    values = pd.DataFrame({2020: [3.0, 1.0, np.nan, 4.0, 7.0],
                           2021: [5.0, 2.0, np.nan, np.nan, 7.0],
                           2022: [7.0, 6.0, 1.0, 0.0, 7.0],
                           2024: [11.0, np.nan, np.nan, np.nan, 7.0]},
                          index=["line", "hand", "one", "gap", "flat"])
    out = linear_trend(values)
    assert out.at["line", "slope"] == pytest.approx(2.0, abs=1e-12)
    # years 2020-2022, values 1, 2, 6: dx -1, 0, 1; dy -2, -1, 3 -> (2 + 3) / 2
    assert out.at["hand", "slope"] == pytest.approx(2.5, abs=1e-12)
    assert out.at["gap", "slope"] == pytest.approx(-2.0, abs=1e-12)
    assert np.isnan(out.at["one", "slope"])
    assert out.at["flat", "slope"] == 0.0
    assert out["n_years"].tolist() == [4, 3, 1, 2, 4]
    assert out["share_years"].tolist() == [1.0, 0.75, 0.25, 0.5, 1.0]


def test_linear_trend_reads_year_labels_and_refuses_duplicates():
    out = linear_trend(pd.DataFrame({"2019": [1.0], "2021": [5.0]}, index=["a"]))
    assert out.at["a", "slope"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="samma år"):
        linear_trend(pd.DataFrame([[1.0, 2.0]], columns=["2020", "2020.0"]))


# -- the demo table as year 1 and a seeded synthetic year 2 ---------------------------
@pytest.fixture(scope="module")
def two_years() -> tuple[dict[int, pd.DataFrame], object]:
    catalogue = read_catalogue(DATA / "indicator_catalogue.csv")
    year1 = read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv")
    rng = np.random.default_rng(20240501)
    year2 = year1.copy()
    for ind in catalogue.values():
        if ind.numerator in year2:
            counts = pd.to_numeric(year2[ind.numerator], errors="coerce")
            new = rng.poisson(counts.fillna(0) * rng.uniform(0.7, 1.3, len(counts)))
            if ind.per == 100:
                new = np.minimum(new, pd.to_numeric(year2[ind.denominator]))
            year2[ind.numerator] = pd.Series(new, index=counts.index).where(counts.notna())
    return {2023: year1, 2024: year2}, catalogue


def test_demo_smoke_rate_rank_and_trends(two_years):
    tables, catalogue = two_years
    share = catalogue["barn_lag_ek_standard"]
    out = rate_change(tables, numerator=share.numerator, denominator=share.denominator,
                      per=share.per, first=2023, last=2024)
    assert len(out) == len(tables[2023])
    assert set(out["verdict"]) <= set(VERDICTS)
    assert (out["ci_low"] <= out["change"]).all() and (out["change"] <= out["ci_high"]).all()
    crimes = catalogue["valdsbrott"]
    out = rate_change(tables, numerator=crimes.numerator, denominator=crimes.denominator,
                      per=crimes.per, first=2023, last=2024)
    assert out.attrs["model"] == "poisson"
    assert set(out["verdict"]) <= set(VERDICTS)

    settings = AnalysisSettings.create({i: 1.0 for i in catalogue})
    ranks = {y: rank_areas(t, catalogue, settings).rank for y, t in tables.items()}
    moved = rank_change(ranks)
    assert moved["change"].sum() == 0          # same areas, no ties: the changes cancel
    assert len(moved) == len(tables[2023])

    trends = indicator_trends(tables, catalogue, settings=settings)
    assert set(trends[INDICATOR]) == {*catalogue, SCORE, RANK}
    assert list(trends.columns[:4]) == [AREA_ID, INDICATOR, 2023, 2024]
    row = trends[(trends[INDICATOR] == "barn_lag_ek_standard")].set_index(AREA_ID)
    assert row["slope"].to_numpy() == pytest.approx((row[2024] - row[2023]).to_numpy(),
                                                    nan_ok=True)
    ranked = trends[trends[INDICATOR] == RANK].set_index(AREA_ID)
    assert (-ranked["slope"]).to_dict() == pytest.approx(moved["change"].to_dict())


def test_demo_history_three_years():
    """The synthetic history table (column 'ar', 2021–2023) read as it is on disk."""
    path = DATA / "demo" / "huddinge_demo_historik.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    catalogue = read_catalogue(DATA / "indicator_catalogue.csv")
    history = read_indicator_table(path)
    years = sorted(split_years(history))
    assert len(years) >= 2
    settings = AnalysisSettings.create({i: 1.0 for i in catalogue})
    trends = indicator_trends(history, catalogue, settings=settings)
    assert set(trends[INDICATOR]) == {*catalogue, SCORE, RANK}
    assert trends["share_years"].between(0, 1).all()
    share = catalogue["barn_lag_ek_standard"]
    out = rate_change(history, numerator=share.numerator, denominator=share.denominator,
                      per=share.per, first=years[0], last=years[-1])
    assert set(out["verdict"]) <= set(VERDICTS)
    assert out["verdict"].ne(CANNOT_ASSESS).all()


def test_trend_intervals_use_the_counts_as_held_when_smoothing_is_on(two_years):
    """With empirical Bayes smoothing on, the ranks use the smoothed rates (fractional
    numerators), but a change's interval is that of the unsmoothed counts: the same as with
    smoothing off, and a numerator in it is a whole count."""
    from indicators.assessment import trend_report
    from indicators.table import validate_indicator_table

    tables, catalogue = two_years
    pairs = [(y, validate_indicator_table(t, catalogue, str(y)).reset_index())
             for y, t in sorted(tables.items())]
    plain = AnalysisSettings.create({i: 1.0 for i in catalogue}, draws=20)
    smoothed = plain.with_changes(smoothing="eb")
    off = trend_report(pairs, catalogue, plain)
    on = trend_report(pairs, catalogue, smoothed)
    assert set(on.rate_changes) == set(off.rate_changes) != set()
    for ind_id, expected in off.rate_changes.items():
        pd.testing.assert_frame_equal(on.rate_changes[ind_id], expected)
        counts = on.rate_changes[ind_id][["numerator_first", "numerator_last"]].stack().dropna()
        assert (counts == counts.round()).all(), ind_id
    # The smoothing did reach the ranking: some year's values differ from the unsmoothed.
    assert any(not on.values[y].equals(off.values[y]) for y in on.years)
