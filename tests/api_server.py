"""A local HTTP server for the online-client tests (``from api_server import FakeApi``).

It listens on 127.0.0.1 on a free port, so no test reaches the internet. Each path (with
its query string, as the client sends it, or just the path) has a list of scripted
answers; the last one repeats. Every request is counted.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
API_SAMPLES = SHARED_DATA / "api_samples"


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None


class FakeApi:
    """Scripted answers by path; ``requests`` lists ``(method, path, body)`` seen."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                api._answer(self, None)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                api._answer(self, json.loads(self.rfile.read(length) or b"null"))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self._stopped = False
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()

    def add(self, path: str, *answers: Answer) -> None:
        self.routes[path] = list(answers)

    def count(self, path: str) -> int:
        """Requests whose path (query string ignored) is ``path``."""
        return sum(1 for _, p, _ in self.requests if urllib.parse.urlsplit(p).path == path)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        path = handler.path
        with self._lock:
            self.requests.append((handler.command, path, body))
            key = path if path in self.routes else urllib.parse.urlsplit(path).path
            script = self.routes.get(key)
            answer = (script.pop(0) if len(script) > 1 else script[0]) if script else None
        if answer is None:
            answer = Answer(404, {"title": "Not Found", "status": 404})
        if answer.delay:
            time.sleep(answer.delay)
        raw = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(raw)))
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)


class FakeClock:
    """A monotonic clock whose ``sleep`` advances it and records every pause."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
