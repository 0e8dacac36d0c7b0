"""Homes that are homes: children spread over each village's area outside water when there
is no settlements layer, and no home ever inside water."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS

from planner.measure.homes import water_homes
from planner.measure.risk import WaterConfig
from planner.propose.water_safety import water_safety

UTM = CRS.from_epsg(32651)
X0, Y0 = 250_000.0, 3_580_000.0


def _villages(boxes, children):
    return gpd.GeoDataFrame({"village_code": [f"V{i}" for i in range(len(boxes))],
                             "village_name": [f"{i}村" for i in range(len(boxes))],
                             "children": children, "under5": [c // 5 for c in children],
                             "left_behind": [c // 4 for c in children]},
                            geometry=boxes, crs=UTM).to_crs(4326)


def _water(geoms, types):
    return gpd.GeoDataFrame({"type": types}, geometry=geoms, crs=UTM).to_crs(4326)


def test_children_spread_over_the_village_outside_water_against_brute_force():
    v0 = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)
    v1 = shapely.box(X0 + 1000, Y0, X0 + 1150, Y0 + 120)  # too small for a grid point
    reservoir = shapely.box(X0 + 310, Y0 + 330, X0 + 2000, Y0 + 2000)  # over both villages
    ditch = shapely.LineString([(X0, Y0 + 50), (X0 + 1000, Y0 + 50)])  # lines hold no homes
    villages = _villages([v0, v1], [250, 40])
    homes = water_homes(settlements=None, villages=villages,
                        water=_water([reservoir, ditch], ["水库", "沟渠"]), crs=UTM,
                        grid_m=200.0)
    pts = homes.points.to_crs(UTM)
    xy = shapely.get_coordinates(pts.geometry.to_numpy())
    # brute force: the grid cell centres of v0 outside the reservoir
    want = [(x, y) for x in np.arange(X0 + 100, X0 + 1000, 200)
            for y in np.arange(Y0 + 100, Y0 + 1000, 200)
            if not reservoir.intersects(shapely.Point(x, y))]
    got = pts[pts["village_code"] == "V0"]
    assert sorted(map(tuple, shapely.get_coordinates(got.geometry.to_numpy()).round(6))) == \
        sorted((round(x, 6), round(y, 6)) for x, y in want)
    assert got["children"].to_numpy() == pytest.approx(np.full(len(want), 250 / len(want)))
    # v1: no grid point, one point on its dry surface
    small = pts[pts["village_code"] == "V1"]
    assert len(small) == 1 and small["children"].iat[0] == pytest.approx(40)
    assert not shapely.intersects(reservoir, shapely.points(xy)).any()
    assert homes.points["children"].sum() == pytest.approx(290)
    assert homes.info["method"] == "village_area_grid" and homes.info["points"] == len(xy)


def test_settlement_points_in_water_are_put_on_the_shore_or_spread():
    village = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)
    pond = shapely.box(X0 + 500, Y0 + 500, X0 + 600, Y0 + 600)
    reservoir = shapely.box(X0 + 1000, Y0 + 1000, X0 + 1900, Y0 + 1900)
    settlements = gpd.GeoDataFrame(
        {"village_code": ["V0"] * 3, "children": [10, 20, 30], "under5": [1, 2, 3],
         "left_behind": [0, 0, 0]},
        geometry=[shapely.Point(X0 + 100, Y0 + 100),   # dry
                  shapely.Point(X0 + 590, Y0 + 550),   # 10 m inside the pond
                  shapely.Point(X0 + 1450, Y0 + 1450)],  # 450 m into the reservoir
        crs=UTM).to_crs(4326)
    homes = water_homes(settlements=settlements, villages=_villages([village], [60]),
                        water=_water([pond, reservoir], ["坑塘", "水库"]), crs=UTM,
                        grid_m=200.0)
    pts = homes.points.to_crs(UTM)
    geoms = pts.geometry.to_numpy()
    assert not shapely.intersects(shapely.union_all([pond, reservoir]), geoms).any()
    shore = geoms[1]
    assert shore.distance(shapely.Point(X0 + 600, Y0 + 550)) == pytest.approx(1.0, abs=1e-6)
    assert pts["children"].iloc[:2].tolist() == [10, 20]
    spread = pts.iloc[2:]
    assert len(spread) > 50 and spread["children"].sum() == pytest.approx(30)
    assert homes.info == {"method": "settlements", "points": 2 + len(spread),
                          "moved_to_shore": 1, "in_water": 1, "children_without_home": 0,
                          "children_moved_out_of_water": 30}


def test_a_village_point_inside_a_reservoir_is_not_the_top_risk():
    """The old fallback (one representative point per village) put the homes of a village
    whose point falls in a reservoir at 0 m from it; spread homes do not."""
    village = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)
    reservoir = shapely.box(X0 + 610, Y0 + 610, X0 + 1390, Y0 + 1390)  # holds the centre
    pond = shapely.box(X0 + 100, Y0 + 1800, X0 + 140, Y0 + 1840)       # by the houses
    villages = _villages([village], [300])
    assert reservoir.contains(villages.to_crs(UTM).representative_point().iloc[0])
    water = _water([reservoir, pond], ["水库", "坑塘"]).assign(water_id=["R", "P"])
    towns = gpd.GeoDataFrame({"town_code": ["T"], "town_name": ["镇"]}, geometry=[village],
                             crs=UTM).to_crs(4326)
    homes = water_homes(settlements=None, villages=villages, water=water, crs=UTM,
                        grid_m=200.0)
    res = water_safety(water, kits=None, settlements=homes.points, schools=None, towns=towns,
                       crs=UTM, config=WaterConfig(), year=2025, today=dt.date(2025, 6, 1),
                       plan_patrols=False)
    wr = res.water_risk.set_index("water_id")
    assert wr.loc["R", "home_m"] > 0
    assert wr.loc["P", "rank"] < wr.loc["R", "rank"]
