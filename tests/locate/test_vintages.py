"""Administrative vintages: the 镇名对照 table, its [aliases] loop, unmatched quota rows kept."""

import geopandas as gpd
import pandas as pd

from planner.measure.progress import quota_progress, totals
from planner.pipeline import check
from planner.settings import load_settings
from tests.conftest import DEMO


def _workspace(folder, aliases: str = "") -> None:
    towns = gpd.read_file(DEMO / "boundaries" / "towns.geojson")
    towns = towns[towns["town_code"].isin(["320682103", "320682104", "320682400",
                                           "320682404"])]
    towns.to_file(folder / "towns.geojson")
    nbs = pd.read_csv(DEMO / "reference" / "jiangsu_divisions.csv", dtype=str)
    nbs[nbs["town_code"].isin(towns["town_code"])][["village_code", "village_name"]].to_csv(
        folder / "villages.csv", index=False)
    pd.DataFrame({"镇": ["东陈", "丁堰镇", "城北街道", "白蒲镇"], "站点": [20, 12, 30, 25]}).to_csv(
        folder / "quota.csv", index=False)
    (folder / "planner.toml").write_text(f"""
[workspace]
name = "对照"
county_code = "320682"
[layers.towns]
path = "towns.geojson"
[layers.villages]
path = "villages.csv"
[quota]
path = "quota.csv"
town = "镇"
[quota.kinds]
care_point = "站点"
[aliases]
{aliases}
""", encoding="utf-8")


def test_matching_table_lists_every_row_and_the_lines_to_fix_them(tmp_path):
    _workspace(tmp_path)
    ws, quota = check(load_settings(tmp_path))
    table = quota.vintages.set_index("任务表名称")
    assert table.loc["东陈", ["镇界名称", "参考区划代码", "可信度"]].tolist() == [
        "东陈镇", "320682103", "中"]
    assert table.loc["东陈", "建议写入 [aliases] 的一行"] == '"东陈" = "东陈镇"'
    assert table.loc["丁堰镇", "可信度"] == "高"
    assert table.loc["城北街道", "镇界名称"] == "" and table.loc["城北街道", "可信度"] == "低"
    assert table.loc["城北街道", "建议写入 [aliases] 的一行"].startswith('"城北街道" = ')
    assert table.loc["白蒲镇", "参考区划代码"] == "320682105"  # known to the codes only
    rest = quota.vintages[quota.vintages["任务表名称"] == ""]
    assert {"如皋市经济开发区", "如皋市良种场"} <= set(rest["镇界名称"])
    assert "如城街道" in set(rest["参考区划名称"])  # in the codes, in neither table
    # unmatched rows stay on the annex with nothing built: never dropped
    progress = quota_progress(ws.towns, villages=ws.villages, facilities=ws.facilities,
                              quota=quota)
    assert totals(progress, kinds=["care_point"])["care_point"]["required"] == 87
    assert set(progress.loc[progress["town_code"] == "", "town_name"]) == {"城北街道", "白蒲镇"}


def test_the_corrected_line_fed_back_as_an_alias_matches(tmp_path):
    _workspace(tmp_path, aliases='"城北街道" = "如皋市经济开发区"')
    _ws, quota = check(load_settings(tmp_path))
    table = quota.vintages.set_index("任务表名称")
    assert table.loc["城北街道", ["镇界代码", "匹配方式", "可信度"]].tolist() == [
        "320682400", "别名表 [aliases]", "高"]
    assert quota.unmatched == ["白蒲镇"]
