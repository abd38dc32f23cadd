"""The file limits: a refusal names the limit, the value, the bound and the variable."""

import pytest

from geo.io.limits import LIMIT_TEXT, FileLimitError, FileLimits, limits_from_env


def test_check_refuses_above_the_bound_and_names_how_to_raise_it():
    limits = FileLimits(max_rows=1000)
    limits.check("max_rows", 1000, "tabell.csv")  # at the bound is allowed
    with pytest.raises(FileLimitError,
                       match="antal rader är 1\u202f001, över gränsen 1\u202f000") as err:
        limits.check("max_rows", 1001, "tabell.csv")
    text = str(err.value)
    assert "fil 'tabell.csv'" in text
    assert "PREVMAP_MAX_ROWS=2000" in text


def test_every_limit_has_a_text_and_a_variable():
    names = {f for f in FileLimits.__dataclass_fields__}
    assert names == set(LIMIT_TEXT)
    assert FileLimits().env_name("max_vertices_per_feature") == "PREVMAP_MAX_VERTICES_PER_FEATURE"


def test_limits_from_env_applies_variables_and_refuses_bad_ones():
    limits = limits_from_env({"PREVMAP_MAX_ROWS": "5_000_000", "PREVMAP_MAX_SECONDS": "30",
                              "UNRELATED": "x"})
    assert (limits.max_rows, limits.max_seconds) == (5_000_000, 30)
    assert limits.max_columns == FileLimits().max_columns
    with pytest.raises(FileLimitError, match="PREVMAP_MAX_COLUMNS.*positivt heltal"):
        limits_from_env({"PREVMAP_MAX_COLUMNS": "-3"})
    with pytest.raises(FileLimitError, match="PREVMAP_MAX_BYTES.*'mycket'"):
        limits_from_env({"PREVMAP_MAX_BYTES": "mycket"})
