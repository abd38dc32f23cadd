"""``prevmap export``: the same files as the app's buttons, and clear errors."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_maps import geojson_layers

from geo.analysis import run_analysis
from geo.cli import main
from geo.export.outputs import map_html
from geo.export.tables import ranking_csv
from geo.inputs import PROFILES_DIR, load_inputs
from geo.io.files import read_settings
from geo.maps.analysis_map import build_analysis_map
from geo.maps.choropleth import render_map_html

PROFILE = PROFILES_DIR / "kriminalitet.toml"


def test_export_writes_map_csv_and_settings(tmp_path, capsys):
    assert main(["export", "--demo", "--settings", str(PROFILE),
                 "--out", str(tmp_path / "k.html")]) == 0
    out = capsys.readouterr()
    assert f"Skrev {tmp_path / 'k.html'}" in out.out
    assert "SYNTETISKA DEMODATA" in out.err
    ranking = pd.read_csv(tmp_path / "k.csv", sep=";", decimal=",", encoding="utf-8-sig",
                          dtype={"Områdeskod": str})
    assert len(ranking) == 22
    assert ranking["Rang"].tolist() == sorted(ranking["Rang"].tolist())
    assert ranking["Områdeskod"].str.match(r"^0126R0\d\d$").all()
    assert ranking["Datakälla"].str.startswith("SYNTETISKA DEMODATA").all()
    assert read_settings(tmp_path / "k.settings.toml") == read_settings(PROFILE)


def test_export_equals_what_the_app_offers(tmp_path):
    """The app's download buttons call the same pipeline functions: compare the bytes."""
    main(["export", "--demo", "--settings", str(PROFILE), "--out", str(tmp_path / "k.html"),
          "--csv", str(tmp_path / "r.csv")])
    analysis = run_analysis(load_inputs(), read_settings(PROFILE))
    fmap = build_analysis_map(analysis)
    assert (tmp_path / "k.html").read_bytes() == map_html(analysis)
    assert map_html(analysis) == render_map_html(fmap).encode()
    assert (tmp_path / "r.csv").read_bytes() == ranking_csv(analysis)


def test_csv_matches_the_core_ranking(tmp_path):
    main(["export", "--demo", "--settings", str(PROFILE), "--out", str(tmp_path / "k.html")])
    analysis = run_analysis(load_inputs(), read_settings(PROFILE))
    csv = pd.read_csv(io.BytesIO((tmp_path / "k.csv").read_bytes()), sep=";", decimal=",",
                      encoding="utf-8-sig", dtype={"Områdeskod": str})
    summary = analysis.result.summary()
    assert csv["Områdeskod"].tolist() == summary["area_id"].tolist()
    assert csv["Sammanvägt index"].tolist() == pytest.approx(summary["score"].round(4).tolist())


def test_bad_settings_exit_2_with_the_file_named(tmp_path, capsys):
    bad = tmp_path / "fel.toml"
    bad.write_text("[indicator_weights]\nfinns_inte = 1.0\nvaldsbrott = -1\n", encoding="utf-8")
    assert main(["export", "--settings", str(bad), "--out", str(tmp_path / "k.html")]) == 2
    err = capsys.readouterr().err
    assert "fil 'fel.toml'" in err and "negativa vikter" in err and "valdsbrott=-1.0" in err
    assert not (tmp_path / "k.html").exists()


def test_missing_area_file_is_reported(tmp_path, capsys):
    code = main(["export", "--areas", str(tmp_path / "saknas.gpkg"),
                 "--out", str(tmp_path / "k.html")])
    assert code == 2
    assert "saknas.gpkg' finns inte" in capsys.readouterr().err


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("prevmap")
    done = subprocess.run([str(script), "export", "--help"], capture_output=True, text=True,
                          check=True)
    assert "--indicators" in done.stdout and "--settings" in done.stdout


def test_point_files_become_count_columns_and_a_layer(tmp_path, capsys):
    areas = load_inputs().areas.frame
    inside = areas.geometry.representative_point()
    first, second = areas["area_id"].iloc[0], areas["area_id"].iloc[1]
    rows = ["namn;x;y"] + [f"Skola {k};{p.x:.1f};{p.y:.1f}".replace(".", ",")
                           for k, p in enumerate([inside.iloc[0], inside.iloc[0],
                                                  inside.iloc[1]])]
    (tmp_path / "skolor.csv").write_text("\n".join(rows), encoding="utf-8")
    gathering = inside.iloc[[1]].to_crs(4326)
    (tmp_path / "fritidsgardar.geojson").write_text(
        gathering.to_frame("geometry").assign(namn="Gården").to_json(), encoding="utf-8")
    code = main(["export", "--out", str(tmp_path / "k.html"),
                 "--punkter", str(tmp_path / "skolor.csv"),
                 "--punkter", str(tmp_path / "fritidsgardar.geojson")])
    assert code == 0, capsys.readouterr().err
    ranking = pd.read_csv(tmp_path / "k.csv", sep=";", decimal=",", encoding="utf-8-sig",
                          dtype={"Områdeskod": str}).set_index("Områdeskod")
    assert ranking["Antal: Skolor"].sum() == 3
    assert (ranking.loc[first, "Antal: Skolor"], ranking.loc[second, "Antal: Skolor"]) == (2, 1)
    assert ranking["Antal: Fritidsgardar"].to_dict() == {
        a: int(a == second) for a in ranking.index}
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    points = [len(g["features"]) for g in geojson_layers(html)
              if (g["features"][0]["geometry"] or {}).get("type") == "Point"]
    assert sorted(points) == [1, 3]


def test_report_is_written_on_request(tmp_path, capsys):
    code = main(["export", "--out", str(tmp_path / "k.html"), "--rapport",
                 str(tmp_path / "rapport.html")])
    assert code == 0
    assert f"Skrev {tmp_path / 'rapport.html'}" in capsys.readouterr().out
    text = (tmp_path / "rapport.html").read_text(encoding="utf-8")
    assert text.count('<div class="card">') == 22 and "<h2>Metod</h2>" in text


def test_every_export_format_from_the_command_line(tmp_path, capsys):
    from browser import browser_missing

    out = {k: tmp_path / f"prevmap.{k}" for k in ("xlsx", "gpkg", "pdf", "png")}
    args = ["export", "--out", str(tmp_path / "k.html"), "--excel", str(out["xlsx"]),
            "--gpkg", str(out["gpkg"])]
    if browser_missing() is None:
        args += ["--pdf", str(out["pdf"]), "--png", str(out["png"])]
    assert main(args) == 0, capsys.readouterr().err
    assert out["xlsx"].read_bytes()[:2] == b"PK"
    import geopandas as gpd

    assert len(gpd.read_file(out["gpkg"], layer="prevmap_resultat")) == 22
    if browser_missing() is None:
        assert out["pdf"].read_bytes().startswith(b"%PDF-")
        assert out["png"].read_bytes().startswith(b"\x89PNG")


def test_csv_never_carries_a_formula_from_a_file(tmp_path):
    from dataclasses import replace

    inputs = load_inputs()
    frame = inputs.areas.frame.copy()
    frame.loc[frame["area_id"] == "0126R001", "area_name"] = "=HYPERLINK(\"http://x\")"
    analysis = run_analysis(replace(inputs, areas=replace(inputs.areas, frame=frame)),
                                     read_settings(PROFILE))
    text = ranking_csv(analysis).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ";=HYPERLINK" not in text and ';"=HYPERLINK' not in text
    back = pd.read_csv(io.StringIO(text), sep=";", decimal=",")
    assert back["Sammanvägt index"].dtype == float        # numbers stay numbers
