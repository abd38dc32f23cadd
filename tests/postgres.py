"""A throwaway PostgreSQL server for the tests and the benchmarks.

``$PREVMAP_TEST_POSTGRES_URL`` names a server to use instead (its user must be allowed to
create databases). Otherwise Debian's PostgreSQL binaries (``.ci/install-postgresql``)
start a cluster of their own in a temporary folder, listening on 127.0.0.1 only, on a
free port, with a random password; it is stopped and removed at the end. As root, the
cluster runs as the ``postgres`` user (initdb refuses root).

    with running_postgres() as server:          # see postgres_missing() first
        url = server.create_database()          # postgresql+psycopg://…/prevmap_test_…
        ...
        server.drop_database(url)

For the tests, ``create_schema`` is the fast variant (~10 ms instead of ~300 ms): a new
schema in one shared database, which the URL makes the connection's search_path, so to
the code under test it is an empty database of its own.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ENV_URL = "PREVMAP_TEST_POSTGRES_URL"
ENV_REQUIRE = "PREVMAP_REQUIRE_POSTGRES"
INSTALL_HINT = ("PostgreSQL is not installed: run .ci/install-postgresql (Debian package "
                "postgresql), or set PREVMAP_TEST_POSTGRES_URL to a server")
OS_USER = "postgres"
SCHEMAS_DATABASE = "prevmap_tests"
SETTINGS = {                      # a test cluster: fast, loopback only, nothing kept
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def postgres_required() -> bool:
    """Whether the PostgreSQL tests must run (CI), failing instead of skipping."""
    return os.environ.get(ENV_REQUIRE, "") not in ("", "0")


def postgres_binaries() -> Path | None:
    """The bin folder of the newest Debian PostgreSQL with initdb and pg_ctl."""
    found = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            version = re.sub(r"\D", "", bin_dir.parent.name) or "0"
            found.append((int(version), bin_dir))
    return max(found)[1] if found else None


def postgres_missing() -> str | None:
    """Why no PostgreSQL server can be had here, or None if one can."""
    if os.environ.get(ENV_URL):
        return None
    if postgres_binaries() is None:
        return INSTALL_HINT
    if os.geteuid() == 0 and not _has_os_user():
        return f"running as root, but there is no '{OS_USER}' user to run PostgreSQL as"
    return None


def _has_os_user() -> bool:
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A server to make test databases on: ``admin_url`` may create databases."""

    admin_url: str
    directory: Path | None = None          # the throwaway cluster's, None for one given
    bin_dir: Path | None = None
    _engines: dict[str, sa.Engine] = field(default_factory=dict, repr=False)

    def _admin(self, url: str | None = None) -> sa.Engine:
        url = url or self.admin_url
        if url not in self._engines:
            self._engines[url] = sa.create_engine(url, isolation_level="AUTOCOMMIT",
                                                  poolclass=sa.pool.NullPool)
        return self._engines[url]

    def create_database(self) -> str:
        """A new empty database; its URL (postgresql+psycopg://…)."""
        name = f"prevmap_test_{secrets.token_hex(6)}"
        with self._admin().connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(
            hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (closing whatever is still connected to it)."""
        name = make_url(url).database
        assert name and name.startswith("prevmap_test_"), name
        with self._admin().connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_schema(self) -> str:
        """A new empty schema in the database ``prevmap_tests`` (made on first use); a URL
        whose connections see only it (search_path)."""
        shared = make_url(self.admin_url).set(database=SCHEMAS_DATABASE)
        with self._admin().connect() as connection:
            if not connection.exec_driver_sql(
                    f"SELECT 1 FROM pg_database WHERE datname = '{SCHEMAS_DATABASE}'").first():
                connection.exec_driver_sql(f'CREATE DATABASE "{SCHEMAS_DATABASE}"')
        name = f"prevmap_test_{secrets.token_hex(6)}"
        url = shared.update_query_dict({"options": f"-csearch_path={name}"})
        with self._admin(shared.render_as_string(hide_password=False)).connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        return url.render_as_string(hide_password=False)

    def drop_schema(self, url: str) -> None:
        """Drop the schema of a URL from :meth:`create_schema`, with all in it."""
        parsed = make_url(url)
        name = parsed.query["options"].removeprefix("-csearch_path=")
        assert name.startswith("prevmap_test_"), name
        shared = parsed.difference_update_query(["options"]).render_as_string(
            hide_password=False)
        with self._admin(shared).connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')

    def stop(self) -> None:
        """Stop and remove a throwaway cluster (nothing for a server given)."""
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        if self.directory is None or not self.directory.exists():
            return
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                      "immediate", "-w", "stop"]),
                           capture_output=True, check=False, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)


def _as_owner(command: list[str]) -> list[str]:
    """Run as the postgres user when root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", OS_USER, "--", *command]
    return ["setpriv", f"--reuid={OS_USER}", f"--regid={OS_USER}", "--init-groups", *command]


def start_server(bin_dir: Path | None = None, attempts: int = 3) -> PostgresServer:
    """initdb and start a cluster in a new temporary folder; its admin URL has a random
    password and a free port on 127.0.0.1."""
    bin_dir = bin_dir or postgres_binaries()
    if bin_dir is None:
        raise RuntimeError(INSTALL_HINT)
    directory = Path(tempfile.mkdtemp(prefix="prevmap-pg-"))
    server = PostgresServer("", directory, bin_dir)
    atexit.register(server.stop)
    try:
        password = secrets.token_urlsafe(16)
        (directory / "password").write_text(password + "\n", encoding="utf-8")
        if os.geteuid() == 0:
            owner = pwd.getpwnam(OS_USER)
            for path in (directory, directory / "password"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        data = directory / "data"
        _run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=scram-sha-256", f"--pwfile={directory / 'password'}",
                        "-E", "UTF8", "--no-locale", "--no-sync"]), "initdb")
        for attempt in range(attempts):
            port = _free_port()
            options = {**SETTINGS, "port": str(port), "unix_socket_directories": str(directory)}
            done = subprocess.run(_as_owner([
                str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"),
                "-w", "-t", "60",
                "-o", " ".join(f"-c {k}={shlex.quote(v)}" for k, v in options.items()),
                "start"]), capture_output=True, text=True, check=False, timeout=120)
            if done.returncode == 0:
                server.admin_url = sa.URL.create(
                    "postgresql+psycopg", username="postgres", password=password,
                    host="127.0.0.1", port=port, database="postgres"
                ).render_as_string(hide_password=False)
                return server
            if attempt == attempts - 1:
                log = (directory / "log").read_text(errors="replace")[-2000:] \
                    if (directory / "log").exists() else ""
                raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{log}")
    except BaseException:
        server.stop()
        raise
    raise AssertionError("unreachable")


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}{done.stderr}")


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """The server of ``$PREVMAP_TEST_POSTGRES_URL``, or a throwaway one for the duration."""
    given = os.environ.get(ENV_URL)
    if given:
        url = make_url(given)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        server = PostgresServer(url.render_as_string(hide_password=False))
    else:
        server = start_server()
    try:
        yield server
    finally:
        server.stop()
