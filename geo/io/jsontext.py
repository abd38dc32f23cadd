"""How deeply JSON text nests, counted on its bytes before anything parses it.

``json.loads`` recurses once per level, so a file of 100 000 ``[`` ends in a RecursionError,
and it builds every Python object before a check could look at them. :func:`json_nesting`
finds the brackets outside strings and the depth after each, vectorised with numpy (an
80 MB file in about a second); the HTTP clients refuse too deep an answer with it, and the
spatial reader also uses the positions to find the outermost object's keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class JsonNesting:
    """Where JSON text nests: the positions of the brackets outside strings, and the depth
    after each (see :func:`json_nesting`)."""

    positions: np.ndarray
    depths: np.ndarray

    @property
    def deepest(self) -> int:
        """The deepest nesting (0 for text without brackets or with only closing ones)."""
        return max(int(self.depths.max()), 0) if len(self.depths) else 0

    def at(self, index: int) -> int:
        """The depth just after byte ``index``."""
        k = int(np.searchsorted(self.positions, index, side="right")) - 1
        return int(self.depths[k]) if k >= 0 else 0


def json_nesting(data: bytes) -> JsonNesting:
    """The nesting of arrays and objects in JSON text ``data``; brackets inside strings
    (also an unterminated one running to the end) do not count.

    Escaped backslashes and quotes are blanked first (a run of backslashes pairs up from its
    start), every remaining quote opens or closes a string, and the brackets outside strings
    step the depth. Invalid JSON may be over-counted, never under-counted up to the point
    where :func:`json.loads` would stop.
    """
    clean = data.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    codes = np.frombuffer(clean, dtype=np.uint8)
    in_string = np.bitwise_xor.accumulate(codes == ord('"'))
    opens = (codes == ord("{")) | (codes == ord("["))
    brackets = (opens | (codes == ord("}")) | (codes == ord("]"))) & ~in_string
    positions = np.flatnonzero(brackets)
    depths = np.cumsum(np.where(opens[positions], 1, -1), dtype=np.int32)
    return JsonNesting(positions, depths)


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text ``data`` (strings skipped)."""
    return json_nesting(data).deepest
