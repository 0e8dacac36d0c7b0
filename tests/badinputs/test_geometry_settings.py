"""Geometry and settings cases that used to be accepted silently."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from tests.badinputs.conftest import edit, rejected


def _villages(mini, change):
    frame = gpd.read_file(mini / "villages.gpkg")
    frame = change(frame)
    (mini / "villages.gpkg").unlink()
    frame.to_file(mini / "villages.gpkg")


def _findings(res) -> list[str]:
    return json.loads((res.out / "run.json").read_text(encoding="utf-8"))["findings"]


def _balanced(res) -> None:
    for item in json.loads((res.out / "run.json").read_text(encoding="utf-8"))["inputs"]:
        assert item["read"] == item["accepted"] + item["rejected"], item


@pytest.mark.slow  # a whole run of its own
def test_zero_area_village_is_rejected(mini, cli):
    def add(frame):
        sliver = shapely.Polygon([(120.51, 32.31), (120.52, 32.31), (120.52, 32.31 + 1e-9),
                                  (120.51, 32.31)])
        assert sliver.is_valid and sliver.area > 0
        frame.loc[len(frame)] = ["320999001009", "线村", sliver]
        return frame

    _villages(mini, add)
    res = cli(mini)
    assert res.code == 0
    rej = rejected(res.out)
    row = rej[rej["file"] == "villages.gpkg"]
    assert row["row"].tolist() == ["5"]
    assert row["reason"].iloc[0].startswith("面积为零 / the polygon has no area")
    _balanced(res)


@pytest.mark.slow  # a whole run of its own
def test_overlapping_villages_are_a_finding(mini, cli):
    def grow(frame):
        frame.loc[0, "geometry"] = shapely.box(120.5, 32.3, 120.56, 32.35)  # into 南村
        return frame

    _villages(mini, grow)
    res = cli(mini)
    assert res.code == 0
    found = [f for f in _findings(res) if "村界重叠" in f]
    assert len(found) == 1
    assert found[0].startswith("1 处村界重叠 / village boundaries overlap")
    assert "东村×南村（" in found[0]


@pytest.mark.slow  # a whole run of its own
def test_touching_villages_are_no_finding(mini, cli):
    res = cli(mini)
    assert res.code == 0
    assert not [f for f in _findings(res) if "村界重叠" in f or "不在任何镇界内" in f]


@pytest.mark.slow  # a whole run of its own
def test_village_inside_no_town_is_a_finding(mini, cli):
    def move(frame):
        frame.loc[3, "geometry"] = shapely.box(120.61, 32.35, 120.63, 32.37)  # east of 乙水镇
        return frame

    county = gpd.read_file(mini / "county.geojson")
    county.geometry = [shapely.box(120.5, 32.3, 120.65, 32.4)]
    county.to_file(mini / "county.geojson")
    _villages(mini, move)
    res = cli(mini)
    assert res.code == 0
    found = [f for f in _findings(res) if "个村不在任何镇界内" in f]
    assert found == ["1 个村不在任何镇界内 / villages inside no town boundary (kept under "
                     "their town_code): 北村; fix the town or village boundaries"]


@pytest.mark.slow  # a whole run of its own
def test_two_towns_with_the_same_name(mini, cli):
    towns = gpd.read_file(mini / "towns.geojson")
    towns.loc[1, "town_name"] = "甲山镇"
    towns.to_file(mini / "towns.geojson")
    quota = "镇,关爱之家,站点\n甲山镇,1,2\n320999002,1,2\n"
    (mini / "quota.csv").write_text(quota, encoding="utf-8")
    edit(mini / "planner.toml", '"甲山街道" = "甲山镇"', '"甲山街道" = "320999001"')
    res = cli(mini)
    assert res.code == 0
    assert not (rejected(res.out)["file"] == "quota.csv").any()  # listed, never dropped
    rep = pd.read_csv(res.out / "repairs.csv", dtype=str)
    row = rep[rep["file"] == "quota.csv"]
    assert row["row"].tolist() == ["2"]
    assert row["note"].iloc[0].startswith(
        "两个镇同名 / two towns are named 甲山镇 (codes 320999001, 320999002)")
    assert ("两个镇同名 / towns share the name 甲山镇 (codes 320999001, 320999002): the quota "
            "table must name them by code") in _findings(res)
    matching = json.loads((res.out / "run.json").read_text(encoding="utf-8"))["quota_matching"]
    assert matching == [{"quota_town": "甲山镇", "town_code": "", "match": "ambiguous"},
                        {"quota_town": "320999002", "town_code": "320999002", "match": "code"}]
    _balanced(res)


def test_alias_to_a_town_that_does_not_exist(mini, cli):
    edit(mini / "planner.toml", '"甲山街道" = "甲山镇"', '"甲山街道" = "甲山县"')
    res = cli(mini, "check")
    assert res.code == 2
    assert ("[aliases] '甲山街道' = '甲山县', but no town in the towns layer is named or coded "
            "'甲山县'") in res.line


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("[quota]", "[qouta]", "unknown table [qouta]; did you mean [quota]?"),
    ('town = "镇"', 'town = "镇"\nsheat = "x"',
     "unknown key quota.sheat; did you mean quota.sheet?"),
    ('path = "children.csv"', 'path = "children.csv"\nshet = "x"',
     "layer 'children' has unknown key(s) ['shet']; did you mean 'sheet'?"),
    ('path = "children.csv"', 'path = "children.csv"\nheader = 0',
     "layer 'children': header = 0 must be the row number of the column names"),
    ('[aliases]', '[aliases]\n"x" = 1\n[workspace2]', "unknown table [workspace2]"),
    ('name = "测试县"', 'name = "测试县"\ncrs = "EPSG:4326"', "is geographic"),
])
def test_settings_mistakes_are_one_line(mini, cli, old, new, expected):
    edit(mini / "planner.toml", old, new)
    res = cli(mini, "check")
    assert res.code == 2
    assert expected in res.line


@pytest.mark.slow  # a whole run of its own
def test_counts_that_are_not_counts_are_rejected(mini, cli):
    text = ("村代码,儿童数,留守儿童数,困境儿童数,5岁以下\n320999001001,100,10,1,20\n"
            "320999001002,两百,20,2,40\n320999002001,-3,0,0,0\n320999002002,40,50,4,8\n"
            "320999002002,1,0,0,0\n,5,0,0,0\n")
    (mini / "children.csv").write_text(text, encoding="utf-8")
    res = cli(mini)
    assert res.code == 0
    rej = rejected(res.out)
    got = dict(zip(rej.loc[rej["file"] == "children.csv", "row"],
                   rej.loc[rej["file"] == "children.csv", "reason"], strict=True))
    assert set(got) == {"3", "4", "5", "6", "7"}
    assert got["3"].startswith("人数不是非负整数") and got["4"].startswith("人数不是非负整数")
    assert got["5"].startswith("分项人数大于总数")
    assert got["6"] == "重复 / duplicate village_code '320999002002' of row 5: keep one"
    assert got["7"] == "village_code 为空 / village_code is blank: fill it in"
    _balanced(res)


@pytest.mark.slow  # a whole run of its own
def test_facility_rows_rejected_with_reasons(mini, cli):
    path = mini / "facilities.csv"
    frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    extra = pd.DataFrame([
        ["无坐标之家", "儿童之家", "", "甲山镇", "", "", "GCJ-02"],
        ["火星之家", "儿童之家", "", "甲山镇", "120.52", "32.33", "地方坐标系"],
        ["国外之家", "儿童之家", "", "甲山镇", "2.35", "48.85", "WGS84"],
    ], columns=frame.columns)
    pd.concat([frame, extra]).to_csv(path, index=False, encoding="gb18030")
    edit(mini / "planner.toml", "max_unusable_share = 0.25", "max_unusable_share = 0.5")
    res = cli(mini)
    assert res.code == 0
    rej = rejected(res.out)
    got = dict(zip(rej.loc[rej["file"] == "facilities.csv", "row"],
                   rej.loc[rej["file"] == "facilities.csv", "reason"], strict=True))
    assert got["11"].startswith("坐标缺失或不是数字")
    assert got["12"].startswith("未知坐标系")
    assert got["13"].startswith("坐标不在中国范围内")
    _balanced(res)


@pytest.mark.slow  # a whole run of its own
def test_thousands_separators_full_width_digits_and_absurd_counts(mini, cli):
    text = ("村代码,儿童数,留守儿童数,困境儿童数,5岁以下\n"
            '320999001001,"1,200",10,1,20\n320999001002,２００,20,2,40\n'
            "320999002001,1e20,30,3,60\n320999002002,\"1,5\",0,0,0\n")
    (mini / "children.csv").write_text(text, encoding="utf-8")
    res = cli(mini)
    assert res.code == 0
    villages = pd.read_csv(res.out / "villages.csv", dtype={"village_code": str})
    got = dict(zip(villages["village_code"], villages["children"], strict=True))
    assert got["320999001001"] == 1200 and got["320999001002"] == 200
    rej = rejected(res.out)
    rows = rej.loc[rej["file"] == "children.csv", "row"].tolist()
    assert rows == ["4", "5"]
    assert (rej.loc[rej["file"] == "children.csv", "reason"] ==
            "人数不是非负整数 / counts in ['children', 'left_behind', 'vulnerable', "
            "'vulnerable_red', 'vulnerable_orange', 'vulnerable_yellow', 'vulnerable_blue', "
            "'under5'] must be whole numbers from 0 to 10,000,000").all()
    _balanced(res)


@pytest.mark.slow  # a whole run of its own
def test_village_inside_another_town_is_a_finding(mini, cli):
    def swap(frame):
        frame.loc[[0, 2], "geometry"] = frame.loc[[2, 0], "geometry"].to_numpy()
        return frame

    _villages(mini, swap)
    res = cli(mini)
    assert res.code == 0
    found = [f for f in _findings(res) if "所属镇以外" in f]
    assert found == ["2 个村位于所属镇以外的镇界内 / villages inside another town than their "
                     "town_code (counted under their town_code): 东村（甲山镇→乙水镇）、"
                     "南村（乙水镇→甲山镇）; fix the codes or the boundaries"]
