"""The house, kept by contracts: ``indicators/`` is the method (pure), ``geo/`` is in layers
where each imports only those below it (readers, inputs, spatial operations, the analysis,
maps, exports, the command line), ``plans/`` keeps its model and follow-up pure.

The contracts are import-linter's (``[tool.importlinter]`` in ``pyproject.toml``); these tests
run them on the tree, and show that they fail when a forbidden import is added to a copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("geo", "indicators", "plans")


def lint(root: Path) -> subprocess.CompletedProcess:
    if not LINT.exists():
        pytest.fail(f"{LINT} is missing: install the dev dependencies (make setup)")
    return subprocess.run([str(LINT), "--no-cache", str(root / "pyproject.toml")],
                          cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_tree_keeps_every_contract() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in done.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages and pyproject.toml, copied, for adding imports the contracts forbid."""
    root = tmp_path_factory.mktemp("house")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


@pytest.mark.parametrize(("module", "line", "broken"), [
    # the method reads no network, no files, no database, starts no threads, draws nothing
    ("indicators/ranking.py", "import requests", "indicators is not allowed to import requests"),
    ("indicators/normalise.py", "import urllib.request",
     "indicators is not allowed to import urllib"),
    ("indicators/tiers.py", "import sqlalchemy", "indicators is not allowed to import sqlalchemy"),
    ("indicators/trends.py", "import openpyxl", "indicators is not allowed to import openpyxl"),
    ("indicators/smoothing.py", "import importlib",
     "indicators is not allowed to import importlib"),
    ("indicators/prepare.py", "import streamlit", "indicators is not allowed to import streamlit"),
    ("indicators/method.py", "import folium", "indicators is not allowed to import folium"),
    ("indicators/levels.py", "import geopandas", "indicators is not allowed to import geopandas"),
    ("indicators/uncertainty.py", "import threading",
     "indicators is not allowed to import threading"),
    ("indicators/assessment.py", "from concurrent.futures import ThreadPoolExecutor",
     "indicators is not allowed to import concurrent"),
    # ... and nothing from the layers above it
    ("indicators/ranking.py", "import geo.io.tables",
     "indicators is not allowed to import geo.io"),
    # no layer imports upward
    ("geo/io/areas.py", "import geo.analysis", "geo.io is not allowed to import geo.analysis"),
    ("geo/spatial/join.py", "import geo.maps.choropleth",
     "geo.spatial is not allowed to import geo.maps"),
    ("geo/analysis.py", "import geo.export.tables",
     "geo.analysis is not allowed to import geo.export"),
    ("geo/maps/choropleth.py", "import geo.cli", "geo.maps is not allowed to import geo.cli"),
    ("plans/model.py", "import geo.inputs", "plans is not allowed to import geo.inputs"),
    # the plans' model and follow-up are pure; the store sits beside them
    ("plans/followup.py", "import plans.store",
     "plans.followup is not allowed to import plans.store"),
    ("plans/model.py", "import sqlalchemy", "plans.model is not allowed to import sqlalchemy"),
    # only the app draws widgets
    ("geo/export/report.py", "import streamlit", "geo is not allowed to import streamlit"),
])
def test_a_forbidden_import_breaks_a_contract(tree_copy: Path, module: str, line: str,
                                              broken: str) -> None:
    path = tree_copy / module
    original = path.read_text()
    try:
        path.write_text(original + f"\n{line}  # added by the test\n")
        done = lint(tree_copy)
    finally:
        path.write_text(original)
    assert done.returncode != 0
    assert broken in " ".join(done.stdout.split()), done.stdout


def test_no_module_is_left_at_the_old_places() -> None:
    """The move is complete: the flat modules that now live in a layer are gone."""
    old = ["geo/pipeline.py", "geo/io.py", "geo/maps.py", "geo/exports.py", "geo/report.py",
           "indicators/io.py", "indicators/http.py", "indicators/tables.py"]
    assert [p for p in old if (ROOT / p).exists()] == []
