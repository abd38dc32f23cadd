"""Read the organisation file: who leads and who takes part, per domain (TOML).

The default is Huddinge's structure from the decision KS-2019/3209
(:data:`DEFAULT_ORGANISATION`); another kommun passes the path of its own file. The model and
its rules are :mod:`indicators.organisation`; this module only opens and parses the file and
says, in Swedish, which file and what is wrong with it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from indicators.errors import OrganisationError, PrevmapError, Problem
from indicators.organisation import Organisation, organisation_from_dict

DEFAULT_ORGANISATION = (Path(__file__).resolve().parents[2] / "data" / "organisation"
                        / "huddinge.toml")
"""Huddinge's organisation for prevention, after the decision KS-2019/3209."""

MAX_BYTES = 1_000_000
"""An organisation file is a few kilobytes; a larger file is refused before it is parsed."""


def read_small_file(path: str | Path, error: type[PrevmapError]) -> bytes:
    """The bytes of a small configuration file, or ``error`` naming the file and the reason
    (missing, too large, unreadable) and how to fix it; read once, so that what is parsed
    is what is hashed (:mod:`geo.io.recommendation_files`)."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise error([Problem("filen finns inte.", source, fix="kontrollera sökvägen")])
    if path.stat().st_size > MAX_BYTES:
        parse_toml_bytes(b"", source, error, size=path.stat().st_size)   # raises: too large
    try:
        return path.read_bytes()
    except OSError as err:
        raise error([Problem(f"filen kan inte läsas ({err.strerror}).", source,
                             fix="kontrollera att filen går att öppna")]) from None


def read_toml_file(path: str | Path, error: type[PrevmapError]) -> dict[str, Any]:
    """The parsed TOML of a small configuration file, or ``error`` naming the file and the
    reason (missing, too large, not UTF-8, not TOML, nested too deep) and how to fix it."""
    return parse_toml_bytes(read_small_file(path, error), str(path), error)


def parse_toml_bytes(data: bytes, source: str, error: type[PrevmapError], *,
                     size: int | None = None) -> dict[str, Any]:
    """The parsed TOML of a small configuration file's bytes (an upload), or ``error`` naming
    ``source`` and the reason (too large, not UTF-8, not TOML, nested too deep) and how to
    fix it. ``size``: the file's size when it was not read for being too large."""

    def refuse(message: str, fix: str) -> PrevmapError:
        return error([Problem(message, source, fix=fix)])

    if (len(data) if size is None else size) > MAX_BYTES:
        raise refuse(f"filen är större än {MAX_BYTES // 1_000_000} MB.",
                     "välj rätt fil; en sådan fil är några kilobyte")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("filen är inte sparad som UTF-8.",
                     "spara filen som UTF-8 i textredigeraren") from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        raise refuse(f"filen är inte giltig TOML ({err}).",
                     "rätta raden som anges; text skrivs inom citattecken") from None
    except RecursionError:  # tomllib recurses per nesting level
        raise refuse("filen har tabeller nästlade i för många nivåer.",
                     "utgå från kommunens exempelfil") from None


def read_organisation(path: str | Path = DEFAULT_ORGANISATION) -> Organisation:
    """Read and validate an organisation file (``data/organisation/*.toml``)."""
    data = read_toml_file(path, OrganisationError)
    return organisation_from_dict(data, str(path))


def read_organisation_bytes(data: bytes, name: str) -> Organisation:
    """Validate an organisation file's bytes (an upload named ``name``), as
    :func:`read_organisation` a file."""
    return organisation_from_dict(parse_toml_bytes(data, name, OrganisationError), name)
