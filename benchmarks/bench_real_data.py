"""The embedded real data and the reading path (issue 15): size, and how long the inputs of
an analysis take to read for a kommun, a län and all of Sweden; the eleven SCB exports as
downloaded through the same path.

    .venv/bin/python benchmarks/bench_real_data.py

Medians of repeated runs; written as JSON to benchmarks/results/bench_real_data.json.
Measured here, never asserted in tests.
"""

from __future__ import annotations

import platform
from pathlib import Path

from timing import median_time, write_results

from geo.inputs import DEFAULT_AREAS, inputs_for_areas
from geo.io.areas import read_areas
from geo.io.scb_open import SCB_DESO
from geo.sources import find_duva_wheel, kommun_areas, real_inputs, region_areas

OUT = Path(__file__).resolve().parent / "results" / "bench_real_data.json"
XLSX = Path(__file__).resolve().parents[2] / "shared" / "data" / "sweden" / \
    "scb_statistikdatabasen_xlsx"


def main() -> None:
    results: dict[str, object] = {"machine": platform.platform(),
                                  "parquet_bytes": SCB_DESO.stat().st_size}
    huddinge = read_areas(DEFAULT_AREAS)
    results["real_inputs_huddinge_s"] = median_time(lambda: real_inputs(huddinge), 7)
    if find_duva_wheel() is not None:
        botkyrka = kommun_areas("0127", "national")
        results["real_inputs_botkyrka_s"] = median_time(lambda: real_inputs(botkyrka), 5)
        stockholm = region_areas("01")
        results["real_inputs_stockholms_lan_s"] = median_time(
            lambda: real_inputs(stockholm), 3)
        sweden = region_areas("00")
        results["real_inputs_sweden_s"] = median_time(lambda: real_inputs(sweden), 3)
    if XLSX.is_dir():
        files = sorted(XLSX.glob("*.xlsx"))
        results["eleven_scb_xlsx_huddinge_s"] = median_time(
            lambda: inputs_for_areas(huddinge, files), 2)
    write_results(results, OUT)


if __name__ == "__main__":
    main()
