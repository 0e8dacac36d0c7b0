"""Build a demo workspace for any county in the bundled Jiangsu reference data.

Real: the county outline (AMap GCJ-02, converted with :mod:`planner.datum`), town and
village names and 12-digit codes, and, when given, the quota table. Synthesised,
reproducibly from a seed: town and village polygons tiling the outline, children per
village, hamlets, facilities in a partial state. Planted, when ``defects`` is true: the
errors real bureau files contain (see :data:`DEFECTS`). Deterministic: the same seed gives
byte-identical text files.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.geo.crs import WGS84
from planner.geo.datum import transform_geometry, wgs84_to_bd09, wgs84_to_gcj02
from scripts.synth.admin import polygonal, tile

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"

#: The design card's layout of a workspace: each file in the folder of its kind.
SUBDIR = {
    "county.geojson": "boundaries", "towns.geojson": "boundaries",
    "villages.shp": "boundaries", "facilities_2021.csv": "facilities",
    "organisations.xlsx": "facilities", "children.xlsx": "children",
    "settlements.gpkg": "children", "quota_2021.csv": "quota", "water.gpkg": "water",
    "kits.csv": "water", "schools.gpkg": "schools", "roads.osm": "roads",
}


def _at(out: Path, name: str) -> Path:
    """Where ``name`` is written inside the workspace ``out`` (its folder is created)."""
    folder = out / SUBDIR[name]
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _path(name: str) -> str:
    """The ``path = ...`` line of ``planner.toml`` for ``name``."""
    return f'path = "{SUBDIR[name]}/{name}"'

#: The defects planted in a demo workspace, and what the planner must do with each.
DEFECTS = {
    "gbk": "facility list saved as GBK (Excel on Chinese Windows)",
    "bd09_rows": "some facility rows in BD-09 (Baidu) coordinates, marked in 坐标系",
    "swapped": "two rows with longitude and latitude swapped -> repaired",
    "duplicate_exact": "one row entered twice -> rejected as duplicate",
    "duplicate_datums": "one site entered from AMap and again from Baidu -> rejected duplicate",
    "outside": "one point outside the county -> rejected",
    "declared_town": "two rows whose declared town disagrees with the location -> listed",
    "unknown_kind": "one row of an unknown facility kind -> rejected",
    "bowtie": "one self-intersecting village polygon -> repaired",
    "children_bad": "a child-count row whose left-behind count exceeds its total -> rejected",
    "children_unknown": "a child-count row for a village code not in the boundaries -> rejected",
    "alias": "quota rows named by street-office names (城北街道, 城南街道) -> alias table",
}


@functools.cache
def _read_reference(name: str) -> pd.DataFrame:
    """A reference file, read once per process (a province build reads it per county)."""
    if name.endswith(".csv"):
        return pd.read_csv(REFERENCE / name, dtype=str)
    return gpd.read_file(REFERENCE / name)


def reference(name: str) -> pd.DataFrame:
    """A copy of the reference file ``name`` of ``data/reference`` (read once per process)."""
    return _read_reference(name).copy()


def _divisions(county_code: str) -> pd.DataFrame:
    table = reference("jiangsu_divisions.csv")
    table = table[table["county_code"] == county_code]
    if table.empty:
        raise ValueError(f"county code {county_code} not in jiangsu_divisions.csv; "
                         "use a 6-digit code such as 320682")
    return table.sort_values("village_code").reset_index(drop=True)


def _dbf_encoding(names: pd.Series) -> str:
    """GBK, as a bureau's shapefile would be, unless a name needs GB18030 (e.g. 㳇)."""
    try:
        "".join(names.astype(str)).encode("gbk")
    except UnicodeEncodeError:
        return "GB18030"
    return "GBK"


class NoOutlineError(ValueError):
    """A county-level unit of the divisions with no outline in the reference data."""


def county_outline(county_code: str) -> tuple[shapely.Geometry, str]:
    """The county's outline in WGS-84 (converted from GCJ-02) and its name."""
    frame = reference("jiangsu_counties_gcj02.geojson")
    row = frame[frame["county_code"] == county_code]
    if row.empty:
        raise NoOutlineError(f"county code {county_code} has no outline in the reference data")
    geom = transform_geometry(row.geometry.to_numpy(), datum="gcj02")[0]
    return polygonal(geom), str(row["county_name"].iloc[0])


def _children(villages: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    urban = villages["village_name"].str.contains("社区").to_numpy()
    base = np.where(urban, 650, 420) * rng.lognormal(0.0, 0.35, len(villages))
    children = np.maximum(base.round().astype(int), 20)
    lb_rate = np.where(urban, 0.04, 0.12) * rng.uniform(0.6, 1.4, len(villages))
    left_behind = rng.binomial(children, np.clip(lb_rate, 0, 1))
    vulnerable = rng.binomial(children, 0.012)
    colours = np.array([rng.multinomial(v, [0.1, 0.2, 0.3, 0.4]) for v in vulnerable])
    return pd.DataFrame({
        "村代码": villages["village_code"], "村名称": villages["village_name"],
        "儿童数": children, "留守儿童数": left_behind, "困境儿童数": vulnerable,
        "红色": colours[:, 0], "橙色": colours[:, 1], "黄色": colours[:, 2],
        "蓝色": colours[:, 3], "5岁以下": rng.binomial(children, 0.22),
    })


def _random_points_in(geoms_m: np.ndarray, n: np.ndarray, rng: np.random.Generator,
                      *, near: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n[i]`` random points inside each metric polygon (rejection sampling).

    With ``near``, points are drawn within ``near`` metres of the polygon's
    point-on-surface (a village seat), falling back to the whole polygon.
    """
    owner = np.repeat(np.arange(len(geoms_m)), n)
    out = np.full((len(owner), 2), np.nan)
    bounds = shapely.bounds(geoms_m)
    seat = shapely.get_coordinates(shapely.point_on_surface(geoms_m))
    todo = np.arange(len(owner))
    for attempt in range(60):
        g = owner[todo]
        if near is not None and attempt < 40:
            cand = seat[g] + rng.normal(0, near, size=(len(todo), 2))
        else:
            lo, hi = bounds[g, :2], bounds[g, 2:]
            cand = lo + rng.uniform(size=(len(todo), 2)) * (hi - lo)
        ok = shapely.contains_xy(geoms_m[g], cand[:, 0], cand[:, 1])
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
        if not len(todo):
            break
    out[todo] = seat[owner[todo]]
    return out, owner


def _facilities(towns: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, crs,
                rng: np.random.Generator, *, quota_towns: set[str]) -> pd.DataFrame:
    """A partial 2021 state of every kind of facility, positions in WGS-84."""
    vm = villages.to_crs(crs)
    rows = []
    has_point = rng.uniform(size=len(vm)) < 0.86
    xy, owner = _random_points_in(vm.geometry.to_numpy(), has_point.astype(int), rng,
                                  near=250.0)
    for (x, y), i in zip(xy, owner, strict=True):
        v = vm.iloc[i]
        rows.append(("care_point", f"{v.village_name}儿童之家", "", v.town_name, x, y))
    # the town seat: the village nearest the middle of the town
    centre = vm.dissolve("town_code").geometry.centroid
    gap = pd.Series(shapely.distance(vm.geometry.representative_point().to_numpy(),
                                     centre.loc[vm["town_code"]].to_numpy()), index=vm.index)
    seats = vm.loc[gap.groupby(vm["town_code"]).idxmin()].set_index("town_code")
    seat_geoms = seats.geometry.to_numpy()
    tx, _ = _random_points_in(seat_geoms, np.full(len(seats), 4), rng, near=300.0)
    tx = tx.reshape(len(seats), 4, 2)
    for t, (code, seat) in enumerate(seats.iterrows()):
        town = seat.town_name
        draw = rng.uniform(size=4)
        if code in quota_towns or draw[0] < 0.3:
            if draw[0] < 0.7:
                rows.append(("care_home", f"{town}儿童关爱之家", "达省标", town, *tx[t, 0]))
            elif draw[0] < 0.9:
                rows.append(("care_home", f"{town}儿童关爱之家", "未达标", town, *tx[t, 0]))
        if code in quota_towns and draw[1] < 0.45:
            rows.append(("protection_station", f"{town}未成年人保护工作站", "", town, *tx[t, 1]))
        if code in quota_towns and draw[2] < 0.5:
            rows.append(("social_org", f"{town}童心社工服务社", "", town, *tx[t, 2]))
        if code in quota_towns and draw[3] < 0.2:
            rows.append(("welfare_station", f"{town}儿童福利工作站", "", town, *tx[t, 3]))
    centre = tx[0, 3] + np.array([120.0, -80.0])
    first_town = seats.iloc[0].town_name
    rows.append(("protection_center", "县未成年人救助保护中心", "", first_town, *centre))
    rows.append(("guidance_center", "县儿童福利指导中心", "", first_town, *(centre + 60.0)))
    frame = pd.DataFrame(rows, columns=["kind", "name", "standard", "town", "x", "y"])
    lonlat = gpd.GeoSeries(shapely.points(frame[["x", "y"]].to_numpy()), crs=crs).to_crs(WGS84)
    frame["lon"], frame["lat"] = lonlat.x.to_numpy(), lonlat.y.to_numpy()
    return frame.drop(columns=["x", "y"])


_KIND_ZH = {"care_home": "儿童关爱之家", "care_point": "儿童关爱站点",
            "protection_station": "未成年人保护工作站", "social_org": "儿童服务类社会组织",
            "welfare_station": "儿童福利工作站", "protection_center": "未成年人救助保护中心",
            "guidance_center": "儿童福利指导中心"}
_TOWN_LEVEL = {"protection_station", "social_org", "welfare_station", "protection_center",
               "guidance_center"}


def _bowtie(geom: shapely.Geometry) -> shapely.Geometry:
    """Swap two neighbouring vertices of a polygon's ring: a digitising error that makes the
    ring cross itself (a 'bow-tie') while keeping almost all its area."""
    poly = max(shapely.get_parts(geom), key=lambda g: g.area)
    ring = np.asarray(poly.exterior.coords)
    for k in range(1, len(ring) - 3):
        bad = ring.copy()
        bad[[k, k + 1]] = bad[[k + 1, k]]
        cand = shapely.Polygon(bad)
        if not cand.is_valid and cand.area > 0.9 * poly.area:
            return cand
    return geom


def _facility_table(fac: pd.DataFrame, rng: np.random.Generator, *, defects: bool,
                    town_names: list[str], to_office: dict[str, str]) -> pd.DataFrame:
    """The village/town care-site list as a bureau keeps it: GCJ-02 from AMap, some rows
    picked in Baidu (BD-09), Chinese headers."""
    n = len(fac)
    g_lon, g_lat = wgs84_to_gcj02(fac["lon"].to_numpy(), fac["lat"].to_numpy())
    b_lon, b_lat = wgs84_to_bd09(fac["lon"].to_numpy(), fac["lat"].to_numpy())
    baidu = rng.uniform(size=n) < (0.12 if defects else 0.0)
    table = pd.DataFrame({
        "名称": fac["name"].to_numpy(),
        "类型": fac["kind"].map(_KIND_ZH).to_numpy(),
        "达标情况": fac["standard"].to_numpy(),
        "所属镇": fac["town"].map(lambda t: to_office.get(t, t)).to_numpy(),
        "经度": np.where(baidu, b_lon, g_lon).round(6),
        "纬度": np.where(baidu, b_lat, g_lat).round(6),
        "坐标系": np.where(baidu, "BD-09", "GCJ-02"),
    })
    if defects:
        pick = rng.choice(n, size=9, replace=False)
        for i in pick[:2]:  # swapped longitude / latitude
            lon_i, lat_i = table.at[i, "经度"], table.at[i, "纬度"]
            table.at[i, "经度"], table.at[i, "纬度"] = lat_i, lon_i
        for i in pick[2:4]:  # declared town disagrees with the position
            others = [t for t in town_names if t != fac["town"].iat[i]]
            table.loc[i, "所属镇"] = others[int(rng.integers(len(others)))]
        j = pick[4]  # the same site entered again, picked on Baidu
        again = table.loc[[j]].assign(经度=round(float(b_lon[j]), 6),
                                      纬度=round(float(b_lat[j]), 6), 坐标系="BD-09")
        outside = table.loc[[pick[5]]].assign(名称="外县儿童之家", 经度=table.at[pick[5], "经度"]
                                               + 0.9)
        if abs(outside["经度"].iat[0]) < 90:  # the row was swapped: push it out anyway
            outside["纬度"] += 0.9
        unknown = table.loc[[pick[6]]].assign(名称=table.at[pick[6], "名称"] + "活动室",
                                              类型="儿童活动室")
        table = pd.concat([table, table.loc[[pick[7]]], again, outside, unknown],
                          ignore_index=True)
        order = rng.permutation(len(table))
        table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "序号", np.arange(1, len(table) + 1))
    return table


def _org_table(fac: pd.DataFrame) -> pd.DataFrame:
    """Town- and county-level organisations, kept in Excel with CGCS2000 coordinates."""
    return pd.DataFrame({
        "机构名称": fac["name"].to_numpy(),
        "机构类型": fac["kind"].map(_KIND_ZH).to_numpy(),
        "镇街": fac["town"].to_numpy(),
        "东经": fac["lon"].round(6).to_numpy(),
        "北纬": fac["lat"].round(6).to_numpy(),
    })


def _settlements(villages_m: gpd.GeoDataFrame, children: pd.DataFrame,
                 rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Hamlets (自然村/村民小组): 3-8 per village, children apportioned by households."""
    n = rng.integers(3, 9, size=len(villages_m))
    xy, owner = _random_points_in(villages_m.geometry.to_numpy(), n, rng)
    households = rng.integers(40, 260, size=len(owner))
    frame = pd.DataFrame({"owner": owner, "households": households})
    share = households / frame.groupby("owner")["households"].transform("sum").to_numpy()
    kids = children["儿童数"].to_numpy()[owner]
    out = pd.DataFrame({
        "settlement_id": [f"S{i:05d}" for i in range(len(owner))],
        "village_code": villages_m["village_code"].to_numpy()[owner],
        "households": households,
        "children": np.floor(kids * share).astype(int),
        "under5": np.floor(children["5岁以下"].to_numpy()[owner] * share).astype(int),
        "left_behind": np.floor(children["留守儿童数"].to_numpy()[owner] * share).astype(int),
    })
    return gpd.GeoDataFrame(out, geometry=shapely.points(xy), crs=villages_m.crs).to_crs(WGS84)


def _toml(name: str, code: str, *, quota: bool, aliases: dict[str, str],
          extra: str, quota_note: str = "皋民儿童〔2021〕1号, annexes 1 and 2.",
          outline_note: str | None = None, dbf_encoding: str = "GBK") -> str:
    lines = [
        "# Demo workspace written by scripts/build_demo.py: see README.md beside this file.",
        *([f"# {outline_note}"] if outline_note else []),
        "[workspace]", f'name = "{name}"', f'county_code = "{code}"', "",
        "[layers.county]", _path("county.geojson"), 'datum = "wgs84"', "",
        "[layers.towns]", _path("towns.geojson"), "",
        "[layers.villages]", _path("villages.shp"), f'encoding = "{dbf_encoding}"',
        'fields = { village_code = "XZQDM", village_name = "XZQMC", town_code = "SSXZDM" }',
        'vintage = "2023年区划代码"', "",
        "[layers.children]", _path("children.xlsx"), 'vintage = "2021年"',
        'fields = { village_code = "村代码", children = "儿童数", left_behind = "留守儿童数", '
        'vulnerable = "困境儿童数", vulnerable_red = "红色", vulnerable_orange = "橙色", '
        'vulnerable_yellow = "黄色", vulnerable_blue = "蓝色", under5 = "5岁以下" }', "",
        "[layers.settlements]", _path("settlements.gpkg"), "",
        "# Village and town care sites as exported from AMap (GCJ-02), some picked on Baidu.",
        "[[facilities]]", _path("facilities_2021.csv"), 'datum = "gcj02"',
        'datum_column = "坐标系"', 'x = "经度"', 'y = "纬度"',
        'fields = { name = "名称", kind = "类型", standard = "达标情况", '
        'declared_town = "所属镇" }', 'vintage = "2021年"', "",
        "[[facilities]]", _path("organisations.xlsx"), 'datum = "cgcs2000"', 'x = "东经"',
        'y = "北纬"', 'fields = { name = "机构名称", kind = "机构类型", declared_town = "镇街" }',
        'vintage = "2021年"', "",
    ]
    if quota:
        lines += [
            f"# {quota_note}", "[quota]", _path("quota_2021.csv"),
            'town = "town_name"', 'vintage = "2021年4月（皋民儿童〔2021〕1号）"',
            "[quota.kinds]",
            'care_home = { column = "care_home_provincial_standard", standard = "provincial" }',
            'care_point = { column = "village_care_points" }',
            'social_org = { column = "child_service_social_orgs" }', "",
        ]
    if aliases:
        lines += ["# 任务表名称 = 镇界名称 (quota-table name = boundary name)", "[aliases]"]
        lines += [f'"{k}" = "{v}"' for k, v in aliases.items()] + [""]
    return "\n".join(lines) + extra


def build_workspace(out: Path, *, county_code: str, quota_csv: Path | None = None,
                    aliases: dict[str, str] | None = None, seed: int = 2021,
                    defects: bool = True, extras: bool = True,
                    quota_note: str | None = None, staff: bool = True) -> dict:
    """Write a complete workspace for ``county_code`` into ``out``.

    Parameters
    ----------
    out : Path
        Folder to (re)create.
    county_code : str
        6-digit county code present in the reference data.
    quota_csv : Path, optional
        Allocation table to copy in as ``quota_2021.csv``.
    aliases : dict, optional
        Quota-table name -> boundary name.
    seed : int
        Random seed; the same seed writes the same workspace.
    defects : bool
        Plant the defects listed in :data:`DEFECTS`.
    extras : bool
        Also write the road network and the water, kit and school layers.
    staff : bool
        Also write the staff table (儿童主任 / 儿童督导员 counts, ``scripts/synth/staff.py``).
    quota_note : str, optional
        Where the quota table comes from (a comment in ``planner.toml``).

    Returns
    -------
    dict
        Counts of what was written.
    """
    rng = np.random.default_rng(seed)
    aliases = aliases or {}
    div = _divisions(county_code)
    try:
        outline, county_name = county_outline(county_code)
        outline_note = None
    except NoOutlineError:  # development zones: see scripts/synth/province.py
        from scripts.synth.province import approximate_outline

        outline, county_name, outline_note = approximate_outline(county_code)
    county = gpd.GeoSeries([outline], crs=WGS84)
    crs = county.estimate_utm_crs()
    towns_tab = div.drop_duplicates("town_code")[["town_code", "town_name"]]
    per_town = div.groupby("town_code").size().loc[towns_tab["town_code"]].to_list()
    town_geoms, village_geoms = tile(county.to_crs(crs).iloc[0], villages_per_town=per_town,
                                     rng=rng)
    towns = gpd.GeoDataFrame(towns_tab.reset_index(drop=True), geometry=town_geoms,
                             crs=crs).to_crs(WGS84)
    vill = div[["village_code", "village_name", "town_code", "town_name"]].copy()
    order = np.concatenate([np.flatnonzero(div["town_code"].to_numpy() == c)
                            for c in towns_tab["town_code"]])
    vill = vill.iloc[order].reset_index(drop=True)
    geoms = [g for town in village_geoms for g in town]
    villages = gpd.GeoDataFrame(vill, geometry=geoms, crs=crs).to_crs(WGS84)
    children = _children(villages, rng)
    quota_towns: set[str] = set()
    if quota_csv is not None:
        names = pd.read_csv(quota_csv, dtype=str)["town_name"].map(lambda t: aliases.get(t, t))
        quota_towns = set(towns.loc[towns["town_name"].isin(names), "town_code"])
    else:
        quota_towns = set(towns["town_code"])
    fac = _facilities(towns, villages, crs, rng, quota_towns=quota_towns)
    to_office = {v: k for k, v in aliases.items()}
    care = fac[~fac["kind"].isin(_TOWN_LEVEL)].reset_index(drop=True)
    orgs = fac[fac["kind"].isin(_TOWN_LEVEL)].reset_index(drop=True)
    settlements = _settlements(villages.to_crs(crs), children, rng)

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    county.to_frame("geometry").assign(county_code=county_code, county_name=county_name)[
        ["county_code", "county_name", "geometry"]].to_file(_at(out, "county.geojson"),
                                                           driver="GeoJSON")
    towns.to_file(_at(out, "towns.geojson"), driver="GeoJSON")
    shp = villages.rename(columns={"village_code": "XZQDM", "village_name": "XZQMC",
                                   "town_code": "SSXZDM"}).drop(columns=["town_name"])
    if defects:
        k = int(rng.integers(len(shp)))
        shp.loc[k, "geometry"] = _bowtie(shp.geometry.iat[k])
    shp.to_file(_at(out, "villages.shp"), encoding=_dbf_encoding(shp["XZQMC"]))
    kids = children.copy()
    if defects:
        i = int(rng.integers(len(kids)))
        kids.loc[i, "留守儿童数"] = kids.at[i, "儿童数"] + 7
        stray = kids.loc[[i]].assign(村代码=kids.at[i, "村代码"][:9] + "299",
                                      村名称="原撤并村")
        kids = pd.concat([kids, stray], ignore_index=True)
    kids.to_excel(_at(out, "children.xlsx"), index=False, sheet_name="儿童人数")
    settlements.to_file(_at(out, "settlements.gpkg"), driver="GPKG")
    _facility_table(care, rng, defects=defects, town_names=towns["town_name"].tolist(),
                    to_office=to_office).to_csv(_at(out, "facilities_2021.csv"), index=False,
                                                encoding="gb18030" if defects else "utf-8")
    _org_table(orgs).to_excel(_at(out, "organisations.xlsx"), index=False, sheet_name="机构")
    if quota_csv is not None:
        shutil.copyfile(quota_csv, _at(out, "quota_2021.csv"))
    extra_toml = ""
    if staff:
        from scripts.synth.staff import write_staff

        extra_toml, counts = write_staff(
            out, villages.assign(children=children["儿童数"].to_numpy()), towns, seed=seed)
    stats = {"county": county_name, "towns": len(towns), "villages": len(villages),
             "children": int(children["儿童数"].sum()), "facilities": len(fac),
             "settlements": len(settlements),
             "outline": "reference" if outline_note is None else "approximate"}
    if staff:
        stats.update(counts)
    if extras:
        with_kids = villages.assign(children=children["儿童数"].to_numpy())
        water_toml, more = _write_extras(out, county=outline, towns=towns, villages=with_kids,
                                         settlements=settlements, crs=crs, seed=seed)
        extra_toml += water_toml
        stats.update(more)
    (out / "planner.toml").write_text(
        _toml(county_name, county_code, quota=quota_csv is not None, aliases=aliases,
              extra=extra_toml, outline_note=outline_note,
              dbf_encoding=_dbf_encoding(villages["village_name"]),
              **({"quota_note": quota_note} if quota_note else {})), encoding="utf-8")
    (out / "build_stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
    return stats


def _write_extras(out: Path, *, county, towns, villages, settlements, crs,
                  seed: int) -> tuple[str, dict]:
    """Water bodies, "四个一" kits and schools (synthetic), written as a bureau would keep
    them: water as a GeoPackage with Chinese type labels, kits as a CSV inspection list."""
    from planner.glossary import WATER_TYPES
    from scripts.synth.roads import write_synthetic_osm
    from scripts.synth.water import synth_water

    layers = synth_water(county, villages=villages, settlements=settlements, crs=crs,
                         seed=seed)
    inside = {k: v[v.intersects(county)] for k, v in layers.items()}
    layers = {k: v[v.within(county)] if k != "water" else v for k, v in inside.items()}
    water = layers["water"].copy()
    lines = water[water.geom_type.isin(["LineString", "MultiLineString"])
                  & water["type"].isin(["canal", "river"])]
    roads = write_synthetic_osm(_at(out, "roads.osm"), county=county, villages=villages,
                                towns=towns, crs=crs, canals=lines.geometry, seed=seed,
                                lane_spacing_m=250.0)
    water["type"] = water["type"].map(lambda t: WATER_TYPES.get(t, t))
    water.to_file(_at(out, "water.gpkg"), driver="GPKG")
    kits = layers["kits"]
    yes = {True: "是", False: "否"}
    table = pd.DataFrame({
        "编号": kits["kit_id"].to_numpy(),
        "警示牌": kits["has_sign"].map(yes).to_numpy(),
        "救生圈": kits["has_lifebuoy"].map(yes).to_numpy(),
        "救生绳": kits["has_rope"].map(yes).to_numpy(),
        "救生杆": kits["has_pole"].map(yes).to_numpy(),
        "绳长米": kits["rope_m"].to_numpy(),
        "最近检查": pd.to_datetime(kits["last_inspected"]).dt.strftime("%Y-%m-%d").fillna(""),
        "经度": kits.geometry.x.round(6).to_numpy(),
        "纬度": kits.geometry.y.round(6).to_numpy(),
    })
    table.to_csv(_at(out, "kits.csv"), index=False, encoding="utf-8")
    layers["schools"].to_file(_at(out, "schools.gpkg"), driver="GPKG")
    toml = "\n".join([
        "# Synthetic water bodies, \"四个一\" kits and schools (see README.md).",
        "[layers.water]", _path("water.gpkg"), "",
        "[layers.kits]", _path("kits.csv"), 'x = "经度"', 'y = "纬度"',
        'fields = { kit_id = "编号", has_sign = "警示牌", has_lifebuoy = "救生圈", '
        'has_rope = "救生绳", has_pole = "救生杆", rope_m = "绳长米", '
        'last_inspected = "最近检查" }', 'vintage = "2025年6月检查"', "",
        "[layers.schools]", _path("schools.gpkg"), "",
        "[water]", 'as_of = "2025-06-01"', "year = 2025", "",
        "# Synthetic road network in OpenStreetMap XML (see README.md).",
        "[roads]", _path("roads.osm"), "",
    ])
    stats = {"water_bodies": len(water), "kits": len(kits), "schools": len(layers["schools"]),
             "road_nodes": roads.get("nodes"), "road_ways": roads.get("ways"),
             "bridges": roads.get("bridges")}
    return toml + "\n", stats
