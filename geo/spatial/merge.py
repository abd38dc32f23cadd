"""Merge small neighbouring areas until each reaches a minimum population (optional).

Rates over very few people are uncertain, and disclosure control only *flags* such
areas (:mod:`indicators.disclosure`, rule 4). :func:`merge_small_areas` instead merges
each small area with a neighbour, so that every area of the analysis rests on at least
``min_population`` people, and then changes the level of the inputs with
:func:`geo.spatial.levels.to_level` (counts summed, rates recomputed, polygons dissolved).

The rule, a simple deterministic greedy merge (also stated in Swedish by :attr:`Merge.rule`
for the method page):

* **Population.** An area's population is its young population
  (:func:`indicators.columns.youth_population`, the column disclosure control flags
  small areas by); a table without one uses the smallest denominator among the
  selected rate indicators. A missing
  denominator is left out, never read as 0; an area with no known denominator (e.g. no
  row in the table) is not small. A group's denominator is the sum over its members,
  and is known only when it is known for every member (as :func:`to_level` sums them:
  a sum over the members that happen to have a value would be too low); the group's
  population is the smallest known group denominator.
* **Neighbours.** Queen contiguity on the polygons (a shared border, a shared corner or
  an overlap: :func:`geo.spatial.weights.contiguity_graph`, the builder hot spots use
  too); two groups are neighbours when any of their members are. The border two groups
  share is the total length of the borders their members share (in metres, in SWEREF 99
  TM for a geographic layer; 0 for a corner or an overlap that crosses no border).
* **Eligibility.** A neighbour can be merged with only if the merged group still has
  at least one denominator known for all its members (otherwise the merge would hide
  the small area's data rather than pool it; a neighbour without any data is never
  chosen).
* **Loop.** While some group is below ``min_population``: take the smallest such group
  (ties: the lowest group id); merge it with the eligible neighbouring group that
  shares the longest border with it (lengths compared to the millimetre; ties: the
  neighbour with the smaller population, then the lowest group id); recompute the
  merged group's population. A small group without an eligible neighbour (an island,
  or an area whose neighbours all lack data) stays as it is and is reported as
  unresolved; it cannot gain a neighbour later, since merges never create new
  contiguity and eligibility can only be lost.
* **Naming.** A group's id is the id of its largest original area by population
  (ties: the lowest id); its name is the members' names joined with " + ", largest
  member first (ties: lowest id). A group of one area keeps its id and name.

Areas that appear in the indicator table (or its history) but have no polygon are
kept as groups of their own. When nothing is merged the inputs are returned unchanged.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.inputs import Inputs
from geo.spatial.levels import to_level
from geo.spatial.weights import SWEREF, contiguity_graph
from indicators.catalogue import known_indicators
from indicators.columns import AREA_ID, AREA_NAME, youth_population
from indicators.errors import Problems, SettingsError
from indicators.levels import FROM_ID, link_table

TITLE = "Sammanslagna områden"
_FROM, _TO, _NAME = "omrade", "grupp", "namn"


@dataclass(frozen=True, eq=False)
class Merge:
    """The result of :func:`merge_small_areas`.

    ``inputs`` are the merged inputs (the same object when nothing was merged);
    ``grouping`` is the link table used (``from_id``, ``area_id``, ``area_name``: each
    original area and its group); ``merged`` the groups of more than one area, as
    original ids (largest first), sorted by group id; ``unresolved`` the ids of the
    groups still below the minimum; ``rule`` the rule in Swedish.
    """

    inputs: Inputs
    grouping: pd.DataFrame
    merged: tuple[tuple[str, ...], ...]
    unresolved: tuple[str, ...]
    rule: str
    min_population: int = 0
    level_notes: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """Swedish notes for the report and the app."""
        m = self.min_population
        names = dict(zip(self.grouping[FROM_ID], self.grouping[AREA_NAME], strict=True))
        groups = _group_names(self.grouping)
        out = []
        if self.merged:
            parts = [f"{names[group[0]]} ({', '.join(group)})" for group in self.merged]
            n = sum(len(group) for group in self.merged)
            out.append(f"Sammanslagning: {n} områden har slagits samman till "
                       f"{_areas(len(self.merged), 'större')} så att målgruppen om "
                       f"möjligt är minst {m} personer. Antalen har summerats och andelarna "
                       "räknats om: " + "; ".join(parts) + ".")
        elif not self.unresolved:
            out.append(f"Sammanslagning: inget område har färre än {m} personer i "
                       "målgruppen; inga områden har slagits samman.")
        if self.unresolved:
            k = len(self.unresolved)
            shown = ", ".join(f"{groups.get(a, a)} ({a})" for a in self.unresolved)
            out.append(f"{_areas(k)} har fortfarande färre än {m} personer i "
                       f"målgruppen eftersom {'det' if k == 1 else 'de'} saknar granne att slås "
                       f"samman med (t.ex. en ö, eller grannar utan data): {shown}.")
        return out + list(self.level_notes)


def _areas(k: int, adjective: str = "") -> str:
    """E.g. "1 område", "3 större områden"."""
    word = "område" if k == 1 else "områden"
    return " ".join(str(part) for part in (k, adjective, word) if part)


def _group_names(grouping: pd.DataFrame) -> dict[str, str]:
    """Group id -> group name."""
    return dict(zip(grouping[AREA_ID], grouping[AREA_NAME], strict=True))


def merge_rule(min_population: int) -> str:
    """The rule in Swedish, for the method page."""
    m = min_population
    return (
        f"Små områden slås samman med en granne tills varje område har minst {m} personer. "
        "Ett områdes befolkning är dess barn och unga (samma kolumn som röjandekontrollen "
        "markerar små områden efter); saknar tabellen den används den minsta nämnaren bland "
        "de valda andelsindikatorerna. En saknad nämnare "
        "räknas aldrig som 0 utan lämnas utanför, och ett område utan någon känd nämnare "
        "räknas inte som litet. En sammanslagen grupps nämnare är summan över delområdena "
        "och är känd bara om den är känd för alla delområden. "
        f"Så länge något område har färre än {m} personer tas det minsta av dem (vid lika: "
        "lägst områdeskod) och slås ihop med den granne (gemensam gräns eller hörn, "
        "Queen-kontiguitet) som delar längst gräns med det (vid lika: grannen med minst "
        "befolkning, sedan lägst områdeskod); därefter räknas befolkningen om. En granne "
        "väljs bara om den sammanslagna gruppen har minst en nämnare som är känd för alla "
        "delområden. Ett litet område utan en sådan granne (t.ex. en ö) lämnas som det är "
        "och redovisas. Antalen summeras och andelarna räknas om; de medelvärdesbildas "
        "aldrig. Det sammanslagna området får koden från sitt folkrikaste delområde och "
        "delområdenas namn sammanfogade med ' + ', det folkrikaste först.")


def merge_small_areas(inputs: Inputs, indicators: Sequence[str],
                      min_population: int) -> Merge:
    """Merge areas below ``min_population`` with neighbours (rule: see the module docstring).

    ``indicators`` are the selected indicator ids; only their rate indicators' denominators
    define the population. Returns a :class:`Merge` whose ``inputs`` are at the level of
    the merged groups (via :func:`geo.spatial.levels.to_level`), or ``inputs`` itself when no
    area was merged.
    """
    _check_min_population(min_population)
    ids = [str(a) for a in inputs.areas.frame[AREA_ID]]
    names = dict(zip(ids, (str(n) for n in inputs.areas.frame[AREA_NAME]), strict=True))
    extra = _ids_without_polygon(inputs, set(ids))
    dens = _denominators(inputs, indicators)
    table = inputs.table.assign(**{AREA_ID: inputs.table[AREA_ID].astype(str)})
    counts = (table.set_index(AREA_ID)[dens].apply(pd.to_numeric, errors="coerce")
              .astype(float).reindex(ids + extra).to_numpy())
    row = {a: i for i, a in enumerate(ids + extra)}

    def population(members: Sequence[str]) -> float:
        part = counts[[row[m] for m in members]]
        known = ~np.isnan(part).any(axis=0)
        return float(part[:, known].sum(axis=0).min()) if known.any() else math.nan

    own = {a: population([a]) for a in ids + extra}
    adjacency, border = _contiguity(inputs.areas.frame)

    def rank(area: str) -> tuple[float, str]:      # largest first, then lowest id
        pop = own[area]
        return (-pop if not math.isnan(pop) else math.inf, area)

    groups: dict[str, tuple[str, ...]] = {a: (a,) for a in ids}
    group_of = {a: a for a in ids}
    size = {a: own[a] for a in ids}
    stuck: set[str] = set()
    while True:
        small = sorted((size[g], g) for g in groups
                       if g not in stuck and not math.isnan(size[g]) and size[g] < min_population)
        if not small:
            break
        _, gid = small[0]
        shared: dict[str, float] = {}
        for member in groups[gid]:
            for other in adjacency.get(member, ()):
                nb = group_of[other]
                if nb != gid:
                    shared[nb] = shared.get(nb, 0.0) + border[frozenset((member, other))]
        options = []
        for nb, length in shared.items():
            pooled = population(groups[gid] + groups[nb])
            if not math.isnan(pooled):
                options.append((-round(length, 3), size[nb], nb, pooled))
        if not options:
            stuck.add(gid)
            continue
        _, _, nb, pooled = min(options)
        members = tuple(sorted(groups.pop(gid) + groups.pop(nb), key=rank))
        new = members[0]
        groups[new] = members
        size.pop(gid)
        size.pop(nb)
        size[new] = pooled
        for member in members:
            group_of[member] = new

    rows = []
    for gid in sorted(groups):
        members = groups[gid]
        name = " + ".join(names[m] for m in members)
        rows += [(m, gid, name) for m in members]
    rows += [(a, a, a) for a in extra]
    grouping = link_table(pd.DataFrame(rows, columns=[_FROM, _TO, _NAME]), _FROM, _TO, _NAME,
                          source="sammanslagning av små områden")
    merged = tuple(groups[g] for g in sorted(groups) if len(groups[g]) > 1)
    unresolved = tuple(sorted(stuck))
    rule = merge_rule(min_population)
    if not merged:
        return Merge(inputs, grouping, (), unresolved, rule, min_population)
    level, notes = to_level(inputs, grouping, title=TITLE)
    return Merge(level, grouping, merged, unresolved, rule, min_population, tuple(notes))


def _check_min_population(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        problems = Problems(SettingsError)
        problems.add("minsta befolkning ska vara ett heltal ≥ 0.", column="min_population",
                     values=[value], fix="ange t.ex. 50")
        problems.raise_if_any()


def _denominators(inputs: Inputs, indicators: Sequence[str]) -> list[str]:
    """The column the population is read from: the young population when the table has
    it, else the denominator columns of the selected rate indicators that it has."""
    young = youth_population(inputs.table)
    if young is not None:
        return [str(young[0].name)]
    catalogue = inputs.catalogue
    dens = (catalogue[i].denominator for i in known_indicators(catalogue, indicators))
    return [d for d in dict.fromkeys(dens) if d is not None and d in inputs.table.columns]


def _ids_without_polygon(inputs: Inputs, area_ids: set[str]) -> list[str]:
    """Ids in the table or its history without a polygon: kept as groups of their own."""
    tables = [inputs.table, *(past for _, past in inputs.history)]
    found = {str(a) for t in tables if AREA_ID in t.columns for a in t[AREA_ID]}
    return sorted(found - area_ids)


def _contiguity(frame: gpd.GeoDataFrame) -> tuple[dict[str, list[str]],
                                                   dict[frozenset[str], float]]:
    """Queen neighbours of each area (sorted) and the border length of each pair."""
    if len(frame) < 2:
        return {}, {}
    geoms = gpd.GeoSeries(frame.geometry.to_numpy(), index=frame[AREA_ID].astype(str),
                          crs=frame.crs)
    graph = contiguity_graph(geoms)
    measured = geoms.to_crs(SWEREF) if geoms.crs is not None and geoms.crs.is_geographic \
        else geoms
    adjacency: dict[str, list[str]] = {}
    border: dict[frozenset[str], float] = {}
    for (focal, neighbour), weight in graph.adjacency.items():
        if focal == neighbour or weight == 0:
            continue
        adjacency.setdefault(str(focal), []).append(str(neighbour))
        pair = frozenset((str(focal), str(neighbour)))
        if pair not in border:
            a, b = measured.loc[focal], measured.loc[neighbour]
            border[pair] = float(a.boundary.intersection(b.boundary).length)
    return {a: sorted(nbs) for a, nbs in adjacency.items()}, border
