"""Progress over time: built since, remaining and the pace to the target year."""

import datetime as dt
import json
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from planner._errors import InputFileError
from planner.cli import main
from planner.measure.history import compare, compare_folders, quarters_left

EARLIER = pd.DataFrame({"town_code": ["1", "2"], "town_name": ["甲镇", "乙镇"],
                        "built_care_point": [10, 4], "missing_care_point": [5, 6]})
CURRENT = pd.DataFrame({"town_code": ["1", "2", "3"], "town_name": ["甲镇", "乙镇", "丙镇"],
                        "built_care_point": [13, 4, 2], "missing_care_point": [2, 6, 9]})


def test_quarters_left():
    assert quarters_left(dt.date(2025, 1, 15), 2025) == 4
    assert quarters_left(dt.date(2025, 11, 24), 2025) == 1
    assert quarters_left(dt.date(2024, 7, 1), 2025) == 6
    assert quarters_left(dt.date(2026, 1, 1), 2025) == 0


def test_compare_against_a_town_by_town_count():
    today = dt.date(2024, 7, 1)
    got = compare(EARLIER, CURRENT, kinds=["care_point"], target_year=2025, today=today)
    then = dict(zip(EARLIER["town_code"], EARLIER["built_care_point"], strict=True))
    for row, cur in zip(got.itertuples(), CURRENT.itertuples(), strict=True):
        before = then.get(cur.town_code, 0)
        assert row.built_since_care_point == cur.built_care_point - before
        assert row.remaining_care_point == cur.missing_care_point
        assert row.per_quarter_care_point == math.ceil(cur.missing_care_point / 6)
    past = compare(EARLIER, CURRENT, kinds=["care_point"], target_year=2023, today=today)
    assert past["per_quarter_care_point"].tolist() == [2, 6, 9]  # all of it, now


def _folder(path, progress):
    path.mkdir()
    progress.to_csv(path / "progress.csv", index=False, encoding="utf-8-sig")
    quota = {"care_point": {"required": 1, "built": 1, "missing": 0, "percent": 100.0},
             "villages": 3}
    (path / "run.json").write_text(json.dumps({"quota": quota}), encoding="utf-8")
    return path


def test_compare_folders_and_command(tmp_path, capsys):
    a, b = _folder(tmp_path / "2024Q2", EARLIER), _folder(tmp_path / "2024Q3", CURRENT)
    table, tot, lines = compare_folders(a, b, target_year=2025, today=dt.date(2024, 7, 1))
    assert tot["care_point"]["built_since"] == 5 and tot["care_point"]["remaining"] == 17
    assert lines[0].startswith("村居关爱站点：上次已建 14，本次已建 19，新增 5，尚缺 17")
    assert main(["compare", str(a), str(b), "--target-year", "2025"]) == 0
    assert "新增 5" in capsys.readouterr().out
    ws = load_workbook(b / "进度对比.xlsx")["进度对比"]
    assert [c.value for c in ws[2]][:3] == ["镇（区、街道）", "村居关爱站点上次已建",
                                            "村居关爱站点本次已建"]
    with pytest.raises(InputFileError, match="progress.csv"):
        compare_folders(tmp_path, b)
