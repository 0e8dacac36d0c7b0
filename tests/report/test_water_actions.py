"""water_actions.xlsx: every action on the village list, the overdue inspections and the
incomplete kits on their own sheets (rows recounted from the action table), funded shown
in words, hostile text inert. The budget sheet: test_water_actions_xlsx.py."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import Point

from planner.propose.actions import COLUMNS
from planner.report.water_actions import write_actions_xlsx

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


def test_each_sheet_holds_its_actions(tmp_path):
    actions = _actions()
    path = tmp_path / "water_actions.xlsx"
    write_actions_xlsx(actions, path, title="如皋市")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["村级行动清单", "逾期检查", "器材不全"]
    assert next(wb["村级行动清单"].iter_rows(values_only=True))[0] == "如皋市防溺水村级行动清单"
    wanted = {"村级行动清单": set(ACTIONS), "逾期检查": {"inspect"},
              "器材不全": {"complete", "repair_rope"}}
    # people find a water by its locator (水域名称), not by its id
    headers = [COLUMNS[c] for c in actions.columns if c not in ("geometry", "action", "water_id")]
    for name, kinds in wanted.items():
        table = _sheet(wb, name)
        mine = actions[actions["action"].isin(kinds)]
        assert list(table.columns) == headers, name
        assert table["点位编号"].tolist() == mine["kit_id"].tolist(), name
        assert table["纳入预算"].tolist() == ["是" if f else "否（待后续预算）"
                                           for f in mine["funded"]], name
        assert table["费用（元）"].tolist() == pytest.approx(mine["cost_yuan"].tolist())
    assert _sheet(wb, "村级行动清单")["村（居）"].iloc[-1] == "'=HYPERLINK(\"x\")"  # inert
    assert actions["funded"].dtype == bool  # the caller's table is left as it was
