"""JSON over HTTP for the online sources (SCB PxWebApi v2, Kolada v3, SCB's WFS), on requests.

One :class:`JsonFetcher` does, for every call:

1. look in an on-disk cache (one JSON file per answer, keyed by method, URL and body; each
   entry keeps the answer, the URL and when it was fetched) and return a fresh entry without
   touching the network;
2. otherwise wait for the :class:`RateLimiter` (SCB allows about 30 calls per 10 seconds),
   fetch through :class:`HttpTransport`, and retry with exponential backoff on HTTP 429
   (honouring ``Retry-After``), on 5xx and on timeouts; which answers are retried and how
   often is urllib3's :class:`~urllib3.util.Retry`, the waits go through the injectable sleep;
3. when the network fails and an older cached answer exists, fall back to it and say so
   (``FetchResult.from_cache``, ``FetchResult.fetched``, ``FetchResult.note``);
   with no cached answer raise :class:`OfflineError` (no connection) or :class:`FetchError`
   (the server answered, but not with data), both with a Swedish message.

``offline=True`` never touches the network: cached answers or :class:`OfflineError`.
Clock, sleep and "now" are injectable so tests run without waiting.

The server is not trusted (issue 13). Every call has

* a size cap (``max_bytes``): a ``Content-Length`` above it is refused before reading, and
  the body is streamed in chunks of :data:`CHUNK_BYTES` and cut as soon as the count
  passes the cap, so memory stays at most the cap plus one chunk (urllib3 >= 2.6 also
  bounds gzip/deflate expansion per chunk);
* a deadline (``deadline`` seconds of wall clock across connect, every read, every retry
  and every wait): a watchdog thread shuts the request's socket down when it passes, so a
  server that dribbles a byte at a time (which restarts a socket timeout) is cut too;
* redirects followed only to the same scheme, host and port (``https`` stays ``https``),
  at most :data:`MAX_REDIRECTS`; any other target is refused without being asked;
* ``Retry-After`` honoured only up to ``max_retry_after`` seconds; beyond it the call
  fails at once and says how long the server asked to wait;
* JSON nesting checked by scanning the bytes (brackets outside strings) before
  :func:`json.loads`, so a hostile answer or cache file is refused, never a
  :class:`RecursionError`;
* at most :data:`EXCERPT_CHARS` characters of a server's text in any message, with
  control and format characters removed.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import os
import socket
import tempfile
import threading
import time
import unicodedata
import urllib.parse
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from urllib3.util import Retry

from geo.io.jsontext import json_depth
from indicators.errors import FetchError, OfflineError, Problem
from indicators.swedish import format_number

__all__ = [
    "Deadline",
    "FetchError",
    "FetchResult",
    "HttpAnswer",
    "HttpTransport",
    "JsonCache",
    "JsonDepthError",
    "JsonFetcher",
    "OfflineError",
    "RateLimiter",
    "TransportError",
    "build_url",
    "excerpt",
    "json_depth",
    "parse_json",
]

USER_AGENT = "prevmap/0.1 (områdesbaserad preventionskartläggning)"


def cache_root() -> Path:
    """Where prevmap keeps fetched and unpacked data: ``$PREVMAP_CACHE`` or
    ``~/.cache/prevmap``; each reader uses a folder of its own below it."""
    return Path(os.environ.get("PREVMAP_CACHE") or Path.home() / ".cache" / "prevmap")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
Params = Mapping[str, str | int | Sequence[str | int]]

MB = 1024**2
MAX_JSON_BYTES = 50 * MB
"""Default size cap of one JSON answer (SCB's largest selections are a few MB)."""
DEADLINE = 60.0
"""Default wall-clock seconds for one call, retries and waits included."""
MAX_RETRY_AFTER = 30.0
"""Longest ``Retry-After`` waited for; a server asking for more fails the call at once."""
MAX_DEPTH = 64
"""Deepest JSON nesting accepted (JSON-stat2 and GeoJSON need fewer than 10 levels)."""
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
ERROR_BODY_BYTES = 8 * 1024
"""How much of an error answer is read (for its problem+json title)."""
EXCERPT_CHARS = 200


def build_url(url: str, params: Params | None = None) -> str:
    """Add query parameters to ``url``; list values are joined with commas.

    Brackets and commas stay readable (``valueCodes[Region]=0126,0127``).
    """
    if not params:
        return url
    pairs = []
    for key, value in params.items():
        text = str(value) if isinstance(value, str | int) else ",".join(str(v) for v in value)
        pairs.append((key, text))
    query = urllib.parse.urlencode(pairs, safe="[],*")
    return f"{url}{'&' if '?' in url else '?'}{query}"


# -- reading what a server sent ---------------------------------------------------------------

def excerpt(raw: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of a server's text for a message: control, format and
    separator characters (newlines, ANSI escapes, bidi overrides) become single spaces."""
    text = raw[:limit * 4].decode("utf-8", "replace") if isinstance(raw, bytes) \
        else raw[:limit * 4]
    clean = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


class JsonDepthError(ValueError):
    """JSON nested deeper than allowed (checked before parsing)."""

    def __init__(self, depth: int, limit: int):
        super().__init__(f"JSON nästlad {depth} nivåer djupt, högst {limit} tillåts")
        self.depth = depth
        self.limit = limit


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` (UTF-8, BOM allowed) as JSON, refusing nesting deeper than ``max_depth``.

    Raises :class:`JsonDepthError` or :class:`ValueError` (also for bytes that are not UTF-8).
    """
    depth = json_depth(raw)
    if depth > max_depth:
        raise JsonDepthError(depth, max_depth)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except RecursionError:  # not reachable after the scan; kept so a crash can never leak
        raise JsonDepthError(max_depth + 1, max_depth) from None


def _size_text(size: int) -> str:
    """A size in MB of 1024² byte, with one decimal."""
    return f"{format_number(size / MB, 1)} MB"


# -- the transport ------------------------------------------------------------------------------

class TransportError(Exception):
    """A call that gave no usable answer.

    ``offline``: the server was never reached; ``retryable``: worth another attempt;
    ``reason``: the short cause (for messages that say where themselves); ``fix``: what to do.
    """

    def __init__(self, message: str, *, reason: str = "", offline: bool = False,
                 retryable: bool = False, retry_after: float | None = None, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.reason = reason or message
        self.offline = offline
        self.retryable = retryable
        self.retry_after = retry_after
        self.fix = fix


class Deadline:
    """The wall-clock budget of one call, started when it is made."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._start = clock()

    def remaining(self) -> float:
        return self.seconds - (self._clock() - self._start)


_CURRENT = threading.local()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watch:
    """Shuts down every socket one request uses when its time is up.

    A socket timeout restarts with each byte, so it cannot stop a server that dribbles;
    ``shutdown`` from this timer thread wakes a blocked read at once (it then sees the end
    of the stream) and tells the server the connection is gone.
    """

    def __init__(self, seconds: float):
        self.fired = False
        self._done = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        _CURRENT.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        _CURRENT.watch = None
        with self._lock:
            self._done = True
            self._sockets.clear()
        self._timer.cancel()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self._done:
                return
            if self.fired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _watch_socket(sock: socket.socket | None) -> None:
    watch = getattr(_CURRENT, "watch", None)
    if watch is not None:
        watch.add(sock)


class _Watched:
    """Registers a connection's socket with the running request's watchdog."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch_socket(sock)
        return sock

    def getresponse(self) -> Any:
        _watch_socket(self.sock)   # a kept-alive connection serves the next request too
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter with connections the deadline watchdog can shut down, and no
    retries of its own (retries are the caller's, with its injectable sleep)."""

    def __init__(self) -> None:
        super().__init__(max_retries=Retry(0, read=False, redirect=False))

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


@dataclass(frozen=True)
class HttpAnswer:
    """A server's answer: ``body`` is complete for 2xx, at most :data:`ERROR_BODY_BYTES`
    otherwise; ``url`` is where it came from after (same-origin) redirects."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def _origin_text(url: str) -> str:
    scheme, host, port = _origin(url)
    return excerpt(f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}", 100)


def _host(url: str) -> str:
    return excerpt(urllib.parse.urlsplit(url).netloc, 100)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (requests and urllib3 nest their causes in ``args``)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen) or len(seen) > 20:
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None)]
        todo += [a for a in item.args if isinstance(a, BaseException)]
    return seen


def _root_reason(exc: BaseException) -> str:
    """The innermost OS error's text (``[Errno 111] Connection refused``), else the first."""
    for cause in reversed(_causes(exc)):
        if isinstance(cause, OSError) and cause.errno is not None:
            return excerpt(str(cause), 120)
    return excerpt(str(exc), 120)


class HttpTransport:
    """One :class:`requests.Session` that does not trust the server: see the module's
    docstring for the limits. The session is made on first use, so offline use never
    builds one."""

    def __init__(self, user_agent: str = USER_AGENT):
        self.user_agent = user_agent
        self.sent = 0
        """HTTP requests sent (redirects included)."""
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.user_agent
            session.mount("http://", _WatchedAdapter())
            session.mount("https://", _WatchedAdapter())
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def request(self, method: str, url: str, *, deadline: Deadline, timeout: float,
                max_bytes: int, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> HttpAnswer:
        """Send one request, following same-origin redirects, and return the answer.

        Raises :class:`TransportError` when no answer came (with ``retryable`` for
        timeouts and broken connections), when the deadline passed, when the answer is
        larger than ``max_bytes`` or when a redirect leaves the origin.
        """
        start = url
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._send(method, url, body, headers, deadline, timeout, max_bytes)
            location = answer.headers.get("Location")
            if answer.status not in REDIRECT_STATUSES or not location:
                return answer
            try:
                target = urllib.parse.urljoin(url, location.strip())
                _origin(target)
            except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 address)
                target = "ogiltig:"
            if _origin(target) != _origin(url) or _origin(target)[0] not in ("http", "https"):
                raise TransportError(
                    f"Servern {_host(url)} skickade vidare anropet (HTTP {answer.status}) "
                    f"till {_origin_text(target)}, men prevmap följer bara omdirigeringar "
                    f"till samma server och protokoll ({_origin_text(url)}); anropet "
                    "avbröts utan att fråga den andra servern.",
                    fix="kontrollera adressen till datakällan; en omdirigering till en annan "
                        "server eller från https till http följs aldrig")
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            url = urllib.parse.urldefrag(target).url
        raise TransportError(
            f"Servern {_host(start)} skickade vidare anropet mer än {MAX_REDIRECTS} gånger.",
            fix="kontrollera adressen till datakällan")

    def _send(self, method: str, url: str, body: bytes | None,
              headers: Mapping[str, str] | None, deadline: Deadline, timeout: float,
              max_bytes: int) -> HttpAnswer:
        host = _host(url)
        remaining = deadline.remaining()
        if remaining <= 0:
            raise _late(host, deadline)
        wait = min(timeout, remaining)
        watch = _Watch(remaining)
        try:
            with watch:
                self.sent += 1
                response = self.session.request(
                    method, url, data=body, headers=dict(headers or {}), timeout=(wait, wait),
                    allow_redirects=False, stream=True)
                try:
                    answer = _read(response, host, url, max_bytes)
                finally:
                    response.close()
                if watch.fired:  # the socket was shut: what was read may be cut short
                    raise _late(host, deadline)
                return answer
        except TransportError:
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.fired or (wait < timeout and _timed_out(exc)):
                raise _late(host, deadline) from None
            raise _network_error(exc, host, url, wait) from None
        except ValueError as exc:  # requests parses a redirect's Location even when not following
            raise TransportError(f"Servern {host} gav ett svar som inte går att tolka "
                                 f"({excerpt(str(exc), 120)}).",
                                 fix="kontrollera adressen till datakällan") from None


def _read(response: requests.Response, host: str, url: str, max_bytes: int) -> HttpAnswer:
    """The answer with its body read in chunks up to the cap (errors: a little of it)."""
    status = response.status_code
    headers = response.headers
    reason = excerpt(response.reason or "", 60)
    if status in REDIRECT_STATUSES and headers.get("Location"):
        return HttpAnswer(status, reason, headers, b"", url)
    ok = 200 <= status < 300
    declared = (headers.get("Content-Length") or "").strip()
    if ok and declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(f"Servern {host} skickar ett svar på {_size_text(int(declared))}, "
                       f"mer än gränsen {_size_text(max_bytes)}; det hämtades inte.")
    limit = max_bytes if ok else ERROR_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            if not ok:
                chunks.append(chunk[:limit - (size - len(chunk))])
                break
            raise _too_big(f"Svaret från {host} är större än gränsen {_size_text(max_bytes)}; "
                           f"hämtningen avbröts efter {_size_text(size)}.")
        chunks.append(chunk)
    return HttpAnswer(status, reason, headers, b"".join(chunks), url)


def _too_big(message: str) -> TransportError:
    return TransportError(message, fix=(
        "be om en mindre del i taget (färre områden, år eller variabler), eller höj gränsen "
        "max_bytes om svaret verkligen ska vara så stort"))


def _late(host: str, deadline: Deadline) -> TransportError:
    return TransportError(
        f"Servern {host} blev inte klar med svaret inom tidsgränsen {deadline.seconds:g} "
        "sekunder; anropet avbröts.",
        reason=f"inget färdigt svar inom {deadline.seconds:g} sekunder",
        fix="försök igen senare; en långsam server kan få mer tid med inställningen deadline")


def _timed_out(exc: BaseException) -> bool:
    causes = _causes(exc)
    if any(isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes):
        return False  # urllib3 derives "connection refused" from its connect-timeout class
    return any(isinstance(c, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError)
               for c in causes)


def _network_error(exc: BaseException, host: str, url: str, wait: float) -> TransportError:
    causes = _causes(exc)
    if _timed_out(exc):
        return TransportError(f"Servern {host} svarade inte inom {wait:g} sekunder.",
                              retryable=True)
    if any(isinstance(c, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema
                      | requests.exceptions.MissingSchema | urllib3.exceptions.LocationParseError)
           for c in causes):
        return TransportError(f"Adressen '{excerpt(url, 120)}' kan inte hämtas ("
                              f"{excerpt(str(exc), 120)}).",
                              fix="ange en adress som börjar med https://")
    if any(isinstance(c, requests.exceptions.SSLError) for c in causes):
        return TransportError(f"Den säkra anslutningen till {host} misslyckades "
                              f"({_root_reason(exc)}).", fix=(
                                  "kontrollera datorns klocka och nätverkets proxy; ett "
                                  "certifikat som inte stämmer kan betyda att någon avlyssnar"))
    reason = _root_reason(exc)
    if any(isinstance(c, urllib3.exceptions.NewConnectionError
                      | urllib3.exceptions.NameResolutionError | ConnectionRefusedError)
           for c in causes):
        return TransportError(f"Kunde inte ansluta till {host} – datorn verkar vara offline "
                              f"eller servern nås inte ({reason}).", reason=reason,
                              offline=True, retryable=True)
    return TransportError(f"Servern {host} bröt anslutningen innan svaret var klart "
                          f"({reason}).", reason=reason, retryable=True)


# -- the fetcher --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FetchResult:
    """One JSON answer and where it came from."""

    data: Any
    url: str
    fetched: datetime
    from_cache: bool
    note: str | None = None
    """Swedish note for the analyst, e.g. that the network failed and a saved answer was used."""

    @property
    def fetched_text(self) -> str:
        """The fetch time as ``YYYY-MM-DD HH:MM`` (UTC)."""
        return self.fetched.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class RateLimiter:
    """At most ``max_calls`` calls in any ``window`` seconds (sliding window).

    ``clock`` and ``sleep`` are injectable: a test passes a fake clock whose ``sleep``
    advances it, and checks the waits.
    """

    def __init__(self, max_calls: int, window: float, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if max_calls < 1 or window <= 0:
            raise ValueError(
                f"RateLimiter behöver max_calls >= 1 och window > 0, fick {max_calls}, {window}.")
        self.max_calls = max_calls
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()

    def acquire(self) -> float:
        """Wait until a call is allowed, record it, and return how long it waited."""
        waited = 0.0
        while True:
            now = self._clock()
            while self._calls and now - self._calls[0] >= self.window:
                self._calls.popleft()
            if len(self._calls) < self.max_calls:
                self._calls.append(now)
                return waited
            pause = self._calls[0] + self.window - now
            self._sleep(pause)
            waited += pause


class JsonCache:
    """A directory of cached JSON answers, one file per request.

    Each file holds ``{"url", "method", "body", "fetched", "data"}``; ``fetched`` is an ISO
    timestamp in UTC. The file name is the SHA-256 of method, URL and body. A file is read
    with the same limits as an answer: at most ``2 * max_bytes`` on disk (written answers are
    re-serialised and can grow a little) and ``max_depth`` levels below the entry; a file
    that breaks them, or is not an entry, is reported and treated as absent.
    """

    def __init__(self, directory: str | os.PathLike[str], *, max_bytes: int = MAX_JSON_BYTES,
                 max_depth: int = MAX_DEPTH):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    @staticmethod
    def key(url: str, body: Any = None, method: str = "GET") -> str:
        text = json.dumps([method, url, body], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def read(self, key: str) -> tuple[Any, datetime, str] | None:
        """The cached ``(data, fetched, url)``, or None. A damaged file is reported and ignored."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            size = path.stat().st_size
            if size > 2 * self.max_bytes:
                raise ValueError(f"{_size_text(size)}, mer än gränsen "
                                 f"{_size_text(2 * self.max_bytes)}")
            entry = parse_json(path.read_bytes(), self.max_depth + 1)
            fetched = datetime.fromisoformat(entry["fetched"])
            if fetched.tzinfo is None or not isinstance(entry["url"], str):
                raise ValueError("fel i fälten 'fetched' eller 'url'")
            return entry["data"], fetched, entry["url"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.warn(f"Cachefilen '{path}' är skadad och hämtas på nytt "
                          f"({excerpt(str(exc), 120)}).", stacklevel=3)
            return None

    def write(self, key: str, url: str, data: Any, fetched: datetime,
              body: Any = None, method: str = "GET") -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        entry = {"url": url, "method": method, "body": body,
                 "fetched": fetched.astimezone(UTC).isoformat(), "data": data}
        handle, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entry, out, ensure_ascii=False)
            os.replace(tmp, self.path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _server_detail(raw: bytes) -> str:
    """A short, clean text from an error body (problem+json ``title``/``detail``, else the
    text)."""
    try:
        body = parse_json(raw, 8)
    except ValueError:
        return excerpt(raw)
    if isinstance(body, dict):
        parts = [excerpt(str(body[k])) for k in ("title", "detail", "message", "error")
                 if body.get(k)]
        if parts:
            return excerpt(" – ".join(parts))
    return excerpt(raw)


class JsonFetcher:
    """Fetches JSON with an on-disk cache, a rate limit, retries and an offline fallback.

    ``cache_dir=None`` keeps no cache (every call goes to the network, no fallback).
    ``max_age`` is how long a cached answer is used without asking the server again
    (``None``: for ever). ``refresh=True`` on a call asks the server even if the cache is
    fresh, but still falls back to the cache when the server cannot be reached.

    ``timeout`` is the wait for each connect and each read; ``deadline`` the wall clock for a
    whole call (rate-limit waits, retries and backoff included); ``max_wait`` caps one
    backoff pause; ``max_retry_after`` is the longest ``Retry-After`` obeyed; ``max_bytes``
    and ``max_depth`` bound one answer (and one cache file).
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None, *,
                 timeout: float = 30.0, max_calls: int = 30, window: float = 10.0,
                 retries: int = 3, backoff: float = 1.0, max_wait: float = 60.0,
                 max_age: timedelta | None = timedelta(days=7), offline: bool = False,
                 deadline: float = DEADLINE, max_bytes: int = MAX_JSON_BYTES,
                 max_retry_after: float = MAX_RETRY_AFTER, max_depth: int = MAX_DEPTH,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 user_agent: str = USER_AGENT):
        if min(timeout, deadline, max_bytes, max_depth) <= 0 or max_retry_after < 0:
            raise ValueError("JsonFetcher behöver timeout, deadline, max_bytes och max_depth "
                             f"> 0 och max_retry_after >= 0, fick {timeout}, {deadline}, "
                             f"{max_bytes}, {max_depth}, {max_retry_after}.")
        self.cache = (JsonCache(cache_dir, max_bytes=max_bytes, max_depth=max_depth)
                      if cache_dir is not None else None)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_age = max_age
        self.offline = offline
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_retry_after = max_retry_after
        self.max_depth = max_depth
        self.limiter = RateLimiter(max_calls, window, clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self.user_agent = user_agent
        self.transport = HttpTransport(user_agent)

    def close(self) -> None:
        """Close the kept-alive connections (a later call opens new ones)."""
        self.transport.close()

    @property
    def network_calls(self) -> int:
        """How many HTTP requests this fetcher has sent (retries and redirects included)."""
        return self.transport.sent

    # -- public --------------------------------------------------------------------------

    def get_json(self, url: str, params: Params | None = None, *,
                 refresh: bool = False) -> FetchResult:
        """GET ``url`` with ``params`` and return its JSON answer."""
        return self._fetch("GET", build_url(url, params), None, refresh)

    def post_json(self, url: str, body: Any, params: Params | None = None, *,
                  refresh: bool = False) -> FetchResult:
        """POST ``body`` as JSON to ``url`` and return its JSON answer."""
        return self._fetch("POST", build_url(url, params), body, refresh)

    # -- internals -----------------------------------------------------------------------

    def _fetch(self, method: str, url: str, body: Any, refresh: bool) -> FetchResult:
        key = JsonCache.key(url, body, method)
        cached = self.cache.read(key) if self.cache is not None else None
        if cached is not None and not refresh and not self.offline and self._is_fresh(cached[1]):
            return FetchResult(cached[0], url, cached[1], from_cache=True)
        if self.offline:
            if cached is not None:
                return FetchResult(cached[0], url, cached[1], from_cache=True, note=(
                    f"Offlineläge: använder sparat svar hämtat {_when(cached[1])}."))
            raise OfflineError([Problem(
                "Offlineläge är påslaget och det finns inget sparat svar för den här frågan.",
                column=url, fix=self._fix_text())])
        try:
            data = self._download(method, url, body)
        except TransportError as exc:
            if cached is not None:
                return FetchResult(cached[0], url, cached[1], from_cache=True, note=(
                    f"{exc.message} Använder sparat svar hämtat {_when(cached[1])}."))
            error = OfflineError if exc.offline else FetchError
            raise error([Problem(f"{exc.message} Det finns inget sparat svar att falla "
                                 "tillbaka på.", column=url,
                                 fix=exc.fix or self._fix_text())]) from None
        fetched = self._now()
        if self.cache is not None:
            self.cache.write(key, url, data, fetched, body, method)
        return FetchResult(data, url, fetched, from_cache=False)

    def _is_fresh(self, fetched: datetime) -> bool:
        return self.max_age is None or self._now() - fetched <= self.max_age

    def _fix_text(self) -> str:
        where = f" så att svaret sparas i cachen '{self.cache.directory}'" if self.cache else ""
        return ("kontrollera nätverksanslutningen och försök igen om en stund"
                f"{where}")

    def _download(self, method: str, url: str, body: Any) -> Any:
        """The answer's JSON, retried as urllib3's :class:`Retry` allows, within the deadline.

        Backoff is ``backoff * 2**n`` after the n-th failure (capped by ``max_wait``), or the
        server's ``Retry-After`` when longer; every wait goes through the injectable sleep.
        """
        deadline = Deadline(self.deadline, self._clock)
        policy = Retry(total=self.retries, redirect=False, allowed_methods=None,
                       status_forcelist=RETRY_STATUSES, raise_on_status=False)
        while True:
            try:
                answer = self._send(method, url, body, deadline)
                if policy.is_retry(method, answer.status):
                    raise self._overloaded(answer)
                return self._json(answer)
            except TransportError as exc:
                if not exc.retryable:
                    raise
                try:
                    policy = policy.increment(method, url, error=exc)
                except urllib3.exceptions.MaxRetryError:
                    if policy.history:
                        exc.message += f" (gav upp efter {len(policy.history) + 1} försök)"
                    raise exc from None
                wait = min(self.backoff * 2 ** (len(policy.history) - 1), self.max_wait)
                if exc.retry_after is not None:
                    wait = max(wait, exc.retry_after)
                if wait >= deadline.remaining():
                    exc.message += (f" Nästa försök skulle komma efter tidsgränsen "
                                    f"{self.deadline:g} sekunder för anropet; gav upp efter "
                                    f"{len(policy.history)} försök.")
                    raise exc from None
                self._sleep(wait)

    def _send(self, method: str, url: str, body: Any, deadline: Deadline) -> HttpAnswer:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.limiter.acquire()
        return self.transport.request(method, url, deadline=deadline, timeout=self.timeout,
                                      max_bytes=self.max_bytes, body=data, headers=headers)

    def _overloaded(self, answer: HttpAnswer) -> TransportError:
        """A 429/5xx as a retryable failure, or a final one if it asks for too long a wait."""
        host = _host(answer.url)
        retry_after = _retry_after_seconds(answer.headers.get("Retry-After"), self._now())
        if retry_after is not None and retry_after > self.max_retry_after:
            return TransportError(
                f"Servern {host} bad om att få vänta {retry_after:.0f} sekunder innan nästa "
                f"anrop (HTTP {answer.status}); prevmap väntar högst "
                f"{self.max_retry_after:g} sekunder.", fix="försök igen senare")
        if answer.status == 429:
            reason = f"Servern {host} begränsar antalet anrop (HTTP 429, för många anrop)."
        else:
            detail = _server_detail(answer.body)
            reason = f"Servern {host} svarade HTTP {answer.status} ({answer.reason})"
            reason += f": {detail}." if detail else "."
        return TransportError(reason, retryable=True, retry_after=retry_after)

    def _json(self, answer: HttpAnswer) -> Any:
        host = _host(answer.url)
        if not answer.ok:
            detail = _server_detail(answer.body)
            reason = f"Servern {host} svarade HTTP {answer.status} ({answer.reason})"
            reason += f": {detail}." if detail else "."
            raise FetchError([Problem(reason, column=answer.url, fix=(
                "kontrollera tabell-id, nyckeltal, koder och år i frågan"))])
        try:
            return parse_json(answer.body, self.max_depth)
        except JsonDepthError as exc:
            raise FetchError([Problem(
                f"Svaret från {host} är nästlat {exc.depth} nivåer djupt; högst "
                f"{exc.limit} nivåer tillåts, så det lästes inte.", column=answer.url,
                fix="kontrollera adressen; servern svarar inte som SCB:s eller Koladas API"
                )]) from None
        except ValueError:
            raise FetchError([Problem(
                f"Svaret från {host} är inte giltig JSON.", column=answer.url,
                values=(excerpt(answer.body, 60),),
                fix="kontrollera adressen; servern kan ha svarat med en felsida")]) from None


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
