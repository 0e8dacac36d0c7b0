"""Patrol units (planner.propose.patrol_units): the village that patrols each water (the one
holding its access point, else the nearest), the villages' seats and towns, the fall-backs
to towns and to one unit, and the run.json summary — against plain loops."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import Point, box

from planner._errors import InputFileError
from planner.propose.patrol_units import patrol_summary, patrol_units, plan_patrols_for
from planner.settings import WaterConfig

UTM = pyproj.CRS.from_epsg(32651)
X0, Y0 = 270_000.0, 3_584_000.0


def _villages(with_towns: bool = True) -> gpd.GeoDataFrame:
    cells = [(0, 0), (1, 0), (0, 1), (1, 1)]
    frame = gpd.GeoDataFrame(
        {"village_code": ["v1", "v2", "v3", "v4"],
         "village_name": ["一村", "二村", "三村", "四村"]},
        geometry=[box(X0 + 1000 * i, Y0 + 1000 * j, X0 + 1000 * (i + 1), Y0 + 1000 * (j + 1))
                  for i, j in cells], crs=UTM)
    if with_towns:
        frame["town_code"] = ["t1", "t1", "t2", "t2"]
        frame["town_name"] = ["东镇", "东镇", "西镇", "西镇"]
    return frame.to_crs(4326)


def _towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"town_code": ["t1", "t2"], "town_name": ["东镇", "西镇"]},
                            geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000),
                                      box(X0, Y0 + 1000, X0 + 2000, Y0 + 2000)],
                            crs=UTM).to_crs(4326)


def _waters(n: int = 15, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    xy = rng.uniform([X0 - 300, Y0 - 300], [X0 + 2300, Y0 + 2300], (n, 2))
    return pd.DataFrame({"water_id": [f"w{i}" for i in range(n)], "name": [""] * n,
                         "type_label": ["坑塘"] * n, "town_code": ["t1"] * n,
                         "town_name": ["东镇"] * n, "tier": ["A", "B", "C"] * (n // 3),
                         "score": rng.uniform(10, 90, n), "x": xy[:, 0], "y": xy[:, 1]})


def test_each_water_goes_to_the_village_holding_its_access_point_else_the_nearest():
    villages, pw = _villages(), _waters()
    units, seats = patrol_units(pw, villages, _towns(), UTM)
    polys = villages.to_crs(UTM).geometry.to_list()
    codes = villages["village_code"].tolist()
    for (x, y), got in zip(pw[["x", "y"]].to_numpy(), units["village_code"], strict=True):
        p = Point(x, y)
        inside = [c for c, poly in zip(codes, polys, strict=True) if poly.intersects(p)]
        assert got == (inside[0] if inside else codes[int(np.argmin([q.distance(p)
                                                                     for q in polys]))])
    assert set(units.columns) == set(pw.columns) | {"village_code"}
    assert seats["village_code"].tolist() == codes
    assert seats["town_code"].tolist() == ["t1", "t1", "t2", "t2"]
    for poly, (x, y) in zip(polys, seats[["x", "y"]].to_numpy(), strict=True):
        assert poly.contains(Point(x, y))  # each seat lies in its village


def test_seats_take_the_town_they_lie_in_when_villages_have_no_town():
    _units, seats = patrol_units(_waters(), _villages(with_towns=False), _towns(), UTM)
    assert seats["town_code"].tolist() == ["t1", "t1", "t2", "t2"]
    assert seats["town_name"].tolist() == ["东镇", "东镇", "西镇", "西镇"]


def test_without_villages_the_towns_patrol_and_without_towns_one_unit():
    pw = _waters()
    units, seats = patrol_units(pw, None, _towns(), UTM)
    assert units["village_code"].tolist() == pw["town_code"].tolist()
    assert seats["village_code"].tolist() == ["t1", "t2"]
    units, seats = patrol_units(pw, None, _towns().iloc[:0], UTM)
    assert seats["village_code"].tolist() == [""]
    np.testing.assert_allclose(seats[["x", "y"]].to_numpy()[0],
                               pw[["x", "y"]].to_numpy().mean(axis=0))
    with pytest.raises(InputFileError, match="villages layer lacks the column 'village_code'"):
        patrol_units(pw, _villages().drop(columns="village_code"), _towns(), UTM)


def test_summary_figures_by_hand():
    plan = pd.DataFrame({"village_code": ["v1", "v1", "v2"],
                         "length_m": [1500.0, 2500.0, 12345.0]})
    assert patrol_summary(plan, year=2025, network=False) == {
        "routes": 3, "route_km": round(1.5 + 2.5 + 12.345, 1),
        "mean_route_km": round((1.5 + 2.5 + 12.345) / 3, 2), "max_route_km": 12.35,
        "villages_with_patrols": 2, "year": 2025, "road_network": False}
    empty = patrol_summary(plan.iloc[:0], year=2025, network=True)
    assert empty["routes"] == 0 and empty["mean_route_km"] == 0.0 and empty["road_network"]


def test_plan_for_no_waters_and_for_some():
    ranking, plan, routes, calendar, cap = plan_patrols_for(
        None, villages=_villages(), towns=_towns(), crs=UTM, year=2025,
        config=WaterConfig(), graph=None)
    assert ranking.empty and plan.empty and routes is None and calendar is None and cap == {}
    pw = _waters()
    ranking, plan, routes, calendar, cap = plan_patrols_for(
        pw, villages=_villages(), towns=_towns(), crs=UTM, year=2025,
        config=WaterConfig.from_mapping({"calendar": "fixed"}, source="t"), graph=None)
    units, _seats = patrol_units(pw, _villages(), _towns(), UTM)
    assert set(plan["village_code"]) <= set(units["village_code"])
    assert cap["distinct_routes"] == len(routes) and cap["calendar"] == "fixed"
