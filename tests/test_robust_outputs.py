"""The defended ranking reaches every output: tiers, intervals, hotspots, method page, and
no suppressed count anywhere."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from leaks import shown_hidden_rates
from map_pages import without_borders
from test_leak_attack import hidden_held, with_hidden_at
from test_maps import geojson_layers

from geo.analysis import TIER, Analysis, published_values, robustness_columns, run_analysis
from geo.export.outputs import export_analysis, map_html
from geo.export.tables import ranking_csv, ranking_table
from geo.inputs import Inputs, load_inputs
from indicators.disclosure import check_no_leak
from indicators.tiers import TIERS


@pytest.fixture
def settings(bred_prevention):
    return bred_prevention


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs()


@pytest.fixture(scope="module")
def analysis(inputs, bred_prevention) -> Analysis:
    return run_analysis(inputs, bred_prevention)


def test_table_and_csv_carry_tier_interval_probability_and_cluster(analysis, settings):
    table = ranking_table(analysis)
    k = analysis.assessment.top_k
    assert k == round(22 / 5)
    for column in ("Prioritet", "Medianrang", "Rang 5 %", "Rang 95 %",
                   f"Sannolikhet topp {k} (%)", "Kluster (Gi*)", "Litet underlag"):
        assert column in table.columns
    assert set(table["Prioritet"]) <= set(TIERS)
    assert (table["Rang 5 %"] <= table["Medianrang"]).all()
    assert (table["Medianrang"] <= table["Rang 95 %"]).all()
    # The tier rule, checked row by row against the probabilities shown.
    p = table[f"Sannolikhet topp {k} (%)"] / 100
    high = table["Prioritet"] == "Hög prioritet"
    assert (p[high] >= settings.tiers.high_p - 1e-9).all()
    assert (p[~high] < settings.tiers.high_p).all()
    csv = pd.read_csv(io.BytesIO(ranking_csv(analysis)), sep=";", decimal=",",
                      encoding="utf-8-sig", dtype={"Områdeskod": str}, keep_default_na=False)
    assert csv["Prioritet"].tolist() == table["Prioritet"].tolist()


def test_same_settings_same_result_other_seed_other_draws(inputs, analysis, settings):
    again = run_analysis(inputs, settings)
    pd.testing.assert_frame_equal(ranking_table(again),
                                  ranking_table(analysis))
    other = run_analysis(inputs, settings.with_changes(seed=1))
    assert not other.assessment.uncertainty.rank_counts.equals(
        analysis.assessment.uncertainty.rank_counts)


def test_map_has_method_page_cluster_and_uncertainty_layers(analysis):
    html = map_html(analysis).decode()
    for heading in ("Hur säker är rangordningen?", "Prioritetsnivåer", "Små tal och sekretess",
                    "Var behoven samlas", "Källor till metoden"):
        assert f"<h3>{heading}</h3>" in html
    unsure = analysis.assessment.uncertain()
    outlines = [g for g in geojson_layers(html) if "label" in g["features"][0]["properties"]
                and "osäkert om området" in g["features"][0]["properties"]["label"]]
    assert len(outlines) == (1 if unsure.any() else 0)
    if unsure.any():
        assert len(outlines[0]["features"]) == int(unsure.sum())
    tips = [f["properties"]["tooltip"] for g in geojson_layers(html) for f in g["features"]
            if "tooltip" in f["properties"]]
    assert sum("Rang, 90 % av beräkningarna:" in t for t in tips) == int(
        analysis.result.score.notna().sum())


def test_suppressed_counts_are_missing_in_the_ranking_and_absent_from_files(
        inputs, analysis, settings, tmp_path):
    disclosure = analysis.assessment.prepared.disclosure
    assert len(disclosure.suppressed) > 0
    values = published_values(analysis)     # what every output shows
    hidden_rates = 0
    for row in disclosure.suppressed.itertuples():
        for ind_id in values.columns:
            if inputs.catalogue[ind_id].numerator == row.column:
                assert pd.isna(values.at[row.area_id, ind_id])
                # The ranking computes with the band's midpoint, never the count.
                assert analysis.result.values.at[row.area_id, ind_id] == pytest.approx(
                    (row.low + row.high) / 2 / inputs.table.set_index("area_id").at[
                        row.area_id, inputs.catalogue[ind_id].denominator]
                    * inputs.catalogue[ind_id].per)
                hidden_rates += 1
    assert hidden_rates > 0
    paths = export_analysis(analysis, tmp_path / "karta.html")
    settings_text = paths.settings.read_text(encoding="utf-8")
    assert check_no_leak(settings_text, disclosure, inputs.table) == []
    # The CSV has no count or indicator column at all, and neither file holds a hidden rate
    # as the map and the table would write it (format_number). (check_no_leak reads every
    # small number on an area's line as a possible count, so ranks and flag counts would
    # all look like leaks there.)
    header = paths.csv.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    assert not set(header) & (set(inputs.table.columns) | set(inputs.catalogue))
    text = paths.html.read_text(encoding="utf-8") + paths.csv.read_text(encoding="utf-8-sig")
    # A number equal to a hidden rate may turn up by coincidence (0126R007's score is
    # −0,73, its hidden rate of narkotikabrott 0,73 ‰). It is no leak when the same text
    # comes out with every hidden count moved to the other end of its band.
    found = shown_hidden_rates(without_borders(text), analysis)
    if found:
        moved = run_analysis(with_hidden_at(inputs, hidden_held(inputs, settings), "high"),
                             settings)
        other = export_analysis(moved, tmp_path / "flyttad" / "karta.html")
        assert other.html.read_text(encoding="utf-8") + other.csv.read_text(
            encoding="utf-8-sig") == text
        assert found == [("0126R007", "narkotikabrott", "0,73")]
    # Control: without disclosure control the same values are in the ranking again.
    open_ = run_analysis(inputs, settings.with_changes(disclosure=False))
    row = disclosure.suppressed.iloc[0]
    ind_id = next(i for i in values.columns if inputs.catalogue[i].numerator == row["column"])
    assert not pd.isna(open_.result.values.at[row["area_id"], ind_id])


def test_merging_small_areas_is_a_setting_and_leaves_no_small_area(inputs, settings):
    """Small by the young population (barn 0–17 år): under 450, three demo areas."""
    settings = settings.with_changes(min_population=450)
    merged = run_analysis(inputs, settings.with_changes(merge_small=True))
    assert merged.merge is not None and len(merged.merge.merged) > 0
    assert len(merged.result.score) == 22 - sum(len(g) - 1 for g in merged.merge.merged)
    assert merged.assessment.prepared.disclosure.small_areas.empty
    assert (ranking_table(merged)["Litet underlag"] == "").all()
    assert any(n.startswith("Sammanslagning:") for n in merged.notes())
    page = " ".join(p for s in merged.method_page() for p in s.paragraphs)
    assert "Små grannområden slås ihop tills varje område når minst 450 barn 0–17 år" in page
    # The map shows the merged polygons, one per ranked group.
    assert len(merged.joined) == len(merged.result.score)


def test_ranking_table_and_robustness_columns_are_handed_out_as_copies(inputs, settings):
    analysis = run_analysis(inputs, settings)
    first = ranking_table(analysis)
    first.iloc[0, 0] = -1                         # a caller's change stays its own
    second = ranking_table(analysis)
    assert second.iloc[0, 0] == 1
    assert "_ranking_table" not in vars(analysis)   # nothing written into the frozen object
    robust = robustness_columns(analysis)
    robust[TIER] = "x"
    assert (robustness_columns(analysis)[TIER] != "x").all()
    # A new analysis (another weight) is never served the old one's table.
    other = run_analysis(inputs, settings.with_changes(
        domain_weights=(("kriminalitet", 5.0),)))
    assert not ranking_table(other).equals(second)
