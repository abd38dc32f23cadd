"""Which settings a change of data gets (the app's sidebar shows them): the user's own as
long as the catalogue has their indicators, kept aside and given back when it does not, and
what an analysis runs with when the table lacks some indicators."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.catalogue import CATALOGUE_COLUMNS, Catalogue, validate_catalogue
from indicators.columns import DOMAINS
from indicators.settings import (
    KEPT_ASIDE,
    AnalysisSettings,
    settings_for_catalogue,
    settings_for_table,
)


def catalogue(*ids: str) -> Catalogue:
    rows = [{"id": i, "name": f"Indikator {i}", "domain": "kriminalitet", "direction": "1",
             "unit": "per 1 000", "per": "1000", "numerator": f"{i}_antal",
             "denominator": "invanare", "source": "Test", "level": "område"} for i in ids]
    return validate_catalogue(pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS)))


DEMO = catalogue("a", "b", "c")
SCB = catalogue("x", "y")
OWN = AnalysisSettings.create({"a": 2.0, "b": 1.0}, name="Egen", flag_threshold=0.8)
PROFILES = {"Bred": AnalysisSettings.create({"a": 1.0, "b": 1.0, "c": 1.0}, name="Bred"),
            "SCB": AnalysisSettings.create({"x": 1.0, "y": 1.0}, name="SCB")}


def test_settings_that_fit_stay_as_they_are() -> None:
    assert settings_for_catalogue(OWN, (), DEMO, PROFILES) == (OWN, ())


def test_another_catalogue_gets_its_profile_and_the_users_settings_come_back() -> None:
    chosen, aside = settings_for_catalogue(OWN, (), SCB, PROFILES)
    assert chosen == PROFILES["SCB"] and aside == (OWN,)
    # the user changes SCB's settings, then goes back to the demo data: both are kept
    scb_own = chosen.with_changes(flag_threshold=0.7)
    back, aside = settings_for_catalogue(scb_own, aside, DEMO, PROFILES)
    assert back == OWN and aside == (scb_own,)
    again, aside = settings_for_catalogue(back, aside, SCB, PROFILES)
    assert again == scb_own and aside == (OWN,)


def test_the_last_settings_put_aside_that_fit_are_given_back() -> None:
    older = OWN.with_changes(flag_threshold=0.6)
    chosen, aside = settings_for_catalogue(None, (older, PROFILES["SCB"], OWN), DEMO, PROFILES)
    assert chosen == OWN and aside == (older, PROFILES["SCB"])


def test_only_the_last_few_are_kept_aside() -> None:
    many = tuple(OWN.with_changes(top_n=n) for n in range(1, KEPT_ASIDE + 1))
    current = PROFILES["SCB"].with_changes(top_n=9)
    chosen, aside = settings_for_catalogue(current, many, catalogue("z"), PROFILES)
    assert aside == (*many[1:], current)
    assert chosen.indicators == ("z",) and chosen.name == "Alla indikatorer"


def test_settings_choosing_none_of_the_tables_indicators_give_way() -> None:
    """The user's own indicator 'own' beside the demo's: the profile and the user's settings
    fit the catalogue but choose nothing the table has; the table's indicators at weight 1
    are used, and the user's settings come back with a table they fit."""
    with_own = catalogue("a", "b", "c", "own")
    chosen, aside = settings_for_catalogue(OWN, (), with_own, PROFILES, ("own",))
    assert dict(chosen.indicator_weights) == {"own": 1.0}
    assert chosen.name == "Tabellens indikatorer" and aside == (OWN,)
    back, aside = settings_for_catalogue(chosen, aside, with_own, PROFILES, ("a", "own"))
    assert back == chosen      # it chooses one of the table's: it stays
    back, aside = settings_for_catalogue(None, aside, DEMO, PROFILES, ("a", "b"))
    assert back == OWN and aside == ()


def test_a_catalogue_without_a_profile_gets_all_its_indicators_at_weight_one() -> None:
    chosen, aside = settings_for_catalogue(None, (), catalogue("p", "q"), PROFILES)
    assert dict(chosen.indicator_weights) == {"p": 1.0, "q": 1.0} and aside == ()


def test_an_analysis_uses_the_indicators_the_table_has_and_every_domain_weight() -> None:
    used = settings_for_table(OWN, ("a", "c"), PROFILES)
    assert dict(used.indicator_weights) == {"a": 2.0}
    assert dict(used.domain_weights) == dict.fromkeys(DOMAINS, 1.0)
    assert used.name == "Egen (ändrad)"     # "Egen" names no profile: marked as changed
    assert used.flag_threshold == pytest.approx(0.8)


def test_a_profile_used_as_it_is_keeps_its_name_and_description() -> None:
    profile = PROFILES["Bred"].with_changes(description="Alla tre")
    used = settings_for_table(profile, ("a", "b", "c"), {"Bred": profile})
    assert used.name == "Bred" and used.description == "Alla tre"
    changed = settings_for_table(profile.with_changes(flag_threshold=0.5), ("a", "b", "c"),
                                 {"Bred": profile})
    assert changed.name == "Bred (ändrad)" and changed.description == ""
    unnamed = settings_for_table(profile.with_changes(name=""), ("a",), {"Bred": profile})
    assert unnamed.name == "Egen analys"
