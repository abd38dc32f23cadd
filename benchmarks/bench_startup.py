"""Start-up (issue 17): how long a user waits for ``prevmap`` and for the app to show something.

    .venv/bin/python benchmarks/bench_startup.py [--against /work/main] [--repeat 5] [--no-app]
        [--bytecode-cache]

* **Command line**, whole process (``prevmap --help`` and ``prevmap export --out k.html`` on
  the defaults: Huddinge's RegSO with SCB's open statistics): the median of ``--repeat`` runs,
  wall clock and CPU time (user + system, which the machine's load does not inflate). With
  ``--bytecode-cache`` Python caches the compiled modules (in a temporary folder, filled by an
  untimed first run) as an installed prevmap does; without it, what this machine's
  ``PYTHONDONTWRITEBYTECODE=1`` gives: prevmap's own modules compiled on every start.
* **Import time**: ``python -X importtime`` of that export; the modules with the largest
  cumulative import time among those imported by prevmap's own modules or at the top level
  (one level of nesting below them is shown, so that geopandas, libpysal and folium appear
  by name), and the sum of the top-level imports.
* **The app** (``streamlit run app.py``, offline, an empty cache): a cold start measured in
  Debian's chromium through Playwright, from starting the server to the title being
  visible, to the placeholder "Läser in data …" (when the app has one) and to the map's
  first area drawn; also from opening the page (once the server answers) to the title.
  The median of ``--repeat`` cold starts (at most 3), beside the peer: a Streamlit app that
  draws only the title (Streamlit's own part of a cold start), with the ratio to it.

With ``--against PATH`` every figure is measured for that checkout too (e.g. the main
branch, for before/after), runs interleaved, with the ratio this/other. The machine's load
(``/proc/loadavg``) before and after is part of the results: the machine may be shared.
Written as JSON to ``benchmarks/results/bench_startup.json``. Measured here, never asserted
in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from timing import write_results

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "bench_startup.json"
PYTHON = Path(sys.executable)
PREVMAP = PYTHON.parent / "prevmap"
TITLE = "prevmap – barns och ungas behov"
PLACEHOLDER = "Läser in data"
TOP_IMPORTS = 12
APP_REPEAT_MAX = 3
APP_TIMEOUT_S = 180


# With --bytecode-cache: the folder under which each checkout's bytecode is cached
# (PYTHONPYCACHEPREFIX, so that no checkout's tree is written to).
BYTECODE: dict[str, Path] = {}


def _env(repo: Path, **extra: str) -> dict[str, str]:
    """The environment that runs ``repo``'s code with this virtualenv (``repo`` first on
    the path, as an editable install of another checkout would not be); with
    ``--bytecode-cache`` Python keeps its compiled modules as an installed prevmap does
    (PYTHONDONTWRITEBYTECODE, which this machine sets, dropped)."""
    env = {**os.environ, "PYTHONPATH": str(repo), **extra}
    if BYTECODE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE["root"] / repo.name)
    return env


def load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" (", 1)[0].strip()
    except OSError:
        return "unknown"


def process_seconds(command: list[str], repo: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of ``command`` as a whole process, run in
    ``repo``. The CPU time does not grow with the machine's load as the wall clock does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=repo, env=_env(repo), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_commands(folder: Path) -> dict[str, list[str]]:
    return {"help": [str(PYTHON), str(PREVMAP), "--help"],
            "export": [str(PYTHON), str(PREVMAP), "export", "--out", str(folder / "k.html")]}


def import_times(repo: Path, folder: Path) -> tuple[float, list[tuple[str, float]]]:
    """``-X importtime`` of the default export: the sum of the top-level imports (s) and
    the largest cumulative imports (s) at the top level or one level below."""
    run = subprocess.run(
        [str(PYTHON), "-X", "importtime", str(PREVMAP), "export", "--out",
         str(folder / "imports.html")],
        cwd=repo, env=_env(repo), check=True, capture_output=True, text=True)
    rows = []
    for line in run.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((len(match[3]) // 2, match[4], int(match[2]) / 1e6))
    total = sum(seconds for depth, _, seconds in rows if depth == 0)
    shown = [(name, seconds) for depth, name, seconds in rows if depth <= 1]
    best: dict[str, float] = {}
    for name, seconds in shown:   # a module imported in the fork server is listed twice
        best[name] = max(best.get(name, 0.0), seconds)
    top = sorted(best.items(), key=lambda item: -item[1])[:TOP_IMPORTS]
    return total, top


def _map_drawn(page) -> bool:  # noqa: ANN001 - a playwright Page
    """Whether any frame of the page has drawn a map area (a Leaflet path)."""
    for frame in page.frames:
        try:
            if frame.locator(".leaflet-overlay-pane path").count() > 0:
                return True
        except Exception:  # noqa: BLE001, S112 - a frame that went away while looked at
            continue
    return False


# The peer: a Streamlit app that draws only the title. What it takes is Streamlit's own part
# of a cold start (the server, the page's scripts, the first run); prevmap cannot be faster.
FLOOR_APP = f"import streamlit as st\n\nst.title({TITLE!r})\n"


def app_cold_start(repo: Path, chromium, *, wait_for_map: bool = True) -> dict[str, float]:  # noqa: ANN001 - a Browser
    """Seconds from starting ``streamlit run app.py`` (offline, an empty cache) to the
    title, the placeholder and the first map area being visible in ``chromium``; and from
    opening the page to the title. Without ``wait_for_map``, until the title."""
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cache = tempfile.mkdtemp(prefix="prevmap-bench-cache-")
    command = [str(PYTHON), "-m", "streamlit", "run", str(repo / "app.py"),
               "--server.port", str(port), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    start = time.perf_counter()
    server = subprocess.Popen(command, cwd=repo, env=_env(repo, PREVMAP_OFFLINE="1",
                                                          PREVMAP_CACHE=cache),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, float] = {}
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - start > APP_TIMEOUT_S:
                    raise RuntimeError(f"streamlit in {repo} did not start") from None
                time.sleep(0.02)
        out["server_ready_s"] = time.perf_counter() - start
        page = context.new_page()
        opened = time.perf_counter()
        page.goto(url, wait_until="commit")
        title = page.get_by_role("heading", name=re.compile(re.escape(TITLE)))
        placeholder = page.get_by_text(PLACEHOLDER)
        while time.perf_counter() - start < APP_TIMEOUT_S:
            now = time.perf_counter()
            if "title_s" not in out and title.count() and title.first.is_visible():
                out["title_s"] = now - start
                out["open_to_title_s"] = now - opened
            if "placeholder_s" not in out and placeholder.count():
                out["placeholder_s"] = now - start
            if not wait_for_map and "title_s" in out:
                break
            if _map_drawn(page):
                out["map_s"] = time.perf_counter() - start
                break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"no map drawn in {repo} within {APP_TIMEOUT_S} s")
    finally:
        context.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(cache, ignore_errors=True)
    return out


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = sorted({key for run in runs for key in run})
    return {key: statistics.median(run[key] for run in runs if key in run) for key in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--against", type=Path, help="another checkout, measured beside this")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-app", action="store_true", help="only the command line")
    parser.add_argument("--bytecode-cache", action="store_true",
                        help="the command line with Python's bytecode cache (in a temporary "
                             "folder), as an installed prevmap runs")
    args = parser.parse_args()
    repos = {"this": ROOT}
    if args.against is not None:
        repos["other"] = args.against.resolve()
    results: dict[str, object] = {"machine": platform.platform(), "cores": os.cpu_count(),
                                  "load_before": load(),
                                  **{f"{label}_repo": str(path) for label, path in repos.items()}}
    results["bytecode_cache"] = bool(args.bytecode_cache)
    with tempfile.TemporaryDirectory(prefix="prevmap-bench-") as tmp:
        folder = Path(tmp)
        if args.bytecode_cache:
            BYTECODE["root"] = folder / "pycache"
        commands = cli_commands(folder)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for repo in repos.values():       # once each before timing: warm file caches
            process_seconds(commands["export"], repo)
        for _ in range(args.repeat):
            for name, command in commands.items():
                for label, repo in repos.items():   # interleaved: the same load for both
                    times.setdefault((label, name), []).append(process_seconds(command, repo))
        for (label, name), values in times.items():
            results[f"{label}_cli_{name}_s"] = statistics.median(v[0] for v in values)
            results[f"{label}_cli_{name}_cpu_s"] = statistics.median(v[1] for v in values)
        for label, repo in repos.items():
            total, top = import_times(repo, folder)
            results[f"{label}_export_import_total_s"] = total
            for name, seconds in top:
                results[f"{label}_import {name}_s"] = seconds
    if not args.no_app:
        sys.path.insert(0, str(ROOT / "tests"))
        from browser import launched_browser

        runs: dict[str, list[dict[str, float]]] = {label: [] for label in [*repos, "floor"]}
        with launched_browser() as chromium, tempfile.TemporaryDirectory() as floor:
            (Path(floor) / "app.py").write_text(FLOOR_APP, encoding="utf-8")
            for _ in range(min(args.repeat, APP_REPEAT_MAX)):
                for label, repo in repos.items():
                    runs[label].append(app_cold_start(repo, chromium))
                runs["floor"].append(app_cold_start(Path(floor), chromium, wait_for_map=False))
        for label, measured in runs.items():
            for key, value in _medians(measured).items():
                results[f"{label}_app_{key}"] = value
    for label in repos:     # over the peer: the part of a cold start that is prevmap's
        for key in ("title_s", "open_to_title_s"):
            mine, peer = results.get(f"{label}_app_{key}"), results.get(f"floor_app_{key}")
            if isinstance(mine, float) and isinstance(peer, float):
                results[f"{label}_app_{key.removesuffix('_s')}_over_floor"] = mine / peer
    if "other" in repos:
        for key in [k for k in results if k.startswith("this_") and k.endswith("_s")]:
            other = results.get("other_" + key.removeprefix("this_"))
            if isinstance(other, float) and other > 0:
                results["ratio_" + key.removeprefix("this_")] = results[key] / other
    results["load_after"] = load()
    write_results(results, OUT)


if __name__ == "__main__":
    main()
