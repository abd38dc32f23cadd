"""The catalogue of evaluated interventions: every shipped entry with its source, lookups per
domain and prevention level, and each kind of bad file refused with its exact message."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.io.files import read_source_info
from geo.io.interventions import DEFAULT_INTERVENTIONS, read_interventions
from geo.io.organisation import DEFAULT_ORGANISATION
from indicators.columns import DOMAINS
from indicators.errors import InterventionCatalogueError
from indicators.interventions import (
    DEFAULT_NOTICE,
    LEVELS,
    Intervention,
    InterventionCatalogue,
    catalogue_from_dict,
)

CHECKED = dt.date(2026, 12, 6)


def entry(name: str, domains: list[str], level: str, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "namn": name, "domaner": domains, "niva": level,
        "kalla_organisation": "Socialstyrelsen", "kalla_titel": f"Metodguiden: {name}",
        "kalla_url": f"https://example.org/{name.lower()}", "kallan_sager": f"{name} finns.",
        "kontrollerad": CHECKED}
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def catalogue(*entries: dict[str, object], **top: object) -> InterventionCatalogue:
    return catalogue_from_dict({"prevmap_insatser": 1, "insats": list(entries), **top}, "K")


SMALL = (entry("A", ["kriminalitet"], "universell"),
         entry("B", ["kriminalitet", "missbruk"], "indikerad"),
         entry("C", ["missbruk"], "universell"),
         entry("D", ["kriminalitet"], "universell"))


def refused(*entries: dict[str, object], **top: object) -> str:
    with pytest.raises(InterventionCatalogueError, match="^Fel i insatskatalogen") as err:
        catalogue(*entries, **top)
    return str(err.value)


# -- the shipped catalogue -------------------------------------------------------------------
def test_every_shipped_entry_names_an_https_source_and_a_checked_date() -> None:
    shipped = read_interventions()
    assert len(shipped.interventions) >= 10
    for item in shipped.interventions:
        assert item.url.startswith("https://"), item.name
        assert item.checked == CHECKED, item.name
        assert item.source_organisation and item.source_title and item.source_says, item.name
        assert set(item.domains) <= set(DOMAINS) and item.level in LEVELS


def test_every_shipped_entry_is_recorded_in_the_sidecar_with_the_same_address() -> None:
    meta = tomllib.loads(DEFAULT_INTERVENTIONS.with_name(
        DEFAULT_INTERVENTIONS.name + ".meta.toml").read_text(encoding="utf-8"))
    checks = {c["namn"]: c for c in meta["checks"]}
    for item in read_interventions(DEFAULT_INTERVENTIONS).interventions:
        assert checks[item.name]["url"] == item.url
        assert checks[item.name]["kontrollerad"] == item.checked
        assert checks[item.name]["hittat"].strip()


def test_the_shipped_catalogue_keeps_its_notice_never_a_prescription() -> None:
    shipped = read_interventions()
    assert "aldrig en föreskrift" in shipped.notice
    assert "kommunens att ändra" in shipped.notice
    assert "UTGÅNGSPUNKT, ALDRIG EN FÖRESKRIFT" in DEFAULT_INTERVENTIONS.read_text("utf-8")


def test_the_notice_defaults_when_the_file_has_none() -> None:
    assert catalogue(*SMALL).notice == DEFAULT_NOTICE
    assert catalogue(*SMALL, forbehall=" Egen text. ").notice == "Egen text."


# -- lookups ---------------------------------------------------------------------------------
def test_for_domain_filters_by_domain_and_level_in_the_files_order() -> None:
    small = catalogue(*SMALL)
    names = lambda items: [i.name for i in items]  # noqa: E731
    assert names(small.for_domain("kriminalitet")) == ["A", "B", "D"]
    assert names(small.for_domain("kriminalitet", "universell")) == ["A", "D"]
    assert names(small.for_domain("missbruk", "indikerad")) == ["B"]
    assert names(small.for_domain("missbruk", "selektiv")) == []
    assert names(small.for_domain("skola")) == []
    first = small.for_domain("missbruk")[0]
    assert first == Intervention("B", ("kriminalitet", "missbruk"), "indikerad",
                                 "Socialstyrelsen", "Metodguiden: B", "https://example.org/b",
                                 "B finns.", CHECKED)
    assert first.level_label == "Indikerad (för den som redan visar problemet)"


def test_for_domain_refuses_an_unknown_domain_and_level_with_the_valid_values() -> None:
    with pytest.raises(InterventionCatalogueError, match="okänd domän") as err:
        catalogue(*SMALL).for_domain("brott", "tidig")
    assert str(err.value) == (
        "Fel i insatskatalogen: 2 problem.\n"
        "1. fil 'K', nyckel 'domän': okänd domän. Värden: 'brott'. Förväntat: psykisk_ohalsa, "
        "missbruk, kriminalitet, socioekonomi, skola, skyddsfaktorer.\n"
        "2. fil 'K', nyckel 'nivå': okänd preventionsnivå. Värden: 'tidig'. Förväntat: "
        "universell, selektiv, indikerad.")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from(list(DOMAINS)), min_size=1),
                          st.sampled_from(list(LEVELS))), max_size=8),
       st.sampled_from(list(DOMAINS)))
def test_a_domain_at_every_level_is_the_levels_together(
        rows: list[tuple[set[str], str]], domain: str) -> None:
    """Asked without a level, the answer is what each level gives, in the file's order."""
    cat = catalogue(*(entry(f"I{n}", sorted(d), lvl) for n, (d, lvl) in enumerate(rows)))
    every = cat.for_domain(domain)
    by_level = {i.name for level in LEVELS for i in cat.for_domain(domain, level)}
    assert {i.name for i in every} == by_level
    assert [i.name for i in every] == [f"I{n}" for n, (d, _) in enumerate(rows) if domain in d]


# -- bad files -------------------------------------------------------------------------------
def test_an_entry_without_a_source_is_not_taken_in() -> None:
    bad = entry("X", ["skola"], "universell", kalla_url=None, kallan_sager="  ")
    assert refused(SMALL[0], bad) == (
        "Fel i insatskatalogen: fil 'K', nyckel 'insats 2 (X)': en insats utan källa tas inte "
        "med: källan saknas eller är tom. Värden: 'kalla_url', 'kallan_sager'. Åtgärd: ange "
        "organisation, titel, adress (https), vad källan säger och datum då den "
        "kontrollerades, eller ta bort insatsen.")


def test_a_source_address_without_https_is_refused() -> None:
    assert refused(entry("X", ["skola"], "universell", kalla_url="http://example.org")) == (
        "Fel i insatskatalogen: fil 'K', nyckel 'insats 1 (X).kalla_url': källans adress ska "
        "börja med https://. Värden: 'http://example.org'. Åtgärd: skriv sidans fullständiga "
        "adress.")


def test_an_unknown_domain_or_level_in_an_entry_is_refused_with_the_valid_values() -> None:
    assert refused(entry("X", ["brott"], "tidig")) == (
        "Fel i insatskatalogen: 2 problem.\n"
        "1. fil 'K', nyckel 'insats 1 (X).domaner': okänd domän. Värden: 'brott'. Förväntat: "
        "psykisk_ohalsa, missbruk, kriminalitet, socioekonomi, skola, skyddsfaktorer.\n"
        "2. fil 'K', nyckel 'insats 1 (X).niva': okänd preventionsnivå. Värden: 'tidig'. "
        "Förväntat: universell, selektiv, indikerad.")


def test_a_checked_date_in_quotes_is_refused() -> None:
    assert refused(entry("X", ["skola"], "selektiv", kontrollerad="2026-12-06")) == (
        "Fel i insatskatalogen: fil 'K', nyckel 'insats 1 (X).kontrollerad': ska vara ett "
        "datum utan citattecken. Värden: '2026-12-06'. Åtgärd: skriv till exempel "
        "kontrollerad = 2026-12-06.")


def test_unknown_keys_are_refused() -> None:
    assert refused(SMALL[0], entry("E", ["skola"], "selektiv", effekt="stor")) == (
        "Fel i insatskatalogen: fil 'K', nyckel 'insats 2 (E)': okända nycklar. Värden: "
        "'effekt'. Förväntat: domaner, kalla_organisation, kalla_titel, kalla_url, "
        "kallan_sager, kontrollerad, namn, niva.")


def test_duplicate_names_are_refused() -> None:
    assert refused(SMALL[0], entry("A", ["skola"], "selektiv")) == (
        "Fel i insatskatalogen: fil 'K', nyckel 'insats': samma insats finns flera gånger. "
        "Värden: 'A'. Åtgärd: slå ihop posterna, eller ge dem olika namn.")


def test_an_empty_notice_is_refused() -> None:
    assert refused(*SMALL, forbehall=" ") == (
        "Fel i insatskatalogen: fil 'K', nyckel 'forbehall': förbehållet ska vara en text som "
        "inte är tom: katalogen visas aldrig som en föreskrift. Åtgärd: ta bort nyckeln för "
        "standardtexten, eller skriv en egen.")


def test_the_reader_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "egen.toml"
    path.write_text('prevmap_insatser = 1\n[[insats]]\nnamn = "X"\ndomaner = ["skola"]\n'
                    'niva = "universell"\n', encoding="utf-8")
    with pytest.raises(InterventionCatalogueError, match="en insats utan källa") as err:
        read_interventions(path)
    assert str(err.value).startswith(
        f"Fel i insatskatalogen: fil '{path}', nyckel 'insats 1 (X)': en insats utan källa "
        "tas inte med")
    path.write_text("prevmap_insatser = 1\n", encoding="utf-8")
    assert read_interventions(path).interventions == ()


def test_the_shipped_sidecars_are_read_as_sources() -> None:
    for path in (DEFAULT_INTERVENTIONS, DEFAULT_ORGANISATION):
        info = read_source_info(path)
        assert info.date == "2026-12-06" and not info.synthetic
    assert "aldrig en föreskrift" in read_source_info(DEFAULT_INTERVENTIONS).note
