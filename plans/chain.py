"""The audit trail as a hash chain, one chain per plan: tampering is evident.

Every ``audit`` row carries its place in its plan's chain (``seq``: 1, 2, 3, …), the hash
of the row before it in that chain (``prev_hash``; :data:`GENESIS` for the first) and its
own hash::

    row_hash = sha256(canonical JSON of {prev_hash, id, plan_id, seq, who, at, entity,
                                         entity_id, operation, before, after})

Canonical JSON: keys sorted, no spaces, UTF-8, ``at`` as ISO 8601 in UTC. The chain is per
plan because writes to one plan already take turns (the store locks the plan's row), so
two writers can never append the same ``seq`` (a unique index refuses it anyway) and the
chain cannot fork; a global chain would make every write in the database wait for every
other.

:func:`first_break` walks the rows of one plan in chain order and names the first broken
link: a row whose content no longer gives its hash (changed after it was written, e.g. an
UPDATE or SQLite's ``INSERT OR REPLACE`` from another tool), a row whose ``prev_hash`` is
not the hash of the row before (that row changed, was removed or the rows were reordered),
or a gap in ``seq`` (rows removed). A row removed from the end of a chain leaves no gap: the
store therefore also counts each item's audit rows against its version (one row per
version, see :mod:`plans.store`).

The chain is evidence, not a lock: whoever may write the table and knows this module can
rewrite a chain consistently. On PostgreSQL the application role may therefore only
SELECT and INSERT on ``audit`` (see the README); on SQLite anyone who may write the file
may do anything, and the chain makes a careless or partial rewrite visible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: ``prev_hash`` of the first row of a plan's chain.
GENESIS = "0" * 64

#: The columns of a row that its hash covers (besides ``prev_hash``).
HASHED = ("id", "plan_id", "seq", "who", "at", "entity", "entity_id", "operation",
          "before", "after")


def _utc_text(at: dt.datetime) -> str:
    """``at`` in UTC as ISO 8601 (SQLite gives times back without a zone: they are UTC)."""
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    return at.isoformat()


def row_hash(prev_hash: str, row: Mapping[str, object]) -> str:
    """The hash of an audit row (a mapping with the :data:`HASHED` columns) that follows
    the row whose hash is ``prev_hash``."""
    content = {name: row[name] for name in HASHED}
    content["at"] = _utc_text(content["at"])            # type: ignore[arg-type]
    content["prev_hash"] = prev_hash
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link of a chain: the row (its ``id``), its plan and place in the
    chain, and what is wrong (``kind``: "hash", "prev_hash", "gap" or "count")."""

    row_id: int | None
    plan_id: int
    seq: int | None
    kind: str
    detail: str

    def message(self) -> str:
        """What is wrong, in Swedish, for the user."""
        if self.row_id is None:
            where = f"plan {self.plan_id}"
        elif self.seq is None:
            where = f"rad {self.row_id} (plan {self.plan_id})"
        else:
            where = f"rad {self.row_id} (plan {self.plan_id}, nr {self.seq} i planens kedja)"
        return f"Historiken är bruten vid {where}: {self.detail}"


def first_break(rows: Iterable[Mapping[str, object]]) -> tuple[Break | None, int]:
    """The first broken link among the audit rows of ONE plan, given in chain order
    (``seq``, then ``id``), and the number of rows checked."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for row in rows:
        checked += 1
        seq, plan_id, row_id = row["seq"], int(row["plan_id"]), row["id"]  # type: ignore[arg-type]
        if seq != expected_seq:
            if not isinstance(seq, int) or seq < expected_seq:
                missing = (f"nr {seq} kommer där nr {expected_seq} väntades (rader har "
                           "flyttats eller kopierats)")
            elif seq == expected_seq + 1:
                missing = f"raden före den, nr {expected_seq}, saknas (den har tagits bort)"
            else:
                missing = (f"raderna före den, nr {expected_seq}–{seq - 1}, saknas (de har "
                           "tagits bort)")
            return Break(row_id, plan_id, seq, "gap",  # type: ignore[arg-type]
                         f"{missing}."), checked
        if row["prev_hash"] != prev:
            return Break(row_id, plan_id, seq, "prev_hash",  # type: ignore[arg-type]
                         "den pekar inte på raden före i kedjan: raden före har ändrats, "
                         "tagits bort eller flyttats."), checked
        if row["row_hash"] != row_hash(prev, row):
            return Break(row_id, plan_id, seq, "hash",  # type: ignore[arg-type]
                         "radens innehåll stämmer inte med dess kontrollsumma: raden har "
                         "ändrats efter att den skrevs."), checked
        prev = str(row["row_hash"])
        expected_seq += 1
    return None, checked
