"""The organisation file: who leads and who takes part, per domain of the ranking.

The shipped file is Huddinge's (KS-2019/3209); a small kommun's file written here replaces it;
each kind of bad file is refused with its exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.io.organisation import DEFAULT_ORGANISATION, read_organisation
from indicators.columns import DOMAINS
from indicators.errors import OrganisationError
from indicators.organisation import DomainRoles, Organisation, Unit

# A small kommun: two förvaltningar, one partner, every domain led by one of them.
SMALL = """prevmap_organisation = 1
kommun = "Exempelby"

[forvaltningar.UTB]
namn = "Utbildningsförvaltningen"
uppgifter = ["skola"]

[forvaltningar.SOC]
namn = "Socialförvaltningen"
uppgifter = ["socialtjänst"]

[partner.polis]
namn = "Polisen"
"""
LEADS = {"psykisk_ohalsa": "UTB", "missbruk": "SOC", "kriminalitet": "SOC",
         "socioekonomi": "SOC", "skola": "UTB", "skyddsfaktorer": "UTB"}


def roles(leads: dict[str, str] = LEADS, extra: str = "") -> str:
    text = ""
    for domain, lead in leads.items():
        other = "SOC" if lead == "UTB" else "UTB"
        text += f'\n[domaner.{domain}]\nleder = "{lead}"\ndeltar = ["{other}"]\n'
        if domain == "kriminalitet":
            text += 'partner = ["polis"]\nmotivering = "Socialtjänsten har ansvaret."\n'
    return text + extra


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exempelby.toml"
    path.write_text(text, encoding="utf-8")
    return path


def message(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(OrganisationError, match="^Fel i organisationsfilen") as err:
        read_organisation(path)
    return str(err.value).replace(str(path), "F")


# -- the shipped file ------------------------------------------------------------------------
def test_huddinge_covers_every_domain_with_one_lead_of_its_own_units() -> None:
    org = read_organisation()
    assert org.kommun == "Huddinge"
    unit_ids = {u.id for u in org.units}
    assert unit_ids == {"KSF", "BUF", "GAF", "KFF", "SOF"}  # the decision's styrgrupp
    assert sorted(r.domain for r in org.roles) == sorted(DOMAINS)
    for domain in DOMAINS:
        lead = org.lead_for(domain)
        assert lead.id in unit_ids
        assert lead not in org.participants_for(domain)
        assert org.reason_for(domain).startswith(lead.id)  # the reason names the lead
    assert org.coordinator == "SOF"  # decision point 3: socialnämnden coordinates from 2021
    assert {p.id for p in org.partners} == {"lokalpolisomradet", "region_stockholm",
                                            "bostadsbolag"}


def test_huddinge_units_say_what_they_do() -> None:
    org = read_organisation(DEFAULT_ORGANISATION)
    assert org.unit("KSF").tasks == ("trygghet", "samordning")
    assert org.unit("BUF").tasks == ("förskola", "grundskola", "elevhälsa")
    assert org.unit("GAF").tasks == ("gymnasium", "arbetsmarknad")
    assert org.unit("KFF").tasks == ("fritid", "kultur")
    assert org.unit("SOF").tasks == ("socialtjänst", "föräldrastöd")


def test_huddinge_file_says_it_is_the_kommuns_to_change() -> None:
    text = DEFAULT_ORGANISATION.read_text(encoding="utf-8")
    assert "KOMMUNENS ATT ÄNDRA" in text
    assert DEFAULT_ORGANISATION.with_name(DEFAULT_ORGANISATION.name + ".meta.toml").is_file()


# -- another kommun replaces the file --------------------------------------------------------
def test_another_kommuns_file_replaces_huddinges(tmp_path: Path) -> None:
    org = read_organisation(write(tmp_path, SMALL + roles()))
    assert org.kommun == "Exempelby"
    assert [u.id for u in org.units] == ["UTB", "SOC"]
    for domain, lead in LEADS.items():
        assert org.lead_for(domain).id == lead
        assert [u.id for u in org.participants_for(domain)] == ["SOC" if lead == "UTB"
                                                                else "UTB"]
    assert org.partners_for("kriminalitet")[0].name == "Polisen"
    assert org.partners_for("skola") == ()
    assert org.reason_for("kriminalitet") == "Socialtjänsten har ansvaret."
    assert org.reason_for("skola") == ""
    assert org.leads("SOC") == ("missbruk", "kriminalitet", "socioekonomi")
    assert org.leads("UTB") == ("psykisk_ohalsa", "skola", "skyddsfaktorer")
    assert org.coordinator is None


def test_lookup_of_an_unknown_domain_names_it_and_the_valid_ones(tmp_path: Path) -> None:
    org = read_organisation(write(tmp_path, SMALL + roles()))
    with pytest.raises(OrganisationError, match="okänd domän 'brott'") as err:
        org.lead_for("brott")
    assert str(err.value).replace(str(tmp_path / "exempelby.toml"), "F") == (
        "Fel i organisationsfilen: fil 'F': okänd domän 'brott'. Förväntat: psykisk_ohalsa, "
        "missbruk, kriminalitet, socioekonomi, skola, skyddsfaktorer.")


# -- bad files -------------------------------------------------------------------------------
def test_a_missing_domain_is_refused(tmp_path: Path) -> None:
    leads = {d: lead for d, lead in LEADS.items() if d != "skyddsfaktorer"}
    assert message(tmp_path, SMALL + roles(leads)) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'domaner': domänen saknar en ledande "
        "förvaltning. Värden: 'skyddsfaktorer'. Förväntat: en tabell [domaner.<domän>] med "
        "leder = \"<förvaltning>\" för varje domän. Åtgärd: lägg till tabellen för varje domän "
        "som saknas.")


def test_an_unknown_domain_key_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    extra = '\n[domaner.brott]\nleder = "SOC"\n'
    assert message(tmp_path, SMALL + roles(extra=extra)) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'domaner': okänd domän. Värden: 'brott'. "
        "Förväntat: psykisk_ohalsa, missbruk, kriminalitet, socioekonomi, skola, "
        "skyddsfaktorer. Åtgärd: använd rangordningens domännycklar.")


def test_a_lead_that_is_not_a_unit_of_the_file_is_refused(tmp_path: Path) -> None:
    text = SMALL + roles().replace('leder = "SOC"', 'leder = "SOF"', 1)
    assert message(tmp_path, text) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'domaner.missbruk.leder': den ledande "
        "förvaltningen finns inte bland förvaltningarna. Värden: 'SOF'. Förväntat: UTB, SOC. "
        "Åtgärd: skriv id:t för en förvaltning i [forvaltningar].")


def test_two_leads_for_one_domain_are_refused(tmp_path: Path) -> None:
    text = SMALL + roles().replace('leder = "UTB"', 'leder = ["UTB", "SOC"]', 1)
    assert message(tmp_path, text) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'domaner.psykisk_ohalsa.leder': en domän "
        "har exakt en ledande förvaltning. Värden: 'UTB', 'SOC'. Åtgärd: skriv en av dem under "
        "leder och de andra under deltar.")


def test_participants_and_partners_must_be_of_the_file(tmp_path: Path) -> None:
    text = SMALL + roles().replace('partner = ["polis"]', 'partner = ["region"]').replace(
        'deltar = ["UTB"]', 'deltar = ["UTB", "polis"]', 1)
    assert message(tmp_path, text) == (
        "Fel i organisationsfilen: 2 problem.\n"
        "1. fil 'F', nyckel 'domaner.missbruk.deltar': deltagarna ska vara förvaltningar i "
        "filen. Värden: 'polis'. Förväntat: UTB, SOC. Åtgärd: lägg till förvaltningen i "
        "[forvaltningar], eller skriv en partner under partner.\n"
        "2. fil 'F', nyckel 'domaner.kriminalitet.partner': partnern finns inte bland "
        "partnerna. Värden: 'region'. Förväntat: polis. Åtgärd: lägg till den i [partner], "
        "eller skriv en förvaltning under deltar.")


def test_the_lead_among_the_participants_is_refused(tmp_path: Path) -> None:
    text = SMALL + roles().replace('deltar = ["SOC"]', 'deltar = ["SOC", "UTB"]', 1)
    assert message(tmp_path, text) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'domaner.psykisk_ohalsa.deltar': den "
        "ledande förvaltningen står också bland deltagarna. Värden: 'UTB'. Åtgärd: ta bort den "
        "ur deltar.")


def test_unknown_keys_and_a_missing_format_are_refused(tmp_path: Path) -> None:
    text = SMALL.replace("prevmap_organisation = 1\n", 'ledare = "x"\n') + roles()
    assert message(tmp_path, text) == (
        "Fel i organisationsfilen: 2 problem.\n"
        "1. fil 'F': okända nycklar. Värden: 'ledare'. Förväntat: beskrivning, domaner, "
        "forvaltningar, kommun, partner, prevmap_organisation, samordnar. Åtgärd: ta bort eller "
        "stava om nycklarna.\n"
        "2. fil 'F', nyckel 'prevmap_organisation': filen säger inte vilket format den har. "
        "Förväntat: 1. Åtgärd: skriv prevmap_organisation = 1 först i filen.")


def test_a_coordinator_outside_the_units_is_refused(tmp_path: Path) -> None:
    text = SMALL.replace('kommun = "Exempelby"', 'kommun = "Exempelby"\nsamordnar = "KSF"')
    assert message(tmp_path, text + roles()) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'samordnar': den samordnande förvaltningen "
        "finns inte bland förvaltningarna. Värden: 'KSF'. Förväntat: UTB, SOC. Åtgärd: skriv "
        "id:t för en av förvaltningarna i [forvaltningar].")


def test_a_unit_without_a_name_is_refused(tmp_path: Path) -> None:
    text = SMALL.replace('namn = "Utbildningsförvaltningen"\n', "")
    assert message(tmp_path, text + roles()) == (
        "Fel i organisationsfilen: fil 'F', nyckel 'forvaltningar.UTB.namn': saknas eller är "
        "inte en text. Åtgärd: skriv namn = \"…\".")


def test_a_file_that_is_not_toml_or_absent_is_refused(tmp_path: Path) -> None:
    bad = message(tmp_path, 'kommun = "Exempelby\n')
    assert bad.startswith("Fel i organisationsfilen: fil 'F': filen är inte giltig TOML (")
    assert bad.endswith("Åtgärd: rätta raden som anges; text skrivs inom citattecken.")
    with pytest.raises(OrganisationError, match=r"filen finns inte\. Åtgärd: kontrollera "
                                                r"sökvägen\."):
        read_organisation(tmp_path / "saknas.toml")


def test_the_model_checks_itself_when_built_directly() -> None:
    unit = Unit("A", "Förvaltning A")
    roles_ = tuple(DomainRoles(d, "A") for d in DOMAINS)
    assert Organisation("X", (unit,), (), roles_).lead_for("skola") == unit
    with pytest.raises(OrganisationError, match="samma förvaltning finns flera gånger"):
        Organisation("X", (unit, unit), (), roles_)
