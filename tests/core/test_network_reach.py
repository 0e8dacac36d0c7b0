"""Reachable snapping: origin / destination node sets per mode, and the snap figures."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from planner.core.network import build_graph, component_mask, reachable_masks, snap_report


def _random_graph(seed: int, n: int = 60, m: int = 110):
    rng = np.random.default_rng(seed)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    oneway = rng.random(m) < 0.5
    walk = rng.random(m) < 0.8
    g = build_graph(u, v, rng.random(m) * 100 + 1, n_nodes=n, node_xy=rng.random((n, 2)),
                    oneway=oneway, walk=walk)
    return g, u, v, oneway, walk


@pytest.mark.parametrize("seed", range(6))
def test_reachable_masks_match_networkx(seed):
    g, u, v, oneway, walk = _random_graph(seed)
    for mode in ("walk", "drive"):
        d = nx.DiGraph()
        for a, b, one, w in zip(u, v, oneway, walk, strict=True):
            if a == b or (mode == "walk" and not w):
                continue
            d.add_edge(int(a), int(b))
            if mode == "walk" or not one:
                d.add_edge(int(b), int(a))
        core = max(nx.strongly_connected_components(d), key=len)
        seed_node = min(core)
        origin, dest = reachable_masks(g, mode=mode)
        assert set(np.flatnonzero(origin)) == nx.ancestors(d, seed_node) | {seed_node}
        assert set(np.flatnonzero(dest)) == nx.descendants(d, seed_node) | {seed_node}
        assert (component_mask(g, mode=mode) <= origin).all()
        if mode == "walk":
            assert (origin == dest).all()


def test_snap_report_counts():
    r = snap_report(np.array([10.0, 600.0, 20.0, 0.0]), nearest_ok=np.array([1, 0, 1, 1], bool))
    assert r == {"points": 4, "snapped": 3, "near_m": 500.0, "share_snapped": 0.75,
                 "max_snap_m": 600.0, "mean_snap_m": 157.5, "moved_to_reachable": 1}
    assert snap_report(np.zeros(0))["share_snapped"] is None
