"""Team mode: the app for several people, each logged in through the kommun's identity
provider (OpenID Connect), read by everyone, edited by the editors.

The settings are the table ``[team]`` of prevmap's settings file (:func:`plans.store.
settings_path`, the same file as ``[database]``)::

    [team]
    address = "127.0.0.1"      # interface to listen on (127.0.0.1 behind a reverse proxy)
    port = 8501

    [team.auth]                # Streamlit's st.login, see README "Team mode"
    redirect_uri = "https://prevmap.kommun.se/oauth2callback"
    cookie_secret = "…"        # 32 characters or more, random
    client_id = "…"
    client_secret = "…"
    server_metadata_url = "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"

    [team.roles]               # everyone logged in reads; these edit the plans
    editors = ["anna@huddinge.se"]
    claims = { groups = ["<group object id>"] }

:func:`read_team_config` checks all of it and raises one :class:`TeamConfigError` naming
every bad key and its fix. ``prevmap serve`` (:mod:`geo.cli`) writes ``[team.auth]`` as
Streamlit's ``[auth]`` secrets (:func:`secrets_toml`) into a private file that lives while
the server runs, and starts Streamlit with :func:`streamlit_command`; the app then reads
the roles again on every run (:data:`ENV_TEAM`), so a changed list needs no restart.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import tomli_w

from indicators.errors import PrevmapError, Problems
from plans.access import Roles

#: Set by ``prevmap serve`` for the app: the settings file whose ``[team]`` it runs.
ENV_TEAM = "PREVMAP_TEAM"
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
AUTH_REQUIRED = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
                 "server_metadata_url")
AUTH_OPTIONAL = ("client_kwargs",)
MIN_COOKIE_SECRET = 32
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
NEW_SECRET = "python -c \"import secrets; print(secrets.token_urlsafe(32))\""


class TeamConfigError(PrevmapError):
    """The ``[team]`` settings cannot be used to start or run team mode."""

    title = "Fel i inställningarna för teamläget"
    column_word = "nyckel"


@dataclass(frozen=True)
class TeamConfig:
    """Where the team's server listens, its identity provider and who edits."""

    address: str = DEFAULT_ADDRESS
    port: int = DEFAULT_PORT
    auth: dict[str, Any] = field(default_factory=dict, compare=False)
    roles: Roles = Roles()
    source: str = ""


def read_team_config(path: Path, *, required: bool = False) -> TeamConfig | None:
    """The ``[team]`` table of the TOML file ``path``, checked; None where the file or the
    table is missing (an error if ``required``: team mode was asked for)."""
    problems = Problems(TeamConfigError, str(path))
    if not path.is_file():
        if not required:
            return None
        problems.add("inställningsfilen finns inte.",
                     fix="skapa filen med tabellen [team] (se README, 'Team mode'), eller "
                         "ange en annan fil med miljövariabeln PREVMAP_CONFIG")
        problems.raise_if_any()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise TeamConfigError(f"fil '{path}': inställningsfilen kan inte läsas: {err}. "
                              "Åtgärd: rätta filen (TOML, UTF-8).") from err
    team = data.get("team")
    if team is None:
        if required:
            problems.add("tabellen [team] saknas.", column="[team]",
                         fix="lägg till [team], [team.auth] och [team.roles] (se README, "
                             "'Team mode')")
            problems.raise_if_any()
        return None
    if not isinstance(team, dict):
        problems.add("ska vara en tabell.", column="team", expected="[team]",
                     fix="skriv [team] på en egen rad med nycklarna under")
        problems.raise_if_any()
    _unknown(problems, "team", team, ("address", "port", "auth", "roles"))
    address = _address(problems, team.get("address", DEFAULT_ADDRESS))
    port = team.get("port", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.add("porten ska vara ett heltal 1–65535.", column="[team] port",
                     values=[port], fix="skriv t.ex. port = 8501")
    auth = _auth(problems, team.get("auth"))
    roles = _roles(problems, team.get("roles", {}))
    problems.raise_if_any()
    return TeamConfig(address, port, auth, roles, str(path))


def _unknown(problems: Problems, table: str, values: dict, known: tuple[str, ...]) -> None:
    unknown = [k for k in values if k not in known]
    if unknown:
        problems.add("okända nycklar.", column=f"[{table}]", values=unknown,
                     expected=", ".join(known), fix="rätta stavningen eller ta bort dem")


def _address(problems: Problems, value: object) -> str:
    try:
        return str(ipaddress.ip_address(value))   # type: ignore[arg-type]
    except ValueError:
        problems.add("adressen ska vara en IP-adress för ett nätverksgränssnitt.",
                     column="[team] address", values=[value],
                     expected="\"127.0.0.1\" bakom en omvänd proxy, eller \"0.0.0.0\" för "
                              "alla gränssnitt",
                     fix="skriv address = \"127.0.0.1\"")
        return DEFAULT_ADDRESS


def _url(problems: Problems, key: str, value: object, *, callback: bool = False) -> None:
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        problems.add("ska vara en fullständig adress.", column=f"[team.auth] {key}",
                     values=[value], expected="https://…", fix="skriv hela adressen")
        return
    if parsed.scheme == "http" and parsed.hostname not in LOCAL_HOSTS:
        problems.add("inloggningen skulle gå okrypterad över nätet.",
                     column=f"[team.auth] {key}", values=[value], expected="https://…",
                     fix="använd https (en omvänd proxy med TLS, se README)")
    if callback and not parsed.path.endswith("/oauth2callback"):
        problems.add("ska sluta på /oauth2callback (Streamlits inloggningssvar).",
                     column=f"[team.auth] {key}", values=[value],
                     expected="https://prevmap.kommun.se/oauth2callback",
                     fix="samma adress här och hos identitetsleverantören")


def _auth(problems: Problems, auth: object) -> dict[str, Any]:
    if not isinstance(auth, dict):
        problems.add("tabellen för inloggning saknas." if auth is None else
                     "ska vara en tabell.", column="[team.auth]",
                     expected=", ".join(AUTH_REQUIRED),
                     fix="lägg till [team.auth] med uppgifterna från identitetsleverantören "
                         "(se README, 'Team mode')")
        return {}
    _unknown(problems, "team.auth", auth, AUTH_REQUIRED + AUTH_OPTIONAL)
    missing = [k for k in AUTH_REQUIRED if k not in auth]
    if missing:
        problems.add("nycklar saknas.", column="[team.auth]", values=missing,
                     fix="lägg till dem (se README, 'Team mode')")
    for key in AUTH_REQUIRED:
        value = auth.get(key)
        if key in auth and (not isinstance(value, str) or not value.strip()):
            problems.add("ska vara en text.", column=f"[team.auth] {key}",
                         values=[] if key.endswith("secret") else [value],
                         fix=f"skriv {key} = \"…\"")
    if isinstance(auth.get("redirect_uri"), str):
        _url(problems, "redirect_uri", auth["redirect_uri"], callback=True)
    if isinstance(auth.get("server_metadata_url"), str):
        _url(problems, "server_metadata_url", auth["server_metadata_url"])
    secret = auth.get("cookie_secret")
    if isinstance(secret, str) and secret.strip() and len(secret) < MIN_COOKIE_SECRET:
        problems.add(f"är för kort ({len(secret)} tecken): den som gissar den kan förfalska "
                     "inloggningar.", column="[team.auth] cookie_secret",
                     expected=f"minst {MIN_COOKIE_SECRET} slumpmässiga tecken",
                     fix=f"skapa en med {NEW_SECRET}")
    if "client_kwargs" in auth and not isinstance(auth["client_kwargs"], dict):
        problems.add("ska vara en tabell.", column="[team.auth] client_kwargs",
                     fix="skriv client_kwargs = { prompt = \"login\" } eller ta bort den")
    return auth


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    return None


def _roles(problems: Problems, roles: object) -> Roles:
    if not isinstance(roles, dict):
        problems.add("ska vara en tabell.", column="[team.roles]",
                     fix="skriv [team.roles] med editors = [\"namn@kommun.se\"]")
        return Roles()
    _unknown(problems, "team.roles", roles, ("editors", "claims"))
    editors = _strings(roles.get("editors", []))
    if editors is None:
        problems.add("ska vara en lista med e-postadresser.", column="[team.roles] editors",
                     values=[roles.get("editors")],
                     fix="skriv editors = [\"anna@kommun.se\", \"bo@kommun.se\"]")
    claims = roles.get("claims", {})
    pairs: list[tuple[str, tuple[str, ...]]] = []
    if not isinstance(claims, dict):
        problems.add("ska vara en tabell: anspråk → värden.", column="[team.roles] claims",
                     values=[claims], fix="skriv claims = { groups = [\"…\"] }")
    else:
        for claim, wanted in claims.items():
            values = _strings(wanted)
            if values is None:
                problems.add("ska vara en lista med texter.",
                             column=f"[team.roles] claims.{claim}", values=[wanted],
                             fix=f"skriv {claim} = [\"…\"]")
            else:
                pairs.append((claim, values))
    return Roles(editors or (), tuple(pairs))


def secrets_toml(config: TeamConfig) -> str:
    """Streamlit's secrets for st.login: ``[team.auth]`` as ``[auth]``."""
    return tomli_w.dumps({"auth": config.auth})


def write_secrets(config: TeamConfig, folder: Path) -> Path:
    """``secrets.toml`` for Streamlit in ``folder`` (made private to this user), readable
    and writable by this user only."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = folder / "secrets.toml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets_toml(config))
    path.chmod(0o600)
    return path


def streamlit_command(python: str, app: Path, config: TeamConfig,
                      secrets: Path) -> list[str]:
    """The command that serves ``app`` in team mode: on the team's address and port, with
    the secrets in ``secrets`` only (no other secrets.toml is read)."""
    return [python, "-m", "streamlit", "run", str(app),
            "--server.address", config.address, "--server.port", str(config.port),
            "--secrets.files", str(secrets)]


def readable_by_others(path: Path) -> bool:
    """Whether the settings file (which holds the client secret) can be read by others."""
    return os.name == "posix" and bool(path.stat().st_mode & 0o077)
