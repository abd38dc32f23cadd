"""Map bytes and vertices per area in the compact map format, against geopandas' explore().

    .venv/bin/python benchmarks/bench_map_size.py            # everything (about 3 minutes)
    .venv/bin/python benchmarks/bench_map_size.py --quick    # without 20 000 cells and full borders

For 22 (Huddinge, the default data), 524 (Stockholms län), 3 363 (all RegSO), 6 000 and
20 000 (seeded Voronoi coverages, ``bench_scale.voronoi_coverage``) areas: the exported map's
bytes (``map_html``: Leaflet, panels, method and settings included), its display vertices
and both per area, the shape (borders, names) and the values (one ranking) apart, and
as peers, in the same run:

* ``explore()`` on the **same display geometry**, made self-contained (its CDN scripts
  inlined where folium-offline has them; the size of those it does not have is reported
  as missing): the fair peer, the same borders in folium's GeoJSON;
* ``explore()`` on the **full geometry** (not for 20 000 cells, nor with ``--quick``).

Targets (issue 17): all RegSO <= 1.5 MB with at least twice the 34 032 vertices of the
GeoJSON map before, 6 000 cells <= 2.5 MB. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import folium  # noqa: E402
from bench_scale import voronoi_coverage  # noqa: E402
from timing import timed, write_results  # noqa: E402

from geo import sources  # noqa: E402
from geo.analysis import run_analysis  # noqa: E402
from geo.export.outputs import map_html  # noqa: E402
from geo.inputs import list_profiles, load_inputs  # noqa: E402
from geo.io.areas import areas_from_frame  # noqa: E402
from geo.io.files import SourceInfo  # noqa: E402
from geo.maps.mapview import area_display_geometry, map_max_bytes  # noqa: E402
from geo.maps.offline import OfflineAssetError, embedded_asset  # noqa: E402
from indicators.columns import AREA_ID, AREA_NAME, RANK, SCORE  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "bench_map_size.json"
BEFORE_NATIONAL_VERTICES = 34_032      # the GeoJSON map of all RegSO before issue 17
_SCRIPT = re.compile(r'<script src="([^"]+)"></script>|<link rel="stylesheet" href="([^"]+)"/>')


def self_contained_size(html: str) -> tuple[int, list[str]]:
    """Bytes of ``html`` with every CDN script and stylesheet replaced by its text where
    folium-offline embeds it; and the URLs it does not embed (left as links)."""
    missing: list[str] = []
    if not html:
        return 0, missing

    def inline(match: re.Match) -> str:
        url = match.group(1) or match.group(2)
        try:
            text = embedded_asset(url)
        except OfflineAssetError:
            missing.append(url)
            return match.group(0)
        return f"<script>{text}</script>" if match.group(1) else f"<style>{text}</style>"

    return len(_SCRIPT.sub(inline, html).encode()), missing


def explore_size(joined, geometry) -> tuple[float, int, int, list[str]]:
    """explore()'s page of ``joined`` drawn with ``geometry``: seconds, bytes with its
    libraries inlined, bytes without them (the page as written, links only), and the
    libraries folium-offline does not have."""
    frame = joined[[AREA_NAME, RANK, SCORE]].set_geometry(geometry, crs=geometry.crs)
    seconds, html = timed(lambda: frame.explore(
        column=SCORE, scheme="quantiles", k=5, cmap="YlOrRd",
        tooltip=[AREA_NAME, RANK, SCORE], tiles=None).get_root().render())
    size, missing = self_contained_size(html)
    return seconds, size, len(html.encode()), missing


LEAFLET_BYTES = sum(len(embedded_asset(url).encode()) for url in (
    dict(folium.Map.default_js)["leaflet"], dict(folium.Map.default_css)["leaflet_css"]))


def case(rows: dict[str, object], label: str, inputs, *, full: bool) -> None:
    analysis = run_analysis(inputs, list_profiles()["Bred prevention"])
    n = len(analysis.joined)
    seconds, html = timed(lambda: map_html(analysis))
    display = area_display_geometry(analysis.joined)
    text = html.decode("utf-8")
    shape = re.search(r'id="pm-shape">(.*?)</script>', text, re.S).group(1)
    values = re.search(r'id="pm-values">(.*?)</script>', text, re.S).group(1)
    rows[f"{label}: areas"] = n
    rows[f"{label}: size limit (bytes)"] = map_max_bytes(n)
    rows[f"{label}: map HTML (bytes)"] = len(html)
    rows[f"{label}: map HTML (s)"] = seconds
    rows[f"{label}: shape / values (bytes)"] = f"{len(shape.encode())} / {len(values.encode())}"
    rows[f"{label}: display vertices"] = display.vertices_out
    rows[f"{label}: vertices per area"] = display.vertices_out / n
    rows[f"{label}: bytes per area"] = len(html) / n
    rows[f"{label}: map HTML without Leaflet (bytes)"] = len(html) - LEAFLET_BYTES
    shown = display.geometry.set_axis(analysis.joined.index)
    _, peer, bare, missing = explore_size(analysis.joined.to_crs(4326), shown)
    rows[f"{label}: explore() on the same borders, self-contained (bytes)"] = peer
    rows[f"{label}: explore() on the same borders, without its libraries (bytes)"] = bare
    rows[f"{label}: explore() assets not embeddable"] = len(missing)
    rows[f"{label}: prevmap / explore() same borders, size"] = len(html) / peer
    rows[f"{label}: prevmap / explore() same borders, size without libraries"] = \
        (len(html) - LEAFLET_BYTES) / bare
    if full:
        _, full_size, full_bare, _ = explore_size(analysis.joined.to_crs(4326),
                                                  analysis.joined.to_crs(4326).geometry)
        rows[f"{label}: explore() on the full borders (bytes)"] = full_size
        rows[f"{label}: full vertices"] = display.vertices_in
        rows[f"{label}: prevmap / explore() full borders, size"] = len(html) / full_size


def voronoi_inputs(n: int):
    frame = voronoi_coverage(n=n, side_m=100_000 * (n / 6000) ** 0.5)
    areas = areas_from_frame(frame, SourceInfo(f"Voronoi {n}", "bench_map_size", "2026-12-06"),
                             id_column=AREA_ID, name_column=AREA_NAME)
    return sources.demo_inputs(areas, "0180", "national")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    rows: dict[str, object] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                               "load (1 min) at start": os.getloadavg()[0]}
    case(rows, "Huddinge (22)", load_inputs(), full=True)
    lan = sources.region_areas("01")
    case(rows, f"Stockholms län ({len(lan.frame)})",
         sources.demo_inputs(lan, "01", "national"), full=not quick)
    sweden = sources.region_areas(sources.SWEDEN)
    case(rows, "Sverige (3 363)", sources.demo_inputs(sweden, sources.SWEDEN, "national"),
         full=not quick)
    rows["Sverige: vertices against the GeoJSON map before"] = \
        rows["Sverige (3 363): display vertices"] / BEFORE_NATIONAL_VERTICES
    case(rows, "6 000 cells", voronoi_inputs(6000), full=not quick)
    if not quick:
        case(rows, "20 000 cells", voronoi_inputs(20_000), full=False)
    rows["load (1 min) at end"] = os.getloadavg()[0]
    write_results(rows, OUT)
    print(json.dumps({"written": str(OUT)}))


if __name__ == "__main__":
    main()
