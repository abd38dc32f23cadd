"""Readers for the police's data: the events API answer and offences per DeSO.

Two sources with very different reach:

- **Events** (``https://polisen.se/api/events``, :func:`read_police_events`): short public
  notices ("Brand, Huddinge"). Their position ``location.gps`` is **only the centroid of
  the municipality or county** named in ``location.name``, never where the event
  happened. Events can therefore be counted per municipality (or county)
  (:func:`events_per_municipality`) but never placed in a DeSO, RegSO or kommundel.
  District names appear only in the free text; :func:`mentions_in_text` counts those
  mentions, labelled as such and with the event ids so that every count can be checked.
- **Offences per DeSO** (:func:`read_offences_per_deso`): police-recorded offences with
  the DeSO code of the scene, delivered on request. :meth:`Offences.counts` sums them per
  DeSO into a wide table for :func:`indicators.levels.aggregate_to_level`. Offences
  without a DeSO are kept, reported and totalled as "utan område", never dropped.

Where they are used: the data page's table of event types in the chosen kommun
(:func:`kommun_event_types`, from an uploaded answer; :func:`fetch_police_events` fetches one
but has no button in the app yet), and the
offences as a comparison column per area (:mod:`geo.spatial.offences`, ``prevmap export
--polisen``), never in the index.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo.io.http import JsonFetcher
from geo.io.tables import read_raw_table
from indicators.codes import DESO, classify_area_code, validate_area_codes
from indicators.columns import AREA_ID
from indicators.errors import AreaCodeError, PoliceEventsError, PoliceFileError, Problems

POLISEN_URL = "https://polisen.se"
TIMEZONE = "Europe/Stockholm"

# --------------------------------------------------------------------------------------
# Events (polisen.se/api/events)
# --------------------------------------------------------------------------------------

EVENT_COLUMNS = ("id", "datetime", "year", "type", "location_name", "lat", "lon",
                 "summary", "url")
EVENT_FIELDS = ("id", "datetime", "name", "summary", "url", "type", "location")
LOCATION_FIELDS = ("name", "gps")
_EVENT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"   # '2023-03-21 7:50:05 +01:00' (hour may be 1 digit)
GPS_NOTE = ("Positionen (gps) i polisens händelser är bara kommunens eller länets "
            "mittpunkt, inte platsen för händelsen. Händelserna kan räknas per kommun "
            "men aldrig placeras i ett område.")
MENTIONS_NOTE = ("Fritextomnämnanden: antal händelser där områdesnamnet står i "
                 "sammanfattningen eller rubriken. Inte geokodat: händelsen kan ha skett "
                 "någon annanstans, och händelser i området som inte nämner namnet saknas. "
                 "Kontrollera med händelse-id:na.")


@dataclass(frozen=True, eq=False)
class PoliceEvents:
    """Police events as a tidy table, one row per event (columns :data:`EVENT_COLUMNS`).

    ``datetime`` is timezone-aware (Europe/Stockholm), ``year`` its calendar year there.
    ``lat``/``lon`` are the centroid of ``location_name`` (a municipality such as
    ``'Huddinge'`` or a county such as ``'Stockholms län'``), not the event's place:
    see :data:`GPS_NOTE`. ``url`` is absolute (``https://polisen.se/aktuellt/...``).
    ``name`` is the event's headline ("21 mars 00:14, Brand, Huddinge").
    """

    data: pd.DataFrame
    source: str
    note: str = GPS_NOTE

    def __len__(self) -> int:
        return len(self.data)


def _event_id(event: object, index: int) -> str:
    raw_id = event.get("id") if isinstance(event, dict) else None
    if isinstance(raw_id, int | str) and str(raw_id).strip():
        return f"id {raw_id}"
    return f"händelse nr {index + 1}"


def _parse_event_time(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.strptime(text.strip(), _EVENT_TIME_FORMAT)
    except ValueError:
        return None


def _parse_gps(text: object) -> tuple[float, float] | None:
    if not isinstance(text, str):
        return None
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def read_police_events(path: str | Path) -> PoliceEvents:
    """Read an answer of the police events API (a JSON list of events).

    Every event needs ``id``, ``datetime``, ``name``, ``summary``, ``url``, ``type`` and
    ``location`` with ``name`` and ``gps``. All problems are collected and raised at once
    as :class:`PoliceEventsError`, naming the file, the field and the event ids: missing
    fields, a ``datetime`` that is not ``'YYYY-MM-DD HH:MM:SS +HH:MM'``, a ``gps`` that is
    not ``'lat,lon'``, repeated ids.

    The gps position is only the municipality or county centroid (see :data:`GPS_NOTE`).
    """
    path = Path(path)
    problems = Problems(PoliceEventsError, path.name)
    if not path.is_file():
        raise PoliceEventsError(f"Händelsefilen '{path}' finns inte. Kontrollera sökvägen.")
    try:
        answer = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        problems.add(f"filen är inte giltig JSON ({err}).",
                     expected="polisens svar från https://polisen.se/api/events, sparat som "
                              "det är (UTF-8)",
                     fix="hämta och spara svaret igen utan att ändra det")
        problems.raise_if_any()
    return police_events_from_answer(answer, path.name)


def police_events_from_answer(answer: object, source: str) -> PoliceEvents:
    """The events of an answer of the police events API, already parsed from JSON (a list
    of events); checked as :func:`read_police_events` says, ``source`` naming it."""
    problems = Problems(PoliceEventsError, source)
    if not isinstance(answer, list):
        problems.add(f"filen innehåller {type(answer).__name__}, inte en lista med händelser.",
                     expected="en JSON-lista med händelser, som polisen.se/api/events svarar",
                     fix="spara hela svaret från API:et, utan omslutande objekt")
        problems.raise_if_any()

    missing: dict[str, list[str]] = {}
    not_object: list[str] = []
    bad_id: list[str] = []
    bad_time: list[str] = []
    bad_gps: list[str] = []
    bad_text: dict[str, list[str]] = {}
    rows = []
    for i, event in enumerate(answer):
        who = _event_id(event, i)
        if not isinstance(event, dict):
            not_object.append(who)
            continue
        lacking = [f for f in EVENT_FIELDS if event.get(f) is None]
        location = event.get("location")
        if isinstance(location, dict):
            lacking += [f"location.{f}" for f in LOCATION_FIELDS if location.get(f) is None]
        elif location is not None:
            lacking.append("location.name")
            lacking.append("location.gps")
        for field in lacking:
            missing.setdefault(field, []).append(who)
        raw_id = event.get("id")
        event_id = None
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            event_id = raw_id
        elif isinstance(raw_id, str) and raw_id.strip().isdigit():
            event_id = int(raw_id)
        elif raw_id is not None:
            bad_id.append(repr(raw_id))
        when = _parse_event_time(event.get("datetime"))
        if when is None and event.get("datetime") is not None:
            bad_time.append(f"{who}: {event['datetime']!r}")
        gps = location.get("gps") if isinstance(location, dict) else None
        position = _parse_gps(gps)
        if position is None and gps is not None:
            bad_gps.append(f"{who}: {gps!r}")
        place = location.get("name") if isinstance(location, dict) else None
        for field, value in (("type", event.get("type")), ("summary", event.get("summary")),
                             ("name", event.get("name")), ("url", event.get("url")),
                             ("location.name", place)):
            if value is not None and not isinstance(value, str):
                bad_text.setdefault(field, []).append(f"{who}: {value!r}")
        url = event.get("url")
        if isinstance(url, str) and url.startswith("/"):
            url = POLISEN_URL + url
        rows.append({
            "id": event_id, "datetime": when, "type": event.get("type"),
            "location_name": place,
            "lat": position[0] if position else None, "lon": position[1] if position else None,
            "summary": event.get("summary"), "url": url, "name": event.get("name"),
        })

    if not_object:
        problems.add("poster som inte är händelser (JSON-objekt).", values=not_object,
                     expected="varje post är ett objekt med id, datetime, name, summary, url, "
                              "type och location",
                     fix="spara svaret från polisen.se/api/events utan att ändra det")
    for field, who in missing.items():
        problems.add(f"{len(who)} händelser saknar fältet.", column=field, values=who,
                     expected="fälten id, datetime, name, summary, url, type och location "
                              "(med name och gps) i varje händelse",
                     fix="spara svaret från polisen.se/api/events utan att ändra det")
    if bad_id:
        problems.add("id som inte är heltal.", column="id", values=bad_id,
                     expected="ett heltal per händelse, t.ex. 650297",
                     fix="spara svaret från polisen.se/api/events utan att ändra det")
    if bad_time:
        problems.add("tidpunkter som inte kan läsas.", column="datetime", values=bad_time,
                     expected="'ÅÅÅÅ-MM-DD TT:MM:SS +TT:MM', t.ex. '2026-08-22 19:51:41 +02:00'",
                     fix="rätta tidpunkten eller hämta händelsen igen")
    if bad_gps:
        problems.add("positioner som inte kan läsas.", column="location.gps", values=bad_gps,
                     expected="'latitud,longitud' i decimalgrader, t.ex. '59.23633,17.982156'",
                     fix="rätta positionen eller hämta händelsen igen")
    for field, who in bad_text.items():
        problems.add("värden som inte är text.", column=field, values=who,
                     expected="text", fix="spara svaret från polisen.se/api/events utan att "
                                          "ändra det")
    ids = [r["id"] for r in rows if r["id"] is not None]
    repeated = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) < len(ids) else []
    if repeated:
        problems.add("samma händelse-id förekommer flera gånger.", column="id",
                     values=[f"id {i}" for i in repeated],
                     expected="varje händelse en gång",
                     fix="ta bort dubbletterna (t.ex. när flera svar slagits ihop)")
    problems.raise_if_any()

    frame = pd.DataFrame(rows, columns=[*EVENT_COLUMNS, "name"])
    frame["id"] = frame["id"].astype("int64")
    frame["datetime"] = pd.to_datetime(
        [r["datetime"] for r in rows], utc=True).tz_convert(TIMEZONE)
    frame["year"] = frame["datetime"].dt.year.astype("int64")
    frame["lat"] = frame["lat"].astype(float)
    frame["lon"] = frame["lon"].astype(float)
    for col in ("type", "location_name", "summary", "url", "name"):
        frame[col] = frame[col].astype(str)
    return PoliceEvents(frame.reset_index(drop=True), source)


def fetch_police_events(kommun: str, *, base_url: str = POLISEN_URL,
                        fetcher: JsonFetcher | None = None, **options: Any) -> PoliceEvents:
    """The police's latest events placed in ``kommun`` (its name, e.g. 'Huddinge') from
    ``<base_url>/api/events?locationname=<kommun>``, through :class:`geo.io.http.JsonFetcher`
    (cache, size cap, deadline, offline fallback; ``options`` go to it). The API answers
    only its latest events (at most 500): the period is what the answer holds."""
    fetcher = fetcher or JsonFetcher(**options)
    result = fetcher.get_json(base_url.rstrip("/") + "/api/events",
                              {"locationname": kommun.strip()})
    when = result.fetched.date().isoformat()
    cached = ", sparad kopia" if result.from_cache else ""
    return police_events_from_answer(
        result.data, f"polisen.se/api/events?locationname={kommun.strip()} (hämtat {when}"
                     f"{cached})")


def location_level(name: str) -> str:
    """``'län'`` for a county name (``'Stockholms län'``), else ``'kommun'``."""
    return "län" if name.strip().lower().endswith(" län") else "kommun"


def events_per_municipality(events: PoliceEvents, *, types: Iterable[str] | None = None,
                            years: Iterable[int] | None = None) -> pd.DataFrame:
    """Number of events per ``location_name``, ``type`` and ``year``.

    Columns ``location_name``, ``location_level`` (``'kommun'`` or ``'län'``: an event
    placed only at county level cannot be given to a municipality), ``type``, ``year``
    and ``count``; only combinations that occur, sorted. ``types`` and ``years`` filter;
    a type or a year that no event in the file has is an error (a misspelt type would
    otherwise give a silent zero, and the API answer covers only its latest events).
    """
    data = events.data
    problems = Problems(PoliceEventsError, events.source)
    if types is not None:
        types = list(dict.fromkeys(types))
        known = sorted(set(data["type"]))
        unknown = [t for t in types if t not in set(known)]
        if unknown:
            problems.add("händelsetyper som inte finns i filen.", column="type", values=unknown,
                         expected="någon av: " + ", ".join(known),
                         fix="stava typen som polisen gör (t.ex. 'Misshandel, grov')")
        data = data[data["type"].isin(types)]
    if years is not None:
        years = [int(y) for y in years]
        known_years = sorted(set(events.data["year"]))
        unknown_years = [y for y in years if y not in set(known_years)]
        if unknown_years:
            problems.add("år utan några händelser i filen; filen täcker inte dem, så antalet "
                         "är okänt, inte noll.", column="datetime", values=unknown_years,
                         expected="något av åren " + ", ".join(map(str, known_years)),
                         fix="välj andra år eller hämta händelser som täcker åren")
        data = data[data["year"].isin(years)]
    problems.raise_if_any()
    out = (data.groupby(["location_name", "type", "year"]).size()
           .rename("count").reset_index())
    out.insert(1, "location_level", [location_level(n) for n in out["location_name"]])
    out["count"] = out["count"].astype("int64")
    return out.sort_values(["location_name", "type", "year"]).reset_index(drop=True)


TOTAL = "Totalt"
EVENT_TYPE = "Händelsetyp"


@dataclass(frozen=True, eq=False)
class KommunEvents:
    """The event types of one kommun: ``table`` has one row per type (column
    :data:`EVENT_TYPE`), one column per year and :data:`TOTAL`, most frequent first;
    ``period`` the first and last day of the kommun's events (None without events);
    ``notes`` what the table leaves out and why (county-level events, other kommuner) and
    that the events cannot be placed in an area (:data:`GPS_NOTE`)."""

    kommun: str
    table: pd.DataFrame
    period: tuple[dt.date, dt.date] | None
    notes: tuple[str, ...]
    source: str

    @property
    def period_text(self) -> str:
        """``'2023-03-21 – 2026-08-14'``, or ``'–'`` without events."""
        if self.period is None:
            return "–"
        return f"{self.period[0].isoformat()} – {self.period[1].isoformat()}"


def kommun_event_types(events: PoliceEvents, kommun: str) -> KommunEvents:
    """The events placed in ``kommun`` (its name as the police write it, e.g. 'Huddinge'),
    counted per type and year (see :func:`events_per_municipality`).

    Only events whose ``location.name`` is the kommun count: an event placed only at
    county level ("Stockholms län") may have happened in the kommun or anywhere else in
    the county, so it is counted apart and named in the notes, never added.
    """
    data = events.data
    name = kommun.strip()
    own = data[data["location_name"].str.casefold() == name.casefold()]
    years = sorted(int(y) for y in set(own["year"]))
    table = (own.groupby(["type", "year"]).size().unstack("year", fill_value=0)
             .reindex(columns=years, fill_value=0))
    table.columns = [str(y) for y in table.columns]
    table[TOTAL] = table.sum(axis=1)
    table = (table.rename_axis(EVENT_TYPE).reset_index()
             .sort_values([TOTAL, EVENT_TYPE], ascending=[False, True]).reset_index(drop=True))
    for column in table.columns[1:]:
        table[column] = table[column].astype("int64")
    period = None
    if len(own):
        period = (own["datetime"].min().date(), own["datetime"].max().date())
    notes = [GPS_NOTE]
    if not len(own):
        notes.append(f"Filen '{events.source}' har inga händelser placerade i {name}.")
    else:
        notes.append(f"{len(own)} händelser i {name} från {period[0].isoformat()} till "
                     f"{period[1].isoformat()} ur '{events.source}'. Händelser utanför "
                     "perioden, och sådana som inte fanns i de sparade svaren från polisens "
                     "API (som bara ger de senaste händelserna), saknas.")
    county = data[data["location_name"].map(location_level) == "län"]
    if len(county):
        per = county["location_name"].value_counts().sort_index()
        shown = ", ".join(f"{n} ({k})" for n, k in per.items())
        notes.append(f"{len(county)} händelser är bara placerade på ett län och räknas inte "
                     f"till {name}: {shown}.")
    others = data[(data["location_name"].map(location_level) == "kommun")
                  & (data["location_name"].str.casefold() != name.casefold())]
    if len(others):
        notes.append(f"{len(others)} händelser gäller {others['location_name'].nunique()} "
                     f"andra kommuner och räknas inte.")
    return KommunEvents(name, table, period, tuple(notes), events.source)


@dataclass(frozen=True, eq=False)
class TextMentions:
    """Free-text mentions of area names in events: not geocoded (see :data:`MENTIONS_NOTE`).

    ``frame`` has one row per name: ``name``, ``events`` (how many events mention it)
    and ``event_ids`` (their ids, as a tuple, for checking).
    """

    frame: pd.DataFrame
    source: str
    fields: tuple[str, ...] = ("summary", "name")
    note: str = MENTIONS_NOTE


def name_pattern(name: str) -> re.Pattern[str]:
    """A whole-word, case-insensitive pattern for an area name.

    Swedish letters count as letters, so ``'Vårby'`` matches "i Vårby gård" but not
    "Vårbyparken" or "Vårbys"; the words of a name may be separated by any white space.
    """
    words = name.split()
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)",
                      re.IGNORECASE)


def mentions_in_text(events: PoliceEvents, names: Iterable[str]) -> TextMentions:
    """How many events mention each name in their summary or headline (free text).

    Whole words, case-insensitive (see :func:`name_pattern`); inflected forms such as the
    genitive "Flemingsbergs" are only found if given as names of their own. This is a
    text search, not a position: an event "i Skogås" is counted for Skogås wherever it
    happened, and events in Skogås that do not name it are missed. The result lists the
    matched event ids of every name so a user can check them.
    """
    names = list(dict.fromkeys(n.strip() for n in names))
    problems = Problems(PoliceEventsError, events.source)
    if not names or any(not n for n in names):
        problems.add("tomma områdesnamn att söka efter.",
                     expected="minst ett namn, t.ex. 'Skogås', 'Flemingsberg'",
                     fix="ta bort tomma namn")
    problems.raise_if_any()
    text = (events.data["summary"] + "\n" + events.data["name"]).tolist()
    ids = events.data["id"].tolist()
    rows = []
    for name in names:
        pattern = name_pattern(name)
        matched = tuple(int(i) for i, t in zip(ids, text, strict=True) if pattern.search(t))
        rows.append({"name": name, "events": len(matched), "event_ids": matched})
    frame = pd.DataFrame(rows, columns=["name", "events", "event_ids"])
    frame["events"] = frame["events"].astype("int64")
    return TextMentions(frame, events.source)


# --------------------------------------------------------------------------------------
# Offences per DeSO (police-recorded offences, delivered on request)
# --------------------------------------------------------------------------------------

WITHOUT_AREA = "utan område"
# File column -> tidy column.
OFFENCE_FILE_COLUMNS: dict[str, str] = {
    "Id": "id",
    "Brottskod": "offence_code",
    "Brottskod.klartext": "offence_text",
    "Inskrivningsdatum": "registered_date",
    "Brottsdatum": "offence_date",
    "Kommun": "municipality",
    "Län": "county",
    "DeSO.område": "deso",
    "Antal": "count",
}
OPTIONAL_FILE_COLUMNS: dict[str, str] = {"source_file": "source_file"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def count_column(code: str, year: int | None = None) -> str:
    """A count column of :meth:`Offences.counts`: ``'brott_1211'``, ``'brott_1211_2023'``."""
    return f"brott_{code}" if year is None else f"brott_{code}_{year}"


@dataclass(frozen=True, eq=False)
class Offences:
    """Police-recorded offences, one row per record.

    ``data`` columns: ``id``, ``offence_code``, ``offence_text``, ``registered_date``,
    ``offence_date`` (dates), ``year`` (of ``offence_date``, when the offence happened),
    ``municipality``, ``county``, ``deso`` (``''`` when the record has no DeSO),
    ``count`` (int), ``source_file``, ``row`` (line in the file).
    Records without a DeSO stay in ``data``; :attr:`without_area` lists them and
    :meth:`counts_without_area` totals them as :data:`WITHOUT_AREA`.
    """

    data: pd.DataFrame
    source: str

    @property
    def codes(self) -> dict[str, str]:
        """Offence code -> its text, in code order."""
        pairs = self.data.drop_duplicates("offence_code").sort_values("offence_code")
        return dict(zip(pairs["offence_code"], pairs["offence_text"], strict=True))

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(int(y) for y in set(self.data["year"])))

    @property
    def without_area(self) -> pd.DataFrame:
        """The records that have no DeSO code."""
        return self.data[self.data["deso"] == ""]

    @property
    def without_area_ids(self) -> tuple[str, ...]:
        return tuple(self.without_area["id"])

    def messages(self) -> list[str]:
        """What the user must know about the file (records without DeSO), in Swedish."""
        lacking = self.without_area
        if not len(lacking):
            return []
        ids = ", ".join(lacking["id"])
        return [f"{len(lacking)} av {len(self.data)} brott i '{self.source}' saknar DeSO-kod "
                f"(summa Antal {int(lacking['count'].sum())}). De ingår inte i något område "
                f"utan redovisas som '{WITHOUT_AREA}'. Id: {ids}."]

    def _selected(self, codes: Iterable[str] | None) -> tuple[pd.DataFrame, list[str]]:
        known = list(self.codes)
        if codes is None:
            return self.data, known
        wanted = list(dict.fromkeys(str(c).strip() for c in codes))
        unknown = [c for c in wanted if c not in set(known)]
        if unknown:
            problems = Problems(PoliceFileError, self.source)
            problems.add("brottskoder som inte finns i filen.", column="Brottskod",
                         values=unknown, expected="någon av: " + ", ".join(known),
                         fix="välj bland brottskoderna i filen")
            problems.raise_if_any()
        return self.data[self.data["offence_code"].isin(wanted)], wanted

    def _columns(self, codes: list[str], by_year: bool) -> list[tuple[str, int | None]]:
        if not by_year:
            return [(c, None) for c in codes]
        return [(c, y) for c in codes for y in self.years]

    def counts(self, by_year: bool = True, codes: Iterable[str] | None = None, *,
               areas: Iterable[str] | None = None) -> pd.DataFrame:
        """Summed ``Antal`` per DeSO (``area_id``) and offence code (and year), wide.

        One column per code (``brott_1211``) or per code and year (``brott_1211_2023``,
        every year of the file); see :func:`count_column`. A DeSO with no record of a
        code in a year has 0. ``areas`` adds DeSOs without any record (with 0 for all),
        e.g. every DeSO of the link table, so that :func:`indicators.levels.aggregate_to_level`
        gets every member of a group; pass it only when the file covers those areas.
        Records without a DeSO are not in this table: see :meth:`counts_without_area`.
        """
        data, codes = self._selected(codes)
        columns = self._columns(codes, by_year)
        names = [count_column(c, y) for c, y in columns]
        placed = data[data["deso"] != ""]
        order = sorted(set(self.data.loc[self.data["deso"] != "", "deso"]))
        if areas is not None:
            extra = list(validate_area_codes(list(areas), source="områdeslista",
                                             column=AREA_ID))
            order = list(dict.fromkeys(extra + order))
        out = pd.DataFrame(0, index=pd.Index(order, name=AREA_ID), columns=names,
                           dtype="int64")
        keys = ["deso", "offence_code", "year"] if by_year else ["deso", "offence_code"]
        sums = placed.groupby(keys)["count"].sum()
        for key, value in sums.items():
            area, code, *year = key if isinstance(key, tuple) else (key,)
            out.at[area, count_column(code, year[0] if year else None)] = int(value)
        return out.reset_index()

    def counts_without_area(self, by_year: bool = True,
                            codes: Iterable[str] | None = None) -> pd.Series:
        """Summed ``Antal`` of the records without DeSO, with the columns of :meth:`counts`.

        The Series is named :data:`WITHOUT_AREA` ("utan område").
        """
        data, codes = self._selected(codes)
        columns = self._columns(codes, by_year)
        lacking = data[data["deso"] == ""]
        values = []
        for code, year in columns:
            rows = lacking[lacking["offence_code"] == code]
            if year is not None:
                rows = rows[rows["year"] == year]
            values.append(int(rows["count"].sum()))
        return pd.Series(values, index=[count_column(c, y) for c, y in columns],
                         name=WITHOUT_AREA, dtype="int64")


def _rows_text(rows: Sequence[int], ids: Sequence[str], values: Sequence[str]) -> list[str]:
    return [f"rad {r} (Id {i}): {v!r}" for r, i, v in zip(rows, ids, values, strict=True)]


def read_offences_per_deso(path: str | Path) -> Offences:
    """Read the police's offences with DeSO codes (CSV or Excel, one row per record).

    Columns ``Id``, ``Brottskod``, ``Brottskod.klartext``, ``Inskrivningsdatum``,
    ``Brottsdatum``, ``Kommun``, ``Län``, ``DeSO.område``, ``Antal`` and optionally
    ``source_file``. All problems are raised at once as :class:`PoliceFileError`: missing
    columns, empty or repeated ``Id``, a ``Brottskod`` that is not digits, dates that are
    not ``YYYY-MM-DD``, an ``Antal`` that is not a positive whole number, and DeSO codes
    that :func:`indicators.codes.validate_area_codes` refuses (a lost leading zero ...) or
    that are not DeSO codes. An empty ``DeSO.område`` is allowed: the record is kept and
    reported (:meth:`Offences.messages`), never dropped.
    """
    raw = read_raw_table(path, error=PoliceFileError)
    frame = raw.frame
    problems = Problems(PoliceFileError, raw.source)
    lacking = [c for c in OFFENCE_FILE_COLUMNS if c not in frame.columns]
    if lacking:
        problems.add("kolumner saknas.", values=lacking,
                     expected=", ".join(OFFENCE_FILE_COLUMNS),
                     fix="finns: " + ", ".join(map(str, frame.columns)))
        problems.raise_if_any()
    rows = list(raw.rows)
    cells = {c: [str(v).strip() for v in frame[c]] for c in frame.columns}
    ids = cells["Id"]

    empty_ids = [r for r, i in zip(rows, ids, strict=True) if not i]
    if empty_ids:
        problems.add("rader utan Id.", column="Id", values=[f"rad {r}" for r in empty_ids],
                     expected="ett Id per brott", fix="fyll i Id eller ta bort raderna")
    seen: dict[str, int] = {}
    for i in ids:
        if i:
            seen[i] = seen.get(i, 0) + 1
    repeated = [i for i, n in seen.items() if n > 1]
    if repeated:
        problems.add("samma Id förekommer flera gånger.", column="Id", values=repeated,
                     expected="varje brott en gång",
                     fix="ta bort dubbletterna (t.ex. när flera uttag slagits ihop)")

    def bad(column: str, ok: Callable[[str], bool]) -> list[str]:
        sel = [k for k, v in enumerate(cells[column]) if not ok(v)]
        return _rows_text([rows[k] for k in sel], [ids[k] for k in sel],
                          [cells[column][k] for k in sel])

    bad_codes = bad("Brottskod", lambda v: v.isdigit())
    if bad_codes:
        problems.add("brottskoder som inte är siffror.", column="Brottskod", values=bad_codes,
                     expected="polisens brottskod, t.ex. '1211'",
                     fix="importera kolumnen som text så att koden behålls")

    def is_date(v: str) -> bool:
        if not _DATE.fullmatch(v):
            return False
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            return False
        return True

    for column in ("Brottsdatum", "Inskrivningsdatum"):
        bad_dates = bad(column, is_date)
        if bad_dates:
            problems.add("datum som inte kan läsas.", column=column, values=bad_dates,
                         expected="'ÅÅÅÅ-MM-DD', t.ex. '2023-03-26'",
                         fix="spara datumkolumnen som text i formen ÅÅÅÅ-MM-DD")
    bad_counts = bad("Antal", lambda v: v.isdigit() and int(v) > 0)
    if bad_counts:
        problems.add("antal som inte är ett positivt heltal.", column="Antal",
                     values=bad_counts, expected="ett positivt heltal, t.ex. 1 eller 2",
                     fix="rätta antalet eller ta bort raden")

    deso_column = "DeSO.område"
    given = [(k, v) for k, v in enumerate(cells[deso_column]) if v]
    try:
        validated = validate_area_codes([v for _, v in given], source=raw.source,
                                        column=deso_column)
    except AreaCodeError as err:
        for p in err.problems:
            problems.add(p.message, column=p.column, values=p.values, expected=p.expected,
                         fix=p.fix)
        validated = ()
    not_deso = [(k, v) for (k, _), v in zip(given, validated, strict=False)
                if classify_area_code(v) != DESO]
    if validated and not_deso:
        problems.add("koder som inte är DeSO-koder.", column=deso_column,
                     values=_rows_text([rows[k] for k, _ in not_deso],
                                       [ids[k] for k, _ in not_deso],
                                       [v for _, v in not_deso]),
                     expected="DeSO-kod som '0126C1020', eller tom cell om brottet saknar "
                              "DeSO",
                     fix="kontrollera att kolumnen DeSO.område innehåller DeSO-koder")
    problems.raise_if_any()

    deso = [""] * len(ids)
    for (k, _), code in zip(given, validated, strict=True):
        deso[k] = code
    data = pd.DataFrame({OFFENCE_FILE_COLUMNS[c]: cells[c] for c in OFFENCE_FILE_COLUMNS})
    data["deso"] = deso
    data["source_file"] = cells.get("source_file", [raw.source] * len(ids))
    data["registered_date"] = pd.to_datetime(data["registered_date"], format="%Y-%m-%d")
    data["offence_date"] = pd.to_datetime(data["offence_date"], format="%Y-%m-%d")
    data.insert(5, "year", data["offence_date"].dt.year.astype("int64"))
    data["count"] = data["count"].astype("int64")
    data["row"] = rows
    return Offences(data, raw.source)
