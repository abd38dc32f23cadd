"""``prevmap serve``: refuses bad team settings with exit 2, and when it is stopped (as a
service manager stops it) the server stops too and the login's secrets leave the disk."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from servers import free_port

from geo import cli

ROOT = Path(__file__).resolve().parents[1]
TEAM = """
[team]
address = "127.0.0.1"
port = {port}
[team.auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secret}"
client_id = "prevmap"
client_secret = "hemligt-klientlosen"
server_metadata_url = "https://login.kommun.se/.well-known/openid-configuration"
[team.roles]
editors = ["anna@huddinge.se"]
"""


def test_serve_without_team_settings_exits_2_saying_what_to_add(tmp_path, capsys):
    config = tmp_path / "prevmap.toml"
    config.write_text('[database]\nurl = "sqlite:////tmp/x.sqlite"\n', encoding="utf-8")
    assert cli.main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "tabellen [team] saknas" in err and "Åtgärd: lägg till [team]" in err


def test_serve_with_a_bad_key_exits_2_naming_it(tmp_path, capsys):
    config = tmp_path / "prevmap.toml"
    config.write_text(TEAM.format(port=80000, secret="k" * 40), encoding="utf-8")
    assert cli.main(["serve", "--config", str(config)]) == 2
    assert "nyckel '[team] port'" in capsys.readouterr().err


def _answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_stopping_serve_stops_the_server_and_removes_its_secrets(tmp_path):
    port = free_port()
    config = tmp_path / "prevmap.toml"
    config.write_text(TEAM.format(port=port, secret="k" * 40), encoding="utf-8")
    config.chmod(0o600)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PREVMAP_OFFLINE": "1",
           "PREVMAP_CACHE": str(tmp_path / "cache")}
    launcher = subprocess.Popen([sys.executable, "-m", "geo.cli", "serve", "--config",
                                 str(config)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                assert launcher.poll() is None, launcher.stderr.read().decode()
                time.sleep(0.5)
        else:
            pytest.fail("the team server did not start")
        [secrets] = temp.glob("prevmap-team-*/secrets.toml")
        assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
        assert tomllib.loads(secrets.read_text("utf-8"))["auth"]["client_id"] == "prevmap"
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=30) == 128 + signal.SIGTERM
        assert list(temp.iterdir()) == []
        assert not _answers(port)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
