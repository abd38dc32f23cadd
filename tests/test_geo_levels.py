"""Changing level: the demo RegSO data summed to kommundelar, polygons dissolved alike."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo.analysis import run_analysis
from geo.inputs import Inputs, list_profiles, load_inputs
from geo.io.areas import areas_from_frame
from geo.io.files import SourceInfo
from geo.spatial.levels import DEFAULT_GROUPING, read_grouping, to_level, to_polygons
from indicators.catalogue import validate_catalogue
from indicators.errors import IndicatorTableError
from indicators.levels import link_table


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    return load_inputs()


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
    # Earlier years are summed the same way, for trends at kommundel level.
    assert [y for y, _ in level.history] == [2021, 2022, 2023]
    past = dict(inputs.history)[2022].set_index("area_id")
    assert dict(level.history)[2022].set_index("area_id").at["Vårby", "invanare"] == \
        past.loc[vårby, "invanare"].sum()


def test_ranking_at_kommundel_level_recomputes_rates(inputs):
    level, _ = to_level(inputs, read_grouping(DEFAULT_GROUPING), title="Kommundelar")
    analysis = run_analysis(level, list_profiles()["Bred prevention"])
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
    plain = Inputs(inputs.areas, inputs.table, inputs.table_source, "demo.csv",
                            catalogue)
    _, notes = to_level(plain, read_grouping(DEFAULT_GROUPING), title="K")
    assert notes[-1] == ("Indikatorer utan täljare och nämnare kan inte räknas om till "
                         "kommundelar och är utelämnade: Invånare (värde).")


def test_a_grouping_needs_two_columns(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("regsokod\n0126R001\n", encoding="utf-8")
    with pytest.raises(IndicatorTableError, match="en grupperingstabell behöver två kolumner"):
        read_grouping(path)


def test_kommundel_polygons_that_follow_the_regso_give_the_grouping_sums(inputs):
    """Interpolation onto polygons whose borders follow the RegSO must agree with the
    grouping table: every RegSO lies wholly in one kommundel."""
    grouped, _ = to_level(inputs, read_grouping(DEFAULT_GROUPING), title="Kommundelar")
    moved, notes = to_polygons(inputs, grouped.areas, title="Kommundelar")
    counts = [c for c in grouped.table.columns if c != "area_id"]
    expected = grouped.table.set_index("area_id")[counts]
    got = moved.table.set_index("area_id")[counts]
    complete = [c for c in counts if c != "elever_hog_franvaro"]
    pd.testing.assert_frame_equal(got[complete], expected[complete], rtol=1e-6,
                                  check_dtype=False)
    # Skogås has a RegSO without this count: no value, as with the grouping table.
    assert pd.isna(got.at["Skogås", "elever_hog_franvaro"])
    assert got["elever_hog_franvaro"].drop("Skogås").notna().all()
    assert notes[0].startswith("Ytviktad interpolation (tobler)")
    assert any("'elever_hog_franvaro': värde saknas i källområdena '0126R015'" in n
               for n in notes)
    assert moved.table_source.title.endswith("fördelade på Kommundelar (ytviktat)")


def test_kommundel_polygons_across_regso_keep_the_totals(inputs):
    """Two halves of the kommun cut north–south through several RegSO."""
    import geopandas as gpd
    from shapely.geometry import box

    frame = inputs.areas.frame
    x0, y0, x1, y1 = frame.total_bounds
    middle = (x0 + x1) / 2
    halves = gpd.GeoDataFrame({"area_id": ["V", "O"], "area_name": ["Väst", "Öst"]},
                              geometry=[box(x0 - 10, y0 - 10, middle, y1 + 10),
                                        box(middle, y0 - 10, x1 + 10, y1 + 10)], crs=frame.crs)
    polygons = areas_from_frame(halves, SourceInfo("Halvor", "test", "2026-11-23"))
    moved, notes = to_polygons(inputs, polygons, title="Halvor")
    table = moved.table.set_index("area_id")
    assert table["invanare"].sum() == pytest.approx(inputs.table["invanare"].sum())
    cut = frame[frame.geometry.intersects(box(middle, y0, middle + 1e-6, y1))]
    assert len(cut) >= 2          # the line really cuts RegSO in two
    assert 0 < table.at["V", "invanare"] < inputs.table["invanare"].sum()
    analysis = run_analysis(moved, list_profiles()["Bred prevention"])
    assert sorted(analysis.result.score.index) == ["O", "V"]
    # The rectangles reach beyond the kommun: the report says how much of each is covered.
    assert any(n.startswith("V (Väst): bara") for n in notes)
