"""Local mode is for this computer only: ``make run`` (and a bare ``streamlit run app.py``,
through .streamlit/config.toml) listens on 127.0.0.1, never on every interface, because
the local app has no login."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, browser_missing, screenshot

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net)."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        table = Path("/proc/net") / name
        if not table.is_file():
            continue
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:   # four little-endian 32-bit words
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def _make_run_command() -> list[str]:
    """The command ``make run`` starts the app with (``make -n``: printed, not run)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    lines = [line for line in done.stdout.splitlines() if "streamlit run" in line]
    assert len(lines) == 1, done.stdout
    return shlex.split(lines[0])


def test_the_config_binds_a_bare_streamlit_run_to_localhost():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["address"] == "127.0.0.1"


@pytest.fixture
def local_app(tmp_path) -> Iterator[int]:
    """The app started as ``make run`` starts it, on a free port: the port."""
    command = _make_run_command()
    port = _free_port()
    env = {**os.environ, "PREVMAP_OFFLINE": "1", "PREVMAP_CACHE": str(tmp_path)}
    env.pop("PREVMAP_TEAM", None)
    proc = subprocess.Popen([*command, "--server.port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start: " + proc.stdout.read1().decode())
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="no /proc/net (not Linux)")
def test_make_run_listens_on_localhost_only(local_app):
    assert _listening(local_app) == {"127.0.0.1"}


def test_a_site_whose_name_resolves_to_localhost_gets_nothing_of_the_app(local_app):
    """DNS rebinding: a web page on evil.example, its name turned into 127.0.0.1, would reach
    the local app (no login) from the analyst's own browser; the app answers only to the
    names of this computer."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--host-resolver-rules=MAP evil.example 127.0.0.1"])
        try:
            page = chromium.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(120_000)
            page.goto(f"http://evil.example:{local_app}")
            page.get_by_text("svarar bara på localhost").wait_for()
            screenshot(page, "local_rebinding_refused.png")
            assert page.get_by_role("tab").count() == 0
            assert page.locator("[data-testid='stFileUploader']").count() == 0
            page.goto(f"http://localhost:{local_app}")   # the analyst's own address works
            page.get_by_role("tab", name="Åtgärdsplan").wait_for()
        finally:
            chromium.close()
