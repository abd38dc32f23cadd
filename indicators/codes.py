"""Swedish area codes: what kind a code is, its vintage, and checks that explain bad codes.

- kommun: four digits, ``0126``
- DeSO: kommun code, a letter A/B/C and four digits, ``0126C1020``
- RegSO: kommun code, ``R`` and three digits, ``0126R001``

From reference year 2024 SCB's API suffixes codes with the version of the division,
``0114A0010_DeSO2025`` and ``0114R001_RegSO2025``. :func:`split_vintage` separates the
two. A code written as a number in Excel loses its leading zero (``0126`` becomes ``126``);
:func:`validate_area_codes` recognises that and says how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from indicators.errors import AreaCodeError, PrevmapError, Problems

KOMMUN = "kommun"
DESO = "deso"
REGSO = "regso"

_PATTERNS: dict[str, re.Pattern[str]] = {
    KOMMUN: re.compile(r"\d{4}"),
    DESO: re.compile(r"\d{4}[ABC]\d{4}"),
    REGSO: re.compile(r"\d{4}R\d{3}"),
}
# The same shapes with the kommun part one digit short: a leading zero lost in Excel.
_LOST_ZERO: dict[str, re.Pattern[str]] = {
    KOMMUN: re.compile(r"\d{3}(?:\.0+)?"),
    DESO: re.compile(r"\d{3}[ABC]\d{4}"),
    REGSO: re.compile(r"\d{3}R\d{3}"),
}
_SUFFIX = re.compile(r"(?P<code>.+)_(?P<kind>deso|regso)(?P<year>\d{4})", re.IGNORECASE)
_KIND_OF_SUFFIX = {"deso": DESO, "regso": REGSO}
_SUFFIX_NAME = {DESO: "DeSO", REGSO: "RegSO"}


def area_code_text(code: object) -> str:
    """A code as text: Excel's numbers (``126``, ``126.0``) become ``'126'``, text is stripped."""
    if isinstance(code, bool):
        return str(code)
    if isinstance(code, int):
        return str(code)
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code).strip()


def classify_area_code(code: str) -> str | None:
    """``'kommun'``, ``'deso'`` or ``'regso'`` for a code without suffix, else ``None``."""
    for kind, pattern in _PATTERNS.items():
        if pattern.fullmatch(code):
            return kind
    return None


def split_vintage(code: str) -> tuple[str, str | None]:
    """Split SCB's vintage suffix: ``'0114A0010_DeSO2025'`` -> ``('0114A0010', 'DeSO2025')``.

    A code without suffix returns ``(code, None)``. The vintage is spelled ``DeSO<year>``
    or ``RegSO<year>`` whatever the case in the input.
    """
    code = code.strip()
    match = _SUFFIX.fullmatch(code)
    if not match:
        return code, None
    kind = _KIND_OF_SUFFIX[match["kind"].lower()]
    return match["code"], f"{_SUFFIX_NAME[kind]}{match['year']}"


def vintage_kind(vintage: str) -> str | None:
    """``'deso'`` for ``'DeSO2025'``, ``'regso'`` for ``'RegSO2020'``, else ``None``."""
    match = re.fullmatch(r"(deso|regso)\d{4}", vintage.strip(), re.IGNORECASE)
    return _KIND_OF_SUFFIX[match[1].lower()] if match else None


def vintage_label(vintage: str) -> str:
    """``'DeSO2018'`` -> ``'DeSO 2018'``, for messages."""
    return re.sub(r"(\D)(\d{4})$", r"\1 \2", vintage)


def restore_leading_zero(code: str) -> str | None:
    """The code with its lost leading zero put back (``'126R001'`` -> ``'0126R001'``), or None."""
    for pattern in _LOST_ZERO.values():
        if pattern.fullmatch(code):
            return "0" + code.split(".")[0]
    return None


def lost_leading_zeros(codes: Iterable[object]) -> dict[str, str]:
    """Codes of no known shape that are a known shape with the leading zero lost: bad -> fixed."""
    lost: dict[str, str] = {}
    for raw in codes:
        base, _ = split_vintage(area_code_text(raw))
        if classify_area_code(base) is None:
            fixed = restore_leading_zero(base)
            if fixed is not None:
                lost.setdefault(base, fixed)
    return lost


def add_lost_zero_problem(problems: Problems, column: str, lost: dict[str, str]) -> None:
    """Explain codes that lost their leading zero (see :func:`lost_leading_zeros`)."""
    problems.add("områdeskoder har tappat sin inledande nolla; Excel har troligen gjort om "
                 "kolumnen till tal.", column=column,
                 values=[f"{bad} (ska vara {good})" for bad, good in lost.items()],
                 expected="kommunkod med fyra siffror, t.ex. '0126', '0126R001', '0126C1020'",
                 fix="importera kolumnen som text (i Excel: Data > Från text/CSV, "
                     "kolumndatatyp Text) eller formatera cellerna som text och skriv nollan")


def _add_shape_problems(problems: Problems, column: str, empty: int, malformed: list[str],
                        wrong_suffix: list[str]) -> None:
    """Empty codes, codes of no known shape and suffixes that do not fit their code."""
    if empty:
        problems.add(f"{empty} tomma områdeskoder.", column=column,
                     fix="fyll i koderna eller ta bort raderna")
    if malformed:
        problems.add("okänd form på områdeskoder.", column=column, values=malformed,
                     expected="kommunkod '0126', DeSO-kod '0126C1020' eller RegSO-kod "
                              "'0126R001', ev. med SCB:s tillägg '_DeSO2025'/'_RegSO2025'",
                     fix="kontrollera att kolumnen innehåller områdeskoder")
    if wrong_suffix:
        problems.add("versionstillägget passar inte koden (DeSO-kod med RegSO-tillägg eller "
                     "tvärtom).", column=column, values=wrong_suffix,
                     expected="'_DeSO<år>' efter DeSO-koder och '_RegSO<år>' efter RegSO-koder",
                     fix="hämta tabellen igen från SCB med rätt områdesindelning")


def validate_area_codes(codes: Iterable[object], *, source: str, column: str,
                        known: Iterable[str] | None = None,
                        vintage_hint: str | None = None) -> tuple[str, ...]:
    """Check area codes and return them without vintage suffix, in input order.

    Raises :class:`AreaCodeError` with every problem at once: empty codes; codes that lost
    their leading zero in Excel; codes of no known shape; a suffix that does not fit the
    code (``0114A0010_RegSO2025``); a suffix from another vintage than ``vintage_hint``
    (e.g. ``'DeSO2018'``) or than the suffixed ``known`` codes; codes not in ``known``.
    """
    problems = Problems(AreaCodeError, source)
    known_codes: set[str] | None = None
    known_vintages: set[str] = set()
    if known is not None:
        known_codes = set()
        for k in known:
            base, vin = split_vintage(area_code_text(k))
            known_codes.add(base)
            if vin:
                known_vintages.add(vin)
    expected_vintage = vintage_hint or (next(iter(known_vintages))
                                        if len(known_vintages) == 1 else None)

    out: list[str] = []
    empty = 0
    lost: dict[str, str] = {}
    malformed: list[str] = []
    wrong_suffix: list[str] = []
    other_vintage: list[str] = []
    unknown: list[str] = []
    for raw in codes:
        text = area_code_text(raw) if raw is not None else ""
        if text in {"", "nan", "<NA>", "None"}:
            empty += 1
            out.append("")
            continue
        base, vintage = split_vintage(text)
        out.append(base)
        kind = classify_area_code(base)
        if kind is None:
            fixed = restore_leading_zero(base)
            if fixed is not None:
                lost.setdefault(text, fixed)
            elif text not in malformed:
                malformed.append(text)
            continue
        if vintage is not None:
            if vintage_kind(vintage) != kind:
                if text not in wrong_suffix:
                    wrong_suffix.append(text)
                continue
            if (expected_vintage and vintage.lower() != expected_vintage.lower()
                    and vintage_kind(expected_vintage) == kind):
                if text not in other_vintage:
                    other_vintage.append(text)
                continue
        if known_codes is not None and base not in known_codes and text not in unknown:
            unknown.append(text)

    if lost:
        add_lost_zero_problem(problems, column, lost)
    _add_shape_problems(problems, column, empty, malformed, wrong_suffix)
    if other_vintage and expected_vintage:
        label = vintage_label(expected_vintage)
        problems.add(f"koder från en annan version av indelningen än {label}.",
                     column=column, values=other_vintage,
                     expected=f"koder enligt {label}",
                     fix=f"välj {label} när du hämtar tabellen, eller välj den "
                         "version av områdesindelningen (kartan) som tabellen använder")
    if unknown:
        hint = (f" (förväntad version: {vintage_label(expected_vintage)})"
                if expected_vintage else "")
        problems.add("okända områdeskoder: de finns inte i områdesindelningen" + hint + ".",
                     column=column, values=unknown,
                     expected="koder som finns i kartans områdesindelning",
                     fix="rätta koderna, eller välj den version av indelningen som tabellen "
                         "använder (t.ex. DeSO 2018 eller DeSO 2025)")
    problems.raise_if_any()
    return tuple(out)



def check_kommun_code(kommun: object, error: type[PrevmapError] = AreaCodeError) -> str:
    """A kommun code as four digits, or ``error`` saying that it is not (e.g. a lost zero)."""
    code = str(kommun).strip()
    if not re.fullmatch(r"\d{4}", code):
        raise error(f"kommunkoden '{kommun}' är inte fyra siffror. Förväntat: t.ex. "
                    "'0126' för Huddinge (inledande nolla behövs).")
    return code


# SCB's områdestyp (RegSO typology, 1–5).
OMRADESTYP_LABELS: dict[int, str] = {
    1: "Områden med stora socioekonomiska utmaningar",
    2: "Områden med socioekonomiska utmaningar",
    3: "Socioekonomiskt blandade områden",
    4: "Områden med goda socioekonomiska förutsättningar",
    5: "Områden med mycket goda socioekonomiska förutsättningar",
}


# -- one column of codes as a user's table has it ------------------------------------------
LEVEL_NAMES = {KOMMUN: "kommun", DESO: "DeSO", REGSO: "RegSO"}
_LABEL = re.compile(r"(?P<code>\d{3,4}(?:[ABC]\d{4}|R\d{3})?(?:_(?:deso|regso)\d{4})?)"
                    r"\s+(?P<name>\S.*)", re.IGNORECASE)


def split_code_label(text: str) -> tuple[str, str | None]:
    """SCB's "code name" labels: ``'0126C1060 Huddinge'`` -> ``('0126C1060', 'Huddinge')``;
    a bare code is returned as it is with no name."""
    match = _LABEL.fullmatch(text.strip())
    return (match["code"], match["name"].strip()) if match else (text.strip(), None)


def looks_like_codes(values: Iterable[object]) -> bool:
    """True when every non-empty value is an area code, or SCB's "code name" label, possibly
    with a vintage suffix or a lost leading zero (Excel)."""
    seen = False
    for raw in values:
        text = area_code_text(raw) if raw is not None else ""
        if text in {"", "nan", "<NA>", "None"}:
            continue
        base, _ = split_vintage(split_code_label(text)[0])
        if classify_area_code(base) is None and restore_leading_zero(base) is None:
            return False
        seen = True
    return seen


@dataclass(frozen=True)
class NormalisedCodes:
    """A column of area codes made comparable with a map's: without SCB's vintage suffix,
    with a lost leading zero put back and a "code name" label split."""

    codes: tuple[str, ...]
    names: tuple[str | None, ...]
    level: str
    """``'kommun'``, ``'deso'`` or ``'regso'``: every code has this one."""
    restored: dict[str, str]
    """Codes that had lost their leading zero: as written -> as read."""
    vintages: tuple[str, ...]
    """SCB's suffixes met (``'DeSO2025'``), in order of first appearance."""

    def notes(self, source: str, column: str) -> list[str]:
        """What was done to the codes, in Swedish: shown beside the map."""
        out = []
        if self.restored:
            examples = ", ".join(f"{bad} → {good}" for bad, good in list(self.restored.items())[:3])
            out.append(f"{source}, kolumn '{column}': {len(self.restored)} områdeskoder hade "
                       f"tappat sin inledande nolla (Excel läser koder som tal) och lästes med "
                       f"nollan: {examples}")
        if self.vintages:
            out.append(f"{source}, kolumn '{column}': SCB:s versionstillägg "
                       f"({', '.join('_' + v for v in self.vintages)}) togs bort; koderna "
                       f"jämförs med kartans utan tillägg")
        return out


def normalise_area_codes(values: Iterable[object], *, source: str,
                         column: str) -> NormalisedCodes:
    """The codes of a table's key column made comparable (see :class:`NormalisedCodes`).

    Raises :class:`AreaCodeError` for empty codes, codes of no known shape, a suffix that
    does not fit its code, and a column that mixes levels (DeSO and RegSO codes)."""
    problems = Problems(AreaCodeError, source)
    codes: list[str] = []
    names: list[str | None] = []
    restored: dict[str, str] = {}
    vintages: dict[str, None] = {}
    kinds: dict[str, list[str]] = {}
    empty, malformed, wrong_suffix = 0, [], []
    for raw in values:
        text = area_code_text(raw) if raw is not None else ""
        if text in {"", "nan", "<NA>", "None"}:
            empty += 1
            codes.append("")
            names.append(None)
            continue
        label, name = split_code_label(text)
        base, vintage = split_vintage(label)
        kind = classify_area_code(base)
        if kind is None:
            fixed = restore_leading_zero(base)
            if fixed is None:
                malformed.append(text)
            else:
                restored.setdefault(base, fixed)
                base, kind = fixed, classify_area_code(fixed)
        if vintage is not None and kind is not None:
            if vintage_kind(vintage) != kind:
                wrong_suffix.append(text)
            vintages.setdefault(vintage)
        if kind is not None:
            kinds.setdefault(kind, []).append(text)
        codes.append(base)
        names.append(name)
    _add_shape_problems(problems, column, empty, malformed, wrong_suffix)
    if len(kinds) > 1:
        problems.add("kolumnen blandar nivåer: "
                     + ", ".join(f"{len(v)} {LEVEL_NAMES[k]}-koder" for k, v in kinds.items())
                     + ".", column=column,
                     values=[v[0] for v in kinds.values()],
                     fix="en tabell per nivå: ta bort raderna för den andra nivån")
    problems.raise_if_any()
    level = next(iter(kinds)) if kinds else KOMMUN
    return NormalisedCodes(tuple(codes), tuple(names), level, restored, tuple(vintages))


def _examples(codes: Iterable[str], n: int = 5) -> str:
    codes = sorted(codes)
    shown = ", ".join(f"'{c}'" for c in codes[:n])
    return shown + (f" (och {len(codes) - n} till)" if len(codes) > n else "")


def check_code_match(table_codes: Iterable[str], area_codes: Iterable[str], *, source: str,
                     column: str, table_level: str, area_level: str,
                     vintages: Iterable[str] = ()) -> None:
    """Refuse a table whose codes do not fit the map: fewer than half of the map's areas
    found in the table. The error says how many matched, shows five codes of each side,
    the likely cause (another level, another kommun, another vintage of the division) and
    the fix. A map where most areas have data passes; the areas without data are listed
    with the map (:class:`geo.spatial.join.JoinReport`)."""
    table, areas = set(table_codes), set(area_codes)
    matched = table & areas
    if areas and len(matched) * 2 >= len(areas):
        return
    causes = []
    if table_level != area_level:
        causes.append(f"tabellen har {LEVEL_NAMES.get(table_level, table_level)}-koder men "
                      f"kartan {LEVEL_NAMES.get(area_level, area_level)}-områden")
    table_kommuner = {c[:4] for c in table}
    area_kommuner = {c[:4] for c in areas}
    if table_kommuner and not table_kommuner & area_kommuner:
        causes.append("tabellen gäller kommun " + ", ".join(sorted(table_kommuner)[:5])
                      + " men kartan kommun " + ", ".join(sorted(area_kommuner)[:5]))
    vintages = list(vintages)
    if vintages or not causes:
        causes.append("tabellen och kartan bygger på olika versioner av indelningen"
                      + (f" (tabellen: {', '.join(vintage_label(v) for v in vintages)})"
                         if vintages else " (t.ex. DeSO 2018 och DeSO 2025)"))
    raise AreaCodeError(
        f"fil '{source}', kolumn '{column}': tabellens områdeskoder passar inte kartan: "
        f"{len(matched)} av kartans {len(areas)} områden finns i tabellen "
        f"(tabellen har {len(table)} koder). Bara i tabellen: {_examples(table - areas)}. "
        f"Bara i kartan: {_examples(areas - table)}. Trolig orsak: {'; '.join(causes)}. "
        "Åtgärd: välj samma nivå, kommun och version av indelningen i tabellen som i kartan "
        "(hämta tabellen igen från SCB eller välj kartans indelning), eller rätta koderna.")
