"""What each village is to do about its waters (written by :mod:`planner.report.water_actions`).

One row per action - a new "四个一" kit, completing a kit (which items), a new rope for a
short one, inspecting a kit that is overdue (since when) - with the village, the water's
name and type, its tier, the location (lon/lat, WGS-84) and the cost in yuan. Kits the
budget leaves for later are listed too (``funded`` false) so that the village sees them.
Counts and places only: no person is named.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.glossary import KIT_ITEMS, TIERS
from planner.propose._geo import nearest_road

ACTION_LABELS = {"new": "新建“四个一”", "complete": "补齐器材", "repair_rope": "更换救生绳",
                 "inspect": "逾期检查"}

#: the columns of the actions table and their Chinese headers
COLUMNS = {
    "town_name": "镇（街道）", "village_code": "村代码", "village_name": "村（居）",
    "water_id": "水域编号", "water_name": "水域名称", "water_type": "水域类型",
    "tier_label": "风险等级", "action": "行动", "action_label": "行动内容", "detail": "说明",
    "kit_id": "点位编号", "lon": "经度", "lat": "纬度", "landmark": "位置参照",
    "cost_yuan": "费用（元）",
    "funded": "纳入预算",
}


def village_of(points: np.ndarray, villages: gpd.GeoDataFrame | None, crs: Any,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(village_code, village_name, town_name) of the village containing (or nearest to)
    each metric point; empty strings without villages."""
    n = len(points)
    if villages is None or len(villages) == 0 or n == 0:
        e = np.full(n, "", dtype=object)
        return e, e.copy(), e.copy()
    geoms = villages.geometry.to_crs(crs).to_numpy()
    tree = shapely.STRtree(geoms)
    idx = np.full(n, -1)
    inp, ti = tree.query(points, predicate="intersects")
    idx[inp[::-1]] = ti[::-1]
    rest = np.flatnonzero(idx < 0)
    if len(rest):
        inp, ti = tree.query_nearest(points[rest], all_matches=False)
        idx[rest[inp]] = ti

    def col(name: str) -> np.ndarray:
        vals = (villages[name].astype(str).to_numpy() if name in villages.columns
                else np.full(len(villages), "", dtype=object))
        return vals[idx].astype(object)

    return col("village_code"), col("village_name"), col("town_name")


def water_actions(*, proposed: gpd.GeoDataFrame, kits: gpd.GeoDataFrame,
                  kit_water: np.ndarray, overdue: np.ndarray, fixable: np.ndarray,
                  fix_cost: np.ndarray, funded_fix: np.ndarray, short_rope: np.ndarray,
                  water: pd.DataFrame, tier: np.ndarray, villages: gpd.GeoDataFrame | None,
                  crs: Any, inspection_yuan: float,
                  roads: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """All actions, one row each (see module doc), sorted by town, village, tier.

    Parameters
    ----------
    proposed : GeoDataFrame
        Proposed kits (new and fixed), WGS-84, from the water-safety stage.
    kits : GeoDataFrame
        Normalised existing kits (``kit_id``, items, ``rope_m``, ``last_inspected``).
    kit_water : ndarray
        Water index of each existing kit (-1 when not on a bank).
    overdue, fixable, funded_fix, short_rope : ndarray of bool
        Per existing kit: inspection overdue, needs items or a rope, completed/repaired
        within the budget, rope shorter than ``min_rope_m``.
    fix_cost : ndarray
        Cost to complete or repair each existing kit.
    water : DataFrame
        ``water_id, name, type_label`` per water index.
    tier : ndarray
        Tier code per water index.
    roads : GeoDataFrame, optional
        Road segments (``highway``, ``name``) for the ``landmark`` column: the nearest road
        within 500 m by name or class, and its distance.
    """
    kits = kits.to_crs("EPSG:4326")
    items = kits[list(KIT_ITEMS)].to_numpy(dtype=bool)
    wid = water["water_id"].to_numpy()
    widx = pd.Series(np.arange(len(wid)), index=wid)
    widx = widx[~widx.index.duplicated()]

    def by_water(i: np.ndarray) -> dict[str, np.ndarray]:
        ok = i >= 0
        j = np.maximum(i, 0)

        def pick(values: np.ndarray) -> np.ndarray:
            return np.where(ok, values[j], "") if len(values) else np.full(len(i), "", object)

        return {"water_id": pick(water["water_id"].to_numpy()),
                "water_name": pick(water["name"].to_numpy()),
                "water_type": pick(water["type_label"].to_numpy()),
                "tier_label": pick(pd.Series(tier).map(TIERS).to_numpy(dtype=object))}

    new = proposed[proposed["status"] == "new"]
    nw = widx.reindex(new["water_id"]).fillna(-1).to_numpy(int)
    rows = [pd.DataFrame({
        **by_water(nw), "action": "new", "detail": new["reason"].to_numpy(),
        "kit_id": new["kit_id"].to_numpy(), "lon": new.geometry.x.to_numpy(),
        "lat": new.geometry.y.to_numpy(), "cost_yuan": new["cost_yuan"].to_numpy(),
        "funded": True, "_geom": new.geometry.to_numpy()})]
    fx = np.flatnonzero(fixable)
    missing = [("补齐：" + "、".join(lab for lab, h in zip(KIT_ITEMS.values(), it, strict=True)
                                    if not h) if not it.all() else "")
               for it in items[fx]]
    rope = kits["rope_m"].to_numpy(float)[fx]
    detail = [("；".join(x for x in (m, f"救生绳仅 {r:g} 米，更换" if s else "") if x))
              for m, r, s in zip(missing, rope, short_rope[fx], strict=True)]
    rows.append(pd.DataFrame({
        **by_water(kit_water[fx]),
        "action": np.where(items[fx].all(axis=1), "repair_rope", "complete"),
        "detail": detail, "kit_id": kits["kit_id"].to_numpy()[fx],
        "lon": kits.geometry.x.to_numpy()[fx], "lat": kits.geometry.y.to_numpy()[fx],
        "cost_yuan": fix_cost[fx], "funded": funded_fix[fx],
        "_geom": kits.geometry.to_numpy()[fx]}))
    od = np.flatnonzero(overdue)
    last = pd.to_datetime(kits["last_inspected"]).to_numpy()[od]
    since = ["从未检查" if pd.isna(d) else f"逾期未检查，最近检查 {pd.Timestamp(d):%Y-%m-%d}"
             for d in last]
    rows.append(pd.DataFrame({
        **by_water(kit_water[od]), "action": "inspect", "detail": since,
        "kit_id": kits["kit_id"].to_numpy()[od], "lon": kits.geometry.x.to_numpy()[od],
        "lat": kits.geometry.y.to_numpy()[od], "cost_yuan": float(inspection_yuan),
        "funded": True, "_geom": kits.geometry.to_numpy()[od]}))
    out = pd.concat(rows, ignore_index=True)
    geom = gpd.GeoSeries(out.pop("_geom").to_numpy(), crs="EPSG:4326")
    metric = geom.to_crs(crs).to_numpy()
    code, name, town = village_of(metric, villages, crs)
    out.insert(out.columns.get_loc("lat") + 1, "landmark", nearest_road(metric, roads, crs))
    out.insert(0, "town_name", town)
    out.insert(1, "village_code", code)
    out.insert(2, "village_name", name)
    out.insert(out.columns.get_loc("action") + 1, "action_label",
               out["action"].map(ACTION_LABELS))
    out["lon"], out["lat"] = out["lon"].round(6), out["lat"].round(6)
    out["cost_yuan"] = out["cost_yuan"].astype(float).round(2)
    rank = {label: i for i, label in enumerate(TIERS.values())}  # 一级 first
    order = np.lexsort((out["kit_id"].to_numpy().astype(str),
                        out["tier_label"].map(rank).fillna(len(rank)).to_numpy(),
                        out["village_code"].to_numpy().astype(str),
                        out["town_name"].to_numpy().astype(str)))
    res = gpd.GeoDataFrame(out.iloc[order].reset_index(drop=True),
                           geometry=geom.iloc[order].reset_index(drop=True), crs="EPSG:4326")
    return res[[*COLUMNS, "geometry"]]
