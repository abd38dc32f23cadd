"""The embedded default data: polygons, demo table, catalogue and profiles, and their scripts."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geo.inputs import (
    DATA_DIR,
    DEFAULT_AREAS,
    DEFAULT_CATALOGUE,
    DEFAULT_HISTORY,
    DEMO_INDICATORS,
    list_profiles,
    load_inputs,
)
from geo.io import national
from geo.io.areas import read_areas
from geo.io.files import read_catalogue, read_indicator_table, read_source_info
from indicators.errors import IndicatorTableError
from indicators.ranking import rank_areas
from indicators.settings import validate_settings
from indicators.table import available_indicators

DATA = Path(__file__).resolve().parents[1] / "data"


def load_script(name: str):
    """A data/ script as the user runs it (a test may import it; the app never does)."""
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_embedded_areas_are_huddinges_22_regso():
    areas = read_areas(DEFAULT_AREAS)
    assert areas.frame.crs.to_epsg() == 3006
    assert areas.frame["area_id"].tolist() == [f"0126R{i:03d}" for i in range(1, 23)]
    assert areas.frame.set_index("area_id").at["0126R020", "area_name"] == "Vårby gård"
    assert areas.repairs == ()
    assert shapely.is_valid(areas.frame.geometry.values).all()
    assert not areas.source.synthetic and areas.source.date == "2025-01-01"
    assert DEFAULT_AREAS.stat().st_size < 200_000


def test_demo_table_is_marked_synthetic_and_covers_every_area():
    info = read_source_info(DEMO_INDICATORS)
    assert info.synthetic and "SYNTETISKA DEMODATA" in info.label()
    table = read_indicator_table(DEMO_INDICATORS)
    areas = read_areas(DEFAULT_AREAS)
    assert sorted(table["area_id"]) == sorted(areas.frame["area_id"])
    catalogue = read_catalogue(DEFAULT_CATALOGUE)
    assert available_indicators(table, catalogue) == tuple(catalogue)


def test_demo_generator_reproduces_the_committed_table(tmp_path):
    generator = load_script("build_demo_indicators")
    out = tmp_path / "demo.csv"
    generator.main(["--out", str(out)])
    assert out.read_bytes() == DEMO_INDICATORS.read_bytes()
    generator.main(["--out", str(out), "--seed", "1"])
    assert out.read_bytes() != DEMO_INDICATORS.read_bytes()


def test_demo_history_is_reproduced_and_loaded_with_the_demo(tmp_path):
    generator = load_script("build_demo_indicators")
    out, history = tmp_path / "demo.csv", tmp_path / "historik.csv"
    generator.main(["--out", str(out), "--history", str(history)])
    assert history.read_bytes() == DEFAULT_HISTORY.read_bytes()
    assert read_source_info(DEFAULT_HISTORY).synthetic
    inputs = load_inputs()
    assert inputs.year == 2024
    assert [year for year, _ in inputs.history] == [2021, 2022, 2023]
    for _, table in inputs.history:
        assert table["area_id"].tolist() == inputs.table["area_id"].tolist()
    # An upload without history has none, and a history reaching the main year is refused.
    own = load_inputs(indicators=out)
    assert own.history == () and own.year is None
    with pytest.raises(IndicatorTableError, match="historiken innehåller år 2021, 2022, 2023, "
                                                  "inte före huvudtabellens år 2021"):
        load_inputs(indicators=out, history=history, year=2021)


def test_profiles_are_shipped_and_run_on_the_demo_data():
    profiles = list_profiles()
    assert set(profiles) == {"Bred prevention", "Kriminalitet", "Psykisk ohälsa",
                             "SCB: socioekonomiska riskfaktorer"}
    table = read_indicator_table(DEMO_INDICATORS)
    catalogue = read_catalogue(DEFAULT_CATALOGUE)
    for name, settings in profiles.items():
        if name.startswith("SCB"):   # for SCB's catalogue: checked in test_sources.py
            validate_settings(settings, read_catalogue(DATA_DIR / "catalogue_scb.csv"))
            continue
        result = rank_areas(table, catalogue, settings)
        assert result.rank.min() == 1 and result.score.notna().all()


def test_area_extraction_keeps_one_kommun_and_renames_columns(tmp_path):
    """build_areas.py on a small stand-in for the duva wheel (the real one needs a download)."""
    builder = load_script("build_areas")
    regso = gpd.GeoDataFrame(
        {"regsokod": ["0126R002", "0126R001", "0127R001"],
         "regsonamn": ["Två", "Ett", "Annan kommun"], "kommunkod": ["0126", "0126", "0127"],
         "lanskod": ["01"] * 3, "version": ["2025_v2"] * 3, "referensdatum": ["20250101"] * 3},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)], crs=3006)
    gpkg = tmp_path / "RegSO_2025.gpkg"
    regso.to_file(gpkg, layer=national.LAYER)
    wheel = tmp_path / "duva-0.3.5-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(gpkg, national.WHEEL_MEMBER)
    work = tmp_path / "work"
    work.mkdir()
    out = national.extract_kommun_regso(wheel, "0126", work)
    assert out["area_id"].tolist() == ["0126R001", "0126R002"]
    assert out["area_name"].tolist() == ["Ett", "Två"]
    assert out.crs.to_epsg() == 3006
    with pytest.raises(SystemExit, match="Expected 22 RegSO in kommun 0126, found 2"):
        builder.main(["--wheel", str(wheel), "--out", str(tmp_path / "x.parquet")])


def test_the_app_runs_no_script_from_data():
    """The demo generator and the national reader are modules; data/ only holds thin CLIs
    that import them, and no module of the app loads a file by its path."""
    root = DATA.parent
    code = [*(root / name for name in ("app.py", "plan_page.py", "login_page.py",
                                       "table_widget.py")),
            *(root / "geo").rglob("*.py"), *(root / "indicators").rglob("*.py"),
            *(root / "plans").rglob("*.py")]
    loaders = [p.relative_to(root).as_posix() for p in code if p.is_file() and (
        "spec_from_file_location" in (text := p.read_text(encoding="utf-8"))
        or "load_script" in text or "run_path" in text)]
    assert loaders == []


def test_demo_for_another_kommun_is_the_synthetic_generator(tmp_path):
    from geo.sources import demo_inputs
    from indicators import synthetic

    areas = read_areas(DEFAULT_AREAS)
    inputs = demo_inputs(areas, "0127", "wfs")
    catalogue = read_catalogue(DEFAULT_CATALOGUE)
    raw = synthetic.generate(areas.frame[["area_id", "area_name"]].sort_values("area_id"),
                             {i.id: i.domain for i in catalogue.values()}, synthetic.SEED + 127)
    assert inputs.table["invanare"].tolist() == raw["invanare"].astype(float).tolist()
    assert inputs.table_source.synthetic
    assert inputs.table_source.source == f"prevmap indicators/synthetic.py, seed {20261123 + 127}"
