"""What the browser needs to draw a needs map, in the compact map format, apart from Leaflet.

A map is two parts (:class:`MapView`):

* the **shape**, once per area set: the areas' display borders as a TopoJSON topology
  (:mod:`geo.maps.topology`), the arcs of the layer's outer border, its bounds, any layer
  from another source (comparisons, resources) as GeoJSON, and the tooltip columns that
  no ranking changes (name, code); written as one JSON text and keyed by its SHA-256, so
  that the app's map component sends it to a browser once;
* the **values** of one ranking: each area's fill colour, one table of tooltip columns
  (a column whose values repeat is written once per distinct value), a tooltip
  template, the outlines of hot spots and uncertain areas (by row), and the panels
  (title, legend, sources). A weight change sends only these.

The page script ``geo/maps/web/prevmap_map.js`` draws both, for the exported map pages
(:func:`geo.maps.choropleth.build_map`) and for the app's component alike;
:func:`tooltip_html` is its tooltip rule in Python, the reference the browser's tooltips
are tested against.

Every string from files (area names, indicator names, source texts) is HTML-escaped with
:func:`escape_text` before it reaches the page, in the panels, the template and the table
alike: the page script puts them together as they are. The JSON is written into
``<script>`` elements with no ``</`` in it (:func:`_json_for_script`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.io.files import SourceInfo
from geo.maps.legend import (
    NO_DATA_COLOUR,
    Measure,
    category_legend,
    class_counts,
    class_spans,
    classes_made,
    legend_html,
    need_words,
)
from geo.maps.topology import boundary_arcs, topology, topology_json
from geo.spatial.context import LAKES_NAME, NEIGHBOURS_NAME, SEA_NAME, MapContext, map_context
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

#: The page script that draws the compact format (Leaflet must be loaded before it).
SCRIPT = Path(__file__).with_name("web") / "prevmap_map.js"

# ColorBrewer YlOrRd, light (less need) to dark (more need).
PALETTE = {3: ["#ffeda0", "#feb24c", "#f03b20"],
           4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
           5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]}
#: What the map shows unless asked otherwise: the composite index.
INDEX = Measure("index", "Sammanvägt behov (index)", note="högre = större behov")


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
OVERLAY_LABEL = "label"
#: A map of up to :data:`MAP_GROWS_ABOVE` areas stays under about this size (Sweden's 3 363
#: RegSO included); above, the limit grows by :data:`MAP_BYTES_PER_MORE_AREA` per area up to
#: :data:`MAP_MAX_BYTES_LARGE` (6 000 DeSO-sized cells): the display geometry is simplified
#: to the vertex budget left after the libraries, panels and tooltips (:func:`map_max_bytes`).
MAP_MAX_BYTES = 1_500_000
MAP_GROWS_ABOVE = 3_500
MAP_BYTES_PER_MORE_AREA = 400
MAP_MAX_BYTES_LARGE = 2_500_000
#: What a map costs besides its areas: Leaflet inlined (~170 kB), the page script, panels,
#: method, settings.
MAP_FIXED_BYTES = 230_000
#: A vertex of the topology: 7-10 bytes measured on all RegSO at 34 000-94 000 vertices
#: (a delta pair such as ``[-123,456],``, shared borders once), with room for detail.
BYTES_PER_VERTEX = 8.5
#: An area besides its vertices (measured on all RegSO): its arc references (~60 bytes),
#: name and code (~30), the ranking's tooltip columns with the certainty lines (~65), and
#: its share of the outlines (hot spots, uncertain placement). A fixed estimate, not the
#: measured table: the budget, and so the cached display geometry, must not change when
#: a weight does.
BYTES_PER_AREA = 170.0


def map_max_bytes(n_areas: int) -> int:
    """The size a map of ``n_areas`` areas is held to (see :data:`MAP_MAX_BYTES`)."""
    more = max(0, int(n_areas) - MAP_GROWS_ABOVE) * MAP_BYTES_PER_MORE_AREA
    return min(MAP_MAX_BYTES_LARGE, MAP_MAX_BYTES + more)


def escape_text(value: object) -> str:
    """Escape a file-supplied string for HTML and for folium's Jinja re-rendering."""
    return html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


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


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of ``frame`` without their geometry, as dicts (``iterrows`` builds a Series
    per row: seconds for thousands of areas)."""
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).to_dict("records")


def _overlay_tooltip(values: Sequence[object]) -> str:
    texts = [escape_text(v) for v in values if v is not None and not pd.isna(v)]
    return "<br>".join(([f"<b>{texts[0]}</b>"] + texts[1:]) if texts else [])


def area_display_geometry(areas: gpd.GeoDataFrame, *,
                          max_bytes: int | None = None) -> DisplayGeometry:
    """The display geometry of a map of ``areas`` under about ``max_bytes`` (None:
    :func:`map_max_bytes`), cached per area set: the same for every weight, profile and
    year."""
    if max_bytes is None:
        max_bytes = map_max_bytes(len(areas))
    budget = vertex_budget_for(len(areas), max_bytes=max(0, max_bytes - MAP_FIXED_BYTES),
                               bytes_per_vertex=BYTES_PER_VERTEX, bytes_per_area=BYTES_PER_AREA)
    return display_geometry(areas, vertex_budget=budget)


def _overlay_key(overlay: MapOverlay) -> str:
    """The overlay's legend symbol: a filled circle for points, a dashed box for polygons."""
    if overlay.is_points:
        return (f'<i style="background:{overlay.colour};border:1px solid #ffffff;'
                'border-radius:50%;width:10px;height:10px;margin:0 10px 0 4px"></i>')
    return f'<i style="background:none;border:2px dashed {overlay.colour}"></i>'


def _overlay_rows(overlays: Sequence[MapOverlay]) -> list[str]:
    return [f"<div>{_overlay_key(o)}{escape_text(o.name)}</div>" for o in overlays]


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


# ----------------------------------------------------------------------------------------
# the values of one ranking: a fill colour and a table of tooltip columns per area


#: Where a column's values are lists written out (what contributes most), their separator.
PARTS_SEPARATOR = "; "


def encoded(values: Sequence[str]) -> list[str] | dict[str, object]:
    """A table column as the page reads it, whichever of these is shortest in JSON: the
    list itself; ``{"v": distinct values, "i": index of each row's value}``; or, for values
    that are lists joined by :data:`PARTS_SEPARATOR`, ``{"v": distinct parts, "j": the
    parts' indexes per row, "s": separator}``."""
    values = [str(v) for v in values]
    candidates: list[list[str] | dict[str, object]] = [values]
    if values:
        codes, distinct = pd.factorize(pd.Series(values, dtype=object), sort=False)
        candidates.append({"v": [str(v) for v in distinct], "i": codes.tolist()})
        if any(PARTS_SEPARATOR in v for v in values):
            parts: dict[str, int] = {}
            joined = [[parts.setdefault(p, len(parts)) for p in v.split(PARTS_SEPARATOR)]
                      if v else [] for v in values]
            candidates.append({"v": list(parts), "j": joined, "s": PARTS_SEPARATOR})
    return min(candidates, key=lambda c: len(json.dumps(c, ensure_ascii=False,
                                                        separators=(",", ":"))))


def decoded(column: list[str] | dict[str, object]) -> list[str]:
    """The values of an :func:`encoded` column, row by row."""
    if isinstance(column, list):
        return column
    if "j" in column:
        return [column["s"].join(column["v"][k] for k in row) for row in column["j"]]
    return [column["v"][i] for i in column["i"]]


def _filled(template: Sequence, columns: Sequence[Sequence[str]], i: int) -> str:
    """Row ``i`` of a template (see :func:`tooltip_html`): its lines whose values are all
    non-empty, each ``{}`` replaced by the (escaped) values in turn, joined by ``<br>``."""
    lines = []
    for fmt, *refs in template:
        shown = [columns[c][i] for c in refs]
        if any(v is None or v == "" for v in shown):
            continue
        parts = fmt.split("{}")
        lines.append(parts[0] + "".join(v + rest
                                        for v, rest in zip(shown, parts[1:], strict=True)))
    return "<br>".join(lines)


def tooltip_html(values: dict, i: int, fixed: Sequence = ()) -> str:
    """The full detail of row ``i`` as the page makes it (``PrevmapMap.tooltip``; the
    exported map's popup on a click or Enter): each template line ``[format, column, ...]``
    whose values are all non-empty, its ``{}`` replaced by the (escaped) values in turn, the
    lines joined by ``<br>``. The columns are the shape's ``fixed`` ones (name, code: the
    same for every ranking), then the values' own."""
    columns = [decoded(c) for c in (*fixed, *values["columns"])]
    return _filled(values["template"], columns, i)


def hover_html(values: dict, i: int, fixed: Sequence = ()) -> str:
    """The hover tooltip of row ``i`` (``PrevmapMap.hover``): the same rule on the compact
    template ``values["hover"]`` (:data:`HOVER_LINES` lines at most: name, rank, the mapped
    measure with its class in words, the tier)."""
    columns = [decoded(c) for c in (*fixed, *values["columns"])]
    return _filled(values["hover"], columns, i)


#: The most lines a hover tooltip has (:func:`area_view`): the rest is in the popup (the
#: exported map) or the profile (the app).
HOVER_LINES = 5


def _text(value: object) -> str:
    """A table value as escaped text (:func:`escape_text`): '' for a missing one."""
    if value is None or pd.isna(value):
        return ""
    return escape_text(value)


def area_table(areas: pd.DataFrame, n_ranked: int, details: pd.DataFrame | None
               ) -> tuple[list[list[str]], list[list[str]], list[list]]:
    """The tooltip columns and template of an area map: the fixed columns (name and code,
    which go with the shape), then the ranking's: rank, score, what contributes most,
    flags, missing values, then one line ``label: value`` per column of ``details`` (index
    ``area_id``). The template numbers the fixed columns first."""
    score = areas[SCORE].to_numpy(dtype=float)
    ranked = ~np.isnan(score)
    rank = areas[RANK].to_numpy(dtype=float)
    flags = areas[FLAG_COUNT].to_numpy(dtype=float)
    missing = areas[MISSING_COUNT].to_numpy(dtype=float)
    fixed = [[_text(v) for v in areas[AREA_NAME]], [_text(v) for v in areas[AREA_ID]]]
    columns = [
        ["" if r else "Saknar indikatordata" for r in ranked],
        [f"{int(v)}" if r else "" for v, r in zip(rank, ranked, strict=True)],
        [format_number(v) if r else "" for v, r in zip(score, ranked, strict=True)],
        [_text(v) if r else "" for v, r in zip(areas[TOP_CONTRIBUTORS], ranked, strict=True)],
        [f"{int(v)}" if r else "" for v, r in zip(flags, ranked, strict=True)],
        [f"{int(v)}" if r and v else "" for v, r in zip(missing, ranked, strict=True)],
    ]
    template: list[list] = [["<b>{}</b> ({})", 0, 1], ["{}", 2],
                            [f"Rang {{}} av {n_ranked} (1 = störst behov)", 3],
                            ["Sammanvägt index: {}", 4], ["Bidrar mest: {}", 5],
                            ["Flaggade indikatorer: {}", 6], ["Saknade värden: {}", 7]]
    if details is not None:
        rows = details[~details.index.duplicated()].reindex(list(areas[AREA_ID]))
        for label in details.columns:
            template.append([f"{escape_text(label)}: {{}}", len(fixed) + len(columns)])
            columns.append([_text(v) for v in rows[label].to_numpy(dtype=object)])
    return fixed, columns, template


# ----------------------------------------------------------------------------------------
# the shape: borders once per area set


@dataclass(frozen=True, eq=False)
class MapShape:
    """The borders of a map's areas and its other-source layers, as the page reads them."""

    text: str                       # JSON: topology, boundary, bounds, overlays, columns
    key: str                        # SHA-256 of ``text``
    bounds: list[list[float]]       # [[south, west], [north, east]]
    context: bool = False           # whether it holds the layers under the areas


_SHAPES: OrderedDict[tuple, tuple[list, MapShape]] = OrderedDict()
_SHAPES_LOCK = threading.Lock()
_SHAPES_KEPT = 8


def map_shape(geoms: np.ndarray, decimals: int, overlays: Sequence[str] = (),
              fixed: Sequence[Sequence[str]] = (), context: str | None = None) -> MapShape:
    """The :class:`MapShape` of ``geoms`` (display borders, EPSG:4326, on the grid of
    ``decimals`` decimals) with the other-source layers ``overlays`` (JSON texts), the
    tooltip columns that do not change with a ranking, ``fixed`` (escaped: name, code),
    and the layers under the areas, ``context`` (:func:`context_json`; None: none).
    Remembered per geometry objects (the display geometry and the kommun polygons are
    kept per area set; the entry holds them, so that their ids stay theirs), overlays and
    columns: a weight change does not rebuild it."""
    fixed_json = json.dumps([encoded(c) for c in fixed], ensure_ascii=False,
                            separators=(",", ":"))
    held = list(geoms)
    key = (tuple(map(id, held)), decimals, tuple(overlays), fixed_json, context)
    with _SHAPES_LOCK:
        if key in _SHAPES:
            _SHAPES.move_to_end(key)
            return _SHAPES[key][1]
    topo = topology(geoms, decimals=decimals)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    minx, miny, maxx, maxy = (shapely.total_bounds(geoms[present]) if present.any()
                              else (11.0, 55.0, 24.0, 69.0))   # Sweden when nothing is drawn
    bounds = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    text = _json_for_script(
        '{"topology":' + topology_json(topo)
        + ',"boundary":' + json.dumps(boundary_arcs(topo.data), separators=(",", ":"))
        + ',"bounds":' + json.dumps(bounds) + ',"overlays":[' + ",".join(overlays) + "]"
        + ',"columns":' + fixed_json
        + (',"context":' + context if context is not None else "") + "}")
    shape = MapShape(text, hashlib.sha256(text.encode()).hexdigest(), bounds,
                     context is not None)
    with _SHAPES_LOCK:
        _SHAPES[key] = (held, shape)
        while len(_SHAPES) > _SHAPES_KEPT:
            _SHAPES.popitem(last=False)
    return shape


def overlay_json(overlay: MapOverlay, geometry: np.ndarray) -> str:
    """A layer from another source as the shape lists it: name, colour, points or not, and
    its features (GeoJSON, the tooltip as pre-escaped HTML in property ``label``)."""
    labels = [{OVERLAY_LABEL: _overlay_tooltip([row[c] for c in overlay.label_columns])}
              for row in _records(overlay.frame)]
    return ('{"name":' + json.dumps(escape_text(overlay.name)) + ',"colour":'
            + json.dumps(overlay.colour) + ',"points":' + json.dumps(bool(overlay.is_points))
            + ',"data":' + _feature_collection(geometry, labels) + "}")


# ----------------------------------------------------------------------------------------
# the surroundings: neighbouring kommuner and water, under the areas

#: The layer control's name of the surroundings.
CONTEXT_LAYER = "Omgivning (grannkommuner, vatten)"
#: How the surroundings look, on screen and on paper (geo.maps.print_map): grey borders,
#: names in small grey italic, water pale blue.
CONTEXT_STYLE = {"border": "#8c8c8c", "name": "#6e6e6e", "water": "#d5e8f5"}


def _geometry_json(geometry: shapely.Geometry) -> str:
    return "null" if geometry is None or geometry.is_empty else shapely.to_geojson(geometry)


def context_json(context: MapContext) -> str:
    """The layers under a map as the page draws them (``PrevmapMap.contextLayer``):
    ``borders`` (GeoJSON lines), ``sea`` and ``lakes`` (GeoJSON or null), ``names``
    (``[name, lat, lng]``, escaped, largest neighbour first), and the ``style``."""
    names = [[escape_text(name), round(p.y, 4), round(p.x, 4)]
             for name, p in zip(context.neighbours["kommun"], context.neighbours["label"],
                                strict=True) if p is not None]
    return _json_for_script(
        '{"borders":' + _geometry_json(context.borders) + ',"sea":'
        + _geometry_json(context.sea) + ',"lakes":' + _geometry_json(context.lakes)
        + ',"names":' + json.dumps(names, ensure_ascii=False, separators=(",", ":"))
        + ',"style":' + json.dumps(CONTEXT_STYLE, separators=(",", ":")) + "}")


def context_legend_rows(context: MapContext) -> list[str]:
    """The legend's lines for the layers present: "Grannkommuner" (a grey outline),
    "Stora sjöar" and "Hav / utanför Sverige" (pale blue)."""
    rows = []
    if not context.neighbours.empty:
        rows.append(f'<div><i style="background:none;border:1px solid '
                    f'{CONTEXT_STYLE["border"]}"></i><em>{NEIGHBOURS_NAME}</em></div>')
    for layer, name in ((context.lakes, LAKES_NAME), (context.sea, SEA_NAME)):
        if not layer.is_empty:
            rows.append(f'<div><i style="background:{CONTEXT_STYLE["water"]};border-color:'
                        f'{CONTEXT_STYLE["water"]}"></i>{name}</div>')
    return rows


# ----------------------------------------------------------------------------------------
# the panels


def title_panel(title: str, result: RankingResult, sources: Sequence[SourceInfo], *,
                year: int | None = None) -> str:
    """The title box, above the map: the title, a subtitle (profile, data, year, real or
    synthetic) and, for synthetic data, the warning."""
    synthetic = any(s.synthetic for s in sources)
    text = f'<div class="pm-panel pm-title"><h1>{escape_text(title)}</h1>'
    sub = [f"Profil: {escape_text(result.settings.name)}"] if result.settings.name else []
    sub.append(f"Data: {escape_text(result.source)}")
    if year is not None:
        sub.append(f"år {year}")
    sub.append("syntetiska demodata" if synthetic else "verkliga data")
    text += f'<div class="pm-subtitle">{" · ".join(sub)}</div>'
    if synthetic:
        text += ('<div class="pm-synthetic">SYNTETISKA DEMODATA – värdena är påhittade '
                 "och beskriver inte verkliga områden</div>")
    return text + "</div>"


def page_title(title: str, sources: Sequence[SourceInfo]) -> str:
    """The page's <title>, escaped: the title, marked when the data are synthetic."""
    synthetic = any(s.synthetic for s in sources)
    return escape_text(title) + (" (syntetiska demodata)" if synthetic else "")


def sources_panel(result: RankingResult, sources: Sequence[SourceInfo], created: dt.date,
                  notes: Sequence[str], method: Sequence[tuple[str, Sequence[str]]] = (),
                  digest: str | None = None, *, settings: bool = True) -> str:
    """The sources box: sources, date, notes on the data, the method summary, the method
    page ``method`` and (with ``settings``) the settings and the inputs' digest."""
    source_items = "".join(f"<li>{escape_text(s.label())}</li>" for s in sources)
    note_items = "".join(f"<li>{escape_text(n)}</li>" for n in notes)
    short = "; ".join(escape_text(s.title) for s in sources)
    return (f'<div class="pm-panel pm-sources"><details><summary><b>Källor:</b> {short}. '
            f"Skapad {created.isoformat()} med prevmap.</summary>"
            f"<ul>{source_items}</ul>"
            + (f"<b>Om data</b><ul>{note_items}</ul>" if notes else "")
            + f"<b>Metod</b><p>{escape_text(result.method_summary())}</p>"
            + "".join(f"<h3>{escape_text(section)}</h3>"
                      + "".join(f"<p>{escape_text(p)}</p>" for p in paragraphs)
                      for section, paragraphs in method)
            + (f"<b>Inställningar</b><pre>{escape_text(result.settings.to_toml())}</pre>"
               if settings else "")
            + (f"<p>{DIGEST_LABEL}: {escape_text(digest)}</p>" if digest and settings else "")
            + "</details></div>")


#: How every export names :attr:`geo.analysis.Analysis.digest`, beside the settings.
DIGEST_LABEL = "Indata (SHA-256)"


# ----------------------------------------------------------------------------------------
# the view


@dataclass(frozen=True, eq=False)
class MapView:
    """A map as the page draws it: the shape (once per area set), the values of one
    ranking (JSON-ready: fill, columns, template, outlines) and the panels (escaped HTML:
    title, page title, legend, sources)."""

    shape: MapShape
    values: dict
    panels: dict                            # title, page_title, legend, sources (HTML)
    overlay_names: tuple[str, ...] = ()     # the shape's other-source layers, escaped

    def values_json(self) -> str:
        return _json_for_script(json.dumps(self.values, ensure_ascii=False,
                                           separators=(",", ":")))


def classes_for(scores: np.ndarray, scheme: str, k: int,
                classify_on: Sequence[float] | None = None) -> tuple[np.ndarray, list[float]]:
    """Class of each score (-1 = none) and the class limits: the scores' own, or, with
    ``classify_on``, those of a larger whole (the same colour means the same there)."""
    if scheme not in CLASSIFIERS:
        raise ValueError(f"okänd klassindelning {scheme!r}; välj en av {sorted(CLASSIFIERS)}")
    if classify_on is None:
        return _classify(scores, scheme, k)
    _, bins = _classify(np.asarray(classify_on, dtype=float), scheme, k)
    classes = np.where(np.isnan(scores), -1,
                       np.minimum(np.searchsorted(bins, scores, side="left"),
                                  max(0, len(bins) - 1)))
    return classes, bins


def area_view(areas: gpd.GeoDataFrame, result: RankingResult, *, title: str,
              sources: Sequence[SourceInfo], created: dt.date | None = None,
              scheme: str = "quantiles", k: int = 5, notes: Sequence[str] = (),
              overlays: Sequence[MapOverlay] = (), details: pd.DataFrame | None = None,
              method: Sequence[tuple[str, Sequence[str]]] = (),
              max_bytes: int | None = None, classify_on: Sequence[float] | None = None,
              classes_of: str | None = None, digest: str | None = None,
              settings: bool = True, measure: Measure = INDEX,
              always_named: Sequence[str] = (), year: int | None = None,
              context: bool = True, hover_details: Sequence[str] = (),
              label_lines: pd.Series | None = None) -> MapView:
    """The :class:`MapView` of the needs map (see :func:`geo.maps.choropleth.build_map` for
    the arguments); ``settings=False`` leaves the settings out of the sources box (the
    app's map: the app shows them on its own page). ``measure`` is what colours the areas
    (:class:`geo.maps.legend.Measure`; by default the composite index), classed on its
    need (``classify_on``, when given, is in need units too); ``always_named`` the area
    ids the page always labels (the top tier); ``year`` the data's year, in the subtitle;
    ``context``: the neighbouring kommuner and water drawn under the areas
    (:mod:`geo.spatial.context`), with their lines in the legend; ``hover_details`` the
    columns of ``details`` the hover tooltip shows too (the tier); ``label_lines`` per area
    id a second line under the area's name on the map (the approach map's focus; "" for
    none), placed with the name as one box (``values["labels"]["second"]``).

    The hover tooltip is compact (``values["hover"]``, :func:`hover_html`): the name, the
    rank of how many, the mapped measure with its class in words, ``hover_details``; the
    full detail (``values["template"]``, :func:`tooltip_html`) is the exported map's popup
    and, in the app, the profile."""
    created = created or dt.date.today()
    n_ranked = int(result.score.notna().sum())
    fixed, columns, template = area_table(areas, n_ranked, details)
    hover: list[list] = [["<b>{}</b>", 0], ["{}", 2], [f"Rang {{}} av {n_ranked}", 3]]
    ids = areas[AREA_ID].astype(str)
    display = area_display_geometry(areas, max_bytes=max_bytes)
    geoms = display.geometry.to_numpy()
    around = map_context(geoms) if context else None
    extra = _overlay_rows(overlays) + (context_legend_rows(around) if around else [])
    if measure.categorical:
        shown = measure.categories.reindex(ids).fillna("").to_numpy(dtype=object)
        names = [name for name, _ in measure.colours]
        classes = np.array([names.index(v) if v in names else -1 for v in shown])
        colours = [colour for _, colour in measure.colours]
        counts = class_counts(classes, len(names))
        hover.append([f"{escape_text(measure.label)}: {{}}", len(fixed) + len(columns)])
        columns.append([str(v) if v in names else "" for v in shown])
        legend = category_legend(measure, counts, int((classes < 0).sum()), extra)
    else:
        if measure.values is None:
            raw = areas[SCORE].to_numpy(dtype=float)
        else:
            raw = measure.values.reindex(ids).to_numpy(dtype=float)
        need = raw * measure.direction
        classes, bins = classes_for(need, scheme, k, classify_on)
        colours = _colours(len(bins))
        whole = need if classify_on is None else np.asarray(classify_on, dtype=float)
        made = classes_made(scheme, k, len(bins), len(np.unique(whole[~np.isnan(whole)])),
                            classes_of)
        legend = legend_html(measure, colours, class_counts(classes, len(bins)), made,
                             int((classes < 0).sum()), extra)
        words = list(reversed(need_words(len(bins))))
        spans = class_spans(bins, measure.direction)
        if measure is not INDEX:
            unit = f" {escape_text(measure.unit)}" if measure.unit else ""
            template.append([f"{escape_text(measure.label)}: {{}}{unit}",
                             len(fixed) + len(columns)])
            columns.append([format_number(v) if not np.isnan(v) else "" for v in raw])
        template.insert(4, ["Klass: {}", len(fixed) + len(columns)])
        columns.append([f"{words[c]} ({spans[c]})" if c >= 0 else "" for c in classes])
        # the score (column 4: after name, code, no-data note, rank) or the measure's value
        value_column = 4 if measure is INDEX else len(fixed) + len(columns) - 2
        unit = f" {escape_text(measure.unit)}" if measure.unit else ""
        label = "Index" if measure is INDEX else escape_text(measure.label)
        hover.append([f"{label}: {{}}{unit} ({{}})", value_column, len(fixed) + len(columns)])
        columns.append([words[c] if c >= 0 else "" for c in classes])

    if details is not None:
        for name in hover_details:
            if name in details.columns and name != measure.label:
                line = next(line for line in template
                            if line[0] == f"{escape_text(name)}: {{}}")
                hover.append(line)
    if display.simplified:
        notes = [*notes, display.note()]
    position = pd.Series(np.arange(len(areas)), index=areas[AREA_ID].to_numpy())
    outlines, foreign, foreign_names = [], [], []
    for overlay in overlays:
        frame = overlay.frame
        if AREA_ID in frame.columns and frame[AREA_ID].isin(position.index).all():
            outlines.append({
                "name": escape_text(overlay.name), "colour": overlay.colour,
                "idx": position.loc[frame[AREA_ID]].to_numpy().tolist(),
                "labels": [_overlay_tooltip([row[c] for c in overlay.label_columns])
                           for row in _records(frame)]})
        else:
            budget = max(1, display.vertices_out // max(1, len(areas))) * len(frame)
            foreign.append(overlay_json(overlay, _overlay_geometry(overlay, budget)))
            foreign_names.append(escape_text(overlay.name))
    shape = map_shape(geoms, display.decimals, foreign, fixed,
                      context_json(around) if around else None)
    values = {
        "fill": encoded([colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes]),
        "columns": [encoded(c) for c in columns],
        "template": template,
        "hover": hover,
        "order": rank_order(areas[RANK].to_numpy(dtype=float)),
        "outlines": outlines,
        "labels": label_order(areas[RANK].to_numpy(dtype=float), ids.isin(
            {str(a) for a in always_named}).to_numpy()),
    }
    if label_lines is not None:
        lines = label_lines.reindex(ids.to_numpy()).fillna("")
        values["labels"]["second"] = [escape_text(str(v)) for v in lines]
    panels = {
        "title": title_panel(title, result, sources, year=year),
        "page_title": page_title(title, sources),
        "legend": legend,
        "sources": sources_panel(result, sources, created, notes, method, digest,
                                 settings=settings),
    }
    return MapView(shape, values, panels, tuple(foreign_names))


def rank_order(rank: np.ndarray) -> list[int]:
    """The rows by rank, most need first, areas without a rank last: the order in which
    the arrow keys move between the areas (:file:`web/prevmap_map.js`)."""
    key = np.where(np.isnan(rank), np.inf, rank)
    return np.lexsort((np.arange(len(rank)), key)).tolist()


def label_order(rank: np.ndarray, always: np.ndarray) -> dict[str, object]:
    """The order in which the page names the areas (:file:`web/prevmap_map.js`,
    ``labelLayer``): rows ``always`` named first (the top tier), then the others by rank
    (most need first; areas without a rank last), and each row's rank (None without
    one). The page skips a label whose box would overlap one already placed; one
    ``always`` named that fits nowhere is shown as its rank, or counted in the legend."""
    key = np.where(np.isnan(rank), np.inf, rank)
    order = np.lexsort((np.arange(len(rank)), key, ~always))
    return {"order": order.tolist(), "always": int(always.sum()),
            "ranks": [None if np.isnan(r) else int(r) for r in rank]}


def _overlay_geometry(overlay: MapOverlay, budget: int) -> np.ndarray:
    """A comparison layer's geometry for display, EPSG:4326: points as they are, polygons
    simplified on their own to ``budget`` vertices."""
    if overlay.is_points:
        return overlay.frame.to_crs(4326).geometry.to_numpy()
    return display_geometry(overlay.frame, vertex_budget=budget).geometry.to_numpy()
