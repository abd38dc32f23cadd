"""Who may do what with the åtgärdsplaner: a pure decision from an identity and the roles.

    roles = Roles(editors=("anna@huddinge.se",), claims=(("groups", ("prevmap-red",)),))
    role_for({"email": "Anna@Huddinge.se", "sub": "…"}, roles)   # "redigerare"
    role_for({"email": "bo@huddinge.se"}, roles)                   # "läsare"
    who_for({"email": "anna@huddinge.se", "name": "Anna A"})       # "anna@huddinge.se"

An identity is the claims of a verified ID token (``st.user`` in team mode, as a mapping).
Everyone logged in may read; an editor is named by e-mail in ``editors`` (compared without
regard to case) or holds one of the listed values in a claim of the token (``groups`` or
``roles`` from Microsoft Entra ID). Nothing else makes an editor: a token without an e-mail
or those claims reads. The audit trail's "who" is the token's e-mail, else its
``preferred_username``, name or subject: the identity provider vouches for it, nobody types it.

In local mode (no login, the app on 127.0.0.1 only) the one user edits and names himself;
:func:`local_account` says that the name is typed, not verified. Listening on 127.0.0.1 is
not enough against a web page whose own host name its DNS turns into 127.0.0.1 (DNS
rebinding): the browser then sends that name as ``Host``, and :func:`is_local_host` refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

READER = "läsare"
EDITOR = "redigerare"
#: Claims that name a person, most specific first: the audit trail's "who".
WHO_CLAIMS = ("email", "preferred_username", "name", "sub")
#: The names of this computer a browser uses for an app on 127.0.0.1.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Roles:
    """Who edits: e-mail addresses, and claim → values that make an editor."""

    editors: tuple[str, ...] = ()
    claims: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Account:
    """The user of one session: the name written to the audit trail and his role.
    ``verified``: the name comes from an identity provider, not typed by the user."""

    who: str
    role: str
    verified: bool

    @property
    def can_edit(self) -> bool:
        return self.role == EDITOR


def _values(claim: Any) -> tuple[str, ...]:
    """A claim as strings: a list of groups/roles, or one value."""
    if isinstance(claim, str):
        return (claim,)
    if isinstance(claim, list | tuple):
        return tuple(str(v) for v in claim)
    return ()


def role_for(identity: Mapping[str, Any], roles: Roles) -> str:
    """:data:`EDITOR` if the identity's e-mail is in ``roles.editors`` or one of its claims
    holds a listed value, otherwise :data:`READER`."""
    email = identity.get("email")
    if isinstance(email, str) and email.strip().casefold() in {
            e.strip().casefold() for e in roles.editors}:
        return EDITOR
    for claim, wanted in roles.claims:
        if set(_values(identity.get(claim))) & set(wanted):
            return EDITOR
    return READER


def who_for(identity: Mapping[str, Any]) -> str:
    """The identity's name for the audit trail: e-mail, user name, name or subject."""
    for claim in WHO_CLAIMS:
        value = identity.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def team_account(identity: Mapping[str, Any], roles: Roles) -> Account:
    """The account of a user logged in through the identity provider."""
    return Account(who_for(identity), role_for(identity, roles), verified=True)


def local_account(typed_name: str) -> Account:
    """The one user of a local app: he edits, under the name he typed (unverified)."""
    return Account(typed_name.strip(), EDITOR, verified=False)


def is_local_host(host: str | None) -> bool:
    """Whether a request's ``Host`` header names this computer (``localhost``, 127.0.0.1 or
    ::1, any port). No header (not a browser, e.g. a test) counts as local."""
    if host is None:
        return True
    try:
        name = urlsplit("//" + host.strip()).hostname
    except ValueError:
        return False
    return name in LOCAL_HOSTS
