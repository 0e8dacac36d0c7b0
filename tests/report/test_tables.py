"""progress.xlsx laid out like the official annexes and ready to print."""

import datetime as dt
import re

from openpyxl import load_workbook

from planner.report._labels import for_people, label


def test_progress_sheet_layout(demo_result):
    wb = load_workbook(demo_result.out / "progress.xlsx")
    ws = wb["任务进度"]
    year = dt.date.today().year
    assert ws["A1"].value == f"如皋市{year}年儿童关爱服务阵地建设任务完成情况"
    assert ws["A2"].value == "填报单位：如皋市民政局（盖章）"
    assert any(str(c.value).startswith(f"填报日期：{year}年") for c in ws[2])
    assert ws["A3"].value == "序号" and ws["B3"].value == "镇（区、街道）"
    assert ws["C3"].value.startswith('省标儿童"关爱之家"')
    subs = [ws.cell(4, c).value for c in range(3, 8)]
    assert subs == ["任务数", "已建", "缺口", "超额", "完成率"]
    assert ws.cell(3, ws.max_column).value == "备注"
    assert ws.freeze_panes == "C5"
    total = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert ws.cell(total, 3).value == 14 and ws.cell(total, 8).value == 347
    assert ws.cell(5, 7).number_format == "0.0%"
    assert ws.column_dimensions["B"].width >= 20
    names = [ws.cell(r, 2).value for r in range(5, total)]
    assert "城北街道（如皋市经济开发区）" in names
    assert ws.cell(total + 2, 1).value.startswith("注：")
    assert {"村（居）", "被拒记录", "发现的问题", "覆盖情况"} <= set(wb.sheetnames)
    # annex 2 (organisations) has a sheet of its own
    org = wb["社会组织任务"]
    assert org["A1"].value == f"如皋市{year}年儿童服务类社会组织任务完成情况"
    assert org["C3"].value.startswith("儿童服务类社会组织")
    assert "社会组织" not in "".join(str(c.value) for c in ws[3])


def test_every_sheet_prints_one_page_wide_landscape_in_chinese(demo_result):
    wb = load_workbook(demo_result.out / "progress.xlsx")
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # one page wide: fitToWidth is 1, or absent (1 is its default in OOXML)
        assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows.startswith("$1:")
        head = int(ws.print_title_rows.split(":")[1].lstrip("$"))
        headers = [c.value for r in range(2, head + 1) for c in ws[r] if c.value is not None]
        assert headers and not [h for h in headers
                                if re.fullmatch(r"[a-z][a-z0-9_]*", str(h))], ws.title
        for row in ws.iter_rows(min_row=head + 1):
            for cell in row:
                if isinstance(cell.value, float) and cell.number_format != "0.0%":
                    # no raw floats such as 234.7540845 (coordinates keep 6 places)
                    assert round(cell.value, 6) == cell.value, (ws.title, cell.coordinate)
                    if not 70 < abs(cell.value) < 140 and not 15 < abs(cell.value) < 55:
                        assert round(cell.value, 1) == cell.value, (ws.title, cell.value)


def test_labels_for_people():
    import pandas as pd

    frame = pd.DataFrame({"dist_m_care_point": [1234.567, float("inf")],
                          "covshare_care_point": [0.4718, 1.0], "has_care_point": [True, False],
                          "kind": ["care_point", "care_home"], "unmet_need": [4353.33, 0.0]})
    out = for_people(frame)
    assert list(out.columns) == ["距最近村（居）儿童关爱站点（米）",
                                 "村（居）儿童关爱站点服务半径内儿童占比", "本村有关爱站点",
                                 "类型", "未满足需求（儿童·公里）"]
    assert out.iloc[0].tolist() == [1235.0, 47.2, "是", "村（居）儿童关爱站点", 4353.3]
    assert pd.isna(out.iloc[1, 0]) and out.iloc[1, 2] == "否"
    assert label("sites_care_home") == '儿童"关爱之家"（个）'
