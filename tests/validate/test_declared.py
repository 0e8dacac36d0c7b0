"""Sites attributed by declaration: a ledger without coordinates counts by its villages."""

import re

import pandas as pd
import pytest

from planner._errors import IncompleteInputError
from planner.measure.progress import quota_progress
from planner.pipeline import check
from planner.settings import load_settings, overriding

# 名称, 类型, 镇, 村, 村代码, 经度, 纬度 (GCJ-02) -- and where each row must end
LEDGER = [
    ("东村儿童之家", "儿童之家", "甲山镇", "东村", "", "", ""),             # exact name
    ("西村站点", "儿童关爱站点", "甲山", "西村村委会", "", "", ""),          # normalised
    ("南村站点", "儿童关爱站点", "", "", "320999002001", "", ""),           # by code
    ("北村站点", "儿童关爱站点", "乙水镇", "北", "", "", ""),               # stem
    ("乙水镇关爱之家", "儿童关爱之家", "乙水镇", "", "", "", ""),            # town only
    ("无名村站点", "儿童关爱站点", "甲山镇", "无名村", "", "", ""),          # not in the list
    ("东村儿童之家", "儿童之家", "甲山镇", "东村", "", "", ""),             # duplicate of 1
    ("南村二站", "儿童关爱站点", "甲山镇", "东村", "", 120.5742828, 32.317787),  # disagrees
]
TOML = """
[[facilities]]
path = "ledger.csv"
datum = "gcj02"
x = "经度"
y = "纬度"
fields = { name = "名称", kind = "类型", declared_town = "镇", declared_village = "村", \
declared_village_code = "村代码" }
"""


def _workspace(mini, *, accept: bool = False):
    frame = pd.DataFrame(LEDGER, columns=["名称", "类型", "镇", "村", "村代码", "经度", "纬度"])
    frame.to_csv(mini / "ledger.csv", index=False, encoding="gbk")
    toml = mini / "planner.toml"
    text = re.sub(r"\[\[facilities\]\].*?(?=\n\[quota\])", TOML.strip(),
                  toml.read_text(encoding="utf-8"), flags=re.S)
    text = text.replace("max_unusable_share = 0.25", f"accept_incomplete = {str(accept).lower()}")
    toml.write_text(text, encoding="utf-8")
    return load_settings(mini)


def test_a_ledger_that_loses_a_row_in_nine_stops(mini):
    with pytest.raises(IncompleteInputError, match=r"ledger.csv: 1 of 8 records \(12.5%\).*"
                       r"first row 7.*不在村（居）名单中.*--accept-incomplete"):
        check(_workspace(mini))
    with overriding(accept_incomplete=True):  # what --accept-incomplete does
        ws, _quota = check(load_settings(mini))
    assert [loss["file"] for loss in ws.ledger.incomplete()] == ["ledger.csv"]


def test_cli_stops_in_one_line_or_accepts(mini, capsys):
    from planner.cli import main

    _workspace(mini)
    assert main(["check", str(mini)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "数据不全" in err and "ledger.csv" in err
    assert main(["check", "--accept-incomplete", str(mini)]) == 0
    assert "数据不全" in capsys.readouterr().out


def test_declared_sites_count_where_they_declare(mini):
    ws, quota = check(_workspace(mini, accept=True))
    fac = ws.facilities.set_index("name")
    assert fac.loc["东村儿童之家", "village_name"] == "东村"
    assert fac.loc["东村儿童之家", "match_method"] == "exact"
    assert fac.loc["西村站点", "match_method"] == "normalised"
    assert fac.loc["南村站点", "match_method"] == "code"
    assert fac.loc["北村站点", "village_name"] == "北村"
    assert fac.loc["乙水镇关爱之家", "location_method"] == "town_point"
    assert fac.loc["乙水镇关爱之家", "town_name"] == "乙水镇"
    approximate = fac[fac["location_method"] == "village_point"]
    assert sorted(approximate.index) == ["东村儿童之家", "北村站点", "南村站点", "西村站点"]
    # each stands at its village's representative point, inside its village
    vil = ws.villages.set_index("village_code")
    for _name, row in approximate.iterrows():
        assert vil.loc[row["village_code"], "geometry"].contains(row["geometry"])
    # coordinates win; the declaration that disagrees is reported
    assert fac.loc["南村二站", "village_name"] == "南村"
    assert not fac.loc["南村二站", "village_agrees"]
    reasons = {r["row"]: r["reason"] for r in ws.ledger.rejected if r["file"] == "ledger.csv"}
    assert set(reasons) == {7, 8}
    assert "不在村（居）名单中" in reasons[7] and "duplicate of ledger.csv row 2" in reasons[8]
    assert ws.ledger.reconcile() == []
    # the annex against an independent count of the ledger by village
    progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                              quota=quota).set_index("town_name")
    by_village = {"甲山镇": {"东村", "西村"}, "乙水镇": {"南村", "北村"}}
    for town, names in by_village.items():
        assert progress.loc[town, "counted_care_point"] == len(names)
    assert progress.loc["乙水镇", "all_care_home"] == 1


def test_a_site_of_a_rejected_village_counts_nowhere(mini):
    import geopandas as gpd

    villages = gpd.read_file(mini / "villages.gpkg")
    villages.loc[villages["name"] == "东村", "geometry"] = None  # rejected: no geometry
    villages.to_file(mini / "villages.gpkg", driver="GPKG")
    ws, _quota = check(_workspace(mini, accept=True))
    assert "东村儿童之家" not in set(ws.facilities["name"])
    reasons = {r["row"]: r["reason"] for r in ws.ledger.rejected if r["file"] == "ledger.csv"}
    assert "已被拒收" in reasons[2] and "held out" in reasons[2]
    assert ws.ledger.reconcile() == []


def test_a_point_in_an_overlap_of_towns_goes_to_the_declared_town():
    import geopandas as gpd
    import shapely

    from planner.validate.declared import point_towns

    towns = gpd.GeoDataFrame({"town_code": ["A", "B"]}, geometry=[
        shapely.box(120.50, 32.30, 120.56, 32.35), shapely.box(120.55, 32.30, 120.60, 32.35)],
        crs=4326)
    sites = gpd.GeoDataFrame(geometry=shapely.points([(120.555, 32.32)] * 3 +
                                                     [(120.52, 32.32)]), crs=4326)
    declared = pd.DataFrame({"declared_town_code": ["", "B", "A", "B"]})
    # in both: the declared town when it is one of them; else the first; outside it: its own
    assert point_towns(sites, declared, towns=towns).tolist() == ["A", "B", "A", "A"]
