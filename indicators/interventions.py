"""Examples of evaluated interventions, per domain of the ranking and prevention level.

A catalogue (``data/interventions/insatser.toml`` by default) lists interventions a kommun may
consider. Every entry names its public source: the organisation, the title of the page or
report, its address (https) and what the source says about the intervention, in one or two
sentences faithful to it, with the date it was checked. **An entry without a source is not
taken in** ("en insats utan källa tas inte med"): the catalogue holds what can be checked,
never a guess.

Prevention levels (:data:`LEVELS`) follow the usual Swedish public-health terms:

- *universell*: for everyone in a group (all parents, all pupils of a school);
- *selektiv*: for groups at raised risk;
- *indikerad*: for individuals who already show the problem.

The catalogue is the kommun's to edit and a starting point, never a prescription. It keeps
that sentence (:attr:`InterventionCatalogue.notice`, :data:`DEFAULT_NOTICE` unless the file
gives its own) so that it is shown wherever the catalogue is used.

:func:`catalogue_from_dict` builds the model from a parsed TOML table (the reader,
``geo.io.interventions.read_interventions``, opens and parses the file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from indicators.columns import DOMAINS
from indicators.errors import InterventionCatalogueError, Problems

FORMAT_KEY = "prevmap_insatser"
FORMAT_VERSION = 1

LEVELS: dict[str, str] = {
    "universell": "Universell (för alla)",
    "selektiv": "Selektiv (för grupper med förhöjd risk)",
    "indikerad": "Indikerad (för den som redan visar problemet)",
}

DEFAULT_NOTICE = ("Katalogen är kommunens att ändra. Den är en utgångspunkt, aldrig en "
                  "föreskrift: insatserna är exempel med sina källor, och valet av insats "
                  "görs av kommunen utifrån områdets behov och förutsättningar.")

NO_SOURCE = "en insats utan källa tas inte med"

_SOURCE_KEYS = ("kalla_organisation", "kalla_titel", "kalla_url", "kallan_sager",
                "kontrollerad")
_ENTRY_KEYS = {"namn", "domaner", "niva", *_SOURCE_KEYS}
_TOP_KEYS = {FORMAT_KEY, "forbehall", "insats"}


@dataclass(frozen=True)
class Intervention:
    """One evaluated intervention with its public source."""

    name: str
    domains: tuple[str, ...]
    level: str
    source_organisation: str
    source_title: str
    url: str
    source_says: str
    checked: dt.date

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]


@dataclass(frozen=True)
class InterventionCatalogue:
    """The interventions, in the file's order, and the notice to show with them."""

    interventions: tuple[Intervention, ...]
    notice: str = DEFAULT_NOTICE
    source: str | None = None

    def for_domain(self, domain: str, level: str | None = None) -> tuple[Intervention, ...]:
        """The interventions for ``domain`` (a key of :data:`DOMAINS`), at ``level`` (a key
        of :data:`LEVELS`) or at every level when it is None, in the catalogue's order. An
        empty answer means the catalogue has no example, never that nothing can be done."""
        problems = Problems(InterventionCatalogueError, self.source)
        if domain not in DOMAINS:
            problems.add("okänd domän.", column="domän", values=[domain],
                         expected=", ".join(DOMAINS))
        if level is not None and level not in LEVELS:
            problems.add("okänd preventionsnivå.", column="nivå", values=[level],
                         expected=", ".join(LEVELS))
        problems.raise_if_any()
        return tuple(i for i in self.interventions
                     if domain in i.domains and (level is None or i.level == level))


def _entry(entry: object, where: str, problems: Problems) -> Intervention | None:
    if not isinstance(entry, Mapping):
        problems.add("ska vara en tabell [[insats]].", column=where)
        return None
    name = entry.get("namn")
    label = f"{where} ({name})" if isinstance(name, str) and name.strip() else where
    count = len(problems)
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        problems.add("okända nycklar.", column=label, values=unknown,
                     expected=", ".join(sorted(_ENTRY_KEYS)))
    if not isinstance(name, str) or not name.strip():
        problems.add("insatsen saknar namn.", column=label, fix='skriv namn = "…"')
    missing = [k for k in _SOURCE_KEYS
               if k not in entry or (isinstance(entry[k], str) and not entry[k].strip())]
    if missing:
        problems.add(f"{NO_SOURCE}: källan saknas eller är tom.", column=label,
                     values=missing,
                     fix="ange organisation, titel, adress (https), vad källan säger och "
                         "datum då den kontrollerades, eller ta bort insatsen")
    url = entry.get("kalla_url")
    if "kalla_url" not in missing and (not isinstance(url, str)
                                       or not url.startswith("https://")):
        problems.add("källans adress ska börja med https://.", column=f"{label}.kalla_url",
                     values=[url], fix="skriv sidans fullständiga adress")
    checked = entry.get("kontrollerad")
    if "kontrollerad" not in missing and (not isinstance(checked, dt.date)
                                          or isinstance(checked, dt.datetime)):
        problems.add("ska vara ett datum utan citattecken.", column=f"{label}.kontrollerad",
                     values=[checked], fix="skriv till exempel kontrollerad = 2026-12-06")
    for key in ("kalla_organisation", "kalla_titel", "kallan_sager"):
        if key not in missing and not isinstance(entry[key], str):
            problems.add("ska vara en text.", column=f"{label}.{key}", values=[entry[key]])
    domains = entry.get("domaner")
    if isinstance(domains, str):
        domains = [domains]
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str)
                                                                for d in domains):
        problems.add("insatsen ska ha minst en domän, som en lista med text.",
                     column=f"{label}.domaner", values=[] if domains is None else [domains],
                     expected=", ".join(DOMAINS), fix='skriv domaner = ["kriminalitet"]')
        domains = []
    bad = [d for d in domains if d not in DOMAINS]
    if bad:
        problems.add("okänd domän.", column=f"{label}.domaner", values=bad,
                     expected=", ".join(DOMAINS))
    level = entry.get("niva")
    if level not in LEVELS:
        problems.add("okänd preventionsnivå." if level is not None
                     else "preventionsnivån saknas.", column=f"{label}.niva",
                     values=[] if level is None else [level], expected=", ".join(LEVELS))
    if len(problems) > count:
        return None
    return Intervention(name=name.strip(), domains=tuple(domains), level=str(level),
                        source_organisation=entry["kalla_organisation"].strip(),
                        source_title=entry["kalla_titel"].strip(), url=url,
                        source_says=entry["kallan_sager"].strip(), checked=checked)


def catalogue_from_dict(data: Mapping[str, Any],
                        source: str | None = None) -> InterventionCatalogue:
    """Build and validate an :class:`InterventionCatalogue` from a parsed catalogue file.

    Every problem is reported together, each naming the entry (its number and name), the
    key, the value and how to fix it; an entry without its source is refused with
    "en insats utan källa tas inte med"."""
    problems = Problems(InterventionCatalogueError, source)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        problems.add("okända nycklar.", values=unknown, expected=", ".join(sorted(_TOP_KEYS)))
    version = data.get(FORMAT_KEY)
    if version != FORMAT_VERSION:
        problems.add("filen säger inte vilket format den har." if version is None
                     else "okänd formatversion.", column=FORMAT_KEY,
                     values=[] if version is None else [version], expected=str(FORMAT_VERSION),
                     fix=f"skriv {FORMAT_KEY} = {FORMAT_VERSION} först i filen")
    notice = data.get("forbehall", DEFAULT_NOTICE)
    if not isinstance(notice, str) or not notice.strip():
        problems.add("förbehållet ska vara en text som inte är tom: katalogen visas aldrig "
                     "som en föreskrift.", column="forbehall",
                     fix="ta bort nyckeln för standardtexten, eller skriv en egen")
        notice = DEFAULT_NOTICE
    entries = data.get("insats", [])
    if not isinstance(entries, list):
        problems.add("insatserna ska skrivas som [[insats]].", column="insats")
        entries = []
    interventions = [_entry(e, f"insats {n}", problems) for n, e in enumerate(entries, 1)]
    names = [i.name for i in interventions if i is not None]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        problems.add("samma insats finns flera gånger.", column="insats", values=twice,
                     fix="slå ihop posterna, eller ge dem olika namn")
    problems.raise_if_any()
    return InterventionCatalogue(tuple(i for i in interventions if i is not None),
                                 notice=notice.strip(), source=source)

