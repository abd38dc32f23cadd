"""JSON over HTTP for the online sources (SCB PxWebApi v2, Kolada v3), standard library only.

One :class:`JsonFetcher` does, for every call:

1. look in an on-disk cache (one JSON file per answer, keyed by method, URL and body; each
   entry keeps the answer, the URL and when it was fetched) and return a fresh entry without
   touching the network;
2. otherwise wait for the :class:`RateLimiter` (SCB allows about 30 calls per 10 seconds),
   fetch with a timeout, and retry with exponential backoff on HTTP 429 (honouring
   ``Retry-After``), on 5xx and on timeouts;
3. when the network fails and an older cached answer exists, fall back to it and say so
   (``FetchResult.from_cache``, ``FetchResult.fetched``, ``FetchResult.note``);
   with no cached answer raise :class:`OfflineError` (no connection) or :class:`FetchError`
   (the server answered, but not with data), both with a Swedish message.

``offline=True`` never touches the network: cached answers or :class:`OfflineError`.
Clock, sleep and "now" are injectable so tests run without waiting.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from indicators.errors import FetchError, OfflineError, Problem

__all__ = [
    "FetchError",
    "FetchResult",
    "JsonCache",
    "JsonFetcher",
    "OfflineError",
    "RateLimiter",
    "build_url",
]

USER_AGENT = "prevmap/0.1 (områdesbaserad preventionskartläggning)"


def cache_root() -> Path:
    """Where prevmap keeps fetched and unpacked data: ``$PREVMAP_CACHE`` or
    ``~/.cache/prevmap``; each reader uses a folder of its own below it."""
    return Path(os.environ.get("PREVMAP_CACHE") or Path.home() / ".cache" / "prevmap")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
Params = Mapping[str, str | int | Sequence[str | int]]


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
    timestamp in UTC. The file name is the SHA-256 of method, URL and body.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    @staticmethod
    def key(url: str, body: Any = None, method: str = "GET") -> str:
        text = json.dumps([method, url, body], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def read(self, key: str) -> tuple[Any, datetime, str] | None:
        """The cached ``(data, fetched, url)``, or None. A damaged file is reported and ignored."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            return entry["data"], datetime.fromisoformat(entry["fetched"]), entry["url"]
        except (ValueError, KeyError, TypeError) as exc:
            warnings.warn(f"Cachefilen '{path}' är skadad och hämtas på nytt ({exc}).",
                          stacklevel=3)
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


class _Transient(Exception):
    """A failure worth retrying; ``offline`` says the server was never reached."""

    def __init__(self, message: str, *, offline: bool, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.offline = offline
        self.retry_after = retry_after


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _server_detail(raw: bytes) -> str:
    """A short text from an error body (problem+json ``title``/``detail``, else the text)."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail", "message", "error") if body.get(k)]
        if parts:
            return " – ".join(parts)[:200]
    return text[:200]


class JsonFetcher:
    """Fetches JSON with an on-disk cache, a rate limit, retries and an offline fallback.

    ``cache_dir=None`` keeps no cache (every call goes to the network, no fallback).
    ``max_age`` is how long a cached answer is used without asking the server again
    (``None``: for ever). ``refresh=True`` on a call asks the server even if the cache is
    fresh, but still falls back to the cache when the server cannot be reached.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None, *,
                 timeout: float = 30.0, max_calls: int = 30, window: float = 10.0,
                 retries: int = 3, backoff: float = 1.0, max_wait: float = 60.0,
                 max_age: timedelta | None = timedelta(days=7), offline: bool = False,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 user_agent: str = USER_AGENT):
        self.cache = JsonCache(cache_dir) if cache_dir is not None else None
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.max_age = max_age
        self.offline = offline
        self.limiter = RateLimiter(max_calls, window, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._now = now
        self.user_agent = user_agent
        self.network_calls = 0
        """How many HTTP requests this fetcher has sent (retries included)."""

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
        except _Transient as exc:
            if cached is not None:
                return FetchResult(cached[0], url, cached[1], from_cache=True, note=(
                    f"{exc.message} Använder sparat svar hämtat {_when(cached[1])}."))
            error = OfflineError if exc.offline else FetchError
            raise error([Problem(f"{exc.message} Det finns inget sparat svar att falla "
                                 "tillbaka på.", column=url, fix=self._fix_text())]) from None
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
        attempt = 0
        while True:
            try:
                return self._request_once(method, url, body)
            except _Transient as exc:
                if attempt >= self.retries:
                    if attempt:
                        exc.message += f" (gav upp efter {attempt + 1} försök)"
                    raise
                wait = self.backoff * 2 ** attempt
                if exc.retry_after is not None:
                    wait = max(wait, exc.retry_after)
                self._sleep(min(wait, self.max_wait))
                attempt += 1

    def _request_once(self, method: str, url: str, body: Any) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        host = urllib.parse.urlsplit(url).netloc
        self.limiter.acquire()
        self.network_calls += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _server_detail(exc.read() or b"")
            reason = f"Servern {host} svarade HTTP {exc.code} ({exc.reason})"
            reason += f": {detail}." if detail else "."
            if exc.code in RETRY_STATUSES:
                retry_after = _retry_after_seconds(exc.headers.get("Retry-After"), self._now())
                if exc.code == 429:
                    reason = (f"Servern {host} begränsar antalet anrop (HTTP 429, för många "
                              "anrop).")
                raise _Transient(reason, offline=False, retry_after=retry_after) from None
            raise FetchError([Problem(reason, column=url, fix=(
                "kontrollera tabell-id, nyckeltal, koder och år i frågan"))]) from None
        except TimeoutError as exc:
            raise _Transient(f"Servern {host} svarade inte inom {self.timeout:g} sekunder.",
                             offline=False) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Transient(f"Servern {host} svarade inte inom {self.timeout:g} sekunder.",
                                 offline=False) from exc
            raise _Transient(f"Kunde inte ansluta till {host} – datorn verkar vara offline "
                             f"eller servern nås inte ({exc.reason}).", offline=True) from exc
        except (ConnectionError, OSError) as exc:
            raise _Transient(f"Kunde inte ansluta till {host} – datorn verkar vara offline "
                             f"eller servern nås inte ({exc}).", offline=True) from exc
        try:
            return json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            raise FetchError([Problem(
                f"Svaret från {host} är inte giltig JSON.", column=url,
                values=(raw[:60].decode("utf-8", errors="replace"),),
                fix="kontrollera adressen; servern kan ha svarat med en felsida")]) from None


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
