"""Write tests/data/clipped.osm.bz2 (run once; the file is committed).

A real-looking clipped extract: the demo's OpenStreetMap file (data/roads/roads.osm) cut by a
box over the mini workspace (tests/data/mini) the way ``osmium extract --strategy simple``
cuts, i.e. every way with at least one node in the box is kept whole while only the nodes
inside the box are, so ways refer to nodes missing from the file. Some roads get one-way and
access tags, and water the demo lacks is added: ponds, a city lake without a subtype, a
reservoir, a river area, a canal, a ditch, a lake multipolygon with an island, a coastline,
a drain cut by the box and a multipolygon whose members lie outside it.

Run with ``python tests/data/make_clipped.py`` from the repository root.
"""

from pathlib import Path

import osmium
from osmium.osm import mutable

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "data" / "roads" / "roads.osm"
OUT = Path(__file__).resolve().parent / "clipped.osm.bz2"
BOX = (120.495, 32.295, 120.605, 32.405)  # a little beyond the mini county 120.50-120.60

# id % k == 0 -> tags added to a road (deterministic, spread over the extract)
ROAD_TAGS = [
    (13, {"oneway": "yes"}),
    (17, {"foot": "no"}),
    (19, {"motor_vehicle": "no"}),
    (23, {"access": "private"}),
    (29, {"highway": "trail"}),
    (31, {"access": "private", "foot": "yes"}),
    (37, {"oneway": "-1"}),
]


def _square(x: float, y: float, d: float) -> list[tuple[float, float]]:
    return [(x, y), (x + d, y), (x + d, y + d), (x, y + d)]


def _water(next_node: int):
    """New water nodes, ways and relations (ids far above the demo's)."""
    nodes, ways, rels = {}, [], []

    def ring(points, way_id, tags, closed=True):
        nonlocal next_node
        ids = []
        for p in points:
            nodes[next_node] = p
            ids.append(next_node)
            next_node += 1
        ways.append((way_id, ids + ids[:1] if closed else ids, tags))

    ring(_square(120.520, 32.320, 0.0004), 900001, {"natural": "water"})  # ~0.15 ha pond
    ring(_square(120.560, 32.360, 0.004), 900002, {"natural": "water", "name": "如意湖"})
    ring(_square(120.530, 32.380, 0.003), 900003, {"natural": "water", "water": "reservoir"})
    ring([(120.540, 32.300), (120.545, 32.300), (120.545, 32.330), (120.540, 32.330)], 900004,
         {"natural": "water", "water": "river", "name": "通扬河"})
    ring([(120.500, 32.350), (120.550, 32.352), (120.600, 32.351)], 900005,
         {"waterway": "canal", "name": "如海运河"}, closed=False)
    ring([(120.510, 32.310), (120.515, 32.330)], 900006, {"waterway": "ditch"}, closed=False)
    ring(_square(120.580, 32.310, 0.0005), 900007, {"natural": "water", "water": "fishpond"})
    ring([(120.598, 32.300), (120.599, 32.350), (120.600, 32.400)], 900008,
         {"natural": "coastline"}, closed=False)
    ring(_square(120.570, 32.385, 0.006), 900010, {})
    ring(_square(120.572, 32.387, 0.001), 900011, {})
    rels.append((900100, [("w", 900010, "outer"), ("w", 900011, "inner")],
                 {"type": "multipolygon", "natural": "water", "water": "lake",
                  "name": "龙游湖"}))
    # a drain running out of the box: its last node is missing from the extract
    ring([(120.590, 32.330), (120.595, 32.332)], 900009, {"waterway": "drain"}, closed=False)
    ways[-1] = (900009, [*ways[-1][1], 990000001, 990000002], ways[-1][2])
    # a multipolygon whose outer way lies outside the extract
    rels.append((900101, [("w", 990000003, "outer")],
                 {"type": "multipolygon", "natural": "water", "water": "pond"}))
    return nodes, ways, rels


def main() -> None:
    x0, y0, x1, y1 = BOX
    keep_nodes, max_id = {}, 0
    for n in osmium.FileProcessor(str(SOURCE), osmium.osm.NODE):
        max_id = max(max_id, n.id)
        if x0 <= n.lon <= x1 and y0 <= n.lat <= y1:
            keep_nodes[n.id] = (n.lon, n.lat)
    ways = []
    for w in osmium.FileProcessor(str(SOURCE), osmium.osm.WAY):
        refs = [r.ref for r in w.nodes]
        if any(r in keep_nodes for r in refs):
            tags = dict(w.tags)
            for k, extra in ROAD_TAGS:
                if w.id % k == 0:
                    tags.update(extra)
                    break
            ways.append((w.id, refs, tags))
    wn, ww, wr = _water(max_id + 1)
    keep_nodes.update(wn)
    with osmium.SimpleWriter(str(OUT), overwrite=True) as out:
        for nid in sorted(keep_nodes):
            out.add_node(mutable.Node(id=nid, version=1, location=keep_nodes[nid]))
        for wid, refs, tags in sorted(ways + ww):
            out.add_way(mutable.Way(id=wid, version=1, nodes=refs, tags=tags))
        for rid, members, tags in wr:
            out.add_relation(mutable.Relation(id=rid, version=1, members=members, tags=tags))
    print(f"{OUT.name}: {len(keep_nodes)} nodes, {len(ways) + len(ww)} ways, {len(wr)} relations")


if __name__ == "__main__":
    main()
