"""Who may edit plans (plans.access) and the team mode's settings (plans.team): the pure
decisions, and every bad setting refused with a Swedish message naming the key and the fix."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from plans.access import (
    EDITOR,
    READER,
    Roles,
    is_local_host,
    local_account,
    role_for,
    team_account,
    who_for,
)
from plans.team import (
    TeamConfigError,
    read_team_config,
    secrets_toml,
    streamlit_command,
    write_secrets,
)

ROLES = Roles(editors=("anna@huddinge.se",), claims=(("groups", ("prevmap-red",)),))
SECRET = "x" * 40
GOOD = f"""
[database]
url = "sqlite:////tmp/plans.sqlite"

[team]
address = "0.0.0.0"
port = 8600

[team.auth]
redirect_uri = "https://prevmap.kommun.se/oauth2callback"
cookie_secret = "{SECRET}"
client_id = "prevmap"
client_secret = "hemligt"
server_metadata_url = "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration"

[team.roles]
editors = ["anna@huddinge.se"]
claims = {{ groups = ["prevmap-red"] }}
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prevmap.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- roles ---------------------------------------------------------------------------------

def test_an_editor_is_named_by_email_whatever_its_case():
    assert role_for({"email": " Anna@Huddinge.SE ", "sub": "1"}, ROLES) == EDITOR


def test_a_group_claim_makes_an_editor_and_a_single_value_claim_too():
    assert role_for({"email": "bo@huddinge.se", "groups": ["x", "prevmap-red"]}, ROLES) == EDITOR
    assert role_for({"groups": "prevmap-red"}, ROLES) == EDITOR


def test_everyone_else_only_reads():
    assert role_for({"email": "bo@huddinge.se", "groups": ["x"]}, ROLES) == READER
    assert role_for({"name": "anna@huddinge.se"}, ROLES) == READER   # a name is no e-mail
    assert role_for({"email": ["anna@huddinge.se"]}, ROLES) == READER
    assert role_for({}, ROLES) == READER
    assert role_for({"email": "anna@huddinge.se"}, Roles()) == READER


def test_the_audit_name_is_the_email_then_user_name_name_subject():
    assert who_for({"email": "anna@huddinge.se", "name": "Anna", "sub": "s"}) == \
        "anna@huddinge.se"
    assert who_for({"preferred_username": "anna@h.se", "name": "Anna"}) == "anna@h.se"
    assert who_for({"name": "Anna A", "sub": "s"}) == "Anna A"
    assert who_for({"sub": "abc"}) == "abc"
    assert who_for({}) == ""


def test_team_accounts_are_verified_and_local_ones_typed():
    account = team_account({"email": "bo@huddinge.se"}, ROLES)
    assert (account.who, account.role, account.verified, account.can_edit) == \
        ("bo@huddinge.se", READER, True, False)
    local = local_account("  Anna ")
    assert (local.who, local.can_edit, local.verified) == ("Anna", True, False)


# -- settings ------------------------------------------------------------------------------

def test_the_team_settings_are_read(tmp_path):
    config = read_team_config(_file(tmp_path, GOOD))
    assert (config.address, config.port) == ("0.0.0.0", 8600)
    assert config.roles == ROLES
    assert config.auth["client_id"] == "prevmap"


def test_no_team_table_is_local_mode_unless_team_mode_was_asked_for(tmp_path):
    path = _file(tmp_path, '[database]\nurl = "sqlite:////tmp/x"\n')
    assert read_team_config(path) is None
    assert read_team_config(tmp_path / "saknas.toml") is None
    with pytest.raises(TeamConfigError, match=r"tabellen \[team\] saknas.*Åtgärd: lägg till"):
        read_team_config(path, required=True)
    with pytest.raises(TeamConfigError, match=r"saknas\.toml': inställningsfilen finns inte"):
        read_team_config(tmp_path / "saknas.toml", required=True)


def test_defaults_listen_on_localhost_behind_a_proxy(tmp_path):
    text = GOOD.replace('address = "0.0.0.0"\nport = 8600\n', "")
    config = read_team_config(_file(tmp_path, text))
    assert (config.address, config.port) == ("127.0.0.1", 8501)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('address = "0.0.0.0"', 'address = "alla"',
     r"nyckel '\[team\] address': adressen ska vara en IP-adress.*'alla'"),
    ("port = 8600", "port = 80000", r"nyckel '\[team\] port'.*80000.*port = 8501"),
    ('client_id = "prevmap"\n', "", r"'\[team.auth\]': nycklar saknas\. Värden: 'client_id'"),
    ("client_id", "clientid", r"okända nycklar\. Värden: 'clientid'"),
    (f'cookie_secret = "{SECRET}"', 'cookie_secret = "kort"',
     r"cookie_secret': är för kort \(4 tecken\).*secrets.token_urlsafe"),
    ("https://prevmap.kommun.se/oauth2callback", "http://prevmap.kommun.se/oauth2callback",
     r"redirect_uri': inloggningen skulle gå okrypterad.*Åtgärd: använd https"),
    ("https://prevmap.kommun.se/oauth2callback", "https://prevmap.kommun.se/",
     r"redirect_uri': ska sluta på /oauth2callback"),
    ('server_metadata_url = "https://', 'server_metadata_url = "ftp://',
     r"server_metadata_url': ska vara en fullständig adress"),
    ('editors = ["anna@huddinge.se"]', 'editors = "anna@huddinge.se"',
     r"editors': ska vara en lista med e-postadresser.*editors = \[\"anna@kommun.se\""),
    ('groups = ["prevmap-red"]', 'groups = "prevmap-red"',
     r"claims.groups': ska vara en lista med texter"),
    ('client_secret = "hemligt"', "client_secret = 7",
     r"client_secret': ska vara en text\. Åtgärd"),   # the value (a secret) is not shown
])
def test_bad_team_settings_name_the_key_and_the_fix(tmp_path, old, new, message):
    assert old in GOOD
    with pytest.raises(TeamConfigError, match=message):
        read_team_config(_file(tmp_path, GOOD.replace(old, new)))


def test_every_problem_is_named_at_once(tmp_path):
    text = GOOD.replace("port = 8600", 'port = "8600"').replace("client_id", "klient")
    with pytest.raises(TeamConfigError, match=r"3 problem\.\n1\..*port.*\n2\..*klient"):
        read_team_config(_file(tmp_path, text))


def test_a_secret_is_never_shown_in_an_error(tmp_path):
    with pytest.raises(TeamConfigError, match="cookie_secret': är för kort") as err:
        read_team_config(_file(tmp_path, GOOD.replace(SECRET, "hemlig-kaka")))
    assert "hemlig-kaka" not in str(err.value)


def test_the_secrets_file_is_streamlits_auth_and_private(tmp_path):
    config = read_team_config(_file(tmp_path, GOOD))
    secrets = tomllib.loads(secrets_toml(config))
    assert secrets == {"auth": config.auth}
    path = write_secrets(config, tmp_path / "hemligt")
    assert tomllib.loads(path.read_text("utf-8")) == secrets
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    command = streamlit_command("python", Path("app.py"), config, path)
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--secrets.files") + 1] == str(path)


@pytest.mark.parametrize("host", [None, "localhost:8501", "LOCALHOST", "127.0.0.1:8501",
                                  "[::1]:8501", "localhost"])
def test_this_computer_is_local(host):
    assert is_local_host(host)


@pytest.mark.parametrize("host", ["evil.example:8501", "localhost.evil.example", "10.0.0.5",
                                  "127.0.0.1.nip.io:8501", "[::1", "", "0.0.0.0:8501"])
def test_another_name_is_not_local_whatever_it_resolves_to(host):
    assert not is_local_host(host)
