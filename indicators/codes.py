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

    if empty:
        problems.add(f"{empty} tomma områdeskoder.", column=column,
                     fix="fyll i koderna eller ta bort raderna")
    if lost:
        add_lost_zero_problem(problems, column, lost)
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
