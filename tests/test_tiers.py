"""Priority tiers from P(top k) and median rank, and their agreement with SCB and the police."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.io.files import read_catalogue, read_indicator_table
from indicators.codes import OMRADESTYP_LABELS
from indicators.errors import SettingsError
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings
from indicators.tiers import (
    HIGH,
    MISSING,
    NO_LEVEL,
    NO_RANK,
    OTHER,
    RAISED,
    TIER_AXIS,
    TIER_CATEGORIES,
    TIERS,
    TOTAL,
    TierRule,
    agreement,
    assign_tiers,
)

DATA = Path(__file__).resolve().parents[1] / "data"
TYPES = [f"{t} – {label}" for t, label in OMRADESTYP_LABELS.items()]
POLICE = ["Särskilt utsatt område", "Utsatt område", "Riskområde", NO_LEVEL]


# -- tiers ----------------------------------------------------------------------------
def test_tier_boundaries_are_exact():
    p = pd.Series({"a": 0.8, "b": 0.79, "c": 0.7 + 0.1, "d": 0.3, "e": 0.29, "f": 1.0,
                   "g": 0.0})
    median = pd.Series({"a": 20, "b": 20, "c": 20, "d": 20, "e": 20, "f": 1, "g": 20})
    tiers = assign_tiers(p, median, top_k=10)
    assert list(tiers) == [HIGH, RAISED, HIGH, RAISED, OTHER, HIGH, OTHER]


def test_median_rank_rule_raises_to_forhojd():
    p = pd.Series([0.0, 0.0, 0.0, 0.29], index=["a", "b", "c", "d"])
    median = pd.Series([10.0, 10.5, 11.0, 3.0], index=["a", "b", "c", "d"])
    assert list(assign_tiers(p, median, top_k=10)) == [RAISED, OTHER, OTHER, RAISED]


def test_missing_rank_or_probability_gives_ingen_rang():
    p = pd.Series({"a": np.nan, "b": 0.9, "c": 0.9})
    median = pd.Series({"a": np.nan, "b": np.nan, "c": 1.0})
    tiers = assign_tiers(p, median, top_k=3)
    assert list(tiers) == [NO_RANK, NO_RANK, HIGH]


def test_tiers_are_categorical_in_order_and_aligned_by_area():
    p = pd.Series({"x": 0.1, "y": 0.95})
    median = pd.Series({"y": 1.0, "x": 30.0})          # other order: aligned by id
    tiers = assign_tiers(p, median, top_k=5)
    assert isinstance(tiers.dtype, pd.CategoricalDtype)
    assert tuple(tiers.cat.categories) == TIER_CATEGORIES == (*TIERS, NO_RANK)
    assert tiers.to_dict() == {"x": OTHER, "y": HIGH}
    assert tiers.name == TIER_AXIS


def test_custom_rule_and_the_settings_rule():
    rule = TierRule(high_p=0.9, raised_p=0.5)
    p = pd.Series([0.9, 0.89, 0.5, 0.49])
    assert list(assign_tiers(p, pd.Series([50.0] * 4), 10, rule)) == [HIGH, RAISED, RAISED,
                                                                       OTHER]
    settings = AnalysisSettings.create({"x": 1.0}).with_changes(tier_high_p=0.7,
                                                                tier_raised_p=0.2)
    assert settings.tiers == TierRule(0.7, 0.2)


@pytest.mark.parametrize(("high", "raised", "key", "shown"), [
    (0.3, 0.8, "raised_p", "0.8, 0.3"), (1.2, 0.3, "high_p", "1.2"),
    (0.8, -0.1, "raised_p", "-0.1"), (0.8, 0.0, "raised_p", "0.0"),
    (float("nan"), 0.3, "high_p", "nan"), (True, 0.3, "high_p", "True")])
def test_invalid_rule_is_refused(high, raised, key, shown):
    with pytest.raises(SettingsError, match=f"nyckel '{key}': .* Värden: {shown}\\."):
        TierRule(high_p=high, raised_p=raised)


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="top_k"):
        assign_tiers(pd.Series([0.5]), pd.Series([1.0]), 0)
    with pytest.raises(ValueError, match="utanför 0–1"):
        assign_tiers(pd.Series({"a": 1.5}), pd.Series({"a": 1.0}), 3)


def test_rule_text_names_k_and_thresholds():
    text = TierRule().text(15)
    assert "bland de 15 områden" in text
    assert "P(topp 15) ≥ 80 %" in text
    assert "P(topp 15) ≥ 30 %" in text
    assert "medianrang ≤ 15" in text
    assert all(t in text for t in (*TIERS, NO_RANK))
    assert "≥ 92,5 %" in TierRule(high_p=0.925, raised_p=0.5).text(3)


# -- agreement ------------------------------------------------------------------------
@pytest.fixture
def tiers() -> pd.Series:
    values = {"A1": HIGH, "A2": HIGH, "A3": RAISED, "A4": OTHER, "A5": OTHER, "A6": OTHER,
              "A7": NO_RANK, "A8": HIGH}
    return pd.Series(pd.Categorical(list(values.values()), categories=TIER_CATEGORIES),
                     index=list(values), name=TIER_AXIS)


def _table(rows: dict[str, list[int]], columns: list[str], label: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[*columns, TOTAL])
    frame.index.name, frame.columns.name = TIER_AXIS, label
    return frame


def test_agreement_with_omradestyp_is_exact(tiers):
    # compared: A1..A4, A6, A8 (A5 has no type, A7 no rank); prevmap: A1, A2, A8;
    # SCB type 1-2: A1, A3, A8 -> agree A1, A8 (both), A4, A6 (neither) = 4 of 6.
    typ = pd.Series({"A1": 1, "A2": 4, "A3": 2, "A4": 5, "A5": pd.NA, "A6": 3, "A7": 2,
                     "A8": 2}, dtype="Int64")
    result = agreement(tiers, typ, label="SCB områdestyp",
                       names={"A2": "Vårby gård", "A3": "Flemingsberg"})
    expected = _table({HIGH: [1, 1, 0, 1, 0, 0, 3], RAISED: [0, 1, 0, 0, 0, 0, 1],
                       OTHER: [0, 0, 1, 0, 1, 1, 3], NO_RANK: [0, 1, 0, 0, 0, 0, 1],
                       TOTAL: [1, 3, 1, 1, 1, 1, 8]}, [*TYPES, MISSING], "SCB områdestyp")
    pd.testing.assert_frame_equal(result.crosstab, expected)
    assert result.kind == "omradestyp"
    assert (result.n_compared, result.n_agree) == (6, 4)
    assert result.share == pytest.approx(4 / 6, abs=1e-15)
    # p(prevmap) = p(SCB) = 3/6, chance agreement 0.5: kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert result.kappa == pytest.approx(1 / 3, abs=1e-12)
    assert result.only_prevmap == ("A2",)
    assert result.only_comparison == ("A3",)
    notes = "\n".join(result.notes)
    assert "områdestyp 1–2" in notes
    assert "4 av 6 områden (66,7 %)" in notes
    assert "'Vårby gård (A2)'" in notes and "'Flemingsberg (A3)'" in notes
    assert "saknar värde i SCB områdestyp ('Saknas')" in notes and "'A5'" in notes
    assert "saknar rang ('Ingen rang')" in notes and "'A7'" in notes


def test_agreement_with_police_is_exact(tiers):
    # A5 None and A8 absent: Saknas. Compared: A1..A4, A6; prevmap A1, A2; police A1, A3,
    # A6 -> agree A1 (both), A4 (neither) = 2 of 5.
    police = pd.Series({"A1": "Särskilt utsatt område", "A2": "", "A3": "Riskområde",
                        "A4": "", "A5": None, "A6": "utsatt område", "A7": ""})
    result = agreement(tiers, police, label="Polisens bedömning")
    expected = _table({HIGH: [1, 0, 0, 1, 1, 3], RAISED: [0, 0, 1, 0, 0, 1],
                       OTHER: [0, 1, 0, 1, 1, 3], NO_RANK: [0, 0, 0, 1, 0, 1],
                       TOTAL: [1, 1, 1, 3, 2, 8]}, [*POLICE, MISSING], "Polisens bedömning")
    pd.testing.assert_frame_equal(result.crosstab, expected)
    assert result.kind == "polis"
    assert result.share == pytest.approx(0.4, abs=1e-15)
    # p(prevmap) 2/5, p(police) 3/5, chance 0.48: kappa = (0.4 - 0.48) / 0.52 = -2/13
    assert result.kappa == pytest.approx(-2 / 13, abs=1e-12)
    assert result.only_prevmap == ("A2",)
    assert result.only_comparison == ("A3", "A6")
    assert any("2 område(n) saknar värde" in n and "'A5', 'A8'" in n for n in result.notes)


def test_agreement_without_missing_has_no_saknas_or_ingen_rang():
    tiers = pd.Series(pd.Categorical([HIGH, OTHER], categories=TIER_CATEGORIES),
                      index=["a", "b"])
    result = agreement(tiers, pd.Series({"a": 1, "b": 5}), label="Typ")
    assert list(result.crosstab.index) == [*TIERS, TOTAL]
    assert list(result.crosstab.columns) == [*TYPES, TOTAL]
    assert result.share == 1.0
    assert result.kappa == pytest.approx(1.0)
    assert result.only_prevmap == result.only_comparison == ()


def test_agreement_prioritised_can_include_forhojd(tiers):
    typ = pd.Series({"A1": 1, "A2": 4, "A3": 2, "A4": 5, "A6": 3, "A8": 2})
    result = agreement(tiers, typ, label="Typ", prioritised=(HIGH, RAISED))
    assert result.n_agree == 5 and result.only_comparison == ()
    assert "'Hög prioritet' eller 'Förhöjd'" in result.notes[0]


def test_agreement_with_nothing_to_compare():
    tiers = pd.Series(pd.Categorical([NO_RANK], categories=TIER_CATEGORIES), index=["a"])
    result = agreement(tiers, pd.Series({"a": 2}), label="Typ")
    assert np.isnan(result.share) and np.isnan(result.kappa) and result.n_compared == 0
    assert "ingen andel" in " ".join(result.notes)


def test_agreement_refuses_unknown_values(tiers):
    with pytest.raises(ValueError, match="okända områdestyper"):
        agreement(tiers, pd.Series({"A1": 7}), label="Typ")
    with pytest.raises(ValueError, match="okända nivåer"):
        agreement(tiers, pd.Series({"A1": "Lugnt område"}), label="Polis")
    with pytest.raises(ValueError, match="prioritised"):
        agreement(tiers, pd.Series({"A1": 1}), label="Typ", prioritised=("Topp",))


def test_tiers_from_a_real_ranking():
    """The demo table ranked; a degenerate 'simulation' (p = 1 for the top k) gives the
    top k as Hög prioritet and all the others as Övriga."""
    catalogue = read_catalogue(DATA / "indicator_catalogue.csv")
    table = read_indicator_table(DATA / "demo" / "huddinge_demo_indicators.csv")
    result = rank_areas(table, catalogue, AnalysisSettings.create({i: 1.0 for i in catalogue}))
    k = 5
    p = (result.rank <= k).astype(float)
    tiers = assign_tiers(p, result.rank, k)
    assert (tiers == HIGH).sum() == (result.rank <= k).sum()
    assert set(tiers[result.rank > k]) == {OTHER}
    comparison = pd.Series(np.where(result.rank <= k, 1, 4), index=result.rank.index)
    assert agreement(tiers, comparison, label="Typ").share == 1.0
