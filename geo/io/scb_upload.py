"""An uploaded indicator file that is an SCB Statistikdatabasen export, as downloaded.

The user's indicator file is read by :func:`read_indicator_upload`: a table with the column
``area_id`` is read as it is (:func:`geo.io.files.read_indicator_table`); an Excel or CSV
file without it that :func:`geo.io.scb_files.read_scb_export` can read is one of SCB's
tables. SCB's columns are named in SCB's words ("2022, förgymnasial utbildning"), not as the
catalogue's counts, so only tables prevmap knows (:data:`KNOWN_TABLES`, by their *Intern
referenskod*) are turned into counts, with the formulas of :mod:`geo.io.scb_wide`
(``data/catalogue_scb.csv``): education, labour market, tenure, economic standard and
background per DeSO. Any other SCB table is refused with a message that says which tables
can be used and how to make an own table instead; a value is never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geo.io.files import read_indicator_table
from geo.io.limits import FileLimits
from geo.io.scb_files import ScbExport, read_scb_export
from geo.io.scb_wide import counts_missing, scb_indicator_counts
from geo.io.tables import CSV_SUFFIXES, EXCEL_SUFFIXES
from indicators.columns import AREA_ID, AREA_NAME
from indicators.errors import IndicatorTableError, ScbFileError

# Per SCB table (Intern referenskod): what it holds, and each value column (its header with
# the year left out) as the column of the wide DeSO table that scb_wide's formulas use.
# Those names carry 2022, the year of the shared wide table; they are keys of the formulas
# only; the export's own year becomes the source's date (``attrs["scb"]["year"]``).
KNOWN_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "000005MO": ("utbildningsnivå 25–64 år", {
        "förgymnasial utbildning": "edu_2564_2022_forgymnasial",
        "gymnasial utbildning": "edu_2564_2022_gymnasial",
        "eftergymnasial utbildning, mindre än 3 år": "edu_2564_2022_eftergym_lt3",
        "eftergymnasial utbildning, 3 år eller mer": "edu_2564_2022_eftergym_ge3",
        "uppgift om utbildningsnivå saknas": "edu_2564_2022_unknown"}),
    "000007A8": ("arbetsmarknadsstatus 16–64 år", {
        "antal sysselsatta, totalt, 16-64 år": "lm_1664_2022_employed",
        "antal arbetslösa, totalt, 16-64 år": "lm_1664_2022_unemployed",
        "antal sysselsatta och arbetslösa (arbetskraften), totalt, 16-64 år":
            "lm_1664_2022_labour_force",
        "antal personer utanför arbetskraften, totalt, 16-64 år": "lm_1664_2022_outside_lf",
        "antal totalt, totalt, 16-64 år": "lm_1664_2022_total"}),
    "000006OC": ("lägenheter efter upplåtelseform", {
        "hyresrätt": "dwellings_2022_hyresratt", "bostadsrätt": "dwellings_2022_bostadsratt",
        "äganderätt": "dwellings_2022_aganderatt",
        "uppgift saknas": "dwellings_2022_upplatelseform_saknas"}),
    "000006TA": ("låg och hög ekonomisk standard", {
        "Låg ekonomisk standard, procent, totalt ålder": "low_econ_standard_2022_pct",
        "Hög ekonomisk standard, procent, totalt ålder": "high_econ_standard_2022_pct",
        "Antal personer totalt, totalt ålder": "econ_standard_2022_n_persons"}),
    "000005F8": ("hushåll efter hushållstyp", {
        "sammanboende med barn": "hh_2022_cohabiting_with_children",
        "sammanboende utan barn": "hh_2022_cohabiting_no_children",
        "ensamstående med barn": "hh_2022_single_with_children",
        "ensamstående utan barn": "hh_2022_single_no_children",
        "övriga hushåll": "hh_2022_other"}),
    "000005FF": ("folkmängd efter ålder", {
        "totalt, totalt": "pop_2022_total", "0-4 år, totalt": "pop_2022_age_0_4",
        "5-9 år, totalt": "pop_2022_age_5_9", "10-14 år, totalt": "pop_2022_age_10_14",
        "15-19 år, totalt": "pop_2022_age_15_19", "20-24 år, totalt": "pop_2022_age_20_24"}),
    "000005FE": ("utländsk/svensk bakgrund", {
        "svensk bakgrund, totalt": "pop_2022_swedish_background",
        "utländsk bakgrund, totalt": "pop_2022_foreign_background",
        "totalt, totalt": "pop_2022_total_bg"}),
}
SCB_MARK = "Intern referenskod:"


class UnknownScbTableError(ScbFileError):
    """An SCB export of a table prevmap has no counts for (not in :data:`KNOWN_TABLES`):
    refused alone, passed over with a note among several files."""

_YEAR = re.compile(r"(?:19|20)\d{2}")


def read_indicator_upload(path: str | Path, limits: FileLimits | None = None) -> pd.DataFrame:
    """The user's indicator file as a table: as it is when it has ``area_id``, as counts
    (:func:`scb_export_counts`) when it is an SCB export. ``attrs["scb"]`` of an SCB table
    names its table code and year."""
    path = Path(path)
    try:
        table: pd.DataFrame | None = read_indicator_table(path, limits)
    except (IndicatorTableError, pd.errors.ParserError) as err:
        return scb_upload(path, limits, None, err)   # an SCB CSV: a title line, wider rows
    if AREA_ID in table.columns:
        return table
    return scb_upload(path, limits, table, None)


def scb_upload(path: Path, limits: FileLimits | None, table: pd.DataFrame | None,
               first: Exception | None) -> pd.DataFrame:
    """The file as an SCB export's counts, given what reading it the plain way gave (the
    ``table``, or the error ``first``): that table back when the file is no SCB export
    (validation then says what it lacks), ``first`` again when it could not be read either
    way and has no SCB mark; the plain read is not repeated."""
    if path.suffix.lower() not in CSV_SUFFIXES | EXCEL_SUFFIXES:
        if table is None:
            raise first
        return table
    try:
        export = read_scb_export(path, limits=limits)
    except ScbFileError:
        if table is not None and not _says_scb(table):
            return table       # validation says that area_id is missing
        with path.open("rb") as file:      # SCB's mark is in the first lines of its exports
            head = file.read(1_000_000)
        if table is None and SCB_MARK.encode() not in head:
            raise first from None
        raise
    counts = scb_export_counts(export)
    counts.attrs["notes"] = tuple(getattr(table, "attrs", {}).get("notes", ())) + export.notes
    return counts


def _says_scb(table: pd.DataFrame) -> bool:
    """A table read the plain way whose cells carry SCB's footer ("Intern referenskod:")."""
    return any(SCB_MARK in str(c) for c in table.columns) or any(
        (table[c].astype("string") == SCB_MARK).any() for c in table.columns[:1])


def scb_export_counts(export: ScbExport) -> pd.DataFrame:
    """A known SCB table (:data:`KNOWN_TABLES`) as the counts of ``data/catalogue_scb.csv``,
    one row per area; the year is the one the export holds (only one is allowed)."""
    known = KNOWN_TABLES.get(export.table_code or "")
    if known is None:
        names = ", ".join(f"{code} ({what})" for code, (what, _) in KNOWN_TABLES.items())
        raise UnknownScbTableError(
            f"fil '{export.source}': är en export från SCB:s Statistikdatabasen "
            f"('{export.title}', tabell {export.table_code or 'utan referenskod'}), men "
            "prevmap vet inte vilka av katalogens antal den ger. Åtgärd: ladda upp någon av "
            f"SCB-tabellerna {names} som den laddades ned, eller gör en egen tabell med "
            f"kolumnen '{AREA_ID}' och katalogens kolumnnamn (täljare och nämnare).")
    what, columns = known
    value_columns = [c for c in export.data.columns if c not in (AREA_ID, AREA_NAME)]
    years = sorted({y for c in value_columns for y in _YEAR.findall(c)})
    renamed: dict[str, str] = {}
    unknown = []
    for column in value_columns:
        label = ", ".join(p for p in column.split(", ") if not _YEAR.fullmatch(p))
        if label in columns:
            renamed[column] = columns[label]
        else:
            unknown.append(column)
    if len(years) > 1 or unknown:
        raise ScbFileError(
            f"fil '{export.source}': SCB-tabellen {export.table_code} ({what}) har "
            + (f"flera år ({', '.join(years)})" if len(years) > 1 else
               "kolumner som prevmap inte känner igen: " + ", ".join(f"'{c}'" for c in unknown))
            + ". Åtgärd: välj ett år och tabellens alla värden som kolumner i "
              "Statistikdatabasen, region (DeSO) som rader, och ladda ned igen.")
    wide = export.data.rename(columns=renamed)
    counts = scb_indicator_counts(wide, id_column=AREA_ID, source=export.source, partial=True)
    if AREA_NAME in export.data.columns:
        counts.insert(1, AREA_NAME, export.data[AREA_NAME].to_numpy())
    counts.attrs["scb"] = {"table_code": export.table_code, "title": export.title,
                           "year": years[0] if years else None}
    cells = pd.DataFrame(
        [(m.area, renamed[m.column], m.value, m.reason)
         for m in export.missing if m.column in renamed],
        columns=["area_id", "column", "symbol", "reason"])
    counts.attrs["missing"] = counts_missing(cells)
    return counts
