"""Loading a whole workspace: duplicates across files, projected layers, child counts."""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner.records.ledger import Ledger
from planner.settings import load_settings
from planner.validate.intake import load_workspace
from planner.validate.site_list import dedupe_sites

UTM = CRS.from_epsg(32651)


def _facilities(rows):
    lon, lat = 120.55, 32.35
    geoms = [shapely.Point(lon + dx / 94_000, lat + dy / 111_000) for *_, dx, dy in rows]
    frame = gpd.GeoDataFrame({
        "kind": [r[0] for r in rows], "name": [r[1] for r in rows],
        "_file": [r[2] for r in rows], "_row": list(range(2, len(rows) + 2)),
    }, geometry=geoms, crs=4326)
    return frame


def test_duplicates_same_name_nearby_or_same_spot():
    frame = _facilities([
        ("care_point", "东村儿童之家", "a.csv", 0, 0),
        ("care_point", "东村儿童之家", "b.csv", 40, 0),  # same name 40 m away: duplicate
        ("care_point", "东村儿童之家", "a.csv", 400, 0),  # same name 400 m away: kept
        ("care_home", "东村儿童之家", "a.csv", 0, 0),  # other kind: kept
        ("care_point", "", "a.csv", 0.2, 0),  # blank name, same spot: duplicate
        ("care_point", "西村儿童之家", "a.csv", 60, 0),  # other name: kept
    ])
    ledger = Ledger()
    ledger.read("facilities", "a.csv", 5)
    ledger.read("facilities", "b.csv", 1)
    kept = dedupe_sites(frame, ledger, crs=UTM, within=100.0)
    assert kept["_row"].tolist() == [2, 4, 5, 7]
    reasons = {(r["file"], r["row"]): r["reason"] for r in ledger.rejected}
    assert "duplicate of a.csv row 2" in reasons[("b.csv", 3)]
    assert "duplicate of a.csv row 2" in reasons[("a.csv", 6)]


def test_projected_layer_is_moved_to_wgs84(mini):
    towns = gpd.read_file(mini / "towns.geojson").to_crs(UTM)
    towns.to_file(mini / "towns.gpkg", driver="GPKG")
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("towns.geojson", "towns.gpkg"),
                    encoding="utf-8")
    ws = load_workspace(load_settings(mini))
    assert ws.towns.crs.to_epsg() == 4326
    assert np.allclose(ws.towns.total_bounds, [120.5, 32.3, 120.6, 32.4], atol=1e-6)
    assert ws.crs.to_epsg() == 32651


def test_gcj02_polygon_layer_is_converted(mini):
    from planner.geo.datum import transform_geometry

    villages = gpd.read_file(mini / "villages.gpkg")
    shifted = transform_geometry(villages.geometry.to_numpy(), datum="gcj02", inverse=True)
    villages.set_geometry(gpd.GeoSeries(shifted, crs=4326)).to_file(mini / "villages.gpkg",
                                                                    driver="GPKG")
    toml = mini / "planner.toml"
    text = toml.read_text(encoding="utf-8").replace(
        'path = "villages.gpkg"', 'path = "villages.gpkg"\ndatum = "gcj02"')
    toml.write_text(text, encoding="utf-8")
    ws = load_workspace(load_settings(mini))
    assert shapely.hausdorff_distance(ws.villages.geometry.iloc[0],
                                      shapely.box(120.5, 32.3, 120.55, 32.35)) < 1e-7


def test_child_counts_merged_and_ledger_balances(mini):
    ws = load_workspace(load_settings(mini))
    assert ws.villages["children"].tolist() == [100, 200, 300, 400]
    assert ws.villages["vulnerable_red"].sum() == 0
    summary = pd.DataFrame(ws.ledger.summary()).set_index("layer")
    assert summary.loc["children", "accepted"] == 4
    assert ws.crs.is_projected
