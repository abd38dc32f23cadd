"""Read a map page in the compact format back, for tests: its shape and values, and its
layers as GeoJSON-like dicts (what the page script draws), with each area's tooltip made
by :func:`geo.maps.mapview.tooltip_html`, the Python rule the browser's tooltips are
tested against (tests/test_map_script.py)."""

from __future__ import annotations

import json
import re

import shapely

from geo.maps.mapview import decoded, tooltip_html
from geo.maps.topology import decode

_DATA = re.compile(r'<script type="application/json" id="pm-(shape|values)">(.*?)</script>',
                   re.S)


def page_data(html: str) -> tuple[dict, dict]:
    """The page's shape and values (the JSON the page script parses)."""
    found = dict(_DATA.findall(html))
    assert set(found) == {"shape", "values"}, "no compact map data in the page"
    return json.loads(found["shape"]), json.loads(found["values"])


def _feature(geometry, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties,
            "geometry": None if geometry is None else json.loads(shapely.to_geojson(geometry))}


def geojson_layers(html: str) -> list[dict]:
    """The page's layers as FeatureCollections, in drawing order: the areas (properties
    ``idx``, ``fill``, ``tooltip``), the outlines of some areas (``label``, ``idx``), then
    the layers from other sources (``label``). Code and name of each area are in its
    tooltip, as on the page."""
    shape, values = page_data(html)
    geoms = decode(shape["topology"])
    fill = decoded(values["fill"])
    areas = {"type": "FeatureCollection", "features": [
        _feature(g, {"idx": i, "fill": fill[i],
                     "tooltip": tooltip_html(values, i, shape["columns"])})
        for i, g in enumerate(geoms)]}
    outlines = [{"type": "FeatureCollection", "name": o["name"], "features": [
        _feature(geoms[i], {"label": label, "idx": i})
        for i, label in zip(o["idx"], o["labels"], strict=True)]}
        for o in values["outlines"]]
    return [areas, *outlines, *(o["data"] for o in shape["overlays"])]


def without_borders(html: str) -> str:
    """``html`` with the map's topology left out: its integer pairs (``[86,84]``) read like
    Swedish decimals to a search for numbers. The borders depend on the area file alone."""
    return re.sub(r'(<script type="application/json" id="pm-shape">).*?(</script>)', r"\1\2",
                  html, flags=re.S)
