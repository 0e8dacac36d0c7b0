"""``planner init COUNTY DIR``: a new workspace for a county of the bundled reference data.

The folder gets what a county bureau needs to start, all in Chinese where people read it:

- ``planner.toml`` naming every layer, with every parameter commented;
- ``行政区划.xlsx`` — the county's towns and villages (codes and names, from
  :func:`planner.datasets.reference` ``"divisions"``);
- ``boundaries/county.geojson`` — the county outline of the reference data (GCJ-02), when it
  has one; the towns' and villages' boundaries come from the bureau (often CGCS2000
  3-degree Gauss-Krüger shapefiles, which are read and reprojected; a shapefile without
  ``.prj`` needs ``crs =`` under its layer);
- Excel templates with Chinese headers: facilities (名称, 类型, 经度, 纬度, 坐标系, 所属镇,
  达标情况), child counts per village, staff per town and village (counts only), "四个一"
  kits, and the quota table pre-filled with one row per town;
- ``填报说明.txt`` — how to fill them in.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from planner import datasets
from planner._errors import ConfigError, WorkspaceFolderError
from planner.glossary import (
    KINDS,
    KIT_ITEMS,
    STAFF_ROLES,
    STANDARDS,
    is_non_residential,
    kind_label,
)
from planner.records.outputs import files_under

FACILITY_HEADERS = ["名称", "类型", "经度", "纬度", "坐标系", "所属镇", "达标情况"]
CHILD_HEADERS = ["村代码", "村名称", "所属镇", "儿童数", "留守儿童数", "困境儿童数", "红色", "橙色",
                 "黄色", "蓝色", "5岁以下"]
KIT_HEADERS = ["编号", *KIT_ITEMS.values(), "绳长米", "最近检查", "经度", "纬度", "坐标系",
               "所属镇"]
#: quota column -> (kind, default per town, how the default is derived)
QUOTA_COLUMNS = {
    "儿童关爱之家（达省标）": ("care_home", "每镇 1 个达省标（如皋 2021 方案）"),
    kind_label("care_point"): ("care_point", "每村（居）1 个，全覆盖"),
    kind_label("protection_station"): ("protection_station",
                                       "每镇 1 个（未成年人保护法第八十一条）"),
    kind_label("social_org"): ("social_org", "每镇 1 个（如皋 2021 方案）"),
}
DATUMS = ["WGS-84", "CGCS2000", "GCJ-02", "BD-09"]


def find_county(county: str, *, divisions: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``divisions`` for one county given by its name (启东市) or 6-digit code.

    Raises
    ------
    ConfigError
        If the county is unknown or its name is shared by several counties.
    """
    key = str(county).strip()
    rows = divisions[(divisions["county_code"] == key) | (divisions["county_name"] == key)]
    codes = rows["county_code"].unique()
    if len(codes) == 0:
        near = divisions.loc[divisions["county_name"].str.contains(key[:2], regex=False),
                             "county_name"].unique()[:5]
        hint = f" (did you mean {'、'.join(near)}?)" if len(near) else ""
        raise ConfigError(f"county {key!r} is not in the Jiangsu reference data{hint}; give a "
                          "county name such as 启东市 or its 6-digit code such as 320681")
    if len(codes) > 1:
        options = ", ".join(f"{c} ({rows.loc[rows.county_code == c, 'city_name'].iloc[0]})"
                            for c in codes)
        raise ConfigError(f"county name {key!r} is shared by {options}; give the 6-digit code")
    return rows.reset_index(drop=True)


#: what ``init`` wrote, with each file's SHA-256 when written (a changed file was filled in)
INIT_MANIFEST = ".planner-init.json"


def init_workspace(county: str, folder: str | Path) -> Path:
    """Create a workspace folder for ``county`` and return its ``planner.toml``.

    The folder may be missing, empty, or hold only the files an earlier ``init`` wrote,
    unchanged since (a sheet filled in since is never replaced). The files are written in
    a staging folder first and moved in place after the manifest naming them.

    Parameters
    ----------
    county : str
        County name or code in the bundled Jiangsu reference data.
    folder : str or pathlib.Path
        Folder to create.

    Raises
    ------
    ConfigError
        On an unknown or ambiguous county.
    WorkspaceFolderError
        When the folder is a file, holds other files, or cannot be written.
    """
    divisions = pd.read_csv(datasets.reference("divisions"), dtype=str)
    rows = find_county(county, divisions=divisions)
    root = Path(folder)
    check_init_folder(root)
    staging = root / f".planner-init-{os.getpid()}"
    try:
        staging.mkdir(parents=True, exist_ok=True)
        _write_all(rows, staging)
        hashes = {rel: _sha256(staging / rel) for rel in files_under(staging)}
        (root / INIT_MANIFEST).write_text(json.dumps(hashes, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
        for rel in hashes:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, root / rel)
    except OSError as exc:
        raise WorkspaceFolderError(
            f"{exc.filename or root}: 无法写入（{exc.strerror}），请换一个可写的文件夹 / cannot "
            "write the workspace folder (read-only, no permission or disk full); choose "
            "another folder") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root / "planner.toml"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_init_folder(root: Path) -> None:
    """Refuse (one line) a folder ``init`` must not write: a file, a folder holding files
    an earlier ``init`` did not write, or one of its sheets filled in since."""
    if root.exists() and not root.is_dir():
        raise WorkspaceFolderError(f"{root}: 这是一个文件而不是文件夹 / it is a file, not a "
                                   "folder; give a new or empty folder")
    if not root.is_dir():
        for parent in root.parents:
            if parent.exists() and not parent.is_dir():
                raise WorkspaceFolderError(f"{parent}: 这是一个文件而不是文件夹 / it is a file, "
                                           "not a folder; give a new or empty folder")
        return
    try:
        ours = json.loads((root / INIT_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        ours = {}
    for rel in files_under(root):
        if rel == INIT_MANIFEST or rel.startswith(".planner-init-"):
            continue
        if rel not in ours:
            raise WorkspaceFolderError(
                f"{root / rel}: 文件夹里已有不是 planner init 写入的文件，不会覆盖，"
                "请换一个空文件夹 / "
                "the folder holds a file planner init did not write; give an empty folder")
        if _sha256(root / rel) != ours[rel]:
            raise WorkspaceFolderError(
                f"{root / rel}: 已经填写或修改过，不会被空白模板替换；请换一个空文件夹 / it was "
                "filled in since planner init wrote it and is never replaced by a blank "
                "template; give an empty folder")


def _write_all(rows: pd.DataFrame, root: Path) -> None:
    """Every file of a new workspace for the county of ``rows``, into ``root``."""
    for sub in ("boundaries", "facilities", "children", "staff", "water", "quota"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    name, code = rows["county_name"].iloc[0], rows["county_code"].iloc[0]
    towns = (rows[["town_code", "town_name"]].drop_duplicates("town_code")
             .sort_values("town_code").reset_index(drop=True))
    villages = rows[["village_code", "village_name", "town_code", "town_name"]].sort_values(
        "village_code").reset_index(drop=True)
    has_outline = _outline(code, root / "boundaries" / "county.geojson")
    _excel(root / "行政区划.xlsx", {
        "镇（街道）": towns.rename(columns={"town_code": "镇代码", "town_name": "镇名称"}),
        "村（居）": villages.rename(columns={"village_code": "村代码", "village_name": "村名称",
                                          "town_code": "镇代码", "town_name": "所属镇"}),
    })
    _templates(root, towns=towns, villages=villages)
    toml = root / "planner.toml"
    toml.write_text(_toml(name, code, has_outline=has_outline), encoding="utf-8")
    idle = towns.loc[towns["town_name"].map(is_non_residential), "town_name"].tolist()
    (root / "填报说明.txt").write_text(_guide(name, len(towns), len(villages), has_outline,
                                              idle=idle),
                                       encoding="utf-8")


def _outline(code: str, path: Path) -> bool:
    import geopandas as gpd

    outlines = gpd.read_file(datasets.reference("outlines"))
    mine = outlines[outlines["county_code"].astype(str) == code]
    if mine.empty:
        return False
    mine.to_file(path, driver="GeoJSON")
    return True


def _excel(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    from openpyxl.styles import Font

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for col in ws.columns:
                width = max(len(str(c.value or "")) for c in col)
                ws.column_dimensions[col[0].column_letter].width = min(40, 2 * width + 2)
            ws.freeze_panes = "A2"


def _templates(root: Path, *, towns: pd.DataFrame, villages: pd.DataFrame) -> None:
    n_vill = villages.groupby("town_code").size()
    choices = pd.DataFrame({
        "类型（可选值）": pd.Series([label for label, _ in KINDS.values()]),
        "坐标系（可选值）": pd.Series(DATUMS),
        "达标情况（可选值）": pd.Series(list(STANDARDS.values())),
    })
    _excel(root / "facilities" / "facilities.xlsx",
           {"设施": pd.DataFrame(columns=FACILITY_HEADERS), "可选值": choices})
    child = pd.DataFrame({"村代码": villages["village_code"], "村名称": villages["village_name"],
                          "所属镇": villages["town_name"]})
    for col in CHILD_HEADERS[3:]:
        child[col] = None
    _excel(root / "children" / "children.xlsx", {"儿童人数": child})
    staff = pd.concat([
        pd.DataFrame({"村居或镇代码": villages["village_code"], "名称": villages["village_name"],
                      "所属镇": villages["town_name"], "岗位": STAFF_ROLES["child_director"]}),
        pd.DataFrame({"村居或镇代码": towns["town_code"], "名称": towns["town_name"],
                      "所属镇": towns["town_name"], "岗位": STAFF_ROLES["child_supervisor"]}),
    ], ignore_index=True)
    staff["人数"] = None
    staff["已培训"] = None
    _excel(root / "staff" / "staff.xlsx", {"工作人员": staff})
    _excel(root / "water" / "kits.xlsx", {"四个一": pd.DataFrame(columns=KIT_HEADERS)})
    quota = pd.DataFrame({"镇（街道）": towns["town_name"]})
    idle = towns["town_name"].map(is_non_residential).to_numpy()
    for col, (kind, _why) in QUOTA_COLUMNS.items():
        quota[col] = (towns["town_code"].map(n_vill).fillna(0).astype(int)
                      if kind == "care_point" else 1)
        quota.loc[idle, col] = 0
    quota["备注"] = ["非居住单位（农场、医院等），默认不下达任务；如有任务请填写" if i else ""
                   for i in idle]
    why = "预填依据（请按上级下达的任务表修改）"
    note = pd.DataFrame({"列": [*QUOTA_COLUMNS, "备注"],
                         why: [*(w for _, w in QUOTA_COLUMNS.values()), NON_RESIDENTIAL_NOTE]})
    _excel(root / "quota" / "quota.xlsx", {"任务分解表": quota, "说明": note})


#: what the quota sheet and the guide say about farms, hospitals and the like
NON_RESIDENTIAL_NOTE = ("农场、林场、渔场、良种场、原种场、医院、监狱等统计上的镇级单位"
                        "不是居住的镇，默认各项任务为 0；上级文件给它们下达了任务时请照填")


def _toml(name: str, code: str, *, has_outline: bool) -> str:
    county = ('path = "boundaries/county.geojson"\ndatum = "gcj02"      # 参考数据中的县界为 GCJ-02'
              if has_outline else
              'path = "boundaries/county.shp"      # 参考数据没有本县县界：请放入县界文件')
    kinds = "\n".join(f'{kind} = {{ column = "{col}"'
                      + (', standard = "provincial" }' if kind == "care_home" else " }")
                      for col, (kind, _) in QUOTA_COLUMNS.items())
    kit_fields = "\n".join(f'{item} = "{label}"' for item, label in KIT_ITEMS.items())
    return f'''# {name}工作区，由 planner init 生成。
# 填好后运行: planner check 本文件夹 ; planner run 本文件夹
# 每个图层: path 路径（相对本文件）;
#   datum 坐标基准 wgs84 | cgcs2000 | gcj02（高德/腾讯）| bd09（百度）;
#   fields 标准字段名 = 文件里的列名; x / y 表格的经度、纬度列;
#   crs 缺少 .prj 的 shp 的坐标系。

[workspace]
name = "{name}"
county_code = "{code}"
# 计算距离的米制坐标系；不写则自动选 UTM 分带。例: CGCS2000 3度带 中央经线120°
# crs = "EPSG:4549"

[layers.county]              # 县界
{county}

[layers.towns]               # 镇（街道）界：自然资源部门的 shp / gpkg
path = "boundaries/towns.shp"
# crs = "EPSG:4549"          # 仅当 .shp 缺 .prj 时写: CGCS2000 3度带，带号坐标用 EPSG:4513-4533
fields = {{ town_code = "镇代码", town_name = "镇名称" }}

[layers.villages]            # 村（居）界
path = "boundaries/villages.shp"
# crs = "EPSG:4549"
# encoding = "GBK"           # .dbf 的中文编码（没有 .cpg 时）
fields = {{ village_code = "村代码", village_name = "村名称", town_code = "镇代码" }}

[layers.children]            # 各村儿童人数（只填人数，不填姓名、身份证号）
path = "children/children.xlsx"
[layers.children.fields]
village_code = "村代码"
children = "儿童数"
left_behind = "留守儿童数"
vulnerable = "困境儿童数"
vulnerable_red = "红色"
vulnerable_orange = "橙色"
vulnerable_yellow = "黄色"
vulnerable_blue = "蓝色"
under5 = "5岁以下"

# [layers.settlements]       # 可选: 自然村 / 居民点（点，含 children 人数列），用于按人口加权
# path = "children/settlements.gpkg"

[[facilities]]               # 现有阵地（可写多个 [[facilities]]）
path = "facilities/facilities.xlsx"
sheet = "设施"
datum = "gcj02"              # 整表默认坐标系；每行的“坐标系”列优先
datum_column = "坐标系"
x = "经度"
y = "纬度"
fields = {{ name = "名称", kind = "类型", standard = "达标情况", declared_town = "所属镇" }}

[quota]                      # 任务分解表：每镇一行（已按默认标准预填，请按上级文件修改）
path = "quota/quota.xlsx"
sheet = "任务分解表"
town = "镇（街道）"
[quota.kinds]
{kinds}

[aliases]                    # 任务表里的镇名 = 镇界里的镇名（名称不一致时）
# "城北街道" = "某某经济开发区"

# [layers.water]             # 可选: 水域图层（type 列: 坑塘/沟渠/明渠/河流/湖泊/水库/海岸…）。
# path = "water/water.gpkg"  # 不写时，水域取自下面 [roads] 的 OSM 文件（与图层同时有时合并去重）

[layers.kits]                # "四个一" 救援物资点
path = "water/kits.xlsx"
x = "经度"
y = "纬度"
datum = "gcj02"
datum_column = "坐标系"
[layers.kits.fields]
kit_id = "编号"
{kit_fields}
rope_m = "绳长米"
last_inspected = "最近检查"

# [layers.staff]     # 儿童主任、儿童督导员人数（只填人数）：填好 staff/staff.xlsx 后取消注释
# path = "staff/staff.xlsx"
# fields = {{ code = "村居或镇代码", role = "岗位", count = "人数", trained = "已培训" }}

# [staff]
# children_per_director = 500  # 儿童多的村：每多 500 名儿童多配 1 名儿童主任（不写则每村 1 名）

# [layers.schools]           # 可选: 学校（点）
# path = "schools/schools.gpkg"

# 道路与水域: OpenStreetMap 文件 .osm / .osm.pbf / .osm.bz2（从大区域裁切的文件也可以）
# [roads]
# path = "roads/jiangsu-latest.osm.pbf"

# [access]                   # 可达性: 各类阵地的距离阈值（米）与方式 walk / drive
# walk_speed_kmh = 4.5
# drive_speed_kmh = 30
# [access.care_point]
# threshold_m = 1000
# mode = "walk"

# [water]                    # 防溺水: 分段长度、风险权重等，见 README
# as_of = "2025-06-01"
# [water.type_weights]
# pond = 0.30
# coast = 0.05

# [place]                    # 选址: 模型 max_cover / p_median 等，见 README
# [map]                      # 地图: basemap = "none" | "osm" | "tianditu" | "amap"
# output_crs = "EPSG:4490"   # planner.gpkg 与 GeoJSON 用 CGCS2000（报送自然资源部门时）
'''


def _guide(name: str, n_towns: int, n_villages: int, has_outline: bool, *,
           idle: list[str] = ()) -> str:
    outline = ("县界已从参考数据写入 boundaries/county.geojson（GCJ-02）。" if has_outline
               else "参考数据没有本县县界，请放入 boundaries/county.shp。")
    return f"""{name}儿童关爱阵地与防溺水规划 —— 填报说明

本文件夹已列出本县 {n_towns} 个镇（街道）、{n_villages} 个村（居）的代码和名称（行政区划.xlsx）。

1. 边界: {outline}
   镇界、村界放入 boundaries/towns.shp、boundaries/villages.shp（或 .gpkg），属性里要有镇代码、
   镇名称 / 村代码、村名称、镇代码（列名不同就改 planner.toml 里的 fields）。自然资源部门的
   CGCS2000 3度带高斯-克吕格投影（EPSG:4513–4554）可直接用；如果缺 .prj 文件，在 planner.toml
   对应图层下加一行 crs = "EPSG:4549"（中央经线 120°，带号坐标如 40xxxxxx 用 EPSG:4528）。
2. 设施: facilities/facilities.xlsx 每个阵地一行: 名称、类型、经度、纬度、坐标系、所属镇、达标情况。
   类型、坐标系、达标情况的可选值见“可选值”工作表。高德/腾讯地图取的坐标填 GCJ-02，百度填 BD-09。
3. 儿童人数: children/children.xlsx 已列出每个村，只填人数（不要填姓名、身份证号、电话）。
   留守、困境、5岁以下都不能大于儿童数；红橙黄蓝之和不大于困境儿童数。
4. 工作人员: staff/staff.xlsx 填各村儿童主任、各镇儿童督导员的人数和其中已培训的人数，
   填好后在 planner.toml 中取消 [layers.staff] 一节的注释。
5. "四个一": water/kits.xlsx 每个物资点一行，警示牌/救生圈/救生绳/救生杆填 是 或 否。
6. 任务表: quota/quota.xlsx 已按默认标准每镇一行预填（见“说明”工作表），请按上级下达的文件修改。
{_idle_line(idle)}   任务表、镇界、统计区划的镇名不一致时（城北街道 / 如皋市经济开发区），
   运行后看 progress.xlsx 的“镇名对照”表，把最后一列的对应关系改对，
   复制到 planner.toml 的 [aliases] 中，再运行。
7. 道路和水域（可选）: 下载含本县的 OpenStreetMap 文件（.osm.pbf），在 planner.toml 的 [roads]
   写上路径；没有水域图层时，水域（河流、沟渠、坑塘、湖泊、水库、海岸）取自同一文件。

填好后运行: planner check 本文件夹（检查）; planner run 本文件夹（生成成果）。
被拒记录及原因见成果里的 rejected.csv。
"""


def _idle_line(idle: list[str]) -> str:
    """The guide's line on the non-residential units that got no quota."""
    if not idle:
        return ""
    return (f"   {len(idle)} 个非居住单位（{'、'.join(idle)}）默认不下达任务（各项为 0）："
            f"{NON_RESIDENTIAL_NOTE}。\n")
