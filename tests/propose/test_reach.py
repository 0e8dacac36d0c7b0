"""Proposals' newly covered children use the demand model of coverage.csv."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from planner.measure.access import compute_access
from planner.propose.reach import newly_covered
from planner.settings import AccessConfig, KindRule

UTM = CRS("EPSG:32651")
X0, Y0 = 600_000.0, 3_570_000.0


def _gdf(frame: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=UTM).to_crs(4326)


def _county():
    """Four 2 km villages in a row; settlements weighted by children; one existing point."""
    boxes = [shapely.box(X0 + 2000 * i, Y0, X0 + 2000 * (i + 1), Y0 + 2000) for i in range(4)]
    villages = _gdf({"village_code": ["V0", "V1", "V2", "V3"],
                     "village_name": ["甲村", "乙村", "丙村", "丁村"],
                     "town_code": ["T"] * 4, "town_name": ["甲镇"] * 4,
                     "children": [100, 80, 60, 40], "left_behind": [10, 8, 6, 4],
                     "vulnerable": [1, 1, 1, 1], "under5": [5, 5, 5, 5]}, boxes)
    rng = np.random.default_rng(7)
    xy = np.column_stack([X0 + rng.uniform(50, 7950, 40), Y0 + rng.uniform(50, 1950, 40)])
    code = [f"V{int((x - X0) // 2000)}" for x in xy[:, 0]]
    homes = _gdf({"village_code": code, "weight": rng.integers(1, 20, 40).astype(float)},
                 shapely.points(xy))
    existing = _gdf({"facility_id": ["E1"], "kind": ["care_point"], "standard": ["basic"]},
                    [shapely.Point(X0 + 1000, Y0 + 1000)])
    proposed = _gdf({"kind": ["care_point"] * 3},
                    [shapely.Point(X0 + 2900, Y0 + 1000), shapely.Point(X0 + 5000, Y0 + 900),
                     shapely.Point(X0 + 5400, Y0 + 1100)])
    return villages, homes, existing, proposed


def _brute(villages, homes, existing, proposed, threshold):
    """Children per settlement (children x weight share in its village), credited to the
    first proposal within reach, one settlement and one site at a time."""
    hv = homes.to_crs(UTM)
    ev = [g for g in existing.to_crs(UTM).geometry]
    pv = [g for g in proposed.to_crs(UTM).geometry]
    kids = dict(zip(villages["village_code"], villages["children"], strict=True))
    total_w = hv.groupby("village_code")["weight"].sum()
    out = [0.0] * len(pv)
    for row in hv.itertuples():
        child = kids[row.village_code] * row.weight / total_w[row.village_code]
        if any(row.geometry.distance(e) <= threshold for e in ev):
            continue
        for j, p in enumerate(pv):
            if row.geometry.distance(p) <= threshold:
                out[j] += child
                break
    return out


@pytest.mark.parametrize("threshold", [800.0, 1500.0])
def test_newly_covered_matches_brute_force_and_coverage(threshold):
    villages, homes, existing, proposed = _county()
    got = newly_covered(proposed, villages=villages, existing=existing, demand_points=homes,
                        crs=UTM, threshold=threshold)
    assert np.allclose(got, _brute(villages, homes, existing, proposed, threshold))
    # the same figures as coverage.csv: children within reach after minus before
    config = AccessConfig(rules={**AccessConfig().rules,
                                 "care_point": KindRule(threshold, "walk")})
    sites_after = pd.concat([existing, proposed.assign(facility_id=["P1", "P2", "P3"],
                                                       standard="basic")], ignore_index=True)

    def within(sites):
        cov = compute_access(villages, gpd.GeoDataFrame(sites, crs=4326), crs=UTM,
                             config=config, demand_points=homes).coverage
        row = cov[(cov["level"] == "county") & (cov["kind"] == "care_point")]
        return float(row["children_covered"].iloc[0])

    assert got.sum() == pytest.approx(within(sites_after) - within(existing))
    assert got.sum() > 0
