"""Write the second bundled example, ``data/examples/bureau/``: the 如皋市 demo's information
in the form a county bureau keeps it.

    python scripts/build_bureau_example.py [--out data/examples/bureau]

- ``boundaries/towns.geojson`` -- the demo's town polygons with a name column only (镇名称);
- ``boundaries/villages.csv`` -- the official village list of the reference divisions
  (NBS 2023: 村代码, 村名称, 所属镇), no geometry at all;
- ``facilities/台账.xlsx`` -- one ledger (镇 / 村 / 站点名称 / 类型 / 达标情况 / 经度 / 纬度) of
  the sites the demo counts, most rows without coordinates: villages written as people
  write them (丁北村, 丁北, 丁北村委会, a code now and then; never a name two villages of
  the town share), the two development zones by their local names (城北街道 / 城南街道);
- ``children/children.xlsx`` and ``quota/quota_2021.csv`` copied from the demo; no county
  outline (the towns' union is the county), no roads, water or settlements.

Built from the demo's own validated and located sites, so that its annex equals the demo's
(tests/test_bureau_example.py checks it against an independent count of the ledger).
Deterministic.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.core.names import VillageIndex, village_norm, village_stem  # noqa: E402
from planner.glossary import KINDS, STANDARDS, kind_label  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data"
LOCAL = {"如皋市经济开发区": "城北街道", "如皋高新技术产业开发区": "城南街道"}
#: every how-many-th ledger row keeps its coordinates (the rest have none)
WITH_COORDINATES = 7

TOML = """# 第二个示例：民政局手里的数据（scripts/build_bureau_example.py 生成，见 data/README.md）
# 镇界只有镇名称、村（居）只有名单（无村界）、阵地台账多数没有坐标。
[workspace]
name = "如皋市（台账示例）"
county_code = "320682"

# 没有 [layers.county]：县域取各镇界之并
[layers.towns]
path = "boundaries/towns.geojson"
fields = { town_name = "镇名称" }

[layers.villages]                # 统计局村（居）名单：只有代码和名称
path = "boundaries/villages.csv"
fields = { village_code = "村代码", village_name = "村名称", town_name = "所属镇" }

[layers.children]
path = "children/children.xlsx"
fields = { village_code = "村代码", children = "儿童数", left_behind = "留守儿童数", \
vulnerable = "困境儿童数", vulnerable_red = "红色", vulnerable_orange = "橙色", \
vulnerable_yellow = "黄色", vulnerable_blue = "蓝色", under5 = "5岁以下" }

[[facilities]]                   # 阵地台账：多数行没有坐标，按所填的镇、村计入
path = "facilities/台账.xlsx"
datum = "wgs84"
x = "经度"
y = "纬度"
fields = { name = "站点名称", kind = "类型", standard = "达标情况", declared_town = "镇", \
declared_village = "村", declared_village_code = "村代码" }

[quota]
path = "quota/quota_2021.csv"
town = "town_name"
[quota.kinds]
care_home = { column = "care_home_provincial_standard", standard = "provincial" }
care_point = { column = "village_care_points" }
social_org = { column = "child_service_social_orgs" }

[aliases]                        # 任务表、台账里的名称 = 镇界里的名称
"城北街道" = "如皋市经济开发区"
"城南街道" = "如皋高新技术产业开发区"
"""


def _written(name: str, code: str, town: str, index: VillageIndex, i: int) -> tuple[str, str]:
    """How a ledger row writes its village: (村, 村代码), varied, never ambiguous."""
    if i % 9 == 4:
        return "", code
    forms = [village_norm(name), name, village_stem(name), " ".join(village_norm(name))]
    for form in forms[i % len(forms):] + forms[: i % len(forms)]:
        if index.match(name=form, town=town).code == code:
            return form, ""
    return name, ""


def _ledger(demo_sites: gpd.GeoDataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    index = VillageIndex.of(villages)
    rows = []
    for i, site in enumerate(demo_sites.itertuples()):
        town = LOCAL.get(site.town_name, site.town_name)
        village, code = "", ""
        if KINDS[site.kind][1] == "village":
            village, code = _written(site.village_name, site.village_code, site.town_code,
                                     index, i)
        keep = i % WITH_COORDINATES == 0
        rows.append({
            "镇": town, "村": village, "村代码": code, "站点名称": site.name,
            "类型": kind_label(site.kind), "达标情况": STANDARDS.get(site.standard, ""),
            "经度": round(site.geometry.x, 6) if keep else None,
            "纬度": round(site.geometry.y, 6) if keep else None,
        })
    return pd.DataFrame(rows)


def build(out: Path) -> Path:
    """Write the example into ``out``; return its ``planner.toml``."""
    from planner.pipeline import check, settings_for

    ws, _quota = check(settings_for(DEMO))
    divisions = pd.read_csv(DEMO / "reference" / "jiangsu_divisions.csv", dtype=str)
    nbs = divisions[divisions["county_code"] == "320682"]
    for sub in ("boundaries", "facilities", "children", "quota"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    towns = ws.towns.rename(columns={"town_name": "镇名称"})[["镇名称", "geometry"]]
    towns.to_file(out / "boundaries" / "towns.geojson", driver="GeoJSON")
    pd.DataFrame({"村代码": nbs["village_code"], "村名称": nbs["village_name"],
                  "所属镇": nbs["town_name"]}).to_csv(out / "boundaries" / "villages.csv",
                                                   index=False, encoding="utf-8-sig")
    sites = ws.facilities.sort_values(["town_code", "kind", "_file", "_row"])
    ledger = _ledger(sites, nbs[["village_code", "village_name", "town_code"]])
    ledger.to_excel(out / "facilities" / "台账.xlsx", index=False, sheet_name="阵地台账")
    shutil.copy(DEMO / "children" / "children.xlsx", out / "children" / "children.xlsx")
    shutil.copy(DEMO / "quota" / "quota_2021.csv", out / "quota" / "quota_2021.csv")
    toml = out / "planner.toml"
    toml.write_text(TOML, encoding="utf-8")
    return toml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO / "examples" / "bureau")
    args = parser.parse_args()
    print(build(args.out))


if __name__ == "__main__":
    main()
