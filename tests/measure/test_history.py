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


def _excel_resaved(folder):
    """progress.csv as Excel on Chinese Windows saves it again: GBK, no BOM, CRLF, long
    codes shown (and saved) as 3.21E+08."""
    frame = pd.read_csv(folder / "progress.csv", dtype=str, encoding="utf-8-sig")
    frame["town_code"] = [f"{float(c):.2E}" for c in range(320999001, 320999001 + len(frame))]
    frame.to_csv(folder / "progress.csv", index=False, encoding="gbk", lineterminator="\r\n")


def test_compare_reads_an_excel_resaved_gbk_progress_csv(tmp_path, capsys):
    a, b = _folder(tmp_path / "2024Q2", EARLIER), _folder(tmp_path / "2024Q3", CURRENT)
    _excel_resaved(a)
    table, tot, _lines = compare_folders(a, b)
    assert tot["care_point"]["built_then"] == 14  # matched by town name
    assert main(["compare", str(a), str(b)]) == 0


def test_compare_refuses_two_different_counties(tmp_path, capsys):
    a, b = _folder(tmp_path / "a", EARLIER), _folder(tmp_path / "b", CURRENT)
    for folder, code in ((a, "320681"), (b, "320723")):
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        run |= {"county_code": code, "workspace": folder.name}
        (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    with pytest.raises(InputFileError, match="different counties"):
        compare_folders(a, b)
    assert main(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "320681" in err and not (b / "进度对比.xlsx").exists()


def test_compare_never_overwrites_a_users_file_of_that_name(tmp_path, capsys):
    a, b = _folder(tmp_path / "a", EARLIER), _folder(tmp_path / "b", CURRENT)
    (b / "进度对比.xlsx").write_bytes(b"the bureau's own sheet")
    assert main(["compare", str(a), str(b)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert (b / "进度对比.xlsx").read_bytes() == b"the bureau's own sheet"


def test_compare_into_an_output_folder_keeps_it_the_planners(mini_result, tmp_path):
    import shutil

    from planner.records.outputs import foreign_files, is_complete

    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(mini_result.out, a)
    shutil.copytree(mini_result.out, b)
    assert main(["compare", str(a), str(b)]) == 0
    assert (b / "进度对比.xlsx").is_file() and foreign_files(b) == [] and is_complete(b)
    assert main(["compare", str(a), str(b)]) == 0  # its own file: written again
