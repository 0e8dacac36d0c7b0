"""progress.xlsx laid out like the official annex."""

from openpyxl import load_workbook


def test_progress_sheet_layout(demo_result):
    wb = load_workbook(demo_result.out / "progress.xlsx")
    ws = wb["任务进度"]
    assert "如皋市" in ws["A1"].value
    assert ws["A2"].value == "序号" and ws["B2"].value == "镇（区、街道）"
    assert ws["C2"].value.startswith('省标儿童"关爱之家"')
    subs = [ws.cell(3, c).value for c in range(3, 8)]
    assert subs == ["任务数", "已建", "缺口", "超额", "完成率"]
    assert ws.freeze_panes == "C4"
    last = ws.max_row
    assert ws.cell(last, 1).value == "合计"
    assert ws.cell(last, 3).value == 14 and ws.cell(last, 8).value == 347
    assert ws.cell(4, 7).number_format == "0.0%"
    assert ws.column_dimensions["B"].width >= 20
    names = [ws.cell(r, 2).value for r in range(4, last)]
    assert "城北街道（如皋市经济开发区）" in names
    assert {"村（居）", "被拒记录", "发现的问题"} <= set(wb.sheetnames)
