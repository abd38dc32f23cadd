"""Kolada v3 (``https://api.kolada.se/v3/``): municipality KPIs as reference values.

Data endpoint: ``data/kpi/{kpi,...}/municipality/{id,...}/year/{year,...}``. An answer is
``{"count", "values": [{"kpi", "municipality", "period", "values": [{"gender", "count",
"status", "value"}]}], "next_url"}``; ``next_url`` (when set) is the next page. ``gender``
is ``T`` (total), ``K`` (kvinnor) or ``M`` (män); a value may be ``null`` with a status.
(Kolada v2 called the next page ``next_page``; both are followed.)

Municipality ids: a kommun is its 4-digit SCB code (Huddinge ``0126``); a region (län) is
``00`` + the län code (Region Stockholm ``0001``, Region Halland ``0013``); riket is ``0000``.

KPIs of interest for prevmap: :data:`PREVENTION_KPIS`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from geo.io.http import JsonFetcher
from indicators.errors import ApiQueryError, FetchError, Problem, Problems

__all__ = [
    "KOLADA_BASE_URL",
    "KoladaClient",
    "PREVENTION_KPIS",
    "RIKET_ID",
    "lan_id_for_kommun",
    "parse_kolada_values",
]

KOLADA_BASE_URL = "https://api.kolada.se/v3/"
RIKET_ID = "0000"
VALUE_COLUMNS = ["kpi", "municipality", "year", "gender", "value", "status"]
MAX_PAGES = 1000

PREVENTION_KPIS: dict[str, str] = {
    "N15428": "Elever i åk 9 behöriga till yrkesprogram, %",
    "N02797": "Unga 16–24 år som varken arbetar eller studerar, %",
    "N03942": "Arbetslösa 18–24 år, %",
    "N07540": "Anmälda brott per 100 000 invånare",
}
"""KPIs prevmap uses as municipal reference values (labels are ours, check Kolada's titles)."""

_KPI = re.compile(r"^[A-Z]\d{5}$")
_MUNICIPALITY = re.compile(r"^\d{4}$")


def lan_id_for_kommun(kommun: str) -> str:
    """Kolada's id for the region (län) of ``kommun``: ``"0126"`` → ``"0001"``."""
    if not _MUNICIPALITY.match(str(kommun)) or str(kommun).startswith("00"):
        raise ApiQueryError([Problem(
            "Kommunkoden ska vara fyra siffror och inte börja med 00.", column="kommun",
            values=[kommun], fix="ange t.ex. '0126' för Huddinge")])
    return "00" + str(kommun)[:2]


def parse_kolada_values(payload: dict[str, Any]) -> pd.DataFrame:
    """One row per KPI, municipality, year and gender from a Kolada v3 data answer."""
    rows = []
    for item in payload.get("values", []):
        for cell in item.get("values", []) or []:
            value = cell.get("value")
            rows.append({
                "kpi": str(item.get("kpi")),
                "municipality": str(item.get("municipality")),
                "year": int(item.get("period")),
                "gender": cell.get("gender"),
                "value": np.nan if value is None else float(value),
                "status": cell.get("status") or None,
            })
    frame = pd.DataFrame(rows, columns=VALUE_COLUMNS)
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    frame["status"] = pd.Series([r["status"] for r in rows], dtype=object)  # None stays None
    return frame


class KoladaClient:
    """A small client for Kolada v3 over the shared :class:`~geo.io.http.JsonFetcher`.

    Kolada publishes no call limit; the default stays polite (10 calls per second).
    """

    def __init__(self, base_url: str = KOLADA_BASE_URL,
                 cache_dir: str | os.PathLike[str] | None = None, *,
                 fetcher: JsonFetcher | None = None, **fetcher_options: Any):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        fetcher_options.setdefault("max_calls", 10)
        fetcher_options.setdefault("window", 1.0)
        self.fetcher = fetcher or JsonFetcher(cache_dir, **fetcher_options)

    def values(self, kpi_ids: Iterable[str], municipality_ids: Iterable[str],
               years: Iterable[int], *, refresh: bool = False) -> pd.DataFrame:
        """KPI values as a tidy table: ``kpi, municipality, year, gender, value, status``.

        ``frame.attrs`` holds ``source``, ``fetched`` (oldest answer used), ``from_cache``
        (True if any page came from the cache), ``notes`` (fallback notes) and ``urls``.
        """
        kpis, municipalities, year_list = _validate(kpi_ids, municipality_ids, years)
        url = (f"{self.base_url}data/kpi/{','.join(kpis)}/municipality/"
               f"{','.join(municipalities)}/year/{','.join(map(str, year_list))}")
        frames, results = [], []
        next_url: str | None = url
        while next_url:
            if len(results) >= MAX_PAGES:
                raise FetchError([Problem(f"Kolada gav fler än {MAX_PAGES} sidor.", column=url,
                                          fix="be om färre nyckeltal, kommuner eller år")])
            result = self.fetcher.get_json(next_url, refresh=refresh)
            if not isinstance(result.data, dict) or "values" not in result.data:
                raise FetchError([Problem("Svaret saknar nyckeln 'values'.", column=next_url,
                                          expected="ett Kolada v3-svar")])
            results.append(result)
            frames.append(parse_kolada_values(result.data))
            next_url = result.data.get("next_url") or result.data.get("next_page") or None
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frame = frame.sort_values(["kpi", "municipality", "year", "gender"],
                                  ignore_index=True, kind="stable")
        frame.attrs.update({
            "source": "Kolada (RKA)",
            "fetched": min(r.fetched for r in results),
            "from_cache": any(r.from_cache for r in results),
            "notes": tuple(r.note for r in results if r.note),
            "urls": tuple(r.url for r in results),
        })
        return frame

    def reference_values(self, kpi_id: str, kommun: str, year: int, *,
                         gender: str = "T", refresh: bool = False) -> pd.DataFrame:
        """``kpi_id`` in ``kommun``, its län and riket for ``year``, one row each.

        Columns: ``level`` (``kommun``/``län``/``riket``), ``municipality``, ``value``,
        ``status``. A level Kolada has no value for is kept, with value NaN and status
        ``"saknas"``, so the table always has three rows.
        """
        lan = lan_id_for_kommun(kommun)
        frame = self.values([kpi_id], [kommun, lan, RIKET_ID], [year], refresh=refresh)
        frame = frame[frame["gender"] == gender]
        rows = []
        for level, municipality in (("kommun", kommun), ("län", lan), ("riket", RIKET_ID)):
            match = frame[frame["municipality"] == municipality]
            if match.empty:
                rows.append({"level": level, "municipality": municipality,
                             "value": np.nan, "status": "saknas"})
            else:
                first = match.iloc[0]
                rows.append({"level": level, "municipality": municipality,
                             "value": float(first["value"]), "status": first["status"]})
        out = pd.DataFrame(rows, columns=["level", "municipality", "value", "status"])
        out["status"] = pd.Series([r["status"] for r in rows], dtype=object)
        out.attrs.update(frame.attrs)
        out.attrs.update({"kpi": kpi_id, "year": int(year), "gender": gender})
        return out


    def reference_table(self, kommun: str, kpi_ids: Iterable[str] = tuple(PREVENTION_KPIS),
                        years: Iterable[int] = (), *, refresh: bool = False) -> pd.DataFrame:
        """Each KPI in ``kommun``, its län and riket in one call, in Swedish for the app.

        For each KPI the latest of ``years`` with a value for the kommun is used (a KPI
        without any kommun value keeps the latest year and says so). Columns: ``Nyckeltal``,
        ``Id``, ``År``, ``Kommunen``, ``Länet``, ``Riket``, ``Anmärkning``; ``attrs`` as in
        :meth:`values`.
        """
        kpis = list(kpi_ids)
        year_list = sorted({int(y) for y in years}) or [*range(dt.date.today().year - 6,
                                                              dt.date.today().year)]
        lan = lan_id_for_kommun(kommun)
        frame = self.values(kpis, [kommun, lan, RIKET_ID], year_list, refresh=refresh)
        frame = frame[frame["gender"] == "T"]
        rows = []
        for kpi in dict.fromkeys(kpis):
            own = frame[(frame["kpi"] == kpi) & (frame["municipality"] == kommun)
                        & frame["value"].notna()]
            year = int(own["year"].max()) if not own.empty else max(year_list)
            cells = frame[(frame["kpi"] == kpi) & (frame["year"] == year)]

            def value(municipality: str, cells: pd.DataFrame = cells) -> float:
                hit = cells[cells["municipality"] == municipality]["value"]
                return float(hit.iloc[0]) if not hit.empty else np.nan

            notes = []
            if own.empty:
                notes.append(f"kommunen saknar värde {year_list[0]}–{year_list[-1]}")
            statuses = sorted({str(s) for s in cells["status"].dropna()})
            if statuses:
                notes.append("status: " + ", ".join(statuses))
            rows.append({"Nyckeltal": PREVENTION_KPIS.get(kpi, kpi), "Id": kpi, "År": year,
                         "Kommunen": value(kommun), "Länet": value(lan),
                         "Riket": value(RIKET_ID), "Anmärkning": "; ".join(notes)})
        out = pd.DataFrame(rows, columns=["Nyckeltal", "Id", "År", "Kommunen", "Länet",
                                          "Riket", "Anmärkning"])
        out.attrs.update(frame.attrs)
        return out


def _validate(kpi_ids: Iterable[str], municipality_ids: Iterable[str],
              years: Iterable[int]) -> tuple[list[str], list[str], list[int]]:
    kpis = list(dict.fromkeys([kpi_ids] if isinstance(kpi_ids, str) else kpi_ids))
    municipalities = list(dict.fromkeys(
        [municipality_ids] if isinstance(municipality_ids, str) else municipality_ids))
    year_list = list(dict.fromkeys([years] if isinstance(years, int) else years))
    problems = Problems(ApiQueryError)
    bad_kpis = [k for k in kpis if not isinstance(k, str) or not _KPI.match(k)]
    if not kpis or bad_kpis:
        problems.add("Ogiltigt nyckeltals-id." if kpis else "Inga nyckeltal angivna.",
                     column="kpi_ids", values=bad_kpis,
                     expected="en bokstav och fem siffror, t.ex. 'N15428'")
    bad_munis = [m for m in municipalities if not isinstance(m, str) or not _MUNICIPALITY.match(m)]
    if not municipalities or bad_munis:
        problems.add("Ogiltigt kommun-id." if municipalities else "Inga kommuner angivna.",
                     column="municipality_ids", values=bad_munis,
                     expected="fyra siffror som text, t.ex. '0126' (kommun), '0001' (län), "
                              "'0000' (riket)")
    bad_years = [y for y in year_list
                 if isinstance(y, bool) or not isinstance(y, int | np.integer)
                 or not 1900 <= int(y) <= 2100]
    if not year_list or bad_years:
        problems.add("Ogiltigt år." if year_list else "Inga år angivna.", column="years",
                     values=bad_years, expected="heltal som 2023")
    problems.raise_if_any()
    return kpis, municipalities, [int(y) for y in year_list]
