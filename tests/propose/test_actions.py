"""Landmarks of the water actions: the nearest road by name or class, against brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from planner.propose._geo import nearest_road

CRS = pyproj.CRS("EPSG:32651")


def test_nearest_road_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    lines = [shapely.LineString(rng.uniform(0, 2000, (2, 2))) for _ in range(30)]
    highway = rng.choice(["tertiary", "track", "footway", "bus_stop"], 30)
    names = np.where(rng.random(30) < 0.3, "S334", None)
    roads = gpd.GeoDataFrame({"highway": highway, "name": names}, geometry=lines,
                             crs=CRS).to_crs(4326)
    pts = rng.uniform(-300, 2300, (50, 2))
    got = nearest_road(pts, roads, CRS, max_m=150.0)
    label = {"tertiary": "县道", "track": "机耕路", "footway": "步道", "bus_stop": "道路"}
    metric = roads.to_crs(CRS).geometry.to_numpy()
    for p, text in zip(pts, got, strict=True):
        d = shapely.distance(shapely.Point(p), metric)
        j = int(np.argmin(d))
        if d[j] > 150.0:
            assert text == ""
            continue
        want = names[j] if names[j] is not None else label[highway[j]]
        assert text == f"近{want}（约 {d[j]:.0f} 米）"
    assert (got == "").any() and (got != "").any()
    assert list(nearest_road(pts, None, CRS)) == [""] * len(pts)


def test_demo_actions_name_a_road_nearby(demo_result) -> None:
    actions = demo_result.water.actions
    assert "landmark" in actions.columns
    share = (actions["landmark"] != "").mean()
    assert share > 0.5, share  # most kits stand within 500 m of a road
    assert actions["landmark"].str.match(r"^(近.+（约 \d+ 米）)?$").all()
