"""The app through AppTest, attacked with its own inputs: text from files is shown as text,
an error that is not prevmap's own shows a Swedish message with its technical details
folded away (never a traceback), and uploads leave no file behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from app_start import demo_app, ranked_table
from streamlit.testing.v1 import AppTest

import geo.inputs
from geo.export.text import md_source
from geo.inputs import DEFAULT_AREAS, DEMO_INDICATORS
from geo.spatial.levels import DEFAULT_GROUPING

APP = str(Path(__file__).resolve().parents[1] / "app.py")
IMAGE = "![x](http://127.0.0.1:9/img.png)"
LINK = "[klick](http://evil.example)"
SHOWN_LINK = "[klick](evil.example)"   # an address in a message is named by its host


def uploader(at: AppTest, key: str):
    return next(u for u in at.file_uploader if u.key == key)


def shown(elements) -> list[str]:
    """What a reader sees of each markdown element (its escapes removed)."""
    return [md_source(e.value) for e in elements]


def literal(markdown: str, text: str) -> bool:
    """Whether ``text`` is in ``markdown`` only as escaped, literal text."""
    return text not in markdown and text in md_source(markdown)


def choose_uploads(at: AppTest) -> None:
    at.radio(key="area_source").set_value("upload")
    at.radio(key="indicator_source").set_value("upload").run()
    uploader(at, "areas_file").upload("omraden.parquet", DEFAULT_AREAS.read_bytes())


def table_with(extra_rows: list[str], *, tag: str, lines: list[str] | None = None) -> bytes:
    """The demo indicator table (or ``lines`` of it) with ``extra_rows``, and a column
    ``tag`` that makes its bytes (the app's cache key) differ from every other test's."""
    lines = lines or DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",test_tag", *(f"{row},{tag}" for row in [*lines[1:], *extra_rows])]
    return ("\n".join(rows) + "\n").encode("utf-8")


def upload_files(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("prevmap-upload-"))


@pytest.fixture
def own_temp(tmp_path, monkeypatch) -> Path:
    """The process' temporary folder, for this test alone (AppTest runs the app here)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_uploads_leave_no_file_after_reading_replacing_and_the_session(own_temp):
    at = demo_app()
    at.radio(key="level").set_value("kommundelar")
    choose_uploads(at)
    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    uploader(at, "table_file").upload("egen.csv", table_with([], tag="first"), "text/csv")
    uploader(at, "grouping_file").upload("delar.csv", DEFAULT_GROUPING.read_bytes(), "text/csv")
    points = b"namn,lat,lon\nSkola,59.22,17.94\n"
    uploader(at, "points_files").upload("skolor.csv", points, "text/csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(ranked_table(at)) == 7               # the uploads were read: seven districts
    assert upload_files(own_temp) == []
    for _ in range(2):                              # reruns read nothing again, write nothing
        at.run()
    assert upload_files(own_temp) == []
    # A replaced upload is read anew, and its file goes too.
    replaced = table_with([], tag="replaced", lines=lines[:-1])
    uploader(at, "table_file").upload("annan.csv", replaced, "text/csv").run()
    assert not at.exception
    assert upload_files(own_temp) == []
    del at                                          # the session ends: nothing to clean up
    assert upload_files(own_temp) == []


def test_hostile_table_values_and_area_codes_are_shown_as_text():
    at = demo_app()
    choose_uploads(at)
    header = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()[0]
    width = len(header.split(","))
    rows = [",".join([f'"{IMAGE}"', "**fet**", *[""] * (width - 2)]),
            ",".join(["www.evil.example", ":red[röd]", *[""] * (width - 2)])]
    uploader(at, "table_file").upload("egen.csv", table_with(rows, tag="codes"),
                                      "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [*at.info, *at.warning, *at.error]
    said = " ".join(e.value for e in notes)
    assert IMAGE in " ".join(shown(notes)) and "www.evil.example" in " ".join(shown(notes))
    assert literal(said, IMAGE) and literal(said, "www.evil.example")


def test_a_hostile_value_in_an_error_is_shown_as_text():
    at = demo_app()
    choose_uploads(at)
    lines = DEMO_INDICATORS.read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("valdsbrott")] = f'"{LINK} <img src=x> $x^2$"'
    lines[1] = ",".join(first)
    uploader(at, "table_file").upload("egen.csv", table_with([], tag="value", lines=lines),
                                      "text/csv").run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert "värden som inte är tal" in md_source(said)
    # The message names the address by its host; the address is in the details.
    assert literal(said, SHOWN_LINK) and literal(said, "<img src=x>") \
        and literal(said, "$x^2$")
    # the address itself in the details (st.code: shown as it is, never rendered)
    assert any("http://evil.example" in c.value for c in at.code)


def test_a_hostile_settings_key_is_shown_as_text():
    at = demo_app()
    bad = b'[indicator_weights]\n"**fet** :smile: [a](http://evil.example)" = 1\n'
    uploader(at, "settings_file").upload("![x](http:127.0.0.1).toml", bad,
                                         "application/toml").run()
    assert not at.exception
    said = " ".join(e.value for e in at.error)
    assert literal(said, "**fet** :smile: [a](evil.example)")   # the address by its host
    assert literal(said, "![x](http:127.0.0.1).toml")
    assert any("http://evil.example" in c.value for c in at.code)


def test_a_hostile_point_file_name_is_shown_as_text():
    at = demo_app()
    name = "![p](http:127.0.0.1) **skolor**.csv"
    far = "namn,lat,lon\nLångt borta,67.85,20.22\n".encode()   # Kiruna: outside Huddinge
    uploader(at, "points_files").upload(name, far, "text/csv").run()
    assert not at.exception
    said = " ".join(e.value for e in [*at.info, *at.warning, *at.caption])
    assert literal(said, "![p](http:127.0.0.1) **skolor**")


def test_a_broken_geoparquet_upload_shows_a_swedish_error_not_a_traceback():
    at = demo_app()
    at.radio(key="area_source").set_value("upload").run()
    uploader(at, "areas_file").upload("trasig.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(shown(at.error))
    assert "trasig.parquet" in said
    assert "Traceback" not in said and "site-packages" not in said and "/tmp" not in said


def test_an_unexpected_error_in_a_data_step_shows_details_folded_away(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("/srv/prevmap/hemlig/sökväg.py: oj")

    monkeypatch.setattr(geo.inputs, "inputs_for_areas", broken)
    at = demo_app()
    choose_uploads(at)
    uploader(at, "table_file").upload("egen.csv", table_with([], tag="broken"),
                                      "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(shown(at.error))
    assert said.startswith("Data kunde inte läsas in: ett oväntat fel i prevmap "
                           "(RuntimeError).")
    assert "/srv/prevmap" not in said and "Traceback" not in said
    details = next(e for e in at.expander if e.label == "Tekniska detaljer")
    assert not details.proto.expanded
    assert "RuntimeError: /srv/prevmap/hemlig/sökväg.py: oj" in details.code[0].value
    assert "Traceback" not in details.code[0].value
