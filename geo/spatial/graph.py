"""The neighbour graph of an area layer: ids and links as numpy arrays (CSR), nothing else.

:class:`AreaGraph` holds what the hot-spot test and merging read from spatial weights, laid
out as libpysal's ``Graph`` lays it out, so that every sum is taken over the same numbers
in the same order as libpysal, esda and scipy.sparse take it:

* the links of focal area ``i`` are ``indices[indptr[i]:indptr[i + 1]]`` (positions in
  :attr:`AreaGraph.unique_ids`, ascending, the area itself included where it has a
  self-weight) with ``weights`` beside them; an area without a neighbour is a zero-weight
  self-loop, as libpysal's builders encode an isolate (``Graph`` orders its adjacency by the
  ids on both levels, which is this order: ``test_hotspots_exact.py`` checks it);
* :meth:`~AreaGraph.lag` is scipy's CSR product (``csr_matvec``): per focal area the
  products ``weight * y[neighbour]`` added one after the other, from 0;
* :meth:`~AreaGraph.row_sums` is scipy's ``csr.sum(axis=1)``: ``np.add.reduceat`` of each
  focal area's weights;
* :meth:`~AreaGraph.transform` ``"r"`` and ``"b"`` and :meth:`~AreaGraph.assign_self_weight`
  are libpysal's ``Graph.transform`` and ``Graph.assign_self_weight``.

Why not libpysal's ``Graph`` itself: importing libpysal takes 1.5 s (it pulls in scipy.stats,
scikit-learn and sqlalchemy), most of ``prevmap export``'s time, for a table of links the
layer's builder (:mod:`geo.spatial.weights`) computes itself. scipy.sparse would cost another
0.1-0.2 s to import for three operations numpy does the same way. The layout above is kept so
that results are unchanged; the tests compare every operation with libpysal and scipy, bit
for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

# What libpysal calls the two levels of its adjacency table and the weight column.
FOCAL, NEIGHBOR, WEIGHT = "focal", "neighbor", "weight"


@dataclass(frozen=True, eq=False)
class AreaGraph:
    """Spatial weights between areas, immutable (see the module docstring for the layout).

    ``unique_ids``: the area ids in the layer's order; ``indptr``, ``indices``, ``weights``:
    the links in CSR form over positions in ``unique_ids``; ``transformation``: libpysal's
    code of how the weights were made (``"O"`` as built, ``"R"`` row-standardised, ``"B"``
    binary). Build it with :meth:`from_arrays` (or a builder of :mod:`geo.spatial.weights`).
    """

    unique_ids: pd.Index
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    transformation: str = "O"

    @classmethod
    def from_arrays(cls, ids: pd.Index | np.ndarray | list, focal: np.ndarray,
                    neighbour: np.ndarray, weights: np.ndarray,
                    transformation: str = "O") -> AreaGraph:
        """The graph of the links ``focal[k] -> neighbour[k]`` (positions in ``ids``) with
        ``weights[k]``, in any order and without duplicates; every id without a link gets a
        zero-weight self-loop (as libpysal's ``_resolve_islands``)."""
        ids = pd.Index(ids, name=FOCAL)
        n = len(ids)
        focal = np.asarray(focal, dtype=np.int64)
        neighbour = np.asarray(neighbour, dtype=np.int64)
        weights = np.asarray(weights)
        lonely = np.setdiff1d(np.arange(n, dtype=np.int64), focal)
        if len(lonely):
            focal = np.concatenate([focal, lonely])
            neighbour = np.concatenate([neighbour, lonely])
            weights = np.concatenate([weights, np.zeros(len(lonely), dtype=int)])
        order = np.lexsort((neighbour, focal))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(focal, minlength=n), out=indptr[1:])
        return cls(ids, indptr, neighbour[order], weights[order], transformation)

    @classmethod
    def from_adjacency(cls, adjacency: pd.Series, transformation: str = "O") -> AreaGraph:
        """The graph of a libpysal-style adjacency table (a Series with a ``focal``,
        ``neighbor`` MultiIndex; ``Graph.adjacency``), ids in the order of its focal level."""
        focal = adjacency.index.get_level_values(0)
        ids = focal.unique()
        return cls.from_arrays(ids, ids.get_indexer(focal),
                               ids.get_indexer(adjacency.index.get_level_values(1)),
                               adjacency.to_numpy(), transformation)

    # -- what the graph is ----------------------------------------------------------------
    @property
    def n(self) -> int:
        """The number of areas."""
        return len(self.unique_ids)

    @cached_property
    def focal(self) -> np.ndarray:
        """The focal position of every link (the CSR row of each entry)."""
        return np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.indptr))

    @cached_property
    def adjacency(self) -> pd.Series:
        """The links as libpysal's ``Graph.adjacency``: weights in a Series named ``weight``
        with a ``focal``, ``neighbor`` MultiIndex, ordered by the ids on both levels."""
        ids = self.unique_ids
        index = pd.MultiIndex.from_arrays([ids[self.focal], ids[self.indices]],
                                          names=[FOCAL, NEIGHBOR])
        table = pd.Series(self.weights, index=index, name=WEIGHT)
        return table.reindex(ids, level=0).reindex(ids, level=1)

    @cached_property
    def cardinalities(self) -> pd.Series:
        """The number of non-zero weights of each area (libpysal's ``cardinalities``: a
        self-weight counts)."""
        counts = np.add.reduceat((self.weights != 0).astype(np.int64), self.indptr[:-1]) \
            if self.n else np.zeros(0, dtype=np.int64)
        return pd.Series(counts, index=self.unique_ids, name="cardinalities")

    @cached_property
    def isolates(self) -> pd.Index:
        """The areas without a neighbour (no non-zero weight)."""
        return self.unique_ids[self.cardinalities.to_numpy() == 0]

    @cached_property
    def n_components(self) -> int:
        """The number of connected parts, links taken both ways (scipy's
        ``connected_components(..., connection="weak")``, which libpysal counts)."""
        a, b = self.focal, self.indices
        label = np.arange(self.n, dtype=np.int64)
        while True:
            low = np.minimum(label[a], label[b])
            new = label.copy()
            np.minimum.at(new, a, low)
            np.minimum.at(new, b, low)
            new = new[new]                          # follow the labels' own labels
            if np.array_equal(new, label):
                return len(np.unique(label))
            label = new

    def __getitem__(self, area: object) -> pd.Series:
        """The neighbours of ``area`` and their weights (empty for an isolate)."""
        if area in self.isolates:
            return pd.Series([], index=pd.Index([], name=NEIGHBOR), name=WEIGHT)
        i = self.unique_ids.get_loc(area)
        part = slice(self.indptr[i], self.indptr[i + 1])
        return pd.Series(self.weights[part],
                         index=pd.Index(self.unique_ids[self.indices[part]], name=NEIGHBOR),
                         name=WEIGHT)

    def neighbours(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The links to other areas with a non-zero weight, in CSR form: ``indptr``,
        ``indices`` and the weights (as scipy gives them after ``setdiag(0)`` and
        ``eliminate_zeros()``)."""
        keep = (self.indices != self.focal) & (self.weights != 0)
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.focal[keep], minlength=self.n), out=indptr[1:])
        return indptr, self.indices[keep], self.weights[keep]

    def self_weights(self) -> np.ndarray:
        """Each area's weight on itself (the diagonal; 0 where there is none), as floats."""
        out = np.zeros(self.n)
        on = self.indices == self.focal
        out[self.focal[on]] = self.weights[on]
        return out

    # -- arithmetic, in scipy.sparse's order -----------------------------------------------
    def lag(self, y: np.ndarray) -> np.ndarray:
        """The spatial lag ``W @ y`` (libpysal's ``Graph.lag``, scipy's CSR product): per
        area the products ``w_ij * y_j`` in link order, added one after the other from 0.
        A 2-d ``y`` (areas x k) gives every column's lag."""
        y = np.asarray(y, dtype=float)
        weights = self.weights.astype(float)
        if y.ndim == 1:
            return np.bincount(self.focal, weights=weights * y[self.indices],
                               minlength=self.n)
        return np.column_stack([self.lag(y[:, k]) for k in range(y.shape[1])]) \
            if y.shape[1] else np.zeros((self.n, 0))

    def row_sums(self, squared: bool = False) -> np.ndarray:
        """The sum of each area's weights (of their squares with ``squared``), as scipy's
        ``csr.sum(axis=1)`` takes it: ``np.add.reduceat`` over the area's links."""
        weights = self.weights.astype(float)
        if squared:
            weights = weights * weights
        out = np.zeros(self.n)
        filled = np.flatnonzero(np.diff(self.indptr))
        if len(filled):
            out[filled] = np.add.reduceat(weights, self.indptr[filled])
        return out

    # -- new graphs ------------------------------------------------------------------------
    def _with(self, weights: np.ndarray, transformation: str) -> AreaGraph:
        return AreaGraph(self.unique_ids, self.indptr, self.indices, weights, transformation)

    def transform(self, transformation: str) -> AreaGraph:
        """libpysal's ``Graph.transform`` for ``"r"`` (each area's weights divided by their
        sum; an isolate's zero stays 0) and ``"b"`` (1 where the weight is non-zero, as
        integers); the graph itself when it already has that transformation."""
        code = transformation.upper()
        if code == self.transformation:
            return self
        if code == "R":
            sums = np.zeros(self.n, dtype=self.weights.dtype)
            filled = np.flatnonzero(np.diff(self.indptr))
            if len(filled):
                sums[filled] = np.add.reduceat(self.weights, self.indptr[filled])
            with np.errstate(divide="ignore", invalid="ignore"):
                standardised = self.weights / sums[self.focal]
            return self._with(np.nan_to_num(standardised, nan=0.0, posinf=np.inf,
                                            neginf=-np.inf), "R")
        if code == "B":
            return self._with((self.weights != 0).astype(int), "B")
        raise ValueError(f"transformation '{transformation}' is not supported here; use "
                         "'r' (row-standardised) or 'b' (binary).")

    def assign_self_weight(self, weight: float = 1.0) -> AreaGraph:
        """libpysal's ``Graph.assign_self_weight``: every area's weight on itself set to
        ``weight`` (added where it had none); the result's transformation is ``"O"``."""
        off = self.indices != self.focal
        n = self.n
        focal = np.concatenate([self.focal[off], np.arange(n, dtype=np.int64)])
        neighbour = np.concatenate([self.indices[off], np.arange(n, dtype=np.int64)])
        weights = np.concatenate([self.weights[off], np.full(n, weight)])
        return AreaGraph.from_arrays(self.unique_ids, focal, neighbour, weights)

    def subgraph(self, ids: pd.Index | np.ndarray | list) -> AreaGraph:
        """libpysal's ``Graph.subgraph``: the areas ``ids`` (in that order) and the links
        between them; an area left without a link becomes a zero-weight self-loop."""
        ids = pd.Index(ids)
        old = self.unique_ids.get_indexer(ids)
        if (old < 0).any():
            raise KeyError(f"ids not in the graph: {list(ids[old < 0][:5])}")
        new = np.full(self.n, -1, dtype=np.int64)
        new[old] = np.arange(len(ids), dtype=np.int64)
        keep = (new[self.focal] >= 0) & (new[self.indices] >= 0)
        return AreaGraph.from_arrays(ids, new[self.focal[keep]], new[self.indices[keep]],
                                     self.weights[keep], "O")
