"""Static print maps for the decision document: PNG, SVG and PDF, A4 or A3, 300 dpi.

One map per choice of what to show: the composite index, the priority tier (categorical),
one domain's score (:data:`CHOICES`, the report's maps) or any single indicator of the
ranking (its value, unit and year; every key of :func:`geo.maps.analysis_map.map_choices`,
as the web map). An indicator's value that is missing or hidden by disclosure control is
never a class: its area is hatched grey, "Uppgift saknas/skyddad". The page holds,
outside the map frame, the title, a subtitle (profile, data, year, real or synthetic), a
legend in words with how many areas each class holds and what the classes are, and the
sources with the date; inside it the areas, their names, a scale bar (matplotlib-scalebar)
and a north arrow. No interactive controls.

The classes are those of the web map (:func:`geo.maps.mapview.classes_for`: five quantile
classes, "femtedelar av områdena", with mapclassify's limits), coloured with its palette.
Names are placed with adjustText, then every label whose box still overlaps a label of an
area with more need is dropped (:func:`_drop_overlaps`): the areas with most need are
always named, and no two labels collide. :attr:`PrintMap.labels` is the placement. On
the map of the recommended approach a name has its focus as a second line ("Vårby gård" /
"kriminalitet · skola", as on the web map); a two-line label that overlaps one kept
before is tried as the name alone before it is dropped, so no name is lost to its focus.

Drawn on a plain :class:`matplotlib.figure.Figure` with the Agg canvas, never pyplot's
global state; matplotlib is imported only here, and this module only where a print map is
made (``prevmap --help`` and the HTML export do not load it). The same analysis and date
give the same bytes: no creation time in the PDF or SVG, and SVG ids from a fixed salt.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.maps.legend import NEED_WORDS
from geo.maps.mapview import (
    CONTEXT_STYLE,
    DIGEST_LABEL,
    NO_DATA_COLOUR,
    _colours,
    classes_for,
)
from geo.spatial.context import LAKES_NAME, NEIGHBOURS_NAME, SEA_NAME, map_context
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.errors import PrevmapError
from indicators.swedish import format_number
from indicators.tiers import HIGH, NO_RANK, OTHER, RAISED, TIER_CATEGORIES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from geo.analysis import Analysis

INDEX, TIER, APPROACH = "index", "prioritet", "angreppssatt"
INTENSITY_COLUMN = "intensity"     # indicators.recommendation.INTENSITY
#: The areas whose recommendation a samordnare changed: a dashed outline (issue 19).
OVERRIDDEN_WORDS, OVERRIDDEN_EDGE = "Ändrad av samordnare", "#e66101"
#: The print maps of the report: the index, the priority tier, each domain (its key). A
#: single print map also shows any indicator of the ranking (its id, :func:`check_choice`).
CHOICES: tuple[str, ...] = (INDEX, TIER, APPROACH, *DOMAINS)
#: Paper sizes in millimetres (short side, long side).
PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
FORMATS = ("png", "svg", "pdf")
DPI = 300
MM_PER_INCH = 25.4
PT_MM = MM_PER_INCH / 72.0
#: SWEREF 99 TM: metres, so that the scale bar is true.
CRS = 3006

#: The classes' words, least need first, by the number of classes: the web map's legend's
#: (geo.maps.legend.NEED_WORDS, most need first), so that print and screen say the same.
CLASS_WORDS: dict[int, tuple[str, ...]] = {n: tuple(reversed(words))
                                           for n, words in NEED_WORDS.items()}
TIER_COLOURS = {HIGH: "#bd0026", RAISED: "#fd8d3c", OTHER: "#ffffb2", NO_RANK: NO_DATA_COLOUR}
#: At most this many names on a page (the areas with most need first): a län's hundreds
#: of areas cannot all be named legibly.
MAX_LABELS = {"A4": 40, "A3": 70}
LABEL_SIZE = 6.5
#: At most this many neighbouring kommuner named on a page (the largest part first).
MAX_CONTEXT_LABELS = 15
#: An indicator's value that is missing or hidden (disclosure control): hatched grey.
HIDDEN_WORDS = "Uppgift saknas/skyddad"
HIDDEN_HATCH = "////"
LABEL_PAD = 0.15     # the pale box around a name, in font sizes
SECOND_LINE_SCALE = 0.8    # the focus line under a name: this much smaller, not bold


class PrintMapError(PrevmapError):
    title = "Kartan för utskrift kunde inte göras"


def check_choice(choice: str, analysis: Analysis | None = None) -> str:
    """``choice`` if a print map can show it: one of :data:`CHOICES`, or with ``analysis``
    any key of its web map's choices (:func:`geo.maps.analysis_map.map_choices`: also each
    indicator of the ranking); else an error naming the valid choices."""
    if analysis is not None:
        from geo.maps.analysis_map import map_choices

        valid = tuple(map_choices(analysis))
    else:
        valid = CHOICES
    if choice not in valid:
        raise PrintMapError(f"okänt val av vad kartan visar: {choice!r}. Välj ett av: "
                            + ", ".join(valid) + ".")
    return choice


def check_paper(paper: str) -> str:
    if paper not in PAPERS:
        raise PrintMapError(f"okänt pappersformat: {paper!r}. Välj ett av: "
                            + ", ".join(PAPERS) + ".")
    return paper


@dataclass(frozen=True)
class Label:
    """A placed area name: its box on the page in pixels at :data:`DPI` (x0, y0, x1, y1)."""

    area_id: str
    name: str
    box: tuple[float, float, float, float]
    second: str = ""        # the line under the name (the approach map's focus), if drawn


@dataclass(frozen=True)
class Legend:
    """What the map shows: a heading, how the classes are made, and per class (most need
    first) its colour, its words, how many areas it holds and its limits."""

    heading: str
    how: str
    rows: tuple[tuple[str, str, int, str], ...]


@dataclass(frozen=True, eq=False)
class PrintMap:
    """A drawn print map: the figure, its legend and the placed labels; the neighbouring
    kommuner named (``context_labels``, ``area_id`` their kommun code) and the
    surroundings' legend lines (``context_legend``)."""

    figure: Figure
    legend: Legend
    labels: tuple[Label, ...]
    paper: str
    fill: tuple[str, ...]           # each area's colour, in the order of analysis.joined
    context_labels: tuple[Label, ...] = ()
    context_legend: tuple[str, ...] = ()

    def to_bytes(self, fmt: str) -> bytes:
        """The page as ``fmt`` (png, svg or pdf), :data:`DPI` dots per inch."""
        import matplotlib

        if fmt not in FORMATS:
            raise PrintMapError(f"okänt filformat {fmt!r}; välj ett av: {', '.join(FORMATS)}.")
        buffer = io.BytesIO()
        metadata = {"png": {"Software": None}, "svg": {"Date": None},
                    "pdf": {"CreationDate": None}}[fmt]
        with matplotlib.rc_context({"svg.hashsalt": "prevmap", "svg.fonttype": "none",
                                    "pdf.fonttype": 42}):
            self.figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
        return buffer.getvalue()


def _values(analysis: Analysis, choice: str, ids: pd.Index) -> pd.Series:
    """The numbers of ``choice`` per area id (index or a domain's score)."""
    if choice == INDEX:
        return analysis.result.score.reindex(ids).astype(float)
    scores = analysis.result.domain_scores
    if choice not in scores.columns:
        used = ", ".join(c for c in CHOICES if c in scores.columns)
        raise PrintMapError(f"domänen {choice!r} ingår inte i analysens index. Välj en av: "
                            f"{INDEX}, {TIER}, {used}.")
    return scores[choice].reindex(ids).astype(float)


def _class_legend(values: pd.Series, heading: str, *, direction: int = 1, unit: str = "",
                  higher: str = "högre = större behov", missing: str = "Saknar data",
                  ) -> tuple[list[str], Legend, np.ndarray]:
    """Colours per area, the legend, and the order of need (most first) of a numeric map:
    the web map's five quantile classes of ``values × direction`` (larger = more need),
    their limits in ``values``' own terms (with ``unit``); an area without a value is grey
    and counted under ``missing``."""
    scores = values.to_numpy(dtype=float) * direction
    classes, bins = classes_for(scores, "quantiles", 5)
    colours = _colours(len(bins))
    words = CLASS_WORDS[len(bins)] if len(bins) in CLASS_WORDS else tuple(
        f"Klass {i + 1}" for i in range(len(bins)))
    rows, lower = [], float(np.nanmin(scores)) if len(bins) else np.nan
    suffix = f" {unit}" if unit else ""
    for i, upper in enumerate(bins):
        n = int((classes == i).sum())
        low, high = sorted((lower * direction, upper * direction))
        rows.append((colours[i], words[i], n,
                     f"värde {format_number(low)} – {format_number(high)}{suffix}"))
        lower = upper
    rows.reverse()
    if (classes < 0).any():
        rows.append((NO_DATA_COLOUR, missing, int((classes < 0).sum()), ""))
    how = (f"{len(bins)} klasser med lika många områden i varje (femtedelar av områdena)"
           if len(bins) == 5 else f"{len(bins)} klasser efter värdet")
    fill = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes]
    # most need first, the areas without a value last
    order = np.argsort(np.where(np.isnan(scores), np.inf, -scores), kind="stable")
    return fill, Legend(heading, f"{how}, {higher}", tuple(rows)), order


def _indicator_values(analysis: Analysis, choice: str, ids: pd.Index) -> pd.Series:
    """An indicator's values per area id as every output publishes them: a value hidden
    by disclosure control is missing (:func:`geo.analysis.published_values`)."""
    from geo.analysis import published_values

    return published_values(analysis)[choice].reindex(ids).astype(float)


def _tier_legend(analysis: Analysis, ids: pd.Index) -> tuple[list[str], Legend, np.ndarray]:
    a = analysis.assessment
    if a is None:
        raise PrintMapError("prioritetsnivåerna saknas: analysen gjordes utan "
                            "osäkerhetsanalys. Välj index eller en domän.")
    tiers = pd.Series(a.tiers, dtype="object").reindex(ids).fillna(NO_RANK)
    rows = tuple((TIER_COLOURS[t], t, int((tiers == t).sum()), "")
                 for t in TIER_CATEGORIES if t != NO_RANK or (tiers == NO_RANK).any())
    score = analysis.result.score.reindex(ids).to_numpy(dtype=float)
    tier_rank = tiers.map({t: i for i, t in enumerate(TIER_CATEGORIES)}).to_numpy()
    order = np.lexsort((np.where(np.isnan(score), np.inf, -score), tier_rank))
    return ([TIER_COLOURS[t] for t in tiers],
            Legend("Prioritet", a.rule.text(a.top_k), rows), order)


def _approach_legend(analysis: Analysis, ids: pd.Index
                     ) -> tuple[list[str], Legend, np.ndarray]:
    """The recommended approach (issue 19): the web map's intensity colours and words."""
    from geo.maps.analysis_map import (
        APPROACH_COLOURS,
        APPROACH_LABEL,
        approach_rule,
        intensity_word,
    )
    from geo.recommend import recommendations

    rec = recommendations(analysis)
    if rec is None:
        raise PrintMapError("det rekommenderade angreppssättet saknas: analysen gjordes utan "
                            "osäkerhetsanalys. Välj index eller en domän.")
    words = rec.areas[INTENSITY_COLUMN].map(intensity_word).reindex(ids).fillna("")
    colour_of = dict(APPROACH_COLOURS)
    rows = [(colour, word, int((words == word).sum()), "") for word, colour in APPROACH_COLOURS]
    if (words == "").any():
        rows.append((NO_DATA_COLOUR, "Ingen rekommendation (saknar rang)",
                     int((words == "").sum()), ""))
    score = analysis.result.score.reindex(ids).to_numpy(dtype=float)
    level = words.map({w: i for i, (w, _) in enumerate(APPROACH_COLOURS)}).fillna(
        len(APPROACH_COLOURS)).to_numpy()
    order = np.lexsort((np.where(np.isnan(score), np.inf, -score), level))
    return ([colour_of.get(w, NO_DATA_COLOUR) for w in words],
            Legend(APPROACH_LABEL, approach_rule(rec.reference), tuple(rows)), order)


def _subtitle(analysis: Analysis, heading: str) -> str:
    inputs = analysis.inputs
    synthetic = any(s.synthetic for s in analysis.sources)
    parts = [f"Kartan visar: {heading}",
             f"Profil: {analysis.settings.name or 'egen analys'}",
             f"Data: {inputs.table_source.title}"]
    if inputs.year is not None:
        parts.append(f"År: {inputs.year}")
    parts.append("SYNTETISKA DEMODATA – värdena är påhittade" if synthetic
                 else "Verkliga data")
    return " · ".join(parts)


def _heading(analysis: Analysis, choice: str) -> str:
    if choice == INDEX:
        return "Sammanvägt behov (index)"
    if choice == TIER:
        return "Prioritet"
    if choice == APPROACH:
        return "Rekommenderat angreppssätt"
    if choice in DOMAINS:
        return f"Domän: {DOMAINS[choice]}"
    ind = analysis.inputs.catalogue[choice]
    year = analysis.inputs.year
    return (f"Indikator: {ind.name}" + (f" ({ind.unit})" if ind.unit else "")
            + (f", år {year}" if year is not None else ""))


def _is_indicator(analysis: Analysis, choice: str) -> bool:
    return choice not in CHOICES and choice in analysis.result.values.columns


def build_print_map(analysis: Analysis, choice: str = INDEX, *, paper: str = "A4",
                    created: dt.date | None = None, overridden: Collection[str] = ()
                    ) -> PrintMap:
    """The print map of ``analysis`` showing ``choice`` (:data:`CHOICES` or an indicator's
    id, :func:`check_choice`) on ``paper`` (A4 or A3), in landscape when the areas are
    wider than tall. ``overridden``: area ids whose recommendation a samordnare changed,
    outlined dashed with the legend line "Ändrad av samordnare"."""
    check_choice(choice, analysis)
    check_paper(paper)
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    created = created or dt.date.today()
    areas: gpd.GeoDataFrame = analysis.joined.to_crs(CRS).reset_index(drop=True)
    ids = pd.Index(areas[AREA_ID].astype(str))
    heading = _heading(analysis, choice)
    hatched = np.zeros(len(ids), dtype=bool)
    if choice == TIER:
        fill, legend, order = _tier_legend(analysis, ids)
    elif choice == APPROACH:
        fill, legend, order = _approach_legend(analysis, ids)
    elif _is_indicator(analysis, choice):
        ind = analysis.inputs.catalogue[choice]
        values = _indicator_values(analysis, choice, ids)
        fill, legend, order = _class_legend(
            values, heading, direction=ind.direction, unit=ind.unit,
            higher=("högre" if ind.direction > 0 else "lägre") + " värde = större behov",
            missing=HIDDEN_WORDS)
        hatched = values.isna().to_numpy()
    else:
        fill, legend, order = _class_legend(_values(analysis, choice, ids), heading)

    minx, miny, maxx, maxy = areas.total_bounds
    landscape = (maxx - minx) >= (maxy - miny)
    short, long_ = PAPERS[paper]
    width, height = ((long_, short) if landscape else (short, long_))
    # No Agg canvas while geopandas plots: each of its plot calls asks the canvas to
    # draw_idle, which Agg does at once, the whole 300 dpi page (half the time of a map
    # was spent so); the base canvas ignores it. Agg is attached before the names are placed.
    fig = Figure(figsize=(width / MM_PER_INCH, height / MM_PER_INCH), dpi=DPI)
    scale = short / PAPERS["A4"][0]              # type sizes grow with the paper
    margin = 12.0 / width, 12.0 / height
    legend_w = 0.27 if landscape else 0.0
    usable = width - 24.0
    title = _wrapped(analysis.title, usable, 15 * scale, bold=True)
    subtitle = _wrapped(_subtitle(analysis, heading), usable, 8.5 * scale)
    title_mm = 10.0 + title.count("\n") * 15 * scale * 1.25 * PT_MM
    fig.text(margin[0], 1 - 10.0 / height, title, fontsize=15 * scale,
             fontweight="bold", va="top", ha="left", linespacing=1.25)
    fig.text(margin[0], 1 - (title_mm + 9.0 * scale) / height, subtitle,
             fontsize=8.5 * scale, va="top", ha="left", linespacing=1.3,
             color="#b2182b" if any(s.synthetic for s in analysis.sources) else "#333333")
    sub_mm = (subtitle.count("\n") + 1) * 8.5 * scale * 1.3 * PT_MM
    top = 1 - (title_mm + 9.0 * scale + sub_mm + 5.0) / height   # below title and subtitle
    bottom = (22.0 if landscape else 70.0) / height   # above the sources (and legend)
    ax = fig.add_axes((margin[0], bottom, 1 - 2 * margin[0] - legend_w, top - bottom))

    pad = 0.03 * max(maxx - minx, maxy - miny)
    frame = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    context = _context(areas, frame)
    _draw_context(ax, context)
    areas.plot(ax=ax, color=fill, edgecolor="#ffffff", linewidth=0.5, zorder=2)
    if hatched.any():      # missing or hidden: hatched grey, never a class
        areas[hatched].plot(ax=ax, facecolor=NO_DATA_COLOUR, edgecolor="#888888",
                            hatch=HIDDEN_HATCH, linewidth=0.3, zorder=2)
    areas.dissolve().boundary.plot(ax=ax, color="#444444", linewidth=0.8, zorder=3)
    changed = ids.isin([str(a) for a in overridden])
    if changed.any():
        areas[changed].boundary.plot(ax=ax, color=OVERRIDDEN_EDGE, linewidth=1.4,
                                     linestyle="--", zorder=4)
    ax.set_aspect("equal")
    ax.set_xlim(frame[0], frame[2])
    ax.set_ylim(frame[1], frame[3])
    ax.xaxis.set_visible(False)     # no ticks, not even empty ones laid out at each draw
    ax.yaxis.set_visible(False)
    FigureCanvasAgg(fig)
    for spine in ax.spines.values():
        spine.set_color("#999999")
        spine.set_linewidth(0.6)
    furniture = (_scale_bar(ax, scale), _north_arrow(ax, scale))

    handles = [Patch(facecolor=c, edgecolor="#666666", linewidth=0.4,
                     hatch=HIDDEN_HATCH if w == HIDDEN_WORDS else None,
                     label=f"{w} – {n} {'område' if n == 1 else 'områden'}"
                     + (f" ({limits})" if limits else ""))
               for c, w, n, limits in legend.rows]
    if changed.any():
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color=OVERRIDDEN_EDGE, linewidth=1.4, linestyle="--",
                              label=f"{OVERRIDDEN_WORDS} – {int(changed.sum())} "
                                    f"{'område' if changed.sum() == 1 else 'områden'}"))
    context_legend = _context_legend(context)
    handles += [Patch(facecolor=face, edgecolor=edge, linewidth=0.6, label=name)
                for name, face, edge in context_legend]
    wrap = 48 if landscape else 110
    title = textwrap.fill(legend.heading, wrap) + "\n" + textwrap.fill(legend.how, wrap)
    anchor = ((1 - legend_w - margin[0] + 0.015, top), "upper left") if landscape else (
        (margin[0], bottom - 0.01), "upper left")
    fig.legend(handles=handles, title=title, loc=anchor[1], bbox_to_anchor=anchor[0],
               fontsize=7.5 * scale, title_fontsize=8 * scale, frameon=False,
               alignment="left", handlelength=1.6, handleheight=1.2)
    fig.text(margin[0], 8.0 / height, _sources_text(analysis, created, wrap=int(190 * width
                                                                            / 297)),
             fontsize=5.8 * scale, va="bottom", ha="left", color="#333333")

    second = None
    if choice == APPROACH:
        from geo.maps.analysis_map import focus_lines

        second = focus_lines(analysis).reindex(ids).fillna("").tolist()
    labels = _place_labels(fig, ax, areas, order, MAX_LABELS[paper], LABEL_SIZE * scale,
                           second)
    named = _name_neighbours(fig, ax, context, labels, LABEL_SIZE * 0.95 * scale, furniture)
    return PrintMap(fig, legend, labels, paper, tuple(fill), named,
                    tuple(name for name, _, _ in context_legend))


def _context(areas: gpd.GeoDataFrame, limits: tuple[float, float, float, float]) -> dict:
    """The surroundings of the page's map frame ``limits`` (EPSG:3006): the web map's
    (:func:`geo.spatial.context.map_context`) for a lon/lat frame around these limits,
    projected and clipped to them, with each named neighbour's point recomputed inside
    the limits and outside the areas."""
    import shapely

    box = shapely.box(*limits)
    frame = gpd.GeoSeries([box], crs=CRS).to_crs(4326).envelope.iloc[0]
    found = map_context(areas.to_crs(4326).geometry.to_numpy(), frame=frame)

    def projected(geometry: Any) -> Any:
        if geometry is None or geometry.is_empty:
            return None
        clipped = gpd.GeoSeries([geometry], crs=4326).to_crs(CRS).clip(box)
        return None if clipped.empty or clipped.iloc[0].is_empty else clipped.iloc[0]

    parts = found.neighbours.to_crs(CRS).clip(box, keep_geom_type=True)
    parts = parts[~parts.is_empty].copy()
    parts = parts.iloc[np.argsort(-parts.area.to_numpy(), kind="stable")]
    tree = shapely.STRtree(areas.geometry.to_numpy())
    points = []
    for part in parts.geometry.to_numpy():
        near = areas.geometry.to_numpy()[tree.query(part)]
        free = shapely.difference(part, shapely.union_all(near)) if len(near) else part
        points.append(None if free.is_empty else shapely.point_on_surface(free))
    return {"sea": projected(found.sea), "lakes": projected(found.lakes),
            "borders": projected(found.borders),
            "names": [(str(c), str(n), p) for c, n, p in
                      zip(parts["kommun_kod"], parts["kommun"], points, strict=True)
                      if p is not None]}


def _draw_context(ax: Any, context: dict) -> None:
    """Water pale blue and the neighbours' borders grey, under the areas."""
    for water in (context["sea"], context["lakes"]):
        if water is not None:
            gpd.GeoSeries([water], crs=CRS).plot(ax=ax, color=CONTEXT_STYLE["water"],
                                                 linewidth=0, zorder=0)
    if context["borders"] is not None:
        gpd.GeoSeries([context["borders"]], crs=CRS).plot(
            ax=ax, color=CONTEXT_STYLE["border"], linewidth=0.5, zorder=1)


def _context_legend(context: dict) -> list[tuple[str, str, str]]:
    """The surroundings' legend lines present: (words, fill, edge)."""
    rows = [(NEIGHBOURS_NAME, "none", CONTEXT_STYLE["border"])] if context["names"] or \
        context["borders"] is not None else []
    for key, name in (("lakes", LAKES_NAME), ("sea", SEA_NAME)):
        if context[key] is not None:
            rows.append((name, CONTEXT_STYLE["water"], CONTEXT_STYLE["water"]))
    return rows


def _name_neighbours(fig: Any, ax: Any, context: dict, placed: Sequence[Label],
                     size: float, furniture: Sequence[Any] = ()) -> tuple[Label, ...]:
    """Name the neighbouring kommuner in small grey italic, largest first, at most
    :data:`MAX_CONTEXT_LABELS`: a name whose box leaves the map frame or overlaps an area's
    name, the scale bar or north arrow (``furniture``) or a neighbour's already placed is
    left out (the areas' names come first)."""
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    frame = ax.get_window_extent(renderer)
    taken = [(b.box[0], height - b.box[3], b.box[2], height - b.box[1]) for b in placed]
    for artist in furniture:
        parts = [artist, getattr(artist, "arrow_patch", None)]
        for part in (p for p in parts if p is not None):
            b = part.get_window_extent(renderer)
            taken.append((b.x0, b.y0, b.x1, b.y1))
    out = []
    for code, name, point in context["names"][:MAX_CONTEXT_LABELS]:
        text = ax.text(point.x, point.y, name, fontsize=size, style="italic",
                       color=CONTEXT_STYLE["name"], ha="center", va="center", zorder=1.5,
                       clip_on=True)
        b = text.get_window_extent(renderer)
        box = (b.x0, b.y0, b.x1, b.y1)
        inside = (frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0
                  and b.y1 <= frame.y1)
        if not inside or any(overlaps(box, other) for other in taken):
            text.remove()
            continue
        taken.append(box)
        out.append(Label(code, name, (b.x0, height - b.y1, b.x1, height - b.y0)))
    return tuple(out)


def _wrapped(text: str, width_mm: float, size: float, *, bold: bool = False) -> str:
    """``text`` broken into lines that fit ``width_mm`` at ``size`` points (DejaVu Sans: a
    character is on average about 0.55 em wide, 0.6 in bold)."""
    per_line = max(20, int(width_mm / (size * PT_MM * (0.6 if bold else 0.55))))
    return textwrap.fill(text, per_line)


def _sources_text(analysis: Analysis, created: dt.date, wrap: int) -> str:
    sources = "; ".join(s.label() for s in analysis.sources)
    text = (f"Källor: {sources}. Skapad {created.isoformat()} med prevmap. "
            f"{DIGEST_LABEL}: {analysis.digest}.")
    return textwrap.fill(text, wrap)


def _scale_bar(ax: Any, scale: float) -> Any:
    from matplotlib_scalebar.scalebar import ScaleBar

    return ax.add_artist(ScaleBar(1, "m", location="lower left", box_alpha=0.8, frameon=True,
                           font_properties={"size": 7 * scale}, length_fraction=0.22,
                           scale_loc="top"))


def _north_arrow(ax: Any, scale: float) -> Any:
    """An arrow pointing up with an N (SWEREF 99 TM's grid north is true north within a
    degree or so over a kommun)."""
    return ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=10 * scale, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.2,
                            "mutation_scale": 14 * scale})


def _place_labels(fig: Any, ax: Any, areas: gpd.GeoDataFrame, order: np.ndarray,
                  limit: int, size: float, second: Sequence[str] | None = None
                  ) -> tuple[Label, ...]:
    """Name the areas in ``order`` (most need first), at most ``limit``: placed by
    adjustText from a point inside each area, then :func:`_drop_overlaps`. ``second``:
    per row of ``areas`` a line under the name ("" for none); a two-line label that
    overlaps one kept before is tried as the name alone before it is dropped."""
    from adjustText import adjust_text

    points = areas.geometry.representative_point()
    chosen = [int(i) for i in order[:limit]
              if not pd.isna(areas[AREA_NAME].iloc[int(i)])]
    # a pale box, not a stroked halo: path effects turn text into paths, and the SVG's
    # names must stay text (searchable, editable)
    box = {"boxstyle": f"round,pad={LABEL_PAD}", "facecolor": "#ffffff", "edgecolor": "none",
           "alpha": 0.75}
    texts = []
    names = [str(areas[AREA_NAME].iloc[i]) for i in chosen]
    lines = [str(second[i]) if second is not None else "" for i in chosen]
    for rank, i in enumerate(chosen):
        p = points.iloc[i]
        text = names[rank] + (f"\n{lines[rank]}" if lines[rank] else "")
        texts.append(ax.text(p.x, p.y, text, fontsize=size, linespacing=1.1,
                             ha="center", va="center", bbox=box, zorder=5,
                             fontweight="bold" if rank < 5 else "normal"))
    if len(texts) > 1:
        # no crossing checks (adjustText draws no arrows here) and a fixed number of
        # steps, not a time limit: the same map gives the same page
        adjust_text(texts, ax=ax, ensure_inside_axes=True, expand=(1.1, 1.3),
                    prevent_crossings=False, iter_lim=100)
    renderer = fig.canvas.get_renderer()
    pad = LABEL_PAD * size * DPI / 72.0          # the box around the text, in pixels

    def extent(text: Any) -> Any:
        return text.get_window_extent(renderer).expanded(1, 1).padded(pad)

    boxes = [extent(t) for t in texts]
    shorter: list[Any] = [None] * len(texts)
    for k, text in enumerate(texts):
        if lines[k]:      # the name alone, measured where adjustText put the two lines
            text.set_text(names[k])
            shorter[k] = extent(text)
            text.set_text(f"{names[k]}\n{lines[k]}")
    kept = _drop_overlaps([(b.x0, b.y0, b.x1, b.y1) for b in boxes],
                          [None if b is None else (b.x0, b.y0, b.x1, b.y1) for b in shorter])
    for k in kept:
        if kept[k]:       # only the name fitted
            texts[k].set_text(names[k])
            boxes[k], lines[k] = shorter[k], ""
    for k, text in enumerate(texts):
        if k not in kept:
            text.remove()
            continue
        # a leader line from the area to a name that adjustText moved off its point (drawn
        # here, not by adjustText, whose arrows hold on to the names dropped above)
        p, (x, y) = points.iloc[chosen[k]], text.get_position()
        centre = ax.transData.transform((p.x, p.y))
        if not boxes[k].contains(*centre):
            ax.plot([p.x, x], [p.y, y], color="#555555", linewidth=0.4, zorder=4)
        if lines[k]:
            _second_line_smaller(ax, text, renderer, names[k], lines[k], size, box)
    height = fig.bbox.height
    return tuple(Label(str(areas[AREA_ID].iloc[chosen[k]]), names[k],
                       (boxes[k].x0, height - boxes[k].y1, boxes[k].x1, height - boxes[k].y0),
                       lines[k])
                 for k in sorted(kept))


def _second_line_smaller(ax: Any, text: Any, renderer: Any, name: str, line: str,
                         size: float, box: dict) -> None:
    """Split a placed two-line label: the name stays in ``text``, the line under it becomes
    its own text, :data:`SECOND_LINE_SCALE` smaller and not bold, the pair centred where the
    two lines were. Both fit inside the two-line label's box, which the overlap checks used;
    both stay text in an SVG."""
    height = text.get_window_extent(renderer).height     # the two lines, in pixels
    x, y = ax.transData.transform(text.get_position())
    top = y + height / 4                                   # the first line's middle
    below = top - height / 2 * (1 + SECOND_LINE_SCALE) / 2
    invert = ax.transData.inverted()
    text.set_text(name)
    text.set_position(invert.transform((x, top)))
    ax.text(*invert.transform((x, below)), line, fontsize=size * SECOND_LINE_SCALE,
            color="#333333", ha="center", va="center", bbox=box, zorder=5)


def overlaps(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two boxes (x0, y0, x1, y1) share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _drop_overlaps(boxes: Sequence[Sequence[float]],
                   shorter: Sequence[Sequence[float] | None] = ()) -> dict[int, bool]:
    """The labels kept: in order (most need first), each that overlaps none kept before;
    one that does is tried with its ``shorter`` box (the name without its second line,
    None: no such) before it is dropped. Per label kept, whether it is the shorter one."""
    kept: dict[int, bool] = {}
    placed: list[Sequence[float]] = []
    for k, box in enumerate(boxes):
        alternative = shorter[k] if k < len(shorter) else None
        for candidate, short in ((box, False), (alternative, True)):
            if candidate is not None and not any(overlaps(candidate, b) for b in placed):
                kept[k] = short
                placed.append(candidate)
                break
    return kept


def print_map_bytes(analysis: Analysis, fmt: str, choice: str = INDEX, *, paper: str = "A4",
                    created: dt.date | None = None) -> bytes:
    """The print map as a file of ``fmt`` (png, svg, pdf)."""
    return build_print_map(analysis, choice, paper=paper, created=created).to_bytes(fmt)
