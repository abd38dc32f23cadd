"""Area codes: kinds, SCB's vintage suffixes and validation messages (indicators/codes.py)."""

from __future__ import annotations

import re

import pytest

from indicators.codes import (
    area_code_text,
    classify_area_code,
    lost_leading_zeros,
    restore_leading_zero,
    split_vintage,
    validate_area_codes,
    vintage_kind,
    vintage_label,
)
from indicators.errors import AreaCodeError, PrevmapError


@pytest.mark.parametrize(("code", "kind"), [
    ("0126", "kommun"), ("2580", "kommun"), ("0126C1020", "deso"), ("0114A0010", "deso"),
    ("2523B2010", "deso"), ("0126R001", "regso"), ("126", None), ("0126D1020", None),
    ("0126R01", None), ("0126R0010", None), ("01", None), ("", None), (" 0126", None),
    ("0114A0010_DeSO2025", None),
])
def test_classify_area_code(code: str, kind: str | None) -> None:
    assert classify_area_code(code) == kind


def test_split_vintage() -> None:
    assert split_vintage("0114A0010_DeSO2025") == ("0114A0010", "DeSO2025")
    assert split_vintage("0114R001_RegSO2025") == ("0114R001", "RegSO2025")
    assert split_vintage(" 0114r001_regso2025 ") == ("0114r001", "RegSO2025")
    assert split_vintage("0126C1020") == ("0126C1020", None)
    assert split_vintage("0126_Huddinge") == ("0126_Huddinge", None)
    assert vintage_kind("DeSO2018") == "deso"
    assert vintage_kind("regso2025") == "regso"
    assert vintage_kind("Kommun2025") is None
    assert vintage_label("RegSO2025") == "RegSO 2025"


def test_codes_written_as_numbers() -> None:
    assert [area_code_text(v) for v in (126, 126.0, " 0126 ", "0126R001")] == [
        "126", "126", "0126", "0126R001"]
    assert restore_leading_zero("126") == "0126"
    assert restore_leading_zero("126.0") == "0126"
    assert restore_leading_zero("126R001") == "0126R001"
    assert restore_leading_zero("126C1020") == "0126C1020"
    assert restore_leading_zero("12") is None
    assert restore_leading_zero("0126") is None
    assert lost_leading_zeros(["0126", 126, "126R001", "x"]) == {"126": "0126",
                                                                 "126R001": "0126R001"}


def test_valid_codes_come_back_without_suffix() -> None:
    codes = validate_area_codes(["0126", "0126C1020", "0114A0010_DeSO2025", "0126R001"],
                                source="f.csv", column="kod")
    assert codes == ("0126", "0126C1020", "0114A0010", "0126R001")
    assert validate_area_codes(["0126R001_RegSO2025"], source="f.csv", column="kod",
                               known=["0126R001"], vintage_hint="RegSO2025") == ("0126R001",)


def test_lost_leading_zero_is_explained() -> None:
    with pytest.raises(AreaCodeError, match=re.escape(
            "Fel i områdeskoderna: fil 'orosanmalningar.xlsx', kolumn 'kod': områdeskoder har "
            "tappat sin inledande nolla; Excel har troligen gjort om kolumnen till tal. "
            "Värden: '126 (ska vara 0126)', '126R001 (ska vara 0126R001)', "
            "'126C1020 (ska vara 0126C1020)'. Förväntat: kommunkod med fyra siffror, t.ex. "
            "'0126', '0126R001', '0126C1020'. Åtgärd: importera kolumnen som text (i Excel: "
            "Data > Från text/CSV, kolumndatatyp Text) eller formatera cellerna som text och "
            "skriv nollan.")):
        validate_area_codes([126, "126R001", "126C1020", 126.0], source="orosanmalningar.xlsx",
                            column="kod")


def test_unknown_codes() -> None:
    with pytest.raises(AreaCodeError, match=re.escape(
            "Fel i områdeskoderna: fil 'f.csv', kolumn 'regso': okända områdeskoder: de finns "
            "inte i områdesindelningen. Värden: '0126R099', '0127R001'. Förväntat: koder som "
            "finns i kartans områdesindelning. Åtgärd: rätta koderna, eller välj den version "
            "av indelningen som tabellen använder (t.ex. DeSO 2018 eller DeSO 2025).")):
        validate_area_codes(["0126R001", "0126R099", "0127R001", "0126R099"], source="f.csv",
                            column="regso", known=["0126R001", "0126R002"])


def test_a_code_from_another_vintage() -> None:
    with pytest.raises(AreaCodeError, match=re.escape(
            "Fel i områdeskoderna: fil 'scb.csv', kolumn 'region': koder från en annan "
            "version av indelningen än DeSO 2018. Värden: '0114A0010_DeSO2025'. Förväntat: "
            "koder enligt DeSO 2018. Åtgärd: välj DeSO 2018 när du hämtar tabellen, eller välj "
            "den version av områdesindelningen (kartan) som tabellen använder.")):
        validate_area_codes(["0114A0010_DeSO2025", "0114A0010"], source="scb.csv",
                            column="region", known=["0114A0010"], vintage_hint="DeSO2018")


def test_the_known_codes_suffix_sets_the_vintage() -> None:
    with pytest.raises(AreaCodeError, match=re.escape(
            "annan version av indelningen än RegSO 2025. Värden: '0126R001_RegSO2020'.")):
        validate_area_codes(["0126R001_RegSO2020"], source="f.csv", column="kod",
                            known=["0126R001_RegSO2025"])


def test_an_unknown_unsuffixed_code_mentions_the_vintage() -> None:
    with pytest.raises(AreaCodeError, match=re.escape(
            "okända områdeskoder: de finns inte i områdesindelningen (förväntad version: "
            "DeSO 2018). Värden: '0114A0011'.")):
        validate_area_codes(["0114A0011"], source="f.csv", column="kod", known=["0114A0010"],
                            vintage_hint="DeSO2018")


def test_a_suffix_that_does_not_fit_the_code() -> None:
    with pytest.raises(AreaCodeError, match=re.escape(
            "kolumn 'kod': versionstillägget passar inte koden (DeSO-kod med RegSO-tillägg "
            "eller tvärtom). Värden: '0114A0010_RegSO2025'. Förväntat: '_DeSO<år>' efter "
            "DeSO-koder och '_RegSO<år>' efter RegSO-koder. Åtgärd: hämta tabellen igen från "
            "SCB med rätt områdesindelning.")):
        validate_area_codes(["0114A0010_RegSO2025"], source="f.csv", column="kod")


def test_malformed_and_empty_codes_are_reported_together() -> None:
    with pytest.raises(PrevmapError, match=r"^Fel i områdeskoderna: 2 problem\.\n") as info:
        validate_area_codes(["Vårby", "", None, "0126R001", "12"], source="f.csv", column="kod")
    assert str(info.value) == (
        "Fel i områdeskoderna: 2 problem.\n"
        "1. fil 'f.csv', kolumn 'kod': 2 tomma områdeskoder. Åtgärd: fyll i koderna eller "
        "ta bort raderna.\n"
        "2. fil 'f.csv', kolumn 'kod': okänd form på områdeskoder. Värden: 'Vårby', '12'. "
        "Förväntat: kommunkod '0126', DeSO-kod '0126C1020' eller RegSO-kod '0126R001', ev. "
        "med SCB:s tillägg '_DeSO2025'/'_RegSO2025'. Åtgärd: kontrollera att kolumnen "
        "innehåller områdeskoder.")
    assert isinstance(info.value, ValueError)
