"""The one cache of the shell, and the content digests it is keyed by.

The method (``indicators/``) computes and remembers nothing between calls. What is worth
remembering between two analyses (the weight-independent stage of an assessment: prepared
table, ranking base, uncertainty model and draws) is kept here, in a bounded, thread-safe
:class:`LRUCache`, keyed by a digest of the *content* of the inputs and the settings that
stage reads: never by a title, a file name, a row count or an object id (a corrected file
uploaded again under the same name with the same number of rows must not get the old
file's results).

Digests are hex SHA-256 over length-prefixed parts (:func:`content_digest`); a data frame
enters by :func:`frame_digest` (values, dtypes, index, and the WKB of every geometry).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import shapely

from indicators.table import table_key


def content_digest(*parts: bytes | str) -> str:
    """Hex SHA-256 of ``parts``, each prefixed by its length (so that ``("ab", "c")`` and
    ``("a", "bc")`` differ); text is UTF-8."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else bytes(part)
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> bytes:
    """Bytes that tell apart two frames with different content: the non-geometry columns by
    :func:`indicators.table.table_key` (labels, dtypes, index, every value), each geometry
    column by its name and the little-endian WKB of every shape, and the CRS."""
    geometry = [name for name, dtype in frame.dtypes.items() if str(dtype) == "geometry"]
    if not geometry:
        return table_key(frame)
    parts = [table_key(pd.DataFrame(frame.drop(columns=geometry)))]
    for name in geometry:
        wkb = shapely.to_wkb(np.asarray(frame[name].array), byte_order=1, include_srid=False)
        parts.append(repr(name).encode("utf-8"))
        parts.append(np.fromiter((len(w) if w is not None else -1 for w in wkb),
                                 dtype=np.int64, count=len(wkb)).tobytes())
        parts.append(b"".join(w for w in wkb if w is not None))
    crs = getattr(frame, "crs", None)
    parts.append((crs.to_wkt() if crs is not None else "").encode("utf-8"))
    return bytes.fromhex(content_digest(*parts))


def digest_of(values: Iterable[object]) -> str:
    """A digest of plain values (text, numbers, tuples of them, frozen dataclasses of them)
    by their ``repr``, and of frames by :func:`frame_digest`."""
    return content_digest(*(frame_digest(v) if isinstance(v, pd.DataFrame) else repr(v)
                            for v in values))


class LRUCache:
    """A bounded, thread-safe least-recently-used memo of immutable values.

    At most ``maxsize`` entries and, with ``weigh`` (value -> bytes), at most ``max_bytes``
    in all (the newest entry is always kept). ``hits`` and ``misses`` count lookups (for
    tests and benchmarks). Values are never None: ``get`` returns None for a miss.
    """

    def __init__(self, maxsize: int, *, max_bytes: float | None = None,
                 weigh: Callable[[object], int] | None = None):
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.weigh = weigh
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: object) -> None:
        size = self.weigh(value) if self.weigh is not None else 0
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while len(self._entries) > 1 and (
                    len(self._entries) > self.maxsize
                    or (self.max_bytes is not None and self._bytes > self.max_bytes)):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        """The weight of every entry held (0 without ``weigh``)."""
        with self._lock:
            return self._bytes
