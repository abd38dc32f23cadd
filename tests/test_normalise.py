"""Normalisation with direction, and the percentile rank used for flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indicators.normalise import NEUTRAL, normalise, percentile_rank

NAN = float("nan")
Z3 = math.sqrt(1.5)          # z-score of 3 in [1, 2, 3]: (3 - 2) / sqrt(2/3) = 1.2247...


def _one(values: list[float], method: str, direction: int = 1) -> list[float]:
    frame = pd.DataFrame({"x": values}, index=[f"A{i}" for i in range(1, len(values) + 1)])
    return normalise(frame, {"x": direction}, method)["x"].tolist()


def _approx(values: list[float]) -> object:
    return pytest.approx(values, abs=1e-12, nan_ok=True)


@pytest.mark.parametrize(("method", "expected"), [
    ("zscore", [-Z3, 0.0, Z3]),
    ("percentile", [0.0, 50.0, 100.0]),
    ("minmax", [0.0, 50.0, 100.0]),
])
def test_three_values(method: str, expected: list[float]) -> None:
    assert _one([1, 2, 3], method) == _approx(expected)


def test_zscore_uses_the_population_standard_deviation() -> None:
    assert math.isclose(Z3, 1.224744871391589, abs_tol=1e-15)
    # [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, population sd 2.
    assert _one([2, 4, 4, 4, 5, 5, 7, 9], "zscore") == _approx(
        [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0])


def test_minmax_is_linear_between_lowest_and_highest() -> None:
    assert _one([2, 4, 10, 7], "minmax") == _approx([0.0, 25.0, 100.0, 62.5])


def test_percentile_gives_ties_the_average_rank() -> None:
    # ranks 1, 2.5, 2.5, 4 of 4 -> (r - 1) / 3 x 100
    assert _one([1, 2, 2, 3], "percentile") == _approx([0.0, 50.0, 50.0, 100.0])
    # order of the input does not matter, only the value
    assert _one([30, 10, 20, 40, 50], "percentile") == _approx([50.0, 0.0, 25.0, 75.0, 100.0])


@pytest.mark.parametrize(("method", "expected"), [
    ("zscore", [Z3, 0.0, -Z3]),
    ("percentile", [100.0, 50.0, 0.0]),
    ("minmax", [100.0, 50.0, 0.0]),
])
def test_direction_minus_one_flips(method: str, expected: list[float]) -> None:
    assert _one([1, 2, 3], method, direction=-1) == _approx(expected)


@pytest.mark.parametrize("method", ["zscore", "percentile", "minmax"])
def test_constant_column_is_neutral_and_missing_stays_missing(method: str) -> None:
    assert _one([4, 4, NAN, 4], method) == _approx([NEUTRAL[method]] * 2 + [NAN, NEUTRAL[method]])
    assert _one([4, 4, 4], method, direction=-1) == _approx([NEUTRAL[method]] * 3)


def test_neutral_values() -> None:
    assert NEUTRAL == {"zscore": 0.0, "percentile": 50.0, "minmax": 50.0}


@pytest.mark.parametrize("method", ["zscore", "percentile", "minmax"])
def test_a_single_value_is_neutral(method: str) -> None:
    assert _one([NAN, 7, NAN], method) == _approx([NAN, NEUTRAL[method], NAN])


@pytest.mark.parametrize(("method", "expected"), [
    ("zscore", [-1.0, NAN, 1.0]),
    ("percentile", [0.0, NAN, 100.0]),
    ("minmax", [0.0, NAN, 100.0]),
])
def test_only_areas_with_a_value_count(method: str, expected: list[float]) -> None:
    assert _one([1, NAN, 3], method) == _approx(expected)


def test_every_column_is_normalised_on_its_own_and_the_frame_keeps_its_shape() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 10.0, 20.0]},
                         index=pd.Index(["A3", "A1", "A2"], name="area_id"))
    out = normalise(frame, {"a": 1, "b": -1}, "minmax")
    assert out.index.equals(frame.index)
    assert out.columns.tolist() == ["a", "b"]
    assert out["a"].tolist() == _approx([0.0, 50.0, 100.0])
    assert out["b"].tolist() == _approx([0.0, 100.0, 50.0])


def test_unknown_method() -> None:
    frame = pd.DataFrame({"x": [1.0]})
    with pytest.raises(ValueError, match=r"unknown normalisation 'rang'; choose one of "
                                         r"\['minmax', 'percentile', 'zscore'\]"):
        normalise(frame, {"x": 1}, "rang")


# -- percentile_rank (flags) ------------------------------------------------------------

def _rank(values: list[float], direction: int = 1) -> list[float]:
    frame = pd.DataFrame({"x": values})
    return percentile_rank(frame, {"x": direction})["x"].tolist()


def test_percentile_rank_is_r_minus_one_over_n_minus_one() -> None:
    assert _rank([10, 30, 20, 40, 50]) == _approx([0.0, 0.5, 0.25, 0.75, 1.0])


def test_percentile_rank_gives_ties_the_lowest_rank() -> None:
    # ranks 1, 2, 3, 3 -> 0, 1/3, 2/3, 2/3 (not 5/6 as an average rank would give)
    assert _rank([1, 2, 3, 3]) == _approx([0.0, 1 / 3, 2 / 3, 2 / 3])


def test_percentile_rank_follows_the_direction() -> None:
    assert _rank([1, 2, 3], direction=-1) == _approx([1.0, 0.5, 0.0])


def test_percentile_rank_ignores_missing_and_needs_two_values() -> None:
    assert _rank([1, NAN, 3]) == _approx([0.0, NAN, 1.0])
    assert _rank([NAN, 5, NAN]) == _approx([NAN, NAN, NAN])


def test_percentile_rank_of_a_constant_column_is_zero() -> None:
    # Every area ties for the lowest rank, so none is flagged.
    assert _rank([2, 2, 2]) == _approx([0.0, 0.0, 0.0])


def test_percentile_rank_keeps_index_and_columns() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [5.0, 4.0]}, index=["X", "Y"])
    out = percentile_rank(frame, {"a": 1, "b": 1})
    assert out.index.tolist() == ["X", "Y"]
    assert out.to_numpy().tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert np.issubdtype(out.to_numpy().dtype, np.floating)
