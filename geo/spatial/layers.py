"""Layers drawn over the areas (outlines or points), described and validated before any map
is built."""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd

_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, eq=False)
class MapOverlay:
    """Polygons drawn as an outline above the areas, for comparison (e.g. the police's
    utsatta områden), or points drawn as small circles (e.g. schools). ``label_columns``
    are shown in the tooltip, the first in bold; their values come from files and are
    escaped. ``colour`` is a ``#rrggbb`` colour."""

    name: str
    frame: gpd.GeoDataFrame
    label_columns: tuple[str, ...]
    colour: str = "#7b3294"

    def __post_init__(self) -> None:
        problems = []
        if not self.label_columns:
            problems.append("label_columns är tom: ange minst en kolumn att visa")
        missing = [c for c in self.label_columns if c not in self.frame.columns]
        if missing:
            problems.append(f"kolumnerna {missing} finns inte; finns: "
                            f"{[c for c in self.frame.columns if c != 'geometry']}")
        if self.frame.crs is None:
            problems.append("lagret saknar koordinatsystem (CRS); använd set_crs()")
        if not _HEX_COLOUR.fullmatch(self.colour):
            problems.append(f"färgen {self.colour!r} ska skrivas #rrggbb")
        kinds = set(self.frame.geom_type.dropna())
        if "Point" in kinds and len(kinds) > 1:
            problems.append("lagret blandar punkter och andra geometrier; dela upp det i "
                            "ett punktlager och ett ytlager")
        if problems:
            raise ValueError(f"kartlager {self.name!r}: " + "; ".join(problems) + ".")

    @property
    def is_points(self) -> bool:
        """True for a layer of points (drawn as circles), False for polygons (outlines)."""
        return len(self.frame) > 0 and bool((self.frame.geom_type == "Point").all())

