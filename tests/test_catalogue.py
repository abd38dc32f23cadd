"""The indicator catalogue: validation, the Indicator objects, and every catalogue error."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from indicators.catalogue import Catalogue, Indicator, validate_catalogue
from indicators.errors import CatalogueError, PrevmapError

SOURCE = "test_katalog.csv"
PREFIX = f"Fel i indikatorkatalogen: fil '{SOURCE}'"


def _validate(frame: pd.DataFrame) -> Catalogue:
    return validate_catalogue(frame, source=SOURCE)


def _message(frame: pd.DataFrame) -> str:
    with pytest.raises(CatalogueError, match="^Fel i indikatorkatalogen: ") as info:
        _validate(frame)
    return str(info.value)


# -- valid catalogues -------------------------------------------------------------------

def test_rate_and_plain_indicators_are_built_exactly(grid_catalogue: Catalogue) -> None:
    assert grid_catalogue["lag_ek"] == Indicator(
        id="lag_ek", name="Barn i hushåll med låg ekonomisk standard", domain="socioekonomi",
        direction=1, unit="%", source="Testkälla", level="område", numerator="barn_lag_ek",
        denominator="barn", per=100.0)
    assert grid_catalogue["brott"].per == 1000.0
    assert grid_catalogue["behoriga"].direction == -1
    assert grid_catalogue["franvaro"] == Indicator(
        id="franvaro", name="Hög frånvaro", domain="skola", direction=1, unit="%",
        source="Testkälla", level="kommunal", numerator=None, denominator=None, per=None)


def test_rate_uses_numerator_and_denominator_plain_value_uses_its_id(
        grid_catalogue: Catalogue) -> None:
    assert grid_catalogue["lag_ek"].is_rate
    assert grid_catalogue["lag_ek"].columns == ("barn_lag_ek", "barn")
    assert not grid_catalogue["franvaro"].is_rate
    assert grid_catalogue["franvaro"].columns == ("franvaro",)


def test_catalogue_is_an_ordered_mapping(grid_catalogue: Catalogue) -> None:
    assert list(grid_catalogue) == ["lag_ek", "brott", "behoriga", "franvaro"]
    assert len(grid_catalogue) == 4
    assert "brott" in grid_catalogue
    assert "vald" not in grid_catalogue
    with pytest.raises(KeyError, match="vald"):
        grid_catalogue["vald"]
    assert [i.id for i in grid_catalogue.in_domain("skola")] == ["behoriga", "franvaro"]
    assert grid_catalogue.in_domain("missbruk") == ()


def test_same_table_gives_equal_hashable_catalogues(grid_catalogue_frame: pd.DataFrame) -> None:
    first, second = _validate(grid_catalogue_frame), _validate(grid_catalogue_frame.copy())
    assert first == second
    assert hash(first) == hash(second)
    assert first != _validate(grid_catalogue_frame.iloc[:3])


def test_text_is_stripped_and_numbers_may_be_numbers(grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.astype(object)
    frame.loc[0, "id"] = "  lag_ek "
    frame.loc[0, "domain"] = " socioekonomi"
    frame.loc[2, "direction"] = -1            # a number, not text
    frame.loc[1, "per"] = 1000                # likewise
    frame.loc[3, "level"] = None
    cat = _validate(frame)
    assert list(cat) == ["lag_ek", "brott", "behoriga", "franvaro"]
    assert cat["lag_ek"].domain == "socioekonomi"
    assert cat["behoriga"].direction == -1
    assert cat["brott"].per == 1000.0
    assert cat["franvaro"].level == ""


def test_errors_are_value_errors_of_the_project() -> None:
    assert issubclass(CatalogueError, PrevmapError)
    assert issubclass(CatalogueError, ValueError)


# -- every error message ----------------------------------------------------------------

def test_missing_columns_are_reported_before_anything_else(
        grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.drop(columns=["source", "level"])
    frame.loc[0, "domain"] = "okänd"           # not reported: columns come first
    message = _message(frame)
    assert message == (
        f"{PREFIX}: kolumner saknas. Värden: 'source', 'level'. Förväntat: id, name, domain, "
        "direction, unit, per, numerator, denominator, source, level. Åtgärd: lägg till "
        "kolumnerna i katalogfilen.")


def test_unknown_columns(grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.assign(kommentar="", Vikt="1")
    with pytest.raises(CatalogueError, match=re.escape(
            f"{PREFIX}: okända kolumner. Värden: 'kommentar', 'Vikt'. Förväntat: id, name")):
        _validate(frame)


def test_invalid_ids(grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.copy()
    frame["id"] = ["Lag_ek", "1brott", "behöriga", ""]
    message = _message(frame)
    assert message.startswith(f"{PREFIX}, kolumn 'id': ogiltiga indikator-id. Värden: "
                              "'Lag_ek', '1brott', 'behöriga', ''.")
    assert "Förväntat: små bokstäver a–z, siffror och understreck, börjar med bokstav." in message
    assert "Åtgärd: byt namn på indikatorn" in message


def test_duplicate_ids(grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.copy()
    frame["id"] = ["brott", "brott", "lag_ek", "lag_ek"]
    with pytest.raises(CatalogueError, match=re.escape(
            f"{PREFIX}, kolumn 'id': indikator-id förekommer mer än en gång. "
            "Värden: 'brott', 'lag_ek'. Förväntat: unika id.")):
        _validate(frame)


def test_unknown_domain(grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.copy()
    frame["domain"] = ["socioekonomi", "brott", "Skola", ""]
    message = _message(frame)
    assert message.startswith(f"{PREFIX}, kolumn 'domain': okänd domän. "
                              "Värden: '', 'Skola', 'brott'.")
    assert ("Förväntat: psykisk_ohalsa, missbruk, kriminalitet, socioekonomi, skola, "
            "skyddsfaktorer.") in message


def test_invalid_direction(grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.copy()
    frame["direction"] = ["1", "0", "upp", ""]
    message = _message(frame)
    assert message.startswith(f"{PREFIX}, kolumn 'direction': ogiltig riktning. "
                              "Värden: '0', 'upp', ''.")
    assert "Förväntat: 1 (högre värde = större behov) eller -1" in message
    assert "Åtgärd: ange 1 eller -1." in message


@pytest.mark.parametrize("column", ["name", "unit", "source"])
def test_empty_required_text(grid_catalogue_frame: pd.DataFrame, column: str) -> None:
    frame = grid_catalogue_frame.copy()
    frame.loc[[1, 3], column] = "  "
    with pytest.raises(CatalogueError, match=re.escape(
            f"{PREFIX}, kolumn '{column}': tomt värde för indikatorerna. "
            f"Värden: 'brott', 'franvaro'. Åtgärd: fyll i '{column}' för varje indikator.")):
        _validate(frame)


@pytest.mark.parametrize(("numerator", "denominator", "per", "shown"), [
    ("barn_lag_ek", "", "100", "'barn_lag_ek', None, '100'"),     # no denominator
    ("", "barn", "100", "None, 'barn', '100'"),                     # no numerator
    ("barn_lag_ek", "barn", "", "'barn_lag_ek', 'barn', ''"),       # no multiplier
    ("barn_lag_ek", "barn", "hundra", "'barn_lag_ek', 'barn', 'hundra'"),
    ("", "", "1000", "None, None, '1000'"),                         # 'per' on a plain value
])
def test_rate_needs_numerator_denominator_and_per_together(
        grid_catalogue_frame: pd.DataFrame, numerator: str, denominator: str, per: str,
        shown: str) -> None:
    frame = grid_catalogue_frame.copy()
    frame.loc[0, ["numerator", "denominator", "per"]] = [numerator, denominator, per]
    message = _message(frame)
    assert message == (
        f"{PREFIX}, kolumn 'numerator': indikatorn 'lag_ek' har inte både täljare, nämnare och "
        f"'per'. Värden: {shown}. Förväntat: en andel anger täljare, nämnare och per (100 för %, "
        "1000 för per 1 000); ett färdigt värde lämnar alla tre tomma. Åtgärd: fyll i alla tre "
        "eller töm alla tre.")


@pytest.mark.parametrize("per", ["0", "-100"])
def test_per_must_be_positive(grid_catalogue_frame: pd.DataFrame, per: str) -> None:
    frame = grid_catalogue_frame.copy()
    frame.loc[1, "per"] = per
    with pytest.raises(CatalogueError, match=re.escape(
            f"{PREFIX}, kolumn 'per': 'per' måste vara positiv för 'brott'. Värden: '{per}'. "
            "Åtgärd: ange t.ex. 100 eller 1000.")):
        _validate(frame)


def test_all_problems_are_collected_and_raised_together(
        grid_catalogue_frame: pd.DataFrame) -> None:
    frame = grid_catalogue_frame.assign(kommentar="")
    frame.loc[0, "domain"] = "soc"
    frame.loc[1, "direction"] = "2"
    frame.loc[2, "name"] = ""
    frame.loc[3, "per"] = "100"
    with pytest.raises(CatalogueError, match=r"^Fel i indikatorkatalogen: 5 problem\.\n") as info:
        _validate(frame)
    lines = str(info.value).splitlines()
    assert lines[0] == "Fel i indikatorkatalogen: 5 problem."
    assert [line[:3] for line in lines[1:]] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert "okända kolumner" in lines[1]
    assert "okänd domän. Värden: 'soc'" in lines[2]
    assert "ogiltig riktning. Värden: '2'" in lines[3]
    assert "kolumn 'name': tomt värde för indikatorerna. Värden: 'behoriga'" in lines[4]
    assert "indikatorn 'franvaro' har inte både täljare" in lines[5]
    assert all(line[3:].startswith(f"fil '{SOURCE}'") for line in lines[1:])
    assert len(info.value.problems) == 5


def test_at_most_five_values_are_shown() -> None:
    rows = [{"id": f"Indikator{k}", "name": "n", "domain": "skola", "direction": "1",
             "unit": "st", "per": "", "numerator": "", "denominator": "", "source": "s",
             "level": ""} for k in range(1, 8)]
    with pytest.raises(CatalogueError, match=re.escape(
            "Värden: 'Indikator1', 'Indikator2', 'Indikator3', 'Indikator4', 'Indikator5' "
            "(och 2 till).")) as info:
        _validate(pd.DataFrame(rows))
    assert "Indikator6" not in str(info.value)
    assert info.value.problems[0].values == tuple(f"Indikator{k}" for k in range(1, 8))


def test_default_source_is_named() -> None:
    frame = pd.DataFrame(columns=["id"])
    with pytest.raises(CatalogueError, match=r"^Fel i indikatorkatalogen: fil 'indikatorkatalog'"):
        validate_catalogue(frame)
