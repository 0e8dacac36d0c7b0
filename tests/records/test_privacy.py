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


def test_png_text_and_metadata_pass_the_guard(tmp_path) -> None:
    """The words drawn on a map (titles, labels, legends) and its text chunks are masked
    before the figure is rendered."""
    import matplotlib
    from matplotlib.figure import Figure
    from PIL import Image

    from planner.report._fonts import cjk_rc
    from planner.report._png import save_png

    with matplotlib.rc_context(cjk_rc()):
        fig = Figure(figsize=(2, 2))
        ax = fig.add_subplot()
        ax.set_title("甲村 联系１３９－１２３４－５６７８")
        ax.text(0.5, 0.5, "填表人：欧阳修远")
        ax.plot([0, 1], [0, 1], label="0513 8765 4321")
        ax.legend()
        save_png(fig, tmp_path / "m.png", metadata={"Source": "+86 138 0013 8000"})
    drawn = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert not any(x in " ".join(drawn) for x in ("５６７８", "欧阳修远", "4321"))
    assert "[已隐去]" in ax.get_title()
    with Image.open(tmp_path / "m.png") as image:
        assert image.text == {"Source": "[已隐去]"}
