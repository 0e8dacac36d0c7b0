"""Roads and water downloaded with osmnx (planner.load.online): no network here — osmnx's
download calls are replaced by osmnx reading tests/data/tiny.osm, and what comes back must
equal the local reader's tables of the same file."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from planner._errors import InputFileError
from planner.load import online, osm
from tests.load.test_osm import TINY, _roads_frame


@pytest.fixture(scope="module")
def xml_layers():
    return osm.read_osm_xml(TINY)


@pytest.fixture
def ox(monkeypatch):
    """osmnx with its downloads reading tiny.osm (and the calls recorded in ``ox.calls``)."""
    import osmnx  # here, not at the top: slow to import, and only these tests need it

    calls = []

    def graph(polygon, **kw):
        calls.append(("graph", kw["network_type"], kw["simplify"]))
        return osmnx.graph_from_xml(TINY, simplify=False, retain_all=True)

    def features(polygon, tags):
        calls.append(("features", tuple(sorted(tags))))
        return osmnx.features_from_xml(TINY, tags=tags)

    monkeypatch.setattr(osmnx, "graph_from_polygon", graph)
    monkeypatch.setattr(osmnx, "features_from_polygon", features)
    monkeypatch.setattr(osmnx, "calls", calls, raising=False)
    return osmnx


def test_fetch_osm_equals_the_local_reader(ox, xml_layers):
    tags = list(ox.settings.useful_tags_way)
    got = online.fetch_osm(shapely.box(120.5, 32.3, 120.7, 32.5))
    assert ox.calls[0] == ("graph", "all", False)
    assert ox.calls[1] == ("features", tuple(sorted(osm.WATER_TAGS)))
    assert ox.settings.useful_tags_way == tags  # osmnx's settings restored
    assert got.source == "online"
    pd.testing.assert_frame_equal(_roads_frame(got), _roads_frame(xml_layers))
    assert sorted(zip(got.water.osm_type, got.water.osm_id, strict=True)) == sorted(
        zip(xml_layers.water.osm_type, xml_layers.water.osm_id, strict=True))


def test_download_failure_is_an_input_error(ox, monkeypatch):
    tags = list(ox.settings.useful_tags_way)

    def failing(polygon, **kw):
        raise ConnectionError("no route to overpass")

    monkeypatch.setattr(ox, "graph_from_polygon", failing)
    with pytest.raises(InputFileError, match="download failed: no route to overpass; retry"):
        online.fetch_osm(shapely.box(120.5, 32.3, 120.7, 32.5))
    assert ox.settings.useful_tags_way == tags


def test_a_simplified_graph_is_refused_and_no_water_is_empty(ox):
    graph = ox.graph_from_xml(TINY, simplify=True, retain_all=True)  # ways merged: lists
    assert any(isinstance(d.get("osmid"), list) for *_e, d in graph.edges(data=True))
    with pytest.raises(InputFileError, match="OSM graph is simplified"):
        online._graph_rows(graph)
    water = online._features_to_water(None)
    assert len(water) == 0 and list(water.columns) == list(osm.empty_water().columns)
