"""Readers and writers for the core's tables and files (CSV, Parquet, TOML).

Pure pandas and tomllib: no geometry. Every reader validates at the boundary and
names the file in its errors.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from geo.io.limits import FileLimits, limits_from_env
from geo.io.table_limits import validate_parquet
from geo.io.tables import CSV_SUFFIXES, EXCEL_SUFFIXES, read_raw_table, separator_of
from indicators.catalogue import Catalogue, validate_catalogue
from indicators.columns import AREA_ID, SYNTHETIC_MARK
from indicators.errors import (
    CatalogueError,
    IndicatorTableError,
    MetadataError,
    PrevmapError,
    Problems,
    SettingsError,
)
from indicators.settings import AnalysisSettings

META_SUFFIX = ".meta.toml"
_META_KEYS = {"title", "source", "licence", "date", "synthetic", "note", "checks"}
"""``checks`` (an array of tables) records how a curated file's entries were checked against
their sources (``data/interventions/insatser.toml.meta.toml``); maps do not show it."""


@dataclass(frozen=True)
class SourceInfo:
    """Where a data file comes from: shown on every map and in every export."""

    title: str
    source: str
    date: str
    licence: str = ""
    synthetic: bool = False
    note: str = ""

    def label(self) -> str:
        parts = [self.title, self.source, f"datum {self.date}"]
        if self.licence:
            parts.append(f"licens {self.licence}")
        text = ", ".join(p for p in parts if p)
        return ("SYNTETISKA DEMODATA – " + text) if self.synthetic else text


def _missing_file(path: Path, error: type[PrevmapError], what: str) -> None:
    if not path.is_file():
        raise error(f"{what} '{path}' finns inte. Kontrollera sökvägen.")


def read_source_info(path: str | Path) -> SourceInfo:
    """Read the sidecar ``<file>.meta.toml`` beside a data file.

    Without a sidecar the file name and its modification date are used, and the
    note says so, so that a map never lacks a source and a date.
    """
    path = Path(path)
    meta = path.with_name(path.name + META_SUFFIX)
    if not meta.is_file():
        mtime = (dt.date.fromtimestamp(path.stat().st_mtime).isoformat() if path.exists()
                 else "okänt")
        return SourceInfo(title=path.name, source="egen fil", date=mtime,
                          note="ingen metadatafil; datum är filens ändringsdatum")
    problems = Problems(MetadataError, str(meta))
    try:
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise MetadataError(f"metadatafilen '{meta}' är inte giltig TOML: {err}") from None
    unknown = sorted(set(data) - _META_KEYS)
    if unknown:
        problems.add("okända nycklar i metadatafilen.", values=unknown,
                     expected=", ".join(sorted(_META_KEYS)))
    for key in ("title", "source", "date"):
        if not str(data.get(key, "")).strip():
            problems.add("nyckeln saknas eller är tom.", column=key)
    checks = data.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        problems.add("ska vara en lista av tabeller.", column="checks",
                     fix="skriv varje kontroll som [[checks]] med sina nycklar")
    if not isinstance(data.get("synthetic", False), bool):
        problems.add("ska vara true eller false utan citattecken.", column="synthetic",
                     values=[data["synthetic"]], fix="skriv synthetic = true eller false")
    problems.raise_if_any()
    return SourceInfo(title=str(data["title"]), source=str(data["source"]),
                      date=str(data["date"]), licence=str(data.get("licence", "")),
                      synthetic=bool(data.get("synthetic", False)), note=str(data.get("note", "")))


def mark_synthetic(info: SourceInfo, table: pd.DataFrame) -> SourceInfo:
    """The table's source, marked synthetic when the table carries the synthetic column,
    and with the notes of reading it (``table.attrs["notes"]`` from
    :func:`read_indicator_table`: macros not run, values cached from linked workbooks, a
    Windows-1252 file), so that they are shown wherever the source is."""
    notes = [info.note, *table.attrs.get("notes", ())]
    if SYNTHETIC_MARK in table.columns and not info.synthetic:
        notes.append("tabellen har kolumnen '" + SYNTHETIC_MARK + "': värdena är syntetiska")
        info = replace(info, synthetic=True)
    return replace(info, note="; ".join(n for n in notes if n))


def read_catalogue(path: str | Path) -> Catalogue:
    """Read and validate an indicator catalogue (CSV, UTF-8)."""
    path = Path(path)
    _missing_file(path, CatalogueError, "Katalogfilen")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return validate_catalogue(table, source=path.name)


def read_indicator_table(path: str | Path, limits: FileLimits | None = None) -> pd.DataFrame:
    """Read an indicator table as text columns (CSV, Excel or Parquet); validation converts
    numbers.

    A file beyond ``limits`` (by default the environment's) is refused before it is decoded
    (:mod:`geo.io.table_limits`). ``attrs["notes"]`` of the table says what the user must
    know about the file (see :func:`mark_synthetic`, which carries them to the source).

    The CSV is read by :func:`geo.io.tables.read_raw_table`: the separator is the one
    of semicolon, tab and comma that occurs most often in the header line (comma when none
    does); UTF-8 with or without byte order mark, else Windows-1252. Area ids are always
    text, so leading zeros in kommun codes survive. Numbers are parsed by validation (or
    use :func:`geo.io.tables.read_table`, which also reads Excel).
    """
    path = Path(path)
    _missing_file(path, IndicatorTableError, "Indikatorfilen")
    limits = limits or limits_from_env(os.environ)
    notes: tuple[str, ...] = ()
    if path.suffix.lower() in {".parquet", ".pq"}:
        validate_parquet(path, limits, IndicatorTableError)
        table = pd.read_parquet(path)
    elif path.suffix.lower() in CSV_SUFFIXES | EXCEL_SUFFIXES:
        raw = read_raw_table(path, error=IndicatorTableError, limits=limits)
        table, notes = raw.frame, raw.notes
    else:
        raise IndicatorTableError(f"fil '{path.name}': okänt filformat '{path.suffix}'. "
                                  "Förväntat: .csv, .xlsx eller .parquet.")
    if AREA_ID in table.columns:
        table[AREA_ID] = table[AREA_ID].astype("string")
    table.attrs["notes"] = notes
    return table


def detect_separator(path: Path) -> str:
    """The CSV separator: whichever of ``;``, tab and ``,`` the header line has most of."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return separator_of(handle.readline())


def read_settings(path: str | Path) -> AnalysisSettings:
    """Read analysis settings from a TOML file."""
    path = Path(path)
    _missing_file(path, SettingsError, "Inställningsfilen")
    return AnalysisSettings.from_toml(path.read_text(encoding="utf-8"), source=path.name)


def write_settings(settings: AnalysisSettings, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(settings.to_toml(), encoding="utf-8")
    return path

