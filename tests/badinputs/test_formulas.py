"""Hostile text: no cell of a CSV or xlsx output becomes a live formula (OWASP)."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.badinputs._scan import live_formulas
from tests.badinputs.conftest import edit

HOSTILE = ['=HYPERLINK("http://x","点我")', "+1+2", "-3+cmd|'/Ccalc'!A0", "@SUM(1,2)",
           "\t=1", "\r=1"]


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+86 513", "'+86 513"), ("-A1", "'-A1"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-3.5", "-3.5"), ("+12", "+12"), ("甲山镇", "甲山镇"), (-3.5, -3.5),
    (7, 7), (None, None), ("a=b", "a=b"),
])
def test_neutralise(value, expected):
    from planner.report.safe import neutralise

    assert neutralise(value) == expected


@pytest.mark.slow  # a whole run of its own
def test_hostile_site_names_are_inert(mini, cli):
    path = mini / "facilities.csv"
    frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    frame.iloc[[0, 3, 4, 5], 0] = HOSTILE[:4]
    frame.to_csv(path, index=False, encoding="gb18030")
    res = cli(mini)
    assert res.code == 0
    assert live_formulas(res.out) == []
    fac = pd.read_csv(res.out / "facilities.csv", dtype=str, keep_default_na=False)
    assert set(fac["name"]) >= {"'" + h for h in HOSTILE[:4]}
    wb = load_workbook(res.out / "progress.xlsx")
    # text cells (the planner's own formulas are checked by live_formulas above)
    cells = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.data_type != "f"}
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)


@pytest.mark.slow  # a whole run of its own
def test_hostile_workspace_name_and_village_names(mini, cli):
    import geopandas as gpd

    edit(mini / "planner.toml", 'name = "测试县"', 'name = "=1+1"')
    villages = gpd.read_file(mini / "villages.gpkg")
    villages["name"] = villages["name"].astype(object)
    villages.loc[0, "name"] = "@cmd"
    villages.to_file(mini / "villages.gpkg")
    res = cli(mini)
    assert res.code == 0
    assert live_formulas(res.out) == []
    wb = load_workbook(res.out / "progress.xlsx")
    assert str(wb["任务进度"]["A1"].value).startswith("'=1+1")
    vill = pd.read_csv(res.out / "villages.csv", dtype=str)
    assert "'@cmd" in vill["village_name"].tolist()


@pytest.mark.slow  # a whole run of its own
def test_hostile_file_name_in_rejected_inert(mini, cli):
    """A file named like a formula is inert where rejected.csv and the xlsx name it."""
    text = (mini / "children.csv").read_text(encoding="utf-8") + "320999009999,5,1,0,1\n"
    (mini / "=kids.csv").write_text(text, encoding="utf-8")
    edit(mini / "planner.toml", 'path = "children.csv"', 'path = "=kids.csv"')
    res = cli(mini)
    assert res.code == 0
    assert live_formulas(res.out) == []
    rej = pd.read_csv(res.out / "rejected.csv", dtype=str)
    assert rej.loc[rej["row"] == "6", "file"].tolist() == ["'=kids.csv"]
    wb = load_workbook(res.out / "progress.xlsx")
    assert "'=kids.csv" in [c.value for row in wb["被拒记录"].iter_rows() for c in row]
