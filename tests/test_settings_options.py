"""The per-stage options of AnalysisSettings (uncertainty, small numbers, tiers): each is
validated once, where it is defined, and names the key and the value it refuses; the
settings compose them and the file format stays what it was."""

from __future__ import annotations

import math
import re

import pytest

from indicators.errors import SettingsError
from indicators.settings import (
    FLAT_NAMES,
    AnalysisSettings,
    SmallNumbers,
    UncertaintyOptions,
)
from indicators.tiers import TierRule

BAD = [
    (UncertaintyOptions, {"draws": 0}, "draws", "0"),
    (UncertaintyOptions, {"draws": True}, "draws", "True"),
    (UncertaintyOptions, {"seed": -1}, "seed", "-1"),
    (UncertaintyOptions, {"concentration": -2.0}, "concentration", "-2.0"),
    (UncertaintyOptions, {"concentration": "50"}, "concentration", "'50'"),
    (UncertaintyOptions, {"top_k": -1}, "top_k", "-1"),
    (UncertaintyOptions, {"top_k": 2.5}, "top_k", "2.5"),
    (UncertaintyOptions, {"vary_aggregation": 1}, "vary_aggregation", "1"),
    (SmallNumbers, {"smoothing": "lokal"}, "smoothing", "'lokal'"),
    (SmallNumbers, {"disclosure": "ja"}, "disclosure", "'ja'"),
    (SmallNumbers, {"disclosure_threshold": 0}, "disclosure_threshold", "0"),
    (SmallNumbers, {"min_population": -5}, "min_population", "-5"),
    (SmallNumbers, {"merge_small": None}, "merge_small", "None"),
    (TierRule, {"high_p": 0.0}, "high_p", "0.0"),
    (TierRule, {"raised_p": 1.5}, "raised_p", "1.5"),
    (TierRule, {"high_p": 0.5, "raised_p": 0.6}, "raised_p", "0.6, 0.5"),
]
SECTION = {UncertaintyOptions: "uncertainty", SmallNumbers: "small_numbers", TierRule: "tiers"}


@pytest.mark.parametrize(("kind", "changes", "key", "shown"), BAD)
def test_each_stage_refuses_a_bad_value_naming_key_and_value(kind, changes, key, shown):
    with pytest.raises(SettingsError, match=f"nyckel '{key}': .* Värden: {re.escape(shown)}\\."):
        kind(**changes)


@pytest.mark.parametrize(("kind", "changes", "key", "shown"), BAD)
def test_the_settings_name_the_stage_key_as_the_file_does(kind, changes, key, shown):
    flat = {("tier_" + k if kind is TierRule else k): v for k, v in changes.items()}
    with pytest.raises(SettingsError,
                       match=f"nyckel '{SECTION[kind]}\\.{key}': .* Värden: "
                             f"{re.escape(shown)}\\."):
        AnalysisSettings.create({"a": 1.0}, **flat)
    file = f"[indicator_weights]\na = 1\n[{SECTION[kind]}]\n" + "".join(
        f"{k} = {_toml(v)}\n" for k, v in changes.items())
    with pytest.raises(SettingsError, match=f"fil 'p.toml', nyckel '{SECTION[kind]}\\.{key}'"):
        AnalysisSettings.from_toml(file, "p.toml")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    return "nan" if value is None else repr(value)   # None: a float where a bool belongs


def test_every_problem_of_every_stage_is_reported_at_once() -> None:
    with pytest.raises(SettingsError, match="4 problem") as err:
        AnalysisSettings.create({}, draws=0, smoothing="x", tier_high_p=2.0)
    columns = [p.column for p in err.value.problems]
    assert columns == ["uncertainty.draws", "small_numbers.smoothing", "tiers.high_p",
                       "indicator_weights"]


def test_flat_names_reach_their_stage_and_nothing_else() -> None:
    base = AnalysisSettings.create({"a": 1.0})
    for name, (section, key) in FLAT_NAMES.items():
        value = {bool: lambda v: not v, int: lambda v: v + 1,
                 float: lambda v: v / 2, str: lambda v: "eb"}[type(base.flat(name))](
            base.flat(name))
        changed = base.with_changes(**{name: value})
        assert getattr(getattr(changed, section), key) == value == changed.flat(name)
        others = [s for s in ("uncertainty", "small_numbers", "tiers") if s != section]
        assert all(getattr(changed, s) == getattr(base, s) for s in others)
        assert not changed.equivalent(base)


def test_the_stages_are_the_options_the_method_reads() -> None:
    settings = AnalysisSettings.create({"a": 1.0}, draws=120, seed=5, top_k=3,
                                       disclosure=False, tier_high_p=0.7, tier_raised_p=0.2)
    assert settings.uncertainty == UncertaintyOptions(draws=120, seed=5, top_k=3)
    assert settings.small_numbers == SmallNumbers(disclosure=False)
    assert settings.tiers == TierRule(0.7, 0.2)
    whole = AnalysisSettings.create({"a": 1.0}, uncertainty=settings.uncertainty,
                                    small_numbers=settings.small_numbers, tiers=settings.tiers)
    assert whole == settings


def test_the_file_format_is_unchanged() -> None:
    """The TOML written for the defaults, key by key and in this order (the format of
    issue 9's settings files, which data/profiles and every export use; issue 19 added
    [rekommendation] at the end, and files without it still load)."""
    assert AnalysisSettings.create({"a": 1}, name="X").to_toml() == """\
prevmap_settings = 1
name = "X"
normalisation = "zscore"
aggregation = "arithmetic"
missing = "reweight"
outliers = "none"
flag_threshold = 0.9
top_n = 3

[domain_weights]

[indicator_weights]
a = 1.0

[uncertainty]
draws = 1000
seed = 20261123
concentration = 50.0
vary_normalisation = true
vary_aggregation = true
data_noise = true
top_k = 0

[small_numbers]
smoothing = "none"
disclosure = true
disclosure_threshold = 5
min_population = 50
merge_small = false
min_coverage = 0.5

[tiers]
high_p = 0.8
raised_p = 0.3

[rekommendation]
intensity_high = "intensiv"
intensity_raised = "förstärkt"
intensity_other = "bas"
focus_threshold = 1.0
max_focus = 3
protective_threshold = 1.0
total_kr = 3000000
base_share = 0.3
weighting = "behov_barn"
"""


def test_whole_numbers_in_a_file_are_written_back_as_the_floats_they_mean() -> None:
    text = "[indicator_weights]\na = 1\n[uncertainty]\nconcentration = 20\n[tiers]\nhigh_p = 1\n"
    settings = AnalysisSettings.from_toml(text)
    assert settings.uncertainty.concentration == 20.0
    assert "concentration = 20.0\n" in settings.to_toml()
    assert "high_p = 1.0\n" in settings.to_toml()
    assert AnalysisSettings.from_toml(settings.to_toml()) == settings


def test_an_infinite_concentration_keeps_the_chosen_weights() -> None:
    settings = AnalysisSettings.from_toml("[indicator_weights]\na = 1\n"
                                          "[uncertainty]\nconcentration = inf\n")
    assert math.isinf(settings.uncertainty.concentration)
    assert not settings.uncertainty.varies_weights
