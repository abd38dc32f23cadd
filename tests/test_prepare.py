"""The table a ranking sees: disclosure first, then empirical Bayes smoothing."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.inputs import Inputs, list_profiles, load_inputs
from indicators.prepare import prepare_table
from indicators.smoothing import eb_smooth
from indicators.table import derive_values, validate_indicator_table


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs()


SETTINGS = list_profiles()["Bred prevention"]


def test_disclosure_is_on_by_default_and_hides_small_counts(inputs):
    prepared = prepare_table(inputs.table, inputs.catalogue, SETTINGS)
    hidden = prepared.disclosure.suppressed
    assert len(hidden) > 0 and prepared.smoothing is None
    table = prepared.table.set_index("area_id")
    for row in hidden.itertuples():
        assert pd.isna(table.at[row.area_id, row.column])
        original = inputs.table.set_index("area_id").at[row.area_id, row.column]
        assert original > 0 or row.reason.startswith("sekundärt") or "nämnaren" in row.reason
    untouched = inputs.table.set_index("area_id")
    assert untouched.notna().sum().sum() > table.notna().sum().sum()   # the input is unchanged


def test_switched_off_nothing_is_hidden(inputs):
    prepared = prepare_table(inputs.table, inputs.catalogue,
                             SETTINGS.with_changes(disclosure=False))
    assert prepared.disclosure is None
    pd.testing.assert_frame_equal(prepared.table, inputs.table)


def test_smoothing_runs_after_disclosure_and_gives_the_smoothed_rates(inputs):
    settings = SETTINGS.with_changes(smoothing="eb")
    prepared = prepare_table(inputs.table, inputs.catalogue, settings)
    disclosed = prepare_table(inputs.table, inputs.catalogue,
                              SETTINGS).table.set_index("area_id")
    expected = eb_smooth(disclosed, inputs.catalogue, list(prepared.smoothing.smoothed))
    got = derive_values(validate_indicator_table(prepared.table, inputs.catalogue),
                        inputs.catalogue, list(prepared.smoothing.smoothed))
    pd.testing.assert_frame_equal(got, expected.values.loc[got.index, got.columns],
                                  check_names=False, rtol=1e-12)
    # A hidden count stays hidden: smoothing never fills it in.
    for row in prepared.disclosure.suppressed.itertuples():
        assert pd.isna(prepared.table.set_index("area_id").at[row.area_id, row.column])
    assert any("Empirisk" in n or "utjämn" in n for n in prepared.notes())
