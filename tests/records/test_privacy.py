"""Personal columns: by header or by value; a numeric count of people is not personal."""

from __future__ import annotations

import pandas as pd

from planner.records.privacy import personal_columns, withhold_personal
from planner.report.safe import safe_frame


def test_count_of_people_is_kept_and_people_are_dropped() -> None:
    frame = pd.DataFrame({
        "儿童主任应配（人）": [3, 2], "儿童主任人数": [1, 0], "网格员缺口": [0.0, 1.0],
        "儿童主任": ["张三", "李四"],                 # names: dropped by header
        "主任电话": [13912345678, 13812345678],     # numbers, but no count header: dropped
        "站点人数": ["13912345678", "2"],           # a count header holding a phone: dropped
        "村名": ["甲村", "乙村"],
    })
    assert sorted(personal_columns(frame)) == ["主任电话", "儿童主任", "站点人数"]
    out, withheld, _ = withhold_personal(frame)
    assert list(out.columns) == ["儿童主任应配（人）", "儿童主任人数", "网格员缺口", "村名"]
    written = safe_frame(frame)
    assert "儿童主任应配（人）" in written.columns and "儿童主任" not in written.columns
    assert "主任电话" not in written.columns


def test_a_phone_read_as_a_number_is_personal() -> None:
    import numpy as np

    frame = pd.DataFrame({"备用": [13912345678.0, np.nan], "值": [1.5, 2.0],
                          "人数": [100, 200], "经度": [120.5123, 120.6],
                          "号码": [320682200801011234, 1], "是否": [True, False]})
    assert sorted(personal_columns(frame)) == ["号码", "备用"]
