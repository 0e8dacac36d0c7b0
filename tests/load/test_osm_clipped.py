"""A clipped OpenStreetMap extract (tests/data/clipped.osm.bz2, see make_clipped.py).

The extract was cut from the demo's OSM file by a box the way ``osmium extract`` cuts, so
its ways refer to nodes missing from the file. Counts and graphs are checked against an
independent reading of the same file (plain pyosmium loops, networkx).
"""

from __future__ import annotations

import bz2
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pyproj
import pytest
import shapely

from planner._errors import InputFileError
from planner.load import osm

DATA = Path(__file__).resolve().parents[1] / "data"
CLIPPED = DATA / "clipped.osm.bz2"
CRS = pyproj.CRS("EPSG:32651")


def _plain_read(path: Path):
    """Nodes and highway ways of the file, read with the simplest pyosmium loops."""
    nodes, ways = {}, []
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way() and "highway" in obj.tags:
            ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
    return nodes, ways


@pytest.fixture(scope="module")
def plain():
    return _plain_read(CLIPPED)


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """The extract as .osm.bz2 (committed), plain .osm, .osm.gz and .osm.pbf."""
    tmp = tmp_path_factory.mktemp("clipped")
    xml = tmp / "clipped.osm"
    xml.write_bytes(bz2.decompress(CLIPPED.read_bytes()))
    out = {"bz2": CLIPPED, "xml": xml}
    for name, suffix in (("gz", ".osm.gz"), ("pbf", ".osm.pbf")):
        path = tmp / f"clipped{suffix}"
        with osmium.SimpleWriter(str(path)) as writer:
            for obj in osmium.FileProcessor(str(CLIPPED)):
                writer.add(obj)
        out[name] = path
    return out


def test_every_format_gives_the_same_tables(variants):
    got = {k: osm.read_osm(p) for k, p in variants.items()}
    ref = got.pop("bz2")
    for layers in got.values():
        pd.testing.assert_frame_equal(pd.DataFrame(layers.roads), pd.DataFrame(ref.roads))
        pd.testing.assert_frame_equal(layers.nodes, ref.nodes)
        assert layers.stats == ref.stats
        assert shapely.equals(layers.water.geometry.to_numpy(), ref.water.geometry.to_numpy()).all()


def test_ways_are_cut_at_missing_nodes(plain):
    nodes, ways = plain
    layers = osm.read_osm(CLIPPED)
    live = [w for w in ways if w[2]["highway"] not in osm.NOT_ROADS]
    cut = [w for w in live if any(r not in nodes for r in w[1])]
    missing = {r for w in live for r in w[1] if r not in nodes}
    assert layers.stats["ways_cut"] == len(cut) > 50
    assert layers.stats["missing_nodes"] == len(missing) > 100
    assert not layers.roads["u"].isin(missing).any() and not layers.roads["v"].isin(missing).any()
    # every pair of consecutive present nodes of a way survives, in travel direction
    expect = set()
    for _wid, refs, tags in live:
        for a, b in zip(refs[:-1], refs[1:], strict=True):
            if a in nodes and b in nodes and a != b:
                expect.add((b, a) if tags.get("oneway") == "-1" else (a, b))
    got = set(zip(layers.roads.u, layers.roads.v, strict=True))
    assert got == expect
    assert layers.stats["water_ways_cut"] == 1 and layers.stats["water_relations_incomplete"] == 1


def test_osmnx_xml_path_could_not_read_it(variants):
    """What the planner used before: osmnx refuses a clipped extract."""
    import osmnx as ox

    with pytest.raises(Exception, match="(?i)missing"):
        ox.graph_from_xml(variants["xml"], simplify=False, retain_all=True)


def _nx_graph(plain, polygon, crs):
    """Walk and drive graphs built independently, with the access rules written out here."""
    nodes, ways = plain
    to_m = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    walk, drive = nx.Graph(), nx.DiGraph()
    closed = {"no", "private", "use_sidepath"}

    def first(tags, keys):
        return next((tags[k] for k in keys if k in tags), None)

    for _, refs, tags in ways:
        hw = tags["highway"]
        if hw in osm.NOT_ROADS:
            continue
        can_walk = hw not in {"motorway", "motorway_link", "bus_guideway", "busway"} \
            and first(tags, ("foot", "access")) not in closed
        can_drive = hw not in {"footway", "path", "pedestrian", "steps", "cycleway",
                               "bridleway", "corridor", "via_ferrata", "trail", "crossing",
                               "bus_guideway", "busway"} \
            and first(tags, ("motorcar", "motor_vehicle", "vehicle", "access")) not in closed
        for a, b in zip(refs[:-1], refs[1:], strict=True):
            if a == b or a not in nodes or b not in nodes:
                continue
            if polygon is not None and not (shapely.contains_xy(polygon, *nodes[a])
                                            and shapely.contains_xy(polygon, *nodes[b])):
                continue
            (xa, xb), (ya, yb) = to_m.transform([nodes[a][0], nodes[b][0]],
                                                [nodes[a][1], nodes[b][1]])
            d = float(np.hypot(xb - xa, yb - ya))
            pairs = []
            if can_walk:
                pairs.append((walk, a, b))
            if can_drive:
                one = tags.get("oneway")
                if one == "-1":
                    pairs.append((drive, b, a))
                else:
                    pairs.append((drive, a, b))
                    if one != "yes":
                        pairs.append((drive, b, a))
            for g, x, y in pairs:
                if not g.has_edge(x, y) or g[x][y]["w"] > d:
                    g.add_edge(x, y, w=d)
    return walk, drive


def test_distances_equal_networkx(plain):
    from planner.core.network import nearest_source_distance, reachable_masks

    layers = osm.read_osm(CLIPPED)
    graph, ids = osm.road_graph(layers, crs=CRS)
    walk, drive = _nx_graph(plain, None, CRS)
    rng = np.random.default_rng(7)
    for mode, g in (("walk", walk), ("drive", drive)):
        src = rng.choice(graph.n_nodes, size=5, replace=False)
        dist, _ = nearest_source_distance(graph, sources=src, mode=mode)
        # nx: distance from every node *to* the nearest source = search on the reverse graph
        rev = g.reverse(copy=False) if g.is_directed() else g
        ref = nx.multi_source_dijkstra_path_length(rev, set(ids[src].tolist()), weight="w")
        expect = np.array([ref.get(i, np.inf) for i in ids])
        np.testing.assert_allclose(dist, expect, rtol=1e-9, atol=1e-6)
        assert np.isinf(dist).any()  # the clipped network is not one piece
        # reachable sets: origins reach the largest strong component, destinations are
        # reached from it
        origin, dest = reachable_masks(graph, mode=mode)
        dg = g if g.is_directed() else g.to_directed()
        core = max(nx.strongly_connected_components(dg), key=len)
        seed = next(iter(core))
        up = nx.ancestors(dg, seed) | {seed}
        down = nx.descendants(dg, seed) | {seed}
        assert set(ids[origin].tolist()) == up and set(ids[dest].tolist()) == down
        if mode == "drive":  # one-way dead ends and exits: more than the core alone
            assert origin.sum() > len(core) and dest.sum() > len(core)


def test_bad_files_give_one_line_errors(tmp_path):
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(InputFileError, match="cannot read OSM file") as err:
        osm.read_osm(broken)
    assert "\n" not in str(err.value)
    trunc = tmp_path / "trunc.osm.pbf"
    trunc.write_bytes(b"\x00\x00\x00\x0d" + b"garbage")
    with pytest.raises(InputFileError, match="cannot read OSM file"):
        osm.read_osm(trunc)
    text = tmp_path / "roads.txt"
    text.write_text("x")
    with pytest.raises(InputFileError, match="should end with"):
        osm.read_osm(text)


class _Terminal:
    """A stand-in for a terminal's stderr (tqdm draws only on a tty)."""

    def __init__(self):
        self.text = []

    def write(self, s):
        self.text.append(s)

    def flush(self):
        pass

    def isatty(self):
        return True


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_only_when_asked(monkeypatch, progress):
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    layers = osm.read_osm(CLIPPED, progress=progress)
    shown = "".join(term.text)
    assert ("OSM clipped.osm.bz2" in shown) == progress
    assert (shown == "") == (not progress)
    assert len(layers.roads) > 0


def test_a_file_without_roads_reads_empty(tmp_path):
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    layers = osm.read_osm(empty)
    assert len(layers.roads) == len(layers.nodes) == len(layers.water) == 0
    assert layers.stats["ways_cut"] == layers.stats["missing_nodes"] == 0
