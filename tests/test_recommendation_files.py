"""Another kommun's organisation file and interventions catalogue reach what the user touches
(issue 19: "Another kommun replaces the file"): ``prevmap export --organisation --insatser``
changes "Leds av" in the workbook and names the file in the settings; a bad file exits 2
naming the file and the key; ``prevmap mall --organisation`` writes the shipped file as a
template that reads back; in the app an upload under *Data och källor* changes the card's
lead, and a bad upload shows the Swedish error and keeps the choice before it.

Expectations are computed from the small file written here, parsed with tomllib, not through
the reader under test."""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from pathlib import Path

import openpyxl
import pytest
from app_start import demo_app
from test_organisation import SMALL, roles

from geo.analysis import add_recommendation_files, run_analysis
from geo.cli import _parser, cli_inputs, main
from geo.export.recommend_views import CODE, LEAD_COL
from geo.export.text import md_source
from geo.export.workbook import SHEET_RECOMMENDATION
from geo.inputs import default_settings, list_profiles, load_inputs
from geo.io.interventions import DEFAULT_INTERVENTIONS, read_interventions
from geo.io.organisation import DEFAULT_ORGANISATION, read_organisation
from geo.io.recommendation_files import (
    DEFAULT_TITLES,
    INTERVENTIONS,
    ORGANISATION,
    ROLES,
    default_recommendation_files,
    read_recommendation_files,
)
from geo.recommend import recommendations
from indicators.errors import InterventionCatalogueError, OrganisationError
from indicators.recommendation import FOCUS, SEPARATOR

# A small kommun (tests/test_organisation.py's): two förvaltningar, every domain led by one.
OTHER = SMALL + roles()


def _leads(text: str) -> dict[str, str]:
    return {d: roles["leder"] for d, roles in tomllib.loads(text)["domaner"].items()}


def _names(text: str) -> dict[str, str]:
    return {u: unit["namn"] for u, unit in tomllib.loads(text)["forvaltningar"].items()}


def _expected_leads(focus: str, leads: dict[str, str]) -> str:
    return ", ".join(dict.fromkeys(leads[d] for d in focus.split(SEPARATOR) if d)) or "–"


def _sheet_leads(path: Path) -> dict[str, str]:
    rows = list(openpyxl.load_workbook(path)[SHEET_RECOMMENDATION].iter_rows(values_only=True))
    header = rows[0]
    code, lead = header.index(CODE), header.index(LEAD_COL)
    out = {}
    for row in rows[1:]:
        if row[code] is None:      # the summary per förvaltning starts below a blank row
            break
        out[row[code]] = row[lead]
    return out


@pytest.fixture(scope="module")
def other_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("org") / "exempelby.toml"
    path.write_text(OTHER, encoding="utf-8")
    return path


def test_export_with_another_organisation_changes_leds_av(other_file, tmp_path, capsys):
    argv = ["export", "--demo", "--organisation", str(other_file)]
    out = tmp_path / "karta.html"
    assert main([*argv, "--out", str(out), "--excel", str(tmp_path / "r.xlsx")]) == 0
    args = _parser().parse_args([*argv, "--out", str(out)])
    inputs = cli_inputs(args)
    rec = recommendations(run_analysis(inputs, default_settings(inputs)[0]))
    leads = _leads(OTHER)
    want = {area: _expected_leads(str(rec.areas.loc[area, FOCUS]), leads)
            for area in rec.areas.index}
    got = _sheet_leads(tmp_path / "r.xlsx")
    assert got == want
    assert any(v != "–" for v in got.values())
    named = ", ".join(got.values()).replace("–", "").replace(",", " ").split()
    assert set(named) <= set(leads.values())

    # The settings file names the organisation file with its SHA-256 and reads back.
    settings = (tmp_path / "karta.settings.toml").read_text(encoding="utf-8")
    sha = hashlib.sha256(other_file.read_bytes()).hexdigest()
    line = next(x for x in settings.splitlines() if x.startswith(f"# {ROLES[ORGANISATION]}"))
    assert other_file.name in line and sha in line
    assert tomllib.loads(settings) == tomllib.loads(
        default_settings(inputs)[0].to_toml())
    # ... and the digest differs from the export with the shipped file.
    plain = tmp_path / "plain" / "karta.html"
    assert main(["export", "--demo", "--out", str(plain)]) == 0
    first = (plain.with_suffix(".settings.toml")).read_text(encoding="utf-8").splitlines()[0]
    assert first != settings.splitlines()[0]
    assert not any(x.startswith(f"# {ROLES[ORGANISATION]}")
                   for x in plain.with_suffix(".settings.toml").read_text().splitlines())


def test_a_bad_organisation_file_exits_2_naming_file_and_key(tmp_path, capsys):
    bad = tmp_path / "fel.toml"
    bad.write_text(OTHER.replace('leder = "SOC"', 'leder = "SOF"', 1), encoding="utf-8")
    code = main(["export", "--demo", "--organisation", str(bad),
                 "--out", str(tmp_path / "k.html")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"fil '{bad}'" in err and "nyckel 'domaner.missbruk.leder'" in err
    assert "'SOF'" in err
    assert not (tmp_path / "k.html").exists()


def test_a_bad_catalogue_exits_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "insatser.toml"
    bad.write_text("detta = [är inte toml", encoding="utf-8")
    code = main(["export", "--demo", "--insatser", str(bad), "--out", str(tmp_path / "k.html")])
    err = capsys.readouterr().err
    assert code == 2 and f"fil '{bad}'" in err and "giltig TOML" in err


@pytest.mark.parametrize("option, default, reader", [
    ("--organisation", DEFAULT_ORGANISATION, read_organisation),
    ("--insatser", DEFAULT_INTERVENTIONS, read_interventions)])
def test_the_template_is_the_shipped_file_and_round_trips(option, default, reader, tmp_path,
                                                          capsys):
    out = tmp_path / "mall.toml"
    assert main(["mall", option, "--out", str(out)]) == 0
    assert out.read_bytes() == default.read_bytes()
    assert out.read_text(encoding="utf-8").startswith("#")    # with its comments
    assert dataclasses.replace(reader(out), source=None) == dataclasses.replace(
        reader(default), source=None)
    assert main(["mall", option, "--out", str(tmp_path / "mall.xlsx")]) == 2
    assert ".toml" in capsys.readouterr().err


def test_uploaded_bytes_read_as_the_file(other_file):
    default = default_recommendation_files()
    files = default.with_upload(ORGANISATION, "exempelby.toml", other_file.read_bytes())
    assert dataclasses.replace(files.organisation, source=None) == dataclasses.replace(
        read_organisation(other_file), source=None)
    assert files.in_use()[ORGANISATION] == f"exempelby.toml ({tomllib.loads(OTHER)['kommun']})"
    assert files.in_use()[INTERVENTIONS] == DEFAULT_TITLES[INTERVENTIONS]
    assert [r for r, _ in files.source_roles()] == [ROLES[ORGANISATION]]
    assert files.with_default(ORGANISATION).digest == default.digest
    assert default.source_roles() == () and default.is_default
    with pytest.raises(OrganisationError, match="fil 'x.toml'.*inte giltig TOML"):
        default.with_upload(ORGANISATION, "x.toml", b"[[[")
    with pytest.raises(InterventionCatalogueError, match="fil 'y.toml'.*UTF-8"):
        default.with_upload(INTERVENTIONS, "y.toml", "å".encode("latin-1"))


def test_the_analysis_follows_the_files(other_file):
    analysis = run_analysis(load_inputs(), list_profiles()["Bred prevention"])
    assert add_recommendation_files(analysis, default_recommendation_files()) is analysis
    other = add_recommendation_files(analysis, read_recommendation_files(other_file))
    assert other.digest != analysis.digest
    assert other.organisation.kommun == tomllib.loads(OTHER)["kommun"]
    assert [r for r, _ in other.source_roles()][-1] == ROLES[ORGANISATION]
    back = add_recommendation_files(other, default_recommendation_files())
    assert back.digest == analysis.digest and back.recommendation_files is None


# -- the app ---------------------------------------------------------------------------------

PROFILE = "Bred prevention"   # the demo's default profile


def _card_text(at) -> str:
    cards = [e for e in at.expander if "Rekommenderat angreppssätt" in e.label]
    assert len(cards) == 1
    return " ".join(md_source(e.value) for e in (*cards[0].markdown, *cards[0].caption))


def _upload(at, kind: str, name: str, data: bytes) -> None:
    """Upload to the uploader of ``kind`` (its key changes after "Tillbaka")."""
    next(u for u in at.file_uploader if u.key.startswith(f"{kind}_file_")).upload(
        name, data, "application/toml").run()


def _lead_words(area: str, rec, text: str) -> list[str]:
    leads, names = _leads(text), _names(text)
    return [f"leds av {leads[d]} ({names[leads[d]]})"
            for d in str(rec.areas.loc[area, FOCUS]).split(SEPARATOR) if d]


def test_app_upload_changes_the_lead_and_a_bad_one_keeps_it():
    at = demo_app()
    assert not at.exception
    rec = recommendations(run_analysis(load_inputs(), list_profiles()[PROFILE]))
    area = next(a for a in rec.areas.index if rec.areas.loc[a, FOCUS])
    at.selectbox(key="area").set_value(area).run()
    shipped = DEFAULT_ORGANISATION.read_text(encoding="utf-8")
    assert all(w in _card_text(at) for w in _lead_words(area, rec, shipped))
    shown = " ".join(md_source(m.value) for m in at.markdown)
    assert f"Används: {DEFAULT_TITLES[ORGANISATION]}" in shown

    _upload(at, ORGANISATION, "exempelby.toml", OTHER.encode("utf-8"))
    assert not at.exception and not at.error, [md_source(e.value) for e in at.error]
    text = _card_text(at)
    want = _lead_words(area, rec, OTHER)
    assert want and all(w in text for w in want)
    assert not any(w in text for w in _lead_words(area, rec, shipped) if w not in want)
    shown = " ".join(md_source(m.value) for m in at.markdown)
    assert f"Används: exempelby.toml ({tomllib.loads(OTHER)['kommun']})" in shown

    bad = OTHER.replace('leder = "UTB"', 'leder = "ABC"', 1).encode("utf-8")
    _upload(at, ORGANISATION, "fel.toml", bad)
    assert not at.exception
    message = " ".join(md_source(e.value) for e in at.error)
    assert "Organisationsfilen lästes inte in" in message
    assert "fil 'fel.toml'" in message and "nyckel 'domaner.psykisk_ohalsa.leder'" in message
    assert all(w in _card_text(at) for w in want)       # the previous choice stays

    next(b for b in at.button if b.key == "organisation_default").click().run()
    assert not at.exception
    # a new, empty uploader: the old one listed the file no longer in use
    assert [u.key for u in at.file_uploader if u.key.startswith("organisation_file_")] == [
        "organisation_file_1"]
    assert all(w in _card_text(at) for w in _lead_words(area, rec, shipped))
