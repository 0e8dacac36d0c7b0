"""water_actions.xlsx: every action on the village list, the overdue inspections and the
incomplete kits on their own sheets (rows recounted from the action table), funded shown
in words, the budget curve and the score notes when given."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

ACTIONS = ["new", "inspect", "complete", "repair_rope", "new", "inspect", "new"]


def _actions() -> gpd.GeoDataFrame:
    n = len(ACTIONS)
    labels = {"new": "新设“四个一”点位", "inspect": "逾期检查", "complete": "补齐器材",
              "repair_rope": "更换救生绳"}
    return gpd.GeoDataFrame({
        "town_name": ["如城街道"] * 4 + ["白蒲镇"] * 3,
        "village_code": [f"32068200100{i}" for i in range(n)],
        "village_name": ["东村", "东村", "西村", "西村", "南村", "北村", "=HYPERLINK(\"x\")"],
        "water_id": [f"W{i:06d}" for i in range(n)], "water_name": [""] * n,
        "water_type": ["坑塘"] * n, "tier_label": ["一级", "一级", "二级", "二级", "三级",
                                                   "一级", "一级"],
        "action": ACTIONS, "action_label": [labels[a] for a in ACTIONS],
        "detail": ["", "上次检查 2025-05-01", "缺救生杆", "救生绳 20 米 < 25 米", "", "", ""],
        "kit_id": [f"K{i}" for i in range(n)], "lon": [120.5 + i / 100 for i in range(n)],
        "lat": [32.3] * n, "landmark": ["近S334（约 40 米）"] * n,
        "cost_yuan": [1040.0, 0.0, 200.0, 90.0, 1040.0, 0.0, 1040.0],
        "funded": [True, True, True, False, True, True, False],
    }, geometry=[Point(120.5 + i / 100, 32.3) for i in range(n)], crs=4326)


def _sheet(wb, name) -> pd.DataFrame:
    """A sheet's table: title on row 1, header on row 2, data below."""
    rows = list(wb[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[2:], columns=rows[1])
