"""Benchmark: nearest-site distances for every node, three kinds of site, county-size graph.

Compares planner.core.network.nearest_source_distance (one multi-source
scipy.sparse.csgraph pass per kind) with networkx's own multi-source Dijkstra
(``multi_source_dijkstra_path_length``, one call per kind) on the same graph and the same
sources, median of ``--repeat`` interleaved runs each; the graphs are built before timing.
scipy's ``csgraph.dijkstra`` called directly on the same matrices is timed too: its ratio to
networkx is the ceiling for any wrapper that searches the whole graph. networkx has
no per-source start distance, so both run without snap offsets here; ours with offsets (as
the planner runs it) is printed apart. ``--per-source N`` also times the old per-site
single-source loop, for reference only: it is not a fair peer.

Run: ``python benchmarks/bench_network.py [--spacing 170] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
from scipy.sparse import csgraph

from planner.core.network import component_mask, nearest_source_distance, snap
from planner.glossary import COVERAGE_DEFAULTS, PLACEABLE
from planner.load import osm
from scripts.synth import roads as rs

CRS = pyproj.CRS("EPSG:32651")
#: the kinds placement proposes sites for, with their travel mode
KINDS = {kind: COVERAGE_DEFAULTS[kind][1] for kind in PLACEABLE}


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


def _ours(graph, sites, *, offsets: bool = True):
    res = {}
    t = time.perf_counter()
    for kind, mode in KINDS.items():
        node, off = sites[kind]
        off = off if offsets else np.zeros_like(off)
        res[kind] = nearest_source_distance(graph, sources=node, offsets=off, mode=mode)[0]
    return time.perf_counter() - t, res


def _raw(graph, sites):
    """scipy's Dijkstra alone on the same matrices (no wrapper): the floor of any wrapper."""
    t = time.perf_counter()
    for kind, mode in KINDS.items():
        csgraph.dijkstra(graph.to_source_matrix(mode), indices=np.unique(sites[kind][0]),
                         min_only=True, return_predecessors=True)
    return time.perf_counter() - t


def _nx_graph(graph, mode):
    m = graph.to_source_matrix(mode).tocoo()  # searches from a site give distances to it
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True))
    return g


def _networkx_multi(graphs, graph, sites):
    """networkx's own multi-source Dijkstra, one call per kind (no snap offsets: networkx
    has no per-source start distance, so ours is run without them too)."""
    res = {}
    t = time.perf_counter()
    for kind, mode in KINDS.items():
        lengths = nx.multi_source_dijkstra_path_length(graphs[mode],
                                                       set(sites[kind][0].tolist()))
        best = np.full(graph.n_nodes, np.inf)
        idx = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
        best[idx] = np.fromiter(lengths.values(), dtype=float, count=len(lengths))
        res[kind] = best
    return time.perf_counter() - t, res


def _networkx_per_source(graphs, graph, sites, sample: int | None, seed: int):
    """The old, unfair peer: one single-source search per site, then the minimum."""
    rng = np.random.default_rng(seed)
    total, measured, n_all = 0.0, 0, 0
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
        total += (time.perf_counter() - t) * node.size / pick.size
        measured += pick.size
        n_all += node.size
    return total, measured, n_all


def _check(ours: dict, theirs: dict) -> None:
    for kind, best in theirs.items():
        fin = np.isfinite(best) & np.isfinite(ours[kind])
        diff = float(np.max(np.abs(best[fin] - ours[kind][fin]), initial=0.0))
        same_inf = np.array_equal(np.isinf(best), np.isinf(ours[kind]))
        print(f"  check {kind}: max |ours - networkx| = {diff:.2e} m, "
              f"same unreachable nodes: {same_inf}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spacing", type=float, default=170.0, help="village lane grid spacing, m")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each (median)")
    ap.add_argument("--per-source", type=int, default=None, metavar="N",
                    help="also time the per-source networkx loop on N sources per kind")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    graph, villages, towns, stats, t_write, t_read = _county_graph(args.spacing, args.seed)
    print(f"graph: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges "
          f"({graph.walk.nnz:,} walk arcs, {graph.drive.nnz:,} drive arcs); "
          f"{stats['bridges']} bridges; synthetic 如皋-size county, 355 villages, ~1,500 km^2")
    print(f"setup (not timed below): write .osm {t_write:.2f} s, read + build graph {t_read:.2f} s")
    sites = _sites(graph, villages, towns, args.seed)
    print("sources: " + ", ".join(f"{k} {v[0].size}" for k, v in sites.items()))
    graphs = {mode: _nx_graph(graph, mode) for mode in set(KINDS.values())}

    ours_runs, nx_runs, raw_runs = [], [], []
    for _ in range(args.repeat):  # interleaved, so that a change of load hits all three
        ours_runs.append(_ours(graph, sites, offsets=False))
        nx_runs.append(_networkx_multi(graphs, graph, sites))
        raw_runs.append(_raw(graph, sites))
    ours = statistics.median(r[0] for r in ours_runs)
    theirs = statistics.median(r[0] for r in nx_runs)
    raw = statistics.median(raw_runs)
    print(f"ours (scipy csgraph multi-source, 3 kinds, every node): median {ours:.3f} s of "
          f"{args.repeat} ({', '.join(f'{r[0]:.3f}' for r in ours_runs)})")
    print(f"networkx multi_source_dijkstra_path_length (same sources, same graph): median "
          f"{theirs:.3f} s of {args.repeat} ({', '.join(f'{r[0]:.3f}' for r in nx_runs)})")
    print(f"scipy csgraph.dijkstra alone (no wrapper, same matrices and sources): median "
          f"{raw:.3f} s = {theirs / raw:.1f}x networkx: the ceiling of any wrapper around it")
    _check(ours_runs[0][1], nx_runs[0][1])
    ratio = theirs / ours
    print(f"ratio networkx multi-source / ours: {ratio:.1f}x "
          f"(goal >= 50x: {'met' if ratio >= 50 else 'MISSED'})")
    with_off = statistics.median(_ours(graph, sites)[0] for _ in range(args.repeat))
    print(f"ours with snap offsets (what the planner runs): median {with_off:.3f} s")
    if args.per_source:
        t, measured, n_all = _networkx_per_source(graphs, graph, sites, args.per_source,
                                                  args.seed)
        print(f"networkx per-source loop (NOT a fair peer; extrapolated from {measured} of "
              f"{n_all} sources): {t:.2f} s = {t / with_off:.0f}x ours")


if __name__ == "__main__":
    main()
