"""What censoring hidden counts where the data are held costs (issue 16): protect_inputs
(censor the held table, sum it again to the areas) and a whole analysis, for the demo,
SCB's data for Huddinge and for all of Sweden's RegSO (summed from 5,984 DeSO).

    .venv/bin/python benchmarks/bench_disclosure.py

Medians of repeated runs; written as JSON to benchmarks/results/bench_disclosure.json.
Measured here, never asserted in tests.
"""

from __future__ import annotations

import platform
from pathlib import Path

from timing import median_time, write_results

from geo.analysis import clear_stage_cache, protect_inputs, run_analysis
from geo.inputs import DEFAULT_AREAS, DEFAULT_PROFILE, default_settings, load_inputs
from geo.io.areas import read_areas
from geo.io.files import read_settings
from geo.sources import find_duva_wheel, real_inputs, region_areas

OUT = Path(__file__).resolve().parent / "results" / "bench_disclosure.json"


def main() -> None:
    results: dict[str, object] = {"machine": platform.platform()}
    cases = {"demo_huddinge": (load_inputs(), read_settings(DEFAULT_PROFILE))}
    huddinge = real_inputs(read_areas(DEFAULT_AREAS))
    cases["scb_huddinge"] = (huddinge, default_settings(huddinge)[0])
    if find_duva_wheel() is not None:
        sweden = real_inputs(region_areas("00"))
        cases["scb_sweden_regso"] = (sweden, default_settings(sweden)[0])
    for name, (inputs, settings) in cases.items():
        held = inputs.held.table if inputs.held is not None else inputs.table
        results[f"{name}_held_rows"] = len(held)
        def protect(i=inputs, s=settings) -> None:
            clear_stage_cache()
            protect_inputs(i, s)
        results[f"{name}_protect_inputs_cold_s"] = median_time(protect, 5)
        results[f"{name}_protect_inputs_kept_s"] = median_time(
            lambda i=inputs, s=settings: protect_inputs(i, s), 5)

        def weight_change(i=inputs, s=settings) -> None:    # stages kept, as in the app
            run_analysis(i, s.with_changes(domain_weights=(("socioekonomi", 2.0),)))
        run_analysis(inputs, settings)
        results[f"{name}_run_analysis_weight_change_s"] = median_time(weight_change, 5)

        def cold(i=inputs, s=settings) -> None:
            clear_stage_cache()
            run_analysis(i, s)
        results[f"{name}_run_analysis_cold_s"] = median_time(cold, 3)
        off = settings.with_changes(disclosure=False)

        def cold_off(i=inputs, s=off) -> None:
            clear_stage_cache()
            run_analysis(i, s)
        results[f"{name}_run_analysis_cold_no_disclosure_s"] = median_time(cold_off, 3)
    write_results(results, OUT)


if __name__ == "__main__":
    main()
