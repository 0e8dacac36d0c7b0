"""planner.network: multi-source fast path against networkx Dijkstra, snapping, components."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.spatial import cKDTree

from planner._errors import ModelError
from planner.core.network import (
    build_graph,
    component_mask,
    distances_within,
    nearest_source_distance,
    snap,
)


def _canal_grid(n: int = 12, spacing: float = 100.0, seed: int = 0):
    """Jittered lane grid cut by a north-south canal, crossed only by one bridge."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xy = np.column_stack([jj.ravel() * spacing, ii.ravel() * spacing])
    xy = xy + rng.uniform(-20, 20, xy.shape)
    xy[jj.ravel() >= n // 2, 0] += 60.0  # the canal is 60 m wide
    idx = (ii * n + jj)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    col_u = np.r_[jj[:, :-1].ravel(), jj[:-1, :].ravel()]
    col_v = np.r_[jj[:, 1:].ravel(), jj[1:, :].ravel()]
    row_u = np.r_[ii[:, :-1].ravel(), ii[:-1, :].ravel()]
    crosses = (col_u < n // 2) & (col_v >= n // 2)
    keep = ~crosses | (row_u == n // 3)  # the bridge
    u, v = u[keep], v[keep]
    length = np.hypot(*(xy[u] - xy[v]).T)
    return xy, u, v, length


def _random_geometric(n: int, seed: int):
    """Random geometric graph plus a detached fragment, some edges one-way."""
    rng = np.random.default_rng(seed)
    g = nx.random_geometric_graph(n, 0.09, seed=seed)
    xy = np.array([g.nodes[i]["pos"] for i in range(n)]) * 3000.0
    e = np.array(sorted(g.edges()), dtype=np.int64).reshape(-1, 2)
    frag = np.array([[n, n + 1], [n + 1, n + 2]])
    xy = np.r_[xy, [[9000.0, 9000.0], [9050.0, 9000.0], [9100.0, 9020.0]]]
    e = np.r_[e, frag]
    u, v = e[:, 0], e[:, 1]
    length = np.hypot(*(xy[u] - xy[v]).T)
    oneway = rng.random(u.size) < 0.2
    drive = rng.random(u.size) < 0.9
    return xy, u, v, length, oneway, drive


def _nx_graph(n, u, v, length, *, directed_mask=None, allowed=None):
    """networkx view: edges i->j meaning travel from i to j (both ways unless directed)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    allowed = np.ones(u.size, dtype=bool) if allowed is None else allowed
    one = np.zeros(u.size, dtype=bool) if directed_mask is None else directed_mask
    for a, b, w, ok, o in zip(u, v, length, allowed, one, strict=True):
        if not ok or a == b:
            continue
        for s, t in ((a, b),) if o else ((a, b), (b, a)):
            if not g.has_edge(s, t) or g[s][t]["weight"] > w:
                g.add_edge(int(s), int(t), weight=float(w))
    return g


def _nx_nearest(g: nx.DiGraph, sources, offsets=None) -> np.ndarray:
    """Per-source networkx Dijkstra (distance *to* the source), then the minimum."""
    rev = g.reverse(copy=True)
    best = np.full(g.number_of_nodes(), np.inf)
    offsets = np.zeros(len(sources)) if offsets is None else offsets
    for s, off in zip(sources, offsets, strict=True):
        for node, d in nx.single_source_dijkstra_path_length(rev, int(s)).items():
            best[node] = min(best[node], d + off)
    return best


def test_canal_grid_matches_networkx_and_bridge_is_used():
    xy, u, v, length = _canal_grid()
    n = xy.shape[0]
    graph = build_graph(u, v, length, n_nodes=n, node_xy=xy)
    sources = np.array([0, 13, 50])  # all west of the canal
    dist, nearest = nearest_source_distance(graph, sources=sources, mode="walk")
    expected = _nx_nearest(_nx_graph(n, u, v, length), sources)
    np.testing.assert_allclose(dist, expected, rtol=0, atol=1e-6)
    # the nearest source is really at that distance
    g = _nx_graph(n, u, v, length)
    for node in (n - 1, n // 2 + 3, 77):
        d = nx.dijkstra_path_length(g, node, int(sources[nearest[node]]))
        assert d == pytest.approx(dist[node], abs=1e-6)
    # east bank nodes must travel via the bridge: longer than the straight line
    east = xy[:, 0] > xy[:, 0].mean() + 100
    straight = np.hypot(*(xy[east][:, None, :] - xy[sources][None, :, :]).transpose(2, 0, 1)).min(1)
    assert np.all(dist[east] > straight)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_random_geometric_matches_networkx(seed, mode):
    xy, u, v, length, oneway, drive = _random_geometric(250, seed)
    n = xy.shape[0]
    graph = build_graph(u, v, length, n_nodes=n, node_xy=xy, oneway=oneway, drive=drive)
    rng = np.random.default_rng(seed)
    sources = rng.choice(250, size=7, replace=False)
    dist, nearest = nearest_source_distance(graph, sources=sources, mode=mode)
    g = _nx_graph(n, u, v, length, directed_mask=oneway if mode == "drive" else None,
                  allowed=drive if mode == "drive" else None)
    expected = _nx_nearest(g, sources)
    np.testing.assert_allclose(dist, expected, rtol=0, atol=1e-6)
    assert np.all(np.isinf(dist[-3:])) and np.all(nearest[-3:] == -1)
    assert np.all((nearest >= 0) == np.isfinite(dist))


@pytest.mark.parametrize("seed", [4, 5])
def test_offsets_match_networkx_with_virtual_nodes(seed):
    xy, u, v, length, oneway, drive = _random_geometric(200, seed)
    n = xy.shape[0]
    graph = build_graph(u, v, length, n_nodes=n, node_xy=xy, oneway=oneway)
    rng = np.random.default_rng(seed)
    sources = np.r_[rng.choice(200, size=6, replace=False), 0]
    sources[-1] = sources[0]  # two sites snapped to one node
    offsets = rng.uniform(0, 400, sources.size)
    offsets[1] = 0.0
    dist, nearest = nearest_source_distance(graph, sources=sources, offsets=offsets, mode="drive")
    g = _nx_graph(n, u, v, length, directed_mask=oneway)
    np.testing.assert_allclose(dist, _nx_nearest(g, sources, offsets), rtol=0, atol=1e-6)
    ok = nearest >= 0
    for node in np.flatnonzero(ok)[:25]:
        s = nearest[node]
        d = nx.dijkstra_path_length(g, int(node), int(sources[s])) + offsets[s]
        assert d == pytest.approx(dist[node], abs=1e-6)


def test_limit_and_empty_sources():
    xy, u, v, length = _canal_grid(6)
    graph = build_graph(u, v, length, n_nodes=36, node_xy=xy)
    full, _ = nearest_source_distance(graph, sources=[0], mode="walk")
    lim, near = nearest_source_distance(graph, sources=[0], mode="walk", limit=300.0)
    assert np.all(lim[full <= 300] == full[full <= 300])
    assert np.all(np.isinf(lim[full > 300])) and np.all(near[full > 300] == -1)
    d, near = nearest_source_distance(graph, sources=np.array([], dtype=int))
    assert np.all(np.isinf(d)) and np.all(near == -1)


def test_distances_within_matches_networkx():
    xy, u, v, length, oneway, _ = _random_geometric(220, 7)
    n = xy.shape[0]
    graph = build_graph(u, v, length, n_nodes=n, node_xy=xy, oneway=oneway)
    rng = np.random.default_rng(7)
    sources = rng.choice(n, size=9, replace=False)
    targets = np.r_[rng.choice(n, size=40, replace=False), sources[:2]]
    s_off = rng.uniform(0, 50, sources.size)
    t_off = rng.uniform(0, 50, targets.size)
    s_off[0] = t_off[-2] = 0.0  # an exact zero must stay stored
    limit = 900.0
    m = distances_within(graph, sources=sources, targets=targets, limit=limit, mode="drive",
                         source_offsets=s_off, target_offsets=t_off)
    assert m.shape == (targets.size, sources.size)
    g = _nx_graph(n, u, v, length, directed_mask=oneway)
    dense = m.toarray()
    stored = np.zeros(m.shape, dtype=bool)
    stored[m.nonzero()] = True
    coo = m.tocoo()
    stored[coo.row, coo.col] = True
    for j, s in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(g.reverse(copy=False), int(s))
        for i, t in enumerate(targets):
            d = lengths.get(int(t), np.inf) + s_off[j] + t_off[i]
            assert stored[i, j] == (d <= limit)
            if d <= limit:
                assert dense[i, j] == pytest.approx(d, abs=1e-6)
    assert stored[targets.size - 2, 0] and dense[targets.size - 2, 0] == 0.0


def test_snap_records_distance_and_respects_mask():
    rng = np.random.default_rng(0)
    nodes = rng.uniform(0, 1000, (300, 2))
    pts = rng.uniform(0, 1000, (50, 2))
    idx, d = snap(pts, node_xy=nodes)
    brute = np.hypot(*(pts[:, None, :] - nodes[None, :, :]).transpose(2, 0, 1))
    np.testing.assert_allclose(d, brute.min(1))
    np.testing.assert_allclose(np.hypot(*(pts - nodes[idx]).T), d)
    mask = nodes[:, 0] > 500
    idx, d = snap(pts, node_xy=nodes, node_mask=mask)
    assert mask[idx].all()
    np.testing.assert_allclose(d, np.where(mask, brute, np.inf).min(1))
    with pytest.raises(ModelError, match="no eligible"):
        snap(pts, node_xy=nodes, node_mask=np.zeros(300, dtype=bool))


def test_component_mask_is_largest_strong_component():
    xy, u, v, length, oneway, _ = _random_geometric(150, 9)
    n = xy.shape[0]
    graph = build_graph(u, v, length, n_nodes=n, node_xy=xy, oneway=oneway)
    for mode, directed in (("walk", None), ("drive", oneway)):
        g = _nx_graph(n, u, v, length, directed_mask=directed)
        big = max(nx.strongly_connected_components(g), key=len)
        mask = component_mask(graph, mode=mode)
        assert set(np.flatnonzero(mask)) == big


def test_build_graph_parallel_edges_self_loops_and_modes():
    u = np.array([0, 0, 1, 2, 2])
    v = np.array([1, 1, 2, 2, 3])
    length = np.array([10.0, 7.0, 5.0, 1.0, 0.0])
    walk = np.array([True, True, True, True, False])
    drive = np.array([True, False, True, True, True])
    g = build_graph(u, v, length, n_nodes=4, oneway=np.array([0, 0, 1, 0, 1], bool),
                    walk=walk, drive=drive)
    assert g.n_edges == 4
    assert g.walk[0, 1] == 7.0 and g.walk[1, 0] == 7.0
    assert g.drive[0, 1] == 10.0 and g.drive[1, 2] == 5.0 and g.drive[2, 1] == 0
    coo = g.drive.tocoo()
    pairs = set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    assert (2, 3) in pairs and (3, 2) not in pairs  # zero-length edge kept explicitly
    d, _ = nearest_source_distance(g, sources=[3], mode="drive")
    np.testing.assert_allclose(d, [15.0, 5.0, 0.0, 0.0])
    d, _ = nearest_source_distance(g, sources=[3], mode="walk")
    assert np.all(np.isinf(d[:3]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"u": [0], "v": [1, 2], "length": [1.0], "n_nodes": 3}, "one per edge"),
        ({"u": [0], "v": [5], "length": [1.0], "n_nodes": 3}, "outside"),
        ({"u": [0], "v": [1], "length": [-1.0], "n_nodes": 3}, "finite"),
        ({"u": [0], "v": [1], "length": [np.nan], "n_nodes": 3}, "finite"),
        ({"u": [0], "v": [1], "length": [1.0], "n_nodes": 3, "node_xy": np.zeros((2, 2))}, "shape"),
    ],
)
def test_build_graph_errors(kwargs, match):
    u, v, length = kwargs.pop("u"), kwargs.pop("v"), kwargs.pop("length")
    with pytest.raises(ModelError, match=match):
        build_graph(u, v, length, **kwargs)


def test_bad_mode_raises():
    g = build_graph([0], [1], [1.0], n_nodes=2)
    with pytest.raises(ModelError, match="travel mode"):
        nearest_source_distance(g, sources=[0], mode="bike")


def test_snap_matches_kdtree_on_ties_free_points():
    nodes = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0]])
    idx, d = snap(np.array([[10.0, 1.0], [90.0, 3.0], [2.0, 70.0]]), node_xy=nodes)
    assert idx.tolist() == [0, 1, 2]
    np.testing.assert_allclose(d, cKDTree(nodes).query([[10, 1], [90, 3], [2, 70]])[0])
