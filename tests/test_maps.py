"""The map builder: content of the rendered HTML, class colours, and injection safety."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import geopandas as gpd
import pandas as pd
import pytest
from map_pages import geojson_layers
from shapely.geometry import box

from geo.analysis import run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles, load_inputs
from geo.io.files import SourceInfo
from geo.maps.choropleth import build_map, export_map_html, render_map_html
from geo.maps.mapview import NO_DATA_COLOUR, PALETTE, escape_text
from geo.spatial.join import join_areas
from indicators.catalogue import validate_catalogue
from indicators.ranking import rank_areas
from indicators.settings import AnalysisSettings
from indicators.swedish import format_number

INJECTIONS = ["<img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% raw %}", "</script><b>x</b>"]
CREATED = dt.date(2026, 1, 31)


def grid(names: list[str] | None = None) -> gpd.GeoDataFrame:
    """3x3 boxes of 1 km in EPSG:3006, ids A1..A9 row by row from the south-west."""
    ids = [f"A{i + 1}" for i in range(9)]
    geoms = [box(670000 + 1000 * (i % 3), 6570000 + 1000 * (i // 3),
                 671000 + 1000 * (i % 3), 6571000 + 1000 * (i // 3)) for i in range(9)]
    return gpd.GeoDataFrame({"area_id": ids, "area_name": names or [f"Ruta {i + 1}"
                                                                    for i in range(9)]},
                            geometry=geoms, crs=3006)


def catalogue(name: str = "Våldsbrott"):
    return validate_catalogue(pd.DataFrame({
        "id": ["vald"], "name": [name], "domain": ["kriminalitet"], "direction": ["1"],
        "unit": ["per 1 000"], "per": ["1000"], "numerator": ["brott"],
        "denominator": ["invanare"], "source": ["Testkälla"], "level": ["område"]}))


def table(ids: list[str] | None = None) -> pd.DataFrame:
    ids = ids or [f"A{i + 1}" for i in range(9)]
    # A1 has 1 crime per 1 000, A2 2 per 1 000, ... so A9 ranks first and A1 last.
    return pd.DataFrame({"area_id": ids, "invanare": [1000] * len(ids),
                         "brott": list(range(1, len(ids) + 1))})


SETTINGS = AnalysisSettings.create({"vald": 1.0}, name="Testprofil")
SOURCES = (SourceInfo("Rutnät", "testdata", "2026-01-01"),
           SourceInfo("Indikatorer", "testdata", "2026-01-02", synthetic=True))


def build(areas=None, cat=None, tab=None, sources=SOURCES, title="Testkarta", **kw):
    result = rank_areas(tab if tab is not None else table(), cat or catalogue(), SETTINGS)
    joined, report = join_areas(areas if areas is not None else grid(), result)
    return build_map(joined, result, title=title, sources=sources, created=CREATED, **kw), report


def area_layer(html: str) -> dict:
    return geojson_layers(html)[0]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def shown(fragment: str) -> tuple[str, list[str]]:
    """What a browser shows for an HTML fragment (text) and which tags it creates."""
    parser = _Text()
    parser.feed(fragment)
    return "".join(parser.text), parser.tags


def test_map_has_one_feature_per_area_with_rank_tooltips():
    fmap, _ = build()
    html = render_map_html(fmap)
    layer = area_layer(html)
    assert len(layer["features"]) == 9
    tips = {f["properties"]["idx"]: shown(f["properties"]["tooltip"])[0] for f in layer["features"]}
    assert tips[8].startswith("Ruta 9 (A9)Rang 1 av 9 (1 = störst behov)")
    assert "Bidrar mest: Våldsbrott" in tips[8]
    assert "Rang 9 av 9" in tips[0]
    assert "Bidrar mest" not in tips[0]  # the lowest area has nothing above average


def test_colours_follow_quantile_classes():
    fmap, _ = build()
    layer = area_layer(render_map_html(fmap))
    fill = {f["properties"]["idx"]: f["properties"]["fill"] for f in layer["features"]}
    assert fill[8] == PALETTE[5][-1]      # most need: darkest
    assert fill[0] == PALETTE[5][0]       # least need: lightest
    assert [fill[i] for i in range(9)] == sorted([fill[i] for i in range(9)],
                                                 key=PALETTE[5].index)


def test_legend_title_sources_date_method_and_settings_are_on_the_map():
    fmap, _ = build()
    html = render_map_html(fmap)
    text, _ = shown(html)
    assert "Sammanvägt behov" in text and "Klasser: femtedelar av områdena." in text
    assert "Högst behov (2)" in text and "Lägst behov (2)" in text   # 9 areas in fifths
    assert "Testkarta" in text and "Profil: Testprofil" in text
    assert "Rutnät, testdata, datum 2026-01-01" in text
    assert "Skapad 2026-01-31 med prevmap." in text
    assert "Normalisering: z-poäng" in text
    assert '[indicator_weights]\nvald = 1.0' in text
    assert "<title>Testkarta (syntetiska demodata)</title>" in html
    assert "SYNTETISKA DEMODATA – värdena är påhittade" in text


def test_real_data_is_not_called_synthetic():
    fmap, _ = build(sources=(SourceInfo("Rutnät", "testdata", "2026-01-01"),))
    assert "SYNTETISKA" not in render_map_html(fmap)


def test_area_without_data_is_grey_and_in_the_legend():
    fmap, report = build(tab=table([f"A{i + 1}" for i in range(8)]))
    layer = area_layer(render_map_html(fmap))
    grey = [f["properties"]["idx"] for f in layer["features"]
            if f["properties"]["fill"] == NO_DATA_COLOUR]
    assert grey == [8]
    assert shown(layer["features"][8]["properties"]["tooltip"])[0] == \
        "Ruta 9 (A9)Saknar indikatordata"
    assert "Saknar värde (1)" in shown(render_map_html(fmap))[0]
    assert report.areas_without_data == ("A9",)


@pytest.mark.parametrize("evil", INJECTIONS)
def test_area_names_show_literally_in_tooltips(evil):
    names = [f"Ruta {i + 1}" for i in range(9)]
    names[8] = evil
    fmap, _ = build(areas=grid(names))
    html = render_map_html(fmap)          # does not raise, e.g. on {% raw %}
    tip = area_layer(html)["features"][8]["properties"]["tooltip"]
    text, tags = shown(tip)
    assert text.startswith(f"{evil} (A9)")
    assert tags == ["b", "br", "br", "br", "br", "br"]  # only the builder's own tags
    assert "49" not in text


@pytest.mark.parametrize("evil", INJECTIONS)
def test_indicator_names_titles_and_sources_are_escaped(evil, tmp_path):
    sources = (SourceInfo(evil, evil, "2026-01-01", licence=evil),)
    fmap, _ = build(cat=catalogue(name=evil), sources=sources, title=evil)
    path = export_map_html(fmap, tmp_path / "karta.html")
    html = path.read_text(encoding="utf-8")
    assert "<img src=x" not in html
    assert "</script><b>" not in html
    assert "{{ 7*7 }}" not in html and "{% raw %}" not in html
    assert html.count(escape_text(evil)) >= 3   # title, heading, sources
    tip = area_layer(html)["features"][8]["properties"]["tooltip"]
    assert f"Bidrar mest: {evil}" in shown(tip)[0]


def test_same_analysis_renders_identical_bytes():
    first, _ = build()
    second, _ = build()
    assert render_map_html(first) == render_map_html(second)


def test_no_tile_server_unless_asked():
    fmap, _ = build()
    assert "tile.openstreetmap" not in render_map_html(fmap)
    fmap, _ = build(tiles="OpenStreetMap")
    assert "tile.openstreetmap" in render_map_html(fmap)


def test_unknown_classification_is_refused():
    with pytest.raises(ValueError, match="okänd klassindelning 'jenks'"):
        build(scheme="jenks")


@pytest.mark.parametrize(("value", "text"), [(1234.5, "1\u202f234,50"), (-0.456, "-0,46"),
                                             (float("nan"), "–")])
def test_format_number_is_swedish(value, text):
    assert format_number(value) == text


def test_nothing_is_loaded_from_outside():
    """Leaflet is inlined (geo.maps.offline; tests/test_offline_map.py opens the map offline)."""
    fmap, _ = build()
    html = render_map_html(fmap)
    assert not re.search(r"<script\b[^>]*\bsrc=|<link\b[^>]*\bhref=", html)
    inlined = re.findall(r"inbäddad från folium-offline: (\S+)", html)
    assert len(inlined) == 2 and all("/leaflet@" in url for url in inlined), inlined


def test_equal_scores_make_one_class():
    tab = table()
    tab["brott"] = 5
    fmap, _ = build(tab=tab)
    html = render_map_html(fmap)
    fills = {f["properties"]["fill"] for f in area_layer(html)["features"]}
    assert fills == {PALETTE[5][-1]}
    assert shown(html)[0].count("≤ 0,00") == 1     # one legend row: all scores are 0


@pytest.mark.filterwarnings("ignore:Numba not installed")  # mapclassify's pure-Python path
@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
def test_every_classification_colours_the_extremes(scheme):
    fmap, _ = build(scheme=scheme)
    fill = {f["properties"]["idx"]: f["properties"]["fill"]
            for f in area_layer(render_map_html(fmap))["features"]}
    assert fill[8] == PALETTE[5][-1] and fill[0] == PALETTE[5][0]


def test_a_second_render_of_the_same_map_differs_so_exports_build_anew():
    """Why the app's download builds a fresh map instead of reusing the one st_folium drew:
    folium adds to a map on every render. If folium ever stops doing so, this fails and the
    rebuild can go."""
    fmap, _ = build()
    first = render_map_html(fmap)
    assert render_map_html(fmap) != first
    assert render_map_html(build()[0]) == first


def test_a_municipal_tile_server_is_used_with_its_attribution():

    analysis = run_analysis(load_inputs(),
                                     list_profiles()["Bred prevention"])
    url = "https://karta.huddinge.se/tiles/{z}/{x}/{y}.png"
    html = map_html(analysis, tiles=url).decode()
    assert "karta.huddinge.se/tiles/{z}/{x}/{y}.png" in html
    assert "Bakgrundskarta: karta.huddinge.se" in html
    assert "tile.openstreetmap.org" not in html


def test_map_data_reaches_the_page_byte_for_byte():
    # branca compiles each rendered macro again as a Jinja template; the map's elements
    # skip that second pass, so the shape and values are on the page exactly as built.
    from geo.maps.choropleth import page_from_view
    from geo.maps.mapview import area_view

    names = [f"Ruta {i + 1}" for i in range(9)]
    names[3] = "{{ 7*7 }} {% if 1 %}x{% endif %}"
    result = rank_areas(table(), catalogue(), SETTINGS)
    joined, _ = join_areas(grid(names), result)
    view = area_view(joined, result, title="Rutor", sources=SOURCES, created=CREATED)
    html = render_map_html(page_from_view(view, tiles=None, layer_name="Rutor"))
    assert view.shape.text in html and view.values_json() in html
    assert area_layer(html)["features"][3]["properties"]["tooltip"].startswith(
        "<b>&#123;&#123; 7*7 &#125;&#125; &#123;% if 1 %&#125;x&#123;% endif %&#125;</b>")


@pytest.mark.parametrize(("typed", "tiles", "refused"), [
    ("", "OpenStreetMap", False),
    ("   ", "OpenStreetMap", False),
    ("  https://karta.kommun.se/{z}/{x}/{y}.png ", "https://karta.kommun.se/{z}/{x}/{y}.png",
     False),
    ("http://okrypterad.example/{z}/{x}/{y}.png", "OpenStreetMap", True),   # not https
    ("https://karta.kommun.se/{z}/{x}.png", "OpenStreetMap", True),          # no {y}
    ("https://karta.kommun.se/tiles.png", "OpenStreetMap", True),
])
def test_a_typed_tile_server_is_used_only_over_https_with_z_x_y(typed, tiles, refused):
    from geo.maps.choropleth import TILE_URL_RULE, chosen_tiles

    assert chosen_tiles(typed) == (tiles, TILE_URL_RULE if refused else None)
