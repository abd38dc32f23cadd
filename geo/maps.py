"""The one map builder used by the app and by every export.

Every string that reaches the map comes from files (area names, indicator names,
source texts) and goes through :func:`escape_text` first: HTML special
characters become entities, and so do ``{`` and ``}``, because folium re-parses
rendered macro output as a Jinja template (an area named ``{{ 7*7 }}`` would
otherwise show 49, and ``{% raw %}`` would stop the file from saving).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    FLAG_COUNT,
    MISSING_COUNT,
    RANK,
    SCORE,
    TOP_CONTRIBUTORS,
)
from indicators.io import SourceInfo
from indicators.ranking import RankingResult

from .offline import inline_assets

# ColorBrewer YlOrRd, light (less need) to dark (more need).
PALETTE = {3: ["#ffeda0", "#feb24c", "#f03b20"],
           4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
           5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]}
NO_DATA_COLOUR = "#d9d9d9"
CLASSIFIERS = {"quantiles": ("Kvantiler", mapclassify.Quantiles),
               "fisher_jenks": ("Naturliga brytpunkter (Fisher–Jenks)", mapclassify.FisherJenks),
               "equal_interval": ("Lika intervall", mapclassify.EqualInterval)}
FEATURE_INDEX = "idx"
OVERLAY_LABEL = "label"
POINT_RADIUS = 5  # pixels
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, eq=False)
class MapOverlay:
    """Polygons drawn as an outline above the areas, for comparison (e.g. the police's
    utsatta områden), or points drawn as small circles (e.g. schools). ``label_columns``
    are shown in the tooltip, the first in bold; their values come from files and are
    escaped. ``colour`` is a ``#rrggbb`` colour."""

    name: str
    frame: gpd.GeoDataFrame
    label_columns: tuple[str, ...]
    colour: str = "#7b3294"

    def __post_init__(self) -> None:
        problems = []
        if not self.label_columns:
            problems.append("label_columns är tom: ange minst en kolumn att visa")
        missing = [c for c in self.label_columns if c not in self.frame.columns]
        if missing:
            problems.append(f"kolumnerna {missing} finns inte; finns: "
                            f"{[c for c in self.frame.columns if c != 'geometry']}")
        if self.frame.crs is None:
            problems.append("lagret saknar koordinatsystem (CRS); använd set_crs()")
        if not _HEX_COLOUR.fullmatch(self.colour):
            problems.append(f"färgen {self.colour!r} ska skrivas #rrggbb")
        kinds = set(self.frame.geom_type.dropna())
        if "Point" in kinds and len(kinds) > 1:
            problems.append("lagret blandar punkter och andra geometrier; dela upp det i "
                            "ett punktlager och ett ytlager")
        if problems:
            raise ValueError(f"kartlager {self.name!r}: " + "; ".join(problems) + ".")

    @property
    def is_points(self) -> bool:
        """True for a layer of points (drawn as circles), False for polygons (outlines)."""
        return len(self.frame) > 0 and bool((self.frame.geom_type == "Point").all())


def escape_text(value: object) -> str:
    """Escape a file-supplied string for HTML and for folium's Jinja re-rendering."""
    return html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


def format_number(value: float, decimals: int = 2) -> str:
    """Swedish number format: decimal comma, thin space as thousands separator."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",")


class _Html(MacroElement):
    """A fixed block of pre-escaped HTML placed on the map page."""

    _template = Template("{% macro html(this, kwargs) %}{{ this.content }}{% endmacro %}")

    def __init__(self, content: str):
        super().__init__()
        self._name = "PrevmapPanel"
        self.content = content


class _MetricScale(MacroElement):
    """A metric-only scale bar (folium's control_scale also shows miles)."""

    _template = Template("{% macro script(this, kwargs) %}L.control.scale({imperial: false, "
                         "position: 'topright'}).addTo({{ this._parent.get_name() }});"
                         "{% endmacro %}")


class _Css(MacroElement):
    _template = Template("{% macro header(this, kwargs) %}<style>{{ this.css }}</style>"
                         "{% endmacro %}")

    def __init__(self, css: str):
        super().__init__()
        self.css = css


CSS = """
.leaflet-tooltip { white-space: normal; width: max-content; max-width: 360px; }
.pm-panel { position: absolute; z-index: 1000; background: rgba(255,255,255,0.94);
  padding: 8px 10px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.35);
  font: 13px/1.35 system-ui, -apple-system, 'Segoe UI', Arial, sans-serif; max-width: 380px; }
.pm-title { top: 10px; left: 54px; }
.pm-title h1 { font-size: 15px; margin: 0 0 2px 0; }
.pm-synthetic { color: #b00020; font-weight: 700; }
.pm-legend { bottom: 24px; right: 10px; }
.pm-legend i { display: inline-block; width: 18px; height: 12px; margin-right: 6px;
  border: 1px solid #777; vertical-align: middle; }
.pm-sources { bottom: 24px; left: 10px; font-size: 11px; max-width: 520px; }
.pm-sources summary { cursor: pointer; }
.pm-sources ul { margin: 2px 0 4px 16px; padding: 0; }
.pm-sources p { margin: 2px 0 4px 0; }
.pm-sources pre { white-space: pre-wrap; max-height: 180px; overflow: auto; font-size: 10px; }
"""


def _zoom_for(width_deg: float, height_deg: float, pixels: int = 600) -> int:
    """The web-mercator zoom at which the extent fits in about ``pixels`` (fit_bounds refines
    it where the page honours it; streamlit-folium starts from this zoom)."""
    span = max(width_deg, height_deg * 2, 1e-6)  # a degree of latitude ~ two of longitude here
    return int(max(1, min(18, math.floor(math.log2(360 * pixels / (256 * span))))))


def _classify(scores: np.ndarray, scheme: str, k: int) -> tuple[np.ndarray, list[float]]:
    """Class of each area (-1 = no data) and the class upper bounds."""
    cls = CLASSIFIERS[scheme][1]
    valid = ~np.isnan(scores)
    classes = np.full(len(scores), -1)
    if not valid.any():
        return classes, []
    k = max(1, min(k, len(np.unique(scores[valid]))))
    if k < 3:
        bins = sorted(set(scores[valid].tolist()))
        classes[valid] = np.searchsorted(bins, scores[valid])
        return classes, bins
    fitted = cls(scores[valid], k=k)
    classes[valid] = fitted.yb
    return classes, list(fitted.bins)


def _colours(n_classes: int) -> list[str]:
    """Colours for 1–5 classes; one or two classes take the darkest end of the scale."""
    if n_classes in PALETTE:
        return PALETTE[n_classes]
    return PALETTE[5][-n_classes:] if n_classes < 3 else PALETTE[5]


def _tooltip(row, n_ranked: int, extra: Sequence[str] = ()) -> str:
    """Tooltip of one area; ``extra`` are pre-escaped lines added at the end."""
    name = escape_text(row[AREA_NAME])
    code = escape_text(row[AREA_ID])
    if math.isnan(row[SCORE]):
        return "<br>".join([f"<b>{name}</b> ({code})", "Saknar indikatordata", *extra])
    parts = [f"<b>{name}</b> ({code})",
             f"Rang {int(row[RANK])} av {n_ranked} (1 = störst behov)",
             f"Sammanvägt index: {format_number(row[SCORE])}"]
    if row[TOP_CONTRIBUTORS]:
        parts.append("Bidrar mest: " + escape_text(row[TOP_CONTRIBUTORS]))
    parts.append(f"Flaggade indikatorer: {int(row[FLAG_COUNT])}")
    if row[MISSING_COUNT]:
        parts.append(f"Saknade värden: {int(row[MISSING_COUNT])}")
    return "<br>".join([*parts, *extra])


def _detail_lines(details: pd.DataFrame | None, area_ids: Sequence[str]) -> list[list[str]]:
    """Per area, the escaped lines ``label: value`` of ``details`` (empty values skipped)."""
    if details is None:
        return [[] for _ in area_ids]
    out = []
    for area_id in area_ids:
        lines = []
        if area_id in details.index:
            for label, value in details.loc[area_id].items():
                if value is None or pd.isna(value) or str(value) == "":
                    continue
                lines.append(f"{escape_text(label)}: {escape_text(value)}")
        out.append(lines)
    return out


def _overlay_tooltip(values: Sequence[object]) -> str:
    texts = [escape_text(v) for v in values if v is not None and not pd.isna(v)]
    return "<br>".join(([f"<b>{texts[0]}</b>"] + texts[1:]) if texts else [])


def _add_overlay(fmap: folium.Map, overlay: MapOverlay) -> None:
    wgs = overlay.frame.to_crs(4326)
    features = gpd.GeoDataFrame({
        OVERLAY_LABEL: [_overlay_tooltip([row[c] for c in overlay.label_columns])
                        for _, row in wgs.iterrows()],
    }, geometry=wgs.geometry.values, crs=4326)
    colour = overlay.colour
    tooltip = folium.GeoJsonTooltip(fields=[OVERLAY_LABEL], labels=False, sticky=True)
    if overlay.is_points:
        # Vector circles (no icon images): the page still asks no other host for anything.
        style = {"color": "#ffffff", "weight": 1, "fill": True, "fillColor": colour,
                 "fillOpacity": 0.9}
        folium.GeoJson(
            features, name=escape_text(overlay.name),
            marker=folium.CircleMarker(radius=POINT_RADIUS),
            style_function=lambda _: style, tooltip=tooltip,
        ).add_to(fmap)
        return
    # No fill: an unfilled SVG path takes the pointer only on its outline, so the areas
    # beneath keep their tooltips and clicks.
    folium.GeoJson(
        features, name=escape_text(overlay.name),
        style_function=lambda _: {"fill": False, "color": colour, "weight": 2.5,
                                  "dashArray": "6 4"},
        tooltip=tooltip,
    ).add_to(fmap)


def _overlay_key(overlay: MapOverlay) -> str:
    """The overlay's legend symbol: a filled circle for points, a dashed box for polygons."""
    if overlay.is_points:
        return (f'<i style="background:{overlay.colour};border:1px solid #ffffff;'
                'border-radius:50%;width:10px;height:10px;margin:0 10px 0 4px"></i>')
    return f'<i style="background:none;border:2px dashed {overlay.colour}"></i>'


def _legend(bins: list[float], colours: list[str], scheme: str, has_missing: bool,
            overlays: Sequence[MapOverlay] = ()) -> str:
    rows, lower = [], None
    for upper, colour in zip(bins, colours, strict=False):
        span = (f"{format_number(lower)} – {format_number(upper)}" if lower is not None
                else f"≤ {format_number(upper)}")
        rows.append(f'<div><i style="background:{colour}"></i>{span}</div>')
        lower = upper
    rows.reverse()  # most need on top
    if has_missing:
        rows.append(f'<div><i style="background:{NO_DATA_COLOUR}"></i>Saknar data</div>')
    rows += [f"<div>{_overlay_key(o)}{escape_text(o.name)}</div>" for o in overlays]
    return (f'<div class="pm-panel pm-legend"><b>Sammanvägt behov</b><br>'
            f'<small>{escape_text(CLASSIFIERS[scheme][0])}, högre = större behov</small>'
            + "".join(rows) + "</div>")


def build_map(areas: gpd.GeoDataFrame, result: RankingResult, *, title: str,
              sources: Sequence[SourceInfo], created: dt.date | None = None,
              scheme: str = "quantiles", k: int = 5, tiles: str | None = None,
              notes: Sequence[str] = (), overlays: Sequence[MapOverlay] = (),
              details: pd.DataFrame | None = None,
              method: Sequence[tuple[str, Sequence[str]]] = ()) -> folium.Map:
    """Build the needs map: areas coloured by composite score, with legend, tooltip,
    title, sources, date, method and settings.

    ``areas`` is the output of :func:`geo.join.join_areas`. ``tiles`` is None (no
    background, nothing is requested from a tile server) or a folium tile name/URL.
    ``overlays`` are drawn above the areas (polygons as dashed outlines, points as small
    circles), each a layer of its own with a legend entry. ``details`` adds tooltip lines
    ``column: value`` per area (index ``area_id``, one column per line, empty values left
    out). ``method`` is the method page as (heading, paragraphs), written into the panel
    that opens under the sources.
    """
    if scheme not in CLASSIFIERS:
        raise ValueError(f"okänd klassindelning {scheme!r}; välj en av {sorted(CLASSIFIERS)}")
    created = created or dt.date.today()
    wgs = areas.to_crs(4326)
    scores = wgs[SCORE].to_numpy(dtype=float)
    classes, bins = _classify(scores, scheme, k)
    colours = _colours(len(bins))
    n_ranked = int(result.score.notna().sum())

    features = gpd.GeoDataFrame({
        FEATURE_INDEX: np.arange(len(wgs)),
        "fill": [colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes],
        "tooltip": [_tooltip(row, n_ranked, extra) for (_, row), extra in
                    zip(wgs.iterrows(), _detail_lines(details, list(wgs[AREA_ID])),
                        strict=True)],
    }, geometry=wgs.geometry.values, crs=4326)

    minx, miny, maxx, maxy = wgs.total_bounds
    # A tile URL (a municipal tile server) needs an attribution; a folium name does not.
    attr = ("Bakgrundskarta: " + escape_text(tiles.split("/")[2])
            if tiles and tiles.startswith(("http://", "https://")) else None)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=tiles, attr=attr,
                      zoom_start=_zoom_for(maxx - minx, maxy - miny), control_scale=False)
    # Only Leaflet itself: the map uses no icon markers (points are vector circles), icons
    # or Bootstrap, so the page asks no other third-party host for anything.
    # render_map_html inlines these (geo.offline); the app's live map loads them from the CDN.
    fmap.default_js = [js for js in folium.Map.default_js if js[0] == "leaflet"]
    fmap.default_css = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    outline = gpd.GeoDataFrame(geometry=[wgs.geometry.union_all()], crs=4326)
    folium.GeoJson(outline, name="Kommungräns", interactive=False,
                   style_function=lambda _: {"fill": False, "color": "#333333",
                                             "weight": 2.5}).add_to(fmap)
    folium.GeoJson(
        features, name="Sammanvägt behov",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555555",
                                  "weight": 1, "fillOpacity": 0.8},
        highlight_function=lambda _: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    ).add_to(fmap)
    for overlay in overlays:
        _add_overlay(fmap, overlay)
    folium.LayerControl(collapsed=True).add_to(fmap)

    synthetic = any(s.synthetic for s in sources)
    heading = escape_text(title)
    sub = escape_text(result.settings.name) if result.settings.name else ""
    title_html = f'<div class="pm-panel pm-title"><h1>{heading}</h1>'
    if sub:
        title_html += f"<div>Profil: {sub}</div>"
    if synthetic:
        title_html += ('<div class="pm-synthetic">SYNTETISKA DEMODATA – värdena är påhittade '
                       "och beskriver inte verkliga områden</div>")
    title_html += "</div>"
    source_items = "".join(f"<li>{escape_text(s.label())}</li>" for s in sources)
    note_items = "".join(f"<li>{escape_text(n)}</li>" for n in notes)
    short = "; ".join(escape_text(s.title) for s in sources)
    footer = (f'<div class="pm-panel pm-sources"><details><summary><b>Källor:</b> {short}. '
              f"Skapad {created.isoformat()} med prevmap.</summary>"
              f"<ul>{source_items}</ul>"
              + (f"<b>Om data</b><ul>{note_items}</ul>" if notes else "")
              + f"<b>Metod</b><p>{escape_text(result.method_summary())}</p>"
              + "".join(f"<h3>{escape_text(heading)}</h3>"
                        + "".join(f"<p>{escape_text(p)}</p>" for p in paragraphs)
                        for heading, paragraphs in method)
              + f"<b>Inställningar</b><pre>{escape_text(result.settings.to_toml())}</pre>"
              "</details></div>")

    root = fmap.get_root()
    root.title = heading + (" (syntetiska demodata)" if synthetic else "")
    _Css(CSS).add_to(fmap)
    _MetricScale().add_to(fmap)
    legend = _legend(bins, colours, scheme, bool((classes < 0).any()), overlays)
    for block in (title_html, legend, footer):
        _Html(block).add_to(fmap)
    _stable_ids(root)
    return fmap


def _stable_ids(root: Element) -> None:
    """Number the elements in tree order instead of folium's random uuids, so that the same
    analysis exports byte-identical files (diffable, and the app and the CLI agree)."""
    counter = 0

    def visit(element: Element) -> None:
        nonlocal counter
        counter += 1
        element._id = f"{counter:032x}"
        for child in element._children.values():
            visit(child)

    visit(root)


def export_map_html(fmap: folium.Map, path: str | Path) -> Path:
    """Write the map as one self-contained HTML file (its title, legend, method, sources,
    date and settings are part of the map itself, see :func:`build_map`; Leaflet is inlined,
    see :func:`render_map_html`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_map_html(fmap).encode("utf-8"))
    return path


def render_map_html(fmap: folium.Map) -> str:
    """The map page as a string (what :func:`export_map_html` writes).

    Self-contained: the Leaflet script and stylesheet folium links from a CDN are inlined
    from folium-offline (:func:`geo.offline.inline_assets`, which refuses any other
    resource the page would fetch), so the file opens without internet. Only a background
    tile layer, if asked for (``tiles=``), still needs the net. The libraries add about
    170 kB.

    Render a map once: folium adds elements to it on every render, so a second render of
    the same map differs from the first (tested). Build the map again instead.
    """
    return inline_assets(fmap.get_root().render())
