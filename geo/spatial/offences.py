"""The police's recorded offences per DeSO as a comparison column per area, never in the index.

Method (what the columns say, and what is left out):

* **Year.** One calendar year of the offence date (``Brottsdatum``): by default the latest
  *full* year of the file, the latest year Y for which the file holds offences registered
  after Y ended (``Inskrivningsdatum`` in Y+1 or later), so the extract reached beyond
  Y. An extract "2000–2024Q1" gives 2023, never the quarter 2024. Offences of Y
  registered after the extract was taken are missing in any case (a lag the police's
  statistics have too). When no year can be shown to be full, the latest year is used and
  a note says it may be incomplete.
* **Count.** The sum of ``Antal`` of that year's offences, every offence code of the file
  together (the codes are listed in the notes).
* **Areas.** When the areas are DeSO, codes match directly. For RegSO, kommundelar or any
  other areas made of whole DeSO, a *link table* (SCB's DeSO→RegSO link, or any
  DeSO→area table) sums the DeSO into the areas; when small areas have been merged
  (:mod:`geo.spatial.merge`) its grouping is applied on top. Nothing is dropped
  silently: offences without a DeSO, DeSO the link does not know and DeSO whose area is
  not on the map are counted and reported in the notes. When no DeSO of the file reaches
  any area (another kommun, another level, a link for other areas) it is an error
  naming the file, the column and examples from both sides.
* **Zero or missing.** An area of a kommun the file covers (a kommun of at least one DeSO
  code in it) with no offence has 0; an area of another kommun is left missing, since
  the file says nothing about it.
* **Per 1 000 inhabitants.** When the analysis' indicator table has a real (not
  synthetic) population column (:data:`POPULATION_COLUMNS`), the count divided by it
  times 1 000. The population is the table's, of its own year, which may differ from the
  offences' year (the note says so). Demo data have a synthetic population: no rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from geo.inputs import Inputs
from geo.io.files import SourceInfo, read_source_info
from geo.io.polisen import TOTAL, Offences, read_offences_per_deso
from geo.io.tables import read_raw_table
from indicators.codes import DESO, REGSO, area_code_text, classify_area_code
from indicators.columns import AREA_ID
from indicators.errors import AreaCodeError, PoliceFileError, Problems, format_values
from indicators.levels import FROM_ID, link_table
from indicators.swedish import format_number

OFFENCES_COLUMN = "Anmälda brott (polisen)"
OFFENCES_RATE_COLUMN = "Anmälda brott per 1 000 invånare (polisen)"
OFFENCES_ROLE = "Polisens anmälda brott"
LINK_ROLE = "Koppling DeSO–områden"
POPULATION_COLUMNS = ("invanare", "inv_bakgrund")
"""Columns of an indicator table that hold the whole population of an area, in order of
preference: the catalogue's ``invanare`` and SCB's population by background (all
inhabitants, :mod:`geo.io.scb_wide`)."""
DESO_COLUMN = "DeSO.område"


@dataclass(frozen=True, eq=False)
class DesoLink:
    """A link from DeSO to the areas: ``frame`` as :func:`indicators.levels.link_table`
    (``from_id`` DeSO, ``area_id``), read from ``from_column`` and ``to_column``."""

    frame: pd.DataFrame
    source: SourceInfo
    from_column: str
    to_column: str


@dataclass(frozen=True, eq=False)
class PoliceOffences:
    """The police's offences per DeSO as a comparison: the file, its source, an optional
    link to the areas and the year (None: the latest full year, :func:`latest_full_year`)."""

    offences: Offences
    source: SourceInfo
    link: DesoLink | None = None
    year: int | None = None

    def chosen_year(self) -> tuple[int, bool]:
        """The year counted and whether the file covers all of it."""
        full = latest_full_year(self.offences)
        if self.year is not None:
            return self.year, full is not None and self.year <= full
        if full is not None:
            return full, True
        return max(self.offences.years), False


@dataclass(frozen=True, eq=False)
class Population:
    """Inhabitants per area (index ``area_id``) and the column they come from; ``counts``
    None when the analysis has no usable population, ``note`` saying why."""

    counts: pd.Series | None
    note: str


def latest_full_year(offences: Offences) -> int | None:
    """The latest offence year Y with an offence registered after Y ended (see the module
    docstring); None when there is none."""
    data = offences.data
    if not len(data):
        return None
    last_registered = data["registered_date"].max()
    full = [y for y in offences.years if last_registered >= pd.Timestamp(dt.date(y + 1, 1, 1))]
    return max(full) if full else None


def read_deso_link(path: str | Path, from_column: str | None = None,
                   to_column: str | None = None) -> DesoLink:
    """Read a link from DeSO to the areas (CSV or Excel), such as SCB's
    ``koppling_deso2018_regso2020``. Without named columns, the DeSO column is the first
    whose every code is a DeSO code and the area column the first other one whose every
    code is a RegSO code; with only two columns, the other one (e.g. kommundelar by name).
    Raises :class:`AreaCodeError` naming the file and its columns when they cannot be told.
    """
    raw = read_raw_table(path, error=AreaCodeError)
    frame = raw.frame
    columns = [str(c) for c in frame.columns]
    problems = Problems(AreaCodeError, raw.source)
    for given in (from_column, to_column):
        if given is not None and given not in columns:
            problems.add("kolumnen finns inte i kopplingstabellen.", column=given,
                         values=columns, fix="ange en av kolumnerna ovan")
    problems.raise_if_any()

    def every(column: str, kind: str) -> bool:
        codes = [area_code_text(v) for v in frame[column] if area_code_text(v)]
        return bool(codes) and all(classify_area_code(c) == kind for c in codes)

    from_column = from_column or next((c for c in columns if every(c, DESO)), None)
    if from_column is None:
        problems.add("ingen kolumn med bara DeSO-koder.", values=columns,
                     expected="en kolumn med DeSO-koder som '0126C1020' och en med områdenas "
                              "koder, t.ex. SCB:s kopplingstabell DeSO–RegSO",
                     fix="kontrollera att filen är en kopplingstabell från DeSO")
        problems.raise_if_any()
    others = [c for c in columns if c != from_column]
    to_column = to_column or next((c for c in others if every(c, REGSO)), None) or (
        others[0] if len(others) == 1 else None)
    if to_column is None:
        problems.add("kan inte avgöra vilken kolumn som är områdenas kod.", values=others,
                     expected="en kolumn med RegSO-koder som '0126R001', eller bara två "
                              "kolumner (DeSO och område)",
                     fix="spara en kopia med bara DeSO-kolumnen och områdenas kolumn")
        problems.raise_if_any()
    assert from_column is not None and to_column is not None
    link = link_table(frame, from_column, to_column, source=raw.source)
    return DesoLink(link, read_source_info(path), from_column, to_column)


def read_police_offences(path: str | Path, link: str | Path | None = None, *,
                         year: int | None = None) -> PoliceOffences:
    """Read the police's offences per DeSO (:func:`geo.io.polisen.read_offences_per_deso`)
    with its sidecar source and, given, a DeSO link (:func:`read_deso_link`)."""
    offences = read_offences_per_deso(path)
    return PoliceOffences(offences, read_source_info(path),
                          read_deso_link(link) if link is not None else None, year)


def population_of(inputs: Inputs) -> Population:
    """The population of the analysis' areas from its indicator table (see the module
    docstring): the first of :data:`POPULATION_COLUMNS` the table has, unless synthetic."""
    table = inputs.table
    column = next((c for c in POPULATION_COLUMNS if c in table.columns), None)
    if column is None:
        return Population(None, f"{OFFENCES_RATE_COLUMN} beräknas inte: indikatortabellen "
                                f"har ingen befolkningskolumn ({', '.join(POPULATION_COLUMNS)}).")
    if inputs.table_source.synthetic:
        return Population(None, f"{OFFENCES_RATE_COLUMN} beräknas inte: befolkningen i "
                                "indikatortabellen är syntetisk (demodata).")
    counts = pd.to_numeric(table[column], errors="coerce").astype(float)
    counts.index = table[AREA_ID].astype(str).to_numpy()
    year = f", år {inputs.year}" if inputs.year is not None else ""
    return Population(counts, f"{OFFENCES_RATE_COLUMN}: antalet delat med befolkningen i "
                              f"indikatortabellens kolumn '{column}' ({inputs.table_name}"
                              f"{year}) gånger 1 000; befolkningens år kan skilja sig från "
                              "brottens.")


def _kommun_of(area_id: str) -> str | None:
    """The kommun code of a DeSO or RegSO code; None for other ids (kommundel names)."""
    return area_id[:4] if classify_area_code(area_id) in (DESO, REGSO) else None


def offences_per_area(area_ids: pd.Index, police: PoliceOffences, *,
                      population: Population | None = None,
                      grouping: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The offences' columns for ``area_ids`` (index ``area_id``, in their order) and the
    notes (see the module docstring). ``grouping`` (``from_id`` -> ``area_id``) maps the
    link's areas further, e.g. into merged groups."""
    offences, source = police.offences, police.source.title
    year, full = police.chosen_year()
    data = offences.data[offences.data["year"] == year]
    placed = data[data["deso"] != ""]
    per_deso = placed.groupby("deso")["count"].sum()
    ids = [str(a) for a in area_ids]
    if police.link is not None:
        mapping = dict(zip(police.link.frame[FROM_ID], police.link.frame[AREA_ID], strict=True))
        how = (f"DeSO har summerats till områdena genom kopplingstabellen "
               f"'{police.link.source.title}' (kolumnerna '{police.link.from_column}' och "
               f"'{police.link.to_column}').")
    elif ids and all(classify_area_code(a) == DESO for a in ids):
        mapping = {a: a for a in ids}
        how = "Områdena är DeSO: brottens DeSO-koder har matchats direkt."
    else:
        problems = Problems(PoliceFileError, offences.source)
        problems.add("områdena är inte DeSO, och brotten kan bara summeras till dem genom en "
                     "kopplingstabell från DeSO.", column=DESO_COLUMN, values=ids,
                     expected="områden med DeSO-koder, eller SCB:s kopplingstabell DeSO–RegSO "
                              "(eller DeSO–kommundel)",
                     fix="ange kopplingstabellen (--deso-regso, eller uppladdningen "
                         "'Koppling DeSO–områden' i appen)")
        problems.raise_if_any()
    if grouping is not None:
        group = dict(zip(grouping[FROM_ID], grouping[AREA_ID], strict=True))
        mapping = {deso: group.get(area, area) for deso, area in mapping.items()}
    known = set(ids)
    target = pd.Series([mapping.get(d) for d in per_deso.index], index=per_deso.index,
                       dtype=object)
    hit = target.isin(known)
    all_codes = sorted(set(offences.data.loc[offences.data["deso"] != "", "deso"]))
    all_hit = [d for d in all_codes if mapping.get(d) in known]
    if all_codes and not all_hit:
        problems = Problems(PoliceFileError, offences.source)
        linked = [d for d in all_codes if d in mapping]
        if police.link is not None and linked:
            # The file's DeSO are in the link, but the link leads elsewhere: another level.
            targets = list(dict.fromkeys(mapping[d] for d in linked))
            problems.add(f"filens DeSO-koder finns i kopplingstabellen "
                         f"'{police.link.source.title}', men den leder till områden som inte "
                         f"finns i kartan.", column=police.link.to_column, values=targets,
                         expected="områdenas koder: " + format_values(ids),
                         fix="ange en kopplingstabell från DeSO till just de här områdena "
                             "(t.ex. DeSO–kommundel när kartan visar kommundelar)")
        else:
            side = ("kopplingstabellens DeSO-koder: "
                    + format_values(list(police.link.frame[FROM_ID])) if police.link is not None
                    else "områdenas koder: " + format_values(ids))
            problems.add(f"ingen av filens {len(all_codes)} DeSO-koder hör till något av de "
                         f"{len(ids)} områdena.", column=DESO_COLUMN, values=all_codes,
                         expected=side,
                         fix="kontrollera att filen gäller samma kommun som områdena, och att "
                             "kopplingstabellen gäller samma DeSO-årgång och områdesnivå")
        problems.raise_if_any()

    counts = per_deso[hit].groupby(target[hit]).sum()
    covered = {d[:4] for d in all_codes}
    outside = [a for a in ids if (k := _kommun_of(a)) is not None and k not in covered]
    column = pd.Series([int(counts.get(a, 0)) for a in ids], index=pd.Index(ids, name=AREA_ID),
                       dtype="Int64", name=OFFENCES_COLUMN)
    column[outside] = pd.NA
    out = pd.DataFrame({OFFENCES_COLUMN: column})

    codes = ", ".join(offences.codes)
    period = (f"{year} är det senaste hela året i filen (brott registrerade till och med "
              f"{offences.data['registered_date'].max().date().isoformat()})" if full and
              police.year is None else
              f"{year} valt" if full else
              f"{year} är kanske inte ett helt år: filen har inga brott registrerade efter "
              f"{year}")
    notes = [f"{OFFENCES_COLUMN}: summan av Antal för brott med brottsdatum {year} ur "
             f"'{source}', brottskoderna {codes}; {period}. Ingår inte i indexet.",
             f"{OFFENCES_COLUMN}: {how}"]
    lacking = data[data["deso"] == ""]
    if len(lacking):
        notes.append(f"{OFFENCES_COLUMN}: {len(lacking)} brott {year} (summa Antal "
                     f"{int(lacking['count'].sum())}) saknar DeSO-kod och ingår inte i något "
                     f"område. Id: {format_values(list(lacking['id']))}.")
    notes += [f"{OFFENCES_COLUMN}: {m}" for m in offences.messages()]
    missed = per_deso[~hit]
    if len(missed):
        why = ("saknas i kopplingstabellen eller hör till områden som inte finns i kartan"
               if police.link is not None else "finns inte bland områdena")
        notes.append(f"{OFFENCES_COLUMN}: {len(missed)} DeSO med brott {year} (summa Antal "
                     f"{int(missed.sum())}) {why} och ingår inte: "
                     f"{format_values(list(missed.index))}.")
    if outside:
        notes.append(f"{OFFENCES_COLUMN}: {len(outside)} område(n) ligger i kommuner som "
                     f"filen inte täcker och lämnas tomma: {format_values(outside)}.")
    if population is not None:
        notes.append(population.note)
        if population.counts is not None:
            people = population.counts.reindex(ids).astype(float)
            people[people <= 0] = float("nan")
            rate = (column.astype(float) / people * 1000).round(2)
            out[OFFENCES_RATE_COLUMN] = rate.to_numpy()
    return out, notes


def offences_source(police: PoliceOffences) -> SourceInfo:
    """The file's source with the year counted in its title."""
    year, _ = police.chosen_year()
    return replace(police.source, title=f"{police.source.title}, brott {year}")


def offences_tooltip(columns: pd.DataFrame) -> list[str]:
    """Tooltip text per area: ``'12 (3,4 per 1 000 invånare)'``, ``'–'`` when missing."""
    counts = columns[OFFENCES_COLUMN]
    rates = columns.get(OFFENCES_RATE_COLUMN)
    out = []
    for i, n in enumerate(counts):
        text = format_number(None if pd.isna(n) else float(n), 0)
        if rates is not None and not pd.isna(rates.iloc[i]):
            text += f" ({format_number(float(rates.iloc[i]), 1)} per 1 000 invånare)"
        out.append(text)
    return out


CODE = "Brottskod"
OFFENCE = "Brott"
WITHOUT_DESO = "varav utan DeSO-kod (i inget område)"


def offences_table(offences: Offences) -> pd.DataFrame:
    """The file at a glance: one row per offence code (:data:`CODE`, :data:`OFFENCE`), one
    column per year of the offence date and :data:`TOTAL`, summed ``Antal``; then a row
    :data:`WITHOUT_DESO` with the offences that have no DeSO (kept, never dropped). A year
    after the latest full year (:func:`latest_full_year`) is headed "2024 (ej helt år)"."""
    data = offences.data
    full = latest_full_year(offences)
    years = list(offences.years)
    headers = [str(y) if full is not None and y <= full else f"{y} (ej helt år)"
               for y in years]

    def per_year(rows: pd.DataFrame) -> list[int]:
        sums = rows.groupby("year")["count"].sum()
        return [int(sums.get(y, 0)) for y in years]

    records = []
    for code, text in offences.codes.items():
        counts = per_year(data[data["offence_code"] == code])
        records.append([code, text, *counts, sum(counts)])
    lacking = per_year(data[data["deso"] == ""])
    records.append(["", WITHOUT_DESO, *lacking, sum(lacking)])
    return pd.DataFrame(records, columns=[CODE, OFFENCE, *headers, TOTAL])
