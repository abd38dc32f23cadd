"""The focus as the second line of the areas' names on the map "Rekommenderat
angreppssätt" (issue 19: "focus as a label or pattern"), in chromium at 1440×900 on the
exported demo map (``prevmap export --demo --visa angreppssatt``): the second lines are
each area's focus from ``recommendations()``, no two labels overlap (the two-line box
counted whole) at the fitted view and zoomed out, and a name whose two lines do not fit
is still named alone. Screenshots in test-artifacts/ (focus-labels-*.png)."""

from __future__ import annotations

import pytest
from browser import launched_browser, open_offline, requires_browser, screenshot
from test_browser_title_box import BOXES_JS, assert_names_apart

from geo.analysis import run_analysis
from geo.cli import main
from geo.inputs import DEFAULT_PROFILE, load_inputs
from geo.io.files import read_settings
from geo.maps.analysis_map import SHOW_APPROACH, analysis_view
from geo.recommend import recommendations
from indicators.columns import AREA_ID, AREA_NAME
from indicators.recommendation import FOCUS, FOCUS_LINE_LEGEND, FOCUS_SHORT, SEPARATOR

pytestmark = requires_browser
#: Each name's label as [box, name, second line ('' without)] (a rank number left out).
LABELS_JS = """() => {
    const box = e => { const r = e.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
    return [...document.querySelectorAll('.pm-label:not(.pm-label-rank)')].map(e => {
        const focus = e.querySelector('.pm-label-focus');
        const name = [...e.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
                                      .map(n => n.textContent).join('');
        return [box(e), name, focus ? focus.textContent : ''];
    });
}"""
#: The label layer redrawn with other label data (the map's own, second lines changed).
RELABEL_JS = """labels => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    let group = null;
    map.eachLayer(l => { if (l.prevmapLabels) group = l.prevmapLabels; });
    group.prevmapUpdate({labels: labels});
}"""


@pytest.fixture(scope="module")
def demo():
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


@pytest.fixture(scope="module")
def page(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("focus") / "k.html"
    assert main(["export", "--demo", "--out", str(out), "--visa", SHOW_APPROACH]) == 0
    with launched_browser() as chromium:
        view = open_offline(chromium, out, width=1440, height=900)
        view.page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
        view.page.wait_for_timeout(500)       # the map fitted to its areas
        yield view
        assert view.page_errors == [] and view.blocked == []
        view.page.context.close()


def expected_focus(analysis) -> dict[str, str]:
    """Per area name its focus in short words, from the recommendation."""
    names = dict(zip(analysis.joined[AREA_ID].astype(str), analysis.joined[AREA_NAME],
                     strict=True))
    focus = recommendations(analysis).areas[FOCUS]
    return {names[str(a)]: " · ".join(FOCUS_SHORT[d] for d in f.split(SEPARATOR) if d)
            for a, f in focus.items()}


def test_the_names_carry_their_focus_and_never_overlap(page, demo):
    p = page.page
    screenshot(p, "focus-labels-export.png")
    expected = expected_focus(demo)
    labels = p.evaluate(LABELS_JS)
    assert [second for _, _, second in labels if second], "some name has its focus line"
    for _, name, second in labels:
        assert name in expected
        # the focus under the name, or the name alone (no focus, or it did not fit)
        assert second in ("", expected[name]), name
    boxes = p.evaluate(BOXES_JS)
    assert_names_apart(boxes)
    two = [b for b, _, second in labels if second]
    one = [b for b, _, second in labels if not second]
    # the two-line box is the label's own box: taller than a name alone
    assert min(b[3] - b[1] for b in two) > max(b[3] - b[1] for b in one) + 8
    assert FOCUS_LINE_LEGEND in p.locator(".pm-legend").inner_text()
    # zoomed out the names crowd: still none overlaps another
    p.keyboard.press("Tab")
    p.keyboard.press("-")
    p.wait_for_timeout(800)
    screenshot(p, "focus-labels-export-zoomed-out.png")
    assert_names_apart(p.evaluate(BOXES_JS))
    for _, name, second in p.evaluate(LABELS_JS):
        assert second in ("", expected[name]), name
    p.keyboard.press("+")
    p.wait_for_timeout(800)


def test_a_name_whose_two_lines_do_not_fit_is_named_alone(page, demo):
    """Second lines far too wide to fit beside one another: the names are still placed
    alone where they fit, and never overlap."""
    p = page.page
    before = {name for _, name, _ in p.evaluate(LABELS_JS)}
    labels = analysis_view(demo, show=SHOW_APPROACH).values["labels"]
    wide = dict(labels, second=["bred fokusrad " * 40] * len(labels["second"]))
    p.evaluate(RELABEL_JS, wide)
    p.wait_for_timeout(200)
    screenshot(p, "focus-labels-too-wide.png")
    shown = p.evaluate(LABELS_JS)
    alone = [name for _, name, second in shown if not second]
    wide_ones = [name for _, name, second in shown if second]
    # every area has a (wide) second line: a name shown without it was tried alone after
    # its two lines did not fit; without that, it would go unnamed
    assert wide_ones and alone, (wide_ones, alone)
    assert_names_apart(p.evaluate(BOXES_JS))
    p.evaluate(RELABEL_JS, labels)
    p.wait_for_timeout(200)
    assert {name for _, name, _ in p.evaluate(LABELS_JS)} == before
