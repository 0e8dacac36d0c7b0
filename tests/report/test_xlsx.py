"""Excel sheets in the official form (planner.report._xlsx), read back with openpyxl: the
title, grouped and single headers, every value written by its type (text never a formula,
numbers, booleans, dates, percentages, blanks), totals and emphasis in bold, notes under
the table, legal unique sheet names, print set-up."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from planner.records.privacy import has_personal, mask_personal
from planner.report._xlsx import Book, text_width, write_table


def _write(tmp_path, frame, **kw):
    path = tmp_path / "t.xlsx"
    with Book(path) as book:
        write_table(book, book.sheet("表"), frame, **kw)
    return load_workbook(path)["表"]


def test_title_groups_headers_and_cells(tmp_path):
    frame = pd.DataFrame({
        "town": ["如城街道", "白蒲镇", "合计"], "required": [3, 2, 5], "built": [2.0, 2.0, 4.0],
        "pct": [66.66667, 100.0, 80.0], "ok": [False, True, None],
        "checked": [dt.date(2025, 5, 1), None, None], "note": ["=1+1", "", "\x07bell"]})
    ws = _write(tmp_path, frame, title="附件1 任务完成情况", total_label="合计",
                groups=[("镇（街道）", 1), ("关爱站点", 3), ("其他", 3)],
                percent_cols=["pct"], notes=["注：完成率 = 已建 / 任务数。"])
    assert ws["A1"].value == "附件1 任务完成情况" and ws["A1"].font.b
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    # a span-1 group is merged down over its column header; the others head their columns
    assert "A2:A3" in {str(r) for r in ws.merged_cells.ranges} and ws["A2"].value == "镇（街道）"
    assert (ws["B2"].value, ws["E2"].value) == ("关爱站点", "其他")
    assert [c.value for c in ws[3]][1:] == ["required", "built", "pct", "ok", "checked", "note"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4, max_row=6)]
    assert rows[0][:5] == ["如城街道", 3, 2, pytest.approx(0.666667), False]
    assert rows[0][5] == dt.datetime(2025, 5, 1) and rows[0][6] == "'=1+1"
    assert ws["D4"].number_format == "0.0%" and ws["C4"].number_format == "0"
    assert rows[1][6] is None and rows[2][6] == "bell"  # empty text blank, control chars gone
    assert rows[1][4] is True and rows[2][4] is None
    assert all(c.font.b for c in ws[6]) and not ws["A4"].font.b  # the totals row
    assert ws["A8"].value == "注：完成率 = 已建 / 任务数。"
    assert ws.freeze_panes == "C4"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$3"


def test_emphasis_and_filled_by(tmp_path):
    frame = pd.DataFrame({"镇": ["甲", "小计", "乙"], "数": [1, 3, 2]})
    ws = _write(tmp_path, frame, title="表", emphasis=[False, True, False],
                filled_by=("填报单位：如皋市民政局", "填报日期：2025-06-30"))
    assert ws["A2"].value == "填报单位：如皋市民政局" and ws["B2"].value == "填报日期：2025-06-30"
    assert [c.value for c in ws[3]] == ["镇", "数"]
    assert [ws.cell(r, 1).font.b for r in (4, 5, 6)] == [False, True, False]


def test_sheet_names_are_made_legal_and_unique(tmp_path):
    path = tmp_path / "names.xlsx"
    with Book(path) as book:
        for name in ["进度/完成率", "进度/完成率", "a" * 40, "", "'x'", "[表]:*?\\"]:
            book.sheet(name)
    assert load_workbook(path).sheetnames == [
        "进度_完成率", "进度_完成率 (2)", "a" * 31, "Sheet", "x", "_表_____"]
    empty = tmp_path / "empty.xlsx"
    Book(empty).close()  # a book without sheets still opens: one empty sheet
    assert load_workbook(empty).sheetnames == ["Sheet"]


# numbers within Excel's range (it holds none beyond about ±1e308: the largest doubles come
# back as inf), and the non-finite ones, which become empty cells
cells = st.one_of(st.text(max_size=12), st.integers(-10**9, 10**9),
                  st.floats(min_value=-1e300, max_value=1e300),
                  st.sampled_from([float("nan"), float("inf"), float("-inf")]),
                  st.booleans(), st.none())


@settings(max_examples=40, deadline=None)
@given(values=st.lists(cells, min_size=1, max_size=6))
def test_each_value_reads_back_as_written(tmp_path_factory, values):
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    ws = _write(tmp_path_factory.mktemp("x"), frame, title="t")
    # a carriage return is stored escaped (_x000D_, as OOXML says), which Excel shows as
    # the character and openpyxl leaves as it is
    got = [v.replace("_x000D_", "\r") if isinstance(v, str) else v
           for v in (ws.cell(3 + i, 1).value for i in range(len(values)))]
    for value, cell in zip(values, got, strict=True):
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            assert cell is None
        elif isinstance(value, str):
            # a phone or ID number never reaches a sheet
            text = mask_personal(value) if has_personal(value) else value
            text = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)
            if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text):
                text = "'" + text
            assert cell == (text or None)
        elif isinstance(value, bool):
            assert cell is value
        else:
            assert cell == pytest.approx(value)


def _number(text: str) -> bool:
    """A plain number (sign, digits, decimals, exponent, one %), which stays as it is."""
    return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?", text) is not None


def test_text_width_counts_cjk_double():
    assert text_width("如皋市") == 6 and text_width("abc") == 3 and text_width("镇a") == 3
