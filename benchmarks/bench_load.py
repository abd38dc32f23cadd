"""Many people at once: N browser sessions changing weights in one Streamlit server.

    .venv/bin/python benchmarks/bench_load.py                   # N = 1, 10, 30
    .venv/bin/python benchmarks/bench_load.py --sessions 1 2 5 10 --changes 7 --think 5

For each N the app is started afresh (``streamlit run app.py`` on a free port of
127.0.0.1, offline, as ``tests/test_browser_app.py`` does) and one headless chromium opens
N sessions (one browser context each, Playwright's async API). Every session moves a
domain weight one step with the keyboard (ArrowLeft on the focused slider), waits for the
ranked table to show the new result, optionally thinks, and does it again. A change's
latency runs from the key's ``keydown`` to the first change of the ranked table in the
DOM, both read from the page's own clock (``performance.now()``, a MutationObserver), so
Python's and Playwright's scheduling is not counted. Reported per N: median, p95 and
maximum latency, changes that got no new table within ``--timeout`` (errors), and the
server's memory (RSS of the Streamlit process and its children, sampled every 0.5 s).

Every change computes: session *i* first moves one domain weight (chosen by *i*) to a
value of its own, then walks the next domain's weight down from 5, so no two sessions
ask for the same weights and the shared analysis cache cannot answer for another session.
The browser runs on the same machine as the server and takes CPU from it: on a small
machine these figures are an upper bound of what a server alone would give.

Bounded: ``--changes`` per session and ``--max-seconds`` per N; localhost only (the
browser resolves no host but 127.0.0.1, see ``geo/export/render.py``). Not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from geo.analysis import run_analysis
from geo.export.tables import ranking_table
from geo.inputs import list_profiles, load_inputs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.export.render import CHROMIUM, offline_switches  # noqa: E402
from indicators.columns import DOMAINS  # noqa: E402

WEIGHT_STEPS = 10  # a domain weight runs 0 … 5 in steps of 0.5 (app.py's WEIGHT_MAX)
MAX_CHANGES = 7    # 4.5 … 1.5: the walked weight never comes back to the profile's 1
START_LIMIT_S = 180
TARGET_P95_S = 2.0
PROFILE = "Bred prevention"  # the app's first profile, shown on opening
INPUTS = functools.cache(load_inputs)

#: In the page: (Områdeskod, Sammanvägt index) of the ranked table's first drawn rows, read
#: from the table the data grid keeps for screen readers (as tests/test_browser_app.py).
SHOWN_JS = """() => {
    const grid = [...document.querySelectorAll("[data-testid='stDataFrame']")].find(g =>
        [...g.querySelectorAll('th')].some(th => th.textContent.includes('Sammanvägt index')));
    if (!grid) return [];
    const heads = [...grid.querySelectorAll('table thead th')].map(th => th.textContent);
    const code = heads.indexOf('Områdeskod'), index = heads.indexOf('Sammanvägt index');
    return [...grid.querySelectorAll('table tbody tr')].map(tr =>
        [...tr.querySelectorAll('td')].map(td => td.textContent)).filter(c => c.length > index)
        .map(c => [c[code], parseFloat(c[index].replace(',', '.').replace('−', '-'))]);
}"""

#: In the page: remember when keys go down, and arm a promise that resolves (with the
#: page's clock, seconds after the last keydown) once the ranked table shows ``expected``
#: (its first rows for the new weights), or with null after ``timeoutMs``.
ARM_JS = """([shownJs, expected, timeoutMs]) => {
    const shown = (0, eval)(shownJs);
    const matches = () => {
        const rows = shown();
        return rows.length >= expected.length && expected.every(([code, value], i) =>
            rows[i][0] === code && Math.abs(rows[i][1] - value) < 0.006);
    };
    window.__bench = window.__bench || {};
    if (!window.__bench.listening) {
        document.addEventListener(
            'keydown', () => { window.__bench.keydown = performance.now(); }, true);
        window.__bench.listening = true;
    }
    window.__bench.keydown = null;
    window.__bench.done = new Promise(resolve => {
        const observer = new MutationObserver(() => {
            if (window.__bench.keydown !== null && matches()) {
                observer.disconnect();
                resolve((performance.now() - window.__bench.keydown) / 1000);
            }
        });
        observer.observe(document.body, {subtree: true, childList: true, characterData: true});
        setTimeout(() => { observer.disconnect(); resolve(null); }, timeoutMs);
    });
}"""
SHOWN_ROWS = 5
VERBOSE = False  # --verbose: every key press and its latency


@dataclass
class Run:
    """What N sessions measured."""

    sessions: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per change
    errors: list[str] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (server, + children)
    load: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(cache: Path) -> Iterator[tuple[str, psutil.Process]]:
    """``streamlit run app.py`` on 127.0.0.1, offline; its URL and process."""
    port = free_port()
    env = {**os.environ, "PREVMAP_OFFLINE": "1", "PREVMAP_CACHE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"streamlit did not start on {url}") from None
                time.sleep(0.5)
        yield url, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def rss_mb(server: psutil.Process) -> tuple[float, float]:
    """RSS of the Streamlit process alone, and with its children (the forkserver that
    reads uploaded files, geo/io/safe_files.py), in MB."""
    sizes = []
    for process in [server, *server.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            sizes.append(process.memory_info().rss / 2**20)
    return (sizes[0] if sizes else 0.0), sum(sizes)


async def sample_memory(server: psutil.Process, into: list[tuple[float, float]]) -> None:
    while True:
        into.append(rss_mb(server))
        await asyncio.sleep(0.5)


async def weight_slider(page, label: str):
    """The domain weight slider ``label``, its expander opened."""
    slider = page.get_by_role("slider", name=f"Domänvikt: {label}")
    if not await slider.is_visible():
        await page.locator("[data-testid='stSidebar'] [data-testid='stExpander']").filter(
            has_text=label).first.locator("summary").click()
    await slider.wait_for()
    return slider


async def press(page, slider, keys: list[str], expected: list, timeout_s: float
                ) -> float | None:
    """Seconds from the last of ``keys`` going down on ``slider`` to the ranked table
    showing ``expected``, or None if it did not within ``timeout_s``."""
    await page.evaluate(ARM_JS, [SHOWN_JS, expected, int(timeout_s * 1000)])
    await slider.focus()
    for key in keys:
        await page.keyboard.press(key)
    elapsed = await page.evaluate("window.__bench.done")
    if VERBOSE:
        print(f"{time.strftime('%X')} {' '.join(keys)}: {elapsed} s", flush=True)
    return elapsed


async def move_to(page, slider, step: int) -> list[str]:
    """The keys that move ``slider`` to ``step`` (weight ``step / 2``)."""
    now = round(2 * float(await slider.input_value()))
    return ["ArrowRight" if step > now else "ArrowLeft"] * abs(step - now)


def expected_rows(profile, weights: dict[str, float]) -> list:
    """The ranked table's first rows for ``profile`` with domain ``weights`` changed."""
    settings = profile.with_changes(domain_weights=tuple(
        {**dict(profile.domain_weights), **weights}.items()))
    table = ranking_table(run_analysis(INPUTS(), settings))
    return [[str(code), round(float(value), 4)] for code, value in
            zip(table["Områdeskod"][:SHOWN_ROWS], table["Sammanvägt index"][:SHOWN_ROWS],
                strict=True)]


@dataclass
class Plan:
    """One session's weights: its own domain's, then the walked domain's steps."""

    own: str
    own_step: int
    walked: str
    setup: list = field(default_factory=list)    # expected rows after the setup
    steps: list = field(default_factory=list)    # expected rows after each change


def plan(index: int, changes: int) -> Plan:
    """Session ``index``'s weights and the rows each change should show (computed before
    the server starts, so that it takes no CPU from it)."""
    profile = list_profiles()[PROFILE]
    domains = list(DOMAINS)
    own, walked = domains[index % len(domains)], domains[(index + 1) % len(domains)]
    profile_step = round(2 * dict(profile.domain_weights)[own])
    own_steps = [s for s in range(WEIGHT_STEPS + 1) if s != profile_step]
    own_step = own_steps[(index // len(domains)) % len(own_steps)]
    session = Plan(own, own_step, walked)
    session.setup = expected_rows(profile, {own: own_step / 2, walked: WEIGHT_STEPS / 2})
    for k in range(1, min(changes, MAX_CHANGES) + 1):
        session.steps.append(expected_rows(
            profile, {own: own_step / 2, walked: (WEIGHT_STEPS - k) / 2}))
    return session


async def session(browser, url: str, index: int, weights: Plan, args, run: Run,
                  stop_at: float) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = await context.new_page()
        page.set_default_timeout(START_LIMIT_S * 1000)
        await page.goto(url)
        await page.get_by_text("Områdesprofil:").first.wait_for()
        # Setup, not measured: a weight of this session's own (never the profile's), and
        # the walked one at 5, from where it walks down to 1.5 (never the profile's 1).
        own = await weight_slider(page, DOMAINS[weights.own])
        walked = await weight_slider(page, DOMAINS[weights.walked])
        await own.focus()
        for key in await move_to(page, own, weights.own_step):
            await page.keyboard.press(key)
        if await press(page, walked, await move_to(page, walked, WEIGHT_STEPS),
                       weights.setup, START_LIMIT_S) is None:
            raise TimeoutError("the setup's weights never showed")
        for expected in weights.steps:
            if time.monotonic() > stop_at:
                break
            latency = await press(page, walked, ["ArrowLeft"], expected, args.timeout)
            if latency is None:
                run.errors.append(f"session {index}: no new table in {args.timeout} s")
            else:
                run.latencies.append(latency)
            if args.think:
                await asyncio.sleep(args.think)
    except Exception as err:  # noqa: BLE001 - a failed session is a measured error
        run.errors.append(f"session {index}: {type(err).__name__}: {str(err)[:200]}")
    finally:
        await context.close()


async def measure(sessions: int, args) -> Run:
    from playwright.async_api import async_playwright

    run = Run(sessions, load=" ".join(f"{x:.1f}" for x in os.getloadavg()))
    plans = [plan(i, args.changes) for i in range(sessions)]
    with tempfile.TemporaryDirectory(prefix="prevmap-bench-load-") as cache, \
            streamlit_server(Path(cache)) as (url, server):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM),
                                              args=offline_switches("127.0.0.1"))
            sampler = asyncio.create_task(sample_memory(server, run.rss_mb))
            stop_at = time.monotonic() + args.max_seconds
            try:
                await asyncio.gather(*(session(browser, url, i, weights, args, run, stop_at)
                                       for i, weights in enumerate(plans)))
            finally:
                sampler.cancel()
                await browser.close()
    run.load += " → " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    return run


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 \
        else values[0]


def report(run: Run) -> str:
    lat = run.latencies
    def memory_of(i: int) -> str:
        return (f"{run.rss_mb[0][i]:.0f} → {max(m[i] for m in run.rss_mb):.0f} → "
                f"{run.rss_mb[-1][i]:.0f}")
    memory = f"{memory_of(0)} (with children {memory_of(1)})" if run.rss_mb else "–"
    if not lat:
        return f"{run.sessions:>3} | 0 changes | errors {len(run.errors)} | RSS MB {memory}"
    return (f"{run.sessions:>3} | {len(lat):>4} | {statistics.median(lat):6.2f} | "
            f"{p95(lat):6.2f} | {max(lat):6.2f} | {len(run.errors):>3} | {memory} | "
            f"{run.load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--changes", type=int, default=6,
                        help=f"weight changes per session (at most {MAX_CHANGES})")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a session waits after seeing a result")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a change may take before it counts as an error")
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="seconds of changes per N before the sessions stop")
    parser.add_argument("--verbose", action="store_true", help="print every key press")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    print(f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
          f"Python {platform.python_version()}; think {args.think} s, "
          f"{args.changes} changes per session")
    print("  N | changes | median s | p95 s | max s | errors | server RSS MB start → peak "
          "→ end | load average (1, 5, 15 min) before → after")
    capacity = 0
    for sessions in args.sessions:
        run = asyncio.run(measure(sessions, args))
        print(report(run), flush=True)
        for error in run.errors[:5]:
            print("      ", error)
        if run.latencies and not run.errors and p95(run.latencies) < TARGET_P95_S:
            capacity = max(capacity, sessions)
    print(f"Most sessions measured with p95 under {TARGET_P95_S} s and no errors: "
          f"{capacity or 'none'}")


if __name__ == "__main__":
    main()
