"""The exported map page: a map view (:mod:`geo.maps.mapview`) as a self-contained folium
page, the one every export writes (HTML, PNG, PDF, the report's map). The app draws the
same view with its own component (``map_component.py``).

Every string that reaches the map comes from files (area names, indicator names,
source texts) and goes through :func:`escape_text` first: HTML special
characters become entities, and so do ``{`` and ``}``, because folium re-parses
rendered macro output as a Jinja template (an area named ``{{ 7*7 }}`` would
otherwise show 49, and ``{% raw %}`` would stop the file from saving).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from folium.map import Layer
from jinja2 import Template

from geo.io.files import SourceInfo
from geo.maps.mapview import (
    CONTEXT_LAYER,
    SCRIPT,
    MapView,
    area_view,
    escape_text,
)
from geo.maps.offline import inline_assets
from geo.spatial.layers import MapOverlay
from indicators.ranking import RankingResult

__all__ = ["TILE_URL_RULE", "build_map", "chosen_tiles", "export_map_html", "page_from_view",
           "render_map_html"]


class _Raw(Element):
    """Rendered text placed on the page as it is."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _RenderOnce(MacroElement):
    """A MacroElement whose rendered macros go on the page as they are.

    branca wraps each rendered macro in an ``Element`` that compiles that text as a new
    Jinja template and renders it again: for a layer carrying its features (hundreds of
    kB) that second compile was most of the map's rendering time. As a mixin after a
    folium class (``class X(Layer, _RenderOnce)``) it keeps folium's own ``render`` steps.
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_Raw(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _Html(_RenderOnce):
    """A fixed block of pre-escaped HTML placed on the map page."""

    _template = Template("{% macro html(this, kwargs) %}{{ this.content }}{% endmacro %}")

    def __init__(self, content: str):
        super().__init__()
        self._name = "PrevmapPanel"
        self.content = content


class _MetricScale(_RenderOnce):
    """A metric-only scale bar (folium's control_scale also shows miles)."""

    _template = Template("{% macro script(this, kwargs) %}L.control.scale({imperial: false, "
                         "position: 'topright'}).addTo({{ this._parent.get_name() }});"
                         "{% endmacro %}")


class _WatchTiles(_RenderOnce):
    """Say on the map when its background tiles cannot be loaded."""

    _template = Template("{% macro script(this, kwargs) %}PrevmapMap.watchAllTiles("
                         "{{ this._parent.get_name() }});{% endmacro %}")


class _FitWhenShown(_RenderOnce):
    """Fit the map to its areas again once its box has a size: a map made while hidden (in
    the report's folded sections, an iframe not yet shown) has no size, and Leaflet fits it
    to the whole world."""

    _template = Template("""{% macro script(this, kwargs) %}
(function(map, bounds) {
    var fitted = map.getContainer().clientWidth > 0;
    if (fitted || typeof ResizeObserver === "undefined") { return; }
    var observer = new ResizeObserver(function() {
        if (!fitted && map.getContainer().clientWidth > 0) {
            fitted = true;
            observer.disconnect();
            map.invalidateSize();
            map.fitBounds(bounds);
        }
    });
    observer.observe(map.getContainer());
})({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
{% endmacro %}""")

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self.bounds = bounds


class _Css(_RenderOnce):
    _template = Template("{% macro header(this, kwargs) %}<style>{{ this.css }}</style>"
                         "{% endmacro %}")

    def __init__(self, css: str):
        super().__init__()
        self.css = css


#: The map's look, shared by the exported page and the app's component: the title above
#: the map, the legend beside it and the sources below it (:data:`PAGE_CSS` lays them
#: out), so that nothing covers an area; tooltips small, opaque and above everything (the
#: page script places them clear of the map's edges and controls); the keyboard's hint at
#: the foot of the map while an area has the focus, the focused area outlined in blue.
CSS = """
.leaflet-tooltip-pane { z-index: 1100; }
.leaflet-tooltip { white-space: normal; width: max-content; max-width: 260px; opacity: 1;
  background: #ffffff; color: #1a1a1a; font: 11px/1.3 system-ui, -apple-system, 'Segoe UI',
  Arial, sans-serif; padding: 3px 6px; }
.pm-popup .leaflet-popup-content { font: 12px/1.35 system-ui, -apple-system, 'Segoe UI',
  Arial, sans-serif; color: #1a1a1a; margin: 8px 12px; }
.leaflet-container path.leaflet-interactive:focus { outline: none; }
.pm-keys { display: none; position: absolute; z-index: 1000; left: 10px; bottom: 22px;
  max-width: 60%; background: #ffffff; color: #1a1a1a; border: 2px solid #0b4fd1;
  padding: 3px 8px; font: 12px/1.3 system-ui, -apple-system, 'Segoe UI', Arial, sans-serif; }
.pm-panel { background: #ffffff; padding: 6px 10px; box-sizing: border-box;
  font: 13px/1.35 system-ui, -apple-system, 'Segoe UI', Arial, sans-serif; color: #1a1a1a; }
.pm-title { grid-area: title; border-bottom: 1px solid #cccccc; }
.pm-title h1 { font-size: 16px; margin: 0 0 2px 0; }
.pm-subtitle { color: #333333; }
.pm-synthetic { color: #b00020; font-weight: 700; }
.pm-error { position: absolute; z-index: 1000; top: 40%; left: 20%; right: 20%;
  color: #b00020; font-weight: 600; box-shadow: 0 1px 4px rgba(0,0,0,0.35); }
.pm-tile-error { position: absolute; z-index: 1000; top: 10px; left: 50px; right: 60px;
  background: #fff4e5; color: #5c3b00; border: 1px solid #b36b00; padding: 4px 8px;
  font: 12px/1.3 system-ui, -apple-system, 'Segoe UI', Arial, sans-serif; }
.pm-legend { grid-area: legend; width: 240px; overflow: auto; border-left: 1px solid #cccccc; }
.pm-legend div { margin: 2px 0; }
.pm-legend i { display: inline-block; width: 18px; height: 12px; margin-right: 6px;
  border: 1px solid #777; vertical-align: middle; }
.pm-how { font-size: 11px; color: #333333; margin-top: 4px !important; }
.pm-sources { grid-area: sources; font-size: 11px; border-top: 1px solid #cccccc; }
.pm-sources summary { cursor: pointer; }
.pm-sources ul { margin: 2px 0 4px 16px; padding: 0; }
.pm-sources p { margin: 2px 0 4px 0; }
.pm-sources pre { white-space: pre-wrap; max-height: 180px; overflow: auto; font-size: 10px; }
.pm-label { color: #111111; font: 600 11px/16px system-ui, -apple-system, 'Segoe UI', Arial,
  sans-serif; text-align: center; white-space: nowrap; text-shadow: 0 0 2px #fff, 0 0 2px #fff,
  0 0 3px #fff; }
.pm-label-top { font-weight: 800; }
.pm-label-focus { display: block; color: #1a1a1a; font: 500 10px/14px system-ui, -apple-system,
  'Segoe UI', Arial, sans-serif; }
.pm-label-rank { background: #ffffff; border: 1px solid #333333; border-radius: 8px;
  box-sizing: border-box; line-height: 14px; text-shadow: none; }
.pm-context-name { color: #6e6e6e; font: italic 10px/14px system-ui, -apple-system, 'Segoe UI',
  Arial, sans-serif; text-align: center; white-space: nowrap; text-shadow: 0 0 2px #fff; }
.pm-map { grid-area: map; }
"""
#: The page around the map: title above, legend right, sources below (a grid over the
#: page; folium's map element takes the middle cell).
PAGE_CSS = """
body { display: grid; grid-template-columns: minmax(0, 1fr) auto;
  grid-template-rows: auto minmax(0, 1fr) auto;
  grid-template-areas: "title title" "map legend" "sources sources"; height: 100vh; }
.folium-map { grid-area: map; width: auto !important; height: auto !important;
  min-height: 300px; }
"""


def _zoom_for(width_deg: float, height_deg: float, pixels: int = 600) -> int:
    """The web-mercator zoom at which the extent fits in about ``pixels`` (the page starts
    from it; fit_bounds refines it)."""
    span = max(width_deg, height_deg * 2, 1e-6)  # a degree of latitude ~ two of longitude here
    return int(max(1, min(18, math.floor(math.log2(360 * pixels / (256 * span))))))


class _Script(_RenderOnce):
    """The compact format's page script (``geo/maps/web/prevmap_map.js``), once per page,
    after Leaflet."""

    _template = Template("{% macro header(this, kwargs) %}<script>{{ this.text }}</script>"
                         "{% endmacro %}")

    def __init__(self):
        super().__init__()
        self._name = "PrevmapScript"
        self.text = _script_text()


@functools.cache
def _script_text() -> str:
    return SCRIPT.read_text(encoding="utf-8").replace("</", "<\\/")


class _Data(_RenderOnce):
    """The map's shape and values as JSON in the page (``<script type="application/json">``
    elements the layers parse; tests/map_pages.py reads them back)."""

    _template = Template("""{% macro html(this, kwargs) %}<script type="application/json" \
id="pm-shape">{{ this.shape }}</script><script type="application/json" id="pm-values">\
{{ this.values }}</script>{% endmacro %}
{% macro script(this, kwargs) %}
var pm_shape = JSON.parse(document.getElementById("pm-shape").textContent);
var pm_values = JSON.parse(document.getElementById("pm-values").textContent);
{% endmacro %}""")

    def __init__(self, view: MapView):
        super().__init__()
        self._name = "PrevmapData"
        self.shape = view.shape.text
        self.values = view.values_json()


class _CompactLayer(Layer, _RenderOnce):
    """A layer of the compact format: ``kind`` is ``areas`` (the areas, filled, with their
    tooltips), ``boundary`` (the layer's outer border), ``outline`` (outline number
    ``index`` of the values: hot spots, uncertain placement), ``context`` (the
    neighbouring kommuner and water under the areas) or ``overlay`` (layer number
    ``index`` from another source, of the shape)."""

    _template = Template("""{% macro script(this, kwargs) %}
{%- if this.kind == "areas" %}
var {{ this.get_name() }} = PrevmapMap.areaLayer(pm_shape, pm_values,
    {style: {{ this.style }}, highlight: {{ this.highlight }}});
{%- elif this.kind == "boundary" %}
var {{ this.get_name() }} = L.geoJson(PrevmapMap.boundary(pm_shape.topology, pm_shape.boundary),
    {interactive: false, style: {{ this.style }}});
{%- elif this.kind == "labels" %}
var {{ this.get_name() }} = PrevmapMap.labelLayer({{ this.areas.get_name() }}, pm_shape,
    pm_values);
{%- elif this.kind == "context" %}
var {{ this.get_name() }} = PrevmapMap.contextLayer(pm_shape.context);
{%- elif this.kind == "overlay" %}
var {{ this.get_name() }} = PrevmapMap.overlayLayer(pm_shape.overlays[{{ this.index }}]);
{%- else %}
var {{ this.get_name() }} = PrevmapMap.outlineLayer({{ this.areas.get_name() }},
    pm_values.outlines[{{ this.index }}]);
{%- endif %}
{% endmacro %}""")

    def __init__(self, kind: str, *, name: str, style: dict | None = None,
                 highlight: dict | None = None, areas: _CompactLayer | None = None,
                 index: int = 0) -> None:
        super().__init__(name=name, overlay=True, control=True)
        self._name = "GeoJson"
        self.kind = kind
        self.style = json.dumps(style or {})
        self.highlight = json.dumps(highlight or {})
        self.areas = areas
        self.index = index


AREA_STYLE = {"color": "#555555", "weight": 1, "fillOpacity": 0.8}
HIGHLIGHT = {"weight": 3, "color": "#000000"}
BOUNDARY_STYLE = {"fill": False, "color": "#333333", "weight": 2.5}


def build_map(areas: gpd.GeoDataFrame, result: RankingResult, *, title: str,
              sources: Sequence[SourceInfo], created: dt.date | None = None,
              scheme: str = "quantiles", k: int = 5, tiles: str | None = None,
              notes: Sequence[str] = (), overlays: Sequence[MapOverlay] = (),
              details: pd.DataFrame | None = None,
              method: Sequence[tuple[str, Sequence[str]]] = (),
              max_bytes: int | None = None, classify_on: Sequence[float] | None = None,
              classes_of: str | None = None, digest: str | None = None) -> folium.Map:
    """Build the needs map: areas coloured by composite score, with legend, tooltip,
    title, sources, date, method and settings.

    ``areas`` is the output of :func:`geo.spatial.join.join_areas`. ``tiles`` is None (no
    background, nothing is requested from a tile server) or a folium tile name/URL.
    ``overlays`` are drawn above the areas (polygons as dashed outlines, points as small
    circles), each a layer of its own with a legend entry. ``details`` adds tooltip lines
    ``column: value`` per area (index ``area_id``, one column per line, empty values left
    out). ``method`` is the method page as (heading, paragraphs), written into the panel
    that opens under the sources. ``classify_on``: the scores whose class limits colour the
    map (all areas of a län when ``areas`` are one kommun's), named ``classes_of`` in the
    legend; by default ``areas``' own. ``digest`` (of the inputs, see
    :attr:`geo.analysis.Analysis.digest`) is written under the settings.

    The page is in the compact map format (:mod:`geo.maps.mapview`): the borders as a
    TopoJSON topology drawn from display geometry (:mod:`geo.spatial.display`), simplified
    with shared edges kept so that the page stays under about ``max_bytes`` (by default
    :func:`geo.maps.mapview.map_max_bytes`) whatever the number of areas, and the
    tooltips as one table the page script fills in.
    """
    view = area_view(areas, result, title=title, sources=sources, created=created,
                     scheme=scheme, k=k, notes=notes, overlays=overlays, details=details,
                     method=method, max_bytes=max_bytes, classify_on=classify_on,
                     classes_of=classes_of, digest=digest)
    return page_from_view(view, tiles=tiles, layer_name="Sammanvägt behov")


def page_from_view(view: MapView, *, tiles: str | None, layer_name: str,
                   boundary: str | None = "Kommungräns") -> folium.Map:
    """The folium page of ``view``: the surroundings under the areas (when the shape has
    them), the outer border (named ``boundary``; None: not drawn),
    the areas (``layer_name``), the outlines and other-source layers of the view, its
    panels, and the layer control."""
    fmap = _base_map(view.shape.bounds, tiles)
    _Script().add_to(fmap)
    _Data(view).add_to(fmap)
    if view.shape.context:
        _CompactLayer("context", name=CONTEXT_LAYER).add_to(fmap)
    if boundary:
        _CompactLayer("boundary", name=boundary, style=BOUNDARY_STYLE).add_to(fmap)
    areas = _CompactLayer("areas", name=escape_text(layer_name), style=AREA_STYLE,
                          highlight=HIGHLIGHT).add_to(fmap)
    _CompactLayer("labels", name=LABELS, areas=areas).add_to(fmap)
    for index, outline in enumerate(view.values.get("outlines", ())):
        _CompactLayer("outline", name=outline["name"], areas=areas, index=index).add_to(fmap)
    for index, name in enumerate(view.overlay_names):
        _CompactLayer("overlay", name=name, index=index).add_to(fmap)
    return _finish(fmap, view.panels)


#: The layer of area names, as the layer control lists it.
LABELS = "Områdesnamn"


DEFAULT_TILES = "OpenStreetMap"
TILE_URL_RULE = ("Kartserverns adress ska börja med https:// och innehålla {z}, {x} och {y}; "
                 "OpenStreetMap används i stället.")


def chosen_tiles(url: str) -> tuple[str, str | None]:
    """The background tiles for a tile server address the user typed (empty: OpenStreetMap),
    and why it was not used when it cannot be (:data:`TILE_URL_RULE`): only https with the
    {z}, {x} and {y} placeholders Leaflet fills in."""
    url = url.strip()
    if not url:
        return DEFAULT_TILES, None
    if url.startswith("https://") and all(f"{{{c}}}" in url for c in "zxy"):
        return url, None
    return DEFAULT_TILES, TILE_URL_RULE


def tile_attribution(tiles: str | None) -> str | None:
    """The attribution a tile URL (a municipal tile server) needs, escaped: its host; None
    for no tiles or a folium name (folium knows its own)."""
    if tiles and tiles.startswith(("http://", "https://")):
        return "Bakgrundskarta: " + escape_text(tiles.split("/")[2])
    return None


#: The map fits its areas in quarter zoom steps (Leaflet's default is whole steps: the areas
#: then filled as little as half the map); the buttons and the wheel still zoom by whole
#: steps.
ZOOM_SNAP = 0.25


def _base_map(bounds: list[list[float]], tiles: str | None) -> folium.Map:
    """An empty map fitted to ``bounds`` ([[south, west], [north, east]]), with Leaflet only
    and the tiles asked for."""
    (miny, minx), (maxy, maxx) = bounds
    attr = tile_attribution(tiles)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=tiles, attr=attr,
                      zoom_start=_zoom_for(maxx - minx, maxy - miny), control_scale=False,
                      zoom_snap=ZOOM_SNAP, zoom_delta=1)
    # Only Leaflet itself: the map uses no icon markers (points are vector circles), icons
    # or Bootstrap, so the page asks no other third-party host for anything.
    # render_map_html inlines these (geo.maps.offline).
    fmap.default_js = [js for js in folium.Map.default_js if js[0] == "leaflet"]
    fmap.default_css = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]
    fmap.fit_bounds(bounds)
    _FitWhenShown(bounds).add_to(fmap)
    return fmap


def _finish(fmap: folium.Map, panels: dict) -> folium.Map:
    """Add the layer control, the ``panels`` (title, legend, sources) and the page title,
    and number the elements."""
    folium.LayerControl(collapsed=True).add_to(fmap)
    root = fmap.get_root()
    root.title = panels["page_title"]
    _Css(CSS + PAGE_CSS).add_to(fmap)
    _MetricScale().add_to(fmap)
    _WatchTiles().add_to(fmap)
    for block in (panels["title"], panels["legend"], panels["sources"]):
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
    from folium-offline (:func:`geo.maps.offline.inline_assets`, which refuses any other
    resource the page would fetch), so the file opens without internet. Only a background
    tile layer, if asked for (``tiles=``), still needs the net. The libraries add about
    170 kB.

    Render a map once: folium adds elements to it on every render, so a second render of
    the same map differs from the first (tested). Build the map again instead.
    """
    # lang="sv": a screen reader reads the page with a Swedish voice (branca writes no lang);
    # and the page may be zoomed (folium's viewport forbids it: WCAG 1.4.4, axe's meta-viewport).
    page = fmap.get_root().render().replace("<html>", "<html lang=\"sv\">", 1)
    return inline_assets(page.replace(", maximum-scale=1.0, user-scalable=no", ""))
