"""Extract Huddinge's 22 RegSO 2025 polygons from the PyPI wheel duva==0.3.5.

Run from the repository root with the project's environment:

    .venv/bin/python data/build_areas.py

It downloads the wheel with pip (:func:`geo.io.national.download_duva_wheel`; the wheel
needs Python >= 3.12 to install, so it is only downloaded, never installed), reads
``duva/geodata/RegSO_2025.gpkg`` out of the zip, keeps kommunkod 0126
(:func:`geo.io.national.extract_kommun_regso`) and writes
``data/areas/huddinge_regso_2025.parquet`` (GeoParquet, EPSG:3006, full SCB geometry) with
the shared column names ``area_id`` and ``area_name``. Provenance and licence:
``data/README.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # run as a script from anywhere

from geo.io.national import download_duva_wheel, extract_kommun_regso  # noqa: E402

KOMMUN = "0126"
OUT = HERE / "areas" / "huddinge_regso_2025.parquet"
EXPECTED_AREAS = 22


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an already downloaded duva-0.3.5 wheel")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_duva_wheel(Path(tmp))
        areas = extract_kommun_regso(wheel, KOMMUN, Path(tmp))
    if len(areas) != EXPECTED_AREAS:
        raise SystemExit(f"Expected {EXPECTED_AREAS} RegSO in kommun {KOMMUN}, found {len(areas)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    areas.to_parquet(args.out, index=False, compression="zstd")
    print(f"Wrote {len(areas)} areas to {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
