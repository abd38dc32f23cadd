"""The core stays pure: indicators/ imports no geometry, map or UI package; geo/ no streamlit;
plans/ (the åtgärdsplaner and their database) no geometry, map or UI package."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys, importlib, pkgutil, {package}
for mod in pkgutil.walk_packages({package}.__path__, "{package}."):
    importlib.import_module(mod.name)
bad = sorted(m for m in {forbidden} if m in sys.modules)
print(",".join(bad))
"""


@pytest.mark.parametrize(("package", "forbidden"), [
    ("indicators", ("geopandas", "shapely", "folium", "streamlit", "mapclassify")),
    ("geo", ("streamlit",)),
    ("plans", ("streamlit", "folium", "geopandas", "shapely")),
])
def test_package_does_not_import(package, forbidden):
    code = CHECK.format(package=package, forbidden=forbidden)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == ""
