"""Who uses the app: in team mode a login (Streamlit's st.login, OpenID Connect) before
anything is shown, and the role from :mod:`plans.access`; locally the one user, unverified.

Team mode is on when ``prevmap serve`` started the server (it sets
:data:`plans.team.ENV_TEAM`); the roles are read again on every run, so that the account
of each write is decided by the identity and the settings as they are at that moment.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import streamlit as st

from geo.export.text import md_text
from plans.access import EDITOR, Account, is_local_host, local_account, team_account
from plans.team import ENV_TEAM, TeamConfig, TeamConfigError, read_team_config

ROLE_NAMES = {EDITOR: "får ändra planerna"}


def team_config() -> TeamConfig | None:
    """The team's settings where the server runs in team mode, else None. The file is read
    again only when it has changed (a page run asks for the account several times)."""
    path = os.environ.get(ENV_TEAM)
    if not path:
        return None
    try:
        info = os.stat(path)
        version = (info.st_mtime_ns, info.st_size)
    except OSError:
        version = None               # read_team_config says what is wrong with the path
    return _read_team_config(path, version)


@functools.lru_cache(maxsize=4)
def _read_team_config(path: str, version: tuple[int, int] | None) -> TeamConfig:
    del version                      # part of the key only: a changed file is read again
    return read_team_config(Path(path), required=True)


def _logged_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def require_login() -> None:
    """In team mode: stop the page until the user has logged in (nothing of the app is
    shown before), then show who he is and a logout button. Locally: nothing."""
    try:
        config = team_config()
    except TeamConfigError as err:   # fail closed: no team settings, no app
        st.error(str(err))
        st.stop()
    if config is None:
        host = st.context.headers.get("Host")
        if not is_local_host(host):   # a page on another site, its name turned to 127.0.0.1
            st.error(f"prevmap utan inloggning (lokalt läge) svarar bara på localhost, inte "
                     f"på {md_text(host)}. Öppna http://localhost:8501 på den "
                     "här datorn, eller starta teamläget med inloggning (make team, se "
                     "README) för att dela appen.")
            st.stop()
        return
    if not _logged_in():
        st.info("prevmap körs i teamläge: logga in med ditt konto i kommunen för att se "
                "kartor, data och åtgärdsplaner.")
        if st.button("Logga in", type="primary"):
            st.login()
        st.stop()
    account = team_account(st.user.to_dict(), config.roles)
    with st.sidebar:
        role = ROLE_NAMES.get(account.role, "läser planerna")
        st.caption(f"Inloggad som {md_text(account.who)} ({role}).")
        if st.button("Logga ut", key="logout"):
            st.logout()


def current_account() -> Account:
    """The account this run writes as: from the identity in team mode (a reader if not
    logged in), from the typed name locally."""
    config = team_config()
    if config is None:
        return local_account(str(st.session_state.get("plan_who") or ""))
    identity = st.user.to_dict() if _logged_in() else {}
    return team_account(identity, config.roles)
