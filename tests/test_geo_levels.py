"""Changing level: the demo RegSO data summed to kommundelar, polygons dissolved alike."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo import pipeline
from geo.levels import DEFAULT_GROUPING, read_grouping, to_level
from indicators.catalogue import validate_catalogue
from indicators.errors import IndicatorTableError
from indicators.levels import link_table


@pytest.fixture(scope="module")
def inputs() -> pipeline.Inputs:
    return pipeline.load_inputs()


def test_kommundelar_sum_counts_and_dissolve_polygons(inputs):
    grouping = read_grouping(DEFAULT_GROUPING)
    level, notes = to_level(inputs, grouping, title="Kommundelar")
    frame = level.areas.frame.set_index("area_id")
    assert sorted(frame.index) == ["Flemingsberg", "Segeltorp", "Sjödalen-Fullersta", "Skogås",
                                   "Stuvsta-Snättringe", "Trångsund", "Vårby"]
    # Dissolving keeps the whole municipality: same total area as the 22 RegSO.
    assert frame.geometry.area.sum() == pytest.approx(inputs.areas.frame.geometry.area.sum())
    table = level.table.set_index("area_id")
    demo = inputs.table.set_index("area_id")
    vårby = ["0126R020", "0126R021", "0126R022"]
    assert table.at["Vårby", "invanare"] == demo.loc[vårby, "invanare"].sum()
    assert table["invanare"].sum() == demo["invanare"].sum()
    assert notes == ["Skogås, 'elever_hog_franvaro': värde saknas för 1 av 3 delområden "
                     "(0126R015); summan lämnas tom."]
    assert level.synthetic and level.areas.source.title.startswith("Kommundelar (av RegSO 2025")


def test_ranking_at_kommundel_level_recomputes_rates(inputs):
    level, _ = to_level(inputs, read_grouping(DEFAULT_GROUPING), title="Kommundelar")
    analysis = pipeline.run_analysis(level, pipeline.list_profiles()["Bred prevention"])
    demo = inputs.table.set_index("area_id").loc[["0126R016", "0126R017"]]
    expected = demo["valdsbrott"].sum() / demo["invanare"].sum() * 1000
    assert analysis.result.values.at["Stuvsta-Snättringe", "valdsbrott"] == pytest.approx(expected)
    assert analysis.join_report.complete


def test_an_area_outside_the_grouping_is_an_error(inputs):
    grouping = link_table(pd.DataFrame({"regsokod": ["0126R001"], "kd": ["Flemingsberg"]}),
                          "regsokod", "kd", "kd")
    with pytest.raises(IndicatorTableError, match=re.escape(
            "områden som grupperingen inte placerar i någon kommundel. Värden: '0126R002', "
            "'0126R003'")):
        to_level(inputs, grouping, title="K")


def test_plain_value_indicators_are_named_as_left_out(inputs):
    rows = [dict(id=i.id, name=i.name, domain=i.domain, direction=str(i.direction), unit=i.unit,
                 per=str(i.per or ""), numerator=i.numerator or "",
                 denominator=i.denominator or "", source=i.source, level=i.level)
            for i in inputs.catalogue.values()]
    rows.append(dict(id="invanare", name="Invånare (värde)", domain="socioekonomi",
                     direction="1", unit="st", per="", numerator="", denominator="",
                     source="test", level="område"))
    catalogue = validate_catalogue(pd.DataFrame(rows))
    plain = pipeline.Inputs(inputs.areas, inputs.table, inputs.table_source, "demo.csv",
                            catalogue)
    _, notes = to_level(plain, read_grouping(DEFAULT_GROUPING), title="K")
    assert notes[-1] == ("Indikatorer utan täljare och nämnare kan inte räknas om till "
                         "kommundelar och är utelämnade: Invånare (värde).")


def test_a_grouping_needs_two_columns(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("regsokod\n0126R001\n", encoding="utf-8")
    with pytest.raises(IndicatorTableError, match="en grupperingstabell behöver två kolumner"):
        read_grouping(path)
