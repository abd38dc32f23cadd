"""Where need clusters: local Moran's I and Getis-Ord Gi* with a false-discovery-rate correction.

:func:`find_hotspots` takes the area polygons and one or more values per area (the
score and the domain scores of a ranking, see :func:`values_from_ranking`) and
returns a :class:`Hotspots` with, per variable and area, local Moran's I, Gi* z,
their p-values and Swedish labels.

Conventions (also stated in :meth:`Hotspots.notes`):

* Spatial weights (:class:`~geo.spatial.graph.AreaGraph`, laid out as libpysal's
  ``Graph``): ``"queen"`` (default) makes areas that share
  an edge or a corner neighbours (geometric test: the polygons intersect, see
  :mod:`geo.spatial.weights`, the builder merging uses too; areas that overlap count as
  neighbours). ``"knn"`` gives
  every area its ``KNN_K`` = 4 nearest neighbours by centroid distance (in SWEREF 99 TM
  when the layer has a geographic CRS), for layers that are not contiguous (islands,
  gaps between polygons). Local Moran's I uses the weights row-standardised; Gi* uses
  them binary with the area itself included (self-weight 1), Getis and Ord's Gi*.
* Per variable, weights are built on the areas that have a value (for Queen this is
  the layer's contiguity restricted to them; kNN is rebuilt on them). Areas without a
  value are excluded and labelled ``"Värde saknas"``; areas that then have no
  neighbour (islands of the layer, or areas whose every neighbour lacks a value) are
  excluded and labelled ``"Ingen granne"``. Nothing excluded is tested or counted in
  the FDR correction.
* The statistics are esda's (``Moran_Local``, ``G_Local`` with ``star=True``), computed here
  with numpy operation for operation (:func:`local_moran`, :func:`gi_star`), and so are
  the permutations (:func:`_simulations`): the same values bit for bit, checked against
  esda in the tests, without importing esda and libpysal (1.5 s) on every command.
* p-values come from conditional permutations (esda's, ``permutations`` draws, seeded
  with ``seed``; numpy's global random state is not used), except where the
  FDR correction could never make a permutation p significant (below). They are
  two-sided: ``p = min(1, 2 * (min(#sim >= obs, #sim <= obs) + 1) / (permutations + 1))``,
  twice the smaller tail, since a label can go either way (hot or cold, high or low).
  esda's own ``p_sim`` is the one-sided p in the observed direction ("folded"); at
  ``p_sim < 0.05`` about 1 area in 10 of pure noise comes out significant, with the
  two-sided p about 1 in 20 (``alpha``). The smallest possible p is
  ``2 / (permutations + 1)`` (0.002 with 999 permutations).
* With ``fdr=True`` the p-values of each statistic are adjusted with Benjamini and
  Hochberg's step-up procedure across the tested areas of the variable
  (:func:`benjamini_hochberg`); a result is significant when its (adjusted) p <= alpha.
  On pure noise almost nothing remains significant.
* **Normal approximation for many areas** (:func:`indicators.clusters.uses_normal_p`): with
  ``fdr=True`` and more tested areas than ``alpha / smallest p`` (25 at 999 permutations
  and alpha 0.05), one area at the smallest permutation p is above BH's first threshold
  ``alpha / n``, and a small cluster can never be significant however clear it is (on
  Sweden's 3 363 RegSO 135 areas would have to reach it first). There the p-values come
  from the normal approximation instead, and no permutations are drawn: Gi* from Getis
  and Ord's z (esda's ``Zs``, ``p = 2 * (1 - Phi(|z|))``, twice esda's one-sided
  ``p_norm``); local Moran's I from its exact mean and variance under the conditional
  randomisation the permutations draw from (:func:`moran_normal_p`). The notes say which
  variables were tested so (``Hotspots.normal``).
* Gi* z is Getis and Ord's analytical z-score (binary weights with self-weight); it is
  computed on values shifted to be positive when needed (Gi* is defined for positive
  values; the z-score and the permutation p do not change under a shift). Labels:
  "Het punkt" (significant, z > 0), "Kall punkt" (significant, z < 0).
* **Power check** (:func:`detection_power`): with few areas (or the FDR correction over
  very many) a real cluster is seldom significant, and "Ej signifikant" would read as "no
  cluster". Per tested variable, the same test (these weights restricted to the tested
  areas, the same p-values: permutations or the normal approximation as above, seed, alpha
  and FDR) is run on simulated noise with a planted cluster of ``POWER_CLUSTER`` = 5
  connected areas (the most connected area and its most connected neighbours) at
  +``POWER_LIFT`` = 3 standard deviations, up to ``POWER_SIMULATIONS`` = 200 times. When the
  cluster is found (one of its areas a significant hot spot) in less than ``MIN_POWER`` =
  50 % of the simulations, every area that is not significant is labelled "Går inte att
  avgöra med så få områden", with the power in a note ("en tydlig klunga om 5 områden
  skulle hittas i X % av fallen"); a significant area keeps its label (a low power does
  not make a found cluster false). Where the normal approximation is used the cause is
  the correction over many areas, not their number, and the label is "Går inte att
  avgöra med ett så svagt test". A variable with fewer than ``MIN_AREAS`` tested areas is
  labelled "Går inte att avgöra med så få områden" without simulation. The check depends
  only on the graph and the settings and is kept per graph content.
* Local Moran's quadrant: the area's standardised value and its neighbours' average
  (spatial lag): "Hög–hög", "Låg–låg", "Hög–låg", "Låg–hög", shown when significant.

Labels and notes are plain Swedish text (no markup).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cache import LRUCache, content_digest
from geo.spatial.graph import AreaGraph
from geo.spatial.weights import KNN_K, WEIGHTS, build_weights, fingerprint
from indicators.clusters import (
    ALPHA,
    MIN_POWER,
    PERMUTATIONS,
    POWER_CLUSTER,
    POWER_LIFT,
    POWER_SIMULATIONS,
    needed_at_smallest,
    smallest_p,
    uses_normal_p,
)
from indicators.columns import AREA_ID, AREA_NAME, SCORE
from indicators.errors import PrevmapError
from indicators.swedish import format_significant

if TYPE_CHECKING:
    from geo.io.areas import Areas
    from indicators.ranking import RankingResult

HIGH_HIGH = "Hög–hög"
LOW_LOW = "Låg–låg"
HIGH_LOW = "Hög–låg"
LOW_HIGH = "Låg–hög"
HOT = "Het punkt"
COLD = "Kall punkt"
NOT_SIGNIFICANT = "Ej signifikant"
NO_NEIGHBOUR = "Ingen granne"
MISSING_VALUE = "Värde saknas"
UNDECIDABLE = "Går inte att avgöra med så få områden"
UNDECIDABLE_WEAK = "Går inte att avgöra med ett så svagt test"

MORAN_LABELS = (HIGH_HIGH, LOW_LOW, HIGH_LOW, LOW_HIGH, NOT_SIGNIFICANT, NO_NEIGHBOUR,
                MISSING_VALUE)
GI_LABELS = (HOT, COLD, NOT_SIGNIFICANT, UNDECIDABLE, UNDECIDABLE_WEAK, NO_NEIGHBOUR,
             MISSING_VALUE)
# esda's quadrant codes (geoda_quads=False): 1 HH, 2 LH, 3 LL, 4 HL.
QUADRANTS = {1: HIGH_HIGH, 2: LOW_HIGH, 3: LOW_LOW, 4: HIGH_LOW}

# Per variable, the frame has one column per measure, named ``f"{variable}_{measure}"``.
# ``*_p`` is the p-value the label uses (BH-adjusted when fdr); ``*_p_raw`` the unadjusted.
MEASURES = ("moran_i", "moran_p", "moran_p_raw", "moran_label",
            "gi_z", "gi_p", "gi_p_raw", "gi_label")
N_NEIGHBOURS = "n_neighbours"

# Fewer tested areas than this: the variable is not tested (Gi* labels UNDECIDABLE, a note).
MIN_AREAS = 5

# The power check (see :func:`detection_power`): a planted cluster of POWER_CLUSTER areas
# at +POWER_LIFT standard deviations of the noise must be found in at least MIN_POWER of
# the simulations, else an area that is not significant is UNDECIDABLE (or UNDECIDABLE_WEAK),
# not "Ej signifikant". The numbers are indicators.clusters' (the method page states them).
POWER_BATCH = 10           # simulations between two looks at the running estimate
# Areas whose normal approximation gives a p above POWER_SCREEN * alpha (0.3 at alpha 0.05)
# are taken as not significant without drawing their permutations.
POWER_SCREEN = 6
POWER_Z = 2.576            # the looks stop when a 99 % Wilson interval excludes MIN_POWER


class HotspotError(PrevmapError):
    title = "Fel i klusteranalysen"


def column(variable: str, measure: str) -> str:
    """The frame column holding ``measure`` (one of :data:`MEASURES`) for ``variable``."""
    return f"{variable}_{measure}"


def weights_description(weights: str) -> str:
    """The Swedish description of a weights choice (``"queen"`` or ``"knn"``)."""
    tail = ("Lokal Moran's I använder vikterna radstandardiserade (grannarnas medelvärde); "
            "Gi* använder binära vikter där området självt ingår (självvikt 1).")
    if weights == "knn":
        return (f"Rumsliga vikter: de {KNN_K} närmaste grannarna (k-närmaste grannar, "
                "avstånd mellan områdenas tyngdpunkter i SWEREF 99 TM). " + tail)
    return ("Rumsliga vikter: Queen-kontiguitet, dvs. områden som delar gräns eller hörn "
            "är grannar. " + tail)


@dataclass(frozen=True)
class Power:
    """How often a clear cluster would be found on the tested areas (:func:`detection_power`):
    in ``share`` of ``simulations``, a cluster of ``cluster`` areas at ``+lift`` standard
    deviations had at least one of its areas a significant Gi* hot spot."""

    share: float
    simulations: int
    cluster: int
    lift: float = POWER_LIFT
    threshold: float = MIN_POWER

    @property
    def decidable(self) -> bool:
        """True when the share reaches the threshold: "not significant" then means something."""
        return self.share >= self.threshold

    def note(self, variable: str, label: str = UNDECIDABLE) -> str:
        """The power in Swedish; below the threshold also that ``label`` replaces
        "Ej signifikant"."""
        found = (f"{variable}: en tydlig klunga om {self.cluster} områden skulle hittas i "
                 f"{format_significant(round(100 * self.share))} % av fallen (klungan "
                 f"+{format_significant(self.lift)} standardavvikelser över slumpbrus, "
                 f"{self.simulations} simuleringar på dessa områden och grannar).")
        if self.decidable:
            return found
        return (found + f" Under {format_significant(round(100 * self.threshold))} % kan "
                "testet inte skilja ett kluster från slumpen, så områden som inte är "
                f"signifikanta märks '{label}' i stället för '{NOT_SIGNIFICANT}'.")


@dataclass(frozen=True, eq=False)
class Hotspots:
    """Local clusters per variable; built by :func:`find_hotspots`.

    ``frame`` is indexed by area id in the order of the area layer and has
    ``area_name``, ``n_neighbours`` (in the whole layer) and, per variable, the
    columns :data:`MEASURES` (see :func:`column`). Statistics are NaN where the
    area was excluded ("Ingen granne", "Värde saknas") or the variable was not tested.
    """

    frame: pd.DataFrame
    variables: tuple[str, ...]
    alpha: float
    fdr: bool
    permutations: int
    seed: int
    weights: str
    islands: tuple[str, ...]        # labelled "Ingen granne" for at least one variable
    missing: tuple[str, ...]        # labelled "Värde saknas" for at least one variable
    weights_text: str
    details: tuple[str, ...] = ()   # per-variable notes (exclusions, untested variables)
    power: Mapping[str, Power] = field(default_factory=dict)   # per tested variable
    # Tested variables whose p-values came from the normal approximation, not from the
    # permutations (:func:`~indicators.clusters.uses_normal_p`).
    normal: tuple[str, ...] = ()

    def for_variable(self, variable: str) -> pd.DataFrame:
        """One variable's columns, named by :data:`MEASURES`, with ``area_name``."""
        if variable not in self.variables:
            raise KeyError(f"variabeln '{variable}' finns inte; finns: "
                           + ", ".join(self.variables))
        out = self.frame[[AREA_NAME] + [column(variable, m) for m in MEASURES]]
        return out.set_axis([AREA_NAME, *MEASURES], axis=1)

    def counts(self, variable: str, statistic: str = "gi") -> pd.Series:
        """How many areas carry each label of ``statistic`` ("gi" or "moran")."""
        labels = GI_LABELS if statistic == "gi" else MORAN_LABELS
        return (self.frame[column(variable, f"{statistic}_label")]
                .value_counts().reindex(labels, fill_value=0))

    def nothing_found(self) -> str:
        """What to say when no area is a hot or cold spot, in Swedish: with a variable whose
        power check failed, that it cannot be decided (with the power), not that there is
        no cluster."""
        weak = {v: p for v, p in self.power.items() if not p.decidable}
        if not weak:
            return "Inga signifikanta kluster efter korrektion för många test (FDR)."
        labels = {v: self.frame[column(v, "gi_label")] for v in weak}
        label = next((lab for v in weak for lab in (UNDECIDABLE, UNDECIDABLE_WEAK)
                      if (labels[v] == lab).any()), UNDECIDABLE)
        shares = ", ".join(f"{format_significant(round(100 * p.share))} %"
                           for p in weak.values())
        return (f"Inga signifikanta kluster, men det {label[0].lower()}{label[1:]}: en tydlig "
                f"klunga om {next(iter(weak.values())).cluster} områden skulle hittas i "
                f"{shares} av fallen.")

    def notes(self) -> list[str]:
        """Swedish notes for the reader: method, weights, FDR, exclusions."""
        smallest = smallest_p(self.permutations)
        permuted = [v for v in self.variables if v not in self.normal]
        method = ("Metod: lokal Moran's I (kluster och avvikare) och Getis-Ord Gi* (heta och "
                  "kalla punkter). p-värdena är tvåsidiga. ")
        by_permutation = (f"p-värden från {self.permutations} villkorade permutationer "
                          f"(slumpfrö {self.seed}, den mindre svansen gånger två; minsta "
                          f"möjliga p är {format_significant(smallest)})")
        if self.normal:
            which = ("" if not permuted else "För " + ", ".join(self.normal) + ": ")
            method += (f"{which}p-värden från normalapproximationen, inte från "
                       f"permutationer: med {self.permutations} permutationer är minsta "
                       f"möjliga p {format_significant(smallest)}, och efter FDR-justering "
                       "över så många områden kunde inget område bli signifikant förrän flera "
                       "nått det, hur tydligt det än avvek. Gi*: Getis och Ords z-värde "
                       "(p = 2 · (1 − Φ(|z|))); lokal Moran's I: z från dess väntevärde och "
                       "varians när grannarnas värden slumpas om bland de övriga områdena.")
            if permuted:
                method += " Övriga variabler: " + by_permutation + "."
        else:
            method += by_permutation[0].upper() + by_permutation[1:] + "."
        notes = [method, self.weights_text]
        if self.fdr:
            notes.append("p-värdena är justerade för många samtidiga test med "
                         "Benjamini–Hochbergs metod (andel falska upptäckter, FDR), för varje "
                         f"variabel över de testade områdena. Signifikant: justerat p ≤ "
                         f"{format_significant(self.alpha)}.")
        else:
            notes.append(f"p-värdena är inte justerade för många samtidiga test: även på rent "
                         f"slumpbrus blir omkring {format_significant(100 * self.alpha)} % av "
                         "områdena "
                         f"'signifikanta' vid p ≤ {format_significant(self.alpha)}.")
        if self.islands:
            notes.append(f"{len(self.islands)} område(n) saknar grannar och ingår inte i "
                         f"testet (märks '{NO_NEIGHBOUR}'): {self._names(self.islands)}.")
        if self.missing:
            notes.append(f"{len(self.missing)} område(n) saknar värde för minst en variabel "
                         f"och ingår inte i testet för den (märks '{MISSING_VALUE}'): "
                         f"{self._names(self.missing)}.")
        notes.extend(self.details)
        return notes

    def _names(self, ids: Iterable[str]) -> str:
        names = self.frame[AREA_NAME]
        return ", ".join(f"{names[i]} ({i})" if names[i] != i else str(i) for i in ids)


def benjamini_hochberg(pvalues: Iterable[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted.

    With the m non-missing p-values sorted, ``q_(i) = min over j >= i of
    min(1, m * p_(j) / j)``. Rejecting every hypothesis with ``q <= alpha`` is the step-up
    procedure: reject the k smallest, k the largest index with ``p_(k) <= k * alpha / m``.

    The arithmetic is :func:`scipy.stats.false_discovery_control` (``method="bh"``),
    operation for operation (its sort, ``p * (m / j)``, the running minimum from the end,
    the clip to [0, 1]; one value is returned as it is), so the result is scipy's bit for
    bit (``test_hotspots_exact.py``); written out because importing scipy.stats takes
    0.5-1 s.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    ps = p[present]
    if ((ps < 0) | (ps > 1)).any():
        raise ValueError("p-values must lie between 0 and 1.")
    m = len(ps)
    if m <= 1:
        out[present] = ps
        return out
    order = np.argsort(ps)
    ps = ps[order]
    ps *= m / np.arange(1, m + 1, dtype=float)
    np.minimum.accumulate(ps[::-1], out=ps[::-1])
    adjusted = np.empty(m)
    adjusted[order] = ps
    out[present] = np.clip(adjusted, 0.0, 1.0)
    return out


def two_sided_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Two-sided permutation p: twice the smaller tail, counting the observed draw.

    ``observed`` has shape (n,), ``simulated`` (n, permutations).
    """
    obs = np.asarray(observed, dtype=float)[:, None]
    sims = np.asarray(simulated, dtype=float)
    tail = np.minimum((sims >= obs).sum(axis=1), (sims <= obs).sum(axis=1))
    return np.minimum(1.0, 2.0 * (tail + 1.0) / (sims.shape[1] + 1.0))


def values_from_ranking(result: RankingResult) -> pd.DataFrame:
    """The score and the domain scores of a ranking, one column each, indexed by area id."""
    return pd.concat([result.score.rename(SCORE), result.domain_scores], axis=1)


def _geometries(areas: gpd.GeoDataFrame | Areas) -> tuple[gpd.GeoDataFrame, pd.Series]:
    frame = getattr(areas, "frame", areas)
    if not isinstance(frame, gpd.GeoDataFrame) or AREA_ID not in frame.columns:
        raise HotspotError(f"områdena måste vara en GeoDataFrame med kolumnen '{AREA_ID}' "
                           "(som från geo.io.areas.read_areas).")
    ids = frame[AREA_ID].astype(str)
    if ids.duplicated().any():
        raise HotspotError("områdeskoder förekommer mer än en gång: "
                           + ", ".join(sorted(set(ids[ids.duplicated()]))))
    geoms = gpd.GeoDataFrame(geometry=frame.geometry.to_numpy(), index=pd.Index(ids, name=AREA_ID),
                             crs=frame.crs)
    names = (frame[AREA_NAME].astype(str).to_numpy() if AREA_NAME in frame.columns
             else ids.to_numpy())
    return geoms, pd.Series(names, index=geoms.index, name=AREA_NAME)


def _value_table(values: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(values, pd.Series):
        values = values.to_frame(SCORE if values.name is None else str(values.name))
    if not isinstance(values, pd.DataFrame) or values.shape[1] == 0:
        raise HotspotError("värdena måste vara en Series eller en DataFrame med minst en "
                           "kolumn, indexerad med områdeskod.")
    table = values.copy()
    table.index = table.index.astype(str)
    table.columns = [str(c) for c in table.columns]
    if table.index.duplicated().any():
        raise HotspotError("områdeskoder förekommer mer än en gång bland värdena: "
                           + ", ".join(sorted(set(table.index[table.index.duplicated()]))))
    if table.columns.duplicated().any():
        raise HotspotError("variabelnamn förekommer mer än en gång: "
                           + ", ".join(sorted(set(table.columns[table.columns.duplicated()]))))
    bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])
           or pd.api.types.is_bool_dtype(table[c])]
    if bad:
        raise HotspotError("variablerna är inte numeriska: " + ", ".join(bad))
    return table.astype(float).replace([np.inf, -np.inf], np.nan)


def _subgraph(graph: AreaGraph, ids: Iterable[str]) -> AreaGraph:
    """``graph.subgraph(ids)``, or ``graph`` itself when ``ids`` are all its ids in its
    order: the subgraph is then the same graph (the same links, weights and order), and
    the layer's graph, cached, keeps what it has computed (neighbour counts, isolates)."""
    if pd.Index(ids).equals(graph.unique_ids):
        return graph
    return graph.subgraph(ids)


def _neighbour_counts(graph: AreaGraph) -> pd.Series:
    return graph.cardinalities.reindex(graph.unique_ids).astype(int)


def _unshuffled(w: AreaGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What esda's ``crand`` reads from the weights (``w.sparse``): the self-weights, the
    other weights (CSR data without the diagonal and zeros, as floats) and each area's
    number of other neighbours."""
    indptr, _, other = w.neighbours()
    return w.self_weights(), other.astype(float), np.diff(indptr)


@functools.lru_cache(maxsize=8)
def _permutations(max_card: int, n: int, permutations: int, seed: int) -> np.ndarray:
    """The ids of esda's conditional randomisation, ``esda.crand.vec_permutations(max_card,
    n, permutations, seed)`` as it runs without numba: ``np.random.seed(seed)``, then one
    ``np.random.choice(n - 1, max_card, replace=False)`` per permutation. Drawn here from
    a ``RandomState(seed)`` of its own, the same stream, so that numpy's global generator
    is neither used nor raced for by another thread; kept (read-only) since it depends on
    nothing else, and drawing it is a good part of a rerun with new weights."""
    rng = np.random.RandomState(seed)
    ids = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        ids[k] = rng.choice(n - 1, size=max_card, replace=False)
    ids.setflags(write=False)
    return ids


def _simulations(stats: list[tuple[np.ndarray, AreaGraph, float, bool]], permutations: int,
                 seed: int) -> list[np.ndarray]:
    """The simulated statistics of esda's conditional randomisation (``esda.crand.crand``
    with ``n_jobs=1``, as run without numba), for several statistics at once.

    Each entry of ``stats`` is ``(z, w, scaling, moran)``: local Moran
    (``z_i * (zrand @ w_i + w_ii * z_i) * scaling``) when ``moran``, else Gi*
    (``(zrand @ w_i + w_ii * z_i) / scaling``), with ``zrand`` the values of the other
    areas drawn by esda's permutations (:func:`_permutations`).
    Every draw is computed by the same numpy operations on the same arrays as esda's
    ``compute_chunk``, so the result is bit for bit esda's ``rlisas`` / ``rGs``; what is
    saved is esda's per-area overhead, its p-values and moments of the simulations (not
    used here) and drawing the same permutations again (the weights of Moran and Gi*
    have the same neighbours, so the same ``max_card``, and :func:`_permutations` keeps
    them for the next run on the same areas).
    """
    prepared = []
    permuted: dict[tuple[int, int], np.ndarray] = {}
    for z, w, scaling, moran in stats:
        self_weights, other, cardinalities = _unshuffled(w)
        other = other.astype(z.dtype)
        max_card = int(cardinalities.max())
        key = (max_card, len(z))
        if key not in permuted:
            permuted[key] = _permutations(max_card, len(z), permutations, seed)
        prepared.append((z, scaling, moran, self_weights, other, cardinalities,
                         permuted[key], np.empty((len(z), permutations)), {}))
    n = len(stats[0][0])
    offsets = [0] * len(prepared)
    for i in range(n):
        for k, (z, scaling, moran, self_weights, other, cards, ids, out, columns) in \
                enumerate(prepared):
            cardinality = cards[i]
            if cardinality == 0:       # an island: one "fake" neighbour of weight 0
                weights_i = np.zeros(2, dtype=other.dtype)
            else:
                weights_i = np.zeros(cardinality + 1, dtype=other.dtype)
                weights_i[0] = self_weights[i]
                weights_i[1:] = other[offsets[k]:offsets[k] + cardinality]
            offsets[k] += cardinality
            m = len(weights_i) - 1
            chosen = columns.get(m)
            if chosen is None:
                chosen = columns[m] = np.ascontiguousarray(ids[:, :m])
            zi = z[i]
            zrand = np.concatenate((z[:i], z[i + 1:]))[chosen]
            if moran:
                out[i] = zi * (zrand @ weights_i[1:] + weights_i[0] * zi) * scaling
            else:
                out[i] = (zrand @ weights_i[1:] + weights_i[0] * zi) / scaling
    return [entry[7] for entry in prepared]


def _bh_rows(p: np.ndarray) -> np.ndarray:
    """:func:`benjamini_hochberg` of every row of ``p`` (no NaN), as one array operation."""
    m = p.shape[1]
    order = np.argsort(p, axis=1, kind="stable")
    scaled = np.take_along_axis(p, order, axis=1) * m / np.arange(1, m + 1)
    q = np.minimum(np.minimum.accumulate(scaled[:, ::-1], axis=1)[:, ::-1], 1.0)
    out = np.empty_like(q)
    np.put_along_axis(out, order, q, axis=1)
    return out


def planted_cluster(graph: AreaGraph, size: int = POWER_CLUSTER) -> np.ndarray:
    """Positions (in ``graph.unique_ids``) of the cluster the power check plants: the area
    with the most neighbours, then, as long as the cluster is smaller than ``size``, the
    neighbour of the cluster with the most neighbours (ties: the first in the layer's order);
    smaller than ``size`` only when its part of the layer is."""
    indptr, indices = _links(graph)
    cards = np.diff(indptr)
    cluster = [int(np.argmax(cards))]
    while len(cluster) < size:
        frontier = np.setdiff1d(np.concatenate(
            [indices[indptr[i]:indptr[i + 1]] for i in cluster]), cluster)
        if not len(frontier):
            break
        cluster.append(int(frontier[np.argmax(cards[frontier])]))   # first of the largest
    return np.array(cluster, dtype=np.int64)


def _links(graph: AreaGraph) -> tuple[np.ndarray, np.ndarray]:
    """The graph's links without self-loops (and zero weights), as CSR ``indptr`` and
    ``indices`` (sorted) in ``unique_ids`` order."""
    indptr, indices, _ = graph.neighbours()
    return indptr, indices


def _star(graph: AreaGraph) -> AreaGraph:
    """Gi*'s weights: binary, with self-weight 1 (libpysal's
    ``graph.transform("b").assign_self_weight(1.0)``)."""
    return graph.transform("b").assign_self_weight(1.0)


def _gi_star_p(y: np.ndarray, observed: np.ndarray, cards: np.ndarray, ids: np.ndarray,
               permutations: int, areas: np.ndarray | None = None) -> np.ndarray:
    """Gi*'s two-sided permutation p (:func:`two_sided_p`) of ``areas`` (a boolean mask;
    default all), 1 for the others, from the sums of each neighbourhood: ``observed`` (the
    area and its neighbours) against the area plus each permutation's drawn neighbours.
    The draws are esda's: for an area with c neighbours, ``ids[:, :c]`` index the other
    areas (skipping the area itself), as :func:`_simulations` draws them. Gi* divides both
    sums by the same total and a shift of the values moves both alike, so the sums give
    esda's p (up to rounding when a draw is the area's own neighbours)."""
    p = np.ones(len(y))
    wanted = (cards > 0) if areas is None else (areas & (cards > 0))
    for c in np.unique(cards[wanted]):
        where = np.flatnonzero(wanted & (cards == c))
        chosen = ids[:, :c]
        for part in np.array_split(where, max(1, len(where) * ids.shape[0] * c // 2_000_000)):
            draws = chosen[None] + (chosen[None] >= part[:, None, None])
            p[part] = two_sided_p(observed[part], y[draws].sum(axis=2) + y[part][:, None])
    return p


def normal_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p of a z-score from the standard normal distribution, ``2 * (1 - Phi(|z|))``
    (twice esda's one-sided ``p_norm``); 1 where z is undefined (NaN)."""
    from scipy.special import ndtr

    z = np.asarray(z, dtype=float)
    return np.where(np.isnan(z), 1.0, np.minimum(1.0, 2.0 * ndtr(-np.abs(z))))


def gi_star_z(y: np.ndarray, observed: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Getis and Ord's Gi* z (esda's ``G_Local(..., star=True).Zs``) from the neighbourhood
    sums: ``(observed - W * mean) / (sd * sqrt(W * (n - W) / (n - 1)))``, with ``W`` each
    area's number of areas in its neighbourhood (``width``, itself included), mean and sd
    (population) of all values. Rows of a 2-d ``y`` and ``observed`` are separate draws.
    NaN where the neighbourhood is every area (no variance). A shift of the values leaves
    it unchanged, so it needs no positive values."""
    y = np.asarray(y, dtype=float)
    n = y.shape[-1]
    mean = y.mean(axis=-1, keepdims=True)
    sd = y.std(axis=-1, keepdims=True)
    spread = np.sqrt(np.clip(width * (n - width), 0, None) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (observed - width * mean) / (sd * spread)
    return np.where(width >= n, np.nan, z)


def moran_normal_p(z: np.ndarray, w: AreaGraph) -> np.ndarray:
    """Two-sided p of local Moran's I from the normal approximation of its conditional
    permutation distribution (the null the permutation test draws from).

    ``I_i = c * z_i * L_i`` with ``L_i = sum_j w_ij z_j`` over the other areas; keeping
    ``z_i`` and drawing the neighbours' values without replacement from the ``N = n - 1``
    others (mean ``m_i``, population variance ``s_i^2``), ``L_i`` has mean ``m_i * w_i`` and
    variance ``s_i^2 * (N * w2_i - w_i^2) / (N - 1)`` (``w_i``, ``w2_i``: the sum of the
    area's weights and of their squares), exactly. The p is that of
    ``(L_i - E L_i) / sd(L_i)``, the same as of ``I_i``'s own z (``c * z_i`` only scales
    it). 1 where ``I_i`` cannot vary (``z_i = 0`` or no variance)."""
    z = np.asarray(z, dtype=float)
    n = len(z)
    indptr, indices, weights = w.neighbours()
    others_only = AreaGraph(w.unique_ids, indptr, indices, weights.astype(float))
    others = n - 1
    lag = others_only.lag(z)
    w1 = others_only.row_sums()
    w2 = others_only.row_sums(squared=True)
    mean = (z.sum() - z) / others
    var = np.clip(((z * z).sum() - z * z) / others - mean * mean, 0, None)
    spread = np.sqrt(np.clip(var * (others * w2 - w1 * w1) / max(others - 1, 1), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (lag - mean * w1) / spread
    fixed = (spread <= 1e-12 * np.maximum(1.0, np.abs(lag))) | (z == 0)
    return np.where(fixed, 1.0, normal_p(score))


def _screen(y: np.ndarray, observed: np.ndarray, cards: np.ndarray, z: float) -> np.ndarray:
    """Areas whose neighbourhood sum lies at least ``z`` standard deviations from its mean
    under the conditional randomisation (the other areas' mean and variance, ``c`` draws
    without replacement): only these can come near a small permutation p."""
    n = len(y)
    others = n - 1
    mean = (y.sum() - y) / others
    var = np.clip(((y * y).sum() - y * y) / others - mean * mean, 0, None)
    spread = np.sqrt(cards * var * (others - cards) / max(others - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        far = np.abs(observed - y - cards * mean) >= z * spread
    return far | (spread == 0)


def _simulated_power(graph: AreaGraph, *, alpha: float, fdr: bool, permutations: int, seed: int,
                     cluster: int, lift: float, simulations: int, threshold: float) -> Power:
    """The power check itself (see :func:`detection_power`)."""
    indptr, _ = _links(graph)
    n = graph.n
    cards = np.diff(indptr)
    planted = planted_cluster(graph, cluster)
    star = _star(graph)
    width = star.row_sums()
    rng = np.random.default_rng(seed)
    found = done = 0
    if uses_normal_p(n, permutations=permutations, alpha=alpha, fdr=fdr):
        # find_hotspots' p for so many areas: Gi*'s z, p from the normal distribution. Cheap
        # (no permutations), so every simulation is run and the share stated is as precise
        # as the simulations allow; a batch at a time (the same noise, draw by draw).
        while done < simulations:
            batch = min(POWER_BATCH, simulations - done)
            y = rng.normal(size=(batch, n))
            y[:, planted] += lift
            z = gi_star_z(y, star.lag(y.T).T, width)
            p = normal_p(z)
            if fdr:
                p = _bh_rows(p)
            hot = (p <= alpha) & (z > 0)
            found += int(hot[:, planted].any(axis=1).sum())
            done += batch
        return Power(found / done, done, len(planted), lift, threshold)
    ids = _permutations(int(cards.max()), n, permutations, seed)
    screen = NormalDist().inv_cdf(1 - min(1.0, POWER_SCREEN * alpha) / 2)
    while done < simulations:
        for _ in range(min(POWER_BATCH, simulations - done)):
            y = rng.normal(size=n)
            y[planted] += lift
            observed = star.lag(y)
            p = _gi_star_p(y, observed, cards, ids, permutations,
                           _screen(y, observed, cards, screen))
            if fdr:
                p = _bh_rows(p[None])[0]
            hot = (p <= alpha) & (observed > width * y.mean())
            found += bool(hot[planted].any())
            done += 1
        low, high = _wilson(found, done, POWER_Z)
        if high < threshold or low >= threshold:
            break
    return Power(found / done, done, len(planted), lift, threshold)


def _wilson(hits: int, n: int, z: float) -> tuple[float, float]:
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# The power of the last POWER_CACHE_SIZE graphs and settings (see detection_power).
POWER_CACHE_SIZE = 16
_power_cache = LRUCache(POWER_CACHE_SIZE)


def graph_digest(graph: AreaGraph) -> str:
    """A SHA-256 of the graph's content: its ids in order and its links (CSR structure)."""
    indptr, indices = _links(graph)
    return content_digest(json.dumps([str(i) for i in graph.unique_ids]),
                          indptr.astype(np.int64).tobytes(), indices.astype(np.int64).tobytes())


def detection_power(graph: AreaGraph, *, alpha: float = ALPHA, fdr: bool = True,
                    permutations: int = PERMUTATIONS, seed: int = 20261123,
                    cluster: int = POWER_CLUSTER, lift: float = POWER_LIFT,
                    simulations: int = POWER_SIMULATIONS,
                    threshold: float = MIN_POWER) -> Power:
    """How often Gi* with these settings finds a clear cluster on ``graph`` (the tested
    areas, no isolates): the share of simulations in which at least one area of a planted
    cluster is a significant hot spot.

    Each simulation draws standard normal noise for every area (``numpy`` generator seeded
    with ``seed``) and adds ``lift`` to the :func:`planted_cluster` of ``cluster`` areas;
    the p-values are those :func:`find_hotspots` computes for this many areas: two-sided,
    from ``permutations`` conditional permutations drawn as esda draws them (the same for
    every simulation) or, where :func:`~indicators.clusters.uses_normal_p`, from Gi*'s z
    and the normal distribution (:func:`gi_star_z`, :func:`normal_p`); BH-adjusted when
    ``fdr``. An area is a hot spot when its p <= ``alpha`` and its Gi* z > 0.
    Up to ``simulations`` are run, in batches of :data:`POWER_BATCH`; with the
    permutations the run stops early once a 99 % Wilson interval of the share lies wholly
    above or below ``threshold`` (the verdict then cannot change; 0 of 20 already lies
    below 50 %). With the normal approximation, which draws no permutations, all are run.
    The result depends only on the graph and these settings, so it is kept for the last
    :data:`POWER_CACHE_SIZE` of them, keyed by :func:`graph_digest`: a new weight, profile
    or variable on the same areas reuses it.
    """
    key = (graph_digest(graph), float(alpha), bool(fdr), int(permutations), int(seed),
           int(cluster), float(lift), int(simulations), float(threshold))
    power = _power_cache.get(key)
    if power is None:
        power = _simulated_power(graph, alpha=alpha, fdr=fdr, permutations=permutations,
                                 seed=seed, cluster=cluster, lift=lift,
                                 simulations=simulations, threshold=threshold)
        _power_cache.put(key, power)
    return power


def clear_power_cache() -> None:
    """Forget the kept power checks (for benchmarks and tests)."""
    _power_cache.clear()


def local_moran(y: np.ndarray, row: AreaGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local Moran's I of ``y`` over the row-standardised weights ``row``: the standardised
    values ``z``, ``I`` and the quadrant ``q`` (1 high-high, 2 low-high, 3 low-low, 4
    high-low).

    ``z = (y - mean) / sd`` (population sd), ``I_i = (n - 1) * z_i * lag_i / sum(z^2)`` with
    ``lag = W @ z``; the quadrant from the signs of ``z_i`` and ``lag_i``. This is esda's
    ``Moran_Local(y, w, transformation="r", permutations=0)`` (its ``z``, ``Is`` and ``q``
    with ``geoda_quads=False``) operation for operation, so the values are esda's bit for bit
    (``test_hotspots_exact.py``); written out so that the command line does not import esda
    and libpysal (1.5 s).
    """
    y = np.asarray(y).flatten()
    n = len(y)
    z = y - y.mean()
    with np.errstate(all="ignore"):
        sy = y.std()
        z /= sy
    den = (z * z).sum()
    lag = row.lag(z)
    moran = (n - 1) * z * lag / den
    zp = z > 0
    lp = lag > 0
    q = 1 * (zp * lp) + 2 * ((1 - zp) * lp) + 3 * ((1 - zp) * (1 - lp)) + 4 * (zp * (1 - lp))
    return z, moran, q


def gi_star(y: np.ndarray, star: AreaGraph) -> tuple[np.ndarray, np.ndarray]:
    """Getis and Ord's Gi* of positive values ``y`` over the binary weights with self-weight
    1 ``star``: ``G_i = (W @ y)_i / sum(y)`` and its z-score from the expected value
    ``W_i / n`` and variance ``W_i (n - W_i) / (n - 1) / n^2 * s^2 / mean^2`` (``W_i`` the
    row's weight sum, ``s^2`` the population variance).

    This is esda's ``G_Local(y, w, transform="B", star=True, permutations=0)`` (its ``Gs``
    and ``Zs``) operation for operation, so the values are esda's bit for bit
    (``test_hotspots_exact.py``). ``z`` is +-inf or NaN where ``W_i = n`` (no variance).
    """
    y = np.asarray(y).flatten()
    remove_self = False                    # Gi*: the area's own value is in its sum
    n = len(y) - remove_self
    statistic = star.lag(y) / (y.sum() - y * remove_self)
    empirical_mean = (y.sum() - y * remove_self) / n
    mean_of_squares = ((y**2).sum() - (y**2) * remove_self) / n
    empirical_variance = mean_of_squares - empirical_mean**2
    cardinality = star.row_sums()
    expected_value = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance /= n - 1
    expected_variance *= 1 / n**2
    expected_variance *= empirical_variance / (empirical_mean**2)
    return statistic, (statistic - expected_value) / np.sqrt(expected_variance)


# The test's weights (row-standardised, and binary with self-weight) of the last
# TEST_WEIGHTS_CACHE_SIZE graphs, by the layer's fingerprint and the tested ids.
TEST_WEIGHTS_CACHE_SIZE = 8
_test_weights_cache = LRUCache(TEST_WEIGHTS_CACHE_SIZE)


def _test_weights(graph: AreaGraph, key: Hashable | None) -> tuple[AreaGraph, AreaGraph]:
    """Local Moran's row-standardised weights and Gi*'s binary weights with self-weight 1
    of ``graph``; kept by ``key`` (a content key of ``graph``: the layer's fingerprint and
    the tested ids) unless None. The graphs are immutable, so they can be shared between
    runs, with what they have computed."""
    held = None if key is None else _test_weights_cache.get(key)
    if held is None:
        held = (graph.transform("r"), _star(graph))
        if key is not None:
            _test_weights_cache.put(key, held)
    return held


def _run(y: np.ndarray, graph: AreaGraph, permutations: int, seed: int,
         normal: bool = False, key: Hashable | None = None) -> dict[str, np.ndarray]:
    """Local Moran's I and Gi* for ``y`` in the order of ``graph.unique_ids`` (no isolates);
    the p-values from ``permutations`` permutations, or with ``normal`` from the normal
    approximation (:func:`moran_normal_p`, :func:`normal_p` of Gi*'s z; no permutations
    are drawn). ``key``: a content key of ``graph`` under which its test weights are kept
    (:func:`_test_weights`). The statistics are esda's (:func:`local_moran`,
    :func:`gi_star`), the permutations esda's conditional randomisation
    (:func:`_simulations`), all bit for bit; numpy's global generator is not touched."""
    row, star = _test_weights(graph, key)
    gi_y = y - y.min() + 1.0 if y.min() <= 0 else y   # Gi* needs positive values
    with np.errstate(divide="ignore", invalid="ignore"):
        z, moran_i, q = local_moran(y, row)
        gs, zs = gi_star(gi_y, star)
        if normal:
            rlisas = r_gs = None
        else:
            # What esda passes to crand: Moran's standardised z, the row-standardised
            # weights and scaling (n - 1) / sum(z^2); Gi*'s values, binary weights with
            # self-weight 1 and scaling sum(y).
            n = len(z)
            rlisas, r_gs = _simulations(
                [(z, row, (n - 1) / (z * z).sum(), True),
                 (gi_y, star, gi_y.sum(), False)], permutations, seed)
    # An area whose neighbourhood (with itself) is every tested area has Gi* = the whole
    # sum: its variance is 0 and its z undefined (NaN, not the +-inf of rounding noise).
    covers_all = star.row_sums() >= len(y)
    gi_z = np.where(covers_all, np.nan, np.asarray(zs, dtype=float))
    if normal:
        moran_p, gi_p = moran_normal_p(z, row), normal_p(gi_z)
    else:
        moran_p, gi_p = two_sided_p(moran_i, rlisas), two_sided_p(gs, r_gs)
    return {"moran_i": np.asarray(moran_i, dtype=float), "moran_q": np.asarray(q),
            "moran_p_raw": moran_p, "gi_z": gi_z, "gi_p_raw": gi_p}


def _moran_labels(q: np.ndarray, p: np.ndarray, alpha: float) -> np.ndarray:
    quads = np.array([QUADRANTS.get(int(k), NOT_SIGNIFICANT) for k in q], dtype=object)
    return np.where(p <= alpha, quads, NOT_SIGNIFICANT)


def _gi_labels(z: np.ndarray, p: np.ndarray, alpha: float) -> np.ndarray:
    sig = p <= alpha
    return np.select([sig & (z > 0), sig & (z < 0)], [HOT, COLD], NOT_SIGNIFICANT).astype(object)


def find_hotspots(areas: gpd.GeoDataFrame | Areas, values: pd.DataFrame | pd.Series, *,
                  alpha: float = ALPHA, fdr: bool = True, permutations: int = PERMUTATIONS,
                  seed: int = 20261123, weights: str = "queen",
                  min_power: float = MIN_POWER) -> Hotspots:
    """Local Moran's I and Gi* for each column of ``values`` over ``areas``.

    ``areas``: a GeoDataFrame with ``area_id`` (and ``area_name``), or an
    :class:`~geo.io.areas.Areas`. ``values``: a Series or DataFrame indexed by area id, one
    numeric column per variable (e.g. :func:`values_from_ranking`). Areas without a
    value, and values without an area, are reported, never silently used. See the
    module docstring for the conventions. ``min_power``: the power check's threshold
    (:func:`detection_power`; 0 skips the check).
    """
    if not 0 <= min_power <= 1:
        raise HotspotError(f"min_power måste ligga mellan 0 och 1, fick {min_power}.")
    if not 0 < alpha < 1:
        raise HotspotError(f"alpha måste ligga mellan 0 och 1, fick {alpha}.")
    if int(permutations) != permutations or permutations < 99:
        raise HotspotError(f"antalet permutationer måste vara ett heltal ≥ 99, fick "
                           f"{permutations}.")
    if weights not in WEIGHTS:
        raise HotspotError(f"okända vikter '{weights}'; välj " + " eller ".join(WEIGHTS) + ".")
    permutations, seed = int(permutations), int(seed)
    geoms, names = _geometries(areas)
    table = _value_table(values)
    ids = geoms.index
    extra = list(table.index.difference(ids, sort=False))
    table = table.reindex(ids)

    layer = build_weights(geoms, weights)
    # The queen layer is the same for the same areas (kept by its fingerprint), and so
    # are the test weights derived from it; kNN is built anew for every variable.
    layer_key = fingerprint(geoms) if weights == "queen" else None
    out = pd.DataFrame({AREA_NAME: names, N_NEIGHBOURS: _neighbour_counts(layer).reindex(ids)},
                       index=ids)
    details: list[str] = []
    if extra:
        details.append(f"{len(extra)} värde(n) har en områdeskod som inte finns i områdeslagret "
                       f"och används inte: {', '.join(extra[:10])}"
                       + (" …" if len(extra) > 10 else "") + ".")
    if layer.n_components > 1:
        details.append(f"Områdena bildar {layer.n_components} delar utan gemensamma gränser "
                       "(räknat med öar); kluster kan inte sträcka sig mellan delarna.")
    islands: set[str] = set()
    missing: set[str] = set()
    powers: dict[str, Power] = {}
    normal_vars: list[str] = []
    layer_isolates = set(layer.isolates)
    for var in table.columns:
        y = table[var]
        has = y.notna().to_numpy()
        have_ids = ids[has]
        if len(have_ids) == 0:
            graph, isolated = None, []
        else:
            graph = (_subgraph(layer, have_ids) if weights == "queen"
                     else build_weights(geoms.loc[have_ids], weights))
            isolated = list(have_ids[have_ids.isin(graph.isolates)])
        tested = list(have_ids[~have_ids.isin(isolated)])
        stats = {m: np.full(len(ids), np.nan) for m in ("moran_i", "moran_p", "moran_p_raw",
                                                         "gi_z", "gi_p", "gi_p_raw")}
        moran_label = np.full(len(ids), NOT_SIGNIFICANT, dtype=object)
        gi_label = moran_label.copy()
        moran_label[~has] = gi_label[~has] = MISSING_VALUE
        where_isolated = ids.isin(isolated)
        moran_label[where_isolated] = gi_label[where_isolated] = NO_NEIGHBOUR
        missing.update(ids[~has])
        islands.update(isolated)
        by_missing = [i for i in isolated if i not in layer_isolates]
        if by_missing:
            details.append(f"{var}: {len(by_missing)} område(n) har grannar men ingen granne "
                           f"med värde och ingår inte: {', '.join(by_missing)}.")
        if (~has).any():
            details.append(f"{var}: värde saknas för {int((~has).sum())} område(n).")
        yt = y.loc[tested].to_numpy(dtype=float)
        if len(tested) < MIN_AREAS:
            details.append(f"{var}: bara {len(tested)} område(n) med värde och granne; minst "
                           f"{MIN_AREAS} behövs, så variabeln testas inte (märks "
                           f"'{UNDECIDABLE}').")
            gi_label[ids.isin(tested)] = UNDECIDABLE
        elif np.ptp(yt) == 0:
            details.append(f"{var}: alla områden har samma värde; det finns inga kluster att "
                           "hitta, så variabeln testas inte.")
        elif graph is not None:
            graph = _subgraph(graph, tested)
            yt = y.loc[graph.unique_ids].to_numpy(dtype=float)
            # With FDR over so many areas that the smallest permutation p could never be
            # significant: the normal approximation's p (indicators.clusters).
            normal = uses_normal_p(len(tested), permutations=permutations, alpha=alpha,
                                   fdr=fdr)
            if normal:
                normal_vars.append(var)
            key = None if layer_key is None else (layer_key, content_digest(
                json.dumps([str(i) for i in graph.unique_ids])))
            res = _run(yt, graph, permutations, seed, normal=normal, key=key)
            pos = ids.get_indexer(graph.unique_ids)
            for name in ("moran_i", "moran_p_raw", "gi_z", "gi_p_raw"):
                stats[name][pos] = res[name]
            moran_p = benjamini_hochberg(res["moran_p_raw"]) if fdr else res["moran_p_raw"]
            gi_p = benjamini_hochberg(res["gi_p_raw"]) if fdr else res["gi_p_raw"]
            stats["moran_p"][pos], stats["gi_p"][pos] = moran_p, gi_p
            moran_label[pos] = _moran_labels(res["moran_q"], moran_p, alpha)
            gi_label[pos] = _gi_labels(res["gi_z"], gi_p, alpha)
            if min_power > 0:
                power = powers[var] = detection_power(
                    graph, alpha=alpha, fdr=fdr, permutations=permutations, seed=seed,
                    threshold=min_power)
                # With the normal approximation over many areas, the FDR correction over
                # them (not their number) is what keeps a small cluster from being found.
                undecided = UNDECIDABLE_WEAK if normal else UNDECIDABLE
                details.append(power.note(var, undecided))
                if not power.decidable:
                    gi_label[pos] = np.where(gi_label[pos] == NOT_SIGNIFICANT, undecided,
                                             gi_label[pos])
            undefined = list(graph.unique_ids[np.isnan(res["gi_z"])])
            if undefined:
                details.append(f"{var}: Gi* z kan inte beräknas för {', '.join(undefined)}; "
                               "områdets grannskap omfattar alla testade områden.")
            if normal:
                needed = needed_at_smallest(len(tested), permutations, alpha)
                details.append(f"{var}: med {permutations} permutationer är minsta möjliga p "
                               f"{format_significant(smallest_p(permutations))}; efter "
                               f"FDR-justering över {len(tested)} områden hade något område "
                               f"blivit signifikant först när minst {needed} områden nått det. "
                               "p-värdena kommer därför från normalapproximationen (Gi*: "
                               "Getis och Ords z; lokal Moran's I: z från väntevärde och "
                               "varians när grannarnas värden slumpas om).")
        for m, arr in stats.items():
            out[column(var, m)] = arr
        out[column(var, "moran_label")] = moran_label
        out[column(var, "gi_label")] = gi_label
    order = list(ids)
    variables = tuple(table.columns)
    out = out[[AREA_NAME, N_NEIGHBOURS] + [column(v, m) for v in variables for m in MEASURES]]
    return Hotspots(frame=out, variables=variables, alpha=float(alpha), fdr=bool(fdr),
                    permutations=permutations, seed=seed, weights=weights,
                    islands=tuple(i for i in order if i in islands),
                    missing=tuple(i for i in order if i in missing),
                    weights_text=weights_description(weights), details=tuple(details),
                    power=powers, normal=tuple(normal_vars))
