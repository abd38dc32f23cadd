"""An indicator table for one kommun's DeSO or RegSO areas, fetched from SCB's PxWebApi v2.

:func:`fetch_area_indicators` reads a handful of SCB's small-area tables through
:class:`~geo.io.pxweb.PxWebClient` and returns one row per area with the count columns
that ``data/catalogue_scb.csv`` names, so the same catalogue ranks the fetched table:

================== =================================================  ==========================
recipe             columns                                            default table
================== =================================================  ==========================
befolkning         inv_totalt, inv_0_17, inv_12_17, inv_16_24         BE0101Y/FolkmDesoAldKon
ekonomisk_standard personer_lag_ek_standard, personer_ek_standard     HE0110I/Tab4InkDesoRegso
utbildning         inv_25_64_forgymnasial, inv_25_64                  UF0506D/UtbSUNBefDesoRegso
                                                                      (≤ 2023), …RegsoN (2024–)
arbetsmarknad      inv_16_64_utanfor, inv_16_64                       AM0210G/ArRegDesoStatusN
================== =================================================  ==========================

The table ids in :data:`~geo.io.pxweb.AREA_TABLES` and the value codes of these tables are
not verified here, so every recipe is driven by the table's metadata: it finds the region,
time, age (label contains "ålder"), sex ("kön") and content dimensions, and picks values by
their Swedish labels. Whatever a table lacks raises :class:`~indicators.errors.ApiQueryError`
naming the table, the dimension, the labels found and the fix.

Age groups are built from the table's single years and bands: exactly when they tile the
group, otherwise by spreading a band evenly over its single years (and saying so in
:attr:`ScbFetch.notes`). Suppressed cells stay NaN, never 0; every missing value is listed
with its reason in :attr:`ScbFetch.missing`, and a derived column with a missing input is
missing with the input's reason.

The year defaults to the latest one that every chosen table has, so all columns share one
year and one area vintage (DeSO 2018/RegSO 2020 up to 2023, DeSO/RegSO 2025 from 2024);
education switches to the 25–65 table from 2024 (the column names stay, a note says so).
Labels the recipes look for (case-insensitive): economic standard "antal personer" and
"låg ekonomisk standard" with "procent"/"andel" (or a count "antal … låg ekonomisk
standard"); education a value with "förgymnasial" and either a total or all levels summed;
labour market "arbetslösa" + "utanför arbetskraften", else "totalt" − "sysselsatta", in the
content dimension or a status dimension of its own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache
from typing import NoReturn

import numpy as np
import pandas as pd

from geo.io.files import SourceInfo
from geo.io.pxweb import (
    AREA_TABLES,
    NOISE_NOTE,
    SUFFIX_FROM_YEAR,
    PxWebClient,
    TableMeta,
    TableMetadata,
    area_codes_for_kommun,
    area_level,
    reference_years,
    strip_region_suffix,
)
from indicators.columns import AREA_ID
from indicators.errors import ApiQueryError, Problem, Problems

__all__ = ["MAX_CELLS", "RECIPES", "Recipe", "ScbFetch", "fetch_area_indicators", "parse_age"]

MAX_CELLS = 150_000
"""SCB's limit of cells per data call; larger selections are split by area."""

MISSING_COLUMNS = (AREA_ID, "column", "reason")
LICENCE = "CC0"
SOURCE = "SCB Statistikdatabasen (PxWebApi v2, statistikdatabasen.scb.se)"

Terms = tuple[tuple[Fraction, str], ...]
"""A weighted sum over one dimension's value codes: ``((weight, code), ...)``."""


# -- the result ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ScbFetch:
    """The fetched indicator table, where it came from and what is missing.

    ``table`` has ``area_id`` and the recipes' columns, one row per area code of the kommun
    (an area without cells is kept with NaN). ``missing`` has one row per missing value:
    ``area_id``, ``column`` and the Swedish ``reason``.
    """

    table: pd.DataFrame
    sources: tuple[TableMeta, ...]
    notes: tuple[str, ...]
    missing: pd.DataFrame
    kommun: str = ""
    level: str = ""
    year: int | None = None

    def source_info(self) -> SourceInfo:
        """One :class:`~geo.io.files.SourceInfo` for the whole table (map and export notes)."""
        fetched = min((s.fetched for s in self.sources), default=None)
        parts = []
        for source in self.sources:
            text = f"{source.table_id} {source.label}".strip()
            if source.updated:
                text += f" (uppdaterad {source.updated[:10]})"
            if source.from_cache:
                text += (f", sparat svar från cachen hämtat "
                         f"{source.fetched.strftime('%Y-%m-%d %H:%M')}")
            parts.append(text)
        note = "Tabeller: " + "; ".join(parts) + "." if parts else ""
        if any(s.noise_note for s in self.sources):
            note += (" Värden från referensår 2025 har SCB:s slumpmässiga brus "
                     "(Cell Key Method).")
        year = f", {self.year}" if self.year is not None else ""
        return SourceInfo(
            title=f"SCB-indikatorer per {self.level} i kommun {self.kommun}{year}",
            source=SOURCE, date=fetched.date().isoformat() if fetched else "okänt",
            licence=LICENCE, note=note.strip())


# -- lazy expressions over table cells -----------------------------------------------------

class _Expr:
    """A column as arithmetic over weighted sums of table cells, evaluated after the fetch."""

    def __add__(self, other: _Expr | float) -> _Expr:
        return _Op("+", self, other)

    def __sub__(self, other: _Expr | float) -> _Expr:
        return _Op("-", self, other)

    def __mul__(self, other: _Expr | float) -> _Expr:
        return _Op("*", self, other)

    def __truediv__(self, other: _Expr | float) -> _Expr:
        return _Op("/", self, other)

    def leaves(self) -> Iterator[_Cells]:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class _Cells(_Expr):
    """Σ over the product of per-dimension terms; dimensions not named take their default."""

    spec: tuple[tuple[str, Terms], ...]

    def leaves(self) -> Iterator[_Cells]:
        yield self


@dataclass(frozen=True, eq=False)
class _Op(_Expr):
    op: str
    left: _Expr
    right: _Expr | float

    def leaves(self) -> Iterator[_Cells]:
        yield from self.left.leaves()
        if isinstance(self.right, _Expr):
            yield from self.right.leaves()


_OPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}


def _one(code: str) -> Terms:
    return ((Fraction(1), code),)


# -- labels --------------------------------------------------------------------------------

def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", str(label).replace("–", "-").replace("—", "-")).strip().lower()


def _is_total(label: str) -> bool:
    text = _norm(label)
    return text.startswith(("totalt", "samtliga")) or text in ("total", "alla")


def _is_sex_total(label: str) -> bool:
    text = _norm(label)
    return _is_total(text) or text in ("män och kvinnor", "kvinnor och män", "båda könen")


_AGE_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)\s*år\b")
_AGE_OPEN = re.compile(r"^(\d+)\s*(?:-|\+|och äldre)\s*(?:år)?\s*(?:och äldre)?$")
_AGE_SINGLE = re.compile(r"^(\d+)\s*år$")


def parse_age(label: str) -> tuple[int, int | None] | str | None:
    """``"0 år"`` → (0, 0); ``"0-4 år"`` → (0, 4); ``"80- år"``/``"100+ år"`` → (80, None);
    a total (``"totalt, samtliga åldrar"``) → ``"total"``; anything else → None."""
    text = _norm(label)
    if _is_total(text):
        return "total"
    if match := _AGE_RANGE.match(text):
        low, high = int(match.group(1)), int(match.group(2))
        return (low, high) if low <= high else None
    if match := _AGE_SINGLE.match(text):
        return int(match.group(1)), int(match.group(1))
    if match := _AGE_OPEN.match(text):
        return int(match.group(1)), None
    return None


@dataclass(frozen=True)
class _AgeParts:
    terms: Terms
    estimated: tuple[str, ...]  # Swedish descriptions of apportioned bands


def _age_parts(values: Mapping[str, str], low: int, high: int | None) -> _AgeParts | None:
    """Value codes whose ages make up ``low``–``high`` (``None``: no upper limit).

    Bands that tile the group are used as they are (fewest cells first); a band that
    reaches outside the group is spread evenly over its single years. None when the
    table's ages cannot cover the group.
    """
    bands = []
    for code, label in values.items():
        age = parse_age(label)
        if isinstance(age, tuple):
            bands.append((age[0], age[1], code, label))

    @cache
    def best(year: int) -> tuple[tuple[int, int], tuple[tuple[Fraction, str, str], ...]] | None:
        found = None
        for start, end, code, label in bands:
            if max(start, low) != year:
                continue
            if end is None:
                if high is not None or start < low:
                    continue  # an open band cannot be spread over years
                option = ((0, 1), ((Fraction(1), code, label),))
            else:
                stop = end if high is None else min(end, high)
                if stop < year:
                    continue
                weight = Fraction(stop - year + 1, end - start + 1)
                head = ((weight, code, label),)
                cost = (int(weight != 1), 1)
                if high is not None and stop >= high:
                    option = (cost, head)
                else:
                    rest = best(stop + 1)
                    if rest is None:
                        continue
                    option = ((cost[0] + rest[0][0], cost[1] + rest[0][1]), head + rest[1])
            if found is None or option[0] < found[0]:
                found = option
        return found

    result = best(low)
    if result is None:
        return None
    parts = result[1]
    estimated = []
    for weight, _, label in parts:
        if weight != 1:
            width = _width(label)
            estimated.append(f"åldersgruppen {label} fördelad jämnt på enskilda år "
                             f"({weight * width} av {width} år räknas med)")
    return _AgeParts(tuple((w, c) for w, c, _ in parts), tuple(estimated))


def _width(label: str) -> int:
    age = parse_age(label)
    assert isinstance(age, tuple) and age[1] is not None
    return age[1] - age[0] + 1


def _age_text(low: int, high: int | None) -> str:
    return f"{low}+ år" if high is None else f"{low}–{high} år"


# -- a table being read ----------------------------------------------------------------------

def _fix(key: str) -> str:
    return (f"rätta tabell-id:t i AREA_TABLES (geo/io/pxweb.py) eller ange ett annat "
            f"tabell-id med table_ids={{'{key}': 'TAB…'}}")


@dataclass
class _Ctx:
    """One table of one recipe: its metadata, its dimensions and the notes of its columns."""

    key: str
    table_id: str
    meta: TableMetadata
    year: int
    region: str = ""
    time: str = ""
    age: str | None = None
    sex: str | None = None
    contents: str | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        dims = self.meta.dimensions
        region = "Region" if "Region" in dims else next(
            (d for d, dim in dims.items() if "region" in _norm(dim.label)), None)
        time = self.meta.time_dimension or ("Tid" if "Tid" in dims else None)
        for dim, name, found in (("Region", "region", region), ("Tid", "tid", time)):
            if found is None or found not in dims:
                self.fail(dim, f"Tabellen {self.table_id} har ingen {name}sdimension.",
                          [d.label for d in dims.values()], f"en dimension för {name}")
        self.region, self.time = str(region), str(time)
        rest = [d for d in dims if d not in (self.region, self.time)]
        self.age = next((d for d in rest if "ålder" in _norm(dims[d].label)), None)
        self.sex = next((d for d in rest if "kön" in _norm(dims[d].label)), None)
        self.contents = next((d for d in rest if d == "ContentsCode"), None) or next(
            (d for d in rest if "tabellinnehåll" in _norm(dims[d].label)), None)

    # -- errors and lookups --

    def fail(self, dim: str, message: str, found: Sequence[str], expected: str) -> NoReturn:
        raise ApiQueryError([Problem(message, column=dim, values=tuple(found),
                                     expected=expected, fix=_fix(self.key))])

    def values(self, dim: str) -> dict[str, str]:
        return self.meta.dimensions[dim].values

    def find(self, dim: str | None, test: Callable[[str], bool]) -> list[str]:
        if dim is None:
            return []
        return [code for code, label in self.values(dim).items() if test(_norm(label))]

    def label(self, dim: str, code: str) -> str:
        return self.values(dim).get(code, code)

    def others(self) -> list[str]:
        """Dimensions other than region, time, age, sex and contents."""
        named = {self.region, self.time, self.age, self.sex, self.contents}
        return [d for d in self.meta.dimensions if d not in named]

    def content(self, test: Callable[[str], bool], what: str, *,
                required: bool = True) -> str | None:
        """The first value of the content dimension whose label passes ``test``."""
        dim = self.contents
        found = self.find(dim, test)
        if found:
            return found[0]
        if required:
            labels = list(self.values(dim).values()) if dim else []
            self.fail(dim or "ContentsCode",
                      f"Tabellen {self.table_id} har inget tabellinnehåll för {what}.",
                      labels, what)
        return None

    def count_content(self) -> str | None:
        """The content holding a number of persons: the only one, or one labelled 'antal'."""
        if self.contents is None:
            return None
        values = self.values(self.contents)
        if len(values) == 1:
            return next(iter(values))
        return self.content(lambda t: t.startswith(("antal", "folkmängd", "befolkning")),
                            "antal personer")

    def cells(self, spec: Mapping[str | None, Terms | str | None]) -> _Cells:
        """A weighted sum of cells; a dimension that is None or given as None is left to
        its default."""
        items = tuple((dim, _one(terms) if isinstance(terms, str) else terms)
                      for dim, terms in spec.items() if dim is not None and terms is not None)
        return _Cells(items)

    # -- ages --

    def age_total(self) -> Terms | None:
        """The age dimension's total (None without an age dimension)."""
        if self.age is None:
            return None
        total = self.find(self.age, _is_total)
        if total:
            return _one(total[0])
        parts = _age_parts(self.values(self.age), 0, None)
        if parts is None:
            self.fail(self.age, f"Tabellen {self.table_id} har varken totalt för ålder eller "
                                "åldersgrupper som täcker alla åldrar.",
                      list(self.values(self.age).values()), "t.ex. 'totalt' eller '0-4 år' … "
                      "'80- år'")
        assert parts is not None
        return parts.terms

    def age_range(self, column: str, *ranges: tuple[int, int | None]) -> Terms | None:
        """The first of ``ranges`` the table's ages give exactly, else the first they give as
        an estimate from spread bands (None without an age dimension).

        An estimate, and a fallback to a later range, go into the notes.
        """
        if self.age is None:
            return None
        options = [(number, ages, _age_parts(self.values(self.age), *ages))
                   for number, ages in enumerate(ranges)]
        exact = [o for o in options if o[2] is not None and not o[2].estimated]
        for number, (low, high), parts in exact or options:
            if parts is None:
                continue
            if number:
                wanted = _age_text(*ranges[0])
                self.notes.append(
                    f"{column} i {self.table_id} avser {_age_text(low, high)} eftersom "
                    f"tabellen inte har {wanted}; kolumnnamnet behålls.")
            if parts.estimated:
                self.notes.append(
                    f"{column} ({_age_text(low, high)}) i {self.table_id} är uppskattad: "
                    + "; ".join(parts.estimated) + ".")
            return parts.terms
        self.fail(self.age, f"Tabellen {self.table_id} har inga åldrar som ger "
                            f"{' eller '.join(_age_text(*r) for r in ranges)}.",
                  list(self.values(self.age).values()),
                  "enskilda år ('12 år') eller åldersgrupper ('10-14 år')")
        return None

    # -- defaults for dimensions a recipe does not name --

    def default(self, dim: str) -> Terms | None:
        """Terms for ``dim`` when the recipe does not say; None: leave it out (eliminated)."""
        values = self.values(dim)
        test = _is_sex_total if dim == self.sex else _is_total
        total = self.find(dim, test)
        if total:
            return _one(total[0])
        if dim == self.sex:
            men = self.find(dim, lambda t: t == "män" or t.startswith("män ") and "kvinnor"
                            not in t)
            women = self.find(dim, lambda t: t.startswith("kvinnor") and "män" not in t)
            if men and women:
                return (*_one(men[0]), *_one(women[0]))
        if len(values) == 1:
            return _one(next(iter(values)))
        if self.meta.dimensions[dim].elimination:
            return None
        self.fail(dim, f"Tabellen {self.table_id} har inget värde för totalt i dimensionen "
                       f"'{self.meta.dimensions[dim].label}'.", list(values.values()),
                  "ett värde som börjar med 'totalt'")
        return None


# -- recipes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """How one topic's columns are built from one SCB table.

    ``tables`` lists ``(first reference year, AREA_TABLES key)``; the last one whose year
    is reached applies (the newest when no year is given). ``build`` returns the columns
    as expressions over the table's cells.
    """

    key: str
    title: str
    columns: tuple[str, ...]
    tables: tuple[tuple[int, str], ...]
    build: Callable[[_Ctx], dict[str, _Expr]] = field(repr=False)

    def table_id(self, year: int | None = None) -> str:
        """The default table id for ``year`` (looked up in AREA_TABLES at call time)."""
        chosen = self.tables[0][1]
        for first, name in self.tables:
            if year is None or year >= first:
                chosen = name
        return AREA_TABLES[chosen]


def _population(ctx: _Ctx) -> dict[str, _Expr]:
    if ctx.age is None:
        ctx.fail("Alder", f"Tabellen {ctx.table_id} har ingen åldersdimension.",
                 [d.label for d in ctx.meta.dimensions.values()], "en dimension 'ålder'")
    content = ctx.count_content()
    columns = {"inv_totalt": ctx.cells({ctx.age: ctx.age_total(), ctx.contents: content})}
    for column, ages in {"inv_0_17": (0, 17), "inv_12_17": (12, 17),
                         "inv_16_24": (16, 24)}.items():
        columns[column] = ctx.cells({ctx.age: ctx.age_range(column, ages),
                                     ctx.contents: content})
    return columns


def _economic_standard(ctx: _Ctx) -> dict[str, _Expr]:
    persons = ctx.content(lambda t: "antal personer" in t and "låg" not in t
                          and "hög" not in t, "antal personer")
    low_count = ctx.content(lambda t: "låg ekonomisk standard" in t and "antal" in t,
                            "antal med låg ekonomisk standard", required=False)
    low_pct = None if low_count else ctx.content(
        lambda t: "låg ekonomisk standard" in t and ("procent" in t or "andel" in t
                                                     or "%" in t),
        "låg ekonomisk standard i procent (eller antal)")

    def low(age: Terms | None) -> _Expr:
        if low_count:
            return ctx.cells({ctx.contents: low_count, ctx.age: age})
        # SCB gives a share: the count is share × persons / 100 (per age group).
        return (ctx.cells({ctx.contents: low_pct, ctx.age: age})
                * ctx.cells({ctx.contents: persons, ctx.age: age}) / 100)

    total = ctx.age_total()
    if total is None or len(total) == 1:
        low_expr = low(total)
    else:  # no total age: add up the count of each age group
        low_expr = _sum(low(_one(code)) for _, code in total)
    return {"personer_lag_ek_standard": low_expr,
            "personer_ek_standard": ctx.cells({ctx.contents: persons, ctx.age: total})}


def _sum(exprs: Iterable[_Expr]) -> _Expr:
    items = list(exprs)
    result = items[0]
    for item in items[1:]:
        result = result + item
    return result


_AGE_IN_LABEL = re.compile(r"(\d+)\s*-\s*(\d+)\s*år")


def _education(ctx: _Ctx) -> dict[str, _Expr]:
    candidates = sorted((d for d in [*ctx.others(), ctx.contents] if d),
                        key=lambda d: "utbildning" not in _norm(ctx.meta.dimensions[d].label))
    level = next((d for d in candidates if ctx.find(d, lambda t: "förgymnasial" in t)), None)
    if level is None:
        labels = [label for d in candidates for label in ctx.values(d).values()]
        ctx.fail(candidates[0] if candidates else "UtbildningsNiva",
                 f"Tabellen {ctx.table_id} har ingen utbildningsnivå 'förgymnasial'.", labels,
                 "en dimension 'utbildningsnivå' med 'förgymnasial utbildning'")
    assert level is not None
    low = ctx.find(level, lambda t: "förgymnasial" in t)[0]
    total = ctx.find(level, _is_total)
    every = total[:1] or [c for c in ctx.values(level) if c not in total]
    content = ctx.count_content() if level != ctx.contents else None
    ages = ctx.age_range("inv_25_64", (25, 64), (25, 65))
    if ctx.age is None:
        found = _AGE_IN_LABEL.search(_norm(ctx.meta.label))
        band = ((int(found.group(1)), int(found.group(2))) if found
                else (25, 65) if ctx.year >= SUFFIX_FROM_YEAR else (25, 64))
        if band == (25, 65):
            ctx.notes.append(
                f"Utbildningsnivån i {ctx.table_id} avser 25–65 år (SCB:s tabell från "
                "2024); kolumnerna heter ändå inv_25_64_forgymnasial och inv_25_64 så att "
                "katalogen kan användas.")
    spec = {ctx.contents: content, ctx.age: ages}
    return {"inv_25_64_forgymnasial": ctx.cells({**spec, level: low}),
            "inv_25_64": ctx.cells({**spec, level: tuple((Fraction(1), c) for c in every)})}


def _status_kind(label: str) -> str | None:
    text = _norm(label)
    if "utanför arbetskraften" in text:
        return "outside"
    if "arbetslös" in text:
        return "unemployed"
    if "sysselsatt" in text and not re.search(r"\b(ej|inte|icke)\b", text):
        return "employed"
    if "i arbetskraften" in text or text == "arbetskraften":
        return "labour_force"
    if _is_total(text) or "totalt" in text:
        return "total"
    return None


def _labour(ctx: _Ctx) -> dict[str, _Expr]:
    candidates = [d for d in (ctx.contents, *ctx.others()) if d]
    for dim in candidates:
        kinds: dict[str, str] = {}
        for code, label in ctx.values(dim).items():
            kind = _status_kind(label)
            if kind and kind not in kinds:
                kinds[kind] = code
        has = set(kinds)
        if "total" not in has and not {"employed", "unemployed", "outside"} <= has:
            continue
        if not ({"unemployed", "outside"} <= has or {"employed", "total"} <= has
                or {"unemployed", "labour_force", "total"} <= has):
            continue
        content = ctx.count_content() if dim != ctx.contents else None
        spec = {ctx.contents: content,
                ctx.age: ctx.age_range("inv_16_64", (16, 64), (20, 64))}

        def status(kind: str, dim: str = dim, kinds: dict[str, str] = kinds,
                   spec: dict[str | None, Terms | str | None] = spec) -> _Expr:
            return ctx.cells({**spec, dim: kinds[kind]})

        if {"unemployed", "outside"} <= has:
            outside = status("unemployed") + status("outside")
        elif {"employed", "total"} <= has:
            outside = status("total") - status("employed")
            ctx.notes.append(f"inv_16_64_utanfor i {ctx.table_id} är beräknad som totalt minus "
                             "sysselsatta (= arbetslösa + utanför arbetskraften).")
        else:
            outside = status("unemployed") + (status("total") - status("labour_force"))
            ctx.notes.append(f"inv_16_64_utanfor i {ctx.table_id} är beräknad som arbetslösa + "
                             "(totalt minus arbetskraften).")
        total = (status("total") if "total" in has
                 else status("employed") + status("unemployed") + status("outside"))
        return {"inv_16_64_utanfor": outside, "inv_16_64": total}
    labels = [label for d in candidates for label in ctx.values(d).values()]
    ctx.fail(ctx.contents or "ContentsCode",
             f"Tabellen {ctx.table_id} har ingen arbetsmarknadsstatus som ger arbetslösa och "
             "utanför arbetskraften (eller totalt och sysselsatta).", labels,
             "värden som 'sysselsatta', 'arbetslösa', 'utanför arbetskraften', 'totalt'")
    return {}


RECIPES: dict[str, Recipe] = {
    "befolkning": Recipe(
        "befolkning", "befolkning efter ålder",
        ("inv_totalt", "inv_0_17", "inv_12_17", "inv_16_24"),
        ((0, "BE0101Y/FolkmDesoAldKon"),), _population),
    "ekonomisk_standard": Recipe(
        "ekonomisk_standard", "ekonomisk standard",
        ("personer_lag_ek_standard", "personer_ek_standard"),
        ((0, "HE0110I/Tab4InkDesoRegso"),), _economic_standard),
    "utbildning": Recipe(
        "utbildning", "utbildningsnivå", ("inv_25_64_forgymnasial", "inv_25_64"),
        ((0, "UF0506D/UtbSUNBefDesoRegso"), (2024, "UF0506D/UtbSUNBefDesoRegsoN")),
        _education),
    "arbetsmarknad": Recipe(
        "arbetsmarknad", "arbetsmarknadsstatus", ("inv_16_64_utanfor", "inv_16_64"),
        ((0, "AM0210G/ArRegDesoStatusN"),), _labour),
}
"""The recipes by key, in the order their columns appear in the table."""


# -- fetching --------------------------------------------------------------------------------

def _years(meta: TableMetadata, time: str) -> list[int]:
    dim = meta.dimensions.get(time)
    return reference_years(dim.values) if dim else []


def _time_dim(meta: TableMetadata) -> str:
    return meta.time_dimension or "Tid"


def _area_codes(meta: TableMetadata, region: str, kommun: str, level: str,
                year: int) -> list[str]:
    """The kommun's areas in the table, of the code vintage that fits ``year`` when it has
    both (DeSO 2018/RegSO 2020 plain up to 2023, DeSO/RegSO 2025 suffixed from 2024)."""
    codes = area_codes_for_kommun(meta, kommun, level, region)
    suffixed = year >= SUFFIX_FROM_YEAR
    fitting = {strip_region_suffix(c) for c in meta.dimensions[region].values
               if area_level(c) == level and (c != strip_region_suffix(c)) == suffixed}
    return [c for c in codes if c in fitting] or codes


def _expand(leaf: _Cells, key_dims: Sequence[str],
            defaults: Mapping[str, Terms | None]) -> list[tuple[Fraction, tuple[str, ...]]]:
    spec = dict(leaf.spec)
    per_dim = []
    for dim in key_dims:
        terms = spec.get(dim) or defaults[dim]
        if not terms:  # _plan makes this impossible; an empty sum would silently be 0
            raise AssertionError(f"no terms for dimension {dim!r}")
        per_dim.append(terms)
    out = []
    for combo in itertools.product(*per_dim):
        weight = Fraction(1)
        for w, _ in combo:
            weight *= w
        out.append((weight, tuple(code for _, code in combo)))
    return out


@dataclass
class _Answer:
    """The fetched cells of one table, ready to evaluate expressions over the areas."""

    ctx: _Ctx
    areas: list[str]
    present: set[str]
    key_dims: list[str]
    defaults: dict[str, Terms | None]
    cells: dict[tuple[str, tuple[str, ...]], tuple[float, str | None]]

    def describe(self, key: tuple[str, ...]) -> str:
        labels = [self.ctx.label(d, c) for d, c in zip(self.key_dims, key, strict=True)]
        return f"{self.ctx.table_id} ({'; '.join(labels)})" if labels else self.ctx.table_id

    def evaluate(self, expr: _Expr | float) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        n = len(self.areas)
        if not isinstance(expr, _Expr):
            return np.full(n, float(expr)), [()] * n
        if isinstance(expr, _Cells):
            total = np.zeros(n)
            reasons: list[tuple[str, ...]] = [()] * n
            for weight, key in _expand(expr, self.key_dims, self.defaults):
                for i, area in enumerate(self.areas):
                    value, reason = self._cell(area, key)
                    if np.isnan(value):
                        total[i] = np.nan
                        if reason not in reasons[i]:
                            reasons[i] = (*reasons[i], reason)
                    else:
                        total[i] += value * weight.numerator / weight.denominator
            return total, reasons
        assert isinstance(expr, _Op)
        left, left_reasons = self.evaluate(expr.left)
        right, right_reasons = self.evaluate(expr.right)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = _OPS[expr.op](left, right)
        merged = []
        for i, value in enumerate(values):
            reasons_i = tuple(dict.fromkeys(left_reasons[i] + right_reasons[i]))
            if np.isnan(value) and not reasons_i:
                reasons_i = (f"{self.ctx.table_id}: värdet kunde inte beräknas",)
            merged.append(reasons_i if np.isnan(value) else ())
        return values, merged

    def _cell(self, area: str, key: tuple[str, ...]) -> tuple[float, str]:
        if area not in self.present:
            return np.nan, (f"området finns inte i {self.ctx.table_id} för år "
                            f"{self.ctx.year}")
        found = self.cells.get((area, key))
        if found is None:
            return np.nan, f"{self.describe(key)}: värdet saknas i svaret från SCB"
        value, reason = found
        if np.isnan(value):
            return np.nan, f"{self.describe(key)}: {reason or 'värde saknas'}"
        return value, ""


def _plan(ctx: _Ctx, exprs: Mapping[str, _Expr]) -> tuple[list[str], dict[str, Terms | None]]:
    """The dimensions that key a cell and the default terms of those a recipe leaves out."""
    leaves = [leaf for expr in exprs.values() for leaf in expr.leaves()]
    named = {dim for leaf in leaves for dim, _ in leaf.spec}
    key_dims, defaults = [], {}
    for dim in ctx.meta.dimensions:
        if dim in (ctx.region, ctx.time):
            continue
        if dim in named and all(dim in dict(leaf.spec) for leaf in leaves):
            key_dims.append(dim)
            defaults[dim] = None
            continue
        default = ctx.default(dim)
        if default is None and dim in named:
            ctx.fail(dim, f"Tabellen {ctx.table_id} har inget värde för totalt i dimensionen "
                          f"'{ctx.meta.dimensions[dim].label}'.",
                     list(ctx.values(dim).values()), "ett värde som börjar med 'totalt'")
        defaults[dim] = default
        if default is not None:
            key_dims.append(dim)
    return key_dims, defaults


def _fetch(client: PxWebClient, ctx: _Ctx, exprs: Mapping[str, _Expr], areas: list[str],
           kommun: str, level: str) -> tuple[_Answer, TableMeta]:
    key_dims, defaults = _plan(ctx, exprs)  # checked before any data call; cheap to redo
    leaves = [leaf for expr in exprs.values() for leaf in expr.leaves()]
    keys = {key for leaf in leaves for _, key in _expand(leaf, key_dims, defaults)}
    order = {dim: list(ctx.values(dim)) for dim in key_dims}
    selection = {dim: sorted({key[i] for key in keys}, key=order[dim].index)
                 for i, dim in enumerate(key_dims)}
    present = _area_codes(ctx.meta, ctx.region, kommun, level, ctx.year)
    time_code = [c for c in ctx.values(ctx.time) if reference_years([c]) == [ctx.year]][-1]
    per_area = int(np.prod([len(v) for v in selection.values()])) if selection else 1
    step = max(1, MAX_CELLS // max(per_area, 1))
    frames, metas = [], []
    for start in range(0, len(present), step):
        chunk = present[start:start + step]
        fetched = client.fetch_table(
            ctx.table_id, {ctx.region: chunk, **selection, ctx.time: [time_code]},
            region_dimension=ctx.region, time_dimension=ctx.time)
        frames.append(fetched.data)
        metas.append(fetched.meta)
    cells: dict[tuple[str, tuple[str, ...]], tuple[float, str | None]] = {}
    for frame in frames:
        if frame.empty or ctx.time not in frame:
            continue
        frame = frame[frame[ctx.time] == time_code]
        dims = [d for d in key_dims if d in frame]
        if len(dims) != len(key_dims):
            continue
        columns = [frame[ctx.region], *(frame[d] for d in key_dims), frame["value"],
                   frame["missing_reason"]]
        for region, *rest in zip(*columns, strict=True):
            *key, value, reason = rest
            cells.setdefault((str(region), tuple(str(k) for k in key)), (float(value), reason))
    answer = _Answer(ctx, areas, set(present), key_dims, defaults, cells)
    return answer, _merge_metas(metas)


def _merge_metas(metas: list[TableMeta]) -> TableMeta:
    first = metas[0]
    if len(metas) == 1:
        return first
    notes = [m.fetch_note for m in metas if m.fetch_note]
    return replace(first, fetched=min(m.fetched for m in metas),
                   from_cache=any(m.from_cache for m in metas),
                   fetch_note=" ".join(dict.fromkeys(notes)) or None)


def fetch_area_indicators(client: PxWebClient, kommun: str, level: str = "RegSO", *,
                          year: int | None = None, recipes: Sequence[str] = tuple(RECIPES),
                          table_ids: Mapping[str, str] | None = None,
                          progress: Callable[[str], None] | None = None) -> ScbFetch:
    """Indicator counts per DeSO or RegSO area of ``kommun`` from SCB's small-area tables.

    ``year`` defaults to the latest year that every chosen table has. ``table_ids`` maps a
    recipe key to another table id (e.g. ``{"utbildning": "TAB6534"}``). ``progress`` gets
    a Swedish message before each table is fetched.
    """
    table_ids = dict(table_ids or {})
    recipes = list(dict.fromkeys(recipes))
    problems = Problems(ApiQueryError)
    if not re.fullmatch(r"\d{4}", str(kommun)):
        problems.add("Kommunkoden ska vara fyra siffror.", column="kommun", values=[kommun],
                     fix="ange t.ex. '0126' för Huddinge")
    if level not in ("DeSO", "RegSO"):
        problems.add("Okänd områdesnivå.", column="level", values=[level],
                     expected="'DeSO' eller 'RegSO'")
    unknown = [r for r in [*recipes, *table_ids] if r not in RECIPES]
    if unknown or not recipes:
        problems.add("Okänt eller inget urval av indikatorgrupper.", column="recipes",
                     values=unknown, expected=", ".join(RECIPES))
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        problems.add("Året ska vara ett heltal.", column="year", values=[year],
                     fix="ange t.ex. 2024")
    problems.raise_if_any()
    say = progress or (lambda _message: None)

    def table_for(key: str, wanted: int | None) -> str:
        return table_ids.get(key) or RECIPES[key].table_id(wanted)

    chosen = {key: table_for(key, year) for key in recipes}
    say(f"Läser tabellbeskrivningar från SCB ({', '.join(dict.fromkeys(chosen.values()))}) …")
    metas = {key: client.table_metadata(tid) for key, tid in chosen.items()}
    notes: list[str] = []
    if year is None:
        latest = {}
        for key, meta in metas.items():
            years = _years(meta, _time_dim(meta))
            if not years:
                raise ApiQueryError([Problem(
                    f"Tabellen {chosen[key]} har inga år i tidsdimensionen.",
                    column=_time_dim(meta), values=list(meta.dimensions), fix=_fix(key))])
            latest[key] = years[-1]
        year = min(latest.values())
        for key in recipes:
            again = table_for(key, year)
            if again != chosen[key]:
                chosen[key] = again
                metas[key] = client.table_metadata(again)
        newer = [f"{RECIPES[k].title} ({chosen[k]}) finns till {y}"
                 for k, y in latest.items() if y > year and chosen[k] == table_for(k, None)]
        if newer:
            notes.append(f"Året {year} är det senaste som alla tabellerna har; "
                         + ", ".join(newer) + ".")
    for key, meta in metas.items():
        time = _time_dim(meta)
        years = _years(meta, time)
        if year not in years:
            raise ApiQueryError([Problem(
                f"Tabellen {chosen[key]} ({RECIPES[key].title}) har inga uppgifter för år "
                f"{year}.", column=time, values=years,
                expected="ett av tabellens år", fix=_fix(key))])
    contexts = {key: _Ctx(key, chosen[key], metas[key], year) for key in recipes}
    areas = sorted({code for ctx in contexts.values()
                    for code in _area_codes(ctx.meta, ctx.region, kommun, level, year)})
    if not areas:
        raise ApiQueryError([Problem(
            f"Tabellerna {', '.join(dict.fromkeys(chosen.values()))} har inga "
            f"{level}-områden för kommun {kommun} år {year}.", column="kommun",
            values=[kommun], fix="kontrollera kommunkoden och nivån, eller " + _fix(recipes[0]))])

    # Every table's labels are checked before the first data call.
    plans = {key: RECIPES[key].build(ctx) for key, ctx in contexts.items()}
    for key, ctx in contexts.items():
        _plan(ctx, plans[key])

    table = pd.DataFrame({AREA_ID: pd.Series(areas, dtype="string")})
    missing_rows: list[tuple[str, str, str]] = []
    sources: list[TableMeta] = []
    for key in recipes:
        ctx = contexts[key]
        recipe = RECIPES[key]
        exprs = plans[key]
        say(f"Hämtar {recipe.title} ({ctx.table_id}) från SCB …")
        answer, meta = _fetch(client, ctx, exprs, areas, kommun, level)
        sources.append(meta)
        for column in recipe.columns:
            values, reasons = answer.evaluate(exprs[column])
            table[column] = pd.Series(values, dtype="float64")
            missing_rows += [(area, column, "; ".join(r))
                             for area, value, r in zip(areas, values, reasons, strict=True)
                             if np.isnan(value)]
        notes += ctx.notes
    if any(s.noise_note for s in sources):
        notes.insert(0, NOISE_NOTE)
    for source in sources:
        if source.fetch_note:
            notes.append(f"{source.table_id}: {source.fetch_note}")
    missing = pd.DataFrame(missing_rows, columns=list(MISSING_COLUMNS))
    missing[AREA_ID] = missing[AREA_ID].astype("string")
    return ScbFetch(table=table, sources=tuple(sources), notes=tuple(dict.fromkeys(notes)),
                    missing=missing, kommun=str(kommun), level=level, year=year)
