"""A result that cannot be right is never final: stop, or say 数据不全 on the annex and page 1."""

import re

import openpyxl
import pandas as pd
import pytest

from planner.cli import main

TOML = """[[facilities]]
path = "ledger.csv"
fields = { name = "名称", kind = "类型", declared_town = "镇", declared_village = "村" }
"""


def _ledger(mini) -> None:
    rows = [("东村儿童之家", "儿童之家", "甲山镇", "东村")]
    rows += [(f"站点{i}", "儿童之家", "甲山镇", "") for i in range(19)]  # no village: unusable
    pd.DataFrame(rows, columns=["名称", "类型", "镇", "村"]).to_csv(mini / "ledger.csv",
                                                               index=False)
    toml = mini / "planner.toml"
    text = re.sub(r"\[\[facilities\]\].*?(?=\n\[quota\])", TOML.strip(),
                  toml.read_text(encoding="utf-8"), flags=re.S)
    toml.write_text(text.replace("max_unusable_share = 0.25", ""), encoding="utf-8")


def test_a_ledger_of_unusable_rows_stops_in_one_line(mini, tmp_path, capsys):
    _ledger(mini)
    assert main(["run", str(mini), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "数据不全" in err
    assert "19 of 20 records (95.0%)" in err and "ledger.csv" in err
    assert "--accept-incomplete" in err
    assert not (tmp_path / "out" / "progress.xlsx").exists()


@pytest.mark.slow  # a whole run of its own
def test_an_accepted_run_says_incomplete_on_the_annex_and_page_one(mini, tmp_path, capsys):
    _ledger(mini)
    out = tmp_path / "out"
    assert main(["run", str(mini), "--out", str(out), "--accept-incomplete"]) == 0
    assert "数据不全" in capsys.readouterr().out
    sheet = openpyxl.load_workbook(out / "progress.xlsx")["任务进度"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "数据不全" in cells[0]  # the title
    assert any("ledger.csv 共 20 条记录，19 条未能使用（95.0%" in c for c in cells)
    page = (out / "report.html").read_text(encoding="utf-8")
    summary = page[: page.index('<section id="details"')]  # page 1
    assert "数据不全" in summary and "19 条未能使用" in summary
