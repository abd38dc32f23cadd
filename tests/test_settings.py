"""AnalysisSettings: construction, hashing, TOML round trip, replay and every settings error."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from indicators.catalogue import Catalogue
from indicators.errors import PrevmapError, SettingsError
from indicators.ranking import rank_areas
from indicators.settings import FORMAT_VERSION, AnalysisSettings, validate_settings

SOURCE = "profil.toml"
PREFIX = "Fel i analysinställningarna: "

FULL_TOML = """\
prevmap_settings = 1
name = "Bred prevention"
description = "Alla domäner väger lika, \\"citat\\" och å ä ö."
normalisation = "minmax"
aggregation = "mpi"
missing = "error"
flag_threshold = 0.8
top_n = 2

[domain_weights]
kriminalitet = 2.0
skola = 0

[indicator_weights]
lag_ek = 1
brott = 0.5
"""


@pytest.fixture
def full() -> AnalysisSettings:
    return AnalysisSettings.from_toml(FULL_TOML, source=SOURCE)


# -- construction and accessors ---------------------------------------------------------

def test_from_toml_reads_every_key(full: AnalysisSettings) -> None:
    assert full == AnalysisSettings(
        indicator_weights=(("brott", 0.5), ("lag_ek", 1.0)),
        domain_weights=(("kriminalitet", 2.0), ("skola", 0.0)),
        normalisation="minmax", aggregation="mpi", missing="error",
        flag_threshold=0.8, top_n=2, name="Bred prevention",
        description='Alla domäner väger lika, "citat" och å ä ö.')


def test_weights_are_sorted_by_name_and_stored_as_floats() -> None:
    s = AnalysisSettings.create({"b": 2, "a": 1}, {"skola": 3})
    assert s.indicator_weights == (("a", 1.0), ("b", 2.0))
    assert all(isinstance(w, float) for _, w in s.indicator_weights + s.domain_weights)
    assert s.indicators == ("a", "b")
    assert s.indicator_weight("b") == 2.0
    assert s.indicator_weight("c") == 0.0           # not selected
    assert s.domain_weight("skola") == 3.0
    assert s.domain_weight("missbruk") == 1.0       # domains not listed weigh 1


def test_defaults() -> None:
    s = AnalysisSettings.create({"a": 1})
    assert (s.normalisation, s.aggregation, s.missing, s.flag_threshold, s.top_n) == (
        "zscore", "arithmetic", "reweight", 0.9, 3)
    assert s.domain_weights == ()
    assert (s.name, s.description) == ("", "")


def test_with_changes_returns_a_new_validated_object(full: AnalysisSettings) -> None:
    changed = full.with_changes(normalisation="percentile")
    assert changed.normalisation == "percentile"
    assert full.normalisation == "minmax"
    assert changed.with_changes(normalisation="minmax") == full
    with pytest.raises(SettingsError, match="nyckel 'normalisation': okänt val"):
        full.with_changes(normalisation="rang")


# -- hashing ----------------------------------------------------------------------------

def test_equal_settings_have_equal_hashes_and_work_as_dict_keys() -> None:
    a = AnalysisSettings.create({"lag_ek": 1, "brott": 2.0}, {"skola": 1}, name="x")
    b = AnalysisSettings.create({"brott": 2, "lag_ek": 1.0}, {"skola": 1.0}, name="x")
    assert a == b
    assert hash(a) == hash(b)
    cache = {a: "resultat"}
    assert cache[b] == "resultat"
    c = b.with_changes(flag_threshold=0.95)
    assert c != a
    assert c not in cache
    assert len({a, b, c}) == 2


def test_hash_of_settings_read_from_toml_matches_the_original(full: AnalysisSettings) -> None:
    again = AnalysisSettings.from_toml(full.to_toml())
    assert hash(again) == hash(full)
    assert {full: 1}[again] == 1


# -- serialisation ----------------------------------------------------------------------

def test_to_dict_is_exact(full: AnalysisSettings) -> None:
    assert full.to_dict() == {
        "prevmap_settings": FORMAT_VERSION, "name": "Bred prevention",
        "description": 'Alla domäner väger lika, "citat" och å ä ö.',
        "normalisation": "minmax", "aggregation": "mpi", "missing": "error",
        "outliers": "none", "flag_threshold": 0.8, "top_n": 2,
        "domain_weights": {"kriminalitet": 2.0, "skola": 0.0},
        "indicator_weights": {"brott": 0.5, "lag_ek": 1.0},
        "uncertainty": {"draws": 1000, "seed": 20261123, "concentration": 50.0,
                        "vary_normalisation": True, "vary_aggregation": True,
                        "data_noise": True, "top_k": 0},
        "small_numbers": {"smoothing": "none", "disclosure": True, "disclosure_threshold": 5,
                          "min_population": 50, "merge_small": False, "min_coverage": 0.5},
        "tiers": {"high_p": 0.8, "raised_p": 0.3},
        "rekommendation": {"intensity_high": "intensiv", "intensity_raised": "förstärkt",
                           "intensity_other": "bas", "focus_threshold": 1.0, "max_focus": 3,
                           "protective_threshold": 1.0, "total_kr": 3_000_000,
                           "base_share": 0.3, "weighting": "behov_barn"}}


def test_to_dict_leaves_out_empty_name_and_description() -> None:
    data = AnalysisSettings.create({"a": 1}).to_dict()
    assert "name" not in data
    assert "description" not in data
    assert data["domain_weights"] == {}


@pytest.mark.parametrize("settings", [
    AnalysisSettings.create({"a": 1}),
    AnalysisSettings.create({"a": 0.25, "b": 3}, {"missbruk": 0, "skola": 1.5},
                            normalisation="percentile", aggregation="mpi",
                            missing="error", flag_threshold=1, top_n=5,
                            name="Profil \"ett\"", description="rad ett\nrad två"),
], ids=["minimal", "full"])
def test_toml_round_trip(settings: AnalysisSettings) -> None:
    text = settings.to_toml()
    assert text.startswith(f"prevmap_settings = {FORMAT_VERSION}\n")
    again = AnalysisSettings.from_toml(text)
    assert again == settings
    assert again.to_toml() == text


# -- replay -----------------------------------------------------------------------------

def test_replay_gives_an_identical_summary(grid_table: pd.DataFrame, grid_catalogue: Catalogue,
                                           full: AnalysisSettings) -> None:
    # Equal domain weights: MPI+ ranks the uneven areas at both ends of the grid first.
    settings = full.with_changes(missing="reweight",
                                 domain_weights={"kriminalitet": 1.0, "skola": 0.0})
    first = rank_areas(grid_table, grid_catalogue, settings).summary()
    replayed = AnalysisSettings.from_toml(settings.to_toml())
    second = rank_areas(grid_table.copy(), grid_catalogue, replayed).summary()
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert first["area_id"].tolist() != sorted(first["area_id"])  # a real ranking, not a sort


# -- validate_settings ------------------------------------------------------------------

def test_validate_settings_accepts_known_indicators(grid_catalogue: Catalogue,
                                                    grid_settings: AnalysisSettings) -> None:
    assert validate_settings(grid_settings, grid_catalogue) is None


def test_validate_settings_refuses_unknown_indicators(grid_catalogue: Catalogue) -> None:
    s = AnalysisSettings.create({"lag_ek": 1, "vald": 1, "Brott": 1})
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}', nyckel 'indicator_weights': indikatorerna finns inte i "
            "katalogen. Värden: 'Brott', 'vald'. Åtgärd: rätta id:t eller lägg till indikatorn "
            "i katalogen.")):
        validate_settings(s, grid_catalogue, source=SOURCE)


def test_validate_settings_shows_five_unknown_indicators(grid_catalogue: Catalogue) -> None:
    s = AnalysisSettings.create({f"x{k}": 1 for k in range(8)})
    with pytest.raises(SettingsError, match=re.escape(
            "Värden: 'x0', 'x1', 'x2', 'x3', 'x4' (och 3 till).")):
        validate_settings(s, grid_catalogue)


def test_validate_settings_needs_some_positive_effective_weight(
        grid_catalogue: Catalogue) -> None:
    # lag_ek counts by its own weight but its domain weighs 0; brott has weight 0.
    s = AnalysisSettings.create({"lag_ek": 1, "brott": 0}, {"socioekonomi": 0})
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil 'inställningar', nyckel 'domain_weights': ingen vald indikator har "
            "både positiv indikatorvikt och positiv domänvikt. Åtgärd: ge minst en domän med "
            "valda indikatorer en positiv vikt.")):
        validate_settings(s, grid_catalogue)
    # A zero weight for a domain without selected indicators does not matter.
    validate_settings(AnalysisSettings.create({"lag_ek": 1}, {"skola": 0}), grid_catalogue)


# -- every error of the constructor -----------------------------------------------------

def test_errors_are_value_errors_of_the_project() -> None:
    assert issubclass(SettingsError, PrevmapError)
    assert issubclass(SettingsError, ValueError)


def test_no_indicators() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'indicator_weights': inga indikatorer är valda. "
            "Åtgärd: välj minst en indikator.")):
        AnalysisSettings.create({})


def test_duplicate_names_among_weights() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'indicator_weights': samma namn förekommer två gånger bland "
            "vikterna. Värden: 'a'. Åtgärd: ange varje namn en gång.")):
        AnalysisSettings(indicator_weights=(("a", 1.0), ("b", 1.0), ("a", 2.0)))
    with pytest.raises(SettingsError, match="samma namn förekommer två gånger"):
        AnalysisSettings(indicator_weights=(("a", 1.0),),
                         domain_weights=(("skola", 1.0), ("skola", 1.0)))
    with pytest.raises(SettingsError, match="samma namn förekommer två gånger"):
        AnalysisSettings(indicator_weights=((1, 1.0), ("1", 2.0)))   # equal as text


@pytest.mark.parametrize(("weights", "shown"), [
    ({"a": "1", "b": 1}, "\"a='1'\""),
    ({"a": None, "b": True}, "'a=None', 'b=True'"),
    ({"a": float("nan"), "b": float("inf")}, "'a=nan', 'b=inf'"),
])
def test_non_numeric_indicator_weights(weights: dict[str, object], shown: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'indicator_weights': vikter måste vara tal. Värden: {shown}. "
            "Åtgärd: ange vikter som tal ≥ 0, t.ex. 1 eller 0.5.")):
        AnalysisSettings.create(weights)


def test_non_numeric_domain_weights() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'domain_weights': vikter måste vara tal. Värden: \"skola='två'\".")):
        AnalysisSettings.create({"a": 1}, {"skola": "två"})


def test_negative_weights() -> None:
    with pytest.raises(SettingsError, match="negativa vikter") as info:
        AnalysisSettings.create({"a": -1, "b": 1}, {"skola": -0.5})
    assert str(info.value) == (
        f"{PREFIX}2 problem.\n"
        "1. nyckel 'indicator_weights': negativa vikter. Värden: 'a=-1.0'. Förväntat: "
        "vikter ≥ 0. Åtgärd: ange 0 för att utesluta, annars ett positivt tal; riktningen "
        "anges i katalogen, inte med vikten.\n"
        "2. nyckel 'domain_weights': negativa vikter. Värden: 'skola=-0.5'. Förväntat: "
        "vikter ≥ 0. Åtgärd: ange 0 för att utesluta, annars ett positivt tal; riktningen "
        "anges i katalogen, inte med vikten.")


def test_at_most_five_negative_weights_are_shown() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            "Värden: 'a1=-1.0', 'a2=-1.0', 'a3=-1.0', 'a4=-1.0', 'a5=-1.0' (och 2 till).")):
        AnalysisSettings.create({f"a{k}": -1 for k in range(1, 8)})


def test_all_indicator_weights_zero() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'indicator_weights': alla indikatorvikter är noll. "
            "Åtgärd: ge minst en indikator en positiv vikt.")):
        AnalysisSettings.create({"a": 0, "b": 0.0})
    assert AnalysisSettings.create({"a": 0, "b": 0.1}).indicator_weight("a") == 0.0


def test_unknown_domains_in_domain_weights() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'domain_weights': okända domäner. Värden: 'Skola', 'idrott'. "
            "Förväntat: psykisk_ohalsa, missbruk, kriminalitet, socioekonomi, skola, "
            "skyddsfaktorer.")):
        AnalysisSettings.create({"a": 1}, {"idrott": 1, "Skola": 1, "skola": 1})


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("normalisation", "rank", "zscore, percentile, minmax"),
    ("aggregation", "median", "arithmetic, mpi"),
    ("missing", "drop", "reweight, error"),
])
def test_unknown_choices(key: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel '{key}': okänt val. Värden: '{value}'. Förväntat: {expected}.")):
        AnalysisSettings.create({"a": 1}, **{key: value})


def test_an_old_file_with_the_geometric_mean_says_what_to_write_instead() -> None:
    """The geometric option was removed (issue 16): an old file is refused, never run with
    another aggregation in silence, and the message names the file, the key, the value and
    the two choices."""
    old = FULL_TOML.replace('aggregation = "mpi"', 'aggregation = "geometric"')
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}', nyckel 'aggregation': det geometriska medelvärdet finns inte "
            "längre")) as caught:
        AnalysisSettings.from_toml(old, source=SOURCE)
    text = str(caught.value)
    assert "Värden: 'geometric'. Förväntat: arithmetic, mpi." in text
    assert 'Åtgärd: ange aggregation = "mpi" (Mazziotta–Pareto: ojämnt höga behov späds ' \
           'inte ut) eller aggregation = "arithmetic".' in text


@pytest.mark.parametrize("value", [-0.1, 1.5, "0.5", float("nan"), True])
def test_min_coverage_is_a_share(value: object) -> None:
    with pytest.raises(SettingsError, match=re.escape(
            "nyckel 'small_numbers.min_coverage': minsta täckning ska vara en andel mellan 0 "
            "och 1.")):
        AnalysisSettings.create({"a": 1}, min_coverage=value)


def test_min_coverage_round_trips_through_toml() -> None:
    s = AnalysisSettings.create({"a": 1}, min_coverage=0.6)
    assert s.small_numbers.min_coverage == 0.6
    assert AnalysisSettings.create({"a": 1}).small_numbers.min_coverage == 0.5
    text = s.to_toml()
    assert "min_coverage = 0.6" in text
    assert AnalysisSettings.from_toml(text) == s
    whole = AnalysisSettings.create({"a": 1}, min_coverage=1)
    assert whole.small_numbers.min_coverage == 1.0
    assert isinstance(whole.small_numbers.min_coverage, float)


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (-0.1, "-0.1"), (1.01, "1.01"), (90, "90"), ("0.9", "'0.9'"),
    (float("nan"), "nan"), (True, "True"),
])
def test_flag_threshold_out_of_range(value: object, shown: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'flag_threshold': flaggtröskeln ska vara en percentilrang mellan 0 "
            f"och 1. Värden: {shown}. Åtgärd: ange t.ex. 0.9 för den översta tiondelen.")):
        AnalysisSettings.create({"a": 1}, flag_threshold=value)


@pytest.mark.parametrize("value", [1, 1.0, 0.5, 1e-9])
def test_flag_threshold_in_range(value: float) -> None:
    assert AnalysisSettings.create({"a": 1}, flag_threshold=value).flag_threshold == value


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (-2, "-2"), (2.0, "2.0"),
                                              (True, "True"), ("3", "'3'")])
def test_top_n_must_be_a_positive_integer(value: object, shown: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}nyckel 'top_n': antalet bidragande indikatorer ska vara ett heltal ≥ 1. "
            f"Värden: {shown}.")):
        AnalysisSettings.create({"a": 1}, top_n=value)


def test_constructor_collects_every_problem() -> None:
    with pytest.raises(SettingsError, match="5 problem") as info:
        AnalysisSettings.create({"a": -1}, {"idrott": 1}, normalisation="rank",
                                flag_threshold=2, top_n=0)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{PREFIX}5 problem."
    assert [line.split(": ")[0] for line in lines[1:]] == [
        "1. nyckel 'indicator_weights'", "2. nyckel 'domain_weights'",
        "3. nyckel 'normalisation'", "4. nyckel 'flag_threshold'", "5. nyckel 'top_n'"]


# -- every error of from_dict / from_toml -----------------------------------------------

def test_unknown_keys_are_refused() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}': okända nycklar. Värden: 'Name', 'vikter'. Förväntat: "
            "aggregation, description, domain_weights, flag_threshold, indicator_weights, "
            "missing, name, normalisation, outliers, prevmap_settings, rekommendation, "
            "small_numbers, tiers, top_n, uncertainty. Åtgärd: ta bort eller rätta stavningen.")):
        AnalysisSettings.from_dict({"indicator_weights": {"a": 1}, "vikter": 1, "Name": "x"},
                                   source=SOURCE)


def test_unknown_keys_in_a_toml_file() -> None:
    text = 'normalization = "zscore"\n\n[indicator_weights]\na = 1\n'
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}': okända nycklar. Värden: 'normalization'.")):
        AnalysisSettings.from_toml(text, source=SOURCE)


def test_unknown_file_version() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}', nyckel 'prevmap_settings': okänd filversion. Värden: 2. "
            "Förväntat: 1.")):
        AnalysisSettings.from_toml("prevmap_settings = 2\n[indicator_weights]\na = 1\n",
                                   source=SOURCE)


def test_weights_must_be_tables() -> None:
    with pytest.raises(SettingsError, match="ska vara en tabell av namn = vikt") as info:
        AnalysisSettings.from_toml("indicator_weights = [1, 2]\ndomain_weights = 3\n",
                                   source=SOURCE)
    assert str(info.value) == (
        f"{PREFIX}2 problem.\n"
        f"1. fil '{SOURCE}', nyckel 'indicator_weights': ska vara en tabell av namn = vikt. "
        "Värden: [1, 2].\n"
        f"2. fil '{SOURCE}', nyckel 'domain_weights': ska vara en tabell av namn = vikt. "
        "Värden: 3.")


def test_indicator_weights_are_required() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}', nyckel 'indicator_weights': nyckeln saknas. Åtgärd: lägg "
            "till en tabell [indicator_weights] med minst en indikator.")):
        AnalysisSettings.from_toml('name = "utan vikter"\n', source=SOURCE)


def test_invalid_toml() -> None:
    with pytest.raises(SettingsError, match=re.escape(
            f"{PREFIX}fil '{SOURCE}': filen är inte giltig TOML (")):
        AnalysisSettings.from_toml("[indicator_weights\na = 1\n", source=SOURCE)


def test_constructor_problems_name_the_file() -> None:
    text = 'normalisation = "z"\n\n[indicator_weights]\na = -1\nb = nan\n'
    with pytest.raises(SettingsError, match="3 problem") as info:
        AnalysisSettings.from_toml(text, source=SOURCE)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{PREFIX}3 problem."
    assert lines[1] == (f"1. fil '{SOURCE}', nyckel 'indicator_weights': vikter måste vara tal. "
                        "Värden: 'b=nan'. Åtgärd: ange vikter som tal ≥ 0, t.ex. 1 eller 0.5.")
    assert lines[2].startswith(f"2. fil '{SOURCE}', nyckel 'indicator_weights': negativa "
                               "vikter. Värden: 'a=-1.0'.")
    assert lines[3] == (f"3. fil '{SOURCE}', nyckel 'normalisation': okänt val. Värden: 'z'. "
                        "Förväntat: zscore, percentile, minmax.")


def test_a_type_error_in_the_constructor_becomes_a_settings_error() -> None:
    # Two names that are equal as text but whose weights cannot be compared.
    with pytest.raises(SettingsError, match=rf"^{PREFIX}fil '{SOURCE}': .*not supported"):
        AnalysisSettings.from_dict({"indicator_weights": {1: [1], "1": {"a": 1}}},
                                   source=SOURCE)


def test_weights_may_be_given_as_mappings() -> None:
    as_pairs = AnalysisSettings(indicator_weights=(("a", 1.0),), domain_weights=(("skola", 2),))
    as_maps = AnalysisSettings(indicator_weights={"a": 1}, domain_weights={"skola": 2.0})
    assert as_pairs == as_maps and hash(as_pairs) == hash(as_maps)


def test_robustness_sections_round_trip_and_are_validated() -> None:
    text = """
[indicator_weights]
a = 1

[uncertainty]
draws = 200
seed = 7
concentration = 20
data_noise = false
top_k = 4

[small_numbers]
smoothing = "eb"
disclosure_threshold = 3

[tiers]
high_p = 0.9
raised_p = 0.5
"""
    settings = AnalysisSettings.from_toml(text, SOURCE)
    u, small = settings.uncertainty, settings.small_numbers
    assert (u.draws, u.seed, u.concentration, u.data_noise, u.top_k) == (200, 7, 20.0, False, 4)
    assert (small.smoothing, small.disclosure, small.disclosure_threshold) == ("eb", True, 3)
    assert (settings.tiers.high_p, settings.tiers.raised_p) == (0.9, 0.5)
    assert AnalysisSettings.from_toml(settings.to_toml()) == settings
    assert not settings.equivalent(settings.with_changes(seed=8))

    bad = """
[indicator_weights]
a = 1

[uncertainty]
draws = 0
concentration = -1
slumpfro = 3

[small_numbers]
smoothing = "lokal"
disclosure = "ja"

[tiers]
high_p = 0.2
raised_p = 0.5
"""
    with pytest.raises(SettingsError, match="okända nycklar i \\[uncertainty\\]") as err:
        AnalysisSettings.from_toml(bad, SOURCE)
    text = str(err.value)
    assert "okända nycklar i [uncertainty]. Värden: 'slumpfro'" in text
    # The section problems come first; fixing them shows the value problems, all at once.
    fixed = bad.replace("slumpfro = 3\n", "")
    with pytest.raises(SettingsError, match="5 problem") as err:
        AnalysisSettings.from_toml(fixed, SOURCE)
    text = str(err.value)
    assert text.startswith("Fel i analysinställningarna: 5 problem.")
    assert "nyckel 'uncertainty.draws': antalet dragningar ska vara ett heltal ≥ 1" in text
    assert "nyckel 'uncertainty.concentration': koncentrationen ska vara ett tal > 0" in text
    assert "nyckel 'small_numbers.smoothing': okänt val. Värden: 'lokal'" in text
    assert "nyckel 'small_numbers.disclosure': ska vara true eller false. Värden: 'ja'" in text
    assert "nyckel 'tiers.raised_p': gränsen för 'Förhöjd' kan inte ligga över" in text
