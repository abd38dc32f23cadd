"""Numbers and text written the Swedish way: parsing numbers from tables (decimal comma,
spaces between thousands, SCB's symbols for missing values)."""

from __future__ import annotations

import re

import numpy as np

# SCB's symbols (teckenförklaring) and what they mean. All three are read as missing.
MISSING_SYMBOLS: dict[str, str] = {
    "..": "'..': uppgift inte tillgänglig eller för osäker för att anges (SCB)",
    ".": "'.': uppgift kan inte förekomma (SCB)",
    "-": "'-': noll, inget att redovisa (SCB); läses som saknat, inte som 0",
}

_SPACES = re.compile(r"[ \u00a0\u2007\u2009\u202f]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u2007\u2009\u202f]\d{3})+(?:[.,]\d+)?")


def parse_number(text: str) -> float | None:
    """A number written the Swedish or the English way, or ``None`` if it is not one.

    ``'1 234,5'`` (also with non-breaking or thin spaces), ``'1234.5'``, ``'−3'`` and
    ``'1e-3'`` parse; ``'1,234'`` is 1.234 (decimal comma). Infinite values do not parse.
    """
    t = text.strip().replace("\u2212", "-")
    if _GROUPED.fullmatch(t):
        t = _SPACES.sub("", t)
    if not _NUMBER.fullmatch(t):
        return None
    value = float(t.replace(",", "."))
    return value if np.isfinite(value) else None
