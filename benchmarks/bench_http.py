"""What the hostile-server guards of geo/io/http.py cost (issue 13).

    .venv/bin/python benchmarks/bench_http.py

1. The depth scan (:func:`geo.io.http.json_depth`) beside :func:`json.loads` on a
   JSON-stat2-like answer (numbers and labels) and a GeoJSON-like one (many small arrays),
   both near the default caps.
2. One GET of a 40 MB answer from a local server through :class:`JsonFetcher` (streamed in
   64 kB chunks, watchdog armed), beside reading it with one ``requests.get``.

Prints medians of repeated runs.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from geo.io.http import JsonFetcher, json_depth

REPEAT = 5


def median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def jsonstat_like(cells: int) -> bytes:
    labels = {f"0126R{i:03d}": f"Område {i} [del {i % 7}]" for i in range(cells // 50)}
    return json.dumps({"version": "2.0", "class": "dataset", "value": list(range(cells)),
                       "dimension": {"Region": {"category": {"label": labels}}}}).encode()


def geojson_like(points: int) -> bytes:
    ring = [[600000.0 + i, 6560000.0 + i] for i in range(points // 100)]
    feature = {"type": "Feature", "properties": {"regsokod": "0126R001", "namn": "Område"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    return json.dumps({"type": "FeatureCollection", "features": [feature] * 100}).encode()


def serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    for name, raw in (("JSON-stat2-like", jsonstat_like(4_000_000)),
                      ("GeoJSON-like", geojson_like(3_000_000))):
        depth = median_ms(lambda raw=raw: json_depth(raw))
        loads = median_ms(lambda raw=raw: json.loads(raw))
        print(f"{name} {len(raw) / 1024**2:.0f} MB: depth scan {depth:.0f} ms, "
              f"json.loads {loads:.0f} ms ({REPEAT} runs, median)")
    body = json.dumps({"value": list(range(5_000_000))}).encode()[:40 * 1024**2]
    body = body[:body.rindex(b",")] + b"]}"
    server = serve(body)
    url = f"http://127.0.0.1:{server.server_port}/data"
    with tempfile.TemporaryDirectory() as tmp:
        fetcher = JsonFetcher(tmp, max_age=None)
        guarded = median_ms(lambda: fetcher._download("GET", url, None))
    plain = median_ms(lambda: json.loads(requests.get(url, timeout=30).content))
    server.shutdown()
    print(f"GET + parse {len(body) / 1024**2:.0f} MB from localhost: guarded fetcher "
          f"{guarded:.0f} ms, plain requests.get {plain:.0f} ms ({REPEAT} runs, median)")


if __name__ == "__main__":
    main()
