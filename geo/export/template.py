"""The municipality's data template: what socialtjänst, skola, fritid and the others deliver
per area, as an Excel workbook and as a CSV file to fill in.

:func:`template_tables` builds two tables from a catalogue:

* the **instructions**: one row per indicator with its Swedish name, id, domain, direction in
  words, unit, the numerator's and the denominator's column with what each counts, how the
  value is computed, the source, who delivers it (:func:`deliverer`) and its level;
* the **data** sheet to fill in: ``area_id``, ``area_name`` and every column the catalogue's
  indicators are computed from (numerators and denominators, a ready value's id), once each,
  in catalogue order; one row per area when areas are given.

The data sheet is exactly what prevmap reads back: a filled-in template, uploaded in the app
or passed to ``prevmap export``, goes through the same reader as any indicator table
(``geo.inputs.inputs_for_areas``), so its header must be the catalogue's column names, with
no title rows above it. In the workbook (:func:`write_template_xlsx`) the sheet ``Data`` is
therefore the *first* sheet (prevmap reads an uploaded workbook's first sheet), while the
workbook opens on ``Instruktioner``. Area codes are text cells (number format ``@``, also for
the empty rows of column A), so Excel keeps ``0126R001`` and ``0114`` with their zeros.

Nothing the user's files bring (area names, a catalogue's texts) is ever written as a
formula: the workbook's cells go through :func:`geo.export.workbook._put` and the CSV through
the ranking CSV's guard (:func:`geo.export.tables._no_formulas`). The same catalogue, areas
and date give the same bytes. :data:`TEMPLATE_FORMATS` is the registry the app's download
buttons and the command line loop over; :func:`template_bytes` writes one of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from geo.export.tables import CSV_OPTIONS, _no_formulas
from geo.export.workbook import _put, _write_frame, dated_workbook_bytes
from geo.io.files import META_SUFFIX
from indicators.catalogue import Catalogue, Indicator
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.errors import AreaFileError, Problems
from indicators.swedish import format_integer

SHEET_DATA = "Data"
SHEET_INSTRUCTIONS = "Instruktioner"
TEXT_FORMAT = "@"          # Excel's number format "Text": what is typed stays as typed
# The same MIME type as geo.export.formats.XLSX, not imported from there so that the
# formats module may register these templates without an import cycle.
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The instructions table's headers.
INDICATOR = "Indikator"
ID = "id"
DOMAIN = "Domän"
DIRECTION = "Riktning"
UNIT = "Enhet"
NUMERATOR = "Täljare (kolumn)"
NUMERATOR_TEXT = "Täljaren räknar"
DENOMINATOR = "Nämnare (kolumn)"
DENOMINATOR_TEXT = "Nämnaren räknar"
FORMULA = "Beräknas som"
SOURCE = "Källa"
DELIVERER = "Vem levererar"
LEVEL = "Nivå"
INSTRUCTION_COLUMNS = (INDICATOR, ID, DOMAIN, DIRECTION, UNIT, NUMERATOR, NUMERATOR_TEXT,
                       DENOMINATOR, DENOMINATOR_TEXT, FORMULA, SOURCE, DELIVERER, LEVEL)

DIRECTIONS = {1: "högre värde = större behov",
              -1: "högre värde = mindre behov (skyddsfaktor)"}

# The catalogue's levels (PRIMER: area, municipal, kommun) in words.
LEVELS = {"område": "område (publiceras per DeSO/RegSO)",
          "kommunal": "kommunal (finns per område i kommunens egna system)",
          "kommun": "kommun (bara för hela kommunen)"}

# Who delivers an indicator: the first rule whose pattern occurs in the source text, tried
# on the text before its first ';' (what follows is a kommun-level reference such as
# Kolada), then on the whole text; without a match, the indicator's domain decides
# (DOMAIN_DELIVERERS). Brå's crime statistics are the police's records, so Brå counts as
# 'polis'; a region's health-care data as 'region'.
SOCIAL_SERVICES, SCHOOL, LEISURE, REGION, POLICE, SCB = (
    "socialtjänst", "skola", "fritid", "region", "polis", "SCB")
DELIVERER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (SOCIAL_SERVICES, re.compile(r"\bsocial(?:tjänst|nämnd)")),
    (SCHOOL, re.compile(r"\b(?:skol|elev|grundskol|gymnasi)")),
    (LEISURE, re.compile(r"\b(?:fritid|förening)")),
    (REGION, re.compile(r"\b(?:region|vård)")),
    (POLICE, re.compile(r"\b(?:polis|brå\b)")),
    (SCB, re.compile(r"\bscb\b")),
)
DOMAIN_DELIVERERS = {"socioekonomi": SCB, "skola": SCHOOL, "skyddsfaktorer": LEISURE,
                     "kriminalitet": POLICE, "missbruk": SOCIAL_SERVICES,
                     "psykisk_ohalsa": SOCIAL_SERVICES}

# What each column of the bundled catalogue (data/indicator_catalogue.csv, PRIMER's
# indicator set) counts, per area and year. A column not named here gets a text made from
# its indicator's name (column_text).
COLUMN_TEXTS: dict[str, str] = {
    "barn_0_17": "Barn 0–17 år folkbokförda i området (31 december)",
    "barn_0_17_lag_ek_standard": "Barn 0–17 år i hushåll med låg ekonomisk standard "
                                 "(disponibel inkomst per konsumtionsenhet under 60 % av "
                                 "medianen i riket)",
    "barn_0_17_trangbodda": "Barn 0–17 år i trångbodda hushåll (SCB:s norm 2: fler än två "
                            "boende per rum, kök och vardagsrum oräknade)",
    "inv_25_64": "Invånare 25–64 år folkbokförda i området",
    "inv_25_64_forgymnasial": "Invånare 25–64 år vars högsta utbildning är förgymnasial",
    "inv_16_64": "Invånare 16–64 år folkbokförda i området",
    "inv_16_64_utanfor": "Invånare 16–64 år som är arbetslösa eller står utanför "
                         "arbetskraften",
    "elever_ak9": "Elever i årskurs 9 som bor i området (vårterminen)",
    "elever_ak9_behoriga": "Elever i årskurs 9 som bor i området och är behöriga till "
                           "gymnasiets yrkesprogram (vårterminen)",
    "elever_grundskola": "Elever i grundskolan som bor i området (läsåret)",
    "elever_hog_franvaro": "Elever i grundskolan som bor i området och har minst 15 % "
                           "frånvaro, giltig och ogiltig (läsåret)",
    "unga_10_24": "Invånare 10–24 år i området",
    "unga_10_24_psykiatri": "Unga 10–24 år i området med minst en kontakt med "
                            "specialiserad psykiatrisk vård under året (personer, inte besök)",
    "orosanmalningar_0_17": "Orosanmälningar under året om barn 0–17 år som bor i området "
                            "(anmälningar)",
    "invanare": "Invånare i området, alla åldrar (31 december)",
    "narkotikabrott": "Anmälda narkotikabrott (eget bruk och innehav) med brottsplats i "
                      "området under året",
    "unga_15_24": "Invånare 15–24 år i området",
    "unga_15_24_missbruksinsats": "Unga 15–24 år i området med en insats från "
                                  "socialtjänsten för missbruk under året (personer)",
    "valdsbrott": "Anmälda våldsbrott (bland annat misshandel, rån, hot och sexualbrott) med "
                  "brottsplats i området under året",
    "skadegorelse": "Anmälda skadegörelsebrott och anlagda bränder (till exempel bilbränder) "
                    "med brottsplats i området under året",
    "unga_15_20": "Invånare 15–20 år i området",
    "unga_15_20_misstankta": "Unga 15–20 år i området som misstänkts för brott under året "
                             "(personer)",
    "unga_7_20": "Invånare 7–20 år i området",
    "unga_7_20_fritid": "Unga 7–20 år i området som deltar i fritidsgårdarnas verksamhet "
                        "eller i en förening med kommunalt bidrag (personer, inte besök)",
    "unga_16_24": "Invånare 16–24 år i området",
    "unga_16_24_uvas": "Unga 16–24 år i området som varken arbetar eller studerar",
}


def deliverer(indicator: Indicator) -> str:
    """Who delivers ``indicator``: socialtjänst, skola, fritid, region, polis or SCB.

    The rule, in order: the first of :data:`DELIVERER_RULES` whose pattern occurs in the
    source text before its first ';' (lower case); else the first that occurs anywhere in
    the source; else the domain's deliverer (:data:`DOMAIN_DELIVERERS`). So "Socialtjänsten
    (kommunal)" is socialtjänst, "Skolverket per skola ...; Kolada N15428 för kommunen"
    skola, "Polisen/Brå per DeSO" polis, and an own indicator with the source "egen
    kartläggning" in the domain skyddsfaktorer fritid.
    """
    text = indicator.source.lower()
    for part in (text.split(";", 1)[0], text):
        for who, pattern in DELIVERER_RULES:
            if pattern.search(part):
                return who
    return DOMAIN_DELIVERERS.get(indicator.domain, "")


def column_text(column: str, indicator: Indicator) -> str:
    """What ``column`` counts (:data:`COLUMN_TEXTS`), else a text from ``indicator``: its
    numerator, denominator or ready value."""
    if column in COLUMN_TEXTS:
        return COLUMN_TEXTS[column]
    if column == indicator.numerator:
        return f"Antal i området som räknas i '{indicator.name}'"
    if column == indicator.denominator:
        return f"Antal i området som '{indicator.name}' räknas på (nämnaren)"
    return f"Färdigt värde per område ({indicator.unit}): {indicator.name}"


def formula_text(indicator: Indicator) -> str:
    """How prevmap computes the value: 'täljare / nämnare × 100' for a rate."""
    if indicator.numerator is None or indicator.denominator is None or indicator.per is None:
        return f"värdet i kolumnen {indicator.id} som det är"
    return f"{indicator.numerator} / {indicator.denominator} × {format_integer(indicator.per)}"


def template_columns(catalogue: Catalogue) -> list[str]:
    """Every column the catalogue's indicators are computed from, once each, in catalogue
    order (numerator before denominator)."""
    return list(dict.fromkeys(c for ind in catalogue.values() for c in ind.columns))


def instructions_table(catalogue: Catalogue) -> pd.DataFrame:
    """One row per indicator (:data:`INSTRUCTION_COLUMNS`), in catalogue order."""
    rows = []
    for ind in catalogue.values():
        rate = ind.numerator is not None and ind.denominator is not None
        numerator = ind.numerator if rate else ind.id
        rows.append({
            INDICATOR: ind.name, ID: ind.id, DOMAIN: DOMAINS.get(ind.domain, ind.domain),
            DIRECTION: DIRECTIONS[ind.direction], UNIT: ind.unit,
            NUMERATOR: numerator, NUMERATOR_TEXT: column_text(str(numerator), ind),
            DENOMINATOR: ind.denominator if rate else "",
            DENOMINATOR_TEXT: column_text(str(ind.denominator), ind) if rate else "",
            FORMULA: formula_text(ind), SOURCE: ind.source, DELIVERER: deliverer(ind),
            LEVEL: LEVELS.get(ind.level, ind.level)})
    return pd.DataFrame(rows, columns=list(INSTRUCTION_COLUMNS), dtype=object)


def _area_rows(areas: pd.DataFrame | None) -> tuple[list[str], list[str]]:
    """The areas' codes and names as text, in the given order; a missing code column or a
    code twice is an AreaFileError."""
    if areas is None:
        return [], []
    problems = Problems(AreaFileError, "områdena till mallen")
    if AREA_ID not in areas.columns:
        problems.add("kolumnen med områdeskod saknas.", column=AREA_ID,
                     values=[str(c) for c in areas.columns if c != "geometry"],
                     fix=f"ge områdena en kolumn '{AREA_ID}'")
        problems.raise_if_any()
    ids = [str(v).strip() for v in areas[AREA_ID]]
    dup = sorted({v for v in ids if ids.count(v) > 1})
    if dup:
        problems.add("områdeskoder förekommer mer än en gång.", column=AREA_ID, values=dup,
                     fix="en rad per område")
        problems.raise_if_any()
    names = ([("" if pd.isna(v) else str(v)) for v in areas[AREA_NAME]]
             if AREA_NAME in areas.columns else [""] * len(ids))
    return ids, names


def template_tables(catalogue: Catalogue, areas: pd.DataFrame | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(instructions, data): the indicators described one per row
    (:func:`instructions_table`), and the sheet to fill in: ``area_id``, ``area_name`` and
    :func:`template_columns`, with one empty row per area of ``areas`` (columns
    ``area_id`` and ``area_name``, e.g. ``Areas.frame``), or no rows without areas."""
    ids, names = _area_rows(areas)
    columns = [c for c in template_columns(catalogue) if c not in (AREA_ID, AREA_NAME)]
    data = pd.DataFrame({AREA_ID: ids, AREA_NAME: names, **{c: [None] * len(ids)
                                                               for c in columns}},
                        columns=[AREA_ID, AREA_NAME, *columns], dtype=object)
    return instructions_table(catalogue), data


def instruction_lines(kommun_name: str | None = None, *, with_areas: bool = False) -> list[str]:
    """The lines above the indicator table on the sheet Instruktioner: how to fill in."""
    title = "Mall för kommunens egna data per område till prevmap"
    return [
        f"{title} – {kommun_name}" if kommun_name else title,
        f"1. Fyll i bladet '{SHEET_DATA}': en rad per område, med områdets kod i kolumnen "
        f"'{AREA_ID}' (t.ex. RegSO-koden 0126R001) och namnet i '{AREA_NAME}'."
        + (" Områdena är redan ifyllda." if with_areas else ""),
        "2. Skriv antal, inte andelar eller procent: täljaren (t.ex. elever med hög "
        "frånvaro) och nämnaren (t.ex. alla elever) i var sin kolumn. prevmap räknar ut "
        "andelen, kan slå ihop områden och skyddar små tal.",
        "3. Lämna cellen tom eller skriv '..' när värdet saknas eller måste döljas (små tal). "
        "Skriv aldrig 0 för ett värde som saknas.",
        f"4. Områdeskoderna är text: kolumnen '{AREA_ID}' är formaterad som text, så att den "
        "inledande nollan står kvar (0126R001, inte 126R001). Klistra in koder som värden.",
        "5. Ändra inte rubrikraden och lägg inga rader ovanför den. Kan ni inte leverera en "
        "indikator alls, ta bort dess täljarkolumn; prevmap använder de indikatorer som "
        "finns i filen.",
        "6. Alla värden ska gälla samma år och samma områdesindelning.",
        "7. Notera uttagsdatum och källa. prevmap export läser dem ur en metadatafil bredvid "
        f"filen, med samma namn och '{META_SUFFIX}' (t.ex. data.xlsx{META_SUFFIX}), med raderna "
        "title = \"…\", source = \"…\" (t.ex. kommunens skolsystem) och "
        "date = \"ÅÅÅÅ-MM-DD\" (uttagsdatum).",
        f"8. Spara som Excel (.xlsx, med bladet '{SHEET_DATA}' först) eller som CSV med "
        "semikolon. Ladda upp filen i appen eller ge den till prevmap export.",
        "Tabellen nedan beskriver varje indikator: vad täljare och nämnare räknar, riktning, "
        "källa och vem som levererar.",
    ]


def template_xlsx_bytes(catalogue: Catalogue, areas: pd.DataFrame | None = None, *,
                        kommun_name: str | None = None, created: dt.date | None = None
                        ) -> bytes:
    """The template as an .xlsx workbook: the sheet Data (first, read back by prevmap) and
    the sheet Instruktioner (the lines of :func:`instruction_lines` above the indicator
    table), opening on Instruktioner. ``created`` (default today) dates the workbook and
    its zip entries, so the same inputs and date give the same bytes."""
    created = created or dt.date.today()
    instructions, data = template_tables(catalogue, areas)

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_DATA
    _write_frame(ws, data, {AREA_ID: TEXT_FORMAT}, freeze="C2")
    ws.column_dimensions["A"].number_format = TEXT_FORMAT    # also the rows the user adds
    ws.sheet_view.tabSelected = False

    sheet = wb.create_sheet(SHEET_INSTRUCTIONS)
    _write_frame(sheet, instructions, {}, freeze="A2")
    lines = instruction_lines(kommun_name, with_areas=bool(len(data)))
    sheet.insert_rows(1, amount=len(lines) + 1)      # the lines, then an empty row
    for i, line in enumerate(lines, 1):
        _put(sheet, i, 1, line)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.freeze_panes = None
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=len(lines) + 3, max_col=len(instructions.columns)):
        for cell in row:
            cell.alignment = wrap
    sheet.sheet_view.tabSelected = True
    wb.active = sheet

    return dated_workbook_bytes(
        wb, created, subject="Kommunens egna data per område till prevmap (fylls i)",
        title="Mall för indikatordata" + (f" – {kommun_name}" if kommun_name else ""))


def template_csv_bytes(catalogue: Catalogue, areas: pd.DataFrame | None = None) -> bytes:
    """The sheet Data as CSV for Swedish Excel: semicolon, UTF-8 with BOM; nothing else."""
    _, data = template_tables(catalogue, areas)
    return _no_formulas(data).to_csv(**CSV_OPTIONS).encode("utf-8-sig")


def instructions_csv(catalogue: Catalogue) -> str:
    """The indicator table of the sheet Instruktioner as CSV text (semicolon), guarded
    against formulas like every CSV prevmap writes."""
    return _no_formulas(instructions_table(catalogue)).to_csv(**CSV_OPTIONS)


def write_template_xlsx(path: str | Path, catalogue: Catalogue,
                        areas: pd.DataFrame | None = None, *, kommun_name: str | None = None,
                        created: dt.date | None = None) -> Path:
    """Write :func:`template_xlsx_bytes` to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(template_xlsx_bytes(catalogue, areas, kommun_name=kommun_name,
                                         created=created))
    return path


def write_template_csv(path: str | Path, catalogue: Catalogue,
                       areas: pd.DataFrame | None = None) -> Path:
    """Write :func:`template_csv_bytes` to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(template_csv_bytes(catalogue, areas))
    return path


# -- the registry the app and the command line loop over ------------------------------------

TemplateWriter = Callable[[Catalogue, pd.DataFrame | None, str | None, dt.date | None], bytes]


@dataclass(frozen=True)
class TemplateFormat:
    """One file of the template: its key (``template_bytes``'s kind), the app's button
    label, the default file name, the MIME type and its writer (catalogue, areas, kommun
    name, date -> bytes)."""

    key: str
    label: str
    file_name: str
    mime: str
    write: TemplateWriter


TEMPLATE_XLSX = TemplateFormat(
    "xlsx", "Mall för egna data (Excel)", "prevmap_mall.xlsx", XLSX_MIME,
    lambda cat, areas, kommun, created: template_xlsx_bytes(
        cat, areas, kommun_name=kommun, created=created))
TEMPLATE_CSV = TemplateFormat(
    "csv", "Mall för egna data (CSV)", "prevmap_mall.csv", "text/csv",
    lambda cat, areas, kommun, created: template_csv_bytes(cat, areas))
TEMPLATE_INSTRUCTIONS = TemplateFormat(
    "instruktioner", "Indikatorerna i mallen (CSV)", "prevmap_mall_indikatorer.csv", "text/csv",
    lambda cat, areas, kommun, created: instructions_csv(cat).encode("utf-8-sig"))
#: The template's files, in the order of the app's buttons.
TEMPLATE_FORMATS: tuple[TemplateFormat, ...] = (TEMPLATE_XLSX, TEMPLATE_CSV,
                                                TEMPLATE_INSTRUCTIONS)


def template_format(kind: str) -> TemplateFormat:
    """The template file named ``kind``; an unknown kind lists the known ones."""
    for fmt in TEMPLATE_FORMATS:
        if fmt.key == kind:
            return fmt
    known = ", ".join(repr(f.key) for f in TEMPLATE_FORMATS)
    raise ValueError(f"okänd sorts mall: kind={kind!r}; finns: {known}")


def template_bytes(kind: str, catalogue: Catalogue, areas: pd.DataFrame | None = None, *,
                   kommun_name: str | None = None, created: dt.date | None = None) -> bytes:
    """The template file ``kind`` ("xlsx", "csv" or "instruktioner") as bytes, for the
    app's download button and ``prevmap``'s command; see :data:`TEMPLATE_FORMATS`."""
    return template_format(kind).write(catalogue, areas, kommun_name, created)
