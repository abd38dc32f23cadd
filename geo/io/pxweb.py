"""SCB Statistikdatabasen through PxWebApi v2 (``https://statistikdatabasen.scb.se/api/v2/``).

Endpoints used (GET, JSON-stat2 answers):

- ``tables/{id}/metadata?lang=sv`` – dimensions, value codes and labels, code lists, notes;
- ``tables/{id}/data?lang=sv&outputFormat=json-stat2&valueCodes[Dim]=a,b`` – the cells;
  a selection too long for a URL goes as a POST body ``{"selection": [{"variableCode",
  "valueCodes"}]}`` instead. SCB allows about 30 calls per 10 seconds and 150,000 cells
  per call (``config`` endpoint).

Area statistics for children and young people (DeSO/RegSO level). PxWebApi v2 names tables
``TAB<n>``; the v1 names from the web interface are given beside them. The ids below come from
a public third-party list of SCB's DeSO tables (captured 2026-04-17) and, for
Tab4InkDesoRegso, one more independent script; they are NOT verified against SCB here, and
SCB says such ids can change when a table is republished. Check one with
``PxWebClient.table_metadata(id)`` (or ``.../api/v2/tables?query=DeSO``) before relying on
it; :data:`AREA_TABLES` is a plain dict so an id can be corrected without code changes.

==============================  =========================================  ========  =========
topic                           v1 folder/name                             v2 id     years
==============================  =========================================  ========  =========
population by age and sex       BE0101Y/FolkmDesoAldKon                    TAB6574   yearly
foreign/Swedish background      BE0101Y/FolkmDesoBakgrKon                  TAB6571   yearly
low/high economic standard      HE0110I/Tab4InkDesoRegso (by age)          TAB6685   yearly
education level 25–64           UF0506D/UtbSUNBefDesoRegso                 TAB5956   2015–2023
education level 25–65           UF0506D/UtbSUNBefDesoRegsoN                TAB6534   2024–
employment 16–64                AM0207I/BefDeSoSyssN                       TAB5880   2019–
labour-market status            AM0210G/ArRegDesoStatusN                   TAB6680   2020–
persons by tenure (hyresrätt)   HE0111YDeSo/HushallT33Deso                 TAB6253   yearly
==============================  =========================================  ========  =========

Region code vintages: from reference year 2024 SCB's tables use DeSO 2025 and RegSO 2025 and
the API wants suffixed codes (``0114A0010_DeSO2025``, ``0114R001_RegSO2025``); unsuffixed
codes return nothing for 2024 and later. :func:`region_code_for_year` adds the suffix,
:func:`strip_region_suffix` removes it, and :meth:`PxWebClient.fetch_table` does both so the
caller only sees plain codes.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from geo.io.http import FetchResult, JsonFetcher, build_url
from indicators.errors import ApiQueryError, FetchError, Problem, Problems

__all__ = [
    "AREA_TABLES",
    "MISSING_SYMBOLS",
    "NOISE_NOTE",
    "SCB_BASE_URL",
    "Dimension",
    "PxWebClient",
    "PxWebTable",
    "TableMeta",
    "TableMetadata",
    "area_codes_for_kommun",
    "area_level",
    "parse_jsonstat2",
    "reference_years",
    "region_code_for_year",
    "strip_region_suffix",
]

SCB_BASE_URL = "https://statistikdatabasen.scb.se/api/v2/"
MAX_GET_URL = 2000
"""Longer GET URLs go as POST instead (proxies and servers cut long URLs)."""

AREA_TABLES: dict[str, str] = {
    "BE0101Y/FolkmDesoAldKon": "TAB6574",
    "BE0101Y/FolkmDesoBakgrKon": "TAB6571",
    "HE0110I/Tab4InkDesoRegso": "TAB6685",
    "UF0506D/UtbSUNBefDesoRegso": "TAB5956",
    "UF0506D/UtbSUNBefDesoRegsoN": "TAB6534",
    "AM0207I/BefDeSoSyssN": "TAB5880",
    "AM0210G/ArRegDesoStatusN": "TAB6680",
    "HE0111YDeSo/HushallT33Deso": "TAB6253",
}
"""v1 folder/table name → v2 table id; unverified, see the module docstring."""

MISSING_SYMBOLS: dict[str, str] = {
    "..": "uppgift saknas eller är för osäker för att redovisas",
    ".": "uppgift kan inte förekomma",
    "-": "noll eller inget att redovisa",
}
"""SCB's symbols for cells without a number, and what they mean (Swedish, shown as is).

A ``-`` cell is kept as missing rather than turned into 0: the caller decides.
"""

NOISE_NOTE = (
    "Från referensår 2025 lägger SCB till ett litet kontrollerat slumpmässigt brus i alla "
    "redovisade värden (Cell Key Method) för att skydda enskilda personer. Delar behöver "
    "därför inte summera till totalen, och summor av redovisade värden får större osäkerhet."
)
NOISE_FROM_YEAR = 2025
SUFFIX_FROM_YEAR = 2024

_DESO = re.compile(r"^\d{4}[A-C]\d{4}$")
_REGSO = re.compile(r"^\d{4}R\d{3}$")
_SUFFIX = re.compile(r"_(DeSO|RegSO)\d{4}$")
_KOMMUN = re.compile(r"^\d{4}$")
_YEAR = re.compile(r"^(\d{4})")


# -- region code vintages ------------------------------------------------------------------

def area_level(code: str) -> str | None:
    """``"DeSO"``, ``"RegSO"`` or None for any other code (suffix ignored)."""
    plain = strip_region_suffix(code)
    if _DESO.match(plain):
        return "DeSO"
    if _REGSO.match(plain):
        return "RegSO"
    return None


def strip_region_suffix(code: str) -> str:
    """``0114A0010_DeSO2025`` → ``0114A0010``; other codes unchanged."""
    return _SUFFIX.sub("", code)


def region_code_for_year(code: str, year: int) -> str:
    """The code SCB's API expects for reference ``year``.

    For 2024 and later DeSO and RegSO codes get ``_DeSO2025``/``_RegSO2025``; for earlier
    years any suffix is removed. Kommun, län and riket codes never change.
    """
    plain = strip_region_suffix(code)
    level = area_level(plain)
    if level is None or year < SUFFIX_FROM_YEAR:
        return plain
    return f"{plain}_{level}2025"


def reference_years(time_codes: Iterable[str]) -> list[int]:
    """Reference years of time codes such as ``2023``, ``2026M04``, ``2024K1``."""
    years = {int(m.group(1)) for c in time_codes if (m := _YEAR.match(str(c)))}
    return sorted(years)


def _vintage_fits(code: str, year: int | None) -> bool:
    """Whether a DeSO/RegSO code's vintage (suffixed or not) belongs to ``year``."""
    if year is None or area_level(code) is None:
        return True
    return (code != strip_region_suffix(code)) == (year >= SUFFIX_FROM_YEAR)


# -- JSON-stat2 ----------------------------------------------------------------------------

def _category_codes(dimension: Mapping[str, Any]) -> list[str]:
    """A dimension's category codes in index order (index may be a list or a dict)."""
    category = dimension.get("category", {})
    index = category.get("index")
    if index is None:
        return list(category.get("label", {}))
    if isinstance(index, list):
        return [str(c) for c in index]
    return [str(c) for c, _ in sorted(index.items(), key=lambda item: item[1])]


def _per_cell(raw: Any, n: int, default: Any) -> list[Any]:
    """JSON-stat2 ``value``/``status``: a list, a sparse ``{index: x}`` dict or one value."""
    if raw is None:
        return [default] * n
    if isinstance(raw, list):
        return list(raw) + [default] * (n - len(raw))
    if isinstance(raw, dict):
        cells = [default] * n
        for key, value in raw.items():
            cells[int(key)] = value
        return cells
    return [raw] * n


def _missing_reason(symbol: str | None) -> str:
    if symbol is None:
        return "värde saknas i svaret"
    return MISSING_SYMBOLS.get(symbol, f"värde saknas (SCB-symbol {symbol!r})")


def parse_jsonstat2(payload: Mapping[str, Any]) -> pd.DataFrame:
    """One row per cell of a JSON-stat2 dataset.

    Columns: for each dimension ``<id>`` (its code) and ``<id>_label``; ``value`` (float,
    NaN where the cell has no number); ``status`` (SCB's symbol, e.g. ``..``, or None) and
    ``missing_reason`` (Swedish explanation, or None). Rows come in the dataset's order (the
    last dimension varies fastest).
    """
    problems = Problems(FetchError)
    for key in ("id", "size", "dimension"):
        if key not in payload:
            problems.add(f"Nyckeln '{key}' saknas i JSON-stat2-svaret.",
                         expected="ett JSON-stat2-dataset med id, size, dimension och value",
                         fix="be om outputFormat=json-stat2")
    problems.raise_if_any()
    ids = [str(i) for i in payload["id"]]
    sizes = [int(s) for s in payload["size"]]
    codes = [_category_codes(payload["dimension"][i]) for i in ids]
    for dim, size, dim_codes in zip(ids, sizes, codes, strict=True):
        if len(dim_codes) != size:
            problems.add(f"Dimensionen '{dim}' har {len(dim_codes)} koder men size säger "
                         f"{size}.")
    problems.raise_if_any()
    n = int(np.prod(sizes)) if sizes else 0
    raw_values = _per_cell(payload.get("value"), n, None)
    statuses = _per_cell(payload.get("status"), n, None)
    if len(raw_values) != n:
        raise FetchError([Problem(f"JSON-stat2-svaret har {len(raw_values)} värden men "
                                  f"dimensionerna ger {n} celler.")])
    columns: dict[str, Any] = {}
    combos = list(itertools.product(*codes)) if n else []
    for position, dim in enumerate(ids):
        labels = payload["dimension"][dim].get("category", {}).get("label", {})
        dim_codes = [combo[position] for combo in combos]
        columns[dim] = dim_codes
        columns[f"{dim}_label"] = [labels.get(c, c) for c in dim_codes]
    values, status_out, reasons = [], [], []
    for value, status in zip(raw_values, statuses, strict=True):
        symbol = status if status not in ("", None) else None
        if isinstance(value, str):  # a symbol sent in place of the number
            symbol = symbol or value.strip()
            value = None
        values.append(np.nan if value is None else float(value))
        status_out.append(symbol)
        reasons.append(None if value is not None else _missing_reason(symbol))
    frame = pd.DataFrame(columns)
    for dim in ids:
        frame[dim] = frame[dim].astype(str) if len(frame) else frame[dim].astype(object)
    frame["value"] = pd.Series(values, dtype="float64")
    frame["status"] = pd.Series(status_out, dtype="object")
    frame["missing_reason"] = pd.Series(reasons, dtype="object")
    return frame


# -- metadata -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    """One variable of a table: its code, label, value codes with labels and code lists."""

    code: str
    label: str
    values: dict[str, str]
    codelists: tuple[str, ...] = ()
    elimination: bool = False


@dataclass(frozen=True)
class TableMetadata:
    """A table's metadata as PxWebApi v2 describes it."""

    table_id: str
    label: str
    updated: str | None
    source: str | None
    dimensions: dict[str, Dimension]
    notes: tuple[str, ...] = ()
    time_dimension: str | None = None
    fetched: datetime | None = None
    from_cache: bool = False

    @classmethod
    def from_jsonstat2(cls, payload: Mapping[str, Any], table_id: str | None = None,
                       result: FetchResult | None = None) -> TableMetadata:
        dims = {}
        for dim in payload.get("id", []):
            entry = payload["dimension"][dim]
            labels = entry.get("category", {}).get("label", {})
            ext = entry.get("extension", {}) or {}
            dims[dim] = Dimension(
                code=dim, label=entry.get("label", dim),
                values={c: labels.get(c, c) for c in _category_codes(entry)},
                codelists=tuple(c["id"] for c in ext.get("codelists", []) if "id" in c),
                elimination=bool(ext.get("elimination", False)))
        px = (payload.get("extension") or {}).get("px", {})
        time_dims = (payload.get("role") or {}).get("time") or []
        return cls(table_id=table_id or px.get("tableid") or "",
                   label=payload.get("label", ""), updated=payload.get("updated"),
                   source=payload.get("source"), dimensions=dims,
                   notes=tuple(payload.get("note", []) or ()),
                   time_dimension=time_dims[0] if time_dims else None,
                   fetched=result.fetched if result else None,
                   from_cache=result.from_cache if result else False)


def area_codes_for_kommun(metadata: TableMetadata, kommun: str, level: str = "RegSO",
                          dimension: str = "Region") -> list[str]:
    """The table's DeSO or RegSO codes in ``kommun`` (``"0126"``), suffixes removed, sorted."""
    problems = Problems(ApiQueryError)
    if not _KOMMUN.match(str(kommun)):
        problems.add("Kommunkoden ska vara fyra siffror.", column="kommun", values=[kommun],
                     fix="ange t.ex. '0126' för Huddinge")
    if level not in ("DeSO", "RegSO"):
        problems.add("Okänd områdesnivå.", column="level", values=[level],
                     expected="'DeSO' eller 'RegSO'")
    if dimension not in metadata.dimensions:
        problems.add(f"Tabellen {metadata.table_id} har ingen dimension med det namnet.",
                     column="dimension", values=[dimension],
                     expected=", ".join(metadata.dimensions))
    problems.raise_if_any()
    codes = {strip_region_suffix(c) for c in metadata.dimensions[dimension].values}
    return sorted(c for c in codes if c.startswith(kommun) and area_level(c) == level)


# -- client -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableMeta:
    """Where a fetched table came from (for the source note beside every export)."""

    table_id: str
    label: str
    updated: str | None
    source: str | None
    fetched: datetime
    from_cache: bool
    url: str
    reference_years: tuple[int, ...] = ()
    noise_note: str | None = None
    notes: tuple[str, ...] = ()
    fetch_note: str | None = None


@dataclass(frozen=True)
class PxWebTable:
    """A fetched table: tidy ``data`` (see :func:`parse_jsonstat2`) and its ``meta``."""

    data: pd.DataFrame = field(repr=False)
    meta: TableMeta


class PxWebClient:
    """A small client for SCB's PxWebApi v2.

    ``fetcher`` defaults to a :class:`~geo.io.http.JsonFetcher` with SCB's limit of
    30 calls per 10 seconds; other keyword arguments (timeout, retries, offline, max_age,
    clock, sleep, now) are passed to it.
    """

    def __init__(self, base_url: str = SCB_BASE_URL,
                 cache_dir: str | os.PathLike[str] | None = None, *, lang: str = "sv",
                 fetcher: JsonFetcher | None = None, **fetcher_options: Any):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.lang = lang
        fetcher_options.setdefault("max_calls", 30)
        fetcher_options.setdefault("window", 10.0)
        self.fetcher = fetcher or JsonFetcher(cache_dir, **fetcher_options)

    def table_metadata(self, table_id: str, *, refresh: bool = False) -> TableMetadata:
        """Dimensions, value codes and labels of ``table_id`` (e.g. ``"TAB6471"``)."""
        _check_table_id(table_id)
        result = self.fetcher.get_json(f"{self.base_url}tables/{table_id}/metadata",
                                       {"lang": self.lang}, refresh=refresh)
        return TableMetadata.from_jsonstat2(result.data, table_id, result)

    def area_codes(self, table_id: str, kommun: str, level: str = "RegSO",
                   dimension: str = "Region") -> list[str]:
        """DeSO or RegSO codes of ``kommun`` in ``table_id``, without vintage suffixes."""
        return area_codes_for_kommun(self.table_metadata(table_id), kommun, level, dimension)

    def fetch_table(self, table_id: str, selection: Mapping[str, Sequence[str]], *,
                    region_dimension: str = "Region", time_dimension: str = "Tid",
                    codelists: Mapping[str, str] | None = None,
                    refresh: bool = False) -> PxWebTable:
        """Fetch the cells of ``table_id`` selected by ``{dimension: [value codes]}``.

        DeSO/RegSO codes in ``selection[region_dimension]`` are given without suffix; for
        reference years from 2024 the suffixed codes are asked for, and the results carry
        the plain codes again. A value ``["*"]`` selects every value of a dimension.
        """
        _check_table_id(table_id)
        problems = Problems(ApiQueryError)
        for dim, values in selection.items():
            if isinstance(values, str) or not list(values):
                problems.add("Urvalet ska vara en icke-tom lista med värdekoder.",
                             column=dim, values=[values], fix=f"skriv t.ex. {{'{dim}': ['0126']}}")
        problems.raise_if_any()
        query = {dim: [str(v) for v in values] for dim, values in selection.items()}
        years = reference_years(query.get(time_dimension, []))
        if region_dimension in query and years:
            asked = []
            for code in query[region_dimension]:
                for variant in dict.fromkeys(region_code_for_year(code, y) for y in years):
                    if variant not in asked:
                        asked.append(variant)
            query[region_dimension] = asked
        url = f"{self.base_url}tables/{table_id}/data"
        params: dict[str, Any] = {"lang": self.lang, "outputFormat": "json-stat2"}
        get_params = dict(params)
        for dim, values in query.items():
            get_params[f"valueCodes[{dim}]"] = values
        for dim, codelist in (codelists or {}).items():
            get_params[f"codelist[{dim}]"] = codelist
        if len(build_url(url, get_params)) <= MAX_GET_URL:
            result = self.fetcher.get_json(url, get_params, refresh=refresh)
        else:
            body = {"selection": [
                {"variableCode": dim, "valueCodes": values,
                 **({"codelist": codelists[dim]} if codelists and dim in codelists else {})}
                for dim, values in query.items()]}
            result = self.fetcher.post_json(url, body, params, refresh=refresh)
        frame = parse_jsonstat2(result.data)
        frame = _strip_vintages(frame, region_dimension, time_dimension)
        payload = result.data
        found_years = tuple(reference_years(frame[time_dimension].unique())
                            if time_dimension in frame else years)
        noise = NOISE_NOTE if found_years and max(found_years) >= NOISE_FROM_YEAR else None
        px = (payload.get("extension") or {}).get("px", {})
        meta = TableMeta(
            table_id=px.get("tableid") or table_id, label=payload.get("label", ""),
            updated=payload.get("updated"), source=payload.get("source"),
            fetched=result.fetched, from_cache=result.from_cache, url=result.url,
            reference_years=found_years, noise_note=noise,
            notes=tuple(payload.get("note", []) or ()), fetch_note=result.note)
        return PxWebTable(frame, meta)


def _strip_vintages(frame: pd.DataFrame, region: str, time: str) -> pd.DataFrame:
    """Drop cells whose area code vintage does not fit their year, then strip suffixes."""
    if region not in frame or frame.empty:
        return frame
    if time in frame:
        years = [y[0] if (y := reference_years([t])) else None for t in frame[time]]
        keep = [_vintage_fits(c, y) for c, y in zip(frame[region], years, strict=True)]
        frame = frame.loc[keep].reset_index(drop=True)
    frame[region] = frame[region].map(strip_region_suffix)
    return frame


def _check_table_id(table_id: str) -> None:
    if not isinstance(table_id, str) or not re.fullmatch(r"[A-Za-z0-9_]+", table_id):
        raise ApiQueryError([Problem(
            "Ogiltigt tabell-id.", column="table_id", values=[table_id],
            expected="ett PxWebApi v2-id som 'TAB6471'",
            fix="sök tabellen på https://statistikdatabasen.scb.se/api/v2/tables?query=…")])
