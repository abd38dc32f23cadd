"""Every file an analysis can be exported as, in one registry.

Each :class:`ExportFormat` names a file once: its Swedish label (the app's button), its
default file name, its MIME type, its writer (analysis -> bytes), whether it needs
chromium, and its option of ``prevmap export``. The app's download buttons
(:data:`FORMATS`, the plan page's :data:`PLAN_FORMATS`) and the command line loop over
these tuples, so a format added here appears in both, written by the same function: the
same analysis and date give the same bytes in the app and from the command line.

Every file records :attr:`geo.analysis.Analysis.digest` (what it was made from) beside
the settings: the map's and the report's settings section, the workbook's and the
GeoPackage's settings table, a comment at the top of the settings file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:      # the writers import what they need when called (issue 17: the
    from geo.analysis import Analysis  # registry is read by `prevmap --help`)
    from plans.followup import FollowUp
    from plans.model import PlanContents

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportOptions:
    """What a writer needs besides the analysis. ``tiles`` is the map HTML's background
    map (the print maps are always drawn without one); ``created`` the date written into
    the files (default today); ``plan`` an åtgärdsplan (:data:`PLAN_FORMATS`) with
    ``followup``, or else the follow-up on the analysis' data
    (:func:`geo.analysis.plan_followup`); ``show`` what the print maps (PNG, SVG, the map
    PDF) show, one of :data:`geo.maps.print_map.CHOICES`, and ``paper`` their size (A4 or
    A3)."""

    tiles: str | None = None
    created: dt.date | None = None
    plan: PlanContents | None = None
    followup: FollowUp | None = None
    show: str = "index"     # what the map shows (geo.maps.analysis_map.map_choices)
    paper: str = "A4"       # the print maps' paper (geo.maps.print_map)


Writer = Callable[["Analysis", ExportOptions], bytes]


@dataclass(frozen=True)
class ExportFormat:
    """One kind of file. ``file_name`` may hold ``{stem}`` (the plan's name); ``option`` is
    the ``prevmap export`` option that asks for it (None: always written, beside
    ``--out`` with ``suffix``); ``suffix`` is also where the file goes when its option is
    left out (the CSV)."""

    key: str
    label: str
    file_name: str
    mime: str
    write: Writer
    needs_chromium: bool = False
    help: str | None = None
    option: str | None = None
    option_help: str | None = None
    suffix: str | None = None
    follows_map: bool = False    # shows ExportOptions.show (the map choice), not the whole

    def name(self, stem: str = "prevmap") -> str:
        return self.file_name.format(stem=stem)

    def shown_name(self, show: str, shown: str, stem: str = "prevmap") -> str:
        """The file name of a map showing ``show`` (a key of
        :func:`geo.maps.analysis_map.map_choices`, ``shown`` its Swedish label): the
        index's map keeps :meth:`name`, any other choice adds its words
        ("prevmap_karta_kriminalitet.png"). Other formats keep :meth:`name`."""
        name = self.name(stem)
        if not self.follows_map or show == "index":
            return name
        base, dot, ext = name.rpartition(".")
        return f"{base}_{choice_slug(shown)}{dot}{ext}"

    def shown_label(self, shown: str) -> str:
        """The button's label of a map showing ``shown`` ("Karta (PNG): Domän: Kriminalitet");
        other formats keep :attr:`label`."""
        return f"{self.label}: {shown}" if self.follows_map else self.label


_FOLD = str.maketrans("åäöéüÅÄÖÉÜ", "aaoeuAAOEU")


def choice_slug(shown: str, limit: int = 40) -> str:
    """A map choice's Swedish label as a file name part: without its kind ("Domän: ",
    "Indikator: "), lower case, å ä ö as a a o, other characters as "_", at most ``limit``
    characters ("Domän: Psykisk ohälsa" -> "psykisk_ohalsa")."""
    words = shown.split(": ", 1)[-1].translate(_FOLD).lower()
    slug = "_".join("".join(c if c.isascii() and c.isalnum() else " " for c in words).split())
    return slug[:limit].rstrip("_") or "karta"


def _report(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.report import report_html
    return report_html(analysis, created=o.created, plan=o.plan, followup=o.followup)


def _map(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.outputs import map_html
    return map_html(analysis, tiles=o.tiles, created=o.created, show=o.show)


def _excel(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.workbook import excel_bytes
    return excel_bytes(analysis, created=o.created)


def _csv(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.tables import ranking_csv
    return ranking_csv(analysis)


def _geopackage(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.workbook import geopackage_bytes
    return geopackage_bytes(analysis, created=o.created)


def _pdf(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.render import report_pdf
    from geo.export.report import report_html
    return report_pdf(report_html(analysis, created=o.created, plan=o.plan,
                                  followup=o.followup, print_maps=True))


def _print_map(fmt: str) -> Writer:
    def write(analysis: Analysis, o: ExportOptions) -> bytes:
        from geo.maps.print_map import print_map_bytes
        return print_map_bytes(analysis, fmt, o.show, paper=o.paper, created=o.created)
    return write


def _settings(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.export.outputs import settings_toml
    return settings_toml(analysis)


def _plan_workbook(analysis: Analysis, o: ExportOptions) -> bytes:
    from geo.analysis import plan_followup
    from geo.export.workbook import plan_workbook_bytes
    return plan_workbook_bytes(o.plan, o.followup or plan_followup(analysis, o.plan),
                               analysis.inputs.catalogue, created=o.created,
                               digest=analysis.digest)


OUT = "--out"

MAP = ExportFormat(
    "karta", "Karta (HTML)", "prevmap_karta.html", "text/html",
    _map,
    help="Fungerar utan internet: kartbiblioteket finns i filen.",
    option=OUT, option_help="HTML-kartan som ska skrivas",
    follows_map=True)
REPORT = ExportFormat(
    "rapport", "Rapport (HTML)", "prevmap_rapport.html", "text/html", _report,
    help="En fil: karta, rangordning, områdesprofiler, metod, källor och inställningar. "
         "Skrivs ut på A4.",
    option="--rapport",
    option_help="också en rapport i en HTML-fil: karta, rangordning, områdesprofiler, "
                "metod, källor och inställningar (utskrivbar på A4)")
EXCEL = ExportFormat(
    "excel", "Resultat (Excel)", "prevmap_resultat.xlsx", XLSX,
    _excel,
    option="--excel", option_help="också resultaten som Excel-arbetsbok (.xlsx)")
CSV = ExportFormat(
    "csv", "Rangordning (CSV)", "prevmap_rangordning.csv", "text/csv",
    _csv,
    option="--csv", option_help="rangordningen som CSV (standard: --out med .csv)",
    suffix=".csv")
GEOPACKAGE = ExportFormat(
    "gpkg", "Områden med resultat (GeoPackage)", "prevmap_resultat.gpkg",
    "application/geopackage+sqlite3", _geopackage,
    option="--gpkg", option_help="också områdena med alla resultatkolumner som GeoPackage")
PDF = ExportFormat(
    "pdf", "Rapport (PDF)", "prevmap_rapport.pdf", "application/pdf", _pdf,
    needs_chromium=True,
    help="Skapas av webbläsaren chromium på den här datorn (några sekunder).",
    option="--pdf", option_help="också rapporten som PDF (kräver chromium)")
PNG = ExportFormat(
    "png", "Karta (PNG)", "prevmap_karta.png", "image/png", _print_map("png"),
    help="Karta för utskrift, 300 dpi: namn på områdena, teckenförklaring i ord, "
         "skalstock, norrpil, källor och datum.",
    option="--png", option_help="också kartan för utskrift som PNG-bild (300 dpi)",
    follows_map=True)
SVG = ExportFormat(
    "svg", "Karta (SVG)", "prevmap_karta.svg", "image/svg+xml", _print_map("svg"),
    help="Karta för utskrift som vektorbild, att redigera vidare.",
    option="--svg", option_help="också kartan för utskrift som SVG (vektorbild)",
    follows_map=True)
MAP_PDF = ExportFormat(
    "karta_pdf", "Karta (PDF)", "prevmap_karta.pdf", "application/pdf", _print_map("pdf"),
    help="Karta för utskrift på en sida (A4 eller A3).",
    option="--karta-pdf", option_help="också kartan för utskrift som PDF på en sida",
    follows_map=True)
SETTINGS = ExportFormat(
    "installningar", "Inställningar (TOML)", "prevmap_installningar.toml", "application/toml",
    _settings, suffix=".settings.toml")

#: The analysis' files, in the order of the app's buttons (two rows of four).
FORMATS: tuple[ExportFormat, ...] = (MAP, REPORT, EXCEL, CSV, GEOPACKAGE, PDF, PNG, SVG,
                                     MAP_PDF, SETTINGS)

#: What ``--out`` writes by its suffix: the HTML map, or a print map.
OUT_FORMATS: dict[str, ExportFormat] = {".html": MAP, ".htm": MAP, ".png": PNG, ".svg": SVG,
                                        ".pdf": MAP_PDF}

#: An åtgärdsplan's files (the plan page); their writers need ``plan`` and ``followup``.
PLAN_WORKBOOK = ExportFormat(
    "plan", "Planen och uppföljningen (Excel)", "{stem}.xlsx", XLSX, _plan_workbook)
PLAN_REPORT = ExportFormat(
    "plan_rapport", "Rapport med planen (HTML)", "{stem}_rapport.html", "text/html", _report)
PLAN_PDF = ExportFormat(
    "plan_pdf", "Rapport med planen (PDF)", "{stem}_rapport.pdf", "application/pdf", _pdf,
    needs_chromium=True)
PLAN_FORMATS: tuple[ExportFormat, ...] = (PLAN_WORKBOOK, PLAN_REPORT, PLAN_PDF)


def export_format(key: str) -> ExportFormat:
    """The format named ``key``; an unknown key lists the known ones."""
    for fmt in (*FORMATS, *PLAN_FORMATS):
        if fmt.key == key:
            return fmt
    known = ", ".join(f.key for f in (*FORMATS, *PLAN_FORMATS))
    raise KeyError(f"okänt exportformat {key!r}; finns: {known}")
