"""What the areas are compared with, in words: the kommun, the län, Sweden or the map.

The method compares every area with the other areas of the analysis: a domain is a focus
where the area lies "klart över" their mean, an indicator's draft target lies halfway to
it, and the index says where needs are largest "i förhållande till" them. For one kommun
that is "kommunen"; for a län's or Sweden's RegSO it is the län or Sweden, and a sentence
that said "kommunen" there would be wrong. :func:`reference_for` tells which from the area
codes (the first four digits of a RegSO or DeSO code are the kommun's, the first two the
län's); codes that are not SCB's (a kommun's own districts) are one kommun's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

N_LAN = 21          # Sweden's län: a map with areas in all of them is Sweden
_KOMMUN_CODE = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Reference:
    """``over``: what an area lies above ("klart över kommunen"); ``mean``: its mean
    ("kommunens medelvärde"); ``areas``: all the areas ("medelvärdet av kommunens
    områden"); ``others``: the areas an area is compared with ("kommunens övriga
    områden"); ``whole``: all of it, pooled ("hela kommunen"); ``pooled``: the pooled
    value ("kommunens sammanvägda värde")."""

    over: str
    mean: str
    areas: str
    others: str
    whole: str
    pooled: str


KOMMUN = Reference("kommunen", "kommunens medelvärde", "kommunens områden",
                   "kommunens övriga områden", "hela kommunen",
                   "kommunens sammanvägda värde")
LAN = Reference("länet", "länets medelvärde", "länets områden", "länets övriga områden",
                "hela länet", "länets sammanvägda värde")
SWEDEN = Reference("Sverige", "Sveriges medelvärde", "områdena i Sverige",
                   "övriga områden i Sverige", "hela Sverige", "Sveriges sammanvägda värde")
MAP = Reference("kartans områden", "medelvärdet för kartans områden", "kartans områden",
                "kartans övriga områden", "alla kartans områden",
                "kartans områdens sammanvägda värde")


def reference_for(area_ids: Iterable[object]) -> Reference:
    """:data:`KOMMUN` for one kommun's areas (or codes that are not SCB's), :data:`LAN`
    for several kommuner in one län, :data:`SWEDEN` for areas in all 21 län, else
    :data:`MAP`."""
    codes = [str(a)[:4] for a in area_ids]
    if not codes or not all(_KOMMUN_CODE.fullmatch(c) for c in codes):
        return KOMMUN
    kommuner = set(codes)
    if len(kommuner) == 1:
        return KOMMUN
    lan = {c[:2] for c in kommuner}
    if len(lan) == 1:
        return LAN
    return SWEDEN if len(lan) >= N_LAN else MAP
