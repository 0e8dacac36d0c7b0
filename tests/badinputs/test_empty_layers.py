"""Layers with nothing usable: one line when the run cannot go on, else balanced books."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest


def _inputs(res) -> dict:
    items = json.loads((res.out / "run.json").read_text(encoding="utf-8"))["inputs"]
    return {i["layer"]: i for i in items}


def test_towns_without_features(mini, cli):
    towns = gpd.read_file(mini / "towns.geojson")
    towns.iloc[:0].to_file(mini / "towns.geojson")
    res = cli(mini, "check")
    assert res.code == 2
    assert res.line.endswith("towns.geojson: the layer 'towns' has no features; give the file "
                             "that holds the boundaries")


def test_every_village_rejected(mini, cli):
    villages = gpd.read_file(mini / "villages.gpkg")
    villages["code"] = ""
    (mini / "villages.gpkg").unlink()
    villages.to_file(mini / "villages.gpkg")
    res = cli(mini)
    assert res.code == 2
    assert res.line.endswith("villages.gpkg: every record of layer 'villages' was rejected "
                             "(row 1: village_code 为空 / village_code is blank: fill it in); "
                             "fix the file")


def test_planner_toml_saved_as_gbk(mini, cli):
    toml = mini / "planner.toml"
    toml.write_bytes(toml.read_text(encoding="utf-8").encode("gb18030"))
    res = cli(mini, "check")
    assert res.code == 2
    assert "planner.toml: not UTF-8 text (invalid start byte at byte 20); save planner.toml " \
           "as UTF-8" in res.line


@pytest.mark.slow  # a whole run of its own
def test_facility_file_with_a_header_only(mini, cli):
    path = mini / "facilities.csv"
    path.write_bytes(path.read_bytes().split(b"\n")[0] + b"\n")
    res = cli(mini)
    assert res.code == 0
    fac = _inputs(res)["facilities"]
    assert (fac["read"], fac["accepted"], fac["rejected"]) == (0, 0, 0)


@pytest.mark.slow  # a whole run of its own
def test_every_facility_outside_the_county(mini, cli):
    path = mini / "facilities.csv"
    frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    frame["经度"] = "121.5"
    frame.to_csv(path, index=False, encoding="gb18030")
    res = cli(mini)  # a site list that lost every record cannot give a right table
    assert res.code == 2 and len(res.err) == 1
    assert "数据不全" in res.line and "9 of 9 records" in res.line and "位置在县域外" in res.line
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "max_unusable_share = 0.25", "accept_incomplete = true"), encoding="utf-8")
    res = cli(mini)
    assert res.code == 0
    fac = _inputs(res)["facilities"]
    assert (fac["read"], fac["accepted"], fac["rejected"]) == (9, 0, 9)
    rej = pd.read_csv(res.out / "rejected.csv", dtype=str)
    reasons = rej.loc[rej["file"] == "facilities.csv", "reason"]
    assert reasons.str.split(" / ").str[0].value_counts().to_dict() == {
        "位置在县域外": 7, "未知设施类型": 1, "坐标不在中国范围内": 1}  # row 4 had x/y swapped


@pytest.mark.slow  # a whole run of its own
def test_water_layer_with_nothing_usable_is_left_out(mini, cli):
    import shapely

    water = gpd.GeoDataFrame({"type": ["喷泉"]}, geometry=[shapely.box(120.51, 32.31, 120.52,
                                                                     32.32)], crs=4326)
    water.to_file(mini / "water.gpkg")
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[quota]", '[layers.water]\npath = "water.gpkg"\n\n[quota]'), encoding="utf-8")
    res = cli(mini)
    assert res.code == 0
    run = json.loads((res.out / "run.json").read_text(encoding="utf-8"))
    assert "water.gpkg（water）没有可用记录，未使用 / no usable records in layer 'water': it " \
           "is not used" in run["findings"]
    assert run["water"] is None
    assert _inputs(res)["water"]["rejected"] == 1


def test_missing_quota_column_points_at_quota_kinds(mini, cli):
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'care_point = { column = "站点" }', 'care_point = { column = "站" }'), encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert res.line.endswith("quota.csv: column(s) ['站'] missing for layer 'quota' (present: "
                             "['镇', '关爱之家', '站点']); set [quota] town and the "
                             "[quota.kinds] columns in planner.toml to the file's column names")


def test_missing_datum_column_points_at_x_y(mini, cli):
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'datum_column = "坐标系"', 'datum_column = "坐标"'), encoding="utf-8")
    res = cli(mini, "check")
    assert res.code == 2
    assert res.line.endswith("set x, y and datum_column of this layer in planner.toml to the "
                             "file's column names")


def _as_points(path):
    frame = gpd.read_file(path)
    frame["geometry"] = frame.geometry.representative_point()
    frame.to_file(path)


def test_a_town_layer_of_points_is_one_line(mini, cli):
    _as_points(mini / "towns.geojson")
    res = cli(mini)
    assert res.code == 2
    assert "towns.geojson" in res.line and "not a polygon" in res.line


def test_a_water_layer_of_points_is_left_out(mini, cli):
    import shapely

    water = gpd.GeoDataFrame({"type": ["坑塘"] * 3}, geometry=[shapely.Point(120.52, 32.33)] * 3,
                             crs=4326)
    water.to_file(mini / "water.gpkg")
    toml = mini / "planner.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[quota]", '[layers.water]\npath = "water.gpkg"\n\n[quota]'), encoding="utf-8")
    res = cli(mini)
    assert res.code == 0, res.err
    assert _inputs(res)["water"]["rejected"] == 3
    assert json.loads((res.out / "run.json").read_text(encoding="utf-8"))["water"] is None
