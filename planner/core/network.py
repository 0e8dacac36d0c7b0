"""Road-network numeric core: arrays in, arrays out, no geometry.

A :class:`RoadGraph` holds node coordinates in a metric CRS and, per travel mode
(``"walk"`` and ``"drive"``), a ``scipy.sparse.csr_matrix`` of edge lengths in
metres. All searches run on :mod:`scipy.sparse.csgraph`: the nearest site of a
kind is found for *every* node with a single multi-source Dijkstra pass
(``min_only=True``), never one search per site.

Direction convention
--------------------
Distances are measured *from* a node (a village) *to* a source (a site). For the
directed drive graph the searches therefore run on the transposed matrix; the
walk graph is symmetric (pedestrians ignore ``oneway``).

Reachable snapping
------------------
Real OSM extracts contain fragments (a private yard, a lane cut off by the
clipping polygon, a one-way street leaving the extract). :func:`component_mask`
marks the largest strongly connected component ("the core") of a mode's graph;
:func:`reachable_masks` widens it to every node *from which the core can be
reached* (eligible origins: demand points) and every node *that can be reached
from the core* (eligible destinations: sites). A demand point snapped to an origin
node and a site snapped to a destination node are always joined by a finite
network path (origin -> core -> destination), so nothing is silently unreachable;
in a directed city network this keeps far more nodes than the core alone (dead-end
one-way streets, exits). Points whose nearest node of any kind lies elsewhere are
counted by :func:`snap_report`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from planner._errors import ModelError
from planner.glossary import MODES

_SOURCE_BATCH = 32  # sources per Dijkstra call: ~9 MB of distances per 35,000 nodes


@dataclass(frozen=True)
class RoadGraph:
    """A road network ready for shortest-path searches.

    Attributes
    ----------
    node_xy : numpy.ndarray
        ``(n_nodes, 2)`` float array of node coordinates in the caller's metric CRS.
    walk : scipy.sparse.csr_matrix
        ``(n_nodes, n_nodes)`` symmetric matrix of edge lengths (metres) usable on foot.
    drive : scipy.sparse.csr_matrix
        ``(n_nodes, n_nodes)`` directed matrix of edge lengths (metres) usable by car;
        ``drive[i, j]`` is the edge from ``i`` to ``j``.
    n_edges : int
        Number of input edges kept (after dropping self-loops).
    """

    node_xy: np.ndarray
    walk: sp.csr_matrix
    drive: sp.csr_matrix
    n_edges: int

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    def matrix(self, mode: str) -> sp.csr_matrix:
        """Return the edge-length matrix of ``mode`` (``"walk"`` or ``"drive"``)."""
        _check_mode(mode)
        return self.walk if mode == "walk" else self.drive

    def to_source_matrix(self, mode: str) -> sp.csr_matrix:
        """Matrix whose searches from a source give distances *to* that source."""
        _check_mode(mode)
        return self.walk if mode == "walk" else self._drive_t

    def __post_init__(self) -> None:
        object.__setattr__(self, "_drive_t", self.drive.T.tocsr())
        object.__setattr__(self, "_cache", {})

    def cached(self, key: tuple, build, *, keep: int | None = None):
        """``build()`` once per ``key`` for this graph (masks, search trees and searches
        derived from it: the graph is immutable, so they never go stale). With ``keep``, at
        most that many entries of the key's kind (``key[0]``) stay, the oldest dropped."""
        cache = self._cache
        if key in cache:
            return cache[key]
        value = build()
        if keep is not None:
            same = [k for k in cache if k[0] == key[0]]
            for old in same[:max(0, len(same) - keep + 1)]:
                del cache[old]
        cache[key] = value
        return value


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ModelError(f"unknown travel mode {mode!r}; use one of {', '.join(MODES)}")


def _min_csr(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix keeping the *shortest* of parallel edges (COO would sum them)."""
    if rows.size == 0:
        return sp.csr_matrix((n, n), dtype=float)
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    m = sp.csr_matrix((w[first], (rows[first], cols[first])), shape=(n, n))
    m.sort_indices()
    return m


def build_graph(
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    *,
    n_nodes: int,
    node_xy: np.ndarray | None = None,
    oneway: np.ndarray | None = None,
    walk: np.ndarray | None = None,
    drive: np.ndarray | None = None,
) -> RoadGraph:
    """Build a :class:`RoadGraph` from edge arrays.

    Parameters
    ----------
    u, v : numpy.ndarray
        Integer node indices (``0 <= u, v < n_nodes``) of each edge; a one-way edge
        runs from ``u`` to ``v``.
    length : numpy.ndarray
        Edge lengths in metres (finite, >= 0).
    n_nodes : int
        Number of nodes.
    node_xy : numpy.ndarray, optional
        ``(n_nodes, 2)`` metric node coordinates (needed for :func:`snap`); NaN if absent.
    oneway : numpy.ndarray of bool, optional
        Edges drivable only from ``u`` to ``v``. Default: all two-way.
    walk, drive : numpy.ndarray of bool, optional
        Whether pedestrians / cars may use each edge. Default: all allowed.

    Returns
    -------
    RoadGraph
        Parallel edges keep their shortest length; self-loops are dropped.

    Raises
    ------
    ModelError
        If the arrays disagree in length or hold out-of-range indices or bad lengths.
    """
    u = np.asarray(u, dtype=np.int64).ravel()
    v = np.asarray(v, dtype=np.int64).ravel()
    length = np.asarray(length, dtype=float).ravel()
    m = u.size

    def _flags(a: np.ndarray | None, default: bool, name: str) -> np.ndarray:
        if a is None:
            return np.full(m, default)
        a = np.asarray(a, dtype=bool).ravel()
        if a.size != m:
            raise ModelError(
                f"build_graph: {name} has {a.size} values for {m} edges; pass one per edge"
            )
        return a

    if v.size != m or length.size != m:
        raise ModelError(
            f"build_graph: u, v, length have {m}, {v.size}, {length.size} values; pass one per edge"
        )
    if m and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_nodes):
        raise ModelError(f"build_graph: node index outside 0..{n_nodes - 1}; renumber the nodes")
    if m and not (np.all(np.isfinite(length)) and length.min() >= 0):
        raise ModelError(
            "build_graph: edge lengths must be finite and >= 0; check the CRS and edges"
        )
    oneway_a = _flags(oneway, False, "oneway")
    walk_a = _flags(walk, True, "walk")
    drive_a = _flags(drive, True, "drive")
    if node_xy is None:
        xy = np.full((n_nodes, 2), np.nan)
    else:
        xy = np.asarray(node_xy, dtype=float)
        if xy.shape != (n_nodes, 2):
            raise ModelError(f"build_graph: node_xy has shape {xy.shape}; expected ({n_nodes}, 2)")

    keep = u != v
    u, v, length = u[keep], v[keep], length[keep]
    oneway_a, walk_a, drive_a = oneway_a[keep], walk_a[keep], drive_a[keep]

    wu, wv, wl = u[walk_a], v[walk_a], length[walk_a]
    walk_m = _min_csr(np.r_[wu, wv], np.r_[wv, wu], np.r_[wl, wl], n_nodes)
    two = drive_a & ~oneway_a
    du = np.r_[u[drive_a], v[two]]
    dv = np.r_[v[drive_a], u[two]]
    dl = np.r_[length[drive_a], length[two]]
    drive_m = _min_csr(du, dv, dl, n_nodes)
    return RoadGraph(node_xy=xy, walk=walk_m, drive=drive_m, n_edges=int(u.size))


def _with_starts(mat: sp.csr_matrix, nodes: np.ndarray, length: np.ndarray) -> sp.csr_matrix:
    """``mat`` with one extra start node per entry of ``nodes`` and an arc of ``length`` from
    it to that node; the arrays are concatenated, never re-sorted (the extra rows come last)."""
    n, k = mat.shape[0], nodes.size
    idx = mat.indices.dtype
    return sp.csr_matrix(
        (np.concatenate([mat.data, length]), np.concatenate([mat.indices, nodes.astype(idx)]),
         np.concatenate([mat.indptr, (mat.nnz + np.arange(1, k + 1)).astype(mat.indptr.dtype)])),
        shape=(n + k, n + k),
    )


def component_mask(graph: RoadGraph, *, mode: str = "walk") -> np.ndarray:
    """Boolean mask of the nodes in the largest strongly connected component of ``mode``.

    Nodes with no edge of that mode are never in the mask. For the symmetric walk
    graph strong and weak connectivity coincide.
    """
    m = graph.matrix(mode)
    n = graph.n_nodes
    if m.nnz == 0:
        return np.zeros(n, dtype=bool)
    _, labels = csgraph.connected_components(m, directed=True, connection="strong")
    has_edge = (np.diff(m.indptr) > 0) | (np.bincount(m.indices, minlength=n) > 0)
    counts = np.bincount(labels[has_edge])
    return has_edge & (labels == int(np.argmax(counts)))


def _reach(m: sp.csr_matrix, seeds: np.ndarray) -> np.ndarray:
    """Nodes reachable from any seed along the edges of ``m`` (one BFS from a super-node)."""
    n = m.shape[0]
    k = seeds.size
    link = sp.csr_matrix((np.ones(k), (np.zeros(k, dtype=np.int64), seeds)), shape=(1, n + 1))
    aug = sp.vstack([sp.hstack([m, sp.csr_matrix((n, 1))]), link], format="csr")
    order = csgraph.breadth_first_order(aug, n, directed=True, return_predecessors=False)
    out = np.zeros(n + 1, dtype=bool)
    out[order] = True
    return out[:n]


def reachable_masks(graph: RoadGraph, *, mode: str = "walk") -> tuple[np.ndarray, np.ndarray]:
    """Nodes a trip can start from and end at, in ``mode``, through the core of the network.

    Parameters
    ----------
    graph : RoadGraph
        The network.
    mode : {"walk", "drive"}
        Travel mode.

    Returns
    -------
    origin : numpy.ndarray of bool
        Nodes from which the largest strongly connected component can be reached.
    destination : numpy.ndarray of bool
        Nodes that can be reached from it. Every origin reaches every destination; for the
        symmetric walk graph both equal :func:`component_mask`.
    """
    return graph.cached(("reachable", mode), lambda: _reachable_masks(graph, mode))


def _reachable_masks(graph: RoadGraph, mode: str) -> tuple[np.ndarray, np.ndarray]:
    core = component_mask(graph, mode=mode)
    if not core.any():
        return core, core.copy()
    seeds = np.flatnonzero(core)
    m = graph.matrix(mode)
    if mode == "walk":
        return core, core.copy()
    return _reach(graph.to_source_matrix(mode), seeds), _reach(m, seeds)


def snap_report(snap_dist: np.ndarray, *, nearest_ok: np.ndarray | None = None,
                near_m: float = 500.0) -> dict:
    """JSON-ready snapping figures of one layer: how many points, how far they snapped.

    Parameters
    ----------
    snap_dist : numpy.ndarray
        Snap distances in metres (from :func:`snap`).
    nearest_ok : numpy.ndarray of bool, optional
        Whether each point's nearest node of *any* kind was eligible (else it had to go to
        a farther, reachable one).
    near_m : float
        A point counts as snapped when it lies within this many metres of the network.

    Returns
    -------
    dict
        ``points``, ``snapped`` (within ``near_m``), ``share_snapped``, ``max_snap_m``,
        ``mean_snap_m`` and ``moved_to_reachable`` (points whose nearest node was cut off).
    """
    d = np.asarray(snap_dist, dtype=float).ravel()
    k = int(d.size)
    snapped = int((d <= near_m).sum())
    moved = 0 if nearest_ok is None else int((~np.asarray(nearest_ok, dtype=bool)).sum())
    return {
        "points": k, "snapped": snapped, "near_m": float(near_m),
        "share_snapped": None if k == 0 else round(snapped / k, 4),
        "max_snap_m": None if k == 0 else round(float(d.max()), 1),
        "mean_snap_m": None if k == 0 else round(float(d.mean()), 1),
        "moved_to_reachable": moved,
    }


def snap(
    points_xy: np.ndarray,
    *,
    node_xy: np.ndarray,
    node_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Snap points to their nearest network node.

    Parameters
    ----------
    points_xy : numpy.ndarray
        ``(k, 2)`` metric coordinates.
    node_xy : numpy.ndarray
        ``(n, 2)`` metric node coordinates.
    node_mask : numpy.ndarray of bool, optional
        Only nodes where the mask is True are eligible (e.g. :func:`component_mask`).

    Returns
    -------
    node_idx : numpy.ndarray
        Index (into ``node_xy``) of each point's nearest eligible node.
    snap_dist : numpy.ndarray
        Straight-line distance in metres from each point to that node.
    """
    pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    nodes = np.asarray(node_xy, dtype=float).reshape(-1, 2)
    eligible = np.arange(nodes.shape[0])
    if node_mask is not None:
        eligible = np.flatnonzero(np.asarray(node_mask, dtype=bool))
    if eligible.size == 0:
        raise ModelError("snap: no eligible network node; the road network is empty for this mode")
    if not np.all(np.isfinite(pts)):
        raise ModelError("snap: point coordinates must be finite; check the demand/site geometry")
    if not np.all(np.isfinite(nodes[eligible])):
        raise ModelError("snap: the graph has no node coordinates; pass node_xy to build_graph")
    if pts.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    dist, j = cKDTree(nodes[eligible]).query(pts)
    return eligible[j].astype(np.int64), np.asarray(dist, dtype=float)


def snap_to_graph(points_xy: np.ndarray, graph: RoadGraph, *, mode: str,
                  end: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`snap` onto the nodes of ``graph`` a trip in ``mode`` can start from
    (``end="origin"``), end at (``"destination"``) or that have any edge (``"any"``), with
    the search tree built once per graph (a planning studio snaps one site at a time)."""
    def build():
        origin, dest = reachable_masks(graph, mode=mode)
        m = graph.matrix(mode)
        has_edge = (np.diff(m.indptr) > 0) | (np.bincount(m.indices, minlength=graph.n_nodes) > 0)
        mask = {"origin": origin, "destination": dest, "any": has_edge}[end]
        eligible = np.flatnonzero(mask)
        if eligible.size == 0:
            raise ModelError("snap: no eligible network node; the road network is empty for "
                             "this mode")
        return eligible, cKDTree(graph.node_xy[eligible])

    eligible, tree = graph.cached(("snap", mode, end), build)
    pts = np.asarray(points_xy, dtype=float).reshape(-1, 2)
    if not np.all(np.isfinite(pts)):
        raise ModelError("snap: point coordinates must be finite; check the demand/site geometry")
    if pts.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    dist, j = tree.query(pts)
    return eligible[j].astype(np.int64), np.asarray(dist, dtype=float)


def nearest_source_distance(
    graph: RoadGraph,
    *,
    sources: np.ndarray,
    offsets: np.ndarray | None = None,
    mode: str = "walk",
    limit: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Network distance from every node to its nearest source, in one search.

    Parameters
    ----------
    graph : RoadGraph
        The network.
    sources : numpy.ndarray
        Node indices of the sources (e.g. the snapped sites of one kind).
    offsets : numpy.ndarray, optional
        Extra metres added at each source (e.g. the site's own snap distance).
        Implemented exactly with one virtual node per source, so one pass still
        finds the minimum of ``offset_i + d(node, source_i)``.
    mode : {"walk", "drive"}
        Travel mode; drive respects one-way edges (distance *to* the source).
    limit : float
        Stop the search beyond this many metres (farther nodes get ``inf``).

    Returns
    -------
    dist : numpy.ndarray
        ``(n_nodes,)`` metres to the nearest source; ``inf`` if unreachable.
    nearest : numpy.ndarray
        Position in ``sources`` of that source; ``-1`` if unreachable.
    """
    src = np.asarray(sources, dtype=np.int64).ravel()
    off = None if offsets is None else np.asarray(offsets, dtype=float).ravel()
    # the same search asked again (a planning studio's unchanged kinds) is answered from
    # the graph's cache; the arrays are returned read-only
    digest = hashlib.blake2b(src.tobytes() + (b"" if off is None else off.tobytes()),
                             digest_size=16).hexdigest()
    return graph.cached(("nearest", mode, float(limit), digest),
                        lambda: _frozen(_nearest(graph, src, off, mode, limit)), keep=32)


def _frozen(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _nearest(graph: RoadGraph, src: np.ndarray, offsets: np.ndarray | None, mode: str,
             limit: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_source_distance` without the cache."""
    n = graph.n_nodes
    if src.size == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    if src.min() < 0 or src.max() >= n:
        raise ModelError(f"nearest_source_distance: source index outside 0..{n - 1}")
    mat = graph.to_source_matrix(mode)
    if offsets is None or not np.any(np.asarray(offsets, dtype=float)):
        uniq, first = np.unique(src, return_index=True)
        dist, _, origin = csgraph.dijkstra(
            mat, indices=uniq, min_only=True, return_predecessors=True, limit=limit
        )
        pos = np.full(n, -1, dtype=np.int64)
        pos[uniq] = first
        nearest = np.where(origin >= 0, pos[np.maximum(origin, 0)], -1)
        return dist, nearest
    off = np.asarray(offsets, dtype=float).ravel()
    if off.size != src.size or not np.all(np.isfinite(off)) or off.min() < 0:
        raise ModelError("nearest_source_distance: offsets must be finite, >= 0, one per source")
    aug = _with_starts(mat, src, off)
    k = src.size
    dist, _, origin = csgraph.dijkstra(
        aug, indices=np.arange(n, n + k), min_only=True, return_predecessors=True, limit=limit
    )
    dist = dist[:n]
    origin = origin[:n]
    nearest = np.where(origin >= 0, origin - n, -1).astype(np.int64)
    return dist, nearest


def distances_within(
    graph: RoadGraph,
    *,
    sources: np.ndarray,
    targets: np.ndarray,
    limit: float,
    mode: str = "walk",
    source_offsets: np.ndarray | None = None,
    target_offsets: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Sparse matrix of target-to-source network distances up to ``limit``.

    For the placement optimiser: one limited Dijkstra per source (run in batches
    so memory stays ``O(batch * n_nodes)``).

    Parameters
    ----------
    graph : RoadGraph
        The network.
    sources, targets : numpy.ndarray
        Node indices of candidate sites (columns) and demand points (rows).
    limit : float
        Maximum total distance in metres (including offsets) to keep.
    mode : {"walk", "drive"}
        Travel mode; the distance is from the target *to* the source.
    source_offsets, target_offsets : numpy.ndarray, optional
        Metres added at each source / target (their snap distances).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(len(targets), len(sources))``. Every pair within ``limit`` is stored
        *explicitly*, including exact zeros: test membership with the sparsity
        structure (e.g. ``m[i].indices``), not with ``value != 0``.
    """
    src = np.asarray(sources, dtype=np.int64).ravel()
    tgt = np.asarray(targets, dtype=np.int64).ravel()
    s_off = np.zeros(src.size) if source_offsets is None else np.asarray(source_offsets, float)
    t_off = np.zeros(tgt.size) if target_offsets is None else np.asarray(target_offsets, float)
    if s_off.shape != src.shape or t_off.shape != tgt.shape:
        raise ModelError("distances_within: give one offset per source and per target")
    if not np.isfinite(limit) or limit < 0:
        raise ModelError(f"distances_within: limit must be finite and >= 0, got {limit}")
    n = graph.n_nodes
    for name, a in (("sources", src), ("targets", tgt)):
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ModelError(f"distances_within: {name} index outside 0..{n - 1}")
    mat = graph.to_source_matrix(mode)
    rows, cols, vals = [], [], []
    for start in range(0, src.size, _SOURCE_BATCH):
        block = np.arange(start, min(start + _SOURCE_BATCH, src.size))
        d = csgraph.dijkstra(mat, indices=src[block], limit=limit)[:, tgt]
        total = d + s_off[block, None] + t_off[None, :]
        bi, ti = np.nonzero(total <= limit)
        rows.append(ti)
        cols.append(block[bi])
        vals.append(total[bi, ti])
    if not rows:
        return sp.csr_matrix((tgt.size, src.size), dtype=float)
    r, c, x = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    out = sp.csr_matrix((x, (r, c)), shape=(tgt.size, src.size))
    out.sort_indices()
    return out
