"""The reporting date and period (``--as-of`` / ``[workspace] as_of``) in every title and on
page 1, the inputs' vintage, and the change since an earlier run (``--since``)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from openpyxl import load_workbook
from PIL import Image

from planner._errors import ConfigError
from planner.cli import main
from planner.glossary import period_label
from planner.settings import load_settings


@pytest.mark.parametrize(("day", "label"), [
    (dt.date(2026, 1, 1), "2026年第一季度"), (dt.date(2026, 3, 31), "2026年第一季度"),
    (dt.date(2026, 4, 1), "2026年第二季度"), (dt.date(2026, 9, 30), "2026年第三季度"),
    (dt.date(2026, 12, 31), "2026年第四季度")])
def test_period_label(day, label):
    assert period_label(day) == label


def test_workspace_as_of_is_a_date(mini):
    toml = mini / "planner.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('[workspace]\n', '[workspace]\nas_of = "2026-09-30"\n'),
                    encoding="utf-8")
    assert load_settings(mini).as_of == dt.date(2026, 9, 30)
    toml.write_text(text.replace('[workspace]\n', '[workspace]\nas_of = 2026-09-30\n'),
                    encoding="utf-8")  # a TOML date
    assert load_settings(mini).as_of == dt.date(2026, 9, 30)
    toml.write_text(text.replace('[workspace]\n', '[workspace]\nas_of = "30/9/2026"\n'),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"as_of = '30/9/2026' is not a date; give it as"):
        load_settings(mini)


def test_bad_as_of_flag_is_one_line(mini, tmp_path, capsys):
    assert main(["run", str(mini), "--out", str(tmp_path / "o"), "--as-of", "2026-13-01"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--as-of" in err and "YYYY-MM-DD" in err


def _titles(out) -> dict[str, list[str]]:
    """The title of every output that has one."""
    titles = {"progress.xlsx": [ws["A1"].value for ws in load_workbook(out / "progress.xlsx")]}
    page = (out / "report.html").read_text(encoding="utf-8")
    titles["report.html"] = [html.unescape(re.search(r"<title>(.*?)</title>", page)[1]),
                             html.unescape(re.search(r"<h1>(.*?)</h1>", page)[1])]
    titles["png"] = [Image.open(p).text["Title"] for p in sorted(out.glob("*.png"))]
    map_page = html.unescape((out / "map.html").read_text(encoding="utf-8"))
    titles["map.html"] = [re.search(r"<div id='pl-title'>(.*?)</div>", map_page)[1]]
    return titles


@pytest.mark.slow  # a whole run of its own
def test_period_in_every_title_and_change_since(mini, tmp_path, capsys):
    """A first run without one care point; a second, as of 2026-12-31, with it and
    ``--since`` the first: the period heads every title; run.json, page 1 and the annex
    say what was built since and how the completion rate moved."""
    fac = mini / "facilities.csv"
    full = fac.read_bytes()
    lines = full.decode("gb18030").splitlines(keepends=True)
    fac.write_bytes("".join(line for line in lines if not line.startswith("西村"))
                    .encode("gb18030"))
    first, second = tmp_path / "q3", tmp_path / "q4"
    assert main(["run", str(mini), "--out", str(first), "--as-of", "2026-09-30"]) == 0
    fac.write_bytes(full)
    assert main(["run", str(mini), "--out", str(second), "--as-of", "2026-12-31",
                 "--since", str(first)]) == 0
    terminal = capsys.readouterr().out
    then = json.loads((first / "run.json").read_text(encoding="utf-8"))
    now = json.loads((second / "run.json").read_text(encoding="utf-8"))
    assert (now["as_of"], now["period"], then["period"]) == (
        "2026-12-31", "2026年第四季度", "2026年第三季度")
    since = now["since"]
    assert since["period"] == "2026年第三季度"
    for kind, change in since["kinds"].items():
        built = now["quota"][kind]["built"] - then["quota"][kind]["built"]
        assert change["built_since"] == built, kind
        assert change["percent_change"] == round(
            now["quota"][kind]["percent"] - then["quota"][kind]["percent"], 1), kind
    point = since["kinds"]["care_point"]
    assert point["built_since"] == 1 and point["percent_change"] > 0
    # every title carries the county and the period
    for output, heads in _titles(second).items():
        for head in heads:
            assert head.startswith("测试县2026年第四季度"), (output, head)
    # page 1 and the annex say what changed
    page = html.unescape((second / "report.html").read_text(encoding="utf-8"))
    summary = page[:page.index('<section id="details"')]
    line = f"村居关爱站点新建 1 个（完成率 {point['percent_change']:+.1f} 个百分点）"
    assert "与上期（2026年第三季度）相比" in summary and line in summary
    assert "统计截至 2026年12月31日（2026年第四季度）" in summary
    wb = load_workbook(second / "progress.xlsx")
    annex = [str(c.value) for row in wb["任务进度"].iter_rows() for c in row if c.value]
    assert any(t.startswith("与上期（2026年第三季度）相比") and
               f"村居关爱站点新建 1 个，完成率 {point['percent_change']:+.1f} 个百分点" in t
               for t in annex)
    assert any(t.startswith("统计截至：2026年12月31日") for t in annex)
    assert "进度对比" in wb.sheetnames
    # the inputs' vintage: without a vintage in planner.toml, the file's date
    assert {v["file"] for v in now["inputs_vintage"]} >= {"facilities.csv", "quota.csv"}
    assert all(v["source"] == "file_date" for v in now["inputs_vintage"])
    assert "数据时点：" in summary and "[1/9] 读入与校验" in terminal


def test_demo_states_its_inputs_vintage(demo_result):
    """The demo's planner.toml dates its quota table and site lists; page 1 says so, and the
    year of the patrol calendar."""
    run = demo_result.run
    quota = next(v for v in run["inputs_vintage"] if v["layer"] == "quota")
    assert quota["vintage"].startswith("2021年") and quota["source"] == "planner.toml"
    page = html.unescape((demo_result.out / "report.html").read_text(encoding="utf-8"))
    summary = page[:page.index('<section id="details"')]
    assert f"quota_2021.csv {quota['vintage']}" in summary
    assert f"巡查日历：{run['water']['patrol']['year']}年" in summary
