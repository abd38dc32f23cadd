"""The indicator catalogue: what each indicator means and how to compute it.

One row per indicator. A rate indicator names its numerator and denominator
columns in the indicator table and a multiplier (``per``: 100 for per cent,
1000 for per 1 000), so the value is derived from counts and areas can later be
merged or small numbers handled correctly. Any other indicator is read from the
table column named by its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

from indicators.columns import DOMAINS
from indicators.errors import CatalogueError, Problems, SettingsError

CATALOGUE_COLUMNS = ("id", "name", "domain", "direction", "unit", "per", "numerator",
                     "denominator", "source", "level")
OPTIONAL_COLUMNS = ("personal",)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    domain: str
    direction: int
    unit: str
    source: str
    level: str = ""
    numerator: str | None = None
    denominator: str | None = None
    per: float | None = None
    personal: bool = True
    """Whether the numerator counts persons, whose small counts disclosure control hides
    (:mod:`indicators.disclosure`); False for counts of dwellings, offences by place or
    other things that point out no one. Catalogue column ``personal`` (ja/nej), default ja."""

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of the indicator table this indicator is computed from."""
        if self.numerator is not None and self.denominator is not None:
            return (self.numerator, self.denominator)
        return (self.id,)


@dataclass(frozen=True)
class Catalogue(Mapping[str, Indicator]):
    """An ordered, immutable collection of indicators keyed by id."""

    indicators: tuple[Indicator, ...]

    def __getitem__(self, key: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == key:
                return ind
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (ind.id for ind in self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def in_domain(self, domain: str) -> tuple[Indicator, ...]:
        return tuple(ind for ind in self.indicators if ind.domain == domain)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def validate_catalogue(table: pd.DataFrame, source: str = "indikatorkatalog") -> Catalogue:
    """Check a catalogue table and turn it into a :class:`Catalogue`.

    Every problem is collected and raised once as :class:`CatalogueError`.
    """
    problems = Problems(CatalogueError, source)
    missing = [c for c in CATALOGUE_COLUMNS if c not in table.columns]
    if missing:
        problems.add("kolumner saknas.", values=missing,
                     expected=", ".join(CATALOGUE_COLUMNS),
                     fix="lägg till kolumnerna i katalogfilen")
        problems.raise_if_any()
    unknown = [c for c in table.columns if c not in (*CATALOGUE_COLUMNS, *OPTIONAL_COLUMNS)]
    if unknown:
        problems.add("okända kolumner.", values=unknown, expected=", ".join(CATALOGUE_COLUMNS),
                     fix="ta bort eller byt namn på kolumnerna")

    ids = table["id"].map(_text)
    bad_ids = [v for v in table["id"] if _text(v) is None or not _ID.match(str(v).strip())]
    if bad_ids:
        problems.add("ogiltiga indikator-id.", column="id", values=bad_ids,
                     expected="små bokstäver a–z, siffror och understreck, börjar med bokstav",
                     fix="byt namn på indikatorn, t.ex. 'vald_brott_per_1000'")
    dup = sorted(set(ids[ids.duplicated() & ids.notna()]))
    if dup:
        problems.add("indikator-id förekommer mer än en gång.", column="id", values=dup,
                     expected="unika id", fix="ge varje indikator ett eget id")

    bad_domain = sorted({str(v) for v in table["domain"] if _text(v) not in DOMAINS})
    if bad_domain:
        problems.add("okänd domän.", column="domain", values=bad_domain,
                     expected=", ".join(DOMAINS), fix="använd ett av domän-id:na")

    direction = pd.to_numeric(table["direction"], errors="coerce")
    bad_dir = [v for v, d in zip(table["direction"], direction, strict=True) if d not in (1, -1)]
    if bad_dir:
        problems.add("ogiltig riktning.", column="direction", values=bad_dir,
                     expected="1 (högre värde = större behov) eller "
                              "-1 (högre värde = mindre behov)",
                     fix="ange 1 eller -1")

    for col in ("name", "unit", "source"):
        empty = [i for i, v in zip(ids, table[col], strict=True) if _text(v) is None]
        if empty:
            problems.add("tomt värde för indikatorerna.", column=col, values=empty,
                         fix=f"fyll i '{col}' för varje indikator")

    per = pd.to_numeric(table["per"], errors="coerce")
    for i, row in enumerate(table.itertuples(index=False)):
        num, den = _text(row.numerator), _text(row.denominator)
        has_per = not pd.isna(per.iloc[i])
        if (num is None) != (den is None) or (num is not None) != has_per:
            problems.add(
                f"indikatorn '{ids.iloc[i]}' har inte både täljare, nämnare och 'per'.",
                column="numerator", values=[num, den, row.per],
                expected="en andel anger täljare, nämnare och per (100 för %, 1000 för per 1 000);"
                " ett färdigt värde lämnar alla tre tomma",
                fix="fyll i alla tre eller töm alla tre")
        elif has_per and per.iloc[i] <= 0:
            problems.add(f"'per' måste vara positiv för '{ids.iloc[i]}'.", column="per",
                         values=[row.per], fix="ange t.ex. 100 eller 1000")
    personal = _personal(table, ids, problems)
    problems.raise_if_any()

    indicators = []
    for i, row in enumerate(table.itertuples(index=False)):
        num = _text(row.numerator)
        indicators.append(Indicator(
            id=str(ids.iloc[i]), name=str(_text(row.name)), domain=str(_text(row.domain)),
            direction=int(direction.iloc[i]), unit=str(_text(row.unit)),
            source=str(_text(row.source)), level=_text(row.level) or "",
            numerator=num, denominator=_text(row.denominator),
            per=float(per.iloc[i]) if num is not None else None,
            personal=personal[i],
        ))
    return Catalogue(tuple(indicators))


_YES = {"ja", "j", "yes", "true", "1", "sant"}
_NO = {"nej", "n", "no", "false", "0", "falskt"}


def _personal(table: pd.DataFrame, ids: pd.Series, problems: Problems) -> list[bool]:
    """The optional ``personal`` column: ja (the default, also for an empty cell) or nej."""
    if "personal" not in table.columns:
        return [True] * len(table)
    out = []
    for ind_id, value in zip(ids, table["personal"], strict=True):
        text = (_text(value) or "ja").casefold()
        if text not in _YES | _NO:
            problems.add(f"okänt värde i 'personal' för '{ind_id}'.", column="personal",
                         values=[value], expected="ja (antal personer) eller nej",
                         fix="skriv ja eller nej")
        out.append(text not in _NO)
    return out


def known_indicators(catalogue: Catalogue, indicators: Iterable[str]) -> list[str]:
    """``indicators`` without repeats; an id the catalogue lacks is a SettingsError."""
    ids = list(dict.fromkeys(indicators))
    unknown = [i for i in ids if i not in catalogue]
    if unknown:
        problems = Problems(SettingsError)
        problems.add("okända indikatorer.", column="indicators", values=unknown,
                     fix="lägg till dem i indikatorkatalogen eller välj bort dem")
        problems.raise_if_any()
    return ids


def catalogue_table(catalogue: Catalogue) -> pd.DataFrame:
    """A catalogue as the table :func:`validate_catalogue` reads (one row per indicator):
    what the app's "Spara katalogen" writes as CSV."""
    rows = [{"id": i.id, "name": i.name, "domain": i.domain, "direction": str(i.direction),
             "unit": i.unit, "per": "" if i.per is None else f"{i.per:g}",
             "numerator": i.numerator or "", "denominator": i.denominator or "",
             "source": i.source, "level": i.level, "personal": "ja" if i.personal else "nej"}
            for i in catalogue.values()]
    return pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))


def own_indicator(name: str, domain: str, direction: int, numerator: str, denominator: str,
                  per: int, personal: bool = True) -> dict[str, str]:
    """A catalogue row for an indicator the user makes of a table's columns: its id is
    ``egen_`` and the name in lower case ASCII (å, ä → a, ö → o, anything else → _), its
    unit follows ``per`` (100: %, 1000: per 1 000), its source is "egen fil";
    ``personal``: the numerator counts persons (disclosure control protects it)."""
    name = name.strip()
    ascii_name = re.sub("[åä]", "a", re.sub("ö", "o", name.lower()))
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_") or "indikator"
    return {"id": f"egen_{slug}", "name": name, "domain": domain, "direction": str(direction),
            "unit": "%" if per == 100 else "per 1 000", "per": str(per),
            "numerator": numerator, "denominator": denominator, "source": "egen fil",
            "level": "område", "personal": "ja" if personal else "nej"}


def extended_catalogue(catalogue: Catalogue, rows: Iterable[Mapping[str, str]]) -> Catalogue:
    """``catalogue`` with the user's own indicators (rows of the catalogue's columns, e.g.
    :func:`own_indicator`) added, validated as a catalogue file is: an id used twice, an
    unknown domain or an empty name is named."""
    table = pd.concat([catalogue_table(catalogue), pd.DataFrame(list(rows), dtype=str)],
                      ignore_index=True).fillna("")
    return validate_catalogue(table, source="egna indikatorer")
