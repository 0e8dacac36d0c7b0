"""Water and coast from OpenStreetMap: classes, and the merge with a workspace layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from planner.glossary import WATER_TYPES
from planner.load import osm
from planner.records.ledger import Ledger
from planner.settings import WaterConfig
from planner.settings._water_rules import DEFAULT_TYPE_WEIGHTS
from planner.validate.osm_water import add_osm_water, duplicates, osm_water_layer
from planner.validate.water_layer import LAKE_MIN_M2, classify_osm

CLIPPED = Path(__file__).resolve().parents[1] / "data" / "clipped.osm.bz2"
CRS = pyproj.CRS("EPSG:32651")


@pytest.fixture(scope="module")
def water():
    return osm.read_osm(CLIPPED).water


def test_osm_water_and_coast_classes(water):
    layer = osm_water_layer(water, crs=CRS)
    got = dict(zip(layer["water_id"], layer["type"], strict=True))
    assert got == {
        "osm:relation/900100": "lake",       # multipolygon natural=water + water=lake
        "osm:way/900001": "pond",            # natural=water, 0.2 ha, no subtype
        "osm:way/900002": "lake",            # natural=water, 17 ha, no subtype: a city lake
        "osm:way/900003": "reservoir",
        "osm:way/900004": "river",           # natural=water + water=river (an area)
        "osm:way/900005": "canal",           # waterway=canal line
        "osm:way/900006": "ditch",
        "osm:way/900007": "pond",            # water=fishpond
        "osm:way/900008": "coast",           # natural=coastline
        "osm:way/900009": "ditch",           # waterway=drain, cut by the box
    }
    labels = dict(zip(layer["type"], layer["type_label"], strict=True))
    assert labels["coast"] == "海岸/近岸海域" and labels["lake"] == "湖泊"
    lake = water[water.osm_id == 900100].geometry.iloc[0]
    assert len(lake.interiors) == 1  # the island is a hole
    assert water[water.osm_id == 900008].geom_type.iloc[0] == "LineString"
    # the areas that decided pond / lake, measured independently
    area = gpd.GeoSeries(water.geometry.to_numpy(), crs=4326).to_crs(CRS).area.to_numpy()
    plain = water["water"].isna() & (water["natural"] == "water")
    assert ((area[plain.to_numpy()] >= LAKE_MIN_M2)
            == (layer["type"][plain.to_numpy()] == "lake")).all()


def test_classify_rules_and_coast_weight():
    tags = pd.DataFrame({
        "natural": ["water", "water", "coastline", "bay", None, "water", "wetland"],
        "water": [None, None, None, None, None, "canal", None],
        "waterway": [None, None, None, None, "tidal_channel", None, None],
    })
    area = np.array([LAKE_MIN_M2 - 1, LAKE_MIN_M2, 0, 0, 0, 9e6, 1e6])
    assert list(classify_osm(tags, area_m2=area)) == [
        "pond", "lake", "coast", "coast", "river", "canal", "other"]
    assert list(classify_osm(tags)[:2]) == ["pond", "pond"]  # no areas: ponds
    assert set(DEFAULT_TYPE_WEIGHTS) == set(WATER_TYPES)
    factors = WaterConfig().type_factor
    assert factors["coast"] == pytest.approx(0.05 / 0.30) == factors["other"]
    custom = WaterConfig.from_mapping({"type_weights": {"coast": 0.2}}, source="t.toml")
    assert custom.type_factor["coast"] == pytest.approx(0.2 / 0.3)


def test_merge_keeps_the_layer_and_adds_only_new_osm_water(water):
    osm_layer = osm_water_layer(water, crs=CRS)
    reservoir = osm_layer[osm_layer.water_id == "osm:way/900003"].to_crs(CRS).geometry.iloc[0]
    canal = osm_layer[osm_layer.water_id == "osm:way/900005"].to_crs(CRS).geometry.iloc[0]
    far = shapely.box(0, 0, 50, 50)  # nowhere near
    own = gpd.GeoDataFrame(
        {"_row": [1, 2, 3], "name": ["东风水库", "运河", "远处"], "type": ["水库", "明渠", "坑塘"]},
        geometry=[shapely.affinity.translate(reservoir, 8, -5),  # drawn 10 m off
                  canal.buffer(15),                             # the canal as an area
                  far], crs=CRS).to_crs(4326)
    dup = duplicates(osm_layer, own, crs=CRS)
    assert set(osm_layer.water_id[dup]) == {"osm:way/900003", "osm:way/900005"}
    extra, ledger = {"water": own}, Ledger()
    info = add_osm_water(extra, water, crs=CRS, ledger=ledger, file="clipped.osm.bz2")
    assert info == {"read": 10, "added": 8, "duplicates": 2, "merged_with_layer": True,
                    "lines_merged_into_areas": 0,
                    "by_type": {"coast": 1, "ditch": 2, "lake": 2, "pond": 2, "river": 1}}
    merged = extra["water"]
    assert len(merged) == 3 + 8 and list(merged["source"]).count("layer") == 3
    assert list(merged["type"][:3]) == ["reservoir", "canal", "pond"]
    assert not ledger.reconcile() and len(ledger.rejected) == 2
    assert merged.water_id.is_unique


def test_no_layer_takes_all_osm_water(water):
    extra, ledger = {}, Ledger()
    info = add_osm_water(extra, water, crs=CRS, ledger=ledger, file="x.osm")
    assert info["added"] == len(extra["water"]) == len(water) and not info["merged_with_layer"]
    empty = {}
    add_osm_water(empty, water.iloc[:0], crs=CRS, ledger=Ledger(), file="x.osm")
    assert "water" not in empty
