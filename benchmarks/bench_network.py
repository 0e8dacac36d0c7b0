"""Benchmark: nearest-site distances for every node, three kinds of site, county-size graph.

Compares planner.network.nearest_source_distance (one multi-source scipy.sparse.csgraph
pass per kind) with the per-source networkx approach (single_source_dijkstra_path_length
per site, then the minimum) on the same graph, in one run.

Run: ``python benchmarks/bench_network.py [--spacing 170] [--sample N]``. With
``--sample N`` networkx is timed on N sources per kind and extrapolated linearly
(the output says so); by default every source is timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj

from planner.core.network import component_mask, nearest_source_distance, snap
from planner.load import osm
from scripts.synth import roads as rs

CRS = pyproj.CRS("EPSG:32651")
KINDS = {"care_point": "walk", "care_home": "drive", "protection_station": "drive"}


def _county_graph(spacing: float, seed: int):
    county, towns, villages, canals = rs.synthetic_divisions(
        (120.57, 32.39), size_km=38.7, n_towns=14, n_villages=355, crs=CRS, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "county.osm"
        t = time.perf_counter()
        stats = rs.write_synthetic_osm(path, county=county, villages=villages, towns=towns,
                                       crs=CRS, canals=canals, seed=seed, lane_spacing_m=spacing)
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        layers = osm.read_osm_xml(path)
        graph, _ = osm.road_graph(layers, crs=CRS)
        t_read = time.perf_counter() - t
    return graph, villages, towns, stats, t_write, t_read


def _sites(graph, villages, towns, seed: int):
    """355 care points (one per village), 14 care homes and 14 workstations (one per town)."""
    rng = np.random.default_rng(seed)
    vp = villages.to_crs(CRS).representative_point()
    tp = towns.to_crs(CRS).representative_point()
    pts = {
        "care_point": np.column_stack([vp.x, vp.y]) + rng.normal(0, 60, (len(vp), 2)),
        "care_home": np.column_stack([tp.x, tp.y]) + rng.normal(0, 150, (len(tp), 2)),
        "protection_station": np.column_stack([tp.x, tp.y]) + rng.normal(0, 400, (len(tp), 2)),
    }
    out = {}
    for kind, mode in KINDS.items():
        mask = component_mask(graph, mode=mode)
        node, off = snap(pts[kind], node_xy=graph.node_xy, node_mask=mask)
        out[kind] = (node, off)
    return out


def _ours(graph, sites):
    res = {}
    t = time.perf_counter()
    for kind, mode in KINDS.items():
        node, off = sites[kind]
        res[kind] = nearest_source_distance(graph, sources=node, offsets=off, mode=mode)[0]
    return time.perf_counter() - t, res


def _nx_graph(graph, mode):
    m = graph.to_source_matrix(mode).tocoo()  # searches from a site give distances to it
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True))
    return g


def _networkx(graph, sites, sample: int | None, seed: int):
    rng = np.random.default_rng(seed)
    graphs = {mode: _nx_graph(graph, mode) for mode in set(KINDS.values())}
    total, measured, n_all, res = 0.0, 0, 0, {}
    for kind, mode in KINDS.items():
        node, off = sites[kind]
        pick = np.arange(node.size)
        if sample is not None and sample < node.size:
            pick = np.sort(rng.choice(node.size, size=sample, replace=False))
        best = np.full(graph.n_nodes, np.inf)
        t = time.perf_counter()
        for i in pick:
            lengths = nx.single_source_dijkstra_path_length(graphs[mode], int(node[i]))
            idx = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
            d = np.fromiter(lengths.values(), dtype=float, count=len(lengths)) + off[i]
            np.minimum.at(best, idx, d)
        dt = time.perf_counter() - t
        total += dt * node.size / pick.size
        measured += pick.size
        n_all += node.size
        res[kind] = best if pick.size == node.size else None
    return total, measured, n_all, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spacing", type=float, default=170.0, help="village lane grid spacing, m")
    ap.add_argument("--sample", type=int, default=None, help="networkx sources per kind")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    graph, villages, towns, stats, t_write, t_read = _county_graph(args.spacing, args.seed)
    print(f"graph: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges "
          f"({graph.walk.nnz:,} walk arcs, {graph.drive.nnz:,} drive arcs); "
          f"{stats['bridges']} bridges; synthetic 如皋-size county, 355 villages, ~1,500 km^2")
    print(f"setup (not timed below): write .osm {t_write:.2f} s, read + build graph {t_read:.2f} s")
    sites = _sites(graph, villages, towns, args.seed)
    print("sources: " + ", ".join(f"{k} {v[0].size}" for k, v in sites.items()))

    runs = [_ours(graph, sites) for _ in range(3)]
    ours = min(r[0] for r in runs)
    ours_res = runs[0][1]
    print(f"ours (scipy csgraph multi-source, 3 kinds, every node): {ours:.3f} s "
          f"(best of 3: {', '.join(f'{r[0]:.3f}' for r in runs)})")

    nx_s, measured, n_all, nx_res = _networkx(graph, sites, args.sample, args.seed)
    how = ("all sources timed" if measured == n_all else
           f"EXTRAPOLATED linearly from {measured} of {n_all} sources")
    print(f"networkx (single_source_dijkstra_path_length per site, then min): {nx_s:.2f} s ({how})")
    for kind, best in nx_res.items():
        if best is not None:
            fin = np.isfinite(best) & np.isfinite(ours_res[kind])
            diff = float(np.max(np.abs(best[fin] - ours_res[kind][fin]), initial=0.0))
            same_inf = np.array_equal(np.isinf(best), np.isinf(ours_res[kind]))
            print(f"  check {kind}: max |ours - networkx| = {diff:.2e} m, "
                  f"same unreachable nodes: {same_inf}")
    ratio = nx_s / ours
    print(f"ratio networkx / ours: {ratio:.0f}x  "
          f"(target: ours < 1 s -> {'met' if ours < 1 else 'MISSED'}; "
          f">= 50x -> {'met' if ratio >= 50 else 'MISSED'})")


if __name__ == "__main__":
    main()
