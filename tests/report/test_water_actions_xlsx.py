"""water_actions.xlsx read back: the budget table in percent with the chosen plan and the
solver's result in words; longitude and latitude with six decimals; Chinese sentences."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from openpyxl import load_workbook

from planner.propose.actions import COLUMNS
from planner.report.water_actions import write_actions_xlsx
from planner.report.water_figures import BUDGET_COLUMNS, budget_table
from tests.report.test_water_figures import WATER


def _actions() -> gpd.GeoDataFrame:
    rows = {k: ["甲"] * 2 for k in COLUMNS}
    rows |= {"action": ["new", "inspect"], "lon": [120.5612345, 120.6], "lat": [32.1234567, 32.2],
             "cost_yuan": [1040.0, 0.0], "funded": [True, True]}
    return gpd.GeoDataFrame(rows, geometry=[shapely.Point(120.56, 32.12)] * 2, crs=4326)


def test_budget_sheet_reads_as_people_read_it(tmp_path) -> None:
    path = tmp_path / "water_actions.xlsx"
    write_actions_xlsx(_actions(), path, title="测试县", water=WATER)
    ws = load_workbook(path)["预算曲线"]
    header = [c.value for c in ws[2]]
    assert header == list(BUDGET_COLUMNS)
    table = budget_table(WATER)
    body = list(ws.iter_rows(min_row=3, max_row=2 + len(table)))
    for cells, (_, row) in zip(body, table.iterrows(), strict=True):
        plan, new, fixed, yuan, share, out, sure = cells
        assert plan.value == row["方案"] and sure.value == row["求解结果"]
        # risk covered: a percentage with a % format, not a fraction in 0.0
        assert share.number_format == "0.0%"
        assert round(share.value * 100, 1) == row["风险覆盖（%）"]
        assert yuan.value == row["费用（元）"] and yuan.number_format == "#,##0"
        assert plan.font.b == bool(row["chosen"])  # the chosen plan stands out
    chosen = [c[0].value for c in body if c[0].font.b]
    assert chosen == ["本年预算 ¥30,000：按风险效益最优"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "within_gap" not in text and "milp" not in text and "full_coverage" not in text


def test_coordinates_with_six_decimals_on_every_action_sheet(tmp_path) -> None:
    path = tmp_path / "water_actions.xlsx"
    write_actions_xlsx(_actions(), path, title="测试县", water=WATER)
    book = load_workbook(path)
    for name in ("村级行动清单", "逾期检查"):
        ws = book[name]
        header = [c.value for c in ws[2]]
        lon, lat = header.index("经度") + 1, header.index("纬度") + 1
        cells = [ws.cell(r, c) for r in range(3, ws.max_row + 1) for c in (lon, lat)]
        assert cells and all(c.number_format == "0.000000" for c in cells), name
    first = book["村级行动清单"]
    header = [c.value for c in first[2]]
    assert first.cell(3, header.index("经度") + 1).value == 120.5612345


def test_bilingual_reasons_show_their_chinese_part() -> None:
    from planner.report._labels import chinese_part, for_people

    assert chinese_part("村代码不在村界图层中 / village_code not in the villages layer: fix it") \
        == "村代码不在村界图层中"
    assert chinese_part("no Chinese / here") == "no Chinese / here"
    assert chinese_part("只有中文") == "只有中文"
    assert chinese_part("补齐/更换救生绳") == "补齐/更换救生绳"
    assert chinese_part("同一水域重复（与第 8 行）/ the same water as row 8") == \
        "同一水域重复（与第 8 行）"
    shown = for_people(pd.DataFrame({"reason": ["坐标缺失 / no coordinates", None]}))
    assert shown["原因"].tolist()[0] == "坐标缺失" and pd.isna(shown["原因"].tolist()[1])
