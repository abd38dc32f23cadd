"""The export registry (geo/export/formats.py): every format makes a file that opens, the
command line writes the same set through it, and every file names the digest of its inputs."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re
import sqlite3
import tomllib
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest

from geo.analysis import Analysis, run_analysis
from geo.cli import main
from geo.export.formats import (
    FORMATS,
    PLAN_FORMATS,
    ExportOptions,
    export_format,
)
from geo.export.render import renderer_missing
from geo.export.workbook import GPKG_SETTINGS, KEY, VALUE
from geo.inputs import DEFAULT_PROFILE, load_inputs
from geo.io.files import read_settings
from geo.maps.mapview import DIGEST_LABEL

CREATED = dt.date(2026, 3, 4)
SUFFIXES = {"text/html": ".html", "text/csv": ".csv", "application/pdf": ".pdf",
            "image/png": ".png", "image/svg+xml": ".svg", "application/toml": ".toml",
            "application/geopackage+sqlite3": ".gpkg",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}
HEX = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


@pytest.fixture(scope="module")
def changed(analysis) -> Analysis:
    """The same analysis on a table with one value changed."""
    inputs = analysis.inputs
    table = inputs.table.copy()
    column = table.select_dtypes("number").columns[0]      # a count of the first area
    table.loc[table.index[0], column] = table[column].iloc[0] + 1
    return run_analysis(replace(inputs, table=table), analysis.settings)


def opened(fmt_key: str, data: bytes, tmp_path: Path) -> str:
    """Open ``data`` as the format says and return the text that names the inputs' digest."""
    if fmt_key in ("karta", "rapport", "plan_rapport"):
        text = data.decode("utf-8")
        assert text.startswith("<!DOCTYPE html>") and "<title>" in text
        return html_lib.unescape(text.split("</iframe>")[-1])   # not the embedded map's
    if fmt_key in ("excel", "plan"):
        book = openpyxl.load_workbook(io.BytesIO(data))
        return "\n".join(f"{r[1]}: {r[2]}" for name in book.sheetnames if name in (
            "Inställningar", "Om planen") for r in book[name].iter_rows(values_only=True))
    if fmt_key == "csv":
        frame = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
        assert len(frame) == 22 and "Sammanvägt index" in frame.columns
        return ""
    if fmt_key == "gpkg":
        path = tmp_path / "a.gpkg"
        path.write_bytes(data)
        assert len(pyogrio.read_dataframe(path, layer="prevmap_resultat")) == 22
        rows = pyogrio.read_dataframe(path, layer=GPKG_SETTINGS)
        return "\n".join(f"{k}: {v}" for k, v in zip(rows[KEY], rows[VALUE], strict=True))
    if fmt_key == "installningar":
        text = data.decode("utf-8")
        tomllib.loads(text)
        return text
    if fmt_key == "svg":
        return data.decode("utf-8")
    if fmt_key in ("pdf", "plan_pdf", "karta_pdf"):
        assert data.startswith(b"%PDF-")
        return ""
    if fmt_key == "png":
        assert data.startswith(b"\x89PNG")
        return ""
    raise AssertionError(f"no check for format {fmt_key!r}")


def test_every_format_is_named_and_typed():
    keys = [f.key for f in (*FORMATS, *PLAN_FORMATS)]
    assert len(set(keys)) == len(keys)
    assert len({f.label for f in FORMATS}) == len(FORMATS)
    for fmt in (*FORMATS, *PLAN_FORMATS):
        assert fmt.label and fmt.name("plan").endswith(SUFFIXES[fmt.mime]), fmt
        # only the report's PDF is printed by chromium; the print maps are matplotlib's
        assert fmt.needs_chromium == (fmt.key in ("pdf", "plan_pdf")), fmt
    assert [f.name() for f in FORMATS] == [
        "prevmap_karta.html", "prevmap_rapport.html", "prevmap_resultat.xlsx",
        "prevmap_rangordning.csv", "prevmap_resultat.gpkg", "prevmap_rapport.pdf",
        "prevmap_karta.png", "prevmap_karta.svg", "prevmap_karta.pdf",
        "prevmap_installningar.toml"]
    assert export_format("gpkg").mime == "application/geopackage+sqlite3"
    with pytest.raises(KeyError, match="okänt exportformat 'docx'; finns: karta, rapport"):
        export_format("docx")


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.key)
def test_each_format_writes_a_file_that_opens_and_names_its_inputs(fmt, analysis, tmp_path):
    if fmt.needs_chromium and renderer_missing():
        pytest.skip(renderer_missing())
    data = fmt.write(analysis, ExportOptions(created=CREATED))
    assert data
    shown = opened(fmt.key, data, tmp_path)
    if fmt.key not in ("csv", "pdf", "png", "karta_pdf"):   # a table, and pictures
        assert analysis.digest in shown
        assert HEX.fullmatch(analysis.digest)


@pytest.mark.parametrize("fmt", [f for f in PLAN_FORMATS if not f.needs_chromium],
                         ids=lambda f: f.key)
def test_plan_formats_write_the_plan(fmt, analysis, tmp_path):
    from plan_fixtures import demo_plan

    plan = demo_plan()
    data = fmt.write(analysis, ExportOptions(created=CREATED, plan=plan))
    shown = opened(fmt.key, data, tmp_path)
    assert plan.plan.name in shown
    assert f"{DIGEST_LABEL}: {analysis.digest}" in shown


def test_same_inputs_same_digest_one_value_changed_another(analysis, changed):
    again = run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))
    assert again.digest == analysis.digest
    assert changed.digest != analysis.digest
    options = ExportOptions(created=CREATED)
    for key in ("installningar", "karta", "rapport"):
        fmt = export_format(key)
        assert fmt.write(again, options) == fmt.write(analysis, options), key
        other = fmt.write(changed, options).decode("utf-8")
        assert changed.digest in other and analysis.digest not in other, key


def test_the_digest_stands_beside_the_settings(analysis, tmp_path):
    options = ExportOptions(created=CREATED)
    settings = export_format("installningar").write(analysis, options).decode("utf-8")
    first, rest = settings.split("\n", 1)
    assert first.startswith("# ") and first.endswith(analysis.digest)
    assert rest == analysis.settings.to_toml()
    path = tmp_path / "k.settings.toml"
    path.write_text(settings, encoding="utf-8")
    assert read_settings(path) == analysis.settings      # a written file reads back
    for key in ("karta", "rapport"):
        page = export_format(key).write(analysis, options).decode("utf-8")
        page = page.split("</iframe>")[-1]
        settings_at = page.rindex("<pre>")
        assert page.index(f"{DIGEST_LABEL}: {analysis.digest}") > settings_at, key
    for key in ("excel", "gpkg"):
        shown = opened(key, export_format(key).write(analysis, options), tmp_path)
        assert f"{DIGEST_LABEL}: {analysis.digest}" in shown, key


def test_the_command_line_writes_every_format_through_the_registry(tmp_path, capsys,
                                                                   analysis):
    rendering = renderer_missing() is None
    wanted = {f.key: tmp_path / f"ut{f.key}{Path(f.name()).suffix}" for f in FORMATS
              if f.option and (rendering or not f.needs_chromium)}
    args = ["export", "--demo", "--settings", str(DEFAULT_PROFILE)]
    for fmt in FORMATS:
        if fmt.key in wanted:
            args += [fmt.option, str(wanted[fmt.key])]
    assert main(args) == 0, capsys.readouterr().err
    out = wanted["karta"]
    written = {**wanted, "installningar": out.with_suffix(".settings.toml")}
    said = [line.removeprefix("Skrev ") for line in capsys.readouterr().out.splitlines()
            if line.startswith("Skrev ")]
    assert said == [str(written[f.key]) for f in FORMATS if f.key in written]
    options = ExportOptions()
    for key, path in written.items():
        fmt = export_format(key)
        if key == "pdf":       # chromium dates the PDF, and draws as it pleases
            opened(key, path.read_bytes(), tmp_path)
        else:
            assert path.read_bytes() == fmt.write(analysis, options), key


def test_a_geopackage_is_dated_by_its_date_not_the_clock(analysis, tmp_path):
    import time

    fmt = export_format("gpkg")
    first = fmt.write(analysis, ExportOptions(created=CREATED))
    time.sleep(1.1)         # GDAL's own stamp is to the millisecond
    assert fmt.write(analysis, ExportOptions(created=CREATED)) == first
    path = tmp_path / "a.gpkg"
    path.write_bytes(first)
    with closing(sqlite3.connect(path)) as db:
        dates = {d for (d,) in db.execute("SELECT last_change FROM gpkg_contents")}
    assert dates == {"2026-03-04T00:00:00.000Z"}
