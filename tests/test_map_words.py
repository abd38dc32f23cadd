"""The map's words (issue 18): the legend names need classes with their counts and how
they were made, every choice of what the map shows works, an unknown one is refused with
the valid ones named, and ``prevmap export --visa`` does the same."""

from __future__ import annotations

import re

import numpy as np
import pytest
from map_pages import page_data

from geo.analysis import TIER, robustness_columns, run_analysis
from geo.cli import main
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import TIER_COLOURS, analysis_view, map_choices, map_measure
from geo.maps.legend import class_spans, classes_made, need_words
from geo.maps.mapview import HOVER_LINES, decoded, hover_html, label_order, tooltip_html
from indicators.errors import SettingsError
from indicators.tiers import TIERS


@pytest.fixture(scope="module")
def analysis():
    return run_analysis(load_inputs(), list_profiles()["Bred prevention"])


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def counts(legend: str) -> dict[str, int]:
    return {w: int(n) for w, n in re.findall(r"</i>([^<(]+?) \((\d+)\)</div>", legend)}


def test_five_classes_are_named_by_need_with_their_counts(analysis):
    view = analysis_view(analysis)
    found = counts(view.panels["legend"])
    assert list(found) == list(need_words(5))
    assert sum(found.values()) == len(analysis.joined)
    fifth = len(analysis.joined) / 5             # 22 distinct scores: 4 or 5 in each fifth
    assert all(np.floor(fifth) <= n <= np.ceil(fifth) for n in found.values())
    assert "femtedelar av områdena" in text(view.panels["legend"])
    assert not re.search(r"\d,\d\d – ", view.panels["legend"])   # limits are in the tooltips


def test_class_words_and_limits_follow_the_count_and_direction():
    assert need_words(3) == ("Högst behov", "Medel", "Lägst behov")
    assert need_words(4)[0] == "Högst behov" and need_words(4)[-1] == "Lägst behov"
    assert class_spans([1.0, 2.5]) == ["≤ 1,00", "1,00 – 2,50"]
    # less need at higher values: the classes of -value, said in the value's own units
    assert class_spans([-80.0, -60.0], direction=-1) == ["≥ 80,00", "60,00 – 80,00"]
    assert classes_made("quantiles", 5, 5, 22) == "femtedelar av områdena"
    assert classes_made("quantiles", 5, 4, 22).startswith("kvantiler av områdena")
    assert "mapclassify.FisherJenks" in classes_made("fisher_jenks", 5, 5, 22)
    assert classes_made("quantiles", 5, 2, 2) == "ett värde per klass"


def test_every_choice_draws_a_map(analysis):
    choices = map_choices(analysis)
    assert list(choices)[:2] == ["index", "prioritet"]
    assert {*analysis.result.domain_scores.columns, *analysis.result.values.columns} \
        <= set(choices)
    for key in choices:
        view = analysis_view(analysis, show=key)
        fill = decoded(view.values["fill"])
        assert len(fill) == len(analysis.joined), key
        assert sum(counts(view.panels["legend"]).values()) == len(analysis.joined), key


def test_tier_map_is_categorical_with_its_rule(analysis):
    view = analysis_view(analysis, show="prioritet")
    tiers = robustness_columns(analysis)[TIER].reindex(analysis.joined["area_id"])
    colour = dict(TIER_COLOURS)
    assert decoded(view.values["fill"]) == [colour[t] for t in tiers]
    legend = text(view.panels["legend"])
    assert analysis.settings.tiers.text(analysis.assessment.top_k) in legend
    assert counts(view.panels["legend"])[TIERS[0]] == int((tiers == TIERS[0]).sum())
    # the top tier comes first in the label order and is always named
    labels = view.values["labels"]
    assert labels["always"] == int((tiers == TIERS[0]).sum())
    assert {tiers.iloc[i] for i in labels["order"][:labels["always"]]} == {TIERS[0]}


def test_an_indicator_shows_its_value_unit_and_year(analysis):
    ind = next(i for i in analysis.result.indicators if i.direction < 0)
    view = analysis_view(analysis, show=ind.id)
    legend = text(view.panels["legend"])
    assert ind.name in legend and ind.unit in legend
    assert f"år {analysis.inputs.year}" in legend and "lägre värde = större behov" in legend
    # the darkest class holds the lowest values (less is more need here)
    values = analysis.result.values[ind.id].reindex(analysis.joined["area_id"]).to_numpy()
    fill = np.array(decoded(view.values["fill"]))
    darkest = fill == "#bd0026"
    assert darkest.any() and values[darkest].max() < np.nanmedian(values)
    assert any(f"{ind.name}: " in line[0] for line in view.values["template"])


def test_an_unknown_choice_is_refused_with_the_valid_ones(analysis):
    with pytest.raises(SettingsError, match=r"kan inte visa 'karta'.*index, prioritet"):
        map_measure(analysis, "karta")


def test_label_order_puts_the_top_tier_first_then_rank():
    order = label_order(np.array([3.0, 1.0, np.nan, 2.0]), np.array([True, False, False, False]))
    assert order == {"order": [0, 1, 3, 2], "always": 1, "ranks": [3, 1, None, 2]}


def test_export_maps_the_choice(analysis, tmp_path):
    _, values = page_data(map_html(analysis, show="prioritet").decode())
    assert set(decoded(values["fill"])) <= {c for _, c in TIER_COLOURS} | {"#d9d9d9"}


def test_cli_visa_chooses_and_a_wrong_value_exits_2_naming_the_choices(tmp_path, capsys):
    out = tmp_path / "k.html"
    assert main(["export", "--demo", "--out", str(out), "--visa", "prioritet"]) == 0
    _, values = page_data(out.read_text(encoding="utf-8"))
    assert set(decoded(values["fill"])) <= {c for _, c in TIER_COLOURS} | {"#d9d9d9"}
    assert main(["export", "--demo", "--out", str(tmp_path / "x.html"), "--visa", "fel"]) == 2
    err = capsys.readouterr().err
    assert "kan inte visa 'fel' (--visa). Välj en av: index, prioritet, " in err
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("show", ["index", "prioritet", "domain", "indicator"])
def test_hover_tooltip_is_compact_and_the_detail_stays_in_the_full_one(analysis, show):
    """The hover tooltip: name, rank of how many, the mapped measure with its class in
    words (the full tooltip's class) and the tier; the rest (code, what contributes most,
    rank interval) only in the full detail (the export's popup, the app's profile)."""
    choices = map_choices(analysis)
    domain = next(k for k, label in choices.items() if label.startswith("Domän: "))
    key = {"domain": domain, "indicator": list(choices)[-1]}.get(show, show)
    view = analysis_view(analysis, show=key)
    fixed = page_data(map_html(analysis, show=key).decode("utf-8"))[0]["columns"]
    names, tiers = decoded(fixed[0]), robustness_columns(analysis)[TIER]
    n_ranked = int(analysis.result.score.notna().sum())
    for i, area in enumerate(analysis.joined["area_id"]):
        hover = hover_html(view.values, i, fixed).split("<br>")
        full = tooltip_html(view.values, i, fixed)
        assert len(hover) <= HOVER_LINES, hover
        assert hover[0] == f"<b>{names[i]}</b>" and f"({decoded(fixed[1])[i]})" in full
        assert hover[1].startswith("Rang ") and hover[1].endswith(f" av {n_ranked}")
        assert f"{TIER}: {tiers[area]}" in hover
        if show != "prioritet":        # the class in words, as the full tooltip's class
            word = re.search(r"Klass: ([^(<]+) \(", full)[1]
            assert hover[2].endswith(f"({word})"), (hover, word)
        assert not any("Bidrar mest" in h or "90 %" in h for h in hover)
        assert len(full.split("<br>")) > len(hover)
