"""Benchmark: the roads stage on the demo, osmnx XML path (before) against pyosmium (now).

"Before" is the reader the planner used until issue 11: ``osmnx.graph_from_xml`` plus
``osmnx.features_from_xml`` on the same file (parsed twice), rows read back from the
networkx graph. "Now" is :func:`planner.load.osm.read_osm` (one streaming pyosmium pass).
Both are clipped to the demo county and turned into a :class:`RoadGraph` by the same
:func:`planner.load.osm.road_graph`; the node and edge counts must agree.

Run: ``python benchmarks/bench_osm.py [--runs 5] [--file data/roads/roads.osm]``; prints the
median seconds of each, the speed-up, and the graph sizes.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

from planner import datasets
from planner.load import online, osm
from planner.settings import load_settings
from planner.validate.intake import load_workspace


def _before(path: Path, polygon):
    import osmnx as ox

    G = ox.graph_from_xml(path, simplify=False, retain_all=True, bidirectional=False)
    try:
        feats = ox.features_from_xml(path, tags=osm.WATER_TAGS)
    except ox._errors.InsufficientResponseError:
        feats = None
    return osm.assemble_layers(online._graph_rows(G), online._features_to_water(feats), polygon,
                               "xml")


def _now(path: Path, polygon):
    return osm.read_osm(path, polygon=polygon)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--file", type=Path, default=None)
    args = ap.parse_args()
    settings = load_settings(datasets.demo())
    ws = load_workspace(settings)
    path = args.file or settings.roads
    sizes, times = {}, {"before (osmnx XML)": [], "now (pyosmium)": []}
    for _ in range(args.runs):  # interleaved, so both see the same machine load
        for name, fn in zip(times, (_before, _now), strict=True):
            layers = graph = None
            gc.collect()  # the other reader's garbage is not this one's time
            t0 = time.perf_counter()
            layers = fn(path, ws.county)
            graph, _ = osm.road_graph(layers, crs=ws.crs)
            times[name].append(time.perf_counter() - t0)
            sizes[name] = (graph.n_nodes, graph.n_edges)
    print(f"file {path.name} ({path.stat().st_size / 1e6:.1f} MB), {args.runs} runs, median s")
    for name, ts in times.items():
        print(f"  {name:<20} {statistics.median(ts):6.3f} s   nodes {sizes[name][0]}  "
              f"edges {sizes[name][1]}")
    b, n = (statistics.median(v) for v in times.values())
    print(f"  speed-up {b / n:.1f}x; same graph: {len(set(sizes.values())) == 1}")


if __name__ == "__main__":
    main()
