"""The map tab as a politician reads it (issue 18, "The app"), through AppTest: the map and
the chosen area's profile side by side, why a tier and a rank disagree, the data-quality
panel, the correlations as one note, agreement only for real data, and the profile's
charts (the trend's rank axis inverted with its band, the domain bars coloured by sign)."""

from __future__ import annotations

import json

import pytest
from app_start import APP, demo_app
from shared_data import shared
from streamlit.testing.v1 import AppTest

from geo.analysis import run_analysis
from geo.export.tables import ranking_table
from geo.export.text import md_source
from geo.export.views import missing_values
from geo.inputs import list_profiles, load_inputs
from indicators.sensitivity import correlations

PROFILE = "Bred prevention"   # the demo's default profile


@pytest.fixture(scope="module")
def demo_analysis():
    return run_analysis(load_inputs(), list_profiles()[PROFILE])


def _all(node, out=None) -> list:
    out = [] if out is None else out
    for child in getattr(node, "children", {}).values():
        out.append(child)
        _all(child, out)
    return out


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in _all(at.main)
            if getattr(e, "type", "") == "vega_lite_chart"]


def _text(elements) -> str:
    return " ".join(md_source(e.value) for e in elements)


def test_the_profile_stands_beside_the_map_and_follows_the_list(demo_analysis):
    at = demo_app()
    assert not at.exception
    left, right = at.columns[0], at.columns[1]
    # Left: the map (the component) and the list a keyboard user chooses from.
    assert any(getattr(e, "type", "") == "component_instance" for e in _all(left))
    assert [s.key for s in left.selectbox] == ["map_show", "area"]   # what it shows; the list
    # Right: that area's profile, its heading naming it.
    first = at.selectbox(key="area").value
    table = ranking_table(demo_analysis)
    names = dict(zip(table["Områdeskod"], table["Område"], strict=True))
    assert md_source(right.subheader[0].value) == f"Områdesprofil: {names[first]} ({first})"
    other = at.selectbox(key="area").options[5]
    code = next(c for c, n in names.items() if f"{n} ({c})" == other)
    at.selectbox(key="area").set_value(code).run()
    assert md_source(at.columns[1].subheader[0].value) == f"Områdesprofil: {other}"
    # The profile is not also drawn under the table.
    assert sum("Områdesprofil" in md_source(s.value) for s in at.subheader) == 1


def test_no_tier_rank_sentence_where_they_agree():
    at = demo_app()
    assert "Varför prioritet och rang skiljer sig" not in _text(at.markdown)


def test_a_tier_against_its_rank_is_explained_beside_the_table():
    """With 'Hög prioritet' at P(topp k) = 100 %, an area ranked above another with all
    draws in the top k gets the lower tier: the sentence says so with both shares."""
    at = demo_app()
    at.slider(key="tier_high_p").set_value(1.0).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Sammanvägt index" in d.value.columns)
    share = "Sannolikhet topp 4 (%)"
    rows = table.to_dict("records")
    level = {"Hög prioritet": 0, "Förhöjd": 1, "Övriga": 2}
    inverted = [(a, b) for i, a in enumerate(rows) for b in rows[i + 1:]
                if level[b["Prioritet"]] < level[a["Prioritet"]]]
    assert inverted, "the setting should make a tier disagree with a rank"
    a, b = inverted[0]
    notes_column = next(c for c in at.columns
                        if "Varför prioritet och rang skiljer sig" in _text(c.markdown))
    text = _text(notes_column.markdown)

    def pct(shown: float) -> str:   # the table's share, as the sentence writes it
        return f"{shown:.1f}".replace(".", ",").removesuffix(",0") + " %"
    assert (f"{a['Område']}: rang {a['Rang']:.0f} men {a['Prioritet']}: i topp 4 i "
            f"{pct(a[share])} av beräkningarna, mot {pct(b[share])} för rang {b['Rang']:.0f} "
            f"({b['Område']}, {b['Prioritet']})") in text
    assert "Hög prioritet kräver minst 100 %" in text


def test_the_data_quality_panel_names_what_is_missing_and_what_it_does(demo_analysis):
    at = demo_app()
    missing = missing_values(demo_analysis, demo_analysis.inputs.missing)
    counts = missing.groupby("Indikator").size()
    many = sorted(counts.index[counts > 22 / 4])
    assert many     # the demo hides an indicator in most areas
    panel = [w for w in at.warning if "Datakvalitet" in md_source(w.value)]
    assert len(panel) == 1
    text = md_source(panel[0].value)
    for name in many:
        assert f"- {name} " in text
    for name in set(counts.index) - set(many):
        assert f"- {name} " not in text
    assert "räknas antalet som mitten av sitt möjliga intervall" in text
    # Open on the first page, not folded in an expander.
    assert not any("Datakvalitet" in _text(x.warning) for x in at.expander)
    # The data page says what is missing, not that all is well.
    assert not any("Alla områden har indikatordata" in md_source(s.value) for s in at.success)
    assert any(f"men {len(missing)} indikatorvärden" in md_source(w.value) for w in at.warning)


def test_no_data_quality_panel_for_the_real_default():
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert not any("Datakvalitet" in md_source(w.value) for w in at.warning)


def test_correlations_are_one_note_in_plain_words(demo_analysis):
    at = demo_app(run=False)
    at.session_state["tab"] = "Vad styr rangordningen"
    at.run()
    assert not at.exception
    flagged = correlations(demo_analysis.result).flagged
    assert len(flagged) >= 2     # the demo has several such pairs
    notes = [md_source(w.value) for w in at.warning if "samvarierar starkt" in
             md_source(w.value)]
    assert len(notes) == 1
    assert "mäter nästan samma sak" not in " ".join(md_source(w.value) for w in at.warning)
    r = f"{flagged['r'].iloc[0]:.2f}".replace(".", ",")
    assert f"(r = {r})" in notes[0]
    assert f"{len(flagged)} par av indikatorer samvarierar starkt" in notes[0]


def _with_omradestyp(at: AppTest) -> AppTest:
    types = shared("sweden", "regso_socioekonomisk_index_2023.csv")
    next(u for u in at.file_uploader if u.key == "omradestyp_file").upload(
        types.name, types.read_bytes(), "text/csv")
    at.session_state["tab"] = "Vad styr rangordningen"
    return at.run()


def test_no_agreement_statistics_for_synthetic_data():
    at = _with_omradestyp(demo_app())
    assert not at.exception
    shown = _text(at.markdown) + _text(at.info)
    assert "Cohens kappa" not in shown
    assert any("indikatorvärdena är syntetiska" in md_source(i.value) for i in at.info)


def test_agreement_statistics_for_real_data():
    at = _with_omradestyp(AppTest.from_file(APP, default_timeout=180).run())
    assert not at.exception
    assert "Cohens kappa" in _text(at.markdown)
    assert not any("syntetiska" in md_source(i.value) for i in at.info)


def test_the_profile_charts_read_the_right_way_round():
    at = demo_app()
    at.toggle(key="show_trends").set_value(True).run()
    assert not at.exception
    charts = _charts(at)
    domains = next(c for c in charts if c.get("encoding", {}).get("y", {}).get("field")
                   == "Domän")
    colour = domains["encoding"]["color"]
    assert colour["condition"]["test"] == "datum['Skillnad mot genomsnittet'] > 0"
    assert colour["condition"]["value"] != colour["value"]
    trend = next(c for c in charts if "layer" in c)
    band, line = trend["layer"]
    assert band["mark"]["type"] == "area"
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == \
        ("Rang 5 %", "Rang 95 %")
    assert line["encoding"]["y"]["scale"]["reverse"] is True
    assert band["encoding"]["y"]["scale"] == {"reverse": True, "zero": False, "nice": False,
                                              "domain": [1, 22]}
    # The domain table is whole: every domain row and every column, numbers with commas.
    table = next(d.value for d in at.columns[1].dataframe if "Domän" in d.value.columns)
    assert table.columns.tolist() == ["Domän", "Området", "Medel", "Skillnad"]
    assert len(table) == 6
    assert all("." not in v for v in table["Området"])
