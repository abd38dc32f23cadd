"""The app's map component (map_component.py) without a browser: the files it serves, the
shape written once per area set, the tiles it is given, and clicks handled once.
tests/test_browser_app.py drives it in chromium."""

from __future__ import annotations

import json
import os

from geo.analysis import run_analysis
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import analysis_view
from geo.maps.choropleth import chosen_tiles
from map_component import clicked_row, component_dir, shape_file, tiles_for


def test_the_component_serves_leaflet_and_its_scripts_from_the_app():
    folder = component_dir()
    page = (folder / "index.html").read_text(encoding="utf-8")
    for name in ("leaflet.js", "leaflet.css", "prevmap_map.js", "component.js", "map.css"):
        assert f'"{name}"' in page and (folder / name).stat().st_size > 0
    assert "http" not in page                                  # nothing from elsewhere
    assert "Leaflet" in (folder / "leaflet.js").read_text(encoding="utf-8")[:200]


def test_the_shape_is_written_once_per_area_set_and_is_the_views_shape():
    inputs, profile = load_inputs(), list_profiles()["Bred prevention"]
    first = analysis_view(run_analysis(inputs, profile), settings=False)
    name = shape_file(first)
    path = component_dir() / name
    assert json.loads(path.read_text(encoding="utf-8"))["topology"]["type"] == "Topology"
    written = path.stat().st_mtime_ns
    changed = profile.with_changes(domain_weights=tuple(
        {**dict(profile.domain_weights), "kriminalitet": 0.0}.items()))
    second = analysis_view(run_analysis(inputs, changed), settings=False)
    assert second.values != first.values                       # another ranking ...
    assert shape_file(second) == name                          # ... the same borders
    assert path.stat().st_mtime_ns == written                  # not written again
    assert not [p for p in os.listdir(component_dir()) if p.endswith(".part")]


def test_tiles_are_given_as_leaflet_needs_them():
    assert tiles_for(None) is None
    assert tiles_for("OpenStreetMap")["url"].startswith("https://tile.openstreetmap.org/")
    own = tiles_for("https://karta.huddinge.se/tiles/{z}/{x}/{y}.png")
    assert own == {"url": "https://karta.huddinge.se/tiles/{z}/{x}/{y}.png",
                   "attribution": "Bakgrundskarta: karta.huddinge.se"}
    # Leaflet writes the attribution as HTML: a typed address the app accepts (https,
    # {z}, {x}, {y}) cannot put markup there.
    typed = "https://<img src=x onerror=alert(1)>/{z}/{x}/{y}.png"
    assert chosen_tiles(typed) == (typed, None)
    assert "<img" not in tiles_for(typed)["attribution"]


def test_a_click_is_handled_once_and_the_same_area_clicked_again_is_a_new_click():
    state: dict = {}
    assert clicked_row(None, "k", state) is None
    assert clicked_row({"idx": 3, "n": 1}, "k", state) == 3
    assert clicked_row({"idx": 3, "n": 1}, "k", state) is None    # reported again on a rerun
    assert clicked_row({"idx": 3, "n": 2}, "k", state) == 3       # clicked again
    assert clicked_row({"idx": 5, "n": 3}, "other", state) == 5   # another map's clicks
