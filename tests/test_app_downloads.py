"""The app's downloads through AppTest, as a user clicks them: the maps show what "Kartan
visar" shows on screen (file name and button say which), and a download that fails is
said on the page in Swedish, its technical details folded away."""

from __future__ import annotations

import pytest
from app_start import demo_app
from streamlit.runtime.media_file_manager import MediaFileManager

from geo.export.formats import FORMATS
from geo.export.text import md_source


@pytest.fixture
def made(monkeypatch) -> dict:
    """Deferred file id -> (callable, MIME type, file name) of every download button."""
    made: dict = {}
    add = MediaFileManager.add_deferred

    def recorded(self, data, mimetype, coordinates, file_name=None, **kwargs):
        file_id = add(self, data, mimetype, coordinates, file_name=file_name, **kwargs)
        made[file_id] = (data, mimetype, file_name)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", recorded)
    return made


def buttons(at) -> dict:
    """The export buttons by their format's label (before the map choice's words)."""
    labels = {f.label for f in FORMATS}
    return {b.proto.label.split(":")[0]: b.proto for b in at.get("download_button")
            if b.proto.label.split(":")[0] in labels}


def test_the_map_downloads_show_the_indicator_chosen_on_screen(made):
    at = demo_app()
    assert not at.exception
    indicator = "missbruksinsats_unga"
    at.selectbox(key="map_show").set_value(indicator).run()
    assert not at.exception
    shown = at.selectbox(key="map_show").format_func(indicator)
    assert shown.startswith("Indikator: Unga 15–24 år med insats för missbruk")
    found = buttons(at)
    for key, name in (("Karta (HTML)", "prevmap_karta_unga_15_24_ar_med_insats_for_missbruk"),
                      ("Karta (SVG)", "prevmap_karta_unga_15_24_ar_med_insats_for_missbruk"),
                      ("Karta (PNG)", None), ("Karta (PDF)", None)):
        button = found[key]
        assert button.label == f"{key}: {shown}"
        if name and button.deferred_file_id:
            assert made[button.deferred_file_id][2].startswith(name)
    # the report and the workbook are the whole analysis, named as always
    assert found["Rapport (HTML)"].label == "Rapport (HTML)"
    assert made[found["Resultat (Excel)"].deferred_file_id][2] == "prevmap_resultat.xlsx"
    assert any("visar det du valt under ”Kartan visar”: " + shown in md_source(c.value)
               for c in at.caption)
    # what a click makes: the print map and the HTML map of that indicator
    svg = made[found["Karta (SVG)"].deferred_file_id][0]().decode("utf-8")
    assert "Kartan visar: Indikator: Unga 15–24 år med insats för missbruk" in svg
    assert "Uppgift saknas/skyddad" in svg     # its hidden values, hatched
    html = made[found["Karta (HTML)"].deferred_file_id][0]().decode("utf-8")
    assert "Unga 15–24 år med insats för missbruk" in html


def test_a_domain_chosen_names_the_print_maps_file(made):
    at = demo_app()
    at.selectbox(key="map_show").set_value("kriminalitet").run()
    png = buttons(at)["Karta (PNG)"]
    assert png.label == "Karta (PNG): Domän: Kriminalitet"
    assert made[png.deferred_file_id][2] == "prevmap_karta_kriminalitet.png"
    data = made[png.deferred_file_id][0]()
    assert data.startswith(b"\x89PNG")


def test_a_download_that_fails_is_said_in_swedish_with_the_details_apart(made, monkeypatch):
    """A print map that raises: Streamlit would only write its English note beside the
    button; the page says which file failed and what to do, the rest under Tekniska
    detaljer."""
    at = demo_app()
    assert not at.exception

    def broken(*args, **kwargs):
        raise ValueError("x and y must be the same size (/srv/prevmap/print_map.py)")

    monkeypatch.setattr("geo.maps.print_map.print_map_bytes", broken)
    png = buttons(at)["Karta (PNG)"]
    with pytest.raises(ValueError, match="must be the same size"):
        made[png.deferred_file_id][0]()
    at.run()      # the session runs again (a server's; here the test runs it)
    assert not at.exception
    errors = [md_source(e.value) for e in at.error]
    assert any("Filen ”Karta (PNG): Sammanvägt behov” kunde inte skapas" in e
               and "ett annat format" in e for e in errors), errors
    assert not any("/srv/prevmap" in e for e in errors)
    details = [x for x in at.expander if x.label == "Tekniska detaljer"]
    assert any("x and y must be the same size" in c.value for x in details for c in x.code)
    at.run()      # said once: the next run has no error left
    assert not any("kunde inte skapas" in md_source(e.value) for e in at.error)

