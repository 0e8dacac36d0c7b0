"""planner.load.osm (XML, PBF) and scripts/synth/roads.py (the demo's road network); the
online reader is tested in test_online.py."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
import pytest
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from planner._errors import CRSError, InputFileError
from planner.core.network import component_mask, nearest_source_distance
from planner.load import osm
from scripts.synth import roads as rs

DATA = Path(__file__).resolve().parents[1] / "data"
TINY = DATA / "tiny.osm"
CRS = pyproj.CRS("EPSG:32651")  # UTM 51N, the zone of 如皋


@pytest.fixture(scope="module")
def tiny_pbf(tmp_path_factory) -> Path:
    """The same data as tiny.osm, written as PBF with pyosmium's SimpleWriter."""
    out = tmp_path_factory.mktemp("pbf") / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(TINY)):
            writer.add(obj)
    return out


@pytest.fixture(scope="module")
def xml_layers():
    return osm.read_osm_xml(TINY)


@pytest.fixture(scope="module")
def pbf_layers(tiny_pbf):
    return osm.read_osm_pbf(tiny_pbf, polygon=None)


def _roads_frame(layers):
    return pd.DataFrame(layers.roads.drop(columns="geometry")).astype(object).where(
        layers.roads.drop(columns="geometry").notna(), None)


def test_xml_and_pbf_give_identical_tables(xml_layers, pbf_layers):
    assert len(xml_layers.roads) == len(pbf_layers.roads) == 70
    pd.testing.assert_frame_equal(_roads_frame(xml_layers), _roads_frame(pbf_layers))
    np.testing.assert_allclose(xml_layers.nodes.to_numpy(), pbf_layers.nodes.to_numpy(), atol=1e-9)
    assert (xml_layers.nodes.index == pbf_layers.nodes.index).all()
    wx, wp = xml_layers.water, pbf_layers.water
    assert list(zip(wx.osm_type, wx.osm_id, strict=True)) == list(
        zip(wp.osm_type, wp.osm_id, strict=True))
    assert set(wx.geom_type) == {"Polygon", "LineString"}
    assert shapely.equals(wx.geometry.to_numpy(), wp.geometry.to_numpy()).all()
    for col in ("natural", "water", "waterway", "landuse", "name"):
        assert wx[col].fillna("").tolist() == wp[col].fillna("").tolist()
    lake = wx[wx.osm_type == "relation"].geometry.iloc[0]
    assert len(lake.interiors) == 1  # the island is a hole
    assert wx.crs.to_epsg() == 4326 and xml_layers.roads.crs.to_epsg() == 4326


def test_xml_and_pbf_give_same_distances(xml_layers, pbf_layers):
    gx, idx = osm.road_graph(xml_layers, crs=CRS)
    gp, idp = osm.road_graph(pbf_layers, crs=CRS)
    assert (idx == idp).all()
    for mode in ("walk", "drive"):
        assert (gx.matrix(mode) != gp.matrix(mode)).nnz == 0 or np.allclose(
            gx.matrix(mode).toarray(), gp.matrix(mode).toarray(), atol=1e-6)
        src = np.searchsorted(idx, [1000, 1055])
        dx, _ = nearest_source_distance(gx, sources=src, mode=mode)
        dp, _ = nearest_source_distance(gp, sources=src, mode=mode)
        np.testing.assert_allclose(dx, dp, rtol=0, atol=1e-6)


def test_tags_oneway_modes_and_canal(xml_layers):
    r = xml_layers.roads
    assert "construction" not in set(r.highway)
    south = r[r.osm_way_id == r[r.name == "如城路"].osm_way_id.iloc[0]]
    assert south.oneway.all() and (south.u < south.v).all()  # oneway=yes: node order
    north = r[(r.highway == "secondary") & r.oneway]
    assert len(north) == 4 and (north.u > north.v).all()  # oneway=-1: reversed
    # the canal lies between grid columns 2 and 3: only the bridge crosses it
    cross = r[(r.u % 10 <= 2) & (r.v % 10 >= 3) & (r.u // 1000 == 1) & (r.v // 1000 == 1)]
    assert cross.bridge.tolist() == ["yes"]
    g, ids = osm.road_graph(xml_layers, crs=CRS)
    foot = r[r.highway == "footway"]
    a, b = np.searchsorted(ids, foot.u), np.searchsorted(ids, foot.v)
    assert (np.asarray(g.walk[a, b]) > 0).all() and (np.asarray(g.drive[a, b]) == 0).all()
    # lengths are metric: a lane segment is ~200 m
    seg = r[(r.u == 1000) & (r.v == 1010)].index[0]
    u0, v0 = np.searchsorted(ids, [1000, 1010])
    xy = pyproj.Transformer.from_crs(4326, CRS, always_xy=True).transform(
        *np.array(r.geometry.iloc[seg].coords).T)
    assert g.walk[u0, v0] == pytest.approx(np.hypot(np.diff(xy[0]), np.diff(xy[1]))[0])
    assert 180 < g.walk[u0, v0] < 260
    # the detached service road is not in the main component
    mask = component_mask(g, mode="walk")
    assert not mask[np.searchsorted(ids, [2200, 2201, 2202])].any()
    assert mask[np.searchsorted(ids, [1000, 1055, 2100])].all()


@pytest.mark.parametrize("reader", ["xml", "pbf"])
def test_clipping_to_county_polygon(reader, tiny_pbf, xml_layers):
    poly = shapely.box(120.5570, 32.3660, 120.5760, 32.3830)
    layers = (osm.read_osm_xml(TINY, polygon=poly) if reader == "xml"
              else osm.read_osm_pbf(tiny_pbf, polygon=poly))
    assert 2301 not in layers.nodes.index and 2300 not in layers.nodes.index
    assert shapely.contains_xy(poly, layers.nodes.lon, layers.nodes.lat).all()
    assert not (layers.roads.v == 2301).any()
    full = set(zip(xml_layers.roads.u, xml_layers.roads.v, strict=True))
    kept = set(zip(layers.roads.u, layers.roads.v, strict=True))
    # the track to node 2301 and the detached road at the east edge are cut away
    assert full - kept == {(1052, 2301), (2200, 2201), (2201, 2202)}
    assert len(layers.water) == 4  # all water bodies touch this polygon
    west = shapely.box(120.5570, 32.3660, 120.5670, 32.3830)
    layers = (osm.read_osm_xml(TINY, polygon=west) if reader == "xml"
              else osm.read_osm_pbf(tiny_pbf, polygon=west))
    assert set(layers.water.waterway.dropna()) == {"canal"}  # the canal crosses in
    assert set(layers.water.water.dropna()) == {"pond"}  # lake, fish pond lie east
    assert (layers.nodes.lon < 120.5670).all() and len(layers.roads) > 20


def test_road_graph_needs_metric_crs(xml_layers):
    with pytest.raises(CRSError, match="projected"):
        osm.road_graph(xml_layers, crs=pyproj.CRS("EPSG:4326"))


def test_bad_paths(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        osm.read_osm_xml(tmp_path / "missing.osm")
    wrong = tmp_path / "roads.geojson"
    wrong.write_text("{}")
    with pytest.raises(InputFileError, match="should end with"):
        osm.read_osm_pbf(wrong, polygon=None)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not a pbf at all")
    with pytest.raises(InputFileError, match="cannot read"):
        osm.read_osm_pbf(broken, polygon=None)


@pytest.fixture(scope="module")
def small_county():
    return rs.synthetic_divisions((120.57, 32.39), size_km=7.0, n_towns=2, n_villages=10,
                                  crs=CRS, seed=5)


def test_synthetic_network_is_deterministic_readable_and_connected(tmp_path, small_county):
    county, towns, villages, canals = small_county
    kw = {"county": county, "villages": villages, "towns": towns, "crs": CRS, "canals": canals}
    a, b, c = tmp_path / "a.osm", tmp_path / "b.osm", tmp_path / "c.osm"
    stats = rs.write_synthetic_osm(a, seed=1, **kw)
    rs.write_synthetic_osm(b, seed=1, **kw)
    rs.write_synthetic_osm(c, seed=2, **kw)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert stats["components"] == 1 and stats["bridges"] >= 2
    layers = osm.read_osm_xml(a)
    assert len(layers.roads) == stats["edges"] and len(layers.nodes) == stats["nodes"]
    assert {"primary", "tertiary", "unclassified", "track"} <= set(layers.roads.highway)
    g, _ = osm.road_graph(layers, crs=CRS)
    assert component_mask(g, mode="walk").all()
    # every village is reached by lanes
    inside = villages.geometry.apply(
        lambda p: shapely.contains_xy(p, layers.nodes.lon, layers.nodes.lat).sum())
    assert (inside >= 3).all()
    # canals are crossed only by bridges
    canal_union = shapely.union_all(canals.to_numpy())
    hits = shapely.intersects(layers.roads.geometry.to_numpy(), canal_union)
    assert hits.any() and (layers.roads.bridge[hits] == "yes").all()
    assert stats["removed_crossings"] > 0


@pytest.fixture(scope="module")
def small_network(tmp_path_factory, small_county):
    county, towns, villages, canals = small_county
    out = tmp_path_factory.mktemp("synth") / "roads.osm"
    stats = rs.write_synthetic_osm(out, county=county, villages=villages, towns=towns, crs=CRS,
                                   canals=canals, seed=3)
    return stats, osm.read_osm_xml(out)


def test_synthetic_roads_meet_where_they_cross(small_network, small_county):
    canals = small_county[3]
    stats, layers = small_network
    r = layers.roads
    assert {"primary", "tertiary", "unclassified"} <= set(r.highway)
    geoms = r.geometry.to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms, predicate="crosses")
    i, j = i[i < j], j[i < j]
    u, v = r.u.to_numpy(), r.v.to_numpy()
    shared = (u[i] == u[j]) | (u[i] == v[j]) | (v[i] == u[j]) | (v[i] == v[j])
    on_canal = (r.bridge.to_numpy() == "yes") & shapely.intersects(
        geoms, shapely.union_all(canals.to_numpy()))
    bad = ~shared & ~on_canal[i] & ~on_canal[j]
    assert not bad.any(), r.iloc[np.r_[i[bad], j[bad]]][["u", "v", "highway"]]
    # the junctions are real: main roads share nodes with the lanes they cross
    main = r.highway.isin(["primary", "secondary", "tertiary"]).to_numpy()
    lane_nodes = set(u[~main]) | set(v[~main])
    main_nodes = set(u[main]) | set(v[main])
    assert len(lane_nodes & main_nodes) > stats["bridges"]


def test_synthetic_roads_have_short_local_detours(small_network, small_county):
    _, layers = small_network
    g, _ = osm.road_graph(layers, crs=CRS)
    xy = g.node_xy
    pairs = cKDTree(xy).query_pairs(600.0, output_type="ndarray")
    straight = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    pairs, straight = pairs[straight >= 200.0], straight[straight >= 200.0]
    src, pos = np.unique(pairs[:, 0], return_inverse=True)
    dist = csgraph.dijkstra(g.walk, directed=False, indices=src)
    ratio = dist[pos, pairs[:, 1]] / straight
    assert pairs.shape[0] > 1000 and np.isfinite(ratio).all()
    assert np.median(ratio) < 1.6
    # pairs on opposite banks of a canal wait for a bridge (every ~2.5 km on lanes)
    canals = shapely.union_all(small_county[3].to_crs(CRS).to_numpy())
    over = shapely.intersects(
        shapely.linestrings(np.stack([xy[pairs[:, 0]], xy[pairs[:, 1]]], axis=1)), canals)
    assert (ratio[~over] > 3.0).mean() < 0.05
    assert (ratio > 3.0).mean() < 0.1 and (ratio > 10.0).mean() < 0.02


def test_synthetic_centres_are_joined_to_lanes(small_network, small_county):
    _, layers = small_network
    _, towns, villages, _ = small_county
    r = layers.roads
    to_m = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
    xy = np.column_stack(to_m.transform(layers.nodes.lon.to_numpy(), layers.nodes.lat.to_numpy()))
    for gdf in (villages, towns):
        p = gdf.geometry.to_crs(CRS).representative_point()
        d, k = cKDTree(xy).query(np.column_stack([p.x, p.y]))
        assert (d < 0.5).all()
        centre = layers.nodes.index.to_numpy()[k]
        lane = r[~r.highway.isin(["primary", "secondary", "tertiary"])]
        assert np.isin(centre, np.r_[lane.u, lane.v]).all()


def test_synthetic_network_needs_metric_crs(small_county, tmp_path):
    county, towns, villages, canals = small_county
    with pytest.raises(CRSError):
        rs.write_synthetic_osm(tmp_path / "x.osm", county=county, villages=villages, towns=towns,
                               crs=pyproj.CRS("EPSG:4326"))


def test_synthetic_divisions_shapes(small_county):
    county, towns, villages, canals = small_county
    assert len(villages) == 10 and villages.town_code.nunique() == 2
    assert isinstance(towns, gpd.GeoDataFrame) and towns.crs.to_epsg() == 4326
    area = gpd.GeoSeries([county], crs=4326).to_crs(CRS).area.iloc[0]
    assert area == pytest.approx(49e6, rel=1e-3)
    assert villages.to_crs(CRS).area.sum() == pytest.approx(area, rel=1e-6)
