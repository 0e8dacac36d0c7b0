"""Distances between a village's patrol stops over the walk network (see :mod:`.patrol`).

Stops snap to their nearest road nodes; Dijkstra runs from the stops only, bounded by a
search radius that grows until every reachable stop is found (so the result is exact);
pairs the network cannot join fall back to straight-line.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from planner.core.network import RoadGraph

_DIJKSTRA_CHUNK = 64
# first search radius: _DETOUR * the stops' span + _SLACK_M. Walking between a village's
# stops takes 1.14x their span at the median (1.34x at the 90th percentile, on the demo),
# so most villages are done in one pass; the few rows that miss a stop search again with a
# radius sure to reach it. A wider first radius costs more than those second passes (the
# searched area grows with its square): 2.0x + 1 km took 2.7x as long as this.
_DETOUR = 1.2
_SLACK_M = 200.0
_GROWTH = 2.0          # the radius grows by this factor while stops are missing
_SEAT_CHOICES = 5      # a village seat may use any of its 5 nearest road nodes ...
_SEAT_SNAP_M = 300.0   # ... within 300 m (the nearest may be on a road without a junction)


class PatrolNetwork:
    """A road network prepared once: node tree, weak components, bounded Dijkstra."""

    def __init__(self, graph: RoadGraph) -> None:
        self.node_xy, self.csr = np.asarray(graph.node_xy, dtype=float), graph.walk
        self.tree = cKDTree(self.node_xy)
        self._pos = np.full(len(self.node_xy), -1, dtype=np.int64)
        self.labels = connected_components(self.csr, directed=True, connection="weak")[1]
        span = self.node_xy.max(axis=0) - self.node_xy.min(axis=0) if len(self.node_xy) else 0
        self.extent = float(np.hypot(*span)) if len(self.node_xy) else 0.0

    def _subgraph(self, keep: np.ndarray) -> sp.csr_matrix:
        """The network restricted to the sorted nodes ``keep`` (renumbered 0..k-1)."""
        self._pos[keep] = np.arange(len(keep))
        lo, hi = self.csr.indptr[keep], self.csr.indptr[keep + 1]
        lens = hi - lo
        at = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
        col = self._pos[self.csr.indices[at]]
        self._pos[keep] = -1
        ok = col >= 0
        row = np.repeat(np.arange(len(keep)), lens)[ok]
        indptr = np.r_[0, np.cumsum(np.bincount(row, minlength=len(keep)))]
        return sp.csr_matrix((self.csr.data[at][ok], col[ok], indptr),
                             shape=(len(keep), len(keep)))

    def node_distances(self, nodes: np.ndarray) -> np.ndarray:
        """Exact shortest-path distances between ``nodes`` (inf where unreachable).

        Dijkstra runs from these nodes only, bounded by a search radius, on the part of the
        network within that radius of them (a path no longer than the radius cannot leave
        it, so every distance found is exact). The first radius is ``_DETOUR`` times the
        nodes' span plus ``_SLACK_M``. Rows still missing a node of the same component run
        again with a radius that is sure to reach it: the longest detour through a third
        node, ``max_j min_k d(i, k) + d(k, j)``; where no such detour is known yet, the
        radius grows by ``_GROWTH``, at last to the whole network without bound.
        """
        n = len(nodes)
        out = np.full((n, n), np.inf)
        if n == 0:
            return out
        np.fill_diagonal(out, 0.0)
        pxy = self.node_xy[nodes]
        centre = 0.5 * (pxy.max(axis=0) + pxy.min(axis=0))
        half = 0.5 * float(np.hypot(*(pxy.max(axis=0) - pxy.min(axis=0))))
        limit = _DETOUR * 2 * half + _SLACK_M
        same = self.labels[nodes][:, None] == self.labels[nodes][None, :]
        todo = np.arange(n) if n > 1 else np.zeros(0, dtype=np.int64)
        while len(todo):
            if 2 * (half + limit) < self.extent:
                keep = np.sort(self.tree.query_ball_point(centre, half + limit))
                csr, local = self._subgraph(keep), np.searchsorted(keep, nodes)
            else:
                csr, local, limit = self.csr, nodes, np.inf
            for c in range(0, len(todo), _DIJKSTRA_CHUNK):
                rows = todo[c:c + _DIJKSTRA_CHUNK]
                out[rows] = dijkstra(csr, directed=True, indices=local[rows],
                                     limit=limit)[:, local]
            missing = ~np.isfinite(out) & same
            todo = np.flatnonzero(missing.any(axis=1))
            if not len(todo) or not np.isfinite(limit):
                break
            via = (out[todo][:, :, None] + out[None, :, :]).min(axis=1)  # (todo, n)
            need = np.where(missing[todo], via, 0.0).max(axis=1)
            limit = (float(need[np.isfinite(need)].max()) * (1 + 1e-9)
                     if np.isfinite(need).any() else limit * _GROWTH)
        return out

    def distances(self, xy: np.ndarray, *, seat_node: int | None = None,
                  choose_seat: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
        """Matrix between metric points (row 0 the seat), road mask, and the seat's node.

        Points snap to their nearest nodes; the seat snaps to ``seat_node`` if given, else
        with ``choose_seat`` to the best of its ``_SEAT_CHOICES`` nearest nodes within
        ``_SEAT_SNAP_M`` (always including the nearest): the one from which the other points
        are reachable, then nearest in total there and back.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        snap_d, node = self.tree.query(xy) if n else (np.zeros(0), np.zeros(0, np.int64))
        snap_d, node = np.asarray(snap_d, dtype=float), np.asarray(node, dtype=np.int64)
        cd, cand = np.zeros(0), np.zeros(0, dtype=np.int64)
        if seat_node is not None and n:
            node[0] = seat_node
            snap_d[0] = float(np.hypot(*(xy[0] - self.node_xy[seat_node])))
        elif choose_seat and n > 1:
            cd, cand = self.tree.query(xy[0], k=min(_SEAT_CHOICES, len(self.node_xy)))
            cd, cand = np.atleast_1d(cd), np.atleast_1d(cand)
            ok = cd <= max(_SEAT_SNAP_M, float(cd[0]))
            cd, cand = cd[ok], cand[ok]
        uniq, inv = np.unique(np.concatenate((node, cand)), return_inverse=True)
        net = self.node_distances(uniq)
        if len(cand) > 1:
            ci, si = inv[n:], inv[1:n]
            trips = net[np.ix_(ci, si)] + net[np.ix_(si, ci)].T + 2 * cd[:, None]
            lost = (~np.isfinite(trips)).sum(axis=1)
            best = int(np.lexsort((np.where(np.isfinite(trips), trips, 0.0).sum(axis=1),
                                   lost))[0])
            node[0], snap_d[0], inv[0] = cand[best], cd[best], ci[best]
        inv = inv[:n]
        full = net[np.ix_(inv, inv)] + snap_d[:, None] + snap_d[None, :]
        np.fill_diagonal(full, 0.0)
        return full, np.isfinite(full), int(node[0]) if n else -1


def _straight(xy: np.ndarray) -> np.ndarray:
    return np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])


def point_distances(xy: np.ndarray, net: PatrolNetwork | None, *,
                    seat_node: int | None = None,
                    choose_seat: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Distances between metric points ``xy`` (row 0 a village seat) over ``net``.

    Returns
    -------
    tuple
        ``(distances, road, seat)``: the matrix (road distance where the network joins a
        pair, else straight-line), the mask of road-measured pairs and the seat's road node
        (``-1`` without a network); ``seat_node`` and ``choose_seat`` as in
        :meth:`PatrolNetwork.distances`.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    straight = _straight(xy)
    if net is None or len(xy) == 0:
        return straight, np.zeros(straight.shape, dtype=bool), -1
    full, road, seat = net.distances(xy, seat_node=seat_node, choose_seat=choose_seat)
    return np.where(road, full, straight), road, seat


def stop_distances(xy: np.ndarray, *, graph: RoadGraph | None,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise distances between stops (metric ``xy``) and a mask of road-measured pairs.

    With a road ``graph`` (its walk network) the stops snap to their nearest nodes and Dijkstra runs
    from those nodes only; pairs the network cannot join fall back to straight-line.
    """
    return point_distances(xy, None if graph is None else PatrolNetwork(graph))[:2]
