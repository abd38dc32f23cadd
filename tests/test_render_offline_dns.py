"""The chromium behind the PDF/PNG exports looks up no host name: not one DNS query.

Each test runs the export in a network namespace of its own (``ip netns``) that has only a
loopback interface and a ``resolv.conf`` pointing at ``tests/dns_stub.py``, a DNS server
that answers every query NXDOMAIN and writes it down. Debian's chromium started with
Playwright's default switches looked up update.googleapis.com 8 times in one
``prevmap export --pdf --png`` (the security audit counted 9, and 20 in the app); with
:func:`geo.export.render.offline_switches` it looks up nothing.

Namespaces need root and iproute2: elsewhere these tests skip and say why, except in CI
(``CI=true``), where they must run and fail instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import browser_missing

from geo.export import render

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "tests" / "dns_stub.py"
PREVMAP = Path(sys.executable).parent / "prevmap"
WITNESS_NAME = "prevmap-dns-witness.example"  # looked up last: the stub has seen the rest
START_LIMIT_S = 30  # a bound on waiting for the stub, not a measurement

needs_browser = pytest.mark.skipif(browser_missing() is not None,
                                   reason=browser_missing() or "")


def namespaces_missing() -> str | None:
    """Why no network namespace can be made here, or None if one can."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed: run .ci/install-iproute2"
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "") not in ("", "0", "false"):
        pytest.fail(f"{reason}; CI must run the DNS witness tests")
    pytest.skip(reason)


@dataclass
class DnsWitness:
    """A network namespace whose only DNS server is the counting stub."""

    namespace: str
    log: Path

    def run(self, *command: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.namespace, *map(str, command)],
                              env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=600)

    def lookups(self) -> list[str]:
        """Every name looked up so far (``name qtype``), once the stub has answered them
        all: it answers in arrival order, so a lookup of :data:`WITNESS_NAME` made now is
        logged after every earlier one, and shows that the stub was listening."""
        self.run(sys.executable, "-c", "import socket, sys\ntry:\n"
                 f"    socket.getaddrinfo({WITNESS_NAME!r}, 443)\n"
                 "except socket.gaierror:\n    sys.exit(0)\nsys.exit(1)")
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        assert any(line.startswith(WITNESS_NAME) for line in lines), (
            f"the DNS stub did not see the witness lookup: {lines}")
        return [line for line in lines if not line.startswith(WITNESS_NAME)]


@pytest.fixture
def dns_witness(tmp_path) -> Iterator[DnsWitness]:
    reason = namespaces_missing()
    if reason:
        _unavailable(reason)
    namespace = f"prevmap-dns-{os.getpid()}-{secrets.token_hex(3)}"
    added = subprocess.run(["ip", "netns", "add", namespace], capture_output=True, text=True)
    if added.returncode != 0:
        _unavailable(f"ip netns add failed: {added.stderr.strip()}")
    etc = Path("/etc/netns") / namespace  # ip netns exec mounts its files over /etc's
    stub = None
    try:
        subprocess.run(["ip", "-n", namespace, "link", "set", "lo", "up"], check=True)
        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions attempts:1\n")
        log, ready = tmp_path / "dns.log", tmp_path / "dns.ready"
        stub = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, str(STUB),
                                 str(log), str(ready)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_LIMIT_S
        while not ready.exists():
            if stub.poll() is not None:
                pytest.fail("the DNS stub stopped: " + stub.stderr.read().decode())
            if time.monotonic() > deadline:
                pytest.fail(f"the DNS stub did not start in {START_LIMIT_S} s")
            time.sleep(0.05)
        yield DnsWitness(namespace, log)
    finally:
        if stub is not None:
            stub.terminate()
            stub.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", namespace], check=False)
        shutil.rmtree(etc, ignore_errors=True)


@needs_browser
def test_pdf_and_png_export_looks_up_no_host_name(dns_witness, tmp_path):
    pdf, png = tmp_path / "rapport.pdf", tmp_path / "karta.png"
    done = dns_witness.run(PREVMAP, "export", "--out", tmp_path / "karta.html",
                           "--pdf", pdf, "--png", png, PREVMAP_OFFLINE="1")
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert dns_witness.lookups() == []


@needs_browser
def test_render_pdf_and_png_looks_up_no_host_name(dns_witness, tmp_path):
    script = (
        "import sys\nfrom pathlib import Path\nfrom geo.export.render import pdf_and_png\n"
        "pdf, png = pdf_and_png(b'<h1>Rapport</h1>', b'<p>Karta</p>')\n"
        "Path(sys.argv[1]).write_bytes(pdf)\nPath(sys.argv[2]).write_bytes(png)\n")
    pdf, png = tmp_path / "r.pdf", tmp_path / "k.png"
    done = dns_witness.run(sys.executable, "-c", script, pdf, png, PYTHONPATH=str(ROOT))
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert dns_witness.lookups() == []


@needs_browser
def test_our_disable_features_keeps_every_feature_playwright_disables():
    """Chromium keeps only the last ``--disable-features``: ours must not switch back on
    what Playwright's (or Debian's wrapper's) earlier one switched off."""
    with render._browser() as browser:
        page = browser.new_page()
        page.goto("chrome://version")
        command_line = page.inner_text("#command_line")
    values = [part.split("=", 1)[1].split(",") for part in command_line.split(" ")
              if part.startswith("--disable-features=")]
    assert len(values) >= 2 and "Translate" in values[-1]
    earlier = {feature for value in values[:-1] for feature in value}
    assert earlier <= set(values[-1]), sorted(earlier - set(values[-1]))
    assert "--host-resolver-rules=MAP * ~NOTFOUND --disable-background" in command_line
