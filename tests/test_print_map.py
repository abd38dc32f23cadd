"""The print maps (geo/maps/print_map.py): 300 dpi pages of A4 and A3 in PNG, SVG and PDF, a
legend in words counted from the web map's classes, names that do not collide, one colouring
per choice, and ``prevmap export`` writing them on the defaults a user gets."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geo.analysis import Analysis, hidden_cells, published_values, run_analysis
from geo.cli import main
from geo.inputs import DEFAULT_PROFILE, load_inputs
from geo.io.files import read_settings
from geo.maps.mapview import NO_DATA_COLOUR, classes_for
from geo.maps.print_map import (
    CHOICES,
    DPI,
    HIDDEN_WORDS,
    PAPERS,
    PrintMapError,
    build_print_map,
    overlaps,
)
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS, SCORE

CREATED = dt.date(2026, 3, 4)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def pixels(paper: str) -> list[int]:
    """The page's sides in pixels at 300 dpi, short side first (matplotlib truncates)."""
    return [int(mm / 25.4 * DPI) for mm in PAPERS[paper]]


def page_points(pdf: bytes) -> list[float]:
    box = re.search(rb"/MediaBox \[ *0 0 ([\d.]+) ([\d.]+) *\]", pdf)
    assert box, "no MediaBox in the PDF"
    return sorted(float(v) for v in box.groups())


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    """Huddinge with the synthetic demo data: all six domains."""
    return run_analysis(load_inputs(), read_settings(DEFAULT_PROFILE))


@pytest.fixture(scope="module")
def index_map(analysis):
    return build_print_map(analysis, "index", created=CREATED)


def test_the_png_is_300_dpi_on_a4_and_a3(analysis, index_map):
    image = Image.open(io.BytesIO(index_map.to_bytes("png")))
    assert [round(d) for d in image.info["dpi"]] == [300, 300]
    assert sorted(image.size) == pixels("A4")
    a3 = build_print_map(analysis, "skola", paper="A3", created=CREATED).to_bytes("png")
    image = Image.open(io.BytesIO(a3))
    assert sorted(image.size) == pixels("A3")
    assert [round(d) for d in image.info["dpi"]] == [300, 300]


def test_the_pdf_is_one_page_of_a4_or_a3(analysis, index_map):
    pdf = index_map.to_bytes("pdf")
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") + pdf.count(
        b"/Type /Page ") <= 1
    assert page_points(pdf) == pytest.approx([mm / 25.4 * 72 for mm in PAPERS["A4"]], abs=0.01)
    a3 = build_print_map(analysis, "prioritet", paper="A3", created=CREATED).to_bytes("pdf")
    assert page_points(a3) == pytest.approx([mm / 25.4 * 72 for mm in PAPERS["A3"]], abs=0.01)


def test_the_svg_holds_title_legend_and_names_as_text(analysis, index_map):
    svg = index_map.to_bytes("svg").decode("utf-8")
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert "Behov av förebyggande arbete för barn och unga" in texts
    assert "Högst behov" in texts and "Lägst behov" in texts
    assert "SYNTETISKA DEMODATA" in texts
    assert "Skapad 2026-03-04" in texts
    for label in index_map.labels:
        assert label.name in texts
    assert len(index_map.labels) >= 10


def test_the_legend_counts_the_web_maps_classes(analysis, index_map):
    scores = analysis.joined[SCORE].to_numpy(dtype=float)
    classes, bins = classes_for(scores, "quantiles", 5)
    rows = index_map.legend.rows
    assert [w for _, w, _, _ in rows] == ["Högst behov", "Högt", "Medel", "Lågt",
                                          "Lägst behov"]
    assert [n for _, _, n, _ in rows] == [int((classes == i).sum()) for i in range(4, -1, -1)]
    assert sum(n for _, _, n, _ in rows) == len(analysis.joined)
    assert "femtedelar av områdena" in index_map.legend.how


def test_labels_do_not_overlap_and_the_most_need_is_named(analysis, index_map):
    boxes = [label.box for label in index_map.labels]
    assert all(not overlaps(a, b) for a, b in combinations(boxes, 2))
    joined = analysis.joined
    top = joined.sort_values(SCORE, ascending=False)[AREA_ID].astype(str).iloc[0]
    assert top in {label.area_id for label in index_map.labels}
    names = dict(zip(joined[AREA_ID].astype(str), joined[AREA_NAME], strict=True))
    assert all(names[label.area_id] == label.name for label in index_map.labels)


def test_each_choice_colours_the_areas_differently(analysis, index_map):
    fills = {"index": index_map.fill}
    for choice in CHOICES[1:]:
        fills[choice] = build_print_map(analysis, choice, created=CREATED).fill
    assert len(set(fills.values())) == len(CHOICES), fills
    tier = analysis.assessment.tiers.reindex(analysis.joined[AREA_ID]).astype(str).to_numpy()
    colours = np.array(fills["prioritet"])
    for name in set(tier):     # one colour per tier
        assert len(set(colours[tier == name])) == 1


def test_a_wrong_choice_names_the_valid_ones(analysis):
    with pytest.raises(PrintMapError,
                       match="Välj ett av: index, prioritet, angreppssatt, psykisk_ohalsa"):
        build_print_map(analysis, "ingenting")
    with pytest.raises(PrintMapError, match="okänt pappersformat: 'A5'"):
        build_print_map(analysis, paper="A5")


def test_the_same_analysis_gives_the_same_bytes(analysis):
    for fmt in ("svg", "pdf"):     # each drawn once, as a writer does
        first, again = (build_print_map(analysis, "missbruk", created=CREATED).to_bytes(fmt)
                        for _ in range(2))
        assert first == again, fmt


def test_prevmap_export_writes_print_maps_of_real_huddinge(tmp_path, capsys):
    """The defaults a user gets: Huddinge's RegSO with SCB's open statistics."""
    out = tmp_path / "karta.png"
    args = ["export", "--out", str(out), "--svg", str(tmp_path / "k.svg"),
            "--karta-pdf", str(tmp_path / "k.pdf"), "--papper", "A3"]
    assert main(args) == 0, capsys.readouterr().err
    image = Image.open(out)
    assert sorted(image.size) == pixels("A3") and round(image.info["dpi"][0]) == 300
    svg = (tmp_path / "k.svg").read_text(encoding="utf-8")
    assert "Flemingsberg" in svg and "Verkliga data" in svg and "Högst behov" in svg
    assert page_points((tmp_path / "k.pdf").read_bytes()) == pytest.approx(
        [mm / 25.4 * 72 for mm in PAPERS["A3"]], abs=0.01)
    assert (tmp_path / "karta.csv").is_file()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "print_map_huddinge_a3.png").write_bytes(out.read_bytes())


def test_prevmap_export_refuses_a_wrong_choice_naming_the_valid_ones(tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path / "k.png"), "--visa", "allt"]) == 2
    err = capsys.readouterr().err
    assert "kartan kan inte visa 'allt' (--visa)" in err
    assert "Välj en av: index, prioritet, angreppssatt, socioekonomi" in err
    assert not (tmp_path / "k.png").exists()
    # a domain the real data do not have: exit 2, naming those they have
    assert main(["export", "--out", str(tmp_path / "k.png"), "--visa", "skola"]) == 2
    assert "Välj en av: index, prioritet, angreppssatt, socioekonomi" in capsys.readouterr().err


def test_help_and_the_html_export_do_not_import_matplotlib(tmp_path):
    code = ("import sys; from geo.cli import main\n"
            "try: main(sys.argv[1:])\n"
            "except SystemExit: pass\n"
            "print('matplotlib' in sys.modules)")
    root = Path(__file__).resolve().parents[1]
    for argv in (["--help"], ["export", "--out", str(tmp_path / "k.html")]):
        done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                              text=True, cwd=root, env={"PYTHONPATH": str(root)}, check=True)
        assert done.stdout.strip().splitlines()[-1] == "False", (argv, done.stderr)


def test_the_reports_pdf_shows_the_print_maps_and_its_html_the_interactive_map(analysis):
    from geo.export.report import report_html

    printed = report_html(analysis, created=CREATED, print_maps=True).decode("utf-8")
    alts = re.findall(r'<img class="print-map" alt="([^"]*)" src="data:image/svg\+xml;base64,',
                      printed)
    assert alts == ["Karta: Sammanvägt behov (index)", "Karta: Prioritet",
                    "Karta: Rekommenderat angreppssätt",
                    *(f"Karta: Domän: {DOMAINS[d]}" for d in analysis.result.domain_scores)]
    assert "<iframe" not in printed
    page = report_html(analysis, created=CREATED).decode("utf-8")
    assert '<iframe class="map"' in page and "print-map\"" not in page


def test_names_that_cannot_all_fit_keep_the_most_need(analysis, monkeypatch):
    """Names too large to place all (as in a län): those that still collide after
    adjustText are dropped, least need first, and the page is still drawn."""
    monkeypatch.setattr("geo.maps.print_map.LABEL_SIZE", 26.0)
    crowded = build_print_map(analysis, "index", created=CREATED)
    assert crowded.to_bytes("png").startswith(b"\x89PNG")
    assert 0 < len(crowded.labels) < len(analysis.joined)
    boxes = [label.box for label in crowded.labels]
    assert all(not overlaps(a, b) for a, b in combinations(boxes, 2))
    top = analysis.joined.sort_values(SCORE, ascending=False)[AREA_ID].astype(str).iloc[0]
    assert crowded.labels[0].area_id == top


def test_an_indicator_is_mapped_by_its_published_value_with_unit_and_year(analysis):
    """A single indicator, as the web map shows it: classed on its value (need: value ×
    direction), its unit and year in the heading; a value hidden by disclosure control is
    never a class but hatched grey, counted as "Uppgift saknas/skyddad"."""
    hidden = hidden_cells(analysis)["missbruksinsats_unga"]
    assert hidden.any(), "the demo hides some of this indicator's values"
    made = build_print_map(analysis, "missbruksinsats_unga", created=CREATED)
    ind = analysis.inputs.catalogue["missbruksinsats_unga"]
    assert made.legend.heading == (f"Indikator: {ind.name} ({ind.unit}), "
                                   f"år {analysis.inputs.year}")
    ids = list(analysis.joined[AREA_ID])
    value = published_values(analysis)["missbruksinsats_unga"].reindex(ids)
    rows = {words: n for _, words, n, _ in made.legend.rows}
    assert rows[HIDDEN_WORDS] == int(value.isna().sum()) >= int(hidden.sum())
    fill = np.array(made.fill)
    assert set(fill[value.isna().to_numpy()]) == {NO_DATA_COLOUR}
    assert NO_DATA_COLOUR not in set(fill[value.notna().to_numpy()])
    # the class with most need holds the largest published values
    top = made.legend.rows[0]
    assert top[1] == "Högst behov" and top[3].endswith(f"{ind.unit}")
    assert set(value[fill == top[0]]) == set(value.nlargest(top[2]))
    svg = made.to_bytes("svg").decode("utf-8")
    assert HIDDEN_WORDS in svg and ind.name in svg and "<pattern" in svg   # the hatching
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "print_map_indicator_hidden.png").write_bytes(made.to_bytes("png"))


def test_an_indicator_where_lower_is_more_need_puts_the_lowest_values_first(analysis):
    ind = analysis.inputs.catalogue["fritidsdeltagande"]
    assert ind.direction == -1
    made = build_print_map(analysis, "fritidsdeltagande", created=CREATED)
    value = published_values(analysis)["fritidsdeltagande"].reindex(
        list(analysis.joined[AREA_ID]))
    colour, words, n, limits = made.legend.rows[0]
    assert words == "Högst behov"
    assert set(value[np.array(made.fill) == colour]) == set(value.nsmallest(n))
    assert "lägre värde = större behov" in made.legend.how
    low, high = (float(v.replace(",", ".").replace("\u2212", "-"))
                 for v in re.findall(r"[\d,]+", limits)[:2])
    assert low <= high and value.min() == pytest.approx(low, abs=0.01)


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_prevmap_export_draws_an_indicator_on_paper(tmp_path, capsys, fmt):
    """``--visa <indicator>`` on the defaults a user gets (SCB's open statistics)."""
    out = tmp_path / f"karta.{fmt}"
    assert main(["export", "--out", str(out), "--visa", "lag_ek_standard"]) == 0, \
        capsys.readouterr().err
    data = out.read_bytes()
    assert data.startswith({"png": b"\x89PNG", "pdf": b"%PDF-", "svg": b"<?xml"}[fmt])
    if fmt == "svg":
        text = data.decode("utf-8")
        assert "Kartan visar: Indikator:" in text and "Högst behov" in text
        assert "Verkliga data" in text
    if fmt == "png":
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "print_map_huddinge_indicator.png").write_bytes(data)
