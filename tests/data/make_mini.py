"""Write the tiny test workspace tests/data/mini/ (run once; the files are committed).

Two towns (甲山镇 west, 乙水镇 east) of two square villages each near 如皋; facilities whose
true WGS-84 positions are known, stored as a bureau would: GBK CSV in GCJ-02 with some
BD-09 rows, a swapped row, a duplicate, a point outside the county, an unknown kind.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import box

from planner.geo.datum import wgs84_to_bd09, wgs84_to_gcj02

HERE = Path(__file__).resolve().parent / "mini"
X0, Y0, D = 120.50, 32.30, 0.05


def main() -> None:
    HERE.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"name": ["测试县"]}, geometry=[box(X0, Y0, X0 + 2 * D, Y0 + 2 * D)],
                     crs=4326).to_file(HERE / "county.geojson")
    gpd.GeoDataFrame({"town_code": ["320999001", "320999002"], "town_name": ["甲山镇", "乙水镇"]},
                     geometry=[box(X0, Y0, X0 + D, Y0 + 2 * D),
                               box(X0 + D, Y0, X0 + 2 * D, Y0 + 2 * D)],
                     crs=4326).to_file(HERE / "towns.geojson")
    villages = gpd.GeoDataFrame({
        "code": ["320999001001", "320999001002", "320999002001", "320999002002"],
        "name": ["东村", "西村", "南村", "北村"],
    }, geometry=[box(X0, Y0, X0 + D, Y0 + D), box(X0, Y0 + D, X0 + D, Y0 + 2 * D),
                 box(X0 + D, Y0, X0 + 2 * D, Y0 + D), box(X0 + D, Y0 + D, X0 + 2 * D, Y0 + 2 * D)],
        crs=4326)
    villages.to_file(HERE / "villages.gpkg", driver="GPKG")
    # true WGS-84 positions: (name, kind, standard, declared town, lon, lat, datum)
    sites = [
        ("东村儿童之家", "儿童之家", "", "甲山镇", X0 + 0.01, Y0 + 0.01, "GCJ-02"),
        ("西村儿童之家", "儿童关爱站点", "", "甲山镇", X0 + 0.02, Y0 + 0.07, "BD-09"),
        ("南村儿童之家", "儿童关爱站点", "", "甲山镇", X0 + 0.07, Y0 + 0.02, "GCJ-02"),
        ("甲山镇儿童关爱之家", "儿童关爱之家", "达省标", "甲山镇", X0 + 0.03, Y0 + 0.03, "GCJ-02"),
        ("乙水镇儿童关爱之家", "儿童关爱之家", "未达标", "乙水镇", X0 + 0.08, Y0 + 0.08, "GCJ-02"),
        ("乙水镇社工站", "社会组织", "", "乙水镇", X0 + 0.06, Y0 + 0.06, "GCJ-02"),
        ("外县儿童之家", "儿童之家", "", "乙水镇", X0 + 0.50, Y0 + 0.06, "GCJ-02"),
        ("儿童活动室", "儿童活动室", "", "乙水镇", X0 + 0.06, Y0 + 0.06, "GCJ-02"),
    ]
    rows = []
    for name, kind, std, town, lon, lat, datum in sites:
        conv = wgs84_to_bd09 if datum == "BD-09" else wgs84_to_gcj02
        x, y = conv(lon, lat)
        rows.append([name, kind, std, town, round(float(x), 7), round(float(y), 7), datum])
    frame = pd.DataFrame(rows, columns=["名称", "类型", "达标情况", "所属镇", "经度", "纬度",
                                        "坐标系"])
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)  # duplicate of row 2
    frame.loc[2, ["经度", "纬度"]] = [frame.at[2, "纬度"], frame.at[2, "经度"]]  # swapped
    frame.to_csv(HERE / "facilities.csv", index=False, encoding="gbk")
    pd.DataFrame({"村代码": villages["code"], "儿童数": [100, 200, 300, 400],
                  "留守儿童数": [10, 20, 30, 40], "困境儿童数": [1, 2, 3, 4],
                  "5岁以下": [20, 40, 60, 80]}).to_csv(HERE / "children.csv", index=False)
    pd.DataFrame({"镇": ["甲山街道", "乙水", "丙镇"], "关爱之家": [1, 1, 1],
                  "站点": [2, 2, 1]}).to_csv(HERE / "quota.csv", index=False)
    (HERE / "planner.toml").write_text("""[workspace]
name = "测试县"

[layers.county]
path = "county.geojson"

[layers.towns]
path = "towns.geojson"

[layers.villages]
path = "villages.gpkg"
fields = { village_code = "code", village_name = "name" }

[layers.children]
path = "children.csv"
[layers.children.fields]
village_code = "村代码"
children = "儿童数"
left_behind = "留守儿童数"
vulnerable = "困境儿童数"
under5 = "5岁以下"

[[facilities]]
path = "facilities.csv"
datum = "gcj02"
datum_column = "坐标系"
x = "经度"
y = "纬度"
fields = { name = "名称", kind = "类型", standard = "达标情况", declared_town = "所属镇" }

[quota]
path = "quota.csv"
town = "镇"
[quota.kinds]
care_home = { column = "关爱之家", standard = "provincial" }
care_point = { column = "站点" }

[aliases]
"甲山街道" = "甲山镇"
""", encoding="utf-8")


if __name__ == "__main__":
    main()
