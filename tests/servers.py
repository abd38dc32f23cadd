"""Shared helpers for tests that start a server of their own on localhost (the app, an
OpenID provider): a free port, start and wait until it answers, stop.

    with started([sys.executable, "-m", "streamlit", "run", ...],
                 f"http://127.0.0.1:{port}/_stcore/health", cwd=ROOT, env=env):
        ...
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def started(command: list[str], ready_url: str, **popen: Any) -> Iterator[subprocess.Popen]:
    """``command`` running until the block ends, once ``ready_url`` answers; fails the test
    with the server's output if it stops or does not answer in a minute."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(ready_url, timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"{command[:4]} stopped: " + proc.stdout.read().decode())
                time.sleep(0.5)
        else:
            pytest.fail(f"{command[:4]} did not answer at {ready_url}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
