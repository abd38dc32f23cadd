"""Where the real data in ../shared/data is, and a clean skip when it is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A file or folder under ../shared/data; skips the test with the reason when absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/data sits beside the repository in the "
                    "developer and CI setup)")
    return path
