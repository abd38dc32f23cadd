"""The whole path once: load inputs, rank, join, build the map, write the exports.

The app's buttons and the ``prevmap export`` command both call these functions,
so they produce the same files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import pandas as pd

from indicators.assessment import Assessment, assess
from indicators.catalogue import Catalogue
from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    DOMAINS,
    FLAG_COUNT,
    MISSING_COUNT,
    RANK,
    SCORE,
    TOP_CONTRIBUTORS,
    domain_column,
)
from indicators.errors import AreaFileError, IndicatorTableError
from indicators.io import (
    SourceInfo,
    mark_synthetic,
    read_catalogue,
    read_settings,
    read_source_info,
)
from indicators.method import Section, method_page
from indicators.ranking import RankingResult
from indicators.settings import AnalysisSettings
from indicators.table import validate_indicator_table
from indicators.trends import split_years
from plans.followup import DisclosureRule, FollowUp, follow_up, tables_by_year
from plans.model import PlanContents

from .comparisons import ComparisonResult, Comparisons, compare_areas
from .comparisons import load_comparisons as load_comparisons  # for the app and the CLI
from .hotspots import HotspotError, Hotspots, find_hotspots, values_from_ranking
from .io import Areas, read_areas
from .join import JoinReport, join_areas
from .maps import MapOverlay, build_map, export_map_html, render_map_html
from .safe_files import read_table_file

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_AREAS = DATA_DIR / "areas" / "huddinge_regso_2025.parquet"
DEFAULT_INDICATORS = DATA_DIR / "demo" / "huddinge_demo_indicators.csv"
DEFAULT_HISTORY = DATA_DIR / "demo" / "huddinge_demo_historik.csv"
DEMO_YEAR = 2024
DEFAULT_CATALOGUE = DATA_DIR / "indicator_catalogue.csv"
PROFILES_DIR = DATA_DIR / "profiles"
DEFAULT_PROFILE = PROFILES_DIR / "bred_prevention.toml"

if TYPE_CHECKING:
    from .merge import Merge

CSV_OPTIONS = {"sep": ";", "decimal": ",", "index": False,
               "lineterminator": "\n"}


@dataclass(frozen=True, eq=False)
class Inputs:
    areas: Areas
    table: pd.DataFrame
    table_source: SourceInfo
    table_name: str
    catalogue: Catalogue
    year: int | None = None
    history: tuple[tuple[int, pd.DataFrame], ...] = ()
    """Earlier years' validated tables, oldest first (for trends)."""

    @property
    def synthetic(self) -> bool:
        return self.table_source.synthetic or self.areas.source.synthetic


def load_inputs(areas: str | Path = DEFAULT_AREAS, indicators: str | Path = DEFAULT_INDICATORS,
                catalogue: str | Path = DEFAULT_CATALOGUE, *, id_column: str | None = None,
                name_column: str | None = None, history: str | Path | None = None,
                year: int | None = None) -> Inputs:
    """Read and validate all inputs at the boundary; the table is kept with numeric columns,
    so that a change of settings does not parse text again. The embedded demo table comes
    with its history (2021–2023) and its year (2024)."""
    if Path(indicators) == DEFAULT_INDICATORS and history is None:
        history, year = DEFAULT_HISTORY, year or DEMO_YEAR
    return inputs_for_areas(read_areas(areas, id_column=id_column, name_column=name_column),
                            indicators, catalogue, history=history, year=year)


def read_history(path: str | Path, catalogue: Catalogue) -> tuple[tuple[int, pd.DataFrame], ...]:
    """Earlier years from one long table with a year column (``ar``, ``år`` or ``year``),
    each year validated like the main table."""
    path = Path(path)
    tables = split_years(read_table_file(path))
    return tuple((year, validate_indicator_table(table.reset_index(), catalogue,
                                                 f"{path.name}, år {year}").reset_index())
                 for year, table in tables.items())


def inputs_for_areas(areas: Areas, indicators: str | Path,
                     catalogue: str | Path = DEFAULT_CATALOGUE, *,
                     history: str | Path | None = None, year: int | None = None) -> Inputs:
    """Inputs from areas already read and an indicator file (CSV, Excel, Parquet)."""
    indicators = Path(indicators)
    cat = read_catalogue(catalogue)
    raw = read_table_file(indicators)
    table = validate_indicator_table(raw, cat, indicators.name)
    past = read_history(history, cat) if history is not None else ()
    if year is not None and any(y >= year for y, _ in past):
        raise IndicatorTableError(f"fil '{Path(history).name}': historiken innehåller år "
                                  f"{', '.join(str(y) for y, _ in past if y >= year)}, inte "
                                  f"före huvudtabellens år {year}.")
    return Inputs(areas=areas, table=table.reset_index(),
                  table_source=mark_synthetic(read_source_info(indicators), raw),
                  table_name=indicators.name, catalogue=cat, year=year, history=past)


@dataclass(frozen=True, eq=False)
class Analysis:
    inputs: Inputs
    result: RankingResult
    joined: gpd.GeoDataFrame
    join_report: JoinReport
    comparison: ComparisonResult | None = None
    assessment: Assessment | None = None
    hotspots: Hotspots | None = None
    hotspot_error: str | None = None
    merge: Merge | None = None

    @property
    def settings(self) -> AnalysisSettings:
        return self.result.settings

    @property
    def title(self) -> str:
        return f"Behov av förebyggande arbete för barn och unga – {self.inputs.areas.source.title}"

    @property
    def sources(self) -> tuple[SourceInfo, ...]:
        return tuple(source for _, source in self.source_roles())

    def source_roles(self) -> tuple[tuple[str, SourceInfo], ...]:
        """Every source with its role ("Områden", "Indikatorer", then comparisons)."""
        roles = (("Områden", self.inputs.areas.source), ("Indikatorer", self.inputs.table_source))
        return roles + (self.comparison.sources if self.comparison else ())

    def notes(self) -> list[str]:
        """Everything the user must know about the data: join gaps, repairs, missing values."""
        out = self.join_report.messages()
        out += [f"Geometrin för {r.area_id} var ogiltig ({r.reason}) och har reparerats."
                for r in self.inputs.areas.repairs]
        out += [n[0].upper() + n[1:] + "." for n in self.inputs.areas.notes]
        missing = self.result.values.isna().sum()
        for ind_id, n in missing[missing > 0].items():
            out.append(f"{self.inputs.catalogue[ind_id].name}: värde saknas för {n} område(n).")
        if self.assessment is not None:
            out += self.assessment.notes()
        if self.hotspot_error:
            out.append(self.hotspot_error)
        if self.merge is not None:
            out += self.merge.notes()
        if self.comparison:
            out += list(self.comparison.notes)
        return out

    def method_page(self) -> tuple[Section, ...]:
        top_k = self.assessment.top_k if self.assessment else max(1, round(len(
            self.result.score) / 5))
        return method_page(self.settings, n_areas=int(self.result.score.notna().sum()),
                           top_k=top_k, n_indicators=int((self.result.weights > 0).any().sum()))


def run_analysis(inputs: Inputs, settings: AnalysisSettings,
                 comparisons: Comparisons | None = None) -> Analysis:
    """Protect small numbers, rank, simulate the uncertainty, tier, find hotspots and join;
    with ``comparisons`` (utsatta områden, områdestyp, points) also compute the comparison
    columns, which never enter the index."""
    merge = None
    if settings.merge_small:
        from .merge import merge_small_areas  # geo.merge -> geo.levels import this module

        chosen = [i for i in settings.indicators if i in inputs.catalogue
                  and all(c in inputs.table.columns for c in inputs.catalogue[i].columns)]
        merge = merge_small_areas(inputs, chosen, settings.min_population)
        inputs = merge.inputs
    assessment = assess(inputs.table, inputs.catalogue, settings, source=inputs.table_name)
    result = assessment.result
    joined, report = join_areas(inputs.areas.frame, result)
    hotspots, error = None, None
    try:
        # The composite score only: each domain is on request (domain_hotspots), so a
        # weight change in the app stays quick.
        hotspots = find_hotspots(inputs.areas.frame, values_from_ranking(result)[[SCORE]],
                                 seed=settings.seed)
    except HotspotError as err:     # too few areas or no neighbours: the ranking stands
        error = f"Klusteranalysen (Gi*, Moran) kunde inte göras: {err}"
    analysis = Analysis(inputs, result, joined, report, assessment=assessment,
                        hotspots=hotspots, hotspot_error=error, merge=merge)
    return add_comparisons(analysis, comparisons) if comparisons else analysis


def domain_hotspots(analysis: Analysis) -> Hotspots:
    """Gi* and local Moran on the score and on every domain score."""
    return find_hotspots(analysis.inputs.areas.frame, values_from_ranking(analysis.result),
                         seed=analysis.settings.seed)


# Swedish headers of the robustness columns (table, CSV, tooltip).
TIER = "Prioritet"
MEDIAN_RANK = "Medianrang"
RANK_LOW = "Rang 5 %"
RANK_HIGH = "Rang 95 %"
HOTSPOT = "Kluster (Gi*)"
SMALL_AREA = "Litet underlag"


def rank_span(low: float, high: float, missing: str = "–") -> str:
    """A rank interval as shown everywhere: "3–6", or "1" when both ends agree."""
    if pd.isna(low):
        return missing
    return f"{low:.0f}" if low == high else f"{low:.0f}–{high:.0f}"


def p_top_column(k: int) -> str:
    return f"Sannolikhet topp {k} (%)"


def _memo(analysis: Analysis, name: str, make) -> pd.DataFrame:
    """A copy of ``make(analysis)``, computed once per analysis (the map, the table and
    the tooltips of one rerun all ask for it; an analysis is never changed once made)."""
    held = analysis.__dict__.get(name)
    if held is None:
        held = make(analysis)
        analysis.__dict__[name] = held     # frozen dataclass: its fields, not its memos
    return held.copy()


def robustness_columns(analysis: Analysis) -> pd.DataFrame:
    """Tier, rank interval, P(top k), hotspot and small-area flag per area (index area_id)."""
    return _memo(analysis, "_robustness_columns", _robustness_columns)


def _robustness_columns(analysis: Analysis) -> pd.DataFrame:
    a = analysis.assessment
    out = pd.DataFrame(index=analysis.result.score.index)
    if a is None:
        return out
    u = a.uncertainty
    out[TIER] = a.tiers.reindex(out.index).astype(str)
    out[MEDIAN_RANK] = u.median_rank.reindex(out.index)
    out[RANK_LOW] = u.rank_low.reindex(out.index)
    out[RANK_HIGH] = u.rank_high.reindex(out.index)
    out[p_top_column(u.top_k)] = (u.p_top_k.reindex(out.index) * 100).round(1)
    if analysis.hotspots is not None and "score" in analysis.hotspots.variables:
        labels = analysis.hotspots.for_variable("score")["gi_label"]
        out[HOTSPOT] = labels.reindex(out.index).fillna("").astype(str)
    small = a.prepared.disclosure.small_areas if a.prepared.disclosure is not None else None
    out[SMALL_AREA] = ""
    if small is not None and len(small):
        flagged = small.set_index(AREA_ID)
        out.loc[out.index.isin(flagged.index), SMALL_AREA] = "ja"
    return out


def add_comparisons(analysis: Analysis, comparisons: Comparisons) -> Analysis:
    """The same analysis with comparison columns, overlays and their sources."""
    return replace(analysis, comparison=compare_areas(analysis.inputs.areas, comparisons))


def robustness_details(analysis: Analysis) -> pd.DataFrame:
    """Tooltip lines: tier, rank with its interval, P(top k), hotspot, small area."""
    cols = robustness_columns(analysis)
    out = pd.DataFrame(index=cols.index)
    if analysis.assessment is None:
        return out
    k = analysis.assessment.top_k
    out[TIER] = cols[TIER]
    out["Rang, 90 % av beräkningarna"] = [
        "" if pd.isna(lo) else f"{rank_span(lo, hi)} (median {m:g})"
        for lo, hi, m in zip(cols[RANK_LOW], cols[RANK_HIGH], cols[MEDIAN_RANK], strict=True)]
    out[f"Bland de {k} med störst behov"] = [
        "" if pd.isna(p) else f"{p:.0f} % av beräkningarna"
        for p in cols[p_top_column(k)]]
    if HOTSPOT in cols:
        out[HOTSPOT] = cols[HOTSPOT].replace("Ej signifikant", "")
    out[SMALL_AREA] = cols[SMALL_AREA].map({"ja": "ja, andelarna är osäkra"}).fillna("")
    return out


def robustness_overlays(analysis: Analysis) -> tuple[MapOverlay, ...]:
    """Hot and cold spots (Gi*) and areas whose place in the top k is uncertain."""
    frame = analysis.inputs.areas.frame.set_index(AREA_ID)
    out = []
    if analysis.hotspots is not None and "score" in analysis.hotspots.variables:
        labels = analysis.hotspots.for_variable("score")["gi_label"]
        for label, name, colour in (("Het punkt", "Heta punkter (Gi*, FDR)", "#b2182b"),
                                    ("Kall punkt", "Kalla punkter (Gi*, FDR)", "#2166ac")):
            ids = [a for a in labels.index[labels == label] if a in frame.index]
            if ids:
                shown = frame.loc[ids].reset_index().assign(Kluster=label)
                out.append(MapOverlay(name, shown, (AREA_NAME, "Kluster"), colour))
    if analysis.assessment is not None:
        unsure = analysis.assessment.uncertain()
        ids = [a for a in unsure.index[unsure] if a in frame.index]
        if ids:
            k = analysis.assessment.top_k
            shown = frame.loc[ids].reset_index().assign(
                Placering=f"osäkert om området hör till de {k} första")
            out.append(MapOverlay("Osäker placering", shown, (AREA_NAME, "Placering"),
                                  "#4d4d4d"))
    return tuple(out)


def build_analysis_map(analysis: Analysis, *, tiles: str | None = None,
                       created: dt.date | None = None, kommun: str | None = None,
                       extra_overlays: tuple[MapOverlay, ...] = (),
                       extra_details: pd.DataFrame | None = None) -> folium.Map:
    """The analysis map; with ``kommun`` (a kommun code) only that kommun's areas, still
    with the ranks of the whole analysis (the drill-down from a län or Sweden).
    ``extra_overlays`` and ``extra_details`` (tooltip lines per area, index ``area_id``) add
    other layers, e.g. the resources in the areas (:mod:`geo.resources`)."""
    comparison = analysis.comparison
    details = robustness_details(analysis)
    if comparison is not None:
        details = details.join(comparison.tooltip_details(), how="outer")
    if extra_details is not None:   # lines the comparisons already show are not repeated
        details = details.join(extra_details.drop(
            columns=[c for c in extra_details.columns if c in details.columns]), how="outer")
    joined, title = analysis.joined, analysis.title
    shown = {o.name for o in comparison.overlays} if comparison is not None else set()
    overlays = robustness_overlays(analysis) + tuple(
        o for o in extra_overlays if o.name not in shown)
    classify_on, classes_of = None, None
    if kommun is not None:
        from .sources import kommuner

        joined = joined[joined[AREA_ID].astype(str).str.startswith(kommun)]
        if joined.empty:
            raise AreaFileError(f"inga områden i analysen hör till kommun {kommun}.")
        title = (f"{title.split(' – ')[0]} – {kommuner().get(kommun, kommun)} ({kommun}), "
                 f"rangordnad inom {analysis.inputs.areas.source.title}")
        keep = set(joined[AREA_ID])
        overlays = tuple(
            replace(o, frame=o.frame[o.frame[AREA_ID].isin(keep)])
            if AREA_ID in o.frame.columns else o for o in overlays)
        overlays = tuple(o for o in overlays if len(o.frame))
        classify_on = analysis.joined[SCORE].to_numpy(dtype=float)
        classes_of = "alla områden i analysen"
    return build_map(joined, analysis.result, title=title,
                     sources=analysis.sources, created=created, tiles=tiles,
                     notes=analysis.notes(),
                     overlays=(*overlays, *(comparison.overlays if comparison else ())),
                     details=details if len(details.columns) else None,
                     method=[(s.heading, s.paragraphs) for s in analysis.method_page()],
                     classify_on=classify_on, classes_of=classes_of)


def ranking_table(analysis: Analysis) -> pd.DataFrame:
    """The ranked table with Swedish headers, as shown in the app and written to CSV."""
    return _memo(analysis, "_ranking_table", _ranking_table)


def _ranking_table(analysis: Analysis) -> pd.DataFrame:
    summary = analysis.result.summary()
    names = dict(zip(analysis.inputs.areas.frame[AREA_ID],
                     analysis.inputs.areas.frame[AREA_NAME], strict=True))
    out = pd.DataFrame({
        "Rang": summary[RANK].astype("Int64"),
        "Områdeskod": summary[AREA_ID],
        "Område": summary[AREA_ID].map(names).fillna("(finns inte i kartan)"),
    })
    # Tier and certainty first, beside the name: what a samordnare reads first.
    robust = robustness_columns(analysis)
    for name in robust.columns:
        out[name] = robust[name].reindex(summary[AREA_ID].to_numpy()).to_numpy()
    out.insert(4 if TIER in out else 3, "Sammanvägt index", summary[SCORE].round(4))
    for dom in analysis.result.domain_scores.columns:
        out[DOMAINS[dom]] = summary[domain_column(dom)].round(4)
    out["Antal flaggor"] = summary[FLAG_COUNT]
    out["Saknade värden"] = summary[MISSING_COUNT]
    out["Bidrar mest"] = summary[TOP_CONTRIBUTORS]
    if analysis.comparison is not None:
        columns = analysis.comparison.columns
        for name in columns.columns:
            out[name] = columns[name].reindex(summary[AREA_ID].to_numpy()).to_numpy()
    out["Datakälla"] = analysis.inputs.table_source.label()
    return out


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _no_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text that Excel would run as a formula (=, +, -, @ first) gets a leading apostrophe."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v
                         for v in out[name]]
    return out


def ranking_csv(analysis: Analysis) -> bytes:
    """The ranked table as CSV for Swedish Excel: semicolon, decimal comma, UTF-8 with BOM;
    text from files never becomes a formula."""
    return _no_formulas(ranking_table(analysis)).to_csv(**CSV_OPTIONS).encode("utf-8-sig")


def map_html(analysis: Analysis, *, tiles: str | None = None,
             created: dt.date | None = None) -> bytes:
    return render_map_html(build_analysis_map(analysis, tiles=tiles, created=created)).encode()


@dataclass(frozen=True)
class ExportPaths:
    html: Path
    csv: Path
    settings: Path


def export_analysis(analysis: Analysis, out_html: str | Path, out_csv: str | Path | None = None,
                    *, tiles: str | None = None, created: dt.date | None = None) -> ExportPaths:
    """Write the map HTML, the ranking CSV and the settings TOML beside it."""
    out_html = Path(out_html)
    out_csv = Path(out_csv) if out_csv else out_html.with_suffix(".csv")
    out_settings = out_html.with_suffix(".settings.toml")
    export_map_html(build_analysis_map(analysis, tiles=tiles, created=created), out_html)
    out_csv.write_bytes(ranking_csv(analysis))
    out_settings.write_text(analysis.settings.to_toml(), encoding="utf-8")
    return ExportPaths(out_html, out_csv, out_settings)


def plan_followup(analysis: Analysis, plan: PlanContents) -> FollowUp:
    """The follow-up of ``plan`` on the analysis' data: every year it has (the history and
    the main table), with the analysis' disclosure control."""
    inputs = analysis.inputs
    return follow_up(plan, inputs.catalogue,
                     tables_by_year(inputs.history, inputs.year, inputs.table),
                     rule=DisclosureRule.from_settings(analysis.settings))


def list_profiles(directory: Path = PROFILES_DIR) -> dict[str, AnalysisSettings]:
    """The named analysis profiles shipped in ``data/profiles``, by their Swedish name."""
    profiles = {}
    for path in sorted(directory.glob("*.toml")):
        settings = read_settings(path)
        profiles[settings.name or path.stem] = settings
    return profiles
