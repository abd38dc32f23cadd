"""The data page's choices as a pure object (geo.sources.DataChoice): its transitions keep
kommun, level and area source consistent, without Streamlit."""

from __future__ import annotations

import pytest

from geo.sources import HUDDINGE, SWEDEN, DataChoice

BOTKYRKA, STOCKHOLMS_LAN = "0127", "01"


def test_the_default_is_huddinge_regso_bundled_real_data() -> None:
    choice = DataChoice()
    assert (choice.kommun, choice.level, choice.area_source, choice.indicator_source) == (
        HUDDINGE, "regso", "bundled", "scb_open")
    assert choice.area_source_options() == ["bundled", "national", "wfs", "upload"]
    assert choice.scb_key == (HUDDINGE, "RegSO")


def test_deso_takes_the_wfs_and_back_to_regso_gives_back_the_source_before() -> None:
    deso = DataChoice().with_level("deso")
    assert (deso.area_source, deso.area_level, deso.scb_key) == ("wfs", "DeSO",
                                                                 (HUDDINGE, "DeSO"))
    assert deso.area_source_options() == ["wfs", "upload"]
    back = deso.with_level("regso")
    assert (back.level, back.area_source) == ("regso", "bundled")
    assert back == DataChoice()      # nothing of DeSO is left over
    national = DataChoice().with_area_source("national").with_level("deso")
    assert national.with_level("kommundelar").area_source == "national"


def test_a_source_chosen_at_deso_is_replaced_by_the_one_before_when_leaving() -> None:
    deso = DataChoice().with_level("deso").with_area_source("upload")
    assert deso.area_source == "upload"
    assert deso.with_level("regso").area_source == "bundled"


def test_another_kommun_cannot_use_the_bundled_areas() -> None:
    botkyrka = DataChoice().with_kommun(BOTKYRKA)
    assert botkyrka.area_source == "national"
    assert botkyrka.area_source_options() == ["national", "wfs", "upload"]
    assert botkyrka.with_area_source("wfs").with_kommun(HUDDINGE).area_source == "wfs"


@pytest.mark.parametrize("region", [STOCKHOLMS_LAN, SWEDEN])
def test_a_lan_or_sweden_is_national_regso_only(region) -> None:
    choice = DataChoice().with_level("deso").with_kommun(region)
    assert (choice.level, choice.area_source) == ("regso", "national")
    assert choice.is_region and choice.area_source_options() == ["national", "upload"]
    assert choice.with_level("deso").level == "regso"
    kommun = choice.with_kommun(BOTKYRKA)
    assert (kommun.level, kommun.area_source) == ("regso", "national")


def test_the_indicator_source_changes_nothing_else() -> None:
    choice = DataChoice().with_level("kommundelar")
    for source in ("upload", "scb", "demo"):
        moved = choice.with_indicator_source(source)
        assert moved.indicator_source == source
        assert (moved.kommun, moved.level, moved.area_source) == (HUDDINGE, "kommundelar",
                                                                  "bundled")


def test_offline_notes_name_what_needs_a_saved_copy() -> None:
    assert DataChoice().notes() == []
    assert DataChoice().with_level("deso").notes() == []     # online: nothing to say
    offline = DataChoice(offline=True)
    assert offline.notes() == []
    wfs, scb = offline.with_level("deso").notes(), offline.with_indicator_source("scb").notes()
    assert len(wfs) == 1 and "WFS" in wfs[0] and "tidigare" in wfs[0]
    assert len(scb) == 1 and "SCB-hämtningen" in scb[0]


@pytest.mark.parametrize(("changes", "said"), [
    ({"level": "lan"}, "okänd nivå 'lan'"),
    ({"indicator_source": "kolada"}, "okänd indikatorkälla 'kolada'"),
    ({"area_source": "ftp"}, "okänd områdeskälla 'ftp'"),
])
def test_unknown_values_are_refused(changes, said) -> None:
    with pytest.raises(ValueError, match=said):
        DataChoice(**changes)
