"""Locating points: within a village, nearest within tolerance, declared-town checks."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from planner._errors import CRSError
from planner.locate.sites import locate_points, town_matches

UTM = CRS.from_epsg(32651)
VILLAGES = gpd.GeoDataFrame({
    "village_code": ["1", "2"], "village_name": ["东村", "西村"],
    "town_code": ["A", "B"], "town_name": ["甲山镇", "乙水镇"],
}, geometry=[shapely.box(120.50, 32.30, 120.55, 32.35), shapely.box(120.56, 32.30, 120.60, 32.35)],
    crs=4326)


def test_within_nearest_and_lost():
    pts = gpd.GeoDataFrame(geometry=shapely.points([(120.52, 32.32), (120.5505, 32.32),
                                                    (120.555, 32.32)]), crs=4326)
    out = locate_points(pts, villages=VILLAGES, crs=UTM, tolerance_m=100)
    assert out["village_name"].tolist()[:2] == ["东村", "东村"]
    assert out["located_by"].tolist() == ["within", "nearest", ""]
    assert 40 < out["offset_m"].iloc[1] < 55  # 0.0005 degree of longitude at 32.3 N


def test_geographic_crs_refused():
    with pytest.raises(CRSError, match="degrees"):
        locate_points(VILLAGES, villages=VILLAGES, crs=CRS.from_epsg(4326), tolerance_m=1)


def test_town_matches_uses_aliases_and_stems():
    declared = pd.Series(["甲山镇", "甲山", "城北街道", "乙水镇", ""])
    located = pd.Series(["甲山镇", "甲山镇", "如皋市经济开发区", "甲山镇", "甲山镇"])
    out = town_matches(declared, located, aliases={"城北街道": "如皋市经济开发区"})
    assert out.tolist()[:4] == [True, True, True, False]
    assert pd.isna(out.iloc[4])


def test_a_point_in_an_overlap_goes_to_the_declared_unit():
    overlap = gpd.GeoDataFrame({
        "village_code": ["1", "2"], "village_name": ["东村", "西村"],
        "town_code": ["A", "B"], "town_name": ["甲山镇", "乙水镇"],
    }, geometry=[shapely.box(120.50, 32.30, 120.56, 32.35),
                 shapely.box(120.55, 32.30, 120.60, 32.35)], crs=4326)
    pts = gpd.GeoDataFrame(geometry=shapely.points([(120.555, 32.32)] * 3), crs=4326)
    prefer = pd.DataFrame({"declared_village_code": ["", "", "2"],
                           "declared_town_code": ["", "B", ""]})
    out = locate_points(pts, villages=overlap, crs=UTM, tolerance_m=100, prefer=prefer)
    assert out["town_name"].tolist() == ["甲山镇", "乙水镇", "乙水镇"]
