"""How much work one input file may cause, checked before the expensive step.

A file that is small on disk can still expand to gigabytes (a Parquet column of repeated
values, an Excel sheet whose dimension claims a million rows, a GeoPackage view that
counts to a billion). Every reader checks what the format lets it see first (Parquet
metadata, Excel dimensions, the number of features) against these limits and refuses with
a message that names the limit, the file's value and how to raise the limit.

The defaults fit a whole country of DeSO with room to spare. Each can be raised for one
run with an environment variable (``PREVMAP_MAX_ROWS=5000000``); :func:`limits_from_env`
reads them from any mapping, so this module stays pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from indicators.errors import PrevmapError, Problem
from indicators.swedish import format_integer


class FileLimitError(PrevmapError):
    """A file asks for more work than a limit allows."""

    title = "Filen är för stor att läsa"


#: Swedish description of each limit, as shown in a refusal.
LIMIT_TEXT = {
    "max_bytes": "storlek på disk (byte)",
    "max_decoded_bytes": "storlek uppackad eller avkodad (byte)",
    "max_rows": "antal rader",
    "max_columns": "antal kolumner",
    "max_cells": "antal celler (rader × kolumner)",
    "max_features": "antal objekt (ytor eller punkter)",
    "max_vertices": "antal hörnpunkter i hela filen",
    "max_vertices_per_feature": "antal hörnpunkter i ett objekt",
    "max_self_crossings": "antal ställen där ogiltiga ytor korsar sig själva",
    "max_seconds": "tid för att läsa filen (sekunder)",
    "max_memory_bytes": "minne som läsningen av filen får använda (byte)",
    "max_compression_ratio": "packningsgrad (uppackad storlek delad med packad)",
}


@dataclass(frozen=True)
class FileLimits:
    """Upper bounds for one input file; see :data:`LIMIT_TEXT` for what each one counts."""

    max_bytes: int = 50 * 1024**2             # the app's upload limit (server.maxUploadSize)
    max_decoded_bytes: int = 512 * 1024**2
    max_rows: int = 2_000_000
    max_columns: int = 2_000
    max_cells: int = 20_000_000
    max_features: int = 100_000
    max_vertices: int = 6_000_000             # all RegSO of Sweden: 1.9 million
    max_vertices_per_feature: int = 250_000   # the largest RegSO: 7 871
    max_self_crossings: int = 2_000           # make_valid: 950 crossings 0.6 s, 4 300 6 s
    max_seconds: int = 120
    max_memory_bytes: int = 4 * 1024**3
    max_compression_ratio: int = 100          # real xlsx parts unpack ~10×, Parquet ~1–10×

    def env_name(self, limit: str) -> str:
        """The environment variable that raises ``limit`` (``max_rows`` → ``PREVMAP_MAX_ROWS``)."""
        if limit not in LIMIT_TEXT:
            raise KeyError(limit)
        return "PREVMAP_" + limit.upper()

    def check(self, limit: str, value: int | float, source: str) -> None:
        """Raise :class:`FileLimitError` when ``value`` exceeds ``limit`` for file ``source``."""
        bound = getattr(self, limit)
        if value > bound:
            raise FileLimitError([refusal(self, limit, value, source)])


def refusal(limits: FileLimits, limit: str, value: int | float, source: str) -> Problem:
    """The problem that names the limit, the file's value, the bound and how to raise it."""
    bound = getattr(limits, limit)
    return Problem(
        f"filens {LIMIT_TEXT[limit]} är {format_integer(value)}, över gränsen "
        f"{format_integer(bound)}.",
        source=source,
        fix=(f"dela upp filen eller förenkla den, eller höj gränsen med miljövariabeln "
             f"{limits.env_name(limit)} (t.ex. {limits.env_name(limit)}="
             f"{max(bound * 2, value):.0f}) innan prevmap startas"))


def limits_from_env(env: Mapping[str, str], base: FileLimits | None = None) -> FileLimits:
    """``base`` (the defaults) with every ``PREVMAP_MAX_*`` variable in ``env`` applied.

    A variable that is not a positive whole number is refused with its name and value.
    """
    base = base or FileLimits()
    changes: dict[str, int] = {}
    problems = []
    for field in fields(FileLimits):
        name = base.env_name(field.name)
        if name not in env:
            continue
        text = env[name].strip().replace("_", "").replace(" ", "")
        if not text.isdigit() or int(text) <= 0:
            problems.append(Problem("gränsen måste vara ett positivt heltal.", source=name,
                                    values=(env[name],), fix=f"sätt t.ex. {name}="
                                    f"{getattr(base, field.name)}"))
            continue
        changes[field.name] = int(text)
    if problems:
        raise FileLimitError(problems)
    return replace(base, **changes)
