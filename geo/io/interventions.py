"""Read the catalogue of evaluated interventions (TOML).

The default is the catalogue shipped as a starting point (:data:`DEFAULT_INTERVENTIONS`); a
kommun edits it or passes its own. The model and its rules (every entry with its public
source, "en insats utan källa tas inte med") are :mod:`indicators.interventions`; this module
only opens and parses the file.
"""

from __future__ import annotations

from pathlib import Path

from geo.io.organisation import parse_toml_bytes, read_toml_file
from indicators.errors import InterventionCatalogueError
from indicators.interventions import InterventionCatalogue, catalogue_from_dict

DEFAULT_INTERVENTIONS = (Path(__file__).resolve().parents[2] / "data" / "interventions"
                         / "insatser.toml")
"""The shipped catalogue: examples with their sources, checked 2026-12-06."""


def read_interventions(path: str | Path = DEFAULT_INTERVENTIONS) -> InterventionCatalogue:
    """Read and validate an interventions catalogue (``data/interventions/*.toml``)."""
    data = read_toml_file(path, InterventionCatalogueError)
    return catalogue_from_dict(data, str(path))


def read_interventions_bytes(data: bytes, name: str) -> InterventionCatalogue:
    """Validate an interventions catalogue's bytes (an upload named ``name``), as
    :func:`read_interventions` a file."""
    return catalogue_from_dict(parse_toml_bytes(data, name, InterventionCatalogueError), name)
