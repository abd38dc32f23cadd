"""The two gaps of issue 19 closed after the first round: the focus as the second line of
the areas' names on the map "Rekommenderat angreppssätt" (the web map's label data and
legend, the exported HTML, the print map), and the resources counted per area listed
among the förutsättningar of the card and the recommendation table. Expectations come
from ``recommendations()`` and from point files built here with a known number of points
in each area, never typed in. The browser's placement is tested in
tests/test_browser_focus_labels.py."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from geo.analysis import add_comparisons, run_analysis
from geo.cli import main
from geo.export import recommend_views as rv
from geo.inputs import DEFAULT_PROFILE, load_inputs
from geo.io.files import read_settings
from geo.io.interventions import read_interventions
from geo.io.organisation import read_organisation
from geo.maps.analysis_map import SHOW_APPROACH, SHOW_INDEX, analysis_view
from geo.maps.mapview import escape_text
from geo.recommend import recommendations
from geo.spatial.comparisons import Comparisons, read_point_layer
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS
from indicators.recommendation import (
    FOCUS,
    FOCUS_LINE_LEGEND,
    FOCUS_SHORT,
    NO_RESOURCES,
    SEPARATOR,
    STRENGTHS,
    focus_labels,
    focus_short,
    resources_text,
    strengths_text,
)
from indicators.swedish import format_integer

CREATED = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def demo():
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


@pytest.fixture(scope="module")
def org():
    return read_organisation()


@pytest.fixture(scope="module")
def catalogue():
    return read_interventions()


def expected_second_lines(analysis) -> dict[str, str]:
    """Per area id its focus in short words, computed here from the recommendation."""
    areas = recommendations(analysis).areas
    short = {}
    for area, focus in areas[FOCUS].items():
        ids = [d for d in focus.split(SEPARATOR) if d]
        short[str(area)] = " · ".join(FOCUS_SHORT[d] for d in ids)
    return short


# -- the pure words ------------------------------------------------------------------------

def test_short_focus_words():
    assert focus_short("kriminalitet; skola") == "kriminalitet · skola"
    assert focus_short("psykisk_ohalsa") == "psyk. ohälsa"
    assert focus_short("") == ""
    # a domain without a short name: its name, in lower case
    assert focus_short("boende", {"boende": "Boende och trångboddhet"}) == \
        "boende och trångboddhet"
    assert set(FOCUS_SHORT) == set(DOMAINS)
    assert all(len(w) <= 12 for w in FOCUS_SHORT.values())


def test_resources_in_words():
    assert resources_text(None) == NO_RESOURCES == "inga resurser inlästa"
    assert resources_text({"Fritidsgardar": 2, "Skolor": 0}) == "Fritidsgardar: 2, Skolor: 0"
    assert resources_text({"Skolor": 1234}) == f"Skolor: {format_integer(1234)}"
    assert resources_text({}) == NO_RESOURCES
    assert strengths_text("skola", None) == "skola; inga resurser inlästa"
    assert strengths_text("", {"Fritidsgardar": 0}) == "resurser i området: Fritidsgardar: 0"
    assert strengths_text("skyddsfaktorer; skola", {"A": 1}) == \
        "skyddsfaktorer och skola; resurser i området: A: 1"


# -- resources among the förutsättningar ------------------------------------------------------

def _points_csv(path: Path, areas, per_area: dict[str, int]) -> Path:
    """A point file with ``per_area[id]`` points inside each area (at points inside it)."""
    frame = areas.set_index(AREA_ID)
    rows = []
    for area, n in per_area.items():
        inside = frame.loc[area].geometry.representative_point()
        for k in range(n):
            # a few metres apart, all well inside the area
            rows.append(f"{area} {k};{inside.x + k:.1f};{inside.y:.1f}\n")
    path.write_text("namn;x;y\n" + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def with_points(demo, tmp_path_factory):
    """The demo with two point layers: 'Fritidsgardar' (2 in the first area, 1 in the
    second) and 'Skolor' (1 in the first area)."""
    folder = tmp_path_factory.mktemp("points")
    areas = demo.inputs.areas.frame.to_crs(3006)
    ids = [str(a) for a in areas[AREA_ID]]
    fritid = {ids[0]: 2, ids[1]: 1}
    skolor = {ids[0]: 1}
    layers = (read_point_layer(_points_csv(folder / "fritidsgardar.csv", areas, fritid),
                               "Fritidsgardar"),
              read_point_layer(_points_csv(folder / "skolor.csv", areas, skolor), "Skolor"))
    analysis = add_comparisons(demo, Comparisons(points=layers))
    expected = {a: {"Fritidsgardar": fritid.get(a, 0), "Skolor": skolor.get(a, 0)}
                for a in ids}
    return analysis, expected


def test_the_card_lists_the_resources_counted_in_the_area(with_points, org, catalogue):
    analysis, expected = with_points
    for area, counts in expected.items():
        card = rv.recommendation_card(analysis, area, org, catalogue)
        assert card.resources == (f"Fritidsgardar: {counts['Fritidsgardar']}, "
                                  f"Skolor: {counts['Skolor']}")
    # a layer with no point in the area says 0, never "inga resurser"
    last = list(expected)[-1]
    assert rv.recommendation_card(analysis, last, org, catalogue).resources == \
        "Fritidsgardar: 0, Skolor: 0"


def test_the_table_lists_the_resources_among_the_forutsattningar(with_points, org):
    analysis, expected = with_points
    rec = recommendations(analysis)
    table = rv.recommendation_table(analysis, org).set_index(rv.CODE)
    for area, counts in expected.items():
        cell = table.at[area, rv.STRENGTHS_COL]
        resources = (f"resurser i området: Fritidsgardar: {counts['Fritidsgardar']}, "
                     f"Skolor: {counts['Skolor']}")
        strengths = focus_labels(rec.areas.at[area, STRENGTHS])
        assert cell == (f"{strengths}; {resources}" if strengths else resources)
        assert NO_RESOURCES not in cell


def test_without_point_layers_the_card_and_table_say_none_is_loaded(demo, org, catalogue):
    assert demo.comparison is None
    rec = recommendations(demo)
    table = rv.recommendation_table(demo, org).set_index(rv.CODE)
    for area in rec.areas.index:
        card = rv.recommendation_card(demo, area, org, catalogue)
        assert card.resources == NO_RESOURCES
        assert table.at[area, rv.STRENGTHS_COL].endswith(NO_RESOURCES)
        assert "resurser i området" not in table.at[area, rv.STRENGTHS_COL]


# -- the focus as the names' second line --------------------------------------------------------

def test_the_approach_map_carries_each_areas_focus_as_a_second_line(demo):
    view = analysis_view(demo, show=SHOW_APPROACH, created=CREATED)
    ids = [str(a) for a in demo.joined[AREA_ID]]
    expected = expected_second_lines(demo)
    assert any(expected.values()), "the demo has areas with a focus"
    second = view.values["labels"]["second"]
    assert second == [escape_text(expected[a]) for a in ids]
    assert escape_text(FOCUS_LINE_LEGEND) in view.panels["legend"]
    # other layers have no second line and no such legend line
    other = analysis_view(demo, show=SHOW_INDEX, created=CREATED)
    assert "second" not in other.values["labels"]
    assert escape_text(FOCUS_LINE_LEGEND) not in other.panels["legend"]


def _page_values(html: str) -> list[dict]:
    """Every JSON object in the page that carries label data."""
    found = []
    for m in re.finditer(r'"labels":\s*(\{"order".*?\})\s*[,}]', html):
        try:
            found.append(json.loads(m.group(1)))
        except json.JSONDecodeError:
            continue
    return found


def test_the_exported_demo_map_has_the_focus_lines(demo, tmp_path):
    out = tmp_path / "k.html"
    assert main(["export", "--demo", "--out", str(out), "--visa", SHOW_APPROACH]) == 0
    html = out.read_text(encoding="utf-8")
    names = dict(zip(demo.joined[AREA_ID].astype(str), demo.joined[AREA_NAME], strict=True))
    expected = expected_second_lines(demo)
    labels = _page_values(html)
    assert labels, "the page has the names' label data"
    second = labels[0]["second"]
    ids = list(names)
    for k, area in enumerate(ids):
        assert second[k] == escape_text(expected[area]), names[area]
    with_focus = [a for a in ids if expected[a]]
    assert with_focus and len(with_focus) < len(ids)
    assert escape_text(FOCUS_LINE_LEGEND) in html


def test_the_print_map_names_the_focus_on_a_second_line(demo):
    from geo.maps.print_map import APPROACH, INDEX, build_print_map, overlaps
    made = build_print_map(demo, APPROACH, created=CREATED)
    expected = expected_second_lines(demo)
    assert FOCUS_LINE_LEGEND in made.legend.how
    two_lines = [label for label in made.labels if label.second]
    assert two_lines, "some area is named with its focus"
    for label in made.labels:
        # a second line is the area's focus, or none when only the name fitted
        assert label.second in ("", expected[label.area_id])
    # the name and its focus are two texts, the focus smaller and not bold, just under it
    from geo.maps.print_map import SECOND_LINE_SCALE
    texts = [t for ax in made.figure.axes for t in ax.texts]
    for label in two_lines:
        name = next(t for t in texts if t.get_text() == label.name)
        x, y = name.get_position()
        line = next(t for t in texts if t.get_text() == label.second
                    and t.get_position()[0] == pytest.approx(x))   # centred under its name
        assert line.get_fontsize() == pytest.approx(name.get_fontsize() * SECOND_LINE_SCALE)
        assert line.get_fontweight() == "normal"
        assert line.get_position()[1] < y
    boxes = [label.box for label in made.labels]
    assert not [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                if overlaps(boxes[i], boxes[j])]
    # the areas with most need are still named (the name alone when the focus did not fit)
    plain = build_print_map(demo, INDEX, created=CREATED)
    assert len(made.labels) >= min(5, len(plain.labels))
    assert all(not label.second for label in plain.labels)
    Path("test-artifacts").mkdir(exist_ok=True)
    Path("test-artifacts/print_map_angreppssatt_fokus.png").write_bytes(made.to_bytes("png"))
