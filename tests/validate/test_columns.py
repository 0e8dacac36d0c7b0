"""Required columns: one line naming the file, the missing and present columns, and the reason
when the file shows it — a shapefile without its .dbf, the header on a lower row of a CSV or
a sheet, the columns on another sheet, a CSV read as one column."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from planner._errors import InputFileError
from planner.validate.columns import require_columns


def _message(frame, columns, **kw) -> str:
    with pytest.raises(InputFileError) as info:
        require_columns(frame, columns, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_present_columns_pass(tmp_path):
    frame = pd.DataFrame({"town": ["如城街道"], "care_point": [3], "_row": [2]})
    require_columns(frame, ["town", "care_point"], path=tmp_path / "quota.csv", role="quota")
    require_columns(frame, [], path=tmp_path / "quota.csv", role="quota")


def test_missing_columns_named_with_the_present_ones_and_the_default_fix(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("名称,类型,x,y\n东村站,care_point,120.5,32.3\n", encoding="utf-8")
    frame = pd.DataFrame({"名称": ["东村站"], "类型": ["care_point"], "_row": [2],
                          "geometry": [None]})
    message = _message(frame, ["name", "kind", "名称"], path=path, role="facilities")
    assert message.startswith(f"{path}: column(s) ['name', 'kind'] missing for layer "
                              "'facilities' (present: ['名称', '类型'])")  # no _row, geometry
    assert message.endswith("map them under [layers.facilities.fields] in planner.toml or "
                            "rename the columns")
    custom = _message(frame, ["kind"], path=path, role="facilities", fix="add a 类型 column")
    assert custom.endswith("; add a 类型 column")


def test_shapefile_without_its_dbf(tmp_path):
    path = tmp_path / "villages.shp"
    path.write_bytes(b"")
    frame = pd.DataFrame({"geometry": [None], "_row": [1]})
    message = _message(frame, ["village_name"], path=path, role="villages")
    assert "attribute table villages.dbf is missing beside it" in message
    (tmp_path / "villages.dbf").write_bytes(b"")  # with the .dbf the default advice stands
    assert "[layers.villages.fields]" in _message(frame, ["village_name"], path=path,
                                                  role="villages")


@pytest.mark.parametrize(("encoding", "sep"), [("utf-8", ","), ("gb18030", ","),
                                                ("utf-16", "\t")])
def test_csv_header_on_a_lower_row(tmp_path, encoding, sep):
    """Rows above the header (as Excel saves a sheet with a title: every row as wide as the
    table): the hint gives the header's row number."""
    path = tmp_path / "quota.csv"
    lines = [f"2021年如皋市儿童关爱阵地建设任务表{sep}", f"单位：个{sep}", f"镇{sep}关爱站点",
             f"如城街道{sep}12"]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    header_row = next(i for i, line in enumerate(lines, start=1)
                      if {"镇", "关爱站点"} <= set(line.split(sep)))
    frame = pd.DataFrame({"2021年如皋市儿童关爱阵地建设任务表": ["单位：个"], "_row": [2]})
    message = _message(frame, ["town"], path=path, role="quota", fields={"town": "镇"})
    assert f"the column names are on row {header_row}: set header = {header_row}" in message
    assert header_row == 3


def test_csv_read_as_one_column(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("名称;类型\n东村站;care_point\n", encoding="utf-8")
    frame = pd.DataFrame({"名称;类型": ["东村站;care_point"], "_row": [2]})
    message = _message(frame, ["name"], path=path, role="facilities")
    assert "read as a single column: check its delimiter" in message


def test_csv_without_a_reason_gets_the_default_advice(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text("名称,类型\n东村站,care_point\n", encoding="utf-8")
    frame = pd.DataFrame({"名称": ["东村站"], "类型": ["care_point"], "_row": [2]})
    assert "[layers.facilities.fields]" in _message(frame, ["name"], path=path,
                                                    role="facilities")


def _workbook(path, sheets: dict[str, list[list]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


def test_xlsx_title_row_above_the_header(tmp_path):
    path = tmp_path / "quota.xlsx"
    _workbook(path, {"任务": [["如皋市任务分解表"], [], ["镇", "关爱站点"], ["如城街道", 12]]})
    frame = pd.DataFrame({"如皋市任务分解表": [None], "_row": [2]})
    message = _message(frame, ["town"], path=path, role="quota", fields={"town": "镇"})
    assert "row 1 of sheet '任务' is not the header (a title?); the column names are on " \
           "row 3: set header = 3" in message


def test_xlsx_columns_on_another_sheet(tmp_path):
    path = tmp_path / "quota.xlsx"
    _workbook(path, {"说明": [["填表说明"]], "任务": [["附件1"], ["镇", "关爱站点"]],
                     "汇总": [["镇", "合计"]]})
    frame = pd.DataFrame({"填表说明": [], "_row": []})
    message = _message(frame, ["镇", "关爱站点"], path=path, role="quota")
    assert "the columns are on sheet '任务', not '说明': set sheet = \"任务\" and header = 2" \
           in message
    # the sheet that was read is named: the hint looks at the others only
    message = _message(frame, ["镇", "合计"], path=path, role="quota", sheet="任务")
    assert "the columns are on sheet '汇总', not '任务': set sheet = \"汇总\" for" in message


def test_unreadable_workbook_gives_the_default_advice(tmp_path):
    path = tmp_path / "quota.xlsx"
    path.write_bytes(b"not a zip file")
    frame = pd.DataFrame({"a": [1], "_row": [2]})
    assert "[layers.quota.fields]" in _message(frame, ["town"], path=path, role="quota")
