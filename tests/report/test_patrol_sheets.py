"""Weekly patrol sheets: the representative week, one block per village, time slots."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from openpyxl import load_workbook

from planner.report.patrol_sheets import _slot, sheet_week, write_patrol_sheets


def _tables():
    routes = pd.DataFrame({
        "route_id": ["R1", "R2", "R3"], "town_code": ["T1", "T1", "T2"],
        "town_name": ["东镇", "东镇", "西镇"], "village_code": ["V1", "V2", "V3"],
        "village_name": ["甲村", "乙村", "丙村"], "stops": [2, 1, 3],
        "water_ids": ["W1;W2", "W3", "W4;W5;W6"],
        "water_names": ["东塘 → 西河", "坑塘W3", "a → b → c"],
        "length_m": [3200.0, 1500.0, 5100.0], "hours": [0.43, 0.21, 0.68],
        "method": "network"})
    dates = pd.date_range("2025-06-25", "2025-07-20").date
    rows = []
    for d in dates:
        for rid, v, t in (("R1", "V1", "T1"), ("R2", "V2", "T1"), ("R3", "V3", "T2")):
            if rid == "R3" and d.day % 2:
                continue
            rows.append({"date": d, "weekday": "周" + "一二三四五六日"[d.weekday()],
                         "season": "暑假" if d.month == 7 else "汛期", "town_code": t,
                         "village_code": v, "round": 1, "route_no": 1, "route_id": rid})
    return routes, pd.DataFrame(rows)


def test_week_is_the_first_full_summer_week() -> None:
    _, cal = _tables()
    week = sheet_week(cal)
    assert week[0] == dt.date(2025, 7, 7) and week[-1] == dt.date(2025, 7, 13)
    assert sheet_week(cal[pd.to_datetime(cal["date"]) < "2025-07-01"])[0] == \
        dt.date(2025, 6, 25)


def test_one_block_per_village_and_every_patrol_of_the_week(tmp_path) -> None:
    routes, cal = _tables()
    path = tmp_path / "patrol_sheets.xlsx"
    assert write_patrol_sheets(routes, cal, path, title="测试") == 3
    wb = load_workbook(path)
    assert wb.sheetnames == ["东镇", "西镇"]
    cells = [c.value for row in wb["东镇"].iter_rows() for c in row if c.value is not None]
    assert sum("东塘 → 西河" == v for v in cells) == 7  # V1 patrols every day of the week
    west = [c.value for row in wb["西镇"].iter_rows() for c in row if c.value is not None]
    assert sum(v == "a → b → c" for v in west) == 3  # 8, 10, 12 July
    assert _slot(1, True).startswith("16:30") and _slot(2, False).startswith("15:30")


def test_a_water_name_that_looks_like_a_formula_stays_text(tmp_path) -> None:
    routes, cal = _tables()
    routes.loc[0, "water_names"] = '=HYPERLINK("http://x","点我")'
    path = tmp_path / "patrol_sheets.xlsx"
    write_patrol_sheets(routes, cal, path, title="测试")
    cells = [c for row in load_workbook(path)["东镇"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert sum(c.value == "'=HYPERLINK(\"http://x\",\"点我\")" for c in cells) == 7
