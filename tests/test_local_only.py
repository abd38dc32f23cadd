"""Local mode is for this computer only: ``make run`` (and a bare ``streamlit run app.py``,
through .streamlit/config.toml) listens on 127.0.0.1, never on every interface, because
the local app has no login."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import launched_browser, screenshot
from servers import free_port, started

ROOT = Path(__file__).resolve().parents[1]


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
    command, port = _make_run_command(), free_port()
    env = {**os.environ, "PREVMAP_OFFLINE": "1", "PREVMAP_CACHE": str(tmp_path)}
    env.pop("PREVMAP_TEAM", None)
    with started([*command, "--server.port", str(port)],
                 f"http://127.0.0.1:{port}/_stcore/health", cwd=ROOT, env=env):
        yield port


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="no /proc/net (not Linux)")
def test_make_run_listens_on_localhost_only(local_app):
    assert _listening(local_app) == {"127.0.0.1"}


def test_a_site_whose_name_resolves_to_localhost_gets_nothing_of_the_app(local_app):
    """DNS rebinding: a web page on evil.example, its name turned into 127.0.0.1, would reach
    the local app (no login) from the analyst's own browser; the app answers only to the
    names of this computer."""
    with launched_browser(resolve=("MAP evil.example 127.0.0.1",)) as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(120_000)
        page.goto(f"http://evil.example:{local_app}")
        page.get_by_text("svarar bara på localhost").wait_for()
        screenshot(page, "local_rebinding_refused.png")
        assert page.get_by_role("tab").count() == 0
        assert page.locator("[data-testid='stFileUploader']").count() == 0
        page.goto(f"http://localhost:{local_app}")   # the analyst's own address works
        page.get_by_role("tab", name="Åtgärdsplan").wait_for()
