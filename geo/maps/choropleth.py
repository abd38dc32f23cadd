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
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from jinja2 import Template

from geo.io.files import SourceInfo
from geo.maps.offline import inline_assets
from geo.spatial.display import DisplayGeometry, display_geometry, vertex_budget_for
from geo.spatial.layers import MapOverlay
from indicators.columns import (
    AREA_ID,
    AREA_NAME,
    FLAG_COUNT,
    MISSING_COUNT,
    RANK,
    SCORE,
    TOP_CONTRIBUTORS,
)
from indicators.ranking import RankingResult
from indicators.swedish import format_number

# ColorBrewer YlOrRd, light (less need) to dark (more need).
PALETTE = {3: ["#ffeda0", "#feb24c", "#f03b20"],
           4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
           5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]}
NO_DATA_COLOUR = "#d9d9d9"


def quantile_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes, as mapclassify's ``Quantiles`` computes them
    (linear percentiles at 100/k, 200/k, …, 100; repeats collapsed), in numpy: importing
    mapclassify costs 0.4 s of every start (issue 17)."""
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    ordered = np.sort(np.asarray(values, dtype=float))
    return np.unique([_score_at(ordered, per) for per in p])


def _score_at(ordered: np.ndarray, per: float) -> float:
    """scipy's ``scoreatpercentile`` (linear, "fraction"), operation for operation, so
    that the limits are mapclassify's to the last bit."""
    idx = per / 100.0 * (len(ordered) - 1)
    i = int(idx)
    if i == idx:
        return float(ordered[i])
    weights = np.array([(i + 1 - idx), (idx - i)], float)
    return float(np.add.reduce(ordered[i:i + 2] * weights) / weights.sum())


def equal_interval_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` classes of equal width, as mapclassify's ``EqualInterval``."""
    low, high = float(np.min(values)), float(np.max(values))
    width = (high - low) / k
    cuts = np.arange(low + width, high + width, width)
    if len(cuts) > k:
        cuts = cuts[:k]
    cuts[-1] = high
    return cuts


def fisher_jenks_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` natural-breaks classes (mapclassify's ``FisherJenks``, imported
    only when this scheme is chosen)."""
    import mapclassify

    return np.asarray(mapclassify.FisherJenks(values, k=k).bins)


CLASSIFIERS = {"quantiles": ("Kvantiler", quantile_bins),
               "fisher_jenks": ("Naturliga brytpunkter (Fisher–Jenks)", fisher_jenks_bins),
               "equal_interval": ("Lika intervall", equal_interval_bins)}
FEATURE_INDEX = "idx"
OVERLAY_LABEL = "label"
POINT_RADIUS = 5  # pixels
#: An exported map of any number of areas stays under this size: the display geometry is
#: simplified to the vertex budget left after the libraries, panels and tooltips.
MAP_MAX_BYTES = 3_000_000
#: What a map costs besides its features: Leaflet inlined (~170 kB), panels, method, settings.
MAP_FIXED_BYTES = 230_000
BYTES_PER_VERTEX = 22.0  # "[17.93452,59.12345]," at 5 decimals, with the brackets
#: An area's feature besides its vertices: the tooltip with the certainty lines (~480 bytes
#: measured on all RegSO), the feature's frame, and its share of the outline overlays
#: (hot spots, uncertain placement: ~60 bytes per area drawn). A fixed estimate, not the
#: measured tooltips: the budget, and so the cached display geometry, must not change
#: when a weight does.
BYTES_PER_AREA = 600.0
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")




#: How every export names :attr:`geo.analysis.Analysis.digest`, beside the settings.
DIGEST_LABEL = "Indata (SHA-256)"


def escape_text(value: object) -> str:
    """Escape a file-supplied string for HTML and for folium's Jinja re-rendering."""
    return html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


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


class _FitWhenShown(_RenderOnce):
    """Fit the map to its areas again once its box has a size: a map made while hidden (in
    a tab not shown, as in the app) has no size, and Leaflet fits it to the whole world."""

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


class _FeatureLayer(Layer, _RenderOnce):
    """A GeoJSON layer from pre-serialised features, for thousands of areas.

    ``folium.GeoJson`` serialises, styles and highlights every feature in Python (seconds
    for all of Sweden's RegSO); here the features are one JSON text built by
    :func:`_feature_collection`, styled in the browser from their ``fill`` property, and
    the tooltip is the pre-escaped HTML in property ``tooltip_key``. ``radius`` draws points
    as vector circles. With ``borrow`` (a layer added before this one) each feature's
    geometry is ``null`` in the page and taken from ``borrow``'s feature number
    ``properties.idx``. The page script has the same shape as folium's
    (``geo_json_<id>_add({...})``), so a map reads the same either way."""

    _template = Template("""{% macro script(this, kwargs) %}
var {{ this.get_name() }}_data = null;
var {{ this.get_name() }} = L.geoJson(null, {
{%- if not this.interactive %}
    interactive: false,
{%- endif %}
    style: function(feature) {
        var style = Object.assign({}, {{ this.style }});
        if (feature.properties.fill) { style.fillColor = feature.properties.fill; }
        return style;
    },
{%- if this.radius %}
    pointToLayer: function(feature, latlng) {
        return L.circleMarker(latlng, {radius: {{ this.radius }}});
    },
{%- endif %}
    onEachFeature: function(feature, layer) {
{%- if this.tooltip_key %}
        layer.bindTooltip(feature.properties[{{ this.tooltip_key|tojson }}], {sticky: true});
{%- endif %}
{%- if this.highlight %}
        layer.on({
            mouseover: function(e) { e.target.setStyle({{ this.highlight }}); },
            mouseout: function(e) { {{ this.get_name() }}.resetStyle(e.target); }
        });
{%- endif %}
    }
});
function {{ this.get_name() }}_add(data) {
{%- if this.borrow %}
    var from = {{ this.borrow.get_name() }}_data.features;
    data.features.forEach(function(f) { f.geometry = from[f.properties.idx].geometry; });
{%- else %}
    {{ this.get_name() }}_data = data;
{%- endif %}
    {{ this.get_name() }}.addData(data);
}
{{ this.get_name() }}_add({{ this.data }});
{% endmacro %}""")

    def __init__(self, data: str, *, name: str, style: dict[str, object],
                 tooltip_key: str | None = None, highlight: dict[str, object] | None = None,
                 radius: int | None = None, interactive: bool = True,
                 control: bool = True, borrow: _FeatureLayer | None = None) -> None:
        super().__init__(name=name, overlay=True, control=control)
        self._name = "GeoJson"
        self.data = data
        self.style = json.dumps(style)
        self.tooltip_key = tooltip_key
        self.highlight = json.dumps(highlight) if highlight else None
        self.radius = radius
        self.interactive = interactive
        self.borrow = borrow


def _json_for_script(text: str) -> str:
    """JSON text made safe inside a <script> element: no ``</`` can end it and no ``<!--``
    can open a comment (``<\\/`` and ``\\u003c!--`` read back as the same JSON). Tooltip
    markup stays short, unlike with Jinja's ``tojson`` (6 bytes for every ``<`` and ``>``)."""
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def _feature_collection(geometry: np.ndarray, properties: Sequence[dict[str, object]]) -> str:
    """A GeoJSON FeatureCollection as compact JSON: geometry written by GEOS (coordinates as
    rounded by :mod:`geo.spatial.display`), properties by :func:`json.dumps`; a missing geometry is
    ``null`` (the feature is kept, as GeoJSON allows)."""
    shapes = shapely.to_geojson(geometry)
    features = [
        '{"type":"Feature","properties":'
        + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
        + ',"geometry":' + (shape if shape is not None else "null") + "}"
        for props, shape in zip(properties, shapes, strict=True)]
    return _json_for_script('{"type":"FeatureCollection","features":[' + ",".join(features)
                            + "]}")


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
    bins = cls(scores[valid], k)
    # mapclassify's bin1d: a value in (previous bound, bound] is in that class.
    classes[valid] = np.searchsorted(bins, scores[valid], side="left")
    return classes, list(bins)


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
    labels = [escape_text(label) for label in details.columns]
    rows = details[~details.index.duplicated()].reindex(list(area_ids)).to_numpy(dtype=object)
    return [[f"{label}: {escape_text(value)}" for label, value in zip(labels, row, strict=True)
             if value is not None and not pd.isna(value) and str(value) != ""]
            for row in rows]


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of ``frame`` without their geometry, as dicts (``iterrows`` builds a Series
    per row: seconds for thousands of areas)."""
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).to_dict("records")


def _overlay_tooltip(values: Sequence[object]) -> str:
    texts = [escape_text(v) for v in values if v is not None and not pd.isna(v)]
    return "<br>".join(([f"<b>{texts[0]}</b>"] + texts[1:]) if texts else [])


def _add_overlay(fmap: folium.Map, overlay: MapOverlay, geometry: np.ndarray) -> None:
    """Draw ``overlay`` with ``geometry`` (its display geometry in EPSG:4326, row by row)."""
    labels = [{OVERLAY_LABEL: _overlay_tooltip([row[c] for c in overlay.label_columns])}
              for row in _records(overlay.frame)]
    data = _feature_collection(geometry, labels)
    if overlay.is_points:
        # Vector circles (no icon images): the page still asks no other host for anything.
        _FeatureLayer(data, name=escape_text(overlay.name), tooltip_key=OVERLAY_LABEL,
                      radius=POINT_RADIUS,
                      style={"color": "#ffffff", "weight": 1, "fill": True,
                             "fillColor": overlay.colour, "fillOpacity": 0.9}).add_to(fmap)
        return
    # No fill: an unfilled SVG path takes the pointer only on its outline, so the areas
    # beneath keep their tooltips and clicks.
    _FeatureLayer(data, name=escape_text(overlay.name), tooltip_key=OVERLAY_LABEL,
                  style={"fill": False, "color": overlay.colour, "weight": 2.5,
                         "dashArray": "6 4"}).add_to(fmap)


def _overlay_geometry(overlay: MapOverlay, budget: int) -> np.ndarray:
    """A comparison layer's geometry for display, EPSG:4326: points as they are, polygons
    simplified on their own to ``budget`` vertices."""
    if overlay.is_points:
        return overlay.frame.to_crs(4326).geometry.to_numpy()
    return display_geometry(overlay.frame, vertex_budget=budget).geometry.to_numpy()


def _add_area_outline(fmap: folium.Map, overlay: MapOverlay, positions: np.ndarray,
                      areas: _FeatureLayer) -> None:
    """Outline some of the map's own areas (hot spots, uncertain placement): the features
    carry only their label and the area's position (``idx``); the browser takes their
    borders from the area layer, so no border is written twice and the outline lies on it."""
    labels = [{OVERLAY_LABEL: _overlay_tooltip([row[c] for c in overlay.label_columns]),
               FEATURE_INDEX: int(i)}
              for row, i in zip(_records(overlay.frame), positions, strict=True)]
    _FeatureLayer(_feature_collection(np.full(len(labels), None), labels),
                  name=escape_text(overlay.name), tooltip_key=OVERLAY_LABEL, borrow=areas,
                  style={"fill": False, "color": overlay.colour, "weight": 2.5,
                         "dashArray": "6 4"}).add_to(fmap)


def area_display_geometry(areas: gpd.GeoDataFrame, *,
                          max_bytes: int = MAP_MAX_BYTES) -> DisplayGeometry:
    """The display geometry of a map of ``areas`` under about ``max_bytes`` (cached per
    area set: the same for every weight, profile and year)."""
    budget = vertex_budget_for(len(areas), max_bytes=max(0, max_bytes - MAP_FIXED_BYTES),
                               bytes_per_vertex=BYTES_PER_VERTEX, bytes_per_area=BYTES_PER_AREA)
    return display_geometry(areas, vertex_budget=budget)


def _overlay_key(overlay: MapOverlay) -> str:
    """The overlay's legend symbol: a filled circle for points, a dashed box for polygons."""
    if overlay.is_points:
        return (f'<i style="background:{overlay.colour};border:1px solid #ffffff;'
                'border-radius:50%;width:10px;height:10px;margin:0 10px 0 4px"></i>')
    return f'<i style="background:none;border:2px dashed {overlay.colour}"></i>'


def _legend(bins: list[float], colours: list[str], scheme: str, has_missing: bool,
            overlays: Sequence[MapOverlay] = (), classes_of: str | None = None) -> str:
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
            f'<small>{escape_text(CLASSIFIERS[scheme][0])}'
            + (f" för {escape_text(classes_of)}" if classes_of else "")
            + ", högre = större behov</small>"
            + "".join(rows) + "</div>")


def build_map(areas: gpd.GeoDataFrame, result: RankingResult, *, title: str,
              sources: Sequence[SourceInfo], created: dt.date | None = None,
              scheme: str = "quantiles", k: int = 5, tiles: str | None = None,
              notes: Sequence[str] = (), overlays: Sequence[MapOverlay] = (),
              details: pd.DataFrame | None = None,
              method: Sequence[tuple[str, Sequence[str]]] = (),
              max_bytes: int = MAP_MAX_BYTES, classify_on: Sequence[float] | None = None,
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

    The borders are drawn from display geometry (:mod:`geo.spatial.display`): simplified with
    shared edges kept, so that the page stays under about ``max_bytes`` whatever the number
    of areas; a map small enough already is drawn unsimplified (coordinates rounded to
    about a metre).
    """
    if scheme not in CLASSIFIERS:
        raise ValueError(f"okänd klassindelning {scheme!r}; välj en av {sorted(CLASSIFIERS)}")
    created = created or dt.date.today()
    scores = areas[SCORE].to_numpy(dtype=float)
    if classify_on is None:
        classes, bins = _classify(scores, scheme, k)
    else:   # the class limits of a larger whole: the same colour means the same there
        _, bins = _classify(np.asarray(classify_on, dtype=float), scheme, k)
        classes = np.where(np.isnan(scores), -1,
                           np.minimum(np.searchsorted(bins, scores, side="left"),
                                      max(0, len(bins) - 1)))
    colours = _colours(len(bins))
    n_ranked = int(result.score.notna().sum())
    properties = [
        {FEATURE_INDEX: i, "fill": colours[c] if c >= 0 else NO_DATA_COLOUR,
         "tooltip": _tooltip(row, n_ranked, extra)}
        for i, (row, c, extra) in enumerate(zip(
            _records(areas), classes, _detail_lines(details, list(areas[AREA_ID])),
            strict=True))]

    # Display geometry: simplified (shared borders kept) to what the size budget leaves
    # after the tooltips; outlines of the map's own areas reuse it. The analysis keeps the
    # full geometry; the map notes say when the borders are simplified.
    display = area_display_geometry(areas, max_bytes=max_bytes)
    shown = pd.Series(display.geometry.to_numpy(), index=areas[AREA_ID].to_numpy())
    if display.simplified:
        notes = [*notes, display.note()]
    budget = max(1, display.vertices_out // max(1, len(areas)))
    fmap = _base_map(shown.to_numpy(), tiles)
    geoms = shown.to_numpy()
    outline = (shapely.coverage_union_all(geoms) if display.coverage_valid
               else shapely.union_all(geoms))
    _FeatureLayer(_feature_collection(np.array([outline]), [{}]), name="Kommungräns",
                  interactive=False,
                  style={"fill": False, "color": "#333333", "weight": 2.5}).add_to(fmap)
    area_layer = _FeatureLayer(
        _feature_collection(geoms, properties), name="Sammanvägt behov", tooltip_key="tooltip",
        highlight={"weight": 3, "color": "#000000"},
        style={"color": "#555555", "weight": 1, "fillOpacity": 0.8}).add_to(fmap)
    position = pd.Series(np.arange(len(areas)), index=areas[AREA_ID].to_numpy())
    for overlay in overlays:
        frame = overlay.frame
        if AREA_ID in frame.columns and frame[AREA_ID].isin(position.index).all():
            _add_area_outline(fmap, overlay, position.loc[frame[AREA_ID]].to_numpy(),
                              area_layer)
        else:
            _add_overlay(fmap, overlay, _overlay_geometry(overlay, budget * len(frame)))
    legend = _legend(bins, colours, scheme, bool((classes < 0).any()), overlays, classes_of)
    return _finish(fmap, title=title, result=result, sources=sources, created=created,
                   notes=notes, method=method, legend=legend, digest=digest)


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


def _base_map(geoms: np.ndarray, tiles: str | None) -> folium.Map:
    """An empty map fitted to ``geoms`` (EPSG:4326), with Leaflet only and the tiles asked for."""
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    # A tile URL (a municipal tile server) needs an attribution; a folium name does not.
    attr = ("Bakgrundskarta: " + escape_text(tiles.split("/")[2])
            if tiles and tiles.startswith(("http://", "https://")) else None)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=tiles, attr=attr,
                      zoom_start=_zoom_for(maxx - minx, maxy - miny), control_scale=False)
    # Only Leaflet itself: the map uses no icon markers (points are vector circles), icons
    # or Bootstrap, so the page asks no other third-party host for anything.
    # render_map_html inlines these (geo.maps.offline); the app's live map loads them from the CDN.
    fmap.default_js = [js for js in folium.Map.default_js if js[0] == "leaflet"]
    fmap.default_css = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    _FitWhenShown([[float(miny), float(minx)], [float(maxy), float(maxx)]]).add_to(fmap)
    return fmap


def _finish(fmap: folium.Map, *, title: str, result: RankingResult,
            sources: Sequence[SourceInfo], created: dt.date, notes: Sequence[str],
            method: Sequence[tuple[str, Sequence[str]]], legend: str,
            digest: str | None = None) -> folium.Map:
    """Add the layer control, title, legend and the sources panel (with notes, method and
    settings), and number the elements."""
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
              + "".join(f"<h3>{escape_text(section)}</h3>"
                        + "".join(f"<p>{escape_text(p)}</p>" for p in paragraphs)
                        for section, paragraphs in method)
              + f"<b>Inställningar</b><pre>{escape_text(result.settings.to_toml())}</pre>"
              + (f"<p>{DIGEST_LABEL}: {escape_text(digest)}</p>" if digest else "")
              + "</details></div>")

    root = fmap.get_root()
    root.title = heading + (" (syntetiska demodata)" if synthetic else "")
    _Css(CSS).add_to(fmap)
    _MetricScale().add_to(fmap)
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
    from folium-offline (:func:`geo.maps.offline.inline_assets`, which refuses any other
    resource the page would fetch), so the file opens without internet. Only a background
    tile layer, if asked for (``tiles=``), still needs the net. The libraries add about
    170 kB.

    Render a map once: folium adds elements to it on every render, so a second render of
    the same map differs from the first (tested). Build the map again instead.
    """
    return inline_assets(fmap.get_root().render())
