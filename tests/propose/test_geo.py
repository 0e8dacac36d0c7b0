"""Geometric helpers of the water-safety stage (planner.propose._geo): points of layers, the
town of each feature, children and distances around bank segments and water bodies, the
nearest road as a landmark — each against a plain loop over the features."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from planner.propose._geo import (
    assign_towns,
    layer_xy,
    nearest_road,
    segment_context,
    water_context,
)
from planner.settings import WaterConfig
from planner.validate.water_layer import Segments

UTM = pyproj.CRS.from_epsg(32651)
X0, Y0 = 270_000.0, 3_584_000.0
CFG = WaterConfig()


def _band(d: float) -> float:
    """The distance band of a home (near, mid, far) by hand."""
    return CFG.band_near if d <= CFG.near_m else CFG.band_mid if d <= CFG.far_m \
        else CFG.band_far


def test_layer_xy_points_and_a_point_on_each_surface():
    polygon = box(X0, Y0, X0 + 200, Y0 + 100)
    frame = gpd.GeoDataFrame(geometry=[Point(X0 + 5, Y0 + 7), polygon,
                                       LineString([(X0, Y0), (X0 + 50, Y0)])],
                             crs=UTM).to_crs(4326)
    xy = layer_xy(frame, UTM)
    assert xy.shape == (3, 2)
    np.testing.assert_allclose(xy[0], [X0 + 5, Y0 + 7], atol=1e-3)
    assert polygon.buffer(1e-3).contains(Point(xy[1]))
    assert LineString([(X0, Y0), (X0 + 50, Y0)]).distance(Point(xy[2])) < 1e-3
    assert layer_xy(None, UTM).shape == (0, 2) and layer_xy(frame.iloc[:0], UTM).shape == (0, 2)


def test_assign_towns_first_containing_town_else_the_nearest():
    towns = gpd.GeoDataFrame({"town_name": ["东镇", "西镇"]},
                             geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000),
                                       box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                             crs=UTM).to_crs(4326)
    rng = np.random.default_rng(3)
    pts = [Point(x, y) for x, y in rng.uniform([X0 - 500, Y0 - 500], [X0 + 2500, Y0 + 1500],
                                               (40, 2))]
    polys = towns.to_crs(UTM).geometry.to_list()
    border = polys[0].intersection(polys[1])
    pts += [border.interpolate(0.5, normalized=True)]  # on the shared border: the first town
    geoms = np.array(pts, dtype=object)
    expected = []
    for p in pts:
        inside = [i for i, t in enumerate(polys) if t.intersects(p)]
        expected.append(inside[0] if inside else
                        int(np.argmin([t.distance(p) for t in polys])))
    assert assign_towns(towns, geoms, UTM).tolist() == expected
    assert expected[-1] == 0
    assert assign_towns(towns.iloc[:0], geoms, UTM).tolist() == [-1] * len(pts)


@pytest.fixture(scope="module")
def scene():
    """Homes with children, schools, bank segment midpoints and water bodies, in metres."""
    rng = np.random.default_rng(11)
    homes = rng.uniform([X0, Y0], [X0 + 3000, Y0 + 3000], (60, 2))
    counts = rng.integers(0, 30, (60, 3)).astype(float)  # children, under 5, left behind
    wc = counts[:, 0] + 0.5 * counts[:, 2]
    schools = rng.uniform([X0, Y0], [X0 + 3000, Y0 + 3000], (4, 2))
    mids = rng.uniform([X0, Y0], [X0 + 3000, Y0 + 3000], (25, 2))
    waters = [box(x, y, x + w, y + h) for x, y, w, h in
              zip(*rng.uniform([X0, Y0, 10, 10], [X0 + 2800, Y0 + 2800, 200, 150], (12, 4)).T,
                  strict=True)]
    waters.append(LineString([(X0 + 100, Y0 + 100), (X0 + 2900, Y0 + 2900)]))  # a canal
    return homes, counts, wc, schools, mids, np.array(waters, dtype=object)


def test_segment_context_equals_a_loop(scene):
    homes, _counts, wc, schools, mids, _waters = scene
    seg = Segments(bank=np.zeros(len(mids), int), s0=np.zeros(len(mids)),
                   s1=np.ones(len(mids)), x=mids[:, 0], y=mids[:, 1])
    home_m, school_m, near = segment_context(seg, homes, wc, schools, CFG)
    for k, (x, y) in enumerate(mids):
        d_home = np.hypot(homes[:, 0] - x, homes[:, 1] - y)
        d_school = np.hypot(schools[:, 0] - x, schools[:, 1] - y)
        assert home_m[k] == pytest.approx(d_home.min())
        assert school_m[k] == pytest.approx(d_school.min())
        assert near[k] == pytest.approx(sum(wc[h] * _band(d) for h, d in enumerate(d_home)
                                            if d <= CFG.far_m))
    empty = segment_context(seg, np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2)), CFG)
    assert np.isinf(empty[0]).all() and np.isinf(empty[1]).all() and (empty[2] == 0).all()


def test_water_context_equals_a_loop(scene):
    homes, counts, wc, schools, _mids, waters = scene
    out = water_context(waters, homes, counts, wc, schools, CFG)
    for k, geom in enumerate(waters):
        d_home = [geom.distance(Point(h)) for h in homes]
        d_school = [geom.distance(Point(s)) for s in schools]
        assert out["home_m"][k] == pytest.approx(min(d_home))
        assert out["school_m"][k] == pytest.approx(min(d_school))
        within = [h for h, d in enumerate(d_home) if d <= CFG.far_m]
        assert out["weighted_children"][k] == pytest.approx(
            sum(wc[h] * _band(d_home[h]) for h in within))
        for j, key in enumerate(("children_500", "under5_500", "left_behind_500")):
            assert out[key][k] == pytest.approx(counts[within, j].sum())
    assert out["children_500"][-1] > 0  # the canal crosses the homes


def test_nearest_road_names_the_road_or_its_class():
    roads = gpd.GeoDataFrame(
        {"highway": ["secondary", "unclassified", "weird"], "name": ["S334", None, None]},
        geometry=[LineString([(X0, Y0), (X0 + 2000, Y0)]),
                  LineString([(X0, Y0 + 1000), (X0 + 2000, Y0 + 1000)]),
                  LineString([(X0 + 3000, Y0), (X0 + 3000, Y0 + 1000)])],
        crs=UTM).to_crs(4326)
    points = np.array([[X0 + 500, Y0 + 40], [X0 + 500, Y0 + 985], [X0 + 500, Y0 + 500],
                       [X0 + 2990, Y0 + 500]])
    labels = nearest_road(points, roads, UTM)
    lines = roads.to_crs(UTM).geometry.to_list()
    for (x, y), label in zip(points, labels, strict=True):
        d = [line.distance(Point(x, y)) for line in lines]
        i = int(np.argmin(d))
        if d[i] > 500:
            assert label == ""
        else:
            name = ["S334", "乡村道路", "道路"][i]
            assert label == f"近{name}（约 {d[i]:.0f} 米）"
    assert labels.tolist()[:2] == ["近S334（约 40 米）", "近乡村道路（约 15 米）"]
    assert nearest_road(points, None, UTM).tolist() == [""] * 4
    shapes = shapely.points(points)
    assert nearest_road(shapes, roads, UTM).tolist() == labels.tolist()
