"""The online clients against hostile servers (issue 13): every test attacks one way a server
could hurt the analyst's computer (memory, a hung call, a redirect into the local network,
a crash on deep JSON, an endless wait, terminal escapes in a message) and checks the client
refuses with a Swedish error instead.

The servers listen on 127.0.0.1 in threads started by the test; each loop is bounded and
stops by itself (``LIFETIME``) even if the test fails.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from api_server import Answer, FakeApi, FakeClock

from geo.io.http import JsonCache, JsonFetcher, excerpt, json_depth, parse_json
from geo.io.scb_wfs import read_scb_areas
from indicators.errors import FetchError, OfflineError

MB = 1024**2
LIFETIME = 30.0
FILLER = bytes(64 * 1024)
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEEP = b"[" * 100_000 + b"]" * 100_000


class Hostile:
    """A raw-socket server on 127.0.0.1 whose ``script(server, connection)`` answers every
    request. ``closed`` is set when a write fails, i.e. the client hung up; ``sent`` counts
    the bytes written. Stops accepting after ``LIFETIME`` seconds or :meth:`stop`."""

    def __init__(self, script: Callable[[Hostile, socket.socket], None],
                 tls: ssl.SSLContext | None = None):
        self.script = script
        self.tls = tls
        self.requests: list[str] = []
        self.sent = 0
        self.closed = threading.Event()
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.listener.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        end = time.monotonic() + LIFETIME
        while not self.stopping.is_set() and time.monotonic() < end:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    part = conn.recv(4096)
                    if not part:
                        return
                    head += part
                self.requests.append(head.split(b"\r\n")[0].decode("latin-1"))
                self.script(self, conn)
            except OSError:
                self.closed.set()

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)

    def pause(self, seconds: float) -> bool:
        """Wait; False once the test is over (so every loop ends)."""
        return not self.stopping.wait(seconds)

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()


@pytest.fixture
def hostile() -> Iterator[Callable[..., Hostile]]:
    servers: list[Hostile] = []

    def start(script: Callable[[Hostile, socket.socket], None],
              tls: ssl.SSLContext | None = None) -> Hostile:
        servers.append(Hostile(script, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def tls(tmp_path_factory, monkeypatch) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 that the client trusts
    (through requests' ``REQUESTS_CA_BUNDLE``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(datetime(2020, 1, 1)).not_valid_after(datetime(2100, 1, 1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(folder / "cert.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi()
    yield server
    server.stop()


def fetcher_for(tmp_path: Path, **options: object) -> tuple[JsonFetcher, FakeClock]:
    clock = FakeClock()
    options.setdefault("now", lambda: T0)
    options.setdefault("timeout", 2.0)
    return JsonFetcher(tmp_path / "cache", clock=clock, sleep=clock.sleep, **options), clock


def zeros(total: int, *, declare: bool) -> Callable[[Hostile, socket.socket], None]:
    """A 200 answer of ``total`` zero bytes, with or without a Content-Length."""
    def script(server: Hostile, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        if declare:
            head += b"Content-Length: %d\r\n" % total
        server.send(conn, head + b"\r\n")
        while server.sent < total and not server.stopping.is_set():
            server.send(conn, FILLER)
    return script


# -- size ---------------------------------------------------------------------------------------

def test_50_mb_answer_is_cut_at_the_cap_and_memory_stays_small(hostile, tmp_path):
    server = hostile(zeros(50 * MB, declare=False))
    fetcher, _ = fetcher_for(tmp_path, max_bytes=1 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=r"Svaret från 127\.0\.0\.1:\d+ är större än "
                                             r"gränsen 1,0 MB; hämtningen avbröts efter 1,1 "
                                             r"MB\. .*Åtgärd: be om en mindre del i taget"):
            fetcher.get_json(server.url + "data")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB                        # the cap plus a chunk, not 50 MB
    assert server.closed.wait(10)               # the client hung up ...
    assert server.sent < 50 * MB                # ... before the server got it all out
    assert fetcher.network_calls == 1           # a too big answer is not asked for again


def test_declared_length_above_the_cap_is_refused_before_reading(hostile, tmp_path):
    server = hostile(zeros(50 * MB, declare=True))
    fetcher, _ = fetcher_for(tmp_path, max_bytes=1 * MB)
    with pytest.raises(FetchError, match=r"Servern 127\.0\.0\.1:\d+ skickar ett svar på 50,0 "
                                         r"MB, mer än gränsen 1,0 MB; det hämtades inte\."):
        fetcher.get_json(server.url + "data")
    assert server.closed.wait(10) and server.sent < 50 * MB


def test_gzip_bomb_is_cut_at_the_cap_after_decompression(hostile, tmp_path):
    bomb = gzip.compress(bytes(50 * MB), compresslevel=9)   # about 50 kB on the wire

    def script(server: Hostile, conn: socket.socket) -> None:
        server.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
                    + bomb)

    server = hostile(script)
    fetcher, _ = fetcher_for(tmp_path, max_bytes=1 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=r"är större än gränsen 1,0 MB; hämtningen "
                                             r"avbröts efter 1,1 MB"):
            fetcher.get_json(server.url + "data")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB


def test_size_cap_keeps_an_older_cached_answer_in_use(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}), Answer(raw=b"[" + b"0," * MB + b"0]"))
    fetcher, _ = fetcher_for(tmp_path, max_bytes=1 * MB)
    fetcher.get_json(api.url + "a")
    result = fetcher.get_json(api.url + "a", refresh=True)
    assert result.data == {"v": 1} and result.from_cache
    assert re.match(r"Servern 127\.0\.0\.1:\d+ skickar ett svar på 2,0 MB, mer än gränsen 1,0 "
                    r"MB; det hämtades inte\. Använder sparat svar hämtat 2026-11-23 12:00 "
                    r"UTC\.$", result.note)


# -- time ---------------------------------------------------------------------------------------

def dribble_body(server: Hostile, conn: socket.socket) -> None:
    server.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n[")
    while server.pause(0.5):
        server.send(conn, b" ")


def dribble_headers(server: Hostile, conn: socket.socket) -> None:
    server.send(conn, b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while server.pause(0.5):
        server.send(conn, b"x")


@pytest.mark.parametrize("script", [dribble_body, dribble_headers], ids=["body", "headers"])
def test_server_dribbling_a_byte_at_a_time_is_cut_at_the_deadline(hostile, tmp_path, script):
    server = hostile(script)
    sleeps: list[float] = []
    # A byte every 0.5 s restarts any socket timeout: only the deadline can end the call.
    fetcher = JsonFetcher(tmp_path / "cache", timeout=5.0, deadline=2.0, sleep=sleeps.append)
    with pytest.raises(FetchError, match=r"Servern 127\.0\.0\.1:\d+ blev inte klar med svaret "
                                         r"inom tidsgränsen 2 sekunder; anropet avbröts\. Det "
                                         r"finns inget sparat svar .*Åtgärd: försök igen "
                                         r"senare"):
        fetcher.get_json(server.url + "data")
    assert server.closed.wait(10)               # the connection really was closed
    assert sleeps == [] and server.requests == ["GET /data HTTP/1.1"]


def test_https_server_dribbling_is_cut_at_the_deadline(hostile, tls, tmp_path):
    server = hostile(dribble_body, tls)
    fetcher = JsonFetcher(tmp_path / "cache", timeout=5.0, deadline=2.0)
    with pytest.raises(FetchError, match=r"blev inte klar med svaret inom tidsgränsen 2 "
                                         r"sekunder; anropet avbröts\."):
        fetcher.get_json(server.url + "data")
    assert server.closed.wait(10)
    assert server.requests == ["GET /data HTTP/1.1"]     # TLS worked; the watchdog ended it


def test_redirect_from_https_to_http_is_refused(hostile, tls, inside, tmp_path):
    def script(server: Hostile, conn: socket.socket) -> None:
        server.send(conn, b"HTTP/1.1 302 Found\r\nLocation: " + inside.url.encode()
                    + b"secret\r\nContent-Length: 0\r\n\r\n")

    server = hostile(script, tls)
    fetcher = JsonFetcher(tmp_path / "cache", timeout=5.0)
    with pytest.raises(FetchError, match=r"skickade vidare anropet \(HTTP 302\) till "
                                         r"http://127\.0\.0\.1:\d+, men prevmap följer bara "
                                         r"omdirigeringar till samma server och protokoll "
                                         r"\(https://127\.0\.0\.1:\d+\)"):
        fetcher.get_json(server.url + "data")
    assert server.requests == ["GET /data HTTP/1.1"] and inside.requests == []


def test_wfs_dribbling_server_is_cut_at_the_deadline(hostile, tmp_path):
    server = hostile(dribble_body)
    with pytest.raises(FetchError, match=r"blev inte klar med svaret inom tidsgränsen 2 "
                                         r"sekunder; anropet avbröts\. Gäller stat:RegSO_2025 "
                                         r"för kommun 0126"):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url + "wfs", timeout=5.0,
                       deadline=2.0)
    assert server.closed.wait(10)
    assert list(tmp_path.iterdir()) == []


def test_retry_after_100000_fails_at_once_without_waiting(api, tmp_path):
    api.add("/a", Answer(429, None, {"Retry-After": "100000"}), Answer(body=[1]))
    fetcher, clock = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"Servern 127\.0\.0\.1:\d+ bad om att få vänta 100000 "
                                         r"sekunder innan nästa anrop \(HTTP 429\); prevmap "
                                         r"väntar högst 30 sekunder\. .*Åtgärd: försök igen "
                                         r"senare\.$"):
        fetcher.get_json(api.url + "a")
    assert clock.sleeps == [] and api.count("/a") == 1


def test_retry_after_as_a_far_http_date_fails_at_once(api, tmp_path):
    api.add("/a", Answer(503, None, {"Retry-After": "Wed, 23 Dec 2026 12:00:00 GMT"}))
    fetcher, clock = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"bad om att få vänta 2592000 sekunder .*\(HTTP 503\)"):
        fetcher.get_json(api.url + "a")
    assert clock.sleeps == []


def test_retries_stop_where_the_deadline_would_be_passed(api, tmp_path):
    api.add("/a", Answer(429, None, {"Retry-After": "20"}), Answer(body=[1]))
    fetcher, clock = fetcher_for(tmp_path, deadline=10.0)
    with pytest.raises(FetchError, match=r"\(HTTP 429, för många anrop\)\. Nästa försök skulle "
                                         r"komma efter tidsgränsen 10 sekunder för anropet; "
                                         r"gav upp efter 1 försök\."):
        fetcher.get_json(api.url + "a")
    assert clock.sleeps == [] and api.count("/a") == 1


def test_backoff_and_rate_limit_waits_count_against_the_deadline(api, tmp_path):
    api.add("/a", Answer(500, None))
    fetcher, clock = fetcher_for(tmp_path, deadline=10.0, backoff=2.0, retries=10,
                                 max_calls=1, window=6.0)
    with pytest.raises(FetchError, match=r"HTTP 500 .*Nästa försök skulle komma efter "
                                         r"tidsgränsen 10 sekunder för anropet; gav upp efter "
                                         r"2 försök\."):
        fetcher.get_json(api.url + "a")
    # backoff 2 s, then the rate limit 4 s more; the next backoff (4 s) would reach 10 s
    assert clock.sleeps == [2.0, 4.0] and api.count("/a") == 2


# -- redirects ----------------------------------------------------------------------------------

@pytest.fixture
def inside() -> Iterator[FakeApi]:
    """A server standing in for an internal service the redirect tries to reach."""
    server = FakeApi()
    server.add("/secret", Answer(body={"nyckel": "intern-hemlighet"}))
    yield server
    server.stop()


def test_redirect_to_another_host_is_refused_and_never_asked(api, inside, tmp_path):
    api.add("/a", Answer(302, None, {"Location": inside.url + "secret"}))
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"Servern 127\.0\.0\.1:\d+ skickade vidare anropet "
                                         r"\(HTTP 302\) till http://127\.0\.0\.1:\d+, men "
                                         r"prevmap följer bara omdirigeringar till samma server "
                                         r"och protokoll") as err:
        fetcher.get_json(api.url + "a")
    assert inside.requests == []
    assert "intern-hemlighet" not in str(err.value) and "secret" not in str(err.value)


def test_redirect_from_http_to_https_on_the_same_port_is_refused(api, tmp_path):
    # The scheme is part of the origin: https -> http (a downgrade) is refused the same way.
    api.add("/a", Answer(307, None, {"Location": api.url.replace("http:", "https:") + "b"}))
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"till https://127\.0\.0\.1:\d+, men prevmap följer "
                                         r"bara omdirigeringar"):
        fetcher.get_json(api.url + "a")
    assert api.count("/a") == 1 and api.count("/b") == 0


def test_redirect_to_a_non_http_scheme_is_refused(api, tmp_path):
    api.add("/a", Answer(302, None, {"Location": "file:///etc/passwd"}))
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"till file://, men prevmap följer bara"):
        fetcher.get_json(api.url + "a")


def test_wfs_redirect_to_another_host_is_refused(api, inside, tmp_path):
    api.add("/wfs", Answer(301, None, {"Location": inside.url + "secret"}))
    with pytest.raises(FetchError, match=r"skickade vidare anropet \(HTTP 301\) till "
                                         r"http://127\.0\.0\.1:\d+.* Gäller stat:RegSO_2025 för "
                                         r"kommun 0126"):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=api.url + "wfs")
    assert inside.requests == []


def test_redirect_to_an_unparseable_address_is_refused(api, tmp_path):
    api.add("/a", Answer(302, None, {"Location": "http://[::1/x"}))
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"Servern 127\.0\.0\.1:\d+ gav ett svar som inte går "
                                         r"att tolka \(Invalid IPv6 URL\)\."):
        fetcher.get_json(api.url + "a")


def test_file_url_cannot_read_local_files(tmp_path):
    secret = tmp_path / "hemlig.txt"
    secret.write_text("lösenord=intern-hemlighet", encoding="utf-8")
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"Adressen 'file://.*hemlig\.txt' kan inte hämtas "
                                         r"\(.*\)\. .*Åtgärd: ange en adress som börjar med "
                                         r"https://") as err:
        fetcher.get_json(secret.as_uri())
    assert "intern-hemlighet" not in str(err.value)
    assert fetcher.network_calls == 1


def test_redirect_loop_ends(api, tmp_path):
    api.add("/a", Answer(302, None, {"Location": "/a"}))
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"skickade vidare anropet mer än 5 gånger"):
        fetcher.get_json(api.url + "a")
    assert api.count("/a") == 6


def test_redirect_on_the_same_server_is_followed_and_keeps_the_post(api, tmp_path):
    api.add("/old", Answer(308, None, {"Location": "/new"}))
    api.add("/new", Answer(body={"ok": 1}))
    fetcher, _ = fetcher_for(tmp_path)
    assert fetcher.post_json(api.url + "old", {"sel": [1]}).data == {"ok": 1}
    assert [(m, urlpath, b) for m, urlpath, b in api.requests] == [
        ("POST", "/old", {"sel": [1]}), ("POST", "/new", {"sel": [1]})]


# -- deep JSON ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [DEEP, b"[" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
                         ids=["arrays", "unclosed", "objects"])
def test_json_nested_100000_deep_from_the_server_is_a_fetch_error(api, tmp_path, raw):
    api.add("/deep", Answer(raw=raw))
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"Svaret från 127\.0\.0\.1:\d+ är nästlat 100000 nivåer "
                                         r"djupt; högst 64 nivåer tillåts, så det lästes inte\."):
        fetcher.get_json(api.url + "deep")
    assert list((tmp_path / "cache").glob("*.json")) == []


def test_json_nested_100000_deep_in_a_cache_file_is_treated_as_absent(api, tmp_path):
    api.add("/a", Answer(body={"v": 1}))
    path = tmp_path / "cache" / f"{JsonCache.key(api.url + 'a')}.json"
    path.parent.mkdir()
    path.write_bytes(b'{"url": "x", "fetched": "2026-11-23T12:00:00+00:00", "data": '
                     + DEEP + b"}")
    offline, _ = fetcher_for(tmp_path, offline=True)
    with pytest.warns(UserWarning, match=r"är skadad och hämtas på nytt \(JSON nästlad 100001 "
                                         r"nivåer djupt, högst 65 tillåts\)"), \
            pytest.raises(OfflineError, match="det finns inget sparat svar"):
        offline.get_json(api.url + "a")
    online, _ = fetcher_for(tmp_path)
    with pytest.warns(UserWarning, match="är skadad och hämtas på nytt"):
        assert online.get_json(api.url + "a").data == {"v": 1}
    assert api.count("/a") == 1


@pytest.mark.parametrize(("entry", "why"), [
    ({"url": "x", "fetched": "2026-11-23T12:00:00", "data": 1}, "fel i fälten"),  # no zone
    ({"url": 5, "fetched": "2026-11-23T12:00:00+00:00", "data": 1}, "fel i fälten"),
])
def test_cache_entry_that_would_crash_later_is_treated_as_absent(api, tmp_path, entry, why):
    api.add("/a", Answer(body={"v": 2}))
    path = tmp_path / "cache" / f"{JsonCache.key(api.url + 'a')}.json"
    path.parent.mkdir()
    path.write_text(json.dumps(entry), encoding="utf-8")
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.warns(UserWarning, match=f"är skadad och hämtas på nytt \\({why}"):
        assert fetcher.get_json(api.url + "a").data == {"v": 2}


def test_cache_file_over_twice_the_cap_is_not_read(api, tmp_path):
    api.add("/a", Answer(body={"v": 3}))
    path = tmp_path / "cache" / f"{JsonCache.key(api.url + 'a')}.json"
    path.parent.mkdir()
    path.write_bytes(b'{"url": "x", "fetched": "2026-11-23T12:00:00+00:00", "data": "'
                     + b"a" * (3 * MB) + b'"}')
    fetcher, _ = fetcher_for(tmp_path, max_bytes=1 * MB)
    with pytest.warns(UserWarning, match=r"hämtas på nytt \(3,0 MB, mer än gränsen 2,0 MB\)"):
        assert fetcher.get_json(api.url + "a").data == {"v": 3}


def test_wfs_deep_geojson_is_a_fetch_error(api, tmp_path):
    api.add("/wfs", Answer(raw=DEEP))
    with pytest.raises(FetchError, match=r"SCB:s WFS svarade med JSON nästlad 100000 nivåer "
                                         r"djupt för stat:RegSO_2025, kommun 0126; högst 64"):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=api.url + "wfs")
    assert list(tmp_path.iterdir()) == []


def test_wfs_deep_cache_file_is_reported_and_fetched_again(api, tmp_path):
    api.add("/wfs", Answer(raw=DEEP))
    (tmp_path / "stat_RegSO_2025_0126.geojson").write_bytes(DEEP)
    with pytest.warns(UserWarning, match=r"Den sparade kopian .* är skadad och hämtas på nytt "
                                         r"\(JSON nästlad 100000 nivåer"), \
            pytest.raises(FetchError, match="nästlad 100000 nivåer djupt"):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=api.url + "wfs")
    assert api.count("/wfs") == 1


def test_wfs_answer_above_the_cap_is_refused(hostile, tmp_path):
    server = hostile(zeros(50 * MB, declare=False))
    with pytest.raises(FetchError, match=r"är större än gränsen 1,0 MB; hämtningen avbröts "
                                         r"efter 1,1 MB\. Gäller stat:RegSO_2025"):
        read_scb_areas("0126", cache_dir=tmp_path, base_url=server.url + "wfs", max_bytes=MB)
    assert server.closed.wait(10)


def test_depth_scan_ignores_brackets_inside_strings():
    text = json.dumps({"a": "[[[[{{{{" * 1000, "b": [["x\\\"]]]]"]], "c": "\\"}).encode()
    assert json_depth(text) == 3
    assert parse_json(text, 3)["b"] == [["x\\\"]]]]"]]
    assert json_depth(b'"oavslutad [[[[') == 0
    assert json_depth(b"]]][[") == 0


# -- what a server's text may put in a message --------------------------------------------------

@pytest.mark.parametrize(("answer", "shown"), [
    (Answer(404, {"title": "\x1b[2J\x1b[31mALLT OK\r\nSet-Cookie: x\u202e\x00" + "A" * 1000}),
     r"\[2J \[31mALLT OK Set-Cookie: x A+…"),
    (Answer(404, raw=b"\x1b]0;titel\x07\n" + b"B" * 100_000), r"\]0;titel B+…"),
], ids=["problem+json", "text"])
def test_error_body_with_terminal_escapes_is_cleaned_and_short(api, tmp_path, answer, shown):
    api.add("/a", answer)
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"svarade HTTP 404 \(Not Found\): " + shown
                                         + r"\. Åtgärd") as err:
        fetcher.get_json(api.url + "a")
    message = str(err.value)
    assert not re.search(r"[\x00-\x1f\x7f\u202e]", message)
    assert len(message) < 500


def test_reason_phrase_with_escapes_is_cleaned(hostile, tmp_path):
    def script(server: Hostile, conn: socket.socket) -> None:
        server.send(conn, b"HTTP/1.1 418 \x1b[31mRing\x07 mig\r\nContent-Length: 0\r\n\r\n")

    server = hostile(script)
    fetcher, _ = fetcher_for(tmp_path)
    with pytest.raises(FetchError, match=r"svarade HTTP 418 \(\[31mRing mig\)\.") as err:
        fetcher.get_json(server.url + "a")
    assert "\x1b" not in str(err.value) and "\x07" not in str(err.value)


def test_excerpt_keeps_text_and_drops_controls():
    assert excerpt(b"<html>Underh\xc3\xa5ll</html>") == "<html>Underhåll</html>"
    assert excerpt("a\n\tb\u200bc\u2066d", 10) == "a b c d"
    assert excerpt("x" * 300) == "x" * 199 + "…"
