"""Who leads and who takes part: the kommun's organisation for prevention, per domain.

The organisation is data, not method: a kommun describes its förvaltningar (``Unit``), its
partners outside the kommun (``Partner``: the police, the region, housing companies) and, for
every domain of the ranking (:data:`indicators.columns.DOMAINS`), which förvaltning leads,
which take part and which partners join, with the reason in one sentence. The default is
Huddinge's structure from the decision KS-2019/3209 (``data/organisation/huddinge.toml``);
another kommun replaces the file.

Rules, checked once and reported together (:class:`indicators.errors.OrganisationError`):

- every domain of the ranking has exactly one lead, and no other key names a domain;
- a lead and the participants are förvaltningar of the file, partners are partners of it;
- the lead does not also stand among the participants, and no id is used twice;
- the coordinating förvaltning (``samordnar``) is one of the file's förvaltningar.

:func:`organisation_from_dict` builds the model from a parsed TOML table (the reader,
``geo.io.organisation.read_organisation``, opens and parses the file); it refuses unknown keys,
as geopandas refuses unknown options, so that a misspelt key is never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from indicators.columns import DOMAINS
from indicators.errors import OrganisationError, Problem, Problems

FORMAT_KEY = "prevmap_organisation"
FORMAT_VERSION = 1

_TOP_KEYS = {FORMAT_KEY, "kommun", "beskrivning", "samordnar", "forvaltningar", "partner",
             "domaner"}
_MEMBER_KEYS = {"namn", "uppgifter"}
_ROLE_KEYS = {"leder", "deltar", "partner", "motivering"}


@dataclass(frozen=True)
class Unit:
    """A förvaltning of the kommun: its short id (``SOF``), name and what it does."""

    id: str
    name: str
    tasks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partner:
    """A partner outside the kommun (``lokalpolisomradet``): id, name and what it does."""

    id: str
    name: str
    tasks: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainRoles:
    """For one domain: the lead förvaltning's id, the participants' and partners' ids, and
    the reason for the choice in one sentence."""

    domain: str
    lead: str
    participants: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Organisation:
    """A kommun's organisation for prevention; validated at construction."""

    kommun: str
    units: tuple[Unit, ...]
    partners: tuple[Partner, ...]
    roles: tuple[DomainRoles, ...]
    coordinator: str | None = None
    description: str = ""
    source: str | None = None

    def __post_init__(self) -> None:
        problems = Problems(OrganisationError, self.source)
        unit_ids = [u.id for u in self.units]
        partner_ids = [p.id for p in self.partners]
        for kind, ids in (("förvaltning", unit_ids), ("partner", partner_ids)):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                problems.add(f"samma {kind} finns flera gånger.", values=twice,
                             fix="ge varje förvaltning och partner ett eget id")
        both = sorted(set(unit_ids) & set(partner_ids))
        if both:
            problems.add("samma id är både förvaltning och partner.", values=both,
                         fix="ge partnern ett annat id")
        if not self.units:
            problems.add("filen har inga förvaltningar.", column="forvaltningar",
                         fix="lägg till minst en tabell [forvaltningar.<id>] med namn")
        if self.coordinator is not None and self.coordinator not in unit_ids:
            problems.add("den samordnande förvaltningen finns inte bland förvaltningarna.",
                         column="samordnar", values=[self.coordinator],
                         expected=", ".join(unit_ids) or "en förvaltning i filen",
                         fix="skriv id:t för en av förvaltningarna i [forvaltningar]")
        seen = [r.domain for r in self.roles]
        unknown = sorted({d for d in seen if d not in DOMAINS})
        if unknown:
            problems.add("okänd domän.", column="domaner", values=unknown,
                         expected=", ".join(DOMAINS),
                         fix="använd rangordningens domännycklar")
        twice = sorted({d for d in seen if seen.count(d) > 1})
        if twice:
            problems.add("domänen har mer än en uppsättning roller.", column="domaner",
                         values=twice, fix="varje domän ska ha exakt en ledande förvaltning")
        missing = [d for d in DOMAINS if d not in seen]
        if missing:
            problems.add("domänen saknar en ledande förvaltning.", column="domaner",
                         values=missing,
                         expected="en tabell [domaner.<domän>] med leder = \"<förvaltning>\" "
                                  "för varje domän",
                         fix="lägg till tabellen för varje domän som saknas")
        for role in self.roles:
            key = f"domaner.{role.domain}"
            if role.lead not in unit_ids:
                problems.add("den ledande förvaltningen finns inte bland förvaltningarna.",
                             column=f"{key}.leder", values=[role.lead],
                             expected=", ".join(unit_ids),
                             fix="skriv id:t för en förvaltning i [forvaltningar]")
            strangers = [i for i in role.participants if i not in unit_ids]
            if strangers:
                problems.add("deltagarna ska vara förvaltningar i filen.",
                             column=f"{key}.deltar", values=strangers,
                             expected=", ".join(unit_ids),
                             fix="lägg till förvaltningen i [forvaltningar], eller skriv en "
                                 "partner under partner")
            if role.lead in role.participants:
                problems.add("den ledande förvaltningen står också bland deltagarna.",
                             column=f"{key}.deltar", values=[role.lead],
                             fix="ta bort den ur deltar")
            outsiders = [i for i in role.partners if i not in partner_ids]
            if outsiders:
                problems.add("partnern finns inte bland partnerna.", column=f"{key}.partner",
                             values=outsiders, expected=", ".join(partner_ids) or "inga",
                             fix="lägg till den i [partner], eller skriv en förvaltning under "
                                 "deltar")
        problems.raise_if_any()

    # -- lookups ----------------------------------------------------------------------
    def _roles(self, domain: str) -> DomainRoles:
        for role in self.roles:
            if role.domain == domain:
                return role
        raise _not_found(
            self.source, f"okänd domän '{domain}'.", ", ".join(DOMAINS))

    def unit(self, unit_id: str) -> Unit:
        """The förvaltning with this id."""
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise _not_found(
            self.source, f"okänd förvaltning '{unit_id}'.", ", ".join(u.id for u in self.units))

    def partner(self, partner_id: str) -> Partner:
        """The partner with this id."""
        for partner in self.partners:
            if partner.id == partner_id:
                return partner
        raise _not_found(
            self.source, f"okänd partner '{partner_id}'.",
            ", ".join(p.id for p in self.partners))

    def lead_for(self, domain: str) -> Unit:
        """The förvaltning that leads work on ``domain``."""
        return self.unit(self._roles(domain).lead)

    def participants_for(self, domain: str) -> tuple[Unit, ...]:
        """The förvaltningar that take part in work on ``domain`` (the lead not included)."""
        return tuple(self.unit(i) for i in self._roles(domain).participants)

    def partners_for(self, domain: str) -> tuple[Partner, ...]:
        """The partners outside the kommun that join work on ``domain``."""
        return tuple(self.partner(i) for i in self._roles(domain).partners)

    def reason_for(self, domain: str) -> str:
        """Why this förvaltning leads ``domain``, in one sentence (may be empty)."""
        return self._roles(domain).reason

    def leads(self, unit_id: str) -> tuple[str, ...]:
        """The domains the förvaltning leads, in the ranking's domain order."""
        self.unit(unit_id)
        order = list(DOMAINS)
        return tuple(sorted((r.domain for r in self.roles if r.lead == unit_id),
                            key=order.index))


def _not_found(source: str | None, message: str, expected: str) -> OrganisationError:
    """The error of a lookup with a key the organisation does not have."""
    return OrganisationError([Problem(message, source, expected=expected)])


def _text_list(value: object, key: str, problems: Problems) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.add("ska vara en lista med text.", column=key, values=[value],
                 fix=f'skriv till exempel {key.rsplit(".", 1)[-1]} = ["A", "B"]')
    return ()


def _text(value: object, key: str, problems: Problems, *, required: bool = True) -> str:
    if isinstance(value, str) and (value.strip() or not required):
        return value.strip()
    if value is None and not required:
        return ""
    problems.add("saknas eller är inte en text." if value is None else "ska vara en text.",
                 column=key, values=[] if value is None else [value],
                 fix=f'skriv {key.rsplit(".", 1)[-1]} = "…"')
    return ""


def _members(data: object, key: str, problems: Problems) -> list[tuple[str, str, tuple]]:
    if data is None:
        return []
    if not isinstance(data, Mapping):
        problems.add("ska vara tabeller, en per id.", column=key,
                     fix=f"skriv [{key}.<id>] med namn = \"…\"")
        return []
    found = []
    for member_id, entry in data.items():
        where = f"{key}.{member_id}"
        if not isinstance(entry, Mapping):
            problems.add("ska vara en tabell med namn och uppgifter.", column=where,
                         fix=f'skriv [{where}] och under den namn = "…"')
            continue
        unknown = sorted(set(entry) - _MEMBER_KEYS)
        if unknown:
            problems.add("okända nycklar.", column=where, values=unknown,
                         expected=", ".join(sorted(_MEMBER_KEYS)))
        name = _text(entry.get("namn"), f"{where}.namn", problems)
        tasks = _text_list(entry.get("uppgifter", []), f"{where}.uppgifter", problems)
        found.append((str(member_id), name, tasks))
    return found


def organisation_from_dict(data: Mapping[str, Any], source: str | None = None) -> Organisation:
    """Build and validate an :class:`Organisation` from a parsed organisation file.

    Every problem of the structure (unknown keys, wrong types, a missing name) and of the
    content (unknown domains, a lead that is not a förvaltning) is reported together, naming
    the key and the value and how to fix it."""
    problems = Problems(OrganisationError, source)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        problems.add("okända nycklar.", values=unknown, expected=", ".join(sorted(_TOP_KEYS)),
                     fix="ta bort eller stava om nycklarna")
    version = data.get(FORMAT_KEY)
    if version != FORMAT_VERSION:
        problems.add("filen säger inte vilket format den har." if version is None
                     else "okänd formatversion.", column=FORMAT_KEY,
                     values=[] if version is None else [version],
                     expected=str(FORMAT_VERSION),
                     fix=f"skriv {FORMAT_KEY} = {FORMAT_VERSION} först i filen")
    kommun = _text(data.get("kommun"), "kommun", problems)
    description = _text(data.get("beskrivning"), "beskrivning", problems, required=False)
    coordinator = data.get("samordnar")
    if coordinator is not None and not isinstance(coordinator, str):
        problems.add("ska vara en text.", column="samordnar", values=[coordinator])
        coordinator = None
    units = [Unit(i, n, t) for i, n, t in _members(data.get("forvaltningar"), "forvaltningar",
                                                   problems)]
    partners = [Partner(i, n, t) for i, n, t in _members(data.get("partner"), "partner",
                                                         problems)]
    roles = []
    domains = data.get("domaner")
    if not isinstance(domains, Mapping):
        problems.add("filen saknar domänernas roller.", column="domaner",
                     fix='lägg till en tabell [domaner.<domän>] med leder = "<förvaltning>" för '
                         "varje domän")
        domains = {}
    for domain, entry in domains.items():
        where = f"domaner.{domain}"
        if not isinstance(entry, Mapping):
            problems.add("ska vara en tabell med leder, deltar, partner och motivering.",
                         column=where)
            continue
        unknown = sorted(set(entry) - _ROLE_KEYS)
        if unknown:
            problems.add("okända nycklar.", column=where, values=unknown,
                         expected=", ".join(sorted(_ROLE_KEYS)))
        lead = entry.get("leder")
        if isinstance(lead, list):
            problems.add("en domän har exakt en ledande förvaltning.", column=f"{where}.leder",
                         values=lead, fix="skriv en av dem under leder och de andra under "
                                          "deltar")
            lead = ""
        else:
            lead = _text(lead, f"{where}.leder", problems)
        roles.append(DomainRoles(
            str(domain), lead,
            _text_list(entry.get("deltar", []), f"{where}.deltar", problems),
            _text_list(entry.get("partner", []), f"{where}.partner", problems),
            _text(entry.get("motivering"), f"{where}.motivering", problems, required=False)))
    problems.raise_if_any()
    return Organisation(kommun=kommun, units=tuple(units), partners=tuple(partners),
                        roles=tuple(roles), coordinator=coordinator, description=description,
                        source=source)
