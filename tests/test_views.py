"""The tables the app shows (geo/export/views.py) on the bundled demo data, one column
taken away and one cell emptied: what each source covers, what the table lacks, which
values are missing and why, one area's profile, certainty and values beside the kommun's;
the drivers' tables, the trends, the agreement with a comparison and Kolada's table on
stand-ins small enough to check by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from geo.analysis import run_analysis
from geo.export.views import (
    NO_REASON,
    against_kommun,
    agreement_views,
    agreement_withheld,
    area_tiers,
    certainty_view,
    correlation_table,
    hotspot_table,
    kolada_caption,
    kolada_table,
    lacking_columns,
    missing_reasons,
    missing_values,
    plan_area_table,
    profile_view,
    resource_table,
    sensitivity_table,
    source_coverage,
    source_table,
    trend_view,
    weight_table,
)
from geo.inputs import DEMO_INDICATORS, list_profiles, load_inputs
from geo.spatial.comparisons import OMRADESTYP_COLUMN
from indicators.columns import DOMAINS
from indicators.table import available_indicators
from plans.followup import STATUSES
from plans.model import Action, PlanArea

EMPTIED = ("0126R005", "valdsbrott")      # area and count column made empty
VIOLENCE = "Anmälda våldsbrott"          # the indicator of that count


@pytest.fixture(scope="module")
def analysis():
    """The demo without the UVAS count (so one indicator cannot be computed) and with
    one area's violent crimes emptied, ranked with 'Bred prevention' (disclosure on)."""
    inputs = load_inputs()
    table = inputs.table.drop(columns=["unga_16_24_uvas"])
    area, column = EMPTIED
    table.loc[table["area_id"] == area, column] = np.nan
    inputs = replace(inputs, table=table, history=())
    profile = list_profiles()["Bred prevention"]
    available = available_indicators(table, inputs.catalogue)
    settings = profile.with_changes(indicator_weights={
        i: w for i, w in profile.indicator_weights if i in available})
    return run_analysis(inputs, settings), available


def test_the_sources_and_what_they_cover(analysis) -> None:
    result, available = analysis
    assert len(available) == 14
    coverage = source_coverage(result, available)
    assert coverage == {"Områden": "22 områden",
                        "Indikatorer": "22 av 22 områden, 14 av 15 indikatorer"}
    table = source_table(result, available)
    assert table["Data"].tolist() == ["Områden", "Indikatorer"]
    assert table["Täckning"].tolist() == list(coverage.values())
    assert table["Syntetiska"].tolist() == ["nej", "ja"]
    assert table["Titel"].tolist() == [s.title for s in result.sources]


def test_the_indicator_the_table_lacks_columns_for(analysis) -> None:
    result, available = analysis
    lacking = lacking_columns(result, available)
    assert lacking.to_dict("records") == [{
        "Indikator": "Unga 16–24 år som varken arbetar eller studerar",
        "Saknade kolumner": "unga_16_24_uvas"}]
    everything = tuple(result.inputs.catalogue)
    assert lacking_columns(result, everything).empty
    assert list(lacking_columns(result, everything).columns) == ["Indikator",
                                                                 "Saknade kolumner"]


def test_a_missing_value_with_no_known_reason(analysis) -> None:
    result, _ = analysis
    rows = missing_values(result)
    area, _ = EMPTIED
    ours = (rows["Område"] == area) & (rows["Indikator"] == VIOLENCE)
    assert rows[ours].to_dict("records") == [{"Indikator": VIOLENCE, "Område": area,
                                              "Orsak": NO_REASON}]
    # Every other value is missing for a reason said: hidden by disclosure control, or an
    # empty cell in the demo table itself.
    # Missing or hidden: a hidden value is computed with (at its band's midpoint) but shown
    # nowhere, so it is listed with its reason.
    hidden = result.assessment.prepared.disclosure.hidden(result.inputs.catalogue,
                                                          list(result.result.values.columns))
    assert len(rows) == int((result.result.values.isna() | hidden).sum().sum()) > 1
    table = result.inputs.table.set_index("area_id")
    by_name = {ind.name: ind for ind in result.inputs.catalogue.values()}
    for row in rows[~ours].itertuples():
        if row.Orsak == NO_REASON:
            assert table.loc[row.Område, list(by_name[row.Indikator].columns)].isna().any()
        else:
            assert "röjandekontroll" in row.Orsak


def test_a_fetch_says_why_a_value_is_missing(analysis) -> None:
    result, _ = analysis
    area, column = EMPTIED
    fetched = pd.DataFrame({"area_id": [area], "column": [column],
                            "reason": ["uppgift saknas (SCB: '..')"]})
    assert missing_reasons(result, fetched)[(area, column)] == "uppgift saknas (SCB: '..')"
    rows = missing_values(result, fetched)
    ours = (rows["Område"] == area) & (rows["Indikator"] == VIOLENCE)
    assert rows.loc[ours, "Orsak"].tolist() == ["uppgift saknas (SCB: '..')"]


class _Clusters:
    """Stands in for geo.spatial.hotspots.Hotspots: per variable a frame of labels."""

    variables = ("score", "skola")

    def for_variable(self, variable: str) -> pd.DataFrame:
        labels = {"score": ["Het punkt", "Het punkt", "Kall punkt", "Ej signifikant"],
                  "skola": ["Ej signifikant"] * 4}[variable]
        return pd.DataFrame({"gi_label": labels, "area_name": ["Norr", "Öst", "Syd", "Väst"]},
                            index=["A1", "A2", "A3", "A4"])


def test_the_hot_spots_table_names_variable_cluster_and_areas() -> None:
    table = hotspot_table(_Clusters())
    assert table.to_dict("records") == [
        {"Variabel": "Sammanvägt index", "Kluster": "Het punkt",
         "Områden": "Norr (A1), Öst (A2)"},
        {"Variabel": "Sammanvägt index", "Kluster": "Kall punkt", "Områden": "Syd (A3)"}]


def test_no_significant_cluster_is_an_empty_table_with_its_columns(analysis) -> None:
    result, _ = analysis
    table = hotspot_table(_Quiet())
    assert table.empty and list(table.columns) == ["Variabel", "Kluster", "Områden"]
    assert list(hotspot_table(result.hotspots).columns) == ["Variabel", "Kluster", "Områden"]


class _Quiet(_Clusters):
    def for_variable(self, variable: str) -> pd.DataFrame:
        frame = super().for_variable(variable)
        return frame.assign(gi_label="Ej signifikant")


# -- the map tab: one area's profile --------------------------------------------------------
def _swedish(value: float, decimals: int = 2) -> str:
    """A number as the app writes it, written out here with no thousands (the demo's
    rates are below 1000)."""
    return f"{value:.{decimals}f}".replace(".", ",")


def test_the_profile_of_the_area_with_the_greatest_need(analysis) -> None:
    result, _ = analysis
    top = result.result.score.idxmax()
    view = profile_view(result, top)
    areas = result.inputs.areas.frame
    names = dict(zip(areas["area_id"], areas["area_name"], strict=True))
    assert view.heading == f"Områdesprofil: {names[top]} ({top})"
    assert view.rank == "1 av 22"
    assert view.n_flags == len(view.flags)
    threshold = result.settings.flag_threshold
    assert view.threshold == f"{round(threshold * 100)} %"
    scores = result.result.domain_scores
    assert view.domains.index.tolist() == [DOMAINS[d] for d in scores.columns]
    for dom in scores.columns:
        row = view.domains.loc[DOMAINS[dom]]
        assert row["Området"] == scores.at[top, dom]
        assert row["Genomsnitt för alla områden"] == pytest.approx(scores[dom].mean())
        assert row["Skillnad mot genomsnittet"] == pytest.approx(
            scores.at[top, dom] - scores[dom].mean())
    assert view.contributors, "the area of greatest need has indicators above the mean"
    for line in view.contributors + view.flags:
        name = line.split(":")[0]
        assert name in {ind.name for ind in result.inputs.catalogue.values()}


def test_the_profile_names_the_emptied_value_missing(analysis) -> None:
    result, _ = analysis
    area, _ = EMPTIED
    view = profile_view(result, area)
    assert VIOLENCE in view.missing
    assert all(VIOLENCE not in line for line in view.contributors + view.flags)


def test_the_area_beside_the_whole_kommun(analysis) -> None:
    """Low economic standard in Flemingsberg västra: 1223 of 2128 children; the kommun's
    rate is all numerators over all denominators, read here from the demo file itself."""
    result, _ = analysis
    raw = pd.read_csv(DEMO_INDICATORS)
    kommun = raw["barn_0_17_lag_ek_standard"].sum() / raw["barn_0_17"].sum() * 100
    area = 1223 / 2128 * 100
    shown = against_kommun(result, "0126R001")
    assert list(shown.columns) == ["Indikator", "Enhet", "Området", "Hela kommunen",
                                   "Skillnad"]
    assert len(shown) == len(result.result.values.columns)
    row = shown[shown["Indikator"] == "Barn 0–17 år i hushåll med låg ekonomisk "
                                      "standard"].iloc[0]
    assert row.to_dict() == {"Indikator": "Barn 0–17 år i hushåll med låg ekonomisk standard",
                             "Enhet": "%", "Området": _swedish(area),
                             "Hela kommunen": _swedish(kommun),
                             "Skillnad": _swedish(area - kommun)}
    emptied = shown[shown["Indikator"] == VIOLENCE]
    assert against_kommun(result, EMPTIED[0]).loc[emptied.index, "Området"].tolist() == ["–"]
    assert against_kommun(result, "0126R999") is None


def test_how_certain_the_top_area_is(analysis) -> None:
    result, _ = analysis
    top = result.result.score.idxmax()
    view = certainty_view(result, top)
    a = result.assessment
    counts = a.uncertainty.rank_counts.loc[top]
    ranks = counts.index.astype(int)
    p = counts[ranks <= a.top_k].sum() / counts.sum()
    assert view.p_top_k == f"{p * 100:.0f} %"
    assert view.top_k_label == f"Bland de {a.top_k} med störst behov"
    assert view.rank_shares.sum() == pytest.approx(100.0)
    assert view.rank_shares.index.name == "Rang"
    assert view.rank_shares.name == "Andel av beräkningarna (%)"
    assert view.caption.startswith(
        f"Rangen i {result.settings.uncertainty.draws} beräkningar med varierade vikter och "
        "metodval")
    assert view.tier in ("Hög prioritet", "Förhöjd", "Övriga")
    assert certainty_view(result, "0126R999") is None


def test_an_area_with_few_people_is_said_to_have_little_data(analysis) -> None:
    """The flag reads the young population (barn 0–17 år in the demo), not the smallest
    denominator: 0126R020's 19 pupils in year 9 do not make it small (issue 16). With a
    minimum above 0126R015's 362 children, that area is flagged and 0126R001 is not."""
    result, _ = analysis
    raw = pd.read_csv(DEMO_INDICATORS).set_index("area_id")
    assert raw.at["0126R020", "elever_ak9"] == 19
    assert result.settings.small_numbers.min_population == 50
    assert certainty_view(result, "0126R020").small is None
    smallest = int(raw["barn_0_17"].min())
    assert raw["barn_0_17"].idxmin() == "0126R015"
    settings = result.settings.with_changes(min_population=smallest + 1)
    flagged = run_analysis(result.inputs, settings)
    assert (certainty_view(flagged, "0126R015").small
            == f"barn 0–17 år är {smallest}, färre än {smallest + 1}: andelarna är osäkra")
    assert certainty_view(flagged, "0126R001").small is None


def test_an_area_over_time() -> None:
    """A trend report written by hand: two years, one area ranked 3 then 1."""
    report = SimpleNamespace(
        years=(2022, 2024),
        ranks=pd.DataFrame({2022: [3.0, 1.0], 2024: [1.0, 3.0]}, index=["A1", "A2"]),
        rank_change=pd.DataFrame({"rank_first": [3.0, 1.0], "rank_last": [1.0, 3.0],
                                  "verdict": ["osäker förändring", "osäker förändring"]},
                                 index=["A1", "A2"]),
        rate_changes={"x": pd.DataFrame({"rate_first": [10.0], "rate_last": [12.346],
                                         "change": [2.346], "verdict": ["ökning"],
                                         "reason": [""]}, index=["A1"])},
        rank_low=pd.DataFrame({2022: [2.0, 1.0], 2024: [1.0, 2.0]}, index=["A1", "A2"]),
        rank_high=pd.DataFrame({2022: [5.0, 2.0], 2024: [2.0, 4.0]}, index=["A1", "A2"]))
    catalogue = {"x": SimpleNamespace(name="Indikator X")}
    view = trend_view(report, catalogue, "A1")
    assert view.intervals.to_dict("records") == [
        {"År": "2022", "Rang": 3.0, "Rang 5 %": 2.0, "Rang 95 %": 5.0},
        {"År": "2024", "Rang": 1.0, "Rang 5 %": 1.0, "Rang 95 %": 2.0}]
    assert view.heading == "Över tid (2022–2024)"
    assert view.ranks.to_dict() == {"2022": 3.0, "2024": 1.0} and view.ranks.name == "Rang"
    assert view.rank_change == ("Rang 3 → 1: osäker förändring (säker bara om "
                                "rangintervallen inte överlappar).")
    assert view.rates.to_dict("records") == [{
        "Indikator": "Indikator X", "2022": 10.0, "2024": 12.35, "Förändring": 2.35,
        "Bedömning": "ökning", "Orsak": ""}]
    assert trend_view(report, catalogue, "A2").rates.empty
    assert trend_view(report, catalogue, "A9") is None


# -- the drivers tab ------------------------------------------------------------------------
def test_the_weights_table(analysis) -> None:
    result, available = analysis
    table = weight_table(result.result)
    assert list(table.columns) == ["Indikator", "Nominell vikt (%)", "Verklig påverkan (%)",
                                   "Korrelation med index"]
    assert len(table) == len(available)
    assert table["Nominell vikt (%)"].sum() == pytest.approx(100, abs=0.5)
    assert table["Verklig påverkan (%)"].sum() == pytest.approx(100, abs=0.5)
    first = table.index[0]
    r = np.corrcoef(result.result.normalised[first], result.result.score)[0, 1]
    assert table.at[first, "Korrelation med index"] == round(r, 2)
    assert table.at[first, "Indikator"] == result.inputs.catalogue[first].name


def test_the_correlations_named() -> None:
    catalogue = {"a": SimpleNamespace(name="Alfa"), "b": SimpleNamespace(name="Beta")}
    pearson = pd.DataFrame([[1.0, 0.12345], [0.12345, 1.0]], index=["a", "b"],
                           columns=["a", "b"])
    table = correlation_table(pearson, catalogue)
    assert table.to_dict() == {"Alfa": {"Alfa": 1.0, "Beta": 0.12},
                               "Beta": {"Alfa": 0.12, "Beta": 1.0}}


def test_the_sensitivity_table() -> None:
    factors = pd.DataFrame({"factor": ["w_a"], "label": ["Vikt: Alfa"], "index": [1.23456],
                            "ST": [0.98765]})
    assert sensitivity_table(factors).to_dict("records") == [
        {"Val": "Vikt: Alfa", "Påverkan (medelförflyttning i rang)": 1.235, "ST": 0.988}]
    assert list(sensitivity_table(factors.drop(columns="ST")).columns) == [
        "Val", "Påverkan (medelförflyttning i rang)"]


def test_the_tiers_beside_scbs_omradestyp() -> None:
    """Four areas: prevmap prioritises A and B, SCB's områdestyp 1 marks A and C: the two
    agree on A and D, 2 of 4, no better than chance (kappa 0)."""
    ids = ["A", "B", "C", "D"]
    stand_in = SimpleNamespace(
        assessment=SimpleNamespace(tiers=pd.Series(
            ["Hög prioritet", "Hög prioritet", "Övriga", "Övriga"], index=ids)),
        comparison=SimpleNamespace(columns=pd.DataFrame({OMRADESTYP_COLUMN: [1, 5, 1, 5]},
                                                        index=ids)),
        names=dict(zip(ids, ["Ett", "Två", "Tre", "Fyra"], strict=True)),
        inputs=SimpleNamespace(synthetic=False))
    [view] = agreement_views(stand_in)
    assert view.heading == f"Prioritet jämförd med {OMRADESTYP_COLUMN}"
    assert view.summary == "Samstämmighet: 50 % av 4 områden (Cohens kappa 0,00)."
    assert view.crosstab.loc["Totalt", "Totalt"] == 4
    assert any("Två (B)" in note for note in view.notes)
    assert agreement_views(replace_comparison(stand_in)) == []
    assert agreement_withheld(stand_in) is None
    # Synthetic indicator values: no agreement figures, and why.
    synthetic = SimpleNamespace(**{**vars(stand_in), "inputs": SimpleNamespace(synthetic=True)})
    assert agreement_views(synthetic) == []
    assert "indikatorvärdena är syntetiska" in agreement_withheld(synthetic)
    assert agreement_withheld(replace_comparison(synthetic)) is None


def replace_comparison(stand_in: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(**{**vars(stand_in), "comparison": None})


# -- the data page: Kolada ------------------------------------------------------------------
def test_koladas_table_and_where_it_comes_from() -> None:
    table = pd.DataFrame({"Nyckeltal": ["N1"], "Kommunen": [1.0]})
    table.attrs = {"fetched": dt.datetime(2025, 3, 4, 12, 0), "from_cache": True}
    shown = kolada_table(table)
    assert shown.attrs == {} and table.attrs["from_cache"]
    assert shown.equals(table)
    assert kolada_caption(table).startswith(
        "Källa: Kolada (RKA), hämtat 2025-03-04 (sparad kopia). Villkor:")
    table.attrs = {}
    assert kolada_caption(table).startswith("Källa: Kolada (RKA), hämtat okänt datum. ")


# -- the åtgärdsplan tab --------------------------------------------------------------------
def test_the_areas_of_a_plan(analysis) -> None:
    """Two areas in a plan: the one of greatest need (rank 1) with two actions and no
    goal, and the emptied one; the follow-up counts one goal 'på väg' for the second."""
    result, _ = analysis
    top = result.result.score.idxmax()
    area, _ = EMPTIED
    areas = (PlanArea(top, "Först", reason="störst behov"), PlanArea(area, "Andra"))
    actions = (Action(top, "Fält", "Socialnämnden", dt.date(2024, 1, 1)),
               Action(top, "Läxhjälp", "Bibliotek", dt.date(2024, 1, 1)))
    contents = SimpleNamespace(areas=areas, actions_in=lambda a: tuple(
        x for x in actions if x.area_id == a))
    summary = pd.DataFrame(0, index=[top, area, "Hela planen"], columns=list(STATUSES))
    summary.loc[[area, "Hela planen"], "på väg"] = 1
    summary["Antal mål"] = summary[list(STATUSES)].sum(axis=1)
    table = plan_area_table(result, contents, SimpleNamespace(summary=lambda: summary))
    tiers = area_tiers(result)
    rank_of_emptied = int(result.result.score.rank(ascending=False)[area])
    assert table.to_dict("records") == [
        {"Områdeskod": top, "Område": "Först", "Rang nu": 1, "Prioritet nu": tiers[top],
         "Motivering": "störst behov", "Mål": 0, "Målet nått": 0, "På väg": 0,
         "Inte på väg": 0, "Kan inte mätas": 0, "Insatser": 2},
        {"Områdeskod": area, "Område": "Andra", "Rang nu": rank_of_emptied,
         "Prioritet nu": tiers[area], "Motivering": "", "Mål": 1, "Målet nått": 0,
         "På väg": 1, "Inte på väg": 0, "Kan inte mätas": 0, "Insatser": 0}]
    assert set(tiers) <= {"Hög prioritet", "Förhöjd", "Övriga"} and len(tiers) == 22


def test_the_resources_per_area_named(analysis) -> None:
    result, _ = analysis
    counts = pd.DataFrame({"Skolor": [2, 0]}, index=pd.Index(["0126R001", "0126R999"]))
    assert resource_table(result, counts).to_dict("records") == [
        {"Områdeskod": "0126R001", "Område": "Flemingsberg västra", "Skolor": 2},
        {"Områdeskod": "0126R999", "Område": "0126R999", "Skolor": 0}]
