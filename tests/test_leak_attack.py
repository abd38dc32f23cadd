"""The attacker's test of disclosure control (issue 16): every output the tool makes from
the same data, at every level, with and without a plan, attacked together.

Before issue 16 each output was searched on its own for the hidden values, and passed,
while differencing two of our own exports gave them back exactly (a RegSO export against
a kommundel export, DeSO against RegSO, merged against unmerged, a municipal total
against the shown counts, full-precision rates rebuilding denominators). Here:

* **Invariance** (the strongest form): every hidden count is set to the low end of its
  band, then to the high end, and every output is made both times, with the same date.
  If not one byte of any output changes, no attack on the outputs, of any kind, can
  tell the hidden values apart. On the code before issue 16 (commit ``dee45bc``) this
  failed for every output but the join sheet: the scores, ranks and totals were
  computed from the exact hidden values.
* **Differencing**: the published count of a coarser area (its rate from the Excel file
  times its denominator) minus the shown counts of its parts, for every pair of levels
  the tool makes (RegSO/kommundel, unmerged/merged, DeSO/RegSO on SCB's data, the
  municipal total of the area profile). Attempts and recoveries are counted; a recovery
  is an estimate that rounds to the hidden count and lies within 0.01 of an integer.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from plan_fixtures import demo_plan

from geo.analysis import Analysis, run_analysis
from geo.export.outputs import map_html
from geo.export.report import report_html
from geo.export.tables import ranking_csv
from geo.export.views import against_kommun, missing_values, profile_view
from geo.export.workbook import excel_bytes, geopackage_bytes, indicator_header
from geo.inputs import DEFAULT_AREAS, DEFAULT_PROFILE, Inputs, default_settings, load_inputs
from geo.io.areas import read_areas
from geo.io.files import read_settings
from geo.sources import areas_for, real_inputs
from geo.spatial.levels import DEFAULT_GROUPING, grouped_inputs, read_grouping
from indicators.columns import AREA_ID, youth_population
from indicators.disclosure import apply_disclosure, carry_censored
from indicators.levels import FROM_ID
from indicators.settings import AnalysisSettings

DATE = dt.date(2026, 12, 6)


# -- making every output ---------------------------------------------------------------------

def outputs(analysis: Analysis, *, plan: bool = False) -> dict[str, bytes]:
    """Every file and view the tool makes from one analysis, as bytes."""
    contents = demo_plan() if plan else None
    out = {
        "csv": ranking_csv(analysis),
        "xlsx": excel_bytes(analysis, created=DATE, plan=contents),
        "gpkg": geopackage_bytes(analysis, created=DATE),
        "html": map_html(analysis, created=DATE),
        "rapport": report_html(analysis, created=DATE, plan=contents),
    }
    views = [missing_values(analysis).to_csv()]
    for area in analysis.result.score.index:
        views.append(repr(profile_view(analysis, area)))
        table = against_kommun(analysis, area)
        views.append("" if table is None else table.to_csv())
    out["appvyer"] = "\n".join(views).encode()
    out["sammanfattning"] = analysis.digest.encode()
    return out


def hidden_held(inputs: Inputs, settings: AnalysisSettings) -> pd.DataFrame:
    """The held table's hidden cells with their bands, as the attacker's truth."""
    table = inputs.held.table if inputs.held is not None else inputs.table
    rule = settings.small_numbers
    return apply_disclosure(table, inputs.catalogue, threshold=rule.disclosure_threshold,
                            min_population=rule.min_population).suppressed


def with_hidden_at(inputs: Inputs, cells: pd.DataFrame, end: str) -> Inputs:
    """``inputs`` with every hidden held count set to the ``end`` ("low" or "high") of its
    band, and every area made from it summed again."""
    held = inputs.held
    table = (held.table if held is not None else inputs.table).copy()
    index = {a: i for i, a in enumerate(table[AREA_ID].astype(str))}
    for row in cells.itertuples():
        column = table[row.column].astype(float).to_numpy(copy=True)
        column[index[row.area_id]] = getattr(row, end)
        table[row.column] = column
    if held is None:
        return replace(inputs, table=table)
    columns = [c for c in table.columns if c != AREA_ID]
    current = carry_censored(held.table, table, held.link, inputs.table, columns)
    return replace(inputs, table=current, held=replace(held, table=table))


def _changed(make: Callable[[Inputs], dict[str, bytes]], inputs: Inputs,
             cells: pd.DataFrame) -> list[str]:
    low, high = make(with_hidden_at(inputs, cells, "low")), make(with_hidden_at(
        inputs, cells, "high"))
    return sorted(name for name in low if low[name] != high[name])


# -- the cases ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo() -> Inputs:
    return load_inputs()


@pytest.fixture(scope="module")
def profile() -> AnalysisSettings:
    return read_settings(DEFAULT_PROFILE)


def merging(inputs: Inputs, settings: AnalysisSettings) -> AnalysisSettings:
    """``settings`` merging small areas, with a minimum that merges some areas (the fifth
    smallest young population)."""
    young = youth_population(inputs.table)[0].sort_values()
    small = replace(settings.small_numbers, merge_small=True,
                    min_population=int(young.iloc[4]) + 1)
    return replace(settings, small_numbers=small)


def test_the_demo_has_hidden_cells_to_attack(demo: Inputs, profile: AnalysisSettings) -> None:
    cells = hidden_held(demo, profile)
    assert len(cells) >= 10
    assert (cells["low"] < cells["high"]).all()


@pytest.mark.parametrize("case", ["regso", "regso med plan", "kommundelar", "sammanslagna"])
def test_no_output_depends_on_a_hidden_count_demo(demo: Inputs, profile: AnalysisSettings,
                                                  case: str) -> None:
    inputs, settings, plan = demo, profile, case == "regso med plan"
    if case == "kommundelar":
        cells = hidden_held(demo, profile)

        def make(changed: Inputs) -> dict[str, bytes]:
            grouped, _ = grouped_inputs(changed, DEFAULT_GROUPING)
            return outputs(run_analysis(grouped, settings))
        assert _changed(make, demo, cells) == []
        return
    if case == "sammanslagna":
        settings = merging(demo, profile)
        assert run_analysis(demo, settings).merge.merged     # something is merged
    cells = hidden_held(inputs, settings)
    assert _changed(lambda changed: outputs(run_analysis(changed, settings), plan=plan),
                    inputs, cells) == []


REAL_KOMMUN = "1281"
"""Lund: the kommun with the most small counts of persons in SCB's DeSO data (7 of the
22 in Sweden; Huddinge has none), as ``prevmap export --kommun 1281`` reads them."""


@pytest.fixture(scope="module")
def real() -> Inputs:
    return real_inputs(areas_for(kommun=REAL_KOMMUN))


def test_huddinge_has_no_small_counts_of_persons_in_scb_data() -> None:
    inputs = real_inputs(read_areas(DEFAULT_AREAS))
    assert len(hidden_held(inputs, default_settings(inputs)[0])) == 0


def test_no_output_depends_on_a_hidden_count_real_data(real: Inputs) -> None:
    """SCB's public DeSO data, summed to Lund's RegSO by the default pipeline."""
    settings, _ = default_settings(real)
    cells = hidden_held(real, settings)
    assert len(cells), "SCB's DeSO data for Huddinge should have small counts of persons"
    assert _changed(lambda changed: outputs(run_analysis(changed, settings)), real,
                    cells) == []


# -- differencing ----------------------------------------------------------------------------

def published_counts(analysis: Analysis) -> pd.DataFrame:
    """Area × numerator column: the counts an attacker rebuilds from the Excel file's
    indicator sheet (rate / per × denominator), NaN where the sheet shows none."""
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes(analysis, created=DATE)))
    sheet = next(ws for ws in book.worksheets if ws.title.startswith("Indikator"))
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    frame = pd.DataFrame(rows[1:], columns=header).set_index(header[0])
    catalogue, table = analysis.inputs.catalogue, analysis.inputs.table.set_index(AREA_ID)
    out = {}
    for ind_id in analysis.result.values.columns:
        ind = catalogue[ind_id]
        column = indicator_header(analysis, ind_id)
        if ind.numerator is None or column not in frame:
            continue
        rate = pd.to_numeric(frame[column], errors="coerce")
        den = table[ind.denominator].reindex(rate.index).astype(float)
        out[ind.numerator] = rate / ind.per * den
    return pd.DataFrame(out)


def difference_attack(fine: pd.DataFrame, coarse: pd.DataFrame, link: pd.DataFrame,
                      truth: pd.DataFrame) -> tuple[int, int]:
    """(attempts, recoveries): for each coarse cell with exactly one hidden part, the
    coarse count minus the shown parts' counts."""
    attempts = recoveries = 0
    hidden = {(a, c) for a, c in zip(truth[AREA_ID], truth["column"], strict=True)}
    true = {(a, c): v for a, c, v in zip(truth[AREA_ID], truth["column"], truth["value"],
                                          strict=True)}
    for group, members in link.groupby(AREA_ID)[FROM_ID]:
        for column in coarse.columns:
            if column not in fine.columns or pd.isna(coarse.at[group, column]):
                continue
            secret = [m for m in members if (m, column) in hidden]
            if len(secret) != 1:
                continue
            attempts += 1
            shown = fine[column].reindex([m for m in members if m not in secret])
            if shown.isna().any():
                continue
            estimate = coarse.at[group, column] - shown.sum()
            if abs(estimate - round(estimate)) < 0.01 and round(estimate) == true[
                    (secret[0], column)]:
                recoveries += 1
    return attempts, recoveries


def _truth(inputs: Inputs, settings: AnalysisSettings) -> pd.DataFrame:
    cells = hidden_held(inputs, settings)
    table = (inputs.held.table if inputs.held is not None else inputs.table).set_index(AREA_ID)
    return cells.assign(value=[float(table.at[a, c]) for a, c in
                               zip(cells[AREA_ID], cells["column"], strict=True)])


def test_regso_against_kommundel_gives_nothing_back(demo: Inputs,
                                                    profile: AnalysisSettings) -> None:
    fine = published_counts(run_analysis(demo, profile))
    grouped, _ = grouped_inputs(demo, DEFAULT_GROUPING)
    coarse = published_counts(run_analysis(grouped, profile))
    link = read_grouping(DEFAULT_GROUPING)[[FROM_ID, AREA_ID]]
    attempts, recoveries = difference_attack(fine, coarse, link, _truth(demo, profile))
    assert attempts > 0
    assert recoveries == 0


def test_unmerged_against_merged_gives_nothing_back(demo: Inputs,
                                                    profile: AnalysisSettings) -> None:
    settings = merging(demo, profile)
    merged = run_analysis(demo, settings)
    fine = published_counts(run_analysis(demo, profile))
    coarse = published_counts(merged)
    attempts, recoveries = difference_attack(fine, coarse,
                                             merged.merge.grouping[[FROM_ID, AREA_ID]],
                                             _truth(demo, profile))
    assert attempts > 0
    assert recoveries == 0


def test_deso_against_regso_gives_nothing_back(real: Inputs) -> None:
    """A DeSO export shows every shown DeSO count (the attacker is given them exactly);
    the RegSO export of the default pipeline is differenced against them."""
    settings, _ = default_settings(real)
    held = real.held
    shown = apply_disclosure(held.table, real.catalogue).table.set_index(AREA_ID)
    coarse = published_counts(run_analysis(real, settings))
    link = held.link.rename(columns={"from_id": FROM_ID})
    attempts, recoveries = difference_attack(shown, coarse, link, _truth(real, settings))
    assert attempts > 0
    assert recoveries == 0


def test_the_municipal_total_gives_nothing_back(demo: Inputs, profile: AnalysisSettings) -> None:
    """The profile's "Hela kommunen" against the shown counts of all areas."""
    analysis = run_analysis(demo, profile)
    fine = published_counts(analysis)
    table = analysis.inputs.table.set_index(AREA_ID)
    catalogue = demo.catalogue
    kommun = {}
    view = against_kommun(analysis, str(analysis.result.score.index[0]))
    for ind_id in analysis.result.values.columns:
        ind = catalogue[ind_id]
        text = view.loc[view["Indikator"] == ind.name, "Hela kommunen"].iloc[0]
        rate = float(text.replace("\u2212", "-").replace(",", ".").replace("\u00a0", ""))
        kommun[ind.numerator] = rate / ind.per * table[ind.denominator].sum()
    coarse = pd.DataFrame(kommun, index=["kommun"])
    link = pd.DataFrame({FROM_ID: list(fine.index), AREA_ID: "kommun"})
    attempts, recoveries = difference_attack(fine, coarse, link, _truth(demo, profile))
    # Two columns have a single hidden cell: the total minus the shown cells is tried.
    assert attempts > 0
    assert recoveries == 0


def test_scores_do_not_move_with_a_hidden_count(demo: Inputs, profile: AnalysisSettings) -> None:
    """An analysis of one indicator, the easiest to invert: its score is the indicator's
    z-score. Every score, rank and interval is the same whatever the hidden count."""
    cells = hidden_held(demo, profile)
    column = cells["column"].value_counts().index[0]
    ind_id = next(i.id for i in demo.catalogue.values() if i.numerator == column)
    single = replace(profile, indicator_weights=((ind_id, 1.0),))
    low = run_analysis(with_hidden_at(demo, cells, "low"), single).result.summary()
    high = run_analysis(with_hidden_at(demo, cells, "high"), single).result.summary()
    pd.testing.assert_frame_equal(low, high)
    assert np.isfinite(low["score"]).sum() == len(demo.table)


def test_the_attack_recovers_counts_from_hiding_and_reweighting(demo, profile, monkeypatch):
    """The proof that the differencing attack can succeed: with protection as it was
    before issue 16 (each level hides its own small counts and reweights; nothing is
    censored where the data are held), RegSO against kommundel gives hidden counts back."""
    import geo.analysis
    import indicators.prepare
    from indicators.disclosure import apply_disclosure as censor

    def hide(*args, **kwargs):
        disclosure = censor(*args, **kwargs)
        return replace(disclosure, censored=disclosure.table)    # hidden = missing

    monkeypatch.setattr(geo.analysis, "protect_inputs", lambda inputs, settings: inputs)
    monkeypatch.setattr(indicators.prepare, "apply_disclosure", hide)
    geo.analysis.clear_stage_cache()
    try:
        fine = published_counts(run_analysis(demo, profile))
        grouped, _ = grouped_inputs(demo, DEFAULT_GROUPING)
        coarse = published_counts(run_analysis(grouped, profile))
    finally:
        geo.analysis.clear_stage_cache()
    link = read_grouping(DEFAULT_GROUPING)[[FROM_ID, AREA_ID]]
    attempts, recoveries = difference_attack(fine, coarse, link, _truth(demo, profile))
    assert recoveries > 0
