"""Content digests: of the inputs, the comparisons and an analysis. Equal content gives
equal digests whatever the objects; any change a computation could read gives a new one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from shapely import affinity

from geo.analysis import protect_inputs, run_analysis
from geo.cache import content_digest
from geo.inputs import DEFAULT_PROFILE, Inputs, load_inputs
from geo.io.files import read_settings
from geo.io.overlays import Overlay
from geo.spatial.comparisons import Comparisons
from indicators.catalogue import Catalogue
from indicators.settings import AnalysisSettings


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs()


@pytest.fixture(scope="module")
def settings() -> AnalysisSettings:
    return read_settings(DEFAULT_PROFILE).with_changes(draws=100)


def test_digest_is_hex_sha256_and_equal_for_equal_content(inputs) -> None:
    digest = inputs.digest
    assert len(digest) == 64 and int(digest, 16) >= 0
    copy = replace(inputs, table=inputs.table.copy(deep=True),
                   areas=replace(inputs.areas, frame=inputs.areas.frame.copy(deep=True)))
    assert copy.digest == digest
    assert load_inputs().digest == digest


def test_parts_are_length_prefixed() -> None:
    assert content_digest("ab", "c") != content_digest("a", "bc")


def _one_value_changed(inputs: Inputs) -> Inputs:
    table = inputs.table.copy()
    column = next(c for c in table.columns if table[c].dtype.kind == "f")
    table.loc[3, column] = table.loc[3, column] + 1.0
    return replace(inputs, table=table)


@pytest.mark.parametrize("change", [
    "value", "area_name", "geometry", "catalogue", "year", "history", "table_name"])
def test_every_part_changes_the_digest(inputs, change) -> None:
    if change == "value":
        other = _one_value_changed(inputs)
    elif change == "area_name":
        frame = inputs.areas.frame.copy()
        frame.loc[0, "area_name"] = frame.loc[0, "area_name"] + " "
        other = replace(inputs, areas=replace(inputs.areas, frame=frame))
    elif change == "geometry":
        frame = inputs.areas.frame.copy()
        frame.loc[0, "geometry"] = affinity.translate(frame.geometry.iloc[0], xoff=0.001)
        other = replace(inputs, areas=replace(inputs.areas, frame=frame))
    elif change == "catalogue":
        first = replace(inputs.catalogue.indicators[0], direction=-inputs.catalogue.indicators[
            0].direction)
        other = replace(inputs, catalogue=Catalogue((first, *inputs.catalogue.indicators[1:])))
    elif change == "year":
        other = replace(inputs, year=(inputs.year or 2000) + 1)
    elif change == "history":
        other = replace(inputs, history=inputs.history[1:])
    else:
        other = replace(inputs, table_name="annan.csv")
    assert other.digest != inputs.digest


def test_a_table_changed_in_place_gets_a_new_digest(inputs) -> None:
    own = replace(inputs, table=inputs.table.copy())
    before = own.digest
    column = next(c for c in own.table.columns if own.table[c].dtype.kind == "f")
    own.table.loc[0, column] = own.table.loc[0, column] * 2 + 1
    assert own.digest != before


def test_comparisons_digest(inputs) -> None:
    overlay_frame = inputs.areas.frame.iloc[:2].rename(columns={"area_name": "overlay_name"})
    overlay_frame = overlay_frame.drop(columns="area_id").assign(
        overlay_level="Utsatt område")
    overlay = Overlay(overlay_frame, inputs.areas.source)
    one = Comparisons(utsatta=overlay)
    assert one.digest == Comparisons(utsatta=Overlay(overlay_frame.copy(),
                                                     inputs.areas.source)).digest
    assert one.digest != Comparisons().digest
    assert one.digest != replace(one, min_share=one.min_share / 2).digest
    moved = overlay_frame.copy()
    moved.loc[moved.index[0], "geometry"] = affinity.scale(moved.geometry.iloc[0], 0.5, 0.5)
    assert one.digest != Comparisons(utsatta=Overlay(moved, inputs.areas.source)).digest


def test_analysis_digest_follows_inputs_and_settings(inputs, settings) -> None:
    first = run_analysis(inputs, settings)
    # Made from the protected inputs: not even the digest depends on a hidden count.
    protected = protect_inputs(inputs, settings)
    assert protected.digest != inputs.digest
    assert first.digest == content_digest(protected.digest, "", settings.to_toml())
    assert run_analysis(inputs, settings).digest == first.digest
    assert run_analysis(inputs, settings.with_changes(seed=settings.uncertainty.seed + 1)).digest \
        != first.digest
    assert run_analysis(_one_value_changed(inputs), settings).digest != first.digest


def test_protected_inputs_keep_their_digest_and_new_inputs_hash_anew(inputs,
                                                                      settings) -> None:
    """protect_inputs' result is kept by the shell's cache and takes its digest once
    (Inputs.keep_digest); the caller's inputs, and inputs made from kept ones by
    ``replace``, are hashed on every call, so that a changed table gets a new digest."""
    protected = protect_inputs(inputs, settings)
    assert protect_inputs(inputs, settings) is protected
    assert protected._kept_digest == protected.digest
    assert inputs._kept_digest is None
    same = replace(protected)
    assert same._kept_digest is None and same.digest == protected.digest
    assert _one_value_changed(protected).digest != protected.digest
