"""The road network of a run: none without ``[roads]``, the workspace's OSM file (its roads
and water checked against a plain XML reading of tests/data/tiny.osm), a scan made already
reused, an online download failing in one line, a missing or roadless file refused."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pyproj
import pytest

import planner
from planner._errors import InputFileError
from planner.load.osm import NOT_ROADS
from planner.validate.roads import load_roads
from tests.conftest import DATA, MINI

TINY = DATA / "tiny.osm"


def _workspace(tmp_path, roads: str | None = "tiny.osm", osm_text: str | None = None):
    """The mini workspace with ``[roads] path = roads``, checked: (settings, workspace)."""
    ws = tmp_path / "mini"
    shutil.copytree(MINI, ws)
    if osm_text is not None:
        (ws / "tiny.osm").write_text(osm_text, encoding="utf-8")
    else:
        shutil.copy(TINY, ws / "tiny.osm")
    if roads is not None:
        with (ws / "planner.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[roads]\npath = "{roads}"\n')
    settings = planner.load_settings(ws)
    workspace, _quota = planner.check(settings)
    return settings, workspace


def _plain_osm(text: str):
    """Nodes (id -> lon, lat), road ways (node refs, highway; not those whose ``highway``
    value is no road, such as ``construction``) and the water features (``natural=water``,
    ``waterway``, and fish ponds or reservoirs by ``landuse``), read with ElementTree."""
    root = ET.fromstring(text)
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat")))
             for n in root.iter("node")}
    ways, water = [], []
    for el in root:
        tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
        if el.tag == "way" and tags.get("highway", "no") not in NOT_ROADS:
            ways.append(([nd.get("ref") for nd in el.iter("nd")], tags["highway"]))
        if el.tag in ("way", "relation") and (
                tags.get("natural") == "water" or "waterway" in tags
                or tags.get("landuse") in ("reservoir", "basin", "aquaculture")):
            water.append(f"osm:{el.tag}/{el.get('id')}")
    return nodes, ways, water


def test_no_roads_section_means_straight_lines(tmp_path):
    settings, ws = _workspace(tmp_path, roads=None)
    graph, info = load_roads(settings, ws)
    assert graph is None
    assert info == {"source": None, "note": "no road network: straight-line distances"}
    assert "roads" not in ws.extra and "water" not in ws.extra


def test_roads_and_water_of_the_osm_file_equal_a_plain_reading(tmp_path):
    settings, ws = _workspace(tmp_path)
    graph, info = load_roads(settings, ws)
    nodes, ways, water = _plain_osm(TINY.read_text(encoding="utf-8"))
    used = {ref for refs, _ in ways for ref in refs}
    segments = [(a, b, hw) for refs, hw in ways for a, b in zip(refs, refs[1:], strict=False)]
    assert info["source"] == "tiny.osm"
    assert info["nodes"] == graph.n_nodes == len(used)
    assert info["edges"] == graph.n_edges == len(segments)
    assert info["ways_cut"] == info["missing_nodes"] == 0  # nothing clipped in this file
    # the graph's nodes are the road nodes, in the workspace's metric CRS
    to_metric = pyproj.Transformer.from_crs(4326, ws.crs, always_xy=True)
    expected = np.array(sorted(to_metric.transform(*nodes[r]) for r in used))
    got = np.array(sorted(map(tuple, np.asarray(graph.node_xy))))
    np.testing.assert_allclose(got, expected, atol=0.01)
    # the road segments with their class: the landmarks of the water actions
    roads = ws.extra["roads"]
    assert list(roads.columns) == ["highway", "name", "geometry"]
    assert Counter(roads["highway"]) == Counter(hw for _, _, hw in segments)
    # the OSM file's water joins the workspace, every feature accounted for in the ledger
    assert sorted(ws.extra["water"]["water_id"]) == sorted(water)
    assert info["water"]["read"] == info["water"]["added"] == len(water) == 4
    assert info["water"]["by_type"] == {"canal": 1, "lake": 1, "pond": 2}
    counts = ws.ledger.counts[("water_osm", "tiny.osm")]
    assert counts["read"] == counts["accepted"] + counts["rejected"] == 4
    assert ws.ledger.reconcile() == []


def test_a_scan_made_already_is_not_made_again(tmp_path, monkeypatch):
    from planner.load import osm

    settings, ws = _workspace(tmp_path)
    scanned = osm.scan_osm(settings.roads)

    def no_second_scan(*_args, **_kw):
        raise AssertionError("the file was scanned again")

    monkeypatch.setattr(osm, "scan_osm", no_second_scan)
    graph, info = load_roads(settings, ws, scanned=scanned)
    assert graph.n_edges == info["edges"] > 0


def test_missing_osm_file_is_one_line(tmp_path):
    settings, ws = _workspace(tmp_path, roads="nope.osm")
    with pytest.raises(InputFileError, match=r"nope\.osm: file not found \(\[roads\] path\)"):
        load_roads(settings, ws)


def test_a_file_without_roads_in_the_county_is_refused(tmp_path):
    text = TINY.read_text(encoding="utf-8").replace('k="highway"', 'k="note"')
    settings, ws = _workspace(tmp_path, osm_text=text)
    with pytest.raises(InputFileError, match=r"tiny\.osm: no roads .*inside the county"):
        load_roads(settings, ws)


def test_online_download_failure_is_one_line(tmp_path, monkeypatch):
    """With ``online``, a network error becomes an input error naming the fix (no network
    is used: the download is replaced by one that fails)."""
    from planner.load import online

    settings, ws = _workspace(tmp_path, roads=None)

    def offline(_polygon):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(online, "fetch_osm", offline)
    with pytest.raises(InputFileError, match="download failed \\(ConnectionError\\)") as info:
        load_roads(settings, ws, online=True)
    assert "without --online" in str(info.value)
