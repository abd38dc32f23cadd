"""Real SCB data end to end: DeSO counts -> RegSO -> ranking, checked against SCB's own
classification of the same areas (områdestyp 2023)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shared_data import shared

from geo.inputs import DATA_DIR, REAL_INDICATORS, inputs_for_areas, list_profiles, load_inputs
from geo.io.files import read_catalogue
from geo.io.scb_wide import scb_indicator_counts
from geo.spatial.join import join_areas
from indicators.errors import IndicatorTableError
from indicators.levels import aggregate_to_level, link_table
from indicators.ranking import rank_areas

CATALOGUE = DATA_DIR / "catalogue_scb.csv"




@pytest.fixture(scope="module")
def huddinge_regso() -> pd.DataFrame:
    wide = pd.read_csv(shared("huddinge", "scb_deso2018_2022_0126_wide.csv"),
                       dtype={"deso_2018": str})
    counts = scb_indicator_counts(wide)
    link = link_table(wide, "deso_2018", "RegSOkod_2020", "RegSO_2020")
    agg = aggregate_to_level(counts, link, counts=[c for c in counts if c != "area_id"])
    assert agg.messages() == []
    return agg.frame


def type_2_in_huddinge(year: int) -> set[str]:
    path = shared("sweden", f"regso_socioekonomisk_index_{year}.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return {name[len("Huddinge ("):-1] for name, *rest in rows
            if name.startswith("Huddinge (") and rest and rest[0] == "2"}


@pytest.mark.parametrize("normalisation", ["zscore", "percentile", "minmax"])
def test_top_five_are_the_areas_scb_classes_as_type_2(huddinge_regso, normalisation):
    """Ranked on the four risk factors of the SCB profile, from SCB's wide table summed to
    RegSO here, independently of the reading path."""
    catalogue = read_catalogue(CATALOGUE)
    profile = list_profiles()["SCB: socioekonomiska riskfaktorer"]
    settings = profile.with_changes(normalisation=normalisation)
    summary = rank_areas(huddinge_regso, catalogue, settings).summary()
    names = dict(zip(huddinge_regso["area_id"], huddinge_regso["area_name"], strict=True))
    top5 = {names[a] for a in summary["area_id"].head(5)}
    expected = type_2_in_huddinge(2023)
    assert expected == {"Flemingsberg västra", "Flemingsberg östra", "Skogås västra",
                        "Vårby gård", "Vårby Haga-Masmo"}
    assert top5 == expected


def test_the_embedded_default_gives_the_same_counts_as_the_shared_wide_table(huddinge_regso):
    """What a user gets by default (the embedded Parquet through the reading path, summed to
    the bundled RegSO) equals SCB's wide table summed here, count for count."""
    inputs = inputs_for_areas(load_inputs().areas, REAL_INDICATORS)
    got = inputs.table.set_index("area_id").sort_index()
    want = huddinge_regso.set_index("area_id").sort_index()
    counts = [c for c in want.columns if c in got.columns]
    assert len(counts) == 12 and len(got) == 22
    pd.testing.assert_frame_equal(got[counts], want[counts].astype(float), check_dtype=False,
                                  check_index_type=False)


def test_low_economic_standard_is_recomputed_from_counts(huddinge_regso):
    wide = pd.read_csv(shared("huddinge", "scb_deso2018_2022_0126_wide.csv"),
                       dtype={"deso_2018": str})
    vg = wide[wide["RegSOkod_2020"] == "0126R020"]
    persons = vg["econ_standard_2022_n_persons"]
    expected = (vg["low_econ_standard_2022_pct"] * persons).sum() / persons.sum()
    row = huddinge_regso.set_index("area_id").loc["0126R020"]
    assert row["personer_lag_ek_standard"] / row["personer_ek_standard"] * 100 == \
        pytest.approx(expected)


def test_the_regso_polygons_and_the_real_table_join_completely(huddinge_regso):
    catalogue = read_catalogue(CATALOGUE)
    inputs = load_inputs()
    result = rank_areas(huddinge_regso, catalogue,
                        list_profiles()["SCB: socioekonomiska riskfaktorer"])
    joined, report = join_areas(inputs.areas.frame, result)
    assert report.complete and len(joined) == 22


def test_a_table_without_the_scb_columns_is_refused():
    with pytest.raises(IndicatorTableError, match="kolumner saknas i SCB-tabellen. Värden: "
                       "'edu_2564_2022_forgymnasial'"):
        scb_indicator_counts(pd.DataFrame({"deso_2018": ["0126A0010"]}), source="fel.csv")


def test_counts_on_a_two_row_table_by_hand():
    from geo.io.scb_wide import REQUIRED
    row = dict.fromkeys(REQUIRED, 0)
    row.update(edu_2564_2022_forgymnasial=10, edu_2564_2022_gymnasial=30,
               lm_1664_2022_unemployed=5, lm_1664_2022_outside_lf=15, lm_1664_2022_total=100,
               low_econ_standard_2022_pct=12.5, econ_standard_2022_n_persons=80,
               dwellings_2022_hyresratt=3, dwellings_2022_bostadsratt=1)
    counts = scb_indicator_counts(pd.DataFrame([{"deso_2018": " X1 ", **row}]))
    first = counts.iloc[0]
    assert first["area_id"] == "X1"
    assert (first["inv_25_64_forgymnasial"], first["inv_25_64"]) == (10, 40)
    assert (first["inv_16_64_utanfor"], first["inv_16_64"]) == (20, 100)
    assert (first["personer_lag_ek_standard"], first["personer_ek_standard"]) == (10, 80)
    assert (first["lagenheter_hyresratt"], first["lagenheter"]) == (3, 4)


def test_the_default_pipeline_puts_scbs_type_2_first(tmp_path) -> None:
    """The real-data claim through what a user runs: ``prevmap export`` with its defaults
    (the embedded SCB data, Huddinge's RegSO, the default profile, disclosure control on).
    Before issue 16 hiding two rented flats lifted Vårby Udde-Duvberget (type 3) into the
    top five and pushed Skogås västra out; now the top five are SCB's type 2 (README,
    "Verkliga data")."""
    script = Path(sys.executable).with_name("prevmap")
    out = tmp_path / "karta.html"
    done = subprocess.run([str(script), "export", "--out", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out.with_suffix(".csv"), sep=";", decimal=",", encoding="utf-8-sig")
    top5 = set(table.sort_values("Rang")["Område"].head(5))
    assert top5 == type_2_in_huddinge(2023)
