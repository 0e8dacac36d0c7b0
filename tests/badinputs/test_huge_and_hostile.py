"""Huge inputs and hostile text: bounded work, nothing lost, nothing live."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.badinputs._scan import live_formulas, output_texts


def _facilities(mini) -> pd.DataFrame:
    return pd.read_csv(mini / "facilities.csv", dtype=str, encoding="gb18030",
                       keep_default_na=False)


@pytest.mark.slow
def test_a_list_pasted_twenty_thousand_times(mini, cli):
    """Every copy of a pasted row is rejected as a duplicate of its first; books balance."""
    frame = _facilities(mini)
    row = frame.iloc[[3]]  # 甲山镇儿童关爱之家, inside the county
    pasted = pd.concat([frame] + [row] * 20_000, ignore_index=True)
    pasted.to_csv(mini / "facilities.csv", index=False, encoding="gb18030")
    res = cli(mini, "check")
    assert res.code == 0
    line = next(x for x in res.stdout.splitlines() if x.startswith("facilities"))
    assert line.split()[1:5] == ["facilities.csv", "20009", "6", "20003"]
    assert "拒收 facilities.csv 第 11 行：重复记录" in res.stdout


@pytest.mark.slow  # a whole run of its own
def test_html_in_names_is_escaped_in_the_report(mini, cli):
    frame = _facilities(mini)
    frame.iloc[0, 0] = "<script>alert(1)</script>"
    frame.to_csv(mini / "facilities.csv", index=False, encoding="gb18030")
    res = cli(mini)
    assert res.code == 0
    report = (res.out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in report


@pytest.mark.slow  # a whole run of its own
def test_control_characters_and_long_names(mini, cli):
    frame = _facilities(mini)
    frame.iloc[0, 0] = "东村\x07儿童之家\x00"
    frame.iloc[1, 0] = "长" * 5000
    frame.to_csv(mini / "facilities.csv", index=False, encoding="gb18030")
    res = cli(mini)
    assert res.code == 0
    assert live_formulas(res.out) == []
    inputs = json.loads((res.out / "run.json").read_text(encoding="utf-8"))["inputs"]
    fac = next(i for i in inputs if i["layer"] == "facilities")
    assert fac["read"] == fac["accepted"] + fac["rejected"] == 9


def test_every_output_is_free_of_live_formulas_on_the_mini(mini_result):
    texts = output_texts(mini_result.out)
    assert "progress.xlsx" in texts
    assert live_formulas(mini_result.out) == []


def test_a_list_beyond_any_county_stops_the_run_in_one_line(mini, cli, monkeypatch):
    import planner.validate.intake as workspace

    monkeypatch.setattr(workspace, "MAX_FACILITIES", 5)
    res = cli(mini)
    assert res.code == 2
    assert res.line.endswith("facilities.csv: 6 facility records remain after removing "
                             "duplicates, more than the 5 one county can have; check that the "
                             "file is this county's list of sites (planner check lists what "
                             "was read)")
    assert cli(mini, "check").code == 0


def test_long_sheets_are_capped_in_the_workbook(tmp_path):
    from openpyxl import load_workbook

    from planner.report.tables import write_progress_xlsx

    big = pd.DataFrame({"file": ["a.csv"] * 25, "row": range(2, 27)})
    path = tmp_path / "p.xlsx"
    write_progress_xlsx(path, title="t", progress=pd.DataFrame({"town_name": ["甲"]}),
                        kinds=[], sheets={"被拒记录": big})
    import planner.report.tables as tables

    assert tables.XLSX_ROWS == 10_000
    rows = list(load_workbook(path)["被拒记录"].iter_rows(values_only=True))
    assert len(rows) == 2 + 25  # title, header, every row: under the cap


def test_capped_frame_says_how_many_were_left_out():
    from planner.report.tables import _capped

    frame = pd.DataFrame({"file": ["a.csv"] * 25, "row": range(2, 27)})
    out = _capped(frame, limit=10)
    assert len(out) == 11
    assert out["row"].tolist()[:10] == list(range(2, 12))
    assert out["file"].iloc[-1] == ("…… 另有 15 行未列出，见 CSV/JSON 输出 / 15 more rows in "
                                    "the CSV/JSON outputs")


@pytest.mark.slow  # a whole run of its own
def test_control_characters_and_huge_text_in_village_names(mini, cli):
    import geopandas as gpd
    from openpyxl import load_workbook

    villages = gpd.read_file(mini / "villages.gpkg")
    villages["name"] = villages["name"].astype(object)
    villages.loc[0, "name"] = "东\x01村\x1f"
    villages.loc[1, "name"] = "西" * 40_000
    (mini / "villages.gpkg").unlink()
    villages.to_file(mini / "villages.gpkg")
    res = cli(mini)
    assert res.code == 0
    sheet = load_workbook(res.out / "progress.xlsx")["村（居）"]
    names = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert max(len(v) for v in names) == 32_767
    assert not any("\x01" in v or "\x1f" in v for v in names)
