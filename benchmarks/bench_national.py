"""Reading RegSO 2025 for all of Sweden (3 363 areas) and for one kommun out of the duva wheel.

    .venv/bin/python benchmarks/bench_national.py [path/to/duva-0.3.5-py3-none-any.whl]

Without an argument it uses the wheel ``make setup`` downloads (see
``geo.sources.find_duva_wheel``). ``read_national_regso`` reads all of Sweden from a
wheel's GeoParquet copy (written by ``make setup``, or on the first read, beside the
wheel); the GeoPackage it was made from (unpacked once into the cache) is read beside it,
the two interleaved so that other load hits both alike. One kommun is read from the
GeoPackage either way (its SQL filter), so that row shows only the routing. The layer is
also read alone, without the validation ``read_national_regso`` does, and writing the
copy once is timed (into a temporary folder, from a copy of the wheel). Medians of
``REPEAT`` runs, seconds; written to ``results/bench_national.json``.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from geo.io import national
from geo.io.national import read_national_regso
from geo.sources import find_duva_wheel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import write_results  # noqa: E402

DEFAULT_WHEEL = find_duva_wheel() or Path("duva-0.3.5-py3-none-any.whl")
REPEAT = 7
OUT = Path(__file__).resolve().parent / "results" / "bench_national.json"


def timed_call(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def seconds(path: Path, kommun: str | None) -> tuple[float, int]:
    start = time.perf_counter()
    n = len(read_national_regso(path, kommun).frame)
    return time.perf_counter() - start, n


def main() -> None:
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_WHEEL
    if not wheel.is_file():
        sys.exit(f"{wheel} is absent: nothing to measure")
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / wheel.name
        shutil.copy2(wheel, copy)
        national._gdal_path(copy)                  # the GeoPackage unpacked, as before
        start = time.perf_counter()
        national.write_national_parquet(copy)
        results["write the GeoParquet copy once (s)"] = time.perf_counter() - start
        gpkg = Path(national._gdal_path(copy))
        parquet = national.parquet_path(copy)
        layer = {"GeoPackage": [], "GeoParquet": []}
        for _ in range(REPEAT):        # the layer alone, without validation
            layer["GeoPackage"].append(timed_call(lambda: gpd.read_file(
                gpkg, layer=national.LAYER, use_arrow=True)))
            layer["GeoParquet"].append(timed_call(lambda: gpd.read_parquet(parquet)))
        for name, values in layer.items():
            results[f"layer alone: {name} (s)"] = statistics.median(values)
        results["layer alone: GeoParquet / GeoPackage"] = (
            statistics.median(layer["GeoParquet"]) / statistics.median(layer["GeoPackage"]))
        for kommun in (None, "0126"):
            times: dict[str, list[float]] = {"the GeoPackage": [], "the wheel": []}
            n = 0
            for _ in range(REPEAT):
                t, n = seconds(gpkg, kommun)
                times["the GeoPackage"].append(t)
                t, n = seconds(copy, kommun)
                times["the wheel"].append(t)
            where = kommun or "all"
            results[f"read_national_regso kommun={where}: areas"] = n
            for name, values in times.items():
                results[f"read_national_regso kommun={where}: {name} (s)"] = statistics.median(
                    values)
            results[f"read_national_regso kommun={where}: wheel / GeoPackage"] = (
                statistics.median(times["the wheel"]) / statistics.median(
                    times["the GeoPackage"]))
    write_results(results, OUT)


if __name__ == "__main__":
    main()
