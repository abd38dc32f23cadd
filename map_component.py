"""The app's map: a Streamlit component around Leaflet that keeps the borders in the browser.

streamlit-folium re-sends the whole map (borders, tooltips, scripts) on every rerun: 422 kB
for Huddinge and 1.8 MB for all of Sweden's RegSO on each weight change, although only the
colours changed. Its ``feature_group_to_add`` re-sends the layer too. This component
splits a map (:class:`geo.maps.mapview.MapView`) in two:

* the **shape** (borders as TopoJSON, other-source layers) is written once per area set
  as ``shape-<sha256>.json`` beside the component's page and fetched by the browser (and
  cached by it: the name is its content's digest);
* the **values** of the ranking, the panels and the tiles go with each rerun, a few kB,
  and the page restyles its areas in place (``geo/maps/web/component.js``).

The component's page loads Leaflet from the copy folium-offline embeds (the same version
the exported maps inline, :mod:`geo.maps.offline`), never from a CDN: the page fetches
nothing but the app's own files. The files are written, once per process, into a
directory of their own (:func:`component_dir`), which Streamlit serves.

A click on an area returns its row (``{"idx": i, "n": id}``, ``n`` new with every click);
:func:`clicked_row` turns that into a row number once per click.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

import folium
import streamlit as st
import streamlit.components.v1 as components

from geo.maps.choropleth import AREA_STYLE, BOUNDARY_STYLE, CSS, HIGHLIGHT, tile_attribution
from geo.maps.mapview import CONTEXT_LAYER, SCRIPT, MapView
from geo.maps.offline import embedded_asset

WEB = SCRIPT.parent
#: The folium names the app offers for background tiles, as Leaflet needs them.
NAMED_TILES = {"OpenStreetMap": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                 "&copy; OpenStreetMap-bidragsgivare")}


@functools.cache
def component_dir() -> Path:
    """The directory Streamlit serves the component from: its page and scripts, Leaflet,
    and the shapes shown so far. Made once per process, removed when it ends."""
    where = Path(tempfile.mkdtemp(prefix="prevmap-karta-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    leaflet_js = dict(folium.Map.default_js)["leaflet"]
    leaflet_css = dict(folium.Map.default_css)["leaflet_css"]
    files = {"index.html": (WEB / "component.html").read_text(encoding="utf-8"),
             "component.js": (WEB / "component.js").read_text(encoding="utf-8"),
             "prevmap_map.js": SCRIPT.read_text(encoding="utf-8"),
             "leaflet.js": embedded_asset(leaflet_js),
             "leaflet.css": embedded_asset(leaflet_css),
             "map.css": CSS}
    for name, text in files.items():
        (where / name).write_text(text, encoding="utf-8")
    return where


@functools.cache
def _component():
    return components.declare_component("prevmap_map", path=str(component_dir()))


def shape_file(view: MapView) -> str:
    """The name of ``view``'s shape file in :func:`component_dir`, written if it is new
    (atomically: a browser never reads half a file)."""
    name = f"shape-{view.shape.key}.json"
    path = component_dir() / name
    if not path.exists():
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(view.shape.text)
        os.replace(temporary, path)
    return name


def tiles_for(tiles: str | None) -> dict | None:
    """Background tiles as the component takes them: a folium name or an https URL."""
    if not tiles:
        return None
    if tiles in NAMED_TILES:
        url, attribution = NAMED_TILES[tiles]
        return {"url": url, "attribution": attribution}
    return {"url": tiles, "attribution": tile_attribution(tiles)}


def show_map(view: MapView, *, key: str, layer: str, tiles: str | None = None,
             boundary: str | None = "Kommungräns", height: int = 640,
             selected: int | None = None) -> dict | None:
    """Draw ``view`` (its areas named ``layer`` in the layer control, the outer border
    ``boundary``; None: not drawn), the area in row ``selected`` outlined, and return the
    last click, ``{"idx": row, "n": id}`` (``n`` new with every click, also after the map
    was drawn anew), or None."""
    return _component()(
        shape=shape_file(view), values=view.values,
        panels={k: view.panels[k] for k in ("title", "legend", "sources")},
        tiles=tiles_for(tiles), layer=layer, boundary=boundary, height=height,
        selected=selected, contextName=CONTEXT_LAYER,
        style={"areas": AREA_STYLE, "highlight": HIGHLIGHT, "boundary": BOUNDARY_STYLE},
        key=key, default=None)


def clicked_row(clicked: dict | None, seen_key: str,
                state: MutableMapping | None = None) -> int | None:
    """The row of a click the app has not handled yet, else None. The last click handled
    is remembered in ``state`` (the session state) under ``seen_key``: the component
    reports its last click on every rerun."""
    state = st.session_state if state is None else state
    if not clicked or "idx" not in clicked:
        return None
    mark = (clicked.get("n"), clicked["idx"])
    if state.get(seen_key) == mark:
        return None
    state[seen_key] = mark
    return int(clicked["idx"])
