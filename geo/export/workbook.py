"""The analysis as an Excel workbook and as a GeoPackage; an åtgärdsplan as a workbook.

:func:`excel_bytes` writes the ranking (exactly :func:`geo.export.tables.ranking_table`), the
domain scores, the indicator values after disclosure control, the join report and the
settings with the sources, each on a formatted sheet with a Swedish name; given a plan,
also the plan's sheets. The same analysis and date give the same bytes.

:func:`plan_workbook_bytes` writes an åtgärdsplan and its follow-up
(:mod:`plans.followup`): the areas with their status counts, the goals, the actions
(insatser), the follow-up per goal with its yearly values, the audit trail and a sheet
about the plan and the method (:data:`PLAN_SHEETS`).

:func:`write_geopackage` writes the areas (EPSG:3006) with every column of the ranking
table, and the sources, the settings and the join report as plain tables, for QGIS.

Every text comes from files the user chose (area names, source titles), so nothing is
ever written as a formula: a text that starts with ``=`` stays text (see :func:`_put`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import numbers
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geo.analysis import MEDIAN_RANK, RANK_HIGH, RANK_LOW, plan_followup, published_values
from geo.export.recommend_views import (
    budget_caption,
    budget_sheet,
    recommendation_table,
    unit_summary,
)
from geo.export.tables import ranking_table
from geo.maps.mapview import DIGEST_LABEL
from indicators.catalogue import Catalogue
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from plans.followup import STATUSES, TOTAL, WHOLE_PLAN, FollowUp
from plans.model import FIELD_LABELS, PlanContents

# Imported as a module and used only at call time, so that geo.analysis may import this
# module too.

if TYPE_CHECKING:
    from geo.analysis import Analysis

# Sheet names, in workbook order.
SHEET_RANKING = "Rangordning"
SHEET_DOMAINS = "Domänpoäng"
SHEET_INDICATORS = "Indikatorer"
SHEET_JOIN = "Kopplingsrapport"
SHEET_SETTINGS = "Inställningar"
SHEETS = (SHEET_RANKING, SHEET_DOMAINS, SHEET_INDICATORS, SHEET_JOIN, SHEET_SETTINGS)
#: The recommended approach and the budget (issue 19), after the settings when the
#: analysis has a recommendation (its Monte Carlo).
SHEET_RECOMMENDATION = "Rekommendation"
SHEET_BUDGET = "Budget"
RECOMMENDATION_SHEETS = (SHEET_RECOMMENDATION, SHEET_BUDGET)
# The plan's sheets, in workbook order (after the analysis' sheets in excel_bytes).
SHEET_PLAN_AREAS = "Plan – områden"
SHEET_PLAN_GOALS = "Plan – mål"
SHEET_PLAN_ACTIONS = "Plan – insatser"
SHEET_FOLLOWUP = "Uppföljning"
SHEET_HISTORY = "Historik"
SHEET_PLAN_ABOUT = "Om planen"
PLAN_SHEETS = (SHEET_PLAN_AREAS, SHEET_PLAN_GOALS, SHEET_PLAN_ACTIONS, SHEET_FOLLOWUP,
               SHEET_HISTORY, SHEET_PLAN_ABOUT)

# Headers of the sheets other than the ranking (which has ranking_table's headers).
CODE = "Områdeskod"
NAME = "Område"
STATUS = "Status"
SECTION = "Avsnitt"
KEY = "Nyckel"
VALUE = "Värde"
MATCHED = "Kopplad"
AREA_WITHOUT_DATA = "Område utan indikatordata"
DATA_WITHOUT_AREA = "Indikatorrad utan område"
NOT_IN_MAP = "(finns inte i kartan)"
WARNING_SECTION = "VARNING"
SYNTHETIC_WARNING = ("Minst en källa är SYNTETISKA DEMODATA. Resultaten visar hur verktyget "
                     "fungerar och säger ingenting om de verkliga områdena.")

# GeoPackage layer and tables.
GPKG_LAYER = "prevmap_resultat"
GPKG_SOURCES = "kallor"
GPKG_SETTINGS = "installningar"
GPKG_JOIN = "kopplingsrapport"
GPKG_CRS = "EPSG:3006"

# Number formats (Excel codes; Swedish Excel shows them with a decimal comma).
SCORE_FORMAT = "0.00"
PERCENT_FORMAT = "0.0"
INTEGER_FORMAT = "0"

# A text starting with one of these is a formula (or becomes one when edited) in a
# spreadsheet; it is written as text with Excel's quote prefix (the apostrophe).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_WIDTH = 60
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_WARNING_FONT = Font(bold=True, color="C00000")


# -- Excel ------------------------------------------------------------------------------

def excel_bytes(analysis: Analysis, *, created: dt.date | None = None,
                plan: PlanContents | None = None, followup: FollowUp | None = None) -> bytes:
    """The analysis as an .xlsx workbook (see the module docstring for the sheets).

    ``created`` (default today) is the workbook's created and modified date and the date of
    every entry in the zip archive, so the same analysis and date give identical bytes.
    With ``plan``, the plan's sheets follow (:data:`PLAN_SHEETS`), with ``followup`` or else
    the follow-up on the analysis' data (:func:`geo.analysis.plan_followup`).
    """
    created = created or dt.date.today()
    stamp = dt.datetime(created.year, created.month, created.day)
    table = ranking_table(analysis)
    ids = table["Områdeskod"].astype(str).tolist()
    names = table["Område"].astype(str).tolist()

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_RANKING
    _write_frame(ws, table, _ranking_formats(table), freeze="D2", autofilter=True)
    _write_frame(wb.create_sheet(SHEET_DOMAINS), domain_sheet(analysis, ids, names),
                 {}, default_float=SCORE_FORMAT, freeze="C2")
    indicators, formats = indicator_sheet(analysis, ids, names)
    _write_frame(wb.create_sheet(SHEET_INDICATORS), indicators, formats, freeze="C2")
    _write_frame(wb.create_sheet(SHEET_JOIN), join_sheet(analysis), {}, freeze="A2",
                 autofilter=True)
    settings = wb.create_sheet(SHEET_SETTINGS)
    rows = settings_rows(analysis, created)
    _write_frame(settings, pd.DataFrame(rows, columns=[SECTION, KEY, VALUE], dtype=object),
                 {}, freeze="A2")
    for row in settings.iter_rows(min_row=2, max_col=3):
        if row[0].value == WARNING_SECTION:
            for cell in row:
                cell.font = _WARNING_FONT
    if analysis.assessment is not None:
        add_recommendation_sheets(wb, analysis)
    if plan is not None:
        add_plan_sheets(wb, plan, followup or plan_followup(analysis, plan),
                        analysis.inputs.catalogue, created, analysis.digest)

    props = wb.properties
    props.title = analysis.title
    props.subject = "Rangordning av områden: behov av förebyggande arbete för barn och unga"
    props.creator = "prevmap"
    props.lastModifiedBy = "prevmap"
    props.created = stamp
    props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)         # openpyxl stamps 'modified' with the clock: set again below
    return _normalise_xlsx(buffer.getvalue(), wb, stamp)


def add_recommendation_sheets(wb: Workbook, analysis: Analysis) -> None:
    """The sheets :data:`RECOMMENDATION_SHEETS`: per area the approach (and below it the
    summary per förvaltning), and the budget per rule in whole kronor with its rule."""
    organisation = analysis.organisation
    ws = wb.create_sheet(SHEET_RECOMMENDATION)
    table = recommendation_table(analysis, organisation)
    _write_frame(ws, table, {}, freeze="C2", autofilter=True)
    units = unit_summary(analysis, organisation)
    row = len(table) + 3
    _put(ws, row, 1, "Per förvaltning: områden där den leder ett fokus")
    ws.cell(row=row, column=1).font = _BOLD
    for j, name in enumerate(units.columns, 1):
        _put(ws, row + 1, j, name)
        ws.cell(row=row + 1, column=j).font = _BOLD
    for i, values in enumerate(units.itertuples(index=False), row + 2):
        for j, value in enumerate(values, 1):
            _put(ws, i, j, value)
    _put(ws, row + len(units) + 3, 1, analysis.interventions.notice)
    budget = budget_sheet(analysis)
    ws = wb.create_sheet(SHEET_BUDGET)
    _write_frame(ws, budget, {c: INTEGER_FORMAT for c in budget.columns if c.endswith("(kr)")},
                 freeze="C2")
    _put(ws, len(budget) + 3, 1, budget_caption(analysis))


def domain_sheet(analysis: Analysis, ids: Sequence[str], names: Sequence[str]) -> pd.DataFrame:
    """Area code, name and each domain score, in the ranking's order."""
    scores = analysis.result.domain_scores.reindex(list(ids))
    out = pd.DataFrame({CODE: list(ids), NAME: list(names)})
    for dom in scores.columns:
        out[DOMAINS.get(dom, dom)] = scores[dom].to_numpy(dtype=float)
    return out


def indicator_header(analysis: Analysis, ind_id: str) -> str:
    ind = analysis.inputs.catalogue[ind_id]
    return f"{ind.name} ({ind.unit})"


def indicator_sheet(analysis: Analysis, ids: Sequence[str], names: Sequence[str]
                    ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Area code, name and each selected indicator's value after disclosure control (a
    hidden value is missing, never 0), with its number format per header."""
    values = published_values(analysis).reindex(list(ids)).round(2)
    out = pd.DataFrame({CODE: list(ids), NAME: list(names)})
    formats = {}
    for ind_id in values.columns:
        header = indicator_header(analysis, ind_id)
        out[header] = values[ind_id].to_numpy(dtype=float)
        unit = analysis.inputs.catalogue[ind_id].unit.strip()
        formats[header] = PERCENT_FORMAT if unit in {"%", "per 1 000", "per 1000"} \
            else SCORE_FORMAT
    return out, formats


def join_sheet(analysis: Analysis) -> pd.DataFrame:
    """One row per area id: matched, an area without data, or a data row without area."""
    frame = analysis.inputs.areas.frame
    names = dict(zip(frame[AREA_ID].astype(str), frame[AREA_NAME].astype(str), strict=True))
    report = analysis.join_report
    rows = [(status, str(area), names.get(str(area), NOT_IN_MAP))
            for status, group in ((MATCHED, report.matched),
                                  (AREA_WITHOUT_DATA, report.areas_without_data),
                                  (DATA_WITHOUT_AREA, report.data_without_area))
            for area in group]
    return pd.DataFrame(rows, columns=[STATUS, CODE, NAME], dtype=object)


def settings_rows(analysis: Analysis, created: dt.date) -> list[tuple[str, str, Any]]:
    """(section, key, value) rows: a synthetic-data warning first (if any source is
    synthetic), the analysis with the digest of its inputs, every setting under its TOML
    section, the sources and the notes."""
    rows: list[tuple[str, str, Any]] = []
    synthetic = [role for role, source in analysis.source_roles() if source.synthetic]
    if synthetic:
        rows.append((WARNING_SECTION, "Syntetiska data",
                     f"{SYNTHETIC_WARNING} Syntetiska: {', '.join(synthetic)}."))
    rows += [("Analys", "Titel", analysis.title), ("Analys", "Skapad", created.isoformat()),
             ("Analys", "Indikatortabell", analysis.inputs.table_name),
             ("Analys", DIGEST_LABEL, analysis.digest)]
    if analysis.inputs.year is not None:
        rows.append(("Analys", "År", analysis.inputs.year))
    for key, value in analysis.settings.to_dict().items():
        if isinstance(value, dict):
            rows += [(f"[{key}]", str(k), _setting(v)) for k, v in value.items()]
        else:
            rows.append(("Inställningar", key, _setting(value)))
    for role, source in analysis.source_roles():
        section = f"Källa: {role}"
        rows += [(section, "Titel", source.title), (section, "Källa", source.source),
                 (section, "Datum", source.date),
                 (section, "Licens", source.licence or "(ingen angiven)"),
                 (section, "Syntetiska data", "ja" if source.synthetic else "nej")]
        if source.note:
            rows.append((section, "Anmärkning", source.note))
    rows += [("Anmärkningar", str(i), note) for i, note in enumerate(analysis.notes(), 1)]
    return rows


def _setting(value: Any) -> Any:
    """A setting as in the TOML file: booleans as true/false, numbers as numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _ranking_formats(table: pd.DataFrame) -> dict[str, str]:
    fixed = {"Rang": INTEGER_FORMAT, "Sammanvägt index": SCORE_FORMAT,
             MEDIAN_RANK: "0.0", RANK_LOW: INTEGER_FORMAT,
             RANK_HIGH: INTEGER_FORMAT, "Antal flaggor": INTEGER_FORMAT,
             "Saknade värden": INTEGER_FORMAT}
    formats = {name: fmt for name, fmt in fixed.items() if name in table}
    formats.update({name: SCORE_FORMAT for name in DOMAINS.values() if name in table})
    formats.update({name: PERCENT_FORMAT for name in table.columns if "(%)" in name})
    return formats


def _plain(value: Any) -> Any:
    """A cell value: None for anything missing, Python numbers, text without characters
    that XML cannot hold."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _put(ws: Worksheet, row: int, column: int, value: Any) -> None:
    """Write one cell; a text is always text, never a formula (openpyxl would make a text
    starting with '=' a formula), and a text a spreadsheet could read as one gets the
    quote prefix, so that it stays text even when the user edits it."""
    cell = ws.cell(row=row, column=column)
    value = _plain(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True


def _write_frame(ws: Worksheet, frame: pd.DataFrame, formats: dict[str, str], *,
                 default_float: str | None = None, freeze: str = "A2",
                 autofilter: bool = False) -> None:
    """The frame with a bold, frozen header, number formats and fitted column widths."""
    for j, name in enumerate(frame.columns, 1):
        _put(ws, 1, j, name)
        header = ws.cell(row=1, column=j)
        header.font = _BOLD
        header.fill = _HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="top")
        column = frame[name]
        fmt = formats.get(name)
        if fmt is None and default_float and pd.api.types.is_float_dtype(column.dtype):
            fmt = default_float
        for i, value in enumerate(column.tolist(), 2):
            _put(ws, i, j, value)
            if fmt is not None:
                ws.cell(row=i, column=j).number_format = fmt
        width = max([min(len(str(name)), 30)]
                    + [len(_shown(v, fmt)) for v in column.tolist()])
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = freeze
    if autofilter and len(frame.columns):
        ws.auto_filter.ref = (f"A1:{get_column_letter(len(frame.columns))}"
                              f"{len(frame) + 1}")


def _shown(value: Any, fmt: str | None) -> str:
    """Roughly how Excel shows a value, for the column width."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float) and fmt is not None and fmt.startswith("0"):
        decimals = len(fmt.split(".")[1]) if "." in fmt else 0
        return f"{value:.{decimals}f}"
    return str(value)


def _normalise_xlsx(data: bytes, wb: Workbook, stamp: dt.datetime) -> bytes:
    """The archive again, with every entry dated ``stamp`` and the document properties
    modified at ``stamp``, so that the bytes do not depend on the clock."""
    from openpyxl.xml.functions import tostring

    wb.properties.modified = stamp
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            entry.create_system = 0
            content = core if info.filename == "docProps/core.xml" else src.read(info)
            dst.writestr(entry, content)
    return out.getvalue()


# -- the åtgärdsplan -----------------------------------------------------------------------

VALUE_FORMAT = "0.0"
PLAN_FORMATS = {name: VALUE_FORMAT for name in (
    "Utgångsvärde", "Målvärde", "Senaste värde", "Enligt linjen mot målet",
    "Förändring sedan utgångsåret", "Konfidensintervall, nedre", "Konfidensintervall, övre")}
PLAN_FORMATS.update({name: INTEGER_FORMAT for name in ("Utgångsår", "Målår", "Senaste år",
                                                       FIELD_LABELS["cost_sek"])})


def _names(plan: PlanContents) -> dict[str, str]:
    return {a.area_id: a.area_name for a in plan.areas}


def plan_area_sheet(plan: PlanContents, followup: FollowUp) -> pd.DataFrame:
    """One row per area of the plan (and of its goals and actions): code, name, reason, the
    number of goals per status and of actions; a last row for the whole plan."""
    names = _names(plan)
    ids = [a.area_id for a in plan.areas]
    ids += [i for i in dict.fromkeys([*(g.area_id for g in plan.goals),
                                      *(a.area_id for a in plan.actions)]) if i not in ids]
    reasons = {a.area_id: a.reason for a in plan.areas}
    summary = followup.summary().reindex([*ids, WHOLE_PLAN], fill_value=0)
    rows = []
    for area, counts in summary.iterrows():
        whole = area == WHOLE_PLAN
        rows.append({CODE: "" if whole else area,
                     NAME: WHOLE_PLAN if whole else names.get(area, ""),
                     FIELD_LABELS["reason"]: "" if whole else reasons.get(area, ""),
                     **{status: int(counts[status]) for status in STATUSES},
                     TOTAL: int(counts[TOTAL]),
                     "Antal insatser": len(plan.actions) if whole else len(plan.actions_in(area))})
    return pd.DataFrame(rows, columns=[CODE, NAME, FIELD_LABELS["reason"], *STATUSES, TOTAL,
                                       "Antal insatser"])


def plan_goal_sheet(plan: PlanContents, catalogue: Catalogue) -> pd.DataFrame:
    """One row per goal as the plan holds it (the indicator by name, its id beside)."""
    names = _names(plan)
    rows = [{CODE: g.area_id, NAME: names.get(g.area_id, ""),
             FIELD_LABELS["indicator_id"]: catalogue[g.indicator_id].name
             if g.indicator_id in catalogue else g.indicator_id,
             "Indikator-id": g.indicator_id, FIELD_LABELS["unit"]: g.unit,
             FIELD_LABELS["baseline_year"]: g.baseline_year,
             FIELD_LABELS["baseline_value"]: g.baseline_value,
             FIELD_LABELS["target_value"]: g.target_value,
             FIELD_LABELS["target_year"]: g.target_year, FIELD_LABELS["note"]: g.note}
            for g in plan.goals]
    return pd.DataFrame(rows, columns=[CODE, NAME, FIELD_LABELS["indicator_id"], "Indikator-id",
                                       *(FIELD_LABELS[k] for k in (
                                           "unit", "baseline_year", "baseline_value",
                                           "target_value", "target_year", "note"))])


def plan_action_sheet(plan: PlanContents) -> pd.DataFrame:
    """One row per action (insats); dates as ÅÅÅÅ-MM-DD, an open end empty."""
    names = _names(plan)
    keys = ("title", "actor", "start", "end", "cost_sek", "note")
    rows = [{CODE: a.area_id, NAME: names.get(a.area_id, ""),
             **{FIELD_LABELS[k]: (v.isoformat() if isinstance(v, dt.date) else v)
                for k in keys for v in [getattr(a, k)]}}
            for a in plan.actions]
    return pd.DataFrame(rows, columns=[CODE, NAME, *(FIELD_LABELS[k] for k in keys)])


def history_sheet(plan: PlanContents) -> pd.DataFrame:
    """The audit trail, oldest first: when, who, what, which operation, before and after
    (as JSON text)."""
    def text(value: dict | None) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)

    rows = [{"Tid": e.at.isoformat(sep=" ", timespec="seconds"), "Vem": e.who, "Vad": e.entity,
             "Id": e.entity_id, "Ändring": e.operation, "Före": text(e.before),
             "Efter": text(e.after)}
            for e in sorted(plan.history, key=lambda e: (e.at, e.id or 0))]
    return pd.DataFrame(rows, columns=["Tid", "Vem", "Vad", "Id", "Ändring", "Före", "Efter"])


def plan_about_rows(plan: PlanContents, followup: FollowUp, created: dt.date,
                    digest: str | None = None) -> list[tuple[str, str, Any]]:
    """(section, key, value) rows: the plan, the data years (with ``digest``, the inputs'
    the follow-up was measured on) and the follow-up's method."""
    p = plan.plan
    rows: list[tuple[str, str, Any]] = [
        ("Plan", "Namn", p.name), ("Plan", "Kommun", p.kommun or "(ingen angiven)"),
        ("Plan", "Beskrivning", p.description), ("Plan", "Version", p.version),
        ("Plan", "Exporterad", created.isoformat()),
        ("Uppföljning", "År med data", ", ".join(str(y) for y in followup.years) or "inga")]
    if digest is not None:
        rows.append(("Uppföljning", DIGEST_LABEL, digest))
    rows += [("Metod", str(i), text) for i, text in enumerate(followup.method(), 1)]
    return rows


def add_plan_sheets(wb: Workbook, plan: PlanContents, followup: FollowUp,
                    catalogue: Catalogue, created: dt.date | None = None,
                    digest: str | None = None) -> None:
    """Add the plan's sheets (:data:`PLAN_SHEETS`) at the end of ``wb``."""
    created = created or dt.date.today()
    _write_frame(wb.create_sheet(SHEET_PLAN_AREAS), plan_area_sheet(plan, followup), {},
                 freeze="C2")
    _write_frame(wb.create_sheet(SHEET_PLAN_GOALS), plan_goal_sheet(plan, catalogue),
                 PLAN_FORMATS, freeze="C2", autofilter=True)
    _write_frame(wb.create_sheet(SHEET_PLAN_ACTIONS), plan_action_sheet(plan), PLAN_FORMATS,
                 freeze="C2", autofilter=True)
    table = followup.table()
    formats = {**PLAN_FORMATS, **{c: VALUE_FORMAT for c in table.columns
                                  if c.startswith("Värde ")}}
    _write_frame(wb.create_sheet(SHEET_FOLLOWUP), table, formats, freeze="D2", autofilter=True)
    _write_frame(wb.create_sheet(SHEET_HISTORY), history_sheet(plan), {}, freeze="A2",
                 autofilter=True)
    _write_frame(wb.create_sheet(SHEET_PLAN_ABOUT),
                 pd.DataFrame(plan_about_rows(plan, followup, created, digest),
                              columns=[SECTION, KEY, VALUE], dtype=object), {}, freeze="A2")


def plan_workbook_bytes(contents: PlanContents, followup: FollowUp, catalogue: Catalogue, *,
                        created: dt.date | None = None, digest: str | None = None) -> bytes:
    """The plan and its follow-up as an .xlsx workbook (:data:`PLAN_SHEETS`); the same plan,
    follow-up and date give the same bytes. Text from the plan is never a formula.
    ``digest``: of the analysis' inputs the follow-up was measured on (in 'Om planen')."""
    created = created or dt.date.today()
    wb = Workbook()
    wb.remove(wb.active)
    add_plan_sheets(wb, contents, followup, catalogue, created, digest)
    return dated_workbook_bytes(
        wb, created, title=_plain(f"Åtgärdsplan – {contents.plan.name}"),
        subject="Åtgärdsplan med mål, insatser och uppföljning (prevmap)")


def dated_workbook_bytes(wb: Workbook, created: dt.date, *, title: str, subject: str) -> bytes:
    """``wb`` as .xlsx bytes with its title and subject, made by prevmap and dated
    ``created`` (the properties and every zip entry), so that the bytes do not depend on
    the clock."""
    stamp = dt.datetime(created.year, created.month, created.day)
    props = wb.properties
    props.title = title
    props.subject = subject
    props.creator = props.lastModifiedBy = "prevmap"
    props.created = props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _normalise_xlsx(buffer.getvalue(), wb, stamp)


# -- GeoPackage -------------------------------------------------------------------------

def geopackage_frame(analysis: Analysis) -> gpd.GeoDataFrame:
    """The areas (EPSG:3006) with area_id, area_name, every column of the ranking table
    (Swedish headers) and the geometry; an area without data keeps empty result fields."""
    areas = analysis.inputs.areas.frame[[AREA_ID, AREA_NAME, "geometry"]]
    if areas.crs is None or not areas.crs.equals(GPKG_CRS):
        areas = areas.to_crs(GPKG_CRS)
    table = ranking_table(analysis)
    keys = areas[AREA_ID].astype(str)
    rows = table.assign(_key=table["Områdeskod"].astype(str)).set_index("_key")
    out = areas[[AREA_ID, AREA_NAME]].reset_index(drop=True)
    for name in table.columns:
        out[name] = rows[name].reindex(keys.to_numpy()).to_numpy()
        if isinstance(table[name].dtype, pd.api.extensions.ExtensionDtype):
            out[name] = out[name].astype(table[name].dtype)
    return gpd.GeoDataFrame(out, geometry=areas.geometry.to_numpy(), crs=areas.crs)


def sources_frame(analysis: Analysis) -> pd.DataFrame:
    rows = [(role, s.title, s.source, s.date, s.licence, "ja" if s.synthetic else "nej",
             s.note) for role, s in analysis.source_roles()]
    return pd.DataFrame(rows, columns=["Roll", "Titel", "Källa", "Datum", "Licens",
                                       "Syntetiska data", "Anmärkning"], dtype=object)


def write_geopackage(analysis: Analysis, path: str | Path, *,
                     created: dt.date | None = None) -> Path:
    """Write layer ``prevmap_resultat`` (the areas with every result column, EPSG:3006) and
    the tables ``kallor`` (sources), ``installningar`` (settings, notes) and
    ``kopplingsrapport`` (join report) to a new GeoPackage; an existing file is replaced.

    GDAL keeps the Swedish headers (å, ä, ö, spaces, %) as field names, so the fields are
    named as the ranking table's columns. GDAL dates each table (``last_change``) by
    ``created`` (default today), not by the clock: the same analysis and date give the
    same bytes."""
    path = Path(path)
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    created = created or dt.date.today()
    # A GDAL setting is the whole process's: one writer at a time sets and restores it.
    with _GDAL_DATE:
        previous = pyogrio.get_gdal_config_option(GDAL_DATE_OPTION)
        pyogrio.set_gdal_config_options({GDAL_DATE_OPTION: f"{created.isoformat()}T00:00:00.000Z"})
        try:
            _write_geopackage(analysis, path, created)
        finally:
            pyogrio.set_gdal_config_options({GDAL_DATE_OPTION: previous})
    return path


GDAL_DATE_OPTION = "OGR_CURRENT_DATE"
_GDAL_DATE = threading.Lock()


def _write_geopackage(analysis: Analysis, path: Path, created: dt.date) -> None:
    pyogrio.write_dataframe(
        geopackage_frame(analysis), path, layer=GPKG_LAYER, driver="GPKG",
        promote_to_multi=True,
        layer_options={"IDENTIFIER": analysis.title[:250],
                       "DESCRIPTION": "Rangordning per område (prevmap); källor i tabellen "
                                      f"'{GPKG_SOURCES}', inställningar i '{GPKG_SETTINGS}'."})
    settings = pd.DataFrame(
        [(section, key, _text(value)) for section, key, value
         in settings_rows(analysis, created)],
        columns=[SECTION, KEY, VALUE], dtype=object)
    for name, frame in ((GPKG_SOURCES, sources_frame(analysis)), (GPKG_SETTINGS, settings),
                        (GPKG_JOIN, join_sheet(analysis))):
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")


def geopackage_bytes(analysis: Analysis, *, created: dt.date | None = None) -> bytes:
    """:func:`write_geopackage` as bytes (GDAL writes files, not streams)."""
    with tempfile.TemporaryDirectory(prefix="prevmap-gpkg-") as tmp:
        return write_geopackage(analysis, Path(tmp) / "resultat.gpkg",
                                created=created).read_bytes()


def _text(value: Any) -> str:
    return "" if value is None else str(value)
