"""The table a ranking sees: disclosure first, then empirical Bayes smoothing."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.inputs import Inputs, load_inputs
from indicators.prepare import prepare_table
from indicators.smoothing import eb_smooth
from indicators.table import derive_values, validate_indicator_table


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs()


@pytest.fixture
def settings(bred_prevention):
    return bred_prevention


def test_disclosure_is_on_by_default_and_hides_small_counts(inputs, settings):
    prepared = prepare_table(inputs.table, inputs.catalogue, settings)
    hidden = prepared.disclosure.suppressed
    assert len(hidden) > 0 and prepared.smoothing is None
    table = prepared.table.set_index("area_id")
    original = inputs.table.set_index("area_id")
    for row in hidden.itertuples():
        # Censored: the band's midpoint, whatever the count in the band.
        assert table.at[row.area_id, row.column] == (row.low + row.high) / 2
        assert row.low <= original.at[row.area_id, row.column] <= row.high
    # No cell is dropped: the ranking keeps every value (no hide-then-reweight).
    assert table.notna().sum().sum() == original.notna().sum().sum()


@pytest.mark.parametrize("changes", [{}, {"disclosure": False}, {"smoothing": "eb"}],
                         ids=["disclosure", "nothing", "disclosure-and-smoothing"])
def test_the_input_table_is_left_as_it_was(inputs, settings, changes):
    table = inputs.table.copy(deep=True)
    before = table.copy(deep=True)
    prepared = prepare_table(table, inputs.catalogue, settings.with_changes(**changes))
    pd.testing.assert_frame_equal(table, before, check_exact=True)
    if changes.get("disclosure", True):     # something was censored, in the output only
        assert prepared.disclosure.suppressed.shape[0] > 0
        assert not prepared.table.equals(table)


def test_switched_off_nothing_is_hidden(inputs, settings):
    prepared = prepare_table(inputs.table, inputs.catalogue,
                             settings.with_changes(disclosure=False))
    assert prepared.disclosure is None
    pd.testing.assert_frame_equal(prepared.table, inputs.table)


def test_smoothing_runs_after_disclosure_and_gives_the_smoothed_rates(inputs, settings):
    prepared = prepare_table(inputs.table, inputs.catalogue,
                             settings.with_changes(smoothing="eb"))
    disclosed = prepare_table(inputs.table, inputs.catalogue,
                              settings).table.set_index("area_id")
    expected = eb_smooth(disclosed, inputs.catalogue, list(prepared.smoothing.smoothed))
    got = derive_values(validate_indicator_table(prepared.table, inputs.catalogue),
                        inputs.catalogue, list(prepared.smoothing.smoothed))
    pd.testing.assert_frame_equal(got, expected.values.loc[got.index, got.columns],
                                  check_names=False, rtol=1e-12)
    # A hidden count enters the smoothing at its midpoint, never at its value: the pooled
    # rate is taken over every area (issue 16: it left the hidden cells out).
    counts = prepared.count_table.set_index("area_id")
    for row in prepared.disclosure.suppressed.itertuples():
        assert counts.at[row.area_id, row.column] == (row.low + row.high) / 2
    assert any("Empirisk" in n or "utjämn" in n for n in prepared.notes())
