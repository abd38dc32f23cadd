"""Follow-up of an åtgärdsplan (plans/followup.py): status per goal against the straight
line from baseline to target, what cannot be measured and why, the change with its
uncertainty (against indicators.trends.rate_change), the summary and baseline_for.

Three areas with large counts (nothing small, so disclosure control hides nothing unless a
test puts a small count in)::

          låg ek. standard (%, +1)   behöriga yrkesprogram (%, -1)   våldsbrott (‰, +1)
    X1    40 / 200 = 20 %            60 / 100 = 60 %                 20 / 1 000 = 20 ‰
    X2    50 / 300                   70 / 100                        30 / 2 000
    X3    60 / 300                   75 / 100                        40 / 2 000

The main goal: X1's share in low economic standard from 20 % in 2021 to 10 % in 2025. The
line gives 20 + (10 - 20) · (2023 - 2021) / (2025 - 2021) = 15 % in 2023, so a 2023 value of
17 % is off track, 15 % (on the line) and 14 % on track, 10 % and 9 % reached.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from small_catalogue import small_catalogue

from geo.inputs import load_inputs
from geo.io.files import read_catalogue
from indicators.catalogue import Catalogue
from indicators.errors import IndicatorTableError
from indicators.settings import AnalysisSettings, SmallNumbers
from indicators.swedish import format_number
from indicators.trends import CANNOT_ASSESS, DECREASE, NO_CLEAR_CHANGE, rate_change
from plans.followup import (
    ATTAINED,
    NOT_ATTAINED,
    NOT_MEASURABLE,
    OFF_TRACK,
    ON_TRACK,
    REACHED,
    STATUSES,
    SUPPRESSED,
    UNCERTAIN,
    WHOLE_PLAN,
    attainment,
    baseline_for,
    expected_value,
    follow_up,
    measure,
    tables_by_year,
)
from plans.model import Goal, Plan, PlanArea, PlanContents


@cache
def catalogue() -> Catalogue:
    """The bundled indicator catalogue, read when a test first needs it."""
    return read_catalogue(Path(__file__).resolve().parents[1] / "data"
                          / "indicator_catalogue.csv")


LAG_EK, BEHORIGA, VALD = "barn_lag_ek_standard", "behorighet_yrkesprogram", "valdsbrott"
LAG_EK_NUM, BEH_NUM, VALD_NUM = "barn_0_17_lag_ek_standard", "elever_ak9_behoriga", "valdsbrott"
BASE = pd.DataFrame({
    "area_id": ["X1", "X2", "X3"],
    "barn_0_17_lag_ek_standard": [40.0, 50.0, 60.0], "barn_0_17": [200.0, 300.0, 300.0],
    "elever_ak9_behoriga": [60.0, 70.0, 75.0], "elever_ak9": [100.0, 100.0, 100.0],
    "valdsbrott": [20.0, 30.0, 40.0], "invanare": [1000.0, 2000.0, 2000.0],
})
MAIN = Goal("X1", LAG_EK, "%", 2021, 20.0, 10.0, 2025)


def year(**cells: float) -> pd.DataFrame:
    """The base table with cells changed: ``year(X1_barn_0_17_lag_ek_standard=34)``."""
    out = BASE.copy()
    for key, value in cells.items():
        area, column = key.split("_", 1)
        out.loc[out["area_id"] == area, column] = value
    return out


def tables(**later: float) -> dict[int, pd.DataFrame]:
    """2021 as the base table, 2023 with the given cells changed."""
    return {2021: year(), 2023: year(**later)}


def one(goal: Goal, data, **options):
    return follow_up([goal], catalogue(), data, **options).goals[0]


# -- the line and the status -----------------------------------------------------------

def test_expected_value_is_on_the_straight_line_and_held_after_the_target_year():
    assert expected_value(MAIN, 2021) == 20.0
    assert expected_value(MAIN, 2023) == 15.0
    assert expected_value(MAIN, 2024) == 12.5
    assert expected_value(MAIN, 2025) == 10.0
    assert expected_value(MAIN, 2030) == 10.0
    assert expected_value(MAIN, 2019) == 20.0


@pytest.mark.parametrize(("count", "value", "status"), [
    (34, 17.0, OFF_TRACK),      # 17 % > 15 % on the line
    (30, 15.0, ON_TRACK),       # on the line counts as on track
    (28, 14.0, ON_TRACK),       # 14 % < 15 %
    # The target itself and beyond, by the value; but 20 of 200 children against 40 of 200
    # leaves the interval of the change room for "not reached": on track, not reached.
    (20, 10.0, ON_TRACK),
    (18, 9.0, ON_TRACK),
])
def test_status_of_a_goal_to_lower_a_share(count, value, status):
    result = one(MAIN, tables(X1_barn_0_17_lag_ek_standard=count))
    assert result.status == status
    assert result.latest_year == 2023
    assert result.latest_value == pytest.approx(value, rel=1e-12)
    assert result.expected == 15.0
    assert [(s.year, s.value) for s in result.series] == [
        (2021, 20.0), (2023, pytest.approx(value, rel=1e-12))]


def test_off_track_says_where_the_line_is():
    result = one(MAIN, tables(X1_barn_0_17_lag_ek_standard=34))
    assert result.reason == "17,0 % år 2023, men linjen mot målet ligger på 15,0 %"


@pytest.mark.parametrize(("count", "status"), [(65, OFF_TRACK), (70, ON_TRACK), (72, ON_TRACK),
                                               (80, ON_TRACK), (85, ON_TRACK)])
def test_status_of_a_goal_to_raise_a_share_where_lower_means_more_need(count, status):
    # behorighet_yrkesprogram has direction -1; the goal raises it from 60 % to 80 % by
    # 2025, so the line is at 60 + 20 · 2/4 = 70 % in 2023.
    assert catalogue()[BEHORIGA].direction == -1
    goal = Goal("X1", BEHORIGA, "%", 2021, 60.0, 80.0, 2025)
    result = one(goal, tables(X1_elever_ak9_behoriga=count))
    assert result.expected == 70.0
    assert result.status == status


def test_a_goal_to_hold_the_level_points_toward_less_need():
    hold = Goal("X1", LAG_EK, "%", 2021, 20.0, 20.0, 2025)
    # 19 % and 20 % hold the level by the value, not surely by the interval (200 children)
    assert one(hold, tables(X1_barn_0_17_lag_ek_standard=38)).status == ON_TRACK   # 19 %
    assert one(hold, tables(X1_barn_0_17_lag_ek_standard=40)).status == ON_TRACK   # 20 %
    assert one(hold, tables(X1_barn_0_17_lag_ek_standard=42)).status == OFF_TRACK  # 21 %


def test_a_passed_target_year_without_the_target_is_off_track():
    goal = Goal("X1", LAG_EK, "%", 2021, 20.0, 10.0, 2022)
    result = one(goal, tables(X1_barn_0_17_lag_ek_standard=22))     # 11 % in 2023
    assert result.expected == 10.0
    assert result.status == OFF_TRACK
    assert result.reason.endswith("; målåret 2022 har passerat")


def test_a_rate_per_1000_goal():
    # 20 ‰ in 2021 to 12 ‰ in 2025: the line is at 16 ‰ in 2023; 15 / 1 000 = 15 ‰.
    goal = Goal("X1", VALD, "per 1 000", 2021, 20.0, 12.0, 2025)
    result = one(goal, tables(X1_valdsbrott=15))
    assert (result.expected, result.latest_value, result.status) == (16.0, 15.0, ON_TRACK)
    assert result.reason == ("15,0 per 1 000 år 2023, lika med eller bättre än 16,0 per 1 000 "
                             "på linjen mot målet")


# -- what cannot be measured -------------------------------------------------------------

def test_a_value_hidden_by_disclosure_control_is_not_measurable_and_not_shown():
    # 3 of 200 is below the threshold 5. X2 stays shown: nothing published is computed
    # from X1's exact count, so no second cell is needed to protect it (issue 16).
    result = one(MAIN, tables(X1_barn_0_17_lag_ek_standard=3))
    assert result.status == NOT_MEASURABLE
    assert result.reason == "värdet för 2023 är dolt av röjandekontrollen (för få personer)"
    assert result.latest_value is None and result.expected is None
    assert [(s.year, s.value, s.code) for s in result.series] == [
        (2021, 20.0, 0), (2023, None, SUPPRESSED)]
    assert "1,5" not in repr(result) and "1.5" not in repr(result)     # 3 / 200 = 1,5 %
    second = one(Goal("X2", LAG_EK, "%", 2021, 16.7, 10.0, 2025),
                 tables(X1_barn_0_17_lag_ek_standard=3))
    assert second.status != NOT_MEASURABLE and second.latest_value is not None


def test_the_rest_rule_hides_a_share_near_100_percent():
    goal = Goal("X1", BEHORIGA, "%", 2021, 60.0, 80.0, 2025)
    result = one(goal, tables(X1_elever_ak9_behoriga=98))   # 100 - 98 = 2 not counted
    assert result.status == NOT_MEASURABLE and "dolt av röjandekontrollen" in result.reason


def test_disclosure_control_follows_the_analysis_settings():
    settings = AnalysisSettings.create({LAG_EK: 1.0}, disclosure=False)
    rule = settings.small_numbers
    assert rule == SmallNumbers(disclosure=False, disclosure_threshold=5, min_population=50)
    result = one(MAIN, tables(X1_barn_0_17_lag_ek_standard=3), rule=rule)
    assert (result.latest_value, result.status) == (1.5, REACHED)
    stricter = SmallNumbers(disclosure_threshold=40)       # 34 < 40 is hidden too
    assert one(MAIN, tables(X1_barn_0_17_lag_ek_standard=34),
               rule=stricter).status == NOT_MEASURABLE


@pytest.mark.parametrize(("cells", "reason"), [
    ({"X1_barn_0_17_lag_ek_standard": np.nan},
     "värdet saknas i data för 2023"),
    ({"X1_barn_0_17": 0.0, "X1_barn_0_17_lag_ek_standard": 0.0},
     "värdet saknas i data för 2023"),
])
def test_a_missing_value_is_not_measurable(cells, reason):
    result = one(MAIN, tables(**cells))
    assert (result.status, result.reason) == (NOT_MEASURABLE, reason)


def test_an_area_absent_from_the_data():
    data = {2021: year(), 2022: year(), 2023: year()}
    result = one(Goal("X9", LAG_EK, "%", 2021, 20.0, 10.0, 2025), data)
    assert (result.status, result.reason) == (
        NOT_MEASURABLE, "området saknas i data för 2022, 2023")
    dropped = {2021: year(), 2023: year().iloc[1:]}
    assert one(MAIN, dropped).reason == "området saknas i data för 2023"


def test_an_indicator_absent_from_a_years_data():
    data = {2021: year(), 2023: year().drop(columns=["barn_0_17_lag_ek_standard"])}
    result = one(MAIN, data)
    assert (result.status, result.reason) == (NOT_MEASURABLE,
                                              "indikatorn saknas i data för 2023")


def test_an_indicator_no_longer_in_the_catalogue_or_in_another_unit():
    gone = one(Goal("X1", "borttagen", "%", 2021, 20.0, 10.0, 2025), tables())
    assert (gone.status, gone.reason) == (
        NOT_MEASURABLE, "indikatorn 'borttagen' finns inte längre i indikatorkatalogen")
    assert gone.indicator is None and gone.indicator_name == "borttagen"
    other = one(Goal("X1", LAG_EK, "per 1 000", 2021, 20.0, 10.0, 2025), tables())
    assert other.reason == "målet anges i 'per 1 000', men indikatorn mäts nu i '%'"


def test_no_year_after_the_baseline_yet():
    result = one(Goal("X1", LAG_EK, "%", 2023, 20.0, 10.0, 2027), tables())
    assert (result.status, result.reason) == (
        NOT_MEASURABLE, "inga data efter utgångsåret 2023 ännu (senaste år i data: 2023)")
    assert [s.year for s in result.series] == [2023]


def test_a_hidden_latest_year_falls_back_to_the_latest_measurable_year():
    data = {2021: year(), 2022: year(X1_barn_0_17_lag_ek_standard=34),
            2023: year(X1_barn_0_17_lag_ek_standard=3)}
    result = one(MAIN, data)
    # 2022: the line is at 20 - 10/4 = 17,5 %; 17 % is on track.
    assert (result.latest_year, result.latest_value) == (2022, 17.0)
    assert (result.expected, result.status) == (17.5, ON_TRACK)
    assert result.notes[0] == ("Senaste mätbara år är 2022: värdet för 2023 är dolt av "
                               "röjandekontrollen (för få personer).")


def test_a_baseline_that_differs_from_the_data_is_noted():
    result = one(Goal("X1", LAG_EK, "%", 2021, 25.0, 10.0, 2025), tables())
    assert result.notes == ("Utgångsvärdet i planen (25,0 %) skiljer sig från data för 2021 "
                            "(20,0 %).",)
    assert one(Goal("X1", LAG_EK, "%", 2021, 20.04, 10.0, 2025), tables()).notes == ()


# -- the change and its uncertainty ----------------------------------------------------

def test_the_change_is_rate_changes_mover_interval_for_a_share():
    data = tables(X1_barn_0_17_lag_ek_standard=34)
    result = one(MAIN, data)
    expected = rate_change(data, numerator=LAG_EK_NUM, denominator="barn_0_17", per=100,
                           first=2021, last=2023).loc["X1"]
    change = result.change
    assert (change.first, change.last) == (2021, 2023)
    assert change.change == pytest.approx(-3.0, rel=1e-12)          # 17 % - 20 %
    assert change.ci_low == pytest.approx(expected["ci_low"], rel=1e-12)
    assert change.ci_high == pytest.approx(expected["ci_high"], rel=1e-12)
    assert change.verdict == expected["verdict"] == NO_CLEAR_CHANGE
    assert not change.exceeds_uncertainty


def test_a_large_change_exceeds_its_uncertainty():
    data = tables(X1_barn_0_17_lag_ek_standard=10)                   # 20 % -> 5 %
    change = one(MAIN, data).change
    expected = rate_change(data, numerator=LAG_EK_NUM, denominator="barn_0_17", per=100,
                           first=2021, last=2023).loc["X1"]
    assert change.verdict == DECREASE and change.exceeds_uncertainty
    assert (change.ci_low, change.ci_high) == pytest.approx(
        (expected["ci_low"], expected["ci_high"]), rel=1e-12)
    assert change.ci_high < 0


def test_the_change_of_a_rate_per_1000_uses_the_poisson_interval():
    data = tables(X1_valdsbrott=45)
    goal = Goal("X1", VALD, "per 1 000", 2021, 20.0, 12.0, 2025)
    change = one(goal, data).change
    expected = rate_change(data, numerator=VALD_NUM, denominator="invanare", per=1000,
                           first=2021, last=2023)
    assert expected.attrs["model"] == "poisson"
    assert change.change == pytest.approx(25.0, rel=1e-12)
    assert (change.ci_low, change.ci_high, change.verdict) == (
        pytest.approx(expected.loc["X1", "ci_low"], rel=1e-12),
        pytest.approx(expected.loc["X1", "ci_high"], rel=1e-12), expected.loc["X1", "verdict"])


def test_goals_of_different_areas_and_years_are_assessed_each_on_its_own():
    data = {2021: year(), 2022: year(X2_barn_0_17_lag_ek_standard=30),
            2023: year(X1_barn_0_17_lag_ek_standard=34)}
    goals = [MAIN, Goal("X2", LAG_EK, "%", 2022, 10.0, 5.0, 2026)]
    results = follow_up(goals, catalogue(), data).goals
    for goal, result in zip(goals, results, strict=True):
        expected = rate_change(data, numerator=LAG_EK_NUM, denominator="barn_0_17", per=100,
                               first=goal.baseline_year, last=2023).loc[goal.area_id]
        assert result.change.change == pytest.approx(expected["change"], rel=1e-12)
        assert result.change.ci_low == pytest.approx(expected["ci_low"], rel=1e-12)
        assert result.change.verdict == expected["verdict"]


def test_a_change_from_a_hidden_or_missing_baseline_cannot_be_assessed():
    data = {2021: year(X1_barn_0_17_lag_ek_standard=3),
            2023: year(X1_barn_0_17_lag_ek_standard=34)}
    result = one(MAIN, data)
    assert result.status == OFF_TRACK                   # the plan's baseline still counts
    assert result.change.verdict == CANNOT_ASSESS
    assert result.change.reason == ("värdet för 2021 är dolt av röjandekontrollen "
                                    "(för få personer)")
    early = one(Goal("X1", LAG_EK, "%", 2019, 20.0, 10.0, 2025), tables())
    assert early.change.reason == "utgångsåret 2019 finns inte i data"


def test_a_ready_value_has_no_interval():
    catalogue = small_catalogue()
    data = {2021: pd.DataFrame({"area_id": ["X1"], "poang": [8.0]}),
            2023: pd.DataFrame({"area_id": ["X1"], "poang": [6.5]})}
    goal = Goal("X1", "poang", "p", 2021, 8.0, 5.0, 2025)         # line at 6,5 in 2023
    result = follow_up([goal], catalogue, data).goals[0]
    assert (result.latest_value, result.expected, result.status) == (6.5, 6.5, ON_TRACK)
    assert result.change.verdict == CANNOT_ASSESS
    assert result.change.reason == ("indikatorn är ett färdigt värde utan antal, så "
                                    "osäkerheten kan inte beräknas")


# -- the plan ------------------------------------------------------------------------------

def plan() -> PlanContents:
    return PlanContents(
        Plan("Trygg uppväxt", "0126"),
        areas=(PlanArea("X1", "Ettan"), PlanArea("X2", "Tvåan"), PlanArea("X3", "Trean")),
        goals=(MAIN,                                                  # 17 %: off track
               Goal("X1", BEHORIGA, "%", 2021, 60.0, 80.0, 2025),     # 72 %: on track
               Goal("X2", LAG_EK, "%", 2021, 16.7, 10.0, 2025),       # 4 %: reached
               Goal("X2", "borttagen", "%", 2021, 1.0, 0.5, 2025)))   # not measurable


def test_summary_counts_per_status_per_area_and_for_the_whole_plan():
    data = tables(X1_barn_0_17_lag_ek_standard=34, X1_elever_ak9_behoriga=72,
                  X2_barn_0_17_lag_ek_standard=12)
    result = follow_up(plan(), catalogue(), data)
    assert [g.status for g in result.goals] == [OFF_TRACK, ON_TRACK, REACHED, NOT_MEASURABLE]
    summary = result.summary()
    assert list(summary.columns) == [*STATUSES, "Antal mål"]
    assert list(summary.index) == ["X1", "X2", "X3", WHOLE_PLAN]
    assert summary.loc["X1"].tolist() == [0, 1, 1, 0, 2]
    assert summary.loc["X2"].tolist() == [1, 0, 0, 1, 2]
    assert summary.loc["X3"].tolist() == [0, 0, 0, 0, 0]
    assert summary.loc[WHOLE_PLAN].tolist() == [1, 1, 1, 1, 4]
    assert [g.goal for g in result.in_area("X2")] == list(plan().goals[2:])


def test_the_table_has_one_row_per_goal_and_a_column_per_year():
    data = tables(X1_barn_0_17_lag_ek_standard=34, X1_elever_ak9_behoriga=72,
                  X2_barn_0_17_lag_ek_standard=30)
    table = follow_up(plan(), catalogue(), data).table()
    assert len(table) == 4
    first = table.iloc[0]
    assert (first["Områdeskod"], first["Område"], first["Status"]) == ("X1", "Ettan", OFF_TRACK)
    assert (first["Värde 2021"], first["Värde 2023"]) == (20.0, 17.0)
    assert first["Enligt linjen mot målet"] == 15.0 and first["Senaste år"] == 2023
    assert first["Indikator"] == catalogue()[LAG_EK].name
    assert table.iloc[3]["Indikator"] == "borttagen" and pd.isna(table.iloc[3]["Senaste år"])


def test_measured_tables_give_the_same_follow_up_and_check_the_rule():
    data = tables(X1_barn_0_17_lag_ek_standard=34, X1_elever_ak9_behoriga=72)
    measured = measure(data, catalogue())
    assert follow_up(plan(), catalogue(), measured) == follow_up(plan(), catalogue(), data)
    with pytest.raises(ValueError, match="annan röjandekontroll"):
        follow_up(plan(), catalogue(), measured, rule=SmallNumbers(disclosure=False))


def test_tables_may_be_indexed_by_area_or_text_and_bad_text_is_an_error():
    data = {2021: year().set_index("area_id"), 2023: year(X1_barn_0_17_lag_ek_standard=34)
            .astype(str)}
    assert one(MAIN, data).latest_value == 17.0
    bad = {2021: year(), 2023: year().astype(object)}
    bad[2023].loc[0, "barn_0_17"] = "många"
    with pytest.raises(IndicatorTableError, match="indikatortabell 2023"):
        follow_up([MAIN], catalogue(), bad)


def test_tables_by_year_joins_history_and_the_latest_table():
    t1, t2 = year(), year()
    assert tables_by_year(((2022, t1),), 2024, t2) == {2022: t1, 2024: t2}
    assert tables_by_year(((2022, t1),), None, t2) == {2022: t1}


# -- baseline from the data ----------------------------------------------------------------

def test_baseline_for_is_the_latest_measurable_year():
    data = {2021: year(), 2022: year(X1_barn_0_17_lag_ek_standard=34),
            2023: year(X1_barn_0_17_lag_ek_standard=3)}
    assert baseline_for("X1", LAG_EK, catalogue(), data) == (2022, 17.0)
    assert baseline_for("X3", LAG_EK, catalogue(), data) == (2023, 20.0)
    assert baseline_for("X1", LAG_EK, catalogue(), data,
                        rule=SmallNumbers(disclosure=False)) == (2023, 1.5)
    assert baseline_for("X9", LAG_EK, catalogue(), data) is None
    assert baseline_for("X1", "borttagen", catalogue(), data) is None
    hidden = {2021: year(X1_barn_0_17_lag_ek_standard=3)}
    assert baseline_for("X1", LAG_EK, catalogue(), hidden) is None
    assert baseline_for("X1", LAG_EK, catalogue(), measure(data, catalogue())) == (2022, 17.0)


def test_the_demo_history_follows_up_without_showing_a_hidden_value():

    inputs = load_inputs()
    data = tables_by_year(inputs.history, inputs.year, inputs.table)
    measured = measure(data, inputs.catalogue)
    assert measured.years == (2021, 2022, 2023, 2024)
    hidden = np.argwhere(measured.codes == SUPPRESSED)
    assert len(hidden)
    assert np.isnan(measured.values[tuple(hidden.T)]).all()
    assert np.isnan(measured.numerators[tuple(hidden.T)]).all()


def test_the_follow_up_is_pure():
    import subprocess
    import sys

    code = ("import sys, plans.followup; print(','.join(sorted(m for m in ('geopandas', "
            "'shapely', 'folium', 'streamlit', 'sqlalchemy', 'geo') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == ""


# -- attainment: the interval of the change against the change the goal asks for ----------

@pytest.mark.parametrize(("direction", "low", "high", "expected"), [
    (-1, -16.0, -12.0, ATTAINED),        # all of it lowers by 10 or more
    (-1, -12.0, -10.0, ATTAINED),        # reaching exactly -10 counts
    (-1, -12.0, -8.0, UNCERTAIN),
    (-1, -8.0, -2.0, NOT_ATTAINED),      # all of it falls short of -10
])
def test_attainment_by_hand(direction, low, high, expected):
    assert attainment(direction, -10.0, low, high) == expected
    # raising by 10 mirrors lowering by 10
    assert attainment(-direction, 10.0, -high, -low) == expected


def big(later: float) -> dict[int, pd.DataFrame]:
    """X1 with 20 000 children: 4 000 in 2021 (20 %), ``later`` in 2023."""
    return {2021: year(X1_barn_0_17=20000.0, X1_barn_0_17_lag_ek_standard=4000.0),
            2023: year(X1_barn_0_17=20000.0, X1_barn_0_17_lag_ek_standard=later)}


@pytest.mark.parametrize(("later", "status", "judged"), [
    (1800, REACHED, ATTAINED),           # 9 %: -11 points, the interval all beyond -10
    (2100, ON_TRACK, UNCERTAIN),         # 10,5 %: -9,5 points, the interval around -10
    (3400, OFF_TRACK, NOT_ATTAINED),     # 17 %: -3 points, the interval far from -10
])
def test_reached_only_when_the_interval_of_the_change_supports_it(later, status, judged):
    data = big(later)
    result = one(MAIN, data)
    expected = rate_change(data, numerator=LAG_EK_NUM, denominator="barn_0_17", per=100,
                           first=2021, last=2023).loc["X1"]
    change = result.change
    assert change.required == pytest.approx(10.0 - 20.0, rel=1e-12)
    assert (change.ci_low, change.ci_high) == pytest.approx(
        (expected["ci_low"], expected["ci_high"]), rel=1e-12)
    assert (result.status, change.attainment) == (status, judged)
    row = follow_up([MAIN], catalogue(), data).table().iloc[0]
    assert (row["Måluppfyllelse"], row["Förändring som målet kräver"]) == (
        judged, pytest.approx(-10.0))


def test_a_value_at_the_target_that_the_interval_does_not_support_says_why():
    result = one(MAIN, tables(X1_barn_0_17_lag_ek_standard=20))    # 10 % of 200 children
    assert (result.status, result.change.attainment) == (ON_TRACK, UNCERTAIN)
    low, high = (format_number(v, 1) for v in (result.change.ci_low, result.change.ci_high))
    assert result.reason == (f"10,0 % år 2023 når målvärdet 10,0 %, men förändringens "
                             f"intervall ({low} % till {high} %) rymmer också att målet "
                             "inte är nått")


def test_a_ready_value_at_its_target_is_not_reached_without_an_interval():
    catalogue = small_catalogue()
    data = {2021: pd.DataFrame({"area_id": ["X1"], "poang": [8.0]}),
            2023: pd.DataFrame({"area_id": ["X1"], "poang": [4.0]})}
    result = follow_up([Goal("X1", "poang", "p", 2021, 8.0, 5.0, 2025)], catalogue,
                       data).goals[0]
    assert (result.status, result.change.attainment) == (ON_TRACK, CANNOT_ASSESS)
    assert result.reason.endswith("men osäkerheten kan inte bedömas (indikatorn är ett "
                                  "färdigt värde utan antal, så osäkerheten kan inte "
                                  "beräknas)")


def test_the_goal_table_shows_the_attainment_with_its_interval():
    from plans.views import goal_table

    result = follow_up([MAIN], catalogue(), big(1800))
    ch = result.goals[0].change
    row = goal_table(result, "X1").iloc[0]
    assert row["Status"] == REACHED
    assert row["Måluppfyllelse"] == (f"uppnått (målet kräver -10,00; intervallet "
                                     f"{format_number(ch.ci_low)} till "
                                     f"{format_number(ch.ci_high)})")
