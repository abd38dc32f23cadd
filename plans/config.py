"""Where prevmap's settings file is (``prevmap.toml``: ``[database]``, ``[team]``): read by
the store, the team mode and the command line, which must start without the database's
libraries (``prevmap --help``)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_CONFIG = "PREVMAP_CONFIG"


def settings_path() -> Path:
    """The settings file: ``$PREVMAP_CONFIG`` or ``~/.config/prevmap/prevmap.toml``."""
    return Path(os.environ.get(ENV_CONFIG) or Path.home() / ".config" / "prevmap" / "prevmap.toml")
