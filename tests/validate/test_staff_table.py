"""The staff layer: read, validated row by row, counted into progress and progress.xlsx."""

import json

import pytest
from openpyxl import load_workbook

from planner.pipeline import run

STAFF = """村居或镇代码,岗位,人数,已培训,备注
320999001001,儿童主任,1,1,
320999001002,儿童主任,2,1,
320999002001,儿童主任,1,0,
320999001,儿童督导员,1,1,
320999002,儿童督导员,1,2,培训人数有误
320999009999,儿童主任,1,1,不存在的村
320999001001,村医,1,1,不是儿童工作岗位
"""


@pytest.mark.slow  # a whole run of its own
def test_staff_layer_in_progress_and_xlsx(mini, tmp_path):
    (mini / "staff.csv").write_text(STAFF, encoding="utf-8")
    with (mini / "planner.toml").open("a", encoding="utf-8") as f:
        f.write('\n[layers.staff]\npath = "staff.csv"\n[layers.staff.fields]\n'
                'code = "村居或镇代码"\nrole = "岗位"\ncount = "人数"\ntrained = "已培训"\n')
    out = tmp_path / "out"
    result = run(mini, out=out, echo=lambda _line: None)
    p = result.progress.set_index("town_name")
    # 甲山镇: two villages, each with a director (one village has two): 2 of 2, supervisor 1
    assert (p.loc["甲山镇", "directors_required"], p.loc["甲山镇", "directors"]) == (2, 2)
    assert p.loc["甲山镇", "supervisors"] == 1
    assert (p.loc["甲山镇", "staff"], p.loc["甲山镇", "trained"]) == (4, 3)
    # 乙水镇: one of two villages has a director; the supervisor row was rejected
    assert p.loc["乙水镇", "villages_without_director"] == 1
    assert p.loc["乙水镇", "supervisors_missing"] == 1
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_json["staff"]["directors_missing"] == 1
    assert run_json["staff"]["pct_trained"] == round(100 * 3 / 5, 1)
    reasons = [r["reason"] for r in run_json_rejected(out) if r["layer"] == "staff"]
    assert len(reasons) == 3
    assert any("受训人数" in r for r in reasons) and any("未知岗位" in r for r in reasons)
    ws = load_workbook(out / "progress.xlsx")["儿童工作队伍"]  # in the annex form
    assert (ws["C3"].value, ws["C4"].value, ws["D4"].value) == ("儿童主任（人）", "应配", "已配")
    assert "备注" not in str(result.workspace.extra["staff"].columns)  # counts only


def run_json_rejected(out):
    import pandas as pd

    return pd.read_csv(out / "rejected.csv").to_dict("records")


@pytest.mark.slow  # a whole run of its own
def test_more_directors_above_children_per_director(mini, tmp_path):
    import math

    import pytest

    from planner._errors import ConfigError
    from planner.settings import load_settings

    (mini / "staff.csv").write_text(STAFF, encoding="utf-8")
    toml = mini / "planner.toml"
    base = toml.read_text(encoding="utf-8") + (
        '\n[layers.staff]\npath = "staff.csv"\n[layers.staff.fields]\n'
        'code = "村居或镇代码"\nrole = "岗位"\ncount = "人数"\ntrained = "已培训"\n')
    toml.write_text(base + "\n[staff]\nchildren_per_director = 10\n", encoding="utf-8")
    result = run(mini, out=tmp_path / "out", echo=lambda _line: None)
    kids = result.workspace.villages.groupby("town_code")["children"].apply(
        lambda c: sum(1 + math.ceil(max(int(k) - 10, 0) / 10) for k in c))
    got = result.progress.set_index("town_code")["directors_required"]
    got = got.drop("")  # the quota row 丙镇 matches no town: on the annex, no villages
    assert got.to_dict() == {str(k): int(v) for k, v in kids.items()}
    assert int(got.sum()) > len(result.workspace.villages)  # some village needs more than one
    toml.write_text(base + "\n[staff]\nchildren_per_director = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="children_per_director"):
        load_settings(mini)
